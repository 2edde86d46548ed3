"""tv_tensors through the v2 transforms, review follow-ups: the coin transforms refuse and
rewrap as the others do, MixUp and CutMix refuse boxes and masks, FiveCrop and TenCrop keep
an Image an Image, and RandomCrop pads once. The oracles are torchvision's rules (read from
its source; torchvision is not installed here) and its box and pad formulas in torch."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as tF
from test_tv_tensors import torch_shift
from test_tv_tensors_transforms import COORDS, H, W, shift_of

import xpnet
from xpnet.data.transforms import v2
from xpnet.data.transforms_v2_draws import RandomApplyTransform
from xpnet.data.tv_tensors import BoundingBoxes, Image, Mask


class PlainAddOne(RandomApplyTransform):
    """A custom coin transform as users write them: a plain Tensor out, masks refused."""

    refused_types = (Mask,)

    def transform(self, inpt, params):
        return xpnet.Tensor(xpnet.to_numpy(inpt) + 1)


def test_random_apply_transforms_refuse_and_rewrap_as_transform(backend):
    image = Image(np.zeros((1, 2, 2)))
    out, label = PlainAddOne(p=1.0)(image, 3)
    assert type(out) is Image and label == 3
    np.testing.assert_array_equal(xpnet.to_numpy(out), np.ones((1, 2, 2)))
    for p in (0.0, 1.0):  # refused before the coin: whatever it shows
        with pytest.raises(
            TypeError, match=r"Inputs of type Mask are not supported by PlainAddOne\(\)"
        ):
            PlainAddOne(p=p)(image, Mask(np.zeros((2, 2))))


def test_random_zoom_out_keeps_images_and_masks(backend):
    sample = {"image": Image(np.ones((1, 2, 3))), "mask": Mask(np.ones((2, 3)))}
    out = v2.RandomZoomOut(side_range=(2.0, 2.0), p=1.0)(sample)
    assert type(out["image"]) is Image and type(out["mask"]) is Mask
    assert out["image"].shape == (1, 4, 6) and out["mask"].shape == (4, 6)
    assert float(out["mask"].sum().item()) == 6.0


@pytest.mark.parametrize("transform", [v2.MixUp, v2.CutMix])
def test_mixup_cutmix_refuse_boxes_and_masks(backend, transform):
    images, labels = xpnet.rand(4, 3, 6, 6), xpnet.tensor([0, 1, 2, 1])
    boxes = BoundingBoxes(np.zeros((2, 4)), format="XYXY", canvas_size=(6, 6))
    for bad in (boxes, Mask(np.zeros((6, 6)))):
        # torchvision's message and type (_BaseMixUpCutMix.forward)
        match = (
            rf"{transform.__name__}\(\) does not support PIL images, bounding boxes, "
            "keypoints and masks"
        )
        with pytest.raises(ValueError, match=match):
            transform(num_classes=3)(images, labels, bad)
        with pytest.raises(ValueError, match=match):
            transform(num_classes=3)({"image": images, "labels": labels, "extra": bad})


@pytest.mark.parametrize(
    ("transform", "count"), [(v2.FiveCrop(2), 5), (v2.TenCrop(2, vertical_flip=True), 10)]
)
def test_five_and_ten_crop_return_images_for_an_image(backend, transform, count):
    array = np.arange(48.0).reshape(3, 4, 4)
    crops, label = transform(Image(array), 7)
    assert label == 7 and len(crops) == count
    assert all(type(crop) is Image for crop in crops)
    # torchvision's order: top left, top right, bottom left, bottom right, centre
    np.testing.assert_array_equal(xpnet.to_numpy(crops[0]), array[:, :2, :2])
    np.testing.assert_array_equal(xpnet.to_numpy(crops[3]), array[:, 2:, 2:])
    plain = transform(xpnet.tensor(array))  # a pure tensor stays a plain Tensor
    assert all(type(crop) is xpnet.Tensor for crop in plain)


# -- RandomCrop with padding and pad_if_needed: one pad ----------------------------------------
# boxes reaching out of the canvas, so that a clamp to an intermediate canvas would show
OUTSIDE = torch.tensor([[-3.0, 4, 2, 12], [8, -1, 15, 11], [1, 1, 5, 5]], dtype=torch.float64)


def test_random_crop_pads_boxes_once(backend):
    # (10, 14) padded by 1 is (12, 16); pad_if_needed to (13, 18) adds 1 and 2 more per side
    size, padding, canvas = (13, 18), (3, 2), (14, 20)  # (left, top) and the padded canvas
    boxes = BoundingBoxes(backend.xp.asarray(OUTSIDE.numpy()), format="XYXY", canvas_size=(H, W))
    for seed in range(6):
        xpnet.manual_seed(seed)
        out = v2.RandomCrop(size, padding=1, pad_if_needed=True)(Image(COORDS), boxes)
        dx, dy = shift_of(out[0])
        # torchvision: pad to the final canvas (shift, clamp), then crop (shift, clamp)
        padded = torch_shift(OUTSIDE, "XYXY", *padding, canvas)
        expected = torch_shift(padded, "XYXY", dx - padding[0], dy - padding[1], size)
        assert type(out[1]) is BoundingBoxes and out[1].canvas_size == size
        np.testing.assert_allclose(xpnet.to_numpy(out[1]), expected.numpy(), atol=0)


def test_random_crop_pads_masks_and_images_once(backend):
    # reflect from the border of the padded border differs from one reflect pad
    mask = np.arange(H * W, dtype=np.uint8).reshape(H, W)
    size, pad = (13, 18), (3, 3, 2, 2)  # torch's (left, right, top, bottom)
    whole = tF.pad(torch.from_numpy(mask)[None, None].double(), pad, mode="reflect")[0, 0]
    image = tF.pad(torch.from_numpy(COORDS)[None], pad, mode="reflect")[0].numpy()
    windows = {
        (top, left): whole[top : top + size[0], left : left + size[1]].numpy()
        for top in range(whole.shape[0] - size[0] + 1)
        for left in range(whole.shape[1] - size[1] + 1)
    }
    crop = v2.RandomCrop(size, padding=1, pad_if_needed=True, padding_mode="reflect")
    for seed in range(6):
        xpnet.manual_seed(seed)
        out_image, out_mask = crop(Image(COORDS), Mask(mask))
        assert type(out_mask) is Mask and type(out_image) is Image
        got = xpnet.to_numpy(out_mask)
        found = [place for place, window in windows.items() if np.array_equal(got, window)]
        assert len(found) == 1, "not one reflect pad of the mask"
        top, left = found[0]
        window = image[:, top : top + size[0], left : left + size[1]]
        np.testing.assert_array_equal(xpnet.to_numpy(out_image), window)
