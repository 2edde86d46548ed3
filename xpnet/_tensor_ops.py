"""The forward/backward pairs behind :class:`xpnet.Tensor`'s operators and methods.

``+ - * / ** @``, indexing, ``sum``, ``mean`` and ``reshape``: the arithmetic of Tensors
themselves, where :mod:`xpnet.kernels` holds the layers' numerics. They follow the kernels'
convention: ``<op>(*args)`` on arrays and ``<op>_backward(grad_output, *args)`` returning
the gradients of the array arguments. :mod:`xpnet.autograd` turns each pair into a
:class:`~xpnet.autograd.Function`. A Python number in place of an array gets a gradient
too; autograd drops it.
"""

from __future__ import annotations

import math

from .backends import backend_of


def _shape(value) -> tuple:
    return getattr(value, "shape", ())


def _unbroadcast(grad, shape: tuple):
    """Sum ``grad`` down to ``shape``: a broadcast input was used many times, so its
    gradient is the sum of the gradients of every copy."""
    extra = grad.ndim - len(shape)
    axes = tuple(range(extra)) + tuple(
        extra + i for i, n in enumerate(shape) if n == 1 and grad.shape[extra + i] != 1
    )
    # keepdims then reshape: an array even for shape (), where NumPy's sum gives a scalar
    if not axes:
        return grad
    return backend_of(grad).xp.reshape(grad.sum(axis=axes, keepdims=True), shape)


def add(a, b):
    return a + b


def add_backward(grad_output, a, b):
    return _unbroadcast(grad_output, _shape(a)), _unbroadcast(grad_output, _shape(b))


def sub(a, b):
    return a - b


def sub_backward(grad_output, a, b):
    return _unbroadcast(grad_output, _shape(a)), _unbroadcast(-grad_output, _shape(b))


def mul(a, b):
    return a * b


def mul_backward(grad_output, a, b):
    return _unbroadcast(grad_output * b, _shape(a)), _unbroadcast(grad_output * a, _shape(b))


def div(a, b):
    return a / b


def div_backward(grad_output, a, b):
    grad_a = grad_output / b
    return _unbroadcast(grad_a, _shape(a)), _unbroadcast(-grad_a * a / b, _shape(b))


def pow(a, exponent):
    return a**exponent


def pow_backward(grad_output, a, exponent):
    return grad_output * exponent * a ** (exponent - 1)


def matmul(a, b):
    return a @ b


def matmul_backward(grad_output, a, b):
    """``grad_a = grad_output @ b^T``, ``grad_b = a^T @ grad_output``; 1-d operands are
    treated as a row (``a``) or a column (``b``), as in the forward."""
    xp = backend_of(grad_output).xp
    a2 = a[None, :] if a.ndim == 1 else a
    b2 = b[:, None] if b.ndim == 1 else b
    grad = grad_output[..., None] if b.ndim == 1 else grad_output
    grad = xp.expand_dims(grad, -2) if a.ndim == 1 else grad
    grad_a = xp.reshape(_unbroadcast(grad @ xp.swapaxes(b2, -1, -2), a2.shape), a.shape)
    grad_b = xp.reshape(_unbroadcast(xp.swapaxes(a2, -1, -2) @ grad, b2.shape), b.shape)
    return grad_a, grad_b


def sum(a, dim=None, keepdim=False):
    return a.sum(axis=dim, keepdims=keepdim)


def sum_backward(grad_output, a, dim=None, keepdim=False):
    """Every summed element gets the gradient of its sum: broadcast it back."""
    xp = backend_of(grad_output).xp
    if dim is not None and not keepdim:
        axes = (dim,) if isinstance(dim, int) else tuple(dim)
        grad_output = xp.expand_dims(grad_output, tuple(axis % a.ndim for axis in axes))
    return xp.broadcast_to(grad_output, a.shape)


def mean(a, dim=None, keepdim=False):
    return a.mean(axis=dim, keepdims=keepdim)


def mean_backward(grad_output, a, dim=None, keepdim=False):
    axes = range(a.ndim) if dim is None else (dim,) if isinstance(dim, int) else dim
    count = math.prod(a.shape[axis] for axis in axes)
    return sum_backward(grad_output / count, a, dim, keepdim)


def reshape(a, shape):
    return backend_of(a).xp.reshape(a, shape)


def reshape_backward(grad_output, a, shape):
    return backend_of(grad_output).xp.reshape(grad_output, a.shape)


def getitem(a, index):
    return a[index]


def getitem_backward(grad_output, a, index):
    """Scatter-add into zeros: an element picked twice by fancy indexing gets both."""
    backend = backend_of(grad_output)
    grad = backend.xp.zeros(a.shape, dtype=grad_output.dtype)
    backend.scatter_add(grad, index, grad_output)
    return grad


def cast(a, dtype):
    return a.astype(dtype, copy=False)


def cast_backward(grad_output, a, dtype):
    """The gradient goes back in the input's dtype."""
    return grad_output.astype(a.dtype, copy=False)


def move(a, backend):
    """``a`` copied onto backend ``backend`` (a name); itself when it is already there."""
    from .backends import to_backend

    return to_backend(a, backend)


def move_backward(grad_output, a, backend):
    from .backends import backend_name_of, to_backend

    return to_backend(grad_output, backend_name_of(a))
