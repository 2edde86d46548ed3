"""The v2 functionals on tv_tensors against torchvision 0.28's (the real calls, same inputs).

Boxes of each format, float and integer, partly and fully outside the canvas; masks and
images. Float boxes are compared to float32 rounding: torchvision's float32 matmul of the
corners may add in another order than NumPy's (an ulp), which truncation can turn into one
unit for integer boxes, hence ``atol=1`` there for the warps.
"""

import numpy as np
import pytest
import torch
from _torchvision import import_torchvision
from xpnet.data.transforms.v2 import functional as F

import xpnet
from xpnet.data import transforms_functional, tv_tensors, tv_tensors_warp

torchvision = import_torchvision()
from torchvision import tv_tensors as tv  # noqa: E402
from torchvision.transforms.v2 import functional as TF  # noqa: E402

FORMATS = ["XYXY", "XYWH", "CXCYWH"]
DTYPES = [np.float32, np.float64, np.int64]
CANVAS = (12, 10)
# inside, the whole canvas, partly outside, fully outside
RAW = [[1, 2, 6, 7], [0, 0, 10, 12], [-3, 5, 4, 20], [11, 13, 3, 3]]


def boxes_pair(format, dtype, canvas=CANVAS):
    array = np.array(RAW).astype(dtype)
    theirs = tv.BoundingBoxes(torch.from_numpy(array), format=format, canvas_size=canvas)
    return tv_tensors.BoundingBoxes(array, format=format, canvas_size=canvas), theirs


def check_boxes(ours, theirs, atol=0.0):
    assert type(ours) is tv_tensors.BoundingBoxes
    assert ours.format.value == theirs.format.value
    assert ours.canvas_size == tuple(theirs.canvas_size)
    expected = theirs.numpy()
    assert xpnet.to_numpy(ours).dtype == expected.dtype
    if atol:
        np.testing.assert_allclose(xpnet.to_numpy(ours), expected, rtol=1e-5, atol=atol)
    else:
        np.testing.assert_array_equal(xpnet.to_numpy(ours), expected)


SIMPLE = [
    ("horizontal_flip", {}),
    ("vertical_flip", {}),
    ("crop", {"top": 2, "left": 3, "height": 6, "width": 5}),
    ("crop", {"top": -2, "left": -1, "height": 16, "width": 14}),
    ("center_crop", {"output_size": [6, 4]}),
    ("center_crop", {"output_size": [15, 13]}),
    ("pad", {"padding": [1, 2, 3, 4]}),
    ("pad", {"padding": 2}),
    ("resize", {"size": [24, 5]}),
    ("resize", {"size": [6], "max_size": 8}),
    ("resized_crop", {"top": 1, "left": 2, "height": 6, "width": 6, "size": [9, 3]}),
]


