"""The shared window helper: output sizes as PyTorch computes them, and the reused workspace."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import xpnet
from xpnet.kernels._blocks import batch_blocks, batch_chunks, workspace
from xpnet.kernels._windows import window_geometry


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


def test_batch_chunks_split_by_budget(backend, two_threads):
    """One group of chunks per block thread (numpy: 2, strict and cupy: 1); the groups run
    at once, so each gets its share of the budget."""
    xpnet.set_memory_budget(100)
    try:
        if backend.block_threads() == 1:
            expected = [[slice(0, 3), slice(3, 6), slice(6, 7)]]
        else:  # 50 bytes per group: one 30-byte sample per chunk
            expected = [[slice(i, i + 1) for i in range(3)], [slice(i, i + 1) for i in range(3, 7)]]
        assert batch_chunks(backend, "test", 7, 30) == expected
        assert batch_chunks(backend, "test", 0, 30) == []
        with pytest.raises(MemoryError, match=r"test: one sample needs 101 bytes .*budget of 100"):
            batch_chunks(backend, "test", 7, 101)
    finally:
        xpnet.set_memory_budget(None)


def test_batch_chunks_give_every_block_thread_a_share(backend, two_threads):
    expected = [[slice(0, 3)], [slice(3, 7)]] if backend.block_threads() == 2 else [[slice(0, 7)]]
    assert batch_chunks(backend, "test", 7, 30) == expected
    assert batch_chunks(backend, "test", 1, 30) == [[slice(0, 1)]]  # fewer samples than threads


def test_batch_blocks_give_every_block_thread_a_block(backend, two_threads):
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
