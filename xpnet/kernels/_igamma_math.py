"""PyTorch's regularized incomplete gamma functions ``igamma`` (``P(a, x)``, the lower) and
``igammac`` (``Q(a, x) = 1 - P``, the upper): ``calc_igamma``/``calc_igammac`` of
``aten/src/ATen/native/Math.h`` (SciPy's ``igam.c``, Cephes and Boost's Lanczos sum) in
plain ``xp`` operations. Every element takes PyTorch's branch (Temme's uniform asymptotic
series where ``a`` is large and ``x`` near it, the power series, the series of ``Q`` for small
``x``, the continued fraction); each branch runs on its own elements only, gathered by index.
The loops run on the whole batch at once, each element frozen at the step where PyTorch's
loop stops for it; at checkpoints (steps 8, 16, 32, ... up to PyTorch's 2000: at most ten
host reads a loop, whatever the size) the finished elements drop out, so a batch costs the
steps of its slowest elements, on ever fewer elements. The arithmetic runs in the inputs'
dtype with PyTorch's constants (``MACHEP``, ``MAXLOG``, ``BIG``) and order of operations;
``lgamma`` and ``erfc`` are :mod:`xpnet.kernels._special_math`'s.

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

_MAXITER = 2000  # PyTorch's: the series and the continued fraction stop there at the latest

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
    near = res * (xp.exp(a - x) * (x / fac) ** a)  # PyTorch's res *= exp(a - x) * pow(...)
    numfac = (x - a - _LANCZOS_G + 0.5) / fac
    far = res * xp.exp(a * (xp.log1p(numfac) - numfac) + x * (0.5 - _LANCZOS_G) / fac)
    lanczos = xp.where((a < 200) & (x < 200), near, far)
    return xp.where(xp.abs(a - x) > 0.4 * xp.abs(a), direct, lanczos)


def _stops(first: int, limit: int) -> tuple[int, ...]:
    """The checkpoints of :func:`_iterate`: ``first``, doubling, then ``limit``."""
    stops = []
    while first < limit:
        stops.append(first)
        first *= 2
    return (*stops, limit)


def _iterate(xp, step, state, stops):
    """Run ``state, running = step(i, state, running)`` for ``i = 0, 1, ...`` up to
    ``stops[-1]`` on 1-d arrays; ``state[-1]`` is the result, which ``step`` leaves as it was
    where ``running`` is False (the elements whose loop has stopped), and returns.

    At each checkpoint in ``stops`` the stopped elements' results are written out and the
    others go on alone: one host read (the count of ``nonzero``) per checkpoint, the loop ends
    once none runs. Elements whose loop stops early thus cost nothing after the next
    checkpoint; doubling checkpoints bound the extra steps by the steps taken."""
    out = xp.empty_like(state[-1])
    index = xp.arange(out.shape[0])
    running, start = xp.ones(out.shape, dtype=bool), 0
    for stop in stops:
        for i in range(start, stop):
            state, running = step(i, state, running)
        start = stop
        out[index] = state[-1]
        keep = xp.nonzero(running)[0]
        if keep.shape[0] == 0:
            break
        if keep.shape[0] < index.shape[0]:
            index, running = index[keep], running[keep]
            state = tuple(part[keep] for part in state)
    return out


def _lower_series(xp, a, x):
    """``P(a, x)`` by its power series (DLMF 8.11.4): PyTorch's ``_igam_helper_series``."""
    machep = _constants(a.dtype)[0]

    def step(i, state, running):
        x, r, c, total = state
        r = r + 1.0
        c = c * (x / r)
        total = xp.where(running, total + c, total)
        return (x, r, c, total), running & ~(c <= machep * total)

    total = _iterate(xp, step, (x, a, xp.ones_like(a), xp.ones_like(a)), _stops(8, _MAXITER))
    ax = _prefactor(xp, a, x)
    return xp.where(ax == 0, 0.0, total * ax / a)


def _upper_series(xp, a, x):
    """``Q(a, x)`` for small ``x`` by DLMF 8.7.3 (no cancellation): ``_igamc_helper_series``,
    whose loop runs for ``n = 1 ... MAXITER - 1``."""
    machep = _constants(a.dtype)[0]

    def step(i, state, running):
        a, x, fac, total = state
        n = i + 1.0
        fac = fac * (-x / n)
        term = fac / (a + n)
        total = xp.where(running, total + term, total)
        return (a, x, fac, total), running & ~(xp.abs(term) <= machep * xp.abs(total))

    start = (a, x, xp.ones_like(a), xp.zeros_like(a))
    total = _iterate(xp, step, start, _stops(8, _MAXITER - 1))
    logx = xp.log(x)
    term = -xp.expm1(a * logx - special.lgamma(xp, 1.0 + a))
    return term - xp.exp(a * logx - special.lgamma(xp, a)) * total


def _continued_fraction(xp, a, x):
    """``Q(a, x)`` by its continued fraction (DLMF 8.9.2): ``_igamc_helper_continued_fraction``
    (its rescaling by ``BIGINV``, a power of two, is exact: it changes no ratio)."""
    machep, _, big, biginv = _constants(a.dtype)

    def step(i, state, running):
        y, z, pkm2, pkm1, qkm2, qkm1, answer = state
        y, z = y + 1.0, z + 2.0
        yc = y * (i + 1.0)
        pk, qk = pkm1 * z - pkm2 * yc, qkm1 * z - qkm2 * yc
        r = pk / qk  # where qk = 0: inf or NaN, so t below is NaN (PyTorch's t = 1): go on
        t = xp.abs((answer - r) / r)
        answer = xp.where(running & (qk != 0), r, answer)
        scale = xp.where(xp.abs(pk) > big, biginv, 1.0).astype(pk.dtype, copy=False)
        state = (y, z, pkm1 * scale, pk * scale, qkm1 * scale, qk * scale, answer)
        return state, running & ~(t <= machep)

    y = 1.0 - a
    z = x + y + 1.0
    start = (y, z, xp.ones_like(a), x + 1.0, x, z * x, (x + 1.0) / (z * x))
    answer = _iterate(xp, step, start, _stops(8, _MAXITER))
    ax = _prefactor(xp, a, x)
    return xp.where(ax == 0, 0.0, answer * ax)


