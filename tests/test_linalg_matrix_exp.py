"""xpnet.linalg's matrix_exp and householder_product against PyTorch float64: values and
gradients (batched, every scaling range, float32), edge cases (n = 0, empty batches, 1x1,
zero and non-contiguous matrices, k = 0), argument errors, the Tensor functions, and
hypothesis properties."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from _oracle import assert_close, check_against_torch, random_input
from _strategies import PROFILE
from hypothesis import given
from hypothesis import strategies as st

import xpnet
from xpnet.kernels import ArgumentError
from xpnet.linalg import matrix_functions as M


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("scale", [0.01, 1.0, 8.0, 60.0])
@pytest.mark.parametrize("shape", [(3, 3), (2, 3, 5, 5)])
def test_matrix_exp_matches_torch(backend, dtype, scale, shape):
    """Norms that need no squaring, a few, and many (each batch element its own). exp's
    condition number grows with the norm: at 60 (values near 1e26) float32 rounding in the
    squarings costs up to 1e-3 relative (PyTorch's own float32 result is 1e-4 off at 8)."""
    A = random_input(shape, seed=1) * scale
    if len(shape) > 2:
        A[0, 0] /= scale  # another number of squarings in the same batch
    check_against_torch(
        M.linalg_matrix_exp,
        M.linalg_matrix_exp_backward,
        torch.linalg.matrix_exp,
        [A],
        backend,
        dtype=dtype,
        rtol={np.float64: 1e-9, np.float32: 2e-3}[dtype] if scale > 10 else None,
    )


@pytest.mark.parametrize("shape", [(0, 3, 3), (2, 0, 0), (1, 1), (4, 1, 1)])
def test_matrix_exp_edge_shapes(backend, shape):
    check_against_torch(
        M.linalg_matrix_exp,
        M.linalg_matrix_exp_backward,
        torch.linalg.matrix_exp,
        [random_input(shape, seed=2)],
        backend,
    )


def test_matrix_exp_of_zero_and_non_contiguous(backend):
    xp = backend.xp
    eye = backend.to_host(M.linalg_matrix_exp(xp.zeros((2, 3, 3))))
    np.testing.assert_array_equal(eye, np.broadcast_to(np.eye(3), (2, 3, 3)))
    A = random_input((4, 4), seed=3)
    check_against_torch(
        lambda A: M.linalg_matrix_exp(A.T),
        lambda g, A: M.linalg_matrix_exp_backward(g, A.T).T,
        lambda A: torch.linalg.matrix_exp(A.T),
        [A],
        backend,
    )


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize(
    ("shape", "k"), [((5, 3), 2), ((2, 4, 4), 4), ((2, 6, 2), 2), ((3, 3), 0), ((0, 3, 2), 1)]
)
def test_householder_product_matches_torch(backend, dtype, shape, k):
    tau = random_input(shape[:-2] + (k,), seed=5) + 1.0
    check_against_torch(
        M.linalg_householder_product,
        M.linalg_householder_product_backward,
        torch.linalg.householder_product,
        [random_input(shape, seed=4), tau],
        backend,
        dtype=dtype,
    )


def test_tensor_functions_autograd(backend):
    A_host, tau_host = random_input((2, 4, 3), seed=6), random_input((2, 3), seed=7)
    A = xpnet.Tensor(backend.asarray(A_host), requires_grad=True)
    tau = xpnet.Tensor(backend.asarray(tau_host), requires_grad=True)
    tA, ttau = torch.tensor(A_host, requires_grad=True), torch.tensor(tau_host, requires_grad=True)
    square = A[..., :3, :]
    ours = xpnet.linalg.householder_product(A, tau).sum() + xpnet.linalg.matrix_exp(square).sum()
    theirs = (
        torch.linalg.householder_product(tA, ttau).sum()
        + torch.linalg.matrix_exp(tA[..., :3, :]).sum()
    )
    ours.backward()
    theirs.backward()
    assert_close(backend.to_host(ours.array), theirs.detach().numpy(), np.float64)
    assert_close(backend.to_host(A.grad.array), tA.grad.numpy(), np.float64)
    assert_close(backend.to_host(tau.grad.array), ttau.grad.numpy(), np.float64)
    assert isinstance(xpnet.linalg.matrix_exp(backend.asarray(A_host[:, :3])), xpnet.Tensor)


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (
            lambda xp: M.linalg_matrix_exp(xp.ones((2, 2), dtype=xp.int64)),
            TypeError,
            r"^linalg.matrix_exp: A must be a float32 or float64 array",
        ),
        (
            lambda xp: M.linalg_matrix_exp(xp.ones((2, 3))),
            ArgumentError,
            r"^linalg.matrix_exp: A must be batches of square matrices",
        ),
        (lambda xp: M.linalg_matrix_exp(xp.ones(3)), ArgumentError, r"at least 2 dimensions"),
        (
            lambda xp: M.linalg_householder_product(xp.ones((2, 3)), xp.ones(2)),
            ArgumentError,
            r"^linalg.householder_product: A.shape\[-2\] must be greater than or equal",
        ),
        (
            lambda xp: M.linalg_householder_product(xp.ones((3, 2)), xp.ones(3)),
            ArgumentError,
            r"k <= A.shape\[-1\] = 2, got \(3,\)",
        ),
        (
            lambda xp: M.linalg_householder_product(xp.ones((2, 3, 2)), xp.ones((3, 2))),
            ArgumentError,
            r"A's batch \(2,\)",
        ),
        (
            lambda xp: M.linalg_householder_product(xp.ones((3, 2)), xp.ones(())),
            ArgumentError,
            r"tau must have shape",
        ),
        (
            lambda xp: M.linalg_householder_product(xp.ones((3, 2)), xp.ones(2, dtype=xp.float32)),
            TypeError,
            r"tau must have A's dtype",
        ),
        (
            lambda xp: M.linalg_matrix_exp_backward(xp.ones((3, 3)), xp.ones((2, 2))),
            ArgumentError,
            r"^linalg_matrix_exp_backward: grad_output must have the shape",
        ),
    ],
)
def test_argument_errors(xp, call, error, message):
    with pytest.raises(error, match=message):
        call(xp)


@PROFILE
@given(
    batch=st.sampled_from([(), (0,), (3,)]),
    n=st.integers(0, 5),
    scale=st.floats(0.0, 20.0),
    seed=st.integers(0, 2**16),
)
def test_matrix_exp_inverse_property(backend, batch, n, scale, seed):
    """exp(A) exp(-A) == I; exp of a skew-symmetric matrix is orthogonal."""
    A = random_input(batch + (n, n), seed) * scale
    forward = M.linalg_matrix_exp
    product = forward(backend.asarray(A)) @ forward(backend.asarray(-A))
    expected = np.broadcast_to(np.eye(n), batch + (n, n))
    bound = 1e-10 * np.exp(2 * np.abs(A).sum(axis=-2).max(initial=0.0))
    np.testing.assert_allclose(backend.to_host(product), expected, atol=bound)
    skew = A - np.swapaxes(A, -1, -2)
    Q = backend.to_host(forward(backend.asarray(skew)))
    np.testing.assert_allclose(Q @ np.swapaxes(Q, -1, -2), expected, atol=1e-9)
