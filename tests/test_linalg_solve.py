"""xpnet.linalg's solve, inv, det, slogdet and cholesky against PyTorch float64: values and
gradients (batched, broadcast, vectors, left=False, upper=True), edge cases (1x1, empty
batches, n = 0, non-contiguous, singular), LinAlgError (at once, and deferred on strict),
argument errors, the Tensor functions, and a hypothesis property of solve."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from _oracle import assert_close, check_against_torch, random_input
from _strategies import PROFILE
from hypothesis import given
from hypothesis import strategies as st

import xpnet
from xpnet.backends import host_reads_forbidden, raise_deferred
from xpnet.kernels import ArgumentError
from xpnet.linalg import LinAlgError
from xpnet.linalg import inverses as S

DTYPES = [np.float64, np.float32]


def _well_conditioned(shape, seed=0):
    """Random matrices plus ``n I``: far from singular, determinants of either sign."""
    return random_input(shape, seed) + shape[-1] * np.eye(shape[-1]) * (seed % 2 * 2 - 1)


def _spd(shape, seed=0):
    M = random_input(shape, seed)
    return M @ np.swapaxes(M, -1, -2) + np.eye(shape[-1])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    ("a_shape", "b_shape", "left"),
    [
        ((2, 4, 4), (2, 4, 3), True),
        ((2, 4, 4), (2, 3, 4), False),
        ((4, 4), (4,), True),  # a vector
        ((2, 4, 4), (2, 4), True),  # a batch of vectors
        ((4, 4), (3, 4, 2), True),  # A broadcast over B's batch
        ((2, 1, 3, 3), (5, 1, 3), False),
        ((1, 1), (1, 1), True),
    ],
)
def test_solve_matches_torch(backend, dtype, a_shape, b_shape, left):
    check_against_torch(
        lambda A, B: S.linalg_solve(A, B, left),
        lambda g, A, B: S.linalg_solve_backward(g, A, B, left),
        lambda A, B: torch.linalg.solve(A, B, left=left),
        [_well_conditioned(a_shape, 1), random_input(b_shape, 2)],
        backend,
        dtype=dtype,
    )


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(3, 3), (2, 3, 4, 4), (1, 1), (0, 3, 3), (2, 0, 0)])
@pytest.mark.parametrize("name", ["inv", "det", "slogdet", "cholesky", "cholesky_upper"])
def test_square_functions_match_torch(backend, dtype, shape, name):
    base = name.split("_")[0]
    forward, backward = getattr(S, f"linalg_{base}"), getattr(S, f"linalg_{base}_backward")
    reference = getattr(torch.linalg, base)
    A = _spd(shape, 3) if base == "cholesky" else _well_conditioned(shape, 3)
    if name == "slogdet":
        forward, reference = (
            (lambda A: S.linalg_slogdet(A)[1]),
            (lambda A: torch.linalg.slogdet(A)[1]),
        )
    if name == "cholesky_upper":
        forward = lambda A: S.linalg_cholesky(A, True)  # noqa: E731
        backward = lambda g, A: S.linalg_cholesky_backward(g, A, True)  # noqa: E731
        reference = lambda A: torch.linalg.cholesky(A, upper=True)  # noqa: E731
    check_against_torch(forward, backward, reference, [A], backend, dtype=dtype)


@pytest.mark.parametrize("upper", [False, True])
def test_cholesky_reads_one_triangle(backend, upper):
    """Lower: A's lower triangle only; upper: the upper one, as PyTorch (LAPACK's uplo)."""
    A = _spd((2, 4, 4), 5)
    A += np.tril(random_input(A.shape, 6), -1) if upper else np.triu(random_input(A.shape, 6), 1)
    check_against_torch(
        lambda A: S.linalg_cholesky(A, upper),
        lambda g, A: S.linalg_cholesky_backward(g, A, upper),
        lambda A: torch.linalg.cholesky(A, upper=upper),
        [A],
        backend,
    )


def test_slogdet_signs_and_non_contiguous(backend):
    A = np.stack([_well_conditioned((3, 3), 0), _well_conditioned((3, 3), 1)])
    sign, logabsdet = S.linalg_slogdet(backend.asarray(A))
    expected = torch.linalg.slogdet(torch.tensor(A))
    np.testing.assert_array_equal(backend.to_host(sign), expected.sign.numpy())
    assert set(backend.to_host(sign)) == {-1.0, 1.0}
    transposed = np.swapaxes(A, -1, -2)  # a non-contiguous view on both sides
    check_against_torch(
        lambda A: S.linalg_det(backend.xp.swapaxes(A, -1, -2)),
        lambda g, A: backend.xp.swapaxes(
            S.linalg_det_backward(g, backend.xp.swapaxes(A, -1, -2)), -1, -2
        ),
        lambda A: torch.linalg.det(A.mT),
        [A],
        backend,
    )
    assert not transposed.flags.c_contiguous


@pytest.mark.parametrize(
    "A", [[[1.0, 2.0], [2.0, 4.0]], [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]], [[0.0]]]
)
def test_det_and_slogdet_of_singular_matrices(backend, A):
    """det 0, sign 0, logabsdet -inf as PyTorch; det's gradient is the cofactor matrix, as
    PyTorch's create_graph backward (its first-order one gives 0 there); slogdet's is not
    finite, as PyTorch's."""
    A = np.array(A)
    x, t = backend.asarray(A), torch.tensor(A, requires_grad=True)
    assert backend.to_host(S.linalg_det(x)) == 0
    sign, logabsdet = S.linalg_slogdet(x)
    assert backend.to_host(sign) == 0 and backend.to_host(logabsdet) == -np.inf
    (cofactors,) = torch.autograd.grad(torch.linalg.det(t), t, create_graph=True)
    grad = S.linalg_det_backward(backend.asarray(np.array(1.0)), x)
    assert_close(backend.to_host(grad), cofactors.detach().numpy(), np.float64)
    grad = backend.to_host(S.linalg_slogdet_backward(backend.asarray(np.array(1.0)), x))
    assert not np.isfinite(grad).all()


