"""Power-average pooling, ``lp_pool1d/2d/3d``, and its backward functions.

PyTorch's definition (``torch.nn.functional.lp_pool2d``), step for step, on the average
pools' bodies (:func:`.avg_pooling.avg_pool`, no padding): ``out = avg_pool(x ** p)``, then
``(sign(out) * relu(|out|) * kH * kW) ** (1 / p)``; ``p = +-inf`` is max pooling of ``|x|``
(:func:`.max_pooling.max_pool`), negated for ``-inf``. The backward is PyTorch autograd's
chain through those steps, so a window whose powers sum to zero gets a zero gradient (relu's
gradient at 0) and NaN, inf and the ``ceil_mode`` divisor reach what PyTorch's reach.
"""

from __future__ import annotations

import math

from ._checks import (
    array_backend,
    check_grad_output,
    check_number,
    elementwise_input,
    kernel,
    to_tuple,
)
from .avg_pooling import avg_pool, avg_pool_backward
from .max_pooling import max_pool, max_pool_backward

__all__ = [
    "lp_pool1d",
    "lp_pool1d_backward",
    "lp_pool2d",
    "lp_pool2d_backward",
    "lp_pool3d",
    "lp_pool3d_backward",
]

_INF = float("inf")


def _check_norm_type(where, norm_type):
    """A real number other than 0 (PyTorch divides by it: ZeroDivisionError)."""
    check_number(where, "norm_type", norm_type)
    if norm_type == 0:
        msg = f"{where}: norm_type must be non-zero (the result is a 1 / norm_type power), got 0"
        raise ZeroDivisionError(msg)


def _steps(where, nd, input, norm_type, kernel_size, stride, ceil_mode):
    """(xp, x, powered = x ** p, out = avg_pool(powered), window size K), in the compute
    dtype."""
    xp, x = elementwise_input(where, input)
    powered = _torch_power(xp, x, float(norm_type))
    out = avg_pool(where, nd, powered, kernel_size, stride, 0, ceil_mode, True, None)
    return xp, x, powered, out, math.prod(to_tuple(where, "kernel_size", kernel_size, nd))


def _torch_power(xp, x, exponent: float):
    """``x ** exponent`` as PyTorch's ``pow`` computes it: by ``sqrt`` for 0.5 and ``1 / sqrt``
    for -0.5, so that -0.0 gives -0.0 and -inf there (``power`` gives +0.0 and +inf)."""
    if exponent == 0.5:
        return xp.sqrt(x)
    if exponent == -0.5:
        return 1.0 / xp.sqrt(x)
    return xp.power(x, exponent)


def _sign(xp, out):
    """``torch.sign``: 0 for NaN (NumPy's is NaN) and for -0.0."""
    return xp.where(out != out, 0.0, xp.sign(out)).astype(out.dtype, copy=False) + 0.0


def lp_pool(where, nd, input, norm_type, kernel_size, stride, ceil_mode):
    """The body of ``lp_pool{nd}d``, reporting errors as ``where``."""
    _check_norm_type(where, norm_type)
    if abs(norm_type) == _INF:
        xp, x = elementwise_input(where, input)
        sign = 1.0 if norm_type > 0 else -1.0
        options = (kernel_size, stride, 0, 1, ceil_mode, False)
        output = sign * max_pool(where, nd, sign * xp.abs(x), *options)
        return output.astype(input.dtype, copy=False)
    xp, _, _, out, K = _steps(where, nd, input, norm_type, kernel_size, stride, ceil_mode)
    total = _sign(xp, out) * xp.maximum(xp.abs(out), 0.0) * K  # NaN stays NaN, as relu's
    return xp.power(total, 1.0 / norm_type).astype(input.dtype, copy=False)


