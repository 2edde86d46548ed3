"""Adaptive average and max pooling, and their backward functions: the 2-D kernels here, and
the N-d bodies (:func:`adaptive_avg_pool`, ...) that the 1-D and 3-D kernels share.

Adaptive average pooling averages each window along one axis at a time (in 2-D the rows,
then the columns), adding offset by offset (so an inf stays in its own windows); its backward
spreads each window's share the same way, axis by axis (the windows holding an element are
themselves adaptive windows).
Adaptive max pooling is separable too: the running-argmax rule of
:func:`xpnet.kernels.max_pool2d` (ties go to the first maximum, the last NaN wins) along the
last axis, then along each axis before it, which picks the element a row-major scan of the
window picks; the loop is the sum of the longest windows' lengths, not their product. Its
backward adds each window's gradient at its maximum, one group of disjoint windows at a time
(:func:`._pooling.scatter_to_maxima`).
"""

from __future__ import annotations

import itertools
import math

from ._blocks import check_fits, compute_dtype
from ._checks import kernel, to_tuple
from ._pooling import (
    batched,
    check_index_range,
    check_pool_grad,
    check_saved_indices,
    running_argmax,
    scatter_to_maxima,
    window_winners,
)

__all__ = [
    "adaptive_avg_pool2d",
    "adaptive_avg_pool2d_backward",
    "adaptive_max_pool2d",
    "adaptive_max_pool2d_backward",
]


def _adaptive_prepare(where, input, output_size, index_bytes=0, nd=2, backward=False):
    """(backend, x, unbatched, output size); ``None`` entries keep the input size.

    ArgumentError for an empty axis, by PyTorch's rules: every axis but the first for max
    pools (``index_bytes``) and 3-D average pools, the spatial axes for 1-D and 2-D ones.
    MemoryError, before any allocation, when the output (with ``index_bytes`` per element),
    the per-axis passes' results and their temporaries (:func:`_pass_bytes`; in ``backward``
    the gradient's passes, from the output size back to the input size) cannot fit. An empty
    output or batch needs no pass: the bodies return at once (:func:`_is_empty`).
    """
    nonempty_from = 1 if index_bytes or nd == 3 else -nd
    backend, x, unbatched = batched(where, input, nd, nonempty_from)
    sizes, size = output_size, x.shape[2:]
    if isinstance(sizes, tuple | list) and len(sizes) == 1 and nd > 1:
        # not repeated, unlike a kernel size's [k]: PyTorch refuses it (as any other length)
        msg = f"{where}: output_size must be an int or a tuple of {nd} ints, got {output_size!r}"
        raise TypeError(msg)
    if isinstance(sizes, tuple | list) and len(sizes) == nd:
        sizes = tuple(s if o is None else o for o, s in zip(sizes, size, strict=True))
    # 0 is allowed, as in PyTorch: an empty output (whose gradient is all zeros)
    output = to_tuple(where, "output_size", sizes, nd, minimum=0)
    (N, C), count = x.shape[:2], math.prod(output)
    if _is_empty(x, output):
        return backend, x, unbatched, output
    itemsize = backend.xp.dtype(compute_dtype(backend.xp, x.dtype)).itemsize
    if index_bytes:  # the last axis first, values and labels (a backward reruns the forward)
        passes = _pass_bytes(size, output, reversed(range(nd)), itemsize + index_bytes)
    elif _equal_windows(size, output):  # one reduction (or one write) through a view
        passes = 0
    elif backward:  # the gradient spreads axis by axis, the one shrinking most first
        passes = _pass_bytes(output, size, _avg_order(output, size), itemsize)
    else:
        passes = _pass_bytes(size, output, _avg_order(size, output), itemsize)
    nbytes = N * C * (passes + count * (itemsize + index_bytes)) + x.size * itemsize
    what = f"an output of shape {(N, C, *output)}"
    check_fits(where, backend, f"{what} and its gradient" if backward else what, nbytes)
    return backend, x, unbatched, output


def _is_empty(x, output):
    """Whether the output (N, C, *output) has no element: nothing to compute, and no index
    array of an output size to build (``(0, 10**18)`` would need exabytes)."""
    return 0 in (*x.shape[:2], *output)


def _pass_bytes(start, target, order, itemsize):
    """The most bytes per (n, c) plane held during the per-axis passes from a plane of
    ``start`` to one of ``target``, axis by axis in ``order``: the previous pass's result
    and three arrays of the new one's (the result, the gathered slice, the masked slice)."""
    shape, peak = list(start), 0
    for axis in order:
        previous = math.prod(shape)
        shape[axis] = target[axis]
        peak = max(peak, (previous + 3 * math.prod(shape)) * itemsize)
    return peak


