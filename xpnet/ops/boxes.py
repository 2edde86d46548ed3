"""torchvision's box operations (``torchvision.ops.boxes``) on xpnet Tensors: format
conversion, areas, the IoU family, clipping, filtering, and boxes around masks.

Every function is written in Tensor operations, so it differentiates where torchvision's does
and runs on every backend. ``nms``, ``batched_nms`` and rotated-box IoU are compiled operators
in torchvision and are not here.
"""

from __future__ import annotations

import math

from .. import float32, float64, int32, int64, no_grad, stack, where
from ._box_convert import (
    box_cxcywh_to_xyxy,
    box_cxcywhr_to_xywhr,
    box_xywh_to_xyxy,
    box_xywhr_to_cxcywhr,
    box_xywhr_to_xyxyxyxy,
    box_xyxy_to_cxcywh,
    box_xyxy_to_xywh,
    box_xyxyxyxy_to_xywhr,
)

__all__ = [
    "box_area",
    "box_convert",
    "box_iou",
    "clip_boxes_to_image",
    "complete_box_iou",
    "distance_box_iou",
    "generalized_box_iou",
    "masks_to_boxes",
    "remove_small_boxes",
    "upcast",
]

BOX_FORMATS = ("xyxy", "xywh", "cxcywh", "xywhr", "cxcywhr", "xyxyxyxy")
AXIS_ALIGNED_FORMATS = ("xyxy", "xywh", "cxcywh")
ROTATED_FORMATS = ("cxcywhr", "xywhr", "xyxyxyxy")

# (in_fmt, out_fmt): the conversions torchvision chains, in its order
_CONVERSIONS = {
    ("xywh", "xyxy"): (box_xywh_to_xyxy,),
    ("cxcywh", "xyxy"): (box_cxcywh_to_xyxy,),
    ("xyxy", "xywh"): (box_xyxy_to_xywh,),
    ("xyxy", "cxcywh"): (box_xyxy_to_cxcywh,),
    ("xywh", "cxcywh"): (box_xywh_to_xyxy, box_xyxy_to_cxcywh),
    ("cxcywh", "xywh"): (box_cxcywh_to_xyxy, box_xyxy_to_xywh),
    ("cxcywhr", "xywhr"): (box_cxcywhr_to_xywhr,),
    ("xywhr", "cxcywhr"): (box_xywhr_to_cxcywhr,),
    ("cxcywhr", "xyxyxyxy"): (box_cxcywhr_to_xywhr, box_xywhr_to_xyxyxyxy),
    ("xyxyxyxy", "cxcywhr"): (box_xyxyxyxy_to_xywhr, box_xywhr_to_cxcywhr),
    ("xywhr", "xyxyxyxy"): (box_xywhr_to_xyxyxyxy,),
    ("xyxyxyxy", "xywhr"): (box_xyxyxyxy_to_xywhr,),
}


def upcast(t):
    """torchvision's ``_upcast``: float16/bfloat16 to float32, small integers to int32, so that
    products of coordinates do not overflow; float32/64 and int32/64 are returned as they are."""
    if t.is_floating_point():
        return t if t.dtype in (float32, float64) else t.float()
    return t if t.dtype in (int32, int64) else t.int()


def box_convert(boxes, in_fmt, out_fmt):
    """Converts boxes from ``in_fmt`` to ``out_fmt`` (``torchvision.ops.box_convert``).

    Args:
        boxes: Tensor ``[..., K]`` (K = 4 for ``'xyxy'``, ``'xywh'``, ``'cxcywh'``; 5 for
            ``'xywhr'``, ``'cxcywhr'``; 8 for ``'xyxyxyxy'``; rotations in degrees).
        in_fmt: the format of ``boxes``.
        out_fmt: the format wanted. Rotated and axis-aligned formats do not convert into
            each other (``NotImplementedError``, as torchvision).

    Returns:
        The converted boxes (a copy when the formats are equal).

    Example:
        >>> import xpnet
        >>> from xpnet.ops import box_convert
        >>> box_convert(xpnet.tensor([[10.0, 20.0, 4.0, 6.0]]), "cxcywh", "xyxy")
        tensor([[ 8., 17., 12., 23.]])
    """
    if in_fmt not in BOX_FORMATS or out_fmt not in BOX_FORMATS:
        raise ValueError(
            f"Unsupported Bounding Box Conversions for given in_fmt {in_fmt} and out_fmt {out_fmt}"
        )
    if in_fmt == out_fmt:
        return boxes.clone()
    steps = _CONVERSIONS.get((in_fmt, out_fmt))
    if steps is None:
        raise NotImplementedError(
            f"Unsupported Bounding Box Conversions for given in_fmt {in_fmt} and out_fmt {out_fmt}"
        )
    for step in steps:
        boxes = step(boxes)
    return boxes


