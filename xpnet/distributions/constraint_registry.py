"""``biject_to`` and ``transform_to``, as ``torch.distributions.constraint_registry``: from a
constraint, the transform that maps the unconstrained reals onto it (``biject_to``: bijective,
for HMC; ``transform_to``: any, for optimisation), for the constraints xpnet has.

Example:
    >>> import xpnet
    >>> from xpnet.distributions import constraints
    >>> t = transform_to(constraints.unit_interval)
    >>> t, t(xpnet.tensor([0.0], dtype=xpnet.float64))
    (SigmoidTransform(), tensor([0.5000], dtype=xpnet.float64))
"""

from __future__ import annotations

import numbers

from . import constraints
from .transform import ComposeTransform, IndependentTransform, identity_transform
from .transforms_elementwise import (
    AffineTransform,
    ExpTransform,
    SigmoidTransform,
    SoftmaxTransform,
    StickBreakingTransform,
)
from .transforms_matrix import (
    CorrCholeskyTransform,
    LowerCholeskyTransform,
    PositiveDefiniteTransform,
)
from .transforms_structured import CatTransform, StackTransform

__all__ = ["ConstraintRegistry", "biject_to", "transform_to"]


class ConstraintRegistry:
    """A registry from constraint classes to factories ``factory(constraint) -> Transform``."""

    def __init__(self):
        self._registry = {}

    def register(self, constraint, factory=None):
        """Register ``factory`` for ``constraint`` (a Constraint subclass, or an instance,
        which stands for its class); without ``factory``, a decorator.

        Raises:
            TypeError: ``constraint`` neither a Constraint subclass nor an instance.
        """
        if factory is None:
            return lambda factory: self.register(constraint, factory)
        if isinstance(constraint, constraints.Constraint):
            constraint = type(constraint)
        if not isinstance(constraint, type) or not issubclass(constraint, constraints.Constraint):
            msg = (
                "Expected constraint to be either a Constraint subclass or instance, "
                f"but got {constraint}"
            )
            raise TypeError(msg)
        self._registry[constraint] = factory
        return factory

    def __call__(self, constraint):
        """The transform onto ``constraint``.

        Raises:
            NotImplementedError: nothing registered for its class (torch's message).
        """
        try:
            factory = self._registry[type(constraint)]
        except KeyError:
            msg = f"Cannot transform {type(constraint).__name__} constraints"
            raise NotImplementedError(msg) from None
        return factory(constraint)


biject_to = ConstraintRegistry()
transform_to = ConstraintRegistry()


def _to_real(constraint):
    return identity_transform


def _independent(registry):
    def factory(constraint):
        base = registry(constraint.base_constraint)
        return IndependentTransform(base, constraint.reinterpreted_batch_ndims)

    return factory


def _to_greater_than(constraint):
    # positive and nonnegative too: torch registers them by class, so the later
    # greater_than factory is the one that answers for them
    return ComposeTransform([ExpTransform(), AffineTransform(constraint.lower_bound, 1)])


def _to_less_than(constraint):
    return ComposeTransform([ExpTransform(), AffineTransform(constraint.upper_bound, -1)])


def _to_interval(constraint):
    low, high = constraint.lower_bound, constraint.upper_bound
    if isinstance(low, numbers.Number) and low == 0 and isinstance(high, numbers.Number):
        if high == 1:
            return SigmoidTransform()
    return ComposeTransform([SigmoidTransform(), AffineTransform(low, high - low)])


for _registry in (biject_to, transform_to):
    _registry.register(constraints.real, _to_real)
    _registry.register(constraints.independent, _independent(_registry))
    _registry.register(constraints.greater_than, _to_greater_than)
    _registry.register(constraints.greater_than_eq, _to_greater_than)
    _registry.register(constraints.less_than, _to_less_than)
    _registry.register(constraints.interval, _to_interval)


def _cat(registry):
    def factory(constraint):
        parts = [registry(c) for c in constraint.cseq]
        return CatTransform(parts, constraint.dim, constraint.lengths)

    return factory


def _stack(registry):
    def factory(constraint):
        return StackTransform([registry(c) for c in constraint.cseq], constraint.dim)

    return factory


for _registry in (biject_to, transform_to):
    _registry.register(constraints.corr_cholesky, lambda constraint: CorrCholeskyTransform())
    _registry.register(constraints.cat, _cat(_registry))
    _registry.register(constraints.stack, _stack(_registry))
biject_to.register(constraints.simplex, lambda constraint: StickBreakingTransform())
transform_to.register(constraints.simplex, lambda constraint: SoftmaxTransform())
# transform_to only: neither map is bijective (torch has no bijection onto these yet)
transform_to.register(constraints.lower_cholesky, lambda constraint: LowerCholeskyTransform())
for _constraint in (constraints.positive_definite, constraints.positive_semidefinite):
    transform_to.register(_constraint, lambda constraint: PositiveDefiniteTransform())
