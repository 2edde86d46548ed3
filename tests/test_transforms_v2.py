"""torchvision's ``transforms.v2``: which leaves of a sample are transformed, the v2-only
conversions against torch, MixUp and CutMix against torchvision's formulas written in torch
(torchvision is not installed here: the formulas are re-derived from its ``_augment.py``,
with torch computing them), the containers, errors and reprs."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
import torch
from xpnet.data.transforms.v2 import functional as F2

import xpnet
from xpnet.data import DataLoader, FakeData
from xpnet.data import transforms as T
from xpnet.data.transforms import v2

Image = pytest.importorskip("PIL.Image")

RNG = np.random.default_rng(4)
HWC = RNG.integers(0, 256, (10, 12, 3), dtype=np.uint8)
CHW = np.ascontiguousarray(HWC.transpose(2, 0, 1))
PIC = Image.fromarray(HWC)


def seeded(transform, *inputs, seed=3):
    """``transform(*inputs)`` after ``xpnet.manual_seed(seed)``."""
    xpnet.manual_seed(seed)
    return transform(*inputs)


def arrays(x):
    return np.asarray(x) if not isinstance(x, xpnet.Tensor) else xpnet.to_numpy(x)


# ------------------------------------------------------------ which leaves are transformed


def test_first_pure_tensor_is_the_image_and_the_rest_pass_through():
    crop = v2.RandomCrop(4)
    label, boxes = np.arange(5), xpnet.tensor(np.ones((2, 4)))
    image, out_label, out_boxes, name = seeded(crop, CHW, label, boxes, "cat")
    np.testing.assert_array_equal(image, seeded(T.RandomCrop(4), CHW))
    assert out_label is label and out_boxes is boxes and name == "cat"
    sample = {"image": xpnet.tensor(CHW), "target": {"labels": label, "id": 3}}
    out = seeded(crop, sample)
    assert out["target"]["labels"] is label and out["target"]["id"] == 3
    np.testing.assert_array_equal(arrays(out["image"]), seeded(T.RandomCrop(4), CHW))
    assert type(seeded(crop, [CHW, label])) is list


def test_pil_images_are_the_images_and_share_the_draws():
    mask = Image.fromarray(HWC[:, :, 0])
    image, out_mask, tensor = seeded(v2.RandomResizedCrop(6), PIC, mask, CHW, seed=5)
    assert tensor is CHW  # an explicit image is in the sample: pure tensors pass through
    expected = seeded(T.RandomResizedCrop(6), PIC, seed=5)
    np.testing.assert_array_equal(np.asarray(image), np.asarray(expected))
    expected_mask = seeded(T.RandomResizedCrop(6), mask, seed=5)
    np.testing.assert_array_equal(np.asarray(out_mask), np.asarray(expected_mask))
    for p in range(3):  # the mask is flipped exactly when the image is
        a, b = seeded(v2.RandomHorizontalFlip(), PIC, mask, seed=p)
        assert (np.asarray(a)[:, :, 0] == np.asarray(b)).all()


def test_v1_names_are_v1_transforms_on_the_image():
    cases = [
        (v2.ColorJitter(0.4, 0.4, 0.4, 0.1), T.ColorJitter(0.4, 0.4, 0.4, 0.1)),
        (v2.RandomInvert(), T.RandomInvert()),  # RandAugment's ops are v2's: another file
        (v2.Normalize([0.5] * 3, [0.2] * 3), T.Normalize([0.5] * 3, [0.2] * 3)),
        (v2.Resize(7, antialias=True), T.Resize(7, antialias=True)),
        (v2.RandomRotation(30), T.RandomRotation(30)),
    ]
    for new, old in cases:
        # v2's uint8 resize is PyTorch's integer kernel: test_transforms_v2_resize
        image = CHW.astype(np.float32) / 255 if isinstance(new, (v2.Normalize, v2.Resize)) else CHW
        assert isinstance(new, v2.Transform) and isinstance(new, type(old))
        # reprs are torchvision v2's, not v1's: tests/test_transforms_v2_repr.py
        out, label = seeded(new, image, 9)
        np.testing.assert_array_equal(arrays(out), arrays(seeded(old, image)))
        assert label == 9
    assert v2.RandomCrop.get_params is T.RandomCrop.get_params
    assert v2.InterpolationMode is T.InterpolationMode
    restored = pickle.loads(pickle.dumps(v2.RandomCrop(4, padding=2)))
    assert type(restored) is v2.RandomCrop and restored.padding == 2
    nearest = v2.Resize(4, interpolation=v2.InterpolationMode.NEAREST)  # given, as printed
    assert repr(pickle.loads(pickle.dumps(nearest))) == repr(nearest)


def test_pil_to_tensor_and_to_pil_image_take_their_kinds_only():
    tensor, label = v2.PILToTensor()(PIC, np.arange(3))
    np.testing.assert_array_equal(tensor.numpy(), torch.from_numpy(CHW).numpy())
    assert v2.PILToTensor()(CHW) is CHW
    picture, label = v2.ToPILImage()(xpnet.tensor(CHW), np.arange(3))
    np.testing.assert_array_equal(np.asarray(picture), HWC)
    with pytest.warns(UserWarning, match=r"`ToTensor\(\)` is deprecated"):
        to_tensor = v2.ToTensor()
    image, label = to_tensor(HWC, 1)
    expected = torch.from_numpy(HWC).permute(2, 0, 1).float().div(255)
    np.testing.assert_array_equal(image.numpy(), expected.numpy())


# --------------------------------------------------------------------- v2's conversions


def test_to_image_matches_torchvision_layout():
    for picture in (HWC, HWC[:, :, 0]):
        image = v2.ToImage()(picture)
        expected = torch.from_numpy(np.atleast_3d(picture)).permute(2, 0, 1)
        assert image.dtype == np.uint8 and isinstance(image, xpnet.Tensor)
        np.testing.assert_array_equal(image.numpy(), expected.numpy())
    np.testing.assert_array_equal(v2.ToImage()(PIC).numpy(), CHW)
    tensor = xpnet.tensor(CHW)  # torchvision's Image(tensor): a tv_tensor on the same array
    image = F2.to_image(tensor)
    assert type(image) is xpnet.data.tv_tensors.Image and image.array is tensor.array
    with pytest.raises(TypeError, match="to_image: inpt can either be a pure Tensor"):
        F2.to_image([1, 2])


@pytest.mark.parametrize(
    "source, target",
    [
        ("uint8", "float32"),
        ("uint8", "float64"),
        ("int16", "float32"),
        ("float32", "uint8"),
        ("float64", "int16"),
        ("uint8", "int16"),
        ("int16", "uint8"),
        ("int32", "int8"),
    ],
)
def test_to_dtype_scale_matches_torchvision_formula(source, target):
    info = np.iinfo(source) if source[0] in "iu" else None
    if info is None:
        values = np.concatenate([RNG.random(297), [0.0, 1.0, 0.5]]).astype(source)
    else:
        values = RNG.integers(max(info.min, -(2**20)), min(info.max, 2**20), 300).astype(source)
    values = values.reshape(3, 10, 10)
    out = v2.ToDtype(getattr(xpnet, target), scale=True)(xpnet.tensor(values))
    expected = torchvision_to_dtype(torch.from_numpy(values), getattr(torch, target))
    assert out.dtype == np.dtype(target)
    np.testing.assert_array_equal(out.numpy(), expected.numpy())  # bit for bit


def torchvision_max(dtype):
    return 1.0 if dtype.is_floating_point else torch.iinfo(dtype).max


def torchvision_to_dtype(image, dtype):
    """torchvision v2's ``to_dtype_image(image, dtype, scale=True)``, in torch."""
    if image.is_floating_point():
        if dtype.is_floating_point:
            return image.to(dtype)
        return image.mul(torchvision_max(dtype) + 1.0 - 1e-3).to(dtype)
    if dtype.is_floating_point:
        return image.to(dtype).mul_(1.0 / torchvision_max(image.dtype))
    bits = {torch.uint8: 8, torch.int8: 7, torch.int16: 15, torch.int32: 31}
    shift = abs(bits[image.dtype] - bits[dtype])
    if bits[image.dtype] > bits[dtype]:
        return image.bitwise_right_shift(shift).to(dtype)
    return image.to(dtype).bitwise_left_shift_(shift)


