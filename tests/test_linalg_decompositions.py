"""xpnet.linalg's qr, eigh, eigvalsh, svd, svdvals, pinv, lstsq, matrix_rank and matrix_power
against PyTorch float64: values and gradients of sign-invariant losses (the vectors' signs are
LAPACK's on both sides, but only such losses have a defined gradient), batches, float32,
1x1, empty batches, wide and tall, rank-deficient, NaN, non-contiguous inputs; every error;
hypothesis properties (Q R = A, Q^T Q = I, U S Vh = A, the Moore-Penrose identities)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from _oracle import assert_close, check_tensor_method, random_input
from _strategies import PROFILE
from hypothesis import given
from hypothesis import strategies as st

import xpnet
import xpnet.linalg as L
from xpnet.backends import host_reads_forbidden
from xpnet.kernels import ArgumentError
from xpnet.linalg.decompositions import linalg_qr_backward, linalg_svd_backward

SHAPES = [(4, 3), (3, 4), (3, 3), (2, 5, 3), (2, 3, 5), (1, 1), (0, 3, 2)]


def _check(backend, fn, torch_fn, inputs, dtype=np.float64):
    """``fn`` (xpnet Tensors) against ``torch_fn``: output and every input's gradient."""
    return check_tensor_method(fn, inputs, backend, dtype=dtype, torch_method=torch_fn)


def _matrix(shape, seed=0, diagonal=0.0):
    """A random matrix batch, ``diagonal`` added to the leading square's diagonal."""
    a = random_input(shape, seed=seed)
    k = min(shape[-2:])
    a[..., range(k), range(k)] += diagonal
    return a


def _symmetric(shape, seed=0):
    a = random_input(shape, seed=seed)
    return a + np.swapaxes(a, -1, -2)


def _qr_loss(result):
    """Sign-invariant: Q's columns and R's rows times the signs of R's diagonal."""
    Q, R = result
    signs = R.diagonal(dim1=-2, dim2=-1).sign().detach()
    Qn, Rn = Q * signs[..., None, :], R * signs[..., :, None]
    return (Qn**3).sum(-2) + Rn.sum(-1)


def _svd_loss(result):
    U, S, Vh = result
    k = S.shape[-1]
    U, Vh = U[..., :k], Vh[..., :k, :]
    return S + U[..., 0, :] * Vh[..., :, 0] + (U**2)[..., -1, :]


def _eigh_loss(result):
    values, V = result
    return values + V[..., 0, :] * V[..., -1, :] + (V**2)[..., 0, :]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("mode", ["reduced", "complete"])
def test_qr(backend, shape, mode):
    if mode == "complete" and shape[-2] > shape[-1]:
        pytest.skip("not differentiable (tested below)")
    a = _matrix(shape, diagonal=2.0)
    _check(
        backend,
        lambda A: _qr_loss(L.qr(A, mode)),
        lambda A: _qr_loss(torch.linalg.qr(A, mode)),
        [a],
    )


@pytest.mark.parametrize("mode", ["complete", "r"])
def test_qr_forward_modes(backend, mode):
    a = _matrix((2, 5, 3))
    Q, R = L.qr(backend.asarray(a), mode)
    tQ, tR = torch.linalg.qr(torch.tensor(a), mode)
    assert Q.shape == tuple(tQ.shape) and R.shape == tuple(tR.shape)
    assert_close(np.abs(backend.to_host(R.array)), np.abs(tR.numpy()), np.float64)


@pytest.mark.parametrize("shape", SHAPES)
def test_svd(backend, shape):
    a = _matrix(shape, diagonal=np.arange(1, 6)[: min(shape[-2:])] * 1.5)
    for full in (False, True):
        _check(
            backend,
            lambda A: _svd_loss(L.svd(A, full_matrices=full)),  # noqa: B023
            lambda A: _svd_loss(torch.linalg.svd(A, full_matrices=full)),  # noqa: B023
            [a],
        )
    _check(backend, L.svdvals, torch.linalg.svdvals, [a])


