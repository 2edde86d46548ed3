"""Binary cross-entropy (on probabilities and on logits) and KL divergence, with backward
functions.

Element-wise losses over ``input`` and ``target`` of one shape, reduced as the regression
losses (:mod:`.regression_loss`, shared checks in :mod:`._pointwise_loss`). Each backward
returns ``(grad_input, grad_target)``; ``weight`` and ``pos_weight`` get no gradient, as in
PyTorch. The logits form never takes ``log(sigmoid)``: ``softplus(-x) = log1p(exp(-|x|)) +
max(-x, 0)`` keeps logits of +-1000 exact.
"""

from __future__ import annotations

from ._activation_math import stable_sigmoid
from ._checks import ArgumentError, kernel
from ._pointwise_loss import REDUCTIONS, PointwiseCall, check_legacy

__all__ = [
    "binary_cross_entropy",
    "binary_cross_entropy_backward",
    "binary_cross_entropy_with_logits",
    "binary_cross_entropy_with_logits_backward",
    "kl_div",
    "kl_div_backward",
]

_LOG_FLOOR = -100.0  # PyTorch clamps each log at -100, so log(0) gives a finite loss
# PyTorch's floor of x * (1 - x) in binary_cross_entropy's backward: a float 1e-12 in ATen
_EPSILON = 9.999999960041972e-13  # float(numpy.float32(1e-12))


def _check_unit_interval(call, where, **arrays):
    """ValueError unless every value is in [0, 1] (NaN fails), as PyTorch's check.

    One explicit device-to-host copy of a few numbers, as cross-entropy's range check.
    """
    xp = call.xp
    for name, array in arrays.items():
        if not array.size:
            continue
        outside = xp.sum(~((array >= 0) & (array <= 1)))
        if call.backend.to_host(outside).item():
            msg = f"{where}: all elements of {name} should be between 0 and 1"
            raise ArgumentError(msg)


def _bce_call(where, input, target, weight, reduction, grad_output=None):
    call = PointwiseCall(where, input, target, reduction, grad_output, {"weight": weight})
    _check_unit_interval(call, where, input=call.x, target=call.t)
    return call


def _weighted(call, value):
    weight = call.weights.get("weight")
    return value if weight is None else value * weight


@kernel
def binary_cross_entropy(
    input, target, weight=None, size_average=None, reduce=None, reduction="mean"
):
    r"""Binary cross-entropy between probabilities ``x`` and targets ``t`` in [0, 1]:
    ``loss_i = -w_i * (t_i * log(x_i) + (1 - t_i) * log(1 - x_i))``, each log clamped at
    -100 (as PyTorch: ``x = 0`` gives 100, not inf).

    Args:
        input: probabilities, array of any shape, values in [0, 1].
        target: array of the shape and dtype of ``input``, values in [0, 1].
        weight: optional rescaling that broadcasts to the input's shape. Default: ``None``.
        size_average, reduce: deprecated in PyTorch; must be ``None``.
        reduction: ``'none'``, ``'mean'`` or ``'sum'``. Default: ``'mean'``.

    Returns:
        The loss in the dtype of ``input``: the input's shape for ``'none'``, else 0-d.

    Raises:
        ValueError: values outside [0, 1] (or NaN), a target of another shape, a weight
            that does not broadcast, or a bad reduction.
        TypeError: non-float arrays, mixed dtypes or backends.

    Example:
        >>> binary_cross_entropy(xp.asarray([0.5, 0.0]), xp.asarray([1.0, 1.0]), reduction="none")
        array([  0.69314718, 100.        ])
    """
    check_legacy("binary_cross_entropy", size_average, reduce)
    call = _bce_call("binary_cross_entropy", input, target, weight, reduction)
    xp, x, t = call.xp, call.x, call.t
    log_x = xp.maximum(xp.log(x), _LOG_FLOOR)
    log_rest = xp.maximum(xp.log1p(-x), _LOG_FLOOR)
    return call.reduce(_weighted(call, (t - 1.0) * log_rest - t * log_x), reduction)


