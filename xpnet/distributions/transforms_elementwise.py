"""The transforms of ``torch.distributions.transforms`` that map one value at a time
(:class:`ExpTransform`, :class:`AffineTransform`, :class:`PowerTransform`,
:class:`SigmoidTransform`, :class:`SoftplusTransform`, :class:`TanhTransform`,
:class:`AbsTransform`) and those onto the simplex (:class:`SoftmaxTransform`,
:class:`StickBreakingTransform`), with torch's formulas; all are Tensor operations, so
gradients flow through them."""

from __future__ import annotations

import math
import numbers

from .._creation import full_like
from .._torch_aliases import broadcast_shapes, finfo
from ..nn.functional import logsigmoid, pad, softplus
from . import constraints
from .transform import Transform
from .utils import broadcast_all, lazy_property

__all__ = [
    "AbsTransform",
    "AffineTransform",
    "ExpTransform",
    "PowerTransform",
    "SigmoidTransform",
    "SoftmaxTransform",
    "SoftplusTransform",
    "StickBreakingTransform",
    "TanhTransform",
]


def _is_number(value) -> bool:
    return isinstance(value, numbers.Number)


def _shape_of(value) -> tuple:
    return tuple(getattr(value, "shape", ()))


class ExpTransform(Transform):
    r""":math:`y = \exp(x)`, from the reals onto the positive reals."""

    domain = constraints.real
    codomain = constraints.positive
    bijective = True
    sign = +1

    def __eq__(self, other):
        return isinstance(other, ExpTransform)

    def _call(self, x):
        return x.exp()

    def _inverse(self, y):
        return y.log()

    def log_abs_det_jacobian(self, x, y):
        return x


class PowerTransform(Transform):
    r""":math:`y = x^{\text{exponent}}` on the positive reals.

    Args:
        exponent: a float or Tensor (broadcast with the values).
        cache_size: 0 or 1. Default: 0.
    """

    domain = constraints.positive
    codomain = constraints.positive
    bijective = True

    def __init__(self, exponent, cache_size: int = 0):
        super().__init__(cache_size=cache_size)
        (self.exponent,) = broadcast_all(exponent)

    def with_cache(self, cache_size=1):
        if self._cache_size == cache_size:
            return self
        return PowerTransform(self.exponent, cache_size=cache_size)

    @lazy_property
    def sign(self):
        return self.exponent.sign()

    def __eq__(self, other):
        return isinstance(other, PowerTransform) and bool(self.exponent.eq(other.exponent).all())

    def _call(self, x):
        return x.pow(self.exponent)

    def _inverse(self, y):
        return y.pow(1 / self.exponent)

    def log_abs_det_jacobian(self, x, y):
        return (self.exponent * y / x).abs().log()

    def forward_shape(self, shape):
        return broadcast_shapes(shape, _shape_of(self.exponent))

    def inverse_shape(self, shape):
        return broadcast_shapes(shape, _shape_of(self.exponent))


def _clipped_sigmoid(x):
    # clipped away from 0 and 1 so that its logit, the inverse, stays finite (torch's)
    info = finfo(x.dtype)
    return x.sigmoid().clamp(min=info.tiny, max=1.0 - info.eps)


class SigmoidTransform(Transform):
    r""":math:`y = 1 / (1 + e^{-x})`, inverse :math:`x = \operatorname{logit}(y)`."""

    domain = constraints.real
    codomain = constraints.unit_interval
    bijective = True
    sign = +1

    def __eq__(self, other):
        return isinstance(other, SigmoidTransform)

    def _call(self, x):
        return _clipped_sigmoid(x)

    def _inverse(self, y):
        info = finfo(y.dtype)
        y = y.clamp(min=info.tiny, max=1.0 - info.eps)
        return y.log() - (-y).log1p()

    def log_abs_det_jacobian(self, x, y):
        return -softplus(-x) - softplus(x)


