"""PyTorch's trigonometric and hyperbolic functions and the exp/log variants, as Tensor methods
(:data:`METHODS`, with their in-place ``_`` forms) and ``xpnet.<name>`` functions
(:data:`__all__`): ``sin``, ``cos``, ``tan``, ``asin``, ``acos``, ``atan``, ``sinh``, ``cosh``,
``asinh``, ``acosh``, ``atanh`` (and NumPy's ``arcsin``-style aliases, as PyTorch's),
``expm1``, ``log1p``, ``log2``, ``log10``, ``exp2``, ``sinc``, ``logit``, ``float_power``, and
the function ``rsqrt``.

Each is one ``xp`` ufunc with PyTorch's derivative formula (``derivatives.yaml``); integer and
bool tensors give the default dtype, as PyTorch's; inf and NaN are values, never warnings.

Example:
    >>> import xpnet
    >>> x = xpnet.tensor([0.0, 0.5], requires_grad=True)
    >>> x.sin().sum().backward()
    >>> [round(g, 4) for g in x.grad.tolist()]
    [1.0, 0.8776]
"""

from __future__ import annotations

import math

import numpy

from ._dtypes import floating
from ._tensor_checks import check_real, named_as
from ._tensor_inplace import apply_in_place
from ._tensor_operands import check_operand
from ._tensor_ops import check_grad, ieee
from ._torch_functions import as_input, number_operands
from .autograd import Function, Tensor
from .backends import backend_of

# name: (NumPy's ufunc, the gradient as a function of xp, the input and grad, by PyTorch's
# formula: it divides grad where PyTorch's does, so grad / a stays finite where 1 / a would
# overflow (log2 of a float16 1e-5) [, where PyTorch's gradient is +0 whatever the derivative
# and grad's sign])
_DERIVATIVES = {
    "sin": ("sin", lambda xp, a, g: g * xp.cos(a)),
    "cos": ("cos", lambda xp, a, g: g * -xp.sin(a)),
    "tan": ("tan", lambda xp, a, g: g * (1 + xp.tan(a) ** 2)),
    "asin": ("arcsin", lambda xp, a, g: g * (1 / xp.sqrt(1 - a * a))),
    "acos": ("arccos", lambda xp, a, g: g * (-1 / xp.sqrt(1 - a * a))),
    "atan": ("arctan", lambda xp, a, g: g / (a * a + 1)),
    "sinh": ("sinh", lambda xp, a, g: g * xp.cosh(a)),
    "cosh": ("cosh", lambda xp, a, g: g * xp.sinh(a)),
    "asinh": ("arcsinh", lambda xp, a, g: g * (1 / xp.sqrt(a * a + 1))),
    "acosh": ("arccosh", lambda xp, a, g: g * (1 / xp.sqrt(a * a - 1))),
    "atanh": ("arctanh", lambda xp, a, g: g / (1 - a * a)),
    "expm1": ("expm1", lambda xp, a, g: g * (xp.expm1(a) + 1)),  # 0 where exp(a) is subnormal
    "log1p": ("log1p", lambda xp, a, g: g / (a + 1)),
    "log2": ("log2", lambda xp, a, g: g / (a * math.log(2))),
    "log10": ("log10", lambda xp, a, g: g / (a * math.log(10))),
    "exp2": ("exp2", lambda xp, a, g: g * (xp.exp2(a) * math.log(2))),
    "sinc": ("sinc", lambda xp, a, g: g * _sinc_slope(xp, a), lambda xp, a: a * a * math.pi == 0),
}
_ALIASES = {"arcsin": "asin", "arccos": "acos", "arctan": "atan", "arcsinh": "asinh",
            "arccosh": "acosh", "arctanh": "atanh"}  # fmt: skip

__all__ = [*_DERIVATIVES, *_ALIASES, "rsqrt", "logit", "float_power"]


def _sinc_slope(xp, a):
    """d/da sinc(a), PyTorch's sinc_backward: ``(pi a cos(pi a) - sin(pi a)) / (pi a^2)``;
    PyTorch's gradient is 0 where ``pi a^2`` is 0 (at 0, and where it underflows: a
    subnormal ``a``), where this is NaN."""
    pi_a = math.pi * a
    return (pi_a * xp.cos(pi_a) - xp.sin(pi_a)) / (a * a * math.pi)


def _pair(name: str, ufunc: str, gradient, zero_where=None):
    """The forward/backward pair of ``xp.<ufunc>``, named ``name`` (xpnet.amp finds ops by
    these names); the gradient is +0 where ``zero_where(xp, a)`` holds (PyTorch's ``where``
    after the product: no NaN, no sign from ``grad``)."""

    def forward(a):
        if a.dtype == numpy.float16:  # PyTorch's opmath: float32, rounded once (sinc(1) is 0)
            return getattr(backend_of(a).xp, ufunc)(a.astype(numpy.float32)).astype(a.dtype)
        return getattr(backend_of(a).xp, ufunc)(a)

    def backward(grad_output, a):
        check_grad(f"{name}_backward", grad_output, a.shape, a.dtype, a)
        xp = backend_of(a).xp
        grad = gradient(xp, a, grad_output)
        if zero_where is not None:
            grad = xp.where(zero_where(xp, a), 0, grad)
        return grad.astype(a.dtype, copy=False)

    forward.__name__, backward.__name__ = name, f"{name}_backward"
    return Function(ieee(forward), ieee(backward), wrt=("a",))


