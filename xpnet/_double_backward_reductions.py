"""Differentiable backwards (:mod:`xpnet._double_backward`) of the reductions and scans that
:mod:`xpnet._double_backward_ops` leaves out: ``prod`` (PyTorch's ``prod_backward``: the
exclusive products where there are zeros), ``var``/``std``, ``amax``/``amin``/``max()``/
``min()`` (the gradient shared evenly among ties), ``max(dim)``/``min(dim)`` (to the selected
index), the global ``median`` (shared evenly), ``cumprod`` (PyTorch's ``cumprod_backward``,
its exact O(n^2) form where a line holds a zero) and ``logcumsumexp``; and the shape ops
linear in their input (``flip``, ``roll``, ``rot90``, ``tril``/``triu``, ``diagonal``,
``diag_embed``, ``repeat_interleave``, ``unfold``) as adjoint pairs (:func:`linear_op`).
"""

from __future__ import annotations

import math

from . import _tensor_math as math_ops
from . import _tensor_ops as ops
from . import _tensor_scans as scans
from . import _tensor_shape_pairs as shapes
from . import _tensor_statistics as statistics
from ._double_backward import differentiable_backward
from ._double_backward_ops import linear_ops, needs, piecewise_constant, zeros_like
from ._tensor_index import where
from ._tensor_join import cat
from .autograd import Tensor
from .backends import backend_of, float_errors_ignored

__all__: list[str] = []

linear_ops(
    (shapes.flip, shapes.flip_backward),
    (shapes.roll, shapes.roll_backward),
    (shapes.rot90, shapes.rot90_backward),
    (shapes.triangle, shapes.triangle_backward),
    (shapes.diagonal, shapes.diagonal_backward),
    (shapes.diag_embed, shapes.diag_embed_backward),
    (shapes.repeat_each, shapes.repeat_each_backward),
    (shapes.windows, shapes.windows_backward),
)


def _kept(grad_output, a, dim) -> Tensor:
    """``grad_output`` of a reduction of ``a`` over ``dim``, with the reduced dims kept."""
    return grad_output.reshape(ops.reduced_shape(a.shape, dim, True))


# -- prod and cumprod -----------------------------------------------------------------------
@differentiable_backward(math_ops.prod_backward)
def _prod_formula(grad_output, a, dim=None, keepdim=False):
    """``grad * prod / a`` without zeros; else each element's product of the others from
    exclusive cumulative products (PyTorch's ``prod_safe_zeros_backward``)."""
    grad = _kept(grad_output, a, dim)
    if a.numel() == 0:
        return zeros_like(a)
    if a.ndim == 0:
        return grad
    if not bool((a.array == 0).any()):
        return grad * (a.prod(dim, keepdim=True) / a if dim is not None else a.prod() / a)
    line, axis = (a.reshape(-1), 0) if dim is None else (a, dim)
    lead = (slice(None),) * (axis % line.ndim)
    ones = Tensor(backend_of(a.array).xp.ones(line[lead + (slice(0, 1),)].shape, a.dtype))
    before = cat([ones, line[lead + (slice(0, -1),)]], axis).cumprod(axis)
    after = cat([ones, line[lead + (slice(1, None),)].flip(axis)], axis).cumprod(axis).flip(axis)
    return grad * (before * after).reshape(a.shape)


@differentiable_backward(scans.running_product_backward)
def _cumprod_formula(grad_output, a, dim):
    """PyTorch's ``cumprod_backward``: ``reversed_cumsum(grad * cumprod(a)) / a`` without
    zeros; with them the exact sums ``sum_{k >= i} grad_k prod_{j <= k, j != i} a_j``."""
    if a.ndim == 0 or a.shape[dim] == 1:
        return grad_output
    xp = backend_of(a.array).xp
    if not bool((a.array == 0).any()):
        weighted = grad_output * a.cumprod(dim)
        return weighted.flip(dim).cumsum(dim).flip(dim) / a
    size = a.shape[dim]
    line = a.movedim(dim, -1).unsqueeze(-2)  # (..., 1, j)
    grad = grad_output.movedim(dim, -1).unsqueeze(-2)  # (..., 1, k)
    positions = xp.arange(size)
    omitted = where(Tensor(positions[:, None] == positions), 1.0, line)  # (..., i, j)
    later = Tensor(positions[None, :] >= positions[:, None])  # (i, k): k >= i
    products = where(later, grad * omitted.cumprod(-1), 0.0)  # (..., i, k)
    return products.sum(-1).movedim(-1, dim)


