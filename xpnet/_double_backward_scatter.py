"""Differentiable backward (:mod:`xpnet._double_backward`) of ``scatter_reduce`` (and so
``index_reduce``, built on it): PyTorch's ``scatter_reduce_backward``
(``FunctionsManual.cpp``) in recorded Tensor operations.

``sum`` and ``mean`` are linear in the gradient; ``amax``/``amin`` share it among the values
equal to the result (a constant mask, of derivative 0); ``prod`` divides the recorded product
by each value, the exact product of the others where a value is the only zero of its target.
As in PyTorch, a ``prod`` whose target gets two zeros or more from ``src`` has a first
derivative for ``src`` that refuses to be differentiated again.
"""

from __future__ import annotations

from ._double_backward import differentiable_backward
from ._double_backward_extra import grown
from ._double_backward_ops import needs, zeros_like
from ._segment_reduce import scatter_reduce_values_backward
from ._tensor_index import where
from .autograd import Function, Tensor, data_of
from .backends import backend_of

__all__: list[str] = []

_TWO_ZEROS = (
    "scatter_reduce(): Double backward is unsupported for src when >1 zeros in src are "
    "scattered to the same position. This may happen when reduce='prod' and src contains "
    "multiple zeros scattered to the same position."
)


def _refuse(input):
    return input


def _refuse_backward(grad_output, input):
    raise RuntimeError(_TWO_ZEROS)


# a first derivative that may not be differentiated again (PyTorch's DelayedError)
_refusing = Function(_refuse, _refuse_backward, wrt=("input",))
differentiable_backward(_refuse_backward)(_refuse_backward)


@differentiable_backward(scatter_reduce_values_backward)
def _scatter_reduce_formula(grad_output, a, dim, index, src, reduce, include_self=True):
    """PyTorch's ``scatter_reduce_backward``; ``src`` beyond ``index``'s corner gets zeros."""
    index = Tensor(index)
    corner = tuple(slice(0, size) for size in index.shape)
    values = src[corner]  # (index's shape), the part of src the forward read
    if reduce == "prod":
        grad_a, grad_values = _prod(grad_output, a, dim, index, values, include_self)
    elif reduce in ("amax", "amin"):
        grad_a, grad_values = _extremum(grad_output, a, dim, index, values, reduce, include_self)
    else:  # sum, mean: the count of values reduced into each position divides for mean
        count = 1.0
        if reduce == "mean":
            count = zeros_like(a) + float(include_self)
            count = count.scatter_add(dim, index, zeros_like(values) + 1.0)
            count = where(count == 0, 1.0, count)
        grad_a = grad_output / count
        grad_values = grad_a.gather(dim, index)
    if not include_self:  # a's values at the targets were not read
        grad_a = grad_a * (zeros_like(a) + 1.0).scatter(dim, index, value=0.0)
    return (
        grad_a if needs(a) else None,
        grown(grad_values, src.shape) if needs(src) else None,
    )


def _extremum(grad_output, a, dim, index, values, reduce, include_self):
    """The gradient shared evenly by ``a``'s value and the ``values`` equal to the result
    (``a``'s counted even without ``include_self``, as PyTorch's)."""
    result = a.detach().scatter_reduce(
        dim, index, values.detach(), reduce, include_self=include_self
    )
    a_is_result = (a.detach() == result).to(grad_output.dtype)
    values_is_result = (values.detach() == result.gather(dim, index)).to(grad_output.dtype)
    shared = grad_output / a_is_result.scatter_add(dim, index, values_is_result)
    return a_is_result * shared, values_is_result * shared.gather(dim, index)


def _prod(grad_output, a, dim, index, values, include_self):
    """``a``: the product of the others (``a`` masked to 1 where 0); ``values``: the result
    divided by the value, or the product of the others for a target's only zero."""
    masked_a = a.masked_fill(a.detach() == 0, 1.0)
    product = masked_a.scatter_reduce(dim, index, values, "prod", include_self=include_self)
    grad_a = grad_output * product / masked_a
    zero = values.detach() == 0
    zeros_there = zeros_like(a).scatter_add(dim, index, zero.to(a.dtype)).gather(dim, index)
    single_zero = zero & (zeros_there == 1)
    others = a.scatter_reduce(
        dim, index, values.masked_fill(single_zero, 1.0), "prod", include_self=include_self
    )
    result = a.scatter_reduce(dim, index, values, "prod", include_self=include_self)
    divided = (grad_output * result).gather(dim, index) / values.masked_fill(zero, 1.0)
    grad_values = where(single_zero, (grad_output * others).gather(dim, index), divided)
    several = data_of(zeros_there) > 1
    if backend_of(several).to_host(several.any()):  # a host read, as PyTorch's .item()
        grad_values = _refusing(grad_values)
    return grad_a, grad_values
