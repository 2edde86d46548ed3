"""How non-reentrant :func:`~xpnet.utils.checkpoint.checkpoint` checks a recomputation
against its forward (``determinism_check="default"``): both runs record their kernel calls
(:class:`KernelTrace`, through the profiler's timer hook) and the ops of their graphs
(:func:`recorded_ops`: an op that calls no profiled kernel, ``a[:n] * a[:n]``, too), and
:func:`check_recomputation` raises PyTorch's :class:`CheckpointError` messages where they
differ. Also PyTorch's two process-wide switches, read when a segment's forward runs
(:func:`set_checkpoint_debug_enabled`, :func:`set_checkpoint_early_stop`); how a segment's
outputs, any nesting of tuples, lists and dicts, give up their Tensors and take new ones in
their places (:func:`tensors_in`, :func:`replaced`); and PyTorch's small public helpers,
:func:`check_backward_validity`, :func:`detach_variable` and :func:`noop_context_fn`.
"""

from __future__ import annotations

import contextlib
import copy
import warnings

from ..autograd import Tensor

__all__ = [
    "CheckpointError",
    "KernelTrace",
    "check_backward_validity",
    "check_recomputation",
    "debug_enabled",
    "detach_variable",
    "early_stop_enabled",
    "noop_context_fn",
    "recorded_ops",
    "replaced",
    "set_checkpoint_debug_enabled",
    "set_checkpoint_early_stop",
    "tensors_in",
]

_debug_enabled: bool | None = None  # set_checkpoint_debug_enabled's: None defers to debug=
_early_stop: bool | None = None  # set_checkpoint_early_stop's: None defers to early_stop=


class CheckpointError(RuntimeError):
    """A recomputation that differs from the forward: a kernel call or a recorded op with
    arguments of other shapes or dtypes, fewer (or, without early stop, more) of them, or
    outputs of other
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
    """A context in which checkpoints stop recomputing early (``True``) or not, whatever each
    call's ``early_stop``, as ``torch.utils.checkpoint.set_checkpoint_early_stop``; read as
    the segment's forward runs. xpnet always recomputes the whole segment: without early
    stop, a recomputation that makes more kernel calls than the forward is an error, as
    PyTorch's."""
    global _early_stop
    previous, _early_stop = _early_stop, enable
    try:
        yield
    finally:
        _early_stop = previous


def debug_enabled(debug: bool) -> bool:
    """A checkpoint call's ``debug``, unless :func:`set_checkpoint_debug_enabled` says."""
    return debug if _debug_enabled is None else _debug_enabled


def early_stop_enabled(enable: bool) -> bool:
    """A checkpoint call's ``early_stop``, unless :func:`set_checkpoint_early_stop` says."""
    return bool(enable if _early_stop is None else _early_stop)


def tensors_in(value) -> list:
    """The Tensors in ``value``: itself, or those in its tuples, lists and dicts, in order."""
    if isinstance(value, Tensor):
        return [value]
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, (tuple, list)):
        return [tensor for item in value for tensor in tensors_in(item)]
    return []


def replaced(value, tensors):
    """``value`` with the Tensors :func:`tensors_in` finds replaced, in order, by those that
    the iterator ``tensors`` gives; the tuples (named ones too), lists and dicts new."""
    if isinstance(value, Tensor):
        return next(tensors)
    if isinstance(value, tuple):
        items = [replaced(item, tensors) for item in value]
        return type(value)(*items) if hasattr(value, "_fields") else type(value)(items)
    if isinstance(value, (list, dict)):
        result = copy.copy(value)  # its own type (a subclass, a defaultdict) and attributes
        for key in range(len(value)) if isinstance(value, list) else value:
            result[key] = replaced(value[key], tensors)
        return result
    return value


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


def recorded_ops(outputs, start: int) -> KernelTrace:
    """The ops recorded on the way to ``outputs`` (Tensors) since node number ``start``, in
    the order they ran: each node's name and its Tensor inputs' shapes and dtypes (what each
    saves, compared as PyTorch compares the tensors its ops save: not the names)."""
    nodes, seen = [], set()
    stack = [getattr(value, "grad_fn", None) for value in outputs]
    while stack:
        node = stack.pop()
        if node is None or id(node) in seen or node.sequence_nr < start:
            continue
        seen.add(id(node))
        nodes.append(node)
        stack.extend(getattr(value, "grad_fn", None) for value in node.inputs)
    trace = KernelTrace()
    for node in sorted(nodes, key=lambda node: node.sequence_nr):
        trace.begin(node.name(), node.inputs)
    return trace


def check_recomputation(
    forward: KernelTrace, again: KernelTrace, debug: bool, stops_early: bool, unit="kernel call"
):
    """Raise PyTorch's :class:`CheckpointError` where the recomputation's kernel calls (or
    recorded ops: ``unit``, whose names are not compared) differ from the forward's: another
    call, fewer calls, or (unless it ``stops_early``, as PyTorch's recomputation does once
    it has what it needs) more calls."""
    where, names = "torch.utils.checkpoint: ", unit == "kernel call"
    for index, (saved, redone) in enumerate(zip(forward.calls, again.calls, strict=False)):
        if saved[1] != redone[1] or (names and saved[0] != redone[0]):
            message = (
                f"{where}Recomputed values for the following tensors have different metadata "
                f"than during the forward pass.\n{unit} {index}:\nsaved metadata: "
                f"{saved}\nrecomputed metadata: {redone}\n"
            )
            break
    else:
        if len(again.calls) > len(forward.calls) and not stops_early:
            message = (
                f"{where}trying to save more tensors during recomputation than during the "
                f"original forward pass.\nNumber of {unit}s during forward: "
                f"{len(forward.calls)}\nNumber during recomputation: {len(again.calls)}\n"
            )
        elif len(again.calls) >= len(forward.calls):
            return
        else:
            message = (
                f"{where}A different number of tensors was saved during the original forward "
                f"and recomputation.\nNumber of {unit}s during forward: "
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


def check_backward_validity(inputs) -> None:
    """Warn, as ``torch.utils.checkpoint.check_backward_validity``, where no Tensor among
    ``inputs`` requires grad: a reentrant segment's gradients would then be ``None``."""
    if not any(isinstance(v, Tensor) and v.requires_grad for v in inputs):
        warnings.warn(
            "None of the inputs have requires_grad=True. Gradients will be None",
            UserWarning,
            stacklevel=3,
        )


def detach_variable(inputs: tuple) -> tuple:
    """``inputs`` with each Tensor detached, keeping its ``requires_grad``, as
    ``torch.utils.checkpoint.detach_variable``.

    Raises:
        RuntimeError: ``inputs`` is not a tuple (PyTorch's message).
    """
    if not isinstance(inputs, tuple):
        msg = (
            "Only tuple of tensors is supported. Got Unsupported input type: "
            f"{type(inputs).__name__}"
        )
        raise RuntimeError(msg)
    detached = []
    for value in inputs:
        if isinstance(value, Tensor):
            requires_grad, value = value.requires_grad, value.detach()
            value.requires_grad = requires_grad
        detached.append(value)
    return tuple(detached)


def noop_context_fn():
    """The default ``context_fn`` of :func:`checkpoint`: two contexts that do nothing."""
    return contextlib.nullcontext(), contextlib.nullcontext()
