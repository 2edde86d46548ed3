"""torchvision v2's batch transforms :class:`MixUp` and :class:`CutMix`.

They take a batch after the :class:`~xpnet.data.DataLoader` (images ``(N, C, H, W)``, integer
labels ``(N,)`` or soft labels ``(N, num_classes)``) and return mixed images with soft labels
``(N, num_classes)``, with torchvision's formulas: ``lam ~ Beta(alpha, alpha)``, each image
paired with the one before it (``roll(1, 0)``); CutMix pastes a box of half-sides
``int(0.5 * sqrt(1 - lam) * W)`` and ``... * H`` around a uniform centre (clipped to the
image) and mixes the labels with ``lam = 1 - box area / image area``. The draws (``lam``,
then CutMix's centre x and y) come from xpnet's host generator (:func:`xpnet.manual_seed`),
not torch's. The arrays stay on their backend (NumPy, strict or CuPy): Tensors in, Tensors
out; NumPy arrays in, arrays out.

Example:
    >>> import xpnet
    >>> from xpnet.data.transforms import v2
    >>> images, labels = xpnet.rand(4, 3, 8, 8), xpnet.tensor([0, 1, 2, 1])
    >>> mixed, soft = v2.MixUp(num_classes=3)(images, labels)
    >>> mixed.shape, soft.shape, soft.dtype, soft.sum(1).tolist()
    ((4, 3, 8, 8), (4, 3), dtype('float32'), [1.0, 1.0, 1.0, 1.0])
"""

from __future__ import annotations

import collections.abc
import math

from .._random import host_generator
from ..autograd import Tensor
from ..backends import backend_of
from ..kernels import one_hot
from .transforms_pil import is_pil_image
from .transforms_v2_base import Transform, has_any, is_pure_tensor
from .tv_tensors import BoundingBoxes, Image, KeyPoints, Mask, Video

__all__ = ["CutMix", "MixUp", "MixUpCutMix", "find_labels", "parse_labels_getter"]


def find_labels(inputs):
    """torchvision's default ``labels_getter``: the second item of a tuple or list sample,
    or the ``labels`` (else first ``*label*``, any case) entry of a dict (or of that item).

    Raises:
        ValueError: if neither is found.

    Example:
        >>> find_labels({"image": 0, "Labels": 1})
        1
    """
    if isinstance(inputs, (tuple, list)):
        inputs = inputs[1]
    if is_pure_tensor(inputs):  # MixUp, CutMix: (images, labels)
        return inputs
    if not isinstance(inputs, collections.abc.Mapping):
        msg = (
            "When using the default labels_getter, the input passed to forward must be a "
            "dictionary or a two-tuple whose second item is a dictionary or a tensor, but got "
            f"{inputs} instead."
        )
        raise ValueError(msg)
    keys = [key for key in inputs if key.lower() == "labels"]
    keys = keys or [key for key in inputs if "label" in key.lower()]
    if not keys:
        msg = (
            "Could not infer where the labels are in the sample. Try passing a callable as the "
            "labels_getter parameter?If there are no labels in the sample by design, pass "
            "labels_getter=None."
        )
        raise ValueError(msg)
    return inputs[keys[0]]


def parse_labels_getter(labels_getter):
    """``labels_getter`` as a function of the sample: ``"default"`` is :func:`find_labels`,
    ``None`` finds none, a callable is itself.

    Raises:
        ValueError: for anything else.
    """
    if isinstance(labels_getter, str) and labels_getter == "default":
        return find_labels
    if callable(labels_getter):
        return labels_getter
    if labels_getter is None:
        return lambda _: None
    msg = f"labels_getter should either be 'default', a callable, or None, but got {labels_getter}."
    raise ValueError(msg)


def array_of(inpt):
    """The backend array of a Tensor, or the array itself."""
    return inpt.array if isinstance(inpt, Tensor) else inpt


def like(inpt, array):
    """``array`` as the kind ``inpt`` is: an Image, a Tensor or a bare array."""
    if isinstance(inpt, (Image, Video)):
        return type(inpt)(array)
    return Tensor(array) if isinstance(inpt, Tensor) else array


def is_batch(inpt) -> bool:
    """Whether ``inpt`` is the images to mix: a pure tensor, an Image or a Video, as
    torchvision's."""
    return is_pure_tensor(inpt) or isinstance(inpt, (Image, Video))


