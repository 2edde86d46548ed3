"""The backend interface: everything that differs between NumPy, CuPy and strict.

A backend is a module (a file in this folder, or a package such as ``strict/``) that defines
the names below, registered with one ``register_backend`` line in ``xpnet/backends/__init__.py``.
Kernels get one with :func:`xpnet.backends.backend_of` and never ask which one they hold.

=================  ==========================================================================
name               what it is
=================  ==========================================================================
``name``           the registry key: ``"numpy"``, ``"strict"``, ``"cupy"``
``xp``             the array namespace (NumPy-compatible functions and dtypes)
``ndarray``        the array type this backend owns (used to dispatch on inputs)
``as_strided``     ``as_strided(x, shape, strides, writeable=False)``: a strided view of
                   ``x``, read-only unless ``writeable`` (only for views whose elements do
                   not overlap, such as a diagonal; CuPy's views are always writable)
``scatter_add``    ``scatter_add(target, indices, values)``: unbuffered ``target[indices] +=
                   values``. GPU: atomic, so float results are not bit-reproducible (kernels
                   use slice-adds instead); CuPy's atomics take int32, not int64, counts.
``asarray``        ``asarray(obj, dtype=None)``: host data (NumPy, lists) onto the device
``to_host``        ``to_host(x)``: a NumPy array copy of a backend array (an explicit sync)
``synchronize``    ``synchronize()``: wait for queued device work (timers must call it)
``default_rng``    ``default_rng(seed)``: a generator whose ``random``, ``standard_normal``,
                   ``uniform``, ``integers`` return backend arrays (CuPy's generator has no
                   ``permutation``: use ``xp.argsort(rng.random(n))``)
``device_name``    ``device_name()``: a human-readable device, e.g. ``"cpu"``, ``"NVIDIA H100"``
``free_memory``    ``free_memory()``: bytes the backend can still allocate, roughly
``ignore_float_errors`` ``ignore_float_errors()``: a context in which overflow, 0/0 and
                   inf - inf give IEEE results without warnings (NumPy warns; CuPy never does)
``block_bytes``    bytes per operand of the blocks that chains of elementwise calls are cut
                   into: on a CPU a block that stays in cache is ~1.7x faster than whole
                   arrays; on a GPU every block is a kernel launch, so blocks are unbounded
``map_blocks``     ``map_blocks(function, blocks)``: call ``function(block)`` for every block
                   (each writes only its own block): on threads on the CPU, where NumPy runs
                   each call on one core; in order on the GPU, whose kernels fill the device.
                   On threads, BLAS runs single-threaded inside the blocks: blocks that
                   multiply (convolution chunks) then share the cores instead of fighting
                   over them, and no idle BLAS workers spin while the blocks run
``block_threads``  ``block_threads()``: how many blocks ``map_blocks`` runs at once (1 where
                   it runs them in order); kernels cut a batch into at least this many chunks
``empty_cache``    ``empty_cache()``: hand memory the backend keeps for reuse but no array
                   uses back to the system (CuPy's device and pinned pools; nothing on NumPy,
                   whose freed arrays go straight back to the C allocator).
                   :func:`xpnet.empty_cache` calls it after dropping xpnet's own caches
``profiling``      optional: ``profiling()``, a context in which the backend runs as its GPU
                   twin would (strict: CuPy's single block, :data:`GPU_BLOCK_BYTES`) while
                   it reports its device calls to :func:`xpnet.profile`; ``None`` or absent
                   where the backend cannot count them (numpy, cupy: counting is strict's)
``set_matmul_precision`` optional: ``set_matmul_precision(precision)``, make the backend's
                   libraries follow :func:`xpnet.set_float32_matmul_precision` (called on
                   every loaded backend when it changes, and by a backend as it loads):
                   CuPy's float32 cuBLAS products use TF32 at ``"high"``/``"medium"``, never
                   at ``"highest"``; absent or :func:`exact_products` (numpy, strict): the
                   products are plain float32 at every precision
``conv_costs``     optional: a :class:`ConvCosts`, the constants of conv2d's cost model
                   (:mod:`xpnet.kernels._conv_cost`): what a launch, a multiply-add and a
                   byte cost here. Absent: :data:`CPU_CONV_COSTS`, launches free, so that the
                   thresholds measured on the CPU rule; the GPU's make conv2d take the
                   formula with the fewest launches (strict uses them inside ``profiling()``)
``host_reads_free`` optional: ``True`` where reading an array on the host costs no device
                   sync (numpy), so value checks (labels, pooling indices) run at once;
                   absent or ``False`` (strict, cupy) defers them to the next host read
                   (:mod:`xpnet.backends._deferred`)
``fuse``           optional: ``fuse(function)``, ``function`` (elementwise xp arithmetic on
                   arrays and Python scalars, returning an array or a tuple of arrays, no
                   reductions) as one device call: ``cupy.fuse`` (one kernel) on CuPy, the
                   plain function on NumPy, one counted launch on strict. Kernels call
                   :func:`fuse_of` (absent: the plain function)
``batch_groups``   optional: how many groups a batch's sums and a product's rows are cut into,
                   whatever the thread count, so that results never depend on it: 8 on the
                   CPU (``map_blocks`` gives each thread whole groups); absent: 1, where
                   ``map_blocks`` runs in order (strict, cupy) and each group would be more
                   launches. Kernels call :func:`batch_groups_of`
``reduce_at``      optional: ``reduce_at(ufunc, target, positions, values)``, combine
                   ``values`` into ``target`` at ``positions`` (flat, int64) by the ufunc
                   named (``"add"``, ``"multiply"``, ``"maximum"``, ``"minimum"``), one value
                   after another in their order: NumPy's ``ufunc.at``, PyTorch's CPU order, so
                   its bits (numpy). Absent (cupy, strict: CuPy's atomics take some ufuncs and
                   dtypes only, in no fixed order): ``scatter_reduce`` sorts and scans
                   (:mod:`xpnet._segment_reduce`), which works everywhere, in a fixed order
``pinned_host``    optional: ``pinned_host(array)``, a copy of NumPy ``array`` in page-locked
                   host memory, from which the next copy to the device runs by DMA (cupy);
                   :class:`xpnet.data.DataLoader` calls it for ``pin_memory=True``. Absent
                   (numpy, strict): arrays already live on the host, pinning is a no-op
``product_rows``   optional: ``product_rows(k, n, dtype)``, the rows of ``a`` per BLAS call at
                   which a single-threaded ``a (m, k) @ b (k, n)`` runs fastest here, as one
                   batched call over row blocks, or 0 for one product of all the rows.
                   numpy: 16 where OpenBLAS's AVX-512 kernels take small float32 products
                   without packing them and ``n`` is 64 (:func:`product_rows_of`; absent: 0)
``product_depth`` optional: ``product_depth(m, n, dtype)``, the inner length per BLAS call at
                   which a single-threaded ``a (m, k) @ b (k, n)`` with a long ``k`` runs
                   fastest here, as one batched call over inner blocks whose products are
                   summed in order, or 0 for one product. numpy: up to 1024 where
                   OpenBLAS's AVX-512 kernels take small float32 products unpacked and
                   ``m * n`` is small (:func:`product_depth_of`; absent: 0)
``generator_state`` optional: ``generator_state(rng)``, the state of a ``default_rng``
                   generator as bytes, and ``set_generator_state(rng, state)``, which puts it
                   back (:func:`xpnet.get_rng_state` saves the dropout generators with them):
                   NumPy's ``bit_generator.state`` (numpy, strict: :func:`numpy_generator_state`);
                   CuPy's cuRAND states, copied from the device. Absent: that backend's
                   generator starts again from its seed after :func:`xpnet.set_rng_state`
=================  ==========================================================================
"""

