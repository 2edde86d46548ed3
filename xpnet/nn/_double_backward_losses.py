"""Differentiable backwards (:mod:`xpnet._double_backward`) of the margin, embedding and
likelihood losses of :mod:`xpnet.nn.functional`: each loss recomputed in recorded Tensor
operations, as PyTorch's composite losses are, and differentiated as such
(:func:`~xpnet._double_backward_elementwise.composite`).

``margin_ranking_loss``, ``hinge_embedding_loss``, ``soft_margin_loss``,
``multilabel_soft_margin_loss``, ``multi_margin_loss``, ``multilabel_margin_loss``,
``cosine_embedding_loss``, ``triplet_margin_loss``, ``poisson_nll_loss`` and
``gaussian_nll_loss``. The hinges are active where the kernels' are (``>= 0`` for the ranking
and hinge-embedding losses, ``> 0`` for the multi-class ones, as PyTorch's kernels): their
slopes are constants of derivative 0. PyTorch has no double backward for
``multi_margin_loss`` and ``multilabel_margin_loss``; these are the exact ones (the loss is
piecewise linear in the input for ``p = 1``).
"""

from __future__ import annotations

import math

from .. import kernels as K
from .._double_backward import differentiable_backward
from .._double_backward_elementwise import composite
from .._tensor_index import where
from .._tensor_join import minimum
from ..autograd import Tensor, data_of
from ..backends import backend_of
from . import functional as F

__all__: list[str] = []


