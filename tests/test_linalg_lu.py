"""xpnet.linalg's triangular solves and LU family against PyTorch float64: solve_triangular,
lu_factor(_ex), lu, lu_unpack, lu_solve (values, pivots, gradients; batched, broadcast,
rectangular, left/right, upper/lower, unitriangular, adjoint), the _ex forms' info and their
check_errors (at once, and deferred on strict), vecdot, matmul, diagonal, vander, tensorinv,
tensorsolve, the old-style torch.<name> forms, empty batches and argument errors."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from _oracle import assert_close, check_against_torch, check_finite_differences, random_input

import xpnet
from xpnet.backends import host_reads_forbidden, raise_deferred
from xpnet.kernels import ArgumentError
from xpnet.linalg import LinAlgError
from xpnet.linalg import lu_decomposition as LU
from xpnet.linalg import lu_solvers as LS
from xpnet.linalg import triangular as T

DTYPES = [np.float64, np.float32]


def _triangular(shape, seed=0):
    """Random matrices whose triangles are well conditioned: ``n`` added on the diagonal."""
    return random_input(shape, seed) + shape[-1] * np.eye(shape[-1])


def _raises_maybe_deferred(backend, error, match, call):
    """``call()`` raises ``error`` at once on numpy, at the next host read on strict."""
    with pytest.raises(error, match=match):
        call()
        raise_deferred()


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    ("a_shape", "b_shape", "left"),
    [
        ((4, 4), (4, 3), True),
        ((2, 4, 4), (2, 3, 4), False),
        ((2, 1, 3, 3), (5, 3, 2), True),  # batches broadcast both ways
        ((3, 3), (2, 2, 3), False),
        ((1, 1), (1, 1), True),
        ((0, 3, 3), (3, 2), True),  # an empty batch
        ((2, 0, 0), (2, 0, 2), True),
    ],
)
@pytest.mark.parametrize(("upper", "unitriangular"), [(True, False), (False, False), (True, True)])
def test_solve_triangular_matches_torch(
    backend, dtype, a_shape, b_shape, left, upper, unitriangular
):
    options = {"upper": upper, "left": left, "unitriangular": unitriangular}
    check_against_torch(
        lambda A, B: T.linalg_solve_triangular(A, B, upper, left, unitriangular),
        lambda g, A, B: T.linalg_solve_triangular_backward(g, A, B, upper, left, unitriangular),
        lambda A, B: torch.linalg.solve_triangular(A, B, **options),
        [_triangular(a_shape, 1), random_input(b_shape, 2)],
        backend,
        dtype=dtype,
    )


def test_solve_triangular_reads_one_triangle_and_gives_inf_for_zero_diagonal(backend):
    """The other triangle (and, unitriangular, the diagonal) is never read; a zero on the
    diagonal gives inf/NaN without an error, as PyTorch."""
    A = np.triu(_triangular((3, 3), 3)) + 100 * np.tril(np.ones((3, 3)), -1)
    A[1, 1] = np.nan
    X = T.linalg_solve_triangular(backend.asarray(A), backend.asarray(np.eye(3)), True, True, True)
    expected = torch.linalg.solve_triangular(
        torch.tensor(A), torch.eye(3, dtype=torch.float64), upper=True, unitriangular=True
    )
    assert_close(backend.to_host(X), expected.numpy(), np.float64)
    A = np.triu(np.ones((3, 3)))
    A[2, 2] = 0.0
    X = backend.to_host(T.linalg_solve_triangular(backend.asarray(A), backend.asarray(A), True))
    expected = torch.linalg.solve_triangular(torch.tensor(A), torch.tensor(A), upper=True)
    np.testing.assert_array_equal(np.isnan(X), expected.isnan().numpy())
    assert np.isinf(X).any() or np.isnan(X).any()


def test_solve_triangular_finite_differences(backend):
    check_finite_differences(
        lambda A, B: T.linalg_solve_triangular(A, B, False, False, False),
        lambda g, A, B: T.linalg_solve_triangular_backward(g, A, B, False, False, False),
        [_triangular((2, 3, 3), 4), random_input((2, 2, 3), 5)],
        backend,
    )


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "shape", [(4, 4), (2, 3, 5, 5), (3, 5, 3), (2, 3, 5), (1, 1), (0, 3, 3), (2, 0, 0), (3, 0)]
)
def test_lu_factor_and_lu_match_torch(backend, dtype, shape):
    """Pivots equal to PyTorch's (int32, 1-based); LU, P, L, U and the gradients of L and U
    (square, tall, wide) and of the packed LU."""
    A = random_input(shape, 6)
    LU_ours, pivots, info = LU.linalg_lu_factor_ex(backend.asarray(A.astype(dtype)))
    expected = torch.linalg.lu_factor_ex(torch.tensor(A.astype(dtype)))
    assert pivots.dtype == np.int32 and info.dtype == np.int32
    np.testing.assert_array_equal(backend.to_host(pivots), expected.pivots.numpy())
    np.testing.assert_array_equal(backend.to_host(info), expected.info.numpy())
    assert_close(backend.to_host(LU_ours), expected.LU.double().numpy(), dtype)
    P = backend.to_host(LU.linalg_lu(backend.asarray(A.astype(dtype)))[0])
    np.testing.assert_array_equal(P, torch.linalg.lu(torch.tensor(A)).P.numpy())
    for part in (1, 2):  # L, U: one factor node each
        check_against_torch(
            lambda A, part=part: LU.linalg_lu(A)[part],
            lambda g, A, part=part: LU.linalg_lu_backward(
                *((g, None) if part == 1 else (None, g)), *LU.linalg_lu(A)
            ),
            lambda A, part=part: torch.linalg.lu(A)[part],
            [A],
            backend,
            dtype=dtype,
        )


def test_lu_tensors_autograd_and_unpack(backend):
    """The public functions on Tensors: named tuples, L and U together, lu_factor's packed
    gradient, lu_unpack's, against torch autograd."""
    A_host = random_input((2, 4, 3), 7)
    A = xpnet.Tensor(backend.asarray(A_host), requires_grad=True)
    tA = torch.tensor(A_host, requires_grad=True)
    P, L, U = xpnet.linalg.lu(A)
    factors = xpnet.linalg.lu_factor(A)
    unpacked = xpnet.lu_unpack(*factors)
    assert P.requires_grad is False and factors.pivots.dtype == np.int32
    ours = (L * 2).sum() + U.sum() + factors.LU.sum() + (unpacked.L @ unpacked.U**2).sum()
    tP, tL, tU = torch.linalg.lu(tA)
    tfactors = torch.linalg.lu_factor(tA)
    tunpacked = torch.lu_unpack(*tfactors)
    theirs = (tL * 2).sum() + tU.sum() + tfactors.LU.sum()
    theirs = theirs + (tunpacked.L @ tunpacked.U**2).sum()
    ours.backward()
    theirs.backward()
    assert_close(backend.to_host(ours.array), theirs.detach().numpy(), np.float64)
    assert_close(backend.to_host(A.grad.array), tA.grad.numpy(), np.float64)
    for mine, reference in zip(unpacked, tunpacked, strict=True):
        assert_close(backend.to_host(mine.array), reference.detach().numpy(), np.float64)
    P, L, U = xpnet.lu_unpack(*factors, unpack_data=False)
    assert L.shape == U.shape == (0,) and P.shape == (2, 4, 4)
    assert xpnet.lu_unpack(*factors, unpack_pivots=False).P.shape == (0,)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    ("left", "adjoint"), [(True, False), (True, True), (False, False), (False, True)]
)
@pytest.mark.parametrize(
    ("a_batch", "b_shape"), [((2,), (3, 1, 4, 2)), ((), (4, 4)), ((0,), (4, 1))]
)
def test_lu_solve_matches_torch(backend, dtype, left, adjoint, a_batch, b_shape):
    A = random_input(a_batch + (4, 4), 8) + np.eye(4)
    LU_host, pivots, _ = LU.linalg_lu_factor_ex(A.astype(dtype))
    torch_pivots = torch.tensor(pivots)
    B = random_input(b_shape if left else b_shape[:-2] + b_shape[:-3:-1], 9)
    check_against_torch(
        lambda LU_, B: LS.linalg_lu_solve(LU_, backend.asarray(pivots), B, left, adjoint),
        lambda g, LU_, B: LS.linalg_lu_solve_backward(
            g, LU_, backend.asarray(pivots), B, left, adjoint
        ),
        lambda LU_, B: torch.linalg.lu_solve(LU_, torch_pivots, B, left=left, adjoint=adjoint),
        [LU_host, B],
        backend,
        dtype=dtype,
    )


