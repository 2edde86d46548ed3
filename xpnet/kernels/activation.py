"""Element-wise activations and their backward functions.

Conventions follow PyTorch: at a kink the derivative is the one PyTorch uses
(``relu'(0) = 0``, ``hardtanh'(min_val) = hardtanh'(max_val) = 0``,
``leaky_relu'(0) = negative_slope``); NaN inputs give NaN outputs, and at a NaN input the
gradient follows PyTorch's vectorised CPU kernels: relu passes it, leaky_relu scales it by
``negative_slope``, hardtanh and relu6 give 0, elu and the smooth ops give NaN (PyTorch's
scalar loop for the last few elements differs there; its SIMD path is the rule for almost
every element); ``relu(-0.0)`` is ``-0.0``. Every activation
saturates without overflow at inputs of +-1e3. float16 computes in float32 and rounds once.
"""

from __future__ import annotations

import functools
import math

from ..backends import backend_of
from ..backends._base import fuse_of
from ._activation_math import convert_number, finish, stable_sigmoid
from ._blocks import elementwise, zero_where
from ._checks import ArgumentError, elementwise_input, kernel
from ._special_math import erf

__all__ = [
    "elu",
    "elu_backward",
    "gelu",
    "gelu_backward",
    "hardtanh",
    "hardtanh_backward",
    "leaky_relu",
    "leaky_relu_backward",
    "relu",
    "relu6",
    "relu6_backward",
    "relu_backward",
    "sigmoid",
    "sigmoid_backward",
    "silu",
    "silu_backward",
    "tanh",
    "tanh_backward",
]

_GELU_APPROXIMATIONS = ("none", "tanh")
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_GELU_KAPPA = 0.044715


@kernel
def relu(input, inplace: bool = False):
    """``max(input, 0)`` element-wise; keeps NaN and ``-0.0`` as PyTorch does.

    Args:
        input: array of any shape.
        inplace: write the result into ``input``. Default: ``False``.

    Returns:
        Array of the shape and dtype of ``input``.

    Example:
        >>> relu(xp.asarray([-1.0, -0.0, 2.0, xp.nan]))
        array([ 0., -0.,  2., nan])
    """
    xp, x = elementwise_input("relu", input)

    def keep_non_negative(x, out):  # zero_where, not where: ~9x faster on NumPy's blocks
        if out is None:  # one block (always on a GPU): one fused call
            return fuse_of(backend_of(x))(_relu_chains(xp)[0])(x)
        return zero_where(xp, x < 0, x, out)  # keeps NaN and -0.0

    return finish(xp, input, elementwise(backend_of(x), keep_non_negative, x.dtype, x), inplace)


@functools.cache
def _relu_chains(xp):
    """ReLU's forward and backward as ``where`` chains for :func:`xpnet.backends` ``fuse``
    (one launch each on a GPU); NaN and -0.0 inputs give what ``zero_where`` gives."""

    def forward(x):
        return xp.where(x < 0, 0, x)

    def backward(x, grad):
        return xp.where(x <= 0, 0, grad)

    return forward, backward


@kernel
def relu_backward(grad_output, input, inplace: bool = False):
    """Gradient of :func:`relu`: ``grad_output`` where ``input > 0`` or NaN, else 0.

    ``input`` is the forward's input (before an in-place forward overwrote it).
    """
    xp, x = elementwise_input("relu_backward", input, grad_output, backward=True)

    def keep_grad(x, grad, out):  # NaN inputs pass the gradient, as in PyTorch
        if out is None:
            return fuse_of(backend_of(x))(_relu_chains(xp)[1])(x, grad)
        return zero_where(xp, x <= 0, grad, out)

    return elementwise(backend_of(x), keep_grad, grad_output.dtype, x, grad_output)


def _hardtanh(where, input, min_val, max_val, inplace, grad_output=None, backward=False):
    """hardtanh (and relu6) forward, or with ``backward`` the gradient for ``grad_output``;
    ``where`` names the op."""
    xp, x = elementwise_input(where, input, grad_output, backward=backward)
    # refused beyond input's dtype (float16's too), as PyTorch converts hardtanh's bounds
    convert_number(where, "min_val", min_val, input.dtype)
    convert_number(where, "max_val", max_val, input.dtype)
    if max_val < min_val:
        msg = f"{where}: max_val must be at least min_val, got min_val={min_val}, max_val={max_val}"
        raise ArgumentError(msg)
    if backward:
        # PyTorch's vectorised rule: the gradient passes only where min < x < max, so not at
        # NaN inputs nor anywhere with a NaN bound
        inside = (x > min_val) & (x < max_val)
        return finish(xp, grad_output, xp.where(inside, grad_output, 0.0))
    # as clamp: NaN inputs stay NaN, and a NaN bound makes every output NaN (as PyTorch)
    output = xp.where(x < min_val, min_val, xp.where(x > max_val, max_val, x))
    if math.isnan(min_val) or math.isnan(max_val):
        output = xp.full_like(x, math.nan)
    return finish(xp, input, output, inplace)


