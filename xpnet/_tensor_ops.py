"""The forward/backward pairs behind :class:`xpnet.Tensor`'s operators and methods.

``+ - * / ** @``, indexing, ``sum``, ``mean`` and ``reshape``: the arithmetic of Tensors
themselves, where :mod:`xpnet.kernels` holds the layers' numerics. They follow the kernels'
convention: ``<op>(*args)`` on arrays and ``<op>_backward(grad_output, *args)`` returning
the gradients of the array arguments. :mod:`xpnet.autograd` turns each pair into a
:class:`~xpnet.autograd.Function`. A Python number in place of an array gets a gradient
too; autograd drops it. Every backward first checks that ``grad_output`` has the forward
output's shape and dtype and the operands' backend, from shapes alone (no forward rerun, no
device work): a gradient of another shape would broadcast into silent garbage.
"""

from __future__ import annotations

import functools
import math

import numpy

from ._dtypes import opmath, real_part_for
from ._tensor_dims import distinct_dims, torch_index
from ._tensor_dims import shape_argument as shape_argument  # for autograd.py
from ._tensor_operands import check_operands, describe
from .backends import backend_of, float_errors_ignored
from .backends._base import fused
from .kernels._checks import ArgumentError, UnsupportedDtypeError, check_grad_output
from .kernels._exact_arithmetic import power_by


def shape_of(value) -> tuple:
    return getattr(value, "shape", ())


def unbroadcast(grad, shape: tuple):
    """Sum ``grad`` down to ``shape``: a broadcast input was used many times, so its
    gradient is the sum of the gradients of every copy."""
    extra = grad.ndim - len(shape)
    axes = tuple(range(extra)) + tuple(
        extra + i for i, n in enumerate(shape) if n == 1 and grad.shape[extra + i] != 1
    )
    # keepdims then reshape: an array even for shape (), where NumPy's sum gives a scalar
    if not axes:
        return grad
    return backend_of(grad).xp.reshape(grad.sum(axis=axes, keepdims=True), shape)


def check_grad(where, grad_output, shape, dtype, *operands):
    """Raise unless ``grad_output`` is an array on the backend of the array ``operands``
    (Python numbers are skipped), of ``shape`` and ``dtype``."""
    arrays = [operand for operand in operands if hasattr(operand, "shape")]
    names = ("grad_output",) + tuple(f"operand {i}" for i in range(len(arrays)))
    backend_of(grad_output, *arrays, names=names, where=where)
    check_grad_output(where, grad_output, shape, dtype)


def result_type(*operands):
    """The dtype of an arithmetic forward on ``operands``, from their dtypes on the host
    (NumPy's rules, which CuPy follows: a Python number takes the array's kind)."""
    return numpy.result_type(*(getattr(op, "dtype", op) for op in operands))


def _check_binary(where, grad_output, a, b):
    shape = numpy.broadcast_shapes(shape_of(a), shape_of(b))
    check_grad(where, grad_output, shape, result_type(a, b), a, b)


def shape_only(shape):
    """A host array of ``shape`` that holds one element: NumPy's indexing and reshape rules
    give the result's shape without touching the device."""
    return numpy.broadcast_to(numpy.empty((), dtype=bool), shape)


def reduced_shape(shape, dim, keepdim: bool) -> tuple:
    """The shape of a reduction of an array of ``shape`` over ``dim`` (NumPy's ``axis``)."""
    return shape_only(shape).sum(axis=dim, keepdims=keepdim).shape


def ieee(function):
    """``function`` giving inf and NaN as values, never as NumPy warnings (as PyTorch)."""

    @functools.wraps(function)
    def quiet(*args, **kwargs):
        with float_errors_ignored():
            return function(*args, **kwargs)

    return quiet


@ieee
def add(a, b):
    check_operands("Tensor.add", a, b)
    return a + b


@ieee
def add_backward(grad_output, a, b):
    _check_binary("add_backward", grad_output, a, b)
    return unbroadcast(grad_output, shape_of(a)), unbroadcast(grad_output, shape_of(b))


@ieee
def sub(a, b):
    check_operands("Tensor.sub", a, b)
    return a - b


@ieee
def sub_backward(grad_output, a, b):
    _check_binary("sub_backward", grad_output, a, b)
    return unbroadcast(grad_output, shape_of(a)), unbroadcast(-grad_output, shape_of(b))


@ieee
@opmath
def mul(a, b):
    check_operands("Tensor.mul", a, b)
    return a * b


