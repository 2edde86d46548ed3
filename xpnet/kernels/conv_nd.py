"""1-D and 3-D convolution (cross-correlation, as PyTorch) and their backward, on the 2-D
formulas of :mod:`.conv`.

A 1-D convolution is a 2-D one over a plane of one row (kernel, stride, dilation 1 along H),
so it runs the formula :func:`~xpnet.kernels.select_conv_algorithm` picks for that plane. A
3-D one is a sum of ``kD`` 2-D convolutions: kernel depth ``d`` correlates the depth slices it
reads (every ``stride[0]``-th from ``d * dilation[0]`` of the depth-padded input, stacked into
the batch: (N * D_out, C, H, W)) with ``weight[:, :, d]``. Its backward runs the 2-D backward
per kernel depth and slice-adds each grad_input into the depth-padded gradient (deterministic,
no scatter). :func:`convolve` and :func:`convolve_backward` are these formulas for any of the
three, shared with :mod:`.conv_transpose`.
"""

from __future__ import annotations

from ._checks import array_backend, check_grad_output, check_output_mask, kernel, require_arrays
from ._conv_args import check_conv_fits, prepare_conv
from ._windows import Geometry, crop_nd, pad_nd
from .conv import correlate, correlate_backward

__all__ = ["conv1d", "conv1d_backward", "conv3d", "conv3d_backward"]


def _one_row(geometry: Geometry) -> Geometry:
    """The 2-D geometry of a 1-D one over a plane of one row."""
    return Geometry(
        *((first, *values) for first, values in zip((1, 1, 1, 0, 0, 1), geometry, strict=True))
    )


def _plane(geometry: Geometry) -> Geometry:
    """The (H, W) part of a 3-D geometry."""
    return Geometry(*(values[1:] for values in geometry))


def _depth_only(geometry):
    """``geometry`` padded along D only: the padding of the input the depth slices read."""
    pad_before, pad_after = geometry.pad_before, geometry.pad_after
    return geometry._replace(pad_before=(pad_before[0], 0, 0), pad_after=(pad_after[0], 0, 0))


def _depth_reads(geometry, d):
    """The slice of the padded depth axis that kernel depth ``d`` reads."""
    sD, D_out, start = geometry.stride[0], geometry.output[0], d * geometry.dilation[0]
    return slice(start, start + (D_out - 1) * sD + 1, sD)


def _depth_slices(padded, geometry, d):
    """The depth slices kernel depth ``d`` reads, as a batch: (N * D_out, C, H, W)."""
    slices = padded[:, :, _depth_reads(geometry, d)]  # (N, C, D_out, H, W)
    N, C, D_out, H, W = slices.shape  # not -1: an empty plane cannot resolve it
    return slices.transpose(0, 2, 1, 3, 4).reshape(N * D_out, C, H, W)


def _unstack(stacked, N, depth):
    """(N * depth, C, H, W) -> (N, C, depth, H, W); ``depth`` is given, not inferred with -1,
    which an empty batch cannot resolve."""
    return stacked.reshape(N, depth, *stacked.shape[1:]).transpose(0, 2, 1, 3, 4)


def convolve(backend, where, x, weight, bias, geometry, groups):
    """The correlation of a validated call over 1, 2 or 3 spatial axes: ``x`` (N, C, *size)
    -> (N, C_out, *geometry.output), in the compute dtype."""
    nd = len(geometry.kernel)
    if nd == 2:
        return correlate(backend, where, x, weight, bias, geometry, groups)
    if nd == 1:
        output = correlate(
            backend, where, x[:, :, None], weight[:, :, None], bias, _one_row(geometry), groups
        )
        return output[:, :, 0]
    padded = pad_nd(backend.xp, x, _depth_only(geometry))
    output = None
    for d in range(geometry.kernel[0]):
        stacked = _depth_slices(padded, geometry, d)
        part = correlate(
            backend, where, stacked, weight[:, :, d], None if d else bias, _plane(geometry), groups
        )
        if output is None:
            output = part
        else:
            output += part
    return _unstack(output, x.shape[0], geometry.output[0])


