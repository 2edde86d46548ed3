"""The multivariate normal distribution, :class:`MultivariateNormal`, as
``torch.distributions``', computed through the lower Cholesky factor ``L`` of the covariance
(``xpnet.linalg.cholesky`` and ``solve_triangular``), kept unbroadcast over the batch."""

from __future__ import annotations

import math

from .. import linalg
from .._creation import eye
from .._random_tensors import randn
from .._tensor_linalg import cholesky_inverse
from .._tensor_shape_ops import flip
from .._torch_aliases import broadcast_shapes
from . import constraints
from .distribution import Distribution
from .utils import as_parameter, device_of, lazy_property

__all__ = ["MultivariateNormal", "batch_mahalanobis", "precision_to_scale_tril"]


def batch_mahalanobis(L, x):
    """The squared Mahalanobis distances ``x^T (L L^T)^{-1} x`` of the vectors ``x``
    ``(*, n)`` for the lower-triangular factors ``L`` ``(*, n, n)``, batches broadcast."""
    n = x.shape[-1]
    shape = tuple(broadcast_shapes(tuple(L.shape[:-2]), tuple(x.shape[:-1])))
    L, x = L.expand(shape + (n, n)), x.expand(shape + (n,))
    return linalg.solve_triangular(L, x.unsqueeze(-1), upper=False).squeeze(-1).pow(2).sum(-1)


def _inverse_tril(L):
    """``L^{-1}`` of lower-triangular ``L`` ``(*, n, n)``."""
    identity = eye(L.shape[-1], dtype=L.dtype, device=device_of(L))
    return linalg.solve_triangular(L, identity.expand(tuple(L.shape)), upper=False)


def precision_to_scale_tril(P):
    """The lower Cholesky factor ``L`` of ``P^{-1}`` for positive-definite ``P`` ``(*, n, n)``.

    Example:
        >>> import xpnet
        >>> precision_to_scale_tril(4 * xpnet.eye(2, dtype=xpnet.float64))
        tensor([[0.5000, 0.0000],
                [0.0000, 0.5000]], dtype=xpnet.float64)
    """
    # torch's construction: the Cholesky factor of P with rows and columns reversed gives the
    # inverse of a lower-triangular L with L L^T = P^{-1}, without inverting P
    Lf = linalg.cholesky(flip(P, (-2, -1)))
    L_inv = flip(Lf, (-2, -1)).mT
    return _inverse_tril(L_inv)


def _matrix_shape(name: str, matrix, loc) -> tuple[int, ...]:
    if matrix.ndim < 2:
        msg = f"{name} must be at least two-dimensional, with optional leading batch dimensions"
        raise ValueError(msg)
    return tuple(broadcast_shapes(tuple(matrix.shape[:-2]), tuple(loc.shape[:-1])))


