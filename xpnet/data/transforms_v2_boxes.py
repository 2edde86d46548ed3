"""torchvision v2's box transforms: :class:`ConvertBoundingBoxFormat`,
:class:`ClampBoundingBoxes`, :class:`SanitizeBoundingBoxes` and :class:`RandomIoUCrop`.

The first three act on the :class:`~xpnet.data.tv_tensors.BoundingBoxes` of a sample (and,
for ``SanitizeBoundingBoxes``, on its masks and labels), images pass through;
``RandomIoUCrop`` crops the whole sample.

Example:
    >>> from xpnet.data import tv_tensors
    >>> boxes = tv_tensors.BoundingBoxes([[0, 0, 4, 4], [2, 2, 2, 5]], format="XYXY",
    ...                                  canvas_size=(8, 8))
    >>> out = SanitizeBoundingBoxes()({"boxes": boxes, "labels": np.array([3, 7])})
    >>> out["boxes"].tolist(), out["labels"].tolist()
    ([[0, 0, 4, 4]], [3])
"""

from __future__ import annotations

import numpy

from .._random import host_generator
from ..autograd import Tensor
from ..backends import backend_of
from ..func._pytree import tree_flatten, tree_unflatten
from . import tv_tensors_geometry as G
from .transforms_pil import is_pil_image
from .transforms_v2_base import BOX_MASK_TYPES, IMAGE_TYPES, Transform, has_any, is_pure_tensor
from .transforms_v2_draws import LockedTransform
from .transforms_v2_mix import parse_labels_getter
from .tv_tensors import (
    BoundingBoxes,
    BoundingBoxFormat,
    Image,
    Mask,
    box_format,
    checked_clamping_mode,
    clamp_bounding_boxes,
    convert_bounding_box_format,
    convert_format_array,
    wrap,
)

__all__ = [
    "ClampBoundingBoxes",
    "ConvertBoundingBoxFormat",
    "RandomIoUCrop",
    "SanitizeBoundingBoxes",
    "SetClampingMode",
    "box_iou",
]


class ConvertBoundingBoxFormat(Transform):
    """The sample's boxes in ``format`` (see
    :func:`~xpnet.data.tv_tensors.convert_bounding_box_format`).

    Args:
        format: a :class:`~xpnet.data.tv_tensors.BoundingBoxFormat` or its name.

    Raises:
        ValueError: for an unknown format.

    Example:
        >>> boxes = BoundingBoxes([1, 2, 3, 4], format="XYWH", canvas_size=(8, 8))
        >>> ConvertBoundingBoxFormat("XYXY")(boxes).tolist()
        [[1, 2, 4, 6]]
    """

    transformed_types = (BoundingBoxes,)

    def __init__(self, format) -> None:
        self.format = box_format(format)

    def transform(self, inpt, params: dict):
        return convert_bounding_box_format(inpt, new_format=self.format)


class ClampBoundingBoxes(Transform):
    """The sample's boxes clamped to their canvas (see
    :func:`~xpnet.data.tv_tensors.clamp_bounding_boxes`); ``clamping_mode="auto"`` (the
    default) takes each box's own.

    Example:
        >>> boxes = BoundingBoxes([-1, 2, 9, 4], format="XYXY", canvas_size=(8, 8))
        >>> ClampBoundingBoxes()(boxes).tolist()
        [[0, 2, 8, 4]]
    """

    transformed_types = (BoundingBoxes,)

    def __init__(self, clamping_mode="auto") -> None:
        self.clamping_mode = clamping_mode

    def transform(self, inpt, params: dict):
        return clamp_bounding_boxes(inpt, clamping_mode=self.clamping_mode)


class SetClampingMode(Transform):
    """The sample's boxes with ``clamping_mode`` (``"soft"``, ``"hard"`` or ``None``) for the
    transforms after this one (torchvision v2's ``SetClampingMode``).

    Raises:
        ValueError: for another ``clamping_mode``.

    Example:
        >>> boxes = BoundingBoxes([-1, 2, 9, 4], format="XYXY", canvas_size=(8, 8))
        >>> SetClampingMode(None)(boxes).clamping_mode is None
        True
    """

    transformed_types = (BoundingBoxes,)

    def __init__(self, clamping_mode) -> None:
        self.clamping_mode = checked_clamping_mode(clamping_mode, "soft, hard or None", "")

    def transform(self, inpt, params: dict):
        return wrap(inpt.array.copy(), like=inpt, clamping_mode=self.clamping_mode)


def sanitize_mask(boxes: BoundingBoxes, min_size: float, min_area: float):
    """torchvision's ``_get_sanitize_bounding_boxes_mask``: the boxes at least ``min_size``
    wide and high, of area at least ``min_area``, inside the canvas."""
    xyxy = convert_format_array(boxes.array, boxes.format, BoundingBoxFormat.XYXY)
    widths, heights = xyxy[:, 2] - xyxy[:, 0], xyxy[:, 3] - xyxy[:, 1]
    valid = (widths >= min_size) & (heights >= min_size) & (widths * heights >= min_area)
    valid &= (xyxy >= 0).all(axis=-1)
    height, width = boxes.canvas_size
    valid &= (xyxy[:, 0] <= width) & (xyxy[:, 2] <= width)
    return valid & (xyxy[:, 1] <= height) & (xyxy[:, 3] <= height)


