"""torchvision's automatic augmentation: ``AutoAugmentPolicy``, ``AutoAugment`` and the ops
they share (torchvision 0.29's ``transforms.autoaugment``).

Re-exported by :mod:`xpnet.data.transforms`; ``RandAugment``, ``TrivialAugmentWide`` and
``AugMix`` are in :mod:`xpnet.data.transforms_randaugment`. This module holds what all four
share: :func:`apply_op` (torchvision's ``_apply_op``: shears about the top-left corner,
translations, rotations, the enhancements as ``1 + magnitude``, posterize, solarize,
autocontrast, equalize, invert), the op tables (``_augmentation_space``: magnitudes per bin as
``torch.linspace``'s float32 values, and whether each op's sign is drawn) and the fill a tensor
image is given. The transforms take torchvision's arguments, print its reprs and draw the same
kinds of numbers, from xpnet's host generator (seeded by :func:`xpnet.manual_seed`), not
``torch``'s: reproducible, but not torchvision's draws.

Example:
    >>> from xpnet.data import transforms
    >>> magnitudes, signed = transforms.AutoAugment()._augmentation_space(10, (32, 32))["Rotate"]
    >>> magnitudes.tolist()[:4], signed
    ([0.0, 3.3333332538604736, 6.666666507720947, 10.0], True)
"""

from __future__ import annotations

import enum
import math
import numbers

import numpy

from .. import _ranges as ranges
from .._random import host_generator
from . import transforms_functional as F
from . import transforms_photometric as P
from .transforms_modes import InterpolationMode

__all__ = [
    "PHOTOMETRIC_OPS",
    "AutoAugment",
    "AutoAugmentPolicy",
    "AutomaticAugmentation",
    "apply_op",
]


def linspace(start: float, end: float, steps: int) -> numpy.ndarray:
    """``torch.linspace(start, end, steps)``'s float32 values on the host (xpnet's
    :func:`~xpnet.linspace` is PyTorch's CPU kernel value for value)."""
    return ranges.linspace(start, end, steps, dtype=numpy.float32, device="numpy").array


def posterize_bits(num_bins: int, bits: int, divisions: int) -> numpy.ndarray:
    """``bits - round(arange(num_bins) / ((num_bins - 1) / divisions))``, int32 as torchvision
    (float32 division, ties to even)."""
    with numpy.errstate(divide="ignore", invalid="ignore"):  # one bin: 0 / 0, as torch's NaN
        steps = numpy.arange(num_bins, dtype=numpy.float32) / numpy.float32(
            (num_bins - 1) / divisions
        )
        return bits - numpy.round(steps).astype(numpy.int32)


def no_magnitude() -> numpy.ndarray:
    """The 0-d magnitude of the ops that have none (``torch.tensor(0.0)``)."""
    return numpy.zeros((), numpy.float32)


def enhance_ops(num_bins: int, top: float) -> dict:
    """``Brightness``, ``Color``, ``Contrast``, ``Sharpness``: signed, ``0 .. top``."""
    names = ["Brightness", "Color", "Contrast", "Sharpness"]
    return {name: (linspace(0.0, top, num_bins), True) for name in names}


def augmentation_space(num_bins, shear, translate, rotate, enhance, posterize) -> dict:
    """An op table ``{op_name: (magnitudes, signed)}`` in torchvision's order: shears up to
    ``shear``, translations up to ``translate = (x, y)`` pixels, rotations up to ``rotate``
    degrees, the :func:`enhance_ops` up to ``enhance`` (``None``: left out), posterize from
    :func:`posterize_bits` ``(bits, divisions)``, solarize from 255 to 0, autocontrast and
    equalize."""
    space = {
        "ShearX": (linspace(0.0, shear, num_bins), True),
        "ShearY": (linspace(0.0, shear, num_bins), True),
        "TranslateX": (linspace(0.0, translate[0], num_bins), True),
        "TranslateY": (linspace(0.0, translate[1], num_bins), True),
        "Rotate": (linspace(0.0, rotate, num_bins), True),
    }
    if enhance is not None:
        space.update(enhance_ops(num_bins, enhance))
    space["Posterize"] = (posterize_bits(num_bins, *posterize), False)
    space["Solarize"] = (linspace(255.0, 0.0, num_bins), False)
    space["AutoContrast"] = (no_magnitude(), False)
    space["Equalize"] = (no_magnitude(), False)
    return space


