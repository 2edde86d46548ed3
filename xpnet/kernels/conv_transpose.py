"""Transposed convolution (``conv_transpose1d/2d/3d``, "deconvolution") and its backward, as
the adjoint of convolution: one code path with :mod:`.conv` and :mod:`.conv_nd`.

A transposed convolution with ``weight`` (C_in, C_out / groups, *k) maps (N, C_in, *size) to
(N, C_out, *out), ``out = (size - 1) * stride - 2 * padding + dilation * (k - 1) +
output_padding + 1``: it is the gradient with respect to the input of the convolution of an
(N, C_out, *out) input with the same ``weight`` (read as (C_out_conv, C_in_conv / groups, *k)),
stride, padding, dilation and groups. So its forward is that convolution's data gradient
(:func:`~.conv_nd.convolve_backward` without grad_weight: col2im, or a stride-1 correlation
with the flipped filters), its grad_input is that convolution's forward, and its grad_weight
is that convolution's weight gradient with the roles of input and gradient swapped. Where
``output_padding >= stride`` (allowed when below ``dilation``), the convolution of ``out``
has ``floor(output_padding / stride)`` more outputs than ``size`` per axis: the input is then
zero-extended to them, and the convolution's output cropped.
"""

from __future__ import annotations

from ._blocks import compute_dtype
from ._checks import (
    ArgumentError,
    array_backend,
    check_grad_output,
    check_int,
    check_ndim,
    check_output_mask,
    kernel,
    require_arrays,
    to_tuple,
)
from ._conv_args import check_conv_fits
from ._windows import window_geometry
from .conv_nd import convolve, convolve_backward

__all__ = [
    "conv_transpose1d",
    "conv_transpose1d_backward",
    "conv_transpose2d",
    "conv_transpose2d_backward",
    "conv_transpose3d",
    "conv_transpose3d_backward",
]

_AXES = {1: ("L",), 2: ("H", "W"), 3: ("D", "H", "W")}


def _check_channels(where, C_in, weight, bias, groups):
    groups = check_int(where, "groups", groups)  # a bool or float: TypeError, as PyTorch
    if groups < 1 or C_in % groups:
        msg = (
            f"{where}: groups must be a positive int dividing the input channels ({C_in}), "
            f"got groups={groups!r}"
        )
        raise ArgumentError(msg)
    if weight.shape[0] != C_in:
        msg = (
            f"{where}: input has {C_in} channels but weight (C_in, C_out / groups, ...) expects "
            f"{weight.shape[0]}"
        )
        raise ArgumentError(msg)
    if C_in == 0:  # PyTorch refuses an empty weight too
        msg = f"{where}: weight must have at least one input channel, got shape {weight.shape}"
        raise ArgumentError(msg)
    if 0 in weight.shape:  # no output channel or a kernel size 0: PyTorch's RuntimeError
        msg = f"{where}: weight must have every size at least 1, got shape {weight.shape}"
        raise ArgumentError(msg)
    C_out = weight.shape[1] * groups
    if bias is not None and bias.shape != (C_out,):
        msg = f"{where}: bias must have shape ({C_out},) (C_out,), got {bias.shape}"
        raise ArgumentError(msg)
    return C_out


def _output_size(where, size, kernel_size, options):
    """The output size per axis, after checking ``output_padding``."""
    stride, padding, output_padding, dilation = options
    for op, s, d in zip(output_padding, stride, dilation, strict=True):
        if op >= s and op >= d:
            msg = (
                f"{where}: output_padding must be smaller than either stride or dilation, got "
                f"output_padding={output_padding}, stride={stride}, dilation={dilation}"
            )
            raise ArgumentError(msg)
    out = tuple(
        (n - 1) * s - 2 * p + d * (k - 1) + op + 1
        for n, k, s, p, op, d in zip(size, kernel_size, *options[:3], dilation, strict=True)
    )
    if min(size, default=1) < 1:  # PyTorch takes an empty batch or channels, not sizes
        msg = f"{where}: input must have spatial sizes of at least 1, got {tuple(size)}"
        raise ArgumentError(msg)
    if min(out, default=1) < 1:
        msg = (
            f"{where}: the output size {out} (from input size {tuple(size)}) must be positive; "
            f"padding={padding} is too large"
        )
        raise ArgumentError(msg)
    return out


