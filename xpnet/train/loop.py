"""The training loop: one epoch, an evaluation, :func:`fit` over all epochs, and ``xpnet train``.

The run is set up by :mod:`xpnet.train.config`, saved and resumed by
:mod:`xpnet.train.checkpoint`, and printed and plotted by :mod:`xpnet.train.report`.
"""

from __future__ import annotations

import dataclasses
import functools
import sys
import time

from .. import data, distributed, nn, to_numpy
from .._random import manual_seed
from ..amp.training import train_step
from ..autograd import Tensor, no_grad
from ..backends import use_backend
from ..distributed.ddp import DistributedDataParallel, average_buffers
from .checkpoint import (
    load_checkpoint,
    restore_run,
    resume_config,
    run_generators,
    run_state,
    save_checkpoint,
)
from .config import Config, build_run, load_data
from .parallel import RankBatches, reduce_sums
from .report import format_row, plot_history

LOG_EVERY = 20  # batches between reads of the running loss and accuracy (a device sync)


def _step_sums(logits: Tensor, labels, loss_sum):
    """This batch's summed loss and correct count, left on the device."""
    correct = (logits.array.argmax(axis=1) == labels).sum()
    return loss_sum.array, correct


def train_epoch(model, loader, optimizer, scheduler, step_per_batch, progress) -> dict:
    """One pass over ``loader``; ``progress(loader)`` wraps the batches (e.g. in a tqdm bar).

    ``loader`` yields ``(images, labels)`` or, on several ranks, ``(images, labels,
    global_count)`` (:class:`~xpnet.train.parallel.RankBatches`): each rank's loss is its sum
    over the global count, so the summed gradients are those of the global batch. Loss and
    accuracy add up on the device and are read every ``LOG_EVERY`` batches and at the end.
    """
    model.train()
    loss_fn = nn.CrossEntropyLoss(reduction="sum")
    total_loss = correct = 0
    seen = 0
    start = time.perf_counter()
    batches = progress(loader)
    for step, (images, labels, *rest) in enumerate(batches, 1):
        count = rest[0] if rest else len(labels)
        logits, loss_sum = train_step(model, images, labels, count, loss_fn, optimizer)  # amp
        if scheduler is not None and step_per_batch:
            scheduler.step()
        batch_loss, batch_correct = _step_sums(logits, labels, loss_sum)
        total_loss, correct = total_loss + batch_loss, correct + batch_correct
        seen += len(labels)
        if hasattr(batches, "set_postfix") and (step % LOG_EVERY == 0 or step == len(loader)):
            _show(batches, total_loss, correct, seen, start)
    if scheduler is not None and not step_per_batch:
        scheduler.step()
    total_loss, correct, seen = reduce_sums([total_loss, correct, seen])
    seconds = time.perf_counter() - start
    return {
        "train_loss": total_loss / seen,
        "train_acc": correct / seen,
        "images_per_s": seen / seconds,
        "seconds": seconds,
    }


def _show(bar, total_loss, correct, seen, start) -> None:
    """The running figures of this rank in the progress bar (one device read)."""
    loss, right = (float(to_numpy(value)) for value in (total_loss, correct))
    speed = seen / (time.perf_counter() - start)
    postfix = {"loss": f"{loss / seen:.4f}", "acc": f"{right / seen:.2%}", "img/s": f"{speed:.0f}"}
    bar.set_postfix(postfix, refresh=False)


def evaluate(model, loader) -> dict:
    """Mean loss and accuracy of ``model`` on ``loader``, in eval mode and without a graph.

    On several ranks each evaluates its share of every batch (no sample twice) and the sums
    are reduced once at the end, exactly.
    """
    model.eval()
    loss_fn = nn.CrossEntropyLoss(reduction="sum")
    total_loss = correct = 0
    seen = 0
    with no_grad():
        for images, labels, *_ in loader:
            logits = model(Tensor(images))
            batch_loss, batch_correct = _step_sums(logits, labels, loss_fn(logits, labels))
            total_loss, correct = total_loss + batch_loss, correct + batch_correct
            seen += len(labels)
    total_loss, correct, seen = reduce_sums([total_loss, correct, seen])
    return {"test_loss": total_loss / seen, "test_acc": correct / seen}


def fit(config: Config, progress=None, echo=print) -> list[dict]:
    """Train as ``config`` says; return the history, one dict of metrics per epoch.

    ``progress(loader, epoch)`` may wrap each epoch's batches (``xpnet train`` passes a tqdm
    bar); ``echo`` prints the run's description and the per-epoch table. Under ``mpiexec``
    the ranks share each batch (:mod:`xpnet.train.parallel`); rank 0 alone prints, plots and
    saves, and a checkpoint does not depend on the number of ranks.

    Raises:
        ValueError: bad settings, unreadable data, or a checkpoint that does not fit them.
    """
    distributed.init_from_environment()
    rank, world = distributed.get_rank(), distributed.get_world_size()
    if rank:
        progress, echo = None, _silent
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
        if config.sync_batchnorm:
            model = nn.SyncBatchNorm.convert_sync_batchnorm(model)
        generators = run_generators(train_loader, backend)
        history = []
        if state is not None:
            history = restore_run(config, state, model, optimizer, scheduler, generators)
        # each rank keeps its own BatchNorm statistics, averaged before each evaluation
        # (average_buffers below), rather than PyTorch's default copy of rank 0's every step
        runner = model
        if world > 1:
            runner = DistributedDataParallel(model, broadcast_buffers=False, gradient_op="sum")
        batches = RankBatches(train_loader, rank, world)
        tests = RankBatches(test_loader, rank, world)
        title = f"{config.model} on {config.dataset}, {config.optimizer} + {config.scheduler}"
        echo(
            f"xpnet train: {config.model} on {config.dataset} ({len(train_set)} train / "
            f"{len(test_set)} test images {image_shape}), backend {backend.name}, "
            f"device {backend.device_name()}, {config.optimizer} + {config.scheduler}"
            + (f", {world} ranks" if world > 1 else "")
        )
        if state is not None:
            echo(f"resumed {config.resume} after epoch {len(history)} of {config.epochs}")
        echo(format_row(None))
        for row in history:
            echo(format_row(row))
        for epoch in range(len(history) + 1, config.epochs + 1):
            wrap = functools.partial(progress, epoch=epoch) if progress else iter
            row = {"epoch": epoch, "lr": _current_lr(optimizer)}
            row |= train_epoch(runner, batches, optimizer, scheduler, per_batch, wrap)
            if world > 1:
                average_buffers(model)  # per-rank BatchNorm statistics: one model to evaluate
            row |= evaluate(model, tests)
            history.append(row)
            echo(format_row(row))
            if config.checkpoint and rank == 0:
                saved = run_state(config, model, optimizer, scheduler, generators, history)
                save_checkpoint(config.checkpoint, saved)
    if config.plot and rank == 0:
        plot_history(history, config.plot, title=title)
    return history


def _silent(*args, **kwargs) -> None:
    """``echo`` on ranks other than 0: they print nothing."""


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
    try:
        history = fit(config, progress=progress, echo=functools.partial(print, flush=True))
    except Exception as error:
        comm = distributed.get_communicator()
        if comm is None or comm.world_size == 1:
            raise
        # on one rank of several, a caught error must end the job, not leave it hanging
        distributed.abort_with_traceback(comm, error)
    if distributed.get_rank():
        return
    if history:
        best = max(row["test_acc"] for row in history)
        print(f"final test accuracy {history[-1]['test_acc']:.2%} (best {best:.2%})")
    for path in filter(None, (config.checkpoint, config.plot)):
        print(f"saved {path}")
