"""PyTorch's linear-algebra Tensor methods and ``torch.<name>`` functions that predate
``torch.linalg`` (:data:`METHODS`, :data:`__all__`): ``det``, ``logdet``, ``slogdet``,
``inverse``, ``pinverse``, ``matrix_power``, ``matrix_exp``, ``cholesky``, ``cholesky_solve``,
``cholesky_inverse``, ``qr`` and ``svd`` (``some=``, ``V`` rather than ``Vh``, as PyTorch's),
the matrix transposes ``adjoint``, ``mH`` and ``H`` of real tensors, ``triangular_solve``
(right-hand side first, with the coefficient's copy), ``lu_solve`` and ``lu_unpack``.

Each calls :mod:`xpnet.linalg`, so values, errors (:class:`~xpnet.linalg.LinAlgError`) and
gradients are its, which are PyTorch's. ``torch.qr`` and ``torch.cholesky`` are deprecated in
PyTorch, which warns once a process; these warn (``UserWarning``) at every call, in the
places Python shows once.

Example:
    >>> import xpnet
    >>> A = xpnet.tensor([[4.0, 2.0], [2.0, 3.0]], dtype=xpnet.float64)
    >>> round(A.logdet().item(), 6), A.matrix_power(2).tolist()
    (2.079442, [[20.0, 14.0], [14.0, 13.0]])
    >>> U, S, V = xpnet.svd(A)
    >>> bool(xpnet.allclose(U @ xpnet.diag(S) @ V.mT, A))
    True
"""

from __future__ import annotations

import warnings
from typing import NamedTuple

import numpy

from . import linalg
from ._node_names import named_nodes
from ._tensor_checks import flags_checked
from ._torch_functions import as_input
from .autograd import Tensor
from .kernels import ArgumentError
from .linalg.lu_decomposition import lu_unpack

__all__ = ["logdet", "slogdet", "pinverse", "matrix_power", "cholesky", "cholesky_solve"]
__all__ += ["cholesky_inverse", "qr", "svd", "adjoint"]
__all__ += ["triangular_solve", "lu_solve", "lu_unpack"]


class TriangularSolve(NamedTuple):
    """``torch.triangular_solve``'s result."""

    solution: Tensor
    cloned_coefficient: Tensor


class SVD(NamedTuple):
    """``torch.svd``'s result: ``input = U @ diag(S) @ V.mT``."""

    U: Tensor
    S: Tensor
    V: Tensor


@named_nodes("WhereBackward0")
def logdet(input) -> Tensor:
    """``log(det(input))`` of square matrices ``(*, n, n)``, as ``torch.logdet``: NaN where
    the determinant is negative, ``-inf`` where it is 0; the gradient is ``slogdet``'s
    (``inv(input).mT`` where the determinant is positive).

    Raises:
        TypeError: not float32/float64. ArgumentError: not square matrices.
    """
    sign, logabsdet = linalg.slogdet(as_input("logdet", input))
    return logabsdet.masked_fill(sign < 0, float("nan"))


def slogdet(input) -> tuple[Tensor, Tensor]:
    """The sign and the log of the absolute value of the determinant, as ``torch.slogdet``
    (``linalg.slogdet``'s named tuple ``(sign, logabsdet)``)."""
    return linalg.slogdet(as_input("slogdet", input))


def pinverse(input, rcond: float = 1e-15) -> Tensor:
    """The pseudo-inverse, as ``torch.pinverse``: ``linalg.pinv`` dropping singular values
    below ``rcond`` times the largest."""
    return linalg.pinv(as_input("pinverse", input), rtol=rcond)


def matrix_power(input, n: int) -> Tensor:
    """``input`` multiplied by itself ``n`` times (``n < 0``: its inverse's), as
    ``torch.matrix_power`` (``linalg.matrix_power``)."""
    return linalg.matrix_power(as_input("matrix_power", input), n)


def _deprecated(name: str, replacement: str) -> None:
    msg = (
        f"torch.{name} is deprecated in favor of torch.linalg.{replacement} and will be removed "
        "in a future PyTorch release"
    )
    warnings.warn(msg, UserWarning, stacklevel=3)


@named_nodes("CholeskyBackward0")
def cholesky(input, upper: bool = False) -> Tensor:
    """The Cholesky factor of positive-definite matrices, lower (``upper=False``) or upper,
    as the deprecated ``torch.cholesky`` (warns, as PyTorch).

    Raises:
        LinAlgError: a matrix that is not positive-definite.
    """
    _deprecated("cholesky", "cholesky")
    return linalg.cholesky(as_input("cholesky", input), upper=upper)


@flags_checked("xpnet")  # as PyTorch's parser: upper only a bool
@named_nodes("CholeskySolveBackward0")
def cholesky_solve(input, input2, upper: bool = False) -> Tensor:
    """The solution ``X`` of ``A X = input`` given ``A``'s Cholesky factor ``input2``
    (lower, or upper with ``upper=True``), as ``torch.cholesky_solve``: ``input`` is always
    a (batch of) matrix, the batch dimensions broadcast; gradients reach both.

    Raises:
        ArgumentError: ``input`` with fewer than 2 dimensions (PyTorch's RuntimeError).
    """
    factor = as_input("cholesky_solve", input2, "input2")
    rhs = as_input("cholesky_solve", input)
    if rhs.ndim < 2:
        msg = f"cholesky_solve: b should have at least 2 dimensions, but has {rhs.ndim} dimensions"
        raise ArgumentError(msg)
    matrix = factor.mT @ factor if upper else factor @ factor.mT
    batch = tuple(numpy.broadcast_shapes(rhs.shape[:-2], matrix.shape[:-2]))
    # the same batch on both: linalg.solve would read a (n, n) input next to (n, n, n)
    # factors as a batch of vectors
    return linalg.solve(
        matrix.expand(*batch, *matrix.shape[-2:]), rhs.expand(*batch, *rhs.shape[-2:])
    )


