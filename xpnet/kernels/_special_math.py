"""Special functions in plain ``xp`` operations: NumPy has no ``erf``, ``erfinv``, ``lgamma``,
``digamma`` or ``polygamma`` (CuPy's are in ``cupyx.scipy.special``, which the kernels do not
use), so the kernels and the Tensor methods share these. They keep the dtype of a
floating-point ``x`` (the gamma family computes in float64 and rounds back).

Example:
    >>> import numpy as np
    >>> erf(np, np.array([0.0, 0.5, -3.0])).round(8).tolist()
    [0.0, 0.52049988, -0.99997791]
"""

from __future__ import annotations

import math

__all__ = ["erf", "erfc", "erfcx", "erfinv", "lgamma", "digamma", "polygamma", "zeta"]


def _erfc_far(xp, far):
    """``erfc(far)`` for ``far >= 2.5`` by its continued fraction (Abramowitz & Stegun
    7.1.14), 40 terms."""
    fraction = far
    for k in range(40, 0, -1):
        fraction = far + (k / 2.0) / fraction
    return xp.exp(-far * far) / (math.sqrt(math.pi) * fraction)


def _erf_near(xp, near):
    """``erf(near)`` for ``0 <= near < 2.5``: ``2/sqrt(pi) * x * exp(-x^2) * sum_k (2x^2)^k /
    (1*3*...*(2k+1))``, a series of positive terms (no cancellation), 40 terms."""
    square = near * near
    series = xp.ones_like(near)
    for k in range(40, 0, -1):
        series = 1.0 + (2.0 / (2 * k + 1)) * square * series
    return (2.0 / math.sqrt(math.pi)) * near * xp.exp(-square) * series


def erf(xp, x):
    """The error function: the series below 2.5 in magnitude, ``1 - erfc`` above; 1e-15
    absolute accuracy in float64 (checked against ``math.erf``)."""
    magnitude = xp.abs(x)
    small = magnitude < 2.5
    erf_near = _erf_near(xp, xp.where(small, magnitude, 0.0))  # far values would overflow
    erfc_far = _erfc_far(xp, xp.where(small, 2.5, magnitude))
    return xp.copysign(xp.where(small, erf_near, 1.0 - erfc_far), x)


# Cephes ndtr.c (Moshier; as SciPy's xsf/cephes/ndtr.h): erfc(x) = exp(-x^2) P(x) / Q(x) on
# [1, 8) and exp(-x^2) R(x) / S(x) from 8, highest power first, Q and S monic
_ERFC_P = (2.46196981473530512524e-10, 5.64189564831068821977e-1, 7.46321056442269912687e0,
           4.86371970985681366614e1, 1.96520832956077098242e2, 5.26445194995477358631e2,
           9.34528527171957607540e2, 1.02755188689515710272e3,
           5.57535335369399327526e2)  # fmt: skip
_ERFC_Q = (1.0, 1.32281951154744992508e1, 8.67072140885989742329e1, 3.54937778887819891062e2,
           9.75708501743205489753e2, 1.82390916687909736289e3, 2.24633760818710981792e3,
           1.65666309194161350182e3, 5.57535340817727675546e2)  # fmt: skip
_ERFC_R = (5.64189583547755073984e-1, 1.27536670759978104416e0, 5.01905042251180477414e0,
           6.16021097993053585195e0, 7.40974269950448939160e0,
           2.97886665372100240670e0)  # fmt: skip
_ERFC_S = (1.0, 2.26052863220117276590e0, 9.39603524938001434673e0, 1.20489539808096656605e1,
           1.70814450747565897222e1, 9.60896809063285878198e0,
           3.36907645100081516050e0)  # fmt: skip
_ERFC_ZERO = 27.3  # erfc underflows to 0 from about 27.23 on


def _polynomial(coefficients, x):
    """``sum_k coefficients[k] x^(n-k)`` by Horner's rule (highest power first)."""
    total = coefficients[0]
    for c in coefficients[1:]:
        total = total * x + c
    return total


def _exp_minus_square(xp, x):
    """``exp(-x^2)`` without the error of rounding ``x^2`` (Cephes ``expx2``): ``x = m + f``
    with ``m`` a multiple of 1/32, whose square is exact, and ``exp(-(2m + f) f)`` small."""
    m = xp.floor(x * 32.0 + 0.5) / 32.0
    f = x - m
    return xp.exp(-m * m) * xp.exp(-(2.0 * m + f) * f)


