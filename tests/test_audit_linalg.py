"""Regression tests for the differences from PyTorch 2.13 the ``xpnet.linalg`` audit found:
dtype refusals of PyTorch's class (a RuntimeError, still a TypeError), matrix norms and
``cond`` of empty, singular and non-finite matrices, ``lstsq``'s drivers, ``cholesky`` of
NaN, ``householder_product`` reading only below the diagonal, ``matrix_rank`` of NaN,
``lu_factor`` of inf without a NumPy warning, ``solve``'s vector ``B`` with ``left=False``,
and ``matrix_power`` of integer matrices.

PyTorch is the oracle: each case runs on both libraries; a refusal must be PyTorch's class
(or a subclass of it), a value PyTorch's.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import torch
from _oracle import assert_close

import xpnet
from xpnet import linalg as L
from xpnet.backends import raise_deferred

TL = torch.linalg


def _x(backend, a, grad=False):
    return xpnet.Tensor(backend.asarray(np.asarray(a)), requires_grad=grad)


def _host(backend, t):
    return backend.to_host(t.detach().array)


def _same_outcome(backend, x_call, t_call, *arrays):
    """Both raise (xpnet an instance of PyTorch's class), or both give the same value."""
    try:
        expected = t_call(*(torch.from_numpy(np.array(a)) for a in arrays))
    except Exception as error:  # noqa: BLE001 - any class: xpnet must match it
        kind = L.LinAlgError if isinstance(error, TL.LinAlgError) else type(error)
        with pytest.raises(kind):
            x_call(*(_x(backend, a) for a in arrays))
            raise_deferred()
        return
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # NumPy warnings must not leak
        got = x_call(*(_x(backend, a) for a in arrays))
        raise_deferred()
    assert got.shape == tuple(expected.shape)
    assert_close(_host(backend, got), expected.detach().numpy(), np.float64)


@pytest.mark.parametrize(
    "call",
    [
        lambda M, a, b: M.linalg.inv(a.int()),
        lambda M, a, b: M.linalg.det(a.bool()),
        lambda M, a, b: M.linalg.svd(a.int()),
        lambda M, a, b: M.linalg.matrix_norm(a.int()),
        lambda M, a, b: M.linalg.vector_norm(a.int()),
        lambda M, a, b: M.linalg.vector_norm(a, dtype=M.int64),
        lambda M, a, b: M.linalg.solve(a, b.float()),
        lambda M, a, b: M.linalg.lstsq(a, b.float()),
        lambda M, a, b: M.linalg.vecdot(a, b.float()),
        lambda M, a, b: M.linalg.vecdot(a.int(), b.int()),
        lambda M, a, b: M.linalg.householder_product(a, b[:2].float()),
        lambda M, a, b: M.linalg.solve(a, a[:, None, None, 0]),  # batches (3,) and (3, 1, 1)
    ],
)
def test_refusals_are_pytorch_runtime_errors(backend, call):
    a, b = np.eye(3) * 2.0, np.ones(3)
    with pytest.raises(RuntimeError):
        call(torch, torch.from_numpy(a), torch.from_numpy(b))
    with pytest.raises(RuntimeError, match="linalg"):
        call(xpnet, _x(backend, a).double(), _x(backend, b).double())


@pytest.mark.parametrize("shape", [(0, 3), (3, 0), (0, 0), (2, 0, 3)])
@pytest.mark.parametrize("ord", [math.inf, -math.inf, 1, -1, -2])
@pytest.mark.parametrize("dim", [(-2, -1), (-1, -2)])
def test_matrix_norm_of_empty_matrices(backend, shape, ord, dim):
    """0 for the positive orders (a max of magnitudes over none), PyTorch's IndexError where
    a min has nothing to reduce."""
    _same_outcome(
        backend,
        lambda A: L.matrix_norm(A, ord, dim),
        lambda A: TL.matrix_norm(A, ord, dim),
        np.zeros(shape),
    )


def _cond_inputs():
    nan, inf = np.eye(3) * 2.0, np.eye(3) * 2.0
    nan[0, 1], inf[2, 2] = math.nan, math.inf
    return {
        "singular": np.ones((3, 3)),
        "zeros": np.zeros((2, 3, 3)),
        "nan": nan,
        "inf": inf,
        "empty": np.zeros((0, 0)),
        "empty-batch": np.zeros((2, 0, 0)),
        "empty-wide": np.zeros((0, 3)),
        "regular": np.array([[2.0, 1.0], [0.5, 3.0]]),
    }


@pytest.mark.parametrize("name", list(_cond_inputs()))
@pytest.mark.parametrize("p", [None, "fro", "nuc", 1, -1, math.inf, -math.inf])
def test_cond_singular_non_finite_and_empty(backend, name, p):
    """inf for a singular matrix and where the product is NaN, 0 without elements."""
    a = _cond_inputs()[name]
    if p in (None, "nuc") and name in ("nan", "inf"):
        pytest.skip("the SVD of non-finite input: LAPACK-dependent in PyTorch")
    _same_outcome(backend, lambda A: L.cond(A, p), lambda A: TL.cond(A, p), a)


def test_matrix_rank_of_nan_is_linalg_error(backend):
    a = np.eye(3)
    a[1, 1] = math.nan
    with pytest.raises(TL.LinAlgError, match="non-finite"):
        TL.matrix_rank(torch.from_numpy(a))
    with pytest.raises(L.LinAlgError, match=r"linalg\.svd: .*non-finite"):
        L.matrix_rank(_x(backend, a))
        raise_deferred()


def test_lu_factor_of_inf_gives_no_numpy_warning(backend):
    a = np.array([[4.0, 1.0, math.inf], [1.0, 3.0, 0.5], [2.0, 0.5, 2.0]])  # 0 * inf: NaN
    _same_outcome(backend, lambda A: L.lu_factor(A).LU, lambda A: TL.lu_factor(A).LU, a)


def test_householder_product_reads_only_below_the_diagonal(backend):
    a = np.array([[math.nan, math.nan], [0.5, math.inf], [0.25, -1.0]])
    tau = np.array([1.2, 0.7])
    _same_outcome(backend, L.householder_product, TL.householder_product, a, tau)


def test_householder_product_backward_without_columns(backend):
    A, tau = _x(backend, np.zeros((3, 0)), grad=True), _x(backend, np.zeros((0,)), grad=True)
    L.householder_product(A, tau).sum().backward()
    assert A.grad.shape == (3, 0) and tau.grad.shape == (0,)


def test_solve_refuses_a_vector_b_with_left_false(backend):
    a, b = np.array([[2.0]]), np.array([4.0])
    with pytest.raises(RuntimeError, match="left=False"):
        TL.solve(torch.from_numpy(a), torch.from_numpy(b), left=False)
    with pytest.raises(RuntimeError, match=r"linalg\.solve: .*left=False"):
        L.solve(_x(backend, a), _x(backend, b), left=False)


@pytest.mark.parametrize("upper", [False, True])
def test_cholesky_of_nan_is_linalg_error(backend, upper):
    """LAPACK's potrf fails at a NaN on the diagonal it computes; a NaN in the triangle that
    is not read changes nothing."""
    a = np.array([[4.0, 1.0, 0.0], [1.0, 3.0, 0.5], [0.0, 0.5, 2.0]])
    read = a.copy()
    read[(0, 2) if upper else (2, 0)] = math.nan
    with pytest.raises(TL.LinAlgError, match="order 3"):
        TL.cholesky(torch.from_numpy(read), upper=upper)
    with pytest.raises(L.LinAlgError, match=r"linalg\.cholesky: .*order 3"):
        L.cholesky(_x(backend, read), upper=upper)
        raise_deferred()
    unread = a.copy()
    unread[(2, 0) if upper else (0, 2)] = math.nan
    cholesky = lambda M: lambda A: M.cholesky(A, upper=upper)  # noqa: E731
    _same_outcome(backend, cholesky(L), cholesky(TL), unread)


@pytest.mark.parametrize("driver", [None, "gelsy", "gels", "gelsd", "gelss"])
@pytest.mark.parametrize(
    ("a_shape", "b_shape"), [((2, 5, 3), (2, 5, 2)), ((5, 3), (5,)), ((3, 4), (3, 2))]
)
def test_lstsq_drivers(backend, driver, a_shape, b_shape):
    """Each field as PyTorch's driver fills it, and the residuals' gradient."""
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal(a_shape), rng.standard_normal(b_shape)
    At, Bt = (torch.from_numpy(v).requires_grad_() for v in (a, b))
    expected = TL.lstsq(At, Bt, driver=driver)
    A, B = _x(backend, a, grad=True), _x(backend, b, grad=True)
    got = L.lstsq(A, B, driver=driver)
    for field in ("solution", "residuals", "rank", "singular_values"):
        want, have = getattr(expected, field), getattr(got, field)
        assert have.shape == tuple(want.shape), field
        assert str(have.dtype).split(".")[-1] == str(want.dtype).split(".")[-1], field
        assert_close(_host(backend, have), want.detach().numpy(), np.float64)
    if expected.residuals.numel():
        weights = rng.standard_normal(tuple(expected.residuals.shape))
        (expected.residuals * torch.from_numpy(weights)).sum().backward()
        (got.residuals * _x(backend, weights)).sum().backward()
        assert_close(_host(backend, A.grad), At.grad.numpy(), np.float64)
        assert_close(_host(backend, B.grad), Bt.grad.numpy(), np.float64)


@pytest.mark.parametrize("n", [0, 1, 3])
def test_matrix_power_of_integers(backend, n):
    a = np.array([[[1, 2], [3, 4]], [[0, 1], [-1, 0]]], dtype=np.int64)
    got = L.matrix_power(_x(backend, a), n)
    expected = TL.matrix_power(torch.from_numpy(a), n)
    assert got.dtype == xpnet.int64
    np.testing.assert_array_equal(_host(backend, got), expected.numpy())
