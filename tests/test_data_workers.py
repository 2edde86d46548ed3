"""DataLoader workers, threads and processes, against torch.utils.data's DataLoader: batches
and their order, worker info and seeds, worker_init_fn, errors, timeouts, dead workers,
persistent workers and shutdown."""

from __future__ import annotations

import gc
import multiprocessing
import os
import random
import signal
import threading
import time
import warnings

import numpy as np
import pytest
import torch.utils.data as tud
from _oracle import nested_lists as plain
from torch.utils.data._utils.worker import _generate_state

from xpnet.data import (
    DataLoader,
    Dataset,
    IterableDataset,
    TensorDataset,
    WorkerInfo,
    get_worker_info,
)

KINDS = [None, "fork"]  # thread workers (the default), and processes
_local = threading.local()  # what worker_init_fn saw, per worker (thread or process)


def make_classes(base_map, base_iterable):
    class Items(base_map):
        """``(array, index)`` samples; ``fail_at`` raises, ``delay`` sleeps per sample."""

        def __init__(self, count, fail_at=None, delay=0.0):
            self.count, self.fail_at, self.delay = count, fail_at, delay

        def __getitem__(self, index):
            time.sleep(self.delay)
            if index == self.fail_at:
                raise ValueError(f"sample {index} is broken")
            return np.full(2, index, dtype=np.float32), index

        def __len__(self):
            return self.count

    class Stream(base_iterable):
        """``range(count)``, split between workers when ``shard``, else once per worker."""

        def __init__(self, count, shard=True, reported=None):
            self.count, self.shard, self.reported = count, shard, reported

        def __iter__(self):
            info = tud.get_worker_info() if base_iterable is tud.IterableDataset else None
            info = info or get_worker_info()
            if info is None or not self.shard:
                return iter(range(self.count))
            return iter(range(info.id, self.count, info.num_workers))

        def __len__(self):
            return self.count if self.reported is None else self.reported

    return Items, Stream


Items, Stream = make_classes(Dataset, IterableDataset)
TorchItems, TorchStream = make_classes(tud.Dataset, tud.IterableDataset)


class Probe(Dataset):
    """Each sample tells the worker it was read in: info, init_fn's mark, RNG draws."""

    def __getitem__(self, index):
        info = get_worker_info()
        return {
            "id": info.id,
            "num_workers": info.num_workers,
            "seed": info.seed,
            "own": type(info.dataset) is Probe,
            "method": info.worker_method,
            "init": getattr(_local, "init", -1),
            "random": random.random(),
            "numpy": np.random.randint(1 << 30),
            "pid": os.getpid(),
        }

    def __len__(self):
        return 4


def mark_init(worker_id):
    _local.init = worker_id + 100


@pytest.mark.parametrize("kind", KINDS)
def test_map_style_batches_match_torch(backend, kind):
    options = [
        {"batch_size": 3},
        {"batch_size": 4, "drop_last": True},
        {"batch_sampler": [[5, 1], [0], [9, 8, 7]]},
        {"batch_size": None},
    ]
    for option in options:
        ours = DataLoader(Items(10), num_workers=2, multiprocessing_context=kind, **option)
        theirs = tud.DataLoader(TorchItems(10), num_workers=2, **option)
        batches = list(ours)
        assert [plain(batch) for batch in batches] == [plain(batch) for batch in theirs]
        assert len(ours) == len(theirs)
    assert isinstance(batches[0][0], backend.xp.ndarray)


@pytest.mark.parametrize("kind", KINDS)
def test_shuffled_batches_do_not_depend_on_workers(kind):
    def labels(**options):
        loader = DataLoader(Items(9), batch_size=2, shuffle=True, seed=3, **options)
        return [plain(batch[1]) for epoch in range(2) for batch in loader]

    assert labels(num_workers=2, multiprocessing_context=kind, prefetch_factor=1) == labels()
    unordered = labels(num_workers=2, multiprocessing_context=kind, in_order=False)
    assert sorted(map(tuple, unordered)) == sorted(map(tuple, labels()))


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    ("shard", "batch_size", "drop_last"), [(True, 2, False), (True, 3, True), (False, None, False)]
)
def test_iterable_batches_match_torch(kind, shard, batch_size, drop_last):
    options = {"batch_size": batch_size, "drop_last": drop_last, "num_workers": 2}
    # 13 samples: worker 0 has a batch more than worker 1, which stops being asked first
    ours = DataLoader(Stream(13, shard), multiprocessing_context=kind, **options)
    theirs = tud.DataLoader(TorchStream(13, shard), **options)
    assert len(ours) == len(theirs)
    with warnings.catch_warnings():  # replicas without shards give too many: both warn
        warnings.simplefilter("ignore")
        assert [plain(batch) for batch in ours] == [plain(batch) for batch in theirs]


