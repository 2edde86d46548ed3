"""Distributions built on :class:`Gamma`, as ``torch.distributions``': :class:`Chi2` (a Gamma),
:class:`StudentT` and :class:`FisherSnedecor` (ratios of gamma draws) and :class:`InverseGamma`
(``1 / X``, a :class:`TransformedDistribution`). Their ``rsample`` inherits the gamma draws'
implicit reparameterisation gradients."""

from __future__ import annotations

import math

from .._creation import ones
from .._random_tensors import randn
from .._tensor_elementwise import digamma, lgamma
from .._tensor_index import where
from .._torch_aliases import finfo
from . import constraints
from .distribution import Distribution
from .gamma import Gamma
from .transformed_distribution import TransformedDistribution
from .transforms_elementwise import PowerTransform
from .utils import batch_shape_of, broadcast_all, device_of

__all__ = ["Chi2", "FisherSnedecor", "InverseGamma", "StudentT"]


class Chi2(Gamma):
    """The chi-squared distribution of ``df`` degrees of freedom: ``Gamma(df / 2, 1 / 2)``.

    Args:
        df: a positive float or Tensor.
        validate_args: see :class:`Distribution`.

    Example:
        >>> import xpnet
        >>> Chi2(xpnet.tensor([1.0, 4.0], dtype=xpnet.float64)).variance
        tensor([2., 8.], dtype=xpnet.float64)
    """

    arg_constraints = {"df": constraints.positive}

    def __init__(self, df, validate_args: bool | None = None):
        super().__init__(0.5 * df, 0.5, validate_args=validate_args)

    @property
    def df(self):
        return self.concentration * 2


