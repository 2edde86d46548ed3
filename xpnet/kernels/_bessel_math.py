"""PyTorch's Bessel and Airy functions (``aten/src/ATen/native/Math.h``, from the Cephes Math
Library by Stephen L. Moshier, 3-clause BSD) in plain ``xp`` operations: ``airy_ai``,
``bessel_j0``/``j1``/``y0``/``y1``, ``modified_bessel_k0``/``k1`` (and their ``exp(x)``-scaled
forms) and ``spherical_bessel_j0``. Each branch of PyTorch's scalar code is evaluated on the
whole array (its inputs replaced by harmless ones outside the branch) and selected by
``where``; the arithmetic runs in ``x``'s own float dtype, as PyTorch's (float32 stays
float32), with its coefficients, loops and special values.

Example:
    >>> import numpy as np
    >>> bessel_j0(np, np.array([0.0, 1.0, 10.0])).round(8).tolist()
    [1.0, 0.76519769, -0.24593576]
"""

from __future__ import annotations

import math

__all__ = ["airy_ai", "bessel_j0", "bessel_j1", "bessel_y0", "bessel_y1", "modified_bessel_k0"]
__all__ += ["modified_bessel_k1", "spherical_bessel_j0", "polynomial", "chebyshev_series"]

# Cephes' coefficient tables, as PyTorch 2.13 spells them (highest power first)
_AIRY_AN = (
    0.346538101525629, 12.007595273964581, 76.27960536152345, 168.08922493463058,
    159.75639135016442, 70.53609068404442, 14.026469116338967, 1.0,
)  # fmt: skip

_AIRY_AD = (
    0.5675945326387702, 14.75625625848472, 84.51389701414746, 177.31808814540045,
    164.2346928715297, 71.47784008255756, 14.095913560783403, 1.0,
)  # fmt: skip

_AIRY_AFN = (
    -0.1316963234183318, -0.6264565444319123, -0.6931580360369335, -0.2797799815451191,
    -0.04919001326095003, -0.004062659235948854, -0.0001592764962392621, -2.776491081552329e-06,
    -1.6778769848911465e-08,
)  # fmt: skip

_AIRY_AFD = (
    13.356042070655324, 32.682503279522464, 26.736704094149957, 9.187074029072596,
    1.4752914677166642, 0.11568717379518804, 0.004402916416152112, 7.547203482874142e-05,
    4.5185009297058035e-07,
)  # fmt: skip

_AIRY_AGN = (
    0.01973399320916857, 0.39110302961568827, 1.0657989759959559, 0.9391692298166502,
    0.35146565610554764, 0.06338889196289255, 0.005858041130483885, 0.000282851600836737,
    6.98793669997261e-06, 8.117892395543892e-08, 3.415517847659236e-10,
)  # fmt: skip

_AIRY_AGD = (
    9.30892908077442, 19.835292871831214, 15.564662893286462, 5.476860694229755,
    0.9542936116189619, 0.08645808263523921, 0.004126565238242226, 0.00010125908511650914,
    1.1716673321441352e-06, 4.9183457006293e-09,
)  # fmt: skip

_J0_PP = (
    0.0007969367292973471, 0.08283523921074408, 1.239533716464143, 5.447250030587687,
    8.74716500199817, 5.303240382353949, 1.0,
)  # fmt: skip

_J0_PQ = (
    0.0009244088105588637, 0.08562884743544745, 1.2535274390105895, 5.470977403304171,
    8.761908832370695, 5.306052882353947, 1.0,
)  # fmt: skip

_J0_QP = (
    -0.011366383889846916, -1.2825271867050931, -19.553954425773597, -93.20601521237683,
    -177.68116798048806, -147.07750515495118, -51.41053267665993, -6.050143506007285,
)  # fmt: skip

_J0_QQ = (
    64.3178256118178, 856.4300259769806, 3882.4018360540163, 7240.467741956525, 5930.727011873169,
    2062.0933166032783, 242.0057402402914,
)  # fmt: skip

