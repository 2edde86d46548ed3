"""The ``xpnet`` command: a tiny training run, a tiny benchmark, and one-line errors."""

from __future__ import annotations

import contextlib
import io
import json
import math
import os
import platform
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

import xpnet
import xpnet.backends
import xpnet.kernels
from xpnet import bench
from xpnet.bench import contenders, floors
from xpnet.cli import main
from xpnet.kernels import _conv_im2col

ROOT = Path(__file__).resolve().parents[1]
# in-process runs leave the test process's allocator alone (keeping memory is process-wide)
TINY_TRAIN = ["train", "--epochs", "1", "--limit", "64", "--batch-size", "32", "--no-progress"]
TINY_TRAIN += ["--host-memory", "default"]
TINY_BENCH = ["bench", "--ops", "max_pool2d", "--shapes", "2,3,8,8,2,2,0", "--repeats", "2"]
TINY_BENCH += ["--host-memory", "default"]


@pytest.fixture(autouse=True)
def _no_ambient_backend(monkeypatch):
    # the commands read XPNET_BACKEND: a suite run under XPNET_BACKEND=strict must not change
    # what these tests expect; the tests of XPNET_BACKEND set it themselves
    monkeypatch.delenv("XPNET_BACKEND", raising=False)


def _torch_contenders() -> set[str]:
    """The contenders ``--backends torch`` times here: PyTorch on the CPU, and on CUDA with
    and without TF32 where PyTorch sees a GPU (``xpnet.bench.make_contenders``)."""
    import torch  # only where a test asks: the bench imports it only for its torch rows

    cuda = {"torch-cuda", "torch-cuda-tf32"} if torch.cuda.is_available() else set()
    return {"torch-cpu", *cuda}


def _one_line(text: str) -> str:
    lines = text.strip().splitlines()
    assert len(lines) == 1, f"expected one line, got {lines}"
    return lines[0]


def test_train_tiny_run_prints_table_and_saves_files(tmp_path, capsys):
    checkpoint, plot = tmp_path / "run.npz", tmp_path / "run.png"
    assert main([*TINY_TRAIN, "--checkpoint", str(checkpoint), "--plot", str(plot)]) == 0
    out = capsys.readouterr().out
    assert "backend numpy, device cpu" in out
    assert "train loss" in out and "test acc" in out
    assert "final test accuracy" in out
    assert checkpoint.exists() and plot.exists()


