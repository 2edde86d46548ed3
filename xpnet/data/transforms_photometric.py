"""torchvision's photometric functions of :mod:`xpnet.data.transforms.functional`.

``posterize``, ``solarize``, ``adjust_sharpness``, ``autocontrast``, ``equalize``, ``invert``
and ``adjust_gamma``, with torchvision's checks and messages (dtype names are NumPy's). PIL
images go through Pillow as torchvision's PIL path does (``ImageOps``, ``ImageEnhance``,
``Image.point``); tensor images through torchvision's tensor formulas, written once with the
array namespace of the image's backend (:func:`xpnet.backends.backend_of`), so that a Tensor
on any backend is computed where it lies. The random transforms that apply them are in
:mod:`xpnet.data.transforms_photometric_random`.

Example:
    >>> from xpnet.data.transforms import functional as F
    >>> image = np.array([[[0, 100, 200, 255]]], dtype=np.uint8)
    >>> F.posterize(image, 2).tolist(), F.solarize(image, 150).tolist()
    ([[[0, 64, 192, 192]]], [[[0, 100, 55, 0]]])
"""

from __future__ import annotations

import numpy

from ..autograd import Tensor
from ..backends import backend_name_of, backend_of, float_errors_ignored
from . import transforms_pil as fp
from . import transforms_tensor as ft
from .transforms_color import checked_channels
from .transforms_functional import check_pil_image, is_tensor_image, like_input
from .transforms_tensor import max_value

__all__ = [
    "adjust_gamma",
    "adjust_sharpness",
    "autocontrast",
    "blurred_interior",
    "equalize",
    "equalize_planes",
    "invert",
    "posterize",
    "solarize",
]


def tensor_image_array(img):
    """The array of a tensor image (a Tensor, or an array of a known backend), else ``None``.

    Unlike the host-only functions of :mod:`xpnet.data.transforms_functional`, these accept a
    Tensor on any backend: their formulas are elementwise or reductions written with ``xp``.
    """
    data = img.array if isinstance(img, Tensor) else img
    if not (is_tensor_image(img) or backend_name_of(data) is not None):
        return None
    if data.ndim < 2:
        msg = "Tensor is not a torch image."
        raise TypeError(msg)
    return data


def _pil_ops(img, name):
    """Pillow's ``ImageOps`` (or ``ImageEnhance``) after torchvision's PIL-image check."""
    check_pil_image(img)
    fp.pil()  # Pillow's ImportError message, if it is missing
    if name == "ImageEnhance":
        from PIL import ImageEnhance

        return ImageEnhance
    from PIL import ImageOps

    return ImageOps


def _check_at_least_3d(array):
    if array.ndim < 3:
        msg = f"Input image tensor should have at least 3 dimensions, but found {array.ndim}"
        raise TypeError(msg)


def _check_uint8(array):
    if array.dtype != numpy.uint8:
        msg = f"Only uint8 image tensors are supported, but found {array.dtype}"
        raise TypeError(msg)


def invert(img):
    """Invert the colours: ``max - img`` (255 for uint8, 1 for floats).

    Args:
        img: a PIL image (mode L or RGB) or a tensor image of shape (..., 1 or 3, H, W).

    Returns:
        The image, of the same kind, dtype and backend.

    Raises:
        TypeError: for a tensor image with fewer than 3 dimensions or another channel count,
            or what is neither a tensor nor a PIL image.

    Example:
        >>> invert(np.array([[[0.25, 1.0]]])).tolist()
        [[[0.75, 0.0]]]
    """
    array = tensor_image_array(img)
    if array is None:
        return _pil_ops(img, "ImageOps").invert(img)
    _check_at_least_3d(array)
    checked_channels(array, [1, 3])
    return like_input(img, max_value(array.dtype) - array)


def posterize(img, bits: int):
    """Keep the ``bits`` (0 to 8) highest bits of every channel of a uint8 image.

    Args:
        img: a PIL image (mode L or RGB) or a uint8 tensor image of shape (..., 1 or 3, H, W).
        bits: the number of bits to keep.

    Raises:
        ValueError: if ``bits`` is not in [0, 8].
        TypeError: for a tensor image that is not uint8, has fewer than 3 dimensions or another
            channel count.

    Example:
        >>> posterize(np.array([[[7, 200]]], dtype=np.uint8), 4).tolist()
        [[[0, 192]]]
    """
    if not (0 <= bits <= 8):
        msg = f"The number if bits should be between 0 and 8. Got {bits}"
        raise ValueError(msg)
    array = tensor_image_array(img)
    if array is None:
        return _pil_ops(img, "ImageOps").posterize(img, bits)
    _check_at_least_3d(array)
    _check_uint8(array)
    checked_channels(array, [1, 3])
    mask = -int(2 ** (8 - bits)) & 0xFF  # ~(2 ** (8 - bits) - 1), as a uint8
    return like_input(img, array & mask)


