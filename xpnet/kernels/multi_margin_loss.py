"""The multi-class margin loss of class-index targets, with its backward function.

For each sample ``n`` of ``input`` (N, C) and its class ``y = target[n]``:
``sum_{i != y} w_y * max(0, margin - x[y] + x[i])^p / C`` (PyTorch's ``multi_margin_loss``,
``p`` 1 or 2). As PyTorch's loop, a term counts where ``margin - x[y] + x[i] > 0`` only: at the
kink the gradient is 0, and a NaN term counts nothing. Neighbours: :mod:`.margin_loss`.
"""

from __future__ import annotations

import numbers

from ..backends import backend_of
from ._checks import ArgumentError, check_number, kernel
from ._margin_call import MarginCall, check_class_range, class_frames
from ._pointwise_loss import check_legacy

__all__ = ["multi_margin_loss", "multi_margin_loss_backward"]


def _check_p(where, p) -> int:
    if not isinstance(p, numbers.Real) or p not in (1, 2):
        msg = f"{where}: p must be 1 or 2 (only p == 1 and p == 2 supported), got {p!r}"
        raise ArgumentError(msg)
    return int(p)


def _check_shapes(where, input, target, weight):
    """``(N, C)`` (:func:`class_frames`); ``target`` (N,), or () or (1,) for one frame."""
    N, C = class_frames(where, input, target)
    expected = ((), (1,)) if input.ndim < 2 else ((N,),)
    if tuple(target.shape) not in expected:
        msg = (
            f"{where}: target must have shape {' or '.join(map(str, expected))} for input of "
            f"shape {tuple(input.shape)}, got {tuple(target.shape)}"
        )
        raise ArgumentError(msg)
    if weight is not None and weight.shape != (C,):
        msg = f"{where}: weight must have shape ({C},), got {tuple(weight.shape)}"
        raise ArgumentError(msg)
    return N, C


def _call(where, input, target, p, margin, weight, reduction, legacy):
    check_legacy(where, *legacy)
    p = _check_p(where, p)
    check_number(where, "margin", margin)
    call = MarginCall(where, {"input": input, "weight": weight}, reduction, {}, ("input",))
    if target is None:
        msg = f"{where}: target must be an array, got None"
        raise TypeError(msg)
    backend_of(input, target, names=("input", "target"), where=where)
    N, C = _check_shapes(where, input, target, weight)
    xp = call.xp
    check_class_range(where, call.backend, target, C)
    index = xp.clip(xp.reshape(target, (N, 1)), 0, C - 1)  # (N, 1); clipped until checked
    x = xp.reshape(call.arrays["input"], (N, C))
    z = (margin - xp.take_along_axis(x, index, axis=1)) + x  # PyTorch's order
    active = (z > 0) & (xp.arange(C)[None, :] != index)  # (N, C)
    w = call.arrays["weight"]
    w = None if w is None else xp.take(w, index)  # (N, 1): the target class's weight
    return call, p, z, active, w, C


@kernel
def multi_margin_loss(
    input,
    target,
    p=1,
    margin=1.0,
    weight=None,
    size_average=None,
    reduce=None,
    reduction="mean",
):
    r"""Multi-class hinge loss of class indices, as PyTorch's ``multi_margin_loss``:
    ``loss_n = sum_{i != y_n} w[y_n] * max(0, margin - x[n, y_n] + x[n, i])^p / C``.

    Args:
        input: float array (N, C), (C,) or 0-d (one class); C > 0, N may be 0.
        target: integer class indices in [0, C), shape (N,) ((), or (1,) for a (C,) input).
        p: 1 or 2. Default: 1.
        margin: the margin. Default: 1.0.
        weight: optional (C,) weight of each class. Default: ``None``.
        size_average, reduce: deprecated in PyTorch; must be ``None``.
        reduction: ``'none'``, ``'mean'`` or ``'sum'``. Default: ``'mean'``.

    Returns:
        The loss in the input's dtype: the target's shape for ``'none'``, else 0-d.

    Raises:
        ValueError: p not 1 or 2, bad shapes, a class out of range (on NumPy at once, on
            a GPU at the next host read). TypeError: a non-integer target.

    Note:
        An empty batch's ``'mean'`` is NaN (PyTorch returns an unset value).

    Example:
        >>> x = xp.asarray([[0.1, 0.2, 0.4, 0.8]])
        >>> multi_margin_loss(x, xp.asarray([3]))
        array(0.325)
    """
    where, legacy = "multi_margin_loss", (size_average, reduce)
    call, p, z, active, w, C = _call(where, input, target, p, margin, weight, reduction, legacy)
    xp = call.xp
    h = xp.where(active, z if p == 1 else z * z, 0.0)
    h = h if w is None else h * w
    loss = xp.reshape(xp.sum(h, axis=1) / C, target.shape)
    return call.reduce(loss, reduction)


@kernel
def multi_margin_loss_backward(
    grad_output,
    input,
    target,
    p=1,
    margin=1.0,
    weight=None,
    size_average=None,
    reduce=None,
    reduction="mean",
):
    """Gradient of :func:`multi_margin_loss` for ``input`` (the target and weight get none,
    as in PyTorch): ``w[y] * grad / C`` (``p = 1``) or ``2 z w[y] * grad / C`` (``p = 2``) for
    each active class ``i``, minus their sum for the target class."""
    where, legacy = "multi_margin_loss_backward", (size_average, reduce)
    call, p, z, active, w, C = _call(where, input, target, p, margin, weight, reduction, legacy)
    call.check_grad_output(where, grad_output, reduction, target.shape)
    xp = call.xp
    N = z.shape[0]
    grad = call.element_grad(grad_output, reduction, target.shape)
    grad = xp.reshape(grad, (N, 1)) / C
    h = xp.where(active, grad if p == 1 else 2.0 * z * grad, 0.0)
    h = h if w is None else h * w
    target_class = xp.arange(C)[None, :] == xp.clip(xp.reshape(target, (N, 1)), 0, C - 1)
    grad_input = xp.where(target_class, -xp.sum(h, axis=1, keepdims=True), h)
    (grad_input,) = call.finish(input=xp.reshape(grad_input, input.shape))
    return grad_input
