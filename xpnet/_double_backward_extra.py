"""Differentiable backwards (:mod:`xpnet._double_backward`) of the indexing writes, selections
and matrix functions that the other formula modules leave out, each PyTorch's formula
(``tools/autograd/derivatives.yaml``) in recorded Tensor operations.

Writes, linear in their inputs: ``masked_fill`` (``a``'s gradient 0 where masked, a 0-d
``value`` the sum of the masked ones), ``scatter``/``scatter_add`` (``src`` gathers the
gradient back), ``index_add``/``index_copy`` (``source`` selects it back), ``cross``/
``linalg.cross`` (``other x grad`` and ``grad x input``). Selections, whose gradient is a
write at the forward's indices (a constant of derivative 0 in the input): ``sort``/``topk``/
``msort`` (a scatter) and ``cummax``/``cummin`` (a scatter-add). Matrices, through
recorded inverses (non-singular ``A`` only, as their second derivatives need ``A^-1``):
``linalg.inv``/``inv_ex``/``inverse`` (``-A^-T grad A^-T``), ``det`` (``grad det(A) A^-T``),
``slogdet``/``logdet`` (``grad A^-T``).
"""

from __future__ import annotations

from . import _tensor_cross as cross_ops
from . import _tensor_index as index_ops
from . import _tensor_scans as scans
from . import _tensor_scatter as scatter_ops
from . import _tensor_select as select
from . import linalg
from ._creation import eye
from ._double_backward import differentiable_backward
from ._double_backward_ops import needs, sum_to, zeros_like
from ._grad_mode import enable_grad
from ._tensor_index import where
from ._tensor_join import cat
from .autograd import Tensor
from .backends import backend_of
from .linalg import inverses, lu_solvers

__all__ = ["grown", "recorded_backward"]


def grown(grad: Tensor, shape: tuple) -> Tensor:
    """``grad`` with zeros appended along each dim up to ``shape`` (a ``src`` larger than the
    index: its elements past the index's corner get no gradient)."""
    xp = backend_of(grad.array).xp
    for dim, size in enumerate(shape):
        if size > grad.shape[dim]:
            zeros = list(grad.shape)
            zeros[dim] = size - grad.shape[dim]
            grad = cat([grad, Tensor(xp.zeros(tuple(zeros), dtype=grad.dtype))], dim)
    return grad


def _unwritten(write, a: Tensor, *args) -> Tensor:
    """A constant of ones shaped as ``a``, 0 where the array op ``write(ones, *args)`` writes
    (its source zeros)."""
    xp = backend_of(a.array).xp
    ones = xp.ones(a.shape, dtype=a.dtype)
    return Tensor(write(ones, *args))


# -- writes ---------------------------------------------------------------------------------
@differentiable_backward(index_ops.fill_masked_backward)
def _masked_fill_formula(grad_output, a, mask, value, output_mask=(True, True)):
    """``a``: ``grad`` but 0 where masked; a 0-d ``value``: the masked gradients' sum."""
    masked = Tensor(mask)
    grad_a = sum_to(where(masked, 0.0, grad_output), a.shape) if needs(a) else None
    grad_value = where(masked, grad_output, 0.0).sum().reshape(()) if needs(value) else None
    return grad_a, grad_value


@differentiable_backward(scatter_ops.scatter_values_backward)
def _scatter_formula(grad_output, a, dim, index, src, reduce=None):
    """``a``: ``grad`` (0 where ``scatter`` wrote); ``src``: ``grad.gather(dim, index)``."""
    if reduce == "multiply":  # as the first-order backward and PyTorch
        msg = "Tensor.scatter: the derivative for reduce='multiply' is not implemented, as in"
        raise RuntimeError(f"{msg} PyTorch; scatter_reduce(..., 'prod') has one")
    grad_a = grad_src = None
    if needs(a):
        zeros = backend_of(index).xp.zeros(index.shape, dtype=a.dtype)
        keep = _unwritten(scatter_ops.scatter_values, a, dim, index, zeros)
        grad_a = grad_output if reduce == "add" else grad_output * keep
    if needs(src):
        grad_src = grown(grad_output.gather(dim, Tensor(index)), src.shape)
    return grad_a, grad_src