@kernel
def binary_cross_entropy_backward(
    grad_output, input, target, weight=None, size_average=None, reduce=None, reduction="mean"
):
    """Gradients of :func:`binary_cross_entropy`, as PyTorch's:
    ``grad_input = w * grad * (x - t) / max(x * (1 - x), 1e-12)`` and
    ``grad_target = w * grad * (log(1 - x) - log(x))`` (unclamped: inf at 0 and 1)."""
    where = "binary_cross_entropy_backward"
    check_legacy(where, size_average, reduce)
    call = _bce_call(where, input, target, weight, reduction, grad_output)
    xp, x, t = call.xp, call.x, call.t
    grad = _weighted(call, call.element_grad(grad_output, reduction))
    grad_input = grad * (x - t) / xp.maximum(x * (1.0 - x), _EPSILON)
    grad_target = grad * (xp.log1p(-x) - xp.log(x))
    return call.finish(grad_input, grad_target)


def _logits_call(where, input, target, weight, pos_weight, reduction, grad_output=None):
    weights = {"weight": weight, "pos_weight": pos_weight}
    return PointwiseCall(where, input, target, reduction, grad_output, weights)


def _softplus_neg(xp, x):
    """``log(1 + exp(-x))`` without overflow: ``-log(sigmoid(x))``."""
    return xp.log1p(xp.exp(-xp.abs(x))) + xp.maximum(-x, 0.0)


@kernel
def binary_cross_entropy_with_logits(
    input, target, weight=None, size_average=None, reduce=None, reduction="mean", pos_weight=None
):
    r"""Binary cross-entropy of ``sigmoid(input)``, computed from the logits:
    ``loss_i = w_i * ((1 - t_i) * x_i + (1 + (p - 1) * t_i) * softplus(-x_i))`` with ``p``
    the ``pos_weight`` (1 if ``None``); stable for logits of any size.

    Args:
        input: logits, array of any shape.
        target: array of the shape and dtype of ``input`` (usually in [0, 1]; not checked).
        weight: optional rescaling that broadcasts to the input's shape. Default: ``None``.
        size_average, reduce: deprecated in PyTorch; must be ``None``.
        reduction: ``'none'``, ``'mean'`` or ``'sum'``. Default: ``'mean'``.
        pos_weight: optional weight of the positive term, broadcast to the input's shape
            (e.g. shape (C,) for input (N, C)). Default: ``None``.

    Raises:
        ValueError: a target of another shape, weights that do not broadcast, a bad
            reduction. TypeError: non-float arrays, mixed dtypes or backends.

    Example:
        >>> x = xp.asarray([1000.0, -1000.0, 0.0])
        >>> binary_cross_entropy_with_logits(x, xp.asarray([1.0, 1.0, 0.0]), reduction="none")
        array([0.00000000e+00, 1.00000000e+03, 6.93147181e-01])
    """
    where = "binary_cross_entropy_with_logits"
    check_legacy(where, size_average, reduce)
    call = _logits_call(where, input, target, weight, pos_weight, reduction)
    xp, x, t = call.xp, call.x, call.t
    pos = call.weights["pos_weight"]
    log_weight = 1.0 if pos is None else 1.0 + (pos - 1.0) * t
    loss = (1.0 - t) * x + log_weight * _softplus_neg(xp, x)
    return call.reduce(_weighted(call, loss), reduction)


