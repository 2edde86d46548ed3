"""torchvision v2's colour kernels that differ from v1's: ``equalize_image`` and
``posterize_image``, which take images of any dtype where v1's take uint8 only,
``autocontrast_image``, which rescales by another formula, and the dtype conversion of
``to_dtype_image`` (:func:`to_dtype_array`), which equalize uses to go through uint8 and back.

v1's ``equalize`` and ``posterize`` (:mod:`xpnet.data.transforms_photometric`) refuse
anything but uint8, as torchvision's v1 functions do; torchvision 0.28's v2 kernels
equalize a float or int16 image through uint8, posterize a float image by levels and an
integer one by masking its highest value bits. PIL images go to v1's PIL path, as
torchvision's.

Example:
    >>> posterize_image(np.array([[[0.3, 0.9]]], dtype=np.float32), 1).tolist()
    [[[0.0, 0.5]]]
"""

from __future__ import annotations

import numpy

from ..backends import backend_of, float_errors_ignored
from . import transforms_photometric as P
from . import transforms_tensor as ft
from .transforms_functional import like_input

__all__ = [
    "autocontrast_image",
    "equalize_image",
    "posterize_image",
    "to_dtype_array",
    "value_bits",
]

# torchvision's _num_value_bits: the bits that hold an integer dtype's non-negative values
_VALUE_BITS = {"uint8": 8, "int8": 7, "int16": 15, "uint16": 16, "int32": 31, "int64": 63}


def value_bits(dtype) -> int:
    """The bits of an integer ``dtype`` that hold its non-negative values (int16: 15), as
    torchvision's ``_num_value_bits``.

    Raises:
        TypeError: for another dtype (floats, bool, uint32, uint64), torchvision's message.
    """
    name = numpy.dtype(dtype).name
    if name not in _VALUE_BITS:
        msg = f"Number of value bits is only defined for integer dtypes, but got {name}."
        raise TypeError(msg)
    return _VALUE_BITS[name]


def to_dtype_array(image, dtype, scale: bool):
    """An image array as ``dtype`` (see :func:`~xpnet.data.transforms_v2_functional.to_dtype`,
    which wraps it): cast, or with ``scale`` rescaled to the new dtype's range."""
    dtype = numpy.dtype(dtype)
    if image.dtype == dtype:
        return image
    if not scale:
        return image.astype(dtype)
    if image.dtype.kind in "iu" and dtype.kind == "f":
        # torchvision v2: image.to(dtype).mul_(1.0 / max), the scalar in the op's float type
        opmath = numpy.dtype(numpy.float32) if dtype.itemsize < 4 else dtype
        reciprocal = opmath.type(1.0 / ft.max_value(image.dtype))
        return (image.astype(dtype).astype(opmath) * reciprocal).astype(dtype)
    return ft.convert_image_dtype(image, dtype)


def equalize_image(image):
    """torchvision v2's ``equalize_image``: v1's :func:`~xpnet.data.transforms_photometric.equalize`
    of every (H, W) plane of an image (..., H, W) of any dtype, which goes through uint8
    (``to_dtype(..., scale=True)`` there and back); an empty image is returned as it is.

    Example:
        >>> image = np.repeat(np.arange(8, dtype=np.float32) / 7, 128).reshape(1, 32, 32)
        >>> sorted(set((equalize_image(image) * 255).round().ravel().tolist()))
        [0.0, 43.0, 85.0, 128.0, 171.0, 213.0, 255.0]
    """
    array = P.tensor_image_array(image)
    if array is None:
        return P.equalize(image)
    if array.size == 0:
        return image
    equalized = P.equalize_planes(to_dtype_array(array, numpy.uint8, scale=True))
    return like_input(image, to_dtype_array(equalized, array.dtype, scale=True))


def posterize_image(image, bits: int):
    """torchvision v2's ``posterize_image``: a float image to ``2 ** bits`` levels
    (``floor(x * levels)``, clamped to ``[0, levels - 1]``, over ``levels``), an integer one
    with all but its ``bits`` highest value bits cleared (:func:`value_bits`).

    Raises:
        TypeError: if ``bits`` is not an int in [0, 8] (torchvision v2's message), or for an
            integer dtype without :func:`value_bits`.

    Example:
        >>> posterize_image(np.array([[[7, 200]]], dtype=np.uint8), 4).tolist()
        [[[0, 192]]]
    """
    if not isinstance(bits, int) or not 0 <= bits <= 8:
        msg = f"bits must be a positive integer in the range [0, 8], got {bits} instead."
        raise TypeError(msg)
    array = P.tensor_image_array(image)
    if array is None:
        return P.posterize(image, bits)
    if array.dtype.kind == "f":
        xp, kind, levels = backend_of(array).xp, array.dtype.type, 1 << bits
        floored = xp.floor(array * kind(levels))  # exact: levels is a power of two
        return like_input(image, xp.clip(floored, 0, levels - 1) * kind(1 / levels))
    value = value_bits(array.dtype)
    if bits >= value:
        return image
    mask = ((1 << bits) - 1) << (value - bits)
    return like_input(image, array & array.dtype.type(mask))


def autocontrast_image(image):
    """torchvision v2's ``autocontrast_image``: each channel rescaled so that its smallest
    value becomes 0 and its largest the dtype's bound, by v2's formula (divided by
    ``(max - min) * (1 / bound)``; v1's multiplies by ``bound / (max - min)``, which can round
    uint8 results one unit apart). Integer images compute in float32 and truncate back; a
    constant channel is kept; an empty image is returned as it is.

    Raises:
        TypeError: for a tensor image of fewer than 3 dimensions (torchvision: an IndexError)
            or not 1 or 3 channels.

    Example:
        >>> autocontrast_image(np.array([[[50, 100, 150]]], dtype=np.uint8)).tolist()  # v1: 255
        [[[0, 127, 254]]]
    """
    array = P.tensor_image_array(image)
    if array is None:
        return P.autocontrast(image)
    if array.ndim < 3:
        msg = f"Input image tensor should have at least 3 dimensions, but found {array.ndim}"
        raise TypeError(msg)
    if array.shape[-3] not in (1, 3):
        msg = f"Input image tensor permitted channel values are 1 or 3, but found {array.shape[-3]}"
        raise TypeError(msg)
    if array.size == 0:
        return image
    xp, bound = backend_of(array).xp, ft.max_value(array.dtype)
    values = array if array.dtype.kind == "f" else array.astype(numpy.float32)
    minimum = values.min(axis=(-2, -1), keepdims=True)
    maximum = values.max(axis=(-2, -1), keepdims=True)
    constant = maximum == minimum
    # torch multiplies by the scalar in float32 at least (its opmath), then rounds
    opmath = numpy.promote_types(values.dtype, numpy.float32)
    with float_errors_ignored():  # inf and NaN go where torch's go; int32's bound overflows
        inverse = (maximum - minimum).astype(opmath) * opmath.type(1.0 / bound)
        minimum = xp.where(constant, values.dtype.type(0), minimum)
        inverse = xp.where(constant, values.dtype.type(1), inverse.astype(values.dtype))
        result = xp.clip((values - minimum) / inverse, 0, bound)
        return like_input(image, result.astype(array.dtype))
