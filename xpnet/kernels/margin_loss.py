"""Margin losses: margin ranking, hinge embedding, soft margin and multi-label soft margin,
with backward functions.

Their arrays broadcast together as in PyTorch (checks and reductions in
:mod:`._margin_call`); targets may hold integers (then they get no gradient). At a kink the
derivative is PyTorch's ``clamp_min``'s: the gradient passes where the clamped value is
exactly 0, and not where it is NaN. The logistic losses never take ``log(sigmoid)``:
``softplus(z) = max(z, 0) + log1p(exp(-|z|))`` (:mod:`._activation_math`) keeps ``z`` of
+-1000 exact. The class-index
multi-margin loss is in :mod:`.multi_margin_loss`, the embedding losses (cosine, triplet) in
:mod:`.embedding_loss`. float16 computes in float32.
"""

from __future__ import annotations

from ._activation_math import stable_sigmoid, stable_softplus
from ._broadcast import broadcast_shapes
from ._checks import ArgumentError, check_number, kernel
from ._margin_call import MarginCall
from ._pointwise_loss import check_legacy

__all__ = [
    "hinge_embedding_loss",
    "hinge_embedding_loss_backward",
    "margin_ranking_loss",
    "margin_ranking_loss_backward",
    "multilabel_soft_margin_loss",
    "multilabel_soft_margin_loss_backward",
    "soft_margin_loss",
    "soft_margin_loss_backward",
]


def _ranking_call(where, input1, input2, target, margin, reduction, legacy):
    check_legacy(where, *legacy)
    check_number(where, "margin", margin)
    call = MarginCall(
        where,
        {"input1": input1, "input2": input2},
        reduction,
        {"target": target},
        ("input1", "input2", "target"),
    )
    if not input1.ndim == input2.ndim == target.ndim:
        msg = (
            f"{where}: input1, input2 and target must have the same number of dimensions, "
            f"got shapes {tuple(input1.shape)}, {tuple(input2.shape)} and {tuple(target.shape)}"
        )
        raise ArgumentError(msg)
    broadcast_shapes(where, input1=input1, input2=input2, target=target)
    a = call.arrays
    diff = a["input1"] - a["input2"]
    return call, diff, -a["target"] * diff + margin  # PyTorch's order of operations


@kernel
def margin_ranking_loss(
    input1, input2, target, margin=0, size_average=None, reduce=None, reduction="mean"
):
    r"""Margin ranking loss: ``max(0, -target * (input1 - input2) + margin)``, reduced.

    ``target`` is 1 where ``input1`` should rank higher, -1 where ``input2`` should.

    Args:
        input1, input2: arrays of one float dtype; they broadcast with ``target``.
        target: array of the same number of dimensions (float, or integers).
        margin: the margin. Default: 0.
        size_average, reduce: deprecated in PyTorch; must be ``None``.
        reduction: ``'none'``, ``'mean'`` or ``'sum'``. Default: ``'mean'``.

    Returns:
        The loss in the inputs' dtype: the broadcast shape for ``'none'``, else 0-d.

    Raises:
        ValueError: arrays of different numbers of dimensions or shapes that do not
            broadcast, a bad reduction. TypeError: non-float inputs, a non-number margin.

    Example:
        >>> x1, x2 = xp.asarray([1.0, 2.0]), xp.asarray([0.5, 3.0])
        >>> margin_ranking_loss(x1, x2, xp.asarray([1.0, 1.0]), margin=1.0, reduction="none")
        array([0.5, 2. ])
    """
    legacy = (size_average, reduce)
    call, _, z = _ranking_call(
        "margin_ranking_loss", input1, input2, target, margin, reduction, legacy
    )
    return call.reduce(call.xp.maximum(z, 0.0), reduction)


@kernel
def margin_ranking_loss_backward(
    grad_output, input1, input2, target, margin=0, size_average=None, reduce=None, reduction="mean"
):
    """Gradients of :func:`margin_ranking_loss`: ``(grad_input1, grad_input2, grad_target)``,
    ``-+ target * grad`` and ``-(input1 - input2) * grad`` where the hinge is active (its value
    at least 0); ``grad_target`` is ``None`` for an integer target."""
    where = "margin_ranking_loss_backward"
    legacy = (size_average, reduce)
    call, diff, z = _ranking_call(where, input1, input2, target, margin, reduction, legacy)
    call.check_grad_output(where, grad_output, reduction, z.shape)
    xp = call.xp
    grad = xp.where(z >= 0, call.element_grad(grad_output, reduction, z.shape), 0.0)
    grad_diff = grad * -call.arrays["target"]
    return call.finish(input1=grad_diff, input2=-grad_diff, target=-(grad * diff))


