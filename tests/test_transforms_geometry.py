"""torchvision's rotate, affine and perspective (functions and random transforms): against
torchvision's own outputs (``tests/data/geometry_fixtures.npz``, written by
``tests/data/make_geometry_fixtures.py`` with torchvision 0.29.1), against PyTorch's
``affine_grid``/``grid_sample`` with torchvision's matrices, ``get_params`` draws under
``xpnet.manual_seed``, reprs and argument errors."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as tF

import xpnet
from xpnet.data import transforms as T
from xpnet.data import transforms_warp
from xpnet.data.transforms import InterpolationMode as IM
from xpnet.data.transforms import functional as F

Image = pytest.importorskip("PIL.Image")

FIXTURES = np.load(Path(__file__).parent / "data" / "geometry_fixtures.npz")
META = json.loads(str(FIXTURES["meta"]))
CORNERS = [[0, 0], [8, 0], [8, 6], [0, 6]]
RNG = np.random.default_rng(3)
U8 = RNG.integers(0, 256, (3, 10, 12), dtype=np.uint8)
F64 = RNG.random((2, 3, 10, 12))


def fixture_input(name):
    image = FIXTURES[f"input_{name}"]
    return Image.fromarray(image) if name.startswith("pil") else image


def case_id(index):
    case = META["cases"][index]
    return f"{index}-{case['function']}-{case['image']}-{case['interpolation'].lower()}"


@pytest.mark.parametrize("index", range(len(META["cases"])), ids=case_id)
def test_geometry_matches_torchvision(index):
    case = META["cases"][index]
    function = getattr(F, case["function"])
    out = function(
        fixture_input(case["image"]), interpolation=IM[case["interpolation"]], **case["kwargs"]
    )
    expected = FIXTURES[f"output_{index}"]
    out = np.asarray(out)
    assert out.shape == expected.shape and out.dtype == expected.dtype
    if out.dtype.kind == "f" and case["interpolation"] == "BILINEAR":
        # float32 rounding: the bilinear taps and the fill blend are summed in another order
        scale = max(1.0, float(np.abs(expected).max()))
        np.testing.assert_allclose(out, expected, rtol=1e-6, atol=1e-6 * scale)
    else:  # nearest, rounded integers and Pillow's own results are exact
        np.testing.assert_array_equal(out, expected)


def test_expand_output_size_matches_torchvision():
    for w, h, angle, size in META["sizes"]:
        matrix = F._get_inverse_affine_matrix([0.0, 0.0], -angle, [0.0, 0.0], 1.0, [0.0, 0.0])
        assert transforms_warp.affine_output_size(matrix, w, h) == tuple(size), (w, h, angle)
        assert F.rotate(np.zeros((1, h, w)), angle, expand=True).shape == (1, size[1], size[0])


def test_perspective_coeffs_match_torchvision():
    for start, end, coeffs in META["coeffs"]:
        assert F._get_perspective_coeffs(start, end) == coeffs


def test_inverse_affine_matrix_inverts_the_forward_one():
    args = ([3.0, -2.0], 33.0, [1.5, 4.0], 1.7, [12.0, -7.0])
    inverse = np.vstack([np.reshape(F._get_inverse_affine_matrix(*args), (2, 3)), [0, 0, 1]])
    forward = np.vstack([np.reshape(F._get_inverse_affine_matrix(*args, False), (2, 3)), [0, 0, 1]])
    np.testing.assert_allclose(inverse @ forward, np.eye(3), atol=1e-12)


def torch_warp(image, theta, mode, fill=None):
    """torchvision's tensor path in PyTorch ops: ``affine_grid`` on ``theta`` (normalised),
    ``grid_sample`` and the mask-channel fill."""
    x = torch.from_numpy(image)
    N, C, H, W = x.shape
    if fill is not None:
        x = torch.cat([x, torch.ones(N, 1, H, W, dtype=x.dtype)], dim=1)
    grid = tF.affine_grid(theta.expand(N, 2, 3), [N, C, H, W], align_corners=False)
    out = tF.grid_sample(x, grid, mode=mode, padding_mode="zeros", align_corners=False)
    if fill is None:
        return out.numpy()
    mask, out = out[:, -1:], out[:, :-1]
    fill_image = torch.tensor(fill, dtype=x.dtype).view(1, -1, 1, 1).expand_as(out)
    if mode == "nearest":
        return torch.where(mask.expand_as(out) < 0.5, fill_image, out).numpy()
    return (out * mask + (1.0 - mask) * fill_image).numpy()


def normalised_theta(matrix, H, W):
    """torchvision's pixel-centred inverse matrix as ``affine_grid``'s normalised ``theta``."""
    a, b, c, d, e, f = matrix
    rows = [[a, b * H / W, c * 2 / W], [d * W / H, e, f * 2 / H]]
    return torch.tensor(rows, dtype=torch.float64).view(1, 2, 3)


@pytest.mark.parametrize("mode", ["nearest", "bilinear"])
@pytest.mark.parametrize(
    "angle, translate, scale, shear, center, fill",
    [
        (30.0, [0, 0], 1.0, [0.0, 0.0], None, None),
        (-70.0, [2, -1], 0.7, [10.0, 0.0], [3, 4], [0.5, 0.25, 1.0]),
        (5.0, [-3, 2], 1.4, [-8.0, 15.0], None, [2.0]),
    ],
)
def test_affine_float64_matches_torch_ops(mode, angle, translate, scale, shear, center, fill):
    H, W = F64.shape[-2:]
    center_f = [0.0, 0.0] if center is None else [center[0] - W / 2, center[1] - H / 2]
    matrix = F._get_inverse_affine_matrix(center_f, angle, translate, scale, shear)
    expected = torch_warp(F64, normalised_theta(matrix, H, W), mode, fill)
    out = F.affine(F64, angle, translate, scale, shear, IM(mode), fill, center)
    np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-12)
    if translate == [0, 0] and scale == 1.0 and shear == [0.0, 0.0]:
        rotated = F.rotate(F64, -angle, IM(mode), center=center, fill=fill)
        np.testing.assert_allclose(rotated, expected, rtol=1e-12, atol=1e-12)


def test_perspective_float64_matches_torch_ops():
    end = [[1, 2], [10, 0], [11, 9], [2, 8]]
    start = [[0, 0], [11, 0], [11, 9], [0, 9]]
    a, b, c, d, e, f, g, h = F._get_perspective_coeffs(start, end)
    ys, xs = torch.meshgrid(torch.arange(10.0) + 0.5, torch.arange(12.0) + 0.5, indexing="ij")
    xs, ys = xs.double(), ys.double()
    denominator = g * xs + h * ys + 1
    gx = (a * xs + b * ys + c) / denominator / 6 - 1  # Pillow's map, normalised by W / 2
    gy = (d * xs + e * ys + f) / denominator / 5 - 1
    grid = torch.stack([gx, gy], -1)[None].expand(2, 10, 12, 2)
    expected = tF.grid_sample(torch.from_numpy(F64), grid, align_corners=False).numpy()
    np.testing.assert_allclose(F.perspective(F64, start, end), expected, rtol=1e-9, atol=1e-9)


def test_tensor_images_of_any_batch_shape_and_kind():
    stacked = np.stack([U8, U8[::-1]])[None]  # (1, 2, 3, H, W)
    out = F.rotate(stacked, 40.0, IM.BILINEAR, expand=True, fill=[1, 2, 3])
    for k in range(2):
        single = F.rotate(stacked[0, k], 40.0, IM.BILINEAR, expand=True, fill=[1, 2, 3])
        np.testing.assert_array_equal(out[0, k], single)
    plane = F.affine(U8[0], 10.0, [1, 1], 1.0, 0.0)  # (H, W): one channel
    np.testing.assert_array_equal(plane, F.affine(U8[:1], 10.0, [1, 1], 1.0, 0.0)[0])
    tensor = F.perspective(xpnet.Tensor(U8), CORNERS, [[1, 1], [7, 0], [8, 5], [0, 6]])
    assert isinstance(tensor, xpnet.Tensor) and tensor.shape == U8.shape
    expected = F.perspective(U8, CORNERS, [[1, 1], [7, 0], [8, 5], [0, 6]])
    np.testing.assert_array_equal(tensor.numpy(), expected)
    np.testing.assert_array_equal(F.rotate(U8, 0.0), U8)
    np.testing.assert_array_equal(F.rotate(U8, 90, interpolation=0), F.rotate(U8, 90.0))


def test_pil_path_calls_pillow():
    pic = Image.fromarray(np.ascontiguousarray(U8.transpose(1, 2, 0)))
    out = F.rotate(pic, 33.0, IM.BILINEAR, expand=True, center=None, fill=(1, 2, 3))
    same = pic.rotate(33.0, Image.Resampling.BILINEAR, True, None, fillcolor=(1, 2, 3))
    np.testing.assert_array_equal(np.asarray(out), np.asarray(same))
    matrix = F._get_inverse_affine_matrix([6.0, 5.0], 12.0, [1, 0], 1.1, [3.0, 0.0])
    out = F.affine(pic, 12.0, (1, 0), 1.1, 3.0, fill=4)
    same = pic.transform(pic.size, Image.Transform.AFFINE, matrix, 0, fillcolor=(4, 4, 4))
    np.testing.assert_array_equal(np.asarray(out), np.asarray(same))


# -- random transforms ------------------------------------------------------------------------


def twice(transform, image, seed=7):
    """The transform's result twice after the same seed, as an array."""
    results = []
    for _ in range(2):
        xpnet.manual_seed(seed)
        results.append(np.asarray(transform(image)))
    np.testing.assert_array_equal(results[0], results[1])
    return results[0]


