"""``xpnet.autograd.grad(..., create_graph=True)`` against ``torch.autograd`` in float64 for the
last formulas that were missing: ``grid_sample`` with ``'bicubic'`` and ``'reflection'`` (every
mode, padding and ``align_corners``, 2-D and 3-D), ``embedding_bag(mode='max')`` and
``linalg.householder_product``: second derivatives with respect to every input, third orders,
``hvp`` and ``xpnet.autograd.gradgradcheck``; ``grid_sample``'s NaN and infinite points too.
PyTorch cannot differentiate ``embedding_bag``'s
backward (any mode), so torch differentiates its definition there: ``weight`` gathered at the
rows of the maxima that ``torch.embedding_bag`` returns."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch
from _oracle import assert_close
from _second_order import (
    check_second_derivatives,
    check_third_derivatives,
    constant,
    host,
    leaf,
)
from _second_order import normal as _normal

import xpnet


def _uniform(low, high, *shape):
    return lambda rng: rng.uniform(low, high, shape)


def _grid_sample(mode, padding_mode, align_corners):
    """A case squaring the samples (second derivatives in the input, and in the grid)."""

    def function(m, F, c, x, g):
        options = {"mode": mode, "padding_mode": padding_mode, "align_corners": align_corners}
        return F.grid_sample(x, g, **options) ** 2

    return function


# points up to 3 widths away: several reflections, and the borders' clamps
_GRID_2D = [_normal(2, 3, 4, 5), _uniform(-3, 3, 2, 3, 2, 2)]
_GRID_3D = [_normal(1, 2, 3, 4, 3), _uniform(-3, 3, 1, 2, 2, 3, 3)]
_COMBINATIONS = [
    (mode, padding, align)
    for mode, padding, align in itertools.product(
        ("bilinear", "nearest", "bicubic"), ("zeros", "border", "reflection"), (False, True)
    )
    if mode == "bicubic" or padding == "reflection"  # the others: test_double_backward_extra
]


@pytest.mark.parametrize("mode, padding_mode, align_corners", _COMBINATIONS)
def test_grid_sample_second_derivatives_match_torch(backend, mode, padding_mode, align_corners):
    check_second_derivatives(backend, _grid_sample(mode, padding_mode, align_corners), _GRID_2D)


@pytest.mark.parametrize("mode", ["bilinear", "nearest"])
@pytest.mark.parametrize("align_corners", [False, True])
def test_grid_sample_3d_reflection_second_derivatives_match_torch(backend, mode, align_corners):
    check_second_derivatives(backend, _grid_sample(mode, "reflection", align_corners), _GRID_3D)


@pytest.mark.parametrize("mode", ["bilinear", "bicubic"])
def test_grid_sample_reflection_of_one_pixel_matches_torch(backend, mode):
    """One pixel wide with ``align_corners``: every point reflects onto it (slope 0)."""
    makers = [_normal(1, 2, 3, 1), _uniform(-2, 2, 1, 2, 3, 2)]
    check_second_derivatives(backend, _grid_sample(mode, "reflection", True), makers)


# torch 2.13's CPU backward crashes (SIGSEGV) on bilinear 2-D 'border' with a NaN point and
# 'reflection' with a NaN or inf one, and its 3-D one reads another pixel than its forward
# with 'border'/'reflection' (see the next test): left out
_NAN_CASES = [
    *((2, mode, "zeros") for mode in ("bilinear", "nearest", "bicubic")),
    *(
        (2, mode, padding)
        for mode in ("nearest", "bicubic")
        for padding in ("border", "reflection")
    ),
    (3, "bilinear", "zeros"),
    (3, "nearest", "zeros"),
]


@pytest.mark.parametrize("dim, mode, padding_mode", _NAN_CASES)
def test_grid_sample_nan_and_inf_points_under_create_graph_as_torch(
    backend, dim, mode, padding_mode
):
    """A NaN or infinite coordinate: the same gradients as torch's (NaN for its point's
    grid, none for the input's pixels), with a graph."""
    points = [[np.nan, 0.2, 0.1], [np.inf, -0.3, 0.2], [0.1, -np.inf, 0.3], [0.4, 0.5, -0.2]]
    grid = np.array(points)[:, :dim].reshape(1, *(1,) * (dim - 1), 4, dim)  # (N, *out, dim)
    rng = np.random.default_rng(11)
    image = rng.standard_normal((1, 2, *(3, 4, 5)[-dim:]))
    results = []
    for module in (xpnet, torch):
        c = constant(module, backend)
        x, g = c(image).requires_grad_(), c(grid).requires_grad_()
        y = module.nn.functional.grid_sample(
            x, g, mode=mode, padding_mode=padding_mode, align_corners=False
        )
        u = c(np.random.default_rng(12).standard_normal(y.shape))
        grads = module.autograd.grad((y * u).sum(), (x, g), create_graph=True)
        results.append([host(backend, grad) for grad in grads])
    for ours, theirs in zip(*results, strict=True):
        assert_close(ours, theirs, np.float64, "gradient")


