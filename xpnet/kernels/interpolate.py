"""Resizing: ``interpolate`` (nearest, nearest-exact, linear, bilinear, bicubic, trilinear,
area; bilinear and bicubic antialiased) and its backward function.

``'area'`` is adaptive average pooling to the output size, as in PyTorch
(:func:`.adaptive_pooling.adaptive_avg_pool`). Every other mode is separable: the output is
computed one spatial axis at a time, each output position a weighted sum of a few input
positions along the axis, its taps (one for nearest, two for linear, four for bicubic, a
filter's width when antialiased), with PyTorch's source-index rules
(``area_pixel_compute_source_index`` and ``nearest_idx`` in ATen's ``UpSample.h``; the
bicubic and antialiased taps in :mod:`._interpolate_cubic`). The taps are built on the host
from the sizes alone (no device sync) and gathered with one ``take`` per axis, so a NaN
reaches only the outputs that read it, as in PyTorch. The backward is the adjoint, per axis
in reverse: the taps transposed on the host (for each input position, the outputs that read
it), so it gathers too (no scatter: deterministic on every backend).
"""

from __future__ import annotations

import math
import numbers

import numpy

from ._blocks import check_fits, compute_dtype
from ._checks import (
    ArgumentError,
    UnsupportedDtypeError,
    UnsupportedLayoutError,
    array_backend,
    as_index,
    check_grad_output,
    kernel,
    moved_backend,
    require_arrays,
)
from ._interpolate_cubic import antialias_taps, cubic_taps, source_positions
from .adaptive_pooling import adaptive_avg_pool, adaptive_avg_pool_backward

__all__ = ["interpolate", "interpolate_backward"]

# PyTorch's interpolating modes (those taking align_corners) -> the input rank each needs
_INTERPOLATING = {"linear": 3, "bilinear": 4, "bicubic": 4, "trilinear": 5}
_NEAREST = ("nearest", "nearest-exact")
_MODES = (*_NEAREST, "linear", "bilinear", "bicubic", "trilinear", "area")


def _per_axis(where, name, value, dim, kind):
    """``value`` as a list of ``dim`` numbers (a scalar is repeated), checked by kind."""
    items = list(value) if isinstance(value, (tuple, list)) else [value] * dim
    if len(items) != dim:
        msg = f"{where}: {name} must have one entry per spatial dimension ({dim}), got {value!r}"
        raise ArgumentError(msg)
    if kind is numbers.Integral:  # what PyTorch takes for an int: a one-element int Tensor too
        items = [as_index(item) for item in items]
    for item in items:  # PyTorch takes a bool for a float scale (True: 1.0), not for a size
        if not isinstance(item, kind) or (isinstance(item, bool) and kind is numbers.Integral):
            msg = f"{where}: {name} must hold {kind.__name__}s, got {value!r}"
            raise TypeError(msg)
    return items


def _check_mode(where, input, mode, align_corners, antialias):
    if mode not in _MODES:
        choices = ", ".join(repr(m) for m in _MODES)
        msg = f"{where}: mode must be one of {choices}, got {mode!r}"
        raise UnsupportedLayoutError(msg)  # PyTorch's NotImplementedError
    if mode in _INTERPOLATING and input.ndim != _INTERPOLATING[mode]:
        rank = _INTERPOLATING[mode]
        msg = f"{where}: mode={mode!r} needs a {rank}-D input, got shape {input.shape}"
        raise UnsupportedLayoutError(msg)  # PyTorch's NotImplementedError
    if mode not in _INTERPOLATING and align_corners is not None:
        msg = (
            f"{where}: align_corners can only be set with the interpolating modes (linear, "
            f"bilinear, bicubic, trilinear), got align_corners={align_corners!r} with "
            f"mode={mode!r}"
        )
        raise ArgumentError(msg)
    if align_corners is not None and not isinstance(align_corners, bool):
        # PyTorch's argument parser takes only a Python bool: not 1, 1.0 or numpy.bool_
        msg = (
            f"{where}: align_corners must be None or a bool, got "
            f"{type(align_corners).__name__} {align_corners!r}"
        )
        raise TypeError(msg)
    if antialias and mode not in ("bilinear", "bicubic"):
        msg = (
            f"{where}: antialias=True needs mode 'bilinear' or 'bicubic' and a 4-D input, "
            f"got mode={mode!r}"
        )
        raise ArgumentError(msg)