@ieee
def mul_backward(grad_output, a, b):
    _check_binary("mul_backward", grad_output, a, b)
    return unbroadcast(mul(grad_output, b), shape_of(a)), unbroadcast(grad_output * a, shape_of(b))


@ieee
@opmath
def div(a, b):
    check_operands("Tensor.div", a, b)
    return a / b


@ieee
def div_backward(grad_output, a, b):
    """``grad / b`` and ``-grad * ((a / b) / b)``, PyTorch's order: ``-(grad / b) * a / b``
    overflows to inf * 0 = NaN where a is 0 and grad / b is huge."""
    _check_binary("div_backward", grad_output, a, b)
    grad_b = fused(backend_of(grad_output), _divisor_grad)(grad_output, a, b)
    return unbroadcast(div(grad_output, b), shape_of(a)), unbroadcast(grad_b, shape_of(b))


def _divisor_grad(grad_output, a, b):
    return -grad_output * ((a / b) / b)  # one device call: fused by div_backward


_INTEGERS = {first + second for first in "iu" for second in "iu"}


def _kind(value) -> str:
    """An array's dtype kind; ``"b"`` for a Python bool, ``"n"`` for another number."""
    return value.dtype.kind if hasattr(value, "dtype") else "b" if isinstance(value, bool) else "n"


@ieee
def pow(a, exponent):
    """``a ** exponent``; for integer arrays PyTorch's: a negative exponent array gives 0, or 1
    and -1 for bases 1 and -1, a negative int is refused; a bool array to a Python bool: ``a or
    not exponent``, and two bool arrays are refused, as PyTorch has no pow of bools."""
    check_operands("Tensor.pow", a, exponent)
    xp = backend_of(a if hasattr(a, "dtype") else exponent).xp
    if isinstance(a, int) and hasattr(exponent, "dtype") and exponent.dtype.kind in "iub":
        a = xp.asarray(a, dtype=exponent.dtype)  # 2 ** x of integers: as x ** x below
    if not hasattr(a, "dtype"):  # 2.5 ** x: NumPy's rules
        return a**exponent
    if a.dtype.kind == "b" and _kind(exponent) == "b":
        if hasattr(exponent, "dtype"):  # PyTorch's pow takes bools only as x ** True
            raise UnsupportedDtypeError("Tensor.pow: no pow of two bool tensors, as PyTorch")
        return xp.logical_or(a, xp.logical_not(exponent))
    if a.dtype.kind in "iu" and isinstance(exponent, int) and exponent < 0:  # NumPy: ValueError
        raise ArgumentError("Tensor.pow: Integers to negative integer powers are not allowed")
    if a.dtype.kind + _kind(exponent) not in _INTEGERS:
        return power_by(a, exponent)
    negative = exponent < 0
    power = a ** xp.where(negative, 0, exponent)
    reciprocal = xp.where(a == -1, 1 - 2 * (exponent & 1), (a == 1).astype(a.dtype))
    return xp.where(negative, reciprocal, power).astype(a.dtype)


@ieee
def pow_backward(grad_output, a, exponent, output_mask=(True, True)):
    """Gradients of ``a ** exponent``, PyTorch's: ``exponent * a ** (exponent - 1)``, 0 where
    the exponent is 0 (where the formula is ``0 * inf`` at ``a = 0``, or NaN); for the
    exponent ``a ** exponent * log(a)``, 0 where ``a = 0`` and ``exponent >= 0``."""
    _check_binary("pow_backward", grad_output, a, exponent)
    xp = backend_of(grad_output).xp
    if not hasattr(a, "shape"):  # 2 ** x: a 0-d array, so that NumPy keeps the dtype
        a = xp.asarray(a, dtype=grad_output.dtype)
    grad_a = grad_exponent = None
    if output_mask[0]:
        if hasattr(exponent, "shape"):
            slope = xp.where(exponent == 0, 0, exponent * a ** (exponent - 1))
        else:  # a Python number: decided on the host
            slope = exponent * power_by(a, exponent - 1) if exponent else xp.zeros_like(a)
        grad_a = unbroadcast(grad_output * slope, shape_of(a))
    if output_mask[1] and hasattr(exponent, "shape"):
        growth = xp.where((a == 0) & (exponent >= 0), 0, a**exponent * xp.log(a))
        grad_exponent = unbroadcast(grad_output * growth, shape_of(exponent))
    return grad_a, grad_exponent


@ieee
def matmul(a, b):
    for name, value in (("input", a), ("other", b)):
        if not hasattr(value, "shape"):  # a number too: PyTorch's matmul takes only tensors
            raise TypeError(f"Tensor.matmul: {name} must be a Tensor, got {describe(value)}")
        if value.dtype == bool:  # PyTorch has no bool product kernel
            raise UnsupportedDtypeError(f"Tensor.matmul: no product of bools ({name})")
    return a @ b