def test_to_dtype_without_scale_casts_and_passes_labels():
    values = (RNG.random((3, 4, 4)) * 300 - 20).astype(np.float32)
    image, label = v2.ToDtype(xpnet.int16)(values, np.arange(3.0))
    expected = torch.from_numpy(values).to(torch.int16)
    np.testing.assert_array_equal(image, expected.numpy())
    assert label.dtype == np.float64
    converted = v2.ConvertImageDtype(xpnet.float32)(CHW)
    np.testing.assert_array_equal(
        converted, torchvision_to_dtype(torch.from_numpy(CHW), torch.float32)
    )
    assert repr(v2.ConvertImageDtype()) == "ConvertImageDtype()"  # torchvision's
    with pytest.raises(RuntimeError, match="cannot be performed safely"):
        F2.to_dtype(values, xpnet.int32, scale=True)
    with pytest.raises(ValueError, match="ToDtype: dtype must be a dict or a dtype"):
        v2.ToDtype(None)
    with pytest.raises(ValueError, match="ToDtype: dtype must be a dtype such as"):
        v2.ToDtype("no-such-dtype")
    with pytest.raises(TypeError, match="to_dtype: inpt must be a Tensor or a NumPy array"):
        F2.to_dtype(PIC, xpnet.float32)


def test_tutorial_pipeline_and_identity_pieces():
    transform = v2.Compose(
        [
            v2.ToImage(),
            v2.ToDtype(xpnet.float32, scale=True),
            v2.RandomResizedCrop(8, antialias=True),
            v2.RandomHorizontalFlip(),
            v2.Normalize(mean=[0.485, 0.456, 0.406], std=[0.229, 0.224, 0.225]),
        ]
    )
    image, label = seeded(transform, PIC, 4)
    assert image.shape == (3, 8, 8) and image.dtype == np.float32 and label == 4
    sample = (CHW, {"a": [1, 2]})
    assert v2.Identity()(sample) == sample and v2.ToPureTensor()(CHW) is CHW
    functional_names = set(T.functional.__all__) | {"to_image", "to_dtype", "get_size"}
    assert functional_names <= set(F2.__all__)
    # v2's flip takes tv_tensors too; on an image it is v1's
    assert F2.horizontal_flip is F2.hflip and F2.get_size(CHW) == [10, 12]
    np.testing.assert_array_equal(F2.horizontal_flip(CHW), T.functional.hflip(CHW))


