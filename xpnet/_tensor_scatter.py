"""Writing by index, as PyTorch's: ``scatter``/``scatter_`` (a ``src`` tensor or a ``value``;
``reduce="add"`` or ``"multiply"``), ``index_add``/``index_add_``, ``index_copy``/``index_copy_``,
``index_fill``/``index_fill_``, ``masked_scatter``/``masked_scatter_`` and ``take_along_dim``;
``xpnet.<name>`` functions and Tensor methods (:data:`METHODS`).

The pairs follow :mod:`xpnet._tensor_ops`' convention with PyTorch's gradients: a written
position's old value gets none, the written values get the gradient where they landed. Index
values are checked as ``gather``'s (:mod:`xpnet._tensor_select`): at once on NumPy, at the
next host read on a GPU. Where an index repeats, ``scatter`` and ``index_copy`` keep one of
the values (which one is unspecified, as in PyTorch); ``add`` sums them.

Example:
    >>> import xpnet
    >>> x = xpnet.zeros(2, 3)
    >>> x.scatter(1, xpnet.tensor([[2], [0]]), xpnet.tensor([[5.0], [7.0]])).tolist()
    [[0.0, 0.0, 5.0], [7.0, 0.0, 0.0]]
    >>> x.index_add(1, xpnet.tensor([0, 0]), xpnet.ones(2, 2), alpha=2).tolist()
    [[4.0, 0.0, 0.0], [4.0, 0.0, 0.0]]
"""

from __future__ import annotations

import numbers

import numpy

from ._dtypes import checked_scalar
from ._node_names import named_nodes
from ._segment_reduce import scatter_reduce_values
from ._tensor_index import masked_fill
from ._tensor_inplace import apply_in_place
from ._tensor_math import check_dim
from ._tensor_ops import check_grad, ieee
from ._tensor_select import gather, index_array, index_in_range
from .autograd import Function, Tensor, as_tensor, data_of
from .backends import backend_of
from .backends._deferred import defer_check
from .kernels import ArgumentError, DtypeMismatchError

__all__ = ["index_add", "index_copy", "index_fill", "masked_scatter", "scatter", "take_along_dim"]


def _key(index, dim):
    """The fancy index of the positions ``index`` names along ``dim`` (its own elsewhere)."""
    xp = backend_of(index).xp
    return tuple(
        index if d == dim else xp.arange(n).reshape((-1,) + (1,) * (index.ndim - d - 1))
        for d, n in enumerate(index.shape)
    )


def _corner(shape):
    return tuple(slice(0, n) for n in shape)


@ieee
def scatter_values(a, dim, index, src, reduce=None):
    """``a`` with ``src[i][j]`` written (or added) at ``[i][index[i][j]]`` for ``dim=1``."""
    backend = backend_of(a)
    out = a.copy()
    values = src[_corner(index.shape)].astype(a.dtype, copy=False)
    if reduce == "add":
        backend.scatter_add(out, _key(index, dim), values)
    elif reduce == "multiply":  # no multiply.at on CuPy: the sort-based reduction
        return scatter_reduce_values(a, dim, index, src, "prod")
    else:
        out[_key(index, dim)] = values
    return out


def scatter_values_backward(grad_output, a, dim, index, src, reduce=None):
    check_grad("scatter_values_backward", grad_output, a.shape, a.dtype, a)
    if reduce == "multiply":
        msg = "Tensor.scatter: the derivative for reduce='multiply' is not implemented, as in"
        raise RuntimeError(f"{msg} PyTorch; scatter_reduce(..., 'prod') has one")
    xp = backend_of(grad_output).xp
    key = _key(index, dim)
    grad_a = grad_output
    if reduce is None:
        grad_a = grad_output.copy()
        grad_a[key] = 0
    grad_src = xp.zeros(src.shape, dtype=grad_output.dtype)
    grad_src[_corner(index.shape)] = grad_output[key]
    return grad_a, grad_src


