"""torchvision's ``transforms.v2.functional``, as :mod:`xpnet.data.transforms.v2.functional`.

Every v1 function of :mod:`xpnet.data.transforms.functional` (same arguments, same results),
v2's new names for some of them (``horizontal_flip``, ``vertical_flip``, ``get_size``),
v2's own conversions (:func:`to_image`, :func:`to_dtype`) and v2's new kernels:
:func:`gaussian_noise`, :func:`permute_channels`, :func:`five_crop`, :func:`ten_crop`,
:func:`jpeg`, and :func:`~xpnet.data.transforms_v2_warp.elastic`, and the video functions of
:mod:`xpnet.data.transforms_v2_video`. They take one image (a PIL
image, an :class:`~xpnet.Tensor` or a NumPy array); the v2 transform classes apply them to
the image leaves of whole samples. The geometric ones (``horizontal_flip``, ``vertical_flip``,
``crop``, ``center_crop``, ``resized_crop``, ``pad``, ``resize``, ``get_size``, ``affine``,
``rotate``, ``perspective``, ``elastic``) take :mod:`~xpnet.data.tv_tensors` too
(:mod:`xpnet.data.tv_tensors_geometry`, :mod:`xpnet.data.transforms_v2_warp`), and
:func:`convert_bounding_box_format` and :func:`clamp_bounding_boxes` are here.

Example:
    >>> import xpnet
    >>> from xpnet.data.transforms.v2 import functional as F
    >>> image = F.to_image(np.full((2, 3, 1), 255, dtype=np.uint8))
    >>> image.shape, F.to_dtype(image, xpnet.float32, scale=True).tolist()[0][0]
    ((1, 2, 3), [1.0, 1.0, 1.0])
"""

from __future__ import annotations

import io
import numbers

import numpy

from .._random import host_generator
from ..autograd import Tensor
from ..backends import backend_of
from . import transforms_pil as fp
from .transforms_functional import *  # noqa: F403 - v2's functional keeps every v1 name
from .transforms_functional import __all__ as v1_names
from .transforms_functional import (
    get_dimensions,
    host_array,
    like_input,
    pil_to_tensor,
    to_pil_image,
)
from .transforms_v2_base import is_pure_tensor
from .transforms_v2_color import to_dtype_array
from .transforms_v2_image import *  # noqa: F403 - v1's image functions, Images kept Images
from .transforms_v2_image import grayscale_to_rgb, image_functional
from .transforms_v2_video import get_num_channels, get_num_frames, uniform_temporal_subsample
from .transforms_v2_warp import *  # noqa: F403 - v2's affine, rotate, perspective, elastic
from .transforms_v2_warp import __all__ as warp_names
from .transforms_v2_warp import elastic
from .tv_tensors import (
    BoundingBoxes,
    Image,
    Mask,
    Video,
    clamp_bounding_boxes,
    convert_bounding_box_format,
    wrap,
)
from .tv_tensors_geometry import (  # v1's functions, taking masks and boxes too
    center_crop,
    crop,
    get_size,
    horizontal_flip,
    pad,  # noqa: F401 - replaces v1's name of __all__
    resize,  # noqa: F401
    resized_crop,  # noqa: F401
    vertical_flip,
)
from .tv_tensors_keypoints import clamp_keypoints, sanitize_keypoints

__all__ = [
    *v1_names,
    *(name for name in warp_names if name not in v1_names),
    "clamp_bounding_boxes",
    "clamp_keypoints",
    "convert_bounding_box_format",
    "elastic_transform",
    "five_crop",
    "gaussian_noise",
    "get_num_channels",
    "get_num_frames",
    "grayscale_to_rgb",
    "get_size",
    "horizontal_flip",
    "is_pure_tensor",
    "jpeg",
    "permute_channels",
    "sanitize_keypoints",
    "ten_crop",
    "to_dtype",
    "to_image",
    "uniform_temporal_subsample",
    "vertical_flip",
]

hflip = horizontal_flip
vflip = vertical_flip
elastic_transform = elastic  # torchvision v2's other name for it


def to_image(inpt) -> Image:
    """A PIL image, an (H, W[, C]) NumPy array or a Tensor as a (C, H, W)
    :class:`~xpnet.data.tv_tensors.Image`.

    As torchvision's: an array is taken as height, width, channels (``numpy.atleast_3d``,
    then channels first), a PIL image as :func:`pil_to_tensor` gives it, a Tensor as it is;
    the dtype is kept (uint8 stays uint8: :func:`to_dtype` with ``scale=True`` rescales).

    Raises:
        TypeError: for anything else.

    Example:
        >>> to_image(np.zeros((4, 5, 3), dtype=np.uint8)).shape
        (3, 4, 5)
    """
    if isinstance(inpt, numpy.ndarray):
        return Image(numpy.ascontiguousarray(numpy.atleast_3d(inpt).transpose(2, 0, 1)))
    if fp.is_pil_image(inpt):
        return Image(pil_to_tensor(inpt))
    if isinstance(inpt, Tensor):
        return inpt if isinstance(inpt, Image) else Image(inpt)
    msg = (
        "to_image: inpt can either be a pure Tensor, a numpy array, or a PIL image, "
        f"but got {type(inpt)} instead."
    )
    raise TypeError(msg)


