"""Resizing: ``interpolate`` (nearest, nearest-exact, linear, bilinear, trilinear) and its
backward function.

Every mode is separable: the output is computed one spatial axis at a time, each output
position reading one source (nearest) or two neighbours with weights ``1 - l, l`` (linear),
with PyTorch's source-index rules (``area_pixel_compute_source_index`` and
``nearest_idx`` in ATen's ``UpSample.h``). The sources are built on the host from the sizes
alone (no device sync) and gathered with ``take``, so a NaN reaches only the outputs that
read it, as in PyTorch. The backward is the adjoint, per axis in reverse: each source sums
the gradients of the outputs that read it, gathered in a few passes (no scatter, so it is
deterministic on every backend).
"""

from __future__ import annotations

import math
import numbers

import numpy

from ._blocks import check_fits, compute_dtype
from ._checks import (
    ArgumentError,
    array_backend,
    check_grad_output,
    check_ndim,
    kernel,
    require_arrays,
)
from ._exact_arithmetic import fused_multiply_add

__all__ = ["interpolate", "interpolate_backward"]

_LINEAR = {"linear": 3, "bilinear": 4, "trilinear": 5}  # mode -> the input rank it needs
_NEAREST = ("nearest", "nearest-exact")
_OTHER = ("bicubic", "area")


def _per_axis(where, name, value, dim, kind):
    """``value`` as a list of ``dim`` numbers (a scalar is repeated), checked by kind."""
    items = list(value) if isinstance(value, (tuple, list)) else [value] * dim
    if len(items) != dim:
        msg = f"{where}: {name} must have one entry per spatial dimension ({dim}), got {value!r}"
        raise ArgumentError(msg)
    for item in items:
        ok = isinstance(item, kind) and not isinstance(item, bool)
        if not ok:
            msg = f"{where}: {name} must hold {kind.__name__}s, got {value!r}"
            raise TypeError(msg)
    return items


def _check_mode(where, input, mode, align_corners, antialias):
    if mode in _OTHER or antialias:
        what = f"mode={mode!r}" if mode in _OTHER else "antialias=True"
        msg = f"{where}: {what} is not implemented; use 'nearest' or a linear mode"
        raise NotImplementedError(msg)
    if mode not in _NEAREST and mode not in _LINEAR:
        choices = ", ".join(repr(m) for m in (*_NEAREST, *_LINEAR))
        msg = f"{where}: mode must be one of {choices}, got {mode!r}"
        raise ArgumentError(msg)
    if mode in _LINEAR and input.ndim != _LINEAR[mode]:
        msg = f"{where}: mode={mode!r} needs a {_LINEAR[mode]}-D input, got shape {input.shape}"
        raise ArgumentError(msg)
    if mode in _NEAREST and align_corners is not None:
        msg = (
            f"{where}: align_corners can only be set with the linear modes, got "
            f"align_corners={align_corners!r} with mode={mode!r}"
        )
        raise ArgumentError(msg)
    if align_corners is not None and not isinstance(align_corners, bool):
        # PyTorch's argument parser takes only a Python bool: not 1, 1.0 or numpy.bool_
        msg = (
            f"{where}: align_corners must be None or a bool, got "
            f"{type(align_corners).__name__} {align_corners!r}"
        )
        raise TypeError(msg)


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
    if not all(math.isfinite(size) for size in sizes):  # e.g. 5 * 1e308
        msg = f"{where}: scale_factor={scale_factor!r} overflows the output size of {spatial}"
        raise ArgumentError(msg)
    return [math.floor(size) for size in sizes], scales


def _plan(where, input, size, scale_factor, mode, align_corners, recompute, antialias):
    """``[(in_size, out_size, scale or None), ...]`` per spatial axis, as PyTorch's rules;
    ``input`` already checked to be an array."""
    check_ndim(where, "input", input, (3, 4, 5), "(N, C, *spatial) with 1 to 3 spatial")
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
    if any(n <= 0 for n in spatial) or any(s <= 0 for s in sizes):
        msg = (
            f"{where}: input and output sizes must be greater than 0, got input "
            f"{tuple(spatial)} and output {tuple(sizes)}"
        )
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


