"""PyTorch's out-of-place writes into a view: ``select_scatter``, ``slice_scatter``,
``diagonal_scatter`` and ``as_strided_scatter``, as ``xpnet.<name>`` functions
(:data:`__all__`) and Tensor methods (:data:`METHODS`).

Each returns a copy of ``input`` with ``src`` written where the view (``input.select(dim,
index)``, a slice along ``dim``, ``input.diagonal(offset, dim1, dim2)``,
``input.as_strided(size, stride, storage_offset)``) would read. The view is given to one pair,
:func:`embed` and :func:`embed_backward`, as the positions it reads in ``input``'s row-major
order (an int64 array of ``src``'s shape, built on the device from an ``arange`` of
``input``'s size), so that the four share their arithmetic and their gradients, PyTorch's:
``input`` gets the upstream gradient outside the view, ``src`` the gradient inside it.
Neighbours: the views themselves (:mod:`xpnet._tensor_shape_ops`), the scatters by index
(:mod:`xpnet._tensor_scatter`).

Example:
    >>> import xpnet
    >>> x = xpnet.zeros(2, 3)
    >>> xpnet.select_scatter(x, xpnet.ones(3), 0, 1).tolist()
    [[0.0, 0.0, 0.0], [1.0, 1.0, 1.0]]
    >>> x.diagonal_scatter(xpnet.tensor([5.0, 6.0]), 1).tolist()
    [[0.0, 5.0, 0.0], [0.0, 0.0, 6.0]]
"""

from __future__ import annotations

import math
import numbers

from ._tensor_math import check_dim
from ._tensor_ops import check_grad
from ._torch_functions import as_input
from .autograd import Function, Tensor
from .backends import backend_of
from .kernels import ArgumentError
from .kernels._checks import check_int

__all__ = ["select_scatter", "slice_scatter", "diagonal_scatter", "as_strided_scatter"]


def embed(a, src, positions):
    """A copy of ``a`` with ``src`` (cast to ``a``'s dtype) at ``positions`` (int64, of
    ``src``'s shape) of its row-major order. Where positions repeat (an overlapping
    ``as_strided``), one of their values is kept, which one unspecified, as in PyTorch."""
    out = a.copy()  # C-contiguous: its reshape(-1) is a view, written through
    out.reshape(-1)[positions.reshape(-1)] = src.reshape(-1).astype(a.dtype, copy=False)
    return out


def embed_backward(grad_output, a, src, positions):
    """``input``'s gradient is ``grad_output`` with zeros at ``positions``, ``src``'s is
    ``grad_output`` read there (in ``src``'s float dtype), as PyTorch's."""
    check_grad("embed_backward", grad_output, a.shape, a.dtype, a, src)
    flat = positions.reshape(-1)
    grad_src = grad_output.reshape(-1)[flat].reshape(src.shape)
    if src.dtype.kind == "f":
        grad_src = grad_src.astype(src.dtype, copy=False)
    grad_a = grad_output.copy()
    grad_a.reshape(-1)[flat] = 0
    return grad_a, grad_src


_embed = Function(embed, embed_backward, wrt=("a", "src"))


def _operands(where: str, input, src) -> tuple[Tensor, Tensor]:
    a, source = as_input(where, input), as_input(where, src, "src")
    backend_of(a.array, source.array, names=("input", "src"), where=where)
    return a, source


def _grid(a: Tensor):
    """Every position of ``a`` in row-major order, in ``a``'s shape, on its backend."""
    xp = backend_of(a.array).xp
    return xp.arange(a.array.size, dtype=xp.int64).reshape(a.shape)


def _write(where: str, view: str, a: Tensor, src: Tensor, positions) -> Tensor:
    if src.shape != positions.shape:
        msg = f"{where}: src must have the shape of {view}, {tuple(positions.shape)}, got "
        raise ArgumentError(f"{msg}{tuple(src.shape)}")
    return _embed(a, src, positions)


def _no_0d(where: str, a: Tensor) -> None:
    if a.ndim == 0:
        raise IndexError(f"{where}: input must have at least 1 dimension, got a 0-d tensor")


