"""The gamma family: :class:`Gamma`, :class:`Beta` and :class:`Dirichlet`, as
``torch.distributions``' for ``log_prob``, ``entropy``, ``mean``, ``mode``, ``variance`` and
``rsample`` (differentiable). Sampling draws gamma variates on the host from xpnet's generator,
which reads the concentrations on the host (a device sync on a GPU); ``rsample``'s gradients
with respect to the concentrations are PyTorch's implicit reparameterisation gradients
(:mod:`.gamma_grad`), those with respect to a rate follow from ``x / rate``.
"""

from __future__ import annotations

import numpy

from .._creation import zeros_like
from .._random import host_generator
from .._special_more import gammainc
from .._tensor_elementwise import digamma, lgamma, xlogy
from .._tensor_index import where
from .._tensor_join import stack
from .._torch_aliases import finfo
from ..autograd import Function, Tensor
from ..backends import backend_of
from . import constraints
from .exp_family import ExponentialFamily
from .gamma_grad import dirichlet_grad, standard_gamma_grad
from .utils import as_parameter, batch_shape_of, broadcast_all

__all__ = ["Beta", "Dirichlet", "Gamma", "dirichlet_draws", "standard_gamma"]


def standard_gamma(concentration: Tensor) -> Tensor:
    """Gamma(``concentration``, 1) draws of ``concentration``'s shape, dtype and backend, from
    xpnet's generator (:func:`xpnet.manual_seed`), at least the dtype's ``tiny`` (as torch's,
    which is also the draw for a negative or NaN ``concentration``)."""
    backend = backend_of(concentration.array)
    host = backend.to_host(concentration.array).astype(numpy.float64)
    valid = host >= 0  # NumPy refuses a negative shape; torch draws 0 (then tiny) for it and NaN
    draws = numpy.where(valid, host_generator().standard_gamma(numpy.where(valid, host, 1.0)), 0.0)
    draws = numpy.maximum(draws, finfo(concentration.dtype).tiny)
    return Tensor(backend.asarray(draws.astype(concentration.dtype)))


def dirichlet_draws(concentration: Tensor) -> Tensor:
    """Dirichlet draws along the last dimension of ``concentration`` (normalised gamma draws),
    clamped to ``[tiny, 1 - eps / 2]`` as torch's ``_sample_dirichlet``, so that the gradient's
    ``log(x)`` and ``log(1 - x)`` stay finite."""
    gammas = standard_gamma(concentration)
    largest_below_one = 1.0 - finfo(concentration.dtype).eps / 2
    tiny = finfo(concentration.dtype).tiny
    return (gammas / gammas.sum(-1, keepdim=True)).clamp(min=tiny, max=largest_below_one)


def _drawn(concentration, draws):
    return draws  # the draws were made outside; the node only carries their gradient


def _gamma_backward(grad_output, concentration, draws):
    return grad_output * standard_gamma_grad(concentration, draws)


def _dirichlet_backward(grad_output, concentration, draws):
    # torch's _Dirichlet_backward: the Beta marginals' gradients, projected onto the simplex
    total = _sum_last(concentration)
    grad = dirichlet_grad(draws, concentration, total)
    return grad * (grad_output - _sum_last(draws * grad_output))


def _sum_last(array):
    """``array`` summed over its last axis, kept and broadcast back to ``array``'s shape."""
    xp = backend_of(array).xp
    return xp.broadcast_to(array.sum(-1, keepdims=True), array.shape)


# draws -> a Tensor whose gradient to the concentration is the implicit reparameterisation one
reparameterized_gamma = Function(_drawn, _gamma_backward, wrt=("concentration",))
reparameterized_dirichlet = Function(_drawn, _dirichlet_backward, wrt=("concentration",))


