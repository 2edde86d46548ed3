"""Forward hooks and dotted-path lookups of :class:`~xpnet.nn.Module`.

``Module`` inherits them, with PyTorch's rules, from :class:`ForwardHooks` and
:class:`PathLookup`; they live here to keep :mod:`xpnet.nn.module` short (``.to`` and its
shortcuts are in :mod:`xpnet.nn._module_casts`). The hook dictionaries have PyTorch's attribute
names (``_forward_hooks``, ``_forward_pre_hooks``, ``_backward_hooks``, ...,
``_load_state_dict_pre_hooks``), so code that inspects them still works. ``Module.__call__``
also sets up the full backward hooks, whose registration and graph nodes are in
:mod:`xpnet.nn._backward_hooks`.
"""

from __future__ import annotations

import warnings
import weakref
from collections import OrderedDict

from ._backward_hooks import BackwardHook

__all__ = ["ForwardHooks", "PathLookup", "RemovableHandle"]

_HOOK_DICTS = (
    "_hooked",  # every hook's id: ``Module.__call__``'s one test (an attribute costs ~35 ns)
    "_forward_pre_hooks",
    "_forward_pre_hooks_with_kwargs",
    "_forward_hooks",
    "_forward_hooks_with_kwargs",
    "_forward_hooks_always_called",
    "_backward_pre_hooks",  # register_full_backward_pre_hook's, run by xpnet.nn._backward_hooks
    "_backward_hooks",  # register_full_backward_hook's
    # state_dict's and load_state_dict's, run by xpnet.nn._state_dict (not by __call__)
    "_state_dict_pre_hooks",
    "_state_dict_hooks",
    "_load_state_dict_pre_hooks",
    "_load_state_dict_post_hooks",
)
_next_id = [0]  # one sequence for every module, as PyTorch's handle ids; unpickling moves it on


class RemovableHandle:
    """What ``register_forward_hook``, ``register_forward_pre_hook`` and
    ``Tensor.register_hook`` return.

    ``remove()`` unregisters the hook (a second call does nothing); as a context manager
    it removes the hook on exit, as PyTorch's ``torch.utils.hooks.RemovableHandle``.

    Example:
        >>> import xpnet
        >>> layer = xpnet.nn.Identity()
        >>> with layer.register_forward_hook(lambda module, args, output: output * 2):
        ...     layer(3)
        6
        >>> layer(3)
        3
    """

    def __init__(self, hooks_dict, *, extra_dict=()):
        # weak, as PyTorch's: a handle kept after its module is gone keeps no hooks alive
        self.hooks_dict_ref = weakref.ref(hooks_dict)
        self.extra_dict_ref = tuple(weakref.ref(extra) for extra in extra_dict)
        self.id = _next_id[0]
        _next_id[0] += 1

    def remove(self) -> None:
        for ref in (self.hooks_dict_ref, *self.extra_dict_ref):
            hooks = ref()
            if hooks is not None:
                hooks.pop(self.id, None)

    def __getstate__(self):
        # the dicts themselves, as PyTorch's: a copy (deepcopy, pickle) of a module and its
        # handles (a lazy module's) removes the copy's hooks, not the original's
        return (self.hooks_dict_ref(), self.id, tuple(ref() for ref in self.extra_dict_ref))

    def __setstate__(self, state) -> None:
        hooks, self.id, *rest = state
        extra = rest[0] if rest else ()  # PyTorch's older handles pickled two fields
        self.hooks_dict_ref = weakref.ref(OrderedDict() if hooks is None else hooks)  # dead
        self.extra_dict_ref = tuple(weakref.ref(d) for d in extra if d is not None)
        _next_id[0] = max(_next_id[0], self.id + 1)  # ids made later never collide with it

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc_info) -> None:
        self.remove()


