"""``Module``: the base class of layers, with PyTorch's registration and state_dict rules.

What it registers are :class:`~xpnet.nn.Parameter` objects (:mod:`xpnet.nn.parameter`),
buffers (backend arrays, or the Tensors given) and child modules; the containers are in
:mod:`xpnet.nn.container` and the layers in the other files of :mod:`xpnet.nn`.
"""

from __future__ import annotations

from .._leaf_grads import clear_grad
from ._backward_hooks import BackwardHooks
from ._module_casts import Shortcuts
from ._module_hooks import ForwardHooks, PathLookup
from ._state_dict import IncompatibleKeys, StateDict
from .parameter import Buffer, Parameter

__all__ = ["IncompatibleKeys", "Module"]


def _check_name(module, function: str, kind: str, name, registry: str) -> None:
    """PyTorch's checks of a name given to ``register_buffer``, ``register_parameter`` or
    ``add_module`` (its messages after ours): a dot would make a state_dict key ambiguous, and
    an existing attribute (a method, a property, another entry) would shadow, or be shadowed
    by, the registered value."""
    where = f"{type(module).__name__}.{function}"
    if registry not in module.__dict__:
        raise AttributeError(f"{where}: cannot assign {kind} before Module.__init__() call")
    if not isinstance(name, str):
        raise TypeError(f"{where}: {kind} name should be a string. Got {type(name).__name__}")
    if "." in name:
        raise KeyError(f'{where}: {kind} name can\'t contain ".", got {name!r}')
    if not name:
        raise KeyError(f'{where}: {kind} name can\'t be empty string ""')
    if hasattr(module, name) and name not in module.__dict__[registry]:
        raise KeyError(f"{where}: attribute {name!r} already exists")


def _expect_none(module, value, what: str, expected: str) -> None:
    """TypeError unless ``value`` is ``None``: what PyTorch allows besides ``expected``."""
    if value is not None:
        msg = (
            f"{type(module).__name__}: cannot assign {type(value).__name__} to {what}; "
            f"expected {expected} or None"
        )
        raise TypeError(msg)


def _check_buffer(module, name: str, value) -> None:
    """PyTorch's TypeError for a buffer that is neither an array (or Tensor) nor ``None``."""
    # the class first: a lazy module's UninitializedBuffer has a shape that raises until known
    if value is not None and not (hasattr(type(value), "shape") or hasattr(value, "shape")):
        msg = (
            f"{type(module).__name__}: cannot assign {type(value).__name__!r} object to buffer "
            f"{name!r} (an array, a Tensor or None required)"
        )
        raise TypeError(msg)


def _before_init(module, name: str, value) -> None:
    """``module.name = value`` before ``Module.__init__`` has made the registries: PyTorch
    keeps a plain value and refuses what it would register."""
    kind = {Parameter: "parameters", Buffer: "buffer"}
    for cls, what in (*kind.items(), (Module, "module")):
        if isinstance(value, cls):
            msg = f"{type(module).__name__}: cannot assign {what} before Module.__init__() call"
            raise AttributeError(msg)
    object.__setattr__(module, name, value)


def indent_repr(text: str, spaces: int) -> str:
    """Indent every line of ``text`` but the first (nested reprs, as in PyTorch)."""
    first, *rest = text.split("\n")
    return "\n".join([first] + [" " * spaces + line for line in rest])


