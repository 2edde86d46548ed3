"""Differentiable backwards (:mod:`xpnet._double_backward`) of Tensor's own operations.

Arithmetic (``+ - * / ** @``, broadcast operands getting their gradient summed back with
:func:`sum_to`), reductions, shapes and indexing, ``cat``/``stack``, ``where``, ``clamp``, the
elementwise functions (``exp``, ``log``, ``sqrt``, ``abs``, ``tanh``, ``sigmoid``,
``reciprocal``, ``rsqrt``, the step functions) and the vector norm and ``logsumexp``: each
formula is PyTorch's (``tools/autograd/derivatives.yaml``) in recorded Tensor operations, so
that it can be differentiated again, to any order. The helpers are shared with the layers'
formulas (:mod:`xpnet.nn._double_backward_layers`): :func:`linear_op` registers an op that
is linear in its input (its backward is the adjoint map, whose own backward is the op), and
:func:`piecewise_constant` gives values whose derivative is 0 (a ReLU's slope) while keeping
them in the graph, as PyTorch's formulas keep them.
"""

from __future__ import annotations

import inspect
import math
import string

from . import _tensor_einsum as einsum_pair
from . import _tensor_elementwise_ops as elementwise_ops
from . import _tensor_function_ops as function_ops
from . import _tensor_index as index_ops
from . import _tensor_join as join
from . import _tensor_math as math_ops
from . import _tensor_norms as norms
from . import _tensor_ops as ops
from . import _tensor_select as select
from ._double_backward import differentiable_backward
from ._tensor_index import where
from .autograd import Function, Tensor, data_of
from .backends import backend_of
from .kernels import sigmoid_backward, tanh_backward

__all__ = ["needs", "sum_to", "zeros_like", "linear_op", "linear_ops", "piecewise_constant"]


def needs(value) -> bool:
    """Whether ``value`` is a Tensor that requires grad: a formula skips the others."""
    return isinstance(value, Tensor) and value.requires_grad


def sum_to(grad: Tensor, shape: tuple) -> Tensor:
    """``grad`` summed down to ``shape``, the Tensor form of :func:`xpnet._tensor_ops.unbroadcast`:
    a broadcast operand gets the sum of its copies' gradients."""
    extra = grad.ndim - len(shape)
    axes = tuple(range(extra)) + tuple(
        extra + i for i, n in enumerate(shape) if n == 1 and grad.shape[extra + i] != 1
    )
    return grad.sum(dim=axes, keepdim=True).reshape(shape) if axes else grad


def zeros_like(value, dtype=None) -> Tensor:
    """A constant Tensor of zeros shaped as ``value`` (PyTorch's ``zeros_like`` gradients)."""
    array = data_of(value)
    return Tensor(backend_of(array).xp.zeros(array.shape, dtype=dtype or array.dtype))


def linear_op(forward, backward) -> tuple:
    """Register the formulas of an op linear in its first argument (reshape, sum, indexing,
    average pooling, ``nll_loss``, ...); returns ``(op, adjoint)``, both Functions.

    Its backward is the adjoint map, linear in ``grad_output``: recorded as ``adjoint``, a
    Function of ``grad_output`` (the op's other arguments as they were), whose own backward is
    the op again; so each one's formula is the other, to any order."""
    op = Function(forward, backward, wrt=(next(iter(inspect.signature(forward).parameters)),))

    def adjoint_backward(grad_grad, grad_output, a, *args, **kwargs):
        return forward(grad_grad, *args, **kwargs)

    adjoint_backward.__name__ = f"{backward.__name__}_backward"
    adjoint = Function(backward, adjoint_backward, wrt=("grad_output",))

    @differentiable_backward(backward)
    def formula(grad_output, a, *args, **kwargs):
        return adjoint(grad_output, data_of(a), *args, **kwargs)

    @differentiable_backward(adjoint_backward)
    def adjoint_formula(grad_grad, grad_output, a, *args, **kwargs):
        return op(grad_grad, *args, **kwargs)

    return op, adjoint


def _constant(values, a, b=None, c=None):
    return values


def _constant_backward(grad_output, values, a, b=None, c=None):
    """Zeros for each array input: the values are constant where they are differentiable."""
    xp = backend_of(grad_output).xp
    return tuple(xp.zeros(x.shape, x.dtype) if hasattr(x, "shape") else None for x in (a, b, c))


_piecewise = Function(_constant, _constant_backward, wrt=("a", "b", "c"))


