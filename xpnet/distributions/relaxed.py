"""Reparameterisable relaxations of discrete distributions, as ``torch.distributions``':
the Concrete / Gumbel-softmax families (Maddison et al., "The Concrete Distribution", 2017;
Jang et al., "Categorical Reparametrization with Gumbel-Softmax", 2017)
:class:`LogitRelaxedBernoulli`, :class:`RelaxedBernoulli`, :class:`ExpRelaxedCategorical`,
:class:`RelaxedOneHotCategorical`, and the straight-through estimator
:class:`OneHotCategoricalStraightThrough` (Bengio et al., 2013).

``rsample`` is torch's deterministic map of uniform noise drawn from xpnet's generator, so
gradients reach ``probs``/``logits`` (and ``temperature``)."""

from __future__ import annotations

from .._creation import full_like
from .._random_tensors import rand
from . import constraints
from .discrete import Categorical, OneHotCategorical
from .distribution import Distribution
from .transformed_distribution import TransformedDistribution
from .transforms_elementwise import ExpTransform, SigmoidTransform
from .utils import (
    ProbsOrLogits,
    as_parameter,
    batch_shape_of,
    broadcast_all,
    clamp_probs,
    device_of,
)

__all__ = [
    "ExpRelaxedCategorical",
    "LogitRelaxedBernoulli",
    "OneHotCategoricalStraightThrough",
    "RelaxedBernoulli",
    "RelaxedOneHotCategorical",
]


def _uniforms(shape, like):
    """Uniform noise of ``shape`` in ``(eps, 1 - eps)`` of ``like``'s dtype, on its backend
    (clamped, as torch's, so that its logs are finite)."""
    return clamp_probs(rand(shape, dtype=like.dtype, device=device_of(like)))


