"""The normal family: :class:`Normal` and :class:`LogNormal`, as ``torch.distributions``'."""

from __future__ import annotations

import math

from .._random_tensors import randn
from .._tensor_elementwise import erf, erfinv
from . import constraints
from .distribution import Distribution
from .exp_family import ExponentialFamily
from .utils import batch_shape_of, broadcast_all, device_of

__all__ = ["LogNormal", "Normal"]


class Normal(ExponentialFamily):
    r"""The normal (Gaussian) distribution of mean ``loc`` and standard deviation ``scale``.

    .. math:: \log p(x) = -\frac{(x - \mu)^2}{2\sigma^2} - \log\sigma - \tfrac12\log 2\pi

    Args:
        loc: the mean, a float or Tensor.
        scale: the standard deviation, a positive float or Tensor (broadcast with ``loc``).
        validate_args: see :class:`Distribution`.

    Example:
        >>> import xpnet
        >>> d = Normal(xpnet.tensor([0.0, 1.0], dtype=xpnet.float64), 2.0)
        >>> d.log_prob(xpnet.tensor([0.0, 0.0], dtype=xpnet.float64))
        tensor([-1.6121, -1.7371], dtype=xpnet.float64)
    """

    _mean_carrier_measure = 0
    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.real
    has_rsample = True

    def __init__(self, loc, scale, validate_args: bool | None = None):
        self.loc, self.scale = broadcast_all(loc, scale)
        batch_shape = batch_shape_of(self.loc, loc, scale)
        super().__init__(batch_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        shape = tuple(batch_shape)
        return self._expanded(
            Normal, shape, loc=self.loc.expand(shape), scale=self.scale.expand(shape)
        )

    @property
    def mean(self):
        return self.loc

    @property
    def mode(self):
        return self.loc

    @property
    def stddev(self):
        return self.scale

    @property
    def variance(self):
        return self.scale.pow(2)

    def rsample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        eps = randn(shape, dtype=self.loc.dtype, device=device_of(self.loc))
        return self.loc + eps * self.scale

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        var = self.scale**2
        log_scale = self.scale.log()
        return -((value - self.loc) ** 2) / (2 * var) - log_scale - math.log(math.sqrt(2 * math.pi))

    def cdf(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return 0.5 * (1 + erf((value - self.loc) * self.scale.reciprocal() / math.sqrt(2)))

    def icdf(self, value):
        return self.loc + self.scale * erfinv(2 * value - 1) * math.sqrt(2)

    def entropy(self):
        return 0.5 + 0.5 * math.log(2 * math.pi) + self.scale.log()

    @property
    def _natural_params(self):
        return (self.loc / self.scale.pow(2), -0.5 * self.scale.pow(2).reciprocal())

    def _log_normalizer(self, x, y):
        return -0.25 * x.pow(2) / y + 0.5 * (-math.pi / y).log()


class LogNormal(Distribution):
    r"""The distribution of ``exp(X)`` for ``X ~ Normal(loc, scale)``, as
    ``torch.distributions.LogNormal`` (written directly, without torch's transforms).

    Args:
        loc: the mean of ``log(X)``, a float or Tensor.
        scale: the standard deviation of ``log(X)``, positive.
        validate_args: see :class:`Distribution`.

    Example:
        >>> import xpnet
        >>> LogNormal(xpnet.tensor(0.0, dtype=xpnet.float64), 1.0).mean
        tensor(1.6487, dtype=xpnet.float64)
    """

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.positive
    has_rsample = True

    def __init__(self, loc, scale, validate_args: bool | None = None):
        self.base_dist = Normal(loc, scale, validate_args=validate_args)
        super().__init__(self.base_dist.batch_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        shape = tuple(batch_shape)
        return self._expanded(LogNormal, shape, base_dist=self.base_dist.expand(shape))

    @property
    def loc(self):
        return self.base_dist.loc

    @property
    def scale(self):
        return self.base_dist.scale

    @property
    def mean(self):
        return (self.loc + self.scale.pow(2) / 2).exp()

    @property
    def mode(self):
        return (self.loc - self.scale.square()).exp()

    @property
    def variance(self):
        scale_sq = self.scale.pow(2)
        return scale_sq.expm1() * (2 * self.loc + scale_sq).exp()

    def rsample(self, sample_shape=()):
        return self.base_dist.rsample(sample_shape).exp()

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        log_value = value.log()  # the change of variables: log|d log(y) / dy| = -log(y)
        return self.base_dist.log_prob(log_value) - log_value

    def cdf(self, value):
        log_value = value.log()
        if self._validate_args:  # torch's transformed cdf checks log(value): 0 is accepted
            self.base_dist._validate_sample(log_value)
        return self.base_dist.cdf(log_value)

    def icdf(self, value):
        return self.base_dist.icdf(value).exp()

    def entropy(self):
        return self.base_dist.entropy() + self.loc