_J0_RP = (
    -4794432209.782018, 1956174919465.5657, -249248344360967.72, 9708622510473064.0,
)  # fmt: skip

_J0_RQ = (
    499.563147152651, 173785.4016763747, 48440965.83399621, 11185553704.535683, 2112775201154.892,
    310518229857422.56, 3.1812195594320496e+16, 1.7108629408104315e+18,
)  # fmt: skip

_Y0_YP = (
    15592.436785523574, -14663929.59039716, 5435264770.518765, -982136065717.9115,
    87590639439536.7, -3466283033847297.0, 4.4273326857256984e+16, -1.8495080043698668e+16,
)  # fmt: skip

_Y0_YQ = (
    1041.2835366425984, 626107.330137135, 268919633.39381415, 86400248710.3935, 20297961275010.555,
    3171577528429750.5, 2.5059625617265306e+17,
)  # fmt: skip

_J1_PP = (
    0.0007621256162081731, 0.07313970569409176, 1.1271960812968493, 5.112079511468076,
    8.424045901417724, 5.214515986823615, 1.0,
)  # fmt: skip

_J1_PQ = (
    0.0005713231280725487, 0.06884559087544954, 1.105142326340617, 5.073863861286015,
    8.399855543276042, 5.209828486823619, 1.0,
)  # fmt: skip

_J1_QP = (
    0.05108625947501766, 4.982138729512334, 75.82382841325453, 366.7796093601508,
    710.8563049989261, 597.4896124006136, 211.68875710057213, 25.207020585802372,
)  # fmt: skip

_J1_QQ = (
    74.23732770356752, 1056.4488603826283, 4986.410583376536, 9562.318924047562, 7997.041604473507,
    2826.1927851763908, 336.0936078106983,
)  # fmt: skip

_J1_RP = (
    -899971225.7055594, 452228297998.19403, -72749424522181.83, 3682957328638529.0,
)  # fmt: skip

_J1_RQ = (
    620.8364781180543, 256987.25675774884, 83514679.14319493, 22151159547.97925, 4749141220799.914,
    784369607876235.9, 8.952223361846274e+16, 5.322786203326801e+18,
)  # fmt: skip

_Y1_YP = (
    1263204747.9017804, -647355876379.1603, 114509511541823.73, -8127702555013251.0,
    2.024394757135949e+17, -7.788771962659501e+17,
)  # fmt: skip

_Y1_YQ = (
    594.3015923461282, 235564.09294306856, 73481194.44597217, 18760131610.870617,
    3882312774962.3857, 620557727146953.8, 6.871410873553005e+16, 3.9727060811656064e+18,
)  # fmt: skip

_K0_A = (
    1.374465435613523e-16, 4.25981614279661e-14, 1.0349695257633842e-11, 1.904516377220209e-09,
    2.5347910790261494e-07, 2.286212103119452e-05, 0.001264615411446926, 0.0359799365153615,
    0.3442898999246285, -0.5353273932339028,
)  # fmt: skip

_K0_B = (
    5.300433772686263e-18, -1.6475804301524212e-17, 5.2103915050390274e-17, -1.678231096805412e-16,
    5.512055978524319e-16, -1.848593377343779e-15, 6.3400764774050706e-15, -2.2275133269916698e-14,
    8.032890775363575e-14, -2.9800969231727303e-13, 1.140340588208475e-12, -4.514597883373944e-12,
    1.8559491149547177e-11, -7.957489244477107e-11, 3.577397281400301e-10, -1.69753450938906e-09,
    8.574034017414225e-09, -4.660489897687948e-08, 2.766813639445015e-07, -1.8317555227191195e-06,
    1.39498137188765e-05, -0.00012849549581627802, 0.0015698838857300533, -0.0314481013119645,
    2.4403030820659555,
)  # fmt: skip

_K1_A = (
    -7.023863479386288e-18, -2.427449850519366e-15, -6.666901694199329e-13,
    -1.4114883926335278e-10, -2.213387630734726e-08, -2.4334061415659684e-06,
    -0.0001730288957513052, -0.006975723859639864, -0.12261118082265715, -0.3531559607765449,
    1.5253002273389478,
)  # fmt: skip