@pytest.mark.parametrize("shape", [(4, 4), (2, 3, 3), (1, 1), (0, 2, 2)])
@pytest.mark.parametrize("UPLO", ["L", "U"])
def test_eigh(backend, shape, UPLO):  # noqa: N803
    a = random_input(shape) + np.diag(np.arange(len(shape) and shape[-1]) * 2.0)
    _check(
        backend,
        lambda A: _eigh_loss(L.eigh(A, UPLO)),
        lambda A: _eigh_loss(torch.linalg.eigh(A, UPLO)),
        [a],
    )
    _check(backend, lambda A: L.eigvalsh(A, UPLO), lambda A: torch.linalg.eigvalsh(A, UPLO), [a])


def test_float32(backend):
    a = _matrix((2, 4, 3), diagonal=np.array([1.0, 2.5, 4.0]))
    s = _symmetric((2, 3, 3)) + np.diag([0.0, 2.0, 4.0])
    dtype = np.float32
    _check(backend, lambda A: _qr_loss(L.qr(A)), lambda A: _qr_loss(torch.linalg.qr(A)), [a], dtype)
    _check(
        backend,
        lambda A: _svd_loss(L.svd(A, False)),
        lambda A: _svd_loss(torch.linalg.svd(A, False)),
        [a],
        dtype,
    )
    _check(
        backend,
        lambda A: _eigh_loss(L.eigh(A)),
        lambda A: _eigh_loss(torch.linalg.eigh(A)),
        [s],
        dtype,
    )
    _check(backend, L.pinv, torch.linalg.pinv, [a], dtype)


def test_reconstruction_and_no_host_sync(backend):
    a = backend.asarray(_matrix((3, 4, 2), diagonal=1.0))
    with host_reads_forbidden():
        Q, R = L.qr(a)
        U, S, Vh = L.svd(a, full_matrices=False)
        values, V = L.eigh(a @ backend.xp.swapaxes(a, -1, -2))
        rank = L.matrix_rank(a)
        solution = L.lstsq(a, a[..., :1]).solution
        pinv = L.pinv(a)
    assert_close(backend.to_host((Q @ R).array), backend.to_host(a), np.float64)
    assert_close(backend.to_host((U * S[..., None, :] @ Vh).array), backend.to_host(a), np.float64)
    assert type(rank.array) is backend.ndarray and rank.dtype == np.int64
    assert np.array_equal(backend.to_host(rank.array), [2, 2, 2])
    assert_close(backend.to_host(solution.array), np.tile([[1.0], [0.0]], (3, 1, 1)), np.float64)
    assert pinv.shape == (3, 2, 4) and values.shape == (3, 4) and V.shape == (3, 4, 4)


def test_non_contiguous(backend):
    a = np.swapaxes(_matrix((2, 3, 4), diagonal=1.0), -1, -2)  # (2, 4, 3), a transposed view
    _check(
        backend,
        lambda A: _svd_loss(L.svd(A.mT.mT, False)),
        lambda A: _svd_loss(torch.linalg.svd(A.mT.mT, False)),
        [a],
    )
    _check(backend, L.pinv, torch.linalg.pinv, [a])
    device = backend.asarray(np.ascontiguousarray(np.swapaxes(a, -1, -2)))
    Q, R = L.qr(backend.xp.swapaxes(device, -1, -2))
    assert_close(backend.to_host((Q @ R).array), a, np.float64)


def test_repeated_singular_values_and_eigenvalues(backend):
    """Through the vectors, PyTorch's gradient is not finite at repeated values; through
    the values alone it is."""
    eye = np.eye(3)
    for fn, tfn in [(L.svd, torch.linalg.svd), (L.eigh, torch.linalg.eigh)]:
        A = xpnet.Tensor(backend.asarray(eye), requires_grad=True)
        tA = torch.tensor(eye, requires_grad=True)
        fn(A)[-1][0].sum().backward()
        tfn(tA)[-1][0].sum().backward()
        assert not np.isfinite(backend.to_host(A.grad.array)).all()
        assert not np.isfinite(tA.grad.numpy()).all()
    _check(backend, L.svdvals, torch.linalg.svdvals, [eye])
    _check(backend, L.eigvalsh, torch.linalg.eigvalsh, [eye])