def prepare_transpose(
    where, nd, input, weight, bias, stride, padding, output_padding, groups, dilation
):
    """Validate a transposed convolution once: ``(backend, x, unbatched, output shape,
    geometry, (cut, reached))``. ``geometry`` is that of the adjoint convolution over the
    output; ``cut`` the same with one window per input element, and ``reached`` the output
    size per axis that those windows reach (see :func:`_input_windows`)."""
    require_arrays(where, input=input, weight=weight)
    backend = array_backend(where, input=input, weight=weight, bias=bias)
    axes = ", ".join(_AXES[nd])
    check_ndim(where, "input", input, (nd + 1, nd + 2), f"(N, C_in, {axes}) or (C_in, {axes})")
    kernel_axes = ", ".join(f"k{axis}" for axis in _AXES[nd])
    check_ndim(where, "weight", weight, (nd + 2,), f"(C_in, C_out / groups, {kernel_axes})")
    unbatched = input.ndim == nd + 1
    x = input[None] if unbatched else input
    C_out = _check_channels(where, x.shape[1], weight, bias, groups)
    stride = to_tuple(where, "stride", stride, nd)
    padding = to_tuple(where, "padding", padding, nd, minimum=0)
    output_padding = to_tuple(where, "output_padding", output_padding, nd, minimum=0)
    dilation = to_tuple(where, "dilation", dilation, nd)
    options = (stride, padding, output_padding, dilation)
    kernel_size, size = tuple(weight.shape[2:]), x.shape[2:]
    out = _output_size(where, size, kernel_size, options)
    geometry = window_geometry(where, out, kernel_size, stride, dilation, padding)
    out = (x.shape[0], C_out, *out)
    # the adjoint convolution's input is this output: it and its padded copy must fit
    check_conv_fits(where, backend, out, x.shape, geometry, input.dtype)
    reach = _input_windows(geometry, size, out[2:])
    return backend, x, unbatched, out, geometry, reach


def _input_windows(geometry, size, out):
    """``(cut, reached)``: ``geometry`` with one window per input element, padded after as far
    as they reach, and the output length per axis they reach (the rest gets no term).

    With ``output_padding >= stride`` (< dilation) the adjoint convolution has windows past
    the input's end; fed zeros, they would multiply the weight or the gradient, and ``0 *
    inf`` is NaN where PyTorch adds real terms only. Elsewhere ``geometry`` is already cut.
    """
    if geometry.output == tuple(size):
        return geometry, tuple(out)
    strides, spans = geometry.stride, geometry.effective_kernel
    reach = [(n - 1) * s + e for n, s, e in zip(size, strides, spans, strict=True)]
    before = geometry.pad_before
    reached = tuple(min(o, r - b) for o, r, b in zip(out, reach, before, strict=True))
    after = tuple(r - b - n for r, b, n in zip(reach, before, reached, strict=True))
    return geometry._replace(output=tuple(size), pad_after=after), reached


def _leading(array, sizes):
    """The first ``sizes`` elements of ``array``'s trailing axes, a view."""
    return array[(..., *(slice(0, n) for n in sizes))]


def conv_transpose(where, nd, input, weight, bias, *options):
    """The body of ``conv_transpose{nd}d``: ``options`` are (stride, padding, output_padding,
    groups, dilation)."""
    backend, x, unbatched, out, _, (cut, reached) = prepare_transpose(
        where, nd, input, weight, bias, *options
    )
    xp, groups = backend.xp, options[3]
    dtype = compute_dtype(xp, input.dtype)
    # the convolution's input, as far as its windows reach: only its shape is read
    shape_only = xp.broadcast_to(xp.zeros((), dtype=dtype), (*out[:2], *reached))
    grad = x.astype(dtype, copy=False)
    output, _, _ = convolve_backward(
        backend, where, grad, shape_only, weight, cut, groups, (True, False, False)
    )
    if reached != out[2:]:  # outputs no window reaches get no term: 0, and the bias
        output, reached_part = xp.zeros(out, dtype=dtype), output
        _leading(output, reached)[...] = reached_part
    if bias is not None:
        output += bias.astype(dtype, copy=False).reshape(-1, *(1,) * nd)
    output = output.astype(input.dtype, copy=False)
    return output[0] if unbatched else output


