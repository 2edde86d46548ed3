"""Embedding losses: cosine embedding and triplet margin, with backward functions.

Both compare vectors along the last dimension of their inputs, which broadcast as in
PyTorch (checks and reductions in :mod:`._margin_call`). The formulas and their derivatives
are PyTorch's, step by step. The cosine's squared norms carry its ``1e-12``: PyTorch's
formula for this loss, not ``cosine_similarity``'s (which clamps each norm), so the two stay
apart. The triplet's distances are ``pairwise_distance``'s ``norm(x1 - x2 + eps, p)`` with
``linalg.vector_norm``'s gradient, both from :mod:`._vector_norm` (0 where a norm is 0,
shared among ties for ``p = inf``; no ``+-inf`` norm over an empty dimension, as PyTorch);
``swap`` takes the smaller negative distance (a tie shares the gradient), and each hinge
passes its gradient where its value is at least 0, as ``clamp_min``. Neighbours:
:mod:`.margin_loss`, :mod:`.distance`.
"""

from __future__ import annotations

import numpy

from ._broadcast import broadcast_shape, broadcast_shapes, unbroadcast
from ._checks import ArgumentError, check_number, kernel
from ._margin_call import MarginCall
from ._pointwise_loss import check_legacy
from ._vector_norm import check_p, distance, vector_norm_backward

__all__ = [
    "cosine_embedding_loss",
    "cosine_embedding_loss_backward",
    "triplet_margin_loss",
    "triplet_margin_loss_backward",
]

# PyTorch's, added to each squared norm of the cosine: a C++ float, so float32's 1e-12
# (9.9999998e-13); the double 1e-12 moved a float64 gradient at a zero input by 2e-9
_EPSILON = float(numpy.float32(1e-12))


def _cosine_call(where, input1, input2, target, margin, reduction, legacy):
    """The call, the arrays and the cosine's steps, and the loss's shape."""
    check_legacy(where, *legacy)
    check_number(where, "margin", margin)
    names = ("input1", "input2", "target")
    arrays = {"input1": input1, "input2": input2}
    call = MarginCall(where, arrays, reduction, {"target": target}, names)
    if target.ndim not in (0, 1):
        msg = (
            f"{where}: target must be 0-D or 1-D (multi-target not supported), "
            f"got shape {tuple(target.shape)}"
        )
        raise ArgumentError(msg)
    if not input1.ndim == input2.ndim == target.ndim + 1:
        msg = (
            f"{where}: a {target.ndim}-D target expects {target.ndim + 1}-D inputs, got "
            f"input1 {tuple(input1.shape)} and input2 {tuple(input2.shape)}"
        )
        raise ArgumentError(msg)
    broadcast_shapes(where, input1=input1, input2=input2)
    xp, a = call.xp, call.arrays
    x1, x2, t = a["input1"], a["input2"], a["target"]
    prod = xp.sum(x1 * x2, axis=-1)
    m1 = xp.sum(x1 * x1, axis=-1) + _EPSILON
    m2 = xp.sum(x2 * x2, axis=-1) + _EPSILON
    denom = xp.sqrt(m1 * m2)
    cos = prod / denom
    shape = broadcast_shape(cos.shape, t.shape)
    if shape is None:
        msg = (
            f"{where}: target {tuple(t.shape)} must broadcast with the batch of the inputs "
            f"{cos.shape}"
        )
        raise ArgumentError(msg)
    return call, (x1, x2, t, prod, m1, m2, denom, cos), shape


@kernel
def cosine_embedding_loss(
    input1, input2, target, margin=0, size_average=None, reduce=None, reduction="mean"
):
    r"""Cosine embedding loss: ``1 - cos(x1, x2)`` where ``target == 1``,
    ``max(0, cos(x1, x2) - margin)`` where ``target == -1``, 0 elsewhere, then reduced.

    ``cos = sum(x1 * x2) / sqrt((sum(x1^2) + 1e-12) * (sum(x2^2) + 1e-12))`` over the last
    dimension, as PyTorch.

    Args:
        input1, input2: float arrays (N, D) (or (D,) with a 0-d target); they broadcast.
        target: labels 1 or -1, shape (N,) or () (float, or integers).
        margin: the margin, in [-1, 1] usually. Default: 0.
        size_average, reduce: deprecated in PyTorch; must be ``None``.
        reduction: ``'none'``, ``'mean'`` or ``'sum'``. Default: ``'mean'``.

    Returns:
        The loss: shape (N,) (or ()) for ``'none'``, else 0-d.

    Raises:
        ValueError: a target of 2+ dimensions, inputs of another number of dimensions,
            shapes that do not broadcast, a bad reduction.

    Example:
        >>> x1, x2 = xp.asarray([[1.0, 0.0], [1.0, 1.0]]), xp.asarray([[0.0, 1.0], [1.0, 1.0]])
        >>> cosine_embedding_loss(x1, x2, xp.asarray([1.0, -1.0]), reduction="none")
        array([1., 1.])
    """
    where, legacy = "cosine_embedding_loss", (size_average, reduce)
    call, steps, _ = _cosine_call(where, input1, input2, target, margin, reduction, legacy)
    xp, t, cos = call.xp, steps[2], steps[-1]
    loss = xp.where(t == 1, 1.0 - cos, 0.0) + xp.where(t == -1, xp.maximum(cos - margin, 0.0), 0.0)
    return call.reduce(loss, reduction)


