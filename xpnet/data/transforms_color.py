"""The colour, erasing and blurring functions of :mod:`xpnet.data.transforms.functional`.

Split from :mod:`xpnet.data.transforms_functional` (which re-exports them) for length:
``rgb_to_grayscale``, ``to_grayscale``, ``adjust_brightness``, ``adjust_contrast``,
``adjust_saturation``, ``adjust_hue``, ``erase`` and ``gaussian_blur``, with torchvision's
checks and messages. PIL images go through Pillow (``convert``, ``ImageEnhance``), tensor
images through torchvision's float32 formulas (:mod:`xpnet.data.transforms_tensor`).
"""

from __future__ import annotations

import numpy

from ..autograd import Tensor
from . import transforms_pil as fp
from . import transforms_tensor as ft
from .transforms_functional import (
    check_pil_image,
    host_array,
    is_tensor_image,
    like_input,
    pil_to_tensor,
    to_pil_image,
)

__all__ = [
    "adjust_brightness",
    "adjust_contrast",
    "adjust_hue",
    "adjust_saturation",
    "erase",
    "gaussian_blur",
    "rgb_to_grayscale",
    "to_grayscale",
]


def checked_channels(array, permitted):
    channels = 1 if array.ndim == 2 else array.shape[-3]
    if channels not in permitted:
        msg = f"Input image tensor permitted channel values are {permitted}, but found {channels}"
        raise TypeError(msg)
    return channels


def _check_output_channels(num_output_channels):
    if num_output_channels not in (1, 3):
        msg = "num_output_channels should be either 1 or 3"
        raise ValueError(msg)


def to_grayscale(img, num_output_channels: int = 1):
    """A PIL image in grayscale (``convert("L")``), with 1 or 3 channels."""
    if not fp.is_pil_image(img):
        msg = "Input should be PIL Image"
        raise TypeError(msg)
    _check_output_channels(num_output_channels)
    return fp.to_grayscale(img, num_output_channels)


def rgb_to_grayscale(img, num_output_channels: int = 1):
    """Grayscale: ``0.2989 R + 0.587 G + 0.114 B`` for tensors, ``convert("L")`` for PIL."""
    if not is_tensor_image(img):
        check_pil_image(img)
        _check_output_channels(num_output_channels)
        return fp.to_grayscale(img, num_output_channels)
    array = host_array(img)
    if array.ndim < 3:
        msg = f"Input image tensor should have at least 3 dimensions, but found {array.ndim}"
        raise TypeError(msg)
    checked_channels(array, [1, 3])
    _check_output_channels(num_output_channels)
    return like_input(img, ft.grayscale(array, num_output_channels))


def _non_negative(name, factor):
    if factor < 0:
        msg = f"{name} ({factor}) is not non-negative."
        raise ValueError(msg)


def adjust_brightness(img, brightness_factor: float):
    """Multiply by ``brightness_factor`` (0: black, 1: unchanged), clamped."""
    if not is_tensor_image(img):
        check_pil_image(img)
        return fp.enhance(img, "Brightness", brightness_factor)
    _non_negative("brightness_factor", brightness_factor)
    array = host_array(img)
    checked_channels(array, [1, 3])
    return like_input(img, ft.blend(array, numpy.zeros_like(array), brightness_factor))


def adjust_contrast(img, contrast_factor: float):
    """Blend with the mean gray level (0: solid gray, 1: unchanged), clamped."""
    if not is_tensor_image(img):
        check_pil_image(img)
        return fp.enhance(img, "Contrast", contrast_factor)
    _non_negative("contrast_factor", contrast_factor)
    array = host_array(img)
    channels = checked_channels(array, [3, 1])
    dtype = array.dtype if array.dtype.kind == "f" else numpy.dtype(numpy.float32)
    gray = ft.grayscale(array, 1) if channels == 3 else array
    mean = gray.astype(dtype).mean(axis=(-3, -2, -1), keepdims=True, dtype=numpy.float64)
    return like_input(img, ft.blend(array, mean.astype(dtype), contrast_factor))


