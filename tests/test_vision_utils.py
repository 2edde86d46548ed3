"""xpnet.data.vision_utils against torchvision 0.28's ``torchvision.utils``: the same call on
both sides, uint8 results pixel for pixel (Pillow draws on both), floats equal, and the same
exception types and messages (torch's dtype and shape names read as NumPy's)."""

from __future__ import annotations

import io
import re

import numpy as np
import pytest
import torch
from _torchvision import import_torchvision

import xpnet
from xpnet.data import vision_utils as U

torchvision = import_torchvision()
import torchvision.utils as TU  # noqa: E402

RNG = np.random.default_rng(3)
U8 = RNG.integers(0, 256, (3, 24, 32), dtype=np.uint8)
F32 = RNG.random((3, 24, 32), dtype=np.float32)
BOXES = np.array([[1.7, 2.2, 20.9, 15.5], [8, 10, 30, 23], [0, 0, 5, 5]], dtype=np.float32)
KEYPOINTS = np.array([[[3.6, 4], [20, 8], [12, 18]], [[25, 3], [28, 20], [5, 20]]], np.float32)


def inputs(backend, *arrays):
    """Each array as (an xpnet Tensor on the backend under test, a torch tensor)."""
    ours = [xpnet.tensor(backend.xp.asarray(a)) if isinstance(a, np.ndarray) else a for a in arrays]
    theirs = [torch.from_numpy(a.copy()) if isinstance(a, np.ndarray) else a for a in arrays]
    return ours, theirs


def same(actual, expected):
    """xpnet's result is torchvision's exactly: a Tensor of the same shape, dtype and values."""
    assert isinstance(actual, xpnet.Tensor), type(actual)
    actual, expected = xpnet.to_numpy(actual), expected.numpy()
    assert (actual.shape, actual.dtype) == (expected.shape, expected.dtype)
    np.testing.assert_array_equal(actual, expected)


def compare(backend, name, *arrays, **kwargs):
    """``name`` of xpnet and torchvision on the same inputs, held to each other."""
    ours, theirs = inputs(backend, *arrays)
    same(getattr(U, name)(*ours, **kwargs), getattr(TU, name)(*theirs, **kwargs))


def numpy_message(message: str) -> str:
    """torchvision's message with torch's names as xpnet's: torch.Size([2, 3]) is (2, 3),
    torch.float (flow_to_image's float32) float32, torch.uint8 uint8."""
    shape = r"torch\.Size\(\[([^\]]*)\]\)"
    message = re.sub(shape, lambda m: str(tuple(int(n) for n in m[1].split(", ") if n)), message)
    return re.sub(r"\btorch\.(\w+)", r"\1", message.replace("torch.float,", "float32,"))


def same_error(backend, name, *arrays, **kwargs):
    """xpnet raises torchvision's exception type and message on the same call (array keyword
    arguments given as Tensors too)."""
    n = len(arrays)
    ours, theirs = inputs(backend, *arrays, *kwargs.values())
    with pytest.raises(Exception) as expected:  # noqa: PT011  (whatever torchvision raises)
        getattr(TU, name)(*theirs[:n], **dict(zip(kwargs, theirs[n:], strict=True)))
    message = re.escape(numpy_message(str(expected.value)))
    with pytest.raises(expected.type, match=f"^{message}$"):
        getattr(U, name)(*ours[:n], **dict(zip(kwargs, ours[n:], strict=True)))


# -- make_grid and save_image ---------------------------------------------------------------
@pytest.mark.parametrize(
    ("shape", "dtype", "kwargs"),
    [((5, 3, 4, 5), np.float32, {"nrow": 2, "padding": 1}),
     ((3, 1, 4, 4), np.float32, {"pad_value": 0.5}),
     ((1, 3, 4, 4), np.float32, {}),
     ((1, 6, 5), np.float64, {"normalize": True}),
     ((6, 5), np.float32, {}),
     ((4, 3, 3, 4), np.float32, {"normalize": True, "padding": 0}),
     ((4, 3, 3, 4), np.float32, {"normalize": True, "value_range": (0.2, 0.7), "nrow": 3}),
     ((3, 3, 3, 4), np.float64, {"normalize": True, "scale_each": True, "pad_value": 1}),
     ((4, 3, 5, 3), np.uint8, {"nrow": 3, "pad_value": 255})],
)  # fmt: skip
def test_make_grid_matches_torchvision(backend, shape, dtype, kwargs):
    array = (RNG.random(shape) * 4 - 1).astype(dtype) if dtype != np.uint8 else U8[:3, :5, :3]
    array = np.broadcast_to(array, shape).copy()
    compare(backend, "make_grid", array, **kwargs)


