"""The Pillow side of :mod:`xpnet.data.transforms.functional`: torchvision's PIL path.

Pillow is imported when first needed (:func:`pil`), so that xpnet imports without it. Each
function calls the Pillow operation torchvision's ``_functional_pil.py`` calls (``resize``,
``crop``, ``transpose``, ``ImageOps.expand``, ``ImageEnhance``, ``convert``, ``rotate``,
``transform``), so that results
are Pillow's own; the conversions to and from arrays follow torchvision's ``to_tensor``,
``pil_to_tensor`` and ``to_pil_image``.
"""

from __future__ import annotations

import sys

import numpy

__all__ = [
    "adjust_hue",
    "enhance",
    "from_array",
    "is_pil_image",
    "num_channels",
    "pad",
    "parse_fill",
    "pil",
    "rotate",
    "to_array",
    "to_grayscale",
    "transform",
]

_I16 = "I;16" if sys.byteorder == "little" else "I;16B"


def pil():
    """The ``PIL.Image`` module, imported on first use."""
    try:
        from PIL import Image
    except ImportError as error:  # pragma: no cover - Pillow is in the test extra
        msg = "PIL images need Pillow: pip install Pillow"
        raise ImportError(msg) from error
    return Image


def is_pil_image(img) -> bool:
    """Whether ``img`` is a PIL image (``False`` without importing Pillow if it isn't loaded)."""
    module = sys.modules.get("PIL.Image")
    return module is not None and isinstance(img, module.Image)


def num_channels(img) -> int:
    """The number of bands of a PIL image."""
    return len(img.getbands())


def to_array(pic, scaled: bool):
    """A PIL image as a (C, H, W) array: ``to_tensor`` (``scaled``) or ``pil_to_tensor``."""
    if scaled:
        dtype = {"I": numpy.int32, _I16: numpy.int16, "F": numpy.float32}.get(pic.mode, numpy.uint8)
        with numpy.errstate(over="ignore"):
            array = numpy.array(pic, dtype, copy=True)
        if pic.mode == "1":
            array = 255 * array
    else:
        array = numpy.array(pic, copy=True)
    array = array.reshape(pic.size[1], pic.size[0], num_channels(pic)).transpose(2, 0, 1)
    return numpy.ascontiguousarray(array)


_MODES = {2: ["LA"], 4: ["RGBA", "CMYK", "RGBX"], 3: ["RGB", "YCbCr", "HSV"]}
_DEFAULTS = {2: "LA", 4: "RGBA", 3: "RGB"}


def from_array(npimg, mode):
    """torchvision's ``to_pil_image`` from an (H, W, C) array."""
    if numpy.issubdtype(npimg.dtype, numpy.floating) and mode != "F":
        with numpy.errstate(invalid="ignore", over="ignore"):
            npimg = (npimg * 255).astype(numpy.uint8)
    channels = npimg.shape[2]
    if channels == 1:
        npimg = npimg[:, :, 0]
        names = {"uint8": "L", "int16": _I16, "int32": "I", "float32": "F"}
        expected = names.get(npimg.dtype.name)
        if mode is not None and mode != expected:
            msg = (
                f"Incorrect mode ({mode}) supplied for input type {numpy.dtype}. "
                f"Should be {expected}"
            )
            raise ValueError(msg)
        mode = expected
    else:
        permitted = _MODES[channels]
        if mode is not None and mode not in permitted:
            what = {2: "2D", 4: "4D", 3: "3D"}[channels]
            msg = f"Only modes {permitted} are supported for {what} inputs"
            raise ValueError(msg)
        if mode is None and npimg.dtype == numpy.uint8:
            mode = _DEFAULTS[channels]
    if mode is None:
        msg = f"Input type {npimg.dtype} is not supported"
        raise TypeError(msg)
    # as torchvision's _Image_fromarray: the raw bytes read in ``mode`` (Pillow >= 11.3's
    # fromarray infers the mode from the dtype instead, and refuses int16 as "I;16")
    size = (npimg.shape[1], npimg.shape[0])
    return pil().frombuffer(mode, size, numpy.ascontiguousarray(npimg).tobytes(), "raw", mode, 0, 1)


