"""Three continuous distributions with closed-form samplers: :class:`Uniform`,
:class:`Exponential` and :class:`Laplace`, as ``torch.distributions``'."""

from __future__ import annotations

import math

from .._creation import empty, zeros_like
from .._random_tensors import rand
from .._torch_aliases import finfo
from . import constraints
from .distribution import Distribution
from .exp_family import ExponentialFamily
from .utils import batch_shape_of, broadcast_all, device_of

__all__ = ["Exponential", "Laplace", "Uniform"]


class Uniform(Distribution):
    """The uniform distribution on ``[low, high)``.

    Args:
        low: the lower bound (inclusive), a float or Tensor.
        high: the upper bound (exclusive), greater than ``low``.
        validate_args: see :class:`Distribution`.

    Example:
        >>> import xpnet
        >>> d = Uniform(xpnet.tensor([0.0, 1.0], dtype=xpnet.float64), 3.0)
        >>> d.cdf(xpnet.tensor([1.5, 1.5], dtype=xpnet.float64))
        tensor([0.5000, 0.2500], dtype=xpnet.float64)
    """

    has_rsample = True

    @property
    def arg_constraints(self):
        return {"low": constraints.less_than(self.high), "high": constraints.greater_than(self.low)}

    def __init__(self, low, high, validate_args: bool | None = None):
        self.low, self.high = broadcast_all(low, high)
        super().__init__(batch_shape_of(self.low, low, high), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        shape = tuple(batch_shape)
        return self._expanded(
            Uniform, shape, low=self.low.expand(shape), high=self.high.expand(shape)
        )

    @constraints.dependent_property(is_discrete=False, event_dim=0)
    def support(self):
        return constraints.interval(self.low, self.high)

    @property
    def mean(self):
        return (self.high + self.low) / 2

    @property
    def mode(self):
        return math.nan * self.high

    @property
    def stddev(self):
        return (self.high - self.low) / 12**0.5

    @property
    def variance(self):
        return (self.high - self.low).pow(2) / 12

    def rsample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        u = rand(shape, dtype=self.low.dtype, device=device_of(self.low))
        return self.low + u * (self.high - self.low)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        lb = self.low.le(value).type_as(self.low)
        ub = self.high.gt(value).type_as(self.low)
        return (lb * ub).log() - (self.high - self.low).log()

    def cdf(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return ((value - self.low) / (self.high - self.low)).clamp(min=0, max=1)

    def icdf(self, value):
        return value * (self.high - self.low) + self.low

    def entropy(self):
        return (self.high - self.low).log()


class Exponential(ExponentialFamily):
    """The exponential distribution of ``rate`` (mean ``1 / rate``).

    Args:
        rate: a positive float or Tensor.
        validate_args: see :class:`Distribution`.

    Example:
        >>> import xpnet
        >>> Exponential(xpnet.tensor([0.5, 2.0], dtype=xpnet.float64)).entropy()
        tensor([1.6931, 0.3069], dtype=xpnet.float64)
    """

    _mean_carrier_measure = 0
    arg_constraints = {"rate": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True

    def __init__(self, rate, validate_args: bool | None = None):
        (self.rate,) = broadcast_all(rate)
        super().__init__(batch_shape_of(self.rate, rate), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        shape = tuple(batch_shape)
        return self._expanded(Exponential, shape, rate=self.rate.expand(shape))

    @property
    def mean(self):
        return self.rate.reciprocal()

    @property
    def mode(self):
        return zeros_like(self.rate)

    @property
    def stddev(self):
        return self.rate.reciprocal()

    @property
    def variance(self):
        return self.rate.pow(-2)

    def rsample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        draws = empty(shape, dtype=self.rate.dtype, device=device_of(self.rate)).exponential_()
        return draws / self.rate

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return self.rate.log() - self.rate * value

    def cdf(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return 1 - (-self.rate * value).exp()

    def icdf(self, value):
        return -(-value).log1p() / self.rate

    def entropy(self):
        return 1.0 - self.rate.log()

    @property
    def _natural_params(self):
        return (-self.rate,)

    def _log_normalizer(self, x):
        return -(-x).log()


class Laplace(Distribution):
    """The Laplace (double exponential) distribution of location ``loc`` and ``scale``.

    Args:
        loc: the location (mean, median and mode), a float or Tensor.
        scale: a positive float or Tensor.
        validate_args: see :class:`Distribution`.

    Example:
        >>> import xpnet
        >>> Laplace(xpnet.tensor(0.0, dtype=xpnet.float64), 2.0).variance
        tensor(8., dtype=xpnet.float64)
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
            Laplace, shape, loc=self.loc.expand(shape), scale=self.scale.expand(shape)
        )

    @property
    def mean(self):
        return self.loc

    @property
    def mode(self):
        return self.loc

    @property
    def variance(self):
        return 2 * self.scale.pow(2)

    @property
    def stddev(self):
        return (2**0.5) * self.scale

    def rsample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        eps = finfo(self.loc.dtype).eps  # u in (eps - 1, 1): log1p(-|u|) stays finite
        u = empty(shape, dtype=self.loc.dtype, device=device_of(self.loc)).uniform_(eps - 1, 1)
        return self.loc - self.scale * u.sign() * (-u.abs()).log1p()

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return -(2 * self.scale).log() - (value - self.loc).abs() / self.scale

    def cdf(self, value):
        if self._validate_args:
            self._validate_sample(value)
        centred = value - self.loc
        return 0.5 - 0.5 * centred.sign() * (-centred.abs() / self.scale).expm1()

    def icdf(self, value):
        term = value - 0.5
        return self.loc - self.scale * term.sign() * (-2 * term.abs()).log1p()

    def entropy(self):
        return 1 + (2 * self.scale).log()
