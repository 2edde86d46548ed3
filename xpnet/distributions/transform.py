"""The base of ``torch.distributions.transforms``: :class:`Transform` (an invertible map with
its log-Jacobian, a one-value cache, ``inv``), and the transforms that combine others,
:class:`ComposeTransform`, :class:`IndependentTransform` and ``identity_transform``. The
elementwise and simplex transforms live in :mod:`.transforms_elementwise`; the public module
is :mod:`xpnet.distributions.transforms`."""

from __future__ import annotations

import functools
import operator

from .._creation import zeros_like
from . import constraints
from .utils import lazy_property, sum_rightmost

__all__ = ["ComposeTransform", "IndependentTransform", "Transform", "identity_transform"]


class Transform:
    """An invertible map ``y = t(x)`` with a computable ``log |dy/dx|``, as
    ``torch.distributions.transforms.Transform``: :class:`TransformedDistribution` applies it.

    A subclass implements ``_call`` and/or ``_inverse``, and ``log_abs_det_jacobian`` when
    ``bijective``. With ``cache_size=1``, the last ``(x, y)`` pair is remembered: ``t.inv(t(x))``
    returns ``x`` itself (by identity), which SAC-style ``tanh`` policies need because
    ``atanh`` of a value rounded to 1 is infinite.

    Args:
        cache_size: 0 (no cache) or 1 (the latest value). Default: 0.

    Attributes:
        domain: the :mod:`constraints` constraint of valid inputs.
        codomain: the constraint of valid outputs (the inputs of :attr:`inv`).
        bijective: whether ``t.inv(t(x)) == x`` and ``t(t.inv(y)) == y``.

    Raises:
        ValueError: ``cache_size`` not 0 or 1 (torch's message).

    Example:
        >>> import xpnet
        >>> from xpnet.distributions.transforms import ExpTransform
        >>> t = ExpTransform()
        >>> x = xpnet.tensor([0.0, 1.0], dtype=xpnet.float64)
        >>> t(x), t.inv(t(x)), t.log_abs_det_jacobian(x, t(x))
        (tensor([1.0000, 2.7183], dtype=xpnet.float64), tensor([0., 1.], dtype=xpnet.float64),
         tensor([0., 1.], dtype=xpnet.float64))
    """

    bijective = False
    domain: constraints.Constraint
    codomain: constraints.Constraint

    def __init__(self, cache_size: int = 0):
        if cache_size not in (0, 1):
            raise ValueError(f"cache_size must be 0 or 1, got {cache_size!r}")
        self._cache_size = cache_size
        self._inv = None
        self._cached_x_y = None, None

    def __getstate__(self):
        state = self.__dict__.copy()
        state["_inv"] = None  # a weak back-reference in torch: not pickled
        return state

    @property
    def event_dim(self) -> int:
        """The event dimensions of the domain, when it equals the codomain's."""
        if self.domain.event_dim == self.codomain.event_dim:
            return self.domain.event_dim
        raise ValueError("Please use either .domain.event_dim or .codomain.event_dim")

    @property
    def inv(self) -> Transform:
        """The inverse transform (``t.inv.inv is t``)."""
        if self._inv is None:
            self._inv = _InverseTransform(self)
        return self._inv

    @property
    def sign(self):
        """The sign of the Jacobian's determinant (+1 or -1, or a Tensor), bijective only."""
        raise NotImplementedError

    def with_cache(self, cache_size: int = 1) -> Transform:
        """This transform with ``cache_size`` (itself when it already has that size)."""
        if self._cache_size == cache_size:
            return self
        if type(self).__init__ is Transform.__init__:
            return type(self)(cache_size=cache_size)
        raise NotImplementedError(f"{type(self)}.with_cache is not implemented")

    def __eq__(self, other):
        return self is other

    def __call__(self, x):
        """``y = t(x)`` (the cached ``y`` when ``x`` is the cached input)."""
        if self._cache_size == 0:
            return self._call(x)
        x_old, y_old = self._cached_x_y
        if x is x_old:
            return y_old
        y = self._call(x)
        self._cached_x_y = x, y
        return y

    def _inv_call(self, y):
        if self._cache_size == 0:
            return self._inverse(y)
        x_old, y_old = self._cached_x_y
        if y is y_old:
            return x_old
        x = self._inverse(y)
        self._cached_x_y = x, y
        return x

    def _call(self, x):
        raise NotImplementedError

    def _inverse(self, y):
        raise NotImplementedError

    def log_abs_det_jacobian(self, x, y):
        """``log |dy/dx|`` at the input ``x`` and its output ``y``."""
        raise NotImplementedError

    def forward_shape(self, shape):
        """The output shape for an input of ``shape`` (unchanged by default)."""
        return shape

    def inverse_shape(self, shape):
        """The input shape for an output of ``shape`` (unchanged by default)."""
        return shape

    def __repr__(self):
        return type(self).__name__ + "()"


