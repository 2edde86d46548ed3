"""v2's equalize and posterize, which take images of any dtype, and autocontrast, whose
formula differs from v1's, against torchvision 0.28's (the real calls, same inputs): every
integer and float dtype, batches, videos, empty images, PIL images, the random transforms,
and the errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from _torchvision import import_torchvision
from xpnet.data.transforms.v2 import functional as F

import xpnet
from xpnet.data import transforms_v2_kernels as kernels
from xpnet.data import tv_tensors
from xpnet.data.transforms import v2

torchvision = import_torchvision()
from torchvision import tv_tensors as tv  # noqa: E402
from torchvision.transforms import v2 as TV  # noqa: E402
from torchvision.transforms.v2 import functional as TF  # noqa: E402

DTYPES = ["uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64"]


def image_of(dtype, shape=(3, 9, 7), seed=0):
    """Values over the dtype's whole image range ([0, 1] for floats, [0, max] for integers),
    with repeats, so that histograms and bit masks have work to do."""
    rng = np.random.default_rng(seed)
    if np.dtype(dtype).kind == "f":
        values = rng.integers(0, 41, shape) / 40  # 0, 1/40, ..., 1: ties at the bins' edges
    else:
        values = rng.integers(0, 17, shape) * (np.iinfo(dtype).max // 16)
    return values.astype(dtype)


def check_same(ours, theirs):
    expected = theirs.numpy() if isinstance(theirs, torch.Tensor) else np.asarray(theirs)
    actual = xpnet.to_numpy(ours) if isinstance(ours, xpnet.Tensor) else np.asarray(ours)
    assert actual.dtype == expected.dtype
    np.testing.assert_array_equal(actual, expected)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(3, 9, 7), (2, 1, 5, 6), (9, 7)], ids=str)
def test_equalize_matches_torchvision(dtype, shape):
    image = image_of(dtype, shape)
    expected = TF.equalize(torch.from_numpy(image))
    check_same(F.equalize(image), expected)
    check_same(F.equalize(xpnet.Tensor(image)), expected)
    check_same(kernels.equalize_image(image), expected)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("bits", range(9))
def test_posterize_matches_torchvision(dtype, bits):
    image = image_of(dtype, seed=bits)
    expected = TF.posterize(torch.from_numpy(image), bits)
    check_same(F.posterize(image, bits), expected)
    check_same(kernels.posterize_image(xpnet.Tensor(image), bits), expected)


@pytest.mark.parametrize("dtype", ["int8", "int16", "int64"])
def test_posterize_negative_integers(dtype):
    image = -image_of(dtype)  # the value bits of negative integers, sign bit cleared
    for bits in range(9):
        check_same(F.posterize(image, bits), TF.posterize(torch.from_numpy(image), bits))


def test_posterize_floats_outside_the_range_and_not_finite():
    image = np.array([[[-0.5, 1.0, 1.5, np.inf, -np.inf, np.nan, 0.999]]], np.float32)
    for bits in (0, 3, 8):
        check_same(F.posterize(image, bits), TF.posterize(torch.from_numpy(image), bits))


@pytest.mark.parametrize("dtype", [*DTYPES[:5], "float16", "float32", "float64"])
@pytest.mark.parametrize("shape", [(3, 9, 7), (2, 1, 5, 6), (1, 2, 4)], ids=str)
def test_autocontrast_matches_torchvision_v2(dtype, shape):
    image = image_of(dtype, shape)
    if shape == (1, 2, 4):
        image[...] = image.flat[0]  # a constant channel is kept
    expected = TF.autocontrast(torch.from_numpy(image))
    check_same(F.autocontrast(image), expected)
    check_same(kernels.autocontrast_image(xpnet.Tensor(image)), expected)


def test_autocontrast_rounds_as_v2_not_v1():
    image = np.array([[[50, 100, 150]]], np.uint8)
    check_same(F.autocontrast(image), TF.autocontrast(torch.from_numpy(image)))  # 254
    assert (
        F.autocontrast(image).tolist()
        != torchvision.transforms.functional.autocontrast(torch.from_numpy(image)).tolist()
    )
    floats = np.array([[[-0.5, 0.2, np.nan]], [[0.1, np.inf, 0.3]], [[0.0, 0.5, 2.0]]], np.float32)
    check_same(F.autocontrast(floats), TF.autocontrast(torch.from_numpy(floats)))


def test_autocontrast_errors():
    two = np.zeros((2, 4, 4), np.uint8)
    with pytest.raises(TypeError) as expected:
        TF.autocontrast(torch.from_numpy(two))
    with pytest.raises(TypeError, match=str(expected.value)):
        F.autocontrast(two)
    with pytest.raises(IndexError):  # torchvision indexes a missing channel axis
        TF.autocontrast(torch.zeros(4, 4, dtype=torch.uint8))
    with pytest.raises(TypeError, match="should have at least 3 dimensions, but found 2"):
        F.autocontrast(np.zeros((4, 4), np.uint8))  # a clear error instead


@pytest.mark.parametrize("name", ["equalize", "posterize", "autocontrast"])
def test_images_videos_and_empty_images_keep_their_types(name):
    args = (3,) if name == "posterize" else ()
    image = image_of("float32", (2, 3, 6, 5))
    for ours, theirs in [
        (tv_tensors.Image(image[0]), tv.Image(torch.from_numpy(image[0]))),
        (tv_tensors.Video(image), tv.Video(torch.from_numpy(image))),
    ]:
        output, expected = getattr(F, name)(ours, *args), getattr(TF, name)(theirs, *args)
        assert type(output).__name__ == type(expected).__name__
        check_same(output, expected)
        video_kernel = getattr(kernels, f"{name}_video")
        check_same(video_kernel(ours, *args), expected)
    empty = np.zeros((3, 0, 4), np.float32)
    check_same(getattr(F, name)(empty, *args), getattr(TF, name)(torch.from_numpy(empty), *args))


@pytest.mark.parametrize("name", ["equalize", "posterize", "autocontrast"])
def test_pil_images_take_the_v1_path(name):
    pil = pytest.importorskip("PIL.Image")
    args = (3,) if name == "posterize" else ()
    image = pil.fromarray(image_of("uint8", (9, 7, 3)))
    check_same(getattr(F, name)(image, *args), getattr(TF, name)(image, *args))


@pytest.mark.parametrize(
    "call",
    [
        lambda f, x: f.posterize(x, 9),
        lambda f, x: f.posterize(x, -1),
        lambda f, x: f.posterize(x, 2.0),
        lambda f, x: f.posterize(x.to(torch.uint32) if isinstance(x, torch.Tensor) else
                                 x.astype(np.uint32), 3),
    ],
    ids=["bits-9", "bits-negative", "bits-float", "uint32"],
)  # fmt: skip
def test_errors_are_torchvisions(call):
    image = image_of("uint8")
    with pytest.raises(Exception) as expected:
        call(TF, torch.from_numpy(image))
    with pytest.raises(type(expected.value)) as actual:
        call(F, image)
    assert str(actual.value) == str(expected.value).replace("torch.", "")


@pytest.mark.parametrize("dtype", ["uint8", "int16", "float32"])
def test_random_transforms_apply_v2s_kernels(dtype):
    image = image_of(dtype)
    for ours, theirs in [
        (v2.RandomEqualize(p=1.0), TV.RandomEqualize(p=1.0)),
        (v2.RandomPosterize(2, p=1.0), TV.RandomPosterize(2, p=1.0)),
        (v2.RandomAutocontrast(p=1.0), TV.RandomAutocontrast(p=1.0)),
    ]:
        output = ours(tv_tensors.Image(image))
        assert type(output) is tv_tensors.Image
        check_same(output, theirs(tv.Image(torch.from_numpy(image))))
    unchanged = v2.RandomEqualize(p=0.0)(image)
    check_same(unchanged, image)


def test_solarize_compares_integers_in_float32_as_torch():
    threshold = 255 * float(np.float32(2 / 3))  # 170.000005, float32 170.0
    image = np.array([[[169, 170, 171]]], np.uint8)
    expected = TF.solarize(torch.from_numpy(image), threshold).numpy()
    assert expected.tolist() == [[[169, 85, 84]]]
    check_same(F.solarize(image, threshold), expected)
    check_same(xpnet.data.transforms.functional.solarize(image, threshold), expected)  # v1
    wide = np.array([[[2**24 + 1]]], np.int32)  # float32 rounds it down to 2**24
    expected = TF.solarize(torch.from_numpy(wide), 2.0**24 + 0.5)
    check_same(F.solarize(wide, 2.0**24 + 0.5), expected)
