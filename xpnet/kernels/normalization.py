"""Layer and group normalisation, with closed-form backward functions.

Both normalise a view of the input over some axes: layer norm views it as (M, K) and reduces
(1,); group norm views ``(N, C, *)`` as (N, G, C/G, S) and reduces (2, 3), ``S`` the product
of the spatial sizes. Batch norm lives in :mod:`xpnet.kernels.batch_norm`.

Statistics are stable in float32 and float16: a first mean, rounded to the input's dtype, is
subtracted as a shift, and the mean and variance come from the sums of the *centred* values
and their squares (partial sums along the last axis, added in float64). Centring first is
what keeps ``mean 1e4, std 1e-3`` in float32 exact to 1e-6 (``E[x^2] - E[x]^2`` loses it all).
"""

from __future__ import annotations

import math
import numbers

from ._blocks import compute_dtype
from ._checks import (
    ArgumentError,
    array_backend,
    check_ndim,
    check_same_shape,
    check_shapes,
    kernel,
)
from ._statistics import affine_norm

__all__ = [
    "group_norm",
    "group_norm_backward",
    "layer_norm",
    "layer_norm_backward",
]


def _reshaped(dtype, shape, *arrays):
    """Each (C,)-like parameter or statistic cast to ``dtype`` and reshaped to broadcast over
    the view (``None`` stays ``None``)."""
    return tuple(None if array is None else array.astype(dtype).reshape(*shape) for array in arrays)


def _finish(input, arrays, shapes):
    """Each array reshaped to its shape and cast to the dtype of ``input`` (None stays)."""
    return tuple(
        None if array is None else array.reshape(*shape).astype(input.dtype, copy=False)
        for array, shape in zip(arrays, shapes, strict=True)
    )