@ieee
def put_slices(a, dim, index, source, mode, alpha=1):
    """``a`` with the slices ``source`` written (``mode="copy"``) or added (``"add"``, times
    ``alpha``) at the positions ``index`` (1-d) along ``dim``."""
    backend = backend_of(a)
    out, key = a.copy(), (slice(None),) * dim + (index,)
    if mode == "add":
        backend.scatter_add(out, key, source * alpha if alpha != 1 else source)
    else:
        out[key] = source
    return out


def put_slices_backward(grad_output, a, dim, index, source, mode, alpha=1):
    check_grad("put_slices_backward", grad_output, a.shape, a.dtype, a, source)
    xp = backend_of(grad_output).xp
    grad_source = xp.take(grad_output, index, axis=dim)
    if mode == "add":
        return grad_output, grad_source * alpha if alpha != 1 else grad_source
    grad_a = grad_output.copy()
    grad_a[(slice(None),) * dim + (index,)] = 0
    return grad_a, grad_source


@ieee
def masked_put(a, mask, source):
    """``a`` with the elements where ``mask`` (broadcast) holds taken from ``source``'s first
    elements, in order: ``masked_scatter``. Too short a ``source`` is read clipped (the caller
    checks it)."""
    xp = backend_of(a).xp
    mask = xp.broadcast_to(mask, a.shape)
    flat = source.reshape(-1)
    if not flat.size:
        return a.copy()
    order = xp.clip(xp.cumsum(mask.reshape(-1)) - 1, 0, flat.size - 1)
    return xp.where(mask, flat[order].reshape(a.shape), a)


def masked_put_backward(grad_output, a, mask, source):
    """``a`` gets nothing where ``mask`` holds; ``source``'s first elements get the gradients
    from there, the rest zeros (plain writes: every slot is written once)."""
    check_grad("masked_put_backward", grad_output, a.shape, a.dtype, a, source)
    xp = backend_of(grad_output).xp
    mask = xp.broadcast_to(mask, a.shape)
    grad_a = xp.where(mask, 0, grad_output)
    flat = mask.reshape(-1)
    slots = xp.where(flat, xp.minimum(xp.cumsum(flat) - 1, source.size), source.size)
    grad_source = xp.zeros(source.size + 1, dtype=grad_output.dtype)
    grad_source[slots] = xp.where(flat, grad_output.reshape(-1), 0)  # unmasked: the spare slot
    return grad_a, grad_source[:-1].reshape(source.shape)


def unchanged(a, source):
    return a.copy()


def unchanged_backward(grad_output, a, source):
    check_grad("unchanged_backward", grad_output, a.shape, a.dtype, a, source)
    return grad_output, backend_of(grad_output).xp.zeros(source.shape, dtype=grad_output.dtype)


_scatter = Function(scatter_values, scatter_values_backward, wrt=("a", "src"))
_unchanged = Function(unchanged, unchanged_backward, wrt=("a", "source"))
_masked_put = Function(masked_put, masked_put_backward, wrt=("a", "source"))
_put = Function(put_slices, put_slices_backward, wrt=("a", "source"))


def write_nothing(tensor: Tensor, source: Tensor) -> Tensor:
    """A copy of ``tensor``, for an empty index, that keeps ``source`` in the graph: it gets
    zero gradients, as PyTorch's, where ``tensor.clone()`` would leave it none."""
    return _unchanged(tensor, source)


def source_tensor(where: str, tensor: Tensor, value, name: str) -> Tensor:
    if not (hasattr(value, "shape") and hasattr(value, "dtype")):
        msg = f"Tensor.{where}: {name} must be a Tensor, got {type(value).__name__}"
        raise TypeError(msg)
    value = as_tensor(value)
    backend_of(tensor.array, value.array, names=("input", name), where=f"Tensor.{where}")
    if value.dtype != tensor.dtype:
        msg = f"Tensor.{where}: {name} must have input's dtype {tensor.dtype}, got {value.dtype}"
        raise ArgumentError(msg)
    return value


