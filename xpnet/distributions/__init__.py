"""``xpnet.distributions``: PyTorch's ``torch.distributions`` on xpnet Tensors.

Parameters, shapes (``sample_shape + batch_shape + event_shape``), validation and messages are
torch's; ``log_prob``, ``entropy``, ``cdf``, ``rsample`` and ``kl_divergence`` are built from
xpnet's Tensor operations, so gradients reach the parameters through :mod:`xpnet.autograd`.
Draws come from xpnet's generator (:func:`xpnet.manual_seed` repeats them; the numbers differ
from PyTorch's).

Example:
    >>> import xpnet
    >>> from xpnet.distributions import Normal, kl_divergence
    >>> loc = xpnet.zeros(2, dtype=xpnet.float64, requires_grad=True)
    >>> p = Normal(loc, 1.0)
    >>> loss = -p.log_prob(xpnet.ones(2, dtype=xpnet.float64)).sum()
    >>> loss.backward()
    >>> loc.grad
    tensor([-1., -1.], dtype=xpnet.float64)
"""

from __future__ import annotations

from . import constraints, transforms
from .bounded import Kumaraswamy, LogisticNormal
from .constraint_registry import biject_to, transform_to
from .continuous import Exponential, Laplace, Uniform
from .continuous_bernoulli import ContinuousBernoulli
from .counts import Binomial, Poisson
from .counts_more import Geometric, Multinomial, NegativeBinomial
from .discrete import Bernoulli, Categorical, OneHotCategorical
from .distribution import Distribution
from .exp_family import ExponentialFamily
from .extreme_value import GeneralizedPareto, Gumbel, Pareto, Weibull
from .gamma import Beta, Dirichlet, Gamma
from .gamma_derived import Chi2, FisherSnedecor, InverseGamma, StudentT
from .heavy_tailed import Cauchy, HalfCauchy, HalfNormal
from .independent import Independent
from .kl import kl_divergence, register_kl
from .lkj_cholesky import LKJCholesky
from .lowrank_multivariate_normal import LowRankMultivariateNormal
from .mixture_same_family import MixtureSameFamily
from .multivariate_normal import MultivariateNormal
from .normal import LogNormal, Normal
from .relaxed import OneHotCategoricalStraightThrough, RelaxedBernoulli, RelaxedOneHotCategorical
from .transformed_distribution import TransformedDistribution
from .transforms import *  # noqa: F403 - torch.distributions exports every transform too
from .von_mises import VonMises
from .wishart import Wishart

__all__ = [
    "Bernoulli",
    "Beta",
    "Binomial",
    "Categorical",
    "Cauchy",
    "Chi2",
    "ContinuousBernoulli",
    "Dirichlet",
    "Distribution",
    "Exponential",
    "ExponentialFamily",
    "FisherSnedecor",
    "Gamma",
    "GeneralizedPareto",
    "Geometric",
    "Gumbel",
    "HalfCauchy",
    "HalfNormal",
    "Independent",
    "InverseGamma",
    "Kumaraswamy",
    "LKJCholesky",
    "Laplace",
    "LogNormal",
    "LogisticNormal",
    "LowRankMultivariateNormal",
    "MixtureSameFamily",
    "Multinomial",
    "MultivariateNormal",
    "NegativeBinomial",
    "Normal",
    "OneHotCategorical",
    "OneHotCategoricalStraightThrough",
    "Pareto",
    "Poisson",
    "RelaxedBernoulli",
    "RelaxedOneHotCategorical",
    "StudentT",
    "TransformedDistribution",
    "Uniform",
    "VonMises",
    "Weibull",
    "Wishart",
    "biject_to",
    "constraints",
    "kl_divergence",
    "register_kl",
    "transform_to",
    "transforms",
]
__all__ += transforms.__all__  # every transform, as torch.distributions exports them
