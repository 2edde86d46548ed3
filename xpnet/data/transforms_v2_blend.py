"""torchvision v2's colour kernels that round otherwise than v1's: grayscale, contrast,
saturation, sharpness and hue.

torchvision 0.28's v2 kernels compute as v1's but write their sums as ``x.add_(y, alpha=a)``,
which PyTorch's CPU kernels run as one fused multiply-add (rounded once, where v1's
``a * y + x`` rounds twice), sharpen by ``x + (1 - factor) * (blurred - x)`` instead of v1's
blend, and convert hue through HSV with other formulas. On float images the two agree within
an ulp; uint8 results truncate, so v1's formulas give a value one unit apart in ~0.02 % of
pixels (saturation, contrast) to ~4 % (sharpness). These kernels follow v2's operations one by
one: a fused multiply-add of float32 values is computed in float64 and rounded once to
float32, which is exact but for double rounding (float64 images round twice: within an ulp).
PIL images take v1's PIL path, as torchvision's.

Example:
    >>> image = np.array([[[200]], [[100]], [[0]]], dtype=np.uint8)
    >>> adjust_saturation_image(image, 0.5)[:, 0, 0].tolist()
    [159, 109, 59]
"""

from __future__ import annotations

import numpy

from ..backends import backend_of, float_errors_ignored
from . import transforms_color as C
from . import transforms_photometric as P
from . import transforms_tensor as ft
from .transforms_functional import like_input
from .transforms_v2_color import to_dtype_array

__all__ = [
    "adjust_contrast_image",
    "adjust_hue_image",
    "adjust_saturation_image",
    "adjust_sharpness_image",
    "blend_arrays",
    "fused_multiply_add",
    "grayscale_array",
    "rgb_to_grayscale_image",
]


def _opmath(dtype):
    """The type PyTorch's CPU kernels compute a dtype's arithmetic in: float32 at least."""
    return numpy.promote_types(dtype, numpy.float32)


def fused_multiply_add(x, alpha: float, y):
    """``x + alpha * y`` of two float arrays of one dtype, rounded once as PyTorch's
    ``x.add_(y, alpha=alpha)``: computed in float64 where ``x`` is float32 or narrower (float16:
    ``alpha`` rounded to float16 first, as PyTorch's)."""
    opmath = _opmath(x.dtype)
    scalar = opmath.type(x.dtype.type(alpha))
    return ft.fused(y.astype(opmath), scalar, x.astype(opmath)).astype(x.dtype)


def _scaled(array, factor: float, dtype):
    """``array.mul(factor)`` in ``dtype`` (an integer image: float32), PyTorch's rounding."""
    opmath = _opmath(dtype)
    return (array.astype(opmath) * opmath.type(factor)).astype(dtype)


def grayscale_array(array, num_output_channels: int = 1, preserve_dtype: bool = True):
    """v2's ``_rgb_to_grayscale_image``: ``0.2989 R + 0.587 G + 0.114 B`` by fused
    multiply-adds, in float32 for integer images (truncated back with ``preserve_dtype``); a
    one-channel image copied or repeated."""
    xp = backend_of(array).xp
    if array.shape[-3] == 1:
        gray = array.copy()
    else:
        dtype = ft.compute_dtype(array)
        r, g, b = (array[..., c, :, :].astype(dtype) for c in range(3))
        gray = fused_multiply_add(_scaled(r, 0.2989, dtype), 0.587, g)
        gray = fused_multiply_add(gray, 0.114, b)[..., None, :, :]
        if preserve_dtype:
            gray = gray.astype(array.dtype)
    if num_output_channels == 3:
        return xp.ascontiguousarray(xp.broadcast_to(gray, (*gray.shape[:-3], 3, *gray.shape[-2:])))
    return gray


