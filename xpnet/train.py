"""Train a small CNN on handwritten digits: the loop behind ``xpnet train``, and checkpoints.

``digits`` is scikit-learn's 8x8 digits (1,797 images, 80 % train / 20 % test); ``mnist`` reads
the IDX files of a folder given with ``--data`` and splits them 80 % / 20 % with the seed (the
10,000-image test split becomes 8,000 train / 2,000 held out). A checkpoint written every epoch
holds the model, optimizer, scheduler, random-generator states and the history, so that
``--resume`` continues exactly as an uninterrupted run would.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import os
import tempfile
import time

import numpy

from . import data, models, nn, optim, to_numpy
from ._random import host_generator, manual_seed
from .autograd import Tensor, no_grad
from .backends import to_backend, use_backend
from .functional.dropout import default_generator

__all__ = ["Config", "fit", "load_checkpoint", "save_checkpoint"]

MODELS = {"lenet": models.LeNet, "resnet": models.ResNet}
OPTIMIZERS = {  # name -> (class, default peak learning rate, extra arguments)
    "sgd": (optim.SGD, 0.05, {"momentum": 0.9, "nesterov": True, "weight_decay": 5e-4}),
    "adam": (optim.Adam, 3e-3, {}),
    "adamw": (optim.AdamW, 3e-3, {"weight_decay": 1e-2}),
    "rmsprop": (optim.RMSprop, 1e-3, {}),
}
SCHEDULERS = ("onecycle", "cosine", "step", "none")
CHECKPOINT_FORMAT = "xpnet-checkpoint-1"
# A resumed run must use the settings that shaped the saved state, or it would not match
# (every learning-rate schedule depends on the number of epochs).
_RESUME_KEYS = (
    "dataset",
    "model",
    "epochs",
    "batch_size",
    "lr",
    "optimizer",
    "scheduler",
    "seed",
    "limit",
)


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


# -- data ------------------------------------------------------------------------------------


def load_data(config: Config):
    """``(train, test)`` datasets of float32 images (N, 1, H, W), standardised, and labels."""
    if config.dataset == "mnist":
        if config.data is None:
            msg = "--dataset mnist needs --data PATH, the folder with the MNIST IDX files"
            raise ValueError(msg)
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


# -- the run ---------------------------------------------------------------------------------


def _build(config: Config, image_shape, steps_per_epoch: int):
    """The model, optimizer, scheduler and whether the scheduler steps every batch."""
    model = MODELS[config.model](in_channels=image_shape[0], image_size=image_shape[1])
    optimizer_class, default_lr, extra = OPTIMIZERS[config.optimizer]
    lr = config.lr or default_lr
    optimizer = optimizer_class(model.parameters(), lr=lr, **extra)
    schedulers = optim.lr_scheduler
    if config.scheduler == "onecycle":
        total = config.epochs * steps_per_epoch
        return model, optimizer, schedulers.OneCycleLR(optimizer, lr, total_steps=total), True
    if config.scheduler == "cosine":
        return model, optimizer, schedulers.CosineAnnealingLR(optimizer, config.epochs), False
    if config.scheduler == "step":
        step_size = max(1, config.epochs // 3)
        return model, optimizer, schedulers.StepLR(optimizer, step_size, gamma=0.1), False
    return model, optimizer, None, False


def _accuracy_count(logits: Tensor, labels) -> int:
    return int(to_numpy((logits.data.argmax(axis=1) == labels).sum()))


def train_epoch(model, loader, optimizer, scheduler, step_per_batch, progress) -> dict:
    """One pass over ``loader``; ``progress(loader)`` wraps the batches (e.g. in a tqdm bar)."""
    model.train()
    loss_fn = nn.CrossEntropyLoss()
    total_loss, correct, seen = 0.0, 0, 0
    start = time.perf_counter()
    batches = progress(loader)
    for images, labels in batches:
        optimizer.zero_grad()
        logits = model(Tensor(images))
        loss = loss_fn(logits, labels)
        loss.backward()
        optimizer.step()
        if scheduler is not None and step_per_batch:
            scheduler.step()
        total_loss += loss.item() * len(labels)
        correct += _accuracy_count(logits, labels)
        seen += len(labels)
        if hasattr(batches, "set_postfix"):
            speed = seen / (time.perf_counter() - start)
            postfix = {
                "loss": f"{total_loss / seen:.4f}",
                "acc": f"{correct / seen:.2%}",
                "img/s": f"{speed:.0f}",
            }
            batches.set_postfix(postfix, refresh=False)
    if scheduler is not None and not step_per_batch:
        scheduler.step()
    seconds = time.perf_counter() - start
    return {
        "train_loss": total_loss / seen,
        "train_acc": correct / seen,
        "images_per_s": seen / seconds,
        "seconds": seconds,
    }


def evaluate(model, loader) -> dict:
    """Mean loss and accuracy of ``model`` on ``loader``, in eval mode and without a graph."""
    model.eval()
    loss_fn = nn.CrossEntropyLoss(reduction="sum")
    total_loss, correct, seen = 0.0, 0, 0
    with no_grad():
        for images, labels in loader:
            logits = model(Tensor(images))
            total_loss += loss_fn(logits, labels).item()
            correct += _accuracy_count(logits, labels)
            seen += len(labels)
    return {"test_loss": total_loss / seen, "test_acc": correct / seen}


def fit(config: Config, progress=None, echo=print) -> list[dict]:
    """Train as ``config`` says; return the history, one dict of metrics per epoch.

    ``progress(loader, epoch)`` may wrap each epoch's batches (``xpnet train`` passes a tqdm
    bar); ``echo`` prints the run's description and the per-epoch table.

    Raises:
        ValueError: bad settings, unreadable data, or a checkpoint that does not fit them.
    """
    with use_backend(config.backend) as backend:
        manual_seed(config.seed)
        train_set, test_set = load_data(config)
        train_loader = data.DataLoader(
            train_set, batch_size=config.batch_size, shuffle=True, seed=config.seed
        )
        test_loader = data.DataLoader(test_set, batch_size=500)
        image_shape = tuple(train_set[0][0].shape)
        model, optimizer, scheduler, per_batch = _build(config, image_shape, len(train_loader))
        generators = _generators(train_loader, backend)
        history = []
        if config.resume:
            history = _restore(
                config, load_checkpoint(config.resume), model, optimizer, scheduler, generators
            )
        echo(
            f"xpnet train: {config.model} on {config.dataset} ({len(train_set)} train / "
            f"{len(test_set)} test images {image_shape}), backend {backend.name}, "
            f"device {backend.device_name()}, {config.optimizer} + {config.scheduler}"
        )
        echo(_row(None))
        for row in history:
            echo(_row(row))
        for epoch in range(len(history) + 1, config.epochs + 1):
            wrap = functools.partial(progress, epoch=epoch) if progress else iter
            row = {"epoch": epoch, "lr": _current_lr(optimizer)}
            row |= train_epoch(model, train_loader, optimizer, scheduler, per_batch, wrap)
            row |= evaluate(model, test_loader)
            history.append(row)
            echo(_row(row))
            if config.checkpoint:
                state = _snapshot(config, model, optimizer, scheduler, generators, history)
                save_checkpoint(config.checkpoint, state)
    if config.plot:
        plot_history(history, config.plot)
    return history


def _current_lr(optimizer) -> float:
    return optimizer.param_groups[0]["lr"]


_COLUMNS = (  # key, header, format
    ("epoch", "epoch", "{:>5d}"),
    ("lr", "lr", "{:>9.2e}"),
    ("train_loss", "train loss", "{:>10.4f}"),
    ("train_acc", "train acc", "{:>9.2%}"),
    ("test_loss", "test loss", "{:>9.4f}"),
    ("test_acc", "test acc", "{:>8.2%}"),
    ("images_per_s", "img/s", "{:>8.0f}"),
    ("seconds", "s", "{:>6.1f}"),
)


def _row(row: dict | None) -> str:
    """One line of the per-epoch table; the header when ``row`` is None."""
    if row is None:
        return "  ".join(f"{header:>{len(fmt.format(0))}}" for _, header, fmt in _COLUMNS)
    return "  ".join(fmt.format(row[key]) for key, _, fmt in _COLUMNS)


def plot_history(history: list[dict], path: str) -> None:
    """Save loss and accuracy per epoch (train and test) as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    epochs = [row["epoch"] for row in history]
    figure, (loss_axes, acc_axes) = plt.subplots(1, 2, figsize=(10, 4))
    for split in ("train", "test"):
        loss_axes.plot(epochs, [row[f"{split}_loss"] for row in history], "o-", label=split)
        acc_axes.plot(epochs, [100 * row[f"{split}_acc"] for row in history], "o-", label=split)
    loss_axes.set(xlabel="epoch", ylabel="cross-entropy loss", yscale="log")
    acc_axes.set(xlabel="epoch", ylabel="accuracy (%)")
    for axes in (loss_axes, acc_axes):
        axes.legend()
        axes.grid(alpha=0.3)
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)


