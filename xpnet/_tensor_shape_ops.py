"""PyTorch's shape and layout operations: ``flip``, ``roll``, ``rot90``, ``tile``,
``repeat_interleave``, ``movedim``/``moveaxis``, ``swapaxes``/``swapdims``, ``tril``/``triu``
(and ``tril_``/``triu_``), ``diag``, ``diag_embed``, ``diagonal``, ``trace``, ``select``,
``Tensor.unfold``, as ``xpnet.<name>`` functions and Tensor methods (:data:`METHODS`);
:mod:`xpnet._tensor_grids` holds those of several tensors (``meshgrid``, ``block_diag``, ...).

Each checks its arguments as PyTorch (IndexError for a dim out of range, ArgumentError, a
RuntimeError, for the rest) and is differentiable with PyTorch's gradients: the new pairs
are in :mod:`xpnet._tensor_shape_pairs`, the rest are built from existing differentiable
operations. ``diagonal`` and ``unfold`` return views, as PyTorch's (their in-place changes
reach ``input``; overlapping windows of ``unfold`` refuse them, where PyTorch's race).

Example:
    >>> import xpnet
    >>> x = xpnet.arange(6.0).reshape(2, 3).requires_grad_()
    >>> y = x.flip(1).roll(1, 0).tril()
    >>> y.tolist()
    [[5.0, 0.0, 0.0], [2.0, 1.0, 0.0]]
    >>> y.sum().backward(); x.grad.tolist()
    [[0.0, 1.0, 1.0], [0.0, 0.0, 1.0]]
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy

from . import _tensor_shape_pairs as pairs
from ._creation import parse_size
from ._node_names import diag_name, named_nodes, repeat_interleave_name
from ._tensor_checks import check_tensor, refuse_dtype
from ._tensor_inplace import apply_in_place
from ._tensor_math import check_dim, distinct_dims
from ._tensor_select import select_indices, select_indices_backward
from ._tensor_views import viewing
from ._torch_functions import as_input
from .autograd import Function, Tensor, as_tensor, data_of
from .backends import backend_of
from .kernels import ArgumentError
from .kernels._checks import UnsupportedDtypeError, check_int

__all__ = ["diag", "diag_embed", "diagonal", "flip", "moveaxis", "movedim", "repeat_interleave"]
__all__ += ["roll", "rot90", "select", "swapaxes", "swapdims", "tile", "trace", "tril", "triu"]


def _function(name: str, *wrt: str) -> Function:
    return Function(getattr(pairs, name), getattr(pairs, f"{name}_backward"), wrt=wrt or ("a",))


_flip, _roll, _rot90 = _function("flip"), _function("roll"), _function("rot90")
_triangles, _diagonal = _function("triangle"), _function("diagonal")
_diag_embed, _repeat_each = _function("diag_embed"), _function("repeat_each")
_windows = _function("windows")
_select_indices = Function(select_indices, select_indices_backward, wrt=("a",))


def _ints(where: str, name: str, value) -> tuple[int, ...]:
    """``value``, an int or a sequence of ints, as a tuple."""
    listed = tuple(value) if isinstance(value, Sequence) else (value,)
    return tuple(check_int(where, name, v) for v in listed)


def _dims(where: str, dims, ndim: int) -> tuple[int, ...]:
    dims = tuple(dims[0]) if len(dims) == 1 and isinstance(dims[0], Sequence) else dims
    dims = distinct_dims(where, tuple(dims), ndim)  # a 0-d tensor takes 0 and -1, once
    return dims if ndim else ()


def tensor_flip(self, *dims) -> Tensor:
    """``self`` reversed along ``dims`` (ints, or one sequence; ``flip([])`` copies), as
    ``torch.Tensor.flip``: no dims at all is PyTorch's TypeError, not a copy."""
    if not dims:
        raise TypeError('Tensor.flip: missing 1 required positional argument: "dims"')
    return flip(self, _dims("flip", dims, self.ndim))


def flip(input, dims) -> Tensor:
    """``input`` reversed along ``dims`` (an int or a sequence), as ``torch.flip``; a copy.

    Raises:
        IndexError: a dim out of range. ArgumentError: a dim listed twice. TypeError:
            ``input`` not a Tensor.
    """
    check_tensor("xpnet.flip", "input", input)
    tensor = as_tensor(input)
    return _flip(tensor, _dims("flip", (dims,), tensor.ndim))


