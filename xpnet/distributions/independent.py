""":class:`Independent`: batch dimensions of a distribution reinterpreted as event dimensions,
as ``torch.distributions.Independent`` (a diagonal normal over vectors, say)."""

from __future__ import annotations

from . import constraints
from .distribution import Distribution
from .utils import sum_rightmost

__all__ = ["Independent"]


class Independent(Distribution):
    """``base_distribution`` with its ``reinterpreted_batch_ndims`` rightmost batch dimensions
    moved into the event: ``log_prob`` and ``entropy`` sum over them.

    Args:
        base_distribution: a :class:`Distribution`.
        reinterpreted_batch_ndims: how many batch dimensions become event dimensions.
        validate_args: see :class:`Distribution`.

    Raises:
        ValueError: ``reinterpreted_batch_ndims`` larger than the base's batch dimensions.

    Example:
        >>> import xpnet
        >>> from xpnet.distributions import Normal
        >>> d = Independent(Normal(xpnet.zeros(3, 2, dtype=xpnet.float64), 1.0), 1)
        >>> value = xpnet.zeros(3, 2, dtype=xpnet.float64)
        >>> d.batch_shape, d.event_shape, tuple(d.log_prob(value).shape)
        ((3,), (2,), (3,))
    """

    arg_constraints: dict = {}

    def __init__(
        self, base_distribution, reinterpreted_batch_ndims: int, validate_args: bool | None = None
    ):
        if reinterpreted_batch_ndims > len(base_distribution.batch_shape):
            msg = (
                "Expected reinterpreted_batch_ndims <= len(base_distribution.batch_shape), "
                f"actual {reinterpreted_batch_ndims} vs {len(base_distribution.batch_shape)}"
            )
            raise ValueError(msg)
        shape = base_distribution.batch_shape + base_distribution.event_shape
        event_dim = reinterpreted_batch_ndims + len(base_distribution.event_shape)
        self.base_dist = base_distribution
        self.reinterpreted_batch_ndims = reinterpreted_batch_ndims
        cut = len(shape) - event_dim
        super().__init__(shape[:cut], shape[cut:], validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        shape = tuple(batch_shape)
        base = self.base_dist.expand(shape + self._event_shape[: self.reinterpreted_batch_ndims])
        return self._expanded(
            Independent,
            shape,
            base_dist=base,
            reinterpreted_batch_ndims=self.reinterpreted_batch_ndims,
        )

    @property
    def has_rsample(self):
        return self.base_dist.has_rsample

    @property
    def has_enumerate_support(self):
        return self.reinterpreted_batch_ndims == 0 and self.base_dist.has_enumerate_support

    @constraints.dependent_property
    def support(self):
        result = self.base_dist.support
        if self.reinterpreted_batch_ndims:
            result = constraints.independent(result, self.reinterpreted_batch_ndims)
        return result

    @property
    def mean(self):
        return self.base_dist.mean

    @property
    def mode(self):
        return self.base_dist.mode

    @property
    def variance(self):
        return self.base_dist.variance

    def sample(self, sample_shape=()):
        return self.base_dist.sample(sample_shape)

    def rsample(self, sample_shape=()):
        return self.base_dist.rsample(sample_shape)

    def log_prob(self, value):
        return sum_rightmost(self.base_dist.log_prob(value), self.reinterpreted_batch_ndims)

    def entropy(self):
        return sum_rightmost(self.base_dist.entropy(), self.reinterpreted_batch_ndims)

    def enumerate_support(self, expand: bool = True):
        if self.reinterpreted_batch_ndims > 0:
            raise NotImplementedError("Enumeration over cartesian product is not implemented")
        return self.base_dist.enumerate_support(expand=expand)

    def __repr__(self):
        return f"Independent({self.base_dist!r}, {self.reinterpreted_batch_ndims})"
