"""2-D adaptive average and max pooling, and their backward functions.

Adaptive average pooling averages each window along the rows, then the columns, adding offset
by offset (so an inf stays in its own windows); its backward is two matmuls with the
(H_out, H) and (W_out, W) averaging matrices.
Adaptive max pooling walks the kernel offsets of the largest window with the running-argmax
rule of :func:`xpnet.kernels.max_pool2d` (ties go to the first maximum, NaN wins); its
backward uses one-hot products per offset, since adaptive windows may overlap.
"""

from __future__ import annotations

import math

from ._blocks import compute_dtype, zero_where
from ._checks import kernel, to_tuple
from ._pooling import (
    batched,
    check_fits,
    check_index_range,
    check_pool_grad,
    check_saved_indices,
    running_argmax,
)

__all__ = [
    "adaptive_avg_pool2d",
    "adaptive_avg_pool2d_backward",
    "adaptive_max_pool2d",
    "adaptive_max_pool2d_backward",
]


def _adaptive_prepare(where, input, output_size, index_bytes=0):
    """(backend, x, unbatched, output size); ``None`` entries keep the input size.

    MemoryError, before any allocation, when the output (with ``index_bytes`` per element)
    and the row pass's (N, C, H_out, W) result cannot fit.
    """
    backend, x, unbatched = batched(where, input)
    sizes = (output_size,) * 2 if output_size is None else output_size
    size = x.shape[2:]
    if isinstance(sizes, tuple | list) and len(sizes) == 2:
        sizes = tuple(s if o is None else o for o, s in zip(sizes, size, strict=True))
    # 0 is allowed, as in PyTorch: an empty output (whose gradient is all zeros)
    H_out, W_out = to_tuple(where, "output_size", sizes, minimum=0)
    (N, C), W = x.shape[:2], size[1]
    itemsize = backend.xp.dtype(compute_dtype(backend.xp, x.dtype)).itemsize
    nbytes = N * C * H_out * ((W + W_out) * itemsize + W_out * index_bytes) + x.size * itemsize
    check_fits(where, backend, f"an output of shape {(N, C, H_out, W_out)}", nbytes)
    return backend, x, unbatched, (H_out, W_out)


def _adaptive_axis(xp, size, out):
    """Window starts and ends along one axis (PyTorch: floor(i*size/out), ceil((i+1)*size/out))
    and the longest window."""
    index = xp.arange(out)
    starts, ends = index * size // out, -(-(index + 1) * size // out)
    return starts, ends, _longest_window(size, out)


