"""Sampling at given points: ``grid_sample`` (bilinear, nearest, bicubic; zeros, border and
reflection padding) and its backward function; :mod:`.affine_grid` builds the grids.

Each spatial axis turns its grid coordinate into taps, ``(index, valid, weight, weight')``:
two for bilinear, one for nearest (round half to even), four for bicubic (Keys' kernel,
``A = -0.75``). A sample is the sum over every combination of one tap per axis of the input
gathered there times the product of the weights (gathers with ``take``: no scatter). The
coordinate rules are PyTorch's CPU kernels': the vectorized 2-D ones
(``cpu/GridSamplerKernel.cpp``: ``ComputeLocation``) and the scalar 3-D ones (``GridSampler.h``,
``grid_sampler_3d_cpu_impl``), which differ in rounding (the 2-D one's FMA) and for NaN and
inf coordinates (see :func:`grid_sample`). The input gradient sums, per input pixel, the
contributions of every tap that read it: the taps are sorted by pixel, summed by a segmented
scan in ``log2`` passes and each pixel reads its segment's total (gathers and a sort only:
deterministic on every backend, no host sync).
"""

from __future__ import annotations

import itertools
import math

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
from ._interpolate_cubic import keys_inner, keys_outer

__all__ = ["grid_sample", "grid_sample_backward"]

_MODES = ("bilinear", "nearest", "bicubic")
_PADDINGS = ("zeros", "border", "reflection")
_CUBIC_A = -0.75  # as PyTorch's GridSamplerKernel.cpp and UpSampleBicubic2d


def _check_options(where, mode, padding_mode, align_corners):
    if mode not in _MODES:
        msg = f"{where}: expected mode to be 'bilinear', 'nearest' or 'bicubic', but got: {mode!r}"
        raise ArgumentError(msg)
    if padding_mode not in _PADDINGS:
        msg = (
            f"{where}: expected padding_mode to be 'zeros', 'border', or 'reflection', "
            f"but got: {padding_mode!r}"
        )
        raise ArgumentError(msg)
    if align_corners is not None and not isinstance(align_corners, bool):
        msg = (
            f"{where}: align_corners must be None or a bool, got "
            f"{type(align_corners).__name__} {align_corners!r}"
        )
        raise TypeError(msg)


def _check_call(where, input, grid, mode, padding_mode, align_corners, grad_output=None):
    """The backend and the number of spatial axes, after PyTorch's checks."""
    require_arrays(where, input=input, grid=grid)
    backend = array_backend(where, input=input, grid=grid, grad_output=grad_output)
    _check_options(where, mode, padding_mode, align_corners)
    check_ndim(where, "input", input, (4, 5), "(N, C, H, W) or (N, C, D, H, W)")
    dim = input.ndim - 2
    if grid.ndim != input.ndim:
        msg = (
            f"{where}: expected {input.ndim}D input and grid with same number of dimensions, "
            f"but got input with shape {input.shape} and grid with shape {grid.shape}"
        )
        raise ArgumentError(msg)
    if grid.shape[-1] != dim or grid.shape[0] != input.shape[0]:
        msg = (
            f"{where}: expected grid of shape (N, *out, {dim}) with N = {input.shape[0]} as "
            f"input's batch, got grid with shape {grid.shape}"
        )
        raise ArgumentError(msg)
    if mode == "bicubic" and dim != 2:
        msg = f"{where}: bicubic interpolation only supports 4D input, got shape {input.shape}"
        raise ArgumentError(msg)
    if 0 in input.shape[2:]:
        msg = f"{where}: expected input to have non-empty spatial dimensions, got {input.shape}"
        raise ArgumentError(msg)
    return backend, dim


