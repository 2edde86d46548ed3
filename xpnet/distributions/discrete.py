"""Distributions over finitely many values: :class:`Bernoulli`, :class:`Categorical` and
:class:`OneHotCategorical`, each given by ``probs`` or ``logits`` (not both), as
``torch.distributions``'. The other parameterisation is computed on first use."""

from __future__ import annotations

import math

from .._creation import eye, full
from .._ranges import arange
from .._tensor_grids import broadcast_tensors
from .._tensor_index import where
from .._tensor_random_ops import bernoulli, multinomial
from .._torch_aliases import finfo
from ..nn.functional import binary_cross_entropy_with_logits, one_hot
from . import constraints
from .distribution import Distribution
from .exp_family import ExponentialFamily
from .utils import ProbsOrLogits, as_parameter, bernoulli_log_prob, broadcast_all, device_of

__all__ = ["Bernoulli", "Categorical", "OneHotCategorical"]


def _one_of(probs, logits) -> None:
    if (probs is None) == (logits is None):
        raise ValueError("Either `probs` or `logits` must be specified, but not both.")


def _enumerated(values, batch_shape, expand: bool, event_shape=()):
    """``values`` (one per row) viewed as ``(n, 1, ..., 1) + event_shape``, or expanded over
    ``batch_shape``."""
    n = values.shape[0]
    values = values.reshape((n,) + (1,) * len(batch_shape) + tuple(event_shape))
    return values.expand((n,) + tuple(batch_shape) + tuple(event_shape)) if expand else values


