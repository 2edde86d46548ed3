"""Deferred value checks and the host-read guard: no host synchronisation inside a step.

A check on the *values* of device arrays (labels in ``[0, C)``, say) would copy them to the
host and wait for the device on every call. Kernels hand such a check to :func:`defer_check`
instead: where host reads are free (NumPy) it runs at once; elsewhere (strict, CuPy) the few
numbers it needs stay on the device and the check runs, raising the same exception with the
same message, at the next host read: ``backend.to_host``, ``x.item()``, ``float(x)``,
``Tensor.item()`` and everything built on them (logging, end of epoch, checkpoints), or an
explicit :func:`raise_deferred`.

:func:`host_reads_forbidden` is a context in which every device-to-host read on the strict
backend raises: a test runs whole training steps inside it to prove they never wait for the
device.

Example:
    >>> from xpnet.backends import load_backend
    >>> strict = load_backend("strict")
    >>> labels = strict.xp.asarray([0, 7])
    >>> def in_range(host):
    ...     if host.max() >= 5:
    ...         raise IndexError(f"target values must be in [0, 5), got {host.max()}")
    >>> defer_check(strict, labels, in_range)  # nothing read yet: pending
    False
    >>> strict.to_host(labels)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    IndexError: target values must be in [0, 5), got 7
"""

from __future__ import annotations

import contextlib
import threading

__all__ = [
    "defer_check",
    "discard_deferred",
    "host_read",
    "host_reads_forbidden",
    "raise_deferred",
]

MAX_PENDING = 1024  # checks kept before they are run anyway (one sync per this many calls)
_pending: list = []  # (backend, device values, check), in the order they were made
_state = threading.local()


def defer_check(backend, values, check) -> bool:
    """Run ``check(host_values)`` (which raises on bad values) on the host copy of the device
    array ``values``: now where ``backend.host_reads_free``, else at the next host read.

    Returns:
        ``True`` if the check ran (and passed), ``False`` if it is pending: until it runs, the
        caller must not let bad values index memory (clip them, say).
    """
    if getattr(backend, "host_reads_free", False):
        check(backend.to_host(values))
        return True
    _pending.append((backend, values, check))
    if len(_pending) >= MAX_PENDING and not is_host_read_forbidden():
        raise_deferred()
        return True
    return False


def raise_deferred() -> None:
    """Run the pending checks, oldest first; the first that fails raises (all are dropped)."""
    pending = _pending[:]
    _pending.clear()
    for backend, values, check in pending:
        check(backend.to_host(values))


def discard_deferred() -> int:
    """Drop the pending checks without running them; return how many there were (tests use it
    so that one test's unread check cannot fail the next test)."""
    count = len(_pending)
    _pending.clear()
    return count


def host_read(where: str) -> None:
    """Called by a backend before every device-to-host read: refuses it inside
    :func:`host_reads_forbidden`, else raises what the pending checks found."""
    if is_host_read_forbidden():
        msg = (
            f"{where} copies a value from the device to the host inside host_reads_forbidden(): "
            "a training step must not wait for the device; read at a log interval instead"
        )
        raise RuntimeError(msg)
    if _pending:
        raise_deferred()


def is_host_read_forbidden() -> bool:
    """True inside :func:`host_reads_forbidden` (on this thread)."""
    return getattr(_state, "forbidden", 0) > 0


@contextlib.contextmanager
def host_reads_forbidden():
    """A context in which every device-to-host read (strict, CuPy) raises ``RuntimeError``."""
    _state.forbidden = getattr(_state, "forbidden", 0) + 1
    try:
        yield
    finally:
        _state.forbidden -= 1