# -- checkpoints -----------------------------------------------------------------------------


def _generators(loader, backend) -> dict:
    """The host random generators a run draws from; resuming restores their states."""
    generators = {"shuffle": loader.generator, "init": host_generator()}
    dropout = default_generator(backend)
    # GPU: CuPy's generator state is not exposed; a resumed GPU run draws other dropout masks
    if isinstance(dropout, numpy.random.Generator):
        generators["dropout"] = dropout
    return generators


def _snapshot(config, model, optimizer, scheduler, generators, history) -> dict:
    """Everything a resumed run needs, as plain values and arrays."""
    return {
        "format": CHECKPOINT_FORMAT,
        "config": dataclasses.asdict(config),
        "epoch": len(history),
        "model": model.state_dict(),
        "optimizer": optimizer.state_dict(),
        "scheduler": None if scheduler is None else scheduler.state_dict(),
        "rng": {name: gen.bit_generator.state for name, gen in generators.items()},
        "history": history,
    }


def _restore(config, state, model, optimizer, scheduler, generators) -> list[dict]:
    """Load ``state`` into the run; return its history. Settings must match the saved ones."""
    saved = state["config"]
    for key in _RESUME_KEYS:
        if saved[key] != getattr(config, key):
            msg = (
                f"--resume {config.resume}: the checkpoint was saved with --{key.replace('_', '-')}"
                f" {saved[key]}, this run has {getattr(config, key)}"
            )
            raise ValueError(msg)
    model.load_state_dict({k: to_backend(v) for k, v in state["model"].items()})
    optimizer.load_state_dict(state["optimizer"])
    if scheduler is not None:
        scheduler.load_state_dict(state["scheduler"])
    for name, generator in generators.items():
        generator.bit_generator.state = state["rng"][name]
    return state["history"]