@ieee
def matmul_backward(grad_output, a, b):
    """``grad_a = grad_output @ b^T``, ``grad_b = a^T @ grad_output``; 1-d operands are
    treated as a row (``a``) or a column (``b``), as in the forward."""
    shape = numpy.matmul(shape_only(a.shape), shape_only(b.shape)).shape
    check_grad("matmul_backward", grad_output, shape, result_type(a, b), a, b)
    xp = backend_of(grad_output).xp
    a2 = a[None, :] if a.ndim == 1 else a
    b2 = b[:, None] if b.ndim == 1 else b
    grad = grad_output[..., None] if b.ndim == 1 else grad_output
    grad = xp.expand_dims(grad, -2) if a.ndim == 1 else grad
    grad_a = xp.reshape(unbroadcast(grad @ xp.swapaxes(b2, -1, -2), a2.shape), a.shape)
    grad_b = xp.reshape(unbroadcast(xp.swapaxes(a2, -1, -2) @ grad, b2.shape), b.shape)
    return grad_a, grad_b


def integer_accumulator(dtype):
    """The dtype PyTorch sums and multiplies a ``dtype`` tensor in: int64 for every integer
    and bool dtype (NumPy's sum of an unsigned dtype is uint64), else ``None`` (its own)."""
    return numpy.int64 if numpy.dtype(dtype).kind in "ub" else None


@ieee  # inf + -inf is NaN, as PyTorch's, not a NumPy warning
def sum(a, dim=None, keepdim=False):
    return a.sum(axis=dim, keepdims=keepdim, dtype=integer_accumulator(a.dtype))


def sum_backward(grad_output, a, dim=None, keepdim=False):
    """Every summed element gets the gradient of its sum: broadcast it back."""
    _check_reduced("sum", grad_output, a, dim, keepdim)
    return spread(grad_output, a, dim, keepdim)


def _check_reduced(reduction, grad_output, a, dim, keepdim):
    """The checks of ``{reduction}_backward`` (``"sum"``, ``"mean"``): the reduced shape, and
    NumPy's result dtype of that reduction (an int sum is int64, an int mean float64)."""
    shape = reduced_shape(a.shape, dim, keepdim)
    dtype = getattr(numpy.zeros(1, dtype=a.dtype), reduction)().dtype
    dtype = integer_accumulator(a.dtype) or dtype if reduction == "sum" else dtype
    check_grad(f"{reduction}_backward", grad_output, shape, dtype, a)


def spread(grad_output, a, dim, keepdim):
    """``grad_output`` of a reduction over ``dim``, broadcast back to ``a``'s shape."""
    xp = backend_of(grad_output).xp
    if dim is not None and not keepdim:
        axes = (dim,) if isinstance(dim, int) else tuple(dim)
        grad_output = xp.expand_dims(grad_output, tuple(axis % a.ndim for axis in axes))
    return xp.broadcast_to(grad_output, a.shape)


@ieee
def mean(a, dim=None, keepdim=False):
    if a.dtype.kind not in "fc":  # as PyTorch's: mean(dtype=...) casts first
        msg = f"mean(): input must be floating point, got {a.dtype}; pass dtype= to cast"
        raise ArgumentError(msg)
    if a.size == 0:  # NumPy warns "Mean of empty slice"; PyTorch gives NaN quietly
        return backend_of(a).xp.full(reduced_shape(a.shape, dim, keepdim), math.nan, a.dtype)
    return a.mean(axis=dim, keepdims=keepdim)


@ieee  # over an empty input the count is 0, and the (empty) gradient divides by it
def mean_backward(grad_output, a, dim=None, keepdim=False):
    _check_reduced("mean", grad_output, a, dim, keepdim)
    axes = range(a.ndim) if dim is None else (dim,) if isinstance(dim, int) else dim
    count = math.prod(a.shape[axis] for axis in axes)
    return spread(grad_output / count, a, dim, keepdim)


def reshape(a, shape):
    try:
        return backend_of(a).xp.reshape(a, shape)
    except ValueError:  # NumPy's; PyTorch's RuntimeError names the shape and the size
        msg = f"shape '{list(shape)}' is invalid for input of size {a.size}"
        raise ArgumentError(msg) from None


def reshape_backward(grad_output, a, shape):
    shape = shape_only(a.shape).reshape(shape).shape
    check_grad("reshape_backward", grad_output, shape, a.dtype, a)
    return backend_of(grad_output).xp.reshape(grad_output, a.shape)


