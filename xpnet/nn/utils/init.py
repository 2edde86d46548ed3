"""``torch.nn.utils.skip_init``: a module built without its random initialisation showing.

Neighbours: the initialisers themselves in :mod:`xpnet.nn.init`, the other ``torch.nn.utils``
helpers in :mod:`xpnet.nn.utils`.
"""

from __future__ import annotations

import inspect

from ...random import fork_rng
from ..module import Module

__all__ = ["skip_init"]


def skip_init(module_cls, *args, **kwargs):
    """Build ``module_cls(*args, **kwargs)`` with unspecified parameter and buffer values,
    for a module about to be loaded or initialised by hand.

    Args:
        module_cls: a subclass of :class:`xpnet.nn.Module` whose constructor takes a
            ``device`` argument (PyTorch's condition).
        *args: the constructor's arguments.
        **kwargs: its keyword arguments (``device`` included: where the module goes).

    Returns:
        The module, its parameters and buffers of the right shapes, dtypes and devices.

    Raises:
        RuntimeError: ``module_cls`` not a Module class, or without a ``device`` argument
            (PyTorch's messages).

    Note:
        PyTorch builds the module on its ``meta`` device, which computes nothing, and then
        allocates it uninitialised. xpnet has no ``meta`` device: it builds the module as
        usual, with the random draws of its initialisers undone afterwards, so the values
        are whatever the initialisers gave and, as with PyTorch, the random state is the
        same as if nothing had been drawn.

    Example:
        >>> import xpnet
        >>> m = skip_init(xpnet.nn.Linear, 5, 1)
        >>> tuple(m.weight.shape), m.weight.requires_grad
        ((1, 5), True)
    """
    if not (isinstance(module_cls, type) and issubclass(module_cls, Module)):
        msg = f"Expected a Module; got {module_cls}"
        raise RuntimeError(msg)
    if "device" not in inspect.signature(module_cls).parameters:
        raise RuntimeError("Module must support a 'device' arg to skip initialization")
    with fork_rng():  # the initialisers' draws leave no trace, as on PyTorch's meta device
        return module_cls(*args, **kwargs)
