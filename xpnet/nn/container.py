"""Containers: ``Sequential`` and ``ModuleList``.

They register their modules as children ``0``, ``1``, ... through :class:`xpnet.nn.Module`
(:mod:`xpnet.nn.module`); :mod:`xpnet.models` builds its networks from them.
"""

from __future__ import annotations

from .module import Module

__all__ = ["ModuleList", "Sequential"]


class ModuleList(Module):
    """A list of modules, registered as children ``0``, ``1``, ... (no ``forward``).

    Example:
        >>> import xpnet
        >>> layers = xpnet.nn.ModuleList([xpnet.nn.Linear(2, 2) for _ in range(3)])
        >>> len(layers), len(list(layers.parameters()))
        (3, 6)
    """

    def __init__(self, modules=()):
        super().__init__()
        for module in modules:
            self.append(module)

    def append(self, module: Module):
        setattr(self, str(len(self._modules)), module)
        return self

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def __getitem__(self, index):
        modules = list(self._modules.values())
        if isinstance(index, slice):
            return type(self)(modules[index])
        return modules[index]


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
                setattr(self, name, module)
        else:
            for module in modules:
                self.append(module)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return type(self)(*list(self._modules.values())[index])
        return super().__getitem__(index)

    def forward(self, input):
        for module in self:
            input = module(input)
        return input
