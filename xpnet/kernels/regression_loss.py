"""Regression losses: mean squared error, L1, smooth L1 and Huber, with backward functions.

Each takes ``input`` and ``target`` of one shape and dtype, computes one loss per element
and reduces it (``'none'``, ``'mean'``, ``'sum'``); the checks and reductions are shared in
:mod:`._pointwise_loss`. Each backward returns ``(grad_input, grad_target)``, with
``grad_target = -grad_input``. At a kink the derivative is PyTorch's: ``l1'(0) = 0``, and a
NaN difference gives a NaN loss (and, for L1 and smooth L1 with ``beta=0``, a zero
gradient, as PyTorch's sign). float16 computes in float32.
"""

from __future__ import annotations

from ._checks import ArgumentError, check_number, kernel
from ._pointwise_loss import PointwiseCall, check_legacy

__all__ = [
    "huber_loss",
    "huber_loss_backward",
    "l1_loss",
    "l1_loss_backward",
    "mse_loss",
    "mse_loss_backward",
    "smooth_l1_loss",
    "smooth_l1_loss_backward",
]


def _call(where, input, target, reduction, weight, grad_output=None):
    return PointwiseCall(
        where, input, target, reduction, grad_output, {"weight": weight}, same_shape=("weight",)
    )


def _weighted_mean(call, reduction):
    """mse_loss and l1_loss divide a weighted 'mean' by the summed weights, as PyTorch."""
    weight = call.weights["weight"]
    return None if weight is None or reduction != "mean" else call.xp.sum(weight)


def _sign(xp, d):
    """PyTorch's sign for gradients: 0 at 0 and at NaN."""
    return xp.where(d > 0, 1.0, xp.where(d < 0, -1.0, 0.0)).astype(d.dtype)


def _finish_pair(call, grad):
    grad_input, grad_target = call.finish(grad, -grad)
    return grad_input, grad_target


def _apply_weight(call, loss):
    weight = call.weights["weight"]
    return loss if weight is None else loss * weight


@kernel
def mse_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    r"""Mean squared error: ``loss_i = w_i * (input_i - target_i)^2``, then reduced.

    Args:
        input: array of any shape.
        target: array of the shape and dtype of ``input``.
        size_average, reduce: deprecated in PyTorch; must be ``None``.
        reduction: ``'none'``, ``'mean'`` or ``'sum'``. Default: ``'mean'``.
        weight: optional array of the input's shape; ``'mean'`` then divides by its sum,
            as PyTorch. Default: ``None``.

    Returns:
        The loss in the dtype of ``input``: the input's shape for ``'none'``, else 0-d.

    Raises:
        ValueError: a bad reduction, or a target or weight of another shape.
        TypeError: non-float arrays, mixed dtypes or backends.

    Note:
        PyTorch broadcasts a target of another shape (with a warning); xpnet refuses it.
        ``weight`` gets no gradient.

    Example:
        >>> mse_loss(xp.asarray([1.0, 2.0]), xp.asarray([0.0, 0.0]))
        array(2.5)
    """
    check_legacy("mse_loss", size_average, reduce)
    call = _call("mse_loss", input, target, reduction, weight)
    d = call.x - call.t
    return call.reduce(_apply_weight(call, d * d), reduction, _weighted_mean(call, reduction))


@kernel
def mse_loss_backward(
    grad_output, input, target, size_average=None, reduce=None, reduction="mean", weight=None
):
    """Gradients of :func:`mse_loss`: ``grad_input = 2 * w * (input - target) * grad``."""
    check_legacy("mse_loss_backward", size_average, reduce)
    call = _call("mse_loss_backward", input, target, reduction, weight, grad_output)
    grad = call.element_grad(grad_output, reduction, _weighted_mean(call, reduction))
    return _finish_pair(call, _apply_weight(call, 2.0 * (call.x - call.t) * grad))


@kernel
def l1_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    r"""Mean absolute error: ``loss_i = w_i * |input_i - target_i|``, then reduced.

    Args, Returns and Raises as :func:`mse_loss` (a weighted ``'mean'`` divides by the
    summed weights).

    Example:
        >>> l1_loss(xp.asarray([1.0, -3.0]), xp.asarray([0.0, 0.0]), reduction="sum")
        array(4.)
    """
    check_legacy("l1_loss", size_average, reduce)
    call = _call("l1_loss", input, target, reduction, weight)
    loss = call.xp.abs(call.x - call.t)
    return call.reduce(_apply_weight(call, loss), reduction, _weighted_mean(call, reduction))


@kernel
def l1_loss_backward(
    grad_output, input, target, size_average=None, reduce=None, reduction="mean", weight=None
):
    """Gradients of :func:`l1_loss`: ``grad_input = w * sign(input - target) * grad``, with
    sign 0 at 0 and at NaN, as PyTorch."""
    check_legacy("l1_loss_backward", size_average, reduce)
    call = _call("l1_loss_backward", input, target, reduction, weight, grad_output)
    grad = call.element_grad(grad_output, reduction, _weighted_mean(call, reduction))
    return _finish_pair(call, _apply_weight(call, _sign(call.xp, call.x - call.t) * grad))


