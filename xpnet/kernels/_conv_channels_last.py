"""conv2d's per-row window products in channels-last order: positions as rows, channels last.

The NCHW window copy of :mod:`._conv_im2col` writes runs of W_out values (one kernel offset
of one channel along a row) and multiplies ``(C_out, C * kW) @ (C * kW, positions)``. Here
the input is first copied once to a padded (H, n, W, C) plane, so that each window row is a
contiguous run of kW * C values, and each kernel row's product is
``(positions, kW * C) @ (kW * C, C_out)``. OpenBLAS runs the long-M product faster on this
CPU (32768 x 192 x 64: 35 against 23 GFLOP/s, one thread), and the copy moves longer runs.
Each product runs in the row blocks the backend's BLAS is fastest at
(:func:`~._product_blocks.matmul_into`: 16 rows a call with 64 output channels under
OpenBLAS's AVX-512 kernels, 1.1-1.5x as fast).
:func:`~._conv_cost.channels_last_pays` says where it runs (one group, on the CPU).

Only the forward products live here (a forward, and ``grad_input`` by correlation, which runs
the forward): the weight gradient's long-K products, and col2im, stay in NCHW order, where
they measured faster (2026-12-06: 556 against 767 ms on 128x64x32x32).
"""

from __future__ import annotations

from ._product_blocks import matmul_into
from ._windows import pad2d
from ._workspaces import workspace

# A channel stride that is a multiple of this many bytes maps every channel of a pixel to the
# same cache sets, and the NCHW -> NHWC copy reads them one after another: on 64x64x32x32
# (4 KiB planes) it took 21 ms, against 11 ms for padding in NCHW first and transposing the
# padded planes, whose stride is not a multiple (16x64x56x56: 3.5 against 5.8 ms, not staged)
_ALIASED_STRIDE = 4096


def channels_last_filters(filters, kernel):
    """``filters`` (1, C_out, C * kH * kW) as (kH, kW * C, C_out): one matrix per kernel row,
    its rows in the copy's (kW, C) order."""
    _, C_out, size = filters.shape
    kH, kW = kernel
    per_offset = filters.reshape(C_out, size // (kH * kW), kH, kW)
    return per_offset.transpose(2, 3, 1, 0).reshape(kH, -1, C_out).copy()


def channels_last_copy(backend, x, taps, dtype):
    """The windows of ``x`` (n, C, H, W) for ``taps`` (one tap per kernel row, see
    :class:`~._conv_im2col.Taps`), channels last: a (slots * n * W_out, kW * C) workspace."""
    geometry, (n, C) = taps.copy, x.shape[:2]
    (slots, W_out), kW = geometry.output, geometry.kernel[1]
    padded = _padded_channels_last(backend, x, geometry, dtype)
    s_h, s_n, s_w, s_c = padded.strides
    (sW,), (dW,) = geometry.stride[1:], geometry.dilation[1:]
    windows = backend.as_strided(
        padded, (slots, n, W_out, kW, C), (s_h, s_n, s_w * sW, s_w * dW, s_c)
    )
    col = workspace(backend, "conv2d.col", windows.shape, dtype)
    col[...] = windows
    return col.reshape(slots * n * W_out, kW * C)


def channels_last_products(backend, col, filters_per_row, taps, dtype):
    """The convolution of the :func:`channels_last_copy` ``col`` by kernel rows, with
    :func:`channels_last_filters`: an (H_out, n, W_out, C_out) workspace."""
    (slots, W_out), H_out = taps.copy.output, taps.output_height
    step, C_out = col.shape[0] // slots, filters_per_row.shape[2]  # step: n * W_out positions
    result = workspace(backend, "conv2d.result", (H_out * step, C_out), dtype)
    share = workspace(backend, "conv2d.tap", (H_out * step, C_out), dtype)
    for tap, start in enumerate(taps.starts):
        rows = col[start * step : (start + H_out) * step]
        matmul_into(backend, rows, filters_per_row[tap], share if tap else result)
        if tap:
            result += share
    return result.reshape(H_out, step // W_out, W_out, C_out)


def channels_last_bytes(taps, C, C_out, size, itemsize):
    """Bytes per sample of :func:`channels_last_products`'s temporaries for an input plane of
    ``size`` (H, W): the padded plane (twice, where it is staged), the window copy, the
    product and a tap's share of it."""
    (top, left), (bottom, right) = taps.copy.pad_before, taps.copy.pad_after
    (slots, W_out), kW = taps.copy.output, taps.copy.kernel[1]
    plane = (top + size[0] + bottom) * (left + size[1] + right) * C
    copy, products = slots * W_out * kW * C, 2 * taps.output_height * W_out * C_out
    return (2 * plane + copy + products) * itemsize


def _padded_channels_last(backend, x, geometry, dtype):
    """``x`` (n, C, H, W) padded as ``geometry`` says, in an (H, n, W, C) workspace."""
    n, C, H, W = x.shape
    (top, left), (bottom, right) = geometry.pad_before, geometry.pad_after
    shape = (top + H + bottom, n, left + W + right, C)
    padded = workspace(backend, "conv2d.padded_channels_last", shape, dtype)
    if (H * W * x.itemsize) % _ALIASED_STRIDE == 0:
        padded[...] = pad2d(backend.xp, x, geometry).transpose(2, 0, 3, 1)
        return padded
    padded[:top] = 0
    padded[top + H :] = 0
    padded[top : top + H, :, :left] = 0
    padded[top : top + H, :, left + W :] = 0
    padded[top : top + H, :, left : left + W] = x.transpose(2, 0, 3, 1)
    return padded
