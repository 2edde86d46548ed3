"""torchvision's ``transforms.v2``, as :mod:`xpnet.data.transforms.v2`.

``from xpnet.data.transforms import v2`` gives the names of today's tutorials: ``v2.Compose``,
``v2.ToImage``, ``v2.ToDtype``, ``v2.RandomResizedCrop``, ..., ``v2.MixUp``, ``v2.CutMix``.
A v2 transform takes a whole sample (``transform(image, label)``, a tuple, a dict, ...) and
transforms its image leaves only, the first pure tensor or every PIL image, passing labels
and everything else through (:mod:`xpnet.data.transforms_v2_base` has the rule).

The names that torchvision v1 has too are v1's transforms of :mod:`xpnet.data.transforms`
(same arguments, checks, draws and ``get_params``; torchvision v2's reprs, from
:mod:`xpnet.data.transforms_v2_repr`) applied that way; a sample with
several PIL images (an image and its mask) gives each the same random parameters, drawn
once per call as torchvision's ``make_params`` (:mod:`xpnet.data.transforms_v2_wrap` says
how, and which three v1 classes still replay their draws instead). v2's own pieces are here
(:class:`ToImage`, :class:`ToDtype`, :class:`ToPureTensor`, :class:`Identity`, the
containers, :class:`Lambda`), in :mod:`xpnet.data.transforms_v2_mix` (:class:`MixUp`,
:class:`CutMix`), :mod:`xpnet.data.transforms_v2_more` (``GaussianNoise``, ``RGB``, ...),
:mod:`xpnet.data.transforms_v2_geometry` (``RandomResize``, ``ElasticTransform``, ...),
:mod:`xpnet.data.transforms_v2_video` and :mod:`xpnet.data.transforms_v2_keypoints`.
Samples may hold :mod:`xpnet.data.tv_tensors`: the geometric transforms move masks, boxes
and keypoints with the image, the photometric ones pass them through, as torchvision's
(docs/data-and-weights.md has the table); :mod:`xpnet.data.transforms_v2_boxes` has
``ConvertBoundingBoxFormat``, ``ClampBoundingBoxes``, ``SanitizeBoundingBoxes``,
``SetClampingMode`` and ``RandomIoUCrop``.

Example:
    >>> import xpnet
    >>> from xpnet.data.transforms import v2
    >>> transform = v2.Compose([v2.ToImage(), v2.ToDtype(xpnet.float32, scale=True)])
    >>> image, label = transform(np.full((4, 4, 3), 255, dtype=np.uint8), 7)
    >>> image.shape, image.dtype, float(image.max()), label
    ((3, 4, 4), dtype('float32'), 1.0, 7)
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Sequence

import numpy

from ..autograd import Tensor
from . import transforms as v1
from . import transforms_v2_functional as functional
from .transforms import AutoAugmentPolicy, InterpolationMode
from .transforms_pil import is_pil_image
from .transforms_v2_autoaugment import AugMix, AutoAugment, RandAugment, TrivialAugmentWide
from .transforms_v2_base import Transform, is_pure_tensor
from .transforms_v2_boxes import (
    ClampBoundingBoxes,
    ConvertBoundingBoxFormat,
    RandomIoUCrop,
    SanitizeBoundingBoxes,
    SetClampingMode,
)
from .transforms_v2_dtype import ConvertImageDtype, ToDtype
from .transforms_v2_geometry import (
    ElasticTransform,
    RandomResize,
    RandomShortestSize,
    RandomZoomOut,
    ScaleJitter,
)
from .transforms_v2_keypoints import *  # noqa: F403 - the keypoint transforms, the queries
from .transforms_v2_keypoints import __all__ as keypoint_names
from .transforms_v2_mix import CutMix, MixUp
from .transforms_v2_more import (
    JPEG,
    RGB,
    FiveCrop,
    GaussianNoise,
    LinearTransformation,
    RandomChannelPermutation,
    RandomPhotometricDistort,
    TenCrop,
)
from .transforms_v2_video import UniformTemporalSubsample
from .transforms_v2_wrap import V1Transform, wrap_v1
from .tv_tensors import Image, TVTensor

sys.modules[f"{__package__}.transforms.v2.functional"] = functional

__all__ = [
    "AugMix",
    "AutoAugment",
    "AutoAugmentPolicy",
    "CenterCrop",
    "ClampBoundingBoxes",
    "ColorJitter",
    "Compose",
    "ConvertBoundingBoxFormat",
    "ConvertImageDtype",
    "CutMix",
    "ElasticTransform",
    "FiveCrop",
    "GaussianBlur",
    "GaussianNoise",
    "Grayscale",
    "Identity",
    "InterpolationMode",
    "JPEG",
    "Lambda",
    "LinearTransformation",
    "MixUp",
    "Normalize",
    "PILToTensor",
    "Pad",
    "RandAugment",
    "RandomAdjustSharpness",
    "RandomAffine",
    "RandomApply",
    "RandomAutocontrast",
    "RandomChannelPermutation",
    "RandomChoice",
    "RandomCrop",
    "RandomEqualize",
    "RandomErasing",
    "RandomGrayscale",
    "RandomHorizontalFlip",
    "RandomInvert",
    "RandomIoUCrop",
    "RandomOrder",
    "RandomPerspective",
    "RandomPhotometricDistort",
    "RandomPosterize",
    "RandomResize",
    "RandomResizedCrop",
    "RandomRotation",
    "RandomShortestSize",
    "RandomSolarize",
    "RandomVerticalFlip",
    "RandomZoomOut",
    "RGB",
    "Resize",
    "SanitizeBoundingBoxes",
    "ScaleJitter",
    "SetClampingMode",
    "TenCrop",
    "ToDtype",
    "ToImage",
    "ToPILImage",
    "ToPureTensor",
    "ToTensor",
    "Transform",
    "TrivialAugmentWide",
    "UniformTemporalSubsample",
    "V1Transform",
    "functional",
    "wrap_v1",
    *keypoint_names,
]


def is_ndarray(inpt) -> bool:
    """Whether ``inpt`` is a NumPy array (an (H, W, C) picture for ``ToTensor``)."""
    return isinstance(inpt, numpy.ndarray)


# the v1 transforms that v2 has under the same name, in torchvision v2's __init__ order
RandomErasing = wrap_v1(v1.RandomErasing)
ColorJitter = wrap_v1(v1.ColorJitter)
STILL_IMAGES = (is_pure_tensor, is_pil_image, Image)  # no video kernel: videos pass through
Grayscale = wrap_v1(v1.Grayscale, STILL_IMAGES)
RandomAdjustSharpness = wrap_v1(v1.RandomAdjustSharpness)
RandomAutocontrast = wrap_v1(v1.RandomAutocontrast)
RandomEqualize = wrap_v1(v1.RandomEqualize)
RandomGrayscale = wrap_v1(v1.RandomGrayscale, STILL_IMAGES)
RandomInvert = wrap_v1(v1.RandomInvert)
RandomPosterize = wrap_v1(v1.RandomPosterize)
RandomSolarize = wrap_v1(v1.RandomSolarize)
CenterCrop = wrap_v1(v1.CenterCrop)
Pad = wrap_v1(v1.Pad)
RandomAffine = wrap_v1(v1.RandomAffine)
RandomCrop = wrap_v1(v1.RandomCrop)
RandomHorizontalFlip = wrap_v1(v1.RandomHorizontalFlip)
RandomPerspective = wrap_v1(v1.RandomPerspective)
RandomResizedCrop = wrap_v1(v1.RandomResizedCrop)
RandomRotation = wrap_v1(v1.RandomRotation)
RandomVerticalFlip = wrap_v1(v1.RandomVerticalFlip)
Resize = wrap_v1(v1.Resize)
GaussianBlur = wrap_v1(v1.GaussianBlur)
Normalize = wrap_v1(v1.Normalize)
PILToTensor = wrap_v1(v1.PILToTensor, (is_pil_image,))
ToPILImage = wrap_v1(v1.ToPILImage, (is_pure_tensor, Image))


class ToTensor(wrap_v1(v1.ToTensor, (is_pil_image, is_ndarray))):
    """Deprecated in torchvision v2 (it warns): v1's ``ToTensor`` on the sample's picture.

    Use ``Compose([ToImage(), ToDtype(xpnet.float32, scale=True)])`` instead.
    """

    def __init__(self) -> None:
        msg = (
            "The transform `ToTensor()` is deprecated and will be removed in a future release. "
            "Instead, please use `v2.Compose([v2.ToImage(), v2.ToDtype(torch.float32, "
            "scale=True)])`.Output is equivalent up to float precision."
        )
        warnings.warn(msg, UserWarning, stacklevel=2)


def sample_of(inputs: tuple):
    """The sample a v2 transform got: one argument itself, several as a tuple."""
    return inputs if len(inputs) > 1 else inputs[0]


def check_transforms(transforms) -> None:
    """torchvision v2's check of the containers' ``transforms`` argument."""
    if not isinstance(transforms, Sequence):
        msg = "Argument transforms should be a sequence of callables"
        raise TypeError(msg)


class Compose(Transform, v1.Compose):
    """Apply ``transforms`` in order to the whole sample: ``Compose([f, g])(x) == g(f(x))``.

    Raises:
        TypeError: if ``transforms`` is not a sequence.
    """

    def __init__(self, transforms) -> None:
        check_transforms(transforms)
        v1.Compose.__init__(self, transforms)

    def forward(self, *inputs):
        return v1.Compose.__call__(self, sample_of(inputs))

    __repr__ = v1.Compose.__repr__


class RandomApply(Transform, v1.RandomApply):
    """Apply all of ``transforms`` to the sample with probability ``p`` (default 0.5).

    Raises:
        TypeError: if ``transforms`` is not a sequence.
        ValueError: if ``p`` is not in [0, 1].
    """

    def __init__(self, transforms, p: float = 0.5) -> None:
        check_transforms(transforms)
        if not 0.0 <= p <= 1.0:
            msg = "`p` should be a floating point value in the interval [0.0, 1.0]."
            raise ValueError(msg)
        v1.RandomApply.__init__(self, transforms, p)

    def forward(self, *inputs):
        return v1.RandomApply.__call__(self, sample_of(inputs))

    __repr__ = v1.RandomApply.__repr__


class RandomChoice(Transform, v1.RandomChoice):
    """Apply one of ``transforms`` to the sample, picked with probabilities ``p``.

    Args:
        transforms: a sequence of transforms.
        p: one weight per transform, normalised to sum to 1. Default: uniform.

    Raises:
        TypeError: if ``transforms`` is not a sequence.
        ValueError: if ``p`` has another length than ``transforms``.
    """

    def __init__(self, transforms, p=None) -> None:
        check_transforms(transforms)
        if p is None:
            p = [1.0] * len(transforms)
        elif len(p) != len(transforms):
            msg = (
                f"Length of p doesn't match the number of transforms: {len(p)} != {len(transforms)}"
            )
            raise ValueError(msg)
        total = sum(p)
        v1.RandomChoice.__init__(self, transforms, [weight / total for weight in p])

    forward = v1.RandomChoice.__call__
    __repr__ = v1.RandomChoice.__repr__


class RandomOrder(Transform, v1.RandomOrder):
    """Apply ``transforms`` to the sample in a random order.

    Raises:
        TypeError: if ``transforms`` is not a sequence.
    """

    def __init__(self, transforms) -> None:
        check_transforms(transforms)
        v1.RandomOrder.__init__(self, transforms)

    def forward(self, *inputs):
        return v1.RandomOrder.__call__(self, sample_of(inputs))

    __repr__ = v1.RandomOrder.__repr__


class Lambda(Transform, v1.Lambda):
    """Apply ``lambd`` to the leaves that are instances of ``types`` (default: every leaf).

    As torchvision's: every leaf but the later pure tensors, so ``Lambda(f)((image, 3))``
    calls ``f`` on ``3`` too; pass ``types`` to narrow it.

    Raises:
        TypeError: if ``lambd`` is not callable.
    """

    transformed_types = (object,)

    def __init__(self, lambd, *types: type) -> None:
        v1.Lambda.__init__(self, lambd)
        self.types = types or self.transformed_types

    def transform_leaf(self, inpt, params: dict):
        return self.transform(inpt, params)  # what lambd returns, not wrapped back

    def transform(self, inpt, params: dict):
        return self.lambd(inpt) if isinstance(inpt, self.types) else inpt

    def extra_repr(self) -> str:
        name = getattr(self.lambd, "__name__", None)
        types = f"types={[kind.__name__ for kind in self.types]}"
        return f"{name}, {types}" if name else types


class Identity(Transform):
    """Return the sample unchanged."""

    def transform(self, inpt, params: dict):
        return inpt


class ToPureTensor(Transform):
    """Every tv_tensor of the sample (Image, Mask, BoundingBoxes) as a plain Tensor on the
    same array, its metadata dropped."""

    transformed_types = (TVTensor,)

    def transform_leaf(self, inpt, params: dict):
        return self.transform(inpt, params)  # not wrapped back

    def transform(self, inpt, params: dict):
        return Tensor(inpt.array)


class ToImage(Transform):
    """The sample's image (PIL, (H, W[, C]) NumPy array or Tensor) as a (C, H, W)
    :class:`~xpnet.data.tv_tensors.Image` of its own dtype (see
    :func:`~xpnet.data.transforms_v2_functional.to_image`)."""

    transformed_types = (is_pure_tensor, is_pil_image)

    def transform(self, inpt, params: dict):
        return functional.to_image(inpt)
