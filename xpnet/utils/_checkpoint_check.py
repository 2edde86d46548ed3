"""How non-reentrant :func:`~xpnet.utils.checkpoint.checkpoint` checks a recomputation
against its forward (``determinism_check="default"``): both runs record their kernel calls
(:class:`KernelTrace`, through the profiler's timer hook), and :func:`check_recomputation`
raises PyTorch's :class:`CheckpointError` messages where they differ; and PyTorch's two
process-wide switches, read when a segment's forward runs: :func:`set_checkpoint_debug_enabled`
and :func:`set_checkpoint_early_stop`.
"""

from __future__ import annotations

import contextlib

__all__ = [
    "CheckpointError",
    "KernelTrace",
    "check_recomputation",
    "debug_enabled",
    "early_stop",
    "set_checkpoint_debug_enabled",
    "set_checkpoint_early_stop",
]

_debug_enabled: bool | None = None  # set_checkpoint_debug_enabled's: None defers to debug=
_early_stop = True


class CheckpointError(RuntimeError):
    """A recomputation that differs from the forward: a kernel call with arguments of other
    shapes or dtypes, fewer (or, without early stop, more) kernel calls, or outputs of other
    shapes or dtypes, as ``torch.utils.checkpoint.CheckpointError``."""


@contextlib.contextmanager
def set_checkpoint_debug_enabled(enabled: bool | None):
    """A context in which every checkpoint's ``debug`` is ``enabled`` (``None``: each call's
    own), as ``torch.utils.checkpoint.set_checkpoint_debug_enabled``; read as the segment's
    forward runs."""
    global _debug_enabled
    previous, _debug_enabled = _debug_enabled, enabled
    try:
        yield
    finally:
        _debug_enabled = previous


@contextlib.contextmanager
def set_checkpoint_early_stop(enable: bool):
    """A context in which checkpoints stop recomputing early (``True``, the default) or not,
    as ``torch.utils.checkpoint.set_checkpoint_early_stop``; read as the segment's forward
    runs. xpnet always recomputes the whole segment: without early stop, a recomputation
    that makes more kernel calls than the forward is an error, as PyTorch's."""
    global _early_stop
    previous, _early_stop = _early_stop, bool(enable)
    try:
        yield
    finally:
        _early_stop = previous


def debug_enabled(debug: bool) -> bool:
    """A checkpoint call's ``debug``, unless :func:`set_checkpoint_debug_enabled` says."""
    return debug if _debug_enabled is None else _debug_enabled


def early_stop() -> bool:
    """Whether a checkpoint made now stops recomputing early (:func:`set_checkpoint_early_stop`)."""
    return _early_stop


class KernelTrace:
    """The kernel calls of a run (a timer of :func:`~xpnet.backends._profile.timing`): each
    call's name and its array arguments' shapes and dtypes, what the determinism check
    compares (PyTorch compares the tensors its ops save)."""

    def __init__(self):
        self.calls: list = []

    def begin(self, name: str, arguments: tuple):
        arrays = tuple((tuple(a.shape), str(a.dtype)) for a in arguments if hasattr(a, "dtype"))
        self.calls.append((name, arrays))

    def end(self, began) -> None:
        """Nothing: only the calls count."""

    def lines(self) -> str:
        return "\n".join(f"  {name}{list(arrays)}" for name, arrays in self.calls)


def check_recomputation(forward: KernelTrace, again: KernelTrace, debug: bool, stops_early: bool):
    """Raise PyTorch's :class:`CheckpointError` where the recomputation's kernel calls differ
    from the forward's: another call, fewer calls, or (unless it ``stops_early``, as
    PyTorch's recomputation does once it has what it needs) more calls."""
    where = "torch.utils.checkpoint: "
    for index, (saved, redone) in enumerate(zip(forward.calls, again.calls, strict=False)):
        if saved != redone:
            message = (
                f"{where}Recomputed values for the following tensors have different metadata "
                f"than during the forward pass.\nkernel call {index}:\nsaved metadata: "
                f"{saved}\nrecomputed metadata: {redone}\n"
            )
            break
    else:
        if len(again.calls) > len(forward.calls) and not stops_early:
            message = (
                f"{where}trying to save more tensors during recomputation than during the "
                f"original forward pass.\nNumber of kernel calls during forward: "
                f"{len(forward.calls)}\nNumber during recomputation: {len(again.calls)}\n"
            )
        elif len(again.calls) >= len(forward.calls):
            return
        else:
            message = (
                f"{where}A different number of tensors was saved during the original forward "
                f"and recomputation.\nNumber of kernel calls during forward: "
                f"{len(forward.calls)}\nNumber during recomputation: {len(again.calls)}\n"
            )
    if debug:
        message += (
            f"\nOperations executed during the original forward:\n{forward.lines()}\n"
            f"\nOperations executed during recomputation:\n{again.lines()}\n"
        )
    else:
        message += "\nTip: To see a more detailed error message, pass `debug=True`.\n"
    raise CheckpointError(message)
