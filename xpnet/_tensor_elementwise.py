"""PyTorch's elementwise functions that ported scripts use, as Tensor methods (:data:`METHODS`)
and ``xpnet.<name>`` functions (:data:`__all__`): ``erf``, ``erfc``, ``erfinv``, ``lgamma``,
``digamma``, ``polygamma``, ``mvlgamma``, ``atan2`` (``arctan2``), ``hypot``, ``logaddexp``,
``logaddexp2``, ``xlogy``, ``fmod``, ``remainder``, ``frac``, ``trunc`` (``fix``), ``sgn``,
``heaviside``, ``nan_to_num``, ``lerp``, ``addcmul``, ``addcdiv``, ``isclose``, ``isin``,
``copysign``, ``deg2rad`` and ``rad2deg``.

Gradients are PyTorch's (the pairs of :mod:`xpnet._tensor_elementwise_ops`, or compositions of
differentiable Tensor operations); integer inputs of float-valued functions give float32 (the
default dtype), as PyTorch. ``erf``/``erfc``/``erfinv`` and the gamma family are computed in
plain ``xp`` operations (:mod:`xpnet.kernels._special_math`: NumPy has none), to about 1e-13
relative in float64 (the gamma family in float64 for float32 too); float16 is computed in
float32. ``fmod``/``remainder`` of integers by 0 raise, as PyTorch (deferred to the next host
read on strict and CuPy). Differences from PyTorch: ``heaviside``'s result never requires grad
(PyTorch's raises at backward); ``lgamma`` near its zeros below -2 is accurate to a few 1e-15
absolute, not relative (glibc's, which PyTorch calls, is relative there); ``polygamma(n, x)``
is ``(-1)^(n+1) inf`` at every pole (PyTorch's ``n = 1`` gives large finite values at negative
integers), 0 at ``inf`` and NaN at ``-inf`` for every ``n`` (PyTorch: NaN at ``inf`` for
``n >= 2``, ``-inf`` or ``inf`` at ``-inf``).

Example:
    >>> import xpnet
    >>> x = xpnet.Tensor(np.array([0.5, -1.0]), requires_grad=True)
    >>> y = xpnet.erf(x) + x.atan2(xpnet.Tensor(np.array([1.0, 1.0]))) + x.lerp(x * 3, 0.5)
    >>> y.sum().backward()
    >>> x.grad.round(decimals=4).tolist()
    [3.6788, 2.9151]
"""

from __future__ import annotations

import math
import numbers

from . import _tensor_elementwise_ops as ops
from ._dtypes import as_dtype, check_broadcast, floating, result_dtype
from ._node_names import camel_case, named_nodes
from ._tensor_checks import (
    check_real,
    named_as,
    refuse_complex,
    refuse_dtype,
    refuse_integer_division,
)
from ._tensor_function_ops import without_derivative
from ._tensor_functions import torch_operands
from ._tensor_index import where
from ._tensor_operands import check_operand
from ._torch_functions import as_input, number_operands
from .amp.autocast_mode import promote_operands
from .autograd import Function, Tensor
from .backends import backend_of, float_errors_ignored
from .kernels import ArgumentError

__all__ = [
    "erf", "erfc", "erfinv", "lgamma", "digamma", "polygamma", "mvlgamma", "atan2", "arctan2",
    "hypot", "logaddexp", "logaddexp2", "xlogy",
    "fmod", "remainder", "frac", "trunc", "fix", "sgn", "heaviside", "nan_to_num", "lerp",
    "addcmul", "addcdiv", "isclose", "isin", "copysign", "deg2rad", "rad2deg",
]  # fmt: skip

_UNARY = {name: Function(getattr(ops, name), getattr(ops, f"{name}_backward"), wrt=("a",))
          for name in ("erf", "erfc", "erfinv", "lgamma", "digamma", "trunc", "frac")}  # fmt: skip
_polygamma = Function(ops.polygamma, ops.polygamma_backward, wrt=("a",))
_BINARY = {
    name: Function(getattr(ops, name), getattr(ops, f"{name}_backward"), wrt=("a", "b"))
    for name in ("atan2", "hypot", "logaddexp", "logaddexp2", "xlogy", "fmod", "remainder")
}
_BINARY["copysign"] = Function(ops.copysign, ops.copysign_backward, wrt=("a", "b"))
_nan_to_num = Function(ops.nan_to_num, ops.nan_to_num_backward, wrt=("a",))
_FLOAT_ONLY = ("hypot", "logaddexp", "logaddexp2")


