"""Piecewise activations (hardswish, hardsigmoid, threshold, the shrinks), PReLU, GLU and softmin.

The neighbours of :mod:`xpnet.kernels.activation`, with its conventions: PyTorch's derivative
at every kink, and at NaN inputs the results of PyTorch's vectorised CPU kernels (its scalar
loop for the last few elements of a tensor differs there): the gradient at a NaN input is NaN
for hardswish, 0 for hardsigmoid and the shrinks, ``grad_output`` for threshold, and
``weight * grad_output`` for prelu. float16 computes in float32 and rounds once. A number
argument is converted as PyTorch converts it: rounded to the input's dtype where PyTorch does
(float32 for float16 inputs where it computes in float32), and refused where that overflows.
:func:`softmin` is :func:`xpnet.kernels.softmax` of ``-input``.
"""

from __future__ import annotations

from ._activation_math import FLOAT_MAX, convert_number, finish
from ._checks import (
    ArgumentError,
    array_backend,
    check_axis,
    check_grad_output,
    check_int,
    check_number,
    elementwise_input,
    kernel,
    require_arrays,
)
from .activation import sigmoid
from .softmax import softmax, softmax_backward

__all__ = [
    "glu",
    "glu_backward",
    "hardshrink",
    "hardshrink_backward",
    "hardsigmoid",
    "hardsigmoid_backward",
    "hardswish",
    "hardswish_backward",
    "prelu",
    "prelu_backward",
    "softmin",
    "softmin_backward",
    "softshrink",
    "softshrink_backward",
    "threshold",
    "threshold_backward",
]

# PyTorch's hardsigmoid slope is the float32 1/6 (``1.0f / 6.0f``) in every dtype, float64 too
_ONE_SIXTH_FLOAT32 = 0.1666666716337204


def _axis(where, input, dim) -> int:
    """``dim`` as an axis of ``input`` in ``[0, ndim)`` (a 0-d input takes -1 and 0)."""
    return check_axis(where, input, check_int(where, "dim", dim))


@kernel
def hardswish(input, inplace: bool = False):
    """``x * relu6(x + 3) / 6`` element-wise (Howard et al., 2019, "Searching for MobileNetV3").

    Args:
        input: array of any shape.
        inplace: write the result into ``input``. Default: ``False``.

    Returns:
        Array of the shape and dtype of ``input``; NaN at NaN and at ``-inf``, as PyTorch.

    Example:
        >>> hardswish(xp.asarray([-4.0, -1.0, 0.0, 1.0, 4.0]))
        array([-0.        , -0.33333333,  0.        ,  0.66666667,  4.        ])
    """
    xp, x = elementwise_input("hardswish", input)
    return finish(xp, input, x * xp.minimum(xp.maximum(x + 3.0, 0.0), 6.0) / 6.0, inplace)


@kernel
def hardswish_backward(grad_output, input, inplace: bool = False):
    """Gradient of :func:`hardswish`: 0 for ``x <= -3``, ``x / 3 + 1/2`` for ``-3 < x < 3``, 1 for
    ``x >= 3`` (PyTorch's kinks), NaN at NaN inputs."""
    xp, x = elementwise_input("hardswish_backward", input, grad_output, backward=True)
    grad = grad_output.astype(x.dtype, copy=False)
    middle = grad * (x / 3.0 + 0.5)  # NaN at a NaN input, as PyTorch's vectorised kernel
    return finish(xp, grad_output, xp.where(x <= -3.0, 0.0, xp.where(x >= 3.0, grad, middle)))


@kernel
def hardsigmoid(input, inplace: bool = False):
    """``relu6(x + 3) / 6`` element-wise: 0 below -3, 1 above 3, linear between.

    Args:
        input: array of any shape.
        inplace: write the result into ``input``. Default: ``False``.

    Example:
        >>> hardsigmoid(xp.asarray([-4.0, 0.0, 1.5, 4.0]))
        array([0.  , 0.5 , 0.75, 1.  ])
    """
    xp, x = elementwise_input("hardsigmoid", input)
    return finish(xp, input, xp.minimum(xp.maximum(x + 3.0, 0.0), 6.0) / 6.0, inplace)