def _check_threshold(where, name, value, positive):
    """``beta`` >= 0 (smooth L1) or ``delta`` > 0 (Huber), a real number, as PyTorch."""
    check_number(where, name, value)
    # written as "not in range" so that NaN, which fails every comparison, is refused too
    if not ((value > 0) if positive else (value >= 0)):
        rule = "positive" if positive else "non-negative"
        msg = f"{where}: {name} must be {rule}, got {value!r}"
        raise ArgumentError(msg)
    return float(value)


def _huber_terms(xp, d, threshold, scale):
    """``(loss, slope)`` of the quadratic-then-linear loss: quadratic ``0.5 d^2 / scale``
    inside ``|d| < threshold`` (PyTorch: ``<``), then linear; the slope is PyTorch's, with
    ``d <= -threshold`` and ``d >= threshold`` on the linear pieces."""
    magnitude = xp.abs(d)
    inside = magnitude < threshold
    quadratic = 0.5 * d * d / scale
    linear = (threshold / scale) * (magnitude - 0.5 * threshold)
    loss = xp.where(inside, quadratic, linear)
    bound = threshold / scale
    slope = xp.where(d <= -threshold, -bound, xp.where(d >= threshold, bound, d / scale))
    return loss, slope.astype(d.dtype)


def _smooth_l1_terms(xp, d, beta):
    if beta == 0:  # L1: PyTorch's sign gradient (0 at 0 and NaN)
        return xp.abs(d), _sign(xp, d)
    return _huber_terms(xp, d, beta, beta)


@kernel
def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    r"""Smooth L1: ``0.5 d^2 / beta`` where ``|d| < beta``, else ``|d| - 0.5 beta``, for
    ``d = input - target``; ``beta = 0`` is the L1 loss.

    Args:
        input, target, size_average, reduce, reduction: as :func:`mse_loss`.
        beta: where the quadratic turns linear, at least 0. Default: 1.0.

    Raises:
        ValueError: a negative ``beta``, and as :func:`mse_loss`.

    Example:
        >>> smooth_l1_loss(xp.asarray([0.5, 3.0]), xp.zeros(2), reduction="none")
        array([0.125, 2.5  ])
    """
    check_legacy("smooth_l1_loss", size_average, reduce)
    beta = _check_threshold("smooth_l1_loss", "beta", beta, positive=False)
    call = _call("smooth_l1_loss", input, target, reduction, None)
    loss, _ = _smooth_l1_terms(call.xp, call.x - call.t, beta)
    return call.reduce(loss, reduction)


@kernel
def smooth_l1_loss_backward(
    grad_output, input, target, size_average=None, reduce=None, reduction="mean", beta=1.0
):
    """Gradients of :func:`smooth_l1_loss`: ``d / beta`` inside, ``sign(d)`` outside."""
    check_legacy("smooth_l1_loss_backward", size_average, reduce)
    beta = _check_threshold("smooth_l1_loss_backward", "beta", beta, positive=False)
    call = _call("smooth_l1_loss_backward", input, target, reduction, None, grad_output)
    _, slope = _smooth_l1_terms(call.xp, call.x - call.t, beta)
    return _finish_pair(call, slope * call.element_grad(grad_output, reduction))


@kernel
def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):
    r"""Huber loss: ``0.5 d^2`` where ``|d| < delta``, else ``delta * (|d| - 0.5 delta)``.

    Args:
        input, target: as :func:`mse_loss`.
        reduction: ``'none'``, ``'mean'`` or ``'sum'``. Default: ``'mean'``.
        delta: where the quadratic turns linear, positive. Default: 1.0.
        weight: optional array of the input's shape, multiplying each element's loss
            (``'mean'`` still divides by the element count, as PyTorch). Default: ``None``.

    Raises:
        ValueError: a non-positive ``delta``, and as :func:`mse_loss`.

    Example:
        >>> huber_loss(xp.asarray([0.5, 3.0]), xp.zeros(2), delta=2.0, reduction="none")
        array([0.125, 4.   ])
    """
    delta = _check_threshold("huber_loss", "delta", delta, positive=True)
    call = _call("huber_loss", input, target, reduction, weight)
    loss, _ = _huber_terms(call.xp, call.x - call.t, delta, 1.0)
    return call.reduce(_apply_weight(call, loss), reduction)


@kernel
def huber_loss_backward(grad_output, input, target, reduction="mean", delta=1.0, weight=None):
    """Gradients of :func:`huber_loss`: ``d`` inside, ``delta * sign(d)`` outside (times w)."""
    delta = _check_threshold("huber_loss_backward", "delta", delta, positive=True)
    call = _call("huber_loss_backward", input, target, reduction, weight, grad_output)
    _, slope = _huber_terms(call.xp, call.x - call.t, delta, 1.0)
    return _finish_pair(
        call, _apply_weight(call, slope * call.element_grad(grad_output, reduction))
    )
