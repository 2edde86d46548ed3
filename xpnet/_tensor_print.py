"""How Tensors print: PyTorch 2.13's ``torch/_tensor_str.py`` ported to backend arrays, so
that ``print(loss)`` reads as PyTorch's ``tensor(0.6931, grad_fn=<MeanBackward0>)``.

The print options (:func:`set_printoptions`, :func:`get_printoptions`, :func:`printoptions`)
are xpnet's own, as PyTorch's are torch's: NumPy's global print options are left alone. A
Tensor larger than ``threshold`` is summarised on its device first (the ``edgeitems`` at
each end of every long dimension are cut out there) and only those pieces are copied to the
host, by the backend's explicit ``to_host``: printing a large CuPy or strict tensor copies
at most ``(2 * edgeitems) ** ndim`` elements.

Names where PyTorch's are torch's: ``dtype=xpnet.float64``; a tensor on another device than
the default one (:func:`xpnet.get_default_device`) shows ``device='cuda:0'``; ``grad_fn``
shows PyTorch's name of the node (:mod:`xpnet._node_names`).

Example:
    >>> import xpnet
    >>> print(xpnet.tensor([1.0, 2.5]))
    tensor([1.0000, 2.5000])
    >>> xpnet.set_printoptions(precision=2)
    >>> print(xpnet.tensor([1 / 3]))
    tensor([0.33])
    >>> xpnet.set_printoptions(profile="default")
"""

from __future__ import annotations

import contextlib
import dataclasses
import math

import numpy

from . import devices
from ._autograd_graph import node_type_name
from ._dtypes import get_default_dtype
from .backends import backend_of, get_backend

__all__ = ["set_printoptions", "get_printoptions", "printoptions"]


@dataclasses.dataclass
class PrintOptions:
    """The options Tensors print with, PyTorch's ``PRINT_OPTS`` (its defaults)."""

    precision: int = 4
    threshold: float = 1000
    edgeitems: int = 3
    linewidth: int = 80
    sci_mode: bool | None = None


PRINT_OPTS = PrintOptions()

_PROFILES = {
    "default": {"precision": 4, "threshold": 1000, "edgeitems": 3, "linewidth": 80},
    "short": {"precision": 2, "threshold": 1000, "edgeitems": 2, "linewidth": 80},
    "full": {"precision": 4, "threshold": math.inf, "edgeitems": 3, "linewidth": 80},
}


def set_printoptions(
    precision=None, threshold=None, edgeitems=None, linewidth=None, profile=None, sci_mode=None
) -> None:
    """How Tensors print, as ``torch.set_printoptions``.

    Args:
        precision: digits after the point of floating-point values. Default: 4.
        threshold: the element count above which a Tensor is summarised. Default: 1000.
        edgeitems: the items shown at each end of a summarised dimension. Default: 3.
        linewidth: the characters per line before a line break. Default: 80.
        profile: ``'default'``, ``'short'`` (2 digits, 2 edge items) or ``'full'`` (never
            summarised), applied before the other arguments.
        sci_mode: ``True`` always scientific, ``False`` never, ``None`` (the default, and what
            every call that does not give it sets, as PyTorch) chosen from the values.

    Note:
        These are xpnet's options, as PyTorch's are torch's: NumPy's print options (and so
        the repr of plain NumPy, CuPy or strict arrays) are not changed.

    Raises:
        ValueError: an unknown ``profile`` (PyTorch ignores it).

    Example:
        >>> import xpnet
        >>> xpnet.set_printoptions(threshold=5)
        >>> print(xpnet.arange(10))
        tensor([0, 1, 2,  ..., 7, 8, 9])
        >>> xpnet.set_printoptions(profile="default")
    """
    if profile is not None:
        if profile not in _PROFILES:
            msg = f"set_printoptions: profile must be one of {sorted(_PROFILES)}, got {profile!r}"
            raise ValueError(msg)
        for name, value in _PROFILES[profile].items():
            setattr(PRINT_OPTS, name, value)
    given = {"precision": precision, "threshold": threshold, "edgeitems": edgeitems}
    for name, value in {**given, "linewidth": linewidth}.items():
        if value is not None:
            setattr(PRINT_OPTS, name, value)
    PRINT_OPTS.sci_mode = sci_mode


def get_printoptions() -> dict:
    """The print options as a dict that :func:`set_printoptions` takes, as PyTorch's
    ``torch._tensor_str.get_printoptions``.

    Example:
        >>> from xpnet._tensor_print import get_printoptions
        >>> get_printoptions()["precision"]
        4
    """
    return dataclasses.asdict(PRINT_OPTS)


