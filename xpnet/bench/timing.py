"""The timing loop of ``xpnet bench``: repeats interleaved across contenders, under pinned threads.

:func:`time_case` times one case for every contender and adds the ratios to PyTorch and the
GPU speed-ups, and the formula each xpnet row ran (``algorithm``, conv2d's
:func:`xpnet.kernels.select_conv_algorithm`); :func:`run` does so for whole op lists, if asked
under :func:`xpnet.kernels.conv_algorithms`, at a float32 matmul precision, and with the
launch counts of :mod:`xpnet.bench.counts`, and returns the report that
:mod:`xpnet.bench.report` prints, plots and describes.
"""

from __future__ import annotations

import os
import statistics
import time

from threadpoolctl import threadpool_limits

from .. import backends, kernels
from ..backends import float32_matmul_precision, get_float32_matmul_precision
from .cases import MODE_FLOP_FACTOR, OPS, Case
from .contenders import TorchContender, make_contenders
from .counts import add_counts, count_case
from .report import environment, host_memory_setting

# OpenMP (PyTorch) and OpenBLAS (NumPy) worker threads spin for a few ms after each call; a
# contender timed right after another one then shares the cores with them (measured: PyTorch's
# cross-entropy forward 1.2 ms after a pause, 8 ms right after an xpnet call, and the reverse).
# So each contender's turn starts with this pause and one untimed call, which warms the caches
# again, and then times its modes back to back, as a training loop runs them.
SETTLE_S = 0.02


def settle(function) -> None:
    """Start a contender's turn: the pause, then one untimed call of ``function``."""
    time.sleep(SETTLE_S)
    function()


def torch_cuda_reference(precision: str) -> str:
    """The PyTorch CUDA contender that a GPU row is compared with at ``precision``: like for
    like, ``torch-cuda`` (TF32 off) at ``"highest"``, where xpnet's CuPy products are plain
    float32, and ``torch-cuda-tf32`` at ``"high"``/``"medium"``, where they use TF32
    (:mod:`xpnet.backends._precision`). ``CUPY_TF32`` no longer decides: the precision does."""
    return "torch-cuda" if precision == "highest" else "torch-cuda-tf32"


def _torch_reference(row: dict) -> str:
    if row["device"] == "cpu":
        return "torch-cpu"
    # GPU: compare like with like, at the row's precision, else the run's (time_case runs
    # inside it)
    return torch_cuda_reference(row.get("precision") or get_float32_matmul_precision())


def time_case(
    case: Case, contenders: list, dtype: str, repeats: int, warmup: int, echo=print
) -> list[dict]:
    """Time every mode of ``case`` for every contender; repeats are interleaved across them.

    A contender that cannot run the case (PyTorch has no float16 convolution on the CPU, for
    instance, or a conv2d algorithm forced where it cannot run) is reported through ``echo`` and
    left out of this case.
    """
    calls = {}  # contender -> {mode: timed callable}
    peaks, algorithms = {}, {}
    for contender in contenders:
        try:
            prepared = contender.prepare(case, dtype)
        except (RuntimeError, TypeError, ValueError, NotImplementedError, MemoryError) as error:
            echo(f"  {contender.name} skipped: {type(error).__name__}: {error}")
            continue
        if not prepared:  # a floor contender, for an op without a floor
            continue
        calls[contender] = prepared
        algorithms[contender] = contender.algorithm(case, dtype)
        for mode, function in prepared.items():
            peaks[(contender, mode)] = contender.peak_bytes(function)  # the first warm-up call
            for _ in range(warmup - 1):
                function()
    times = {(contender, mode): [] for contender, modes in calls.items() for mode in modes}
    for _ in range(repeats):
        for contender, modes in calls.items():
            settle(next(iter(modes.values())))
            for mode, function in modes.items():
                start = time.perf_counter()
                function()
                times[(contender, mode)].append(time.perf_counter() - start)
    rows = []
    for (contender, mode), samples in times.items():
        quartiles = statistics.quantiles(samples, n=4) if len(samples) > 1 else samples * 3
        median = statistics.median(samples)
        flops = case.flops * MODE_FLOP_FACTOR[mode]
        rows.append(
            {
                "op": case.op,
                "shape": list(case.shape),
                "mode": mode,
                "contender": contender.name,
                "device": contender.device,
                "median_s": median,
                "q1_s": quartiles[0],
                "q3_s": quartiles[-1],
                "min_s": min(samples),
                "repeats": len(samples),
                "gflops_per_s": flops / median / 1e9,
                "peak_bytes": peaks[(contender, mode)],
                "algorithm": algorithms[contender],
            }
        )
        if getattr(contender, "precision", None):  # a variant at a precision of its own
            rows[-1]["precision"] = contender.precision
    _add_ratios(rows)
    return rows


_CPU_TWINS = {"xpnet-cupy": "xpnet-numpy", "floor-cupy": "floor-numpy", "torch-cuda": "torch-cpu"}


def _cpu_twin(row: dict) -> str | None:
    """The CPU contender a GPU row is compared with, at the same precision
    (``xpnet-cupy-high``: ``xpnet-numpy-high``)."""
    suffix = f"-{row['precision']}" if row.get("precision") else ""
    twin = _CPU_TWINS.get(row["contender"].removesuffix(suffix))
    return twin and twin + suffix


