"""The forward/backward pairs behind the :mod:`xpnet.special` functions that no other xpnet
function computes: ``erfcx``, ``ndtri``, ``log_ndtr``, ``entr``, ``xlog1py``, ``zeta``,
``i0e``, ``i1`` and ``i1e``, with PyTorch's gradients (``tools/autograd/derivatives.yaml``).
The convention is :mod:`xpnet._tensor_elementwise_ops`' (``pointwise_pair``/``binary_pair``):
``<op>(a)`` on arrays and ``<op>_backward(grad_output, a)``. The Bessel functions are
computed in float64 (a float32 input is rounded back at the end), as are ``ndtri``,
``zeta`` and ``erfcx``; the rest in the input's float dtype (float16 in float32).

Example:
    >>> import numpy as np
    >>> i1e(np.array([0.0, 1.0, -1.0])).round(6).tolist()
    [0.0, 0.20791, -0.20791]
"""

from __future__ import annotations

import math

from ._tensor_elementwise_ops import binary_pair, pointwise_pair
from ._tensor_ops import check_grad, ieee
from .backends import backend_of
from .kernels import _special_math as special

__all__ = ["erfcx", "ndtri", "log_ndtr", "entr", "xlog1py", "zeta", "i0e", "i1", "i1e"]
__all__ += ["bessel_scaled"]

_ROOT_HALF = math.sqrt(0.5)
_ROOT_TWO_PI = math.sqrt(2 * math.pi)


def _log_ndtr(xp, x):
    """PyTorch's formula: ``log(erfcx(-x / sqrt 2) / 2) - x^2 / 2`` below -1 (``erfc`` would
    underflow there), ``log1p(-erfc(x / sqrt 2) / 2)`` above."""
    low = x < -1
    tail = xp.log(special.erfcx(xp, -xp.where(low, x, -1.0) * _ROOT_HALF) / 2) - x * x / 2
    return xp.where(low, tail, xp.log1p(-special.erfc(xp, xp.where(low, 0.0, x) * _ROOT_HALF) / 2))


def _ndtri(xp, p):
    """The inverse of the normal CDF: ``sqrt 2 erfinv(2 p - 1)`` on [1/4, 3/4] (``2 p - 1`` is
    exact there); in the tails, where ``2 p - 1`` would lose ``p``'s digits, Abramowitz &
    Stegun 26.2.23's start (4.5e-4) and four Newton steps on ``log ndtr`` (``q = min(p, 1 - p)``,
    ``1 - p`` exact above 1/2), in float64. ``-inf``/``inf`` at 0 and 1, NaN outside [0, 1]."""
    dtype, p = p.dtype, p.astype(xp.float64)
    central = math.sqrt(2) * special.erfinv(xp, 2 * xp.where(xp.abs(p - 0.5) <= 0.25, p, 0.5) - 1)
    q = xp.where(p < 0.5, p, 1 - p)
    q = xp.where((q > 0) & (q < 0.25), q, 0.1)
    t = xp.sqrt(-2 * xp.log(q))
    x = -(t - (2.515517 + t * (0.802853 + t * 0.010328)) /
          (1 + t * (1.432788 + t * (0.189269 + t * 0.001308))))  # fmt: skip
    for _ in range(4):  # x <= 0: ndtr(x) = erfcx(-x / sqrt 2) exp(-x^2 / 2) / 2 without underflow
        scaled = special.erfcx(xp, -x * _ROOT_HALF) / 2
        x = x - (xp.log(scaled) - x * x / 2 - xp.log(q)) * scaled * _ROOT_TWO_PI
    tail = xp.where(p < 0.5, x, -x)
    value = xp.where(xp.abs(p - 0.5) <= 0.25, central, tail)
    edge = xp.where(p == 0, -math.inf, xp.where(p == 1, math.inf, math.nan))
    return xp.where((p > 0) & (p < 1), value, edge).astype(dtype, copy=False)


def _entr(xp, x):
    """``-x log x`` for ``x > 0``, 0 at 0, ``-inf`` below (PyTorch's), NaN for NaN."""
    value = -x * xp.log(xp.where(x > 0, x, 1.0))
    return xp.where(x > 0, value, xp.where(x == 0, 0.0, xp.where(x < 0, -math.inf, x)))


def bessel_scaled(xp, x, order: int):
    """``exp(-|x|) I_order(|x|)`` (order 0 or 1) in float64: the power series below 20 (positive
    terms), the asymptotic series above (Abramowitz & Stegun 9.6.10, 9.7.1; its smallest term
    is below 1e-17 there); 0 at ``inf``."""
    magnitude = xp.abs(x.astype(xp.float64))
    small, large = xp.minimum(magnitude, 20.0), xp.maximum(magnitude, 20.0)
    quarter, term = (small / 2) ** 2, (small / 2) ** order
    series = term
    for k in range(1, 70):
        term = term * quarter / (k * (k + order))
        series = series + term
    term, tail = xp.ones_like(large), xp.ones_like(large)
    for k in range(1, 40):
        term = term * -(4 * order * order - (2 * k - 1) ** 2) / (8 * k * large)
        tail = tail + term
    asymptotic = tail / (math.sqrt(2 * math.pi) * xp.sqrt(large))  # 2 pi x overflows at 3e307
    return xp.where(magnitude < 20.0, series * xp.exp(-small), asymptotic)


