"""The base of torchvision's v2 transforms: :class:`Transform` and which leaves it transforms.

A v2 transform takes a whole sample, any nesting of tuples, lists and dicts (``(image,
label)``, ``{"image": ..., "label": ...}``), flattens it depth first, transforms the image
leaves with one set of random parameters, and rebuilds the sample, passing everything else
through (torchvision's ``Transform.forward`` and its ``_needs_transform_list`` heuristic):

- a tv_tensor (:class:`~xpnet.data.tv_tensors.Image`, ``Video``, ``Mask``, ``BoundingBoxes``) is
  transformed by every transform that takes its type (photometric transforms take images,
  geometric ones masks and boxes too), and a transform that cannot move boxes or masks
  refuses them (``refused_types``: torchvision's TypeError, rather than boxes left behind);
- every PIL image in the sample is an image;
- where there is no PIL image, no :class:`~xpnet.data.tv_tensors.Image` and no ``Video``,
  the *first* pure tensor (an :class:`~xpnet.Tensor` that is no tv_tensor, or a NumPy
  array) is the image, and later ones (labels, boxes as plain tensors) pass through;
- a leaf of a type the transform does not take (an int label, a string) passes through.

NumPy arrays count as pure tensors, as they are tensor images everywhere in
:mod:`xpnet.data.transforms`. xpnet's transforms wrap their output for an Image or a Mask
leaf back into its class (torchvision's kernels do so); a custom transform's output is
returned as it is, a plain Tensor staying plain, as torchvision's.

Example:
    >>> from xpnet.data.transforms_v2_base import needs_transform_list
    >>> needs_transform_list([np.zeros((3, 4, 4)), np.zeros(2), 7])
    [True, False, False]
"""

from __future__ import annotations

import enum
import functools
import inspect

import numpy

from ..autograd import Tensor
from ..func._pytree import tree_flatten, tree_unflatten
from .transforms_modes import InterpolationMode
from .transforms_pil import is_pil_image
from .tv_tensors import BoundingBoxes, Image, KeyPoints, Mask, TVTensor, Video, wrap

__all__ = [
    "BOX_MASK_TYPES",
    "IMAGE_TYPES",
    "Transform",
    "check_type",
    "has_any",
    "is_pure_tensor",
    "needs_transform_list",
]


def is_pure_tensor(inpt) -> bool:
    """Whether ``inpt`` is a plain tensor: a NumPy array or an :class:`~xpnet.Tensor` that
    is no tv_tensor."""
    return isinstance(inpt, (Tensor, numpy.ndarray)) and not isinstance(inpt, TVTensor)


# what the photometric transforms take; the geometric ones take boxes and masks too
IMAGE_TYPES = (is_pure_tensor, is_pil_image, Image, Video)
BOX_MASK_TYPES = (BoundingBoxes, Mask, KeyPoints)


def check_type(inpt, types_or_checks) -> bool:
    """Whether ``inpt`` is an instance of one of the types or passes one of the checks."""
    for kind in types_or_checks:
        if isinstance(inpt, kind) if isinstance(kind, type) else kind(inpt):
            return True
    return False


def has_any(flat_inputs, *types_or_checks) -> bool:
    """Whether any leaf of ``flat_inputs`` passes :func:`check_type`."""
    return any(check_type(inpt, types_or_checks) for inpt in flat_inputs)


def needs_transform_list(flat_inputs, transformed_types=IMAGE_TYPES) -> list[bool]:
    """Which leaves a transform taking ``transformed_types`` transforms (the rule above).

    Args:
        flat_inputs: the leaves of a sample, depth first.
        transformed_types: types and predicates of the leaves the transform takes.
            Default: pure tensors and PIL images.

    Returns:
        One bool per leaf.

    Example:
        >>> needs_transform_list([np.zeros(2), np.zeros((1, 2, 2))])
        [True, False]
    """
    # torchvision's: pure tensors are images only where no explicit image is in the sample,
    # and then only the first one (labels and other numbers come after the image)
    transform_pure_tensor = not has_any(flat_inputs, is_pil_image, Image, Video)
    needs = []
    for inpt in flat_inputs:
        need = check_type(inpt, transformed_types)
        if need and is_pure_tensor(inpt):
            need, transform_pure_tensor = transform_pure_tensor, False
        needs.append(need)
    return needs


