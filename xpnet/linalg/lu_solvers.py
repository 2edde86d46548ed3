"""``torch.linalg.lu_solve``, ``solve_ex`` and ``inv_ex``: solving with LU factors, with
PyTorch's gradients.

``linalg_lu_solve`` applies ``P^T``, then ``L``'s and ``U``'s substitutions
(:func:`xpnet.linalg.triangular.substitute`), as LAPACK's ``getrs``; ``X A = B`` and the
adjoint systems are the same steps on transposes. Its backward gives ``B`` the solution of the
adjoint system and ``LU`` the gradient of ``A = P L U`` split into ``L``'s part below the
diagonal and ``U``'s on and above it (the same as PyTorch's ``linalg_lu_solve_LU``). As in
PyTorch, ``solve_ex`` and ``inv_ex`` are
:func:`~xpnet.linalg.lu_decomposition.linalg_lu_factor_ex` followed by this solve: a singular
matrix gives inf/NaN and a nonzero ``info`` (LAPACK's), and raises :class:`LinAlgError` only
with ``check_errors=True`` (at the next host read on strict and CuPy). Their gradients are
``solve``'s and ``inv``'s.

Example:
    >>> LU, pivots = lu_factor(np.array([[1.0, 2.0], [3.0, 4.0]]))
    >>> lu_solve(LU, pivots, np.array([[5.0], [6.0]]))
    tensor([[-4.0000],
            [ 4.5000]], dtype=xpnet.float64)
    >>> solve_ex(np.zeros((2, 2)), np.ones(2)).info
    tensor(1, dtype=xpnet.int32)
"""

from __future__ import annotations

from typing import NamedTuple

from .._tensor_ops import check_grad, ieee, unbroadcast
from ..autograd import Function, Tensor
from ..backends import backend_of
from ._checks import mT, square_input
from .inverses import SINGULAR, linalg_inv_backward, linalg_solve_backward, solve_operands
from .lu_decomposition import check_info, check_pivots, factorize, permutation
from .lu_decomposition import lu_factor as lu_factor
from .triangular import matrix_operands, substitute

__all__ = [
    "inv_ex",
    "linalg_inv_ex",
    "linalg_inv_ex_backward",
    "linalg_lu_solve",
    "linalg_lu_solve_backward",
    "linalg_solve_ex",
    "linalg_solve_ex_backward",
    "lu_solve",
    "solve_ex",
]


class SolveExResult(NamedTuple):
    """``torch.return_types.linalg_solve_ex``."""

    result: Tensor
    info: Tensor


class InvExResult(NamedTuple):
    """``torch.return_types.linalg_inv_ex``."""

    inverse: Tensor
    info: Tensor


def _solve_factored(LU, P, B, left: bool, adjoint: bool):  # noqa: N803 - PyTorch's names
    """``op(A)^-1 B`` (``B op(A)^-1`` if not ``left``) for ``A = P L U`` packed in ``LU`` and
    the bool ``P``, all of one batch; ``op(A) = A^T`` if ``adjoint``."""
    if not left:  # X op(A) = B is op(A)^T X^T = B^T
        return mT(_solve_factored(LU, P, mT(B), True, not adjoint))
    P = P.astype(B.dtype)
    if adjoint:  # A^T X = B: X = P L^-T U^-T B
        return P @ substitute(mT(LU), substitute(mT(LU), B, False), True, True)
    return substitute(LU, substitute(LU, mT(P) @ B, False, True), True)  # U^-1 L^-1 P^T B


def _factored_operands(where: str, LU, pivots, B, left: bool):  # noqa: N803
    """``LU``, ``P`` and ``B`` checked and broadcast to one batch."""
    xp = backend_of(LU).xp
    index = check_pivots(where, LU, pivots)
    LU_b, B = matrix_operands(where, LU, B, left, "LU")  # noqa: N806
    P = permutation(index, LU.shape[-1])
    return LU_b, xp.broadcast_to(P, LU_b.shape), B


@ieee
def linalg_lu_solve(LU, pivots, B, left: bool = True, adjoint: bool = False):  # noqa: N803
    """The ``X`` of ``A X = B`` for ``A``'s factors ``(LU, pivots)`` (``X A = B`` if not
    ``left``; ``A^T`` for ``A`` if ``adjoint``), as ``torch.linalg.lu_solve``."""
    LU, P, B = _factored_operands("linalg.lu_solve", LU, pivots, B, left)
    return _solve_factored(LU, P, B, left, adjoint)


@ieee
def linalg_lu_solve_backward(grad_output, LU, pivots, B, left=True, adjoint=False):  # noqa: N803
    """``gB = lu_solve(LU, pivots, grad_output, left, not adjoint)``; ``gA`` the solve's
    ``-gB X^T`` (transposed and ordered by ``left``/``adjoint``), then ``LU``'s gradient
    ``tril(P^T gA U^T, -1) + triu(L^T P^T gA)``, each summed to its input's shape."""
    X = linalg_lu_solve(LU, pivots, B, left, adjoint)
    check_grad("linalg_lu_solve_backward", grad_output, X.shape, X.dtype, LU, B)
    xp = backend_of(LU).xp
    LU_b, P, _ = _factored_operands("linalg.lu_solve", LU, pivots, B, left)  # noqa: N806
    gB = _solve_factored(LU_b, P, grad_output, left, not adjoint)
    if left:
        gA = -(X @ mT(gB)) if adjoint else -(gB @ mT(X))
    else:
        gA = -(mT(gB) @ X) if adjoint else -(mT(X) @ gB)
    PtgA = mT(P.astype(gA.dtype)) @ gA  # noqa: N806
    n = LU.shape[-1]
    L = xp.tril(LU_b, -1) + xp.eye(n, dtype=LU.dtype)
    gLU = xp.tril(PtgA @ mT(xp.triu(LU_b)), -1) + xp.triu(mT(L) @ PtgA)
    return unbroadcast(gLU, LU.shape), unbroadcast(gB, B.shape)