def _scaled_sizes(where, spatial, scale_factor):
    """``(sizes, scales)``: ``floor(in * scale)`` per axis and the scales as floats."""
    items = _per_axis(where, "scale_factor", scale_factor, len(spatial), numbers.Real)
    scales = [float(s) for s in items]
    # inf, NaN and negative scales would reach math.floor (OverflowError, ValueError) or give
    # sizes <= 0 that hide the culprit; PyTorch refuses them all (a RuntimeError)
    if not all(math.isfinite(s) and s > 0 for s in scales):
        msg = (
            f"{where}: scale_factor must be finite and greater than 0 on every spatial "
            f"dimension, got {scale_factor!r}"
        )
        raise ArgumentError(msg)
    sizes = [n * s for n, s in zip(spatial, scales, strict=True)]
    if not all(size < 2**63 for size in sizes):  # e.g. 5 * 1e308: PyTorch's int64 overflow
        msg = f"{where}: scale_factor={scale_factor!r} overflows the output size of {spatial}"
        raise ArgumentError(msg)
    return [math.floor(size) for size in sizes], scales


def _input_backend(input, mode):
    """The backend of ``interpolate``'s input: a float array, or, as PyTorch's, uint8 in
    the nearest modes; PyTorch's uint8 linear and cubic kernels round in fixed point, and
    xpnet has none (an :class:`UnsupportedDtypeError`)."""
    dtype = getattr(input, "dtype", None)  # a list or a number: array_backend's TypeError
    if dtype is not None and dtype.kind == "u" and dtype.itemsize == 1:
        if mode in ("nearest", "nearest-exact"):
            return moved_backend("interpolate", input)
        msg = f"interpolate: mode {mode!r} of a uint8 input is not implemented; convert to float"
        raise UnsupportedDtypeError(msg)
    return array_backend("interpolate", input=input)


def _plan(where, input, size, scale_factor, mode, align_corners, recompute, antialias):
    """``[(in_size, out_size, scale or None), ...]`` per spatial axis, as PyTorch's rules;
    ``input`` already checked to be an array."""
    if input.ndim not in (3, 4, 5):  # PyTorch's NotImplementedError
        msg = f"{where}: input must have 3 or 4 or 5 dimensions (N, C, *spatial), got {input.shape}"
        raise UnsupportedLayoutError(msg)
    _check_mode(where, input, mode, align_corners, antialias)
    dim, spatial = input.ndim - 2, input.shape[2:]
    if (size is None) == (scale_factor is None):
        msg = f"{where}: exactly one of size and scale_factor must be given, got both or none"
        raise ArgumentError(msg)
    if size is not None:
        if recompute:
            msg = f"{where}: recompute_scale_factor is not meaningful with an explicit size"
            raise ArgumentError(msg)
        sizes, scales = _per_axis(where, "size", size, dim, numbers.Integral), [None] * dim
    else:
        sizes, scales = _scaled_sizes(where, spatial, scale_factor)
        if recompute:  # PyTorch then computes the sources from the integer sizes alone
            scales = [None] * dim
    # 'area' leaves its sizes to adaptive_avg_pool's rules (an empty output is allowed)
    if mode != "area" and (any(n <= 0 for n in spatial) or any(s <= 0 for s in sizes)):
        msg = (
            f"{where}: input and output sizes must be greater than 0, got input "
            f"{tuple(spatial)} and output {tuple(sizes)}"
        )
        raise ArgumentError(msg)
    if mode != "area" and input.shape[1] == 0:  # PyTorch's: only the batch may be empty
        msg = f"{where}: input must be non-empty but for the batch, got shape {input.shape}"
        raise ArgumentError(msg)
    return [(n, int(s), scale) for n, s, scale in zip(spatial, sizes, scales, strict=True)]


