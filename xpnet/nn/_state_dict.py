"""How a Module saves and loads its parameters and buffers: :class:`StateDict`, which
:class:`~xpnet.nn.Module` inherits ``state_dict`` and ``load_state_dict`` from, with PyTorch's
keys, order, missing and unexpected keys (in PyTorch's order), ``strict``, ``assign`` and
size checks, so that weights move between the two (see :mod:`xpnet.serialization`).
"""

from __future__ import annotations

import warnings
from collections import namedtuple

from ..autograd import data_of
from ..backends import backend_of, to_backend
from .parameter import Parameter

__all__ = ["IncompatibleKeys", "StateDict"]


_POSITIONAL = (
    "Positional args are being deprecated, use kwargs instead. Refer to "
    "https://pytorch.org/docs/main/generated/torch.nn.Module.html#torch.nn.Module.state_dict"
    " for details."
)


class IncompatibleKeys(namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])):
    """What :meth:`Module.load_state_dict` returns; prints as PyTorch's when all keys match."""

    __slots__ = ()

    def __repr__(self):
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return super().__repr__()


def _unexpected_keys(module, keys: list, prefix: str, found: list) -> None:
    """PyTorch's unexpected keys, in its order: module by module (pre-order), the keys under
    ``prefix`` that name neither an entry of the module's state nor one of its children."""
    own = {key for key, _, _ in module._own_slots("")}
    for key in keys:
        first, dot, _ = key[len(prefix) :].partition(".")
        if (first not in module._modules) if dot else (first not in own):
            found.append(key)
    for name, child in module._modules.items():
        if child is not None:
            child_prefix = f"{prefix}{name}."
            under = [key for key in keys if key.startswith(child_prefix)]
            _unexpected_keys(child, under, child_prefix, found)


def _assign(registry: dict, name: str, value) -> None:
    """``load_state_dict(assign=True)``: ``value`` replaces the entry, as PyTorch's: a
    Parameter keeps the old one's ``requires_grad``, an array becomes a new Parameter."""
    old = registry[name]
    if not isinstance(old, Parameter):
        registry[name] = data_of(value)
    elif isinstance(value, Parameter):
        value.requires_grad = old.requires_grad
        registry[name] = value
    else:
        registry[name] = Parameter(data_of(value), requires_grad=old.requires_grad)


class StateDict:
    """``state_dict`` and ``load_state_dict``, in PyTorch's order: a module's own parameters,
    then its persistent buffers, then its children's, depth first."""

    def _own_slots(self, prefix: str):
        """``(key, registry, name)`` of this module's own parameters and persistent buffers."""
        for name, param in self._parameters.items():
            if param is not None:
                yield prefix + name, self._parameters, name
        for name, buffer in self._buffers.items():
            if buffer is not None and name not in self._non_persistent:
                yield prefix + name, self._buffers, name

    def _state_slots(self, prefix: str = ""):
        """``(key, registry, name)`` of every entry of :meth:`state_dict`, in its order."""
        yield from self._own_slots(prefix)
        for name, child in self._modules.items():
            if child is not None:
                yield from child._state_slots(f"{prefix}{name}.")

    def state_dict(self, *args, destination=None, prefix: str = "", keep_vars: bool = False):
        """Every parameter's and persistent buffer's array, by PyTorch's dotted key names.

        The values are the live backend arrays (not copies), as PyTorch returns tensors that
        share storage. Save them with ``numpy.savez(path, **{k: xpnet.to_numpy(v) ...})``;
        PyTorch loads them with ``torch.from_numpy`` per key.

        Args:
            destination: a mapping to add the entries to (and return). Default: a new dict.
            prefix: starts every key. Default: ``""``.
            keep_vars: give the Parameters themselves instead of their arrays (buffers are
                arrays either way). Default: ``False``.

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
        for key, registry, name in self._state_slots(prefix):
            value = registry[name]
            destination[key] = value if keep_vars else data_of(value)
        return destination

    def load_state_dict(self, state_dict, strict: bool = True, assign: bool = False):
        """Copy arrays (NumPy or any backend) into this module's parameters and buffers.

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
        unexpected = []
        _unexpected_keys(self, list(state_dict), "", unexpected)
        errors = []
        if strict and (missing or unexpected):
            errors.append(f"missing keys {missing}, unexpected keys {unexpected}")
        values = {}
        for key in [key for key in slots if key in state_dict]:
            target, value = data_of(slots[key][0][slots[key][1]]), state_dict[key]
            if target.ndim == 0 and len(value.shape) == 1:  # PyTorch's compatibility path
                value = data_of(value)[0, ...]
            values[key] = value
            if tuple(value.shape) != tuple(target.shape):
                errors.append(
                    f"size mismatch for {key}: got shape {tuple(value.shape)}, "
                    f"the module has {tuple(target.shape)}"
                )
        if errors:
            msg = f"{type(self).__name__}.load_state_dict: " + "; ".join(errors)
            raise RuntimeError(msg)
        for key, value in values.items():
            registry, name = slots[key]
            target = data_of(registry[name])
            array = to_backend(data_of(value), backend_of(target).name)
            if not assign:
                target[...] = array.astype(target.dtype, copy=False)
            else:
                _assign(registry, name, value if array is data_of(value) else array)
        return IncompatibleKeys(missing, unexpected)