def conv_transpose_backward(where, nd, grad_output, input, weight, bias, options, output_mask):
    """The body of ``conv_transpose{nd}d_backward``; ``options`` as :func:`conv_transpose`."""
    backend, x, unbatched, out, geometry, (cut, reached) = prepare_transpose(
        where, nd, input, weight, bias, *options
    )
    array_backend(where, input=input, grad_output=grad_output)
    check_grad_output(where, grad_output, out[unbatched:], input.dtype)
    need_input, need_weight, need_bias = check_output_mask(where, output_mask, 3)
    xp, groups = backend.xp, options[3]
    dtype = compute_dtype(xp, input.dtype)
    grad = (grad_output[None] if unbatched else grad_output).astype(dtype, copy=False)
    grad_input = grad_weight = grad_bias = None
    if need_input:
        grad_input = convolve(backend, where, grad, weight, None, geometry, groups)
        grad_input = _leading(grad_input, x.shape[2:])
        grad_input = grad_input.astype(input.dtype, copy=False)
        grad_input = grad_input[0] if unbatched else grad_input
    if need_weight:
        windows = x.astype(dtype, copy=False), _leading(grad, reached)
        _, grad_weight, _ = convolve_backward(
            backend, where, *windows, weight, cut, groups, (False, True, False)
        )
        grad_weight = grad_weight.astype(weight.dtype, copy=False)
    if bias is not None and need_bias:
        grad_bias = grad.sum(axis=(0, *range(2, 2 + nd))).astype(bias.dtype)
    return grad_input, grad_weight, grad_bias


@kernel
def conv_transpose1d(
    input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1
):
    r"""1-D transposed convolution, as ``torch.nn.functional.conv_transpose1d``: the adjoint
    (input gradient) of :func:`~xpnet.kernels.conv1d` with the same arguments.

    Args:
        input: array of shape (N, C_in, L) or (C_in, L).
        weight: filters of shape (C_in, C_out / groups, k).
        bias: optional array of shape (C_out,). Default: ``None``.
        stride: int or 1-tuple. Default: 1.
        padding: ``dilation * (k - 1) - padding`` zeros on each side of the input, int or 1-tuple.
            Default: 0.
        output_padding: extra size on one side of the output, int or 1-tuple, each smaller than
            stride or dilation. Default: 0.
        groups: independent channel groups, dividing C_in. Default: 1.
        dilation: spacing between kernel elements, int or 1-tuple. Default: 1.

    Shape:
        - Output: (N, C_out, *out), out = (size - 1) * stride - 2 * padding + dilation *
          (k - 1) + output_padding + 1 per axis.

    Returns:
        Array of the dtype and backend of ``input``; float16 accumulates in float32.

    Raises:
        TypeError: non-float arrays, mixed dtypes or backends, non-int sizes.
        ValueError: wrong ndim, channel/group mismatch, bad sizes, ``output_padding`` not
            below stride or dilation, a non-positive output size.
        MemoryError: if one sample's window copy exceeds :func:`xpnet.memory_budget`.

    Example:
        >>> conv_transpose1d(xp.ones((1, 1, 2)), xp.ones((1, 1, 3)), stride=2)
        array([[[1., 1., 2., 1., 1.]]])
    """
    options = (stride, padding, output_padding, groups, dilation)
    return conv_transpose("conv_transpose1d", 1, input, weight, bias, *options)


@kernel
def conv_transpose1d_backward(
    grad_output, input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
    dilation=1, *, output_mask=(True, True, True),
):  # fmt: skip
    r"""Gradients of :func:`conv_transpose1d`: ``(grad_input, grad_weight, grad_bias)``.
    grad_input is the convolution of ``grad_output`` with ``weight``; grad_weight that
    convolution's weight gradient with ``input`` as its output gradient; ``output_mask`` as
    :func:`~xpnet.kernels.conv2d_backward`.

    Example:
        >>> grads = conv_transpose1d_backward(xp.ones((1, 1, 5)), xp.ones((1, 1, 2)),
        ...                                   xp.ones((1, 1, 3)), stride=2)
        >>> grads[0], grads[1]
        (array([[[3., 3.]]]), array([[[2., 2., 2.]]]))
    """
    options = (stride, padding, output_padding, groups, dilation)
    where = "conv_transpose1d_backward"
    return conv_transpose_backward(where, 1, grad_output, input, weight, bias, options, output_mask)


@kernel
def conv_transpose2d(
    input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1
):
    r"""2-D transposed convolution, as ``torch.nn.functional.conv_transpose2d``: the adjoint
    (input gradient) of :func:`~xpnet.kernels.conv2d` with the same arguments.

    Args:
        input: array of shape (N, C_in, H, W) or (C_in, H, W).
        weight: filters of shape (C_in, C_out / groups, kH, kW).
        bias: optional array of shape (C_out,). Default: ``None``.
        stride: int or pair. Default: 1.
        padding: ``dilation * (k - 1) - padding`` zeros on each side of the input, int or pair.
            Default: 0.
        output_padding: extra size on one side of the output, int or pair, each smaller than
            stride or dilation. Default: 0.
        groups: independent channel groups, dividing C_in. Default: 1.
        dilation: spacing between kernel elements, int or pair. Default: 1.

    Shape:
        - Output: (N, C_out, *out), out = (size - 1) * stride - 2 * padding + dilation *
          (k - 1) + output_padding + 1 per axis.

    Returns:
        Array of the dtype and backend of ``input``; float16 accumulates in float32.

    Raises:
        TypeError: non-float arrays, mixed dtypes or backends, non-int sizes.
        ValueError: wrong ndim, channel/group mismatch, bad sizes, ``output_padding`` not
            below stride or dilation, a non-positive output size.
        MemoryError: if one sample's window copy exceeds :func:`xpnet.memory_budget`.

    Example:
        >>> conv_transpose2d(xp.ones((1, 1, 2, 2)), xp.ones((1, 1, 2, 2)))[0, 0]
        array([[1., 2., 1.],
               [2., 4., 2.],
               [1., 2., 1.]])
    """
    options = (stride, padding, output_padding, groups, dilation)
    return conv_transpose("conv_transpose2d", 2, input, weight, bias, *options)


