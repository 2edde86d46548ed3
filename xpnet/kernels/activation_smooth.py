"""Smooth element-wise activations (softplus, mish, selu, celu, logsigmoid, softsign,
tanhshrink) and their backward functions.

The neighbours: :mod:`.activation` holds relu, elu, gelu, sigmoid, tanh and the other
activations with kinks. The formulas are those of PyTorch's vectorised CPU kernels (ATen's
``native/cpu/Activation.cpp``) or, for the composite ops (softsign, tanhshrink), of the
autograd of their composition, so NaN and inf inputs reach the outputs PyTorch's reach:
NaN gives NaN, forward and backward; ``mish(-inf)`` and ``softsign(+-inf)`` are NaN as in
PyTorch. Exponentials are taken of non-positive arguments only (or of a branch that is
used), so inputs of +-1e3 neither overflow nor warn. float16 computes in float32 and rounds
once.
"""

from __future__ import annotations

import math
import struct

from ._activation_math import convert_number, finish, stable_sigmoid, stable_softplus
from ._checks import ArgumentError, elementwise_input, kernel

__all__ = [
    "celu",
    "celu_backward",
    "logsigmoid",
    "logsigmoid_backward",
    "mish",
    "mish_backward",
    "selu",
    "selu_backward",
    "softplus",
    "softplus_backward",
    "softsign",
    "softsign_backward",
    "tanhshrink",
    "tanhshrink_backward",
]

# torch.nn.SELU's constants (Klambauer et al. 2017, "Self-Normalizing Neural Networks")
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def _elu(xp, x, alpha, scale, input_scale, backward=False):
    """PyTorch's elu kernel, which selu and celu call: ``scale * x`` where ``x > 0``, else
    ``alpha * scale * expm1(input_scale * x)``; with ``backward`` its derivative, where
    ``x <= 0`` and NaN take the exponential branch, as PyTorch's ``blendv(..., x > 0)``. In
    the forward +-0.0 give ``scale * x``, as PyTorch's (for any ``alpha``, inf and NaN too)."""
    # x where it is not positive (signed zeros and NaN kept), 0 elsewhere: the unused branch
    # must not overflow at x = 1e3
    negative = xp.where(x > 0, 0.0, x)
    if backward:
        exponential = (input_scale * alpha * scale) * xp.exp(negative * input_scale)
        return xp.where(x > 0, scale, exponential)
    # x < 0 in the forward: +-0.0 give +-0.0 (not expm1(0) * alpha, NaN for alpha = inf or NaN)
    return xp.where(x < 0, xp.expm1(negative * input_scale) * (alpha * scale), x * scale)


@kernel
def softplus(input, beta: float = 1.0, threshold: float = 20.0):
    r"""``log(1 + exp(beta * input)) / beta``, and ``input`` itself where
    ``beta * input > threshold`` (PyTorch's switch to the linear function).

    Args:
        input: array of any shape.
        beta: the sharpness. Default: 1.
        threshold: above this ``beta * input`` the result is ``input``. Default: 20.

    Returns:
        Array of the shape and dtype of ``input``.

    Raises:
        TypeError: if ``beta`` or ``threshold`` is not a number.
        ValueError: if one of them is beyond the range of input's compute dtype, as PyTorch.

    Note:
        Below the threshold xpnet evaluates ``max(z, 0) + log1p(exp(-|z|))``: with a threshold
        above ~88 (float32) or ~709 (float64) PyTorch's ``log1p(exp(z))`` overflows to inf
        (and its gradient to NaN) where xpnet stays finite and exact.

    Example:
        >>> softplus(xp.asarray([-1000.0, 0.0, 1.0, 1000.0]))
        array([0.00000000e+00, 6.93147181e-01, 1.31326169e+00, 1.00000000e+03])
    """
    xp, x = elementwise_input("softplus", input)
    # refused beyond the compute dtype's range (float32 for float16), as PyTorch
    convert_number("softplus", "beta", beta, x.dtype)
    convert_number("softplus", "threshold", threshold, x.dtype)
    z = x * beta
    return finish(xp, input, xp.where(z > threshold, x, stable_softplus(xp, z) / beta))


