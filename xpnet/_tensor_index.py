"""Tensor methods that repeat, split and mask, as PyTorch's (``expand``, ``repeat``,
``chunk``, ``split``, ``unbind``, ``narrow``, ``masked_fill``, ``where``), the
function forms of :data:`__all__`, and :data:`METHODS`, which :mod:`xpnet._tensor_methods`
attaches to :class:`~xpnet.Tensor`. The pairs follow :mod:`xpnet._tensor_ops`'s convention.
Neighbour: :mod:`xpnet._tensor_select` (``gather``, ``index_select``, ``sort``, ``topk``,
``cumsum``, ``new_zeros``, ...), whose functions and methods this module takes in.

Example:
    >>> import xpnet
    >>> x = xpnet.Tensor(np.array([[1.0, -2.0], [3.0, -4.0]]), requires_grad=True)
    >>> top, bottom = x.chunk(2)
    >>> y = where(x > 0, x, 0.0) + top.expand(2, 2) + x.masked_fill(x > 2, -1.0)
    >>> y.sum().backward()
    >>> x.grad.tolist()
    [[4.0, 3.0], [1.0, 1.0]]
"""

from __future__ import annotations

import itertools
import numbers

import numpy

from . import _creation as creation
from . import _tensor_select as select
from ._dtypes import checked_scalar, result_dtype
from ._node_names import name_node, named_nodes
from ._tensor_checks import checked_flags, is_complex_value, tensor_shape
from ._tensor_math import check_dim
from ._tensor_ops import check_grad, ieee, shape_of, shape_only, unbroadcast
from ._tensor_select import argsort, cumsum, gather, index_select, sort, topk
from ._tensor_views import splitting, viewing
from ._torch_functions import as_input
from .autograd import Function, Tensor, as_tensor, data_of
from .backends import backend_of
from .kernels import ArgumentError, DtypeMismatchError

__all__ = ["argsort", "chunk", "cumsum", "gather", "index_select", "masked_fill", "narrow"]
__all__ += ["sort", "split", "topk", "unbind", "where"]
# PyTorch's nodes, where xpnet records one op for both
sort, named_topk = named_nodes("SortBackward0")(sort), named_nodes("TopkBackward0")(topk)
topk = checked_flags("topk", named_topk, "xpnet")  # the function form: largest, sorted only bools


def broadcast(a, shape):
    return backend_of(a).xp.broadcast_to(a, shape)


def broadcast_backward(grad_output, a, shape):
    """The copies' gradients summed back to ``a``'s shape."""
    check_grad("broadcast_backward", grad_output, shape, a.dtype, a)
    return unbroadcast(grad_output, a.shape)


def section(a, key):
    """``a[key]``, ``key`` a tuple of slices and ints: a view, as PyTorch's ``narrow``."""
    return a[key]


def section_backward(grad_output, a, key):
    """The gradient in place of the section, zeros elsewhere."""
    check_grad("section_backward", grad_output, shape_only(a.shape)[key].shape, a.dtype, a)
    grad = backend_of(grad_output).xp.zeros(a.shape, dtype=grad_output.dtype)
    grad[key] = grad_output
    return grad


def _as_dtype(value, dtype):
    return value.astype(dtype, copy=False) if hasattr(value, "astype") else value


def choose(condition, a, b, dtype):
    """``a`` where ``condition`` holds, else ``b`` (broadcast; Python numbers allowed)."""
    with backend_of(condition).ignore_float_errors():  # 1e308 in float16: inf, as PyTorch's
        chosen = backend_of(condition).xp.where(condition, _as_dtype(a, dtype), _as_dtype(b, dtype))
    return chosen.astype(dtype, copy=False)


def choose_backward(grad_output, condition, a, b, dtype, output_mask=(True, True)):
    """The gradient goes to ``a`` where ``condition`` holds, to ``b`` elsewhere."""
    shape = numpy.broadcast_shapes(condition.shape, shape_of(a), shape_of(b))
    check_grad("choose_backward", grad_output, shape, dtype, condition, a, b)
    xp = backend_of(grad_output).xp
    grad_a = grad_b = None
    if output_mask[0]:
        grad_a = unbroadcast(xp.where(condition, grad_output, 0), shape_of(a))
    if output_mask[1]:
        grad_b = unbroadcast(xp.where(condition, 0, grad_output), shape_of(b))
    return grad_a, grad_b