def _nearest_sources(in_size, out_size, scale, exact, shortcuts):
    """PyTorch's ``nearest_neighbor_compute_source_index`` (``..._exact_...``), whose ratio
    and product are float32: ``min(floor((j [+ 0.5]) * ratio), in - 1)``. With
    ``shortcuts``, ``nearest_idx``'s copy for ``out == in`` and ``j >> 1`` for
    ``out == 2 * in`` first, as PyTorch's nearest2d forward and every nearest backward do;
    they differ from the formula for scale factors such as 1.1 or 2.1."""
    j = numpy.arange(out_size)
    if shortcuts and not exact and out_size == in_size:
        return j
    if shortcuts and not exact and out_size == 2 * in_size:
        return j >> 1
    ratio = (
        numpy.float32(1.0 / scale) if scale else numpy.float32(in_size) / numpy.float32(out_size)
    )
    position = (j + 0.5 if exact else j).astype(numpy.float32) * ratio
    return numpy.minimum(numpy.floor(position).astype(numpy.int64), in_size - 1)


def _linear_taps(in_size, out_size, scale, align_corners):
    """The two neighbours ``i0, i1`` with weights ``1 - l, l``, as PyTorch's
    ``compute_source_index_and_lambda``."""
    if out_size == in_size:
        # ``compute_source_index_and_lambda`` copies, whatever the scale: both neighbours
        # are ``j`` with weights (1, 0), so an inf becomes ``inf + 0 * inf = NaN`` as there
        i0, weight = numpy.arange(out_size), numpy.zeros(out_size)
        return numpy.stack([i0, i0], axis=1), numpy.stack([1.0 - weight, weight], axis=1), None
    # the rounding of the source (FMA, a float32 floor) decides which weights are exactly 0
    i0, weight = source_positions(in_size, out_size, scale, align_corners, cubic=False)
    i1 = numpy.minimum(i0 + 1, in_size - 1)
    return numpy.stack([i0, i1], axis=1), numpy.stack([1.0 - weight, weight], axis=1), None


def _axis_taps(mode, plan_axis, align_corners, antialias, shortcuts):
    """``(index, weight, valid)`` of one axis (see :mod:`._interpolate_cubic`); nearest has
    one tap and ``weight`` None, and takes ``nearest_idx``'s shortcuts if ``shortcuts``."""
    in_size, out_size, scale = plan_axis
    align_corners = bool(align_corners)
    if antialias:
        return antialias_taps(mode, in_size, out_size, scale, align_corners)
    if mode == "bicubic":
        return cubic_taps(in_size, out_size, scale, align_corners)
    if mode in _NEAREST:
        exact = mode == "nearest-exact"
        index = _nearest_sources(in_size, out_size, scale, exact, shortcuts)
        return index[:, None], None, None
    return _linear_taps(in_size, out_size, scale, align_corners)


def _is_copy(taps, in_size):
    """Whether the taps read output ``j`` from input ``j`` alone, with weight 1 (and 0 for
    every other valid tap), the output as long as the input."""
    index, weight, valid = taps
    if len(index) != in_size:
        return False
    weight = numpy.ones(index.shape) if weight is None else weight
    weight = weight if valid is None else numpy.where(valid, weight, 0.0)
    own = index == numpy.arange(len(index))[:, None]
    ones = numpy.where(own, weight, 0.0).sum(axis=1) == 1.0
    return bool(ones.all() and (numpy.where(own, 0.0, weight) == 0.0).all())


def _transposed(taps, in_size):
    """The adjoint's taps, (in_size, M): for each input position, the outputs that read
    it and their weights, in output order, padded with invalid taps (so an inf gradient
    reaches its own sources only)."""
    index, weight, valid = taps
    out_size = len(index)
    weight = numpy.ones(index.shape) if weight is None else weight
    keep = numpy.ones(index.shape, bool) if valid is None else valid
    rows = numpy.broadcast_to(numpy.arange(out_size)[:, None], index.shape)[keep]
    sources, weight = index[keep], weight[keep]
    order = numpy.argsort(sources, kind="stable")
    rows, sources, weight = rows[order], sources[order], weight[order]
    counts = numpy.bincount(sources, minlength=in_size)
    rank = numpy.arange(len(sources)) - (numpy.cumsum(counts) - counts)[sources]
    width = max(int(counts.max()), 1)
    t_index = numpy.zeros((in_size, width), numpy.int64)
    t_weight, t_valid = numpy.zeros((in_size, width)), numpy.zeros((in_size, width), bool)
    t_index[sources, rank], t_weight[sources, rank], t_valid[sources, rank] = rows, weight, True
    return t_index, t_weight, t_valid


