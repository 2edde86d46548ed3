"""The box format conversions behind :func:`xpnet.ops.box_convert`, torchvision's
``torchvision/ops/_box_convert.py`` on Tensor operations (so they differentiate and run on every
backend). Rotated boxes of an integer dtype are rounded back to it, as torchvision's are.
"""

from __future__ import annotations

import math

from .. import stack

__all__ = [
    "box_cxcywh_to_xyxy",
    "box_cxcywhr_to_xywhr",
    "box_xywh_to_xyxy",
    "box_xywhr_to_cxcywhr",
    "box_xywhr_to_xyxyxyxy",
    "box_xyxy_to_cxcywh",
    "box_xyxy_to_xywh",
    "box_xyxyxyxy_to_xywhr",
]


def box_cxcywh_to_xyxy(boxes):
    """``(cx, cy, w, h)`` boxes as ``(x1, y1, x2, y2)``."""
    cx, cy, w, h = boxes.unbind(-1)
    return stack((cx - 0.5 * w, cy - 0.5 * h, cx + 0.5 * w, cy + 0.5 * h), dim=-1)


def box_xyxy_to_cxcywh(boxes):
    """``(x1, y1, x2, y2)`` boxes as ``(cx, cy, w, h)``."""
    x1, y1, x2, y2 = boxes.unbind(-1)
    return stack(((x1 + x2) / 2, (y1 + y2) / 2, x2 - x1, y2 - y1), dim=-1)


def box_xywh_to_xyxy(boxes):
    """``(x, y, w, h)`` boxes as ``(x1, y1, x2, y2)``."""
    x, y, w, h = boxes.unbind(-1)
    return stack([x, y, x + w, y + h], dim=-1)


def box_xyxy_to_xywh(boxes):
    """``(x1, y1, x2, y2)`` boxes as ``(x, y, w, h)``."""
    x1, y1, x2, y2 = boxes.unbind(-1)
    return stack((x1, y1, x2 - x1, y2 - y1), dim=-1)


def _cos_sin(r):
    r_rad = r * math.pi / 180.0
    return r_rad.cos(), r_rad.sin()


def _rounded_like(result, boxes):
    # torchvision computes integer rotated boxes in float and rounds them back to their dtype
    if boxes.is_floating_point():
        return result
    return result.round().to(boxes.dtype)


def box_cxcywhr_to_xywhr(boxes):
    """Rotated ``(cx, cy, w, h, r)`` boxes (``r`` in degrees) as ``(x1, y1, w, h, r)``."""
    cx, cy, w, h, r = boxes.unbind(-1)
    cos, sin = _cos_sin(r)
    x1 = cx - w / 2 * cos - h / 2 * sin
    y1 = cy - h / 2 * cos + w / 2 * sin
    return _rounded_like(stack((x1, y1, w, h, r), dim=-1), boxes)


def box_xywhr_to_cxcywhr(boxes):
    """Rotated ``(x1, y1, w, h, r)`` boxes as ``(cx, cy, w, h, r)``."""
    x1, y1, w, h, r = boxes.unbind(-1)
    cos, sin = _cos_sin(r)
    cx = x1 + w / 2 * cos + h / 2 * sin
    cy = y1 - w / 2 * sin + h / 2 * cos
    return _rounded_like(stack([cx, cy, w, h, r], dim=-1), boxes)


def box_xywhr_to_xyxyxyxy(boxes):
    """Rotated ``(x1, y1, w, h, r)`` boxes as their four corners ``(x1, y1, ..., x4, y4)``."""
    x1, y1, w, h, r = boxes.unbind(-1)
    cos, sin = _cos_sin(r)
    x2, y2 = x1 + w * cos, y1 - w * sin
    x3, y3 = x2 + h * sin, y2 + h * cos
    x4, y4 = x1 + h * sin, y1 + h * cos
    return _rounded_like(stack((x1, y1, x2, y2, x3, y3, x4, y4), dim=-1), boxes)


def box_xyxyxyxy_to_xywhr(boxes):
    """Four-corner boxes ``(x1, y1, ..., x4, y4)`` as rotated ``(x1, y1, w, h, r)``."""
    x1, y1, x2, y2, x3, y3, _x4, _y4 = boxes.unbind(-1)
    r = (y1 - y2).atan2(x2 - x1) * 180 / math.pi
    w = ((x2 - x1) ** 2 + (y1 - y2) ** 2).sqrt()
    h = ((x3 - x2) ** 2 + (y3 - y2) ** 2).sqrt()
    return _rounded_like(stack((x1, y1, w, h, r), dim=-1), boxes)
