"""PyTorch's custom autograd Functions: a subclass of :class:`xpnet.autograd.Function` with
static ``forward(ctx, *args)`` and ``backward(ctx, *grad_outputs)``, called as
``MyFunction.apply(*args)``, as ``torch.autograd.Function`` subclasses are (also the newer form,
``forward(*args)`` with ``setup_context(ctx, inputs, output)``).

``forward`` runs without recording (grad mode off) on the Tensors it is given; each floating
output becomes a new Tensor whose node calls ``backward`` with the gradient of every output
(zeros for the others, unless ``ctx.set_materialize_grads(False)``: ``None``). ``backward``
works on Tensors too and returns one gradient per ``forward`` argument (``None`` for the
arguments that are not Tensors; more trailing ``None``s are accepted, as PyTorch's). Under
``xpnet.autograd.grad(..., create_graph=True)`` it runs in grad mode, so that a ``backward``
written in Tensor operations is differentiated again, unless it is marked
:func:`once_differentiable`. Outputs that several nodes share are each a node of their own,
so a ``backward`` may run once per used output, each time with one gradient that is not
zero: the sum is the same, as a backward is linear in its gradients. In-place forwards
(``ctx.mark_dirty``) are not supported.

Example:
    >>> import xpnet
    >>> class Cube(xpnet.autograd.Function):
    ...     @staticmethod
    ...     def forward(ctx, x):
    ...         ctx.save_for_backward(x)
    ...         return x**3
    ...     @staticmethod
    ...     def backward(ctx, grad_output):
    ...         (x,) = ctx.saved_tensors
    ...         return grad_output * 3 * x**2
    >>> x = xpnet.tensor([1.0, 2.0], requires_grad=True)
    >>> Cube.apply(x).sum().backward()
    >>> x.grad.tolist()
    [3.0, 12.0]
"""

from __future__ import annotations

import functools
import inspect

from ._autograd_graph import OutputGroup
from ._saved_hooks import hooks_suspended, pack_tensor, unpack_tensor

__all__ = ["FunctionCtx", "once_differentiable"]


def __getattr__(name):  # xpnet.autograd.function.Function, as torch.autograd.function's
    if name == "Function":
        from .autograd import Function

        return Function
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class FunctionCtx:
    """The ``ctx`` of a custom Function: what ``forward`` leaves for ``backward``.

    Attributes:
        needs_input_grad: one bool per ``forward`` argument: whether it is a Tensor that
            requires grad (and grad mode was on).
    """

    def __init__(self, needs_input_grad: tuple):
        self.needs_input_grad = needs_input_grad
        self.materialize_grads = True
        self._saved: tuple | None = ()
        self._versions: tuple = ()  # of the saved Tensors, as the forward ended
        self._non_differentiable: set = set()

    def save_for_backward(self, *tensors) -> None:
        """Keep ``tensors`` (Tensors or ``None``) for ``backward`` (``ctx.saved_tensors``).

        Raises:
            TypeError: something else than a Tensor or ``None``.
        """
        from .autograd import Tensor

        for index, value in enumerate(tensors):
            if value is not None and not isinstance(value, Tensor):
                msg = (
                    "save_for_backward can only save Tensors or None, got "
                    f"{type(value).__name__} at position {index}"
                )
                raise TypeError(msg)
        self._saved = tuple(pack_tensor(tensor) for tensor in tensors)  # saved_tensors_hooks

    @property
    def saved_tensors(self) -> tuple:
        if self._saved is None:
            msg = (
                "saved_tensors: trying to backward through the graph a second time; pass "
                "retain_graph=True to the first backward() to keep it"
            )
            raise RuntimeError(msg)
        for index, (value, version) in enumerate(zip(self._saved, self._versions, strict=False)):
            if version is not None and value._version != version:
                msg = (
                    "saved_tensors: one of the variables needed for gradient computation has been "
                    f"modified by an inplace operation: the Tensor saved at position {index} "
                    f"(shape {list(value.shape)}, {value.dtype}) is at version {value._version}; "
                    f"expected version {version} instead; save a clone() of it, or change it "
                    "out of place"
                )
                raise RuntimeError(msg)
        return tuple(unpack_tensor(value) for value in self._saved)

    def _keep_versions(self) -> None:
        """Note the versions of the Tensors saved as they are (not packed by a hook), as the
        forward ends: one changed in place later would give ``backward`` its new value, so
        :attr:`saved_tensors` refuses then, as PyTorch's."""
        from .autograd import Tensor

        saved = self._saved or ()
        self._versions = tuple(v._version if isinstance(v, Tensor) else None for v in saved)

    def mark_non_differentiable(self, *outputs) -> None:
        """Give these outputs of ``forward`` no gradient (``requires_grad=False``)."""
        self._non_differentiable.update(id(output) for output in outputs)

    def set_materialize_grads(self, value: bool) -> None:
        """``False``: ``backward`` gets ``None`` for the gradients of unused outputs instead of
        zeros."""
        self.materialize_grads = bool(value)

    def mark_dirty(self, *tensors) -> None:
        msg = (
            "mark_dirty: custom Functions that change their inputs in place are not supported "
            "in xpnet; return a new Tensor"
        )
        raise NotImplementedError(msg)


