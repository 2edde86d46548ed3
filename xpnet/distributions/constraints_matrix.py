"""The matrix constraints of ``torch.distributions.constraints`` (``event_dim`` 2): square,
symmetric, positive (semi)definite, lower triangular, lower Cholesky and correlation Cholesky
factors. :mod:`xpnet.distributions.constraints` holds their instances (``square``,
``positive_definite``, ...), as torch's module does.

Example:
    >>> import xpnet
    >>> Symmetric().check(xpnet.tensor([[1.0, 2.0], [2.0, 1.0]]))
    tensor(True)
"""

from __future__ import annotations

from .. import linalg
from .._creation import full
from .._torch_aliases import finfo
from ..autograd import Tensor
from .constraint_base import Constraint

__all__ = [
    "CorrCholesky",
    "LowerCholesky",
    "LowerTriangular",
    "PositiveDefinite",
    "PositiveSemidefinite",
    "Square",
    "Symmetric",
]


def _is_lower_triangular(value: Tensor) -> Tensor:
    return (value.tril() == value).reshape(tuple(value.shape[:-2]) + (-1,)).all(-1)


class LowerTriangular(Constraint):
    event_dim = 2

    def check(self, value):
        return _is_lower_triangular(value)


class LowerCholesky(Constraint):
    event_dim = 2

    def check(self, value):
        positive_diagonal = (value.diagonal(dim1=-2, dim2=-1) > 0).all(-1)
        return _is_lower_triangular(value) & positive_diagonal


class CorrCholesky(Constraint):
    """Lower Cholesky factors of correlation matrices: rows of unit length, to torch's
    tolerance ``10 * n * eps`` of the dtype."""

    event_dim = 2

    def check(self, value):
        tol = finfo(value.dtype).eps * value.shape[-1] * 10
        row_norm = linalg.vector_norm(value.detach(), dim=-1)
        unit_row_norm = ((row_norm - 1.0).abs() <= tol).all(-1)
        return LowerCholesky().check(value) & unit_row_norm


class Square(Constraint):
    """Square matrices: one answer for the whole batch, from the shape alone, as torch's."""

    event_dim = 2

    def check(self, value):
        square = value.shape[-2] == value.shape[-1]
        return full(tuple(value.shape[:-2]), square, dtype="bool", device=value.device)


class Symmetric(Square):
    """Square and equal to the transpose, to torch's ``isclose(value, value.mT, atol=1e-6)``
    (``rtol`` 1e-5); a batch with a non-square shape is all False."""

    def check(self, value):
        square = super().check(value)
        if not square.all().item():  # a host read, as torch's
            return square
        close = (value - value.mT).abs() <= 1e-6 + 1e-5 * value.mT.abs()
        return close.all(-1).all(-1)


class PositiveSemidefinite(Symmetric):
    """Symmetric, with no negative eigenvalue."""

    def check(self, value):
        symmetric = super().check(value)
        if not symmetric.all().item():
            return symmetric
        return (linalg.eigvalsh(value) >= 0).all(-1)


class PositiveDefinite(Symmetric):
    """Symmetric, with a Cholesky factor."""

    def check(self, value):
        symmetric = super().check(value)
        if not symmetric.all().item():
            return symmetric
        return linalg.cholesky_ex(value.detach()).info == 0
