"""The KL divergences torch's ``kl.py`` registers between two different families (Beta,
Exponential, Gamma, Gumbel, Laplace, Normal, Pareto, Poisson, Uniform, ...), as the table
:data:`KL_PAIRS`, which :mod:`~xpnet.distributions.kl` registers. Formulas are torch's; so
are the infinities: a pair whose ``q`` misses part of ``p``'s support is infinite everywhere
(:func:`infinite_like`), or where the parameters make it so (``where(..., inf, ...)`` in place
of torch's masked write ``result[mask] = inf``, which refuses parameters of different batch
shapes; this broadcasts them)."""

from __future__ import annotations

import math

from .._creation import full_like
from .._tensor_elementwise import erf, lgamma, xlogy
from .._tensor_index import where
from .continuous import Exponential, Laplace, Uniform
from .continuous_bernoulli import ContinuousBernoulli
from .counts import Binomial, Poisson
from .discrete import Bernoulli
from .extreme_value import Gumbel, Pareto
from .gamma import Beta, Gamma
from .normal import Normal
from .utils import euler_constant

__all__ = ["KL_PAIRS", "infinite_like"]


def infinite_like(tensor):
    """A tensor of ``inf`` shaped as ``tensor``: the KL where ``q``'s support misses part of
    ``p``'s (torch's ``_infinite_like``; no gradient, as there).

    Example:
        >>> import xpnet
        >>> infinite_like(xpnet.zeros(2))
        tensor([inf, inf])
    """
    return full_like(tensor, math.inf)


def _x_log_x(tensor):
    return xlogy(tensor, tensor)  # 0 at x = 0, as torch's ``_x_log_x``


def _beta_mean(p):
    return p.concentration1 / (p.concentration1 + p.concentration0)


def kl_bernoulli_poisson(p, q):
    return -p.entropy() - (p.probs * q.rate.log() - q.rate)


def kl_beta_exponential(p, q):
    return -p.entropy() - q.rate.log() + q.rate * _beta_mean(p)


def kl_beta_gamma(p, q):
    t1 = -p.entropy()
    t2 = lgamma(q.concentration) - q.concentration * q.rate.log()
    total = p.concentration1 + p.concentration0
    t3 = (q.concentration - 1) * (p.concentration1.digamma() - total.digamma())
    t4 = q.rate * _beta_mean(p)
    return t1 + t2 - t3 + t4


def kl_beta_normal(p, q):
    mean = _beta_mean(p)
    var_normal = q.scale.pow(2)
    t1 = -p.entropy()
    t2 = 0.5 * (var_normal * 2 * math.pi).log()
    t3 = (mean * (1 - mean) / (p.concentration1 + p.concentration0 + 1) + mean.pow(2)) * 0.5
    t4 = q.loc * mean
    t5 = q.loc.pow(2) * 0.5
    return t1 + t2 + (t3 - t4 + t5) / var_normal


def kl_beta_uniform(p, q):
    result = -p.entropy() + (q.high - q.low).log()
    outside = (q.low > p.support.lower_bound) | (q.high < p.support.upper_bound)
    return where(outside, math.inf, result)


def kl_exponential_gamma(p, q):
    ratio = q.rate / p.rate
    t1 = -q.concentration * ratio.log()
    t2 = lgamma(q.concentration) + q.concentration * euler_constant
    return t1 + ratio + t2 - (1 + euler_constant)


def kl_exponential_gumbel(p, q):
    scale_rate_prod = p.rate * q.scale
    loc_scale_ratio = q.loc / q.scale
    t1 = scale_rate_prod.log() - 1
    t2 = loc_scale_ratio.exp() * scale_rate_prod / (scale_rate_prod + 1)
    t3 = scale_rate_prod.reciprocal()
    return t1 - loc_scale_ratio + t2 + t3


def kl_exponential_normal(p, q):
    var_normal = q.scale.pow(2)
    rate_sqr = p.rate.pow(2)
    t1 = 0.5 * (rate_sqr * var_normal * 2 * math.pi).log()
    t2 = rate_sqr.reciprocal()
    t3 = q.loc / p.rate
    t4 = q.loc.pow(2) * 0.5
    return t1 - 1 + (t2 - t3 + t4) / var_normal


def kl_gamma_exponential(p, q):
    return -p.entropy() - q.rate.log() + q.rate * p.concentration / p.rate


def kl_gamma_gumbel(p, q):
    beta_scale_prod = p.rate * q.scale
    loc_scale_ratio = q.loc / q.scale
    a = p.concentration
    t1 = (a - 1) * a.digamma() - lgamma(a) - a
    t2 = beta_scale_prod.log() + a / beta_scale_prod
    t3 = loc_scale_ratio.exp() * (1 + beta_scale_prod.reciprocal()).pow(-a) - loc_scale_ratio
    return t1 + t2 + t3


