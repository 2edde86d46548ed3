"""More of PyTorch's elementwise functions, as Tensor methods (:data:`METHODS`) and
``xpnet.<name>`` functions (:data:`__all__`): ``fmax`` and ``fmin`` (NaN-ignoring maximum and
minimum), ``gcd`` and ``lcm`` (integer tensors), ``nextafter``, ``ldexp``, ``frexp`` and
``angle``, with the in-place ``gcd_``, ``lcm_``, ``ldexp_`` and ``nextafter_``.

Gradients are PyTorch's (the pairs of :mod:`xpnet._tensor_elementwise_more_ops`):
``fmax``/``fmin`` send the gradient to the operand whose value is taken (``input`` on ties,
and where both are NaN); ``nextafter`` passes it to ``input`` where it moves and gives
``other`` zeros; ``ldexp`` is differentiated as ``input * 2**other``; ``frexp``'s mantissa has
the gradient ``grad / 2**exponent``; ``angle`` of a real tensor (0, or pi below 0) has zero
gradients. ``gcd``/``lcm`` results are integers, never differentiable. Broadcasting and result
dtypes are PyTorch's; bad dtypes raise :class:`UnsupportedDtypeError`, both the ``TypeError``
of xpnet's convention and the ``NotImplementedError`` PyTorch raises. Differences from
PyTorch: ``ldexp``'s gradient beside an integer ``other`` is ``grad * 2**other`` (PyTorch
2.13 takes ``2**other`` in integer arithmetic there: 0 for negative exponents, wrapped above
62), and ``frexp``'s is exact for every float64 (PyTorch's takes ``2**exponent`` in float32:
inf for values below ``2**-150``, 0 from ``2**127``); ``gcd`` of int8's -128 and a divisor
other than a power of 2 is positive (PyTorch's Euclid overflows to a negative one);
``angle`` of a complex tensor has no gradient.

Example:
    >>> import xpnet
    >>> a = xpnet.tensor([1.0, float("nan"), 2.0], requires_grad=True)
    >>> b = xpnet.tensor([3.0, 5.0, float("nan")])
    >>> y = xpnet.fmax(a, b)
    >>> y.sum().backward()
    >>> y.tolist(), a.grad.tolist()
    ([3.0, 5.0, 2.0], [0.0, 0.0, 1.0])
"""

from __future__ import annotations

from typing import NamedTuple

import numpy

from . import _tensor_elementwise_more_ops as ops
from ._dtypes import floating, result_dtype
from ._tensor_checks import UnsupportedDtypeError
from ._tensor_inplace import apply_in_place
from ._torch_functions import as_input
from .autograd import Function, Tensor
from .backends import backend_of
from .kernels import ArgumentError

__all__ = [
    "fmax", "fmin", "gcd", "lcm", "nextafter", "ldexp", "frexp", "angle", "gcd_", "lcm_",
    "ldexp_",
]  # fmt: skip


class FrexpResult(NamedTuple):
    """``torch.return_types.frexp``: ``(mantissa, exponent)``."""

    mantissa: Tensor
    exponent: Tensor


_fmax = Function(ops.fmax_arrays, ops.fmax_arrays_backward, wrt=("a", "b"))
_fmin = Function(ops.fmin_arrays, ops.fmin_arrays_backward, wrt=("a", "b"))
_nextafter = Function(ops.nextafter_arrays, ops.nextafter_arrays_backward, wrt=("a", "b"))
_ldexp = Function(ops.ldexp_arrays, ops.ldexp_arrays_backward, wrt=("a", "b"))
_frexp = Function(ops.frexp_arrays, ops.frexp_arrays_backward, wrt=("a",))
_angle = Function(ops.angle_arrays, ops.angle_arrays_backward, wrt=("a",))


def _operands(where: str, input, other) -> tuple[Tensor, Tensor]:
    """``input`` and ``other`` as Tensors (arrays wrapped) of one backend whose shapes
    broadcast; numbers are refused, as PyTorch's ``Tensor other`` arguments."""
    input, other = as_input(where, input), as_input(where, other, "other")
    backend_of(input.array, other.array, names=("input", "other"), where=f"xpnet.{where}")
    try:
        numpy.broadcast_shapes(input.shape, other.shape)
    except ValueError:
        shapes = f"got input {input.shape} and other {other.shape}"
        msg = f"xpnet.{where}: shapes must broadcast, {shapes}"
        raise ArgumentError(msg) from None
    return input, other


def _refuse(where: str, rule: str, *tensors: Tensor):
    shown = " and ".join(str(tensor.dtype) for tensor in tensors)
    raise UnsupportedDtypeError(f"xpnet.{where}: {rule}, got {shown}")


