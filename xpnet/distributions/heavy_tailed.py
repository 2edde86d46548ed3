"""The Cauchy family and the half distributions: :class:`Cauchy`, :class:`HalfCauchy` and
:class:`HalfNormal`, as ``torch.distributions``' (the half ones, as there, are
:class:`TransformedDistribution`\\ s of ``|X|``)."""

from __future__ import annotations

import math

from .._creation import full_like, zeros_like
from .._random_tensors import rand
from .._tensor_index import where
from . import constraints
from .distribution import Distribution
from .normal import Normal
from .transformed_distribution import TransformedDistribution
from .transforms_elementwise import AbsTransform
from .utils import batch_shape_of, broadcast_all, device_of

__all__ = ["Cauchy", "HalfCauchy", "HalfNormal"]


class Cauchy(Distribution):
    r"""The Cauchy (Lorentz) distribution of location ``loc`` and half width at half maximum
    ``scale``: :math:`\log p(x) = -\log\pi - \log\gamma - \log(1 + ((x - x_0) / \gamma)^2)`.
    Its mean is undefined (NaN) and its variance infinite, as torch's.

    Args:
        loc: the mode and median, a float or Tensor.
        scale: a positive float or Tensor (broadcast with ``loc``).
        validate_args: see :class:`Distribution`.

    Example:
        >>> import xpnet
        >>> d = Cauchy(xpnet.tensor([0.0, 1.0], dtype=xpnet.float64), 2.0)
        >>> d.cdf(xpnet.tensor([2.0, 2.0], dtype=xpnet.float64))
        tensor([0.7500, 0.6476], dtype=xpnet.float64)
    """

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.real
    has_rsample = True

    def __init__(self, loc, scale, validate_args: bool | None = None):
        self.loc, self.scale = broadcast_all(loc, scale)
        super().__init__(batch_shape_of(self.loc, loc, scale), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        shape = tuple(batch_shape)
        return self._expanded(
            Cauchy, shape, loc=self.loc.expand(shape), scale=self.scale.expand(shape)
        )

    @property
    def mean(self):
        return full_like(self.loc, math.nan)

    @property
    def mode(self):
        return self.loc

    @property
    def variance(self):
        return full_like(self.loc, math.inf)

    def rsample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        u = rand(shape, dtype=self.loc.dtype, device=device_of(self.loc))
        eps = (math.pi * (u - 0.5)).tan()  # the standard Cauchy by inversion, as cauchy_()
        return self.loc + eps * self.scale

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        z = (value - self.loc) / self.scale
        return -math.log(math.pi) - self.scale.log() - (z**2).log1p()

    def cdf(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return ((value - self.loc) / self.scale).atan() / math.pi + 0.5

    def icdf(self, value):
        return (math.pi * (value - 0.5)).tan() * self.scale + self.loc

    def entropy(self):
        return math.log(4 * math.pi) + self.scale.log()


class _HalfDistribution(TransformedDistribution):
    """What the half distributions share: ``|X|`` for ``X`` centred at 0, whose density is
    twice the base's on ``[0, inf)``."""

    arg_constraints = {"scale": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True

    @property
    def scale(self):
        return self.base_dist.scale

    @property
    def mode(self):
        return zeros_like(self.scale)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        log_prob = self.base_dist.log_prob(value) + math.log(2)
        return where(value >= 0, log_prob, -math.inf)

    def cdf(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return 2 * self.base_dist.cdf(value) - 1

    def icdf(self, value):
        return self.base_dist.icdf((value + 1) / 2)

    def entropy(self):
        return self.base_dist.entropy() - math.log(2)


class HalfCauchy(_HalfDistribution):
    """The distribution of ``|X|`` for ``X ~ Cauchy(0, scale)``; mean and variance infinite.

    Args:
        scale: a positive float or Tensor.
        validate_args: see :class:`Distribution`.

    Example:
        >>> import xpnet
        >>> d = HalfCauchy(xpnet.tensor([1.0, 2.0], dtype=xpnet.float64))
        >>> d.log_prob(xpnet.tensor([1.0, 1.0], dtype=xpnet.float64))
        tensor([-1.1447, -1.3679], dtype=xpnet.float64)
    """

    def __init__(self, scale, validate_args: bool | None = None):
        base = Cauchy(0, scale, validate_args=False)
        super().__init__(base, AbsTransform(), validate_args=validate_args)

    @property
    def mean(self):
        return full_like(self.scale, math.inf)

    @property
    def variance(self):
        return self.base_dist.variance


class HalfNormal(_HalfDistribution):
    """The distribution of ``|X|`` for ``X ~ Normal(0, scale)``.

    Args:
        scale: a positive float or Tensor.
        validate_args: see :class:`Distribution`.

    Example:
        >>> import xpnet
        >>> HalfNormal(xpnet.tensor([1.0, 2.0], dtype=xpnet.float64)).mean
        tensor([0.7979, 1.5958], dtype=xpnet.float64)
    """

    def __init__(self, scale, validate_args: bool | None = None):
        base = Normal(0, scale, validate_args=False)
        super().__init__(base, AbsTransform(), validate_args=validate_args)

    @property
    def mean(self):
        return self.scale * math.sqrt(2 / math.pi)

    @property
    def variance(self):
        return self.scale.pow(2) * (1 - 2 / math.pi)
