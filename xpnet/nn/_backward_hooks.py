"""Full backward hooks of :class:`~xpnet.nn.Module`: ``register_full_backward_pre_hook`` and
``register_full_backward_hook``, with PyTorch's rules.

As PyTorch's ``torch.utils.hooks.BackwardHook``, a call of a hooked module puts its positional
Tensor inputs, and then its outputs, behind an identity node of the autograd graph
(:mod:`xpnet.autograd`). xpnet's nodes have one output each, so the identity of n tensors takes
two steps: a *gather* node, whose hidden output carries the n tensors' gradients together (a
:class:`GradientPack`), and one *select* node per tensor, whose output the module (or its
caller) gets in place of that tensor. The graph walk (:mod:`xpnet._backward_pass`) adds up the
packs of the select nodes before it reaches the gather node, so that node sees every gradient at
once: the outputs' gather runs the pre-hooks (on ``grad_output``), the inputs' gather the hooks
(on ``grad_input``), and what they return is what flows on. The gradients the hooks get are
Tensors, as ``Tensor.grad`` and ``Tensor.register_hook``'s.
"""

from __future__ import annotations

import warnings

from .._grad_mode import is_grad_enabled
from ..autograd import Function, Node, Tensor, data_of
from ..backends import backend_of
from ..kernels._checks import check_grad_output

__all__ = ["BackwardHook", "BackwardHooks", "GradientPack"]

_NO_INPUT_GRAD = (
    "Full backward hook is firing when gradients are computed with respect to module outputs "
    "since no inputs require gradients. See "
    "https://docs.pytorch.org/docs/main/generated/torch.nn.Module.html"
    "#torch.nn.Module.register_full_backward_hook for more details."
)
_MIXED_HOOKS = (
    "Cannot use both regular backward hooks and full backward hooks on a single Module. "
    "Please use only one of them."
)
_LEGACY_HOOK = (  # PyTorch's FutureWarning, which its legacy hooks give for almost any module
    "Using a non-full backward hook when the forward contains multiple autograd Nodes is "
    "deprecated and will be removed in future versions. This hook will be missing some "
    "grad_input. Please use register_full_backward_hook to get the documented behavior."
)


class BackwardHooks:
    """``register_full_backward_pre_hook`` and ``register_full_backward_hook``, run by the
    backward pass of a graph recorded through ``Module.__call__``.

    Example:
        >>> import xpnet
        >>> layer = xpnet.nn.Linear(3, 2)
        >>> seen = []
        >>> handle = layer.register_full_backward_hook(
        ...     lambda module, grad_input, grad_output: seen.append(grad_input[0].shape))
        >>> x = xpnet.Tensor(np.ones((4, 3), dtype="float32"), requires_grad=True)
        >>> layer(x).sum().backward()
        >>> seen
        [(4, 3)]
    """

    def register_full_backward_pre_hook(self, hook, prepend: bool = False):
        """Call ``hook(module, grad_output)`` once the gradients of the module's outputs are
        known, before they flow into the module. ``grad_output`` is a tuple with a Tensor per
        output Tensor (``None`` for an output that is not a Tensor or got no gradient); a tuple
        of the same length that the hook returns replaces it. ``prepend`` runs it before the
        hooks already registered. Returns a :class:`~xpnet.nn._module_hooks.RemovableHandle`.
        """
        hooks = self._backward_pre_hooks
        return self._add_hook("register_full_backward_pre_hook", hook, hooks, [], prepend)

    def register_full_backward_hook(self, hook, prepend: bool = False):
        """Call ``hook(module, grad_input, grad_output)`` once the gradients with respect to
        the module's positional Tensor inputs are known; a tuple of the same length that it
        returns replaces ``grad_input`` in what flows to the inputs.

        As PyTorch's: ``grad_input`` has ``None`` for a positional argument that is not a
        Tensor (keyword arguments are left out); when no input requires grad, the hook runs as
        soon as ``grad_output`` is known, with ``None`` for every input, warns, and may return
        only ``None`` s. Hooks and pre-hooks in force at the module's call are the ones that
        run. ``prepend`` runs ``hook`` before the hooks already registered. Returns a
        :class:`~xpnet.nn._module_hooks.RemovableHandle`.
        """
        if callable(hook):
            self._set_full_backward_hook("register_full_backward_hook", True)
        hooks = self._backward_hooks
        return self._add_hook("register_full_backward_hook", hook, hooks, [], prepend)

    def register_backward_hook(self, hook):
        """PyTorch's deprecated ``register_backward_hook``: ``hook(module, grad_input,
        grad_output)``, run as :meth:`register_full_backward_hook`'s, with PyTorch's
        ``FutureWarning`` each time it runs.

        Unlike PyTorch's, ``grad_input`` holds the gradients of the module's positional
        inputs, as the full hook's: PyTorch's are those of the inputs of the module's last
        autograd node (for ``Linear``: the bias, the input and the transposed weight), which
        depend on how its forward is written. As PyTorch, a module takes either kind of
        backward hook, not both (RuntimeError).

        Example:
            >>> import warnings, xpnet
            >>> layer, seen = xpnet.nn.Linear(3, 2), []
            >>> handle = layer.register_backward_hook(
            ...     lambda module, grad_input, grad_output: seen.append(grad_output[0].shape))
            >>> x = xpnet.Tensor(np.ones((4, 3), dtype="float32"), requires_grad=True)
            >>> with warnings.catch_warnings():
            ...     warnings.simplefilter("ignore", FutureWarning)  # PyTorch's deprecation
            ...     layer(x).sum().backward()
            >>> seen
            [(4, 2)]
        """

        def legacy(module, grad_input, grad_output):
            warnings.warn(_LEGACY_HOOK, FutureWarning, stacklevel=2)
            return hook(module, grad_input, grad_output)

        if callable(hook):  # else _add_hook's TypeError, naming the hook
            self._set_full_backward_hook("register_backward_hook", False)
        wrapped = legacy if callable(hook) else hook
        return self._add_hook("register_backward_hook", wrapped, self._backward_hooks, [], False)

    def _set_full_backward_hook(self, method: str, full: bool) -> None:
        """PyTorch's ``_is_full_backward_hook``: set by the first backward hook, for good."""
        if self.__dict__.get("_is_full_backward_hook", full) != full:
            raise RuntimeError(f"{type(self).__name__}.{method}: {_MIXED_HOOKS}")
        object.__setattr__(self, "_is_full_backward_hook", full)