def test_random_rotation_draws_and_applies_its_angle():
    xpnet.manual_seed(0)
    angles = [T.RandomRotation.get_params([-10.0, 25.0]) for _ in range(200)]
    assert -10 <= min(angles) < -8 and 23 < max(angles) <= 25
    transform = T.RandomRotation((-10, 25), IM.BILINEAR, expand=True, fill=3)
    xpnet.manual_seed(4)
    angle = T.RandomRotation.get_params(transform.degrees)
    expected = F.rotate(U8, angle, IM.BILINEAR, True, None, [3.0, 3.0, 3.0])
    np.testing.assert_array_equal(twice(transform, U8, seed=4), expected)
    pic = Image.fromarray(np.ascontiguousarray(U8.transpose(1, 2, 0)))
    expected_pic = F.rotate(pic, angle, IM.BILINEAR, True, None, 3)
    np.testing.assert_array_equal(twice(transform, pic, seed=4), np.asarray(expected_pic))


def test_random_affine_draws_within_its_ranges():
    xpnet.manual_seed(0)
    for _ in range(100):
        angle, (tx, ty), scale, (sx, sy) = T.RandomAffine.get_params(
            [-5.0, 5.0], [0.2, 0.1], [0.8, 1.2], [-3.0, 3.0, 10.0, 20.0], [12, 10]
        )
        assert -5 <= angle <= 5 and abs(tx) <= 2.4 and abs(ty) <= 1 and 0.8 <= scale <= 1.2
        assert isinstance(tx, int) and -3 <= sx <= 3 and 10 <= sy <= 20
    assert T.RandomAffine.get_params([0.0, 0.0], None, None, None, [4, 4]) == (
        0.0,
        (0, 0),
        1.0,
        (0.0, 0.0),
    )
    transform = T.RandomAffine(10, (0.1, 0.1), (0.9, 1.1), 5, IM.BILINEAR, fill=[1, 2, 3])
    xpnet.manual_seed(2)
    params = T.RandomAffine.get_params([-10.0, 10.0], (0.1, 0.1), (0.9, 1.1), [-5.0, 5.0], [12, 10])
    expected = F.affine(F64, *params, interpolation=IM.BILINEAR, fill=[1.0, 2.0, 3.0])
    np.testing.assert_array_equal(twice(transform, F64, seed=2), expected)


