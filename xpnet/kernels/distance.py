"""Distances and L_p normalisation: ``normalize``, ``cosine_similarity``, ``pairwise_distance``.

Each has a backward function. The norms are PyTorch's ``linalg.vector_norm`` and their
gradients its ``norm_backward``, from :mod:`._vector_norm` (which ``triplet_margin_loss`` and
``Tensor.norm`` share). ``cosine_similarity`` and ``pairwise_distance`` broadcast ``x1``
and ``x2`` and sum each gradient back to its input's shape. float16 computes in float32 and
rounds once. Neighbours: :mod:`.layer_norm` (normalisation by moments), :mod:`.regression_loss`
(element-wise differences); :mod:`xpnet._tensor_norms` holds ``Tensor.norm``'s pair.
"""

from __future__ import annotations

import math
import numbers

import numpy

from ._blocks import check_fits, compute_dtype
from ._broadcast import unbroadcast
from ._checks import (
    ArgumentError,
    array_backend,
    check_grad_output,
    check_number,
    kernel,
    require_arrays,
)
from ._vector_norm import check_p, distance, vector_norm, vector_norm_backward

__all__ = [
    "cosine_similarity",
    "cosine_similarity_backward",
    "normalize",
    "normalize_backward",
    "pairwise_distance",
    "pairwise_distance_backward",
]


def _dims(where, dim, ndim):
    """``dim`` (an int or a sequence of ints) as distinct non-negative axes of an ``ndim``-D
    array (a 0-d array counts as 1-D, as PyTorch wraps its dims); IndexError out of range."""
    items = (dim,) if isinstance(dim, numbers.Integral) else dim
    try:
        items = tuple(items)
    except TypeError:
        items = None
    if not items or not all(
        isinstance(d, numbers.Integral) and not isinstance(d, bool) for d in items
    ):
        msg = f"{where}: dim must be an int or a tuple of ints, got {dim!r}"
        raise TypeError(msg)
    rank = max(ndim, 1)
    axes = []
    for d in items:
        if not -rank <= d < rank:
            msg = f"{where}: dim must be in [{-rank}, {rank - 1}], got {d}"
            raise IndexError(msg)
        if int(d) % rank in axes:
            msg = f"{where}: dim {int(d) % rank} appears more than once in dim={dim!r}"
            raise ArgumentError(msg)
        axes.append(int(d) % rank)
    return tuple(axes)


def _normalize_call(where, input, p, dim, eps, out, grad_output=None, backward=False):
    """``(xp, x, p, axes)``: ``input`` in its compute dtype (0-d as shape (1,)) after the checks;
    with ``backward``, ``grad_output`` must have the shape and dtype of ``input``."""
    require_arrays(where, input=input)
    backend = array_backend(where, input=input, grad_output=grad_output)
    if out is not None:
        msg = f"{where}: out must be None (xpnet returns a new array), got {type(out).__name__}"
        raise TypeError(msg)
    check_number(where, "eps", eps)
    axes = _dims(where, dim, input.ndim)
    shape = input.shape or (1,)
    p = check_p(where, p, shape, axes)
    if backward:
        check_grad_output(where, grad_output, input.shape, input.dtype, of="input")
    xp = backend.xp
    x = xp.reshape(input.astype(compute_dtype(xp, input.dtype), copy=False), shape)
    return xp, x, p, axes


