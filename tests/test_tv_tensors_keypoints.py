"""tv_tensors.KeyPoints through v2's functions, kernels and transforms, and v2's sample
queries, against torchvision 0.28's (the real calls, same inputs).

Float points are compared to an ulp or two (``atol=1e-5``) for the affine and perspective
maps: torch's matmul adds in another order than NumPy's; integer points exactly.
"""

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
# inside, on the origin, near the far corner, left of the canvas, beyond it
RAW = [[1.5, 2.25], [0, 0], [9.7, 11.2], [-3, 5], [12, 14]]
QUAD = [[0, 0], [9, 0], [9, 11], [0, 11]]
DISPLACEMENT = torch.rand(1, 12, 10, 2, generator=torch.Generator().manual_seed(0)) - 0.5

CALLS = [
    ("horizontal_flip", {}),
    ("vertical_flip", {}),
    ("crop", {"top": 1, "left": 2, "height": 5, "width": 6}),
    ("center_crop", {"output_size": [6, 4]}),
    ("pad", {"padding": [1, 2, 3, 4]}),
    ("resize", {"size": [7, 3]}),  # ratios not exact in float32: torch rounds them there
    ("resized_crop", {"top": 1, "left": 2, "height": 6, "width": 6, "size": [9, 3]}),
    ("rotate", {"angle": 30.0, "expand": True}),
    ("affine", {"angle": 10.0, "translate": [1, 2], "scale": 1.1, "shear": [5.0, 2.0]}),
    ("perspective", {"startpoints": QUAD, "endpoints": [[1, 0], [8, 1], [9, 11], [0, 10]]}),
    ("elastic", {"displacement": DISPLACEMENT}),
    ("clamp_keypoints", {}),
]


def points_pair(dtype, raw=RAW, canvas=CANVAS):
    array = np.array(raw).astype(dtype)
    theirs = tv.KeyPoints(torch.from_numpy(array), canvas_size=canvas)
    return tv_tensors.KeyPoints(array, canvas_size=canvas), theirs


def check(ours, theirs, atol=0.0):
    assert type(ours) is tv_tensors.KeyPoints
    assert ours.canvas_size == tuple(theirs.canvas_size)
    expected = theirs.numpy()
    assert xpnet.to_numpy(ours).dtype == expected.dtype
    np.testing.assert_allclose(xpnet.to_numpy(ours), expected, rtol=0, atol=atol)


def ours_kwargs(kwargs):
    return {k: v.numpy() if isinstance(v, torch.Tensor) else v for k, v in kwargs.items()}


@pytest.mark.parametrize("dtype", [np.float64, np.int64])
@pytest.mark.parametrize(("name", "kwargs"), CALLS, ids=[name for name, _ in CALLS])
def test_functional_keypoints_match_torchvision(backend, name, kwargs, dtype):
    ours, theirs = points_pair(dtype)
    atol = 1e-5 if dtype is np.float64 and name in ("rotate", "affine", "perspective") else 0
    check(getattr(F, name)(ours, **ours_kwargs(kwargs)), getattr(TF, name)(theirs, **kwargs), atol)


def test_keypoint_kernels_on_plain_points(backend):
    ours, theirs = points_pair(np.float32, raw=[[[1, 2], [3, 4]], [[9, 1], [0, 11]]])
    plain, torch_plain = ours.array, theirs.as_subclass(torch.Tensor)
    out, canvas = F.pad_keypoints(plain, CANVAS, [1, 2])
    expected, expected_canvas = TF.pad_keypoints(torch_plain, CANVAS, [1, 2])
    np.testing.assert_array_equal(xpnet.to_numpy(out), expected.numpy())
    assert canvas == expected_canvas
    np.testing.assert_array_equal(
        xpnet.to_numpy(F.horizontal_flip_keypoints(plain, CANVAS)),
        TF.horizontal_flip_keypoints(torch_plain, CANVAS).numpy(),
    )
    assert F.get_size_keypoints(ours) == TF.get_size_keypoints(theirs) == list(CANVAS)


