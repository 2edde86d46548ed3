"""v2's colour kernels that round as torchvision v2's (grayscale, contrast, saturation,
sharpness, hue) against torchvision 0.28's v2 kernels (the real calls, same inputs): integer
images exactly, float images within an ulp, every shape the kernels take, PIL images, the
errors; then the v2 transforms built on them (ColorJitter, Grayscale, RandomGrayscale,
RandomAdjustSharpness, RandomPhotometricDistort) with the same parameters."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from _torchvision import import_torchvision
from xpnet.data.transforms.v2 import functional as F

import xpnet
from xpnet.data import transforms_v2_blend as B
from xpnet.data import transforms_v2_kernels as kernels
from xpnet.data import tv_tensors
from xpnet.data.transforms import functional as F1
from xpnet.data.transforms import v2

torchvision = import_torchvision()
from torchvision import tv_tensors as tv  # noqa: E402
from torchvision.transforms import functional as T1  # noqa: E402
from torchvision.transforms import v2 as TV  # noqa: E402
from torchvision.transforms.v2 import functional as TF  # noqa: E402

Image = pytest.importorskip("PIL.Image")

DTYPES = ["uint8", "int16", "float32", "float64", "float16"]
SHAPES = [(3, 9, 11), (1, 9, 11), (2, 3, 8, 7), (2, 2, 3, 5, 6), (3, 2, 7), (3, 0, 4)]
FACTORS = {
    "adjust_contrast": [0.0, 0.4, 1.0, 1.7, 9.0],
    "adjust_saturation": [0.0, 0.4, 1.0, 1.7, 9.0],
    "adjust_sharpness": [0.0, 0.4, 1.0, 1.7, 9.0],
    "adjust_hue": [-0.5, -0.21, 0.0, 0.13, 0.5],
}


def image_of(dtype, shape, seed=0):
    rng = np.random.default_rng(seed)
    if np.dtype(dtype).kind == "f":
        return rng.random(shape).astype(dtype)
    return rng.integers(0, np.iinfo(dtype).max, shape, endpoint=True).astype(dtype)


def check_same(ours, theirs, gain=1.0):
    """Integer images exactly; float ones within a few ulps of the values times ``gain``
    (a blend factor amplifies its operands' rounding: float16's grayscale can be an ulp off)."""
    expected = theirs.numpy() if isinstance(theirs, torch.Tensor) else np.asarray(theirs)
    actual = xpnet.to_numpy(ours) if isinstance(ours, xpnet.Tensor) else np.asarray(ours)
    assert actual.dtype == expected.dtype and actual.shape == expected.shape
    if actual.dtype.kind == "f":  # fused multiply-adds of float64, sums in another order
        tolerance = (2e-3 if actual.dtype == np.float16 else 1e-6) * max(1.0, abs(gain))
        np.testing.assert_allclose(actual, expected, rtol=tolerance, atol=tolerance)
    else:
        np.testing.assert_array_equal(actual, expected)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("name", list(FACTORS))
def test_kernels_match_torchvision_v2(name, shape, dtype):
    if dtype == "float16" and name == "adjust_sharpness":
        pytest.skip("torchvision's conv2d has no float16 CPU kernel")
    for seed, factor in enumerate(FACTORS[name]):
        image = image_of(dtype, shape, seed)
        expected = getattr(TF, name)(torch.from_numpy(image), factor)
        check_same(getattr(F, name)(image, factor), expected, factor)
        ours = getattr(kernels, f"{name}_image")(xpnet.Tensor(image), factor)
        check_same(ours, expected, factor)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(3, 9, 11), (1, 9, 11), (2, 3, 8, 7), (3, 0, 4)], ids=str)
@pytest.mark.parametrize("channels", [1, 3])
def test_rgb_to_grayscale_matches_torchvision_v2(shape, dtype, channels):
    image = image_of(dtype, shape)
    expected = TF.rgb_to_grayscale(torch.from_numpy(image), channels)
    check_same(F.rgb_to_grayscale(image, channels), expected)
    check_same(B.rgb_to_grayscale_image(xpnet.Tensor(image), channels), expected)


# colours whose v2 grayscale (fused multiply-adds) truncates one unit above v1's: 21 of the
# 2**24, found by computing both on every colour
ROUNDED_APART = [[20, 152, 7], [40, 244, 244], [40, 252, 80], [110, 111, 26], [140, 160, 81]]


def colour_cube(step):
    """Every colour on a grid of ``step`` (and the colours above), as a (3, 1, n) uint8 image."""
    axis = np.arange(0, 256, step)
    cube = np.stack(np.meshgrid(axis, axis, axis, indexing="ij")).reshape(3, 1, -1)
    extra = np.array(ROUNDED_APART).T[:, None, :]
    return np.concatenate([cube, extra], axis=2).astype(np.uint8)


@pytest.mark.parametrize("hue", [0.13, -0.21, 0.5])
def test_hue_of_a_colour_cube_matches_torchvision_v2(hue):
    image = colour_cube(3)  # 636,056 colours: v1's HSV formulas differ on ~1 in 10**5
    check_same(F.adjust_hue(image, hue), TF.adjust_hue(torch.from_numpy(image), hue))


def test_grayscale_of_colours_rounded_apart_matches_torchvision_v2():
    image = colour_cube(51)
    expected = TF.rgb_to_grayscale(torch.from_numpy(image)).numpy()
    np.testing.assert_array_equal(F.rgb_to_grayscale(image), expected)
    out = v2.Grayscale()(tv_tensors.Image(image))
    np.testing.assert_array_equal(out.array, expected)
    v1_gray = F1.rgb_to_grayscale(image)  # v1's, as torchvision v1's: one unit below
    assert (v1_gray[0, 0, -5:] == expected[0, 0, -5:] - 1).all()


def test_fused_multiply_add_rounds_once_as_torch():
    rng = np.random.default_rng(0)
    x, y = (rng.random(20000).astype(np.float32) for _ in range(2))
    fused = B.fused_multiply_add(x, 0.587, y)
    expected = torch.from_numpy(x.copy()).add_(torch.from_numpy(y), alpha=0.587).numpy()
    np.testing.assert_array_equal(fused, expected)
    twice = x + np.float32(0.587) * y  # two roundings: v1's formulas
    assert (twice != expected).sum() > 100


def test_integer_images_differ_from_v1_where_torchvision_v2_does():
    image = image_of("uint8", (3, 40, 40), seed=4)
    for name, factor in [("adjust_sharpness", 0.3), ("adjust_saturation", 1.495)]:
        expected = getattr(TF, name)(torch.from_numpy(image), factor).numpy()
        np.testing.assert_array_equal(getattr(F, name)(image, factor), expected)
        v1_result = getattr(F1, name)(image, factor)  # v1's roundings, as torchvision v1's
        np.testing.assert_array_equal(v1_result, getattr(T1, name)(torch.from_numpy(image), factor))
        assert (v1_result != expected).any(), name


@pytest.mark.parametrize("name", [*FACTORS, "rgb_to_grayscale"])
def test_pil_images_take_v1s_pil_path(name):
    rgb = image_of("uint8", (9, 11, 3))
    picture = Image.fromarray(rgb)
    argument = 1 if name == "rgb_to_grayscale" else FACTORS[name][1]
    expected = getattr(TF, name)(picture, argument)
    out = getattr(F, name)(picture, argument)
    assert isinstance(out, Image.Image)
    np.testing.assert_array_equal(np.asarray(out), np.asarray(expected))


@pytest.mark.parametrize(
    ("name", "argument", "image"),
    [
        ("adjust_contrast", -0.1, (3, 4, 4)),
        ("adjust_saturation", -1.0, (3, 4, 4)),
        ("adjust_sharpness", -0.5, (3, 4, 4)),
        ("adjust_hue", 0.6, (3, 4, 4)),
        ("adjust_contrast", 1.0, (2, 4, 4)),
        ("adjust_saturation", 1.0, (4, 4, 4)),
        ("adjust_hue", 0.1, (2, 4, 4)),
        ("rgb_to_grayscale", 2, (3, 4, 4)),
    ],
)
def test_errors_match_torchvision_v2(name, argument, image):
    image = np.zeros(image, np.uint8)
    with pytest.raises(Exception) as expected:
        getattr(TF, name)(torch.from_numpy(image), argument)
    with pytest.raises(expected.type) as got:
        getattr(F, name)(image, argument)
    assert str(got.value) == str(expected.value)


def test_sharpness_refuses_two_channels_and_too_few_dimensions():
    with pytest.raises(TypeError, match="1 or 3, but found 2"):
        F.adjust_sharpness(np.zeros((2, 4, 4), np.uint8), 1.0)
    with pytest.raises(TypeError, match="found 1"):  # torchvision: a ValueError (unpacking)
        F.adjust_sharpness(np.zeros((4, 4), np.uint8), 1.0)


def check_image_and_video(ours_transform, their_transform, seed=0):
    image = image_of("uint8", (3, 10, 12), seed)
    video = image_of("uint8", (2, 3, 10, 12), seed + 1)
    for ours, theirs in [
        (tv_tensors.Image(image), tv.Image(torch.from_numpy(image))),
        (tv_tensors.Video(video), tv.Video(torch.from_numpy(video))),
    ]:
        out, expected = ours_transform(ours), their_transform(theirs)
        assert type(out).__name__ == type(expected).__name__
        check_same(out.array, expected.as_subclass(torch.Tensor))


@pytest.mark.parametrize("seed", range(4))
def test_color_jitter_with_torchvisions_parameters(seed):
    rng = np.random.default_rng(seed)
    order = rng.permutation(4).tolist()
    factors = [float(rng.uniform(0.3, 1.7)) for _ in range(3)] + [float(rng.uniform(-0.4, 0.4))]
    ours, theirs = v2.ColorJitter(0.5, 0.5, 0.5, 0.4), TV.ColorJitter(0.5, 0.5, 0.5, 0.4)
    names = ["brightness_factor", "contrast_factor", "saturation_factor", "hue_factor"]
    their_params = {"fn_idx": torch.tensor(order), **dict(zip(names, factors, strict=True))}
    check_image_and_video(
        lambda x: ours.transform(x, {"order": order, "factors": factors}),
        lambda x: theirs.transform(x, their_params),
        seed,
    )


@pytest.mark.parametrize("channels", [1, 3])
def test_grayscale_transforms_as_torchvision_v2(channels):
    image = image_of("uint8", (3, 10, 12), 5)
    expected = TV.Grayscale(channels)(tv.Image(torch.from_numpy(image)))
    out = v2.Grayscale(channels)(tv_tensors.Image(image))
    check_same(out.array, expected.as_subclass(torch.Tensor))
    out = v2.RandomGrayscale(p=1.0)(tv_tensors.Image(image))
    expected = TV.RandomGrayscale(p=1.0)(tv.Image(torch.from_numpy(image)))
    check_same(out.array, expected.as_subclass(torch.Tensor))


def test_random_adjust_sharpness_as_torchvision_v2():
    check_image_and_video(
        v2.RandomAdjustSharpness(1.7, p=1.0), TV.RandomAdjustSharpness(1.7, p=1.0), seed=7
    )


def test_random_photometric_distort_with_torchvisions_parameters():
    params = {
        "brightness_factor": 1.1,
        "contrast_factor": 0.7,
        "saturation_factor": 1.3,
        "hue_factor": -0.03,
        "contrast_before": False,
    }
    ours, theirs = v2.RandomPhotometricDistort(), TV.RandomPhotometricDistort()
    check_image_and_video(
        lambda x: ours.transform(x, {**params, "channel_permutation": None}),
        lambda x: theirs.transform(x, {**params, "channel_permutation": None}),
        seed=9,
    )
