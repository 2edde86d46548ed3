"""Sliding local blocks: ``unfold`` (im2col) and its adjoint ``fold`` (col2im), each the
other's backward function.

``unfold`` copies every ``kH x kW`` block of the zero-padded input into a column: the output
(N, C * kH * kW, L) holds, at row ``(c, i, j)`` (row-major) and column ``l`` (the block's
position, row-major over (H_out, W_out)), input channel ``c`` seen by kernel offset ``(i, j)``
from block ``l``. ``fold`` sums such columns back onto an image of ``output_size``:
overlapping values add up. The windows are those of conv2d (:mod:`._windows`): the copy is
the strided window view, and the sum is conv2d's col2im (:func:`._conv_im2col.scatter_windows`,
one deterministic slice-add per kernel offset).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from ._blocks import check_fits, compute_dtype
from ._checks import (
    ArgumentError,
    array_backend,
    check_grad_output,
    check_ndim,
    kernel,
    require_arrays,
    to_tuple,
)
from ._conv_im2col import scatter_windows, window_layout
from ._conv_select import ConvAlgorithm
from ._windows import pad_nd, sliding_windows, window_geometry

__all__ = ["fold", "fold_backward", "unfold", "unfold_backward"]


def _pair(where, name, value, minimum=1):
    """An int or a pair of ints, as PyTorch's im2col and col2im take them: unlike pooling's
    arguments, a one-element sequence is refused (``It is expected kernel_size equals to 2``)."""
    if isinstance(value, Sequence) and not isinstance(value, str) and len(value) != 2:
        msg = (
            f"{where}: {name} must be an int or a sequence of 2 ints, got {len(value)} "
            f"value(s): {value!r}"
        )
        raise ArgumentError(msg)
    return to_tuple(where, name, value, 2, minimum)


def _options(where, kernel_size, dilation, padding, stride):
    """``(kernel, dilation, padding, stride)`` as pairs, after PyTorch's checks."""
    return (
        _pair(where, "kernel_size", kernel_size),
        _pair(where, "dilation", dilation),
        _pair(where, "padding", padding, minimum=0),
        _pair(where, "stride", stride),
    )


def _image_geometry(where, size, options):
    """The window :class:`~._windows.Geometry` of blocks over an image of ``size`` (H, W)."""
    kernel_size, dilation, padding, stride = options
    return window_geometry(where, size, kernel_size, stride, dilation, padding)


def _check_image(where, input):
    """(N, C, H, W) or (C, H, W) with every dimension but N non-empty, as PyTorch's im2col."""
    check_ndim(where, "input", input, (3, 4), "(C, H, W) or (N, C, H, W)")
    if 0 in input.shape[input.ndim - 3 :]:
        msg = (
            f"{where}: input must have non-empty C, H and W (only the batch N may be 0), "
            f"got shape {input.shape}"
        )
        raise ArgumentError(msg)


def _check_columns(where, input, geometry, output_size):
    """(N, C * kH * kW, L) or (C * kH * kW, L), with L the blocks of ``geometry``."""
    check_ndim(where, "input", input, (2, 3), "(C * kH * kW, L) or (N, C * kH * kW, L)")
    if 0 in input.shape[input.ndim - 2 :]:
        msg = (
            f"{where}: input must have non-empty C * kH * kW and L (only the batch N may be 0), "
            f"got shape {input.shape}"
        )
        raise ArgumentError(msg)
    (kH, kW), (H_out, W_out) = geometry.kernel, geometry.output
    if input.shape[-2] % (kH * kW):
        msg = (
            f"{where}: input's dimension C * kH * kW must be divisible by kH * kW = {kH * kW} "
            f"(kernel_size {geometry.kernel}), got {input.shape[-2]} in shape {input.shape}"
        )
        raise ArgumentError(msg)
    if input.shape[-1] != H_out * W_out:
        msg = (
            f"{where}: input's last dimension must be the number of sliding blocks "
            f"L = {H_out} * {W_out} = {H_out * W_out} that fit output_size {output_size} "
            f"(kernel_size {geometry.kernel}, dilation {geometry.dilation}, padding "
            f"{geometry.pad_before}, stride {geometry.stride}), got {input.shape[-1]}"
        )
        raise ArgumentError(msg)


