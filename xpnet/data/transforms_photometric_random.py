"""torchvision's random photometric transforms: each applies one function of
:mod:`xpnet.data.transforms_photometric` with probability ``p`` (default 0.5).

Re-exported by :mod:`xpnet.data.transforms`. As torchvision's, they check nothing when built
(the function checks its arguments when applied) and print torchvision's reprs; the coin is
drawn from xpnet's host generator (:func:`xpnet.manual_seed`), not from ``torch``'s.

Example:
    >>> from xpnet.data import transforms
    >>> image = np.array([[[0, 100, 255]]], dtype=np.uint8)
    >>> transforms.RandomInvert(p=1.0)(image).tolist(), transforms.RandomPosterize(2)
    ([[[255, 155, 0]]], RandomPosterize(bits=2,p=0.5))
"""

from __future__ import annotations

from .._random import host_generator
from . import transforms_photometric as P

__all__ = [
    "RandomAdjustSharpness",
    "RandomAutocontrast",
    "RandomEqualize",
    "RandomInvert",
    "RandomPosterize",
    "RandomSolarize",
]


class _RandomPhotometric:
    """Apply :meth:`apply` with probability ``p``; the repr lists ``_fields`` then ``p``,
    comma-separated without spaces, as torchvision's."""

    _fields: tuple[str, ...] = ()

    def __init__(self, p: float = 0.5) -> None:
        self.p = p

    def apply(self, img):
        raise NotImplementedError

    def __call__(self, img):
        if float(host_generator().random()) < self.p:
            return self.apply(img)
        return img

    def __repr__(self) -> str:
        fields = [f"{name}={getattr(self, name)}" for name in (*self._fields, "p")]
        return f"{type(self).__name__}({','.join(fields)})"


class RandomInvert(_RandomPhotometric):
    """Invert the colours (:func:`~xpnet.data.transforms_photometric.invert`) with
    probability ``p`` (default 0.5)."""

    def apply(self, img):
        return P.invert(img)


class RandomPosterize(_RandomPhotometric):
    """Keep ``bits`` (0 to 8) bits per channel
    (:func:`~xpnet.data.transforms_photometric.posterize`) with probability ``p``
    (default 0.5); tensor images must be uint8."""

    _fields = ("bits",)

    def __init__(self, bits: int, p: float = 0.5) -> None:
        super().__init__(p)
        self.bits = bits

    def apply(self, img):
        return P.posterize(img, self.bits)


class RandomSolarize(_RandomPhotometric):
    """Invert the values at or above ``threshold``
    (:func:`~xpnet.data.transforms_photometric.solarize`) with probability ``p``
    (default 0.5)."""

    _fields = ("threshold",)

    def __init__(self, threshold: float, p: float = 0.5) -> None:
        super().__init__(p)
        self.threshold = threshold

    def apply(self, img):
        return P.solarize(img, self.threshold)


class RandomAdjustSharpness(_RandomPhotometric):
    """Adjust the sharpness by ``sharpness_factor`` (0 smooths, 1 keeps, 2 sharpens;
    :func:`~xpnet.data.transforms_photometric.adjust_sharpness`) with probability ``p``
    (default 0.5)."""

    _fields = ("sharpness_factor",)

    def __init__(self, sharpness_factor: float, p: float = 0.5) -> None:
        super().__init__(p)
        self.sharpness_factor = sharpness_factor

    def apply(self, img):
        return P.adjust_sharpness(img, self.sharpness_factor)


class RandomAutocontrast(_RandomPhotometric):
    """Stretch every channel to the full range
    (:func:`~xpnet.data.transforms_photometric.autocontrast`) with probability ``p``
    (default 0.5)."""

    def apply(self, img):
        return P.autocontrast(img)


class RandomEqualize(_RandomPhotometric):
    """Equalize the histogram (:func:`~xpnet.data.transforms_photometric.equalize`) with
    probability ``p`` (default 0.5); tensor images must be uint8."""

    def apply(self, img):
        return P.equalize(img)