def erfc(xp, x):
    """``1 - erf(x)``: ``1 - erf(x)`` below 1 in magnitude (no worse than a 1.2x loss), Cephes'
    rational approximations times ``exp(-x^2)`` above (``2 - erfc(-x)`` for negative ``x``):
    a few ulp relative in float64 against PyTorch's. float16 and float32 compute in float64
    (float32's ``1 - erf`` is 10 ulps off near 0.9, the polynomials overflow float16); NaN
    stays NaN."""
    work = x if x.dtype.itemsize >= 8 else x.astype(xp.float64)
    magnitude = xp.abs(work)
    near = magnitude < 1.0
    middle = xp.clip(magnitude, 1.0, 8.0)
    far = xp.clip(magnitude, 8.0, _ERFC_ZERO)
    ratio = xp.where(
        magnitude < 8.0,
        _polynomial(_ERFC_P, middle) / _polynomial(_ERFC_Q, middle),
        _polynomial(_ERFC_R, far) / _polynomial(_ERFC_S, far),
    )
    tail = _exp_minus_square(xp, xp.minimum(magnitude, _ERFC_ZERO)) * ratio
    tail = xp.where(magnitude > _ERFC_ZERO, 0.0, tail)  # NaN > 27.3 is False: NaN stays
    tail = xp.where(work < 0, 2.0 - tail, tail)
    result = xp.where(near, 1.0 - erf(xp, xp.where(near, work, 0.0)), tail)
    return result.astype(x.dtype, copy=False)


def erfcx(xp, x):
    """``exp(x^2) erfc(x)`` without its overflow: the continued fraction without its
    ``exp(-x^2)`` from 2.5 on (``1 / (x sqrt(pi))``, subnormal near float64's largest, 0 at
    ``inf``), the product below; float16 and float32 in float64 (float32's ``exp(x^2)`` is
    15 ulps off near 0.9)."""
    wide = x if x.dtype.itemsize >= 8 else x.astype(xp.float64)
    far = wide >= 2.5
    fraction = xp.where(far, wide, 2.5)
    for k in range(40, 0, -1):
        fraction = xp.where(far, wide, 2.5) + (k / 2.0) / fraction
    near = xp.exp(wide * wide) * erfc(xp, xp.where(far, 0.0, wide))
    value = xp.where(far, (1.0 / math.sqrt(math.pi)) / fraction, near)
    return value.astype(x.dtype, copy=False)


def erfinv(xp, x):
    """The inverse error function on ``[-1, 1]`` (``+-inf`` at ``+-1``, NaN outside): M. Giles'
    single-precision polynomials ("Approximating the erfinv function", GPU Computing Gems,
    2011), then Newton steps on :func:`erf` (on ``log erfc`` beyond 0.5, where ``erf``
    cannot resolve the distance to 1), which give float64's accuracy up to ``1 - 2**-53``."""
    inside = xp.abs(x) < 1
    t = xp.where(inside, x, 0.0).astype(xp.float64)  # float32's last digits need float64 steps
    w = -xp.log((1.0 - t) * (1.0 + t))
    central, tail = w - 2.5, xp.sqrt(w) - 3.0
    p = xp.zeros_like(t) + 2.81022636e-08
    for c in (3.43273939e-07, -3.5233877e-06, -4.39150654e-06, 0.00021858087, -0.00125372503,
              -0.00417768164, 0.246640727, 1.50140941):  # fmt: skip
        p = c + p * central
    q = xp.zeros_like(t) - 0.000200214257
    for c in (0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773, -0.0076224613,
              0.00943887047, 1.00167406, 2.83297682):  # fmt: skip
        q = c + q * tail
    y = xp.abs(xp.where(w < 5.0, p, q) * t)
    a, root_pi = xp.abs(t), math.sqrt(math.pi)
    near_one = a > 0.5
    for _ in range(4):
        # Newton on erf(y) = a; beyond 0.5 on log erfc(y) = log(1 - a) instead: erf cannot
        # resolve the distance to 1, 1 - a is exact there (Sterbenz), and log erfc is nearly
        # quadratic in y, so the steps converge from the polynomials' float32-range guess
        by_erf = y - (erf(xp, y) - a) * (root_pi / 2.0) * xp.exp(y * y)
        scaled = erfcx(xp, xp.where(near_one, y, 1.0))  # exp(y^2) erfc(y), no underflow
        by_erfc = y + (xp.log(scaled) - y * y - xp.log(1.0 - a)) * (root_pi / 2.0) * scaled
        y = xp.where(near_one, by_erfc, by_erf)
    y = xp.copysign(y, t)  # -0.0 stays -0.0, as PyTorch's
    edge = xp.where(x == 1, math.inf, xp.where(x == -1, -math.inf, math.nan))
    return xp.where(inside, y, edge).astype(x.dtype, copy=False)