def _linear_sources(in_size, out_size, scale, align_corners):
    """``(i0, i1, l1)``: the two neighbours and the weight of the second, as PyTorch's
    ``area_pixel_compute_scale`` and ``compute_source_index_and_lambda``."""
    j = numpy.arange(out_size, dtype=numpy.float64)
    if out_size == in_size:
        # ``compute_source_index_and_lambda`` copies, whatever the scale: both neighbours
        # are ``j`` with weights (1, 0), so an inf becomes ``inf + 0 * inf = NaN`` as there
        index = j.astype(numpy.int64)
        return index, index, numpy.zeros(out_size)
    if align_corners:
        ratio = (in_size - 1) / (out_size - 1) if out_size > 1 else 0.0
        source = ratio * j
    else:
        ratio = 1.0 / scale if scale else in_size / out_size
        # PyTorch's kernels are compiled with FMA contraction, and ``ratio * (j + 0.5) - 0.5``
        # rounded once decides whether a weight is exactly 0 (where inf * 0 is a NaN)
        source = numpy.maximum(fused_multiply_add(numpy, j + 0.5, ratio, -0.5), 0.0)
    # guard_index_and_lambda floors in float32 (floorf), then clamps the weight to [0, 1]
    floor = numpy.floor(source.astype(numpy.float32)).astype(numpy.int64)
    i0 = numpy.minimum(floor, in_size - 1)
    i1 = numpy.minimum(i0 + 1, in_size - 1)
    return i0, i1, numpy.clip(source - i0, 0.0, 1.0)


def _axis_sources(mode, in_size, out_size, scale, align_corners, shortcuts):
    """``(i0, i1, l1)`` of one axis; ``i1, l1`` are None for nearest, which takes
    ``nearest_idx``'s shortcuts if ``shortcuts``."""
    if mode in _NEAREST:
        exact = mode == "nearest-exact"
        return _nearest_sources(in_size, out_size, scale, exact, shortcuts), None, None
    return _linear_sources(in_size, out_size, scale, bool(align_corners))