@kernel
def softplus_backward(grad_output, input, beta: float = 1.0, threshold: float = 20.0):
    """Gradient of :func:`softplus`: ``sigmoid(beta * input)``, and 1 above the threshold."""
    xp, x = elementwise_input("softplus_backward", input, grad_output, backward=True)
    convert_number("softplus_backward", "beta", beta, x.dtype)
    convert_number("softplus_backward", "threshold", threshold, x.dtype)
    z = x * beta
    return finish(
        xp, grad_output, xp.where(z > threshold, grad_output, grad_output * stable_sigmoid(xp, z))
    )


@kernel
def mish(input, inplace: bool = False):
    """Mish: ``input * tanh(softplus(input))`` (Misra 2019).

    Args:
        input: array of any shape.
        inplace: write the result into ``input``. Default: ``False``.

    Example:
        >>> mish(xp.asarray([-1000.0, 0.0, 1.0, 1000.0]))
        array([-0.00000000e+00,  0.00000000e+00,  8.65098388e-01,  1.00000000e+03])
    """
    xp, x = elementwise_input("mish", input)
    return finish(xp, input, x * xp.tanh(stable_softplus(xp, x)), inplace)


@kernel
def mish_backward(grad_output, input, inplace: bool = False):
    """Gradient of :func:`mish`: ``t + x * sigmoid(x) * (1 - t^2)``, ``t = tanh(softplus(x))``."""
    xp, x = elementwise_input("mish_backward", input, grad_output, backward=True)
    t = xp.tanh(stable_softplus(xp, x))
    return finish(xp, grad_output, grad_output * (t + x * stable_sigmoid(xp, x) * (1.0 - t * t)))


@kernel
def selu(input, inplace: bool = False):
    """Scaled ELU: ``scale * (max(0, x) + min(0, alpha * (exp(x) - 1)))``.

    ``alpha = 1.6732632423543772848170429916717`` and
    ``scale = 1.0507009873554804934193349852946``, PyTorch's constants.

    Args:
        input: array of any shape.
        inplace: write the result into ``input``. Default: ``False``.

    Example:
        >>> selu(xp.asarray([-1000.0, 0.0, 1.0]))
        array([-1.75809934,  0.        ,  1.05070099])
    """
    xp, x = elementwise_input("selu", input)
    return finish(xp, input, _elu(xp, x, SELU_ALPHA, SELU_SCALE, 1.0), inplace)


@kernel
def selu_backward(grad_output, input, inplace: bool = False):
    """Gradient of :func:`selu`: ``scale`` where ``input > 0``, else ``alpha * scale *
    exp(input)`` (also at 0, as PyTorch; NaN at NaN)."""
    xp, x = elementwise_input("selu_backward", input, grad_output, backward=True)
    slope = _elu(xp, x, SELU_ALPHA, SELU_SCALE, 1.0, backward=True)
    return finish(xp, grad_output, grad_output * slope)


def _check_alpha(where, alpha, dtype):
    convert_number(where, "alpha", alpha, dtype)  # refused beyond dtype's range, as PyTorch
    if alpha == 0:
        msg = f"{where}: alpha cannot be 0 (it divides the input), got alpha={alpha!r}"
        raise ArgumentError(msg)


@kernel
def celu(input, alpha: float = 1.0, inplace: bool = False):
    """Continuously differentiable ELU: ``max(0, x) + min(0, alpha * (exp(x / alpha) - 1))``.

    Args:
        input: array of any shape.
        alpha: the saturation value for large negative inputs is ``-alpha``. Default: 1.
        inplace: write the result into ``input``. Default: ``False``.

    Raises:
        ValueError: if ``alpha`` is 0 (a RuntimeError too, as PyTorch's) or beyond the range
            of input's compute dtype.
        TypeError: if ``alpha`` is not a number.

    Example:
        >>> celu(xp.asarray([-1000.0, -1.0, 2.0]), alpha=0.5)
        array([-0.5       , -0.43233236,  2.        ])
    """
    xp, x = elementwise_input("celu", input)
    _check_alpha("celu", alpha, x.dtype)
    return finish(xp, input, _elu(xp, x, alpha, 1.0, 1.0 / alpha), inplace)


