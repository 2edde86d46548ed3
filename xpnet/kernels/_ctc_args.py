"""``ctc_loss``'s checked call: its arrays and options, its lengths (host values checked at
once; device arrays never read here, their checks deferred to the next host read), and each
sequence's targets as a row of labels. The numerics are in :mod:`.ctc_loss`.
"""

from __future__ import annotations

from ..backends import backend_of
from ..backends._deferred import defer_check
from ._checks import ArgumentError, DtypeMismatchError, array_backend, check_int, require_arrays
from ._margin_call import check_reduction

__all__ = ["CTCCall"]


class CTCCall:
    """A checked ``ctc_loss`` call.

    Attributes: ``backend``, ``shape`` (T, N, C) (N = 1 unbatched), ``unbatched``,
    ``input_lengths`` and ``target_lengths`` (N,) int64 device arrays, ``steps`` (the frames
    to compute: the largest input length where the host knows it, else T; at least 1),
    ``labels`` (N, L) int64 and ``label_valid`` (N, L): each sequence's targets, slots past
    its length holding ``blank``; L is the largest target length where the host knows it,
    else the padding (S) or the concatenation's length.
    """

    def __init__(self, where, log_probs, targets, input_lengths, target_lengths, blank, *options):
        self.backend, self.shape, self.unbatched = _check_arrays(
            where, log_probs, targets, blank, *options
        )
        T, N, C = self.shape
        check = _length_rule(where, "input_lengths", T)
        self.input_lengths, host = _lengths(where, log_probs, "input_lengths", input_lengths, check)
        self.steps = T if host is None else max(1, *host)
        total = targets.shape[0] if targets.ndim == 1 else None
        check = _length_rule(where, "target_lengths", targets.shape[-1], total)
        self.target_lengths, host = _lengths(
            where, log_probs, "target_lengths", target_lengths, check
        )
        L = targets.shape[-1] if host is None else max(host)
        self.labels, self.label_valid = _labels(where, self, targets, L, blank)


def _check_arrays(where, log_probs, targets, blank, reduction, zero_infinity):
    """``(backend, (T, N, C), unbatched)`` after the checks of the arrays and options."""
    require_arrays(where, log_probs=log_probs, targets=targets)
    backend = array_backend(where, log_probs=log_probs)
    backend_of(log_probs, targets, names=("log_probs", "targets"), where=where)
    blank = check_int(where, "blank", blank)
    check_reduction(where, reduction)
    if not isinstance(zero_infinity, bool):
        msg = f"{where}: zero_infinity must be a bool, got {type(zero_infinity).__name__}"
        raise TypeError(msg)
    if log_probs.ndim not in (2, 3):
        msg = f"{where}: log_probs must have shape (T, C) or (T, N, C), got {log_probs.shape}"
        raise ArgumentError(msg)
    if log_probs.size == 0:  # as PyTorch
        msg = f"{where}: log_probs must not be empty, got shape {log_probs.shape}"
        raise ArgumentError(msg)
    unbatched = log_probs.ndim == 2
    T, N, C = (log_probs.shape[0], 1, log_probs.shape[1]) if unbatched else log_probs.shape
    if not 0 <= blank < C:
        msg = f"{where}: blank must be in the label range [0, {C}), got {blank}"
        raise ArgumentError(msg)
    if targets.dtype.kind not in "iu":
        msg = f"{where}: targets must hold integer class indices, got dtype {targets.dtype}"
        raise TypeError(msg)
    if targets.ndim not in (1, 2) or (targets.ndim == 2 and targets.shape[0] != N):
        msg = (
            f"{where}: targets must have shape (N, S) with N={N}, or be the concatenated "
            f"targets (sum(target_lengths),), got {targets.shape}"
        )
        raise ArgumentError(msg)
    return backend, (T, N, C), unbatched


