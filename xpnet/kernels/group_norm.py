"""Group normalisation and its closed-form backward function.

The input ``(N, C, *)`` is viewed as (N, G, C/G, S), ``S`` the product of the spatial sizes,
and normalised over (2, 3) with the stable moments of :mod:`._normalize`; ``weight`` and
``bias`` are per channel. Neighbours: :mod:`.layer_norm`, :mod:`.batch_norm`.
"""

from __future__ import annotations

import math

from ._blocks import compute_dtype
from ._checks import (
    ArgumentError,
    array_backend,
    as_index,
    check_grad_output,
    check_ndim,
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
from .layer_norm import check_eps

__all__ = ["group_norm", "group_norm_backward"]


def _group_norm_view(where, input, num_groups, weight, bias, eps, grad_output):
    """``(xp, x, weight, bias)``: input as (N, G, C/G, S), parameters as (1, G, C/G, 1)."""
    require_arrays(where, input=input)
    backend = array_backend(where, input=input, weight=weight, bias=bias, grad_output=grad_output)
    check_ndim(where, "input", input, (2, 3, 4, 5), "(N, C, *)")
    N, C = input.shape[:2]
    G = as_index(num_groups)  # an int, or a one-element integer tensor, as PyTorch
    if G is None:
        msg = f"{where}: num_groups must be an int, got {type(num_groups).__name__} {num_groups!r}"
        raise TypeError(msg)
    if G < 1 or C % G:
        msg = f"{where}: num_groups must be a positive divisor of C={C}, got {num_groups!r}"
        raise ArgumentError(msg)
    check_shapes(where, (C,), weight=weight, bias=bias)
    check_eps(where, eps)
    # torch.nn.functional.group_norm's _verify_batch_size: the (N * C / G, G, *spatial) view
    # must hold more than one value per "channel" G (a quirk, kept so the same calls fail)
    view = [N * C // G, G, *input.shape[2:]]
    if not where.endswith("_backward") and math.prod(view) // G == 1:
        msg = (
            f"{where}: expected more than 1 value per channel when training, got input size {view}"
        )
        raise ArgumentError(msg)
    if where.endswith("_backward"):
        check_grad_output(where, grad_output, input.shape, input.dtype, of="input")
    xp = backend.xp
    dtype = compute_dtype(xp, input.dtype)
    check_input_copies_fit(where, backend, input, dtype)
    x = input.astype(dtype, copy=False).reshape(N, G, C // G, math.prod(input.shape[2:]))
    weight, bias = reshaped_parameters(dtype, (1, G, C // G, 1), weight, bias)
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
        ValueError: a bad input rank, ``num_groups`` not dividing C, a bad parameter shape,
            or one value per group's statistics in all (``N * C / num_groups * prod(*) == 1``,
            as PyTorch's ``_verify_batch_size``).
        TypeError: a non-int ``num_groups`` or a non-number ``eps``.

    Example:
        >>> group_norm(xp.asarray([[1.0, 3.0, 5.0, 5.0]]), 2)
        array([[-0.999995,  0.999995,  0.      ,  0.      ]])
    """
    xp, x, weight, bias = _group_norm_view("group_norm", input, num_groups, weight, bias, eps, None)
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
        "group_norm_backward", input, num_groups, weight, bias, eps, grad_output
    )
    grad = grad_output.astype(x.dtype, copy=False).reshape(*x.shape)
    grads = affine_norm(xp, x, (2, 3), eps, weight, bias, grad, param_axes=(0, 3))
    C = input.shape[1]
    return finished_gradients(input, grads, (input.shape, (C,), (C,)))
