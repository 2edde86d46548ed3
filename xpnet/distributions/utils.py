"""Helpers every distribution shares, named as ``torch.distributions.utils``'s: parameters
broadcast together (:func:`broadcast_all`), probabilities and logits converted into each other,
and :class:`lazy_property`, which computes a parameterisation the user did not give on first use.
"""

from __future__ import annotations

import numbers

import numpy

from .._dtypes import get_default_dtype
from .._grad_mode import enable_grad
from .._tensor_grids import broadcast_tensors
from .._torch_aliases import finfo
from ..autograd import Tensor, data_of
from ..backends import backend_of, get_backend
from ..nn.functional import binary_cross_entropy_with_logits

__all__ = [
    "as_parameter",
    "bernoulli_log_prob",
    "batch_shape_of",
    "broadcast_all",
    "clamp_probs",
    "device_of",
    "lazy_property",
    "ProbsOrLogits",
    "logits_to_probs",
    "probs_to_logits",
    "sum_rightmost",
]

euler_constant = 0.57721566490153286060  # Euler-Mascheroni constant, as torch's utils


def _is_number(value) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _as_tensor(value, dtype, backend) -> Tensor:
    if isinstance(value, Tensor):
        return value
    if hasattr(value, "shape"):  # a backend array: wrapped, not copied
        return Tensor(value)
    return Tensor(backend.xp.asarray(value, dtype=dtype))


def as_parameter(value):
    """A backend array wrapped as a Tensor (not copied); anything else unchanged (torch's
    Tensor-only parameters, ``Categorical(probs)`` say, then fail on it as torch's do)."""
    return Tensor(value) if hasattr(value, "shape") and not isinstance(value, Tensor) else value


def batch_shape_of(parameter: Tensor, *given) -> tuple[int, ...]:
    """The batch shape of a distribution whose broadcast ``parameter`` came from ``given``:
    ``()`` when every one was given as a Python number (torch's rule), else its shape."""
    return () if all(isinstance(v, (int, float)) for v in given) else tuple(parameter.shape)


def broadcast_all(*values) -> tuple[Tensor, ...]:
    """``values`` (Tensors, backend arrays or numbers) as Tensors broadcast to one shape, as
    ``torch.distributions.utils.broadcast_all``: numbers take the dtype and backend of the first
    Tensor, or the default dtype when all are numbers.

    Raises:
        ValueError: a value that is neither a number, a Tensor nor an array (torch's message).

    Example:
        >>> import xpnet
        >>> loc, scale = broadcast_all(xpnet.zeros(2, dtype=xpnet.float64), 1.0)
        >>> tuple(scale.shape), scale.dtype
        ((2,), dtype('float64'))
    """
    if not all(_is_number(v) or hasattr(v, "shape") for v in values):
        msg = (
            "Input arguments must all be instances of Number, "
            f"Tensor or arrays, got {[type(v).__name__ for v in values]}"
        )
        raise ValueError(msg)
    first = next((v for v in values if hasattr(v, "shape")), None)
    if first is None:
        dtype, backend = numpy.dtype(get_default_dtype()), get_backend()
    else:
        dtype, backend = data_of(first).dtype, backend_of(data_of(first))
    tensors = [_as_tensor(v, dtype, backend) for v in values]
    return (tensors[0],) if len(tensors) == 1 else tuple(broadcast_tensors(*tensors))


def device_of(tensor: Tensor) -> str:
    """The backend name of ``tensor``, for the ``device=`` of xpnet's random functions (so a
    sample lands where the parameters are, whatever the current backend)."""
    return backend_of(tensor.array).name


def sum_rightmost(value: Tensor, dim: int) -> Tensor:
    """``value`` summed over its ``dim`` rightmost dimensions (``value`` unchanged for 0)."""
    if dim == 0:
        return value
    return value.reshape(tuple(value.shape[:-dim]) + (-1,)).sum(-1)


def clamp_probs(probs: Tensor) -> Tensor:
    """``probs`` clamped to ``[eps, 1 - eps]`` of its dtype, so that their logs are finite."""
    eps = finfo(probs.dtype).eps
    return probs.clamp(min=eps, max=1 - eps)


def bernoulli_log_prob(logits: Tensor, value: Tensor) -> Tensor:
    """``-binary_cross_entropy_with_logits(logits, value)``, ``logits`` and ``value`` broadcast;
    a floating ``value`` of another dtype casts ``logits`` to it, as torch's kernel takes such a
    target (and returns its dtype) where xpnet's wants one dtype."""
    logits, value = broadcast_all(logits, value)
    if value.is_floating_point() and value.dtype != logits.dtype:
        logits = logits.type_as(value)
    return -binary_cross_entropy_with_logits(logits, value, reduction="none")


def logits_to_probs(logits: Tensor, is_binary: bool = False) -> Tensor:
    """Probabilities from log-odds (``is_binary``: a sigmoid) or from unnormalised log
    probabilities along the last dimension (a softmax)."""
    return logits.sigmoid() if is_binary else logits.softmax(-1)


def probs_to_logits(probs: Tensor, is_binary: bool = False) -> Tensor:
    """Log-odds (``is_binary``) or log probabilities of ``probs``, clamped first (torch's
    :func:`clamp_probs`), so probabilities 0 and 1 give large finite logits."""
    clamped = clamp_probs(probs)
    return clamped.log() - (-clamped).log1p() if is_binary else clamped.log()


class lazy_property:  # noqa: N801 - torch's name
    """A property computed on first use, with gradients enabled, then stored on the instance
    (torch's ``lazy_property``): ``Bernoulli(probs=p).logits`` is derived from ``p`` once.
    Validation skips a lazy parameter the user did not give."""

    def __init__(self, wrapped):
        self.wrapped = wrapped
        self.__doc__ = wrapped.__doc__
        self.__name__ = wrapped.__name__

    def __get__(self, instance, owner=None):
        if instance is None:
            return self
        with enable_grad():
            value = self.wrapped(instance)
        setattr(instance, self.wrapped.__name__, value)
        return value


class ProbsOrLogits:
    """Mixin: the two parametrizations of a discrete family (torch's ``probs``/``logits``
    pair), each derived from the other when first read; ``binary``: a Bernoulli's log-odds,
    else a Categorical's normalized log-probabilities. The given one is ``self._param``."""

    binary = False

    @lazy_property
    def logits(self):
        return probs_to_logits(self.probs, is_binary=self.binary)

    @lazy_property
    def probs(self):
        return logits_to_probs(self.logits, is_binary=self.binary)

    @property
    def param_shape(self):
        return tuple(self._param.shape)

    def expanded_params(self, shape) -> dict:
        """The given parameterisation (``probs`` or ``logits``) expanded to ``shape``, with
        ``_param`` pointing at it: what the family's ``expand`` keeps."""
        params = {
            k: self.__dict__[k].expand(shape) for k in ("probs", "logits") if k in self.__dict__
        }
        params["_param"] = params.get("probs", params.get("logits"))
        return params
