"""Data-loading workers, after ``torch.utils.data._utils.worker``.

:func:`get_worker_info` tells dataset code which worker runs it. :func:`worker_loop` is the
body of a worker (a thread, or a process of a ``multiprocessing`` context): it reads
``(epoch, task, indices)`` messages from its own queue and puts ``(epoch, task, result)`` on
the shared result queue, where a result is ``(batch, as_tensors)``, an :class:`IterableEnd`
when its replica of an iterable dataset is exhausted, or a :class:`WorkerError` carrying an
exception's traceback text to the main process (:mod:`xpnet.data.workers` is the main side).
"""

from __future__ import annotations

import dataclasses
import os
import queue
import random
import sys
import threading
import traceback

import numpy

from .._random import manual_seed
from .collate import map_fields

__all__ = [
    "IterableEnd",
    "RESUME",
    "WorkerError",
    "WorkerInfo",
    "generate_state",
    "get_worker_info",
    "set_worker_info",
    "worker_loop",
]

RESUME = "resume"  # a message's indices: restart the iterable (persistent workers' new epoch)
_state = threading.local()  # a worker's info: per thread, so worker threads each have theirs


@dataclasses.dataclass(frozen=True, slots=True)
class WorkerInfo:
    """What :func:`get_worker_info` returns in a worker; frozen, as PyTorch's.

    Attributes:
        id: this worker's number, ``0 <= id < num_workers``.
        num_workers: how many workers the loader runs.
        seed: this worker's seed, the loader's base seed plus ``id``.
        dataset: the dataset this worker reads (its own copy in a worker process; the loader's
            dataset itself in a worker thread).
        rng: PyTorch's per-thread generators; always ``None`` here.
        worker_method: ``"multiprocessing"`` in a worker process, ``"thread"`` in a thread.
    """

    id: int
    num_workers: int
    seed: int
    dataset: object
    rng: object = None
    worker_method: str | None = "multiprocessing"


def get_worker_info() -> WorkerInfo | None:
    """The current worker's :class:`WorkerInfo`, or ``None`` outside a data-loading worker.

    In an :class:`~xpnet.data.IterableDataset`'s ``__iter__`` it lets each worker read its own
    share of the stream; in a ``worker_init_fn`` its ``seed`` can seed other libraries.

    Example:
        >>> get_worker_info() is None
        True
    """
    return getattr(_state, "info", None)


def set_worker_info(info: WorkerInfo | None) -> None:
    """Make ``info`` what :func:`get_worker_info` returns in this thread."""
    _state.info = info


def generate_state(base_seed: int, worker_id: int) -> list[int]:
    """PyTorch's ``_generate_state``: four 32-bit words seeding NumPy's global RNG in a worker
    (a hash of ``base_seed`` and ``worker_id``, so it differs from ``random``'s seed)."""
    mask, shift = 0xFFFFFFFF, 16
    multiplier = 0x43B0D7E5

    def hashed(value):
        nonlocal multiplier
        value = (value ^ multiplier) & mask
        multiplier = (multiplier * 0x931E8875) & mask
        value = (value * multiplier) & mask
        return (value ^ (value >> shift)) & mask

    def mix(x, y):
        result = (((0xCA01F9DD * x) & mask) - ((0x4973F715 * y) & mask)) & mask
        return (result ^ (result >> shift)) & mask

    pool = [hashed(value) for value in (worker_id, base_seed & mask, base_seed >> 32, 0)]
    for source in range(4):
        for target in range(4):
            if source != target:
                pool[target] = mix(pool[target], hashed(pool[source]))
    state, multiplier = [], 0x8B51F9DD
    for value in pool:
        value = (value ^ multiplier) & mask
        multiplier = (multiplier * 0x58F38DED) & mask
        value = (value * multiplier) & mask
        state.append((value ^ (value >> shift)) & mask)
    return state


