"""The constraints of ``torch.distributions.constraints``: each
``check(value)`` returns a bool Tensor, one entry per event (``event_dim`` rightmost dimensions
reduced), and prints as torch's (``GreaterThan(lower_bound=0.0)``).

Example:
    >>> import xpnet
    >>> positive.check(xpnet.tensor([1.0, -1.0]))
    tensor([ True, False])
"""

from __future__ import annotations

from .._tensor_join import cat as join_cat
from .._tensor_join import stack as join_stack
from .constraint_base import Constraint, show_bound
from .constraints_matrix import (
    CorrCholesky,
    LowerCholesky,
    LowerTriangular,
    PositiveDefinite,
    PositiveSemidefinite,
    Square,
    Symmetric,
)

__all__ = [
    "Constraint",
    "MixtureSameFamilyConstraint",
    "boolean",
    "cat",
    "corr_cholesky",
    "dependent",
    "dependent_property",
    "greater_than",
    "greater_than_eq",
    "half_open_interval",
    "independent",
    "integer_interval",
    "interval",
    "is_dependent",
    "less_than",
    "lower_cholesky",
    "lower_triangular",
    "multinomial",
    "nonnegative",
    "nonnegative_integer",
    "one_hot",
    "positive",
    "positive_definite",
    "positive_integer",
    "positive_semidefinite",
    "real",
    "real_vector",
    "simplex",
    "square",
    "stack",
    "symmetric",
    "unit_interval",
]


class _Dependent(Constraint):
    """A constraint that depends on other parameters: it cannot be checked on its own."""

    def check(self, value):
        raise ValueError("Cannot determine validity of dependent constraint")


def is_dependent(constraint) -> bool:
    """Whether ``constraint`` is a placeholder for a parameter-dependent one."""
    return isinstance(constraint, _Dependent)


class _DependentProperty(property, _Dependent):
    """A property that is a dependent constraint on the class (``Uniform.support``, whose
    bounds are the instance's ``low`` and ``high``) and the actual constraint on an instance."""

    def __init__(self, fn=None, *, is_discrete=False, event_dim=0):
        super().__init__(fn)
        self.is_discrete, self.event_dim = is_discrete, event_dim

    def __call__(self, fn):  # the decorator form, @dependent_property(is_discrete=True)
        return _DependentProperty(fn, is_discrete=self.is_discrete, event_dim=self.event_dim)


class _IndependentConstraint(Constraint):
    """``base_constraint`` on every entry of the ``reinterpreted_batch_ndims`` rightmost
    dimensions, which become part of the event."""

    def __init__(self, base_constraint: Constraint, reinterpreted_batch_ndims: int):
        self.base_constraint = base_constraint
        self.reinterpreted_batch_ndims = reinterpreted_batch_ndims

    @property
    def is_discrete(self):
        return self.base_constraint.is_discrete

    @property
    def event_dim(self):
        return self.base_constraint.event_dim + self.reinterpreted_batch_ndims

    def check(self, value):
        result = self.base_constraint.check(value)
        if result.ndim < self.reinterpreted_batch_ndims:
            msg = f"Expected value.dim() >= {self.event_dim} but got {value.ndim}"
            raise ValueError(msg)
        kept = tuple(result.shape[: result.ndim - self.reinterpreted_batch_ndims])
        return result.reshape(kept + (-1,)).all(-1)

    def __repr__(self):
        return f"IndependentConstraint({self.base_constraint!r}, {self.reinterpreted_batch_ndims})"


class MixtureSameFamilyConstraint(Constraint):
    """The support of a :class:`~xpnet.distributions.MixtureSameFamily`: ``base_constraint``
    (the components') checked with the component dimension added back, true where every
    component's support holds the value (torch's)."""

    def __init__(self, base_constraint: Constraint):
        if not isinstance(base_constraint, Constraint):
            msg = f"base_constraint must be a Constraint, got {type(base_constraint).__name__}"
            raise AssertionError(msg)
        self.base_constraint = base_constraint

    @property
    def is_discrete(self):
        return self.base_constraint.is_discrete

    @property
    def event_dim(self):
        return self.base_constraint.event_dim

    def check(self, value):
        result = self.base_constraint.check(value.unsqueeze(-1 - self.event_dim))
        if value.ndim < self.event_dim:
            msg = f"Expected value.dim() >= {self.event_dim} but got {value.ndim}"
            raise ValueError(msg)
        kept = tuple(result.shape[: value.ndim - self.event_dim])
        return result.reshape(kept + (-1,)).all(-1)

    def __repr__(self):
        return f"MixtureSameFamilyConstraint({self.base_constraint!r})"


class _Boolean(Constraint):
    is_discrete = True

    def check(self, value):
        return (value == 0) | (value == 1)


class _OneHot(Constraint):
    is_discrete = True
    event_dim = 1

    def check(self, value):
        return ((value == 0) | (value == 1)).all(-1) & (value.sum(-1) == 1)


def _two_bounds(constraint) -> str:
    lower, upper = show_bound(constraint.lower_bound), show_bound(constraint.upper_bound)
    return f"lower_bound={lower}, upper_bound={upper}"


class _IntegerInterval(Constraint):
    is_discrete = True

    def __init__(self, lower_bound, upper_bound):
        self.lower_bound, self.upper_bound = lower_bound, upper_bound

    def check(self, value):
        return (value % 1 == 0) & (self.lower_bound <= value) & (value <= self.upper_bound)

    def __repr__(self):
        return f"IntegerInterval({_two_bounds(self)})"