def fmax(input, other) -> Tensor:
    """The larger of ``input`` and ``other`` element by element, ignoring NaN (NaN only where
    both are), as ``torch.fmax`` (C's ``fmax``; :func:`xpnet.maximum` propagates NaN).

    Args:
        input, other: Tensors (or arrays) of one backend whose shapes broadcast; numbers are
            refused, as PyTorch's.

    Returns:
        A Tensor of the broadcast shape in PyTorch's result dtype. The gradient goes to the
        value taken: to ``input`` where ``input >= other`` (ties) or ``other`` is NaN, else
        to ``other``, as PyTorch's.

    Raises:
        TypeError: an operand that is no Tensor or array, or operands on two backends.
        ArgumentError: shapes that do not broadcast.

    Example:
        >>> import xpnet
        >>> nan = float("nan")
        >>> xpnet.fmax(xpnet.tensor([1.0, nan, 4.0]), xpnet.tensor([2.0, 3.0, 0.0])).tolist()
        [2.0, 3.0, 4.0]
    """
    return _fmax(*_operands("fmax", input, other))


def fmin(input, other) -> Tensor:
    """The smaller of ``input`` and ``other`` element by element, ignoring NaN, as
    ``torch.fmin``; the gradient goes to ``input`` where ``input <= other`` (ties) or
    ``other`` is NaN, else to ``other``. Arguments and errors as :func:`fmax`.

    Example:
        >>> import xpnet
        >>> nan = float("nan")
        >>> xpnet.fmin(xpnet.tensor([1.0, nan, 4.0]), xpnet.tensor([2.0, 3.0, 0.0])).tolist()
        [1.0, 3.0, 0.0]
    """
    return _fmin(*_operands("fmin", input, other))


def _integer(name: str, summary: str, example: str):
    def function(input, other) -> Tensor:
        input, other = _operands(name, input, other)
        dtype = result_dtype(input.array, other.array)
        if dtype.kind not in "iu":
            _refuse(name, "input and other must be integer tensors", input, other)
        a, b = (t.array.astype(dtype, copy=False) for t in (input, other))
        return Tensor(getattr(backend_of(a).xp, name)(a, b))

    function.__name__ = function.__qualname__ = name
    function.__doc__ = f"""The {summary} of ``input`` and ``other`` element by element, as
    ``torch.{name}``.

    Args:
        input, other: integer (or one bool) Tensors or arrays of one backend whose shapes
            broadcast.

    Returns:
        An integer Tensor in PyTorch's result dtype (``int8`` with ``uint8`` gives ``int16``),
        not differentiable. Overflow wraps, as PyTorch's.

    Raises:
        UnsupportedDtypeError: (a TypeError) float operands, or two bool ones, as PyTorch's
            NotImplementedError. TypeError, ArgumentError: as :func:`fmax`.

    Example:
        >>> import xpnet
        >>> xpnet.{name}(xpnet.tensor([6, -4, 0, 7]), xpnet.tensor([4, 6, 5, 0])).tolist()
        {example}
    """
    return function


gcd = _integer("gcd", "greatest common divisor (0 for 0 and 0)", "[2, 2, 5, 7]")
lcm = _integer("lcm", "least common multiple (0 beside a 0)", "[12, 12, 0, 0]")


def nextafter(input, other) -> Tensor:
    """The next representable value after ``input`` towards ``other`` (``other`` where they
    are equal; NaN where either is), element by element, as ``torch.nextafter``.

    Args:
        input, other: Tensors (or arrays) of one backend whose shapes broadcast, whose result
            dtype (PyTorch's promotion) is a float dtype.

    Returns:
        A Tensor of the broadcast shape. Subnormals are stepped through exactly on every
        backend. The gradient is PyTorch's: ``input`` gets it where ``input != other``,
        ``other`` zeros.

    Raises:
        UnsupportedDtypeError: (a TypeError) an integer or bool result dtype, as PyTorch's
            NotImplementedError. TypeError, ArgumentError: as :func:`fmax`.

    Example:
        >>> import xpnet
        >>> x = xpnet.tensor([1.0, 0.0], dtype=xpnet.float64)
        >>> (xpnet.nextafter(x, xpnet.tensor([2.0, -1.0], dtype=xpnet.float64)) - x).tolist()
        [2.220446049250313e-16, -5e-324]
    """
    input, other = _operands("nextafter", input, other)
    if result_dtype(input.array, other.array).kind != "f":
        _refuse("nextafter", "input and other must not both be integer or bool", input, other)
    return _nextafter(input, other)


