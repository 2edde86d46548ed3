"""Max pooling over fixed windows, and its backward function: ``max_pool2d`` here, and the
N-d bodies (:func:`max_pool`, :func:`max_pool_backward`) that ``max_pool1d/3d`` share.

Without indices the forward folds :func:`._pooling.first_maximum` (a maximum that keeps the
first of -0.0 and 0.0) over the kernel offsets of the shared window view; with them it runs
:func:`._max_windows.window_argmax`, PyTorch's rule (a later element wins if it is strictly
larger or NaN: ties go to the first maximum, the last NaN wins). The backward adds at the
saved flat indices, one group of disjoint windows at a time, so every add in a group hits a
distinct element: deterministic on every backend, no atomics. Average pools live in
:mod:`xpnet.kernels.avg_pooling`, adaptive pools in :mod:`xpnet.kernels.adaptive_pooling`.
"""

from __future__ import annotations

from ._blocks import check_fits, compute_dtype
from ._checks import kernel
from ._max_windows import window_argmax, window_starts
from ._pooling import (
    batched,
    check_index_range,
    check_pool_fits,
    check_pool_grad,
    check_saved_indices,
    first_maximum,
    pool_geometry,
    pooled,
    scatter_to_maxima,
)

__all__ = [
    "max_pool2d",
    "max_pool2d_backward",
]


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
        output, indices = window_argmax(backend, x, geometry)
        return (output[0], indices[0]) if unbatched else (output, indices)
    output = pooled(backend, first_maximum(backend), x, geometry, -backend.xp.inf, x.dtype)
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
        start, first = window_starts(xp, geometry, axis)
        shape = [1] * nd
        shape[axis] = -1
        empty = empty | (start + first * geometry.dilation[axis] >= size[axis]).reshape(shape)
    return empty


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
        _, indices = window_argmax(backend, x, geometry)
    else:
        check_saved_indices(where, backend, indices, input, output_shape, unbatched)
        indices = indices[None] if unbatched else indices
        empty = _empty_windows(backend.xp, geometry, x.shape[2:])
        indices = check_index_range(where, backend, indices, x.shape[2:], empty)
    output, size = geometry.output, x.shape[2:]
    steps = tuple(min(g, o) for g, o in zip(geometry.disjoint_step, output, strict=True))
    empty = _empty_windows(backend.xp, geometry, size)
    grad_input = scatter_to_maxima(backend, steps, size, indices, grad, dtype, empty)
    grad_input = grad_input.astype(input.dtype, copy=False)
    return grad_input[0] if unbatched else grad_input