def parse_fill(fill, img, name: str = "fillcolor") -> dict:
    """torchvision's ``_parse_fill``: ``fill`` as Pillow wants it for ``img``."""
    channels = num_channels(img)
    if fill is None:
        fill = 0
    if isinstance(fill, (int, float)) and channels > 1:
        fill = tuple([fill] * channels)
    if isinstance(fill, (list, tuple)):
        if len(fill) == 1:
            fill = fill * channels
        elif len(fill) != channels:
            msg = (
                "The number of elements in 'fill' does not match the number of channels of "
                f"the image ({len(fill)} != {channels})"
            )
            raise ValueError(msg)
        fill = tuple(fill)
    if img.mode != "F":
        fill = tuple(int(x) for x in fill) if isinstance(fill, (list, tuple)) else int(fill)
    return {name: fill}


def pad(img, padding, fill, padding_mode: str):
    """torchvision's PIL ``pad``: ``ImageOps.expand`` for constant, ``numpy.pad`` otherwise."""
    from PIL import ImageOps

    if isinstance(padding, list):
        padding = tuple(padding)
    if isinstance(padding, tuple) and len(padding) == 1:
        padding = padding[0]
    if padding_mode == "constant":
        opts = parse_fill(fill, img, name="fill")
        palette = img.getpalette() if img.mode == "P" else None
        image = ImageOps.expand(img, border=padding, **opts)
        if palette is not None:
            image.putpalette(palette)
        return image
    if isinstance(padding, int):
        padding = (padding,) * 4
    elif len(padding) == 2:
        padding = (padding[0], padding[1], padding[0], padding[1])
    p = numpy.array(padding)
    crop = -numpy.minimum(p, 0)
    if crop.any():
        img = img.crop((crop[0], crop[1], img.width - crop[2], img.height - crop[3]))
    left, top, right, bottom = (int(x) for x in numpy.maximum(p, 0))
    palette = img.getpalette() if img.mode == "P" else None
    array = numpy.asarray(img)
    widths = ((top, bottom), (left, right)) + (((0, 0),) if array.ndim == 3 else ())
    result = pil().fromarray(numpy.pad(array, widths, mode=padding_mode))
    if palette is not None:
        result.putpalette(palette)
    return result


def to_grayscale(img, num_output_channels: int):
    """``img.convert("L")``, stacked three times for three output channels."""
    gray = img.convert("L")
    if num_output_channels == 1:
        return gray
    array = numpy.array(gray, dtype=numpy.uint8)
    return pil().fromarray(numpy.dstack([array, array, array]))


def enhance(img, kind: str, factor: float):
    """``ImageEnhance.<kind>(img).enhance(factor)`` (Brightness, Contrast, Color)."""
    from PIL import ImageEnhance

    return getattr(ImageEnhance, kind)(img).enhance(factor)


def adjust_hue(img, hue_factor: float):
    """torchvision's PIL ``adjust_hue``: shift the HSV hue band, wrapping around in uint8."""
    mode = img.mode
    if mode in {"L", "1", "I", "F"}:
        return img
    h, s, v = img.convert("HSV").split()
    shifted = numpy.array(h, dtype=numpy.uint8)
    shifted += numpy.uint8(int(hue_factor * 255) % 256)
    hue = pil().fromarray(shifted, "L")
    return pil().merge("HSV", (hue, s, v)).convert(mode)


def rotate(img, angle: float, resample: int, expand: bool, center, fill):
    """torchvision's PIL ``rotate``: ``Image.rotate`` with its ``fill`` parsed."""
    return img.rotate(angle, resample, expand, center, **parse_fill(fill, img))


def transform(img, method: str, data, resample: int, fill):
    """torchvision's PIL ``affine`` (``method="AFFINE"``, ``data`` the inverse matrix) and
    ``perspective`` (``"PERSPECTIVE"``, its 8 coefficients): ``Image.transform`` to the
    image's own size."""
    kind = getattr(pil().Transform, method)
    return img.transform(img.size, kind, data, resample, **parse_fill(fill, img))
