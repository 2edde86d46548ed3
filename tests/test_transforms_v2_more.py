"""torchvision v2's ``GaussianNoise``, ``RandomChannelPermutation``, ``RandomPhotometricDistort``,
``LinearTransformation``, ``FiveCrop``, ``TenCrop`` and ``JPEG``: torchvision's formulas
re-computed in torch (torchvision is not installed here) on the draws replayed from xpnet's host
generator in torchvision's order, Pillow's JPEG round trip, the argument checks and the reprs."""

from __future__ import annotations

import io

import numpy as np
import pytest
import torch
from xpnet.data.transforms.v2 import functional as F2

import xpnet
from xpnet.data import transforms as T
from xpnet.data.transforms import v2

Image = pytest.importorskip("PIL.Image")

RNG = np.random.default_rng(21)
HWC = RNG.integers(0, 256, (10, 12, 3), dtype=np.uint8)
CHW = np.ascontiguousarray(HWC.transpose(2, 0, 1))
PIC = Image.fromarray(HWC)


def seeded(transform, *inputs, seed):
    xpnet.manual_seed(seed)
    return transform(*inputs)


def host(x):
    return xpnet.to_numpy(x) if isinstance(x, xpnet.Tensor) else np.asarray(x)


# ------------------------------------------------------------------------- GaussianNoise


@pytest.mark.parametrize("dtype, clip", [("float32", True), ("float64", False)])
def test_gaussian_noise_matches_torchvision_formula(backend, dtype, clip):
    image = RNG.random((3, 6, 7)).astype(dtype)
    inpt = xpnet.tensor(backend.xp.asarray(image))
    out, label = seeded(v2.GaussianNoise(mean=0.2, sigma=0.3, clip=clip), inpt, 4, seed=5)
    generator = xpnet.manual_seed(5)
    noise = torch.from_numpy(generator.standard_normal(image.shape, dtype=np.dtype(dtype)))
    expected = torch.from_numpy(image) + (0.2 + noise * 0.3)  # torchvision's, randn replayed
    expected = expected.clamp(0, 1) if clip else expected
    assert isinstance(out, xpnet.Tensor) and out.dtype == np.dtype(dtype) and label == 4
    assert type(out.array) is type(inpt.array)  # stays on its backend
    np.testing.assert_array_equal(host(out), expected.numpy())
    assert (host(out) < 0).any() != clip


def test_gaussian_noise_errors_and_repr():
    with pytest.raises(ValueError, match="expected to be in float dtype, got dtype=uint8"):
        v2.GaussianNoise()(CHW)
    with pytest.raises(ValueError, match="sigma shouldn't be negative. Got -1"):
        v2.GaussianNoise(sigma=-1)(CHW / 255.0)
    with pytest.raises(ValueError, match="not implemented for PIL images"):
        v2.GaussianNoise()(PIC)
    assert repr(v2.GaussianNoise()) == "GaussianNoise(mean=0.0, sigma=0.1, clip=True)"


# --------------------------------------------------------------------- channel permutation


def test_random_channel_permutation_matches_torch_indexing():
    for seed in range(5):
        out, label = seeded(v2.RandomChannelPermutation(), CHW, "x", seed=seed)
        permutation = torch.from_numpy(xpnet.manual_seed(seed).permutation(3))
        np.testing.assert_array_equal(out, torch.from_numpy(CHW)[permutation].numpy())
        picture = seeded(v2.RandomChannelPermutation(), PIC, seed=seed)
        np.testing.assert_array_equal(np.asarray(picture), HWC[:, :, permutation.numpy()])
    assert repr(v2.RandomChannelPermutation()) == "RandomChannelPermutation()"
    with pytest.raises(ValueError, match="does not match number of channels: 2 != 3"):
        F2.permute_channels(CHW, [1, 0])


# --------------------------------------------------------------- RandomPhotometricDistort


