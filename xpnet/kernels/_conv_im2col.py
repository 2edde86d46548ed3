"""conv2d by window copies and matrix products: im2col, im2col one kernel row at a time, and
the pointwise convolution that needs no copy; forward and backward.

The window copy ``col`` is laid out in *taps*, one matmul each. ``im2col`` holds every kernel
row, (C, kH, kW) rows by (n, H_out, W_out) columns, in one tap; the forward copies it sample by
sample, so that each sample's product lands in NCHW, the backward as one matmul per group.
``im2col_per_row``, at stride 1 along H, holds one kernel row, (C, 1, kW) rows by (padded
rows, n, W_out) columns: kernel row ``i`` then reads a contiguous run of columns from padded
row ``i * dH``, and the kH products add up, ~kH times less copying for the same
multiply-adds. On the CPU, the per-row forward with one group copies and multiplies with
channels last instead (:mod:`._conv_channels_last`). A ``pointwise`` convolution (1x1,
stride 1, no padding) needs no copy: each sample's (C, H * W) plane is its window matrix.
``grad_input`` is col2im (each tap's product added into its columns, then one slice-add per
copied kernel offset) or a stride-1 correlation of ``grad_output`` with the flipped filters,
run by this module's forward.

The batch is cut into at least one chunk per block thread (:func:`~._blocks.batch_chunks`):
on the CPU the chunks' copies and products run side by side, BLAS single-threaded in each,
where a multithreaded product between single-threaded copies left a core idle. Large
temporaries live in reused workspaces (a fresh 100 MB array page-faults on every call), one
per thread.

Neighbours: :mod:`._conv_select` chooses the algorithm (and the ``grad_input`` formula) that
:mod:`.conv` asks this module to run; :mod:`._conv_fourier` is the other formula;
:mod:`._windows` gives the strided window views.
"""

from __future__ import annotations

import math
from typing import NamedTuple

from ..backends._base import conv_costs_of
from ._blocks import batch_chunks, group_sums, map_groups
from ._conv_channels_last import (
    channels_last_bytes,
    channels_last_copy,
    channels_last_filters,
    channels_last_products,
)
from ._conv_cost import channels_last_pays
from ._conv_select import ConvAlgorithm
from ._product_blocks import matmul_long_inner
from ._windows import Geometry, kernel_offsets, offset_slices, pad2d, sliding_windows
from ._workspaces import workspace


class Taps(NamedTuple):
    """The layout of a window copy ``col``: (C, R, kW) rows; (n, H_out, W_out) columns with
    one tap, (slots, n, W_out) with one tap per kernel row.

    ``copy`` is the geometry of the windows copied. Either the convolution's own: every
    kernel row (``R = kH``) in one tap, batch first, so that each sample's output and gradient
    are whole (H_out, W_out) planes. Or, at row stride 1, one kernel row (``R = 1``) over
    every padded row (the slots): kernel row ``i`` reads the H_out rows from ``i * dH``, so
    tap ``i`` multiplies a contiguous run of columns from slot ``starts[i]``.
    """

    copy: Geometry
    rows: int
    starts: tuple[int, ...]
    output_height: int

    @property
    def batch_first(self) -> bool:
        return len(self.starts) == 1

    def positions(self, n, height):
        """The shape of the (n, rows) axes in the columns' order: (n, height) or (height, n)."""
        return (n, height) if self.batch_first else (height, n)

    def batch_major(self, array):
        """The (..., n, rows, W) view of a (..., *positions, W) array (its own inverse)."""
        return array if self.batch_first else array.swapaxes(-3, -2)


def window_layout(geometry, algorithm) -> Taps:
    """The :class:`Taps` of ``algorithm``'s window copy: every kernel row in one tap
    (``im2col``, ``pointwise``), or one tap per kernel row (``im2col_per_row``, which needs
    more than one kernel row and row stride 1)."""
    (kH, kW), (dH, dW), (H_out, W_out) = geometry.kernel, geometry.dilation, geometry.output
    if algorithm is not ConvAlgorithm.IM2COL_PER_ROW:
        return Taps(geometry, kH, (0,), H_out)
    slots = (kH - 1) * dH + H_out  # the padded rows the windows read
    copy = geometry._replace(kernel=(1, kW), dilation=(1, dW), output=(slots, W_out))
    return Taps(copy, 1, tuple(i * dH for i in range(kH)), H_out)


