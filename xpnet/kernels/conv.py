"""2-D convolution (cross-correlation, as PyTorch) and its backward: the public entry points,
which validate once, ask which formula runs, and dispatch to it.

Neighbours: :mod:`._conv_args` validates the arguments; :mod:`._conv_select` chooses the
formula from the shapes (:func:`select_conv_algorithm` says which for any call,
:func:`conv_algorithms` forces or restricts it); :mod:`._conv_im2col` holds the window-copy
formulas (im2col, im2col one kernel row at a time, pointwise) and :mod:`._conv_fourier` the
convolution theorem. Shape symbols: ``N`` batch, ``C`` in-channels, ``C_out`` out-channels,
``G`` groups, ``H_out W_out`` the output size.
"""

from __future__ import annotations

from ._blocks import compute_dtype
from ._checks import (
    array_backend,
    check_grad_output,
    check_output_mask,
    kernel,
    known_finite,
    require_arrays,
)
from ._conv_args import check_conv_fits, prepare_conv
from ._conv_fourier import fourier_correlate, fourier_correlate_backward
from ._conv_im2col import im2col_backward, im2col_correlate
from ._conv_select import (
    ConvAlgorithm,
    choose_algorithm,
    choose_grad_input,
    conv_algorithms,
    select_conv_algorithm,
)

__all__ = [
    "ConvAlgorithm",
    "conv2d",
    "conv2d_backward",
    "conv_algorithms",
    "select_conv_algorithm",
]

_WHERE = "conv2d"


@kernel
def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    r"""2-D cross-correlation of ``input`` with ``weight``, as ``torch.nn.functional.conv2d``.

    Args:
        input: array of shape (N, C, H, W) or (C, H, W).
        weight: filters of shape (C_out, C / groups, kH, kW).
        bias: optional array of shape (C_out,). Default: ``None``.
        stride: step between windows, int or pair. Default: 1.
        padding: zeros on each side, int, pair, ``'valid'`` (none) or ``'same'`` (output
            size = input size, stride 1 only; an odd total puts the extra row/column at the
            bottom/right). Default: 0.
        dilation: spacing between kernel elements, int or pair. Default: 1.
        groups: split the channels into this many independent groups. Default: 1.

    Shape:
        - Output: (N, C_out, H_out, W_out), where
          H_out = floor((H + 2 * padding[0] - dilation[0] * (kH - 1) - 1) / stride[0]) + 1.

    Returns:
        Array of the dtype and backend of ``input``; float16 accumulates in float32.

    Note:
        Unlike PyTorch's, the formula is chosen from the shapes alone, never timed: im2col,
        im2col one kernel row at a time, pointwise or the convolution theorem (see
        :class:`ConvAlgorithm`). :func:`select_conv_algorithm` says which runs a call;
        :func:`conv_algorithms` forces or restricts it.

    Raises:
        TypeError: non-float arrays, mixed dtypes or backends.
        ValueError: wrong ndim, channel/group mismatch, bad stride/padding/dilation, a kernel
            larger than the padded input, or no algorithm that :func:`conv_algorithms`
            enables can run the call.
        MemoryError: if one sample's window copy exceeds :func:`xpnet.memory_budget`, or the
            output and the padded input exceed what the backend can allocate.

    Example:
        >>> x = xp.arange(16.0).reshape(1, 1, 4, 4)
        >>> conv2d(x, xp.ones((1, 1, 2, 2)), stride=2)[0, 0]
        array([[10., 18.],
               [42., 50.]])
    """
    backend, x, geometry, unbatched = prepare_conv(
        _WHERE, input, weight, bias, stride, padding, dilation, groups
    )
    output_shape = (x.shape[0], weight.shape[0], *geometry.output)
    check_conv_fits(_WHERE, backend, x.shape, output_shape, geometry, x.dtype)
    output = correlate(backend, _WHERE, x, weight, bias, geometry, groups)
    output = output.astype(input.dtype, copy=False)
    return output[0] if unbatched else output


