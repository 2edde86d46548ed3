"""Parameter containers: ``ParameterList`` and ``ParameterDict``, as ``torch.nn``'s.

They register their entries as parameters named ``0``, ``1``, ... (or their keys) through
:class:`xpnet.nn.Module` (:mod:`xpnet.nn.module`), so that ``named_parameters``,
``state_dict``, ``load_state_dict``, ``.to()`` and the optimizers see them; the module
containers (``Sequential``, ``ModuleList``, ``ModuleDict``) are in :mod:`xpnet.nn.container`.
"""

from __future__ import annotations

import operator
from collections import OrderedDict
from collections.abc import Iterable, Mapping

from ..autograd import Tensor, data_of
from .container import key_value_pairs
from .module import Module
from .parameter import Parameter

__all__ = ["ParameterDict", "ParameterList"]


def _is_array(value) -> bool:
    """A Tensor or a backend array: what PyTorch's containers treat as a Tensor."""
    return isinstance(value, Tensor) or (hasattr(value, "shape") and hasattr(value, "dtype"))


def _as_parameter(value):
    """``value`` as a Parameter where it is a Tensor or an array (PyTorch wraps a Tensor
    that is not a Parameter yet; xpnet's arrays play the Tensors' part); else unchanged."""
    if isinstance(value, Parameter) or not _is_array(value):
        return value
    return Parameter(data_of(value))


def _store(module: Module, name: str, value) -> None:
    """Set entry ``name``: a Parameter is registered (PyTorch's name checks: no dot, no
    clash with an attribute), anything else is a plain attribute, as PyTorch's setattr."""
    value = _as_parameter(value)
    if isinstance(value, Parameter):
        if name in vars(module) or name in module._modules or name in module._buffers:
            delattr(module, name)  # a plain entry or a child before: PyTorch's setattr drops it
        module.register_parameter(name, value)
    else:
        setattr(module, name, value)


def _describe(value, type_name) -> str:
    """One line of PyTorch's ParameterList/ParameterDict repr."""
    if not isinstance(value, Tensor):
        return f"Object of type: {type(value).__name__}"
    size = "x".join(str(n) for n in value.shape)
    device = f" ({value.device})" if value.is_cuda else ""
    kind = "Parameter" if isinstance(value, Parameter) else "Tensor"
    return f"{kind} containing: [{type_name(value)} of size {size}{device}]"


class ParameterList(Module):
    """A list of parameters, registered as ``0``, ``1``, ..., as :class:`torch.nn.ParameterList`:
    Tensors and arrays appended become Parameters; ``state_dict``, ``named_parameters``,
    ``.to()`` and the optimizers see them. Other objects are kept as plain entries.

    Example:
        >>> import xpnet
        >>> params = xpnet.nn.ParameterList([np.zeros((2, 3)), np.zeros(4)])
        >>> params
        ParameterList(
            (0): Parameter containing: [torch.float64 of size 2x3]
            (1): Parameter containing: [torch.float64 of size 4]
        )
        >>> list(params.state_dict()), len(params)
        (['0', '1'], 2)
    """

    def __init__(self, values=None):
        super().__init__()
        self._size = 0
        if values is not None:
            self += values

    def _index(self, index) -> str:
        """The entry name of integer ``index`` (negative counts from the end)."""
        index = operator.index(index)
        if not -len(self) <= index < len(self):
            msg = f"{type(self).__name__}: index {index} is out of range for length {len(self)}"
            raise IndexError(msg)
        return str(index + len(self) if index < 0 else index)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return type(self)([self[i] for i in range(*index.indices(len(self)))])
        return getattr(self, self._index(index))

    def __setitem__(self, index, value) -> None:
        _store(self, self._index(index), value)

    def __len__(self):
        return self._size

    def __iter__(self):
        return iter([self[i] for i in range(len(self))])

    def __iadd__(self, values):
        return self.extend(values)

    def __dir__(self):
        return [key for key in super().__dir__() if not key.isdigit()]

    def append(self, value):
        self._size += 1
        self[self._size - 1] = value
        return self

    def extend(self, values):
        # an array is iterable, but appending its rows is never what is meant
        if not isinstance(values, Iterable) or _is_array(values):
            msg = (
                f"{type(self).__name__}.extend should be called with an iterable, "
                f"but got {type(values).__name__}"
            )
            raise TypeError(msg)
        for value in values:
            self.append(value)
        return self

    def extra_repr(self) -> str:
        return "\n".join(
            f"  ({index}): {_describe(value, lambda p: f'torch.{p.dtype}')}"
            for index, value in enumerate(self)
        )

    def __call__(self, *args, **kwargs):
        msg = f"{type(self).__name__} should not be called."
        raise RuntimeError(msg)