def to_dtype(inpt, dtype=numpy.float32, scale: bool = False):
    """A tensor image as ``dtype``; with ``scale``, its values rescaled to the new range.

    Without ``scale`` the values are cast (floats truncate towards zero into integers). With
    it, integers map to [0, 1] floats by their dtype's maximum (uint8: 255), floats to
    integers by ``value * (max + 1 - 0.001)``, integers to integers by bit shifts, as
    torchvision's ``to_dtype_image``.

    Args:
        inpt: an :class:`~xpnet.Tensor` or a NumPy array, on any backend.
        dtype: the dtype to convert to (a NumPy dtype, e.g. ``xpnet.float32``).
            Default: float32.
        scale: rescale the values. Default: ``False``.

    Returns:
        The same kind (Tensor, tv_tensor or array) as ``inpt``. A Mask or BoundingBoxes is
        cast without ``scale``, as torchvision's.

    Raises:
        TypeError: if ``inpt`` is not a tensor image.
        RuntimeError: for float32 to int32/int64 and float64 to int64 with ``scale``
            (not exact), as torchvision.

    Note:
        Integer to float multiplies by ``1 / max`` (torchvision v2's ``mul_``), where v1's
        ``convert_image_dtype`` divides by ``max``: the two differ in the last bit for half
        of the uint8 values, and each transform keeps its own torchvision's.

    Example:
        >>> to_dtype(np.array([[[0, 128, 255]]], dtype=np.uint8), scale=True).round(3).tolist()
        [[[0.0, 0.502, 1.0]]]
    """
    if not isinstance(inpt, (Tensor, numpy.ndarray)):
        msg = f"to_dtype: inpt must be a Tensor or a NumPy array, got {type(inpt)}"
        raise TypeError(msg)
    if isinstance(inpt, (BoundingBoxes, Mask)):
        return wrap(inpt.array.astype(dtype), like=inpt)
    image = inpt.array if isinstance(inpt, Tensor) else inpt
    if image.dtype == numpy.dtype(dtype):
        return inpt
    result = to_dtype_array(image, dtype, scale)
    if isinstance(inpt, (Image, Video)):
        return type(inpt)(result)
    return Tensor(result) if isinstance(inpt, Tensor) else result


def gaussian_noise(inpt, mean: float = 0.0, sigma: float = 0.1, clip: bool = True):
    """``inpt + mean + sigma * N(0, 1)``, clamped to [0, 1] with ``clip``, as torchvision's.

    The noise is drawn from xpnet's host generator (:func:`xpnet.manual_seed`) in the
    image's float dtype (float16 draws in float32), then moved to the image's backend.

    Args:
        inpt: a float tensor image (Tensor or array, any backend).
        mean: the noise's mean. Default: 0.0.
        sigma: its standard deviation. Default: 0.1.
        clip: clamp the result to [0, 1]. Default: ``True``.

    Raises:
        ValueError: for an integer image, a negative ``sigma`` or a PIL image.

    Example:
        >>> gaussian_noise(np.zeros((1, 2, 2), np.float32), sigma=0.0, mean=2.0).tolist()
        [[[1.0, 1.0], [1.0, 1.0]]]
    """
    if fp.is_pil_image(inpt):
        msg = "Gaussian Noise is not implemented for PIL images."
        raise ValueError(msg)
    array = inpt.array if isinstance(inpt, Tensor) else inpt
    if array.dtype.kind != "f":
        msg = f"Input tensor is expected to be in float dtype, got dtype={array.dtype}"
        raise ValueError(msg)
    if sigma < 0:
        msg = f"sigma shouldn't be negative. Got {sigma}"
        raise ValueError(msg)
    xp = backend_of(array, names=("inpt",), where="gaussian_noise").xp
    draw_dtype = array.dtype if array.dtype.itemsize >= 4 else numpy.float32
    noise = host_generator().standard_normal(array.shape, dtype=draw_dtype).astype(array.dtype)
    out = array + (mean + xp.asarray(noise) * sigma)  # torch's: mean + randn_like * sigma
    if clip:
        out = xp.clip(out, 0, 1)
    return Tensor(out) if isinstance(inpt, Tensor) else out