def save_checkpoint(path: str, state: dict) -> None:
    """Write ``state`` to ``path`` (an ``.npz``) atomically: the old file or the new, whole.

    The arrays go into a NumPy ``.npz`` (no pickle); everything else into a JSON skeleton
    stored beside them. The file is written under a temporary name in the same folder,
    flushed to disk, then renamed over ``path`` (``os.replace`` is atomic on POSIX and
    Windows), so a crash mid-save leaves the previous checkpoint intact.
    """
    arrays: dict[str, numpy.ndarray] = {}
    skeleton = json.dumps(_encode(state, arrays)).encode()
    arrays["skeleton"] = numpy.frombuffer(skeleton, dtype=numpy.uint8)
    folder = os.path.dirname(os.path.abspath(path))
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=f".{os.path.basename(path)}.")
    umask = os.umask(0)
    os.umask(umask)
    try:
        os.chmod(temporary, 0o666 & ~umask)  # mkstemp makes it private; a checkpoint is not
        with os.fdopen(handle, "wb") as file:
            numpy.savez(file, **arrays)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise
    if hasattr(os, "O_DIRECTORY"):
        # make the rename itself durable: fsync the folder that holds the entry
        folder_handle = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(folder_handle)
        finally:
            os.close(folder_handle)


def load_checkpoint(path: str) -> dict:
    """Read a checkpoint written by :func:`save_checkpoint` (arrays come back as NumPy).

    Raises:
        ValueError: if ``path`` is missing, unreadable or not an xpnet checkpoint.
    """
    try:
        with numpy.load(path, allow_pickle=False) as archive:
            arrays = {name: archive[name] for name in archive.files}
        state = _decode(json.loads(arrays.pop("skeleton").tobytes()), arrays)
    except (OSError, ValueError, KeyError, EOFError) as error:
        msg = f"{path}: not a readable xpnet checkpoint ({type(error).__name__}: {error})"
        raise ValueError(msg) from None
    if not isinstance(state, dict) or state.get("format") != CHECKPOINT_FORMAT:
        msg = f"{path}: not an xpnet checkpoint (expected format {CHECKPOINT_FORMAT!r})"
        raise ValueError(msg)
    return state


def _encode(value, arrays: dict):
    """``value`` as JSON-ready data; arrays (any backend) move to ``arrays``, by reference."""
    if isinstance(value, numpy.generic):
        return value.item()
    if isinstance(value, bool | int | float | str) or value is None:
        return value
    if isinstance(value, dict):
        # JSON objects only have string keys; optimizer states are keyed by int
        return {"dict": [[_encode(k, arrays), _encode(v, arrays)] for k, v in value.items()]}
    if isinstance(value, list | tuple):
        return {type(value).__name__: [_encode(item, arrays) for item in value]}
    if hasattr(value, "shape") and hasattr(value, "dtype"):
        name = f"array{len(arrays)}"
        arrays[name] = to_numpy(value)
        return {"array": name}
    msg = f"save_checkpoint: cannot store a {type(value).__name__} ({value!r})"
    raise TypeError(msg)


def _decode(value, arrays: dict):
    """The inverse of :func:`_encode`."""
    if not isinstance(value, dict):
        return value
    ((kind, content),) = value.items()
    if kind == "array":
        return arrays[content]
    if kind == "dict":
        return {_decode(k, arrays): _decode(v, arrays) for k, v in content}
    items = [_decode(item, arrays) for item in content]
    return tuple(items) if kind == "tuple" else items


# -- the command -----------------------------------------------------------------------------


def _tqdm_progress(epochs: int):
    """A ``progress`` for :func:`fit`: a tqdm bar per epoch, or None without tqdm."""
    try:
        from tqdm import tqdm
    except ImportError:
        return None

    def progress(loader, epoch):
        return tqdm(loader, desc=f"epoch {epoch}/{epochs}", leave=False, unit="batch")

    return progress


def main(args) -> None:
    """``xpnet train``: ``args`` are the parsed options (see :class:`Config`)."""
    fields = {field.name for field in dataclasses.fields(Config)}
    config = Config(**{k: v for k, v in vars(args).items() if k in fields})
    progress = None if args.no_progress else _tqdm_progress(config.epochs)
    history = fit(config, progress=progress)
    if history:
        best = max(row["test_acc"] for row in history)
        print(f"final test accuracy {history[-1]['test_acc']:.2%} (best {best:.2%})")
    for path in filter(None, (config.checkpoint, config.plot)):
        print(f"saved {path}")