@named_nodes(
    lambda input, dim, index, src=None, **kwargs: (
        "ScatterBackward0" if hasattr(src, "shape") else "ScatterBackward1"
    )
)
def scatter(input, dim: int, index, src=None, *, value=None, reduce=None) -> Tensor:
    """``input`` with ``src`` (a Tensor, or the number ``value``) written along ``dim`` at
    ``index``, as ``torch.scatter``: for ``dim=1``, ``out[i][index[i][j]] = src[i][j]``;
    ``reduce="add"`` adds instead, ``"multiply"`` multiplies. ``index`` has ``input``'s
    number of dims, is no larger than ``src``, nor than ``input`` outside ``dim``.

    Raises:
        IndexError: ``dim`` or an index value out of range. TypeError: a bad ``index``.
        ArgumentError: shapes that do not fit, another dtype, another ``reduce``.
        RuntimeError: ``backward`` through ``reduce="multiply"``, as PyTorch's (use
            ``scatter_reduce(..., "prod")``, which has a gradient).
    """
    tensor = as_tensor(input)
    if src is None and value is None or src is not None and value is not None:
        raise TypeError("Tensor.scatter: give one of src (a Tensor) and value (a number)")
    if isinstance(src, numbers.Number):
        src, value = None, src
    dim = check_dim("scatter", dim, tensor.ndim)
    index = index_array("scatter", tensor, index)
    if reduce not in (None, "add", "multiply"):
        raise ArgumentError(f"Tensor.scatter: reduce must be 'add' or 'multiply', got {reduce!r}")
    if src is None:  # 1e6 for float16: refused, as PyTorch
        value = checked_scalar("Tensor.scatter", "value", value, tensor.dtype)
        src = Tensor(backend_of(tensor.array).xp.full(index.shape, value, dtype=tensor.dtype))
    src = source_tensor("scatter", tensor, src, "src")
    check_index_shape("scatter", tensor, index, src, dim)
    if not index.size:
        return write_nothing(tensor, src)
    index = index_in_range("scatter", index, dim, tensor.shape[max(dim, 0)] if tensor.ndim else 1)
    if tensor.ndim == 0:
        return _scatter(tensor.reshape(1), 0, index.reshape(1), src.reshape(1), reduce).reshape(())
    return _scatter(tensor, dim, index, src, reduce)


def check_index_shape(where: str, tensor, index, src, dim) -> None:
    ndim = max(tensor.ndim, 1)
    if index.ndim != tensor.ndim or (index.size and src.ndim != index.ndim):
        msg = f"Tensor.{where}: index and src must have input's {tensor.ndim} dimensions"
        raise ArgumentError(f"{msg}, got {index.shape} and {src.shape}")
    big = any(m > n for m, n in zip(index.shape, src.shape, strict=False)) or any(
        m > n for d, (m, n) in enumerate(zip(index.shape, tensor.shape, strict=False)) if d != dim
    )
    if ndim and big:
        msg = f"Tensor.{where}: index {index.shape} must be no larger than src {src.shape}"
        raise ArgumentError(f"{msg}, nor than input {tensor.shape} outside dimension {dim}")


def index_slices(where: str, input, dim, index, source=None, negative: bool = False):
    """``(tensor, dim, index)`` checked for the ``index_*`` family (a 1-d ``index``); with
    ``negative``, values in ``[-size, 0)`` count from the end (``index_fill``, as PyTorch's)."""
    tensor = as_tensor(input)
    dim = check_dim(where, dim, tensor.ndim)
    index = index_array(where, tensor, index)
    if index.ndim > 1:
        raise IndexError(f"Tensor.{where}: index must be 0-d or 1-d, got shape {index.shape}")
    index = index.reshape(-1)
    if source is not None:
        expected = list(tensor.shape)
        if tensor.ndim:
            expected[dim] = index.size
        fits = source.shape == tuple(expected)
        if not tensor.ndim:  # a 0-d input takes one element (Tensor.size is a method: numel)
            fits = source.numel() == index.size == 1
        if not fits:
            msg = f"Tensor.{where}: source must have shape {tuple(expected)} here"
            raise ArgumentError(f"{msg}, got {tuple(source.shape)}")
    size = tensor.shape[dim] if tensor.ndim else 1
    if negative:  # on the device: no host read; one past -size stays, for the error to name
        index = backend_of(index).xp.where((index < 0) & (index >= -size), index + size, index)
    return tensor, dim, index_in_range(where, index, dim, size)