def _host_values(where, name, value):
    """The values of a lengths argument where the host has them (a tuple or list of ints, or
    an integer array of a backend whose host reads are free), else ``None`` (a device array)."""
    if isinstance(value, (tuple, list)):
        return tuple(check_int(where, f"{name}[{i}]", v) for i, v in enumerate(value))
    if not hasattr(value, "dtype") or not hasattr(value, "shape"):  # PyTorch refuses an int
        msg = (
            f"{where}: {name} must be a tuple or list of ints or an integer array, got "
            f"{type(value).__name__} {value!r}"
        )
        raise TypeError(msg)
    owner = backend_of(value, names=(name,), where=where)
    if value.dtype.kind not in "iu":
        msg = f"{where}: {name} must be integral, got dtype {value.dtype}"
        raise DtypeMismatchError(msg)  # PyTorch's RuntimeError, and a TypeError
    if getattr(owner, "host_reads_free", False):
        return tuple(int(v) for v in owner.to_host(value).reshape(-1))
    return None


def _lengths(where, log_probs, name, value, check):
    """``(lengths (N,) int64 on the device, their values or None)``: ``check((min, max,
    sum))`` runs at once on host values, else at the next host read (no sync here)."""
    backend, host = backend_of(log_probs), _host_values(where, name, value)
    xp = backend.xp
    N = 1 if log_probs.ndim == 2 else log_probs.shape[1]
    count = len(host) if host is not None else value.size
    if count != N:
        msg = f"{where}: {name} must have one value per sequence, N={N}, got {count} values"
        raise ArgumentError(msg)
    if host is not None:
        check((min(host), max(host), sum(host)))
        return xp.asarray(host, dtype=xp.int64), host
    backend_of(log_probs, value, names=("log_probs", name), where=where)
    lengths = xp.reshape(value, (N,)).astype(xp.int64)
    defer_check(backend, xp.stack([xp.min(lengths), xp.max(lengths), xp.sum(lengths)]), check)
    return lengths, None


def _length_rule(where, name, limit, total=None):
    """``check((min, max, sum))`` of a lengths argument: values in [0, ``limit``], summing to
    ``total`` where given (concatenated targets)."""

    def check(stats):
        low, high, summed = (int(v) for v in stats)
        if low < 0 or high > limit:
            msg = f"{where}: {name} must be in [0, {limit}], got {low if low < 0 else high}"
        elif total is not None and summed != total:
            msg = f"{where}: {name} must sum to the targets' length {total}, got {summed}"
        else:
            return
        raise ArgumentError(msg)

    return check


def _labels(where, call, targets, L, blank):
    """``(labels (N, L), valid (N, L))``: each sequence's targets; slots past its length, and
    values outside [0, C) until their deferred check raises, hold ``blank``."""
    xp, lengths, C = call.backend.xp, call.target_lengths, call.shape[2]
    slots = xp.arange(L)
    valid = slots < lengths[:, None]  # (N, L)
    if targets.ndim == 2:
        raw = targets[:, :L].astype(xp.int64)
    elif targets.size:  # concatenated: sequence n starts after the lengths before it
        starts = xp.cumsum(lengths) - lengths
        raw = xp.take(targets, xp.clip(starts[:, None] + slots, 0, targets.size - 1))
        raw = raw.astype(xp.int64)
    else:
        raw = xp.zeros((lengths.shape[0], L), dtype=xp.int64)
    if L:  # PyTorch reads out of bounds there; its documentation forbids blank as a target
        bad = xp.reshape(valid & ((raw < 0) | (raw >= C) | (raw == blank)), (-1,))
        found = xp.stack([xp.any(bad).astype(xp.int64), xp.reshape(raw, (-1,))[xp.argmax(bad)]])

        def in_range(values):
            if int(values[0]):
                msg = (
                    f"{where}: targets must be class indices in [0, {C}) other than "
                    f"blank={blank} (within target_lengths), got {int(values[1])}"
                )
                raise ArgumentError(msg)

        defer_check(call.backend, found, in_range)
    return xp.where(valid & (raw >= 0) & (raw < C), raw, blank), valid