def solarize(img, threshold: float):
    """Invert the values at or above ``threshold``: ``where(img >= threshold, max - img, img)``.

    Args:
        img: a PIL image (mode L or RGB) or a tensor image of shape (..., 1 or 3, H, W).
        threshold: the smallest value inverted.

    Raises:
        TypeError: if ``threshold`` exceeds the dtype's largest value (255, or 1 for floats),
            or for a tensor image with fewer than 3 dimensions or another channel count.

    Example:
        >>> solarize(np.array([[[0.25, 0.75]]]), 0.5).tolist()
        [[[0.25, 0.25]]]
    """
    array = tensor_image_array(img)
    if array is None:
        return _pil_ops(img, "ImageOps").solarize(img, threshold)
    _check_at_least_3d(array)
    checked_channels(array, [1, 3])
    if threshold > max_value(array.dtype):
        msg = "Threshold should be less than bound of img."
        raise TypeError(msg)
    xp, values = backend_of(array).xp, array
    if array.dtype.kind != "f":  # PyTorch compares integers with a float in float32
        values, threshold = array.astype(xp.float32), numpy.float32(threshold)
    return like_input(img, xp.where(values >= threshold, max_value(array.dtype) - array, array))


def blurred_interior(array):
    """torchvision's smoothing of an image inside its border: the 3 x 3 kernel ``[[1, 1, 1],
    [1, 5, 1], [1, 1, 1]] / 13`` without padding, in the image's float dtype (integer images:
    float32, rounded)."""
    xp, dtype = backend_of(array).xp, ft.compute_dtype(array)
    kernel = numpy.ones((3, 3), dtype)
    kernel[1, 1] = 5.0
    kernel /= kernel.sum()
    H, W = array.shape[-2:]
    work = array.astype(dtype)
    inside = None
    for a in range(3):
        for b in range(3):
            term = kernel[a, b] * work[..., a : a + H - 2, b : b + W - 2]
            inside = term if inside is None else inside + term
    return inside if dtype == array.dtype else xp.round(inside)


def _blurred_degenerate(array):
    """The image with :func:`blurred_interior` inside its border, the border kept."""
    result = array.copy()
    result[..., 1:-1, 1:-1] = blurred_interior(array).astype(array.dtype)
    return result


def adjust_sharpness(img, sharpness_factor: float):
    """Blend with a smoothed image: 0 smooths, 1 keeps the image, 2 doubles the sharpness.

    Args:
        img: a PIL image or a tensor image of shape (..., 1 or 3, H, W).
        sharpness_factor: a non-negative blend factor.

    Returns:
        The blended image, clamped to the dtype's range; tensor images of height or width
        2 or less are returned unchanged, as torchvision.

    Raises:
        ValueError: if ``sharpness_factor`` is negative (tensor images).
        TypeError: for a tensor image with another channel count than 1 or 3.

    Note:
        Tensor images may also be (H, W) or have more than one leading batch axis, where
        torchvision's ``conv2d`` refuses them.

    Example:
        >>> image = np.zeros((1, 3, 3), dtype=np.uint8)
        >>> image[0, 1, 1] = 130
        >>> adjust_sharpness(image, 0.0)[0, 1].tolist()
        [0, 50, 0]
    """
    array = tensor_image_array(img)
    if array is None:
        enhancer = _pil_ops(img, "ImageEnhance").Sharpness(img)
        return enhancer.enhance(sharpness_factor)
    if sharpness_factor < 0:
        msg = f"sharpness_factor ({sharpness_factor}) is not non-negative."
        raise ValueError(msg)
    checked_channels(array, [1, 3])
    if array.shape[-1] <= 2 or array.shape[-2] <= 2:
        return img
    return like_input(img, ft.blend(array, _blurred_degenerate(array), sharpness_factor))


def autocontrast(img):
    """Stretch every channel linearly so that its minimum becomes 0 and its maximum the
    dtype's largest value (a constant channel is kept).

    Args:
        img: a PIL image (mode L or RGB) or a tensor image of shape (..., 1 or 3, H, W).

    Raises:
        TypeError: for a tensor image with fewer than 3 dimensions or another channel count.

    Example:
        >>> autocontrast(np.array([[[50, 100, 150]]], dtype=np.uint8)).tolist()
        [[[0, 127, 255]]]
    """
    array = tensor_image_array(img)
    if array is None:
        return _pil_ops(img, "ImageOps").autocontrast(img)
    _check_at_least_3d(array)
    checked_channels(array, [1, 3])
    xp = backend_of(array).xp
    bound, dtype = max_value(array.dtype), ft.compute_dtype(array)
    minimum = xp.min(array, axis=(-2, -1), keepdims=True).astype(dtype)
    maximum = xp.max(array, axis=(-2, -1), keepdims=True).astype(dtype)
    with float_errors_ignored():  # a constant channel divides by zero, as in torchvision
        scale = dtype.type(1) / (maximum - minimum) * dtype.type(bound)  # torch's rdiv
        degenerate = ~xp.isfinite(scale)
        minimum = xp.where(degenerate, dtype.type(0), minimum)
        scale = xp.where(degenerate, dtype.type(1), scale)
        result = xp.clip((array - minimum) * scale, 0, bound)
    return like_input(img, result.astype(array.dtype))