@differentiable_backward(scans.running_logsumexp_backward)
def _logcumsumexp_formula(grad_output, a, dim):
    """PyTorch's ``logcumsumexp_backward``: the positive and the negative gradients apart, each
    as ``exp(reversed logcumsumexp(log|grad| - result) + a)``."""
    if a.ndim == 0 or a.numel() == 0:
        return grad_output
    result = a.logcumsumexp(dim)
    lowest = backend_of(a.array).xp.finfo(a.dtype).min
    log_abs = grad_output.abs().log()
    parts = []
    for sign in (grad_output.array > 0, grad_output.array < 0):
        logs = where(Tensor(sign), log_abs, lowest) - result
        parts.append((logs.flip(dim).logcumsumexp(dim).flip(dim) + a).exp())
    return parts[0] - parts[1]


# -- var, std -------------------------------------------------------------------------------
@differentiable_backward(math_ops.var_backward)
def _var_formula(grad_output, a, dim=None, correction=1, keepdim=False):
    """PyTorch's ``var_backward``: ``2 / (N - correction) * grad * (a - mean)``; over every
    element with ``N <= correction``, ``grad * inf`` (NaN at the mean)."""
    dims = tuple(range(a.ndim)) if dim is None else dim
    mean = a.mean(dims, keepdim=True)
    dof = math.prod(a.shape[d] for d in dims) - correction
    if dim is None and dof <= 0:
        xp = backend_of(a.array).xp
        slopes = xp.where(a.array == mean.array, math.nan, math.inf).astype(a.dtype)
        return grad_output * piecewise_constant(slopes, a)
    scale = 2 / dof if dof else math.inf
    return scale * _kept(grad_output, a, dim) * (a - mean)


@differentiable_backward(math_ops.std_root_backward)
def _std_root_formula(grad_output, a):
    """``sqrt``'s, 0 where ``a`` (the variance) is 0, as PyTorch's ``std_backward``."""
    return where(Tensor(a.array == 0), 0.0, grad_output / (2 * a.sqrt()))


# -- extremes, median -----------------------------------------------------------------------
def _shared(reduce: str, nan_ties: bool):
    """``amax``-like: ``grad / count`` to each of the ``count`` elements equal to the result
    (PyTorch's ``scale_grad_by_count``; the NaNs with ``nan_ties``); a constant share, so the
    gradient is linear in ``grad`` and of derivative 0 in ``a``."""

    def formula(grad_output, a, dim=None, keepdim=False):
        xp, x = backend_of(a.array).xp, a.array
        result = getattr(x, reduce)(axis=dim, keepdims=True)
        ties = x == result
        if nan_ties:
            ties = ties | (xp.isnan(x) & xp.isnan(result))
        with float_errors_ignored():
            share = (ties / ties.sum(axis=dim, keepdims=True)).astype(a.dtype)
        return _kept(grad_output, a, dim) * Tensor(share)

    return formula


for _backward, _reduce, _nan_ties in (
    (math_ops.amax_backward, "max", False),
    (math_ops.amin_backward, "min", False),
    (math_ops.max_all_backward, "max", True),
    (math_ops.min_all_backward, "min", True),
):
    differentiable_backward(_backward)(_shared(_reduce, _nan_ties))
del _backward, _reduce, _nan_ties


@differentiable_backward(math_ops.select_extreme_backward)
def _select_extreme_formula(grad_output, a, dim, keepdim=False, largest=True, indices=None):
    """All of ``grad`` to the selected index (PyTorch's ``value_selecting_reduction_backward``)."""
    xp = backend_of(a.array).xp
    if not keepdim:
        grad_output, indices = grad_output.unsqueeze(dim), xp.expand_dims(indices, dim)
    positions = xp.arange(a.shape[dim]).reshape((-1,) + (1,) * (a.ndim - dim % a.ndim - 1))
    return where(Tensor(positions == indices), grad_output, 0.0)


@differentiable_backward(statistics.evenly_backward)
def _evenly_formula(grad_output, a, value):
    """PyTorch's ``evenly_distribute_backward``: ``grad / count`` to the elements equal to
    ``value`` (the NaNs for a NaN)."""
    xp = backend_of(a.array).xp
    mask = (a.array == value) | (xp.isnan(a.array) & xp.isnan(value))
    return where(Tensor(mask), grad_output / max(int(mask.sum()), 1), 0.0) if needs(a) else None
