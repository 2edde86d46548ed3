"""The forward formulations of max pooling with indices: the max and flat index of every
window, by the first of these that applies.

- Separable (large 2-D windows): PyTorch's rule (a later element wins if it is strictly larger
  or NaN) along each row's columns, then along the rows; it gives the same winner as a scan of
  the window in row-major order (the first maximum of the first row holding the maximum; the
  last NaN of the last row holding one).
- Keyed (windows of at most ``KEYED_UP_TO`` offsets, where the backend's cost constants say
  launches cost more than the larger temporaries: a GPU): one ``argmax`` over integer keys
  that order the floats as PyTorch's rule does: a few launches, whatever the window.
- Offsets (other windows): the running (value, index) pair of PyTorch's rule, offset by offset.
"""

from __future__ import annotations

import functools
import itertools
import math

from ..backends._base import conv_costs_of, fuse_of
from ._pooling import flat_index, is_separable, pool_blocks, running_argmax
from ._windows import axis_geometry, pad2d, sliding_windows, touched_windows
from ._workspaces import register_cache


def window_starts(xp, geometry, axis):
    """First input row (axis 0) or column (axis 1) of each window; offsets in the padding."""
    stride, dilation = geometry.stride[axis], geometry.dilation[axis]
    start = xp.arange(geometry.output[axis]) * stride - geometry.pad_before[axis]
    return start, xp.maximum(-start + dilation - 1, 0) // dilation


def _contiguous_offsets(xp, windows, ranges, label):
    """``(values, label(number, offset))`` of each kernel offset in ``ranges`` (per axis, the
    offsets that read the input; a -inf of the padding never wins), numbered row-major from
    0, values copied to one contiguous buffer; ``windows`` and ``ranges`` are
    :func:`touched_windows`'s (``windows[..., j]`` is offset ``ranges[0][j]``).

    One strided copy per offset, then contiguous (SIMD) comparisons: ~2.5x faster on NumPy
    than comparing the strided slices directly.
    """
    values = xp.empty(windows.shape[: windows.ndim - len(ranges)], dtype=windows.dtype)
    for number, offset in enumerate(itertools.product(*ranges)):
        values[...] = windows[(..., *(k - r.start for k, r in zip(offset, ranges, strict=True)))]
        yield values, label(number, offset)


def _separable_argmax(backend, x, geometry):
    """Max and int64 flat index of every window of ``x`` (n, C, H, W), columns first: each
    row's window maximum and its column, then the best row.

    Labels are input positions, starting at the first position inside the input, as in
    :func:`_offset_argmax`.
    """
    xp, (dH, dW), (H, W), W_out = backend.xp, geometry.dilation, x.shape[2:], geometry.output[1]
    columns, rows = axis_geometry(geometry, 1, H), axis_geometry(geometry, 0, W_out)
    column_start, column_first = window_starts(xp, geometry, 1)
    row_start, row_first = window_starts(xp, geometry, 0)
    row_maxima = xp.full((*x.shape[:3], W_out), -xp.inf, dtype=x.dtype)
    column = xp.empty(row_maxima.shape, dtype=xp.int64)  # of each row's maximum
    column[...] = column_start + column_first * dW
    windows, ranges = touched_windows(backend, x, columns, -xp.inf)
    labels = _contiguous_offsets(xp, windows, ranges, lambda _, k: column_start + k[1] * dW)
    running_argmax(xp, labels, row_maxima, column)

    best = xp.full((*x.shape[:2], *geometry.output), -xp.inf, dtype=x.dtype)
    row = xp.empty(best.shape, dtype=xp.int64)
    row[...] = (row_start + row_first * dH)[:, None]
    windows, ranges = touched_windows(backend, row_maxima, rows, -xp.inf)
    labels = _contiguous_offsets(xp, windows, ranges, lambda _, k: (row_start + k[0] * dH)[:, None])
    running_argmax(xp, labels, best, row)
    # the winning row's column; a window whose rows all lie in the padding keeps its first
    # row and column, as in PyTorch (an index past the plane, which the backward skips)
    indices = xp.take_along_axis(column, xp.minimum(row, H - 1), axis=2)
    rows_inside = (row_start + row_first * dH < H)[:, None]
    indices = xp.where(rows_inside, indices, column_start + column_first * dW)
    indices += row * W
    return best, indices


# windows of at most this many offsets take :func:`_keyed_argmax` (a few launches, a
# (*out, K) key buffer); larger 1-D and 3-D windows walk their offsets, in output-size memory
KEYED_UP_TO = 32


