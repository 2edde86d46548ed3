"""torchvision's v1 transform classes, their reprs, ``five_crop``/``ten_crop``/
``elastic_transform`` and the error types and messages, against the real torchvision 0.28."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest
import torch
from _torchvision import import_torchvision
from _transforms_oracle import IMAGES, compare, pil_of, same

import xpnet
from xpnet.data import transforms as T
from xpnet.data.transforms import InterpolationMode as IM
from xpnet.data.transforms import functional as F
from xpnet.data.transforms_v2_geometry import rand32

torchvision = import_torchvision()
import torchvision.transforms as TT  # noqa: E402
import torchvision.transforms.functional as TF  # noqa: E402

Image = pytest.importorskip("PIL.Image")
TIM = TT.InterpolationMode


def both(ours, theirs, image):
    """The transform of xpnet and of torchvision on the image (a key of IMAGES, or PIL)."""
    if isinstance(image, str):
        return ours(xpnet.Tensor(IMAGES[image].copy())), theirs(torch.from_numpy(IMAGES[image]))
    return ours(image), theirs(image.copy())


@pytest.mark.parametrize("image", ["u8", "u8-batch", "f32", "f64", "pil"])
@pytest.mark.parametrize(
    ("ours", "theirs"),
    [(T.Resize(5), TT.Resize(5)), (T.Resize([4, 9], IM.NEAREST), TT.Resize([4, 9], TIM.NEAREST)),
     (T.Resize(3, IM.BICUBIC, max_size=5), TT.Resize(3, TIM.BICUBIC, max_size=5)),
     (T.CenterCrop(4), TT.CenterCrop(4)), (T.CenterCrop([3, 11]), TT.CenterCrop([3, 11])),
     (T.Pad(2), TT.Pad(2)), (T.Pad([1, 2], 5), TT.Pad([1, 2], 5)),
     (T.Pad([1, 2, 3, 4], padding_mode="reflect"), TT.Pad([1, 2, 3, 4], padding_mode="reflect")),
     (T.Grayscale(), TT.Grayscale()), (T.Grayscale(3), TT.Grayscale(3)),
     (T.GaussianBlur(3, 1.5), TT.GaussianBlur(3, 1.5)),
     (T.GaussianBlur([5, 3], (0.8, 0.8)), TT.GaussianBlur([5, 3], (0.8, 0.8))),
     (T.FiveCrop(3), TT.FiveCrop(3)), (T.TenCrop([2, 4]), TT.TenCrop([2, 4])),
     (T.TenCrop(3, vertical_flip=True), TT.TenCrop(3, vertical_flip=True))],
)  # fmt: skip
def test_deterministic_classes(ours, theirs, image):
    image = pil_of("u8", "RGB") if image == "pil" else image
    mine, expected = both(ours, theirs, image)
    int_atol = int(isinstance(ours, T.Resize) and ours.interpolation == IM.BILINEAR)
    same(mine, expected, atol=2e-6, int_atol=int_atol)  # bilinear: test_resize_on_tensors
    assert repr(ours) == repr(theirs)


@pytest.mark.parametrize("mode", ["L", "RGB", "RGBA", "I", "F"])
def test_conversion_classes(mode):
    pic = pil_of("u8", mode)
    same(*both(T.ToTensor(), TT.ToTensor(), pic))
    same(*both(T.PILToTensor(), TT.PILToTensor(), pic))
    tensor = TF.pil_to_tensor(pic)
    pil_mode = "F" if mode == "F" else None
    ours = T.ToPILImage(pil_mode)(xpnet.Tensor(tensor.numpy()))
    same(ours, TT.ToPILImage(pil_mode)(tensor))
    pairs = [(T.ToTensor(), TT.ToTensor()), (T.PILToTensor(), TT.PILToTensor())]
    for ours, theirs in [*pairs, (T.ToPILImage(pil_mode), TT.ToPILImage(pil_mode))]:
        assert repr(ours) == repr(theirs)


@pytest.mark.parametrize("image", ["u8", "f32-batch", "f64"])
def test_normalize_and_convert_image_dtype_classes(image):
    float_image = IMAGES[image] / 255 if image == "u8" else IMAGES[image]
    pairs = [(T.Normalize([0.5], [0.2]), TT.Normalize([0.5], [0.2]))]
    for ours, theirs in [
        *pairs,
        (T.Normalize([0.5], [0.2], True), TT.Normalize([0.5], [0.2], True)),
    ]:
        same(ours(xpnet.Tensor(float_image.copy())), theirs(torch.from_numpy(float_image.copy())))
        assert repr(ours) == repr(theirs)
    ours, theirs = T.ConvertImageDtype(np.float64), TT.ConvertImageDtype(torch.float64)
    same(*both(ours, theirs, image))
    assert repr(ours) == repr(theirs)


def test_linear_transformation():
    rng = np.random.default_rng(3)
    matrix, mean = rng.random((12, 12), dtype=np.float32), rng.random(12, dtype=np.float32)
    ours = T.LinearTransformation(xpnet.Tensor(matrix), xpnet.Tensor(mean))
    theirs = TT.LinearTransformation(torch.from_numpy(matrix), torch.from_numpy(mean))
    image = rng.random((2, 3, 2, 2), dtype=np.float32)
    same(ours(xpnet.Tensor(image)), theirs(torch.from_numpy(image)), atol=2e-6)
    assert repr(ours) == repr(theirs)


@pytest.mark.parametrize("image", ["u8", "u8-gray", "u8-batch", "f32", "f64", "pil"])
@pytest.mark.parametrize(("size", "vertical_flip"), [(3, False), ([4], True), ((2, 5), False)])
def test_five_crop_and_ten_crop(image, size, vertical_flip):
    image = pil_of("u8", "RGB") if image == "pil" else image
    compare("five_crop", image, size)
    compare("ten_crop", image, size, vertical_flip)


@pytest.mark.parametrize("image", ["u8", "u8-batch", "f32", "f64", "pil"])
@pytest.mark.parametrize(("interpolation", "fill"), [(IM.BILINEAR, None), (IM.NEAREST, [7.0])])
def test_elastic_transform(image, interpolation, fill):
    height, width = (IMAGES["u8"] if image == "pil" else IMAGES[image]).shape[-2:]
    displacement = np.random.default_rng(5).random((1, height, width, 2), dtype=np.float32) - 0.5
    image = pil_of("u8", "RGB") if image == "pil" else image
    mode = TIM(interpolation.value)
    expected = TF.elastic_transform(
        torch.from_numpy(IMAGES[image]) if isinstance(image, str) else image.copy(),
        torch.from_numpy(displacement), mode, fill)  # fmt: skip
    ours = xpnet.Tensor(IMAGES[image]) if isinstance(image, str) else image
    same(F.elastic_transform(ours, xpnet.Tensor(displacement), interpolation, fill), expected)


def test_elastic_transform_class_draws_torchvision_v1s_displacement(monkeypatch):
    image = np.random.default_rng(4).random((3, 14, 15), dtype=np.float32)
    xpnet.manual_seed(0)
    draws = [torch.from_numpy(rand32((1, 1, 14, 15))) for _ in range(2)]
    monkeypatch.setattr(torch, "rand", lambda size: draws.pop(0))  # torchvision, xpnet's draws
    expected = TT.ElasticTransform.get_params([4.0, 2.0], [1.0, 1.5], [14, 15])
    xpnet.manual_seed(0)
    same(xpnet.Tensor(T.ElasticTransform.get_params([4.0, 2.0], [1.0, 1.5], [14, 15])), expected)
    xpnet.manual_seed(0)
    ours = T.ElasticTransform(alpha=[4.0, 2.0], sigma=[1.0, 1.5], fill=3)(xpnet.Tensor(image))
    same(ours, TF.elastic_transform(torch.from_numpy(image), expected, fill=[3.0]))
    ours, theirs = T.ElasticTransform(3.0, (2.0, 1.0), 0, (1, 2)), TT.ElasticTransform(
        3.0, (2.0, 1.0), 0, (1, 2))  # fmt: skip
    assert repr(ours) == repr(theirs)


# -- errors ---------------------------------------------------------------------------------
def same_error(ours, theirs):
    """Both calls raise the same exception type with the same message."""
    with pytest.raises(Exception) as expected:  # noqa: PT011 - torchvision's type is the oracle
        theirs()
    with pytest.raises(type(expected.value)) as actual:
        ours()
    assert type(actual.value) is type(expected.value)
    # xpnet names NumPy's dtypes (float32, not torch.float32) and shapes as tuples, by design
    message = re.sub(r"torch\.Size\(\[([^]]*)\]\)", r"(\1)", str(expected.value))
    assert str(actual.value) == message.replace("torch.", "")


SQUARE = [[0, 0], [1, 0], [1, 1], [0, 1]]
F32, F32T = IMAGES["f32"], torch.from_numpy(IMAGES["f32"])
ERRORS = {
    "pad-padding": (lambda f, x: f.pad(x, [1, 2, 3]), "u8"),
    "pad-mode": (lambda f, x: f.pad(x, 1, padding_mode="wrap"), "u8"),
    "pad-fill": (lambda f, x: f.pad(x, 1, fill="red"), "u8"),
    "pad-padding-type": (lambda f, x: f.pad(x, 1.5), "u8"),
    "resize-size": (lambda f, x: f.resize(x, [1, 2, 3]), "u8"),
    "resize-max-size": (lambda f, x: f.resize(x, [4, 5], max_size=9), "u8"),
    "resize-max-small": (lambda f, x: f.resize(x, 6, max_size=5), "u8"),
    "resize-box-tensor": (lambda f, x: f.resize(x, 4, f.InterpolationMode.BOX), "u8"),
    "resize-none": (lambda f, x: f.resize(x, None, max_size=4), "u8"),
    "normalize-int": (lambda f, x: f.normalize(x, [0.5], [0.5]), "u8"),
    "normalize-std": (lambda f, x: f.normalize(x, [0.5], [0.0]), "f32"),
    "brightness": (lambda f, x: f.adjust_brightness(x, -1.0), "u8"),
    "hue": (lambda f, x: f.adjust_hue(x, 0.7), "u8"),
    "gamma": (lambda f, x: f.adjust_gamma(x, -0.5), "u8"),
    "posterize-float": (lambda f, x: f.posterize(x, 3), "f32"),
    "equalize-float": (lambda f, x: f.equalize(x), "f32"),
    "solarize-threshold": (lambda f, x: f.solarize(x, 300), "u8"),
    "blur-even": (lambda f, x: f.gaussian_blur(x, 4), "u8"),
    "blur-sigma": (lambda f, x: f.gaussian_blur(x, 3, -1.0), "u8"),
    "grayscale-channels": (lambda f, x: f.rgb_to_grayscale(x, 2), "u8"),
    "affine-shear": (lambda f, x: f.affine(x, 0.0, [0, 0], 1.0, [1.0, 2.0, 3.0]), "u8"),
    "affine-scale": (lambda f, x: f.affine(x, 0.0, [0, 0], 0.0, 0.0), "u8"),
    "perspective-points": (lambda f, x: f.perspective(x, [[0, 0]] * 3, [[0, 0]] * 4), "u8"),
    "five-crop-big": (lambda f, x: f.five_crop(x, 20), "u8"),
    "five-crop-size": (lambda f, x: f.five_crop(x, [1, 2, 3]), "u8"),
    "ten-crop-big": (lambda f, x: f.ten_crop(x, [3, 30]), "u8"),
    "elastic-shape": (lambda f, x: f.elastic_transform(x, x[:1, None, :, :, None]), "f32"),
    "convert-unsafe": (lambda f, x: f.convert_image_dtype(x, x.dtype), "f32"),
    "erase-type": (lambda f, x: f.erase([1], 0, 0, 1, 1, 0), "u8"),
    "to-tensor-type": (lambda f, x: f.to_tensor([1, 2]), "u8"),
    "to-tensor-ndim": (lambda f, x: f.to_tensor(np.zeros(3)), "u8"),
    "pil-to-tensor-type": (lambda f, x: f.pil_to_tensor(np.zeros((2, 2))), "u8"),
    "to-pil-channels": (lambda f, x: f.to_pil_image(np.zeros((2, 2, 5), np.uint8)), "u8"),
    "to-pil-mode": (lambda f, x: f.to_pil_image(np.zeros((2, 2, 3), np.uint8), "RGBA"), "u8"),
    "to-pil-dtype": (lambda f, x: f.to_pil_image(np.zeros((2, 2, 3), np.int64)), "u8"),
    "to-pil-gray-mode": (lambda f, x: f.to_pil_image(np.zeros((2, 2), np.uint8), "RGB"), "u8"),
    "hflip-type": (lambda f, x: f.hflip([1]), "u8"),
    "crop-type": (lambda f, x: f.crop([1], 0, 0, 1, 1), "u8"),
    "dimensions-type": (lambda f, x: f.get_dimensions([1]), "u8"),
    "brightness-type": (lambda f, x: f.adjust_brightness(3, 1.0), "u8"),
    "normalize-2d": (lambda f, x: f.normalize(x[0], [0.5], [0.5]), "f32"),
    "grayscale-2d": (lambda f, x: f.rgb_to_grayscale(x[0]), "u8"),
    "grayscale-channels-2": (lambda f, x: f.rgb_to_grayscale(x[:2]), "u8"),
    "hue-gray-range": (lambda f, x: f.adjust_hue(x, -0.6), "u8"),
    "sharpness-negative": (lambda f, x: f.adjust_sharpness(x, -1.0), "u8"),
    "contrast-negative": (lambda f, x: f.adjust_contrast(x, -1.0), "u8"),
    "saturation-negative": (lambda f, x: f.adjust_saturation(x, -1.0), "u8"),
    "posterize-bits": (lambda f, x: f.posterize(x, 9), "u8"),
    "blur-kernel-float": (lambda f, x: f.gaussian_blur(x, 3.0), "u8"),
    "blur-kernel-len": (lambda f, x: f.gaussian_blur(x, [3, 3, 3]), "u8"),
    "rotate-angle-type": (lambda f, x: f.rotate(x, "10"), "u8"),
    "rotate-mode": (lambda f, x: f.rotate(x, 10, f.InterpolationMode.BICUBIC), "u8"),
    "affine-translate": (lambda f, x: f.affine(x, 0.0, [1], 1.0, 0.0), "u8"),
    "affine-fill-len": (lambda f, x: f.affine(x, 10.0, [0, 0], 1.0, 0.0, fill=[1, 2]), "u8"),
    "perspective-mode": (lambda f, x: f.perspective(x, SQUARE, SQUARE, 3), "u8"),
    "resize-interpolation": (lambda f, x: f.resize(x, 4, "bilinear"), "u8"),
    "center-crop-len": (lambda f, x: f.center_crop(x, [1, 2, 3]), "u8"),
}


@pytest.mark.parametrize("case", sorted(ERRORS))
def test_functional_errors(case):
    call, image = ERRORS[case]
    if case == "convert-unsafe":  # float32 to int32 is refused: "cannot be performed safely"
        ours = lambda: F.convert_image_dtype(xpnet.Tensor(F32), np.int32)  # noqa: E731
        return same_error(ours, lambda: TF.convert_image_dtype(F32T, torch.int32))
    if case == "elastic-shape":
        bad = np.zeros((1, 3, 3, 2), np.float32)
        ours = lambda: F.elastic_transform(xpnet.Tensor(F32), xpnet.Tensor(bad))  # noqa: E731
        return same_error(ours, lambda: TF.elastic_transform(F32T, torch.from_numpy(bad)))
    same_error(
        lambda: call(F, xpnet.Tensor(IMAGES[image].copy())),
        lambda: call(TF, torch.from_numpy(IMAGES[image].copy())),
    )


@pytest.mark.parametrize(
    "make",
    [lambda t: t.FiveCrop([1, 2, 3]), lambda t: t.TenCrop((1, 2, 3)), lambda t: t.Resize([]),
     lambda t: t.ElasticTransform(alpha=5), lambda t: t.ElasticTransform(sigma=[1.0]),
     lambda t: t.ElasticTransform(alpha=[1.0, 2]), lambda t: t.ElasticTransform(fill="x"),
     lambda t: t.GaussianBlur(4), lambda t: t.Grayscale(2)(pil_of("u8", "RGB")),
     lambda t: t.Pad([1, 2, 3]), lambda t: t.Normalize([0.5], [0.5])(pil_of("u8", "L"))],
)  # fmt: skip
def test_class_errors(make):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        same_error(lambda: make(T), lambda: make(TT))


def test_linear_transformation_errors():
    square, mean = torch.eye(4), torch.zeros(4)
    cases = [(torch.zeros(3, 4), torch.zeros(3)), (square, torch.zeros(3)),
             (square, torch.zeros(4, dtype=torch.float64))]  # fmt: skip
    for matrix, vector in cases:
        same_error(
            lambda m=matrix, v=vector: T.LinearTransformation(m.numpy(), v.numpy()),
            lambda m=matrix, v=vector: TT.LinearTransformation(m, v),
        )
    image = np.zeros((1, 3, 3), np.float32)
    same_error(
        lambda: T.LinearTransformation(square.numpy(), mean.numpy())(image),
        lambda: TT.LinearTransformation(square, mean)(torch.from_numpy(image)),
    )


def test_resize_of_pil_images_warns_that_antialias_is_always_on():
    message = "Anti-alias option is always applied for PIL Image input"
    with pytest.warns(UserWarning, match=message):
        expected = TF.resize(pil_of("u8", "RGB"), 4, antialias=False)
    with pytest.warns(UserWarning, match=message):
        same(F.resize(pil_of("u8", "RGB"), 4, antialias=False), expected)