@kernel
def celu_backward(grad_output, input, alpha: float = 1.0, inplace: bool = False):
    """Gradient of :func:`celu`: 1 where ``input > 0``, else ``exp(input / alpha)``.

    Note:
        As PyTorch's autograd (``derivatives.yaml``: ``1.0 / alpha.toFloat()``), the
        exponent divides by ``alpha`` rounded to float32, also for float64 inputs: for an
        ``alpha`` such as 0.3 the gradient is ~5e-7 (relative) from the exact derivative, as
        PyTorch's is. ``alpha`` beyond float32's range is refused, as PyTorch's backward does.
    """
    xp, x = elementwise_input("celu_backward", input, grad_output, backward=True)
    _check_alpha("celu_backward", alpha, x.dtype)
    rounded = struct.unpack("f", struct.pack("f", alpha))[0]  # alpha in float32
    if math.isinf(rounded) and not math.isinf(alpha):
        msg = f"celu_backward: alpha must be within float32's range, got alpha={alpha!r}"
        raise ArgumentError(msg)
    input_scale = math.copysign(math.inf, alpha) if rounded == 0 else 1.0 / rounded
    slope = _elu(xp, x, alpha, 1.0, input_scale, backward=True)
    return finish(xp, grad_output, grad_output * slope)


@kernel
def logsigmoid(input):
    """``log(sigmoid(input)) = min(input, 0) - log1p(exp(-|input|))``, exact at any size.

    Example:
        >>> logsigmoid(xp.asarray([-1000.0, 0.0, 1000.0]))
        array([-1.00000000e+03, -6.93147181e-01,  0.00000000e+00])
    """
    xp, x = elementwise_input("logsigmoid", input)
    return finish(xp, input, xp.minimum(x, 0.0) - xp.log1p(xp.exp(-xp.abs(x))))


@kernel
def logsigmoid_backward(grad_output, input):
    """Gradient of :func:`logsigmoid`: ``sigmoid(-input)``, from ``exp(-|input|)`` as
    PyTorch's kernel."""
    xp, x = elementwise_input("logsigmoid_backward", input, grad_output, backward=True)
    e = xp.exp(-xp.abs(x))
    fraction = e / (1.0 + e)
    return finish(xp, grad_output, grad_output * xp.where(x < 0, 1.0 - fraction, fraction))


@kernel
def softsign(input):
    """``input / (1 + |input|)``; NaN at +-inf, as PyTorch's ``input / (input.abs() + 1)``.

    Example:
        >>> softsign(xp.asarray([-3.0, 0.0, 1.0]))
        array([-0.75,  0.  ,  0.5 ])
    """
    xp, x = elementwise_input("softsign", input)
    return finish(xp, input, x / (xp.abs(x) + 1.0))


@kernel
def softsign_backward(grad_output, input):
    """Gradient of :func:`softsign`: ``1 / d - (|x| / d) / d`` with ``d = 1 + |x|``, the two
    terms of PyTorch's autograd of ``x / d`` (NaN at +-inf, as PyTorch's)."""
    xp, x = elementwise_input("softsign_backward", input, grad_output, backward=True)
    magnitude = xp.abs(x)
    d = magnitude + 1.0
    return finish(xp, grad_output, grad_output / d - grad_output * (magnitude / d / d))


@kernel
def tanhshrink(input):
    """``input - tanh(input)``.

    Example:
        >>> tanhshrink(xp.asarray([-1000.0, 0.0, 1.0]))
        array([-9.99000000e+02,  0.00000000e+00,  2.38405844e-01])
    """
    xp, x = elementwise_input("tanhshrink", input)
    return finish(xp, input, x - xp.tanh(x))


@kernel
def tanhshrink_backward(grad_output, input):
    """Gradient of :func:`tanhshrink`: ``tanh(input)^2`` (PyTorch's ``1 - (1 - t^2)``, without
    its cancellation near 0)."""
    xp, x = elementwise_input("tanhshrink_backward", input, grad_output, backward=True)
    t = xp.tanh(x)
    return finish(xp, grad_output, grad_output * (t * t))