def _hinge_call(where, input, target, margin, reduction, legacy):
    check_legacy(where, *legacy)
    check_number(where, "margin", margin)
    call = MarginCall(where, {"input": input}, reduction, {"target": target}, ("input", "target"))
    broadcast_shapes(where, input=input, target=target)
    return call, call.arrays["input"], call.arrays["target"]


@kernel
def hinge_embedding_loss(
    input, target, margin=1.0, size_average=None, reduce=None, reduction="mean"
):
    r"""Hinge embedding loss: ``input`` where ``target == 1``, ``max(0, margin - input)``
    where ``target == -1``, their sum elsewhere (as PyTorch), then reduced.

    Args:
        input: float array, e.g. distances; broadcasts with ``target``.
        target: labels 1 or -1 (float, or integers).
        margin: the margin. Default: 1.0.
        size_average, reduce, reduction: as :func:`margin_ranking_loss`.

    Example:
        >>> hinge_embedding_loss(xp.asarray([0.3, 0.3]), xp.asarray([1.0, -1.0]), reduction="none")
        array([0.3, 0.7])
    """
    legacy = (size_average, reduce)
    call, x, t = _hinge_call("hinge_embedding_loss", input, target, margin, reduction, legacy)
    xp = call.xp
    loss = xp.where(t != 1, xp.maximum(margin - x, 0.0), 0.0) + xp.where(t != -1, x, 0.0)
    return call.reduce(loss, reduction)


@kernel
def hinge_embedding_loss_backward(
    grad_output, input, target, margin=1.0, size_average=None, reduce=None, reduction="mean"
):
    """Gradient of :func:`hinge_embedding_loss` for ``input`` (the target gets none):
    ``grad`` where ``target != -1``, plus ``-grad`` where ``target != 1`` and
    ``margin - input >= 0``."""
    where = "hinge_embedding_loss_backward"
    legacy = (size_average, reduce)
    call, x, t = _hinge_call(where, input, target, margin, reduction, legacy)
    xp = call.xp
    shape = broadcast_shapes(where, input=x, target=t)
    call.check_grad_output(where, grad_output, reduction, shape)
    grad = call.element_grad(grad_output, reduction, shape)
    inside = xp.where(margin - x >= 0, -grad, 0.0)
    (grad_input,) = call.finish(input=xp.where(t != -1, grad, 0.0) + xp.where(t != 1, inside, 0.0))
    return grad_input


def _soft_margin_call(where, input, target, reduction, legacy):
    check_legacy(where, *legacy)
    call = MarginCall(where, {"input": input}, reduction, {"target": target}, ("input", "target"))
    if broadcast_shapes(where, input=input, target=target) != input.shape:
        msg = (
            f"{where}: target must broadcast to the input's shape {input.shape}, got {target.shape}"
        )
        raise ArgumentError(msg)
    t = call.arrays["target"]
    return call, t, -call.arrays["input"] * t


@kernel
def soft_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    r"""Soft margin loss: ``log(1 + exp(-target * input))`` per element, reduced.

    Args:
        input: float array of any shape.
        target: labels 1 or -1 (float, or integers), broadcast to the input's shape.
        size_average, reduce, reduction: as :func:`margin_ranking_loss`.

    Note:
        PyTorch computes ``log1p(exp(z))`` and gives inf (and a NaN gradient) once ``exp(z)``
        overflows (``z`` > 709 in float64, 88 in float32); xpnet gives ``z`` and the
        gradient's limit there.

    Example:
        >>> soft_margin_loss(xp.asarray([0.0, -1000.0]), xp.asarray([1.0, 1.0]), reduction="none")
        array([6.93147181e-01, 1.00000000e+03])
    """
    legacy = (size_average, reduce)
    call, _, z = _soft_margin_call("soft_margin_loss", input, target, reduction, legacy)
    return call.reduce(stable_softplus(call.xp, z), reduction)


