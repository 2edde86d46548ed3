"""Values reduced into the positions an index names: the array pair behind ``scatter_reduce``,
``index_reduce`` and ``scatter(reduce="multiply")``, with PyTorch's gradients.

CuPy's ``ufunc.at`` has no ``multiply`` and takes only some dtypes (its atomics: no int64, no
float16 maximum), so the values are not scattered. The values bound for one target all lie in
one line of ``index`` along ``dim`` (they differ only in their position along it), so each
line is sorted by target (a stable ``argsort`` along ``dim``) and every run of equal targets
is reduced by a segmented inclusive scan by recursive doubling (Hillis and Steele, "Data
parallel algorithms", 1986): ``ceil(log2(L))`` elementwise steps for lines of ``L`` values,
with any ufunc and any dtype, the same result on every run. A run's last element then holds
its reduction, written to its target (the other elements to a spare slot). Nothing is read
back to the host: loop counts come from shapes.

Example:
    >>> a = np.array([1.0, 2.0, 3.0])
    >>> scatter_reduce_values(a, 0, np.array([0, 0, 2]), np.array([4.0, 5.0, 6.0]), "prod")
    array([20.,  2., 18.])
"""

from __future__ import annotations

import functools
import math

import numpy

from ._tensor_ops import check_grad, ieee
from .backends import backend_of
from .backends._base import reduce_at_of

__all__ = ["COMBINE", "scatter_reduce_values", "scatter_reduce_values_backward"]

# the ufunc that combines two values of a run, per reduction ("mean" sums, then divides)
COMBINE = {"sum": "add", "mean": "add", "prod": "multiply", "amax": "maximum", "amin": "minimum"}


def flat_positions(shape, dim, index):
    """The row-major positions, in an array of ``shape``, that ``index`` names along ``dim``
    (its own position along every other dimension): int64, of ``index``'s shape."""
    xp = backend_of(index).xp
    strides = [math.prod(shape[d + 1 :]) for d in range(len(shape))]
    position = index.astype(xp.int64, copy=False)  # read only: may be index itself
    if strides[dim] != 1:
        position = position * strides[dim]
    for d, n in enumerate(index.shape):
        if d != dim:
            own = xp.arange(n).reshape((-1,) + (1,) * (index.ndim - d - 1))  # broadcasts along d
            position = position + own * strides[d]
    return position


