"""Implicit reparameterisation gradients of gamma and Dirichlet draws, as PyTorch's
``torch._standard_gamma_grad`` and ``torch._dirichlet_grad`` (``aten/src/ATen/native/
Distributions.h``: ``standard_gamma_grad_one``, ``dirichlet_grad_one`` and their helpers).

For a draw ``x`` of a distribution with CDF ``F(x; alpha)``, ``dx/dalpha = -(dF/dalpha) / p(x)``
(Figurnov et al., 2018, "Implicit Reparameterization Gradients"); PyTorch approximates it by
series, saddle-point expansions and rational fits, piece by piece. Here each piece is computed on
every element in plain ``xp`` operations and :func:`select` keeps the one PyTorch's branch takes,
so the same constants and branch bounds give the same numbers on every backend. The arithmetic is
float64 throughout, as PyTorch's CPU kernels (``accscalar_t = double``); results are cast back.
"""

from __future__ import annotations

import math

import numpy

from ..backends import backend_of
from ..kernels._checks import kernel

__all__ = ["digamma_one", "dirichlet_grad", "standard_gamma_grad"]

# PyTorch compares with float literals (``0.8f``): their float32 values decide the branches
F32_0_8, F32_0_9, F32_1_1 = (float(numpy.float32(v)) for v in (0.8, 0.9, 1.1))
F32_1E17 = float(numpy.float32(1.0e17))
PSI_10 = 2.25175258906672110764  # digamma(10)
# Cephes' asymptotic digamma coefficients, highest power first (polevl's order)
DIGAMMA_A = (
    8.33333333333333333333e-2,
    -2.10927960927960927961e-2,
    7.57575757575757575758e-3,
    -4.16666666666666666667e-3,
    3.96825396825396825397e-3,
    -8.33333333333333333333e-3,
    8.33333333333333333333e-2,
)
# the bivariate rational fit of standard_gamma_grad_one, rows: 1, u, u^2; columns: p then q
GAMMA_COEF_UV = (
    (0.16009398, -0.094634809, 0.025146376, -0.0030648343, 1, 0.32668115, 0.10406089, 0.0014179084),
    (0.53487893, 0.1298071, 0.065735949, -0.0015649758, 0.16639465, 0.020070113, -0.0035938915,
     -0.00058392623),
    (0.040121004, -0.0065914022, -0.0026286047, -0.0013441777, 0.017050642, -0.0021309326,
     0.00085092367, -1.5247877e-07),
)  # fmt: skip
# the rational correction of dirichlet_grad_one: [p or q][power of u][power of a][power of b]
DIRICHLET_C = (
    (((1.003668233, -0.01061107488, -0.0657888334, 0.01201642863),
      (0.6336835991, -0.3557432599, 0.05486251648, -0.001465281033),
      (-0.03276231906, 0.004474107445, 0.002429354597, -0.0001557569013)),
     ((0.221950385, -0.3187676331, 0.01799915743, 0.01074823814),
      (-0.2951249643, 0.06219954479, 0.01535556598, 0.001550077057),
      (0.02155310298, 0.004170831599, 0.001292462449, 6.976601077e-05)),
     ((-0.05980841433, 0.008441916499, 0.01085618172, 0.002319392565),
      (0.02911413504, 0.01400243777, -0.002721828457, 0.000751041181),
      (0.005900514878, -0.001936558688, -9.495446725e-06, 5.385558597e-05))),
    (((1, -0.02924021934, -0.04438342661, 0.007285809825),
      (0.6357567472, -0.3473456711, 0.05454656494, -0.002407477521),
      (-0.03301322327, 0.004845219414, 0.00231480583, -0.0002307248149)),
     ((0.5925320577, -0.1757678135, 0.01505928619, 0.000564515273),
      (0.1014815858, -0.06589186703, 0.01272886114, -0.0007316646956),
      (-0.007258481865, 0.001096195486, 0.0003934994223, -4.12701925e-05)),
     ((0.06469649321, -0.0236701437, 0.002902096474, -5.896963079e-05),
      (0.001925008108, -0.002869809258, 0.0008000589141, -6.063713228e-05),
      (-0.0003477407336, 6.959756487e-05, 1.097287507e-05, -1.650964693e-06))),
)  # fmt: skip


