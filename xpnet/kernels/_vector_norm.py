"""PyTorch's ``linalg.vector_norm`` over some axes and its gradient, for every ``p``.

One home for the p-norm that :mod:`.distance` (``normalize``, ``cosine_similarity``,
``pairwise_distance``), :mod:`.embedding_loss` (``triplet_margin_loss``'s distances, which
PyTorch takes from ``pairwise_distance``) and ``Tensor.norm`` (:mod:`xpnet._tensor_norms`)
share. The norm is ``sum |x|^p`` to the ``1/p``; the largest or smallest ``|x|`` for
``p = +-inf``; the count of non-zeros for ``p = 0``. It squares without rescaling, as
PyTorch's, so it overflows where PyTorch's does. The gradient is PyTorch's ``norm_backward``:
0 where the norm is 0, ties of the inf-norm (and NaNs) sharing the gradient, ``sgn(NaN) = 0``.
These work in the dtype they are given: callers choose the compute dtype.
"""

from __future__ import annotations

import math

from ._checks import ArgumentError, check_number

__all__ = [
    "at_max_distance",
    "check_p",
    "count_differing",
    "distance",
    "sign",
    "vector_norm",
    "vector_norm_backward",
]


def sign(xp, x):
    """PyTorch's ``sgn`` for gradients: 0 at 0 and at NaN, in ``x``'s dtype."""
    return xp.where(x > 0, 1.0, xp.where(x < 0, -1.0, 0.0)).astype(x.dtype)


def check_p(where, p, shape, axes) -> float:
    """``p`` a real number, as a float; the +-inf and negative norms need non-empty reduced
    dims (they have no identity, and PyTorch refuses them there)."""
    check_number(where, "p", p)
    if (p < 0 or math.isinf(p)) and any(shape[a] == 0 for a in axes):
        msg = f"{where}: the {p} norm needs non-empty reduced dimensions {axes}, got shape {shape}"
        raise ArgumentError(msg)
    return float(p)


def vector_norm(xp, x, p, axes, keepdims=True):
    """``linalg.vector_norm(x, p, axes, keepdims)`` (``axes``: a tuple, or ``None`` for
    every axis)."""
    magnitude = xp.abs(x)
    if p == math.inf:
        return xp.max(magnitude, axis=axes, keepdims=keepdims)
    if p == -math.inf:
        return xp.min(magnitude, axis=axes, keepdims=keepdims)
    if p == 0:
        return xp.sum(x != 0, axis=axes, keepdims=keepdims).astype(x.dtype)
    if p == 1:
        return xp.sum(magnitude, axis=axes, keepdims=keepdims)
    if p == 2:
        return xp.sqrt(xp.sum(x * x, axis=axes, keepdims=keepdims))
    return xp.sum(magnitude**p, axis=axes, keepdims=keepdims) ** (1.0 / p)


def vector_norm_backward(xp, x, norm, grad, p, axes):
    """PyTorch's ``norm_backward``: the gradient for ``x`` of :func:`vector_norm` given its
    value ``norm`` and upstream ``grad``, both kept at ``x``'s rank (size 1 along ``axes``)."""
    if p == 0:
        return xp.zeros_like(x)
    if p == 1:
        return sign(xp, x) * grad
    zero = xp.zeros((), dtype=x.dtype)
    if p == 2:
        return xp.where(norm == 0, zero, x / norm) * grad
    magnitude = xp.abs(x)
    if math.isinf(p):  # the elements whose |x| is the norm (or NaN) share the gradient
        picked = (magnitude == norm) | xp.isnan(magnitude)
        count = xp.sum(picked, axis=axes, keepdims=True).astype(x.dtype)
        return sign(xp, x) * ((grad / count) * picked)
    if p < 1:  # |x|^(p-1) is infinite at 0, where PyTorch's gradient is 0
        scaled = sign(xp, x) * xp.where(x == 0, zero, magnitude ** (p - 1))
        return scaled * grad * norm ** (1 - p)
    scale = xp.where(norm == 0, zero, grad / norm ** (p - 1))
    if p < 2:
        return sign(xp, x) * magnitude ** (p - 1) * scale
    return x * magnitude ** (p - 2) * scale


def distance(xp, x1, x2, p, eps, keepdims=True):
    """PyTorch's ``pairwise_distance`` steps: ``(d, norm)`` with ``d = x1 - x2 + eps`` (the
    two broadcast) and ``norm`` its ``p``-norm over the last axis; the gradient of ``norm`` is
    :func:`vector_norm_backward` of ``d`` for ``x1`` and its negative for ``x2``."""
    d = x1 - x2 + eps
    return d, vector_norm(xp, d, p, (d.ndim - 1,), keepdims)


# PyTorch's distance kernels (``pdist``, ``cdist``) have NaN rules of their own for p = 0
# and inf, unlike ``vector_norm``'s: a NaN difference is NaN there, not 1 or 0


def count_differing(xp, d):
    """The 0-"norm" of distances over the last axis: ``min(ceil(|d|), 1)`` summed, NaN where a
    difference is NaN (``vector_norm``'s ``d != 0`` counts it 1)."""
    return xp.minimum(xp.ceil(xp.abs(d)), 1).sum(axis=-1)


def at_max_distance(xp, d, distance):
    """The inf-norm distance's slope for each difference ``d`` (``distance`` broadcast over
    the last axis): ``sign(d) * (1 - min(1, ceil(| |d| - distance |)))``, so every ``d`` as
    large as the distance gets all of it (ties are not shared, unlike ``vector_norm``'s), and
    NaN where ``|d| - distance`` is (an infinite ``d`` at an infinite distance too)."""
    gap = xp.minimum(xp.ceil(xp.abs(xp.abs(d) - distance)), 1)
    return xp.sign(d) * (1 - gap)
