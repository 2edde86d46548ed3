""":class:`ContinuousBernoulli`, as ``torch.distributions``': the density on ``[0, 1]``
proportional to a Bernoulli's likelihood (Loaiza-Ganem and Cunningham, "The continuous
Bernoulli: fixing a pervasive error in variational autoencoders", NeurIPS 2019,
https://arxiv.org/abs/1907.06845). Near ``probs = 1/2``, where the closed forms divide 0 by 0,
the normaliser, mean and variance switch to torch's Taylor expansions."""

from __future__ import annotations

import math

from .._creation import ones_like, zeros_like
from .._random_tensors import rand
from .._tensor_index import where
from . import constraints
from .exp_family import ExponentialFamily
from .utils import (
    ProbsOrLogits,
    batch_shape_of,
    bernoulli_log_prob,
    broadcast_all,
    clamp_probs,
    device_of,
    lazy_property,
    logits_to_probs,
)

__all__ = ["ContinuousBernoulli"]


class ContinuousBernoulli(ProbsOrLogits, ExponentialFamily):
    r"""The continuous Bernoulli distribution of ``probs`` (or ``logits``): density
    :math:`C(p)\, p^x (1 - p)^{1 - x}` on ``[0, 1]``. ``probs`` is not a probability nor
    ``logits`` a log-odds; the names follow :class:`Bernoulli`.

    Args:
        probs: parameters in ``(0, 1)`` (clamped into it by the dtype's ``eps``).
        logits: real parameters whose sigmoid is ``probs`` (instead of ``probs``).
        lims: the interval around 1/2 where Taylor expansions replace the closed forms.
            Default: ``(0.499, 0.501)``.
        validate_args: see :class:`Distribution`.

    Raises:
        ValueError: both or neither of ``probs`` and ``logits``; ``probs`` outside
            ``[0, 1]`` when ``validate_args`` is given (torch checks before clamping only
            then: "The parameter probs has invalid values").

    Example:
        >>> import xpnet
        >>> d = ContinuousBernoulli(xpnet.tensor([0.2, 0.5], dtype=xpnet.float64))
        >>> d.mean, d.log_prob(xpnet.tensor([0.25, 0.25], dtype=xpnet.float64))
        (tensor([0.3880, 0.5000], dtype=xpnet.float64),
         tensor([0.2677, 0.0000], dtype=xpnet.float64))
    """

    _mean_carrier_measure = 0
    binary = True
    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.unit_interval
    has_rsample = True

    def __init__(self, probs=None, logits=None, lims=(0.499, 0.501), validate_args=None):
        if (probs is None) == (logits is None):
            raise ValueError("Either `probs` or `logits` must be specified, but not both.")
        given = probs if probs is not None else logits
        (param,) = broadcast_all(given)
        if probs is not None:
            # checked before the clamp, which would hide invalid values (torch's order), and
            # only when validate_args is given, as torch's
            if validate_args is not None and not self._valid_probs(param):
                raise ValueError("The parameter probs has invalid values")
            self.probs = param = clamp_probs(param)
        else:
            self.logits = param
        self._param = param
        self._lims = lims
        super().__init__(batch_shape_of(param, given), validate_args=validate_args)

    def _valid_probs(self, probs) -> bool:
        return bool(self.arg_constraints["probs"].check(probs).all().item())

    def expand(self, batch_shape, _instance=None):
        shape = tuple(batch_shape)
        params = self.expanded_params(shape)
        return self._expanded(ContinuousBernoulli, shape, _lims=self._lims, **params)

    @lazy_property
    def probs(self):
        return clamp_probs(logits_to_probs(self.logits, is_binary=True))

    def _outside_unstable_region(self):
        return (self.probs <= self._lims[0]) | (self.probs > self._lims[1])

    def _cut_probs(self):
        """``probs``, with ``lims[0]`` inside the unstable region, so that the closed forms
        stay finite there (and pass no gradient: the Taylor branch is the one used)."""
        return where(self._outside_unstable_region(), self.probs, self._lims[0])

    def _cont_bern_log_norm(self):
        """The log of the normaliser :math:`C(p)`, as a function of ``probs``."""
        cut_probs = self._cut_probs()
        below_half = where(cut_probs <= 0.5, cut_probs, zeros_like(cut_probs))
        above_half = where(cut_probs >= 0.5, cut_probs, ones_like(cut_probs))
        log_norm = ((-cut_probs).log1p() - cut_probs.log()).abs().log() - where(
            cut_probs <= 0.5, (-2.0 * below_half).log1p(), (2.0 * above_half - 1.0).log()
        )
        x = (self.probs - 0.5).pow(2)
        taylor = math.log(2.0) + (4.0 / 3.0 + 104.0 / 45.0 * x) * x
        return where(self._outside_unstable_region(), log_norm, taylor)

    @property
    def mean(self):
        cut_probs = self._cut_probs()
        mus = cut_probs / (2.0 * cut_probs - 1.0) + 1.0 / ((-cut_probs).log1p() - cut_probs.log())
        x = self.probs - 0.5
        taylor = 0.5 + (1.0 / 3.0 + 16.0 / 45.0 * x.pow(2)) * x
        return where(self._outside_unstable_region(), mus, taylor)

    @property
    def variance(self):
        cut_probs = self._cut_probs()
        log_ratio = (-cut_probs).log1p() - cut_probs.log()
        vars_ = cut_probs * (cut_probs - 1.0) / (1.0 - 2.0 * cut_probs).pow(2)
        vars_ = vars_ + 1.0 / log_ratio.pow(2)
        x = (self.probs - 0.5).pow(2)
        taylor = 1.0 / 12.0 - (1.0 / 15.0 - 128.0 / 945.0 * x) * x
        return where(self._outside_unstable_region(), vars_, taylor)

    def sample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        u = rand(shape, dtype=self.probs.dtype, device=device_of(self.probs))
        return self.icdf(u).detach()

    def rsample(self, sample_shape=()):
        """Reparameterised draws: :meth:`icdf` of uniform noise, differentiable in the
        parameters."""
        shape = self._extended_shape(sample_shape)
        u = rand(shape, dtype=self.probs.dtype, device=device_of(self.probs))
        return self.icdf(u)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return bernoulli_log_prob(self.logits, value) + self._cont_bern_log_norm()

    def cdf(self, value):
        if self._validate_args:
            self._validate_sample(value)
        cut_probs = self._cut_probs()
        cdfs = cut_probs.pow(value) * (1.0 - cut_probs).pow(1.0 - value) + cut_probs - 1.0
        cdfs = cdfs / (2.0 * cut_probs - 1.0)
        unbounded_cdfs = where(self._outside_unstable_region(), cdfs, value)
        inside = where(value >= 1.0, ones_like(value), unbounded_cdfs)
        return where(value <= 0.0, zeros_like(value), inside)

    def icdf(self, value):
        cut_probs = self._cut_probs()
        numerator = (-cut_probs + value * (2.0 * cut_probs - 1.0)).log1p() - (-cut_probs).log1p()
        closed_form = numerator / (cut_probs.log() - (-cut_probs).log1p())
        return where(self._outside_unstable_region(), closed_form, value)

    def entropy(self):
        log_probs0 = (-self.probs).log1p()
        log_probs1 = self.probs.log()
        return self.mean * (log_probs0 - log_probs1) - self._cont_bern_log_norm() - log_probs0

    @property
    def _natural_params(self):
        return (self.logits,)

    def _log_normalizer(self, x):
        """The log normaliser as a function of the natural parameter (torch's, with the same
        Taylor expansion near 0)."""
        outside = (x <= self._lims[0] - 0.5) | (x > self._lims[1] - 0.5)
        cut_nat_params = where(outside, x, self._lims[0] - 0.5)
        log_norm = cut_nat_params.expm1().abs().log() - cut_nat_params.abs().log()
        taylor = 0.5 * x + x.pow(2) / 24.0 - x.pow(4) / 2880.0
        return where(outside, log_norm, taylor)