@pytest.mark.parametrize("dtype", DTYPES)
def test_ex_forms_match_torch(backend, dtype):
    """solve_ex, inv_ex and cholesky_ex: values and gradients of well-posed inputs."""
    A, B = random_input((2, 3, 3), 10) + 3 * np.eye(3), random_input((2, 3), 11)
    spd = A @ np.swapaxes(A, -1, -2)
    cases = [
        (lambda A, B: xpnet.linalg.solve_ex(A, B).result, torch.linalg.solve_ex, [A, B]),
        (lambda A: xpnet.linalg.inv_ex(A).inverse, torch.linalg.inv_ex, [A]),
        (lambda A: xpnet.linalg.cholesky_ex(A).L, torch.linalg.cholesky_ex, [spd]),
        (
            lambda A: xpnet.linalg.cholesky_ex(A, upper=True).L,
            lambda A: torch.linalg.cholesky_ex(A, upper=True),
            [spd],
        ),
    ]
    for ours, theirs, inputs in cases:
        _check_tensor_function(backend, ours, lambda *t, f=theirs: f(*t)[0], inputs, dtype)
    info = xpnet.linalg.solve_ex(backend.asarray(A), backend.asarray(B)).info
    assert info.dtype == np.int32 and info.shape == (2,)


def _check_tensor_function(backend, ours, theirs, inputs, dtype=np.float64):
    def forward(*arrays):
        return ours(*[xpnet.Tensor(a) for a in arrays]).array

    def backward(grad_output, *arrays):
        tensors = [xpnet.Tensor(a, requires_grad=True) for a in arrays]
        ours(*tensors).backward(grad_output)
        return tuple(t.grad for t in tensors)

    check_against_torch(forward, backward, theirs, inputs, backend, dtype=dtype)