def keyed_pays(backend, x, geometry) -> bool:
    """Whether :func:`_keyed_argmax` beats the offset walk on ``backend``, by its cost
    constants (:func:`conv_costs_of`): ~8 launches per offset saved against the keys' bytes.

    Never on a CPU (launch cost 0), where NumPy's argmax over a short last axis made the
    keyed form ~9x slower than the walk (LeNet's 2x2 pool with indices, 4 ms -> 38 ms).
    """
    offsets = math.prod(geometry.kernel)
    if offsets > KEYED_UP_TO:
        return False
    costs = conv_costs_of(backend)
    windows = math.prod(x.shape[:2]) * math.prod(geometry.output)
    extra_bytes = 3 * windows * offsets * x.dtype.itemsize  # bits, keys, their argmax read
    return costs.launch * (8 * offsets - 6) > costs.byte * extra_bytes


def _offset_argmax(backend, x, geometry, best=None, indices=None):
    """Max and int64 flat index of every window of ``x`` (n, C, *size), offset by offset,
    into ``best`` and ``indices`` if given (views of a block of the outputs: no copy).

    A running argmax over the kernel offsets, labelled by their number (int8: an eighth of
    the bytes of int64 labels, ~1.6x faster on NumPy, and a scalar per offset, no launch);
    one gather turns the winning numbers into flat shifts from the window's first element
    at the end. Windows of -inf keep their first element inside the input. Only offsets
    that read the input are walked and numbered, over the padding they read only
    (:func:`touched_windows`).
    """
    xp, nd, size = backend.xp, len(geometry.kernel), x.shape[2:]
    starts = [window_starts(xp, geometry, axis) for axis in range(nd)]
    strides = [math.prod(size[axis + 1 :]) for axis in range(nd)]
    windows, ranges = touched_windows(backend, x, geometry, -xp.inf)
    shifts = [
        sum(k * d * st for k, d, st in zip(offset, geometry.dilation, strides, strict=True))
        for offset in itertools.product(*ranges)
    ]
    label_type = xp.int8 if len(shifts) < 128 else xp.int32 if len(shifts) < 2**31 else xp.int64
    if best is None:
        best = xp.full((*x.shape[:2], *geometry.output), -xp.inf, dtype=x.dtype)
    else:
        best[...] = -xp.inf
    label = xp.empty(best.shape, dtype=label_type)
    # the number of each window's first offset past the left padding (in the ranges)
    firsts = [skip - walked.start for (_, skip), walked in zip(starts, ranges, strict=True)]
    label[...] = flat_index(xp, firsts, [len(walked) for walked in ranges])
    numbered = _contiguous_offsets(xp, windows, ranges, lambda number, _: label_type(number))
    running_argmax(xp, numbered, best, label)
    shifts = xp.asarray(shifts, dtype=xp.int64)
    indices = shifts[label] if indices is None else xp.take(shifts, label, out=indices)
    indices += flat_index(xp, [start for start, _ in starts], size)
    return best, indices


def _key_format(xp, dtype):
    """(the int dtype of ``dtype``'s width, its largest value, the bits of +inf)."""
    width, mantissa = 8 * dtype.itemsize, xp.finfo(dtype).nmant
    largest = (1 << (width - 1)) - 1
    return xp.dtype(f"int{width}"), largest, largest >> mantissa << mantissa


def _padded_size(size, geometry):
    """The plane's size with ``geometry``'s padding on both sides."""
    pads = zip(size, geometry.pad_before, geometry.pad_after, strict=True)
    return [s + before + after for s, before, after in pads]


@functools.lru_cache(maxsize=64)
def _window_tables(xp, geometry, size, dtype):
    """The per-geometry arrays of :func:`_keyed_argmax`, made once (issue 17: rebuilding
    them was most of max-pool's launches); :func:`xpnet.empty_cache` drops them.

    ``keys`` (*out, *kernel): a NaN's key at each offset (above every number's, later
    offsets higher: the last NaN wins); at offsets in the padding a key below every number's,
    one higher at the window's first offset (PyTorch's index for a window wholly in the
    padding). ``base`` and ``padded_base`` (*out): the flat index of each window's offset
    (0, ..., 0) in the input plane and in the padded plane.
    """
    int_type, largest, inf_bits = _key_format(xp, dtype)
    nd, kernel = len(size), geometry.kernel
    padded = _padded_size(size, geometry)
    keys = inf_bits + 1 + xp.arange(math.prod(kernel)).reshape(kernel)
    inside = first = True
    starts = []
    for axis in range(nd):
        start, skip = window_starts(xp, geometry, axis)
        offset = xp.arange(kernel[axis])
        position = start[:, None] + offset * geometry.dilation[axis]  # (out, kernel)
        shape = [1] * (2 * nd)
        shape[axis], shape[nd + axis] = geometry.output[axis], kernel[axis]
        inside = inside & ((position >= 0) & (position < size[axis])).reshape(shape)
        first = first & (offset == skip[:, None]).reshape(shape)
        starts.append(start)
    keys = xp.where(inside, keys, xp.where(first, -largest, -largest - 1)).astype(int_type)
    padded_starts = [s + b for s, b in zip(starts, geometry.pad_before, strict=True)]
    return keys, flat_index(xp, starts, size), flat_index(xp, padded_starts, padded)


