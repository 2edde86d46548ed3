"""The transforms of ``torch.distributions.transforms`` that rearrange or combine others:
:class:`ReshapeTransform` (the event reshaped), :class:`CatTransform` and
:class:`StackTransform` (a transform per slice, as ``torch.cat`` / ``torch.stack`` join them)
and :class:`CumulativeDistributionTransform` (a distribution's ``cdf``), with torch's
semantics."""

from __future__ import annotations

import functools
import itertools
import math
import operator

from .._creation import zeros
from .._size import Size
from .._tensor_join import cat, stack
from . import constraints
from .transform import Transform
from .utils import device_of, sum_rightmost

__all__ = [
    "CatTransform",
    "CumulativeDistributionTransform",
    "ReshapeTransform",
    "StackTransform",
]


class ReshapeTransform(Transform):
    """The rightmost ``in_shape`` dimensions reshaped to ``out_shape`` (a unit Jacobian).

    Args:
        in_shape: the input event shape.
        out_shape: the output event shape, with as many elements.
        cache_size: 0 or 1. Default: 0.

    Raises:
        ValueError: the shapes hold different numbers of elements (torch's message).

    Example:
        >>> import xpnet
        >>> t = ReshapeTransform((4,), (2, 2))
        >>> x = xpnet.zeros(3, 4)
        >>> tuple(t(x).shape), tuple(t.log_abs_det_jacobian(x, t(x)).shape)
        ((3, 2, 2), (3,))
    """

    bijective = True

    def __init__(self, in_shape, out_shape, cache_size: int = 0):
        self.in_shape, self.out_shape = Size(in_shape), Size(out_shape)
        if math.prod(self.in_shape) != math.prod(self.out_shape):
            raise ValueError("in_shape, out_shape have different numbers of elements")
        super().__init__(cache_size=cache_size)

    @constraints.dependent_property
    def domain(self):
        return constraints.independent(constraints.real, len(self.in_shape))

    @constraints.dependent_property
    def codomain(self):
        return constraints.independent(constraints.real, len(self.out_shape))

    def with_cache(self, cache_size=1):
        if self._cache_size == cache_size:
            return self
        return ReshapeTransform(self.in_shape, self.out_shape, cache_size=cache_size)

    def _call(self, x):
        batch_shape = tuple(x.shape[: x.dim() - len(self.in_shape)])
        return x.reshape(batch_shape + self.out_shape)

    def _inverse(self, y):
        batch_shape = tuple(y.shape[: y.dim() - len(self.out_shape)])
        return y.reshape(batch_shape + self.in_shape)

    def log_abs_det_jacobian(self, x, y):
        batch_shape = tuple(x.shape[: x.dim() - len(self.in_shape)])
        return zeros(batch_shape, dtype=x.dtype, device=device_of(x))

    @staticmethod
    def _reshaped(shape, old, new):
        if len(shape) < len(old):
            raise ValueError("Too few dimensions on input")
        cut = len(shape) - len(old)
        if tuple(shape[cut:]) != tuple(old):
            msg = f"Shape mismatch: expected {tuple(shape[cut:])} but got {tuple(old)}"
            raise ValueError(msg)
        return tuple(shape[:cut]) + tuple(new)

    def forward_shape(self, shape):
        return self._reshaped(shape, self.in_shape, self.out_shape)

    def inverse_shape(self, shape):
        return self._reshaped(shape, self.out_shape, self.in_shape)


def _check_slices(name: str, value, dim: int, size: int, what: str) -> None:
    """torch's AssertionErrors of cat and stack transforms: ``dim`` in range, ``size`` along it."""
    if not -value.dim() <= dim < value.dim():
        msg = f"dim {dim} out of range for {name} with {value.dim()} dimensions"
        raise AssertionError(msg)
    if value.shape[dim] != size:
        msg = f"{name}.size({dim}) = {value.shape[dim]} must equal {what} {size}"
        raise AssertionError(msg)


class _Joined(Transform):
    """What :class:`CatTransform` and :class:`StackTransform` share: the parts ``tseq``, each
    cached as the whole, bijective when all are."""

    def __init__(self, tseq, dim: int = 0, cache_size: int = 0):
        if not all(isinstance(t, Transform) for t in tseq):
            raise AssertionError("All elements of tseq must be Transform instances")
        if cache_size:
            tseq = [t.with_cache(cache_size) for t in tseq]
        super().__init__(cache_size=cache_size)
        self.transforms, self.dim = list(tseq), dim

    @property
    def bijective(self):
        return all(t.bijective for t in self.transforms)