def _temme_row(row, powers):
    """``c_k(eta) = sum_n d[k][n] eta^n`` in PyTorch's order, all 25 terms (PyTorch stops
    where a term falls under ``MACHEP`` times the sum: the terms it leaves out are about as
    small, so the two sums differ by a few units in the last place of ``c_k``)."""
    total = row[0] + row[1] * powers[0]
    for coefficient, power in zip(row[2:], powers[1:], strict=True):
        total = total + coefficient * power
    return total


def _asymptotic(xp, a, x, lower: bool):
    """Temme's uniform asymptotic expansion (DLMF 8.12.3/8.12.4) for large ``a`` near ``x``:
    PyTorch's ``_igam_helper_asymptotic_series``, its sum over ``k`` stopping per element
    where PyTorch's does (checkpoints every 4 rows)."""
    machep = _constants(a.dtype)[0]
    sign = -1.0 if lower else 1.0
    ratio, sigma = x / a, (x - a) / a
    root = xp.sqrt(-2.0 * (xp.log1p(sigma) - sigma))
    eta = xp.where(ratio > 1, root, xp.where(ratio < 1, -root, 0.0))
    powers = [eta]
    for _ in range(len(TEMME[0]) - 2):
        powers.append(eta * powers[-1])

    def step(k, state, running):
        a, factor, previous, *powers, total = state
        term = _temme_row(TEMME[k], powers) * factor
        running = running & ~(xp.abs(term) > previous)
        total = xp.where(running, total + term, total)
        running = running & ~(xp.abs(term) < machep * xp.abs(total))
        return (a, factor / a, xp.abs(term), *powers, total), running

    start = (a, xp.ones_like(a), xp.full(a.shape, math.inf, dtype=a.dtype), *powers)
    total = _iterate(xp, step, (*start, xp.zeros_like(a)), (4, 8, 12, 16, len(TEMME)))
    result = 0.5 * special.erfc(xp, sign * eta * xp.sqrt(a / 2.0))
    tail = xp.exp(-0.5 * a * eta * eta) * total / xp.sqrt(2.0 * _PI_FLOAT * a)
    return result + sign * tail


def _branches(xp, a, x, lower: bool):
    """``(mask, formula)`` for each of PyTorch's branches (its ``calc_igamma`` takes ``1 - Q``
    where ``x > 1`` and ``x > a``); the masks cover the finite positive ``a`` and ``x``."""
    ordinary = (a > 0) & (x > 0) & xp.isfinite(a) & xp.isfinite(x)
    a, x = xp.where(ordinary, a, 1.0), xp.where(ordinary, x, 1.0)  # the tests warn nowhere
    ratio = xp.abs(x - a) / a
    asymptotic = ordinary & (
        ((a > 20) & (a < 200) & (ratio < 0.3)) | ((a > 200) & (ratio < 4.5 / xp.sqrt(a)))
    )
    rest = ordinary & ~asymptotic
    # calc_igammac's tests: its 1.1, 0.5, 0.4 are doubles (a float32 x compares in float64)
    wide = x.astype(xp.float64)
    logx = xp.log(xp.where(wide <= 0.5, x, 0.25)).astype(xp.float64)
    small = xp.where(wide <= 0.5, -0.4 / logx < a, wide * 1.1 < a)
    by_lower = xp.where(wide > 1.1, x < a, small)
    fraction, upper = (wide > 1.1) & ~by_lower, (wide <= 1.1) & ~by_lower

    def one_minus(formula):
        return lambda a, x: 1.0 - formula(xp, a, x)

    def through_q(formula):  # P = 1 - Q where Q = 1 - P: PyTorch's two roundings
        return lambda a, x: 1.0 - (1.0 - formula(xp, a, x))

    asymptotic_formula = lambda a, x: _asymptotic(xp, a, x, lower)  # noqa: E731
    if not lower:
        return [
            (asymptotic, asymptotic_formula),
            (rest & by_lower, one_minus(_lower_series)),
            (rest & fraction, lambda a, x: _continued_fraction(xp, a, x)),
            (rest & upper, lambda a, x: _upper_series(xp, a, x)),
        ]
    via_q = rest & (x > 1.0) & (x > a)
    return [
        (asymptotic, asymptotic_formula),
        (rest & ~via_q, lambda a, x: _lower_series(xp, a, x)),
        (via_q & by_lower, through_q(_lower_series)),
        (via_q & fraction, one_minus(_continued_fraction)),
        (via_q & upper, one_minus(_upper_series)),
    ]


def _incomplete_gamma(xp, a, x, lower: bool):
    """Each branch on its elements alone (gathered by ``nonzero``), then the domain's edges."""
    a, x = xp.broadcast_arrays(a, x)
    shape = a.shape
    a, x = xp.reshape(a, (-1,)), xp.reshape(x, (-1,))
    value = xp.zeros_like(a)
    for mask, formula in _branches(xp, a, x, lower):
        index = xp.nonzero(mask)[0]
        if index.shape[0]:
            value[index] = formula(a[index], x[index])
    return xp.reshape(_boundaries(xp, a, x, value, lower), shape)


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
