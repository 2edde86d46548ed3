"""Buffers kernels keep for reuse, and their release: :func:`workspace`,
:func:`register_cache`, :func:`empty_cache` (``xpnet.empty_cache``).

A fresh 100 MB array page-faults on every call, so large temporaries (a convolution's window
copies) live in workspaces, one set per thread and reused call after call. :func:`empty_cache`
releases what is kept: the workspaces of every thread, the caches registered with
:func:`register_cache`, and the backends' memory pools.
"""

from __future__ import annotations

import math
import threading
import weakref

from ..backends._registry import loaded_backends

_workspaces = threading.local()
# every thread's workspaces, so that empty_cache reaches threads other than the caller's (the
# block threads of map_blocks above all), by id; weak, so a finished thread's buffers still go
_every_thread_buffers: weakref.WeakValueDictionary = weakref.WeakValueDictionary()
_registry_lock = threading.Lock()
_caches: list = []  # functools caches that empty_cache clears (register_cache)


class _Buffers(dict):
    """One thread's workspaces by key (a subclass: a plain dict cannot be weakly referenced)."""


def _thread_buffers() -> _Buffers:
    buffers = getattr(_workspaces, "buffers", None)
    if buffers is None:
        buffers = _workspaces.buffers = _Buffers()
        with _registry_lock:
            _every_thread_buffers[id(buffers)] = buffers
    return buffers


def workspace(backend, name: str, shape, dtype):
    """An uninitialised ``shape`` buffer that the next call with the same ``name`` reuses.

    Window copies are large (kH * kW times the input); a fresh one page-faults on every call,
    and reusing one is 10-25 % faster on the CPU. One buffer per (thread, backend, name,
    dtype) is kept, at most the memory budget, until :func:`empty_cache`; callers must not
    return it to the user.
    """
    dtype = backend.xp.dtype(dtype)
    size = math.prod(shape)
    buffers = _thread_buffers()
    key = (backend.name, name, dtype.str)
    buffer = buffers.get(key)
    if buffer is None or buffer.size < size:
        buffers.pop(key, None)  # free the old one before allocating the bigger one
        buffer = buffers[key] = backend.xp.empty(size, dtype=dtype)
    return buffer[:size].reshape(*shape)


def register_cache(function):
    """Have :func:`empty_cache` clear ``function``'s cache; returns ``function``.

    For kernels' ``functools.lru_cache`` functions whose values hold arrays (the Fourier
    transforms of conv2d): registering keeps this module from importing the kernels.

    Raises:
        TypeError: if ``function`` has no ``cache_clear`` (is not a ``functools`` cache).
    """
    if not callable(getattr(function, "cache_clear", None)):
        msg = (
            "register_cache: function must be a functools.lru_cache or functools.cache "
            f"function (with cache_clear), got {function!r}"
        )
        raise TypeError(msg)
    with _registry_lock:
        if function not in _caches:
            _caches.append(function)
    return function


def empty_cache() -> None:
    """Release the memory xpnet keeps for reuse, as ``torch.cuda.empty_cache`` does.

    Drops, in this order: the kernels' workspaces (a convolution's window copies, which can
    reach the memory budget) of **every thread**, not only the caller's: the block threads of
    ``map_blocks`` and any thread that ran a kernel; the values of the caches registered with
    :func:`register_cache` (conv2d's Fourier transforms); then each loaded backend's own
    pool through ``backend.empty_cache()`` (CuPy: the free blocks of its device and pinned
    memory pools, except, as in PyTorch, a block split from an allocation a live array still
    uses; NumPy has none). Arrays still referenced are untouched, and a kernel running
    on another thread meanwhile keeps the buffer it holds until it returns. The next kernel
    calls allocate afresh, so the first of them is slower again.

    Example:
        >>> empty_cache()
    """
    with _registry_lock:
        every_thread = list(_every_thread_buffers.values())
        caches = list(_caches)
    for buffers in every_thread:
        buffers.clear()
    for function in caches:
        function.cache_clear()
    for backend in loaded_backends():
        backend.empty_cache()


def kept_workspace_bytes() -> int:
    """Bytes held by the workspaces of every thread now (what :func:`empty_cache` releases)."""
    with _registry_lock:
        every_thread = list(_every_thread_buffers.values())
    return sum(buffer.nbytes for buffers in every_thread for buffer in list(buffers.values()))