class ParameterDict(Module):
    """A dict of parameters, registered under their keys, as :class:`torch.nn.ParameterDict`:
    insertion order (a plain ``dict`` given to the constructor or ``update`` is taken in
    sorted key order, an ``OrderedDict`` or ParameterDict in its own, as PyTorch), Tensors and
    arrays become Parameters, and the dict methods.

    Example:
        >>> import xpnet
        >>> params = xpnet.nn.ParameterDict({"scale": np.ones(2), "bias": np.zeros(2)})
        >>> list(params.state_dict()), "scale" in params, len(params)
        (['bias', 'scale'], True, 2)
    """

    def __init__(self, parameters=None):
        super().__init__()
        self._keys = {}
        if parameters is not None:
            self.update(parameters)

    def _key(self, key) -> str:
        if not isinstance(key, str):
            msg = f"{type(self).__name__}: a key must be a str, got {type(key).__name__} {key!r}"
            raise TypeError(msg)
        return key

    def __getitem__(self, key):
        return getattr(self, self._key(key))

    def __setitem__(self, key, value) -> None:
        _store(self, self._key(key), value)
        self._keys[key] = None

    def __delitem__(self, key) -> None:
        del self._keys[key]  # first, as PyTorch's: a missing key raises KeyError
        delattr(self, self._key(key))

    def __len__(self):
        return len(self._keys)

    def __iter__(self):
        return iter(self._keys)

    def __reversed__(self):
        return reversed(self._keys)

    def __contains__(self, key) -> bool:
        return key in self._keys

    def copy(self):
        return ParameterDict(OrderedDict((key, self[key]) for key in self._keys))

    def setdefault(self, key, default=None):
        if key not in self:
            self[key] = default
        return self[key]

    def clear(self) -> None:
        for key in list(self._keys):
            del self[key]

    def pop(self, key):
        value = self[key]
        del self[key]
        return value

    def popitem(self):
        if not self._keys:
            raise KeyError("popitem(): dictionary is empty")
        key = next(reversed(self._keys))
        return key, self.pop(key)

    def get(self, key, default=None):
        return self[key] if key in self else default

    def fromkeys(self, keys, default=None):
        return ParameterDict((key, default) for key in keys)

    def keys(self):
        return self._keys.keys()

    def items(self):
        return ((key, self[key]) for key in self._keys)

    def values(self):
        return (self[key] for key in self._keys)

    def update(self, parameters) -> None:
        pairs = key_value_pairs(f"{type(self).__name__}.update", parameters)
        if isinstance(parameters, Mapping) and not isinstance(parameters, OrderedDict):
            pairs = sorted(pairs, key=lambda pair: pair[0])  # PyTorch's order for a plain dict
        for key, value in pairs:
            self[key] = value

    def extra_repr(self) -> str:
        return "\n".join(
            f"  ({key}): {_describe(value, lambda p: p.type())}" for key, value in self.items()
        )

    def __call__(self, *args, **kwargs):
        msg = f"{type(self).__name__} should not be called."
        raise RuntimeError(msg)

    def __or__(self, other):
        result = self.copy()
        result.update(other)
        return result

    def __ror__(self, other):
        result = other.copy()
        result.update(self)
        return result

    def __ior__(self, other):
        self.update(other)
        return self
