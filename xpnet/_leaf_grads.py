"""A leaf's ``.grad``: a backward pass adds its gradient in (:func:`add_to_grad`, under a
lock, since threads may share a leaf), and ``tensor.grad = value`` checks what it is given
(:func:`assign_grad`), and ``zero_grad`` clears it (:func:`clear_grad`), as PyTorch's.

Neighbours: :mod:`xpnet._backward_pass` (the walk that calls :func:`add_to_grad`),
:mod:`xpnet.autograd` (``Tensor.grad``'s setter).
"""

from __future__ import annotations

import threading

from .backends import backend_of

_GRAD_LOCK = threading.Lock()  # .grad += ...: a read-modify-write


def add_to_grad(tensor, grad, owned: bool) -> None:
    """``tensor.grad += grad`` (the first time ``grad`` itself where ``owned``, else a copy),
    under a lock: threads may share a leaf (one ``Linear``, two threads). ``grad``: an array,
    or under ``create_graph=True`` a Tensor, added by a recorded addition (``.grad`` then
    has a graph, as PyTorch's)."""
    from .autograd import Tensor  # the Tensor module imports this one

    with _GRAD_LOCK:
        held = tensor.grad
        if isinstance(grad, Tensor):
            tensor.grad = grad if held is None else held + grad
            return
        backend = backend_of(grad)
        if held is not None and held.grad_fn is None:
            with backend.ignore_float_errors():  # inf + -inf: NaN
                kept = held.array + grad
            # the same Tensor keeps the sum (NumPy turns 0-d results into scalars)
            held.array = kept if type(kept) is backend.ndarray else backend.asarray(kept)
            return
        if held is not None:  # a .grad with a graph (create_graph before): a new Tensor
            tensor.grad = held.detach() + Tensor(grad)
            return
        tensor.grad = Tensor(grad if owned else grad.copy())


def assign_grad(tensor, value) -> None:
    """``tensor.grad = value``: ``None``, a Tensor (kept as it is) or a backend array
    (wrapped), of ``tensor``'s shape and dtype; PyTorch's errors otherwise."""
    from .autograd import Tensor  # the Tensor module imports this one

    if value is not None and not isinstance(value, Tensor):
        if not (hasattr(value, "dtype") and hasattr(value, "shape")):
            kind = type(value).__name__
            msg = f"assigned grad expected to be a Tensor or None but got grad of type {kind}"
            raise TypeError(msg)
        value = Tensor(value)
    if value is not None and tuple(value.shape) != tuple(tensor.shape):
        msg = (
            f"attempting to assign a gradient of size '{list(value.shape)}' to a tensor of "
            f"size '{list(tensor.shape)}'. Please ensure that the gradient and the tensor are "
            "the same size"
        )
        raise RuntimeError(msg)
    if value is not None and value.dtype != tensor.dtype:
        msg = (
            f"attempting to assign a gradient with dtype '{value.dtype}' to a tensor with dtype "
            f"'{tensor.dtype}'. The gradient must match the tensor's dtype"
        )
        raise RuntimeError(msg)
    tensor._grad = value


def clear_grad(param, set_to_none: bool) -> None:
    """``param.grad`` cleared as PyTorch's ``zero_grad`` clears it: set to ``None``, or
    zeroed in place (the same Tensor, ``zero_()``, not ``grad * 0``: ``inf * 0`` is NaN), first
    taken out of any graph: detached if it was computed (``create_graph=True``), else made
    not to require a gradient. A duck-typed parameter's bare array is zeroed in place."""
    grad = param.grad
    if grad is None:
        return
    if set_to_none:
        param.grad = None
    elif not hasattr(grad, "grad_fn"):
        grad[...] = 0
    else:
        if grad.grad_fn is not None:
            grad.detach_()
        else:
            grad.requires_grad_(False)
        grad.zero_()
