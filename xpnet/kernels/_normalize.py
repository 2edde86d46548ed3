"""What the normalisation kernels share: stable moments, normalising, and the closed-form
backward.

Layer and group norm (:mod:`.layer_norm`, :mod:`.group_norm`) pass the input viewed so that
the normalised axes are ``axes`` (the last axis among them) and get float64 statistics with
keepdims shapes (:func:`moments`, :func:`affine_norm`). Batch norm (:mod:`.batch_norm`) views
its input as (N, C, S) and runs block by block (:func:`batch_moments`, :func:`scale_shift`,
:func:`batch_norm_grads`). Both backwards take their factors from
:func:`backward_coefficients`, the one home of the closed form.

Statistics are stable in float32 and float16: a shift near the mean, rounded to the input's
dtype, is subtracted first, and the mean and variance come from the sums of the *centred*
values and their squares, added in float64. Centring first is what keeps ``mean 1e4, std
1e-3`` in float32 exact to 1e-6 (``E[x^2] - E[x]^2`` loses it all).
"""

from __future__ import annotations

import functools
import math

from ..backends import backend_of
from ..backends._base import fused, runs_unblocked
from ._blocks import check_fits, map_batch

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


def backward_coefficients(inv_std, delta, sum_grad, sum_grad_centred, count, scale=None):
    """The per-statistic factors of the closed-form normalisation backward.

    With ``g`` the output gradient (times an element-wise weight, if any), ``k = inv_std *
    scale`` and ``x_hat`` the normalised input, ``grad_x = k * (g - mean(g) - x_hat *
    mean(g * x_hat))`` (Ioffe & Szegedy 2015, section 3) is evaluated from one centred copy
    ``c = x - shift`` (``delta = mean - shift``), without a normalised array, as
    ``k * (g + c2 * c + c3)``. ``sum_grad`` and ``sum_grad_centred`` are the float64 sums of
    ``g`` and ``g * c`` over the ``count`` normalised values.

    Returns:
        ``(k, c2, c3, sum_grad_hat)``, float64 with the statistics' shape; ``sum_grad_hat``
        is ``sum(g * x_hat)`` (batch norm's grad_weight, as ``sum_grad`` is its grad_bias).
    """
    count = max(count, 1)  # empty batch: zero sums, zero coefficients
    return fused(backend_of(inv_std), _coefficients)(
        inv_std, delta, sum_grad, sum_grad_centred, count, 1.0 if scale is None else scale
    )


def _coefficients(inv_std, delta, sum_grad, sum_grad_centred, count, scale):
    """The elementwise chain of :func:`backward_coefficients`, one fused call."""
    sum_grad_hat = inv_std * (sum_grad_centred - delta * sum_grad)
    k = inv_std * scale
    c2 = -inv_std * sum_grad_hat / count
    c3 = -c2 * delta - sum_grad / count
    return k, c2, c3, sum_grad_hat


def normalize_backward(xp, grad, centred, delta, inv_std, axes, weight=None):
    """Closed-form ``d/dx`` of :func:`normalize` (see :func:`backward_coefficients`) in one
    fused pass, written over ``centred``; ``weight`` multiplies ``grad`` element-wise."""
    count = math.prod(centred.shape[axis] for axis in axes)
    weighted = grad if weight is None else grad * weight
    sum_grad = _sum(xp, weighted, axes)
    k, c2, c3, _ = backward_coefficients(
        inv_std, delta, sum_grad, _sum(xp, weighted, axes, centred), count
    )
    dtype = centred.dtype
    grad_x = centred  # the centred values are not needed after the sums
    grad_x *= c2.astype(dtype)
    grad_x += c3.astype(dtype)
    grad_x += weighted
    grad_x *= k.astype(dtype)
    return grad_x


def affine_norm(xp, x, axes, eps, weight, bias, grad=None, param_axes=()):
    """Layer and group norm on the view ``x``: the forward, or with ``grad`` the gradients.

    ``weight`` and ``bias`` broadcast over ``x`` and vary inside the normalised axes, so they
    multiply element-wise; their gradients sum over ``param_axes``. PyTorch accepts any
    ``eps`` here: ``var + eps <= 0`` gives NaN or inf quietly, as there.
    """
    with backend_of(x).ignore_float_errors():
        return _affine_norm(xp, x, axes, eps, weight, bias, grad, param_axes)


def _affine_norm(xp, x, axes, eps, weight, bias, grad, param_axes):
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
    grad_x = normalize_backward(xp, grad, centred, delta, inv_std, axes, weight=weight)
    return grad_x, grad_weight, grad_bias


