"""torchvision's ``transforms.functional`` (v1) against the real torchvision 0.28: every function
xpnet has, on tensor images (uint8, float32, float64; (C, H, W) and (N, C, H, W)) and on PIL
images, the same call on both sides. The classes and error messages: ``..._classes.py``."""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch
from _transforms_oracle import IMAGES, TF, compare, pil_of, same, torchvision

import xpnet
from xpnet.data.transforms import InterpolationMode as IM
from xpnet.data.transforms import functional as F

Image = pytest.importorskip("PIL.Image")
RGB_IMAGES = ["u8", "u8-batch", "f32", "f64"]  # the functions that need 3 channels


# -- colour ---------------------------------------------------------------------------------
@pytest.mark.parametrize("image", RGB_IMAGES)
@pytest.mark.parametrize(
    ("name", "factor"),
    [("adjust_brightness", 0.6), ("adjust_brightness", 1.7), ("adjust_contrast", 0.4),
     ("adjust_contrast", 1.9), ("adjust_saturation", 0.0), ("adjust_saturation", 1.6),
     ("adjust_hue", -0.3), ("adjust_hue", 0.17), ("adjust_sharpness", 0.2),
     ("adjust_sharpness", 2.5), ("solarize", None)],
)  # fmt: skip
def test_colour_functions_on_tensors(name, factor, image):
    if name == "solarize":  # a threshold within the image's range
        factor = 100 if image.startswith("u8") else 0.5
    compare(name, image, factor, atol=2e-6)


@pytest.mark.parametrize("image", ["u8", "u8-gray", "u8-batch", "f32", "f32-batch", "f64"])
@pytest.mark.parametrize(
    ("name", "args"),
    [("adjust_brightness", (1.3,)), ("adjust_contrast", (0.7,)), ("adjust_gamma", (0.5,)),
     ("adjust_gamma", (2.2, 0.8)), ("adjust_sharpness", (1.8,)), ("autocontrast", ()),
     ("invert", ()), ("hflip", ()), ("vflip", ())],
)  # fmt: skip
def test_channelwise_functions_on_tensors(name, args, image):
    compare(name, image, *args, atol=2e-6)


@pytest.mark.parametrize("image", ["u8", "u8-gray", "u8-batch"])
@pytest.mark.parametrize(("name", "args"), [("equalize", ()), ("posterize", (1,)),
                                            ("posterize", (3,)), ("posterize", (8,))])  # fmt: skip
def test_uint8_only_functions_on_tensors(name, args, image):
    compare(name, image, *args)


@pytest.mark.parametrize("mode", ["L", "RGB", "RGBA"])
@pytest.mark.parametrize(
    ("name", "args"),
    [("adjust_brightness", (1.3,)), ("adjust_contrast", (0.7,)), ("adjust_saturation", (0.3,)),
     ("adjust_hue", (0.2,)), ("adjust_gamma", (0.6, 1.1)), ("adjust_sharpness", (2.0,)),
     ("autocontrast", ()), ("invert", ()), ("equalize", ()), ("posterize", (2,)),
     ("solarize", (90,)), ("hflip", ()), ("vflip", ()), ("rgb_to_grayscale", ()),
     ("to_grayscale", (3,))],
)  # fmt: skip
def test_functions_on_pil_images(name, args, mode):
    try:
        expected = getattr(TF, name)(pil_of("u8", mode), *args)
    except (OSError, ValueError) as error:  # Pillow refuses some modes: the same error here
        with pytest.raises(type(error), match=re.escape(str(error))):
            getattr(F, name)(pil_of("u8", mode), *args)
        return
    same(getattr(F, name)(pil_of("u8", mode), *args), expected)


@pytest.mark.parametrize("image", ["u8", "u8-batch", "f32", "f64"])
@pytest.mark.parametrize("channels", [1, 3])
def test_rgb_to_grayscale_on_tensors(image, channels):
    compare("rgb_to_grayscale", image, channels)
    compare("to_grayscale", pil_of("u8", "RGB"), channels)


@pytest.mark.parametrize("image", ["u8", "f32-batch", "f64"])
@pytest.mark.parametrize(("kernel_size", "sigma"), [(3, None), ([5, 3], [1.5, 0.7]), (7, 2.0)])
def test_gaussian_blur(image, kernel_size, sigma):
    compare("gaussian_blur", image, kernel_size, sigma, atol=2e-6)
    compare("gaussian_blur", pil_of("u8", "RGB"), kernel_size, sigma)