def test_train_runs_as_python_module(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "xpnet", *TINY_TRAIN]
    result = subprocess.run(command, capture_output=True, text=True, env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "final test accuracy" in result.stdout


@pytest.mark.parametrize(
    "argv, message",
    [
        (["train", "--epochs", "0"], "--epochs: must be a positive integer, got 0"),
        (["train", "--lr", "-1"], "--lr: must be a finite positive number, got -1"),
        (["train", "--epochs", "x"], "argument --epochs: must be a positive integer, got 'x'"),
        (["train", "--batch-size", "1.5"], "--batch-size: must be a positive integer, got '1.5'"),
        (["train", "--limit", "-2"], "argument --limit: must be a positive integer, got -2"),
        (["train", "--lr", "inf"], "argument --lr: must be a finite positive number, got inf"),
        (["train", "--lr", "nan"], "argument --lr: must be a finite positive number, got nan"),
        (["train", "--lr", "x"], "argument --lr: must be a finite positive number, got 'x'"),
        (["train", "--seed", "-1"], "argument --seed: must be a non-negative integer, got -1"),
        (["train", "--seed", "1e3"], "--seed: must be a non-negative integer, got '1e3'"),
        (["bench", "--threads", "0"], "argument --threads: must be a positive integer, got 0"),
        (["bench", "--repeats", "nan"], "--repeats: must be a positive integer, got 'nan'"),
        (
            ["bench", "--shapes", "garbage"],
            "--shapes: 'garbage' is not a comma-separated list of non-negative ints",
        ),
        (
            ["bench", "--ops", "max_pool2d", "--shapes", "2,3,8,8"],
            "--shapes: '2,3,8,8' has 4 fields, which fits no op",
        ),
        (["train", "--dataset", "cifar"], "invalid choice: 'cifar'"),
        (["train", "--optimizer", "lbfgs"], "invalid choice: 'lbfgs'"),
        (["train", "--backend", "tpu"], "invalid choice: 'tpu' (choose from 'numpy', 'strict'"),
        (["train", "--bogus"], "unrecognized arguments: --bogus"),
        (
            ["bench", "--backends", "numpy,tpu"],
            "unknown tpu; choose from numpy, strict, cupy, torch",
        ),
        (["bench", "--ops", "conv4d"], "unknown conv4d"),
        ([], "usage: xpnet [-h] [--version] {train,bench} ..."),
        (["train", "--dataset", "mnist"], "--dataset mnist needs --data PATH"),
        (["train", "--data", "mnist/"], "--data mnist/ is only read with --dataset mnist"),
        (
            ["train", "--dataset", "mnist", "--data", "/nonexistent/mnist"],
            "--data /nonexistent/mnist: no such folder",
        ),
        (["train", "--resume", "/nonexistent/run.npz"], "--resume /nonexistent/run.npz: no such"),
        (["train", "--resume", os.devnull], f"--resume {os.devnull}: not a regular file"),
    ],
)
def test_cli_bad_options_give_one_line_and_exit_2(capsys, argv, message):
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    line = _one_line(capsys.readouterr().err)
    assert message in line
    assert "invalid _" not in line  # argparse's "invalid <type function> value": internals


def test_cli_version_prints_the_version(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.strip() == f"xpnet {xpnet.__version__}"


def test_train_creates_the_folders_of_its_outputs(tmp_path, capsys):
    checkpoint, plot = tmp_path / "runs" / "a" / "run.npz", tmp_path / "plots" / "run.png"
    assert main([*TINY_TRAIN, "--checkpoint", str(checkpoint), "--plot", str(plot)]) == 0
    assert checkpoint.exists() and plot.read_bytes()[:4] == b"\x89PNG"


@pytest.mark.parametrize("option", ["--checkpoint", "--plot"])
def test_train_unwritable_output_fails_before_training(tmp_path, capsys, option):
    blocker = tmp_path / "file"
    blocker.write_text("a file where a folder should be")
    assert main([*TINY_TRAIN, option, str(blocker / "run.out")]) == 1
    line = _one_line(capsys.readouterr().err)
    assert line.startswith(f"xpnet train: error: {option} {blocker / 'run.out'}: cannot create")
    assert "train loss" not in capsys.readouterr().out  # nothing trained


def test_train_progress_bar_only_on_a_terminal(monkeypatch, capsys):
    monkeypatch.setattr(sys.stderr, "isatty", lambda: False)
    assert main([arg for arg in TINY_TRAIN if arg != "--no-progress"]) == 0
    captured = capsys.readouterr()
    assert "epoch 1/1" not in captured.err and "batch" not in captured.err
    assert "final test accuracy" in captured.out


@pytest.mark.parametrize(
    "environment, argv, expected",
    [("strict", [], "strict"), ("strict", ["--backend", "numpy"], "numpy")],
    ids=["environment", "option-first"],
)
def test_train_backend_from_option_else_environment(
    monkeypatch, capsys, environment, argv, expected
):
    monkeypatch.setenv("XPNET_BACKEND", environment)
    assert main([*TINY_TRAIN, *argv]) == 0
    out = capsys.readouterr().out
    assert f"backend {expected}, device cpu" in out  # the run's header: it trained there
    assert "final test accuracy" in out


@pytest.mark.parametrize("command", ["train", "bench"])
def test_unknown_xpnet_backend_exits_2_and_lists_the_backends(monkeypatch, capsys, command):
    monkeypatch.setenv("XPNET_BACKEND", "cuda")
    with pytest.raises(SystemExit) as exit_info:
        main([command])
    assert exit_info.value.code == 2
    line = _one_line(capsys.readouterr().err)
    assert line.startswith(f"xpnet {command}: error: XPNET_BACKEND='cuda'")
    assert "choose one of 'numpy', 'strict', 'cupy'" in line


@pytest.mark.parametrize(
    "environment, argv, contenders",
    [
        ("numpy", [], {"xpnet-numpy", "torch"}),  # the environment's backend and torch
        ("strict", ["--backend", "numpy"], {"xpnet-numpy"}),  # the option wins
    ],
    ids=["environment", "option-first"],
)
def test_bench_backend_from_option_else_environment(
    monkeypatch, capsys, tmp_path, environment, argv, contenders
):
    monkeypatch.setenv("XPNET_BACKEND", environment)
    report = tmp_path / "bench.json"
    assert main([*TINY_BENCH, *argv, "--json", str(report)]) == 0
    assert "backend numpy, device cpu" in capsys.readouterr().out
    saved = json.loads(report.read_text())
    if "torch" in contenders:
        contenders = (contenders - {"torch"}) | _torch_contenders()
    assert {row["contender"] for row in saved["results"]} == contenders


def test_bench_runs_the_backend_xpnet_backend_names(monkeypatch, capsys):
    # strict is not timed by default, but named it runs: a dry run of what CuPy is asked
    monkeypatch.setenv("XPNET_BACKEND", "strict")
    assert main(TINY_BENCH) == 0
    out = capsys.readouterr().out
    assert "backend strict, device" in out and "xpnet-strict" in out


def test_train_data_folder_without_mnist_gives_one_line_and_exit_2(capsys, tmp_path):
    argv = [*TINY_TRAIN, "--dataset", "mnist", "--data", str(tmp_path)]
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    line = _one_line(capsys.readouterr().err)
    assert f"xpnet train: error: --data {tmp_path}: the folder has no t10k-images" in line


def test_train_unreadable_data_gives_one_line_and_exit_1(capsys, tmp_path):
    for name in ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"):
        (tmp_path / name).write_bytes(b"not gzip")
    assert main([*TINY_TRAIN, "--dataset", "mnist", "--data", str(tmp_path)]) == 1
    line = _one_line(capsys.readouterr().err)
    assert line.startswith("xpnet train: error: load_mnist: ") and "not a valid gzip" in line


def test_bench_tiny_run_saves_json_and_plot(tmp_path, capsys):
    report, plot = tmp_path / "out" / "bench.json", tmp_path / "plots" / "bench.png"
    argv = [*TINY_BENCH, "--backends", "numpy,torch", "--json", str(report), "--plot", str(plot)]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "threads: " in out and "time/torch" in out
    saved = json.loads(report.read_text())
    assert saved["environment"]["command"].startswith("xpnet bench --ops max_pool2d")
    assert {(r["contender"], r["mode"]) for r in saved["results"]} == {
        (contender, mode)
        for contender in {"xpnet-numpy", *_torch_contenders()}
        for mode in bench.MODES
    }
    assert all(r["time_over_torch"] > 0 for r in saved["results"])
    assert plot.read_bytes()[:4] == b"\x89PNG"


def test_bench_ends_with_environment_line_and_summary_not_json(monkeypatch, capsys):
    monkeypatch.setattr(os, "getloadavg", lambda: (0.0, 0.0, 0.0))
    monkeypatch.delenv("OPENBLAS_CORETYPE", raising=False)  # its warning: the test below
    assert main([*TINY_BENCH, "--backends", "numpy,torch"]) == 0
    captured = capsys.readouterr()
    lines = captured.out.strip().splitlines()
    assert lines[-3].startswith("environment: xpnet ") and "threads of" in lines[-3]
    assert lines[-2].startswith("summary: time / torch's time")
    assert lines[-1].split()[:2] == ["max_pool2d", "xpnet-numpy"]
    assert "forward " in lines[-1] and "backward " in lines[-1]
    assert "{" not in captured.out and "warning" not in captured.err


@pytest.mark.parametrize("pinned", [True, False], ids=["core-pinned", "own-choice"])
def test_bench_environment_names_blas_kernels_and_their_settings(monkeypatch, capsys, pinned):
    # a pinned OPENBLAS_CORETYPE runs other kernels: a result must say which ran, and why
    libraries = [
        {"internal_api": "openblas", "version": "0.3.31", "architecture": "Haswell"},
        {"internal_api": "openmp", "version": None},
    ]
    monkeypatch.setattr(bench.report, "threadpool_info", lambda: libraries)
    monkeypatch.delenv("OPENBLAS_L2_SIZE", raising=False)
    if pinned:
        monkeypatch.setenv("OPENBLAS_CORETYPE", "Haswell")
    else:
        monkeypatch.delenv("OPENBLAS_CORETYPE", raising=False)
    info = bench.environment(2, [], "xpnet bench")
    assert info["blas"] == ["openblas 0.3.31 (Haswell)", "openmp None"]
    assert info.get("blas_settings") == (["OPENBLAS_CORETYPE=Haswell"] if pinned else None)
    assert main([*TINY_BENCH, "--backends", "numpy"]) == 0
    out, err = capsys.readouterr()
    line = next(x for x in out.splitlines() if x.startswith("environment:"))
    assert "openblas 0.3.31 (Haswell), openmp None" in line
    assert ("OPENBLAS_CORETYPE=Haswell" in line) is pinned
    # before and after the table
    warning = "warning: OPENBLAS_CORETYPE=Haswell makes OpenBLAS run its Haswell kernels"
    assert err.count(warning) == (2 if pinned else 0)


def test_bench_summary_without_torch_says_so(capsys):
    assert main([*TINY_BENCH, "--backends", "numpy"]) == 0
    assert (
        capsys.readouterr().out.strip().endswith("summary: no ratios to torch (torch did not run)")
    )


def test_bench_warns_when_the_machine_is_busy(monkeypatch, capsys):
    monkeypatch.setattr(os, "getloadavg", lambda: (4.0 * (os.cpu_count() or 1), 0.0, 0.0))
    assert main([*TINY_BENCH, "--backends", "numpy"]) == 0
    err = capsys.readouterr().err
    assert "xpnet bench: warning: the machine is busy (load average" in err


def test_bench_reports_unavailable_backends(monkeypatch, capsys):
    real_import = contenders.importlib.import_module

    def no_torch(name):
        if name == "torch":
            raise ImportError("No module named 'torch'")
        return real_import(name)

    monkeypatch.setattr(contenders.importlib, "import_module", no_torch)
    monkeypatch.setattr(contenders, "load_backend", _no_cupy(contenders.load_backend))
    assert main([*TINY_BENCH, "--backends", "numpy,cupy,torch"]) == 0
    out = capsys.readouterr().out
    assert "torch: not installed" in out
    assert "cupy: no GPU here" in out
    assert "xpnet-numpy" in out


def _no_cupy(load_backend):
    def load(name):
        if name == "cupy":
            raise ImportError("no GPU here. Install CuPy")
        return load_backend(name)

    return load


@pytest.mark.parametrize(
    "shapes, message",
    [
        ("2,3,8,8", "has 4 fields, which fits no op"),
        ("2,x,8", "is not a comma-separated list"),
        ("2,3,8,8,2,0,0", "has stride 0; it must be at least 1"),
        ("2,3,8,8,0,1,0", "has kernel_size 0; it must be at least 1"),
    ],
)
def test_bench_bad_shapes_give_one_line_and_exit_2(capsys, shapes, message):
    with pytest.raises(SystemExit) as exit_info:
        main([*TINY_BENCH, "--shapes", shapes])
    assert exit_info.value.code == 2
    line = _one_line(capsys.readouterr().err)
    assert line.startswith("xpnet bench: error: --shapes: ") and message in line


def test_bench_floor_rows_only_for_ops_with_a_floor(tmp_path):
    report = tmp_path / "bench.json"
    shapes = "2,3,8,8,4,3,1,1;2,3,8,8,2,2,0;4,10;2,3,4,4"  # conv2d, max_pool2d, cross_entropy, BN
    ops = "conv2d,max_pool2d,cross_entropy,batch_norm"
    argv = ["bench", "--ops", ops, "--shapes", shapes, "--repeats", "2", "--host-memory", "default"]
    assert main([*argv, "--backends", "numpy,torch", "--floor", "--json", str(report)]) == 0
    saved = json.loads(report.read_text())
    contenders_of = {}
    for row in saved["results"]:
        contenders_of.setdefault(row["op"], set()).add(row["contender"])
    torch = _torch_contenders()
    assert contenders_of == {
        "conv2d": {"xpnet-numpy", "floor-numpy", *torch},
        "max_pool2d": {"xpnet-numpy", *torch},
        "cross_entropy": {"xpnet-numpy", "floor-numpy", *torch},
        "batch_norm": {"xpnet-numpy", "floor-numpy", *torch},
    }
    assert saved["settings"]["floor"] is True


@pytest.mark.parametrize(
    "shape",
    [(2, 3, 9, 9, 4, 3, 2, 1), (2, 32, 6, 6, 4, 3, 1, 1), (2, 8, 5, 5, 6, 1, 1, 0)],
    ids=["im2col", "one-tap-per-row", "pointwise"],
)
def test_conv2d_floor_does_the_products_and_copies_of_its_case(backend, monkeypatch, shape):
    # the floor must time the products of this very convolution: forward+backward is three
    # forwards' worth of multiply-adds, on the im2col shapes; and one window copy each way in
    # the layout the kernel copies (none for a pointwise convolution)
    case = bench.OPS["conv2d"].case(shape)
    contender = bench.FloorContender(bench.XpnetContender(backend.name))
    functions = contender.prepare(case, "float32")
    flops, floor_copies, kernel_copies = [], [], []
    real_matmul = backend.xp.matmul

    def counting_matmul(a, b, **kwargs):
        flops.append(2 * a.shape[0] * a.shape[1] * b.shape[1])
        return real_matmul(a, b, **kwargs)

    def recording(copies, window_copy):
        def copy(backend, x, taps, dtype, **layout):
            col = window_copy(backend, x, taps, dtype, **layout)
            copies.append(col.shape)
            return col

        return copy

    monkeypatch.setattr(backend.xp, "matmul", counting_matmul)
    for name in ("window_copy", "channels_last_copy"):  # NCHW, and the per-row forward's
        monkeypatch.setattr(floors, name, recording(floor_copies, getattr(floors, name)))
    functions["forward+backward"]()
    assert len(flops) == 3
    assert sum(flops) == 3 * case.flops
    for name in ("window_copy", "channels_last_copy"):  # where conv2d copies
        copy = recording(kernel_copies, getattr(_conv_im2col, name))
        monkeypatch.setattr(_conv_im2col, name, copy)
    arrays = {name: backend.asarray(array) for name, array in case.arrays.items()}
    output = xpnet.kernels.conv2d(arrays["input"], arrays["weight"], **case.kwargs)
    mask = (False, True, False)  # the weight gradient's copy; grad_input's is not in the floor
    xpnet.kernels.conv2d_backward(
        output, arrays["input"], arrays["weight"], **case.kwargs, output_mask=mask
    )
    assert floor_copies == kernel_copies
    assert bool(kernel_copies) == (shape[5] > 1)  # the kernel size


def test_conv2d_floor_by_the_convolution_theorem_does_its_products(
    backend, cpu_conv_costs, monkeypatch, num_threads, precision
):
    precision("high")  # the precision at which conv2d takes the convolution theorem
    # where conv2d takes the convolution theorem, the floor times that formulation's products:
    # per sample, C input planes and C_out output planes into the bins and back (two products
    # each, one per axis) and three per-bin products of 4 * C * C_out real multiply-adds
    N, C, H, C_out = 3, 64, 8, 64
    case = bench.OPS["conv2d"].case((N, C, H, H, C_out, 3, 1, 1))
    num_threads(2)  # two chunks on numpy
    contender = bench.FloorContender(bench.XpnetContender(backend.name))
    # conv2d takes it here unasked by the CPU's cost constants; a GPU's take the fewest
    # launches, so there it is asked for
    with contextlib.nullcontext() if cpu_conv_costs else xpnet.kernels.conv_algorithms("fourier"):
        assert contender.algorithm(case, "float32") == "fourier"
        functions = contender.prepare(case, "float32")
    multiply_adds = []
    real_matmul = backend.xp.matmul

    def counting_matmul(a, b, **kwargs):
        batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
        multiply_adds.append(math.prod(batch) * math.prod(a.shape[-2:]) * b.shape[-1])
        return real_matmul(a, b, **kwargs)

    monkeypatch.setattr(backend.xp, "matmul", counting_matmul)
    functions["forward+backward"]()
    # L = 8 + 1 per axis, half of the W axis kept: per plane, (2 * 5) x 8 x 8 multiply-adds
    # along W, (2 * 9) x 8 x (2 * 5) along H; and as many back
    bins, transform = 9 * 5, 2 * 5 * 8 * 8 + 2 * 9 * 8 * 2 * 5
    assert sum(multiply_adds) == N * (2 * transform * (C + C_out) + 3 * 4 * bins * C * C_out)


@pytest.mark.parametrize("op, shape", [("cross_entropy", (8, 10)), ("batch_norm", (4, 3, 5, 5))])
def test_elementwise_floors_run_every_mode(backend, monkeypatch, num_threads, op, shape):
    # on strict, this proves the floors keep to what CuPy allows (no host conversions); the
    # batch-norm floor also runs on several blocks and threads (numpy)
    monkeypatch.setattr(backend, "block_bytes", 64)
    num_threads(2)
    case = bench.OPS[op].case(shape)
    contender = bench.FloorContender(bench.XpnetContender(backend.name))
    functions = contender.prepare(case, "float32")
    assert set(functions) == set(bench.MODES)
    for function in functions.values():
        function()


@pytest.mark.skipif(
    not sys.platform.startswith("linux") or platform.libc_ver()[0] != "glibc",
    reason="mallopt is glibc's",
)
def test_command_keeps_freed_host_memory_and_the_bench_records_it(tmp_path):
    report = tmp_path / "bench.json"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "xpnet", *TINY_BENCH, "--backends", "numpy"]
    command.remove("--host-memory")
    command.remove("default")  # the default: keep
    result = subprocess.run(
        [*command, "--json", str(report)], capture_output=True, text=True, env=env, cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    environment = json.loads(report.read_text())["environment"]
    assert environment["host_memory"] == "freed memory kept for reuse (glibc mallopt)"


def test_bench_records_the_default_allocator_when_asked(tmp_path):
    # a fresh process: an earlier in-process `xpnet train` keeps freed memory for good
    report = tmp_path / "bench.json"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "xpnet", *TINY_BENCH, "--backends", "numpy"]
    result = subprocess.run(
        [*command, "--json", str(report)], capture_output=True, text=True, env=env, cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    environment = json.loads(report.read_text())["environment"]
    assert environment["host_memory"] == "C allocator default"


def test_bench_count_adds_launches_counted_on_strict(tmp_path, capsys):
    report = tmp_path / "bench.json"
    argv = [*TINY_BENCH, "--backends", "numpy,torch", "--count", "--json", str(report)]
    assert main(argv) == 0
    assert "launches" in capsys.readouterr().out
    saved = json.loads(report.read_text())
    assert saved["settings"]["count"] is True
    counts = {(r["contender"], r["mode"]): r for r in saved["results"]}
    # max_pool2d without the indices a backward needs: a pad-free window max, three launches
    assert counts[("xpnet-numpy", "forward")]["launches"] == 3
    for row in saved["results"]:
        assert row["syncs"] == (1 if row["contender"] == "xpnet-numpy" else None)  # the timer's
    assert counts[("torch-cpu", "forward")]["launches"] is None  # CUDA kernels only, if known


def test_bench_without_count_has_no_count_columns(tmp_path, capsys):
    report = tmp_path / "bench.json"
    assert main([*TINY_BENCH, "--backends", "numpy", "--json", str(report)]) == 0
    assert "launches" not in capsys.readouterr().out
    assert all("launches" not in row for row in json.loads(report.read_text())["results"])


def test_bench_precision_runs_the_whole_bench_at_it(tmp_path, capsys, precision):
    precision("high")
    report = tmp_path / "bench.json"
    argv = [*TINY_BENCH, "--backends", "numpy", "--precision", "highest", "--json", str(report)]
    assert main(argv) == 0
    assert "float32 matmul precision: highest" in capsys.readouterr().out
    assert json.loads(report.read_text())["settings"]["float32_matmul_precision"] == "highest"
    assert xpnet.backends.get_float32_matmul_precision() == "high"  # restored after the run


def test_bench_precision_defaults_to_the_current_setting(tmp_path, precision):
    precision("highest")
    report = tmp_path / "bench.json"
    assert main([*TINY_BENCH, "--backends", "numpy", "--json", str(report)]) == 0
    assert json.loads(report.read_text())["settings"]["float32_matmul_precision"] == "highest"


@pytest.mark.parametrize("value", ["low", "highest,low", ","])
def test_bench_refuses_an_unknown_precision(capsys, value):
    with pytest.raises(SystemExit) as exit_info:
        main([*TINY_BENCH, "--precision", value])
    assert exit_info.value.code == 2
    assert "--precision" in _one_line(capsys.readouterr().err)


def test_bench_times_both_precisions_in_one_run(tmp_path, capsys, precision):
    precision("highest")
    report_path = tmp_path / "bench.json"
    argv = ["bench", "--ops", "conv2d", "--shapes", "8,32,14,14,64,5,1,2", "--repeats", "2"]
    argv += ["--backends", "numpy,torch", "--precision", "highest,high", "--json"]
    assert main([*argv, str(report_path)]) == 0
    out = capsys.readouterr().out
    report = json.loads(report_path.read_text())
    assert report["settings"]["float32_matmul_precision"] == "highest"
    assert report["settings"]["other_precisions"] == ["high"]
    rows = {row["contender"]: row for row in report["results"] if row["mode"] == "forward"}
    assert set(rows) == {"xpnet-numpy", "xpnet-numpy-high", *_torch_contenders()}
    assert "precision" not in rows["xpnet-numpy"]
    assert rows["xpnet-numpy-high"]["precision"] == "high"
    # the 5x5 window takes the Fourier formula at "high" only; both rows have a torch ratio
    assert rows["xpnet-numpy"]["algorithm"] != "fourier"
    assert rows["xpnet-numpy-high"]["algorithm"] == "fourier"
    assert all(rows[name]["time_over_torch"] > 0 for name in ("xpnet-numpy", "xpnet-numpy-high"))
    assert "xpnet-numpy-high forward" in out  # the summary has a line of its own
    assert xpnet.backends.get_float32_matmul_precision() == "highest"


# --- a damaged --resume checkpoint: one line naming the file, exit status 2 ----------------------


@pytest.fixture(scope="module")
def saved_run(tmp_path_factory):
    """A one-epoch run's checkpoint; each test damages a copy of it."""
    path = tmp_path_factory.mktemp("run") / "run.npz"
    # --backend: module fixtures run before _no_ambient_backend drops XPNET_BACKEND
    assert main([*TINY_TRAIN, "--backend", "numpy", "--checkpoint", str(path)]) == 0
    return path.read_bytes()


def _resume_fails_with_one_line(capsys, path) -> str:
    capsys.readouterr()
    assert main([*TINY_TRAIN, "--resume", str(path)]) == 2
    line = _one_line(capsys.readouterr().err)
    assert line.startswith(f"xpnet train: error: {path}: ") or line.startswith(
        f"xpnet train: error: --resume {path}: "
    )
    return line


def _member_offsets(data: bytes) -> dict[str, int]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {info.filename: info.header_offset for info in archive.infolist()}


@pytest.mark.parametrize("fraction", [0.0, 0.001, 0.01, 0.25, 0.5, 0.9, 0.99, 0.999])
def test_train_resume_truncated_checkpoint_gives_one_line_and_exit_2(
    capsys, tmp_path, saved_run, fraction
):
    path = tmp_path / "run.npz"
    path.write_bytes(saved_run[: int(len(saved_run) * fraction)])
    line = _resume_fails_with_one_line(capsys, path)
    assert "empty" in line if fraction == 0 else "truncated or corrupt" in line


@pytest.mark.parametrize(
    "where",
    [
        "signature",  # the first local header's magic number
        "first array",  # array data: the zip's CRC-32 catches it
        "middle array",
        "skeleton",  # the JSON that holds the structure
        "central directory",
        "end record",  # the zip's end-of-central-directory record
        "member name",  # the skeleton's name in its local header
    ],
)
def test_train_resume_flipped_byte_gives_one_line_and_exit_2(capsys, tmp_path, saved_run, where):
    members = _member_offsets(saved_run)
    central = saved_run.rindex(b"PK\x01\x02")
    offsets = {
        "signature": 0,
        "first array": members["array0.npy"] + 200,
        "middle array": members[f"array{len(members) // 2}.npy"] + 120,
        "skeleton": members["skeleton.npy"] + 300,
        "central directory": central + 16,  # the last member's CRC-32
        "end record": saved_run.rindex(b"PK\x05\x06") + 16,  # where the directory starts
        "member name": members["skeleton.npy"] + 30,
    }
    damaged = bytearray(saved_run)
    damaged[offsets[where]] ^= 0xFF
    path = tmp_path / "run.npz"
    path.write_bytes(bytes(damaged))
    _resume_fails_with_one_line(capsys, path)


def _npz_bytes(**arrays) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def _with_skeleton(saved_run: bytes, edit) -> bytes:
    """``saved_run`` with its JSON skeleton changed by ``edit(dict)``, arrays kept."""
    with np.load(io.BytesIO(saved_run)) as archive:
        arrays = {name: archive[name] for name in archive.files}
    skeleton = json.loads(arrays["skeleton"].tobytes())
    edit(skeleton)
    arrays["skeleton"] = np.frombuffer(json.dumps(skeleton).encode(), dtype=np.uint8)
    return _npz_bytes(**arrays)


def _with_array(saved_run: bytes, name: str, value) -> bytes:
    with np.load(io.BytesIO(saved_run)) as archive:
        arrays = {key: archive[key] for key in archive.files}
    arrays[name] = value
    return _npz_bytes(**arrays)


def _top(skeleton: dict) -> dict:
    """The top-level dict of an encoded state: ``{key: encoded value}``."""
    return {key: value for key, value in skeleton["dict"]}


@pytest.mark.parametrize(
    "damage, message",
    [
        (lambda run: b"", "not an .npz (zip) archive, the file is empty"),
        (lambda run: b"hello, not a zip\n" * 10, "not an .npz (zip) archive, it starts with"),
        (lambda run: _npz_bytes(x=np.zeros(3)), "truncated or corrupt (KeyError"),
        (
            lambda run: _with_array(run, "skeleton", np.frombuffer(b"{not json", np.uint8)),
            "JSONDecodeError",
        ),
        (lambda run: _with_array(run, "array0", np.zeros((2, 2))), "size mismatch"),
        (lambda run: _with_array(run, "array0", np.array(["text"])), "does not fit this run"),
        (lambda run: _with_skeleton(run, lambda s: s.update(dict=[])), "not an xpnet checkpoint"),
        (lambda run: _with_skeleton(run, lambda s: s.clear()), "truncated or corrupt"),
        (
            lambda run: _with_skeleton(run, lambda s: s["dict"].append([{"array": "nope"}, 1])),
            "truncated or corrupt (KeyError: 'nope')",
        ),
        (
            lambda run: _with_skeleton(
                run, lambda s: [e for e in s["dict"] if e[0] == "epoch"][0].__setitem__(1, "one")
            ),
            "'epoch' must be int, got str",
        ),
        (
            lambda run: _with_skeleton(
                run, lambda s: [e for e in s["dict"] if e[0] == "epoch"][0].__setitem__(1, 7)
            ),
            "epoch 7 but 1 rows of history",
        ),
    ],
    ids=[
        "empty file",
        "not a zip",
        "another npz",
        "skeleton not JSON",
        "weight of another shape",
        "weight of strings",
        "empty state",
        "skeleton of the wrong kind",
        "missing array",
        "epoch not an int",
        "epoch beyond history",
    ],
)
def test_train_resume_unusable_checkpoint_gives_one_line_and_exit_2(
    capsys, tmp_path, saved_run, damage, message
):
    path = tmp_path / "run.npz"
    path.write_bytes(damage(saved_run))
    assert message in _resume_fails_with_one_line(capsys, path)


def _with_state(path: Path, saved_run: bytes, edit) -> Path:
    """``path``: ``saved_run`` with its decoded state changed by ``edit(state)``, saved intact
    (valid CRCs and JSON, so that only the structure is damaged)."""
    path.write_bytes(saved_run)
    state = xpnet.train.load_checkpoint(str(path))
    edit(state)
    xpnet.train.save_checkpoint(str(path), state)
    return path


def _without_epochs(state) -> None:
    state["config"].update(schedule_epochs=1)
    del state["config"]["epochs"]


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda s: s["history"].__setitem__(0, {}), "row 1 of its history has no 'epoch'"),
        (lambda s: s["history"].__setitem__(0, "x"), "row 1 of its history must be a dict, got"),
        (lambda s: s["history"][0].update(lr="x"), "has 'lr' 'x', expected a number"),
        (lambda s: s["history"][0].update(epoch=1.0), "has 'epoch' 1.0, expected an int"),
        (_without_epochs, "its settings hold no --epochs"),
        (lambda s: s["config"].pop("seed"), "its settings hold no --seed"),
        (lambda s: s["config"].update(epochs="1"), "'epochs' must be a positive int, got '1'"),
        (
            lambda s: s["config"].update(schedule_epochs=True),
            "'schedule_epochs' must be a positive int, got True",
        ),
    ],
    ids=[
        "empty row",
        "row not a dict",
        "lr a string",
        "epoch a float",
        "no epochs",
        "no seed",
        "epochs a string",
        "schedule a bool",
    ],
)
def test_train_resume_checkpoint_of_a_bad_structure_gives_one_line_and_exit_2(
    capsys, tmp_path, saved_run, edit, message
):
    path = _with_state(tmp_path / "run.npz", saved_run, edit)
    line = _resume_fails_with_one_line(capsys, path)
    assert f"{path}: damaged xpnet checkpoint: " in line and message in line