@kernel
def hardsigmoid_backward(grad_output, input, inplace: bool = False):
    """Gradient of :func:`hardsigmoid`: 1/6 for ``-3 < x < 3``, else 0 (at +-3 and NaN too).

    Note:
        The slope is PyTorch's float32 ``1/6`` (0.16666667163...) in float64 too.
    """
    xp, x = elementwise_input("hardsigmoid_backward", input, grad_output, backward=True)
    inside = (x > -3.0) & (x < 3.0)
    slope = grad_output.astype(x.dtype, copy=False) * _ONE_SIXTH_FLOAT32
    return finish(xp, grad_output, xp.where(inside, slope, 0.0))


@kernel
def threshold(input, threshold: float, value: float, inplace: bool = False):
    """``value`` where ``input <= threshold``, else ``input`` (NaN inputs stay NaN).

    Args:
        input: array of any shape.
        threshold: the largest input that is replaced.
        value: what replaces it.
        inplace: write the result into ``input``. Default: ``False``.

    Raises:
        TypeError: if ``threshold`` or ``value`` is not a number.
        ValueError: if one of them overflows the dtype PyTorch converts it to.

    Example:
        >>> threshold(xp.asarray([-1.0, 0.5, 2.0]), 0.5, -7.0)
        array([-7., -7.,  2.])
    """
    xp, x = elementwise_input("threshold", input)
    # compared in the compute dtype (float32 for float16), written in input's, as PyTorch
    threshold_ = convert_number("threshold", "threshold", threshold, x.dtype)
    value_ = convert_number("threshold", "value", value, input.dtype)
    return finish(xp, input, xp.where(x <= threshold_, value_, x), inplace)


@kernel
def threshold_backward(grad_output, input, threshold: float, value: float, inplace: bool = False):
    """Gradient of :func:`threshold`: 0 where ``input <= threshold``, else ``grad_output`` (also
    at NaN inputs and with a NaN threshold)."""
    where = "threshold_backward"
    xp, x = elementwise_input(where, input, grad_output, backward=True)
    threshold_ = convert_number(where, "threshold", threshold, x.dtype)
    convert_number(where, "value", value, input.dtype)  # checked as by the forward
    return finish(xp, grad_output, xp.where(x <= threshold_, 0.0, grad_output))


@kernel
def hardshrink(input, lambd: float = 0.5):
    """``0`` where ``-lambd <= input <= lambd``, else ``input``.

    Args:
        input: array of any shape.
        lambd: the half-width of the zeroed interval (any number: PyTorch checks none).
            Default: 0.5.

    Example:
        >>> hardshrink(xp.asarray([-1.0, -0.5, 0.2, 0.7]))
        array([-1. ,  0. ,  0. ,  0.7])
    """
    xp, x = elementwise_input("hardshrink", input)
    lambd = convert_number("hardshrink", "lambd", lambd, input.dtype)  # float16 compares in float16
    return finish(xp, input, xp.where((x >= -lambd) & (x <= lambd), 0.0, x))


@kernel
def hardshrink_backward(grad_output, input, lambd: float = 0.5):
    """Gradient of :func:`hardshrink`: ``grad_output`` where ``|input| > lambd``, else 0 (at
    ``+-lambd``, at NaN inputs and with a NaN ``lambd`` too)."""
    xp, x = elementwise_input("hardshrink_backward", input, grad_output, backward=True)
    lambd = convert_number("hardshrink_backward", "lambd", lambd, input.dtype)
    return finish(xp, grad_output, xp.where((x < -lambd) | (x > lambd), grad_output, 0.0))


def _softshrink_lambd(where, input, lambd) -> float:
    """``lambd`` checked as PyTorch does: in ``[0, largest value of input's dtype]``."""
    check_number(where, "lambd", lambd)
    largest = FLOAT_MAX[input.dtype.itemsize]
    if not 0 <= lambd <= largest:  # NaN fails too
        msg = f"{where}: lambd must be in [0, {largest:g}] for input dtype {input.dtype}, "
        msg += f"got {lambd!r}"
        raise ArgumentError(msg)
    return float(lambd)


