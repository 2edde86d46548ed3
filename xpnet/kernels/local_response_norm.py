"""Local response normalization across channels, ``local_response_norm``, and its backward.

PyTorch's definition (``torch.nn.functional.local_response_norm``): each element is divided
by ``(k + alpha * mean(x ** 2 over a window of size channels)) ** beta``, the window running
from ``size // 2`` channels before to ``(size - 1) // 2`` after, zeros past the edges counted
(PyTorch's ``avg_pool`` over zero-padded channels). The window sums add ``size`` shifted
slices of the padded squares (deterministic, no cumulative-sum cancellation); the backward
is PyTorch autograd's chain, its window sum the same helper with the padding mirrored.
Neighbours: the other normalizations in :mod:`.layer_norm`, :mod:`.group_norm`,
:mod:`.batch_norm`.
"""

from __future__ import annotations

from ._checks import (
    ArgumentError,
    array_backend,
    check_grad_output,
    check_int,
    check_number,
    elementwise_input,
    kernel,
)

__all__ = ["local_response_norm", "local_response_norm_backward"]


def _window_sum(xp, values, before, after):
    """Sum of ``values`` (N, C, ...) over the channels ``[c - before, c + after]`` of each
    channel ``c``, zeros past the edges: (N, C, ...)."""
    C = values.shape[1]
    padded = xp.zeros((values.shape[0], C + before + after, *values.shape[2:]), values.dtype)
    padded[:, before : before + C] = values
    total = padded[:, :C].copy()
    for offset in range(1, before + after + 1):
        total += padded[:, offset : offset + C]
    return total


def _prepare(where, input, size, alpha, beta, k, grad_output=None, backward=False):
    """(xp, x in its compute dtype, the divisor's base ``k + alpha * mean(x ** 2)``)."""
    xp, x = elementwise_input(where, input)
    check_int(where, "size", size)
    for name, value in (("alpha", alpha), ("beta", beta), ("k", k)):
        check_number(where, name, value)
    if input.ndim < 3:
        msg = f"{where}: input must have 3 or more dimensions (N, C, ...), got shape {input.shape}"
        raise ArgumentError(msg)
    if size < 1:
        msg = f"{where}: size must be at least 1, got {size}"
        raise ArgumentError(msg)
    if backward:
        check_grad_output(where, grad_output, input.shape, input.dtype, of="input")
        array_backend(where, input=input, grad_output=grad_output)
    if x.size == 0:
        return xp, x, None
    mean = _window_sum(xp, x * x, size // 2, (size - 1) // 2) / size
    return xp, x, mean * alpha + k


@kernel
def local_response_norm(input, size, alpha=1e-4, beta=0.75, k=1.0):
    r"""Normalize each element by its neighbours across channels, as
    ``torch.nn.functional.local_response_norm``.

    .. math::
        y_c = x_c \left(k + \frac{\alpha}{n} \sum_{c'=c-\lfloor n/2 \rfloor}^{c +
        \lfloor (n-1)/2 \rfloor} x_{c'}^2\right)^{-\beta}

    with ``n = size`` and channels outside ``[0, C)`` counted as zeros.

    Args:
        input: array (N, C, *) with at least 3 dimensions.
        size: the number of neighbouring channels in the window, at least 1.
        alpha: multiplier of the mean of squares. Default: 1e-4.
        beta: exponent. Default: 0.75.
        k: additive constant. Default: 1.0.

    Returns:
        Array of ``input``'s shape and dtype (float16 computes in float32, rounded once).

    Raises:
        TypeError: a non-float input, a non-int ``size``, a non-number ``alpha``, ``beta``,
        ``k``. ValueError: fewer than 3 dimensions, ``size < 1``.

    Example:
        >>> local_response_norm(xp.asarray([[[1.0], [2.0]]]), 2, alpha=1.0, beta=1.0, k=0.0)
        array([[[2. ],
                [0.8]]])
    """
    xp, x, base = _prepare("local_response_norm", input, size, alpha, beta, k)
    if base is None:
        return input[...]
    return (x / xp.power(base, beta)).astype(input.dtype, copy=False)


@kernel
def local_response_norm_backward(grad_output, input, size, alpha=1e-4, beta=0.75, k=1.0):
    r"""Gradient of :func:`local_response_norm` with respect to ``input``.

    PyTorch autograd's chain: ``grad / d`` with ``d = base ** beta``, plus, through the
    divisor, ``-grad * x / d ** 2 * beta * base ** (beta - 1) * alpha / size`` summed over the
    windows holding each channel, times ``2 x``.

    Example:
        >>> x = xp.asarray([[[1.0], [2.0]]])
        >>> local_response_norm_backward(xp.ones((1, 2, 1)), x, 1, alpha=1.0, beta=1.0, k=0.0)
        array([[[-1.  ],
                [-0.25]]])
    """
    where = "local_response_norm_backward"
    xp, x, base = _prepare(where, input, size, alpha, beta, k, grad_output, backward=True)
    if base is None:
        return xp.zeros(input.shape, dtype=input.dtype)
    grad = grad_output.astype(x.dtype, copy=False)
    divisor = xp.power(base, beta)
    grad_divisor = -grad * ((x / divisor) / divisor)
    grad_mean = grad_divisor * (beta * xp.power(base, beta - 1.0)) * alpha
    grad_squares = _window_sum(xp, grad_mean, (size - 1) // 2, size // 2) / size
    grad_input = grad / divisor + grad_squares * (2.0 * x)
    return grad_input.astype(input.dtype, copy=False)
