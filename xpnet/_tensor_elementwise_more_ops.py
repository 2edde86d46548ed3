"""The forward/backward pairs behind :mod:`xpnet._tensor_elementwise_more`: ``fmax``,
``fmin``, ``nextafter``, ``ldexp``, ``frexp`` and ``angle`` (``<op>_arrays``,
``<op>_arrays_backward``: the convention of :mod:`xpnet._tensor_ops`), with PyTorch's result
dtypes (:func:`xpnet._dtypes.result_dtype`) and gradients (``tools/autograd/derivatives.yaml``):
``fmax``/``fmin``'s to the operand whose value is taken (the first on ties, and where both are
NaN); ``nextafter``'s to the first operand where it moves, zeros for the second; ``ldexp``'s
those of ``a * 2**b``; ``frexp``'s mantissa's ``grad / 2**exponent``; ``angle``'s zeros.

Example:
    >>> import numpy as np
    >>> fmax_arrays(np.array([1.0, np.nan]), np.array([np.nan, 2.0])).tolist()
    [1.0, 2.0]
"""

from __future__ import annotations

import math
import operator

import numpy

from ._dtypes import get_default_dtype, result_dtype
from ._tensor_ops import check_grad, ieee, unbroadcast
from .backends import backend_of

__all__ = [
    "fmax_arrays", "fmax_arrays_backward", "fmin_arrays", "fmin_arrays_backward",
    "nextafter_arrays", "nextafter_arrays_backward", "ldexp_arrays", "ldexp_arrays_backward",
    "frexp_arrays", "frexp_arrays_backward", "angle_arrays", "angle_arrays_backward",
]  # fmt: skip

_LN2 = math.log(2.0)
# |exponent| beyond this saturates every ldexp (2**-1074 * 2**4096 overflows float64):
# clipped, so that any integer dtype fits the int32 exponent NumPy's and CuPy's ldexp take
_EXPONENT_LIMIT = 4096


def _common(a, b):
    """``a`` and ``b`` cast to their PyTorch result dtype."""
    dtype = result_dtype(a, b)
    return a.astype(dtype, copy=False), b.astype(dtype, copy=False)


def _check(where: str, grad_output, a, b, dtype):
    shape = numpy.broadcast_shapes(a.shape, b.shape)
    check_grad(where, grad_output, shape, dtype, a, b)
    return backend_of(grad_output).xp


def _nan_ignoring(name: str, keeps):
    """The pair of ``fmax``/``fmin``: ``a`` where ``keeps(a, b)`` (``a >= b``, ``a <= b``:
    ``a`` on ties, -0 and 0 too, as PyTorch) or ``b`` is NaN, else ``b``; the gradient goes
    to the value taken (derivatives.yaml)."""

    def taken(a, b):  # where a is taken, for a and b in their result dtype
        return keeps(a, b) | backend_of(a, b).xp.isnan(b)

    def forward(a, b):
        a, b = _common(a, b)
        return backend_of(a, b).xp.where(taken(a, b), a, b)

    def backward(grad_output, a, b, output_mask=(True, True)):
        xp = _check(f"{name}_backward", grad_output, a, b, result_dtype(a, b))
        to_a = taken(*_common(a, b))
        grad_a = unbroadcast(xp.where(to_a, grad_output, 0), a.shape) if output_mask[0] else None
        grad_b = unbroadcast(xp.where(to_a, 0, grad_output), b.shape) if output_mask[1] else None
        return grad_a, grad_b

    forward.__name__, backward.__name__ = name, f"{name}_backward"
    return ieee(forward), ieee(backward)


fmax_arrays, fmax_arrays_backward = _nan_ignoring("fmax_arrays", operator.ge)
fmin_arrays, fmin_arrays_backward = _nan_ignoring("fmin_arrays", operator.le)


def _ordered(xp, bits):
    """The bits of floats as integers in the floats' order (-0 and 0 both 0)."""
    magnitude = bits & numpy.iinfo(bits.dtype).max
    return xp.where(bits < 0, -magnitude, magnitude)


