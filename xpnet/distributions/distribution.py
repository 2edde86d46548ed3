"""The base class of every distribution, :class:`Distribution`, as ``torch.distributions``'s:
shapes (``sample_shape + batch_shape + event_shape``), argument validation, and the methods a
subclass provides (``rsample``, ``log_prob``, ``entropy``, ...)."""

from __future__ import annotations

import warnings

from .._grad_mode import no_grad
from .._size import Size
from ..autograd import Tensor
from . import constraints
from .utils import lazy_property

__all__ = ["Distribution"]


def _all_true(valid: Tensor) -> bool:
    # GPU: a device-to-host read, as torch's ``_is_all_true``; validate_args=False skips it
    return bool(valid.all().item())


def _shape(where: str, name: str, value) -> Size:
    try:
        return Size(int(n) for n in value)
    except TypeError:
        msg = f"{where}: {name} must be a sequence of ints such as (2, 3), got {value!r}"
        raise TypeError(msg) from None


class Distribution:
    """The abstract base class of probability distributions, as
    ``torch.distributions.Distribution``.

    Args:
        batch_shape: the shape over which parameters are batched. Default: ``()``.
        event_shape: the shape of one sample, without batching. Default: ``()``.
        validate_args: check the parameters now, and every ``value`` given to ``log_prob``,
            ``cdf``, ... against :attr:`support`. Default: ``None``, the class default set
            by :meth:`set_default_validate_args` (on, unless Python runs with ``-O``).

    Note:
        Validation reads the checked values on the host: on a GPU it waits for the device
        (as torch's does). ``validate_args=False`` (or
        ``Distribution.set_default_validate_args(False)``) skips it, as in torch.

    Example:
        >>> import xpnet
        >>> from xpnet.distributions import Normal
        >>> d = Normal(xpnet.zeros(3), 1.0)
        >>> d.batch_shape, d.event_shape, tuple(d.sample((2,)).shape)
        ((3,), (), (2, 3))
    """

    has_rsample = False
    has_enumerate_support = False
    _validate_args = __debug__

    @staticmethod
    def set_default_validate_args(value: bool) -> None:
        """Turn argument validation on or off for every distribution made afterwards that does
        not pass ``validate_args``.

        Raises:
            ValueError: ``value`` not ``True`` or ``False``.
        """
        if value not in (True, False):
            msg = f"set_default_validate_args: value must be True or False, got {value!r}"
            raise ValueError(msg)
        Distribution._validate_args = value

    def __init__(self, batch_shape=(), event_shape=(), validate_args: bool | None = None):
        self._batch_shape = _shape(type(self).__name__, "batch_shape", batch_shape)
        self._event_shape = _shape(type(self).__name__, "event_shape", event_shape)
        if validate_args is not None:
            self._validate_args = validate_args
        if self._validate_args:
            self._check_parameters()

    def _check_parameters(self) -> None:
        for param, constraint in self.arg_constraints.items():
            if constraints.is_dependent(constraint):
                continue
            if param not in self.__dict__ and isinstance(
                getattr(type(self), param, None), lazy_property
            ):
                continue  # a parameterisation the user did not give
            value = getattr(self, param)
            if not _all_true(constraint.check(value)):
                msg = (
                    f"Expected parameter {param} ({type(value).__name__} of shape "
                    f"{tuple(value.shape)}) of distribution {self!r} to satisfy the constraint "
                    f"{constraint!r}, but found invalid values:\n{value}"
                )
                raise ValueError(msg)

    def expand(self, batch_shape, _instance=None):
        """A new distribution with the parameters expanded (views, no copies) to
        ``batch_shape``; not validated again."""
        raise NotImplementedError

    def _expanded(self, cls, batch_shape, **parameters):
        """The shared body of ``expand``: a new ``cls`` holding ``parameters`` (already
        expanded), with this one's ``validate_args`` and the new ``batch_shape``."""
        new = cls.__new__(type(self))
        new.__dict__.update(parameters)
        Distribution.__init__(new, batch_shape, self._event_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @property
    def batch_shape(self) -> Size:
        """The shape over which parameters are batched."""
        return self._batch_shape

    @property
    def event_shape(self) -> Size:
        """The shape of one sample, without batching."""
        return self._event_shape

    @property
    def arg_constraints(self) -> dict:
        """The constraint of each parameter, by name."""
        raise NotImplementedError

    @property
    def support(self):
        """The constraint that every sample satisfies."""
        raise NotImplementedError

    @property
    def mean(self) -> Tensor:
        """The mean, of shape ``batch_shape + event_shape``."""
        raise NotImplementedError

    @property
    def mode(self) -> Tensor:
        """The mode (NaN where it is not unique)."""
        raise NotImplementedError(f"{type(self).__name__} does not implement mode")

    @property
    def variance(self) -> Tensor:
        """The variance, of shape ``batch_shape + event_shape``."""
        raise NotImplementedError

    @property
    def stddev(self) -> Tensor:
        """The standard deviation: the square root of :attr:`variance`."""
        return self.variance.sqrt()

    def sample(self, sample_shape=()) -> Tensor:
        """Draws of shape ``sample_shape + batch_shape + event_shape``, without gradients,
        from xpnet's generator (:func:`xpnet.manual_seed` repeats them)."""
        with no_grad():
            return self.rsample(sample_shape)

    def rsample(self, sample_shape=()) -> Tensor:
        """Reparameterised draws: differentiable in the parameters (``has_rsample``)."""
        raise NotImplementedError(f"{type(self).__name__} has no rsample")

    def log_prob(self, value: Tensor) -> Tensor:
        """The log of the density (or mass) at ``value``, of shape broadcast with
        ``batch_shape``, the event dimensions reduced."""
        raise NotImplementedError

    def cdf(self, value: Tensor) -> Tensor:
        """The cumulative distribution function at ``value``."""
        raise NotImplementedError

    def icdf(self, value: Tensor) -> Tensor:
        """The inverse cumulative distribution function at ``value``."""
        raise NotImplementedError

    def enumerate_support(self, expand: bool = True) -> Tensor:
        """Every value of a discrete support along dimension 0."""
        raise NotImplementedError

    def entropy(self) -> Tensor:
        """The entropy, of shape ``batch_shape``."""
        raise NotImplementedError

    def perplexity(self) -> Tensor:
        """``exp(entropy())``."""
        return self.entropy().exp()

    def _extended_shape(self, sample_shape=()) -> Size:
        shape = _shape(f"{type(self).__name__}.sample", "sample_shape", sample_shape)
        return shape + self._batch_shape + self._event_shape

    def _validate_sample(self, value) -> None:
        """Refuse a ``value`` of the wrong shape or outside :attr:`support` (torch's messages)."""
        if not isinstance(value, Tensor):
            raise ValueError("The value argument to log_prob must be a Tensor")
        actual = tuple(value.shape)
        start = len(actual) - len(self._event_shape)
        if actual[start:] != self._event_shape:
            msg = (
                "The right-most size of value must match event_shape: "
                f"{actual} vs {self._event_shape}."
            )
            raise ValueError(msg)
        expected = self._batch_shape + self._event_shape
        for i, j in zip(reversed(actual), reversed(expected), strict=False):
            if i != 1 and j != 1 and i != j:
                msg = (
                    "Value is not broadcastable with batch_shape+event_shape: "
                    f"{actual} vs {expected}."
                )
                raise ValueError(msg)
        try:
            support = self.support
        except NotImplementedError:
            warnings.warn(
                f"{type(self)} does not define `support` to enable sample validation; pass "
                "validate_args=False to turn validation off.",
                stacklevel=3,
            )
            return
        if not _all_true(support.check(value)):
            msg = (
                f"Expected value argument ({type(value).__name__} of shape {actual}) to be "
                f"within the support ({support!r}) of the distribution {self!r}, but found "
                f"invalid values:\n{value}"
            )
            raise ValueError(msg)

    def __repr__(self):
        given = {k: self.__dict__[k] for k in self.arg_constraints if k in self.__dict__}
        shown = [f"{k}: {v.item() if v.numel() == 1 else v.shape}" for k, v in given.items()]
        return f"{type(self).__name__}({', '.join(shown)})"