def _operand(where: str, value, scalars: bool):
    if scalars and isinstance(value, numbers.Number) and not isinstance(value, complex):
        return value
    return as_input(where, value, "other")


def _unary(name: str, *, keeps_integers: bool = False):
    def method(self) -> Tensor:
        refuse_dtype(f"Tensor.{name}", self, "b" if keeps_integers else "", "non-bool")
        if name == "frac":  # as PyTorch: no fractional part of integers
            refuse_dtype("Tensor.frac", self, "iub", "floating point")
        if keeps_integers and self.dtype.kind in "iub":
            return Tensor(self.array.copy())
        return _UNARY[name](floating(self))

    method.__name__ = name
    method.__doc__ = f"Elementwise ``{name}``, as ``torch.{name}`` (PyTorch's gradient)."
    return method


def _binary(name: str, *, float_valued: bool = True, scalars: bool = True, function=None):
    def method(self, other) -> Tensor:
        if not float_valued:  # fmod, remainder: PyTorch's are not for complex numbers
            refuse_complex(f"Tensor.{name}", "input and other", self, other)
        other = _operand(name, other, scalars)
        if name in _FLOAT_ONLY and other.dtype.kind in "iub":  # PyTorch: no integer kernel
            refuse_dtype(f"Tensor.{name}", self, "iub", "floating point beside an integer other")
        a, b = torch_operands(self, other, true_division=float_valued)
        if not float_valued:  # fmod, remainder: no integer division by zero (uint8 % 256)
            refuse_integer_division(f"Tensor.{name}", a, b)
        if float_valued and a.dtype.kind in "iub":  # an integer tensor beside a number
            a = floating(a)
        return (function or _BINARY[name])(a, b)

    method.__name__ = name
    method.__doc__ = (
        f"Elementwise ``{name}(self, other)`` (``other`` a Tensor or array, broadcast; a number "
        f"where PyTorch takes one: {scalars}), "
        f"as ``torch.{name}``, with PyTorch's gradients."
    )
    return method


@named_nodes("SgnBackward0")
def sgn(self) -> Tensor:
    """The sign (for real tensors ``sign``; 0 at 0 and NaN); PyTorch's gradient: zero."""
    return self.sign()


def heaviside(self, values) -> Tensor:
    """The step function: 0 below 0, ``values`` (broadcast) at 0, 1 above (NaN: 0), as
    ``torch.heaviside``. Not differentiable.

    Raises:
        ArgumentError: ``self`` and ``values`` of different dtypes, or shapes that do not
            broadcast, as PyTorch.
    """
    values = as_input("heaviside", values, "values")
    if values.dtype != self.dtype:
        msg = f"heaviside: values must have self's dtype {self.dtype}, got {values.dtype}"
        raise ArgumentError(msg)
    check_broadcast(self.shape, values.shape)  # PyTorch's RuntimeError, not NumPy's ValueError
    xp = backend_of(self.array, values.array, names=("self", "values"), where="heaviside").xp
    step = xp.where(self.array > 0, 1, 0).astype(self.dtype)
    return Tensor(xp.where(self.array == 0, values.array, step))


def nan_to_num(self, nan=None, posinf=None, neginf=None) -> Tensor:
    """NaN replaced by ``nan`` (``None``: 0), ``inf``/``-inf`` by ``posinf``/``neginf`` (default:
    the dtype's extremes), as ``torch.nan_to_num``; integers as they are; gradient where finite."""
    for name, value in (("nan", nan), ("posinf", posinf), ("neginf", neginf)):
        check_real("Tensor.nan_to_num", name, value)  # the function form's too
    if self.dtype.kind in "iub":
        return Tensor(self.array.copy())
    return _nan_to_num(self, 0.0 if nan is None else nan, posinf, neginf)  # PyTorch's None