def correlate(backend, where, x, weight, bias, geometry, groups):
    """The 2-D correlation of a validated call, ``x`` (N, C, H, W), by the formula that
    :func:`select_conv_algorithm` picks: (N, C_out, H_out, W_out) in the compute dtype."""
    dtype = compute_dtype(backend.xp, x.dtype)
    choice = choose_algorithm(backend, where, geometry, groups, x.shape, weight.shape[0], dtype)
    weight = weight.astype(dtype, copy=False)
    bias = None if bias is None else bias.astype(dtype, copy=False)
    if choice.algorithm is ConvAlgorithm.FOURIER:
        return fourier_correlate(backend, where, x, weight, choice.plan, dtype, bias)
    filters = weight.reshape(groups, weight.shape[0] // groups, -1)  # (G, Og, K)
    return im2col_correlate(backend, where, x, filters, choice, dtype, bias)


@kernel
def conv2d_backward(
    grad_output,
    input,
    weight,
    bias=None,
    stride=1,
    padding=0,
    dilation=1,
    groups=1,
    *,
    output_mask=(True, True, True),
):
    r"""Gradients of :func:`conv2d` with respect to ``input``, ``weight`` and ``bias``.

    The backward runs the forward's formula (:func:`select_conv_algorithm`). Where the
    forward takes the convolution theorem, so does the backward: the adjoints of its
    transforms and products. Otherwise ``grad_weight = grad_output @ col^T`` per group and
    tap, where ``col`` is the window copy of the forward (recomputed, in batch chunks).
    ``grad_input`` is, for stride 1 and C_out <= C (2 C from C = 32), the correlation of
    ``grad_output`` with the flipped, transposed filters, else ``col2im(weight^T @
    grad_output)``: each tap's product added into its columns, then one slice-add per copied
    kernel offset (``conv_algorithms(grad_input=...)`` forces either). Pointwise convolutions
    use per-sample matmuls and no copies. ``grad_bias`` sums ``grad_output`` over
    (N, H_out, W_out).

    Args:
        output_mask: which of ``(grad_input, grad_weight, grad_bias)`` to compute, as in
            PyTorch's ``convolution_backward``; the others are returned as ``None``. A first
            layer's input needs no gradient: autograd passes ``(False, True, True)`` and its
            col2im or correlation is skipped. Default: all three.

    Returns:
        ``(grad_input, grad_weight, grad_bias)``; ``grad_bias`` is ``None`` when ``bias`` is.

    Example:
        >>> x, w = xp.ones((1, 1, 3, 3)), xp.ones((1, 1, 2, 2))
        >>> grad_input, grad_weight, grad_bias = conv2d_backward(xp.ones((1, 1, 2, 2)), x, w)
        >>> grad_input[0, 0]
        array([[1., 2., 1.],
               [2., 4., 2.],
               [1., 2., 1.]])
    """
    where = f"{_WHERE}_backward"
    require_arrays(where, input=input, weight=weight)
    backend, x, geometry, unbatched = prepare_conv(
        where, input, weight, bias, stride, padding, dilation, groups
    )
    array_backend(where, input=input, grad_output=grad_output)
    output_shape = (x.shape[0], weight.shape[0], *geometry.output)  # the forward's, from geometry
    check_grad_output(where, grad_output, output_shape[unbatched:], input.dtype)
    check_conv_fits(where, backend, x.shape, output_shape, geometry, x.dtype)
    need_input, need_weight, need_bias = check_output_mask(where, output_mask, 3)
    grad = grad_output[None] if unbatched else grad_output
    need = (need_input, need_weight, bias is not None and need_bias)
    grad_input, grad_weight, grad_bias = correlate_backward(
        backend, where, grad, x, weight, geometry, groups, need
    )
    if grad_bias is not None:
        grad_bias = grad_bias.astype(bias.dtype)
    if need_input:
        grad_input = grad_input.astype(input.dtype, copy=False)
        grad_input = grad_input[0] if unbatched else grad_input
    if need_weight:
        grad_weight = grad_weight.astype(weight.dtype, copy=False)
    return grad_input, grad_weight, grad_bias


def correlate_backward(backend, where, grad, x, weight, geometry, groups, need):
    """``(grad_input, grad_weight, grad_bias)`` of :func:`correlate` for ``grad`` (N, C_out,
    H_out, W_out), in the compute dtype; ``need`` (three flags) says which to compute, the
    others are ``None``. ``grad_weight`` has the shape of ``weight``."""
    need_input, need_weight, need_bias = need
    xp, dtype = backend.xp, compute_dtype(backend.xp, x.dtype)
    C_out = weight.shape[0]
    computed = weight.astype(dtype, copy=False)
    choice = choose_algorithm(backend, where, geometry, groups, x.shape, C_out, dtype)
    grad_bias = None
    if choice.algorithm is ConvAlgorithm.FOURIER:
        grad_input, grad_weight = fourier_correlate_backward(
            backend, where, grad, x, computed, choice.plan, dtype, (need_input, need_weight)
        )
    else:
        filters = computed.reshape(groups, C_out // groups, -1)  # (G, Og, K)
        correlation = None
        if need_input:
            correlation = choose_grad_input(
                backend,
                where,
                choice,
                groups,
                x.shape,
                C_out,
                grad.shape[2:],
                dtype,
                finite=known_finite(backend, computed),
            )
        grad_input, grad_weight, grad_bias = im2col_backward(
            backend, where, grad, x, filters, choice, correlation, dtype, (need_input, need_weight)
        )
    if need_bias:
        if grad_bias is None:
            grad_bias = xp.sum(grad.astype(dtype, copy=False), axis=(0, 2, 3))
    else:
        grad_bias = None
    grad_input = grad_input if need_input else None
    grad_weight = grad_weight.reshape(*weight.shape) if need_weight else None
    return grad_input, grad_weight, grad_bias
