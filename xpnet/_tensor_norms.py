"""The vector ``norm`` and the stable ``logsumexp``: forward/backward pairs and Tensor methods.

The pairs follow :mod:`xpnet._tensor_ops`' convention (``<op>(*args)``,
``<op>_backward(grad_output, *args)``) and give PyTorch's gradients, including where the norm
is 0 (0, not NaN) and at ``inf``/NaN; :data:`METHODS` (``norm``, ``logsumexp``) joins
:mod:`xpnet._tensor_functions`' methods, which also use :func:`listed_dims`. The other new
pairs live in :mod:`xpnet._tensor_function_ops`.

Example:
    >>> vector_norm(np.array([[3.0, -4.0], [0.0, 0.0]]), 2, (1,))
    array([5., 0.])
    >>> vector_norm_backward(np.ones(2), np.array([[3.0, -4.0], [0.0, 0.0]]), 2, (1,))
    array([[ 0.6, -0.8],
           [ 0. ,  0. ]])
    >>> import xpnet
    >>> xpnet.Tensor(np.array([1000.0, 1000.0])).logsumexp(0)
    tensor(1000.6931, dtype=xpnet.float64)
"""

from __future__ import annotations

import math
import numbers

import numpy

from ._dtypes import floating
from ._tensor_math import distinct_dims
from ._tensor_ops import check_grad, ieee, reduced_shape
from .amp.autocast_mode import keep_given_dtype
from .autograd import Function, Tensor
from .backends import backend_of
from .kernels import ArgumentError, UnsupportedDtypeError
from .kernels._vector_norm import vector_norm as kernel_norm
from .kernels._vector_norm import vector_norm_backward as kernel_norm_backward

__all__ = ["listed_dims"]


def refuse_narrowing(where: str, source, target) -> None:
    """ArgumentError naming ``where`` if a norm's ``dtype`` ``target`` narrows the input's
    ``source`` dtype (PyTorch's check: ``promote_types(source, target) == target``)."""
    if numpy.promote_types(source, target) != target:
        msg = (
            f"{where}: the dtype of the input ({source}) should be convertible without "
            f"narrowing to the specified dtype ({target})"
        )
        raise ArgumentError(msg)


@ieee
def vector_norm(a, ord=2.0, dim=None, keepdim=False):
    """The ``ord``-norm of ``a`` over ``dim`` (a tuple of dims, or ``None`` for every element),
    as ``torch.linalg.vector_norm``: ``sum(|a| ** ord) ** (1 / ord)``; for ``inf``
    (``-inf``) the largest (smallest) ``|a|``, for ``0`` the number of non-zeros. Like
    PyTorch's, the 2-norm squares without rescaling (``|a| > 1e154`` overflows in float64).
    The kernels' :func:`xpnet.kernels._vector_norm.vector_norm`, in ``a``'s dtype, except
    where each result has one element (every reduced dim of size 1, a 0-d ``a``): ``|a|``
    (``a != 0`` for ``ord = 0``) for any ``ord``, NaN included, without overflow, as
    PyTorch's ``linalg_vector_norm`` fast path; over no elements 0, for ``ord = NaN`` too."""
    xp = backend_of(a).xp
    sizes = [a.shape[d] for d in (range(a.ndim) if dim is None else dim)]
    if math.prod(sizes) == 0:  # the identity 0, for ord = NaN too (PyTorch fills it)
        return xp.zeros(reduced_shape(a.shape, dim, keepdim), dtype=a.dtype)
    if any(n != 1 for n in sizes):
        return kernel_norm(xp, a, ord, dim, keepdims=keepdim)
    one = (a != 0).astype(a.dtype) if ord == 0 else xp.abs(a)
    return one if keepdim else xp.reshape(one, reduced_shape(a.shape, dim, keepdim))


@ieee
def vector_norm_backward(grad_output, a, ord=2.0, dim=None, keepdim=False):
    """PyTorch's ``norm_backward``: ``sgn(a) * grad`` for ``ord = 1``, ``grad * a / norm``
    (0 where the norm is 0) for 2, for ``inf``/``-inf`` ``sgn(a) * grad`` shared by the
    elements whose ``|a|`` is the norm (NaNs included), 0 for ``ord = 0``; other orders by
    ``sgn(a) |a|^(ord-1) grad / norm^(ord-1)``, 0 where the norm (``ord < 1``: ``a``) is 0.
    The kernels' :func:`xpnet.kernels._vector_norm.vector_norm_backward`."""
    check_grad(
        "vector_norm_backward", grad_output, reduced_shape(a.shape, dim, keepdim), a.dtype, a
    )
    xp = backend_of(grad_output).xp
    norm = vector_norm(a, ord, dim, keepdim=True)
    return kernel_norm_backward(xp, a, norm, xp.reshape(grad_output, norm.shape), ord, dim)


@ieee
def logsumexp(a, dim=None, keepdim=False):
    """``log(sum(exp(a)))`` over ``dim`` (a tuple, or ``None`` for every element), the maximum
    subtracted first unless infinite (PyTorch's: rows with ``inf`` give ``inf``, all ``-inf``
    give ``-inf``, not NaN); ``-inf`` over no elements."""
    xp = backend_of(a).xp
    shape = reduced_shape(a.shape, dim, keepdim)
    if a.size == 0:
        return xp.full(shape, -math.inf, dtype=a.dtype)
    top = a.max(axis=dim, keepdims=True)
    top = xp.where(xp.isinf(top), 0, top)
    return xp.reshape(xp.log(xp.exp(a - top).sum(axis=dim, keepdims=True)) + top, shape)