def test_iterable_length_warning_names_the_workers_as_torch():
    ours = DataLoader(Stream(3, shard=False), batch_size=None, num_workers=2)
    assert len(ours) == 3
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert len(list(ours)) == 6
    assert len(caught) == 3
    assert "but 4 samples have been fetched. For multiprocessing data-loading" in str(
        caught[0].message
    )


@pytest.mark.parametrize("kind", KINDS)
def test_worker_info_seeds_and_worker_init_fn(kind):
    loader = DataLoader(
        Probe(), batch_size=None, num_workers=2, multiprocessing_context=kind,
        worker_init_fn=mark_init,
    )  # fmt: skip
    samples = [plain(sample) for sample in loader]
    assert {s["num_workers"] for s in samples} == {2} and {s["id"] for s in samples} <= {0, 1}
    assert [s["init"] - 100 for s in samples] == [s["id"] for s in samples]
    assert len({s["seed"] - s["id"] for s in samples}) == 1  # base seed + id
    if kind is None:  # threads share the dataset and the process's RNGs: nothing is reseeded
        # (and share one index queue: the first free thread reads the next sample)
        assert samples[0]["method"] == "thread" and samples[0]["pid"] == os.getpid()
        return
    assert [s["id"] for s in samples] == [0, 1, 0, 1]  # processes: round-robin, as PyTorch
    first, second = samples[0], samples[1]
    assert first["own"] and first["method"] == "multiprocessing"
    assert first["pid"] != second["pid"] != os.getpid()
    for sample in samples[:2]:  # each worker's first draws, as PyTorch seeds them
        base = sample["seed"] - sample["id"]
        assert sample["random"] == random.Random(sample["seed"]).random()
        state = np.random.RandomState(_generate_state(base, sample["id"]))
        assert sample["numpy"] == state.randint(1 << 30)
    assert get_worker_info() is None


def test_worker_info_is_read_only_with_torchs_repr():
    from torch.utils.data._utils.worker import WorkerInfo as TorchWorkerInfo

    for info in (WorkerInfo, TorchWorkerInfo):
        made = info(id=1, num_workers=2, seed=5, dataset="d", worker_method="thread")
        assert repr(made) == (
            "WorkerInfo(id=1, num_workers=2, seed=5, dataset='d', rng=None, worker_method='thread')"
        )
        with pytest.raises(AttributeError, match="cannot assign to field 'id'"):
            made.id = 0


@pytest.mark.parametrize("kind", KINDS)
def test_worker_errors_are_reraised_with_their_traceback(kind):
    ours = DataLoader(
        Items(8, fail_at=5), batch_size=2, num_workers=2, multiprocessing_context=kind
    )
    theirs = iter(tud.DataLoader(TorchItems(8, fail_at=5), batch_size=2, num_workers=2))
    try:
        list(theirs)
    except ValueError as error:
        expected = str(error)
    finally:  # now: left to the garbage collector, its shutdown takes seconds
        theirs._shutdown_workers()
    worker = "process" if kind else "thread"  # which thread reads a batch varies
    with pytest.raises(ValueError, match=rf"Caught ValueError in DataLoader worker {worker} \d\."):
        list(ours)
    with pytest.raises(ValueError) as error:
        next(x for i, x in enumerate(ours) if i == 2)
    message = str(error.value).replace("worker thread 1.", "worker thread 0.")
    assert expected.startswith("Caught ValueError in DataLoader worker process 0.")
    assert (
        message.replace(f"worker {worker}", "worker process").split("\n")[:2]
        == (expected.split("\n")[:2])
    )
    assert 'raise ValueError(f"sample {index} is broken")' in message
    assert message.endswith("ValueError: sample 5 is broken\n")


def children():
    gc.collect()  # PyTorch's iterators held by tracebacks of earlier tests stop their workers
    return [child for child in multiprocessing.active_children() if child.is_alive()]