def test_rank_deficient(backend):
    a = _matrix((2, 4, 1)) @ _matrix((2, 1, 3), seed=1)  # rank 1
    b = random_input((2, 4, 2), seed=2)
    _check(backend, L.pinv, torch.linalg.pinv, [a])
    # the largest value only: the zero ones' gradients depend on which basis of the null
    # spaces LAPACK returns, which changes with BLAS's kernels (AVX2 or AVX-512)
    _check(
        backend, lambda A: L.svdvals(A)[..., :1], lambda A: torch.linalg.svdvals(A)[..., :1], [a]
    )
    np.testing.assert_allclose(
        backend.to_host(L.svdvals(backend.asarray(a)).array)[..., 1:], 0.0, atol=1e-14
    )
    _check(
        backend,
        lambda A, B: L.lstsq(A, B).solution,
        lambda A, B: torch.linalg.lstsq(A, B).solution,
        [a, b],
    )
    assert np.array_equal(
        backend.to_host(L.lstsq(backend.asarray(a), backend.asarray(b)).rank.array), [1, 1]
    )
    assert np.array_equal(backend.to_host(L.matrix_rank(backend.asarray(a)).array), [1, 1])
    zero = backend.asarray(np.zeros((3, 2)))
    assert backend.to_host(L.matrix_rank(zero).array) == 0
    assert_close(backend.to_host(L.pinv(zero).array), np.zeros((2, 3)), np.float64)


def test_nan_input(backend):
    nan = np.array([[math.nan, 1.0], [0.0, 1.0]])
    with pytest.raises(
        L.LinAlgError, match="failed to converge because the input matrix contained non-finite"
    ):
        L.svd(backend.asarray(nan))
    values, _ = L.eigh(backend.asarray(nan))  # NaN values, as PyTorch's
    assert np.isnan(backend.to_host(values.array)).any()
    assert np.isnan(backend.to_host(L.qr(backend.asarray(nan)).R.array)).any()


@pytest.mark.parametrize("shape", [(4, 3), (3, 4), (3, 3), (2, 5, 3), (0, 2, 3)])
def test_pinv(backend, shape):
    a = _matrix(shape, diagonal=1.0)
    _check(backend, L.pinv, torch.linalg.pinv, [a])
    _check(backend, lambda A: L.pinv(A, atol=0.8), lambda A: torch.linalg.pinv(A, atol=0.8), [a])
    _check(backend, lambda A: L.pinv(A, rtol=0.5), lambda A: torch.linalg.pinv(A, rtol=0.5), [a])
    s = _symmetric(shape[:-1] + shape[-2:-1])
    _check(
        backend,
        lambda A: L.pinv(A, hermitian=True),
        lambda A: torch.linalg.pinv(A, hermitian=True),
        [s],
    )


def test_matrix_rank_takes_pytorchs_tol_overload(backend):
    """``tol`` is ``atol`` with ``rtol=0`` (a 1e-17 singular value counts with tol=0, not
    with atol=0 and the default rtol), by keyword or position, ``hermitian`` after it."""
    s = _symmetric((2, 3, 3)) @ np.diag([1.0, 1.0, 1e-17])
    for args, kwargs in [((), {"tol": 0.0}), ((0.5,), {}), ((0.0, True), {})]:
        expected = torch.linalg.matrix_rank(torch.tensor(s), *args, **kwargs)
        got = L.matrix_rank(backend.asarray(s), *args, **kwargs)
        assert np.array_equal(backend.to_host(got.array), expected.numpy()), (args, kwargs)
    with pytest.raises(TypeError, match="tol or atol and rtol"):
        L.matrix_rank(backend.asarray(s), tol=0.5, atol=0.1)