class CatTransform(_Joined):
    """The transforms ``tseq`` applied to consecutive slices of ``lengths`` (default 1 each)
    along ``dim``, the results joined as ``torch.cat`` joins them.

    Args:
        tseq: a list of :class:`Transform`.
        dim: the dimension that is cut. Default: 0.
        lengths: the slice lengths, one per transform. Default: 1 each.
        cache_size: 0 or 1. Default: 0.

    Raises:
        AssertionError: a part not a Transform, or ``lengths`` of another length (torch's).

    Example:
        >>> import xpnet
        >>> from xpnet.distributions.transforms import ExpTransform, identity_transform
        >>> t = CatTransform([ExpTransform(), identity_transform], dim=0, lengths=[1, 2])
        >>> t(xpnet.zeros(3, dtype=xpnet.float64))
        tensor([1., 0., 0.], dtype=xpnet.float64)
    """

    def __init__(self, tseq, dim: int = 0, lengths=None, cache_size: int = 0):
        super().__init__(tseq, dim, cache_size)
        self.lengths = [1] * len(self.transforms) if lengths is None else list(lengths)
        if len(self.lengths) != len(self.transforms):
            msg = f"lengths ({len(self.lengths)}) must match transforms ({len(self.transforms)})"
            raise AssertionError(msg)

    @property
    def event_dim(self) -> int:
        return max(t.event_dim for t in self.transforms)

    @property
    def length(self) -> int:
        """The size along ``dim`` that an input must have."""
        return sum(self.lengths)

    def with_cache(self, cache_size=1):
        if self._cache_size == cache_size:
            return self
        return CatTransform(self.transforms, self.dim, self.lengths, cache_size)

    def _slices(self, value, name):
        _check_slices(name, value, self.dim, self.length, "length")
        starts = [0, *itertools.accumulate(self.lengths)][:-1]
        return [value.narrow(self.dim, s, n) for s, n in zip(starts, self.lengths, strict=True)]

    def _call(self, x):
        parts = zip(self.transforms, self._slices(x, "x"), strict=True)
        return cat([t(part) for t, part in parts], self.dim)

    def _inverse(self, y):
        parts = zip(self.transforms, self._slices(y, "y"), strict=True)
        return cat([t.inv(part) for t, part in parts], self.dim)

    def log_abs_det_jacobian(self, x, y):
        terms = []
        slices = zip(self.transforms, self._slices(x, "x"), self._slices(y, "y"), strict=True)
        for t, x_part, y_part in slices:
            term = t.log_abs_det_jacobian(x_part, y_part)
            terms.append(sum_rightmost(term, self.event_dim - t.event_dim))
        # dim inside the event: the parts are summed; in the batch: joined along it
        dim = (self.dim - x.dim() if self.dim >= 0 else self.dim) + self.event_dim
        return cat(terms, dim) if dim < 0 else functools.reduce(operator.add, terms)

    @constraints.dependent_property
    def domain(self):
        return constraints.cat([t.domain for t in self.transforms], self.dim, self.lengths)

    @constraints.dependent_property
    def codomain(self):
        return constraints.cat([t.codomain for t in self.transforms], self.dim, self.lengths)


class StackTransform(_Joined):
    """The transforms ``tseq`` applied to the slices along ``dim`` (one each), the results
    joined as ``torch.stack`` joins them.

    Args:
        tseq: a list of :class:`Transform`, as many as the size of ``dim``.
        dim: the dimension that is cut. Default: 0.
        cache_size: 0 or 1. Default: 0.

    Example:
        >>> import xpnet
        >>> from xpnet.distributions.transforms import ExpTransform, identity_transform
        >>> t = StackTransform([ExpTransform(), identity_transform], dim=1)
        >>> t(xpnet.zeros(1, 2, dtype=xpnet.float64))
        tensor([[1., 0.]], dtype=xpnet.float64)
    """

    def with_cache(self, cache_size=1):
        if self._cache_size == cache_size:
            return self
        return StackTransform(self.transforms, self.dim, cache_size)

    def _slices(self, value, name):
        _check_slices(name, value, self.dim, len(self.transforms), "len(transforms)")
        return [value.select(self.dim, i) for i in range(value.shape[self.dim])]

    def _call(self, x):
        parts = zip(self.transforms, self._slices(x, "x"), strict=True)
        return stack([t(part) for t, part in parts], self.dim)

    def _inverse(self, y):
        parts = zip(self.transforms, self._slices(y, "y"), strict=True)
        return stack([t.inv(part) for t, part in parts], self.dim)

    def log_abs_det_jacobian(self, x, y):
        slices = zip(self.transforms, self._slices(x, "x"), self._slices(y, "y"), strict=True)
        return stack([t.log_abs_det_jacobian(a, b) for t, a, b in slices], self.dim)

    @constraints.dependent_property
    def domain(self):
        return constraints.stack([t.domain for t in self.transforms], self.dim)

    @constraints.dependent_property
    def codomain(self):
        return constraints.stack([t.codomain for t in self.transforms], self.dim)


class CumulativeDistributionTransform(Transform):
    """The ``cdf`` of ``distribution``: from its support onto ``[0, 1]``, inverse ``icdf``,
    ``log_abs_det_jacobian`` its ``log_prob`` (torch's; a Gaussian copula pushes a
    multivariate normal through ``CumulativeDistributionTransform(Normal(0, 1))``).

    Args:
        distribution: a univariate :class:`~xpnet.distributions.Distribution` with ``cdf``.
        cache_size: 0 or 1. Default: 0.

    Example:
        >>> import xpnet
        >>> from xpnet.distributions import Normal
        >>> t = CumulativeDistributionTransform(Normal(0.0, 1.0))
        >>> x = xpnet.tensor([0.0], dtype=xpnet.float64)
        >>> t(x), t.log_abs_det_jacobian(x, t(x))
        (tensor([0.5000], dtype=xpnet.float64), tensor([-0.9189], dtype=xpnet.float64))
    """

    bijective = True
    codomain = constraints.unit_interval
    sign = +1

    def __init__(self, distribution, cache_size: int = 0):
        super().__init__(cache_size=cache_size)
        self.distribution = distribution

    @property
    def domain(self):
        return self.distribution.support

    def _call(self, x):
        return self.distribution.cdf(x)

    def _inverse(self, y):
        return self.distribution.icdf(y)

    def log_abs_det_jacobian(self, x, y):
        return self.distribution.log_prob(x)

    def with_cache(self, cache_size=1):
        if self._cache_size == cache_size:
            return self
        return CumulativeDistributionTransform(self.distribution, cache_size=cache_size)