def lp_pool_backward(where, nd, grad_output, input, norm_type, kernel_size, stride, ceil_mode):
    """The body of ``lp_pool{nd}d_backward``: PyTorch autograd's chain through the forward."""
    _check_norm_type(where, norm_type)
    xp, x = elementwise_input(where, input)
    if abs(norm_type) == _INF:
        sign = 1.0 if norm_type > 0 else -1.0
        magnitudes = sign * xp.abs(x)
        options = (kernel_size, stride, 0, 1, ceil_mode, False)
        shape = max_pool(where, nd, magnitudes, *options).shape
        _check_grad(where, grad_output, input, shape)
        grad = grad_output.astype(x.dtype, copy=False)
        pooled = max_pool_backward(where, nd, grad, magnitudes, *options[:-1], None)
        return (pooled * _sign(xp, x)).astype(input.dtype, copy=False)
    xp, x, powered, out, K = _steps(where, nd, input, norm_type, kernel_size, stride, ceil_mode)
    _check_grad(where, grad_output, input, out.shape)
    sign, relu = _sign(xp, out), xp.maximum(xp.abs(out), 0.0)
    total = sign * relu * K
    exponent = 1.0 / norm_type
    grad = grad_output.astype(x.dtype, copy=False) * (exponent * xp.power(total, exponent - 1.0))
    grad = grad * K * sign  # through the product with K, then sign(out) * relu(|out|)
    grad = xp.where(relu <= 0, 0.0, grad) * sign  # relu's gradient (0 at 0), then abs's
    options = (kernel_size, stride, 0, ceil_mode, True, None)
    grad = avg_pool_backward(where, nd, grad.astype(x.dtype, copy=False), powered, *options)
    grad = grad * (norm_type * _torch_power(xp, x, float(norm_type) - 1.0))
    return grad.astype(input.dtype, copy=False)


def _check_grad(where, grad_output, input, shape):
    """``grad_output``: an array of the forward's output shape, ``input``'s dtype and backend."""
    check_grad_output(where, grad_output, shape, input.dtype)
    array_backend(where, input=input, grad_output=grad_output)


@kernel
def lp_pool1d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    r"""Power-average pooling over windows of length k, as ``torch.nn.functional.lp_pool1d``:
    ``(sum over the window of x ** p) ** (1 / p)``, computed as PyTorch does (see
    :func:`lp_pool2d`).

    Args:
        input: array (N, C, L) or (C, L).
        norm_type, kernel_size, stride, ceil_mode: as :func:`lp_pool2d`, in 1-D.

    Returns:
        Array (N, C, L_out), L_out = floor((L - k) / stride) + 1 (``ceil`` in ceil_mode).

    Raises:
        As :func:`lp_pool2d`.

    Example:
        >>> lp_pool1d(xp.asarray([[[3.0, 4.0, 1.0, 0.0]]]), 2, 2)
        array([[[5., 1.]]])
    """
    return lp_pool("lp_pool1d", 1, input, norm_type, kernel_size, stride, ceil_mode)


@kernel
def lp_pool2d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    r"""Power-average pooling over kH x kW windows, as ``torch.nn.functional.lp_pool2d``.

    ``f(X) = (sum_{x in X} x ** p) ** (1 / p)``, computed as PyTorch does:
    ``avg_pool2d(x ** p)`` (no padding) times ``kH * kW``, through ``sign(.) * relu(|.|)``,
    to the power ``1 / p``. So a ``ceil_mode`` window cut by the input's edge is scaled by the
    full window over the part inside, negative sums (odd ``p``) give NaN unless ``1 / p`` is
    an integer, and a window whose powers sum to zero has a zero gradient (PyTorch's choice).
    ``p = inf`` is the maximum of ``|x|``, ``p = -inf`` minus the maximum of ``-|x|``.

    Args:
        input: array (N, C, H, W) or (C, H, W).
        norm_type: the power p, a non-zero number (``float('inf')`` allowed).
        kernel_size: window size, int or pair (kH, kW).
        stride: step between windows, int or pair. Default: ``kernel_size``.
        ceil_mode: round the output size up. Default: ``False``.

    Shape:
        - Output: (N, C, H_out, W_out), H_out = floor((H - kH) / stride[0]) + 1 (``ceil`` in
          ceil_mode; a window starting past the input is dropped).

    Returns:
        Array of ``input``'s dtype (float16 computes in float32 and rounds once).

    Raises:
        TypeError: a non-float input, a ``norm_type`` that is not a number.
        ZeroDivisionError: ``norm_type=0``, as PyTorch. ValueError: as :func:`avg_pool2d`.

    Example:
        >>> lp_pool2d(xp.asarray([[[[1.0, 2.0], [2.0, 4.0]]]]), 2, 2)
        array([[[[5.]]]])
    """
    return lp_pool("lp_pool2d", 2, input, norm_type, kernel_size, stride, ceil_mode)


