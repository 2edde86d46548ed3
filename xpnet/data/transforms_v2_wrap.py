"""v1's transforms as v2 transforms: their random parameters drawn once per call.

A v2 transform draws its parameters once per sample (``make_params``) and applies them to
every image leaf (``transform(inpt, params)``), so that an image and its PIL mask get the
same crop or flip. :func:`wrap_v1` makes the v2 class of a v1 transform of
:mod:`xpnet.data.transforms`; for each v1 class that draws, a *parameter split* here calls
its ``get_params`` (or draws its coin) in ``make_params``, in v1's order, and applies the
result in ``transform``: a seeded v2 call draws what the seeded v1 call draws, and gives
what it gives but where v2's colour kernels differ (``ColorJitter``, the grayscale and
random photometric transforms: :mod:`.transforms_v2_blend`). The splits
cover ``RandomCrop``, ``RandomResizedCrop``, the flips, ``RandomGrayscale``,
``ColorJitter``, ``GaussianBlur``, ``RandomErasing``, ``RandomRotation``, ``RandomAffine``,
``RandomPerspective``, ``AutoAugment`` and the six random photometric transforms; the
deterministic ones draw nothing. The flips, crops, ``Pad``, ``Resize``, ``RandomRotation``,
``RandomAffine`` and ``RandomPerspective`` apply the same parameters to masks and bounding
boxes (:mod:`xpnet.data.tv_tensors_geometry`, :mod:`xpnet.data.transforms_v2_warp`); the
automatic augmentations refuse them.

``RandAugment``, ``TrivialAugmentWide`` and ``AugMix`` pick and apply ops in one loop and
have no ``get_params``: they keep the fallback, which replays the first leaf's draws for the
later leaves by rewinding the host generator. The draws of a call (and, for the fallback,
the whole call) hold :data:`~xpnet.data.transforms_v2_draws.DRAW_LOCK`, so that v2
transforms in a loader's worker threads, which share the host generator, neither interleave
nor repeat each other's draws.

Example:
    >>> from xpnet.data import transforms as v1
    >>> crop = wrap_v1(v1.RandomCrop)(2)
    >>> sorted(crop.make_params([np.zeros((1, 4, 4))]))
    ['crop', 'needs_crop', 'padding']
"""

from __future__ import annotations

import numbers

import numpy

from .._random import host_generator
from . import transforms as v1
from . import transforms_functional as F
from . import transforms_v2_image as V2
from . import transforms_v2_warp as W
from . import tv_tensors_geometry as G
from .transforms_v2_base import BOX_MASK_TYPES, IMAGE_TYPES, Transform
from .transforms_v2_draws import DRAW_LOCK, LockedTransform, coin
from .transforms_v2_repr import v2_repr_fields

__all__ = ["V1Transform", "size_stub", "wrap_v1"]


def size_stub(height: int, width: int):
    """A (1, height, width) array without memory, for the ``get_params`` that read only an
    image's size (``F.get_dimensions``) where only the size is known."""
    return numpy.broadcast_to(numpy.zeros((), numpy.uint8), (1, height, width))


def tensor_fill_list(inpt, fill):
    """v1's per-leaf ``fill``: a float per channel for a tensor image, as given for PIL."""
    if not F.is_tensor_image(inpt):
        return fill
    channels = F.get_dimensions(inpt)[0]
    return [float(fill)] * channels if isinstance(fill, numbers.Number) else list(fill)


class V1Transform(LockedTransform):
    """A v1 transform class (``v1_class``) applied to the image leaves of a sample.

    This base is the fallback for the v1 classes without a parameter split
    (``RandAugment``, ``TrivialAugmentWide``, ``AugMix``): the first leaf draws as v1 does,
    a later leaf replays those draws from the saved starting state, and the whole call holds
    :data:`DRAW_LOCK` so that no other v2 transform draws in between.
    """

    v1_class: type

    def forward(self, *inputs):
        with DRAW_LOCK:
            return super().forward(*inputs)

    def make_params(self, flat_inputs) -> dict:
        return {"start": host_generator().bit_generator.state, "end": None}

    repr_fields = v2_repr_fields  # torchvision v2's attributes, where they are not v1's

    def transform(self, inpt, params: dict):
        generator = host_generator()
        if params["end"] is None:
            output = self.v1_class.__call__(self, inpt)
            params["end"] = generator.bit_generator.state
            return output
        generator.bit_generator.state = params["start"]
        output = self.v1_class.__call__(self, inpt)
        generator.bit_generator.state = params["end"]
        return output