def integers_first(index: tuple):
    """``(integers, rest)``: ``index`` as two, the integers first, where it mixes integers and
    index arrays; ``(None, index)`` otherwise. PyTorch selects by the integers before it
    indexes by arrays, so in ``x[0, :, idx]`` idx's dimension stays in place; NumPy counts
    the integer as an index array and moves the dimensions first."""
    arrays = [hasattr(i, "shape") or isinstance(i, list) for i in index]
    integers = [isinstance(i, int) and not isinstance(i, bool) for i in index]
    if not any(arrays) or not any(integers):
        return None, index
    first = tuple(
        i if kept or i is None or i is Ellipsis else slice(None)
        for i, kept in zip(index, integers, strict=True)
    )
    rest = tuple(
        slice(None) if i is None else i for i, kept in zip(index, integers, strict=True) if not kept
    )
    return first, rest


def axes(dim, ndim: int, where: str = "Tensor.sum"):
    """``dim`` as NumPy's ``axis``: PyTorch also takes a list of dimensions, an empty one for
    all of them, one-element integer Tensors, and dim 0 or -1 of a 0-d tensor (``ndim``), which
    it reduces whole; :func:`~xpnet._tensor_dims.distinct_dims`'s errors naming ``where``."""
    if dim is None or (isinstance(dim, list | tuple) and not dim):
        return None
    checked = distinct_dims(where.removeprefix("Tensor."), dim, ndim)  # a dim twice: refused
    if ndim == 0:
        return None
    return checked if isinstance(dim, list | tuple) else checked[0]


def is_basic_index(index) -> bool:
    """Whether ``index`` holds only ints, slices, ``None`` and ``...``: NumPy's basic
    indexing, whose result is a view of the array (as PyTorch's)."""
    parts = index if isinstance(index, tuple) else (index,)
    return all(
        part is None
        or part is Ellipsis
        or isinstance(part, slice)
        or (isinstance(part, int) and not isinstance(part, bool))
        for part in parts
    )


def getitem(a, index):
    index = torch_index(index)
    if is_basic_index(index):  # with ``...`` NumPy gives a 0-d view, not a scalar (x[0] of 1-d)
        parts = index if isinstance(index, tuple) else (index,)
        index = parts if Ellipsis in parts else (*parts, Ellipsis)
    return a[index]


def getitem_backward(grad_output, a, index):
    """Scatter-add into zeros: an element picked twice by fancy indexing gets both.

    A boolean array in ``index`` selects a number of elements only its values know (a host
    read): then only the gradient's dtype and backend are checked."""
    index = torch_index(index, warn=False)
    shape = _indexed_shape(a.shape, index)
    check_grad("getitem_backward", grad_output, shape or grad_output.shape, a.dtype, a)
    backend = backend_of(grad_output)
    grad = backend.xp.zeros(a.shape, dtype=grad_output.dtype)
    backend.scatter_add(grad, index, grad_output)
    return grad


def _indexed_shape(shape, index):
    """The shape of ``array[index]`` for an array of ``shape`` (arrays in ``index`` by their
    shapes alone); ``None`` when a boolean array decides it."""
    parts = index if isinstance(index, tuple) else (index,)
    host = []
    for part in parts:
        if hasattr(part, "shape") and hasattr(part, "dtype"):
            if part.dtype == bool:
                return None
            part = numpy.zeros(part.shape, dtype=numpy.intp)
        host.append(part)
    return shape_only(shape)[tuple(host)].shape


@ieee  # NaN and inf to integers: no NumPy warning (PyTorch's values are unspecified too)
def cast(a, dtype):
    return real_part_for(a, dtype, stacklevel=6).astype(dtype, copy=False)  # Tensor.to's caller


def cast_backward(grad_output, a, dtype):
    """The gradient goes back in the input's dtype."""
    check_grad("cast_backward", grad_output, a.shape, backend_of(a).xp.dtype(dtype), a)
    return grad_output.astype(a.dtype, copy=False)


def move(a, backend):
    """``a`` copied onto backend ``backend`` (a name); itself when it is already there."""
    from .backends import to_backend

    return to_backend(a, backend)


def move_backward(grad_output, a, backend):
    from .backends import backend_name_of, to_backend

    check_grad_output("move_backward", grad_output, a.shape, a.dtype)
    if (found := backend_name_of(grad_output)) != backend:
        msg = f"move_backward: grad_output must be on backend {backend!r}, got {found!r}"
        raise TypeError(msg)
    return to_backend(grad_output, backend_name_of(a))