class Segments:
    """The runs of equal targets among ``positions`` (of ``index``'s shape, targets ``[0,
    size)``; equal ones only within a line along ``dim``): per target its count and whether
    any value goes there, and the reductions over each target's values."""

    def __init__(self, positions, dim, size):
        self.xp, self.positions, self.dim, self.size = (
            backend_of(positions).xp,
            positions,
            dim,
            size,
        )
        # the backend's value-by-value reduction, where it has one: no sort, PyTorch's order
        self.reduce_at = reduce_at_of(backend_of(positions))

    @functools.cached_property
    def count(self):
        """How many positions name each target: int64, ``(size,)``."""
        return self.xp.bincount(self.positions.reshape(-1), minlength=self.size)

    @functools.cached_property
    def hit(self):
        """Whether any position names each target: bool, ``(size,)``."""
        return self.count > 0

    def reduce_into(self, start, values, reduce):
        """``start`` (flat, a copy) with every value of ``values`` combined into its target
        in turn, in ``index``'s order (PyTorch's CPU order: its bits), by ``reduce``'s ufunc
        (``"mean"`` sums); needs :attr:`reduce_at`."""
        self.reduce_at(COMBINE[reduce], start, self.positions.reshape(-1), values.reshape(-1))
        return start

    @functools.cached_property
    def _runs(self):
        """Each line's sorting order, its sorted targets, and the slot each sorted value's
        reduction goes to (its target at a run's end, else the spare slot ``size``): only
        reductions need them (the sum's and mean's backward need only the counts)."""
        xp = self.xp
        lines = xp.moveaxis(self.positions, self.dim, -1)
        order = xp.argsort(lines, axis=-1, kind="stable")
        targets = xp.take_along_axis(lines, order, axis=-1)
        run_ends = targets[..., 1:] != targets[..., :-1]
        last = xp.ones(targets.shape[:-1] + (1,), dtype=bool)  # a line's end ends a run
        slot = xp.where(xp.concatenate([run_ends, last], axis=-1), targets, self.size)
        return order, targets, slot

    def reduce(self, values, reduce):
        """Per target, ``values`` (of ``index``'s shape) combined by ``reduce``; zero where
        no position names the target (``hit`` is false there)."""
        xp, combine = self.xp, getattr(self.xp, COMBINE[reduce])
        if self.reduce_at is not None:
            start = xp.full(self.size, identity(reduce, values.dtype), dtype=values.dtype)
            return xp.where(self.hit, self.reduce_into(start, values, reduce), 0)
        order, targets, slot = self._runs
        values = xp.take_along_axis(xp.moveaxis(values, self.dim, -1), order, axis=-1)
        step, length = 1, values.shape[-1]
        while step < length:  # after it, slot i holds run(i)'s reduction up to i
            same = targets[..., step:] == targets[..., :-step]
            merged = combine(values[..., step:], values[..., :-step])  # read before written
            values[..., step:] = xp.where(same, merged, values[..., step:])
            step *= 2
        out = xp.zeros(self.size + 1, dtype=values.dtype)  # the spare slot takes the rest
        out[slot.reshape(-1)] = values.reshape(-1)
        return out[: self.size]

    def sum(self, values):
        """Per target, the sum of ``values`` there (0 where none): PyTorch's scatter_add."""
        return self.reduce(values, "sum")


def _corner(shape):
    return tuple(slice(0, n) for n in shape)


def identity(reduce, dtype):
    """The value that ``reduce``'s ufunc leaves any value of ``dtype`` as it is."""
    if reduce in ("sum", "mean", "prod"):
        return int(reduce == "prod")
    low = reduce == "amax"
    if dtype.kind == "f":
        return -math.inf if low else math.inf
    if dtype.kind == "b":
        return not low
    info = numpy.iinfo(dtype)
    return int(info.min if low else info.max)


def _reduce_into(a, values, segments, reduce, include_self):
    """``a`` (flat) with ``values`` reduced into the targets ``segments`` hit."""
    xp = segments.xp
    if segments.reduce_at is not None:  # a's value first (or the identity), then each value
        reduced = a.copy()
        if not include_self:
            reduced[segments.positions.reshape(-1)] = identity(reduce, a.dtype)
        reduced = segments.reduce_into(reduced, values, reduce)
        if reduce != "mean":  # the targets no value names kept a's value
            return reduced
    else:
        reduced = segments.reduce(values, reduce)
        if include_self and reduce == "mean":
            reduced = reduced + a
        elif include_self:
            reduced = getattr(xp, COMBINE[reduce])(a, reduced)
    if reduce == "mean":
        count = segments.count + include_self
        divisor = xp.maximum(count, 1).astype(a.dtype)
        floating = a.dtype.kind in "fc"  # integers round down: PyTorch's div_(count, "floor")
        reduced = reduced / divisor if floating else xp.floor_divide(reduced, divisor)
    return xp.where(segments.hit, reduced.astype(a.dtype, copy=False), a)


@ieee
def scatter_reduce_values(a, dim, index, src, reduce, include_self=True):
    """``a`` with ``src[i][j]`` reduced into ``[i][index[i][j]]`` for ``dim=1`` by ``reduce``
    (``"sum"``, ``"prod"``, ``"mean"``, ``"amax"``, ``"amin"``), ``a``'s own value taken in
    where ``include_self``; positions ``index`` does not name keep ``a``'s. ``index`` is no
    larger than ``src`` (its corner is read), nonempty, its values in range."""
    xp = backend_of(a).xp
    if a.dtype == xp.float16:  # float16 computes in float32 and returns float16
        half = scatter_reduce_values(a.astype(xp.float32), dim, index, src.astype(xp.float32),
                                     reduce, include_self)  # fmt: skip
        return half.astype(xp.float16)
    segments = Segments(flat_positions(a.shape, dim, index), dim, a.size)
    values = src[_corner(index.shape)]
    return _reduce_into(a.reshape(-1), values, segments, reduce, include_self).reshape(a.shape)