def _unnormalize(xp, g, size, align_corners, vectorized):
    """Grid coordinate in [-1, 1] to pixels; its derivative is the returned scale. The 2-D
    (``vectorized``, FMA) and 3-D kernels round differently; both are kept, so that the
    ties of 'nearest' and the floors fall as PyTorch's."""
    if align_corners:
        scale = (size - 1) / 2
        x = (g + 1) * scale if vectorized else ((g + 1) / 2) * (size - 1)
    else:
        scale = size / 2
        x = fused_multiply_add(xp, g + 1, scale, -0.5) if vectorized else ((g + 1) * size - 1) / 2
    return x, scale


def _clip(xp, x, size, vectorized):
    """``x`` clamped into [0, size - 1] and its derivative (0 on the borders, as PyTorch).
    A NaN becomes 0 in the 2-D kernel (``clamp_min(Vec(0), x)``), ``size - 1`` in the 3-D
    one (``std::min(size - 1, std::max(x, 0))``)."""
    high = float(size - 1)
    clipped = xp.minimum(xp.maximum(x, 0.0), high)
    clipped = xp.where(xp.isnan(x), 0.0 if vectorized else high, clipped)
    inside = (x > 0.0) & (x < high)
    return clipped, inside


def _reflect(xp, x, size, align_corners):
    """``x`` reflected by the borders (at the corner pixels' centres with ``align_corners``,
    else at their edges) as ``ComputeLocationBase::reflect_coordinates_get_grad``; and the
    derivative's sign. inf gives NaN, as there."""
    low, twice_span = (0.0, 2.0 * (size - 1)) if align_corners else (-0.5, 2.0 * size)
    if twice_span == 0:  # one pixel with align_corners: everything reflects onto it
        return xp.zeros_like(x), xp.zeros_like(x)
    shifted = x - low
    distance = xp.abs(shifted)
    extra = distance - xp.trunc(distance / twice_span) * twice_span
    flipped = twice_span - extra
    one_more = extra > flipped
    sign = xp.where(one_more != (shifted < 0), -1.0, 1.0)
    return xp.where(one_more, flipped, extra) + low, sign


def _place(xp, x, size, padding_mode, align_corners, vectorized):
    """The padding rule on pixel coordinates ``x``: ``(x', dx'/dx)``."""
    if padding_mode == "zeros":
        return x, 1.0
    sign = 1.0
    if padding_mode == "reflection":
        x, sign = _reflect(xp, x, size, align_corners)
    x, inside = _clip(xp, x, size, vectorized)
    return x, xp.where(inside, sign, 0.0)


def _index(xp, position, size):
    """Integer index of float ``position`` (already integral) and whether it is a pixel:
    NaN, inf and far-away positions are not (PyTorch's int casts send them out of range)."""
    valid = (position >= 0) & (position < size)
    return xp.where(valid, position, 0.0).astype(xp.int64), valid


def _cubic(xp, t):
    """Keys' cubic convolution weights of the taps at offsets -1, 0, 1, 2 from
    ``floor(x)``, ``t = x - floor(x)``, and their derivatives in ``t``
    (``get_cubic_coefficients`` and ``_grad`` in ``GridSamplerKernel.cpp``)."""
    a = _CUBIC_A

    def outer(s):  # 1 <= s <= 2
        return keys_outer(s, a), (3 * a * s - 10 * a) * s + 8 * a

    def inner(s):  # 0 <= s <= 1
        return keys_inner(s, a), (3 * (a + 2) * s - 2 * (a + 3)) * s

    taps = [outer(t + 1), inner(t), inner(1 - t), outer(2 - t)]
    signs = (1, 1, -1, -1)  # d s / d t
    return [(w, sign * dw) for (w, dw), sign in zip(taps, signs, strict=True)]


