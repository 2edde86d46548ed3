"""The multivariate normal with a low-rank plus diagonal covariance,
:class:`LowRankMultivariateNormal`, as ``torch.distributions``': its log-density and entropy
go through the small ``m x m`` capacitance matrix (Woodbury identity, matrix determinant
lemma), never the ``n x n`` covariance."""

from __future__ import annotations

import math

from .. import linalg
from .._creation import eye
from .._random_tensors import randn
from .._tensor_grids import broadcast_tensors
from ..kernels import ArgumentError
from . import constraints
from .distribution import Distribution
from .multivariate_normal import batch_mahalanobis
from .utils import as_parameter, device_of, lazy_property

__all__ = [
    "LowRankMultivariateNormal",
    "capacitance_tril",
    "lowrank_logdet",
    "lowrank_mahalanobis",
]


def _plus_identity(K):
    return K + eye(K.shape[-1], dtype=K.dtype, device=device_of(K))


def capacitance_tril(W, D):
    """The Cholesky factor of the capacitance ``I + W^T D^{-1} W`` of factors ``W`` ``(*, n,
    m)`` and diagonals ``D`` ``(*, n)``.

    Example:
        >>> import xpnet
        >>> W = xpnet.tensor([[1.0], [0.0]], dtype=xpnet.float64)
        >>> capacitance_tril(W, xpnet.ones(2, dtype=xpnet.float64))
        tensor([[1.4142]], dtype=xpnet.float64)
    """
    Wt_Dinv = W.mT / D.unsqueeze(-2)
    return linalg.cholesky(_plus_identity(Wt_Dinv @ W))


def lowrank_logdet(W, D, capacitance):
    """``log |W W^T + D|`` by the matrix determinant lemma: ``log |C| + log |D|``, ``C`` the
    capacitance, given by its factor ``capacitance`` (:func:`capacitance_tril`).

    Example:
        >>> import xpnet
        >>> W = xpnet.tensor([[1.0], [0.0]], dtype=xpnet.float64)
        >>> D = xpnet.ones(2, dtype=xpnet.float64)
        >>> lowrank_logdet(W, D, capacitance_tril(W, D))
        tensor(0.6931, dtype=xpnet.float64)
    """
    return 2 * capacitance.diagonal(dim1=-2, dim2=-1).log().sum(-1) + D.log().sum(-1)


def lowrank_mahalanobis(W, D, x, capacitance):
    """``x^T (W W^T + D)^{-1} x`` by the Woodbury identity, through the capacitance's factor.

    Example:
        >>> import xpnet
        >>> W = xpnet.tensor([[1.0], [0.0]], dtype=xpnet.float64)
        >>> D = xpnet.ones(2, dtype=xpnet.float64)
        >>> lowrank_mahalanobis(W, D, D, capacitance_tril(W, D))
        tensor(1.5000, dtype=xpnet.float64)
    """
    Wt_Dinv = W.mT / D.unsqueeze(-2)
    Wt_Dinv_x = (Wt_Dinv @ x.unsqueeze(-1)).squeeze(-1)
    return (x.pow(2) / D).sum(-1) - batch_mahalanobis(capacitance, Wt_Dinv_x)


def _check_shapes(loc, cov_factor, cov_diag):
    """torch's ValueErrors for the ranks and event sizes of the three parameters."""
    if getattr(loc, "ndim", 0) < 1:
        raise ValueError("loc must be at least one-dimensional.")
    n = loc.shape[-1]
    if cov_factor.ndim < 2:
        msg = "cov_factor must be at least two-dimensional, with optional leading batch dimensions"
        raise ValueError(msg)
    if cov_factor.shape[-2] != n:
        raise ValueError(f"cov_factor must be a batch of matrices with shape {n} x m")
    if tuple(cov_diag.shape[-1:]) != (n,):
        raise ValueError(f"cov_diag must be a batch of vectors with shape {(n,)}")