@ieee
def nextafter_arrays(a, b):
    """The next representable value after ``a`` towards ``b``, as C's ``nextafter``, by
    stepping the bits with integer operations alone: exact on every backend (GPU: CuPy's
    ``nextafter`` and float comparisons flush subnormals to zero, and its float16
    ``nextafter`` rounds back to ``a``)."""
    a, b = _common(a, b)
    xp = backend_of(a, b).xp
    ints = numpy.dtype(f"int{8 * a.dtype.itemsize}")
    bits_a, bits_b = a.view(ints), b.view(ints)
    key_a, key_b = _ordered(xp, bits_a), _ordered(xp, bits_b)
    # one step up of the bits moves away from zero, for either sign (sign and magnitude)
    step = xp.where((key_b > key_a) == (key_a > 0), 1, -1).astype(ints)
    tiny = (bits_b & numpy.iinfo(ints).min) | 1  # the smallest subnormal, with b's sign
    bits = xp.where(key_a == key_b, bits_b, xp.where(key_a == 0, tiny, bits_a + step))
    result = bits.astype(ints, copy=False).view(a.dtype)
    return xp.where(xp.isnan(a) | xp.isnan(b), math.nan, result).astype(a.dtype, copy=False)


@ieee
def nextafter_arrays_backward(grad_output, a, b, output_mask=(True, True)):
    """PyTorch's: ``a`` gets ``grad_output`` where ``a != b``, ``b`` zeros."""
    xp = _check("nextafter_arrays_backward", grad_output, a, b, result_dtype(a, b))
    moved = xp.not_equal(*_common(a, b))
    grad_a = unbroadcast(xp.where(moved, grad_output, 0), a.shape) if output_mask[0] else None
    grad_b = xp.zeros(b.shape, grad_output.dtype) if output_mask[1] else None
    return grad_a, grad_b


def _ldexp_dtype(a, b) -> numpy.dtype:
    dtype = result_dtype(a, b)
    return dtype if dtype.kind == "f" else get_default_dtype()


def _times_power_of_two(a, b, dtype):
    """``a * 2**b`` in ``dtype``, by PyTorch's two kernels: an exact ``ldexp`` for an integer
    ``b`` (``ldexp(0, 2000)`` is 0), a product with ``2**b`` for a float one (float16: the
    power rounded to float16, the product in float32, as PyTorch's)."""
    xp = backend_of(a, b).xp
    if b.dtype.kind in "iub":
        exponent = xp.clip(b.astype(numpy.int64), -_EXPONENT_LIMIT, _EXPONENT_LIMIT)
        return xp.ldexp(a.astype(dtype, copy=False), exponent.astype(numpy.int32))
    work = numpy.float32 if dtype == numpy.float16 else dtype  # float16: 2**b rounded first
    power = xp.exp2(b.astype(work)).astype(dtype).astype(work, copy=False)
    return (a.astype(work) * power).astype(dtype, copy=False)


@ieee
def ldexp_arrays(a, b):
    """``a * 2**b``, in PyTorch's dtype (integers give the default float dtype)."""
    return _times_power_of_two(a, b, _ldexp_dtype(a, b))


@ieee
def ldexp_arrays_backward(grad_output, a, b, output_mask=(True, True)):
    """``grad * 2**b`` for ``a``; ``grad * a * 2**b * log(2)`` for a float ``b`` (an integer
    one gets none)."""
    dtype = _ldexp_dtype(a, b)
    _check("ldexp_arrays_backward", grad_output, a, b, dtype)
    grad_a = grad_b = None
    if output_mask[0]:
        grad_a = unbroadcast(_times_power_of_two(grad_output, b, dtype), a.shape)
    if output_mask[1] and b.dtype.kind == "f":
        product = _times_power_of_two(grad_output * a.astype(dtype, copy=False), b, dtype)
        grad_b = unbroadcast(product * _LN2, b.shape)
    return grad_a, grad_b


@ieee
def frexp_arrays(a):
    """``(mantissa, exponent)``: ``a = mantissa * 2**exponent``, ``0.5 <= |mantissa| < 1``
    (0, inf and NaN kept, exponent 0), the exponent int32."""
    return backend_of(a).xp.frexp(a)


@ieee
def frexp_arrays_backward(grad_output, a):
    """PyTorch's formula, the mantissa's gradient ``grad / 2**exponent``, exact (PyTorch's
    takes the power in float32)."""
    check_grad("frexp_arrays_backward", grad_output, a.shape, a.dtype, a)
    xp = backend_of(a).xp
    return xp.ldexp(grad_output, -xp.frexp(a)[1])


@ieee
def angle_arrays(a):
    """The argument of a real ``a``: pi below 0, else 0 (-0 too); NaN stays NaN."""
    xp = backend_of(a).xp
    return xp.where(xp.isnan(a), a, xp.where(a < 0, math.pi, 0)).astype(a.dtype, copy=False)


@ieee
def angle_arrays_backward(grad_output, a):
    """PyTorch's for real tensors: zeros (a step function)."""
    check_grad("angle_arrays_backward", grad_output, a.shape, a.dtype, a)
    return backend_of(a).xp.zeros_like(grad_output)
