"""grid_sample and affine_grid against PyTorch float64: every mode x padding x align_corners
on 4-D and 5-D inputs, points inside, on the borders, outside, at pixel centres and at ties,
NaN and inf; float32; empty batches and outputs; gradients of input, grid and theta; the
deterministic input gradient; errors; the lifted functions; a hypothesis property test."""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from _oracle import check_against_torch, random_input
from _strategies import PROFILE
from hypothesis import given
from hypothesis import strategies as st

import xpnet
import xpnet.kernels as K
import xpnet.nn.functional as F

MODES_2D = ["bilinear", "nearest", "bicubic"]
PADDINGS = ["zeros", "border", "reflection"]
CASES = [
    (dim, mode, padding, align)
    for dim in (2, 3)
    for mode in (MODES_2D if dim == 2 else MODES_2D[:2])
    for padding in PADDINGS
    for align in (None, False, True)
]


def _torch_grid_sample(x, g, mode, padding, align):
    return TF.grid_sample(x, g, mode=mode, padding_mode=padding, align_corners=bool(align))


def _check(backend, x, g, mode, padding, align, dtype=np.float64, grad_output=None):
    return check_against_torch(
        lambda x, g: K.grid_sample(x, g, mode, padding, align),
        lambda go, x, g: K.grid_sample_backward(go, x, g, mode, padding, align),
        lambda x, g: _torch_grid_sample(x, g, mode, padding, align),
        [x, g],
        backend,
        dtype=dtype,
        grad_output=grad_output,
    )


def _centres(size, align):
    """The grid coordinates of the pixel centres of an axis of ``size``."""
    index = np.arange(size)
    if align:
        return 2 * index / max(size - 1, 1) - 1
    return (2 * index + 1) / size - 1


def _points(dim, seed, shape=(2, 3, 4)):
    """Points inside, outside, on the borders (+-1) and at pixel centres of a (4, 5[, 3])
    input, for both align_corners."""
    g = random_input((2, *shape[: dim - 1], 7, dim), seed=seed, low=-1.4, high=1.4)
    flat = g.reshape(-1, dim)
    flat[:4] = [[-1.0] * dim, [1.0] * dim, [0.0] * dim, [1.0, -1.0, 1.0][:dim]]
    flat[4:9, 0] = _centres(5, False)
    flat[9:14, 0] = _centres(5, True)
    flat[14:18, 1] = _centres(4, False)
    return g


@pytest.mark.parametrize(("dim", "mode", "padding", "align"), CASES)
def test_grid_sample_matches_torch(backend, dim, mode, padding, align):
    x = random_input((2, 3, 4, 5) if dim == 2 else (2, 2, 3, 4, 5), seed=dim)
    _check(backend, x, _points(dim, seed=dim + 1), mode, padding, align)


@pytest.mark.parametrize(("dim", "mode", "padding", "align"), CASES[::4])
def test_grid_sample_float32(backend, dim, mode, padding, align):
    x = random_input((2, 2, 4, 5) if dim == 2 else (2, 2, 3, 4, 5), seed=3)
    # random points only: at pixel centres the grid's gradient jumps, and float32 rounding
    # picks a side there that float64 need not
    g = random_input((2, 3, 7, dim) if dim == 2 else (2, 2, 3, 4, dim), seed=4, low=-1.4, high=1.4)
    _check(backend, x, g, mode, padding, align, dtype=np.float32)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("dim", [2, 3])
