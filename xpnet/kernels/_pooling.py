"""What every pooling kernel shares: batching of (C, *size) inputs, the fixed-window
geometry in 1, 2 or 3 spatial dimensions, PyTorch's running-argmax rule, the fold of kernel
offsets, and the size checks.

Forward passes loop over the ``kH * kW`` kernel offsets of the shared window view
(:mod:`._windows`) and combine strided slices elementwise (much faster than reducing tiny
strided window axes), one batch block at a time (``backend.block_bytes``: a block stays in
a CPU's cache). Windows of more than ``SEPARABLE_FROM`` offsets are reduced along the
columns, then along the rows (max and sum are separable): ``kH + kW`` slices instead of
``kH * kW``, so a 1001 x 1001 window costs 2002 calls, not a million. Used by
:mod:`.max_pooling`, :mod:`.avg_pooling` and :mod:`.adaptive_pooling`.
"""

from __future__ import annotations

import functools
import itertools
import math

from ..backends import backend_of
from ..backends._base import fused
from ..backends._deferred import defer_check
from ._blocks import batch_blocks, check_fits
from ._checks import (
    ArgumentError,
    array_backend,
    check_grad_output,
    check_ndim,
    check_saved,
    to_tuple,
)
from ._windows import (
    axis_geometry,
    check_padding_at_most_half,
    touched_padded_size,
    touched_windows,
    window_geometry,
)

# windows of more offsets than this are reduced along columns, then rows: kH + kW slices.
# Small windows keep one pass over kH * kW slices, which reads the input once (~1.3x faster
# for 3 x 3 windows, measured on NumPy)
SEPARABLE_FROM = 16


def is_separable(geometry) -> bool:
    """Whether windows of ``geometry`` are reduced along columns, then rows."""
    # 1-D windows are one pass already; 3-D windows walk every offset
    return len(geometry.kernel) == 2 and math.prod(geometry.kernel) > SEPARABLE_FROM


def require_array(where, name, value):
    """TypeError naming ``where`` and ``name`` for ``None`` (other non-arrays are caught by
    :func:`array_backend`, which skips ``None``)."""
    if value is None:
        msg = f"{where}: {name} must be an array, got None"
        raise TypeError(msg)


# the spatial axes' names, by number of spatial dimensions, for layouts and messages
AXES = {1: ("L",), 2: ("H", "W"), 3: ("D", "H", "W")}


def batched(where, input, nd=2, nonempty_from=None):
    """(backend, input as (N, C, *size), whether it was unbatched), for ``nd`` spatial axes.

    ``input``'s axes from ``nonempty_from`` on (an index into ``input.shape``; default: C and
    the spatial axes, PyTorch's rule for fixed-window pools) must be non-empty: ArgumentError
    otherwise, as PyTorch raises (an empty axis would leave windows with nothing to pool).
    """
    require_array(where, "input", input)
    backend = array_backend(where, input=input)
    axes = ", ".join(AXES[nd])
    check_ndim(where, "input", input, (nd + 1, nd + 2), f"(N, C, {axes}) or (C, {axes})")
    unbatched = input.ndim == nd + 1
    first = -(nd + 1) if nonempty_from is None else nonempty_from
    if 0 in input.shape[first:]:
        names = ("C", *AXES[nd]) if unbatched else ("N", "C", *AXES[nd])
        msg = (
            f"{where}: input must have non-zero sizes along {', '.join(names[first:])}, got "
            f"shape {tuple(input.shape)}"
        )
        raise ArgumentError(msg)
    return backend, (input[None] if unbatched else input), unbatched


def stride_omitted(stride) -> bool:
    """Whether a pool's ``stride`` means "the kernel size": PyTorch's default is ``None`` or
    an empty list. (Not ``stride == []``: a NumPy integer compares elementwise, into an empty
    array whose truth value raises.)"""
    return stride is None or (isinstance(stride, list | tuple) and not stride)


