"""``kl_divergence(p, q)`` and the ``register_kl`` registry, as ``torch.distributions.kl``,
with the closed forms of same-family pairs (formulas: torch's ``kl.py``, which cites each)."""

from __future__ import annotations

import math

from .. import linalg
from .._tensor_elementwise import digamma, lgamma
from .._tensor_index import where
from .._torch_aliases import broadcast_shapes
from ..nn.functional import softplus
from .continuous import Exponential, Laplace, Uniform
from .counts import Binomial, Poisson
from .discrete import Bernoulli, Categorical, OneHotCategorical
from .distribution import Distribution
from .exp_family import ExponentialFamily, kl_expfamily_expfamily
from .gamma import Beta, Dirichlet, Gamma
from .independent import Independent
from .kl_continuous_bernoulli import KL_PAIRS as CONTINUOUS_BERNOULLI_KL_PAIRS
from .kl_continuous_more import KL_PAIRS as CONTINUOUS_MORE_KL_PAIRS
from .kl_cross_family import KL_PAIRS as CROSS_FAMILY_KL_PAIRS
from .kl_lowrank import KL_PAIRS as LOWRANK_KL_PAIRS
from .multivariate_normal import MultivariateNormal, batch_mahalanobis
from .normal import LogNormal, Normal
from .transformed_distribution import TransformedDistribution
from .utils import sum_rightmost

__all__ = ["kl_divergence", "register_kl"]

_KL_REGISTRY: dict = {}  # (type_p, type_q) -> function


def register_kl(type_p, type_q):
    """A decorator registering ``fn(p, q)`` as the KL divergence of a pair of distribution
    classes (subclasses included; the most specific registered pair wins).

    Raises:
        TypeError: ``type_p`` or ``type_q`` not a subclass of :class:`Distribution`.

    Example:
        >>> from xpnet.distributions import Normal
        >>> class Shifted(Normal):
        ...     pass
        >>> @register_kl(Shifted, Shifted)
        ... def _kl_shifted(p, q):
        ...     return (p.loc - q.loc).abs()
        >>> float(kl_divergence(Shifted(1.0, 1.0), Shifted(3.0, 1.0)))
        2.0
    """
    for name, cls in (("type_p", type_p), ("type_q", type_q)):
        if not (isinstance(cls, type) and issubclass(cls, Distribution)):
            msg = f"register_kl: Expected {name} to be a Distribution subclass but got {cls!r}"
            raise TypeError(msg)

    def decorator(fn):
        _KL_REGISTRY[type_p, type_q] = fn
        return fn

    return decorator


def _dispatch(type_p, type_q):
    matches = [(p, q) for p, q in _KL_REGISTRY if issubclass(type_p, p) and issubclass(type_q, q)]
    if not matches:
        return None
    # the most specific pair: nearest in p's class hierarchy first, then in q's
    best = min(matches, key=lambda m: (type_p.__mro__.index(m[0]), type_q.__mro__.index(m[1])))
    return _KL_REGISTRY[best]


def kl_divergence(p: Distribution, q: Distribution):
    r"""The Kullback-Leibler divergence :math:`KL(p \| q) = \int p(x) \log(p(x) / q(x))\,dx`,
    batched over the batch shape, for the pairs registered with :func:`register_kl`.

    Raises:
        NotImplementedError: no KL is registered for the pair (torch's message).

    Example:
        >>> import xpnet
        >>> from xpnet.distributions import Normal
        >>> p = Normal(xpnet.tensor([0.0, 1.0], dtype=xpnet.float64), 1.0)
        >>> kl_divergence(p, Normal(0.0, 2.0))
        tensor([0.3181, 0.4431], dtype=xpnet.float64)
    """
    fn = _dispatch(type(p), type(q))
    if fn is None:
        msg = (
            f"No KL(p || q) is implemented for p type {type(p).__name__} and "
            f"q type {type(q).__name__}"
        )
        raise NotImplementedError(msg)
    return fn(p, q)


