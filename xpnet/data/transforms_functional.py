"""torchvision's ``transforms.functional``, as :mod:`xpnet.data.transforms.functional`.

Every function takes a PIL image (computed by Pillow, as torchvision's PIL path does, see
:mod:`xpnet.data.transforms_pil`) or a "tensor image": an :class:`~xpnet.Tensor` or a NumPy
array of shape ``(..., C, H, W)`` on the host, computed as torchvision's tensor path does
(see :mod:`xpnet.data.transforms_tensor`) and returned as the same kind (Tensor or array).
A Tensor on another backend (CuPy, strict) is refused with a TypeError: transforms run on
single samples on the host, and the :class:`~xpnet.data.DataLoader` moves whole batches.

Example:
    >>> from xpnet.data.transforms import functional as F
    >>> image = np.arange(12, dtype=np.uint8).reshape(1, 3, 4)
    >>> F.hflip(image)[0, 0].tolist(), F.center_crop(image, 2).shape
    ([3, 2, 1, 0], (1, 2, 2))
"""

from __future__ import annotations

import numbers
import warnings

import numpy

from ..autograd import Tensor
from . import transforms_pil as fp
from . import transforms_tensor as ft
from .transforms_modes import PIL_MODES, InterpolationMode, checked_interpolation
from .transforms_modes import interpolation_from_int as interpolation_from_int  # kept public

# fmt: off
__all__ = [
    "InterpolationMode", "adjust_brightness", "adjust_contrast", "adjust_gamma", "adjust_hue",
    "adjust_saturation", "adjust_sharpness", "affine", "autocontrast", "center_crop",
    "convert_image_dtype", "crop", "elastic_transform", "equalize", "erase", "five_crop",
    "gaussian_blur", "get_dimensions", "get_image_num_channels", "get_image_size", "hflip",
    "invert", "normalize", "pad", "perspective", "pil_to_tensor", "posterize", "resize",
    "resized_crop", "rgb_to_grayscale", "rotate", "solarize", "ten_crop", "to_grayscale",
    "to_pil_image", "to_tensor", "vflip",
]
# fmt: on


def is_tensor_image(img) -> bool:
    """Whether ``img`` takes torchvision's tensor path: a Tensor or a NumPy array."""
    return isinstance(img, (Tensor, numpy.ndarray))


def host_array(img):
    """The NumPy array of a tensor image; TypeError for a Tensor that is not on the host."""
    data = img.array if isinstance(img, Tensor) else img
    if not isinstance(data, numpy.ndarray):
        msg = (
            "transforms work on host images: a Tensor on another backend is not supported, "
            "move it with xpnet.to_numpy first"
        )
        raise TypeError(msg)
    if data.ndim < 2:
        msg = "Tensor is not a torch image."
        raise TypeError(msg)
    return data


def like_input(img, array):
    """``array`` as the kind of tensor image ``img`` is: a Tensor or a NumPy array."""
    return Tensor(array) if isinstance(img, Tensor) else array


def check_pil_image(img) -> None:
    """torchvision's TypeError for what is neither a tensor image nor a PIL image."""
    if not fp.is_pil_image(img):
        msg = f"img should be PIL Image. Got {type(img)}"
        raise TypeError(msg)


def get_dimensions(img) -> list[int]:
    """``[channels, height, width]`` of a PIL or tensor image."""
    if is_tensor_image(img):
        array = host_array(img)
        return [1 if array.ndim == 2 else array.shape[-3], *array.shape[-2:]]
    if fp.is_pil_image(img):
        return [fp.num_channels(img), img.size[1], img.size[0]]
    msg = f"Unexpected type {type(img)}"
    raise TypeError(msg)


def get_image_size(img) -> list[int]:
    """``[width, height]`` of a PIL or tensor image."""
    _, height, width = get_dimensions(img)
    return [width, height]


def get_image_num_channels(img) -> int:
    """The number of channels of a PIL or tensor image."""
    return get_dimensions(img)[0]


