"""Runtime knobs that hold for every backend: thread count, memory budget, host-sync guard.

They are settings of the process (threads, budget) or of the calling thread (the guard), not of
a backend, so they live apart from the registry (:mod:`._registry`). The numpy backend reads the
thread count (``map_blocks``), the kernels the budget (:mod:`xpnet.kernels._blocks`), and the
strict backend the guard (:mod:`.strict`). :mod:`._host_memory` holds the allocator setting;
``xpnet.backends`` re-exports the public names.
"""

from __future__ import annotations

import contextlib
import numbers
import os
import threading
from types import ModuleType

__all__ = [
    "get_num_threads",
    "host_sync_forbidden",
    "is_host_sync_forbidden",
    "memory_budget",
    "num_threads_setting",
    "set_memory_budget",
    "set_num_threads",
]

_num_threads: int | None = None
_memory_budget: int | None = None
_guard = threading.local()  # per thread: a kernel on one thread must not forbid syncs on another


def set_num_threads(threads: int | None) -> None:
    """Threads for the CPU's block-parallel elementwise work (``None``: the usable cores).

    Like ``torch.set_num_threads``: NumPy runs each elementwise call on one core, so kernels
    cut their work into blocks and the numpy backend spreads the blocks over this many
    threads (``map_blocks``). conv2d and linear give each thread a chunk of the batch and
    run BLAS single-threaded meanwhile; BLAS calls outside xpnet keep their own thread count
    (threadpoolctl sets it).
    """
    global _num_threads
    counts = isinstance(threads, int) and not isinstance(threads, bool)  # torch refuses True
    if threads is not None and (not counts or threads < 1):
        msg = f"set_num_threads: threads must be a positive int or None, got {threads!r}"
        raise ValueError(msg)
    _num_threads = threads


def num_threads_setting() -> int | None:
    """What :func:`set_num_threads` was given last (``None``: the default), to restore it later."""
    return _num_threads


def get_num_threads() -> int:
    """The thread count of :func:`set_num_threads`, by default the cores this process may use."""
    if _num_threads is not None:
        return _num_threads
    usable = getattr(os, "sched_getaffinity", None)
    return len(usable(0)) if usable else os.cpu_count() or 1


def set_memory_budget(nbytes: int | None) -> None:
    """Cap the temporaries one kernel call may allocate (``None``: a quarter of free memory,
    which on the CPU is read again at most every half second).

    Kernels whose temporaries exceed the budget process the batch in chunks of at most 8 MiB
    on the CPU, fewer of them at once under a smaller budget: results are bit-identical for
    any budget from 8 MiB (64 MiB for the opt-in Fourier formula, 256 MiB on a GPU), and
    differ within float rounding below. If one sample alone exceeds the budget they raise
    ``MemoryError``.

    Args:
        nbytes: a positive whole number of bytes (a Python or NumPy int), or ``None`` for the
            default. Floats (``0.5``, ``1e9``, ``inf``), strings and bools are refused rather
            than rounded: a budget of ``0.5`` bytes is a mistake, not a request.

    Raises:
        TypeError: if ``nbytes`` is neither an int nor ``None``.
        ValueError: if ``nbytes`` is not positive.

    Example:
        >>> set_memory_budget(2**30); set_memory_budget(None)
    """
    global _memory_budget
    if nbytes is not None and (
        isinstance(nbytes, bool) or not isinstance(nbytes, numbers.Integral)
    ):
        msg = (
            "set_memory_budget: nbytes must be a positive int (bytes) or None for the default, "
            f"got {nbytes!r} of type {type(nbytes).__name__}"
        )
        raise TypeError(msg)
    if nbytes is not None and nbytes <= 0:
        msg = f"set_memory_budget: nbytes must be a positive int (bytes) or None, got {nbytes}"
        raise ValueError(msg)
    _memory_budget = None if nbytes is None else int(nbytes)


def memory_budget(backend: ModuleType) -> int:
    """Bytes of temporaries a kernel call on ``backend`` may allocate."""
    if _memory_budget is not None:
        return _memory_budget
    return backend.free_memory() // 4


@contextlib.contextmanager
def host_sync_forbidden():
    """Inside kernels, an implicit device-to-host copy (``float(x)``, ``if x:``) is an error.

    NumPy ignores this; the strict backend raises, because on CuPy each such copy stalls the
    GPU. Explicit copies (``backend.to_host``) stay allowed.
    """
    depth = getattr(_guard, "depth", 0)
    _guard.depth = depth + 1
    try:
        yield
    finally:
        _guard.depth = depth


def is_host_sync_forbidden() -> bool:
    """True inside :func:`host_sync_forbidden` (the strict backend asks this)."""
    return getattr(_guard, "depth", 0) > 0
