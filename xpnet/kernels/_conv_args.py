"""Convolution arguments (conv1d/2d/3d): checked once at the public entry, turned into a
window geometry.

:func:`prepare_conv` is the one validation of ``conv2d``, ``conv2d_backward`` and
:func:`~xpnet.kernels.select_conv_algorithm`; the formulas behind them trust what it returns.
:func:`transposed_geometry` is the geometry of the backward's other way to grad_input.
Neighbours: :mod:`.conv` (the public entry points), :mod:`._conv_select` (which formula runs),
:mod:`._conv_im2col` and :mod:`._conv_fourier` (the formulas), :mod:`._windows` (the window
geometry shared with pooling), :mod:`._checks` (the checks shared by every family).
"""

from __future__ import annotations

import math
from typing import NamedTuple

from ._blocks import check_fits, compute_dtype
from ._checks import (
    ArgumentError,
    array_backend,
    check_int,
    check_ndim,
    require_arrays,
    to_tuple,
)
from ._windows import Geometry, window_geometry


class ConvCall(NamedTuple):
    """A validated convolution call: its backend, the input with a batch axis, the window
    geometry, and whether the input came without a batch axis."""

    backend: object
    x: object  # (N, C, H, W) in 2-D; (N, C, L), (N, C, D, H, W)
    geometry: Geometry
    unbatched: bool