def roll(input, shifts, dims=None) -> Tensor:
    """``input`` rolled by ``shifts`` along ``dims`` (ints or sequences of one length; without
    ``dims``, as one flat line), elements leaving one end coming back at the other.

    Raises:
        ArgumentError: ``shifts`` and ``dims`` of different lengths.
        IndexError: ``dims`` given for a 0-d tensor (PyTorch's refusal too).
    """
    tensor = as_input("roll", input)
    shifts = _ints("roll", "shifts", shifts)
    if dims is None:
        if len(shifts) != 1:
            msg = f"Tensor.roll: without dims, shifts must be one int, got {len(shifts)} shifts"
            raise ArgumentError(msg)
        return _roll(tensor, shifts[0], None)
    dims = tuple(check_dim("roll", d, tensor.ndim) for d in _ints("roll", "dims", dims))
    if len(dims) != len(shifts) or not dims:
        msg = f"Tensor.roll: shifts and dims must have one length, got {len(shifts)} and"
        raise ArgumentError(f"{msg} {len(dims)}")
    if tensor.ndim == 0:  # check_dim takes 0 and -1 there, as most of PyTorch's functions
        raise IndexError(f"Tensor.roll: dims given for a 0-d tensor, got dims={dims}")
    return _roll(tensor, shifts, dims)


def rot90(input, k: int = 1, dims=(0, 1)) -> Tensor:
    """``input`` turned by ``k`` quarter turns in the plane ``dims``, from the first dim
    toward the second, as ``torch.rot90``; a copy.

    Raises:
        ArgumentError: ``dims`` not two different dims, or ``input`` below 2 dimensions.
    """
    tensor = as_tensor(input)
    k = check_int("Tensor.rot90", "k", k)
    dims = _ints("rot90", "dims", dims)
    if len(dims) != 2:
        raise ArgumentError(f"Tensor.rot90: dims must hold 2 dims, got {len(dims)}")
    if tensor.ndim < 2:
        msg = f"Tensor.rot90: input must have at least 2 dimensions, got {tensor.ndim}"
        raise ArgumentError(msg)
    dims = tuple(check_dim("rot90", d, tensor.ndim) for d in dims)
    if dims[0] == dims[1]:
        raise ArgumentError(f"Tensor.rot90: dims must be different, got {dims}")
    return _rot90(tensor, k % 4, dims)


def tile(input, dims) -> Tensor:
    """``input`` repeated ``dims[d]`` times along each dim, as ``torch.tile``: ``dims`` is
    padded with ones in front when shorter than the input's dimensions (then
    :meth:`Tensor.repeat`)."""
    tensor = as_input("tile", input)
    dims = parse_size("Tensor.tile", (dims,))
    return tensor.repeat((1,) * (tensor.ndim - len(dims)) + tuple(dims))


@named_nodes(lambda input, repeats=None, *args, **kw: repeat_interleave_name(input, repeats))
def repeat_interleave(input, repeats=None, dim=None, *, output_size=None) -> Tensor:
    """Each element of ``input`` repeated ``repeats`` times in a row along ``dim`` (the
    flattened input without it), as ``torch.repeat_interleave``. ``repeats`` is an int or a
    1-d int Tensor of one count per element (a 0-d or one-element Tensor counts for all);
    a Tensor's counts decide the result's size, so they are read to the host (a sync, as in
    PyTorch), unless ``output_size`` is given to check against. Without ``repeats``, index
    ``i`` is repeated ``input[i]`` times (``tensor([1, 0, 2])``: ``[0, 2, 2]``).

    Raises:
        ArgumentError: a negative count, counts of 2 or more dims, not one per element, or
            a wrong ``output_size``. UnsupportedDtypeError: counts that are not integers.
    """
    if repeats is None:  # PyTorch's repeat_interleave(repeats): the indices, repeated
        counts = as_input("repeat_interleave", input)
        if counts.ndim != 1:
            raise ArgumentError(f"repeat_interleave: repeats must be 1-d, got {counts.ndim}-d")
        indices = backend_of(counts.array).xp.arange(counts.shape[0], dtype=counts.dtype)
        return repeat_interleave(Tensor(indices), counts, 0, output_size=output_size)
    tensor = as_input("repeat_interleave", input)
    if dim is None:
        tensor, dim = tensor.reshape(-1), 0
    dim = check_dim("repeat_interleave", dim, tensor.ndim)
    if tensor.ndim == 0:
        tensor = tensor.reshape(1)
    counts = _counts(repeats, tensor.shape[dim])
    total = int(counts.sum()) if counts is not None else repeats * tensor.shape[dim]
    if output_size is not None and output_size != total:
        msg = f"Tensor.repeat_interleave: output_size must be {total} here, got {output_size}"
        raise ArgumentError(msg)
    if counts is None:
        return _repeat_each(tensor, repeats, dim)
    xp = backend_of(tensor.array).xp
    index = xp.asarray(numpy.repeat(numpy.arange(len(counts)), counts))
    return _select_indices(tensor, dim, index)