@kernel
def lp_pool3d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    r"""Power-average pooling over kD x kH x kW windows, as ``torch.nn.functional.lp_pool3d``
    (see :func:`lp_pool2d`).

    Args:
        input: array (N, C, D, H, W) or (C, D, H, W).
        norm_type, kernel_size, stride, ceil_mode: as :func:`lp_pool2d`, in 3-D.

    Returns:
        Array (N, C, D_out, H_out, W_out), each as :func:`lp_pool2d`'s H_out.

    Raises:
        As :func:`lp_pool2d`.

    Example:
        >>> lp_pool3d(xp.ones((1, 1, 2, 2, 2)), 1, 2)
        array([[[[[8.]]]]])
    """
    return lp_pool("lp_pool3d", 3, input, norm_type, kernel_size, stride, ceil_mode)


@kernel
def lp_pool1d_backward(grad_output, input, norm_type, kernel_size, stride=None, ceil_mode=False):
    r"""Gradient of :func:`lp_pool1d` with respect to ``input``: PyTorch autograd's chain
    (see :func:`lp_pool2d_backward`).

    Example:
        >>> lp_pool1d_backward(xp.ones((1, 1, 1)), xp.asarray([[[3.0, 4.0]]]), 2, 2)
        array([[[0.6, 0.8]]])
    """
    options = (norm_type, kernel_size, stride, ceil_mode)
    return lp_pool_backward("lp_pool1d_backward", 1, grad_output, input, *options)


@kernel
def lp_pool2d_backward(grad_output, input, norm_type, kernel_size, stride=None, ceil_mode=False):
    r"""Gradient of :func:`lp_pool2d` with respect to ``input``.

    PyTorch autograd's chain through the forward's steps: ``grad * (1/p) * v ** (1/p - 1)``
    at the scaled average ``v``, zero where the window's powers sum to zero (relu's gradient),
    spread by :func:`avg_pool2d_backward`, times ``p * x ** (p - 1)``. For ``p = +-inf``
    the maximum's element gets ``grad * sign(x)``.

    Example:
        >>> x = xp.asarray([[[[3.0, 0.0], [0.0, 4.0]]]])
        >>> lp_pool2d_backward(xp.ones((1, 1, 1, 1)), x, 2, 2)[0, 0]
        array([[0.6, 0. ],
               [0. , 0.8]])
    """
    options = (norm_type, kernel_size, stride, ceil_mode)
    return lp_pool_backward("lp_pool2d_backward", 2, grad_output, input, *options)


@kernel
def lp_pool3d_backward(grad_output, input, norm_type, kernel_size, stride=None, ceil_mode=False):
    r"""Gradient of :func:`lp_pool3d` with respect to ``input`` (see
    :func:`lp_pool2d_backward`).

    Example:
        >>> lp_pool3d_backward(xp.ones((1, 1, 1, 1, 1)), xp.ones((1, 1, 1, 1, 2)), 1, (1, 1, 2))
        array([[[[[1., 1.]]]]])
    """
    options = (norm_type, kernel_size, stride, ceil_mode)
    return lp_pool_backward("lp_pool3d_backward", 3, grad_output, input, *options)
