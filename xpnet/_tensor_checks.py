"""Argument checks the Tensor methods share, where PyTorch refuses what NumPy would accept.

:func:`checked_flags` is PyTorch's argument parser for the parameters whose default is a bool
(``keepdim``, ``sorted``, ``largest``, ...: only a bool, not ``0`` or ``None``) or a float
(``rtol``, ``nan``: a number); :mod:`xpnet._tensor_methods` wraps each method it attaches, and
:func:`flags_checked` decorates the function forms (``xpnet.svd``). :func:`check_tensor` is its
rule for a ``Tensor`` parameter (``addr``'s ``vec1``); a ``Scalar or Tensor`` operand is
:mod:`xpnet._tensor_operands`'s. :func:`refuse_dtype` refuses the dtypes PyTorch has no kernel
for (``abs`` of bools, ``hypot`` of integers: :class:`UnsupportedDtypeError`),
:func:`refuse_integer_division` an integer division by zero (PyTorch's ``ZeroDivisionError``; on
strict and CuPy the check is deferred to the next host read, as :mod:`xpnet.backends._deferred`
does for every value check, so it costs no sync). Dims are checked by
:func:`xpnet._tensor_dims.check_dim`; kernels' checks live in :mod:`xpnet.kernels._checks`.
"""

from __future__ import annotations

import functools
import inspect
import numbers
import re

from ._tensor_operands import describe
from .autograd import Tensor
from .backends import backend_of
from .backends._deferred import defer_check
from .kernels._checks import UnsupportedDtypeError  # its home; refuse_dtype raises it

__all__ = [
    "IntegerDivisionError",
    "UnsupportedDtypeError",
    "check_real",
    "check_tensor",
    "tensor_shape",
    "checked_flags",
    "flags_checked",
    "named_as",
    "ordered_operands",
    "refuse_complex",
    "refuse_dtype",
    "refuse_integer_division",
]


class IntegerDivisionError(ZeroDivisionError, RuntimeError):
    """An integer division by zero: a ``ZeroDivisionError``, and the ``RuntimeError`` PyTorch
    raises (its message is ``ZeroDivisionError``), so code written for either catches it."""