def to_tensor(pic) -> Tensor:
    """A PIL image or an (H, W[, C]) array as a (C, H, W) Tensor; uint8 scaled to [0, 1].

    As torchvision: PIL modes L, RGB, RGBA, P, 1 (0/255) give float32 in [0, 1]; I gives
    int32, I;16 int16, F float32, unscaled. A NumPy array keeps its dtype unless it is uint8.

    Raises:
        TypeError: if ``pic`` is neither a PIL image nor a NumPy array.
        ValueError: if the array is not 2-d or 3-d.
    """
    if not (fp.is_pil_image(pic) or isinstance(pic, numpy.ndarray)):
        msg = f"pic should be PIL Image or ndarray. Got {type(pic)}"
        raise TypeError(msg)
    if isinstance(pic, numpy.ndarray):
        if pic.ndim not in (2, 3):
            msg = f"pic should be 2/3 dimensional. Got {pic.ndim} dimensions."
            raise ValueError(msg)
        image = pic[:, :, None] if pic.ndim == 2 else pic
        image = numpy.ascontiguousarray(image.transpose(2, 0, 1))
    else:
        image = fp.to_array(pic, scaled=True)
    if image.dtype == numpy.uint8:
        image = image.astype(numpy.float32) / numpy.float32(255)
    return Tensor(image)


def pil_to_tensor(pic) -> Tensor:
    """A PIL image as a (C, H, W) Tensor of its own dtype, unscaled."""
    if not fp.is_pil_image(pic):
        msg = f"pic should be PIL Image. Got {type(pic)}"
        raise TypeError(msg)
    return Tensor(fp.to_array(pic, scaled=False))


def to_pil_image(pic, mode=None):
    """A (C, H, W) Tensor or an (H, W[, C]) array as a PIL image (floats times 255)."""
    if isinstance(pic, Tensor):
        pic = host_array(pic)
        if pic.ndim not in (2, 3):
            msg = f"pic should be 2/3 dimensional. Got {pic.ndim} dimensions."
            raise ValueError(msg)
        pic = pic.transpose(1, 2, 0) if pic.ndim == 3 else pic
    elif not isinstance(pic, numpy.ndarray):
        msg = f"pic should be Tensor or ndarray. Got {type(pic)}."
        raise TypeError(msg)
    if pic.ndim == 2:
        pic = pic[:, :, None]
    if pic.ndim != 3:
        msg = f"pic should be 2/3 dimensional. Got {pic.ndim} dimensions."
        raise ValueError(msg)
    if pic.shape[-1] > 4:
        msg = f"pic should not have > 4 channels. Got {pic.shape[-1]} channels."
        raise ValueError(msg)
    return fp.from_array(pic, mode)


def convert_image_dtype(image, dtype=numpy.float32):
    """Convert a tensor image's dtype, rescaling values (uint8 0..255 <-> float 0..1)."""
    if not is_tensor_image(image):
        msg = "Input img should be Tensor Image"
        raise TypeError(msg)
    return like_input(image, ft.convert_image_dtype(host_array(image), dtype))


def normalize(tensor, mean, std, inplace: bool = False):
    """``(tensor - mean) / std`` per channel of a float (..., C, H, W) tensor image."""
    if not is_tensor_image(tensor):
        msg = f"img should be Tensor Image. Got {type(tensor)}"
        raise TypeError(msg)
    array = host_array(tensor)
    if array.dtype.kind != "f":
        msg = f"Input tensor should be a float tensor. Got {array.dtype}."
        raise TypeError(msg)
    if array.ndim < 3:
        msg = (
            "Expected tensor to be a tensor image of size (..., C, H, W). Got tensor.size() = "
            f"{array.shape}"
        )
        raise ValueError(msg)
    mean, std = numpy.asarray(mean, array.dtype), numpy.asarray(std, array.dtype)
    if (std == 0).any():
        msg = (
            f"std evaluated to zero after conversion to {array.dtype}, leading to division by zero."
        )
        raise ValueError(msg)
    mean = mean.reshape(-1, 1, 1) if mean.ndim == 1 else mean
    std = std.reshape(-1, 1, 1) if std.ndim == 1 else std
    result = (array - mean) / std
    if inplace:
        array[...] = result
        return tensor
    return like_input(tensor, result)