def test_deleting_an_iterator_mid_epoch_stops_its_workers():
    children()
    for kind in KINDS:
        # by identity, not by count: threads of earlier tests may still be ending meanwhile
        before = set(threading.enumerate())
        iterator = iter(
            DataLoader(Items(40), batch_size=2, num_workers=2, multiprocessing_context=kind)
        )
        next(iterator)
        assert len(children()) == (2 if kind else 0)
        assert set(threading.enumerate()) - before
        del iterator
        assert children() == []
        # the worker threads are joined; multiprocessing's queue feeder threads, closed as
        # PyTorch closes them (cancel_join_thread, close), end on their own a moment later
        deadline = time.monotonic() + 5.0
        while set(threading.enumerate()) - before and time.monotonic() < deadline:
            time.sleep(0.01)
        assert not set(threading.enumerate()) - before


def test_persistent_workers_are_kept_and_restart_iterables():
    loader = DataLoader(
        Probe(), batch_size=None, num_workers=2, multiprocessing_context="fork",
        persistent_workers=True,
    )  # fmt: skip
    pids = [{plain(sample)["pid"] for sample in loader} for _ in range(2)]
    assert pids[0] == pids[1] and len(pids[0]) == 2
    stream = DataLoader(
        Stream(7), batch_size=2, num_workers=2, multiprocessing_context="fork",
        persistent_workers=True,
    )  # fmt: skip
    first = next(iter(stream))  # an epoch left unfinished
    epochs = [[plain(batch) for batch in stream] for _ in range(2)]
    assert plain(first) == [0, 2] and epochs[0] == epochs[1] == [[0, 2], [1, 3], [4, 6], [5]]
    del loader, stream
    assert children() == []


def test_a_killed_worker_raises_instead_of_hanging():
    loader = DataLoader(
        Items(40, delay=0.02), batch_size=2, num_workers=2, multiprocessing_context="fork"
    )
    iterator = iter(loader)
    next(iterator)
    os.kill(children()[0].pid, signal.SIGKILL)
    with pytest.raises(
        RuntimeError, match=r"DataLoader worker \(pid\(s\) \d+\) exited unexpectedly"
    ):
        list(iterator)
    assert children() == []


def _read_until_killed(flag):
    while True:
        flag.is_set()


def test_the_stop_flag_sets_after_a_reader_is_killed_mid_read():
    """The loader's stop flag takes no lock: a worker killed while reading it cannot leave
    ``shutdown`` waiting forever, as a ``multiprocessing`` Event's lock did (seen once as a
    CI run that hung in the killed-worker test above)."""
    from xpnet.data.workers import StopFlag

    context = multiprocessing.get_context("fork")
    flag = StopFlag(context)
    for _ in range(5):
        reader = context.Process(target=_read_until_killed, args=(flag,), daemon=True)
        reader.start()
        time.sleep(random.uniform(0.01, 0.05))
        os.kill(reader.pid, signal.SIGKILL)
        reader.join()
    setter = threading.Thread(target=flag.set, daemon=True)
    setter.start()
    setter.join(timeout=5.0)
    assert not setter.is_alive() and flag.is_set()


@pytest.mark.parametrize("kind", KINDS)
def test_timeout_raises_as_torch(kind):
    loader = DataLoader(
        Items(4, delay=0.3), num_workers=1, timeout=0.1, multiprocessing_context=kind
    )
    with pytest.raises(RuntimeError, match=r"DataLoader timed out after 0.1 seconds"):
        next(iter(loader))


def test_spawn_workers_and_pickling_errors():
    dataset = TensorDataset(np.arange(12.0).reshape(6, 2), np.arange(6))
    options = {"batch_size": 4, "shuffle": True, "seed": 1}
    spawned = DataLoader(dataset, num_workers=2, multiprocessing_context="spawn", **options)
    assert [plain(b) for b in spawned] == [plain(b) for b in DataLoader(dataset, **options)]
    unpicklable = DataLoader(
        Items(4), num_workers=1, multiprocessing_context="spawn", collate_fn=lambda s: s
    )
    with pytest.raises(RuntimeError, match="'spawn' get a pickled copy of the dataset, collate_fn"):
        next(iter(unpicklable))
    assert children() == []