def named_as(alias: str, target: str, function):
    """``function`` (the op ``target``) under PyTorch's other name ``alias``, its errors naming
    ``alias``, the op called, as PyTorch's: the one mechanism of every alias table. An
    anonymous ``function`` (a Tensor method's closure) is renamed ``Tensor.<alias>``, so that
    Python's arity errors name it too.

    Example:
        >>> import xpnet
        >>> less = named_as("less", "lt", lambda self, other: xpnet.Tensor.lt(self, other))
        >>> less(xpnet.ones(1), "abc")
        Traceback (most recent call last):
        TypeError: Tensor.less: other must be a number or a Tensor, got str 'abc'
    """
    if alias == target:
        return function
    if "<" in getattr(function, "__qualname__", ""):
        function.__qualname__ = f"Tensor.{alias}"
    # the op named first, with or without its owner and in-place "_": "Tensor.gt: ...",
    # "Tensor.abs() takes ...", "Tensor.clamp: ..." from clamp_
    op = re.escape(target.rstrip("_"))
    pattern = re.compile(rf"^((?:Tensor|xpnet)\.)?{op}_?(?=[:( ])")

    @functools.wraps(function)  # its signature: checked_flags reads the parameters
    def aliased(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        except Exception as error:
            if len(error.args) == 1 and isinstance(error.args[0], str):
                error.args = (pattern.sub(rf"\g<1>{alias}", error.args[0], count=1),)
            raise

    aliased.__name__ = aliased.__qualname__ = alias
    return aliased


def _is_number(value) -> bool:
    """What PyTorch's parser takes for a float: a real number or a 0-d tensor (not ``[1.0]``)."""
    return isinstance(value, numbers.Real) or getattr(value, "shape", None) == ()


def check_real(where: str, name: str, value) -> None:
    """TypeError unless ``value`` is ``None`` or what PyTorch takes for a float (a real
    number or a 0-d tensor): for the float parameters whose default is ``None``."""
    if value is not None and not _is_number(value):
        msg = f"{where}: {name} must be a float, got {describe(value)}"
        raise TypeError(msg)


def check_tensor(where: str, name: str, value) -> None:
    """TypeError naming ``where`` and ``name`` unless ``value`` is a Tensor (or a backend
    array): PyTorch's parser for its ``Tensor`` parameters (``addr``'s ``vec1``, ...)."""
    if not hasattr(value, "shape") or not hasattr(value, "dtype"):
        msg = f"{where}: {name} must be a Tensor, got {describe(value)}"
        raise TypeError(msg)


def tensor_shape(where: str, name: str, value) -> tuple:
    """``value``'s shape, after :func:`check_tensor` (``expand_as``, ``reshape_as``, ...)."""
    check_tensor(where, name, value)
    return tuple(value.shape)


_COMPLEX = ("complex64", "complex128")  # NumPy dtypes compare equal to their names
_BOOL = (bool, "bool")  # the annotation, evaluated or a string (``from __future__ import ...``)


def _parameter_rules(method) -> list:
    """``(position or None, name, kind)`` for each parameter of ``method`` that PyTorch's
    parser types by its default: ``"bool"`` or ``"float"``; position ``None``: keyword-only.
    A parameter without a default is typed by its ``bool`` annotation (``torch.dropout``'s
    ``train``)."""
    try:
        parameters = list(inspect.signature(method).parameters.values())
    except (TypeError, ValueError):
        return []
    rules = []
    for position, parameter in enumerate(parameters):
        kind = {bool: "bool", float: "float"}.get(type(parameter.default))
        if parameter.default is inspect.Parameter.empty and parameter.annotation in _BOOL:
            kind = "bool"
        if kind is not None:
            keyword_only = parameter.kind is inspect.Parameter.KEYWORD_ONLY
            rules.append((None if keyword_only else position, parameter.name, kind))
    return rules


def checked_flags(name: str, method, owner: str = "Tensor"):
    """``method`` refusing, as PyTorch's argument parser, a non-bool for a parameter whose
    default is a bool (or, with no default, whose annotation is ``bool``), and a non-number for
    one whose default is a float (TypeError naming ``<owner>.<name>`` and the argument); a 0-d
    tensor there is read as its number, as the parser does. ``method`` itself when it has no
    such parameter."""
    rules = _parameter_rules(method)
    if not rules:
        return method

    @functools.wraps(method)
    def checked(*args, **kwargs):
        for position, parameter, kind in rules:
            in_args = position is not None and position < len(args)
            if not in_args and parameter not in kwargs:
                continue
            value = args[position] if in_args else kwargs[parameter]
            if isinstance(value, bool) if kind == "bool" else isinstance(value, numbers.Real):
                continue
            if kind == "bool" or not _is_number(value):
                msg = f"{owner}.{name}: {parameter} must be a {kind}, got {describe(value)}"
                raise TypeError(msg)
            if in_args:  # a 0-d tensor: its number (a host read, as PyTorch's .item())
                args = (*args[:position], value.item(), *args[position + 1 :])
            else:
                kwargs = {**kwargs, parameter: value.item()}
        return method(*args, **kwargs)

    return checked


def flags_checked(owner: str):
    """Decorator: :func:`checked_flags` for a function form (``xpnet.svd``), its errors
    naming ``<owner>.<name>``; the Tensor methods get theirs from :mod:`xpnet._tensor_methods`.

    Example:
        >>> @flags_checked("xpnet")
        ... def svd(input, some: bool = True): ...
        >>> svd(None, some=1)
        Traceback (most recent call last):
        TypeError: xpnet.svd: some must be a bool, got int 1
    """
    return lambda function: checked_flags(function.__name__, function, owner)


def refuse_dtype(where: str, tensor, kinds: str, what: str, name: str = "input") -> None:
    """:class:`UnsupportedDtypeError` if ``tensor``'s dtype kind is one of ``kinds`` (``"b"``
    bool, ``"iu"`` integers), which ``where`` does not take for its argument ``name``, as
    PyTorch (``what``: what it needs)."""
    if tensor.dtype.kind in kinds:
        msg = f"{where}: {name} must be {what}, got dtype {tensor.dtype}"
        raise UnsupportedDtypeError(msg)


def ordered_operands(name: str, operands: tuple) -> tuple:
    """``operands`` (two arrays or numbers) of the comparison ``name`` (``__lt__``, ``gt``,
    ...), after :class:`UnsupportedDtypeError` for a complex one in an ordering (``<``,
    ``<=``, ``>``, ``>=``), which PyTorch refuses (NumPy orders complex numbers).

    Example:
        >>> try:
        ...     ordered_operands("__lt__", (1.0, 1j))
        ... except NotImplementedError as error:  # and TypeError
        ...     print(error)
        Tensor.lt: input and other must be real, got a complex number
    """
    op = name.strip("_")
    if op in ("lt", "le", "gt", "ge"):
        refuse_complex(f"Tensor.{op}", "input and other", *operands)
    return operands


def is_complex_value(value) -> bool:
    """Whether ``value`` (a Tensor, an array of any backend or a number) is complex."""
    return isinstance(value, complex) or getattr(value, "dtype", None) in _COMPLEX


def refuse_complex(where: str, names: str, *operands) -> None:
    """:class:`UnsupportedDtypeError` naming ``where`` and ``names`` if one of ``operands``
    (Tensors, arrays, numbers or None) is complex, for what orders values (orderings, clamp,
    maximum, floor division, remainder): PyTorch refuses, NumPy orders complex numbers.

    Example:
        >>> try:
        ...     refuse_complex("Tensor.clamp", "input, min and max", 2.0, 1j, None)
        ... except NotImplementedError as error:  # and TypeError
        ...     print(error)
        Tensor.clamp: input, min and max must be real, got a complex number
    """
    if any(is_complex_value(v) for v in operands):
        raise UnsupportedDtypeError(f"{where}: {names} must be real, got a complex number")


def refuse_integer_division(where: str, a, b) -> None:
    """Raise :class:`IntegerDivisionError` if integer (or bool) operands ``a`` and ``b``
    (Tensors, arrays or numbers) divide by a zero in ``b``, as PyTorch: a number at once, an
    array where host reads are free (NumPy), else at the next host read (deferred: no sync).
    A float operand divides by IEEE rules (inf, NaN) and is not checked. UnsupportedDtypeError
    for two bools, which PyTorch does not divide (its NotImplementedError)."""
    arrays = [x.array if isinstance(x, Tensor) else x for x in (a, b)]
    if all(isinstance(x, bool) or getattr(x, "dtype", None) == "bool" for x in arrays):
        msg = f"{where}: input and other must not both be bool (PyTorch has no bool division)"
        raise UnsupportedDtypeError(msg)
    integral = [
        x.dtype.kind in "iub" if hasattr(x, "dtype") else isinstance(x, numbers.Integral)
        for x in arrays
    ]
    if not all(integral):
        return
    msg = f"{where}: integer division by zero (PyTorch's ZeroDivisionError)"
    divisor = arrays[1]
    if not hasattr(divisor, "dtype"):
        if divisor == 0:
            raise IntegerDivisionError(msg)
        return

    def nonzero(host) -> None:
        if host:
            raise IntegerDivisionError(msg)

    backend = backend_of(divisor)
    defer_check(backend, backend.xp.any(divisor == 0), nonzero)