@flags_checked("xpnet")
@named_nodes("CholeskyInverseBackward0")
def cholesky_inverse(input, upper: bool = False) -> Tensor:
    """The inverse of ``A`` given its Cholesky factor ``input`` (lower, or upper with
    ``upper=True``), as ``torch.cholesky_inverse``."""
    factor = as_input("cholesky_inverse", input)
    return linalg.inv(factor.mT @ factor if upper else factor @ factor.mT)


@flags_checked("xpnet")
def qr(input, some: bool = True):
    """The QR factorization ``(Q, R)``, reduced (``some=True``) or complete, as the
    deprecated ``torch.qr`` (warns, as PyTorch): ``linalg.qr``'s named tuple."""
    _deprecated("qr", "qr")
    return linalg.qr(as_input("qr", input), "reduced" if some else "complete")


@flags_checked("xpnet")
def svd(input, some: bool = True, compute_uv: bool = True) -> SVD:
    """The singular value decomposition ``input = U diag(S) V^T``, as ``torch.svd``: ``V``,
    not ``linalg.svd``'s ``Vh``; reduced with ``some=True``. With ``compute_uv=False``,
    ``U`` and ``V`` are zeros of shapes ``(*, m, m)`` and ``(*, n, n)``, as PyTorch's.

    Example:
        >>> import xpnet
        >>> xpnet.svd(xpnet.ones(3, 2), some=False).V.shape
        (2, 2)
    """
    matrices = as_input("svd", input)
    if not compute_uv:
        *batch, m, n = matrices.shape
        S = linalg.svdvals(matrices)
        return SVD(matrices.new_zeros((*batch, m, m)), S, matrices.new_zeros((*batch, n, n)))
    U, S, Vh = linalg.svd(matrices, full_matrices=not some)
    return SVD(U, S, Vh.mT)


def _matrices(name: str, batched: bool):
    def transposed(self) -> Tensor:
        if self.ndim != 2 and not (batched and self.ndim > 2):
            what = "matrices or batches of matrices" if batched else "matrices (2-D tensors)"
            msg = f"Tensor.{name}: only supported on {what}, got a {self.ndim}-D tensor"
            raise ArgumentError(msg)
        return self.transpose(-2, -1)

    transposed.__name__ = name
    transposed.__doc__ = f"The transpose of the last two dimensions, as ``Tensor.{name}``."
    return transposed


def adjoint(input) -> Tensor:
    """The transpose of the last two dimensions of a (batch of) real matrix, as
    ``torch.adjoint`` (the conjugate transpose; xpnet's tensors are real). A view."""
    return METHODS["adjoint"](as_input("adjoint", input))


@named_nodes("TriangularSolveBackward0")
def triangular_solve(
    input, A, upper: bool = True, transpose: bool = False, unitriangular: bool = False
) -> TriangularSolve:
    """The ``X`` of ``A X = input`` (``A^T X = input`` with ``transpose``) for the ``upper``
    or lower triangle of ``A``, and a copy of ``A``, as the deprecated
    ``torch.triangular_solve`` (warns, as PyTorch): ``linalg.solve_triangular``'s values and
    gradients.

    Example:
        >>> import warnings, xpnet
        >>> A = xpnet.tensor([[2.0, 1.0], [0.0, 4.0]], dtype=xpnet.float64)
        >>> with warnings.catch_warnings():
        ...     warnings.simplefilter("ignore")
        ...     xpnet.triangular_solve(xpnet.ones(2, 1).double(), A).solution
        tensor([[0.3750],
                [0.2500]], dtype=xpnet.float64)
    """
    _deprecated("triangular_solve", "solve_triangular")
    A = as_input("triangular_solve", A, "A")
    coefficient = A.mT if transpose else A
    solution = linalg.solve_triangular(
        coefficient,
        as_input("triangular_solve", input),
        upper=upper != transpose,
        unitriangular=unitriangular,
    )
    return TriangularSolve(solution, A.clone())


def lu_solve(b, LU_data, LU_pivots) -> Tensor:  # noqa: N803 - PyTorch's names
    """The ``X`` of ``A X = b`` from ``A``'s ``lu_factor`` (``LU_data``, ``LU_pivots``), as the
    deprecated ``torch.lu_solve`` (warns, as PyTorch): ``linalg.lu_solve``'s values and
    gradients."""
    _deprecated("lu_solve", "lu_solve")
    return linalg.lu_solve(LU_data, LU_pivots, as_input("lu_solve", b, "b"))


METHODS = {
    "det": lambda self: linalg.det(self),
    "logdet": logdet,
    "slogdet": slogdet,
    "inverse": lambda self: linalg.inv(self),
    "pinverse": pinverse,
    "matrix_power": matrix_power,
    "matrix_exp": lambda self: linalg.matrix_exp(self),
    "cholesky": cholesky,
    "cholesky_solve": cholesky_solve,
    "cholesky_inverse": cholesky_inverse,
    "qr": qr,
    "svd": svd,
    "adjoint": _matrices("adjoint", True),
    "mH": property(_matrices("mH", True)),
    "H": property(_matrices("H", False)),
    "triangular_solve": triangular_solve,
    "lu_solve": lu_solve,
}