def _reduced(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return loss.mean()
    return loss.sum() if reduction == "sum" else loss


def _constant(value) -> Tensor:
    """A target or weight that gets no gradient, as a Tensor (it may be given as an array)."""
    return value if isinstance(value, Tensor) else Tensor(data_of(value))


def _active(z: Tensor, strict: bool) -> Tensor:
    """A hinge's ``max(z, 0)``, its slope 1 where ``z > 0`` (``>= 0`` unless ``strict``)."""
    return where(Tensor(z.array > 0 if strict else z.array >= 0), z, 0.0)


# -- margin losses --------------------------------------------------------------------------
@differentiable_backward(K.margin_ranking_loss_backward)
def _margin_ranking_formula(
    grad_output, input1, input2, target, margin=0, size_average=None, reduce=None, reduction="mean"
):
    def loss(x1, x2, t):
        return _reduced(_active(-_constant(t) * (x1 - x2) + margin, False), reduction)

    return composite(grad_output, loss, input1, input2, target)


@differentiable_backward(K.hinge_embedding_loss_backward)
def _hinge_embedding_formula(
    grad_output, input, target, margin=1.0, size_average=None, reduce=None, reduction="mean"
):
    t = data_of(target)

    def loss(x):
        hinge = where(Tensor(t != 1), _active(margin - x, False), 0.0)
        return _reduced(hinge + where(Tensor(t != -1), x, 0.0), reduction)

    return composite(grad_output, loss, input)[0]


@differentiable_backward(K.soft_margin_loss_backward)
def _soft_margin_formula(
    grad_output, input, target, size_average=None, reduce=None, reduction="mean"
):
    def loss(x):
        return _reduced(-F.logsigmoid(_constant(target) * x), reduction)

    return composite(grad_output, loss, input)[0]


@differentiable_backward(K.multilabel_soft_margin_loss_backward)
def _multilabel_soft_margin_formula(
    grad_output, input, target, weight=None, size_average=None, reduce=None, reduction="mean"
):
    """``-sum_c w_c (t_c log sigmoid(x_c) + (1 - t_c) log sigmoid(-x_c)) / C``, reduced."""

    def loss(x, t, w):
        t = _constant(t)
        terms = -(t * F.logsigmoid(x) + (1.0 - t) * F.logsigmoid(-x))
        terms = terms if w is None else terms * _constant(w)
        return _reduced(terms.sum(x.ndim - 1) / x.shape[-1], reduction)

    return composite(grad_output, loss, input, target, weight)


@differentiable_backward(K.multi_margin_loss_backward)
def _multi_margin_formula(
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
    """``sum_{i != y} w_y max(0, margin - x_y + x_i)^p / C``, reduced."""
    C = input.shape[-1]
    xp, classes = backend_of(input.array).xp, data_of(target).reshape(-1, 1).astype("int64")
    other = Tensor(xp.arange(C)[None, :] != classes)  # (N, C)

    def loss(x):
        x = x.reshape(-1, C)  # (N, C)
        hinge = _active(margin - x.gather(1, Tensor(classes)) + x, True)
        hinge = where(other, hinge if p == 1 else hinge * hinge, 0.0)
        if weight is not None:
            hinge = hinge * Tensor(xp.take(data_of(weight), classes))
        return _reduced((hinge.sum(1) / C).reshape(data_of(target).shape), reduction)

    return composite(grad_output, loss, input)[0]


@differentiable_backward(K.multilabel_margin_loss_backward)
def _multilabel_margin_formula(
    grad_output, input, target, size_average=None, reduce=None, reduction="mean"
):
    """``sum_{j target, i not} max(0, 1 - x_j + x_i) / C`` over the target slots before the
    first ``-1``, reduced."""
    C = input.shape[-1]
    xp, rows = backend_of(input.array).xp, data_of(target).reshape(-1, C)
    valid = xp.cumsum(rows < 0, axis=1) == 0  # (N, slot): the slots before the first -1
    classes = xp.clip(rows, 0, C - 1).astype("int64")
    one_hot = (classes[:, :, None] == xp.arange(C)) & valid[:, :, None]  # (N, slot, class)
    pairs = valid[:, :, None] & ~one_hot.any(axis=1)[:, None, :]  # (N, slot, class)

    def loss(x):
        x = x.reshape(-1, C)
        z = (1.0 - x.gather(1, Tensor(classes))).unsqueeze(2) + x.unsqueeze(1)  # (N, slot, C)
        hinge = where(Tensor(pairs), _active(z, True), 0.0)
        return _reduced((hinge.sum((1, 2)) / C).reshape(input.shape[:-1]), reduction)

    return composite(grad_output, loss, input)[0]


# -- embedding losses -----------------------------------------------------------------------
_EPSILON = 1e-12  # PyTorch's cosine_embedding_loss: added to each squared norm


@differentiable_backward(K.cosine_embedding_loss_backward)
def _cosine_embedding_formula(
    grad_output, input1, input2, target, margin=0, size_average=None, reduce=None, reduction="mean"
):
    """PyTorch's: ``1 - cos`` where ``target == 1``, ``max(0, cos - margin)`` where it is -1."""
    t = data_of(target)

    def loss(x1, x2):
        products = (x1 * x2).sum(-1)
        squares = ((x1 * x1).sum(-1) + _EPSILON) * ((x2 * x2).sum(-1) + _EPSILON)
        cos = products / squares.sqrt()
        positive = where(Tensor(t == 1), 1 - cos, 0.0)
        return _reduced(
            positive + where(Tensor(t == -1), _active(cos - margin, False), 0.0), reduction
        )

    return composite(grad_output, loss, input1, input2)


@differentiable_backward(K.triplet_margin_loss_backward)
def _triplet_margin_formula(
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
    """``max(0, margin + d(a, p) - d(a, n))``, ``d(a, n)`` the smaller of it and ``d(p, n)``
    with ``swap`` (``d``: :func:`~xpnet.nn.functional.pairwise_distance`)."""

    def loss(a, pos, neg):
        a, pos, neg = (x if x.ndim else x.reshape(1) for x in (a, pos, neg))
        far = F.pairwise_distance(a, neg, p, eps)
        if swap:
            far = minimum(far, F.pairwise_distance(pos, neg, p, eps))
        return _reduced(
            _active(margin + F.pairwise_distance(a, pos, p, eps) - far, False), reduction
        )

    return composite(grad_output, loss, anchor, positive, negative)


# -- likelihood losses ----------------------------------------------------------------------
@differentiable_backward(K.poisson_nll_loss_backward)
def _poisson_nll_formula(
    grad_output,
    input,
    target,
    log_input=True,
    full=False,
    size_average=None,
    eps=1e-8,
    reduce=None,
    reduction="mean",
):
    """``exp(x) - t x`` (``x - t log(x + eps)`` without ``log_input``), plus Stirling's
    ``t log t - t + log(2 pi t) / 2`` where ``t > 1`` with ``full``."""

    def loss(x, t):
        t = _constant(t)
        value = x.exp() - t * x if log_input else x - t * (x + eps).log()
        if full:
            above = Tensor(t.array > 1)
            safe = where(above, t, 2.0)  # no log of t <= 0 in the graph
            stirling = safe * safe.log() - safe + 0.5 * (2 * math.pi * safe).log()
            value = value + where(above, stirling, 0.0)
        return _reduced(value, reduction)

    return composite(grad_output, loss, input, target)


@differentiable_backward(K.gaussian_nll_loss_backward)
def _gaussian_nll_formula(grad_output, input, target, var, full=False, eps=1e-6, reduction="mean"):
    """``(log v + (x - t)^2 / v) / 2`` (plus ``log(2 pi) / 2`` with ``full``), ``v = var``
    clamped at ``eps`` without a gradient of its own (PyTorch clamps it under ``no_grad``)."""

    def loss(x, t, v):
        if isinstance(v, Tensor):
            if v.shape == x.shape[:-1] and v.shape != x.shape:
                v = v.unsqueeze(-1)
            v = v + Tensor(backend_of(v.array).xp.maximum(v.array, eps) - v.array)
        else:
            v = max(float(v), eps)
        d = x - _constant(t)
        value = 0.5 * (v.log() if isinstance(v, Tensor) else math.log(v)) + 0.5 * (d * d / v)
        value = value + 0.5 * math.log(2 * math.pi) if full else value
        return _reduced(value, reduction)

    return composite(grad_output, loss, input, target, var)
