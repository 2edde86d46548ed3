"""Activation checkpointing, as ``torch.utils.checkpoint``: a segment of the model keeps no
activations for the backward pass; its backward computes them again from the segment's
inputs, trading one more forward of the segment for its memory.

Both variants run ``function`` again in the backward pass with the random state and the
autocast setting of the first run (dropout draws the same masks, ops run in the same dtypes),
and both give the segment's outputs one node, ``CheckpointFunctionBackward`` (reentrant)
or ``CheckpointBackward`` (PyTorch's non-reentrant variant records the ops themselves, each
saving nothing; here one node stands for the segment).

- ``use_reentrant=True``, PyTorch's reentrant variant: ``function`` runs without recording;
  the node's backward records it again and runs a backward pass of its own, which adds the
  parameters' gradients into ``.grad``. So it needs ``backward()`` without ``inputs=``:
  under :func:`xpnet.autograd.grad` it raises PyTorch's reentrant error.
- ``use_reentrant=False``: ``function`` runs recorded once, to find what the segment reaches
  that it did not make (the parameters inside, tensors captured from outside); the graph is
  then dropped, activations and all. Those tensors and the arguments are the node's inputs,
  so it works as any op: under ``autograd.grad``, ``backward(inputs=...)`` and
  ``create_graph=True`` (its backward recomputes on the arguments themselves, so the
  gradients have a graph), with keyword arguments, ``context_fn`` and inputs that require
  no gradient, outputs in tuples, lists and dicts, and it checks that the recomputation
  makes the forward's kernel calls, outputs and recorded ops again, shapes and dtypes
  (``determinism_check``; ``debug`` lists them): its gradients come from the recomputed
  graph, where PyTorch's come from the forward's with the saved tensors recomputed.

Example:
    >>> import xpnet
    >>> layer = xpnet.nn.Linear(3, 3)
    >>> x = xpnet.ones(2, 3, requires_grad=True)
    >>> y = checkpoint(layer, x, use_reentrant=False)
    >>> y.sum().backward()
    >>> layer.weight.grad.shape, x.grad.shape
    ((3, 3), (2, 3))
"""

from __future__ import annotations

import contextlib
import warnings
from typing import NamedTuple

from .. import _backward_pass, random
from .._autograd_graph import next_sequence_nr
from .._grad_mode import enable_grad, is_grad_enabled, no_grad
from ..amp.autocast_mode import autocast, get_autocast_dtype, is_autocast_enabled
from ..autograd import Function, Tensor
from ..backends._profile import timing
from ._checkpoint_check import (
    CheckpointError,
    KernelTrace,
    check_backward_validity,
    check_recomputation,
    debug_enabled,
    detach_variable,
    early_stop_enabled,
    noop_context_fn,
    recorded_ops,
    replaced,
    set_checkpoint_debug_enabled,
    set_checkpoint_early_stop,
    tensors_in,
)

__all__ = [
    "CheckpointError",
    "check_backward_validity",
    "checkpoint",
    "checkpoint_sequential",
    "detach_variable",
    "noop_context_fn",
    "set_checkpoint_debug_enabled",
    "set_checkpoint_early_stop",
]

_GRAD_ERROR = (
    "Checkpointing is not compatible with .grad() or when an `inputs` parameter is passed "
    "to .backward(). Please use .backward() and do not pass its `inputs` argument."
)


class _Replay:
    """What running a segment again needs: the function, and the random state and autocast
    setting it first ran with (and, non-reentrant, ``context_fn``'s recomputation context)."""

    def __init__(self, run, preserve_rng_state, context=None):
        self.run, self.context = run, context or contextlib.nullcontext()
        self.rng_state = random.get_rng_state() if preserve_rng_state else None
        self.autocast = get_autocast_dtype() if is_autocast_enabled() else None

    def __call__(self, args, connected=False) -> tuple[list, object]:
        """The segment run again, recorded, on new leaves holding ``args``' values (on
        ``args`` themselves if ``connected``): those inputs, and the outputs."""
        inputs = list(args if connected else detach_variable(tuple(args)))
        fork = random.fork_rng(enabled=self.rng_state is not None)
        # the forward's autocast region again: the same dtypes as the first run
        mixed = autocast(dtype=self.autocast or "float16", enabled=self.autocast is not None)
        with fork, enable_grad(), mixed, self.context:
            if self.rng_state is not None:
                random.set_rng_state(self.rng_state)
            outputs = self.run(*inputs)
        return inputs, outputs