@ieee
def logsumexp_backward(grad_output, a, dim=None, keepdim=False):
    """``grad * exp(a - logsumexp(a))`` (the softmax over ``dim``), PyTorch's formula."""
    check_grad("logsumexp_backward", grad_output, reduced_shape(a.shape, dim, keepdim), a.dtype, a)
    xp = backend_of(grad_output).xp
    total = logsumexp(a, dim, keepdim=True)
    return xp.reshape(grad_output, total.shape) * xp.exp(a - total)


def listed_dims(where: str, dim, ndim: int):
    """``dim`` (``None``, an int, or a tuple or list) as ``None`` or a tuple of dims in
    ``[0, ndim)``; a 0-d tensor takes dims ``0``/``-1`` as every dim (``None``).

    Raises:
        TypeError, IndexError: a dim that is not an int, or out of range.
        ArgumentError: a dim listed twice.
    """
    if dim is None:
        return None
    dims = distinct_dims(where, dim, ndim)
    return None if ndim == 0 and dims else dims


_vector_norm = Function(vector_norm, vector_norm_backward, wrt=("a",))
_logsumexp = Function(logsumexp, logsumexp_backward, wrt=("a",))


def _norm_order(p, dim) -> float:
    if p is None:
        return 2.0
    if isinstance(p, str):
        if p == "fro" and (dim is None or isinstance(dim, int) or len(dim) <= 2):
            return 2.0
        msg = (
            f"Tensor.norm: p must be a number, or 'fro' over at most 2 dims, or 'nuc', got "
            f"p={p!r} with dim={dim!r}"
        )
        raise ArgumentError(msg)
    if isinstance(p, bool) or not isinstance(p, numbers.Real):
        msg = f"Tensor.norm: p must be a number or 'fro', got {type(p).__name__}"
        raise TypeError(msg)
    return float(p)


@keep_given_dtype  # a dtype given is kept under autocast, as PyTorch's
def tensor_norm(self, p="fro", dim=None, keepdim: bool = False, dtype=None) -> Tensor:
    """The vector ``p``-norm over every element or over ``dim`` (an int or a tuple), as
    ``torch.norm``: ``"fro"`` (default) and ``2`` the Euclidean norm, ``1`` the sum of
    magnitudes, ``inf`` the largest magnitude; any other number ``sum(|x|^p)^(1/p)``.

    ``"nuc"``: the nuclear norm (the sum of singular values) over the two dims ``dim``, or of
    a 2-D tensor, as :func:`xpnet.linalg.matrix_norm`.

    The gradient is PyTorch's: 0 where the norm is 0 (not NaN), shared by the ties of
    ``inf``. ``dtype`` casts first; it may widen the input's dtype, not narrow it.

    Raises:
        UnsupportedDtypeError: an integer or bool tensor (also with a float ``dtype``): a
            TypeError, and PyTorch's RuntimeError. TypeError: ``p`` neither a number nor a string.
        ArgumentError: a ``dtype`` narrower than the input's; ``"fro"`` over more than 2
            dims, ``"nuc"`` over other than 2 dims (as :func:`xpnet.linalg.matrix_norm`); the
            ``inf`` and negative norms of no elements (no identity), as PyTorch.
        IndexError: a dim out of range.
    """
    if p == "nuc":  # a matrix norm, over the two dims named (every dim without dim)
        from .linalg import matrix_norm  # here: xpnet.linalg.norms imports this module

        dims = tuple(range(self.ndim)) if dim is None else dim
        return matrix_norm(self, "nuc", dims, keepdim, dtype=dtype)
    if self.dtype.kind != "f":  # also with a dtype; PyTorch's RuntimeError, still a TypeError
        msg = f"Tensor.norm: expected a floating-point tensor, got {self.dtype}"
        raise UnsupportedDtypeError(msg)
    if dtype is not None:
        refuse_narrowing("linalg.vector_norm", self.dtype, numpy.dtype(dtype))  # torch's name
    tensor = self if dtype is None else self.to(dtype)
    order = _norm_order(p, dim)
    dims = listed_dims("norm", dim, tensor.ndim) or None  # (): every dim, as PyTorch
    reduced = range(tensor.ndim) if dims is None else dims
    if (order < 0 or math.isinf(order)) and math.prod(tensor.shape[d] for d in reduced) == 0:
        msg = f"Tensor.norm: the {order} norm of no elements (shape {tensor.shape}, dim={dim!r})"
        raise ArgumentError(msg)
    return _vector_norm(tensor, order, dims, keepdim)


def tensor_logsumexp(self, dim, keepdim: bool = False) -> Tensor:
    """``log(sum(exp(self)))`` over ``dim`` (an int or a tuple; ``()``: every dim, which
    PyTorch refuses), without overflow: the maximum is subtracted first. Integers give
    float32; no elements give ``-inf``. The gradient is the softmax over ``dim``, as PyTorch's.
    """
    dims = listed_dims("logsumexp", dim, self.ndim) or None
    tensor = floating(self)
    return _logsumexp(tensor, dims, keepdim)


METHODS = {"norm": tensor_norm, "logsumexp": tensor_logsumexp}
