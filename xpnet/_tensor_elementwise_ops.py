"""The forward/backward pairs behind :mod:`xpnet._tensor_elementwise`: ``erf``, ``erfc``,
``erfinv``, ``lgamma``, ``digamma``, ``polygamma``, ``atan2``, ``hypot``, ``logaddexp``,
``logaddexp2``, ``xlogy``, ``fmod``, ``remainder``, ``copysign``, ``nan_to_num`` and the
zero-gradient ``trunc``, with PyTorch's gradients (``tools/autograd/derivatives.yaml``). The
convention and checks are :mod:`xpnet._tensor_ops`' (``<op>(*args)`` on arrays,
``<op>_backward(grad_output, *args)``).

Example:
    >>> import numpy as np
    >>> atan2(np.array([1.0, -1.0]), np.array([0.0, 0.0])).round(4).tolist()
    [1.5708, -1.5708]
"""

from __future__ import annotations

import math

import numpy

from ._tensor_ops import check_grad, ieee, result_type, shape_of, unbroadcast
from .backends import backend_of, float_errors_ignored
from .kernels import _special_math as special

__all__ = ["pointwise_pair", "binary_pair"]


def pointwise_pair(name: str, forward, slope):
    """The pair of ``forward(xp, a)`` with derivative ``slope(xp, a)``."""

    def pair_forward(a):
        return _in_float32(forward, a)

    def pair_backward(grad_output, a):
        check_grad(f"{name}_backward", grad_output, a.shape, a.dtype, a)
        return grad_output * _in_float32(slope, a)

    pair_forward.__name__, pair_backward.__name__ = name, f"{name}_backward"
    return ieee(pair_forward), ieee(pair_backward)


def _in_float32(function, a):
    """``function(xp, a)``, computed in float32 for a float16 ``a`` (then rounded back)."""
    if a.dtype != numpy.float16:
        return function(backend_of(a).xp, a)
    return function(backend_of(a).xp, a.astype(numpy.float32)).astype(a.dtype)


def binary_pair(name: str, forward, grads):
    """The pair of ``forward(xp, a, b)`` (broadcast) whose gradients are ``grads(xp, g, a, b)``
    (``g`` the upstream gradient), summed back to each operand's shape."""

    def pair_forward(a, b):
        xp = backend_of(*[v for v in (a, b) if hasattr(v, "shape")]).xp
        if not hasattr(a, "shape") or not hasattr(b, "shape"):  # a number takes the array's
            dtype = (b if hasattr(b, "shape") else a).dtype  # dtype: log(3) is no float64
            a, b = (v if hasattr(v, "shape") else xp.asarray(v, dtype=dtype) for v in (a, b))
        return forward(xp, a, b)

    def pair_backward(grad_output, a, b):
        shape = numpy.broadcast_shapes(shape_of(a), shape_of(b))
        check_grad(f"{name}_backward", grad_output, shape, result_type(a, b), a, b)
        grad_a, grad_b = grads(backend_of(grad_output).xp, grad_output, a, b)
        return unbroadcast(grad_a, shape_of(a)), unbroadcast(grad_b, shape_of(b))

    pair_forward.__name__, pair_backward.__name__ = name, f"{name}_backward"
    return ieee(pair_forward), ieee(pair_backward)


_TWO_OVER_ROOT_PI = 2.0 / math.sqrt(math.pi)

erf, erf_backward = pointwise_pair(
    "erf", special.erf, lambda xp, a: _TWO_OVER_ROOT_PI * xp.exp(-a * a)
)
erfc, erfc_backward = pointwise_pair(
    "erfc", special.erfc, lambda xp, a: -_TWO_OVER_ROOT_PI * xp.exp(-a * a)
)
erfinv, erfinv_backward = pointwise_pair(
    "erfinv",
    special.erfinv,
    lambda xp, a: (0.5 * math.sqrt(math.pi)) * xp.exp(special.erfinv(xp, a) ** 2),
)
lgamma, lgamma_backward = pointwise_pair("lgamma", special.lgamma, special.digamma)
digamma, digamma_backward = pointwise_pair(
    "digamma", special.digamma, lambda xp, a: special.polygamma(xp, 1, a)
)


@ieee
def polygamma(a, n):
    """The ``n``-th derivative of ``digamma`` at ``a``."""
    return _in_float32(lambda xp, a: special.polygamma(xp, n, a), a)


@ieee
def polygamma_backward(grad_output, a, n):
    """PyTorch's: ``grad * polygamma(n + 1, a)``."""
    check_grad("polygamma_backward", grad_output, a.shape, a.dtype, a)
    return grad_output * polygamma(a, n + 1)


# trunc, frac: PyTorch's gradients are 0 and the gradient itself
trunc, trunc_backward = pointwise_pair(
    "trunc", lambda xp, a: xp.trunc(a), lambda xp, a: xp.zeros_like(a)
)
frac, frac_backward = pointwise_pair(
    "frac", lambda xp, a: a - xp.trunc(a), lambda xp, a: xp.ones_like(a)
)


