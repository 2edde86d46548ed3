"""Reducing by index, as PyTorch's: ``scatter_reduce``/``scatter_reduce_`` and
``index_reduce``/``index_reduce_``, ``xpnet.<name>`` functions and Tensor methods
(:data:`METHODS`), with PyTorch's values and gradients.

Both put several values into one position and reduce them there (``"sum"``, ``"prod"``,
``"mean"``, ``"amax"``, ``"amin"``), the position's own value too where ``include_self``;
positions no index names keep their value. ``index_reduce`` is ``scatter_reduce`` with its 1-d
``index`` repeated along the other dimensions of ``source``; both run the one array pair of
:mod:`xpnet._segment_reduce`. Index values are checked as ``scatter``'s: at once on NumPy, at
the next host read on a GPU.

Example:
    >>> import xpnet
    >>> x = xpnet.tensor([1.0, 2.0, 3.0, 4.0])
    >>> src = xpnet.tensor([5.0, 6.0, 7.0, 8.0])
    >>> x.scatter_reduce(0, xpnet.tensor([0, 1, 0, 1]), src, "amax").tolist()
    [7.0, 8.0, 3.0, 4.0]
    >>> x.index_reduce(0, xpnet.tensor([0, 0]), xpnet.tensor([2.0, 3.0]), "prod").tolist()
    [6.0, 2.0, 3.0, 4.0]
"""

from __future__ import annotations

from ._node_names import named_nodes
from ._segment_reduce import scatter_reduce_values, scatter_reduce_values_backward
from ._tensor_math import check_dim
from ._tensor_scatter import (
    check_index_shape,
    in_place_method,
    index_slices,
    source_tensor,
    write_nothing,
)
from ._tensor_select import index_array, index_in_range
from .autograd import Function, Tensor, as_tensor
from .backends import backend_of
from .kernels import ArgumentError, UnsupportedDtypeError

__all__ = ["index_reduce", "scatter_reduce"]

SCATTER_REDUCTIONS = ("sum", "prod", "mean", "amax", "amin")
INDEX_REDUCTIONS = ("prod", "mean", "amax", "amin")

_scatter_reduce = Function(scatter_reduce_values, scatter_reduce_values_backward, wrt=("a", "src"))


def _check_reduce(where: str, tensor, reduce, choices, include_self) -> None:
    if reduce not in choices:
        names = ", ".join(repr(name) for name in choices)
        raise ArgumentError(f"Tensor.{where}: reduce must be one of {names}, got {reduce!r}")
    if reduce == "mean" and tensor.dtype.kind == "b":  # PyTorch's "not implemented for 'Bool'"
        msg = f"Tensor.{where}: reduce='mean' needs a number dtype, got {tensor.dtype}"
        raise UnsupportedDtypeError(msg)
    if not isinstance(include_self, bool):
        msg = f"Tensor.{where}: include_self must be a bool, got {type(include_self).__name__}"
        raise TypeError(msg)


def _reduce_0d_or_nd(tensor, dim, index, src, reduce, include_self) -> Tensor:
    if tensor.ndim:
        return _scatter_reduce(tensor, dim, index, src, reduce, include_self)
    index, src = index.reshape(-1), src.reshape(-1)
    result = _scatter_reduce(tensor.reshape(1), 0, index, src, reduce, include_self)
    return result.reshape(())


