"""torchvision v2's ``resize_image``: uint8 images resized by PyTorch's integer kernel.

torchvision v2 hands a uint8 tensor image to ``interpolate`` as it is for ``BILINEAR``,
``BICUBIC`` and ``LANCZOS`` on the CPU, where v1 resizes a float32 copy and rounds (and
refuses ``LANCZOS``). PyTorch's uint8 kernel
(Pillow-SIMD's algorithm) resizes the width, then the height, each pass to uint8: every
output is ``(2 ** (p - 1) + sum(pixel * weight)) >> p``, clamped to [0, 255], with the
interpolation weights rounded to integers of ``p`` bits (the most that keep the largest
weight within int16). Those roundings put ~15-25 % of the pixels one unit away from v1's
result, so this module follows the integer kernel step by step: its weights (antialiased
weights normalised per output as Pillow's; without antialias PyTorch's source indices, the
weights beyond the border folded onto the edge pixel, and the bicubic constant -0.75 instead
of Pillow's -0.5; Lanczos-3 antialiased only), the precision, and the two passes. Float
images with ``LANCZOS`` are resized in float32; other dtypes and modes, PIL images and
empty images take v1's :func:`~xpnet.data.transforms_functional.resize`.

torchvision resizes uint8 ``BILINEAR`` images in floats on x86 CPUs without AVX2 (its
``_do_native_uint8_resize_on_cpu``); this module always runs the integer kernel, as
torchvision does on AVX2, AVX-512 and ARM CPUs.

Example:
    >>> image = np.array([[[0, 255, 0, 255]]], dtype=np.uint8)
    >>> resize_image(image, [1, 2]).tolist()
    [[[109, 146]]]
"""

from __future__ import annotations

import math

import numpy

from ..backends import backend_of
from . import transforms_functional as F
from . import transforms_tensor as ft
from .transforms_modes import InterpolationMode

__all__ = ["integer_taps", "resize_image", "resize_uint8", "resized_crop_image"]

# the modes of the integer kernel (Lanczos-3 with antialias only)
_INTEGER_MODES = ("bilinear", "bicubic", "lanczos")


def _antialiased_weights(in_size, out_size, taps, kernel):
    """Pillow's weights, normalised per output: ``(first input index per output, weights
    (out, K), largest weight)``."""
    scale = in_size / out_size
    support = taps * 0.5 * scale if scale >= 1.0 else taps * 0.5
    count = math.ceil(support) * 2 + 1
    center = scale * (numpy.arange(out_size) + 0.5)
    invscale = 1.0 / scale if scale >= 1.0 else 1.0
    first = numpy.maximum(numpy.trunc(center - support + 0.5).astype(numpy.int64), 0)
    last = numpy.minimum(numpy.trunc(center + support + 0.5).astype(numpy.int64), in_size)
    size = numpy.clip(last - first, 0, count)
    offsets = numpy.arange(count)
    weights = kernel(((offsets + first[:, None]) - center[:, None] + 0.5) * invscale)
    weights = numpy.where(offsets < size[:, None], weights, 0.0)
    total = numpy.zeros(out_size)
    for k in range(count):  # in PyTorch's order: the normalisation rounds by it
        total = total + weights[:, k]
    nonzero = total != 0.0
    weights = numpy.where(
        nonzero[:, None], weights / numpy.where(nonzero, total, 1.0)[:, None], weights
    )
    largest = numpy.where(nonzero, weights.max(axis=1), 0.0)  # K >= 1 taps, out >= 1 rows
    return first, weights, float(largest.max())


def _plain_weights(in_size, out_size, taps, kernel):
    """PyTorch's weights without antialias: the source index as ``interpolate``'s, and the
    taps beyond the border added onto the edge pixel's weight."""
    scale = in_size / out_size
    source = scale * (numpy.arange(out_size) + 0.5) - 0.5
    if taps == 2:  # linear: no source index below 0
        source = numpy.maximum(source, 0.0)
    # guard_index_and_lambda: floorf, i.e. the float32 of the index, floored. Where that is
    # one above floor() (2 -> 98 pixels), the weights fold so that no output seen differs
    index = numpy.minimum(
        numpy.floor(source.astype(numpy.float32)).astype(numpy.int64), in_size - 1
    )
    lam = numpy.clip(source - index, 0.0, 1.0)
    support = taps // 2
    unbound_first = index - support + 1
    first = numpy.maximum(unbound_first, 0)
    size = numpy.clip(numpy.minimum(index + support + 1, in_size) - first, 0, taps)
    weights, rows = numpy.zeros((out_size, taps)), numpy.arange(out_size)
    slot, largest = numpy.zeros(out_size, numpy.int64), numpy.zeros(out_size)
    for j in range(taps):
        w = kernel(float(j + 1 - support) - lam)
        position = unbound_first + j
        slot = numpy.where(position <= 0, 0, numpy.where(position >= in_size - 1, size - 1, slot))
        weights[rows, slot] += w
        largest = numpy.maximum(largest, weights[rows, slot])
        slot = slot + 1
    return first, weights, float(largest.max())