def test_keypoints_construction_and_errors(backend):
    assert tv_tensors.KeyPoints([1, 2], canvas_size=CANVAS).shape == (1, 2)
    assert tuple(tv.KeyPoints([1, 2], canvas_size=CANVAS).shape) == (1, 2)
    with pytest.raises(ValueError, match="shape"):
        tv.KeyPoints([[1, 2, 3]], canvas_size=CANVAS)
    with pytest.raises(ValueError, match=r"Expected a tensor of shape \(\.\.\., 2\)"):
        tv_tensors.KeyPoints([[1, 2, 3]], canvas_size=CANVAS)
    ours, theirs = points_pair(np.float64)
    for function, kwargs in (("clamp_keypoints", {"canvas_size": CANVAS}), ("pad", {})):
        arguments = {"padding": 1, "padding_mode": "edge"} if function == "pad" else kwargs
        with pytest.raises(ValueError) as expected:
            getattr(TF, function)(theirs, **arguments)
        with pytest.raises(ValueError, match=str(expected.value)[:40]):
            getattr(F, function)(ours, **arguments)


@pytest.mark.parametrize("raw", [RAW, [[[1, 1], [2, 2]], [[1, 1], [11, 2]], [[3, 3], [4, 4]]]])
def test_sanitize_keypoints_matches_torchvision(backend, raw):
    ours, theirs = points_pair(np.float64, raw=raw)
    points, valid = F.sanitize_keypoints(ours)
    expected, expected_valid = TF.sanitize_keypoints(theirs)
    check(points, expected)
    np.testing.assert_array_equal(xpnet.to_numpy(valid), expected_valid.numpy())
    labels = np.arange(len(raw))
    sample = {"points": ours, "labels": labels}
    out = v2.SanitizeKeyPoints(labels_getter="default")(sample)
    theirs_out = T.SanitizeKeyPoints(labels_getter="default")(
        {"points": theirs, "labels": torch.from_numpy(labels)}
    )
    check(out["points"], theirs_out["points"])
    np.testing.assert_array_equal(xpnet.to_numpy(out["labels"]), theirs_out["labels"].numpy())


TRANSFORMS = [
    ("RandomHorizontalFlip", (), {"p": 1.0}),
    ("CenterCrop", (6,), {}),
    ("Pad", ([1, 2],), {}),
    ("Resize", ([24, 5],), {}),
    ("RandomRotation", ((30, 30),), {"expand": True}),
    ("ClampKeyPoints", (), {}),
]


@pytest.mark.parametrize(("name", "args", "kwargs"), TRANSFORMS, ids=[t[0] for t in TRANSFORMS])
def test_transforms_move_keypoints_with_the_image(backend, name, args, kwargs):
    ours, theirs = points_pair(np.float64)
    image = np.zeros((3, *CANVAS), np.float32)
    got_image, got = getattr(v2, name)(*args, **kwargs)(image, ours)
    expected_image, expected = getattr(T, name)(*args, **kwargs)(torch.from_numpy(image), theirs)
    check(got, expected, atol=1e-5)
    assert tuple(got_image.shape) == tuple(expected_image.shape)


def test_automatic_augmentation_refuses_keypoints(backend):
    ours, theirs = points_pair(np.int64)
    image = np.zeros((3, *CANVAS), np.uint8)
    with pytest.raises(TypeError) as expected:
        T.AutoAugment()(torch.from_numpy(image), theirs)
    with pytest.raises(TypeError, match=str(expected.value)):
        v2.AutoAugment()(image, ours)


def test_sample_queries_match_torchvision(backend):
    from torchvision.transforms.v2 import _utils as queries

    ours, theirs = points_pair(np.float64)
    boxes = tv_tensors.BoundingBoxes([0, 0, 2, 2], format="XYXY", canvas_size=CANVAS)
    image = np.zeros((3, *CANVAS), np.float32)
    flat, torch_flat = [image, ours, boxes, 7], [torch.from_numpy(image), theirs, 7]
    assert v2.query_size(flat) == queries.query_size(torch_flat) == CANVAS
    assert v2.query_chw(flat) == queries.query_chw(torch_flat) == (3, *CANVAS)
    assert v2.get_keypoints(flat) is ours
    assert v2.get_bounding_boxes(flat) is boxes
    assert v2.has_all(flat, tv_tensors.KeyPoints, int) and not v2.has_all(flat, str, int)
    assert queries.has_all(torch_flat, tv.KeyPoints, int)
    for query in ("query_size", "query_chw"):
        with pytest.raises(TypeError) as expected:
            getattr(queries, query)([7])
        with pytest.raises(TypeError, match=str(expected.value)):
            getattr(v2, query)([7])
    with pytest.raises(ValueError) as expected:
        queries.get_keypoints([7])
    with pytest.raises(ValueError, match=str(expected.value)):
        v2.get_keypoints([7])