class ForwardHooks:
    """``register_forward_pre_hook`` and ``register_forward_hook``, run by ``Module.__call__``
    (not by calling ``forward`` directly), in registration order."""

    def _init_hooks(self) -> None:
        for name in _HOOK_DICTS:  # OrderedDict: weak references and ``move_to_end`` (prepend)
            object.__setattr__(self, name, OrderedDict())

    def _add_hook(self, method: str, hook, hooks, flags, prepend: bool) -> RemovableHandle:
        """Register ``hook`` in ``hooks``, its id in each dict of ``flags`` that is set."""
        if not callable(hook):
            msg = (
                f"{type(self).__name__}.{method}: hook must be callable, got {type(hook).__name__}"
            )
            raise TypeError(msg)
        flags = [(self._hooked, True), *flags]
        handle = RemovableHandle(hooks, extra_dict=[extra for extra, _ in flags])
        hooks[handle.id] = hook
        for extra, on in flags:
            if on:
                extra[handle.id] = True
        if prepend:
            hooks.move_to_end(handle.id, last=False)
        return handle

    def register_forward_pre_hook(self, hook, *, prepend=False, with_kwargs=False):
        """Call ``hook(module, args)`` before each ``forward``; a value it returns other than
        ``None`` replaces ``args`` (a non-tuple is wrapped in one). With ``with_kwargs``,
        ``hook(module, args, kwargs)`` may return ``(args, kwargs)``. ``prepend`` runs it
        before the hooks already registered. Returns a :class:`RemovableHandle`.

        Example:
            >>> import xpnet
            >>> layer = xpnet.nn.Identity()
            >>> handle = layer.register_forward_pre_hook(lambda module, args: args[0] + 1)
            >>> layer(1)
            2
            >>> handle.remove()
        """
        flags = [(self._forward_pre_hooks_with_kwargs, with_kwargs)]
        hooks = self._forward_pre_hooks
        return self._add_hook("register_forward_pre_hook", hook, hooks, flags, prepend)

    def register_forward_hook(self, hook, *, prepend=False, with_kwargs=False, always_call=False):
        """Call ``hook(module, args, output)`` after each ``forward``; a value it returns
        other than ``None`` replaces the output. With ``with_kwargs`` it is called as
        ``hook(module, args, kwargs, output)``; ``always_call`` runs it even when ``forward``
        (or an earlier hook) raises. Returns a :class:`RemovableHandle`.

        Example:
            >>> import xpnet
            >>> net = xpnet.nn.Sequential(xpnet.nn.Linear(3, 2), xpnet.nn.ReLU())
            >>> seen = {}
            >>> handle = net[0].register_forward_hook(
            ...     lambda module, args, output: seen.update(fc=output.shape))
            >>> _ = net(xpnet.Tensor(xpnet.asarray([[1.0, 2.0, 3.0]] * 4, dtype="float32")))
            >>> seen["fc"]
            (4, 2)
        """
        flags = [
            (self._forward_hooks_with_kwargs, with_kwargs),
            (self._forward_hooks_always_called, always_call),
        ]
        hooks = self._forward_hooks
        return self._add_hook("register_forward_hook", hook, hooks, flags, prepend)

    def _call_with_hooks(self, args: tuple, kwargs: dict):
        """PyTorch's ``Module._call_impl`` with hooks: pre-hooks, ``forward``, hooks, and the
        backward hooks' identity nodes around ``forward``; on an error, the ``always_call``
        hooks that have not run yet run before it propagates."""
        result, called = None, set()
        try:
            backward_hook = BackwardHook.of(self)  # the backward hooks in force now, as PyTorch
            for hook_id, hook in tuple(self._forward_pre_hooks.items()):  # a hook may remove one
                if hook_id in self._forward_pre_hooks_with_kwargs:
                    new = hook(self, args, kwargs)
                    if new is not None:
                        if not (isinstance(new, tuple) and len(new) == 2):
                            msg = (
                                "forward pre-hook must return None or a tuple of "
                                f"(new_args, new_kwargs), but got {new}."
                            )
                            raise RuntimeError(msg)
                        args, kwargs = new
                else:
                    new = hook(self, args)
                    if new is not None:
                        args = new if isinstance(new, tuple) else (new,)
            if backward_hook is not None:  # the positional inputs behind an identity node
                args = backward_hook.setup_input_hook(args)
            result = self.forward(*args, **kwargs)
            for hook_id, hook in tuple(self._forward_hooks.items()):
                called.add(hook_id)
                new = self._run_forward_hook(hook_id, hook, args, kwargs, result)
                result = result if new is None else new
            if backward_hook is not None:
                result = backward_hook.setup_output_hook(result)
        except Exception:
            self._run_always_called(args, kwargs, result, called)
            raise
        return result

    def _run_forward_hook(self, hook_id, hook, args, kwargs, result):
        if hook_id in self._forward_hooks_with_kwargs:
            return hook(self, args, kwargs, result)
        return hook(self, args, result)

    def _run_always_called(self, args, kwargs, result, called) -> None:
        # the error that got us here wins: a hook's own error only warns, as in PyTorch
        for hook_id, hook in tuple(self._forward_hooks.items()):
            if hook_id not in self._forward_hooks_always_called or hook_id in called:
                continue
            try:
                new = self._run_forward_hook(hook_id, hook, args, kwargs, result)
                result = result if new is None else new
            except Exception as error:
                warnings.warn(
                    "module forward hook with ``always_call=True`` raised an exception that "
                    f"was silenced as another error was raised in forward: {error}",
                    stacklevel=3,
                )