def _avg_order(size, output):
    """The order of the forward's average passes: the axis that shrinks its size most goes
    first, for the smallest intermediate (ties: the first axis first)."""
    return sorted(range(len(size)), key=lambda axis: output[axis] / max(size[axis], 1))


def _adaptive_axis(xp, size, out):
    """Window starts and ends along one axis (PyTorch: floor(i*size/out), ceil((i+1)*size/out))
    and the longest window."""
    index = xp.arange(out)
    starts, ends = index * size // out, -(-(index + 1) * size // out)
    return starts, ends, _longest_window(size, out)


def _window_bounds(size, out):
    """:func:`_adaptive_axis`'s windows as host ``(start, stop)`` pairs, for the paths that
    loop over few windows."""
    return [(i * size // out, -(-(i + 1) * size // out)) for i in range(out)]


def _longest_window(size, out):
    """max over i of ceil((i+1)*size/out) - floor(i*size/out), without a loop over ``out``.

    Window i has length ceil((r + size) / out) where r = i*size mod out; r takes every
    multiple of g = gcd(size, out) below ``out``, the largest being out - g.
    """
    return -(-(size + out - math.gcd(size, out)) // out) if out else 0


def _window_sums(xp, x, axis, out):
    """(sums, lengths): the sum of each adaptive window along spatial ``axis`` (>= 2) of
    ``x``, added offset by offset, and the windows' lengths, shaped to divide the sums.

    Only a window's own elements are added, so an inf or NaN stays in its windows (a product
    with an averaging matrix would spread ``0 * inf = nan`` to every window). Python loops
    over the fewer of the windows and their positions: fewer windows than positions (1e8
    elements into 4) are summed one slice each, where a pass per position looped 2.5e7 times.
    """
    size = x.shape[axis]
    starts, ends, longest = _adaptive_axis(xp, size, out)
    shape = [1] * x.ndim
    shape[axis] = out
    lengths = (ends - starts).reshape(shape).astype(x.dtype)
    if out < longest:
        before = (slice(None),) * axis
        bounds = _window_bounds(size, out)
        sums = [x[(*before, slice(a, b))].sum(axis=axis) for a, b in bounds]
        return xp.stack(sums, axis=axis), lengths
    total = xp.zeros(x.shape[:axis] + (out,) + x.shape[axis + 1 :], dtype=x.dtype)
    for i in range(longest):
        inside = (starts + i < ends).reshape(shape)  # shorter windows: mask the clipped position
        total += xp.where(inside, x.take(xp.minimum(starts + i, size - 1), axis=axis), 0)
    return total, lengths


def _window_means(xp, x, axis, out):
    """Mean of each adaptive window along spatial ``axis`` (>= 2) of ``x``."""
    total, lengths = _window_sums(xp, x, axis, out)
    total /= lengths
    return total


def _spread_means(xp, grad, axis, size):
    """Gradient of :func:`_window_means` along ``axis``, of length ``size`` in the input: each
    element sums ``grad / length`` over the windows holding it.

    The windows holding element j, [floor(j * out / size), ceil((j + 1) * out / size)), are the
    adaptive windows of an axis of length ``out`` pooled to ``size``: :func:`_window_sums`
    adds them, so an element gets its own windows' gradients only (an inf in another window's
    gradient stays there, where a product with the averaging matrix made it NaN).
    """
    starts, ends, _ = _adaptive_axis(xp, size, grad.shape[axis])
    shape = [1] * grad.ndim
    shape[axis] = -1
    share = grad / (ends - starts).reshape(shape).astype(grad.dtype)
    return _window_sums(xp, share, axis, size)[0]


@kernel
def adaptive_avg_pool2d(input, output_size):
    r"""Average over windows chosen so the output is ``output_size``, as PyTorch.

    Window i along an axis of length L covers [floor(i*L/out), ceil((i+1)*L/out)); windows may
    overlap, and ``out`` may exceed ``L``.

    Args:
        input: array of shape (N, C, H, W) or (C, H, W).
        output_size: int or pair (H_out, W_out), each >= 0; a ``None`` entry keeps that input
            size.

    Returns:
        Array (N, C, H_out, W_out) of the dtype of ``input``.

    Example:
        >>> adaptive_avg_pool2d(xp.arange(6.0).reshape(1, 1, 2, 3), (1, 2))[0, 0]
        array([[2., 3.]])
    """
    return adaptive_avg_pool("adaptive_avg_pool2d", 2, input, output_size)


def adaptive_avg_pool(where, nd, input, output_size):
    """The body of ``adaptive_avg_pool{nd}d``, reporting errors as ``where``."""
    backend, x, unbatched, output = _adaptive_prepare(where, input, output_size, nd=nd)
    xp = backend.xp
    if _is_empty(x, output):
        result = xp.empty((*x.shape[:2], *output), dtype=input.dtype)
        return result[0] if unbatched else result
    dtype = compute_dtype(xp, input.dtype)
    windows = _equal_windows(x.shape[2:], output)
    if windows:  # one reduction (a global average pool: 1 launch where the walk takes ~130)
        axes = tuple(range(3, 3 + 2 * nd, 2))
        result = xp.mean(_split_windows(x, output, windows), axis=axes, dtype=dtype)
        result = result.astype(input.dtype, copy=False)
        return result[0] if unbatched else result
    result = x.astype(dtype, copy=False)
    for axis in _avg_order(x.shape[2:], output):
        result = _window_means(xp, result, 2 + axis, output[axis])
    result = result.astype(input.dtype, copy=False)
    return result[0] if unbatched else result


def _equal_windows(size, output):
    """Each axis's window length when every axis splits into equal disjoint windows (``size``
    a multiple of a non-zero ``out``), else ``None``."""
    pairs = list(zip(size, output, strict=True))
    if all(out and length % out == 0 for length, out in pairs):
        return [length // out for length, out in pairs]
    return None


def _split_windows(array, output, windows):
    """The (N, C, out_1, window_1, out_2, window_2, ...) view of ``array`` (N, C, *size)."""
    return array.reshape(*array.shape[:2], *itertools.chain(*zip(output, windows, strict=True)))


@kernel
def adaptive_avg_pool2d_backward(grad_output, input, output_size):
    r"""Gradient of :func:`adaptive_avg_pool2d`: each element gets ``grad_output / window
    size`` of every window holding it, summed one axis at a time (an inf or NaN in
    ``grad_output`` reaches its own window's elements only).

    Example:
        >>> adaptive_avg_pool2d_backward(xp.ones((1, 1, 1, 1)), xp.zeros((1, 1, 1, 2)), 1)
        array([[[[0.5, 0.5]]]])
    """
    where = "adaptive_avg_pool2d_backward"
    return adaptive_avg_pool_backward(where, 2, grad_output, input, output_size)


def adaptive_avg_pool_backward(where, nd, grad_output, input, output_size):
    """The body of ``adaptive_avg_pool{nd}d_backward``, reporting errors as ``where``."""
    backend, x, unbatched, output = _adaptive_prepare(
        where, input, output_size, nd=nd, backward=True
    )
    output_shape = (*x.shape[:2], *output)
    grad = check_pool_grad(where, backend, grad_output, input, output_shape, unbatched)
    xp = backend.xp
    if _is_empty(x, output):  # no window: no gradient
        return xp.zeros(input.shape, dtype=input.dtype)
    dtype = compute_dtype(xp, input.dtype)
    windows = _equal_windows(x.shape[2:], output)
    if windows:  # each window's share, written through its split view: one launch
        grad_input = xp.empty(x.shape, dtype=dtype)
        spread = grad.reshape(*itertools.chain(grad.shape[:2], *((out, 1) for out in output)))
        view = _split_windows(grad_input, output, windows)
        xp.divide(spread, math.prod(windows), out=view, dtype=dtype)
        grad_input = grad_input.astype(input.dtype, copy=False)
        return grad_input[0] if unbatched else grad_input
    grad_input = grad.astype(dtype, copy=False)
    # the axes' spreads commute: the one shrinking most first keeps the intermediates small
    # (a (1, 1e7) gradient onto 4 x 4 was spread to (4, 1e7) first)
    for axis in _avg_order(output, x.shape[2:]):
        grad_input = _spread_means(xp, grad_input, 2 + axis, x.shape[2 + axis])
    grad_input = grad_input.astype(input.dtype, copy=False)
    return grad_input[0] if unbatched else grad_input


def _axis_argmax(xp, values, labels, axis, out, stride):
    """One separable pass: max over the adaptive windows along spatial ``axis`` of ``values``
    and its label, a flat index; ``labels`` (``None``: the position itself) are the winners'
    flat indices over the axes reduced before, ``stride`` the flat step of ``axis``."""
    size = values.shape[2 + axis]
    starts, ends, longest = _adaptive_axis(xp, size, out)
    if out < longest:  # few long windows (1e7 into 4 looped 2.5e6 times): one argmax each
        bounds = _window_bounds(size, out)
        best, position = window_winners(xp, values, 2 + axis, bounds)
        label = position * stride
        if labels is not None:
            label += xp.take_along_axis(labels, position, axis=2 + axis)
        return best, label
    shape = [1] * values.ndim
    shape[2 + axis] = -1

    def label_at(position):
        label = (position * stride).reshape(shape)
        return label if labels is None else label + labels.take(position, axis=2 + axis)

    best_shape = list(values.shape)
    best_shape[2 + axis] = out
    best = xp.full(best_shape, -xp.inf, dtype=values.dtype)
    label = xp.empty(best_shape, dtype=xp.int64)
    label[...] = label_at(starts)  # a window that stays -inf keeps its first element
    candidates = (
        (
            xp.where(
                (starts + i < ends).reshape(shape), values.take(position, axis=2 + axis), -xp.inf
            ),
            label_at(position),
        )
        for i in range(longest)
        for position in [xp.minimum(starts + i, size - 1)]
    )
    running_argmax(xp, candidates, best, label)
    return best, label


def _disjoint_step(size, out):
    """How many adaptive windows apart two windows along an axis are disjoint (at most
    ``out``): 1 for equal windows, else ceil(out / size) + 1, since window i + g starts at
    floor((i + g) size / out) >= floor(i size / out + size / out + 1) >= the end of window i
    once g size / out >= 1 + size / out."""
    if not out or not size or (size >= out and size % out == 0):
        return 1
    return min(out, -(-out // size) + 1)


@kernel
def adaptive_max_pool2d(input, output_size, return_indices=False):
    r"""Maximum over windows chosen so the output is ``output_size``, as PyTorch.

    Windows as in :func:`adaptive_avg_pool2d`; ties and NaN as in :func:`max_pool2d`.

    Returns:
        The pooled array, and with ``return_indices`` the int64 flat index of each maximum.

    Example:
        >>> adaptive_max_pool2d(xp.asarray([[[[1.0, 3.0, 2.0]]]]), (1, 2), return_indices=True)
        (array([[[[3., 3.]]]]), array([[[[1, 1]]]]))
    """
    return adaptive_max_pool("adaptive_max_pool2d", 2, input, output_size, return_indices)


def adaptive_max_pool(where, nd, input, output_size, return_indices):
    """The body of ``adaptive_max_pool{nd}d``, reporting errors as ``where``."""
    backend, x, unbatched, output = _adaptive_prepare(where, input, output_size, 8, nd)
    xp, size = backend.xp, x.shape[2:]
    if _is_empty(x, output):
        values = xp.empty((*x.shape[:2], *output), dtype=input.dtype)
        indices = xp.empty(values.shape, dtype=xp.int64)
        values, indices = (values[0], indices[0]) if unbatched else (values, indices)
        return (values, indices) if return_indices else values
    values, indices = x, None
    for axis in reversed(range(nd)):  # the last axis first: a row-major scan's winner
        stride = math.prod(size[axis + 1 :])
        values, indices = _axis_argmax(xp, values, indices, axis, output[axis], stride)
    if not return_indices:
        return values[0] if unbatched else values
    return (values[0], indices[0]) if unbatched else (values, indices)


@kernel
def adaptive_max_pool2d_backward(
    grad_output, input, output_size, return_indices=False, *, indices=None
):
    r"""Gradient of :func:`adaptive_max_pool2d`: each window's gradient goes to its maximum.

    Added at the maxima one group of disjoint windows at a time (deterministic, though
    windows may overlap).
    ``indices`` from the forward skips finding the maxima again.

    Example:
        >>> x = xp.asarray([[[[1.0, 3.0, 2.0]]]])
        >>> adaptive_max_pool2d_backward(xp.ones((1, 1, 1, 2)), x, (1, 2))
        array([[[[0., 2., 0.]]]])
    """
    where = "adaptive_max_pool2d_backward"
    options = (output_size, indices)
    return adaptive_max_pool_backward(where, 2, grad_output, input, *options)


def adaptive_max_pool_backward(where, nd, grad_output, input, output_size, indices):
    """The body of ``adaptive_max_pool{nd}d_backward``, reporting errors as ``where``."""
    backend, x, unbatched, output = _adaptive_prepare(where, input, output_size, 8, nd, True)
    output_shape = (*x.shape[:2], *output)
    grad = check_pool_grad(where, backend, grad_output, input, output_shape, unbatched)
    xp, size = backend.xp, x.shape[2:]
    if _is_empty(x, output):  # no window: no gradient (saved indices are empty too)
        if indices is not None:
            check_saved_indices(where, backend, indices, input, output_shape, unbatched)
        return xp.zeros(input.shape, dtype=input.dtype)
    dtype = compute_dtype(xp, input.dtype)
    if indices is None:  # from ``input`` as given: the empty-axis rule depends on its batching
        _, indices = adaptive_max_pool(where, nd, input, output, True)
        indices = indices[None] if unbatched else indices
    else:
        check_saved_indices(where, backend, indices, input, output_shape, unbatched)
        indices = indices[None] if unbatched else indices
        indices = check_index_range(where, backend, indices, size)
    steps = tuple(_disjoint_step(s, o) for s, o in zip(size, output, strict=True))
    grad_input = scatter_to_maxima(backend, steps, size, indices, grad, dtype)
    grad_input = grad_input.astype(input.dtype, copy=False)
    return grad_input[0] if unbatched else grad_input