def test_tolerances_as_arrays(backend):
    a = _matrix((2, 3, 3), diagonal=np.array([0.0, 1.0, 3.0]))
    atol = np.array([0.5, 2.0])
    expected = torch.linalg.matrix_rank(torch.tensor(a), atol=torch.tensor(atol))
    got = L.matrix_rank(backend.asarray(a), atol=backend.asarray(atol))
    assert np.array_equal(backend.to_host(got.array), expected.numpy())
    for kwargs in [{}, {"rtol": 0.3}, {"atol": 1.0, "rtol": 0.1}, {"hermitian": True}]:
        s = _symmetric((2, 3, 3))
        expected = torch.linalg.matrix_rank(torch.tensor(s), **kwargs)
        assert np.array_equal(
            backend.to_host(L.matrix_rank(backend.asarray(s), **kwargs).array), expected.numpy()
        )
    assert backend.to_host(L.matrix_rank(backend.asarray(np.zeros((2, 0, 3)))).array).tolist() == [
        0,
        0,
    ]


@pytest.mark.parametrize(
    "shape",
    [
        ((5, 3), (5, 2)),
        ((3, 5), (3, 2)),
        ((2, 4, 3), (2, 4)),
        ((1, 4, 3), (2, 4, 2)),
        ((2, 4, 3), (1, 4, 1)),
    ],
)
def test_lstsq(backend, shape):
    a, b = _matrix(shape[0], diagonal=1.0), random_input(shape[1], seed=3)
    _check(
        backend,
        lambda A, B: L.lstsq(A, B).solution,
        lambda A, B: torch.linalg.lstsq(A, B).solution,
        [a, b],
    )
    result = L.lstsq(backend.asarray(a), backend.asarray(b), driver="gelsy")
    expected = torch.linalg.lstsq(torch.tensor(a), torch.tensor(b), driver="gelsy")
    assert np.array_equal(backend.to_host(result.rank.array), expected.rank.numpy())
    assert result.residuals.shape == tuple(expected.residuals.shape) == (0,)
    assert result.singular_values.shape == tuple(expected.singular_values.shape)


def test_lstsq_rcond(backend):
    """Singular values under ``rcond * S_max`` are dropped as ``gelsd`` drops them (``gelsy``
    truncates a pivoted QR instead: the same rank here, another solution)."""
    a = _matrix((4, 3), diagonal=np.array([3.0, 1.0, 0.0]))
    b = random_input((4, 2), seed=1)
    for rcond in (0.05, 0.2, 0.5):
        gelsy = torch.linalg.lstsq(torch.tensor(a), torch.tensor(b), rcond=rcond)
        gelsd = torch.linalg.lstsq(torch.tensor(a), torch.tensor(b), rcond=rcond, driver="gelsd")
        got = L.lstsq(backend.asarray(a), backend.asarray(b), rcond=rcond)
        assert backend.to_host(got.rank.array) == gelsy.rank.item() == gelsd.rank.item()
        assert_close(backend.to_host(got.solution.array), gelsd.solution.numpy(), np.float64)


@pytest.mark.parametrize("n", [-3, -1, 0, 1, 2, 3, 6])
def test_matrix_power(backend, n):
    a = _matrix((2, 3, 3), diagonal=2.0)
    _check(backend, lambda A: L.matrix_power(A, n), lambda A: torch.linalg.matrix_power(A, n), [a])
    _check(
        backend,
        lambda A: L.matrix_power(A, n),
        lambda A: torch.linalg.matrix_power(A, n),
        [np.zeros((0, 2, 2))],
    )


def test_matrix_power_singular(backend):
    with pytest.raises(L.LinAlgError, match="singular"):
        L.matrix_power(backend.asarray(np.zeros((2, 2))), -1)