# the Functions by name (xpnet._double_backward_elementwise differentiates their backwards)
FUNCTIONS = {name: _pair(name, *pair) for name, pair in _DERIVATIVES.items()}


def _method(name: str):
    def method(self) -> Tensor:
        return FUNCTIONS[name](floating(self))

    method.__name__ = name
    method.__doc__ = f"Elementwise ``{name}``, as ``torch.{name}`` (PyTorch's gradient)."
    return method


def _in_place(name: str):
    def method(self) -> Tensor:
        return apply_in_place(f"{name}_", self, lambda t: FUNCTIONS[name](t))

    method.__name__ = f"{name}_"
    method.__doc__ = f":meth:`{name}`, in place; returns this tensor."
    return method


def _function(name: str, method):
    def function(input) -> Tensor:
        return method(as_input(name, input))

    function.__name__ = function.__qualname__ = name
    function.__doc__ = f"``input.{name}()``, as ``torch.{name}`` (see the Tensor method)."
    return function


_named = {**{name: name for name in _DERIVATIVES}, **_ALIASES}
METHODS = {
    **{alias: named_as(alias, name, _method(name)) for alias, name in _named.items()},
    **{f"{a}_": named_as(f"{a}_", f"{n}_", _in_place(n)) for a, n in _named.items()},
    "logit": lambda self, eps=None: logit(self, eps),
    "logit_": lambda self, eps=None: apply_in_place("logit_", self, lambda t: logit(t, eps)),
    "float_power": lambda self, exponent: float_power(self, exponent),
}
sin, cos, tan, asin, acos, atan, sinh, cosh, asinh, acosh, atanh = (
    _function(name, METHODS[name]) for name in __all__[:11]
)
expm1, log1p, log2, log10, exp2, sinc = (_function(name, METHODS[name]) for name in __all__[11:17])
arcsin, arccos, arctan, arcsinh, arccosh, arctanh = (
    _function(name, METHODS[name]) for name in __all__[17:23]
)


def _clamp_range(a, eps):
    """PyTorch's ``[lo, hi]`` in ``a``'s dtype: ``(eps, 1 - eps)``; ``None`` for no clamp
    (``eps`` None or negative)."""
    if eps is None or eps < 0:
        return None
    lo = a.dtype.type(eps)
    return lo, a.dtype.type(1) - lo


def _logit(a, eps=None):
    xp = backend_of(a).xp
    bounds = _clamp_range(a, eps)
    if bounds is not None:  # PyTorch's x < lo ? lo : (x > hi ? hi : x), even for lo > hi
        lo, hi = bounds
        a = xp.where(a < lo, lo, xp.where(a > hi, hi, a))
    return xp.log(a / (1 - a))


def _logit_backward(grad_output, a, eps=None):
    """PyTorch's: ``grad / (x (1 - x))``; 0 outside ``[lo, hi]`` when clamped, and NaN
    outside ``[0, 1]`` (where the logit is NaN) when not."""
    check_grad("logit_backward", grad_output, a.shape, a.dtype, a)
    xp = backend_of(a).xp
    grad = grad_output / (a * (1 - a))
    bounds = _clamp_range(a, eps)
    if bounds is not None:  # (a NaN eps clamps nothing; PyTorch's SIMD lanes give 0 then)
        grad = xp.where((a < bounds[0]) | (a > bounds[1]), 0, grad)
    else:
        grad = xp.where((a < 0) | (a > 1), math.nan, grad)
    return grad.astype(a.dtype, copy=False)


LOGIT = Function(ieee(_logit), ieee(_logit_backward), wrt=("a",))


def logit(input, eps=None) -> Tensor:
    """``log(p / (1 - p))``, as ``torch.logit``: with ``eps`` (a number or a 0-d tensor, taken
    as a float) ``input`` is first clamped as PyTorch's ``x < eps ? eps : (x > 1 - eps ?
    1 - eps : x)`` (so ``eps > 0.5`` swaps the ends; a negative ``eps`` clamps nothing), and
    the gradient is 0 where the clamp bites.

    Raises:
        TypeError: ``eps`` not a number or a 0-d tensor.

    Example:
        >>> import xpnet
        >>> xpnet.logit(xpnet.tensor([0.0, 0.3, 1.0]), eps=1).tolist()
        [inf, inf, -inf]
    """
    if eps is not None:
        check_real("logit", "eps", eps)
        eps = float(eps)  # a Python float: a float64 tensor eps leaves float32 input float32
    return LOGIT(floating(as_input("logit", input)), eps)


def float_power(input, exponent) -> Tensor:
    """``input ** exponent`` computed in float64, as ``torch.float_power`` (either may be a
    Python number).

    Raises:
        TypeError: ``exponent`` not a number or a Tensor (not ``Tensor.pow``'s message).
    """
    check_operand("xpnet.float_power", "exponent", exponent)
    tensor, exponent = number_operands("float_power", input, exponent)
    tensor = tensor.to("float64")
    if isinstance(exponent, Tensor) or hasattr(exponent, "dtype"):
        exponent = as_input("float_power", exponent, "exponent").to("float64")
    return tensor.pow(exponent)


def rsqrt(input) -> Tensor:
    """``input.rsqrt()``, as ``torch.rsqrt``: ``1 / sqrt(input)`` (see the Tensor method)."""
    return as_input("rsqrt", input).rsqrt()
