"""PyTorch's layouts and memory formats: ``xpnet.layout`` and its one value ``xpnet.strided``
(``Tensor.layout``), ``xpnet.memory_format`` and its values ``contiguous_format``,
``channels_last``, ``channels_last_3d`` and ``preserve_format``, and the Tensor methods that
take them (``contiguous``, ``is_contiguous``, ``clone``, the dtype shortcuts ``float``,
``double``, ``long``, ..., and ``cpu``, ``cuda``) with the helpers ``Tensor.to``,
``Module.to``, ``empty`` and ``empty_like``/``rand_like``/... use (:func:`relaid`,
:func:`formatted`, :func:`conformed`, :func:`check_memory_format`).

xpnet's arrays are strided NumPy/CuPy arrays, so ``channels_last`` is what it is in PyTorch:
an (N, C, H, W) tensor whose elements lie in memory in N, H, W, C order (strides
``(H*W*C, 1, W*C, C)``), made by copying a contiguous (N, H, W, C) array and viewing it
permuted; ``channels_last_3d`` the same for (N, C, D, H, W).

``preserve_format`` copies (``clone``, ``empty_like``, ``zeros_like``, ..., ``to`` with a
new dtype) keep the order of the input's strides, as PyTorch's: a dense input's copy has its
strides (a transposed tensor's ``clone()`` stays transposed), any other input's (a sliced or
an expanded one) the dense strides of that order (:func:`preserved_order`).

Example:
    >>> import xpnet
    >>> x = xpnet.zeros(2, 3, 4, 5).contiguous(memory_format=xpnet.channels_last)
    >>> x.stride(), x.is_contiguous(), x.is_contiguous(memory_format=xpnet.channels_last)
    ((60, 1, 15, 3), False, True)
"""

from __future__ import annotations

from ._tensor_math import clone as clone_array
from ._tensor_math import clone_backward
from .autograd import Function, Tensor

__all__ = [
    "layout",
    "strided",
    "memory_format",
    "contiguous_format",
    "channels_last",
    "channels_last_3d",
    "preserve_format",
]


class layout:  # noqa: N801 - torch.layout's name
    """The kind of a Tensor's storage, as ``torch.layout``; xpnet has only ``xpnet.strided``
    (dense arrays with strides), which ``Tensor.layout`` returns."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"xpnet.{self.name}"

    def __reduce__(self):  # pickled as the one object, as PyTorch's
        return self.name


class memory_format:  # noqa: N801 - torch.memory_format's name
    """The order in which a Tensor's elements lie in memory, as ``torch.memory_format``: one
    of ``xpnet.contiguous_format``, ``channels_last``, ``channels_last_3d``,
    ``preserve_format``."""

    def __init__(self, name: str, rank: int | None = None) -> None:
        self.name, self.rank = name, rank

    def __repr__(self) -> str:
        return f"xpnet.{self.name}"

    def __reduce__(self):
        return self.name


strided = layout("strided")
contiguous_format = memory_format("contiguous_format")
channels_last = memory_format("channels_last", 4)
channels_last_3d = memory_format("channels_last_3d", 5)
preserve_format = memory_format("preserve_format")


def check_memory_format(where: str, value) -> memory_format:
    """``value`` if it is an ``xpnet.memory_format``, else PyTorch's TypeError."""
    if not isinstance(value, memory_format):
        msg = (
            f"{where}: argument 'memory_format' must be xpnet.memory_format, "
            f"not {type(value).__name__}"
        )
        raise TypeError(msg)
    return value


def check_rank(where: str, ndim: int, fmt: memory_format, got: str = "") -> None:
    """PyTorch's RuntimeError where ``fmt`` (``channels_last``: 4-d, ``_3d``: 5-d) does not
    fit ``ndim`` dimensions; ``got`` says what was given (default: "a <ndim>-d tensor")."""
    if fmt.rank is not None and ndim != fmt.rank:
        msg = f"{where}: required rank {fmt.rank} tensor to use {fmt.name} format"
        raise RuntimeError(f"{msg}, got {got or f'a {ndim}-d tensor'}")


def _channels_last_order(ndim: int) -> tuple[int, ...]:
    return (0, *range(2, ndim), 1)  # N, (D,) H, W, C


