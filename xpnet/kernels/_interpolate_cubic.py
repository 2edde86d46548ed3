"""The taps of :mod:`.interpolate`'s bicubic and antialiased modes, and the source positions
they share with its linear modes: host (NumPy) arrays built from the sizes alone.

A tap list of one axis is ``(index, weight, valid)``, each of shape (out_size, K): output
``j`` is ``sum_k weight[j, k] * x[index[j, k]]`` over the taps whose ``valid`` is true
(``valid`` is ``None`` where every tap counts, zero weights included, so an inf input gives
a NaN as in PyTorch). The formulas are ATen's: ``area_pixel_compute_scale``,
``area_pixel_compute_source_index``, ``guard_index_and_lambda`` and
``get_cubic_upsample_coefficients`` in ``aten/src/ATen/native/UpSample.h``;
``_compute_indices_min_size_weights_aa`` and the ``aa_filter``s in
``aten/src/ATen/native/cpu/UpSampleKernel.cpp``.
"""

from __future__ import annotations

import math

import numpy

from ._exact_arithmetic import fused_multiply_add

__all__ = [
    "antialias_taps",
    "cubic_taps",
    "keys_inner",
    "keys_outer",
    "pixel_ratio",
    "source_positions",
]

_CUBIC_A = -0.75  # upsample_bicubic2d's A (Keys' kernel)
_ANTIALIAS_CUBIC_A = -0.5  # _upsample_bicubic2d_aa's, as PIL's
_SUPPORT = {"bilinear": 1.0, "bicubic": 2.0}  # half the filter's width: interp_size / 2


def pixel_ratio(in_size, out_size, scale, align_corners):
    """Input pixels per output pixel, ``area_pixel_compute_scale``: ``(in - 1) / (out - 1)``
    with ``align_corners`` (0 for one output), else ``1 / scale`` or ``in / out``."""
    if align_corners:
        return (in_size - 1) / (out_size - 1) if out_size > 1 else 0.0
    return 1.0 / scale if scale else in_size / out_size


def source_positions(in_size, out_size, scale, align_corners, cubic):
    """``(i0, t)``: where each output reads, ``area_pixel_compute_source_index``, split as
    ``guard_index_and_lambda``: ``i0 = min(floorf(source), in - 1)`` (a float32 floor) and
    ``t = clip(source - i0, 0, 1)``. Without ``align_corners`` the source is
    ``ratio * (j + 0.5) - 0.5`` rounded once (ATen is compiled with FMA contraction), and
    clamped at 0 unless ``cubic``."""
    j = numpy.arange(out_size, dtype=numpy.float64)
    ratio = pixel_ratio(in_size, out_size, scale, align_corners)
    if align_corners:
        source = ratio * j
    else:
        source = fused_multiply_add(numpy, j + 0.5, ratio, -0.5)
        source = source if cubic else numpy.maximum(source, 0.0)
    i0 = numpy.minimum(numpy.floor(source.astype(numpy.float32)).astype(numpy.int64), in_size - 1)
    return i0, numpy.clip(source - i0, 0.0, 1.0)


def keys_inner(s, a):
    """Keys' cubic convolution kernel on ``0 <= s <= 1`` (ATen's ``cubic_convolution1``;
    also grid_sample's and the tensor transforms' bicubic), for host or device arrays."""
    return ((a + 2) * s - (a + 3)) * s * s + 1


def keys_outer(s, a):
    """Keys' cubic convolution kernel on ``1 <= s <= 2`` (ATen's ``cubic_convolution2``)."""
    return ((a * s - 5 * a) * s + 8 * a) * s - 4 * a


def cubic_taps(in_size, out_size, scale, align_corners):
    """The 4 taps of ``upsample_bicubic2d``: ``i0 - 1 .. i0 + 2`` clamped to ``[0, in - 1]``
    (a border pixel counts as often as it is clamped to), weighted by Keys' kernel with
    ``A = -0.75`` at distances ``t + 1, t, 1 - t, 2 - t``."""
    i0, t = source_positions(in_size, out_size, scale, align_corners, cubic=True)
    index = numpy.clip(i0[:, None] + numpy.arange(-1, 3), 0, in_size - 1)  # (out, 4)
    weight = numpy.stack(
        [
            keys_outer(t + 1.0, _CUBIC_A),
            keys_inner(t, _CUBIC_A),
            keys_inner(1.0 - t, _CUBIC_A),
            keys_outer(2.0 - t, _CUBIC_A),
        ],
        axis=1,
    )
    return index, weight, None


def _antialias_filter(mode, x):
    """The triangle (bilinear) or Keys' kernel with ``A = -0.5`` (bicubic), as
    ``HelperInterpLinear::aa_filter`` and ``HelperInterpCubic::aa_filter``."""
    x = numpy.abs(x)
    if mode == "bilinear":
        return numpy.maximum(1.0 - x, 0.0)
    a = _ANTIALIAS_CUBIC_A
    return numpy.where(x < 1.0, keys_inner(x, a), numpy.where(x < 2.0, keys_outer(x, a), 0.0))


def antialias_taps(mode, in_size, out_size, scale, align_corners):
    """The taps of ``_upsample_{mode}2d_aa``: the filter stretched by ``ratio`` when it is
    above 1 (downsampling), centred at ``ratio * (j + 0.5)``, cut to the input, normalised
    to sum 1. ``K = 2 * ceil(support) + 1`` taps per output, the first at
    ``xmin = max(trunc(centre - support + 0.5), 0)``, ``xsize`` of them valid."""
    ratio = pixel_ratio(in_size, out_size, scale, align_corners)
    support = _SUPPORT[mode] * ratio if ratio >= 1.0 else _SUPPORT[mode]
    taps = 2 * math.ceil(support) + 1
    inverse = 1.0 / ratio if ratio >= 1.0 else 1.0
    centre = ratio * (numpy.arange(out_size, dtype=numpy.float64) + 0.5)
    xmin = numpy.maximum(numpy.trunc(centre - support + 0.5).astype(numpy.int64), 0)
    xmax = numpy.minimum(numpy.trunc(centre + support + 0.5).astype(numpy.int64), in_size)
    xsize = numpy.clip(xmax - xmin, 0, taps)  # ATen clips the rare one-too-many too
    k = numpy.arange(taps)
    valid = k < xsize[:, None]  # (out, K)
    distance = ((k + xmin[:, None]) - centre[:, None] + 0.5) * inverse
    weight = numpy.where(valid, _antialias_filter(mode, distance), 0.0)
    total = numpy.cumsum(weight, axis=1)[:, -1:]  # summed in order, as ATen's loop
    weight = numpy.where(total != 0.0, weight / numpy.where(total != 0.0, total, 1.0), weight)
    return numpy.minimum(xmin[:, None] + k, in_size - 1), weight, valid