@kernel
def hardtanh(input, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False):
    """Clamp ``input`` to ``[min_val, max_val]`` element-wise (NaN stays NaN).

    Args:
        input: array of any shape.
        min_val: lower bound. Default: -1.
        max_val: upper bound. Default: 1.
        inplace: write the result into ``input``. Default: ``False``.

    Returns:
        Array of the shape and dtype of ``input``.

    Raises:
        ValueError: if ``max_val < min_val``, or a bound is beyond the range of input's dtype
            (PyTorch's "cannot be converted without overflow").
        TypeError: if a bound is not a number. A NaN bound is accepted, as by PyTorch, and
            makes every output NaN.

    Example:
        >>> hardtanh(xp.asarray([-2.0, 0.5, 3.0]))
        array([-1. ,  0.5,  1. ])
    """
    return _hardtanh("hardtanh", input, min_val, max_val, inplace)


@kernel
def hardtanh_backward(
    grad_output, input, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False
):
    """Gradient of :func:`hardtanh`: ``grad_output`` where ``min_val < input < max_val``, else 0
    (0 at NaN inputs and with NaN bounds, as PyTorch's vectorised kernel)."""
    return _hardtanh("hardtanh_backward", input, min_val, max_val, inplace, grad_output, True)


@kernel
def relu6(input, inplace: bool = False):
    """``min(max(input, 0), 6)`` element-wise, i.e. ``hardtanh(input, 0, 6)``.

    Example:
        >>> relu6(xp.asarray([-1.0, 3.0, 7.0]))
        array([0., 3., 6.])
    """
    return _hardtanh("relu6", input, 0.0, 6.0, inplace)


@kernel
def relu6_backward(grad_output, input, inplace: bool = False):
    """Gradient of :func:`relu6`: ``grad_output`` where ``0 < input < 6``, else 0 (also at NaN)."""
    return _hardtanh("relu6_backward", input, 0.0, 6.0, inplace, grad_output, True)


@kernel
def leaky_relu(input, negative_slope: float = 0.01, inplace: bool = False):
    """``input`` where positive, ``negative_slope * input`` elsewhere.

    Args:
        input: array of any shape.
        negative_slope: slope for non-positive inputs. Default: 0.01.
        inplace: write the result into ``input``. Default: ``False``.

    Raises:
        ValueError: if ``negative_slope`` is beyond the range of input's compute dtype
            (float32 for float16 and float32 inputs), as PyTorch.

    Example:
        >>> leaky_relu(xp.asarray([-2.0, 3.0]), 0.1)
        array([-0.2,  3. ])
    """
    xp, x = elementwise_input("leaky_relu", input)
    # refused beyond the compute dtype's range, as PyTorch (float32 for float16 inputs)
    convert_number("leaky_relu", "negative_slope", negative_slope, x.dtype)
    return finish(xp, input, xp.where(x > 0, x, x * negative_slope), inplace)


@kernel
def leaky_relu_backward(grad_output, input, negative_slope: float = 0.01, inplace: bool = False):
    """Gradient of :func:`leaky_relu`: ``negative_slope`` at and below 0 (PyTorch's rule)."""
    xp, x = elementwise_input("leaky_relu_backward", input, grad_output, backward=True)
    convert_number("leaky_relu_backward", "negative_slope", negative_slope, x.dtype)
    return xp.where(x > 0, grad_output, grad_output * negative_slope)


@kernel
def elu(input, alpha: float = 1.0, inplace: bool = False):
    """``input`` where positive, ``alpha * (exp(input) - 1)`` elsewhere (``expm1``, exact near 0).

    Args:
        input: array of any shape.
        alpha: the saturation value for large negative inputs is ``-alpha``. Default: 1.
        inplace: write the result into ``input``. Default: ``False``.

    Raises:
        ValueError: if ``alpha`` is beyond the range of input's compute dtype, as PyTorch.

    Example:
        >>> elu(xp.asarray([-1000.0, 0.0, 2.0]))
        array([-1.,  0.,  2.])
    """
    xp, x = elementwise_input("elu", input)
    convert_number("elu", "alpha", alpha, x.dtype)  # refused beyond x's range, as PyTorch
    # exp of min(x, 0) only: the unused branch must not overflow at x = 1e3; x < 0, not <= 0:
    # +-0.0 pass as themselves, as in PyTorch (alpha * expm1(-0.0) would flip a sign for alpha < 0)
    return finish(xp, input, xp.where(x < 0, alpha * xp.expm1(xp.minimum(x, 0.0)), x), inplace)


@kernel
def elu_backward(grad_output, input, alpha: float = 1.0, inplace: bool = False):
    """Gradient of :func:`elu`: 1 where ``input > 0``, else ``alpha * exp(input)`` (NaN at NaN)."""
    xp, x = elementwise_input("elu_backward", input, grad_output, backward=True)
    convert_number("elu_backward", "alpha", alpha, x.dtype)
    # NaN where the input is NaN, as PyTorch's vectorised kernel (its scalar tail passes the
    # gradient instead); exp of min(x, 0) keeps the NaN and cannot overflow
    slope = xp.where(x > 0, 1.0, alpha * xp.exp(xp.minimum(x, 0.0)))
    return finish(xp, grad_output, grad_output * slope)


