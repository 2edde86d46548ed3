"""The hooks of :class:`xpnet.optim.Optimizer`, as PyTorch's: around ``step`` (per optimizer
and global), ``state_dict`` and ``load_state_dict``.

:class:`OptimizerHooks` is the base of :class:`~xpnet.optim.Optimizer`: it holds the six
``register_*_hook`` methods, and wraps the ``step`` of every class that defines one
(:func:`hooked_step`, from ``__init_subclass__``), so that every optimizer, ``LBFGS`` and a
user's subclass too, runs the step hooks without calling anything itself. PyTorch wraps
``step`` at the first instantiation (``_patch_step_function``); wrapping at class creation
does the same before any instance exists. The hook dictionaries have PyTorch's attribute names
(``_optimizer_step_pre_hooks``, ...), so code that inspects them still works.
"""

from __future__ import annotations

import functools
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..nn._module_hooks import RemovableHandle

__all__ = [
    "HOOK_DICTS",
    "OptimizerHooks",
    "hooked_step",
    "register_optimizer_step_post_hook",
    "register_optimizer_step_pre_hook",
]

#: the per-optimizer hook dictionaries, under PyTorch's attribute names
HOOK_DICTS = (
    "_optimizer_step_pre_hooks",
    "_optimizer_step_post_hooks",
    "_optimizer_state_dict_pre_hooks",
    "_optimizer_state_dict_post_hooks",
    "_optimizer_load_state_dict_pre_hooks",
    "_optimizer_load_state_dict_post_hooks",
)

_global_step_pre_hooks: OrderedDict[int, Callable] = OrderedDict()
_global_step_post_hooks: OrderedDict[int, Callable] = OrderedDict()
# the optimizers whose step runs in this thread: a step that calls another class's step
# (an override calling ``super().step()``) runs the hooks once, in the outermost call
_stepping = threading.local()


def _registered(where: str, hooks: OrderedDict, hook, prepend: bool = False) -> RemovableHandle:
    # imported here: xpnet.nn imports xpnet.autograd, which imports this package (xpnet.amp)
    from ..nn._module_hooks import RemovableHandle

    if not callable(hook):
        msg = f"{where}: hook must be callable, got {type(hook).__name__}"
        raise TypeError(msg)
    handle = RemovableHandle(hooks)
    hooks[handle.id] = hook
    if prepend:
        hooks.move_to_end(handle.id, last=False)
    return handle


def register_optimizer_step_pre_hook(hook: Callable) -> RemovableHandle:
    """Register a hook called before the ``step`` of every optimizer, as
    ``torch.optim.optimizer.register_optimizer_step_pre_hook``.

    Called as ``hook(optimizer, args, kwargs)``, before the optimizer's own pre-hooks, with
    ``args`` the step's positional arguments after the optimizer itself (PyTorch's ``args``
    start with it too); it may return ``(new_args, new_kwargs)``, the optimizer first in
    ``new_args``, to replace the step's arguments, or ``None``.

    Args:
        hook: the function to call.

    Returns:
        A :class:`~xpnet.nn._module_hooks.RemovableHandle`: ``handle.remove()`` removes it.

    Raises:
        TypeError: ``hook`` is not callable.

    Example:
        >>> import xpnet
        >>> w = xpnet.nn.Parameter(xpnet.ones(2))
        >>> opt = xpnet.optim.SGD([w], lr=0.5)
        >>> calls = []
        >>> handle = register_optimizer_step_pre_hook(lambda o, a, k: calls.append(type(o)))
        >>> w.grad = xpnet.ones(2)
        >>> opt.step()
        >>> handle.remove()
        >>> calls
        [<class 'xpnet.optim.sgd.SGD'>]
    """
    return _registered("register_optimizer_step_pre_hook", _global_step_pre_hooks, hook)


def register_optimizer_step_post_hook(hook: Callable) -> RemovableHandle:
    """Register a hook called after the ``step`` of every optimizer, as
    ``torch.optim.optimizer.register_optimizer_step_post_hook``.

    Called as ``hook(optimizer, args, kwargs)`` after the optimizer's own post-hooks; what it
    returns is ignored.

    Args:
        hook: the function to call.

    Returns:
        A :class:`~xpnet.nn._module_hooks.RemovableHandle`: ``handle.remove()`` removes it.

    Raises:
        TypeError: ``hook`` is not callable.

    Example:
        >>> import xpnet
        >>> w = xpnet.nn.Parameter(xpnet.ones(2))
        >>> opt = xpnet.optim.SGD([w], lr=0.5)
        >>> seen = []
        >>> handle = register_optimizer_step_post_hook(lambda o, a, k: seen.append(w.tolist()))
        >>> w.grad = xpnet.ones(2)
        >>> opt.step()
        >>> handle.remove()
        >>> seen
        [[0.5, 0.5]]
    """
    return _registered("register_optimizer_step_post_hook", _global_step_post_hooks, hook)