register_cache(_window_tables)


@functools.lru_cache(maxsize=64)
def _plane_starts(xp, n, C, plane, nd):
    """(n, C, 1, ...) int64: the flat index of each plane of ``plane`` elements."""
    return (xp.arange(n * C, dtype=xp.int64) * plane).reshape(n, C, *[1] * nd)


register_cache(_plane_starts)


@functools.cache
def _keyed_functions(backend, geometry, size, dtype):
    """``(keys_of, indices_of)`` of :func:`_keyed_argmax`, each one device call."""
    xp, nd, kernel = backend.xp, len(size), geometry.kernel
    _, largest, inf_bits = _key_format(xp, dtype)
    padded = any(geometry.pad_before) or any(geometry.pad_after)
    padded_size = _padded_size(size, geometry)
    shifts = [
        (d * math.prod(size[a + 1 :]), d * math.prod(padded_size[a + 1 :]))
        for a, d in enumerate(geometry.dilation)
    ]

    def keys_of(bits, table):
        # a float's bits as a sign and a magnitude: ordered as the floats, -0.0 == 0.0
        magnitude = bits & largest
        keys = xp.where(magnitude > inf_bits, table, xp.where(bits < 0, -magnitude, magnitude))
        return xp.minimum(keys, table) if padded else keys  # padding's keys lowest

    def indices_of(label, base, padded_base, planes):
        index, padded_index, rest = base, padded_base + planes, label
        for axis in reversed(range(nd)):
            offset = rest % kernel[axis] if axis else rest
            rest = rest // kernel[axis]
            index = index + offset * shifts[axis][0]
            padded_index = padded_index + offset * shifts[axis][1]
        return index, padded_index

    return fuse_of(backend)(keys_of), fuse_of(backend)(indices_of)


def _keyed_argmax(backend, x, geometry):
    """Max and int64 flat index of every window of ``x`` (n, C, *size): one ``argmax`` over
    each window's keys, PyTorch's winner (the first maximum; else the last NaN).

    A float's key is its bits as a signed magnitude, a NaN's is above every number's and
    grows with its offset, padding's is below -inf's (:func:`_window_tables`): 4 device
    calls (6 with padding) where a running argmax makes ~8 per offset.
    """
    xp, (n, C), size = backend.xp, x.shape[:2], x.shape[2:]
    table, base, padded_base = _window_tables(xp, geometry, size, x.dtype)
    keys_of, indices_of = _keyed_functions(backend, geometry, size, x.dtype)
    padded = pad2d(xp, x, geometry, -xp.inf)
    bits = sliding_windows(backend, padded.view(table.dtype), geometry)
    keys = keys_of(bits, table)
    label = xp.argmax(keys.reshape(*keys.shape[: 2 + len(size)], -1), axis=-1)
    planes = _plane_starts(xp, n, C, math.prod(padded.shape[2:]), len(size))
    indices, padded_indices = indices_of(label, base, padded_base, planes)
    return xp.take(padded.reshape(-1), padded_indices), indices


def window_argmax(backend, x, geometry):
    """Max and int64 flat index (into each H x W plane) of every window of ``x``, by blocks."""
    xp = backend.xp
    if is_separable(geometry):
        argmax = _separable_argmax
    elif keyed_pays(backend, x, geometry):
        argmax = _keyed_argmax
    else:
        argmax = _offset_argmax
    blocks = pool_blocks(backend, x, geometry, x.dtype)
    if len(blocks) == 1:  # always on a GPU: no copy into the outputs
        return argmax(backend, x, geometry)
    output = xp.empty((*x.shape[:2], *geometry.output), dtype=x.dtype)
    indices = xp.empty(output.shape, dtype=xp.int64)

    def argmax_block(block):
        if argmax is _offset_argmax:  # straight into the outputs
            argmax(backend, x[block], geometry, output[block], indices[block])
        else:
            output[block], indices[block] = argmax(backend, x[block], geometry)

    backend.map_blocks(argmax_block, blocks)
    return output, indices
