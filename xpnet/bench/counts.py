"""The launch counts of ``xpnet bench --count``: each case's modes, run once on strict.

:func:`count_case` runs a case's forward, backward and forward+backward on the strict backend
under :func:`xpnet.profile`, where its counts stand for CuPy's (see
:mod:`xpnet.backends._profile`): kernel launches, copies each way and syncs per call, the
``synchronize`` that ends every timed call included. :func:`add_counts` puts them on the xpnet
rows of :func:`xpnet.bench.timing.time_case` (they count xpnet's formulation, whichever backend
runs it) and PyTorch's CUDA kernel counts on the ``torch-cuda`` rows where
:data:`TORCH_CUDA_KERNELS` knows them. The contenders are in :mod:`xpnet.bench.contenders`.
"""

from __future__ import annotations

from ..backends._profile import Counts, profile
from .cases import Case
from .contenders import XpnetContender

__all__ = ["COUNT_FIELDS", "TORCH_CUDA_KERNELS", "add_counts", "count_case"]

COUNT_FIELDS = ("launches", "host_to_device", "device_to_host", "syncs")
# PyTorch's CUDA kernels per call, {(op, shape, mode): kernels}, measured with torch.profiler
# on a GPU. Empty: no GPU has measured them yet, and numbers from memory would be guesses.
TORCH_CUDA_KERNELS: dict[tuple[str, tuple[int, ...], str], int] = {}
_FAILURES = (RuntimeError, TypeError, ValueError, NotImplementedError, MemoryError)


def count_case(case: Case, dtype: str, echo=print) -> dict[str, Counts]:
    """``{mode: Counts}`` of one call of each mode of ``case`` on strict (in CuPy's blocks);
    ``{}`` if strict cannot run it (the reason goes to ``echo``).

    Each mode is called once before it is counted: a first call may fill caches (workspaces,
    plans) that later calls reuse, and a benchmark times the later calls.
    """
    contender = XpnetContender("strict")
    counts = {}
    try:
        with profile(contender.backend):  # CuPy's blocks for the set-up too
            for mode, function in contender.prepare(case, dtype).items():
                function()
                with profile(contender.backend) as counted:
                    function()
                counts[mode] = counted.total()
    except _FAILURES as error:
        echo(f"  launch count skipped: {type(error).__name__}: {error}")
        return {}
    return counts


def add_counts(rows: list[dict], counts: dict[str, Counts]) -> None:
    """Add ``launches``, ``host_to_device``, ``device_to_host`` and ``syncs`` to every row:
    ``counts`` on xpnet's rows, :data:`TORCH_CUDA_KERNELS` launches on PyTorch's CUDA rows
    where known, ``None`` elsewhere."""
    for row in rows:
        values = dict.fromkeys(COUNT_FIELDS)
        name = row["contender"]
        if name.startswith("xpnet-") and row["mode"] in counts:
            values = {field: getattr(counts[row["mode"]], field) for field in COUNT_FIELDS}
        elif name.startswith("torch-cuda"):
            key = (row["op"], tuple(row["shape"]), row["mode"])
            values["launches"] = TORCH_CUDA_KERNELS.get(key)
        row.update(values)
