"""torchvision v2's dispatchers of the image-only functions: v1's colour and other image
functions of :mod:`xpnet.data.transforms_functional` as ``transforms.v2.functional`` has
them.

As torchvision's ``_get_kernel``: an :class:`~xpnet.data.tv_tensors.Image` comes back an
Image (v1's function returns a plain Tensor), a PIL image, a plain Tensor or an array as
v1's function returns it, and a :class:`~xpnet.data.tv_tensors.Mask` or
:class:`~xpnet.data.tv_tensors.BoundingBoxes`, which these functions have no kernel for, is
refused with torchvision's TypeError. The kernels themselves keep their names in
:mod:`xpnet.data.transforms_v2_kernels` (``adjust_brightness_image`` is v1's
``adjust_brightness``).

Example:
    >>> from xpnet.data.tv_tensors import Image
    >>> type(invert(Image(np.zeros((1, 2, 2), np.uint8)))).__name__
    'Image'
"""

from __future__ import annotations

import functools

from . import transforms_functional as F
from .tv_tensors import BoundingBoxes, Mask
from .tv_tensors_geometry import rewrapped

__all__ = [
    "adjust_brightness",
    "adjust_contrast",
    "adjust_gamma",
    "adjust_hue",
    "adjust_saturation",
    "adjust_sharpness",
    "autocontrast",
    "equalize",
    "erase",
    "gaussian_blur",
    "image_functional",
    "invert",
    "normalize",
    "posterize",
    "rgb_to_grayscale",
    "solarize",
]


def image_functional(kernel):
    """v2's dispatcher of the image kernel ``kernel``: Images rewrapped, masks and boxes
    refused (a TypeError, as torchvision's for a type without a kernel).

    Example:
        >>> image_functional(F.invert)(np.zeros((1, 1, 1), np.uint8)).tolist()
        [[[255]]]
    """

    @functools.wraps(kernel)
    def functional(inpt, *args, **kwargs):
        if isinstance(inpt, (BoundingBoxes, Mask)):
            msg = (
                f"Functional F.{kernel.__name__} supports inputs of type [Image, Tensor, "
                f"PIL.Image.Image], but got {type(inpt)} instead."
            )
            raise TypeError(msg)
        return rewrapped(inpt, kernel(inpt, *args, **kwargs))

    return functional


adjust_brightness = image_functional(F.adjust_brightness)
adjust_contrast = image_functional(F.adjust_contrast)
adjust_gamma = image_functional(F.adjust_gamma)
adjust_hue = image_functional(F.adjust_hue)
adjust_saturation = image_functional(F.adjust_saturation)
adjust_sharpness = image_functional(F.adjust_sharpness)
autocontrast = image_functional(F.autocontrast)
equalize = image_functional(F.equalize)
erase = image_functional(F.erase)
gaussian_blur = image_functional(F.gaussian_blur)
invert = image_functional(F.invert)
normalize = image_functional(F.normalize)
posterize = image_functional(F.posterize)
rgb_to_grayscale = image_functional(F.rgb_to_grayscale)
solarize = image_functional(F.solarize)