def test_random_perspective_draws_corners_and_respects_p():
    xpnet.manual_seed(0)
    for _ in range(50):
        start, end = T.RandomPerspective.get_params(12, 10, 0.5)
        assert start == [[0, 0], [11, 0], [11, 9], [0, 9]]
        (x0, y0), (x1, y1), (x2, y2), (x3, y3) = end
        assert 0 <= x0 <= 3 and 0 <= y0 <= 2 and 8 <= x1 <= 11 and 0 <= y1 <= 2
        assert 8 <= x2 <= 11 and 7 <= y2 <= 9 and 0 <= x3 <= 3 and 7 <= y3 <= 9
    assert T.RandomPerspective(p=0.0)(U8) is U8
    transform = T.RandomPerspective(0.4, p=1.0, fill=5)
    xpnet.manual_seed(9)
    xpnet._random.host_generator().random()  # the p draw comes first
    start, end = T.RandomPerspective.get_params(12, 10, 0.4)
    expected = F.perspective(U8, start, end, IM.BILINEAR, [5.0, 5.0, 5.0])
    np.testing.assert_array_equal(twice(transform, U8, seed=9), expected)


@pytest.mark.parametrize("index", range(len(META["reprs"])))
def test_reprs_match_torchvision(index):
    name, kwargs, expected = META["reprs"][index]
    if "interpolation" in kwargs:
        kwargs = {**kwargs, "interpolation": IM[kwargs["interpolation"]]}
    assert repr(getattr(T, name)(**kwargs)) == expected


