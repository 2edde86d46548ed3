"""The stable log-softmax that softmax and cross-entropy share, and their IEEE rule.

:mod:`.softmax` and :mod:`.loss` both build on :func:`stable_log_softmax` (never on
``log(softmax)``); :func:`quiet_ieee` lets inf and NaN logits give IEEE results without
NumPy's warnings, as CuPy and PyTorch do.
"""

from __future__ import annotations

import functools

from ..backends import backend_of


def quiet_ieee(function):
    """Let inf and NaN logits give IEEE results quietly, as on the GPU and in PyTorch.

    ``inf - inf`` in a shifted ``+inf`` logit and ``0 / 0`` for an all-ignored mean are
    expected here; NumPy would warn (an error under pytest).
    """

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        first = args[0] if args else next(iter(kwargs.values()), None)
        try:
            backend = backend_of(first)
        except TypeError:  # not an array: the kernel's own check says so, by argument name
            return function(*args, **kwargs)
        with backend.ignore_float_errors():
            return function(*args, **kwargs)

    return wrapper


def max_shifted(xp, x, dim):
    """``x`` minus its max along ``dim``: a new array, which callers may overwrite."""
    # shift by the max so exp cannot overflow; a +inf, NaN or all -inf row becomes NaN, as in
    # PyTorch (an empty array has no max and needs no shift)
    return x - xp.max(x, axis=dim, keepdims=True) if x.size else x.copy()


def stable_log_softmax(xp, x, dim):
    """``log(softmax(x))`` along ``dim`` from :func:`max_shifted` values: +-1000 stay exact."""
    centred = max_shifted(xp, x, dim)
    return centred - xp.log(xp.sum(xp.exp(centred), axis=dim, keepdims=True))