def select_scatter(input, src, dim: int, index: int) -> Tensor:
    """A copy of ``input`` with ``src`` written into ``input.select(dim, index)``, as
    ``torch.select_scatter`` (differentiable in ``input`` and ``src``).

    Args:
        input: the tensor to copy.
        src: the values, of ``input.select(dim, index)``'s shape (``input``'s without ``dim``);
            cast to ``input``'s dtype.
        dim: the dimension to select along, in ``[-input.dim(), input.dim())``.
        index: the index along ``dim``, in ``[-size, size)``.

    Returns:
        A new Tensor of ``input``'s shape and dtype.

    Raises:
        TypeError: ``input`` or ``src`` not a Tensor, ``dim`` or ``index`` not an int.
        IndexError: ``dim`` or ``index`` out of range, a 0-d ``input``.
        ArgumentError: ``src`` of another shape.

    Example:
        >>> import xpnet
        >>> xpnet.zeros(2, 2).select_scatter(xpnet.ones(2), -1, 0).tolist()
        [[1.0, 0.0], [1.0, 0.0]]
    """
    where = "select_scatter"
    a, source = _operands(where, input, src)
    _no_0d(where, a)
    dim = check_dim(where, dim, a.ndim)
    index, size = check_int(where, "index", index), a.shape[dim]
    if not -size <= index < size:
        msg = f"{where}: index must be in [{-size}, {size}) for dimension {dim} of size {size}"
        raise IndexError(f"{msg}, got {index}")
    # the Ellipsis keeps a 0-d result an array
    positions = _grid(a)[(slice(None),) * dim + (index, Ellipsis)]
    return _write(where, "input.select(dim, index)", a, source, positions)


def _optional_int(where: str, name: str, value) -> int | None:
    return None if value is None else check_int(where, name, value)


def slice_scatter(input, src, dim: int = 0, start=None, end=None, step: int = 1) -> Tensor:
    """A copy of ``input`` with ``src`` written into the slice ``start:end:step`` along
    ``dim``, as ``torch.slice_scatter`` (differentiable in ``input`` and ``src``).

    Args:
        input: the tensor to copy.
        src: the values, of the slice's shape; cast to ``input``'s dtype.
        dim: the dimension to slice. Default: 0.
        start: the first index (negative counts from the end; clipped, as Python's slices).
            Default: ``None`` (0).
        end: the index after the last. Default: ``None`` (the size of ``dim``).
        step: the step, at least 1. Default: 1.

    Returns:
        A new Tensor of ``input``'s shape and dtype.

    Raises:
        TypeError: a non-Tensor, or a non-int ``dim``, ``start``, ``end``, ``step``.
        IndexError: ``dim`` out of range, a 0-d ``input``.
        ArgumentError: ``step`` below 1, ``src`` not of the slice's shape.

    Example:
        >>> import xpnet
        >>> xpnet.zeros(2, 4).slice_scatter(xpnet.ones(2, 2), 1, step=2).tolist()
        [[1.0, 0.0, 1.0, 0.0], [1.0, 0.0, 1.0, 0.0]]
    """
    where = "slice_scatter"
    a, source = _operands(where, input, src)
    _no_0d(where, a)
    dim = check_dim(where, dim, a.ndim)
    start, end = _optional_int(where, "start", start), _optional_int(where, "end", end)
    step = check_int(where, "step", step)
    if step < 1:
        raise ArgumentError(f"{where}: step must be positive, got {step}")
    positions = _grid(a)[(slice(None),) * dim + (slice(start, end, step),)]
    return _write(where, f"the slice {start}:{end}:{step} of dim {dim}", a, source, positions)