@differentiable_backward(scatter_ops.put_slices_backward)
def _put_slices_formula(grad_output, a, dim, index, source, mode, alpha=1):
    """``a``: ``grad`` (0 at the slices ``index_copy`` wrote); ``source``: those slices of
    ``grad`` (times ``alpha`` for ``index_add``)."""
    grad_a = grad_source = None
    if needs(a):
        shape = a.shape[:dim] + (len(index),) + a.shape[dim + 1 :]
        zeros = backend_of(index).xp.zeros(shape, dtype=a.dtype)
        keep = _unwritten(scatter_ops.put_slices, a, dim, index, zeros, "copy")
        grad_a = grad_output if mode == "add" else grad_output * keep
    if needs(source):
        grad_source = grad_output.index_select(dim, Tensor(index))
        grad_source = grad_source * alpha if mode == "add" and alpha != 1 else grad_source
    return grad_a, grad_source


@differentiable_backward(cross_ops.cross_product_backward)
def _cross_formula(grad_output, a, b, dim):
    """PyTorch's: ``cross(b, grad)`` for ``a``, ``cross(grad, a)`` for ``b``, summed back."""
    return (
        sum_to(linalg.cross(b, grad_output, dim=dim), a.shape) if needs(a) else None,
        sum_to(linalg.cross(grad_output, a, dim=dim), b.shape) if needs(b) else None,
    )


# -- selections: the gradient written back at the forward's indices -----------------------
@differentiable_backward(select.top_values_backward)
def _top_values_formula(grad_output, a, k, dim, largest=True, indices=None):
    """``sort``/``topk``/``msort``: each value's gradient scattered to where it came from."""
    return zeros_like(a, grad_output.dtype).scatter(dim, Tensor(indices), grad_output)


@differentiable_backward(scans.running_extreme_backward)
def _running_extreme_formula(grad_output, a, dim, largest, indices=None):
    """``cummax``/``cummin``: each gradient added at the index its value came from."""
    return zeros_like(a, grad_output.dtype).scatter_add(dim, Tensor(indices), grad_output)


# -- matrices -------------------------------------------------------------------------------
def _inverse_transposed(A: Tensor) -> Tensor:
    return linalg.inv(A).mT


def _per_matrix(grad_output: Tensor) -> Tensor:
    """A batch of numbers ``(*,)`` as ``(*, 1, 1)``, to scale each matrix."""
    return grad_output.unsqueeze(-1).unsqueeze(-1)


@differentiable_backward(inverses.linalg_inv_backward, lu_solvers.linalg_inv_ex_backward)
def _inv_formula(grad_output, A, check_errors=False):
    """PyTorch's ``-A^-H grad A^-H``, the inverse recorded (so differentiated again)."""
    inverse_t = _inverse_transposed(A)
    return -(inverse_t @ grad_output @ inverse_t)


@differentiable_backward(inverses.linalg_det_backward)
def _det_formula(grad_output, A):
    """``grad det(A) A^-H`` (PyTorch's ``linalg_det_backward`` for non-singular ``A``)."""
    if A.numel() == 0:
        return zeros_like(A)
    return _per_matrix(grad_output * linalg.det(A)) * _inverse_transposed(A)


def recorded_backward(op, *inputs):
    """The array backward that the public ``op`` records for ``inputs``: slogdet's Function
    (and the factor nodes of the decompositions) are private to :mod:`xpnet.linalg`."""
    with enable_grad():
        return op(*inputs).grad_fn.function.backward


@differentiable_backward(
    recorded_backward(lambda A: linalg.slogdet(A).logabsdet, eye(1).requires_grad_())
)
def _logabsdet_formula(grad_output, A):
    """PyTorch's ``slogdet_backward``: ``grad A^-H`` (``logdet`` too, built on it)."""
    if A.numel() == 0:
        return zeros_like(A)
    return _per_matrix(grad_output) * _inverse_transposed(A)
