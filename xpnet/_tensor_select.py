"""Tensor methods that pick elements by index or by order: ``gather``, ``index_select``,
``sort``, ``argsort``, ``topk`` and ``cumsum``, as PyTorch's, and their function forms.

Also the ``new_zeros``-like constructors, built on :mod:`xpnet._creation`. The pairs follow
:mod:`xpnet._tensor_ops`'s convention; a selection's gradient goes back to the positions picked,
added up where an index repeats (PyTorch's too). Index values are checked at once on NumPy, at
the next host read elsewhere. Neighbours: :mod:`xpnet._tensor_index` (shapes, splits, masks),
which re-exports these and merges :data:`METHODS`; :mod:`xpnet._tensor_math` (``max``/``min``).

Example:
    >>> import xpnet
    >>> x = xpnet.Tensor(np.array([[1.0, 4.0, 2.0], [3.0, 0.0, 5.0]]), requires_grad=True)
    >>> values, indices = x.topk(2)
    >>> (values.sum() + x.gather(1, xpnet.tensor([[0, 0], [2, 1]])).sum()).backward()
    >>> indices.tolist(), x.grad.tolist()
    ([[1, 2], [2, 0]], [[2.0, 1.0, 1.0], [1.0, 1.0, 2.0]])
"""

from __future__ import annotations

import numbers

import numpy

from . import _creation as creation
from ._tensor_math import check_dim, values_indices
from ._tensor_ops import check_grad, ieee
from ._torch_functions import as_input
from .amp.autocast_mode import keep_given_dtype
from .autograd import Function, Tensor, as_tensor, data_of
from .backends import backend_of
from .backends._deferred import defer_check
from .kernels import ArgumentError, DtypeMismatchError, IndexOutOfRangeError
from .kernels._checks import check_int

__all__ = ["argsort", "cumsum", "gather", "index_select", "sort", "topk"]

INDEX_DTYPES = ("int32", "int64")  # what PyTorch's gather and index_select accept


def scatter_along(grad_output, index, dim, shape):
    """Zeros of ``shape`` with ``grad_output`` added where ``index`` points along ``dim`` (at
    its own position along the other dims): the gradient of a selection along ``dim``. An index
    that repeats gets the sum, as PyTorch's ``scatter_add`` (the backend's, atomic on a GPU)."""
    backend = backend_of(grad_output)
    xp = backend.xp
    grad = xp.zeros(shape, dtype=grad_output.dtype)
    key = tuple(
        index if d == dim else xp.arange(n).reshape((-1,) + (1,) * (index.ndim - d - 1))
        for d, n in enumerate(index.shape)
    )
    backend.scatter_add(grad, key, grad_output)
    return grad


def take_along_dim(a, dim, index):
    """``a[i][index[i][j][k]][k]`` for ``dim=1`` (and likewise for others): ``gather``'s forward.
    ``index`` may be smaller than ``a`` outside ``dim``: the leading corner of ``a`` is read."""
    corner = tuple(slice(None) if d == dim else slice(0, n) for d, n in enumerate(index.shape))
    return backend_of(a).xp.take_along_axis(a[corner], index, axis=dim)


@ieee
def take_along_dim_backward(grad_output, a, dim, index):
    check_grad("take_along_dim_backward", grad_output, index.shape, a.dtype, a)
    return scatter_along(grad_output, index, dim, a.shape)


def select_indices(a, dim, index):
    """The slices of ``a`` at the positions ``index`` (1-d) along ``dim``: ``index_select``."""
    return backend_of(a).xp.take(a, index, axis=dim)


@ieee
def select_indices_backward(grad_output, a, dim, index):
    """Each slice's gradient is added to the slice it came from (repeats add up)."""
    shape = a.shape[:dim] + index.shape + a.shape[dim + 1 :]
    check_grad("select_indices_backward", grad_output, shape, a.dtype, a)
    backend = backend_of(grad_output)
    grad = backend.xp.zeros(a.shape, dtype=grad_output.dtype)
    backend.scatter_add(grad, (slice(None),) * dim + (index,), grad_output)
    return grad


def sort_values(a, dim, descending=False):
    """``(values, indices)`` of ``a`` sorted along ``dim``, stably (equal values keep their
    order) with NaN as the largest value: PyTorch's ``sort(stable=True)``."""
    xp = backend_of(a).xp
    if descending:  # the stable ascending order of the reversed line, reversed: ties stay first
        order = xp.argsort(xp.flip(a, dim), axis=dim, kind="stable")
        indices = (a.shape[dim] - 1) - xp.flip(order, dim)
    else:
        indices = xp.argsort(a, axis=dim, kind="stable")
    indices = indices.astype(xp.int64, copy=False)
    return xp.take_along_axis(a, indices, axis=dim), indices