def tensor_fill(img, fill):
    """The ``fill`` the transforms hand :func:`apply_op`: for a tensor image, a list of floats
    (a number repeated per channel); for a PIL image, ``fill`` as given."""
    channels = F.get_dimensions(img)[0]
    if not F.is_tensor_image(img) or fill is None:
        return fill
    if isinstance(fill, numbers.Number):
        return [float(fill)] * channels
    return [float(f) for f in fill]


def signed(magnitude: float, is_signed: bool) -> float:
    """``-magnitude`` or ``magnitude`` by a fair draw, for a signed op (no draw otherwise)."""
    if is_signed and int(host_generator().integers(0, 2)):
        return -magnitude
    return magnitude


def _enhance(function):
    return lambda img, magnitude: function(img, 1.0 + magnitude)


# the photometric ops, by name: those whose magnitude is a factor ``1 + magnitude`` or a
# threshold, and those which take none
PHOTOMETRIC_OPS = {
    "Brightness": _enhance(F.adjust_brightness),
    "Color": _enhance(F.adjust_saturation),
    "Contrast": _enhance(F.adjust_contrast),
    "Sharpness": _enhance(P.adjust_sharpness),
    "Posterize": lambda img, magnitude: P.posterize(img, int(magnitude)),
    "Solarize": P.solarize,
    "AutoContrast": lambda img, _: P.autocontrast(img),
    "Equalize": lambda img, _: P.equalize(img),
    "Invert": lambda img, _: P.invert(img),
    "Identity": lambda img, _: img,
}


def apply_op(img, op_name: str, magnitude: float, interpolation, fill, *, ops=None):
    r"""Apply one op of the automatic augmentations, as torchvision's ``_apply_op``.

    Args:
        img: a PIL image (mode L or RGB) or a uint8 tensor image (..., 1 or 3, H, W).
        op_name: ``ShearX``, ``ShearY`` (by ``degrees(atan(magnitude))`` about the top-left
            corner), ``TranslateX``, ``TranslateY`` (by ``int(magnitude)`` pixels),
            ``Rotate`` (degrees), ``Brightness``, ``Color``, ``Contrast``, ``Sharpness``
            (factor ``1 + magnitude``), ``Posterize`` (``int(magnitude)`` bits),
            ``Solarize`` (threshold), ``AutoContrast``, ``Equalize``, ``Invert`` or
            ``Identity``.
        magnitude: the op's magnitude, signed.
        interpolation: an :class:`InterpolationMode`, for the geometric ops.
        fill: the value outside the image for the geometric ops (``None``: zeros).
        ops: the photometric ops, ``{op_name: function(img, magnitude)}``. Default:
            :data:`PHOTOMETRIC_OPS`, v1's (v2's: :mod:`.transforms_v2_autoaugment`).

    Returns:
        The image's kind, shape and dtype.

    Raises:
        ValueError: for an unknown ``op_name``.

    Example:
        >>> image = np.array([[[0, 100, 200, 255]]], dtype=np.uint8)
        >>> apply_op(image, "Solarize", 150.0, InterpolationMode.NEAREST, None).tolist()
        [[[0, 100, 55, 0]]]
    """
    if op_name in ("ShearX", "ShearY"):
        # AutoAugment's shear map is (1, magnitude, 0, 0, 1, 0); torchvision's affine shears by
        # tan(angle), hence atan, and about [0, 0] (the top-left corner) as that map does
        angle = math.degrees(math.atan(magnitude))
        shear = [angle, 0.0] if op_name == "ShearX" else [0.0, angle]
        return F.affine(img, 0.0, [0, 0], 1.0, shear, interpolation, fill, center=[0, 0])
    if op_name in ("TranslateX", "TranslateY"):
        shift = [int(magnitude), 0] if op_name == "TranslateX" else [0, int(magnitude)]
        return F.affine(img, 0.0, shift, 1.0, [0.0, 0.0], interpolation, fill)
    if op_name == "Rotate":
        return F.rotate(img, magnitude, interpolation=interpolation, fill=fill)
    ops = PHOTOMETRIC_OPS if ops is None else ops
    if op_name not in ops:
        msg = f"The provided operator {op_name} is not recognized."
        raise ValueError(msg)
    return ops[op_name](img, magnitude)


