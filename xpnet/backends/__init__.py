"""Backend selection, dispatch on arrays, and moving arrays between backends.

``XPNET_BACKEND`` (``numpy`` | ``strict`` | ``cupy``) is read here and nowhere else, once, the
first time a backend is needed. :func:`set_backend` and :func:`use_backend` change it later.
Kernels do not use the current backend: they dispatch on the arrays they receive
(:func:`backend_of`), so a CuPy array runs on CuPy whatever the default.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import threading
from types import ModuleType

from ._host_memory import is_freed_host_memory_kept, keep_freed_host_memory

# One line per backend: adding a backend is one file and one line here.
_REGISTRY = {
    "numpy": "xpnet.backends.numpy_backend",
    "strict": "xpnet.backends.strict_backend",
    "cupy": "xpnet.backends.cupy_backend",
}
# The top-level package of each backend's array type, to dispatch without importing CuPy.
_ARRAY_PACKAGES = {"numpy": "numpy", "xpnet": "strict", "cupy": "cupy"}

_state = threading.local()
_default: ModuleType | None = None

__all__ = [
    "available_backends",
    "backend_of",
    "get_backend",
    "host_sync_forbidden",
    "is_freed_host_memory_kept",
    "keep_freed_host_memory",
    "load_backend",
    "get_num_threads",
    "memory_budget",
    "set_memory_budget",
    "set_num_threads",
    "set_backend",
    "to_backend",
    "use_backend",
]


def load_backend(name: str) -> ModuleType:
    """Import and return the backend module called ``name``.

    Raises:
        ValueError: if ``name`` is not a registered backend.
        ImportError: if the backend cannot run here (CuPy missing, no GPU), with the fix.
    """
    if name not in _REGISTRY:
        choices = ", ".join(repr(key) for key in _REGISTRY)
        msg = f"{name!r} is not a backend; choose one of {choices}"
        raise ValueError(msg)
    return importlib.import_module(_REGISTRY[name])


def available_backends() -> list[str]:
    """Names of the backends that load on this machine (``cupy`` needs a GPU)."""
    names = []
    for name in _REGISTRY:
        try:
            load_backend(name)
        except ImportError:
            continue
        names.append(name)
    return names


def get_backend() -> ModuleType:
    """The current backend: the innermost :func:`use_backend`, else the default."""
    stack = getattr(_state, "stack", None)
    if stack:
        return stack[-1]
    global _default
    if _default is None:
        name = os.environ.get("XPNET_BACKEND", "numpy").strip().lower() or "numpy"
        try:
            _default = load_backend(name)
        except ValueError as error:
            msg = f"XPNET_BACKEND={name!r}: {error}"
            raise ValueError(msg) from None
    return _default


def set_backend(name: str) -> ModuleType:
    """Make ``name`` the default backend for new arrays, layers and data loaders."""
    global _default
    _default = load_backend(name)
    return _default


@contextlib.contextmanager
def use_backend(name: str):
    """Use backend ``name`` inside a ``with`` block (per thread); yields the backend.

    Example:
        >>> import xpnet
        >>> with xpnet.use_backend("strict") as backend:
        ...     backend.name
        'strict'
    """
    backend = load_backend(name)
    stack = _state.__dict__.setdefault("stack", [])
    stack.append(backend)
    try:
        yield backend
    finally:
        stack.pop()


def _backend_name_of(array) -> str | None:
    package = type(array).__module__.partition(".")[0]
    return _ARRAY_PACKAGES.get(package)


def backend_of(*arrays, names: tuple[str, ...] | None = None, where: str = "xpnet") -> ModuleType:
    """The backend owning ``arrays`` (``None`` entries are skipped).

    With no arrays it returns the current backend. Python scalars are not arrays.

    Raises:
        TypeError: if an entry is not an array of a known backend, or arrays of different
            backends are mixed. ``names`` (the argument names) and ``where`` (the function)
            make the message say which argument is at fault.
    """
    found = None
    names = names or tuple(f"argument {i}" for i in range(len(arrays)))
    for arg_name, array in zip(names, arrays, strict=True):
        if array is None:
            continue
        backend_name = _backend_name_of(array)
        if backend_name is None or backend_name == "numpy" and not hasattr(array, "shape"):
            msg = f"{where}: {arg_name} must be an array, got {type(array).__name__}"
            raise TypeError(msg)
        if found is None:
            found = (arg_name, backend_name)
        elif found[1] != backend_name:
            msg = (
                f"{where}: all arrays must be on one backend, got {found[0]} on {found[1]} "
                f"and {arg_name} on {backend_name}; move them with xpnet.to_backend(x, name)"
            )
            raise TypeError(msg)
    if found is None:
        return get_backend()
    return load_backend(found[1])


def to_backend(x, name: str | None = None):
    """Copy array ``x`` (any backend, or host data) onto backend ``name`` (default: current).

    Example:
        >>> import numpy as np, xpnet
        >>> y = xpnet.to_backend(np.ones(3), "strict")
        >>> type(xpnet.to_backend(y, "numpy")).__name__
        'ndarray'
    """
    target = get_backend() if name is None else load_backend(name)
    source_name = _backend_name_of(x)
    if source_name == target.name:
        return x
    if source_name is not None:
        x = load_backend(source_name).to_host(x)
    return target.asarray(x)


_memory_budget: int | None = None
_num_threads: int | None = None


def set_num_threads(threads: int | None) -> None:
    """Threads for the CPU's block-parallel elementwise work (``None``: the usable cores).

    Like ``torch.set_num_threads``: NumPy runs each elementwise call on one core, so kernels
    cut their work into blocks and the numpy backend spreads the blocks over this many
    threads (``map_blocks``). conv2d and linear give each thread a chunk of the batch and
    run BLAS single-threaded meanwhile; BLAS calls outside xpnet keep their own thread count
    (threadpoolctl sets it).
    """
    global _num_threads
    if threads is not None and (not isinstance(threads, int) or threads < 1):
        msg = f"set_num_threads: threads must be a positive int or None, got {threads!r}"
        raise ValueError(msg)
    _num_threads = threads


def get_num_threads() -> int:
    """The thread count of :func:`set_num_threads`, by default the cores this process may use."""
    if _num_threads is not None:
        return _num_threads
    usable = getattr(os, "sched_getaffinity", None)
    return len(usable(0)) if usable else os.cpu_count() or 1


def set_memory_budget(nbytes: int | None) -> None:
    """Cap the temporaries one kernel call may allocate (``None``: a quarter of free memory).

    Kernels whose window copies exceed the budget process the batch in chunks, with identical
    results; if one sample alone exceeds it they raise ``MemoryError``.
    """
    global _memory_budget
    if nbytes is not None and nbytes <= 0:
        msg = f"set_memory_budget: nbytes must be positive or None, got {nbytes}"
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
    depth = getattr(_state, "sync_forbidden", 0)
    _state.sync_forbidden = depth + 1
    try:
        yield
    finally:
        _state.sync_forbidden = depth


def is_host_sync_forbidden() -> bool:
    """True inside :func:`host_sync_forbidden` (the strict backend asks this)."""
    return getattr(_state, "sync_forbidden", 0) > 0