class _InverseTransform(Transform):
    """The inverse of a transform; made by ``Transform.inv``."""

    def __init__(self, transform: Transform):
        super().__init__(cache_size=transform._cache_size)
        self._inv = transform

    @constraints.dependent_property
    def domain(self):
        return self._inv.codomain

    @constraints.dependent_property
    def codomain(self):
        return self._inv.domain

    @property
    def bijective(self):
        return self._inv.bijective

    @property
    def sign(self):
        return self._inv.sign

    @property
    def inv(self):
        return self._inv

    def with_cache(self, cache_size=1):
        return self.inv.with_cache(cache_size).inv

    def __eq__(self, other):
        return isinstance(other, _InverseTransform) and self._inv == other._inv

    def __call__(self, x):
        return self._inv._inv_call(x)

    def log_abs_det_jacobian(self, x, y):
        return -self._inv.log_abs_det_jacobian(y, x)

    def forward_shape(self, shape):
        return self._inv.inverse_shape(shape)

    def inverse_shape(self, shape):
        return self._inv.forward_shape(shape)

    def __repr__(self):
        return f"{type(self).__name__}({self._inv!r})"


def _widened(constraint, event_dim: int):
    """``constraint`` made ``independent`` over extra dimensions up to ``event_dim``."""
    if event_dim < constraint.event_dim:
        raise AssertionError(f"event_dim {event_dim} must be >= {constraint.event_dim}")
    if event_dim > constraint.event_dim:
        return constraints.independent(constraint, event_dim - constraint.event_dim)
    return constraint


class ComposeTransform(Transform):
    """The transforms ``parts`` applied in order (each caches for itself), as torch's.

    Args:
        parts: a list of :class:`Transform`; ``[]`` is the identity.
        cache_size: 0 or 1, passed on to every part. Default: 0.

    Example:
        >>> import xpnet
        >>> from xpnet.distributions.transforms import AffineTransform, ExpTransform
        >>> t = ComposeTransform([AffineTransform(1.0, 2.0), ExpTransform()])
        >>> x = xpnet.tensor([0.0], dtype=xpnet.float64)
        >>> t(x), t.log_abs_det_jacobian(x, t(x))
        (tensor([2.7183], dtype=xpnet.float64), tensor([1.6931], dtype=xpnet.float64))
    """

    def __init__(self, parts: list, cache_size: int = 0):
        if cache_size:
            parts = [part.with_cache(cache_size) for part in parts]
        super().__init__(cache_size=cache_size)
        self.parts = parts

    def __eq__(self, other):
        return isinstance(other, ComposeTransform) and self.parts == other.parts

    @constraints.dependent_property
    def domain(self):
        if not self.parts:
            return constraints.real
        event_dim = self.parts[-1].codomain.event_dim  # the largest event over the chain
        for part in reversed(self.parts):
            event_dim += part.domain.event_dim - part.codomain.event_dim
            event_dim = max(event_dim, part.domain.event_dim)
        return _widened(self.parts[0].domain, event_dim)

    @constraints.dependent_property
    def codomain(self):
        if not self.parts:
            return constraints.real
        event_dim = self.parts[0].domain.event_dim
        for part in self.parts:
            event_dim += part.codomain.event_dim - part.domain.event_dim
            event_dim = max(event_dim, part.codomain.event_dim)
        return _widened(self.parts[-1].codomain, event_dim)

    @lazy_property
    def bijective(self):
        return all(p.bijective for p in self.parts)

    @lazy_property
    def sign(self):
        sign = 1
        for p in self.parts:
            sign = sign * p.sign
        return sign

    @property
    def inv(self):
        if self._inv is None:
            self._inv = ComposeTransform([p.inv for p in reversed(self.parts)])
            self._inv._inv = self
        return self._inv

    def with_cache(self, cache_size=1):
        if self._cache_size == cache_size:
            return self
        return ComposeTransform(self.parts, cache_size=cache_size)

    def __call__(self, x):
        for part in self.parts:
            x = part(x)
        return x

    def log_abs_det_jacobian(self, x, y):
        if not self.parts:
            return zeros_like(x)
        xs = [x]  # the intermediates: free where the parts cache
        for part in self.parts[:-1]:
            xs.append(part(xs[-1]))
        xs.append(y)
        terms = []
        event_dim = self.domain.event_dim
        for part, x_in, y_out in zip(self.parts, xs[:-1], xs[1:], strict=True):
            jacobian = part.log_abs_det_jacobian(x_in, y_out)
            terms.append(sum_rightmost(jacobian, event_dim - part.domain.event_dim))
            event_dim += part.codomain.event_dim - part.domain.event_dim
        return functools.reduce(operator.add, terms)

    def forward_shape(self, shape):
        for part in self.parts:
            shape = part.forward_shape(shape)
        return shape

    def inverse_shape(self, shape):
        for part in reversed(self.parts):
            shape = part.inverse_shape(shape)
        return shape

    def __repr__(self):
        return type(self).__name__ + "(\n    " + ",\n    ".join(map(repr, self.parts)) + "\n)"