def _shaped(backend, values, axis, ndim, dtype):
    """A host vector as a backend array that broadcasts along ``axis`` of an ndim array."""
    shape = [1] * ndim
    shape[axis] = -1
    return backend.asarray(values.astype(dtype).reshape(shape))


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
        input: array of shape (N, C, L), (N, C, H, W) or (N, C, D, H, W).
        size: output spatial size, an int or one int per spatial dimension.
        scale_factor: multiplier of the spatial size, a number or one per dimension; the
            output size is ``floor(in * scale_factor)``. Exactly one of ``size`` and
            ``scale_factor`` is given.
        mode: ``'nearest'``, ``'nearest-exact'``, ``'linear'`` (3-D input), ``'bilinear'``
            (4-D) or ``'trilinear'`` (5-D). Default: ``'nearest'``. As PyTorch, a linear
            mode copies an axis whose output size equals its input size, whatever the
            scale, and ``'nearest'`` does so (and reads ``j // 2`` at twice the size) only
            on 4-D inputs.
        align_corners: linear modes only: map the corner pixels' centres onto each other
            (source ``j * (in - 1) / (out - 1)``) instead of the pixel areas' edges
            (``(j + 0.5) * in / out - 0.5``). Default: ``None`` (``False``).
        recompute_scale_factor: with ``scale_factor``, compute the sources from the integer
            output size (``in / out``) instead of from ``1 / scale_factor``. Default: ``None``.
        antialias: not implemented; must be ``False``.

    Returns:
        Array of shape (N, C, *size) in the dtype of ``input``.

    Raises:
        ValueError: a bad rank for the mode, both or neither of size and scale_factor, a
            zero output size, a ``scale_factor`` that is not finite and positive,
            ``align_corners`` with a nearest mode.
        TypeError: a ``size`` that is not ints, an ``align_corners`` that is not a bool.
        NotImplementedError: ``'bicubic'``, ``'area'``, ``antialias=True``.
        MemoryError: an output larger than the backend can allocate.

    Example:
        >>> interpolate(xp.asarray([[[1.0, 2.0]]]), scale_factor=2, mode="linear")
        array([[[1.  , 1.25, 1.75, 2.  ]]])
    """
    # the array checks first: a list or a float gets TypeError, as every kernel
    require_arrays("interpolate", input=input)
    backend = array_backend("interpolate", input=input)
    plan = _plan(
        "interpolate",
        input,
        size,
        scale_factor,
        mode,
        align_corners,
        recompute_scale_factor,
        antialias,
    )
    xp, itemsize = backend.xp, input.dtype.itemsize
    out_shape = input.shape[:2] + tuple(out for _, out, _ in plan)
    check_fits(
        "interpolate",
        backend,
        f"an output of shape {out_shape}",
        2 * math.prod(out_shape) * itemsize,
    )
    dtype = compute_dtype(xp, input.dtype)
    x = input.astype(dtype, copy=False)
    shortcuts = len(plan) == 2  # only PyTorch's nearest2d forward takes them
    for axis, (in_size, out_size, scale) in enumerate(plan, start=2):
        i0, i1, weight = _axis_sources(mode, in_size, out_size, scale, align_corners, shortcuts)
        first = xp.take(x, backend.asarray(i0), axis=axis)
        if i1 is None:
            x = first
            continue
        weight = _shaped(backend, weight, axis, x.ndim, dtype)
        x = first * (1.0 - weight) + xp.take(x, backend.asarray(i1), axis=axis) * weight
    return xp.asarray(x).astype(input.dtype, copy=False)


def _axis_adjoint(backend, grad, axis, in_size, sources, dtype):
    """The gradient of one axis's interpolation with respect to its input, ``in_size``
    long on ``axis``: each source sums the gradients of the outputs that read it, times
    their weights, and nothing else (so an inf gradient reaches only its own sources, as
    in PyTorch). ``sources`` are ``(index, weight)`` host pairs, the indices
    non-decreasing: the outputs reading source ``s`` are a contiguous run, and pass ``k``
    adds the ``k``-th output of every run (a gather, no scatter: deterministic)."""
    xp = backend.xp
    shape = list(grad.shape)
    shape[axis] = in_size
    grad_input = xp.zeros(shape, dtype=dtype)
    for index, weight in sources:
        counts = numpy.bincount(index, minlength=in_size)
        starts = numpy.cumsum(counts) - counts
        for k in range(int(counts.max())):  # in_size >= 1: never empty
            valid = k < counts
            position = numpy.where(valid, starts + k, 0)
            read = xp.take(grad, backend.asarray(position), axis=axis)
            factor = numpy.where(valid, weight[position], 0.0)
            read = read * _shaped(backend, factor, axis, grad.ndim, dtype)
            grad_input += xp.where(_shaped(backend, valid, axis, grad.ndim, bool), read, 0.0)
    return grad_input


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
    output's gradient goes back to its one or two sources, with the forward's weights.

    The adjoint of :func:`interpolate` always. PyTorch's ``'nearest'`` backward on 3-D and
    5-D inputs is not, where ``scale_factor`` (such as 1.1 or 2.1) keeps or doubles an axis:
    it sends the gradient to ``j`` or ``j // 2``, where its forward read other inputs."""
    where = "interpolate_backward"
    require_arrays(where, input=input)
    backend = array_backend(where, input=input, grad_output=grad_output)
    plan = _plan(
        where, input, size, scale_factor, mode, align_corners, recompute_scale_factor, antialias
    )
    out_shape = input.shape[:2] + tuple(out for _, out, _ in plan)
    check_grad_output(where, grad_output, out_shape, input.dtype)
    xp = backend.xp
    dtype = compute_dtype(xp, input.dtype)
    grad = grad_output.astype(dtype, copy=False)
    shortcuts = len(plan) == 2  # as the forward's, unlike PyTorch's nearest1d/3d backward
    for axis in reversed(range(len(plan))):  # the adjoint: axes in reverse order
        in_size, out_size, scale = plan[axis]
        i0, i1, weight = _axis_sources(mode, in_size, out_size, scale, align_corners, shortcuts)
        if i1 is None:
            sources = [(i0, numpy.ones(out_size))]
        else:
            sources = [(i0, 1.0 - weight), (i1, weight)]
        grad = _axis_adjoint(backend, grad, axis + 2, in_size, sources, dtype)
    return xp.ascontiguousarray(grad).astype(input.dtype, copy=False)