@pytest.mark.parametrize("image", ["f32", "f32-batch", "f64"])
@pytest.mark.parametrize("inplace", [False, True])
def test_normalize(image, inplace):
    mean, std = (
        ([0.5], [0.25]) if IMAGES[image].shape[-3] == 1 else ([0.1, 0.2, 0.3], [0.3, 0.2, 0.1])
    )
    compare("normalize", image, mean, std, inplace=inplace)
    compare("normalize", image, [0.5], [0.25], inplace=inplace)


@pytest.mark.parametrize("value", [0, 0.5, (0.1, 0.2, 0.3)])
@pytest.mark.parametrize("image", ["u8", "f32", "u8-batch"])
def test_erase(image, value):
    value = np.asarray(value, IMAGES[image].dtype).reshape(-1, 1, 1)
    compare("erase", image, 1, 2, 3, 4, value)
    compare("erase", image, 1, 2, 3, 4, value, inplace=True)


# -- conversions ----------------------------------------------------------------------------
@pytest.mark.parametrize("mode", ["L", "RGB", "RGBA", "I", "F", "P", "1", "I;16", "LA"])
def test_pil_conversions(mode):
    pic = pil_of("u8", mode)
    compare("to_tensor", pic)
    compare("pil_to_tensor", pic)
    for function in ("get_dimensions", "get_image_size", "get_image_num_channels"):
        assert getattr(F, function)(pic) == getattr(TF, function)(pic)


@pytest.mark.parametrize("image", list(IMAGES))
def test_image_geometry_queries(image):
    for function in ("get_dimensions", "get_image_size", "get_image_num_channels"):
        ours = getattr(F, function)(xpnet.Tensor(IMAGES[image]))
        assert ours == getattr(TF, function)(torch.from_numpy(IMAGES[image]))


@pytest.mark.parametrize("array", ["u8", "f32", "f64", "i16", "i32", "u8-2d"])
def test_to_tensor_and_to_pil_image_of_arrays(array):
    arrays = {"i16": IMAGES["u8"][0].astype(np.int16), "i32": IMAGES["u8"][:1].astype(np.int32),
              "u8-2d": IMAGES["u8"][0]}  # fmt: skip
    image = arrays[array] if array in arrays else IMAGES[array]
    hwc = np.ascontiguousarray(image.transpose(1, 2, 0) if image.ndim == 3 else image)
    same(F.to_tensor(hwc), TF.to_tensor(hwc.copy()))
    same(F.to_pil_image(hwc), TF.to_pil_image(hwc.copy()))
    if image.ndim == 3 and image.dtype != np.int16:
        same(F.to_pil_image(xpnet.Tensor(image)), TF.to_pil_image(torch.from_numpy(image)))


@pytest.mark.parametrize(
    ("source", "target"),
    [("u8", torch.float32), ("u8", torch.int32), ("f32", torch.uint8), ("f64", torch.int16),
     ("f32", torch.float64), ("f64", torch.int32), ("u8-batch", torch.float64)],
)  # fmt: skip
def test_convert_image_dtype(source, target):
    dtype = np.dtype(str(target).removeprefix("torch."))
    ours = F.convert_image_dtype(xpnet.Tensor(IMAGES[source]), dtype)
    same(ours, TF.convert_image_dtype(torch.from_numpy(IMAGES[source]), target))


# -- geometry -------------------------------------------------------------------------------
MODES = [IM.NEAREST, IM.NEAREST_EXACT, IM.BILINEAR, IM.BICUBIC]


def tv_mode(mode):
    return torchvision.transforms.InterpolationMode(mode.value)


@pytest.mark.parametrize("image", ["u8", "u8-gray", "u8-batch", "f32", "f32-batch", "f64"])
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(("size", "antialias"), [((5, 13), True), ((5, 13), False), (4, True),
                                                 ((11, 3), False), ([12], True)])  # fmt: skip
def test_resize_on_tensors(image, mode, size, antialias):
    ours = F.resize(xpnet.Tensor(IMAGES[image]), size, mode, antialias=antialias)
    theirs = TF.resize(torch.from_numpy(IMAGES[image]), size, tv_mode(mode), antialias=antialias)
    # uint8 rounds float32 sums, computed in PyTorch's order and mixed precision: equal here
    # (bicubic can still round a tie apart on rare pixels: see transforms_tensor.resize)
    same(ours, theirs, atol=5e-6)