class _IntegerGreaterThan(Constraint):
    is_discrete = True

    def __init__(self, lower_bound):
        self.lower_bound = lower_bound

    def check(self, value):
        return (value % 1 == 0) & (value >= self.lower_bound)

    def __repr__(self):
        return f"IntegerGreaterThan(lower_bound={show_bound(self.lower_bound)})"


class _Real(Constraint):
    def check(self, value):
        return value == value  # False for NaN  # noqa: PLR0124


class _Bound(Constraint):
    """One-sided bounds: the comparison and the printed name differ, nothing else."""

    def __init__(self, bound):
        setattr(self, self.attribute, bound)

    def __repr__(self):
        bound = show_bound(getattr(self, self.attribute))
        return f"{type(self).__name__.lstrip('_')}({self.attribute}={bound})"


class _GreaterThan(_Bound):
    attribute = "lower_bound"

    def check(self, value):
        return self.lower_bound < value


class _GreaterThanEq(_Bound):
    attribute = "lower_bound"

    def check(self, value):
        return self.lower_bound <= value


class _LessThan(_Bound):
    attribute = "upper_bound"

    def check(self, value):
        return value < self.upper_bound


class _Interval(Constraint):
    def __init__(self, lower_bound, upper_bound):
        self.lower_bound, self.upper_bound = lower_bound, upper_bound

    def check(self, value):
        return (self.lower_bound <= value) & (value <= self.upper_bound)

    def __repr__(self):
        return f"Interval({_two_bounds(self)})"


class _HalfOpenInterval(_Interval):
    """``[lower_bound, upper_bound)``."""

    def check(self, value):
        return (self.lower_bound <= value) & (value < self.upper_bound)

    def __repr__(self):
        return "HalfOpen" + super().__repr__()


class _Multinomial(Constraint):
    """Non-negative vectors summing to at most ``upper_bound``: torch's, which checks
    neither integrality nor an exact sum."""

    is_discrete = True
    event_dim = 1

    def __init__(self, upper_bound):
        self.upper_bound = upper_bound

    def check(self, value):
        return (value >= 0).all(-1) & (value.sum(-1) <= self.upper_bound)


class _Simplex(Constraint):
    event_dim = 1

    def check(self, value):
        return (value >= 0).all(-1) & ((value.sum(-1) - 1).abs() < 1e-6)


class _Joined(Constraint):
    """What :func:`cat` and :func:`stack` share: the constraints ``cseq`` on slices of a value
    along ``dim``, checked where ``value.narrow`` / ``value.select`` cut it."""

    def __init__(self, cseq, dim: int = 0):
        if not all(isinstance(c, Constraint) for c in cseq):
            raise AssertionError("All elements of cseq must be Constraint instances")
        self.cseq, self.dim = list(cseq), dim

    @property
    def is_discrete(self):
        return any(c.is_discrete for c in self.cseq)

    def _check_dim(self, value) -> None:
        if not -value.dim() <= self.dim < value.dim():
            msg = f"dim {self.dim} out of range for value with {value.dim()} dimensions"
            raise AssertionError(msg)


class _Cat(_Joined):
    """Slices of ``lengths`` (default 1 each) along ``dim``, as ``torch.cat`` joins them."""

    def __init__(self, cseq, dim: int = 0, lengths=None):
        super().__init__(cseq, dim)
        self.lengths = [1] * len(self.cseq) if lengths is None else list(lengths)
        if len(self.lengths) != len(self.cseq):
            msg = f"lengths ({len(self.lengths)}) must match cseq ({len(self.cseq)})"
            raise AssertionError(msg)

    @property
    def event_dim(self):
        return max(c.event_dim for c in self.cseq)

    def check(self, value):
        self._check_dim(value)
        checks, start = [], 0
        for constraint, length in zip(self.cseq, self.lengths, strict=True):
            checks.append(constraint.check(value.narrow(self.dim, start, length)))
            start += length
        return join_cat(checks, self.dim)


class _Stack(_Joined):
    """One slice per constraint along ``dim``, as ``torch.stack`` joins them."""

    @property
    def event_dim(self):
        dim = max(c.event_dim for c in self.cseq)
        return dim + 1 if self.dim + dim < 0 else dim  # a negative dim inside the event

    def check(self, value):
        self._check_dim(value)
        slices = [value.select(self.dim, i) for i in range(value.shape[self.dim])]
        checks = [c.check(v) for v, c in zip(slices, self.cseq, strict=False)]
        return join_stack(checks, self.dim)


dependent = _Dependent()
dependent_property = _DependentProperty
independent = _IndependentConstraint
boolean = _Boolean()
one_hot = _OneHot()
integer_interval = _IntegerInterval
nonnegative_integer = _IntegerGreaterThan(0)
positive_integer = _IntegerGreaterThan(1)
real = _Real()
real_vector = independent(real, 1)
positive = _GreaterThan(0.0)
nonnegative = _GreaterThanEq(0.0)
greater_than = _GreaterThan
greater_than_eq = _GreaterThanEq
less_than = _LessThan
unit_interval = _Interval(0.0, 1.0)
interval = _Interval
half_open_interval = _HalfOpenInterval
simplex = _Simplex()
multinomial = _Multinomial
lower_triangular = LowerTriangular()
lower_cholesky = LowerCholesky()
corr_cholesky = CorrCholesky()
square = Square()
symmetric = Symmetric()
positive_semidefinite = PositiveSemidefinite()
positive_definite = PositiveDefinite()
cat = _Cat
stack = _Stack