def _output_geometry(where, output_size, options):
    """The geometry of blocks over an image of ``output_size``; ArgumentError, naming
    ``output_size``, where it is not positive or no block fits it."""
    size = _pair(where, "output_size", output_size)
    kernel_size, dilation, padding, stride = options
    effective = tuple(d * (k - 1) + 1 for k, d in zip(kernel_size, dilation, strict=True))
    if any(s + 2 * p < e for s, p, e in zip(size, padding, effective, strict=True)):
        msg = (
            f"{where}: output_size {size} with padding {padding} must hold at least one "
            f"block of kernel_size {kernel_size} (dilated: {effective})"
        )
        raise ArgumentError(msg)
    return size, _image_geometry(where, size, options)


def _unfold(backend, where, x, geometry):
    """The blocks of ``x`` (N, C, H, W) as a new (N, C * kH * kW, L) array of x's dtype."""
    xp, (N, C, H, W) = backend.xp, x.shape
    (kH, kW), (H_out, W_out) = geometry.kernel, geometry.output
    padded_size = tuple(
        s + b + a for s, b, a in zip((H, W), geometry.pad_before, geometry.pad_after, strict=True)
    )
    # the output and, with padding, the padded copy: refused before either is made
    copy = N * C * math.prod(padded_size) if padded_size != (H, W) else 0
    nbytes = (N * C * kH * kW * H_out * W_out + copy) * x.itemsize
    check_fits(where, backend, f"an output of shape {(N, C * kH * kW, H_out * W_out)}", nbytes)
    padded = pad_nd(xp, x, geometry)
    windows = sliding_windows(backend, padded, geometry)  # (N, C, H_out, W_out, kH, kW), a view
    output = xp.empty((N, C, kH, kW, H_out, W_out), dtype=x.dtype)
    output[...] = windows.transpose(0, 1, 4, 5, 2, 3)
    return output.reshape(N, C * kH * kW, H_out * W_out)


def _fold(backend, where, columns, geometry, size):
    """The sum of ``columns`` (N, C * kH * kW, L) over an image of ``size``: a new
    (N, C, H, W) array of columns' dtype, summed in its compute dtype (float16 in float32)."""
    xp, N = backend.xp, columns.shape[0]
    (kH, kW), (H_out, W_out) = geometry.kernel, geometry.output
    C = columns.shape[1] // (kH * kW)
    dtype = compute_dtype(xp, columns.dtype)
    padded_size = tuple(
        s + b + a for s, b, a in zip(size, geometry.pad_before, geometry.pad_after, strict=True)
    )
    # the padded sums in the compute dtype and the output
    nbytes = N * C * math.prod(padded_size) * xp.dtype(dtype).itemsize
    nbytes += N * C * math.prod(size) * columns.itemsize
    what = f"an output of shape {(N, C, *size)} and its padded sums {padded_size}"
    check_fits(where, backend, what, nbytes)
    # (N, C, kH, kW, H_out, W_out) -> (C, kH, kW, N, H_out, W_out): conv2d's col layout, a view
    blocks = columns.reshape(N, C, kH, kW, H_out, W_out).transpose(1, 2, 3, 0, 4, 5)
    taps = window_layout(geometry, ConvAlgorithm.IM2COL)  # every kernel row in one tap
    summed = scatter_windows(xp, blocks, taps, size, dtype)  # (C, N, H, W), a view
    output = xp.empty((N, C, *size), dtype=columns.dtype)
    output[...] = summed.transpose(1, 0, 2, 3)
    return output


def _batched(array, unbatched_ndim):
    """``array`` with a batch axis of 1 if it has ``unbatched_ndim`` dimensions."""
    return array[None] if array.ndim == unbatched_ndim else array


@kernel
def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    r"""Extract sliding local blocks of a batched image into columns (im2col).

    See :class:`xpnet.nn.Unfold` for the maths and the output size.

    Args:
        input: array of shape (N, C, H, W) or (C, H, W); only N may be 0.
        kernel_size: size of the blocks, an int or a pair (kH, kW).
        dilation: spacing between a block's elements, int or pair. Default: 1.
        padding: zeros added on both sides of H and W, int or pair. Default: 0.
        stride: step between blocks, int or pair. Default: 1.

    Shape:
        - Input: (N, C, H, W) or (C, H, W)
        - Output: (N, C * kH * kW, L) or (C * kH * kW, L), where L = H_out * W_out and
          H_out = floor((H + 2 * padding[0] - dilation[0] * (kH - 1) - 1) / stride[0]) + 1.

    Returns:
        A new array of the dtype and backend of ``input``.

    Raises:
        ValueError: if an argument is out of range, or no block fits the padded input.
        TypeError: for a non-float input or a non-int argument.
        MemoryError: if the output would not fit in the backend's memory.

    Example:
        >>> unfold(xp.arange(9.0).reshape(1, 1, 3, 3), 2)
        array([[[0., 1., 3., 4.],
                [1., 2., 4., 5.],
                [3., 4., 6., 7.],
                [4., 5., 7., 8.]]])
    """
    where = "unfold"
    require_arrays(where, input=input)
    backend = array_backend(where, input=input)
    options = _options(where, kernel_size, dilation, padding, stride)
    _check_image(where, input)
    geometry = _image_geometry(where, input.shape[-2:], options)
    output = _unfold(backend, where, _batched(input, 3), geometry)
    return output[0] if input.ndim == 3 else output


