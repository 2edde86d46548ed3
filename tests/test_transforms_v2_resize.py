"""v2's resize of uint8 images, PyTorch's integer kernel, against torchvision 0.28's v2 (the
real calls, same inputs): generated sizes up and down, bilinear and bicubic with and without
antialias, Lanczos (uint8 and float), batches, videos, one to five channels, `max_size`; the
transforms that resize (Resize, RandomResizedCrop, RandomResize); and the paths left to v1's
resize (floats, nearest, PIL images, empty images), with v1's errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from _torchvision import import_torchvision
from xpnet.data.transforms.v2 import functional as F

import xpnet
from xpnet.data import transforms_v2_kernels as kernels
from xpnet.data import transforms_v2_resize as R
from xpnet.data import tv_tensors
from xpnet.data.transforms import InterpolationMode as IM
from xpnet.data.transforms import functional as F1
from xpnet.data.transforms import v2

torchvision = import_torchvision()
from torchvision import tv_tensors as tv  # noqa: E402
from torchvision.transforms import functional as T1  # noqa: E402
from torchvision.transforms import v2 as TV  # noqa: E402
from torchvision.transforms.v2 import functional as TF  # noqa: E402

Image = pytest.importorskip("PIL.Image")

MODES = ["bilinear", "bicubic"]


def as_array(out):
    if isinstance(out, xpnet.Tensor):
        return xpnet.to_numpy(out)
    return out.numpy() if isinstance(out, torch.Tensor) else np.asarray(out)


def check_same(ours, theirs):
    actual, expected = as_array(ours), as_array(theirs)
    assert actual.dtype == expected.dtype and actual.shape == expected.shape
    np.testing.assert_array_equal(actual, expected)


def generated_cases(count=40):
    """(image shape, size): sizes up, down and mixed, one side kept, 1 pixel, big ratios."""
    rng = np.random.default_rng(11)
    # (torch 2.13's uint8 kernel fails an internal assert for a 1 x 1 output of 3 channels)
    # (2, 3) -> (98, 47): source indices a float32 rounding below an integer, which PyTorch's
    # floorf takes to that integer
    cases = [((3, 1, 1), [5, 7]), ((3, 9, 9), [2, 1]), ((3, 200, 3), [7, 3]), ((1, 6, 5), [6, 9])]
    cases += [((3, 2, 3), [98, 47]), ((1, 5, 6), [77, 94])]
    for _ in range(count):
        channels = int(rng.choice([1, 3, 4, 5]))
        height, width = (int(v) for v in rng.integers(1, 48, 2))
        size = [int(v) for v in rng.integers(1, 64, 2)]
        cases.append(((channels, height, width), size if rng.random() < 0.8 else size[:1]))
    return cases


@pytest.mark.parametrize("antialias", [True, False])
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(("shape", "size"), generated_cases(), ids=str)
def test_uint8_resize_matches_torchvision_v2(shape, size, mode, antialias):
    image = np.random.default_rng(sum(shape)).integers(0, 256, shape, dtype=np.uint8)
    interpolation = TV.InterpolationMode(mode)
    expected = TF.resize(torch.from_numpy(image), size, interpolation, antialias=antialias)
    check_same(F.resize(image, size, IM(mode), antialias=antialias), expected)
    check_same(
        kernels.resize_image(xpnet.Tensor(image), size, IM(mode), antialias=antialias), expected
    )


@pytest.mark.parametrize(("shape", "size"), generated_cases(12), ids=str)
def test_lanczos_matches_torchvision_v2(shape, size):
    rng = np.random.default_rng(sum(shape))
    image = rng.integers(0, 256, shape, dtype=np.uint8)
    expected = TF.resize(torch.from_numpy(image), size, TV.InterpolationMode.LANCZOS)
    check_same(F.resize(image, size, IM.LANCZOS), expected)  # the integer kernel
    floats = rng.random(shape, dtype=np.float32)
    expected = TF.resize(torch.from_numpy(floats), size, TV.InterpolationMode.LANCZOS).numpy()
    if expected.shape[-1] > 1:  # torch 2.13's float resize to 1 column repeats its first row
        np.testing.assert_allclose(F.resize(floats, size, IM.LANCZOS), expected, atol=1e-6)


def test_lanczos_needs_antialias_and_is_v2_only_for_tensors():
    image = np.zeros((3, 6, 6), np.uint8)
    lanczos = TV.InterpolationMode.LANCZOS
    cases = [  # v2 refuses it without antialias; v1 never antialiases it, so interpolate refuses
        (lambda: F.resize(image, [3, 3], IM.LANCZOS, antialias=False),
         lambda: TF.resize(torch.from_numpy(image), [3, 3], lanczos, antialias=False)),
        (lambda: F1.resize(image, [3, 3], IM.LANCZOS),
         lambda: T1.resize(torch.from_numpy(image), [3, 3], lanczos)),
    ]  # fmt: skip
    for ours, theirs in cases:
        with pytest.raises(ValueError) as expected:
            theirs()
        with pytest.raises(ValueError) as got:
            ours()
        assert str(got.value) == str(expected.value)


@pytest.mark.parametrize("mode", MODES)
def test_batches_videos_and_max_size_match_torchvision_v2(mode):
    rng = np.random.default_rng(3)
    batch = rng.integers(0, 256, (2, 3, 17, 23), dtype=np.uint8)
    interpolation = TV.InterpolationMode(mode)
    expected = TF.resize(torch.from_numpy(batch), [9], interpolation, max_size=12)
    check_same(F.resize(batch, [9], IM(mode), max_size=12), expected)
    video = rng.integers(0, 256, (4, 3, 15, 11), dtype=np.uint8)
    out = F.resize(tv_tensors.Video(video), [20, 6], IM(mode))
    expected = TF.resize(tv.Video(torch.from_numpy(video)), [20, 6], interpolation)
    assert type(out) is tv_tensors.Video
    check_same(out.array, expected.as_subclass(torch.Tensor))


def test_transforms_that_resize_match_torchvision_v2():
    image = np.random.default_rng(5).integers(0, 256, (3, 30, 41), dtype=np.uint8)
    ours, theirs = tv_tensors.Image(image), tv.Image(torch.from_numpy(image))
    for new, old in [
        (v2.Resize(13), TV.Resize(13)),
        (v2.Resize([50, 17], antialias=False), TV.Resize([50, 17], antialias=False)),
    ]:
        check_same(new(ours).array, old(theirs).as_subclass(torch.Tensor))
    crop = (3, 5, 20, 22)
    out = v2.RandomResizedCrop(16).transform(ours, {"crop": crop})
    their_params = dict(zip(["top", "left", "height", "width"], crop, strict=True))
    expected = TV.RandomResizedCrop(16).transform(theirs, their_params)
    check_same(out.array, expected.as_subclass(torch.Tensor))
    out = v2.RandomResize(10, 20).transform(ours, {"size": [17]})
    expected = TV.RandomResize(10, 20).transform(theirs, {"size": [17]})
    check_same(out.array, expected.as_subclass(torch.Tensor))
    args = (2, 4, 19, 25, [11, 12])
    check_same(F.resized_crop(ours, *args).array, TF.resized_crop(theirs, *args))


def test_uint8_resize_differs_from_v1_where_torchvision_v2_does():
    image = np.random.default_rng(8).integers(0, 256, (3, 31, 29), dtype=np.uint8)
    ours, v1_result = F.resize(image, [13, 47]), F1.resize(image, [13, 47])
    np.testing.assert_array_equal(ours, TF.resize(torch.from_numpy(image), [13, 47]).numpy())
    assert (ours != v1_result).mean() > 0.05  # v1 resizes float32 and rounds


@pytest.mark.parametrize(
    ("image", "mode"),
    [
        (np.random.default_rng(1).random((3, 9, 7), dtype=np.float32), "bilinear"),
        (np.random.default_rng(2).integers(0, 256, (3, 9, 7), dtype=np.uint8), "nearest"),
        (np.random.default_rng(3).integers(0, 256, (3, 9, 7)).astype(np.int16), "bicubic"),
    ],
    ids=["float32", "nearest", "int16"],
)
def test_other_images_take_v1s_resize(image, mode):
    np.testing.assert_array_equal(
        F.resize(image, [5, 4], IM(mode)), F1.resize(image, [5, 4], IM(mode))
    )


def test_empty_images_are_refused_as_torch_refuses_them():
    for image, size in [(np.zeros((3, 0, 7), np.uint8), [5, 4]), (np.zeros((3, 4, 7)), [0, 4])]:
        with pytest.raises(RuntimeError, match=r"sizes should be greater than 0, but got input"):
            F.resize(image, size)  # v1's error (tests/test_transforms.py), for uint8 too


def test_pil_images_and_errors_are_v1s():
    picture = Image.fromarray(np.random.default_rng(4).integers(0, 256, (9, 7, 3), dtype=np.uint8))
    np.testing.assert_array_equal(
        np.asarray(F.resize(picture, [5, 4])), np.asarray(F1.resize(picture, [5, 4]))
    )
    image = np.zeros((3, 6, 6), np.uint8)
    for size, max_size in [([1, 2, 3], None), ([4, 4], 8), (None, None)]:
        with pytest.raises(ValueError) as expected:
            F1.resize(image, size, max_size=max_size)
        with pytest.raises(ValueError) as got:
            F.resize(image, size, max_size=max_size)
        assert str(got.value) == str(expected.value)
    assert F.resize(image, [6, 6]) is image


def test_integer_taps_use_the_most_precision_that_fits_int16():
    first, weights, precision = R.integer_taps(40, 7, "bilinear", True)
    assert weights.max() < 2**15 <= round(weights.max() / weights.max() * 2 * weights.max())
    assert np.abs(weights.sum(axis=1) - 2**precision).max() <= weights.shape[1]
    assert first.tolist() == sorted(first.tolist()) and first[0] == 0
