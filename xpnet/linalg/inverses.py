"""``torch.linalg``'s solve, inv, det, slogdet and cholesky, with PyTorch's gradients.

Each has an array pair ``linalg_<name>(...)`` / ``linalg_<name>_backward(grad_output, ...)``
on batches ``(*, n, n)`` of float32/float64 matrices (written once with ``xp``, only the
``xp.linalg`` names CuPy has), and the public Tensor function (``solve``, ``inv``, ...) built on
it with :class:`xpnet.autograd.Function`; the public functions take Tensors or backend arrays.
The gradients are PyTorch's formulas (``FunctionsManual.cpp``). A singular matrix (solve, inv)
or one that is not positive-definite (cholesky) raises :class:`LinAlgError` naming the batch
element, at once on NumPy and strict, at the next host read on CuPy (see
:func:`xpnet.linalg._checks.checked_call`). :mod:`xpnet.linalg.matrix_functions` holds the matrix
exponential and Householder products.

Example:
    >>> import xpnet
    >>> A = xpnet.Tensor(np.array([[2.0, 0.0], [1.0, 1.0]]), requires_grad=True)
    >>> solve(A, np.array([2.0, 3.0])).array
    array([1., 2.])
    >>> det(A).backward()
    >>> A.grad.array.round(12) + 0.0  # the adjugate's transpose, to rounding
    array([[ 1., -1.],
           [ 0.,  2.]])
"""

from __future__ import annotations

from typing import NamedTuple

import numpy

from .._tensor_ops import check_grad, ieee, unbroadcast
from ..autograd import Function, Tensor
from ..backends import backend_of
from ..kernels._checks import ArgumentError, DtypeMismatchError
from ._checks import LinAlgError, checked_call, mT, operands_backend, square_input

__all__ = [
    "LinAlgError",
    "cholesky",
    "det",
    "inv",
    "linalg_cholesky",
    "linalg_cholesky_backward",
    "linalg_det",
    "linalg_det_backward",
    "linalg_inv",
    "linalg_inv_backward",
    "linalg_slogdet",
    "linalg_slogdet_backward",
    "linalg_solve",
    "linalg_solve_backward",
    "slogdet",
    "solve",
    "solve_operands",
]

SINGULAR = "The solver failed because the input matrix is singular."


def _first_zero_pivot(matrix) -> int:
    """The 1-based index of LU's first zero pivot (LAPACK getrf's ``info``), by partial
    pivoting on the host: only on the error path."""
    U = numpy.array(matrix, dtype=numpy.float64)
    for k in range(U.shape[0]):
        pivot = k + int(numpy.argmax(numpy.abs(U[k:, k])))
        if U[pivot, k] == 0:
            return k + 1
        U[[k, pivot]] = U[[pivot, k]]
        U[k + 1 :, k:] -= numpy.outer(U[k + 1 :, k] / U[k, k], U[k, k:])
    return U.shape[0]


def _inverse_reason(matrix) -> str:
    return (
        f"The diagonal element {_first_zero_pivot(matrix)} is zero, the inversion could not "
        "be completed because the input matrix is singular."
    )


def _cholesky_reason(matrix) -> str:
    order = next(k for k in range(1, matrix.shape[0] + 1) if not _positive_definite(matrix[:k, :k]))
    return (
        "The factorization could not be completed because the input is not positive-definite "
        f"(the leading minor of order {order} is not positive-definite)."
    )


def _positive_definite(matrix) -> bool:
    try:  # an inf diagonal is no failure for LAPACK's potrf, a NaN one is
        return not numpy.isnan(numpy.linalg.cholesky(matrix)).any()
    except numpy.linalg.LinAlgError:
        return False


def _is_vector(A, B) -> bool:
    """PyTorch's rule: ``B`` is a vector if 1-D, or of ``A``'s batch shape plus ``n``."""
    return B.ndim == 1 or (B.ndim == A.ndim - 1 and B.shape == A.shape[:-1])