def box_area(boxes, fmt="xyxy"):
    """The areas of boxes ``[..., 4]`` in ``fmt`` (``'xyxy'``, ``'xywh'`` or ``'cxcywh'``).

    Example:
        >>> import xpnet
        >>> from xpnet.ops import box_area
        >>> box_area(xpnet.tensor([[0, 0, 2, 3], [1, 1, 2, 2]]))
        tensor([6, 1])
    """
    if fmt not in AXIS_ALIGNED_FORMATS:
        raise ValueError(f"Unsupported Bounding Box area for given format {fmt}")
    boxes = upcast(boxes)
    if fmt == "xyxy":
        return (boxes[..., 2] - boxes[..., 0]) * (boxes[..., 3] - boxes[..., 1])
    return boxes[..., 2] * boxes[..., 3]


def _corners(boxes, fmt):
    """The top-left and bottom-right corners ``[..., 2]`` of axis-aligned boxes."""
    if fmt == "xyxy":
        return boxes[..., :2], boxes[..., 2:]
    if fmt == "xywh":
        return boxes[..., :2], boxes[..., :2] + boxes[..., 2:]
    return boxes[..., :2] - boxes[..., 2:] / 2, boxes[..., :2] + boxes[..., 2:] / 2


def box_inter_union(boxes1, boxes2, fmt="xyxy"):
    """Pairwise intersections and unions ``[..., N, M]`` (torchvision's ``_box_inter_union``)."""
    area1 = box_area(boxes1, fmt=fmt)
    area2 = box_area(boxes2, fmt=fmt)
    lt1, rb1 = _corners(boxes1[..., None, :], fmt)
    lt2, rb2 = _corners(boxes2[..., None, :, :], fmt)
    wh = upcast(rb1.minimum(rb2) - lt1.maximum(lt2)).clamp(min=0)
    inter = wh[..., 0] * wh[..., 1]
    return inter, area1[..., None] + area2[..., None, :] - inter


def box_iou(boxes1, boxes2, fmt="xyxy"):
    """Pairwise intersection over union ``[..., N, M]`` of boxes ``[..., N, 4]`` and
    ``[..., M, 4]`` in an axis-aligned ``fmt``. Rotated formats need torchvision's compiled
    ``box_iou_rotated`` and raise ``NotImplementedError`` here.

    Example:
        >>> import xpnet
        >>> from xpnet.ops import box_iou
        >>> box_iou(xpnet.tensor([[0.0, 0.0, 2.0, 2.0]]), xpnet.tensor([[1.0, 0.0, 3.0, 2.0]]))
        tensor([[0.3333]])
    """
    if fmt in AXIS_ALIGNED_FORMATS:
        inter, union = box_inter_union(boxes1, boxes2, fmt=fmt)
        return inter / union
    if fmt in ROTATED_FORMATS:
        raise NotImplementedError(
            f"box_iou: fmt={fmt!r} needs torchvision's compiled box_iou_rotated, "
            "which xpnet does not have"
        )
    raise ValueError(
        f"Unsupported format '{fmt}'. "
        f"Supported axis-aligned formats: {AXIS_ALIGNED_FORMATS}. "
        f"Supported rotated formats: {ROTATED_FORMATS}."
    )


def _enclosing_wh(boxes1, boxes2):
    """Width and height ``[..., N, M, 2]`` of the smallest box enclosing each pair."""
    lti = boxes1[..., None, :2].minimum(boxes2[..., None, :, :2])
    rbi = boxes1[..., None, 2:].maximum(boxes2[..., None, :, 2:])
    return upcast(rbi - lti).clamp(min=0)


def generalized_box_iou(boxes1, boxes2):
    """Pairwise generalized IoU ``[..., N, M]`` of ``(x1, y1, x2, y2)`` boxes.

    Example:
        >>> import xpnet
        >>> from xpnet.ops import generalized_box_iou
        >>> boxes = xpnet.tensor([[0.0, 0.0, 1.0, 1.0]])
        >>> generalized_box_iou(boxes, xpnet.tensor([[2.0, 0.0, 3.0, 1.0]]))
        tensor([[-0.3333]])
    """
    inter, union = box_inter_union(boxes1, boxes2)
    whi = _enclosing_wh(boxes1, boxes2)
    areai = whi[..., 0] * whi[..., 1]
    return inter / union - (areai - union) / areai


def _box_diou_iou(boxes1, boxes2, eps):
    iou = box_iou(boxes1, boxes2)
    whi = _enclosing_wh(boxes1, boxes2)
    diagonal_distance_squared = (whi[..., 0] ** 2) + (whi[..., 1] ** 2) + eps
    x_p = (boxes1[..., 0] + boxes1[..., 2]) / 2
    y_p = (boxes1[..., 1] + boxes1[..., 3]) / 2
    x_g = (boxes2[..., 0] + boxes2[..., 2]) / 2
    y_g = (boxes2[..., 1] + boxes2[..., 3]) / 2
    dx = upcast(x_p[..., None] - x_g[..., None, :])
    dy = upcast(y_p[..., None] - y_g[..., None, :])
    return iou - (dx**2 + dy**2) / diagonal_distance_squared, iou


