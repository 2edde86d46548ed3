"""Optimizers and learning-rate schedulers, after :mod:`torch.optim`.

Every optimizer reproduces PyTorch's parameter trajectory step for step (the tests run both
side by side); the schedulers reproduce PyTorch's learning-rate sequences.

One file per optimizer family (``sgd.py``, ``adam.py``, ``rmsprop.py``, ``adagrad.py``) on the
base class of ``optimizer.py``; the schedulers are in ``lr_scheduler.py``, on the base class of
``_scheduler.py``, with the two longest in ``_one_cycle.py`` and ``_plateau.py``.
"""

from __future__ import annotations

from . import lr_scheduler
from .adagrad import Adadelta, Adagrad
from .adam import Adam, AdamW
from .optimizer import Optimizer
from .rmsprop import RMSprop
from .sgd import SGD

__all__ = ["SGD", "Adadelta", "Adagrad", "Adam", "AdamW", "Optimizer", "RMSprop", "lr_scheduler"]
