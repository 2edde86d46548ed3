"""``xpnet.autograd.graph``, as ``torch.autograd.graph``: the graph's node type, hooks over
several tensors at once, and the version counter's increment.

- :class:`Node`: the type of every ``grad_fn`` (``isinstance(y.grad_fn, Node)``), with
  PyTorch's ``name()`` and ``next_functions``.
- :func:`register_multi_grad_hook`: ``fn`` runs once per backward pass with the gradients of
  several tensors (``mode="all"``), or with the first of them computed (``mode="any"``).
- :func:`increment_version`: count a change made behind autograd's back, so that a node that
  saved the tensor refuses to run, as PyTorch's.

- :class:`saved_tensors_hooks`, :class:`save_on_cpu`, :func:`disable_saved_tensors_hooks`:
  hooks that pack what nodes save and unpack it for the backward (:mod:`xpnet._saved_hooks`).

- :class:`GradientEdge`, :func:`get_gradient_edge`: where a tensor's gradient enters the
  graph, which ``xpnet.autograd.grad`` takes in place of the tensor.

Not here (``AttributeError``, as for any name xpnet lacks):
``allow_mutation_on_saved_tensors``.

Example:
    >>> import xpnet
    >>> from xpnet.autograd.graph import register_multi_grad_hook
    >>> a, b = xpnet.ones(2, requires_grad=True), xpnet.ones(2, requires_grad=True)
    >>> seen = []
    >>> handle = register_multi_grad_hook((a, b), lambda grads: seen.append(len(grads)))
    >>> (a * 2 + b).sum().backward()
    >>> seen
    [2]
"""

from __future__ import annotations

import threading

from ._autograd_graph import GradientEdge
from ._autograd_graph import gradient_edge as get_gradient_edge
from ._backward_pass import current_walk, on_walk_end
from ._saved_hooks import disable_saved_tensors_hooks, save_on_cpu, saved_tensors_hooks
from ._versions import mark_modified
from .autograd import Node, Tensor

__all__ = [
    "GradientEdge",
    "Node",
    "disable_saved_tensors_hooks",
    "get_gradient_edge",
    "increment_version",
    "register_multi_grad_hook",
    "save_on_cpu",
    "saved_tensors_hooks",
]


def increment_version(tensor) -> None:
    """Count a change of ``tensor`` made outside autograd (e.g. through its array), as
    ``torch.autograd.graph.increment_version``: a node that saved it then refuses to run.
    A sequence of Tensors counts each."""
    for value in tensor if isinstance(tensor, list | tuple) else (tensor,):
        if not isinstance(value, Tensor):
            msg = f"increment_version: expected a Tensor, got {type(value).__name__}"
            raise TypeError(msg)
        mark_modified(value)


def register_multi_grad_hook(tensors, fn, *, mode: str = "all"):
    """Call ``fn`` once per backward pass with the gradients of ``tensors``, as
    ``torch.autograd.graph.register_multi_grad_hook``.

    Args:
        tensors: the Tensors (each requiring grad).
        fn: ``mode="all"``: ``fn(grads)``, a tuple in the order of ``tensors`` (``None``
            for one the pass gave no gradient), after the pass has computed all of them:
            xpnet calls it as the pass ends. ``mode="any"``: ``fn(grad)`` with the first of
            their gradients the pass computes. Neither is called by a pass that reaches
            none of them; what ``fn`` returns is ignored.
        mode: ``"all"`` or ``"any"``.

    Returns:
        A handle whose ``remove()`` unregisters ``fn`` (also a context manager).

    Raises:
        ValueError: another ``mode`` (PyTorch's message). RuntimeError: a tensor that does
            not require grad (``Tensor.register_hook``'s).
    """
    if mode not in ("all", "any"):
        raise ValueError(f"Expects mode to be one of ('all', 'any') but got {mode}")
    tensors = tuple(tensors)
    lock, passes = threading.Lock(), {}  # id(the pass) -> {tensor index: gradient}

    def finish(key) -> None:
        with lock:
            grads = passes.pop(key)
        if mode == "all":
            fn(tuple(grads.get(index) for index in range(len(tensors))))

    def hook_for(index):
        def hook(grad):
            key = id(current_walk())
            with lock:  # passes on several threads may run at once
                first = key not in passes
                passes.setdefault(key, {}).setdefault(index, grad)
            if first:
                on_walk_end(lambda: finish(key))
                if mode == "any":
                    fn(grad)

        return hook

    return _Handles(tensor.register_hook(hook_for(i)) for i, tensor in enumerate(tensors))


class _Handles(list):
    """The handles of one multi-tensor hook, removed together (PyTorch's one handle)."""

    def remove(self) -> None:
        for handle in self:
            handle.remove()

    def __enter__(self) -> _Handles:
        return self

    def __exit__(self, *exc_info) -> None:
        self.remove()
