"""Distributions on the unit interval and the simplex made by transforms, as
``torch.distributions``': :class:`Kumaraswamy` (powers of a uniform draw) and
:class:`LogisticNormal` (a normal draw through the stick-breaking map)."""

from __future__ import annotations

import math

from .._creation import full_like
from .._tensor_elementwise import digamma, lgamma
from .._tensor_index import where
from . import constraints
from .continuous import Uniform
from .normal import Normal
from .transformed_distribution import TransformedDistribution
from .transforms_elementwise import AffineTransform, PowerTransform, StickBreakingTransform
from .utils import broadcast_all, euler_constant

__all__ = ["Kumaraswamy", "LogisticNormal"]


def kumaraswamy_moment(a, b, n):
    """The ``n``-th raw moment of ``Kumaraswamy(a, b)``: ``b * B(1 + n / a, b)``."""
    arg1 = 1 + n / a
    return b * (lgamma(arg1) + lgamma(b) - lgamma(arg1 + b)).exp()


class Kumaraswamy(TransformedDistribution):
    r"""The Kumaraswamy distribution on ``[0, 1]``:
    :math:`p(x) = a b x^{a - 1} (1 - x^a)^{b - 1}`, drawn as
    ``(1 - U ** (1 / b)) ** (1 / a)``.

    Args:
        concentration1: ``a``, a positive float or Tensor.
        concentration0: ``b``, a positive float or Tensor.
        validate_args: see :class:`Distribution`.

    Example:
        >>> import xpnet
        >>> Kumaraswamy(xpnet.tensor([1.0, 2.0], dtype=xpnet.float64), 2.0).mean
        tensor([0.3333, 0.5333], dtype=xpnet.float64)
    """

    arg_constraints = {
        "concentration1": constraints.positive,
        "concentration0": constraints.positive,
    }
    support = constraints.unit_interval
    has_rsample = True

    def __init__(self, concentration1, concentration0, validate_args: bool | None = None):
        self.concentration1, self.concentration0 = broadcast_all(concentration1, concentration0)
        c0 = self.concentration0
        base = Uniform(full_like(c0, 0), full_like(c0, 1), validate_args=validate_args)
        transforms = [
            PowerTransform(exponent=c0.reciprocal()),
            AffineTransform(loc=1.0, scale=-1.0),
            PowerTransform(exponent=self.concentration1.reciprocal()),
        ]
        super().__init__(base, transforms, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = super().expand(batch_shape)
        new.concentration1 = self.concentration1.expand(batch_shape)
        new.concentration0 = self.concentration0.expand(batch_shape)
        return new

    @property
    def mean(self):
        return kumaraswamy_moment(self.concentration1, self.concentration0, 1)

    @property
    def mode(self):
        a, b = self.concentration1, self.concentration0
        log_mode = b.reciprocal() * (-b).log1p() - (-b * a).log1p()
        # no interior mode when either concentration is below 1 (torch's NaN)
        return where((b < 1) | (a < 1), math.nan, log_mode).exp()

    @property
    def variance(self):
        a, b = self.concentration1, self.concentration0
        return kumaraswamy_moment(a, b, 2) - self.mean.pow(2)

    def entropy(self):
        a, b = self.concentration1, self.concentration0
        t1, t0 = 1 - a.reciprocal(), 1 - b.reciprocal()
        harmonic = digamma(b + 1) + euler_constant  # the harmonic number H_b
        return t0 + t1 * harmonic - a.log() - b.log()


class LogisticNormal(TransformedDistribution):
    """The logistic-normal distribution on the simplex: a ``Normal(loc, scale)`` vector of
    ``K - 1`` entries mapped by :class:`~xpnet.distributions.transforms.StickBreakingTransform`
    to ``K`` probabilities.

    Args:
        loc: a float or Tensor of shape ``batch_shape + (K - 1,)``.
        scale: a positive float or Tensor (broadcast with ``loc``).
        validate_args: see :class:`Distribution`.

    Example:
        >>> import xpnet
        >>> d = LogisticNormal(xpnet.zeros(2, dtype=xpnet.float64), 1.0)
        >>> d.event_shape, d.log_prob(xpnet.tensor([0.2, 0.3, 0.5], dtype=xpnet.float64))
        ((3,), tensor(1.2980, dtype=xpnet.float64))
    """

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.simplex
    has_rsample = True

    def __init__(self, loc, scale, validate_args: bool | None = None):
        base = Normal(loc, scale, validate_args=validate_args)
        if not base.batch_shape:  # one number: a simplex of two
            base = base.expand([1])
        super().__init__(base, StickBreakingTransform(), validate_args=validate_args)

    @property
    def loc(self):
        return self.base_dist.base_dist.loc

    @property
    def scale(self):
        return self.base_dist.base_dist.scale