def _counts(repeats, size: int):
    """``repeats`` as host counts, one per element, or ``None`` for an int."""
    where = "Tensor.repeat_interleave"
    if not hasattr(repeats, "shape"):
        check_int(where, "repeats", repeats)
        if repeats < 0:
            raise ArgumentError(f"{where}: repeats can not be negative, got {repeats}")
        return None
    data = data_of(repeats)
    if data.dtype.kind not in "iu":
        msg = f"{where}: repeats must be an int Tensor, got {data.dtype}"
        raise UnsupportedDtypeError(msg)
    if data.ndim > 1:
        raise ArgumentError(f"{where}: repeats must be a 0-d or 1-d Tensor, got {data.shape}")
    counts = backend_of(data).to_host(data).reshape(-1)
    counts = numpy.broadcast_to(counts, (size,)) if counts.size == 1 else counts
    if counts.size != size:
        msg = f"{where}: repeats must have one count per element ({size}), got {counts.size}"
        raise ArgumentError(msg)
    if (counts < 0).any():
        raise ArgumentError(f"{where}: repeats can not be negative")
    return counts


def movedim(input, source, destination) -> Tensor:
    """``input`` with dims ``source`` moved to ``destination`` (ints or sequences of one
    length), the others keeping their order, as ``torch.movedim`` (alias ``moveaxis``).

    Raises:
        ArgumentError: lengths that differ, or a dim listed twice. IndexError: out of range.
    """
    tensor = as_tensor(input)
    source = distinct_dims("movedim", _ints("movedim", "source", source), tensor.ndim)
    destination = _ints("movedim", "destination", destination)
    destination = distinct_dims("movedim", destination, tensor.ndim)
    if len(source) != len(destination):
        msg = f"Tensor.movedim: source and destination must have one length, got {source}"
        raise ArgumentError(f"{msg} and {destination}")
    if tensor.ndim == 0:
        return tensor.reshape(())
    order = [d for d in range(tensor.ndim) if d not in source]
    for d, s in sorted(zip(destination, source, strict=True)):
        order.insert(d, s)
    return tensor.permute(order)


def swapaxes(input, axis0: int, axis1: int) -> Tensor:
    """``input.transpose(axis0, axis1)``, as ``torch.swapaxes`` (alias ``swapdims``)."""
    return as_tensor(input).transpose(axis0, axis1)


def _triangle(name: str, upper: bool):
    def function(input, diagonal: int = 0) -> Tensor:
        tensor = as_tensor(input)
        diagonal = check_int(f"Tensor.{name}", "diagonal", diagonal)
        if tensor.ndim < 2:
            msg = f"Tensor.{name}: input must have at least 2 dimensions, got {tensor.ndim}"
            raise ArgumentError(msg)
        return _triangles(tensor, diagonal, upper)

    function.__name__ = function.__qualname__ = name
    part = "upper" if upper else "lower"
    function.__doc__ = (
        f"The {part} triangle of the last two dims of ``input`` from diagonal ``diagonal`` "
        f"(``0`` the main one, above it positive), zeros elsewhere, as ``torch.{name}``."
    )
    return function


tril, triu = _triangle("tril", False), _triangle("triu", True)


def _in_place(name: str, function):
    def method(self, diagonal: int = 0) -> Tensor:
        return apply_in_place(name, self, lambda t: function(t, diagonal))

    method.__name__ = name
    method.__doc__ = f"``{name[:-1]}``, in place; returns this tensor."
    return method


