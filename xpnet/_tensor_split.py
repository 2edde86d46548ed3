"""PyTorch's splitting and stacking functions beyond ``split``, ``cat`` and ``stack``:
``tensor_split``, ``hsplit``, ``vsplit``, ``dsplit``, ``atleast_1d``/``2d``/``3d``,
``hstack``, ``vstack`` (alias ``row_stack``), ``dstack``, ``column_stack`` and ``msort``, as
``xpnet.<name>`` functions (:data:`__all__`) and, where ``torch.Tensor`` has them, Tensor
methods (:data:`METHODS`).

They are compositions, so their gradients are those of their parts, as PyTorch's. The pieces
are :func:`xpnet._tensor_index.pieces` (views, each with its own gradient), marked by
:func:`xpnet._tensor_views.viewing_pieces` as views of their input: PyTorch cuts them by
slicing, so unlike ``split``'s pieces (which PyTorch refuses to change in place while
gradients are recorded) a piece may change in place, written through to the input. The stacks
are :func:`~xpnet.cat` of reshaped views; ``msort`` is :func:`~xpnet.sort`'s values.
Neighbours: :mod:`xpnet._tensor_index` (``split``, ``chunk``), :mod:`xpnet._tensor_join`
(``cat``, ``stack``).

Example:
    >>> import xpnet
    >>> x = xpnet.arange(6.0).reshape(2, 3).requires_grad_()
    >>> left, right = xpnet.hsplit(x, [1])
    >>> y = xpnet.dstack([left, right[:, :1]])
    >>> y.shape
    (2, 1, 2)
    >>> y.sum().backward(); x.grad.tolist()
    [[1.0, 1.0, 0.0], [1.0, 1.0, 0.0]]
"""

from __future__ import annotations

import itertools
import math
import numbers

from ._node_names import name_node, named_nodes
from ._tensor_index import pieces, split_dim
from ._tensor_join import cat
from ._tensor_select import sort
from ._tensor_views import viewing_pieces
from ._torch_functions import as_input
from .autograd import Tensor
from .kernels import ArgumentError
from .kernels._checks import check_int

__all__ = ["tensor_split", "hsplit", "vsplit", "dsplit", "atleast_1d", "atleast_2d"]
__all__ += ["atleast_3d", "hstack", "vstack", "dstack", "column_stack", "row_stack", "msort"]


def _int(where: str, name: str, value) -> int:
    """An int, or a 0-d integer Tensor read on the host, as PyTorch takes one for an int."""
    if isinstance(value, Tensor) and value.ndim == 0 and value.dtype.kind in "iu":
        value = value.item()
    return check_int(where, name, value)


def _host_values(where: str, tensor: Tensor):
    """A Tensor of indices (1-d) or sections (0-d) as Python ints: a device-to-host copy, as
    PyTorch reads its CPU tensor."""
    name = "tensor_indices_or_sections"
    if tensor.dtype != "int64":
        raise ArgumentError(f"{where}: {name} must have dtype int64 (long), got {tensor.dtype}")
    if tensor.ndim > 1:
        msg = f"{where}: {name} must be a 0-d or 1-d tensor, got a {tensor.ndim}-d tensor"
        raise ArgumentError(msg)
    return tensor.tolist()


def _by_indices(tensor: Tensor, dim: int, indices) -> tuple[Tensor, ...]:
    """``tensor[indices[i - 1]:indices[i]]`` along ``dim``, with Python's slicing of
    negative and out-of-range bounds (an empty piece where they cross), as PyTorch's."""
    size = tensor.shape[dim]
    spans = [slice(a, b).indices(size)[:2] for a, b in itertools.pairwise([0, *indices, size])]
    return pieces(tensor, dim, [max(b - a, 0) for a, b in spans], [a for a, _ in spans])