def convolve_backward(backend, where, grad, x, weight, geometry, groups, need):
    """``(grad_input, grad_weight, grad_bias)`` of :func:`convolve` for ``grad`` (N, C_out,
    *out), in the compute dtype, as ``need`` (three flags) says; the others are ``None``.
    Without grad_weight, ``x`` is read for its shape and dtype only."""
    nd = len(geometry.kernel)
    if nd == 2:
        return correlate_backward(backend, where, grad, x, weight, geometry, groups, need)
    if nd == 1:
        grads = correlate_backward(
            backend,
            where,
            grad[:, :, None],
            x[:, :, None],
            weight[:, :, None],
            _one_row(geometry),
            groups,
            need,
        )
        grad_input, grad_weight, grad_bias = grads
        return (
            None if grad_input is None else grad_input[:, :, 0],
            None if grad_weight is None else grad_weight[:, :, 0],
            grad_bias,
        )
    return _depth_backward(backend, where, grad, x, weight, geometry, groups, need)


def _depth_backward(backend, where, grad, x, weight, geometry, groups, need):
    """:func:`convolve_backward` in 3-D: the 2-D backward per kernel depth."""
    (need_input, need_weight, need_bias), xp, N = need, backend.xp, x.shape[0]
    depth = _depth_only(geometry)
    padded = pad_nd(xp, x, depth) if need_weight else None
    N_grad, C_grad, D_grad, *plane = grad.shape  # not -1: an empty plane cannot resolve it
    stacked_grad = grad.transpose(0, 2, 1, 3, 4).reshape(N_grad * D_grad, C_grad, *plane)
    # without grad_weight the input's values are never read: a shape-only stand-in
    stacked_shape = (len(stacked_grad), x.shape[1], *x.shape[3:])
    shape_only = xp.broadcast_to(xp.zeros((), dtype=x.dtype), stacked_shape)
    if need_input:
        D_padded = depth.pad_before[0] + x.shape[2] + depth.pad_after[0]
        grad_padded = xp.zeros((N, x.shape[1], D_padded, *x.shape[3:]), dtype=grad.dtype)
    grad_weight, per_depth = [], (need_input, need_weight, False)
    for d in range(geometry.kernel[0]):
        stacked = _depth_slices(padded, geometry, d) if need_weight else shape_only
        part_input, part_weight, _ = correlate_backward(
            backend,
            where,
            stacked_grad,
            stacked,
            weight[:, :, d],
            _plane(geometry),
            groups,
            per_depth,
        )
        grad_weight.append(part_weight)
        if need_input:
            grad_padded[:, :, _depth_reads(geometry, d)] += _unstack(part_input, N, grad.shape[2])
    grad_input = crop_nd(grad_padded, depth, x.shape[2:]) if need_input else None
    grad_weight = xp.stack(grad_weight, axis=2) if need_weight else None
    grad_bias = grad.sum(axis=(0, 2, 3, 4)) if need_bias else None
    return grad_input, grad_weight, grad_bias


def conv_forward(where, nd, input, weight, bias, stride, padding, dilation, groups):
    """The body of ``conv{nd}d``, reporting errors as ``where``."""
    call = prepare_conv(where, input, weight, bias, stride, padding, dilation, groups, nd)
    output_shape = (call.x.shape[0], weight.shape[0], *call.geometry.output)
    check_conv_fits(where, call.backend, call.x.shape, output_shape, call.geometry, input.dtype)
    output = convolve(call.backend, where, call.x, weight, bias, call.geometry, groups)
    output = output.astype(input.dtype, copy=False)
    return output[0] if call.unbatched else output


def conv_backward(where, nd, grad_output, input, weight, bias, options, output_mask):
    """The body of ``conv{nd}d_backward``; ``options`` are (stride, padding, dilation, groups)."""
    require_arrays(where, input=input, weight=weight)
    backend, x, geometry, unbatched = prepare_conv(where, input, weight, bias, *options, nd)
    array_backend(where, input=input, grad_output=grad_output)
    output_shape = (x.shape[0], weight.shape[0], *geometry.output)
    check_grad_output(where, grad_output, output_shape[unbatched:], input.dtype)
    check_conv_fits(where, backend, x.shape, output_shape, geometry, input.dtype)
    need_input, need_weight, need_bias = check_output_mask(where, output_mask, 3)
    grad = grad_output[None] if unbatched else grad_output
    need = (need_input, need_weight, bias is not None and need_bias)
    grads = convolve_backward(backend, where, grad, x, weight, geometry, options[3], need)
    grad_input, grad_weight, grad_bias = grads
    if grad_input is not None:
        grad_input = grad_input.astype(input.dtype, copy=False)
        grad_input = grad_input[0] if unbatched else grad_input
    if grad_weight is not None:
        grad_weight = grad_weight.astype(weight.dtype, copy=False)
    if grad_bias is not None:
        grad_bias = grad_bias.astype(bias.dtype)
    return grad_input, grad_weight, grad_bias


