"""NumPy on the CPU: the default backend.

Registered in ``xpnet/backends/__init__.py``; the interface it implements is listed in
:mod:`._base`. Its blocks run on ``xpnet.get_num_threads()`` threads (:mod:`._runtime`).
"""

from __future__ import annotations

import concurrent.futures
import functools
import os
import platform
import threading

import numpy
import threadpoolctl

from ._base import (
    CPU_CONV_COSTS,
    exact_products,
    host_free_memory,
    nothing_cached,
    plain_function,
    run_in_order,
)
from ._runtime import get_num_threads

name = "numpy"
host_reads_free = True  # arrays live on the host: value checks cost no sync
xp = numpy
ndarray = numpy.ndarray
asarray = numpy.asarray
free_memory = host_free_memory
block_bytes = 1 << 20  # a core's L2 cache: fastest for pooling, measured on 2 CPU threads
# no pool: a freed array goes back to the C allocator (see xpnet.keep_freed_host_memory)
empty_cache = nothing_cached
profiling = None  # xpnet.profile cannot count NumPy's own arrays: it reports kernel calls only
set_matmul_precision = exact_products  # NumPy's BLAS has no TF32: products stay float32
conv_costs = CPU_CONV_COSTS  # conv2d's measured thresholds rule (a launch costs nothing)
fuse = plain_function  # NumPy runs an elementwise chain call by call: nothing to fuse


def as_strided(x, shape, strides):
    # read-only: writing through overlapping windows would silently double-count
    return numpy.lib.stride_tricks.as_strided(x, shape, strides, writeable=False)


def scatter_add(target, indices, values):
    numpy.add.at(target, indices, values)


def to_host(x):
    return numpy.array(x, copy=True)


def synchronize():
    """NumPy runs eagerly: nothing to wait for."""


def default_rng(seed=None):
    return numpy.random.default_rng(seed)


def device_name():
    return f"cpu ({platform.processor() or platform.machine()})"


_pools: dict[int, concurrent.futures.ThreadPoolExecutor] = {}  # by thread count
_worker = threading.local()
if hasattr(os, "register_at_fork"):
    # a forked child (multiprocessing, data loaders) has none of the parent's pool threads:
    # waiting on them would hang, so the child starts its own pools
    os.register_at_fork(after_in_child=_pools.clear)


def _run_blocks(function, blocks, errors) -> None:
    _worker.busy = True  # a nested map_blocks runs in order instead of waiting on the pool
    with numpy.errstate(**errors):  # NumPy's error state is per thread: the caller's applies
        run_in_order(function, blocks)


def block_threads() -> int:
    """Blocks that :func:`map_blocks` runs at once: ``xpnet.get_num_threads()``, or 1 inside
    a block (nested calls run in order)."""
    return 1 if getattr(_worker, "busy", False) else get_num_threads()


@functools.cache
def _blas_controller():
    """threadpoolctl's controller of the loaded BLAS libraries, made once (~3 ms)."""
    return threadpoolctl.ThreadpoolController().select(user_api="blas")


def _single_threaded_blas():
    """A context in which BLAS (OpenBLAS, MKL, ...) uses one thread per call.

    Blocks that multiply run side by side on xpnet's threads; a multithreaded BLAS inside
    each would put two threads on every core. It also keeps BLAS's own workers idle: after
    a multithreaded call OpenBLAS's workers spin for milliseconds, which slowed the blocks
    that ran next on the same cores up to 2x (measured on 2 CPU threads).
    """
    return _blas_controller().limit(limits=1)


def map_blocks(function, blocks) -> None:
    """``function(block)`` for every block, on up to ``xpnet.get_num_threads()`` threads.

    NumPy releases the GIL inside its loops and BLAS calls, so work on disjoint blocks runs
    on all the cores (PyTorch's CPU kernels do the same with OpenMP), with BLAS limited to
    one thread meanwhile (see ``_single_threaded_blas``). Each thread takes one run of
    consecutive blocks: one task per thread costs ~50 us, a task per block ~20 % of the time
    on 1 MiB blocks. Exceptions propagate.
    """
    blocks = list(blocks)
    threads = min(block_threads(), len(blocks))
    if threads <= 1:
        run_in_order(function, blocks)
        return
    if threads not in _pools:
        _pools[threads] = concurrent.futures.ThreadPoolExecutor(threads, "xpnet-block")
    runs = [
        blocks[len(blocks) * t // threads : len(blocks) * (t + 1) // threads]
        for t in range(threads)
    ]
    errors = numpy.geterr()
    with _single_threaded_blas():
        tasks = [_pools[threads].submit(_run_blocks, function, run, errors) for run in runs]
        concurrent.futures.wait(tasks)  # all of them, before BLAS gets its threads back
    for task in tasks:
        task.result()


def ignore_float_errors():
    return numpy.errstate(divide="ignore", invalid="ignore", over="ignore")