class NoDraws(V1Transform):
    """The split of a deterministic v1 transform: nothing to draw, v1's call per leaf."""

    forward = Transform.forward

    def make_params(self, flat_inputs) -> dict:
        return {}

    def transform(self, inpt, params: dict):
        if self.v1_class in BOX_MASK_KERNELS:  # CenterCrop, Pad, Resize: v2's kernels
            return BOX_MASK_KERNELS[self.v1_class](self, inpt)
        return self.v1_class.__call__(self, inpt)


class Split(NoDraws):
    """Base of the splits that draw: ``make_params`` draws, ``transform`` applies."""


def padding_sides(padding) -> list[int]:
    """``[left, top, right, bottom]`` of a ``pad`` argument (a number, or 1, 2 or 4 of them)."""
    sides = [padding] if isinstance(padding, numbers.Number) else list(padding)
    if len(sides) == 1:
        return sides * 4
    return sides * 2 if len(sides) == 2 else sides


class CropSplit(Split):
    """``RandomCrop``: ``get_params`` on the size after the padding, and one pad (torchvision
    v2's: ``padding`` and ``pad_if_needed``'s together, so that boxes are clamped once, to the
    final canvas, and masks and images are not padded from a padded border)."""

    def make_params(self, flat_inputs) -> dict:
        height, width = G.query_size(flat_inputs)
        left, top, right, bottom = [0] * 4 if self.padding is None else padding_sides(self.padding)
        height, width = height + top + bottom, width + left + right
        if self.pad_if_needed and width < self.size[1]:
            diff = self.size[1] - width
            left, right, width = left + diff, right + diff, width + 2 * diff
        if self.pad_if_needed and height < self.size[0]:
            diff = self.size[0] - height
            top, bottom, height = top + diff, bottom + diff, height + 2 * diff
        if height < self.size[0] or width < self.size[1]:  # v2's message, not v1's
            padded = "padded " if self.padding else ""
            msg = (
                f"Required crop size {tuple(self.size)} is larger than {padded}input image "
                f"size {(height, width)}."
            )
            raise ValueError(msg)
        crop = self.get_params(size_stub(height, width), self.size)
        needs_crop = (height, width) != tuple(self.size)  # as torchvision's: no clamp then
        return {"padding": [left, top, right, bottom], "crop": crop, "needs_crop": needs_crop}

    def transform(self, inpt, params: dict):
        if any(params["padding"]):
            inpt = G.pad(inpt, params["padding"], self.fill, self.padding_mode)
        return G.crop(inpt, *params["crop"]) if params["needs_crop"] else inpt


class ResizedCropSplit(Split):
    """``RandomResizedCrop``: ``get_params`` on the sample's size."""

    def make_params(self, flat_inputs) -> dict:
        stub = size_stub(*G.query_size(flat_inputs))
        return {"crop": self.get_params(stub, self.scale, self.ratio)}

    def transform(self, inpt, params: dict):
        crop = params["crop"]
        return G.resized_crop(inpt, *crop, self.size, self.interpolation, self.antialias)


class CoinSplit(Split):
    """A coin of probability ``p``, then ``self.apply_to(inpt)`` where it came up: the flips,
    ``RandomGrayscale`` and the random photometric transforms."""

    def make_params(self, flat_inputs) -> dict:
        return {"apply": coin(self.p)}

    def transform(self, inpt, params: dict):
        return self.apply_to(inpt) if params["apply"] else inpt


class FlipSplit(CoinSplit):
    def apply_to(self, inpt):
        if not isinstance(inpt, BOX_MASK_TYPES):
            return self.flip(inpt)
        horizontal = issubclass(self.v1_class, v1.RandomHorizontalFlip)
        return (G.horizontal_flip if horizontal else G.vertical_flip)(inpt)


class GrayscaleSplit(CoinSplit):
    def apply_to(self, inpt):
        return V2.rgb_to_grayscale(inpt, num_output_channels=F.get_dimensions(inpt)[0])


class PhotometricSplit(CoinSplit):
    def apply_to(self, inpt):
        return self.apply(inpt)