@kernel
def binary_cross_entropy_with_logits_backward(
    grad_output,
    input,
    target,
    weight=None,
    size_average=None,
    reduce=None,
    reduction="mean",
    pos_weight=None,
):
    """Gradients of :func:`binary_cross_entropy_with_logits`:
    ``grad_input = w * grad * ((1 + (p - 1) t) * sigmoid(x) - p * t)`` and
    ``grad_target = w * grad * (p * softplus(-x) - softplus(x))`` (``-w * grad * x`` without
    ``pos_weight``)."""
    where = "binary_cross_entropy_with_logits_backward"
    check_legacy(where, size_average, reduce)
    call = _logits_call(where, input, target, weight, pos_weight, reduction, grad_output)
    xp, x, t = call.xp, call.x, call.t
    grad = _weighted(call, call.element_grad(grad_output, reduction))
    pos = call.weights["pos_weight"]
    if pos is None:
        grad_input = grad * (stable_sigmoid(xp, x) - t)
        grad_target = -grad * x
    else:
        grad_input = grad * ((1.0 + (pos - 1.0) * t) * stable_sigmoid(xp, x) - pos * t)
        # p * softplus(-x) - softplus(x), PyTorch's form: (p - 1) * softplus(-x) - x, equal
        # elsewhere, is inf - inf at x = -inf
        grad_target = grad * (pos * _softplus_neg(xp, x) - _softplus_neg(xp, -x))
    return call.finish(grad_input, grad_target)


_KL_REDUCTIONS = (*REDUCTIONS, "batchmean")


def _kl_call(where, input, target, reduction, log_target, grad_output=None):
    if not isinstance(log_target, bool):
        msg = f"{where}: log_target must be a bool, got {type(log_target).__name__}"
        raise TypeError(msg)
    return PointwiseCall(where, input, target, reduction, grad_output, reductions=_KL_REDUCTIONS)


@kernel
def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):
    r"""Kullback-Leibler divergence of ``target`` from ``input`` (log-probabilities):
    ``loss_i = t_i * (log(t_i) - x_i)`` (0 where ``t_i = 0``), or with ``log_target``
    ``exp(t_i) * (t_i - x_i)``.

    Args:
        input: log-probabilities, array of any shape.
        target: probabilities (log-probabilities with ``log_target``), the input's shape.
        size_average, reduce: deprecated in PyTorch; must be ``None``.
        reduction: ``'none'``, ``'mean'`` (over every element), ``'batchmean'`` (the sum
            divided by the batch size ``input.shape[0]``: the mathematical KL divergence per
            sample) or ``'sum'``. Default: ``'mean'``.
        log_target: ``target`` holds log-probabilities. Default: ``False``.

    Raises:
        ValueError: a target of another shape or a bad reduction. TypeError: non-float
            arrays, a non-bool ``log_target``.

    Note:
        PyTorch warns that ``'mean'`` is not the KL divergence; xpnet does not warn.

    Example:
        >>> p = xp.asarray([[0.5, 0.5]])
        >>> kl_div(xp.log(xp.asarray([[0.25, 0.75]])), p, reduction="batchmean")
        array(0.14384104)
    """
    check_legacy("kl_div", size_average, reduce)
    call = _kl_call("kl_div", input, target, reduction, log_target)
    xp, x, t = call.xp, call.x, call.t
    if log_target:
        loss = xp.exp(t) * (t - x)
    else:  # xlogy(t, t): 0 at t = 0 (and NaN at a NaN t, as PyTorch)
        loss = xp.where(t == 0, 0.0, t * xp.log(t)) - t * x
    return call.reduce(loss, reduction)


@kernel
def kl_div_backward(
    grad_output, input, target, size_average=None, reduce=None, reduction="mean", log_target=False
):
    """Gradients of :func:`kl_div`: ``grad_input = -t * grad`` (``-exp(t) * grad``) and
    ``grad_target = (log t + 1 - x) * grad`` (``(exp(t) * (t - x) + exp(t)) * grad``); at ``t = 0``
    the target's gradient is NaN, as PyTorch's (``xlogy``'s ``t / t``)."""
    check_legacy("kl_div_backward", size_average, reduce)
    call = _kl_call("kl_div_backward", input, target, reduction, log_target, grad_output)
    xp, x, t = call.xp, call.x, call.t
    grad = call.element_grad(grad_output, reduction)
    if log_target:
        e = xp.exp(t)
        # e * (t - x) + e, PyTorch's order: where exp(t) overflows, inf * 0 gives its NaN
        return call.finish(-e * grad, (e * (t - x) + e) * grad)
    log_t = xp.where(t == 0, 0.0, xp.log(t))
    return call.finish(-t * grad, (log_t + t / t - x) * grad)