class Gamma(ExponentialFamily):
    r"""The gamma distribution of shape ``concentration`` and ``rate`` (mean
    ``concentration / rate``).

    Args:
        concentration: a positive float or Tensor.
        rate: a positive float or Tensor (broadcast with ``concentration``).
        validate_args: see :class:`Distribution`.

    Example:
        >>> import xpnet
        >>> d = Gamma(xpnet.tensor([1.0, 3.0], dtype=xpnet.float64), 2.0)
        >>> d.log_prob(xpnet.tensor([0.5, 0.5], dtype=xpnet.float64))
        tensor([-0.3069, -1.0000], dtype=xpnet.float64)
    """

    _mean_carrier_measure = 0
    arg_constraints = {"concentration": constraints.positive, "rate": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True

    def __init__(self, concentration, rate, validate_args: bool | None = None):
        self.concentration, self.rate = broadcast_all(concentration, rate)
        batch_shape = batch_shape_of(self.concentration, concentration, rate)
        super().__init__(batch_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        shape = tuple(batch_shape)
        return self._expanded(
            Gamma,
            shape,
            concentration=self.concentration.expand(shape),
            rate=self.rate.expand(shape),
        )

    @property
    def mean(self):
        return self.concentration / self.rate

    @property
    def mode(self):
        return ((self.concentration - 1) / self.rate).clamp(min=0)

    @property
    def variance(self):
        return self.concentration / self.rate.pow(2)

    def rsample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        concentration = self.concentration.expand(shape)
        draws = standard_gamma(concentration.detach())
        value = reparameterized_gamma(concentration, draws) / self.rate.expand(shape)
        value.detach().clamp_(min=finfo(value.dtype).tiny)  # as torch's: not in the graph
        return value

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        c, r = self.concentration, self.rate
        return xlogy(c, r) + xlogy(c - 1, value) - r * value - lgamma(c)

    def entropy(self):
        c = self.concentration
        return c - self.rate.log() + lgamma(c) + (1.0 - c) * digamma(c)

    def cdf(self, value):
        """The regularised lower incomplete gamma function ``P(concentration, rate * value)``
        (:func:`xpnet.special.gammainc`, as torch's): differentiable in ``value`` and ``rate``;
        a gradient for ``concentration`` raises ``NotImplementedError`` at backward, as torch."""
        if self._validate_args:
            self._validate_sample(value)
        return gammainc(self.concentration, self.rate * value)

    @property
    def _natural_params(self):
        return (self.concentration - 1, -self.rate)

    def _log_normalizer(self, x, y):
        return lgamma(x + 1) + (x + 1) * (-y.reciprocal()).log()


class Dirichlet(ExponentialFamily):
    """The Dirichlet distribution over the probability simplex, of ``concentration``
    ``(*, K)``.

    Args:
        concentration: positive Tensor of shape ``batch_shape + (K,)``.
        validate_args: see :class:`Distribution`.

    Raises:
        ValueError: a 0-d ``concentration``.

    Example:
        >>> import xpnet
        >>> d = Dirichlet(xpnet.tensor([1.0, 2.0, 3.0], dtype=xpnet.float64))
        >>> d.mean
        tensor([0.1667, 0.3333, 0.5000], dtype=xpnet.float64)
    """

    arg_constraints = {"concentration": constraints.independent(constraints.positive, 1)}
    support = constraints.simplex
    has_rsample = True

    def __init__(self, concentration, validate_args: bool | None = None):
        concentration = as_parameter(concentration)
        if concentration.ndim < 1:
            raise ValueError("`concentration` parameter must be at least one-dimensional.")
        self.concentration = concentration
        shape = tuple(concentration.shape)
        super().__init__(shape[:-1], shape[-1:], validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        shape = tuple(batch_shape) + self._event_shape
        return self._expanded(
            Dirichlet, tuple(batch_shape), concentration=self.concentration.expand(shape)
        )

    def rsample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        concentration = self.concentration.expand(shape)
        draws = dirichlet_draws(concentration.detach())
        return reparameterized_dirichlet(concentration, draws)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        c = self.concentration
        return xlogy(c - 1.0, value).sum(-1) + lgamma(c.sum(-1)) - lgamma(c).sum(-1)

    @property
    def mean(self):
        return self.concentration / self.concentration.sum(-1, True)

    @property
    def mode(self):
        c_minus_1 = (self.concentration - 1).clamp(min=0.0)
        mode = c_minus_1 / c_minus_1.sum(-1, True)
        # every concentration below 1: the density is unbounded at every corner; torch answers
        # the first one (the argmax of its all-NaN row), and so does xpnet
        corner = (self.concentration < 1).all(dim=-1, keepdim=True)
        first = zeros_like(self.concentration)
        first[..., 0] = 1.0
        return where(corner, first, mode)

    @property
    def variance(self):
        total = self.concentration.sum(-1, True)
        return self.concentration * (total - self.concentration) / (total.pow(2) * (total + 1))

    def entropy(self):
        c = self.concentration
        k, a0 = c.shape[-1], c.sum(-1)
        return (
            lgamma(c).sum(-1)
            - lgamma(a0)
            - (k - a0) * digamma(a0)
            - ((c - 1.0) * digamma(c)).sum(-1)
        )

    @property
    def _natural_params(self):
        return (self.concentration,)

    def _log_normalizer(self, x):
        return lgamma(x).sum(-1) - lgamma(x.sum(-1))


class Beta(ExponentialFamily):
    """The beta distribution on ``[0, 1]``, of ``concentration1`` (alpha) and
    ``concentration0`` (beta): a :class:`Dirichlet` over ``(x, 1 - x)``.

    Args:
        concentration1: a positive float or Tensor.
        concentration0: a positive float or Tensor.
        validate_args: see :class:`Distribution`.

    Example:
        >>> import xpnet
        >>> d = Beta(xpnet.tensor(2.0, dtype=xpnet.float64), 3.0)
        >>> d.mean, d.log_prob(xpnet.tensor(0.5, dtype=xpnet.float64))
        (tensor(0.4000, dtype=xpnet.float64), tensor(0.4055, dtype=xpnet.float64))
    """

    arg_constraints = {
        "concentration1": constraints.positive,
        "concentration0": constraints.positive,
    }
    support = constraints.unit_interval
    has_rsample = True

    def __init__(self, concentration1, concentration0, validate_args: bool | None = None):
        c1, c0 = broadcast_all(concentration1, concentration0)
        self._dirichlet = Dirichlet(stack([c1, c0], -1), validate_args=validate_args)
        super().__init__(self._dirichlet.batch_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        shape = tuple(batch_shape)
        return self._expanded(Beta, shape, _dirichlet=self._dirichlet.expand(shape))

    @property
    def concentration1(self):
        return self._dirichlet.concentration[..., 0]

    @property
    def concentration0(self):
        return self._dirichlet.concentration[..., 1]

    @property
    def mean(self):
        return self.concentration1 / (self.concentration1 + self.concentration0)

    @property
    def mode(self):
        return self._dirichlet.mode[..., 0]

    @property
    def variance(self):
        total = self.concentration1 + self.concentration0
        return self.concentration1 * self.concentration0 / (total.pow(2) * (total + 1))

    def rsample(self, sample_shape=()):
        return self._dirichlet.rsample(sample_shape)[..., 0]

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return self._dirichlet.log_prob(stack([value, 1.0 - value], -1))

    def entropy(self):
        return self._dirichlet.entropy()

    @property
    def _natural_params(self):
        return (self.concentration1, self.concentration0)

    def _log_normalizer(self, x, y):
        return lgamma(x) + lgamma(y) - lgamma(x + y)