class Bernoulli(ProbsOrLogits, ExponentialFamily):
    """1 with probability ``probs`` (log-odds ``logits``), else 0.

    Args:
        probs: probabilities in ``[0, 1]``, a float or Tensor.
        logits: log-odds, a float or Tensor (instead of ``probs``).
        validate_args: see :class:`Distribution`.

    Raises:
        ValueError: both or neither of ``probs`` and ``logits``.

    Example:
        >>> import xpnet
        >>> d = Bernoulli(probs=xpnet.tensor([0.25, 0.5], dtype=xpnet.float64))
        >>> d.log_prob(xpnet.tensor([0.0, 1.0], dtype=xpnet.float64))
        tensor([-0.2877, -0.6931], dtype=xpnet.float64)
    """

    _mean_carrier_measure = 0
    binary = True
    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.boolean
    has_enumerate_support = True

    def __init__(self, probs=None, logits=None, validate_args: bool | None = None):
        _one_of(probs, logits)
        given = probs if probs is not None else logits
        (param,) = broadcast_all(given)
        setattr(self, "probs" if probs is not None else "logits", param)
        self._param = param
        batch_shape = () if isinstance(given, (int, float)) else tuple(param.shape)
        super().__init__(batch_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        shape = tuple(batch_shape)
        return self._expanded(Bernoulli, shape, **self.expanded_params(shape))

    @property
    def mean(self):
        return self.probs

    @property
    def mode(self):
        mode = (self.probs >= 0.5).type_as(self.probs)
        return where(self.probs == 0.5, math.nan, mode)  # no single mode at 1/2

    @property
    def variance(self):
        return self.probs * (1 - self.probs)

    def sample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        return bernoulli(self.probs.detach().expand(shape))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return bernoulli_log_prob(self.logits, value)

    def entropy(self):
        return binary_cross_entropy_with_logits(self.logits, self.probs, reduction="none")

    def enumerate_support(self, expand: bool = True):
        values = arange(2, dtype=self._param.dtype, device=device_of(self._param))
        return _enumerated(values, self._batch_shape, expand)

    @property
    def _natural_params(self):
        return (self.probs.logit(),)

    def _log_normalizer(self, x):
        return x.exp().log1p()


class Categorical(ProbsOrLogits, Distribution):
    """One of ``K`` classes ``0 .. K-1``, with the probabilities ``probs`` (normalised along
    the last dimension) or the unnormalised log probabilities ``logits``.

    Args:
        probs: non-negative weights of shape ``batch_shape + (K,)``, finite, with a
            non-zero sum.
        logits: unnormalised log probabilities of the same shape (instead of ``probs``).
        validate_args: see :class:`Distribution`.

    Raises:
        ValueError: both or neither of ``probs`` and ``logits``, or a 0-d one.

    Note:
        ``sample`` draws with :func:`xpnet.multinomial`, which reads ``probs`` on the host.

    Example:
        >>> import xpnet
        >>> d = Categorical(logits=xpnet.tensor([0.0, 0.0, 0.0, 0.0], dtype=xpnet.float64))
        >>> d.entropy(), d.log_prob(xpnet.tensor(2))
        (tensor(1.3863, dtype=xpnet.float64), tensor(-1.3863, dtype=xpnet.float64))
    """

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}
    has_enumerate_support = True

    def __init__(self, probs=None, logits=None, validate_args: bool | None = None):
        _one_of(probs, logits)
        probs, logits = as_parameter(probs), as_parameter(logits)
        name, given = ("probs", probs) if probs is not None else ("logits", logits)
        if given.ndim < 1:
            raise ValueError(f"`{name}` parameter must be at least one-dimensional.")
        if probs is not None:
            self.probs = probs / probs.sum(-1, keepdim=True)
        else:
            self.logits = logits - logits.logsumexp(dim=-1, keepdim=True)
        self._param = self.probs if probs is not None else self.logits
        self._num_events = self._param.shape[-1]
        super().__init__(tuple(self._param.shape[:-1]), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        shape = tuple(batch_shape)
        params = self.expanded_params(shape + (self._num_events,))
        return self._expanded(Categorical, shape, _num_events=self._num_events, **params)

    @constraints.dependent_property(is_discrete=True, event_dim=0)
    def support(self):
        return constraints.integer_interval(0, self._num_events - 1)

    @property
    def mean(self):
        return full(
            self._extended_shape(), math.nan, dtype=self.probs.dtype, device=device_of(self.probs)
        )

    @property
    def mode(self):
        return self.probs.argmax(dim=-1)

    @property
    def variance(self):
        return self.mean

    def sample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        count = math.prod(shape[: len(shape) - len(self._batch_shape)])
        probs_2d = self.probs.detach().reshape(-1, self._num_events)
        samples_2d = multinomial(probs_2d, count, True).T  # (count, batch)
        return samples_2d.reshape(shape)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        value = value.long().unsqueeze(-1)
        value, log_pmf = broadcast_tensors(value, self.logits)
        return log_pmf.gather(-1, value[..., :1]).squeeze(-1)

    def entropy(self):
        # logits of probability 0 are -inf: clamped so that 0 * logit is 0, not NaN
        logits = self.logits.clamp(min=finfo(self.logits.dtype).min)
        return -(logits * self.probs).sum(-1)

    def enumerate_support(self, expand: bool = True):
        values = arange(self._num_events, device=device_of(self._param))
        return _enumerated(values, self._batch_shape, expand)


class OneHotCategorical(Distribution):
    """:class:`Categorical` with samples one-hot coded: vectors of size ``K``.

    Args:
        probs: as :class:`Categorical`'s.
        logits: as :class:`Categorical`'s.
        validate_args: see :class:`Distribution`.

    Example:
        >>> import xpnet
        >>> d = OneHotCategorical(xpnet.tensor([0.25, 0.75], dtype=xpnet.float64))
        >>> d.event_shape, d.log_prob(xpnet.tensor([0.0, 1.0], dtype=xpnet.float64))
        ((2,), tensor(-0.2877, dtype=xpnet.float64))
    """

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}
    support = constraints.one_hot
    has_enumerate_support = True

    def __init__(self, probs=None, logits=None, validate_args: bool | None = None):
        self._categorical = Categorical(probs, logits, validate_args=validate_args)
        batch_shape = self._categorical.batch_shape
        event_shape = self._categorical.param_shape[-1:]
        super().__init__(batch_shape, event_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        shape = tuple(batch_shape)
        categorical = self._categorical.expand(shape)
        return self._expanded(OneHotCategorical, shape, _categorical=categorical)

    @property
    def _param(self):
        return self._categorical._param

    @property
    def probs(self):
        return self._categorical.probs

    @property
    def logits(self):
        return self._categorical.logits

    @property
    def param_shape(self):
        return self._categorical.param_shape

    @property
    def mean(self):
        return self.probs

    @property
    def mode(self):
        probs = self.probs
        return one_hot(probs.argmax(dim=-1), num_classes=probs.shape[-1]).type_as(probs)

    @property
    def variance(self):
        return self.probs * (1 - self.probs)

    def sample(self, sample_shape=()):
        indices = self._categorical.sample(sample_shape)
        return one_hot(indices, self._categorical._num_events).type_as(self.probs)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return self._categorical.log_prob(value.argmax(-1))

    def entropy(self):
        return self._categorical.entropy()

    def enumerate_support(self, expand: bool = True):
        n = self._event_shape[0]
        values = eye(n, dtype=self._param.dtype, device=device_of(self._param))
        return _enumerated(values, self._batch_shape, expand, (n,))
