"""Average pooling over fixed windows, and its backward function: ``avg_pool2d`` here, and the
N-d bodies (:func:`avg_pool`, :func:`avg_pool_backward`) that ``avg_pool1d/3d`` share.

The forward adds the strided slices of the ``kH * kW`` kernel offsets block by block, as
:mod:`xpnet.kernels.max_pooling` does for max pooling; the backward slice-adds each window's
share into a padded gradient, offset by offset (deterministic on every backend).
"""

from __future__ import annotations

import math
import numbers

from ._blocks import batch_blocks, check_fits, compute_dtype
from ._checks import ArgumentError, kernel
from ._pooling import (
    batched,
    check_pool_fits,
    check_pool_grad,
    is_separable,
    padded_size,
    pool_geometry,
    pooled,
)
from ._windows import (
    axis_geometry,
    crop_nd,
    kernel_offsets,
    offset_slices,
    touched_geometry,
    touched_padded_size,
)

__all__ = ["avg_pool2d", "avg_pool2d_backward"]


def _spread_offsets(share, geometry, padded):
    """Add (or, disjoint windows, write) ``share`` into ``padded`` at every kernel offset of
    ``geometry`` (a :func:`touched_geometry`: the offsets that read the input)."""
    overlap = any(step != 1 for step in geometry.disjoint_step)
    for offset in kernel_offsets(geometry):
        lines = (..., *offset_slices(geometry, *offset))
        if overlap:
            padded[lines] += share
        else:
            padded[lines] = share


def _spread_to_windows(backend, geometry, size, grad, divisor, dtype):
    """Add ``grad / divisor`` (N, C, *out) to every element of its window: (N, C, *size).

    Slice-adds, one kernel offset at a time and block by block: deterministic, unlike a
    scatter-add. Disjoint windows write each element once, so they assign (~2.5x faster than
    adding on NumPy). Only offsets that read the input are spread, into the part of the
    padded gradient they reach (:func:`touched_geometry`: a window far larger than its input
    pads a few elements, not half the window). Large windows spread along the columns into
    (n, C, H_out, Wp), then along the rows: ``kH + kW`` slice-adds instead of ``kH * kW``.
    """
    xp = backend.xp
    crops, trimmed = touched_geometry(geometry, size)
    unpadded = not any(trimmed.pad_before) and not any(trimmed.pad_after)
    grad_input = xp.zeros((*grad.shape[:2], *size), dtype=dtype)
    padded_shape = touched_padded_size(geometry, size)
    cropped = tuple(c.stop - c.start for c in crops)

    def spread_block(block):
        share = grad[block].astype(dtype, copy=False) / divisor
        target = grad_input[block][(..., *crops)]
        padded = target if unpadded else xp.zeros((*share.shape[:2], *padded_shape), dtype)
        if is_separable(geometry):
            Wp = padded_shape[1]
            columns = axis_geometry(trimmed, 1, geometry.output[0])
            spread = xp.zeros((*share.shape[:3], Wp), dtype)  # (n, C, H_out, Wp)
            _spread_offsets(share, columns, spread)
            share, trimmed_left = spread, axis_geometry(trimmed, 0, Wp)
        else:
            trimmed_left = trimmed
        _spread_offsets(share, trimmed_left, padded)
        if not unpadded:
            target[...] = crop_nd(padded, trimmed, cropped)

    backend.map_blocks(spread_block, batch_blocks(backend, grad_input.shape, dtype))
    return grad_input


def _avg_divisor(xp, geometry, size, count_include_pad, divisor_override, dtype):
    """(*out) divisors, e.g. (H_out, W_out), PyTorch's rule: padding counts, the ceil_mode
    overhang not."""
    if divisor_override is not None:
        return xp.asarray(int(divisor_override), dtype=dtype)
    nd, divisor = len(size), 1
    for axis in range(nd):
        start = xp.arange(geometry.output[axis]) * geometry.stride[axis]
        start = start - geometry.pad_before[axis]
        stop = xp.minimum(start + geometry.kernel[axis], size[axis] + geometry.pad_before[axis])
        if not count_include_pad:
            start, stop = xp.maximum(start, 0), xp.minimum(stop, size[axis])
        shape = [1] * nd
        shape[axis] = -1
        divisor = divisor * (stop - start).astype(dtype).reshape(shape)
    return divisor


def _check_divisor_override(where, divisor_override):
    """A non-zero integer (NumPy's too) or None, as PyTorch: TypeError for a bool or float."""
    if divisor_override is None:
        return
    expected = f"{where}: divisor_override must be a non-zero int or None, got"
    # bool is an Integral, but PyTorch refuses it (True would divide by 1 unnoticed)
    if not isinstance(divisor_override, numbers.Integral) or isinstance(divisor_override, bool):
        msg = f"{expected} {divisor_override!r} of type {type(divisor_override).__name__}"
        raise TypeError(msg)
    if divisor_override == 0:
        msg = f"{expected} {divisor_override!r}"
        raise ArgumentError(msg)