def solve_operands(where: str, A, B, left: bool):
    """``A`` and ``B`` broadcast to one batch, ``B`` as a matrix, and whether it was a vector."""
    backend = square_input(where, "A", A)
    operands_backend(where, ("A", "B"), A, B)
    if B.dtype != A.dtype:
        msg = f"{where}: Expected A and B to have the same dtype, got A {A.dtype} and B {B.dtype}"
        raise DtypeMismatchError(msg)  # PyTorch's RuntimeError
    vector = _is_vector(A, B)
    if vector and not left:  # even where n = 1 would fit: PyTorch refuses every vector B
        msg = (
            f"{where}: Vector broadcasting of the left hand side is not supported for "
            f"left=False (B {B.shape}); solve is then B / A.squeeze(-1)"
        )
        raise ArgumentError(msg)
    xp = backend.xp
    matrix = xp.expand_dims(B, -1) if vector else B
    n = A.shape[-1]
    rows = matrix.shape[-2] if left else matrix.shape[-1]
    if matrix.ndim < 2 or rows != n:
        msg = f"{where}: Incompatible shapes of A {A.shape} and B {B.shape} (left={left})"
        raise ArgumentError(msg)
    try:
        batch = numpy.broadcast_shapes(A.shape[:-2], matrix.shape[:-2])
    except ValueError:  # NumPy's ValueError; PyTorch's is a RuntimeError
        msg = f"{where}: the batch shapes of A {A.shape} and B {B.shape} do not broadcast"
        raise ArgumentError(msg) from None
    A = xp.broadcast_to(A, batch + A.shape[-2:])
    return A, xp.broadcast_to(matrix, batch + matrix.shape[-2:]), vector


@ieee
def linalg_solve(A, B, left: bool = True):
    """The ``X`` of ``A X = B`` (``X A = B`` if not ``left``), as ``torch.linalg.solve``:
    ``B`` is ``(*, n, k)``, or ``(*, n)`` (a vector) with ``A``'s batch, or ``(n,)``."""
    A, matrix, vector = solve_operands("linalg.solve", A, B, left)
    xp = backend_of(A).xp
    if left:
        X = checked_call("linalg.solve", lambda a: xp.linalg.solve(a, matrix), A, _solve_reason)
    else:
        compute = lambda a: xp.linalg.solve(a, mT(matrix))  # noqa: E731
        X = mT(checked_call("linalg.solve", compute, mT(A), _solve_reason))
    return X[..., 0] if vector else X


def _solve_reason(matrix) -> str:
    return SINGULAR


@ieee
def linalg_solve_backward(grad_output, A, B, left: bool = True):
    """PyTorch's ``linalg_solve_backward``: ``gB`` solves the adjoint system with
    ``grad_output``, ``gA = -gB X^H`` (``-X^H gB`` if not ``left``); both summed to the
    shapes of ``A`` and ``B`` where they were broadcast."""
    X = linalg_solve(A, B, left)
    check_grad("linalg_solve_backward", grad_output, X.shape, X.dtype, A, B)
    xp = backend_of(A).xp
    vector = _is_vector(A, B)
    gX = xp.expand_dims(grad_output, -1) if vector else grad_output
    X = xp.expand_dims(X, -1) if vector else X
    gB = linalg_solve(mT(A), gX, left)
    gA = -(gB @ mT(X)) if left else -(mT(X) @ gB)
    gB = gB[..., 0] if vector else gB
    return unbroadcast(gA, A.shape), unbroadcast(gB, B.shape)


@ieee
def linalg_inv(A):
    """The inverse of each matrix of ``A`` ``(*, n, n)``, as ``torch.linalg.inv``."""
    square_input("linalg.inv", "A", A)
    xp = backend_of(A).xp
    return checked_call("linalg.inv", xp.linalg.inv, A, _inverse_reason)


@ieee
def linalg_inv_backward(grad_output, A):
    """PyTorch's: ``-A^-H grad A^-H``."""
    inverse = linalg_inv(A)
    check_grad("linalg_inv_backward", grad_output, A.shape, A.dtype, A)
    return -(mT(inverse) @ grad_output @ mT(inverse))


@ieee
def linalg_det(A):
    """The determinant of each matrix of ``A`` ``(*, n, n)`` (1 for ``n = 0``), as
    ``torch.linalg.det``; a singular matrix gives 0, no error."""
    square_input("linalg.det", "A", A)
    xp = backend_of(A).xp
    if A.size == 0:
        return xp.ones(A.shape[:-2], dtype=A.dtype)
    return xp.asarray(xp.linalg.det(A))  # an array: NumPy gives a scalar for one matrix