class CheckpointFunction(Function):
    """The node of a reentrant checkpointed segment: forward without recording, backward by
    running the segment again and a backward pass of its own into every leaf's ``.grad``
    (``torch.utils.checkpoint.CheckpointFunction``)."""

    @staticmethod
    def forward(ctx, run, preserve_rng_state, *args):
        ctx.replay, ctx.args = _Replay(run, preserve_rng_state), args
        with no_grad():
            return run(*args)

    @staticmethod
    def backward(ctx, *grad_outputs):
        if not _backward_pass.is_checkpoint_valid():
            raise RuntimeError(_GRAD_ERROR)
        inputs, outputs = ctx.replay(ctx.args)
        outputs, grads = _differentiated(_as_tuple(outputs), grad_outputs)
        if not outputs:  # PyTorch's error: no gradient could reach the inputs
            msg = "none of output has requires_grad=True, this checkpoint() is not necessary"
            raise RuntimeError(msg)
        _backward_pass.backward(outputs, grads)  # the parameters inside take theirs here
        grads = (value.grad if isinstance(value, Tensor) else None for value in inputs)
        return (None, None, *grads)


class Checkpoint(Function):
    """The node of a non-reentrant checkpointed segment (:func:`_non_reentrant`). Its inputs
    are the segment's arguments and what the segment reached without making it (the
    parameters inside, tensors from outside), so that any backward pass towards them runs
    it; its backward runs the segment again and differentiates it towards those alone. Its
    outputs are the Tensors among the segment's (in any tuples, lists and dicts)."""

    @staticmethod
    def forward(ctx, segment, *inputs):
        ctx.segment, ctx.inputs = segment, inputs
        ctx.mark_non_differentiable(*segment.constants)
        # an output the loss does not use gets None, not zeros: the gradients it would
        # carry back are then None, as through PyTorch's graph of the segment's own ops
        ctx.set_materialize_grads(False)
        return segment.outputs

    @staticmethod
    def backward(ctx, *grad_outputs):
        segment = ctx.segment
        args, reached = ctx.inputs[: segment.count], ctx.inputs[segment.count :]
        # create_graph=True through this node (grad mode is on here): the gradients must
        # depend on the arguments themselves, so the recomputation runs on them
        create_graph = is_grad_enabled()
        again, start = KernelTrace() if segment.trace else None, next_sequence_nr()
        with _traced(again):
            inputs, outputs = segment.replay(args, connected=create_graph)
        outputs = tensors_in(outputs)
        if again is not None:
            kernels, ops = segment.trace
            check_recomputation(kernels, again, segment.debug, segment.early_stop)
            if _metadata(outputs) != _metadata(segment.outputs):
                raise CheckpointError(
                    "torch.utils.checkpoint: Recomputed values have different metadata than "
                    f"during the forward pass: (shape, dtype) {_metadata(outputs)}, against "
                    f"{_metadata(segment.outputs)} in the forward"
                )
            again = recorded_ops(outputs, start)  # its gradients come from this graph
            check_recomputation(ops, again, segment.debug, segment.early_stop, "recorded op")
        outputs, grads = _differentiated(outputs, grad_outputs)
        everything = (*inputs, *reached)  # an argument also reached (connected): once
        wanted = {id(v): v for v in everything if isinstance(v, Tensor) and v.requires_grad}
        found = {}
        if outputs and wanted:  # the walk stops at each: their histories are the outer walk's
            grads = _backward_pass.direct_gradients(
                outputs, grads, list(wanted.values()), create_graph
            )
            found = dict(zip(wanted, grads, strict=True))
        grads = [found.pop(id(v), None) for v in everything]
        return (None, *grads)


class _Segment(NamedTuple):
    replay: _Replay
    outputs: tuple  # the Tensors among the forward's outputs, detached
    constants: list  # the outputs that required no gradient in the forward
    count: int  # how many of the node's inputs are the function's arguments
    trace: object  # the forward's kernel calls and recorded ops (KernelTraces), or None
    debug: bool
    early_stop: bool