@kernel
def soft_margin_loss_backward(
    grad_output, input, target, size_average=None, reduce=None, reduction="mean"
):
    """Gradient of :func:`soft_margin_loss` for ``input`` (PyTorch gives the target none):
    ``-target * sigmoid(-target * input) * grad``."""
    where = "soft_margin_loss_backward"
    call, t, z = _soft_margin_call(where, input, target, reduction, (size_average, reduce))
    call.check_grad_output(where, grad_output, reduction, z.shape)
    grad = call.element_grad(grad_output, reduction, z.shape)
    (grad_input,) = call.finish(input=-t * stable_sigmoid(call.xp, z) * grad)
    return grad_input


def _multilabel_call(where, input, target, weight, reduction, legacy):
    check_legacy(where, *legacy)
    arrays = {"input": input, "weight": weight}
    call = MarginCall(where, arrays, reduction, {"target": target}, ("input", "target"))
    if input.ndim == 0:
        msg = f"{where}: input must have at least 1 dimension (..., C), got shape ()"
        raise IndexError(msg)
    optional = {} if weight is None else {"weight": weight}
    shape = broadcast_shapes(where, input=input, target=target, **optional)
    axis = input.ndim - 1  # PyTorch sums over input.dim() - 1 of the broadcast loss
    loss_shape = shape[:axis] + shape[axis + 1 :]
    return call, axis, loss_shape


def _multilabel_terms(call):
    """``(x, t, w, log_sigmoid(x), log_sigmoid(-x))`` in the compute dtype."""
    xp, a = call.xp, call.arrays
    x = a["input"]
    return x, a["target"], a["weight"], -stable_softplus(xp, -x), -stable_softplus(xp, x)


@kernel
def multilabel_soft_margin_loss(
    input, target, weight=None, size_average=None, reduce=None, reduction="mean"
):
    r"""Multi-label one-versus-all logistic loss, as PyTorch's:
    ``-sum_c w_c (t_c log sigmoid(x_c) + (1 - t_c) log sigmoid(-x_c)) / C`` over the input's
    last dimension ``C``, then reduced.

    Args:
        input: logits, float array (N, C) or (C,) (any with at least one dimension).
        target: labels in {0, 1} (probabilities work too), broadcast with the input.
        weight: optional weight per class, broadcast with the input. Default: ``None``.
        size_average, reduce, reduction: as :func:`margin_ranking_loss`.

    Returns:
        The loss: shape (N,) (the input's less its last dimension) for ``'none'``, else 0-d.

    Example:
        >>> x = xp.asarray([[1000.0, -1000.0]])
        >>> multilabel_soft_margin_loss(x, xp.asarray([[0.0, 0.0]]), reduction="none")
        array([500.])
    """
    legacy = (size_average, reduce)
    where = "multilabel_soft_margin_loss"
    call, axis, _ = _multilabel_call(where, input, target, weight, reduction, legacy)
    _, t, w, log_pos, log_neg = _multilabel_terms(call)
    loss = -(t * log_pos + (1.0 - t) * log_neg)
    loss = loss if w is None else loss * w
    return call.reduce(call.xp.sum(loss, axis=axis) / input.shape[-1], reduction)


@kernel
def multilabel_soft_margin_loss_backward(
    grad_output, input, target, weight=None, size_average=None, reduce=None, reduction="mean"
):
    """Gradients of :func:`multilabel_soft_margin_loss`: ``(grad_input, grad_target,
    grad_weight)`` (as PyTorch's autograd of its formula: all three get one; ``None`` for an
    absent weight or an integer target), ``grad_input = w (sigmoid(x) - t) grad / C``."""
    legacy = (size_average, reduce)
    where = "multilabel_soft_margin_loss_backward"
    call, axis, loss_shape = _multilabel_call(where, input, target, weight, reduction, legacy)
    call.check_grad_output(where, grad_output, reduction, loss_shape)
    xp = call.xp
    x, t, w, log_pos, log_neg = _multilabel_terms(call)
    grad = call.element_grad(grad_output, reduction, loss_shape) / input.shape[-1]
    grad = xp.expand_dims(grad, axis)  # the summed axis back, to broadcast
    grad_weight = None
    if w is not None:
        grad_weight = grad * -(t * log_pos + (1.0 - t) * log_neg)
        grad = grad * w
    grad_input = grad * (1.0 - t) * stable_sigmoid(xp, x) - grad * t * stable_sigmoid(xp, -x)
    grad_target = grad * log_neg - grad * log_pos
    return call.finish(input=grad_input, target=grad_target, weight=grad_weight)
