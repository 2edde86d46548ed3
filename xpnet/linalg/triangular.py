"""``torch.linalg.solve_triangular``, with PyTorch's gradients, and the substitution it runs.

:func:`substitute` solves ``T X = B`` for lower or upper triangular ``T`` by forward (or
backward) substitution: one step per row, each vectorised over the batch and over ``B``'s
columns, in ``xp`` operations only (CuPy has no triangular solver in ``xp``; cuBLAS's ``trsm``
sits in ``cupyx``). As LAPACK's and cuBLAS's ``trsm``, it never raises: a zero on the
diagonal gives inf/NaN. :mod:`xpnet.linalg.lu_decomposition` and :mod:`xpnet.linalg.lu_solvers`
build on it.
The array pair is ``linalg_solve_triangular`` / ``linalg_solve_triangular_backward`` (PyTorch's
``linalg_solve_triangular_backward``: ``gB = A^-H gX``, ``gA = -gB X^H`` on ``A``'s triangle).

Example:
    >>> import xpnet
    >>> A = xpnet.tensor([[2.0, 0.0], [1.0, 1.0]], dtype=xpnet.float64, requires_grad=True)
    >>> X = solve_triangular(A, np.array([[2.0], [3.0]]), upper=False)
    >>> X.detach()
    tensor([[1.],
            [2.]], dtype=xpnet.float64)
    >>> X.sum().backward()
    >>> A.grad + 0.0  # the lower triangle only
    tensor([[ 0.,  0.],
            [-1., -2.]], dtype=xpnet.float64)
"""

from __future__ import annotations

import numpy

from .._tensor_ops import check_grad, ieee, unbroadcast
from ..autograd import Function, Tensor
from ..backends import backend_of
from ..kernels._checks import ArgumentError, DtypeMismatchError
from ._checks import matrix_input, mT, square_input

__all__ = [
    "broadcast_batches",
    "linalg_solve_triangular",
    "linalg_solve_triangular_backward",
    "matrix_operands",
    "solve_triangular",
    "substitute",
]


def substitute(T, B, upper: bool, unitriangular: bool = False):
    """``T^-1 B`` for the triangle of ``T`` ``(*, n, n)`` (its diagonal taken as ones with
    ``unitriangular``) and ``B`` ``(*, n, k)`` of the same batch; reads nothing else of ``T``."""
    xp = backend_of(T).xp
    if upper:  # reversing rows and columns makes an upper triangle a lower one
        return xp.flip(substitute(xp.flip(T, (-2, -1)), xp.flip(B, -2), False, unitriangular), -2)
    n = T.shape[-1]
    X = xp.zeros(B.shape, dtype=B.dtype)  # (*, n, k)
    for i in range(n):
        row = B[..., i, :] - (T[..., i : i + 1, :i] @ X[..., :i, :])[..., 0, :]  # (*, k)
        X[..., i, :] = row if unitriangular else row / T[..., i, i][..., None]
    return X


def broadcast_batches(where: str, A, B):
    """``A`` and ``B`` broadcast to one batch shape (their last two dimensions kept)."""
    xp = backend_of(A).xp
    try:
        batch = numpy.broadcast_shapes(A.shape[:-2], B.shape[:-2])
    except ValueError:
        msg = f"{where}: the batch shapes of A {A.shape} and B {B.shape} do not broadcast"
        raise ArgumentError(msg) from None
    return xp.broadcast_to(A, batch + A.shape[-2:]), xp.broadcast_to(B, batch + B.shape[-2:])


