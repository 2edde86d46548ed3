"""How a Module saves and loads its parameters and buffers: :class:`StateDict`, which
:class:`~xpnet.nn.Module` inherits ``state_dict`` and ``load_state_dict`` from, with PyTorch's
keys, order, extra state (``get_extra_state``/``set_extra_state``, key ``_extra_state``),
hooks, missing and unexpected keys (in PyTorch's order), ``strict``, ``assign`` and checks, so
that weights move between the two (see :mod:`xpnet.serialization`).

Both walk the tree as PyTorch's do: ``state_dict`` calls each child's ``state_dict``, and
``load_state_dict`` calls each module's ``_load_from_state_dict`` on the entries under its
prefix, copies what matches and only then raises the errors it collected.

``_load_state_dict_pre_hooks`` holds two kinds of hooks: xpnet's own, called as
``hook(state_dict, prefix)`` (lazy modules, ``weight_norm``'s compatibility with the older
keys), and those registered through :meth:`StateDict.register_load_state_dict_pre_hook`,
wrapped (:class:`_WrappedHook`) and called with PyTorch's arguments.
"""

from __future__ import annotations

import warnings
import weakref
from collections import OrderedDict, namedtuple
from collections.abc import Mapping

from ..autograd import Tensor, data_of
from ..backends import backend_of, to_backend
from ._module_hooks import RemovableHandle
from .parameter import Parameter

__all__ = ["IncompatibleKeys", "StateDict"]

_EXTRA_STATE = "_extra_state"  # PyTorch's key suffix for get_extra_state()'s value
_POSITIONAL = (
    "Positional args are being deprecated, use kwargs instead. Refer to "
    "https://pytorch.org/docs/main/generated/torch.nn.Module.html#torch.nn.Module.state_dict"
    " for details."
)
_UNREACHABLE = (
    "Reached a code path in Module.{}() that should never be called. Please file an issue at "
    "https://github.com/pytorch/pytorch/issues/new?template=bug-report.yml to report this bug."
)


class IncompatibleKeys(namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])):
    """What :meth:`Module.load_state_dict` returns; prints as PyTorch's when all keys match."""

    __slots__ = ()

    def __repr__(self):
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return super().__repr__()


class _WrappedHook:
    """A load_state_dict pre-hook with PyTorch's arguments, given the module first when it was
    registered with one (held weakly, as PyTorch's, so that the hook keeps no module alive)."""

    def __init__(self, hook, module=None):
        self.hook, self.with_module = hook, module is not None
        self.module = None if module is None else weakref.ref(module)

    def __call__(self, *args):
        if not self.with_module:
            return self.hook(*args)
        module = self.module()
        if module is None:
            raise RuntimeError("You are trying to call the hook of a dead Module!")
        return self.hook(module, *args)

    def __getstate__(self):  # the module itself: a copy of it gets its own copy of the hook
        module = self.module() if self.with_module else None
        return {"hook": self.hook, "with_module": self.with_module, "module": module}

    def __setstate__(self, state):
        self.hook, self.with_module = state["hook"], state["with_module"]
        self.module = weakref.ref(state["module"]) if self.with_module else None


def _overrides(module, method: str) -> bool:
    """Whether ``module``'s class has its own ``get_extra_state``/``set_extra_state``: PyTorch
    saves and loads extra state only then."""
    return getattr(type(module), method) is not getattr(StateDict, method)


def _tensor_like(value) -> bool:
    """An array or a Tensor: what PyTorch's ``is_tensor_like`` accepts from a checkpoint."""
    # the class first: a lazy module's UninitializedBuffer has a shape that raises until known
    shaped = hasattr(type(value), "shape") or hasattr(value, "shape")
    return isinstance(value, Tensor) or (shaped and hasattr(value, "dtype"))


def _assign(registry: dict, name: str, value) -> None:
    """``load_state_dict(assign=True)``: ``value`` replaces the entry, as PyTorch's: a
    Parameter keeps the old one's ``requires_grad``, an array becomes a new Parameter; a buffer
    stays the kind it was (an array, or a Tensor)."""
    old = registry[name]
    if isinstance(old, Parameter):
        if not isinstance(value, Parameter):
            value = Parameter(data_of(value))
        value.requires_grad = old.requires_grad
        registry[name] = value
    elif isinstance(old, Tensor):
        keep = isinstance(value, Tensor) and not isinstance(value, Parameter)
        registry[name] = value if keep else Tensor(data_of(value))
    else:
        registry[name] = data_of(value)


