"""torchvision v2's geometric transforms that v1 does not have: :class:`RandomResize`,
:class:`ScaleJitter`, :class:`RandomShortestSize`, :class:`RandomZoomOut` and
:class:`ElasticTransform` (which warps by :mod:`xpnet.data.transforms_v2_warp`'s
:func:`elastic`).

Their parameters are drawn once per call from the sample's size, with
torchvision's formulas and in torchvision's order (``torch.rand`` as a float32 draw and
float32 arithmetic where torchvision computes on a float32 tensor), from xpnet's host
generator (:func:`xpnet.manual_seed`); every image leaf of the sample gets them. The
resizing and padding are :mod:`xpnet.data.transforms_functional`'s, the warping
:mod:`xpnet.data.transforms_v2_warp`'s. Every one of them moves masks and bounding boxes
with the image (:mod:`xpnet.data.tv_tensors_geometry`, :mod:`xpnet.data.tv_tensors_warp`).

Example:
    >>> from xpnet.data.transforms import v2
    >>> image, label = v2.RandomZoomOut(side_range=(2.0, 2.0), p=1.0)(np.ones((1, 3, 4)), 5)
    >>> image.shape, float(image.sum()), label
    ((1, 6, 8), 12.0, 5)
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence

import numpy

from .._random import host_generator
from . import transforms_functional as F
from . import tv_tensors_geometry as G
from .transforms_affine import check_sequence_input
from .transforms_modes import InterpolationMode
from .transforms_v2_base import BOX_MASK_TYPES, IMAGE_TYPES
from .transforms_v2_draws import LockedTransform, RandomApplyTransform
from .transforms_v2_warp import elastic  # the dispatcher: images, masks and boxes
from .tv_tensors import BoundingBoxes
from .tv_tensors_warp import identity_grid

__all__ = [
    "ElasticTransform",
    "RandomResize",
    "RandomShortestSize",
    "RandomZoomOut",
    "ScaleJitter",
    "elastic",
    "identity_grid",
]

f32 = numpy.float32


def rand32(size=None):
    """``torch.rand``: uniform float32 draws in [0, 1) from the host generator."""
    return host_generator().random(size, dtype=f32)


def image_size(flat_inputs) -> tuple[int, int]:
    """``(height, width)`` of the sample's images, masks and boxes (``query_size``)."""
    return G.query_size(flat_inputs)


def check_fill(fill) -> None:
    """torchvision's ``_check_fill_arg`` (xpnet has no ``tv_tensors``: no dict of fills)."""
    if fill is not None and not isinstance(fill, (numbers.Number, tuple, list)):
        msg = "Got inappropriate fill arg, only Numbers, tuples, lists and dicts are allowed."
        raise TypeError(msg)


class ResizeTransform(LockedTransform):
    """What the random resizes share: ``transform`` resizes each image to ``params["size"]``."""

    transformed_types = IMAGE_TYPES + BOX_MASK_TYPES

    def transform(self, inpt, params: dict):
        mode, antialias = self.interpolation, self.antialias
        return G.resize(inpt, params["size"], interpolation=mode, antialias=antialias)


class RandomResize(ResizeTransform):
    """Resize the smaller edge to a size drawn uniformly from ``[min_size, max_size)``.

    Args:
        min_size: the smallest size drawn.
        max_size: one more than the largest size drawn.
        interpolation: an :class:`InterpolationMode` or a Pillow constant.
            Default: ``InterpolationMode.BILINEAR``.
        antialias: antialias tensor images when shrinking (bilinear, bicubic). Default: ``True``.

    Raises:
        RuntimeError: when called, if ``min_size >= max_size`` (torch's ``randint``'s error).

    Example:
        >>> RandomResize(4, 5)(np.zeros((1, 8, 16))).shape
        (1, 4, 8)
    """

    def __init__(
        self, min_size: int, max_size: int, interpolation=InterpolationMode.BILINEAR, antialias=True
    ) -> None:
        self.min_size = min_size
        self.max_size = max_size
        self.interpolation = interpolation
        self.antialias = antialias

    def make_params(self, flat_inputs) -> dict:
        if self.min_size >= self.max_size:
            msg = (
                "RandomResize: min_size must be less than max_size, got "
                f"min_size={self.min_size} >= max_size={self.max_size}"
            )
            raise RuntimeError(msg)
        return {"size": [int(host_generator().integers(self.min_size, self.max_size))]}