def hooked_step(step: Callable) -> Callable:
    """``step`` wrapped to run the step hooks around it, as PyTorch's ``profile_hook_step``:
    the global pre-hooks, then the optimizer's, the step, the optimizer's post-hooks, then the
    global ones. As PyTorch's, each hook gets ``(optimizer, args, kwargs)`` with the optimizer
    itself first in ``args``, and a pre-hook may return new ``(args, kwargs)`` (the optimizer
    first again) for the step. Nested calls for one optimizer run the hooks only in the
    outermost."""
    if getattr(step, "hooked", False):
        return step

    @functools.wraps(step)
    def run(*args, **kwargs):
        self = args[0]
        active = _stepping.__dict__.setdefault("ids", set())
        if id(self) in active:
            return step(*args, **kwargs)
        for hook in (*_global_step_pre_hooks.values(), *self._hooks("_optimizer_step_pre_hooks")):
            result = hook(self, args, kwargs)
            if result is None:
                continue
            if not (isinstance(result, tuple) and len(result) == 2):
                msg = (
                    f"{type(self).__name__}.step: a step pre-hook must return None or a tuple "
                    f"(new_args, new_kwargs), got {result!r}"
                )
                raise RuntimeError(msg)
            args, kwargs = result
        active.add(id(self))
        try:
            out = step(*args, **kwargs)
        finally:
            active.discard(id(self))
        for hook in (*self._hooks("_optimizer_step_post_hooks"), *_global_step_post_hooks.values()):
            hook(self, args, kwargs)
        return out

    run.hooked = True
    return run


class OptimizerHooks:
    """The hook registration of :class:`~xpnet.optim.Optimizer`, after PyTorch's.

    Every ``register_*`` method returns a :class:`~xpnet.nn._module_hooks.RemovableHandle`
    and raises ``TypeError`` for a hook that is not callable. Hooks are not pickled or
    deep-copied with the optimizer, as PyTorch's (its ``__getstate__`` drops them).
    """

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if callable(cls.__dict__.get("step")):
            cls.step = hooked_step(cls.__dict__["step"])

    def _init_hooks(self) -> None:
        for name in HOOK_DICTS:
            self.__dict__.setdefault(name, OrderedDict())

    def __getstate__(self) -> dict[str, Any]:
        return {key: value for key, value in self.__dict__.items() if key not in HOOK_DICTS}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._init_hooks()

    def _hook(self, method: str, name: str, hook, prepend: bool = False) -> RemovableHandle:
        hooks = self.__dict__.setdefault(name, OrderedDict())
        return _registered(f"{type(self).__name__}.{method}", hooks, hook, prepend)

    def _hooks(self, name: str):
        """The hooks of dictionary ``name`` (none for an instance made without
        ``Optimizer.__init__``)."""
        return self.__dict__.get(name, {}).values()

    def register_step_pre_hook(self, hook: Callable) -> RemovableHandle:
        """Call ``hook(optimizer, args, kwargs)`` before each :meth:`step` (``args`` starts with
        the optimizer, as PyTorch's); a hook that returns ``(new_args, new_kwargs)`` replaces
        the step's arguments."""
        return self._hook("register_step_pre_hook", "_optimizer_step_pre_hooks", hook)

    def register_step_post_hook(self, hook: Callable) -> RemovableHandle:
        """Call ``hook(optimizer, args, kwargs)`` after each :meth:`step`."""
        return self._hook("register_step_post_hook", "_optimizer_step_post_hooks", hook)

    def register_state_dict_pre_hook(
        self, hook: Callable, prepend: bool = False
    ) -> RemovableHandle:
        """Call ``hook(optimizer)`` before each :meth:`state_dict`; with ``prepend``, before
        the hooks already registered."""
        name = "_optimizer_state_dict_pre_hooks"
        return self._hook("register_state_dict_pre_hook", name, hook, prepend)

    def register_state_dict_post_hook(
        self, hook: Callable, prepend: bool = False
    ) -> RemovableHandle:
        """Call ``hook(optimizer, state_dict)`` on what :meth:`state_dict` made; it may change
        it in place or return the state dict to give instead."""
        name = "_optimizer_state_dict_post_hooks"
        return self._hook("register_state_dict_post_hook", name, hook, prepend)

    def register_load_state_dict_pre_hook(
        self, hook: Callable, prepend: bool = False
    ) -> RemovableHandle:
        """Call ``hook(optimizer, state_dict)`` before each :meth:`load_state_dict`, on a
        shallow copy of its argument; it may change it or return the state dict to load."""
        name = "_optimizer_load_state_dict_pre_hooks"
        return self._hook("register_load_state_dict_pre_hook", name, hook, prepend)

    def register_load_state_dict_post_hook(
        self, hook: Callable, prepend: bool = False
    ) -> RemovableHandle:
        """Call ``hook(optimizer)`` after each :meth:`load_state_dict`."""
        name = "_optimizer_load_state_dict_post_hooks"
        return self._hook("register_load_state_dict_post_hook", name, hook, prepend)

    def _state_dict_hooked(self, make: Callable[[], dict]) -> dict:
        """``make()`` between the state-dict pre-hooks and post-hooks."""
        for hook in self._hooks("_optimizer_state_dict_pre_hooks"):
            hook(self)
        state_dict = make()
        for hook in self._hooks("_optimizer_state_dict_post_hooks"):
            result = hook(self, state_dict)
            state_dict = state_dict if result is None else result
        return state_dict

    def _load_state_dict_hooked(self, load: Callable[[dict], None], state_dict: dict) -> None:
        """``load(state_dict)`` between the load-state-dict pre-hooks and post-hooks."""
        state_dict = dict(state_dict)  # a shallow copy, as PyTorch's: hooks may change it
        for hook in self._hooks("_optimizer_load_state_dict_pre_hooks"):
            result = hook(self, state_dict)
            state_dict = state_dict if result is None else result
        load(state_dict)
        for hook in self._hooks("_optimizer_load_state_dict_post_hooks"):
            hook(self)
