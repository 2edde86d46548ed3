"""The affine map ``input @ weight.T + bias`` and its backward function."""

from __future__ import annotations

import math

from ._blocks import (
    Groups,
    check_fits,
    compute_dtype,
    group_sums,
    matmul_rows,
    row_blocks,
    too_little_for_threads,
)
from ._checks import ArgumentError, array_backend, check_grad_output, kernel, require_arrays

__all__ = ["linear", "linear_backward"]


def _prepare(where, input, weight, bias, grad_output=None, backward=False):
    """``(backend, x, w)``: ``x`` the input as rows (M, in_features) and ``w`` the weight, in
    the compute dtype, after checking every shape once."""
    require_arrays(where, input=input, weight=weight)
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
    if backward:
        expected = input.shape[:-1] + weight.shape[:1]
        check_grad_output(where, grad_output, expected, input.dtype, of=None)
    dtype = compute_dtype(backend.xp, input.dtype)
    rows = math.prod(input.shape[:-1])
    _check_linear_fits(where, backend, input, weight, rows, dtype, backward)
    # rows named, not -1: reshape(-1, 0) is ambiguous when in_features is 0
    x = input.astype(dtype, copy=False).reshape(rows, weight.shape[1])
    return backend, x, weight.astype(dtype, copy=False)


def _check_linear_fits(where, backend, input, weight, rows, dtype, backward):
    """MemoryError before allocating what would not fit: the output (forward) or grad_input
    and grad_weight (backward), plus the input's copy where the compute dtype is wider; a
    broadcast input of 1e10 rows costs nothing until then."""
    out_features, in_features = weight.shape
    if backward:
        elements = rows * in_features + out_features * in_features
    else:
        elements = rows * out_features
    if dtype != input.dtype:
        elements += rows * in_features
    nbytes = elements * backend.xp.dtype(dtype).itemsize
    if nbytes <= backend.free_memory():  # the message only past this: formatting costs a µs
        return
    if backward:
        what = f"a gradient of shape {input.shape}"
    else:
        what = f"an output of shape {(*input.shape[:-1], out_features)}"
    check_fits(where, backend, what, nbytes)


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
        MemoryError: an output larger than the backend can allocate (before allocating).

    Example:
        >>> weight = xp.asarray([[1.0, 0.0], [1.0, 1.0]])
        >>> linear(xp.asarray([[1.0, 2.0]]), weight, xp.asarray([0.0, 10.0]))
        array([[ 1., 13.]])
    """
    backend, x, w = _prepare("linear", input, weight, bias)
    output = matmul_rows(backend, x, w.T)  # (M, out_features), rows on the block threads
    if bias is not None:
        output += bias
    return output.reshape(*input.shape[:-1], w.shape[0]).astype(input.dtype, copy=False)


@kernel
def linear_backward(grad_output, input, weight, bias=None):
    """Gradients of :func:`linear`: ``(grad_input, grad_weight, grad_bias)``.

    ``grad_input = grad_output @ weight``; ``grad_weight = grad_output^T @ input`` and
    ``grad_bias = sum(grad_output)`` over all leading axes; ``grad_bias`` is ``None`` without
    a bias.
    """
    backend, x, w = _prepare("linear_backward", input, weight, bias, grad_output, backward=True)
    grad = grad_output.astype(x.dtype, copy=False).reshape(x.shape[0], w.shape[0])  # (M, out)
    grad_input = matmul_rows(backend, grad, w).reshape(input.shape)

    def sum_rows(rows, grad_weight):
        grad_weight += backend.xp.matmul(grad[rows].T, x[rows])

    blocks = row_blocks(backend, x.shape[0], w.size)
    groups = Groups(
        [[rows] for rows in blocks], len(blocks), too_little_for_threads(x.size * len(w))
    )
    (grad_weight,) = group_sums(backend, sum_rows, groups, [w.shape], x.dtype)
    grad_bias = None if bias is None else backend.xp.sum(grad, axis=0).astype(input.dtype)
    dtype = input.dtype
    return grad_input.astype(dtype, copy=False), grad_weight.astype(dtype, copy=False), grad_bias
