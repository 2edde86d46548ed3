"""What torchvision 0.28's v2 transforms print, for the v2 classes built on v1's.

torchvision v2 prints ``name=value`` for each public attribute that is a bool, number,
string, tuple, list or enum, in the order its ``__init__`` sets them
(:meth:`~xpnet.data.transforms_v2_base.Transform.extra_repr`). Its v1-named classes store
some arguments otherwise than v1's, which xpnet's v2 classes are built on
(:mod:`xpnet.data.transforms_v2_wrap`): ``Resize``'s size as a list, ``RandomCrop``'s
padding as four sides, ``RandomErasing``'s value as a list of floats, ``interpolation`` as
it was given (the string ``"bilinear"`` by default, an enum or an int when one was passed).
:data:`V2_FIELDS` gives, per v1 class, the ``(name, value)`` pairs torchvision v2's class of
that name would hold; the classes not in it hold v1's attributes in v1's order.

Example:
    >>> from xpnet.data.transforms import v2
    >>> v2.Resize(32, interpolation=v2.InterpolationMode.NEAREST)
    Resize(size=[32], interpolation=InterpolationMode.NEAREST, antialias=True)
"""

from __future__ import annotations

import numbers

from . import transforms as v1
from .transforms_v2_base import Transform, as_given

__all__ = ["V2_FIELDS", "v2_repr_fields"]


def _size_list(size):
    return [size] if isinstance(size, int) else _listed(size)


def _listed(value):
    return list(value) if isinstance(value, (tuple, list)) else value


def _four_sides(padding):
    """torchvision's ``_parse_pad_padding``: [left, right, top, bottom]."""
    if not padding:
        return None
    if isinstance(padding, numbers.Number):
        return [padding] * 4
    if len(padding) == 1:
        return [padding[0]] * 4
    if len(padding) == 2:
        return [padding[0], padding[0], padding[1], padding[1]]
    return [padding[0], padding[2], padding[1], padding[3]]


def _erasing_value(value):
    if isinstance(value, str):
        return None  # "random": torchvision keeps None
    if isinstance(value, numbers.Number):
        return [float(value)]
    return [float(v) for v in value]


def _fields(*names, **converters):
    """The pairs of ``names`` in order, ``interpolation`` as given
    (:func:`~xpnet.data.transforms_v2_base.as_given`), each value through
    ``converters[name]`` where there is one."""

    def fields(transform):
        pairs = []
        for name in names:
            value = as_given(transform, name, getattr(transform, name))
            pairs.append((name, converters[name](value) if name in converters else value))
        return pairs

    return fields


# per v1 class, torchvision v2's attributes in the order its __init__ sets them
V2_FIELDS = {
    v1.Resize: _fields("size", "interpolation", "max_size", "antialias", size=_size_list),
    v1.RandomResizedCrop: _fields("size", "scale", "ratio", "interpolation", "antialias"),
    v1.RandomCrop: _fields(
        "size", "padding", "pad_if_needed", "fill", "padding_mode", padding=_four_sides
    ),
    v1.Pad: _fields("padding", "fill", "padding_mode", padding=_listed),
    v1.RandomRotation: _fields("degrees", "interpolation", "expand", "fill", "center"),
    v1.RandomAffine: _fields(
        "degrees", "translate", "scale", "shear", "interpolation", "fill", "center"
    ),
    v1.RandomPerspective: _fields("p", "distortion_scale", "interpolation", "fill"),
    v1.GaussianBlur: _fields("kernel_size", "sigma", sigma=_listed),
    v1.RandomErasing: _fields("p", "scale", "ratio", "value", "inplace", value=_erasing_value),
    v1.RandomAdjustSharpness: _fields("p", "sharpness_factor"),
    v1.RandomPosterize: _fields("p", "bits"),
    v1.RandomSolarize: _fields("p", "threshold"),
    v1.AutoAugment: _fields("interpolation", "policy"),
    v1.RandAugment: _fields("interpolation", "num_ops", "magnitude", "num_magnitude_bins"),
    v1.TrivialAugmentWide: _fields("interpolation", "num_magnitude_bins"),
    v1.AugMix: _fields(
        "interpolation", "severity", "mixture_width", "chain_depth", "alpha", "all_ops"
    ),
}


def v2_repr_fields(transform):
    """torchvision v2's ``(name, value)`` pairs for ``transform``, a v2 class built on v1's
    ``transform.v1_class``: :data:`V2_FIELDS`' where it has the class, else the attributes."""
    fields = V2_FIELDS.get(transform.v1_class)
    return Transform.repr_fields(transform) if fields is None else fields(transform)