@kernel
def softshrink(input, lambd: float = 0.5):
    """``input - lambd`` above ``lambd``, ``input + lambd`` below ``-lambd``, else 0.

    Args:
        input: array of any shape.
        lambd: the half-width of the zeroed interval, at least 0. Default: 0.5.

    Raises:
        ValueError: if ``lambd`` is negative, NaN or beyond the input dtype's range.

    Example:
        >>> softshrink(xp.asarray([-1.0, 0.2, 0.75]))
        array([-0.5 ,  0.  ,  0.25])
    """
    xp, x = elementwise_input("softshrink", input)
    lambd = convert_number(
        "softshrink", "lambd", _softshrink_lambd("softshrink", input, lambd), x.dtype
    )
    shrunk = x - xp.minimum(xp.maximum(x, -lambd), lambd)  # x -+ lambd outside; NaN stays NaN
    # +0.0 inside, -0.0 too, as PyTorch's vectorised kernel (its scalar tail gives x * 0)
    return finish(xp, input, xp.where(xp.abs(x) <= lambd, 0.0, shrunk))


@kernel
def softshrink_backward(grad_output, input, lambd: float = 0.5):
    """Gradient of :func:`softshrink`: ``grad_output`` where ``|input| > lambd``, else 0 (at
    ``+-lambd`` and NaN inputs too). For float16 PyTorch compares with ``lambd`` rounded to
    float16 here, and in float32 in the forward; so does xpnet."""
    where = "softshrink_backward"
    xp, x = elementwise_input(where, input, grad_output, backward=True)
    lambd = convert_number(where, "lambd", _softshrink_lambd(where, input, lambd), input.dtype)
    return finish(xp, grad_output, xp.where((x < -lambd) | (x > lambd), grad_output, 0.0))


def _prelu_arrays(where, input, weight, grad_output=None, backward=False):
    """``(xp, x, w)``: input in the compute dtype and weight shaped to broadcast along dim 1."""
    require_arrays(where, input=input, weight=weight)
    array_backend(where, input=input, weight=weight)  # float kinds, one dtype, one backend
    xp, x = elementwise_input(where, input, grad_output, backward=backward)
    if weight.ndim > 1:
        msg = f"{where}: weight must be a scalar or 1-d array, got shape {weight.shape}"
        raise ArgumentError(msg)
    C = input.shape[1] if input.ndim >= 2 else 1
    if weight.size not in (1, C):
        msg = (
            f"{where}: weight must have 1 or C = {C} elements (C: input's dim 1, 1 for inputs "
            f"of under 2 dims), got {weight.size}"
        )
        raise ArgumentError(msg)
    w = weight.astype(x.dtype, copy=False)
    per_channel = (C,) + (1,) * (input.ndim - 2)  # (C, 1, ..., 1): broadcasts along dim 1
    return xp, x, w.reshape(() if weight.size == 1 else per_channel)


@kernel
def prelu(input, weight):
    """``input`` where positive, ``weight * input`` elsewhere, with one learned slope for all
    channels or one per channel (dim 1).

    Args:
        input: array of any shape; dim 1 holds the channels (inputs of under 2 dims: one).
        weight: 0-d or 1-d array of 1 or C elements, of input's dtype.

    Returns:
        Array of the shape and dtype of ``input``.

    Raises:
        ValueError: if weight has more than one dimension, or neither 1 nor C elements.

    Example:
        >>> prelu(xp.asarray([[-2.0, 3.0], [4.0, -1.0]]), xp.asarray([0.25, 0.5]))
        array([[-0.5,  3. ],
               [ 4. , -0.5]])
    """
    xp, x, w = _prelu_arrays("prelu", input, weight)
    return finish(xp, input, xp.where(x > 0, x, w * x))


@kernel
def prelu_backward(grad_output, input, weight):
    """Gradients of :func:`prelu`: ``(grad_input, grad_weight)``, with ``grad_input`` equal to
    ``grad_output`` where ``input > 0``, else ``weight * grad_output`` (at 0 and NaN too), and
    ``grad_weight`` the sum of ``input * grad_output`` where ``input <= 0`` (or NaN) over every
    axis but the channels', in weight's shape."""
    xp, x, w = _prelu_arrays("prelu_backward", input, weight, grad_output, backward=True)
    grad = grad_output.astype(x.dtype, copy=False)
    grad_input = xp.where(x > 0, grad, w * grad)
    contribution = xp.where(x > 0, 0.0, x * grad)
    if weight.size == 1:
        grad_weight = xp.sum(contribution)
    else:
        grad_weight = xp.sum(contribution, axis=(0, *range(2, x.ndim)))
    return finish(xp, input, grad_input), finish(xp, weight, grad_weight).reshape(weight.shape)


