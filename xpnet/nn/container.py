"""Containers: ``Sequential``, ``ModuleList`` and ``ModuleDict``.

They register their modules as children ``0``, ``1``, ... through :class:`xpnet.nn.Module`
(:mod:`xpnet.nn.module`); :mod:`xpnet.models` builds its networks from them.
"""

from __future__ import annotations

import operator
from collections.abc import Iterable

from .module import Module, indent_repr

__all__ = ["ModuleDict", "ModuleList", "Sequential"]


def key_value_pairs(where: str, values) -> list:
    """The ``(key, value)`` pairs of a mapping (a ModuleDict, a ParameterDict) or of an
    iterable of pairs, with the checks of PyTorch's ``ModuleDict.update`` and
    ``ParameterDict.update``.

    Raises:
        TypeError: ``values`` is not iterable, or an element is not.
        ValueError: an element is not a pair.
    """
    if not isinstance(values, Iterable):
        msg = f"{where}: expected an iterable of key/value pairs, got {type(values).__name__}"
        raise TypeError(msg)
    if hasattr(values, "items"):  # a mapping: in its own order
        return list(values.items())
    pairs = []
    for number, pair in enumerate(values):
        if not isinstance(pair, Iterable):
            msg = f"{where}: sequence element #{number} must be a pair, got {type(pair).__name__}"
            raise TypeError(msg)
        if len(pair) != 2:
            msg = f"{where}: sequence element #{number} has length {len(pair)}; 2 is required"
            raise ValueError(msg)
        pairs.append((pair[0], pair[1]))
    return pairs


class ModuleList(Module):
    """A list of modules, registered as children ``0``, ``1``, ... (no ``forward``).

    Example:
        >>> import xpnet
        >>> layers = xpnet.nn.ModuleList([xpnet.nn.Linear(2, 2) for _ in range(3)])
        >>> len(layers), len(list(layers.parameters()))
        (3, 6)
    """

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:  # PyTorch's default: ModuleList(None) is empty
            self.extend(modules)

    def __repr__(self):
        """PyTorch's: a run of children that print alike prints once, ``(0-2): 3 x Linear(...)``
        (a Transformer's six equal layers take one entry)."""
        runs = []  # [first index, last index, the children's repr]
        for index, child in enumerate(self._modules.values()):
            text = repr(child)
            if runs and runs[-1][2] == text:
                runs[-1][1] = index
            else:
                runs.append([index, index, text])
        if not runs:
            return f"{self._get_name()}()"
        lines = [
            indent_repr(f"({first}): {text}", 2)
            if first == last
            else indent_repr(f"({first}-{last}): {last - first + 1} x {text}", 2)
            for first, last, text in runs
        ]
        return f"{self._get_name()}(\n  " + "\n  ".join(lines) + "\n)"

    def _key(self, index) -> str:
        """The child name at integer ``index`` (negative counts from the end)."""
        try:  # PyTorch's: anything with __index__ (a NumPy integer, a 0-d Tensor), not 1.0
            index = operator.index(index)
        except TypeError:
            msg = (
                f"{type(self).__name__}: indices must be integers or slices, "
                f"not {type(index).__name__}"
            )
            raise TypeError(msg) from None
        keys = list(self._modules)
        if not -len(keys) <= index < len(keys):
            msg = f"{type(self).__name__}: index {index} is out of range for length {len(keys)}"
            raise IndexError(msg)
        return keys[index]

    def _renumber(self, modules) -> None:
        """Register ``modules`` as the children ``0``, ``1``, ..., as PyTorch after a deletion
        or an insertion, so that state_dict keys stay those of an unedited container."""
        self._modules.clear()
        for module in modules:
            self.append(module)

    def append(self, module: Module):
        self.add_module(str(len(self._modules)), module)
        return self

    def extend(self, modules):
        for module in modules:
            self.append(module)
        return self

    def insert(self, index: int, module: Module) -> None:
        modules = list(self._modules.values())
        modules.insert(index, module)
        self._renumber(modules)

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def __getitem__(self, index):
        modules = list(self._modules.values())
        if isinstance(index, slice):
            return type(self)(modules[index])
        return self._modules[self._key(index)]

    def __setitem__(self, index: int, module: Module) -> None:
        setattr(self, self._key(index), module)

    def __delitem__(self, index) -> None:
        modules = list(self._modules.values())
        if isinstance(index, slice):
            del modules[index]
        else:
            del modules[list(self._modules).index(self._key(index))]
        self._renumber(modules)

    def __add__(self, other):
        return ModuleList([*self, *other])

    def __iadd__(self, modules):
        return self.extend(modules)

    def pop(self, index):
        """Remove the module at ``index`` (an int or a slice) and return it."""
        module = self[index]
        del self[index]
        return module