def top_values(a, k, dim, largest=True):
    """``(values, indices)`` of the ``k`` largest (smallest) along ``dim``, sorted, NaN the
    largest; of equal values the first ones (PyTorch's tie order is unspecified). ``sort`` is
    the case ``k = a.shape[dim]``."""
    values, indices = sort_values(a, dim, descending=largest)
    first = (slice(None),) * dim + (slice(0, k),)
    return values[first], indices[first]


def top_values_backward(grad_output, a, k, dim, largest=True, indices=None):
    """Each value's gradient goes back to where it came from (``indices``, the forward's: all
    different along ``dim``, so put, not added)."""
    check_grad("top_values_backward", grad_output, indices.shape, a.dtype, a)
    xp = backend_of(grad_output).xp
    grad = xp.zeros(a.shape, dtype=grad_output.dtype)
    xp.put_along_axis(grad, indices, grad_output, dim)
    return grad


def _summed(x, dim):
    """Cumulative sums along ``dim``; float16 adds up in float32, as PyTorch's, not NumPy's."""
    wide = "float32" if x.dtype == "float16" else x.dtype
    return backend_of(x).xp.cumsum(x, axis=dim, dtype=wide).astype(x.dtype, copy=False)


@ieee
def cumulative_sum(a, dim):
    return _summed(a, dim)


cumulative_sum.__name__ = "cumsum"  # xpnet.amp's autocast runs "cumsum" in float32, as PyTorch


@ieee
def cumulative_sum_backward(grad_output, a, dim):
    """Element ``i`` is in every sum from ``i`` on: the reversed cumulative sum of the gradient."""
    check_grad("cumulative_sum_backward", grad_output, a.shape, a.dtype, a)
    xp = backend_of(grad_output).xp
    return xp.flip(_summed(xp.flip(grad_output, dim), dim), dim)


_take_along_dim = Function(take_along_dim, take_along_dim_backward, wrt=("a",))
_select_indices = Function(select_indices, select_indices_backward, wrt=("a",))
_top_values = Function(
    top_values, top_values_backward, wrt=("a",), saved=lambda extras: {"indices": extras[0]}
)
_cumulative_sum = Function(cumulative_sum, cumulative_sum_backward, wrt=("a",))


def index_array(where: str, tensor: Tensor, index):
    """``index`` (a Tensor or array) as an int32/int64 array on ``tensor``'s backend; else
    (a list, floats, another backend) a TypeError naming ``where``."""
    index = data_of(index)
    if not hasattr(index, "dtype"):
        msg = f"Tensor.{where}: index must be an int64 Tensor, got {type(index).__name__}"
        raise TypeError(msg)
    if index.dtype.name not in INDEX_DTYPES:
        msg = f"Tensor.{where}: index must hold int64 (or int32) values, got dtype {index.dtype}"
        raise DtypeMismatchError(msg)  # PyTorch's RuntimeError
    backend_of(tensor.array, index, names=("input", "index"), where=f"Tensor.{where}")
    return index


def index_in_range(where: str, index, dim: int, size: int):
    """``index``, safe to index a dimension of ``size`` with: IndexOutOfRangeError for a
    value outside ``[0, size)``, at once where host reads are free (NumPy), else at the next
    host read (deferred: no device sync per call); until then the values come back clipped."""
    if not index.size:
        return index
    backend = backend_of(index)
    xp = backend.xp

    def inside(host):
        low, high = (int(value) for value in host)
        if low < 0 or high >= size:
            bad = low if low < 0 else high
            msg = f"Tensor.{where}: index values must be in [0, {size}) for dimension {dim}"
            raise IndexOutOfRangeError(f"{msg} of size {size}, got {bad}")

    if size == 0:  # every value is out of range: no need to read one
        msg = f"Tensor.{where}: dimension {dim} has size 0, so no index value is in range"
        raise IndexOutOfRangeError(msg)
    bounds = xp.stack([xp.min(index), xp.max(index)])
    if defer_check(backend, bounds, inside):
        return index
    return xp.clip(index, 0, size - 1)