class LowRankMultivariateNormal(Distribution):
    r"""The normal distribution of vectors with mean ``loc`` and covariance
    :math:`\Sigma = W W^T + \operatorname{diag}(D)`, ``W = cov_factor``, ``D = cov_diag``.

    Args:
        loc: the mean, ``(*, n)``.
        cov_factor: the factor ``W``, ``(*, n, m)`` (rank ``m``, usually ``m << n``).
        cov_diag: the diagonal ``D``, positive, ``(*, n)``.
        validate_args: see :class:`Distribution`.

    Raises:
        ValueError: parameters of the wrong rank or event size, or batch shapes that do not
            broadcast (torch's messages).

    Example:
        >>> import xpnet
        >>> loc = xpnet.zeros(2, dtype=xpnet.float64)
        >>> W = xpnet.tensor([[1.0], [0.0]], dtype=xpnet.float64)
        >>> d = LowRankMultivariateNormal(loc, W, xpnet.ones(2, dtype=xpnet.float64))
        >>> d.log_prob(loc), d.variance
        (tensor(-2.1845, dtype=xpnet.float64), tensor([2., 1.], dtype=xpnet.float64))
    """

    arg_constraints = {
        "loc": constraints.real_vector,
        "cov_factor": constraints.independent(constraints.real, 2),
        "cov_diag": constraints.independent(constraints.positive, 1),
    }
    support = constraints.real_vector
    has_rsample = True

    def __init__(self, loc, cov_factor, cov_diag, validate_args: bool | None = None):
        loc, cov_factor = as_parameter(loc), as_parameter(cov_factor)
        cov_diag = as_parameter(cov_diag)
        _check_shapes(loc, cov_factor, cov_diag)
        try:
            loc_, self.cov_factor, cov_diag_ = broadcast_tensors(
                loc.unsqueeze(-1), cov_factor, cov_diag.unsqueeze(-1)
            )
        except ArgumentError:
            msg = (
                f"Incompatible batch shapes: loc {tuple(loc.shape)}, cov_factor "
                f"{tuple(cov_factor.shape)}, cov_diag {tuple(cov_diag.shape)}"
            )
            raise ValueError(msg) from None
        self.loc, self.cov_diag = loc_[..., 0], cov_diag_[..., 0]
        self._unbroadcasted_cov_factor = cov_factor
        self._unbroadcasted_cov_diag = cov_diag
        self._capacitance_tril = capacitance_tril(cov_factor, cov_diag)
        batch_shape, event_shape = tuple(self.loc.shape[:-1]), tuple(loc.shape[-1:])
        super().__init__(batch_shape, event_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        shape = tuple(batch_shape)
        loc_shape = shape + self._event_shape
        return self._expanded(
            LowRankMultivariateNormal,
            shape,
            loc=self.loc.expand(loc_shape),
            cov_diag=self.cov_diag.expand(loc_shape),
            cov_factor=self.cov_factor.expand(loc_shape + tuple(self.cov_factor.shape[-1:])),
            _unbroadcasted_cov_factor=self._unbroadcasted_cov_factor,
            _unbroadcasted_cov_diag=self._unbroadcasted_cov_diag,
            _capacitance_tril=self._capacitance_tril,
        )

    @property
    def mean(self):
        return self.loc

    @property
    def mode(self):
        return self.loc

    def _matrix(self, matrix):
        return matrix.expand(self._batch_shape + self._event_shape + self._event_shape)

    @lazy_property
    def variance(self):
        W, D = self._unbroadcasted_cov_factor, self._unbroadcasted_cov_diag
        return (W.pow(2).sum(-1) + D).expand(self._batch_shape + self._event_shape)

    @lazy_property
    def scale_tril(self):
        # L = D^(1/2) chol(I + D^(-1/2) W W^T D^(-1/2)), torch's construction
        D_sqrt = self._unbroadcasted_cov_diag.sqrt().unsqueeze(-1)
        Dinvsqrt_W = self._unbroadcasted_cov_factor / D_sqrt
        return self._matrix(D_sqrt * linalg.cholesky(_plus_identity(Dinvsqrt_W @ Dinvsqrt_W.mT)))

    @lazy_property
    def covariance_matrix(self):
        W, D = self._unbroadcasted_cov_factor, self._unbroadcasted_cov_diag
        return self._matrix(W @ W.mT + D.diag_embed())

    @lazy_property
    def precision_matrix(self):
        W, D = self._unbroadcasted_cov_factor, self._unbroadcasted_cov_diag
        A = linalg.solve_triangular(self._capacitance_tril, W.mT / D.unsqueeze(-2), upper=False)
        return self._matrix(D.reciprocal().diag_embed() - A.mT @ A)

    def rsample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        rank_shape = shape[:-1] + tuple(self.cov_factor.shape[-1:])
        device = device_of(self.loc)
        eps_W = randn(rank_shape, dtype=self.loc.dtype, device=device)
        eps_D = randn(shape, dtype=self.loc.dtype, device=device)
        W_eps = (self._unbroadcasted_cov_factor @ eps_W.unsqueeze(-1)).squeeze(-1)
        return self.loc + W_eps + self._unbroadcasted_cov_diag.sqrt() * eps_D

    def _log_det(self):
        W, D = self._unbroadcasted_cov_factor, self._unbroadcasted_cov_diag
        return lowrank_logdet(W, D, self._capacitance_tril)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        W, D = self._unbroadcasted_cov_factor, self._unbroadcasted_cov_diag
        M = lowrank_mahalanobis(W, D, value - self.loc, self._capacitance_tril)
        return -0.5 * (self._event_shape[0] * math.log(2 * math.pi) + self._log_det() + M)

    def entropy(self):
        H = 0.5 * (self._event_shape[0] * (1.0 + math.log(2 * math.pi)) + self._log_det())
        return H if not self._batch_shape else H.expand(self._batch_shape)
