"""Max pooling over fixed windows, and its backward function: ``max_pool2d`` here, and the
N-d bodies (:func:`max_pool`, :func:`max_pool_backward`) that ``max_pool1d/3d`` share.

The forward folds the kernel offsets of the shared window view (:mod:`._pooling`). It keeps
a running (value, offset) pair with PyTorch's rule: a later element wins if it is strictly
larger or NaN, so ties go to the first maximum and NaN wins. Large windows run the same rule
along each row's columns, then along the rows: the rule gives the same winner when applied
to row winners as when scanning the window in row-major order (the first maximum of the first
row holding the maximum; the last NaN of the last row holding one). The backward adds at the
saved flat indices, one group of disjoint windows at a time, so every add in a group hits a
distinct element: deterministic on every backend, no atomics.
Average pools live in :mod:`xpnet.kernels.avg_pooling`, adaptive pools in
:mod:`xpnet.kernels.adaptive_pooling`.
"""

from __future__ import annotations

import functools
import itertools
import math

from ._blocks import batch_blocks, compute_dtype, register_cache
from ._checks import kernel
from ._pooling import (
    batched,
    check_fits,
    check_index_range,
    check_pool_fits,
    check_pool_grad,
    check_saved_indices,
    flat_index,
    is_separable,
    pool_blocks,
    pool_geometry,
    pooled,
    running_argmax,
)
from ._windows import (
    axis_geometry,
    kernel_offsets,
    pad2d,
    sliding_windows,
)

__all__ = [
    "max_pool2d",
    "max_pool2d_backward",
]


def _window_starts(xp, geometry, axis):
    """First input row (axis 0) or column (axis 1) of each window; offsets in the padding."""
    stride, dilation = geometry.stride[axis], geometry.dilation[axis]
    start = xp.arange(geometry.output[axis]) * stride - geometry.pad_before[axis]
    return start, xp.maximum(-start + dilation - 1, 0) // dilation


def _contiguous_offsets(xp, windows, geometry, label):
    """``(values, label(number))`` of each kernel offset, values copied to one contiguous
    buffer.

    One strided copy per offset, then contiguous (SIMD) comparisons: ~2.5x faster on NumPy
    than comparing the strided slices directly.
    """
    values = xp.empty(windows.shape[: windows.ndim - len(geometry.kernel)], dtype=windows.dtype)
    for number, offset in enumerate(kernel_offsets(geometry)):
        values[...] = windows[(..., *offset)]
        yield values, label(number)


def _separable_argmax(backend, x, geometry, best, indices):
    """Max into ``best`` and int64 flat index into ``indices`` of every window of ``x``
    (n, C, H, W), columns first: each row's window maximum and its column, then the best row.

    Labels are input positions, starting at the first position inside the input, as in
    :func:`_offset_argmax`.
    """
    xp, (dH, dW), (H, W), W_out = backend.xp, geometry.dilation, x.shape[2:], geometry.output[1]
    columns, rows = axis_geometry(geometry, 1, H), axis_geometry(geometry, 0, W_out)
    column_start, column_first = _window_starts(xp, geometry, 1)
    row_start, row_first = _window_starts(xp, geometry, 0)
    row_maxima = xp.full((*x.shape[:3], W_out), -xp.inf, dtype=x.dtype)
    column = xp.empty(row_maxima.shape, dtype=xp.int64)  # of each row's maximum
    column[...] = column_start + column_first * dW
    windows = sliding_windows(backend, pad2d(xp, x, columns, -xp.inf), columns)
    labels = _contiguous_offsets(xp, windows, columns, lambda j: column_start + j * dW)
    running_argmax(xp, labels, row_maxima, column)

    best[...] = -xp.inf
    row = xp.empty(best.shape, dtype=xp.int64)
    row[...] = (row_start + row_first * dH)[:, None]
    windows = sliding_windows(backend, pad2d(xp, row_maxima, rows, -xp.inf), rows)
    labels = _contiguous_offsets(xp, windows, rows, lambda i: (row_start + i * dH)[:, None])
    running_argmax(xp, labels, best, row)
    # the winning row's column; a window whose rows all lie in the padding keeps its first
    # row and column, as in PyTorch (an index past the plane, which the backward skips)
    indices[...] = xp.take_along_axis(column, xp.minimum(row, H - 1), axis=2)
    rows_inside = (row_start + row_first * dH < H)[:, None]
    indices[...] = xp.where(rows_inside, indices, column_start + column_first * dW)
    indices += row * W