def permute_channels(inpt, permutation):
    """The channels of ``inpt`` in the order ``permutation``: ``image[..., permutation, :, :]``.

    Raises:
        ValueError: if ``permutation`` has another length than the number of channels.

    Example:
        >>> permute_channels(np.arange(3).reshape(3, 1, 1), [2, 0, 1]).ravel().tolist()
        [2, 0, 1]
    """
    if fp.is_pil_image(inpt):  # torchvision's: through a tensor and back, in the same mode
        return to_pil_image(permute_channels(pil_to_tensor(inpt), permutation), mode=inpt.mode)
    array = host_array(inpt)
    channels = array.shape[-3] if array.ndim > 2 else 1
    if len(permutation) != channels:
        msg = (
            "Length of permutation does not match number of channels: "
            f"{len(permutation)} != {channels}"
        )
        raise ValueError(msg)
    return like_input(inpt, numpy.ascontiguousarray(array[..., list(permutation), :, :]))


def five_crop_size(size) -> list[int]:
    """torchvision's ``_parse_five_crop_size``: ``[height, width]`` of a crop."""
    if isinstance(size, numbers.Number):
        size = [int(size), int(size)]
    elif isinstance(size, (tuple, list)) and len(size) == 1:
        size = [size[0], size[0]]
    if len(size) != 2:
        msg = "Please provide only two dimensions (h, w) for size."
        raise ValueError(msg)
    return list(size)


def five_crop(inpt, size) -> tuple:
    """The four corner crops and the central crop of size ``size`` (an int for a square):
    ``(top_left, top_right, bottom_left, bottom_right, center)``.

    Raises:
        ValueError: if the crop is larger than the image.

    Example:
        >>> [int(crop[0, 0, 0]) for crop in five_crop(np.arange(9).reshape(1, 3, 3), 2)]
        [0, 1, 3, 4, 0]
    """
    crop_height, crop_width = five_crop_size(size)
    _, image_height, image_width = get_dimensions(inpt)
    if crop_width > image_width or crop_height > image_height:
        msg = f"Requested crop size {size} is bigger than input size {(image_height, image_width)}"
        raise ValueError(msg)
    bottom, right = image_height - crop_height, image_width - crop_width
    return (
        crop(inpt, 0, 0, crop_height, crop_width),
        crop(inpt, 0, right, crop_height, crop_width),
        crop(inpt, bottom, 0, crop_height, crop_width),
        crop(inpt, bottom, right, crop_height, crop_width),
        center_crop(inpt, [crop_height, crop_width]),
    )


def ten_crop(inpt, size, vertical_flip: bool = False) -> tuple:
    """:func:`five_crop` of ``inpt``, then of its horizontal (or, with ``vertical_flip``,
    vertical) flip: ten images.

    Example:
        >>> len(ten_crop(np.zeros((1, 4, 4)), 2))
        10
    """
    flipped = vflip(inpt) if vertical_flip else hflip(inpt)
    return five_crop(inpt, size) + five_crop(flipped, size)


def jpeg(inpt, quality: int):
    """``inpt`` encoded as JPEG of ``quality`` (1 to 100) and decoded, through Pillow.

    Note:
        torchvision encodes tensors with libjpeg through ``torchvision.io``; here tensors go
        through Pillow's encoder (torchvision's PIL path), so a tensor's artefacts can differ
        from torchvision's in a few values.

    Raises:
        ValueError: for ``quality`` outside [1, 100], or a tensor that is not uint8 with 1
            or 3 channels.

    Example:
        >>> jpeg(np.full((3, 8, 8), 200, np.uint8), 90).shape
        (3, 8, 8)
    """
    if not 1 <= quality <= 100:
        msg = f"quality must be an integer from 1 to 100, got quality={quality}"
        raise ValueError(msg)
    if fp.is_pil_image(inpt):
        raw = io.BytesIO()
        inpt.save(raw, format="JPEG", quality=quality)
        return fp.pil().open(raw).copy()  # a plain Image, not a JpegImageFile
    array = host_array(inpt)
    if array.dtype != numpy.uint8:
        msg = f"Input tensor dtype should be uint8, but got {array.dtype}"
        raise ValueError(msg)
    if array.ndim < 3 or array.shape[-3] not in (1, 3):
        msg = f"The number of channels should be 1 or 3, got shape {tuple(array.shape)}"
        raise ValueError(msg)
    images = array.reshape(-1, *array.shape[-3:])  # (N, C, H, W), one JPEG each
    decoded = [numpy.asarray(jpeg(to_pil_image(Tensor(image)), quality)) for image in images]
    result = numpy.stack([numpy.atleast_3d(image).transpose(2, 0, 1) for image in decoded])
    return like_input(inpt, result.reshape(array.shape))


# v2's own image kernels keep their names; the dispatchers rewrap Images and refuse the rest
gaussian_noise_image, permute_channels_image, jpeg_image = gaussian_noise, permute_channels, jpeg
gaussian_noise = image_functional(gaussian_noise_image)
permute_channels = image_functional(permute_channels_image)
jpeg = image_functional(jpeg_image)

# torchvision's per-type kernel names, last: they name this module's functions
from .transforms_v2_kernels import *  # noqa: E402, F403
from .transforms_v2_kernels import __all__ as kernel_names  # noqa: E402

__all__ += [name for name in kernel_names if name not in __all__]