class MixUpCutMix(Transform):
    """What MixUp and CutMix share: the arguments, the label checks, the label mixing.

    Args:
        alpha: both parameters of the Beta distribution of ``lam``. Default: 1.0.
        num_classes: the number of classes, for integer labels. Default: ``None`` (soft
            labels only).
        labels_getter: how to find the labels in the sample (see :func:`find_labels`).

    Raises:
        ValueError: if ``alpha`` is not positive.
    """

    def __init__(self, *, alpha: float = 1.0, num_classes=None, labels_getter="default") -> None:
        self.alpha = float(alpha)
        if not self.alpha > 0:  # torch's Beta refuses it too
            msg = f"{type(self).__name__}: alpha must be positive, got {alpha}"
            raise ValueError(msg)
        self.num_classes = num_classes
        self._labels_getter = parse_labels_getter(labels_getter)

    def check_inputs(self, flat_inputs) -> None:
        # torchvision's _BaseMixUpCutMix: a box or a mask cannot be mixed with a label
        if has_any(flat_inputs, is_pil_image, BoundingBoxes, Mask, KeyPoints):
            msg = (
                f"{type(self).__name__}() does not support PIL images, bounding boxes, "
                "keypoints and masks."
            )
            raise ValueError(msg)

    def params_of(self, sample, flat_inputs, needs: list[bool]) -> dict:
        labels = self._labels_getter(sample)
        self.check_labels(labels)
        params = {
            "labels": labels,
            "batch_size": labels.shape[0],
            **super().params_of(sample, flat_inputs, needs),
        }
        # the labels are a later pure tensor, passed through by the rule: mix them too
        places = [i for i, inpt in enumerate(flat_inputs) if inpt is labels]
        if not places:
            msg = f"{type(self).__name__}: labels_getter must return a leaf of the sample"
            raise ValueError(msg)
        needs[places[0]] = True
        return params

    def check_labels(self, labels) -> None:
        """torchvision's checks of the labels: (N,) class indices, or (N, num_classes)."""
        if not is_pure_tensor(labels):
            msg = f"The labels must be a tensor, but got {type(labels)} instead."
            raise ValueError(msg)
        if labels.ndim not in (1, 2):
            msg = (
                "labels should be index based with shape (batch_size,) or probability based "
                f"with shape (batch_size, num_classes), but got a tensor of shape "
                f"{tuple(labels.shape)} instead."
            )
            raise ValueError(msg)
        if labels.ndim == 2 and self.num_classes is not None:
            if labels.shape[-1] != self.num_classes:
                msg = (
                    "When passing 2D labels, the number of elements in last dimension must "
                    f"match num_classes: {labels.shape[-1]} != {self.num_classes}. You can "
                    "Leave num_classes to None."
                )
                raise ValueError(msg)
        if labels.ndim == 1 and self.num_classes is None:
            msg = "num_classes must be passed if the labels are index-based (1D)"
            raise ValueError(msg)

    def check_images(self, images, batch_size: int) -> None:
        """A batch of images (4 dimensions) or videos (5), as many as the labels."""
        dims = 5 if isinstance(images, Video) else 4
        if images.ndim != dims:
            msg = (
                f"Expected a batched input with {dims} dims, but got {images.ndim} dimensions "
                "instead."
            )
            raise ValueError(msg)
        if images.shape[0] != batch_size:
            msg = (
                "The batch size of the image or video does not match the batch size of the "
                f"labels: {images.shape[0]} != {batch_size}."
            )
            raise ValueError(msg)

    def mix_labels(self, labels, lam: float):
        """``lam * one_hot(labels) + (1 - lam) * one_hot(labels).roll(1, 0)``, float32."""
        array = array_of(labels)
        xp = backend_of(array, names=("labels",), where=type(self).__name__).xp
        if array.ndim == 1:
            array = one_hot(array, self.num_classes)
        if array.dtype.kind != "f":
            array = array.astype(xp.float32)
        # torchvision's order of operations: label.roll(1, 0).mul_(1 - lam).add_(label.mul(lam))
        return like(labels, xp.roll(array, 1, axis=0) * (1.0 - lam) + array * lam)

    def draw_lam(self) -> float:
        """``lam ~ Beta(alpha, alpha)``, from xpnet's host generator."""
        return float(host_generator().beta(self.alpha, self.alpha))


