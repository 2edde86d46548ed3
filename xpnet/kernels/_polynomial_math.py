"""PyTorch's orthogonal polynomials (``aten/src/ATen/native/Math.h``'s ``*_polynomial_*_forward``)
in plain ``xp`` operations: Chebyshev ``T``, ``U``, ``V``, ``W`` and their shifted forms,
physicists' and probabilists' Hermite ``H``/``He``, Laguerre ``L`` and Legendre ``P``, for
arrays ``x`` and ``n`` of one float dtype (broadcast).

``n`` is truncated toward zero as PyTorch's ``static_cast<int64_t>`` (NaN, ``+-inf`` and
values beyond int64 become negative there on x86, so 0 here); negative degrees give 0. The
recurrences run once for every element, in a Python loop up to the largest degree that needs
it (each element stops at its own degree, and the loop stops early once all the unfinished
ones are NaN); PyTorch's closed forms on ``|x| < 1`` for Chebyshev degrees above 6 (8, 4) and
its Hermite cap (NaN above degree 128 in float32, 512 in float64) are kept.

Float32 is computed in float64 and rounded once: PyTorch's float64 value to float32's
rounding, where PyTorch's float32 loop, rounding every step, is up to ~1e-4 off (more near
``|x| = 1``). Its overflow is PyTorch's float32 one: a step whose result (Legendre's and
Laguerre's numerator, Hermite's ``k p`` too) passes float32's largest value becomes an
infinity, and NaN follows (``inf - inf``) as in float32; only where a float32 intermediate
lands within its rounding error of that threshold can the two differ (inf against NaN).

Example:
    >>> import numpy as np
    >>> evaluate(np, "chebyshev_polynomial_t", np.array([0.5, 2.0]), np.array([3.0, 3.0])).tolist()
    [-1.0, 26.0]
"""

from __future__ import annotations

import math

__all__ = ["evaluate", "NAMES"]

_FLOAT32_OVERFLOW = (2.0 - 2.0**-24) * 2.0**127  # float32 rounds from here on to infinity

# the Chebyshev kinds: (first two terms as functions of y, closed-form threshold unshifted,
# shifted); every kind runs r = 2 y q - p, the shifted ones at y = 2 x - 1
_CHEBYSHEV = {
    "t": (lambda y: y, 6, 6),
    "u": (lambda y: y + y, 8, 6),
    "v": (lambda y: y + y - 1.0, 8, 6),
    "w": (lambda y: y + y + 1.0, 8, 4),
}
NAMES = (
    *(f"chebyshev_polynomial_{kind}" for kind in "tuvw"),
    *(f"shifted_chebyshev_polynomial_{kind}" for kind in "tuvw"),
    "hermite_polynomial_h", "hermite_polynomial_he", "laguerre_polynomial_l",
    "legendre_polynomial_p",
)  # fmt: skip


def _degrees(xp, n):
    """PyTorch's ``static_cast<int64_t>(n)`` as floats: truncated; -1 where it is undefined."""
    valid = xp.isfinite(n) & (xp.abs(n) < 2.0**63)
    return xp.where(valid, xp.trunc(xp.where(valid, n, 0.0)), -1.0)


def _overflowing(xp, r, limit):
    """``r`` with float32's overflow where ``limit`` is given: an infinity from ``limit`` on."""
    return r if limit is None else xp.where(xp.abs(r) < limit, r, r * math.inf)


def _recurrence(xp, n, p, q, step, first: int, last_offset: int, todo, limit):
    """Run ``r = step(k, p, q)`` for ``k = first, ..., n + last_offset`` where ``todo``: every
    element stops at its own ``n``; the loop stops at the largest (a host read) or once all
    unfinished elements are NaN. A float32 recurrence runs in float64 and overflows where
    float32's would: every ``r`` beyond ``limit`` becomes an infinity (then NaN as in
    float32: ``inf - inf``)."""
    steps = xp.where(todo, n + last_offset, first - 1)
    last = int(xp.max(steps)) if steps.size else first - 1
    for k in range(first, last + 1):
        active = steps >= k
        r = _overflowing(xp, step(k, p, q), limit)
        p, q = xp.where(active, q, p), xp.where(active, r, q)
        if k % 64 == 0 and not bool(xp.any((steps > k) & ~xp.isnan(q))):
            break
    return q


def _odd(xp, n):
    return xp.fmod(n, 2.0) != 0


