"""torchvision's random transforms: crops, flips, colour jitter, erasing and blurring.

Re-exported by :mod:`xpnet.data.transforms`. They take the same arguments, make the same
checks, print the same reprs and draw the same kinds of numbers as torchvision's, through
the same ``get_params`` static methods; but the numbers come from xpnet's host generator
(:func:`xpnet._random.host_generator`, seeded by :func:`xpnet.manual_seed`), where
torchvision draws from ``torch``'s default generator (and ``RandomChoice``/``RandomOrder``
from Python's ``random``): reproducible under ``xpnet.manual_seed``, but not torchvision's
draws.

Example:
    >>> import xpnet
    >>> from xpnet.data import transforms
    >>> _ = xpnet.manual_seed(0)
    >>> transforms.RandomCrop.get_params(np.zeros((3, 8, 8)), (4, 4))
    (4, 3, 4, 4)
"""

from __future__ import annotations

import math
import numbers
import warnings
from collections.abc import Sequence

import numpy

from .._random import host_generator
from . import transforms_functional as F
from .transforms_modes import InterpolationMode, interpolation_from_int

__all__ = [
    "ColorJitter",
    "GaussianBlur",
    "RandomApply",
    "RandomChoice",
    "RandomCrop",
    "RandomErasing",
    "RandomGrayscale",
    "RandomHorizontalFlip",
    "RandomOrder",
    "RandomResizedCrop",
    "RandomTransforms",
    "RandomVerticalFlip",
    "setup_size",
]


def check_scale_ratio(scale, ratio) -> None:
    """torchvision's checks of the ``(min, max)`` area ``scale`` and aspect ``ratio`` ranges
    of :class:`RandomResizedCrop` and :class:`RandomErasing`."""
    if not isinstance(scale, Sequence):
        msg = "Scale should be a sequence"
        raise TypeError(msg)
    if not isinstance(ratio, Sequence):
        msg = "Ratio should be a sequence"
        raise TypeError(msg)
    if (scale[0] > scale[1]) or (ratio[0] > ratio[1]):
        warnings.warn("Scale and ratio should be of kind (min, max)", stacklevel=3)


def setup_size(size, error_msg):
    """torchvision's ``_setup_size``: an int as ``(size, size)``, a 1-sequence doubled."""
    if isinstance(size, numbers.Number):
        return int(size), int(size)
    if isinstance(size, Sequence) and len(size) == 1:
        return size[0], size[0]
    if len(size) != 2:
        raise ValueError(error_msg)
    return size


def _rand() -> float:
    return float(host_generator().random())


def _randint(low: int, high: int) -> int:
    return int(host_generator().integers(low, high))


def _uniform(low: float, high: float) -> float:
    return float(host_generator().uniform(low, high))


class RandomTransforms:
    """Base class of transforms that apply a list of ``transforms`` at random."""

    def __init__(self, transforms) -> None:
        if not isinstance(transforms, Sequence):
            msg = "Argument transforms should be a sequence"
            raise TypeError(msg)
        self.transforms = transforms

    def __call__(self, *args, **kwargs):
        raise NotImplementedError

    def __repr__(self) -> str:
        body = "".join(f"\n    {t}" for t in self.transforms)
        return f"{type(self).__name__}({body}\n)"


class RandomApply(RandomTransforms):
    """Apply all of ``transforms`` with probability ``p`` (default 0.5), else none."""

    def __init__(self, transforms, p: float = 0.5) -> None:
        self.transforms = transforms
        self.p = p

    def __call__(self, img):
        if self.p < _rand():
            return img
        for t in self.transforms:
            img = t(img)
        return img

    def __repr__(self) -> str:
        body = "".join(f"\n    {t}" for t in self.transforms)
        return f"{type(self).__name__}(\n    p={self.p}{body}\n)"


class RandomOrder(RandomTransforms):
    """Apply ``transforms`` in a random order."""

    def __call__(self, img):
        for i in host_generator().permutation(len(self.transforms)):
            img = self.transforms[int(i)](img)
        return img


class RandomChoice(RandomTransforms):
    """Apply one of ``transforms``, picked with weights ``p`` (default: uniformly)."""

    def __init__(self, transforms, p=None) -> None:
        super().__init__(transforms)
        if p is not None and not isinstance(p, Sequence):
            msg = "Argument p should be a sequence"
            raise TypeError(msg)
        self.p = p

    def __call__(self, *args):
        weights = None
        if self.p is not None:
            weights = numpy.asarray(self.p, dtype=numpy.float64)
            weights = weights / weights.sum()
        t = self.transforms[int(host_generator().choice(len(self.transforms), p=weights))]
        return t(*args)

    def __repr__(self) -> str:
        return f"{super().__repr__()}(p={self.p})"