class ScaleJitter(ResizeTransform):
    """Large scale jitter (`Ghiasi et al., 2021 <https://arxiv.org/abs/2012.07177>`_): resize
    by ``min(target_size[1] / height, target_size[0] / width) * scale``, with ``scale``
    uniform in ``scale_range``.

    Args:
        target_size: the base size ``(height, width)`` of the jitter.
        scale_range: the range of ``scale``. Default: ``(0.1, 2.0)``.
        interpolation: as :class:`RandomResize`. Default: ``InterpolationMode.BILINEAR``.
        antialias: as :class:`RandomResize`. Default: ``True``.

    Example:
        >>> ScaleJitter((8, 8), scale_range=(0.5, 0.5))(np.zeros((1, 8, 16))).shape
        (1, 2, 4)
    """

    def __init__(
        self,
        target_size,
        scale_range=(0.1, 2.0),
        interpolation=InterpolationMode.BILINEAR,
        antialias=True,
    ) -> None:
        self.target_size = target_size
        self.scale_range = scale_range
        self.interpolation = interpolation
        self.antialias = antialias

    def make_params(self, flat_inputs) -> dict:
        height, width = image_size(flat_inputs)
        low, high = self.scale_range
        scale = f32(low) + rand32() * f32(high - low)  # a float32 tensor in torchvision
        r = f32(min(self.target_size[1] / height, self.target_size[0] / width)) * scale
        return {"size": (int(f32(height) * r), int(f32(width) * r))}


class RandomShortestSize(ResizeTransform):
    """Resize so that the smaller edge is one of ``min_size`` (picked uniformly) and, with
    ``max_size``, the larger edge at most ``max_size``.

    Args:
        min_size: an int or a sequence of ints.
        max_size: the largest allowed larger edge. Default: ``None``.
        interpolation: as :class:`RandomResize`. Default: ``InterpolationMode.BILINEAR``.
        antialias: as :class:`RandomResize`. Default: ``True``.

    Example:
        >>> RandomShortestSize([4], max_size=6)(np.zeros((1, 8, 16))).shape
        (1, 3, 6)
    """

    def __init__(
        self, min_size, max_size=None, interpolation=InterpolationMode.BILINEAR, antialias=True
    ) -> None:
        self.min_size = [min_size] if isinstance(min_size, int) else list(min_size)
        self.max_size = max_size
        self.interpolation = interpolation
        self.antialias = antialias

    def make_params(self, flat_inputs) -> dict:
        height, width = image_size(flat_inputs)
        min_size = self.min_size[int(host_generator().integers(len(self.min_size)))]
        r = min_size / min(height, width)
        if self.max_size is not None:
            r = min(r, self.max_size / max(height, width))
        return {"size": (int(height * r), int(width * r))}


def pad_with_fill(inpt, padding: list[int], fill):
    """``F.pad`` with a constant, which for a tensor image may be one value per channel
    (torchvision v2's ``_pad_with_vector_fill``: pad with zeros, then paint the borders)."""
    if not F.is_tensor_image(inpt) or not isinstance(fill, (tuple, list)):
        return F.pad(inpt, padding, fill)
    if len(fill) == 1:
        return F.pad(inpt, padding, fill[0])
    padded = F.host_array(F.pad(inpt, padding, 0)).copy()
    left, top, right, bottom = padding
    values = numpy.asarray(fill).astype(padded.dtype).reshape(-1, 1, 1)
    height, width = padded.shape[-2:]
    padded[..., :top, :] = values
    padded[..., :, :left] = values
    padded[..., height - bottom :, :] = values
    padded[..., :, width - right :] = values
    return F.like_input(inpt, padded)


class RandomZoomOut(RandomApplyTransform):
    """With probability ``p``, place the image on a larger canvas of ``fill``: the SSD
    "zoom out" (`Liu et al., 2016 <https://arxiv.org/abs/1512.02325>`_).

    The canvas is ``r`` times the image's size, ``r`` uniform in ``side_range``, and the
    image sits at a uniform place on it.

    Args:
        fill: the canvas's value, a number or one per channel. Default: 0.
        side_range: the range of ``r``, ``1 <= min <= max``. Default: ``(1.0, 4.0)``.
        p: the probability of a zoom out. Default: 0.5.

    Raises:
        ValueError: for a ``side_range`` not of 2 or out of order, or ``p`` outside [0, 1].
        TypeError: for a ``fill`` that is neither a number nor a sequence.

    Example:
        >>> zoom = RandomZoomOut(fill=[1, 2], side_range=(2.0, 2.0), p=1.0)
        >>> zoom(np.zeros((2, 2, 3), np.uint8)).shape
        (2, 4, 6)
    """

    def __init__(self, fill=0, side_range=(1.0, 4.0), p: float = 0.5) -> None:
        super().__init__(p=p)
        check_fill(fill)
        self.fill = fill
        check_sequence_input(side_range, "side_range", (2,))
        self.side_range = side_range
        if side_range[0] < 1.0 or side_range[0] > side_range[1]:
            msg = f"Invalid side range provided {side_range}."
            raise ValueError(msg)

    def make_params(self, flat_inputs) -> dict:
        height, width = image_size(flat_inputs)
        low, high = self.side_range
        r = f32(low) + rand32() * f32(high - low)
        canvas_width, canvas_height = int(f32(width) * r), int(f32(height) * r)
        r = rand32(2)
        left = int(f32(canvas_width - width) * r[0])
        top = int(f32(canvas_height - height) * r[1])
        right, bottom = canvas_width - (left + width), canvas_height - (top + height)
        return {"padding": [left, top, right, bottom]}

    transformed_types = IMAGE_TYPES + BOX_MASK_TYPES

    def transform(self, inpt, params: dict):
        if isinstance(inpt, BoundingBoxes):
            return G.pad(inpt, params["padding"])
        return pad_with_fill(inpt, params["padding"], self.fill)