# The gamma family. Each computes in float64 (a float32 ``x`` is rounded back at the end) and
# returns PyTorch's special values. Bernoulli numbers B2, B4, ..., B18:
_BERNOULLI = (1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6, -3617 / 510,
              43867 / 798)  # fmt: skip


def _zeta_tail(a, s):
    """The Euler-Maclaurin tail ``sum_{k>=0} (a + k)^-s`` of the Hurwitz zeta function for
    ``a >= 15 + s`` (a float or an array: operators only), 9 Bernoulli terms."""
    inverse = 1.0 / a
    correction, rising = 0.0, s * 1.0  # rising: s (s + 1) ... (s + 2j - 2)
    terms = []
    for j, bernoulli in enumerate(_BERNOULLI, start=1):
        terms.append(bernoulli / math.factorial(2 * j) * rising)
        rising *= (s + 2 * j - 1) * (s + 2 * j)
    for term in reversed(terms):
        correction = term + correction * inverse * inverse
    return a ** (1 - s) * (1 / (s - 1) + (0.5 + correction * inverse) * inverse)  # a^-s: 0 at
    # a = 1e300, s = 2, where the sum is 1e-300


def _zeta_float(s: int, q: float) -> float:
    """The Hurwitz zeta function ``sum_{k>=0} (q + k)^-s`` for Python floats (constants)."""
    return math.fsum((q + k) ** -s for k in range(15 + s)) + _zeta_tail(q + 15 + s, s)


# lgamma(2 + z) = (1 - euler_gamma) z + sum_{k>=2} (-1)^k (zeta(k) - 1) / k z^k, |z| <= 1/2
_LGAMMA_AT_TWO = (1 - 0.5772156649015329,) + tuple(
    (-1) ** k * _zeta_float(k, 2.0) / k for k in range(2, 30)
)
# digamma(x0 + d) = sum_{k>=1} (-1)^(k+1) zeta(k+1, x0) d^k about its positive zero x0
_DIGAMMA_ZERO, _DIGAMMA_ZERO_LOW = 1.4616321449683622, 9.549995429965697e-17
_DIGAMMA_AT_ZERO = tuple((-1) ** (k + 1) * _zeta_float(k + 1, _DIGAMMA_ZERO) for k in range(1, 42))


def _horner(coefficients, z):
    """``sum_k coefficients[k] z^(k+1)``."""
    total = 0.0
    for c in reversed(coefficients):
        total = c + total * z
    return total * z


def _lgamma_positive(xp, y):
    """``lgamma`` of finite float64 ``y > 0``: Stirling's series from 10; below, ``y`` moved
    into ``[-1/2, 1/2)`` about 2 by the recurrence and the series about 2 (relative accuracy
    at the zeros 1 and 2)."""
    big = y >= 10
    s = xp.where(big, y, 10.0)
    inverse = 1.0 / s
    stirling = [b / ((2 * k + 2) * (2 * k + 1)) for k, b in enumerate(_BERNOULLI[:8])]
    series = _horner(stirling[1:], inverse * inverse) + stirling[0]
    large = (s - 0.5) * xp.log(s) - s + 0.5 * math.log(2 * math.pi) + series * inverse
    t = xp.where(big, 2.0, y)
    product = xp.ones_like(t)
    for _ in range(8):
        down = t >= 2.5
        product = xp.where(down, product * (t - 1.0), product)
        t = xp.where(down, t - 1.0, t)
    z = xp.where(t >= 1.5, t - 2.0, xp.where(t >= 0.5, t - 1.0, t))
    correction = xp.where(t < 1.5, -xp.log1p(z), 0.0) - xp.log(xp.where(t < 0.5, t, 1.0))
    small = _horner(_LGAMMA_AT_TWO, z) + correction + xp.log(product)
    return xp.where(big, large, small)


def _reflected(xp, x):
    """``(w, negative, r)``: ``x`` in float64 with the poles (nonpositive integers), NaN and
    infinities replaced by 1/2, where ``w < 0``, and ``w - round(w)`` (``sin(pi r)`` and
    ``tan(pi r)`` are exact reductions of ``sin(pi w)``, ``tan(pi w)`` up to sign)."""
    wide = x.astype(xp.float64)
    ordinary = xp.isfinite(wide) & ~((wide <= 0) & (wide == xp.floor(wide)))
    w = xp.where(ordinary, wide, 0.5)
    return w, w < 0, w - xp.round(w)