def torchvision_distort_params(generator, p, channels):
    """torchvision's ``make_params``, its draws replayed in its order."""
    ranges = [(0.875, 1.125), (0.5, 1.5), (0.5, 1.5), (-0.05, 0.05)]
    factors = [generator.uniform(*r) if generator.random() < p else None for r in ranges]
    contrast_before = generator.random() < 0.5
    permutation = generator.permutation(channels) if generator.random() < p else None
    return factors, contrast_before, permutation


def test_random_photometric_distort_draws_and_applies_in_torchvision_order():
    transform = v2.RandomPhotometricDistort()
    seen = set()
    for seed in range(40):
        out = seeded(transform, CHW, seed=seed)
        (b, c, s, h), before, permutation = torchvision_distort_params(
            xpnet.manual_seed(seed), 0.5, 3
        )
        expected = CHW
        expected = expected if b is None else T.functional.adjust_brightness(expected, b)
        expected = (
            expected if c is None or not before else T.functional.adjust_contrast(expected, c)
        )
        expected = expected if s is None else T.functional.adjust_saturation(expected, s)
        expected = expected if h is None else T.functional.adjust_hue(expected, h)
        expected = expected if c is None or before else T.functional.adjust_contrast(expected, c)
        if permutation is not None:
            expected = torch.from_numpy(expected)[torch.from_numpy(permutation)].numpy()
        np.testing.assert_array_equal(out, expected)
        seen.add((c is None, bool(before), permutation is None))
    assert len(seen) == 8  # every branch taken
    picture = seeded(transform, PIC, seed=3)  # PIL: the same draws, Pillow's colour functions
    assert np.asarray(picture).shape == HWC.shape
    assert repr(transform) == (
        "RandomPhotometricDistort(brightness=(0.875, 1.125), contrast=(0.5, 1.5), "
        "hue=(-0.05, 0.05), saturation=(0.5, 1.5), p=0.5)"
    )


def test_random_photometric_distort_p_one_always_changes_everything():
    out = seeded(v2.RandomPhotometricDistort(p=1.0, brightness=(2.0, 2.0)), CHW, seed=0)
    assert not np.array_equal(out, CHW)
    assert seeded(v2.RandomPhotometricDistort(p=0.0), CHW, seed=0) is CHW


# ------------------------------------------------------------------- LinearTransformation


def test_linear_transformation_matches_torch(backend):
    image = RNG.random((2, 3, 4))
    matrix, mean = RNG.random((24, 24)), RNG.random(24)
    on = [xpnet.tensor(backend.xp.asarray(a)) for a in (image, matrix, mean)]
    out, label = v2.LinearTransformation(on[1], on[2])(on[0], 2)
    expected = (torch.from_numpy(image).reshape(-1, 24) - torch.from_numpy(mean)) @ (
        torch.from_numpy(matrix)
    )
    np.testing.assert_allclose(host(out), expected.reshape(2, 3, 4).numpy(), rtol=1e-12)
    assert label == 2 and repr(v2.LinearTransformation(matrix, mean)) == "LinearTransformation()"


def test_linear_transformation_errors():
    eye = np.eye(24)
    with pytest.raises(ValueError, match=r"should be square. Got \(24, 23\) rectangular"):
        v2.LinearTransformation(eye[:, :23], np.zeros(24))
    with pytest.raises(ValueError, match=r"should have the same length 23 as any one"):
        v2.LinearTransformation(eye, np.zeros(23))
    with pytest.raises(ValueError, match="same dtype. Got float64 and float32"):
        v2.LinearTransformation(eye, np.zeros(24, np.float32))
    with pytest.raises(TypeError, match=r"LinearTransformation\(\) does not support PIL"):
        v2.LinearTransformation(eye, np.zeros(24))(PIC)
    with pytest.raises(ValueError, match=r"incompatible shape.\[3 x 10 x 12\] != 24"):
        v2.LinearTransformation(eye, np.zeros(24))(CHW)


# ------------------------------------------------------------------- FiveCrop and TenCrop


def torch_five_crop(image, h, w):
    H, W = image.shape[-2:]
    top, left = int(round((H - h) / 2.0)), int(round((W - w) / 2.0))
    corners = [(0, 0), (0, W - w), (H - h, 0), (H - h, W - w), (top, left)]
    return [image[..., i : i + h, j : j + w] for i, j in corners]