def select(xp, *pairs_and_default):
    """``where`` over ``(condition, value)`` pairs, the first true condition winning (the
    ``if`` chain of PyTorch's scalar code); the last argument is the ``else`` value."""
    *pairs, result = pairs_and_default
    for condition, value in reversed(pairs):
        result = xp.where(condition, value, result)
    return result


def zero_nan(xp, value):
    """``value`` with NaN replaced by 0, as PyTorch's ``isnan(result) ? 0 : result``."""
    return xp.where(xp.isnan(value), 0.0, value)


def digamma_one(xp, x):
    """Cephes' digamma as PyTorch's ``digamma_one`` (the one its gradients use), element-wise
    on a float64 array: shifted up to 10 by the recurrence, then the asymptotic series.

    Example:
        >>> import numpy as np
        >>> float(digamma_one(np, np.array(1.0)))
        -0.5772156649015328
    """
    negative = x < 0
    is_integer = x == xp.floor(x)
    reflection = xp.where(negative, -math.pi / xp.tan(math.pi * x), 0.0)
    x = xp.where(negative, 1 - x, x)
    result = xp.zeros_like(x)
    for _ in range(10):  # x > 0 here: at most 10 steps reach x >= 10
        below = x < 10
        result = xp.where(below, result - 1 / x, result)
        x = xp.where(below, x + 1, x)
    z = 1.0 / (x * x)
    poly = xp.full_like(x, DIGAMMA_A[0])
    for coefficient in DIGAMMA_A[1:]:
        poly = poly * z + coefficient
    y = xp.where(x < F32_1E17, z * poly, 0.0)
    asymptotic = result + xp.log(x) - (0.5 / x) - y + reflection
    pole = (negative & is_integer) | (x == 0)
    return select(xp, (pole, math.inf), (x == 10, result + PSI_10 + reflection), asymptotic)


def gamma_grad_series(xp, alpha, x):
    """``standard_gamma_grad_one`` for ``x < 0.8``: the Taylor series of the CDF in ``x``."""
    numer, denom = xp.ones_like(x), alpha
    series1, series2 = numer / denom, numer / (denom * denom)
    for i in range(1, 6):
        numer = numer * (-x / i)
        denom = denom + 1
        series1 = series1 + numer / denom
        series2 = series2 + numer / (denom * denom)
    pow_x_alpha = xp.power(x, alpha)
    gamma_pdf = xp.power(x, alpha - 1) * xp.exp(-x)
    gamma_cdf = pow_x_alpha * series1
    cdf_alpha = (xp.log(x) - digamma_one(xp, alpha)) * gamma_cdf - pow_x_alpha * series2
    return zero_nan(xp, -cdf_alpha / gamma_pdf)


def gamma_grad_saddle(xp, alpha, x):
    """``standard_gamma_grad_one`` for ``alpha > 8``: Rice's saddle-point expansion, with its
    polynomial near ``x = alpha``, where the expansion is singular."""
    numer_1 = 1 + 24 * alpha * (1 + 12 * alpha)
    numer_2 = (
        1440 * (alpha * alpha)
        + 6 * x * (53 - 120 * x)
        - 65 * x * x / alpha
        + alpha * (107 + 3600 * x)
    )
    near = numer_1 * numer_2 / (1244160 * (alpha * alpha) * (alpha * alpha))
    denom = xp.sqrt(8 * alpha)
    term2 = denom / (alpha - x)
    term3 = xp.power(x - alpha - alpha * xp.log(x / alpha), -1.5)
    term23 = xp.where(x < alpha, term2 - term3, term2 + term3)
    term1 = xp.log(x / alpha) * term23 - xp.sqrt(2 / alpha) * (alpha + x) / (
        (alpha - x) * (alpha - x)
    )
    stirling = 1 + 1 / (12 * alpha) * (1 + 1 / (24 * alpha))
    far = -stirling * (x * term1) / denom
    return xp.where((F32_0_9 * alpha <= x) & (x <= F32_1_1 * alpha), near, far)