def _apply_taps(where, backend, x, axis, taps, dtype):
    """``sum_k weight[j, k] * x[index[j, k]]`` along ``axis`` of ``x``, over the valid
    taps, added in tap order: one ``take`` per tap (gathering every tap at once and summing
    over them was 2-3x slower for the two taps of a linear mode)."""
    index, weight, valid = taps
    xp, out_size = backend.xp, len(index)
    shape = (*x.shape[:axis], out_size, *x.shape[axis + 1 :])
    nbytes = 2 * math.prod(shape) * xp.dtype(dtype).itemsize  # the sum and one tap
    check_fits(where, backend, f"the taps of shape {shape}", nbytes)
    broadcast = (out_size,) + (1,) * (x.ndim - axis - 1)
    result = None
    for k in range(index.shape[1]):
        term = xp.take(x, backend.asarray(index[:, k]), axis=axis)
        if weight is not None:
            term *= backend.asarray(weight[:, k].astype(dtype).reshape(broadcast))
        if valid is not None:
            term = xp.where(backend.asarray(valid[:, k].reshape(broadcast)), term, 0.0)
        if result is None:
            result = term
        else:
            result += term
    return result


@kernel
def interpolate(
    input,
    size=None,
    scale_factor=None,
    mode: str = "nearest",
    align_corners=None,
    recompute_scale_factor=None,
    antialias: bool = False,
):
    r"""Resize the spatial dimensions of ``input``, as ``torch.nn.functional.interpolate``.

    Args:
        input: float array of shape (N, C, L), (N, C, H, W) or (N, C, D, H, W); uint8 too
            in the nearest modes, as PyTorch's.
        size: output spatial size, an int or one int per spatial dimension.
        scale_factor: multiplier of the spatial size, a number or one per dimension; the
            output size is ``floor(in * scale_factor)``. Exactly one of ``size`` and
            ``scale_factor`` is given.
        mode: ``'nearest'``, ``'nearest-exact'``, ``'linear'`` (3-D input), ``'bilinear'``
            (4-D), ``'bicubic'`` (4-D; Keys' cubic convolution with ``A = -0.75``, the 4
            taps clamped to the input, so values may overshoot the input's range),
            ``'trilinear'`` (5-D) or ``'area'`` (adaptive average pooling to the output
            size, as :func:`adaptive_avg_pool2d`). Default: ``'nearest'``. As PyTorch, a
            linear mode copies an axis whose output size equals its input size, whatever
            the scale, and ``'nearest'`` does so (and reads ``j // 2`` at twice the size)
            only on 4-D inputs.
        align_corners: interpolating modes (linear, bilinear, bicubic, trilinear) only: map
            the corner pixels' centres onto each other (source ``j * (in - 1) / (out - 1)``)
            instead of the pixel areas' edges (``(j + 0.5) * in / out - 0.5``).
            Default: ``None`` (``False``).
        recompute_scale_factor: with ``scale_factor``, compute the sources from the integer
            output size (``in / out``) instead of from ``1 / scale_factor``. Default: ``None``.
        antialias: ``'bilinear'`` and ``'bicubic'`` only: when downsampling, widen the
            filter (a triangle, or Keys' kernel with ``A = -0.5``) by the ratio ``in / out``
            and normalise it at the borders, as PyTorch's ``_upsample_bilinear2d_aa``; an
            axis whose size is kept is copied. Default: ``False``.

    Shape:
        - Input: (N, C, *spatial), 1 to 3 spatial dimensions.
        - Output: (N, C, *size), with ``size = floor(spatial * scale_factor)`` when
          ``scale_factor`` is given.

    Returns:
        Array of shape (N, C, *size) in the dtype of ``input``.

    Raises:
        ValueError: a bad mode or rank (also PyTorch's NotImplementedError), both or
            neither of size and scale_factor, a zero size or channel count (but for
            ``'area'``; the batch may be 0), a ``scale_factor`` that is not finite and
            positive or overflows the size, ``align_corners`` with a nearest mode or
            ``'area'``, ``antialias`` with another mode than bilinear and bicubic.
        TypeError: a ``size`` that is not ints, an ``align_corners`` that is not a bool, an
            integer input (uint8 in a nearest mode excepted).
        MemoryError: an output larger than the backend can allocate.

    Note:
        PyTorch 2.13's CPU ``antialias=True`` gives wrong values along H when the output
        width is 1 (it reads the first row only); xpnet computes what it computes for a
        wider output.

    Example:
        >>> interpolate(xp.asarray([[[1.0, 2.0]]]), scale_factor=2, mode="linear")
        array([[[1.  , 1.25, 1.75, 2.  ]]])
        >>> interpolate(xp.asarray([[[[0.0, 1.0]]]]), size=(1, 4), mode="bicubic")[0, 0]
        array([[-0.10546875,  0.2265625 ,  0.7734375 ,  1.10546875]])
    """
    # the array checks first: a list or a float gets TypeError, as every kernel
    require_arrays("interpolate", input=input)
    backend = _input_backend(input, mode)
    options = (mode, align_corners, recompute_scale_factor, antialias)
    plan = _plan("interpolate", input, size, scale_factor, *options)
    outs = tuple(out for _, out, _ in plan)
    if mode == "area":
        return adaptive_avg_pool("interpolate", len(plan), input, outs)
    xp, itemsize = backend.xp, input.dtype.itemsize
    out_shape = input.shape[:2] + outs
    what = f"an output of shape {out_shape}"
    check_fits("interpolate", backend, what, 2 * math.prod(out_shape) * itemsize)
    # uint8 (nearest modes only) moves its values in float32, exactly
    dtype = xp.float32 if input.dtype == xp.uint8 else compute_dtype(xp, input.dtype)
    x = input.astype(dtype, copy=False)
    shortcuts = len(plan) == 2  # only PyTorch's nearest2d forward takes them
    for axis, plan_axis in enumerate(plan, start=2):
        if antialias and plan_axis[0] == plan_axis[1]:
            continue  # ATen's separable antialiased resize skips a kept axis, whatever the scale
        taps = _axis_taps(mode, plan_axis, align_corners, antialias, shortcuts)
        x = _apply_taps("interpolate", backend, x, axis, taps, dtype)
    return xp.asarray(x).astype(input.dtype, copy=False)


