"""What ``xpnet bench`` reports besides the timings: the environment, a text table (with the
conv2d formula each xpnet row ran, and with ``--count`` the launches of
:mod:`xpnet.bench.counts`), a PNG chart.

The rows come from :func:`xpnet.bench.timing.time_case`; threadpoolctl, torch, CuPy and
matplotlib are imported only when the run or the output needs them.
"""

from __future__ import annotations

import math
import os
import time

import numpy
from threadpoolctl import threadpool_info

from ..backends import is_freed_host_memory_kept, load_backend


def environment(threads: int, contenders: list, command: str) -> dict:
    """The machine, library versions and settings a result depends on."""
    import platform

    from .. import __version__

    info = {
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "command": command,
        "machine": platform.machine(),
        "processor": platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "numpy": numpy.__version__,
        "xpnet": __version__,
        "threads": threads,
        "host_memory": host_memory_setting(),
    }
    info["blas"] = sorted({_library_text(library) for library in threadpool_info()})
    settings = [f"{name}={os.environ[name]}" for name in _BLAS_VARIABLES if name in os.environ]
    if settings:
        info["blas_settings"] = settings
    names = {c.name for c in contenders}
    if any(name.startswith("torch") for name in names):
        import torch

        info["torch"] = torch.__version__
        if torch.cuda.is_available():
            info["torch_cuda"] = torch.version.cuda  # GPU
            info["torch_device"] = torch.cuda.get_device_name()
    if "xpnet-cupy" in names:
        info.update(_cupy_environment())
    return info


# Environment variables that choose OpenBLAS's kernels: a pinned core type runs other
# kernels (AVX2 ones on an AVX-512 CPU: products 1.2-2.1x slower on a Zen 5 VM, 2026-12-07)
_BLAS_VARIABLES = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")


def _library_text(library: dict) -> str:
    """A threadpoolctl library as ``"<api> <version> (<kernels' architecture>)"``."""
    text = f"{library['internal_api']} {library['version']}"
    architecture = library.get("architecture")
    return f"{text} ({architecture})" if architecture else text


def host_memory_setting() -> str:
    """What happens to freed host memory: a fresh array costs a page fault per 4 KiB unless
    freed memory is kept for reuse (:func:`xpnet.keep_freed_host_memory`)."""
    if is_freed_host_memory_kept():
        return "freed memory kept for reuse (glibc mallopt)"
    return "C allocator default"


def _cupy_environment() -> dict:
    # GPU: what a CuPy result depends on, and the memory pool's high-water mark so far
    import cupy

    return {
        "cupy": cupy.__version__,
        "cuda_runtime": cupy.cuda.runtime.runtimeGetVersion(),
        "gpu": load_backend("cupy").device_name(),
        "CUPY_TF32": os.environ.get("CUPY_TF32", "0"),
        "CUPY_ACCELERATORS": os.environ.get("CUPY_ACCELERATORS", ""),
        "cupy_pool_total_bytes": cupy.get_default_memory_pool().total_bytes(),
    }


def _counts_cells(row: dict) -> str:
    """``launches`` and ``to device/to host/syncs`` of a row of ``xpnet bench --count``."""
    launches = "-" if row.get("launches") is None else row["launches"]
    fields = ("host_to_device", "device_to_host", "syncs")
    moves = "/".join("-" if row.get(f) is None else str(row[f]) for f in fields)
    return f" {launches:>8} {moves:>12}"


def format_table(rows: list[dict]) -> str:
    """The results as a fixed-width text table (with ``--count``: launches, and copies to the
    device, to the host and syncs, per call)."""
    counted = any("launches" in r for r in rows)
    header = (
        f"{'op':<13} {'shape':<22} {'mode':<16} {'contender':<16} {'median ms':>10} "
        f"{'±IQR':>6} {'GFLOP/s':>8} {'time/torch':>10} {'GPU x':>6} {'peak MiB':>9} "
        f"{'algorithm':<14}"
    )
    if counted:
        header += f" {'launches':>8} {'h2d/d2h/sync':>12}"
    lines = [header, "-" * len(header)]
    for r in rows:
        spread = (r["q3_s"] - r["q1_s"]) / 2 / r["median_s"] * 100
        ratio = "-" if r["time_over_torch"] is None else f"{r['time_over_torch']:.2f}"
        speedup = "-" if r["gpu_speedup"] is None else f"{r['gpu_speedup']:.1f}"
        peak = "-" if r["peak_bytes"] is None else f"{r['peak_bytes'] / 2**20:.1f}"
        shape = ",".join(str(n) for n in r["shape"])
        algorithm = r.get("algorithm") or "-"  # reports saved before the field have none
        lines.append(
            f"{r['op']:<13} {shape:<22} {r['mode']:<16} {r['contender']:<16} "
            f"{r['median_s'] * 1e3:>10.3f} {spread:>5.1f}% {r['gflops_per_s']:>8.2f} "
            f"{ratio:>10} {speedup:>6} {peak:>9} {algorithm:<14}"
            + (_counts_cells(r) if counted else "")
        )
    return "\n".join(line.rstrip() for line in lines)


def plot(rows: list[dict], path: str, title: str | None = None) -> None:
    """A PNG chart of median times: one panel per mode, one row of bars per case, one bar per
    contender (horizontal, log scale), so that the case labels stay readable for any count.
    ``title`` heads the figure (default: what is plotted, and that shorter is faster)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import NullFormatter

    cases = list(dict.fromkeys((r["op"], tuple(r["shape"])) for r in rows))
    modes = list(dict.fromkeys(r["mode"] for r in rows))
    names = list(dict.fromkeys(r["contender"] for r in rows))
    median = {(r["op"], tuple(r["shape"]), r["mode"], r["contender"]): r["median_s"] for r in rows}
    height = 0.8 / len(names)
    figure, panels = plt.subplots(
        1,
        len(modes),
        figsize=(4.5 * len(modes), 1.2 + 0.15 * len(cases) * len(names)),
        sharey=True,
        squeeze=False,
    )
    for mode, axes in zip(modes, panels[0], strict=True):
        shortest = math.inf
        for i, name in enumerate(names):
            widths = [median.get((op, shape, mode, name), 0) * 1e3 for op, shape in cases]
            axes.barh([j + i * height for j in range(len(cases))], widths, height, label=name)
            shortest = min([shortest, *(width for width in widths if width > 0)])
        axes.set_xscale("log")
        # start at a power of ten: every panel then shows a labelled tick, even a narrow one
        axes.set_xlim(left=10 ** math.floor(math.log10(shortest)))
        axes.xaxis.set_minor_formatter(NullFormatter())
        axes.set_xlabel("median time per call (ms, log scale)")
        axes.set_title(mode)
    labels = [f"{op} {','.join(map(str, shape))}" for op, shape in cases]
    first = panels[0][0]
    first.set_yticks([j + 0.4 - height / 2 for j in range(len(cases))], labels, fontsize=7)
    first.invert_yaxis()  # the first case on top, as in the printed table
    first.set_ylabel("case (op and shape)")
    first.legend(fontsize=7)
    figure.suptitle(
        title or "xpnet bench: median time per call by case and contender (shorter is faster)"
    )
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)