def labels_tuple(labels) -> tuple:
    """The labels a getter found, as a tuple of tensors (torchvision's check)."""
    msg = "SanitizeBoundingBoxes: the labels must be a tensor or None, got {} instead."
    if isinstance(labels, (Tensor, numpy.ndarray)):
        return (labels,)
    if not isinstance(labels, (tuple, list)):
        raise ValueError(msg.format(type(labels)))
    for entry in labels:
        if not isinstance(entry, (Tensor, numpy.ndarray)):
            raise ValueError(msg.format(type(entry)))
    return tuple(labels)


def sample_and_labels(inputs, labels_getter):
    """A sanitizing transform's call on ``inputs``: the flattened sample, its spec, and the
    labels ``labels_getter`` finds in it (a tuple of tensors, see :func:`labels_tuple`)."""
    sample = inputs if len(inputs) > 1 else inputs[0]
    labels = labels_getter(sample)
    labels = () if labels is None else labels_tuple(labels)
    flat_inputs, spec = tree_flatten(sample)
    return flat_inputs, spec, labels


def kept(inpt, valid):
    """The rows of ``inpt`` where ``valid`` (a boolean array, moved to ``inpt``'s backend)."""
    array = inpt.array if isinstance(inpt, Tensor) else inpt
    backend = backend_of(array)
    if backend is not backend_of(valid):
        valid = backend.asarray(backend_of(valid).to_host(valid))
    output = array[valid]
    if isinstance(inpt, (BoundingBoxes, Mask)):
        return wrap(output, like=inpt)
    return Tensor(output) if isinstance(inpt, Tensor) else output


class SanitizeBoundingBoxes(Transform):
    """Remove the degenerate boxes of a sample, and their labels and masks (torchvision v2's
    ``SanitizeBoundingBoxes``, after ``RandomIoUCrop`` or crops that clamp boxes away).

    A box is kept if its width and height are at least ``min_size``, its area at least
    ``min_area``, and it lies in its canvas. Its labels (found by ``labels_getter``) and
    every :class:`~xpnet.data.tv_tensors.Mask` of the sample (one per box) keep the same rows.

    Args:
        min_size: the smallest width and height, ``>= 1``. Default: 1.0.
        min_area: the smallest area, ``>= 1``. Default: 1.0.
        labels_getter: ``"default"`` (the ``labels`` entry of a dict sample, or of the dict
            second in a tuple), a callable of the sample, or ``None`` (no labels).

    Raises:
        ValueError: for ``min_size`` or ``min_area`` below 1, a bad ``labels_getter``; when
            called, a sample without boxes, labels that are no tensors, or labels of another
            length than the boxes.
    """

    def __init__(self, min_size: float = 1.0, min_area: float = 1.0, labels_getter="default"):
        if min_size < 1:
            msg = f"SanitizeBoundingBoxes: min_size must be >= 1, got {min_size}."
            raise ValueError(msg)
        if min_area < 1:
            msg = f"SanitizeBoundingBoxes: min_area must be >= 1, got {min_area}."
            raise ValueError(msg)
        self.min_size, self.min_area = min_size, min_area
        self.labels_getter = labels_getter
        self._labels_getter = parse_labels_getter(labels_getter)

    def forward(self, *inputs):
        flat_inputs, spec, labels = sample_and_labels(inputs, self._labels_getter)
        boxes = [inpt for inpt in flat_inputs if isinstance(inpt, BoundingBoxes)]
        if len(boxes) != 1:
            found = "No bounding boxes were" if not boxes else "Found multiple bounding boxes"
            msg = f"SanitizeBoundingBoxes: {found} found in the sample (one is needed)"
            raise ValueError(msg)
        for label in labels:
            if label.shape[0] != boxes[0].shape[0]:
                msg = (
                    f"Number of boxes (shape={tuple(boxes[0].shape)}) must match the number of "
                    f"labels. Found labels with shape={tuple(label.shape)})."
                )
                raise ValueError(msg)
        params = {"valid": sanitize_mask(boxes[0], self.min_size, self.min_area), "labels": labels}
        return tree_unflatten([self.transform(inpt, params) for inpt in flat_inputs], spec)

    def transform(self, inpt, params: dict):
        is_label = any(inpt is label for label in params["labels"])
        if is_label or isinstance(inpt, (BoundingBoxes, Mask)):
            return kept(inpt, params["valid"])
        return inpt


