"""torchvision v2's per-type kernel names: the ``*_image``, ``*_mask`` and
``*_bounding_boxes``, ``*_video`` and ``*_keypoints`` functions of
``transforms.v2.functional``.

Each name is the very function the dispatcher of :mod:`xpnet.data.transforms_v2_functional`
calls for that type, not a second implementation: v1's functions for images (PIL images
included, which torchvision sends to private PIL kernels) where v2 computes as v1, v2's own
(:mod:`xpnet.data.transforms_v2_color`, :mod:`xpnet.data.transforms_v2_blend`) where it
does not, the masks' NEAREST kernels, and
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
from . import transforms_v2_video as video
from .transforms_v2_blend import (
    adjust_contrast_image,
    adjust_hue_image,
    adjust_saturation_image,
    adjust_sharpness_image,
    rgb_to_grayscale_image,
)
from .transforms_v2_color import autocontrast_image, equalize_image, posterize_image
from .transforms_v2_resize import resize_image, resized_crop_image
from .transforms_v2_video import get_num_channels
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
from .tv_tensors_keypoints import (
    affine_keypoints,
    center_crop_keypoints,
    crop_keypoints,
    elastic_keypoints,
    get_size_keypoints,
    horizontal_flip_keypoints,
    pad_keypoints,
    perspective_keypoints,
    resize_keypoints,
    resized_crop_keypoints,
    rotate_keypoints,
    vertical_flip_keypoints,
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
get_size_image = get_size_mask = get_size_bounding_boxes = get_size
get_dimensions_image = F.get_dimensions
# the other photometric and image kernels: v2's dispatchers call v1's functions
adjust_brightness_image = F.adjust_brightness
adjust_gamma_image = F.adjust_gamma
invert_image = F.invert
solarize_image = F.solarize
erase_image = F.erase
gaussian_blur_image = F.gaussian_blur
normalize_image = F.normalize
grayscale_to_rgb_image = F2.grayscale_to_rgb_image
to_dtype_image = F2.to_dtype
gaussian_noise_image = F2.gaussian_noise_image
jpeg_image = F2.jpeg_image
permute_channels_image = F2.permute_channels_image
five_crop_image = F2.five_crop
ten_crop_image = F2.ten_crop


get_num_channels_image = get_num_channels_video = get_num_channels

# torchvision's *_video kernels call the *_image ones: every kernel takes (..., C, H, W), so
# the frames of a (..., T, C, H, W) video share one set of parameters
adjust_brightness_video = adjust_brightness_image
adjust_contrast_video = adjust_contrast_image
adjust_gamma_video = adjust_gamma_image
adjust_hue_video = adjust_hue_image
adjust_saturation_video = adjust_saturation_image
adjust_sharpness_video = adjust_sharpness_image
affine_video = affine_image
autocontrast_video = autocontrast_image
center_crop_video = center_crop_image
crop_video = crop_image
elastic_video = elastic_image
equalize_video = equalize_image
erase_video = erase_image
five_crop_video = five_crop_image
gaussian_blur_video = gaussian_blur_image
gaussian_noise_video = gaussian_noise_image
get_dimensions_video = get_dimensions_image
get_size_video = get_size_image
horizontal_flip_video = horizontal_flip_image
invert_video = invert_image
jpeg_video = jpeg_image
normalize_video = normalize_image
pad_video = pad_image
permute_channels_video = permute_channels_image
perspective_video = perspective_image
posterize_video = posterize_image
resize_video = resize_image
resized_crop_video = resized_crop_image
rotate_video = rotate_image
solarize_video = solarize_image
ten_crop_video = ten_crop_image
to_dtype_video = to_dtype_image
vertical_flip_video = vertical_flip_image
get_num_frames_video = video.get_num_frames_video
uniform_temporal_subsample_video = video.uniform_temporal_subsample_video


def resized_crop_mask(mask, top: int, left: int, height: int, width: int, size):
    """torchvision's ``resized_crop_mask``: ``crop_mask``, then :func:`resize_mask`.

    Example:
        >>> resized_crop_mask(np.eye(4, dtype=np.uint8), 0, 0, 2, 2, [4, 4]).shape
        (4, 4)
    """
    return resize_mask(crop_mask(mask, top, left, height, width), size)


__all__ = [
    "adjust_brightness_image",
    "adjust_brightness_video",
    "adjust_contrast_image",
    "adjust_contrast_video",
    "adjust_gamma_image",
    "adjust_gamma_video",
    "adjust_hue_image",
    "adjust_hue_video",
    "adjust_saturation_image",
    "adjust_saturation_video",
    "adjust_sharpness_image",
    "adjust_sharpness_video",
    "affine_bounding_boxes",
    "affine_image",
    "affine_keypoints",
    "affine_mask",
    "affine_video",
    "autocontrast_image",
    "autocontrast_video",
    "center_crop_bounding_boxes",
    "center_crop_image",
    "center_crop_keypoints",
    "center_crop_mask",
    "center_crop_video",
    "crop_bounding_boxes",
    "crop_image",
    "crop_keypoints",
    "crop_mask",
    "crop_video",
    "elastic_bounding_boxes",
    "elastic_image",
    "elastic_keypoints",
    "elastic_mask",
    "elastic_video",
    "equalize_image",
    "equalize_video",
    "erase_image",
    "erase_video",
    "five_crop_image",
    "five_crop_video",
    "gaussian_blur_image",
    "gaussian_blur_video",
    "gaussian_noise_image",
    "gaussian_noise_video",
    "grayscale_to_rgb_image",
    "get_dimensions_image",
    "get_dimensions_video",
    "get_num_channels_image",
    "get_num_channels_video",
    "get_num_frames_video",
    "get_size_bounding_boxes",
    "get_size_image",
    "get_size_keypoints",
    "get_size_mask",
    "get_size_video",
    "horizontal_flip_bounding_boxes",
    "horizontal_flip_image",
    "horizontal_flip_keypoints",
    "horizontal_flip_mask",
    "horizontal_flip_video",
    "invert_image",
    "invert_video",
    "jpeg_image",
    "jpeg_video",
    "normalize_image",
    "normalize_video",
    "pad_bounding_boxes",
    "pad_image",
    "pad_keypoints",
    "pad_mask",
    "pad_video",
    "permute_channels_image",
    "permute_channels_video",
    "perspective_bounding_boxes",
    "perspective_image",
    "perspective_keypoints",
    "perspective_mask",
    "perspective_video",
    "posterize_image",
    "posterize_video",
    "resize_bounding_boxes",
    "resize_image",
    "resize_keypoints",
    "resize_mask",
    "resize_video",
    "resized_crop_bounding_boxes",
    "resized_crop_image",
    "resized_crop_keypoints",
    "resized_crop_mask",
    "resized_crop_video",
    "rgb_to_grayscale_image",
    "rotate_bounding_boxes",
    "rotate_image",
    "rotate_keypoints",
    "rotate_mask",
    "rotate_video",
    "solarize_image",
    "solarize_video",
    "ten_crop_image",
    "ten_crop_video",
    "to_dtype_image",
    "to_dtype_video",
    "uniform_temporal_subsample_video",
    "vertical_flip_bounding_boxes",
    "vertical_flip_image",
    "vertical_flip_keypoints",
    "vertical_flip_mask",
    "vertical_flip_video",
]
