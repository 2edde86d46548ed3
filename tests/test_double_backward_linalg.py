"""``xpnet.autograd.grad(..., create_graph=True)`` against ``torch.autograd`` in float64 for the
formulas of :mod:`xpnet._double_backward_linalg` (cholesky, qr, eigh, svd, solve,
solve_triangular, lu, lu_factor, lu_unpack, lu_solve, pinv, lstsq, matrix_exp): the first and
second derivatives (a Hessian-vector product) with respect to every input, on square, batched,
tall and wide inputs, third orders for a few, ``hvp`` and ``gradgradcheck``. Losses through
eigenvectors and singular vectors use their squares or outer products, which do not depend on
the vectors' signs (LAPACK's here, possibly others in torch)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from _oracle import assert_close
from _second_order import check_second_derivatives, check_third_derivatives, host
from _second_order import normal as _normal

import xpnet


def _matrices(*shape):
    """Well-conditioned matrices: the identity (or its corner) plus small noise."""
    return lambda rng: np.eye(*shape[-2:]) + 0.3 * rng.standard_normal(shape)


def _spd(m, c, a):
    """A symmetric positive-definite matrix made of ``a``."""
    return a @ a.mT + 3 * c(np.eye(a.shape[-1]))


def _flat(m, *tensors):
    return m.cat([t.reshape(-1) for t in tensors])


def _qr(mode="reduced"):
    return lambda m, F, c, a: _flat(m, *(t * t for t in m.linalg.qr(a, mode=mode)))


def _svd(m, F, c, a):
    """Sign-free: ``U diag(S^2) Vh``, ``S`` and the squares of ``U`` and ``Vh``."""
    U, S, Vh = m.linalg.svd(a, full_matrices=False)
    return _flat(m, (U * S.unsqueeze(-2) ** 2) @ Vh, S, U * U, Vh * Vh)


# name: (f(module, F, constant, *inputs) on xpnet or torch alike, input makers)
CASES = {
    "cholesky": (lambda m, F, c, a: m.linalg.cholesky(_spd(m, c, a)), [_normal(3, 3)]),
    "cholesky_upper_batched": (
        lambda m, F, c, a: m.linalg.cholesky(_spd(m, c, a), upper=True).exp(),
        [_normal(2, 3, 3)],
    ),
    "cholesky_lower_triangle": (  # b off the diagonal: the whole gradient, not its symmetric part
        lambda m, F, c, a, b: m.linalg.cholesky(_spd(m, c, a) + 0.1 * b),
        [_normal(3, 3), _normal(3, 3)],
    ),
    "cholesky_ex": (lambda m, F, c, a: m.linalg.cholesky_ex(_spd(m, c, a))[0], [_normal(4, 4)]),
    "qr_square": (_qr(), [_matrices(3, 3)]),
    "qr_tall_batched": (_qr(), [_matrices(2, 4, 3)]),
    "qr_wide": (_qr(), [_matrices(3, 5)]),
    "qr_complete_wide": (_qr("complete"), [_matrices(2, 4)]),
    "qr_r_only": (lambda m, F, c, a: m.linalg.qr(a)[1] ** 2, [_matrices(4, 3)]),
    "qr_q_only_wide": (lambda m, F, c, a: m.linalg.qr(a)[0] ** 2, [_matrices(2, 3)]),
    "eigh": (
        lambda m, F, c, a: _flat(m, *(t * t for t in m.linalg.eigh(a + a.mT))),
        [_normal(4, 4)],
    ),
    "eigh_upper_batched": (
        lambda m, F, c, a: m.linalg.eigh(a + a.mT, UPLO="U")[1] ** 2,
        [_normal(2, 3, 3)],
    ),
    "eigvalsh": (lambda m, F, c, a: m.linalg.eigvalsh(a + a.mT).exp(), [_normal(2, 3, 3)]),
    "svd_square": (_svd, [_normal(3, 3)]),
    "svd_tall_batched": (_svd, [_normal(2, 4, 3)]),
    "svd_wide": (_svd, [_normal(3, 5)]),
    "svd_full_square": (
        lambda m, F, c, a: _flat(m, *(t * t for t in m.linalg.svd(a))),
        [_normal(3, 3)],
    ),
    "svdvals": (lambda m, F, c, a: m.linalg.svdvals(a) ** 3, [_normal(2, 3, 4)]),
    "solve": (lambda m, F, c, a, b: m.linalg.solve(a, b * b), [_matrices(3, 3), _normal(3, 2)]),
    "solve_right_batched": (
        lambda m, F, c, a, b: m.linalg.solve(a * a, b, left=False),
        [_matrices(2, 3, 3), _normal(4, 3)],
    ),
    "solve_vector_broadcast": (
        lambda m, F, c, a, b: m.linalg.solve(a, b).tanh(),
        [_matrices(2, 3, 3), _normal(3)],
    ),
    "solve_ex": (
        lambda m, F, c, a, b: m.linalg.solve_ex(a, b)[0] ** 2,
        [_matrices(3, 3), _normal(3)],
    ),
    "solve_triangular": (
        lambda m, F, c, a, b: m.linalg.solve_triangular(a.triu(), b * b, upper=True),
        [_matrices(3, 3), _normal(3, 2)],
    ),
    "solve_triangular_right_unit_batched": (
        lambda m, F, c, a, b: m.linalg.solve_triangular(
            a, b, upper=False, left=False, unitriangular=True
        ).tanh(),
        [_matrices(3, 3), _normal(2, 4, 3)],
    ),
    "lu_solve_factored": (
        lambda m, F, c, a, b: m.linalg.lu_solve(*m.linalg.lu_factor(a), b) ** 2,
        [_matrices(2, 3, 3), _normal(3, 2)],
    ),
    "lu_solve_adjoint_right": (  # a as packed factors, fixed pivots
        lambda m, F, c, a, b: m.linalg.lu_solve(
            a, c(np.array([2, 3, 3], dtype=np.int32)), b * a[0], left=False, adjoint=True
        ),
        [_matrices(3, 3), _normal(2, 3)],
    ),
    "lu_solve_right": (
        lambda m, F, c, a, b: m.linalg.lu_solve(*m.linalg.lu_factor(a), b, left=False).sin(),
        [_matrices(3, 3), _normal(2, 3)],
    ),
    "lu_solve_adjoint_left": (
        lambda m, F, c, a, b: m.linalg.lu_solve(
            a, c(np.array([3, 2, 3], dtype=np.int32)), b, adjoint=True
        ).exp(),
        [_matrices(3, 3), _normal(3, 2)],
    ),
    "pinv_wide": (lambda m, F, c, a: m.linalg.pinv(a) ** 2, [_matrices(3, 4)]),
    "pinv_tall_batched": (lambda m, F, c, a: m.linalg.pinv(a).exp(), [_matrices(2, 4, 3)]),
    "pinv_hermitian": (
        lambda m, F, c, a: m.linalg.pinv(a + a.mT, hermitian=True) ** 2,
        [_matrices(3, 3)],
    ),
    "lstsq": (
        lambda m, F, c, a, b: m.linalg.lstsq(a, b * b).solution ** 2,
        [_matrices(4, 3), _normal(4, 2)],
    ),
    "lstsq_vector_batched": (
        lambda m, F, c, a, b: m.linalg.lstsq(a, b).solution.sin(),
        [_matrices(2, 4, 3), _normal(2, 4)],
    ),
    "matrix_exp": (lambda m, F, c, a: m.linalg.matrix_exp(a) * a, [_normal(2, 3, 3)]),
    "lu_square": (lambda m, F, c, a: _flat(m, *m.linalg.lu(a)[1:]) ** 2, [_matrices(3, 3)]),
    "lu_tall_batched": (
        lambda m, F, c, a: _flat(m, *m.linalg.lu(a)[1:]) ** 2,
        [_matrices(2, 4, 3)],
    ),
    "lu_wide": (lambda m, F, c, a: _flat(m, *m.linalg.lu(a)[1:]) ** 2, [_matrices(3, 5)]),
    "lu_factor": (lambda m, F, c, a: m.linalg.lu_factor(a)[0] ** 2, [_matrices(2, 3, 3)]),
    "lu_factor_wide": (lambda m, F, c, a: m.linalg.lu_factor(a)[0] ** 2, [_matrices(3, 4)]),
    "lu_unpack_tall": (
        lambda m, F, c, a: _flat(m, *m.lu_unpack(*m.linalg.lu_factor(a * a))[1:]) ** 2,
        [_matrices(4, 3)],
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_linalg_second_derivatives_match_torch(backend, case):
    check_second_derivatives(backend, *CASES[case])


THIRD = {name: CASES[name] for name in ("cholesky", "qr_wide", "eigh", "svd_tall_batched")}
THIRD["solve"] = CASES["solve"]
THIRD["lu_square"] = CASES["lu_square"]


@pytest.mark.parametrize("case", sorted(THIRD))
def test_linalg_third_derivatives_match_torch(backend, case):
    check_third_derivatives(backend, *THIRD[case])


def test_linalg_hvp_matches_torch(backend):
    """``autograd.functional.hvp`` of a scalar of several decompositions, as torch's."""
    rng = np.random.default_rng(4)
    a, v = np.eye(3) + 0.3 * rng.standard_normal((2, 3, 3)), rng.standard_normal((2, 3, 3))

    def scalar(m):
        def f(x):
            spd = x @ x.mT + 3 * m.eye(3, dtype=x.dtype)
            return (
                m.linalg.cholesky(spd).sum()
                + m.linalg.svdvals(x).pow(2).sum()
                + m.linalg.solve(x, x.sum(-1)).sum()
                + m.linalg.eigvalsh(spd).exp().sum()
            )

        return f

    ours = xpnet.autograd.functional.hvp(
        scalar(xpnet), xpnet.Tensor(backend.asarray(a)), xpnet.Tensor(backend.asarray(v))
    )
    theirs = torch.autograd.functional.hvp(scalar(torch), torch.tensor(a), torch.tensor(v))
    for mine, torch_value in zip(ours, theirs, strict=True):
        assert_close(host(backend, mine), torch_value.numpy(), np.float64, "hvp")