def number_pair(value, name: str) -> list[float]:
    """torchvision's ``_setup_number_or_seq``: a number or 1 or 2 of them as two floats."""
    if not isinstance(value, (int, float, Sequence)):
        msg = f"{name} should be a number or a sequence of numbers. Got {type(value)}"
        raise TypeError(msg)
    if isinstance(value, Sequence) and len(value) not in (1, 2):
        msg = f"If {name} is a sequence its length should be 1 or 2. Got {len(value)}"
        raise ValueError(msg)
    values = [float(v) for v in value] if isinstance(value, Sequence) else [float(value)]
    return values * 2 if len(values) == 1 else values


def elastic_displacement(alpha, sigma, size):
    """The (1, H, W, 2) float32 displacement of an image of ``size = [H, W]``, as torchvision's
    ``ElasticTransform`` draws it: uniform noise in [-1, 1) blurred by ``sigma`` (a kernel of
    ``int(8 * sigma + 1)``, made odd), ``dx`` times ``alpha[0] / W``, ``dy`` times
    ``alpha[1] / H``.

    Example:
        >>> elastic_displacement([2.0, 2.0], [0.0, 0.0], [3, 5]).shape
        (1, 3, 5, 2)
    """
    height, width = size
    components = []
    for axis, extent in ((0, width), (1, height)):
        noise = rand32((1, 1, height, width)) * f32(2) - f32(1)
        if sigma[axis] > 0.0:
            kernel = int(8 * sigma[axis] + 1)
            kernel += kernel % 2 == 0  # the kernel must be odd
            noise = F.gaussian_blur(noise, [kernel, kernel], list(sigma))
        components.append(noise * alpha[axis] / extent)
    return numpy.concatenate(components, 1).transpose(0, 2, 3, 1)


class ElasticTransform(LockedTransform):
    """Warp by a smooth random displacement field (torchvision v2's ``ElasticTransform``).

    Each of ``dx``, ``dy`` is uniform noise in [-1, 1) of the image's size, blurred by a
    Gaussian of ``sigma`` (kernel ``int(8 * sigma + 1)``, made odd), times
    ``alpha / size`` (torchvision divides both by the size along their own axis of
    ``[height, width]``); the image is then sampled by :func:`elastic`.

    Args:
        alpha: the strength, a number or ``(alpha_x, alpha_y)``. Default: 50.0.
        sigma: the smoothness, a number or ``(sigma_x, sigma_y)``. Default: 5.0.
        interpolation: ``NEAREST`` or ``BILINEAR``. Default: ``InterpolationMode.BILINEAR``.
        fill: the value outside the image, a number or one per channel. Default: 0.

    Raises:
        TypeError: an ``alpha`` or ``sigma`` that is neither a number nor a sequence.
        ValueError: a sequence of another length than 1 or 2.

    Example:
        >>> ElasticTransform(alpha=2.0, sigma=1.0)(np.ones((1, 12, 12), np.float32)).shape
        (1, 12, 12)
    """

    transformed_types = IMAGE_TYPES + BOX_MASK_TYPES

    def __init__(
        self, alpha=50.0, sigma=5.0, interpolation=InterpolationMode.BILINEAR, fill=0
    ) -> None:
        self.alpha = number_pair(alpha, "alpha")
        self.sigma = number_pair(sigma, "sigma")
        self.interpolation = interpolation
        check_fill(fill)
        self.fill = fill

    def make_params(self, flat_inputs) -> dict:
        size = list(image_size(flat_inputs))
        return {"displacement": elastic_displacement(self.alpha, self.sigma, size)}

    def transform(self, inpt, params: dict):
        return elastic(inpt, params["displacement"], self.interpolation, self.fill)