def once_differentiable(backward):
    """Mark a custom Function's ``backward`` as not differentiable: it runs without recording,
    and ``create_graph=True`` through it raises, as ``torch.autograd.function``'s."""
    backward._once_differentiable = True
    return backward


class CustomFunction:
    """The part of :class:`xpnet.autograd.Function` that runs PyTorch's subclass protocol."""

    @classmethod
    def apply(cls, *args, **kwargs):
        """Run this custom Function on ``args`` (see :mod:`xpnet._custom_function`).

        Raises:
            NotImplementedError: ``forward`` not defined in the subclass.
        """
        if not callable(getattr(cls, "forward", None)):
            msg = "You must implement the forward function for custom autograd.Function."
            raise NotImplementedError(msg)
        return _apply(cls, _positional(cls, args, kwargs))


def _positional(cls, args, kwargs) -> tuple:
    """``forward``'s arguments, keywords and defaults included, in its order (``backward``
    returns a gradient for each)."""
    signature = inspect.signature(cls.forward)
    parameters = list(signature.parameters.values())
    if not _new_style(cls):
        parameters = parameters[1:]  # ctx
    bound = signature.replace(parameters=parameters).bind(*args, **kwargs)
    bound.apply_defaults()
    return bound.args + tuple(bound.kwargs.values())


def _new_style(cls) -> bool:
    """Whether ``cls`` splits ``forward`` and ``setup_context`` (PyTorch 2's form)."""
    return callable(getattr(cls, "setup_context", None))


def _apply(cls, args: tuple):
    from ._grad_mode import is_grad_enabled, no_grad
    from .autograd import Node, Tensor

    recording = is_grad_enabled()
    ctx = FunctionCtx(tuple(recording and getattr(a, "requires_grad", False) for a in args))
    ctx._tensor_inputs = tuple(isinstance(a, Tensor) for a in args)
    with no_grad():
        if _new_style(cls):
            output = cls.forward(*args)
            cls.setup_context(ctx, args, output)
        else:
            output = cls.forward(ctx, *args)
    ctx._keep_versions()
    outputs = output if isinstance(output, tuple) else (output,)
    node_function = _node_function(cls, len(args))
    arrays = tuple(getattr(a, "array", a) for a in args)
    results, recorded = [], []
    for position, value in enumerate(outputs):
        if not isinstance(value, Tensor):
            results.append(value)
            continue
        result = value.detach()  # a new Tensor: an input returned as it is gets a node too
        if any(ctx.needs_input_grad) and _differentiable(value, ctx):
            result.requires_grad = True
            where = {"ctx": ctx, "outputs": outputs}
            with hooks_suspended():  # the context saved what the node keeps
                result.grad_fn = Node(node_function, args, arrays, where)
            result.grad_fn.output_index = position
            recorded.append(result)
        results.append(result)
    group = OutputGroup(len(outputs), recorded)  # one backward call for all the outputs
    for result in recorded:
        result.grad_fn.group = group
    return tuple(results) if isinstance(output, tuple) else results[0]


def _differentiable(output, ctx) -> bool:
    return output.dtype.kind == "f" and id(output) not in ctx._non_differentiable


@functools.cache
def _node_function(cls, count: int):
    """The object a node of ``cls`` with ``count`` arguments calls (as a
    :class:`xpnet.autograd.Function`'s): its array ``backward``, and a differentiable one
    registered for it (which refuses where ``backward`` is ``once_differentiable``)."""
    return _NodeFunction(cls, count)