@pytest.mark.parametrize("size, hw", [(4, (4, 4)), ([5], (5, 5)), ((3, 7), (3, 7))])
def test_five_and_ten_crop_match_torch_slicing(size, hw):
    crops, label = v2.FiveCrop(size)(CHW, 8)
    expected = torch_five_crop(torch.from_numpy(CHW), *hw)
    assert label == 8 and len(crops) == 5
    for crop, want in zip(crops, expected, strict=True):
        np.testing.assert_array_equal(crop, want.numpy())
    for vertical in (False, True):
        crops = v2.TenCrop(size, vertical_flip=vertical)(xpnet.tensor(CHW))
        flipped = torch.from_numpy(CHW).flip(-2 if vertical else -1)
        want = expected + torch_five_crop(flipped, *hw)
        assert len(crops) == 10 and all(isinstance(c, xpnet.Tensor) for c in crops)
        for crop, w in zip(crops, want, strict=True):
            np.testing.assert_array_equal(host(crop), w.numpy())
    pictures = v2.FiveCrop(size)(PIC)
    for picture, want in zip(pictures, torch_five_crop(torch.from_numpy(CHW), *hw), strict=True):
        np.testing.assert_array_equal(np.asarray(picture), want.permute(1, 2, 0).numpy())


def test_five_crop_errors_and_reprs():
    with pytest.raises(ValueError, match=r"Requested crop size \(11, 4\) is bigger than input"):
        v2.FiveCrop((11, 4))(CHW)
    with pytest.raises(ValueError, match=r"Please provide only two dimensions \(h, w\)"):
        v2.TenCrop([1, 2, 3])
    assert repr(v2.FiveCrop(4)) == "FiveCrop(size=(4, 4))"
    assert repr(v2.TenCrop([3, 4])) == "TenCrop(size=[3, 4], vertical_flip=False)"


# ---------------------------------------------------------------------------------- JPEG


def pillow_round_trip(picture, quality):
    raw = io.BytesIO()
    picture.save(raw, format="JPEG", quality=quality)
    return np.asarray(Image.open(raw))


def test_jpeg_is_pillows_round_trip_at_the_drawn_quality():
    transform = v2.JPEG((5, 95))
    for seed in range(4):
        out, label = seeded(transform, CHW, 1, seed=seed)
        quality = int(xpnet.manual_seed(seed).integers(5, 96))
        expected = pillow_round_trip(PIC, quality)
        np.testing.assert_array_equal(out, expected.transpose(2, 0, 1))
        assert label == 1 and not np.array_equal(out, CHW)
        picture = seeded(transform, PIC, seed=seed)
        np.testing.assert_array_equal(np.asarray(picture), expected)
        assert type(picture) is Image.Image
    gray = F2.jpeg(xpnet.tensor(np.stack([CHW[:1], CHW[1:2]])), 50)  # (2, 1, H, W)
    assert gray.shape == (2, 1, 10, 12) and isinstance(gray, xpnet.Tensor)
    np.testing.assert_array_equal(
        host(gray)[1, 0], pillow_round_trip(Image.fromarray(HWC[..., 1]), 50)
    )


def test_jpeg_errors_and_repr():
    with pytest.raises(TypeError, match="quality can't be bool"):
        v2.JPEG(True)
    with pytest.raises(ValueError, match="quality must be an integer from 1 to 100"):
        v2.JPEG(0)
    with pytest.raises(ValueError, match="quality must be an integer from 1 to 100"):
        v2.JPEG((50, 40))
    with pytest.raises(ValueError, match="quality should be a sequence of length 2"):
        v2.JPEG((1, 2, 3))
    with pytest.raises(ValueError, match="dtype should be uint8, but got float64"):
        v2.JPEG(50)(CHW / 255.0)
    with pytest.raises(ValueError, match="number of channels should be 1 or 3"):
        v2.JPEG(50)(np.zeros((2, 4, 4), np.uint8))
    assert repr(v2.JPEG(50)) == "JPEG(quality=[50, 50])"