def _is_laid(array, fmt: memory_format) -> bool:
    """Whether ``array`` lies in memory in ``fmt``'s order; steps along dimensions of length
    1 do not count (as PyTorch's and NumPy's contiguity flags)."""
    if fmt.rank is None:
        return bool(array.flags.c_contiguous)
    if array.ndim != fmt.rank:
        return False
    return bool(array.transpose(_channels_last_order(array.ndim)).flags.c_contiguous)


def in_format(flat, shape: tuple[int, ...], fmt: memory_format):
    """An array of ``shape`` whose memory, in ``fmt``'s order, holds ``flat`` (its elements
    row-major): ``flat`` itself reshaped for ``contiguous_format``, else a permuted view (a
    channels-last tensor restrided over the same storage, as PyTorch's ``resize_``)."""
    if fmt.rank is None:
        return flat.reshape(shape)
    order = _channels_last_order(len(shape))
    stored = flat.reshape(tuple(shape[d] for d in order))
    return stored.transpose(tuple(order.index(d) for d in range(len(shape))))


def suggested(array) -> memory_format:
    """The format a ``preserve_format`` copy of ``array`` gets: channels-last for a 4-d or 5-d
    channels-last array that is not also contiguous (PyTorch's ``suggest_memory_format``)."""
    for fmt in (channels_last, channels_last_3d):
        if array.ndim == fmt.rank and _is_laid(array, fmt) and not array.flags.c_contiguous:
            return fmt
    return contiguous_format


def preserved_order(array) -> tuple[int, ...]:
    """The dimensions of ``array``, outermost first, in the order a ``preserve_format`` copy
    lays them out: PyTorch's ``infer_dense_strides`` (its ``TensorIterator`` order), an
    insertion sort by stride, innermost first, that leaves a dimension of stride 0 where it
    is and puts the shorter of two dimensions of equal stride inside. For a dense array this
    is the order of its own strides."""
    steps = [abs(step) for step in array.strides]  # NumPy's may be negative (a flip)

    def compare(d0: int, d1: int) -> int:  # PyTorch's should_swap: 1 if d0 lies outside d1
        if steps[d0] == 0 or steps[d1] == 0:
            return 0
        if steps[d0] != steps[d1]:
            return 1 if steps[d0] > steps[d1] else -1
        return 1 if array.shape[d0] > array.shape[d1] else 0

    perm = list(range(array.ndim))[::-1]  # innermost first
    for i in range(1, array.ndim):
        k = i
        for j in range(i - 1, -1, -1):
            order = compare(perm[j], perm[k])
            if order > 0:
                perm[j], perm[k] = perm[k], perm[j]
                k = j
            elif order < 0:
                break
    return tuple(perm[::-1])


def _permuted_copy(array, order: tuple[int, ...]):
    """A copy of ``array`` whose memory holds its dimensions in ``order`` (outermost first)."""
    back = tuple(order.index(d) for d in range(array.ndim))
    return array.transpose(order).copy().transpose(back)


def relaid(where: str, array, memory_format, like=None):
    """``array`` (any backend, contiguous), or a copy of it laid out in ``memory_format``
    (``preserve_format``: in ``like``'s :func:`preserved_order`, as PyTorch's; without
    ``like``, channels-last if ``array`` is); for the ``*_like`` creators.

    Raises:
        TypeError: a ``memory_format`` that is not an ``xpnet.memory_format``.
        RuntimeError: ``channels_last`` for an array that is not 4-d (``_3d``: 5-d).
    """
    fmt = check_memory_format(where, memory_format)
    if fmt is preserve_format and like is not None:
        order = preserved_order(like)
        return array if order == tuple(range(array.ndim)) else _permuted_copy(array, order)
    fmt = suggested(array) if fmt is preserve_format else fmt
    if fmt.rank is None:
        return array
    check_rank(where, array.ndim, fmt)
    return _permuted_copy(array, _channels_last_order(array.ndim))  # NHWC in memory


def is_contiguous(self, *, memory_format: memory_format = contiguous_format) -> bool:
    """Whether the elements lie in memory in ``memory_format``'s order without gaps, as
    ``torch.Tensor.is_contiguous``: row-major for ``contiguous_format`` (and, as PyTorch,
    ``preserve_format``), N, H, W, C for ``channels_last`` (False unless 4-d). Steps along
    dimensions of length 1 do not count.

    Raises:
        TypeError: a ``memory_format`` that is not an ``xpnet.memory_format``.

    Example:
        >>> import xpnet
        >>> x = xpnet.zeros(2, 3)
        >>> x.is_contiguous(), x.t().is_contiguous()
        (True, False)
        >>> x.is_contiguous(memory_format=xpnet.channels_last)
        False
    """
    fmt = check_memory_format("Tensor.is_contiguous", memory_format)
    return _is_laid(self.array, contiguous_format if fmt is preserve_format else fmt)


