"""2-D max and average pooling over fixed windows, and their backward functions.

Fixed windows loop over the ``kH * kW`` kernel offsets of the shared window view and combine
strided slices elementwise (much faster than reducing tiny strided window axes); backward
passes slice-add into a padded gradient offset by offset, which is deterministic everywhere.
Max pooling keeps a running (value, flat index) pair with PyTorch's rule: a later element
wins if it is strictly larger or NaN, so ties go to the first maximum and NaN wins.
Adaptive pools live in :mod:`xpnet.functional.adaptive_pooling`.
"""

from __future__ import annotations

from ._utils import ArgumentError, array_backend, check_ndim, compute_dtype, kernel, to_tuple
from ._windows import (
    check_padding_at_most_half,
    crop2d,
    kernel_offsets,
    offset_slices,
    pad2d,
    sliding_windows,
    window_geometry,
)

__all__ = [
    "avg_pool2d",
    "avg_pool2d_backward",
    "max_pool2d",
    "max_pool2d_backward",
]


def _batched(where, input):
    """(backend, input as (N, C, H, W), whether it was unbatched)."""
    backend = array_backend(where, input=input)
    check_ndim(where, "input", input, (3, 4), "(N, C, H, W) or (C, H, W)")
    return backend, (input[None] if input.ndim == 3 else input), input.ndim == 3


def _pool_geometry(where, x, kernel_size, stride, padding, dilation, ceil_mode):
    kernel_size = to_tuple(where, "kernel_size", kernel_size)
    stride = kernel_size if stride is None or stride == [] else to_tuple(where, "stride", stride)
    padding = to_tuple(where, "padding", padding, minimum=0)
    dilation = to_tuple(where, "dilation", dilation)
    check_padding_at_most_half(where, padding, kernel_size)
    return window_geometry(
        where, x.shape[2:], kernel_size, stride, dilation, padding, ceil_mode=ceil_mode
    )


def _running_argmax(xp, candidates, first_label):
    """Max and label of the max over ``(values, label)`` pairs, with PyTorch's rule.

    A later element wins if strictly larger (ties keep the first) or NaN (the last NaN
    wins). Arithmetic instead of ``where``: NumPy's ``where`` is ~3x slower on random masks.
    """
    best, label = None, first_label
    for values, candidate in candidates:
        if best is None:
            best = xp.full(values.shape, -xp.inf, dtype=values.dtype)
            label = xp.broadcast_to(label, values.shape)
        update = (values > best) | (values != values)  # values != values: NaN
        label = label + update * (candidate - label)
        xp.maximum(best, values, out=best)  # NaN propagates, as the PyTorch value does
    return best, label


def _keep(xp, mask, values):
    """``where(mask, values, 0)``, exact for NaN and inf too, as a bitwise AND.

    NumPy's ``where`` is ~9x slower on the random masks of max-pool gradients.
    """
    bits = xp.dtype(f"int{8 * values.dtype.itemsize}")
    return (values.view(bits) & -mask.view(xp.int8)).view(values.dtype)


def _window_starts(xp, geometry, axis):
    """First input row (axis 0) or column (axis 1) of each window; offsets in the padding."""
    stride, dilation = geometry.stride[axis], geometry.dilation[axis]
    start = xp.arange(geometry.output[axis]) * stride - geometry.pad_before[axis]
    return start, xp.maximum(-start + dilation - 1, 0) // dilation


def _max_pool_argmax(backend, x, geometry):
    """Max and kernel-offset number (row-major, small ints) of every window of ``x``."""
    xp, kW = backend.xp, geometry.kernel[1]
    windows = sliding_windows(backend, pad2d(xp, x, geometry, -xp.inf), geometry)
    # the first offset inside the input: a window of -inf points there, not at padding
    label = xp.int8 if geometry.kernel[0] * kW < 128 else xp.int32
    first = _window_starts(xp, geometry, 0)[1][:, None] * kW + _window_starts(xp, geometry, 1)[1]
    candidates = (
        (windows[..., i, j], label(number))
        for number, (i, j) in enumerate(kernel_offsets(geometry))
    )
    return _running_argmax(xp, candidates, first.astype(label))


