"""More counting distributions, as ``torch.distributions``': :class:`Geometric` (failures
before the first success), :class:`NegativeBinomial` (successes before ``total_count``
failures) and :class:`Multinomial` (counts of ``total_count`` categorical draws); the two
constraints torch defines for them, ``half_open_interval`` and ``multinomial``, are
:mod:`~xpnet.distributions.constraints`' (and still importable from here).

Sampling reads the parameters on the host for :class:`NegativeBinomial` (gamma and Poisson
draws) and :class:`Multinomial` (:func:`xpnet.multinomial`), as xpnet's other count families.
"""

from __future__ import annotations

from .._creation import zeros, zeros_like
from .._random_tensors import rand
from .._tensor_elementwise import lgamma
from .._tensor_index import where
from .._tensor_random_ops import poisson
from .._torch_aliases import finfo
from ..nn.functional import binary_cross_entropy_with_logits, logsigmoid
from . import constraints
from .counts import Binomial
from .discrete import Categorical
from .distribution import Distribution
from .gamma import Gamma
from .utils import ProbsOrLogits, batch_shape_of, broadcast_all, device_of, lazy_property

__all__ = [
    "Geometric",
    "Multinomial",
    "NegativeBinomial",
    "half_open_interval",
    "multinomial",
]


# torch defines these two for the families here; they live with the other constraints
half_open_interval, multinomial = constraints.half_open_interval, constraints.multinomial


def _one_of(probs, logits) -> None:
    if (probs is None) == (logits is None):
        raise ValueError("Either `probs` or `logits` must be specified, but not both.")


class Geometric(ProbsOrLogits, Distribution):
    r"""The number of failures before the first success of Bernoulli trials of ``probs``:
    :math:`P(X = k) = (1 - p)^k p`, ``k = 0, 1, ...``.

    Args:
        probs: success probabilities in ``(0, 1]``, a float or Tensor.
        logits: log-odds of success (instead of ``probs``).
        validate_args: see :class:`Distribution`.

    Raises:
        ValueError: both or neither of ``probs`` and ``logits``; with validation, ``probs``
            outside ``(0, 1]`` (torch's messages).

    Example:
        >>> import xpnet
        >>> d = Geometric(xpnet.tensor([0.5, 0.25], dtype=xpnet.float64))
        >>> d.mean, d.log_prob(xpnet.tensor([0.0, 2.0], dtype=xpnet.float64))
        (tensor([1., 3.], dtype=xpnet.float64), tensor([-0.6931, -1.9617], dtype=xpnet.float64))
    """

    binary = True
    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.nonnegative_integer

    def __init__(self, probs=None, logits=None, validate_args: bool | None = None):
        _one_of(probs, logits)
        given = probs if probs is not None else logits
        (param,) = broadcast_all(given)
        setattr(self, "probs" if probs is not None else "logits", param)
        self._param = param
        super().__init__(batch_shape_of(param, given), validate_args=validate_args)
        if self._validate_args and probs is not None:
            valid = self.probs > 0  # probability 0 never succeeds: no distribution
            if not bool(valid.all().item()):
                msg = (
                    f"Expected parameter probs ({type(param).__name__} of shape "
                    f"{tuple(param.shape)}) of distribution {self!r} to be positive but found "
                    f"invalid values:\n{param[~valid]}"
                )
                raise ValueError(msg)

    def expand(self, batch_shape, _instance=None):
        shape = tuple(batch_shape)
        return self._expanded(Geometric, shape, **self.expanded_params(shape))

    @property
    def mean(self):
        return 1.0 / self.probs - 1.0

    @property
    def mode(self):
        return zeros_like(self.probs)

    @property
    def variance(self):
        return (1.0 / self.probs - 1.0) / self.probs

    def sample(self, sample_shape=()):
        # inversion: floor(log u / log(1 - p)), u in [tiny, 1) as torch's uniform_(tiny, 1)
        shape = self._extended_shape(sample_shape)
        probs = self.probs.detach()
        u = rand(shape, dtype=probs.dtype, device=device_of(probs))
        u = u.clamp(min=finfo(probs.dtype).tiny)
        return (u.log() / (-probs).log1p()).floor()

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        value, probs = broadcast_all(value, self.probs)
        # p = 1 at k = 0: 0 * log(0) is 0 (torch zeroes those probs, cutting their gradient)
        probs = where((probs == 1) & (value == 0), 0.0, probs)
        return value * (-probs).log1p() + self.probs.log()

    def entropy(self):
        bce = binary_cross_entropy_with_logits(self.logits, self.probs, reduction="none")
        return bce / self.probs


