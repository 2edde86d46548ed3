"""torchvision v2's dispatchers of the image-only functions: v1's colour and other image
functions of :mod:`xpnet.data.transforms_functional` as ``transforms.v2.functional`` has
them, or v2's own kernels where v2 computes otherwise (:mod:`.transforms_v2_color`: every
dtype, v2's autocontrast; :mod:`.transforms_v2_blend`: v2's roundings).

As torchvision's ``_get_kernel``: an :class:`~xpnet.data.tv_tensors.Image` comes back an
Image (v1's function returns a plain Tensor), a PIL image, a plain Tensor or an array as
v1's function returns it, and a :class:`~xpnet.data.tv_tensors.Mask` or
:class:`~xpnet.data.tv_tensors.BoundingBoxes`, which these functions have no kernel for, is
refused with torchvision's TypeError. The kernels themselves keep their names in
:mod:`xpnet.data.transforms_v2_kernels` (``adjust_brightness_image`` is v1's
``adjust_brightness``, ``adjust_sharpness_image`` v2's).

Example:
    >>> from xpnet.data.tv_tensors import Image
    >>> type(invert(Image(np.zeros((1, 2, 2), np.uint8)))).__name__
    'Image'
"""

from __future__ import annotations

import functools

from ..autograd import Tensor
from ..backends import backend_of
from . import transforms_functional as F
from . import transforms_v2_blend as B
from .transforms_pil import is_pil_image
from .transforms_v2_color import autocontrast_image, equalize_image, posterize_image
from .tv_tensors import BoundingBoxes, Mask, Video
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
    "grayscale_to_rgb",
    "grayscale_to_rgb_image",
    "image_functional",
    "invert",
    "normalize",
    "posterize",
    "rgb_to_grayscale",
    "solarize",
]


def image_functional(kernel, videos: bool = True, name: str | None = None):
    """v2's dispatcher ``name`` (default: ``kernel``'s name) of the image kernel ``kernel``:
    Images (and Videos, frame by frame, with ``videos``) rewrapped, masks and boxes refused (a
    TypeError, as torchvision's for a type without a kernel).

    Example:
        >>> image_functional(F.invert)(np.zeros((1, 1, 1), np.uint8)).tolist()
        [[[255]]]
    """

    name = name or kernel.__name__

    @functools.wraps(kernel)
    def functional(inpt, *args, **kwargs):
        refused = (BoundingBoxes, Mask) if videos else (BoundingBoxes, Mask, Video)
        if isinstance(inpt, refused):
            supported = "Image, Video, " if videos else "Image, "
            msg = (
                f"Functional F.{name} supports inputs of type [{supported}Tensor, "
                f"PIL.Image.Image], but got {type(inpt)} instead."
            )
            raise TypeError(msg)
        return rewrapped(inpt, kernel(inpt, *args, **kwargs))

    functional.__name__ = functional.__qualname__ = name
    return functional


adjust_brightness = image_functional(F.adjust_brightness)
# v2's roundings (fused multiply-adds; :mod:`.transforms_v2_blend`)
adjust_contrast = image_functional(B.adjust_contrast_image, name="adjust_contrast")
adjust_gamma = image_functional(F.adjust_gamma)
adjust_hue = image_functional(B.adjust_hue_image, name="adjust_hue")
adjust_saturation = image_functional(B.adjust_saturation_image, name="adjust_saturation")
adjust_sharpness = image_functional(B.adjust_sharpness_image, name="adjust_sharpness")
autocontrast = image_functional(autocontrast_image, name="autocontrast")  # v2's formula
equalize = image_functional(equalize_image, name="equalize")  # any dtype, as v2's
erase = image_functional(F.erase)
gaussian_blur = image_functional(F.gaussian_blur)
invert = image_functional(F.invert)
normalize = image_functional(F.normalize)
posterize = image_functional(posterize_image, name="posterize")
# no video kernel
rgb_to_grayscale = image_functional(B.rgb_to_grayscale_image, False, "rgb_to_grayscale")
solarize = image_functional(F.solarize)


def grayscale_to_rgb_image(image):
    """torchvision's kernel: a 1-channel image with its channel repeated 3 times, a PIL image
    converted to ``"RGB"``; an image of 3 or more channels is returned as it is.

    Raises:
        ValueError: for a tensor image of 2 channels (torchvision fails to unpack them).

    Example:
        >>> grayscale_to_rgb_image(np.ones((1, 2, 2), np.uint8)).shape
        (3, 2, 2)
    """
    if is_pil_image(image):
        return image.convert(mode="RGB")
    array = image.array if isinstance(image, Tensor) else image
    channels = array.shape[-3]
    if channels >= 3:
        return image
    if channels != 1:
        msg = (
            "grayscale_to_rgb: expected 1 or 3 channels (not enough values to unpack "
            f"(expected 3, got {channels}))"
        )
        raise ValueError(msg)
    output = backend_of(array).xp.concatenate([array] * 3, axis=-3)
    return Tensor(output) if isinstance(image, Tensor) else output


grayscale_to_rgb = image_functional(grayscale_to_rgb_image, videos=False)  # no video kernel