def _flat_offsets(xp, geometry, size):
    """Flat input-plane index of each window's offset (0, ..., 0), and each offset's shift."""
    nd = len(size)
    starts = [_window_starts(xp, geometry, axis)[0] for axis in range(nd)]
    strides = [math.prod(size[axis + 1 :]) for axis in range(nd)]
    shifts = [
        sum(k * d * st for k, d, st in zip(offset, geometry.dilation, strides, strict=True))
        for offset in kernel_offsets(geometry)
    ]
    return flat_index(xp, starts, size), shifts  # (*out), one int per offset


@functools.lru_cache(maxsize=64)
def _offset_tables(xp, geometry, size):
    """``(base, shifts, first)`` of :func:`_offset_argmax` for windows of ``geometry`` over
    planes of ``size``: made once, not on every call (issue 17: they were most of max-pool's
    device calls); :func:`xpnet.empty_cache` drops them."""
    base, shifts = _flat_offsets(xp, geometry, size)
    shifts = xp.asarray(shifts, dtype=xp.int64)
    # the first offset inside the input: a window of -inf points there, not at padding
    nd = len(geometry.kernel)
    first = flat_index(xp, [_window_starts(xp, geometry, a)[1] for a in range(nd)], geometry.kernel)
    return base, shifts, first


register_cache(_offset_tables)


def _offset_argmax(backend, x, geometry):
    """``argmax(x, best, indices)`` over the ``kH * kW`` offsets of small windows.

    The running argmax labels kernel offsets with small ints; ``base + shifts[label]`` turns
    them into flat indices.
    """
    xp = backend.xp
    base, shifts, first = _offset_tables(xp, geometry, x.shape[2:])
    label_type = xp.int8 if math.prod(geometry.kernel) < 128 else xp.int32

    def argmax(x, best, indices):
        windows = sliding_windows(backend, pad2d(xp, x, geometry, -xp.inf), geometry)
        label = xp.empty(best.shape, dtype=label_type)
        best[...], label[...] = -xp.inf, first
        running_argmax(xp, _contiguous_offsets(xp, windows, geometry, label_type), best, label)
        indices[...] = shifts[label]
        indices += base

    return argmax


def _max_pool_indices(backend, x, geometry):
    """Max and int64 flat index (into each H x W plane) of every window of ``x``, by blocks."""
    xp = backend.xp
    output = xp.empty((*x.shape[:2], *geometry.output), dtype=x.dtype)
    indices = xp.empty(output.shape, dtype=xp.int64)
    if is_separable(geometry):
        argmax = functools.partial(_separable_argmax, backend, geometry=geometry)
    else:
        argmax = _offset_argmax(backend, x, geometry)

    def argmax_block(block):
        argmax(x[block], best=output[block], indices=indices[block])

    backend.map_blocks(argmax_block, pool_blocks(backend, x, geometry, x.dtype))
    return output, indices


