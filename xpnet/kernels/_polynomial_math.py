"""PyTorch's orthogonal polynomials (``aten/src/ATen/native/Math.h``'s ``*_polynomial_*_forward``)
in plain ``xp`` operations: Chebyshev ``T``, ``U``, ``V``, ``W`` and their shifted forms,
physicists' and probabilists' Hermite ``H``/``He``, Laguerre ``L`` and Legendre ``P``, for
arrays ``x`` and ``n`` of one float dtype (broadcast).

``n`` is truncated toward zero as PyTorch's ``static_cast<int64_t>`` (NaN, ``+-inf`` and
values beyond int64 become negative there on x86, so 0 here); negative degrees give 0. The
recurrences run in ``x``'s dtype, once for every element, in a Python loop up to the largest
degree that needs it (each element stops at its own degree, and the loop stops early once
all the unfinished ones are NaN); PyTorch's closed forms on ``|x| < 1`` for Chebyshev degrees
above 6 (8, 4) and its Hermite cap (NaN above degree 128 in float32, 512 in float64) are kept.

Example:
    >>> import numpy as np
    >>> evaluate(np, "chebyshev_polynomial_t", np.array([0.5, 2.0]), np.array([3.0, 3.0])).tolist()
    [-1.0, 26.0]
"""

from __future__ import annotations

import math

__all__ = ["evaluate", "NAMES"]

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


def _recurrence(xp, n, p, q, step, first: int, last_offset: int, todo):
    """Run ``r = step(k, p, q)`` for ``k = first, ..., n + last_offset`` where ``todo``: every
    element stops at its own ``n``; the loop stops at the largest (a host read) or once all
    unfinished elements are NaN."""
    steps = xp.where(todo, n + last_offset, first - 1)
    last = int(xp.max(steps)) if steps.size else first - 1
    for k in range(first, last + 1):
        active = steps >= k
        r = step(k, p, q)
        p, q = xp.where(active, q, p), xp.where(active, r, q)
        if k % 64 == 0 and not bool(xp.any((steps > k) & ~xp.isnan(q))):
            break
    return q


def _odd(xp, n):
    return xp.fmod(n, 2.0) != 0


def _chebyshev(xp, kind: str, y, n, shifted: bool):
    """A Chebyshev polynomial of ``kind`` at ``y`` (``2 x - 1`` when ``shifted``)."""
    start, unshifted_limit, shifted_limit = _CHEBYSHEV[kind]
    limit = shifted_limit if shifted else unshifted_limit
    odd, one = _odd(xp, n), xp.abs(y) == 1.0
    sign = xp.where((y > 0) | ~odd, 1.0, -1.0)
    edge = {"t": sign, "u": sign * (n + 1), "v": xp.where(y > 0, 1.0, sign * (n + n + 1))}
    edge["w"] = xp.where(y > 0, n + n + 1, sign)
    closed = (n > limit) & (xp.abs(y) < 1.0)
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
    q = _recurrence(xp, n, xp.ones_like(y), start(y), lambda k, p, q: (y + y) * q - p, 2, 0, todo)
    value = xp.where(n == 0, 1.0, xp.where(n == 1, start(y), q))
    value = xp.where(closed, form, value)
    return xp.where(n < 0, 0.0, xp.where(one, edge[kind], value))


def _hermite(xp, x, n, probabilists: bool):
    """``H_n`` (``r = 2x q - 2k p``) or ``He_n`` (``r = x q - k p``); NaN above PyTorch's cap."""
    cap = 128 if x.dtype.itemsize <= 4 else 512
    first = x if probabilists else x + x
    todo = (n >= 2) & (n <= cap)
    if probabilists:
        q = _recurrence(xp, n, xp.ones_like(x), first, lambda k, p, q: x * q - k * p, 1, -1, todo)
    else:
        step = lambda k, p, q: (x + x) * q - (2 * k) * p  # noqa: E731 (k = 2, 4, ..., 2n - 2)
        q = _recurrence(xp, n, xp.ones_like(x), first, step, 1, -1, todo)
    value = xp.where(n > cap, math.nan, q)
    value = xp.where(n == 1, first, value)
    return xp.where(n < 0, 0.0, xp.where(n == 0, 1.0, value))


def _laguerre(xp, x, n):
    def step(k, p, q):
        return (((k + k) + (1.0 - x)) * q - k * p) / (k + 1)

    todo = (n >= 2) & (x != 0)
    q = _recurrence(xp, n, xp.ones_like(x), 1.0 - x, step, 1, -1, todo)
    value = xp.where(n == 1, 1.0 - x, xp.where(n == 0, 1.0, q))
    return xp.where(n < 0, 0.0, xp.where(x == 0, 1.0, value))


def _legendre(xp, x, n):
    def step(k, p, q):
        return ((k + k + 1) * x * q - k * p) / (k + 1)

    one = xp.abs(x) == 1.0
    q = _recurrence(xp, n, xp.ones_like(x), x, step, 1, -1, (n >= 2) & ~one)
    value = xp.where(n == 1, x, xp.where(n == 0, 1.0, q))
    edge = xp.where((x > 0) | ~_odd(xp, n), 1.0, -1.0)
    return xp.where(n < 0, 0.0, xp.where(one, edge, value))


def evaluate(xp, name: str, x, n):
    """The polynomial ``name`` (one of :data:`NAMES`) of degree ``n`` at ``x``: arrays of one
    float dtype, broadcast; the result has that dtype."""
    x, n = xp.broadcast_arrays(x, n)
    n = _degrees(xp, n)
    kind = name[-1]
    if name.startswith("chebyshev"):
        value = _chebyshev(xp, kind, x, n, shifted=False)
    elif name.startswith("shifted"):
        value = _chebyshev(xp, kind, x + x - 1.0, n, shifted=True)
    elif name.startswith("hermite"):
        value = _hermite(xp, x, n, probabilists=name.endswith("he"))
    elif name.startswith("laguerre"):
        value = _laguerre(xp, x, n)
    else:
        value = _legendre(xp, x, n)
    return value.astype(x.dtype, copy=False)