def test_grid_sample_ties_and_floors_fall_as_torch(backend, dtype, dim):
    """Points on a lattice of twelfths: 'nearest' ties and floors at exact pixel positions
    (PyTorch's 2-D kernel unnormalizes with an FMA: y = -1/3 on 3 rows lands above 0.5
    there, so it reads row 1)."""
    rng = np.random.default_rng(dim)
    x = rng.standard_normal((1, 2, 3, 6) if dim == 2 else (1, 2, 4, 5, 6)).astype(dtype)
    g = (rng.integers(-30, 31, (1, 6, 9, dim) if dim == 2 else (1, 3, 5, 7, dim)) / 12).astype(
        dtype
    )
    for mode, padding, align in itertools.product(MODES_2D[: 5 - dim], PADDINGS, (False, True)):
        out = K.grid_sample(backend.asarray(x), backend.asarray(g), mode, padding, align)
        expected = _torch_grid_sample(torch.tensor(x), torch.tensor(g), mode, padding, align)
        np.testing.assert_allclose(backend.to_host(out), expected.numpy(), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("dim", [2, 3])
def test_grid_sample_nan_and_inf_as_torch(backend, dim):
    """NaN and inf coordinates give PyTorch's CPU results exactly: they differ between its
    2-D and 3-D kernels (see grid_sample's docstring)."""
    nan, inf = np.nan, np.inf
    x = np.arange(1.0, 3**dim + 1).reshape(1, 1, *[3] * dim)
    special = [[nan, 0], [0, nan], [inf, 0], [-inf, 0], [1e10, 0], [0.5, 0.5], [-1e10, 3e9]]
    g = np.array([[p + [0.25] * (dim - 2) for p in special]]).reshape(1, *[1] * (dim - 1), 7, dim)
    for mode, padding, align in itertools.product(MODES_2D[: 5 - dim], PADDINGS, (False, True)):
        out = K.grid_sample(backend.asarray(x), backend.asarray(g), mode, padding, align)
        expected = _torch_grid_sample(torch.tensor(x), torch.tensor(g), mode, padding, align)
        np.testing.assert_array_equal(backend.to_host(out), expected.numpy())


@pytest.mark.parametrize("dim", [2, 3])
def test_grid_sample_far_points_have_torch_gradients(backend, dim):
    """Points far outside (1e10): zero weights but finite, PyTorch's gradients. (Gradients
    at NaN or inf points are not compared: PyTorch's backward crashes on some.)"""
    far = [[1e10] + [0.0] * (dim - 1), [-1e9] * dim, [0.3] * dim, [1.0] * dim]
    g = np.array(far).reshape(1, *[1] * (dim - 1), 4, dim)
    x = random_input((1, 2, *[3] * dim), seed=5)
    for mode, padding in itertools.product(MODES_2D[: 5 - dim], PADDINGS):
        _check(backend, x, g, mode, padding, False)


def test_grid_sample_input_gradient_sums_many_points_per_pixel(backend):
    """Hundreds of points reading the same pixels: the per-pixel sums (sorted, scanned)
    equal PyTorch's, and repeated calls give identical bits."""
    x = random_input((2, 3, 2, 3), seed=6)
    g = random_input((2, 17, 19, 2), seed=7, low=-1.2, high=1.2)
    _check(backend, x, g, "bicubic", "reflection", True)
    go = backend.asarray(random_input((2, 3, 17, 19), seed=8))
    first = K.grid_sample_backward(go, backend.asarray(x), backend.asarray(g), "bilinear")
    second = K.grid_sample_backward(go, backend.asarray(x), backend.asarray(g), "bilinear")
    for a, b in zip(first, second, strict=True):
        assert np.array_equal(backend.to_host(a), backend.to_host(b))


@pytest.mark.parametrize(
    ("x_shape", "g_shape"),
    [
        ((0, 2, 3, 4), (0, 2, 2, 2)),
        ((2, 2, 3, 4), (2, 0, 3, 2)),
        ((2, 0, 3, 4), (2, 2, 3, 2)),
        ((0, 2, 2, 3, 4), (0, 1, 2, 2, 3)),
        ((1, 1, 1, 1), (1, 2, 2, 2)),
    ],
)
def test_grid_sample_empty_and_single_pixel(backend, x_shape, g_shape):
    for mode, padding in [("bilinear", "reflection"), ("nearest", "zeros")]:
        for align in (False, True):
            x, g = random_input(x_shape, seed=9), random_input(g_shape, seed=10, low=-2, high=2)
            _check(backend, x, g, mode, padding, align)


def test_grid_sample_errors(backend):
    x = backend.asarray(np.zeros((2, 3, 4, 5)))
    g = backend.asarray(np.zeros((2, 3, 3, 2)))
    with pytest.raises(ValueError, match="expected mode to be"):
        K.grid_sample(x, g, mode="linear")
    with pytest.raises(ValueError, match="expected padding_mode to be"):
        K.grid_sample(x, g, padding_mode="circular")
    with pytest.raises(TypeError, match="align_corners must be None or a bool"):
        K.grid_sample(x, g, align_corners=1)
    with pytest.raises(ValueError, match=r"grid of shape \(N, \*out, 2\)"):
        K.grid_sample(x, backend.asarray(np.zeros((2, 3, 3, 3))))
    with pytest.raises(ValueError, match="input's batch"):
        K.grid_sample(x, backend.asarray(np.zeros((1, 3, 3, 2))))
    with pytest.raises(ValueError, match="same number of dimensions"):
        K.grid_sample(x, backend.asarray(np.zeros((2, 3, 2))))
    with pytest.raises(ValueError, match="must have 4 or 5 dimensions"):
        K.grid_sample(backend.asarray(np.zeros((3, 4, 5))), backend.asarray(np.zeros((3, 3, 2))))
    x5, g5 = backend.asarray(np.zeros((1, 1, 2, 2, 2))), backend.asarray(np.zeros((1, 1, 1, 1, 3)))
    with pytest.raises(ValueError, match="bicubic interpolation only supports 4D"):
        K.grid_sample(x5, g5, mode="bicubic")
    with pytest.raises(ValueError, match="non-empty spatial"):
        K.grid_sample(backend.asarray(np.zeros((2, 3, 0, 5))), g)
    with pytest.raises(TypeError, match="must have the dtype of input"):
        K.grid_sample(x, g.astype(np.float32))
    with pytest.raises(TypeError, match="grid must be an array, got None"):
        K.grid_sample(x, None)
    with pytest.raises(ValueError, match="grad_output must have the shape"):
        K.grid_sample_backward(backend.asarray(np.zeros((2, 3, 3, 2))), x, g)


AFFINE_CASES = [
    ((2, 3, 4, 5), False),
    ((2, 3, 4, 5), True),
    ((2, 1, 1, 3), False),
    ((2, 1, 1, 3), True),
    ((2, 2, 3, 4, 5), False),
    ((2, 2, 3, 4, 5), True),
    ((1, 1, 1, 2, 1), True),
]


@pytest.mark.parametrize(("size", "align"), AFFINE_CASES)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_affine_grid_matches_torch(backend, size, align, dtype):
    dim = len(size) - 2
    theta = random_input((size[0], dim, dim + 1), seed=11)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PyTorch's warning for unit sizes with align_corners
        check_against_torch(
            lambda t: K.affine_grid(t, size, align),
            lambda go, t: K.affine_grid_backward(go, t, size, align),
            lambda t: TF.affine_grid(t, size, align_corners=align),
            [theta],
            backend,
            dtype=dtype,
        )


def test_affine_grid_then_grid_sample_is_the_identity(backend):
    x = random_input((2, 3, 4, 5), seed=12)
    theta = np.tile(np.eye(2, 3), (2, 1, 1))
    grid = K.affine_grid(backend.asarray(theta), x.shape, align_corners=False)
    out = K.grid_sample(backend.asarray(x), grid, align_corners=False)
    np.testing.assert_allclose(backend.to_host(out), x, rtol=1e-12, atol=1e-12)


def test_affine_grid_errors(backend):
    theta = backend.asarray(np.zeros((2, 2, 3)))
    with pytest.raises(ValueError, match="affine matrices of shape Nx2x3"):
        K.affine_grid(theta[0], (2, 3, 4, 5))
    with pytest.raises(ValueError, match="affine matrices of shape Nx3x4"):
        K.affine_grid(theta, (2, 3, 4, 5, 6))
    with pytest.raises(NotImplementedError, match="only 4-D and 5-D sizes"):
        K.affine_grid(theta, (2, 3, 4))
    with pytest.raises(ValueError, match="non-zero, positive output size"):
        K.affine_grid(theta, (2, 3, 0, 5))
    with pytest.raises(ValueError, match="theta's batch"):
        K.affine_grid(theta, (3, 3, 4, 5))
    with pytest.raises(TypeError, match="size must be a tuple of ints"):
        K.affine_grid(theta, (2, 3, 4, 5.0))
    with pytest.raises(TypeError, match="floating-point"):
        K.affine_grid(backend.asarray(np.zeros((2, 2, 3), dtype=np.int64)), (2, 3, 4, 5))
    with pytest.raises(TypeError, match="align_corners must be None or a bool"):
        K.affine_grid(theta, (2, 3, 4, 5), align_corners="yes")
    with pytest.raises(ValueError, match="grad_output must have the shape"):
        K.affine_grid_backward(backend.asarray(np.zeros((2, 4, 5, 3))), theta, (2, 3, 4, 5))


def test_lifted_functions_match_torch(backend):
    """F.affine_grid into F.grid_sample on Tensors: gradients of theta and of the input."""
    x0, theta0 = random_input((2, 3, 4, 5), seed=13), random_input((2, 2, 3), seed=14)
    x = xpnet.Tensor(backend.asarray(x0), requires_grad=True)
    theta = xpnet.Tensor(backend.asarray(theta0), requires_grad=True)
    grid = F.affine_grid(theta, (2, 3, 3, 4), align_corners=False)
    F.grid_sample(x, grid, mode="bicubic", padding_mode="border").sum().backward()
    tx = torch.tensor(x0, requires_grad=True)
    ttheta = torch.tensor(theta0, requires_grad=True)
    tgrid = TF.affine_grid(ttheta, (2, 3, 3, 4), align_corners=False)
    _torch_grid_sample(tx, tgrid, "bicubic", "border", False).sum().backward()
    np.testing.assert_allclose(
        backend.to_host(x.grad.array), tx.grad.numpy(), rtol=1e-10, atol=1e-12
    )
    np.testing.assert_allclose(
        backend.to_host(theta.grad.array), ttheta.grad.numpy(), rtol=1e-10, atol=1e-12
    )


@PROFILE
@given(
    dim=st.sampled_from([2, 3]),
    mode=st.sampled_from(MODES_2D),
    padding=st.sampled_from(PADDINGS),
    align=st.booleans(),
    sizes=st.lists(st.integers(1, 4), min_size=5, max_size=5),
    seed=st.integers(0, 2**16),
)
def test_grid_sample_property(backend, dim, mode, padding, align, sizes, seed):
    """Valid configurations match PyTorch; bicubic on 5-D is refused."""
    N, C, *spatial = sizes
    x = random_input((N, C, *spatial[:dim]), seed=seed)
    g = random_input((N, *spatial[-dim:][::-1], dim), seed=seed + 1, low=-1.5, high=1.5)
    if mode == "bicubic" and dim == 3:
        with pytest.raises(ValueError, match="bicubic"):
            K.grid_sample(backend.asarray(x), backend.asarray(g), mode, padding, align)
        return
    _check(backend, x, g, mode, padding, align)


@pytest.mark.parametrize(("dim", "mode", "padding", "align"), CASES[1::6])
def test_grid_sample_float16_computes_in_float32(backend, dim, mode, padding, align):
    x = random_input((2, 2, 4, 5) if dim == 2 else (2, 2, 3, 4, 5), seed=15)
    g = random_input((2, 3, 7, dim) if dim == 2 else (2, 2, 3, 4, dim), seed=16, low=-1.4, high=1.4)
    _check(backend, x, g, mode, padding, align, dtype=np.float16)