def _axis_taps(xp, g, size, mode, padding_mode, align_corners, vectorized):
    """The taps of one axis: ``[(index, valid, weight, d weight / d g), ...]``."""
    x, scale = _unnormalize(xp, g, size, align_corners, vectorized)
    if mode == "bicubic":  # the padding applies to each tap, not to the weights
        floor = xp.floor(x)
        taps = []
        for offset, (w, dw) in zip((-1, 0, 1, 2), _cubic(xp, x - floor), strict=True):
            position, _ = _place(xp, floor + offset, size, padding_mode, align_corners, True)
            index, valid = _index(xp, xp.trunc(position), size)
            taps.append((index, valid, w, dw * scale))
        return taps
    x, slope = _place(xp, x, size, padding_mode, align_corners, vectorized)
    if mode == "nearest":
        index, valid = _index(xp, xp.round(x), size)  # round half to even, as nearbyint
        return [(index, valid, 1.0, 0.0)]
    floor = xp.floor(x)
    right = x - floor
    first, first_valid = _index(xp, floor, size)
    second, second_valid = _index(xp, floor + 1, size)
    derivative = slope * scale
    return [
        (first, first_valid, 1.0 - right, -derivative),
        (second, second_valid, right, derivative),
    ]


def _terms(xp, grid, sizes, mode, padding_mode, align_corners):
    """Every combination of one tap per axis: ``(flat index, valid, weight, [d weight / d
    grid[..., k] for each k])``, each ``(N, P)`` or a number; ``grid`` is ``(N, P, dim)``."""
    dim, vectorized = len(sizes), len(sizes) == 2
    taps = [
        _axis_taps(
            xp, grid[..., dim - 1 - axis], size, mode, padding_mode, align_corners, vectorized
        )
        for axis, size in enumerate(sizes)
    ]
    terms = []
    for combination in itertools.product(*taps):
        flat, valid, weight = 0, True, 1.0
        for (index, tap_valid, tap_weight, _), size in zip(combination, sizes, strict=True):
            flat, valid, weight = flat * size + index, valid & tap_valid, weight * tap_weight
        slopes = []
        for k in range(dim):  # grid[..., k] moves the taps of spatial axis dim - 1 - k
            slope = 1.0
            for axis, (_, _, tap_weight, tap_slope) in enumerate(combination):
                slope = slope * (tap_slope if axis == dim - 1 - k else tap_weight)
            slopes.append(slope)
        terms.append((flat, valid, weight, slopes))
    return terms


def _gather(xp, rows, flat, valid, pixels):
    """Input values at ``flat`` (N, P) from ``rows`` (N * pixels, C): (N, P, C), 0 where
    not ``valid``."""
    N, P = flat.shape
    batch = xp.arange(N, dtype=xp.int64).reshape(N, 1) * pixels
    values = xp.take(rows, (flat + batch).reshape(N * P), axis=0).reshape(N, P, rows.shape[1])
    return xp.where(valid[..., None], values, 0.0)


def _prepare(xp, input, grid, dtype):
    """``rows`` (N * pixels, C), the grid as (N, P, dim), both in ``dtype``."""
    (N, C), pixels, P = input.shape[:2], math.prod(input.shape[2:]), math.prod(grid.shape[1:-1])
    rows = xp.moveaxis(input.astype(dtype, copy=False).reshape(N, C, pixels), 1, 2)
    flat_grid = grid.astype(dtype, copy=False).reshape(N, P, grid.shape[-1])
    return xp.ascontiguousarray(rows).reshape(N * pixels, C), flat_grid


def _check_size(where, backend, input, grid, mode):
    (N, C), points = input.shape[:2], math.prod(grid.shape[1:-1])
    taps = {"bilinear": 2, "nearest": 1, "bicubic": 4}[mode] ** (input.ndim - 2)
    nbytes = 4 * N * points * max(C, 1) * taps * input.dtype.itemsize + 8 * N * points * taps
    check_fits(where, backend, f"the taps of {N * points} points", nbytes)


