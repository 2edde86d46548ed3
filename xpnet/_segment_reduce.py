"""Values reduced into the positions an index names: the array pair behind ``scatter_reduce``,
``index_reduce`` and ``scatter(reduce="multiply")``, with PyTorch's gradients.

CuPy's ``ufunc.at`` has no ``multiply`` and takes only some dtypes (its atomics: no int64, no
float16 maximum), so the values are not scattered. They are sorted by target position (a
stable ``argsort``) and every run of equal positions is reduced by a segmented inclusive scan
by recursive doubling (Hillis and Steele, "Data parallel algorithms", 1986): ``log2(M)``
elementwise steps for ``M`` values, with any ufunc and any dtype, the same result on every
run. A run's last element then holds its reduction, found by ``searchsorted`` for every
target. Nothing is read back to the host: loop counts come from shapes.

Example:
    >>> a = np.array([1.0, 2.0, 3.0])
    >>> scatter_reduce_values(a, 0, np.array([0, 0, 2]), np.array([4.0, 5.0, 6.0]), "prod")
    array([20.,  2., 18.])
"""

from __future__ import annotations

import math

from ._tensor_ops import check_grad, ieee
from .backends import backend_of

__all__ = ["COMBINE", "scatter_reduce_values", "scatter_reduce_values_backward"]

# the ufunc that combines two values of a run, per reduction ("mean" sums, then divides)
COMBINE = {"sum": "add", "mean": "add", "prod": "multiply", "amax": "maximum", "amin": "minimum"}


def flat_positions(shape, dim, index):
    """The row-major positions, in an array of ``shape``, that ``index`` names along ``dim``
    (its own position along every other dimension): ``(index.size,)`` int64."""
    xp = backend_of(index).xp
    strides = [math.prod(shape[d + 1 :]) for d in range(len(shape))]
    position = index.astype(xp.int64) * strides[dim]
    for d, n in enumerate(index.shape):
        if d != dim:
            own = xp.arange(n).reshape((-1,) + (1,) * (index.ndim - d - 1))  # broadcasts along d
            position = position + own * strides[d]
    return position.reshape(-1)


class Segments:
    """The runs of equal target positions among ``positions`` (targets ``[0, size)``): the
    order that sorts them, and per target its run's last sorted slot and its length."""

    def __init__(self, positions, size):
        xp = self.xp = backend_of(positions).xp
        self.order = xp.argsort(positions, kind="stable")
        self.sorted = positions[self.order]
        targets = xp.arange(size)
        end = xp.searchsorted(self.sorted, targets, side="right")
        self.count = end - xp.searchsorted(self.sorted, targets, side="left")  # (size,)
        self.last = xp.maximum(end - 1, 0)
        self.hit = self.count > 0

    def reduce(self, values, reduce):
        """Per target, ``values`` (one per position) combined by ``reduce``; any value where
        no position names the target (``hit`` is false there)."""
        xp, combine = self.xp, getattr(self.xp, COMBINE[reduce])
        values = values[self.order]
        step = 1
        while step < values.size:  # after it, slot i holds run(i)'s reduction up to i
            same = self.sorted[step:] == self.sorted[:-step]
            merged = xp.where(same, combine(values[step:], values[:-step]), values[step:])
            values = xp.concatenate([values[:step], merged])
            step *= 2
        return values[self.last]

    def sum(self, values):
        """Per target, the sum of ``values`` there (0 where none): PyTorch's scatter_add."""
        return self.xp.where(self.hit, self.reduce(values, "sum"), 0)


def _corner(shape):
    return tuple(slice(0, n) for n in shape)


def _reduce_into(a, values, segments, reduce, include_self):
    """``a`` (flat) with ``values`` reduced into the targets ``segments`` hit."""
    xp = segments.xp
    reduced = segments.reduce(values, reduce)
    if reduce == "mean":
        count = segments.count + include_self
        if include_self:
            reduced = reduced + a
        divisor = xp.maximum(count, 1).astype(a.dtype)
        floating = a.dtype.kind in "fc"  # integers round down: PyTorch's div_(count, "floor")
        reduced = reduced / divisor if floating else xp.floor_divide(reduced, divisor)
    elif include_self:
        reduced = getattr(xp, COMBINE[reduce])(a, reduced)
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
    segments = Segments(flat_positions(a.shape, dim, index), a.size)
    values = src[_corner(index.shape)].reshape(-1)
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
    segments = Segments(positions, a.size)
    flat, grad, values = a.reshape(-1), grad_output.reshape(-1), src[_corner(index.shape)]
    values = values.reshape(-1)
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