def _svd_parts(A):
    """``U, S, Vh`` of ``A`` and the product of the other singular values for each one."""
    xp = backend_of(A).xp
    U, S, Vh = xp.linalg.svd(A)
    ones = xp.ones(S.shape[:-1] + (1,), dtype=S.dtype)
    before = xp.cumprod(xp.concatenate([ones, S[..., :-1]], axis=-1), axis=-1)
    after = xp.flip(
        xp.cumprod(xp.flip(xp.concatenate([S[..., 1:], ones], axis=-1), -1), axis=-1), -1
    )
    return U, S, Vh, before * after


@ieee
def _cofactors(A):
    """The cofactor matrix ``det(A) A^-H`` (times nothing), singular ``A`` included, and the
    SVD's ``U, S, Vh``."""
    xp = backend_of(A).xp
    U, S, Vh, others = _svd_parts(A)
    alpha = xp.linalg.det(U) * xp.linalg.det(Vh)
    return (U * (alpha[..., None] * others)[..., None, :]) @ Vh, (U, S, Vh)


@ieee
def linalg_det_backward(grad_output, A):
    """The cofactor matrix times ``grad_output``, through the SVD ``A = U S Vh``:
    ``U diag(grad det(U) det(Vh) prod_{j != i} S_j) Vh`` (PyTorch's formula for singular
    matrices, ``prod_safe_zeros_backward``), for every matrix. PyTorch's first-order
    backward solves with ``A``'s LU for the non-singular ones (equal up to rounding) and gives
    0 where ``det(A)`` is exactly 0; this gives the cofactors there too, as PyTorch's
    ``create_graph=True`` backward does."""
    check_grad("linalg_det_backward", grad_output, A.shape[:-2], A.dtype, A)
    xp = backend_of(A).xp
    if A.size == 0:
        return xp.zeros_like(A)
    return _cofactors(A)[0] * grad_output[..., None, None]


@ieee
def linalg_slogdet(A):
    """``(sign, logabsdet)`` of each matrix of ``A`` ``(*, n, n)``, as ``torch.linalg.slogdet``
    (``(0, -inf)`` for a singular one)."""
    square_input("linalg.slogdet", "A", A)
    xp = backend_of(A).xp
    if A.size == 0:
        shape = A.shape[:-2]
        return xp.ones(shape, dtype=A.dtype), xp.zeros(shape, dtype=A.dtype)
    sign, logabsdet = xp.linalg.slogdet(A)
    return xp.asarray(sign), xp.asarray(logabsdet)


@ieee
def linalg_slogdet_backward(grad_output, A):
    """PyTorch's ``slogdet_backward`` for real ``A``: ``grad_logabsdet A^-H``, here through
    the SVD (``U diag(1/S) Vh``); where the determinant is exactly 0, the cofactors divided by
    it (``inf``, or NaN where a cofactor is 0 too), as PyTorch's LU solve gives."""
    check_grad("linalg_slogdet_backward", grad_output, A.shape[:-2], A.dtype, A)
    xp = backend_of(A).xp
    if A.size == 0:
        return xp.zeros_like(A)
    cofactors, (U, S, Vh) = _cofactors(A)
    inverse = (U * (1 / S)[..., None, :]) @ Vh
    determinant = xp.linalg.det(A)[..., None, None]
    inverse = xp.where(determinant == 0, cofactors / determinant, inverse)
    return inverse * grad_output[..., None, None]


@ieee
def linalg_cholesky(A, upper: bool = False):
    """The Cholesky factor ``L`` (``A = L L^H``, from ``A``'s lower triangle), or with
    ``upper`` ``U = L^H`` (from the upper triangle), as ``torch.linalg.cholesky``."""
    square_input("linalg.cholesky", "A", A)
    xp = backend_of(A).xp
    source = mT(A) if upper else A  # the triangle PyTorch reads, as a lower one
    compute = xp.linalg.cholesky
    L = checked_call("linalg.cholesky", compute, source, _cholesky_reason, nan_fails=True)
    return mT(L) if upper else L