def box_iou(boxes, box) -> numpy.ndarray:
    """torchvision.ops' ``box_iou`` of XYXY ``boxes`` (N, 4) with one XYXY ``box`` (4,).

    Example:
        >>> box_iou(np.array([[0.0, 0, 2, 2]]), np.array([1.0, 0, 3, 2])).tolist()
        [0.3333333333333333]
    """
    area = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    box_area = (box[2] - box[0]) * (box[3] - box[1])
    width = (numpy.minimum(boxes[:, 2], box[2]) - numpy.maximum(boxes[:, 0], box[0])).clip(0)
    height = (numpy.minimum(boxes[:, 3], box[3]) - numpy.maximum(boxes[:, 1], box[1])).clip(0)
    inter = width * height
    return inter / (area + box_area - inter)


class RandomIoUCrop(LockedTransform):
    """SSD's random crop (`Liu et al., 2016 <https://arxiv.org/abs/1512.02325>`_), torchvision
    v2's ``RandomIoUCrop``: a crop that overlaps some box by at least a drawn IoU.

    Each call draws a minimum IoU from ``sampler_options`` (1.0 or more: no crop), then up
    to ``trials`` crops of scales in ``[min_scale, max_scale]`` per side and an aspect ratio
    in ``[min_aspect_ratio, max_aspect_ratio]``, keeping the first that holds the centre of
    a box whose IoU with it reaches the minimum (draws as torchvision's, float32, from the
    host generator; if none does, it draws a new minimum). Every leaf is cropped; the boxes
    whose centre is outside the crop become zeros, for :class:`SanitizeBoundingBoxes`.

    Raises:
        TypeError: when called on a sample without bounding boxes or without an image.

    Example:
        >>> from xpnet.data.tv_tensors import BoundingBoxes
        >>> boxes = BoundingBoxes([[0, 0, 8, 8]], format="XYXY", canvas_size=(8, 8))
        >>> image, out = RandomIoUCrop(sampler_options=[2.0])(np.zeros((1, 8, 8)), boxes)
        >>> image.shape, out.tolist()
        ((1, 8, 8), [[0, 0, 8, 8]])
    """

    transformed_types = IMAGE_TYPES + BOX_MASK_TYPES

    def __init__(
        self,
        min_scale: float = 0.3,
        max_scale: float = 1.0,
        min_aspect_ratio: float = 0.5,
        max_aspect_ratio: float = 2.0,
        sampler_options=None,
        trials: int = 40,
    ) -> None:
        self.min_scale, self.max_scale = min_scale, max_scale
        self.min_aspect_ratio, self.max_aspect_ratio = min_aspect_ratio, max_aspect_ratio
        options = [0.0, 0.1, 0.3, 0.5, 0.7, 0.9, 1.0]
        self.options = options if sampler_options is None else sampler_options
        self.trials = trials

    def check_inputs(self, flat_inputs) -> None:
        images = has_any(flat_inputs, is_pil_image, Image, is_pure_tensor)
        if not (has_any(flat_inputs, BoundingBoxes) and images):
            msg = (
                f"{type(self).__name__}() requires input sample to contain tensor or PIL "
                "images and bounding boxes. Sample can also contain masks."
            )
            raise TypeError(msg)

    def make_params(self, flat_inputs) -> dict:
        height, width = G.query_size(flat_inputs)
        boxes = next(inpt for inpt in flat_inputs if isinstance(inpt, BoundingBoxes))
        array = backend_of(boxes.array).to_host(boxes.array)
        xyxy = convert_format_array(array, boxes.format, BoundingBoxFormat.XYXY)
        generator, f32 = host_generator(), numpy.float32
        while True:
            min_iou = self.options[int(generator.integers(0, len(self.options)))]
            if min_iou >= 1.0:  # the "leave as is" option
                return {}
            for _ in range(self.trials):
                r = f32(self.min_scale) + f32(self.max_scale - self.min_scale) * rand32(generator)
                new_w, new_h = int(f32(width) * r[0]), int(f32(height) * r[1])
                if not self.min_aspect_ratio <= new_w / new_h <= self.max_aspect_ratio:
                    continue
                r = rand32(generator)
                left, top = int(f32(width - new_w) * r[0]), int(f32(height - new_h) * r[1])
                right, bottom = left + new_w, top + new_h
                if left == right or top == bottom:
                    continue
                cx, cy = (xyxy[:, 0] + xyxy[:, 2]) * 0.5, (xyxy[:, 1] + xyxy[:, 3]) * 0.5
                inside = (left < cx) & (cx < right) & (top < cy) & (cy < bottom)
                crop = numpy.array([left, top, right, bottom], dtype=xyxy.dtype)
                if inside.any() and box_iou(xyxy[inside], crop).max() >= min_iou:
                    crop = {"top": top, "left": left, "height": new_h, "width": new_w}
                    return {**crop, "inside": inside}

    def transform(self, inpt, params: dict):
        if not params:
            return inpt
        output = G.crop(inpt, params["top"], params["left"], params["height"], params["width"])
        if isinstance(output, BoundingBoxes):  # boxes outside: degenerate, for Sanitize
            array = output.array.copy()
            xp = backend_of(array).xp
            array[xp.asarray(~params["inside"])] = 0
            output = wrap(array, like=output)
        return output


def rand32(generator):
    """``torch.rand(2)``: two uniform float32 draws."""
    return generator.random(2, dtype=numpy.float32)
