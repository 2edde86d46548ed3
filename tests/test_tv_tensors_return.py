"""What Tensor methods and operators return on tv_tensors, against torchvision 0.28's
``__torch_function__``: plain Tensors by default, the tv_tensor's class and metadata for
``clone``, ``to``, ``detach``, ``requires_grad_`` and under ``set_return_type("TVTensor")``."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from _torchvision import import_torchvision

import xpnet
from xpnet.data import tv_tensors

torchvision = import_torchvision()
from torchvision import tv_tensors as tv  # noqa: E402

BOXES = np.array([[1, 2, 5, 6], [0, 0, 3, 3]], np.float32)
IMAGE = np.random.default_rng(0).random((3, 4, 5)).astype(np.float32)
MASK = (IMAGE[0] > 0.5).astype(np.uint8)


def pairs():
    return [
        (tv_tensors.Image(IMAGE), tv.Image(torch.from_numpy(IMAGE))),
        (tv_tensors.Mask(MASK), tv.Mask(torch.from_numpy(MASK))),
        (
            tv_tensors.BoundingBoxes(BOXES, format="XYXY", canvas_size=(7, 8)),
            tv.BoundingBoxes(torch.from_numpy(BOXES), format="XYXY", canvas_size=(7, 8)),
        ),
        (
            tv_tensors.KeyPoints(BOXES.reshape(-1, 2), canvas_size=(7, 8)),
            tv.KeyPoints(torch.from_numpy(BOXES.reshape(-1, 2)), canvas_size=(7, 8)),
        ),
    ]


# (name, what xpnet calls, what torch calls)
OPERATIONS = [
    ("add", lambda t: t + 1, lambda t: t + 1),
    ("radd", lambda t: 2 - t, lambda t: 2 - t),
    ("neg", lambda t: -t, lambda t: -t),
    ("compare", lambda t: t > 0.5, lambda t: t > 0.5),
    ("index", lambda t: t[0], lambda t: t[0]),
    ("reshape", lambda t: t.reshape(-1), lambda t: t.reshape(-1)),
    ("sum", lambda t: t.sum(), lambda t: t.sum()),
    ("float", lambda t: t.float(), lambda t: t.float()),
    ("clone", lambda t: t.clone(), lambda t: t.clone()),
    ("to", lambda t: t.to(xpnet.float64), lambda t: t.to(torch.float64)),
    ("detach", lambda t: t.detach(), lambda t: t.detach()),
    ("grad_", lambda t: t.detach().requires_grad_(), lambda t: t.detach().requires_grad_()),
]


def metadata(t):
    return {key: getattr(t, key, None) for key in ("canvas_size", "clamping_mode")} | {
        "format": getattr(getattr(t, "format", None), "value", None)
    }


def check_same_kind(ours, theirs, name):
    assert type(ours).__name__ == type(theirs).__name__, name
    their_metadata = metadata(theirs)
    if their_metadata["canvas_size"] is not None:
        their_metadata["canvas_size"] = tuple(their_metadata["canvas_size"])
    assert metadata(ours) == their_metadata, name
    expected = theirs.detach().numpy()
    actual = xpnet.to_numpy(ours.detach())
    assert actual.dtype == expected.dtype, name
    np.testing.assert_allclose(actual, expected, rtol=1e-6, err_msg=name)  # sums: their order


@pytest.mark.parametrize("return_type", ["Tensor", "TVTensor", "tvtensor"])
@pytest.mark.parametrize(("name", "ours", "theirs"), OPERATIONS, ids=[o[0] for o in OPERATIONS])
def test_operations_return_what_torchvisions_return(return_type, name, ours, theirs):
    for our_input, their_input in pairs():
        if name == "grad_" and not their_input.is_floating_point():
            continue  # only floats take gradients
        with tv.set_return_type(return_type):
            expected = theirs(their_input)
        with tv_tensors.set_return_type(return_type):
            actual = ours(our_input)
        if actual is our_input:  # a no-op (float() of a float32 image) returns the tv_tensor
            expected = their_input  # itself, where torchvision gives a plain alias of it
        check_same_kind(actual, expected, f"{name} of {type(their_input).__name__}")


def test_set_return_type_is_global_and_a_context_manager():
    image = tv_tensors.Image(IMAGE)
    tv_tensors.set_return_type("TVTensor")
    try:
        assert type(image + 1) is tv_tensors.Image
        with tv_tensors.set_return_type("Tensor"):
            assert type(image + 1) is xpnet.Tensor
        assert type(image + 1) is tv_tensors.Image  # restored
    finally:
        tv_tensors.set_return_type("Tensor")
    assert type(image + 1) is xpnet.Tensor
    with pytest.raises(ValueError) as expected:
        tv.set_return_type("image")
    with pytest.raises(ValueError, match=str(expected.value)):
        tv_tensors.set_return_type("image")


def test_kept_types_keep_the_autograd_history():
    image = tv_tensors.Image(IMAGE, requires_grad=True)
    with tv_tensors.set_return_type("TVTensor"):
        doubled = (image * 2).clone()
    assert type(doubled) is tv_tensors.Image
    doubled.sum().backward()
    np.testing.assert_array_equal(xpnet.to_numpy(image.grad), np.full(IMAGE.shape, 2.0))
