"""Differentiable backwards (:mod:`xpnet._double_backward`) of convolutions, max pooling and
dropout, for :mod:`xpnet.nn._double_backward_layers`.

A convolution's gradients are bilinear: ``grad_input`` in (``grad_output``, ``weight``),
``grad_weight`` in (``grad_output``, ``input``). Each is a Function of its own here, whose
first-order backward runs the existing kernels (the convolution itself and its
``_backward``) and whose formula is made of the same Functions again, so that every order
is covered, as PyTorch's ``convolution_backward`` double backward (:data:`GRADIENTS` holds
them for the transposed convolutions' formulas). Max pooling's gradient
is a scatter of ``grad_output`` to the saved indices of the maxima (linear in it, of
derivative 0 in ``input``); its adjoint is a gather at those indices. Dropout's gradient is
``grad_output`` times the saved mask's scale.
"""

from __future__ import annotations

import math

from .. import kernels as K
from .._double_backward import differentiable_backward
from .._double_backward_ops import needs, zeros_like
from ..autograd import Function, Tensor, data_of
from ..backends import backend_of
from . import functional as F

__all__ = ["GRADIENTS"]


def _convolution(nd: int) -> None:
    """Register the formulas of ``conv{nd}d`` and of its two gradient Functions."""
    conv, conv_backward = getattr(K, f"conv{nd}d"), getattr(K, f"conv{nd}d_backward")
    lifted = getattr(F, f"conv{nd}d")

    def input_grad(grad_output, weight, input, stride, padding, dilation, groups):
        options = (stride, padding, dilation, groups)
        return conv_backward(grad_output, input, weight, None, *options, output_mask=_INPUT)[0]

    def input_grad_backward(grad, grad_output, weight, input, *options, output_mask=(1, 1)):
        return (
            conv(grad, weight, None, *options) if output_mask[0] else None,
            weight_grad(grad_output, grad, weight, *options) if output_mask[1] else None,
        )

    def weight_grad(grad_output, input, weight, stride, padding, dilation, groups):
        options = (stride, padding, dilation, groups)
        return conv_backward(grad_output, input, weight, None, *options, output_mask=_WEIGHT)[1]

    def weight_grad_backward(grad, grad_output, input, weight, *options, output_mask=(1, 1)):
        return (
            conv(input, grad, None, *options) if output_mask[0] else None,
            input_grad(grad_output, grad, input, *options) if output_mask[1] else None,
        )

    for function in (input_grad, input_grad_backward, weight_grad, weight_grad_backward):
        function.__name__ = f"conv{nd}d_{function.__name__}"
    grad_input = Function(input_grad, input_grad_backward, wrt=("grad_output", "weight"))
    grad_weight = Function(weight_grad, weight_grad_backward, wrt=("grad_output", "input"))
    GRADIENTS[nd] = grad_input, grad_weight  # conv_transpose's formula reuses them

    @differentiable_backward(conv_backward)
    def formula(grad_output, input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
        options = (stride, padding, dilation, groups)
        channels = grad_output.ndim - nd - 1  # 1 batched, 0 unbatched
        others = tuple(d for d in range(grad_output.ndim) if d != channels)
        return (
            grad_input(grad_output, weight, input.array, *options) if needs(input) else None,
            grad_weight(grad_output, input, weight.array, *options) if needs(weight) else None,
            grad_output.sum(others) if needs(bias) else None,
        )

    @differentiable_backward(input_grad_backward)
    def input_grad_formula(grad, grad_output, weight, input, *options):
        return (
            lifted(grad, weight, None, *options) if needs(grad_output) else None,
            grad_weight(grad_output, grad, data_of(weight), *options) if needs(weight) else None,
        )

    @differentiable_backward(weight_grad_backward)
    def weight_grad_formula(grad, grad_output, input, weight, *options):
        return (
            lifted(input, grad, None, *options) if needs(grad_output) else None,
            grad_input(grad_output, grad, data_of(input), *options) if needs(input) else None,
        )


_INPUT, _WEIGHT = (True, False, False), (False, True, False)  # conv backward's output_mask
GRADIENTS: dict = {}  # nd -> (grad_input, grad_weight): conv{nd}d's gradients as Functions
for _nd in (1, 2, 3):
    _convolution(_nd)
del _nd


# -- max pooling: a scatter to the maxima and its adjoint, a gather -------------------------
def _flat_indices(indices, shape: tuple, nd: int):
    """``(flat, valid)``: each maximum's position in the flattened input of ``shape``, from
    PyTorch's indices within a plane of its ``nd`` last dims; ``valid`` false for a window
    wholly in the padding (its index points past the plane), whose position is 0 then."""
    xp, plane = backend_of(indices).xp, math.prod(shape[-nd:])
    rows = math.prod(shape[:-nd])
    inside = xp.reshape(indices, (rows, -1))  # (rows, outputs per plane)
    valid = (inside >= 0) & (inside < plane)
    starts = xp.arange(rows, dtype=inside.dtype)[:, None] * plane
    return xp.reshape(xp.where(valid, inside + starts, 0), (-1,)), xp.reshape(valid, (-1,))


def scatter_to_maxima(grad_output, input, indices, nd):
    """``grad_output`` added into zeros of ``input``'s shape at the maxima ``indices``."""
    backend = backend_of(grad_output)
    flat, valid = _flat_indices(indices, input.shape, nd)
    grad = backend.xp.zeros(input.size, dtype=grad_output.dtype)
    values = backend.xp.where(valid, backend.xp.reshape(grad_output, (-1,)), 0)
    backend.scatter_add(grad, flat, values)
    return backend.xp.reshape(grad, input.shape)


def gather_maxima(source, indices, nd):
    """The elements of ``source`` at the maxima ``indices`` (0 for an empty window)."""
    xp = backend_of(source).xp
    flat, valid = _flat_indices(indices, source.shape, nd)
    picked = xp.where(valid, xp.take(xp.reshape(source, (-1,)), flat), 0)
    return xp.reshape(picked, indices.shape)


def scatter_to_maxima_backward(grad, grad_output, input, indices, nd):
    return gather_maxima(grad, indices, nd), backend_of(input).xp.zeros_like(input)


def gather_maxima_backward(grad, source, indices, nd):
    return scatter_to_maxima(grad, source, indices, nd)


_scatter = Function(scatter_to_maxima, scatter_to_maxima_backward, wrt=("grad_output", "input"))
_gather = Function(gather_maxima, gather_maxima_backward, wrt=("source",))


@differentiable_backward(scatter_to_maxima_backward)
def _scatter_formula(grad, grad_output, input, indices, nd):
    return _gather(grad, indices, nd) if needs(grad_output) else None, zeros_like(input)


@differentiable_backward(gather_maxima_backward)
def _gather_formula(grad, source, indices, nd):
    return _scatter(grad, source, indices, nd)


def _max_pooling(nd: int, backward) -> None:
    @differentiable_backward(backward)
    def formula(grad_output, input, *options, indices, **kwargs):
        return _scatter(grad_output, input, indices, nd)


for _nd, _backward in (
    (1, K.max_pool1d_backward),
    (2, K.max_pool2d_backward),
    (3, K.max_pool3d_backward),
    (1, K.adaptive_max_pool1d_backward),
    (2, K.adaptive_max_pool2d_backward),
    (3, K.adaptive_max_pool3d_backward),
    (2, K.fractional_max_pool2d_backward),
    (3, K.fractional_max_pool3d_backward),
):
    _max_pooling(_nd, _backward)
del _nd, _backward


def _dropout(backward) -> None:
    """Register ``backward``'s formula: ``grad * scale``, where ``scale`` (0 where dropped,
    the kept elements' scale elsewhere) is ``backward``'s own gradient of ones."""

    @differentiable_backward(backward)
    def formula(grad_output, input, *args, **kwargs):
        ones = backend_of(input.array).xp.ones(input.shape, dtype=grad_output.dtype)
        return grad_output * Tensor(backward(ones, input.array, *args, **kwargs))


for _backward in (
    K.dropout_backward,
    K.dropout1d_backward,
    K.dropout2d_backward,
    K.dropout3d_backward,
    K.alpha_dropout_backward,
    K.feature_alpha_dropout_backward,
):
    _dropout(_backward)
del _backward
