"""What :mod:`.embedding` and :mod:`.embedding_bag` share: ``padding_idx``'s check, the
index dtype and range checks (the range deferred) and ``max_norm``'s in-place
renormalisation of the looked-up rows.
"""

from __future__ import annotations

import numbers

from ..backends._deferred import defer_check
from ._checks import AssertedArgumentError, DtypeMismatchError, IndexOutOfRangeError
from ._vector_norm import vector_norm

__all__ = [
    "check_index_dtype",
    "index_out_of_range",
    "padding_index",
    "renorm_rows",
    "rows_in_range",
]


def check_index_dtype(where, name, array) -> None:
    """``array`` holds integers (PyTorch's RuntimeError for float or bool indices, also a
    TypeError as xpnet's wrong kinds)."""
    if array.dtype.kind not in "iu":
        msg = f"{where}: {name} must hold integer indices, got dtype {array.dtype}"
        raise DtypeMismatchError(msg)


def index_out_of_range(where, bad, num_embeddings):
    """The error of an index outside the table: PyTorch's IndexError (``embedding``) and
    RuntimeError (``embedding_bag``), both."""
    msg = f"{where}: input indices must be in [0, {num_embeddings}), got {bad}"
    return IndexOutOfRangeError(msg)


def padding_index(where, padding_idx, num_embeddings):
    """``padding_idx`` in ``[0, num_embeddings)`` (a negative one counts from the end)."""
    if padding_idx is None:
        return None
    if not isinstance(padding_idx, numbers.Integral) or isinstance(padding_idx, bool):
        msg = f"{where}: padding_idx must be an int or None, got {padding_idx!r}"
        raise TypeError(msg)
    if not -num_embeddings <= padding_idx < num_embeddings:
        msg = (
            f"{where}: padding_idx must be within num_embeddings ({num_embeddings}), "
            f"got {padding_idx}"
        )
        raise AssertedArgumentError(msg)
    return int(padding_idx) % num_embeddings


def rows_in_range(where, backend, indices, num_embeddings, extra=None, check_extra=None):
    """``indices`` (1-D, int64), safe to pick rows of a ``num_embeddings``-row table with.

    An index outside ``[0, num_embeddings)`` raises :func:`index_out_of_range`'s error, at
    once on NumPy, else at the next host read (deferred: no device-to-host copy per call, see
    :mod:`xpnet.backends._deferred`); until then the indices come back clipped into range.
    ``extra`` (a 1-D int64 array) rides along with the same read and goes to
    ``check_extra(host_values)``, which raises on bad values (``embedding_bag``'s offsets).
    """
    xp = backend.xp
    parts = [] if not indices.size else [xp.min(indices)[None], xp.max(indices)[None]]
    if extra is not None:
        parts.append(extra)
    if not parts:
        return indices

    def check(host):
        if indices.size:
            low, high = int(host[0]), int(host[1])
            if low < 0 or high >= num_embeddings:
                raise index_out_of_range(where, low if low < 0 else high, num_embeddings)
        if check_extra is not None:
            check_extra(host[2 if indices.size else 0 :])

    if defer_check(backend, xp.concatenate(parts), check):
        return indices
    return xp.clip(indices, 0, num_embeddings - 1)


def renorm_rows(backend, weight, indices, max_norm, norm_type) -> None:
    """PyTorch's ``embedding_renorm_``, in place: each row of ``weight`` picked by
    ``indices`` whose ``norm_type``-norm exceeds ``max_norm`` is scaled by
    ``max_norm / (norm + 1e-7)``. A row picked twice gets the same value twice (no sync to
    find the unique rows)."""
    xp = backend.xp
    dtype = xp.float32 if weight.dtype == xp.float16 else weight.dtype
    rows = xp.take(weight, indices, axis=0).astype(dtype)  # (L, D)
    norms = vector_norm(xp, rows, norm_type, (1,))  # (L, 1)
    scale = xp.where(norms > max_norm, max_norm / (norms + 1e-7), 1.0).astype(dtype)
    weight[indices] = (rows * scale).astype(weight.dtype)