def _non_reentrant(run, preserve_rng_state, context_fn, check, debug, stop, args):
    """Run the segment recorded, find what it reaches, and hand the Tensors among its
    outputs, detached (its graph and activations go), to a :class:`Checkpoint` node, whose
    outputs take their places."""
    forward_context, recompute_context = context_fn() if context_fn else (None, None)
    replay = _Replay(run, preserve_rng_state, recompute_context)
    start, inputs = next_sequence_nr(), detach_variable(args)
    trace = KernelTrace() if check else None
    with enable_grad(), forward_context or contextlib.nullcontext(), _traced(trace):
        outputs = run(*inputs)
    values = tensors_in(outputs)
    if not values:
        return outputs
    reached = _reached(values, inputs, start)
    if trace is not None:  # and the ops, which the gradients will come from
        trace = (trace, recorded_ops(values, start))
    detached = tuple(v.detach() for v in values)
    constants = [d for v, d in zip(values, detached, strict=True) if not v.requires_grad]
    segment = _Segment(replay, detached, constants, len(args), trace, debug, stop)
    return replaced(outputs, iter(_as_tuple(Checkpoint.apply(segment, *args, *reached))))


def _reached(outputs, inputs, start: int) -> list:
    """The tensors requiring grad that ``outputs``' graph reaches but did not make: leaves
    other than ``inputs``, and results of nodes made before node number ``start``."""
    own, found, seen = {id(value) for value in inputs}, [], set()
    stack = [value for value in outputs if isinstance(value, Tensor) and value.requires_grad]
    while stack:
        tensor = stack.pop()
        if id(tensor) in seen or id(tensor) in own:
            continue
        seen.add(id(tensor))
        node = tensor.grad_fn
        if node is None or node.sequence_nr < start:
            found.append(tensor)
        else:
            stack.extend(p for p in node.inputs if getattr(p, "requires_grad", False))
    return found


def _traced(trace):
    """A context in which ``trace`` (a :class:`KernelTrace`, or ``None``: nothing) records
    the kernel calls."""
    return contextlib.nullcontext() if trace is None else timing(trace)


def _differentiated(outputs, grad_outputs) -> tuple[tuple, tuple]:
    """The outputs that carry a gradient back, and those gradients: two tuples."""
    pairs = [
        (output, grad)
        for output, grad in zip(outputs, grad_outputs, strict=False)
        if isinstance(output, Tensor) and output.requires_grad and grad is not None
    ]
    return tuple(zip(*pairs, strict=True)) if pairs else ((), ())


def _as_tuple(outputs) -> tuple:
    return outputs if isinstance(outputs, tuple) else (outputs,)


def _metadata(values) -> list:
    return [(tuple(v.shape), str(v.dtype)) for v in values if isinstance(v, Tensor)]


def _reentrant(where: str, use_reentrant) -> bool:
    """``use_reentrant``, with PyTorch 2.13's warning and default (``True``) for ``None``."""
    if use_reentrant is not None:
        return use_reentrant
    warnings.warn(
        f"torch.utils.checkpoint{where}: the use_reentrant parameter should be passed "
        "explicitly. use_reentrant=False is recommended, but if you need to preserve the "
        "current default behavior, you can pass use_reentrant=True.",
        UserWarning,
        stacklevel=3,
    )
    return True