# --------------------------------------------------------------------------- containers


def test_containers_take_the_whole_sample():
    double = v2.Lambda(lambda x: x * 2, np.ndarray)
    assert v2.Compose([double, double])(CHW[:1, :1, :1], 3) == (CHW[:1, :1, :1] * 4, 3)
    everything = v2.Lambda(lambda x: x * 2)  # torchvision's: every leaf but later tensors
    assert everything(np.ones(1), np.ones(1), 5)[1:] == (np.ones(1), 10)
    assert v2.RandomApply([double], p=1.0)(np.ones(2), 1)[1] == 1
    assert v2.RandomApply([double], p=0.0)(np.ones(2), 1)[0].tolist() == [1.0, 1.0]
    choice = v2.RandomChoice([double, v2.Identity()], p=[3, 1])
    assert choice.p == [0.75, 0.25]
    xpnet.manual_seed(0)
    picks = [choice(np.ones(1), 1)[0][0] for _ in range(400)]
    assert 250 < picks.count(2.0) < 350
    assert v2.RandomOrder([double, double])(np.ones(1), 1)[0].tolist() == [4.0]
    with pytest.raises(TypeError, match="Argument transforms should be a sequence"):
        v2.Compose(double)
    with pytest.raises(ValueError, match=r"Length of p doesn't match .*: 1 != 2"):
        v2.RandomChoice([double, double], p=[1])
    with pytest.raises(ValueError, match=r"`p` should be a floating point value"):
        v2.RandomApply([double], p=1.5)
    assert repr(everything).startswith("Lambda(<lambda>, types=['object'])")


# ----------------------------------------------------------------------- MixUp and CutMix


