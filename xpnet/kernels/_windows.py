"""Sliding windows shared by convolution and pooling: geometry, padding, views.

Every window kernel works in three steps: :func:`window_geometry` checks the arguments and
computes the output size and the padding on each side; :func:`pad2d` pads once;
:func:`sliding_windows` gives the read-only ``(N, C, H_out, W_out, kH, kW)`` view, whose
``[..., i, j]`` slice is the input seen by kernel offset ``(i, j)`` at every output position.
Backward passes add into :func:`offset_slices` of a padded gradient, one offset at a time:
slice-adds are deterministic on every backend, unlike scatter-adds (atomics on a GPU) or
writes through overlapping views.
"""

from __future__ import annotations

from typing import NamedTuple

from ._checks import ArgumentError


class Geometry(NamedTuple):
    """Window sizes per axis ``(H, W)``; ``pad_after`` includes the ``ceil_mode`` overhang."""

    kernel: tuple[int, int]
    stride: tuple[int, int]
    dilation: tuple[int, int]
    pad_before: tuple[int, int]
    pad_after: tuple[int, int]
    output: tuple[int, int]

    @property
    def effective_kernel(self) -> tuple[int, int]:
        return tuple(d * (k - 1) + 1 for k, d in zip(self.kernel, self.dilation, strict=True))

    @property
    def disjoint_step(self) -> tuple[int, int]:
        """Per axis, how many windows apart two windows never overlap (1: none overlap)."""
        return tuple(-(-e // s) for e, s in zip(self.effective_kernel, self.stride, strict=True))


def _output_length(size, kernel, stride, before, after, ceil_mode):
    span = size + before + after - kernel
    if span < 0:
        return 0
    length = (span + (stride - 1 if ceil_mode else 0)) // stride + 1
    # PyTorch: in ceil_mode, a window that would start in the right padding is dropped
    if ceil_mode and (length - 1) * stride >= size + before:
        length -= 1
    return length


def window_geometry(
    where, size, kernel, stride, dilation, pad_before, pad_after=None, ceil_mode=False
) -> Geometry:
    """Output size and padding of a 2-D sliding window over an input of ``size = (H, W)``.

    Example:
        >>> geometry = window_geometry("max_pool2d", (5, 5), (2, 2), (2, 2), (1, 1), (0, 0),
        ...                            ceil_mode=True)
        >>> geometry.output, geometry.pad_after
        ((3, 3), (1, 1))

    Raises:
        ValueError: if the (dilated) kernel is larger than the padded input.
    """
    pad_after = pad_before if pad_after is None else pad_after
    effective = tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilation, strict=True))
    padded = tuple(s + b + a for s, b, a in zip(size, pad_before, pad_after, strict=True))
    if any(e > p for e, p in zip(effective, padded, strict=True)):
        msg = (
            f"{where}: kernel_size (dilated: {effective}) must not exceed the padded input "
            f"size {padded} (input {tuple(size)}, padding {tuple(pad_before)})"
        )
        raise ArgumentError(msg)
    output = tuple(
        _output_length(s, e, st, b, a, ceil_mode)
        for s, e, st, b, a in zip(size, effective, stride, pad_before, pad_after, strict=True)
    )
    # the last window may overhang the padding in ceil_mode: pad further so slices stay inside
    overhang = tuple(
        max(0, (o - 1) * st + e - p)
        for o, st, e, p in zip(output, stride, effective, padded, strict=True)
    )
    pad_after = tuple(a + extra for a, extra in zip(pad_after, overhang, strict=True))
    return Geometry(
        tuple(kernel), tuple(stride), tuple(dilation), tuple(pad_before), pad_after, output
    )


def pad2d(xp, x, geometry: Geometry, value=0.0, dtype=None):
    """``x`` (..., H, W) padded with ``value`` as ``geometry`` says; ``x`` itself if no padding."""
    (top, left), (bottom, right) = geometry.pad_before, geometry.pad_after
    dtype = x.dtype if dtype is None else dtype
    if top == left == bottom == right == 0 and dtype == x.dtype:
        return x
    H, W = x.shape[-2:]
    padded = xp.full((*x.shape[:-2], top + H + bottom, left + W + right), value, dtype=dtype)
    padded[..., top : top + H, left : left + W] = x
    return padded


def crop2d(padded, geometry: Geometry, size):
    """The inverse of :func:`pad2d`: the ``size = (H, W)`` interior of ``padded``."""
    (top, left), (H, W) = geometry.pad_before, size
    return padded[..., top : top + H, left : left + W]


def sliding_windows(backend, padded, geometry: Geometry):
    """The read-only window view of ``padded`` (N, C, Hp, Wp): (N, C, H_out, W_out, kH, kW)."""
    *lead, _, _ = padded.shape
    *lead_strides, row, column = padded.strides
    (sH, sW), (dH, dW) = geometry.stride, geometry.dilation
    shape = (*lead, *geometry.output, *geometry.kernel)
    strides = (*lead_strides, row * sH, column * sW, row * dH, column * dW)
    return backend.as_strided(padded, shape, strides)


def offset_slices(geometry: Geometry, i: int, j: int) -> tuple[slice, slice]:
    """The (rows, columns) of the padded input that kernel offset ``(i, j)`` reads."""
    (sH, sW), (dH, dW), (H_out, W_out) = geometry.stride, geometry.dilation, geometry.output
    rows = slice(i * dH, i * dH + (H_out - 1) * sH + 1, sH)
    columns = slice(j * dW, j * dW + (W_out - 1) * sW + 1, sW)
    return rows, columns


def axis_geometry(geometry: Geometry, axis: int, other: int) -> Geometry:
    """The 1-D part of ``geometry`` along ``axis`` (0 rows, 1 columns), padded along that axis
    only, over an input whose other axis has ``other`` elements (kept whole: kernel 1).

    Separable reductions (max, sum) run a ``kH x kW`` window as a ``1 x kW`` pass over the
    padded input, then a ``kH x 1`` pass over its result: ``kH + kW`` offsets, not ``kH * kW``.

    Example:
        >>> g = window_geometry("max_pool2d", (5, 5), (3, 3), (2, 2), (1, 1), (1, 1))
        >>> axis_geometry(g, 1, 7).kernel, axis_geometry(g, 1, 7).output
        ((1, 3), (7, 3))
    """

    def pick(pair, whole):
        return (pair[0], whole) if axis == 0 else (whole, pair[1])

    return Geometry(
        pick(geometry.kernel, 1),
        pick(geometry.stride, 1),
        pick(geometry.dilation, 1),
        pick(geometry.pad_before, 0),
        pick(geometry.pad_after, 0),
        pick(geometry.output, other),
    )


def kernel_offsets(geometry: Geometry):
    """Every kernel offset ``(i, j)``, row-major (the order PyTorch scans a window in)."""
    kH, kW = geometry.kernel
    return [(i, j) for i in range(kH) for j in range(kW)]


def check_padding_at_most_half(where: str, padding, kernel) -> None:
    """Pooling pads at most half a window, so every window holds an input element."""
    if any(p > k // 2 for p, k in zip(padding, kernel, strict=True)):
        msg = (
            f"{where}: padding must be at most half of kernel_size, got padding={padding}, "
            f"kernel_size={kernel}"
        )
        raise ArgumentError(msg)


__all__ = [
    "Geometry",
    "axis_geometry",
    "check_padding_at_most_half",
    "crop2d",
    "kernel_offsets",
    "offset_slices",
    "pad2d",
    "sliding_windows",
    "window_geometry",
]
