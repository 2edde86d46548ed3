"""The numerics of the normalisation kernels: moments, normalising, its backward.

Every function takes the input already viewed so that the normalised axes are ``axes``
(the last axis among them) and returns float64 statistics with keepdims shapes; see
:mod:`xpnet.functional.normalization` for the views and why the moments are centred first.
"""

from __future__ import annotations

import math

_LETTERS = "abcd"  # einsum: one letter per axis of the normalised view, in order


def _sum(xp, x, axes, other=None):
    """Float64 sum over ``axes`` (keepdims) of ``x``, or of ``x * other`` without a temporary.

    ``axes`` must include the last axis: rows along it are summed in x's dtype (pairwise in
    NumPy, an einsum for the product), and those partial sums are added in float64.
    """
    if other is None:
        rows = xp.sum(x, axis=-1, keepdims=True)
    else:
        letters = _LETTERS[: x.ndim]
        rows = xp.einsum(f"{letters},{letters}->{letters[:-1]}", x, other)[..., None]
    rest = tuple(axis for axis in axes if axis != x.ndim - 1)
    return xp.sum(rows, axis=rest, keepdims=True, dtype=xp.float64)


def centre(x, mean):
    """``(x - shift, mean - shift)``: ``shift`` is the float64 ``mean`` rounded to x's dtype;
    ``delta`` keeps the rounding residual in float64, so no precision of the mean is lost."""
    shift = mean.astype(x.dtype)
    return x - shift, mean - shift


def moments(xp, x, axes):
    """``(centred, delta, mean, var)`` over ``axes`` (keepdims; the statistics in float64).

    Two passes with the correction term (Chan, Golub & LeVeque 1983): a first mean, rounded
    to x's dtype, is the shift; the sums of the centred values and of their squares then give
    the mean and the biased variance without cancellation. ``centred`` is a new array.
    """
    n = math.prod(x.shape[axis] for axis in axes)
    shift = (_sum(xp, x, axes) / n).astype(x.dtype)
    centred = x - shift
    delta = _sum(xp, centred, axes) / n  # mean(x) - shift, small
    square = _sum(xp, centred, axes, centred) / n
    return centred, delta, shift + delta, xp.maximum(square - delta * delta, 0.0)


def normalize(centred, delta, inv_std, scale=None, weight=None, bias=None):
    """``(centred - delta) * inv_std * scale * weight + bias``, written into ``centred``.

    ``delta`` and ``inv_std`` are float64 with the statistics' shape; ``scale`` (batch norm's
    weight) has that shape too and folds into one factor; ``weight`` and ``bias`` broadcast
    over ``centred``. In place: a fresh full-size array costs more than the arithmetic.
    """
    factor = inv_std if scale is None else inv_std * scale
    factor = factor.astype(centred.dtype)
    if weight is not None:
        factor = factor * weight
    offset = -delta.astype(centred.dtype) * factor
    centred *= factor
    centred += offset if bias is None else offset + bias
    return centred


def normalize_backward(
    xp, grad, centred, delta, inv_std, axes, scale=None, weight=None, through_stats=True
):
    """Closed-form ``d/dx`` of ``normalize``, one fused pass; overwrites ``centred``.

    With ``g' = grad * weight``, ``k = inv_std * scale`` and ``x_hat`` the normalised input:
    ``grad_x = k * (g' - mean(g') - x_hat * mean(g' * x_hat))`` (Ioffe & Szegedy 2015,
    section 3), evaluated as ``k * (g' + centred * c2 + c3)`` with per-statistic ``c``.
    ``through_stats=False`` (evaluation mode: fixed statistics) keeps only ``k * g'``.

    Returns:
        ``grad_x`` and the float64 sums ``sum(g')`` and ``sum(g' * x_hat)`` over ``axes``
        (batch norm's grad_bias and grad_weight).
    """
    n = max(math.prod(centred.shape[axis] for axis in axes), 1)  # empty batch: zero sums
    weighted = grad if weight is None else grad * weight
    sum_grad = _sum(xp, weighted, axes)
    sum_grad_hat = inv_std * (_sum(xp, weighted, axes, centred) - delta * sum_grad)
    dtype = centred.dtype
    k = (inv_std if scale is None else inv_std * scale).astype(dtype)
    if not through_stats:
        return weighted * k, sum_grad, sum_grad_hat
    c2 = -inv_std * sum_grad_hat / n
    c3 = -c2 * delta - sum_grad / n
    grad_x = centred  # the centred values are not needed after the sums
    grad_x *= c2.astype(dtype)
    grad_x += c3.astype(dtype)
    grad_x += weighted
    grad_x *= k
    return grad_x, sum_grad, sum_grad_hat


def affine_norm(xp, x, axes, eps, weight, bias, grad=None, param_axes=()):
    """Layer and group norm on the view ``x``: the forward, or with ``grad`` the gradients.

    ``weight`` and ``bias`` broadcast over ``x`` and vary inside the normalised axes, so they
    multiply element-wise; their gradients sum over ``param_axes``.
    """
    centred, delta, _, var = moments(xp, x, axes)
    inv_std = 1.0 / xp.sqrt(var + eps)
    if grad is None:
        return normalize(centred, delta, inv_std, weight=weight, bias=bias)
    grad_weight = grad_bias = None
    if weight is not None:  # before the backward overwrites centred
        normalized = (centred - delta.astype(x.dtype)) * inv_std.astype(x.dtype)
        grad_weight = xp.sum(grad * normalized, axis=param_axes, keepdims=True)
    if bias is not None:
        grad_bias = xp.sum(grad, axis=param_axes, keepdims=True)
    grad_x, _, _ = normalize_backward(xp, grad, centred, delta, inv_std, axes, weight=weight)
    return grad_x, grad_weight, grad_bias
