"""NumPy on the CPU: the default backend.

Registered in ``xpnet/backends/__init__.py``; the interface it implements is listed in
:mod:`._base`. Its blocks run on ``xpnet.get_num_threads()`` threads (:mod:`._runtime`).
"""

from __future__ import annotations

import concurrent.futures
import contextlib
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
    numpy_generator_state,
    plain_function,
    run_in_order,
    set_numpy_generator_state,
)
from ._runtime import get_num_threads

name = "numpy"
host_reads_free = True  # arrays live on the host: value checks cost no sync
xp = numpy
ndarray = numpy.ndarray
asarray = numpy.asarray
free_memory = host_free_memory
block_bytes = 1 << 20  # a core's L2 cache: fastest for pooling, measured on 2 CPU threads
# sums and products cut into 8 groups for every thread count (bits never depend on it): up
# to 8 threads share them evenly
batch_groups = 8
# no pool: a freed array goes back to the C allocator (see xpnet.keep_freed_host_memory)
empty_cache = nothing_cached
profiling = None  # xpnet.profile cannot count NumPy's own arrays: it reports kernel calls only
set_matmul_precision = exact_products  # NumPy's BLAS has no TF32: products stay float32
conv_costs = CPU_CONV_COSTS  # conv2d's measured thresholds rule (a launch costs nothing)
fuse = plain_function  # NumPy runs an elementwise chain call by call: nothing to fuse
generator_state = numpy_generator_state  # xpnet.get_rng_state: NumPy's own state
set_generator_state = set_numpy_generator_state


def as_strided(x, shape, strides, writeable=False):
    # read-only by default: writing through overlapping windows would silently double-count
    return numpy.lib.stride_tricks.as_strided(x, shape, strides, writeable=writeable)


def scatter_add(target, indices, values):
    numpy.add.at(target, indices, values)


def reduce_at(ufunc, target, positions, values):
    # one value after another in index order, as PyTorch's CPU scatter_reduce: its bits
    getattr(numpy, ufunc).at(target, positions, values)


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


# OpenBLAS's kernel sets with a "direct" float32 product for small sizes (AVX-512): no
# packing of the operands, which a long product with 64 columns spends much of its time on
_DIRECT_SGEMM_KERNELS = frozenset({"SkylakeX", "Cooperlake", "SapphireRapids"})
# where OpenBLAS 0.3.31 takes that direct product (on one BLAS thread): 16-row products with
# 64 columns ran at 470-490 GFLOP/s for K up to 960, and at 210-230 from K = 1024 (2**20
# multiply-adds) on, half one product's speed
_DIRECT_SGEMM_MULTIPLY_ADDS = 1 << 20
_PRODUCT_ROWS = 16


def product_rows(k: int, n: int, dtype) -> int:
    """Rows per BLAS call for a single-threaded float32 ``(m, k) @ (k, n)``: 16 where NumPy's
    OpenBLAS has the AVX-512 direct product and ``n`` is 64, else 0 (one product).

    Measured 2026-12-07 on 2 threads of a Zen 5 VM (AVX-512, OpenBLAS 0.3.31's SkylakeX
    kernels), each thread multiplying 16,384 to 49,152 rows: with ``n`` 64 and ``k`` from 15
    to 960, 16-row calls ran at 340-490 GFLOP/s against 180-350 for one product (from ``k``
    1024 on, OpenBLAS packs them again: 210-230); with ``n`` 16 to 256 other than 64 they
    were as often slower as faster, and with the Haswell kernels (AVX2, no direct product)
    0.55-0.95x. The kernels' names come from threadpoolctl, so the rule, and the bits,
    follow the kernels OpenBLAS runs, not the machine.
    """
    if numpy.dtype(dtype) != numpy.float32 or n != 64:
        return 0
    if _PRODUCT_ROWS * k * n >= _DIRECT_SGEMM_MULTIPLY_ADDS:
        return 0
    return _PRODUCT_ROWS if _numpy_blas_kernels() in _DIRECT_SGEMM_KERNELS else 0


# OpenBLAS's AVX-512 kernels also take float32 products of fewer than 10**6 multiply-adds,
# either operand transposed, without packing (measured: a block of 1,040,000 ran at 0.9x
# one product's speed, one of 995,000 at 1.4x); the longest inner block that paid, and the
# largest m * n for which blocks paid on every length measured
_SMALL_SGEMM_MULTIPLY_ADDS = 10**6
_PRODUCT_DEPTH = 1024
_MAX_DEPTH_OUTPUTS = 1152