def kl_gamma_normal(p, q):
    var_normal = q.scale.pow(2)
    beta_sqr = p.rate.pow(2)
    a = p.concentration
    t1 = 0.5 * (beta_sqr * var_normal * 2 * math.pi).log() - a - lgamma(a)
    t2 = 0.5 * (a.pow(2) + a) / beta_sqr
    t3 = q.loc * a / p.rate
    t4 = 0.5 * q.loc.pow(2)
    return t1 + (a - 1) * a.digamma() + (t2 - t3 + t4) / var_normal


def kl_gumbel_normal(p, q):
    param_ratio = p.scale / q.scale
    t1 = (param_ratio / math.sqrt(2 * math.pi)).log()
    t2 = (math.pi * param_ratio * 0.5).pow(2) / 3
    t3 = ((p.loc + p.scale * euler_constant - q.loc) / q.scale).pow(2) * 0.5
    return -t1 + t2 + t3 - (euler_constant + 1)


def kl_laplace_normal(p, q):
    var_normal = q.scale.pow(2)
    scale_sqr_var_ratio = p.scale.pow(2) / var_normal
    t1 = 0.5 * (2 * scale_sqr_var_ratio / math.pi).log()
    t2 = 0.5 * p.loc.pow(2)
    t3 = p.loc * q.loc
    t4 = 0.5 * q.loc.pow(2)
    return -t1 + scale_sqr_var_ratio + (t2 - t3 + t4) / var_normal - 1


def kl_normal_gumbel(p, q):
    mean_scale_ratio = p.loc / q.scale
    var_scale_sqr_ratio = (p.scale / q.scale).pow(2)
    loc_scale_ratio = q.loc / q.scale
    t1 = var_scale_sqr_ratio.log() * 0.5
    t2 = mean_scale_ratio - loc_scale_ratio
    t3 = (-mean_scale_ratio + 0.5 * var_scale_sqr_ratio + loc_scale_ratio).exp()
    return -t1 + t2 + t3 - (0.5 * (1 + math.log(2 * math.pi)))


def kl_normal_laplace(p, q):
    loc_diff = p.loc - q.loc
    scale_ratio = p.scale / q.scale
    loc_diff_scale_ratio = loc_diff / p.scale
    t1 = scale_ratio.log()
    t2 = math.sqrt(2 / math.pi) * p.scale * (-0.5 * loc_diff_scale_ratio.pow(2)).exp()
    t3 = loc_diff * erf(math.sqrt(0.5) * loc_diff_scale_ratio)
    return -t1 + (t2 + t3) / q.scale - (0.5 * (1 + math.log(0.5 * math.pi)))


def kl_pareto_exponential(p, q):
    scale_rate_prod = p.scale * q.rate
    t1 = (p.alpha / scale_rate_prod).log()
    t2 = p.alpha.reciprocal()
    t3 = p.alpha * scale_rate_prod / (p.alpha - 1)
    return where(p.alpha <= 1, math.inf, t1 - t2 + t3 - 1)  # no finite mean below 1


def kl_pareto_gamma(p, q):
    common_term = p.scale.log() + p.alpha.reciprocal()
    t1 = p.alpha.log() - common_term
    t2 = lgamma(q.concentration) - q.concentration * q.rate.log()
    t3 = (1 - q.concentration) * common_term
    t4 = q.rate * p.alpha * p.scale / (p.alpha - 1)
    return where(p.alpha <= 1, math.inf, t1 + t2 + t3 + t4 - 1)


def kl_pareto_normal(p, q):
    var_normal = 2 * q.scale.pow(2)
    common_term = p.scale / (p.alpha - 1)
    t1 = (math.sqrt(2 * math.pi) * q.scale * p.alpha / p.scale).log()
    t2 = p.alpha.reciprocal()
    t3 = p.alpha * common_term.pow(2) / (p.alpha - 2)
    t4 = (p.alpha * common_term - q.loc).pow(2)
    return where(p.alpha <= 2, math.inf, t1 - t2 + (t3 + t4) / var_normal - 1)  # no variance


def kl_uniform_beta(p, q):
    common_term = p.high - p.low
    t1 = common_term.log()
    t2 = (q.concentration1 - 1) * (_x_log_x(p.high) - _x_log_x(p.low) - common_term)
    t3 = (q.concentration0 - 1) * (_x_log_x(1 - p.high) - _x_log_x(1 - p.low) + common_term)
    total = q.concentration1 + q.concentration0
    t4 = lgamma(q.concentration1) + lgamma(q.concentration0) - lgamma(total)
    result = t3 / common_term + t4 - t1 - t2 / common_term
    outside = (p.high > q.support.upper_bound) | (p.low < q.support.lower_bound)
    return where(outside, math.inf, result)


