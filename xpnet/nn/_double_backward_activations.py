"""Differentiable backwards (:mod:`xpnet._double_backward`) of the activations and pointwise
losses that :mod:`xpnet.nn._double_backward_layers` leaves out, each PyTorch's formula
(``tools/autograd/derivatives.yaml``) in recorded Tensor operations.

The piecewise-linear activations (``hardtanh``, ``relu6``, ``threshold``, ``hardshrink``,
``softshrink``, ``hardsigmoid``, ``rrelu``) multiply ``grad_output`` by a slope of derivative
0, which their own array backward gives for a gradient of ones; ``hardswish``, ``mish``,
``selu``, ``celu``, ``logsigmoid``, ``softsign``, ``tanhshrink``, ``prelu``, ``glu`` and
``softmin`` have smooth formulas. The losses: ``l1_loss``, ``smooth_l1_loss``, ``huber_loss``,
``binary_cross_entropy`` and ``kl_div`` (PyTorch's composite, differentiated as such).
"""

from __future__ import annotations

import numpy

from .. import kernels as K
from .._double_backward import differentiable_backward
from .._double_backward_elementwise import composite
from .._double_backward_ops import needs, piecewise_constant
from .._tensor_elementwise import xlogy
from .._tensor_index import where
from .._tensor_join import cat
from ..autograd import Tensor
from ..backends import backend_of
from ..kernels.activation_smooth import SELU_ALPHA, SELU_SCALE
from . import functional as F

__all__: list[str] = []


def _piecewise_linear(backward) -> None:
    """Register ``grad * slope`` for ``backward``, the slope its gradient for ones (0 where
    it is 0, as PyTorch's ``threshold_backward``, not ``inf * 0``)."""

    @differentiable_backward(backward)
    def formula(grad_output, input, *args, **kwargs):
        ones = backend_of(input.array).xp.ones(input.shape, dtype=grad_output.dtype)
        slope = backward(ones, input.array, *args, **kwargs)
        scaled = grad_output * piecewise_constant(slope, input)
        return where(Tensor(slope != 0), scaled, 0.0)


for _backward in (
    K.hardtanh_backward,
    K.relu6_backward,
    K.threshold_backward,
    K.hardshrink_backward,
    K.softshrink_backward,
    K.hardsigmoid_backward,
    K.rrelu_backward,
):
    _piecewise_linear(_backward)
del _backward


@differentiable_backward(K.hardswish_backward)
def _hardswish_formula(grad_output, input, inplace=False):
    """0 for ``x <= -3``, ``grad`` for ``x >= 3``, ``grad * (x / 3 + 1/2)`` between."""
    x = input.array
    # derivative 0 at a NaN input, as PyTorch's ``where(-3 < x < 3, ...)``: the slope there is
    # a constant (NaN, so the first derivative stays NaN), not ``input / 3 + 1/2``
    slope = where(Tensor((x > -3.0) & (x < 3.0)), input / 3.0 + 0.5, Tensor(x / 3.0 + 0.5))
    middle = where(Tensor(x >= 3.0), grad_output, grad_output * slope)
    return where(Tensor(x <= -3.0), 0.0, middle)


@differentiable_backward(K.mish_backward)
def _mish_formula(grad_output, input, inplace=False):
    """PyTorch's ``infinitely_differentiable_mish_backward``."""
    t = F.softplus(input).tanh()
    return grad_output * (t + input * input.sigmoid() * (1 - t * t))


def _elu_like(grad_output, input, alpha: float, scale: float, input_scale: float):
    """PyTorch's ``elu_backward`` (selu, celu): ``scale`` where ``x > 0``, else ``alpha * scale
    * input_scale * exp(input_scale * x)``. The exponent is ``x`` where ``x < 0`` or NaN and the
    constant 0 elsewhere: no overflow on the unused positive side, and the derivative of the
    slope is PyTorch's ``elu_double_backward``, 0 at ``x = 0`` (its ``x < 0`` mask), NaN at NaN."""
    x = input.array
    xp = backend_of(x).xp
    exponent = where(Tensor((x < 0) | xp.isnan(x)), input, 0.0)
    negative = alpha * scale * input_scale * (exponent * input_scale).exp()
    return where(Tensor(x > 0), grad_output * scale, grad_output * negative)


@differentiable_backward(K.selu_backward)
def _selu_formula(grad_output, input, inplace=False):
    return _elu_like(grad_output, input, SELU_ALPHA, SELU_SCALE, 1.0)


@differentiable_backward(K.celu_backward)
def _celu_formula(grad_output, input, alpha=1.0, inplace=False):
    """``input_scale`` is ``1 / alpha`` with ``alpha`` rounded to float32, as PyTorch's."""
    return _elu_like(grad_output, input, alpha, 1.0, 1.0 / float(numpy.float32(alpha)))


@differentiable_backward(K.logsigmoid_backward)
def _logsigmoid_formula(grad_output, input):
    return grad_output * (-input).sigmoid()


@differentiable_backward(K.softsign_backward)
def _softsign_formula(grad_output, input):
    """PyTorch's composite ``x / (1 + |x|)``, differentiated as the kernel does: ``grad / d -
    grad * (|x| / d) / d`` with ``d = 1 + |x|``, NaN at +-inf as PyTorch's (not ``grad / d^2``,
    which is 0 there)."""
    magnitude = input.abs()
    d = magnitude + 1
    return grad_output / d - grad_output * (magnitude / d / d)