def pool_geometry(where, x, kernel_size, stride, padding, dilation, ceil_mode):
    """The window geometry over the spatial axes of ``x`` (N, C, *size)."""
    nd = x.ndim - 2
    kernel_size = to_tuple(where, "kernel_size", kernel_size, nd)
    stride = kernel_size if stride_omitted(stride) else to_tuple(where, "stride", stride, nd)
    padding = to_tuple(where, "padding", padding, nd, minimum=0)
    dilation = to_tuple(where, "dilation", dilation, nd)
    check_padding_at_most_half(where, padding, kernel_size)
    return window_geometry(
        where, x.shape[2:], kernel_size, stride, dilation, padding, ceil_mode=ceil_mode
    )


def check_pool_grad(where, backend, grad_output, input, output_shape, unbatched):
    """``grad_output`` checked against the forward's output (shape from the geometry, dtype
    and backend of ``input``): returned batched, as (N, C, H_out, W_out)."""
    shape = tuple(output_shape[1:]) if unbatched else tuple(output_shape)
    check_grad_output(where, grad_output, shape, input.dtype)
    array_backend(where, input=input, grad_output=grad_output)
    return grad_output[None] if unbatched else grad_output


def check_saved_indices(where, backend, indices, input, output_shape, unbatched):
    """The saved ``indices``: an int64 array of the forward's output shape, on ``input``'s
    backend."""
    backend_of(input, indices, names=("input", "indices"), where=where)
    shape = tuple(output_shape[1:]) if unbatched else tuple(output_shape)
    check_saved(
        where, "indices", indices, shape, (backend.xp.dtype("int64"),), of="the forward's output"
    )


def check_index_range(where, backend, indices, size, empty=None):
    """``indices`` safe to index with: IndexError for saved indices outside their plane
    (H x W in 2-D) at once on a CPU, else at the next host read (deferred: no sync per call;
    until then the indices come back clipped into the plane). Windows where ``empty``
    (H_out, W_out) is set (wholly in the padding) may hold any index."""
    if not indices.size:
        return indices
    xp, plane = backend.xp, math.prod(size)
    kept = indices if empty is None else xp.where(empty, 0, indices)
    # one reduction: a negative int64 index viewed as uint64 is larger than any valid one, so
    # the largest uint64 is the most offending index (read back as int64 for the message)
    largest = xp.max(kept.view(xp.uint64))
    axes = " * ".join(AXES[len(size)])

    def in_plane(host):
        offending = int(host.view("int64"))
        if not 0 <= offending < plane:
            msg = (
                f"{where}: indices must be in [0, {axes}) = [0, {plane}) for input planes "
                f"{tuple(size)}, got {offending}"
            )
            raise IndexError(msg)

    if defer_check(backend, largest, in_plane):
        return indices
    return xp.clip(indices, 0, plane - 1)


def flat_index(xp, per_axis, sizes):
    """``sum_a per_axis[a] * prod(sizes[a + 1:])``, each axis's vector broadcast along its own
    axis: the flat (row-major) index over the grid of ``per_axis``'s vectors. One multiply
    per axis but the last, one add per axis but the first."""
    nd, total = len(sizes), None
    for axis, values in enumerate(per_axis):
        shape = [1] * nd
        shape[axis] = -1
        stride = math.prod(sizes[axis + 1 :])
        term = values.reshape(shape) * stride if stride != 1 else values.reshape(shape)
        total = term if total is None else total + term
    return total


def padded_size(x, geometry):
    """(Hp, Wp) in 2-D: the part of the padded plane that windows read where they reach the
    input (:func:`touched_padded_size`), the padded array a pool allocates."""
    return touched_padded_size(geometry, x.shape[2:])


def check_pool_fits(where, backend, x, geometry, itemsize, index_bytes=0):
    """MemoryError unless the output (and indices) and one sample's temporaries fit."""
    (N, C), output, padded = x.shape[:2], geometry.output, padded_size(x, geometry)
    result = N * C * math.prod(output) * (itemsize + index_bytes)
    if is_separable(geometry):  # the column-padded input, the column pass's result and labels,
        # and that result row-padded
        H, W_out = x.shape[2], output[1]
        columns = axis_geometry(geometry, 1, H)
        rows = axis_geometry(geometry, 0, W_out)
        Wp = touched_padded_size(columns, x.shape[2:])[1]
        Hp = touched_padded_size(rows, (H, W_out))[0]
        sample = C * (
            H * (Wp * itemsize + W_out * (itemsize + index_bytes)) + Hp * W_out * itemsize
        )
    else:
        sample = C * math.prod(padded) * itemsize
    check_fits(where, backend, f"an output of shape {(N, C, *output)}", result + sample)


