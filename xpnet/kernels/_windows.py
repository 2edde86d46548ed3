"""Sliding windows shared by convolution and pooling: geometry, padding, views, in 1, 2 or 3
spatial dimensions (every tuple in a :class:`Geometry` has one entry per spatial axis).

Every window kernel works in three steps: :func:`window_geometry` checks the arguments and
computes the output size and the padding on each side; :func:`pad_nd` (:func:`pad2d`) pads
once; :func:`sliding_windows` gives the read-only ``(N, C, *out, *kernel)`` view, e.g.
``(N, C, H_out, W_out, kH, kW)``, whose ``[..., i, j]`` slice is the input seen by kernel
offset ``(i, j)`` at every output position. Backward passes add into :func:`offset_slices` of
a padded gradient, one offset at a time: slice-adds are deterministic on every backend, unlike
scatter-adds (atomics on a GPU) or writes through overlapping views.
"""

from __future__ import annotations

import itertools
from typing import NamedTuple

from ._checks import ArgumentError


class Geometry(NamedTuple):
    """Window sizes per spatial axis (``(H, W)`` in 2-D, ``(L,)`` in 1-D, ``(D, H, W)`` in 3-D);
    ``pad_after`` includes the ``ceil_mode`` overhang."""

    kernel: tuple[int, ...]
    stride: tuple[int, ...]
    dilation: tuple[int, ...]
    pad_before: tuple[int, ...]
    pad_after: tuple[int, ...]
    output: tuple[int, ...]

    @property
    def effective_kernel(self) -> tuple[int, ...]:
        return tuple(d * (k - 1) + 1 for k, d in zip(self.kernel, self.dilation, strict=True))

    @property
    def disjoint_step(self) -> tuple[int, ...]:
        """Per axis, how many windows apart two windows never overlap (1: none overlap)."""
        return tuple(-(-e // s) for e, s in zip(self.effective_kernel, self.stride, strict=True))


def _output_length(size, kernel, stride, before, after, ceil_mode):
    """PyTorch's ``pooling_output_shape`` (with ``after`` for the right padding); below 1
    where no window fits. In ceil_mode a window may start inside the input and overhang
    the padded input, even when the kernel is larger than it (PyTorch pools that one)."""
    span = size + before + after - kernel
    length = (span + (stride - 1 if ceil_mode else 0)) // stride + 1
    # PyTorch: in ceil_mode, a window that would start in the right padding is dropped
    if ceil_mode and (length - 1) * stride >= size + before:
        length -= 1
    return length


def window_geometry(
    where, size, kernel, stride, dilation, pad_before, pad_after=None, ceil_mode=False
) -> Geometry:
    """Output size and padding of a sliding window over an input of ``size`` (``(H, W)``, or
    one entry per spatial axis in 1-D and 3-D).

    Example:
        >>> geometry = window_geometry("max_pool2d", (5, 5), (2, 2), (2, 2), (1, 1), (0, 0),
        ...                            ceil_mode=True)
        >>> geometry.output, geometry.pad_after
        ((3, 3), (1, 1))

    Raises:
        ValueError: if the (dilated) kernel is larger than the padded input (in
            ``ceil_mode``: if no window starts inside the input, PyTorch's rule).
    """
    pad_after = pad_before if pad_after is None else pad_after
    effective = tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilation, strict=True))
    padded = tuple(s + b + a for s, b, a in zip(size, pad_before, pad_after, strict=True))
    output = tuple(
        _output_length(s, e, st, b, a, ceil_mode)
        for s, e, st, b, a in zip(size, effective, stride, pad_before, pad_after, strict=True)
    )
    # without ceil_mode (always for convolutions) output < 1 exactly where a kernel exceeds
    # the padded input; in ceil_mode, where no window starts inside the input
    if min(output) < 1:
        rule = "leave a window starting inside" if ceil_mode else "not exceed"
        msg = (
            f"{where}: kernel_size (dilated: {effective}) must {rule} the padded input "
            f"size {padded} (input {tuple(size)}, padding {tuple(pad_before)})"
        )
        raise ArgumentError(msg)
    # the last window may overhang the padding in ceil_mode: pad further so slices stay inside
    overhang = tuple(
        max(0, (o - 1) * st + e - p)
        for o, st, e, p in zip(output, stride, effective, padded, strict=True)
    )
    pad_after = tuple(a + extra for a, extra in zip(pad_after, overhang, strict=True))
    return Geometry(
        tuple(kernel), tuple(stride), tuple(dilation), tuple(pad_before), pad_after, output
    )


def pad_nd(xp, x, geometry: Geometry, value=0.0, dtype=None):
    """``x`` (..., *size) padded with ``value`` along its last ``len(geometry.kernel)`` axes as
    ``geometry`` says; ``x`` itself if there is no padding and no dtype change."""
    before, after = geometry.pad_before, geometry.pad_after
    dtype = x.dtype if dtype is None else dtype
    if not any(before) and not any(after) and dtype == x.dtype:
        return x
    nd = len(before)
    size = x.shape[x.ndim - nd :]
    shape = tuple(b + s + a for b, s, a in zip(before, size, after, strict=True))
    padded = xp.full((*x.shape[: x.ndim - nd], *shape), value, dtype=dtype)
    padded[(..., *(slice(b, b + s) for b, s in zip(before, size, strict=True)))] = x
    return padded


def crop_nd(padded, geometry: Geometry, size):
    """The inverse of :func:`pad_nd`: the ``size`` interior of ``padded``."""
    before = geometry.pad_before
    return padded[(..., *(slice(b, b + s) for b, s in zip(before, size, strict=True)))]


pad2d, crop2d = pad_nd, crop_nd  # the 2-D names the 2-D kernels use