def _chebyshev(xp, kind: str, y, n, shifted: bool, limit):
    """A Chebyshev polynomial of ``kind`` at ``y`` (``2 x - 1`` when ``shifted``)."""
    start, unshifted_limit, shifted_limit = _CHEBYSHEV[kind]
    threshold = shifted_limit if shifted else unshifted_limit
    odd, one = _odd(xp, n), xp.abs(y) == 1.0
    sign = xp.where((y > 0) | ~odd, 1.0, -1.0)
    edge = {"t": sign, "u": sign * (n + 1), "v": xp.where(y > 0, 1.0, sign * (n + n + 1))}
    edge["w"] = xp.where(y > 0, n + n + 1, sign)
    closed = (n > threshold) & (xp.abs(y) < 1.0)
    theta = xp.arccos(xp.where(closed, y, 0.5))
    if kind == "t":
        form = xp.cos(n * theta)
    elif kind == "u":
        sine = xp.sin(theta)
        by_cos = (n + 1) * xp.cos((n + 1) * theta) / xp.where(closed, y, 0.5)
        form = xp.where(sine != 0, xp.sin((n + 1) * theta) / xp.where(sine != 0, sine, 1.0), by_cos)
    elif kind == "v":
        odd_sign = xp.where(odd, -1.0, 1.0)
        form = xp.cos((n + 0.5) * theta) / xp.cos(theta / 2.0)
        form = xp.where(xp.sin(theta / 2.0) != 1.0, form, odd_sign * (n + n + 1))
    else:  # the shifted W's fallback has no x > 0 case (PyTorch's)
        fallback = xp.where(odd, -1.0, 1.0) if shifted else edge["w"]
        half = xp.sin(theta / 2.0)
        form = xp.sin((n + 0.5) * theta) / xp.where(half != 0, half, 1.0)
        form = xp.where(xp.cos(theta / 2.0) != 1.0, form, fallback)
    todo = (n >= 2) & ~one & ~closed
    step = lambda k, p, q: (y + y) * q - p  # noqa: E731
    q = _recurrence(xp, n, xp.ones_like(y), start(y), step, 2, 0, todo, limit)
    value = xp.where(n == 0, 1.0, xp.where(n == 1, start(y), q))
    value = xp.where(closed, form, value)
    return xp.where(n < 0, 0.0, xp.where(one, edge[kind], value))


def _hermite(xp, x, n, probabilists: bool, limit):
    """``H_n`` (``r = 2x q - 2k p``) or ``He_n`` (``r = x q - k p``); NaN above PyTorch's cap."""
    cap = 512 if limit is None else 128
    first = x if probabilists else x + x
    todo = (n >= 2) & (n <= cap)
    scale = x if probabilists else x + x

    def step(k, p, q):  # H's k runs 1, ..., n - 1 as He's, its factor is 2k
        return scale * q - _overflowing(xp, (k if probabilists else 2 * k) * p, limit)

    q = _recurrence(xp, n, xp.ones_like(x), first, step, 1, -1, todo, limit)
    value = xp.where(n > cap, math.nan, q)
    value = xp.where(n == 1, first, value)
    return xp.where(n < 0, 0.0, xp.where(n == 0, 1.0, value))


def _laguerre(xp, x, n, limit):
    def step(k, p, q):  # the numerator overflows first
        return _overflowing(xp, ((k + k) + (1.0 - x)) * q - k * p, limit) / (k + 1)

    todo = (n >= 2) & (x != 0)
    q = _recurrence(xp, n, xp.ones_like(x), 1.0 - x, step, 1, -1, todo, limit)
    value = xp.where(n == 1, 1.0 - x, xp.where(n == 0, 1.0, q))
    return xp.where(n < 0, 0.0, xp.where(x == 0, 1.0, value))


def _legendre(xp, x, n, limit):
    def step(k, p, q):  # the numerator overflows first
        return _overflowing(xp, (k + k + 1) * x * q - k * p, limit) / (k + 1)

    one = xp.abs(x) == 1.0
    q = _recurrence(xp, n, xp.ones_like(x), x, step, 1, -1, (n >= 2) & ~one, limit)
    value = xp.where(n == 1, x, xp.where(n == 0, 1.0, q))
    edge = xp.where((x > 0) | ~_odd(xp, n), 1.0, -1.0)
    return xp.where(n < 0, 0.0, xp.where(one, edge, value))


def evaluate(xp, name: str, x, n):
    """The polynomial ``name`` (one of :data:`NAMES`) of degree ``n`` at ``x``: arrays of one
    float dtype, broadcast; the result has that dtype."""
    x, n = xp.broadcast_arrays(x, n)
    dtype, limit = x.dtype, (_FLOAT32_OVERFLOW if x.dtype.itemsize <= 4 else None)
    x, n = x.astype(xp.float64), _degrees(xp, n.astype(xp.float64))
    kind = name[-1]
    if name.startswith("chebyshev"):
        value = _chebyshev(xp, kind, x, n, False, limit)
    elif name.startswith("shifted"):
        value = _chebyshev(xp, kind, x + x - 1.0, n, True, limit)
    elif name.startswith("hermite"):
        value = _hermite(xp, x, n, name.endswith("he"), limit)
    elif name.startswith("laguerre"):
        value = _laguerre(xp, x, n, limit)
    else:
        value = _legendre(xp, x, n, limit)
    return value.astype(dtype, copy=False)