@kernel
def cosine_embedding_loss_backward(
    grad_output, input1, input2, target, margin=0, size_average=None, reduce=None, reduction="mean"
):
    """Gradients of :func:`cosine_embedding_loss`: ``(grad_input1, grad_input2)`` (the
    target gets none), through ``cos = prod / sqrt(m1 * m2)`` in PyTorch's steps."""
    where, legacy = "cosine_embedding_loss_backward", (size_average, reduce)
    call, steps, shape = _cosine_call(where, input1, input2, target, margin, reduction, legacy)
    call.check_grad_output(where, grad_output, reduction, shape)
    xp = call.xp
    x1, x2, t, prod, m1, m2, denom, cos = steps
    grad = call.element_grad(grad_output, reduction, shape)
    negative = xp.where(cos - margin >= 0, grad, 0.0)
    grad_cos = xp.where(t == 1, -grad, 0.0) + xp.where(t == -1, negative, 0.0)
    grad_cos = unbroadcast(xp, xp.broadcast_to(grad_cos, shape), cos.shape)
    grad_prod = (grad_cos / denom)[..., None]
    grad_product = (-grad_cos * prod / (denom * denom)) / (2.0 * denom)  # d/d(m1 * m2)
    grad_m1 = unbroadcast(xp, grad_product * m2, m1.shape)[..., None]
    grad_m2 = unbroadcast(xp, grad_product * m1, m2.shape)[..., None]
    grad_input1 = unbroadcast(xp, grad_prod * x2, x1.shape) + 2.0 * grad_m1 * x1
    grad_input2 = unbroadcast(xp, grad_prod * x1, x2.shape) + 2.0 * grad_m2 * x2
    return call.finish(input1=grad_input1, input2=grad_input2)


def _check_triplet_options(where, margin, p, eps, swap):
    for name, value in (("margin", margin), ("p", p), ("eps", eps)):
        check_number(where, name, value)
    if margin <= 0:  # PyTorch's check: NaN passes
        msg = f"{where}: margin must be greater than 0, got {margin!r}"
        raise ArgumentError(msg)
    if not isinstance(swap, bool):
        msg = f"{where}: swap must be a bool, got {type(swap).__name__} {swap!r}"
        raise TypeError(msg)


def _triplet_call(where, anchor, positive, negative, options, reduction, legacy):
    """The call, the (at least 1-D) arrays, their differences and distances."""
    margin, p, eps, swap = options
    check_legacy(where, *legacy)
    _check_triplet_options(where, margin, p, eps, swap)
    arrays = {"anchor": anchor, "positive": positive, "negative": negative}
    call = MarginCall(where, arrays, reduction, required=tuple(arrays))
    if not anchor.ndim == positive.ndim == negative.ndim:
        msg = (
            f"{where}: anchor, positive and negative must have the same number of dimensions, "
            f"got shapes {tuple(anchor.shape)}, {tuple(positive.shape)} and "
            f"{tuple(negative.shape)}"
        )
        raise ArgumentError(msg)
    xp = call.xp
    # a 0-d input is one vector of one element, as PyTorch's norm over dim -1
    a, pos, neg = (x if x.ndim else x[None] for x in call.arrays.values())
    pairs = {"positive": (a, pos), "negative": (a, neg)}
    if swap:
        pairs["swap"] = (pos, neg)
    diffs, dists = {}, {}
    for name, (x1, x2) in pairs.items():
        pair_shape = broadcast_shapes(where, **{"anchor" if x1 is a else "positive": x1, name: x2})
        # PyTorch's pairwise_distance, its check included: no +-inf norm over an empty dimension
        check_p(where, p, pair_shape, (len(pair_shape) - 1,))
        diffs[name], dists[name] = distance(xp, x1, x2, p, eps, keepdims=False)
    shape = broadcast_shapes(where, **dists)
    return call, (a, pos, neg), diffs, dists, shape