def pool_blocks(backend, x, geometry, dtype):
    """Batch blocks sized by the output, or by the padded input where that is over 4x the
    output (large windows and strides): a block's temporaries stay near ``block_bytes``."""
    output, padded = math.prod(geometry.output), math.prod(padded_size(x, geometry))
    return batch_blocks(backend, (x.shape[0], x.shape[1], max(output, padded // 4)), dtype)


def running_argmax(xp, candidates, best, label):
    """Fold ``(values, label)`` pairs into ``best`` and ``label`` in place, PyTorch's rule.

    ``best`` starts at -inf, ``label`` at the label for windows that stay -inf. A later
    element wins if strictly larger (ties keep the first) or NaN (the last NaN wins), and
    ``best`` takes the winner's own value (-0.0 or 0.0). ``values`` should be contiguous (each
    is read four times) and is overwritten. Arithmetic instead of ``where``: NumPy's
    ``where`` is ~3x slower on random masks.
    """
    for values, candidate in candidates:
        update = values > best
        update |= values != values  # NaN
        label += update * (candidate - label)
        # losers lowered by 1 first: maximum's pick between -0.0 and 0.0 is unspecified
        # (NumPy on x86 returns the later one); NaN propagates, as the PyTorch value does
        xp.subtract(values, ~update, out=values)
        xp.maximum(best, values, out=best)


def window_winners(xp, values, axis, bounds):
    """``(best, position)`` of each window ``[start, stop)`` of ``bounds`` along ``axis`` of
    ``values``, stacked along ``axis``: :func:`running_argmax`'s rule (the first maximum; the
    last NaN; a window of -inf keeps its first element), by one argmax per window. For few
    long windows, where a pass per window position loops once per position."""
    lead = (slice(None),) * axis
    bests, positions = [], []
    for start, stop in bounds:
        window = values[(*lead, slice(start, stop))]
        nan = window != window
        last_nan = stop - 1 - xp.argmax(xp.flip(nan, axis=axis), axis=axis, keepdims=True)
        first_max = start + xp.argmax(window, axis=axis, keepdims=True)  # ties: the first
        position = xp.where(xp.any(nan, axis=axis, keepdims=True), last_nan, first_max)
        bests.append(xp.take_along_axis(values, position, axis=axis))  # its own -0.0 or 0.0
        positions.append(position)
    return xp.concatenate(bests, axis=axis), xp.concatenate(positions, axis=axis)


@functools.cache
def _first_maximum(xp):
    """``first_maximum(best, values, out, lowered)``: ``out`` = the elementwise maximum of
    ``best`` and ``values``, ``best`` on ties; ``lowered`` is scratch of ``out``'s shape."""

    def first_maximum(best, values, out, lowered):
        # a tie lowers the later value by 1: equal floats differ only as -0.0 and 0.0, whose
        # maximum is unspecified (NumPy on x86 returns the later), and PyTorch keeps the
        # first. A contiguous copy first: ~1.3x faster on NumPy than the strided slice twice
        lowered[...] = values
        lowered -= lowered == best
        xp.maximum(best, lowered, out=out)  # NaN propagates, as in PyTorch

    return first_maximum


def first_maximum(backend):
    """The ``combine`` of :func:`pooled` for max pooling: PyTorch's value (the first maximum,
    or a NaN), one device call per kernel offset."""
    xp, step = backend.xp, fused(backend, _first_maximum(backend.xp))

    def combine(best, values, out):
        step(best, values, out, xp.empty(out.shape, out.dtype))

    return combine


def fold_offsets(combine, windows, out):
    """``combine`` (:func:`first_maximum`, ``xp.add``) of every kernel offset's slice of
    ``windows`` (:func:`touched_windows`: the offsets that read the input; the others read
    the padding only and are skipped, exact as it is -inf for max, 0 for sums), ``combine(a,
    b, out)`` in window order.

    kH * kW elementwise calls over strided slices into ``out``: ~15x faster on NumPy than
    reducing the tiny strided window axes.
    """
    nd = out.ndim - 2
    offsets = itertools.product(*(range(k) for k in windows.shape[windows.ndim - nd :]))
    slices = [windows[(..., *offset)] for offset in offsets]
    if len(slices) == 1:
        out[...] = slices[0]
        return
    combine(slices[0], slices[1], out)
    for values in slices[2:]:
        combine(out, values, out)


def fold_windows(backend, combine, x, geometry, pad_value, out):
    """``combine`` over every window of ``x`` (n, C, H, W) into ``out``, padding with
    ``pad_value``; separable windows fold the columns of the column-padded input into an
    (n, C, H, W_out) buffer, then the rows of that buffer, row-padded."""
    xp = backend.xp
    if not is_separable(geometry):
        windows, _ = touched_windows(backend, x, geometry, pad_value, out.dtype)
        fold_offsets(combine, windows, out)
        return
    columns = axis_geometry(geometry, 1, x.shape[2])
    rows = axis_geometry(geometry, 0, geometry.output[1])
    partial = xp.empty((*x.shape[:3], geometry.output[1]), dtype=out.dtype)
    fold_offsets(combine, touched_windows(backend, x, columns, pad_value, out.dtype)[0], partial)
    fold_offsets(combine, touched_windows(backend, partial, rows, pad_value)[0], out)


def pooled(backend, combine, x, geometry, pad_value, dtype):
    """``combine`` over every window of ``x`` (N, C, *size), block by block: (N, C, *out) of
    ``dtype``, padding with ``pad_value``."""
    xp = backend.xp
    output = xp.empty((*x.shape[:2], *geometry.output), dtype=dtype)

    def pool_block(block):
        fold_windows(backend, combine, x[block], geometry, pad_value, output[block])

    backend.map_blocks(pool_block, pool_blocks(backend, x, geometry, dtype))
    return output


def scatter_to_maxima(backend, steps, size, indices, grad, dtype, empty=None):
    """Add each window's gradient (N, C, *out) at its flat index into (N, C, *size).

    ``steps[a]`` is how many windows apart two windows along axis ``a`` are disjoint (for
    fixed windows ``g * stride >= dilated kernel``; at most the output size), so each of the
    ``prod(steps)`` groups of such windows writes distinct elements: one fancy-index add per
    group is exact and deterministic (unlike a scatter-add: atomics on a GPU), and ~4x faster
    on NumPy than comparing the indices offset by offset. ``empty``, a bool mask (*out) of
    windows lying wholly in the padding (their max is -inf, their index past their plane),
    sends their gradient to a spare element.
    """
    xp, plane, nd = backend.xp, math.prod(size), len(size)
    grad_input = xp.zeros((*indices.shape[:2], *size), dtype=dtype)

    def scatter_block(block):
        n, C = grad_input[block].shape[:2]
        if empty is None:
            flat = grad_input[block].reshape(-1)
        else:  # one spare element past the block's planes
            flat = xp.zeros(n * C * plane + 1, dtype=dtype)
        planes = xp.arange(0, n * C * plane, plane, dtype=xp.int64).reshape(n, C, *[1] * nd)
        for group in itertools.product(*(range(step) for step in steps)):
            lines = tuple(slice(a, None, step) for a, step in zip(group, steps, strict=True))
            targets = indices[(block, slice(None), *lines)] + planes
            if empty is not None:
                targets = xp.where(empty[lines], n * C * plane, targets)
            targets = targets.reshape(-1)
            values = grad[(block, slice(None), *lines)].astype(dtype, copy=False).reshape(-1)
            if not any(group) and empty is None:  # only zeros so far: a plain write, ~2x faster
                flat[targets] = values
            else:
                flat[targets] += values
        if empty is not None:
            grad_input[block] = flat[:-1].reshape(n, C, *size)

    backend.map_blocks(scatter_block, batch_blocks(backend, grad_input.shape, dtype))
    return grad_input
