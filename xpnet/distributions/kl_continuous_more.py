"""The KL divergences torch's ``kl.py`` registers among :class:`Cauchy`, :class:`HalfNormal`,
:class:`Gumbel` and :class:`Pareto` (each with itself; formulas and citations: torch's), as the
table :data:`KL_PAIRS`, which :mod:`~xpnet.distributions.kl` registers."""

from __future__ import annotations

import math

from .._tensor_elementwise import lgamma
from .._tensor_index import where
from .extreme_value import Gumbel, Pareto
from .heavy_tailed import Cauchy, HalfNormal
from .utils import euler_constant

__all__ = ["KL_PAIRS"]


def kl_cauchy_cauchy(p, q):
    """From https://arxiv.org/abs/1905.10965 (as torch's)."""
    t1 = ((p.scale + q.scale).pow(2) + (p.loc - q.loc).pow(2)).log()
    t2 = (4 * p.scale * q.scale).log()
    return t1 - t2


def kl_halfnormal_halfnormal(p, q):
    """The KL of the two full normals (the halves' densities are both doubled on one side)."""
    var_ratio = (p.scale / q.scale).pow(2)
    return 0.5 * (var_ratio - 1 - var_ratio.log())


def kl_gumbel_gumbel(p, q):
    ct1 = p.scale / q.scale
    ct2 = q.loc / q.scale
    ct3 = p.loc / q.scale
    t1 = -ct1.log() - ct2 + ct3
    t2 = ct1 * euler_constant
    t3 = (ct2 + lgamma(1 + ct1) - ct3).exp()
    return t1 + t2 + t3 - (1 + euler_constant)


def kl_pareto_pareto(p, q):
    """From http://www.mast.queensu.ca/~communications/Papers/gil-msc11.pdf (as torch's);
    infinite where ``p``'s support starts below ``q``'s."""
    scale_ratio = p.scale / q.scale
    alpha_ratio = q.alpha / p.alpha
    result = q.alpha * scale_ratio.log() - alpha_ratio.log() + alpha_ratio - 1
    return where(p.scale < q.scale, math.inf, result)


KL_PAIRS = {
    (Cauchy, Cauchy): kl_cauchy_cauchy,
    (HalfNormal, HalfNormal): kl_halfnormal_halfnormal,
    (Gumbel, Gumbel): kl_gumbel_gumbel,
    (Pareto, Pareto): kl_pareto_pareto,
}