class V2KernelSplit(CoinSplit):
    """The random photometric transforms whose v2 kernels differ from v1's (every dtype, v2's
    formulas and roundings): ``RandomEqualize``, ``RandomPosterize``, ``RandomAutocontrast``
    and ``RandomAdjustSharpness``."""

    def apply_to(self, inpt):
        return V2_KERNELS[self.v1_class](self, inpt)


V2_KERNELS = {
    v1.RandomEqualize: lambda self, inpt: V2.equalize(inpt),
    v1.RandomPosterize: lambda self, inpt: V2.posterize(inpt, self.bits),
    v1.RandomAutocontrast: lambda self, inpt: V2.autocontrast(inpt),
    v1.RandomAdjustSharpness: lambda self, inpt: V2.adjust_sharpness(inpt, self.sharpness_factor),
}


class GrayscaleKernel(NoDraws):
    """``Grayscale``: v2's kernel, which rounds as v2's."""

    def transform(self, inpt, params: dict):
        return V2.rgb_to_grayscale(inpt, self.num_output_channels)


class JitterSplit(Split):
    """``ColorJitter``: the order and the four factors from ``get_params``."""

    def make_params(self, flat_inputs) -> dict:
        order, *factors = self.get_params(self.brightness, self.contrast, self.saturation, self.hue)
        return {"order": order, "factors": factors}

    def transform(self, inpt, params: dict):
        adjust = [V2.adjust_brightness, V2.adjust_contrast, V2.adjust_saturation, V2.adjust_hue]
        for fn_id in params["order"]:
            if params["factors"][fn_id] is not None:
                inpt = adjust[fn_id](inpt, params["factors"][fn_id])
        return inpt


class BlurSplit(Split):
    """``GaussianBlur``: sigma from ``get_params``."""

    def make_params(self, flat_inputs) -> dict:
        return {"sigma": self.get_params(self.sigma[0], self.sigma[1])}

    def transform(self, inpt, params: dict):
        return F.gaussian_blur(inpt, self.kernel_size, [params["sigma"], params["sigma"]])


class ErasingSplit(Split):
    """``RandomErasing``: v1's checks and coin, then ``get_params`` on the first leaf."""

    def make_params(self, flat_inputs) -> dict:
        img = flat_inputs[0]
        if not F.is_tensor_image(img):
            msg = f"img should be Tensor Image. Got {type(img)}"
            raise TypeError(msg)
        if not coin(self.p):
            return {"box": None}
        value = self.fill_values(img)
        return {"box": self.get_params(img, scale=self.scale, ratio=self.ratio, value=value)}

    def transform(self, inpt, params: dict):
        if params["box"] is None:
            return inpt
        return F.erase(inpt, *params["box"], self.inplace)


class RotationSplit(Split):
    """``RandomRotation``: the angle from ``get_params``; masks and boxes rotate with it."""

    def make_params(self, flat_inputs) -> dict:
        return {"angle": self.get_params(self.degrees)}

    def transform(self, inpt, params: dict):
        fill = self.fill if isinstance(inpt, BOX_MASK_TYPES) else tensor_fill_list(inpt, self.fill)
        mode, expand, center = self.interpolation, self.expand, self.center
        return W.rotate(inpt, params["angle"], mode, expand, center, fill)


class AffineSplit(Split):
    """``RandomAffine``: ``get_params`` on the sample's size."""

    def make_params(self, flat_inputs) -> dict:
        height, width = G.query_size(flat_inputs)
        return {
            "affine": self.get_params(
                self.degrees, self.translate, self.scale, self.shear, [width, height]
            )
        }

    def transform(self, inpt, params: dict):
        fill = self.fill if isinstance(inpt, BOX_MASK_TYPES) else tensor_fill_list(inpt, self.fill)
        mode, center = self.interpolation, self.center
        return W.affine(inpt, *params["affine"], interpolation=mode, fill=fill, center=center)


class PerspectiveSplit(Split):
    """``RandomPerspective``: the coin, then ``get_params`` on the sample's size."""

    def make_params(self, flat_inputs) -> dict:
        height, width = G.query_size(flat_inputs)
        if not coin(self.p):
            return {"points": None}
        return {"points": self.get_params(width, height, self.distortion_scale)}

    def transform(self, inpt, params: dict):
        if params["points"] is None:
            return inpt
        fill = self.fill if isinstance(inpt, BOX_MASK_TYPES) else tensor_fill_list(inpt, self.fill)
        return W.perspective(inpt, *params["points"], self.interpolation, fill)


