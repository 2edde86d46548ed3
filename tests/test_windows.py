"""The shared window helper: output sizes as PyTorch computes them, and the reused workspace."""

from __future__ import annotations

import itertools
import threading
import time

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import xpnet
from xpnet.backends._base import batch_groups_of
from xpnet.kernels import _blocks
from xpnet.kernels._blocks import Groups, batch_blocks, batch_chunks, map_groups
from xpnet.kernels._windows import window_geometry
from xpnet.kernels._workspaces import workspace


def test_window_geometry_output_size_matches_torch():
    """Every size, kernel, stride, padding, dilation and ceil_mode, including the ceil_mode
    rule that drops a last window starting in the right padding."""
    for size, kernel, stride, padding, dilation, ceil_mode in itertools.product(
        range(1, 9), range(1, 5), range(1, 4), range(3), range(1, 3), [False, True]
    ):
        if padding > kernel // 2 or dilation * (kernel - 1) + 1 > size + 2 * padding:
            continue
        geometry = window_geometry(
            "test",
            (size, 1),
            (kernel, 1),
            (stride, 1),
            (dilation, 1),
            (padding, 0),
            ceil_mode=ceil_mode,
        )
        expected = TF.max_pool2d(
            torch.zeros(1, 1, size, 1),
            (kernel, 1),
            (stride, 1),
            (padding, 0),
            (dilation, 1),
            ceil_mode,
        ).shape[2]
        assert geometry.output[0] == expected, (size, kernel, stride, padding, dilation, ceil_mode)


def test_workspace_is_reused_and_grows(backend):
    first = workspace(backend, "test", (4, 5), np.float32)
    first[...] = 7.0
    again = workspace(backend, "test", (2, 3), np.float32)  # the same memory, reshaped
    assert again.shape == (2, 3) and (backend.to_host(again) == 7.0).all()
    bigger = workspace(backend, "test", (10, 10), np.float32)
    assert bigger.shape == (10, 10) and bigger.dtype == np.float32


@pytest.fixture
def two_threads():
    previous = xpnet.get_num_threads()
    xpnet.set_num_threads(2)
    yield
    xpnet.set_num_threads(previous)


@pytest.fixture
def groups_for_any_work(monkeypatch):
    """Every sample is worth a group of its own (``MIN_GROUP_BYTES`` of 1)."""
    monkeypatch.setattr(_blocks, "MIN_GROUP_BYTES", 1)


def test_batch_chunks_split_by_budget(backend, two_threads, groups_for_any_work, cpu_blocks):
    """``batch_groups`` groups of chunks (numpy: 8, at most one a sample; strict and cupy:
    1), chunks as large as the budget holds (3 samples of 30 bytes in 100), and as many
    chunks at once as it holds (one)."""
    xpnet.set_memory_budget(100)
    try:
        if batch_groups_of(backend) == 1:
            expected = [[slice(0, 3), slice(3, 6), slice(6, 7)]]
        else:  # 7 groups of one sample
            expected = [[slice(i, i + 1)] for i in range(7)]
        chunks = batch_chunks(backend, "test", 7, 30)
        assert chunks == expected and chunks.at_once == 1
        assert batch_chunks(backend, "test", 0, 30) == []
        with pytest.raises(MemoryError, match=r"test: one sample needs 101 bytes .*budget of 100"):
            batch_chunks(backend, "test", 7, 101)
        xpnet.set_memory_budget(200)  # chunks of 6 samples, or of 3 where a unit is 90 bytes
        assert batch_chunks(backend, "test", 7, 30).at_once == 1
        assert batch_chunks(backend, "test", 7, 30, unit_bytes=90).at_once == 2
    finally:
        xpnet.set_memory_budget(None)


def test_map_groups_runs_at_most_as_many_groups_at_once_as_the_budget_holds(num_threads):
    """Each of 2 runs of consecutive groups on its own thread, in group order within a run."""
    num_threads(4)
    backend = xpnet.backends.load_backend("numpy")
    running, most, seen, lock = 0, 0, [], threading.Lock()

    def run_group(index):
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
            seen.append(index)
        time.sleep(0.01)  # long enough for every thread to start meanwhile
        with lock:
            running -= 1

    map_groups(backend, run_group, Groups([[slice(i, i + 1)] for i in range(8)], at_once=2))
    assert most == 2 and sorted(seen) == list(range(8))
    assert [i for i in seen if i < 4] == [0, 1, 2, 3]  # the first run, in order
    seen.clear()
    map_groups(backend, run_group, [[slice(i, i + 1)] for i in range(8)])  # no budget: all
    assert most == 4 and sorted(seen) == list(range(8))


@pytest.mark.parametrize("threads", [1, 2, 3])
def test_batch_chunks_do_not_depend_on_threads(
    backend, num_threads, threads, groups_for_any_work, cpu_blocks
):
    """Groups by ``batch_groups``, chunks by ``UNIT_BYTES``: never by the thread count."""
    num_threads(threads)
    if batch_groups_of(backend) == 1:
        assert batch_chunks(backend, "test", 20, 30) == [[slice(0, 20)]]
    else:
        bounds = [0, 2, 5, 7, 10, 12, 15, 17, 20]
        expected = [[slice(a, b)] for a, b in itertools.pairwise(bounds)]
        assert batch_chunks(backend, "test", 20, 30) == expected
    assert batch_chunks(backend, "test", 1, 30) == [[slice(0, 1)]]  # fewer samples than groups
    # 1 MiB a sample: 8 to a chunk (UNIT_BYTES), 20 in one group on strict and cupy
    chunks = batch_chunks(backend, "test", 20, 1 << 20)
    assert max(chunk.stop - chunk.start for group in chunks for chunk in group) <= 8


def test_batch_chunks_take_fewer_groups_for_little_work(backend):
    """A group holds at least ``MIN_GROUP_BYTES`` (2 MiB) of temporaries: each costs Python.
    The count is a power of two from 2 (on the CPU), so that 2 ranks' halves of a batch are
    sums of the same groups as one process's."""
    cpu = batch_groups_of(backend) == 8
    for per_sample, expected in [(100 << 10, 2), (1 << 10, 2), (300 << 10, 8), (150 << 10, 4)]:
        groups = len(batch_chunks(backend, "test", 64, per_sample))  # 6.25, 0.06, 19, 9 MiB
        assert groups == (expected if cpu else 1), per_sample
    assert len(batch_chunks(backend, "test", 1, 1 << 10)) == 1


def test_batch_blocks_give_every_block_thread_a_block(backend, two_threads, cpu_blocks):
    """An operand over 256 KiB gets at least one block per thread (numpy: 2, strict and
    cupy: 1); below that, and within a block's size, one block."""
    threads = backend.block_threads()
    # 64 samples of 12.25 KiB (784 KiB): within one 1 MiB block
    assert batch_blocks(backend, (64, 64, 7, 7), "float32") == (
        [slice(0, 32), slice(32, 64)] if threads == 2 else [slice(0, 64)]
    )
    assert batch_blocks(backend, (16, 64, 7, 7), "float32") == [slice(0, 16)]  # 196 KiB
    # 10 samples of 256 KiB: 4 per block, whatever the threads
    assert batch_blocks(backend, (10, 64, 1024), "float32") == [
        slice(0, 4),
        slice(4, 8),
        slice(8, 10),
    ]