# -- argument errors --------------------------------------------------------------------------


def test_functional_argument_errors():
    with pytest.raises(TypeError, match="Argument interpolation should be a InterpolationMode"):
        F.rotate(U8, 10.0, "bilinear")
    with pytest.raises(TypeError, match="Argument angle should be int or float"):
        F.rotate(U8, "10")
    with pytest.raises(TypeError, match="Argument center should be a sequence"):
        F.rotate(U8, 10.0, center=3)
    with pytest.raises(ValueError, match=r"'fill' cannot broadcast .* \(2 != 3\)"):
        F.rotate(U8, 10.0, fill=[1, 2])
    with pytest.raises(ValueError, match="Interpolation mode 'bicubic' is unsupported"):
        F.rotate(U8, 10.0, IM.BICUBIC)
    with pytest.raises(TypeError, match="img should be PIL Image"):
        F.rotate([[1]], 10.0)
    with pytest.raises(TypeError, match="Argument translate should be a sequence"):
        F.affine(U8, 0.0, 1, 1.0, 0.0)
    with pytest.raises(ValueError, match="translate should be a sequence of length 2"):
        F.affine(U8, 0.0, [1], 1.0, 0.0)
    with pytest.raises(ValueError, match="Argument scale should be positive"):
        F.affine(U8, 0.0, [1, 1], 0.0, 0.0)
    with pytest.raises(TypeError, match="Shear should be either a single value or a sequence"):
        F.affine(U8, 0.0, [1, 1], 1.0, "1")
    with pytest.raises(ValueError, match=r"Shear should be a sequence containing two values"):
        F.affine(U8, 0.0, [1, 1], 1.0, [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="Please provide exactly four corners, got 3"):
        F.perspective(U8, CORNERS[:3], CORNERS)
    with pytest.raises(ValueError, match="does not match the number of channels"):
        F.rotate(Image.fromarray(U8[0]), 10.0, fill=[1, 2])


def test_random_transform_argument_errors():
    with pytest.raises(ValueError, match="If degrees is a single number, it must be positive"):
        T.RandomRotation(-1)
    with pytest.raises(ValueError, match="degrees should be a sequence of length 2"):
        T.RandomRotation([1, 2, 3])
    with pytest.raises(TypeError, match="center should be a sequence of length 2"):
        T.RandomRotation(10, center=1)
    with pytest.raises(TypeError, match="Fill should be either a sequence or a number"):
        T.RandomRotation(10, fill={1: 2})
    with pytest.raises(ValueError, match="translation values should be between 0 and 1"):
        T.RandomAffine(0, translate=(0.5, 1.5))
    with pytest.raises(ValueError, match="scale values should be positive"):
        T.RandomAffine(0, scale=(0.0, 1.0))
    with pytest.raises(ValueError, match="shear should be a sequence of length 2 or 4"):
        T.RandomAffine(0, shear=(1, 2, 3))
    with pytest.raises(TypeError, match="Fill should be either a sequence or a number"):
        T.RandomPerspective(fill=object())
    assert T.RandomRotation(5, fill=None).fill == 0
    assert T.RandomAffine(5, interpolation=2).interpolation is IM.BILINEAR
    assert math.isclose(T.RandomAffine(2.5).degrees[0], -2.5)


def test_tensors_on_another_backend_are_refused(backend):
    device = xpnet.Tensor(backend.xp.asarray(U8))
    if isinstance(device.array, np.ndarray):  # the backend keeps NumPy arrays: on the host
        assert isinstance(F.rotate(device, 10.0), xpnet.Tensor)
        return
    with pytest.raises(TypeError, match="transforms work on host images"):
        F.rotate(device, 10.0)
