"""Bags of embeddings: ``embedding_bag``, its backward function, and ``embedding_bag_indices``
(the bag of each entry, bag sizes and max rows that ``torch.embedding_bag`` returns too).

``embedding_bag`` sums, averages or takes the largest of the rows of ``weight`` that each bag
of indices picks, without a ``(L, embedding_dim)`` result per index for the caller. Bags are
the rows of a 2-D ``input``, or the runs of a 1-D ``input`` that ``offsets`` starts. Entries
equal to ``padding_idx`` are left out of every bag (and of a mean's count); an empty bag gives
zeros. Sums go through the backend's ``scatter_add`` (on a GPU an atomic add, so they are not
bit-reproducible there). ``mode='max'`` keeps, per bag and column, the first of the largest
values, as PyTorch's CPU loop (``if first or value > current``: a NaN wins only as a bag's
first entry), found by two stable sorts instead of a loop; its backward finds them again.
``max_norm`` renormalises the looked-up rows of ``weight`` in place first (in
:mod:`._embedding_args`, shared with :mod:`.embedding`).
"""

from __future__ import annotations

from collections import namedtuple

from ..backends import backend_of
from ._checks import (
    ArgumentError,
    array_backend,
    check_grad_output,
    check_ndim,
    check_number,
    kernel,
    require_arrays,
)
from ._embedding_args import check_index_dtype, padding_index, renorm_rows, rows_in_range

__all__ = ["embedding_bag", "embedding_bag_backward"]

_MODES = ("sum", "mean", "max")
# what the forward and the backward share: the bag of each entry (int64, (L,)), whether it
# counts (not padding_idx), the row indices clipped into range, and the number of bags
_Bags = namedtuple("_Bags", "backend indices bag valid count psw")


def _check_mode(where, mode, scale_grad_by_freq, sparse, per_sample_weights, max_norm):
    """PyTorch's checks of the options, in its order."""
    if mode not in _MODES:
        msg = f"{where}: mode must be one of 'sum', 'mean' or 'max', got {mode!r}"
        raise ArgumentError(msg)
    if mode == "max" and scale_grad_by_freq:
        msg = f"{where}: max mode does not support scaling the gradient by the frequency"
        raise ArgumentError(msg)
    if mode == "max" and sparse:
        msg = f"{where}: max mode does not support sparse weights"
        raise ArgumentError(msg)
    if sparse:
        msg = f"{where}: sparse gradients are not implemented; use sparse=False"
        raise NotImplementedError(msg)
    if per_sample_weights is not None and mode != "sum":
        msg = f"{where}: per_sample_weights is only supported for mode='sum', got mode={mode!r}"
        raise NotImplementedError(msg)
    if max_norm is not None:
        check_number(where, "max_norm", max_norm)


def _check_arrays(where, input, weight, offsets, per_sample_weights, grad_output):
    """The backend, after the kinds, dtypes and shapes of the arrays."""
    require_arrays(where, input=input, weight=weight)
    backend = array_backend(
        where, weight=weight, per_sample_weights=per_sample_weights, grad_output=grad_output
    )
    backend_of(input, weight, offsets, names=("input", "weight", "offsets"), where=where)
    check_ndim(where, "weight", weight, (2,), "(num_embeddings, embedding_dim)")
    for name, array in (("input", input), ("offsets", offsets)):
        if array is not None:
            check_index_dtype(where, name, array)
    if per_sample_weights is not None and per_sample_weights.shape != input.shape:
        msg = (
            f"{where}: per_sample_weights must have the shape of input {input.shape}, "
            f"got {per_sample_weights.shape}"
        )
        raise ArgumentError(msg)
    if input.ndim == 2 and offsets is not None:
        msg = (
            f"{where}: offsets must be None for a 2-D input (B, N), which is B bags of N "
            f"indices, got offsets of shape {offsets.shape}"
        )
        raise ArgumentError(msg)
    if input.ndim == 1 and (offsets is None or offsets.ndim != 1):
        got = None if offsets is None else f"shape {offsets.shape}"
        msg = f"{where}: offsets must be a 1-D array for a 1-D input, got {got}"
        raise ArgumentError(msg)
    check_ndim(where, "input", input, (1, 2), "(N,) with offsets or (B, N)")
    return backend