def test_make_grid_takes_lists_and_arrays(backend):
    images = [RNG.random((1, 4, 3), dtype=np.float32) for _ in range(3)]
    expected = TU.make_grid([torch.from_numpy(a) for a in images], nrow=2)
    same(U.make_grid(inputs(backend, *images)[0], nrow=2), expected)
    same(U.make_grid(np.stack(images), nrow=2), expected)  # a NumPy batch


@pytest.mark.parametrize(
    ("tensor", "kwargs"),
    [("image", {}), ([1.0], {}), ("batch", {"normalize": True, "value_range": [0, 1]})],
)
def test_make_grid_errors_match_torchvision(backend, tensor, kwargs):
    batch = RNG.random((2, 3, 2, 2), dtype=np.float32)
    same_error(backend, "make_grid", batch if tensor == "batch" else tensor, **kwargs)


def test_make_grid_refuses_what_torch_refuses(backend):
    images = [np.zeros((3, 2, 2), np.float32), np.zeros((3, 3, 2), np.float32)]
    ours, theirs = inputs(backend, *images)
    with pytest.raises(RuntimeError) as expected:
        TU.make_grid(theirs)
    with pytest.raises(RuntimeError, match=f"^{re.escape(str(expected.value))}$"):
        U.make_grid(ours)
    (batch,), _ = inputs(backend, U8[None].repeat(2, axis=0))
    # torch fails in clamp_ ("... type unsigned char"), xpnet says why
    with pytest.raises(RuntimeError, match="^result type Float can't be cast to the desired "):
        U.make_grid(batch, normalize=True)


def test_save_image_refuses_integer_images_as_torchvision(backend):
    same_error(backend, "save_image", U8, io.BytesIO(), format="PNG")


def test_save_image_writes_torchvision_file(backend, tmp_path):
    batch = (RNG.random((3, 3, 5, 4)) * 1.2 - 0.1).astype(np.float32)  # clamped below 0, above 1
    (ours,), (theirs,) = inputs(backend, batch)
    U.save_image(ours, tmp_path / "ours.png", nrow=2, pad_value=0.3)
    TU.save_image(theirs, tmp_path / "theirs.png", nrow=2, pad_value=0.3)
    assert (tmp_path / "ours.png").read_bytes() == (tmp_path / "theirs.png").read_bytes()
    buffers = io.BytesIO(), io.BytesIO()
    U.save_image(ours[0], buffers[0], format="BMP", normalize=True)
    TU.save_image(theirs[0], buffers[1], format="BMP", normalize=True)
    assert buffers[0].getvalue() == buffers[1].getvalue()


# -- drawing --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("image", "kwargs"),
    [(U8, {}),
     (U8, {"colors": "red", "width": 2, "labels": ["a", "bc", "Def"]}),
     (U8, {"colors": ["blue", "#00FF00", (1, 2, 3), "white"], "fill": True}),
     (U8[:1], {"colors": (240, 10, 157), "labels": ["x", "y", "z"], "fill_labels": True}),
     (F32, {"labels": ["p", "q", "r"], "label_colors": "yellow", "fill": True}),
     (U8, {"labels": ["p", "q", "r"], "fill_labels": True,
           "label_background_colors": ["red", "green", "blue"]})],
)  # fmt: skip
def test_draw_bounding_boxes_matches_torchvision(backend, image, kwargs):
    compare(backend, "draw_bounding_boxes", image, BOXES, **kwargs)


def test_draw_oriented_boxes_matches_torchvision(backend):
    oriented = np.array([[2, 3, 20, 5, 18, 20, 1, 17], [30, 2, 25, 22, 12, 12, 20, 2]], np.float32)
    compare(backend, "draw_bounding_boxes", U8, oriented, width=2, fill=True, labels=["o", "p"])


@pytest.mark.parametrize(
    ("image", "boxes", "kwargs"),
    [([1, 2], BOXES, {}), (U8.astype(np.int32), BOXES, {}), (U8[None], BOXES, {}),
     (U8[:2], BOXES, {}), (U8, BOXES[:, [2, 1, 0, 3]], {}), (U8, BOXES, {"labels": ["a"]}),
     (U8, BOXES, {"colors": ["red", "blue"]}), (U8, BOXES, {"colors": (1, 2)}),
     (U8, BOXES, {"colors": 7})],
)  # fmt: skip
def test_draw_bounding_boxes_errors_match_torchvision(backend, image, boxes, kwargs):
    same_error(backend, "draw_bounding_boxes", image, boxes, **kwargs)


def test_draw_bounding_boxes_warns_as_torchvision(backend):
    (image, boxes), _ = inputs(backend, U8, BOXES)
    with pytest.warns(UserWarning, match="^boxes doesn't contain any box. No box was drawn$"):
        assert U.draw_bounding_boxes(image, boxes[:0]) is image
    with pytest.warns(UserWarning, match="^Argument 'font_size' will be ignored since"):
        U.draw_bounding_boxes(image, boxes, font_size=12)