def test_tensor_functions_autograd(backend):
    """The public functions on Tensors (and arrays): values, named tuple, gradients."""
    A_host, B_host = _well_conditioned((2, 3, 3), 1), random_input((2, 3), 4)
    A = xpnet.Tensor(backend.asarray(A_host), requires_grad=True)
    B = xpnet.Tensor(backend.asarray(B_host), requires_grad=True)
    tA = torch.tensor(A_host, requires_grad=True)
    tB = torch.tensor(B_host, requires_grad=True)
    ours = (
        xpnet.linalg.solve(A, B).sum()
        + xpnet.linalg.inv(A).sum()
        + xpnet.linalg.det(A).sum()
        + xpnet.linalg.slogdet(A).logabsdet.sum()
        + xpnet.linalg.cholesky(A @ A.mT).sum()
    )
    theirs = (
        torch.linalg.solve(tA, tB).sum()
        + torch.linalg.inv(tA).sum()
        + torch.linalg.det(tA).sum()
        + torch.linalg.slogdet(tA).logabsdet.sum()
        + torch.linalg.cholesky(tA @ tA.mT).sum()
    )
    ours.backward()
    theirs.backward()
    assert_close(backend.to_host(ours.array), theirs.detach().numpy(), np.float64)
    assert_close(backend.to_host(A.grad.array), tA.grad.numpy(), np.float64)
    assert_close(backend.to_host(B.grad.array), tB.grad.numpy(), np.float64)
    sign, logabsdet = xpnet.linalg.slogdet(backend.asarray(A_host))  # an array works too
    assert isinstance(sign, xpnet.Tensor) and sign.requires_grad is False
    assert isinstance(xpnet.linalg.det(backend.asarray(A_host)), xpnet.Tensor)
    assert issubclass(LinAlgError, ValueError) and issubclass(LinAlgError, RuntimeError)
    # the torch.<name> forms
    inverse = xpnet.inverse(backend.asarray(A_host)).array
    assert_close(backend.to_host(inverse), torch.inverse(tA).detach().numpy(), np.float64)
    assert xpnet.det is xpnet.linalg.det and xpnet.matrix_exp is xpnet.linalg.matrix_exp


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda A: S.linalg_solve(A, A[..., 0]),
            r"^linalg.solve: \(Batch element 1\): The solver failed because the input matrix "
            r"is singular\.$",
        ),
        (
            lambda A: S.linalg_inv(A[1]),
            r"^linalg.inv: The diagonal element 2 is zero, the inversion could not be completed",
        ),
        (
            lambda A: S.linalg_inv(A),
            r"^linalg.inv: \(Batch element 1\): The diagonal element 2 is zero",
        ),
        (
            lambda A: S.linalg_cholesky(A),
            r"^linalg.cholesky: \(Batch element 1\): The factorization could not be completed "
            r"because the input is not positive-definite \(the leading minor of order 2 is not "
            r"positive-definite\)\.$",
        ),
        (lambda A: S.linalg_cholesky(A, True), r"leading minor of order 2"),
    ],
)
def test_singular_and_not_positive_definite_raise(backend, call, message):
    A = backend.asarray(np.array([np.eye(3), [[1.0, 0.0, 0.0], [0.0, 0.0, 0.0], [0.0, 0.0, 1.0]]]))
    with pytest.raises(LinAlgError, match=message):
        call(A)