def _bags(where, input, weight, offsets, per_sample_weights, include_last_offset, padding_idx):
    """The checked :data:`_Bags` of a call (its index and offset values checked deferred)."""
    backend = backend_of(input, weight)
    xp = backend.xp
    indices = input.reshape(-1).astype(xp.int64)  # (L,)
    L = indices.shape[0]
    if input.ndim == 2:  # B bags of N indices each: entry i is in bag i // N
        count, extra, check_offsets = input.shape[0], None, None
        bag = xp.arange(L, dtype=xp.int64) // max(input.shape[1], 1)
    else:
        count = offsets.shape[0] - bool(include_last_offset)
        if count < 1:
            msg = (
                f"{where}: offsets must hold at least {1 + bool(include_last_offset)} "
                f"value(s) with include_last_offset={include_last_offset}, got {offsets.shape}"
            )
            raise ArgumentError(msg)
        starts = offsets[:count].astype(xp.int64)  # (B,)
        # entry i is in the last bag that starts at or before it (PyTorch's offset2bag)
        bag = xp.searchsorted(starts, xp.arange(L, dtype=xp.int64), side="right") - 1
        extra = xp.stack([starts[0], offsets[-1].astype(xp.int64)])

        def check_offsets(host):
            first, last = int(host[0]), int(host[1])
            if first != 0:
                msg = f"{where}: offsets[0] must be 0 (the first bag starts the input), got {first}"
                raise ArgumentError(msg)
            if last > L:
                msg = f"{where}: offsets[-1] must be at most input's length {L}, got {last}"
                raise ArgumentError(msg)

    indices = rows_in_range(where, backend, indices, weight.shape[0], extra, check_offsets)
    valid = bag >= 0  # False only before a (bad, deferred-refused) offsets[0] > 0
    if padding_idx is not None:
        valid = valid & (indices != padding_idx)
    psw = None if per_sample_weights is None else per_sample_weights.reshape(-1)
    return _Bags(backend, indices, xp.maximum(bag, 0), valid, count, psw)


def _prepare(where, args, grad_output=None):
    """``(bags, padding_idx)`` after every check of ``args`` (the forward's arguments)."""
    (input, weight, offsets, max_norm, _, scale_grad_by_freq, mode, sparse) = args[:8]
    per_sample_weights, include_last_offset, padding_idx = args[8:]
    _check_arrays(where, input, weight, offsets, per_sample_weights, grad_output)
    _check_mode(where, mode, scale_grad_by_freq, sparse, per_sample_weights, max_norm)
    padding_idx = padding_index(where, padding_idx, weight.shape[0])
    bags = _bags(
        where, input, weight, offsets, per_sample_weights, include_last_offset, padding_idx
    )
    return bags, padding_idx


def _compute_dtype(xp, weight):
    return xp.float32 if weight.dtype == xp.float16 else weight.dtype


def _bag_sizes(bags, dtype):
    """How many entries of each bag count, (B,) in ``dtype``."""
    xp = bags.backend.xp
    sizes = xp.zeros(bags.count, dtype=dtype)
    bags.backend.scatter_add(sizes, bags.bag, bags.valid.astype(dtype))
    return sizes


def _max_rows(bags, weight):
    """``(rows, filled)``: per bag and column the row of ``weight`` holding the bag's first
    largest value, (B, D) int64 (any row for empty bags), and whether a bag has an entry, (B,).
    Needs at least one entry."""
    xp = bags.backend.xp
    sizes = _bag_sizes(bags, xp.int32).astype(xp.int64)  # CuPy has no int64 atomics
    before = xp.cumsum(sizes) - sizes  # (B,) counted entries of the earlier bags
    counted = bags.valid.astype(xp.int64)
    seen = xp.cumsum(counted) - counted  # (L,) counted entries before each entry
    first = bags.valid & (seen == xp.take(before, bags.bag))  # (L,) a bag's first entry
    values = xp.take(weight, bags.indices, axis=0)  # (L, D)
    # ascending key: the largest value first; a NaN wins only as its bag's first entry
    nan_key = xp.where(first[:, None], -xp.inf, xp.inf)
    key = xp.where(xp.isnan(values), nan_key, -values)
    order = xp.argsort(key, axis=0, kind="stable")  # (L, D)
    group = xp.where(bags.valid, bags.bag, bags.count)  # left-out entries sort last
    by_bag = xp.argsort(xp.take(group, order), axis=0, kind="stable")
    order = xp.take_along_axis(order, by_bag, axis=0)  # (L, D): by bag, then key, then position
    top = xp.take(order, xp.minimum(before, order.shape[0] - 1), axis=0)  # (B, D) positions
    return xp.take(bags.indices, top), sizes > 0