class SoftplusTransform(Transform):
    r""":math:`y = \log(1 + e^x)`, onto the positive reals (linear above 20, as torch's
    ``softplus``); inverse :math:`x = y + \log(1 - e^{-y})`.

    Example:
        >>> import xpnet
        >>> t = SoftplusTransform()
        >>> x = xpnet.tensor([0.0, 1.0], dtype=xpnet.float64)
        >>> t(x), t.log_abs_det_jacobian(x, t(x))
        (tensor([0.6931, 1.3133], dtype=xpnet.float64),
         tensor([-0.6931, -0.3133], dtype=xpnet.float64))
    """

    domain = constraints.real
    codomain = constraints.positive
    bijective = True
    sign = +1

    def __eq__(self, other):
        return isinstance(other, SoftplusTransform)

    def _call(self, x):
        return softplus(x)

    def _inverse(self, y):
        return (-(-y).expm1()).log() + y

    def log_abs_det_jacobian(self, x, y):
        return -softplus(-x)


class TanhTransform(Transform):
    r""":math:`y = \tanh(x)`, onto ``(-1, 1)``. The inverse, ``atanh``, is not clamped (as
    torch's): use ``cache_size=1`` so that ``log_prob`` of an ``rsample`` reuses ``x``.

    Example:
        >>> import xpnet
        >>> t = TanhTransform()
        >>> x = xpnet.tensor([0.0, 2.0], dtype=xpnet.float64)
        >>> t.log_abs_det_jacobian(x, t(x))
        tensor([ 0.0000, -2.6500], dtype=xpnet.float64)
    """

    domain = constraints.real
    codomain = constraints.interval(-1.0, 1.0)
    bijective = True
    sign = +1

    def __eq__(self, other):
        return isinstance(other, TanhTransform)

    def _call(self, x):
        return x.tanh()

    def _inverse(self, y):
        return y.atanh()

    def log_abs_det_jacobian(self, x, y):
        # log(1 - tanh(x)^2) written without cancellation (TensorFlow Probability's, as torch's)
        return 2.0 * (math.log(2.0) - x - softplus(-2.0 * x))


class AbsTransform(Transform):
    r""":math:`y = |x|` (not bijective: the inverse is the identity)."""

    domain = constraints.real
    codomain = constraints.positive

    def __eq__(self, other):
        return isinstance(other, AbsTransform)

    def _call(self, x):
        return x.abs()

    def _inverse(self, y):
        return y


class AffineTransform(Transform):
    r""":math:`y = \text{loc} + \text{scale} \cdot x`, elementwise.

    Args:
        loc: a float or Tensor.
        scale: a float or Tensor.
        event_dim: the event dimensions (0 scalars, 1 vectors, ...); ``log_abs_det_jacobian``
            sums over them. Default: 0.
        cache_size: 0 or 1. Default: 0.

    Example:
        >>> import xpnet
        >>> t = AffineTransform(1.0, -2.0)
        >>> x = xpnet.tensor([0.0, 1.0], dtype=xpnet.float64)
        >>> t(x), t.inv(t(x)), t.log_abs_det_jacobian(x, t(x)), t.sign
        (tensor([ 1., -1.], dtype=xpnet.float64), tensor([-0., 1.], dtype=xpnet.float64), tensor([0.6931, 0.6931], dtype=xpnet.float64), -1)
    """  # noqa: E501

    bijective = True

    def __init__(self, loc, scale, event_dim: int = 0, cache_size: int = 0):
        super().__init__(cache_size=cache_size)
        self.loc, self.scale, self._event_dim = loc, scale, event_dim

    @property
    def event_dim(self) -> int:
        return self._event_dim

    @constraints.dependent_property
    def domain(self):
        if self.event_dim == 0:
            return constraints.real
        return constraints.independent(constraints.real, self.event_dim)

    @constraints.dependent_property
    def codomain(self):
        return self.domain

    def with_cache(self, cache_size=1):
        if self._cache_size == cache_size:
            return self
        return AffineTransform(self.loc, self.scale, self.event_dim, cache_size=cache_size)

    def __eq__(self, other):
        if not isinstance(other, AffineTransform):
            return False
        for ours, theirs in ((self.loc, other.loc), (self.scale, other.scale)):
            if _is_number(ours) and _is_number(theirs):
                if ours != theirs:
                    return False
            elif not bool((ours == theirs).all()):
                return False
        return True

    @property
    def sign(self):
        if _is_number(self.scale):
            scale = float(self.scale)
            return 1 if scale > 0 else -1 if scale < 0 else 0
        return self.scale.sign()

    def _call(self, x):
        return self.loc + self.scale * x

    def _inverse(self, y):
        return (y - self.loc) / self.scale

    def log_abs_det_jacobian(self, x, y):
        shape = tuple(x.shape)
        if _is_number(self.scale):
            result = full_like(x, math.log(abs(self.scale)))
        else:
            result = self.scale.abs().log()
        if self.event_dim:
            result = result.reshape(tuple(result.shape)[: -self.event_dim] + (-1,)).sum(-1)
            shape = shape[: -self.event_dim]
        return result.expand(shape)

    def forward_shape(self, shape):
        return broadcast_shapes(shape, _shape_of(self.loc), _shape_of(self.scale))

    def inverse_shape(self, shape):
        return broadcast_shapes(shape, _shape_of(self.loc), _shape_of(self.scale))