SINGULAR = np.array([np.eye(3), np.diag([1.0, 0.0, 1.0])])
NOT_PD = np.array([np.eye(3), np.diag([1.0, -1.0, 1.0])])


@pytest.mark.parametrize(
    ("name", "call", "reference"),
    [
        ("lu_factor_ex", lambda A: LU.linalg_lu_factor_ex(A)[2], torch.linalg.lu_factor_ex),
        ("solve_ex", lambda A: LS.linalg_solve_ex(A, A)[1], lambda A: torch.linalg.solve_ex(A, A)),
        ("inv_ex", lambda A: LS.linalg_inv_ex(A)[1], torch.linalg.inv_ex),
    ],
)
def test_ex_forms_report_singular_matrices_in_info(backend, name, call, reference):
    shapes = (SINGULAR, np.zeros((2, 3, 3))) + (
        (np.ones((4, 3)),) if name == "lu_factor_ex" else ()
    )
    for A in shapes:
        with host_reads_forbidden():
            info = call(backend.asarray(A))
        np.testing.assert_array_equal(backend.to_host(info), reference(torch.tensor(A)).info)


def test_cholesky_ex_info_and_factor_of_failing_matrices(backend):
    L, info = xpnet.linalg.cholesky_ex(backend.asarray(NOT_PD))
    expected = torch.linalg.cholesky_ex(torch.tensor(NOT_PD))
    np.testing.assert_array_equal(backend.to_host(info.array), expected.info.numpy())
    assert_close(backend.to_host(L.array), expected.L.numpy(), np.float64)
    nan = np.array([[[1.0, np.nan], [np.nan, 1.0]], [[np.nan, 0.0], [0.0, 1.0]]])
    info = xpnet.linalg.cholesky_ex(backend.asarray(nan)).info
    np.testing.assert_array_equal(
        backend.to_host(info.array), torch.linalg.cholesky_ex(torch.tensor(nan)).info
    )


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda A: xpnet.linalg.lu_factor(A),
            r"^linalg.lu_factor: \(Batch element 1\): U\[2,2\] is zero and using it on lu_solve "
            r"would result in a division by zero\. If you still want",
        ),
        (lambda A: xpnet.linalg.lu_factor(A[1]), r"^linalg.lu_factor: U\[2,2\] is zero"),
        (
            lambda A: xpnet.linalg.lu_factor_ex(A, check_errors=True),
            r"^linalg.lu_factor_ex: \(Batch element 1\): U\[2,2\]",
        ),
        (
            lambda A: xpnet.linalg.solve_ex(A, A, check_errors=True),
            r"^linalg.solve_ex: \(Batch element 1\): The solver failed because the input matrix "
            r"is singular\.$",
        ),
        (
            lambda A: xpnet.linalg.inv_ex(A, check_errors=True),
            r"^linalg.inv_ex: \(Batch element 1\): The diagonal element 2 is zero, the inversion",
        ),
        (
            lambda A: xpnet.linalg.cholesky_ex(A - 2 * A[1], check_errors=True),
            r"^linalg.cholesky_ex: \(Batch element 0\): The factorization could not be completed "
            r"because the input is not positive-definite \(the leading minor of order 1 ",
        ),
    ],
)
def test_check_errors_raise_at_once_or_deferred(backend, call, message):
    A = backend.asarray(SINGULAR)
    if not getattr(backend, "host_reads_free", False):
        with host_reads_forbidden():
            call(A)  # strict (as CuPy) reads nothing back: the check waits
    _raises_maybe_deferred(backend, LinAlgError, message, lambda: call(A))


