"""torchvision v2's per-type kernel names: the ``*_image``, ``*_mask`` and
``*_bounding_boxes`` functions of ``transforms.v2.functional`` (no ``*_video`` or
``*_keypoints``: xpnet has no videos or keypoints).

Each name is the very function the dispatcher of :mod:`xpnet.data.transforms_v2_functional`
calls for that type, not a second implementation: v1's functions for images (PIL images
included, which torchvision sends to private PIL kernels), the masks' NEAREST kernels, and
the box kernels of :mod:`xpnet.data.tv_tensors_geometry` and :mod:`xpnet.data.tv_tensors_warp`,
which take plain boxes with their ``format`` and ``canvas_size`` and return the new
``canvas_size`` too where torchvision's do.

Example:
    >>> out, canvas = crop_bounding_boxes(np.array([[1, 1, 3, 2]]), "XYXY", 0, 2, 4, 4)
    >>> out.tolist(), canvas
    ([[0, 1, 1, 2]], (4, 4))
"""

from __future__ import annotations

from . import transforms_functional as F
from . import transforms_v2_functional as F2
from .transforms_v2_warp import (
    affine_image,
    affine_mask,
    elastic_mask,
    perspective_image,
    perspective_mask,
    rotate_image,
    rotate_mask,
)
from .tv_tensors_geometry import (
    center_crop_bounding_boxes,
    crop_bounding_boxes,
    get_size,
    horizontal_flip_bounding_boxes,
    pad_bounding_boxes,
    resize_bounding_boxes,
    resize_mask,
    resized_crop_bounding_boxes,
    vertical_flip_bounding_boxes,
)
from .tv_tensors_warp import (
    affine_bounding_boxes,
    elastic_bounding_boxes,
    elastic_image,
    perspective_bounding_boxes,
    rotate_bounding_boxes,
)

# the geometric kernels that images and masks share (torchvision's mask kernels call the
# image kernel, which keeps a mask's values for these)
horizontal_flip_image = horizontal_flip_mask = F.hflip
vertical_flip_image = vertical_flip_mask = F.vflip
crop_image = crop_mask = F.crop
center_crop_image = center_crop_mask = F.center_crop
pad_image = pad_mask = F.pad
resize_image = F.resize
resized_crop_image = F.resized_crop
get_size_image = get_size_mask = get_size_bounding_boxes = get_size
get_dimensions_image = F.get_dimensions
# the photometric and other image kernels: v2's dispatchers call v1's functions
adjust_brightness_image = F.adjust_brightness
adjust_contrast_image = F.adjust_contrast
adjust_gamma_image = F.adjust_gamma
adjust_hue_image = F.adjust_hue
adjust_saturation_image = F.adjust_saturation
adjust_sharpness_image = F.adjust_sharpness
autocontrast_image = F.autocontrast
equalize_image = F.equalize
invert_image = F.invert
posterize_image = F.posterize
solarize_image = F.solarize
erase_image = F.erase
gaussian_blur_image = F.gaussian_blur
normalize_image = F.normalize
rgb_to_grayscale_image = F.rgb_to_grayscale
to_dtype_image = F2.to_dtype
gaussian_noise_image = F2.gaussian_noise_image
jpeg_image = F2.jpeg_image
permute_channels_image = F2.permute_channels_image
five_crop_image = F2.five_crop
ten_crop_image = F2.ten_crop


def resized_crop_mask(mask, top: int, left: int, height: int, width: int, size):
    """torchvision's ``resized_crop_mask``: ``crop_mask``, then :func:`resize_mask`.

    Example:
        >>> resized_crop_mask(np.eye(4, dtype=np.uint8), 0, 0, 2, 2, [4, 4]).shape
        (4, 4)
    """
    return resize_mask(crop_mask(mask, top, left, height, width), size)


__all__ = [
    "adjust_brightness_image",
    "adjust_contrast_image",
    "adjust_gamma_image",
    "adjust_hue_image",
    "adjust_saturation_image",
    "adjust_sharpness_image",
    "affine_bounding_boxes",
    "affine_image",
    "affine_mask",
    "autocontrast_image",
    "center_crop_bounding_boxes",
    "center_crop_image",
    "center_crop_mask",
    "crop_bounding_boxes",
    "crop_image",
    "crop_mask",
    "elastic_bounding_boxes",
    "elastic_image",
    "elastic_mask",
    "equalize_image",
    "erase_image",
    "five_crop_image",
    "gaussian_blur_image",
    "gaussian_noise_image",
    "get_dimensions_image",
    "get_size_bounding_boxes",
    "get_size_image",
    "get_size_mask",
    "horizontal_flip_bounding_boxes",
    "horizontal_flip_image",
    "horizontal_flip_mask",
    "invert_image",
    "jpeg_image",
    "normalize_image",
    "pad_bounding_boxes",
    "pad_image",
    "pad_mask",
    "permute_channels_image",
    "perspective_bounding_boxes",
    "perspective_image",
    "perspective_mask",
    "posterize_image",
    "resize_bounding_boxes",
    "resize_image",
    "resize_mask",
    "resized_crop_bounding_boxes",
    "resized_crop_image",
    "resized_crop_mask",
    "rgb_to_grayscale_image",
    "rotate_bounding_boxes",
    "rotate_image",
    "rotate_mask",
    "solarize_image",
    "ten_crop_image",
    "to_dtype_image",
    "vertical_flip_bounding_boxes",
    "vertical_flip_image",
    "vertical_flip_mask",
]