def piecewise_constant(values, *tensors) -> Tensor:
    """``values`` (an array), as a function of ``tensors`` (at most three) with derivative 0:
    a slope such as ReLU's ``input > 0``, which keeps the gradient in the graph of
    ``tensors`` (``requires_grad``) as PyTorch's formulas do, contributing zeros."""
    return _piecewise(values, *tensors)


@differentiable_backward(_constant_backward)
def _constant_formula(grad_output, values, a, b=None, c=None):
    return tuple(zeros_like(x) if needs(x) else None for x in (a, b, c))


@differentiable_backward(
    function_ops.sign_backward,
    function_ops.floor_backward,
    function_ops.ceil_backward,
    function_ops.round_to_backward,
)
def _step_formula(grad_output, a, *options):
    """The step functions' (``sign``, ``floor``, ...) zeros, as PyTorch's: constants."""
    return zeros_like(a) if needs(a) else None


def linear_ops(*pairs) -> None:
    """:func:`linear_op` for each ``(forward, backward)`` pair (their adjoints not kept)."""
    for forward, backward in pairs:
        linear_op(forward, backward)


# -- ops linear in their input: the adjoint pairs ----------------------------------------
linear_ops(
    (ops.sum, ops.sum_backward),
    (ops.mean, ops.mean_backward),
    (ops.reshape, ops.reshape_backward),
    (ops.getitem, ops.getitem_backward),
    (ops.cast, ops.cast_backward),
    (math_ops.permute, math_ops.permute_backward),
    (math_ops.clone, math_ops.clone_backward),
    (index_ops.broadcast, index_ops.broadcast_backward),
    (index_ops.section, index_ops.section_backward),
    (select.take_along_dim, select.take_along_dim_backward),
    (select.select_indices, select.select_indices_backward),
    (select.cumulative_sum, select.cumulative_sum_backward),
)


# -- arithmetic -----------------------------------------------------------------------------
@differentiable_backward(ops.add_backward)
def _add_formula(grad_output, a, b):
    return (
        sum_to(grad_output, a.shape) if needs(a) else None,
        sum_to(grad_output, b.shape) if needs(b) else None,
    )


@differentiable_backward(ops.sub_backward)
def _sub_formula(grad_output, a, b):
    return (
        sum_to(grad_output, a.shape) if needs(a) else None,
        sum_to(-grad_output, b.shape) if needs(b) else None,
    )


@differentiable_backward(ops.mul_backward)
def _mul_formula(grad_output, a, b):
    return (
        sum_to(grad_output * b, a.shape) if needs(a) else None,
        sum_to(grad_output * a, b.shape) if needs(b) else None,
    )


@differentiable_backward(ops.div_backward)
def _div_formula(grad_output, a, b):
    """PyTorch's ``grad / other`` and ``-grad * self / (other * other)``."""
    return (
        sum_to(grad_output / b, a.shape) if needs(a) else None,
        sum_to(-grad_output * a / (b * b), b.shape) if needs(b) else None,
    )


@differentiable_backward(ops.pow_backward)
def _pow_formula(grad_output, a, exponent):
    """PyTorch's ``pow_backward_self``: ``exponent * a ** (exponent - 1)``, 0 where the
    exponent is 0; ``pow_backward_exponent``: ``a ** exponent * log(a)``, 0 where ``a`` is 0
    and the exponent is not negative."""
    grad_a = grad_exponent = None
    if needs(a) and isinstance(exponent, Tensor):
        zero = Tensor(exponent.array == 0)
        grad_a = sum_to(grad_output * where(zero, 0.0, exponent * a ** (exponent - 1)), a.shape)
    elif needs(a):
        slope = exponent * a ** (exponent - 1) if exponent else zeros_like(a)
        grad_a = grad_output * slope
    if needs(exponent):
        base = data_of(a)
        if isinstance(a, Tensor):
            growth = a**exponent * a.log()
        else:  # a number: 2 ** x
            log = math.log(a) if a > 0 else -math.inf if a == 0 else math.nan
            growth = a**exponent * log
        skip = Tensor((base == 0) & (exponent.array >= 0))
        grad_exponent = sum_to(grad_output * where(skip, 0.0, growth), exponent.shape)
    return grad_a, grad_exponent


