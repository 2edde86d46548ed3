"""CuPy on a CUDA GPU.

Importing this module fails with an ImportError that names the cause and the fix when CuPy is
missing or sees no GPU; xpnet never falls back to NumPy silently.
"""

from __future__ import annotations

import contextlib
import functools

import numpy

from ._base import GPU_BLOCK_BYTES, GPU_CONV_COSTS, one_block_at_a_time, run_in_order
from ._deferred import host_read
from ._precision import CUBLAS_MATH_MODES, cublas_switches, get_float32_matmul_precision

try:
    import cupy

    cupy.cuda.runtime.getDeviceCount()  # raises without a driver or a visible device
except Exception as error:  # ImportError, CUDARuntimeError, ...
    msg = (
        f"cupy backend is not available: {type(error).__name__}: {error}. "
        "Install CuPy for your CUDA version, on a machine with an NVIDIA GPU and driver: in a "
        'clone of xpnet, pip install -e ".[cuda13]" (CUDA 13) or -e ".[cuda12]" (CUDA 12)'
    )
    raise ImportError(msg) from error
# CuPy's compute type for float32 products has no public setter (only CUPY_TF32 at import)
from cupy._core import _routines_linalg as cupy_linalg  # noqa: E402

name = "cupy"
xp = cupy
ndarray = cupy.ndarray
block_bytes = GPU_BLOCK_BYTES  # no blocks: each would be one more kernel launch
# xpnet.profile cannot count here (CuPy's arrays would need a wrapper): count on strict
profiling = None
map_blocks = run_in_order  # GPU kernels already fill the device
block_threads = one_block_at_a_time


def as_strided(x, shape, strides, writeable=False):
    # GPU: CuPy views cannot be made read-only; kernels never write through windows, only
    # through views whose elements do not overlap (writeable=True: a diagonal)
    return cupy.lib.stride_tricks.as_strided(x, shape, strides)


def scatter_add(target, indices, values):
    # GPU: atomic adds, so float sums are not bit-reproducible across runs. cupy.add.at, not
    # cupyx.scatter_add, which warns (DeprecationWarning) in CuPy 14
    cupy.add.at(target, indices, values)


@functools.cache
def fuse(function):
    # GPU: one kernel for the whole elementwise chain (compiled once per function and dtypes)
    return cupy.fuse(function)


def asarray(obj, dtype=None):
    return cupy.asarray(obj, dtype=dtype)


def to_host(x):
    host_read("cupy: backend.to_host(x)")  # the pending value checks run first
    return cupy.asnumpy(x)


def pinned_host(array):
    # page-locked memory: the host-to-device copy runs by DMA (DataLoader(pin_memory=True))
    memory = cupy.cuda.alloc_pinned_memory(array.nbytes)
    pinned = numpy.frombuffer(memory, array.dtype, array.size).reshape(array.shape)
    pinned[...] = array
    return pinned


def synchronize():
    # kernels run asynchronously: timers must wait for them
    cupy.cuda.Device().synchronize()


def default_rng(seed=None):
    return cupy.random.default_rng(seed)


def generator_state(rng) -> bytes:
    # GPU: CuPy 14 keeps a generator's state as one device array of cuRAND states, one per
    # thread that draws (bit_generator._state, a few MB): the bytes are the whole state
    return cupy.asnumpy(rng.bit_generator._state).tobytes()


def set_generator_state(rng, state: bytes) -> None:
    states = rng.bit_generator._state
    if len(state) != states.nbytes:  # another device, with another thread count
        msg = f"cupy: a generator state of {states.nbytes} bytes, got {len(state)} bytes"
        raise ValueError(msg)
    states[...] = cupy.asarray(numpy.frombuffer(state, dtype=states.dtype))


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


# GPU: a launch costs as much as ~200,000 multiply-adds: conv2d takes the fewest launches
conv_costs = GPU_CONV_COSTS


def set_matmul_precision(precision):
    # GPU: TF32 for every float32 cuBLAS product at "high", never at "highest" (see
    # xpnet.backends._precision): CuPy's compute type for its 2-D products, and the math
    # mode of this thread's cuBLAS handle for the batched ones, which ignore the compute type
    switches = cublas_switches(precision, cupy.cuda.Device().compute_capability)
    cupy_linalg.set_compute_type(numpy.float32, getattr(cupy_linalg, switches.compute_type))
    cublas = cupy.cuda.cublas  # loads libcublas, which the first product needs anyway
    mode = CUBLAS_MATH_MODES[switches.math_mode]
    cublas.setMathMode(cupy.cuda.device.get_cublas_handle(), mode)


# a setting made before CuPy was loaded holds from the start. At "highest" only the compute
# type needs setting (CUPY_TF32=1 would give 2-D products TF32), without touching the device:
# a new cuBLAS handle starts in the default math mode
if get_float32_matmul_precision() == "highest":
    cupy_linalg.set_compute_type(numpy.float32, cupy_linalg.COMPUTE_TYPE_DEFAULT)
else:
    set_matmul_precision(get_float32_matmul_precision())