@kernel
def normalize(input, p: float = 2.0, dim=1, eps: float = 1e-12, out=None):
    r"""L_p-normalise ``input`` along ``dim``: ``v / max(||v||_p, eps)`` for each vector ``v``.

    Args:
        input: float array of any shape.
        p: the norm's exponent, any real number (``inf``, ``-inf`` and ``0`` as
            ``torch.linalg.vector_norm``). Default: 2.0.
        dim: the dimension to reduce, or a tuple of dimensions. Default: 1.
        eps: the least divisor. Default: 1e-12.
        out: not supported; must be ``None``.

    Returns:
        Array of the shape and dtype of ``input``.

    Raises:
        TypeError: a non-float input, a non-number ``p`` or ``eps``, a non-int ``dim``, or an
            ``out`` array.
        IndexError: ``dim`` out of range.
        ValueError: a repeated ``dim``, or ``p = +-inf`` over an empty dimension.

    Note:
        PyTorch writes into ``out`` (without gradients); xpnet refuses it.

    Example:
        >>> normalize(xp.asarray([[3.0, 4.0], [0.0, 0.0]]))
        array([[0.6, 0.8],
               [0. , 0. ]])
    """
    xp, x, p, axes = _normalize_call("normalize", input, p, dim, eps, out)
    result = x / xp.maximum(vector_norm(xp, x, p, axes), eps)
    return xp.reshape(result.astype(input.dtype, copy=False), input.shape)


@kernel
def normalize_backward(grad_output, input, p: float = 2.0, dim=1, eps: float = 1e-12, out=None):
    """Gradient of :func:`normalize`: ``g / c - [n >= eps] dn/dx sum(g x) / c^2``, with
    ``n`` the norm, ``c = max(n, eps)`` and PyTorch's ``clamp_min`` and ``norm_backward``."""
    where = "normalize_backward"
    xp, x, p, axes = _normalize_call(where, input, p, dim, eps, out, grad_output, True)
    g = xp.reshape(grad_output.astype(x.dtype, copy=False), x.shape)
    norm = vector_norm(xp, x, p, axes)
    grad = _divided_backward(xp, x, norm, xp.maximum(norm, eps), g, p, axes, norm >= eps)
    return xp.reshape(grad.astype(input.dtype, copy=False), input.shape)


def _divided_backward(xp, x, norm, clamped, grad, p, axes, passes=None):
    """The gradient of ``x / clamped``, ``clamped = max(norm_p(x), eps)``, for the gradient
    ``grad`` of the quotient: directly, and through the norm where ``passes`` (``clamp_min``'s
    ``norm >= eps``; ``None``: everywhere, as cosine_similarity's clamp without gradient)."""
    grad_norm = -xp.sum(grad * x / (clamped * clamped), axis=axes, keepdims=True)
    if passes is not None:
        grad_norm = xp.where(passes, grad_norm, xp.zeros((), dtype=x.dtype))
    return grad / clamped + vector_norm_backward(xp, x, norm, grad_norm, p, axes)


class _PairCall:
    """The checked arguments of a two-input kernel: ``x1``, ``x2`` broadcast to one shape (0-d
    as (1,)) in the compute dtype; ``shape`` the broadcast shape as PyTorch's."""

    def __init__(self, where, x1, x2, grad_output=None):
        require_arrays(where, x1=x1, x2=x2)
        backend = array_backend(where, x1=x1, x2=x2, grad_output=grad_output)
        try:
            self.shape = numpy.broadcast_shapes(x1.shape, x2.shape)
        except ValueError:
            msg = f"{where}: x1 and x2 must broadcast to one shape, got {x1.shape} and {x2.shape}"
            raise ArgumentError(msg) from None
        self.xp, self.where, self.x1, self.x2 = backend.xp, where, x1, x2
        self.dtype = compute_dtype(self.xp, x1.dtype)
        # the broadcast pair and a few temporaries of its size: refused before any is made
        nbytes = 6 * math.prod(self.shape) * numpy.dtype(self.dtype).itemsize
        check_fits(where, backend, f"arrays of the broadcast shape {self.shape}", nbytes)
        self.work = self.shape or (1,)  # a 0-d pair reduces as one element, as in PyTorch
        self.a, self.b = (self._broadcast(x) for x in (x1, x2))

    def _broadcast(self, x):
        xp = self.xp
        return xp.reshape(xp.broadcast_to(x.astype(self.dtype, copy=False), self.shape), self.work)

    def grads(self, grad_a, grad_b):
        """The gradients of the broadcast inputs, summed back to ``x1``'s and ``x2``'s shapes."""
        xp, shape = self.xp, self.shape
        grad_a, grad_b = xp.reshape(grad_a, shape), xp.reshape(grad_b, shape)
        grad_x1 = unbroadcast(xp, grad_a, self.x1.shape).astype(self.x1.dtype, copy=False)
        return grad_x1, unbroadcast(xp, grad_b, self.x2.shape).astype(self.x2.dtype, copy=False)

    def finish(self, output, out_shape):
        return self.xp.reshape(output.astype(self.x1.dtype, copy=False), out_shape)


