"""The pytest-benchmark suite: every kernel family and a training step, xpnet against PyTorch.

Run from the project root (the normal test run ignores this folder)::

    python -m pytest benchmarks/ --benchmark-only [--threads N] [--rounds R]
        [--host-memory keep|default]
        [--benchmark-json benchmarks/results/<date>-cpu-<machine>.json]

Each case is timed for every contender in the same run and grouped by op, shape and mode, so
pytest-benchmark's table shows them side by side. Contenders: xpnet on NumPy and PyTorch on
the CPU always; xpnet on CuPy and PyTorch CUDA (TF32 off, and on as PyTorch's default) when a
GPU is present; and each xpnet backend's floor (``floor-numpy``: the BLAS products of conv2d,
the exp of cross-entropy, alone; :mod:`xpnet.bench.floors`). Every timed call synchronises its
device before the clock is read. The cases and contenders are the ones of ``xpnet bench``
(:mod:`xpnet.bench`).
"""

from __future__ import annotations

import contextlib
import functools
import os
import shlex
import sys

import pytest

from xpnet import bench, keep_freed_host_memory

CONTENDERS, UNAVAILABLE = bench.make_contenders(["numpy", "cupy", "torch"], floor=True)


def pytest_addoption(parser):
    group = parser.getgroup("xpnet benchmarks")
    group.addoption("--threads", type=int, help="threads of every contender (default: cores)")
    group.addoption("--rounds", type=int, default=5, help="timed rounds per case (default: 5)")
    group.addoption(
        "--host-memory",
        choices=["keep", "default"],
        default="keep",
        help="as xpnet bench: keep freed host memory for reuse, or the allocator's default",
    )


def pytest_configure(config):
    if config.getoption("--host-memory", default="default") == "keep":
        keep_freed_host_memory()  # for every contender: fresh arrays refill without page faults


def pytest_collect_file(file_path, parent):
    # the benchmark files are bench_*.py, so that the normal test run never collects them;
    # a file named on the command line is collected by pytest itself
    is_bench = file_path.suffix == ".py" and file_path.name.startswith("bench_")
    if is_bench and not parent.session.isinitpath(file_path):
        return pytest.Module.from_parent(parent, path=file_path)
    return None


def _threads(config) -> int:
    return config.getoption("--threads") or len(os.sched_getaffinity(0))


@pytest.fixture(scope="session", autouse=True)
def pinned_threads(request):
    """Every contender gets the same number of threads for the whole session."""
    with contextlib.ExitStack() as stack:
        yield bench.pin_threads(stack, _threads(request.config), CONTENDERS)


def pytest_benchmark_update_machine_info(config, machine_info):
    """Record what the numbers depend on: versions, threads, GPU settings, the command."""
    command = shlex.join(["python", "-m", "pytest", *sys.argv[1:]])
    machine_info["xpnet"] = bench.environment(_threads(config), CONTENDERS, command)
    machine_info["xpnet"]["unavailable"] = UNAVAILABLE


@pytest.fixture(params=CONTENDERS, ids=[c.name for c in CONTENDERS])
def contender(request):
    return request.param


@pytest.fixture
def time_case(benchmark, contender, request):
    """``time_case(op, shape, mode)``: time one mode of one case for this contender."""
    rounds = request.config.getoption("--rounds")

    def run(op: str, shape: tuple[int, ...], mode: str) -> None:
        case = bench.OPS[op].case(shape)
        functions = contender.prepare(case, "float32")
        if not functions:
            pytest.skip(f"{contender.name}: {op} has no floor")
        function = functions[mode]
        benchmark.group = f"{op} {case.label} {mode}"
        gflop = case.flops * bench.MODE_FLOP_FACTOR[mode] / 1e9
        benchmark.extra_info.update(contender=contender.name, device=contender.device, gflop=gflop)
        # untimed before each round: the previous contender's worker threads go to sleep
        settle = functools.partial(bench.settle, function)
        benchmark.pedantic(function, setup=settle, rounds=rounds, warmup_rounds=1)

    return run