@pytest.mark.parametrize("format", FORMATS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_simple_geometry_on_boxes(backend, format, dtype):
    ours, theirs = boxes_pair(format, dtype)
    for name, kwargs in SIMPLE:
        check_boxes(getattr(F, name)(ours, **kwargs), getattr(TF, name)(theirs, **kwargs))


WARPS = [
    ("affine", {"angle": 30.0, "translate": [1, -2], "scale": 1.2, "shear": [10.0, 5.0]}),
    ("affine", {"angle": -17, "translate": (0, 3), "scale": 0.8, "shear": 3.0, "center": [2, 3]}),
    ("rotate", {"angle": 37.0}),
    ("rotate", {"angle": 37.0, "expand": True}),
    ("rotate", {"angle": -90.0, "expand": True}),
    ("rotate", {"angle": 20.0, "center": [1, 2]}),
    (
        "perspective",
        {
            "startpoints": [[0, 0], [9, 0], [9, 11], [0, 11]],
            "endpoints": [[1, 2], [8, 0], [9, 10], [0, 9]],
        },
    ),
    (
        "perspective",
        {
            "startpoints": None,
            "endpoints": None,
            "coefficients": [1.1, 0.1, -1.0, 0.05, 0.9, 2.0, 0.001, 0.002],
        },
    ),
]


@pytest.mark.parametrize("format", FORMATS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_warps_on_boxes(backend, format, dtype):
    ours, theirs = boxes_pair(format, dtype)
    atol = 1 if dtype == np.int64 else 2e-5
    for name, kwargs in WARPS:
        check_boxes(getattr(F, name)(ours, **kwargs), getattr(TF, name)(theirs, **kwargs), atol)


@pytest.mark.parametrize("format", FORMATS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_elastic_on_boxes(backend, format, dtype):
    ours, theirs = boxes_pair(format, dtype)
    displacement = np.random.default_rng(0).uniform(-0.2, 0.2, (1, *CANVAS, 2))
    displacement = displacement.astype(np.float32)
    expected = TF.elastic(theirs, torch.from_numpy(displacement))
    check_boxes(F.elastic(ours, displacement), expected, atol=1e-6 * (dtype == np.float64))


def test_box_kernels_take_plain_boxes(backend):
    array = np.array(RAW, dtype=np.float32)
    kwargs = {"angle": 12.0, "translate": [1, 1], "scale": 1.1, "shear": [2.0, 0.0]}
    expected = TF.affine_bounding_boxes(torch.from_numpy(array), "XYWH", CANVAS, **kwargs)
    ours = F.affine_bounding_boxes(array, "XYWH", CANVAS, **kwargs)
    np.testing.assert_allclose(ours, expected.numpy(), rtol=1e-5, atol=2e-5)
    out, canvas = F.rotate_bounding_boxes(xpnet.tensor(array), "XYXY", CANVAS, 30.0, expand=True)
    theirs, their_canvas = TF.rotate_bounding_boxes(
        torch.from_numpy(array), tv.BoundingBoxFormat.XYXY, CANVAS, 30.0, expand=True
    )
    assert type(out) is xpnet.Tensor and canvas == tuple(their_canvas)
    np.testing.assert_allclose(xpnet.to_numpy(out), theirs.numpy(), rtol=1e-5, atol=2e-5)


@pytest.mark.parametrize("shape", [(12, 10), (2, 12, 10)])
def test_masks_follow_with_nearest(backend, shape):
    array = np.random.default_rng(1).integers(0, 5, shape).astype(np.uint8)
    ours, theirs = tv_tensors.Mask(array), tv.Mask(torch.from_numpy(array))
    displacement = np.random.default_rng(2).uniform(-0.1, 0.1, (1, *CANVAS, 2))
    displacement = displacement.astype(np.float32)
    calls = [*SIMPLE, *WARPS, ("elastic", {"displacement": displacement})]
    for name, kwargs in calls:
        their_kwargs = dict(kwargs)
        if name == "elastic":
            their_kwargs["displacement"] = torch.from_numpy(displacement)
        output = getattr(F, name)(ours, **kwargs)
        expected = getattr(TF, name)(theirs, **their_kwargs)
        assert type(output) is tv_tensors.Mask, name
        np.testing.assert_array_equal(xpnet.to_numpy(output), expected.numpy(), err_msg=name)


def test_images_stay_images(backend):
    array = np.random.default_rng(3).random((3, 12, 10)).astype(np.float32)
    ours, theirs = tv_tensors.Image(array), tv.Image(torch.from_numpy(array))
    for name, kwargs in [*SIMPLE[:3], *WARPS]:
        if name == "resize" or name == "resized_crop":
            continue
        output = getattr(F, name)(ours, **kwargs)
        expected = getattr(TF, name)(theirs, **kwargs)
        assert type(output) is tv_tensors.Image, name
        np.testing.assert_allclose(xpnet.to_numpy(output), expected.numpy(), atol=1e-5)


@pytest.mark.parametrize("old", FORMATS)
@pytest.mark.parametrize("new", FORMATS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_convert_and_clamp(backend, old, new, dtype):
    ours, theirs = boxes_pair(old, dtype)
    expected = TF.convert_bounding_box_format(theirs, new_format=new)
    check_boxes(F.convert_bounding_box_format(ours, new_format=new), expected)
    check_boxes(F.clamp_bounding_boxes(ours), TF.clamp_bounding_boxes(theirs))


def test_kernel_names_are_torchvisions():
    from torchvision.transforms.v2 import functional as theirs

    families = ("_image", "_mask", "_bounding_boxes")
    names = {n for n in dir(theirs) if n.endswith(families) and not n.startswith("_")}
    # operations xpnet does not have (or has under v2's dispatcher only)
    missing = {"get_num_channels_image", "grayscale_to_rgb_image", "sanitize_bounding_boxes"}
    assert sorted(names - missing - {"to_image", "to_pil_image"} - set(F.__all__)) == []
    # the kernel is the dispatcher's function, not a second one
    assert F.affine_bounding_boxes is tv_tensors_warp.affine_bounding_boxes
    assert F.crop_image is F.crop_mask is transforms_functional.crop


def test_warp_errors_match():
    ours, theirs = boxes_pair("XYXY", np.float32)
    bad = [
        ("affine", {"angle": "1", "translate": [0, 0], "scale": 1.0, "shear": 0.0}),
        ("affine", {"angle": 1.0, "translate": [0], "scale": 1.0, "shear": 0.0}),
        ("affine", {"angle": 1.0, "translate": [0, 0], "scale": 0.0, "shear": 0.0}),
        ("perspective", {"startpoints": None, "endpoints": None}),
        ("perspective", {"startpoints": None, "endpoints": None, "coefficients": [1.0]}),
        ("perspective", {"startpoints": None, "endpoints": None, "coefficients": [0.0] * 8}),
        ("elastic", {"displacement": np.zeros((1, 3, 3, 2), np.float32)}),
        ("pad", {"padding": 1, "padding_mode": "reflect"}),
    ]
    for name, kwargs in bad:
        with pytest.raises(Exception) as expected:
            their_kwargs = dict(kwargs)
            if name == "elastic":
                their_kwargs["displacement"] = torch.from_numpy(kwargs["displacement"])
            getattr(TF, name)(theirs, **their_kwargs)
        with pytest.raises(expected.type) as got:
            getattr(F, name)(ours, **kwargs)
        assert str(got.value).split(" but given")[0] == str(expected.value).split(" but given")[0]


IMAGE_ONLY = [
    ("adjust_brightness", (1.3,)),
    ("adjust_contrast", (0.7,)),
    ("adjust_saturation", (1.5,)),
    ("adjust_hue", (0.1,)),
    ("adjust_gamma", (1.2,)),
    ("adjust_sharpness", (2.0,)),
    ("autocontrast", ()),
    ("equalize", ()),
    ("invert", ()),
    ("posterize", (3,)),
    ("solarize", (100,)),
    ("gaussian_blur", ([3, 3], [1.0, 1.0])),
    ("rgb_to_grayscale", ()),
    ("permute_channels", ([2, 0, 1],)),
]


def test_image_functionals_keep_images_and_refuse_boxes_and_masks():
    array = np.random.default_rng(4).integers(0, 256, (3, 6, 5)).astype(np.uint8)
    ours, theirs = tv_tensors.Image(array), tv.Image(torch.from_numpy(array))
    boxes, their_boxes = boxes_pair("XYXY", np.float32)
    for name, args in IMAGE_ONLY:
        output, expected = getattr(F, name)(ours, *args), getattr(TF, name)(theirs, *args)
        assert type(output) is tv_tensors.Image, name
        np.testing.assert_array_equal(xpnet.to_numpy(output), expected.numpy(), err_msg=name)
        for leaf, their_leaf in [(boxes, their_boxes), (tv_tensors.Mask(array), tv.Mask(theirs))]:
            with pytest.raises(TypeError) as error:
                getattr(TF, name)(their_leaf, *args)
            prefix = str(error.value).split(" supports")[0]
            with pytest.raises(TypeError, match=prefix.replace(".", r"\.")):
                getattr(F, name)(leaf, *args)
    # to_dtype: masks and boxes are cast, images scaled, each kept its type
    for leaf, their_leaf in [(ours, theirs), (boxes, their_boxes)]:
        output = F.to_dtype(leaf, np.float64, scale=True)
        expected = TF.to_dtype(their_leaf, torch.float64, scale=True)
        assert type(output).__name__ == type(expected).__name__
        np.testing.assert_allclose(xpnet.to_numpy(output), expected.numpy(), rtol=1e-12)
    image = F.to_image(array.transpose(1, 2, 0))
    assert type(image) is tv_tensors.Image
    np.testing.assert_array_equal(
        xpnet.to_numpy(image), TF.to_image(array.transpose(1, 2, 0)).numpy()
    )
