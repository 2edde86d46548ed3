"""``xpnet.ops``' box operations against torchvision 0.28's ``torchvision.ops`` (the oracle):
values in float64 and the result dtypes of float, half and integer boxes (``_upcast``), the
gradients of the IoU family through ``torch.autograd``, and torchvision's errors.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from _torchvision import import_torchvision

import xpnet
from xpnet import ops

torchvision = import_torchvision()
tv_ops = torchvision.ops


def _tensor(values, requires_grad=False):
    """A Tensor on the backend under test (``xpnet.tensor`` keeps a NumPy array on NumPy)."""
    return xpnet.tensor(xpnet.asarray(values), requires_grad=requires_grad)


def _boxes(rng, n, lead=()):
    """``(x1, y1, x2, y2)`` float64 boxes with positive sides, some overlapping."""
    corner = rng.uniform(0, 10, (*lead, n, 2))
    return np.concatenate([corner, corner + rng.uniform(0.5, 6, (*lead, n, 2))], axis=-1)


def _check(ours, theirs, rtol=1e-12, atol=1e-12):
    theirs = theirs.detach()
    assert str(ours.dtype) == str(theirs.dtype).removeprefix("torch."), (ours.dtype, theirs.dtype)
    np.testing.assert_allclose(xpnet.to_numpy(ours), theirs.numpy(), rtol=rtol, atol=atol)


FORMATS = ["xyxy", "xywh", "cxcywh", "xywhr", "cxcywhr", "xyxyxyxy"]
SIZES = {"xyxy": 4, "xywh": 4, "cxcywh": 4, "xywhr": 5, "cxcywhr": 5, "xyxyxyxy": 8}


@pytest.mark.parametrize("in_fmt", FORMATS)
def test_box_convert_matches_torchvision(backend, in_fmt):
    rng = np.random.default_rng(0)
    boxes = rng.uniform(-5, 20, (2, 3, SIZES[in_fmt]))
    for out_fmt in FORMATS:
        try:
            expected = tv_ops.box_convert(torch.from_numpy(boxes), in_fmt, out_fmt)
        except NotImplementedError as error:
            with pytest.raises(NotImplementedError, match=str(error)):
                ops.box_convert(_tensor(boxes), in_fmt, out_fmt)
            continue
        _check(ops.box_convert(_tensor(boxes), in_fmt, out_fmt), expected, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("dtype", ["int16", "int64"])
def test_box_convert_integer_boxes_as_torchvision(backend, dtype):
    boxes = np.array([[3, 4, 10, 6, 30], [0, 0, 5, 7, -45]], dtype=dtype)
    for in_fmt, out_fmt in [("xywhr", "cxcywhr"), ("cxcywhr", "xywhr"), ("xywhr", "xyxyxyxy")]:
        expected = tv_ops.box_convert(torch.from_numpy(boxes), in_fmt, out_fmt)
        _check(ops.box_convert(_tensor(boxes), in_fmt, out_fmt), expected)
    for in_fmt, out_fmt in [("xyxy", "cxcywh"), ("cxcywh", "xywh"), ("xywh", "xyxy")]:
        expected = tv_ops.box_convert(torch.from_numpy(boxes[:, :4]), in_fmt, out_fmt)
        _check(ops.box_convert(_tensor(boxes[:, :4]), in_fmt, out_fmt), expected)


def test_box_convert_gradient_and_errors(backend):
    boxes = np.array([[1.0, 2.0, 4.0, 6.0], [0.5, 0.0, 2.0, 1.0]])
    weights = np.arange(8.0).reshape(2, 4)
    ours = _tensor(boxes, requires_grad=True)
    theirs = torch.tensor(boxes, requires_grad=True)
    (ops.box_convert(ours, "xywh", "cxcywh") * _tensor(weights)).sum().backward()
    (tv_ops.box_convert(theirs, "xywh", "cxcywh") * torch.from_numpy(weights)).sum().backward()
    _check(ours.grad, theirs.grad)
    with pytest.raises(
        ValueError,
        match="Unsupported Bounding Box Conversions for given in_fmt xyxy and out_fmt xy",
    ):
        ops.box_convert(ours, "xyxy", "xy")
    copy = ops.box_convert(ours, "xyxy", "xyxy")
    assert copy is not ours and np.array_equal(xpnet.to_numpy(copy), boxes)


@pytest.mark.parametrize("dtype", ["float64", "float16", "int16", "int32", "uint8"])
def test_box_area_and_box_iou_dtypes_and_values(backend, dtype):
    rng = np.random.default_rng(1)
    boxes1 = np.round(_boxes(rng, 3, lead=(2,))).astype(dtype)
    boxes2 = np.round(_boxes(rng, 4, lead=(2,))).astype(dtype)
    b1, b2 = torch.from_numpy(boxes1), torch.from_numpy(boxes2)
    for fmt in ("xyxy", "xywh", "cxcywh"):
        tol = 1e-3 if dtype == "float16" else 1e-7
        _check(ops.box_area(_tensor(boxes1), fmt=fmt), tv_ops.box_area(b1, fmt=fmt), rtol=tol)
        expected = tv_ops.box_iou(b1, b2, fmt=fmt)
        _check(
            ops.box_iou(_tensor(boxes1), _tensor(boxes2), fmt=fmt),
            expected,
            rtol=tol,
            atol=tol,
        )


@pytest.mark.parametrize(
    "name", ["box_iou", "generalized_box_iou", "distance_box_iou", "complete_box_iou"]
)
def test_iou_family_values_and_gradients(backend, name):
    rng = np.random.default_rng(2)
    boxes1, boxes2 = _boxes(rng, 3, lead=(2,)), _boxes(rng, 4, lead=(2,))
    boxes2[0, 0] = boxes1[0, 0]  # a perfect match
    boxes2[1, 1] = boxes1[1, 2] + 30.0  # far from all
    weights = rng.uniform(-1, 1, (2, 3, 4))
    ours = [_tensor(b, requires_grad=True) for b in (boxes1, boxes2)]
    theirs = [torch.tensor(b, requires_grad=True) for b in (boxes1, boxes2)]
    result = getattr(ops, name)(*ours)
    expected = getattr(tv_ops, name)(*theirs)
    _check(result, expected, rtol=1e-10, atol=1e-12)
    (result * _tensor(weights)).sum().backward()
    (expected * torch.from_numpy(weights)).sum().backward()
    for mine, reference in zip(ours, theirs, strict=True):
        _check(mine.grad, reference.grad, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("dtype", ["float32", "int64", "int16"])
def test_iou_family_integer_and_float32_boxes(backend, dtype):
    boxes1 = np.array([[0, 0, 4, 4], [2, 1, 7, 9]], dtype=dtype)
    boxes2 = np.array([[1, 1, 5, 3], [0, 0, 4, 4], [10, 10, 12, 13]], dtype=dtype)
    for name in ("generalized_box_iou", "distance_box_iou", "complete_box_iou"):
        expected = getattr(tv_ops, name)(torch.from_numpy(boxes1), torch.from_numpy(boxes2))
        _check(
            getattr(ops, name)(_tensor(boxes1), _tensor(boxes2)),
            expected,
            rtol=1e-6,
            atol=1e-6,
        )


def test_box_area_and_box_iou_errors(backend):
    boxes = _tensor([[0.0, 0.0, 1.0, 1.0]])
    with pytest.raises(ValueError, match="Unsupported Bounding Box area for given format xywhr"):
        ops.box_area(boxes, fmt="xywhr")
    with pytest.raises(
        ValueError, match=r"Unsupported format 'xy'\. Supported axis-aligned formats"
    ):
        ops.box_iou(boxes, boxes, fmt="xy")
    with pytest.raises(
        NotImplementedError, match="box_iou: fmt='cxcywhr' needs torchvision's compiled"
    ):
        ops.box_iou(xpnet.zeros(1, 5), xpnet.zeros(1, 5), fmt="cxcywhr")


@pytest.mark.parametrize("dtype", ["float64", "int64"])
def test_clip_boxes_to_image(backend, dtype):
    boxes = np.array(
        [[[-3, 2, 9, 15], [1, -1, 4, 30]], [[0, 0, 1, 1], [12, 5, 20, 6]]], dtype=dtype
    )
    expected = tv_ops.clip_boxes_to_image(torch.from_numpy(boxes), (10, 8))
    _check(ops.clip_boxes_to_image(_tensor(boxes), (10, 8)), expected)
    if dtype == "float64":
        ours = _tensor(boxes, requires_grad=True)
        theirs = torch.tensor(boxes, requires_grad=True)
        ops.clip_boxes_to_image(ours, (10, 8)).sum().backward()
        tv_ops.clip_boxes_to_image(theirs, (10, 8)).sum().backward()
        _check(ours.grad, theirs.grad)


def test_remove_small_boxes(backend):
    boxes = np.array(
        [[0.0, 0.0, 1.0, 5.0], [0.0, 0.0, 3.0, 3.0], [1.0, 1.0, 3.0, 2.0], [0.0, 0.0, 2.0, 2.0]]
    )
    for min_size in (0.5, 2.0, 4.0):
        expected = tv_ops.remove_small_boxes(torch.from_numpy(boxes), min_size)
        _check(ops.remove_small_boxes(_tensor(boxes), min_size), expected)


@pytest.mark.parametrize("dtype", ["bool", "uint8", "float32"])
def test_masks_to_boxes(backend, dtype):
    masks = np.zeros((4, 5, 7), dtype=dtype)
    masks[0, 1:3, 2:6] = 1
    masks[1, 4, 0] = 1  # a single pixel
    masks[2, 0, :] = 1  # a single row; masks[3] is empty
    expected = tv_ops.masks_to_boxes(torch.from_numpy(masks))
    _check(ops.masks_to_boxes(_tensor(masks)), expected)
    _check(
        ops.masks_to_boxes(_tensor(masks[:0])),
        tv_ops.masks_to_boxes(torch.from_numpy(masks[:0])),
    )