def contiguous(self, *, memory_format: memory_format = contiguous_format) -> Tensor:
    """This tensor if it lies in memory in ``memory_format``'s order, else a copy that does
    (differentiable), as ``torch.Tensor.contiguous``.

    Raises:
        TypeError: a ``memory_format`` that is not an ``xpnet.memory_format``.
        RuntimeError: ``channels_last`` for a tensor that is not 4-d (``channels_last_3d``:
            5-d); ``preserve_format`` for a tensor that is not contiguous (as PyTorch's: it
            names no layout to copy to).

    Example:
        >>> import xpnet
        >>> xpnet.zeros(2, 3).t().contiguous().stride()
        (2, 1)
    """
    fmt = check_memory_format("Tensor.contiguous", memory_format)
    check_rank("Tensor.contiguous", self.ndim, fmt)
    if _is_laid(self.array, contiguous_format if fmt is preserve_format else fmt):
        return self
    if fmt is preserve_format:
        msg = "Tensor.contiguous: preserve memory format is unsupported by the contiguous "
        raise RuntimeError(msg + "operator (a non-contiguous tensor needs a format to copy to)")
    return _copy(self, fmt)


_clone = Function(clone_array, clone_backward, wrt=("a",))  # a C-contiguous copy


def _has_strides(array, order: tuple[int, ...]) -> bool:
    """Whether ``array`` has the very strides of a row-major copy with its dimensions in
    ``order`` (those along dimensions of length 1 too, which PyTorch's copies report)."""
    step, steps = array.itemsize, [0] * array.ndim
    for d in reversed(order):
        steps[d] = step
        step *= array.shape[d]
    return not array.size or tuple(steps) == array.strides


def _order(fmt: memory_format, array) -> tuple[int, ...]:
    """The dimensions, outermost first, in which a copy of ``array`` in ``fmt`` lies."""
    if fmt is preserve_format:
        return preserved_order(array)
    return tuple(range(array.ndim)) if fmt.rank is None else _channels_last_order(array.ndim)


def _copy(tensor: Tensor, fmt: memory_format, order: tuple[int, ...] | None = None) -> Tensor:
    """A differentiable copy of ``tensor`` laid out in ``fmt`` (``preserve_format``: in its
    :func:`preserved_order`), or with its dimensions in ``order`` in memory."""
    order = _order(fmt, tensor.array) if order is None else order
    if order == tuple(range(tensor.ndim)):
        return _clone(tensor)
    back = tuple(order.index(d) for d in range(tensor.ndim))
    return _clone(tensor.permute(order)).permute(back)  # a row-major copy, seen permuted


def clone(self, *, memory_format: memory_format = preserve_format) -> Tensor:
    """A copy of this tensor (differentiable) laid out in ``memory_format``, as
    ``torch.Tensor.clone``; ``preserve_format`` keeps the order of its strides (a dense
    tensor's copy has its strides, see the module's docstring).

    Raises:
        TypeError: a ``memory_format`` that is not an ``xpnet.memory_format``.
        RuntimeError: ``channels_last`` for a tensor that is not 4-d (``channels_last_3d``:
            5-d).

    Example:
        >>> import xpnet
        >>> x = xpnet.zeros(1, 2, 2, 3)
        >>> x.clone(memory_format=xpnet.channels_last).stride()
        (12, 1, 6, 2)
    """
    fmt = check_memory_format("Tensor.clone", memory_format)
    check_rank("Tensor.clone", self.ndim, fmt)
    return _copy(self, fmt)


