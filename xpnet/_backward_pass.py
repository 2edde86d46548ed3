"""The graph walk of ``Tensor.backward`` (:mod:`xpnet.autograd`): the order in which nodes
run, how the gradients that reach one tensor from several users are added up, and the
tensor hooks (``Tensor.register_hook``, :mod:`xpnet._tensor_methods`) that see or replace a
tensor's gradient once it is complete."""

from __future__ import annotations

from .backends import float_errors_ignored
from .kernels._checks import check_grad_output


def topological_order(root) -> list:
    """Tensors reachable from ``root`` through grad_fn, every input before its users."""
    order, visited, stack = [], set(), [(root, False)]
    while stack:
        tensor, inputs_done = stack.pop()
        if inputs_done:
            order.append(tensor)
            continue
        if id(tensor) in visited:
            continue
        visited.add(id(tensor))
        stack.append((tensor, True))
        if tensor.grad_fn is not None:
            for parent in tensor.grad_fn.inputs:
                if getattr(parent, "requires_grad", False):  # a Tensor (not a number)
                    stack.append((parent, False))
    return order


def accumulate(pending: dict, tensor, grad, owned: bool) -> None:
    """Add ``grad`` to ``tensor``'s pending gradient; ``owned``: no one else holds ``grad``."""
    if grad is None:  # none at all (a module backward hook's ``None``): nothing to add
        return
    previous, _ = pending.get(id(tensor), (None, False))
    if previous is None:
        pending[id(tensor)] = (grad, owned)
        return
    with float_errors_ignored():  # inf + -inf is NaN, as PyTorch's: no warning
        pending[id(tensor)] = (previous + grad, True)


def owned_gradient(grad, grad_output, grads) -> bool:
    """Whether a backward's ``grad`` is a fresh array that only this backward pass holds.

    Not: the upstream gradient passed through, a view (maybe a read-only broadcast), or an
    array returned for two inputs. Leaves keep owned gradients as they are (PyTorch steals
    such gradients too) and copy the others, which saves one copy per leaf.
    """
    return (
        grad is not grad_output
        and getattr(grad, "base", None) is None
        and sum(other is grad for other in grads) == 1
    )


def hooked_gradient(tensor, grad, owned: bool) -> tuple:
    """``(grad, owned)`` after ``tensor``'s hooks, in registration order, as PyTorch's: each
    gets the gradient (an array); one that returns a Tensor or array replaces it, which must
    keep its shape and dtype."""
    hooks = getattr(tensor, "_backward_hooks", None)
    if not hooks:
        return grad, owned
    for hook in tuple(hooks.values()):
        result = hook(grad)
        if result is not None:
            result = result.data if hasattr(result, "grad_fn") else result  # a Tensor
            check_grad_output(
                "register_hook",
                result,
                tensor.shape,
                tensor.dtype,
                "the tensor",
                "the hook's result",
            )
            grad, owned = result, False
    return grad, owned