def batch(backend, n=6, shape=(3, 5, 7), classes=4):
    """Float32 images and int64 labels on ``backend``, with their torch copies."""
    images = RNG.random((n, *shape)).astype(np.float32)
    labels = np.array([0, 1, 1, 3, 2, 0][:n])
    on = (xpnet.tensor(backend.xp.asarray(images)), xpnet.tensor(backend.xp.asarray(labels)))
    return on, torch.from_numpy(images), torch.from_numpy(labels)


def torchvision_mix_labels(labels, lam, classes):
    label = torch.nn.functional.one_hot(labels, num_classes=classes).float()
    return label.roll(1, 0).mul_(1.0 - lam).add_(label.mul(lam))


def test_mixup_matches_torchvision_formula(backend):
    (images, labels), x, y = batch(backend)
    out, soft = seeded(v2.MixUp(alpha=0.7, num_classes=4), images, labels, seed=11)
    assert isinstance(out, xpnet.Tensor) and out.dtype == np.float32 and soft.dtype == np.float32
    lam = float(xpnet.to_numpy(soft)[1, 1])  # labels[1] == 1 != labels[0]: soft[1, 1] is lam
    assert 0.0 < lam < 1.0
    expected = x.roll(1, 0).mul_(1.0 - lam).add_(x.mul(lam))
    np.testing.assert_allclose(xpnet.to_numpy(out), expected.numpy(), rtol=1e-6, atol=1e-7)
    expected_soft = torchvision_mix_labels(y, lam, 4).numpy()
    np.testing.assert_allclose(xpnet.to_numpy(soft), expected_soft, rtol=1e-6, atol=1e-7)
    other = seeded(v2.MixUp(alpha=0.7, num_classes=4), images, labels, seed=12)[1]
    assert float(xpnet.to_numpy(other)[1, 1]) != lam


@pytest.mark.parametrize("seed", [22, 24, 27, 29])  # boxes clipped or not, of several sizes
def test_cutmix_matches_torchvision_formula(backend, seed):
    (images, labels), x, y = batch(backend)
    H, W = 5, 7
    out, soft = seeded(v2.CutMix(num_classes=4), images, labels, seed=seed)
    # torchvision's make_params, in torch, on the same draws in the same order
    generator = xpnet.manual_seed(seed)
    lam = float(generator.beta(1.0, 1.0))
    r_x = torch.tensor([int(generator.integers(W))])
    r_y = torch.tensor([int(generator.integers(H))])
    r = 0.5 * np.sqrt(1.0 - lam)
    x1 = int(torch.clamp(r_x - int(r * W), min=0))
    y1 = int(torch.clamp(r_y - int(r * H), min=0))
    x2 = int(torch.clamp(r_x + int(r * W), max=W))
    y2 = int(torch.clamp(r_y + int(r * H), max=H))
    assert x2 > x1 and y2 > y1
    expected = x.clone()
    expected[..., y1:y2, x1:x2] = x.roll(1, 0)[..., y1:y2, x1:x2]
    np.testing.assert_array_equal(xpnet.to_numpy(out), expected.numpy())
    lam_adjusted = float(1.0 - (x2 - x1) * (y2 - y1) / (W * H))
    expected_soft = torchvision_mix_labels(y, lam_adjusted, 4).numpy()
    np.testing.assert_allclose(xpnet.to_numpy(soft), expected_soft, rtol=1e-6, atol=1e-7)