@pytest.mark.parametrize(
    "function",
    [
        lambda a: xpnet.linalg.cholesky(a @ a.mT + 3 * xpnet.eye(3, dtype=a.dtype)).triu(),
        lambda a: xpnet.linalg.qr(a).R.pow(2),
        lambda a: xpnet.linalg.svdvals(a),
        lambda a: xpnet.linalg.lu_factor(a).LU,
    ],
    ids=["cholesky", "qr", "svdvals", "lu_factor"],
)
def test_linalg_gradgradcheck(backend, function):
    rng = np.random.default_rng(5)
    a = np.eye(3, 2) + 0.3 * rng.standard_normal((3, 2))
    a = xpnet.Tensor(backend.asarray(a), requires_grad=True)
    assert xpnet.autograd.gradgradcheck(function, (a,))


@pytest.mark.parametrize(
    "mode, message",
    [
        ("r", "depends on Q, which is not computed when mode='r'"),
        ("complete", "not differentiable when mode='complete' and nrows > ncols"),
    ],
)
def test_qr_refuses_create_graph_as_torch(backend, mode, message):
    """PyTorch's refusals under ``create_graph=True`` too (the formula, not the backward)."""
    a = xpnet.Tensor(backend.asarray(np.eye(3, 2)), requires_grad=True)
    with pytest.raises(RuntimeError, match=message):
        xpnet.autograd.grad(xpnet.linalg.qr(a, mode=mode).R.sum(), a, create_graph=True)
