"""CuPy on a CUDA GPU.

Importing this module fails with an ImportError that names the cause and the fix when CuPy is
missing or sees no GPU; xpnet never falls back to NumPy silently.
"""

from __future__ import annotations

import contextlib

from ._base import GPU_BLOCK_BYTES, one_block_at_a_time, run_in_order

try:
    import cupy
    import cupyx

    cupy.cuda.runtime.getDeviceCount()  # raises without a driver or a visible device
except Exception as error:  # ImportError, CUDARuntimeError, ...
    msg = (
        f"cupy backend is not available: {type(error).__name__}: {error}. "
        "Install CuPy for your CUDA version, on a machine with an NVIDIA GPU and driver: in a "
        'clone of xpnet, pip install -e ".[cuda13]" (CUDA 13) or -e ".[cuda12]" (CUDA 12)'
    )
    raise ImportError(msg) from error

name = "cupy"
xp = cupy
ndarray = cupy.ndarray
block_bytes = GPU_BLOCK_BYTES  # no blocks: each would be one more kernel launch
# xpnet.profile cannot count here (CuPy's arrays would need a wrapper): count on strict
profiling = None
map_blocks = run_in_order  # GPU kernels already fill the device
block_threads = one_block_at_a_time


def as_strided(x, shape, strides):
    # GPU: CuPy views cannot be made read-only; kernels never write through windows
    return cupy.lib.stride_tricks.as_strided(x, shape, strides)


def scatter_add(target, indices, values):
    # GPU: atomic adds, so float sums are not bit-reproducible across runs
    cupyx.scatter_add(target, indices, values)


def asarray(obj, dtype=None):
    return cupy.asarray(obj, dtype=dtype)


def to_host(x):
    return cupy.asnumpy(x)


def synchronize():
    # kernels run asynchronously: timers must wait for them
    cupy.cuda.Device().synchronize()


def default_rng(seed=None):
    return cupy.random.default_rng(seed)


def device_name():
    props = cupy.cuda.runtime.getDeviceProperties(cupy.cuda.Device().id)
    return props["name"].decode()


def free_memory():
    free, _total = cupy.cuda.runtime.memGetInfo()
    # blocks CuPy's pool holds but does not use are free to us too
    return free + cupy.get_default_memory_pool().free_bytes()


def empty_cache():
    # GPU: memory freed by arrays stays in CuPy's pools for reuse until released here
    cupy.get_default_memory_pool().free_all_blocks()
    cupy.get_default_pinned_memory_pool().free_all_blocks()


def ignore_float_errors():
    # GPU: CuPy kernels never warn on IEEE special values
    return contextlib.nullcontext()
