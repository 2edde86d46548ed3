"""torchvision's ``transforms.v2.functional``, as :mod:`xpnet.data.transforms.v2.functional`.

Every v1 function of :mod:`xpnet.data.transforms.functional` (same arguments, same results),
v2's new names for some of them (``horizontal_flip``, ``vertical_flip``, ``get_size``), and
v2's own conversions: :func:`to_image` and :func:`to_dtype`. They take one image (a PIL
image, an :class:`~xpnet.Tensor` or a NumPy array); the v2 transform classes apply them to
the image leaves of whole samples.

Example:
    >>> import xpnet
    >>> from xpnet.data.transforms.v2 import functional as F
    >>> image = F.to_image(np.full((2, 3, 1), 255, dtype=np.uint8))
    >>> image.shape, F.to_dtype(image, xpnet.float32, scale=True).tolist()[0][0]
    ((1, 2, 3), [1.0, 1.0, 1.0])
"""

from __future__ import annotations

import numpy

from ..autograd import Tensor
from . import transforms_pil as fp
from . import transforms_tensor as ft
from .transforms_functional import *  # noqa: F403 - v2's functional keeps every v1 name
from .transforms_functional import __all__ as v1_names
from .transforms_functional import get_dimensions, hflip, pil_to_tensor, vflip
from .transforms_v2_base import is_pure_tensor

__all__ = [
    *v1_names,
    "get_size",
    "horizontal_flip",
    "is_pure_tensor",
    "to_dtype",
    "to_image",
    "vertical_flip",
]

horizontal_flip = hflip
vertical_flip = vflip


def get_size(inpt) -> list[int]:
    """``[height, width]`` of a PIL or tensor image (v2's order; v1's ``get_image_size``
    gives ``[width, height]``)."""
    return get_dimensions(inpt)[1:]


def to_image(inpt) -> Tensor:
    """A PIL image, an (H, W[, C]) NumPy array or a Tensor as a (C, H, W) image Tensor.

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
        return Tensor(numpy.ascontiguousarray(numpy.atleast_3d(inpt).transpose(2, 0, 1)))
    if fp.is_pil_image(inpt):
        return pil_to_tensor(inpt)
    if isinstance(inpt, Tensor):
        return inpt
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
        The same kind (Tensor or array) as ``inpt``.

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
    if not is_pure_tensor(inpt):
        msg = f"to_dtype: inpt must be a Tensor or a NumPy array, got {type(inpt)}"
        raise TypeError(msg)
    image = inpt.array if isinstance(inpt, Tensor) else inpt
    dtype = numpy.dtype(dtype)
    if image.dtype == dtype:
        return inpt
    if not scale:
        result = image.astype(dtype)
    elif image.dtype.kind in "iu" and dtype.kind == "f":
        # torchvision v2: image.to(dtype).mul_(1.0 / max), the scalar in the op's float type
        opmath = numpy.dtype(numpy.float32) if dtype.itemsize < 4 else dtype
        reciprocal = opmath.type(1.0 / ft.max_value(image.dtype))
        result = (image.astype(dtype).astype(opmath) * reciprocal).astype(dtype)
    else:
        result = ft.convert_image_dtype(image, dtype)
    return Tensor(result) if isinstance(inpt, Tensor) else result