class PathLookup:
    """``get_submodule``, ``set_submodule``, ``get_parameter`` and ``get_buffer`` by dotted names
    such as ``"layer1.0.conv1"``, with PyTorch's ``AttributeError`` messages."""

    def get_submodule(self, target: str):
        """The descendant at the dotted path ``target`` (``""`` is the module itself).

        Raises:
            AttributeError: a name on the path is missing or is not a Module.

        Example:
            >>> import xpnet
            >>> net = xpnet.nn.Sequential(xpnet.nn.Linear(3, 2), xpnet.nn.ReLU())
            >>> net.get_submodule("1")
            ReLU()
        """
        if target == "":
            return self
        module = self
        for item in target.split("."):
            if not hasattr(module, item):
                raise AttributeError(f"{type(module).__name__} has no attribute `{item}`")
            module = getattr(module, item)
            if not isinstance(module, PathLookup):  # every Module is one; avoids an import cycle
                raise AttributeError(f"`{item}` is not an nn.Module")
        return module

    def set_submodule(self, target: str, module, strict: bool = False) -> None:
        """Make ``module`` the descendant at the dotted path ``target``, as PyTorch's: the
        parent (all of ``target`` but its last name) must exist; the last name may be new
        unless ``strict``.

        Raises:
            ValueError: ``target`` is empty or ``module`` is not a Module.
            AttributeError: a name on the parent's path is missing or is not a Module, the
                last name is missing (with ``strict``), or it names something that is not a
                Module.

        Example:
            >>> import xpnet
            >>> net = xpnet.nn.Sequential(xpnet.nn.Linear(3, 2), xpnet.nn.ReLU())
            >>> net.set_submodule("1", xpnet.nn.Tanh())
            >>> net[1]
            Tanh()
        """
        if target == "":
            raise ValueError("Cannot set the submodule without a target name!")
        if not isinstance(module, PathLookup):  # every Module is one; avoids an import cycle
            raise ValueError(f"`module` is not an nn.Module, found {type(module)}")
        parent_path, _, name = target.rpartition(".")
        parent = self.get_submodule(parent_path)
        if strict and not hasattr(parent, name):
            raise AttributeError(f"{type(parent).__name__} has no attribute `{name}`")
        if hasattr(parent, name) and not isinstance(getattr(parent, name), PathLookup):
            raise AttributeError(f"`{name}` is not an nn.Module")
        setattr(parent, name, module)

    def _owner_of(self, target: str):
        """``(module, name)``: the module holding the last name of ``target``, which it has."""
        module_path, _, name = target.rpartition(".")
        module = self.get_submodule(module_path)
        if not hasattr(module, name):
            raise AttributeError(f"{type(module).__name__} has no attribute `{name}`")
        return module, name

    def get_parameter(self, target: str):
        """The :class:`~xpnet.nn.Parameter` at the dotted path ``target``.

        Raises:
            AttributeError: the path is invalid or names something that is not a Parameter.

        Example:
            >>> import xpnet
            >>> net = xpnet.nn.Sequential(xpnet.nn.Linear(3, 2))
            >>> net.get_parameter("0.weight").shape
            (2, 3)
        """
        module, name = self._owner_of(target)
        if name not in module._parameters or module._parameters[name] is None:
            raise AttributeError(f"`{name}` is not an nn.Parameter")
        return module._parameters[name]

    def get_buffer(self, target: str):
        """The buffer (a backend array) at the dotted path ``target``.

        Raises:
            AttributeError: the path is invalid or names something that is not a buffer.

        Example:
            >>> import xpnet
            >>> net = xpnet.nn.Sequential(xpnet.nn.BatchNorm1d(3))
            >>> net.get_buffer("0.running_mean").shape
            (3,)
        """
        module, name = self._owner_of(target)
        if name not in module._buffers:
            raise AttributeError(f"`{name}` is not a buffer")
        return module._buffers[name]
