"""What PyTorch's argument parser takes for a ``Scalar or Tensor`` operand, checked cheaply.

NumPy makes an array of a string, a list, a tuple or ``None`` (or fails deep inside with an
unrelated error), where PyTorch refuses them at the call; :func:`check_operands` runs on every
arithmetic call, so its common case (two arrays or Python numbers) is one set lookup each.
This module imports nothing of xpnet's, so that :mod:`xpnet._tensor_ops` (imported by
:mod:`xpnet.autograd`) and :mod:`xpnet._tensor_checks` both use it.
"""

from __future__ import annotations

import numbers

import numpy

__all__ = ["check_operand", "check_operands", "describe", "is_operand"]

# the operand types checked by one lookup, every call's fast path: arrays and Python numbers,
# and each other array type met (CuPy's, strict's, Tensor): its ``dtype`` can cost microseconds
_PLAIN_OPERANDS = {float, int, bool, numpy.ndarray}


def describe(value) -> str:
    """``value`` for an error message: its type, and its repr when short (an array: shape).

    Example:
        >>> describe((1, 2)), describe(numpy.zeros((2, 3)))
        ('tuple (1, 2)', 'ndarray of shape (2, 3)')
    """
    if hasattr(value, "shape"):
        return f"{type(value).__name__} of shape {tuple(value.shape)}"
    shown = repr(value)
    return f"{type(value).__name__} {shown if len(shown) <= 40 else shown[:37] + '...'}"


def is_operand(value) -> bool:
    """Whether ``value`` is an array or a number, what PyTorch's parser takes for a ``Scalar or
    Tensor``: one set lookup for the common types.

    Example:
        >>> is_operand(2.5), is_operand(numpy.zeros(2)), is_operand("abc"), is_operand(None)
        (True, True, False, False)
    """
    if type(value) in _PLAIN_OPERANDS or isinstance(value, numbers.Number):
        return True
    if not (hasattr(value, "dtype") and hasattr(value, "shape")):
        return False
    _PLAIN_OPERANDS.add(type(value))  # an array type: one lookup from now on
    return True


def check_operand(where: str, name: str, value) -> None:
    """TypeError unless ``value`` is an array or a number, as PyTorch's parser: NumPy would
    make an array of a string, a list, a tuple or ``None`` (or fail inside).

    Example:
        >>> check_operand("Tensor.clamp", "min", (-1,))
        Traceback (most recent call last):
        TypeError: Tensor.clamp: min must be a number or a Tensor, got tuple (-1,)
    """
    if not is_operand(value):
        msg = f"{where}: {name} must be a number or a Tensor, got {describe(value)}"
        raise TypeError(msg)


def check_operands(where: str, a, b, names: tuple = ("input", "other")) -> None:
    """:func:`check_operand` of ``a`` and ``b`` (called ``names``): one lookup each if plain."""
    if type(a) not in _PLAIN_OPERANDS or type(b) not in _PLAIN_OPERANDS:
        check_operand(where, names[0], a)
        check_operand(where, names[1], b)
