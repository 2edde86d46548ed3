"""v2.ToDtype with one dtype or a dict of dtypes per tv_tensor type, against torchvision
0.28's (the real transform, same samples): what each leaf becomes, the catch-all "others",
None, the warnings and the errors."""

from __future__ import annotations

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
from torchvision.transforms import v2 as TV  # noqa: E402

RNG = np.random.default_rng(0)
IMAGE = RNG.integers(0, 256, (3, 4, 5)).astype(np.uint8)
MASK = RNG.integers(0, 3, (4, 5)).astype(np.uint8)
BOXES = np.array([[1, 1, 3, 4]], np.int64)
PLAIN = RNG.integers(0, 256, (3, 4, 5)).astype(np.uint8)

OURS = {"image": tv_tensors.Image, "mask": tv_tensors.Mask, "tensor": xpnet.Tensor}
THEIRS = {"image": tv.Image, "mask": tv.Mask, "tensor": torch.Tensor}
DTYPES = {"float32": (xpnet.float32, torch.float32), "int64": (xpnet.int64, torch.int64),
          "float64": (xpnet.float64, torch.float64), None: (None, None)}  # fmt: skip


def samples():
    ours = {
        "image": tv_tensors.Image(IMAGE),
        "mask": tv_tensors.Mask(MASK),
        "boxes": tv_tensors.BoundingBoxes(BOXES, format="XYXY", canvas_size=(4, 5)),
        "label": 3,
    }
    theirs = {
        "image": tv.Image(torch.from_numpy(IMAGE)),
        "mask": tv.Mask(torch.from_numpy(MASK)),
        "boxes": tv.BoundingBoxes(torch.from_numpy(BOXES), format="XYXY", canvas_size=(4, 5)),
        "label": 3,
    }
    return ours, theirs


def check_sample(ours, theirs):
    assert ours.keys() == theirs.keys()
    for key, expected in theirs.items():
        actual = ours[key]
        if not isinstance(expected, torch.Tensor):
            assert actual == expected
            continue
        assert type(actual).__name__ == type(expected).__name__, key
        np.testing.assert_array_equal(xpnet.to_numpy(actual), expected.numpy(), err_msg=key)
        assert xpnet.to_numpy(actual).dtype == expected.numpy().dtype, key


def dtype_pair(spec):
    """Our and torchvision's ``dtype`` argument from ``{"image": "float32", ...}``."""
    ours = {"others" if k == "others" else OURS[k]: DTYPES[v][0] for k, v in spec.items()}
    theirs = {"others" if k == "others" else THEIRS[k]: DTYPES[v][1] for k, v in spec.items()}
    return ours, theirs


SPECS = [
    {"image": "float32", "others": None},
    {"image": "float64", "mask": "int64", "others": None},
    {"image": None, "mask": "float32", "others": "int64"},
    {"image": "float32", "mask": "int64", "others": "float64"},
]


@pytest.mark.parametrize("spec", SPECS, ids=str)
@pytest.mark.parametrize("scale", [False, True])
def test_dict_of_dtypes_matches_torchvision(spec, scale):
    ours_dtype, their_dtype = dtype_pair(spec)
    ours, theirs = samples()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the scale-without-dtype warning: tested below
        check_sample(v2.ToDtype(ours_dtype, scale)(ours), TV.ToDtype(their_dtype, scale)(theirs))


@pytest.mark.parametrize("scale", [False, True])
def test_one_dtype_converts_images_and_plain_tensors_only(scale):
    ours, theirs = samples()
    check_sample(v2.ToDtype(xpnet.float32, scale)(ours), TV.ToDtype(torch.float32, scale)(theirs))
    plain = v2.ToDtype({xpnet.Tensor: xpnet.float32}, scale)(PLAIN)  # an array is plain
    expected = TV.ToDtype({torch.Tensor: torch.float32}, scale)(torch.from_numpy(PLAIN))
    np.testing.assert_array_equal(plain, expected.numpy())


def test_a_type_the_dict_does_not_name_is_an_error():
    ours, theirs = samples()
    with pytest.raises(ValueError) as expected:
        TV.ToDtype({tv.Image: torch.float32})(theirs)
    with pytest.raises(ValueError) as actual:
        v2.ToDtype({tv_tensors.Image: xpnet.float32})(ours)
    # torchvision names torch's types and dtypes, xpnet its own
    assert str(actual.value).split(" If ")[1:] == [
        part.replace("torch.", "xpnet.") for part in str(expected.value).split(" If ")[1:]
    ]
    assert "No dtype was specified for type" in str(actual.value)


def test_warnings_are_torchvisions():
    with pytest.warns(UserWarning, match="Got `dtype` values for `torch.Tensor`"):
        TV.ToDtype({torch.Tensor: torch.float32, tv.Image: torch.float32})
    with pytest.warns(UserWarning, match="Got `dtype` values for `xpnet.Tensor`"):
        v2.ToDtype({xpnet.Tensor: xpnet.float32, tv_tensors.Image: xpnet.float32})
    ours, theirs = samples()
    message = "scale was set to True but no dtype was specified"
    with pytest.warns(UserWarning, match=message):
        TV.ToDtype({tv.Image: None, "others": None}, scale=True)(theirs)
    with pytest.warns(UserWarning, match=message):
        v2.ToDtype({tv_tensors.Image: None, "others": None}, scale=True)(ours)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no scaling refused for a mask: no warning
        v2.ToDtype({tv_tensors.Mask: None, "others": xpnet.float32}, scale=True)(ours)


def test_bad_dtypes_are_refused_when_built():
    with pytest.raises(ValueError, match=r"ToDtype: dtype must be a dict or a dtype"):
        v2.ToDtype(None)
    with pytest.raises(ValueError, match=r"ToDtype: dtype\['others'\] must be a dtype"):
        v2.ToDtype({"others": "no-such-dtype"})
    assert "scale=True" in repr(v2.ToDtype({"others": None}, scale=True))