@kernel
def conv_transpose2d_backward(
    grad_output, input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
    dilation=1, *, output_mask=(True, True, True),
):  # fmt: skip
    r"""Gradients of :func:`conv_transpose2d`: ``(grad_input, grad_weight, grad_bias)``.
    grad_input is the convolution of ``grad_output`` with ``weight``; grad_weight that
    convolution's weight gradient with ``input`` as its output gradient; ``output_mask`` as
    :func:`~xpnet.kernels.conv2d_backward`.

    Example:
        >>> x, w = xp.ones((1, 1, 2, 2)), xp.ones((1, 1, 2, 2))
        >>> conv_transpose2d_backward(xp.ones((1, 1, 3, 3)), x, w)[0][0, 0]
        array([[4., 4.],
               [4., 4.]])
    """
    options = (stride, padding, output_padding, groups, dilation)
    where = "conv_transpose2d_backward"
    return conv_transpose_backward(where, 2, grad_output, input, weight, bias, options, output_mask)


@kernel
def conv_transpose3d(
    input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1
):
    r"""3-D transposed convolution, as ``torch.nn.functional.conv_transpose3d``: the adjoint
    (input gradient) of :func:`~xpnet.kernels.conv3d` with the same arguments.

    Args:
        input: array of shape (N, C_in, D, H, W) or (C_in, D, H, W).
        weight: filters of shape (C_in, C_out / groups, kD, kH, kW).
        bias: optional array of shape (C_out,). Default: ``None``.
        stride: int or triple. Default: 1.
        padding: ``dilation * (k - 1) - padding`` zeros on each side of the input, int or triple.
            Default: 0.
        output_padding: extra size on one side of the output, int or triple, each smaller than
            stride or dilation. Default: 0.
        groups: independent channel groups, dividing C_in. Default: 1.
        dilation: spacing between kernel elements, int or triple. Default: 1.

    Shape:
        - Output: (N, C_out, *out), out = (size - 1) * stride - 2 * padding + dilation *
          (k - 1) + output_padding + 1 per axis.

    Returns:
        Array of the dtype and backend of ``input``; float16 accumulates in float32.

    Raises:
        TypeError: non-float arrays, mixed dtypes or backends, non-int sizes.
        ValueError: wrong ndim, channel/group mismatch, bad sizes, ``output_padding`` not
            below stride or dilation, a non-positive output size.
        MemoryError: if one sample's window copy exceeds :func:`xpnet.memory_budget`.

    Example:
        >>> conv_transpose3d(xp.ones((1, 1, 1, 1, 1)), xp.ones((1, 2, 2, 2, 2))).shape
        (1, 2, 2, 2, 2)
    """
    options = (stride, padding, output_padding, groups, dilation)
    return conv_transpose("conv_transpose3d", 3, input, weight, bias, *options)


@kernel
def conv_transpose3d_backward(
    grad_output, input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
    dilation=1, *, output_mask=(True, True, True),
):  # fmt: skip
    r"""Gradients of :func:`conv_transpose3d`: ``(grad_input, grad_weight, grad_bias)``.
    grad_input is the convolution of ``grad_output`` with ``weight``; grad_weight that
    convolution's weight gradient with ``input`` as its output gradient; ``output_mask`` as
    :func:`~xpnet.kernels.conv2d_backward`.

    Example:
        >>> x, w = xp.ones((1, 1, 1, 1, 1)), xp.ones((1, 1, 2, 2, 2))
        >>> conv_transpose3d_backward(xp.ones((1, 1, 2, 2, 2)), x, w)[0].reshape(-1)
        array([8.])
    """
    options = (stride, padding, output_padding, groups, dilation)
    where = "conv_transpose3d_backward"
    return conv_transpose_backward(where, 3, grad_output, input, weight, bias, options, output_mask)