@pytest.mark.parametrize("padding_mode", ["border", "reflection"])
def test_grid_sample_3d_nan_points_input_gradient_is_torch_forwards_adjoint(backend, padding_mode):
    """The 3-D kernel clamps a NaN to the last pixel (torch's forward; its backward reads
    another): the input's gradient, under create_graph, is the adjoint of torch's forward,
    which is linear in the input: ``sum(u * forward(e_i))`` for each pixel ``i``."""
    grid = np.array([[np.nan, 0.2, 0.1], [0.1, -np.inf, 0.3], [0.4, 0.5, -0.2]])
    grid, shape = grid.reshape(1, 1, 1, 3, 3), (1, 1, 2, 3, 2)
    u = np.random.default_rng(13).standard_normal((1, 1, 1, 1, 3))
    x = leaf(backend, np.zeros(shape))
    y = xpnet.nn.functional.grid_sample(
        x, xpnet.Tensor(backend.asarray(grid)), padding_mode=padding_mode, align_corners=False
    )
    (ours,) = xpnet.autograd.grad(
        (y * xpnet.Tensor(backend.asarray(u))).sum(), x, create_graph=True
    )
    theirs = np.zeros(shape)
    for i in range(theirs.size):
        unit = torch.zeros(shape, dtype=torch.float64).view(-1).index_fill(0, torch.tensor(i), 1)
        sampled = torch.nn.functional.grid_sample(
            unit.view(shape), torch.tensor(grid), padding_mode=padding_mode, align_corners=False
        )
        theirs.flat[i] = (sampled * torch.tensor(u)).sum()
    assert_close(host(backend, ours), theirs, np.float64, "input gradient")


@pytest.mark.parametrize("padding_mode", ["zeros", "border", "reflection"])
def test_grid_sample_bicubic_third_derivatives_match_torch(backend, padding_mode):
    # scaled down: the check cubes second derivatives of order 1e3 (the cubic's slopes times
    # W / 2 per derivative), and third derivatives of order 1e9 leave rounding above float64's
    # tolerance on their small elements
    def function(m, F, c, x, g):
        options = {"mode": "bicubic", "padding_mode": padding_mode, "align_corners": False}
        return 0.03 * F.grid_sample(x, g, **options)

    check_third_derivatives(
        backend, function, [_normal(1, 2, 3, 4), _uniform(-1.5, 1.5, 1, 2, 3, 2)]
    )


def test_grid_sample_reflection_third_derivatives_match_torch(backend):
    check_third_derivatives(backend, _grid_sample("bilinear", "reflection", False), _GRID_2D)


def test_grid_sample_hvp_matches_torch(backend):
    """``autograd.functional.hvp`` in the grid of bicubic and reflected samples."""
    rng = np.random.default_rng(6)
    x, g = rng.standard_normal((1, 2, 4, 5)), rng.uniform(-2, 2, (1, 3, 2, 2))
    v = rng.standard_normal(g.shape)

    def scalar(m, image):
        def f(grid):
            F = m.nn.functional
            options = {"mode": "bicubic", "padding_mode": "reflection", "align_corners": False}
            bicubic = F.grid_sample(image, grid, **options)
            bilinear = F.grid_sample(image, grid, padding_mode="reflection", align_corners=True)
            return (bicubic**2).sum() + (bilinear * bicubic).sum()

        return f

    image = xpnet.Tensor(backend.asarray(x))
    ours = xpnet.autograd.functional.hvp(
        scalar(xpnet, image), xpnet.Tensor(backend.asarray(g)), xpnet.Tensor(backend.asarray(v))
    )
    theirs = torch.autograd.functional.hvp(
        scalar(torch, torch.tensor(x)), torch.tensor(g), torch.tensor(v)
    )
    for mine, torch_value in zip(ours, theirs, strict=True):
        assert_close(host(backend, mine), torch_value.numpy(), np.float64, "hvp")


@pytest.mark.parametrize("padding_mode", ["border", "reflection"])
def test_grid_sample_bicubic_gradgradcheck(backend, padding_mode):
    rng = np.random.default_rng(7)
    x = xpnet.Tensor(backend.asarray(rng.standard_normal((1, 1, 2, 3))), requires_grad=True)
    g = xpnet.Tensor(backend.asarray(rng.uniform(-1.8, 1.8, (1, 1, 2, 2))), requires_grad=True)

    def function(x, g):
        return xpnet.nn.functional.grid_sample(
            x, g, mode="bicubic", padding_mode=padding_mode, align_corners=False
        )

    assert xpnet.autograd.gradgradcheck(function, (x, g))


