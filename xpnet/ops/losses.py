"""torchvision's detection losses (``torchvision.ops.giou_loss``, ``diou_loss``, ``ciou_loss``,
``focal_loss``) on xpnet Tensors, differentiable, with torchvision's values, gradients and
messages.
"""

from __future__ import annotations

import math

from .. import float32, float64, maximum, minimum, no_grad, zeros_like
from ..nn import functional as F

__all__ = [
    "complete_box_iou_loss",
    "distance_box_iou_loss",
    "generalized_box_iou_loss",
    "sigmoid_focal_loss",
]


def _upcast_non_float(t):
    return t if t.dtype in (float32, float64) else t.float()


def _reduce(loss, reduction, empty_mean_is_zero=True):
    """torchvision's reduction; its box losses average an empty batch to 0, not NaN."""
    if reduction == "none":
        return loss
    if reduction == "mean":
        if empty_mean_is_zero and loss.numel() == 0:
            return 0.0 * loss.sum()
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    raise ValueError(
        f"Invalid Value for arg 'reduction': '{reduction} \n "
        "Supported reduction modes: 'none', 'mean', 'sum'"
    )


def _inter_union(boxes1, boxes2):
    """Element-wise intersection and union (torchvision's ``_loss_inter_union``)."""
    x1, y1, x2, y2 = boxes1.unbind(dim=-1)
    x1g, y1g, x2g, y2g = boxes2.unbind(dim=-1)
    xkis1, ykis1 = maximum(x1, x1g), maximum(y1, y1g)
    xkis2, ykis2 = minimum(x2, x2g), minimum(y2, y2g)
    intsctk = zeros_like(x1)
    mask = (ykis2 > ykis1) & (xkis2 > xkis1)
    intsctk[mask] = (xkis2[mask] - xkis1[mask]) * (ykis2[mask] - ykis1[mask])
    unionk = (x2 - x1) * (y2 - y1) + (x2g - x1g) * (y2g - y1g) - intsctk
    return intsctk, unionk


def _enclosing_corners(boxes1, boxes2):
    x1, y1, x2, y2 = boxes1.unbind(dim=-1)
    x1g, y1g, x2g, y2g = boxes2.unbind(dim=-1)
    return minimum(x1, x1g), minimum(y1, y1g), maximum(x2, x2g), maximum(y2, y2g)


def generalized_box_iou_loss(boxes1, boxes2, reduction="none", eps=1e-7):
    """``1 - GIoU`` of matching ``(x1, y1, x2, y2)`` boxes ``[..., 4]``.

    Args:
        boxes1: predicted boxes.
        boxes2: target boxes, the same shape.
        reduction: ``'none'``, ``'mean'`` (0 for no boxes) or ``'sum'``.
        eps: added to denominators.

    Example:
        >>> import xpnet
        >>> from xpnet.ops import generalized_box_iou_loss
        >>> boxes = xpnet.tensor([[0.0, 0.0, 1.0, 1.0]])
        >>> generalized_box_iou_loss(boxes, xpnet.tensor([[2.0, 0.0, 3.0, 1.0]]))
        tensor([1.3333])
    """
    boxes1, boxes2 = _upcast_non_float(boxes1), _upcast_non_float(boxes2)
    intsctk, unionk = _inter_union(boxes1, boxes2)
    iouk = intsctk / (unionk + eps)
    xc1, yc1, xc2, yc2 = _enclosing_corners(boxes1, boxes2)
    area_c = (xc2 - xc1) * (yc2 - yc1)
    miouk = iouk - ((area_c - unionk) / (area_c + eps))
    return _reduce(1 - miouk, reduction)


def _diou_iou_loss(boxes1, boxes2, eps=1e-7):
    intsct, union = _inter_union(boxes1, boxes2)
    iou = intsct / (union + eps)
    xc1, yc1, xc2, yc2 = _enclosing_corners(boxes1, boxes2)
    diagonal_distance_squared = ((xc2 - xc1) ** 2) + ((yc2 - yc1) ** 2) + eps
    x1, y1, x2, y2 = boxes1.unbind(dim=-1)
    x1g, y1g, x2g, y2g = boxes2.unbind(dim=-1)
    dx = (x2 + x1) / 2 - (x1g + x2g) / 2
    dy = (y2 + y1) / 2 - (y1g + y2g) / 2
    return 1 - iou + ((dx**2) + (dy**2)) / diagonal_distance_squared, iou


