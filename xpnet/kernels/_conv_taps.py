"""The window copy of a convolution, laid out in taps: one matmul for every kernel row, or
one per kernel row.

``col`` holds either every kernel row, (C, kH, kW) rows by (n, H_out, W_out) columns (the
classic im2col, one tap; the forward copies it sample by sample, so that each sample's
product lands in NCHW), or, at stride 1 when a row of the copy is long enough for BLAS,
one kernel row, (C, 1, kW) rows by (padded rows, n, W_out) columns: kernel row ``i`` then
reads a contiguous run of columns from padded row ``i * dH``, and the kH products add up.
The second copies ~kH times less for the same multiply-adds. :mod:`xpnet.kernels.conv`
multiplies the taps; this module copies the windows and sums their gradients back.
"""

from __future__ import annotations

from typing import NamedTuple

from ._blocks import workspace
from ._windows import Geometry, kernel_offsets, offset_slices, pad2d, sliding_windows

# one tap per kernel row pays once a row of the window copy, C / G * kW, is this long
# (C=32 3x3: even; 14x14 5x5 32 -> 64: 16 % faster; C=16 3x3: 15 % slower; one CPU thread)
_MIN_TAP_ROW = 64


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


def taps_of(geometry, group_channels):
    """One tap (every kernel row in one matmul), or one per kernel row at row stride 1 when a
    row of the copy, C/G * kW, is long enough for BLAS."""
    (kH, kW), (sH, _), (dH, dW) = geometry.kernel, geometry.stride, geometry.dilation
    H_out, W_out = geometry.output
    if kH == 1 or sH != 1 or group_channels * kW < _MIN_TAP_ROW:
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
    if sample_major:
        order = (0, 1, 4, 5, 2, 3)
    else:
        order = (1, 4, 5, 0, 2, 3) if taps.batch_first else (1, 4, 5, 2, 0, 3)
    col = workspace(backend, "conv2d.col", [windows.shape[axis] for axis in order], dtype)
    col[...] = windows.transpose(*order)
    return col


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