def _add_ratios(rows: list[dict]) -> None:
    """Add ``time_over_torch`` (same device) and ``gpu_speedup`` (CPU time / GPU time)."""
    median = {(r["mode"], r["contender"]): r["median_s"] for r in rows}
    for row in rows:
        reference = median.get((row["mode"], _torch_reference(row)))
        row["time_over_torch"] = None if reference is None else row["median_s"] / reference
        cpu_twin = _cpu_twin(row)
        cpu_time = median.get((row["mode"], cpu_twin))
        row["gpu_speedup"] = None if cpu_time is None else cpu_time / row["median_s"]


def pin_threads(stack, threads: int, contenders: list) -> str:
    """Give every contender ``threads`` threads for the run; return a sentence saying how."""
    stack.callback(backends.set_num_threads, backends.get_num_threads())
    backends.set_num_threads(threads)
    stack.enter_context(threadpool_limits(limits=threads))
    how = ["xpnet.set_num_threads for xpnet's blocks", "threadpoolctl for NumPy's BLAS"]
    if any(isinstance(c, TorchContender) for c in contenders):
        import torch

        previous = torch.get_num_threads()
        torch.set_num_threads(threads)
        stack.callback(torch.set_num_threads, previous)
        how.append("torch.set_num_threads")
    return f"threads: {threads} per contender ({', '.join(how)})"


def run(
    backends: list[str],
    ops: list[str],
    shapes: dict[str, list[tuple[int, ...]]] | None = None,
    dtype: str = "float32",
    threads: int | None = None,
    quick: bool = False,
    repeats: int | None = None,
    warmup: int = 1,
    command: str = "",
    echo=print,
    floor: bool = False,
    conv_algorithms: list[str] | None = None,
    count: bool = False,
    precision: str | list[str] | None = None,
) -> dict:
    """Benchmark ``ops`` on ``backends``; print progress and the table; return the report.

    ``shapes`` maps an op to its shapes (default: the op's standard, or ``--quick``, shapes);
    ``floor`` adds each xpnet backend's :class:`~xpnet.bench.floors.FloorContender`;
    ``conv_algorithms`` (names of :class:`xpnet.kernels.ConvAlgorithm`) runs every case under
    :func:`xpnet.kernels.conv_algorithms`: the only conv2d formulas xpnet and its floor may
    use (one name forces it; a case it cannot run is skipped for them); ``count`` adds each
    case's launch counts (:mod:`xpnet.bench.counts`); ``precision`` runs everything under
    :func:`xpnet.float32_matmul_precision` (default: the current setting). A list of
    precisions runs at the first, and times each xpnet backend at the others too, in the same
    run (contenders ``xpnet-<backend>-<precision>``, rows with a ``precision`` field).
    """
    import contextlib

    precisions = [precision] if isinstance(precision, str) else list(precision or [])
    precision = precisions[0] if precisions else get_float32_matmul_precision()
    others = tuple(p for p in dict.fromkeys(precisions) if p != precision)
    threads = threads or len(os.sched_getaffinity(0))
    repeats = repeats or (5 if quick else 7)
    contenders, unavailable = make_contenders(backends, floor=floor, precisions=others)
    for name, reason in unavailable.items():
        echo(f"{name}: {reason}")
    if not contenders:
        msg = f"no backend of {', '.join(backends)} can run here"
        raise RuntimeError(msg)
    rows = []
    with contextlib.ExitStack() as stack:
        echo(pin_threads(stack, threads, contenders))
        stack.enter_context(float32_matmul_precision(precision))
        echo(f"float32 matmul precision: {precision} (GPU rows: TF32 {_tf32_text(precision)})")
        if conv_algorithms:
            stack.enter_context(kernels.conv_algorithms(conv_algorithms))
            echo(f"conv2d algorithms: {', '.join(conv_algorithms)}")
        echo(f"host memory: {host_memory_setting()}")
        for name in ops:
            op = OPS[name]
            for shape in (shapes or {}).get(name) or (op.quick if quick else op.shapes):
                echo(f"{name} {','.join(map(str, shape))} ...")
                case = op.case(shape)
                case_rows = time_case(case, contenders, dtype, repeats, warmup, echo)
                if count:
                    add_counts(case_rows, count_case(case, dtype, echo))
                rows += case_rows
    return {
        "environment": environment(threads, contenders, command),
        "settings": {
            "dtype": dtype,
            "repeats": repeats,
            "warmup": warmup,
            "quick": quick,
            "floor": floor,
            "conv_algorithms": list(conv_algorithms) if conv_algorithms else None,
            "count": count,
            "float32_matmul_precision": precision,
            "other_precisions": list(others),  # of the xpnet-<backend>-<precision> rows
            # whether xpnet's CuPy float32 products used TF32, and the like-for-like reference
            "tf32": precision != "highest",
            "torch_cuda_reference": torch_cuda_reference(precision),
        },
        "unavailable": unavailable,
        "results": rows,
    }


def _tf32_text(precision: str) -> str:
    on = precision != "highest"
    return f"{'on' if on else 'off'}, compared with {torch_cuda_reference(precision)}"
