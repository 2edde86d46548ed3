"""The bilinear map ``y_o = x1^T W_o x2 + b_o``, ``bilinear``, and its backward function.

Each product is one matrix product over rows (:func:`._blocks.matmul_rows`): the forward
multiplies ``x1`` (B, in1) by the weight laid out as (in1, out * in2), then sums against
``x2``; the backward forms ``grad_output`` times one input, (B, out * in), and multiplies it by
the weight or by the other input. Neighbour: :mod:`.linear`.
"""

from __future__ import annotations

import math

from ._blocks import check_fits, compute_dtype, matmul_rows
from ._checks import ArgumentError, array_backend, check_grad_output, kernel, require_arrays

__all__ = ["bilinear", "bilinear_backward"]


def _check_shapes(where, input1, input2, weight, bias):
    """ArgumentError for PyTorch's shape rules: equal leading (batch) axes, last axes
    matching ``weight`` (out, in1, in2), ``bias`` (out,)."""
    if weight.ndim != 3:
        msg = (
            f"{where}: weight must have 3 dimensions (out_features, in1_features, "
            f"in2_features), got shape {weight.shape}"
        )
        raise ArgumentError(msg)
    if input1.ndim != input2.ndim or input1.ndim == 0:
        msg = (
            f"{where}: input1 and input2 must have the same number (at least 1) of dimensions, "
            f"got shapes {input1.shape} and {input2.shape}"
        )
        raise ArgumentError(msg)
    if input1.shape[:-1] != input2.shape[:-1]:
        msg = (
            f"{where}: input1 and input2 must have the same batch dimensions, got shapes "
            f"{input1.shape} and {input2.shape}"
        )
        raise ArgumentError(msg)
    for name, array, axis in (("input1", input1, 1), ("input2", input2, 2)):
        if array.shape[-1] != weight.shape[axis]:
            msg = (
                f"{where}: {name}'s last dimension must equal weight.shape[{axis}], got {name} "
                f"shape {array.shape} and weight shape {weight.shape}"
            )
            raise ArgumentError(msg)
    if bias is not None and bias.shape != weight.shape[:1]:
        msg = f"{where}: bias must have shape {weight.shape[:1]} (out_features,), got {bias.shape}"
        raise ArgumentError(msg)


def _prepare(where, input1, input2, weight, bias, grad_output=None, backward=False):
    """(backend, x1 (B, in1), x2 (B, in2), weight, all in the compute dtype), checked."""
    require_arrays(where, input1=input1, input2=input2, weight=weight)
    arrays = {"input1": input1, "input2": input2, "weight": weight, "bias": bias}
    backend = array_backend(where, **arrays, grad_output=grad_output)
    _check_shapes(where, input1, input2, weight, bias)
    out_features, in1, in2 = weight.shape
    if backward:
        expected = (*input1.shape[:-1], out_features)
        check_grad_output(where, grad_output, expected, input1.dtype, of=None)
    dtype = compute_dtype(backend.xp, input1.dtype)
    rows = math.prod(input1.shape[:-1])
    # the (B, out * max(in1, in2)) products, the output or the gradients
    elements = rows * out_features * (max(in1, in2) + 1) + rows * (in1 + in2) + weight.size
    nbytes = elements * backend.xp.dtype(dtype).itemsize
    check_fits(where, backend, f"products of shape {(rows, out_features, max(in1, in2))}", nbytes)
    x1 = input1.astype(dtype, copy=False).reshape(rows, in1)
    x2 = input2.astype(dtype, copy=False).reshape(rows, in2)
    return backend, x1, x2, weight.astype(dtype, copy=False)


@kernel
def bilinear(input1, input2, weight, bias=None):
    r"""Apply ``y = x1^T A x2 + b`` over the last axes, as ``torch.nn.functional.bilinear``:
    ``y[..., o] = sum_ij input1[..., i] * weight[o, i, j] * input2[..., j] + bias[o]``.

    Args:
        input1: array (*, in1_features).
        input2: array (*, in2_features), the same leading axes as ``input1``.
        weight: array (out_features, in1_features, in2_features).
        bias: array (out_features,), or ``None``. Default: ``None``.

    Returns:
        Array (*, out_features) of the inputs' dtype (float16 computes in float32).

    Raises:
        TypeError: a missing or non-float array, mixed dtypes. ValueError: shapes that do
        not match as described (the message shows them).

    Example:
        >>> weight = xp.asarray([[[1.0, 0.0], [0.0, 2.0]]])
        >>> bilinear(xp.asarray([[1.0, 1.0]]), xp.asarray([[3.0, 4.0]]), weight)
        array([[11.]])
    """
    backend, x1, x2, w = _prepare("bilinear", input1, input2, weight, bias)
    out_features, in1, in2 = w.shape
    # (B, in1) @ (in1, out * in2): t[b, o, j] = sum_i x1[b, i] w[o, i, j]
    t = matmul_rows(backend, x1, w.transpose(1, 0, 2).reshape(in1, out_features * in2))
    output = (t.reshape(x1.shape[0], out_features, in2) * x2[:, None, :]).sum(axis=2)
    if bias is not None:
        output += bias
    shape = (*input1.shape[:-1], out_features)
    return output.reshape(shape).astype(input1.dtype, copy=False)


@kernel
def bilinear_backward(grad_output, input1, input2, weight, bias=None):
    r"""Gradients of :func:`bilinear`: ``(grad_input1, grad_input2, grad_weight, grad_bias)``.

    ``grad_input1[i] = sum_oj g[o] weight[o, i, j] x2[j]``, ``grad_input2[j] = sum_oi g[o]
    weight[o, i, j] x1[i]``, ``grad_weight[o, i, j] = sum over the batch of g[o] x1[i]
    x2[j]``, ``grad_bias = sum over the batch of g`` (``None`` without a bias).

    Example:
        >>> weight = xp.asarray([[[1.0, 0.0], [0.0, 2.0]]])
        >>> x1, x2 = xp.asarray([[1.0, 1.0]]), xp.asarray([[3.0, 4.0]])
        >>> bilinear_backward(xp.ones((1, 1)), x1, x2, weight)[0]
        array([[3., 8.]])
    """
    where = "bilinear_backward"
    backend, x1, x2, w = _prepare(where, input1, input2, weight, bias, grad_output, True)
    xp, (out_features, in1, in2) = backend.xp, w.shape
    rows = x1.shape[0]
    grad = grad_output.astype(x1.dtype, copy=False).reshape(rows, out_features)  # (B, out)
    by_x2 = (grad[:, :, None] * x2[:, None, :]).reshape(rows, out_features * in2)
    grad_input1 = matmul_rows(backend, by_x2, w.transpose(0, 2, 1).reshape(out_features * in2, in1))
    by_x1 = (grad[:, :, None] * x1[:, None, :]).reshape(rows, out_features * in1)
    grad_input2 = matmul_rows(backend, by_x1, w.reshape(out_features * in1, in2))
    grad_weight = xp.matmul(by_x1.T, x2).reshape(w.shape)
    dtype = input1.dtype
    grad_bias = None if bias is None else xp.sum(grad, axis=0).astype(dtype, copy=False)
    return (
        grad_input1.reshape(input1.shape).astype(dtype, copy=False),
        grad_input2.reshape(input2.shape).astype(dtype, copy=False),
        grad_weight.astype(dtype, copy=False),
        grad_bias,
    )