@named_nodes(lambda self, end, weight: f"LerpBackward{int(isinstance(weight, Tensor))}")
def lerp(self, end, weight) -> Tensor:
    """``self + weight * (end - self)`` (``weight`` a number or a Tensor, broadcast), as
    ``torch.lerp``, with PyTorch's formula (``end - (end - self) * (1 - weight)`` where
    ``|weight| >= 0.5``, exact at ``weight = 1``) and gradients.

    Raises:
        TypeError: ``end`` not a Tensor or array; integers (NotImplementedError too).
            ArgumentError: other dtypes (of ``end``, or of a ``weight`` with dimensions).
    """
    end = as_input("lerp", end, "end")
    if end.dtype != self.dtype:
        msg = f"lerp: self and end must have one floating dtype, got {self.dtype} and {end.dtype}"
        raise ArgumentError(msg)
    refuse_dtype("lerp", self, "iub", "floating point")  # PyTorch: NotImplementedError
    difference = end - self
    if isinstance(weight, numbers.Number):  # PyTorch's test of a small weight: |weight| < 0.5
        if abs(weight) < 0.5:
            return self + weight * difference
        return end - difference * (1 - weight)
    weight = as_input("lerp", weight, "weight")
    if weight.ndim and weight.dtype != self.dtype:  # PyTorch takes a 0-d one as a number
        msg = f"lerp: weight must have self's dtype {self.dtype}, got {weight.dtype}"
        raise ArgumentError(msg)
    small = weight.abs() < 0.5
    return where(small, self + weight * difference, end - difference * (1 - weight))


def _check_value(where: str, self: Tensor, value) -> None:
    if not isinstance(value, numbers.Number):
        msg = f"{where}: value must be a number, got {type(value).__name__}"
        raise TypeError(msg)
    if self.dtype.kind in "iub" and isinstance(value, float):
        msg = f"{where}: value must not be a float for integer tensors, got {value!r}"
        raise ArgumentError(msg)


def _in_common_dtype(where: str, compute, *tensors) -> Tensor:
    """``compute(*tensors)`` in their PyTorch result dtype, float16 in float32 rounded once at
    the end (PyTorch's opmath): ``value * tensor1 / tensor2`` does not overflow on the way."""
    dtype = result_dtype(*tensors)
    refuse_dtype(where, tensors[0], "b" if dtype.kind == "b" else "", "non-bool")
    wide = "float32" if dtype == "float16" else dtype
    wide_operands = (as_dtype(as_dtype(tensor, dtype), wide) for tensor in tensors)
    return as_dtype(compute(*wide_operands), dtype)


@named_nodes("AddcmulBackward0")
def addcmul(self, tensor1, tensor2, *, value=1) -> Tensor:
    """``self + value * tensor1 * tensor2`` (broadcast), as ``torch.addcmul``."""
    _check_value("addcmul", self, value)
    t1, t2 = as_input("addcmul", tensor1, "tensor1"), as_input("addcmul", tensor2, "tensor2")
    operands = promote_operands(self, t1, t2)  # autocast: float32
    return _in_common_dtype("addcmul", lambda a, b, c: a + value * b * c, *operands)


@named_nodes("AddcdivBackward0")
def addcdiv(self, tensor1, tensor2, *, value=1) -> Tensor:
    """``self + value * tensor1 / tensor2`` (broadcast), as ``torch.addcdiv``.

    Raises:
        ArgumentError: integer ``tensor1`` and ``tensor2`` (PyTorch refuses integer division).
    """
    _check_value("addcdiv", self, value)
    t1, t2 = as_input("addcdiv", tensor1, "tensor1"), as_input("addcdiv", tensor2, "tensor2")
    self, t1, t2 = promote_operands(self, t1, t2)  # PyTorch's autocast: float32 quotients
    if t1.dtype.kind in "iub" and t2.dtype.kind in "iub":
        raise ArgumentError("addcdiv: integer division of tensor1 by tensor2 is not supported")
    return _in_common_dtype("addcdiv", lambda a, b, c: a + value * b / c, self, t1, t2)