def _cosine_call(where, x1, x2, dim, eps, grad_output=None, backward=False):
    """``(call, axis, out_shape)`` after cosine_similarity's checks."""
    call = _PairCall(where, x1, x2, grad_output)
    check_number(where, "eps", eps)
    if not isinstance(dim, numbers.Integral) or isinstance(dim, bool):
        msg = f"{where}: dim must be an int, got {type(dim).__name__} {dim!r}"
        raise TypeError(msg)
    (axis,) = _dims(where, dim, len(call.shape))
    out_shape = call.shape[:axis] + call.shape[axis + 1 :]
    if backward:
        check_grad_output(where, grad_output, out_shape, x1.dtype)
    return call, axis, out_shape


def _unit(xp, x, axis, eps):
    """``(norm, clamped, x / clamped)``: PyTorch's 2-norm along ``axis``, ``max(norm, eps)``."""
    norm = vector_norm(xp, x, 2.0, axis)
    clamped = xp.maximum(norm, eps)
    return norm, clamped, x / clamped


@kernel
def cosine_similarity(x1, x2, dim: int = 1, eps: float = 1e-8):
    r"""Cosine similarity of ``x1`` and ``x2`` along ``dim``, as PyTorch 2.13 computes it:

    .. math::
        \sum_{dim} \frac{x_1}{\max(\lVert x_1 \rVert_2, \epsilon)}
        \cdot \frac{x_2}{\max(\lVert x_2 \rVert_2, \epsilon)}

    (each input divided by its clamped norm first: no overflow of ``x1 . x2``, results in
    [-1, 1]).

    Args:
        x1: float array.
        x2: float array of ``x1``'s dtype, broadcastable with ``x1``.
        dim: the dimension of the broadcast shape to reduce. Default: 1.
        eps: the least norm. Default: 1e-8.

    Returns:
        Array of the broadcast shape without ``dim``, in the inputs' dtype.

    Raises:
        TypeError: non-float or mixed dtypes, a non-int ``dim``, a non-number ``eps``.
        IndexError: ``dim`` out of range.
        ValueError: shapes that do not broadcast.

    Note:
        As PyTorch, the gradient flows through each norm as if unclamped (PyTorch clamps in
        place without gradient), so below ``eps`` it differs from that of the formula above.
        PyTorch promotes mixed or integer dtypes; xpnet refuses them.

    Example:
        >>> cosine_similarity(xp.asarray([[1.0, 0.0], [3.0, 4.0]]), xp.asarray([1.0, 1.0]))
        array([0.70710678, 0.98994949])
    """
    call, axis, out_shape = _cosine_call("cosine_similarity", x1, x2, dim, eps)
    xp = call.xp
    _, _, u1 = _unit(xp, call.a, axis, eps)
    _, _, u2 = _unit(xp, call.b, axis, eps)
    # keepdims, then the output's shape: an array even for 0-d, where NumPy's sum gives a scalar
    return call.finish(xp.sum(u1 * u2, axis=axis, keepdims=True), out_shape)


