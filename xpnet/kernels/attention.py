"""Scaled dot-product attention and its backward function.

PyTorch's math formulation (the reference in ``torch.nn.functional.scaled_dot_product_attention``'s
docstring): ``softmax(q k^T * scale + bias) @ v``, with the bias from a boolean or additive
mask or the causal triangle. The softmax is :mod:`.softmax`'s stable one, the optional dropout
:mod:`.dropout`'s (its mask goes back to the backward, as dropout's does); products are batched
``xp.matmul``. :class:`xpnet.nn.MultiheadAttention` is built on this pair.
"""

from __future__ import annotations

import math

from ..backends import backend_of
from ._blocks import compute_dtype
from ._broadcast import unbroadcast
from ._checks import (
    ArgumentError,
    AxisError,
    DtypeMismatchError,
    array_backend,
    check_grad_output,
    check_number,
    check_saved,
    kernel,
    require_arrays,
)
from .dropout import dropout, dropout_backward
from .softmax import softmax, softmax_backward

__all__ = ["scaled_dot_product_attention", "scaled_dot_product_attention_backward"]


def _broadcast(where, what, *shapes):
    """The broadcast of ``shapes`` (batch dimensions), or ArgumentError naming ``what``."""
    ndim = max(len(shape) for shape in shapes)
    padded = [(1,) * (ndim - len(shape)) + tuple(shape) for shape in shapes]
    result = []
    for sizes in zip(*padded, strict=True):
        wanted = {size for size in sizes if size != 1}
        if len(wanted) > 1:
            msg = f"{where}: {what} must broadcast, got batch shapes {', '.join(map(str, shapes))}"
            raise ArgumentError(msg)
        result.append(wanted.pop() if wanted else 1)
    return tuple(result)


def _repeats(where, query, key, value, enable_gqa):
    """How often each key and value head is repeated (``repeat_interleave`` on dim -3)."""
    if not enable_gqa:
        return 1, 1
    if min(query.ndim, key.ndim, value.ndim) < 3:  # PyTorch's IndexError: dim -3 out of range
        msg = f"{where}: enable_gqa needs a heads dimension (..., H, L, E) in query, key, value"
        raise AxisError(msg)
    heads = query.shape[-3]
    for name, array in (("key", key), ("value", value)):
        if array.shape[-3] == 0 or heads % array.shape[-3]:
            msg = (
                f"{where}: the number of heads in {name} must divide the number of heads in "
                f"query ({heads}) with enable_gqa=True, got {array.shape[-3]}"
            )
            raise ArgumentError(msg)
    return heads // key.shape[-3], heads // value.shape[-3]


def _check_options(where, attn_mask, dropout_p, is_causal, scale, enable_gqa):
    for name, flag in (("is_causal", is_causal), ("enable_gqa", enable_gqa)):
        if not isinstance(flag, bool):
            msg = f"{where}: {name} must be a bool, got {type(flag).__name__} {flag!r}"
            raise TypeError(msg)
    check_number(where, "dropout_p", dropout_p)
    if dropout_p > 1:
        msg = f"{where}: dropout_p must be at most 1, got {dropout_p!r}"
        raise ArgumentError(msg)
    if scale is not None:
        check_number(where, "scale", scale)
    if is_causal and attn_mask is not None:
        msg = f"{where}: attn_mask must be None when is_causal=True, got an attn_mask"
        raise ArgumentError(msg)


