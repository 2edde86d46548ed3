"""Activation checkpointing, as ``torch.utils.checkpoint``: a segment of the model keeps no
activations for the backward pass; its backward computes them again from the segment's
inputs, trading one more forward of the segment for its memory.

``checkpoint(function, *args, use_reentrant=...)`` runs ``function`` without recording and
returns its outputs attached to one node. The node's backward runs ``function`` again, with
the random state and the autocast setting of the first run (dropout draws the same masks,
ops run in the same dtypes), records it, and backpropagates
the outputs' gradients through it: the parameters inside get their gradients added into
``.grad`` by that inner pass, the inputs' gradients go on through the outer one. That is
PyTorch's reentrant variant, so both variants need ``backward()`` without ``inputs=``: under
:func:`xpnet.autograd.grad` the recomputation raises PyTorch's reentrant error.
``use_reentrant=False`` also takes keyword arguments for ``function`` and inputs that require
no gradient (the parameters inside still get theirs), as PyTorch's non-reentrant variant.

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

import warnings

from .. import _backward_pass, random
from .._creation import zeros
from .._grad_mode import enable_grad, is_grad_enabled, no_grad
from ..amp.autocast_mode import autocast, get_autocast_dtype, is_autocast_enabled
from ..autograd import Function, Tensor

__all__ = ["checkpoint", "checkpoint_sequential"]

_GRAD_ERROR = (
    "Checkpointing is not compatible with .grad() or when an `inputs` parameter is passed "
    "to .backward(). Please use .backward() and do not pass its `inputs` argument."
)


class CheckpointFunction(Function):
    """The node of a checkpointed segment: forward without recording, backward by running
    the segment again under grad mode (``torch.utils.checkpoint.CheckpointFunction``)."""

    @staticmethod
    def forward(ctx, run, preserve_rng_state, anchor, *args):
        ctx.run, ctx.args = run, args
        ctx.rng_state = random.get_rng_state() if preserve_rng_state else None
        ctx.autocast = get_autocast_dtype() if is_autocast_enabled() else None
        with no_grad():
            return run(*args)

    @staticmethod
    def backward(ctx, *grad_outputs):
        if not _backward_pass.is_checkpoint_valid():
            raise RuntimeError(_GRAD_ERROR)
        inputs = [
            value.detach().requires_grad_(value.requires_grad)
            if isinstance(value, Tensor)
            else value
            for value in ctx.args
        ]
        fork = random.fork_rng(enabled=ctx.rng_state is not None)
        # the forward's autocast region again: the same dtypes as the first run
        mixed = autocast(dtype=ctx.autocast or "float16", enabled=ctx.autocast is not None)
        with fork, enable_grad(), mixed:
            if ctx.rng_state is not None:
                random.set_rng_state(ctx.rng_state)
            outputs = ctx.run(*inputs)
        outputs = outputs if isinstance(outputs, tuple) else (outputs,)
        pairs = [
            (output, grad)
            for output, grad in zip(outputs, grad_outputs, strict=False)
            if isinstance(output, Tensor) and output.requires_grad and grad is not None
        ]
        if pairs:  # the parameters inside take their gradients here
            _backward_pass.backward(*zip(*pairs, strict=True))
        grads = (value.grad if isinstance(value, Tensor) else None for value in inputs)
        return (None, None, None, *grads)


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
        context_fn, determinism_check, debug: accepted for PyTorch's signature (the
            non-reentrant variant's options): the recomputation is checked by nothing.
        preserve_rng_state: run the recomputation with the random state of the forward, so
            that dropout draws the same masks. Default: ``True``.
        **kwargs: ``function``'s keyword arguments (``use_reentrant=False`` only).

    Returns:
        ``function``'s outputs. Outside grad mode, simply ``function(*args, **kwargs)``.

    Raises:
        ValueError: keyword arguments with ``use_reentrant=True``, as PyTorch's.
        RuntimeError: during a backward pass that does not add into every leaf's ``.grad``
            (``xpnet.autograd.grad``, ``backward(inputs=...)``), PyTorch's reentrant error.
    """
    use_reentrant = _reentrant("", use_reentrant)
    if use_reentrant and kwargs:
        raise ValueError("Unexpected keyword arguments: " + ",".join(kwargs))
    if not is_grad_enabled():
        return function(*args, **kwargs)
    run = (lambda *values: function(*values, **kwargs)) if kwargs else function
    needs_grad = any(isinstance(v, Tensor) and v.requires_grad for v in args)
    if use_reentrant and not needs_grad:
        warnings.warn(
            "None of the inputs have requires_grad=True. Gradients will be None",
            UserWarning,
            stacklevel=2,
        )
    # the non-reentrant variant records the segment whatever its inputs: an input that
    # requires grad anchors the node (the parameters inside may need their gradients)
    anchor = None if use_reentrant or needs_grad else zeros((), requires_grad=True)
    return CheckpointFunction.apply(run, preserve_rng_state, anchor, *args)


def checkpoint_sequential(functions, segments: int, input, use_reentrant=None, **kwargs):
    """Run ``functions`` (an ``nn.Sequential`` or a list of modules) in order on ``input``,
    cut into ``segments`` pieces, each checkpointed but the last, as
    ``torch.utils.checkpoint.checkpoint_sequential``.

    Args:
        functions: the modules, in order.
        segments: how many pieces to cut them into.
        input: the first module's input.
        use_reentrant, **kwargs: as :func:`checkpoint` (``preserve_rng_state``).

    Returns:
        The last module's output.
    """
    use_reentrant = _reentrant(".checkpoint_sequential", use_reentrant)
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
        input = checkpoint(run_piece(start, end), input, use_reentrant=use_reentrant, **kwargs)
    return run_piece(end + 1, len(modules) - 1)(input)