def resized_output_size(image_size, size, max_size=None) -> list[int]:
    """torchvision's ``_compute_resized_output_size``: ``[new_height, new_width]``."""
    h, w = image_size
    short, long = (w, h) if w <= h else (h, w)
    if len(size) == 1:
        new_short, new_long = size[0], int(size[0] * long / short)
        if max_size is not None:
            if max_size <= size[0]:
                msg = (
                    f"max_size = {max_size} must be strictly greater than the requested size "
                    f"for the smaller edge size = {size}"
                )
                raise ValueError(msg)
            if new_long > max_size:
                new_short, new_long = int(max_size * new_short / new_long), max_size
        new_w, new_h = (new_short, new_long) if w <= h else (new_long, new_short)
        return [new_h, new_w]
    return [size[0], size[1]]


def resize(img, size, interpolation=InterpolationMode.BILINEAR, max_size=None, antialias=True):
    """Resize to ``size`` (``(h, w)``, or an int for the smaller edge), as torchvision.

    PIL images go through ``Image.resize`` (always antialiased); tensor images through
    PyTorch's ``interpolate`` arithmetic (nearest, nearest-exact, bilinear, bicubic).
    """
    interpolation = checked_interpolation(interpolation)
    _, height, width = get_dimensions(img)
    output_size = checked_output_size((height, width), size, max_size)
    if [height, width] == output_size:
        return img
    if not is_tensor_image(img):
        if antialias is False:
            msg = (
                "Anti-alias option is always applied for PIL Image input. Argument antialias "
                "is ignored."
            )
            warnings.warn(msg, stacklevel=2)
        return img.resize(tuple(output_size[::-1]), PIL_MODES[interpolation.value])
    # torchvision v1 antialiases only these two; interpolate then refuses LANCZOS, as here
    antialias = antialias and interpolation.value in ("bilinear", "bicubic")
    result = ft.resize(host_array(img), output_size, interpolation.value, antialias)
    return like_input(img, result)


def checked_output_size(image_size, size, max_size=None) -> list[int]:
    """:func:`resize`'s ``[new_height, new_width]`` for an image of ``image_size``, after
    torchvision's checks of ``size`` and ``max_size``."""
    if isinstance(size, (list, tuple)):
        if len(size) not in [1, 2]:
            msg = (
                "Size must be an int or a 1 or 2 element tuple/list, not a "
                f"{len(size)} element tuple/list"
            )
            raise ValueError(msg)
        if max_size is not None and len(size) != 1:
            msg = (
                "max_size should only be passed if size specifies the length of the smaller "
                "edge, i.e. size should be an int or a sequence of length 1 in torchscript mode."
            )
            raise ValueError(msg)
    if size is None:  # torchvision v1's message (only v2 takes size=None with max_size)
        msg = "This should never happen!!"
        raise ValueError(msg)
    size = [size] if isinstance(size, int) else list(size)
    return resized_output_size(image_size, size, max_size)


def crop(img, top: int, left: int, height: int, width: int):
    """The ``height`` x ``width`` window at (``top``, ``left``), zero-filled outside the image."""
    if is_tensor_image(img):
        return like_input(img, ft.crop(host_array(img), top, left, height, width))
    check_pil_image(img)
    return img.crop((left, top, left + width, top + height))


def center_crop_size(output_size) -> tuple:
    """``(height, width)`` of a ``center_crop`` ``output_size``: an int (or one-element
    sequence) for a square."""
    if isinstance(output_size, numbers.Number):
        return int(output_size), int(output_size)
    if isinstance(output_size, (tuple, list)) and len(output_size) == 1:
        return output_size[0], output_size[0]
    return tuple(output_size)


def center_crop_anchor(crop_height, crop_width, image_height, image_width) -> tuple[int, int]:
    """``(top, left)`` of the central ``crop_height x crop_width`` window, as torchvision's."""
    top = int(round((image_height - crop_height) / 2.0))
    return top, int(round((image_width - crop_width) / 2.0))