def _check(where, query, key, value, attn_mask, dropout_p, is_causal, scale, enable_gqa):
    """``(xp, repeats, scores_shape, output_shape)`` after PyTorch's checks of the arguments."""
    require_arrays(where, query=query, key=key, value=value)
    xp = array_backend(where, query=query, key=key, value=value).xp
    _check_options(where, attn_mask, dropout_p, is_causal, scale, enable_gqa)
    for name, array in (("query", query), ("key", key), ("value", value)):
        if array.ndim < 2:
            msg = f"{where}: {name} must have at least 2 dimensions (..., L, E), got {array.shape}"
            raise ArgumentError(msg)
    if key.shape[-1] != query.shape[-1]:
        msg = f"{where}: key must have query's size E={query.shape[-1]}, got shape {key.shape}"
        raise ArgumentError(msg)
    if value.shape[-2] != key.shape[-2]:
        msg = f"{where}: value must have key's length S={key.shape[-2]}, got shape {value.shape}"
        raise ArgumentError(msg)
    repeats = _repeats(where, query, key, value, enable_gqa)
    key_batch = _repeated(key.shape, repeats[0])[:-2]
    value_batch = _repeated(value.shape, repeats[1])[:-2]
    scores_batch = _broadcast(where, "query and key", query.shape[:-2], key_batch)
    output_batch = _broadcast(where, "query, key and value", scores_batch, value_batch)
    scores_shape = (*scores_batch, query.shape[-2], key.shape[-2])
    if attn_mask is not None:
        backend_of(query, attn_mask, names=("query", "attn_mask"), where=where)
        # PyTorch's rule: bool, float32 or the dtype of query (its RuntimeError; a TypeError)
        if attn_mask.dtype not in (xp.bool_, xp.float32, query.dtype):
            msg = (
                f"{where}: attn_mask must be a bool or floating-point array of dtype float32 or "
                f"query's {query.dtype}, got {attn_mask.dtype}"
            )
            raise DtypeMismatchError(msg)
        if _broadcast(where, "attn_mask", attn_mask.shape, scores_shape) != scores_shape:
            msg = (
                f"{where}: attn_mask must broadcast to the attention weights' shape "
                f"{scores_shape}, got {attn_mask.shape}"
            )
            raise ArgumentError(msg)
    return xp, repeats, scores_shape, (*output_batch, query.shape[-2], value.shape[-1])


def _repeated(shape, repeats):
    """``shape`` with its heads dimension (-3) repeated ``repeats`` times."""
    if repeats == 1:
        return tuple(shape)
    return (*shape[:-3], shape[-3] * repeats, *shape[-2:])


def _factor(query, scale) -> float:
    """The scores' factor: ``scale``, by default ``1 / sqrt(E)`` (inf for E = 0, as PyTorch)."""
    if scale is not None:
        return float(scale)
    return 1 / math.sqrt(query.shape[-1]) if query.shape[-1] else math.inf


def _weights(xp, query, key, attn_mask, is_causal, scale):
    """``(weights, scores, kept)``: the softmax of the masked, scaled scores (fully masked rows
    0, as PyTorch's safe softmax), the scores with those rows zeroed, and the rows' mask."""
    dtype = compute_dtype(xp, query.dtype)
    factor = _factor(query, scale)
    # q and k each scaled by sqrt(|scale|), as PyTorch's math path: E = 0 gives zeros, not NaN
    root = math.sqrt(abs(factor))
    q = query.astype(dtype, copy=False) * (root if factor >= 0 else -root)
    scores = xp.matmul(q, xp.swapaxes(key.astype(dtype, copy=False) * root, -1, -2))  # (.., L, S)
    if is_causal:  # upper-left aligned: query i sees keys 0..i (attn_mask is None here)
        attn_mask = xp.tril(xp.ones(scores.shape[-2:], dtype=bool))
    if attn_mask is not None and attn_mask.dtype == xp.bool_:
        # True takes part; False (and above the causal diagonal) adds -inf, as PyTorch's: a NaN
        # score stays NaN there
        scores = scores + xp.where(attn_mask, 0.0, -xp.inf).astype(dtype)
    elif attn_mask is not None:
        scores = scores + attn_mask.astype(dtype, copy=False)
    kept = ~xp.all(scores == -xp.inf, axis=-1, keepdims=True)
    scores = xp.where(kept, scores, 0.0).astype(dtype, copy=False)
    return xp.where(kept, softmax(scores, -1), 0.0).astype(dtype, copy=False), scores, kept


