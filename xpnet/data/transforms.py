"""torchvision's transforms (the v1 API of ``torchvision.transforms``) for ported scripts.

They act on one sample at a time, as torchvision's do; a dataset given a ``transform`` is
read sample by sample by the :class:`~xpnet.data.DataLoader`, which then yields Tensors.
Each takes a PIL image (computed by Pillow, as torchvision does; Pillow is imported only
when a PIL image is met) or a tensor image: an :class:`~xpnet.Tensor` or a NumPy array of
shape ``(..., C, H, W)`` on the host. This module holds the deterministic transforms;
the random ones are in :mod:`xpnet.data.transforms_augment` (the random rotations, affine
maps and perspectives in :mod:`xpnet.data.transforms_affine`) and the functions in
:mod:`xpnet.data.transforms_functional`, both importable from here
(``transforms.functional`` as ``torchvision.transforms.functional``).

Random transforms draw from xpnet's host generator (:func:`xpnet.manual_seed` makes them
reproducible), not from ``torch``'s or Python's ``random``: the same seed gives the same
augmentations in xpnet, not the ones torchvision would draw.

Example:
    >>> from xpnet.data import transforms
    >>> normalize = transforms.Normalize((0.5,), (0.5,))
    >>> transform = transforms.Compose([transforms.ToTensor(), normalize])
    >>> image = transform(np.full((28, 28), 255, dtype=np.uint8))
    >>> image.shape, float(image.array.max())
    ((1, 28, 28), 1.0)
"""

from __future__ import annotations

import numbers
import sys
from collections.abc import Sequence

import numpy

from . import transforms_functional as functional
from .transforms_affine import RandomAffine, RandomPerspective, RandomRotation
from .transforms_augment import (
    ColorJitter,
    GaussianBlur,
    RandomApply,
    RandomChoice,
    RandomCrop,
    RandomErasing,
    RandomGrayscale,
    RandomHorizontalFlip,
    RandomOrder,
    RandomResizedCrop,
    RandomTransforms,
    RandomVerticalFlip,
    setup_size,
)
from .transforms_autoaugment import AutoAugment, AutoAugmentPolicy
from .transforms_modes import InterpolationMode, interpolation_from_int
from .transforms_more import ElasticTransform, FiveCrop, LinearTransformation, TenCrop
from .transforms_photometric_random import (
    RandomAdjustSharpness,
    RandomAutocontrast,
    RandomEqualize,
    RandomInvert,
    RandomPosterize,
    RandomSolarize,
)
from .transforms_randaugment import AugMix, RandAugment, TrivialAugmentWide

sys.modules[f"{__name__}.functional"] = functional

__all__ = [
    "AugMix",
    "AutoAugment",
    "AutoAugmentPolicy",
    "CenterCrop",
    "ColorJitter",
    "Compose",
    "ConvertImageDtype",
    "ElasticTransform",
    "FiveCrop",
    "GaussianBlur",
    "Grayscale",
    "InterpolationMode",
    "Lambda",
    "LinearTransformation",
    "Normalize",
    "PILToTensor",
    "Pad",
    "RandAugment",
    "RandomAdjustSharpness",
    "RandomAffine",
    "RandomApply",
    "RandomAutocontrast",
    "RandomChoice",
    "RandomCrop",
    "RandomEqualize",
    "RandomErasing",
    "RandomGrayscale",
    "RandomHorizontalFlip",
    "RandomInvert",
    "RandomOrder",
    "RandomPerspective",
    "RandomPosterize",
    "RandomResizedCrop",
    "RandomRotation",
    "RandomSolarize",
    "RandomTransforms",
    "RandomVerticalFlip",
    "Resize",
    "TenCrop",
    "ToPILImage",
    "ToTensor",
    "TrivialAugmentWide",
    "functional",
]


class Compose:
    """Apply ``transforms`` in order: ``Compose([f, g])(x) == g(f(x))``."""

    def __init__(self, transforms) -> None:
        self.transforms = transforms

    def __call__(self, img):
        for t in self.transforms:
            img = t(img)
        return img

    def __repr__(self) -> str:
        body = "".join(f"\n    {t}" for t in self.transforms)
        return f"{type(self).__name__}({body}\n)"


class Lambda:
    """Wrap a function as a transform.

    Raises:
        TypeError: if ``lambd`` is not callable.
    """

    def __init__(self, lambd) -> None:
        if not callable(lambd):
            msg = f"Argument lambd should be callable, got {type(lambd).__name__!r}"
            raise TypeError(msg)
        self.lambd = lambd

    def __call__(self, img):
        return self.lambd(img)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class ToTensor:
    """A PIL image or an (H, W[, C]) array as a (C, H, W) host Tensor (see ``to_tensor``).

    uint8 images (and PIL modes L, RGB, RGBA, P, 1) become float32 in [0, 1]; other dtypes
    are kept, as torchvision keeps them.
    """

    def __call__(self, pic):
        return functional.to_tensor(pic)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class PILToTensor:
    """A PIL image as a (C, H, W) Tensor of its own dtype (uint8 for L/RGB), unscaled."""

    def __call__(self, pic):
        return functional.pil_to_tensor(pic)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class ToPILImage:
    """A (C, H, W) Tensor or an (H, W[, C]) array as a PIL image (see ``to_pil_image``).

    Args:
        mode: the PIL mode; ``None`` (default) infers it from the channels and dtype.
    """

    def __init__(self, mode=None) -> None:
        self.mode = mode

    def __call__(self, pic):
        return functional.to_pil_image(pic, self.mode)

    def __repr__(self) -> str:
        mode = "" if self.mode is None else f"mode={self.mode}"
        return f"{type(self).__name__}({mode})"