def test_qr_backward_errors(backend):
    a = backend.asarray(_matrix((4, 3)))
    A = xpnet.Tensor(a, requires_grad=True)
    with pytest.raises(RuntimeError, match="not computed when mode='r'"):
        L.qr(A, mode="r").R.sum().backward()
    with pytest.raises(
        RuntimeError, match="not differentiable when mode='complete' and nrows > ncols"
    ):
        L.qr(A, mode="complete").Q.sum().backward()
    Q, R = L.qr(a)
    gR = backend.xp.ones_like(R.array)
    direct = linalg_qr_backward(None, gR, Q.array, R.array)
    assert direct.shape == (4, 3)
    U, S, Vh = L.svd(a)
    zero = linalg_svd_backward(
        None, backend.xp.zeros_like(S.array), None, U.array, S.array, Vh.array
    )
    assert not backend.to_host(zero).any()


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda a: L.qr(a.astype(np.int64)), TypeError, "must be a float32 or float64"),
        (lambda a: L.svd(a[0, 0]), ArgumentError, "at least 2 dimensions"),
        (lambda a: L.qr(a, mode="full"), ArgumentError, "mode must be one of"),
        (lambda a: L.eigh(a), ArgumentError, "square"),
        (lambda a: L.eigh(a[..., :3], UPLO="X"), ArgumentError, "UPLO must be 'L' or 'U'"),
        (lambda a: L.eigvalsh(a.astype(bool)), TypeError, "float32 or float64"),
        (lambda a: L.svdvals(a.astype(np.float16)), TypeError, "float32 or float64"),
        (lambda a: L.pinv(a, hermitian=True), ArgumentError, "square"),
        (lambda a: L.pinv(a, atol="big"), TypeError, "atol must be None, a number or an array"),
        (lambda a: L.matrix_rank(a, rtol=True), TypeError, "rtol must be None"),
        (lambda a: L.matrix_rank(a.astype(np.int32)), TypeError, "float32 or float64"),
        (lambda a: L.lstsq(a, a[..., :2].astype(np.float32)), TypeError, "B must have A's dtype"),
        (lambda a: L.lstsq(a, a[..., :2, :]), ArgumentError, r"A.shape\[-2\] must match"),
        (lambda a: L.lstsq(a, a, driver="gelsx"), ArgumentError, "driver must be one of"),
        (lambda a: L.lstsq(a, a, rcond="x"), TypeError, "rcond must be None or a number"),
        (lambda a: L.lstsq(a[0], a[:, :, :1]), ArgumentError, "B must have A's number of dims"),
        (lambda a: L.matrix_power(a, 2), ArgumentError, "square"),
        (lambda a: L.matrix_power(a[..., :3], 1.5), TypeError, "n must be an int"),
    ],
)
def test_errors(backend, call, error, match):
    with pytest.raises(error, match=match):
        call(backend.asarray(_matrix((2, 3, 4))))


@PROFILE
@given(
    batch=st.integers(0, 2),
    m=st.integers(1, 5),
    n=st.integers(1, 5),
    seed=st.integers(0, 2**16),
)
def test_properties(backend, batch, m, n, seed):
    a = random_input((batch, m, n), seed=seed)
    device = backend.asarray(a)
    Q, R = L.qr(device)
    k = min(m, n)
    host = backend.to_host
    assert_close(host((Q @ R).array), a, np.float64)
    assert_close(host((Q.mT @ Q).array), np.broadcast_to(np.eye(k), (batch, k, k)), np.float64)
    assert not np.tril(host(R.array), -1).any()
    U, S, Vh = L.svd(device, full_matrices=False)
    assert_close(host((U * S[..., None, :] @ Vh).array), a, np.float64)
    assert (np.diff(host(S.array), axis=-1) <= 1e-12).all() and (host(S.array) >= 0).all()
    P = L.pinv(device).array
    xp = backend.xp
    assert_close(host(device @ P @ device), a, np.float64)
    assert_close(host(P @ device @ P), host(P), np.float64)
    AP, PA = device @ P, P @ device
    assert_close(host(AP), host(xp.swapaxes(AP, -1, -2)), np.float64)
    assert_close(host(PA), host(xp.swapaxes(PA, -1, -2)), np.float64)