class Transform:
    """Base class of v2 transforms (torchvision's ``transforms.v2.Transform``).

    ``transform(sample)`` (or ``transform(*inputs)``, taken as one tuple) flattens the sample,
    calls :meth:`check_inputs` on its leaves, :meth:`make_params` once on the leaves to
    transform, then :meth:`transform` on each of them with those parameters, and rebuilds
    the sample with the other leaves unchanged. Subclasses override ``make_params`` and
    ``transform``, as torchvision's custom transforms do.

    Example:
        >>> class AddOne(Transform):
        ...     def transform(self, inpt, params):
        ...         return inpt + 1
        >>> image, label = AddOne()(np.zeros((1, 2, 2)), np.zeros(1))
        >>> float(image.max()), float(label.max())
        (1.0, 0.0)
    """

    transformed_types: tuple = IMAGE_TYPES
    refused_types: tuple = ()  # the tv_tensors this transform cannot transform right
    # a custom transform's output is its own (torchvision does not wrap it); xpnet's
    # transforms, built on v1's functions that return plain Tensors, set this
    rewraps: bool = False

    def __call__(self, *inputs):
        return self.forward(*inputs)

    def flattened(self, inputs: tuple) -> tuple:
        """``(sample, flat_inputs, spec, needs)`` of a call's ``inputs``, after refusing the
        tv_tensors this transform cannot transform and :meth:`check_inputs`."""
        sample = inputs if len(inputs) > 1 else inputs[0]
        flat_inputs, spec = tree_flatten(sample)
        self.refuse_types(flat_inputs)
        self.check_inputs(flat_inputs)
        return sample, flat_inputs, spec, needs_transform_list(flat_inputs, self.transformed_types)

    def forward(self, *inputs):
        """The sample with its image leaves transformed (see the class docstring)."""
        sample, flat_inputs, spec, needs = self.flattened(inputs)
        params = self.params_of(sample, flat_inputs, needs)
        return tree_unflatten(self.transform_leaves(flat_inputs, needs, params), spec)

    def transform_leaves(self, flat_inputs, needs: list[bool], params: dict) -> list:
        """The leaves, those marked in ``needs`` through :meth:`transform_leaf` (the one
        path of every forward, so that each rewraps as torchvision's kernels do)."""
        return [
            self.transform_leaf(inpt, params) if need else inpt
            for inpt, need in zip(flat_inputs, needs, strict=True)
        ]

    def refuse_types(self, flat_inputs) -> None:
        """TypeError for a leaf of ``refused_types``, which would otherwise pass through
        untransformed (boxes left where the image moved away from them)."""
        for inpt in flat_inputs:
            if isinstance(inpt, self.refused_types):
                # torchvision's message (the automatic augmentations' check)
                msg = (
                    f"Inputs of type {type(inpt).__name__} are not supported by "
                    f"{type(self).__name__}()"
                )
                raise TypeError(msg)

    def transform_leaf(self, inpt, params: dict):
        """:meth:`transform`; for xpnet's own transforms (``rewraps``), its output for an
        Image or a Mask wrapped back into its class, as torchvision's kernels wrap theirs."""
        output = self.transform(inpt, params)
        if self.rewraps and isinstance(inpt, (Image, Mask, Video)) and type(output) is Tensor:
            return wrap(output, like=inpt)
        return output

    def check_inputs(self, flat_inputs) -> None:
        """Refuse a sample before anything is drawn (no check by default)."""

    def params_of(self, sample, flat_inputs, needs: list[bool]) -> dict:
        """The parameters of one call: :meth:`make_params` of the leaves to transform.

        A subclass that finds more in the sample (MixUp's labels) overrides this, and may
        mark more leaves in ``needs``.
        """
        chosen = [inpt for inpt, need in zip(flat_inputs, needs, strict=True) if need]
        return self.make_params(chosen)

    def make_params(self, flat_inputs) -> dict:
        """The random parameters of one call, shared by every leaf it transforms."""
        return {}

    def transform(self, inpt, params: dict):
        """One leaf, transformed with ``params``."""
        raise NotImplementedError

    def extra_repr(self) -> str:
        """torchvision v2's: ``name=value`` for each of :meth:`repr_fields` whose value is a
        bool, number, string, tuple, list or enum (not None, dtypes, arrays, callables)."""
        shown = (bool, int, float, str, tuple, list, enum.Enum)
        return ", ".join(
            f"{name}={value}"
            for name, value in self.repr_fields()
            if not name.startswith("_") and isinstance(value, shown)
        )

    def repr_fields(self):
        """``(name, value)`` of the attributes, as torchvision v2's transform of that name
        stores them, in the order it sets them: ``vars(self)``'s items (``interpolation`` and
        ``format`` as given) unless a class stores its arguments otherwise."""
        return [(name, as_given(self, name, value)) for name, value in vars(self).items()]

    def __new__(cls, *args, **kwargs):
        # torchvision v2 keeps ``interpolation`` and a box ``format`` as they were given (a
        # string, an enum, an int) and prints them so; xpnet converts them: keep the given
        self = super().__new__(cls)
        try:
            arguments = _signature(cls).bind_partial(None, *args, **kwargs).arguments
        except TypeError:  # __init__ raises the caller's error
            return self
        self._given = {name: arguments[name] for name in _KEPT_AS_GIVEN if name in arguments}
        return self

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.extra_repr()})"


_KEPT_AS_GIVEN = ("interpolation", "format")


def as_given(transform, name, value):
    """Attribute ``name`` (``value``) of ``transform`` as torchvision v2 stores it: as its
    caller gave it for :data:`_KEPT_AS_GIVEN`, an interpolation mode not given as the default
    that torchvision's signatures give, its string (``"bilinear"``); else ``value``."""
    given = transform.__dict__.get("_given", {})
    if name in given:
        return given[name]
    return value.value if isinstance(value, InterpolationMode) else value


@functools.cache
def _signature(cls) -> inspect.Signature:
    return inspect.signature(cls.__init__)  # not cls's: that would be __new__'s
