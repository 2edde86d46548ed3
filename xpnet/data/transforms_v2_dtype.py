"""torchvision v2's dtype conversions of whole samples: :class:`ToDtype`, with one dtype for
images and videos or a dict of dtypes per tv_tensor type, and the deprecated
:class:`ConvertImageDtype`.

Example:
    >>> import xpnet
    >>> from xpnet.data import tv_tensors
    >>> to_float = ToDtype({tv_tensors.Image: xpnet.float32, "others": None}, scale=True)
    >>> image, mask = to_float(tv_tensors.Image(np.full((1, 1, 1), 255, np.uint8)),
    ...                        tv_tensors.Mask(np.ones((1, 1), np.uint8)))
    >>> image.tolist(), mask.dtype
    ([[[1.0]]], dtype('uint8'))
"""

from __future__ import annotations

import warnings

import numpy

from ..autograd import Tensor
from . import transforms_v2_functional as functional
from .transforms_v2_base import Transform, is_pure_tensor
from .tv_tensors import Image, Video

__all__ = ["ConvertImageDtype", "ToDtype"]


def _dtype(value, where: str):
    """``value`` as a NumPy dtype (``None`` stays ``None``: no conversion)."""
    if value is None:
        return None
    try:
        return numpy.dtype(value)
    except TypeError:
        msg = f"ToDtype: {where} must be a dtype such as xpnet.float32, got {type(value)} instead"
        raise ValueError(msg) from None


class ToDtype(Transform):
    """A sample's tensors as ``dtype``, with ``scale`` rescaling images and videos to the new
    dtype's range, as torchvision v2's.

    Args:
        dtype: a NumPy dtype (``xpnet.float32``, ...), for images, videos and plain tensors
            only (masks and boxes keep theirs, as ``ConvertImageDtype``); or a dict from
            tv_tensor types (``Image``, ``Mask``, ``BoundingBoxes``, ..., ``xpnet.Tensor``
            for plain tensors and arrays) to dtypes, where ``"others"`` is the catch-all key
            and ``None`` means no conversion, e.g.
            ``{tv_tensors.Image: xpnet.float32, tv_tensors.Mask: xpnet.int64, "others": None}``.
        scale: rescale images, videos and plain tensors: uint8 to [0, 1] floats and back, ...
            (see :func:`~xpnet.data.transforms_v2_functional.to_dtype`). Default: ``False``.

    Raises:
        ValueError: if ``dtype`` is neither a dtype nor a dict of them; when called, for a
            tensor whose type the dict does not name, without ``"others"`` (torchvision's
            message).

    Warns:
        UserWarning: for a dict naming both ``xpnet.Tensor`` and ``Image`` or ``Video`` (a
            plain tensor is then left alone where an image is present), and when a ``scale``
            would apply to a leaf that the dict converts to ``None``.
    """

    transformed_types = (Tensor, numpy.ndarray)  # torchvision's: every torch.Tensor

    def __init__(self, dtype, scale: bool = False) -> None:
        if isinstance(dtype, dict):
            self.dtype = {key: _dtype(value, f"dtype[{key!r}]") for key, value in dtype.items()}
            if Tensor in dtype and (Image in dtype or Video in dtype):
                warnings.warn(
                    "Got `dtype` values for `xpnet.Tensor` and either `tv_tensors.Image` or "
                    "`tv_tensors.Video`. Note that a plain `xpnet.Tensor` will *not* be "
                    "transformed by this (or any other transformation) in case a "
                    "`tv_tensors.Image` or `tv_tensors.Video` is present in the input.",
                    stacklevel=2,
                )
        else:
            if dtype is None:  # numpy.dtype(None) is float64: refused, as torchvision does
                msg = f"ToDtype: dtype must be a dict or a dtype, got {type(dtype)} instead"
                raise ValueError(msg)
            self.dtype = _dtype(dtype, "dtype")
        self.scale = scale

    def _leaf_dtype(self, inpt):
        """The dtype ``inpt`` converts to (``None``: none), or ``inpt`` itself to pass."""
        if not isinstance(self.dtype, dict):
            return self.dtype
        kind = Tensor if is_pure_tensor(inpt) else type(inpt)  # an array is a plain tensor
        if kind in self.dtype:
            return self.dtype[kind]
        if "others" in self.dtype:
            return self.dtype["others"]
        msg = (
            f"No dtype was specified for type {type(inpt)}. If you only need to convert the "
            "dtype of images or videos, you can just pass e.g. dtype=xpnet.float32. If you're "
            'passing a dict as dtype, you can use "others" as a catch-all key e.g. '
            'dtype={tv_tensors.Mask: xpnet.int64, "others": None} to pass-through the rest '
            "of the inputs."
        )
        raise ValueError(msg)

    def transform(self, inpt, params: dict):
        supports_scaling = is_pure_tensor(inpt) or isinstance(inpt, (Image, Video))
        if not isinstance(self.dtype, dict) and not supports_scaling:
            return inpt  # as ConvertImageDtype: images, videos and plain tensors only
        dtype = self._leaf_dtype(inpt)
        if dtype is None:
            if self.scale and supports_scaling:
                warnings.warn(
                    "scale was set to True but no dtype was specified for images or videos: "
                    "no scaling will be done.",
                    stacklevel=2,
                )
            return inpt
        return functional.to_dtype(inpt, dtype, self.scale)


class ConvertImageDtype(ToDtype):
    """Deprecated in torchvision v2 for ``ToDtype(dtype, scale=True)``, which it is."""

    def __init__(self, dtype=numpy.float32) -> None:
        super().__init__(dtype, scale=True)

    def repr_fields(self):
        return []  # torchvision's holds only the dtype, which it does not print
