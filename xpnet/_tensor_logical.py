"""PyTorch's logical, bitwise and selection operations that ported scripts use on masks and
indices, as Tensor methods and operators (:data:`METHODS`) and ``xpnet.<name>`` functions
(:data:`__all__`): ``&``, ``|``, ``^``, ``~`` (``bitwise_and``/``or``/``xor``/``not``, on
bool and integer tensors), ``logical_and``/``or``/``xor``/``not``, ``//``
(``floor_divide``) and ``%``, ``nonzero``, ``argwhere``, ``masked_select``, ``clamp_min``/
``clamp_max``, ``signbit``, ``isposinf``/``isneginf``, ``type_as``, ``reshape_as``,
``is_floating_point``, ``element_size``; and the function forms of comparisons and other
methods (``eq`` ... ``ge`` and their long names, ``all``, ``any``, ``clone``, ``t``,
``reciprocal``) and PyTorch's aliases (``multiply``, ``divide``, ``subtract``,
``true_divide``, ``negative``, ``absolute``, ``concatenate``, ``ravel``), plus ``fliplr`` and
``flipud`` (``hstack`` and ``vstack`` are :mod:`xpnet._tensor_split`'s).

Logical and bitwise results are not differentiable (bool or integer), as PyTorch's;
``masked_select``, ``//`` of floats (zero gradient, as PyTorch's floor division) and the
aliases keep the gradients of the methods they call. ``nonzero``, ``argwhere`` and
``masked_select`` have a shape only the values know: they read the mask on the host, as
PyTorch's synchronise with the GPU.

Example:
    >>> import xpnet
    >>> x = xpnet.tensor([-1.0, 0.5, 2.0])
    >>> ((x > 0) & (x < 1)).tolist(), (~(x > 0)).tolist(), (x // 1).tolist()
    ([False, True, False], [True, False, False], [-1.0, 0.0, 2.0])
"""

from __future__ import annotations

import numbers

import numpy

from . import _tensor_elementwise as elementwise
from ._dtypes import can_cast, check_broadcast, result_dtype, torch_operands
from ._node_names import named_nodes
from ._tensor_checks import check_tensor, named_as, tensor_shape
from ._tensor_functions import rounded_division
from ._tensor_inplace import check_no_overlap
from ._tensor_join import cat
from ._tensor_operands import check_operand
from ._torch_functions import as_input, number_operands
from ._versions import mark_written
from .autograd import Tensor, data_of
from .backends import backend_of
from .kernels import ArgumentError, UnsupportedDtypeError

_BITWISE = {"and": "bitwise_and", "or": "bitwise_or", "xor": "bitwise_xor"}

__all__ = [
    "bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_not", "logical_and", "logical_or",
    "logical_xor", "logical_not", "floor_divide", "nonzero", "argwhere", "masked_select",
    "clamp_min", "clamp_max", "signbit", "isposinf", "isneginf", "eq", "ne", "lt", "le", "gt",
    "ge", "greater", "greater_equal", "less", "less_equal", "not_equal", "all", "any", "clone",
    "t", "reciprocal", "multiply", "divide", "subtract", "true_divide", "negative", "absolute",
    "concatenate", "ravel", "fliplr", "flipud",
]  # fmt: skip


def _array(where: str, value):
    """``value`` (a Tensor, an array, or a Python bool or int) as what NumPy's bitwise ufuncs
    take; a TypeError naming ``where`` for a float or anything else, as PyTorch refuses (an
    :class:`~xpnet.kernels.UnsupportedDtypeError`: PyTorch's ``bitwise_and`` of floats raises
    ``NotImplementedError``, its ``~`` a ``TypeError``)."""
    value = data_of(value)
    kind = value.dtype.kind if hasattr(value, "dtype") else None
    if isinstance(value, numbers.Integral) or kind in ("b", "i", "u"):
        return value
    shown = getattr(value, "dtype", type(value).__name__)
    msg = f"Tensor.{where}: bitwise operations take bool or integer tensors, got {shown}"
    raise UnsupportedDtypeError(msg)


def _bitwise(name: str, ufunc: str, reflected: bool = False):
    def method(self, other) -> Tensor:
        xp = backend_of(self.array).xp
        a, b = torch_operands(_array(name, self), _array(name, other))  # u8 & -1: -1 wraps
        return Tensor(getattr(xp, ufunc)(b, a) if reflected else getattr(xp, ufunc)(a, b))

    method.__name__ = name
    method.__doc__ = f"Elementwise ``{ufunc}`` of bool or integer tensors, as PyTorch's."
    return method