@kernel
def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    r"""1-D cross-correlation of ``input`` with ``weight``, as ``torch.nn.functional.conv1d``.

    Args:
        input: array of shape (N, C, L) or (C, L).
        weight: filters of shape (C_out, C / groups, k).
        bias: optional array of shape (C_out,). Default: ``None``.
        stride, dilation: int or 1-tuple. Default: 1.
        padding: zeros on each side: int, 1-tuple, ``'valid'`` or ``'same'`` (stride 1; an odd
            total puts the extra element on the right). Default: 0.
        groups: split the channels into this many independent groups. Default: 1.

    Shape:
        - Output: (N, C_out, L_out), L_out = floor((L + 2 * padding - dilation * (k - 1) - 1)
          / stride) + 1.

    Returns:
        Array of the dtype and backend of ``input``; float16 accumulates in float32.

    Raises:
        TypeError: non-float arrays, mixed dtypes or backends.
        ValueError: wrong ndim, channel/group mismatch, bad stride/padding/dilation, a kernel
            larger than the padded input.
        MemoryError: if one sample's window copy exceeds :func:`xpnet.memory_budget`.

    Example:
        >>> conv1d(xp.arange(5.0).reshape(1, 1, 5), xp.ones((1, 1, 2)), stride=2)
        array([[[1., 5.]]])
    """
    return conv_forward("conv1d", 1, input, weight, bias, stride, padding, dilation, groups)


@kernel
def conv1d_backward(
    grad_output, input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1, *,
    output_mask=(True, True, True),
):  # fmt: skip
    r"""Gradients of :func:`conv1d`: ``(grad_input, grad_weight, grad_bias)``, by the 2-D
    backward over a one-row plane; ``output_mask`` as :func:`~xpnet.kernels.conv2d_backward`.

    Example:
        >>> x, w = xp.ones((1, 1, 3)), xp.ones((1, 1, 2))
        >>> conv1d_backward(xp.ones((1, 1, 2)), x, w)[0]
        array([[[1., 2., 1.]]])
    """
    options = (stride, padding, dilation, groups)
    return conv_backward(
        "conv1d_backward", 1, grad_output, input, weight, bias, options, output_mask
    )


@kernel
def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    r"""3-D cross-correlation of ``input`` with ``weight``, as ``torch.nn.functional.conv3d``.

    Args:
        input: array of shape (N, C, D, H, W) or (C, D, H, W).
        weight: filters of shape (C_out, C / groups, kD, kH, kW).
        bias: optional array of shape (C_out,). Default: ``None``.
        stride, dilation: int or triple. Default: 1.
        padding: int, triple, ``'valid'`` or ``'same'`` (stride 1). Default: 0.
        groups: independent channel groups. Default: 1.

    Shape:
        - Output: (N, C_out, D_out, H_out, W_out), each as L_out in :func:`conv1d`.

    Returns:
        Array of the dtype and backend of ``input``: the sum over the ``kD`` kernel depths of
        2-D convolutions (see the module docstring).

    Raises:
        As :func:`conv1d`.

    Example:
        >>> conv3d(xp.ones((1, 1, 3, 3, 3)), xp.ones((1, 1, 2, 2, 2)))[0, 0, 0]
        array([[8., 8.],
               [8., 8.]])
    """
    return conv_forward("conv3d", 3, input, weight, bias, stride, padding, dilation, groups)


@kernel
def conv3d_backward(
    grad_output, input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1, *,
    output_mask=(True, True, True),
):  # fmt: skip
    r"""Gradients of :func:`conv3d`: ``(grad_input, grad_weight, grad_bias)``, the 2-D
    backward per kernel depth; ``output_mask`` as :func:`~xpnet.kernels.conv2d_backward`.

    Example:
        >>> x, w = xp.ones((1, 1, 2, 2, 2)), xp.ones((1, 1, 2, 2, 2))
        >>> conv3d_backward(xp.ones((1, 1, 1, 1, 1)), x, w)[1].sum()
        np.float64(8.0)
    """
    options = (stride, padding, dilation, groups)
    return conv_backward(
        "conv3d_backward", 3, grad_output, input, weight, bias, options, output_mask
    )