@differentiable_backward(K.tanhshrink_backward)
def _tanhshrink_formula(grad_output, input):
    t = input.tanh()
    return grad_output * (t * t)


@differentiable_backward(K.prelu_backward)
def _prelu_formula(grad_output, input, weight):
    """``grad`` where ``x > 0``, else ``weight * grad``; the weight's the sum of ``x * grad``
    where ``x <= 0`` over every dim but the channels (dim 1)."""
    positive = Tensor(input.array > 0)
    per_channel = (-1,) + (1,) * (input.ndim - 2) if weight.numel() > 1 else ()
    w = weight.reshape(per_channel)
    grad_input = where(positive, grad_output, w * grad_output) if needs(input) else None
    grad_weight = None
    if needs(weight):
        contribution = where(positive, 0.0, input * grad_output)
        dims = (0, *range(2, input.ndim)) if weight.numel() > 1 else tuple(range(input.ndim))
        grad_weight = contribution.sum(dims).reshape(weight.shape)
    return grad_input, grad_weight


@differentiable_backward(K.glu_backward)
def _glu_formula(grad_output, input, dim=-1):
    """Of ``a * sigmoid(b)``: ``grad * sigmoid(b)`` and ``grad * a * s (1 - s)``, joined."""
    a, b = input.chunk(2, dim)
    s = b.sigmoid()
    return cat([grad_output * s, grad_output * a * s * (1 - s)], dim)


@differentiable_backward(K.softmin_backward)
def _softmin_formula(grad_output, input, dim):
    """``softmax(-x)``'s: ``-result * (grad - sum(grad * result))`` over ``dim``."""
    result = F.softmin(input, dim)
    return -result * (grad_output - (grad_output * result).sum(dim, keepdim=True))


# -- losses ---------------------------------------------------------------------------------
def _element_grad(grad_output, input, reduction: str, weight=None, weighted_mean=False):
    """Each element's share of the loss's gradient, times the weight: ``grad / N`` for
    ``'mean'`` (over the summed weights with ``weighted_mean``)."""
    if reduction == "mean":
        total = Tensor(weight.sum()) if weighted_mean and weight is not None else input.numel()
        grad_output = grad_output / total
    return grad_output if weight is None else grad_output * Tensor(weight)


def _loss_pair(grad, input, target) -> tuple:
    return grad if needs(input) else None, -grad if needs(target) else None


@differentiable_backward(K.l1_loss_backward)
def _l1_loss_formula(
    grad_output, input, target, size_average=None, reduce=None, reduction="mean", weight=None
):
    """``w * sign(input - target) * grad``, the sign 0 at 0 (of derivative 0)."""
    d = input.array - target.array
    xp = backend_of(d).xp
    sign = piecewise_constant(xp.sign(xp.where(xp.isnan(d), 0, d)).astype(d.dtype), input, target)
    grad = _element_grad(grad_output, input, reduction, weight, weighted_mean=True)
    return _loss_pair(sign * grad, input, target)


def _huber_slope(input, target, threshold: float, scale: float):
    """``d / scale`` inside ``|d| < threshold``, ``+-threshold / scale`` (constant) outside."""
    d = input - target
    xp = backend_of(d.array).xp
    bound = xp.where(d.array <= -threshold, -threshold / scale, threshold / scale)
    outside = piecewise_constant(bound.astype(d.dtype), input, target)
    return where(Tensor(xp.abs(d.array) < threshold), d / scale, outside)


@differentiable_backward(K.smooth_l1_loss_backward)
def _smooth_l1_loss_formula(
    grad_output, input, target, size_average=None, reduce=None, reduction="mean", beta=1.0
):
    if beta == 0:  # L1's sign
        return _l1_loss_formula(grad_output, input, target, reduction=reduction)
    grad = _element_grad(grad_output, input, reduction)
    return _loss_pair(_huber_slope(input, target, beta, beta) * grad, input, target)


@differentiable_backward(K.huber_loss_backward)
def _huber_loss_formula(grad_output, input, target, reduction="mean", delta=1.0, weight=None):
    grad = _element_grad(grad_output, input, reduction, weight)
    return _loss_pair(_huber_slope(input, target, delta, 1.0) * grad, input, target)


@differentiable_backward(K.binary_cross_entropy_backward)
def _binary_cross_entropy_formula(
    grad_output, input, target, weight=None, size_average=None, reduce=None, reduction="mean"
):
    """PyTorch's: ``w * grad * (x - t) / max(x (1 - x), 1e-12)`` and
    ``w * grad * (log(1 - x) - log(x))``."""
    grad = _element_grad(grad_output, input, reduction, weight)
    return (
        grad * (input - target) / (input * (1 - input)).clamp(min=1e-12) if needs(input) else None,
        grad * ((-input).log1p() - input.log()) if needs(target) else None,
    )


@differentiable_backward(K.kl_div_backward)
def _kl_div_formula(
    grad_output, input, target, size_average=None, reduce=None, reduction="mean", log_target=False
):
    """PyTorch's composite ``kl_div``, differentiated: ``exp(t) (t - x)`` with ``log_target``,
    else ``xlogy(t, t) - t x``, then reduced."""

    def loss(x, t):
        pointwise = t.exp() * (t - x) if log_target else xlogy(t, t) - t * x
        if reduction == "batchmean":
            return pointwise.sum() / (x.shape[0] if x.ndim else 1)
        reduced = {"mean": pointwise.mean, "sum": pointwise.sum}.get(reduction)
        return pointwise if reduced is None else reduced()

    return composite(grad_output, loss, input, target)