def _check_approximate(where, approximate):
    if not isinstance(approximate, str):  # PyTorch's TypeError for None, a bool, ...
        msg = f"{where}: approximate must be a str, got {type(approximate).__name__}"
        raise TypeError(msg)
    if approximate not in _GELU_APPROXIMATIONS:
        msg = f"{where}: approximate must be 'none' or 'tanh', got {approximate!r}"
        raise ArgumentError(msg)


def _gelu_tanh_argument(x):
    """``sqrt(2 / pi) * (x + 0.044715 * x^3)``: where the tanh form of gelu evaluates tanh."""
    return _SQRT_2_OVER_PI * (x + _GELU_KAPPA * x * x * x)


def _normal_cdf(xp, x):
    """``Phi(x) = (1 + erf(x / sqrt(2))) / 2``, the standard normal CDF."""
    return 0.5 * (1.0 + erf(xp, x * (1.0 / math.sqrt(2.0))))


@kernel
def gelu(input, approximate: str = "none"):
    """Gaussian error linear unit: ``x * Phi(x)``, ``Phi`` the standard normal CDF.

    Args:
        input: array of any shape.
        approximate: ``'none'`` for ``0.5 * x * (1 + erf(x / sqrt(2)))``, ``'tanh'`` for
            ``0.5 * x * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 * x^3)))``. Default: ``'none'``.

    Raises:
        ValueError: for another string ``approximate``; TypeError if it is not a string.

    Example:
        >>> gelu(xp.asarray([-1.0, 0.0, 1.0]))
        array([-0.15865525,  0.        ,  0.84134475])
    """
    _check_approximate("gelu", approximate)
    xp, x = elementwise_input("gelu", input)
    if approximate == "tanh":
        cdf = 0.5 * (1.0 + xp.tanh(_gelu_tanh_argument(x)))
    else:
        cdf = _normal_cdf(xp, x)
    return finish(xp, input, x * cdf)


@kernel
def gelu_backward(grad_output, input, approximate: str = "none"):
    """Gradient of :func:`gelu`: ``Phi(x) + x * phi(x)`` (or the derivative of the tanh form)."""
    _check_approximate("gelu_backward", approximate)
    xp, x = elementwise_input("gelu_backward", input, grad_output, backward=True)
    if approximate == "tanh":
        t = xp.tanh(_gelu_tanh_argument(x))
        d_argument = _SQRT_2_OVER_PI * (1.0 + 3.0 * _GELU_KAPPA * x * x)
        slope = 0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * d_argument
    else:
        slope = _normal_cdf(xp, x) + x * xp.exp(-0.5 * x * x) * (1.0 / math.sqrt(2.0 * math.pi))
    return finish(xp, grad_output, grad_output * slope)


@kernel
def sigmoid(input):
    """Logistic function ``1 / (1 + exp(-input))``, without overflow for large ``|input|``.

    Example:
        >>> sigmoid(xp.asarray([-1000.0, 0.0, 1000.0]))
        array([0. , 0.5, 1. ])
    """
    xp, x = elementwise_input("sigmoid", input)
    return finish(xp, input, stable_sigmoid(xp, x))


@kernel
def sigmoid_backward(grad_output, input):
    """Gradient of :func:`sigmoid`: ``s * (1 - s)``."""
    xp, x = elementwise_input("sigmoid_backward", input, grad_output, backward=True)
    s = stable_sigmoid(xp, x)
    return finish(xp, grad_output, grad_output * (s * (1.0 - s)))


@kernel
def tanh(input):
    """Hyperbolic tangent, element-wise.

    Example:
        >>> tanh(xp.asarray([-1000.0, 0.0, 1000.0]))
        array([-1.,  0.,  1.])
    """
    xp, x = elementwise_input("tanh", input)
    return finish(xp, input, xp.tanh(x))


@kernel
def tanh_backward(grad_output, input):
    """Gradient of :func:`tanh`: ``1 - tanh(x)^2``."""
    xp, x = elementwise_input("tanh_backward", input, grad_output, backward=True)
    t = xp.tanh(x)
    return finish(xp, grad_output, grad_output * (1.0 - t * t))


@kernel
def silu(input, inplace: bool = False):
    """Sigmoid linear unit (swish): ``input * sigmoid(input)``.

    Example:
        >>> silu(xp.asarray([-1000.0, 0.0, 1.0]))
        array([-0.        ,  0.        ,  0.73105858])
    """
    xp, x = elementwise_input("silu", input)
    return finish(xp, input, x * stable_sigmoid(xp, x), inplace)


@kernel
def silu_backward(grad_output, input, inplace: bool = False):
    """Gradient of :func:`silu`: ``s * (1 + x * (1 - s))`` with ``s = sigmoid(x)``."""
    xp, x = elementwise_input("silu_backward", input, grad_output, backward=True)
    s = stable_sigmoid(xp, x)
    return finish(xp, grad_output, grad_output * (s * (1.0 + x * (1.0 - s))))