class GradientPack:
    """The gradients of a gather node's tensors, ``None`` where none arrived: what flows
    between its select nodes and it. The graph walk adds packs (``+``) as it adds arrays and
    compares their ``dtype`` with its hidden tensor's."""

    def __init__(self, grads: tuple, dtype):
        self.grads = grads
        self.dtype = dtype

    def __add__(self, other: GradientPack) -> GradientPack:
        pairs = zip(self.grads, other.grads, strict=True)
        grads = tuple(a if b is None else b if a is None else a + b for a, b in pairs)
        return GradientPack(grads, self.dtype)


def _identity(*tensors):
    return tensors


def _select_backward(grad_output, *, index: int, count: int, dtype) -> GradientPack:
    grads = [None] * count
    grads[index] = grad_output
    return GradientPack(tuple(grads), dtype)


def _gather_backward(grad_output: GradientPack, *, run) -> tuple:
    return run(grad_output.grads)


_SELECT = Function(_identity, _select_backward, wrt=())
_SELECT.name = "BackwardHookFunctionBackward"  # the name PyTorch's grad_fn prints
_GATHER = Function(_identity, _gather_backward, wrt=())


def _behind_identity(args: tuple, run) -> tuple:
    """``(args, tensors, index)``: ``args`` with each Tensor that requires grad replaced by a
    select node's output, the Tensors and their positions; ``run(grads)`` gets the gradients of
    the Tensors and returns what flows to them. ``index`` is ``None`` (``args`` unchanged) when
    no gradient can flow."""
    index = [position for position, arg in enumerate(args) if isinstance(arg, Tensor)]
    tensors = tuple(args[position] for position in index)
    if not (is_grad_enabled() and any(tensor.requires_grad for tensor in tensors)):
        return args, tensors, None
    first = next(tensor for tensor in tensors if tensor.requires_grad)
    pack = Tensor(first.array, requires_grad=True)  # hidden: its gradient is a GradientPack
    pack.grad_fn = Node(_GATHER, tensors, (), {"run": run})
    args = list(args)
    for slot, (position, tensor) in enumerate(zip(index, tensors, strict=True)):
        if tensor.requires_grad:
            view = Tensor(tensor.array, requires_grad=True)
            kwargs = {"index": slot, "count": len(tensors), "dtype": pack.dtype}
            view.grad_fn = Node(_SELECT, (pack,), (), kwargs)
            args[position] = view
    return tuple(args), tensors, index


def _pack_with_none(index, values, size: int) -> tuple:
    """What the hooks get: ``values`` as Tensors at ``index``, ``None`` elsewhere."""
    packed = [None] * size
    for position, value in zip(index, values, strict=True):
        packed[position] = value if value is None or isinstance(value, Tensor) else Tensor(value)
    return tuple(packed)