def _copy_entry(registry: dict, name: str, key: str, value, assign: bool) -> str | None:
    """Copy (or, with ``assign``, put) the checkpoint's ``value`` into entry ``name``; the
    error PyTorch would collect for it, or ``None``."""
    if not _tensor_like(value):
        return (
            f'While copying the parameter named "{key}", expected torch.Tensor or Tensor-like '
            f"object from checkpoint but received {type(value)}"
        )
    from .lazy import is_lazy  # lazy.py imports the layers, which import this module

    if is_lazy(registry[name]) and is_lazy(value):  # a lazy module's, into one: as PyTorch's,
        return None  # nothing to copy (an initialized one has been materialised by its hook)
    target = data_of(registry[name])
    if target.ndim == 0 and tuple(value.shape) == (1,):  # PyTorch's path for 0.3 checkpoints
        value = data_of(value)[0, ...]
    if tuple(value.shape) != tuple(target.shape):
        return (
            f"size mismatch for {key}: got shape {tuple(value.shape)}, "
            f"the module has {tuple(target.shape)}"
        )
    try:
        array = to_backend(data_of(value), backend_of(target).name)
        if assign:
            _assign(registry, name, value if array is data_of(value) else array)
        else:  # NaN or inf into an integer buffer: PyTorch's cast, without NumPy's warning
            with backend_of(target).ignore_float_errors():
                target[...] = array.astype(target.dtype, copy=False)
    except Exception as error:  # PyTorch reports it with the others, after the loop
        return (
            f'While copying the parameter named "{key}", whose dimensions in the model are '
            f"{tuple(target.shape)} and whose dimensions in the checkpoint are "
            f"{tuple(value.shape)}, an exception occurred : {error.args}."
        )
    return None


def _load_tree(module, state_dict: dict, prefix: str, context: tuple) -> None:
    """PyTorch's ``load``: ``module``'s own entries, then each child's (on the entries under
    its prefix), then ``module``'s post-hooks, which may edit the lists of keys."""
    metadata, assign, missing, unexpected, errors = context
    local_metadata = {} if metadata is None else dict(metadata.get(prefix[:-1], {}))
    if assign:
        local_metadata["assign_to_params_buffers"] = True
    module._load_from_state_dict(
        state_dict, prefix, local_metadata, True, missing, unexpected, errors
    )
    for name, child in module._modules.items():
        if child is not None:
            child_prefix = f"{prefix}{name}."
            under = {
                key: value for key, value in state_dict.items() if key.startswith(child_prefix)
            }
            _load_tree(child, under, child_prefix, context)
    incompatible = IncompatibleKeys(missing, unexpected)
    for hook in module.__dict__.get("_load_state_dict_post_hooks", {}).values():
        if hook(module, incompatible) is not None:
            raise AssertionError(
                "Hooks registered with ``register_load_state_dict_post_hook`` are not expected "
                "to return new values, if incompatible_keys need to be modified, it should be "
                "done inplace."
            )


