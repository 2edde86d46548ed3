"""The Wishart distribution of positive-definite matrices, :class:`Wishart`, as
``torch.distributions``': computed through the lower Cholesky factor of the scale matrix, drawn
by the Bartlett decomposition (chi-square diagonal, normal strict lower triangle)."""

from __future__ import annotations

import math
import warnings

from .. import linalg
from .._creation import full
from .._random_tensors import randn
from .._ranges import arange
from .._tensor_elementwise import digamma, mvlgamma
from .._tensor_index import where
from .._tensor_linalg import cholesky_inverse, cholesky_solve
from .._torch_aliases import broadcast_shapes, finfo
from . import constraints
from .exp_family import ExponentialFamily
from .gamma import standard_gamma
from .multivariate_normal import precision_to_scale_tril
from .transforms_matrix import vec_to_tril_matrix
from .utils import as_parameter, device_of, lazy_property

__all__ = ["Wishart", "mvdigamma"]

_LOG_2 = math.log(2)


def mvdigamma(x, p: int):
    """The multivariate digamma function ``sum_i digamma(x - i / 2)``, ``i < p``.

    Raises:
        ValueError: ``x <= (p - 1) / 2`` somewhere (a host read).

    Example:
        >>> import xpnet
        >>> mvdigamma(xpnet.tensor([2.0], dtype=xpnet.float64), 2)
        tensor([0.4593], dtype=xpnet.float64)
    """
    if not bool((x > (p - 1) / 2).all().item()):
        raise ValueError(f"mvdigamma: x must be greater than (p - 1) / 2 = {(p - 1) / 2}")
    halves = arange(p, dtype=x.dtype, device=device_of(x)) / 2
    return digamma(x.unsqueeze(-1) - halves).sum(-1)


def _given_matrix(covariance_matrix, precision_matrix, scale_tril):
    given = [
        (name, m)
        for name, m in (
            ("covariance_matrix", covariance_matrix),
            ("precision_matrix", precision_matrix),
            ("scale_tril", scale_tril),
        )
        if m is not None
    ]
    if len(given) != 1:
        msg = "Exactly one of covariance_matrix or precision_matrix or scale_tril may be specified."
        raise AssertionError(msg)  # torch's exception type
    name, matrix = given[0]
    if matrix.ndim < 2:
        msg = "scale_tril must be at least two-dimensional, with optional leading batch dimensions"
        raise ValueError(msg)
    return name, matrix


