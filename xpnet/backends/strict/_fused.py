"""Strict's ``fuse``: the Python numbers a fused function is given, as CuPy 14 treats them.

``cupy.fuse`` passes a Python ``int`` or ``float`` argument to its kernel as a weakly typed
scalar, and an operation whose operands are all such scalars (or literals, as ``1.0`` in
``1.0 - momentum``) runs in the smallest type: float16 for floats. Seen on an H200 with
CuPy 14.2: Adam's ``1 - beta2`` became 0.00097656 instead of 0.001, and batch norm's running
statistics drifted by 1e-4. With an array operand the array's type wins, so such values are
computed outside the fused function and passed in. :class:`FusedScalar` makes strict refuse
what CuPy would compute in float16.
"""

from __future__ import annotations

import operator

import numpy

__all__ = ["FusedScalar", "fused_arguments"]

_NUMBERS = (int, float, complex, numpy.generic)


class FusedScalar:
    """A Python number inside a strict fused function: with an array it is the number; with
    another number (a literal or another argument) it raises ``TypeError``."""

    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value

    def __repr__(self):
        return f"FusedScalar({self.value!r})"

    def _apply(self, name, function, other, reflected):
        if isinstance(other, (*_NUMBERS, FusedScalar)):
            _refuse(f"{name} of two scalars")
        return function(other, self.value) if reflected else function(self.value, other)

    def __neg__(self):
        _refuse("negation of a scalar")

    def __bool__(self):
        raise TypeError("strict: a fused function's scalar has no truth value (as in CuPy)")


def _refuse(what):
    msg = (
        f"strict: {what} inside a fused function: CuPy 14's fuse computes it in float16; "
        "compute it outside and pass the result in"
    )
    raise TypeError(msg)


def _operator(name, function, reflected):
    return lambda self, other: self._apply(name, function, other, reflected)


for _name in ("add", "sub", "mul", "truediv", "floordiv", "mod", "pow"):
    _function = getattr(operator, _name)
    setattr(FusedScalar, f"__{_name}__", _operator(_name, _function, False))
    setattr(FusedScalar, f"__r{_name}__", _operator(_name, _function, True))
for _name in ("lt", "le", "gt", "ge", "eq", "ne"):
    setattr(FusedScalar, f"__{_name}__", _operator(_name, getattr(operator, _name), False))
FusedScalar.__hash__ = None


def fused_arguments(args):
    """``args`` with every Python ``int`` and ``float`` as a :class:`FusedScalar`."""
    return [FusedScalar(a) if type(a) in (int, float) else a for a in args]