def gamma_grad_rational(xp, alpha, x):
    """``standard_gamma_grad_one`` elsewhere: a bivariate rational fit in ``log(x / alpha)``
    and ``log(alpha)``."""
    u, v = xp.log(x / alpha), xp.log(alpha)
    coef = [c0 + u * (c1 + u * c2) for c0, c1, c2 in zip(*GAMMA_COEF_UV, strict=True)]
    p = coef[0] + v * (coef[1] + v * (coef[2] + v * coef[3]))
    q = coef[4] + v * (coef[5] + v * (coef[6] + v * coef[7]))
    return xp.exp(p / q)


@kernel
def standard_gamma_grad(concentration, draws):
    """``d draws / d concentration`` for ``draws ~ Gamma(concentration, 1)``, element-wise, as
    ``torch._standard_gamma_grad(concentration, draws)``.

    Args:
        concentration: float array of the shape parameters.
        draws: float array of standard gamma draws, broadcast with ``concentration``.

    Returns:
        Array of the broadcast shape and ``draws``' dtype.

    Example:
        >>> import numpy as np
        >>> standard_gamma_grad(np.array([2.0]), np.array([0.5]))
        array([0.49802411])
    """
    xp = backend_of(draws).xp
    alpha = xp.asarray(concentration, dtype=numpy.float64)
    x = xp.asarray(draws, dtype=numpy.float64)
    alpha, x = xp.broadcast_arrays(alpha, x)
    grad = select(
        xp,
        (x < F32_0_8, gamma_grad_series(xp, alpha, x)),
        (alpha > 8.0, gamma_grad_saddle(xp, alpha, x)),
        gamma_grad_rational(xp, alpha, x),
    )
    return grad.astype(draws.dtype, copy=False)


def beta_grad_alpha_small(xp, x, alpha, beta):
    """``dirichlet_grad_one`` for ``x`` near 0: a Taylor expansion in ``x``."""
    factor = digamma_one(xp, alpha) - digamma_one(xp, alpha + beta) - xp.log(x)
    numer = xp.ones_like(x)
    series = numer / alpha * (factor + 1 / alpha)
    for i in range(1, 11):
        numer = numer * ((i - beta) * x / i)
        denom = alpha + i
        series = series + numer / denom * (factor + 1 / denom)
    return zero_nan(xp, x * xp.power(1 - x, -beta) * series)


def beta_grad_beta_small(xp, x, alpha, beta):
    """The gradient with respect to ``beta`` for ``x`` near 0 (used at ``1 - x`` for ``x``
    near 1): a Taylor expansion in ``x``."""
    factor = digamma_one(xp, alpha + beta) - digamma_one(xp, beta)
    numer, betas, dbetas = xp.ones_like(x), xp.ones_like(x), xp.zeros_like(x)
    series = factor / alpha
    for i in range(1, 9):
        numer = numer * (-x / i)
        dbetas = dbetas * (beta - i) + betas
        betas = betas * (beta - i)
        series = series + numer / (alpha + i) * (dbetas + factor * betas)
    return zero_nan(xp, -xp.power(1 - x, 1 - beta) * series)


