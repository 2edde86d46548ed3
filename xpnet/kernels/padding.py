"""Padding: ``pad`` (constant, reflect, replicate, circular) and its backward function.

``pad`` lists ``(before, after)`` pairs from the last axis backwards, as PyTorch; a negative
entry crops. Output position ``j`` of a padded axis of size ``n`` reads source ``q = j -
before`` when ``0 <= q < n``; outside, constant mode writes ``value``, and the other modes
read the reflected (``-q``, ``2(n - 1) - q``), clamped or wrapped (``q mod n``) source. The
forward is a copy of the kept block plus one ``take`` per padded axis; the backward is its
adjoint: the kept block of the gradient, plus one slice-add per padded position (no
scatter: deterministic on every backend).
"""

from __future__ import annotations

import math
import numbers

import numpy

from ._blocks import check_fits
from ._checks import (
    ArgumentError,
    UnsupportedLayoutError,
    array_backend,
    as_index,
    check_grad_output,
    kernel,
    moved_backend,
    require_arrays,
)

__all__ = ["pad", "pad_backward"]

_MODES = ("constant", "reflect", "replicate", "circular")


def _sources(mode, n, before, after):
    """The host source index of every output position of one axis (reflect, replicate and
    circular modes)."""
    q = numpy.arange(-before, n + after)
    if mode == "reflect":
        q = numpy.abs(q)
        return numpy.where(q >= n, 2 * (n - 1) - q, q)
    if mode == "replicate":
        return numpy.clip(q, 0, n - 1)
    if n + before + after == 0:  # circular cropped to nothing: nothing to wrap
        return numpy.arange(0)
    # circular, as PyTorch: crop first, then wrap within the input (left pad from the end of
    # the kept block, right pad from its start)
    start, stop = max(-before, 0), n - max(-after, 0)
    left = numpy.arange(stop - before, stop) if before > 0 else numpy.arange(0)
    right = numpy.arange(start, start + after) if after > 0 else numpy.arange(0)
    return numpy.concatenate([left, numpy.arange(start, stop), right])


def _check_mode_pad(where, input, pairs, mode, value):
    """PyTorch's rules for the non-constant modes: ranks, sizes and no ``value``."""
    if value is not None:
        msg = f"{where}: padding mode {mode!r} doesn't take a value argument, got value={value!r}"
        raise ArgumentError(msg)
    k = len(pairs)
    if k == 0:
        msg = f"{where}: {mode} padding of size 0 is not supported for a {input.ndim}-D input"
        raise NotImplementedError(msg)  # PyTorch's
    if k > 3:  # PyTorch's non-constant modes pad 1 to 3 trailing dimensions
        msg = (
            f"{where}: {mode} padding of {k} dimensions is not supported: the non-constant "
            f"modes pad 1 to 3 trailing dimensions (pad of 2, 4 or 6 numbers), got {2 * k}"
        )
        raise NotImplementedError(msg)
    if input.ndim not in (k + 1, k + 2):
        msg = (
            f"{where}: {mode} padding of {k} dimension(s) needs a {k + 1}-D or {k + 2}-D input, "
            f"got shape {input.shape}"
        )
        raise UnsupportedLayoutError(msg)  # PyTorch's NotImplementedError
    if mode != "circular" and 0 in input.shape[input.ndim - k - 1 :]:  # only N may be 0
        msg = (
            f"{where}: {mode} padding needs every dimension non-empty (only the batch of a "
            f"{k + 2}-D input may be 0), got shape {input.shape}"
        )
        raise ArgumentError(msg)
    # as PyTorch's reflection_pad and replication_pad: one padded dimension (any) must keep
    # a size of at least 1; the others may be cropped to 0
    if mode != "circular" and all(input.shape[a] + b + c < 1 for a, (b, c) in pairs):
        (axis, (before, after)), n = pairs[0], input.shape[pairs[0][0]]
        msg = (
            f"{where}: {mode} padding {(before, after)} empties dimension {axis} of size {n}, "
            f"and every other padded dimension: at least one must keep a size of 1 or more"
        )
        raise ArgumentError(msg)
    for axis, (before, after) in pairs:
        n = input.shape[axis]
        if n == 0 and before == after == 0:  # circular: nothing to wrap, PyTorch copies
            continue
        limit = {"reflect": n - 1, "circular": n - max(-before, 0, -after)}.get(mode)
        if mode == "circular" and n + before + after == 0:
            limit = n  # cropped to nothing, nothing wraps: PyTorch's own bound alone
        if n == 0 or (limit is not None and max(before, after) > limit):
            rule = "positive" if limit is None else f"at most {limit} (input size {n})"
            msg = (
                f"{where}: {mode} padding {(before, after)} of dimension {axis} with input shape "
                f"{input.shape}: the padding must be {rule}"
                + ("" if n else " and the dimension non-empty")
            )
            raise ArgumentError(msg)


