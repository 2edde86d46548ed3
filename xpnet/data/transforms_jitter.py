"""torchvision's ``ColorJitter``, ``GaussianBlur`` and ``RandomErasing``.

Split from :mod:`xpnet.data.transforms_augment` for length (both are re-exported by
:mod:`xpnet.data.transforms`); like the others they draw from xpnet's host generator, which
:func:`xpnet.manual_seed` seeds, not from ``torch``'s.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence

import numpy

from .._random import host_generator
from . import transforms_functional as F
from .transforms_augment import check_scale_ratio, setup_size

__all__ = ["ColorJitter", "GaussianBlur", "RandomErasing"]


def _uniform(low: float, high: float) -> float:
    return float(host_generator().uniform(low, high))


class ColorJitter:
    """Randomly change brightness, contrast, saturation and hue, in a random order.

    Args:
        brightness: ``b`` for factors in ``[max(0, 1 - b), 1 + b]``, or ``(min, max)``.
        contrast: likewise.
        saturation: likewise.
        hue: ``h`` in [0, 0.5] for shifts in ``[-h, h]``, or ``(min, max)`` in [-0.5, 0.5].

    Raises:
        ValueError: for a negative number or a range outside the bounds.
        TypeError: for anything but a number or a pair.
    """

    def __init__(self, brightness=0, contrast=0, saturation=0, hue=0) -> None:
        self.brightness = self._check_input(brightness, "brightness")
        self.contrast = self._check_input(contrast, "contrast")
        self.saturation = self._check_input(saturation, "saturation")
        self.hue = self._check_input(
            hue, "hue", center=0, bound=(-0.5, 0.5), clip_first_on_zero=False
        )

    @staticmethod
    def _check_input(value, name, center=1, bound=(0, float("inf")), clip_first_on_zero=True):
        if isinstance(value, numbers.Number):
            if value < 0:
                msg = f"If {name} is a single number, it must be non negative."
                raise ValueError(msg)
            value = [center - float(value), center + float(value)]
            if clip_first_on_zero:
                value[0] = max(value[0], 0.0)
        elif isinstance(value, (tuple, list)) and len(value) == 2:
            value = [float(value[0]), float(value[1])]
        else:
            msg = f"{name} should be a single number or a list/tuple with length 2."
            raise TypeError(msg)
        if not bound[0] <= value[0] <= value[1] <= bound[1]:
            msg = f"{name} values should be between {bound}, but got {value}."
            raise ValueError(msg)
        if value[0] == value[1] == center:
            return None
        return tuple(value)

    @staticmethod
    def get_params(brightness, contrast, saturation, hue):
        """``(fn_idx, b, c, s, h)``: an order of the four and each factor (``None``: skip)."""
        fn_idx = host_generator().permutation(4)
        factors = [None if r is None else _uniform(r[0], r[1]) for r in (brightness, contrast)]
        factors += [None if r is None else _uniform(r[0], r[1]) for r in (saturation, hue)]
        return (fn_idx, *factors)

    def __call__(self, img):
        fn_idx, *factors = self.get_params(
            self.brightness, self.contrast, self.saturation, self.hue
        )
        adjust = [F.adjust_brightness, F.adjust_contrast, F.adjust_saturation, F.adjust_hue]
        for fn_id in fn_idx:
            if factors[fn_id] is not None:
                img = adjust[fn_id](img, factors[fn_id])
        return img

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(brightness={self.brightness}, contrast={self.contrast}, "
            f"saturation={self.saturation}, hue={self.hue})"
        )


class GaussianBlur:
    """Blur with a ``kernel_size`` Gaussian of a random sigma in ``sigma = (min, max)``."""

    def __init__(self, kernel_size, sigma=(0.1, 2.0)) -> None:
        self.kernel_size = setup_size(
            kernel_size, "Kernel size should be a tuple/list of two integers"
        )
        for ks in self.kernel_size:
            if ks <= 0 or ks % 2 == 0:
                msg = "Kernel size value should be an odd and positive number."
                raise ValueError(msg)
        if isinstance(sigma, numbers.Number):
            if sigma <= 0:
                msg = "If sigma is a single number, it must be positive."
                raise ValueError(msg)
            sigma = (sigma, sigma)
        elif isinstance(sigma, Sequence) and len(sigma) == 2:
            if not 0.0 < sigma[0] <= sigma[1]:
                msg = "sigma values should be positive and of the form (min, max)."
                raise ValueError(msg)
        else:
            msg = "sigma should be a single number or a list/tuple with length 2."
            raise ValueError(msg)
        self.sigma = sigma

    @staticmethod
    def get_params(sigma_min: float, sigma_max: float) -> float:
        """A sigma drawn uniformly from ``[sigma_min, sigma_max)``."""
        return _uniform(sigma_min, sigma_max)

    def __call__(self, img):
        sigma = self.get_params(self.sigma[0], self.sigma[1])
        return F.gaussian_blur(img, self.kernel_size, [sigma, sigma])

    def __repr__(self) -> str:
        return f"{type(self).__name__}(kernel_size={self.kernel_size}, sigma={self.sigma})"


class RandomErasing:
    """With probability ``p``, erase a random rectangle of a tensor image.

    Args:
        p: the probability. Default: 0.5.
        scale: the range of the erased area's share of the image. Default: ``(0.02, 0.33)``.
        ratio: the range of its aspect ratio. Default: ``(0.3, 3.3)``.
        value: the fill: a number, one per channel, or ``'random'`` (standard normal).
        inplace: erase in the image's own array. Default: ``False``.
    """

    def __init__(self, p=0.5, scale=(0.02, 0.33), ratio=(0.3, 3.3), value=0, inplace=False):
        if not isinstance(value, (numbers.Number, str, tuple, list)):
            msg = "Argument value should be either a number or str or a sequence"
            raise TypeError(msg)
        if isinstance(value, str) and value != "random":
            msg = "If value is str, it should be 'random'"
            raise ValueError(msg)
        check_scale_ratio(scale, ratio)
        if scale[0] < 0 or scale[1] > 1:
            msg = "Scale should be between 0 and 1"
            raise ValueError(msg)
        if p < 0 or p > 1:
            msg = "Random erasing probability should be between 0 and 1"
            raise ValueError(msg)
        self.p, self.scale, self.ratio, self.value, self.inplace = p, scale, ratio, value, inplace

    @staticmethod
    def get_params(img, scale, ratio, value=None):
        """``(i, j, h, w, v)`` for :func:`~xpnet.data.transforms_functional.erase`."""
        img_c, img_h, img_w = F.get_dimensions(img)
        area = img_h * img_w
        log_ratio = numpy.log(numpy.asarray(ratio, dtype=numpy.float32))
        for _ in range(10):
            erase_area = area * _uniform(scale[0], scale[1])
            aspect_ratio = math.exp(_uniform(float(log_ratio[0]), float(log_ratio[1])))
            h = int(round(math.sqrt(erase_area * aspect_ratio)))
            w = int(round(math.sqrt(erase_area / aspect_ratio)))
            if not (h < img_h and w < img_w):
                continue
            if value is None:
                v = host_generator().standard_normal((img_c, h, w)).astype(numpy.float32)
            else:
                v = numpy.asarray(value, dtype=numpy.float32)[:, None, None]
            i = int(host_generator().integers(0, img_h - h + 1))
            j = int(host_generator().integers(0, img_w - w + 1))
            return i, j, h, w, v
        return 0, 0, img_h, img_w, img

    def __call__(self, img):
        if not F.is_tensor_image(img):
            msg = f"img should be Tensor Image. Got {type(img)}"
            raise TypeError(msg)
        if float(host_generator().random()) < self.p:
            value = self.fill_values(img)
            x, y, h, w, v = self.get_params(img, scale=self.scale, ratio=self.ratio, value=value)
            return F.erase(img, x, y, h, w, v, self.inplace)
        return img

    def fill_values(self, img) -> list[float] | None:
        """``value`` as :meth:`get_params` takes it (``None``: ``"random"``), checked against
        ``img``'s channels as torchvision's ``forward``."""
        if isinstance(self.value, (int, float)):
            value = [float(self.value)]
        else:
            value = None if isinstance(self.value, str) else [float(v) for v in self.value]
        channels = F.get_dimensions(img)[0]
        if value is not None and len(value) not in (1, channels):
            msg = (
                "If value is a sequence, it should have either a single value or "
                f"{channels} (number of input channels)"
            )
            raise ValueError(msg)
        return value

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(p={self.p}, scale={self.scale}, ratio={self.ratio}, "
            f"value={self.value}, inplace={self.inplace})"
        )