def product_depth(m: int, n: int, dtype) -> int:
    """Inner length per BLAS call for a single-threaded float32 ``(m, k) @ (k, n)`` with a
    long ``k``, the blocks' products summed: up to 1024 (a multiple of 16 under 10**6
    multiply-adds) where NumPy's OpenBLAS has the AVX-512 small-product kernels and
    ``m * n`` is at most 1152, else 0 (one product).

    Measured 2026-12-07 on one thread of a Zen 5 VM (OpenBLAS 0.3.31's SkylakeX kernels),
    ``k`` from 8,192 to 65,536, both operands with ``k`` contiguous (a conv2d weight
    gradient): m = 9 with n up to 128 ran 3.0-4.2x faster, m = 18 to 27 with n up to 32
    1.6-2.7x, m = 36 to 48 with n = 16 1.1-1.6x; from m * n = 1536 on (m = 27 with n = 64,
    m = 96 or 48 with n = 16 or 32) 0.97-1.11x, and with more outputs the blocks, now
    shorter, ran slower (0.3-0.9x). Under the Haswell kernels 1024-long blocks ran at
    0.97-1.04x.
    """
    if numpy.dtype(dtype) != numpy.float32 or m * n > _MAX_DEPTH_OUTPUTS:
        return 0
    if _numpy_blas_kernels() not in _DIRECT_SGEMM_KERNELS:
        return 0
    depth = min(_PRODUCT_DEPTH, (_SMALL_SGEMM_MULTIPLY_ADDS - 1) // (m * n))
    return depth - depth % 16


@functools.cache
def _numpy_blas_kernels() -> str | None:
    """The kernel set (threadpoolctl's ``architecture``) of the OpenBLAS that NumPy itself
    loaded, or ``None``: another BLAS, or none found among NumPy's own files (not one that
    PyTorch or SciPy loaded, whose presence must not change NumPy's results)."""
    # numpy/ itself, or the numpy.libs/ or numpy/.dylibs/ that wheels put their OpenBLAS in
    numpy_files = os.path.join(os.path.dirname(os.path.dirname(numpy.__file__)), "numpy")
    for library in _blas_controller().lib_controllers:
        mine = os.path.abspath(library.filepath).startswith(os.path.abspath(numpy_files))
        if mine and library.internal_api == "openblas":
            return library.architecture
    return None


_blas_lock = threading.Lock()
_blas_users = 0  # map_blocks calls running now, on any thread
_blas_restore: list = []  # (library, its thread count) to restore when the last user leaves


@contextlib.contextmanager
def _single_threaded_blas():
    """A context in which BLAS (OpenBLAS, MKL, ...) uses one thread per call.

    Blocks that multiply run side by side on xpnet's threads; a multithreaded BLAS inside
    each would put two threads on every core. It also keeps BLAS's own workers idle: after
    a multithreaded call OpenBLAS's workers spin for milliseconds, which slowed the blocks
    that ran next on the same cores up to 2x (measured on 2 CPU threads). And a product's
    bits depend on BLAS's thread count (its blocking follows it): one thread always keeps
    them the same for every xpnet thread count, and for concurrent calls.

    BLAS's limit is process-wide, so the first of concurrent users sets it and the last
    restores what it found: calls on several threads at once leave it as they found it.
    """
    global _blas_users
    with _blas_lock:
        if _blas_users == 0:
            # threadpoolctl's own libraries, without its limit(): that costs 13 us, this 4
            libraries = _blas_controller().lib_controllers
            _blas_restore[:] = [(library, library.num_threads) for library in libraries]
            for library in libraries:
                _set_blas_threads(library, 1)
        _blas_users += 1
    try:
        yield
    finally:
        with _blas_lock:
            _blas_users -= 1
            if _blas_users == 0:
                for library, threads in _blas_restore:
                    _set_blas_threads(library, threads)


def _set_blas_threads(library, threads: int) -> None:
    """Set a BLAS library's process-wide thread count from any thread.

    threadpoolctl lets only one thread (the first to set it) change OpenBLAS's pthreads pool
    and silently ignores the others, so a kernel called from a user's thread would run BLAS
    multithreaded (other bits) and could leave it limited. Releasing control after each
    change lets whichever thread comes next set it; a user's ``threadpool_limits`` in
    progress on another thread keeps control, and is respected.
    """
    library.set_num_threads(threads)
    release = getattr(type(library), "clear_controlling_thread", None)
    if release is not None:
        release()  # only where this thread holds control


def map_blocks(function, blocks) -> None:
    """``function(block)`` for every block, on up to ``xpnet.get_num_threads()`` threads.

    NumPy releases the GIL inside its loops and BLAS calls, so work on disjoint blocks runs
    on all the cores (PyTorch's CPU kernels do the same with OpenMP), with BLAS limited to
    one thread meanwhile, also when the blocks run in order (see ``_single_threaded_blas``).
    Each thread takes one run of consecutive blocks: one task per thread costs ~50 us, a
    task per block ~20 % of the time on 1 MiB blocks. The calling thread runs the first run
    itself: waking a pool thread costs ~80 us on a VM (a no-op call on 2 threads took 169
    us with both runs in the pool, ~90 us now). Exceptions propagate.
    """
    blocks = list(blocks)
    threads = min(block_threads(), len(blocks))
    if threads <= 1:
        with _single_threaded_blas():
            run_in_order(function, blocks)
        return
    if threads not in _pools:
        _pools[threads] = concurrent.futures.ThreadPoolExecutor(threads - 1, "xpnet-block")
    runs = [
        blocks[len(blocks) * t // threads : len(blocks) * (t + 1) // threads]
        for t in range(threads)
    ]
    errors = numpy.geterr()
    with _single_threaded_blas():
        tasks = [_pools[threads].submit(_run_blocks, function, run, errors) for run in runs[1:]]
        try:
            _run_on_caller(function, runs[0])
        finally:
            concurrent.futures.wait(tasks)  # all of them, before BLAS gets its threads back
    for task in tasks:
        task.result()


def _run_on_caller(function, blocks) -> None:
    """The caller's share of :func:`map_blocks`, nested calls in order (as on the workers)."""
    busy = getattr(_worker, "busy", False)
    _worker.busy = True
    try:
        run_in_order(function, blocks)
    finally:
        _worker.busy = busy


def ignore_float_errors():
    return numpy.errstate(divide="ignore", invalid="ignore", over="ignore")