class MixUp(MixUpCutMix):
    """MixUp (Zhang et al., 2018, arXiv:1710.09412) on a batch of images and their labels.

    ``images * lam + images.roll(1, 0) * (1 - lam)``, and the same mix of the one-hot labels,
    with ``lam ~ Beta(alpha, alpha)`` drawn once per batch. Call it as
    ``MixUp(num_classes=10)(images, labels)``; the batch should be shuffled (each image is
    paired with the one before it).

    Args:
        alpha, num_classes, labels_getter: see :class:`MixUpCutMix`.

    Raises:
        ValueError: when called, for PIL images, images that are not (N, C, H, W), or labels
            of another shape (see :meth:`MixUpCutMix.check_labels`).
        RuntimeError: for integer images (torch cannot mix them in place either).

    Example:
        >>> import xpnet
        >>> images = xpnet.tensor(np.arange(2.0).reshape(2, 1, 1, 1))
        >>> mixed, soft = MixUp(num_classes=2)(images, xpnet.tensor([0, 1]))
        >>> bool(abs(mixed.sum() - 1.0) < 1e-6), soft.shape
        (True, (2, 2))
    """

    def make_params(self, flat_inputs) -> dict:
        return {"lam": self.draw_lam()}

    def transform(self, inpt, params: dict):
        lam = params["lam"]
        if inpt is params["labels"]:
            return self.mix_labels(inpt, lam)
        if not is_batch(inpt):
            return inpt
        self.check_images(inpt, params["batch_size"])
        array = array_of(inpt)
        if array.dtype.kind != "f":
            msg = (
                f"MixUp: images must be floating point, got dtype {array.dtype}; convert "
                "them first, e.g. with ToDtype(xpnet.float32, scale=True)"
            )
            raise RuntimeError(msg)
        xp = backend_of(array, names=("images",), where="MixUp").xp
        return like(inpt, xp.roll(array, 1, axis=0) * (1.0 - lam) + array * lam)


class CutMix(MixUpCutMix):
    """CutMix (Yun et al., 2019, arXiv:1905.04899) on a batch of images and their labels.

    Each image gets the box ``[y1:y2, x1:x2]`` of the image before it (``roll(1, 0)``), the
    box of half-sides ``int(r * W)``, ``int(r * H)``, ``r = 0.5 * sqrt(1 - lam)``, around a
    uniform centre, clipped to the image; the labels are mixed with
    ``lam = 1 - (x2 - x1) * (y2 - y1) / (W * H)``.

    Args:
        alpha, num_classes, labels_getter: see :class:`MixUpCutMix`.

    Raises:
        ValueError: when called, for PIL images, images that are not (N, C, H, W), or labels
            of another shape (see :meth:`MixUpCutMix.check_labels`).

    Example:
        >>> import xpnet
        >>> images = xpnet.tensor(np.stack([np.zeros((1, 4, 4)), np.ones((1, 4, 4))]))
        >>> mixed, soft = CutMix(num_classes=2)(images, xpnet.tensor([0, 1]))
        >>> bool(abs(float(mixed[0].mean()) - float(soft[0, 1])) < 1e-6)
        True
    """

    def make_params(self, flat_inputs) -> dict:
        lam = self.draw_lam()
        sizes = {tuple(inpt.shape[-2:]) for inpt in flat_inputs if is_batch(inpt)}
        if not sizes:
            msg = "CutMix: no image was found in the sample"
            raise TypeError(msg)
        if len(sizes) > 1:
            msg = f"CutMix: found multiple HxW dimensions in the sample: {sorted(sizes)}"
            raise ValueError(msg)
        H, W = sizes.pop()
        r_x = int(host_generator().integers(W))
        r_y = int(host_generator().integers(H))
        r = 0.5 * math.sqrt(1.0 - lam)
        r_w_half, r_h_half = int(r * W), int(r * H)
        x1, y1 = max(r_x - r_w_half, 0), max(r_y - r_h_half, 0)
        x2, y2 = min(r_x + r_w_half, W), min(r_y + r_h_half, H)
        lam_adjusted = float(1.0 - (x2 - x1) * (y2 - y1) / (W * H))
        return {"box": (x1, y1, x2, y2), "lam_adjusted": lam_adjusted}

    def transform(self, inpt, params: dict):
        if inpt is params["labels"]:
            return self.mix_labels(inpt, params["lam_adjusted"])
        if not is_batch(inpt):
            return inpt
        self.check_images(inpt, params["batch_size"])
        x1, y1, x2, y2 = params["box"]
        array = array_of(inpt)
        xp = backend_of(array, names=("images",), where="CutMix").xp
        output = array.copy()
        output[..., y1:y2, x1:x2] = xp.roll(array, 1, axis=0)[..., y1:y2, x1:x2]
        return like(inpt, output)