def _glu_halves(where, input, dim, grad_output=None, backward=False):
    """``(xp, a, b, axis)``: the two halves of input (compute dtype) along ``dim``; with
    ``backward``, grad_output must have the shape of one half."""
    xp, x = elementwise_input(where, input, grad_output)  # grad_output: backend and dtype
    axis = _axis(where, input, dim)
    if input.ndim == 0:
        msg = f"{where}: input must have at least one dimension to halve, got a 0-d array"
        raise ArgumentError(msg)
    size = input.shape[axis]
    if size % 2:
        msg = f"{where}: input's size along dim {dim} must be even, got {size} ({input.shape})"
        raise ArgumentError(msg)
    before = (slice(None),) * axis
    a, b = x[(*before, slice(0, size // 2))], x[(*before, slice(size // 2, size))]
    if backward:
        check_grad_output(where, grad_output, a.shape, input.dtype)
    return xp, a, b, axis


@kernel
def glu(input, dim: int = -1):
    """Gated linear unit: ``a * sigmoid(b)``, where ``a`` and ``b`` are the first and second
    halves of ``input`` along ``dim`` (Dauphin et al., 2017).

    Args:
        input: array with an even size along ``dim``.
        dim: the axis to split. Default: -1.

    Returns:
        Array of input's shape with the size along ``dim`` halved, and input's dtype.

    Raises:
        ValueError: if ``input`` is 0-d or the size along ``dim`` is odd.
        IndexError: if ``dim`` is not an axis of ``input`` (also a ValueError).

    Example:
        >>> glu(xp.asarray([[1.0, 2.0, 0.0, 1000.0]]))
        array([[0.5, 2. ]])
    """
    xp, a, b, _ = _glu_halves("glu", input, dim)
    return finish(xp, input, a * sigmoid(b))


@kernel
def glu_backward(grad_output, input, dim: int = -1):
    """Gradient of :func:`glu`: ``grad_output * sigmoid(b)`` for ``a`` and
    ``grad_output * a * s * (1 - s)`` for ``b``, joined along ``dim``."""
    xp, a, b, axis = _glu_halves("glu_backward", input, dim, grad_output, backward=True)
    grad = grad_output.astype(a.dtype, copy=False)
    s = sigmoid(b)
    grad_input = xp.concatenate([grad * s, grad * a * s * (1.0 - s)], axis=axis)
    return finish(xp, input, grad_input)


def _softmin_negated(where, input, dim, grad_output=None, backward=False):
    """``-input`` after softmin's own checks (so that errors name softmin, not softmax)."""
    xp, _ = elementwise_input(where, input, grad_output, backward=backward)
    _axis(where, input, dim)
    return xp, xp.asarray(-input)  # negation is exact, float16 too


@kernel
def softmin(input, dim: int):
    """``softmax(-input, dim)``: ``exp(-x) / sum(exp(-x), dim)``, stable for large inputs.

    Args:
        input: array of any shape.
        dim: the axis along which the result sums to 1.

    Raises:
        IndexError: if ``dim`` is not an axis of ``input`` (also a ValueError).

    Note:
        ``dim`` is required and there is no ``dtype``, as in :func:`xpnet.kernels.softmax`.

    Example:
        >>> softmin(xp.asarray([[1000.0, 1000.0, -1000.0]]), dim=1)
        array([[0., 0., 1.]])
    """
    _, negated = _softmin_negated("softmin", input, dim)
    return softmax(negated, dim)


@kernel
def softmin_backward(grad_output, input, dim: int):
    """Gradient of :func:`softmin`: ``-softmax_backward(grad_output, -input, dim)``."""
    xp, negated = _softmin_negated("softmin_backward", input, dim, grad_output, True)
    return xp.asarray(-softmax_backward(grad_output, negated, dim))