class StateDict:
    """``state_dict`` and ``load_state_dict``, in PyTorch's order: a module's own parameters,
    then its persistent buffers, then its extra state, then its children's, depth first."""

    def _own_slots(self, prefix: str):
        """``(key, registry, name)`` of this module's own parameters and persistent buffers."""
        for name, param in self._parameters.items():
            if param is not None:
                yield prefix + name, self._parameters, name
        for name, buffer in self._buffers.items():
            if buffer is not None and name not in self._non_persistent:
                yield prefix + name, self._buffers, name

    def get_extra_state(self):
        """The extra state to save under ``_extra_state`` (any picklable object); a module that
        has some defines it and :meth:`set_extra_state`, as in PyTorch. This one is never
        called: :meth:`state_dict` calls only an override."""
        raise RuntimeError(_UNREACHABLE.format("get_extra_state"))

    def set_extra_state(self, state) -> None:
        """Take back what :meth:`get_extra_state` gave, from :meth:`load_state_dict`."""
        raise RuntimeError(_UNREACHABLE.format("set_extra_state"))

    def _save_to_state_dict(self, destination, prefix: str, keep_vars: bool) -> None:
        """This module's own entries (not its children's), as PyTorch's."""
        for key, registry, name in self._own_slots(prefix):
            value = registry[name]
            destination[key] = value if keep_vars else data_of(value)
        if _overrides(self, "get_extra_state"):
            destination[prefix + _EXTRA_STATE] = self.get_extra_state()

    def state_dict(self, *args, destination=None, prefix: str = "", keep_vars: bool = False):
        """Every parameter's and persistent buffer's array, by PyTorch's dotted key names, and
        the value of an overridden :meth:`get_extra_state` under ``<prefix>_extra_state``.

        The values are the live backend arrays (not copies), as PyTorch returns tensors that
        share storage. Save them with ``numpy.savez(path, **{k: xpnet.to_numpy(v) ...})``;
        PyTorch loads them with ``torch.from_numpy`` per key. The hooks of
        :meth:`register_state_dict_pre_hook` run before a module's entries are added, those of
        :meth:`register_state_dict_post_hook` after its children's.

        Args:
            destination: a mapping to add the entries to (and return). Default: a new dict.
            prefix: starts every key. Default: ``""``.
            keep_vars: give the Parameters themselves instead of their arrays (buffers are
                as registered: arrays, or Tensors). Default: ``False``.

        ``destination``, ``prefix`` and ``keep_vars`` may also be passed positionally, in
        that order, with PyTorch's ``FutureWarning``.
        """
        if args:
            warnings.warn(_POSITIONAL, FutureWarning, stacklevel=2)
            if len(args) > 3:
                msg = f"state_dict() takes at most 3 positional arguments, got {len(args)}"
                raise TypeError(msg)
            destination, prefix, keep_vars = (*args, *(destination, prefix, keep_vars)[len(args) :])
        destination = {} if destination is None else destination
        local_metadata = {"version": getattr(type(self), "_version", 1)}
        if hasattr(destination, "_metadata"):
            destination._metadata[prefix[:-1]] = local_metadata
        for hook in self.__dict__.get("_state_dict_pre_hooks", {}).values():
            hook(self, prefix, keep_vars)
        self._save_to_state_dict(destination, prefix, keep_vars)
        for name, child in self._modules.items():
            if child is not None:
                child.state_dict(
                    destination=destination, prefix=f"{prefix}{name}.", keep_vars=keep_vars
                )
        for hook in self.__dict__.get("_state_dict_hooks", {}).values():
            result = hook(self, destination, prefix, local_metadata)
            if getattr(hook, "_from_public_api", False):
                if result is not None:
                    raise RuntimeError("state_dict post-hook must return None")
            elif result is not None:  # the private form's: a new dict (kept by the root only)
                destination = result
        return destination

    def _hooks(self, name: str) -> OrderedDict:
        return self.__dict__.setdefault(name, OrderedDict())  # a module pickled before they were

    def _register_state_dict_hook(self, hook) -> RemovableHandle:
        """PyTorch's private form of :meth:`register_state_dict_post_hook`: a value that
        ``hook`` returns replaces the state dict (at the module ``state_dict`` is called on)."""
        if getattr(hook, "_from_public_api", False):
            raise RuntimeError(
                "Cannot register the same function as the state dict post hook that was "
                "previously registered via register_state_dict_post_hook"
            )
        handle = RemovableHandle(self._hooks("_state_dict_hooks"))
        self._state_dict_hooks[handle.id] = hook
        return handle

    def register_state_dict_post_hook(self, hook) -> RemovableHandle:
        """Call ``hook(module, state_dict, prefix, local_metadata)`` after :meth:`state_dict`
        has added this module's entries and its children's; it may change ``state_dict`` in
        place and must return ``None``. Returns a :class:`RemovableHandle`."""
        hook._from_public_api = True  # PyTorch's mark: its return value must be None
        handle = RemovableHandle(self._hooks("_state_dict_hooks"))
        self._state_dict_hooks[handle.id] = hook
        return handle

    def register_state_dict_pre_hook(self, hook) -> RemovableHandle:
        """Call ``hook(module, prefix, keep_vars)`` before :meth:`state_dict` adds this
        module's entries. Returns a :class:`RemovableHandle`."""
        handle = RemovableHandle(self._hooks("_state_dict_pre_hooks"))
        self._state_dict_pre_hooks[handle.id] = hook
        return handle

    def _register_load_state_dict_pre_hook(self, hook, with_module: bool = False):
        """:meth:`register_load_state_dict_pre_hook`, the module left out of the arguments
        unless ``with_module``, as PyTorch's private form."""
        handle = RemovableHandle(self._hooks("_load_state_dict_pre_hooks"))
        self._load_state_dict_pre_hooks[handle.id] = _WrappedHook(
            hook, self if with_module else None
        )
        return handle

    def register_load_state_dict_pre_hook(self, hook) -> RemovableHandle:
        """Call ``hook(module, state_dict, prefix, local_metadata, strict, missing_keys,
        unexpected_keys, error_msgs)`` before :meth:`load_state_dict` loads this module's
        entries: it may change ``state_dict`` (the entries under ``prefix``) and add to the
        lists. Returns a :class:`RemovableHandle`."""
        return self._register_load_state_dict_pre_hook(hook, with_module=True)

    def register_load_state_dict_post_hook(self, hook) -> RemovableHandle:
        """Call ``hook(module, incompatible_keys)`` after :meth:`load_state_dict` has loaded
        this module and its children; it may edit ``incompatible_keys.missing_keys`` and
        ``.unexpected_keys`` in place (what ``strict`` then checks) and must return ``None``.
        Returns a :class:`RemovableHandle`.

        Example:
            >>> import xpnet
            >>> layer = xpnet.nn.Linear(2, 2)
            >>> handle = layer.register_load_state_dict_post_hook(
            ...     lambda module, keys: keys.missing_keys.clear())
            >>> layer.load_state_dict({"weight": layer.weight.array})
            <All keys matched successfully>
        """
        handle = RemovableHandle(self._hooks("_load_state_dict_post_hooks"))
        self._load_state_dict_post_hooks[handle.id] = hook
        return handle

    def _load_from_state_dict(
        self, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys, error_msgs
    ) -> None:
        """Load this module's own entries (not its children's) from ``state_dict``, PyTorch's
        per-module step, which a subclass may override: pre-hooks, copies, extra state, then
        (with ``strict``) the missing and unexpected keys under ``prefix``; errors are added to
        ``error_msgs``, not raised."""
        for hook in self.__dict__.get("_load_state_dict_pre_hooks", {}).values():
            if isinstance(hook, _WrappedHook):
                extra = (local_metadata, strict, missing_keys, unexpected_keys, error_msgs)
                hook(state_dict, prefix, *extra)
            else:  # xpnet's own: lazy modules', weight_norm's older keys
                hook(state_dict, prefix)
        assign = local_metadata.get("assign_to_params_buffers", False)
        own = set()
        for key, registry, name in self._own_slots(prefix):
            own.add(name)
            if key in state_dict:
                error = _copy_entry(registry, name, key, state_dict[key], assign)
                if error is not None:
                    error_msgs.append(error)
            # a batch norm's count may be absent, as in PyTorch's checkpoints from before
            # 0.4.1: it keeps its value (PyTorch's path for state dicts without a version)
            elif strict and name != "num_batches_tracked":
                missing_keys.append(key)
        extra_key = prefix + _EXTRA_STATE
        if _overrides(self, "set_extra_state"):
            if extra_key in state_dict:
                self.set_extra_state(state_dict[extra_key])
            elif strict:
                missing_keys.append(extra_key)
        elif strict and extra_key in state_dict:
            unexpected_keys.append(extra_key)
        if strict:
            for key in state_dict:
                if key.startswith(prefix) and key != extra_key:
                    first, dot, _ = key[len(prefix) :].partition(".")
                    if (first not in self._modules) if dot else (first not in own):
                        unexpected_keys.append(key)

    def load_state_dict(self, state_dict, strict: bool = True, assign: bool = False):
        """Copy arrays (NumPy or any backend) into this module's parameters and buffers.

        As PyTorch's, every entry that matches is copied before the errors found (missing,
        unexpected, mis-shaped or non-array entries) are raised together.

        Args:
            state_dict: a mapping from PyTorch-style keys to arrays or Tensors (e.g.
                ``numpy.load`` of an ``.npz``, or a PyTorch state_dict converted with
                ``.numpy()``).
            strict: require exactly the keys of :meth:`state_dict`. Default: ``True``.
            assign: replace the parameters and buffers by the values (moved onto each
                one's backend, their dtype kept; a Parameter keeps ``requires_grad``)
                instead of copying the values into them in place (onto their dtype).
                Default: ``False``.

        Returns:
            ``(missing_keys, unexpected_keys)``, in PyTorch's order.

        Raises:
            TypeError: ``state_dict`` is not a mapping (PyTorch's message).
            RuntimeError: a key is missing or unexpected (with ``strict``), a shape differs, a
                value is not an array or a Tensor, or a hook added an error.
        """
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"Expected state_dict to be dict-like, got {type(state_dict)}.")
        metadata = getattr(state_dict, "_metadata", None)
        state_dict = OrderedDict(state_dict)  # the pre-hooks (lazy modules) may change it
        if metadata is not None:
            state_dict._metadata = metadata
        missing, unexpected, errors = [], [], []
        _load_tree(self, state_dict, "", (metadata, assign, missing, unexpected, errors))
        if strict and (missing or unexpected):
            errors.insert(0, f"missing keys {missing}, unexpected keys {unexpected}")
        if errors:
            msg = f"{type(self).__name__}.load_state_dict: " + "; ".join(errors)
            raise RuntimeError(msg)
        return IncompatibleKeys(missing, unexpected)