def _flat_offsets(xp, geometry, W):
    """Flat input-plane index of each window's offset (0, 0), and each offset's shift."""
    row, _ = _window_starts(xp, geometry, 0)
    column, _ = _window_starts(xp, geometry, 1)
    (dH, dW) = geometry.dilation
    shifts = [i * dH * W + j * dW for i, j in kernel_offsets(geometry)]
    return row[:, None] * W + column[None, :], shifts  # (H_out, W_out), kH * kW ints


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

    Example:
        >>> x = xp.asarray([[[[1.0, 3.0, 2.0, 0.0], [4.0, 3.0, 2.0, 5.0]]]])
        >>> output, indices = max_pool2d(x, 2, return_indices=True)
        >>> output[0, 0], indices[0, 0]
        (array([[4., 5.]]), array([[4, 7]]))
    """
    where = "max_pool2d"
    backend, x, unbatched = _batched(where, input)
    geometry = _pool_geometry(where, x, kernel_size, stride, padding, dilation, ceil_mode)
    xp = backend.xp
    if return_indices:
        output, offsets = _max_pool_argmax(backend, x, geometry)
        base, shifts = _flat_offsets(xp, geometry, x.shape[3])
        # offset number n -> flat index base + shifts[n]
        indices = base + xp.asarray(shifts, dtype=xp.int64)[offsets.astype(xp.int64)]
        return (output[0], indices[0]) if unbatched else (output, indices)
    windows = sliding_windows(backend, pad2d(xp, x, geometry, -xp.inf), geometry)
    output = windows[..., 0, 0].copy()
    for i, j in kernel_offsets(geometry)[1:]:
        xp.maximum(output, windows[..., i, j], out=output)  # propagates NaN, as the index path
    return output[0] if unbatched else output


def _add_offsets(xp, geometry, size, shape, contributions, dtype):
    """Sum per-offset gradients (N, C, H_out, W_out) onto the input: (N, C, H, W).

    Slice-adds, one offset at a time: deterministic, unlike a scatter-add.
    """
    (top, left), (bottom, right) = geometry.pad_before, geometry.pad_after
    padded = xp.zeros((*shape, top + size[0] + bottom, left + size[1] + right), dtype=dtype)
    for (i, j), contribution in zip(kernel_offsets(geometry), contributions, strict=True):
        rows, columns = offset_slices(geometry, i, j)
        padded[..., rows, columns] += contribution
    return crop2d(padded, geometry, size)


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

    Example:
        >>> x = xp.asarray([[[[1.0, 3.0], [3.0, 0.0]]]])
        >>> max_pool2d_backward(xp.ones((1, 1, 1, 1)), x, 2)[0, 0]
        array([[0., 1.],
               [0., 0.]])
    """
    where = "max_pool2d_backward"
    backend, x, unbatched = _batched(where, input)
    geometry = _pool_geometry(where, x, kernel_size, stride, padding, dilation, ceil_mode)
    xp, (H, W) = backend.xp, x.shape[2:]
    grad = grad_output[None] if unbatched else grad_output
    if indices is None:
        _, offsets = _max_pool_argmax(backend, x, geometry)
        hits = (offsets == number for number in range(len(kernel_offsets(geometry))))
    else:
        base, shifts = _flat_offsets(xp, geometry, W)
        indices = indices[None] if unbatched else indices
        hits = (indices == base + shift for shift in shifts)
    contributions = (_keep(xp, hit, grad) for hit in hits)
    dtype = compute_dtype(xp, input.dtype)
    grad_input = _add_offsets(xp, geometry, (H, W), x.shape[:2], contributions, dtype)
    grad_input = grad_input.astype(input.dtype, copy=False)
    return grad_input[0] if unbatched else grad_input


def _avg_divisor(xp, geometry, size, count_include_pad, divisor_override, dtype):
    """(H_out, W_out) divisors, PyTorch's rule: padding counts, the ceil_mode overhang not."""
    if divisor_override is not None:
        return xp.asarray(divisor_override, dtype=dtype)
    counts = []
    for axis in (0, 1):
        start = xp.arange(geometry.output[axis]) * geometry.stride[axis]
        start = start - geometry.pad_before[axis]
        stop = xp.minimum(start + geometry.kernel[axis], size[axis] + geometry.pad_before[axis])
        if not count_include_pad:
            start, stop = xp.maximum(start, 0), xp.minimum(stop, size[axis])
        counts.append((stop - start).astype(dtype))
    return counts[0][:, None] * counts[1][None, :]


def _avg_prepare(
    where, input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override
):
    backend, x, unbatched = _batched(where, input)
    if divisor_override is not None and (
        not isinstance(divisor_override, int) or divisor_override == 0
    ):
        msg = f"{where}: divisor_override must be a non-zero int or None, got {divisor_override!r}"
        raise ArgumentError(msg)
    geometry = _pool_geometry(where, x, kernel_size, stride, padding, 1, ceil_mode)
    dtype = compute_dtype(backend.xp, input.dtype)
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
        TypeError: a non-float input. ValueError: wrong ndim, non-positive sizes, padding over
        half the window, a window larger than the padded input, ``divisor_override=0``.

    Example:
        >>> x = xp.arange(16.0).reshape(1, 1, 4, 4)
        >>> avg_pool2d(x, 2)[0, 0]
        array([[ 2.5,  4.5],
               [10.5, 12.5]])
    """
    backend, x, unbatched, geometry, divisor, dtype = _avg_prepare(
        "avg_pool2d",
        input,
        kernel_size,
        stride,
        padding,
        ceil_mode,
        count_include_pad,
        divisor_override,
    )
    xp = backend.xp
    windows = sliding_windows(backend, pad2d(xp, x, geometry, 0.0, dtype), geometry)
    total = windows[..., 0, 0].copy()
    for i, j in kernel_offsets(geometry)[1:]:
        total += windows[..., i, j]
    output = (total / divisor).astype(input.dtype, copy=False)
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
    backend, x, unbatched, geometry, divisor, dtype = _avg_prepare(
        "avg_pool2d_backward",
        input,
        kernel_size,
        stride,
        padding,
        ceil_mode,
        count_include_pad,
        divisor_override,
    )
    xp = backend.xp
    grad = (grad_output[None] if unbatched else grad_output).astype(dtype, copy=False) / divisor
    offsets = kernel_offsets(geometry)
    grad_input = _add_offsets(
        xp, geometry, x.shape[2:], x.shape[:2], [grad] * len(offsets), dtype
    ).astype(input.dtype, copy=False)
    return grad_input[0] if unbatched else grad_input