def ldexp(input, other) -> Tensor:
    """``input * 2**other`` element by element, as ``torch.ldexp``.

    Args:
        input: a Tensor (or array): the mantissas.
        other: a Tensor (or array) of the backend of ``input``, broadcast with it: the
            exponents, usually integers.

    Returns:
        A Tensor in PyTorch's result dtype of the two, the default float dtype if that is an
        integer dtype. An integer ``other`` scales exactly (``ldexp(0, 2000)`` is 0, the
        subnormals rounded once); a float one multiplies by ``2**other``. Gradients: ``grad *
        2**other`` for ``input``, ``grad * input * 2**other * log(2)`` for a float ``other``.

    Raises:
        UnsupportedDtypeError: (a TypeError) a bool ``other`` beside a float ``input``, as
            PyTorch's NotImplementedError. TypeError, ArgumentError: as :func:`fmax`.

    Note:
        PyTorch 2.13's gradient for ``input`` beside an integer ``other`` computes
        ``2**other`` in integer arithmetic (0 for a negative exponent, wrapped above 62);
        xpnet's is ``grad * 2**other`` for every exponent.

    Example:
        >>> import xpnet
        >>> x = xpnet.tensor([1.0, 3.0], requires_grad=True)
        >>> y = xpnet.ldexp(x, xpnet.tensor([3, -1]))
        >>> y.sum().backward()
        >>> y.tolist(), x.grad.tolist()
        ([8.0, 1.5], [8.0, 0.5])
    """
    input, other = _operands("ldexp", input, other)
    if other.dtype.kind == "b" and input.dtype.kind == "f":  # PyTorch's exact kernel refuses
        _refuse("ldexp", "other must not be bool beside a floating input", input, other)
    return _ldexp(input, other)


def frexp(input) -> FrexpResult:
    """The mantissa and the exponent of base 2 of each element: ``input = mantissa *
    2**exponent`` with ``0.5 <= |mantissa| < 1`` (0, inf and NaN are their own mantissa,
    with exponent 0), as ``torch.frexp``.

    Args:
        input: a float Tensor (or array).

    Returns:
        A named tuple ``(mantissa, exponent)``, as ``torch.return_types.frexp``: the mantissa
        in ``input``'s dtype, with the gradient ``grad / 2**exponent`` (exact: PyTorch's
        takes ``2**exponent`` in float32); the exponent int32.

    Raises:
        UnsupportedDtypeError: (a TypeError) an integer or bool ``input``, as PyTorch's
            RuntimeError.

    Example:
        >>> import xpnet
        >>> mantissa, exponent = xpnet.frexp(xpnet.tensor([8.0, -3.0, 0.0]))
        >>> mantissa.tolist(), exponent.tolist(), exponent.dtype
        ([0.5, -0.75, 0.0], [4, 2, 0], dtype('int32'))
    """
    input = as_input("frexp", input)
    if input.dtype.kind != "f":
        _refuse("frexp", "input must be a floating point tensor", input)
    mantissa, exponent = _frexp(input)
    return FrexpResult(mantissa, Tensor(exponent))


def angle(input) -> Tensor:
    """The argument of each element, as ``torch.angle``: for real tensors pi below 0 and 0
    elsewhere (-0 too), NaN where NaN.

    Args:
        input: a Tensor (or array); integers and bools give the default float dtype.

    Returns:
        A Tensor of ``input``'s shape; its gradient is zero, as PyTorch's for real tensors.

    Note:
        A complex ``input`` gives ``xp.angle``'s values without a gradient.

    Example:
        >>> import xpnet
        >>> xpnet.angle(xpnet.tensor([-2.0, 0.0, 3.0])).tolist()
        [3.1415927410125732, 0.0, 0.0]
    """
    input = as_input("angle", input)
    if input.dtype.kind == "c":
        return Tensor(backend_of(input.array).xp.angle(input.array))
    return _angle(floating(input))


def _in_place(name: str, function):
    def method(self, other) -> Tensor:
        self, other = as_input(name, self), as_input(name, other, "other")
        return apply_in_place(name, self, function, other)

    method.__name__ = method.__qualname__ = name
    method.__doc__ = f"""``input.{function.__name__}(other)``, in place (``other`` broadcast to
    this tensor's shape, the result cast to its dtype), as ``Tensor.{name}``; returns
    ``input``."""
    return method


gcd_, lcm_, ldexp_, nextafter_ = (
    _in_place(f"{f.__name__}_", f) for f in (gcd, lcm, ldexp, nextafter)
)

METHODS = {
    f.__name__: f
    for f in (fmax, fmin, gcd, lcm, nextafter, ldexp, frexp, angle, gcd_, lcm_, ldexp_, nextafter_)
}