def _expand_heads(xp, array, repeats):
    """``repeat_interleave(repeats, dim=-3)``: a key/value head serves ``repeats`` query heads."""
    return array if repeats == 1 else xp.repeat(array, repeats, axis=-3)


def _fold_heads(xp, grad, shape, repeats):
    """The gradient of :func:`_expand_heads` (after broadcasting): summed back to ``shape``."""
    grad = unbroadcast(xp, grad, _repeated(shape, repeats))
    if repeats == 1:
        return grad
    return grad.reshape(*shape[:-2], repeats, *shape[-2:]).sum(axis=-3)


@kernel
def scaled_dot_product_attention(
    query,
    key,
    value,
    attn_mask=None,
    dropout_p: float = 0.0,
    is_causal: bool = False,
    *,
    scale: float | None = None,
    enable_gqa: bool = False,
    return_mask: bool = False,
):
    r"""``softmax(query @ key^T * scale + bias) @ value``, PyTorch's math formulation.

    Args:
        query: array of shape (..., Hq, L, E).
        key: array of shape (..., H, S, E), the dtype and backend of ``query``.
        value: array of shape (..., H, S, Ev). The batch dimensions of the three broadcast.
        attn_mask: ``None``, a bool array (``True``: the pair takes part) or a float array
            (float32 or the dtype of ``query``) added to the scores; it broadcasts to
            (..., L, S). Default: ``None``.
        dropout_p: probability of dropping each attention weight (always applied when > 0,
            as PyTorch: pass 0.0 in evaluation). Default: 0.0.
        is_causal: let query ``i`` see keys ``0..i`` only (upper-left aligned); excludes
            ``attn_mask``. Default: ``False``.
        scale: factor of the scores (keyword only). Default: ``1 / sqrt(E)``.
        enable_gqa: repeat each key and value head ``Hq // H`` times (grouped-query
            attention; keyword only). Default: ``False``.
        return_mask: also return the dropout keep-mask (shape (..., L, S), ``None`` without
            dropout) that :func:`scaled_dot_product_attention_backward` needs. Default: ``False``.

    Returns:
        Array of shape (..., Hq, L, Ev) and the dtype of ``query`` (or ``(output, mask)``).
        A fully masked row gives zeros, as PyTorch's safe softmax. float16 computes in float32.

    Raises:
        ValueError: shapes that do not fit, ``attn_mask`` with ``is_causal``, ``dropout_p > 1``
            (``enable_gqa`` without a heads dimension: an ``IndexError`` too, as PyTorch).
        TypeError: a missing array, mixed dtypes, a mask neither bool nor float32 nor of the
            dtype of ``query``.

    Example:
        >>> q = xp.asarray([[1.0, 0.0], [0.0, 1.0]])
        >>> scaled_dot_product_attention(q, q, xp.asarray([[1.0], [3.0]]), is_causal=True)
        array([[1.       ],
               [2.3395231]])
    """
    where = "scaled_dot_product_attention"
    arguments = (attn_mask, dropout_p, is_causal, scale, enable_gqa)
    xp, repeats, _, _ = _check(where, query, key, value, *arguments)
    key, value = _expand_heads(xp, key, repeats[0]), _expand_heads(xp, value, repeats[1])
    weights, _, _ = _weights(xp, query, key, attn_mask, is_causal, scale)
    mask = None
    if dropout_p > 0:  # PyTorch ignores a negative dropout_p
        weights, mask = dropout(weights, dropout_p, return_mask=True)
    output = xp.matmul(weights, value.astype(weights.dtype, copy=False))  # (..., L, Ev)
    output = xp.asarray(output).astype(query.dtype, copy=False)
    return (output, mask) if return_mask else output