def _cot_pi(xp, r):
    """``cot(pi r)`` for ``r`` in [-1/2, 1/2] but 0, accurate relative to itself: beyond 1/4
    as ``tan(pi (1/2 - |r|))``, whose argument is exact there, so that it is 0 at the
    half-integers, where the reflections' cotangent terms must vanish (``1 / tan(pi / 2)`` is
    6e-17, which the terms multiply by up to ``pi^(n+1) n!``)."""
    far = xp.abs(r) > 0.25
    near_half = xp.sign(r) * xp.tan(math.pi * (0.5 - xp.abs(r)))
    return xp.where(far, near_half, 1.0 / xp.tan(math.pi * xp.where(far, 0.25, r)))


def lgamma(xp, x):
    """``log|gamma(x)|`` (PyTorch's ``lgamma``): :func:`_lgamma_positive`, and the reflection
    ``log(pi / |sin(pi x)|) - lgamma(1 - x)`` below 0; ``inf`` at the poles and ``+-inf``, NaN
    for NaN. About 1e-15 relative, except near the zeros below -2 (absolute there)."""
    w, negative, r = _reflected(xp, x)
    value = _lgamma_positive(xp, xp.where(negative, 1.0 - w, w))
    r = xp.where(negative, r, 0.5)
    # log|sin(pi r)|; log(pi |r|) below 1e-8, where pi r would lose digits as a subnormal
    log_sine = xp.where(xp.abs(r) < 1e-8, math.log(math.pi) + xp.log(xp.abs(r)),
                        xp.log(xp.abs(xp.sin(math.pi * r))))  # fmt: skip
    value = xp.where(negative, math.log(math.pi) - log_sine - value, value)
    wide = x.astype(xp.float64)
    value = xp.where(xp.isnan(wide), math.nan, xp.where(w == wide, value, math.inf))
    return value.astype(x.dtype, copy=False)


def _digamma_positive(xp, y):
    """``digamma`` of finite float64 ``y > 0``: the series about the zero x0 on ``[1, 2]``;
    elsewhere the recurrence up to 10 and the asymptotic series."""
    near = (y >= 1) & (y <= 2)
    d = (xp.where(near, y, _DIGAMMA_ZERO) - _DIGAMMA_ZERO) - _DIGAMMA_ZERO_LOW
    t = xp.where(near, 10.0, y)
    shift = xp.zeros_like(t)
    for _ in range(10):
        up = t < 10
        shift = xp.where(up, shift + 1.0 / t, shift)
        t = xp.where(up, t + 1.0, t)
    inverse = 1.0 / t
    asymptotic = _horner([b / (2 * k + 2) for k, b in enumerate(_BERNOULLI[:8])], inverse**2)
    far = xp.log(t) - 0.5 * inverse - asymptotic - shift
    return xp.where(near, _horner(_DIGAMMA_AT_ZERO, d), far)


def digamma(xp, x):
    """PyTorch's ``digamma``: :func:`_digamma_positive`, and the reflection ``digamma(1 - x) -
    pi / tan(pi x)`` below 0; ``-inf`` at 0, ``inf`` at -0 and ``inf``, NaN at the negative
    integers, ``-inf`` and NaN."""
    w, negative, r = _reflected(xp, x)
    value = _digamma_positive(xp, xp.where(negative, 1.0 - w, w))
    cotangent = _cot_pi(xp, xp.where(negative, r, 0.25))
    value = xp.where(negative, value - math.pi * cotangent, value)
    wide = x.astype(xp.float64)
    zero = xp.where(xp.signbit(wide), math.inf, -math.inf)
    edge = xp.where(wide == 0, zero, xp.where(wide == math.inf, math.inf, math.nan))
    return xp.where(w == wide, value, edge).astype(x.dtype, copy=False)


def _cotangent_derivative(n: int) -> list[int]:
    """The coefficients (by power of ``c``) of the polynomial ``P`` with ``d^n/dz^n cot(z) =
    P(cot z)``: from ``P_0 = c`` by ``P_{k+1} = -(1 + c^2) P_k'``."""
    poly = [0, 1]
    for _ in range(n):
        slope = [k * c for k, c in enumerate(poly)][1:] + [0, 0]
        poly = [-(slope[k] + (slope[k - 2] if k >= 2 else 0)) for k in range(len(slope))]
    return poly