def _sum_by_pixel(xp, targets, values, pixels):
    """``(N, pixels, C)``: per batch and pixel, the sum of the ``values`` (N, M, C) whose
    ``targets`` (N, M) name it (``pixels``: none). Sorted by pixel, then a segmented
    Hillis-Steele scan (each element adds the one ``d`` before it while both belong to one
    pixel, ``d = 1, 2, 4, ...``) leaves each pixel's total at its run's last element, which
    ``searchsorted`` finds: a fixed summation order, no scatter, no host sync."""
    N, M, C = values.shape
    if N * M == 0:
        return xp.zeros((N, pixels, C), dtype=values.dtype)
    batch = xp.arange(N, dtype=xp.int64).reshape(N, 1) * (pixels + 1)
    keys = (targets + batch).reshape(-1)
    order = xp.argsort(keys, kind="stable")
    keys = xp.take(keys, order)
    summed = xp.take(values.reshape(N * M, C), order, axis=0)  # (N * M, C)
    step = 1
    while step < N * M:
        same = (keys[step:] == keys[:-step])[:, None]
        summed = xp.concatenate([summed[:step], summed[step:] + xp.where(same, summed[:-step], 0)])
        step *= 2
    wanted = xp.arange(N * (pixels + 1), dtype=xp.int64)
    last = xp.maximum(xp.searchsorted(keys, wanted, side="right") - 1, 0)
    found = (xp.take(keys, last) == wanted)[:, None]
    totals = xp.where(found, xp.take(summed, last, axis=0), 0)
    return totals.reshape(N, pixels + 1, C)[:, :pixels]


@kernel
def grid_sample(
    input,
    grid,
    mode: str = "bilinear",
    padding_mode: str = "zeros",
    align_corners: bool | None = None,
):
    r"""Sample ``input`` at the points of ``grid``, as ``torch.nn.functional.grid_sample``.

    ``grid[n, ..., :]`` holds a point's ``(x, y)`` (4-D input) or ``(x, y, z)`` (5-D) in
    ``[-1, 1]``: ``x = -1`` is the left edge of the input (``align_corners=False``) or the
    centre of its left pixel (``True``), ``x = 1`` the right one.

    Args:
        input: array of shape (N, C, H_in, W_in) or (N, C, D_in, H_in, W_in).
        grid: array of shape (N, H_out, W_out, 2) or (N, D_out, H_out, W_out, 3), the dtype
            of ``input``.
        mode: ``'bilinear'``, ``'nearest'`` (ties round to even) or ``'bicubic'`` (4-D
            only; Keys' kernel with ``A = -0.75``). Default: ``'bilinear'``.
        padding_mode: what points outside the input read: ``'zeros'``, ``'border'`` (the
            nearest border pixel) or ``'reflection'`` (reflected by the borders).
            Default: ``'zeros'``.
        align_corners: whether -1 and 1 are the corner pixels' centres rather than their
            outer edges. Default: ``None``, which is ``False`` (without PyTorch's warning).

    Shape:
        - Output: (N, C, H_out, W_out) or (N, C, D_out, H_out, W_out).

    Returns:
        Array in the dtype of ``input``.

    As PyTorch's CPU kernels, NaN and inf grid coordinates give: on 4-D inputs, NaN with
    bilinear and bicubic (any padding for bicubic, 'zeros' for bilinear), 0 with nearest
    and 'zeros', the first pixel of the axis with 'border' or 'reflection' (a NaN clamps to
    0); on 5-D inputs, 0 with 'zeros' and the last pixel with 'border' or 'reflection'.

    Raises:
        ValueError: a bad mode or padding mode, ranks or shapes that do not match, bicubic
            on a 5-D input, an input with an empty spatial dimension.
        TypeError: non-arrays, mixed dtypes, an ``align_corners`` that is not a bool.
        MemoryError: taps larger than the backend can hold.

    Example:
        >>> x = xp.asarray([[[[1.0, 2.0], [3.0, 4.0]]]])
        >>> grid_sample(x, xp.asarray([[[[0.0, 0.0], [1.0, -1.0]]]]), align_corners=True)
        array([[[[2.5, 2. ]]]])
    """
    where = "grid_sample"
    backend, _ = _check_call(where, input, grid, mode, padding_mode, align_corners)
    _check_size(where, backend, input, grid, mode)
    xp, dtype = backend.xp, compute_dtype(backend.xp, input.dtype)
    (N, C), sizes = input.shape[:2], input.shape[2:]
    rows, points = _prepare(xp, input, grid, dtype)
    pixels, vectorized = math.prod(sizes), len(sizes) == 2
    output = xp.zeros((N, points.shape[1], C), dtype=dtype)
    for flat, valid, weight, _ in _terms(xp, points, sizes, mode, padding_mode, align_corners):
        values = _gather(xp, rows, flat, valid, pixels)
        if vectorized:  # masked values times the weights: a NaN weight gives NaN
            output = output + values * xp.asarray(weight, dtype=dtype)[..., None]
        else:  # the 3-D kernel adds only the pixels inside
            term = values * xp.asarray(weight, dtype=dtype)[..., None]
            output = output + xp.where(valid[..., None], term, 0)
    output = xp.moveaxis(output, 2, 1).reshape(N, C, *grid.shape[1:-1])
    return xp.ascontiguousarray(output).astype(input.dtype, copy=False)