@named_nodes("ScatterReduceBackward0")
def scatter_reduce(input, dim: int, index, src, reduce: str, *, include_self: bool = True):
    r"""``input`` with the values of ``src`` reduced into the positions ``index`` names along
    ``dim``, as ``torch.scatter_reduce``: for a 3-d ``input`` and ``dim=0``,
    ``out[index[i][j][k]][j][k]`` reduces ``src[i][j][k]`` over every ``(i, j, k)`` that
    names it (``dim=1``, ``2``: likewise), with ``input``'s own value where ``include_self``.

    Args:
        input: the Tensor to reduce into (not changed).
        dim: the dimension ``index`` points along; negative counts from the end.
        index: an int64 (or int32) Tensor with ``input``'s number of dimensions, no larger
            than ``src``, nor than ``input`` outside ``dim``; values in
            ``[0, input.shape[dim])``. Repeats reduce together.
        src: a Tensor of ``input``'s dtype; the corner of ``index``'s shape is read.
        reduce: ``"sum"``, ``"prod"``, ``"mean"``, ``"amax"`` or ``"amin"``. ``"mean"``
            divides by the number of values (``input``'s counted where ``include_self``),
            rounding down for integers, as PyTorch.
        include_self: take ``input``'s value into the reduction where ``index`` points.
            Default: ``True``.

    Returns:
        A Tensor of ``input``'s shape and dtype. Gradients, as PyTorch's: ``"sum"`` and
        ``"mean"`` pass (divided by the count) to both; ``"prod"`` gives each value the
        product of the others (exact with zeros); ``"amax"``/``"amin"`` share the gradient
        evenly among the values equal to the result (``input``'s counted even without
        ``include_self``); without ``include_self`` ``input`` gets none where ``index``
        points.

    Raises:
        IndexError: ``dim`` or an index value out of range (on a GPU at the next host read).
        TypeError: ``index`` not an integer Tensor, ``src`` not a Tensor, ``"mean"`` of bools.
        ArgumentError: another ``reduce``, shapes that do not fit, another dtype.

    Note:
        ``src`` larger than ``index`` gets zeros as the gradient of the part not read
        (PyTorch's backward refuses that shape), as ``scatter``'s.

    Example:
        >>> import xpnet
        >>> x = xpnet.tensor([[1.0, 2.0], [3.0, 4.0]])
        >>> idx = xpnet.tensor([[0, 0, 1], [1, 1, 1]])
        >>> src = xpnet.tensor([[2.0, 4.0, 6.0], [1.0, 2.0, 3.0]])
        >>> x.scatter_reduce(1, idx, src, "mean").tolist()
        [[2.3333333, 4.0], [3.0, 2.5]]
        >>> x.scatter_reduce(1, idx, src, "mean", include_self=False).tolist()
        [[3.0, 6.0], [3.0, 2.0]]
    """
    tensor = as_tensor(input)
    dim = check_dim("scatter_reduce", dim, tensor.ndim)
    index = index_array("scatter_reduce", tensor, index)
    _check_reduce("scatter_reduce", tensor, reduce, SCATTER_REDUCTIONS, include_self)
    src = source_tensor("scatter_reduce", tensor, src, "src")
    check_index_shape("scatter_reduce", tensor, index, src, dim)
    if not index.size:
        return write_nothing(tensor, src)
    size = tensor.shape[dim] if tensor.ndim else 1
    index = index_in_range("scatter_reduce", index, dim, size)
    return _reduce_0d_or_nd(tensor, dim, index, src, reduce, include_self)


def index_reduce(input, dim: int, index, source, reduce: str, *, include_self: bool = True):
    r"""``input`` with the slices of ``source`` reduced into the slices ``index`` names along
    ``dim``, as ``torch.index_reduce``: for ``dim=0``, ``out[index[i]]`` reduces
    ``source[i]`` over every ``i`` that names it, with ``input``'s own slice where
    ``include_self``.

    Args:
        input: the Tensor to reduce into (not changed).
        dim: the dimension ``index`` points along; negative counts from the end.
        index: a 1-d (or 0-d) int64 (or int32) Tensor, values in ``[0, input.shape[dim])``.
        source: a Tensor of ``input``'s dtype and shape, except ``len(index)`` along ``dim``.
        reduce: ``"prod"``, ``"mean"``, ``"amax"`` or ``"amin"`` (as in
            :func:`scatter_reduce`; PyTorch's ``index_reduce`` has no ``"sum"``: see
            ``index_add``).
        include_self: take ``input``'s slice into the reduction where ``index`` points.
            Default: ``True``.

    Returns:
        A Tensor of ``input``'s shape and dtype, with :func:`scatter_reduce`'s gradients.

    Raises:
        IndexError: ``dim`` or an index value out of range (on a GPU at the next host
            read), an ``index`` of more than one dimension.
        TypeError: ``index`` not an integer Tensor, ``source`` not a Tensor, ``"mean"`` of
            bools.
        ArgumentError: another ``reduce``, a ``source`` shape that does not fit, another
            dtype.

    Example:
        >>> import xpnet
        >>> x = xpnet.ones(3, 2)
        >>> source = xpnet.tensor([[2.0, 3.0], [4.0, 5.0], [6.0, 7.0]])
        >>> x.index_reduce(0, xpnet.tensor([0, 2, 0]), source, "prod").tolist()
        [[12.0, 21.0], [1.0, 1.0], [4.0, 5.0]]
    """
    tensor = as_tensor(input)
    _check_reduce("index_reduce", tensor, reduce, INDEX_REDUCTIONS, include_self)
    source = source_tensor("index_reduce", tensor, source, "source")
    tensor, dim, index = index_slices("index_reduce", tensor, dim, index, source)
    if not source.numel():
        return write_nothing(tensor, source)
    if tensor.ndim:  # the 1-d index, the same for every slice: scatter_reduce's index
        line = index.reshape((-1,) + (1,) * (tensor.ndim - dim - 1))
        index = backend_of(index).xp.broadcast_to(line, source.shape)
    return _reduce_0d_or_nd(tensor, dim, index, source, reduce, include_self)


METHODS = {
    "scatter_reduce": scatter_reduce,
    "index_reduce": index_reduce,
    "scatter_reduce_": in_place_method("scatter_reduce_", scatter_reduce),
    "index_reduce_": in_place_method("index_reduce_", index_reduce),
}