def polygamma(xp, n: int, x):
    """The ``n``-th derivative of ``digamma`` (PyTorch's ``polygamma``; ``n >= 0``): for ``n >=
    1``, ``(-1)^(n+1) n! zeta(n+1, x)`` (the Hurwitz zeta function: a direct sum up to 15 +
    n, then Euler-Maclaurin), reflected below 0; ``(-1)^(n+1) inf`` at the poles, 0 at
    ``inf``, NaN at ``-inf`` and NaN."""
    if n == 0:
        return digamma(xp, x)
    w, negative, r = _reflected(xp, x)
    a, total, bound = xp.where(negative, 1.0 - w, w), xp.zeros_like(w), 15 + n
    for _ in range(bound):
        near = a < bound
        total = xp.where(near, total + a ** -(n + 1), total)
        a = xp.where(near, a + 1.0, a)
    factorial = math.exp(math.lgamma(n + 1)) if n <= 170 else math.inf
    value = (-1) ** (n + 1) * factorial * (total + _zeta_tail(a, n + 1))
    cotangent = _cot_pi(xp, xp.where(negative, r, 0.25))
    derivative = _horner(_cotangent_derivative(n)[1:], cotangent) + _cotangent_derivative(n)[0]
    reflected = (-1) ** n * value - math.pi ** (n + 1) * derivative
    # just below 0 the cotangent's powers overflow (inf - inf): the recurrence from 1 - w
    # instead, psi(w) = psi(w + 1) - (-1)^n n! w^-(n+1), psi(w + 1) within 2|w| of value
    tiny = negative & (w > -1e-8)
    reflected = xp.where(tiny, value - (-1) ** n * factorial * w ** -(n + 1), reflected)
    value = xp.where(negative, reflected, value)
    wide = x.astype(xp.float64)
    pole = xp.where(wide == math.inf, 0.0, (-1) ** (n + 1) * math.inf)
    edge = xp.where(xp.isnan(wide) | (wide == -math.inf), math.nan, pole)
    return xp.where(w == wide, value, edge).astype(x.dtype, copy=False)


def _zeta_sum(xp, s, q):
    """``sum_{k>=0} (q + k)^-s`` for ``q > 0``: 30 terms, then the Euler-Maclaurin tail
    (0 from ``s = 1e15`` on, where ``a^(1 - s)`` is 0 and the tail's products overflow)."""
    a, total = q, xp.zeros_like(q * s)
    for _ in range(30):
        total = total + a**-s
        a = a + 1.0
    return total + xp.where(s < 1e15, _zeta_tail(a, xp.minimum(s, 1e15)), 0.0)


def zeta(xp, s, q):
    """The Hurwitz zeta function ``sum_{k>=0} (q + k)^-s`` (PyTorch's ``special.zeta``, Cephes'
    domain): :func:`_zeta_sum`; for ``q < 0`` (integer ``s``) its terms below 0 as
    ``(-1)^s (zeta(s, g) - zeta(s, 1 - q))``, ``g = 1 - frac(q)``, so that no sum starts
    below 0 (Euler-Maclaurin needs ``a > 0``; PyTorch sums the terms one by one). ``inf`` at
    ``s = 1`` and at the poles ``q = 0, -1, ...``; NaN for ``s < 1``, and for ``q < 0`` with
    a non-integer ``s``, and at ``q = inf``; at ``s = inf`` Cephes' ``inf`` below ``q = 1``,
    1 at 1, NaN above."""
    value = _zeta_sum(xp, s, xp.where(q > 0, q, 1.0))
    # the sums for q < 0 run on every element: testing for one would read the device
    f = xp.where(q < 0, q - xp.floor(q), 0.5)  # frac(q), exact
    sign = xp.where(xp.fmod(s, 2.0) == 0, 1.0, -1.0)
    below = _zeta_sum(xp, s, f) + sign * _zeta_sum(xp, s, 1.0 - f)
    below = below - sign * _zeta_sum(xp, s, xp.where(q < 0, 1.0 - q, 1.0))
    value = xp.where(q < 0, below, value)
    # NaN for NaN (q > 0 is False: summed at 1) and at q = inf (Cephes' 0 / 0 there)
    value = xp.where(xp.isnan(q) | (q == math.inf), math.nan, value)
    pole = (s == 1) | ((q <= 0) & (q == xp.floor(q)))
    value = xp.where((q < 0) & (s != xp.floor(s)), math.nan, value)
    value = xp.where(s < 1, math.nan, xp.where(pole, math.inf, value))
    infinite = xp.where(q < 1, math.inf, xp.where(q == 1, 1.0, math.nan))
    return xp.where(s == math.inf, infinite, value).astype(value.dtype, copy=False)
