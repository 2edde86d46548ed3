"""The base class of the exponential families, :class:`ExponentialFamily`, as
``torch.distributions.exp_family``'s: the entropy by the Bregman divergence of the log
normaliser, and :func:`kl_expfamily_expfamily`, the KL of two members of one family by the
same route, which :mod:`~xpnet.distributions.kl` registers."""

from __future__ import annotations

from ..autograd import Tensor, grad
from .distribution import Distribution
from .utils import sum_rightmost

__all__ = ["ExponentialFamily", "kl_expfamily_expfamily"]


class ExponentialFamily(Distribution):
    r"""The abstract base class of distributions of an exponential family, whose density (or
    mass) is :math:`p_F(x; \theta) = \exp(\langle t(x), \theta \rangle - F(\theta) + k(x))`:
    natural parameters :math:`\theta` (:attr:`_natural_params`), sufficient statistic
    :math:`t(x)`, log normaliser :math:`F` (:meth:`_log_normalizer`) and carrier measure
    :math:`k(x)` (whose mean is :attr:`_mean_carrier_measure`), as torch's.

    :meth:`entropy` and the KL of two members of one family follow from :math:`F` and its
    gradient by automatic differentiation (Nielsen and Nock, *Entropies and cross-entropies of
    exponential families*, 2010); the families override both with closed forms, and these
    check them.

    Example:
        >>> import xpnet
        >>> from xpnet.distributions import ExponentialFamily, Normal
        >>> d = Normal(xpnet.tensor([0.0, 1.0], dtype=xpnet.float64), 2.0)
        >>> ExponentialFamily.entropy(d).detach(), d.entropy()
        (tensor([2.1121, 2.1121], dtype=xpnet.float64),
         tensor([2.1121, 2.1121], dtype=xpnet.float64))
    """

    @property
    def _natural_params(self) -> tuple[Tensor, ...]:
        """The natural parameters :math:`\\theta`, a tuple of Tensors."""
        raise NotImplementedError

    def _log_normalizer(self, *natural_params) -> Tensor:
        """The log normaliser :math:`F(\\theta)` at ``natural_params``."""
        raise NotImplementedError

    @property
    def _mean_carrier_measure(self) -> float:
        """The expected carrier measure :math:`E[k(x)]`, which the entropy needs."""
        raise NotImplementedError

    def entropy(self) -> Tensor:
        r"""The entropy by the Bregman divergence:
        :math:`F(\theta) - \langle \theta, \nabla F(\theta) \rangle - E[k(x)]`. The natural
        parameters are detached first, as torch's: no gradient reaches the parameters."""
        nparams = [param.detach().requires_grad_() for param in self._natural_params]
        lg_normal = self._log_normalizer(*nparams)
        gradients = grad(lg_normal.sum(), nparams, create_graph=True)
        result = lg_normal - self._mean_carrier_measure
        for nparam, g in zip(nparams, gradients, strict=True):
            result = result - (nparam * g).reshape(self._batch_shape + (-1,)).sum(-1)
        return result


def kl_expfamily_expfamily(p, q):
    r"""KL(p || q) of two members of one exponential family, the Bregman divergence of
    :math:`F`: :math:`F(\theta_q) - F(\theta_p) - \langle \theta_q - \theta_p,
    \nabla F(\theta_p) \rangle` (torch's ``_kl_expfamily_expfamily``: ``p``'s natural
    parameters are detached, so gradients reach ``q``'s only).

    Raises:
        NotImplementedError: ``p`` and ``q`` of different classes (torch's message).
    """
    if type(p) is not type(q):
        msg = (
            "The cross KL-divergence between different exponential families cannot be "
            "computed using Bregman divergences"
        )
        raise NotImplementedError(msg)
    p_nparams = [param.detach().requires_grad_() for param in p._natural_params]
    q_nparams = q._natural_params
    lg_normal = p._log_normalizer(*p_nparams)
    gradients = grad(lg_normal.sum(), p_nparams, create_graph=True)
    result = q._log_normalizer(*q_nparams) - lg_normal
    for pnp, qnp, g in zip(p_nparams, q_nparams, gradients, strict=True):
        result = result - sum_rightmost((qnp - pnp) * g, len(q.event_shape))
    return result