def window_copy(backend, x, taps, dtype, sample_major=False):
    """The windows of ``x`` (n, C, H, W) in the workspace ``col`` laid out as ``taps`` says:
    (C, kH, kW, n, H_out, W_out) with one tap, else (C, 1, kW, slots, n, W_out).

    ``sample_major`` (one tap only) puts the samples first instead, (n, C, kH, kW, H_out,
    W_out): each sample's (C * kH * kW, H_out * W_out) window matrix is then whole, and one
    product per sample lands in NCHW without a transpose (the forward).
    """
    padded = pad2d(backend.xp, x, taps.copy)
    windows = sliding_windows(backend, padded, taps.copy)  # (n, C, rows, W_out, R, kW)
    order = _copy_order(taps, sample_major)
    col = workspace(backend, "conv2d.col", [windows.shape[axis] for axis in order], dtype)
    col[...] = windows.transpose(*order)
    return col


def _copy_order(taps, sample_major=False):
    """The axes of the window view (n, C, rows, W_out, R, kW) in the order of the copy."""
    if sample_major:
        return (0, 1, 4, 5, 2, 3)
    return (1, 4, 5, 0, 2, 3) if taps.batch_first else (1, 4, 5, 2, 0, 3)


def window_buffer(backend, n, C, taps, dtype):
    """The workspace of :func:`window_copy` for ``n`` samples of ``C`` channels, not filled:
    the backward of a call that needs no grad_weight only writes its gradient there."""
    shape = (n, C, *taps.copy.output, taps.rows, taps.copy.kernel[1])
    return workspace(backend, "conv2d.col", [shape[axis] for axis in _copy_order(taps)], dtype)


def scatter_windows(xp, grad_col, taps, size, dtype):
    """The adjoint of :func:`window_copy`: ``grad_col``, laid out as the copy, summed onto
    the input it was copied from: a (C, n, H, W) view of a new array.

    One slice-add per copied kernel offset, both operands in the layout of ``grad_col``, so
    that they run along W_out.
    """
    C, n = grad_col.shape[0], grad_col.shape[3 if taps.batch_first else 4]
    (top, left), (bottom, right) = taps.copy.pad_before, taps.copy.pad_after
    height, width = top + size[0] + bottom, left + size[1] + right
    padded = taps.batch_major(xp.zeros((C, *taps.positions(n, height), width), dtype=dtype))
    grad_col = taps.batch_major(grad_col)  # (C, R, kW, n, H_out, W_out)
    for i, j in kernel_offsets(taps.copy):
        rows, columns = offset_slices(taps.copy, i, j)
        padded[:, :, rows, columns] += grad_col[:, i, j]
    return padded[:, :, top : top + size[0], left : left + size[1]]


def tap_filters(filters, taps):
    """``filters`` (G, Og, C/G * kH * kW) as one (G, Og, C/G * R * kW) matrix per tap."""
    groups, O_group, _ = filters.shape
    count, row = len(taps.starts), taps.rows * taps.copy.kernel[1]
    per_tap = filters.reshape(groups, O_group, -1, count, row)
    return [per_tap[:, :, :, tap].reshape(groups, O_group, -1) for tap in range(count)]