class WorkerError:
    """An exception raised in a worker, carried to the main process as text (as PyTorch's
    ``ExceptionWrapper``): :meth:`reraise` raises the same type there with the worker's id
    and the original traceback in the message."""

    def __init__(self, where: str) -> None:
        exc_type, _, _ = sys.exc_info()
        self.exc_type = exc_type
        self.message = "".join(traceback.format_exception(*sys.exc_info()))
        self.where = where

    def reraise(self):
        """Raise the worker's exception in this process."""
        message = f"Caught {self.exc_type.__name__} {self.where}.\nOriginal {self.message}"
        try:
            error = self.exc_type(message)
        except Exception:  # a type that needs other arguments: PyTorch raises RuntimeError
            raise RuntimeError(message) from None
        raise error


class IterableEnd:
    """A worker's answer once its replica of an iterable dataset is exhausted."""

    def __init__(self, worker_id: int) -> None:
        self.worker_id = worker_id


def _seed_globals(base_seed: int, worker_id: int) -> None:
    """Seed ``random``, xpnet's generators and NumPy's global RNG, as PyTorch's workers seed
    ``random``, ``torch`` and NumPy."""
    seed = base_seed + worker_id
    random.seed(seed)
    manual_seed(seed)
    numpy.random.seed(generate_state(base_seed, worker_id))


def worker_loop(fetcher, index_queue, result_queue, done, setup, pin=None) -> None:
    """A worker's body: answer each message of ``index_queue`` on ``result_queue``.

    Args:
        fetcher: the :class:`~xpnet.data.fetch.Fetcher` (a copy of it in a process).
        index_queue: this worker's messages: ``(epoch, task, indices)``, ``indices`` ``None``
            for an iterable's next batch or :data:`RESUME`; ``None`` ends the worker.
        result_queue: where ``(epoch, task, result)`` go.
        done: an event set when the loader shuts the workers down (the tasks still queued
            are skipped).
        setup: ``(worker_id, num_workers, base_seed, worker_init_fn, in_process)``.
        pin: for threads, the backend's ``pinned_host`` to stage batches in, or ``None``.
    """
    worker_id, num_workers, base_seed, init_fn, in_process = setup
    where = f"in DataLoader worker {'process' if in_process else 'thread'} {worker_id}"
    parent = os.getppid()
    if in_process:
        _seed_globals(base_seed, worker_id)
    method = "multiprocessing" if in_process else "thread"
    seed, dataset = base_seed + worker_id, fetcher.dataset
    set_worker_info(WorkerInfo(worker_id, num_workers, seed, dataset, worker_method=method))
    pending, ended = None, False  # pending: an error of worker_init_fn or iter(dataset)
    try:
        if init_fn is not None:
            init_fn(worker_id)
        fetcher.start()
    except Exception:
        pending = WorkerError(where)
    while True:
        try:
            message = index_queue.get(timeout=5.0)
        except queue.Empty:
            if in_process and os.getppid() != parent:  # the main process is gone
                break
            continue
        if message is None:
            break
        if done.is_set():
            continue
        epoch, task, indices = message
        if isinstance(indices, str):  # RESUME: a new epoch of a persistent iterable
            try:
                fetcher.start()
                pending, ended = None, False
            except Exception:
                pending = WorkerError(where)
            continue
        if ended:  # as PyTorch's: no answers once the replica is over
            continue
        result, pending = (pending, None) if pending is not None else (None, None)
        if result is None:
            result = _answer(fetcher, indices, where, worker_id, pin)
        ended = isinstance(result, IterableEnd)
        result_queue.put((epoch, task, result))
    set_worker_info(None)
    if in_process:
        result_queue.cancel_join_thread()  # never block exiting on a batch nobody reads


def _answer(fetcher, indices, where: str, worker_id: int, pin):
    try:
        if fetcher.iterable:
            batch, tensors = fetcher.next_batch()
        else:
            batch, tensors = fetcher.fetch(indices)
    except StopIteration:
        return IterableEnd(worker_id)
    except Exception:
        return WorkerError(where)
    if pin is not None:
        batch = map_fields(batch, lambda a: pin(a) if isinstance(a, numpy.ndarray) else a)
    return batch, tensors
