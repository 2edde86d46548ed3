"""The v2 transform classes on samples of tv_tensors against torchvision 0.28's.

Random transforms are pinned (a single angle, scale, ``p=1``, ``alpha=0``) so that both
draw the same parameters; the draws themselves are xpnet's host generator's, not torch's.
"""

import warnings

import numpy as np
import pytest
import torch
from _torchvision import import_torchvision

import xpnet
from xpnet.data import tv_tensors
from xpnet.data.transforms import v2

torchvision = import_torchvision()
from torchvision import tv_tensors as tv  # noqa: E402
from torchvision.transforms import v2 as tv2  # noqa: E402

RAW = [[1, 2, 6, 7], [0, 0, 10, 12], [-3, 5, 4, 20], [11, 13, 3, 3]]
CANVAS = (12, 10)


def sample_pair(format="XYXY", dtype=np.float32):
    rng = np.random.default_rng(0)
    image = rng.random((3, *CANVAS)).astype(np.float32)
    mask = rng.integers(0, 4, (len(RAW), *CANVAS)).astype(np.uint8)
    boxes = np.array(RAW).astype(dtype)
    labels = np.arange(len(RAW))
    ours = {
        "image": tv_tensors.Image(image),
        "boxes": tv_tensors.BoundingBoxes(boxes, format=format, canvas_size=CANVAS),
        "masks": tv_tensors.Mask(mask),
        "labels": labels,
    }
    theirs = {
        "image": tv.Image(torch.from_numpy(image)),
        "boxes": tv.BoundingBoxes(torch.from_numpy(boxes), format=format, canvas_size=CANVAS),
        "masks": tv.Mask(torch.from_numpy(mask)),
        "labels": torch.from_numpy(labels),
    }
    return ours, theirs


def check_sample(ours, theirs, atol=2e-5):
    assert ours.keys() == theirs.keys()
    for key, expected in theirs.items():
        got = ours[key]
        if isinstance(expected, tv.TVTensor):
            assert type(got).__name__ == type(expected).__name__, key
        if isinstance(expected, tv.BoundingBoxes):
            assert got.canvas_size == tuple(expected.canvas_size)
            assert got.format.value == expected.format.value
        tol = atol if expected.dtype.is_floating_point else int(key == "boxes")
        np.testing.assert_allclose(
            xpnet.to_numpy(got).astype(float), expected.numpy(), atol=tol, err_msg=key
        )


PAIRS = [
    (lambda m: m.RandomHorizontalFlip(p=1.0), {}),
    (lambda m: m.RandomVerticalFlip(p=1.0), {}),
    (lambda m: m.CenterCrop([6, 7]), {}),
    (lambda m: m.Pad([1, 2, 3, 4]), {}),
    (lambda m: m.Resize([6, 5], antialias=True), {}),
    (lambda m: m.RandomCrop([12, 10]), {}),
    (lambda m: m.RandomRotation(degrees=(33.0, 33.0)), {}),
    (lambda m: m.RandomRotation(degrees=(-50.0, -50.0), expand=True), {}),
    (lambda m: m.RandomAffine(degrees=(20, 20), scale=(1.1, 1.1), shear=(5, 5, 3, 3)), {}),
    (lambda m: m.RandomPerspective(distortion_scale=0.0, p=1.0), {}),
    (lambda m: m.ElasticTransform(alpha=0.0, sigma=2.0), {}),
    (lambda m: m.ClampBoundingBoxes(), {}),
    (lambda m: m.ConvertBoundingBoxFormat("CXCYWH"), {}),
    (lambda m: m.SanitizeBoundingBoxes(), {}),
]