@differentiable_backward(ops.matmul_backward)
def _matmul_formula(grad_output, a, b):
    """``grad @ b^T`` and ``a^T @ grad``, a 1-d ``a`` as a row and ``b`` as a column."""
    a2 = a.unsqueeze(0) if a.ndim == 1 else a
    b2 = b.unsqueeze(-1) if b.ndim == 1 else b
    grad = grad_output.unsqueeze(-1) if b.ndim == 1 else grad_output
    grad = grad.unsqueeze(-2) if a.ndim == 1 else grad
    return (
        sum_to(grad @ b2.mT, a2.shape).reshape(a.shape) if needs(a) else None,
        sum_to(a2.mT @ grad, b2.shape).reshape(b.shape) if needs(b) else None,
    )


# -- elementwise functions ------------------------------------------------------------------
@differentiable_backward(math_ops.exp_backward)
def _exp_formula(grad_output, a):
    return grad_output * a.exp()


@differentiable_backward(math_ops.log_backward)
def _log_formula(grad_output, a):
    return grad_output / a


@differentiable_backward(math_ops.sqrt_backward)
def _sqrt_formula(grad_output, a):
    return grad_output / (2 * a.sqrt())


def _sgn(a: Tensor) -> Tensor:
    """PyTorch's ``sgn(a)`` (0 at 0 and at NaN), of derivative 0."""
    xp = backend_of(a.array).xp
    return piecewise_constant(xp.where(xp.isnan(a.array), 0, xp.sign(a.array)).astype(a.dtype), a)


@differentiable_backward(math_ops.abs_backward)
def _abs_formula(grad_output, a):
    return grad_output * _sgn(a)


@differentiable_backward(elementwise_ops.erf_backward)
def _erf_formula(grad_output, a):
    return grad_output * (2 / math.sqrt(math.pi) * (-a * a).exp())


@differentiable_backward(tanh_backward)
def _tanh_formula(grad_output, input):
    result = input.tanh()
    return grad_output * (1 - result * result)


@differentiable_backward(sigmoid_backward)
def _sigmoid_formula(grad_output, input):
    result = input.sigmoid()
    return grad_output * (result * (1 - result))


@differentiable_backward(function_ops.reciprocal_backward)
def _reciprocal_formula(grad_output, a):
    result = a.reciprocal()
    return -grad_output * (result * result)


@differentiable_backward(function_ops.rsqrt_backward)
def _rsqrt_formula(grad_output, a):
    return -0.5 * grad_output * a.rsqrt() ** 3


@differentiable_backward(join.clamp_backward)
def _clamp_formula(grad_output, a, min=None, max=None):
    """PyTorch's ``clamp_backward`` and ``clamp_backward_min_max`` as ``where``s (no
    gradient through the comparisons)."""
    low, high, x = data_of(min), data_of(max), a.array
    grads = [None, None, None]
    if needs(a):
        inside = True if low is None else x >= low
        inside = Tensor(inside if high is None else inside & (x <= high))
        grads[0] = sum_to(where(inside, grad_output, 0.0), a.shape)
    if needs(min):
        below = Tensor(x < low if high is None else (x < low) & (low < high))
        grads[1] = sum_to(where(below, grad_output, 0.0), min.shape)
    if needs(max):
        above = Tensor(x > high if low is None else (x > high) | (high < low))
        grads[2] = sum_to(where(above, grad_output, 0.0), max.shape)
    return tuple(grads)


@differentiable_backward(index_ops.choose_backward)
def _where_formula(grad_output, condition, a, b, dtype):
    chosen = Tensor(condition)
    return (
        sum_to(where(chosen, grad_output, 0.0), a.shape) if needs(a) else None,
        sum_to(where(chosen, 0.0, grad_output), b.shape) if needs(b) else None,
    )


# -- joins ----------------------------------------------------------------------------------
@differentiable_backward(join.concatenate_backward)
def _cat_formula(grad_output, *tensors, dim=0):
    """Each tensor's slice of the gradient along ``dim``; the skipped legacy empty ones none."""
    lead, grads, start = (slice(None),) * dim, [], 0
    for tensor, takes in zip(tensors, join.joined([data_of(t) for t in tensors]), strict=True):
        stop = start + tensor.shape[dim] if takes else start
        grads.append(grad_output[lead + (slice(start, stop),)] if takes and needs(tensor) else None)
        start = stop
    return tuple(grads)


@differentiable_backward(join.stack_arrays_backward)
def _stack_formula(grad_output, *tensors, dim=0):
    lead = (slice(None),) * (dim % (grad_output.ndim))
    return tuple(grad_output[lead + (i,)] if needs(t) else None for i, t in enumerate(tensors))