identity_transform = ComposeTransform([])


class IndependentTransform(Transform):
    """``base_transform`` with ``reinterpreted_batch_ndims`` more rightmost dimensions in its
    event: the values are unchanged, ``log_abs_det_jacobian`` sums over them.

    Args:
        base_transform: a :class:`Transform`.
        reinterpreted_batch_ndims: how many rightmost dimensions join the event.
        cache_size: 0 or 1. Default: 0.

    Example:
        >>> import xpnet
        >>> from xpnet.distributions.transforms import ExpTransform
        >>> t = IndependentTransform(ExpTransform(), 1)
        >>> x = xpnet.tensor([[0.0, 1.0]], dtype=xpnet.float64)
        >>> t.log_abs_det_jacobian(x, t(x))
        tensor([1.], dtype=xpnet.float64)
    """

    def __init__(self, base_transform, reinterpreted_batch_ndims: int, cache_size: int = 0):
        super().__init__(cache_size=cache_size)
        self.base_transform = base_transform.with_cache(cache_size)
        self.reinterpreted_batch_ndims = reinterpreted_batch_ndims

    def with_cache(self, cache_size=1):
        if self._cache_size == cache_size:
            return self
        return IndependentTransform(
            self.base_transform, self.reinterpreted_batch_ndims, cache_size=cache_size
        )

    @constraints.dependent_property
    def domain(self):
        return constraints.independent(self.base_transform.domain, self.reinterpreted_batch_ndims)

    @constraints.dependent_property
    def codomain(self):
        return constraints.independent(self.base_transform.codomain, self.reinterpreted_batch_ndims)

    @property
    def bijective(self):
        return self.base_transform.bijective

    @property
    def sign(self):
        return self.base_transform.sign

    def _call(self, x):
        if x.dim() < self.domain.event_dim:
            raise ValueError("Too few dimensions on input")
        return self.base_transform(x)

    def _inverse(self, y):
        if y.dim() < self.codomain.event_dim:
            raise ValueError("Too few dimensions on input")
        return self.base_transform.inv(y)

    def log_abs_det_jacobian(self, x, y):
        result = self.base_transform.log_abs_det_jacobian(x, y)
        return sum_rightmost(result, self.reinterpreted_batch_ndims)

    def forward_shape(self, shape):
        return self.base_transform.forward_shape(shape)

    def inverse_shape(self, shape):
        return self.base_transform.inverse_shape(shape)

    def __repr__(self):
        return f"{type(self).__name__}({self.base_transform!r}, {self.reinterpreted_batch_ndims})"