def blend_arrays(image, other, ratio: float):
    """v2's ``_blend``: ``image * ratio + (1 - ratio) * other`` (a fused multiply-add),
    clamped to the dtype's range and, for an integer image, truncated back."""
    dtype, ratio = ft.compute_dtype(image), float(ratio)
    mixed = fused_multiply_add(_scaled(image, ratio, dtype), 1.0 - ratio, other.astype(dtype))
    return backend_of(image).xp.clip(mixed, 0, ft.max_value(image.dtype)).astype(image.dtype)


def _checked(image, name: str | None = None, factor: float = 0.0):
    """The array of a tensor image after v2's checks of the factor ``name`` (non-negative)
    and of the channels (``None`` for a PIL image)."""
    array = P.tensor_image_array(image)
    if array is None:
        return None
    if name is not None and factor < 0:
        msg = f"{name} ({factor}) is not non-negative."
        raise ValueError(msg)
    if array.ndim < 3 or array.shape[-3] not in (1, 3):
        channels = 1 if array.ndim < 3 else array.shape[-3]
        msg = f"Input image tensor permitted channel values are 1 or 3, but found {channels}"
        raise TypeError(msg)
    return array


def _floored_gray(array):
    """v2's grayscale of an image, kept in float32 and floored for an integer image."""
    gray = grayscale_array(array, 1, preserve_dtype=False)
    return gray if array.dtype.kind == "f" else backend_of(array).xp.floor(gray)


def rgb_to_grayscale_image(image, num_output_channels: int = 1):
    """torchvision v2's ``rgb_to_grayscale_image`` (:func:`grayscale_array`); v1's for PIL.

    Raises:
        ValueError: if ``num_output_channels`` is not 1 or 3.
        TypeError: for a tensor image of fewer than 3 dimensions or not 1 or 3 channels.
    """
    if num_output_channels not in (1, 3):
        msg = f"num_output_channels must be 1 or 3, got {num_output_channels}."
        raise ValueError(msg)
    array = _checked(image)
    if array is None:
        return C.rgb_to_grayscale(image, num_output_channels)
    return like_input(image, grayscale_array(array, num_output_channels))


def adjust_saturation_image(image, saturation_factor: float):
    """torchvision v2's ``adjust_saturation_image``: a blend with the floored grayscale
    (:func:`blend_arrays`); a one-channel image as it is; v1's for PIL.

    Raises:
        ValueError: for a negative ``saturation_factor``.
        TypeError: for a tensor image of fewer than 3 dimensions or not 1 or 3 channels.
    """
    array = _checked(image, "saturation_factor", saturation_factor)
    if array is None:
        return C.adjust_saturation(image, saturation_factor)
    if array.shape[-3] == 1:
        return image
    return like_input(image, blend_arrays(array, _floored_gray(array), saturation_factor))


def adjust_contrast_image(image, contrast_factor: float):
    """torchvision v2's ``adjust_contrast_image``: a blend with the mean of the floored
    grayscale (the mean summed in float64, rounded once); an empty image as it is; v1's for
    PIL.

    Raises:
        ValueError: for a negative ``contrast_factor``.
        TypeError: for a tensor image of fewer than 3 dimensions or not 1 or 3 channels.
    """
    array = _checked(image, "contrast_factor", contrast_factor)
    if array is None:
        return C.adjust_contrast(image, contrast_factor)
    if array.size == 0:
        return image
    dtype = ft.compute_dtype(array)
    gray = _floored_gray(array) if array.shape[-3] == 3 else array.astype(dtype)
    mean = gray.mean(axis=(-3, -2, -1), keepdims=True, dtype=numpy.float64).astype(dtype)
    return like_input(image, blend_arrays(array, mean, contrast_factor))