def test_linalg_error_deferred_where_host_reads_cost(backend):
    """A result that overflows although A is finite: at once on NumPy, at the next host read
    on strict (CuPy's singular matrices give such results instead of raising)."""
    A = backend.asarray(np.array([[1e-300, 0.0], [0.0, 1.0]]))
    B = backend.asarray(np.array([1e300, 1.0]))
    pattern = r"^linalg.solve: The solver failed because the input matrix is singular"
    if getattr(backend, "host_reads_free", False):
        with pytest.raises(LinAlgError, match=pattern):
            S.linalg_solve(A, B)
        return
    with host_reads_forbidden():
        S.linalg_solve(A, B)
    with pytest.raises(LinAlgError, match=pattern):
        raise_deferred()


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (
            lambda xp: S.linalg_det(xp.ones((2, 2), dtype=xp.int64)),
            TypeError,
            r"^linalg.det: A must be a float32 or float64 array .* got dtype int64",
        ),
        (
            lambda xp: S.linalg_inv(xp.ones((2, 2), dtype=bool)),
            TypeError,
            r"^linalg.inv: A must be a float32 or float64",
        ),
        (
            lambda xp: S.linalg_slogdet(xp.ones((2, 2), dtype=xp.complex128)),
            TypeError,
            r"complex128",
        ),
        (lambda xp: S.linalg_cholesky(xp.ones((2, 2), dtype=xp.float16)), TypeError, r"float16"),
        (
            lambda xp: S.linalg_det(xp.ones(2)),
            ArgumentError,
            r"^linalg.det: A must have at least 2 dimensions",
        ),
        (
            lambda xp: S.linalg_det(xp.ones((2, 3))),
            ArgumentError,
            r"^linalg.det: A must be batches of square matrices, but they are 2 by 3",
        ),
        (
            lambda xp: S.linalg_solve(xp.eye(2), xp.ones(3)),
            ArgumentError,
            r"^linalg.solve: Incompatible shapes",
        ),
        (
            lambda xp: S.linalg_solve(xp.eye(2), xp.ones((2, 3)), False),
            ArgumentError,
            r"Incompatible",
        ),
        (
            lambda xp: S.linalg_solve(xp.eye(2), xp.ones(2, dtype=xp.float32)),
            TypeError,
            r"same dtype",
        ),
        (lambda xp: S.linalg_solve(xp.eye(2), [1.0, 2.0]), TypeError, r"^linalg.solve: "),
        (
            lambda xp: S.linalg_det_backward(xp.ones(2), xp.eye(2)),
            ArgumentError,
            r"^linalg_det_backward: grad_output must have the shape",
        ),
        (
            lambda xp: S.linalg_inv_backward(xp.ones((2, 2), dtype=xp.float32), xp.eye(2)),
            TypeError,
            r"^linalg_inv_backward: grad_output must have the dtype",
        ),
    ],
)
def test_argument_errors(xp, call, error, message):
    with pytest.raises(error, match=message):
        call(xp)


@PROFILE
@given(
    batch=st.sampled_from([(), (0,), (2,), (2, 3)]),
    n=st.integers(1, 5),
    k=st.integers(1, 3),
    seed=st.integers(0, 2**16),
)
def test_solve_inverts_products_property(backend, batch, n, k, seed):
    """solve(A, A @ X) == X and det(A) det(inv(A)) == 1 for well-conditioned A."""
    A = _well_conditioned(batch + (n, n), seed)
    X = random_input(batch + (n, k), seed + 1)
    solved = S.linalg_solve(backend.asarray(A), backend.asarray(A @ X))
    np.testing.assert_allclose(backend.to_host(solved), X, atol=1e-10)
    A = backend.asarray(A)
    product = S.linalg_det(A) * S.linalg_det(S.linalg_inv(A))
    np.testing.assert_allclose(backend.to_host(product), np.ones(batch), rtol=1e-10)


@pytest.mark.parametrize(
    "b_shape, l_shape",
    [((3, 3), (3, 3, 3)), ((2, 4, 2), (4, 4)), ((4, 2), (2, 1, 4, 4)), ((1, 4, 3), (5, 4, 4))],
)
@pytest.mark.parametrize("upper", [False, True])
def test_cholesky_solve_broadcasts_batches_as_torch(backend, b_shape, l_shape, upper):
    # a (3, 3) right-hand side beside (3, 3, 3) factors is a matrix, not a batch of vectors
    rng = np.random.default_rng(7)
    a = rng.standard_normal(l_shape)
    factor = np.linalg.cholesky(a @ np.swapaxes(a, -1, -2) + 4 * np.eye(l_shape[-1]))
    factor = np.swapaxes(factor, -1, -2) if upper else factor
    rhs = rng.standard_normal(b_shape)
    results = []
    for module, make in (
        (torch, lambda v: torch.tensor(v, requires_grad=True)),
        (xpnet, lambda v: xpnet.Tensor(backend.asarray(v), requires_grad=True)),
    ):
        b, f = make(rhs), make(factor)
        module.cholesky_solve(b, f, upper=upper).square().sum().backward()
        out = module.cholesky_solve(b, f, upper=upper).detach()
        grads = [xpnet.to_numpy(t.grad) if module is xpnet else t.grad.numpy() for t in (b, f)]
        results.append([out.numpy(), *grads])
    for ours, theirs in zip(results[1], results[0], strict=True):
        assert ours.shape == theirs.shape
        assert_close(ours, theirs, np.float64, "cholesky_solve")


def test_cholesky_solve_refuses_a_vector_as_torch(backend):
    with pytest.raises(RuntimeError, match="b should have at least 2 dimensions, but has 1"):
        xpnet.cholesky_solve(xpnet.ones(3), xpnet.eye(3))