@viewing_pieces
@named_nodes("SliceBackward0")  # PyTorch slices: SliceBackward0, not split's node
def tensor_split(
    input, indices_or_sections=None, dim: int = 0, *,
    sections=None, indices=None, tensor_indices_or_sections=None,
) -> tuple[Tensor, ...]:  # fmt: skip
    """Cut ``input`` along ``dim`` into views, as ``torch.tensor_split``.

    Args:
        input: a Tensor (or an array) of at least 1 dimension.
        indices_or_sections: an int ``n``: ``n`` pieces, the first ``size % n`` of them one
            element longer than the rest (``size // n``; empty pieces when ``n > size``). A
            list or tuple of ints: the pieces ``input[:i0]``, ``input[i0:i1]``, ...,
            ``input[ik:]`` along ``dim``, with Python's slicing (negative indices count from
            the end, out-of-range ones are clamped, crossing ones give an empty piece). An
            int64 Tensor: 0-d as the int, 1-d as the list.
        dim: the dimension to cut. Default: ``0``.
        sections, indices, tensor_indices_or_sections: PyTorch's keyword names of
            ``indices_or_sections`` for an int, a list or tuple, and a Tensor; one of the
            four is given.

    Returns:
        A tuple of Tensors, views of ``input``; each one's gradient goes to its place. As
        PyTorch's (slices, unlike ``split``'s pieces), a piece may change in place while
        gradients are recorded: the change is written through to ``input``.

    Raises:
        ArgumentError: a 0-d ``input``, fewer than 1 section, or a Tensor of indices that is
            not int64 or has more than 1 dimension. IndexError: ``dim`` out of range.
        TypeError: ``indices_or_sections`` (or one index) of another kind, such as a float
            or a bool.

    Note:
        A Tensor of indices is read on the host (PyTorch takes only a CPU tensor there): on
        CuPy that is a device-to-host copy, which waits for the device.

    Example:
        >>> import xpnet
        >>> x = xpnet.arange(7)
        >>> [p.tolist() for p in xpnet.tensor_split(x, 3)]
        [[0, 1, 2], [3, 4], [5, 6]]
        >>> [p.tolist() for p in x.tensor_split([1, 5, -2])]
        [[0], [1, 2, 3, 4], [], [5, 6]]
    """
    where, name = "Tensor.tensor_split", "indices_or_sections"
    indices_or_sections = _one_form(where, indices_or_sections, sections, indices,
                                    tensor_indices_or_sections)  # fmt: skip
    tensor = as_input("tensor_split", input)
    dim = split_dim("tensor_split", tensor, dim)
    if isinstance(indices_or_sections, Tensor):
        indices_or_sections = _host_values(where, indices_or_sections)
    if isinstance(indices_or_sections, tuple | list):
        indices = [check_int(where, f"{name}[{i}]", n) for i, n in enumerate(indices_or_sections)]
        return _by_indices(tensor, dim, indices)
    sections = indices_or_sections
    if isinstance(sections, bool) or not isinstance(sections, numbers.Integral):
        found = f"{type(sections).__name__} {sections!r}"
        raise TypeError(f"{where}: {name} must be an int, a list of ints or a Tensor, got {found}")
    if sections < 1:
        raise ArgumentError(f"{where}: the number of sections must be at least 1, got {sections}")
    small, extra = divmod(tensor.shape[dim], int(sections))
    return pieces(tensor, dim, [small + 1] * extra + [small] * (sections - extra))


def _one_form(where: str, *values):
    """The one of ``tensor_split``'s four forms given (positional, ``sections=``,
    ``indices=``, ``tensor_indices_or_sections=``), checked for its kind as PyTorch's parser."""
    names = ("indices_or_sections", "sections", "indices", "tensor_indices_or_sections")
    given = [(n, value) for n, value in zip(names, values, strict=True) if value is not None]
    if len(given) != 1:
        msg = f"{where}: takes one of {', '.join(names)}, got {[n for n, _ in given] or 'none'}"
        raise TypeError(msg)
    (name, value), kinds = given[0], (object, numbers.Integral, tuple | list, Tensor)
    if not isinstance(value, kinds[names.index(name)]):  # bools: refused below, as ints
        raise TypeError(f"{where}: {name} must not be a {type(value).__name__}")
    return value


def _split_along(name: str, input, indices_or_sections, dim: int, least: int) -> tuple:
    """``torch.<name>``: ``tensor_split`` along ``dim`` (0 for a 1-d ``hsplit``) of a tensor
    of at least ``least`` dimensions; an int must divide the size evenly."""
    where, tensor = f"Tensor.{name}", as_input(name, input)
    if tensor.ndim < least:
        msg = f"{where}: needs a tensor of at least {least} dimensions"
        raise ArgumentError(f"{msg}, got a {tensor.ndim}-d tensor of shape {tensor.shape}")
    along = 0 if tensor.ndim == 1 else dim
    if isinstance(indices_or_sections, tuple | list):
        return tensor_split(tensor, indices_or_sections, along)
    sections = _int(where, "indices_or_sections", indices_or_sections)
    size = tensor.shape[along]
    if sections == 0 or size % sections:
        msg = f"{where}: sections must divide the size {size} of dimension {along}"
        raise ArgumentError(f"{msg}, got {sections}")
    return tensor_split(tensor, sections, along)