@ieee
def fill_masked(a, mask, value):
    """``a`` with ``value`` where ``mask`` holds (broadcast), in ``a``'s dtype."""
    xp = backend_of(a).xp
    return xp.where(mask, _as_dtype(value, a.dtype), a).astype(a.dtype, copy=False)


def fill_masked_backward(grad_output, a, mask, value, output_mask=(True, True)):
    """``a``'s gradient is 0 where masked; a 0-d array ``value`` gets the masked ones' sum."""
    shape = numpy.broadcast_shapes(a.shape, mask.shape)
    check_grad("fill_masked_backward", grad_output, shape, a.dtype, a, mask, value)
    xp = backend_of(grad_output).xp
    grad_a = grad_value = None
    if output_mask[0]:
        grad_a = unbroadcast(xp.where(mask, 0, grad_output), a.shape)
    if output_mask[1] and hasattr(value, "shape"):
        grad_value = xp.reshape(xp.where(mask, grad_output, 0).sum(keepdims=True), ())
    return grad_a, grad_value


_broadcast = Function(broadcast, broadcast_backward, wrt=("a",))
_section = Function(section, section_backward, wrt=("a",))
_choose = Function(choose, choose_backward, wrt=("a", "b"))
_fill_masked = Function(fill_masked, fill_masked_backward, wrt=("a", "value"))


def _sizes(where: str, sizes: tuple) -> tuple[int, ...]:
    """``sizes`` given as ints or as one sequence (``expand(2, 3)``, ``expand((2, 3))``)."""
    if len(sizes) == 1 and isinstance(sizes[0], tuple | list):
        sizes = tuple(sizes[0])
    return tuple(creation.check_int(f"Tensor.{where}", "size", n) for n in sizes)


def _one_per_dimension(where: str, tensor: Tensor, sizes: tuple) -> tuple:
    if len(sizes) < tensor.ndim:
        msg = f"Tensor.{where}: needs at least one size per dimension"
        raise ArgumentError(f"{msg} of {tensor.shape}, got {sizes}")
    return sizes


def expand(self, *sizes) -> Tensor:
    """A broadcast view of this tensor with ``sizes`` (ints or one sequence), as PyTorch's:
    ``-1`` keeps a dimension, only dimensions of size 1 grow, new ones go first. The gradient is
    the sum over the copies.

    Raises:
        ArgumentError: too few sizes, one that does not fit, or -1 for a new dimension.

    Example:
        >>> import xpnet
        >>> xpnet.tensor([[1.0], [2.0]]).expand(3, -1, 2).shape
        (3, 2, 2)
    """
    sizes = _one_per_dimension("expand", self, _sizes("expand", sizes))
    new = len(sizes) - self.ndim
    shape = tuple(n if d < new or n != -1 else self.shape[d - new] for d, n in enumerate(sizes))
    for d, n in enumerate(shape):
        if n < 0 or (d >= new and self.shape[d - new] not in (1, n)):
            rule = "only dimensions of size 1 grow" if d >= new else "new ones take no -1"
            msg = f"Tensor.expand: sizes {sizes} do not fit shape {self.shape} at dimension {d}"
            raise ArgumentError(f"{msg} ({rule}), got size {sizes[d]}")
    return _broadcast(self, shape)


