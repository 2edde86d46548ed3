""":class:`MixtureSameFamily`: a mixture of ``K`` components of one family, weighted by a
:class:`Categorical`, as ``torch.distributions.MixtureSameFamily`` (a Gaussian mixture, say)."""

from __future__ import annotations

from .._grad_mode import no_grad
from .._size import Size
from . import constraints
from .discrete import Categorical
from .distribution import Distribution

__all__ = ["MixtureSameFamily"]


def _check_arguments(mixture, component) -> None:
    """torch's checks of the two distributions, with torch's messages, naming the argument."""
    if not isinstance(mixture, Categorical):
        msg = (
            "The Mixture distribution needs to be an instance of "
            "xpnet.distributions.Categorical: MixtureSameFamily got mixture_distribution="
            f"{type(mixture).__name__}"
        )
        raise ValueError(msg)
    if not isinstance(component, Distribution):
        msg = (
            "The Component distribution needs to be an instance of "
            "xpnet.distributions.Distribution: MixtureSameFamily got component_distribution="
            f"{type(component).__name__}"
        )
        raise ValueError(msg)
    mdbs, cdbs = mixture.batch_shape, component.batch_shape[:-1]
    for size1, size2 in zip(reversed(mdbs), reversed(cdbs), strict=False):
        if size1 != 1 and size2 != 1 and size1 != size2:
            msg = (
                f"`mixture_distribution.batch_shape` ({mdbs}) is not compatible with "
                f"`component_distribution.batch_shape`({cdbs})"
            )
            raise ValueError(msg)
    km, kc = mixture.logits.shape[-1], (component.batch_shape or (None,))[-1]
    if km != kc:
        msg = (
            f"`mixture_distribution component` ({km}) does not equal "
            f"`component_distribution.batch_shape[-1]` ({kc})"
        )
        raise ValueError(msg)


class MixtureSameFamily(Distribution):
    """A (batch of) mixture(s): component ``k`` of ``component_distribution`` (indexed by its
    rightmost batch dimension) is drawn with probability ``mixture_distribution.probs[..., k]``.

    Args:
        mixture_distribution: a :class:`Categorical` over ``K`` components, of batch shape
            ``()`` or broadcastable with ``component_distribution.batch_shape[:-1]``.
        component_distribution: a :class:`Distribution` of batch shape ``batch_shape + (K,)``.
        validate_args: see :class:`Distribution`.

    Raises:
        ValueError: a mixture that is not a Categorical, a component that is not a
            Distribution, batch shapes that do not broadcast, or different ``K`` (torch's
            messages).

    Example:
        >>> import xpnet
        >>> from xpnet.distributions import Categorical, Normal
        >>> mix = Categorical(xpnet.tensor([0.25, 0.75], dtype=xpnet.float64))
        >>> gmm = MixtureSameFamily(mix, Normal(xpnet.tensor([-1.0, 1.0], dtype=xpnet.float64), 1.0))
        >>> gmm.mean, gmm.variance, gmm.log_prob(xpnet.tensor(0.0, dtype=xpnet.float64))
        (tensor(0.5000, dtype=xpnet.float64), tensor(1.7500, dtype=xpnet.float64), tensor(-1.4189, dtype=xpnet.float64))
    """  # noqa: E501

    arg_constraints: dict = {}
    has_rsample = False

    def __init__(self, mixture_distribution, component_distribution, validate_args=None):
        _check_arguments(mixture_distribution, component_distribution)
        self._mixture_distribution = mixture_distribution
        self._component_distribution = component_distribution
        self._num_component = mixture_distribution.logits.shape[-1]
        event_shape = component_distribution.event_shape
        self._event_ndims = len(event_shape)
        super().__init__(
            component_distribution.batch_shape[:-1], event_shape, validate_args=validate_args
        )

    def expand(self, batch_shape, _instance=None):
        batch_shape = Size(batch_shape)
        component = self._component_distribution.expand(batch_shape + (self._num_component,))
        return self._expanded(
            MixtureSameFamily,
            batch_shape,
            _component_distribution=component,
            _mixture_distribution=self._mixture_distribution.expand(batch_shape),
            _num_component=self._num_component,
            _event_ndims=self._event_ndims,
        )

    @constraints.dependent_property
    def support(self):
        return constraints.MixtureSameFamilyConstraint(self._component_distribution.support)

    @property
    def mixture_distribution(self):
        """The :class:`Categorical` that picks a component."""
        return self._mixture_distribution

    @property
    def component_distribution(self):
        """The components, indexed by the rightmost batch dimension."""
        return self._component_distribution

    @property
    def mean(self):
        probs = self._pad_mixture_dimensions(self.mixture_distribution.probs)
        return (probs * self.component_distribution.mean).sum(-1 - self._event_ndims)

    @property
    def variance(self):
        # the law of total variance: E[Var(X | k)] + Var(E[X | k])
        probs = self._pad_mixture_dimensions(self.mixture_distribution.probs)
        dim = -1 - self._event_ndims
        mean_cond_var = (probs * self.component_distribution.variance).sum(dim)
        deviation = self.component_distribution.mean - self._pad(self.mean)
        return mean_cond_var + (probs * deviation.pow(2.0)).sum(dim)

    def cdf(self, x):
        cdf_x = self.component_distribution.cdf(self._pad(x))
        return (cdf_x * self.mixture_distribution.probs).sum(-1)

    def log_prob(self, x):
        if self._validate_args:
            self._validate_sample(x)
        log_prob_x = self.component_distribution.log_prob(self._pad(x))  # [S, B, k]
        log_mix_prob = self.mixture_distribution.logits.log_softmax(-1)  # [B, k]
        return (log_prob_x + log_mix_prob).logsumexp(-1)  # [S, B]

    def sample(self, sample_shape=()):
        with no_grad():
            sample_shape = Size(sample_shape)
            gather_dim = len(sample_shape) + len(self._batch_shape)
            event_shape = self._event_shape
            # the component index of each draw, broadcast over the batch (torch requires the
            # mixture's batch shape to be the full one here; a () mixture broadcasts in xpnet)
            index = self.mixture_distribution.sample(sample_shape)
            missing = len(self._batch_shape) - len(self.mixture_distribution.batch_shape)
            index = index.reshape(
                sample_shape + (1,) * missing + tuple(index.shape)[len(sample_shape) :]
            )
            index = index.expand(sample_shape + self._batch_shape)
            components = self.component_distribution.sample(sample_shape)
            index = index.reshape(tuple(index.shape) + (1,) * (len(event_shape) + 1))
            index = index.repeat((1,) * (gather_dim + 1) + tuple(event_shape))
            return components.gather(gather_dim, index).squeeze(gather_dim)

    def _pad(self, x):
        return x.unsqueeze(-1 - self._event_ndims)

    def _pad_mixture_dimensions(self, x):
        """``probs`` of shape ``B' + (K,)`` reshaped to broadcast with the components' means:
        ones for the event, and (torch's rule) for missing batch dimensions unless ``B'`` has
        one dimension."""
        dist_batch_ndims = len(self._batch_shape)
        cat_batch_ndims = len(self.mixture_distribution.batch_shape)
        pad_ndims = 0 if cat_batch_ndims == 1 else dist_batch_ndims - cat_batch_ndims
        shape = tuple(x.shape)
        return x.reshape(shape[:-1] + (1,) * pad_ndims + shape[-1:] + (1,) * self._event_ndims)

    def __repr__(self):
        args = f"\n  {self.mixture_distribution},\n  {self.component_distribution}"
        return f"MixtureSameFamily({args})"