@kernel
def embedding_bag(
    input,
    weight,
    offsets=None,
    max_norm=None,
    norm_type: float = 2,
    scale_grad_by_freq: bool = False,
    mode: str = "mean",
    sparse: bool = False,
    per_sample_weights=None,
    include_last_offset: bool = False,
    padding_idx=None,
):
    r"""Sum, average or take the largest of each bag of rows of ``weight``. See
    :class:`xpnet.nn.EmbeddingBag`.

    Args:
        input: integer indices in ``[0, num_embeddings)``: (B, N) for B bags of N, or (L,)
            with ``offsets``.
        weight: float array of shape (num_embeddings, embedding_dim).
        offsets: with a 1-D ``input``, the (B,) (or B + 1 with ``include_last_offset``)
            positions where the bags start; ``offsets[0]`` must be 0. Default: ``None``.
        max_norm: rows looked up whose ``norm_type``-norm is larger are scaled to this norm,
            in place in ``weight``, first. Default: ``None``.
        norm_type: the p of ``max_norm``'s norm. Default: 2.
        scale_grad_by_freq: divide each row's gradient by its index's count in ``input``
            (backward only; not with ``'max'``). Default: ``False``.
        mode: ``'sum'``, ``'mean'`` or ``'max'``. Default: ``'mean'``.
        sparse: not implemented; must be ``False`` (dense gradients only).
        per_sample_weights: float weights of ``input``'s shape, scaling each row before a
            ``'sum'`` (only). Default: ``None``.
        include_last_offset: ``offsets`` holds one more value, the end of the last bag (the
            last bag still runs to the end of ``input``, as PyTorch's). Default: ``False``.
        padding_idx: an index left out of every bag (negative: from the end). Default: ``None``.

    Returns:
        Array of shape (B, embedding_dim) in the dtype of ``weight``; zeros for empty bags.

    Raises:
        TypeError: non-integer indices or offsets (also a ``RuntimeError``, as PyTorch's), a
            non-float ``weight`` or a ``per_sample_weights`` of another dtype, mixed backends.
        ValueError: bad shapes, ``mode``, ``padding_idx``, ``offsets[0] != 0`` or
            ``offsets[-1]`` past the input (on a GPU backend at the next host read).
        IndexError: an index outside ``[0, num_embeddings)`` (on a GPU backend: next host
            read; also PyTorch's ``RuntimeError``).
        NotImplementedError: ``sparse=True``; ``per_sample_weights`` with ``'mean'``/``'max'``.

    Note:
        A 2-D ``input`` of shape (B, 0) gives B zero rows, where PyTorch raises.

    Example:
        >>> weight = xp.asarray([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
        >>> embedding_bag(xp.asarray([0, 2, 1]), weight, xp.asarray([0, 2]), mode="sum")
        array([[6., 8.],
               [3., 4.]])
    """
    args = (input, weight, offsets, max_norm, norm_type, scale_grad_by_freq, mode, sparse)
    bags, _ = _prepare(
        "embedding_bag", (*args, per_sample_weights, include_last_offset, padding_idx)
    )
    backend, xp = bags.backend, bags.backend.xp
    if max_norm is not None:
        renorm_rows(backend, weight, bags.indices, max_norm, norm_type)
    dtype = _compute_dtype(xp, weight)
    if mode == "max" and not bags.indices.size:
        return xp.zeros((bags.count, weight.shape[1]), dtype=weight.dtype)
    if mode == "max":
        rows, filled = _max_rows(bags, weight)  # (B, D), (B,)
        picked = xp.take_along_axis(weight, rows, axis=0)  # (B, D)
        return xp.where(filled[:, None], picked, 0).astype(weight.dtype)
    scale = bags.valid.astype(dtype)  # (L,)
    if bags.psw is not None:
        scale = scale * bags.psw.astype(dtype)
    rows = xp.take(weight, bags.indices, axis=0).astype(dtype) * scale[:, None]  # (L, D)
    output = xp.zeros((bags.count, weight.shape[1]), dtype=dtype)
    backend.scatter_add(output, bags.bag, rows)
    if mode == "mean":
        output = output / xp.maximum(_bag_sizes(bags, dtype), 1)[:, None]
    return output.astype(weight.dtype, copy=False)