def center_crop(img, output_size):
    """The central ``output_size`` window (an int for a square), zero-padded if larger."""
    _, image_height, image_width = get_dimensions(img)
    crop_height, crop_width = center_crop_size(output_size)
    if crop_width > image_width or crop_height > image_height:
        dw, dh = max(crop_width - image_width, 0), max(crop_height - image_height, 0)
        img = pad(img, [dw // 2, dh // 2, (dw + 1) // 2, (dh + 1) // 2], fill=0)
        _, image_height, image_width = get_dimensions(img)
        if crop_width == image_width and crop_height == image_height:
            return img
    top, left = center_crop_anchor(crop_height, crop_width, image_height, image_width)
    return crop(img, top, left, crop_height, crop_width)


def padding_lrtb(padding) -> list[int]:
    """``[left, right, top, bottom]`` of a pad argument: a number, ``(lr, tb)`` or
    ``(l, t, r, b)`` (torchvision's ``_parse_pad_padding``)."""
    if isinstance(padding, numbers.Number):
        return [int(padding)] * 4
    if len(padding) == 1:
        return [padding[0]] * 4
    if len(padding) == 2:
        return [padding[0], padding[0], padding[1], padding[1]]
    return [padding[0], padding[2], padding[1], padding[3]]


def pad(img, padding, fill=0, padding_mode: str = "constant"):
    """Pad every border (int; ``(lr, tb)``; ``(l, t, r, b)``) with a constant or the image."""
    if not isinstance(padding, (int, tuple, list)):
        msg = "Got inappropriate padding arg"
        raise TypeError(msg)
    if fill is not None and not isinstance(fill, (numbers.Number, tuple, list)):
        msg = "Got inappropriate fill arg"
        raise TypeError(msg)
    if not isinstance(padding_mode, str):
        msg = "Got inappropriate padding_mode arg"
        raise TypeError(msg)
    if isinstance(padding, (tuple, list)) and len(padding) not in [1, 2, 4]:
        msg = (
            "Padding must be an int or a 1, 2, or 4 element tuple, not a "
            f"{len(padding)} element tuple"
        )
        raise ValueError(msg)
    if padding_mode not in ["constant", "edge", "reflect", "symmetric"]:
        msg = "Padding mode should be either constant, edge, reflect or symmetric"
        raise ValueError(msg)
    if is_tensor_image(img):
        if isinstance(fill, (tuple, list)):
            msg = "Got inappropriate fill arg"
            raise TypeError(msg)
        array = host_array(img)
        return like_input(img, ft.pad(array, padding_lrtb(padding), fill, padding_mode))
    check_pil_image(img)
    return fp.pad(img, padding, fill, padding_mode)


def hflip(img):
    """Flip left to right."""
    if is_tensor_image(img):
        return like_input(img, host_array(img)[..., ::-1].copy())
    check_pil_image(img)
    return img.transpose(fp.pil().Transpose.FLIP_LEFT_RIGHT)


def vflip(img):
    """Flip top to bottom."""
    if is_tensor_image(img):
        return like_input(img, host_array(img)[..., ::-1, :].copy())
    check_pil_image(img)
    return img.transpose(fp.pil().Transpose.FLIP_TOP_BOTTOM)


def resized_crop(
    img, top, left, height, width, size, interpolation=InterpolationMode.BILINEAR, antialias=True
):
    """:func:`crop`, then :func:`resize` to ``size``."""
    img = crop(img, top, left, height, width)
    return resize(img, size, interpolation, antialias=antialias)


from .transforms_color import (  # noqa: E402  (the colour half of this module's functions)
    adjust_brightness,
    adjust_contrast,
    adjust_hue,
    adjust_saturation,
    erase,
    gaussian_blur,
    rgb_to_grayscale,
    to_grayscale,
)
from .transforms_geometry import (  # noqa: E402  (the geometric functions)
    affine,
    elastic_transform,
    five_crop,
    get_inverse_affine_matrix,
    get_perspective_coeffs,
    perspective,
    rotate,
    ten_crop,
)
from .transforms_photometric import (  # noqa: E402  (the photometric functions)
    adjust_gamma,
    adjust_sharpness,
    autocontrast,
    equalize,
    invert,
    posterize,
    solarize,
)

_get_inverse_affine_matrix = get_inverse_affine_matrix  # torchvision's private names, for
_get_perspective_coeffs = get_perspective_coeffs  # the scripts that call them