class AutoAugmentSplit(Split):
    """``AutoAugment``: the sub-policy, coins and signs from ``get_params``."""

    def make_params(self, flat_inputs) -> dict:
        return {"policy": self.get_params(len(self.policies))}

    def transform(self, inpt, params: dict):
        return self.apply_policy(inpt, params["policy"])


SPLITS = {
    v1.RandomCrop: CropSplit,
    v1.RandomResizedCrop: ResizedCropSplit,
    v1.RandomHorizontalFlip: FlipSplit,
    v1.RandomVerticalFlip: FlipSplit,
    v1.RandomGrayscale: GrayscaleSplit,
    v1.ColorJitter: JitterSplit,
    v1.GaussianBlur: BlurSplit,
    v1.RandomErasing: ErasingSplit,
    v1.RandomRotation: RotationSplit,
    v1.RandomAffine: AffineSplit,
    v1.RandomPerspective: PerspectiveSplit,
    v1.AutoAugment: AutoAugmentSplit,
    v1.Grayscale: GrayscaleKernel,
    **dict.fromkeys(V2_KERNELS, V2KernelSplit),
    **dict.fromkeys((v1.RandomInvert, v1.RandomSolarize), PhotometricSplit),
}
# the v1 transforms that draw nothing
DETERMINISTIC = (
    v1.CenterCrop,
    v1.Pad,
    v1.Resize,
    v1.Normalize,
    v1.PILToTensor,
    v1.ToPILImage,
    v1.ToTensor,
)
# the v1 transforms without a parameter split, which keep the rewinding fallback
REWOUND = (v1.RandAugment, v1.TrivialAugmentWide, v1.AugMix)
# the deterministic geometric ones, on every leaf: torchvision v2's kernels of G
BOX_MASK_KERNELS = {
    v1.CenterCrop: lambda self, inpt: G.center_crop(inpt, self.size),
    v1.Pad: lambda self, inpt: G.pad(inpt, self.padding, self.fill, self.padding_mode),
    v1.Resize: lambda self, inpt: G.resize(
        inpt, self.size, self.interpolation, self.max_size, self.antialias
    ),
}
# the transforms that move boxes and masks with the image, and those that refuse them
GEOMETRIC = (
    *BOX_MASK_KERNELS,
    v1.RandomCrop,
    v1.RandomResizedCrop,
    v1.RandomHorizontalFlip,
    v1.RandomVerticalFlip,
    v1.RandomRotation,
    v1.RandomAffine,
    v1.RandomPerspective,
)
REFUSING = (v1.AutoAugment, *REWOUND)


def wrap_v1(v1_class: type, transformed_types: tuple | None = None) -> type:
    """The v2 transform class of v1's ``v1_class``: the same name, arguments and attributes,
    its parameters drawn once per call (see the module docstring). ``transformed_types``
    defaults to the images, with masks and boxes for the geometric transforms above; the
    automatic augmentations refuse masks and boxes (``refused_types``), as torchvision's.

    Example:
        >>> RandomCrop = wrap_v1(v1.RandomCrop)
        >>> image, label = RandomCrop(2)(np.zeros((1, 4, 4)), np.zeros(4))
        >>> image.shape, label.shape
        ((1, 2, 2), (4,))
    """
    name = v1_class.__name__
    if transformed_types is None:
        transformed_types = IMAGE_TYPES + BOX_MASK_TYPES * (v1_class in GEOMETRIC)
    split = NoDraws if v1_class in DETERMINISTIC else SPLITS.get(v1_class, V1Transform)
    doc = (
        f"torchvision v2's ``{name}``: :class:`xpnet.data.transforms.{name}` on the image "
        "leaves of a sample (see :mod:`xpnet.data.transforms_v2`)."
    )
    namespace = {
        "__doc__": doc,
        "__module__": "xpnet.data.transforms_v2",
        "__qualname__": name,
        "v1_class": v1_class,
        "transformed_types": transformed_types,
        "refused_types": BOX_MASK_TYPES * (v1_class in REFUSING),
    }
    return type(name, (split, v1_class), namespace)
