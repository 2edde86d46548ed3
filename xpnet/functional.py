"""Deprecated alias of :mod:`xpnet.kernels`, the array kernels' package (its name until 0.1).

``import xpnet.functional`` (and ``xpnet.functional.<module>``) gives the very modules of
:mod:`xpnet.kernels` and warns once with a :class:`DeprecationWarning`. Not to be confused with
:mod:`xpnet.nn.functional`, the kernels lifted to Tensors (PyTorch's ``F``).
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
import warnings

from . import kernels

warnings.warn(
    "xpnet.functional is deprecated and will be removed; import xpnet.kernels instead",
    DeprecationWarning,
    stacklevel=2,
)

# Every submodule under the old name too, so ``import xpnet.functional.conv`` and pickles that
# name the old modules keep working; the modules are shared, not copies.
for _info in pkgutil.iter_modules(kernels.__path__):
    sys.modules[f"{__name__}.{_info.name}"] = importlib.import_module(
        f"{kernels.__name__}.{_info.name}"
    )
sys.modules[__name__] = kernels
