"""Differentiable backwards (:mod:`xpnet._double_backward`) of the layers of
:mod:`xpnet.nn.functional`: what gradient penalties (WGAN-GP), Hessians of MLPs and
meta-learning differentiate through.

``linear``, the activations (``relu``, ``leaky_relu``, ``elu``, ``gelu``, ``silu``,
``softplus``; ``sigmoid``/``tanh`` in :mod:`xpnet._double_backward_ops`), ``softmax`` and
``log_softmax``, the losses ``cross_entropy`` (class indices, label smoothing, or
probabilities), ``nll_loss``, ``mse_loss`` and ``binary_cross_entropy_with_logits``, and
average pooling (linear), with PyTorch's formulas (``tools/autograd/derivatives.yaml``) in
recorded Tensor operations. The convolutions, max pooling and dropout are in
:mod:`xpnet.nn._double_backward_conv`, ``layer_norm`` and ``batch_norm`` in
:mod:`xpnet.nn._double_backward_norms`, both loaded from here.
"""

from __future__ import annotations

import math

from .. import kernels as K
from .._double_backward import differentiable_backward
from .._double_backward_ops import linear_op, linear_ops, needs, piecewise_constant
from .._tensor_index import where
from ..autograd import Tensor
from ..backends import backend_of
from . import _double_backward_conv, _double_backward_norms  # noqa: F401 - their formulas
from . import functional as F

__all__: list[str] = []

linear_ops(
    (K.avg_pool1d, K.avg_pool1d_backward),
    (K.avg_pool2d, K.avg_pool2d_backward),
    (K.avg_pool3d, K.avg_pool3d_backward),
    (K.adaptive_avg_pool1d, K.adaptive_avg_pool1d_backward),
    (K.adaptive_avg_pool2d, K.adaptive_avg_pool2d_backward),
    (K.adaptive_avg_pool3d, K.adaptive_avg_pool3d_backward),
)
# nll_loss is linear in its input: its backward spreads -weight * grad / total to the targets
_, _nll_adjoint = linear_op(F.nll_loss.forward, F.nll_loss.backward)


@differentiable_backward(K.linear_backward)
def _linear_formula(grad_output, input, weight, bias=None):
    """``grad @ weight``, ``grad^T @ input`` and ``grad`` summed, over every leading dim."""
    rows = grad_output.reshape(-1, weight.shape[0])  # (N, out), N the leading dims' product
    return (
        grad_output @ weight if needs(input) else None,
        rows.mT @ input.reshape(-1, weight.shape[1]) if needs(weight) else None,
        rows.sum(0) if needs(bias) else None,
    )


# -- activations ----------------------------------------------------------------------------
def _sloped(grad_output, slope, input):
    """``grad * slope`` for a piecewise-constant ``slope`` array of ``input``; 0 where the
    slope is 0, as PyTorch's ``threshold_backward`` (not ``inf * 0``), in ``input``'s graph
    (its derivative 0)."""
    scaled = grad_output * piecewise_constant(slope, input)
    return where(Tensor(slope != 0), scaled, 0.0)


@differentiable_backward(K.relu_backward)
def _relu_formula(grad_output, input, inplace=False):
    # not input <= 0: a NaN input passes the gradient, as the first derivative's rule
    return _sloped(grad_output, (~(input.array <= 0)).astype(input.dtype), input)


@differentiable_backward(K.leaky_relu_backward)
def _leaky_relu_formula(grad_output, input, negative_slope=0.01, inplace=False):
    xp = backend_of(input.array).xp
    slope = xp.where(input.array > 0, 1.0, negative_slope).astype(input.dtype)
    return _sloped(grad_output, slope, input)


@differentiable_backward(K.elu_backward)
def _elu_formula(grad_output, input, alpha=1.0, inplace=False):
    """``grad`` where ``input > 0``, else ``grad * alpha * exp(input)`` (PyTorch's
    ``elu_backward``); the exponent clamped at 0, which the positive side does not use."""
    positive = Tensor(input.array > 0)
    return where(positive, grad_output, grad_output * (alpha * input.clamp(max=0).exp()))


@differentiable_backward(K.gelu_backward)
def _gelu_formula(grad_output, input, approximate="none"):
    """``Phi(x) + x phi(x)``, or the derivative of the tanh approximation."""
    if approximate == "tanh":
        root = math.sqrt(2 / math.pi)
        inner = root * (input + 0.044715 * input**3)
        t = inner.tanh()
        slope = 0.5 * (1 + t) + 0.5 * input * (1 - t * t) * root * (1 + 3 * 0.044715 * input**2)
        return grad_output * slope
    cdf = 0.5 * (1 + (input * (1 / math.sqrt(2))).erf())
    pdf = (-0.5 * input * input).exp() * (1 / math.sqrt(2 * math.pi))
    return grad_output * (cdf + input * pdf)


@differentiable_backward(K.silu_backward)
def _silu_formula(grad_output, input, inplace=False):
    sigmoid = input.sigmoid()
    return grad_output * (sigmoid * (1 + input * (1 - sigmoid)))


