"""The pairs behind ``cdist``'s ``p`` of 0, 1 and inf (:func:`xpnet.cdist`), on the
differences ``d`` of every pair of rows (``(*, P, R, M)``), reduced over the last axis:
PyTorch's own kernels there, whose NaN rules differ from ``norm``'s (its 1-norm's gradient
is 0 at a NaN difference, ``cdist``'s NaN). Other ``p`` are ``Tensor.norm``.

Example:
    >>> import numpy as np
    >>> abs_distance_backward(np.ones(1), np.array([[2.0, -0.5, np.nan]])).tolist()
    [[1.0, -1.0, nan]]
"""

from __future__ import annotations

import math

from ._tensor_ops import ieee
from .autograd import Function
from .backends import backend_of
from .kernels._vector_norm import at_max_distance, count_differing

__all__ = ["BY_P"]


@ieee
def count_distance(difference):
    """``cdist``'s ``p=0``: how many differ, NaN where any difference is NaN (PyTorch's
    ``min(ceil(|d|), 1)`` summed)."""
    return count_differing(backend_of(difference).xp, difference)


def count_distance_backward(grad_output, difference):
    """Zero, as PyTorch's ``p=0`` ``cdist``."""
    return backend_of(difference).xp.zeros_like(difference)


@ieee
def max_distance(difference):
    """``cdist``'s ``p=inf``: the largest ``|d|`` that is not NaN (0 if none), as PyTorch's."""
    xp = backend_of(difference).xp
    magnitude = xp.abs(difference)
    return xp.where(xp.isnan(magnitude), 0, magnitude).max(axis=-1)


@ieee
def max_distance_backward(grad_output, difference):
    """PyTorch's ``grad * sign(d) * (1 - min(1, ceil(| |d| - dist |)))``: the gradient goes
    to every ``d`` as large as the distance (each in full), NaN where ``|d| - dist`` is."""
    slope = at_max_distance(
        backend_of(difference).xp, difference, max_distance(difference)[..., None]
    )
    return (grad_output[..., None] * slope).astype(difference.dtype)


@ieee
def abs_distance(difference):
    """``cdist``'s ``p=1``: the sum of ``|d|``."""
    return backend_of(difference).xp.abs(difference).sum(axis=-1)


@ieee
def abs_distance_backward(grad_output, difference):
    """PyTorch's ``grad * sign(d)``, its sign NaN at NaN (``min(max(0, ceil(d)), 1) +
    min(max(-1, floor(d)), 0)`` with NaN-keeping max and min)."""
    xp = backend_of(difference).xp
    return (grad_output[..., None] * xp.sign(difference)).astype(difference.dtype)


BY_P = {
    0: Function(count_distance, count_distance_backward, wrt=("difference",)),
    1: Function(abs_distance, abs_distance_backward, wrt=("difference",)),
    math.inf: Function(max_distance, max_distance_backward, wrt=("difference",)),
}