MASKS = RNG.random((3, 24, 32)) > 0.6  # overlapping: those pixels are blended with black


@pytest.mark.parametrize(
    ("image", "masks", "kwargs"),
    [(U8, MASKS, {}), (U8, MASKS[0], {"alpha": 0.35, "colors": "purple"}),
     (U8, MASKS, {"alpha": 1.0, "colors": ["red", (9.7, 200, 3), "#123456", "blue"]}),
     (F32, MASKS, {"alpha": 0.6}), (F32.astype(np.float64), MASKS[1:], {"colors": (40, 50, 60)})],
)  # fmt: skip
def test_draw_segmentation_masks_matches_torchvision(backend, image, masks, kwargs):
    compare(backend, "draw_segmentation_masks", image, masks, **kwargs)


@pytest.mark.parametrize(
    ("image", "masks"),
    [("image", MASKS), (U8[:1], MASKS), (U8, MASKS[None]), (U8, MASKS.astype(np.uint8)),
     (U8, MASKS[:, :5])],
)  # fmt: skip
def test_draw_segmentation_masks_errors_match_torchvision(backend, image, masks):
    same_error(backend, "draw_segmentation_masks", image, masks)


def test_draw_segmentation_masks_warns_as_torchvision(backend):
    (image, masks), _ = inputs(backend, U8, MASKS[:0])
    with pytest.warns(UserWarning, match="^masks doesn't contain any mask. No mask was drawn$"):
        assert U.draw_segmentation_masks(image, masks) is image


@pytest.mark.parametrize(
    ("image", "kwargs"),
    [(U8, {}), (U8, {"connectivity": [(0, 1), (1, 2)], "colors": "red", "radius": 3}),
     (F32, {"connectivity": [(0, 2)], "colors": (5, 250, 9), "width": 1}),
     (U8, {"connectivity": [(0, 1), (2, 0)], "colors": "lime",  # (no colour: no points)
           "visibility": np.array([[1, 0, 1], [1, 1, 0]])}),
     (U8, {"connectivity": [(1, 2)], "colors": "red",
           "visibility": np.array([[[True], [True], [False]]] * 2)})],
)  # fmt: skip
def test_draw_keypoints_matches_torchvision(backend, image, kwargs):
    ours = dict(kwargs)
    theirs = {k: torch.from_numpy(v) if k == "visibility" else v for k, v in kwargs.items()}
    (image_ours, points_ours), (image_theirs, points_theirs) = inputs(backend, image, KEYPOINTS)
    expected = TU.draw_keypoints(image_theirs, points_theirs, **theirs)
    same(U.draw_keypoints(image_ours, points_ours, **ours), expected)


@pytest.mark.parametrize(
    ("image", "keypoints", "visibility"),
    [(U8.astype(np.int64), KEYPOINTS, None), (U8[:1], KEYPOINTS, None),
     (U8, KEYPOINTS[0], None), (U8, KEYPOINTS, np.ones(3, bool)),
     (U8, KEYPOINTS, np.ones((2, 2), bool))],
)  # fmt: skip
def test_draw_keypoints_errors_match_torchvision(backend, image, keypoints, visibility):
    same_error(backend, "draw_keypoints", image, keypoints, visibility=visibility)


# -- flow_to_image --------------------------------------------------------------------------
@pytest.mark.parametrize("shape", [(2, 16, 20), (3, 2, 9, 7)])
def test_flow_to_image_matches_torchvision(backend, shape):
    compare(backend, "flow_to_image", (RNG.standard_normal(shape) * 3).astype(np.float32))


def test_flow_to_image_of_zero_flow_and_wheel_end(backend):
    compare(backend, "flow_to_image", np.zeros((2, 3, 4), np.float32))
    # x > 0 and y = -0.0: the angle is +pi, the wheel's last colour (its next one wraps to 0)
    compare(backend, "flow_to_image", np.array([[[1.0, 0.5]], [[-0.0, 0.0]]], np.float32))


@pytest.mark.parametrize("flow", [np.zeros((2, 3, 3)), np.zeros((3, 4, 5), np.float32)])
def test_flow_to_image_errors_match_torchvision(backend, flow):
    same_error(backend, "flow_to_image", flow)


def test_module_exposed_as_torchvision_utils():
    assert xpnet.data.vision_utils is U
    assert sorted(U.__all__) == sorted(n for n in TU.__all__ if not n.startswith("_"))
    assert U.draw_keypoints.__module__ == "xpnet.data.vision_utils_draw"
