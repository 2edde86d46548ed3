"""The affine map ``input @ weight.T + bias`` and its backward function."""

from __future__ import annotations

from ._utils import ArgumentError, array_backend, compute_dtype, kernel

__all__ = ["linear", "linear_backward"]


def _prepare(where, input, weight, bias, grad_output=None):
    """``(xp, x, w)`` in the compute dtype, after checking every shape once."""
    backend = array_backend(where, input=input, weight=weight, bias=bias, grad_output=grad_output)
    if weight.ndim != 2:
        msg = (
            f"{where}: weight must have 2 dimensions (out_features, in_features), "
            f"got shape {weight.shape}"
        )
        raise ArgumentError(msg)
    if input.ndim == 0 or input.shape[-1] != weight.shape[1]:
        msg = (
            f"{where}: input's last dimension must equal weight's in_features, got input shape "
            f"{input.shape} and weight shape {weight.shape}"
        )
        raise ArgumentError(msg)
    if bias is not None and bias.shape != weight.shape[:1]:
        msg = f"{where}: bias must have shape {weight.shape[:1]} (out_features,), got {bias.shape}"
        raise ArgumentError(msg)
    if grad_output is not None:
        expected = input.shape[:-1] + weight.shape[:1]
        if grad_output.shape != expected:
            msg = f"{where}: grad_output must have shape {expected}, got {grad_output.shape}"
            raise ArgumentError(msg)
    xp = backend.xp
    dtype = compute_dtype(xp, input.dtype)
    return xp, input.astype(dtype, copy=False), weight.astype(dtype, copy=False)


@kernel
def linear(input, weight, bias=None):
    r"""Apply ``y = input @ weight.T + bias`` over the last axis.

    Args:
        input: array of shape (*, in_features); any number of leading axes, or none.
        weight: array of shape (out_features, in_features).
        bias: array of shape (out_features,), or ``None``. Default: ``None``.

    Shape:
        - Input: (*, in_features)
        - Output: (*, out_features)

    Returns:
        Array of the dtype of ``input``.

    Raises:
        ValueError: if ``weight`` is not 2-D, its in_features differ from the input's last
            dimension (the message shows both shapes), or ``bias`` has another shape.

    Example:
        >>> weight = xp.asarray([[1.0, 0.0], [1.0, 1.0]])
        >>> linear(xp.asarray([[1.0, 2.0]]), weight, xp.asarray([0.0, 10.0]))
        array([[ 1., 13.]])
    """
    xp, x, w = _prepare("linear", input, weight, bias)
    output = xp.matmul(x, w.T)
    if bias is not None:
        output = output + bias
    return output.astype(input.dtype, copy=False)


@kernel
def linear_backward(grad_output, input, weight, bias=None):
    """Gradients of :func:`linear`: ``(grad_input, grad_weight, grad_bias)``.

    ``grad_input = grad_output @ weight``; ``grad_weight = grad_output^T @ input`` and
    ``grad_bias = sum(grad_output)`` over all leading axes; ``grad_bias`` is ``None`` without
    a bias.
    """
    xp, x, w = _prepare("linear_backward", input, weight, bias, grad_output)
    grad = grad_output.astype(x.dtype, copy=False)
    flat_grad = grad.reshape(-1, w.shape[0])  # (rows, out_features)
    grad_input = xp.matmul(grad, w)
    grad_weight = xp.matmul(flat_grad.T, x.reshape(-1, w.shape[1]))
    grad_bias = None if bias is None else xp.sum(flat_grad, axis=0).astype(input.dtype)
    dtype = input.dtype
    return grad_input.astype(dtype, copy=False), grad_weight.astype(dtype, copy=False), grad_bias
