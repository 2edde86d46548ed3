"""Embedding lookup and its backward function.

``embedding(input, weight)`` is ``weight[input]``: integer indices of any shape pick rows of
the (num_embeddings, embedding_dim) table. The backward adds each output row's gradient into
its row of the table (the backend's ``scatter_add``: on a GPU an atomic add, so the float
sums of repeated indices are not bit-reproducible there), and leaves ``padding_idx``'s row at
zero, as PyTorch.
"""

from __future__ import annotations

import math

from ..backends import backend_of
from ._blocks import check_fits
from ._checks import (
    array_backend,
    check_grad_output,
    check_ndim,
    check_number,
    kernel,
    moved_backend,
    require_arrays,
)
from ._embedding_args import check_index_dtype, index_out_of_range, padding_index, renorm_rows

__all__ = ["embedding", "embedding_backward"]


def _check_call(where, input, weight, padding_idx, max_norm, sparse, grad_output=None):
    """``(backend, padding_idx)`` after the checks shared by the forward and the backward."""
    require_arrays(where, input=input, weight=weight)
    if grad_output is None and max_norm is None:  # a lookup moves any dtype, as PyTorch's
        backend = moved_backend(where, weight, why="weight")
    else:  # a norm or a gradient needs floats
        backend = array_backend(where, weight=weight, grad_output=grad_output)
    backend_of(input, weight, names=("input", "weight"), where=where)
    check_ndim(where, "weight", weight, (2,), "(num_embeddings, embedding_dim)")
    check_index_dtype(where, "input", input)
    if max_norm is not None:
        check_number(where, "max_norm", max_norm)
    if sparse:
        msg = f"{where}: sparse gradients are not implemented; use sparse=False"
        raise NotImplementedError(msg)
    num_embeddings = weight.shape[0]
    padding_idx = padding_index(where, padding_idx, num_embeddings)
    # before the range check: its min and max read every index (minutes for a broadcast 1e11)
    _check_fits(where, backend, input, weight, backward=grad_output is not None)
    if input.size:
        xp = backend.xp
        # one explicit device-to-host copy of two numbers: out-of-range rows must not be read
        low, high = backend.to_host(xp.stack([xp.min(input), xp.max(input)])).tolist()
        if low < 0 or high >= num_embeddings:
            raise index_out_of_range(where, low if low < 0 else high, num_embeddings)
    return backend, padding_idx


def _check_fits(where, backend, input, weight, backward):
    """MemoryError unless the output (forward), or the gradient rows in the compute dtype,
    their int64 indices and grad_weight (backward), fit."""
    embedding_dim = weight.shape[1]
    if not backward:
        shape = (*input.shape, embedding_dim)
        nbytes = math.prod(shape) * weight.itemsize
        check_fits(where, backend, f"an output of shape {shape}", nbytes)
        return
    itemsize = max(weight.itemsize, 4)  # float16 sums in float32
    rows = math.prod(input.shape)
    nbytes = rows * (embedding_dim * itemsize + 8) + weight.size * itemsize
    check_fits(where, backend, f"gradient rows of shape {(rows, embedding_dim)}", nbytes)


@kernel
def embedding(
    input,
    weight,
    padding_idx=None,
    max_norm=None,
    norm_type: float = 2.0,
    scale_grad_by_freq: bool = False,
    sparse: bool = False,
):
    r"""Look up rows of ``weight``: ``output[..., :] = weight[input[...], :]``.

    Args:
        input: integer array of indices in ``[0, num_embeddings)``, any shape.
        weight: array of shape (num_embeddings, embedding_dim): float, or with no
            ``max_norm`` of any bool or integer dtype too, as PyTorch's.
        padding_idx: a row that gets no gradient (negative: from the end). Default: ``None``.
        max_norm: rows looked up whose ``norm_type``-norm is larger are first scaled in
            ``weight`` itself, in place, to this norm (by ``max_norm / (norm + 1e-7)``, as
            PyTorch's ``embedding_renorm_``); the backward does not renormalise again.
            Default: ``None``.
        norm_type: the p of ``max_norm``'s norm. Default: 2.0.
        scale_grad_by_freq: divide each row's gradient by how often its index occurs in
            ``input`` (backward only). Default: ``False``.
        sparse: not implemented; must be ``False``.

    Returns:
        Array of shape ``input.shape + (embedding_dim,)`` in the dtype of ``weight``.

    Raises:
        TypeError: non-integer indices (also a ``RuntimeError``, as PyTorch's), a complex
            weight (with ``max_norm``, a non-float one), mixed backends.
        ValueError: a weight that is not 2-D, a ``padding_idx`` out of range (also an
            ``AssertionError``, as PyTorch's).
        IndexError: an index outside ``[0, num_embeddings)`` (also a ``RuntimeError``, as
            PyTorch's for an empty table).
        NotImplementedError: ``sparse``.
        MemoryError: an output larger than the backend can allocate.

    Example:
        >>> weight = xp.asarray([[0.0, 0.0], [1.0, 2.0], [3.0, 4.0]])
        >>> embedding(xp.asarray([[2, 1]]), weight)
        array([[[3., 4.],
                [1., 2.]]])
    """
    backend, _ = _check_call("embedding", input, weight, padding_idx, max_norm, sparse)
    if max_norm is not None and input.size:
        # as PyTorch's, in place and outside autograd: the lookup reads the scaled rows
        renorm_rows(backend, weight, input.reshape(-1), max_norm, norm_type)
    shape = (*input.shape, weight.shape[1])
    return backend.xp.take(weight, input.reshape(-1), axis=0).reshape(*shape)


@kernel
def embedding_backward(
    grad_output,
    input,
    weight,
    padding_idx=None,
    max_norm=None,
    norm_type: float = 2.0,
    scale_grad_by_freq: bool = False,
    sparse: bool = False,
):
    """Gradient of :func:`embedding` with respect to ``weight`` (``input`` holds integers
    and has none): ``grad_weight[i] = sum of grad_output rows whose index is i`` (divided by
    that count with ``scale_grad_by_freq``), zero at ``padding_idx``.

    Returns:
        ``(None, grad_weight)``: the gradients of ``(input, weight)``.
    """
    where = "embedding_backward"
    backend, padding_idx = _check_call(
        where, input, weight, padding_idx, max_norm, sparse, grad_output
    )
    xp = backend.xp
    check_grad_output(where, grad_output, (*input.shape, weight.shape[1]), weight.dtype)
    dtype = xp.float32 if weight.dtype == xp.float16 else weight.dtype
    # (L, D); L spelled out: -1 cannot be inferred when embedding_dim is 0
    rows = grad_output.reshape(input.size, weight.shape[1]).astype(dtype)
    indices = input.reshape(-1).astype(xp.int64)
    if scale_grad_by_freq:
        counts = xp.zeros(weight.shape[0], dtype=dtype)
        backend.scatter_add(counts, indices, xp.ones(indices.shape, dtype=dtype))
        rows = rows / xp.take(counts, indices)[:, None]
    grad_weight = xp.zeros(weight.shape, dtype=dtype)
    backend.scatter_add(grad_weight, indices, rows)
    if padding_idx is not None:
        grad_weight[padding_idx] = 0
    return None, grad_weight.astype(weight.dtype, copy=False)
