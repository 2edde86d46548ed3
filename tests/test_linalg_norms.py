"""xpnet.linalg's vector_norm, matrix_norm, norm and cond against PyTorch float64: values and
gradients for every order, dims and keepdim, batches, float32, zero matrices (PyTorch's
gradients there), ties, empty inputs, NaN, non-contiguous inputs; every error; a hypothesis
property (the norms' inequalities, and agreement with PyTorch)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from _oracle import assert_close, check_against_torch, check_tensor_method, random_input
from _strategies import PROFILE
from hypothesis import given
from hypothesis import strategies as st

import xpnet
import xpnet.linalg as L
from xpnet.backends import host_reads_forbidden
from xpnet.kernels import ArgumentError

MATRIX_ORDERS = ["fro", "nuc", math.inf, -math.inf, 1, -1, 2, -2]


def _check(backend, fn, torch_fn, inputs, dtype=np.float64):
    """``fn`` (xpnet Tensors) against ``torch_fn``: output and every input's gradient."""
    return check_tensor_method(fn, inputs, backend, dtype=dtype, torch_method=torch_fn)


@pytest.mark.parametrize("ord", MATRIX_ORDERS)
@pytest.mark.parametrize(("dim", "keepdim"), [((-2, -1), False), ((-1, -2), True), ((0, 2), False)])
def test_matrix_norm(backend, ord, dim, keepdim):
    a = random_input((2, 4, 3), seed=1)
    _check(
        backend,
        lambda A: L.matrix_norm(A, ord, dim, keepdim),
        lambda A: torch.linalg.matrix_norm(A, ord, dim, keepdim),
        [a],
    )


@pytest.mark.parametrize("ord", MATRIX_ORDERS)
def test_matrix_norm_shapes_and_float32(backend, ord):
    for shape in [(3, 5), (1, 1), (2, 1, 3, 3)]:
        a = random_input(shape, seed=2)
        _check(
            backend,
            lambda A: L.matrix_norm(A, ord),
            lambda A: torch.linalg.matrix_norm(A, ord),
            [a],
        )
    a = random_input((2, 3, 4), seed=3)
    _check(
        backend,
        lambda A: L.matrix_norm(A, ord),
        lambda A: torch.linalg.matrix_norm(A, ord),
        [a],
        np.float32,
    )
    # a transposed (non-contiguous) view
    _check(
        backend,
        lambda A: L.matrix_norm(A.mT, ord),
        lambda A: torch.linalg.matrix_norm(A.mT, ord),
        [a],
    )


@pytest.mark.parametrize("ord", MATRIX_ORDERS)
def test_zero_matrix_and_ties(backend, ord):
    """PyTorch's gradients at the kinks: 0 for 'fro' at 0, the SVD's vectors (identity) for
    'nuc' and 2, ties sharing the gradient for 1 and inf."""
    _check(
        backend,
        lambda A: L.matrix_norm(A, ord),
        lambda A: torch.linalg.matrix_norm(A, ord),
        [np.zeros((3, 3))],
    )
    ties = np.array([[1.0, -2.0], [-2.0, 1.0]])
    if ord not in (2, -2):  # repeated singular values: a gauge-dependent gradient
        _check(
            backend,
            lambda A: L.matrix_norm(A, ord),
            lambda A: torch.linalg.matrix_norm(A, ord),
            [ties],
        )


@pytest.mark.parametrize("ord", ["fro", "nuc", 1, 2])
def test_empty(backend, ord):
    for shape in [(0, 3), (2, 0, 3), (0, 3, 3)]:
        a = backend.asarray(np.zeros(shape))
        expected = torch.linalg.matrix_norm(torch.zeros(shape, dtype=torch.float64), ord)
        assert_close(backend.to_host(L.matrix_norm(a, ord).array), expected.numpy(), np.float64)


def test_nan(backend):
    a = np.array([[math.nan, 1.0], [2.0, 3.0]])
    for ord in ["fro", 1, math.inf]:
        got = L.matrix_norm(backend.asarray(a), ord)
        assert np.isnan(backend.to_host(got.array))
    with pytest.raises(L.LinAlgError, match="non-finite"):
        L.matrix_norm(backend.asarray(a), "nuc")


@pytest.mark.parametrize("ord", [2, 1, 0.5, 3, 0, math.inf, -math.inf, -1])
@pytest.mark.parametrize("dim", [None, 0, (0, -1), [-1]])
def test_vector_norm(backend, ord, dim):
    a = random_input((2, 3, 4), seed=4)
    a[0, 0, :2] = 0.0
    fn = lambda A: L.vector_norm(A, ord, dim)  # noqa: E731
    torch_fn = lambda A: torch.linalg.vector_norm(A, ord, dim)  # noqa: E731
    if ord == 0:  # PyTorch has no gradient there; xpnet's is 0
        check_against_torch(lambda A: fn(A).array, None, torch_fn, [a], backend)
        return
    _check(backend, fn, torch_fn, [a])
    _check(
        backend,
        lambda A: L.vector_norm(A, ord, dim, True),
        lambda A: torch.linalg.vector_norm(A, ord, dim, True),
        [a],
        np.float32,
    )


