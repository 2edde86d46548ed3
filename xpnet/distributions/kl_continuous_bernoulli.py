"""The KL divergences torch's ``kl.py`` registers for :class:`ContinuousBernoulli` (with itself
and across families) and for :class:`Geometric`, as the table :data:`KL_PAIRS`, which
:mod:`~xpnet.distributions.kl` registers. Infinite where ``q``'s support misses part of
``p``'s (torch's ``_infinite_like``: :func:`~.kl_cross_family.infinite_like`)."""

from __future__ import annotations

import math

from .._tensor_index import where
from .continuous import Exponential, Laplace, Uniform
from .continuous_bernoulli import ContinuousBernoulli
from .counts_more import Geometric
from .gamma import Beta, Gamma
from .kl_cross_family import infinite_like
from .normal import Normal

__all__ = ["KL_PAIRS"]


def _kl_continuous_bernoulli_continuous_bernoulli(p, q):
    t1 = p.mean * (p.logits - q.logits)
    t2 = p._cont_bern_log_norm() + (-p.probs).log1p()
    t3 = -q._cont_bern_log_norm() - (-q.probs).log1p()
    return t1 + t2 + t3


def _kl_geometric_geometric(p, q):
    return -p.entropy() - (-q.probs).log1p() / p.probs - q.logits


def _kl_beta_continuous_bernoulli(p, q):
    log_norm = q._cont_bern_log_norm()
    return -p.entropy() - p.mean * q.logits - (-q.probs).log1p() - log_norm


def _kl_continuous_bernoulli_exponential(p, q):
    return -p.entropy() - q.rate.log() + q.rate * p.mean


def _kl_continuous_bernoulli_normal(p, q):
    t1 = -p.entropy()
    t2 = 0.5 * (math.log(2.0 * math.pi) + (q.loc / q.scale).square()) + q.scale.log()
    t3 = (p.variance + p.mean.square() - 2.0 * q.loc * p.mean) / (2.0 * q.scale.square())
    return t1 + t2 + t3


def _kl_continuous_bernoulli_uniform(p, q):
    result = -p.entropy() + (q.high - q.low).log()
    # torch's test, kept as it is: infinite unless q.low < 0 and q.high > 1
    outside = (q.low >= p.support.lower_bound) | (q.high <= p.support.upper_bound)
    return where(outside, math.inf, result)


def _kl_uniform_continuous_bernoulli(p, q):
    log_norm = q._cont_bern_log_norm()
    result = -p.entropy() - p.mean * q.logits - (-q.probs).log1p() - log_norm
    outside = (p.high >= q.support.upper_bound) | (p.low <= q.support.lower_bound)
    return where(outside, math.inf, result)


def _kl_exponential_infinity(p, q):
    return infinite_like(p.rate)


def _kl_gamma_infinity(p, q):
    return infinite_like(p.concentration)


def _kl_loc_infinity(p, q):
    return infinite_like(p.loc)


# (type_p, type_q): KL(p || q), torch's registrations involving these two families
KL_PAIRS = {
    (ContinuousBernoulli, ContinuousBernoulli): _kl_continuous_bernoulli_continuous_bernoulli,
    (Geometric, Geometric): _kl_geometric_geometric,
    (Beta, ContinuousBernoulli): _kl_beta_continuous_bernoulli,
    (ContinuousBernoulli, Exponential): _kl_continuous_bernoulli_exponential,
    (ContinuousBernoulli, Normal): _kl_continuous_bernoulli_normal,
    (ContinuousBernoulli, Uniform): _kl_continuous_bernoulli_uniform,
    (Uniform, ContinuousBernoulli): _kl_uniform_continuous_bernoulli,
    (Exponential, ContinuousBernoulli): _kl_exponential_infinity,
    (Gamma, ContinuousBernoulli): _kl_gamma_infinity,
    (Laplace, ContinuousBernoulli): _kl_loc_infinity,
    (Normal, ContinuousBernoulli): _kl_loc_infinity,
}