@pytest.mark.parametrize("index", range(len(PAIRS)))
@pytest.mark.parametrize("format", ["XYXY", "XYWH", "CXCYWH"])
def test_pinned_transforms_on_samples(backend, index, format):
    make, _ = PAIRS[index]
    ours, theirs = sample_pair(format, np.float32 if index % 2 else np.int64)
    if index == len(PAIRS) - 1:  # Sanitize: after a clamp, so that degenerate boxes appear
        ours, theirs = v2.ClampBoundingBoxes()(ours), tv2.ClampBoundingBoxes()(theirs)
    check_sample(make(v2)(ours), make(tv2)(theirs))


def test_sanitize_with_a_custom_labels_getter(backend):
    ours, theirs = sample_pair()
    ours, theirs = v2.ClampBoundingBoxes()(ours), tv2.ClampBoundingBoxes()(theirs)
    ours["other"], theirs["other"] = ours["labels"] * 2, theirs["labels"] * 2

    def getter(sample):
        return sample["labels"], sample["other"]

    out = v2.SanitizeBoundingBoxes(labels_getter=getter)(ours)
    expected = tv2.SanitizeBoundingBoxes(labels_getter=getter)(theirs)
    check_sample(out, expected)
    tuple_out = v2.SanitizeBoundingBoxes(labels_getter=None)(ours["boxes"])
    assert (
        tuple_out.shape[0]
        == tv2.SanitizeBoundingBoxes(labels_getter=None)(theirs["boxes"]).shape[0]
    )


def test_to_image_and_to_dtype_in_a_tuple_sample():
    array = np.random.default_rng(1).integers(0, 256, (5, 6, 3)).astype(np.uint8)
    ours = v2.Compose([v2.ToImage(), v2.ToDtype(xpnet.float32, scale=True)])((array, 3))
    theirs = tv2.Compose([tv2.ToImage(), tv2.ToDtype(torch.float32, scale=True)])((array, 3))
    assert type(ours[0]) is tv_tensors.Image and ours[1] == theirs[1] == 3
    np.testing.assert_allclose(xpnet.to_numpy(ours[0]), theirs[0].numpy())


def raises_like(ours, theirs):
    """Run ``theirs``, then ``ours``: the same exception type and message."""
    with pytest.raises(Exception) as expected:
        theirs()
    with pytest.raises(expected.type) as got:
        ours()
    assert str(got.value) == str(expected.value)


@pytest.mark.parametrize("name", ["FiveCrop", "TenCrop"])
def test_five_ten_crop_refuse_boxes_as_torchvision(name):
    ours, theirs = sample_pair()
    raises_like(
        lambda: getattr(v2, name)(4)(ours["image"], ours["boxes"]),
        lambda: getattr(tv2, name)(4)(theirs["image"], theirs["boxes"]),
    )
    raises_like(
        lambda: getattr(v2, name)(4)(ours["masks"]),
        lambda: getattr(tv2, name)(4)(theirs["masks"]),
    )


@pytest.mark.parametrize("padding", [None, 1, [0, 0]])
def test_random_crop_too_large_message(padding):
    raises_like(
        lambda: v2.RandomCrop(20, padding=padding)(np.zeros((1, 4, 4), np.float32)),
        lambda: tv2.RandomCrop(20, padding=padding)(torch.zeros(1, 4, 4)),
    )


def test_custom_transform_output_is_not_rewrapped():
    class Plain(v2.Transform):
        def transform(self, inpt, params):
            return xpnet.Tensor(inpt.array) + 1

    class TorchPlain(tv2.Transform):
        def transform(self, inpt, params):
            return inpt.as_subclass(torch.Tensor) + 1

    ours = Plain()(tv_tensors.Image(np.zeros((1, 2, 2), np.float32)))
    theirs = TorchPlain()(tv.Image(torch.zeros(1, 2, 2)))
    assert type(theirs) is torch.Tensor
    assert type(ours) is xpnet.Tensor