def _padding_sides(where, padding, kernel, stride, dilation):
    """(pad_before, pad_after) for an int, a pair (a tuple per axis), ``'valid'`` or ``'same'``."""
    nd = len(kernel)
    if isinstance(padding, str):
        if padding == "valid":
            return (0,) * nd, (0,) * nd
        if padding != "same":
            kind = "a pair" if nd == 2 else f"a tuple of {nd} ints"
            msg = f"{where}: padding must be an int, {kind}, 'valid' or 'same', got {padding!r}"
            raise ArgumentError(msg)
        if stride != (1,) * nd:
            msg = f"{where}: padding='same' needs stride=1, got stride={stride}"
            raise ArgumentError(msg)
        # PyTorch puts the odd extra row and column at the bottom and right
        total = tuple(d * (k - 1) for k, d in zip(kernel, dilation, strict=True))
        return tuple(t // 2 for t in total), tuple(t - t // 2 for t in total)
    pad = to_tuple(where, "padding", padding, nd, minimum=0)
    return pad, pad


def _check_channels(where, C, weight, bias, groups):
    C_out = weight.shape[0]
    if C_out == 0 or 0 in weight.shape[2:]:  # PyTorch's RuntimeError, not NumPy's reshape's
        msg = f"{where}: weight must have C_out and kernel sizes of at least 1, got {weight.shape}"
        raise ArgumentError(msg)
    groups = check_int(where, "groups", groups)  # a bool or float: TypeError, as PyTorch
    if groups < 1 or C % groups or C_out % groups:
        msg = (
            f"{where}: groups must be a positive int dividing both the input channels ({C}) "
            f"and the output channels ({C_out}), got groups={groups!r}"
        )
        raise ArgumentError(msg)
    if weight.shape[1] * groups != C:
        msg = (
            f"{where}: input has {C} channels but weight expects groups * C/groups = "
            f"{groups} * {weight.shape[1]} = {groups * weight.shape[1]} channels"
        )
        raise ArgumentError(msg)
    if bias is not None and bias.shape != (C_out,):
        msg = f"{where}: bias must have shape ({C_out},) (C_out,), got {bias.shape}"
        raise ArgumentError(msg)


# the spatial axes' names by number of spatial dimensions, for layouts in messages
_AXES = {1: ("L",), 2: ("H", "W"), 3: ("D", "H", "W")}


def prepare_conv(where, input, weight, bias, stride, padding, dilation, groups, nd=2) -> ConvCall:
    """Validate a convolution call with ``nd`` spatial axes once; return its
    :class:`ConvCall`.

    Raises:
        TypeError: non-float arrays, mixed dtypes or backends.
        ValueError: wrong ndim, channel/group mismatch, bad stride/padding/dilation, a kernel
            larger than the padded input (an :class:`~xpnet.kernels.ArgumentError`).
    """
    require_arrays(where, input=input, weight=weight)
    backend = array_backend(where, input=input, weight=weight, bias=bias)
    axes = ", ".join(_AXES[nd])
    kernel_axes = ", ".join(f"k{axis}" for axis in _AXES[nd])
    check_ndim(where, "input", input, (nd + 1, nd + 2), f"(N, C, {axes}) or (C, {axes})")
    check_ndim(where, "weight", weight, (nd + 2,), f"(C_out, C / groups, {kernel_axes})")
    unbatched = input.ndim == nd + 1
    x = input[None] if unbatched else input
    _check_channels(where, x.shape[1], weight, bias, groups)
    kernel_size = tuple(weight.shape[2:])
    stride = to_tuple(where, "stride", stride, nd)
    dilation = to_tuple(where, "dilation", dilation, nd)
    before, after = _padding_sides(where, padding, kernel_size, stride, dilation)
    geometry = window_geometry(where, x.shape[2:], kernel_size, stride, dilation, before, after)
    return ConvCall(backend, x, geometry, unbatched)


def padding_text(geometry: Geometry) -> str:
    """``padding=(1, 1)``, or the sides apart when they differ, for messages."""
    before, after = geometry.pad_before, geometry.pad_after
    return f"padding={before}" if before == after else f"padding={before} before, {after} after"


def transposed_geometry(where, geometry, grad_size):
    """``(geometry, None)`` of grad_input as a stride-1 correlation of grad_output (of
    ``grad_size``) with the flipped filters, or ``(None, why not)``: it needs stride 1 (col2im
    is 3-10x cheaper than correlating a zero-upsampled gradient) and padding at most the
    dilated kernel's span."""
    span = tuple(d * (k - 1) for k, d in zip(geometry.kernel, geometry.dilation, strict=True))
    before = tuple(s - p for s, p in zip(span, geometry.pad_before, strict=True))
    after = tuple(s - p for s, p in zip(span, geometry.pad_after, strict=True))
    if geometry.stride != (1, 1):
        return None, f"it needs stride=1, got stride={geometry.stride}"
    if min(before + after) < 0:
        return None, f"it needs padding at most {span}, got {padding_text(geometry)}"
    return window_geometry(
        where, grad_size, geometry.kernel, (1, 1), geometry.dilation, before, after
    ), None


def check_conv_fits(where, backend, input_shape, output_shape, geometry, dtype) -> None:
    """MemoryError, naming the bytes, unless a convolution's output and its zero-padded input
    (both whole-batch arrays of the compute dtype, in the forward and again as gradients in
    the backward) fit: before anything is allocated, so that ``padding=20000`` or a
    broadcast input of 1e9 channels fails at once, not in NumPy's allocator or after copies.
    ``input_shape`` and ``output_shape`` are (N, C, *spatial) of the convolution (a
    transposed convolution passes its adjoint's: its own output as the input)."""
    # a loop, not a tuple from a generator: this runs on every call, in under 2 µs
    padded = math.prod(input_shape[:2])
    for n, before, after in zip(
        input_shape[2:], geometry.pad_before, geometry.pad_after, strict=True
    ):
        padded *= n + before + after
    elements = padded + math.prod(output_shape)
    nbytes = elements * backend.xp.dtype(compute_dtype(backend.xp, dtype)).itemsize
    if nbytes > backend.free_memory():  # the message only then: formatting it costs a µs
        sides = zip(input_shape[2:], geometry.pad_before, geometry.pad_after, strict=True)
        shape = (*input_shape[:2], *(n + b + a for n, b, a in sides))
        what = f"arrays of shape {tuple(output_shape)} and {shape} (padded)"
        check_fits(where, backend, what, nbytes)
