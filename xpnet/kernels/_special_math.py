"""Special functions in plain ``xp`` operations: NumPy has no ``erf`` or ``erfinv`` (CuPy's
are in ``cupyx.scipy.special``, which the kernels do not use), so the kernels and the Tensor
methods share these. They keep the dtype of a floating-point ``x``.

Example:
    >>> import numpy as np
    >>> erf(np, np.array([0.0, 0.5, -3.0])).round(8).tolist()
    [0.0, 0.52049988, -0.99997791]
"""

from __future__ import annotations

import math

__all__ = ["erf", "erfc", "erfinv"]


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


def erfc(xp, x):
    """``1 - erf(x)``, from the continued fraction where that keeps the relative accuracy
    (``x >= 2.5``: no cancellation), ``1 - erf(x)`` elsewhere; NaN stays NaN."""
    far = x >= 2.5
    erfc_far = _erfc_far(xp, xp.where(far, x, 2.5))
    return xp.where(far, erfc_far, 1.0 - erf(xp, xp.where(far, 0.0, x)))


def erfinv(xp, x):
    """The inverse error function on ``[-1, 1]`` (``+-inf`` at ``+-1``, NaN outside): M. Giles'
    single-precision polynomials ("Approximating the erfinv function", GPU Computing Gems,
    2011), then two Newton steps on :func:`erf`, which give float64's accuracy."""
    inside = xp.abs(x) < 1
    t = xp.where(inside, x, 0.0)
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
    y = xp.where(w < 5.0, p, q) * t
    for _ in range(2):
        y = y - (erf(xp, y) - t) / ((2.0 / math.sqrt(math.pi)) * xp.exp(-y * y))
    edge = xp.where(x == 1, math.inf, xp.where(x == -1, -math.inf, math.nan))
    return xp.where(inside, y, edge).astype(x.dtype, copy=False)