def equalize(img):
    """Equalize the histogram of every channel of a uint8 image (torchvision's, after PIL's).

    Each channel is mapped through ``lut[v] = (cdf[v - 1] + step // 2) // step`` with
    ``step = (pixels not of the brightest value) // 255``; a channel whose ``step`` is 0 is
    kept.

    Args:
        img: a PIL image (mode P, L or RGB) or a uint8 tensor image of shape (1 or 3, H, W)
            or (N, 1 or 3, H, W).

    Raises:
        TypeError: for a tensor image that is not uint8, has not 3 or 4 dimensions, or has
            another channel count.

    Example:
        >>> image = np.repeat(np.arange(8, dtype=np.uint8), 128).reshape(1, 32, 32)
        >>> sorted(set(equalize(image).ravel().tolist()))
        [0, 43, 85, 128, 171, 213, 255]
    """
    array = tensor_image_array(img)
    if array is None:
        return _pil_ops(img, "ImageOps").equalize(img)
    if not (3 <= array.ndim <= 4):
        msg = f"Input image tensor should have 3 or 4 dimensions, but found {array.ndim}"
        raise TypeError(msg)
    _check_uint8(array)
    checked_channels(array, [1, 3])
    return like_input(img, equalize_planes(array))


def equalize_planes(array):
    """The histogram equalization of :func:`equalize` of every (H, W) plane of a uint8
    ``array`` (..., H, W) with at least one pixel, on its backend: a new uint8 array."""
    xp = backend_of(array).xp
    pixels = array.reshape(-1, array.shape[-2] * array.shape[-1]).astype(numpy.int64)  # (n, HW)
    n = pixels.shape[0]
    offsets = xp.arange(n, dtype=numpy.int64)[:, None] * 256  # one histogram per channel
    hist = xp.bincount((pixels + offsets).reshape(-1), minlength=n * 256).reshape(n, 256)
    brightest = xp.max(pixels, axis=1, keepdims=True)
    last = xp.take_along_axis(hist, brightest, axis=1)  # (n, 1): the last nonzero bin
    step = (pixels.shape[1] - last) // 255
    safe_step = xp.where(step == 0, 1, step)
    lut = (xp.cumsum(hist, axis=1) + step // 2) // safe_step  # (n, 256)
    lut = xp.clip(xp.concatenate([xp.zeros_like(lut[:, :1]), lut[:, :-1]], axis=1), 0, 255)
    mapped = xp.take_along_axis(lut, pixels, axis=1)
    result = xp.where(step == 0, pixels, mapped).astype(numpy.uint8)
    return result.reshape(array.shape)


def _pil_adjust_gamma(img, gamma: float, gain: float):
    """torchvision's PIL path: a 256-entry table through ``Image.point`` in RGB."""
    input_mode = img.mode
    table = [int((255 + 1 - 1e-3) * gain * pow(v / 255.0, gamma)) for v in range(256)] * 3
    return img.convert("RGB").point(table).convert(input_mode)


def adjust_gamma(img, gamma: float, gain: float = 1):
    r"""Gamma correction: :math:`I_{out} = \text{max} \cdot \text{gain} \cdot
    (I_{in} / \text{max})^{\gamma}`, clamped.

    Integer tensor images are computed in float32 in [0, 1] and converted back as
    ``convert_image_dtype`` converts (truncating ``x * 255.999``).

    Args:
        img: a PIL image (no alpha) or a tensor image of shape (..., 1 or 3, H, W).
        gamma: the non-negative exponent: above 1 darkens, below 1 lightens.
        gain: the multiplier. Default: 1.

    Raises:
        ValueError: if ``gamma`` is negative.
        TypeError: for a tensor image with another channel count than 1 or 3.

    Example:
        >>> adjust_gamma(np.array([[[0.25, 1.0]]]), 0.5).tolist()
        [[[0.5, 1.0]]]
    """
    array = tensor_image_array(img)
    if array is None:
        check_pil_image(img)
    else:
        checked_channels(array, [1, 3])
    if gamma < 0:
        msg = "Gamma should be a non-negative real number"
        raise ValueError(msg)
    if array is None:
        return _pil_adjust_gamma(img, gamma, gain)
    xp = backend_of(array).xp
    dtype = ft.compute_dtype(array)
    work = array.astype(dtype)
    if dtype != array.dtype:
        work = work / dtype.type(max_value(array.dtype))
    with float_errors_ignored():  # negative values to a fractional power give NaN, as in torch
        result = xp.clip(dtype.type(gain) * work ** dtype.type(gamma), 0, 1)
    if dtype != array.dtype:
        result = result * dtype.type(max_value(array.dtype) + 1.0 - 1e-3)
    return like_input(img, result.astype(array.dtype))
