"""Layer normalisation and its closed-form backward function.

The input ``(*, *normalized_shape)`` is viewed as (M, K) and normalised over its last axis
with the stable moments of :mod:`._normalize`; ``weight`` and ``bias`` are element-wise over
``normalized_shape``. Neighbours: :mod:`.group_norm`, :mod:`.batch_norm`.
"""

from __future__ import annotations

import math
import numbers

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
from ._normalize import (
    affine_norm,
    check_input_copies_fit,
    finished_gradients,
    reshaped_parameters,
)

__all__ = ["layer_norm", "layer_norm_backward"]


def normalized_shape_tuple(where, normalized_shape):
    """``normalized_shape`` as a tuple of ints: an int or a sequence of ints, as PyTorch
    (a float, even ``4.0``, or a bool is a TypeError)."""
    items = (normalized_shape,) if isinstance(normalized_shape, numbers.Number) else None
    if items is None:
        try:
            items = tuple(normalized_shape)
        except TypeError:
            items = (normalized_shape,)
    if not all(isinstance(v, numbers.Integral) and not isinstance(v, bool) for v in items):
        msg = (
            f"{where}: normalized_shape must be an int or a tuple of ints, got {normalized_shape!r}"
        )
        raise TypeError(msg)
    return tuple(int(size) for size in items)


def check_eps(where, eps):
    """TypeError unless ``eps`` is a real number or a 0-d real array (PyTorch takes a 0-d
    tensor where it wants a float): a string or ``None`` would fail inside NumPy's add, in a
    message that names neither the function nor the argument."""
    if getattr(eps, "ndim", None) == 0 and getattr(eps.dtype, "kind", "") in "fiu":
        return
    check_number(where, "eps", eps)


def _layer_norm_view(where, input, normalized_shape, weight, bias, eps, grad_output):
    """``(xp, x, weight, bias, shape)``: input as (M, K), parameters as (1, K)."""
    require_arrays(where, input=input)
    backend = array_backend(where, input=input, weight=weight, bias=bias, grad_output=grad_output)
    shape = normalized_shape_tuple(where, normalized_shape)
    if not shape or input.shape[input.ndim - len(shape) :] != shape or len(shape) > input.ndim:
        msg = f"{where}: input shape {input.shape} must end with normalized_shape {shape}"
        raise ArgumentError(msg)
    check_shapes(where, shape, weight=weight, bias=bias)
    check_eps(where, eps)
    if where.endswith("_backward"):
        check_grad_output(where, grad_output, input.shape, input.dtype, of="input")
    xp = backend.xp
    dtype = compute_dtype(xp, input.dtype)
    check_input_copies_fit(where, backend, input, dtype)
    K = math.prod(shape)
    # M from the leading axes, not size // K: K is 0 for an empty normalized_shape axis
    M = math.prod(input.shape[: input.ndim - len(shape)])
    x = input.astype(dtype, copy=False).reshape(M, K)
    weight, bias = reshaped_parameters(dtype, (1, K), weight, bias)
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
        TypeError: a non-int ``normalized_shape`` or a non-number ``eps``.

    Example:
        >>> layer_norm(xp.asarray([[1.0, 3.0], [2.0, 2.0]]), 2)
        array([[-0.999995,  0.999995],
               [ 0.      ,  0.      ]])
    """
    xp, x, weight, bias, _ = _layer_norm_view(
        "layer_norm", input, normalized_shape, weight, bias, eps, None
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
        "layer_norm_backward", input, normalized_shape, weight, bias, eps, grad_output
    )
    grad = grad_output.astype(x.dtype, copy=False).reshape(*x.shape)
    grads = affine_norm(xp, x, (1,), eps, weight, bias, grad, param_axes=(0,))
    return finished_gradients(input, grads, (input.shape, shape, shape))