@register_kl(Bernoulli, Bernoulli)
def _kl_bernoulli_bernoulli(p, q):
    # p = 0 or 1 contributes nothing; q = 0 or 1 where p is not makes the divergence infinite
    t1 = p.probs * (softplus(-q.logits) - softplus(-p.logits))
    t1 = where(p.probs == 0, 0.0, where(q.probs == 0, math.inf, t1))
    t2 = (1 - p.probs) * (softplus(q.logits) - softplus(p.logits))
    t2 = where(p.probs == 1, 0.0, where(q.probs == 1, math.inf, t2))
    return t1 + t2


@register_kl(Categorical, Categorical)
def _kl_categorical_categorical(p, q):
    t = p.probs * (p.logits - q.logits)
    t = where(p.probs == 0, 0.0, where(q.probs == 0, math.inf, t))
    return t.sum(-1)


@register_kl(OneHotCategorical, OneHotCategorical)
def _kl_onehotcategorical_onehotcategorical(p, q):
    return _kl_categorical_categorical(p._categorical, q._categorical)


@register_kl(Normal, Normal)
def _kl_normal_normal(p, q):
    var_ratio = (p.scale / q.scale).pow(2)
    t1 = ((p.loc - q.loc) / q.scale).pow(2)
    return 0.5 * (var_ratio + t1 - 1 - var_ratio.log())


@register_kl(LogNormal, LogNormal)
def _kl_lognormal_lognormal(p, q):
    return _kl_normal_normal(p.base_dist, q.base_dist)  # KL is invariant under exp


@register_kl(Uniform, Uniform)
def _kl_uniform_uniform(p, q):
    result = ((q.high - q.low) / (p.high - p.low)).log()
    return where((q.low > p.low) | (q.high < p.high), math.inf, result)


@register_kl(Exponential, Exponential)
def _kl_exponential_exponential(p, q):
    rate_ratio = q.rate / p.rate
    return -rate_ratio.log() + rate_ratio - 1


@register_kl(Laplace, Laplace)
def _kl_laplace_laplace(p, q):
    scale_ratio = p.scale / q.scale
    loc_abs_diff = (p.loc - q.loc).abs()
    t3 = scale_ratio * (-loc_abs_diff / p.scale).exp()
    return -scale_ratio.log() + loc_abs_diff / q.scale + t3 - 1


@register_kl(MultivariateNormal, MultivariateNormal)
def _kl_multivariatenormal_multivariatenormal(p, q):
    if p.event_shape != q.event_shape:
        msg = (
            "KL-divergence between two Multivariate Normals with different event shapes "
            f"cannot be computed, got {p.event_shape} and {q.event_shape}"
        )
        raise ValueError(msg)
    p_tril, q_tril = p._unbroadcasted_scale_tril, q._unbroadcasted_scale_tril
    half_term1 = q._half_log_det() - p._half_log_det()
    n = p.event_shape[0]
    shape = tuple(broadcast_shapes(tuple(q_tril.shape[:-2]), tuple(p_tril.shape[:-2])))
    X = linalg.solve_triangular(
        q_tril.expand(shape + (n, n)), p_tril.expand(shape + (n, n)), upper=False
    )
    term2 = X.pow(2).sum(-1).sum(-1)  # trace(X X^T)
    term3 = batch_mahalanobis(q_tril, q.loc - p.loc)
    return half_term1 + 0.5 * (term2 + term3 - n)


@register_kl(Independent, Independent)
def _kl_independent_independent(p, q):
    if p.reinterpreted_batch_ndims != q.reinterpreted_batch_ndims:
        msg = (
            "kl_divergence: Independent distributions with different "
            f"reinterpreted_batch_ndims, {p.reinterpreted_batch_ndims} and "
            f"{q.reinterpreted_batch_ndims}"
        )
        raise NotImplementedError(msg)
    result = kl_divergence(p.base_dist, q.base_dist)
    return sum_rightmost(result, p.reinterpreted_batch_ndims)


