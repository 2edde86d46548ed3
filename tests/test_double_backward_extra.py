"""``xpnet.autograd.grad(..., create_graph=True)`` against ``torch.autograd`` in float64 for the
formulas of :mod:`xpnet._double_backward_extra`, :mod:`xpnet.nn._double_backward_losses` and
:mod:`xpnet.nn._double_backward_extra`: the first and second derivatives with respect to
every input, and third orders for a few. Where PyTorch has no double backward of its own
(``pdist``, ``embedding_bag``, ``multi_margin_loss``, ``multilabel_margin_loss``), torch
differentiates the op's definition written in torch operations."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from _second_order import check_second_derivatives, check_third_derivatives, leaf
from _second_order import normal as _normal

import xpnet


def _uniform(low, high, *shape):
    return lambda rng: rng.uniform(low, high, shape)


def _ties(*shape):
    """Small integers as floats: ties for the running extremes."""
    return lambda rng: rng.integers(-2, 3, shape).astype(float)


def _matrices(*shape):
    """Well-conditioned matrices of positive determinant: the identity plus small noise."""
    return lambda rng: np.eye(shape[-1]) + 0.3 * rng.standard_normal(shape)


_MASK = [[True, False, False, True], [False, False, True, False], [True, True, False, False]]

# name: (f(module, F, constant, *inputs) on xpnet or torch alike, input makers)
TENSOR = {
    "masked_fill": (
        lambda m, F, c, a, v: (
            a.masked_fill(c(_MASK), 2.0) * a + m.masked_fill(a * a, c(_MASK[0]), v) * v
        ),
        [_normal(3, 4), _normal()],
    ),
    "scatter_src_larger": (  # src past the index's corner gets no gradient (torch refuses it)
        lambda m, F, c, a, s: (
            a.scatter(1, c([[0, 2], [3, 1], [1, 0]]), s * s if m is not torch else s[:, :2] ** 2)
            * a
        ),
        [_normal(3, 4), _normal(3, 3)],
    ),
    "scatter_add": (
        lambda m, F, c, a, s: a.scatter_add(0, c([[0, 2, 2, 1], [0, 0, 1, 2]]), s * a[:2]) ** 2,
        [_normal(3, 4), _normal(2, 4)],
    ),
    "index_add_copy": (
        lambda m, F, c, a, s: (
            a.index_add(0, c([0, 2]), s * s, alpha=0.5) ** 2
            + a.index_copy(0, c([2, 1]), s * a[:2]) * a
        ),
        [_normal(3, 4), _normal(2, 4)],
    ),
    "cross": (
        lambda m, F, c, a, b: m.linalg.cross(a, b) * a + m.cross(a * b, b, dim=1) ** 2,
        [_normal(4, 3), _normal(1, 3)],
    ),
    "sort_topk_msort": (
        lambda m, F, c, a: (
            a.sort(1)[0] ** 2 * a
            + m.msort(a) * a
            + a.topk(2, dim=1)[0].sum(1, keepdim=True) ** 2 * a
            + a.sort(0, descending=True)[0] ** 3
            + a.kthvalue(2, 1, keepdim=True)[0] * a
        ),
        [_normal(3, 4)],
    ),
    "sort_stable_ties": (  # equal values keep their order (topk's tie order is unspecified)
        lambda m, F, c, a: (
            a.sort(dim=1, stable=True)[0] ** 2 * a
            + a.sort(dim=0, descending=True, stable=True)[0] ** 3
        ),
        [_ties(3, 5)],
    ),
    "cummax_cummin": (
        lambda m, F, c, a: a.cummax(1)[0] * a + a.cummin(0)[0] ** 2,
        [_normal(3, 4)],
    ),
    "cummax_cummin_ties": (  # ties: the last index of the extreme gets the gradient
        lambda m, F, c, a: a.cummax(1)[0] ** 2 * a + a.cummin(1)[0] * a,
        [_ties(3, 5)],
    ),
    "inv": (
        lambda m, F, c, a: (
            m.linalg.inv(a) * a + a.inverse() ** 2 + m.linalg.inv_ex(a * a)[0].sum() * a
        ),
        [_matrices(2, 3, 3)],
    ),
    "det_slogdet_logdet": (
        lambda m, F, c, a: (
            m.linalg.det(a)[..., None, None] * a
            + m.linalg.slogdet(a)[1][..., None, None] ** 2 * a
            + a.det().sum() * a.logdet()[..., None, None]
        ),
        [_matrices(2, 3, 3)],
    ),
}


def _torch_or(m, ours, theirs):
    """``ours()`` for xpnet, ``theirs()`` (the op's definition) for torch, which has no double
    backward for the op."""
    return theirs() if m is torch else ours()


def _pdist(m, F, x, p):
    """``pdist`` in torch operations: the rows ``i < j``."""
    i, j = np.triu_indices(x.shape[0], 1)
    return (x[torch.tensor(i)] - x[torch.tensor(j)]).norm(p, dim=1) if m is torch else F.pdist(x, p)


def _multi_margin(F, x, y, p, margin, w):
    """``multi_margin_loss`` in torch operations."""
    z = (margin - x.gather(1, y[:, None]) + x).clamp(min=0)
    z = torch.where(torch.arange(x.shape[1]) != y[:, None], z if p == 1 else z * z, 0.0)
    return (z * w[y][:, None]).sum(1) / x.shape[1]


def _multilabel_margin(F, x, y):
    """``multilabel_margin_loss`` in torch operations."""
    valid = torch.cumsum(y < 0, 1) == 0  # the slots before the first -1
    one_hot = (y.clamp(min=0).unsqueeze(2) == torch.arange(x.shape[1])) & valid.unsqueeze(2)
    is_target = one_hot.any(1)
    z = (1 - x.gather(1, y.clamp(min=0))).unsqueeze(2) + x.unsqueeze(1)
    pairs = valid.unsqueeze(2) & ~is_target.unsqueeze(1)
    return torch.where(pairs, z.clamp(min=0), 0.0).sum((1, 2)) / x.shape[1]


_LABELS = [1.0, -1.0, 1.0, -1.0]
_MULTILABEL = [[1, 3, -1, 2], [0, -1, 0, 0], [2, 1, 0, 3]]  # -1 ends a row's targets

LOSSES = {
    "margin_ranking": (
        lambda m, F, c, a, b, t: (
            F.margin_ranking_loss(a * a, b, t, margin=0.3)
            + F.margin_ranking_loss(a, b * a, c(_LABELS), reduction="none") ** 2
        ),
        [_normal(4), _normal(4), _normal(4)],
    ),
    "hinge_embedding": (
        lambda m, F, c, a: (
            F.hinge_embedding_loss(a * a, c(_LABELS), margin=0.8) * a
            + F.hinge_embedding_loss(a, c(_LABELS), reduction="none") ** 2
        ),
        [_normal(4)],
    ),
    "soft_margin": (
        lambda m, F, c, a: F.soft_margin_loss(a * a, c(_LABELS)) * a + a.sum(),
        [_normal(4)],
    ),
    "multilabel_soft_margin": (
        lambda m, F, c, a, t, w: F.multilabel_soft_margin_loss(a * a, t, weight=w) ** 2,
        [_normal(3, 4), _uniform(0, 1, 3, 4), _uniform(0.5, 1.5, 4)],
    ),
    "multi_margin": (
        lambda m, F, c, a: (
            _torch_or(
                m,
                lambda: F.multi_margin_loss(
                    a * a, c([1, 0, 3]), p=2, margin=0.7, weight=c([1.0, 2, 3, 4])
                ),
                lambda: _multi_margin(F, a * a, c([1, 0, 3]), 2, 0.7, c([1.0, 2, 3, 4])).mean(),
            )
            * a
        ),
        [_normal(3, 4)],
    ),
    "multilabel_margin": (
        lambda m, F, c, a: (
            _torch_or(
                m,
                lambda: F.multilabel_margin_loss(a, c(_MULTILABEL)),
                lambda: _multilabel_margin(F, a, c(_MULTILABEL)).mean(),
            )
            * a
        ),
        [_normal(3, 4)],
    ),
    "cosine_embedding": (
        lambda m, F, c, a, b: F.cosine_embedding_loss(a, b * a, c([1.0, -1.0, -1.0]), 0.1) * a,
        [_normal(3, 4), _normal(3, 4)],
    ),
    "triplet_margin": (
        lambda m, F, c, a, p, n: (
            F.triplet_margin_loss(a, p, n, margin=2.0, reduction="none") ** 2
            + F.triplet_margin_loss(a * a, p, n, margin=3.0, p=3, swap=True)
        ),
        [_normal(3, 4), _normal(3, 4), _normal(3, 4)],
    ),
    "triplet_margin_with_distance": (
        lambda m, F, c, a, p, n: (
            F.triplet_margin_with_distance_loss(
                a * a, p, n, distance_function=lambda x, y: ((x - y) ** 2).sum(-1), margin=5.0
            )
            * a
        ),
        [_normal(3, 4), _normal(3, 4), _normal(3, 4)],
    ),
    "poisson_nll": (
        lambda m, F, c, a, t: (
            F.poisson_nll_loss(a, t * t) * a
            + F.poisson_nll_loss(a * a + 0.5, t, log_input=False, full=True, reduction="none")
        ),
        [_normal(3, 4), _uniform(0.5, 2.5, 3, 4)],
    ),
    "gaussian_nll": (
        lambda m, F, c, a, t, v: (
            F.gaussian_nll_loss(a, t, v * v, full=True) * a
            + F.gaussian_nll_loss(a * t, t, v[:, 0], eps=0.8, reduction="none")
        ),
        [_normal(3, 4), _normal(3, 4), _uniform(0.5, 1.5, 3, 4)],
    ),
}


def _embedding_bag(m, F, c, w, psw, mode):
    """Bags ``[0, 2)``, ``[2, 5)`` of the indices ``[1, 3, 0, 3, 2]`` (padding 2); in torch
    operations for torch, which has no double backward for it."""
    indices, bag = c([1, 3, 0, 3, 2]), c([0, 0, 1, 1, 1])
    if m is not torch:
        options = {"per_sample_weights": psw} if mode == "sum" else {}
        return F.embedding_bag(indices, w, c([0, 2]), mode=mode, padding_idx=2, **options)
    valid = (indices != 2).to(w.dtype)
    sizes = torch.zeros(2, dtype=w.dtype).index_add(0, bag, valid)
    scale = valid * psw if mode == "sum" else valid / sizes[bag]
    return torch.zeros(2, w.shape[1], dtype=w.dtype).index_add(0, bag, w[indices] * scale[:, None])


LAYERS = {
    "bilinear": (
        lambda m, F, c, x1, x2, w, b: F.bilinear(x1 * x1, x2, w, b) ** 2,
        [_normal(2, 3), _normal(2, 4), _normal(5, 3, 4), _normal(5)],
    ),
    "lp_pool1d_2d": (
        lambda m, F, c, x: (
            (F.lp_pool1d(x, 2, 2) ** 2).sum() * x
            + F.lp_pool2d(x.unsqueeze(0), 1.5, (2, 3), stride=1, ceil_mode=True).sum() * x
        ),
        [_uniform(0.2, 2, 2, 3, 6)],
    ),
    "lp_pool3d": (
        lambda m, F, c, x: F.lp_pool3d(x, 3, 2) ** 2,
        [_uniform(0.2, 2, 1, 2, 4, 4, 4)],
    ),
    "local_response_norm": (
        lambda m, F, c, x: (
            F.local_response_norm(x, 3, alpha=0.5, beta=0.8, k=1.5) * x
            + F.local_response_norm(x.unsqueeze(-1), 2).squeeze(-1) ** 2
        ),
        [_normal(2, 5, 3)],
    ),
    "pdist": (
        lambda m, F, c, x: _pdist(m, F, x * x, 2) ** 2 + _pdist(m, F, x, 3).sum() * x.sum(),
        [_normal(4, 3)],
    ),
    "embedding_bag_sum": (
        lambda m, F, c, w, psw: _embedding_bag(m, F, c, w * w, psw * psw, "sum") ** 2,
        [_normal(4, 3), _normal(5)],
    ),
    "embedding_bag_mean": (
        lambda m, F, c, w: _embedding_bag(m, F, c, w * w, None, "mean") ** 2,
        [_normal(4, 3)],
    ),
    "affine_grid": (
        lambda m, F, c, theta: (
            F.affine_grid(theta * theta, (2, 1, 3, 4), align_corners=False) ** 2
            + F.affine_grid(theta, (2, 1, 3, 4), align_corners=True) * theta.sum()
        ),
        [_normal(2, 2, 3)],
    ),
    "grid_sample_bilinear": (
        lambda m, F, c, x, g: (
            F.grid_sample(x, g * g.abs(), align_corners=False) ** 2
            + F.grid_sample(x * x, g, padding_mode="border", align_corners=True)
        ),
        [_normal(2, 3, 4, 5), _uniform(-1.2, 1.2, 2, 3, 2, 2)],
    ),
    "grid_sample_nearest": (
        lambda m, F, c, x, g: (
            F.grid_sample(x * x, g, mode="nearest", align_corners=False) * g[..., :1].movedim(-1, 1)
        ),
        [_normal(2, 3, 4, 5), _uniform(-1.2, 1.2, 2, 3, 2, 2)],
    ),
    "grid_sample_3d": (
        lambda m, F, c, x, g: F.grid_sample(x, g, align_corners=False) ** 2,
        [_normal(1, 2, 3, 4, 3), _uniform(-1.1, 1.1, 1, 2, 2, 3, 3)],
    ),
}

EINSUM_DIAGONALS = {  # a subscript repeated in one operand: the gradient is on a diagonal
    "einsum_trace": (lambda m, F, c, a: m.einsum("ii->", a * a) * a, [_normal(3, 3)]),
    "einsum_diag": (
        lambda m, F, c, a, b: m.einsum("ii,j->ij", a, b) ** 2,
        [_normal(3, 3), _normal(4)],
    ),
    "einsum_batch_diag": (
        lambda m, F, c, a, b: m.einsum("iij,jk->ik", a, b * b).tanh(),
        [_normal(3, 3, 4), _normal(4, 2)],
    ),
    "einsum_other_diag": (
        lambda m, F, c, a, b: m.einsum("ij,kk->ijk", a, b) * b.sum(),
        [_normal(2, 3), _normal(4, 4)],
    ),
    "einsum_triple": (lambda m, F, c, a: m.einsum("iii->i", a).exp(), [_normal(3, 3, 3)]),
}

CASES = {**TENSOR, **LOSSES, **LAYERS, **EINSUM_DIAGONALS}


@pytest.mark.parametrize("case", sorted(CASES))
def test_second_derivatives_match_torch(backend, case):
    check_second_derivatives(backend, *CASES[case])


THIRD = {
    "cross": TENSOR["cross"],
    "einsum_batch_diag": EINSUM_DIAGONALS["einsum_batch_diag"],
    "inv": (lambda m, F, c, a: m.linalg.inv(a) * a.det()[..., None, None], [_matrices(3, 3)]),
    "sort_scatter": (
        lambda m, F, c, a, s: a.sort(1)[0] * a.scatter(1, c([[0, 2], [3, 1], [1, 0]]), s).tanh(),
        [_normal(3, 4), _normal(3, 2)],
    ),
    "triplet_margin": LOSSES["triplet_margin"],
    "gaussian_nll": LOSSES["gaussian_nll"],
    "bilinear": LAYERS["bilinear"],
    "local_response_norm": LAYERS["local_response_norm"],
    "grid_sample_bilinear": LAYERS["grid_sample_bilinear"],
}


@pytest.mark.parametrize("case", sorted(THIRD))
def test_third_derivatives_match_torch(backend, case):
    check_third_derivatives(backend, *THIRD[case])


REFUSED = {
    "scatter_multiply": (
        lambda x: x.scatter(1, xpnet.tensor([[0], [1]]), x[:, :1], reduce="multiply"),
        RuntimeError,
        "derivative for reduce='multiply' is not implemented",
    ),
}


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_unsupported_options_raise_under_create_graph(backend, case):
    """Never a silently wrong second derivative: the options without a formula say so."""
    function, error, message = REFUSED[case]
    x = leaf(backend, np.arange(6.0).reshape(2, 3))
    y = function(x)
    with pytest.raises(error, match=message):
        xpnet.autograd.grad((y * y).sum(), x, create_graph=True)