@contextlib.contextmanager
def printoptions(**kwargs):
    """A context in which Tensors print with :func:`set_printoptions`'s ``kwargs``, restored
    on exit, as PyTorch's ``torch._tensor_str.printoptions``.

    Example:
        >>> import xpnet
        >>> from xpnet._tensor_print import printoptions
        >>> with printoptions(sci_mode=True):
        ...     print(xpnet.tensor([1.0, 2.0]))
        tensor([1.0000e+00, 2.0000e+00])
    """
    old = get_printoptions()
    set_printoptions(**kwargs)
    try:
        yield
    finally:
        set_printoptions(**old)


class _Formatter:
    """PyTorch's ``_Formatter``: the common width and notation of a Tensor's values, chosen
    from ``values`` (the host copy of the values shown)."""

    def __init__(self, values: numpy.ndarray):
        self.floating = values.dtype.kind in "fc"
        self.int_mode, self.sci_mode, self.max_width = True, False, 1
        if not self.floating:
            self.max_width = max((len(str(v)) for v in values.ravel().tolist()), default=1)
            return
        values = values.astype(numpy.float64).ravel()
        shown = values[numpy.isfinite(values) & (values != 0)]
        if shown.size == 0:  # zeros, nan and inf only: PyTorch keeps the defaults
            return
        magnitude = numpy.abs(shown)
        # Python floats: PyTorch's high / low > 1000 overflows NumPy's with a warning at 1e301
        low, high = float(magnitude.min()), float(magnitude.max())
        self.int_mode = bool(numpy.all(shown == numpy.ceil(shown)))
        self.sci_mode = (
            high > 1000.0 * low or high > 1.0e8 or low < 1.0e-4
            if PRINT_OPTS.sci_mode is None
            else PRINT_OPTS.sci_mode
        )
        precision, texts = PRINT_OPTS.precision, shown.tolist()
        if self.sci_mode:
            widths = [len(f"{v:.{precision}e}") for v in texts]
        elif self.int_mode:  # "2." : one more for the point that marks a float
            widths = [len(f"{v:.0f}") + 1 for v in texts]
        else:
            widths = [len(f"{v:.{precision}f}") for v in texts]
        self.max_width = max(widths)

    def format(self, value) -> str:
        """``value`` (a Python number) as PyTorch prints it, right-aligned to the width."""
        if not self.floating:
            text = f"{value}"
        elif self.sci_mode:
            text = f"{value:{self.max_width}.{PRINT_OPTS.precision}e}"
        elif self.int_mode:
            text = f"{value:.0f}" + ("" if math.isinf(value) or math.isnan(value) else ".")
        else:
            text = f"{value:.{PRINT_OPTS.precision}f}"
        return (self.max_width - len(text)) * " " + text


def _cut_axes(shape: tuple, summarize: bool) -> tuple:
    """Which axes are summarised: those longer than twice ``edgeitems``, as PyTorch's."""
    edge = PRINT_OPTS.edgeitems
    return tuple(summarize and size > 2 * edge for size in shape)


def _host_values(array, cut: tuple) -> numpy.ndarray:
    """A host copy of the values shown: the edge items of each cut axis are taken on the
    device and only they are copied (one explicit ``to_host``)."""
    edge, xp = PRINT_OPTS.edgeitems, backend_of(array).xp
    for axis, is_cut in enumerate(cut):
        if is_cut:
            before = (slice(None),) * axis
            head, tail = array[(*before, slice(0, edge))], array[(*before, slice(-edge, None))]
            array = xp.concatenate((head, tail), axis=axis)
    return backend_of(array).to_host(array)


def _element(value, formatter: _Formatter, imag: _Formatter | None) -> str:
    """One value; a complex one as PyTorch's: real part, then the imaginary part's sign
    (``+`` unless it has one) and digits, ``j``, each part with its own formatter."""
    if imag is None:
        return formatter.format(value)
    imag_text = (imag.format(value.imag) + "j").lstrip()
    sign = "" if imag_text[0] in "+-" else "+"
    return formatter.format(value.real) + sign + imag_text


def _vector_str(values, indent: int, is_cut: bool, formatter: _Formatter, imag=None) -> str:
    element_length = formatter.max_width + 2  # with the comma and space
    if imag is not None:  # and the imaginary part's digits and "j"
        element_length += imag.max_width + 1
    per_line = max(1, math.floor((PRINT_OPTS.linewidth - indent) / element_length))
    items = [_element(v, formatter, imag) for v in values.tolist()]
    if is_cut:
        edge = PRINT_OPTS.edgeitems
        items = [*items[:edge], " ...", *items[edge:]]
    lines = [", ".join(items[i : i + per_line]) for i in range(0, len(items), per_line)]
    return "[" + ("," + "\n" + " " * (indent + 1)).join(lines) + "]"


