"""torchvision's random geometric transforms: ``RandomRotation``, ``RandomAffine`` and
``RandomPerspective``.

Re-exported by :mod:`xpnet.data.transforms`. They take torchvision's arguments, make its
checks (same messages), print its reprs and draw the same kinds of numbers through the same
``get_params`` static methods, from xpnet's host generator (seeded by
:func:`xpnet.manual_seed`), not ``torch``'s: reproducible, but not torchvision's draws.

Example:
    >>> import xpnet
    >>> from xpnet.data import transforms
    >>> _ = xpnet.manual_seed(0)
    >>> round(transforms.RandomRotation.get_params([-30.0, 30.0]), 4)
    8.2177
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence

from .._random import host_generator
from . import transforms_functional as F
from .transforms_modes import InterpolationMode, interpolation_from_int

__all__ = ["RandomAffine", "RandomPerspective", "RandomRotation"]


def _uniform(low: float, high: float) -> float:
    return float(host_generator().uniform(low, high))


def _randint(low: int, high: int) -> int:
    return int(host_generator().integers(low, high))


def check_sequence_input(x, name, req_sizes) -> None:
    """torchvision's check of a sequence argument's kind and length."""
    sizes = req_sizes[0] if len(req_sizes) < 2 else " or ".join([str(s) for s in req_sizes])
    if not isinstance(x, Sequence):
        msg = f"{name} should be a sequence of length {sizes}."
        raise TypeError(msg)
    if len(x) not in req_sizes:
        msg = f"{name} should be a sequence of length {sizes}."
        raise ValueError(msg)


def _setup_angle(x, name, req_sizes=(2,)) -> list[float]:
    """torchvision's ``_setup_angle``: a number ``d`` as ``[-d, d]``, a sequence as floats."""
    if isinstance(x, numbers.Number):
        if x < 0:
            msg = f"If {name} is a single number, it must be positive."
            raise ValueError(msg)
        x = [-x, x]
    else:
        check_sequence_input(x, name, req_sizes)
    return [float(d) for d in x]


def _setup_fill(fill):
    if fill is None:
        return 0
    if not isinstance(fill, (Sequence, numbers.Number)):
        msg = "Fill should be either a sequence or a number."
        raise TypeError(msg)
    return fill


def _mode(interpolation) -> InterpolationMode:
    if isinstance(interpolation, int):
        return interpolation_from_int(interpolation)
    return interpolation


def _fill_for(img, fill, channels):
    """Tensor images get one float per channel, as torchvision's ``forward``."""
    if not F.is_tensor_image(img):
        return fill
    if isinstance(fill, (int, float)):
        return [float(fill)] * channels
    return [float(f) for f in fill]


class RandomRotation:
    """Rotate by a random angle from ``degrees``, as torchvision's ``RandomRotation``.

    Args:
        degrees: ``(min, max)`` degrees, or a number ``d`` for ``(-d, d)``.
        interpolation: an :class:`InterpolationMode` or a Pillow constant (tensor images:
            ``NEAREST`` or ``BILINEAR``). Default: ``InterpolationMode.NEAREST``.
        expand: enlarge the output to hold the whole rotated image. Default: ``False``.
        center: ``(x, y)`` of the rotation from the top-left corner. Default: the centre.
        fill: the value outside the image, a number or one per channel. Default: 0.

    Raises:
        ValueError: a negative number or a sequence not of 2 for ``degrees``; a
            ``center`` not of 2.
        TypeError: a ``degrees`` or ``center`` that is neither; a ``fill`` that is neither
            a number nor a sequence.
    """

    def __init__(
        self, degrees, interpolation=InterpolationMode.NEAREST, expand=False, center=None, fill=0
    ) -> None:
        self.interpolation = _mode(interpolation)
        self.degrees = _setup_angle(degrees, name="degrees", req_sizes=(2,))
        if center is not None:
            check_sequence_input(center, "center", req_sizes=(2,))
        self.center = center
        self.expand = expand
        self.fill = _setup_fill(fill)

    @staticmethod
    def get_params(degrees) -> float:
        """The angle: uniform in ``[degrees[0], degrees[1]]``."""
        return _uniform(float(degrees[0]), float(degrees[1]))

    def __call__(self, img):
        channels, _, _ = F.get_dimensions(img)
        fill = _fill_for(img, self.fill, channels)
        angle = self.get_params(self.degrees)
        return F.rotate(img, angle, self.interpolation, self.expand, self.center, fill)

    def __repr__(self) -> str:
        text = f"{type(self).__name__}(degrees={self.degrees}"
        text += f", interpolation={self.interpolation.value}, expand={self.expand}"
        text += f", center={self.center}" if self.center is not None else ""
        text += f", fill={self.fill}" if self.fill is not None else ""
        return text + ")"


