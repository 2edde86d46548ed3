"""Softmax and log-softmax along one axis, with backward functions.

Both go through one stable log-softmax (the maximum subtracted first): logits of +-1000
give exact results. :mod:`xpnet.kernels.loss` builds cross-entropy on the same
``stable_log_softmax``, never on ``log(softmax)``.
"""

from __future__ import annotations

from ..backends import backend_of
from ._blocks import check_fits
from ._checks import as_index, check_axis, elementwise_input, kernel
from ._softmax_math import reduction_axis, stable_log_softmax

__all__ = ["log_softmax", "log_softmax_backward", "softmax", "softmax_backward"]


def _prepare(where, input, dim, grad_output=None):
    """``(xp, x, grad, dim)``: input and grad_output in the compute dtype, and ``dim`` an int,
    after the checks."""
    xp, x = elementwise_input(where, input, grad_output, backward=where.endswith("_backward"))
    given, dim = dim, as_index(dim)  # an int, or a one-element integer Tensor, as PyTorch's
    if dim is None:
        msg = f"{where}: dim must be an int, got {type(given).__name__} {given!r}"
        raise TypeError(msg)
    check_axis(where, input, dim)
    # the result and a shifted copy, checked before the max over the axis reads the input
    # (minutes for a broadcast input of 1e11 elements)
    nbytes = 2 * x.size * x.dtype.itemsize
    check_fits(where, backend_of(x), f"arrays of the input's shape {input.shape}", nbytes)
    grad = None if grad_output is None else grad_output.astype(x.dtype, copy=False)
    return xp, x, grad, dim


def _result(xp, value, input):
    """``value`` as an array of input's dtype: NumPy's arithmetic turns 0-d arrays into scalars."""
    return xp.asarray(value).astype(input.dtype, copy=False)


@kernel
def softmax(input, dim: int):
    r"""``exp(input) / sum(exp(input), dim)``, computed with the maximum subtracted first.

    Args:
        input: array of any shape.
        dim: the axis along which the result sums to 1.

    Returns:
        Array of the shape and dtype of ``input``.

    Raises:
        IndexError: if ``dim`` is not an axis of ``input`` (also a ValueError).

    Note:
        The array kernel requires ``dim``; the Tensor function
        (:func:`xpnet.nn.functional.softmax`) also takes PyTorch's deprecated ``dim=None``.

    Example:
        >>> softmax(xp.asarray([[1000.0, 1000.0, -1000.0]]), dim=1)
        array([[0.5, 0.5, 0. ]])
    """
    xp, x, _, dim = _prepare("softmax", input, dim)
    return _result(xp, xp.exp(stable_log_softmax(xp, x, dim)), input)


@kernel
def softmax_backward(grad_output, input, dim: int):
    """Gradient of :func:`softmax`: ``s * (grad_output - sum(grad_output * s, dim))``."""
    xp, x, grad, dim = _prepare("softmax_backward", input, dim, grad_output)
    s = xp.exp(stable_log_softmax(xp, x, dim))
    grad_input = s * (grad - xp.sum(grad * s, axis=reduction_axis(x, dim), keepdims=True))
    return _result(xp, grad_input, input)


@kernel
def log_softmax(input, dim: int):
    r"""``input - log(sum(exp(input), dim))``, stable for large logits.

    Args:
        input: array of any shape.
        dim: the axis to normalise over.

    Returns:
        Array of the shape and dtype of ``input``.

    Raises:
        IndexError: if ``dim`` is not an axis of ``input`` (also a ValueError).

    Example:
        >>> log_softmax(xp.asarray([[1000.0, 0.0]]), dim=1)
        array([[    0., -1000.]])
    """
    xp, x, _, dim = _prepare("log_softmax", input, dim)
    return _result(xp, stable_log_softmax(xp, x, dim), input)


@kernel
def log_softmax_backward(grad_output, input, dim: int):
    """Gradient of :func:`log_softmax`: ``grad_output - softmax * sum(grad_output, dim)``."""
    xp, x, grad, dim = _prepare("log_softmax_backward", input, dim, grad_output)
    s = xp.exp(stable_log_softmax(xp, x, dim))
    grad_input = grad - s * xp.sum(grad, axis=reduction_axis(x, dim), keepdims=True)
    return _result(xp, grad_input, input)
