"""Pairwise distances between the rows of one matrix: ``pdist`` and its backward function.

``pdist(input, p)`` is the ``p``-norm of ``input[i] - input[j]`` for every pair ``i < j`` of
rows of an (N, M) input, in row-major order (``scipy.spatial.distance.pdist``'s condensed
form, as ``torch.pdist``). The norm is :mod:`._vector_norm`'s, but for ``p = 0`` PyTorch's
distance kernel's count (NaN at a NaN difference); the gradient follows PyTorch's
``_pdist_backward`` (aten/src/ATen/native/cpu/DistanceOpsKernel.cpp): 0 for a pair at
distance 0, ``sign(d)`` (NaN at NaN) for ``p = 1``, and for ``p = inf`` the full gradient to
every component whose ``|d|`` is the distance (ties are not shared, unlike ``norm``'s; NaN
where ``|d| - distance`` is, an infinite difference at an infinite distance too).
"""

from __future__ import annotations

import math

from ._blocks import check_fits
from ._checks import (
    ArgumentError,
    array_backend,
    check_grad_output,
    check_number,
    kernel,
    require_arrays,
)
from ._vector_norm import at_max_distance, count_differing, vector_norm, vector_norm_backward

__all__ = ["pdist", "pdist_backward"]


def _prepare(where, input, p, grad_output=None, backward=False):
    """``(backend, i, j, d)`` after PyTorch's checks: ``i, j`` the (P,) row pairs ``i < j``
    and ``d = input[i] - input[j]``, (P, M) in the compute dtype (float32 for float16)."""
    require_arrays(where, input=input)
    backend = array_backend(where, input=input, grad_output=grad_output)
    check_number(where, "p", p)
    if input.ndim != 2:
        msg = f"{where}: input must have 2 dimensions (N, M), got shape {input.shape}"
        raise ArgumentError(msg)
    if not p >= 0:  # NaN too, as PyTorch
        msg = f"{where}: p must be non-negative, got {p}"
        raise ArgumentError(msg)
    xp = backend.xp
    N, M = input.shape
    pairs = N * (N - 1) // 2
    itemsize = max(input.itemsize, 4)
    check_fits(where, backend, f"row differences of shape {(pairs, M)}", pairs * M * itemsize)
    if backward:
        check_grad_output(where, grad_output, (pairs,), input.dtype)
    i, j = xp.triu_indices(N, 1)  # (P,) each, row-major: (0, 1), (0, 2), ..., (1, 2), ...
    dtype = xp.float32 if input.dtype == xp.float16 else input.dtype
    x = input.astype(dtype)
    return backend, i, j, xp.take(x, i, axis=0) - xp.take(x, j, axis=0)


@kernel
def pdist(input, p: float = 2):
    r"""The ``p``-norm distance between every pair of rows of ``input``:
    ``output[k] = ||input[i] - input[j]||_p`` for the k-th pair ``i < j`` in row-major order.

    Args:
        input: float array of shape (N, M).
        p: the norm's p, a number in ``[0, inf]``. Default: 2.

    Returns:
        Array of shape (N * (N - 1) / 2,), the dtype of ``input``.

    Raises:
        TypeError: a non-float input, a non-number ``p``.
        ValueError: an input that is not 2-D, a negative ``p``.
        MemoryError: row differences larger than the backend can allocate.

    Note:
        float16 computes in float32 (PyTorch's CPU kernel refuses float16).

    Example:
        >>> pdist(xp.asarray([[0.0, 0.0], [3.0, 4.0], [6.0, 8.0]]))
        array([ 5., 10.,  5.])
    """
    backend, _, _, d = _prepare("pdist", input, p)
    xp = backend.xp
    if not d.shape[1]:  # no components: distance 0 for every p (the inf-norm's max has none)
        return xp.zeros(d.shape[0], dtype=input.dtype)
    if p == 0:
        return count_differing(xp, d).astype(input.dtype)
    return vector_norm(xp, d, float(p), (1,), keepdims=False).astype(input.dtype)


@kernel
def pdist_backward(grad_output, input, p: float = 2):
    """Gradient of :func:`pdist`: each pair's ``g = d(norm)/d(d) * grad_output[k]`` added to
    row ``i`` and subtracted from row ``j`` (PyTorch's conventions: see the module).

    Returns:
        ``grad_input``, the shape and dtype of ``input``.
    """
    backend, i, j, d = _prepare("pdist_backward", input, p, grad_output, backward=True)
    xp, p = backend.xp, float(p)
    if not d.size:
        return xp.zeros(input.shape, dtype=input.dtype)
    norm = vector_norm(xp, d, p, (1,))  # (P, 1)
    grad = grad_output.astype(d.dtype)[:, None]  # (P, 1)
    if p == 1:  # sign(NaN) is NaN here, as PyTorch's
        pair_grad = xp.sign(d) * grad
    elif math.isinf(p):
        pair_grad = at_max_distance(xp, d, norm) * grad
    else:
        pair_grad = vector_norm_backward(xp, d, norm, grad, p, (1,))
    grad_input = xp.zeros(input.shape, dtype=d.dtype)
    backend.scatter_add(grad_input, i, pair_grad)
    backend.scatter_add(grad_input, j, -pair_grad)
    return grad_input.astype(input.dtype, copy=False)
