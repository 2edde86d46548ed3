"""2-D convolution (cross-correlation, as PyTorch) and its backward, via window copies + matmul
or, at stride 1 on small planes with many channels, by the convolution theorem
(:mod:`xpnet.kernels._conv_fourier`, chosen by :func:`~._conv_fourier.choose_fourier`).

Shape symbols: ``N`` batch, ``C`` in-channels, ``C_out`` out-channels, ``G`` groups,
``H_out W_out`` the output size. The window copy (:mod:`xpnet.kernels._conv_taps`) holds
every kernel row (im2col: in the forward one product per sample and group, straight into
NCHW; in the backward one matmul per group) or, at stride 1 for long enough rows, one kernel
row, whose kH products add up (~kH times less copying for 5x5 kernels). The batch
is cut into at least one chunk per block thread (:func:`batch_chunks`): on the CPU the
chunks' copies and products run side by side, BLAS single-threaded in each, where a
multithreaded product between single-threaded copies left a core idle. Large temporaries
live in reused workspaces (a fresh 100 MB array page-faults on every call), one per thread.
A pointwise convolution (1x1, stride 1, no padding) needs no window copy: each sample's
(C, H * W) plane is one. Choices between formulas depend on shapes only, never on the
backend.
"""

from __future__ import annotations

import math

from ._blocks import batch_chunks, compute_dtype, group_sums, workspace
from ._checks import ArgumentError, array_backend, check_ndim, check_output_mask, kernel, to_tuple
from ._conv_fourier import choose_fourier, fourier_correlate, fourier_correlate_backward
from ._conv_taps import (
    copy_bytes,
    scatter_windows,
    tap_columns,
    tap_filters,
    tap_gradients,
    tap_products,
    taps_of,
    window_copy,
)
from ._windows import window_geometry

__all__ = ["conv2d", "conv2d_backward"]

_WHERE = "conv2d"
# grad_input as a correlation pays when C_out <= ratio * C (measured on 2 CPU threads)
_TRANSPOSED_MAX_RATIO = 1