def test_vector_norm_zero_and_dtype(backend):
    _check(
        backend,
        lambda A: L.vector_norm(A, 2),
        lambda A: torch.linalg.vector_norm(A, 2),
        [np.zeros(4)],
    )
    x = backend.asarray(np.arange(4.0, dtype=np.float32))
    assert L.vector_norm(x, dtype=xpnet.float64).dtype == np.float64
    assert L.norm(x, dtype=xpnet.float64).dtype == np.float64


@pytest.mark.parametrize(
    ("ord", "dim", "shape"),
    [
        (None, None, (2, 3, 4)),
        (None, 1, (2, 3, 4)),
        (3, None, (5,)),
        (2, None, (3, 4)),
        ("nuc", None, (3, 4)),
        (math.inf, (0, 2), (2, 3, 4)),
        (None, (1, 2), (2, 3, 4)),
        ("fro", (2, 0), (2, 3, 4)),
        (-1, (1,), (2, 3, 4)),
    ],
)
def test_norm(backend, ord, dim, shape):
    a = random_input(shape, seed=5)
    _check(backend, lambda A: L.norm(A, ord, dim), lambda A: torch.linalg.norm(A, ord, dim), [a])
    _check(
        backend,
        lambda A: L.norm(A, ord, dim, keepdim=True),
        lambda A: torch.linalg.norm(A, ord, dim, keepdim=True),
        [a],
    )


@pytest.mark.parametrize("p", [None, 2, -2, "fro", "nuc", 1, -1, math.inf, -math.inf])
def test_cond(backend, p):
    a = random_input((2, 3, 3), seed=6) + 2 * np.eye(3)
    expected = torch.linalg.cond(torch.tensor(a), p).numpy()
    assert_close(backend.to_host(L.cond(backend.asarray(a), p).array), expected, np.float64)
    if p in (None, 2, -2):  # PyTorch's other orders fail in its backward (an in-place inv)
        _check(backend, lambda A: L.cond(A, p), lambda A: torch.linalg.cond(A, p), [a])
        wide = random_input((2, 3, 4), seed=7)
        _check(backend, lambda A: L.cond(A, p), lambda A: torch.linalg.cond(A, p), [wide])


def test_no_host_sync(backend):
    a = backend.asarray(random_input((2, 3, 3), seed=8))
    with host_reads_forbidden():
        for ord in MATRIX_ORDERS:
            L.matrix_norm(a, ord)
        L.norm(a)
        L.vector_norm(a, 3, (0, 1))
        L.cond(a)


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda a: L.vector_norm(a.astype(np.int64)), TypeError, "must be a floating-point"),
        (lambda a: L.vector_norm(a, "fro"), TypeError, "ord must be a number"),
        (lambda a: L.vector_norm(a[:0], math.inf), ArgumentError, "does not have an identity"),
        (lambda a: L.vector_norm(a, 2, (0, 0)), ArgumentError, "at most once"),
        (lambda a: L.vector_norm(a, 2, 5), IndexError, "dim must be in"),
        (lambda a: L.matrix_norm(a, 3), ArgumentError, "ord must be one of"),
        (lambda a: L.matrix_norm(a, "abc"), ArgumentError, "ord must be one of"),
        (lambda a: L.matrix_norm(a, True), ArgumentError, "ord must be one of"),
        (lambda a: L.matrix_norm(a[0, 0]), ArgumentError, "at least 2 dimensions"),
        (lambda a: L.matrix_norm(a, dim=(0, 0)), ArgumentError, "at most once"),
        (lambda a: L.matrix_norm(a, dim=0), ArgumentError, "dim must be a 2-tuple"),
        (lambda a: L.matrix_norm(a.astype(bool)), TypeError, "floating-point"),
        (lambda a: L.matrix_norm(a[:, :0], -math.inf), IndexError, "no identity"),
        (lambda a: L.matrix_norm(a[:, :0], -2), IndexError, "no identity"),
        (lambda a: L.norm(a, 2), ArgumentError, "input must be 1D or 2D"),
        (lambda a: L.norm(a, dim=(0, 1, 2)), ArgumentError, "must be of length 1 or 2"),
        (lambda a: L.norm(a, "nuc", dim=1), ArgumentError, "needs 2 dims"),
        (lambda a: L.cond(a[..., :2], 1), ArgumentError, "square"),
        (lambda a: L.cond(a, 3), ArgumentError, "ord must be one of"),
        (lambda a: L.cond(a[0, 0]), ArgumentError, "at least 2 dimensions"),
    ],
)
def test_errors(backend, call, error, match):
    with pytest.raises(error, match=match):
        call(backend.asarray(random_input((2, 3, 3))))


@PROFILE
@given(
    m=st.integers(1, 4),
    n=st.integers(1, 4),
    ord=st.sampled_from(MATRIX_ORDERS),
    seed=st.integers(0, 2**16),
)
def test_property(backend, m, n, ord, seed):
    a = random_input((2, m, n), seed=seed)
    got = backend.to_host(L.matrix_norm(backend.asarray(a), ord).array)
    assert_close(got, torch.linalg.matrix_norm(torch.tensor(a), ord).numpy(), np.float64)
    two = backend.to_host(L.matrix_norm(backend.asarray(a), 2).array)
    fro = backend.to_host(L.matrix_norm(backend.asarray(a), "fro").array)
    nuc = backend.to_host(L.matrix_norm(backend.asarray(a), "nuc").array)
    assert (two <= fro * (1 + 1e-12)).all() and (fro <= nuc * (1 + 1e-12)).all()