def _plan(where, input, pad, mode, value):
    """``(pairs, out_shape)``: ``[(axis, (before, after)), ...]`` and the output shape;
    ``input`` already checked to be an array."""
    if mode not in _MODES:
        choices = ", ".join(repr(m) for m in _MODES)
        msg = f"{where}: mode must be one of {choices}, got {mode!r}"
        raise UnsupportedLayoutError(msg)  # PyTorch's NotImplementedError
    try:  # ints, or what PyTorch takes for one (a one-element integer Tensor), not bools;
        # a tuple, not a Tensor of them (PyTorch's TypeError)
        items = None if hasattr(pad, "shape") else tuple(as_index(p) for p in pad)
    except TypeError:
        items = None
    if items is None or None in items:
        msg = f"{where}: pad must be a sequence of ints, got {pad!r}"
        raise TypeError(msg)
    if len(items) % 2 or len(items) // 2 > input.ndim:
        msg = (
            f"{where}: pad must hold an even number of ints, at most 2 per dimension of the "
            f"input ({input.ndim}), got {len(items)}"
        )
        raise ArgumentError(msg)
    pairs = [
        (input.ndim - 1 - i, (int(items[2 * i]), int(items[2 * i + 1])))
        for i in range(len(items) // 2)
    ]
    if mode != "constant":
        _check_mode_pad(where, input, pairs, mode, value)
    elif value is not None and not isinstance(value, numbers.Real):
        msg = f"{where}: value must be a number, got {type(value).__name__} {value!r}"
        raise TypeError(msg)
    out_shape = list(input.shape)
    for axis, (before, after) in pairs:
        out_shape[axis] += before + after
        # constant mode crops first: the crops alone must leave the dimension at least empty
        # (reflect and replicate pad first, then crop; circular has its own limits)
        crops = min(before, 0) + min(after, 0) if mode == "constant" else 0
        if out_shape[axis] < 0 or input.shape[axis] + crops < 0:
            msg = (
                f"{where}: padding {(before, after)} crops dimension {axis} of size "
                f"{input.shape[axis]} below 0"
            )
            raise ArgumentError(msg)
    return pairs, tuple(out_shape)


def _fill(where, value, dtype):
    """The constant mode's ``value`` as PyTorch writes it into ``dtype``: truthiness for
    bool; for an integer dtype truncated toward zero, refused where it is NaN, inf or past
    the dtype's range (``c10::checked_convert``)."""
    value = 0 if value is None else value
    if dtype.kind == "b":
        return bool(value)
    if dtype.kind in "iu":
        info = numpy.iinfo(dtype)
        finite = isinstance(value, numbers.Integral) or math.isfinite(value)
        if not (finite and info.min <= value <= info.max):
            msg = f"{where}: value {value!r} cannot be converted to {dtype} without overflow"
            raise ArgumentError(msg)
        return int(value)
    return value


def _kept(ndim, pairs, sizes):
    """``(source, destination)`` index tuples of the block that is copied unchanged."""
    source, destination = [slice(None)] * ndim, [slice(None)] * ndim
    for axis, (before, after) in pairs:
        n = sizes[axis]
        start, stop = max(-before, 0), max(min(n, n + after), max(-before, 0))
        source[axis] = slice(start, stop)
        destination[axis] = slice(max(before, 0), max(before, 0) + stop - start)
    return tuple(source), tuple(destination)


@kernel
def pad(input, pad, mode: str = "constant", value=None):
    r"""Pad (or, with negative entries, crop) the last dimensions of ``input``.

    Args:
        input: array (floats, integers, and for constant and circular modes bools, as
            PyTorch's). Constant mode pads up to every dimension; the other modes pad the
            last 1, 2 or 3 dimensions of a 2-D/3-D, 3-D/4-D or 4-D/5-D input.
        pad: ``(left, right)``, ``(left, right, top, bottom)`` or ``(left, right, top,
            bottom, front, back)``: pairs for the last, second-last, ... dimension.
        mode: ``'constant'``, ``'reflect'`` (mirror without repeating the edge; padding
            below the size), ``'replicate'`` (repeat the edge), ``'circular'`` (wrap; padding
            at most the size). Default: ``'constant'``.
        value: the constant mode's fill value, written as PyTorch writes it into the
            input's dtype (an integer dtype truncates it, and refuses NaN, inf and values
            past its range). Default: ``None`` (0).

    Returns:
        Array of the padded shape and the dtype of ``input``.

    Raises:
        TypeError: ``pad`` not a sequence of ints; a non-number ``value``; a dtype the mode
            does not take (bool with reflect or replicate, complex).
        ValueError: an odd ``pad`` length or more pairs than dimensions, a bad mode or rank,
            padding too large for the mode, ``value`` with a non-constant mode or past an
            integer dtype's range, a crop below 0.
        NotImplementedError: a non-constant mode over no or more than 3 dimensions, a
            bad mode or rank (these two also ValueErrors), as PyTorch.
        MemoryError: an output larger than the backend can allocate.

    Example:
        >>> pad(xp.asarray([[[1.0, 2.0, 3.0]]]), (2, 1), mode="reflect")
        array([[[3., 2., 1., 2., 3., 2.]]])
    """
    # the array checks first: a list or a float gets TypeError, as every kernel
    require_arrays("pad", input=input)
    kinds = "iuf" if mode in ("reflect", "replicate") else "biuf"  # PyTorch's dtypes
    backend = moved_backend("pad", input, kinds, f"{mode} padding")
    pairs, out_shape = _plan("pad", input, pad, mode, value)
    xp = backend.xp
    nbytes = math.prod(out_shape) * input.dtype.itemsize
    check_fits("pad", backend, f"an output of shape {out_shape}", nbytes)
    if mode == "constant":
        # PyTorch converts value only when something is padded (else it crops or copies)
        padded = any(max(sides) > 0 for _, sides in pairs)
        fill = _fill("pad", value, input.dtype) if padded else 0
        output = xp.full(out_shape, fill, dtype=input.dtype)
        source, destination = _kept(input.ndim, pairs, input.shape)
        output[destination] = input[source]
        return output
    output = input
    for axis, (before, after) in pairs:
        index = _sources(mode, input.shape[axis], before, after)
        output = xp.take(output, backend.asarray(index), axis=axis)
    return xp.ascontiguousarray(output)


@kernel
def pad_backward(grad_output, input, pad, mode: str = "constant", value=None):
    """Gradient of :func:`pad` with respect to ``input``: the kept block of ``grad_output``,
    plus (non-constant modes) each padded position's gradient added to its source."""
    where = "pad_backward"
    require_arrays(where, input=input)
    backend = array_backend(where, input=input, grad_output=grad_output)
    pairs, out_shape = _plan(where, input, pad, mode, value)
    check_grad_output(where, grad_output, out_shape, input.dtype)
    xp = backend.xp
    if mode == "constant":
        grad_input = xp.zeros(input.shape, dtype=input.dtype)
        source, destination = _kept(input.ndim, pairs, input.shape)
        grad_input[source] = grad_output[destination]
        return grad_input
    grad = grad_output
    for axis, (before, after) in reversed(pairs):  # the adjoint: axes in reverse order
        n = input.shape[axis]
        grad = _axis_adjoint(xp, grad, axis, n, before, _sources(mode, n, before, after))
    return grad


def _axis_adjoint(xp, grad, axis, n, before, sources):
    """The gradient of ``take(x, sources, axis)`` with respect to x (size ``n`` on
    ``axis``): the kept block's gradient copied, then each padded position's added to its
    source, one slice-add each, with host indices (no device sync)."""
    shape = list(grad.shape)
    shape[axis] = n
    grad_input = xp.zeros(shape, dtype=grad.dtype)
    start = max(-before, 0)  # the first kept source, at output position max(before, 0)
    stop = max(min(n, len(sources) - before), start)
    offset = max(before, 0)

    def index(position):
        at = [slice(None)] * grad.ndim
        at[axis] = position
        return tuple(at)

    grad_input[index(slice(start, stop))] = grad[index(slice(offset, offset + stop - start))]
    kept = range(offset, offset + stop - start)
    for j, q in enumerate(sources.tolist()):
        if j not in kept:
            grad_input[index(slice(q, q + 1))] += grad[index(slice(j, j + 1))]
    return grad_input
