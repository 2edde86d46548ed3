"""Host memory that NumPy frees, kept by the C allocator for reuse instead of returned to the OS.

glibc's ``malloc`` serves large requests (from 128 KiB, a threshold that grows up to 32 MiB)
with fresh ``mmap`` pages and unmaps them on ``free``; the next array of that size takes a
page fault on every 4 KiB page as it is first written. A training step allocates its
activations and gradients afresh each time and pays those faults on every step (measured in
docs/performance.md). CuPy's memory pool avoids the same cost on the GPU.
"""

from __future__ import annotations

import ctypes
import ctypes.util

# glibc's <malloc.h>
_M_TRIM_THRESHOLD = -1
_M_MMAP_MAX = -4
_C_INT_MAX = 2**31 - 1

_kept = False


def keep_freed_host_memory() -> bool:
    """From now on, let the C allocator keep freed memory for reuse; ``True`` if it took effect.

    Sets glibc's ``mallopt(M_MMAP_MAX, 0)`` (large arrays come from the heap, not from
    ``mmap``) and ``mallopt(M_TRIM_THRESHOLD, 2**31 - 1)`` (free memory at the top of the heap
    is not returned to the OS below 2 GiB), for the whole process. Reusing memory avoids a
    page fault per 4 KiB page on every fresh array; the cost is that the process keeps the
    memory of its peak. It cannot be undone within the process. ``xpnet train`` and
    ``xpnet bench`` call it at start. Returns ``False``, changing nothing, where the C library
    has no ``mallopt`` (macOS, Windows, musl).

    Example:
        >>> import xpnet
        >>> xpnet.keep_freed_host_memory()  # doctest: +SKIP
        True
    """
    global _kept
    if _kept:
        return True
    try:
        mallopt = ctypes.CDLL(ctypes.util.find_library("c")).mallopt
    except (OSError, AttributeError, TypeError):
        return False
    mallopt.argtypes, mallopt.restype = (ctypes.c_int, ctypes.c_int), ctypes.c_int
    # mallopt returns 1 on success
    _kept = bool(mallopt(_M_MMAP_MAX, 0)) and bool(mallopt(_M_TRIM_THRESHOLD, _C_INT_MAX))
    return _kept


def is_freed_host_memory_kept() -> bool:
    """Whether :func:`keep_freed_host_memory` took effect in this process."""
    return _kept