def _avg_prepare(
    where, nd, input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override
):
    backend, x, unbatched = batched(where, input, nd)
    _check_divisor_override(where, divisor_override)
    geometry = pool_geometry(where, x, kernel_size, stride, padding, 1, ceil_mode)
    dtype = compute_dtype(backend.xp, input.dtype)
    check_pool_fits(where, backend, x, geometry, backend.xp.dtype(dtype).itemsize)
    divisor = _avg_divisor(
        backend.xp, geometry, x.shape[2:], count_include_pad, divisor_override, dtype
    )
    return backend, x, unbatched, geometry, divisor, dtype


@kernel
def avg_pool2d(
    input,
    kernel_size,
    stride=None,
    padding=0,
    ceil_mode=False,
    count_include_pad=True,
    divisor_override=None,
):
    r"""Average each kH x kW window of every channel, as ``torch.nn.functional.avg_pool2d``.

    Args:
        input: array of shape (N, C, H, W) or (C, H, W).
        kernel_size: window size, int or pair (kH, kW).
        stride: step between windows, int or pair. Default: ``kernel_size``.
        padding: zeros added on each side, int or pair, at most kernel_size // 2. Default: 0.
        ceil_mode: round the output size up instead of down. Default: ``False``.
        count_include_pad: count padded zeros in the divisor (never the ceil_mode overhang
            past the padding). Default: ``True``.
        divisor_override: divide by this instead of the window size. Default: ``None``.

    Shape:
        - Output: (N, C, H_out, W_out), H_out = floor((H + 2 * padding[0] - kH) / stride[0])
          + 1 (``ceil`` in ceil_mode).

    Returns:
        Array of the dtype and backend of ``input``; float16 sums in float32.

    Raises:
        TypeError: a non-float input, a ``divisor_override`` that is not an int (a bool
        neither, as PyTorch). ValueError: wrong ndim, non-positive sizes, padding over
        half the window, a window larger than the padded input, ``divisor_override=0``.
        MemoryError: an output (and its temporaries) larger than the backend can allocate,
        raised before allocating.

    Example:
        >>> x = xp.arange(16.0).reshape(1, 1, 4, 4)
        >>> avg_pool2d(x, 2)[0, 0]
        array([[ 2.5,  4.5],
               [10.5, 12.5]])
    """
    options = (kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override)
    return avg_pool("avg_pool2d", 2, input, *options)


def avg_pool(where, nd, input, *options):
    """The body of ``avg_pool{nd}d``: ``options`` are its arguments after ``input``."""
    backend, x, unbatched, geometry, divisor, dtype = _avg_prepare(where, nd, input, *options)
    total = pooled(backend, backend.xp.add, x, geometry, 0.0, dtype)
    total /= divisor
    output = total.astype(input.dtype, copy=False)
    return output[0] if unbatched else output


@kernel
def avg_pool2d_backward(
    grad_output,
    input,
    kernel_size,
    stride=None,
    padding=0,
    ceil_mode=False,
    count_include_pad=True,
    divisor_override=None,
):
    r"""Gradient of :func:`avg_pool2d` with respect to ``input``.

    Every element of a window receives ``grad_output / divisor`` of that window.

    Example:
        >>> avg_pool2d_backward(xp.ones((1, 1, 1, 1)), xp.zeros((1, 1, 2, 2)), 2)[0, 0]
        array([[0.25, 0.25],
               [0.25, 0.25]])
    """
    options = (kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override)
    return avg_pool_backward("avg_pool2d_backward", 2, grad_output, input, *options)


def avg_pool_backward(where, nd, grad_output, input, *options):
    """The body of ``avg_pool{nd}d_backward``: ``options`` follow ``input`` as in the forward."""
    backend, x, unbatched, geometry, divisor, dtype = _avg_prepare(where, nd, input, *options)
    output_shape = (*x.shape[:2], *geometry.output)
    grad = check_pool_grad(where, backend, grad_output, input, output_shape, unbatched)
    # the gradient, and one sample's padded gradient (the part windows reach in the input)
    padded = x.shape[1] * math.prod(padded_size(x, geometry))
    nbytes = (x.size + padded) * backend.xp.dtype(dtype).itemsize
    check_fits(where, backend, f"a gradient of shape {x.shape}", nbytes)
    grad_input = _spread_to_windows(backend, geometry, x.shape[2:], grad, divisor, dtype)
    grad_input = grad_input.astype(input.dtype, copy=False)
    return grad_input[0] if unbatched else grad_input