def _flowing(where: str, grads, index, tensors, kind: str) -> tuple:
    """The arrays of ``grads`` (hook results may be Tensors) at ``index``, checked against
    ``tensors``; views, so that the walk copies them before a leaf keeps one as its ``.grad``."""
    flowing = []
    for position, tensor in zip(index, tensors, strict=True):
        grad = data_of(grads[position])
        if grad is not None:
            name = f"the hook's grad_{kind}[{position}]"
            check_grad_output(where, grad, tensor.shape, tensor.dtype, f"{kind} {position}", name)
            grad = grad[...]
        flowing.append(grad)
    return tuple(flowing)


def _check_length(kind: str, name: str, result, expected: int) -> None:
    if len(result) != expected:
        msg = f"{kind} returned an invalid number of {name}, got {len(result)}, but expected "
        raise RuntimeError(msg + str(expected))


class BackwardHook:
    """One call's backward hooks (PyTorch's ``BackwardHook``): set up around the positional
    inputs and the outputs by ``Module.__call__``, run by the backward pass."""

    def __init__(self, module, hooks: tuple, pre_hooks: tuple):
        self.module, self.hooks, self.pre_hooks = module, hooks, pre_hooks
        self.grad_outputs = None
        self.n_inputs = self.n_outputs = -1
        self.inputs = self.outputs = ()
        self.input_index = self.output_index = None

    @classmethod
    def of(cls, module) -> BackwardHook | None:
        """The hooks registered now on ``module``, or ``None`` when there are none."""
        if not (module._backward_hooks or module._backward_pre_hooks):
            return None
        return cls(
            module,
            tuple(module._backward_hooks.values()),
            tuple(module._backward_pre_hooks.values()),
        )

    def setup_input_hook(self, args: tuple) -> tuple:
        args, self.inputs, self.input_index = _behind_identity(args, self._grad_input)
        self.n_inputs = len(args)
        return args

    def setup_output_hook(self, result):
        if not isinstance(result, Tensor | tuple):
            warnings.warn(
                "For backward hooks to be called, module output should be a Tensor or a tuple "
                f"of Tensors but received {type(result)}",
                stacklevel=3,
            )
        outputs = result if isinstance(result, tuple) else (result,)
        outputs, self.outputs, self.output_index = _behind_identity(outputs, self._grad_output)
        self.n_outputs = len(outputs)
        return outputs if isinstance(result, tuple) else outputs[0]

    def _grad_output(self, grads: tuple) -> tuple:
        """The outputs' gather: the pre-hooks, and the hooks when no input requires grad."""
        self.grad_outputs = _pack_with_none(self.output_index, grads, self.n_outputs)
        for hook in self.pre_hooks:
            result = hook(self.module, self.grad_outputs)
            if result is not None:
                _check_length("Backward pre hook", "grad_output", result, self.n_outputs)
                self.grad_outputs = result
        grad_outputs = self.grad_outputs
        if self.input_index is None:
            warnings.warn(_NO_INPUT_GRAD, stacklevel=2)
            grad_inputs = (None,) * self.n_inputs
            for hook in self.hooks:
                result = hook(self.module, grad_inputs, self.grad_outputs)
                if result is not None and not (
                    isinstance(result, tuple) and all(item is None for item in result)
                ):
                    msg = (
                        "Backward hook for Modules where no input requires gradient should "
                        "always return None or None for all gradients."
                    )
                    raise RuntimeError(msg)
            self.grad_outputs = None
        where = "register_full_backward_pre_hook"
        return _flowing(where, grad_outputs, self.output_index, self.outputs, "output")

    def _grad_input(self, grads: tuple) -> tuple:
        """The inputs' gather: the hooks, once ``grad_output`` is known; zeros (PyTorch's
        materialized gradients) stand for the gradients that did not arrive."""
        grads = tuple(
            backend_of(tensor.array).xp.zeros_like(tensor.array) if grad is None else grad
            for grad, tensor in zip(grads, self.inputs, strict=True)
        )
        where = "register_full_backward_hook"
        if self.grad_outputs is None:  # the gradient reached the inputs another way
            return _flowing(where, grads, range(len(grads)), self.inputs, "input")
        grad_inputs = _pack_with_none(self.input_index, grads, self.n_inputs)
        for hook in self.hooks:
            result = hook(self.module, grad_inputs, self.grad_outputs)
            if result is not None:
                _check_length("Backward hook", "grad_input", result, self.n_inputs)
                grad_inputs = result
        self.grad_outputs = None
        return _flowing(where, grad_inputs, self.input_index, self.inputs, "input")