def _put_or_0d(tensor, dim, index, source, mode, alpha=1):
    if tensor.ndim:
        return _put(tensor, dim, index, source, mode, alpha)
    result = _put(tensor.reshape(1), 0, index, source.reshape(1), mode, alpha)
    return result.reshape(())


@named_nodes("IndexAddBackward0")
def index_add(input, dim: int, index, source, *, alpha=1) -> Tensor:
    """``input`` with ``alpha * source``'s slices added at positions ``index`` along ``dim``
    (repeats add up), as ``torch.index_add``; for an integer or bool ``input``, ``alpha`` is
    cast to its dtype first, as PyTorch's (``1.7`` adds once)."""
    source = source_tensor("index_add", as_tensor(input), source, "source")
    tensor, dim, index = index_slices("index_add", input, dim, index, source)
    if tensor.dtype.kind in "biu":  # PyTorch casts alpha to input's dtype: 1.7 adds once
        alpha = checked_scalar("Tensor.index_add", "alpha", alpha, tensor.dtype)
        alpha = numpy.asarray(alpha).astype(tensor.dtype).item()
    return _put_or_0d(tensor, dim, index, source, "add", alpha)


@named_nodes("IndexCopyBackward0")
def index_copy(input, dim: int, index, source) -> Tensor:
    """``input`` with ``source``'s slices written at positions ``index`` along ``dim``, as
    ``torch.index_copy``."""
    source = source_tensor("index_copy", as_tensor(input), source, "source")
    tensor, dim, index = index_slices("index_copy", input, dim, index, source)
    return _put_or_0d(tensor, dim, index, source, "copy")


@named_nodes(lambda input, dim, index, value: f"IndexFillBackward{int(hasattr(value, 'shape'))}")
def index_fill(input, dim: int, index, value) -> Tensor:
    """``input`` with ``value`` (a number, or a 0-d Tensor) in the slices at positions
    ``index`` (negative: from the end) along ``dim``, as ``torch.index_fill``: a
    :func:`masked_fill`, so that a ``value`` that requires grad gets the gradients of the
    filled elements, as PyTorch's."""
    tensor, dim, index = index_slices("index_fill", input, dim, index, negative=True)
    if hasattr(value, "shape") and len(value.shape):
        msg = f"Tensor.index_fill: value must be a number or 0-d, got shape {value.shape}"
        raise ArgumentError(msg)
    if isinstance(value, numbers.Number):
        value = checked_scalar("Tensor.index_fill", "value", value, tensor.dtype)
    hit = backend_of(tensor.array).xp.zeros(tensor.shape[dim] if tensor.ndim else 1, dtype=bool)
    hit[index] = True  # a repeated position once: PyTorch's value gradient takes unique(index)
    shape = tensor.shape[dim : dim + 1] + (1,) * (tensor.ndim - dim - 1)  # 0-d: ()
    return masked_fill(tensor, Tensor(hit.reshape(shape)), value)