def check_input_copies_fit(where, backend, input, dtype, copies=3):
    """MemoryError, naming the bytes, unless ``copies`` arrays of ``input``'s shape in
    ``dtype`` fit (the output, the centred values, a gradient): before the statistics read
    the input, minutes for a broadcast input of 1e11 elements."""
    nbytes = copies * input.size * backend.xp.dtype(dtype).itemsize
    check_fits(where, backend, f"arrays of the input's shape {input.shape}", nbytes)


def reshaped_parameters(dtype, shape, *arrays):
    """Each (C,)-like parameter or statistic cast to ``dtype`` and reshaped to broadcast over
    the view (``None`` stays ``None``)."""
    return tuple(None if array is None else array.astype(dtype).reshape(*shape) for array in arrays)


def finished_gradients(input, arrays, shapes):
    """Each array reshaped to its shape and cast to the dtype of ``input`` (None stays)."""
    return tuple(
        None if array is None else array.reshape(*shape).astype(input.dtype, copy=False)
        for array, shape in zip(arrays, shapes, strict=True)
    )


# Batch norm on the view (N, C, S): per-channel statistics (C,) in float64, written into a
# caller's ``out`` (so that a gradient is an array of its own, not a view), in passes over
# blocks of samples (see batch_blocks) so that a chain of calls on one block stays in cache.
# On a GPU a pass is one block, and each chain of in-place calls on it is one fused launch.
# einsum letters: n batch, c channel, s spatial position.


def _per_channel(backend, values, shape, dtype):
    """(C,) ``values`` as an operand for blocks of the (N, C, S) view, in ``dtype``.

    A contiguous (1, C, S) copy when that fits in a block: NumPy runs a (1, C, 1) operand
    row by row, about 2x slower on rows of up to a few thousand values. Callers pass values
    of ``dtype`` already where they can: a cast here is one more launch on a GPU.
    """
    C, S = shape[1:]
    values = values.astype(dtype, copy=False).reshape(1, C, 1)
    if C * S * values.itemsize > backend.block_bytes or runs_unblocked(backend):
        return values  # unblocked (GPU): a copy would be one more launch for nothing
    return backend.xp.broadcast_to(values, (1, C, S)).copy()


def centred_sums(backend, x, shift, out, weights=None):
    """Write ``x - shift`` (per channel) into ``out``; return the float64 (C,) sums over
    N and S of ``w`` and of ``w * (x - shift)``, with ``w = weights`` (the output gradient)
    or the centred values themselves.

    ``shift`` (C,) must be of x's dtype, so that ``x - shift`` is exact near the mean. Rows
    are summed while each block is in cache, in x's dtype (by einsum, ~2x faster than
    ``sum`` here); the (N, C) row sums of all the blocks are then added in float64 in one
    call, so that the result does not depend on how the batch was cut into blocks (which
    follows the thread count) nor on the threads' timing.
    """
    xp = backend.xp
    operand = _per_channel(backend, shift, x.shape, x.dtype)
    per_block = {}

    def sums_block(block):
        centred = out[block]
        xp.subtract(x[block], operand, out=centred)
        other = centred if weights is None else weights[block]
        per_block[block.start] = (
            xp.einsum("ncs->nc", other),
            xp.einsum("ncs,ncs->nc", other, centred),
        )

    map_batch(backend, sums_block, x.shape, x.dtype)
    if not per_block:  # an empty batch
        zeros = xp.zeros(x.shape[1], dtype=xp.float64)
        return zeros, zeros
    blocks = [per_block[start] for start in sorted(per_block)]
    rows = blocks[0] if len(blocks) == 1 else [xp.concatenate(r) for r in zip(*blocks, strict=True)]
    return tuple(xp.sum(row, axis=0, dtype=xp.float64) for row in rows)


def batch_moments(backend, x, out):
    """``(shift, sum_centred, sum_square)`` of each channel of x (N, C, S); ``out`` gets
    ``x - shift``, the sums (float64) are those of it and of its square.

    The shift is the first sample's mean of each channel, rounded to x's dtype: it is within
    ``sqrt(N - 1)`` standard deviations of the mean (the first sample's share of the
    variance bounds it), so ``var = mean(c^2) - mean(c)^2`` of the centred ``c`` loses at most
    a factor N in relative precision, where ``E[x^2] - E[x]^2`` loses ``(mean / std)^2``;
    and it costs 1/N of the full first mean it replaces. :func:`mean_var` finishes.
    """
    first_mean = backend.xp.mean(x[0], axis=-1, dtype=backend.xp.float64)
    shift = fused(backend, _finite_shift(backend.xp, x.dtype))(first_mean)
    return (shift, *centred_sums(backend, x, shift, out))