class MultivariateNormal(Distribution):
    r"""The normal distribution of vectors with mean ``loc`` and a covariance given by exactly
    one of ``covariance_matrix``, ``precision_matrix`` (its inverse) or ``scale_tril`` (its
    lower Cholesky factor ``L``, :math:`\Sigma = L L^T`).

    Args:
        loc: the mean, a Tensor of shape ``(*, n)``.
        covariance_matrix: positive-definite ``(*, n, n)``.
        precision_matrix: positive-definite ``(*, n, n)``.
        scale_tril: lower-triangular ``(*, n, n)`` with a positive diagonal.
        validate_args: see :class:`Distribution`.

    Raises:
        ValueError: ``loc`` 0-d, not exactly one matrix, or a matrix with fewer than 2
            dimensions.

    Example:
        >>> import xpnet
        >>> loc = xpnet.zeros(2, dtype=xpnet.float64)
        >>> d = MultivariateNormal(loc, scale_tril=2 * xpnet.eye(2, dtype=xpnet.float64))
        >>> d.log_prob(loc), d.variance
        (tensor(-3.2242, dtype=xpnet.float64), tensor([4., 4.], dtype=xpnet.float64))
    """

    arg_constraints = {
        "loc": constraints.real_vector,
        "covariance_matrix": constraints.positive_definite,
        "precision_matrix": constraints.positive_definite,
        "scale_tril": constraints.lower_cholesky,
    }
    support = constraints.real_vector
    has_rsample = True

    def __init__(
        self,
        loc,
        covariance_matrix=None,
        precision_matrix=None,
        scale_tril=None,
        validate_args: bool | None = None,
    ):
        loc, covariance_matrix = as_parameter(loc), as_parameter(covariance_matrix)
        precision_matrix, scale_tril = as_parameter(precision_matrix), as_parameter(scale_tril)
        if getattr(loc, "ndim", 0) < 1:
            raise ValueError("loc must be at least one-dimensional.")
        matrices = {
            "scale_tril": scale_tril,
            "covariance_matrix": covariance_matrix,
            "precision_matrix": precision_matrix,
        }
        given = [(n, m) for n, m in matrices.items() if m is not None]
        if len(given) != 1:
            msg = (
                "Exactly one of covariance_matrix or precision_matrix or scale_tril "
                "may be specified."
            )
            raise ValueError(msg)
        ((name, matrix),) = given
        label = "scale_tril matrix" if name == "scale_tril" else name
        batch_shape = _matrix_shape(label, matrix, loc)
        setattr(self, name, matrix.expand(batch_shape + (-1, -1)))
        self.loc = loc.expand(batch_shape + (-1,))
        super().__init__(batch_shape, tuple(self.loc.shape[-1:]), validate_args=validate_args)
        if name == "scale_tril":
            self._unbroadcasted_scale_tril = matrix
        elif name == "covariance_matrix":
            self._unbroadcasted_scale_tril = linalg.cholesky(matrix)
        else:
            self._unbroadcasted_scale_tril = precision_to_scale_tril(matrix)

    def expand(self, batch_shape, _instance=None):
        shape = tuple(batch_shape)
        matrix_shape = shape + self._event_shape + self._event_shape
        params = {
            k: self.__dict__[k].expand(matrix_shape)
            for k in ("covariance_matrix", "scale_tril", "precision_matrix")
            if k in self.__dict__
        }
        return self._expanded(
            MultivariateNormal,
            shape,
            loc=self.loc.expand(shape + self._event_shape),
            _unbroadcasted_scale_tril=self._unbroadcasted_scale_tril,
            **params,
        )

    def _matrix(self, matrix):
        return matrix.expand(self._batch_shape + self._event_shape + self._event_shape)

    @lazy_property
    def scale_tril(self):
        return self._matrix(self._unbroadcasted_scale_tril)

    @lazy_property
    def covariance_matrix(self):
        L = self._unbroadcasted_scale_tril
        return self._matrix(L @ L.mT)

    @lazy_property
    def precision_matrix(self):
        # torch's cholesky_inverse: its gradient reaches the whole factor, as torch's does
        return self._matrix(cholesky_inverse(self._unbroadcasted_scale_tril))

    @property
    def mean(self):
        return self.loc

    @property
    def mode(self):
        return self.loc

    @property
    def variance(self):
        variance = self._unbroadcasted_scale_tril.pow(2).sum(-1)
        return variance.expand(self._batch_shape + self._event_shape)

    def rsample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        eps = randn(shape, dtype=self.loc.dtype, device=device_of(self.loc))
        return self.loc + (self._unbroadcasted_scale_tril @ eps.unsqueeze(-1)).squeeze(-1)

    def _half_log_det(self):
        return self._unbroadcasted_scale_tril.diagonal(dim1=-2, dim2=-1).log().sum(-1)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        M = batch_mahalanobis(self._unbroadcasted_scale_tril, value - self.loc)
        n = self._event_shape[0]
        return -0.5 * (n * math.log(2 * math.pi) + M) - self._half_log_det()

    def entropy(self):
        n = self._event_shape[0]
        H = 0.5 * n * (1.0 + math.log(2 * math.pi)) + self._half_log_det()
        return H if not self._batch_shape else H.expand(self._batch_shape)
