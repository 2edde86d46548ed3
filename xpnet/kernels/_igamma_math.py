"""PyTorch's regularized incomplete gamma functions ``igamma`` (``P(a, x)``, the lower) and
``igammac`` (``Q(a, x) = 1 - P``, the upper): ``calc_igamma``/``calc_igammac`` of
``aten/src/ATen/native/Math.h`` (SciPy's ``igam.c``, Cephes and Boost's Lanczos sum) in
plain ``xp`` operations. Every element takes PyTorch's branch (Temme's uniform asymptotic
series where ``a`` is large and ``x`` near it, the power series, the series of ``Q`` for small
``x``, the continued fraction), computed on the whole array with harmless inputs elsewhere;
the loops stop per element where PyTorch's do, and the Python loop once all have (a host
read every 16 steps). The arithmetic runs in the inputs' dtype with its PyTorch constants
(``MACHEP``, ``MAXLOG``, ``BIG``); ``lgamma`` is :mod:`xpnet.kernels._special_math`'s.

Example:
    >>> import numpy as np
    >>> igamma(np, np.array([1.0, 2.0]), np.array([1.0, 3.0])).round(8).tolist()
    [0.63212056, 0.80085173]
"""

from __future__ import annotations

import math

from . import _special_math as special
from ._bessel_math import polynomial
from ._igamma_table import TEMME

__all__ = ["igamma", "igammac"]

_LANCZOS_G, _PI_FLOAT = 6.024680040776729583740234375, 3.1415927410125732  # PyTorch's pi<float>
_LANCZOS_NUM = (
    0.006061842346248906525783753964555936883222, 0.5098416655656676188125178644804694509993,
    19.51992788247617482847860966235652136208, 449.9445569063168119446858607650988409623,
    6955.999602515376140356310115515198987526, 75999.29304014542649875303443598909137092,
    601859.6171681098786670226533699352302507, 3481712.15498064590882071018964774556468,
    14605578.08768506808414169982791359218571, 43338889.32467613834773723740590533316085,
    86363131.28813859145546927288977868422342, 103794043.1163445451906271053616070238554,
    56906521.91347156388090791033559122686859,
)  # fmt: skip
_LANCZOS_DENOM = (1.0, 66.0, 1925.0, 32670.0, 357423.0, 2637558.0, 13339535.0, 45995730.0,
                  105258076.0, 150917976.0, 120543840.0, 39916800.0, 0.0)  # fmt: skip


def _constants(dtype):
    """PyTorch's ``(MACHEP, MAXLOG, BIG, BIGINV)`` for float64, and for float32 below it."""
    if dtype.itemsize >= 8:
        return (
            1.11022302462515654042e-16,
            709.782712893384,
            4.503599627370496e15,
            2.220446049250313e-16,
        )
    return 5.9604644775390625e-8, 88.72283905206835, 16777216.0, 5.9604644775390625e-8


def _lanczos(xp, a):
    """Boost's ``lanczos_sum_expg_scaled`` by SciPy's ``ratevl`` (in ``1 / a`` above 1)."""
    inverse = 1.0 / a
    low = polynomial(_LANCZOS_NUM, a) / polynomial(_LANCZOS_DENOM, a)
    high = polynomial(_LANCZOS_NUM[::-1], inverse) / polynomial(_LANCZOS_DENOM[::-1], inverse)
    return xp.where(xp.abs(a) > 1, high, low)


def _prefactor(xp, a, x):
    """``x^a exp(-x) / gamma(a)``: directly where ``|a - x| > 0.4 a``, else by Lanczos."""
    _, maxlog, _, _ = _constants(a.dtype)
    ax = a * xp.log(x) - x - special.lgamma(xp, a)
    direct = xp.where(ax < -maxlog, 0.0, xp.exp(xp.minimum(ax, maxlog)))
    fac = a + _LANCZOS_G - 0.5
    res = xp.sqrt(fac / math.e) / _lanczos(xp, a)
    near = res * xp.exp(a - x) * (x / fac) ** a
    numfac = (x - a - _LANCZOS_G + 0.5) / fac
    far = res * xp.exp(a * (xp.log1p(numfac) - numfac) + x * (0.5 - _LANCZOS_G) / fac)
    lanczos = xp.where((a < 200) & (x < 200), near, far)
    return xp.where(xp.abs(a - x) > 0.4 * xp.abs(a), direct, lanczos)


