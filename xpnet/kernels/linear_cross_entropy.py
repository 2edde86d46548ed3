"""Cross-entropy of ``input @ linear_weight.T + linear_bias`` computed in chunks of rows.

The point (PyTorch's ``linear_cross_entropy`` with ``options``) is never holding the whole
(N, C) logits: with a vocabulary of 10^5 classes they dwarf the (N, F) input. Each chunk of
``batch_chunk_size`` rows builds its (B, C) logits, reduces them and drops them; the backward
builds them again (one more matmul per chunk) instead of keeping them. Axis letters: ``N``
rows, ``B`` rows of a chunk, ``F`` in_features, ``C`` classes.
"""

from __future__ import annotations

from ..backends import memory_budget
from ..backends._deferred import defer_check
from ._blocks import compute_dtype
from ._checks import ArgumentError, array_backend, check_grad_output, kernel, require_arrays

__all__ = ["linear_cross_entropy", "linear_cross_entropy_backward"]

_REDUCTIONS = ("none", "mean", "sum")


def chunk_rows(backend, num_batches, num_classes, dtype, batch_chunk_size=None) -> int:
    """Rows per chunk: ``batch_chunk_size`` (default: all), and no more than the (B, C) logits
    and their exponentials that fit in :func:`xpnet.memory_budget`; at least one row."""
    itemsize = backend.xp.dtype(dtype).itemsize
    by_budget = memory_budget(backend) // max(1, 2 * num_classes * itemsize)
    wanted = num_batches if batch_chunk_size is None else batch_chunk_size
    return max(1, min(wanted, by_budget, num_batches))


def _prepare(where, input, linear_weight, target, linear_bias, weight, reduction, ignore_index):
    """``(backend, dtype, x, w, b, index, row_weight)`` after the checks: arrays in the compute
    dtype, the target's classes (0 where ignored) and each row's class weight (0 where
    ignored)."""
    require_arrays(where, input=input, linear_weight=linear_weight, target=target)
    backend = array_backend(
        where, input=input, linear_weight=linear_weight, linear_bias=linear_bias, weight=weight
    )
    if input.ndim != 2 or linear_weight.ndim != 2 or input.shape[1] != linear_weight.shape[1]:
        msg = (
            f"{where}: input must be (N, F) and linear_weight (C, F), got shapes "
            f"{input.shape} and {linear_weight.shape}"
        )
        raise ArgumentError(msg)
    if target.shape != input.shape[:1] or target.dtype.kind not in "iu":
        msg = f"{where}: target must be (N,) = {input.shape[:1]} integers, got {target.shape}"
        raise ArgumentError(msg)
    if reduction not in _REDUCTIONS:
        msg = f"{where}: reduction must be one of {_REDUCTIONS}, got {reduction!r}"
        raise ValueError(msg)
    xp = backend.xp
    dtype = compute_dtype(xp, input.dtype)
    num_classes = linear_weight.shape[0]
    valid = target != ignore_index
    index = xp.where(valid, target, 0)
    _check_range(where, backend, index, ignore_index, num_classes)
    index = xp.clip(index, 0, max(0, num_classes - 1))  # no bad index reads memory before then
    row_weight = valid.astype(dtype)
    if weight is not None:
        row_weight = row_weight * xp.take(weight.astype(dtype, copy=False), index)
    bias = None if linear_bias is None else linear_bias.astype(dtype, copy=False)
    x = input.astype(dtype, copy=False)
    w = linear_weight.astype(dtype, copy=False)
    return backend, dtype, x, w, bias, index, row_weight


def _check_range(where, backend, index, ignore_index, num_classes) -> None:
    """IndexError for a kept target outside ``[0, C)``, now on NumPy, else at the next host
    read (no device-to-host copy per call, as cross_entropy)."""
    if not index.size:
        return
    xp = backend.xp
    outside = (index < 0) | (index >= num_classes)
    worst = xp.where(outside, index, 0)
    worst = worst[xp.argmax(outside)]  # the first bad value, 0 when there is none

    def in_range(value):
        if bad := int(value):
            msg = (
                f"{where}: target values must be in [0, {num_classes}) or "
                f"ignore_index={ignore_index}, got {bad}"
            )
            raise IndexError(msg)

    defer_check(backend, worst, in_range)


def _shifted_logits(xp, x, w, bias, rows):
    """The (B, C) logits of ``rows`` less their row maxima: exp cannot overflow."""
    logits = x[rows] @ w.T  # (B, C)
    if bias is not None:
        logits += bias
    return logits - xp.max(logits, axis=1, keepdims=True)