@viewing_pieces
def hsplit(input, indices_or_sections) -> tuple[Tensor, ...]:
    """Cut ``input`` into columns: :func:`tensor_split` along dim 1 (dim 0 for a 1-d tensor),
    as ``torch.hsplit``.

    Args:
        input: a Tensor (or an array) of at least 1 dimension.
        indices_or_sections: an int that divides the size of that dimension (so many equal
            pieces; a 0-d integer Tensor is read as one), or a list or tuple of indices (as
            :func:`tensor_split`'s).

    Returns:
        A tuple of views of ``input``, as :func:`tensor_split`'s.

    Raises:
        ArgumentError: a 0-d ``input``; an int that is 0 or does not divide the size (or a
            negative one that does: fewer than 1 section). TypeError: a float, a bool or a
            1-d Tensor for ``indices_or_sections``.

    Example:
        >>> import xpnet
        >>> [p.shape for p in xpnet.hsplit(xpnet.zeros(2, 6), 3)]
        [(2, 2), (2, 2), (2, 2)]
    """
    return _split_along("hsplit", input, indices_or_sections, 1, 1)


@viewing_pieces
def vsplit(input, indices_or_sections) -> tuple[Tensor, ...]:
    """Cut ``input`` into rows: :func:`tensor_split` along dim 0 of a tensor of at least 2
    dimensions, as ``torch.vsplit``; ``indices_or_sections`` and errors as :func:`hsplit`'s.

    Example:
        >>> import xpnet
        >>> [p.shape for p in xpnet.zeros(4, 3).vsplit([1])]
        [(1, 3), (3, 3)]
    """
    return _split_along("vsplit", input, indices_or_sections, 0, 2)


@viewing_pieces
def dsplit(input, indices_or_sections) -> tuple[Tensor, ...]:
    """Cut ``input`` in depth: :func:`tensor_split` along dim 2 of a tensor of at least 3
    dimensions, as ``torch.dsplit``; ``indices_or_sections`` and errors as :func:`hsplit`'s.

    Example:
        >>> import xpnet
        >>> [p.shape for p in xpnet.dsplit(xpnet.zeros(1, 2, 6), 2)]
        [(1, 2, 3), (1, 2, 3)]
    """
    return _split_along("dsplit", input, indices_or_sections, 2, 3)


def _at_least(where: str, tensors: tuple, grown):
    """Each of ``tensors`` (several, or one list or tuple of them) reshaped to ``grown(shape)``
    (a view; itself when that is its shape): one Tensor for one Tensor, else a tuple."""
    one = len(tensors) == 1 and not isinstance(tensors[0], tuple | list)
    tensors = tuple(tensors[0]) if len(tensors) == 1 and not one else tensors
    results = []
    for i, value in enumerate(tensors):
        tensor = as_input(where, value, f"tensors[{i}]")
        shape = grown(tuple(tensor.shape))
        if shape == tensor.shape:
            results.append(tensor)
            continue
        named = "ViewBackward0" if tensor.ndim == 0 else "UnsqueezeBackward0"  # PyTorch's
        results.append(name_node(tensor.reshape(shape), named))
    return results[0] if one else tuple(results)


def atleast_1d(*tensors):
    """``input`` with at least 1 dimension, as ``torch.atleast_1d``: a 0-d tensor becomes a
    view of shape ``(1,)``; others are returned as they are.

    Args:
        *tensors: one Tensor, several, or one list or tuple of them (or arrays).

    Returns:
        A Tensor for one Tensor, else a tuple of Tensors (empty for none).

    Raises:
        TypeError: something else than a Tensor or an array.

    Example:
        >>> import xpnet
        >>> xpnet.atleast_1d(xpnet.tensor(1.0)).shape
        (1,)
        >>> [t.shape for t in xpnet.atleast_1d(xpnet.tensor(1.0), xpnet.zeros(2, 3))]
        [(1,), (2, 3)]
    """
    return _at_least("atleast_1d", tensors, lambda shape: shape or (1,))


def atleast_2d(*tensors):
    """Each tensor with at least 2 dimensions, as ``torch.atleast_2d``: shape ``()`` becomes
    ``(1, 1)`` and ``(n,)`` becomes ``(1, n)`` (views); arguments and results as
    :func:`atleast_1d`'s.

    Example:
        >>> import xpnet
        >>> xpnet.atleast_2d(xpnet.zeros(3)).shape
        (1, 3)
    """
    return _at_least("atleast_2d", tensors, lambda shape: (1,) * (2 - len(shape)) + shape)


def _grown_3d(shape: tuple) -> tuple:
    return {0: (1, 1, 1), 1: (1, *shape, 1), 2: (*shape, 1)}.get(len(shape), shape)


