"""tv_tensors through the v2 transforms: the leaf rule, boxes and masks given the image's
random parameters (read back from a coordinate image, or replayed from the seed through
``get_params``), against torchvision's box formulas in torch; the detection pipeline,
``SanitizeBoundingBoxes``, ``ClampBoundingBoxes``, ``ConvertBoundingBoxFormat``, and the
transforms that refuse boxes (torchvision is not installed here)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as tF
from test_tv_tensors import (
    XYXY,
    torch_clamp,
    torch_from_xyxy,
    torch_hflip,
    torch_resize,
    torch_shift,
)

import xpnet
from xpnet.data.transforms import v2
from xpnet.data.transforms_v2_base import needs_transform_list
from xpnet.data.tv_tensors import BoundingBoxes, BoundingBoxFormat, Image, Mask

H, W = 10, 14
# channel 0 is x + 1, channel 1 is y + 1: an output pixel says where it came from (0: fill)
COORDS = np.stack(np.meshgrid(np.arange(1.0, W + 1), np.arange(1.0, H + 1)))
MASK = (np.arange(H * W).reshape(H, W) % 7 + 1).astype(np.uint8)
RNG_IMAGE = np.random.default_rng(5).integers(0, 256, (H, W, 3), dtype=np.uint8)


def sample(fmt="XYXY", backend_xp=np):
    """Torch boxes in ``fmt`` inside the canvas (so that a pad's clamp changes nothing), and
    a detection sample holding them."""
    boxes = torch_from_xyxy(torch_clamp(torch.from_numpy(XYXY), "XYXY", (H, W)), fmt)
    array = backend_xp.asarray(boxes.numpy())
    return boxes, {
        "image": Image(COORDS),
        "boxes": BoundingBoxes(array, format=fmt, canvas_size=(H, W)),
        "masks": Mask(MASK),
        "labels": np.arange(len(XYXY)),
    }


def shift_of(image) -> tuple[int, int]:
    """``(dx, dy)`` that took the input's pixels to the output's, from the coordinate image."""
    x, y = xpnet.to_numpy(image)[:2]
    row, col = np.argwhere(x > 0)[0]
    return int(col - (x[row, col] - 1)), int(row - (y[row, col] - 1))


def check_boxes(out, expected, canvas):
    assert type(out) is BoundingBoxes and out.canvas_size == canvas
    np.testing.assert_allclose(xpnet.to_numpy(out), expected.numpy(), rtol=1e-12, atol=1e-12)


def check_mask(out, image):
    """The mask moved as the image: its values are MASK at the image's source pixels."""
    x, y = (xpnet.to_numpy(image)[:2]).astype(int)
    expected = np.where(x > 0, MASK[y - 1, x - 1], 0)
    assert type(out) is Mask
    np.testing.assert_array_equal(xpnet.to_numpy(out), expected)


# -- the leaf rule ------------------------------------------------------------------------------
def test_leaf_rule_follows_torchvision():
    boxes, masks = BoundingBoxes([0, 0, 1, 1], format="XYXY", canvas_size=(2, 2)), Mask([[0]])
    pure, image = np.zeros((1, 2, 2)), Image(np.zeros((1, 2, 2)))
    geometric = (*v2.RandomCrop.transformed_types,)
    # an Image in the sample: no pure tensor is the image; tv_tensors always transformed
    assert needs_transform_list([pure, image, boxes, masks], geometric) == [False] + [True] * 3
    assert needs_transform_list([pure, boxes, pure], geometric) == [True, True, False]
    photometric = v2.ColorJitter.transformed_types
    assert needs_transform_list([image, boxes, masks, 3], photometric) == [True] + [False] * 3


def test_photometric_transforms_pass_boxes_and_masks_through():
    _, data = sample()
    out = v2.Normalize([0.5] * 2, [2.0] * 2)(data)
    assert out["boxes"] is data["boxes"] and out["masks"] is data["masks"]
    assert type(out["image"]) is Image
    np.testing.assert_allclose(out["image"].numpy()[0], (COORDS[0] - 0.5) / 2)
    out = v2.ColorJitter(0.5, 0.5)({**data, "image": Image(RNG_IMAGE.transpose(2, 0, 1))})
    assert out["boxes"] is data["boxes"] and out["masks"] is data["masks"]
    out = v2.ToDtype(xpnet.float32)(data)
    assert out["image"].dtype == np.float32 and out["boxes"] is data["boxes"]
    plain = v2.ToPureTensor()(data)
    assert all(type(plain[key]) is xpnet.Tensor for key in ("image", "boxes", "masks"))
    total = v2.Lambda(lambda x: x.sum(), Image)(data)["image"]  # as torchvision's: plain
    assert type(total) is xpnet.Tensor and float(total.item()) == COORDS.sum()


@pytest.mark.parametrize(
    "transform",
    [v2.AutoAugment(), v2.RandAugment()],  # the warps move boxes: test_tv_tensors_torchvision*
    ids=lambda transform: type(transform).__name__,
)
def test_geometric_transforms_without_box_kernels_refuse_boxes(transform):
    _, data = sample()
    name = type(transform).__name__
    with pytest.raises(
        TypeError, match=rf"Inputs of type BoundingBoxes are not supported by {name}\(\)"
    ):
        transform(data)
    with pytest.raises(TypeError, match=rf"Inputs of type Mask are not supported by {name}\(\)"):
        transform(data["image"], data["masks"])


# -- boxes and masks given the image's parameters -----------------------------------------------
@pytest.mark.parametrize("fmt", ["XYXY", "XYWH", "CXCYWH"])
def test_flips_move_boxes_and_masks_with_the_image(backend, fmt):
    source, data = sample(fmt, backend.xp)
    for seed in range(6):
        xpnet.manual_seed(seed)
        out = v2.RandomHorizontalFlip()(data)
        flipped = out["image"].numpy()[0, 0, 0] == W
        expected = torch_hflip(source, fmt, (H, W)) if flipped else source
        check_boxes(out["boxes"], expected, (H, W))
        check_mask(out["masks"], out["image"])
        assert out["labels"] is data["labels"]
    out = v2.RandomVerticalFlip(p=1.0)(data)
    check_mask(out["masks"], out["image"])


def test_random_crop_moves_boxes_and_masks_with_the_image(backend):
    source, data = sample("XYXY", backend.xp)
    for seed in range(8):
        xpnet.manual_seed(seed)
        out = v2.RandomCrop((6, 7), padding=[1, 2], pad_if_needed=True)(data)
        dx, dy = shift_of(out["image"])
        check_boxes(out["boxes"], torch_shift(source, "XYXY", dx, dy, (6, 7)), (6, 7))
        check_mask(out["masks"], out["image"])
    out = v2.RandomCrop((12, 16), pad_if_needed=True)(data)  # larger than the image: padded
    dx, dy = shift_of(out["image"])
    check_boxes(out["boxes"], torch_shift(source, "XYXY", dx, dy, (12, 16)), (12, 16))


def test_center_crop_and_pad_move_boxes_and_masks(backend):
    source, data = sample("XYXY", backend.xp)
    for transform, canvas in [(v2.CenterCrop([5, 8]), (5, 8)), (v2.Pad([1, 2, 3, 4]), (16, 18))]:
        out = transform(data)
        dx, dy = shift_of(out["image"])
        check_boxes(out["boxes"], torch_shift(source, "XYXY", dx, dy, canvas), canvas)
        check_mask(out["masks"], out["image"])
    with pytest.raises(ValueError, match="Padding mode 'edge' is not supported with bounding"):
        v2.Pad(1, padding_mode="edge")(data)


def test_resizes_scale_boxes_and_resize_masks_nearest(backend):
    source, data = sample("XYXY", backend.xp)
    nearest = tF.interpolate(torch.from_numpy(MASK)[None, None].float(), size=[7, 9])[0, 0]
    out = v2.Resize([7, 9])(data)
    check_boxes(out["boxes"], torch_resize(source, (H, W), (7, 9)), (7, 9))
    np.testing.assert_array_equal(xpnet.to_numpy(out["masks"]), nearest.to(torch.uint8))
    for transform in [v2.RandomResize(5, 12), v2.ScaleJitter((8, 8)), v2.RandomShortestSize(6)]:
        xpnet.manual_seed(1)
        out = transform(data)
        canvas = tuple(out["image"].shape[-2:])
        check_boxes(out["boxes"], torch_resize(source, (H, W), canvas), canvas)
        assert tuple(out["masks"].shape) == canvas and type(out["masks"]) is Mask


def test_random_resized_crop_gives_boxes_the_image_crop(backend):
    source, data = sample("XYXY", backend.xp)
    for seed in range(5):
        xpnet.manual_seed(seed)
        out = v2.RandomResizedCrop(8)(data)
        xpnet.manual_seed(seed)  # the same draws: v1's get_params, tested against torchvision
        scale, ratio = (0.08, 1.0), (3 / 4, 4 / 3)
        top, left, height, width = v2.RandomResizedCrop.get_params(COORDS, scale, ratio)
        cropped = torch_shift(source, "XYXY", -left, -top, (height, width))
        check_boxes(out["boxes"], torch_resize(cropped, (height, width), (8, 8)), (8, 8))
        crop = torch.from_numpy(MASK)[None, None, top : top + height, left : left + width]
        nearest = tF.interpolate(crop.float(), size=[8, 8])[0, 0].to(torch.uint8)
        np.testing.assert_array_equal(xpnet.to_numpy(out["masks"]), nearest)


def test_random_zoom_out_pads_boxes_and_masks(backend):
    source, data = sample("XYXY", backend.xp)
    out = v2.RandomZoomOut(side_range=(1.5, 2.0), p=1.0)(data)
    dx, dy = shift_of(out["image"])
    canvas = tuple(out["image"].shape[-2:])
    check_boxes(out["boxes"], torch_shift(source, "XYXY", dx, dy, canvas), canvas)
    check_mask(out["masks"], out["image"])


# -- detection pipelines and the box transforms -------------------------------------------------
def test_detection_sample_through_compose():
    pil = pytest.importorskip("PIL.Image")
    picture = pil.fromarray(RNG_IMAGE)
    boxes = BoundingBoxes([[1, 1, 4, 5], [2, 3, 13, 9]], format="XYXY", canvas_size=(H, W))
    labels = xpnet.tensor([3, 5])
    pipeline = v2.Compose(
        [
            v2.ToImage(),
            v2.RandomHorizontalFlip(p=1.0),
            v2.Resize([5, 7]),
            v2.ToDtype(xpnet.float32, scale=True),
            v2.SanitizeBoundingBoxes(),
        ]
    )
    out = pipeline({"image": picture, "boxes": boxes, "labels": labels})
    flipped = torch_hflip(torch.tensor([[1, 1, 4, 5], [2, 3, 13, 9]]), "XYXY", (H, W))
    expected = torch_resize(flipped, (H, W), (5, 7))
    assert type(out["image"]) is Image and out["image"].dtype == np.float32
    assert out["image"].shape == (3, 5, 7)
    check_boxes(out["boxes"], expected, (5, 7))
    assert xpnet.to_numpy(out["labels"]).tolist() == [3, 5]


def test_sanitize_bounding_boxes_removes_degenerate_boxes_and_labels(backend):
    xyxy = [[0, 0, 5, 5], [2, 2, 2, 6], [1, 1, 3, 1.5], [-1, 0, 3, 3], [4, 4, 15, 6], [1, 1, 3, 3]]
    boxes = BoundingBoxes(backend.xp.asarray(xyxy), format="XYXY", canvas_size=(H, W))
    masks = Mask(np.arange(6)[:, None, None] * np.ones((6, 2, 2), np.int64))
    data = {"boxes": boxes, "masks": masks, "labels": xpnet.tensor([0, 1, 2, 3, 4, 5])}
    # torchvision's rule: w, h >= min_size, w * h >= min_area, all of the box in the canvas
    t = torch.tensor(xyxy)
    w, h = t[:, 2] - t[:, 0], t[:, 3] - t[:, 1]
    valid = (w >= 1) & (h >= 1) & (w * h >= 1) & (t >= 0).all(-1) & (t[:, 2] <= W)
    out = v2.SanitizeBoundingBoxes()(data)
    check_boxes(out["boxes"], t[valid], (H, W))
    assert xpnet.to_numpy(out["labels"]).tolist() == [0, 5] == torch.arange(6)[valid].tolist()
    assert type(out["masks"]) is Mask and xpnet.to_numpy(out["masks"])[:, 0, 0].tolist() == [0, 5]
    out = v2.SanitizeBoundingBoxes(min_size=3, min_area=4.0)(data)
    assert xpnet.to_numpy(out["labels"]).tolist() == [0]
    image, target = v2.SanitizeBoundingBoxes()(np.zeros((1, H, W)), data)  # (image, target)
    assert xpnet.to_numpy(target["labels"]).tolist() == [0, 5] and image.shape == (1, H, W)
    out = v2.SanitizeBoundingBoxes(labels_getter=None)(data)
    assert out["labels"] is data["labels"] and out["boxes"].shape == (2, 4)


def test_sanitize_bounding_boxes_rejects_bad_arguments():
    boxes = BoundingBoxes([[0, 0, 5, 5]], format="XYXY", canvas_size=(H, W))
    with pytest.raises(ValueError, match="min_size must be >= 1, got 0.5"):
        v2.SanitizeBoundingBoxes(min_size=0.5)
    with pytest.raises(ValueError, match="min_area must be >= 1, got 0"):
        v2.SanitizeBoundingBoxes(min_area=0)
    with pytest.raises(ValueError, match="Number of boxes .* must match the number of labels"):
        v2.SanitizeBoundingBoxes()({"boxes": boxes, "labels": np.arange(2)})
    with pytest.raises(ValueError, match="No bounding boxes were found in the sample"):
        v2.SanitizeBoundingBoxes()({"image": np.zeros(2), "labels": np.arange(2)})
    with pytest.raises(ValueError, match="labels must be a tensor or None, got <class 'int'>"):
        v2.SanitizeBoundingBoxes()({"boxes": boxes, "labels": [1]})
    assert repr(v2.SanitizeBoundingBoxes()) == (
        "SanitizeBoundingBoxes(min_size=1.0, min_area=1.0, labels_getter=default)"
    )


def test_clamp_and_convert_bounding_box_transforms():
    boxes = BoundingBoxes(XYXY, format="XYXY", canvas_size=(H, W))
    image, out = v2.ClampBoundingBoxes()(np.zeros((1, H, W)), boxes)
    check_boxes(out, torch_clamp(torch.from_numpy(XYXY), "XYXY", (H, W)), (H, W))
    assert image.shape == (1, H, W)
    out = v2.ConvertBoundingBoxFormat("cxcywh")(boxes)
    assert out.format is BoundingBoxFormat.CXCYWH
    centre = (XYXY[:, :2] + XYXY[:, 2:]) / 2
    np.testing.assert_allclose(xpnet.to_numpy(out)[:, :2], centre, atol=1e-12)
    assert repr(v2.ConvertBoundingBoxFormat("XYWH")) == ("ConvertBoundingBoxFormat(format=XYWH)")


# -- RandomIoUCrop: torchvision's make_params in torch, on the draws replayed from the seed ------
def torch_box_iou(boxes1, boxes2):
    area1 = (boxes1[:, 2] - boxes1[:, 0]) * (boxes1[:, 3] - boxes1[:, 1])
    area2 = (boxes2[:, 2] - boxes2[:, 0]) * (boxes2[:, 3] - boxes2[:, 1])
    lt = torch.max(boxes1[:, None, :2], boxes2[:, :2])
    rb = torch.min(boxes1[:, None, 2:], boxes2[:, 2:])
    wh = (rb - lt).clamp(min=0)
    inter = wh[:, :, 0] * wh[:, :, 1]
    return inter / (area1[:, None] + area2 - inter)


def torch_iou_crop_params(boxes, seed, options=(0.0, 0.1, 0.3, 0.5, 0.7, 0.9, 1.0)):
    generator = xpnet.manual_seed(seed)

    def rand2():  # torch.rand(2), replayed: the float32 draws xpnet makes for it
        return torch.from_numpy(generator.random(2, dtype=np.float32))

    while True:
        min_iou = options[int(generator.integers(0, len(options)))]  # torch.randint
        if min_iou >= 1.0:
            return {}
        for _ in range(40):
            r = 0.3 + (1.0 - 0.3) * rand2()
            new_w, new_h = int(W * r[0]), int(H * r[1])
            if not 0.5 <= new_w / new_h <= 2.0:
                continue
            r = rand2()
            left, top = int((W - new_w) * r[0]), int((H - new_h) * r[1])
            right, bottom = left + new_w, top + new_h
            if left == right or top == bottom:
                continue
            cx, cy = 0.5 * (boxes[:, 0] + boxes[:, 2]), 0.5 * (boxes[:, 1] + boxes[:, 3])
            within = (left < cx) & (cx < right) & (top < cy) & (cy < bottom)
            if not within.any():
                continue
            crop = torch.tensor([[left, top, right, bottom]], dtype=boxes.dtype)
            if torch_box_iou(boxes[within], crop).max() < min_iou:
                continue
            return {"top": top, "left": left, "height": new_h, "width": new_w, "within": within}


def test_random_iou_crop_matches_torchvision(backend):
    source, data = sample("XYXY", backend.xp)
    cropped = 0
    for seed in range(12):
        xpnet.manual_seed(seed)
        out = v2.RandomIoUCrop()(data)
        params = torch_iou_crop_params(source, seed)
        if not params:
            assert out["boxes"] is data["boxes"] and out["image"] is data["image"]
            continue
        cropped += 1
        top, left, height, width = (params[key] for key in ("top", "left", "height", "width"))
        expected = torch_shift(source, "XYXY", -left, -top, (height, width))
        expected[~params["within"]] = 0  # torchvision marks them degenerate, for Sanitize
        check_boxes(out["boxes"], expected, (height, width))
        assert shift_of(out["image"]) == (-left, -top)
        check_mask(out["masks"], out["image"])
    assert cropped >= 4  # 5 of these 12 seeds crop; the others draw the no-crop option
    with pytest.raises(TypeError, match=r"RandomIoUCrop\(\) requires input sample to contain"):
        v2.RandomIoUCrop()(data["image"], 3)