def checkpoint(
    function,
    *args,
    use_reentrant: bool | None = None,
    context_fn=None,
    determinism_check: str = "default",
    debug: bool = False,
    early_stop: bool = True,
    preserve_rng_state: bool = True,
    **kwargs,
):
    """``function(*args, **kwargs)`` without keeping its activations: they are computed
    again during the backward pass, as ``torch.utils.checkpoint.checkpoint``.

    Args:
        function: what to run: a module, or any callable of Tensors.
        *args: its arguments.
        use_reentrant: PyTorch's variant to follow (see :mod:`xpnet.utils.checkpoint`);
            ``None`` warns as PyTorch 2.13 does and takes ``True``.
        context_fn: non-reentrant only: a callable returning two context managers, the
            first entered around the forward, the second around the recomputation.
        determinism_check: non-reentrant only: ``"default"`` compares the recomputation
            with the forward: each kernel call's name and its array arguments' shapes and
            dtypes, the outputs' shapes and dtypes, then the shapes and dtypes of each
            recorded op's Tensor inputs (as PyTorch compares the tensors its ops save), and
            the number of calls and of ops (fewer is an error, more is not unless
            ``early_stop=False``: PyTorch stops early), a :class:`CheckpointError` if they
            differ; ``"none"`` does not.
        debug: non-reentrant only: the error also lists the kernel calls (or ops) of the
            forward and of the recomputation, as PyTorch's lists the operators.
        early_stop: non-reentrant only: ``False`` makes a recomputation with more kernel
            calls or ops than the forward an error (:func:`set_checkpoint_early_stop`
            overrides it). xpnet always recomputes the whole segment. Default: ``True``.
        preserve_rng_state: run the recomputation with the random state of the forward, so
            that dropout draws the same masks. Default: ``True``.
        **kwargs: ``function``'s keyword arguments (non-reentrant only).

    Returns:
        ``function``'s outputs. Outside grad mode, simply ``function(*args, **kwargs)``.

    Raises:
        ValueError: keyword arguments, a ``context_fn`` other than :func:`noop_context_fn`
            or ``debug`` with ``use_reentrant=True``, or, non-reentrant, another
            ``determinism_check``, as PyTorch's.
        RuntimeError: reentrant, during a backward pass that does not add into every
            leaf's ``.grad`` (``xpnet.autograd.grad``, ``backward(inputs=...)``), PyTorch's
            reentrant error; or, reentrant, in the backward pass, where no output of the
            recomputation requires grad (PyTorch's error).

    Warns:
        UserWarning: reentrant, where no Tensor argument requires grad (also under
            ``no_grad``, as PyTorch's), and where ``use_reentrant`` is not given.
    """
    use_reentrant = _reentrant("", use_reentrant)
    if use_reentrant:  # PyTorch's reentrant variant ignores determinism_check, early_stop
        if kwargs:
            raise ValueError("Unexpected keyword arguments: " + ",".join(kwargs))
        if context_fn not in (None, noop_context_fn) or debug:
            msg = "Passing `context_fn` or `debug` is only supported when use_reentrant=False."
            raise ValueError(msg)
        check_backward_validity(args)
    elif determinism_check not in ("default", "none"):
        msg = f"determinism_check should be one of ['default', 'none'], but got {determinism_check}"
        raise ValueError(msg)
    if not is_grad_enabled():
        return function(*args, **kwargs)
    run = (lambda *values: function(*values, **kwargs)) if kwargs else function
    if not use_reentrant:
        check, stop = determinism_check == "default", early_stop_enabled(early_stop)
        args = (run, preserve_rng_state, context_fn, check, debug_enabled(debug), stop, args)
        return _non_reentrant(*args)
    return CheckpointFunction.apply(run, preserve_rng_state, *args)


def checkpoint_sequential(functions, segments: int, input, use_reentrant=None, **kwargs):
    """Run ``functions`` (an ``nn.Sequential`` or a list of modules) in order on ``input``,
    cut into ``segments`` pieces, each checkpointed but the last, as
    ``torch.utils.checkpoint.checkpoint_sequential``.

    Args:
        functions: the modules, in order.
        segments: how many pieces to cut them into.
        input: the first module's input.
        use_reentrant: as :func:`checkpoint`.
        **kwargs: ``preserve_rng_state``, as :func:`checkpoint`'s, alone.

    Returns:
        The last module's output.

    Raises:
        ValueError: another keyword argument (PyTorch's message).
    """
    use_reentrant = _reentrant(".checkpoint_sequential", use_reentrant)
    preserve = kwargs.pop("preserve_rng_state", True)
    if kwargs:  # PyTorch's refusal, before anything runs (segments=1 checkpoints nothing)
        raise ValueError("Unexpected keyword arguments: " + ",".join(kwargs))
    modules = list(functions.children()) if hasattr(functions, "children") else list(functions)
    size = len(modules) // segments

    def run_piece(start, end):
        def forward(value):
            for module in modules[start : end + 1]:
                value = module(value)
            return value

        return forward

    end = -1
    for start in range(0, size * (segments - 1), size):
        end = start + size - 1
        piece = run_piece(start, end)
        input = checkpoint(piece, input, use_reentrant=use_reentrant, preserve_rng_state=preserve)
    return run_piece(end + 1, len(modules) - 1)(input)