def isclose(self, other, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False):
    """Elementwise ``|self - other| <= atol + rtol * |other|`` (broadcast), as ``torch.isclose``:
    a finite difference only (inf is close to inf alone), NaNs only with ``equal_nan``.

    Raises:
        ArgumentError: different dtypes, unbroadcastable shapes, a negative or NaN tolerance.
    """
    other = as_input("isclose", other, "other")
    if other.dtype != self.dtype:
        msg = f"isclose: self and other must have one dtype, got {self.dtype} and {other.dtype}"
        raise ArgumentError(msg)
    for name, tolerance in (("rtol", rtol), ("atol", atol)):
        if not tolerance >= 0:  # NaN too, as PyTorch
            msg = f"isclose: {name} must be greater than or equal to zero, got {tolerance}"
            raise ArgumentError(msg)
    check_broadcast(self.shape, other.shape)  # PyTorch's RuntimeError, not NumPy's ValueError
    xp = backend_of(self.array, other.array, names=("self", "other"), where="isclose").xp
    return Tensor(closeness(xp, self.array, other.array, rtol, atol, equal_nan))


def closeness(xp, a, b, rtol: float, atol: float, equal_nan: bool):
    """PyTorch's ``isclose`` of two arrays of one dtype (``assert_close``'s too): equal, NaNs
    with ``equal_nan``, or a finite ``|a - b| <= atol + rtol |b|`` (integers in float64)."""
    close = a == b
    if equal_nan and a.dtype.kind in "fc":
        close = close | (xp.isnan(a) & xp.isnan(b))
    if rtol == 0 and atol == 0:  # equality, as PyTorch's: int64 2**62 + 1 is not 2**62
        return close
    if a.dtype.kind in "iub":
        a, b = a.astype("float64"), b.astype("float64")
    with float_errors_ignored():  # 3e38 - -3e38 overflows float32: not close, no warning
        difference = xp.abs(a - b)
        return close | (xp.isfinite(difference) & (difference <= atol + xp.abs(rtol * b)))


def isin(elements, test_elements, *, assume_unique: bool = False, invert: bool = False):
    """Whether each of ``elements`` is in ``test_elements`` (either may be a number), as a bool
    Tensor of ``elements``' shape, as ``torch.isin``."""
    check_operand("xpnet.isin", "elements", elements)  # xp.asarray would take None, 'abc'
    check_operand("xpnet.isin", "test_elements", test_elements)
    xp = backend_of(*[v.array for v in (elements, test_elements) if isinstance(v, Tensor)]).xp
    values = [
        v.array if isinstance(v, Tensor) else xp.asarray(v) for v in (elements, test_elements)
    ]
    return Tensor(xp.isin(*values, assume_unique=assume_unique, invert=invert))


