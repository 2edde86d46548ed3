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
    array([-1., -1.])
"""

from __future__ import annotations

from . import constraints, transforms
from .constraint_registry import biject_to, transform_to
from .continuous import Exponential, Laplace, Uniform
from .counts import Binomial, Poisson
from .discrete import Bernoulli, Categorical, OneHotCategorical
from .distribution import Distribution
from .gamma import Beta, Dirichlet, Gamma
from .independent import Independent
from .kl import kl_divergence, register_kl
from .mixture_same_family import MixtureSameFamily
from .multivariate_normal import MultivariateNormal
from .normal import LogNormal, Normal
from .transformed_distribution import TransformedDistribution

__all__ = [
    "Bernoulli",
    "Beta",
    "Binomial",
    "Categorical",
    "Dirichlet",
    "Distribution",
    "Exponential",
    "Gamma",
    "Independent",
    "Laplace",
    "LogNormal",
    "MixtureSameFamily",
    "MultivariateNormal",
    "Normal",
    "OneHotCategorical",
    "Poisson",
    "TransformedDistribution",
    "Uniform",
    "biject_to",
    "constraints",
    "kl_divergence",
    "register_kl",
    "transform_to",
    "transforms",
]