def adjust_saturation(img, saturation_factor: float):
    """Blend with the grayscale image (0: gray, 1: unchanged), clamped."""
    if not is_tensor_image(img):
        check_pil_image(img)
        return fp.enhance(img, "Color", saturation_factor)
    _non_negative("saturation_factor", saturation_factor)
    array = host_array(img)
    if checked_channels(array, [1, 3]) == 1:
        return img
    return like_input(img, ft.blend(array, ft.grayscale(array, 1), saturation_factor))


def adjust_hue(img, hue_factor: float):
    """Rotate the hue by ``hue_factor`` in [-0.5, 0.5] of a turn (grayscale: unchanged)."""
    if not (-0.5 <= hue_factor <= 0.5):
        msg = f"hue_factor ({hue_factor}) is not in [-0.5, 0.5]."
        raise ValueError(msg)
    if not is_tensor_image(img):
        check_pil_image(img)
        return fp.adjust_hue(img, hue_factor)
    array = host_array(img)
    if checked_channels(array, [1, 3]) == 1:
        return img
    return like_input(img, ft.adjust_hue(array, hue_factor))


def erase(img, i: int, j: int, h: int, w: int, v, inplace: bool = False):
    """Set the window ``[i, i + h) x [j, j + w)`` of a tensor image to ``v``."""
    if not is_tensor_image(img):
        msg = f"img should be Tensor Image. Got {type(img)}"
        raise TypeError(msg)
    array = host_array(img)
    target = array if inplace else array.copy()
    target[..., i : i + h, j : j + w] = numpy.asarray(v.array if isinstance(v, Tensor) else v)
    return img if inplace else like_input(img, target)


def _blur_arguments(kernel_size, sigma):
    if not isinstance(kernel_size, (int, list, tuple)):
        msg = f"kernel_size should be int or a sequence of integers. Got {type(kernel_size)}"
        raise TypeError(msg)
    kernel_size = [kernel_size, kernel_size] if isinstance(kernel_size, int) else kernel_size
    if len(kernel_size) != 2:
        msg = f"If kernel_size is a sequence its length should be 2. Got {len(kernel_size)}"
        raise ValueError(msg)
    for ksize in kernel_size:
        if ksize % 2 == 0 or ksize < 0:
            msg = f"kernel_size should have odd and positive integers. Got {kernel_size}"
            raise ValueError(msg)
    if sigma is None:
        sigma = [ksize * 0.15 + 0.35 for ksize in kernel_size]
    if not isinstance(sigma, (int, float, list, tuple)):
        msg = f"sigma should be either float or sequence of floats. Got {type(sigma)}"
        raise TypeError(msg)
    sigma = [float(sigma)] * 2 if isinstance(sigma, (int, float)) else sigma
    sigma = [sigma[0], sigma[0]] if len(sigma) == 1 else sigma
    if len(sigma) != 2:
        msg = f"If sigma is a sequence, its length should be 2. Got {len(sigma)}"
        raise ValueError(msg)
    for s in sigma:
        if s <= 0.0:
            msg = f"sigma should have positive values. Got {sigma}"
            raise ValueError(msg)
    return list(kernel_size), list(sigma)


def gaussian_blur(img, kernel_size, sigma=None):
    """Blur with a Gaussian kernel (``kernel_size`` odd, ``(kx, ky)``; reflect padding).

    PIL images are blurred as torchvision blurs them: through ``pil_to_tensor``, the tensor
    path, and ``to_pil_image`` in the image's mode.
    """
    kernel_size, sigma = _blur_arguments(kernel_size, sigma)
    if is_tensor_image(img):
        return like_input(img, ft.gaussian_blur(host_array(img), kernel_size, sigma))
    if not fp.is_pil_image(img):
        msg = f"img should be PIL Image or Tensor. Got {type(img)}"
        raise TypeError(msg)
    output = ft.gaussian_blur(pil_to_tensor(img).array, kernel_size, sigma)
    return to_pil_image(Tensor(output), mode=img.mode)