def sliding_windows(backend, padded, geometry: Geometry):
    """The read-only window view of ``padded`` (N, C, *padded size): (N, C, *out, *kernel),
    e.g. (N, C, H_out, W_out, kH, kW)."""
    nd = len(geometry.kernel)
    lead, lead_strides = padded.shape[:-nd], padded.strides[:-nd]
    axis_strides = padded.strides[-nd:]
    shape = (*lead, *geometry.output, *geometry.kernel)
    strides = (
        *lead_strides,
        *(a * s for a, s in zip(axis_strides, geometry.stride, strict=True)),
        *(a * d for a, d in zip(axis_strides, geometry.dilation, strict=True)),
    )
    return backend.as_strided(padded, shape, strides)


def offset_slices(geometry: Geometry, *offset: int) -> tuple[slice, ...]:
    """The slices of the padded input (one per spatial axis: rows, columns in 2-D) that
    kernel offset ``offset`` (``i, j`` in 2-D) reads."""
    return tuple(
        slice(k * d, k * d + (o - 1) * s + 1, s)
        for k, s, d, o in zip(
            offset, geometry.stride, geometry.dilation, geometry.output, strict=True
        )
    )


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
    """Every kernel offset (``(i, j)`` in 2-D), row-major (the order PyTorch scans a window in)."""
    return list(itertools.product(*(range(k) for k in geometry.kernel)))


def touched_ranges(geometry: Geometry, size) -> list[range]:
    """Per spatial axis, the kernel offsets that read an element of the input (of ``size``,
    unpadded) in some window: the others read padding only, at every output position.

    Pools skip those (padding adds nothing to a sum, and -inf never wins a maximum), so a
    window far larger than its input walks about ``size + (out - 1) * stride`` offsets, not
    ``kernel``. The range also holds each window's first offset past the left padding (the
    label a max pool gives a window that stays -inf). Its ends are, per axis,
    ``ceil((before - (out - 1) * stride) / dilation)`` (the last window's first offset that
    reaches the input) and ``floor((before + size - 1) / dilation)`` (the first window's
    last), clipped to the kernel.
    """
    ranges = []
    for k, (s, d, before, out, length) in zip(
        geometry.kernel, _per_axis(geometry, size), strict=True
    ):
        first = max(0, -(-(before - (out - 1) * s) // d))
        last = min(k - 1, max((before + length - 1) // d, -(-before // d)))
        ranges.append(range(first, last + 1))
    return ranges


def _per_axis(geometry: Geometry, size):
    """Per spatial axis: (stride, dilation, pad_before, output length, input length)."""
    fields = (geometry.stride, geometry.dilation, geometry.pad_before, geometry.output, size)
    return zip(*fields, strict=True)


def touched_geometry(geometry: Geometry, size):
    """``(crops, trimmed)``: the part of the padded input that the offsets of
    :func:`touched_ranges` read, as slices of the input (of ``size``, unpadded) and a geometry
    whose kernel is those offsets only, padded just enough around the cropped input.

    A window far larger than its input (a 1000-wide kernel, padding 500, over 3 elements) pads
    ~3 elements per side instead of 500: the padding only skipped offsets would read is never
    made (it cost 8 GB and 24 s in 3-D). ``trimmed``'s offset ``j`` is ``geometry``'s offset
    ``j + range.start`` per axis; its output and strides are ``geometry``'s.
    """
    crops, kernel, before, after = [], [], [], []
    for walked, (s, d, b, out, n) in zip(
        touched_ranges(geometry, size), _per_axis(geometry, size), strict=True
    ):
        # the padded positions read: [start, stop), the input lies at [b, b + n)
        start, stop = walked.start * d, (walked.stop - 1) * d + (out - 1) * s + 1
        low, high = max(start, b), min(stop, b + n)
        kernel.append(len(walked))
        if high <= low:  # dilated windows straddling the input: they read padding only
            crops.append(slice(0, 0))
            before.append(stop - start)
            after.append(0)
            continue
        crops.append(slice(low - b, high - b))
        before.append(low - start)
        after.append(stop - high)
    trimmed = Geometry(
        tuple(kernel),
        geometry.stride,
        geometry.dilation,
        tuple(before),
        tuple(after),
        geometry.output,
    )
    return tuple(crops), trimmed


def touched_padded_size(geometry: Geometry, size) -> tuple[int, ...]:
    """The padded size :func:`touched_windows` allocates over an input of ``size``."""
    crops, trimmed = touched_geometry(geometry, size)
    pads = zip(crops, trimmed.pad_before, trimmed.pad_after, strict=True)
    return tuple(c.stop - c.start + b + a for c, b, a in pads)


def touched_windows(backend, x, geometry: Geometry, value=0.0, dtype=None):
    """``(windows, ranges)``: the window view (N, C, *out, *walked) of ``x`` (N, C, *size)
    padded with ``value`` (:func:`touched_geometry`), and :func:`touched_ranges`; the slice
    ``windows[..., j]`` is ``geometry``'s kernel offset ``ranges[0][j]`` (per axis)."""
    nd = len(geometry.kernel)
    size = x.shape[x.ndim - nd :]
    crops, trimmed = touched_geometry(geometry, size)
    padded = pad_nd(backend.xp, x[(..., *crops)], trimmed, value, dtype)
    return sliding_windows(backend, padded, trimmed), touched_ranges(geometry, size)


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
    "crop_nd",
    "kernel_offsets",
    "offset_slices",
    "pad2d",
    "pad_nd",
    "sliding_windows",
    "touched_geometry",
    "touched_padded_size",
    "touched_ranges",
    "touched_windows",
    "window_geometry",
]