def _padding_sides(padding, kernel, stride, dilation):
    """(pad_before, pad_after) for an int, a pair, ``'valid'`` or ``'same'``."""
    if isinstance(padding, str):
        if padding == "valid":
            return (0, 0), (0, 0)
        if padding != "same":
            msg = f"{_WHERE}: padding must be an int, a pair, 'valid' or 'same', got {padding!r}"
            raise ArgumentError(msg)
        if stride != (1, 1):
            msg = f"{_WHERE}: padding='same' needs stride=1, got stride={stride}"
            raise ArgumentError(msg)
        # PyTorch puts the odd extra row and column at the bottom and right
        total = tuple(d * (k - 1) for k, d in zip(kernel, dilation, strict=True))
        return tuple(t // 2 for t in total), tuple(t - t // 2 for t in total)
    pad = to_tuple(_WHERE, "padding", padding, minimum=0)
    return pad, pad


def _prepare(input, weight, bias, stride, padding, dilation, groups):
    """Validate once; return (backend, batched input, geometry, unbatched flag)."""
    backend = array_backend(_WHERE, input=input, weight=weight, bias=bias)
    check_ndim(_WHERE, "input", input, (3, 4), "(N, C, H, W) or (C, H, W)")
    check_ndim(_WHERE, "weight", weight, (4,), "(C_out, C / groups, kH, kW)")
    unbatched = input.ndim == 3
    x = input[None] if unbatched else input
    C, C_out = x.shape[1], weight.shape[0]
    if not isinstance(groups, int) or groups < 1 or C % groups or C_out % groups:
        msg = (
            f"{_WHERE}: groups must be a positive int dividing both the input channels ({C}) "
            f"and the output channels ({C_out}), got groups={groups!r}"
        )
        raise ArgumentError(msg)
    if weight.shape[1] * groups != C:
        msg = (
            f"{_WHERE}: input has {C} channels but weight expects groups * C/groups = "
            f"{groups} * {weight.shape[1]} = {groups * weight.shape[1]} channels"
        )
        raise ArgumentError(msg)
    if bias is not None and bias.shape != (C_out,):
        msg = f"{_WHERE}: bias must have shape ({C_out},) (C_out,), got {bias.shape}"
        raise ArgumentError(msg)
    kernel_size = tuple(weight.shape[2:])
    stride = to_tuple(_WHERE, "stride", stride)
    dilation = to_tuple(_WHERE, "dilation", dilation)
    before, after = _padding_sides(padding, kernel_size, stride, dilation)
    geometry = window_geometry(_WHERE, x.shape[2:], kernel_size, stride, dilation, before, after)
    return backend, x, geometry, unbatched


def _is_pointwise(geometry):
    """A 1x1 kernel at stride 1 without padding: the input is its own window copy."""
    padding = geometry.pad_before + geometry.pad_after
    return geometry.kernel == geometry.stride == (1, 1) and padding == (0, 0, 0, 0)


def _planes(x, groups, dtype):
    """``x`` (N, C, ..., H, W) as (N, G, C / G * ..., H * W): each sample's window matrix, of
    a pointwise convolution (x itself) or of a sample-major window copy."""
    rows = math.prod(x.shape[1:-2]) // groups  # no -1: the batch may be empty
    return x.astype(dtype, copy=False).reshape(x.shape[0], groups, rows, math.prod(x.shape[-2:]))


def _correlate(backend, where, x, filters, geometry, dtype, bias=None):
    """The convolution core: ``x`` (N, C, H, W) with ``filters`` (G, Og, K), in batch chunks
    (on all the block threads, see :func:`batch_chunks`).

    The output is new; ``bias`` (C_out,) is added to each sample's product, or while the
    product of the per-row taps is transposed to NCHW.
    """
    xp, (groups, O_group, _), (H_out, W_out) = backend.xp, filters.shape, geometry.output
    (N, C), C_out = x.shape[:2], groups * O_group
    output = xp.empty((N, C_out, H_out, W_out), dtype=dtype)
    pointwise = _is_pointwise(geometry)
    taps = taps_of(geometry, C // groups)
    filters_per_tap = tap_filters(filters, taps)
    # the window copy and, with several taps, their product and each tap's share of it
    per_sample = 0 if pointwise else copy_bytes(taps, C, output.itemsize)
    if not taps.batch_first:
        per_sample += 2 * C_out * H_out * W_out * output.itemsize

    def correlate_chunk(chunk):
        if taps.batch_first:
            # one product per sample and group lands in NCHW: no transpose. A pointwise
            # convolution's input is its own window copy.
            windows = x[chunk]
            if not pointwise:
                windows = window_copy(backend, windows, taps, dtype, sample_major=True)
            result = output[chunk].reshape(-1, groups, O_group, H_out * W_out)
            xp.matmul(filters, _planes(windows, groups, dtype), out=result)
            if bias is not None:
                result += bias.reshape(groups, O_group, 1)
            return
        col = window_copy(backend, x[chunk], taps, dtype)
        n = len(x[chunk])
        result = tap_products(backend, col, filters_per_tap, taps, dtype)
        result = result.reshape(C_out, *taps.positions(n, H_out), W_out)
        result = taps.batch_major(result).transpose(1, 0, 2, 3)
        if bias is None:
            output[chunk] = result
        else:
            xp.add(result, bias[:, None, None], out=output[chunk])

    def correlate_group(chunks):
        for chunk in chunks:
            correlate_chunk(chunk)

    chunks = batch_chunks(backend, where, N, per_sample)
    backend.map_blocks(correlate_group, chunks)
    return output


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

    Raises:
        TypeError: non-float arrays, mixed dtypes or backends.
        ValueError: wrong ndim, channel/group mismatch, bad stride/padding/dilation, a kernel
            larger than the padded input.
        MemoryError: if one sample's window copy exceeds :func:`xpnet.memory_budget`.

    Example:
        >>> x = xp.arange(16.0).reshape(1, 1, 4, 4)
        >>> conv2d(x, xp.ones((1, 1, 2, 2)), stride=2)[0, 0]
        array([[10., 18.],
               [42., 50.]])
    """
    backend, x, geometry, unbatched = _prepare(
        input, weight, bias, stride, padding, dilation, groups
    )
    dtype = compute_dtype(backend.xp, input.dtype)
    filters = weight.astype(dtype, copy=False).reshape(groups, weight.shape[0] // groups, -1)
    bias = None if bias is None else bias.astype(dtype, copy=False)
    plan = choose_fourier(
        backend, geometry, groups, x.shape[1], weight.shape[0], x.shape[2:], dtype
    )
    if plan is not None:
        weight = weight.astype(dtype, copy=False)
        output = fourier_correlate(backend, _WHERE, x, weight, plan, dtype, bias)
    else:
        output = _correlate(backend, _WHERE, x, filters, geometry, dtype, bias)
    output = output.astype(input.dtype, copy=False)
    return output[0] if unbatched else output


def _transposed_geometry(where, geometry, grad_size, C, C_out):
    """Geometry of grad_input as a stride-1 correlation of grad_output with flipped filters.

    ``None`` (use col2im) for strided convolutions, where col2im is 3-10x cheaper than
    correlating the zero-upsampled gradient; for padding wider than the dilated kernel; and
    when the gradient's window copy (C_out rows) would be much larger than col2im's (C rows),
    unless the correlation is pointwise and needs no copy at all.
    """
    span = tuple(d * (k - 1) for k, d in zip(geometry.kernel, geometry.dilation, strict=True))
    before = tuple(s - p for s, p in zip(span, geometry.pad_before, strict=True))
    after = tuple(s - p for s, p in zip(span, geometry.pad_after, strict=True))
    if geometry.stride != (1, 1) or min(before + after) < 0:
        return None
    transposed = window_geometry(
        where, grad_size, geometry.kernel, (1, 1), geometry.dilation, before, after
    )
    if C_out > _TRANSPOSED_MAX_RATIO * C and not _is_pointwise(transposed):
        return None
    return transposed


def _pointwise_grads(backend, where, grad, x, filters, dtype):
    """``(grad_weight (G, Og, C/G), grad_bias (C_out,))`` of a pointwise convolution, no copies."""
    xp, groups = backend.xp, filters.shape[0]
    planes, grad_planes = _planes(x, groups, dtype), _planes(grad, groups, dtype)

    def sum_chunk(chunk, grad_weight):
        # one (Og, C/G) product per sample, summed; the long H * W axis is last on the left
        products = xp.matmul(grad_planes[chunk], planes[chunk].transpose(0, 1, 3, 2))
        grad_weight += products.sum(axis=0)

    # each chunk's products (one weight per sample) are its temporaries
    chunks = batch_chunks(backend, where, x.shape[0], filters.nbytes)
    (grad_weight,) = group_sums(backend, sum_chunk, chunks, [filters.shape], dtype)
    return grad_weight, grad_planes.sum(axis=(0, 3)).reshape(-1)


def _window_grads(backend, where, grad, x, filters, geometry, dtype, col2im):
    """``(grad_weight (G, Og, K), grad_bias (C_out,), grad_input or None)`` from the window
    copy, chunk by chunk; ``grad_input`` (by col2im) only when ``col2im`` is true."""
    xp, (groups, O_group, _), (H_out, W_out) = backend.xp, filters.shape, geometry.output
    (N, C, H, W), C_out = x.shape, groups * O_group
    taps = taps_of(geometry, C // groups)
    filters_per_tap = tap_filters(filters, taps)
    tap_shape = filters_per_tap[0].shape
    grad_input = xp.empty(x.shape, dtype=dtype) if col2im else None

    def sum_chunk(chunk, grad_weight, grad_bias):
        col = window_copy(backend, x[chunk], taps, dtype)
        n = len(x[chunk])
        # (n, C_out, H_out, W_out) -> (C_out, *positions, W_out), the columns' order
        shape = (C_out, *taps.positions(n, H_out), W_out)
        grad_chunk = workspace(backend, "conv2d.grad", shape, dtype)
        taps.batch_major(grad_chunk)[...] = grad[chunk].transpose(1, 0, 2, 3)
        grad_chunk = grad_chunk.reshape(groups, O_group, -1)  # (G, Og, H_out * n * W_out)
        grad_bias += grad_chunk.sum(axis=2).reshape(-1)
        for tap, start in enumerate(taps.starts):
            # columns @ grad^T, not grad @ columns^T: BLAS is ~8x faster with the long
            # H_out * n * W_out axis last in the left operand (OpenBLAS on 2 threads)
            columns = tap_columns(col, taps, groups, start)
            grad_weight[tap] += xp.matmul(columns, grad_chunk.transpose(0, 2, 1)).transpose(0, 2, 1)
        if col2im:
            # the window copy is spent: its workspace takes the gradient of the windows
            tap_gradients(backend, col, grad_chunk, filters_per_tap, taps, dtype)
            summed = scatter_windows(xp, col, taps, (H, W), dtype)  # (C, n, H, W)
            grad_input[chunk] = summed.transpose(1, 0, 2, 3)

    # the window copy, the gradient in its columns' order and, with several taps, each
    # tap's share of the copy's gradient
    itemsize = xp.dtype(dtype).itemsize
    per_sample = copy_bytes(taps, C, itemsize) + C_out * H_out * W_out * itemsize
    if not taps.batch_first:
        per_sample += C * taps.copy.kernel[1] * H_out * W_out * itemsize
    chunks = batch_chunks(backend, where, N, per_sample)
    shapes = [(len(taps.starts), *tap_shape), (C_out,)]
    grad_weight, grad_bias = group_sums(backend, sum_chunk, chunks, shapes, dtype)
    # (T, G, Og, C/G * R * kW) -> (G, Og, C/G, T, R * kW), the filters' (C/G, kH, kW) order
    grad_weight = grad_weight.reshape(len(taps.starts), groups, O_group, C // groups, -1)
    grad_weight = grad_weight.transpose(1, 2, 3, 0, 4).reshape(groups, O_group, -1)
    return grad_weight, grad_bias, grad_input


def _window_backward(backend, where, grad, x, filters, geometry, dtype, need_input, need_weight):
    """``(grad_input, grad_weight, grad_bias)`` by the window formula, each ``None`` where not
    needed or (``grad_bias``) not computed on the way: pointwise products, the window copy's
    products and col2im, or grad_input as a correlation (see :func:`conv2d_backward`)."""
    (groups, O_group, _), (C, kH, kW) = filters.shape, (x.shape[1], *geometry.kernel)
    C_out = groups * O_group
    transposed = _transposed_geometry(where, geometry, grad.shape[2:], C, C_out)
    col2im = need_input and transposed is None
    grad_input = grad_weight = grad_bias = None
    if _is_pointwise(geometry) and need_weight:
        grad_weight, grad_bias = _pointwise_grads(backend, where, grad, x, filters, dtype)
    elif need_weight or col2im:
        grad_weight, grad_bias, grad_input = _window_grads(
            backend, where, grad, x, filters, geometry, dtype, col2im
        )
    if need_input and transposed is not None:
        # (G, Og, C/G, kH, kW) -> (G, C/G, Og * kH * kW), flipped in kH and kW
        flipped = filters.reshape(groups, O_group, C // groups, kH, kW)
        flipped = flipped.transpose(0, 2, 1, 3, 4)[..., ::-1, ::-1].reshape(groups, C // groups, -1)
        grad_input = _correlate(backend, where, grad, flipped, transposed, dtype)
    return grad_input, grad_weight, grad_bias


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

    Where the forward takes the convolution theorem, so does the backward: the adjoints of
    its transforms and products. Otherwise ``grad_weight = grad_output @ col^T`` per group and
    tap, where ``col`` is the window copy of the forward (recomputed, in batch chunks).
    ``grad_input`` is, for stride 1 and C_out <= C, the correlation of ``grad_output`` with
    the flipped, transposed filters, else ``col2im(weight^T @ grad_output)``: each tap's
    product added into its columns, then one slice-add per copied kernel offset. Pointwise
    convolutions use per-sample matmuls and no copies. ``grad_bias`` sums ``grad_output``
    over (N, H_out, W_out).

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
    backend, x, geometry, unbatched = _prepare(
        input, weight, bias, stride, padding, dilation, groups
    )
    where = f"{_WHERE}_backward"
    need_input, need_weight, need_bias = check_output_mask(where, output_mask, 3)
    xp, dtype = backend.xp, compute_dtype(backend.xp, input.dtype)
    grad = grad_output[None] if unbatched else grad_output
    C, C_out = x.shape[1], weight.shape[0]
    computed = weight.astype(dtype, copy=False)
    plan = choose_fourier(backend, geometry, groups, C, C_out, x.shape[2:], dtype)
    grad_bias = None
    if plan is not None:
        grad_input, grad_weight = fourier_correlate_backward(
            backend, where, grad, x, computed, plan, dtype, (need_input, need_weight)
        )
    else:
        filters = computed.reshape(groups, C_out // groups, -1)  # (G, Og, K)
        grad_input, grad_weight, grad_bias = _window_backward(
            backend, where, grad, x, filters, geometry, dtype, need_input, need_weight
        )
    if bias is not None and need_bias:
        if grad_bias is None:
            grad_bias = xp.sum(grad.astype(dtype, copy=False), axis=(0, 2, 3))
        grad_bias = grad_bias.astype(bias.dtype)
    else:
        grad_bias = None
    if need_input:
        grad_input = grad_input.astype(input.dtype, copy=False)
        grad_input = grad_input[0] if unbatched else grad_input
    else:
        grad_input = None
    if need_weight:
        grad_weight = grad_weight.reshape(*weight.shape).astype(weight.dtype, copy=False)
    else:
        grad_weight = None
    return grad_input, grad_weight, grad_bias
