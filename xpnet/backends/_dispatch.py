"""Dispatch on arrays and moving them between backends: :func:`backend_of`, :func:`to_backend`.

Kernels do not use the current backend: they run on the backend of the arrays they receive, so
a CuPy array runs on CuPy whatever the default. Which backend owns an array comes from the
registry (:func:`._registry.backend_name_of`), without importing any backend's library.
"""

from __future__ import annotations

from types import ModuleType

from ._registry import backend_name_of, get_backend, load_backend

__all__ = ["backend_of", "to_backend"]


def backend_of(*arrays, names: tuple[str, ...] | None = None, where: str = "xpnet") -> ModuleType:
    """The backend owning ``arrays`` (``None`` entries are skipped).

    With no arrays it returns the current backend. Python scalars are not arrays.

    Raises:
        TypeError: if an entry is not an array of a known backend, or arrays of different
            backends are mixed. ``names`` (the argument names) and ``where`` (the function)
            make the message say which argument is at fault.

    Example:
        >>> backend_of(xp.ones(2)).name
        'numpy'
    """
    found = None
    names = names or tuple(f"argument {i}" for i in range(len(arrays)))
    for arg_name, array in zip(names, arrays, strict=True):
        if array is None:
            continue
        backend_name = backend_name_of(array)
        # the array libraries define non-arrays too (dtypes, generators): those have no shape
        if backend_name is None or not hasattr(array, "shape"):
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
    source_name = backend_name_of(x)
    if source_name == target.name:
        return x
    if source_name is not None:
        x = load_backend(source_name).to_host(x)
    return target.asarray(x)