def _nested_str(values, indent: int, cut: tuple, formatter: _Formatter, imag=None) -> str:
    """PyTorch's ``_tensor_str_with_formatter`` on the host copy, ``cut`` marking the axes
    whose middle was left out; ``imag``: the imaginary parts' formatter of complex values."""
    if values.ndim == 0:
        return _element(values.item(), formatter, imag)
    if values.ndim == 1:
        return _vector_str(values, indent, cut[0], formatter, imag)
    slices = [_nested_str(row, indent + 1, cut[1:], formatter, imag) for row in values]
    if cut[0]:
        edge = PRINT_OPTS.edgeitems
        slices = [*slices[:edge], "...", *slices[edge:]]
    return "[" + ("," + "\n" * (values.ndim - 1) + " " * (indent + 1)).join(slices) + "]"


def _contents(array, indent: int) -> str:
    """PyTorch's ``_tensor_str``: the bracketed values of a non-empty array."""
    summarize = array.size > PRINT_OPTS.threshold
    if summarize and not PRINT_OPTS.edgeitems:  # nothing is shown, nothing is copied
        return "[...]"
    cut = _cut_axes(array.shape, summarize)
    values = _host_values(array, cut)
    if values.dtype.kind == "c":  # the real and imaginary parts, each with its own format
        real, imag = _Formatter(values.real), _Formatter(values.imag)
        return _nested_str(values, indent, cut, real, imag)
    return _nested_str(values, indent, cut, _Formatter(values))


def _dtype_name(dtype) -> str:
    return f"xpnet.{numpy.dtype(dtype).name}"


def _device_suffix(array) -> list:
    """``device='cuda:0'`` for a tensor away from the default device, as PyTorch."""
    backend = backend_of(array)
    place = devices.device_of(backend.name)
    if place.type == devices.device_of(get_backend().name).type:
        return []
    index = getattr(getattr(array, "device", None), "id", 0) if place.type == "cuda" else None
    return [f"device='{place.type}'" if index is None else f"device='{place.type}:{index}'"]


def _add_suffixes(text: str, suffixes: list, indent: int) -> str:
    """PyTorch's ``_add_suffixes``: ``, suffix`` on the last line while it fits
    ``linewidth``, else on a line of its own."""
    parts = [text]
    last_line_len = len(text) - text.rfind("\n") + 1
    for suffix in suffixes:
        if last_line_len + len(suffix) + 2 > PRINT_OPTS.linewidth:
            parts.append(",\n" + " " * indent + suffix)
            last_line_len = indent + len(suffix)
        else:
            parts.append(", " + suffix)
            last_line_len += len(suffix) + 2
    return "".join(parts) + ")"


def tensor_repr(tensor) -> str:
    """``tensor`` as PyTorch prints it (its ``_str_intern`` for a strided dense tensor).

    Example:
        >>> import xpnet
        >>> x = xpnet.tensor([[1, 2], [3, 4]], dtype=xpnet.float64, requires_grad=True)
        >>> print(x * 2)
        tensor([[2., 4.],
                [6., 8.]], dtype=xpnet.float64, grad_fn=<MulBackward0>)
    """
    prefix = "tensor("
    array, indent = tensor.array, len(prefix)
    suffixes = _device_suffix(array)
    default = get_default_dtype()
    if array.size == 0:
        if array.ndim != 1:  # NumPy's rule: the shape of an empty tensor unless it is (0,)
            suffixes.append(f"size={tuple(array.shape)}")
        if array.dtype != default:  # no values to tell an integer tensor by
            suffixes.append(f"dtype={_dtype_name(array.dtype)}")
        text = "[]"
    else:
        if not PRINT_OPTS.edgeitems:
            suffixes.append(f"size={tuple(array.shape)}")
        complex_default = numpy.result_type(default, numpy.complex64)
        if array.dtype not in (default, complex_default, numpy.int64, numpy.bool_):
            suffixes.append(f"dtype={_dtype_name(array.dtype)}")
        text = _contents(array, indent)
    if tensor.grad_fn is not None:
        suffixes.append(f"grad_fn=<{node_type_name(tensor.grad_fn)}>")
    elif tensor.requires_grad:
        suffixes.append("requires_grad=True")
    return _add_suffixes(prefix + text, suffixes, indent)
