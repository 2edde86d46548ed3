"""Saved-tensor hooks, as ``torch.autograd.graph``'s: :class:`saved_tensors_hooks`,
:class:`save_on_cpu` and :func:`disable_saved_tensors_hooks`.

A node keeps what its backward needs: xpnet's nodes, the arrays of the op's call (its inputs,
and extras such as max-pooling's indices); a custom Function's context, the Tensors of
``ctx.save_for_backward``. Under :class:`saved_tensors_hooks`, each of them is handed, as a
Tensor, to ``pack_hook`` as the node is recorded, and the node keeps what that returns; the
backward gets each back from ``unpack_hook``, which must return a Tensor. The innermost hooks
in force on the thread apply, as PyTorch's.

xpnet's nodes save the arrays of the call, where PyTorch's save what each formula needs: the
hooks see the same kind of values (an input is passed as the input Tensor itself, as
PyTorch's), not always the same number of them (``exp`` saves its input here, its result in
PyTorch). A saved input that a recorded in-place op changes later is kept as a copy of its old
value (xpnet's rule for in-place changes, :mod:`xpnet._tensor_inplace`), which the unpack hook
does not see.

Neighbours: :mod:`xpnet.autograd` (``Node``, which packs and unpacks through
:func:`pack_saved` and :func:`unpack_saved`), :mod:`xpnet._custom_function` (the context),
:mod:`xpnet._graph_hooks` (``xpnet.autograd.graph``, which exports these).
"""

from __future__ import annotations

import contextlib
import threading

import numpy

from .backends import backend_of

__all__ = [
    "Packed",
    "disable_saved_tensors_hooks",
    "hooks_suspended",
    "pack_saved",
    "pack_tensor",
    "replace_saved",
    "save_on_cpu",
    "saved_tensors_hooks",
    "unpack_saved",
    "unpack_tensor",
]

_state = threading.local()  # per thread, as PyTorch's: the hooks stack, the disabling message


def _hooks() -> tuple:
    return getattr(_state, "stack", ())


class saved_tensors_hooks:  # noqa: N801 - PyTorch's name
    """Context manager: pack each value a node saves with ``pack_hook(tensor)`` as it is
    recorded, and get it back with ``unpack_hook(packed)`` (a Tensor) when the backward needs
    it, as ``torch.autograd.graph.saved_tensors_hooks``.

    Raises:
        RuntimeError: on entering inside :func:`disable_saved_tensors_hooks` (its message).

    Example:
        >>> import xpnet
        >>> from xpnet.autograd.graph import saved_tensors_hooks
        >>> x = xpnet.ones(3, requires_grad=True)
        >>> packed = []
        >>> with saved_tensors_hooks(lambda t: packed.append(t) or t, lambda t: t):
        ...     y = x * x
        >>> y.sum().backward()
        >>> len(packed), packed[0] is x, x.grad.tolist()
        (2, True, [2.0, 2.0, 2.0])
    """

    def __init__(self, pack_hook, unpack_hook):
        self.pack_hook, self.unpack_hook = pack_hook, unpack_hook

    def __enter__(self):
        message = getattr(_state, "disabled", None)
        if message is not None:
            raise RuntimeError(message)
        _state.stack = (*_hooks(), (self.pack_hook, self.unpack_hook))
        return self

    def __exit__(self, *exc_info) -> None:
        _state.stack = _hooks()[:-1]


class save_on_cpu(saved_tensors_hooks):  # noqa: N801 - PyTorch's name
    """Context manager: nodes keep their saved values in host memory and copy them back to
    their device for the backward, as ``torch.autograd.graph.save_on_cpu``. Host arrays
    (numpy) are kept as they are.

    Unlike PyTorch's, it frees little device memory: xpnet's nodes link their input Tensors
    (PyTorch's link only the inputs' nodes), which keep their device arrays for the backward
    anyway; only the other values nodes save (max-pooling's indices, dropout's masks, ...)
    leave the device.

    Args:
        pin_memory: copy into page-locked host memory, from which the copy back runs by DMA
            (the backend's ``pinned_host``; a no-op on host backends). Default: ``False``.
        device_type: PyTorch's argument, accepted for scripts that pass it; the values go
            back to the backend they came from.
    """

    def __init__(self, pin_memory: bool = False, device_type: str = "cuda"):
        def pack_to_host(tensor):
            backend = backend_of(tensor.array)
            host = backend.to_host(tensor.array)
            pinned = getattr(backend, "pinned_host", None)
            return backend, pinned(host) if pin_memory and pinned is not None else host

        def unpack_from_host(packed):
            from .autograd import Tensor

            backend, host = packed
            return Tensor(backend.asarray(host))

        super().__init__(pack_to_host, unpack_from_host)