def gather(input, dim: int, index, *, sparse_grad: bool = False) -> Tensor:
    """Values of ``input`` picked along ``dim`` by ``index``, as ``torch.gather``: for
    ``dim=1``, ``out[i][j][k] = input[i][index[i][j][k]][k]``.

    Args:
        index: an int64 (or int32) Tensor with ``input``'s number of dimensions, no larger
            than ``input`` outside ``dim``; values in ``[0, input.shape[dim])``.
        sparse_grad: only ``False`` (sparse gradients are not implemented).

    Returns:
        A Tensor of ``index``'s shape, whose gradient is added into ``input``'s at the picked
        positions (an index picked twice gets both).

    Raises:
        IndexError: ``dim`` out of range, or an index value out of range (on a GPU backend at
            the next host read). TypeError: ``index`` not an int32/int64 Tensor.
        ArgumentError: ``index`` of another number of dimensions, or larger than ``input``.

    Example:
        >>> import xpnet
        >>> x = xpnet.tensor([[1.0, 2.0], [3.0, 4.0]])
        >>> gather(x, 1, xpnet.tensor([[0, 0], [1, 0]])).tolist()
        [[1.0, 1.0], [4.0, 3.0]]
    """
    tensor = as_tensor(input)
    if sparse_grad:
        raise NotImplementedError("Tensor.gather: sparse_grad=True is not implemented")
    dim = check_dim("gather", dim, tensor.ndim)
    index = index_array("gather", tensor, index)
    if tensor.ndim == 0 and index.ndim <= 1:  # PyTorch reads a 0-d input as one element
        index = index_in_range("gather", index, 0, 1)
        return _take_along_dim(tensor.reshape(1), 0, index.reshape(-1)).reshape(index.shape)
    if index.ndim != tensor.ndim:
        msg = f"Tensor.gather: index must have as many dimensions as input ({tensor.ndim})"
        raise ArgumentError(f"{msg}, got shape {index.shape}")
    pairs = enumerate(zip(index.shape, tensor.shape, strict=True))
    if any(m > n for d, (m, n) in pairs if d != dim):
        msg = f"Tensor.gather: index of shape {index.shape} must be no larger than input"
        raise ArgumentError(f"{msg} {tensor.shape} outside dimension {dim}")
    index = index_in_range("gather", index, dim, tensor.shape[dim])
    return _take_along_dim(tensor, dim, index)


def index_select(input, dim: int, index) -> Tensor:
    """The slices of ``input`` at positions ``index`` along ``dim``, as ``torch.index_select``.

    ``index`` is a 1-d (or 0-d) int64 or int32 Tensor; repeats are allowed, and their
    gradients add up. Raises as :func:`gather`, and IndexError for an index of 2 or more
    dimensions.

    Example:
        >>> import xpnet
        >>> x = xpnet.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
        >>> x.index_select(1, xpnet.tensor([2, 0, 2])).tolist()
        [[3.0, 1.0, 3.0], [6.0, 4.0, 6.0]]
    """
    tensor = as_tensor(input)
    dim = check_dim("index_select", dim, tensor.ndim)
    index = index_array("index_select", tensor, index)
    if index.ndim > 1:
        msg = f"Tensor.index_select: index must be a vector (1-d), got shape {index.shape}"
        raise IndexError(msg)
    if tensor.ndim == 0:
        if index.size != 1:
            msg = f"Tensor.index_select: a 0-d input takes one index, got {index.size}"
            raise ArgumentError(msg)
        index = index_in_range("index_select", index.reshape(1), 0, 1)
        return _select_indices(tensor.reshape(1), 0, index).reshape(())
    index = index_in_range("index_select", index.reshape(-1), dim, tensor.shape[dim])
    return _select_indices(tensor, dim, index)


def _line(where: str, tensor: Tensor, dim) -> tuple[Tensor, int]:
    """``(tensor, dim)`` checked, with a 0-d tensor seen as one element along dim 0."""
    dim = check_dim(where, dim, tensor.ndim)
    return (tensor.reshape(1), 0) if tensor.ndim == 0 else (tensor, dim)


def sort(input, dim: int = -1, descending: bool = False, *, stable: bool = False):
    """``(values, indices)``: ``input`` sorted along ``dim``, as ``torch.sort``.

    Ascending unless ``descending``; NaN counts as larger than every number. The sort is
    always stable, so ``stable`` changes nothing: equal values keep their order, which is
    PyTorch's order with ``stable=True`` (without it PyTorch promises none).

    Returns:
        A named tuple: ``values`` (each one's gradient goes back to its element), ``indices``
        (int64, not requiring grad).

    Raises:
        IndexError: ``dim`` out of range.

    Example:
        >>> import xpnet
        >>> values, indices = xpnet.tensor([2.0, float("nan"), 1.0, 2.0]).sort(descending=True)
        >>> values.tolist(), indices.tolist()
        ([nan, 2.0, 2.0, 1.0], [1, 0, 3, 2])
    """
    tensor = as_input("sort", input)
    line, dim = _line("sort", tensor, dim)
    values, indices = _top_values(line, line.shape[dim], dim, bool(descending))
    if tensor.ndim == 0:
        values, indices = values.reshape(()), indices.reshape(())
    return values_indices(values, Tensor(indices))


def argsort(input, dim: int = -1, descending: bool = False, *, stable: bool = False) -> Tensor:
    """The int64 indices that sort ``input`` along ``dim``: :func:`sort`'s ``indices``
    (stable, NaN last, or first when ``descending``). Not differentiable."""
    tensor = as_input("argsort", input)
    line, dim = _line("argsort", tensor, dim)
    return Tensor(sort_values(line.array, dim, bool(descending))[1].reshape(tensor.shape))