def adjust_sharpness_image(image, sharpness_factor: float):
    """torchvision v2's ``adjust_sharpness_image``: inside the border, ``x + (1 - factor) *
    (blurred - x)`` (a fused multiply-add), ``blurred`` the 3 x 3 smoothing of v1's (rounded
    for an integer image); clamped, integer images truncated back. Images of height or width
    2 or less, and empty ones, are returned as they are; v1's for PIL.

    Raises:
        ValueError: for a negative ``sharpness_factor``.
        TypeError: for a tensor image of fewer than 3 dimensions (torchvision: a
            ValueError) or not 1 or 3 channels.
    """
    array = _checked(image, "sharpness_factor", sharpness_factor)
    if array is None:
        return P.adjust_sharpness(image, sharpness_factor)
    if array.size == 0 or min(array.shape[-2:]) <= 2:
        return image
    work = array.astype(ft.compute_dtype(array))  # a copy, as torchvision's
    inside = work[..., 1:-1, 1:-1]
    blurred = P.blurred_interior(array)
    inside[...] = fused_multiply_add(inside, 1.0 - sharpness_factor, blurred - inside)
    result = backend_of(array).xp.clip(work, 0, ft.max_value(array.dtype))
    return like_input(image, result.astype(array.dtype))


def _rgb_to_hsv(image):
    """v2's ``_rgb_to_hsv`` of a float image: (h, s, v) planes."""
    xp = backend_of(image).xp
    r, g = image[..., 0, :, :], image[..., 1, :, :]
    minimum, maximum = image.min(axis=-3), image.max(axis=-3)
    equal = maximum == minimum
    spread, ones = maximum - minimum, xp.ones_like(maximum)
    s = spread / xp.where(equal, ones, maximum)
    ratios = (maximum[..., None, :, :] - image) / xp.where(equal, ones, spread)[..., None, :, :]
    rc, gc, bc = ratios[..., 0, :, :], ratios[..., 1, :, :], ratios[..., 2, :, :]
    not_r, is_g, one = maximum != r, maximum == g, image.dtype.type(1)
    hg = (rc + 2 * one - bc) * (is_g & not_r)
    hr = (bc - gc) * ~not_r
    hb = (gc + 4 * one - rc) * (not_r & ~is_g)
    h = xp.fmod((hr + hg + hb) * image.dtype.type(1.0 / 6.0) + one, one)
    return h, s, maximum


def _hsv_to_rgb(h, s, v):
    """v2's ``_hsv_to_rgb``: (..., 3, H, W) from the (h, s, v) planes."""
    xp, one = backend_of(h).xp, h.dtype.type(1)
    h6 = h * h.dtype.type(6)
    i = xp.floor(h6)
    f = h6 - i
    sector = i.astype(xp.int32) % 6
    sxf, one_minus_s = s * f, one - s
    q = xp.clip((one - sxf) * v, 0, 1)
    t = xp.clip((sxf + one_minus_s) * v, 0, 1)
    p = xp.clip(one_minus_s * v, 0, 1)
    rows = [(v, t, p), (q, v, p), (p, v, t), (p, q, v), (t, p, v), (v, p, q)]
    sectors = [sector == k for k in range(6)]
    channels = [xp.select(sectors, [row[c] for row in rows]) for c in range(3)]
    return xp.stack(channels, axis=-3)


def adjust_hue_image(image, hue_factor: float):
    """torchvision v2's ``adjust_hue_image``: through float32 HSV by v2's formulas, the hue
    turned by ``hue_factor``; a one-channel or empty image as it is; v1's for PIL.

    Raises:
        ValueError: if ``hue_factor`` is not in [-0.5, 0.5].
        TypeError: for a tensor image of fewer than 3 dimensions or not 1 or 3 channels.
    """
    if not -0.5 <= hue_factor <= 0.5:
        msg = f"hue_factor ({hue_factor}) is not in [-0.5, 0.5]."
        raise ValueError(msg)
    array = _checked(image)
    if array is None:
        return C.adjust_hue(image, hue_factor)
    if array.shape[-3] == 1 or array.size == 0:
        return image
    work = to_dtype_array(array, numpy.float32, scale=True)
    with float_errors_ignored():
        h, s, v = _rgb_to_hsv(work)
        h = backend_of(h).xp.remainder(h + numpy.float32(hue_factor), numpy.float32(1))
        rgb = _hsv_to_rgb(h, s, v)
    return like_input(image, to_dtype_array(rgb, array.dtype, scale=True))