class Sequential(ModuleList):
    """Modules applied one after another: ``Sequential(a, b)(x) == b(a(x))``.

    Args:
        *modules: the modules, named ``0``, ``1``, ...; or one dict of ``name: module``.

    Example:
        >>> import xpnet
        >>> net = xpnet.nn.Sequential(xpnet.nn.Linear(4, 8), xpnet.nn.ReLU())
        >>> net
        Sequential(
          (0): Linear(in_features=4, out_features=8, bias=True)
          (1): ReLU()
        )
    """

    def __init__(self, *modules):
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], dict):
            for name, module in modules[0].items():
                self.add_module(name, module)  # PyTorch's checks: a Module, a free name
        else:
            for module in modules:
                self.append(module)

    def __getitem__(self, index):
        if isinstance(index, slice):
            # the slice keeps the children's names, as PyTorch: net[1:] loads net's weights
            return type(self)(dict(list(self._modules.items())[index]))
        return super().__getitem__(index)

    __repr__ = Module.__repr__  # every child under its own name, as PyTorch's

    def _check_sequential(self, other, operator: str) -> None:
        if not isinstance(other, Sequential):
            msg = (
                f"{operator} operator supports only objects of Sequential class, "
                f"but {type(other)} is given."
            )
            raise ValueError(msg)

    def __add__(self, other):
        self._check_sequential(other, "add")
        return Sequential(*self, *other)

    def __iadd__(self, other):
        self._check_sequential(other, "add")
        return self.extend(list(other))

    def _check_factor(self, other) -> None:
        if not isinstance(other, int) or isinstance(other, bool):
            msg = f"unsupported operand type(s) for *: {type(self)} and {type(other)}"
            raise TypeError(msg)
        if other <= 0:
            raise ValueError(f"Non-positive multiplication factor {other} for {type(self)}")

    def __mul__(self, other):
        """A new Sequential of the modules repeated ``other`` times (the same objects)."""
        self._check_factor(other)
        return Sequential(*(list(self) * other))

    __rmul__ = __mul__

    def __imul__(self, other):
        self._check_factor(other)
        return self.extend(list(self) * (other - 1))

    def insert(self, index: int, module: Module):
        """Insert ``module`` before ``index`` (PyTorch's IndexError beyond ``-len``..``len``)."""
        if not isinstance(module, Module):
            raise TypeError(f"Sequential.insert: module should be of type {Module}")
        if not -len(self) <= index <= len(self):
            raise IndexError(f"Index out of range: {index}")
        super().insert(index, module)
        return self

    def forward(self, input):
        for module in self:
            input = module(input)
        return input


class ModuleDict(Module):
    """A dict of modules, registered as children under their keys (no ``forward``), as
    :class:`torch.nn.ModuleDict`: insertion order, and ``update`` from a mapping or pairs.

    Example:
        >>> import xpnet
        >>> heads = xpnet.nn.ModuleDict({"a": xpnet.nn.Linear(2, 1), "b": xpnet.nn.ReLU()})
        >>> list(heads), len(heads), "a" in heads, list(heads.state_dict())
        (['a', 'b'], 2, True, ['a.weight', 'a.bias'])
    """

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __getitem__(self, key: str) -> Module:
        return self._modules[key]

    def __setitem__(self, key: str, module: Module) -> None:
        self.add_module(key, module)

    def __delitem__(self, key: str) -> None:
        del self._modules[key]

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules)

    def __contains__(self, key) -> bool:
        return key in self._modules

    def keys(self):
        return self._modules.keys()

    def items(self):
        return self._modules.items()

    def values(self):
        return self._modules.values()

    def clear(self) -> None:
        self._modules.clear()

    def pop(self, key: str) -> Module:
        return self._modules.pop(key)

    def update(self, modules) -> None:
        """Add the modules of a mapping (in its order) or of an iterable of ``(key, module)``
        pairs, replacing those of the same keys.

        Raises:
            TypeError: ``modules`` or one of its elements is not iterable, or a key is not a
                str or a module not a Module.
            ValueError: an element is not a pair.
        """
        for key, module in key_value_pairs(f"{type(self).__name__}.update", modules):
            self[key] = module
