"""torchvision v2's automatic augmentations: v1's draws, v2's ops.

``AutoAugment``, ``RandAugment``, ``TrivialAugmentWide`` and ``AugMix`` of
:mod:`xpnet.data.transforms_v2` take v1's arguments and draw as v1's
(:mod:`.transforms_autoaugment`, :mod:`.transforms_randaugment`), and change what torchvision
0.28's v2 changes (``_AutoAugmentBase._apply_image_or_video_transform``):

- every dtype: ``Posterize``, ``Equalize`` and ``AutoContrast`` are v2's kernels (v1's take
  uint8 images only, and v1's autocontrast rounds another way);
- ``Solarize``'s bins run from 1 to 0, fractions of the dtype's largest value (255 for uint8
  and PIL images, 1 for floats), where v1's run from 255 to 0;
- one image or video per sample: torchvision's TypeErrors for none and for several;
- ``AugMix`` mixes a :class:`~xpnet.data.tv_tensors.Video` whole, one weight per video, where
  v1 mixes each frame with its own.

Example:
    >>> from xpnet.data import transforms_v2 as v2
    >>> image = np.full((3, 4, 4), 0.5, dtype=np.float32)
    >>> float(apply_op_v2(image, "Posterize", 1.0, v2.InterpolationMode.NEAREST, None).max())
    0.5
"""

from __future__ import annotations

from . import transforms as v1
from . import transforms_v2_image as V2
from .transforms_autoaugment import PHOTOMETRIC_OPS, apply_op, linspace
from .transforms_photometric import tensor_image_array
from .transforms_tensor import max_value
from .transforms_v2_wrap import wrap_v1
from .tv_tensors import Video

__all__ = [
    "V2_PHOTOMETRIC_OPS",
    "AugMix",
    "AutoAugment",
    "RandAugment",
    "TrivialAugmentWide",
    "V2AutomaticAugmentation",
    "apply_op_v2",
    "solarize_bound",
]


def solarize_bound(img) -> float:
    """What a v2 ``Solarize`` magnitude is a fraction of: the largest value of ``img``'s
    dtype, 255 for a PIL image."""
    array = tensor_image_array(img)
    return 255.0 if array is None else float(max_value(array.dtype))


V2_PHOTOMETRIC_OPS = {
    **PHOTOMETRIC_OPS,
    "Color": lambda img, magnitude: V2.adjust_saturation(img, 1.0 + magnitude),
    "Contrast": lambda img, magnitude: V2.adjust_contrast(img, 1.0 + magnitude),
    "Sharpness": lambda img, magnitude: V2.adjust_sharpness(img, 1.0 + magnitude),
    "Posterize": lambda img, magnitude: V2.posterize(img, int(magnitude)),
    "Solarize": lambda img, magnitude: V2.solarize(img, solarize_bound(img) * magnitude),
    "AutoContrast": lambda img, _: V2.autocontrast(img),
    "Equalize": lambda img, _: V2.equalize(img),
}


def apply_op_v2(img, op_name: str, magnitude: float, interpolation, fill):
    """torchvision v2's op ``op_name`` (``_apply_image_or_video_transform``): v1's
    :func:`~.transforms_autoaugment.apply_op` with :data:`V2_PHOTOMETRIC_OPS`, for images
    of every dtype."""
    return apply_op(img, op_name, magnitude, interpolation, fill, ops=V2_PHOTOMETRIC_OPS)


class V2AutomaticAugmentation:
    """What v2 changes in an automatic augmentation (see the module docstring), mixed in
    before the v2 wrapper of the v1 class."""

    apply_op = staticmethod(apply_op_v2)

    def _augmentation_space(self, num_bins: int, *image_size) -> dict:
        space = super()._augmentation_space(num_bins, *image_size)
        space["Solarize"] = (linspace(1.0, 0.0, num_bins), False)  # in the same place
        return space

    def _batch_ndim(self, img) -> int:
        return 5 if isinstance(img, Video) else 4

    def params_of(self, sample, flat_inputs, needs: list[bool]) -> dict:
        count = sum(needs)
        if count == 0:
            msg = "Found no image in the sample."
            raise TypeError(msg)
        if count > 1:
            msg = (
                "Auto augment transformations are only properly defined for a single image or "
                f"video, but found {count}."
            )
            raise TypeError(msg)
        return super().params_of(sample, flat_inputs, needs)


def _v2_class(v1_class: type) -> type:
    name = v1_class.__name__
    doc = (
        f"torchvision v2's ``{name}``: :class:`xpnet.data.transforms.{name}`'s draws with v2's "
        "ops, on one image or video of every dtype (see "
        ":mod:`xpnet.data.transforms_v2_autoaugment`)."
    )
    namespace = {"__doc__": doc, "__module__": "xpnet.data.transforms_v2", "__qualname__": name}
    return type(name, (V2AutomaticAugmentation, wrap_v1(v1_class)), namespace)


AugMix = _v2_class(v1.AugMix)
AutoAugment = _v2_class(v1.AutoAugment)
RandAugment = _v2_class(v1.RandAugment)
TrivialAugmentWide = _v2_class(v1.TrivialAugmentWide)