def test_cutmix_box_sizes_follow_lam():
    images = np.stack([np.zeros((1, 20, 20), np.float32), np.ones((1, 20, 20), np.float32)])
    xpnet.manual_seed(0)
    for _ in range(50):
        out, soft = v2.CutMix(alpha=0.5, num_classes=2)(images, np.array([0, 1]))
        pasted = out[0, 0]  # the ones pasted from image 1 into image 0: a rectangle
        rows, cols = np.nonzero(pasted.any(1))[0], np.nonzero(pasted.any(0))[0]
        if rows.size:
            box = pasted[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
            assert box.all() and box.size == pasted.sum()
        np.testing.assert_allclose(soft[0], [1 - pasted.mean(), pasted.mean()], rtol=1e-6)


def test_mixup_lam_is_beta_distributed():
    alpha, n = 0.4, 2000
    transform = v2.MixUp(alpha=alpha, num_classes=2)
    xpnet.manual_seed(1)
    images, labels = np.zeros((2, 1, 1, 1), np.float32), np.array([0, 1])
    lams = np.array([transform(images, labels)[1][1, 1] for _ in range(n)])
    beta = torch.distributions.Beta(torch.tensor(alpha), torch.tensor(alpha))
    assert abs(lams.mean() - float(beta.mean)) < 0.04
    assert abs(lams.var() - float(beta.variance)) < 0.02


def test_mixup_soft_labels_dicts_and_numpy():
    images = RNG.random((4, 2, 3, 3)).astype(np.float32)
    soft = RNG.random((4, 5)).astype(np.float32)
    out = seeded(v2.MixUp(), {"img": images, "Labels": soft, "ids": [1, 2]}, seed=2)
    assert out["ids"] == [1, 2] and isinstance(out["img"], np.ndarray)
    mixed = torch.from_numpy(soft).roll(1, 0)
    lam_images = (out["img"] - np.roll(images, 1, 0)) / (images - np.roll(images, 1, 0))
    lam = float(np.median(lam_images))
    expected = mixed.mul(1.0 - lam).add_(torch.from_numpy(soft).mul(lam)).numpy()
    np.testing.assert_allclose(out["Labels"], expected, rtol=1e-4, atol=1e-5)
    getter = v2.MixUp(num_classes=3, labels_getter=lambda sample: sample[2])
    result = getter(images, "keep", np.array([0, 1, 2, 0]))
    assert result[1] == "keep" and result[2].shape == (4, 3)


def test_mixup_cutmix_errors():
    images, labels = np.zeros((4, 1, 2, 2), np.float32), np.array([0, 1, 2, 3])
    mixup = v2.MixUp(num_classes=4)
    with pytest.raises(ValueError, match=r"MixUp\(\) does not support PIL images"):
        mixup(PIC, labels)
    with pytest.raises(ValueError, match="second item is a dictionary or a tensor, but got"):
        mixup(images, [0, 1, 2, 3])
    with pytest.raises(ValueError, match="The labels must be a tensor"):
        v2.MixUp(num_classes=4, labels_getter=lambda sample: sample[1])(images, [0, 1, 2, 3])
    with pytest.raises(ValueError, match="labels should be index based"):
        mixup(images, np.zeros((4, 1, 1)))
    with pytest.raises(ValueError, match=r"must match num_classes: 3 != 4"):
        mixup(images, np.zeros((4, 3), np.float32))
    with pytest.raises(ValueError, match="num_classes must be passed"):
        v2.CutMix()(images, labels)
    with pytest.raises(ValueError, match="Expected a batched input with 4 dims, but got 3"):
        mixup(images[0], labels)
    with pytest.raises(ValueError, match=r"does not match the batch size of the labels: 4 != 3"):
        v2.CutMix(num_classes=4)(images, labels[:3])
    with pytest.raises(RuntimeError, match="MixUp: images must be floating point"):
        mixup(images.astype(np.uint8), labels)
    with pytest.raises(ValueError, match="class values must be smaller than num_classes=3"):
        v2.MixUp(num_classes=3)(images, labels)
    with pytest.raises(ValueError, match="alpha must be positive"):
        v2.MixUp(alpha=0.0, num_classes=2)
    with pytest.raises(ValueError, match="labels_getter should either be 'default'"):
        v2.CutMix(num_classes=2, labels_getter="labels")
    assert repr(v2.CutMix(num_classes=10)) == "CutMix(alpha=1.0, num_classes=10)"


def test_tutorial_mix_after_a_loader(backend):
    transform = v2.Compose([v2.ToImage(), v2.ToDtype(xpnet.float32, scale=True)])
    data = FakeData(size=8, image_size=(3, 6, 6), num_classes=5, transform=transform)
    cutmix_or_mixup = v2.RandomChoice([v2.CutMix(num_classes=5), v2.MixUp(num_classes=5)])
    xpnet.manual_seed(0)
    for images, labels in DataLoader(data, batch_size=4):
        mixed, soft = cutmix_or_mixup(images, labels)
        assert mixed.shape == (4, 3, 6, 6) and soft.shape == (4, 5)
        assert type(mixed.array) is type(images.array)  # stays on the loader's backend
        np.testing.assert_allclose(xpnet.to_numpy(soft).sum(1), 1.0, rtol=1e-6)
