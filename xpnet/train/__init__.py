"""Train a small CNN on handwritten digits: the loop behind ``xpnet train``, and checkpoints.

``digits`` is scikit-learn's 8x8 digits (1,797 images, 80 % train / 20 % test); ``mnist`` reads
the IDX files of a folder given with ``--data`` and splits them 80 % / 20 % with the seed (the
10,000-image test split becomes 8,000 train / 2,000 held out). A checkpoint written every epoch
holds the model, optimizer, scheduler, random-generator states and the history, so that
``--resume`` continues exactly as an uninterrupted run would.

The parts: :mod:`~xpnet.train.config` (settings, data, model, optimizer, scheduler),
:mod:`~xpnet.train.loop` (epochs, :func:`fit`, the command), :mod:`~xpnet.train.checkpoint`
(atomic saves, exact resume) and :mod:`~xpnet.train.report` (per-epoch table, plot).
"""

from __future__ import annotations

from .checkpoint import CHECKPOINT_FORMAT, CheckpointError, load_checkpoint, save_checkpoint
from .config import MODELS, OPTIMIZERS, SCHEDULERS, Config, data_problem, load_data
from .loop import evaluate, fit, main, train_epoch
from .report import plot_history

__all__ = [
    "CHECKPOINT_FORMAT",
    "CheckpointError",
    "MODELS",
    "OPTIMIZERS",
    "SCHEDULERS",
    "Config",
    "data_problem",
    "evaluate",
    "fit",
    "load_checkpoint",
    "load_data",
    "main",
    "plot_history",
    "save_checkpoint",
    "train_epoch",
]