@kernel
def scaled_dot_product_attention_backward(
    grad_output,
    query,
    key,
    value,
    attn_mask=None,
    dropout_p: float = 0.0,
    is_causal: bool = False,
    *,
    scale: float | None = None,
    enable_gqa: bool = False,
    mask=None,
):
    """Gradients of :func:`scaled_dot_product_attention`: ``(grad_query, grad_key,
    grad_value, grad_attn_mask)``, the last ``None`` unless ``attn_mask`` is a float array.

    Recomputes the weights; ``mask`` is the dropout mask the forward returned
    (``return_mask=True``), required when ``dropout_p > 0``. With ``G = grad_output``,
    ``W`` the weights: ``dV = W^T G``, ``dS = softmax_backward(G V^T)``,
    ``dQ = dS K * scale``, ``dK = dS^T Q * scale``, ``d attn_mask = dS`` (summed to its shape).
    """
    where = "scaled_dot_product_attention_backward"
    arguments = (attn_mask, dropout_p, is_causal, scale, enable_gqa)
    xp, repeats, scores_shape, output_shape = _check(where, query, key, value, *arguments)
    backend_of(query, grad_output, names=("query", "grad_output"), where=where)
    check_grad_output(where, grad_output, output_shape, query.dtype)
    if dropout_p > 0:
        if mask is None:
            msg = f"{where}: mask (from return_mask=True) is required with dropout_p > 0, got None"
            raise ArgumentError(msg)
        backend_of(query, mask, names=("query", "mask"), where=where)
        check_saved(where, "mask", mask, scores_shape, (xp.bool_,), "the attention weights")
    grad_mask = None
    if attn_mask is not None and attn_mask.dtype != xp.bool_:
        grad_mask = xp.zeros(attn_mask.shape, dtype=attn_mask.dtype)
    if 0 in (*output_shape, *scores_shape):  # nothing reaches the output: zeros, as PyTorch
        # (not 0 * a NaN weight or 0 * an inf scale)
        return (*(xp.zeros(a.shape, dtype=query.dtype) for a in (query, key, value)), grad_mask)
    keys, values = _expand_heads(xp, key, repeats[0]), _expand_heads(xp, value, repeats[1])
    weights, scores, kept = _weights(xp, query, keys, attn_mask, is_causal, scale)
    dtype = weights.dtype
    grad = grad_output.astype(dtype, copy=False)
    dropped = weights
    if dropout_p > 0:  # the forward's dropout again, with its mask (no new draw)
        dropped = dropout_backward(weights, weights, dropout_p, mask=mask)
    grad_values = xp.matmul(xp.swapaxes(dropped, -1, -2), grad)  # (..., S, Ev)
    grad_weights = xp.matmul(grad, xp.swapaxes(values.astype(dtype, copy=False), -1, -2))
    grad_weights = unbroadcast(xp, grad_weights, scores_shape)  # (..., L, S)
    if dropout_p > 0:
        grad_weights = dropout_backward(grad_weights, weights, dropout_p, mask=mask)
    grad_scores = softmax_backward(xp.where(kept, grad_weights, 0.0).astype(dtype), scores, -1)
    factor = _factor(query, scale)
    grad_query = xp.matmul(grad_scores, keys.astype(dtype, copy=False)) * factor
    grad_keys = xp.matmul(xp.swapaxes(grad_scores, -1, -2), query.astype(dtype, copy=False))
    grads = (
        unbroadcast(xp, grad_query, query.shape),
        _fold_heads(xp, grad_keys * factor, key.shape, repeats[0]),
        _fold_heads(xp, grad_values, value.shape, repeats[1]),
    )
    grads = tuple(xp.asarray(g).astype(query.dtype, copy=False) for g in grads)
    if grad_mask is not None:
        grad_mask = unbroadcast(xp, grad_scores, attn_mask.shape).astype(attn_mask.dtype)
    return (*grads, grad_mask)