@kernel
def max_pool2d(
    input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False
):
    r"""Maximum of each kH x kW window of every channel, as ``torch.nn.functional.max_pool2d``.

    Args:
        input: array of shape (N, C, H, W) or (C, H, W).
        kernel_size: window size, int or pair (kH, kW).
        stride: step between windows, int or pair. Default: ``kernel_size``.
        padding: implicit -inf on each side, int or pair, at most kernel_size // 2. Default: 0.
        dilation: spacing between window elements, int or pair. Default: 1.
        ceil_mode: round the output size up; a window starting in the right padding is
            dropped. Default: ``False``.
        return_indices: also return the flat index (into each H x W plane) of each maximum.
            Default: ``False``.

    Shape:
        - Output: (N, C, H_out, W_out), H_out = floor((H + 2 * padding[0] - dilation[0] *
          (kH - 1) - 1) / stride[0]) + 1 (``ceil`` in ceil_mode).

    Returns:
        The pooled array (dtype of ``input``), and with ``return_indices`` an int64 index array.
        Ties go to the first maximum in row-major order; a NaN wins its window.

    Raises:
        TypeError: a non-float input. ValueError: wrong ndim, non-positive sizes, padding over
        half the window, a window larger than the padded input.
        MemoryError: an output (and its temporaries) larger than the backend can allocate,
        raised before allocating.

    Example:
        >>> x = xp.asarray([[[[1.0, 3.0, 2.0, 0.0], [4.0, 3.0, 2.0, 5.0]]]])
        >>> output, indices = max_pool2d(x, 2, return_indices=True)
        >>> output[0, 0], indices[0, 0]
        (array([[4., 5.]]), array([[4, 7]]))
    """
    options = (kernel_size, stride, padding, dilation, ceil_mode, return_indices)
    return max_pool("max_pool2d", 2, input, *options)


def max_pool(where, nd, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices):
    """The body of ``max_pool{nd}d``, reporting errors as ``where``."""
    backend, x, unbatched = batched(where, input, nd)
    geometry = pool_geometry(where, x, kernel_size, stride, padding, dilation, ceil_mode)
    check_pool_fits(where, backend, x, geometry, x.dtype.itemsize, 8 if return_indices else 0)
    if return_indices:
        output, indices = _max_pool_indices(backend, x, geometry)
        return (output[0], indices[0]) if unbatched else (output, indices)
    # maximum propagates NaN, as the index path does
    output = pooled(backend, backend.xp.maximum, x, geometry, -backend.xp.inf, x.dtype)
    return output[0] if unbatched else output