@pytest.mark.parametrize("checkpoint", [None, "other.npz"])
@pytest.mark.parametrize("resume", ["folder", "missing.npz"])
def test_train_resume_of_no_file_names_it_and_exits_2(capsys, tmp_path, checkpoint, resume):
    (tmp_path / "folder").mkdir()
    argv = [*TINY_TRAIN, "--epochs", "2", "--scheduler", "none", "--resume", str(tmp_path / resume)]
    argv += ["--checkpoint", str(tmp_path / checkpoint)] if checkpoint else []
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    problem = "is a folder, not a checkpoint file" if resume == "folder" else "no such file"
    assert _one_line(capsys.readouterr().err) == (
        f"xpnet train: error: --resume {tmp_path / resume}: {problem}"
    )


def test_train_resume_with_other_settings_gives_one_line_and_exit_2(capsys, tmp_path, saved_run):
    path = tmp_path / "run.npz"
    path.write_bytes(saved_run)
    capsys.readouterr()
    assert main([*TINY_TRAIN, "--seed", "3", "--resume", str(path)]) == 2
    line = _one_line(capsys.readouterr().err)
    assert f"--resume {path}: the checkpoint was saved with --seed 0, this run has 3" in line


def test_train_resume_of_an_intact_copy_continues(capsys, tmp_path, saved_run):
    path = tmp_path / "run.npz"
    path.write_bytes(saved_run)
    assert main([*TINY_TRAIN, "--resume", str(path)]) == 0
    assert f"resumed {path} after epoch 1 of 1" in capsys.readouterr().out