def _order(where: str, name: str, value, least: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        msg = f"{where}(): argument '{name}' must be int, not {type(value).__name__}"
        raise TypeError(msg)
    if value < least:
        msg = f"{where}: {name} must be at least {least}, got {value}"
        raise ArgumentError(msg)
    return int(value)


def _polygamma_method(self, n: int) -> Tensor:
    """The ``n``-th derivative of ``digamma`` (``n = 0``: ``digamma``), as
    ``Tensor.polygamma(n)``; gradient ``polygamma(n + 1)``, as PyTorch.

    Raises:
        TypeError: ``n`` not an int (bools too). ArgumentError: ``n < 0``, as PyTorch.
    """
    return _polygamma(floating(self), _order("polygamma", "n", n, 0))


_polygamma_method.__name__ = "polygamma"


@named_nodes("MvlgammaBackward0")
def mvlgamma(self, p: int) -> Tensor:
    """The multivariate log-gamma function of dimension ``p``: ``sum_{i<p} lgamma(self - i/2)
    + p (p - 1) / 4 log(pi)``, as ``torch.mvlgamma`` (differentiable; as PyTorch 2.13, no check
    that the elements exceed ``(p - 1) / 2``).

    Raises:
        TypeError: ``p`` not an int, a bool Tensor (an ``UnsupportedDtypeError``, also
            PyTorch's RuntimeError). ArgumentError: ``p < 1``, as PyTorch.
    """
    p = _order("mvlgamma", "p", p, 1)
    refuse_dtype("mvlgamma", self, "b", "non-bool")  # PyTorch's "may not be a boolean tensor"
    self = floating(self)
    total = self.lgamma()
    for i in range(1, p):
        total = total + (self - i / 2).lgamma()
    return total + p * (p - 1) / 4 * math.log(math.pi)


def _degrees(name: str, factor: float):
    @named_nodes(f"{camel_case(name)}Backward0")
    def method(self) -> Tensor:
        return floating(self) * factor

    method.__name__ = name
    method.__doc__ = f"``self * {factor!r}``, as ``torch.{name}``."
    return method


METHODS = {
    **{name: _unary(name) for name in ("erf", "erfc", "erfinv", "lgamma", "digamma", "frac")},
    "polygamma": _polygamma_method,
    "mvlgamma": mvlgamma,
    "trunc": _unary("trunc", keeps_integers=True),
    "fix": named_as("fix", "trunc", _unary("trunc", keeps_integers=True)),
    **{
        name: _binary(name, scalars=False) for name in ("atan2", "hypot", "logaddexp", "logaddexp2")
    },
    "xlogy": _binary("xlogy"),
    "copysign": _binary("copysign"),
    "arctan2": named_as("arctan2", "atan2", _binary("atan2", scalars=False)),
    "fmod": _binary("fmod", float_valued=False),
    "remainder": _binary("remainder", float_valued=False),
    "sgn": sgn,
    "heaviside": heaviside,
    "nan_to_num": nan_to_num,
    "lerp": lerp,
    "addcmul": addcmul,
    "addcdiv": addcdiv,
    "isclose": isclose,
    "isin": lambda self, test_elements, **kwargs: isin(self, test_elements, **kwargs),
    "deg2rad": _degrees("deg2rad", math.pi / 180),
    "rad2deg": _degrees("rad2deg", 180 / math.pi),
}


def function_form(name: str, method):
    """``xpnet.<name>(input, *args, **kwargs)``: ``method`` of ``input`` (a Tensor, or an array
    wrapped), as ``torch.<name>``."""

    def function(input, *args, **kwargs):
        return method(as_input(name, input), *args, **kwargs)

    function.__name__ = function.__qualname__ = name
    function.__doc__ = f"``input.{name}(...)``, as ``torch.{name}`` (see the Tensor method)."
    return function


erf, erfc, erfinv, lgamma, digamma = (function_form(name, METHODS[name]) for name in __all__[:5])
mvlgamma, atan2, arctan2, hypot, logaddexp, logaddexp2 = (
    function_form(name, METHODS[name]) for name in __all__[6:12]
)
fmod = function_form("fmod", METHODS["fmod"])
frac, trunc, fix, sgn, heaviside, nan_to_num, lerp = (
    function_form(name, METHODS[name]) for name in __all__[15:22]
)


# PyTorch's remainder(Scalar, Tensor) overload (``2.5 % x``) has no derivative
_remainder_of_number_method = _binary(
    "remainder",
    float_valued=False,
    function=Function(ops.remainder, without_derivative("remainder"), wrt=("a", "b")),
)


def remainder(input, other) -> Tensor:
    """``input.remainder(other)``, as ``torch.remainder``; ``input`` may be a Python number
    (PyTorch's ``Scalar_Tensor`` overload, ``2.5 % x``), which, as there, has no derivative:
    a backward pass through it raises."""
    if isinstance(input, numbers.Number) and hasattr(other, "dtype"):
        return _remainder_of_number_method(*number_operands("remainder", input, other))
    return METHODS["remainder"](as_input("remainder", input), other)


addcmul, addcdiv, isclose = (function_form(name, METHODS[name]) for name in __all__[22:25])
copysign, deg2rad, rad2deg = (function_form(name, METHODS[name]) for name in __all__[26:])


def polygamma(n: int, input) -> Tensor:
    """``input.polygamma(n)``, as ``torch.polygamma(n, input)`` (PyTorch's argument order)."""
    return _polygamma_method(as_input("polygamma", input), n)


def xlogy(input, other) -> Tensor:
    """``input * log(other)``, 0 where ``input`` is 0, as ``torch.xlogy`` (see the Tensor
    method): either may be a Python number, a number ``input`` taking ``other``'s dtype as
    PyTorch's (``xlogy(2, x)``)."""
    return METHODS["xlogy"](*number_operands("xlogy", input, other))