class StudentT(Distribution):
    r"""Student's t distribution of ``df`` degrees of freedom, location ``loc`` and ``scale``.
    The mean is NaN for ``df <= 1``; the variance infinite for ``1 < df <= 2``, NaN below.

    Args:
        df: a positive float or Tensor.
        loc: a float or Tensor. Default: 0.
        scale: a positive float or Tensor. Default: 1.
        validate_args: see :class:`Distribution`.

    Example:
        >>> import xpnet
        >>> d = StudentT(xpnet.tensor([1.0, 3.0], dtype=xpnet.float64))
        >>> d.log_prob(xpnet.tensor([0.0, 0.0], dtype=xpnet.float64))
        tensor([-1.1447, -1.0009], dtype=xpnet.float64)
    """

    arg_constraints = {
        "df": constraints.positive,
        "loc": constraints.real,
        "scale": constraints.positive,
    }
    support = constraints.real
    has_rsample = True

    def __init__(self, df, loc=0.0, scale=1.0, validate_args: bool | None = None):
        self.df, self.loc, self.scale = broadcast_all(df, loc, scale)
        self._chi2 = Chi2(self.df)
        super().__init__(tuple(self.df.shape), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        shape = tuple(batch_shape)
        return self._expanded(
            StudentT,
            shape,
            df=self.df.expand(shape),
            loc=self.loc.expand(shape),
            scale=self.scale.expand(shape),
            _chi2=self._chi2.expand(shape),
        )

    @property
    def mean(self):
        return where(self.df <= 1, math.nan, self.loc)

    @property
    def mode(self):
        return self.loc

    @property
    def variance(self):
        finite = self.df > 2
        df = where(finite, self.df, 3.0)  # no inf * 0 in the gradient of the other branches
        result = self.scale.pow(2) * df / (df - 2)
        return where(finite, result, where(self.df > 1, math.inf, math.nan))

    def rsample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        x = randn(shape, dtype=self.df.dtype, device=device_of(self.df))
        z = self._chi2.rsample(sample_shape)
        return self.loc + self.scale * (x * (z / self.df).rsqrt())

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        y = (value - self.loc) / self.scale
        log_norm = (
            self.scale.log()
            + 0.5 * self.df.log()
            + 0.5 * math.log(math.pi)
            + lgamma(0.5 * self.df)
            - lgamma(0.5 * (self.df + 1.0))
        )
        return -0.5 * (self.df + 1.0) * (y**2.0 / self.df).log1p() - log_norm

    def entropy(self):
        half = 0.5 * self.df
        lbeta = lgamma(half) + math.lgamma(0.5) - lgamma(half + 0.5)
        return (
            self.scale.log()
            + 0.5 * (self.df + 1) * (digamma(half + 0.5) - digamma(half))
            + 0.5 * self.df.log()
            + lbeta
        )


class FisherSnedecor(Distribution):
    """Fisher-Snedecor's F distribution of ``df1`` and ``df2`` degrees of freedom. The mean is
    NaN for ``df2 <= 2``, the variance for ``df2 <= 4`` and the mode for ``df1 <= 2``.

    Args:
        df1: a positive float or Tensor.
        df2: a positive float or Tensor.
        validate_args: see :class:`Distribution`.

    Example:
        >>> import xpnet
        >>> FisherSnedecor(xpnet.tensor([3.0, 5.0], dtype=xpnet.float64), 6.0).mean
        tensor([1.5000, 1.5000], dtype=xpnet.float64)
    """

    arg_constraints = {"df1": constraints.positive, "df2": constraints.positive}
    support = constraints.positive
    has_rsample = True

    def __init__(self, df1, df2, validate_args: bool | None = None):
        self.df1, self.df2 = broadcast_all(df1, df2)
        self._gamma1 = Gamma(self.df1 * 0.5, self.df1)
        self._gamma2 = Gamma(self.df2 * 0.5, self.df2)
        super().__init__(batch_shape_of(self.df1, df1, df2), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        shape = tuple(batch_shape)
        return self._expanded(
            FisherSnedecor,
            shape,
            df1=self.df1.expand(shape),
            df2=self.df2.expand(shape),
            _gamma1=self._gamma1.expand(shape),
            _gamma2=self._gamma2.expand(shape),
        )

    @property
    def mean(self):
        df2 = where(self.df2 <= 2, math.nan, self.df2)  # torch's masked NaN (gradient 0 there)
        return df2 / (df2 - 2)

    @property
    def mode(self):
        mode = (self.df1 - 2) / self.df1 * self.df2 / (self.df2 + 2)
        return where(self.df1 <= 2, math.nan, mode)

    @property
    def variance(self):
        # torch's masked NaN: the gradient to df1 is NaN there too, as torch's
        df2 = where(self.df2 <= 4, math.nan, self.df2)
        return 2 * df2.pow(2) * (self.df1 + df2 - 2) / (self.df1 * (df2 - 2).pow(2) * (df2 - 4))

    def rsample(self, sample_shape=()):
        tiny = finfo(self.df1.dtype).tiny
        x1 = self._gamma1.rsample(sample_shape)
        x2 = self._gamma2.rsample(sample_shape).clamp(min=tiny)
        return (x1 / x2).clamp(min=tiny)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        ct1, ct2, ct3 = self.df1 * 0.5, self.df2 * 0.5, self.df1 / self.df2
        t1 = lgamma(ct1 + ct2) - lgamma(ct1) - lgamma(ct2)
        t2 = ct1 * ct3.log() + (ct1 - 1) * value.log()
        t3 = (ct1 + ct2) * (ct3 * value).log1p()
        return t1 + t2 - t3


class InverseGamma(TransformedDistribution):
    """The distribution of ``1 / X`` for ``X ~ Gamma(concentration, rate)``. The mean is
    infinite for ``concentration <= 1``, the variance for ``concentration <= 2``.

    Args:
        concentration: a positive float or Tensor.
        rate: a positive float or Tensor (the scale of ``1 / X``).
        validate_args: see :class:`Distribution`.

    Example:
        >>> import xpnet
        >>> InverseGamma(xpnet.tensor([3.0, 0.5], dtype=xpnet.float64), 2.0).mean
        tensor([1., inf], dtype=xpnet.float64)
    """

    arg_constraints = {"concentration": constraints.positive, "rate": constraints.positive}
    support = constraints.positive
    has_rsample = True

    def __init__(self, concentration, rate, validate_args: bool | None = None):
        base = Gamma(concentration, rate, validate_args=validate_args)
        neg_one = -ones((), dtype=base.rate.dtype, device=device_of(base.rate))
        super().__init__(base, PowerTransform(neg_one), validate_args=validate_args)

    @property
    def concentration(self):
        return self.base_dist.concentration

    @property
    def rate(self):
        return self.base_dist.rate

    @property
    def mean(self):
        result = self.rate / (self.concentration - 1)
        return where(self.concentration > 1, result, math.inf)

    @property
    def mode(self):
        return self.rate / (self.concentration + 1)

    @property
    def variance(self):
        c = self.concentration
        result = self.rate.square() / ((c - 1).square() * (c - 2))
        return where(c > 2, result, math.inf)

    def entropy(self):
        c = self.concentration
        return c + self.rate.log() + lgamma(c) - (1 + c) * digamma(c)