def _bitwise_in_place(name: str, ufunc: str):
    def method(self, other) -> Tensor:
        xp = backend_of(self.array).xp
        check_no_overlap(name, self)
        a, b = _array(name, self), _array(name, other)
        if not can_cast(dtype := result_dtype(a, b), a.dtype):  # bool &= 1: int64, as PyTorch
            msg = f"Tensor.{name}: result type {dtype} can't be cast to this tensor's {a.dtype}"
            raise RuntimeError(msg)
        getattr(xp, ufunc)(*torch_operands(a, b), out=self.array)
        mark_written(self)
        return self

    method.__name__ = name
    method.__doc__ = f"``{ufunc}`` in place (bool or integer tensors); returns this tensor."
    return method


def bitwise_not(input) -> Tensor:
    """``~input``: logical not of a bool tensor, bitwise not of an integer one."""
    tensor = as_input("bitwise_not", input)
    return Tensor(backend_of(tensor.array).xp.invert(_array("bitwise_not", tensor)))


def _logical(name: str):
    def method(self, other) -> Tensor:
        check_tensor(f"Tensor.{name}", "other", other)  # PyTorch takes no number here
        other = data_of(other)
        xp = backend_of(self.array, other, names=("self", "other"), where=f"Tensor.{name}").xp
        check_broadcast(self.shape, other.shape)  # PyTorch's RuntimeError, not NumPy's
        return Tensor(getattr(xp, name)(self.array, other))

    method.__name__ = name
    method.__doc__ = f"Elementwise ``{name}`` (non-zero is true) as a bool Tensor."
    return method


def logical_not(input) -> Tensor:
    """Elementwise ``not`` (non-zero is true) as a bool Tensor."""
    tensor = as_input("logical_not", input)
    return Tensor(backend_of(tensor.array).xp.logical_not(tensor.array))


def floor_divide(input, other) -> Tensor:
    """``input // other``: the quotient rounded down, as ``torch.floor_divide`` (and
    ``div(rounding_mode="floor")``); integers by zero raise, as PyTorch. As PyTorch's, it has
    no derivative: a backward pass through it raises ``RuntimeError``."""
    check_operand("xpnet.floor_divide", "other", other)
    return rounded_division("floor_divide", *number_operands("floor_divide", input, other), None)


def nonzero(input, *, as_tuple: bool = False):
    """The indices of the non-zero elements, as ``torch.nonzero``: an int64 (n, ndim) Tensor,
    or with ``as_tuple`` one 1-d Tensor per dimension. Reads the values on the host."""
    tensor = as_input("nonzero", input)
    xp = backend_of(tensor.array).xp
    indices = xp.nonzero(tensor.array if tensor.ndim else tensor.array.reshape(1))
    if as_tuple:
        return tuple(Tensor(index.astype("int64")) for index in indices)
    return Tensor(xp.stack(indices, axis=1).astype("int64")[:, : tensor.ndim])


def argwhere(input) -> Tensor:
    """``nonzero(input)``, as ``torch.argwhere``."""
    return nonzero(as_input("argwhere", input))


@named_nodes("MaskedSelectBackward0")
def masked_select(input, mask) -> Tensor:
    """The elements of ``input`` where ``mask`` (bool, broadcast with ``input``) is true, as a
    1-d Tensor, as ``torch.masked_select``; gradients flow to the selected elements."""
    tensor, mask = as_input("masked_select", input), as_input("masked_select", mask, "mask")
    if mask.dtype.kind != "b":
        msg = f"xpnet.masked_select: mask must be a bool tensor, got {mask.dtype}"
        raise TypeError(msg)
    shape = numpy.broadcast_shapes(tensor.shape, mask.shape)
    return tensor.expand(*shape)[backend_of(mask.array).xp.broadcast_to(mask.array, shape)]


@named_nodes("ClampMinBackward0")
def clamp_min(input, min) -> Tensor:
    """``input.clamp(min=min)``, as ``torch.clamp_min`` (``min`` a number or a Tensor)."""
    check_operand("clamp_min", "min", min)  # PyTorch's TypeError for None, not clamp's error
    return as_input("clamp_min", input).clamp(min=min)


@named_nodes("ClampMaxBackward0")
def clamp_max(input, max) -> Tensor:
    """``input.clamp(max=max)``, as ``torch.clamp_max`` (``max`` a number or a Tensor)."""
    check_operand("clamp_max", "max", max)
    return as_input("clamp_max", input).clamp(max=max)


def _test(name: str):
    def function(input) -> Tensor:
        tensor = as_input(name, input)
        return Tensor(getattr(backend_of(tensor.array).xp, name)(tensor.array))

    function.__name__ = function.__qualname__ = name
    function.__doc__ = f"Elementwise ``{name}`` as a bool Tensor (not differentiable)."
    return function


signbit, isposinf, isneginf = (_test(name) for name in ("signbit", "isposinf", "isneginf"))


