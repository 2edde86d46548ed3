"""The base of every constraint of :mod:`xpnet.distributions.constraints`, in a module of its
own so that the matrix constraints (:mod:`~xpnet.distributions.constraints_matrix`) and the
rest can both build on it."""

from __future__ import annotations

from ..autograd import Tensor

__all__ = ["Constraint", "show_bound"]


def show_bound(bound) -> str:
    """A bound as torch formats it: a 0-d Tensor as its number, anything else as printed."""
    if isinstance(bound, Tensor) and bound.ndim == 0:
        return str(bound.item())  # a host read, only when a message is built
    return str(bound)


class Constraint:
    """A region of values: ``check(value)`` is True where ``value`` lies in it.

    Attributes:
        is_discrete: whether the region is discrete (integers, booleans).
        event_dim: how many rightmost dimensions make one point (0 scalars, 1 vectors, ...).
    """

    is_discrete = False
    event_dim = 0

    def check(self, value: Tensor) -> Tensor:
        """A bool Tensor: True where ``value`` satisfies the constraint."""
        raise NotImplementedError

    def __repr__(self):
        return type(self).__name__.lstrip("_") + "()"
