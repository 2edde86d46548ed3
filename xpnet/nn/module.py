"""``Module``: the base class of layers, with PyTorch's registration and state_dict rules.

What it registers are :class:`~xpnet.nn.Parameter` objects (:mod:`xpnet.nn.parameter`),
buffers (plain backend arrays) and child modules; the containers are in
:mod:`xpnet.nn.container` and the layers in the other files of :mod:`xpnet.nn`.
"""

from __future__ import annotations

from collections import namedtuple

from ..autograd import data_of
from ..backends import backend_of, to_backend
from ._backward_hooks import BackwardHooks
from ._module_hooks import ForwardHooks, PathLookup, Shortcuts
from .parameter import Buffer, Parameter

__all__ = ["Module"]


class IncompatibleKeys(namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])):
    """What :meth:`Module.load_state_dict` returns; prints as PyTorch's when all keys match."""

    __slots__ = ()

    def __repr__(self):
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return super().__repr__()


def _check_name(module, kind: str, name, registry: dict) -> None:
    """PyTorch's checks of a name given to ``register_buffer``, ``register_parameter`` or
    ``add_module``: a dot would make a state_dict key ambiguous, and an existing attribute
    would shadow (or be shadowed by) the registered value."""
    where = f"{type(module).__name__}: {kind} name"
    if not isinstance(name, str):
        raise TypeError(f"{where} must be a str, got {type(name).__name__}")
    if "." in name or not name:
        raise KeyError(f"{where} must be non-empty and contain no '.', got {name!r}")
    if hasattr(module, name) and name not in registry:
        raise KeyError(f"{where} {name!r} is already an attribute of the module")


def _expect_none(module, value, what: str, expected: str) -> None:
    """TypeError unless ``value`` is ``None``: what PyTorch allows besides ``expected``."""
    if value is not None:
        msg = (
            f"{type(module).__name__}: cannot assign {type(value).__name__} to {what}; "
            f"expected {expected} or None"
        )
        raise TypeError(msg)


def indent_repr(text: str, spaces: int) -> str:
    """Indent every line of ``text`` but the first (nested reprs, as in PyTorch)."""
    first, *rest = text.split("\n")
    return "\n".join([first] + [" " * spaces + line for line in rest])