def _empty_windows(xp, geometry, size):
    """(*out) bool mask, e.g. (H_out, W_out), of the windows with no element inside the input
    (a dilated window can straddle a small input), or ``None`` when there is none.

    A window starting at ``start < 0`` first meets the input at ``start % dilation``; windows
    starting inside never are empty. The host loop covers the first ``padding / stride``
    windows only.
    """
    any_empty, nd = False, len(size)
    for axis in range(nd):
        stride, dilation, before = (
            g[axis] for g in (geometry.stride, geometry.dilation, geometry.pad_before)
        )
        starts = (
            o * stride - before for o in range(min(geometry.output[axis], -(-before // stride)))
        )
        any_empty |= any(start % dilation >= size[axis] for start in starts)
    if not any_empty:
        return None
    empty = False
    for axis in range(nd):
        start, first = _window_starts(xp, geometry, axis)
        shape = [1] * nd
        shape[axis] = -1
        empty = empty | (start + first * geometry.dilation[axis] >= size[axis]).reshape(shape)
    return empty


def _scatter_to_maxima(backend, geometry, size, indices, grad, dtype):
    """Add each window's gradient (N, C, *out) at its flat index into (N, C, *size).

    Windows ``g`` apart along an axis are disjoint when ``g * stride >= dilated kernel``, so
    each of the ``gH * gW`` (2-D) groups of such windows writes distinct elements: one fancy-index
    add per group is exact and deterministic (unlike a scatter-add: atomics on a GPU), and
    ~4x faster on NumPy than comparing the indices offset by offset. Windows lying wholly in
    the padding (their max is -inf, their index past their plane) write to a spare element.
    """
    xp, plane, nd = backend.xp, math.prod(size), len(size)
    grad_input = xp.zeros((*indices.shape[:2], *size), dtype=dtype)
    steps = tuple(min(g, o) for g, o in zip(geometry.disjoint_step, geometry.output, strict=True))
    empty = _empty_windows(xp, geometry, size)

    def scatter_block(block):
        n, C = grad_input[block].shape[:2]
        if empty is None:
            flat = grad_input[block].reshape(-1)
        else:  # one spare element past the block's planes
            flat = xp.zeros(n * C * plane + 1, dtype=dtype)
        planes = xp.arange(0, n * C * plane, plane, dtype=xp.int64).reshape(n, C, *[1] * nd)
        for group in itertools.product(*(range(step) for step in steps)):
            lines = tuple(slice(a, None, step) for a, step in zip(group, steps, strict=True))
            targets = indices[(block, slice(None), *lines)] + planes
            if empty is not None:
                targets = xp.where(empty[lines], n * C * plane, targets)
            targets = targets.reshape(-1)
            values = grad[(block, slice(None), *lines)].astype(dtype, copy=False).reshape(-1)
            if not any(group) and empty is None:  # only zeros so far: a plain write, ~2x faster
                flat[targets] = values
            else:
                flat[targets] += values
        if empty is not None:
            grad_input[block] = flat[:-1].reshape(n, C, *size)

    backend.map_blocks(scatter_block, batch_blocks(backend, grad_input.shape, dtype))
    return grad_input


@kernel
def max_pool2d_backward(
    grad_output,
    input,
    kernel_size,
    stride=None,
    padding=0,
    dilation=1,
    ceil_mode=False,
    return_indices=False,
    *,
    indices=None,
):
    r"""Gradient of :func:`max_pool2d` with respect to ``input``.

    Each window's gradient goes to its maximum (the first one on ties). ``indices``, the
    forward's ``return_indices`` output, skips finding the maxima again.
    ``grad_output`` must match the forward's output (shape, dtype, backend), ``indices`` be
    int64 of that shape (and, where host reads are free, inside the plane); a window wholly in
    the padding passes its gradient to no element.

    Example:
        >>> x = xp.asarray([[[[1.0, 3.0], [3.0, 0.0]]]])
        >>> max_pool2d_backward(xp.ones((1, 1, 1, 1)), x, 2)[0, 0]
        array([[0., 1.],
               [0., 0.]])
    """
    options = (kernel_size, stride, padding, dilation, ceil_mode)
    return max_pool_backward("max_pool2d_backward", 2, grad_output, input, *options, indices)


def max_pool_backward(
    where, nd, grad_output, input, kernel_size, stride, padding, dilation, ceil_mode, indices
):
    """The body of ``max_pool{nd}d_backward``, reporting errors as ``where``."""
    backend, x, unbatched = batched(where, input, nd)
    geometry = pool_geometry(where, x, kernel_size, stride, padding, dilation, ceil_mode)
    output_shape = (*x.shape[:2], *geometry.output)
    grad = check_pool_grad(where, backend, grad_output, input, output_shape, unbatched)
    dtype = compute_dtype(backend.xp, input.dtype)
    itemsize = backend.xp.dtype(dtype).itemsize
    check_fits(where, backend, f"a gradient of shape {x.shape}", x.size * itemsize)
    if indices is None:
        check_pool_fits(where, backend, x, geometry, x.dtype.itemsize, index_bytes=8)
        _, indices = _max_pool_indices(backend, x, geometry)
    else:
        check_saved_indices(where, backend, indices, input, output_shape, unbatched)
        indices = indices[None] if unbatched else indices
        empty = _empty_windows(backend.xp, geometry, x.shape[2:])
        indices = check_index_range(where, backend, indices, x.shape[2:], empty)
    grad_input = _scatter_to_maxima(backend, geometry, x.shape[2:], indices, grad, dtype)
    grad_input = grad_input.astype(input.dtype, copy=False)
    return grad_input[0] if unbatched else grad_input