@register_kl(TransformedDistribution, TransformedDistribution)
def _kl_transformed_transformed(p, q):
    # KL is invariant under one bijection applied to both sides; torch raises a bare error
    if p.transforms != q.transforms or p.event_shape != q.event_shape:
        msg = (
            f"kl_divergence: {type(p).__name__} and {type(q).__name__} need the same transforms "
            f"and event_shape, got event shapes {p.event_shape} and {q.event_shape}"
        )
        raise NotImplementedError(msg)
    return kl_divergence(p.base_dist, q.base_dist)


@register_kl(Poisson, Poisson)
def _kl_poisson_poisson(p, q):
    return p.rate * (p.rate.log() - q.rate.log()) - (p.rate - q.rate)


@register_kl(Binomial, Binomial)
def _kl_binomial_binomial(p, q):
    # https://math.stackexchange.com/questions/2214993 (torch's source); a host read, as torch's
    if (p.total_count < q.total_count).any().item():
        msg = "KL between Binomials where q.total_count > p.total_count is not implemented"
        raise NotImplementedError(msg)
    kl = p.total_count * (p.probs * (p.logits - q.logits) + (-p.probs).log1p() - (-q.probs).log1p())
    return where(p.total_count > q.total_count, math.inf, kl)


@register_kl(Gamma, Gamma)
def _kl_gamma_gamma(p, q):
    t1 = q.concentration * (p.rate / q.rate).log()
    t2 = lgamma(q.concentration) - lgamma(p.concentration)
    t3 = (p.concentration - q.concentration) * digamma(p.concentration)
    t4 = (q.rate - p.rate) * (p.concentration / p.rate)
    return t1 + t2 + t3 + t4


@register_kl(Beta, Beta)
def _kl_beta_beta(p, q):
    sum_p = p.concentration1 + p.concentration0
    sum_q = q.concentration1 + q.concentration0
    t1 = lgamma(q.concentration1) + lgamma(q.concentration0) + lgamma(sum_p)
    t2 = lgamma(p.concentration1) + lgamma(p.concentration0) + lgamma(sum_q)
    t3 = (p.concentration1 - q.concentration1) * digamma(p.concentration1)
    t4 = (p.concentration0 - q.concentration0) * digamma(p.concentration0)
    t5 = (sum_q - sum_p) * digamma(sum_p)
    return t1 - t2 + t3 + t4 + t5


@register_kl(Dirichlet, Dirichlet)
def _kl_dirichlet_dirichlet(p, q):
    sum_p = p.concentration.sum(-1)
    sum_q = q.concentration.sum(-1)
    t1 = lgamma(sum_p) - lgamma(sum_q)
    t2 = (lgamma(p.concentration) - lgamma(q.concentration)).sum(-1)
    t3 = p.concentration - q.concentration
    t4 = digamma(p.concentration) - digamma(sum_p).unsqueeze(-1)
    return t1 - t2 + (t3 * t4).sum(-1)


for (_p, _q), _kl in CONTINUOUS_BERNOULLI_KL_PAIRS.items():  # ContinuousBernoulli, Geometric
    register_kl(_p, _q)(_kl)
for (_p, _q), _kl in LOWRANK_KL_PAIRS.items():  # LowRankMultivariateNormal, MultivariateNormal
    register_kl(_p, _q)(_kl)

for (_p, _q), _kl in CONTINUOUS_MORE_KL_PAIRS.items():  # Cauchy, HalfNormal, Gumbel, Pareto
    register_kl(_p, _q)(_kl)
register_kl(ExponentialFamily, ExponentialFamily)(kl_expfamily_expfamily)  # a same-class pair
for (_p, _q), _kl in CROSS_FAMILY_KL_PAIRS.items():  # torch's pairs of two different families
    register_kl(_p, _q)(_kl)