@differentiable_backward(K.softplus_backward)
def _softplus_formula(grad_output, input, beta=1.0, threshold=20.0):
    """``grad * sigmoid(beta x)``; ``grad`` where ``beta x > threshold`` (linear there)."""
    linear = Tensor(input.array * beta > threshold)
    return where(linear, grad_output, grad_output * (input * beta).sigmoid())


@differentiable_backward(K.softmax_backward)
def _softmax_formula(grad_output, input, dim):
    result = F.softmax(input, dim)
    return result * (grad_output - (grad_output * result).sum(dim, keepdim=True))


@differentiable_backward(K.log_softmax_backward)
def _log_softmax_formula(grad_output, input, dim):
    """``grad - softmax(input) * sum(grad)`` over ``dim``."""
    return grad_output - F.softmax(input, dim) * grad_output.sum(dim, keepdim=True)


# -- losses ---------------------------------------------------------------------------------
@differentiable_backward(K.mse_loss_backward)
def _mse_loss_formula(
    grad_output, input, target, size_average=None, reduce=None, reduction="mean", weight=None
):
    """``2 * w * (input - target) * grad``, over the weights' sum (or the count) for mean."""
    grad = 2 * (input - target) * grad_output
    if weight is not None:
        grad = grad * Tensor(weight)
    if reduction == "mean":
        grad = grad / (Tensor(weight.sum()) if weight is not None else input.numel())
    return grad if needs(input) else None, -grad if needs(target) else None


@differentiable_backward(K.binary_cross_entropy_with_logits_backward)
def _bce_with_logits_formula(
    grad_output,
    input,
    target,
    weight=None,
    size_average=None,
    reduce=None,
    reduction="mean",
    pos_weight=None,
):
    """Of ``w ((1 - t) x + (1 + (p - 1) t) softplus(-x))``: ``w ((1 - t) - (1 + (p - 1) t)
    sigmoid(-x))`` for the logits, ``w ((p - 1) softplus(-x) - x)`` for the target."""
    scale = grad_output / input.numel() if reduction == "mean" else grad_output
    scale = scale if weight is None else scale * Tensor(weight)
    p = 1.0 if pos_weight is None else Tensor(pos_weight)
    grad_input = scale * ((1 - target) - (1 + (p - 1) * target) * (-input).sigmoid())
    grad_target = scale * ((p - 1) * F.softplus(-input) - input) if needs(target) else None
    return grad_input if needs(input) else None, grad_target


@differentiable_backward(F.cross_entropy.backward)
def _cross_entropy_formula(
    grad_output,
    input,
    target,
    weight=None,
    size_average=None,
    ignore_index=-100,
    reduce=None,
    reduction="mean",
    label_smoothing=0.0,
    **saved,
):
    """``log_softmax``'s formula applied to the loss's gradient with respect to the
    log-probabilities, which is linear in ``grad`` and constant (the loss is linear in them);
    probabilities as target get ``-w q' log_softmax(input)``, scaled as the loss."""
    classes, smoothing = 1 if input.ndim > 1 else 0, label_smoothing
    per_class = (-1,) + (1,) * (input.ndim - classes - 1)  # weight (C,) along the classes
    w = 1.0 if weight is None else Tensor(weight.reshape(per_class))
    grad = _per_element(grad_output, reduction, classes)  # broadcasts along the classes
    if target.dtype.kind in "iu":
        nll = (grad_output, input.array, target.array, weight, None, ignore_index, None, reduction)
        grad_log = _nll_adjoint(*nll)
        if smoothing > 0:  # + eps / C * sum_c w_c (-log p_c) for each kept target
            kept = _kept(target.array, weight, ignore_index, reduction, classes).to(input.dtype)
            share = smoothing / input.shape[classes]
            grad_log = (1 - smoothing) * grad_log - grad * w * kept * share
        return _log_softmax_formula(grad_log, input, classes) if needs(input) else None, None
    count = math.prod(input.shape) // input.shape[classes] if reduction == "mean" else 1
    scale = -grad * w / count
    probabilities = target * (1 - smoothing) + smoothing / input.shape[classes]
    grad_input = _log_softmax_formula(scale * probabilities, input, classes)
    grad_target = scale * (1 - smoothing) * F.log_softmax(input, classes)
    return grad_input if needs(input) else None, grad_target if needs(target) else None


def _per_element(grad_output, reduction: str, classes: int):
    """The loss's gradient per element, broadcast along the class dim."""
    return grad_output.unsqueeze(classes) if reduction == "none" else grad_output


def _kept(target, weight, ignore: int, reduction: str, classes: int) -> Tensor:
    """1 where a class-index target is kept, 0 where ignored, along the class dim; for
    ``'mean'`` divided by the kept targets' total weight, the loss's divisor."""
    xp = backend_of(target).xp
    kept = target != ignore
    if reduction != "mean":
        return Tensor(xp.expand_dims(kept, classes))
    picked = kept if weight is None else xp.where(kept, weight[xp.where(kept, target, 0)], 0)
    total = picked.sum(dtype=None if weight is None else weight.dtype)
    return Tensor(xp.expand_dims(kept, classes) / total)