class RandomCrop:
    """Crop a random ``size`` window, after optional ``padding`` (see :func:`F.pad`).

    ``pad_if_needed`` pads an image smaller than ``size`` first.
    """

    @staticmethod
    def get_params(img, output_size):
        """``(i, j, h, w)`` for :func:`~xpnet.data.transforms_functional.crop`."""
        _, h, w = F.get_dimensions(img)
        th, tw = output_size
        if h < th or w < tw:
            msg = f"Required crop size {(th, tw)} is larger than input image size {(h, w)}"
            raise ValueError(msg)
        if w == tw and h == th:
            return 0, 0, h, w
        i = _randint(0, h - th + 1)
        j = _randint(0, w - tw + 1)
        return i, j, th, tw

    def __init__(self, size, padding=None, pad_if_needed=False, fill=0, padding_mode="constant"):
        error = "Please provide only two dimensions (h, w) for size."
        self.size = tuple(setup_size(size, error_msg=error))
        self.padding = padding
        self.pad_if_needed = pad_if_needed
        self.fill = fill
        self.padding_mode = padding_mode

    def __call__(self, img):
        if self.padding is not None:
            img = F.pad(img, self.padding, self.fill, self.padding_mode)
        _, height, width = F.get_dimensions(img)
        if self.pad_if_needed and width < self.size[1]:
            img = F.pad(img, [self.size[1] - width, 0], self.fill, self.padding_mode)
        if self.pad_if_needed and height < self.size[0]:
            img = F.pad(img, [0, self.size[0] - height], self.fill, self.padding_mode)
        i, j, h, w = self.get_params(img, self.size)
        return F.crop(img, i, j, h, w)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(size={self.size}, padding={self.padding})"


class _RandomFlip:
    def __init__(self, p: float = 0.5) -> None:
        self.p = p

    def __call__(self, img):
        return self.flip(img) if _rand() < self.p else img

    def __repr__(self) -> str:
        return f"{type(self).__name__}(p={self.p})"


class RandomHorizontalFlip(_RandomFlip):
    """Flip left to right with probability ``p`` (default 0.5)."""

    flip = staticmethod(F.hflip)


class RandomVerticalFlip(_RandomFlip):
    """Flip top to bottom with probability ``p`` (default 0.5)."""

    flip = staticmethod(F.vflip)


class RandomResizedCrop:
    """Crop a random area (``scale`` of the image) and aspect (``ratio``), resize to ``size``."""

    def __init__(
        self,
        size,
        scale=(0.08, 1.0),
        ratio=(3.0 / 4.0, 4.0 / 3.0),
        interpolation=InterpolationMode.BILINEAR,
        antialias=True,
    ):
        error = "Please provide only two dimensions (h, w) for size."
        self.size = setup_size(size, error_msg=error)
        check_scale_ratio(scale, ratio)
        if isinstance(interpolation, int):
            interpolation = interpolation_from_int(interpolation)
        self.interpolation = interpolation
        self.antialias = antialias
        self.scale = scale
        self.ratio = ratio

    @staticmethod
    def get_params(img, scale, ratio):
        """``(i, j, h, w)``: up to 10 random tries, then a central crop."""
        _, height, width = F.get_dimensions(img)
        area = height * width
        log_ratio = numpy.log(numpy.asarray(ratio, dtype=numpy.float32))
        for _ in range(10):
            target_area = area * _uniform(scale[0], scale[1])
            aspect_ratio = math.exp(_uniform(float(log_ratio[0]), float(log_ratio[1])))
            w = int(round(math.sqrt(target_area * aspect_ratio)))
            h = int(round(math.sqrt(target_area / aspect_ratio)))
            if 0 < w <= width and 0 < h <= height:
                i = _randint(0, height - h + 1)
                j = _randint(0, width - w + 1)
                return i, j, h, w
        in_ratio = float(width) / float(height)
        if in_ratio < min(ratio):
            w, h = width, int(round(width / min(ratio)))
        elif in_ratio > max(ratio):
            h, w = height, int(round(height * max(ratio)))
        else:
            w, h = width, height
        return (height - h) // 2, (width - w) // 2, h, w

    def __call__(self, img):
        i, j, h, w = self.get_params(img, self.scale, self.ratio)
        return F.resized_crop(img, i, j, h, w, self.size, self.interpolation, self.antialias)

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(size={self.size}"
            f", scale={tuple(round(s, 4) for s in self.scale)}"
            f", ratio={tuple(round(r, 4) for r in self.ratio)}"
            f", interpolation={self.interpolation.value}, antialias={self.antialias})"
        )


class RandomGrayscale:
    """Grayscale (keeping the number of channels) with probability ``p`` (default 0.1)."""

    def __init__(self, p: float = 0.1) -> None:
        self.p = p

    def __call__(self, img):
        num_output_channels, _, _ = F.get_dimensions(img)
        if _rand() < self.p:
            return F.rgb_to_grayscale(img, num_output_channels=num_output_channels)
        return img

    def __repr__(self) -> str:
        return f"{type(self).__name__}(p={self.p})"


from .transforms_jitter import ColorJitter, GaussianBlur, RandomErasing  # noqa: E402