@kernel
def grid_sample_backward(
    grad_output,
    input,
    grid,
    mode: str = "bilinear",
    padding_mode: str = "zeros",
    align_corners: bool | None = None,
):
    """Gradients of :func:`grid_sample` with respect to ``input`` and ``grid``.

    Each point's gradient goes back to the pixels it read, times their weights (summed per
    pixel in a fixed order); the grid's is the derivative of the weights, times the
    padding's slope (0 on a clamped border; the sign of a reflection), and 0 for
    ``'nearest'``. Bicubic's is the weights' derivative alone, as PyTorch's.

    Returns:
        ``(grad_input, grad_grid)``, shaped as ``input`` and ``grid``.
    """
    where = "grid_sample_backward"
    backend, dim = _check_call(
        where, input, grid, mode, padding_mode, align_corners, grad_output=grad_output
    )
    (N, C), sizes = input.shape[:2], input.shape[2:]
    check_grad_output(where, grad_output, (N, C, *grid.shape[1:-1]), input.dtype)
    _check_size(where, backend, input, grid, mode)
    xp, dtype = backend.xp, compute_dtype(backend.xp, input.dtype)
    rows, points = _prepare(xp, input, grid, dtype)
    P = points.shape[1]
    go = xp.moveaxis(grad_output.astype(dtype, copy=False).reshape(N, C, P), 1, 2)  # (N, P, C)
    pixels, vectorized = math.prod(sizes), dim == 2
    grad_points = [xp.zeros(points.shape[:2], dtype=dtype) for _ in range(dim)]
    targets, contributions = [], []
    for flat, valid, weight, slopes in _terms(xp, points, sizes, mode, padding_mode, align_corners):
        weight = xp.asarray(weight, dtype=dtype)[..., None]
        targets.append(xp.where(valid, flat, pixels))
        contributions.append(xp.broadcast_to(go * weight, go.shape))
        if mode == "nearest":  # the grid's gradient is exactly 0, as PyTorch's
            continue
        values = _gather(xp, rows, flat, valid, pixels) * go
        for k, slope in enumerate(slopes):
            term = (values * xp.asarray(slope, dtype=dtype)[..., None]).sum(axis=2)
            grad_points[k] = grad_points[k] + (term if vectorized else xp.where(valid, term, 0))
    targets = xp.stack(targets, axis=2).reshape(N, P * len(targets))  # (N, P * taps)
    contributions = xp.stack(contributions, axis=2).reshape(N, targets.shape[1], C)
    grad_rows = _sum_by_pixel(xp, targets, contributions, pixels)  # (N, pixels, C)
    grad_input = xp.moveaxis(grad_rows, 2, 1).reshape(input.shape)
    grad_grid = xp.stack(grad_points, axis=2).reshape(grid.shape)
    return (
        xp.ascontiguousarray(grad_input).astype(input.dtype, copy=False),
        grad_grid.astype(grid.dtype, copy=False),
    )
