"""The main side of data-loading workers: start them, hand out batches, collect in order.

After PyTorch's ``_MultiProcessingDataLoaderIter``, shortened. Each worker (a thread, or a
process of a ``multiprocessing`` context) runs :func:`xpnet.data.worker.worker_loop` with its
own index queue; batches are handed out round-robin, up to ``prefetch_factor`` per worker
ahead, and come back on one result queue tagged with their task number, so they are yielded
in the sampler's order (or as they arrive with ``in_order=False``). Worker threads of a
map-style dataset share one index queue instead (the first free thread takes the next batch,
so which thread reads which batch varies, the order of the batches does not). Errors raised
in a worker are re-raised here; a worker that dies, or a ``timeout`` that expires, raises
``RuntimeError`` instead of hanging.
"""

from __future__ import annotations

import copy
import itertools
import pickle
import queue
import threading
import time

from .worker import RESUME, IterableEnd, WorkerError, worker_loop

__all__ = ["StopFlag", "WorkerPool"]

_POLL = 1.0  # seconds between checks that the workers are alive while waiting


class StopFlag:
    """The loader's stop signal to worker processes: a shared byte, set once by the main
    process and read by the workers, with no lock. A ``multiprocessing`` Event's ``set()``
    takes the lock its ``is_set()`` takes in the workers, so a worker killed while reading
    it left the loader's shutdown waiting forever.

    Example:
        >>> import multiprocessing
        >>> flag = StopFlag(multiprocessing.get_context("fork"))
        >>> flag.set(); flag.is_set()
        True
    """

    def __init__(self, context) -> None:
        self.value = context.RawValue("b", 0)  # shared memory without a lock

    def set(self) -> None:
        self.value.value = 1

    def is_set(self) -> bool:
        return bool(self.value.value)


