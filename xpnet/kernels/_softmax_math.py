"""The stable log-softmax that softmax and cross-entropy share.

:mod:`.softmax` and :mod:`.loss` both build on :func:`stable_log_softmax` (never on
``log(softmax)``). inf and NaN logits give IEEE results without NumPy's warnings, as in CuPy
and PyTorch, because every kernel runs in :func:`xpnet.backends.float_errors_ignored`.
"""

from __future__ import annotations


def max_shifted(xp, x, dim):
    """``x`` minus its max along ``dim``: a new array, which callers may overwrite."""
    # shift by the max so exp cannot overflow; a +inf, NaN or all -inf row becomes NaN, as in
    # PyTorch (an empty array has no max and needs no shift)
    return x - xp.max(x, axis=reduction_axis(x, dim), keepdims=True) if x.size else x.copy()


def stable_log_softmax(xp, x, dim):
    """``log(softmax(x))`` along ``dim`` from :func:`max_shifted` values: +-1000 stay exact."""
    centred = max_shifted(xp, x, dim)
    return centred - xp.log(xp.sum(xp.exp(centred), axis=reduction_axis(x, dim), keepdims=True))


def reduction_axis(x, dim):
    """``dim``, or None for a 0-d ``x`` (dim 0 or -1): CuPy refuses any axis on a 0-d array."""
    return dim if x.ndim else None