def integer_taps(in_size: int, out_size: int, mode: str, antialias: bool):
    """PyTorch's integer taps of one axis: ``(first input index per output, int weights
    (out, K), precision p)``; the weights are the float ones times ``2 ** p``, rounded half
    away from zero."""
    # bicubic: Pillow's -0.5 with antialias; OpenCV's -0.75 without, closest to the float path
    cubic_a = -0.5 if antialias else -0.75
    taps, kernel = ft.resampling_filter(mode, numpy.dtype(numpy.float64), cubic_a)
    compute = _antialiased_weights if antialias else _plain_weights
    first, weights, largest = compute(in_size, out_size, taps, kernel)
    precision = 0
    while precision < 22 and int(0.5 + largest * (1 << (precision + 1))) < (1 << 15):
        precision += 1
    scaled = weights * (1 << precision)
    integers = numpy.trunc(numpy.where(scaled < 0, scaled - 0.5, scaled + 0.5)).astype(numpy.int64)
    return first, integers, precision


def _resize_axis(image, out_size, axis, mode, antialias):
    """One pass of the integer kernel along ``axis`` of a uint8 array."""
    xp, in_size = backend_of(image).xp, image.shape[axis]
    first, weights, precision = integer_taps(in_size, out_size, mode, antialias)
    shape = [1] * image.ndim
    shape[axis] = out_size
    total = xp.full(
        image.shape[:axis] + (out_size,) + image.shape[axis + 1 :], 1 << (precision - 1)
    )
    for k in range(weights.shape[1]):
        index = xp.asarray(numpy.minimum(first + k, in_size - 1))
        column = xp.asarray(weights[:, k].reshape(shape))
        total += xp.take(image, index, axis=axis).astype(xp.int64) * column
    return xp.clip(total >> precision, 0, 255).astype(xp.uint8)


def resize_uint8(image, size, mode: str = "bilinear", antialias: bool = True):
    """Resize a uint8 array (..., H, W) to ``size = [height, width]`` with PyTorch's integer
    kernel: the width, then the height, each pass only where that side changes; ``mode``
    ``"bilinear"``, ``"bicubic"`` or ``"lanczos"`` (with ``antialias`` only)."""
    height, width = size
    if width != image.shape[-1]:
        image = _resize_axis(image, width, image.ndim - 1, mode, antialias)
    if height != image.shape[-2]:
        image = _resize_axis(image, height, image.ndim - 2, mode, antialias)
    return image


def resize_image(
    image, size, interpolation=InterpolationMode.BILINEAR, max_size=None, antialias=True
):
    """torchvision v2's ``resize_image``: a uint8 tensor image with ``BILINEAR``,
    ``BICUBIC`` or ``LANCZOS`` through PyTorch's integer kernel (:func:`resize_uint8`), a
    float one with ``LANCZOS`` in float32, anything else by v1's
    :func:`~xpnet.data.transforms_functional.resize`, with its arguments, checks and errors.

    Raises:
        ValueError: for ``LANCZOS`` without ``antialias`` (torchvision v2's message), and
            v1's errors.

    Example:
        >>> resize_image(np.zeros((3, 8, 8), np.uint8), 4).shape
        (3, 4, 4)
    """
    mode = F.checked_interpolation(interpolation).value
    if mode == "lanczos" and not antialias:
        msg = "InterpolationMode.LANCZOS requires antialias=True"
        raise ValueError(msg)
    if mode not in _INTEGER_MODES or not F.is_tensor_image(image):
        return F.resize(image, size, interpolation, max_size, antialias)
    array = F.host_array(image)
    if array.size == 0 or array.ndim < 3 or (array.dtype != numpy.uint8 and mode != "lanczos"):
        return F.resize(image, size, interpolation, max_size, antialias)
    output_size = F.checked_output_size(array.shape[-2:], size, max_size)
    if list(array.shape[-2:]) == output_size:
        return image
    if array.dtype != numpy.uint8:  # v2 takes LANCZOS for tensors, v1 refuses it
        return F.like_input(image, ft.resize(array, output_size, mode, True))
    return F.like_input(image, resize_uint8(array, output_size, mode, bool(antialias)))


def resized_crop_image(
    image, top, left, height, width, size, interpolation=InterpolationMode.BILINEAR, antialias=True
):
    """torchvision v2's ``resized_crop_image``: v1's crop, then :func:`resize_image`."""
    cropped = F.crop(image, top, left, height, width)
    return resize_image(cropped, size, interpolation, antialias=antialias)