@ieee
def linalg_cholesky_backward(grad_output, A, upper: bool = False):
    """PyTorch's ``cholesky_backward`` (Murray, arXiv 1602.07527): ``phi = tril(L^H gL)``,
    symmetrised as ``(phi + tril(phi, -1)^H) / 2``, then ``L^-H phi L^-1``."""
    factor = linalg_cholesky(A, upper)
    check_grad("linalg_cholesky_backward", grad_output, A.shape, A.dtype, A)
    xp = backend_of(A).xp
    L, gL = (mT(factor), mT(grad_output)) if upper else (factor, grad_output)
    phi = xp.tril(mT(L) @ gL)
    phi = 0.5 * (phi + mT(xp.tril(phi, -1)))
    left = xp.linalg.solve(mT(L), phi)  # L^-H phi
    return mT(xp.linalg.solve(mT(L), mT(left)))  # (L^-H phi) L^-1


class SlogdetResult(NamedTuple):
    """``torch.return_types.linalg_slogdet``: ``(sign, logabsdet)``."""

    sign: Tensor
    logabsdet: Tensor


def _logabsdet(A):
    sign, logabsdet = linalg_slogdet(A)
    return logabsdet, sign


def _logabsdet_backward(grad_output, A):
    return linalg_slogdet_backward(grad_output, A)


_solve = Function(linalg_solve, linalg_solve_backward, wrt=("A", "B"))
_inv = Function(linalg_inv, linalg_inv_backward, wrt=("A",))
_det = Function(linalg_det, linalg_det_backward, wrt=("A",))
_slogdet = Function(_logabsdet, _logabsdet_backward, wrt=("A",))
_cholesky = Function(linalg_cholesky, linalg_cholesky_backward, wrt=("A",))


def solve(A, B, *, left: bool = True) -> Tensor:
    """``torch.linalg.solve``: the solution ``X`` of ``A X = B`` (``X A = B`` if not ``left``).

    Args:
        A: ``(*, n, n)`` float32/float64 Tensor or array, invertible.
        B: ``(*, n, k)``, or a vector ``(*, n)``/``(n,)``; batches broadcast.
        left: solve ``A X = B`` (default ``True``) or ``X A = B``.

    Returns:
        ``X``, of ``B``'s shape with the broadcast batch.

    Raises:
        TypeError: a non-float dtype, or ``A`` and ``B`` of different dtypes.
        ArgumentError: shapes that do not fit.
        LinAlgError: a singular ``A`` (naming the batch element; deferred on CuPy).

    Example:
        >>> solve(np.array([[2.0, 0.0], [0.0, 4.0]]), np.array([[2.0], [2.0]]))
        tensor([[1.0000],
                [0.5000]], dtype=xpnet.float64)
    """
    return _solve(A, B, left)


def inv(A) -> Tensor:
    """``torch.linalg.inv``: the inverse of each matrix of ``A`` ``(*, n, n)``.

    Raises:
        LinAlgError: a singular matrix (``The diagonal element k is zero ...``, PyTorch's
            message; deferred on CuPy). TypeError, ArgumentError: as :func:`solve`.
    """
    return _inv(A)


def det(A) -> Tensor:
    """``torch.linalg.det``: the determinant of each matrix of ``A`` ``(*, n, n)``; its
    gradient is the cofactor matrix, also for singular matrices (where PyTorch's first-order
    backward gives 0 when the determinant is exactly 0)."""
    return _det(A)


def slogdet(A) -> SlogdetResult:
    """``torch.linalg.slogdet``: ``(sign, logabsdet)``, a named tuple; ``(0, -inf)`` for a
    singular matrix. Only ``logabsdet`` has a gradient (``A^-H``), as for real PyTorch inputs."""
    logabsdet, sign = _slogdet(A)
    return SlogdetResult(Tensor(sign), logabsdet)


def cholesky(A, *, upper: bool = False) -> Tensor:
    """``torch.linalg.cholesky``: ``L`` with ``A = L L^H`` (``upper``: ``U`` with
    ``A = U^H U``), for symmetric positive-definite ``A`` ``(*, n, n)``.

    Raises:
        LinAlgError: not positive-definite (naming the batch element and the leading minor,
            as PyTorch; on CuPy deferred, and only where the result is not finite).
    """
    return _cholesky(A, upper)