@named_nodes("RepeatBackward0")
def repeat(self, *sizes) -> Tensor:
    """This tensor tiled ``sizes[d]`` times along each dimension (ints or one sequence, one per
    dimension at least; extra ones add leading dimensions), as PyTorch's ``repeat`` (NumPy's
    ``tile``). The gradient is the sum over the copies. Raises ArgumentError for too few sizes
    or a negative one.

    Example:
        >>> import xpnet
        >>> xpnet.tensor([1, 2]).repeat(2, 2).tolist()
        [[1, 2, 1, 2], [1, 2, 1, 2]]
    """
    sizes = _one_per_dimension("repeat", self, creation.parse_size("Tensor.repeat", sizes))
    padded = (1,) * (len(sizes) - self.ndim) + self.shape
    # as (1, n0, 1, n1, ...) broadcast to (r0, n0, r1, n1, ...): the gradient sums the copies
    grown = tuple(x for pair in zip(sizes, padded, strict=True) for x in pair)
    tiled = self.reshape(tuple(x for n in padded for x in (1, n))).expand(grown)
    tiled = tiled.reshape(tuple(r * n for r, n in zip(sizes, padded, strict=True)))
    return tiled.clone() if all(r == 1 for r in sizes) else tiled  # no copy made yet: one


def _split_name(split_size_or_sections) -> str:
    """PyTorch's node for ``split``: by one size, or by a list of them."""
    by_sizes = isinstance(split_size_or_sections, tuple | list)
    return "SplitWithSizesBackward0" if by_sizes else "SplitBackward0"


def split_dim(where: str, tensor: Tensor, dim) -> int:
    """``dim`` checked for a method that cuts ``tensor`` (``split``, ``narrow``, ...): at
    least 1-d."""
    if tensor.ndim == 0:
        msg = f"Tensor.{where}: needs a tensor of at least 1 dimension, got a 0-d tensor"
        raise ArgumentError(msg)
    return check_dim(where, dim, tensor.ndim)


def pieces(tensor: Tensor, dim: int, lengths, starts=None) -> tuple[Tensor, ...]:
    """Sections of ``lengths`` along ``dim``, one after another from 0 or from ``starts`` (in
    range): views, each its own gradient."""
    lengths = list(lengths)
    starts = list(itertools.accumulate([0, *lengths]))[:-1] if starts is None else starts
    lead = (slice(None),) * dim
    spans = zip(starts, lengths, strict=True)
    return tuple(_section(tensor, lead + (slice(start, start + n),)) for start, n in spans)