class WorkerPool:
    """``num_workers`` workers reading ``fetcher``; threads when ``context`` is ``None``.

    Args:
        fetcher: the loader's :class:`~xpnet.data.fetch.Fetcher` (pickled for processes).
        num_workers: how many workers.
        context: a ``multiprocessing`` context, or ``None`` for threads.
        base_seed: the workers' base seed (worker ``i`` gets ``base_seed + i``).
        worker_init_fn: called as ``worker_init_fn(worker_id)`` first in each worker.
        pin: the backend's ``pinned_host`` (thread workers pin the batches they make).

    Raises:
        RuntimeError: when a process cannot be started because the dataset (or
            ``collate_fn``, ``worker_init_fn``) cannot be pickled.
    """

    def __init__(self, fetcher, num_workers, context, base_seed, worker_init_fn, pin) -> None:
        self.num_workers, self.iterable, self.epoch = num_workers, fetcher.iterable, 0
        self.in_process = context is not None
        if self.in_process:
            self._check_picklable(context, fetcher, worker_init_fn)
            make_queue, make_worker = context.Queue, context.Process
            self.done = StopFlag(context)
            pin = None  # pinned in the main process, after the batch arrives
        else:
            make_queue, make_worker = queue.Queue, threading.Thread
            self.done = threading.Event()
        self.results = make_queue()
        self.index_queues, self.workers = [], []
        shared = None if self.in_process or self.iterable else make_queue()
        for worker_id in range(num_workers):
            index_queue = shared or make_queue()  # threads on indices: the first free one reads
            setup = (worker_id, num_workers, base_seed, worker_init_fn, self.in_process)
            own = fetcher if self.in_process else copy.copy(fetcher)  # a stream per thread
            args = (own, index_queue, self.results, self.done, setup, pin)
            worker = make_worker(target=worker_loop, args=args, daemon=True)
            worker.start()
            self.index_queues.append(index_queue)
            self.workers.append(worker)
        self.closed = False

    @staticmethod
    def _check_picklable(context, fetcher, worker_init_fn) -> None:
        method = context.get_start_method()
        if method == "fork":
            return
        try:
            pickle.dumps((fetcher, worker_init_fn))
        except Exception as error:
            msg = (
                f"DataLoader: worker processes started with {method!r} get a pickled copy of "
                "the dataset, collate_fn and worker_init_fn, and pickling them failed: "
                f"{type(error).__name__}: {error}. Define them at module level, use "
                "multiprocessing_context='fork', or thread workers (multiprocessing_context=None)"
            )
            raise RuntimeError(msg) from error

    def run(self, tasks, prefetch_factor: int, in_order: bool, timeout: float):
        """Yield each task's ``(batch, as_tensors)``: ``tasks`` are index arrays (map-style),
        or ignored for an iterable dataset (each worker streams its replica)."""
        self.epoch += 1
        if self.iterable:
            tasks = itertools.repeat(None)
            if self.epoch > 1:  # persistent workers: each replica starts over
                for index_queue in self.index_queues:
                    index_queue.put((self.epoch, -1, RESUME))
        state = _Epoch(self, iter(tasks))
        for _ in range(prefetch_factor * self.num_workers):
            if not state.send():
                break
        while state.outstanding or state.done:
            if in_order and state.received in state.done:
                result = state.done.pop(state.received)
                state.received += 1
            elif not in_order and state.done:
                result = state.done.pop(next(iter(state.done)))
            else:
                state.collect(self._get(timeout))
                continue
            if result is not None:  # None: a task of a worker whose iterable had ended
                state.send()
                if isinstance(result, WorkerError):
                    result.reraise()
                yield result

    def _get(self, timeout: float):
        deadline = time.monotonic() + timeout if timeout > 0 else None
        while True:
            wait = _POLL if deadline is None else max(0.0, min(_POLL, deadline - time.monotonic()))
            try:
                return self.results.get(timeout=wait)
            except queue.Empty:
                dead = [worker for worker in self.workers if not worker.is_alive()]
                if dead:
                    names = ", ".join(str(getattr(w, "pid", None) or w.name) for w in dead)
                    msg = f"DataLoader worker (pid(s) {names}) exited unexpectedly"
                    raise RuntimeError(msg) from None
                if deadline is not None and time.monotonic() >= deadline:
                    raise RuntimeError(f"DataLoader timed out after {timeout} seconds") from None

    def shutdown(self) -> None:
        """Stop the workers (processes still alive after 5 s are terminated)."""
        if self.closed:
            return
        self.closed = True
        self.done.set()
        for index_queue in self.index_queues:
            index_queue.put(None)
        for worker in self.workers:
            worker.join(timeout=5.0)
            if self.in_process and worker.is_alive():
                worker.terminate()
                worker.join()
        if self.in_process:
            for channel in (*self.index_queues, self.results):
                channel.cancel_join_thread()
                channel.close()

    def __del__(self):
        if not getattr(self, "closed", True):
            self.shutdown()


class _Epoch:
    """One pass's bookkeeping: tasks sent (task -> worker), results received (task -> result,
    ``None`` for a skipped task), and the workers still streaming."""

    def __init__(self, pool: WorkerPool, tasks) -> None:
        self.pool, self.tasks = pool, tasks
        self.active = [True] * pool.num_workers
        self.cycle = itertools.cycle(range(pool.num_workers))
        self.outstanding, self.done = {}, {}
        self.sent = self.received = 0

    def send(self) -> bool:
        """Hand the next task to the next active worker; ``False`` when there is none."""
        for _ in range(self.pool.num_workers):
            worker_id = next(self.cycle)
            if self.active[worker_id]:
                break
        else:
            return False
        indices = next(self.tasks, StopIteration)
        if indices is StopIteration:
            return False
        self.pool.index_queues[worker_id].put((self.pool.epoch, self.sent, indices))
        self.outstanding[self.sent] = worker_id
        self.sent += 1
        return True

    def collect(self, message) -> None:
        epoch, task, result = message
        if epoch != self.pool.epoch or task not in self.outstanding:
            return  # left over from an epoch that was not read to the end
        worker_id = self.outstanding.pop(task)
        if isinstance(result, IterableEnd):  # this and its other tasks give nothing
            self.active[worker_id] = False
            for other in [t for t, w in self.outstanding.items() if w == worker_id]:
                del self.outstanding[other]
                self.done[other] = None
            result = None
        self.done[task] = result