def _odd(xp, x, value):
    """``value`` (of ``|x|``) with ``x``'s sign, in ``x``'s dtype (an odd function)."""
    return (xp.sign(x) * value).astype(x.dtype, copy=False)


def _i1(xp, x):
    """``I1(x)`` as PyTorch's (Cephes'): ``exp(|x|)`` times the scaled value, so ``inf`` from
    709.8 on and NaN at ``+-inf``, as PyTorch's."""
    value = xp.exp(xp.abs(x.astype(xp.float64))) * bessel_scaled(xp, x, 1)
    return _odd(xp, x, value)


def _i0(xp, x):
    return xp.i0(x.astype(xp.float64)).astype(x.dtype, copy=False)


def _i0e(xp, x):
    return bessel_scaled(xp, x, 0).astype(x.dtype, copy=False)


def _i1e(xp, x):
    return _odd(xp, x, bessel_scaled(xp, x, 1))


def _pair_with_result(name: str, forward, slope):
    """A pointwise pair (:func:`pointwise_pair`'s forward: float16 computed in float32) whose
    derivative ``slope(xp, a, result)`` uses the forward's value, as PyTorch's formulas do."""
    pair_forward = pointwise_pair(name, forward, slope=None)[0]

    def pair_backward(grad_output, a):
        check_grad(f"{name}_backward", grad_output, a.shape, a.dtype, a)
        slopes = slope(backend_of(a).xp, a, pair_forward(a))
        return (grad_output * slopes).astype(a.dtype, copy=False)

    pair_backward.__name__ = f"{name}_backward"
    return pair_forward, ieee(pair_backward)


def near_zero(xp, a):
    """Where PyTorch's ``i1``/``i1e`` backward takes its limit 0.5: ``not |x| > eps`` (NaN too)."""
    return ~(xp.abs(a) > xp.finfo(a.dtype).eps)


def _i1_slope(xp, a, result):
    """PyTorch's ``i1_backward``: ``i0(x) - i1(x) / x``, 0.5 up to ``eps`` and at NaN."""
    tiny = near_zero(xp, a)
    return xp.where(tiny, 0.5, _i0(xp, a) - result / xp.where(tiny, 1.0, a))


def _i1e_slope(xp, a, result):
    """PyTorch's ``i1e_backward``: ``i0e(x) - i1e(x) (sgn(x) + 1 / x)``, 0.5 up to ``eps`` and
    at NaN."""
    tiny = near_zero(xp, a)
    safe = xp.where(tiny, 1.0, a)
    return xp.where(tiny, 0.5, _i0e(xp, a) - result * (xp.sign(a) + 1 / safe))


erfcx, erfcx_backward = _pair_with_result(
    "erfcx", special.erfcx, lambda xp, a, r: 2 * a * r - 2 / math.sqrt(math.pi)
)
ndtri, ndtri_backward = _pair_with_result(
    "ndtri", _ndtri, lambda xp, a, r: _ROOT_TWO_PI * xp.exp(r * r / 2)
)
log_ndtr, log_ndtr_backward = _pair_with_result(
    "log_ndtr", _log_ndtr, lambda xp, a, r: xp.exp(-(r + a * a / 2)) / _ROOT_TWO_PI
)
entr, entr_backward = _pair_with_result("entr", _entr, lambda xp, a, r: -(1 + xp.log(a)))
i0e, i0e_backward = _pair_with_result("i0e", _i0e, lambda xp, a, r: _i1e(xp, a) - xp.sign(a) * r)
i1, i1_backward = _pair_with_result("i1", _i1, _i1_slope)
i1e, i1e_backward = _pair_with_result("i1e", _i1e, _i1e_slope)


def _xlog1py(xp, a, b):
    """``a * log1p(b)``, 0 where ``a`` is 0 unless ``b`` is NaN (PyTorch's)."""
    product = xp.where(a == 0, 0, a * xp.log1p(b))
    return xp.where(xp.isnan(b), math.nan, product)


def _xlog1py_grads(xp, g, a, b):
    """PyTorch's: ``xlog1py(grad, b)``, 0 where ``a == 0`` and ``b <= -1``; ``grad a / (b + 1)``."""
    return xp.where((a == 0) & (b <= -1), 0, _xlog1py(xp, g, b)), g * a / (b + 1)


def _zeta_grads(xp, g, a, b):
    """PyTorch's ``-grad x zeta(x + 1, q)`` for ``q``; none for ``x`` (xpnet.special.zeta
    refuses an ``x`` that requires grad)."""
    return xp.zeros_like(g), -g * a * _zeta(xp, a + 1, b)


def _zeta(xp, a, b):
    """The Hurwitz zeta function in float64 (its sums overflow float16), in ``a``'s dtype."""
    return special.zeta(xp, a.astype(xp.float64), b.astype(xp.float64)).astype(a.dtype)


xlog1py, xlog1py_backward = binary_pair("xlog1py", _xlog1py, _xlog1py_grads)
zeta, zeta_backward = binary_pair("zeta", _zeta, _zeta_grads)