def formatted(where: str, tensor: Tensor, memory_format, source: Tensor | None = None) -> Tensor:
    """``tensor`` for ``Tensor.to(memory_format=...)``, as PyTorch's: itself if
    ``memory_format`` is ``preserve_format`` or the one :func:`suggested` for it (so a
    transposed tensor stays as it is for ``contiguous_format``), else a differentiable copy
    laid out in ``memory_format``. Where ``tensor`` is already a copy of ``source`` (cast to
    another dtype or moved), it is laid out as PyTorch's copy is: in ``memory_format``, or
    for ``preserve_format`` in ``source``'s :func:`preserved_order`, copied again if not."""
    fmt = check_memory_format(where, memory_format)
    check_rank(where, tensor.ndim, fmt)
    if source is not None and tensor is not source:  # a copy: PyTorch lays it out anew
        order = _order(fmt, source.array)  # (NumPy's astype keeps any order, even a gap's)
        return tensor if _has_strides(tensor.array, order) else _copy(tensor, fmt, order)
    return tensor if fmt in (preserve_format, suggested(tensor.array)) else _copy(tensor, fmt)


def conformed(where: str, array, memory_format):
    """``array`` for ``Module.to(memory_format=...)``, as :func:`formatted` does for a Tensor:
    itself if ``memory_format`` is ``preserve_format`` or the one :func:`suggested` for it,
    else a copy laid out in ``memory_format`` (for a parameter's array or a buffer, an array
    or a Tensor)."""
    if isinstance(array, Tensor):
        return formatted(where, array, memory_format)
    fmt = check_memory_format(where, memory_format)
    check_rank(where, array.ndim, fmt)
    if fmt in (preserve_format, suggested(array)):
        return array
    return array.copy() if fmt.rank is None else relaid(where, array, fmt)


def _shortcut(name: str, dtype: str):
    """``Tensor.<name>(memory_format=...)``: ``to(dtype)`` laid out as :func:`formatted` says,
    as PyTorch's ``float()``, ``double()``, ``long()``, ...; one function per dtype name."""

    def method(self, *, memory_format: memory_format = preserve_format) -> Tensor:
        fmt = check_memory_format(f"Tensor.{name}", memory_format)
        check_rank(f"Tensor.{name}", self.ndim, fmt)
        return formatted(f"Tensor.{name}", self.to(dtype), fmt, source=self)

    method.__name__ = name
    method.__doc__ = (
        f"This tensor as {dtype} (itself if it is), as ``torch.Tensor.{name}``; "
        "``memory_format`` lays the result out as :meth:`Tensor.to`'s does."
    )
    return method


def cpu(self, *, memory_format: memory_format = preserve_format) -> Tensor:
    """This tensor on a host backend, as ``torch.Tensor.cpu`` (itself if it is there and
    ``memory_format`` asks no copy): ``to("cpu", memory_format=memory_format)``.

    Example:
        >>> import xpnet
        >>> xpnet.zeros(1, 2, 2, 3).cpu(memory_format=xpnet.channels_last).stride()
        (12, 1, 6, 2)
    """
    fmt = check_memory_format("Tensor.cpu", memory_format)
    check_rank("Tensor.cpu", self.ndim, fmt)
    return formatted("Tensor.cpu", self.to("cpu"), fmt, source=self)


def cuda(self, device=None, non_blocking: bool = False, *,
         memory_format: memory_format = preserve_format) -> Tensor:  # fmt: skip
    """This tensor on the GPU backend, as ``torch.Tensor.cuda``: ``device`` an index, a
    ``"cuda:<index>"`` string or an :class:`xpnet.device` (default: the current CUDA device);
    ``non_blocking`` is accepted (copies are synchronous); ``memory_format`` as :meth:`cpu`'s.

    Raises:
        RuntimeError: CUDA not available (the message says why), or a ``channels_last``
            format for a tensor that is not 4-d.
        TypeError: a ``memory_format`` that is not an ``xpnet.memory_format``.
    """
    fmt = check_memory_format("Tensor.cuda", memory_format)
    check_rank("Tensor.cuda", self.ndim, fmt)
    place = f"cuda:{device}" if isinstance(device, int) else device or "cuda"
    return formatted("Tensor.cuda", self.to(place), fmt, source=self)


# PyTorch's dtype shortcuts; each takes ``memory_format`` as torch's do
_SHORTCUTS = {
    "float": "float32", "double": "float64", "half": "float16", "long": "int64",
    "int": "int32", "short": "int16", "char": "int8", "byte": "uint8", "bool": "bool",
}  # fmt: skip

METHODS = {
    **{name: _shortcut(name, dtype) for name, dtype in _SHORTCUTS.items()},
    "cpu": cpu,
    "cuda": cuda,
    "clone": clone,
    "contiguous": contiguous,
    "is_contiguous": is_contiguous,
    "layout": property(lambda self: strided),
}
