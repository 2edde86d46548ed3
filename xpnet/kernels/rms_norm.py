"""Root mean square layer normalisation and its closed-form backward function.

The input ``(*, *normalized_shape)`` is viewed as (M, K) and each row divided by its root
mean square, ``y = x / sqrt(mean(x^2) + eps) * weight`` (Zhang & Sennrich 2019). The mean of
the squares is summed in float64 for every input dtype: it has no cancellation to fear, but a
float32 square overflows above 1.8e19 and underflows below 1e-19, where float64 holds every
float32 square exactly. Neighbours: :mod:`.layer_norm` (which also parses
``normalized_shape``), :mod:`._normalize`.
"""

from __future__ import annotations

import math

import numpy

from ._blocks import compute_dtype
from ._checks import (
    ArgumentError,
    array_backend,
    check_grad_output,
    check_number,
    check_shapes,
    kernel,
    require_arrays,
)
from ._normalize import check_input_copies_fit, finished_gradients, reshaped_parameters
from .layer_norm import normalized_shape_tuple

__all__ = ["rms_norm", "rms_norm_backward"]


def _rms_norm_view(where, input, normalized_shape, weight, eps, grad_output, copies):
    """``(xp, x, weight, eps, shape)``: input as (M, K) in its compute dtype, weight as
    (1, K), and the ``eps`` to use (``None``: the compute dtype's machine epsilon)."""
    require_arrays(where, input=input)
    backend = array_backend(where, input=input, weight=weight, grad_output=grad_output)
    shape = normalized_shape_tuple(where, normalized_shape)
    if not shape or len(shape) > input.ndim or input.shape[input.ndim - len(shape) :] != shape:
        msg = (
            f"{where}: input shape {input.shape} must end with normalized_shape {shape} "
            f"(at least one dimension)"
        )
        raise ArgumentError(msg)
    check_shapes(where, shape, weight=weight)
    if eps is not None:
        check_number(where, "eps", eps)
    if where.endswith("_backward"):
        check_grad_output(where, grad_output, input.shape, input.dtype, of="input")
    xp = backend.xp
    dtype = compute_dtype(xp, input.dtype)
    check_input_copies_fit(where, backend, input, dtype, copies)
    # PyTorch: the machine epsilon of the opmath type, float32 for float16 inputs
    eps = float(numpy.finfo(dtype).eps) if eps is None else float(eps)
    K = math.prod(shape)
    x = input.astype(dtype, copy=False).reshape(math.prod(input.shape) // max(K, 1), K)  # (M, K)
    (weight,) = reshaped_parameters(dtype, (1, K), weight)
    return xp, x, weight, eps, shape


def _inv_rms(xp, x, eps):
    """``1 / sqrt(mean(x^2) + eps)`` of each row of ``x`` (M, K): (M, 1), float64."""
    wide = x.astype(xp.float64, copy=False)
    mean_square = xp.einsum("mk,mk->m", wide, wide)[:, None] / max(x.shape[1], 1)
    return 1.0 / xp.sqrt(mean_square + eps)


@kernel
def rms_norm(input, normalized_shape, weight=None, eps: float | None = None):
    r"""Divide each sample by its root mean square over the last ``len(normalized_shape)``
    axes: ``y = x / sqrt(mean(x^2) + eps) * weight``.

    See :class:`xpnet.nn.RMSNorm`.

    Args:
        input: array of shape (*, *normalized_shape).
        normalized_shape: int or tuple, the trailing shape to normalise over.
        weight: array of shape ``normalized_shape``, or ``None`` for 1. Default: ``None``.
        eps: added to the mean square inside the square root; ``None`` for the machine
            epsilon of the compute dtype, as PyTorch: ``finfo(float32).eps`` for float16 and
            float32 inputs, ``finfo(float64).eps`` for float64. Default: ``None``.

    Returns:
        Array of the shape and dtype of ``input`` (float16 computes in float32 and rounds
        once).

    Raises:
        ValueError: if ``input`` does not end with ``normalized_shape`` or ``weight`` has
            another shape.
        TypeError: for a non-float input or weight, a non-int ``normalized_shape`` or a
            non-number ``eps``.

    Note:
        The mean square is summed in float64: a float32 row of values near 1e20 or 1e-25
        normalises to its exact result, where PyTorch's float32 squares overflow (giving 0)
        or underflow (giving inf).

    Example:
        >>> rms_norm(xp.asarray([[3.0, 4.0], [1.0, -1.0]]), 2, eps=0.0)
        array([[ 0.84852814,  1.13137085],
               [ 1.        , -1.        ]])
    """
    xp, x, weight, eps, _ = _rms_norm_view(
        "rms_norm", input, normalized_shape, weight, eps, None, copies=3
    )
    output = x * _inv_rms(xp, x, eps).astype(x.dtype)
    if weight is not None:
        output *= weight
    return output.reshape(input.shape).astype(input.dtype, copy=False)


@kernel
def rms_norm_backward(grad_output, input, normalized_shape, weight=None, eps: float | None = None):
    """Gradients of :func:`rms_norm`: ``(grad_input, grad_weight)``, ``grad_weight`` ``None``
    where ``weight`` is.

    With ``r = 1 / sqrt(mean(x^2) + eps)``, ``x_hat = x * r`` and ``g = grad_output * weight``:
    ``grad_input = r * (g - x_hat * mean(g * x_hat))`` per row, and ``grad_weight =
    sum(grad_output * x_hat)`` over the leading axes (both sums in float64).
    """
    xp, x, weight, eps, shape = _rms_norm_view(
        "rms_norm_backward", input, normalized_shape, weight, eps, grad_output, copies=5
    )
    grad = grad_output.astype(x.dtype, copy=False).reshape(x.shape)
    inv_rms = _inv_rms(xp, x, eps).astype(x.dtype)
    normalized = x * inv_rms  # x_hat (M, K)
    grad_weight = None
    if weight is not None:
        grad_weight = xp.sum(grad * normalized, axis=0, dtype=xp.float64)
        grad = grad * weight
    count = max(x.shape[1], 1)
    projection = xp.sum(grad * normalized, axis=1, keepdims=True, dtype=xp.float64) / count
    grad_input = normalized
    grad_input *= -projection.astype(x.dtype)
    grad_input += grad
    grad_input *= inv_rms
    return finished_gradients(input, (grad_input, grad_weight), (input.shape, shape))
