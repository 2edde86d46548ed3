"""Layers, containers, losses and initialisers with :mod:`torch.nn`'s names and defaults.

Modules hold :class:`Parameter` objects and call :mod:`xpnet.nn.functional`, whose
operations record the autograd graph; the numerics live in :mod:`xpnet.kernels`. One file
per family, as ``torch/nn/modules/``: ``module.py`` (the base class), ``parameter.py``,
``container.py``, the layers (``linear.py``, ``conv.py``, ``pooling.py``, ``batchnorm.py``,
``normalization.py``, ``activation.py``, ``dropout.py``, ``flatten.py``), ``loss.py``, and
``init.py`` (initial values).
"""

from __future__ import annotations

from . import functional, init
from .activation import *  # noqa: F403
from .activation import __all__ as _activation_all
from .batchnorm import BatchNorm1d, BatchNorm2d, BatchNorm3d
from .container import ModuleList, Sequential
from .conv import Conv2d
from .dropout import Dropout
from .flatten import Flatten
from .linear import Identity, Linear
from .loss import CrossEntropyLoss, NLLLoss
from .module import Module
from .normalization import GroupNorm, LayerNorm
from .parameter import Parameter
from .pooling import AdaptiveAvgPool2d, AdaptiveMaxPool2d, AvgPool2d, MaxPool2d

__all__ = [
    *_activation_all,
    "AdaptiveAvgPool2d",
    "AdaptiveMaxPool2d",
    "AvgPool2d",
    "BatchNorm1d",
    "BatchNorm2d",
    "BatchNorm3d",
    "Conv2d",
    "CrossEntropyLoss",
    "Dropout",
    "Flatten",
    "GroupNorm",
    "Identity",
    "LayerNorm",
    "Linear",
    "MaxPool2d",
    "Module",
    "ModuleList",
    "NLLLoss",
    "Parameter",
    "Sequential",
    "functional",
    "init",
]