def distance_box_iou_loss(boxes1, boxes2, reduction="none", eps=1e-7):
    """``1 - DIoU`` of matching ``(x1, y1, x2, y2)`` boxes ``[..., 4]`` (arguments as
    :func:`generalized_box_iou_loss`).

    Example:
        >>> import xpnet
        >>> from xpnet.ops import distance_box_iou_loss
        >>> boxes = xpnet.tensor([[0.0, 0.0, 1.0, 1.0]])
        >>> distance_box_iou_loss(boxes, xpnet.tensor([[1.0, 0.0, 2.0, 1.0]]))
        tensor([1.2000])
    """
    boxes1, boxes2 = _upcast_non_float(boxes1), _upcast_non_float(boxes2)
    loss, _ = _diou_iou_loss(boxes1, boxes2, eps)
    return _reduce(loss, reduction)


def complete_box_iou_loss(boxes1, boxes2, reduction="none", eps=1e-7):
    """``1 - CIoU`` of matching ``(x1, y1, x2, y2)`` boxes ``[..., 4]`` (arguments as
    :func:`generalized_box_iou_loss`). As torchvision's, its DIoU part uses the default
    ``eps=1e-7`` whatever ``eps`` is, and ``alpha`` is a constant to autograd.

    Example:
        >>> import xpnet
        >>> from xpnet.ops import complete_box_iou_loss
        >>> boxes = xpnet.tensor([[0.0, 0.0, 1.0, 1.0]])
        >>> complete_box_iou_loss(boxes, boxes)
        tensor([0.])
    """
    boxes1, boxes2 = _upcast_non_float(boxes1), _upcast_non_float(boxes2)
    diou_loss, iou = _diou_iou_loss(boxes1, boxes2)
    x1, y1, x2, y2 = boxes1.unbind(dim=-1)
    x1g, y1g, x2g, y2g = boxes2.unbind(dim=-1)
    w_pred, h_pred, w_gt, h_gt = x2 - x1, y2 - y1, x2g - x1g, y2g - y1g
    v = (4 / (math.pi**2)) * ((w_gt / h_gt).atan() - (w_pred / h_pred).atan()) ** 2
    with no_grad():
        alpha = v / (1 - iou + v + eps)
    return _reduce(diou_loss + alpha * v, reduction)


def sigmoid_focal_loss(inputs, targets, alpha=0.25, gamma=2, reduction="none"):
    """The focal loss of RetinaNet (``torchvision.ops.sigmoid_focal_loss``).

    Args:
        inputs: logits of any shape.
        targets: binary targets, the same shape.
        alpha: weight of the positives in ``[0, 1]``, or ``-1`` for none.
        gamma: the focusing exponent.
        reduction: ``'none'``, ``'mean'`` or ``'sum'``.

    Example:
        >>> import xpnet
        >>> from xpnet.ops import sigmoid_focal_loss
        >>> sigmoid_focal_loss(xpnet.tensor([0.0, 2.0]), xpnet.tensor([1.0, 0.0]))
        tensor([0.0433, 1.2376])
    """
    if not (0 <= alpha <= 1) and alpha != -1:
        raise ValueError(
            f"Invalid alpha value: {alpha}. alpha must be in the range [0,1] or -1 for ignore."
        )
    p = inputs.sigmoid()
    ce_loss = F.binary_cross_entropy_with_logits(inputs, targets, reduction="none")
    p_t = p * targets + (1 - p) * (1 - targets)
    loss = ce_loss * ((1 - p_t) ** gamma)
    if alpha >= 0:
        loss = (alpha * targets + (1 - alpha) * (1 - targets)) * loss
    return _reduce(loss, reduction, empty_mean_is_zero=False)