def _loop(xp, state, step, running):
    """Run ``state = step(state, running)`` (``running``: the elements still iterating, which
    ``step`` returns updated) up to PyTorch's 2000 times, stopping once none runs."""
    for i in range(2000):
        state, running = step(state, running)
        if i % 16 == 15 and not bool(xp.any(running)):
            break
    return state


def _lower_series(xp, a, x):
    """``P(a, x)`` by its power series (DLMF 8.11.4)."""
    machep = _constants(a.dtype)[0]

    def step(state, running):
        r, c, total = state
        r = xp.where(running, r + 1.0, r)
        c = xp.where(running, c * x / r, c)
        total = xp.where(running, total + c, total)
        return (r, c, total), running & ~(c <= machep * total)

    ones = xp.ones_like(a)
    _, _, total = _loop(xp, (a, ones, ones), step, xp.ones(a.shape, dtype=bool))
    ax = _prefactor(xp, a, x)
    return xp.where(ax == 0, 0.0, total * ax / a)


def _upper_series(xp, a, x):
    """``Q(a, x)`` for small ``x`` by DLMF 8.7.3 (no cancellation)."""
    machep = _constants(a.dtype)[0]

    def step(state, running):
        n, fac, total = state
        fac = xp.where(running, fac * -x / n, fac)
        term = fac / (a + n)
        total = xp.where(running, total + term, total)
        return (n + 1.0, fac, total), running & ~(xp.abs(term) <= machep * xp.abs(total))

    start = (xp.ones_like(a), xp.ones_like(a), xp.zeros_like(a))
    _, _, total = _loop(xp, start, step, xp.ones(a.shape, dtype=bool))
    logx = xp.log(x)
    term = -xp.expm1(a * logx - special.lgamma(xp, 1.0 + a))
    return term - xp.exp(a * logx - special.lgamma(xp, a)) * total


def _continued_fraction(xp, a, x):
    """``Q(a, x)`` by its continued fraction (DLMF 8.9.2), rescaled as PyTorch's."""
    machep, _, big, biginv = _constants(a.dtype)

    def step(state, running):
        c, y, z, pkm2, pkm1, qkm2, qkm1, answer = state
        c, y, z = c + 1.0, y + 1.0, z + 2.0
        pk, qk = pkm1 * z - pkm2 * y * c, qkm1 * z - qkm2 * y * c
        r = pk / xp.where(qk != 0, qk, 1.0)
        t = xp.where(qk != 0, xp.abs((answer - r) / xp.where(r != 0, r, 1.0)), 1.0)
        answer = xp.where(running & (qk != 0), r, answer)
        scale = xp.where(running & (xp.abs(pk) > big), biginv, 1.0)
        new = (pkm1 * scale, pk * scale, qkm1 * scale, qk * scale)
        old = (pkm2, pkm1, qkm2, qkm1)
        pkm2, pkm1, qkm2, qkm1 = (xp.where(running, n, o) for n, o in zip(new, old, strict=True))
        return (c, y, z, pkm2, pkm1, qkm2, qkm1, answer), running & ~(t <= machep)

    y = 1.0 - a
    z = x + y + 1.0
    start = (xp.zeros_like(a), y, z, xp.ones_like(a), x + 1.0, x, z * x, (x + 1.0) / (z * x))
    answer = _loop(xp, start, step, xp.ones(a.shape, dtype=bool))[-1]
    ax = _prefactor(xp, a, x)
    return xp.where(ax == 0, 0.0, answer * ax)


def _asymptotic(xp, a, x, lower: bool):
    """Temme's uniform asymptotic expansion (DLMF 8.12.3/8.12.4) for large ``a`` near ``x``,
    each sum stopping per element where PyTorch's does."""
    machep = _constants(a.dtype)[0]
    sign = -1.0 if lower else 1.0
    sigma = (x - a) / a
    eta = xp.sqrt(xp.maximum(-2.0 * (xp.log1p(sigma) - sigma), 0.0))
    eta = xp.where(x > a, eta, xp.where(x < a, -eta, 0.0))
    result = 0.5 * special.erfc(xp, sign * eta * xp.sqrt(a / 2.0))
    total, factor = xp.zeros_like(a), xp.ones_like(a)
    previous = xp.full(a.shape, math.inf, dtype=a.dtype)
    outer = xp.ones(a.shape, dtype=bool)
    for row in TEMME:
        ck, power, inner = row[0] + 0.0 * eta, xp.ones_like(eta), xp.ones(a.shape, dtype=bool)
        for coefficient in row[1:]:
            power = eta * power
            term = coefficient * power
            ck = xp.where(inner, ck + term, ck)
            inner = inner & ~(xp.abs(term) < machep * xp.abs(ck))
        term = ck * factor
        outer = outer & ~(xp.abs(term) > previous)
        total = xp.where(outer, total + term, total)
        outer = outer & ~(xp.abs(term) < machep * xp.abs(total))
        previous, factor = xp.abs(term), factor / a
    tail = xp.exp(-0.5 * a * eta * eta) * total / xp.sqrt(2.0 * _PI_FLOAT * a)
    return result + sign * tail