def _epochs_saved(path) -> int:
    return xpnet.train.load_checkpoint(str(path))["epoch"]


def test_train_resume_keeps_writing_the_resumed_checkpoint(capsys, tmp_path):
    path, other = tmp_path / "run.npz", tmp_path / "other.npz"
    step = [*TINY_TRAIN, "--scheduler", "step"]
    assert main([*step, "--checkpoint", str(path)]) == 0
    assert main([*step, "--epochs", "2", "--resume", str(path)]) == 0
    out = capsys.readouterr().out
    assert f"resumed {path} after epoch 1 of 2" in out and f"saved {path}" in out
    assert _epochs_saved(path) == 2
    assert main([*step, "--epochs", "3", "--resume", str(path), "--checkpoint", str(other)]) == 0
    assert (_epochs_saved(path), _epochs_saved(other)) == (2, 3)


@pytest.mark.parametrize("scheduler", ["onecycle", "cosine"])
def test_train_resume_cannot_extend_a_whole_run_schedule(capsys, tmp_path, scheduler):
    path = tmp_path / "run.npz"
    assert main([*TINY_TRAIN, "--scheduler", scheduler, "--checkpoint", str(path)]) == 0
    capsys.readouterr()
    argv = [*TINY_TRAIN, "--scheduler", scheduler, "--epochs", "2", "--resume", str(path)]
    assert main(argv) == 2
    line = _one_line(capsys.readouterr().err)
    assert f"saved with --epochs 1, this run has 2; the {scheduler} learning-rate" in line


def test_train_resume_refuses_fewer_epochs_than_trained(capsys, tmp_path):
    path = tmp_path / "run.npz"
    step = [*TINY_TRAIN, "--scheduler", "none"]
    assert main([*step, "--epochs", "2", "--checkpoint", str(path)]) == 0
    capsys.readouterr()
    assert main([*step, "--epochs", "1", "--resume", str(path)]) == 2
    assert "it has trained 2 epochs already" in _one_line(capsys.readouterr().err)


def test_train_resume_on_another_backend_continues(tmp_path, saved_run):
    # strict exposes no dropout generator state (as CuPy): a checkpoint it saved lacks one
    strict_run = tmp_path / "strict.npz"
    assert main([*TINY_TRAIN, "--backend", "strict", "--checkpoint", str(strict_run)]) == 0
    assert main([*TINY_TRAIN, "--backend", "numpy", "--resume", str(strict_run)]) == 0
    numpy_run = tmp_path / "numpy.npz"
    numpy_run.write_bytes(saved_run)
    assert main([*TINY_TRAIN, "--backend", "strict", "--resume", str(numpy_run)]) == 0