def _atan2_grads(xp, g, a, b):
    """PyTorch's, in its order (``grad * b * recip``: inf * 0 is NaN at huge values)."""
    scale = 1 / (a * a + b * b)
    scale = xp.where(xp.isinf(scale), 0, scale)  # at (or underflowing to) the origin: 0, as PyTorch
    return g * b * scale, g * -a * scale


def _hypot_grads(xp, g, a, b):
    result = xp.hypot(a, b)
    return g * (a / result), g * (b / result)


def _logaddexp_grads(xp, g, a, b):
    return g / (1 + xp.exp(b - a)), g / (1 + xp.exp(a - b))


def _logaddexp2_grads(xp, g, a, b):
    return g / (1 + xp.exp2(b - a)), g / (1 + xp.exp2(a - b))


def _xlogy(xp, a, b):
    """``a * log(b)``, 0 where ``a`` is 0 unless ``b`` is NaN (PyTorch's)."""
    product = xp.where(a == 0, 0, a * xp.log(b))
    return xp.where(xp.isnan(b), math.nan, product)


def _xlogy_grads(xp, g, a, b):
    """PyTorch's: ``xlogy(grad, b)``, 0 where ``a == 0`` and ``b <= 0``; ``grad * a / b``."""
    return xp.where((a == 0) & (b <= 0), 0, _xlogy(xp, g, b)), g * a / b


def _fmod_grads(xp, g, a, b):
    return g, -g * xp.trunc(a / b)


def _remainder(xp, a, b):
    """PyTorch's floating ``remainder``: the exact ``fmod`` moved into ``b``'s sign (a zero
    keeps ``a``'s sign, where NumPy's takes ``b``'s). PyTorch's vectorised loop gives NaN
    where ``a / b`` overflows, its scalar loop (short tensors, tails) this value."""
    if a.dtype.kind != "f":
        return xp.remainder(a, b)
    mod = xp.fmod(a, b)
    return xp.where((mod != 0) & ((b < 0) != (mod < 0)), mod + b, mod)


def _remainder_grads(xp, g, a, b):
    """PyTorch's: ``-grad * a.div(b, rounding_mode="floor")``, Python's ``//`` (``1 // -inf``
    is -1, where ``floor(1 / -inf)`` is -0)."""
    return g, -g * (a // b)


def _copysign_grads(xp, g, a, b):
    """PyTorch's: ``grad * result / a``, 0 where ``a`` is 0; none for ``b`` (zeros)."""
    result = xp.copysign(a, b)
    safe = xp.where(a == 0, 1, a)
    return g * xp.where(a == 0, 0, result / safe), xp.zeros_like(g)  # ratio first: no overflow


atan2, atan2_backward = binary_pair("atan2", lambda xp, a, b: xp.arctan2(a, b), _atan2_grads)
hypot, hypot_backward = binary_pair("hypot", lambda xp, a, b: xp.hypot(a, b), _hypot_grads)
logaddexp, logaddexp_backward = binary_pair(
    "logaddexp", lambda xp, a, b: xp.logaddexp(a, b), _logaddexp_grads
)
logaddexp2, logaddexp2_backward = binary_pair(
    "logaddexp2", lambda xp, a, b: xp.logaddexp2(a, b), _logaddexp2_grads
)
xlogy, xlogy_backward = binary_pair("xlogy", _xlogy, _xlogy_grads)
fmod, fmod_backward = binary_pair("fmod", lambda xp, a, b: xp.fmod(a, b), _fmod_grads)
remainder, remainder_backward = binary_pair(
    "remainder", lambda xp, a, b: _remainder(xp, a, b), _remainder_grads
)
copysign, copysign_backward = binary_pair(
    "copysign", lambda xp, a, b: xp.copysign(a, b), _copysign_grads
)


@ieee
def nan_to_num(a, nan=0.0, posinf=None, neginf=None):
    """NaN, ``inf`` and ``-inf`` replaced; infinities by the dtype's largest finite values
    unless given."""
    xp = backend_of(a).xp
    big = float(numpy.finfo(a.dtype).max)
    posinf, neginf = big if posinf is None else posinf, -big if neginf is None else neginf
    with float_errors_ignored():  # nan=1e300 is inf in float32, as PyTorch's cast
        nan, posinf, neginf = (xp.asarray(value, dtype=a.dtype) for value in (nan, posinf, neginf))
    # every mask from the input: a NaN replaced by inf stays inf, as PyTorch's
    result = xp.where(a == math.inf, posinf, xp.where(a == -math.inf, neginf, a))
    return xp.where(xp.isnan(a), nan, result)


def nan_to_num_backward(grad_output, a, nan=0.0, posinf=None, neginf=None):
    """PyTorch's: the gradient where ``a`` is finite, 0 elsewhere."""
    check_grad("nan_to_num_backward", grad_output, a.shape, a.dtype, a)
    return backend_of(a).xp.where(backend_of(a).xp.isfinite(a), grad_output, 0)