class _NodeFunction:
    """What :class:`xpnet.autograd.Node` needs of a Function, for a custom Function's nodes."""

    takes_mask = False
    tensor_edges = True  # next_functions: PyTorch gives its nodes one edge per Tensor argument

    def __init__(self, cls, count: int):
        from ._double_backward import differentiable_backward

        self.cls = cls
        self.name = f"{cls.__name__}Backward"
        self.backward = self._array_backward
        self.wrt = tuple(f"input{i}" for i in range(count))
        parameter = functools.partial(inspect.Parameter, kind=inspect.Parameter.POSITIONAL_ONLY)
        self.signature = inspect.Signature([parameter(name) for name in self.wrt])
        differentiable_backward(self.backward)(self._tensor_backward)

    def _array_backward(self, grad_outputs, *args, ctx, outputs):
        from ._grad_mode import no_grad
        from .autograd import Tensor

        grad_outputs = tuple(g if g is None else Tensor(g) for g in grad_outputs)
        with no_grad():
            grads = self._run(grad_outputs, args, ctx, outputs)
        return tuple(None if g is None else g.array for g in grads)

    def _tensor_backward(self, grad_outputs, *args, ctx, outputs):
        if not getattr(self._backward(), "_once_differentiable", False):
            return self._run(grad_outputs, args, ctx, outputs)
        from ._grad_mode import no_grad

        with no_grad():  # constants, tied to a node that refuses, as PyTorch's DelayedError
            grads = self._run(grad_outputs, args, ctx, outputs)
        # PyTorch ties them to the gradients alone: from constant ones they are constants
        anchors = tuple(g for g in grad_outputs if g is not None and g.requires_grad)
        return tuple(g if g is None else _refusing(g, anchors, self.name) for g in grads)

    def _run(self, grad_outputs, args, ctx, outputs) -> tuple:
        """``cls.backward`` once, with the gradients of all the outputs (``grad_outputs``,
        by position): zeros (or ``None``, without ``materialize_grads``) for a Tensor output
        that got none, ``None`` for one that is not a Tensor, as PyTorch's; its gradients
        checked as PyTorch's."""
        from ._creation import zeros_like
        from .autograd import Tensor

        grads = []
        for output, grad in zip(outputs, grad_outputs, strict=True):
            if grad is None and ctx.materialize_grads and isinstance(output, Tensor):
                grad = zeros_like(output)
            grads.append(grad)
        result = self._backward()(ctx, *grads)
        result = result if isinstance(result, tuple) else (result,)
        return self._checked(result, args, ctx._tensor_inputs)

    def _backward(self):
        """``cls.backward``, or ``cls.vjp`` (its other name in PyTorch) where only it is
        defined; NotImplementedError (PyTorch's message) where neither is."""
        for name in ("backward", "vjp"):
            method = getattr(self.cls, name, None)
            if callable(method):
                return method
        msg = (
            f"{self.name}: You must implement either the backward or vjp method for your custom "
            "autograd.Function to use it with backward mode AD."
        )
        raise NotImplementedError(msg)

    def _checked(self, grads: tuple, args: tuple, tensor_inputs: tuple) -> tuple:
        from .autograd import Tensor

        if len(grads) < len(args) or any(g is not None for g in grads[len(args) :]):
            msg = (
                f"function {self.name} returned an incorrect number of gradients "
                f"(expected {len(args)}, got {len(grads)})"
            )
            raise RuntimeError(msg)
        for position, (grad, arg) in enumerate(zip(grads, args, strict=False)):
            if grad is None:
                continue
            if not tensor_inputs[position]:
                msg = (
                    f"function {self.name} returned a gradient different than None at position "
                    f"{position + 1}, but the corresponding forward input was not a Tensor"
                )
                raise RuntimeError(msg)
            if not isinstance(grad, Tensor) or tuple(grad.shape) != tuple(arg.shape):
                got = list(grad.shape) if hasattr(grad, "shape") else type(grad).__name__
                msg = (
                    f"Function {self.name} returned an invalid gradient at index {position} - "
                    f"got {got} but expected shape compatible with {list(arg.shape)}"
                )
                raise RuntimeError(msg)
        return tuple(grads[: len(args)])


class _DelayedError:
    """The node function of a ``once_differentiable`` backward's gradients: differentiating
    them again raises."""

    takes_mask = False
    name = "DelayedError"

    @staticmethod
    def backward(grad_output, *, function_name):
        msg = (
            f"{function_name}: trying to differentiate twice a function that was marked with "
            "@once_differentiable"
        )
        raise RuntimeError(msg)


def _refusing(grad, anchors: tuple, function_name: str):
    """``grad`` (a constant) as a Tensor whose node refuses to differentiate it."""
    from .autograd import Node

    if not anchors:
        return grad
    result = grad.detach()
    result.requires_grad = True
    result.grad_fn = Node(_DelayedError, anchors, (), {"function_name": function_name})
    return result
