"""More of PyTorch's indexing functions: ``scatter_add``/``scatter_add_``, ``index_put``/
``index_put_`` (with ``accumulate``), ``take``, ``tril_indices``/``triu_indices``,
``diagflat`` and ``inner``, as Tensor methods (:data:`METHODS`) and
``xpnet.<name>`` functions (:data:`__all__`), with PyTorch's gradients. They are built on
:func:`xpnet.scatter`, ``x[index] = value``, indexing, :func:`xpnet.diag` and
:func:`xpnet.tensordot`, except ``index_put(accumulate=True)``, whose pair adds with the
backend's scatter-add (every duplicate index adds).

Example:
    >>> import xpnet
    >>> x = xpnet.zeros(4)
    >>> x.index_put_((xpnet.tensor([0, 2, 0]),), xpnet.tensor([1.0, 2.0, 3.0]), accumulate=True)
    tensor([4., 0., 2., 0.])
"""

from __future__ import annotations

import numpy

from . import _tensor_function_ops as ops
from ._creation import target_backend
from ._node_names import named_nodes
from ._tensor_dims import torch_index
from ._tensor_inplace import apply_in_place
from ._tensor_products import tensordot
from ._tensor_scatter import scatter
from ._tensor_select import index_array
from ._tensor_shape_ops import diag
from ._torch_functions import as_input
from .amp.autocast_mode import autocast, promote_operands
from .autograd import Function, Tensor, data_of
from .kernels import ArgumentError
from .kernels._checks import check_int

__all__ = ["scatter_add", "index_put", "take", "tril_indices", "triu_indices", "diagflat",
           "inner"]  # fmt: skip


@named_nodes("ScatterAddBackward0")
def scatter_add(input, dim: int, index, src) -> Tensor:
    """``scatter(input, dim, index, src, reduce="add")``, as ``torch.scatter_add``."""
    input, src = promote_operands(input, src)  # on PyTorch's autocast promote list
    return scatter(input, dim, index, src, reduce="add")


_added = Function(ops.put_added, ops.put_added_backward, wrt=("a", "value"))


def _indices(where: str, tensor: Tensor, indices) -> tuple:
    """The index arrays, of PyTorch's dtypes: int64, int32, bool, or uint8 read as a mask (its
    deprecated form, with its warning) by both paths, the accumulating one too."""
    if not isinstance(indices, tuple | list) or not indices:
        msg = f"Tensor.{where}: indices must be a non-empty tuple of Tensors, got {indices!r}"
        raise TypeError(msg)
    arrays = tuple(data_of(as_input(where, i, "indices")) for i in indices)
    for array in arrays:
        if array.dtype.name not in ("int64", "int32", "uint8", "bool"):
            msg = f"Tensor.{where}: indices must be int64, int32, uint8 or bool Tensors, got"
            raise IndexError(f"{msg} {array.dtype}")
    return torch_index(arrays)


@named_nodes("IndexPutBackward0")
def index_put(input, indices, values, accumulate: bool = False) -> Tensor:
    """A copy of ``input`` with ``values`` (broadcast) written at ``input[indices]`` (a tuple of
    index Tensors), as ``torch.index_put``; with ``accumulate`` they add, every duplicate
    index too (without it, which duplicate wins is unspecified, as in PyTorch)."""
    tensor = as_input("index_put", input)
    indices = _indices("index_put", tensor, indices)
    values = as_input("index_put", values, "values")
    tensor, values = promote_operands(tensor, values)  # on PyTorch's autocast promote list
    if values.dtype != tensor.dtype:
        msg = f"Tensor.index_put: values must have input's dtype {tensor.dtype}, got {values.dtype}"
        raise ArgumentError(msg)
    if accumulate:
        return _added(tensor, indices, values)
    result = tensor.clone()
    result[indices] = values
    return result


def _index_put_(self, indices, values, accumulate: bool = False) -> Tensor:
    """:meth:`index_put`, in place; returns this tensor."""
    with autocast(enabled=False):  # index_put_ is on no autocast list: two dtypes raise
        return apply_in_place(
            "index_put_", self, lambda t, v: index_put(t, indices, v, accumulate), values
        )


def _scatter_add_(self, dim: int, index, src) -> Tensor:
    """:meth:`scatter_add`, in place; returns this tensor."""
    with autocast(enabled=False):  # scatter_add_ is on no autocast list: two dtypes raise
        return apply_in_place("scatter_add_", self, lambda t, s: scatter_add(t, dim, index, s), src)


@named_nodes("TakeBackward0")
def take(input, index) -> Tensor:
    """The elements of ``input`` flattened, at ``index`` (any shape), as ``torch.take``."""
    tensor = as_input("take", input)
    index = index_array("take", tensor, as_input("take", index, "index"))  # a mask is no index
    return tensor.reshape(-1)[index]


def _triangle_indices(name: str, lower: bool):
    def function(row: int, col: int, offset: int = 0, *, dtype=numpy.int64, device=None):
        row, col, offset = (check_int(f"xpnet.{name}", *pair) for pair in
                            (("row", row), ("col", col), ("offset", offset)))  # fmt: skip
        if row < 0 or col < 0:
            raise ArgumentError(f"xpnet.{name}: row and col must be >= 0, got {row}, {col}")
        mask = numpy.tri(row, col, offset, dtype=bool)
        rows, cols = numpy.nonzero(mask if lower else ~numpy.tri(row, col, offset - 1, dtype=bool))
        return Tensor(target_backend(device).asarray(numpy.stack([rows, cols]).astype(dtype)))

    function.__name__ = function.__qualname__ = name
    part = "lower" if lower else "upper"
    function.__doc__ = (
        f"The (2, n) row and column indices of the {part} triangle (from diagonal ``offset``) "
        f"of a ``row`` x ``col`` matrix, in row-major order, as ``torch.{name}``."
    )
    return function


tril_indices = _triangle_indices("tril_indices", lower=True)
triu_indices = _triangle_indices("triu_indices", lower=False)


def diagflat(input, offset: int = 0) -> Tensor:
    """``input`` flattened, on the diagonal ``offset`` of a square matrix, as
    ``torch.diagflat``."""
    return diag(as_input("diagflat", input).reshape(-1), offset)


def inner(input, other) -> Tensor:
    """Sums of products over the last dimensions, as ``torch.inner`` (a scalar times a tensor
    for a 0-d operand)."""
    a, b = as_input("inner", input), as_input("inner", other, "other")
    if a.ndim == 0 or b.ndim == 0:
        return a * b
    return tensordot(a, b, dims=([-1], [-1]))


METHODS = {
    "scatter_add": scatter_add,
    "scatter_add_": _scatter_add_,
    "index_put": index_put,
    "index_put_": _index_put_,
    "take": take,
    "diagflat": diagflat,
    "inner": inner,
}