@ieee
def scatter_reduce_values_backward(grad_output, a, dim, index, src, reduce, include_self=True):
    """Gradients of ``a`` and ``src``: PyTorch's ``scatter_reduce_backward``
    (torch/csrc/autograd/FunctionsManual.cpp). ``sum``: ``grad``, and it gathered at
    ``index``; ``mean``: both divided by the count; ``prod``: the product of the others,
    exact at zeros; ``amax``/``amin``: shared evenly by the values equal to the result (``a``'s
    counted even without ``include_self``). Without ``include_self``, ``a`` gets none where
    ``index`` points. ``src`` beyond ``index``'s corner gets zeros. Reuses the forward."""
    check_grad("scatter_reduce_values_backward", grad_output, a.shape, a.dtype, a, src)
    xp = backend_of(grad_output).xp
    if a.dtype == xp.float16:  # as the forward: in float32
        grad_output, a, src = (x.astype(xp.float32) for x in (grad_output, a, src))
        grads = scatter_reduce_values_backward(grad_output, a, dim, index, src, reduce,
                                               include_self)  # fmt: skip
        return tuple(grad.astype(xp.float16) for grad in grads)
    positions = flat_positions(a.shape, dim, index)
    segments = Segments(positions, dim, a.size)
    flat, grad, values = a.reshape(-1), grad_output.reshape(-1), src[_corner(index.shape)]
    grad_a, grad_values = _BACKWARDS[reduce](grad, flat, positions, segments, values, include_self)
    if not include_self:
        grad_a = xp.where(segments.hit, 0, grad_a)
    grad_src = xp.zeros(src.shape, dtype=grad_output.dtype)
    grad_src[_corner(index.shape)] = grad_values.reshape(index.shape)
    return grad_a.reshape(a.shape).astype(a.dtype, copy=False), grad_src


def _sum_backward(grad, a, positions, segments, values, include_self):
    return grad, grad[positions]


def _mean_backward(grad, a, positions, segments, values, include_self):
    count = segments.count + include_self
    count = segments.xp.maximum(count, 1).astype(grad.dtype)
    grad_a = grad / count
    return grad_a, grad_a[positions]


def _extremum_backward(grad, a, positions, segments, values, include_self, reduce):
    result = _reduce_into(a, values, segments, reduce, include_self)
    a_is_result = (a == result).astype(grad.dtype)
    values_is_result = (values == result[positions]).astype(grad.dtype)
    shared = grad / (a_is_result + segments.sum(values_is_result))
    return a_is_result * shared, values_is_result * shared[positions]


def _prod_backward(grad, a, positions, segments, values, include_self):
    xp = segments.xp
    masked_a = xp.where(a == 0, 1, a)
    grad_a = grad * _reduce_into(masked_a, values, segments, "prod", include_self) / masked_a
    zero = values == 0
    zeros_there = segments.sum(zero.astype(grad.dtype))[positions]
    single_zero = zero & (zeros_there == 1)  # the one zero of its target: the others' product
    masked_values = xp.where(single_zero, 1, values)
    others = _reduce_into(a, masked_values, segments, "prod", include_self)
    result = _reduce_into(a, values, segments, "prod", include_self)
    divided = (grad * result)[positions] / xp.where(zero, 1, values)
    return grad_a, xp.where(single_zero, (grad * others)[positions], divided)


_BACKWARDS = {
    "sum": _sum_backward,
    "mean": _mean_backward,
    "prod": _prod_backward,
    "amax": lambda *args: _extremum_backward(*args, reduce="amax"),
    "amin": lambda *args: _extremum_backward(*args, reduce="amin"),
}
