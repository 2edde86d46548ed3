"""Extreme-value and power-law distributions, as ``torch.distributions``': :class:`Gumbel`,
:class:`Weibull` and :class:`Pareto` (:class:`TransformedDistribution`\\ s of a uniform or
exponential draw, as there) and :class:`GeneralizedPareto` (by inversion)."""

from __future__ import annotations

import math

from .._creation import full_like, ones_like, zeros_like
from .._random_tensors import rand
from .._tensor_elementwise import lgamma
from .._tensor_index import where
from .._torch_aliases import finfo
from . import constraints
from .continuous import Exponential, Uniform
from .distribution import Distribution
from .transformed_distribution import TransformedDistribution
from .transforms_elementwise import AffineTransform, ExpTransform, PowerTransform
from .utils import batch_shape_of, broadcast_all, device_of, euler_constant

__all__ = ["GeneralizedPareto", "Gumbel", "Pareto", "Weibull"]


class Gumbel(TransformedDistribution):
    r"""The Gumbel (type-I extreme value) distribution of location ``loc`` and ``scale``:
    :math:`\log p(x) = z - e^{z} - \log\beta` with :math:`z = (\mu - x) / \beta`; drawn as
    ``loc - scale * log(-log(U))``.

    Args:
        loc: a float or Tensor.
        scale: a positive float or Tensor.
        validate_args: see :class:`Distribution`.

    Example:
        >>> import xpnet
        >>> Gumbel(xpnet.tensor([0.0, 1.0], dtype=xpnet.float64), 2.0).mean
        tensor([1.1544, 2.1544], dtype=xpnet.float64)
    """

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.real

    def __init__(self, loc, scale, validate_args: bool | None = None):
        self.loc, self.scale = broadcast_all(loc, scale)
        info = finfo(self.loc.dtype)
        if all(isinstance(v, (int, float)) for v in (loc, scale)):  # a 0-d Tensor keeps its dtype
            base = Uniform(info.tiny, 1 - info.eps, validate_args=validate_args)
        else:
            low, high = full_like(self.loc, info.tiny), full_like(self.loc, 1 - info.eps)
            base = Uniform(low, high, validate_args=validate_args)
        transforms = [
            ExpTransform().inv,
            AffineTransform(loc=0, scale=-ones_like(self.scale)),
            ExpTransform().inv,
            AffineTransform(loc=loc, scale=-self.scale),
        ]
        super().__init__(base, transforms, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = super().expand(batch_shape)
        new.loc, new.scale = self.loc.expand(batch_shape), self.scale.expand(batch_shape)
        return new

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        y = (self.loc - value) / self.scale
        return (y - y.exp()) - self.scale.log()

    @property
    def mean(self):
        return self.loc + self.scale * euler_constant

    @property
    def mode(self):
        return self.loc

    @property
    def stddev(self):
        return (math.pi / math.sqrt(6)) * self.scale

    @property
    def variance(self):
        return self.stddev.pow(2)

    def entropy(self):
        return self.scale.log() + (1 + euler_constant)


class Weibull(TransformedDistribution):
    """The two-parameter Weibull distribution: ``scale * E ** (1 / concentration)`` for
    ``E ~ Exponential(1)``.

    Args:
        scale: a positive float or Tensor.
        concentration: a positive float or Tensor (the shape ``k``).
        validate_args: see :class:`Distribution`.

    Example:
        >>> import xpnet
        >>> Weibull(xpnet.tensor([1.0, 2.0], dtype=xpnet.float64), 2.0).mean
        tensor([0.8862, 1.7725], dtype=xpnet.float64)
    """

    arg_constraints = {"scale": constraints.positive, "concentration": constraints.positive}
    support = constraints.positive

    def __init__(self, scale, concentration, validate_args: bool | None = None):
        self.scale, self.concentration = broadcast_all(scale, concentration)
        self.concentration_reciprocal = self.concentration.reciprocal()
        base = Exponential(ones_like(self.scale), validate_args=validate_args)
        transforms = [
            PowerTransform(exponent=self.concentration_reciprocal),
            AffineTransform(loc=0, scale=self.scale),
        ]
        super().__init__(base, transforms, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = super().expand(batch_shape)
        new.scale = self.scale.expand(batch_shape)
        new.concentration = self.concentration.expand(batch_shape)
        new.concentration_reciprocal = new.concentration.reciprocal()
        return new

    @property
    def mean(self):
        return self.scale * lgamma(1 + self.concentration_reciprocal).exp()

    @property
    def mode(self):
        k = self.concentration
        return self.scale * ((k - 1) / k) ** k.reciprocal()

    @property
    def variance(self):
        k_inv = self.concentration_reciprocal
        return self.scale.pow(2) * (lgamma(1 + 2 * k_inv).exp() - (2 * lgamma(1 + k_inv)).exp())

    def entropy(self):
        k_inv = self.concentration_reciprocal
        return euler_constant * (1 - k_inv) + (self.scale * k_inv).log() + 1


class Pareto(TransformedDistribution):
    """The Pareto (type I) distribution on ``[scale, inf)`` of tail index ``alpha``:
    ``scale * exp(E)`` for ``E ~ Exponential(alpha)``.

    Args:
        scale: a positive float or Tensor (the lower bound of the support).
        alpha: a positive float or Tensor.
        validate_args: see :class:`Distribution`.

    Example:
        >>> import xpnet
        >>> Pareto(xpnet.tensor([1.0, 2.0], dtype=xpnet.float64), 3.0).variance
        tensor([0.7500, 3.0000], dtype=xpnet.float64)
    """

    arg_constraints = {"alpha": constraints.positive, "scale": constraints.positive}

    def __init__(self, scale, alpha, validate_args: bool | None = None):
        self.scale, self.alpha = broadcast_all(scale, alpha)
        base = Exponential(self.alpha, validate_args=validate_args)
        transforms = [ExpTransform(), AffineTransform(loc=0, scale=self.scale)]
        super().__init__(base, transforms, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = super().expand(batch_shape)
        new.scale, new.alpha = self.scale.expand(batch_shape), self.alpha.expand(batch_shape)
        return new

    @property
    def mean(self):
        a = self.alpha.clamp(min=1)  # infinite for alpha <= 1, as torch's
        return a * self.scale / (a - 1)

    @property
    def mode(self):
        return self.scale

    @property
    def variance(self):
        a = self.alpha.clamp(min=2)
        return self.scale.pow(2) * a / ((a - 1).pow(2) * (a - 2))

    @constraints.dependent_property(is_discrete=False, event_dim=0)
    def support(self):
        return constraints.greater_than_eq(self.scale)

    def entropy(self):
        return (self.scale / self.alpha).log() + (1 + self.alpha.reciprocal())


class GeneralizedPareto(Distribution):
    r"""The generalised Pareto distribution of ``loc``, ``scale`` and ``concentration``
    :math:`\xi`: survival :math:`(1 + \xi z)^{-1/\xi}` for :math:`z = (x - \mu) / \sigma`
    (:math:`e^{-z}` at :math:`\xi = 0`), on ``[loc, inf)``, or up to ``loc - scale / xi``
    for :math:`\xi < 0`.

    Args:
        loc: a float or Tensor.
        scale: a positive float or Tensor.
        concentration: a float or Tensor (the shape :math:`\xi`).
        validate_args: see :class:`Distribution`.

    Example:
        >>> import xpnet
        >>> d = GeneralizedPareto(0.0, 1.0, xpnet.tensor([0.0, 0.5], dtype=xpnet.float64))
        >>> d.cdf(xpnet.tensor([1.0, 1.0], dtype=xpnet.float64))
        tensor([0.6321, 0.5556], dtype=xpnet.float64)
    """

    arg_constraints = {
        "loc": constraints.real,
        "scale": constraints.positive,
        "concentration": constraints.real,
    }
    has_rsample = True

    def __init__(self, loc, scale, concentration, validate_args: bool | None = None):
        self.loc, self.scale, self.concentration = broadcast_all(loc, scale, concentration)
        batch_shape = batch_shape_of(self.loc, loc, scale, concentration)
        super().__init__(batch_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        shape = tuple(batch_shape)
        return self._expanded(
            GeneralizedPareto,
            shape,
            loc=self.loc.expand(shape),
            scale=self.scale.expand(shape),
            concentration=self.concentration.expand(shape),
        )

    def _safe_concentration(self):
        """Whether ``concentration`` is (close to) 0, and it with 1 there (the exponential
        limit takes over there; 1 keeps the other branch finite for ``where``'s gradient)."""
        eq_zero = self.concentration.isclose(zeros_like(self.concentration))
        return eq_zero, where(eq_zero, 1.0, self.concentration)

    def rsample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        return self.icdf(rand(shape, dtype=self.loc.dtype, device=device_of(self.loc)))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        z = (value - self.loc) / self.scale
        eq_zero, safe = self._safe_concentration()
        y = 1 / safe + 1
        nonzero = where(y == 0, y, y * (safe * z).log1p())
        return -self.scale.log() - where(eq_zero, z, nonzero)

    def log_survival_function(self, value):
        """``log(1 - cdf(value))``, accurate in the upper tail."""
        if self._validate_args:
            self._validate_sample(value)
        z = (value - self.loc) / self.scale
        eq_zero, safe = self._safe_concentration()
        return where(eq_zero, -z, -(safe * z).log1p() / safe)

    def log_cdf(self, value):
        """``log(cdf(value))``."""
        return (-self.log_survival_function(value).exp()).log1p()

    def cdf(self, value):
        return self.log_cdf(value).exp()

    def icdf(self, value):
        eq_zero, safe = self._safe_concentration()
        log_u = (-value).log1p()
        nonzero = self.loc + self.scale / safe * (-safe * log_u).expm1()
        return where(eq_zero, self.loc - self.scale * log_u, nonzero)

    @property
    def mean(self):
        valid = self.concentration < 1
        safe = where(valid, self.concentration, 0.5)
        return where(valid, self.loc + self.scale / (1 - safe), math.nan)

    @property
    def variance(self):
        valid = self.concentration < 0.5
        safe = where(valid, self.concentration, 0.25)
        result = self.scale**2 / ((1 - safe) ** 2 * (1 - 2 * safe))
        return where(valid, result, math.nan)

    @property
    def mode(self):
        return self.loc

    def entropy(self):
        return (self.scale.log() + self.concentration + 1).expand(self._batch_shape)

    @constraints.dependent_property(is_discrete=False, event_dim=0)
    def support(self):
        upper = where(self.concentration < 0, self.loc - self.scale / self.concentration, math.inf)
        return constraints.interval(self.loc, upper)