@kernel
def linear_cross_entropy(
    input,
    linear_weight,
    target,
    linear_bias=None,
    weight=None,
    reduction: str = "mean",
    ignore_index: int = -100,
    batch_chunk_size: int | None = None,
):
    r"""``cross_entropy(input @ linear_weight.T + linear_bias, target, ...)`` in row chunks.

    Args:
        input: (N, F) array.
        linear_weight: (C, F) array.
        target: (N,) class indices in ``[0, C)`` or ``ignore_index``.
        linear_bias: (C,) array or ``None``. Default: ``None``.
        weight: (C,) class weights or ``None``. Default: ``None``.
        reduction: ``'mean'`` (weighted mean over kept rows), ``'sum'`` or ``'none'``.
        ignore_index: a target value that contributes nothing. Default: -100.
        batch_chunk_size: rows per chunk (at most what :func:`chunk_rows` allows).
            Default: ``None`` (all rows, within the memory budget).

    Returns:
        A scalar, or (N,) with ``'none'``, of ``input``'s dtype.

    Example:
        >>> x, w = xp.ones((4, 2)), xp.zeros((3, 2))
        >>> float(linear_cross_entropy(x, w, xp.array([0, 1, 2, 0]), batch_chunk_size=1))
        1.0986122886681098
    """
    where = "linear_cross_entropy"
    args = (input, linear_weight, target, linear_bias, weight, reduction, ignore_index)
    backend, dtype, x, w, bias, index, row_weight = _prepare(where, *args)
    xp = backend.xp
    size = chunk_rows(backend, x.shape[0], w.shape[0], dtype, batch_chunk_size)
    losses = xp.zeros(x.shape[0], dtype=dtype)
    for start in range(0, x.shape[0], size):
        rows = slice(start, start + size)
        shifted = _shifted_logits(xp, x, w, bias, rows)
        picked = xp.take_along_axis(shifted, index[rows, None], axis=1)[:, 0]  # (B,)
        losses[rows] = xp.log(xp.sum(xp.exp(shifted), axis=1)) - picked
    losses *= row_weight  # after the loop: ignored rows' 0 * inf stays out of the sums
    losses = xp.where(row_weight == 0, 0.0, losses).astype(dtype, copy=False)
    if reduction == "none":
        return losses.astype(input.dtype, copy=False)
    total = xp.sum(losses)
    if reduction == "mean":
        kept = xp.sum(row_weight)
        total = xp.where(kept == 0, xp.nan, total / xp.where(kept == 0, 1.0, kept))
    return xp.asarray(total).astype(input.dtype)


@kernel
def linear_cross_entropy_backward(
    grad_output,
    input,
    linear_weight,
    target,
    linear_bias=None,
    weight=None,
    reduction: str = "mean",
    ignore_index: int = -100,
    batch_chunk_size: int | None = None,
    output_mask=(True, True, True),
):
    r"""Gradients of :func:`linear_cross_entropy`: with ``g = r * (softmax(logits) - onehot)``
    per row (``r`` the row's upstream gradient times its class weight, over the kept weight
    for ``'mean'``), ``grad_input = g @ linear_weight``, ``grad_linear_weight = g.T @ input``
    and ``grad_linear_bias = g.sum(0)``, summed chunk by chunk (the logits are recomputed).

    Returns:
        ``(grad_input, grad_linear_weight, grad_linear_bias)``; ``None`` where ``output_mask``
        says no gradient is needed, and for an absent ``linear_bias``.
    """
    where = "linear_cross_entropy_backward"
    args = (input, linear_weight, target, linear_bias, weight, reduction, ignore_index)
    backend, dtype, x, w, bias, index, row_weight = _prepare(where, *args)
    xp = backend.xp
    shape = input.shape[:1] if reduction == "none" else ()
    check_grad_output(where, grad_output, shape, input.dtype)
    scale = row_weight * grad_output.astype(dtype, copy=False)  # (N,)
    if reduction == "mean":
        kept = xp.sum(row_weight)
        scale = scale / xp.where(kept == 0, 1.0, kept)  # no kept row: every scale is 0
    want_input, want_weight, want_bias = tuple(output_mask) + (True,) * (3 - len(output_mask))
    grad_input = xp.zeros_like(x) if want_input else None
    grad_weight = xp.zeros_like(w) if want_weight else None
    grad_bias = xp.zeros(w.shape[0], dtype) if want_bias and bias is not None else None
    size = chunk_rows(backend, x.shape[0], w.shape[0], dtype, batch_chunk_size)
    for start in range(0, x.shape[0], size):
        rows = slice(start, start + size)
        shifted = _shifted_logits(xp, x, w, bias, rows)
        probabilities = xp.exp(shifted)
        probabilities /= xp.sum(probabilities, axis=1, keepdims=True)
        chunk = _scaled_softmax_grad(xp, probabilities, index[rows], scale[rows])  # (B, C)
        if grad_input is not None:
            grad_input[rows] = chunk @ w
        if grad_weight is not None:
            grad_weight += chunk.T @ x[rows]
        if grad_bias is not None:
            grad_bias += xp.sum(chunk, axis=0)
    return tuple(
        None if grad is None else grad.astype(like.dtype, copy=False)
        for grad, like in ((grad_input, input), (grad_weight, linear_weight), (grad_bias, input))
    )


def _scaled_softmax_grad(xp, probabilities, index, scale):
    """``scale * (probabilities - onehot(index))`` per row, in place; rows of scale 0 (the
    ignored ones) are exact zeros, even where their probabilities are NaN."""
    rows = xp.arange(probabilities.shape[0])
    probabilities[rows, index] -= 1.0
    probabilities *= scale[:, None]
    return xp.where(scale[:, None] == 0, 0.0, probabilities)