@kernel
def unfold_backward(grad_output, input, kernel_size, dilation=1, padding=0, stride=1):
    """Gradient of :func:`unfold` with respect to ``input``: ``grad_output`` folded back onto
    the input's shape (:func:`fold`), each element receiving the sum over the blocks that
    copied it."""
    where = "unfold_backward"
    require_arrays(where, input=input)
    backend = array_backend(where, input=input, grad_output=grad_output)
    options = _options(where, kernel_size, dilation, padding, stride)
    _check_image(where, input)
    geometry = _image_geometry(where, input.shape[-2:], options)
    (kH, kW), L = geometry.kernel, math.prod(geometry.output)
    shape = (*input.shape[:-3], input.shape[-3] * kH * kW, L)
    check_grad_output(where, grad_output, shape, input.dtype)
    grad = _fold(backend, where, _batched(grad_output, 2), geometry, input.shape[-2:])
    return grad[0] if input.ndim == 3 else grad


@kernel
def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    r"""Sum columns of sliding local blocks into an image (col2im): the adjoint of
    :func:`unfold`, where overlapping values add up.

    See :class:`xpnet.nn.Fold` for the maths.

    Args:
        input: array of shape (N, C * kH * kW, L) or (C * kH * kW, L); only N may be 0.
        output_size: the spatial size (H, W) of the output, an int or a pair.
        kernel_size: size of the blocks, an int or a pair (kH, kW).
        dilation: spacing between a block's elements, int or pair. Default: 1.
        padding: zeros added on both sides of the output (cropped again), int or pair.
            Default: 0.
        stride: step between blocks, int or pair. Default: 1.

    Shape:
        - Input: (N, C * kH * kW, L) or (C * kH * kW, L), with L the number of blocks that
          fit ``output_size`` (see :func:`unfold`).
        - Output: (N, C, H, W) or (C, H, W), with (H, W) = ``output_size``.

    Returns:
        A new array of the dtype and backend of ``input`` (float16 sums in float32).

    Raises:
        ValueError: if an argument is out of range, the input's C * kH * kW is not a
            multiple of kH * kW, or its L is not the number of blocks.
        TypeError: for a non-float input or a non-int argument.
        MemoryError: if the output would not fit in the backend's memory.

    Example:
        >>> fold(xp.ones((1, 4, 4)), 3, 2)
        array([[[[1., 2., 1.],
                 [2., 4., 2.],
                 [1., 2., 1.]]]])
    """
    where = "fold"
    require_arrays(where, input=input)
    backend = array_backend(where, input=input)
    options = _options(where, kernel_size, dilation, padding, stride)
    size, geometry = _output_geometry(where, output_size, options)
    _check_columns(where, input, geometry, size)
    output = _fold(backend, where, _batched(input, 2), geometry, size)
    return output[0] if input.ndim == 2 else output


@kernel
def fold_backward(grad_output, input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """Gradient of :func:`fold` with respect to ``input``: the blocks of ``grad_output``
    (:func:`unfold`), since each input value was added to the output at one place."""
    where = "fold_backward"
    require_arrays(where, input=input)
    backend = array_backend(where, input=input, grad_output=grad_output)
    options = _options(where, kernel_size, dilation, padding, stride)
    size, geometry = _output_geometry(where, output_size, options)
    _check_columns(where, input, geometry, size)
    kH, kW = geometry.kernel
    shape = (*input.shape[:-2], input.shape[-2] // (kH * kW), *size)
    check_grad_output(where, grad_output, shape, input.dtype)
    grad = _unfold(backend, where, _batched(grad_output, 3), geometry)
    return grad[0] if input.ndim == 2 else grad