@pytest.mark.parametrize("seed", range(4))
def test_resize_bilinear_without_antialias_rounds_uint8_ties_as_torchvision(seed):
    image = np.random.default_rng(seed).integers(0, 256, (2, 3, 13, 17), dtype=np.uint8)
    # PyTorch's x86 kernels with fused multiply-adds; its plain build may round a tie otherwise
    int_atol = int(torch.backends.cpu.get_cpu_capability() not in ("AVX2", "AVX512"))
    for size in [(21, 30), (5, 9), (13, 40), (7, 17)]:  # means of 2 and 4 pixels tie at x.5
        ours = F.resize(xpnet.Tensor(image), size, IM.BILINEAR, antialias=False)
        same(ours, TF.resize(torch.from_numpy(image), size, antialias=False), int_atol=int_atol)


@pytest.mark.parametrize("pil_mode", ["L", "RGB", "RGBA", "I", "F"])
@pytest.mark.parametrize("mode", [*MODES, IM.BOX, IM.HAMMING, IM.LANCZOS])
def test_resize_on_pil_images(pil_mode, mode):
    if mode == IM.NEAREST_EXACT:
        return  # not a PIL mode (see the error tests)
    image = pil_of("u8", pil_mode)
    for size, max_size in [((5, 13), None), (4, 9), (12, None)]:
        ours = F.resize(image, size, mode, max_size=max_size)
        same(ours, TF.resize(image, size, tv_mode(mode), max_size=max_size))


@pytest.mark.parametrize("image", ["u8", "f32-batch", "pil"])
@pytest.mark.parametrize("interpolation", [0, 2, 3])  # Pillow's integers for the modes
@pytest.mark.parametrize("antialias", [None, True])
def test_resize_takes_pillow_integers_and_antialias_none(image, interpolation, antialias):
    image = pil_of("u8", "RGB") if image == "pil" else image
    compare("resize", image, [4, 11], interpolation, antialias=antialias, int_atol=1)


@pytest.mark.parametrize("image", ["u8", "f32-batch"])
@pytest.mark.parametrize(("size", "max_size"), [(4, 6), (5, None), (2, 3), ([3], 20)])
def test_resize_max_size(image, size, max_size):
    ours = F.resize(xpnet.Tensor(IMAGES[image]), size, max_size=max_size)
    same(ours, TF.resize(torch.from_numpy(IMAGES[image]), size, max_size=max_size))


@pytest.mark.parametrize("image", ["u8", "u8-batch", "f64", "pil"])
@pytest.mark.parametrize(("name", "args"), [
    ("crop", (1, 2, 4, 5)), ("crop", (-2, -1, 5, 12)), ("crop", (3, 6, 9, 9)),
    ("center_crop", (4,)), ("center_crop", ([3, 6],)), ("center_crop", ([12, 13],)),
    ("center_crop", ([2],)), ("resized_crop", (1, 1, 4, 5, [6, 7])),
    ("resized_crop", (0, 2, 5, 3, 8, IM.NEAREST)),
])  # fmt: skip
def test_crops(image, name, args):
    image = pil_of("u8", "RGB") if image == "pil" else image
    if IM.NEAREST in args:  # the same mode on both sides, given by its Pillow integer
        args = tuple(0 if a is IM.NEAREST else a for a in args)
    compare(
        name, image, *args, int_atol=int(name == "resized_crop")
    )  # bilinear's ties, as in test_resize_on_tensors


@pytest.mark.parametrize("image", ["u8", "u8-gray", "u8-batch", "f32", "f64"])
@pytest.mark.parametrize("padding_mode", ["constant", "edge", "reflect", "symmetric"])
@pytest.mark.parametrize("padding", [2, [1, 3], (0, 1, 2, 3), [3], [1, -2, 3, 1]])
def test_pad_on_tensors(image, padding_mode, padding):
    compare("pad", image, padding, padding_mode=padding_mode)
    if padding_mode == "constant":
        compare("pad", image, padding, fill=7 if image.startswith("u8") else 0.25)