@contextlib.contextmanager
def disable_saved_tensors_hooks(error_message: str):
    """Context manager: refuse saved-tensor hooks, as
    ``torch.autograd.graph.disable_saved_tensors_hooks``: entering
    :class:`saved_tensors_hooks` inside raises ``RuntimeError(error_message)``.

    Raises:
        RuntimeError: ``error_message``, where hooks are in force already.
    """
    if _hooks():
        raise RuntimeError(error_message)
    outer = getattr(_state, "disabled", None)
    _state.disabled = error_message
    try:
        yield
    finally:
        _state.disabled = outer


@contextlib.contextmanager
def hooks_suspended():
    """No saved-tensor hooks on this thread inside: for the ops a pack hook runs itself (as
    PyTorch's, they are not packed again), and for nodes that save nothing of their own (a
    custom Function's, whose context saved what it keeps)."""
    stack = _hooks()
    _state.stack = ()
    try:
        yield
    finally:
        _state.stack = stack


class Packed:
    """A saved value as ``pack_hook`` returned it, with the ``unpack_hook`` that gets it
    back. ``source``: the array of the node's input it was made from, which a recorded
    in-place change of that input replaces by its old value (:func:`replace_saved`), else
    ``None`` (the node's inputs hold it anyway: no memory is kept that was not)."""

    __slots__ = ("packed", "source", "unpack_hook")

    def __init__(self, tensor, pack_hook, unpack_hook, source=None):
        with hooks_suspended():
            self.packed = pack_hook(tensor)
        self.unpack_hook, self.source = unpack_hook, source

    def unpacked(self):
        """The Tensor ``unpack_hook`` gives back.

        Raises:
            TypeError: it gave something else (PyTorch's message).
        """
        from .autograd import Tensor

        tensor = self.unpack_hook(self.packed)
        if not isinstance(tensor, Tensor):
            msg = (
                "Output of saved tensor unpack_hook expected to be a Tensor but got result of "
                f"type {type(tensor).__name__}"
            )
            raise TypeError(msg)
        return tensor


def pack_tensor(tensor):
    """``tensor`` (a Tensor or ``None``) saved under the innermost hooks in force: a
    :class:`Packed`, or ``tensor`` itself without hooks (a custom Function's context)."""
    hooks = _hooks()
    return tensor if not hooks or tensor is None else Packed(tensor, *hooks[-1])


def unpack_tensor(value):
    """The Tensor of a value :func:`pack_tensor` saved."""
    return value.unpacked() if isinstance(value, Packed) else value


def pack_saved(args: tuple, kwargs: dict, inputs: tuple) -> tuple[tuple, dict]:
    """The arguments of a recorded op as its node keeps them: each array packed by the
    innermost hooks in force, as a Tensor (the input Tensor itself where the array is an
    input's); without hooks, as given."""
    hooks = _hooks()
    if not hooks:
        return args, kwargs
    from .autograd import Tensor

    tensors = {id(t.array): t for t in inputs if isinstance(t, Tensor)}

    def saved(value):
        if not hasattr(value, "shape") or isinstance(value, numpy.generic | Tensor):
            return value  # numbers, tuples, None: kept, as PyTorch keeps non-Tensors
        tensor = tensors.get(id(value))
        if tensor is None:
            return Packed(Tensor(value), *hooks[-1])
        return Packed(tensor, *hooks[-1], source=value)

    return tuple(saved(a) for a in args), {k: saved(v) for k, v in kwargs.items()}


def unpack_saved(args: tuple, kwargs: dict) -> tuple[tuple, dict]:
    """The arrays of :func:`pack_saved`'s arguments, each unpacked by its hook."""

    def array(value):
        return value.unpacked().array if isinstance(value, Packed) else value

    if not any(isinstance(v, Packed) for v in (*args, *kwargs.values())):
        return args, kwargs
    return tuple(array(a) for a in args), {k: array(v) for k, v in kwargs.items()}


def replace_saved(value, old, copy):
    """``value`` (a saved argument, packed or not), or ``copy`` if it holds ``old``, the
    array a recorded in-place change is about to overwrite."""
    held = value.source if isinstance(value, Packed) else value
    return copy if held is old else value