@functools.cache
def _finite_shift(xp, dtype):
    """The shift of :func:`batch_moments` in ``dtype``: 0 for a non-finite first mean, whose
    ``x - shift`` would be NaN where PyTorch's sums give the mean +-inf."""

    def finite(mean):
        return xp.where(xp.isfinite(mean), mean, 0.0).astype(dtype)

    return finite


def mean_var(xp, shift, sum_centred, sum_square, count):
    """``(mean, var, delta)``, float64: the mean and biased variance from the sums of ``c = x
    - shift`` and ``c^2`` of :func:`batch_moments`, and ``delta = mean(c)``. Elementwise:
    callers run it inside their fused call."""
    delta, square = sum_centred / count, sum_square / count  # mean(c), mean(c^2)
    return shift + delta, xp.maximum(square - delta * delta, 0.0), delta


@functools.cache
def _scale_chains(xp):
    """The in-place chains of :func:`scale_shift`: of centred values, and of raw ones."""

    def scale(part, factor, offset):
        part *= factor
        part += offset

    def shift_scale(part, source, shift, factor, offset):
        xp.subtract(source, shift, out=part)
        scale(part, factor, offset)

    return scale, shift_scale


def scale_shift(backend, out, factor, offset, source=None, shift=None):
    """``out = (source - shift) * factor + offset`` per channel, block by block, one fused
    call per block.

    Without ``source``, ``out`` holds the centred input already and is updated in place.
    ``factor``, ``offset`` and ``shift`` are (C,), best of out's dtype already.
    """
    operands = [_per_channel(backend, v, out.shape, out.dtype) for v in (factor, offset)]
    scale, shift_scale = (fused(backend, chain) for chain in _scale_chains(backend.xp))
    if source is not None:
        shift = _per_channel(backend, shift, out.shape, out.dtype)

    def scale_block(block):
        if source is None:
            scale(out[block], *operands)
        else:
            shift_scale(out[block], source[block], shift, *operands)

    map_batch(backend, scale_block, out.shape, out.dtype)


@functools.cache
def _grad_chains(xp, dtype, grad_dtype):
    """The fused chains of :func:`batch_norm_grads`: the per-channel coefficients (cast to
    ``dtype``, the parameter gradients to ``grad_dtype``), and the in-place ``grad_x``."""

    def coefficients(inv_std, mean, shift, sum_grad, sum_grad_centred, count, scale):
        delta = mean - shift  # float64: shift is of x's dtype
        k, c2, c3, sum_grad_hat = _coefficients(
            inv_std, delta, sum_grad, sum_grad_centred, count, 1.0 if scale is None else scale
        )
        return (
            *(c.astype(dtype) for c in (k, c2, c3)),
            sum_grad_hat.astype(grad_dtype),
            sum_grad.astype(grad_dtype),
        )

    def grad_x(part, grad, k, c2, c3):
        part *= c2
        part += c3
        part += grad
        part *= k

    return coefficients, grad_x


def batch_norm_grads(backend, grad, x, mean, inv_std, scale, through_stats, out, grad_dtype):
    """Write batch norm's ``grad_x`` into ``out``; return ``(grad_weight, grad_bias)``, the
    sums of ``g * x_hat`` and of ``g`` (of ``grad_dtype``).

    The closed form of :func:`backward_coefficients` per channel, or ``k * g`` when the
    statistics are fixed (``through_stats=False``, evaluation): one fused call per block.
    The statistics (float64) and ``scale`` are (C,).
    """
    xp = backend.xp
    N, _, S = x.shape
    shift = mean.astype(x.dtype)
    sums = centred_sums(backend, x, shift, out, grad)
    coefficients, grad_x = (fused(backend, c) for c in _grad_chains(xp, x.dtype, grad_dtype))
    k, c2, c3, grad_weight, grad_bias = coefficients(
        inv_std, mean, shift, *sums, max(N * S, 1), scale
    )
    if not through_stats:  # one call: no chain to keep in cache
        xp.multiply(grad, _per_channel(backend, k, x.shape, x.dtype), out=out)
        return grad_weight, grad_bias
    operands = [_per_channel(backend, v, x.shape, x.dtype) for v in (k, c2, c3)]

    def grad_block(block):
        grad_x(out[block], grad[block], *operands)

    map_batch(backend, grad_block, x.shape, x.dtype)
    return grad_weight, grad_bias