def _longest_window(size, out):
    """max over i of ceil((i+1)*size/out) - floor(i*size/out), without a loop over ``out``.

    Window i has length ceil((r + size) / out) where r = i*size mod out; r takes every
    multiple of g = gcd(size, out) below ``out``, the largest being out - g.
    """
    return -(-(size + out - math.gcd(size, out)) // out) if out else 0


def _window_means(xp, x, axis, out):
    """Mean of each adaptive window along ``axis`` (2 or 3) of ``x``, summed offset by offset.

    Only a window's own elements are added, so an inf stays in its windows (a product with an
    averaging matrix would spread ``0 * inf = nan`` to every window).
    """
    size = x.shape[axis]
    starts, ends, longest = _adaptive_axis(xp, size, out)
    shape = [1, 1, 1, 1]
    shape[axis] = out
    total = xp.zeros(x.shape[:axis] + (out,) + x.shape[axis + 1 :], dtype=x.dtype)
    for i in range(longest):
        inside = (starts + i < ends).reshape(shape)  # shorter windows: mask the clipped position
        total += xp.where(inside, x.take(xp.minimum(starts + i, size - 1), axis=axis), 0)
    total /= (ends - starts).reshape(shape).astype(x.dtype)
    return total


def _averaging_matrix(xp, size, out, dtype):
    """(out, size) matrix whose row i averages window i."""
    starts, ends, _ = _adaptive_axis(xp, size, out)
    position = xp.arange(size)[None, :]
    inside = (position >= starts[:, None]) & (position < ends[:, None])
    return inside.astype(dtype) / (ends - starts)[:, None].astype(dtype)


@kernel
def adaptive_avg_pool2d(input, output_size):
    r"""Average over windows chosen so the output is ``output_size``, as PyTorch.

    Window i along an axis of length L covers [floor(i*L/out), ceil((i+1)*L/out)); windows may
    overlap, and ``out`` may exceed ``L``.

    Args:
        input: array of shape (N, C, H, W) or (C, H, W).
        output_size: int or pair (H_out, W_out), each >= 0; a ``None`` entry keeps that input
            size.

    Returns:
        Array (N, C, H_out, W_out) of the dtype of ``input``.

    Example:
        >>> adaptive_avg_pool2d(xp.arange(6.0).reshape(1, 1, 2, 3), (1, 2))[0, 0]
        array([[2., 3.]])
    """
    backend, x, unbatched, (H_out, W_out) = _adaptive_prepare(
        "adaptive_avg_pool2d", input, output_size
    )
    xp = backend.xp
    dtype = compute_dtype(xp, input.dtype)
    # the axis that shrinks the intermediate most goes first: (N, C, H_out, W) or (N, C, H, W_out)
    (first, first_out), (second, second_out) = (2, H_out), (3, W_out)
    if H_out * x.shape[3] > x.shape[2] * W_out:
        (first, first_out), (second, second_out) = (3, W_out), (2, H_out)
    partial = _window_means(xp, x.astype(dtype, copy=False), first, first_out)
    output = _window_means(xp, partial, second, second_out).astype(input.dtype, copy=False)
    return output[0] if unbatched else output


@kernel
def adaptive_avg_pool2d_backward(grad_output, input, output_size):
    r"""Gradient of :func:`adaptive_avg_pool2d`: ``rows^T @ grad_output @ columns``.

    Example:
        >>> adaptive_avg_pool2d_backward(xp.ones((1, 1, 1, 1)), xp.zeros((1, 1, 1, 2)), 1)
        array([[[[0.5, 0.5]]]])
    """
    where = "adaptive_avg_pool2d_backward"
    backend, x, unbatched, (H_out, W_out) = _adaptive_prepare(where, input, output_size)
    output_shape = (*x.shape[:2], H_out, W_out)
    grad = check_pool_grad(where, backend, grad_output, input, output_shape, unbatched)
    xp, (H, W) = backend.xp, x.shape[2:]
    dtype = compute_dtype(xp, input.dtype)
    rows, columns = _averaging_matrix(xp, H, H_out, dtype), _averaging_matrix(xp, W, W_out, dtype)
    grad = grad.astype(dtype, copy=False)
    grad_input = xp.matmul(xp.matmul(rows.T, grad), columns).astype(input.dtype, copy=False)
    return grad_input[0] if unbatched else grad_input


def _adaptive_offsets(xp, size, output):
    """Per kernel offset (i, j): (row positions, column positions, valid mask) of windows."""
    (H, W), (H_out, W_out) = size, output
    row_starts, row_ends, kH = _adaptive_axis(xp, H, H_out)
    column_starts, column_ends, kW = _adaptive_axis(xp, W, W_out)
    first = row_starts[:, None] * W + column_starts[None, :]
    offsets = []
    for i in range(kH):
        for j in range(kW):
            # windows shorter than the longest: clip the position, mask it out
            rows, columns = xp.minimum(row_starts + i, H - 1), xp.minimum(column_starts + j, W - 1)
            valid = (row_starts + i < row_ends)[:, None] & (column_starts + j < column_ends)[None]
            offsets.append((rows, columns, valid))
    return first, offsets


@kernel
def adaptive_max_pool2d(input, output_size, return_indices=False):
    r"""Maximum over windows chosen so the output is ``output_size``, as PyTorch.

    Windows as in :func:`adaptive_avg_pool2d`; ties and NaN as in :func:`max_pool2d`.

    Returns:
        The pooled array, and with ``return_indices`` the int64 flat index of each maximum.

    Example:
        >>> adaptive_max_pool2d(xp.asarray([[[[1.0, 3.0, 2.0]]]]), (1, 2), return_indices=True)
        (array([[[[3., 3.]]]]), array([[[[1, 1]]]]))
    """
    where = "adaptive_max_pool2d"
    backend, x, unbatched, output = _adaptive_prepare(where, input, output_size, 8)
    xp, W = backend.xp, x.shape[3]
    first, offsets = _adaptive_offsets(xp, x.shape[2:], output)
    candidates = (
        (
            xp.where(valid, x.take(rows, axis=2).take(columns, axis=3), -xp.inf),
            rows[:, None] * W + columns[None, :],
        )
        for rows, columns, valid in offsets
    )
    values = xp.full((*x.shape[:2], *output), -xp.inf, dtype=x.dtype)
    indices = xp.empty(values.shape, dtype=xp.int64)
    indices[...] = first
    running_argmax(xp, candidates, values, indices)
    if not return_indices:
        return values[0] if unbatched else values
    return (values[0], indices[0]) if unbatched else (values, indices)


@kernel
def adaptive_max_pool2d_backward(
    grad_output, input, output_size, return_indices=False, *, indices=None
):
    r"""Gradient of :func:`adaptive_max_pool2d`: each window's gradient goes to its maximum.

    Scattered per kernel offset with one-hot matmuls (deterministic; windows may overlap).
    ``indices`` from the forward skips finding the maxima again.

    Example:
        >>> x = xp.asarray([[[[1.0, 3.0, 2.0]]]])
        >>> adaptive_max_pool2d_backward(xp.ones((1, 1, 1, 2)), x, (1, 2))
        array([[[[0., 2., 0.]]]])
    """
    where = "adaptive_max_pool2d_backward"
    backend, x, unbatched, output = _adaptive_prepare(where, input, output_size, 8)
    output_shape = (*x.shape[:2], *output)
    grad = check_pool_grad(where, backend, grad_output, input, output_shape, unbatched)
    xp, (H, W) = backend.xp, x.shape[2:]
    dtype = compute_dtype(xp, input.dtype)
    if indices is None:
        _, indices = adaptive_max_pool2d(x, output, return_indices=True)
    else:
        check_saved_indices(where, backend, indices, input, output_shape, unbatched)
        indices = indices[None] if unbatched else indices
        check_index_range(where, backend, indices, (H, W))
    grad = grad.astype(dtype, copy=False)
    _, offsets = _adaptive_offsets(xp, (H, W), output)
    grad_input = xp.zeros(x.shape, dtype=dtype)
    for rows, columns, valid in offsets:
        hit = valid & (indices == rows[:, None] * W + columns[None, :])
        to_rows = (xp.arange(H)[:, None] == rows[None, :]).astype(dtype)  # (H, H_out)
        to_columns = (columns[:, None] == xp.arange(W)[None, :]).astype(dtype)  # (W_out, W)
        grad_input += xp.matmul(xp.matmul(to_rows, zero_where(xp, ~hit, grad)), to_columns)
    grad_input = grad_input.astype(input.dtype, copy=False)
    return grad_input[0] if unbatched else grad_input