def _singular(info: int) -> str:
    return SINGULAR


def _not_invertible(info: int) -> str:
    return (
        f"The diagonal element {info} is zero, the inversion could not be completed because "
        "the input matrix is singular."
    )


@ieee
def linalg_solve_ex(A, B, left: bool = True, check_errors: bool = False):
    """``(X, info)``: :func:`xpnet.linalg.solve`'s ``X`` and ``A``'s LU ``info`` (``A``'s
    batch shape), as ``torch.linalg.solve_ex``; a singular ``A`` gives inf/NaN."""
    where = "linalg.solve_ex"
    xp = backend_of(A).xp
    _, matrix, vector = solve_operands(where, A, B, left)
    LU, pivots, info = factorize(where, A, True)
    if check_errors:
        check_info(where, info, _singular)
    batch = matrix.shape[:-2]
    LU = xp.broadcast_to(LU, batch + LU.shape[-2:])
    P = xp.broadcast_to(permutation(pivots - 1, A.shape[-1]), LU.shape)
    X = _solve_factored(LU, P, matrix, left, False)
    return (X[..., 0] if vector else X), info


def linalg_solve_ex_backward(grad_output, A, B, left: bool = True, check_errors: bool = False):
    """:func:`xpnet.linalg.inverses.linalg_solve_backward`."""
    return linalg_solve_backward(grad_output, A, B, left)


@ieee
def linalg_inv_ex(A, check_errors: bool = False):
    """``(inverse, info)`` as ``torch.linalg.inv_ex``: ``solve_ex(A, I)``."""
    where = "linalg.inv_ex"
    xp = square_input(where, "A", A).xp
    LU, pivots, info = factorize(where, A, True)
    if check_errors:
        check_info(where, info, _not_invertible)
    n = A.shape[-1]
    eye = xp.broadcast_to(xp.eye(n, dtype=A.dtype), A.shape)
    return _solve_factored(LU, permutation(pivots - 1, n), eye, True, False), info


def linalg_inv_ex_backward(grad_output, A, check_errors: bool = False):
    """:func:`xpnet.linalg.inverses.linalg_inv_backward`."""
    return linalg_inv_backward(grad_output, A)


_lu_solve = Function(linalg_lu_solve, linalg_lu_solve_backward, wrt=("LU", "B"))
_solve_ex = Function(linalg_solve_ex, linalg_solve_ex_backward, wrt=("A", "B"))
_inv_ex = Function(linalg_inv_ex, linalg_inv_ex_backward, wrt=("A",))


def lu_solve(LU, pivots, B, *, left: bool = True, adjoint: bool = False) -> Tensor:  # noqa: N803
    """``torch.linalg.lu_solve``: the solution ``X`` of ``A X = B`` given :func:`lu_factor`'s
    ``(LU, pivots)`` of ``A``.

    Args:
        LU: ``(*, n, n)`` float32/float64, the packed factors.
        pivots: ``(*, n)`` int32, 1-based, as :func:`lu_factor` returns them.
        B: ``(*, n, k)`` (``(*, k, n)`` if not ``left``) of ``LU``'s dtype; batches broadcast.
        left: solve ``A X = B`` (default ``True``) or ``X A = B``.
        adjoint: solve with ``A^H`` (``A^T``, real) instead of ``A``. Default: ``False``.

    Returns:
        ``X``, with gradients for ``LU`` and ``B`` (PyTorch's).

    Raises:
        TypeError: non-float ``LU``/``B``, different dtypes, pivots that are not int32.
        ArgumentError: shapes that do not fit; pivots outside ``[1, n]`` (deferred on strict
            and CuPy).

    Example:
        >>> LU, pivots = lu_factor(np.array([[2.0, 1.0], [4.0, 3.0]]))
        >>> lu_solve(LU, pivots, np.array([[1.0, 0.0]]), left=False, adjoint=True)
        tensor([[ 1.5000, -2.0000]], dtype=xpnet.float64)
    """
    return _lu_solve(LU, pivots, B, left, adjoint)


def solve_ex(A, B, *, left: bool = True, check_errors: bool = False) -> SolveExResult:
    """``torch.linalg.solve_ex``: :func:`xpnet.linalg.solve` that reports a singular ``A`` in
    ``info`` (int32, ``A``'s batch shape; the 1-based index of LU's first zero pivot, else 0)
    instead of raising, unless ``check_errors``; ``result`` is then inf/NaN.

    Example:
        >>> solve_ex(np.eye(2), np.ones(2))
        SolveExResult(result=tensor([1., 1.], dtype=xpnet.float64),
                      info=tensor(0, dtype=xpnet.int32))
    """
    result, info = _solve_ex(A, B, left, check_errors)
    return SolveExResult(result, Tensor(info))


def inv_ex(A, *, check_errors: bool = False) -> InvExResult:
    """``torch.linalg.inv_ex``: :func:`xpnet.linalg.inv` with ``info`` (as :func:`solve_ex`)
    instead of an error, unless ``check_errors``.

    Example:
        >>> inv_ex(np.array([[2.0, 0.0], [0.0, 0.0]])).info
        tensor(2, dtype=xpnet.int32)
    """
    inverse, info = _inv_ex(A, check_errors)
    return InvExResult(inverse, Tensor(info))