_K1_B = (
    -5.756744483665017e-18, 1.7940508731475592e-17, -5.689462558442859e-17, 1.838093544366639e-16,
    -6.057047248373319e-16, 2.038703165624334e-15, -7.019837090418314e-15, 2.4771544244813043e-14,
    -8.976705182324994e-14, 3.3484196660784293e-13, -1.2891739609510289e-12, 5.13963967348173e-12,
    -2.1299678384275683e-11, 9.218315187605006e-11, -4.1903547593418965e-10, 2.015049755197033e-09,
    -1.0345762465678097e-08, 5.7410841254500495e-08, -3.5019606030878126e-07,
    2.406484947837217e-06, -1.936197974166083e-05, 0.00019521551847135162, -0.002857816859622779,
    0.10392373657681724, 2.7206261904844427,
)  # fmt: skip

_TWO_OVER_PI, _ROOT_TWO_OVER_PI = 0.636619772367581343075535053490057448, 0.7978845608028654
_QUARTER_PI, _THREE_QUARTER_PI = 0.785398163397448309615660845819875721, 2.356194490192344928846


def polynomial(coefficients, z):
    """``sum_k coefficients[k] z^(n-k)``, Horner's loop from 0 as PyTorch's ``p = p * z + C[k]``."""
    total = 0.0
    for c in coefficients:
        total = total * z + c
    return total


def chebyshev_series(coefficients, y):
    """Cephes' ``chbevl``: ``sum_k' c_k T_k(y / 2)``, the loop PyTorch writes out inline."""
    b0, b1, b2 = coefficients[0] + 0.0 * y, 0.0, 0.0
    for c in coefficients[1:]:
        b2, b1 = b1, b0
        b0 = y * b1 - b2 + c
    return 0.5 * (b0 - b2)


def _airy_series(xp, x):
    """Ai by its Maclaurin series, for ``-2.09 <= x < 2.09``: PyTorch's loop, each element
    stopping where its relative term falls to the dtype's epsilon."""
    eps = xp.finfo(x.dtype).eps
    f, g, m, n, k, z = xp.ones_like(x), x, xp.ones_like(x), x, 1.0, x * x * x
    running = xp.ones(x.shape, dtype=bool)
    for _ in range(60):  # |z| < 9.2: 12 terms reach float64's epsilon
        m, n = m * z / (k + 1) / (k + 2), n * z / (k + 2) / (k + 3)
        f, g = xp.where(running, f + m, f), xp.where(running, g + n, g)
        running = running & (xp.abs(m / f) > eps)
        k += 3
    return 0.355028053887817239260 * f - 0.258819403792806798405 * g


def airy_ai(xp, x):
    """PyTorch's ``airy_ai``: the oscillating asymptotic form below -2.09, the decaying one
    from 2.09, the series between; 0 beyond 103.892, NaN at ``+-inf``."""
    low, high = x < -2.09, x >= 2.09
    w = xp.where(low, -x, 1.0)
    z = 1.0 / (2.0 * w * xp.sqrt(w) / 3.0)
    zz = z * z
    t = 2.0 * w * xp.sqrt(w) / 3.0 + 0.25 * math.pi
    ratio_f = polynomial(_AIRY_AFN, zz) / polynomial(_AIRY_AFD, zz)
    ratio_g = polynomial(_AIRY_AGN, zz) / polynomial(_AIRY_AGD, zz)
    oscillating = (
        0.564189583547756286948 / xp.sqrt(xp.sqrt(w))
        * (xp.sin(t) * (1.0 + zz * ratio_f) - xp.cos(t) * (z * ratio_g))
    )  # fmt: skip
    v = xp.where(high & (x <= 103.892), x, 2.09)
    zeta = 2.0 * v * xp.sqrt(v) / 3.0
    ratio = polynomial(_AIRY_AN, 1.0 / zeta) / polynomial(_AIRY_AD, 1.0 / zeta)
    decaying = 0.564189583547756286948 * ratio / (2.0 * xp.sqrt(xp.sqrt(v)) * xp.exp(zeta))
    series = _airy_series(xp, xp.where(low | high, 0.0, x))
    value = xp.where(low, oscillating, xp.where(high, decaying, series))
    value = xp.where(x > 103.892, 0.0, value)
    return xp.where(xp.isinf(x), math.nan, value).astype(x.dtype, copy=False)