def test_linalg_compositions_match_torch(backend):
    x, y = random_input((2, 3), 12), random_input((3,), 13)
    M = random_input((2, 3, 3), 14) + 3 * np.eye(3)
    tensor = random_input((6, 6), 15) + 6 * np.eye(6)
    cases = [
        ("vecdot", [x, y], {}),
        ("vecdot", [x, x[:, :1]], {"dim": 0}),
        ("matmul", [M, y], {}),
        ("diagonal", [M], {"offset": 1}),
        ("diagonal", [M], {"dim1": 0, "dim2": 2}),
        ("vander", [np.array([0.0, 2.0, -3.0])], {}),
        ("vander", [x], {"N": 4}),
        ("tensorinv", [tensor.reshape(6, 2, 3)], {"ind": 1}),
        ("tensorinv", [tensor.reshape(2, 3, 3, 2)], {}),
        ("tensorsolve", [tensor.reshape(2, 3, 6), x], {}),
        ("tensorsolve", [tensor.reshape(6, 2, 3), x], {"dims": (0,)}),
    ]
    for name, inputs, kwargs in cases:
        for dtype in DTYPES:
            _check_tensor_function(
                backend,
                lambda *t, name=name, kwargs=kwargs: getattr(xpnet.linalg, name)(*t, **kwargs),
                lambda *t, name=name, kwargs=kwargs: getattr(torch.linalg, name)(*t, **kwargs),
                inputs,
                dtype,
            )
    ints = xpnet.linalg.vander(backend.asarray(np.array([2, 3])))
    assert ints.dtype == np.int64 and backend.to_host(ints.array).tolist() == [[1, 2], [1, 3]]