@pytest.mark.parametrize("mode", ["L", "RGB", "RGBA", "P", "I", "F"])
@pytest.mark.parametrize("padding_mode", ["constant", "edge", "reflect", "symmetric"])
def test_pad_on_pil_images(mode, padding_mode):
    image = pil_of("u8", mode)
    compare("pad", image, [1, 2, 3, 0], padding_mode=padding_mode)
    fill = (9, 8, 7, 6)[: len(image.getbands())] if mode in ("RGB", "RGBA") else 5
    compare("pad", image, 2, fill=fill, padding_mode=padding_mode)


@pytest.mark.parametrize(
    ("dtype", "channels", "mode"),
    [(np.uint8, 3, "HSV"), (np.uint8, 3, "YCbCr"), (np.uint8, 4, "CMYK"), (np.uint8, 4, "RGBX"),
     (np.uint8, 2, "LA"), (np.float32, 1, "F"), (np.int32, 1, "I"), (np.int16, 1, None),
     (np.float64, 3, None), (np.float32, 4, None)],
)  # fmt: skip
def test_to_pil_image_modes(dtype, channels, mode):
    image = IMAGES["u8"][:1].repeat(4, 0)[:channels] / (
        255 if dtype in (np.float32, np.float64) else 1
    )
    image = image.astype(dtype)
    same(F.to_pil_image(xpnet.Tensor(image), mode), TF.to_pil_image(torch.from_numpy(image), mode))


# -- warps ----------------------------------------------------------------------------------
WARP_IMAGES = ["u8", "u8-gray", "u8-batch", "f32", "f64", "pil-RGB", "pil-L", "pil-RGBA", "pil-F"]


def warp_input(image):
    return pil_of("u8", image.removeprefix("pil-")) if image.startswith("pil") else image


def warp_fill(image, fill):
    """A per-channel fill as long as the image's channels (torchvision's rule)."""
    if isinstance(fill, list):
        channels = 4 if image == "pil-RGBA" else 1 if image in ("u8-gray", "pil-L", "pil-F") else 3
        return (fill * 4)[:channels]
    return fill


@pytest.mark.parametrize("image", WARP_IMAGES)
@pytest.mark.parametrize(
    ("angle", "kwargs"),
    [(30, {}), (-47.5, {"interpolation": IM.BILINEAR}), (90, {"expand": True}),
     (17, {"expand": True, "interpolation": IM.BILINEAR, "fill": 9}),
     (200, {"center": [2, 3], "fill": [10, 20, 30]}), (12, {"center": [1, 1], "expand": True})],
)  # fmt: skip
def test_rotate(image, angle, kwargs):
    kwargs = {**kwargs, "fill": warp_fill(image, kwargs.get("fill"))}
    compare("rotate", warp_input(image), angle, **_tv_modes(kwargs), atol=2e-5)


def _tv_modes(kwargs):
    """Interpolation modes as Pillow integers, which both sides take."""
    modes = {IM.NEAREST: 0, IM.BILINEAR: 2, IM.BICUBIC: 3}
    return {k: modes.get(v, v) if k == "interpolation" else v for k, v in kwargs.items()}


@pytest.mark.parametrize("image", WARP_IMAGES)
@pytest.mark.parametrize(
    ("args", "kwargs"),
    [((25.0, [1, -2], 1.2, [10.0, 5.0]), {}),
     ((-10.0, [0, 3], 0.8, 20.0), {"interpolation": IM.BILINEAR, "fill": [5, 6, 7]}),
     ((0.0, [2, 1], 1.0, [0.0, 0.0]), {"center": [3, 2]}),
     ((45.0, [0, 0], 0.7, [-15.0, 8.0]), {"interpolation": IM.BILINEAR, "fill": 3})],
)  # fmt: skip
def test_affine(image, args, kwargs):
    kwargs = {**kwargs, "fill": warp_fill(image, kwargs.get("fill"))}
    compare("affine", warp_input(image), *args, **_tv_modes(kwargs), atol=2e-5)


@pytest.mark.parametrize("image", WARP_IMAGES)
@pytest.mark.parametrize(("interpolation", "fill"), [(IM.NEAREST, None), (IM.BILINEAR, 7),
                                                     (IM.BILINEAR, [1, 2, 3])])  # fmt: skip
def test_perspective(image, interpolation, fill):
    start = [[0, 0], [6, 0], [6, 5], [0, 5]]
    end = [[1, 0], [5, 1], [6, 6], [0, 4]]
    kwargs = _tv_modes({"interpolation": interpolation, "fill": warp_fill(image, fill)})
    compare("perspective", warp_input(image), start, end, **kwargs, atol=2e-5)