from __future__ import annotations

import functools
import json
import math
import time
from typing import NamedTuple

REQUIRED_NAMES = (
    "name",
    "xp",
    "ndarray",
    "as_strided",
    "scatter_add",
    "asarray",
    "to_host",
    "synchronize",
    "default_rng",
    "device_name",
    "free_memory",
    "ignore_float_errors",
    "block_bytes",
    "map_blocks",
    "block_threads",
    "empty_cache",
)
# block_bytes on a GPU: no blocks, since each block of an elementwise chain is one more launch
GPU_BLOCK_BYTES = 1 << 62


# how long a read of the host's free memory stands: /proc/meminfo costs ~25 us a read, more
# than many kernel calls spend on their work, and a budget need not follow faster
FREE_MEMORY_REFRESH_S = 0.5
_free_memory_read = [-math.inf, 0]  # [monotonic time of the read, bytes]


def host_free_memory() -> int:
    """Bytes of host memory available (``MemAvailable``), for CPU backends: read again at
    most every ``FREE_MEMORY_REFRESH_S`` seconds."""
    now = time.monotonic()
    read_at, free = _free_memory_read
    if now - read_at < FREE_MEMORY_REFRESH_S:
        return free
    free = _read_host_free_memory()
    _free_memory_read[:] = [now, free]
    return free


def _read_host_free_memory() -> int:
    try:
        with open("/proc/meminfo") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    import os

    # not Linux: the physical size is the best cheap guess
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def run_in_order(function, blocks) -> None:
    """``map_blocks`` without threads: ``function(block)`` for each block, in order."""
    for block in blocks:
        function(block)