# -- norms ----------------------------------------------------------------------------------
def _kept(grad_output, shape, dim, keepdim):
    """``grad_output`` of a reduction over ``dim`` with the reduced dims kept (size 1)."""
    return grad_output.reshape(ops.reduced_shape(shape, dim, True))


@differentiable_backward(norms.vector_norm_backward)
def _vector_norm_formula(grad_output, a, ord=2.0, dim=None, keepdim=False):
    """PyTorch's ``norm_backward``: ``a * grad / norm`` for 2 (0 where the norm is 0),
    ``sgn(a) * grad`` for 1, shared among the largest ``|a|`` for ``inf``, 0 for 0, else
    ``sgn(a) |a|^(ord-1) grad / norm^(ord-1)``."""
    grad, xp, sign = _kept(grad_output, a.shape, dim, keepdim), backend_of(a.array).xp, _sgn(a)
    if ord == 0:
        return zeros_like(a)
    if ord == 1:
        return sign * grad
    norm = a.norm(ord, dim, True)
    zero = Tensor(norm.array == 0)
    if math.isinf(ord):
        ties = xp.abs(a.array) == norm.array  # the largest |a| share the gradient
        count = xp.maximum(ties.sum(axis=dim, keepdims=True), 1)  # none at a NaN norm: 0
        share = (ties / count).astype(a.dtype)
        return sign * piecewise_constant(share, a) * grad
    if ord == 2:
        return a * where(zero, 0.0, grad / norm)
    scaled = sign * a.abs() ** (ord - 1)
    if ord < 1:
        scaled = where(Tensor(a.array == 0), 0.0, scaled)
    return scaled * where(zero, 0.0, grad / norm ** (ord - 1))


@differentiable_backward(norms.logsumexp_backward)
def _logsumexp_formula(grad_output, a, dim=None, keepdim=False):
    grad = _kept(grad_output, a.shape, dim, keepdim)
    return grad * (a - a.logsumexp(() if dim is None else dim, keepdim=True)).exp()


# -- products ---------------------------------------------------------------------------------
@differentiable_backward(einsum_pair.einsum_backward)
def _einsum_formula(grad_output, equation, *operands):
    """An einsum of ``grad_output`` with the other operands (einsum_backward's equations),
    recorded; ``dot``, ``outer`` and ``tensordot`` are einsums too."""
    from ._tensor_products import einsum

    inputs, output, sizes = einsum_pair.parse(equation, [t.shape for t in operands])
    stretched = [
        t.expand(tuple(sizes[c] for c in term)) for t, term in zip(operands, inputs, strict=True)
    ]
    grads = []
    for k, (operand, term) in enumerate(zip(operands, inputs, strict=True)):
        if not needs(operand):
            grads.append(None)
            continue
        letters = "".join(dict.fromkeys(term))  # a repeated subscript once
        spec, missing = einsum_pair.operand_grad_equation(k, inputs, output)
        others = (stretched[j] for j in range(len(inputs)) if j != k)
        grad = einsum(spec, grad_output, *others)
        for axis in missing:  # summed by this operand alone: each element got the gradient
            grad = grad.unsqueeze(axis)
        grad = grad.expand(tuple(sizes[c] for c in letters))
        if len(letters) != len(term):
            grad = _on_diagonal(grad, term, letters, sizes)
        grads.append(sum_to(grad.expand(tuple(sizes[c] for c in term)), operand.shape))
    return tuple(grads)


def _on_diagonal(grad, term: str, letters: str, sizes: dict) -> Tensor:
    """``grad`` over an operand's distinct ``letters`` placed on the diagonal of its ``term``
    (a repeated subscript, ``ii``): an einsum with an identity per repeat, recorded."""
    from ._tensor_products import einsum

    xp = backend_of(grad.array).xp
    spare = iter(c for c in string.ascii_letters if c not in term)
    renamed, pairs, seen = [], [], set()
    for c in term:
        fresh = next(spare) if c in seen else c
        if c in seen:
            pairs.append(c + fresh)
        seen.add(c)
        renamed.append(fresh)
    eyes = [Tensor(xp.eye(sizes[pair[0]], dtype=grad.dtype)) for pair in pairs]
    return einsum(",".join([letters, *pairs]) + "->" + "".join(renamed), grad, *eyes)