class Wishart(ExponentialFamily):
    r"""The Wishart distribution of ``p x p`` positive-definite matrices with ``df`` degrees of
    freedom and a scale :math:`\Sigma` given by exactly one of ``covariance_matrix``,
    ``precision_matrix`` (:math:`\Sigma^{-1}`) or ``scale_tril`` (:math:`L`,
    :math:`\Sigma = L L^T`): the law of :math:`\sum_{k=1}^{df} x_k x_k^T`,
    :math:`x_k \sim N(0, \Sigma)`.

    Args:
        df: degrees of freedom, a float or Tensor greater than ``p - 1``.
        covariance_matrix: positive-definite ``(*, p, p)``.
        precision_matrix: positive-definite ``(*, p, p)``.
        scale_tril: lower-triangular ``(*, p, p)`` with a positive diagonal.
        validate_args: see :class:`Distribution`.

    Raises:
        AssertionError: not exactly one matrix (torch's type).
        ValueError: a matrix with fewer than 2 dimensions, or ``df <= p - 1``.

    Note:
        ``rsample`` is differentiable in the scale; its chi-square draws come from xpnet's
        host gamma sampler, so no gradient reaches ``df`` (torch's reparameterises it).
        Singular draws (possible for ``p - 1 < df < p``) are drawn again up to
        ``max_try_correction`` times, with a warning; torch 2.13 inverts that test and warns
        on every draw, xpnet warns only when one was singular.

    Example:
        >>> import xpnet
        >>> d = Wishart(xpnet.tensor(4.0, dtype=xpnet.float64), xpnet.eye(2, dtype=xpnet.float64))
        >>> d.log_prob(xpnet.eye(2, dtype=xpnet.float64)), d.mean[0]
        (tensor(-4.2242, dtype=xpnet.float64), tensor([4., 0.], dtype=xpnet.float64))
    """

    _mean_carrier_measure = 0
    support = constraints.positive_definite
    has_rsample = True

    @property
    def arg_constraints(self):
        return {
            "covariance_matrix": constraints.positive_definite,
            "precision_matrix": constraints.positive_definite,
            "scale_tril": constraints.lower_cholesky,
            "df": constraints.greater_than(self.event_shape[-1] - 1),
        }

    def __init__(
        self,
        df,
        covariance_matrix=None,
        precision_matrix=None,
        scale_tril=None,
        validate_args: bool | None = None,
    ):
        name, matrix = _given_matrix(
            as_parameter(covariance_matrix),
            as_parameter(precision_matrix),
            as_parameter(scale_tril),
        )
        df = as_parameter(df)
        if hasattr(df, "shape"):
            batch_shape = tuple(broadcast_shapes(tuple(matrix.shape[:-2]), tuple(df.shape)))
            self.df = df.expand(batch_shape)
        else:
            batch_shape = tuple(matrix.shape[:-2])
            self.df = full((), float(df), dtype=matrix.dtype, device=device_of(matrix))
        p = matrix.shape[-1]
        if bool((self.df <= p - 1).any().item()):
            msg = f"Value of df={df} expected to be greater than ndim - 1 = {p - 1}."
            raise ValueError(msg)
        setattr(self, name, matrix.expand(batch_shape + (-1, -1)))
        if bool((self.df < p).any().item()):
            msg = (
                "Low df values detected. Singular samples are highly likely to occur for "
                "ndim - 1 < df < ndim."
            )
            warnings.warn(msg, stacklevel=2)
        super().__init__(batch_shape, tuple(matrix.shape[-2:]), validate_args=validate_args)
        if name == "scale_tril":
            self._unbroadcasted_scale_tril = matrix
        elif name == "covariance_matrix":
            self._unbroadcasted_scale_tril = linalg.cholesky(matrix)
        else:
            self._unbroadcasted_scale_tril = precision_to_scale_tril(matrix)

    def expand(self, batch_shape, _instance=None):
        shape = tuple(batch_shape)
        matrix_shape = shape + self._event_shape
        given = {
            k: self.__dict__[k].expand(matrix_shape)
            for k in ("covariance_matrix", "scale_tril", "precision_matrix")
            if k in self.__dict__
        }
        scale_tril = self._unbroadcasted_scale_tril.expand(matrix_shape)
        return self._expanded(
            Wishart,
            shape,
            df=self.df.expand(shape),
            _unbroadcasted_scale_tril=scale_tril,
            **given,
        )

    def _matrix(self, matrix):
        return matrix.expand(self._batch_shape + self._event_shape)

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

    def _df_matrix(self):
        return self.df.reshape(self._batch_shape + (1, 1))

    @property
    def mean(self):
        return self._df_matrix() * self.covariance_matrix

    @property
    def mode(self):
        factor = self.df - self.covariance_matrix.shape[-1] - 1
        factor = where(factor <= 0, math.nan, factor)  # no mode for df <= p + 1
        return factor.reshape(self._batch_shape + (1, 1)) * self.covariance_matrix

    @property
    def variance(self):
        V = self.covariance_matrix
        diag_V = V.diagonal(dim1=-2, dim2=-1)
        return self._df_matrix() * (V.pow(2) + diag_V.unsqueeze(-1) * diag_V.unsqueeze(-2))

    def _bartlett_sampling(self, sample_shape):
        """Sigma^(1/2) A A^T Sigma^(1/2) with A lower triangular: chi(df - i) on the
        diagonal, N(0, 1) below (Bartlett's decomposition)."""
        p = self._event_shape[-1]
        L = self._unbroadcasted_scale_tril
        shape = tuple(sample_shape) + self._batch_shape
        chi2_df = self.df.detach().unsqueeze(-1) - arange(p, dtype=L.dtype, device=device_of(L))
        chi2 = 2 * standard_gamma((chi2_df / 2).expand(shape + (p,)))
        diagonal = chi2.sqrt().clamp(min=finfo(L.dtype).eps)
        below = randn(shape + (p * (p - 1) // 2,), dtype=L.dtype, device=device_of(L))
        noise = vec_to_tril_matrix(below, diag=-1) + diagonal.diag_embed()
        chol = L @ noise
        return chol @ chol.mT

    def rsample(self, sample_shape=(), max_try_correction=None):
        """Bartlett draws, differentiable in the scale; singular ones are drawn again up to
        ``max_try_correction`` (default 10) times."""
        max_try_correction = 10 if max_try_correction is None else max_try_correction
        sample = self._bartlett_sampling(sample_shape)
        singular = ~self.support.check(sample.detach())
        if not bool(singular.any().item()):
            return sample
        warnings.warn("Singular sample detected.", stacklevel=2)
        for _ in range(max_try_correction):
            sample_new = self._bartlett_sampling(sample_shape)
            sample = where(singular.unsqueeze(-1).unsqueeze(-1), sample_new, sample)
            singular = ~self.support.check(sample.detach())
            if not bool(singular.any().item()):
                break
        return sample

    def _half_log_det_term(self):
        p = self._event_shape[-1]
        log_diag = self._unbroadcasted_scale_tril.diagonal(dim1=-2, dim2=-1).log().sum(-1)
        return p * _LOG_2 / 2 + log_diag

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        nu, p = self.df, self._event_shape[-1]
        # torch's cholesky_solve, not two triangular solves: its gradient reaches the whole
        # factor (upper triangle included), as torch's does
        solved = cholesky_solve(value, self._unbroadcasted_scale_tril)
        trace = solved.diagonal(dim1=-2, dim2=-1)
        return (
            -nu * self._half_log_det_term()
            - mvlgamma(nu / 2, p=p)
            + (nu - p - 1) / 2 * linalg.slogdet(value).logabsdet
            - trace.sum(-1) / 2
        )

    def entropy(self):
        nu, p = self.df, self._event_shape[-1]
        return (
            (p + 1) * self._half_log_det_term()
            + mvlgamma(nu / 2, p=p)
            - (nu - p - 1) / 2 * mvdigamma(nu / 2, p=p)
            + nu * p / 2
        )

    @property
    def _natural_params(self):
        p = self._event_shape[-1]
        return -self.precision_matrix / 2, (self.df - p - 1) / 2

    def _log_normalizer(self, x, y):
        p = self._event_shape[-1]
        half_df = y + (p + 1) / 2
        log_det = linalg.slogdet(-2 * x).logabsdet
        return half_df * (-log_det + math.log(2) * p) + mvlgamma(half_df, p=p)