# -- embedding_bag(mode='max') ------------------------------------------------------------
def _embedding_bag_max(w, shape="offsets", padding_idx=None):
    """Bags of the rows ``[1, 3, 0, 3, 2, 2]``: ``[0, 2)``, ``[2, 2)`` (empty), ``[2, 6)``
    with ``offsets`` (the last one given with ``'last_offset'``), two of three with
    ``'2d'``; in torch, ``w`` gathered at the maxima's rows ``torch.embedding_bag`` gives."""

    def function(m, F, c, weight):
        w_ = w(weight)
        if shape == "2d":
            indices, offsets, last = c([[1, 3, 0], [3, 2, 2]]), None, False
        else:
            indices, last = c([1, 3, 0, 3, 2, 2]), shape == "last_offset"
            offsets = c([0, 2, 2, 6] if last else [0, 2, 2])
        if m is not torch:
            options = {"padding_idx": padding_idx, "include_last_offset": last}
            bags = F.embedding_bag(indices, w_, offsets, mode="max", **options)
            return bags**2 + bags  # an empty bag's gradient is not 0
        if offsets is None:  # torch.embedding_bag takes 1-D indices and offsets only
            indices, offsets = indices.reshape(-1), torch.arange(0, 6, 3)
        found = torch.embedding_bag(w_, indices, offsets, False, 2, False, None, last, padding_idx)
        rows, filled = found[3], (found[2] > 0).to(w_.dtype)[:, None]
        bags = w_.gather(0, rows) * filled
        return bags**2 + bags

    return function


def _ties(*shape):
    """Small integers as floats: several rows of a bag share its maximum."""
    return lambda rng: rng.integers(-2, 3, shape).astype(float)


EMBEDDING_BAG_MAX = {
    "offsets": (_embedding_bag_max(lambda w: w * w), [_normal(4, 3)]),
    "2d": (_embedding_bag_max(lambda w: w.sin(), "2d"), [_normal(4, 3)]),
    "padding_idx": (_embedding_bag_max(lambda w: w * w, padding_idx=2), [_normal(4, 3)]),
    "include_last_offset": (
        _embedding_bag_max(lambda w: w.exp(), "last_offset", padding_idx=3),
        [_normal(4, 3)],
    ),
    "ties": (_embedding_bag_max(lambda w: w * 1.0), [_ties(4, 3)]),
}


@pytest.mark.parametrize("case", sorted(EMBEDDING_BAG_MAX))
def test_embedding_bag_max_second_derivatives_match_torch(backend, case):
    check_second_derivatives(backend, *EMBEDDING_BAG_MAX[case])


def test_embedding_bag_max_third_derivatives_match_torch(backend):
    check_third_derivatives(backend, *EMBEDDING_BAG_MAX["include_last_offset"])


def test_embedding_bag_max_gradgradcheck(backend):
    rng = np.random.default_rng(8)
    weight = xpnet.Tensor(backend.asarray(rng.standard_normal((5, 3))), requires_grad=True)
    indices = xpnet.Tensor(backend.asarray(np.array([4, 0, 2, 2, 1, 3])))
    offsets = xpnet.Tensor(backend.asarray(np.array([0, 3, 3])))

    def function(weight):
        return xpnet.nn.functional.embedding_bag(indices, weight, offsets, mode="max")

    assert xpnet.autograd.gradgradcheck(function, (weight,))


# -- linalg.householder_product -------------------------------------------------------------
def _householder(m, F, c, A, tau):
    return m.linalg.householder_product(A * A.cos(), tau) ** 2


HOUSEHOLDER = {
    "tall": (_householder, [_normal(5, 3), _normal(2)]),
    "square_all_reflectors": (_householder, [_normal(3, 3), _normal(3)]),
    "batched": (_householder, [_normal(2, 4, 3), _normal(2, 3)]),
    "one_reflector": (_householder, [_normal(4, 2), _normal(1)]),
}


@pytest.mark.parametrize("case", sorted(HOUSEHOLDER))
def test_householder_product_second_derivatives_match_torch(backend, case):
    check_second_derivatives(backend, *HOUSEHOLDER[case])


def test_householder_product_third_derivatives_match_torch(backend):
    check_third_derivatives(backend, *HOUSEHOLDER["batched"])


def test_householder_product_hvp_matches_torch(backend):
    rng = np.random.default_rng(9)
    a, v, tau = (rng.standard_normal((4, 3)) for _ in range(3))

    def scalar(m, tau):
        return lambda A: (m.linalg.householder_product(A, tau[:2]).sin()).sum()

    ours = xpnet.autograd.functional.hvp(
        scalar(xpnet, xpnet.Tensor(backend.asarray(tau[0]))),
        xpnet.Tensor(backend.asarray(a)),
        xpnet.Tensor(backend.asarray(v)),
    )
    theirs = torch.autograd.functional.hvp(
        scalar(torch, torch.tensor(tau[0])), torch.tensor(a), torch.tensor(v)
    )
    for mine, torch_value in zip(ours, theirs, strict=True):
        assert_close(host(backend, mine), torch_value.numpy(), np.float64, "hvp")


def test_householder_product_gradgradcheck(backend):
    rng = np.random.default_rng(10)
    A = xpnet.Tensor(backend.asarray(rng.standard_normal((4, 3))), requires_grad=True)
    tau = xpnet.Tensor(backend.asarray(rng.standard_normal(2)), requires_grad=True)
    assert xpnet.autograd.gradgradcheck(xpnet.linalg.householder_product, (A, tau))
