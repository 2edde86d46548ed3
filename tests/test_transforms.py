"""torchvision's transforms (v1): the checks, messages, reprs and edge cases, against
torchvision 0.28 (and Pillow). The broad comparison of every function with torchvision on many
inputs is in ``test_transforms_torchvision.py``."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from _torchvision import import_torchvision

import xpnet
from xpnet.data import transforms as T
from xpnet.data.transforms import InterpolationMode as IM
from xpnet.data.transforms import functional as F

torchvision = import_torchvision()
import torchvision.transforms.functional as TF  # noqa: E402

Image = pytest.importorskip("PIL.Image")
from PIL import ImageEnhance, ImageOps  # noqa: E402

RNG = np.random.default_rng(0)
U8 = RNG.integers(0, 256, (3, 9, 11), dtype=np.uint8)
F32 = RNG.random((3, 9, 11), dtype=np.float32)
BATCH = RNG.integers(0, 256, (2, 3, 7, 6), dtype=np.uint8)


def pil_rgb(array=U8):
    return Image.fromarray(np.ascontiguousarray(array.transpose(1, 2, 0)))


def same(actual, expected):
    actual = actual.numpy() if isinstance(actual, xpnet.Tensor) else np.asarray(actual)
    expected = expected.numpy() if isinstance(expected, torch.Tensor) else np.asarray(expected)
    assert actual.shape == expected.shape and actual.dtype == expected.dtype
    if actual.dtype.kind == "f":
        np.testing.assert_allclose(actual, expected, rtol=1e-6, atol=1e-6)
    else:
        np.testing.assert_array_equal(actual, expected)


def same_pil(actual, expected):
    assert actual.mode == expected.mode and actual.size == expected.size
    np.testing.assert_array_equal(np.asarray(actual), np.asarray(expected))


# -- conversions ------------------------------------------------------------------------------
MODES = ["L", "RGB", "RGBA", "P", "I", "I;16", "F", "1", "LA"]


def image_of_mode(mode):
    return pil_rgb().convert("RGBA" if mode == "RGBA" else "RGB").convert(mode)


@pytest.mark.parametrize("mode", MODES)
def test_to_tensor_and_pil_to_tensor_follow_torchvision_for_every_mode(mode):
    pic = image_of_mode(mode)
    types = {"I": np.int32, "I;16": np.int16, "F": np.float32}
    raw = torch.from_numpy(np.array(pic, types.get(mode, np.uint8), copy=True))
    raw = (255 * raw if mode == "1" else raw).view(9, 11, len(pic.getbands())).permute(2, 0, 1)
    expected = raw.float().div(255) if raw.dtype == torch.uint8 else raw
    tensor = F.to_tensor(pic)
    assert isinstance(tensor, xpnet.Tensor)
    same(tensor, expected.contiguous())
    native = torch.as_tensor(np.array(pic, copy=True)).view(9, 11, -1).permute(2, 0, 1)
    same(T.PILToTensor()(pic), native.contiguous())


def test_to_tensor_of_arrays_keeps_non_uint8_dtypes():
    same(T.ToTensor()(U8.transpose(1, 2, 0)), torch.from_numpy(U8).float().div(255))
    same(F.to_tensor(U8[0]), torch.from_numpy(U8[:1]).float().div(255))
    doubles = RNG.random((4, 5, 2))
    same(F.to_tensor(doubles), torch.from_numpy(doubles.transpose(2, 0, 1).copy()))
    with pytest.raises(TypeError, match="pic should be PIL Image or ndarray. Got <class 'list'>"):
        F.to_tensor([1, 2])
    with pytest.raises(ValueError, match="pic should be 2/3 dimensional. Got 1 dimensions."):
        F.to_tensor(np.zeros(3))
    with pytest.raises(TypeError, match="pic should be PIL Image. Got <class 'numpy.ndarray'>"):
        F.pil_to_tensor(U8)


@pytest.mark.parametrize("mode", ["L", "RGB", "RGBA", "I", "F"])
def test_to_pil_image_inverts_pil_to_tensor(mode):
    pic = image_of_mode(mode)
    mode = "F" if mode == "F" else None  # floats are otherwise taken as [0, 1], to L
    same_pil(T.ToPILImage(mode)(F.pil_to_tensor(pic)), pic)
    same_pil(F.to_pil_image(np.asarray(pic), mode), pic)


def test_to_pil_image_scales_floats_and_checks_modes():
    image = F.to_pil_image(xpnet.Tensor(F32))
    expected = Image.fromarray((F32.transpose(1, 2, 0) * 255).astype(np.uint8), "RGB")
    same_pil(image, expected)
    assert F.to_pil_image(xpnet.Tensor(F32[:1]), mode="F").mode == "F"
    assert F.to_pil_image(xpnet.Tensor(F32[:1])).mode == "L"  # floats times 255, as uint8
    assert F.to_pil_image(np.zeros((2, 2, 2), np.uint8)).mode == "LA"
    assert F.to_pil_image(np.zeros((2, 2, 3), np.uint8), "HSV").mode == "HSV"
    with pytest.raises(ValueError, match=r"Incorrect mode \(RGB\) supplied for input type"):
        F.to_pil_image(np.zeros((2, 2), np.uint8), "RGB")
    with pytest.raises(ValueError, match=r"Only modes \['RGB', 'YCbCr', 'HSV'\] are supported"):
        F.to_pil_image(np.zeros((2, 2, 3), np.uint8), "RGBA")
    with pytest.raises(ValueError, match=r"Only modes \['RGBA', 'CMYK', 'RGBX'\] are supported"):
        F.to_pil_image(np.zeros((2, 2, 4), np.uint8), "RGB")
    with pytest.raises(ValueError, match="pic should not have > 4 channels. Got 5 channels."):
        F.to_pil_image(np.zeros((2, 2, 5), np.uint8))
    with pytest.raises(TypeError, match="Input type int64 is not supported"):
        F.to_pil_image(np.zeros((2, 2, 3), np.int64))
    with pytest.raises(TypeError, match="pic should be Tensor or ndarray. Got <class 'list'>."):
        F.to_pil_image([0])
    with pytest.raises(ValueError, match="pic should be 2/3 dimensional. Got 4 dimensions."):
        F.to_pil_image(np.zeros((1, 2, 2, 3), np.uint8))
    assert (
        repr(T.ToPILImage()) == "ToPILImage()" and repr(T.ToPILImage("L")) == "ToPILImage(mode=L)"
    )


@pytest.mark.parametrize(
    ("source", "target"),
    [("uint8", "float32"), ("float32", "uint8"), ("uint8", "int16"), ("int32", "uint8"),
     ("float64", "float32"), ("int16", "float64"), ("float64", "int16")],
)  # fmt: skip
def test_convert_image_dtype_matches_torchvision(source, target):
    image = F32 if source.startswith("float") else U8
    image = image.astype(source) if source.startswith("float") else image.astype(source) * 3
    expected = TF.convert_image_dtype(torch.from_numpy(image), getattr(torch, target))
    same(F.convert_image_dtype(xpnet.Tensor(image), np.dtype(target)), expected)
    same(T.ConvertImageDtype(target)(image), expected)


def test_convert_image_dtype_errors():
    with pytest.raises(RuntimeError, match="The cast from float32 to int32 cannot be performed"):
        F.convert_image_dtype(F32, np.int32)
    with pytest.raises(TypeError, match="Input img should be Tensor Image"):
        F.convert_image_dtype(pil_rgb())
    assert repr(T.ConvertImageDtype(np.float32)) == "ConvertImageDtype()"


def test_normalize_matches_torchvision():
    mean, std = (0.5, 0.4, 0.3), (0.2, 0.25, 0.3)
    expected = torch.from_numpy(F32).sub(torch.tensor(mean).view(-1, 1, 1))
    expected = expected.div(torch.tensor(std).view(-1, 1, 1))
    same(T.Normalize(mean, std)(xpnet.Tensor(F32)), expected)
    batch = np.stack([F32, F32])
    same(F.normalize(batch, mean, std), torch.stack([expected, expected]))
    copy = F32.copy()
    assert F.normalize(copy, mean, std, inplace=True) is copy
    same(copy, expected)
    assert repr(T.Normalize(mean, std)) == f"Normalize(mean={mean}, std={std})"
    with pytest.raises(ValueError, match="std evaluated to zero after conversion to float32"):
        T.Normalize((0.5,), (0.0,))(F32)
    with pytest.raises(TypeError, match="Input tensor should be a float tensor. Got uint8."):
        F.normalize(U8, (0.5,), (0.5,))
    with pytest.raises(
        ValueError, match=r"Expected tensor to be a tensor image of size \(\.\.\., C"
    ):
        F.normalize(F32[0], (0.5,), (0.5,))
    with pytest.raises(
        TypeError, match="img should be Tensor Image. Got <class 'PIL.Image.Image'>"
    ):
        F.normalize(pil_rgb(), (0.5,), (0.5,))


# -- geometry: resize ------------------------------------------------------------------------
@pytest.mark.parametrize("mode", list(IM))
def test_resize_pil_path_matches_pillow(mode):
    resample = {"nearest": 0, "nearest-exact": 0, "bilinear": 2, "bicubic": 3, "box": 4,
                "hamming": 5, "lanczos": 1}[mode.value]  # fmt: skip
    for pic in (pil_rgb(), pil_rgb().convert("L"), pil_rgb().convert("F")):
        same_pil(F.resize(pic, [5, 4], mode), pic.resize((4, 5), resample))
        same_pil(T.Resize(6, mode)(pic), pic.resize((7, 6), resample))  # 9x11 -> 6x7 (int(6*11/9))


def test_resize_sizes_max_size_and_errors():
    assert F.resize(U8, 12).shape == (3, 12, 14) and F.resize(U8, [12]).shape == (3, 12, 14)
    assert F.resize(U8, 12, max_size=13).shape == (3, 11, 13)
    assert F.resize(U8, [9, 11]) is U8
    assert F.resize(pil_rgb(), 12, IM.NEAREST).size == (14, 12)
    assert F.resize(U8, (4, 4), 0).shape == (3, 4, 4)  # a Pillow constant
    with pytest.raises(ValueError, match="max_size = 12 must be strictly greater than the"):
        F.resize(U8, 12, max_size=12)
    with pytest.raises(ValueError, match="max_size should only be passed if size specifies"):
        F.resize(U8, [3, 4], max_size=12)
    with pytest.raises(ValueError, match="Size must be an int or a 1 or 2 element tuple/list,"):
        F.resize(U8, [1, 2, 3])
    with pytest.raises(TypeError, match="Argument interpolation should be a InterpolationMode"):
        F.resize(U8, 4, "bilinear")
    with pytest.raises(TypeError, match="Size should be int or sequence. Got <class 'float'>"):
        T.Resize(3.0)
    with pytest.raises(ValueError, match="If size is a sequence, it should have 1 or 2 values"):
        T.Resize([1, 2, 3])
    assert repr(T.Resize(32, 3)) == (
        "Resize(size=32, interpolation=bicubic, max_size=None, antialias=True)"
    )


# -- geometry: crops, pads, flips ------------------------------------------------------------
def test_pad_pil_path_matches_imageops_and_numpy():
    pic = pil_rgb()
    same_pil(F.pad(pic, [1, 2], fill=(1, 2, 3)), ImageOps.expand(pic, (1, 2), fill=(1, 2, 3)))
    same_pil(F.pad(pic.convert("L"), 3, 9), ImageOps.expand(pic.convert("L"), 3, fill=9))
    for mode in ("edge", "reflect", "symmetric"):
        expected = np.pad(np.asarray(pic), ((2, 4), (1, 3), (0, 0)), mode=mode)
        same_pil(F.pad(pic, [1, 2, 3, 4], padding_mode=mode), Image.fromarray(expected))
    palette = pic.convert("P")
    padded = F.pad(palette, 2, padding_mode="reflect")
    assert padded.mode == "P" and padded.getpalette() == palette.getpalette()
    with pytest.raises(
        ValueError, match=r"The number of elements in 'fill' does not match .* \(2 != 3\)"
    ):
        F.pad(pic, 1, fill=(1, 2))


def test_pad_errors_and_repr():
    with pytest.raises(TypeError, match="Got inappropriate padding arg"):
        T.Pad("1")
    with pytest.raises(TypeError, match="Got inappropriate fill arg"):
        T.Pad(1, fill="red")
    with pytest.raises(ValueError, match="Padding mode should be either constant, edge, reflect"):
        T.Pad(1, padding_mode="wrap")
    with pytest.raises(
        ValueError, match="Padding must be an int or a 1, 2, or 4 element tuple, not a 3"
    ):
        F.pad(U8, [1, 2, 3])
    with pytest.raises(TypeError, match="Got inappropriate fill arg"):
        F.pad(U8, 1, fill=(1, 2, 3))
    assert repr(T.Pad(2, 1)) == "Pad(padding=2, fill=1, padding_mode=constant)"


def test_crop_center_crop_and_flips_on_tensors_and_pil():
    tensor = torch.from_numpy(U8)
    same(F.crop(U8, 2, 3, 4, 5), tensor[..., 2:6, 3:8])
    same(F.crop(U8, -1, 9, 3, 4), TF.crop(tensor, -1, 9, 3, 4))
    same(F.center_crop(U8, 5), tensor[..., 2:7, 3:8])
    same(T.CenterCrop((4, 6))(U8), tensor[..., 2:6, 2:8])  # round((9-4)/2) = 2
    same(F.center_crop(U8, [6, 4]), tensor[..., 2:8, 4:8])  # round(1.5) = 2, round(3.5) = 4
    same(F.center_crop(U8, [12, 12]), TF.center_crop(tensor, [12, 12]))
    same(F.hflip(BATCH), torch.from_numpy(BATCH).flip(-1))
    same(F.vflip(xpnet.Tensor(F32)), torch.from_numpy(F32).flip(-2))
    pic = pil_rgb()
    same_pil(F.crop(pic, -1, 9, 3, 4), pic.crop((9, -1, 13, 2)))
    same_pil(F.center_crop(pic, [4, 6]), pic.crop((2, 2, 8, 6)))
    same_pil(F.hflip(pic), pic.transpose(Image.Transpose.FLIP_LEFT_RIGHT))
    same_pil(F.vflip(pic), pic.transpose(Image.Transpose.FLIP_TOP_BOTTOM))
    np.testing.assert_array_equal(np.asarray(F.center_crop(pic, 12)).transpose(2, 0, 1),
                                  F.center_crop(U8, 12))  # fmt: skip
    same(F.resized_crop(U8, 1, 2, 6, 6, [3, 3]), TF.resized_crop(tensor, 1, 2, 6, 6, [3, 3]))
    assert repr(T.CenterCrop(3)) == "CenterCrop(size=(3, 3))"
    with pytest.raises(ValueError, match=r"Please provide only two dimensions \(h, w\) for size."):
        T.CenterCrop([1, 2, 3])
    with pytest.raises(TypeError, match="img should be PIL Image. Got <class 'list'>"):
        F.hflip([1])
    with pytest.raises(TypeError, match="Unexpected type <class 'list'>"):
        F.center_crop([1], 2)


# -- colour ----------------------------------------------------------------------------------
def test_grayscale_tensor_and_pil():
    for image in (U8, F32, BATCH):
        tensor = torch.from_numpy(image)
        same(F.rgb_to_grayscale(image), TF.rgb_to_grayscale(tensor))
        same(T.Grayscale(3)(image), TF.rgb_to_grayscale(tensor, 3))
    same(F.rgb_to_grayscale(U8[:1]), torch.from_numpy(U8[:1]))
    pic = pil_rgb()
    same_pil(T.Grayscale()(pic), pic.convert("L"))
    three = F.to_grayscale(pic, 3)
    assert three.mode == "RGB" and np.all(
        np.asarray(three) == np.asarray(pic.convert("L"))[..., None]
    )
    assert repr(T.Grayscale(3)) == "Grayscale(num_output_channels=3)"
    with pytest.raises(TypeError, match="Input image tensor permitted channel values are"):
        F.rgb_to_grayscale(U8[:2])
    with pytest.raises(TypeError, match="Input image tensor should have at least 3 dimensions"):
        F.rgb_to_grayscale(U8[0])
    with pytest.raises(ValueError, match="num_output_channels should be either 1 or 3"):
        F.rgb_to_grayscale(U8, 2)
    with pytest.raises(TypeError, match="Input should be PIL Image"):
        F.to_grayscale(U8)


@pytest.mark.parametrize("factor", [0.0, 0.4, 1.0, 1.7])
def test_brightness_contrast_saturation_tensor_path(factor):
    for image in (U8, F32, BATCH, U8[:1]):
        tensor = torch.from_numpy(image)
        same(F.adjust_brightness(image, factor), TF.adjust_brightness(tensor, factor))
        same(F.adjust_contrast(image, factor), TF.adjust_contrast(tensor, factor))
        if tensor.shape[-3] == 3:
            same(F.adjust_saturation(image, factor), TF.adjust_saturation(tensor, factor))
        else:
            assert F.adjust_saturation(image, factor) is image


@pytest.mark.parametrize("factor", [0.0, 0.4, 1.7])
def test_brightness_contrast_saturation_pil_path(factor):
    pic = pil_rgb()
    same_pil(F.adjust_brightness(pic, factor), ImageEnhance.Brightness(pic).enhance(factor))
    same_pil(F.adjust_contrast(pic, factor), ImageEnhance.Contrast(pic).enhance(factor))
    same_pil(F.adjust_saturation(pic, factor), ImageEnhance.Color(pic).enhance(factor))


@pytest.mark.parametrize("factor", [-0.5, -0.23, 0.0, 0.1, 0.5])
def test_adjust_hue_both_paths(factor):
    grays = np.repeat(U8[:1], 3, axis=0)  # max == min: the hue and saturation are 0
    for image in (U8, F32, BATCH, grays):
        same(F.adjust_hue(image, factor), TF.adjust_hue(torch.from_numpy(image), factor))
    gray = U8[:1]
    assert F.adjust_hue(gray, factor) is gray
    pic = pil_rgb()
    h, s, v = pic.convert("HSV").split()
    with np.errstate(invalid="ignore"):
        shift = np.array(factor * 255).astype(np.uint8)  # torchvision's wrap-around
    hue = Image.fromarray(np.array(h, dtype=np.uint8) + shift, "L")
    same_pil(F.adjust_hue(pic, factor), Image.merge("HSV", (hue, s, v)).convert("RGB"))
    same_pil(F.adjust_hue(pic.convert("L"), factor), pic.convert("L"))


def test_colour_errors():
    with pytest.raises(ValueError, match=r"hue_factor \(0.6\) is not in \[-0.5, 0.5\]."):
        F.adjust_hue(U8, 0.6)
    with pytest.raises(ValueError, match=r"brightness_factor \(-1\) is not non-negative."):
        F.adjust_brightness(U8, -1)
    with pytest.raises(ValueError, match=r"contrast_factor \(-1\) is not non-negative."):
        F.adjust_contrast(U8, -1)
    with pytest.raises(ValueError, match=r"saturation_factor \(-1\) is not non-negative."):
        F.adjust_saturation(U8, -1)
    with pytest.raises(TypeError, match="img should be PIL Image. Got <class 'int'>"):
        F.adjust_brightness(3, 1.0)


@pytest.mark.parametrize(("kernel_size", "sigma"), [(3, None), ([5, 3], [1.5, 0.7]), (7, 2.0)])
def test_gaussian_blur_both_paths(kernel_size, sigma):
    same(
        F.gaussian_blur(F32, kernel_size, sigma),
        TF.gaussian_blur(torch.from_numpy(F32), kernel_size, sigma),
    )
    actual = F.gaussian_blur(U8, kernel_size, sigma)
    same(actual, TF.gaussian_blur(torch.from_numpy(U8), kernel_size, sigma))
    blurred = F.gaussian_blur(pil_rgb(), kernel_size, sigma)
    np.testing.assert_array_equal(np.asarray(blurred).transpose(2, 0, 1), actual)


def test_gaussian_blur_and_erase_errors():
    with pytest.raises(TypeError, match="kernel_size should be int or a sequence of integers"):
        F.gaussian_blur(U8, 3.0)
    with pytest.raises(ValueError, match="If kernel_size is a sequence its length should be 2"):
        F.gaussian_blur(U8, [3, 3, 3])
    with pytest.raises(
        ValueError, match=r"kernel_size should have odd and positive integers. Got \[4, 4\]"
    ):
        F.gaussian_blur(U8, 4)
    with pytest.raises(TypeError, match="sigma should be either float or sequence of floats"):
        F.gaussian_blur(U8, 3, "1")
    with pytest.raises(ValueError, match="If sigma is a sequence, its length should be 2. Got 3"):
        F.gaussian_blur(U8, 3, [1, 2, 3])
    with pytest.raises(ValueError, match=r"sigma should have positive values. Got \[0.0, 0.0\]"):
        F.gaussian_blur(U8, 3, 0.0)
    with pytest.raises(TypeError, match="img should be PIL Image or Tensor. Got <class 'list'>"):
        F.gaussian_blur([1], 3)
    with pytest.raises(
        TypeError, match="img should be Tensor Image. Got <class 'PIL.Image.Image'>"
    ):
        F.erase(pil_rgb(), 0, 0, 1, 1, 0)
    expected = torch.from_numpy(F32).clone()
    expected[..., 1:4, 2:7] = torch.tensor([1.0, 2.0, 3.0])[:, None, None]
    same(F.erase(F32, 1, 2, 3, 5, np.array([1.0, 2.0, 3.0], np.float32)[:, None, None]), expected)
    copy = xpnet.Tensor(F32.copy())
    assert F.erase(copy, 0, 0, 2, 2, 0.0, inplace=True) is copy and copy.numpy()[0, 0, 0] == 0


def test_resize_refuses_empty_images_as_torch_does():
    for image, size in [(np.zeros((3, 0, 7), np.uint8), [5, 4]), (np.zeros((3, 4, 7)), [0, 4])]:
        with pytest.raises(RuntimeError, match=r"sizes should be greater than 0, but got input"):
            F.resize(image, size)