def _method_form(name: str, method: str, numbers: bool = False):
    """``xpnet.<name>``: ``input``'s ``method``; with ``numbers``, ``input`` may be a Python
    number beside a Tensor ``other``, where PyTorch's parser takes one (``multiply(2, x)``)."""

    def function(input, *args, **kwargs):
        if method in ("eq", "ne") and args:  # x == None is False in Python; PyTorch's eq refuses
            check_operand(f"xpnet.{name}", "other", args[0])
        if numbers and args:
            input, other = number_operands(name, input, args[0])
            return getattr(input, method)(other, *args[1:], **kwargs)
        return getattr(as_input(name, input), method)(*args, **kwargs)

    function.__name__ = function.__qualname__ = name
    function.__doc__ = f"``input.{method}(...)``, as ``torch.{name}`` (see the Tensor method)."
    return named_as(name, method, function)


_FORMS = {
    "eq": "eq", "ne": "ne", "lt": "lt", "le": "le", "gt": "gt", "ge": "ge", "greater": "gt",
    "greater_equal": "ge", "less": "lt", "less_equal": "le", "not_equal": "ne", "all": "all",
    "any": "any", "clone": "clone", "t": "t", "reciprocal": "reciprocal", "multiply": "mul",
    "divide": "div", "subtract": "sub", "true_divide": "div", "negative": "neg",
    "absolute": "abs",
}  # fmt: skip
eq, ne, lt, le, gt, ge, greater, greater_equal, less, less_equal, not_equal = (
    _method_form(name, _FORMS[name]) for name in __all__[17:28]
)
all, any, clone, t, reciprocal = (_method_form(name, _FORMS[name]) for name in __all__[28:33])
multiply, divide, subtract, true_divide, negative, absolute = (
    _method_form(name, _FORMS[name], numbers=True) for name in __all__[33:39]
)


def ravel(input) -> Tensor:
    """``input`` flattened to 1-d, as ``torch.ravel``: no other argument (``x.ravel(1)`` is
    PyTorch's TypeError, where :meth:`Tensor.flatten` would take ``1`` as ``start_dim``)."""
    return as_input("ravel", input).flatten()


def concatenate(tensors, dim: int = 0, *, axis=None) -> Tensor:
    """``xpnet.cat``, as ``torch.concatenate`` (``axis`` is ``dim``'s NumPy name)."""
    return cat(tensors, dim if axis is None else axis)


def fliplr(input) -> Tensor:
    """``input.flip(1)``, as ``torch.fliplr`` (at least 2-d)."""
    return _at_least("fliplr", input, 2).flip(1)


def flipud(input) -> Tensor:
    """``input.flip(0)``, as ``torch.flipud`` (at least 1-d)."""
    return _at_least("flipud", input, 1).flip(0)


def _at_least(where: str, input, ndim: int) -> Tensor:
    """``input`` as a Tensor, refusing fewer than ``ndim`` dims with PyTorch's RuntimeError."""
    tensor = as_input(where, input)
    if tensor.ndim < ndim:
        msg = f"{where}: Input must be >= {ndim}-d, got a {tensor.ndim}-d tensor"
        raise ArgumentError(msg)
    return tensor


METHODS = {
    **{f"__{op}__": _bitwise(f"__{op}__", ufunc) for op, ufunc in _BITWISE.items()},
    **{f"__r{op}__": _bitwise(f"__r{op}__", ufunc, True) for op, ufunc in _BITWISE.items()},
    **{f"__i{op}__": _bitwise_in_place(f"__i{op}__", ufunc) for op, ufunc in _BITWISE.items()},
    **{ufunc: _bitwise(ufunc, ufunc) for ufunc in _BITWISE.values()},
    **{f"{ufunc}_": _bitwise_in_place(f"{ufunc}_", ufunc) for ufunc in _BITWISE.values()},
    "__invert__": bitwise_not,
    "ravel": ravel,
    "bitwise_not": bitwise_not,
    **{name: _logical(name) for name in ("logical_and", "logical_or", "logical_xor")},
    "logical_not": logical_not,
    "__floordiv__": floor_divide,
    "__rfloordiv__": lambda self, other: floor_divide(
        *number_operands("floor_divide", other, self)
    ),
    "floor_divide": floor_divide,
    "__mod__": lambda self, other: self.remainder(other),
    "__rmod__": lambda self, other: elementwise.remainder(other, self),
    "nonzero": nonzero,
    "argwhere": argwhere,
    "masked_select": masked_select,
    "clamp_min": clamp_min,
    "clamp_max": clamp_max,
    "signbit": signbit,
    "isposinf": isposinf,
    "isneginf": isneginf,
    "type_as": lambda self, other: self.to(as_input("type_as", other, "other").dtype),
    "reshape_as": lambda self, other: self.reshape(
        tensor_shape("Tensor.reshape_as", "other", other)
    ),
    "is_floating_point": lambda self: self.dtype.kind == "f",
    "element_size": lambda self: self.dtype.itemsize,
}
bitwise_and, bitwise_or, bitwise_xor = (_method_form(n, n, numbers=True) for n in __all__[:3])
logical_and, logical_or, logical_xor = (_method_form(name, name) for name in __all__[4:7])