class NegativeBinomial(ProbsOrLogits, Distribution):
    r"""The number of successes before ``total_count`` failures of Bernoulli trials of
    ``probs``: a gamma-Poisson mixture, valid for real ``total_count``.

    Args:
        total_count: a non-negative float or Tensor.
        probs: success probabilities in ``[0, 1)``.
        logits: log-odds of success (instead of ``probs``).
        validate_args: see :class:`Distribution`.

    Raises:
        ValueError: both or neither of ``probs`` and ``logits``.

    Example:
        >>> import xpnet
        >>> d = NegativeBinomial(3.0, xpnet.tensor([0.5, 0.25], dtype=xpnet.float64))
        >>> d.mean, d.log_prob(xpnet.tensor([2.0, 0.0], dtype=xpnet.float64))
        (tensor([3., 1.], dtype=xpnet.float64), tensor([-1.6740, -0.8630], dtype=xpnet.float64))
    """

    binary = True
    arg_constraints = {
        "total_count": constraints.greater_than_eq(0),
        "probs": half_open_interval(0.0, 1.0),
        "logits": constraints.real,
    }
    support = constraints.nonnegative_integer

    def __init__(self, total_count, probs=None, logits=None, validate_args: bool | None = None):
        _one_of(probs, logits)
        name, given = ("probs", probs) if probs is not None else ("logits", logits)
        total_count, param = broadcast_all(total_count, given)
        self.total_count = total_count.type_as(param)
        setattr(self, name, param)
        self._param = param
        super().__init__(tuple(param.shape), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        shape = tuple(batch_shape)
        params = self.expanded_params(shape)
        total_count = self.total_count.expand(shape)
        return self._expanded(NegativeBinomial, shape, total_count=total_count, **params)

    @property
    def mean(self):
        return self.total_count * self.logits.exp()

    @property
    def mode(self):
        return ((self.total_count - 1) * self.logits.exp()).floor().clamp(min=0.0)

    @property
    def variance(self):
        return self.mean / (-self.logits).sigmoid()

    @lazy_property
    def _gamma(self):
        # not validated: total_count may be 0 (torch's note)
        return Gamma(self.total_count, (-self.logits).exp(), validate_args=False)

    def sample(self, sample_shape=()):
        rate = self._gamma.sample(sample_shape)
        return poisson(rate.detach())

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        total_count, logits = self.total_count, self.logits
        log_unnormalized_prob = total_count * logsigmoid(-logits) + value * logsigmoid(logits)
        log_normalization = lgamma(1.0 + value) + lgamma(total_count) - lgamma(total_count + value)
        # total_count = value = 0 has probability 1, but lgamma(0) is infinite
        log_normalization = log_normalization.masked_fill(total_count + value == 0.0, 0.0)
        return log_unnormalized_prob - log_normalization


class Multinomial(Distribution):
    """The counts of each of ``K`` classes in ``total_count`` draws of a :class:`Categorical`
    of ``probs`` (or ``logits``), along the last dimension.

    ``log_prob`` takes the number of draws from each ``value`` (so ``total_count`` is only
    needed to sample); ``sample`` and ``entropy`` use the one integer ``total_count``.

    Args:
        total_count: the number of draws, a Python int. Default: 1.
        probs: non-negative weights of shape ``batch_shape + (K,)``, normalised.
        logits: unnormalised log probabilities (instead of ``probs``).
        validate_args: see :class:`Distribution`.

    Raises:
        NotImplementedError: ``total_count`` not an int (torch's message).
        ValueError: both or neither of ``probs`` and ``logits``.

    Note:
        ``entropy`` adds ``lgamma(total_count + 1)`` in the parameters' dtype; torch computes
        that term in the default float dtype (float32), so float64 results differ by about
        its float32 rounding.

    Example:
        >>> import xpnet
        >>> d = Multinomial(4, xpnet.tensor([0.25, 0.25, 0.5], dtype=xpnet.float64))
        >>> d.mean, d.log_prob(xpnet.tensor([1.0, 1.0, 2.0], dtype=xpnet.float64))
        (tensor([1., 1., 2.], dtype=xpnet.float64), tensor(-1.6740, dtype=xpnet.float64))
    """

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}

    def __init__(self, total_count=1, probs=None, logits=None, validate_args: bool | None = None):
        if not isinstance(total_count, int):
            raise NotImplementedError("inhomogeneous total_count is not supported")
        self.total_count = total_count
        # validate_args passed on, as OneHotCategorical's (torch's validates by default)
        self._categorical = Categorical(probs=probs, logits=logits, validate_args=validate_args)
        batch_shape = self._categorical.batch_shape
        event_shape = self._categorical.param_shape[-1:]
        super().__init__(batch_shape, event_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        shape = tuple(batch_shape)
        categorical = self._categorical.expand(shape)
        return self._expanded(
            Multinomial, shape, total_count=self.total_count, _categorical=categorical
        )

    @constraints.dependent_property(is_discrete=True, event_dim=1)
    def support(self):
        return multinomial(self.total_count)

    @property
    def logits(self):
        return self._categorical.logits

    @property
    def probs(self):
        return self._categorical.probs

    @property
    def param_shape(self):
        return self._categorical.param_shape

    @property
    def mean(self):
        return self.probs * self.total_count

    @property
    def variance(self):
        return self.total_count * self.probs * (1 - self.probs)

    def sample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        sample_shape = shape[: len(shape) - len(self._batch_shape) - 1]
        draws = self._categorical.sample((self.total_count, *sample_shape))
        draws = draws.movedim(0, -1)  # sample_shape + batch_shape + (n,): each draw's class
        # counted in the probs' float dtype: CuPy has no int64 atomics for the scatter-add
        probs = self.probs.detach()
        counts = zeros(shape, dtype=probs.dtype, device=device_of(probs))
        ones = zeros(tuple(draws.shape), dtype=probs.dtype, device=device_of(probs)) + 1
        return counts.scatter_add(-1, draws, ones)

    def entropy(self):
        n = self.total_count
        term1 = n * self._categorical.entropy() - lgamma(self.probs.new_tensor(n + 1.0))
        # sum_k E[log x_k!] with x_k ~ Binomial(n, p_k), over x_k = 1 .. n
        binomial = Binomial(n, probs=self.probs, validate_args=False)
        support = binomial.enumerate_support(expand=False)[1:]
        binomial_probs = binomial.log_prob(support).exp()
        weights = lgamma(support + 1)
        term2 = (binomial_probs * weights).sum(0).sum(-1)
        return term1 + term2

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        logits, value = broadcast_all(self.logits, value)
        log_factorial_n = lgamma(value.sum(-1) + 1)
        log_factorial_xs = lgamma(value + 1).sum(-1)
        # a class of probability 0 that is never drawn: 0 * -inf is 0, not NaN
        logits = where((value == 0) & (logits == float("-inf")), 0.0, logits)
        log_powers = (logits * value).sum(-1)
        return log_factorial_n - log_factorial_xs + log_powers