@splitting
@named_nodes(lambda tensor, split_size_or_sections, dim=0: _split_name(split_size_or_sections))
def split(tensor, split_size_or_sections, dim: int = 0) -> tuple[Tensor, ...]:
    """``tensor`` cut along ``dim`` into pieces of ``split_size_or_sections`` elements (the last
    may be smaller), or of the lengths it lists, as ``torch.split``. Each piece is a view with
    its own gradient.

    Raises:
        ArgumentError: a size below 1 (0 for an empty dimension is fine), lengths that do not
            add up, or a 0-d tensor. IndexError: ``dim`` out of range.

    Example:
        >>> import xpnet
        >>> [piece.tolist() for piece in split(xpnet.arange(5), [1, 4])]
        [[0], [1, 2, 3, 4]]
    """
    tensor = as_input("split", tensor, "tensor")
    dim = split_dim("split", tensor, dim)
    size = tensor.shape[dim]
    where, name = "Tensor.split", "split_size_or_sections"
    if isinstance(split_size_or_sections, tuple | list):
        lengths = [creation.check_int(where, name, n) for n in split_size_or_sections]
        if any(n < 0 for n in lengths) or sum(lengths) != size:
            msg = f"{where}: {name} must be lengths >= 0 adding up to {size}, got {lengths}"
            raise ArgumentError(msg)
        return pieces(tensor, dim, lengths)
    step = creation.check_int(where, name, split_size_or_sections)
    if step < 0 or (step == 0 and size):
        msg = f"{where}: {name} must be positive (0 only for an empty dimension), got {step}"
        raise ArgumentError(msg)
    lengths = [step] * (size // step) + ([size % step] if size % step else []) if step else []
    return pieces(tensor, dim, lengths or [0])


@splitting
@named_nodes("SplitBackward0")
def chunk(input, chunks: int, dim: int = 0) -> tuple[Tensor, ...]:
    """``input`` cut along ``dim`` into ``chunks`` pieces of ``ceil(size / chunks)`` elements
    (fewer pieces if they run out), as ``torch.chunk``; views with their own gradients. Raises
    ArgumentError for ``chunks`` below 1 or a 0-d tensor, IndexError for ``dim`` out of range."""
    tensor = as_input("chunk", input)
    chunks = creation.check_int("Tensor.chunk", "chunks", chunks)
    if chunks < 1:
        raise ArgumentError(f"Tensor.chunk: chunks must be at least 1, got {chunks}")
    dim = split_dim("chunk", tensor, dim)
    step = -(-tensor.shape[dim] // chunks)
    return pieces(tensor, dim, [0] * chunks) if step == 0 else split(tensor, step, dim)


@splitting
@named_nodes("UnbindBackward0")
def unbind(input, dim: int = 0) -> tuple[Tensor, ...]:
    """The slices of ``input`` along ``dim``, without it, as ``torch.unbind``; IndexError for
    ``dim`` out of range or a 0-d tensor."""
    tensor = as_input("unbind", input)
    if tensor.ndim == 0:
        raise IndexError("Tensor.unbind: a 0-d tensor has no dimension to unbind")
    dim = check_dim("unbind", dim, tensor.ndim)
    lead = (slice(None),) * dim  # then (i, ...): a 0-d piece is a view, not a NumPy scalar
    return tuple(_section(tensor, lead + (i, ...)) for i in range(tensor.shape[dim]))


@viewing
def narrow(input, dim: int, start, length: int) -> Tensor:
    """The ``length`` elements of ``input`` from ``start`` (negative: from the end; an int or a
    0-d Tensor) along ``dim``, as ``torch.narrow``: a view.

    Raises:
        IndexError: ``dim`` or ``start`` out of range. ArgumentError: a negative ``length``,
            one that runs past the end, or a 0-d tensor.

    Example:
        >>> import xpnet
        >>> xpnet.arange(6).reshape(2, 3).narrow(1, -2, 2).tolist()
        [[1, 2], [4, 5]]
    """
    tensor = as_tensor(input)
    dim = split_dim("narrow", tensor, dim)
    start = start.item() if hasattr(start, "item") and not isinstance(start, int) else start
    start = creation.check_int("Tensor.narrow", "start", start)
    length = creation.check_int("Tensor.narrow", "length", length)
    size = tensor.shape[dim]
    if not -size <= start <= size:
        msg = f"Tensor.narrow: start must be in [{-size}, {size}] for size {size}, got {start}"
        raise IndexError(msg)
    start = start + size if start < 0 else start
    if not 0 <= length <= size - start:
        msg = f"Tensor.narrow: length must be in [0, {size - start}] from start {start}"
        raise ArgumentError(f"{msg} in dimension {dim} of size {size}, got {length}")
    result = _section(tensor, (slice(None),) * dim + (slice(start, start + length),))
    return name_node(result, "SliceBackward0")


def _broadcast_shape(where: str, **shapes) -> tuple:
    try:
        return numpy.broadcast_shapes(*shapes.values())
    except ValueError:
        listed = ", ".join(f"{name} {shape}" for name, shape in shapes.items())
        raise ArgumentError(f"Tensor.{where}: shapes must broadcast, got {listed}") from None


def _check_bool(where: str, name: str, array) -> None:
    if getattr(getattr(array, "dtype", None), "kind", None) != "b":  # PyTorch: RuntimeError
        found = getattr(array, "dtype", type(array).__name__)
        raise DtypeMismatchError(f"Tensor.{where}: {name} must be a bool Tensor, got {found}")


def _operand(where: str, name: str, value):
    """A Tensor's array, an array, or a Python number (NumPy scalars become one)."""
    value = data_of(value)
    value = value.item() if isinstance(value, numpy.generic) else value
    if not hasattr(value, "shape") and not isinstance(value, numbers.Number):
        raise TypeError(f"Tensor.{where}: {name} must be a Tensor or a number, got {value!r}")
    return value


def where(condition, input=None, other=None):
    """Elements of ``input`` where ``condition`` holds, of ``other`` elsewhere, as ``torch.where``
    (broadcast; either may be a Python number; PyTorch's dtype: ``where(c, int_tensor, 0.5)`` is
    float32); so goes the gradient. ``where(condition)`` alone is the tuple of index Tensors of
    its non-zero elements (a device-to-host sync), as ``nonzero(condition, as_tuple=True)``.

    Raises:
        TypeError: ``condition`` not bool (given ``input`` and ``other``; also a RuntimeError,
            as PyTorch's), or an operand neither a Tensor nor a number.
        ArgumentError: shapes that do not broadcast, a number the result's dtype cannot hold.

    Example:
        >>> import xpnet
        >>> x = xpnet.tensor([-1.0, 2.0, -3.0])
        >>> where(x > 0, x, 0.0).tolist(), x.where(x < 0, 9).tolist()
        ([0.0, 2.0, 0.0], [-1.0, 9.0, -3.0])
    """
    mask = data_of(condition)
    if input is None and other is None and hasattr(mask, "dtype"):
        return Tensor(mask).nonzero(as_tuple=True)  # xpnet._tensor_logical's
    _check_bool("where", "condition", mask)
    a, b = _operand("where", "input", input), _operand("where", "other", other)
    shapes = {"condition": mask.shape, "input": shape_of(a), "other": shape_of(b)}
    _broadcast_shape("where", **shapes)
    arrays = (x if hasattr(x, "shape") else None for x in (a, b))
    backend_of(mask, *arrays, names=tuple(shapes), where="Tensor.where")
    dtype = result_dtype(a, b)  # a number past its range: PyTorch's overflow error, no warning
    a_in, b_in = (x if isinstance(x, Tensor) else y if hasattr(y, "shape") else
                  checked_scalar("Tensor.where", n, y, dtype) for x, y, n in
                  ((input, a, "input"), (other, b, "other")))  # fmt: skip
    return _choose(condition, a_in, b_in, dtype)


def masked_fill(input, mask, value) -> Tensor:
    """``input`` with ``value`` (a number or a 0-d Tensor) where ``mask`` (bool, broadcast)
    holds, as ``torch.masked_fill``; in ``input``'s dtype. The gradient of ``input`` is 0
    where masked; a 0-d ``value`` that requires grad gets the sum of the masked ones.

    Raises:
        TypeError: ``mask`` not bool, or ``value`` neither a number nor a Tensor.
        ArgumentError: ``value`` with dimensions, a number ``input``'s dtype cannot hold (as
            :meth:`Tensor.fill_`), or shapes that do not broadcast.

    Example:
        >>> import xpnet
        >>> x = xpnet.tensor([[1.0, 2.0], [3.0, 4.0]])
        >>> x.masked_fill(xpnet.tensor([True, False]), float("-inf")).tolist()
        [[-inf, 2.0], [-inf, 4.0]]
    """
    tensor = as_tensor(input)
    mask_array = data_of(mask)
    _check_bool("masked_fill", "mask", mask_array)
    filler = _operand("masked_fill", "value", value)
    if getattr(filler, "ndim", 0):
        msg = f"Tensor.masked_fill: value must be a number or a 0-d Tensor, got {filler.ndim}-d"
        raise ArgumentError(msg)
    if is_complex_value(filler) and tensor.dtype.kind != "c":  # NumPy drops the imaginary
        msg = f"Tensor.masked_fill: value must be real for a {tensor.dtype} tensor, got {value!r}"
        raise ArgumentError(msg)
    if isinstance(filler, numbers.Number):
        filler = checked_scalar("Tensor.masked_fill", "value", filler, tensor.dtype)
    _broadcast_shape("masked_fill", input=tensor.shape, mask=mask_array.shape)
    names = ("input", "mask", "value")
    value_array = filler if hasattr(filler, "shape") else None
    backend_of(tensor.array, mask_array, value_array, names=names, where="Tensor.masked_fill")
    return _fill_masked(tensor, mask_array, value if isinstance(value, Tensor) else filler)


METHODS = {
    "expand": expand,
    "expand_as": lambda self, other: expand(self, tensor_shape("Tensor.expand_as", "other", other)),
    "repeat": repeat,
    "chunk": chunk,
    "split": split,
    "unbind": unbind,
    "narrow": narrow,
    "masked_fill": masked_fill,
    "where": lambda self, condition, other: where(condition, self, other),
    **select.METHODS,
    "sort": sort,
    "topk": named_topk,
}
