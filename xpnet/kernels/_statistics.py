"""The numerics of the normalisation kernels: moments, normalising, its backward.

Every function takes the input already viewed so that the normalised axes are ``axes``
(the last axis among them) and returns float64 statistics with keepdims shapes; see
:mod:`xpnet.kernels.normalization` and :mod:`xpnet.kernels.batch_norm` for the views
and why the moments are centred first.
"""

from __future__ import annotations

import math

from ._blocks import batch_blocks

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


# Batch norm on the view (N, C, S): per-channel statistics (C,) in float64, written into a
# caller's ``out`` (so that a gradient is an array of its own, not a view), in passes over
# blocks of samples (see batch_blocks) so that a chain of calls on one block stays in cache.
# einsum letters: n batch, c channel, s spatial position.


def _per_channel(backend, values, shape, dtype):
    """(C,) ``values`` as an operand for blocks of the (N, C, S) view, in ``dtype``.

    A contiguous (1, C, S) copy when that fits in a block: NumPy runs a (1, C, 1) operand
    row by row, about 2x slower on rows of up to a few thousand values.
    """
    C, S = shape[1:]
    values = values.astype(dtype).reshape(1, C, 1)
    if C * S * values.itemsize > backend.block_bytes:
        return values
    return backend.xp.broadcast_to(values, (1, C, S)).copy()


def centred_sums(backend, x, shift, out, weights=None):
    """Write ``x - shift`` (per channel) into ``out``; return the float64 (2, C) sums over
    N and S of ``w`` and ``w * (x - shift)``, with ``w = weights`` (the output gradient) or
    the centred values themselves.

    ``shift`` (C,) must hold values of x's dtype, so that ``x - shift`` is exact near the
    mean. The sums are taken while each block is in cache: rows summed in x's dtype (by
    einsum, ~2x faster than ``sum`` here), then added in float64.
    """
    xp = backend.xp
    N, C, _ = x.shape
    rows = xp.empty((N, 2, C), dtype=x.dtype)
    operand = _per_channel(backend, shift, x.shape, x.dtype)

    def sums_block(block):
        centred = out[block]
        xp.subtract(x[block], operand, out=centred)
        other = centred if weights is None else weights[block]
        rows[block, 0] = xp.einsum("ncs->nc", other)
        rows[block, 1] = xp.einsum("ncs,ncs->nc", other, centred)

    backend.map_blocks(sums_block, batch_blocks(backend, x.shape, x.dtype))
    return xp.sum(rows, axis=0, dtype=xp.float64)


def batch_moments(backend, x, out):
    """``(shift, mean, var)`` of each channel of x (N, C, S); ``out`` gets ``x - shift``.

    The shift is the first sample's mean of each channel, rounded to x's dtype: it is within
    ``sqrt(N - 1)`` standard deviations of the mean (the first sample's share of the
    variance bounds it), so ``var = mean(c^2) - mean(c)^2`` of the centred ``c`` loses at most
    a factor N in relative precision, where ``E[x^2] - E[x]^2`` loses ``(mean / std)^2``;
    and it costs 1/N of the full first mean it replaces.
    """
    xp = backend.xp
    N, _, S = x.shape
    shift = xp.mean(x[0], axis=-1, dtype=xp.float64).astype(x.dtype).astype(xp.float64)
    delta, square = centred_sums(backend, x, shift, out) / (N * S)  # mean(c), mean(c^2)
    return shift, shift + delta, xp.maximum(square - delta * delta, 0.0)


def scale_shift(backend, out, factor, offset, source=None, shift=None):
    """``out = (source - shift) * factor + offset`` per channel, block by block.

    Without ``source``, ``out`` holds the centred input already and is updated in place.
    ``factor``, ``offset`` and ``shift`` are (C,).
    """
    xp = backend.xp
    factor, offset = (_per_channel(backend, v, out.shape, out.dtype) for v in (factor, offset))
    if source is not None:
        shift = _per_channel(backend, shift, out.shape, out.dtype)

    def scale_block(block):
        part = out[block]
        if source is not None:
            xp.subtract(source[block], shift, out=part)
        part *= factor
        part += offset

    backend.map_blocks(scale_block, batch_blocks(backend, out.shape, out.dtype))


def batch_norm_grads(backend, grad, x, mean, inv_std, scale, through_stats, out):
    """Write batch norm's ``grad_x`` into ``out``; return ``(sum_grad, sum_grad_hat)``.

    ``grad_x = k * (g - mean(g) - x_hat * mean(g * x_hat))`` with ``k = inv_std * scale``
    (Ioffe & Szegedy 2015, section 3), or ``k * g`` when the statistics are fixed
    (``through_stats=False``, evaluation). Evaluated from one centred copy of x, without a
    normalised array, as ``k * (g + c2 * centred + c3)``: four in-place calls per block.
    The statistics and ``scale`` are (C,); the sums of ``g`` and ``g * x_hat`` (grad_bias
    and grad_weight) are float64 (C,).
    """
    xp = backend.xp
    N, _, S = x.shape
    n = max(N * S, 1)  # empty batch: zero sums
    shift = mean.astype(x.dtype).astype(xp.float64)
    delta = mean - shift
    sum_grad, sum_grad_centred = centred_sums(backend, x, shift, out, grad)
    sum_grad_hat = inv_std * (sum_grad_centred - delta * sum_grad)
    k = inv_std if scale is None else inv_std * scale
    if not through_stats:  # one call: no chain to keep in cache
        xp.multiply(grad, _per_channel(backend, k, x.shape, x.dtype), out=out)
        return sum_grad, sum_grad_hat
    c2 = -inv_std * sum_grad_hat / n
    c3 = -c2 * delta - sum_grad / n
    operands = [_per_channel(backend, v, x.shape, x.dtype) for v in (c2, c3, k)]

    def grad_block(block):
        part = out[block]
        part *= operands[0]
        part += operands[1]
        part += grad[block]
        part *= operands[2]

    backend.map_blocks(grad_block, batch_blocks(backend, x.shape, x.dtype))
    return sum_grad, sum_grad_hat