def test_old_style_forms_match_torch(backend):
    """torch.triangular_solve (right-hand side first, the coefficient's copy), torch.lu_solve
    and the Tensor methods; both deprecated forms warn, as PyTorch's."""
    A, b = _triangular((2, 3, 3), 16), random_input((2, 3, 2), 17)
    for upper, transpose, unit in [(True, False, False), (False, True, True), (True, True, False)]:
        options = {"upper": upper, "transpose": transpose, "unitriangular": unit}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            _check_tensor_function(
                backend,
                lambda b, A, options=options: b.triangular_solve(A, **options).solution,
                lambda b, A, options=options: torch.triangular_solve(b, A, **options).solution,
                [b, A],
            )
            _check_tensor_function(
                backend,
                lambda b, A: xpnet.lu_solve(b, *xpnet.linalg.lu_factor(A)),
                lambda b, A: torch.lu_solve(b, *torch.linalg.lu_factor(A)),
                [b, A],
            )
    with pytest.warns(UserWarning, match="torch.triangular_solve is deprecated"):
        result = xpnet.triangular_solve(backend.asarray(b), backend.asarray(A))
    assert_close(backend.to_host(result.cloned_coefficient.array), A, np.float64)
    LU_, pivots = xpnet.linalg.lu_factor(backend.asarray(A))
    with pytest.warns(UserWarning, match="torch.lu_solve is deprecated"):
        xpnet.Tensor(backend.asarray(b)).lu_solve(LU_, pivots)


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (
            lambda xp: T.linalg_solve_triangular(xp.eye(3), xp.ones(3), True),
            ArgumentError,
            r"^linalg.solve_triangular: B must have at least 2 dimensions",
        ),
        (
            lambda xp: T.linalg_solve_triangular(xp.ones((3, 4)), xp.ones((3, 2)), True),
            ArgumentError,
            r"^linalg.solve_triangular: A must be batches of square matrices, but they are 3 by 4",
        ),
        (
            lambda xp: T.linalg_solve_triangular(xp.eye(3), xp.ones((4, 2)), True),
            ArgumentError,
            r"^linalg.solve_triangular: Incompatible shapes of A and B for the equation AX = B "
            r"\(3x3 and 4x2\)",
        ),
        (
            lambda xp: T.linalg_solve_triangular(xp.eye(3), xp.ones((3, 2)), True, False),
            ArgumentError,
            r"equation XA = B \(3x3 and 3x2\)",
        ),
        (
            lambda xp: T.linalg_solve_triangular(xp.ones((2, 3, 3)), xp.ones((4, 3, 1)), True),
            ArgumentError,
            r"^linalg.solve_triangular: the batch shapes of A \(2, 3, 3\) and B",
        ),
        (
            lambda xp: T.linalg_solve_triangular(xp.eye(3), xp.ones((3, 2), xp.float32), True),
            TypeError,
            r"^linalg.solve_triangular: Expected A and B to have the same dtype",
        ),
        (
            lambda xp: T.linalg_solve_triangular(xp.eye(3, dtype=xp.int64), xp.eye(3), True),
            TypeError,
            r"^linalg.solve_triangular: A must be a float32 or float64 array",
        ),
        (
            lambda xp: LU.linalg_lu_factor_ex(xp.ones((3, 3), dtype=xp.float16)),
            TypeError,
            r"^linalg.lu_factor_ex: A must be a float32 or float64 array .* float16",
        ),
        (
            lambda xp: xpnet.linalg.lu_factor(xp.ones(3)),
            ArgumentError,
            r"^linalg.lu_factor: A must have at least 2 dimensions",
        ),
        (
            lambda xp: xpnet.linalg.lu(xp.eye(3), pivot=False),
            ArgumentError,
            r"^linalg.lu: LU without pivoting is not implemented",
        ),
        (
            lambda xp: xpnet.linalg.lu_solve(xp.eye(3), xp.ones(3, dtype=xp.int64), xp.eye(3)),
            TypeError,
            r"^linalg.lu_solve: pivots must be an int32 array",
        ),
        (
            lambda xp: xpnet.linalg.lu_solve(xp.eye(3), xp.ones(2, dtype=xp.int32), xp.eye(3)),
            ArgumentError,
            r"^linalg.lu_solve: pivots must have the shape \(3,\)",
        ),
        (
            lambda xp: xpnet.linalg.lu_solve(xp.eye(3), xp.ones(3, dtype=xp.int32), xp.ones(3)),
            ArgumentError,
            r"^linalg.lu_solve: B must have at least 2 dimensions",
        ),
        (
            lambda xp: xpnet.linalg.lu_solve(
                xp.eye(3), xp.ones(3, dtype=xp.int32), xp.ones((3, 1), dtype=xp.float32)
            ),
            TypeError,
            r"^linalg.lu_solve: Expected LU and B to have the same dtype",
        ),
        (
            lambda xp: xpnet.lu_unpack(xp.eye(3), xp.ones(3, dtype=xp.int64)),
            TypeError,
            r"^lu_unpack: LU_pivots must be an int32 array",
        ),
        (
            lambda xp: xpnet.linalg.vecdot(xp.ones(3), xp.ones(3, dtype=xp.float32)),
            TypeError,
            r"^linalg.vecdot: Expected x and y to have the same dtype",
        ),
        (
            lambda xp: xpnet.linalg.vecdot(xp.ones(3, dtype=xp.int64), xp.ones(3, dtype=xp.int64)),
            TypeError,
            r"^linalg.vecdot: Expected a floating point tensor",
        ),
        (
            lambda xp: xpnet.linalg.vander(xp.ones(3), N=1),
            ArgumentError,
            r"^linalg.vander: N must be greater than 1, got N=1",
        ),
        (
            lambda xp: xpnet.linalg.vander(xp.ones(())),
            ArgumentError,
            r"^linalg.vander: x must have at least 1 dimension",
        ),
        (
            lambda xp: xpnet.linalg.tensorinv(xp.ones((6, 2, 3)), ind=0),
            ArgumentError,
            r"^linalg.tensorinv: Expected a strictly positive integer for 'ind', got 0",
        ),
        (
            lambda xp: xpnet.linalg.tensorinv(xp.ones((6, 1))),
            ArgumentError,
            r"^linalg.tensorinv: Expected prod\(A.shape\[ind:\]\) == prod\(A.shape\[:ind\]\), "
            r"got 1 != 6",
        ),
        (
            lambda xp: xpnet.linalg.tensorsolve(xp.ones((2, 3, 6)), xp.ones(6)),
            ArgumentError,
            r"^linalg.tensorsolve: Expected prod\(A.shape\[B.ndim:\]\) == ",
        ),
        (
            lambda xp: LS.linalg_lu_solve_backward(
                xp.ones((3, 2)), xp.eye(3), xp.asarray(np.arange(1, 4, dtype=np.int32)), xp.eye(3)
            ),
            ArgumentError,
            r"^linalg_lu_solve_backward: grad_output must have the shape",
        ),
    ],
)
def test_argument_errors(xp, call, error, message):
    with pytest.raises(error, match=message):
        call(xp)


@pytest.mark.parametrize(
    "call",
    [
        lambda xp, p: xpnet.linalg.lu_solve(xp.eye(3), p, xp.eye(3)),
        lambda xp, p: xpnet.lu_unpack(xp.eye(3), p),
    ],
)
def test_pivots_out_of_range_raise(backend, call):
    """Pivots outside [1, n]: at once on numpy, at the next host read on strict (no sync),
    and never used to index out of range meanwhile."""
    pivots = backend.asarray(np.array([1, 5, 3], dtype=np.int32))
    _raises_maybe_deferred(
        backend,
        ArgumentError,
        r"pivots must be between 1 and LU.size\(-2\) = 3",
        lambda: call(backend.xp, pivots),
    )