@kernel
def cosine_similarity_backward(grad_output, x1, x2, dim: int = 1, eps: float = 1e-8):
    """Gradients ``(grad_x1, grad_x2)`` of :func:`cosine_similarity`: for ``x1``,
    ``g u2 / c1`` minus, through the (unclamped) norm, ``x1 / n1 * sum(g u2 x1) / c1^2``
    (0 where ``n1 = 0``), summed back to ``x1``'s shape; the same for ``x2``."""
    where = "cosine_similarity_backward"
    call, axis, out_shape = _cosine_call(where, x1, x2, dim, eps, grad_output, True)
    xp = call.xp
    kept = call.work[:axis] + (1,) + call.work[axis + 1 :]
    g = xp.reshape(grad_output.astype(call.dtype, copy=False), kept)
    n1, c1, u1 = _unit(xp, call.a, axis, eps)
    n2, c2, u2 = _unit(xp, call.b, axis, eps)
    grad_a = _divided_backward(xp, call.a, n1, c1, g * u2, 2.0, axis)
    grad_b = _divided_backward(xp, call.b, n2, c2, g * u1, 2.0, axis)
    return call.grads(grad_a, grad_b)


def _pairwise_call(where, x1, x2, p, eps, keepdim, grad_output=None, backward=False):
    """``(call, p, out_shape)`` after pairwise_distance's checks; the norm runs over the last
    dimension of the broadcast shape."""
    call = _PairCall(where, x1, x2, grad_output)
    check_number(where, "eps", eps)
    if not isinstance(keepdim, bool):
        msg = f"{where}: keepdim must be a bool, got {type(keepdim).__name__} {keepdim!r}"
        raise TypeError(msg)
    p = check_p(where, p, call.work, (len(call.work) - 1,))
    out_shape = call.shape[:-1] + ((1,) if keepdim and call.shape else ())
    if backward:
        check_grad_output(where, grad_output, out_shape, x1.dtype)
    return call, p, out_shape


@kernel
def pairwise_distance(x1, x2, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False):
    r"""The ``p``-norm distance of ``x1`` and ``x2`` along their last dimension:
    ``||x1 - x2 + eps||_p``, as :class:`xpnet.nn.PairwiseDistance`.

    Args:
        x1: float array.
        x2: float array of ``x1``'s dtype, broadcastable with ``x1``.
        p: the norm's exponent, any real number (``inf``: largest ``|d|``, ``-inf``: smallest,
            ``0``: number of non-zeros). Default: 2.0.
        eps: added to every difference (keeps negative ``p`` finite). Default: 1e-6.
        keepdim: keep the reduced dimension with size 1. Default: ``False``.

    Returns:
        Array of the broadcast shape without its last dimension (size 1 with ``keepdim``).

    Raises:
        TypeError: non-float or mixed dtypes, a non-number ``p`` or ``eps``, a non-bool
            ``keepdim``.
        ValueError: shapes that do not broadcast, ``p = +-inf`` over an empty dimension.

    Example:
        >>> pairwise_distance(xp.asarray([[3.0, 4.0], [1.0, 1.0]]), xp.asarray([0.0, 0.0]), eps=0.0)
        array([5.        , 1.41421356])
    """
    call, p, out_shape = _pairwise_call("pairwise_distance", x1, x2, p, eps, keepdim)
    _, norm = distance(call.xp, call.a, call.b, p, eps)
    return call.finish(norm, out_shape)


@kernel
def pairwise_distance_backward(
    grad_output, x1, x2, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False
):
    """Gradients ``(grad_x1, grad_x2)`` of :func:`pairwise_distance`: PyTorch's
    ``norm_backward`` of ``d = x1 - x2 + eps`` for ``x1``, its negative for ``x2``, each summed
    back to its input's shape (0 where the norm is 0; 0 for ``p = 0``)."""
    where = "pairwise_distance_backward"
    call, p, _ = _pairwise_call(where, x1, x2, p, eps, keepdim, grad_output, True)
    xp = call.xp
    d, norm = distance(xp, call.a, call.b, p, eps)
    g = xp.reshape(grad_output.astype(call.dtype, copy=False), norm.shape)
    grad = vector_norm_backward(xp, d, norm, g, p, (d.ndim - 1,))
    return call.grads(grad, -grad)
