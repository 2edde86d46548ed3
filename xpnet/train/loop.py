"""The training loop: one epoch, an evaluation, :func:`fit` over all epochs, and ``xpnet train``.

The run is set up by :mod:`xpnet.train.config`, saved and resumed by
:mod:`xpnet.train.checkpoint`, and printed and plotted by :mod:`xpnet.train.report`.
"""

from __future__ import annotations

import dataclasses
import functools
import sys
import time

from .. import data, nn, to_numpy
from .._random import manual_seed
from ..autograd import Tensor, no_grad
from ..backends import use_backend
from .checkpoint import (
    load_checkpoint,
    restore_run,
    resume_config,
    run_generators,
    run_state,
    save_checkpoint,
)
from .config import Config, build_run, load_data
from .report import format_row, plot_history


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
    state = load_checkpoint(config.resume) if config.resume else None
    if state is not None:
        config = resume_config(config, state)  # before the data: a refusal comes at once
    with use_backend(config.backend) as backend:
        manual_seed(config.seed)
        train_set, test_set = load_data(config)
        train_loader = data.DataLoader(
            train_set, batch_size=config.batch_size, shuffle=True, seed=config.seed
        )
        test_loader = data.DataLoader(test_set, batch_size=500)
        image_shape = tuple(train_set[0][0].shape)
        model, optimizer, scheduler, per_batch = build_run(config, image_shape, len(train_loader))
        generators = run_generators(train_loader, backend)
        history = []
        if state is not None:
            history = restore_run(config, state, model, optimizer, scheduler, generators)
        title = f"{config.model} on {config.dataset}, {config.optimizer} + {config.scheduler}"
        echo(
            f"xpnet train: {config.model} on {config.dataset} ({len(train_set)} train / "
            f"{len(test_set)} test images {image_shape}), backend {backend.name}, "
            f"device {backend.device_name()}, {config.optimizer} + {config.scheduler}"
        )
        if state is not None:
            echo(f"resumed {config.resume} after epoch {len(history)} of {config.epochs}")
        echo(format_row(None))
        for row in history:
            echo(format_row(row))
        for epoch in range(len(history) + 1, config.epochs + 1):
            wrap = functools.partial(progress, epoch=epoch) if progress else iter
            row = {"epoch": epoch, "lr": _current_lr(optimizer)}
            row |= train_epoch(model, train_loader, optimizer, scheduler, per_batch, wrap)
            row |= evaluate(model, test_loader)
            history.append(row)
            echo(format_row(row))
            if config.checkpoint:
                saved = run_state(config, model, optimizer, scheduler, generators, history)
                save_checkpoint(config.checkpoint, saved)
    if config.plot:
        plot_history(history, config.plot, title=title)
    return history


def _current_lr(optimizer) -> float:
    return optimizer.param_groups[0]["lr"]


def _tqdm_progress(epochs: int):
    """A ``progress`` for :func:`fit`: a tqdm bar per epoch, or None without tqdm or when
    stderr (where tqdm writes) is not a terminal: a redirected log gets the per-epoch rows."""
    if not sys.stderr.isatty():
        return None
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
    # flushed: a redirected log shows each epoch's row when it ends
    history = fit(config, progress=progress, echo=functools.partial(print, flush=True))
    if history:
        best = max(row["test_acc"] for row in history)
        print(f"final test accuracy {history[-1]['test_acc']:.2%} (best {best:.2%})")
    for path in filter(None, (config.checkpoint, config.plot)):
        print(f"saved {path}")