class Module(ForwardHooks, BackwardHooks, PathLookup, Shortcuts):
    """Base class for layers and models: subclasses set attributes and define ``forward``.

    Assigning a :class:`Parameter` or a ``Module`` to an attribute registers it;
    :meth:`register_buffer` registers a non-learnable array (e.g. BatchNorm's running
    statistics). Buffers are plain backend arrays. Names, order and ``state_dict`` keys follow
    PyTorch, so weights move between the two (see :meth:`state_dict`). Forward hooks,
    ``get_submodule`` and ``half()``/``float()``/``double()`` are in :mod:`._module_hooks`.

    Example:
        >>> import xpnet
        >>> class Net(xpnet.nn.Module):
        ...     def __init__(self):
        ...         super().__init__()
        ...         self.fc = xpnet.nn.Linear(4, 2)
        ...     def forward(self, x):
        ...         return self.fc(x)
        >>> [name for name, _ in Net().named_parameters()]
        ['fc.weight', 'fc.bias']
    """

    def __init__(self):
        object.__setattr__(self, "training", True)
        object.__setattr__(self, "_parameters", {})
        object.__setattr__(self, "_buffers", {})
        object.__setattr__(self, "_modules", {})
        object.__setattr__(self, "_non_persistent", set())  # buffers left out of state_dict
        self._init_hooks()

    def forward(self, *args, **kwargs):
        msg = f"{type(self).__name__}: subclasses of Module must define forward()"
        raise NotImplementedError(msg)

    def __call__(self, *args, **kwargs):
        if self._hooked:  # a training step's hot path: one test while no hook is registered
            return self._call_with_hooks(args, kwargs)
        return self.forward(*args, **kwargs)

    # -- registration -------------------------------------------------------------------------
    def __setattr__(self, name, value):
        if isinstance(value, Buffer):  # PyTorch 2.5's nn.Buffer registers a buffer
            self.__dict__.pop(name, None)
            return self.register_buffer(name, value.data, value.persistent)
        # PyTorch's order: a registered parameter or child takes only its own kind or None
        if isinstance(value, Parameter):
            target = self._parameters
        elif name in self._parameters:
            _expect_none(self, value, f"parameter {name!r}", "a Parameter")
            target = self._parameters  # e.g. ``bias = None``
        elif isinstance(value, Module):
            target = self._modules
        elif name in self._modules:
            _expect_none(self, value, f"child module {name!r}", "a Module")
            target = self._modules  # stays a child slot, printed ``(name): None``
        elif name in self._buffers:
            target = self._buffers  # reassigning a buffer keeps it a buffer
        else:
            target = None
        for registry in (self._parameters, self._buffers, self._modules):
            if registry is not target:
                registry.pop(name, None)
        if target is None:
            object.__setattr__(self, name, value)
        else:
            self.__dict__.pop(name, None)
            target[name] = value

    def register_buffer(self, name: str, array, persistent: bool = True) -> None:
        """Register a backend array (or ``None``) that is state but not learnable.

        ``persistent=False`` keeps it out of :meth:`state_dict`. ``None`` buffers are
        skipped by :meth:`state_dict`, as in PyTorch.

        Raises:
            KeyError: ``name`` is empty, has a dot, or is another attribute already.
        """
        _check_name(self, "buffer", name, self._buffers)
        self.__dict__.pop(name, None)
        self._buffers[name] = array
        if persistent:
            self._non_persistent.discard(name)
        else:
            self._non_persistent.add(name)

    def add_module(self, name: str, module: Module | None) -> None:
        """Register ``module`` (or ``None``) as the child ``name`` (e.g. a name like ``"0"``)."""
        if module is not None and not isinstance(module, Module):
            raise TypeError(
                f"{type(self).__name__}.add_module: {type(module).__name__} is not a Module"
            )
        _check_name(self, "module", name, self._modules)
        self.__dict__.pop(name, None)
        self._modules[name] = module

    def __delattr__(self, name):
        for registry in (self._parameters, self._buffers, self._modules):
            if name in registry:
                del registry[name]
                return
        object.__delattr__(self, name)

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Register ``param`` (or ``None``, e.g. an absent bias) under ``name``."""
        if not isinstance(param, Parameter):
            _expect_none(self, param, f"parameter {name!r}", "a Parameter")
        _check_name(self, "parameter", name, self._parameters)
        self.__dict__.pop(name, None)
        self._parameters[name] = param

    def __getattr__(self, name):
        # only called when normal lookup fails: the registered names live in the registries
        for registry in ("_parameters", "_buffers", "_modules"):
            values = self.__dict__.get(registry, {})
            if name in values:
                return values[name]
        msg = f"{type(self).__name__!r} object has no attribute {name!r}"
        raise AttributeError(msg)

    # -- walking the tree ---------------------------------------------------------------------
    def named_children(self):
        for name, module in self._modules.items():
            if module is not None:
                yield name, module

    def children(self):
        for _, module in self.named_children():
            yield module

    def named_modules(self, prefix: str = ""):
        """``(dotted name, module)`` for this module and every descendant, each once."""
        seen, stack = set(), [(prefix, self)]
        while stack:
            name, module = stack.pop()
            if id(module) in seen:
                continue
            seen.add(id(module))
            yield name, module
            children = [
                (f"{name}.{key}" if name else key, child)
                for key, child in module._modules.items()
                if child is not None
            ]
            stack.extend(reversed(children))

    def modules(self):
        for _, module in self.named_modules():
            yield module

    def _named_members(self, registry: str, prefix: str, recurse: bool):
        seen = set()
        modules = self.named_modules(prefix) if recurse else [(prefix, self)]
        for module_name, module in modules:
            for name, value in getattr(module, registry).items():
                if value is None or id(value) in seen:
                    continue
                seen.add(id(value))
                yield (f"{module_name}.{name}" if module_name else name), value

    def named_parameters(self, prefix: str = "", recurse: bool = True):
        """``(dotted name, Parameter)`` pairs, each parameter once, in registration order."""
        yield from self._named_members("_parameters", prefix, recurse)

    def parameters(self, recurse: bool = True):
        for _, param in self.named_parameters(recurse=recurse):
            yield param

    def named_buffers(self, prefix: str = "", recurse: bool = True):
        yield from self._named_members("_buffers", prefix, recurse)

    def buffers(self, recurse: bool = True):
        for _, buffer in self.named_buffers(recurse=recurse):
            yield buffer

    def apply(self, function):
        """Call ``function(module)`` on every child (recursively), then on ``self``."""
        for child in self.children():
            child.apply(function)
        function(self)
        return self

    # -- modes and gradients ------------------------------------------------------------------
    def train(self, mode: bool = True):
        """Training mode (batch statistics, dropout) when ``mode``, else evaluation mode.

        Calls each child's ``train``, as PyTorch, so that a subclass's override (e.g. one that
        keeps its batch norms frozen) runs for a child too.
        """
        if not isinstance(mode, bool):
            msg = f"{type(self).__name__}.train: mode must be a bool, got {mode!r}"
            raise ValueError(msg)
        object.__setattr__(self, "training", mode)
        for child in self.children():
            child.train(mode)
        return self

    def eval(self):
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True):
        for param in self.parameters():
            param.requires_grad = requires_grad
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget accumulated gradients (``None``, or zeros with ``set_to_none=False``)."""
        for param in self.parameters():
            if set_to_none or param.grad is None:
                param.grad = None
            else:
                param.grad = param.grad * 0

    # -- state_dict ---------------------------------------------------------------------------
    def _state_slots(self, prefix: str = ""):
        """``(key, module, registry, name)`` in PyTorch's state_dict order: a module's own
        parameters, then its buffers, then its children's, depth first."""
        for name, param in self._parameters.items():
            if param is not None:
                yield prefix + name, self._parameters, name
        for name, buffer in self._buffers.items():
            if buffer is not None and name not in self._non_persistent:
                yield prefix + name, self._buffers, name
        for name, child in self._modules.items():
            if child is not None:
                yield from child._state_slots(f"{prefix}{name}.")

    def state_dict(self, *, prefix: str = "", keep_vars: bool = False) -> dict:
        """Every parameter's and persistent buffer's array, by PyTorch's dotted key names.

        The values are the live backend arrays (not copies), as PyTorch returns tensors that
        share storage. Save them with ``numpy.savez(path, **{k: xpnet.to_numpy(v) ...})``;
        PyTorch loads them with ``torch.from_numpy`` per key. ``prefix`` starts every key;
        ``keep_vars=True`` gives the Parameters themselves instead of their arrays.
        """
        unwrap = (lambda value: value) if keep_vars else data_of
        return {key: unwrap(registry[name]) for key, registry, name in self._state_slots(prefix)}

    def load_state_dict(self, state_dict, strict: bool = True) -> IncompatibleKeys:
        """Copy arrays (NumPy or any backend) into this module's parameters and buffers.

        Values are copied in place onto each parameter's backend and dtype.

        Args:
            state_dict: a mapping from PyTorch-style keys to arrays (e.g. ``numpy.load`` of
                an ``.npz``, or a PyTorch state_dict converted with ``.numpy()``).
            strict: require exactly the keys of :meth:`state_dict`. Default: ``True``.

        Returns:
            ``(missing_keys, unexpected_keys)``.

        Raises:
            RuntimeError: a key is missing or unexpected (with ``strict``), or a shape differs.
        """
        state_dict = dict(state_dict)  # PyTorch's pre-hooks (lazy modules) may change it
        for name, module in self.named_modules():
            for hook in module.__dict__.get("_load_state_dict_pre_hooks", {}).values():
                hook(state_dict, f"{name}." if name else "")
        slots = {key: (registry, name) for key, registry, name in self._state_slots()}
        # a batch norm's count may be absent, as in PyTorch's checkpoints from before 0.4.1:
        # it keeps its value (PyTorch's compatibility path for versionless state dicts)
        missing = [
            key
            for key in slots
            if key not in state_dict and key.rpartition(".")[2] != "num_batches_tracked"
        ]
        unexpected = [key for key in state_dict if key not in slots]
        errors = []
        if strict and (missing or unexpected):
            errors.append(f"missing keys {missing}, unexpected keys {unexpected}")
        for key in slots.keys() & state_dict.keys():
            target, value = data_of(slots[key][0][slots[key][1]]), data_of(state_dict[key])
            if tuple(value.shape) != tuple(target.shape):
                errors.append(
                    f"size mismatch for {key}: got shape {tuple(value.shape)}, "
                    f"the module has {tuple(target.shape)}"
                )
        if errors:
            msg = f"{type(self).__name__}.load_state_dict: " + "; ".join(errors)
            raise RuntimeError(msg)
        for key in slots.keys() & state_dict.keys():
            target = data_of(slots[key][0][slots[key][1]])
            value = to_backend(data_of(state_dict[key]), backend_of(target).name)
            target[...] = value.astype(target.dtype, copy=False)
        return IncompatibleKeys(missing, unexpected)

    # -- moving between backends and dtypes ---------------------------------------------------
    def to(self, backend: str | None = None, dtype=None):
        """Move parameters, gradients and buffers to ``backend`` and/or cast the floating
        ones to ``dtype`` (integer buffers such as ``num_batches_tracked`` keep theirs).
        ``backend`` may also be a device, as in PyTorch: ``"cpu"``, ``"cuda"``, ``"cuda:0"``
        or an :class:`xpnet.device` (see :mod:`xpnet.devices`).

        Example:
            >>> import xpnet
            >>> layer = xpnet.nn.Linear(2, 2).to("strict", dtype="float64")
            >>> type(layer.weight.data).__module__.split(".")[0], layer.weight.dtype
            ('xpnet', dtype('float64'))
        """

        if backend is not None:  # a device ("cpu", "cuda:0", xpnet.device) or a backend name
            from ..devices import backend_name

            backend = backend_name(backend)

        def move(array):
            if array is None:
                return None
            array = to_backend(array, backend) if backend else array
            if dtype is not None and array.dtype.kind == "f":
                array = array.astype(dtype, copy=False)
            return array

        for module in self.modules():
            for param in module._parameters.values():
                if param is not None:
                    param.data, param.grad = move(param.data), move(param.grad)
            for name, buffer in module._buffers.items():
                module._buffers[name] = move(buffer)
        return self

    # -- printing -----------------------------------------------------------------------------
    def extra_repr(self) -> str:
        """The constructor arguments shown inside ``Name(...)``; subclasses override it."""
        return ""

    def __repr__(self):
        extra = self.extra_repr().split("\n") if self.extra_repr() else []
        children = [
            f"({key}): {indent_repr(repr(child), 2)}" for key, child in self._modules.items()
        ]
        if len(extra) == 1 and not children:
            return f"{type(self).__name__}({extra[0]})"
        if not extra and not children:
            return f"{type(self).__name__}()"
        body = "\n  ".join(extra + children)
        return f"{type(self).__name__}(\n  {body}\n)"
