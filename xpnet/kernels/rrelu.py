"""The randomized leaky ReLU (``rrelu``) and its backward function.

In training every element at or below 0 gets its own slope drawn from U(lower, upper), from
the backend's dropout generator in :mod:`xpnet._random` (seeded by :func:`xpnet.manual_seed`);
the slopes are the mask that the backward needs. In evaluation the slope is
``(lower + upper) / 2``: :func:`.activation.leaky_relu`'s arithmetic. The other activations
are :mod:`.activation` and its neighbours; :func:`xpnet.nn.functional.rrelu` lifts this pair.
"""

from __future__ import annotations

import math

from .. import _random
from ._activation_math import convert_number
from ._checks import (
    ArgumentError,
    array_backend,
    check_saved,
    elementwise_input,
    kernel,
)

__all__ = ["rrelu", "rrelu_backward"]


def _check_bounds(where, lower, upper, dtype):
    """As PyTorch: numbers, finite, within ``dtype``'s range (the compute dtype), in order."""
    for name, bound in (("lower", lower), ("upper", upper)):
        convert_number(where, name, bound, dtype)
        if not math.isfinite(bound):
            raise ArgumentError(f"{where}: {name} bound must be finite, got {bound!r}")
    if lower > upper:
        msg = (
            f"{where}: the lower bound should be less than or equal to the upper bound, "
            f"got lower={lower!r}, upper={upper!r}"
        )
        raise ArgumentError(msg)


@kernel
def rrelu(
    input,
    lower: float = 1.0 / 8,
    upper: float = 1.0 / 3,
    training: bool = False,
    inplace: bool = False,
    *,
    return_mask: bool = False,
):
    r"""Randomized leaky ReLU: ``input`` where positive, ``a * input`` elsewhere.

    In training, ``a`` is drawn for every element from U(``lower``, ``upper``) (as PyTorch,
    ``u * (upper - lower) + lower`` in float64, rounded to the input's compute dtype); a NaN
    input keeps slope 1, as PyTorch's ``input <= 0`` test. In evaluation ``a = (lower +
    upper) / 2`` for every element. The draws come from the backend's dropout generator
    (see :func:`xpnet.manual_seed`), so they are not PyTorch's numbers.

    Args:
        input: array of any shape.
        lower: lower bound of the slopes. Default: 1/8.
        upper: upper bound of the slopes. Default: 1/3.
        training: draw the slopes; else use their mean. Default: ``False``.
        inplace: write the result into ``input``. Default: ``False``.
        return_mask: also return the slope of every element (1 where ``input > 0`` or NaN),
            in the input's dtype, which :func:`rrelu_backward` needs in training (``None``
            in evaluation). Default: ``False``.

    Shape:
        - Input: (*). Output: (*), the same shape.

    Returns:
        Array of the shape and dtype of ``input`` (or ``(output, mask)``).

    Raises:
        ValueError: if ``lower > upper``, or a bound is not finite or beyond the range of the
            input's compute dtype (PyTorch's RuntimeError; also one).
        TypeError: ``lower`` or ``upper`` not a number; ``input`` not a floating-point array.

    Example:
        >>> rrelu(xp.asarray([-2.0, 3.0]), 0.1, 0.3)
        array([-0.4,  3. ])
    """
    where = "rrelu"
    xp, x = elementwise_input(where, input)
    _check_bounds(where, lower, upper, x.dtype)
    if training:
        draws = _random.dropout_generator(array_backend(where, input=input)).random(input.shape)
        slopes = xp.where(x <= 0, (draws * (upper - lower) + lower).astype(x.dtype), 1.0)
        output = x * slopes
        mask = slopes.astype(input.dtype)  # PyTorch's noise tensor, in the input's dtype
    else:
        output, mask = xp.where(x > 0, x, x * ((lower + upper) / 2)), None
    output = xp.asarray(output).astype(input.dtype)
    if inplace:
        input[...] = output
        output = input
    return (output, mask) if return_mask else output


@kernel
def rrelu_backward(
    grad_output,
    input,
    lower: float = 1.0 / 8,
    upper: float = 1.0 / 3,
    training: bool = False,
    inplace: bool = False,
    *,
    mask=None,
):
    """Gradient of :func:`rrelu`: ``grad_output * mask`` in training (the forward's slopes),
    else ``grad_output`` where ``input > 0`` and ``(lower + upper) / 2`` times it elsewhere
    (at 0 and NaN too, as PyTorch's ``leaky_relu_backward``).

    Raises:
        ValueError: ``mask`` missing in training, or of another shape than ``input``;
            ``grad_output`` of another shape; ``lower > upper``.
        TypeError: ``mask`` or ``grad_output`` of another dtype than ``input``.
    """
    where = "rrelu_backward"
    xp, x = elementwise_input(where, input, grad_output, backward=True)
    _check_bounds(where, lower, upper, x.dtype)
    if not training:
        slope = (lower + upper) / 2
        return xp.asarray(xp.where(x > 0, grad_output, grad_output * slope)).astype(input.dtype)
    if mask is None:
        msg = (
            f"{where}: mask (the slopes from rrelu(..., return_mask=True)) is required in "
            "training, got mask=None"
        )
        raise ArgumentError(msg)
    array_backend(where, input=input, mask=mask)
    check_saved(where, "mask", mask, input.shape, (input.dtype,), of="input")
    return xp.asarray(grad_output * mask).astype(input.dtype)
