"""BoundingBoxes' ``clamping_mode`` ("soft", "hard", None), ``v2.SetClampingMode`` and
``clamp_bounding_boxes``' modes, against torchvision 0.28's (the real calls, same inputs)."""

import numpy as np
import pytest
import torch
from _torchvision import import_torchvision
from xpnet.data.transforms.v2 import functional as F

import xpnet
from xpnet.data import tv_tensors
from xpnet.data.transforms import v2

torchvision = import_torchvision()
from torchvision import tv_tensors as tv  # noqa: E402
from torchvision.transforms import v2 as T  # noqa: E402
from torchvision.transforms.v2 import functional as TF  # noqa: E402

CANVAS = (12, 10)
RAW = [[1, 2, 6, 7], [-3, 5, 4, 20], [11, 13, 3, 3]]  # inside, partly and fully outside
CALLS = [
    ("crop", {"top": 2, "left": 3, "height": 6, "width": 5}),
    ("pad", {"padding": [1, 2]}),
    ("center_crop", {"output_size": [6, 4]}),
    ("resized_crop", {"top": 1, "left": 2, "height": 6, "width": 6, "size": [9, 3]}),
    ("rotate", {"angle": 30.0, "expand": True}),
    ("affine", {"angle": 10.0, "translate": [1, 2], "scale": 1.1, "shear": [5.0, 2.0]}),
    ("clamp_bounding_boxes", {}),
]


def boxes_pair(mode, format="XYWH"):
    array = np.array(RAW, np.float64)
    theirs = tv.BoundingBoxes(
        torch.from_numpy(array), format=format, canvas_size=CANVAS, clamping_mode=mode
    )
    ours = tv_tensors.BoundingBoxes(array, format=format, canvas_size=CANVAS, clamping_mode=mode)
    return ours, theirs


def check(ours, theirs):
    assert type(ours) is tv_tensors.BoundingBoxes and ours.clamping_mode == theirs.clamping_mode
    assert ours.canvas_size == tuple(theirs.canvas_size)
    np.testing.assert_allclose(xpnet.to_numpy(ours), theirs.numpy(), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("mode", ["soft", "hard", None])
@pytest.mark.parametrize(("name", "kwargs"), CALLS, ids=[name for name, _ in CALLS])
def test_clamping_mode_through_the_functions(backend, name, kwargs, mode):
    ours, theirs = boxes_pair(mode)
    check(getattr(F, name)(ours, **kwargs), getattr(TF, name)(theirs, **kwargs))


def test_clamping_mode_default_repr_and_errors(backend):
    ours, theirs = boxes_pair("soft")
    default = tv_tensors.BoundingBoxes(RAW, format="XYXY", canvas_size=CANVAS)
    assert (
        default.clamping_mode
        == tv.BoundingBoxes(RAW, format="XYXY", canvas_size=CANVAS).clamping_mode
    )
    assert repr(ours).split("]], ")[1] == repr(theirs).split("]], ")[1].replace("torch.", "xpnet.")
    for call in (
        lambda module: module.BoundingBoxes(
            RAW, format="XYXY", canvas_size=CANVAS, clamping_mode="x"
        ),
        lambda module: (v2 if module is tv_tensors else T).SetClampingMode("auto"),
    ):
        with pytest.raises(ValueError) as expected:
            call(tv)
        with pytest.raises(ValueError, match=str(expected.value)):
            call(tv_tensors)
    plain = np.array(RAW, np.float64)
    with pytest.raises(ValueError) as expected:
        TF.clamp_bounding_boxes(torch.from_numpy(plain), format="XYXY", canvas_size=CANVAS)
    with pytest.raises(ValueError, match=str(expected.value)[4:60]):  # after "For "
        F.clamp_bounding_boxes(plain, format="XYXY", canvas_size=CANVAS)
    unclamped = F.clamp_bounding_boxes(plain, "XYXY", CANVAS, None)
    theirs_plain = TF.clamp_bounding_boxes(torch.from_numpy(plain), "XYXY", CANVAS, None)
    np.testing.assert_array_equal(unclamped, theirs_plain.numpy())


@pytest.mark.parametrize("mode", ["soft", None])
def test_set_clamping_mode_then_crop(backend, mode):
    ours, theirs = boxes_pair("hard")
    image = np.zeros((3, *CANVAS), np.float32)
    pipeline = [v2.SetClampingMode(mode), v2.CenterCrop(6), v2.ClampBoundingBoxes()]
    torch_pipeline = [T.SetClampingMode(mode), T.CenterCrop(6), T.ClampBoundingBoxes()]
    _, got = v2.Compose(pipeline)(image, ours)
    _, expected = T.Compose(torch_pipeline)(torch.from_numpy(image), theirs)
    check(got, expected)
    _, got = v2.ClampBoundingBoxes("soft")(image, v2.SetClampingMode(None)(ours))
    _, expected = T.ClampBoundingBoxes("soft")(
        torch.from_numpy(image), T.SetClampingMode(None)(theirs)
    )
    check(got, expected)
