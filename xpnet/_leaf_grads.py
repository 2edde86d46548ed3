"""A tensor's gradient once the backward pass has it: the tensor's hooks see or replace it
(:func:`hooked_gradient`), a leaf's ``.grad`` takes it (:func:`add_to_grad`, under a lock,
since threads may share a leaf), then the leaf's post-accumulate hooks run
(:func:`post_accumulated`); ``tensor.grad`` warns where it is never filled
(:func:`read_grad`), ``tensor.grad = value`` checks what it is given (:func:`assign_grad`),
and ``zero_grad`` clears it (:func:`clear_grad`), as PyTorch's.

Neighbours: :mod:`xpnet._backward_pass` (the walk that calls :func:`add_to_grad`),
:mod:`xpnet.autograd` (``Tensor.grad``'s setter).
"""

from __future__ import annotations

import threading
import warnings

import numpy

from .backends import backend_of
from .kernels._checks import UnsupportedDtypeError, check_grad_output

_GRAD_LOCK = threading.Lock()  # .grad += ...: a read-modify-write


def add_to_grad(tensor, grad, owned: bool) -> None:
    """``tensor.grad += grad`` (the first time ``grad`` itself where ``owned``, else a copy),
    under a lock: threads may share a leaf (one ``Linear``, two threads). ``grad``: an array,
    or under ``create_graph=True`` a Tensor, added by a recorded addition (``.grad`` then
    has a graph, as PyTorch's)."""
    from .autograd import Tensor  # the Tensor module imports this one

    with _GRAD_LOCK:
        held = tensor._grad  # (not .grad: that warns for a non-leaf target)
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


def hooked_gradient(tensor, grad, owned: bool) -> tuple:
    """``(grad, owned)`` after ``tensor``'s hooks (``Tensor.register_hook``), in registration
    order, as PyTorch's: each gets the gradient as a Tensor (under ``create_graph=True`` with a
    graph); one that returns a Tensor or array replaces it, which must keep its shape and
    dtype (PyTorch's RuntimeError; a Tensor keeps its graph under ``create_graph=True``)."""
    from .autograd import Tensor  # the Tensor module imports this one

    hooks = getattr(tensor, "_backward_hooks", None)
    if not hooks:
        return grad, owned
    differentiable = hasattr(grad, "grad_fn")  # a Tensor: the create_graph walk
    for hook in tuple(hooks.values()):
        result = hook(grad if differentiable else Tensor(grad))
        if result is None:
            continue
        array = result.array if hasattr(result, "grad_fn") else result  # a Tensor
        if hasattr(array, "dtype") and array.dtype != tensor.dtype:
            name = getattr(hook, "__name__", type(hook).__name__)
            msg = (
                f"register_hook: hook '{name}' has changed the type of value (was "
                f"{tensor.dtype}, got {array.dtype})"
            )
            raise RuntimeError(msg)
        shape, dtype = tensor.shape, tensor.dtype
        check_grad_output("register_hook", array, shape, dtype, "the tensor", "the hook's result")
        if differentiable and not hasattr(result, "grad_fn"):
            result = type(grad)(array)  # an array: a constant Tensor
        grad, owned = (result if differentiable else array), False
    return grad, owned


def post_accumulated(tensor) -> None:
    """Run ``tensor``'s post-accumulate-grad hooks (a leaf's, after its ``.grad`` took the
    gradient), in order; each must return ``None`` (PyTorch's RuntimeError)."""
    for hook in tuple(getattr(tensor, "_post_accumulate_grad_hooks", {}).values()):
        if hook(tensor) is not None:
            msg = "register_post_accumulate_grad_hook: Tensor post accumulate grad hooks"
            raise RuntimeError(f"{msg} should return None.")


def read_grad(tensor):
    """``tensor.grad``: warns, as PyTorch's, when read on a tensor that is not a leaf and does
    not :meth:`~xpnet.Tensor.retain_grad` (a backward pass never fills it)."""
    grad = tensor._grad
    if grad is None and tensor.grad_fn is not None and not getattr(tensor, "_retains_grad", 0):
        msg = (
            "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its "
            ".grad attribute won't be populated during autograd.backward(). If you indeed want "
            "the .grad field to be populated for a non-leaf Tensor, use .retain_grad() on the "
            "non-leaf Tensor. If you access the non-leaf Tensor by mistake, make sure you access "
            "the leaf Tensor instead."
        )
        warnings.warn(msg, UserWarning, stacklevel=2)
    return grad


def assign_requires_grad(tensor, value, where: str = "Tensor.requires_grad") -> None:
    """``tensor.requires_grad = value`` (and ``requires_grad_``), with PyTorch's checks: only
    a floating-point tensor can require grad, only a leaf can stop."""
    if value and numpy.dtype(tensor.dtype).kind != "f":  # a lazy placeholder's: a name
        msg = f"{where}: only floating-point arrays can require gradients, got {tensor.dtype}"
        raise UnsupportedDtypeError(msg)  # a TypeError, and PyTorch's RuntimeError
    if not value and tensor.grad_fn is not None:
        msg = (
            f"{where}: only leaf tensors can stop requiring grad, got one with "
            f"grad_fn={tensor.grad_fn!r}; use .detach() for a tensor outside the graph"
        )
        raise RuntimeError(msg)
    tensor._requires_grad = bool(value)


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