def topk(input, k: int, dim: int = -1, largest: bool = True, sorted: bool = True):
    """``(values, indices)`` of the ``k`` largest elements along ``dim`` (the smallest unless
    ``largest``), as ``torch.topk``; always sorted (``sorted=False`` lets PyTorch return any
    order). NaN counts as larger than every number. Of equal values the first are taken, where
    PyTorch's choice is unspecified.

    Raises:
        IndexError: ``dim`` out of range. TypeError: ``k`` not an int.
        ArgumentError: ``k`` outside ``[0, size of dim]``.

    Example:
        >>> import xpnet
        >>> topk(xpnet.tensor([1.0, 5.0, 3.0, 4.0]), 2, largest=False).indices.tolist()
        [0, 2]
    """
    tensor = as_input("topk", input)
    line, dim = _line("topk", tensor, dim)
    k = check_int("Tensor.topk", "k", k)
    if not 0 <= k <= line.shape[dim]:
        size = line.shape[dim]
        msg = f"Tensor.topk: k must be in [0, {size}] for dimension {dim} of size {size}, got {k}"
        raise ArgumentError(msg)
    if tensor.ndim == 0:  # one element, whatever k (0 or 1), as PyTorch
        return sort(tensor)
    values, indices = _top_values(line, k, dim, bool(largest))
    return values_indices(values, Tensor(indices))


@keep_given_dtype  # a dtype given is kept under autocast, as PyTorch's
def cumsum(input, dim: int, *, dtype=None) -> Tensor:
    """The cumulative sums of ``input`` along ``dim``, as ``torch.cumsum``: integers and bools
    sum as int64, ``dtype`` casts first; element ``i``'s gradient sums those of sums ``i`` on.

    Raises:
        IndexError: ``dim`` out of range.

    Example:
        >>> import xpnet
        >>> cumsum(xpnet.tensor([[1, 2, 3]]), dim=-1).tolist()
        [[1, 3, 6]]
    """
    tensor = as_input("cumsum", input)
    dtype = "int64" if dtype is None and tensor.dtype.kind in "biu" else dtype
    tensor = tensor if dtype is None else tensor.to(dtype)
    sums = _cumulative_sum(*_line("cumsum", tensor, dim))
    return sums.reshape(()) if tensor.ndim == 0 else sums


def _template(where: str, self, dtype, device) -> dict:
    """The ``dtype`` and ``device`` of a ``new_*`` tensor: ``self``'s, unless given."""
    dtype = creation.resolve_dtype(f"Tensor.{where}", dtype, self.dtype)
    return {"dtype": dtype, "device": backend_of(self.array).name if device is None else device}


def _new_filled(name: str, make, what: str):
    def method(self, *size, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
        shape = creation.parse_size(f"Tensor.{name}", size)
        options = _template(name, self, dtype, device)
        return make(shape, **options, requires_grad=requires_grad)

    method.__name__ = name
    method.__doc__ = (
        f"A Tensor of {what} of ``size`` (ints or one sequence), in this tensor's dtype and on "
        f"its device unless ``dtype``/``device`` say otherwise, as PyTorch's ``{name}``."
    )
    return method


def new_full(self, size, fill_value, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    """``fill_value`` in a Tensor of ``size`` (a sequence of ints), in this tensor's dtype and
    on its device unless given, as PyTorch's ``new_full``."""
    if not isinstance(size, tuple | list):
        raise TypeError(f"Tensor.new_full: size must be a sequence of ints, got {size!r}")
    shape = creation.parse_size("Tensor.new_full", (size,))
    if not isinstance(fill_value, numbers.Number | numpy.generic):
        msg = f"Tensor.new_full: fill_value must be a number, got {type(fill_value).__name__}"
        raise TypeError(msg)
    options = _template("new_full", self, dtype, device)
    return creation.full(shape, fill_value, **options, requires_grad=requires_grad)


def new_tensor(self, data, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    """A copy of ``data`` (numbers, sequences, arrays, Tensors: detached) in this tensor's
    dtype and on its device unless given (whatever ``data``'s own dtype), as PyTorch's."""
    options = _template("new_tensor", self, dtype, device)
    return creation.tensor(data, **options, requires_grad=requires_grad)


METHODS = {
    "gather": gather,
    "index_select": index_select,
    "sort": sort,
    "argsort": argsort,
    "topk": topk,
    "cumsum": cumsum,
    "new_zeros": _new_filled("new_zeros", creation.zeros, "zeros"),
    "new_ones": _new_filled("new_ones", creation.ones, "ones"),
    "new_empty": _new_filled("new_empty", creation.empty, "uninitialised values"),
    "new_full": new_full,
    "new_tensor": new_tensor,
}
