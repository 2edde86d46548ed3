"""Batch normalisation over the global batch of all ranks: the array functions behind
:class:`xpnet.nn.SyncBatchNorm`.

Forward: each rank computes its count, mean and sum of squared deviations per channel in
float64 (two passes, never ``E[x^2] - E[x]^2``), the ranks all-gather them, and every rank
merges them with Chan et al.'s pairwise formula (``M2 = sum M2_i + sum n_i (mean_i -
mean)^2``), in rank order, so every rank gets the same statistics. Backward: the per-channel sums of
``grad_output`` and ``grad_output * x_hat`` are all-reduced and the closed form of batch
norm's gradient is applied with the global count. Outside a job the same formulas run on
the local batch, so one process computes what N ranks compute.
"""

from __future__ import annotations

import math

from ..autograd import Function
from ..backends import backend_of
from ._state import current

__all__ = ["sync_batch_norm", "sync_batch_norm_backward"]


def _moments(xp, input):
    """(3, C)... flattened: ``[count, mean (C), M2 (C)]`` of this rank, float64."""
    N, C = input.shape[:2]
    x = input.reshape(N, C, math.prod(input.shape[2:])).astype(xp.float64)
    count = N * x.shape[2]
    mean = x.sum(axis=(0, 2)) / max(count, 1)
    m2 = ((x - mean[None, :, None]) ** 2).sum(axis=(0, 2))
    return xp.concatenate([xp.full(1, float(count)), mean, m2])


def global_moments(input):
    """``(count, mean, biased var, unbiased var)`` per channel over every rank's ``input``."""
    xp = backend_of(input).xp
    C = input.shape[1]
    local = _moments(xp, input)
    comm = current()
    stats = local[None] if comm is None else comm.all_gather(local)  # (ranks, 1 + 2C)
    counts, means, m2s = stats[:, 0], stats[:, 1 : C + 1], stats[:, C + 1 :]
    host_counts = backend_of(counts).to_host(counts)
    count = int(host_counts.sum())
    if count <= 1:
        msg = (
            "sync_batch_norm: expected more than 1 value per channel over all ranks when "
            f"training, got {count} (local input size {tuple(input.shape)})"
        )
        raise ValueError(msg)
    mean = (counts[:, None] * means).sum(axis=0) / count
    m2 = m2s.sum(axis=0) + (counts[:, None] * (means - mean[None]) ** 2).sum(axis=0)
    return count, mean, m2 / count, m2 / (count - 1)


def _affine(xp, input, mean, var, weight, bias, eps):
    """``(x - shift, scale, offset)`` with ``y = (x - shift) * scale + offset`` per channel:
    ``shift`` is the mean rounded to x's dtype, so ``x - shift`` is exact near the mean and
    the rounding residual stays in the float64 ``offset``."""
    C, dtype = input.shape[1], input.dtype
    shape = (1, C) + (1,) * (input.ndim - 2)
    shift = mean.astype(dtype)
    residual = mean - shift.astype(xp.float64)
    inv_std = 1.0 / xp.sqrt(var + eps)
    scale = inv_std if weight is None else inv_std * weight.astype(xp.float64)
    offset = -residual * scale + (0.0 if bias is None else bias.astype(xp.float64))
    centred = input - shift.reshape(shape)
    return centred, scale, offset, inv_std, residual, shape


def sync_batch_norm(
    input,
    running_mean,
    running_var,
    weight=None,
    bias=None,
    momentum=0.1,
    eps=1e-5,
    *,
    return_stats=False,
):
    """Training-mode batch norm with statistics over all ranks' batches; updates the running
    statistics in place (unbiased variance, as PyTorch). ``return_stats`` also returns the
    float64 ``(mean, var)`` and the global count for the backward."""
    xp = backend_of(input).xp
    count, mean, var, unbiased = global_moments(input)
    if running_mean is not None:
        dtype = running_mean.dtype
        running_mean[...] = ((1 - momentum) * running_mean + momentum * mean).astype(dtype)
        running_var[...] = ((1 - momentum) * running_var + momentum * unbiased).astype(dtype)
    centred, scale, offset, _, _, shape = _affine(xp, input, mean, var, weight, bias, eps)
    dtype = input.dtype
    output = centred * scale.astype(dtype).reshape(shape) + offset.astype(dtype).reshape(shape)
    return (output, mean, var, count) if return_stats else output


def sync_batch_norm_backward(
    grad_output,
    input,
    running_mean,
    running_var,
    weight=None,
    bias=None,
    momentum=0.1,
    eps=1e-5,
    *,
    save_mean=None,
    save_var=None,
    save_count=None,
):
    """``(grad_input, grad_weight, grad_bias)``; the parameter gradients are this rank's
    (DistributedDataParallel reduces them), ``grad_input`` uses the global sums:
    ``scale * (g - sum(g) / n - x_hat * sum(g * x_hat) / n)``."""
    xp = backend_of(input).xp
    count, mean, var = save_count, save_mean, save_var
    if mean is None:
        count, mean, var, _ = global_moments(input)
    centred, scale, _, inv_std, residual, shape = _affine(xp, input, mean, var, weight, bias, eps)
    axes = (0, *range(2, input.ndim))
    dtype = input.dtype
    sum_g = grad_output.sum(axis=axes, dtype=xp.float64)
    # sum(g * x_hat) with x_hat = (centred - residual) * inv_std
    sum_gc = (grad_output * centred).sum(axis=axes, dtype=xp.float64)
    sum_gx = (sum_gc - residual * sum_g) * inv_std
    sums = xp.concatenate([sum_g, sum_gx])
    comm = current()
    if comm is not None:
        comm.all_reduce(sums)
    C = input.shape[1]
    coef_a = scale * (sums[:C] / count - inv_std * residual * sums[C:] / count)
    coef_b = scale * inv_std * sums[C:] / count
    grad_input = (
        grad_output * scale.astype(dtype).reshape(shape)
        - coef_a.astype(dtype).reshape(shape)
        - centred * coef_b.astype(dtype).reshape(shape)
    )
    grad_weight = None if weight is None else sum_gx.astype(dtype)
    grad_bias = None if bias is None else sum_g.astype(dtype)
    return grad_input.astype(dtype, copy=False), grad_weight, grad_bias


def _saved(extras):
    return {"save_mean": extras[0], "save_var": extras[1], "save_count": extras[2]}


sync_batch_norm_function = Function(
    sync_batch_norm,
    sync_batch_norm_backward,
    ("input", "weight", "bias"),
    _saved,
    {"return_stats": True},
)