class Module(StateDict, ForwardHooks, BackwardHooks, PathLookup, Shortcuts):
    """Base class for layers and models: subclasses set attributes and define ``forward``.

    Assigning a :class:`Parameter` or a ``Module`` to an attribute registers it;
    :meth:`register_buffer` registers a non-learnable array (e.g. BatchNorm's running
    statistics). Buffers are backend arrays (a Tensor given is kept). Names, order and
    ``state_dict`` keys follow PyTorch, so weights move between the two (see
    :meth:`state_dict`, in :mod:`._state_dict`). Forward hooks, ``get_submodule`` and
    ``set_submodule`` are in :mod:`._module_hooks`; ``to()``/``half()``/``float()``/
    ``double()``/``type()``/``to_empty()`` in :mod:`._module_casts`.

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
        if "_parameters" not in self.__dict__:  # before Module.__init__: plain values only
            _before_init(self, name, value)
            return
        if isinstance(value, Parameter):  # PyTorch's: register_parameter checks the name
            for registry in (self.__dict__, self._buffers, self._modules):
                registry.pop(name, None)
            self._non_persistent.discard(name)
            return self.register_parameter(name, value)
        # PyTorch's order: a registered parameter or child takes only its own kind or None
        if name in self._parameters:
            _expect_none(self, value, f"parameter {name!r}", "a Parameter")
            target = self._parameters  # e.g. ``bias = None``
        elif isinstance(value, Module):
            target = self._modules
        elif name in self._modules:
            _expect_none(self, value, f"child module {name!r}", "a Module")
            target = self._modules  # stays a child slot, printed ``(name): None``
        elif isinstance(value, Buffer):  # PyTorch 2.5's nn.Buffer: register_buffer's checks
            return self.register_buffer(name, value.array, value.persistent)
        elif name in self._buffers:
            _check_buffer(self, name, value)
            target = self._buffers  # reassigning a buffer keeps it a buffer
        else:
            target = None
        for registry in (self._parameters, self._buffers, self._modules):
            if registry is not target:
                registry.pop(name, None)
        if target is not self._buffers:
            self._non_persistent.discard(name)
        if target is None:
            object.__setattr__(self, name, value)
        else:
            self.__dict__.pop(name, None)
            target[name] = value

    def register_buffer(self, name: str, array, persistent: bool = True) -> None:
        """Register a backend array, a Tensor (kept as it is, as PyTorch's) or ``None`` as state
        that is not learnable.

        ``persistent=False`` keeps it out of :meth:`state_dict`. ``None`` buffers are
        skipped by :meth:`state_dict`, as in PyTorch. ``.to()`` and the dtype shortcuts move a
        Tensor buffer as an array one (a new Tensor where it changes, as PyTorch's).

        Raises:
            AttributeError: called before ``Module.__init__``.
            KeyError: ``name`` is empty, has a dot, or is another attribute already.
            TypeError: ``array`` is neither an array (or Tensor) nor ``None``.
        """
        _check_name(self, "register_buffer", "buffer", name, "_buffers")
        _check_buffer(self, name, array)
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
        _check_name(self, "add_module", "module", name, "_modules")
        self.__dict__.pop(name, None)
        self._modules[name] = module

    def register_module(self, name: str, module: Module | None) -> None:
        """Alias of :meth:`add_module`, as PyTorch's."""
        self.add_module(name, module)

    def __delattr__(self, name):
        for registry in ("_parameters", "_buffers", "_modules"):
            if name in self.__dict__.get(registry, {}):
                del self.__dict__[registry][name]
                self.__dict__["_non_persistent"].discard(name)
                return
        object.__delattr__(self, name)

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Register ``param`` (or ``None``, e.g. an absent bias) under ``name``.

        Raises:
            AttributeError: called before ``Module.__init__``.
            KeyError: ``name`` is empty, has a dot, or is another attribute already (a method
                such as ``forward``, a property, a plain attribute), as PyTorch's.
            TypeError: ``name`` is not a str, or ``param`` is neither a Parameter nor ``None``.
        """
        _check_name(self, "register_parameter", "parameter", name, "_parameters")
        if not isinstance(param, Parameter):
            _expect_none(self, param, f"parameter {name!r}", "a Parameter")
        self._parameters[name] = param

    def __getattr__(self, name):
        # only called when normal lookup fails: the registered names live in the registries
        for registry in ("_parameters", "_buffers", "_modules"):
            values = self.__dict__.get(registry, {})
            if name in values:
                return values[name]
        msg = f"{type(self).__name__!r} object has no attribute {name!r}"
        raise AttributeError(msg)

    def __dir__(self):
        """PyTorch's: the attributes with the registered names, less those not identifiers."""
        keys = [*dir(type(self)), *self.__dict__, *self._parameters, *self._modules]
        return sorted({key for key in [*keys, *self._buffers] if not key[0].isdigit()})

    # -- walking the tree ---------------------------------------------------------------------
    def named_children(self):
        """``(name, child)`` for each direct child; one registered under several names comes
        once, under its first (PyTorch's memo), so that ``apply``, ``train`` and ``eval``
        visit it once."""
        memo = set()
        for name, module in self._modules.items():
            if module is not None and module not in memo:
                memo.add(module)
                yield name, module

    def children(self):
        for _, module in self.named_children():
            yield module

    def named_modules(self, memo: set | None = None, prefix: str = "", remove_duplicate=True):
        """``(dotted name, module)`` for this module and every descendant, depth first.

        Args:
            memo: the modules to leave out (and to which those yielded are added). Default: none.
            prefix: starts every name. Default: ``""``.
            remove_duplicate: yield a module reached by several paths once. Default: ``True``.
        """
        memo = set() if memo is None else memo
        stack = [(prefix, self)]
        while stack:  # a stack, not PyTorch's recursion: deep nets pass Python's limit
            name, module = stack.pop()
            if module in memo:
                continue
            if remove_duplicate:
                memo.add(module)
            yield name, module
            children = [
                (f"{name}.{key}" if name else key, child)
                for key, child in module._modules.items()
                if child is not None
            ]
            stack.extend(reversed(children))

    def modules(self, remove_duplicate: bool = True):
        for _, module in self.named_modules(remove_duplicate=remove_duplicate):
            yield module

    def _named_members(self, registry: str, prefix: str, recurse: bool, remove_duplicate=True):
        seen = set()
        modules = (
            self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate)
            if recurse
            else [(prefix, self)]
        )
        for module_name, module in modules:
            for name, value in getattr(module, registry).items():
                if value is None or id(value) in seen:
                    continue
                if remove_duplicate:
                    seen.add(id(value))
                yield (f"{module_name}.{name}" if module_name else name), value

    def named_parameters(self, prefix: str = "", recurse: bool = True, remove_duplicate=True):
        """``(dotted name, Parameter)`` pairs in registration order; a parameter shared by
        several modules comes once unless ``remove_duplicate=False``."""
        yield from self._named_members("_parameters", prefix, recurse, remove_duplicate)

    def parameters(self, recurse: bool = True):
        for _, param in self.named_parameters(recurse=recurse):
            yield param

    def named_buffers(self, prefix: str = "", recurse: bool = True, remove_duplicate=True):
        yield from self._named_members("_buffers", prefix, recurse, remove_duplicate)

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
        """Set ``requires_grad`` of every parameter, through :meth:`xpnet.Tensor.requires_grad_`
        (whose checks PyTorch's makes too: a bool, and a floating-point parameter for
        ``True``). Returns the module."""
        for param in self.parameters():
            param.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget accumulated gradients: ``None``, or with ``set_to_none=False`` zeros written
        into each ``.grad`` in place (the same Tensor, taken out of any graph), as PyTorch's.
        """
        for param in self.parameters():
            clear_grad(param, set_to_none)

    def _get_name(self) -> str:
        """The class name that ``repr`` prints, as PyTorch's."""
        return type(self).__name__

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
            return f"{self._get_name()}({extra[0]})"
        if not extra and not children:
            return f"{self._get_name()}()"
        body = "\n  ".join(extra + children)
        return f"{self._get_name()}(\n  {body}\n)"
