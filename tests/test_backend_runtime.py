"""The runtime knobs beside the backends: block threads (``map_blocks``), host memory reuse.

Neighbours: test_backends.py (selection, dispatch, the interface), test_backend_registry.py.
"""

from __future__ import annotations

import multiprocessing
import os
import platform
import subprocess
import sys

import numpy as np
import pytest

import xpnet
from xpnet.backends import load_backend


@pytest.mark.parametrize("threads", [1, 2, 3])
def test_map_blocks_calls_every_block_once_and_nests(backend, threads, num_threads):
    num_threads(threads)
    seen = []

    def outer(block):
        inner = []
        backend.map_blocks(inner.append, range(3))  # nested: runs in order on this thread
        seen.append((block, sorted(inner)))

    backend.map_blocks(outer, range(7))
    assert sorted(seen) == [(block, [0, 1, 2]) for block in range(7)]


def test_map_blocks_keeps_the_callers_float_error_state(backend, num_threads):
    """NumPy's error state is per thread: blocks on threads follow the caller's (the kernels
    quiet inf - inf with ignore_float_errors; pytest turns a stray warning into an error)."""
    num_threads(2)
    x = backend.asarray(np.array([np.inf, 1.0, np.inf, 2.0]))
    results = [None] * 4

    def subtract_itself(block):
        results[block] = backend.to_host(x[block] - x[block])

    with backend.ignore_float_errors():
        backend.map_blocks(subtract_itself, range(4))
    assert np.isnan(results[0]) and results[1] == 0.0


def test_map_blocks_raises_the_blocks_error(backend, num_threads):
    num_threads(2)

    def fail_on_three(block):
        if block == 3:
            raise ValueError("block 3")

    with pytest.raises(ValueError, match="block 3"):
        backend.map_blocks(fail_on_three, range(5))


def test_map_blocks_runs_blas_single_threaded_on_threads(num_threads):
    """Blocks that multiply share the cores: BLAS gets one thread while blocks run on
    several, and its thread count is restored afterwards (numpy: the only threaded backend)."""
    from threadpoolctl import threadpool_info, threadpool_limits

    def blas_threads():  # NumPy's BLAS: the one xpnet's blocks call (SciPy's has its own)
        infos = [info for info in threadpool_info() if info["user_api"] == "blas"]
        return [info["num_threads"] for info in infos if "numpy" in info["filepath"]]

    num_threads(2)
    numpy_backend = load_backend("numpy")
    with threadpool_limits(limits=2, user_api="blas"):
        before = blas_threads()
        assert before, "threadpoolctl does not see NumPy's BLAS"
        inside = [None] * 4
        numpy_backend.map_blocks(lambda block: inside.__setitem__(block, blas_threads()), range(4))
        assert inside == [[1] * len(before)] * 4
        assert blas_threads() == before
        assert numpy_backend.block_threads() == 2


def test_set_num_threads(num_threads):
    num_threads(None)
    assert xpnet.get_num_threads() >= 1
    xpnet.set_num_threads(3)
    assert xpnet.get_num_threads() == 3
    for bad in (0, 1.5, True, "2"):
        with pytest.raises(ValueError, match=r"set_num_threads: threads must be a positive int"):
            xpnet.set_num_threads(bad)
    assert xpnet.get_num_threads() == 3


def _sum_in_blocks(queue):
    totals = [0] * 4
    load_backend("numpy").map_blocks(lambda b: totals.__setitem__(b, b + 1), range(4))
    queue.put(sum(totals))


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork on this platform")
def test_map_blocks_works_in_a_forked_child(num_threads):
    """A forked child (data loaders, multiprocessing) runs blocks on threads of its own."""
    num_threads(2)
    load_backend("numpy").map_blocks(lambda block: None, range(4))  # parent's pool
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    child = context.Process(target=_sum_in_blocks, args=(queue,))
    child.start()
    child.join(timeout=60)
    assert child.exitcode == 0 and queue.get(timeout=5) == 10


_REFILL_FAULTS = """
import resource, sys
import numpy
import xpnet

if sys.argv[1] == "keep":
    assert xpnet.keep_freed_host_memory()
    assert xpnet.backends.is_freed_host_memory_kept()
numpy.ones(2**23)  # 64 MiB, freed at once
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
numpy.ones(2**23)  # the same size again
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


@pytest.mark.skipif(
    not sys.platform.startswith("linux") or platform.libc_ver()[0] != "glibc",
    reason="mallopt is glibc's",
)
def test_keep_freed_host_memory_refills_without_page_faults():
    # minor page faults are an OS counter, not a timing: 64 MiB of fresh pages are 16384
    # faults, at least 32 with 2 MiB huge pages; reused memory none. In subprocesses: the
    # setting lasts for the whole process
    def refill_faults(mode):
        command = [sys.executable, "-c", _REFILL_FAULTS, mode]
        return int(subprocess.run(command, capture_output=True, check=True, text=True).stdout)

    assert refill_faults("default") >= 32
    assert refill_faults("keep") < 8


def test_keep_freed_host_memory_without_mallopt_changes_nothing(monkeypatch):
    from xpnet.backends import _host_memory

    monkeypatch.setattr(_host_memory, "_kept", False)
    monkeypatch.setattr(_host_memory.ctypes, "CDLL", lambda name: object())  # no mallopt
    assert _host_memory.keep_freed_host_memory() is False
    assert not _host_memory.is_freed_host_memory_kept()


def test_a_processes_first_kernel_call_gives_no_float_warning():
    # the first kernel call imports NumPy's backend: inf - inf inside it must still be quiet
    code = (
        "import numpy as np, xpnet.kernels as K\n"
        "print(K.avg_pool1d(np.array([[[np.inf, -np.inf]]]), 2)[0, 0, 0])"
    )
    command = [sys.executable, "-W", "error", "-c", code]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "nan"