def matrix_operands(where: str, A, B, left: bool, name: str = "A"):
    """Checked ``A`` ``(*, n, n)`` and ``B`` ``(*, n, k)`` (``(*, k, n)`` if not ``left``) of
    one dtype, broadcast to one batch; ``name`` is ``A``'s name in the messages."""
    square_input(where, name, A)
    backend_of(A, B, names=(name, "B"), where=where)
    matrix_input(where, "B", B)
    if B.dtype != A.dtype:
        msg = (
            f"{where}: Expected {name} and B to have the same dtype, got {name} {A.dtype} and "
            f"B {B.dtype}"
        )
        raise DtypeMismatchError(msg)  # PyTorch's RuntimeError
    n = A.shape[-1]
    if (B.shape[-2] if left else B.shape[-1]) != n:
        equation = "AX = B" if left else "XA = B"
        sizes = f"{n}x{n} and {B.shape[-2]}x{B.shape[-1]}"
        msg = f"{where}: Incompatible shapes of A and B for the equation {equation} ({sizes})"
        raise ArgumentError(msg)
    return broadcast_batches(where, A, B)


@ieee
def linalg_solve_triangular(A, B, upper: bool, left: bool = True, unitriangular: bool = False):
    """The ``X`` of ``A X = B`` (``X A = B`` if not ``left``) for triangular ``A``, as
    ``torch.linalg.solve_triangular``; batches broadcast."""
    A, B = matrix_operands("linalg.solve_triangular", A, B, left)
    if left:
        return substitute(A, B, upper, unitriangular)
    # X A = B is A^T X^T = B^T, whose triangle is the other one
    return mT(substitute(mT(A), mT(B), not upper, unitriangular))


@ieee
def linalg_solve_triangular_backward(
    grad_output, A, B, upper: bool, left: bool = True, unitriangular: bool = False
):
    """PyTorch's: ``gB`` solves the adjoint triangular system with ``grad_output``,
    ``gA = -gB X^H`` (``-X^H gB`` if not ``left``) on ``A``'s triangle (without the diagonal
    with ``unitriangular``); both summed to the shapes of ``A`` and ``B``."""
    X = linalg_solve_triangular(A, B, upper, left, unitriangular)
    check_grad("linalg_solve_triangular_backward", grad_output, X.shape, X.dtype, A, B)
    xp = backend_of(A).xp
    gB = linalg_solve_triangular(mT(A), grad_output, not upper, left, unitriangular)
    gA = -(gB @ mT(X)) if left else -(mT(X) @ gB)
    gA = xp.triu(gA, int(unitriangular)) if upper else xp.tril(gA, -int(unitriangular))
    return unbroadcast(gA, A.shape), unbroadcast(gB, B.shape)


_solve_triangular = Function(
    linalg_solve_triangular, linalg_solve_triangular_backward, wrt=("A", "B")
)


def solve_triangular(
    A, B, *, upper: bool, left: bool = True, unitriangular: bool = False
) -> Tensor:
    """``torch.linalg.solve_triangular``: the solution ``X`` of ``A X = B`` (or ``X A = B``)
    for a triangular ``A``, of which only the ``upper`` or lower triangle is read.

    Args:
        A: ``(*, n, n)`` float32/float64 Tensor or array.
        B: ``(*, n, k)`` (``(*, k, n)`` if not ``left``) of ``A``'s dtype; batches broadcast.
        upper: read ``A``'s upper triangle (``True``) or its lower one; keyword, required.
        left: solve ``A X = B`` (default ``True``) or ``X A = B``.
        unitriangular: take ``A``'s diagonal as ones, without reading it. Default: ``False``.

    Returns:
        ``X``, of ``B``'s shape with the broadcast batch. A zero on ``A``'s diagonal gives
        inf/NaN, no error, as PyTorch.

    Raises:
        TypeError: a non-float dtype, or ``A`` and ``B`` of different dtypes (PyTorch casts
            ``B`` to ``A``'s). ArgumentError: shapes that do not fit, ``B`` with fewer than 2
            dimensions.

    Example:
        >>> solve_triangular(np.array([[2.0, 1.0], [0.0, 4.0]]), np.eye(2), upper=True)
        tensor([[ 0.5000, -0.1250],
                [ 0.0000,  0.2500]], dtype=xpnet.float64)
    """
    return _solve_triangular(A, B, upper, left, unitriangular)