_apply_op = apply_op  # torchvision's private name, for the scripts that call it


class AutomaticAugmentation:
    """The base of the four automatic augmentations: the op they apply is a hook, so that
    torchvision v2's classes apply v2's ops (:mod:`.transforms_v2_autoaugment`)."""

    apply_op = staticmethod(apply_op)


class AutoAugmentPolicy(enum.Enum):
    """AutoAugment policies learned on different datasets: IMAGENET, CIFAR10 and SVHN."""

    IMAGENET = "imagenet"
    CIFAR10 = "cifar10"
    SVHN = "svhn"


# (op_name, probability, magnitude bin or None) pairs, torchvision's (from the AutoAugment paper)
POLICIES = {
    AutoAugmentPolicy.IMAGENET: [
        (("Posterize", 0.4, 8), ("Rotate", 0.6, 9)),
        (("Solarize", 0.6, 5), ("AutoContrast", 0.6, None)),
        (("Equalize", 0.8, None), ("Equalize", 0.6, None)),
        (("Posterize", 0.6, 7), ("Posterize", 0.6, 6)),
        (("Equalize", 0.4, None), ("Solarize", 0.2, 4)),
        (("Equalize", 0.4, None), ("Rotate", 0.8, 8)),
        (("Solarize", 0.6, 3), ("Equalize", 0.6, None)),
        (("Posterize", 0.8, 5), ("Equalize", 1.0, None)),
        (("Rotate", 0.2, 3), ("Solarize", 0.6, 8)),
        (("Equalize", 0.6, None), ("Posterize", 0.4, 6)),
        (("Rotate", 0.8, 8), ("Color", 0.4, 0)),
        (("Rotate", 0.4, 9), ("Equalize", 0.6, None)),
        (("Equalize", 0.0, None), ("Equalize", 0.8, None)),
        (("Invert", 0.6, None), ("Equalize", 1.0, None)),
        (("Color", 0.6, 4), ("Contrast", 1.0, 8)),
        (("Rotate", 0.8, 8), ("Color", 1.0, 2)),
        (("Color", 0.8, 8), ("Solarize", 0.8, 7)),
        (("Sharpness", 0.4, 7), ("Invert", 0.6, None)),
        (("ShearX", 0.6, 5), ("Equalize", 1.0, None)),
        (("Color", 0.4, 0), ("Equalize", 0.6, None)),
        (("Equalize", 0.4, None), ("Solarize", 0.2, 4)),
        (("Solarize", 0.6, 5), ("AutoContrast", 0.6, None)),
        (("Invert", 0.6, None), ("Equalize", 1.0, None)),
        (("Color", 0.6, 4), ("Contrast", 1.0, 8)),
        (("Equalize", 0.8, None), ("Equalize", 0.6, None)),
    ],
    AutoAugmentPolicy.CIFAR10: [
        (("Invert", 0.1, None), ("Contrast", 0.2, 6)),
        (("Rotate", 0.7, 2), ("TranslateX", 0.3, 9)),
        (("Sharpness", 0.8, 1), ("Sharpness", 0.9, 3)),
        (("ShearY", 0.5, 8), ("TranslateY", 0.7, 9)),
        (("AutoContrast", 0.5, None), ("Equalize", 0.9, None)),
        (("ShearY", 0.2, 7), ("Posterize", 0.3, 7)),
        (("Color", 0.4, 3), ("Brightness", 0.6, 7)),
        (("Sharpness", 0.3, 9), ("Brightness", 0.7, 9)),
        (("Equalize", 0.6, None), ("Equalize", 0.5, None)),
        (("Contrast", 0.6, 7), ("Sharpness", 0.6, 5)),
        (("Color", 0.7, 7), ("TranslateX", 0.5, 8)),
        (("Equalize", 0.3, None), ("AutoContrast", 0.4, None)),
        (("TranslateY", 0.4, 3), ("Sharpness", 0.2, 6)),
        (("Brightness", 0.9, 6), ("Color", 0.2, 8)),
        (("Solarize", 0.5, 2), ("Invert", 0.0, None)),
        (("Equalize", 0.2, None), ("AutoContrast", 0.6, None)),
        (("Equalize", 0.2, None), ("Equalize", 0.6, None)),
        (("Color", 0.9, 9), ("Equalize", 0.6, None)),
        (("AutoContrast", 0.8, None), ("Solarize", 0.2, 8)),
        (("Brightness", 0.1, 3), ("Color", 0.7, 0)),
        (("Solarize", 0.4, 5), ("AutoContrast", 0.9, None)),
        (("TranslateY", 0.9, 9), ("TranslateY", 0.7, 9)),
        (("AutoContrast", 0.9, None), ("Solarize", 0.8, 3)),
        (("Equalize", 0.8, None), ("Invert", 0.1, None)),
        (("TranslateY", 0.7, 9), ("AutoContrast", 0.9, None)),
    ],
    AutoAugmentPolicy.SVHN: [
        (("ShearX", 0.9, 4), ("Invert", 0.2, None)),
        (("ShearY", 0.9, 8), ("Invert", 0.7, None)),
        (("Equalize", 0.6, None), ("Solarize", 0.6, 6)),
        (("Invert", 0.9, None), ("Equalize", 0.6, None)),
        (("Equalize", 0.6, None), ("Rotate", 0.9, 3)),
        (("ShearX", 0.9, 4), ("AutoContrast", 0.8, None)),
        (("ShearY", 0.9, 8), ("Invert", 0.4, None)),
        (("ShearY", 0.9, 5), ("Solarize", 0.2, 6)),
        (("Invert", 0.9, None), ("AutoContrast", 0.8, None)),
        (("Equalize", 0.6, None), ("Rotate", 0.9, 3)),
        (("ShearX", 0.9, 4), ("Solarize", 0.3, 3)),
        (("ShearY", 0.8, 8), ("Invert", 0.7, None)),
        (("Equalize", 0.9, None), ("TranslateY", 0.6, 6)),
        (("Invert", 0.9, None), ("Equalize", 0.6, None)),
        (("Contrast", 0.3, 3), ("Rotate", 0.8, 4)),
        (("Invert", 0.8, None), ("TranslateY", 0.0, 2)),
        (("ShearY", 0.7, 6), ("Solarize", 0.4, 8)),
        (("Invert", 0.6, None), ("Rotate", 0.8, 4)),
        (("ShearY", 0.3, 7), ("TranslateX", 0.9, 3)),
        (("ShearX", 0.1, 6), ("Invert", 0.6, None)),
        (("Solarize", 0.7, 2), ("TranslateY", 0.6, 7)),
        (("ShearY", 0.8, 4), ("Invert", 0.8, None)),
        (("ShearX", 0.7, 9), ("TranslateY", 0.8, 3)),
        (("ShearY", 0.8, 5), ("AutoContrast", 0.7, None)),
        (("ShearX", 0.7, 2), ("Invert", 0.1, None)),
    ],
}