def _incomplete_gamma(xp, a, x, lower: bool):
    a, x = xp.broadcast_arrays(a, x)
    ordinary = (a > 0) & (x > 0) & xp.isfinite(a) & xp.isfinite(x)
    a_safe, x_safe = xp.where(ordinary, a, 1.0), xp.where(ordinary, x, 0.5)
    ratio = xp.abs(x_safe - a_safe) / a_safe
    asymptotic = ((a_safe > 20) & (a_safe < 200) & (ratio < 0.3)) | (
        (a_safe > 200) & (ratio < 4.5 / xp.sqrt(a_safe))
    )
    # PyTorch's branches of calc_igammac (its 1.1 and 0.4 are doubles: float32 compares
    # in float64); calc_igamma takes 1 - Q where x > 1 and x > a
    wide = x_safe.astype(xp.float64)
    fraction = ~asymptotic & (wide > 1.1) & (x_safe >= a_safe)
    tiny = -0.4 / xp.log(xp.where(wide <= 0.5, wide, 0.25)) < a_safe
    small = xp.where(wide <= 0.5, tiny, wide * 1.1 < a_safe)
    by_lower = ~asymptotic & ~fraction & xp.where(wide > 1.1, True, small)
    upper_series = ~asymptotic & ~fraction & ~by_lower
    if lower:  # P's own series wherever calc_igamma does not take 1 - Q
        by_lower = ~asymptotic & ~((x_safe > 1.0) & (x_safe > a_safe))
        fraction, upper_series = fraction & ~by_lower, upper_series & ~by_lower

    def inside(mask, a_else, x_else):  # each formula sees harmless inputs outside its lanes
        return xp.where(mask, a_safe, a_else), xp.where(mask, x_safe, x_else)

    value = _asymptotic(xp, *inside(asymptotic, 30.0, 30.0), lower)
    p = _lower_series(xp, *inside(by_lower, 1.0, 0.5))
    q = _continued_fraction(xp, *inside(fraction, 1.0, 2.0))
    q = xp.where(upper_series, _upper_series(xp, *inside(upper_series, 1.0, 0.5)), q)
    value = xp.where(asymptotic, value, 1.0 - q if lower else q)
    value = xp.where(by_lower, p if lower else 1.0 - p, value)
    return _boundaries(xp, a, x, value, lower)


def _boundaries(xp, a, x, value, lower: bool):
    """PyTorch's (SciPy's) values at the edges of the domain, tested in its order (first
    match wins, so a NaN beside ``x = 0`` or an infinity still gets the edge's value): NaN
    below 0, ``a = 0`` (1 for ``P`` where ``x > 0``, else NaN), ``x = 0``, ``a = inf``,
    ``x = inf``; NaN for a NaN elsewhere."""
    zero, full = (0.0, 1.0) if lower else (1.0, 0.0)
    value = xp.where(xp.isnan(a) | xp.isnan(x), math.nan, value)
    value = xp.where(xp.isinf(x), full, value)
    value = xp.where(xp.isinf(a), xp.where(xp.isinf(x), math.nan, zero), value)
    value = xp.where(x == 0, zero, value)
    value = xp.where(a == 0, xp.where(x > 0, full, math.nan), value)
    value = xp.where((x < 0) | (a < 0), math.nan, value)
    return value.astype(a.dtype, copy=False)


def igamma(xp, a, x):
    """PyTorch's ``igamma``: the regularized lower incomplete gamma function ``P(a, x)``."""
    return _incomplete_gamma(xp, a, x, lower=True)


def igammac(xp, a, x):
    """PyTorch's ``igammac``: the regularized upper incomplete gamma function ``Q(a, x)``."""
    return _incomplete_gamma(xp, a, x, lower=False)