def tap_columns(col, taps, groups, start):
    """The columns of ``col`` that the tap from slot ``start`` multiplies:
    (G, C/G * R * kW, H_out * n * W_out), all of them with one tap."""
    C, R, kW = col.shape[:3]
    flat = col.reshape(groups, C // groups * R * kW, -1)
    if taps.batch_first:
        return flat
    slot = col.shape[4] * col.shape[5]  # n * W_out columns per slot
    return flat[:, :, start * slot : (start + taps.output_height) * slot]


def copy_bytes(taps, C, itemsize):
    """Bytes per sample of a window copy laid out as ``taps`` says."""
    (rows, W_out), (R, kW) = taps.copy.output, (taps.rows, taps.copy.kernel[1])
    return C * R * kW * rows * W_out * itemsize


def tap_products(backend, col, filters_per_tap, taps, dtype):
    """The convolution of the per-row copy ``col``: each tap's ``filters @ columns``, added
    up, in a workspace (G, Og, H_out * n * W_out)."""
    xp, groups, O_group = backend.xp, *filters_per_tap[0].shape[:2]
    shape = (groups, O_group, tap_columns(col, taps, groups, taps.starts[0]).shape[2])
    result = workspace(backend, "conv2d.result", shape, dtype)
    share = workspace(backend, "conv2d.tap", shape, dtype)
    for tap, (tap_filter, start) in enumerate(zip(filters_per_tap, taps.starts, strict=True)):
        columns = tap_columns(col, taps, groups, start)
        xp.matmul(tap_filter, columns, out=share if tap else result)
        if tap:
            result += share
    return result


def tap_gradients(backend, col, grad_chunk, filters_per_tap, taps, dtype):
    """Overwrite the window copy ``col`` with its gradient: each tap's ``filters^T @ grad``
    (``grad_chunk`` (G, Og, H_out * n * W_out)) added into the columns the tap read."""
    xp, groups = backend.xp, grad_chunk.shape[0]
    if taps.batch_first:
        flat = col.reshape(groups, -1, grad_chunk.shape[2])
        xp.matmul(filters_per_tap[0].transpose(0, 2, 1), grad_chunk, out=flat)
        return
    col[...] = 0
    for tap_filter, start in zip(filters_per_tap, taps.starts, strict=True):
        columns = tap_columns(col, taps, groups, start)
        shape = (groups, tap_filter.shape[2], grad_chunk.shape[2])
        part = workspace(backend, "conv2d.tap", shape, dtype)
        columns += xp.matmul(tap_filter.transpose(0, 2, 1), grad_chunk, out=part)


def _planes(x, groups, dtype):
    """``x`` (N, C, ..., H, W) as (N, G, C / G * ..., H * W): each sample's window matrix, of
    a pointwise convolution (x itself) or of a sample-major window copy."""
    rows = math.prod(x.shape[1:-2]) // groups  # no -1: the batch may be empty
    return x.astype(dtype, copy=False).reshape(x.shape[0], groups, rows, math.prod(x.shape[-2:]))


def im2col_correlate(backend, where, x, filters, choice, dtype, bias=None):
    """conv2d of ``x`` (N, C, H, W) with ``filters`` (G, Og, K) by ``choice`` (a window
    algorithm and its geometry), in batch chunks on all the block threads.

    The output is new; ``bias`` (C_out,) is added to each sample's product, or while the
    product of the per-row taps is transposed to NCHW.
    """
    geometry = choice.geometry
    xp, (groups, O_group, _), (H_out, W_out) = backend.xp, filters.shape, geometry.output
    (N, C), C_out = x.shape[:2], groups * O_group
    output = xp.empty((N, C_out, H_out, W_out), dtype=dtype)
    pointwise = choice.algorithm is ConvAlgorithm.POINTWISE
    taps = window_layout(geometry, choice.algorithm)
    filters_per_tap = tap_filters(filters, taps)
    # the window copy and, with several taps, their product and each tap's share of it
    per_sample = 0 if pointwise else copy_bytes(taps, C, output.itemsize)
    if not taps.batch_first:
        per_sample += 2 * C_out * H_out * W_out * output.itemsize
    channels_last = not taps.batch_first and channels_last_pays(conv_costs_of(backend), groups)
    if channels_last:
        filters_per_row = channels_last_filters(filters, geometry.kernel)
        per_sample = channels_last_bytes(taps, C, C_out, x.shape[2:], output.itemsize)

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
        if channels_last:
            col = channels_last_copy(backend, x[chunk], taps, dtype)
            result = channels_last_products(backend, col, filters_per_row, taps, dtype)
            result = result.transpose(1, 3, 0, 2)  # (H_out, n, W_out, C_out) -> NCHW
        else:
            col, n = window_copy(backend, x[chunk], taps, dtype), len(x[chunk])
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

    chunks = batch_chunks(backend, where, N, per_sample, filters.size * H_out * W_out)
    map_groups(backend, lambda index: correlate_group(chunks[index]), chunks)
    return output


def _pointwise_grads(backend, where, grad, x, filters, dtype):
    """``(grad_weight (G, Og, C/G), grad_bias (C_out,))`` of a pointwise convolution, no copies."""
    xp, groups = backend.xp, filters.shape[0]
    planes, grad_planes = _planes(x, groups, dtype), _planes(grad, groups, dtype)

    def sum_chunk(chunk, grad_weight):
        # one (Og, C/G) product per sample, summed; the long H * W axis is last on the left
        products = xp.matmul(grad_planes[chunk], planes[chunk].transpose(0, 1, 3, 2))
        grad_weight += products.sum(axis=0)

    # each chunk's products (one weight per sample) are its temporaries
    madds = filters.size * math.prod(x.shape[2:])
    chunks = batch_chunks(backend, where, x.shape[0], filters.nbytes, madds)
    (grad_weight,) = group_sums(backend, sum_chunk, chunks, [filters.shape], dtype)
    return grad_weight, grad_planes.sum(axis=(0, 3)).reshape(-1)


def _window_grads(backend, where, grad, x, filters, choice, dtype, col2im, need_weight=True):
    """``(grad_weight (G, Og, K), grad_bias (C_out,), grad_input or None)`` from the window
    copy of ``choice``, chunk by chunk; ``grad_input`` (by col2im) only when ``col2im``.
    Without ``need_weight`` (a transposed convolution's forward) nothing is copied and
    ``grad_weight`` stays zero."""
    xp, (groups, O_group, _) = backend.xp, filters.shape
    (N, C, H, W), C_out, (H_out, W_out) = x.shape, groups * O_group, choice.geometry.output
    taps = window_layout(choice.geometry, choice.algorithm)
    filters_per_tap = tap_filters(filters, taps)
    tap_shape = filters_per_tap[0].shape
    grad_input = xp.empty(x.shape, dtype=dtype) if col2im else None

    def sum_chunk(chunk, grad_weight, grad_bias):
        n = len(x[chunk])
        if need_weight:
            col = window_copy(backend, x[chunk], taps, dtype)
        else:
            col = window_buffer(backend, n, C, taps, dtype)
        # (n, C_out, H_out, W_out) -> (C_out, *positions, W_out), the columns' order
        shape = (C_out, *taps.positions(n, H_out), W_out)
        grad_chunk = workspace(backend, "conv2d.grad", shape, dtype)
        taps.batch_major(grad_chunk)[...] = grad[chunk].transpose(1, 0, 2, 3)
        grad_chunk = grad_chunk.reshape(groups, O_group, -1)  # (G, Og, H_out * n * W_out)
        grad_bias += grad_chunk.sum(axis=2).reshape(-1)
        for tap, start in enumerate(taps.starts if need_weight else ()):
            # columns @ grad^T, not grad @ columns^T: BLAS is ~8x faster with the long
            # H_out * n * W_out axis last in the left operand (OpenBLAS on 2 threads)
            columns = tap_columns(col, taps, groups, start)
            product = matmul_long_inner(backend, columns, grad_chunk.transpose(0, 2, 1))
            grad_weight[tap] += product.transpose(0, 2, 1)
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
    # the grad_weight product, and col2im's as many again
    madds = filters.size * H_out * W_out * (1 + col2im)
    chunks = batch_chunks(backend, where, N, per_sample, madds)
    shapes = [(len(taps.starts), *tap_shape), (C_out,)]
    grad_weight, grad_bias = group_sums(backend, sum_chunk, chunks, shapes, dtype)
    # (T, G, Og, C/G * R * kW) -> (G, Og, C/G, T, R * kW), the filters' (C/G, kH, kW) order
    grad_weight = grad_weight.reshape(len(taps.starts), groups, O_group, C // groups, -1)
    grad_weight = grad_weight.transpose(1, 2, 3, 0, 4).reshape(groups, O_group, -1)
    return grad_weight, grad_bias, grad_input


def im2col_backward(backend, where, grad, x, filters, choice, correlation, dtype, output_mask):
    """``(grad_input, grad_weight, grad_bias)`` of :func:`im2col_correlate` by ``choice``, for
    ``grad`` (N, C_out, H_out, W_out); ``grad_input`` by ``correlation`` (the
    :class:`~._conv_select.Choice` of a stride-1 correlation with the flipped filters) or, if
    ``None``, col2im. Each gradient is ``None`` where ``output_mask`` (two flags: input,
    weight) says it is not needed or (``grad_bias``) where it is not computed on the way."""
    need_input, need_weight = output_mask
    (groups, O_group, _), (C, kH, kW) = filters.shape, (x.shape[1], *choice.geometry.kernel)
    col2im = need_input and correlation is None
    grad_input = grad_weight = grad_bias = None
    if choice.algorithm is ConvAlgorithm.POINTWISE and need_weight:
        grad_weight, grad_bias = _pointwise_grads(backend, where, grad, x, filters, dtype)
    elif need_weight or col2im:
        grad_weight, grad_bias, grad_input = _window_grads(
            backend, where, grad, x, filters, choice, dtype, col2im, need_weight
        )
    if need_input and correlation is not None:
        # (G, Og, C/G, kH, kW) -> (G, C/G, Og * kH * kW), flipped in kH and kW
        flipped = filters.reshape(groups, O_group, C // groups, kH, kW)
        flipped = flipped.transpose(0, 2, 1, 3, 4)[..., ::-1, ::-1].reshape(groups, C // groups, -1)
        grad_input = im2col_correlate(backend, where, grad, flipped, correlation, dtype)
    return grad_input, grad_weight, grad_bias