class AutoAugment(AutomaticAugmentation):
    r"""AutoAugment (`Cubuk et al., 2019 <https://arxiv.org/abs/1805.09501>`_): one of the
    ``policy``'s 25 sub-policies at random, each of its two ops applied with its probability,
    at its magnitude bin of 10, with a random sign where the op is signed.

    Args:
        policy: an :class:`AutoAugmentPolicy`. Default: ``AutoAugmentPolicy.IMAGENET``.
        interpolation: an :class:`InterpolationMode` for the geometric ops; tensor images
            take ``NEAREST`` and ``BILINEAR``. Default: ``InterpolationMode.NEAREST``.
        fill: the value outside the image (a number, or one per channel). Default: ``None``.

    Shape:
        - Input: a PIL image (mode L or RGB) or a uint8 tensor image (..., 1 or 3, H, W).
        - Output: the same kind, shape and dtype.

    Raises:
        ValueError: for a ``policy`` that is not an :class:`AutoAugmentPolicy`.

    Example:
        >>> import xpnet
        >>> from xpnet.data import transforms
        >>> _ = xpnet.manual_seed(0)
        >>> image = np.zeros((3, 8, 8), dtype=np.uint8)
        >>> transforms.AutoAugment(transforms.AutoAugmentPolicy.CIFAR10)(image).shape
        (3, 8, 8)
    """

    def __init__(
        self,
        policy: AutoAugmentPolicy = AutoAugmentPolicy.IMAGENET,
        interpolation: InterpolationMode = InterpolationMode.NEAREST,
        fill=None,
    ) -> None:
        self.policy = policy
        self.interpolation = interpolation
        self.fill = fill
        self.policies = self._get_policies(policy)

    def _get_policies(self, policy: AutoAugmentPolicy) -> list:
        if not isinstance(policy, AutoAugmentPolicy):
            msg = f"The provided policy {policy} is not recognized."
            raise ValueError(msg)
        return list(POLICIES[policy])

    def _augmentation_space(self, num_bins: int, image_size) -> dict:
        height, width = image_size
        translate = (150.0 / 331.0 * width, 150.0 / 331.0 * height)
        space = augmentation_space(num_bins, 0.3, translate, 30.0, 0.9, (8, 4))
        space["Invert"] = (no_magnitude(), False)
        return space

    @staticmethod
    def get_params(transform_num: int) -> tuple[int, numpy.ndarray, numpy.ndarray]:
        """``(policy_id, probs, signs)``: a sub-policy in ``[0, transform_num)``, two float32
        uniforms in [0, 1) and two int64 signs in {0, 1} (0: negate)."""
        generator = host_generator()
        policy_id = int(generator.integers(0, transform_num))
        probs = generator.random(2, dtype=numpy.float32)
        signs = generator.integers(0, 2, size=2)
        return policy_id, probs, signs

    def __call__(self, img):
        return self.apply_policy(img, self.get_params(len(self.policies)))

    def apply_policy(self, img, params: tuple):
        """``img`` through the sub-policy ``params`` (:meth:`get_params`' draw) picks."""
        transform_id, probs, signs = params
        fill = tensor_fill(img, self.fill)
        op_meta = self._augmentation_space(10, tuple(F.get_dimensions(img)[1:]))
        for i, (op_name, p, magnitude_id) in enumerate(self.policies[transform_id]):
            if probs[i] <= p:
                magnitudes, is_signed = op_meta[op_name]
                magnitude = float(magnitudes[magnitude_id]) if magnitude_id is not None else 0.0
                if is_signed and signs[i] == 0:
                    magnitude = -magnitude
                img = self.apply_op(img, op_name, magnitude, self.interpolation, fill)
        return img

    def __repr__(self) -> str:
        return f"{type(self).__name__}(policy={self.policy}, fill={self.fill})"