@kernel
def triplet_margin_loss(
    anchor,
    positive,
    negative,
    margin=1.0,
    p=2,
    eps=1e-6,
    swap=False,
    size_average=None,
    reduce=None,
    reduction="mean",
):
    r"""Triplet margin loss: ``max(0, margin + d(a, p) - d(a, n))`` with
    ``d(x1, x2) = ||x1 - x2 + eps||_p`` over the last dimension, then reduced.

    Args:
        anchor, positive, negative: float arrays (N, D) or (D,), of one number of dimensions;
            they broadcast.
        margin: the margin, positive. Default: 1.0.
        p: the norm's degree. Default: 2.
        eps: added to each difference. Default: 1e-6.
        swap: use ``min(d(a, n), d(p, n))`` as the negative distance (the distance swap of
            Balntas et al., 2016). Default: ``False``.
        size_average, reduce, reduction: as :func:`cosine_embedding_loss`.

    Returns:
        The loss: shape (N,) (or ()) for ``'none'``, else 0-d.

    Raises:
        ValueError: a margin of 0 or less, inputs of different numbers of dimensions or
            shapes that do not broadcast, a bad reduction. TypeError: a non-bool ``swap``.

    Example:
        >>> a, pos = xp.asarray([[0.0, 0.0]]), xp.asarray([[3.0, 4.0]])
        >>> triplet_margin_loss(a, pos, xp.asarray([[1.0, 0.0]]), eps=0.0, reduction="none")
        array([5.])
    """
    where, options = "triplet_margin_loss", (margin, p, eps, swap)
    call, _, _, dists, _ = _triplet_call(
        where, anchor, positive, negative, options, reduction, (size_average, reduce)
    )
    xp = call.xp
    far = xp.minimum(dists["negative"], dists["swap"]) if swap else dists["negative"]
    return call.reduce(xp.maximum(margin + dists["positive"] - far, 0.0), reduction)


@kernel
def triplet_margin_loss_backward(
    grad_output,
    anchor,
    positive,
    negative,
    margin=1.0,
    p=2,
    eps=1e-6,
    swap=False,
    size_average=None,
    reduce=None,
    reduction="mean",
):
    """Gradients of :func:`triplet_margin_loss`: ``(grad_anchor, grad_positive,
    grad_negative)``, through each distance's norm gradient where the hinge is active."""
    where, options = "triplet_margin_loss_backward", (margin, p, eps, swap)
    call, arrays, diffs, dists, shape = _triplet_call(
        where, anchor, positive, negative, options, reduction, (size_average, reduce)
    )
    call.check_grad_output(where, grad_output, reduction, shape)
    xp = call.xp
    near, far = dists["positive"], dists["negative"]
    if swap:
        far = xp.minimum(dists["negative"], dists["swap"])
    grad = call.element_grad(grad_output, reduction, shape)
    grad = xp.where(margin + near - far >= 0, grad, 0.0)
    grads = {"positive": grad}
    if swap:  # at::minimum's gradient: a tie shares it
        shared = xp.where(dists["negative"] == dists["swap"], -grad / 2, -grad)
        grads["negative"] = xp.where(dists["negative"] > dists["swap"], 0.0, shared)
        grads["swap"] = xp.where(dists["negative"] < dists["swap"], 0.0, shared)
    else:
        grads["negative"] = -grad
    # each pair (x1, x2): + the difference's gradient for x1, - for x2
    owners = {"positive": (0, 1), "negative": (0, 2), "swap": (1, 2)}
    totals = [xp.zeros(x.shape, call.compute) for x in arrays]
    for name, pair_grad in grads.items():
        pair_grad = unbroadcast(xp, xp.broadcast_to(pair_grad, shape), dists[name].shape)
        diff, norm = diffs[name], dists[name][..., None]  # the norm's gradient keeps the axis
        d = vector_norm_backward(xp, diff, norm, pair_grad[..., None], p, (diff.ndim - 1,))
        first, second = owners[name]
        totals[first] = totals[first] + unbroadcast(xp, d, arrays[first].shape)
        totals[second] = totals[second] - unbroadcast(xp, d, arrays[second].shape)
    shapes = (anchor.shape, positive.shape, negative.shape)
    totals = [xp.reshape(total, s) for total, s in zip(totals, shapes, strict=True)]
    return call.finish(anchor=totals[0], positive=totals[1], negative=totals[2])