@kernel
def interpolate_backward(
    grad_output,
    input,
    size=None,
    scale_factor=None,
    mode: str = "nearest",
    align_corners=None,
    recompute_scale_factor=None,
    antialias: bool = False,
):
    """Gradient of :func:`interpolate` with respect to ``input``: per axis, in reverse, each
    output's gradient goes back to its taps, with the forward's weights (``'area'``: as
    :func:`adaptive_avg_pool2d_backward`).

    The adjoint of :func:`interpolate` always. PyTorch's backward is not where
    ``scale_factor`` (such as 1.1 or 2.1) keeps or doubles an axis: its ``'nearest'`` on 3-D
    and 5-D inputs sends the gradient to ``j`` or ``j // 2``, where its forward read other
    inputs; its ``'bicubic'`` copies the gradient when every size is kept, and its
    antialiased modes interpolate a kept axis, where their forwards interpolate at
    ``1 / scale_factor`` and copy."""
    where = "interpolate_backward"
    require_arrays(where, input=input)
    backend = array_backend(where, input=input, grad_output=grad_output)
    options = (mode, align_corners, recompute_scale_factor, antialias)
    plan = _plan(where, input, size, scale_factor, *options)
    outs = tuple(out for _, out, _ in plan)
    if mode == "area":
        return adaptive_avg_pool_backward(where, len(plan), grad_output, input, outs)
    check_grad_output(where, grad_output, input.shape[:2] + outs, input.dtype)
    xp = backend.xp
    dtype = compute_dtype(xp, input.dtype)
    grad = grad_output.astype(dtype, copy=False)
    shortcuts = len(plan) == 2  # as the forward's, unlike PyTorch's nearest1d/3d backward
    taps = [_axis_taps(mode, p, align_corners, antialias, shortcuts) for p in plan]
    if mode == "bicubic" and not antialias and all(map(_is_copy, taps, input.shape[2:])):
        # PyTorch copies (an inf stays put) where the taps are 1 * x[j] + 0 * neighbours
        return xp.ascontiguousarray(grad).astype(input.dtype, copy=True)
    for axis in reversed(range(len(plan))):  # the adjoint: axes in reverse order
        in_size, out_size, _ = plan[axis]
        if antialias and in_size == out_size and not _is_copy(taps[axis], in_size):
            continue  # the forward copied this axis
        adjoint = _transposed(taps[axis], in_size)
        grad = _apply_taps(where, backend, grad, axis + 2, adjoint, dtype)
    return xp.ascontiguousarray(grad).astype(input.dtype, copy=False)
