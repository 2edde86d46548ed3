"""What a training run is made of: its settings, the data, model, optimizer and scheduler.

:class:`Config` holds the options of ``xpnet train``; :func:`load_data` and :func:`build_run`
turn them into the objects that :func:`xpnet.train.loop.fit` trains.
"""

from __future__ import annotations

import dataclasses
import os

from .. import data, models, optim
from ..amp.training import set_precision
from ..data._idx import missing_files

MODELS = {"lenet": models.LeNet, "resnet": models.ResNet}
OPTIMIZERS = {  # name -> (class, default peak learning rate, extra arguments)
    "sgd": (optim.SGD, 0.05, {"momentum": 0.9, "nesterov": True, "weight_decay": 5e-4}),
    "adam": (optim.Adam, 3e-3, {}),
    "adamw": (optim.AdamW, 3e-3, {"weight_decay": 1e-2}),
    "rmsprop": (optim.RMSprop, 1e-3, {}),
}
SCHEDULERS = ("onecycle", "cosine", "step", "none")
# schedules planned over the whole run: a resumed run cannot extend them
WHOLE_RUN_SCHEDULERS = ("onecycle", "cosine")


@dataclasses.dataclass
class Config:
    """The settings of one training run (the options of ``xpnet train``)."""

    backend: str = "numpy"
    dataset: str = "digits"
    data: str | None = None
    model: str = "lenet"
    epochs: int = 10
    batch_size: int = 64
    lr: float | None = None
    optimizer: str = "adam"
    scheduler: str = "onecycle"
    seed: int = 0
    limit: int | None = None
    checkpoint: str | None = None
    resume: str | None = None
    plot: str | None = None
    # the epochs the learning-rate schedule was planned for (None: ``epochs``); a resumed
    # run that extends ``epochs`` keeps the schedule of the run it continues
    schedule_epochs: int | None = None
    # BatchNorm statistics over the global batch of all ranks (xpnet.nn.SyncBatchNorm)
    sync_batchnorm: bool = False
    # "16-mixed": float16 autocast + loss scaling, float32 master weights (xpnet.amp)
    precision: str = "32"


def data_problem(dataset: str, path: str | None, download: bool = False) -> str | None:
    """What is wrong with ``--dataset``, ``--data`` and ``--download`` together, or None."""
    if download and (dataset != "mnist" or path is None):
        return "--download fetches MNIST into --data: it needs --dataset mnist --data DIR"
    if dataset == "mnist" and path is None:
        return "--dataset mnist needs --data PATH, the folder with the MNIST IDX files"
    if dataset != "mnist" and path is not None:
        return f"--data {path} is only read with --dataset mnist, this run has --dataset {dataset}"
    if dataset != "mnist" or download:  # --download fetches the missing files first
        return None
    if not os.path.isdir(path):
        found = "not a folder" if os.path.exists(path) else "no such folder"
        return f"--data {path}: {found}, expected the folder with the MNIST IDX files"
    missing = missing_files(path, "test")  # the split that load_data reads
    if missing:
        return (
            f"--data {path}: the folder has no {missing[0]}.gz (or {missing[0]}); "
            "--download fetches the MNIST files there"
        )
    return None


def load_data(config: Config):
    """``(train, test)`` datasets of float32 images (N, 1, H, W), standardised, and labels.

    Raises:
        ValueError: if ``dataset`` and ``data`` do not fit together (:func:`data_problem`),
            or the MNIST files cannot be read.
    """
    problem = data_problem(config.dataset, config.data)
    if problem:
        raise ValueError(problem)
    if config.dataset == "mnist":
        images, labels = data.load_mnist(config.data)
    else:
        images, labels = data.load_digits()
    everything = data.TensorDataset(images, labels)
    train, test = data.random_split(everything, [0.8, 0.2], seed=config.seed)
    train_index = train.indices[: config.limit]
    # standardise with the training images' statistics only: the test set stays unseen
    mean, std = images[train_index].mean(), images[train_index].std()
    standardised = data.TensorDataset((images - mean) / std, labels)
    return data.Subset(standardised, train_index), data.Subset(standardised, test.indices)


def build_run(config: Config, image_shape, steps_per_epoch: int):
    """The model, optimizer, scheduler and whether the scheduler steps every batch."""
    model = MODELS[config.model](in_channels=image_shape[0], image_size=image_shape[1])
    optimizer_class, default_lr, extra = OPTIMIZERS[config.optimizer]
    lr = config.lr or default_lr
    optimizer = optimizer_class(model.parameters(), lr=lr, **extra)
    set_precision(optimizer, config.precision)  # xpnet.amp: the step's precision
    schedulers = optim.lr_scheduler
    epochs = config.schedule_epochs or config.epochs
    if config.scheduler == "onecycle":
        total = epochs * steps_per_epoch
        return model, optimizer, schedulers.OneCycleLR(optimizer, lr, total_steps=total), True
    if config.scheduler == "cosine":
        return model, optimizer, schedulers.CosineAnnealingLR(optimizer, epochs), False
    if config.scheduler == "step":
        step_size = max(1, epochs // 3)
        return model, optimizer, schedulers.StepLR(optimizer, step_size, gamma=0.1), False
    return model, optimizer, None, False