def take_along_dim(input, indices, dim=None) -> Tensor:
    """Values of ``input`` picked along ``dim`` by ``indices`` (both broadcast outside
    ``dim``; negative ones count from the end), or from the flattened ``input`` without
    ``dim``, as ``torch.take_along_dim``."""
    tensor = as_tensor(input)
    index = index_array("take_along_dim", tensor, indices)
    if dim is None:  # checked here for the error to name take_along_dim, not gather
        flat = index_in_range("take_along_dim", index.reshape(-1), 0, tensor.numel())
        return gather(tensor.reshape(-1), 0, Tensor(flat))
    dim = check_dim("take_along_dim", dim, tensor.ndim)
    if index.ndim != tensor.ndim:
        msg = f"Tensor.take_along_dim: indices must have input's {tensor.ndim} dimensions"
        raise ArgumentError(f"{msg}, got shape {index.shape}")
    shapes = [list(tensor.shape), list(index.shape)]
    for s in shapes:
        s[dim] = 1
    try:
        outer = list(numpy.broadcast_shapes(*(tuple(s) for s in shapes)))
    except ValueError:
        msg = f"Tensor.take_along_dim: shapes {tensor.shape} and {index.shape} do not broadcast"
        raise ArgumentError(msg) from None
    sizes = [outer[:dim] + [n] + outer[dim + 1 :] for n in (tensor.shape[dim], index.shape[dim])]
    xp = backend_of(index).xp
    # PyTorch's wraps negative indices (along dim only); the rest gather checks, where
    # PyTorch's own wrapping (modulo the size) would also let values past the end through
    size = tensor.shape[dim]
    index = xp.where((index < 0) & (index >= -size), index + size, index)
    index = index_in_range("take_along_dim", index, dim, size)
    return gather(tensor.expand(sizes[0]), dim, Tensor(xp.broadcast_to(index, tuple(sizes[1]))))


def masked_scatter(input, mask, source) -> Tensor:
    """``input`` with the elements where the bool ``mask`` holds replaced by ``source``'s
    first elements, in row-major order, as ``torch.masked_scatter``: ``input`` and ``mask``
    broadcast together (``masked_scatter_`` keeps ``input``'s shape).

    Raises:
        TypeError: ``mask`` not bool (also a RuntimeError, as PyTorch's). ArgumentError:
            shapes that do not broadcast, another dtype, or fewer ``source`` elements than
            true mask elements (on a GPU backend at the next host read).
    """
    tensor = as_tensor(input)
    mask_array = data_of(mask)
    if getattr(mask_array, "dtype", None) != numpy.bool_:
        msg = f"Tensor.masked_scatter: mask must be a bool Tensor, got {type(mask).__name__}"
        raise DtypeMismatchError(f"{msg} {getattr(mask_array, 'dtype', '')}".rstrip())
    source = source_tensor("masked_scatter", tensor, source, "source")
    backend = backend_of(tensor.array, mask_array, names=("input", "mask"))
    try:
        shape = numpy.broadcast_shapes(mask_array.shape, tensor.shape)
    except ValueError:
        msg = f"Tensor.masked_scatter: mask of shape {mask_array.shape} does not broadcast"
        raise ArgumentError(f"{msg} with input of shape {tensor.shape}") from None
    tensor = tensor.expand(shape) if shape != tensor.shape else tensor  # its gradient: summed

    def enough(count):
        if int(count) > source.numel():
            msg = f"Tensor.masked_scatter: source has {source.numel()} elements, fewer than"
            raise ArgumentError(f"{msg} the {int(count)} true elements of mask")

    xp = backend.xp
    defer_check(backend, xp.broadcast_to(mask_array, tensor.shape).sum(), enough)
    return _masked_put(tensor, mask_array, source)


def in_place_method(name: str, function):
    def method(self, dim, index, *args, **kwargs) -> Tensor:
        operands = [a for a in args if isinstance(a, Tensor)]
        rest = [a for a in args if not isinstance(a, Tensor)]
        keep = [isinstance(a, Tensor) for a in args]

        def compute(t, *tensors):
            given, values = iter(tensors), iter(rest)
            full = [next(given) if k else next(values) for k in keep]
            return function(t, dim, index, *full, **kwargs)

        return apply_in_place(name, self, compute, *operands)

    method.__name__ = name
    method.__doc__ = f"``{name[:-1]}``, in place; returns this tensor."
    return method


METHODS = {
    "scatter": scatter,
    "index_add": index_add,
    "index_copy": index_copy,
    "index_fill": index_fill,
    "take_along_dim": take_along_dim,
    "masked_scatter": masked_scatter,
    "masked_scatter_": lambda self, mask, source: apply_in_place(
        "masked_scatter_", self, lambda t, s: masked_scatter(t, mask, s), source
    ),
    **{
        f"{f.__name__}_": in_place_method(f"{f.__name__}_", f)
        for f in (scatter, index_add, index_copy, index_fill)
    },
}