def beta_grad_alpha_mid(xp, x, alpha, beta):
    """``dirichlet_grad_one`` for ``alpha`` and ``beta`` both above 6: Rice's saddle-point
    expansion, with its polynomial within 0.1 standard deviations of the mean."""
    total = alpha + beta
    mean = alpha / total
    std = xp.sqrt(alpha * beta / (total + 1)) / total
    b2 = beta * beta
    poly = 47 * x * b2 * b2 + alpha * (
        (43 + 20 * (16 + 27 * beta) * x) * b2 * beta
        + alpha * (
            3 * (59 + 180 * beta - 90 * x) * b2
            + alpha * ((453 + 1620 * beta * (1 - x) - 455 * x) * beta
                       + alpha * (8 * (1 - x) * (135 * beta - 11)))
        )
    )  # fmt: skip
    prefactor_num = (1 + 12 * alpha) * (1 + 12 * beta) / (total * total)
    prefactor_den = 12960 * alpha * alpha * alpha * beta * beta * (1 + 12 * total)
    near = prefactor_num / (1 - x) * poly / prefactor_den
    prefactor = -x / xp.sqrt(2 * alpha * beta / total)
    stirling = (
        (1 + 1 / (12 * alpha) + 1 / (288 * alpha * alpha))
        * (1 + 1 / (12 * beta) + 1 / (288 * beta * beta))
        / (1 + 1 / (12 * total) + 1 / (288 * total * total))
    )
    term1_num = 2 * (alpha * alpha) * (x - 1) + alpha * beta * (x - 1) - x * b2
    axbx = alpha * (x - 1) + beta * x
    term1 = term1_num / (xp.sqrt(2 * alpha / beta) * xp.power(total, 1.5) * axbx * axbx)
    term2 = 0.5 * xp.log(alpha / (total * x))
    term3 = xp.sqrt(8 * alpha * beta / total) / (beta * x + alpha * (x - 1))
    term4_base = beta * xp.log(beta / (total * (1 - x))) + alpha * xp.log(alpha / (total * x))
    term4 = xp.power(term4_base, -1.5)
    far = stirling * prefactor * (term1 + term2 * (term3 + xp.where(x < mean, term4, -term4)))
    return xp.where((mean - 0.1 * std <= x) & (x <= mean + 0.1 * std), near, far)


def beta_grad_rational(xp, x, alpha, total):
    """``dirichlet_grad_one`` elsewhere: a rational correction to an analytic approximation."""
    u = xp.log(x)
    a = xp.log(alpha) - u
    b = xp.log(total) - a
    pow_u, pow_a = (1.0, u, u * u), (1.0, a, a * a)
    sums = []
    for c in DIRICHLET_C:  # p, then q
        acc = 0.0
        for i in range(3):
            for j in range(3):
                c0, c1, c2, c3 = c[i][j]
                acc = acc + pow_u[i] * pow_a[j] * (c0 + b * (c1 + b * (c2 + b * c3)))
        sums.append(acc)
    approx = x * (digamma_one(xp, total) - digamma_one(xp, alpha)) / (total - alpha)
    return sums[0] / sums[1] * approx


@kernel
def dirichlet_grad(x, concentration, total):
    """The scaled reparameterised gradient ``-(dF/dalpha) / p(x) / (1 - x)`` of a draw ``x``
    of ``Beta(alpha, total - alpha)``, element-wise, as ``torch._dirichlet_grad(x,
    concentration, total)`` (what a Dirichlet's backward is built from).

    Args:
        x: float array of draws in ``(0, 1)``.
        concentration: float array of ``alpha``, broadcast with ``x``.
        total: float array of ``alpha + beta`` (a Dirichlet's concentration sum).

    Returns:
        Array of the broadcast shape and ``x``'s dtype.

    Example:
        >>> import numpy as np
        >>> dirichlet_grad(np.array([0.3]), np.array([2.0]), np.array([5.0]))
        array([0.19929845])
    """
    xp = backend_of(x).xp
    x64, alpha, total64 = xp.broadcast_arrays(
        *(xp.asarray(a, dtype=numpy.float64) for a in (x, concentration, total))
    )
    beta = total64 - alpha
    boundary = total64 * x64 * (1 - x64)
    grad = select(
        xp,
        ((x64 <= 0.5) & (boundary < 2.5), beta_grad_alpha_small(xp, x64, alpha, beta)),
        ((x64 >= 0.5) & (boundary < 0.75), -beta_grad_beta_small(xp, 1 - x64, beta, alpha)),
        ((alpha > 6) & (beta > 6), beta_grad_alpha_mid(xp, x64, alpha, beta)),
        beta_grad_rational(xp, x64, alpha, total64),
    )
    return grad.astype(x.dtype, copy=False)
