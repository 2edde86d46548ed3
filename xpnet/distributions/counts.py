"""Counting distributions: :class:`Poisson` and :class:`Binomial`, as ``torch.distributions``'.
Sampling draws on the host from xpnet's generator (:func:`xpnet.poisson`, NumPy's binomial),
which reads the parameters on the host (a device sync on a GPU)."""

from __future__ import annotations

import numpy

from .._random import host_generator
from .._ranges import arange
from .._tensor_elementwise import lgamma, xlogy
from .._tensor_random_ops import poisson
from ..autograd import Tensor
from ..backends import backend_of
from . import constraints
from .distribution import Distribution
from .exp_family import ExponentialFamily
from .utils import ProbsOrLogits, broadcast_all, device_of

__all__ = ["Binomial", "Poisson"]


class Poisson(ExponentialFamily):
    """The Poisson distribution of ``rate``: counts ``0, 1, 2, ...``.

    Args:
        rate: a non-negative float or Tensor.
        validate_args: see :class:`Distribution`.

    Example:
        >>> import xpnet
        >>> d = Poisson(xpnet.tensor([1.0, 4.0], dtype=xpnet.float64))
        >>> d.log_prob(xpnet.tensor([0.0, 2.0], dtype=xpnet.float64))
        tensor([-1.0000, -1.9206], dtype=xpnet.float64)
    """

    arg_constraints = {"rate": constraints.nonnegative}
    support = constraints.nonnegative_integer

    def __init__(self, rate, validate_args: bool | None = None):
        (self.rate,) = broadcast_all(rate)
        batch_shape = () if isinstance(rate, (int, float)) else tuple(self.rate.shape)
        super().__init__(batch_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        shape = tuple(batch_shape)
        return self._expanded(Poisson, shape, rate=self.rate.expand(shape))

    @property
    def mean(self):
        return self.rate

    @property
    def mode(self):
        return self.rate.floor()

    @property
    def variance(self):
        return self.rate

    def sample(self, sample_shape=()):
        return poisson(self.rate.detach().expand(self._extended_shape(sample_shape)))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        rate, value = broadcast_all(self.rate, value)
        return xlogy(value, rate) - rate - lgamma(value + 1)

    @property
    def _natural_params(self):
        return (self.rate.log(),)

    def _log_normalizer(self, x):
        return x.exp()


def _clamp_by_zero(x):
    # max(x, 0) with the gradient 1/2 at 0, as torch's
    return (x.clamp(min=0) + x - x.clamp(max=0)) / 2


class Binomial(ProbsOrLogits, Distribution):
    """The number of successes in ``total_count`` Bernoulli trials of ``probs`` (or
    ``logits``).

    Args:
        total_count: a non-negative integer (number or Tensor). Default: 1.
        probs: success probabilities in ``[0, 1]``.
        logits: log-odds of success (instead of ``probs``).
        validate_args: see :class:`Distribution`.

    Raises:
        ValueError: both or neither of ``probs`` and ``logits``.

    Example:
        >>> import xpnet
        >>> d = Binomial(4, xpnet.tensor([0.5, 0.25], dtype=xpnet.float64))
        >>> d.mean, d.log_prob(xpnet.tensor([2.0, 0.0], dtype=xpnet.float64))
        (tensor([2., 1.], dtype=xpnet.float64), tensor([-0.9808, -1.1507], dtype=xpnet.float64))
    """

    binary = True
    arg_constraints = {
        "total_count": constraints.nonnegative_integer,
        "probs": constraints.unit_interval,
        "logits": constraints.real,
    }
    has_enumerate_support = True

    def __init__(self, total_count=1, probs=None, logits=None, validate_args: bool | None = None):
        if (probs is None) == (logits is None):
            raise ValueError("Either `probs` or `logits` must be specified, but not both.")
        name, given = ("probs", probs) if probs is not None else ("logits", logits)
        total_count, param = broadcast_all(total_count, given)
        self.total_count = total_count.type_as(param)
        setattr(self, name, param)
        self._param = param
        super().__init__(tuple(param.shape), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        shape = tuple(batch_shape)
        params = self.expanded_params(shape)
        return self._expanded(Binomial, shape, total_count=self.total_count.expand(shape), **params)

    @constraints.dependent_property(is_discrete=True, event_dim=0)
    def support(self):
        return constraints.integer_interval(0, self.total_count)

    @property
    def mean(self):
        return self.total_count * self.probs

    @property
    def mode(self):
        return ((self.total_count + 1) * self.probs).floor().clamp(max=self.total_count)

    @property
    def variance(self):
        return self.total_count * self.probs * (1 - self.probs)

    def sample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        backend = backend_of(self._param.array)
        n = backend.to_host(self.total_count.detach().expand(shape).array)
        p = backend.to_host(self.probs.detach().expand(shape).array)
        draws = host_generator().binomial(n.astype(numpy.int64), p.astype(numpy.float64))
        return Tensor(backend.asarray(numpy.asarray(draws).astype(self._param.dtype)))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        n, logits = self.total_count, self.logits
        log_factorial_n = lgamma(n + 1)
        log_factorial_k = lgamma(value + 1)
        log_factorial_nmk = lgamma(n - value + 1)
        # n * log(1 + exp(logits)), written to stay finite for large |logits| (torch's form)
        normalize_term = (
            n * _clamp_by_zero(logits) + n * (-logits.abs()).exp().log1p() - log_factorial_n
        )
        return value * logits - log_factorial_k - log_factorial_nmk - normalize_term

    def entropy(self):
        total_count = int(self.total_count.max().item())  # a host read, as torch's
        if not self.total_count.min().item() == total_count:
            raise NotImplementedError("Inhomogeneous total count not supported by `entropy`.")
        log_prob = self.log_prob(self.enumerate_support(False))
        return -(log_prob.exp() * log_prob).sum(0)

    def enumerate_support(self, expand: bool = True):
        total_count = int(self.total_count.max().item())
        if not self.total_count.min().item() == total_count:
            msg = "Inhomogeneous total count not supported by `enumerate_support`."
            raise NotImplementedError(msg)
        values = arange(1 + total_count, dtype=self._param.dtype, device=device_of(self._param))
        values = values.reshape((-1,) + (1,) * len(self._batch_shape))
        return values.expand((-1,) + self._batch_shape) if expand else values