def kl_uniform_exponential(p, q):
    result = q.rate * (p.high + p.low) / 2 - ((p.high - p.low) * q.rate).log()
    return where(p.low < q.support.lower_bound, math.inf, result)


def kl_uniform_gamma(p, q):
    common_term = p.high - p.low
    t1 = common_term.log()
    t2 = lgamma(q.concentration) - q.concentration * q.rate.log()
    t3 = (1 - q.concentration) * (_x_log_x(p.high) - _x_log_x(p.low) - common_term)
    t4 = q.rate * (p.high + p.low) / 2
    result = -t1 + t2 + t3 / common_term + t4
    return where(p.low < q.support.lower_bound, math.inf, result)


def kl_uniform_gumbel(p, q):
    common_term = q.scale / (p.high - p.low)
    high_loc_diff = (p.high - q.loc) / q.scale
    low_loc_diff = (p.low - q.loc) / q.scale
    t1 = common_term.log() + 0.5 * (high_loc_diff + low_loc_diff)
    t2 = common_term * ((-high_loc_diff).exp() - (-low_loc_diff).exp())
    return t1 - t2


def kl_uniform_normal(p, q):
    common_term = p.high - p.low
    t1 = (math.sqrt(math.pi * 2) * q.scale / common_term).log()
    t2 = common_term.pow(2) / 12
    t3 = ((p.high + p.low - 2 * q.loc) / 2).pow(2)
    return t1 + 0.5 * (t2 + t3) / q.scale.pow(2)


def kl_uniform_pareto(p, q):
    support_uniform = p.high - p.low
    t1 = (q.alpha * q.scale.pow(q.alpha) * support_uniform).log()
    t2 = (_x_log_x(p.high) - _x_log_x(p.low) - support_uniform) / support_uniform
    result = t2 * (q.alpha + 1) - t1
    return where(p.low < q.support.lower_bound, math.inf, result)


def _infinity(parameter):
    def kl_infinity(p, q):
        return infinite_like(getattr(p, parameter))

    kl_infinity.__name__ = kl_infinity.__qualname__ = f"kl_infinity_like_{parameter}"
    return kl_infinity


# p's family: (the parameter whose shape the infinity takes, the q families torch makes
# infinite, as its ``_kl_<p>_infinity``); the ContinuousBernoulli q's of Exponential, Gamma,
# Laplace and Normal are in kl_continuous_bernoulli.py
_INFINITE = {
    Beta: ("concentration1", (Pareto,)),
    ContinuousBernoulli: ("probs", (Pareto,)),
    Exponential: ("rate", (Beta, Pareto, Uniform)),
    Gamma: ("concentration", (Beta, Pareto, Uniform)),
    Gumbel: ("loc", (Beta, ContinuousBernoulli, Exponential, Gamma, Pareto, Uniform)),
    Laplace: ("loc", (Beta, Exponential, Gamma, Pareto, Uniform)),
    Normal: ("loc", (Beta, Exponential, Gamma, Pareto, Uniform)),
    Pareto: ("scale", (Beta, ContinuousBernoulli, Uniform)),
    Poisson: ("rate", (Bernoulli, Binomial)),
}

# (type_p, type_q): KL(p || q)
KL_PAIRS = {
    (Bernoulli, Poisson): kl_bernoulli_poisson,
    (Beta, Exponential): kl_beta_exponential,
    (Beta, Gamma): kl_beta_gamma,
    (Beta, Normal): kl_beta_normal,
    (Beta, Uniform): kl_beta_uniform,
    (Exponential, Gamma): kl_exponential_gamma,
    (Exponential, Gumbel): kl_exponential_gumbel,
    (Exponential, Normal): kl_exponential_normal,
    (Gamma, Exponential): kl_gamma_exponential,
    (Gamma, Gumbel): kl_gamma_gumbel,
    (Gamma, Normal): kl_gamma_normal,
    (Gumbel, Normal): kl_gumbel_normal,
    (Laplace, Normal): kl_laplace_normal,
    (Normal, Gumbel): kl_normal_gumbel,
    (Normal, Laplace): kl_normal_laplace,
    (Pareto, Exponential): kl_pareto_exponential,
    (Pareto, Gamma): kl_pareto_gamma,
    (Pareto, Normal): kl_pareto_normal,
    (Uniform, Beta): kl_uniform_beta,
    (Uniform, Exponential): kl_uniform_exponential,
    (Uniform, Gamma): kl_uniform_gamma,
    (Uniform, Gumbel): kl_uniform_gumbel,
    (Uniform, Normal): kl_uniform_normal,
    (Uniform, Pareto): kl_uniform_pareto,
}
for _p, (_parameter, _qs) in _INFINITE.items():
    KL_PAIRS.update({(_p, _q): _infinity(_parameter) for _q in _qs})