@kernel
def embedding_bag_indices(input, weight, offsets, mode="mean", include_last_offset=False,
                          padding_idx=None):  # fmt: skip
    """The three other results of ``torch.embedding_bag`` (its CPU values), for
    ``xpnet.embedding_bag``: ``offset2bag``, each entry's bag, (L,); ``bag_size``, each bag's
    count of entries other than ``padding_idx``, (B,) (zeros for ``'sum'``: PyTorch's, when
    it records a gradient; else of ``offsets``' length); ``max_indices``, per bag and column
    the row of ``weight`` ``'max'`` picked, (B, D), 0 for empty bags (``bag_size`` for
    ``'mean'``, zeros for ``'sum'``). int32 when ``input`` and ``offsets`` are, else int64.
    Checks as :func:`embedding_bag`'s.

    Example:
        >>> weight = xp.asarray([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
        >>> found = embedding_bag_indices(xp.asarray([0, 2, 1]), weight, xp.asarray([0, 2]), "max")
        >>> [a.tolist() for a in found]
        [[0, 0, 1], [2, 1], [[2, 2], [1, 1]]]
    """
    args = (input, weight, offsets, None, 2, False, mode, False, None, include_last_offset)
    bags, _ = _prepare("embedding_bag", (*args, padding_idx))
    xp = bags.backend.xp
    both_int32 = input.dtype == xp.int32 and offsets is not None and offsets.dtype == xp.int32
    dtype = xp.int32 if both_int32 else xp.int64
    offset2bag = bags.bag.astype(dtype)
    if mode == "sum":  # PyTorch's CPU kernel counts nothing for a sum
        zeros = xp.zeros(bags.count, dtype=dtype)
        return offset2bag, zeros, zeros
    sizes = _bag_sizes(bags, xp.int32).astype(dtype)  # CuPy has no int64 atomics
    if mode == "mean":
        return offset2bag, sizes, sizes
    if not bags.indices.size:
        return offset2bag, sizes, xp.zeros((bags.count, weight.shape[1]), dtype=dtype)
    rows, filled = _max_rows(bags, weight)  # (B, D)
    return offset2bag, sizes, xp.where(filled[:, None], rows, 0).astype(dtype)


@kernel
def embedding_bag_backward(
    grad_output,
    input,
    weight,
    offsets=None,
    max_norm=None,
    norm_type: float = 2,
    scale_grad_by_freq: bool = False,
    mode: str = "mean",
    sparse: bool = False,
    per_sample_weights=None,
    include_last_offset: bool = False,
    padding_idx=None,
):
    """Gradients of :func:`embedding_bag`: each bag's ``grad_output`` row goes to the rows of
    ``weight`` it picked (times the entry's weight, over the bag size for ``'mean'``, over the
    index's count with ``scale_grad_by_freq``; to the maximum's row, per column, for ``'max'``);
    ``per_sample_weights`` gets ``grad_output[bag] . weight[index]``. Does not renormalise.

    Returns:
        ``(None, grad_weight, None, grad_per_sample_weights)``, the gradients of ``(input,
        weight, offsets, per_sample_weights)`` (the last ``None`` without weights).
    """
    where = "embedding_bag_backward"
    args = (input, weight, offsets, None, norm_type, scale_grad_by_freq, mode, sparse)
    last = (per_sample_weights, include_last_offset, padding_idx)
    bags, _ = _prepare(where, (*args, *last), grad_output)
    backend, xp = bags.backend, bags.backend.xp
    D = weight.shape[1]
    check_grad_output(where, grad_output, (bags.count, D), weight.dtype)
    dtype = _compute_dtype(xp, weight)
    grad = grad_output.astype(dtype)
    grad_weight = xp.zeros(weight.shape, dtype=dtype)
    if mode == "max" and not bags.indices.size:
        return None, grad_weight.astype(weight.dtype), None, None
    if mode == "max":
        rows, filled = _max_rows(bags, weight)  # (B, D)
        flat = (rows * D + xp.arange(D, dtype=xp.int64)).reshape(-1)  # into grad_weight.ravel()
        values = xp.where(filled[:, None], grad, 0).reshape(-1)
        flat_grad = grad_weight.reshape(-1)
        backend.scatter_add(flat_grad, flat, values)
        return None, flat_grad.reshape(weight.shape).astype(weight.dtype), None, None
    scale = bags.valid.astype(dtype)  # (L,)
    if mode == "mean":
        scale = scale / xp.take(xp.maximum(_bag_sizes(bags, dtype), 1), bags.bag)
    if scale_grad_by_freq:
        counts = xp.zeros(weight.shape[0], dtype=dtype)
        backend.scatter_add(counts, bags.indices, xp.ones(bags.indices.shape, dtype=dtype))
        scale = scale / xp.take(counts, bags.indices)
    grad_rows = xp.take(grad, bags.bag, axis=0)  # (L, D)
    grad_psw = None
    if bags.psw is not None:
        looked_up = xp.take(weight, bags.indices, axis=0).astype(dtype)
        grad_psw = xp.sum(grad_rows * looked_up, axis=1) * bags.valid
        grad_psw = grad_psw.reshape(input.shape).astype(weight.dtype)
        scale = scale * bags.psw.astype(dtype)
    backend.scatter_add(grad_weight, bags.indices, grad_rows * scale[:, None])
    return None, grad_weight.astype(weight.dtype, copy=False), None, grad_psw