def _far(xp, x, p, q, phase, square, sine_first):
    """The Hankel asymptotic form above 5 that the four ``J``/``Y`` share: ``w = 25 / x^2``
    (``square``) or ``(5 / x) (5 / x)`` as PyTorch computes it for order 1."""
    w = 25.0 / (x * x) if square else 5.0 / x * (5.0 / x)
    pp = polynomial(p[0], w) / polynomial(p[1], w)
    qp = 5.0 / x * (polynomial(q[0], w) / polynomial(q[1], w))
    shifted = x - phase
    if sine_first:  # Y: P sin + Q cos
        return (pp * xp.sin(shifted) + qp * xp.cos(shifted)) * _ROOT_TWO_OVER_PI / xp.sqrt(x)
    return (pp * xp.cos(shifted) - qp * xp.sin(shifted)) * _ROOT_TWO_OVER_PI / xp.sqrt(x)


def _j0_near(xp, x):
    """``J0`` on ``[0, 5]``: the rational form with its first two zeros factored out."""
    zz = x * x
    rational = polynomial(_J0_RP, zz) / polynomial(_J0_RQ, zz)
    value = (zz - 5.78318596294678452118) * (zz - 30.4712623436620863991) * rational
    return xp.where(x < 0.00001, 1.0 - zz / 4.0, value)


def _j1_near(xp, x):
    zz = x * x
    rational = polynomial(_J1_RP, zz) / polynomial(_J1_RQ, zz)
    return rational * x * (zz - 14.6819706421238932572) * (zz - 49.2184563216946036703)


def bessel_j0(xp, x):
    """PyTorch's ``bessel_j0`` (even): the rational form up to 5, the asymptotic one above."""
    x = xp.abs(x)
    near = x <= 5.0
    far = _far(xp, xp.where(near, 5.5, x), (_J0_PP, _J0_PQ), (_J0_QP, _J0_QQ), _QUARTER_PI,
               square=True, sine_first=False)  # fmt: skip
    return xp.where(near, _j0_near(xp, xp.where(near, x, 0.0)), far).astype(x.dtype, copy=False)


def bessel_j1(xp, x):
    """PyTorch's ``bessel_j1`` (odd: ``-J1(-x)`` below 0)."""
    a = xp.abs(x)
    near = a <= 5.0
    far = _far(xp, xp.where(near, 5.5, a), (_J1_PP, _J1_PQ), (_J1_QP, _J1_QQ),
               _THREE_QUARTER_PI, square=False, sine_first=False)  # fmt: skip
    value = xp.where(near, _j1_near(xp, xp.where(near, a, 0.0)), far)
    return xp.where(xp.signbit(x), -value, value).astype(x.dtype, copy=False)  # -0.0 at -0.0


def _positive_only(xp, x, value):
    """``value`` for ``x > 0``; ``-inf`` at 0, NaN below (PyTorch's ``Y`` and ``K`` domain)."""
    value = xp.where(x == 0, -math.inf, xp.where(x < 0, math.nan, value))
    return value.astype(x.dtype, copy=False)


def bessel_y0(xp, x):
    """PyTorch's ``bessel_y0``: ``YP/YQ + 2/pi log(x) J0(x)`` up to 5, the asymptotic form above."""
    near = x <= 5.0
    s = xp.where(near & (x > 0), x, 1.0)
    zz = s * s
    small = polynomial(_Y0_YP, zz) / polynomial(_Y0_YQ, zz)
    small = small + _TWO_OVER_PI * xp.log(s) * _j0_near(xp, s)
    far = _far(xp, xp.where(near, 5.5, x), (_J0_PP, _J0_PQ), (_J0_QP, _J0_QQ), _QUARTER_PI,
               square=True, sine_first=True)  # fmt: skip
    return _positive_only(xp, x, xp.where(near, small, far))