def diagonal_scatter(input, src, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
    """A copy of ``input`` with ``src`` written into ``input.diagonal(offset, dim1, dim2)``,
    as ``torch.diagonal_scatter`` (differentiable in ``input`` and ``src``).

    Args:
        input: the tensor to copy, at least 2-d.
        src: the values, of the diagonal's shape (``input``'s without ``dim1`` and ``dim2``,
            then the diagonal's length); cast to ``input``'s dtype.
        offset: which diagonal: 0 the main one, above it if positive. Default: 0.
        dim1: the first dimension of the planes. Default: 0.
        dim2: the second dimension of the planes. Default: 1.

    Returns:
        A new Tensor of ``input``'s shape and dtype.

    Raises:
        TypeError: a non-Tensor, or a non-int argument. IndexError: a dim out of range.
        ArgumentError: ``dim1`` and ``dim2`` the same, ``src`` not of the diagonal's shape.

    Example:
        >>> import xpnet
        >>> xpnet.zeros(2, 2).diagonal_scatter(xpnet.tensor([1.0, 2.0])).tolist()
        [[1.0, 0.0], [0.0, 2.0]]
    """
    where = "diagonal_scatter"
    a, source = _operands(where, input, src)
    offset = check_int(where, "offset", offset)
    dim1, dim2 = (check_dim(where, d, a.ndim) for d in (dim1, dim2))
    if dim1 == dim2:
        raise ArgumentError(f"{where}: dim1 and dim2 must differ, got {dim1} and {dim2}")
    positions = backend_of(a.array).xp.diagonal(_grid(a), offset, dim1, dim2)
    view = f"input.diagonal({offset}, {dim1}, {dim2})"
    return _write(where, view, a, source, positions)


def _ints(where: str, name: str, values) -> tuple[int, ...]:
    if isinstance(values, numbers.Integral) or not isinstance(values, tuple | list):
        msg = f"{where}: {name} must be a tuple of ints, got {type(values).__name__}"
        raise TypeError(msg)
    return tuple(check_int(where, name, value) for value in values)


def strided_positions(where: str, a: Tensor, size, stride, storage_offset):
    """The positions ``a.as_strided(size, stride, storage_offset)`` reads, ``a`` taken as
    contiguous: ``storage_offset + sum(i_k * stride_k)``, checked to lie inside ``a``."""
    size, stride = _ints(where, "size", size), _ints(where, "stride", stride)
    offset = 0 if storage_offset is None else check_int(where, "storage_offset", storage_offset)
    if len(size) != len(stride):
        msg = f"{where}: size and stride must have one entry per dimension, got {size} and "
        raise ArgumentError(f"{msg}{stride}")
    if min((*size, *stride, offset), default=0) < 0:
        msg = f"{where}: size, stride and storage_offset must be non-negative, got size={size}"
        raise ArgumentError(f"{msg}, stride={stride}, storage_offset={offset}")
    last = offset + sum((n - 1) * s for n, s in zip(size, stride, strict=True))
    if math.prod(size) and last >= a.array.size:
        msg = f"{where}: size={size}, stride={stride}, storage_offset={offset} reach element "
        raise ArgumentError(f"{msg}{last} of input, which has {a.array.size} elements")
    xp = backend_of(a.array).xp
    positions = xp.full(size, offset, dtype=xp.int64)
    for k, (n, s) in enumerate(zip(size, stride, strict=True)):
        positions += xp.arange(n, dtype=xp.int64).reshape((n,) + (1,) * (len(size) - k - 1)) * s
    return positions


def as_strided_scatter(input, src, size, stride, storage_offset=None) -> Tensor:
    """A copy of ``input`` with ``src`` written into ``input.as_strided(size, stride,
    storage_offset)``, as ``torch.as_strided_scatter`` (differentiable in ``input`` and
    ``src``).

    Args:
        input: the tensor to copy.
        src: the values, of shape ``size``; cast to ``input``'s dtype.
        size: the view's shape, a tuple of ints.
        stride: its step along each dimension, in elements, a tuple of ints (non-negative).
        storage_offset: the element where the view starts. Default: ``None`` (0).

    Returns:
        A new Tensor of ``input``'s shape and dtype.

    Raises:
        TypeError: a non-Tensor, or ``size``/``stride`` not tuples of ints.
        ArgumentError: ``size`` and ``stride`` of different lengths, a negative entry, a view
            that reaches past ``input``'s last element, ``src`` not of shape ``size``.

    Note:
        The view is taken of ``input``'s elements in row-major order, as if ``input`` were
        contiguous; PyTorch takes it of ``input``'s storage, which is the same for a
        contiguous ``input`` (and PyTorch's gradient requires one). Where the view's elements
        overlap, one of the values written there is kept, which one unspecified (as PyTorch).

    Example:
        >>> import xpnet
        >>> x = xpnet.zeros(3, 3)
        >>> x.as_strided_scatter(xpnet.tensor([1.0, 2.0, 3.0]), (3,), (4,)).tolist()
        [[1.0, 0.0, 0.0], [0.0, 2.0, 0.0], [0.0, 0.0, 3.0]]
    """
    where = "as_strided_scatter"
    a, source = _operands(where, input, src)
    positions = strided_positions(where, a, size, stride, storage_offset)
    return _write(where, "size", a, source, positions)


METHODS = {
    "select_scatter": select_scatter,
    "slice_scatter": slice_scatter,
    "diagonal_scatter": diagonal_scatter,
    "as_strided_scatter": as_strided_scatter,
}