@pytest.mark.parametrize("name", ["MixUp", "CutMix"])
def test_mixup_cutmix_refuse_boxes_and_masks(name):
    ours, theirs = sample_pair()
    images = np.zeros((2, 3, *CANVAS), np.float32)
    labels = np.array([0, 1])
    for key in ["boxes", "masks"]:
        with pytest.raises(ValueError) as expected:
            getattr(tv2, name)(num_classes=3)(
                torch.from_numpy(images), torch.from_numpy(labels), theirs[key]
            )
        with pytest.raises(ValueError) as got:
            getattr(v2, name)(num_classes=3)(images, labels, ours[key])
        assert str(got.value) == str(expected.value)


def test_random_iou_crop_without_crop_keeps_the_sample(backend):
    ours, theirs = sample_pair()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = v2.RandomIoUCrop(sampler_options=[2.0])(ours)
        expected = tv2.RandomIoUCrop(sampler_options=[2.0])(theirs)
    check_sample(out, expected)


@pytest.mark.parametrize("name", ["AutoAugment", "RandAugment", "TrivialAugmentWide", "AugMix"])
def test_automatic_augmentations_refuse_boxes_and_masks(name):
    ours, theirs = sample_pair()
    image = np.zeros((3, *CANVAS), np.uint8)
    for key in ["boxes", "masks"]:
        raises_like(
            lambda key=key: getattr(v2, name)()(tv_tensors.Image(image), ours[key]),
            lambda key=key: getattr(tv2, name)()(tv.Image(torch.from_numpy(image)), theirs[key]),
        )


def test_random_iou_crop_applies_a_crop_as_torchvision(backend):
    ours, theirs = sample_pair("CXCYWH", np.float32)
    inside = np.array([True, True, False, False])
    crop = {"top": 2, "left": 1, "height": 7, "width": 6}
    ours_crop, theirs_crop = v2.RandomIoUCrop(), tv2.RandomIoUCrop()
    for key in ["image", "boxes", "masks"]:
        output = ours_crop.transform(ours[key], {**crop, "inside": inside})
        params = {**crop, "is_within_crop_area": torch.from_numpy(inside)}
        expected = theirs_crop.transform(theirs[key], params)
        check_sample({key: output}, {key: expected})


def test_tuple_sample_with_labels_through_a_rotation(backend):
    ours, theirs = sample_pair("XYWH", np.float32)
    transform = v2.RandomRotation(degrees=(-25.0, -25.0), expand=True, center=None)
    their_transform = tv2.RandomRotation(degrees=(-25.0, -25.0), expand=True)
    image, boxes, labels = transform(ours["image"], ours["boxes"], ours["labels"])
    expected = their_transform(theirs["image"], theirs["boxes"], theirs["labels"])
    check_sample(
        {"image": image, "boxes": boxes, "labels": labels},
        {"image": expected[0], "boxes": expected[1], "labels": expected[2]},
    )


@pytest.mark.parametrize("name", ["MixUp", "CutMix"])
def test_mixup_cutmix_mix_image_batches(backend, name):
    images = np.random.default_rng(5).random((2, 3, 4, 4)).astype(np.float32)
    for batch in [tv_tensors.Image(images), images]:
        mixed, labels = getattr(v2, name)(num_classes=3)(batch, np.array([0, 1]))
        assert type(mixed) is type(batch) or isinstance(batch, np.ndarray)
        # each mixed image is lam * itself + (1 - lam) * the one before, lam read off the labels
        lam = xpnet.to_numpy(labels)[0, 0]
        if name == "MixUp":
            expected = lam * images + (1 - lam) * np.roll(images, 1, axis=0)
            np.testing.assert_allclose(xpnet.to_numpy(mixed), expected, rtol=1e-5, atol=1e-6)
        assert not np.allclose(xpnet.to_numpy(mixed), images) or lam == 1.0
    their_mixed, _ = getattr(tv2, name)(num_classes=3)(
        tv.Image(torch.from_numpy(images)), torch.tensor([0, 1])
    )
    assert type(their_mixed) is tv.Image