def bessel_y1(xp, x):
    """PyTorch's ``bessel_y1``: ``x YP/YQ + 2/pi (J1(x) log(x) - 1/x)`` up to 5, then asymptotic."""
    near = x <= 5.0
    s = xp.where(near & (x > 0), x, 1.0)
    zz = s * s
    small = s * (polynomial(_Y1_YP, zz) / polynomial(_Y1_YQ, zz))
    small = small + _TWO_OVER_PI * (_j1_near(xp, s) * xp.log(s) - 1.0 / s)
    far = _far(xp, xp.where(near, 5.5, x), (_J1_PP, _J1_PQ), (_J1_QP, _J1_QQ), _THREE_QUARTER_PI,
               square=False, sine_first=True)  # fmt: skip
    return _positive_only(xp, x, xp.where(near, small, far))


def _i_near(xp, x, order: int):
    """``I0``/``I1`` for ``0 < x <= 2`` by their power series (positive terms: correctly
    rounded to a few ulps, as PyTorch's Chebyshev sums)."""
    quarter, term = x * x / 4.0, (x / 2.0) ** order
    total = term
    for k in range(1, 30):
        term = term * quarter / (k * (k + order))
        total = total + term
    return total


def _modified_bessel_k(xp, x, order: int, scaled: bool):
    """PyTorch's ``modified_bessel_k0``/``k1`` (``scaled``: times ``exp(x)``): Chebyshev sums
    in ``x^2 - 2`` with the ``log(x/2) I(x)`` term up to 2, in ``8 / x - 2`` above; ``inf`` at
    0, NaN below."""
    near = x <= 2.0
    s = xp.where(near & (x > 0), x, 1.0)
    a_table, b_table = (_K0_A, _K0_B) if order == 0 else (_K1_A, _K1_B)
    series = chebyshev_series(a_table, s * s - 2.0)
    if order == 0:
        small = series - xp.log(0.5 * s) * _i_near(xp, s, 0)
    else:
        small = xp.log(0.5 * s) * _i_near(xp, s, 1) + series / s
    f = xp.where(near, 2.0, x)
    large = chebyshev_series(b_table, 8.0 / f - 2.0) / xp.sqrt(f)
    if scaled:
        small = small * xp.exp(s)
    else:
        large = xp.exp(-f) * large
    value = xp.where(x == 0, math.inf, xp.where(x < 0, math.nan, xp.where(near, small, large)))
    return value.astype(x.dtype, copy=False)


def modified_bessel_k0(xp, x, scaled: bool = False):
    """PyTorch's ``modified_bessel_k0`` (``scaled``: ``scaled_modified_bessel_k0``)."""
    return _modified_bessel_k(xp, x, 0, scaled)


def modified_bessel_k1(xp, x, scaled: bool = False):
    """PyTorch's ``modified_bessel_k1`` (``scaled``: ``scaled_modified_bessel_k1``)."""
    return _modified_bessel_k(xp, x, 1, scaled)


def spherical_bessel_j0(xp, x):
    """PyTorch's ``spherical_bessel_j0``: ``sin(x) / x``, its Taylor polynomial below 0.5 in
    magnitude, 0 at ``+-inf``."""
    zz = x * x
    taylor = 1.0 + zz * (-1.0 / 6.0 + zz * (1.0 / 120.0 + zz * (-1.0 / 5040.0 + zz * (
        1.0 / 362880.0 + zz * (-1.0 / 39916800.0 + zz * (1.0 / 6227020800.0))))))  # fmt: skip
    value = xp.where(xp.abs(x) < 0.5, taylor, xp.sin(x) / xp.where(x == 0, 1.0, x))
    return xp.where(xp.isinf(x), 0.0, value).astype(x.dtype, copy=False)