class ConvertImageDtype:
    """Convert a tensor image to ``dtype`` (a NumPy dtype), rescaling its values."""

    def __init__(self, dtype) -> None:
        self.dtype = numpy.dtype(dtype)

    def __call__(self, image):
        return functional.convert_image_dtype(image, self.dtype)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class Normalize:
    """``(image - mean) / std`` per channel of a float (..., C, H, W) tensor image.

    Args:
        mean: one value per channel (a sequence).
        std: one value per channel.
        inplace: write into the image's array. Default: ``False``.

    Raises:
        TypeError: for a PIL image or an integer image, as torchvision.
        ValueError: when called, if a ``std`` is zero, or the image has fewer than 3 axes.
    """

    def __init__(self, mean, std, inplace: bool = False) -> None:
        self.mean = mean
        self.std = std
        self.inplace = inplace

    def __call__(self, tensor):
        return functional.normalize(tensor, self.mean, self.std, self.inplace)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(mean={self.mean}, std={self.std})"


class Resize:
    """Resize to ``size``: ``(h, w)``, or an int for the smaller edge (keeping the aspect).

    Args:
        size: an int or a sequence of 1 or 2 ints.
        interpolation: an :class:`InterpolationMode` (or a Pillow constant).
            Default: ``InterpolationMode.BILINEAR``.
        max_size: the longest the longer edge may become (only with an int ``size``).
        antialias: antialias tensor images when downsampling (bilinear, bicubic); PIL
            images always are. Default: ``True``.

    Raises:
        TypeError: if ``size`` is not an int or a sequence.
        ValueError: if a sequence ``size`` does not have 1 or 2 values.
    """

    def __init__(
        self, size, interpolation=InterpolationMode.BILINEAR, max_size=None, antialias=True
    ) -> None:
        if not isinstance(size, (int, Sequence)):
            msg = f"Size should be int or sequence. Got {type(size)}"
            raise TypeError(msg)
        if isinstance(size, Sequence) and len(size) not in (1, 2):
            msg = "If size is a sequence, it should have 1 or 2 values"
            raise ValueError(msg)
        self.size = size
        self.max_size = max_size
        if isinstance(interpolation, int):
            interpolation = interpolation_from_int(interpolation)
        self.interpolation = interpolation
        self.antialias = antialias

    def __call__(self, img):
        return functional.resize(img, self.size, self.interpolation, self.max_size, self.antialias)

    def __repr__(self) -> str:
        detail = (
            f"(size={self.size}, interpolation={self.interpolation.value}, "
            f"max_size={self.max_size}, antialias={self.antialias})"
        )
        return f"{type(self).__name__}{detail}"


class CenterCrop:
    """Crop the center ``size`` window (an int for a square), zero-padding if needed."""

    def __init__(self, size) -> None:
        self.size = setup_size(
            size, error_msg="Please provide only two dimensions (h, w) for size."
        )

    def __call__(self, img):
        return functional.center_crop(img, self.size)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(size={self.size})"


class Pad:
    """Pad every border: ``padding`` an int, ``(lr, tb)`` or ``(l, t, r, b)``.

    Args:
        padding: the widths.
        fill: the constant (a tuple per channel for PIL images). Default: 0.
        padding_mode: ``'constant'``, ``'edge'``, ``'reflect'`` or ``'symmetric'``.

    Raises:
        TypeError: if ``padding`` or ``fill`` has the wrong type.
        ValueError: for an unknown mode or a ``padding`` of another length.
    """

    def __init__(self, padding, fill=0, padding_mode="constant") -> None:
        if not isinstance(padding, (numbers.Number, tuple, list)):
            msg = "Got inappropriate padding arg"
            raise TypeError(msg)
        if not isinstance(fill, (numbers.Number, tuple, list)):
            msg = "Got inappropriate fill arg"
            raise TypeError(msg)
        if padding_mode not in ["constant", "edge", "reflect", "symmetric"]:
            msg = "Padding mode should be either constant, edge, reflect or symmetric"
            raise ValueError(msg)
        if isinstance(padding, Sequence) and len(padding) not in [1, 2, 4]:
            msg = (
                "Padding must be an int or a 1, 2, or 4 element tuple, not a "
                f"{len(padding)} element tuple"
            )
            raise ValueError(msg)
        self.padding = padding
        self.fill = fill
        self.padding_mode = padding_mode

    def __call__(self, img):
        return functional.pad(img, self.padding, self.fill, self.padding_mode)

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(padding={self.padding}, fill={self.fill}, "
            f"padding_mode={self.padding_mode})"
        )


class Grayscale:
    """Convert to grayscale with ``num_output_channels`` (1 or 3) channels."""

    def __init__(self, num_output_channels: int = 1) -> None:
        self.num_output_channels = num_output_channels

    def __call__(self, img):
        return functional.rgb_to_grayscale(img, num_output_channels=self.num_output_channels)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(num_output_channels={self.num_output_channels})"


# torchvision.transforms.v2: built on the classes above, so imported once they exist
from . import transforms_v2 as v2  # noqa: E402

sys.modules[f"{__name__}.v2"] = v2