def _too_few_dimensions(shape) -> None:
    if len(shape) < 1:
        raise ValueError("Too few dimensions on input")


class SoftmaxTransform(Transform):
    r"""From the reals onto the simplex: :math:`y = \exp(x)` normalised along the last
    dimension. Not bijective (the inverse is ``log``)."""

    domain = constraints.real_vector
    codomain = constraints.simplex

    def __eq__(self, other):
        return isinstance(other, SoftmaxTransform)

    def _call(self, x):
        # the shift by the maximum only guards exp: the ratio, and its gradient, ignore it
        probs = (x - x.amax(-1, keepdim=True).detach()).exp()
        return probs / probs.sum(-1, keepdim=True)

    def _inverse(self, y):
        return y.log()

    def forward_shape(self, shape):
        _too_few_dimensions(shape)
        return shape

    def inverse_shape(self, shape):
        _too_few_dimensions(shape)
        return shape


def _stick_offset(x):
    """``K, K-1, ..., 1`` for the last dimension of ``x`` (K its size), in ``x``'s dtype."""
    return x.shape[-1] + 1 - x.new_ones(x.shape[-1]).cumsum(-1)


class StickBreakingTransform(Transform):
    """From ``K`` reals onto the simplex of ``K + 1`` entries by stick breaking (iterated
    sigmoids, the Dirichlet's construction): bijective, as torch's.

    Example:
        >>> import xpnet
        >>> t = StickBreakingTransform()
        >>> y = t(xpnet.zeros(2, dtype=xpnet.float64))
        >>> y, t.inv(y)
        (tensor([0.3333, 0.3333, 0.3333], dtype=xpnet.float64),
         tensor([-2.2204e-16,  4.4409e-16], dtype=xpnet.float64))
    """

    domain = constraints.real_vector
    codomain = constraints.simplex
    bijective = True

    def __eq__(self, other):
        return isinstance(other, StickBreakingTransform)

    def _call(self, x):
        z = _clipped_sigmoid(x - _stick_offset(x).log())
        z_cumprod = (1 - z).cumprod(-1)
        return pad(z, [0, 1], value=1) * pad(z_cumprod, [1, 0], value=1)

    def _inverse(self, y):
        y_crop = y[..., :-1]
        offset = y.shape[-1] - y.new_ones(y_crop.shape[-1]).cumsum(-1)
        # clamped: the rest of the stick can round to 0 or below when y[-1] ~ 0
        rest = (1 - y_crop.cumsum(-1)).clamp(min=finfo(y.dtype).tiny)
        return y_crop.log() - rest.log() + offset.log()

    def log_abs_det_jacobian(self, x, y):
        x = x - _stick_offset(x).log()
        # 1 - sigmoid(x) = exp(-x) * sigmoid(x)
        return (-x + logsigmoid(x) + y[..., :-1].log()).sum(-1)

    def forward_shape(self, shape):
        _too_few_dimensions(shape)
        return shape[:-1] + (shape[-1] + 1,)

    def inverse_shape(self, shape):
        _too_few_dimensions(shape)
        return shape[:-1] + (shape[-1] - 1,)