@viewing
def diagonal(input, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
    """The diagonal ``offset`` (above the main one if positive) of the planes ``(dim1,
    dim2)``, as a new last dim, as ``torch.diagonal``: a view, so that an in-place change of
    it (``x.diagonal().add_(eps)``, ``fill_``) changes ``input``, with its gradient.

    Raises:
        ArgumentError: ``dim1`` and ``dim2`` the same dim. IndexError: out of range.

    Example:
        >>> import xpnet
        >>> x = xpnet.zeros(2, 3)
        >>> _ = xpnet.diagonal(x, 1).fill_(1.0)
        >>> x.tolist()
        [[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]
    """
    tensor = as_tensor(input)
    offset = check_int("Tensor.diagonal", "offset", offset)
    dim1, dim2 = (check_dim("diagonal", d, tensor.ndim) for d in (dim1, dim2))
    if dim1 == dim2 or tensor.ndim < 2:
        msg = f"Tensor.diagonal: dim1 and dim2 must be two dims, got {dim1} and {dim2}"
        raise ArgumentError(f"{msg} of a {tensor.ndim}-d tensor")
    return _diagonal(tensor, offset, dim1, dim2)


_matrix_diagonal = diagonal  # diag's argument ``diagonal`` hides the function there


def diag_embed(input, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:
    """Matrices holding the last dim of ``input`` on their diagonal ``offset`` in the planes
    ``(dim1, dim2)`` of the result (one more dim than ``input``), as ``torch.diag_embed``.

    Example:
        >>> import xpnet
        >>> diag_embed(xpnet.tensor([1.0, 2.0]), 1).tolist()
        [[0.0, 1.0, 0.0], [0.0, 0.0, 2.0], [0.0, 0.0, 0.0]]
    """
    tensor = as_input("diag_embed", input)
    offset = check_int("Tensor.diag_embed", "offset", offset)
    dim1, dim2 = (check_dim("diag_embed", d, tensor.ndim + 1) for d in (dim1, dim2))
    if dim1 == dim2:
        msg = f"Tensor.diag_embed: dim1 and dim2 must be two dims, got {dim1} and {dim2}"
        raise ArgumentError(msg)
    if tensor.ndim == 0:
        tensor = tensor.reshape(1)
    return _diag_embed(tensor, offset, dim1, dim2)


@named_nodes(diag_name)
def diag(input, diagonal: int = 0) -> Tensor:
    """A matrix with the 1-d ``input`` on its diagonal ``diagonal``, or the diagonal of the
    matrix ``input`` as a 1-d tensor, as ``torch.diag``.

    Raises:
        ArgumentError: ``input`` neither 1-d nor 2-d.
    """
    tensor = as_input("diag", input)
    if tensor.ndim == 1:
        return diag_embed(tensor, diagonal)
    if tensor.ndim == 2:
        return _matrix_diagonal(tensor, diagonal).clone()  # a copy, as PyTorch's
    raise ArgumentError(f"Tensor.diag: input must be 1-d or 2-d, got {tensor.ndim}-d")


@named_nodes("TraceBackward0")
def trace(input) -> Tensor:
    """The sum of the main diagonal of the matrix ``input``, as ``torch.trace``."""
    tensor = as_tensor(input)
    if tensor.ndim != 2:
        raise ArgumentError(f"Tensor.trace: input must be a matrix, got {tensor.ndim}-d")
    refuse_dtype("Tensor.trace", tensor, "b", "non-bool")  # PyTorch has no trace of bools
    return diagonal(tensor).sum()


def select(input, dim: int, index: int) -> Tensor:
    """The slice of ``input`` at ``index`` along ``dim``, without that dim, as
    ``torch.select`` (a view; its gradient goes back to the slice).

    Raises:
        IndexError: ``dim`` or ``index`` out of range, or a 0-d ``input``.
    """
    tensor = as_tensor(input)
    if tensor.ndim == 0:
        raise IndexError("Tensor.select: cannot select from a 0-d tensor")
    dim = check_dim("select", dim, tensor.ndim)
    index, size = check_int("Tensor.select", "index", index), tensor.shape[dim]
    if not -size <= index < size:
        msg = f"Tensor.select: index {index} is out of range for dimension {dim} of size {size}"
        raise IndexError(msg)
    return tensor[(slice(None),) * dim + (index,)]


@viewing
def unfold(self, dimension: int, size: int, step: int) -> Tensor:
    """Every window of ``size`` elements, ``step`` apart, along ``dimension``, as a new last
    dim, as PyTorch's ``Tensor.unfold``: a view. Where windows overlap (``step < size``) an
    element is in several, and changing the view in place raises (PyTorch's would race).

    Raises:
        ArgumentError: ``size`` larger than the dim, or ``step`` below 1.
    """
    tensor = as_tensor(self)
    dim = check_dim("unfold", dimension, tensor.ndim)
    size, step = (check_int("Tensor.unfold", n, v) for n, v in (("size", size), ("step", step)))
    length = tensor.shape[dim] if tensor.ndim else 1
    if not 0 <= size <= length:
        msg = f"Tensor.unfold: size must be in [0, {length}] for dimension {dim}, got {size}"
        raise ArgumentError(msg)
    if step < 1:
        raise ArgumentError(f"Tensor.unfold: step must be positive, got {step}")
    if tensor.ndim == 0:
        return _windows(tensor.reshape(1), 0, size, step).reshape(size)
    return _windows(tensor, dim, size, step)


moveaxis, swapdims = movedim, swapaxes

METHODS = {
    "flip": tensor_flip,
    "roll": roll,
    "rot90": rot90,
    "tile": lambda self, *dims: tile(self, parse_size("Tensor.tile", dims)),
    "repeat_interleave": repeat_interleave,
    "movedim": movedim,
    "moveaxis": movedim,
    "swapaxes": swapaxes,
    "swapdims": swapaxes,
    "tril": tril,
    "triu": triu,
    "tril_": _in_place("tril_", tril),
    "triu_": _in_place("triu_", triu),
    "diag": diag,
    "diag_embed": diag_embed,
    "diagonal": diagonal,
    "trace": trace,
    "select": select,
    "unfold": unfold,
}
