"""The circular von Mises distribution, :class:`VonMises`, as ``torch.distributions``': the
log Bessel functions ``log I_0`` and ``log I_1`` by torch's polynomial approximations (so the
values match torch's to the last bits), and Best and Fisher's rejection sampler."""

from __future__ import annotations

import math

from .._creation import zeros
from .._grad_mode import no_grad
from .._random_tensors import rand
from .._tensor_index import where
from .._tensor_trig import cos
from . import constraints
from .distribution import Distribution
from .utils import broadcast_all, device_of, lazy_property

__all__ = ["VonMises", "log_modified_bessel_fn"]

# Abramowitz and Stegun 9.8.1-9.8.4 (Numerical Recipes' bessi0/bessi1), as torch's von_mises
_I0_COEF_SMALL = [1.0, 3.5156229, 3.0899424, 1.2067492, 0.2659732, 0.360768e-1, 0.45813e-2]
_I0_COEF_LARGE = [
    *(0.39894228, 0.1328592e-1, 0.225319e-2, -0.157565e-2, 0.916281e-2),
    *(-0.2057706e-1, 0.2635537e-1, -0.1647633e-1, 0.392377e-2),
]
_I1_COEF_SMALL = [0.5, 0.87890594, 0.51498869, 0.15084934, 0.2658733e-1, 0.301532e-2, 0.32411e-3]
_I1_COEF_LARGE = [
    *(0.39894228, -0.3988024e-1, -0.362018e-2, 0.163801e-2, -0.1031555e-1),
    *(0.2282967e-1, -0.2895312e-1, 0.1787654e-1, -0.420059e-2),
]


def _eval_poly(y, coef):
    result = coef[-1]
    for c in reversed(coef[:-1]):  # Horner's rule
        result = c + y * result
    return result


def log_modified_bessel_fn(x, order: int = 0):
    """``log I_order(x)`` for ``x > 0`` and ``order`` 0 or 1, torch's approximation.

    Raises:
        ValueError: ``order`` not 0 or 1.

    Example:
        >>> import xpnet
        >>> log_modified_bessel_fn(xpnet.tensor([1.0, 5.0], dtype=xpnet.float64))
        tensor([0.2359, 3.3047], dtype=xpnet.float64)
    """
    if order not in (0, 1):
        raise ValueError(f"log_modified_bessel_fn: order must be 0 or 1, got {order!r}")
    small_coef, large_coef = [(_I0_COEF_SMALL, _I0_COEF_LARGE), (_I1_COEF_SMALL, _I1_COEF_LARGE)][
        order
    ]
    small = _eval_poly((x / 3.75).pow(2), small_coef)
    if order == 1:
        small = x.abs() * small
    small = small.log()
    large = x - 0.5 * x.log() + _eval_poly(3.75 / x, large_coef).log()
    return where(x < 3.75, small, large)


def _rejection_sample(loc, concentration, proposal_r, shape):
    """Best and Fisher (1979), "Efficient simulation of the von Mises distribution", as
    torch's: the angles, wrapped into ``[-pi, pi)``. The loop reads ``done`` on the host."""
    device = device_of(loc)
    x = zeros(shape, dtype=loc.dtype, device=device)
    done = x != 0  # all False, on the parameters' backend
    while not bool(done.all().item()):
        u1, u2, u3 = rand((3, *shape), dtype=loc.dtype, device=device).unbind()
        z = cos(math.pi * u1)
        f = (1 + proposal_r * z) / (proposal_r + z)
        c = concentration * (proposal_r - f)
        accept = ((c * (2 - c) - u2) > 0) | ((c / u2).log() + 1 - c >= 0)
        x = where(accept & ~done, (u3 - 0.5).sign() * f.acos(), x)
        done = done | accept
    return (x + math.pi + loc) % (2 * math.pi) - math.pi


class VonMises(Distribution):
    """The von Mises distribution on the circle, of mean angle ``loc`` and ``concentration``
    (kappa), with density ``exp(kappa cos(x - loc)) / (2 pi I_0(kappa))``. ``loc`` and values
    may be any real numbers, read modulo ``2 pi``; draws lie in ``[-pi, pi)``.

    Args:
        loc: an angle in radians, a float or Tensor.
        concentration: a positive float or Tensor.
        validate_args: see :class:`Distribution`.

    Note:
        ``mean`` and ``variance`` are the circular ones, as torch's. Sampling runs in float64
        (as torch's, to avoid a near-endless loop for tiny concentrations) and returns the
        parameters' dtype; there is no ``rsample``.

    Example:
        >>> import xpnet
        >>> d = VonMises(xpnet.tensor([0.0], dtype=xpnet.float64), 2.0)
        >>> d.log_prob(xpnet.tensor([0.0], dtype=xpnet.float64)), d.variance
        (tensor([-0.6619], dtype=xpnet.float64), tensor([0.3022], dtype=xpnet.float64))
    """

    arg_constraints = {"loc": constraints.real, "concentration": constraints.positive}
    support = constraints.real
    has_rsample = False

    def __init__(self, loc, concentration, validate_args: bool | None = None):
        self.loc, self.concentration = broadcast_all(loc, concentration)
        super().__init__(tuple(self.loc.shape), (), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        shape = tuple(batch_shape)
        return self._expanded(
            VonMises,
            shape,
            loc=self.loc.expand(shape),
            concentration=self.concentration.expand(shape),
        )

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        log_prob = self.concentration * cos(value - self.loc)
        return log_prob - math.log(2 * math.pi) - log_modified_bessel_fn(self.concentration, 0)

    @lazy_property
    def _proposal_r(self):
        kappa = self.concentration.detach().double()
        tau = 1 + (1 + 4 * kappa.pow(2)).sqrt()
        rho = (tau - (2 * tau).sqrt()) / (2 * kappa)
        proposal_r = (1 + rho.pow(2)) / (2 * rho)
        # a second-order Taylor expansion around 0 for small kappa (torch's)
        return where(kappa < 1e-5, 1 / kappa + kappa, proposal_r)

    def sample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        with no_grad():
            loc, kappa = self.loc.detach().double(), self.concentration.detach().double()
            x = _rejection_sample(loc, kappa, self._proposal_r, tuple(shape))
        return x.to(self.loc.dtype)

    @property
    def mean(self):
        """The circular mean, ``loc``."""
        return self.loc

    @property
    def mode(self):
        return self.loc

    @lazy_property
    def variance(self):
        """The circular variance, ``1 - I_1(kappa) / I_0(kappa)``."""
        kappa = self.concentration
        log_ratio = log_modified_bessel_fn(kappa, 1) - log_modified_bessel_fn(kappa, 0)
        return 1 - log_ratio.exp()
