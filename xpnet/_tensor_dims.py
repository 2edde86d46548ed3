"""Dimension, shape and index arguments as PyTorch takes them: ``dim`` in ``[-ndim, ndim)``,
a list of distinct dims, every dim for a reduction, a shape to reshape to, an index.

Every Tensor method that takes a ``dim`` checks it here, so that an int out of range is
PyTorch's IndexError naming the method (NumPy's ``AxisError`` never leaks), a float or a
string PyTorch's TypeError, and a 0-d tensor takes dims 0 and -1 as PyTorch's does.
:mod:`xpnet._tensor_math` re-exports these names for the modules that import them there.

Example:
    >>> check_dim("sum", -1, 2), distinct_dims("sum", (0, -1), 3)
    (1, (0, 2))
    >>> reduction_dims("sum", (), (2, 3)) is None  # every dim
    True
"""

from __future__ import annotations

import math
import warnings

import numpy

from .kernels import ArgumentError, UnsupportedDtypeError
from .kernels._checks import as_index, check_int

__all__ = [
    "check_dim",
    "check_index_reduction",
    "distinct_dims",
    "reduction_dims",
    "shape_argument",
    "torch_index",
]


def check_dim(where: str, dim, ndim: int) -> int:
    """``dim`` in ``[0, ndim)``, from PyTorch's ``[-ndim, ndim)``; a 0-d tensor takes -1 and 0."""
    size, given = max(ndim, 1), dim
    dim = as_index(dim)  # an int, a NumPy integer, a one-element integer Tensor (not a bool)
    if dim is None:
        msg = f"Tensor.{where}: dim must be an int, got {given!r}"
        raise TypeError(msg)
    if not -size <= dim < size:
        msg = (
            f"Tensor.{where}: dim must be in [{-size}, {size - 1}] for a {ndim}-d tensor, got {dim}"
        )
        raise IndexError(msg)
    return dim % size


def check_index_reduction(where: str, dtype, shape: tuple, dim) -> None:
    """PyTorch's checks of ``argmax``/``argmin`` along ``dim`` (``None``: every element): no
    bools (its RuntimeError), ``dim`` in range, and an element to pick (its IndexError, not
    NumPy's ValueError)."""
    if dtype.kind == "b":
        raise UnsupportedDtypeError(f"Tensor.{where}: does not support bool input")
    along = "the flattened tensor" if dim is None else f"dim {dim}"
    dim = None if dim is None else check_dim(where, dim, len(shape))
    if (math.prod(shape) if dim is None or not shape else shape[dim]) == 0:
        raise IndexError(f"Tensor.{where}: {along} has no elements to pick from")


def distinct_dims(where: str, dim, ndim: int) -> tuple:
    """``dim`` (an int, or a tuple or list of them) as a tuple of dims in ``[0, ndim)``.

    Raises:
        TypeError, IndexError: a dim that is not an int, or out of range.
        ArgumentError: a dim listed twice.
    """
    listed = tuple(dim) if isinstance(dim, tuple | list) else (dim,)
    dims = tuple(check_dim(where, d, ndim) for d in listed)
    if len(set(dims)) < len(dims):
        msg = f"Tensor.{where}: dim must name each dimension at most once, got {dim}"
        raise ArgumentError(msg)
    return dims


def reduction_dims(where: str, dim, shape: tuple, nonempty: bool = False):
    """``dim`` (an int, a sequence, or ``None``/``()`` for every dimension) as a tuple of dims
    in ``[0, ndim)``, or ``None`` for every dimension. ``nonempty``: refuse to reduce a
    dimension of size 0 (max and min have no value there, as in PyTorch)."""
    every = dim is None or (isinstance(dim, tuple | list) and not dim)
    dims = () if every else distinct_dims(where, dim, len(shape))
    if not shape:  # 0-d: one element, every dim names all of it
        return None
    empty = [d for d in (range(len(shape)) if every else dims) if shape[d] == 0]
    if nonempty and empty:
        msg = f"Tensor.{where}: cannot reduce dimension {empty[0]} of size 0 (shape {shape})"
        raise IndexError(msg)
    return None if every else dims


def shape_argument(where: str, shape: tuple) -> tuple:
    """``shape`` given as ints or one sequence (``reshape(2, -1)``, ``view((2, 2))``), each an
    int or a one-element integer Tensor, as PyTorch's parser: a float or a bool is its
    TypeError, a bool Tensor, a size below -1 or a second -1 its RuntimeError (here an
    ArgumentError), naming ``where``.

    Example:
        >>> shape_argument("Tensor.view", ((2, -1),))
        (2, -1)
    """
    shape = shape[0] if len(shape) == 1 and isinstance(shape[0], tuple | list) else shape
    if any(getattr(getattr(n, "dtype", None), "kind", "") == "b" for n in shape):
        msg = f"{where}: shape must hold integers, got a bool tensor in {shape!r}"
        raise ArgumentError(msg)
    shape = tuple(check_int(where, "shape", n) for n in shape)
    for i, n in enumerate(shape):
        if n < -1:  # NumPy takes any negative size as -1
            msg = f"{where}: invalid shape dimension {n} at index {i} of shape {list(shape)}"
            raise ArgumentError(msg)
    if shape.count(-1) > 1:
        raise ArgumentError(f"{where}: only one dimension can be inferred, got {list(shape)}")
    return shape


def torch_index(index, warn: bool = True):
    """``index`` (of arrays, numbers, slices) as PyTorch reads it where NumPy reads it
    otherwise: a uint8 array is a mask (PyTorch's deprecated form; ``warn``: its warning),
    not integers, and a slice step below 1 is PyTorch's ``ValueError`` (NumPy reverses).

    Example:
        >>> torch_index((slice(None), numpy.array([1, 0], dtype=numpy.uint8)), warn=False)
        (slice(None, None, None), array([ True, False]))
    """
    parts = index if isinstance(index, tuple) else (index,)
    if any(isinstance(part, slice) and part.step is not None and part.step < 1 for part in parts):
        raise ValueError("step must be greater than zero")
    if not any(getattr(part, "dtype", None) == numpy.uint8 for part in parts):
        return index
    if warn:
        msg = "indexing with dtype torch.uint8 is now deprecated, please use a dtype torch.bool"
        warnings.warn(msg + " instead.", UserWarning, stacklevel=4)
    parts = tuple(p.astype(bool) if getattr(p, "dtype", None) == numpy.uint8 else p for p in parts)
    return parts if isinstance(index, tuple) else parts[0]