class RandomAffine:
    """A random rotation, translation, scale and shear keeping the centre, as torchvision's
    ``RandomAffine`` (see :func:`~xpnet.data.transforms_geometry.affine`).

    Args:
        degrees: ``(min, max)`` degrees, or ``d`` for ``(-d, d)``; 0 for no rotation.
        translate: ``(a, b)`` in [0, 1]: shifts up to ``a * W`` and ``b * H`` pixels.
            Default: ``None``.
        scale: ``(low, high)``, positive. Default: ``None``, 1.
        shear: ``d`` for an x-shear in ``(-d, d)``, ``(min, max)`` for an x-shear, or 4
            values for x and y. Default: ``None``.
        interpolation: as :class:`RandomRotation`. Default: ``InterpolationMode.NEAREST``.
        fill: as :class:`RandomRotation`. Default: 0.
        center: as :class:`RandomRotation`. Default: ``None``.

    Raises:
        ValueError: negative numbers, sequences of other lengths, ``translate`` outside [0,
            1], a ``scale`` that is not positive.
        TypeError: arguments that are neither numbers nor sequences where those are asked.
    """

    def __init__(
        self,
        degrees,
        translate=None,
        scale=None,
        shear=None,
        interpolation=InterpolationMode.NEAREST,
        fill=0,
        center=None,
    ) -> None:
        self.interpolation = _mode(interpolation)
        self.degrees = _setup_angle(degrees, name="degrees", req_sizes=(2,))
        if translate is not None:
            check_sequence_input(translate, "translate", req_sizes=(2,))
            if not all(0.0 <= t <= 1.0 for t in translate):
                msg = "translation values should be between 0 and 1"
                raise ValueError(msg)
        self.translate = translate
        if scale is not None:
            check_sequence_input(scale, "scale", req_sizes=(2,))
            if any(s <= 0 for s in scale):
                msg = "scale values should be positive"
                raise ValueError(msg)
        self.scale = scale
        self.shear = None if shear is None else _setup_angle(shear, "shear", req_sizes=(2, 4))
        self.fill = _setup_fill(fill)
        if center is not None:
            check_sequence_input(center, "center", req_sizes=(2,))
        self.center = center

    @staticmethod
    def get_params(degrees, translate, scale_ranges, shears, img_size):
        """``(angle, (tx, ty), scale, (shear_x, shear_y))`` for an image of ``img_size =
        [width, height]``: uniform draws, translations rounded to whole pixels."""
        angle = _uniform(float(degrees[0]), float(degrees[1]))
        translations = (0, 0)
        if translate is not None:
            max_dx = float(translate[0] * img_size[0])
            max_dy = float(translate[1] * img_size[1])
            tx = int(round(_uniform(-max_dx, max_dx)))
            ty = int(round(_uniform(-max_dy, max_dy)))
            translations = (tx, ty)
        scale = 1.0 if scale_ranges is None else _uniform(scale_ranges[0], scale_ranges[1])
        shear_x = shear_y = 0.0
        if shears is not None:
            shear_x = _uniform(shears[0], shears[1])
            if len(shears) == 4:
                shear_y = _uniform(shears[2], shears[3])
        return angle, translations, scale, (shear_x, shear_y)

    def __call__(self, img):
        channels, height, width = F.get_dimensions(img)
        fill = _fill_for(img, self.fill, channels)
        img_size = [width, height]  # torchvision's order, kept for get_params
        params = self.get_params(self.degrees, self.translate, self.scale, self.shear, img_size)
        mode, center = self.interpolation, self.center
        return F.affine(img, *params, interpolation=mode, fill=fill, center=center)

    def __repr__(self) -> str:
        text = f"{type(self).__name__}(degrees={self.degrees}"
        text += f", translate={self.translate}" if self.translate is not None else ""
        text += f", scale={self.scale}" if self.scale is not None else ""
        text += f", shear={self.shear}" if self.shear is not None else ""
        if self.interpolation != InterpolationMode.NEAREST:
            text += f", interpolation={self.interpolation.value}"
        text += f", fill={self.fill}" if self.fill != 0 else ""
        text += f", center={self.center}" if self.center is not None else ""
        return text + ")"


class RandomPerspective:
    """With probability ``p``, move each corner inwards at random and warp the image so, as
    torchvision's ``RandomPerspective`` (see :func:`~xpnet.data.transforms_geometry.perspective`).

    Args:
        distortion_scale: how far the corners may move, from 0 to 1 (of half the size).
            Default: 0.5.
        p: the probability of a warp. Default: 0.5.
        interpolation: as :class:`RandomRotation`. Default: ``InterpolationMode.BILINEAR``.
        fill: as :class:`RandomRotation`. Default: 0.

    Raises:
        TypeError: a ``fill`` that is neither a number nor a sequence.
    """

    def __init__(
        self, distortion_scale=0.5, p=0.5, interpolation=InterpolationMode.BILINEAR, fill=0
    ) -> None:
        self.p = p
        self.interpolation = _mode(interpolation)
        self.distortion_scale = distortion_scale
        self.fill = _setup_fill(fill)

    @staticmethod
    def get_params(width: int, height: int, distortion_scale: float):
        """``(startpoints, endpoints)``: the image's corners ``[top-left, top-right,
        bottom-right, bottom-left]`` and, for each, a random point up to
        ``distortion_scale`` of half the width and height inside it."""
        half_height, half_width = height // 2, width // 2
        dx, dy = int(distortion_scale * half_width), int(distortion_scale * half_height)
        topleft = [_randint(0, dx + 1), _randint(0, dy + 1)]
        topright = [_randint(width - dx - 1, width), _randint(0, dy + 1)]
        botright = [_randint(width - dx - 1, width), _randint(height - dy - 1, height)]
        botleft = [_randint(0, dx + 1), _randint(height - dy - 1, height)]
        startpoints = [[0, 0], [width - 1, 0], [width - 1, height - 1], [0, height - 1]]
        return startpoints, [topleft, topright, botright, botleft]

    def __call__(self, img):
        channels, height, width = F.get_dimensions(img)
        fill = _fill_for(img, self.fill, channels)
        if float(host_generator().random()) < self.p:
            startpoints, endpoints = self.get_params(width, height, self.distortion_scale)
            return F.perspective(img, startpoints, endpoints, self.interpolation, fill)
        return img

    def __repr__(self) -> str:
        return f"{type(self).__name__}(p={self.p})"