def _layer_norm_view(where, input, normalized_shape, weight, bias, grad_output):
    """``(xp, x, weight, bias, shape)``: input as (M, K), parameters as (1, K)."""
    backend = array_backend(where, input=input, weight=weight, bias=bias, grad_output=grad_output)
    if isinstance(normalized_shape, numbers.Integral):
        normalized_shape = (normalized_shape,)
    shape = tuple(int(size) for size in normalized_shape)
    if not shape or input.shape[input.ndim - len(shape) :] != shape or len(shape) > input.ndim:
        msg = f"{where}: input shape {input.shape} must end with normalized_shape {shape}"
        raise ArgumentError(msg)
    check_shapes(where, shape, weight=weight, bias=bias)
    if grad_output is not None:
        check_same_shape(where, "grad_output", grad_output, "input", input)
    xp = backend.xp
    dtype = compute_dtype(xp, input.dtype)
    K = math.prod(shape)
    x = input.astype(dtype, copy=False).reshape(math.prod(input.shape) // K, K)  # (M, K)
    weight, bias = _reshaped(dtype, (1, K), weight, bias)
    return xp, x, weight, bias, shape


@kernel
def layer_norm(input, normalized_shape, weight=None, bias=None, eps: float = 1e-5):
    r"""Normalise over the last ``len(normalized_shape)`` axes of each sample.

    ``y = (x - mean) / sqrt(var + eps) * weight + bias`` with the biased variance over the
    normalised axes; ``weight`` and ``bias`` are element-wise over ``normalized_shape``.

    Args:
        input: array of shape (*, *normalized_shape).
        normalized_shape: int or tuple, the trailing shape to normalise over.
        weight: array of shape ``normalized_shape``, or ``None`` for 1. Default: ``None``.
        bias: array of shape ``normalized_shape``, or ``None`` for 0. Default: ``None``.
        eps: added to the variance inside the square root. Default: 1e-5.

    Returns:
        Array of the shape and dtype of ``input``.

    Raises:
        ValueError: if ``input`` does not end with ``normalized_shape``, or a parameter has
            another shape.

    Example:
        >>> layer_norm(xp.asarray([[1.0, 3.0], [2.0, 2.0]]), 2)
        array([[-0.999995,  0.999995],
               [ 0.      ,  0.      ]])
    """
    xp, x, weight, bias, _ = _layer_norm_view(
        "layer_norm", input, normalized_shape, weight, bias, None
    )
    output = affine_norm(xp, x, (1,), eps, weight, bias)
    return output.reshape(*input.shape).astype(input.dtype, copy=False)


@kernel
def layer_norm_backward(
    grad_output, input, normalized_shape, weight=None, bias=None, eps: float = 1e-5
):
    """Gradients of :func:`layer_norm`: ``(grad_input, grad_weight, grad_bias)``.

    Closed form through the per-sample statistics (see ``normalize_backward``);
    ``grad_weight = sum(grad_output * x_hat)`` and ``grad_bias = sum(grad_output)`` over the
    leading axes; ``None`` where weight or bias is.
    """
    xp, x, weight, bias, shape = _layer_norm_view(
        "layer_norm_backward", input, normalized_shape, weight, bias, grad_output
    )
    grad = grad_output.astype(x.dtype, copy=False).reshape(*x.shape)
    grads = affine_norm(xp, x, (1,), eps, weight, bias, grad, param_axes=(0,))
    return _finish(input, grads, (input.shape, shape, shape))


def _group_norm_view(where, input, num_groups, weight, bias, grad_output):
    """``(xp, x, weight, bias)``: input as (N, G, C/G, S), parameters as (1, G, C/G, 1)."""
    backend = array_backend(where, input=input, weight=weight, bias=bias, grad_output=grad_output)
    check_ndim(where, "input", input, (2, 3, 4, 5), "(N, C, *)")
    N, C = input.shape[:2]
    if not isinstance(num_groups, numbers.Integral) or num_groups < 1 or C % num_groups:
        msg = f"{where}: num_groups must be a positive divisor of C={C}, got {num_groups!r}"
        raise ArgumentError(msg)
    check_shapes(where, (C,), weight=weight, bias=bias)
    if grad_output is not None:
        check_same_shape(where, "grad_output", grad_output, "input", input)
    xp = backend.xp
    dtype = compute_dtype(xp, input.dtype)
    G = int(num_groups)
    x = input.astype(dtype, copy=False).reshape(N, G, C // G, math.prod(input.shape[2:]))
    weight, bias = _reshaped(dtype, (1, G, C // G, 1), weight, bias)
    return xp, x, weight, bias


@kernel
def group_norm(input, num_groups: int, weight=None, bias=None, eps: float = 1e-5):
    r"""Normalise each group of ``C / num_groups`` channels of each sample.

    Statistics are taken over the group's channels and all spatial positions; ``weight`` and
    ``bias`` are per channel. See Wu & He, "Group Normalization" (2018).

    Args:
        input: array of shape (N, C, *).
        num_groups: number of groups G; must divide C.
        weight: (C,) scale, or ``None`` for 1. Default: ``None``.
        bias: (C,) shift, or ``None`` for 0. Default: ``None``.
        eps: added to the variance inside the square root. Default: 1e-5.

    Returns:
        Array of the shape and dtype of ``input``.

    Raises:
        ValueError: a bad input rank, ``num_groups`` not dividing C, or a bad parameter shape.

    Example:
        >>> group_norm(xp.asarray([[1.0, 3.0, 5.0, 5.0]]), 2)
        array([[-0.999995,  0.999995,  0.      ,  0.      ]])
    """
    xp, x, weight, bias = _group_norm_view("group_norm", input, num_groups, weight, bias, None)
    output = affine_norm(xp, x, (2, 3), eps, weight, bias)
    return output.reshape(*input.shape).astype(input.dtype, copy=False)


@kernel
def group_norm_backward(
    grad_output, input, num_groups: int, weight=None, bias=None, eps: float = 1e-5
):
    """Gradients of :func:`group_norm`: ``(grad_input, grad_weight, grad_bias)``.

    Closed form through the per-group statistics (see ``normalize_backward``); the weight
    and bias gradients sum over N and the spatial axes.
    """
    xp, x, weight, bias = _group_norm_view(
        "group_norm_backward", input, num_groups, weight, bias, grad_output
    )
    grad = grad_output.astype(x.dtype, copy=False).reshape(*x.shape)
    grads = affine_norm(xp, x, (2, 3), eps, weight, bias, grad, param_axes=(0, 3))
    C = input.shape[1]
    return _finish(input, grads, (input.shape, (C,), (C,)))
