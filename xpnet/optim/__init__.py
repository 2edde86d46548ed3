"""Optimizers and learning-rate schedulers, after :mod:`torch.optim`.

Every optimizer reproduces PyTorch's parameter trajectory step for step (the tests run both
side by side); the schedulers reproduce PyTorch's learning-rate sequences.

One file per optimizer family (``sgd.py``, ``adam.py``, ``rmsprop.py``, ``adagrad.py``,
``adamax.py``, ``adam_variants.py`` (NAdam, RAdam), ``asgd.py``, ``rprop.py``, ``adafactor.py``,
``muon.py``)
on the base class of ``optimizer.py`` (their shared helpers in ``_options.py``, its hooks in
``_hooks.py``, its parameter groups and their state-dict form in ``_param_groups.py``); the
schedulers
are in ``lr_scheduler.py``, on the base class of ``_scheduler.py``, with the two longest in
``_one_cycle.py`` and ``_plateau.py`` and the rest in ``_factor.py``, ``_cyclic.py`` and
``_chained.py``. ``lbfgs.py`` holds the closure-driven L-BFGS (its line search in
``_line_search.py``); ``swa_utils.py`` weight averaging (SWA, EMA) and ``SWALR``.
"""

from __future__ import annotations

from . import lr_scheduler
from .adafactor import Adafactor
from .adagrad import Adadelta, Adagrad
from .adam import Adam, AdamW
from .adam_variants import NAdam, RAdam
from .adamax import Adamax
from .asgd import ASGD
from .lbfgs import LBFGS
from .muon import Muon
from .optimizer import Optimizer
from .rmsprop import RMSprop
from .rprop import Rprop
from .sgd import SGD

__all__ = [
    "ASGD",
    "LBFGS",
    "Muon",
    "SGD",
    "Adadelta",
    "Adafactor",
    "Adagrad",
    "Adam",
    "AdamW",
    "Adamax",
    "NAdam",
    "Optimizer",
    "RAdam",
    "RMSprop",
    "Rprop",
    "lr_scheduler",
    "swa_utils",
]


def __getattr__(name: str):
    # swa_utils builds on xpnet.nn, which imports xpnet.autograd, which imports this package
    # (through xpnet.amp): load it when first asked for, as ``xpnet.optim.swa_utils``
    if name == "swa_utils":
        import importlib

        return importlib.import_module(".swa_utils", __name__)
    msg = f"module {__name__!r} has no attribute {name!r}"
    raise AttributeError(msg)
