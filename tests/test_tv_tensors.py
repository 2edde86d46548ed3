"""torchvision's ``tv_tensors`` (Image, Mask, BoundingBoxes) and the box functions of
``transforms.v2.functional``: construction, metadata, the box formats and the geometric box
and mask kernels against torchvision's formulas written out in torch (written before
torchvision was installed; tests/test_tv_tensors_torchvision*.py compare with torchvision
0.28 itself). tests/test_tv_tensors_transforms.py has the transforms on samples."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
import torch
import torch.nn.functional as tF
from xpnet.data.transforms.v2 import functional as F2

import xpnet
from xpnet.data import tv_tensors
from xpnet.data.tv_tensors import BoundingBoxes, BoundingBoxFormat, Image, Mask

FORMATS = ["XYXY", "XYWH", "CXCYWH"]
CANVAS = (10, 14)  # (height, width)
RNG = np.random.default_rng(3)
XY1 = RNG.uniform(-2, 9, (6, 2))
XYXY = np.concatenate([XY1, XY1 + RNG.uniform(0, 6, (6, 2))], -1)
XYXY_INT = np.array([[0, 1, 5, 7], [3, 2, 4, 9], [8, 0, 14, 10], [-3, 4, 2, 12], [6, 6, 6, 8]])


# -- torchvision's formulas (transforms/v2/functional/_meta.py, _geometry.py) in torch ----------
def floor_or_true(b):
    return None if b.is_floating_point() else "floor"


def torch_to_xyxy(b, fmt):
    if fmt == "XYWH":
        return torch.cat([b[:, :2], b[:, :2] + b[:, 2:]], -1)
    if fmt == "CXCYWH":  # torchvision 0.28: integers in float32, truncated back
        x = b if b.is_floating_point() else b.float()
        xy1 = x[:, :2] - x[:, 2:] / 2
        return torch.cat([xy1, xy1 + x[:, 2:]], -1).to(b.dtype)
    return b.clone()


def torch_from_xyxy(b, fmt):
    wh = b[:, 2:] - b[:, :2]
    if fmt == "XYWH":
        return torch.cat([b[:, :2], wh], -1)
    if fmt == "CXCYWH":
        return torch.cat([(b[:, :2] * 2 + wh).div(2, rounding_mode=floor_or_true(b)), wh], -1)
    return b.clone()


def torch_clamp(b, fmt, canvas):
    x = b.clone() if b.is_floating_point() else b.float()
    x = torch_to_xyxy(x, fmt)
    x[:, 0::2].clamp_(min=0, max=canvas[1])
    x[:, 1::2].clamp_(min=0, max=canvas[0])
    return torch_from_xyxy(x, fmt).to(b.dtype)


def torch_shift(b, fmt, dx, dy, canvas):
    """crop (dx, dy = -left, -top) and pad (left, top): shift, then clamp to the new canvas."""
    shift = [dx, dy, dx, dy] if fmt == "XYXY" else [dx, dy, 0, 0]
    return torch_clamp(b + torch.tensor(shift, dtype=b.dtype), fmt, canvas)


def torch_resize(b, canvas, new):
    w_ratio, h_ratio = new[1] / canvas[1], new[0] / canvas[0]
    return b.mul(torch.tensor([w_ratio, h_ratio, w_ratio, h_ratio])).to(b.dtype)


def torch_hflip(b, fmt, canvas):
    b = b.clone()
    if fmt == "XYXY":
        b[:, [2, 0]] = b[:, [0, 2]].sub_(canvas[1]).neg_()
    elif fmt == "XYWH":
        b[:, 0].add_(b[:, 2]).sub_(canvas[1]).neg_()
    else:
        b[:, 0].sub_(canvas[1]).neg_()
    return b


def torch_vflip(b, fmt, canvas):
    b = b.clone()
    if fmt == "XYXY":
        b[:, [1, 3]] = b[:, [3, 1]].sub_(canvas[0]).neg_()
    elif fmt == "XYWH":
        b[:, 1].add_(b[:, 3]).sub_(canvas[0]).neg_()
    else:
        b[:, 1].sub_(canvas[0]).neg_()
    return b


def boxes_in(fmt, backend, dtype=np.float64):
    """Torch boxes in ``fmt``, and the same as BoundingBoxes on the backend under test."""
    source = XYXY if dtype == np.float64 else XYXY_INT
    expected = torch_from_xyxy(torch.from_numpy(source.astype(dtype)), fmt)
    array = backend.xp.asarray(expected.numpy())
    return expected, BoundingBoxes(array, format=fmt, canvas_size=CANVAS)


def check(out, expected, canvas=CANVAS, fmt=None):
    assert type(out) is BoundingBoxes and out.canvas_size == canvas
    assert fmt is None or out.format is BoundingBoxFormat[fmt]
    assert out.dtype == expected.numpy().dtype
    np.testing.assert_allclose(xpnet.to_numpy(out), expected.numpy(), rtol=1e-12, atol=1e-12)


# -- construction -------------------------------------------------------------------------------
def test_tv_tensors_construct_and_keep_metadata(backend):
    boxes = BoundingBoxes(backend.xp.asarray([1.0, 2, 3, 4]), format="xywh", canvas_size=[5, 6])
    assert boxes.shape == (1, 4) and boxes.format is BoundingBoxFormat.XYWH
    assert boxes.canvas_size == (5, 6) and isinstance(boxes, xpnet.Tensor)
    assert type(boxes.array) is type(backend.xp.asarray([1.0]))  # stays on its backend
    assert type(boxes + 1) is xpnet.Tensor and type(boxes[0]) is xpnet.Tensor  # as torchvision
    wrapped = tv_tensors.wrap(boxes * 2, like=boxes, canvas_size=(7, 8))
    assert type(wrapped) is BoundingBoxes and wrapped.format is BoundingBoxFormat.XYWH
    assert wrapped.canvas_size == (7, 8) and xpnet.to_numpy(wrapped).tolist() == [[2, 4, 6, 8]]
    assert Image(np.zeros((4, 5), np.uint8)).shape == (1, 4, 5)
    assert Image(np.zeros((4, 5)), dtype=np.float32).dtype == np.float32
    assert type(tv_tensors.wrap(xpnet.tensor([[1]]), like=Mask([[0]]))) is Mask
    assert repr(BoundingBoxes([0, 0, 2, 3], format="XYXY", canvas_size=(4, 4))) == (
        "BoundingBoxes([[0, 0, 2, 3]], format=BoundingBoxFormat.XYXY, canvas_size=(4, 4), "
        "clamping_mode=soft)"
    )
    assert repr(Mask([[1, 2], [3, 4]])) == "Mask([[1, 2],\n      [3, 4]])"
    copied = pickle.loads(pickle.dumps(wrapped))  # DataLoader worker processes pickle samples
    assert type(copied) is BoundingBoxes and copied.canvas_size == (7, 8)
    assert copied.format is BoundingBoxFormat.XYWH


def test_tv_tensors_from_pil_and_bad_arguments():
    pil = pytest.importorskip("PIL.Image")
    picture = pil.fromarray(np.arange(12, dtype=np.uint8).reshape(3, 4))
    assert Mask(picture).shape == (3, 4) and Image(picture).shape == (1, 3, 4)
    with pytest.raises(ValueError, match=r"BoundingBoxes: expected data of shape \(N, 4\)"):
        BoundingBoxes([[1, 2, 3]], format="XYXY", canvas_size=(4, 4))
    with pytest.raises(ValueError, match="format must be a BoundingBoxFormat or one of"):
        BoundingBoxes([1, 2, 3, 4], format="XYZ", canvas_size=(4, 4))
    with pytest.raises(ValueError, match="Image: data must have at least 2 dimensions"):
        Image([1, 2])


# -- formats and clamping -----------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.float64, np.int64])
@pytest.mark.parametrize("old", FORMATS)
@pytest.mark.parametrize("new", FORMATS)
def test_convert_bounding_box_format_matches_torchvision(backend, old, new, dtype):
    source, boxes = boxes_in(old, backend, dtype)
    # torchvision returns boxes of the same format as they are, else converts through XYXY
    expected = source if old == new else torch_from_xyxy(torch_to_xyxy(source, old), new)
    check(F2.convert_bounding_box_format(boxes, new_format=new), expected, fmt=new)
    plain = F2.convert_bounding_box_format(boxes.array, old, BoundingBoxFormat[new])
    assert type(plain) is type(boxes.array)  # a plain array gives a plain array
    np.testing.assert_array_equal(backend.to_host(plain), expected.numpy())
    if dtype == np.float64:  # a round trip gives the boxes back
        there = F2.convert_bounding_box_format(boxes, new_format=new)
        back = F2.convert_bounding_box_format(there, new_format=old)
        np.testing.assert_allclose(xpnet.to_numpy(back), source.numpy(), atol=1e-12)


def test_convert_bounding_box_format_rejects_bad_arguments(backend):
    _, boxes = boxes_in("XYXY", backend)
    with pytest.raises(TypeError, match="missing 1 required argument: 'new_format'"):
        F2.convert_bounding_box_format(boxes)
    with pytest.raises(ValueError, match="`format` must not be passed"):
        F2.convert_bounding_box_format(boxes, "XYXY", "XYWH")
    with pytest.raises(ValueError, match="`format` have to be passed"):
        F2.convert_bounding_box_format(xpnet.tensor(XYXY), new_format="XYWH")


@pytest.mark.parametrize("dtype", [np.float64, np.int64])
@pytest.mark.parametrize("fmt", FORMATS)
def test_clamp_bounding_boxes_matches_torchvision(backend, fmt, dtype):
    source, boxes = boxes_in(fmt, backend, dtype)
    check(F2.clamp_bounding_boxes(boxes), torch_clamp(source, fmt, CANVAS), fmt=fmt)
    tensor = F2.clamp_bounding_boxes(xpnet.Tensor(boxes.array), fmt, CANVAS, "soft")
    assert type(tensor) is xpnet.Tensor
    with pytest.raises(ValueError, match="`clamping_mode` have to be passed"):  # torchvision 0.28
        F2.clamp_bounding_boxes(xpnet.Tensor(boxes.array), fmt, CANVAS)
    np.testing.assert_array_equal(xpnet.to_numpy(tensor), torch_clamp(source, fmt, CANVAS))
    with pytest.raises(ValueError, match="`canvas_size` must not be passed"):
        F2.clamp_bounding_boxes(boxes, canvas_size=CANVAS)


# -- the geometric kernels on boxes -------------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.float64, np.int64])
@pytest.mark.parametrize("fmt", FORMATS)
def test_box_flips_match_torchvision(backend, fmt, dtype):
    source, boxes = boxes_in(fmt, backend, dtype)
    check(F2.horizontal_flip(boxes), torch_hflip(source, fmt, CANVAS), fmt=fmt)
    check(F2.vertical_flip(boxes), torch_vflip(source, fmt, CANVAS), fmt=fmt)


@pytest.mark.parametrize("dtype", [np.float64, np.int64])
@pytest.mark.parametrize("fmt", FORMATS)
def test_box_crop_and_pad_match_torchvision(backend, fmt, dtype):
    source, boxes = boxes_in(fmt, backend, dtype)
    check(F2.crop(boxes, 2, 3, 6, 7), torch_shift(source, fmt, -3, -2, (6, 7)), (6, 7))
    expected = torch_shift(source, fmt, -4, -1, (12, 6))  # beyond the canvas: implicit pad
    check(F2.crop(boxes, 1, 4, 12, 6), expected, (12, 6))
    top, left = round((10 - 5) / 2), round((14 - 8) / 2)
    expected = torch_shift(source, fmt, -left, -top, (5, 8))
    check(F2.center_crop(boxes, [5, 8]), expected, (5, 8))
    check(F2.pad(boxes, [1, 2, 3, 4]), torch_shift(source, fmt, 1, 2, (16, 18)), (16, 18))
    check(F2.pad(boxes, 2), torch_shift(source, fmt, 2, 2, (14, 18)), (14, 18))
    with pytest.raises(ValueError, match="Padding mode 'reflect' is not supported with bound"):
        F2.pad(boxes, 2, padding_mode="reflect")


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int64])
@pytest.mark.parametrize("fmt", FORMATS)
def test_box_resize_matches_torchvision(backend, fmt, dtype):
    source, boxes = boxes_in(fmt, backend, np.float64 if dtype == np.float32 else dtype)
    if dtype == np.float32:
        source, boxes = (
            source.float(),
            BoundingBoxes(boxes, format=fmt, canvas_size=CANVAS, dtype=np.float32),
        )
    check(F2.resize(boxes, [7, 9]), torch_resize(source, CANVAS, (7, 9)), (7, 9))
    check(F2.resize(boxes, 5), torch_resize(source, CANVAS, (5, 7)), (5, 7))  # shorter edge
    check(F2.resize(boxes, [10, 14]), source, CANVAS)  # a new BoundingBoxes, as torchvision's
    cropped = torch_shift(source, fmt, -3, -2, (6, 7))
    out = F2.resized_crop(boxes, 2, 3, 6, 7, [12, 21])
    check(out, torch_resize(cropped, (6, 7), (12, 21)), (12, 21))


# -- masks and images ---------------------------------------------------------------------------
MASK = RNG.integers(0, 5, (2, 10, 14)).astype(np.uint8)


def test_mask_kernels_match_torch():
    mask, source = Mask(MASK), torch.from_numpy(MASK)
    outputs = {
        "hflip": (F2.horizontal_flip(mask), source.flip(-1)),
        "vflip": (F2.vertical_flip(mask), source.flip(-2)),
        "crop": (F2.crop(mask, 2, 3, 6, 7), source[:, 2:8, 3:10]),
        "pad": (F2.pad(mask, [1, 2, 3, 4], fill=7), tF.pad(source, [1, 3, 2, 4], value=7)),
    }
    nearest = tF.interpolate(source[None].float(), size=[7, 9], mode="nearest")[0]
    outputs["resize"] = (F2.resize(mask, [7, 9]), nearest.to(torch.uint8))  # NEAREST for masks
    crop = source[None, :, 2:8, 3:10].float()
    resized = tF.interpolate(crop, size=[12, 21], mode="nearest")[0].to(torch.uint8)
    outputs["resized_crop"] = (F2.resized_crop(mask, 2, 3, 6, 7, [12, 21]), resized)
    for name, (out, expected) in outputs.items():
        assert type(out) is Mask, name
        np.testing.assert_array_equal(xpnet.to_numpy(out), expected.numpy(), err_msg=name)
    two_d = F2.resize(Mask(MASK[0]), [7, 9])
    np.testing.assert_array_equal(xpnet.to_numpy(two_d), nearest[0].to(torch.uint8).numpy())


def test_image_kernels_keep_the_image_class():
    image = Image(RNG.random((3, 10, 14)))
    out = F2.resize(image, [7, 9])
    expected = tF.interpolate(
        torch.from_numpy(image.numpy())[None], size=[7, 9], mode="bilinear", antialias=True
    )[0]
    assert type(out) is Image and type(F2.horizontal_flip(image)) is Image
    np.testing.assert_allclose(xpnet.to_numpy(out), expected.numpy(), rtol=1e-10, atol=1e-12)
    assert F2.get_size(image) == [10, 14]
    assert F2.get_size(BoundingBoxes([0, 0, 1, 1], format="XYXY", canvas_size=(3, 4))) == [3, 4]
    cast = F2.to_dtype(Image(np.full((1, 2, 2), 255, np.uint8)), np.float32, scale=True)
    assert type(cast) is Image and float(cast.numpy().max()) == 1.0