class LogitRelaxedBernoulli(ProbsOrLogits, Distribution):
    """The logit of a :class:`RelaxedBernoulli`: values on the real line.

    Args:
        temperature: the relaxation temperature, a positive Tensor.
        probs: probabilities of 1 in ``[0, 1]``, a float or Tensor.
        logits: log-odds of 1 (instead of ``probs``).
        validate_args: see :class:`Distribution`.

    Raises:
        ValueError: both or neither of ``probs`` and ``logits``.

    Example:
        >>> import xpnet
        >>> t = xpnet.tensor(0.5, dtype=xpnet.float64)
        >>> d = LogitRelaxedBernoulli(t, probs=xpnet.tensor([0.5, 0.8], dtype=xpnet.float64))
        >>> d.log_prob(xpnet.tensor([0.0, 1.0], dtype=xpnet.float64))
        tensor([-2.0794, -2.2697], dtype=xpnet.float64)
    """

    binary = True
    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.real

    def __init__(self, temperature, probs=None, logits=None, validate_args: bool | None = None):
        self.temperature = as_parameter(temperature)
        if (probs is None) == (logits is None):
            raise ValueError("Either `probs` or `logits` must be specified, but not both.")
        given = probs if probs is not None else logits
        (param,) = broadcast_all(given)
        setattr(self, "probs" if probs is not None else "logits", param)
        self._param = param
        super().__init__(batch_shape_of(param, given), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        shape = tuple(batch_shape)
        params = self.expanded_params(shape)
        return self._expanded(LogitRelaxedBernoulli, shape, temperature=self.temperature, **params)

    def rsample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        probs = clamp_probs(self.probs.expand(shape))
        uniforms = _uniforms(shape, probs)
        logistic = uniforms.log() - (-uniforms).log1p()  # logistic noise
        return (logistic + probs.log() - (-probs).log1p()) / self.temperature

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        logits, value = broadcast_all(self.logits, value)
        diff = logits - value * self.temperature
        return self.temperature.log() + diff - 2 * diff.exp().log1p()


class RelaxedBernoulli(TransformedDistribution):
    """A relaxed :class:`Bernoulli`: values in ``(0, 1)``, the sigmoid of a
    :class:`LogitRelaxedBernoulli`, reparameterisable.

    Args:
        temperature: the relaxation temperature, a positive Tensor.
        probs: probabilities of 1 in ``[0, 1]``, a float or Tensor.
        logits: log-odds of 1 (instead of ``probs``).
        validate_args: see :class:`Distribution`.

    Example:
        >>> import xpnet
        >>> t = xpnet.tensor(0.5, dtype=xpnet.float64)
        >>> d = RelaxedBernoulli(t, probs=xpnet.tensor([0.5, 0.8], dtype=xpnet.float64))
        >>> d.log_prob(xpnet.tensor([0.5, 0.75], dtype=xpnet.float64))
        tensor([-0.6931, -0.5757], dtype=xpnet.float64)
    """

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.unit_interval
    has_rsample = True

    def __init__(self, temperature, probs=None, logits=None, validate_args: bool | None = None):
        # validate_args passed on, as OneHotCategorical's (torch's base validates by default)
        base_dist = LogitRelaxedBernoulli(temperature, probs, logits, validate_args)
        super().__init__(base_dist, SigmoidTransform(), validate_args=validate_args)

    @property
    def temperature(self):
        return self.base_dist.temperature

    @property
    def logits(self):
        return self.base_dist.logits

    @property
    def probs(self):
        return self.base_dist.probs


class ExpRelaxedCategorical(Distribution):
    """The log of a :class:`RelaxedOneHotCategorical`'s point on the simplex (torch's
    interface of :class:`OneHotCategorical`).

    Args:
        temperature: the relaxation temperature, a positive Tensor.
        probs: event probabilities of shape ``batch_shape + (K,)`` (normalised).
        logits: unnormalised log probabilities (instead of ``probs``).
        validate_args: see :class:`Distribution`.

    Example:
        >>> import xpnet
        >>> t = xpnet.tensor(0.5, dtype=xpnet.float64)
        >>> d = ExpRelaxedCategorical(t, xpnet.tensor([0.25, 0.75], dtype=xpnet.float64))
        >>> d.log_prob(xpnet.tensor([-0.5, -0.97407698], dtype=xpnet.float64))
        tensor(-2.4958, dtype=xpnet.float64)
    """

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}
    support = constraints.real_vector  # the true support is a submanifold of it
    has_rsample = True

    def __init__(self, temperature, probs=None, logits=None, validate_args: bool | None = None):
        # validate_args passed on, as OneHotCategorical's (torch's validates by default), so
        # that validate_args=False reads nothing on the host
        self._categorical = Categorical(probs, logits, validate_args=validate_args)
        self.temperature = as_parameter(temperature)
        batch_shape = self._categorical.batch_shape
        event_shape = self._categorical.param_shape[-1:]
        super().__init__(batch_shape, event_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        shape = tuple(batch_shape)
        categorical = self._categorical.expand(shape)
        return self._expanded(
            ExpRelaxedCategorical, shape, temperature=self.temperature, _categorical=categorical
        )

    @property
    def param_shape(self):
        return self._categorical.param_shape

    @property
    def logits(self):
        return self._categorical.logits

    @property
    def probs(self):
        return self._categorical.probs

    def rsample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        uniforms = _uniforms(shape, self.logits)
        gumbels = -((-(uniforms.log())).log())
        scores = (self.logits + gumbels) / self.temperature
        return scores - scores.logsumexp(dim=-1, keepdim=True)

    def log_prob(self, value):
        K = self._categorical._num_events
        if self._validate_args:
            self._validate_sample(value)
        logits, value = broadcast_all(self.logits, value)
        temperature = self.temperature
        log_scale = full_like(temperature, float(K)).lgamma() + temperature.log() * (K - 1)
        score = logits - value * temperature
        score = (score - score.logsumexp(dim=-1, keepdim=True)).sum(-1)
        return score + log_scale


class RelaxedOneHotCategorical(TransformedDistribution):
    """A relaxed :class:`OneHotCategorical`: points on the simplex, the exp of an
    :class:`ExpRelaxedCategorical`, reparameterisable (the Gumbel-softmax).

    Args:
        temperature: the relaxation temperature, a positive Tensor.
        probs: event probabilities of shape ``batch_shape + (K,)`` (normalised).
        logits: unnormalised log probabilities (instead of ``probs``).
        validate_args: see :class:`Distribution`.

    Example:
        >>> import xpnet
        >>> t = xpnet.tensor(0.5, dtype=xpnet.float64)
        >>> d = RelaxedOneHotCategorical(t, xpnet.tensor([0.25, 0.75], dtype=xpnet.float64))
        >>> d.log_prob(xpnet.tensor([0.5, 0.5], dtype=xpnet.float64))
        tensor(-0.9808, dtype=xpnet.float64)
    """

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}
    support = constraints.simplex
    has_rsample = True

    def __init__(self, temperature, probs=None, logits=None, validate_args: bool | None = None):
        base_dist = ExpRelaxedCategorical(temperature, probs, logits, validate_args=validate_args)
        super().__init__(base_dist, ExpTransform(), validate_args=validate_args)

    @property
    def temperature(self):
        return self.base_dist.temperature

    @property
    def logits(self):
        return self.base_dist.logits

    @property
    def probs(self):
        return self.base_dist.probs


class OneHotCategoricalStraightThrough(OneHotCategorical):
    """A :class:`OneHotCategorical` whose ``rsample`` passes gradients straight through:
    the one-hot draw forward, the gradient of ``probs`` backward (Bengio et al., "Estimating
    or Propagating Gradients Through Stochastic Neurons for Conditional Computation", 2013).

    Args:
        probs: as :class:`OneHotCategorical`'s.
        logits: as :class:`OneHotCategorical`'s.
        validate_args: see :class:`Distribution`.

    Example:
        >>> import xpnet
        >>> p = xpnet.tensor([0.25, 0.75], dtype=xpnet.float64, requires_grad=True)
        >>> draw = OneHotCategoricalStraightThrough(p).rsample()
        >>> (draw * xpnet.tensor([1.0, 2.0], dtype=xpnet.float64)).sum().backward()
        >>> p.grad  # through probs = p / p.sum(): (w - w @ probs) / p.sum()
        tensor([-0.7500,  0.2500], dtype=xpnet.float64)
    """

    has_rsample = True

    def rsample(self, sample_shape=()):
        samples = self.sample(sample_shape)
        probs = self._categorical.probs
        return samples + (probs - probs.detach())
