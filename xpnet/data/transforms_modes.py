"""torchvision's ``InterpolationMode`` and its Pillow resampling constants.

Shared by :mod:`xpnet.data.transforms_functional` (which exports the enum as
``transforms.functional.InterpolationMode``, and :mod:`xpnet.data.transforms` as
``transforms.InterpolationMode``) and :mod:`xpnet.data.transforms_geometry`.

Example:
    >>> checked_interpolation(2)
    <InterpolationMode.BILINEAR: 'bilinear'>
"""

from __future__ import annotations

import enum

__all__ = ["PIL_MODES", "InterpolationMode", "checked_interpolation", "interpolation_from_int"]


class InterpolationMode(enum.Enum):
    """Interpolation modes, torchvision's enum (the values are interpolate's mode names)."""

    NEAREST = "nearest"
    NEAREST_EXACT = "nearest-exact"
    BILINEAR = "bilinear"
    BICUBIC = "bicubic"
    BOX = "box"
    HAMMING = "hamming"
    LANCZOS = "lanczos"


# the Pillow constant of each mode, as torchvision's ``pil_modes_mapping``
PIL_MODES = {"nearest": 0, "nearest-exact": 0, "bilinear": 2, "bicubic": 3, "box": 4}
PIL_MODES |= {"hamming": 5, "lanczos": 1}
_FROM_INT = {0: "NEAREST", 2: "BILINEAR", 3: "BICUBIC", 4: "BOX", 5: "HAMMING", 1: "LANCZOS"}


def interpolation_from_int(value: int) -> InterpolationMode:
    """The :class:`InterpolationMode` of a Pillow resampling constant (0..5)."""
    return InterpolationMode[_FROM_INT[value]]


def checked_interpolation(interpolation) -> InterpolationMode:
    """``interpolation`` as an :class:`InterpolationMode` (from a Pillow constant too)."""
    if isinstance(interpolation, int) and not isinstance(interpolation, bool):
        return interpolation_from_int(interpolation)
    if not isinstance(interpolation, InterpolationMode):
        msg = (
            "Argument interpolation should be a InterpolationMode or a corresponding Pillow "
            "integer constant"
        )
        raise TypeError(msg)
    return interpolation