def atleast_3d(*tensors):
    """Each tensor with at least 3 dimensions, as ``torch.atleast_3d``: shape ``()`` becomes
    ``(1, 1, 1)``, ``(n,)`` becomes ``(1, n, 1)`` and ``(m, n)`` becomes ``(m, n, 1)``
    (views); arguments and results as :func:`atleast_1d`'s.

    Example:
        >>> import xpnet
        >>> [t.shape for t in xpnet.atleast_3d([xpnet.zeros(3), xpnet.zeros(2, 3)])]
        [(1, 3, 1), (2, 3, 1)]
    """
    return _at_least("atleast_3d", tensors, _grown_3d)


def _non_empty(where: str, tensors) -> list:
    """``tensors`` as a list: TypeError unless a list or tuple, ArgumentError if empty."""
    if not isinstance(tensors, tuple | list):
        msg = f"xpnet.{where}: tensors must be a list or tuple of Tensors"
        raise TypeError(f"{msg}, got {type(tensors).__name__}")
    if not tensors:
        raise ArgumentError(f"xpnet.{where}: tensors must be a non-empty list, got an empty one")
    return [as_input(where, t, f"tensors[{i}]") for i, t in enumerate(tensors)]


def hstack(tensors) -> Tensor:
    """Join ``tensors`` as columns, after :func:`atleast_1d`: along dim 1, or dim 0 where the
    first is 1-d (0-d tensors as 1-d ones), as ``torch.hstack``. Arguments, result and errors
    as :func:`dstack`'s.

    Example:
        >>> import xpnet
        >>> xpnet.hstack([xpnet.tensor(1), xpnet.tensor([2, 3])]).tolist()
        [1, 2, 3]
    """
    tensors = atleast_1d(_non_empty("hstack", tensors))
    return cat(tensors, 0 if tensors[0].ndim == 1 else 1)


def vstack(tensors) -> Tensor:
    """Join ``tensors`` as rows, after :func:`atleast_2d` (a 0-d or 1-d tensor is a row of
    one), along dim 0, as ``torch.vstack`` (alias ``row_stack``). Arguments, result and errors
    as :func:`dstack`'s.

    Example:
        >>> import xpnet
        >>> xpnet.vstack([xpnet.tensor([1, 2]), xpnet.tensor([3, 4])]).tolist()
        [[1, 2], [3, 4]]
    """
    return cat(atleast_2d(_non_empty("vstack", tensors)), 0)


def dstack(tensors) -> Tensor:
    """Join ``tensors`` in depth (along dim 2) after :func:`atleast_3d`, as ``torch.dstack``.

    Args:
        tensors: a non-empty list or tuple of Tensors (or arrays) whose 3-d forms agree except
            in dim 2.

    Returns:
        A Tensor of :func:`~xpnet.cat`'s dtype; each input gets its slice of the gradient.

    Raises:
        TypeError: ``tensors`` not a list or tuple, or holding something else than Tensors.
        ArgumentError: no tensors, or shapes that do not agree (:func:`~xpnet.cat`'s check).

    Example:
        >>> import xpnet
        >>> xpnet.dstack([xpnet.tensor([1, 2]), xpnet.tensor([3, 4])]).tolist()
        [[[1, 3], [2, 4]]]
    """
    return cat(atleast_3d(_non_empty("dstack", tensors)), 2)


def column_stack(tensors) -> Tensor:
    """Join ``tensors`` as columns (along dim 1), as ``torch.column_stack``: a 0-d or 1-d
    tensor of ``n`` elements is first a column of shape ``(n, 1)``; others join as they are.
    Arguments, result and errors as :func:`dstack`'s.

    Example:
        >>> import xpnet
        >>> xpnet.column_stack([xpnet.tensor([1, 2]), xpnet.tensor([[3, 4], [5, 6]])]).tolist()
        [[1, 3, 4], [2, 5, 6]]
    """
    tensors = _non_empty("column_stack", tensors)
    return cat([t.reshape(math.prod(t.shape), 1) if t.ndim <= 1 else t for t in tensors], 1)


@named_nodes("SortBackward0")
def msort(input) -> Tensor:
    """``input`` sorted along its first dimension, as ``torch.msort``: :func:`~xpnet.sort`'s
    ``values`` with ``dim=0`` (ascending, NaN last; each value's gradient goes back to its
    element).

    Example:
        >>> import xpnet
        >>> xpnet.msort(xpnet.tensor([[3.0, 1.0], [2.0, 4.0]])).tolist()
        [[2.0, 1.0], [3.0, 4.0]]
    """
    return sort(as_input("msort", input), dim=0).values


row_stack = vstack  # torch.row_stack, vstack's alias

METHODS = {
    "tensor_split": tensor_split,
    "hsplit": hsplit,
    "vsplit": vsplit,
    "dsplit": dsplit,
    "msort": msort,
}
"""The Tensor methods of this module (``torch.Tensor`` has no ``atleast_*`` nor ``*stack``)."""