def nothing_cached() -> None:
    """``empty_cache`` of the backends that keep no memory pool: nothing to release."""


def one_block_at_a_time() -> int:
    """``block_threads`` of the backends whose ``map_blocks`` is :func:`run_in_order`."""
    return 1


def exact_products(precision: str) -> None:
    """``set_matmul_precision`` of the backends whose products are always exact float32
    (NumPy's BLAS has no TF32): nothing to switch."""


class ConvCosts(NamedTuple):
    """The constants of conv2d's cost model (:mod:`xpnet.kernels._conv_cost`), in seconds.

    ``launch``: one device call (a kernel launch and CuPy's Python around it);
    ``multiply_add``: one float32 multiply-add in a large product; ``byte``: one byte read or
    written by a copy or an elementwise call. Only their ratios matter.
    """

    launch: float
    multiply_add: float
    byte: float


# CPU: a NumPy call costs microseconds, but conv2d's thresholds were measured there with
# every cost in them; a zero launch cost leaves them the only rule (the model adds nothing)
CPU_CONV_COSTS = ConvCosts(launch=0.0, multiply_add=1e-11, byte=1e-10)
# GPU (H100/H200; estimated first, then checked on an H200: 12-21 us of host time per CuPy
# call, FP32 products at 48-50 TFLOP/s, copies at 4.2 TB/s): a launch is worth ~200,000
# multiply-adds. With them conv2d took the fastest formula on all nine benchmark shapes
GPU_CONV_COSTS = ConvCosts(launch=8e-6, multiply_add=4e-14, byte=3e-13)


def numpy_generator_state(generator) -> bytes:
    """``generator_state`` of a ``numpy.random.Generator``: its ``bit_generator.state`` (a dict
    of ints and names) as JSON, which :func:`set_numpy_generator_state` reads back exactly."""
    return json.dumps(generator.bit_generator.state).encode()


def set_numpy_generator_state(generator, state: bytes) -> None:
    """``set_generator_state`` of a ``numpy.random.Generator``: NumPy checks the values."""
    generator.bit_generator.state = json.loads(state)


def missing_names(module) -> list[str]:
    """The interface names a backend module lacks (the test suite checks this is empty)."""
    return [name for name in REQUIRED_NAMES if not hasattr(module, name)]


def plain_function(function):
    """``fuse`` of the backends that run an elementwise chain call by call (NumPy): the
    function itself."""
    return function


def fuse_of(backend):
    """The ``fuse`` of ``backend``, else :func:`plain_function`."""
    return getattr(backend, "fuse", plain_function)


@functools.cache
def fused(backend, function):
    """``function`` as one device call on ``backend`` (:func:`fuse_of`), made once per pair:
    CuPy compiles a kernel per wrapper, so the wrapper is kept.

    Besides returning arrays, ``function`` may write into its array arguments (augmented
    assignment, ``out=``, ``a[...] = v``), which ``cupy.fuse`` compiles into the same kernel.
    """
    return fuse_of(backend)(function)


def runs_unblocked(backend) -> bool:
    """Whether ``backend`` runs whole arrays as one block (a GPU, or strict counting as
    CuPy): there each block, each chunk and each extra call is one more kernel launch."""
    return backend.block_bytes >= GPU_BLOCK_BYTES


def reduce_at_of(backend):
    """The ``reduce_at`` of ``backend``, else ``None`` (then sort and scan)."""
    return getattr(backend, "reduce_at", None)


def batch_groups_of(backend) -> int:
    """The ``batch_groups`` of ``backend``, else 1 (one group: one call per product)."""
    return getattr(backend, "batch_groups", 1)


def conv_costs_of(backend) -> ConvCosts:
    """The :class:`ConvCosts` of ``backend``: its ``conv_costs``, else the CPU's."""
    return getattr(backend, "conv_costs", CPU_CONV_COSTS)


def product_rows_of(backend, k: int, n: int, dtype) -> int:
    """The ``product_rows`` of ``backend`` for an (m, ``k``) @ (``k``, ``n``) product of
    ``dtype``, else 0 (one product of all the rows)."""
    product_rows = getattr(backend, "product_rows", None)
    return 0 if product_rows is None else product_rows(k, n, dtype)


def product_depth_of(backend, m: int, n: int, dtype) -> int:
    """The ``product_depth`` of ``backend`` for an (``m``, k) @ (k, ``n``) product of
    ``dtype``, else 0 (one product over the whole inner axis)."""
    product_depth = getattr(backend, "product_depth", None)
    return 0 if product_depth is None else product_depth(m, n, dtype)