def distance_box_iou(boxes1, boxes2, eps=1e-7):
    """Pairwise distance IoU ``[..., N, M]`` of ``(x1, y1, x2, y2)`` boxes.

    Example:
        >>> import xpnet
        >>> from xpnet.ops import distance_box_iou
        >>> boxes = xpnet.tensor([[0.0, 0.0, 1.0, 1.0]])
        >>> distance_box_iou(boxes, boxes)
        tensor([[1.]])
    """
    diou, _ = _box_diou_iou(upcast(boxes1), upcast(boxes2), eps)
    return diou


def complete_box_iou(boxes1, boxes2, eps=1e-7):
    """Pairwise complete IoU ``[..., N, M]`` of ``(x1, y1, x2, y2)`` boxes; the aspect-ratio
    weight ``alpha`` is a constant to autograd, as torchvision's.

    Example:
        >>> import xpnet
        >>> from xpnet.ops import complete_box_iou
        >>> boxes = xpnet.tensor([[0.0, 0.0, 2.0, 1.0]])
        >>> complete_box_iou(boxes, boxes)
        tensor([[1.]])
    """
    boxes1, boxes2 = upcast(boxes1), upcast(boxes2)
    diou, iou = _box_diou_iou(boxes1, boxes2, eps)
    w_pred = boxes1[..., None, 2] - boxes1[..., None, 0]
    h_pred = boxes1[..., None, 3] - boxes1[..., None, 1]
    w_gt = boxes2[..., None, :, 2] - boxes2[..., None, :, 0]
    h_gt = boxes2[..., None, :, 3] - boxes2[..., None, :, 1]
    v = (4 / (math.pi**2)) * ((w_pred / h_pred).atan() - (w_gt / h_gt).atan()) ** 2
    with no_grad():
        alpha = v / (1 - iou + v + eps)
    return diou - alpha * v


def clip_boxes_to_image(boxes, size):
    """Clips ``(x1, y1, x2, y2)`` boxes ``[..., 4]`` to an image of ``size = (height, width)``.

    Example:
        >>> import xpnet
        >>> from xpnet.ops import clip_boxes_to_image
        >>> clip_boxes_to_image(xpnet.tensor([[-1.0, 2.0, 9.0, 3.0]]), (4, 5))
        tensor([[0., 2., 5., 3.]])
    """
    height, width = size
    boxes_x = boxes[..., 0::2].clamp(min=0, max=width)
    boxes_y = boxes[..., 1::2].clamp(min=0, max=height)
    return stack((boxes_x, boxes_y), dim=boxes.dim()).reshape(boxes.shape)


def remove_small_boxes(boxes, min_size):
    """The int64 indices of the boxes whose sides are both at least ``min_size``.

    Example:
        >>> import xpnet
        >>> from xpnet.ops import remove_small_boxes
        >>> remove_small_boxes(xpnet.tensor([[0.0, 0.0, 1.0, 5.0], [0.0, 0.0, 3.0, 3.0]]), 2.0)
        tensor([1])
    """
    ws, hs = boxes[..., 2] - boxes[..., 0], boxes[..., 3] - boxes[..., 1]
    return where((ws >= min_size) & (hs >= min_size))[0]


def masks_to_boxes(masks):
    """The float32 ``(x1, y1, x2, y2)`` boxes ``[N, 4]`` around masks ``[N, H, W]`` (inclusive
    pixel coordinates; ``[0, 0, 0, 0]`` for an empty mask).

    Example:
        >>> import xpnet
        >>> from xpnet.ops import masks_to_boxes
        >>> masks_to_boxes(xpnet.tensor([[[0, 0, 0], [0, 1, 1]]]))
        tensor([[1., 1., 2., 1.]])
    """
    if masks.numel() == 0:
        return masks.new_zeros((0, 4), dtype=float32)
    _, h, w = masks.shape
    non_zero_rows = masks.bool().any(dim=2)
    non_zero_cols = masks.bool().any(dim=1)
    empty_masks = ~non_zero_rows.any(dim=1)
    rows, cols = non_zero_rows.float(), non_zero_cols.float()
    y1, x1 = rows.argmax(dim=1), cols.argmax(dim=1)
    y2 = (h - 1) - rows.flip([1]).argmax(dim=1)
    x2 = (w - 1) - cols.flip([1]).argmax(dim=1)
    bounding_boxes = stack([x1, y1, x2, y2], dim=1).float()
    bounding_boxes[empty_masks] = 0
    return bounding_boxes
