"""How kernels cut their work: batch blocks, thread groups, memory chunks, and matrix
products by rows (their BLAS-sized blocks: :mod:`._product_blocks`).

Elementwise chains run block by block (:func:`batch_blocks`, :func:`elementwise`) so that a
block stays in cache on a CPU. Kernels whose temporaries grow with the batch take it in
:func:`batch_chunks` that fit :func:`xpnet.memory_budget`, and reuse large buffers through
:mod:`._workspaces`. Whole-batch arrays too large for the backend are refused by
:func:`check_fits` before anything is allocated or read.

On the CPU, ``map_blocks`` runs BLAS single-threaded inside its blocks: a product cut into
row blocks uses every core, and BLAS's own workers, which spin for milliseconds after each
multithreaded call, never wake to compete with the elementwise blocks that follow. On
backends that run blocks in order (strict, CuPy) each product is one block.

Results never depend on the thread count, nor on the memory budget where it holds one chunk
of ``UNIT_BYTES`` (from 8 MiB on the CPU, 256 MiB on a GPU):
products are cut into row blocks and batches into groups by the problem's sizes and the
backend's ``batch_groups`` alone (never by threads), groups into chunks of at most
``UNIT_BYTES`` of temporaries; every product runs single-threaded at a shape so fixed, and
sums over a batch are added chunk by chunk within a group, then pairwise over the groups.
Threads only choose who runs which group; a budget that holds fewer chunks than there are
threads runs fewer groups at once (:func:`map_groups`), with the same chunks. A budget smaller
than ``UNIT_BYTES`` cuts chunks smaller, which changes the bits of sums (within float
rounding).
"""

from __future__ import annotations

import itertools
import math

from ..backends import memory_budget
from ..backends._base import batch_groups_of, runs_unblocked

# Products smaller than this many multiply-adds per block are not split (OpenBLAS itself
# runs products below 4 * 65536 on one thread).
_MIN_BLOCK_MULTIPLY_ADDS = 1 << 18
# Work below this many multiply-adds (and, for batch chunks, bytes of temporaries) runs its
# blocks in order on the calling thread: handing blocks to a pool thread cost 0.13-0.17 ms a
# call on 2 CPU threads of a VM, about what a single-threaded product of 4M multiply-adds,
# or a strided copy of 256 KiB, takes, so threads gain only beyond it
_MIN_THREADED_MULTIPLY_ADDS = 1 << 22
_MIN_THREADED_COPY_BYTES = 256 << 10


def even_slices(count: int, parts: int) -> list[slice]:
    """``count`` items in ``parts`` consecutive slices whose lengths differ by at most one
    (empty ones left out).

    Example:
        >>> even_slices(7, 3)
        [slice(0, 2, None), slice(2, 4, None), slice(4, 7, None)]
    """
    bounds = [count * part // parts for part in range(parts + 1)]
    return [slice(start, stop) for start, stop in itertools.pairwise(bounds) if stop > start]


def row_blocks(backend, rows: int, multiply_adds_per_row: int) -> list[slice]:
    """Slices of ``rows``: a power of two up to ``batch_groups`` of them (8 on the CPU, 1 on a
    GPU), fewer where a block would be too small to pay (one, for less than two blocks'
    work): never more or fewer for another thread count, since a row's bits depend on the
    shape of the product it is computed in (see :func:`_group_count` for the powers of two)."""
    worth = rows * multiply_adds_per_row // _MIN_BLOCK_MULTIPLY_ADDS
    return even_slices(rows, _group_count(backend, worth) if worth > 1 else 1)


def too_little_for_threads(multiply_adds: int, copy_bytes: int = 0) -> bool:
    """Whether work of ``multiply_adds`` (and ``copy_bytes`` of temporaries to write) is
    done sooner on the calling thread than handed to others (``_MIN_THREADED_...``)."""
    return multiply_adds < _MIN_THREADED_MULTIPLY_ADDS and copy_bytes < _MIN_THREADED_COPY_BYTES


def map_work(backend, function, blocks, in_order: bool = False) -> None:
    """``backend.map_blocks(function, blocks)``, or ``in_order`` (:func:`too_little_for_
    threads`) the blocks in order as one task, which runs on the calling thread with
    single-threaded BLAS as every task does: the same blocks, so the same bits, without a
    thread's hand-off."""
    blocks = list(blocks)
    if in_order:
        backend.map_blocks(lambda run: [function(block) for block in run], [blocks])
    else:
        backend.map_blocks(function, blocks)


def matmul_rows(backend, a, b):
    """``a @ b`` for ``a`` (M, K) and ``b`` (K, P): a new (M, P) array, by row blocks."""
    xp = backend.xp
    output = xp.empty((a.shape[0], b.shape[1]), dtype=xp.result_type(a, b))

    def multiply(block):
        xp.matmul(a[block], b, out=output[block])

    per_row = a.shape[1] * b.shape[1]
    in_order = too_little_for_threads(a.shape[0] * per_row)
    map_work(backend, multiply, row_blocks(backend, a.shape[0], per_row), in_order)
    return output


def group_sums(backend, sum_block, groups, shapes, dtype, first_writes=False):
    """Sums over a batch cut into ``groups`` (lists of blocks, one list per thread).

    ``sum_block(block, *totals)`` adds one block's share into ``totals``, arrays of
    ``shapes``; each group has totals of its own, added pairwise in group order at the end
    ((g0 + g1) + (g2 + g3) for four). With
    ``first_writes``, it is called as ``sum_block(block, *totals, first=...)``, and the first
    block of a group may write its totals (e.g. a product with ``out=``: no temporary) instead
    of adding. Returns the list of sums; the other groups' totals are freed on return.
    """
    xp = backend.xp
    # one set of totals per group (at least one: an empty batch sums to zeros)
    totals = [[xp.zeros(shape, dtype=dtype) for shape in shapes] for _ in groups or [()]]

    def sum_group(index):
        for position, block in enumerate(groups[index]):
            if first_writes:
                sum_block(block, *totals[index], first=position == 0)
            else:
                sum_block(block, *totals[index])

    map_groups(backend, sum_group, groups)
    # pairwise, in place, in group order: with a power-of-two count of equal groups, the sum
    # of each half is what one of two processes sums over its half of the batch
    while len(totals) > 1:
        for left, right in zip(totals[::2], totals[1::2], strict=False):  # odd: last waits
            for total, other in zip(left, right, strict=True):
                total += other
        totals = totals[::2]
    return totals[0]


class Groups(list):
    """:func:`batch_chunks`' groups (each a list of chunk slices), ``at_once``: how many of
    them the memory budget lets run at the same time, and ``in_order``: whether they hold
    too little work for threads (:func:`too_little_for_threads`)."""

    def __init__(self, groups, at_once: int, in_order: bool = False):
        super().__init__(groups)
        self.at_once, self.in_order = at_once, in_order


def map_groups(backend, run_group, groups) -> None:
    """``run_group(index)`` for the index of every group, through ``backend.map_blocks`` but
    on at most ``groups.at_once`` threads at a time (:class:`Groups`; any other list: all),
    or in order on the calling thread where ``groups.in_order`` (:func:`map_work`).

    Fewer threads, not smaller chunks, keep a small budget: the chunks, and so the bits of
    every sum, stay those of any larger budget.
    """
    at_once = getattr(groups, "at_once", len(groups))
    if at_once >= len(groups):
        map_work(backend, run_group, range(len(groups)), getattr(groups, "in_order", False))
        return
    runs = even_slices(len(groups), at_once)  # consecutive groups, one run per thread
    backend.map_blocks(lambda run: [run_group(index) for index in range(len(groups))[run]], runs)


def compute_dtype(xp, dtype):
    """The dtype to accumulate in: float16 computes in float32 and rounds once at the end."""
    return xp.float32 if dtype == xp.float16 else dtype


# the most temporaries of a chunk of a batch (at least one sample): on the CPU (a budget of
# this holds every chunk whole, so results are the same for any budget from 8 MiB), and on a
# GPU, where each chunk is more launches
UNIT_BYTES = 8 << 20
GPU_UNIT_BYTES = 256 << 20
# the least temporaries, or products, worth a group of their own (see batch_chunks): a
# chunk costs ~0.1 ms of Python, the time of ~8M multiply-adds on a core
MIN_GROUP_BYTES = 2 << 20
MIN_GROUP_MULTIPLY_ADDS = 8 << 20

# an operand of this many bytes is cut into a block per thread at least: worth threads for
# pooling, whose work per byte is high (measured when a task was thought to cost ~50 us)
_MIN_SPLIT_BYTES = 1 << 18
# ... but a chain of cheap elementwise passes (map_batch) only from this many: handing blocks to
# another thread costs 0.1-0.4 ms on a VM (futex wakes and GIL handoffs; a no-op map_blocks
# took 140-180 us on 2 threads, 11 on 1). On 2 CPU threads (2026-12-04, in-process A/B,
# medians of 40) one thread ran batch norm forward and backward and relu forward and
# backward faster at 1, 2 and 4 MiB (1 MiB: batch norm 0.61 / 0.98 ms against 0.95 / 1.71),
# and at 6 MiB about as fast, in one case slower
_MIN_THREADED_BYTES = 5 << 20


def batch_blocks(backend, shape, dtype) -> list[slice]:
    """Slices of the first axis of ``shape``, each about ``backend.block_bytes`` per operand
    (at least one sample): a chain of elementwise calls on one block stays in cache on a CPU.
    From ``_MIN_SPLIT_BYTES`` on, at least one block per block thread, so that an array
    smaller than a block still runs on all the cores. The blocks follow the thread count:
    fine for elementwise work, while a sum must not add per-block partial sums (see
    :func:`batch_chunks` for sums).

    Example:
        >>> import xpnet
        >>> from xpnet.backends import load_backend
        >>> xpnet.set_num_threads(2)  # the blocks follow the thread count
        >>> batch_blocks(load_backend("numpy"), (10, 64, 1024), "float32")[:2]
        [slice(0, 4, None), slice(4, 8, None)]
        >>> xpnet.set_num_threads(None)
    """
    sample = math.prod(shape[1:]) * backend.xp.dtype(dtype).itemsize
    size = max(1, backend.block_bytes // max(1, sample))
    if shape[0] * sample >= _MIN_SPLIT_BYTES:
        size = min(size, -(-shape[0] // backend.block_threads()))
    return [slice(start, min(start + size, shape[0])) for start in range(0, shape[0], size)]


def map_batch(backend, function, shape, dtype) -> None:
    """``function(block)`` for each of :func:`batch_blocks`' blocks of ``shape``, a few cheap
    passes each: on the block threads (``backend.map_blocks``) from ``_MIN_THREADED_BYTES`` of
    an operand, else in order on the calling thread, where a thread would cost more than it
    saves. The blocks, and so the results, are the same either way. ``function`` makes no
    matrix products: in order, it runs without ``map_blocks``' BLAS thread limit, whose two
    changes cost ~9 us a call."""
    blocks = batch_blocks(backend, shape, dtype)
    operand_bytes = math.prod(shape) * backend.xp.dtype(dtype).itemsize
    if len(blocks) <= 1 or operand_bytes < _MIN_THREADED_BYTES:
        for block in blocks:
            function(block)
        return
    backend.map_blocks(function, blocks)


def zero_where(xp, condition, values, out=None):
    """``where(condition, 0, values)``, exact for NaN, inf and -0.0 too, as a bitwise AND.

    NumPy's ``where`` is ~9x slower on random masks (ReLU, max-pool gradients). ``condition``,
    a bool array the caller made for this call, is overwritten (it becomes the bit mask).

    Example:
        >>> zero_where(xp, xp.asarray([False, True, False]), xp.asarray([-0.0, xp.nan, 2.0]))
        array([-0.,  0.,  2.])
    """
    bits = xp.dtype(f"int{8 * values.dtype.itemsize}")
    mask = xp.asarray(condition).view(xp.int8)  # asarray: a 0-d comparison is a scalar
    xp.subtract(mask, 1, out=mask)  # True -> 0, False -> -1 (all bits set)
    result = xp.bitwise_and(values.view(bits), mask, out=None if out is None else out.view(bits))
    # asarray: NumPy's & of 0-d arrays returns a scalar
    return xp.asarray(result).view(values.dtype)


def elementwise(backend, function, dtype, *arrays):
    """``function(*arrays, out=output)`` (elementwise, result of ``dtype``), block by block on
    all cores.

    The arrays (one shape) are flattened and cut into :func:`batch_blocks`; NumPy runs each
    call on one core, ``backend.map_blocks`` spreads the blocks over the threads. ``function``
    writes into ``out``, or returns a new array when ``out`` is ``None``: on a GPU, where
    the whole array is one block and one fused call is one launch.

    Example:
        >>> from xpnet.backends import load_backend
        >>> elementwise(load_backend("numpy"), xp.add, "float64", xp.ones((2, 2)), xp.ones((2, 2)))
        array([[2., 2.],
               [2., 2.]])
    """
    size = math.prod(arrays[0].shape)
    if runs_unblocked(backend):  # one block: no copy into an output array
        return backend.xp.asarray(function(*arrays, out=None)).astype(dtype, copy=False)
    # a CPU writes into ``out`` even in one block: the fused form is NumPy's slow ``where``
    flat = [array.reshape(-1) for array in arrays]
    output = backend.xp.empty(size, dtype=dtype)
    if len(batch_blocks(backend, (size,), dtype)) <= 1:
        function(*flat, out=output)
        return output.reshape(arrays[0].shape)

    def compute_block(block):
        function(*(array[block] for array in flat), out=output[block])

    map_batch(backend, compute_block, (size,), dtype)
    return output.reshape(arrays[0].shape)


def format_bytes(nbytes: int) -> str:
    """``nbytes`` for an error message: exact, then in the largest unit up to GiB.

    Example:
        >>> format_bytes(8736), format_bytes(3 * 2**30)
        ('8736 bytes (8.5 KiB)', '3221225472 bytes (3.0 GiB)')
    """
    if nbytes >= 2**1000:  # past a float's range (a scale of 1e300): the exact count alone
        return f"{nbytes} bytes"
    size = nbytes
    for unit in ("KiB", "MiB", "GiB"):
        size /= 1024
        if size < 1024 or unit == "GiB":
            return f"{nbytes} bytes" if nbytes < 1024 else f"{nbytes} bytes ({size:.1f} {unit})"
    raise AssertionError  # unreachable: the loop returns at GiB


def check_fits(where, backend, what, nbytes) -> None:
    """MemoryError before allocating ``nbytes`` (Python ints: never overflow) that the backend
    cannot hold, instead of a hang in swap or an allocator error without a name."""
    free = backend.free_memory()
    if nbytes > free:
        msg = (
            f"{where}: {what} would need {format_bytes(nbytes)}, more than the "
            f"{format_bytes(free)} the backend can allocate; use a smaller input or output"
        )
        raise MemoryError(msg)


def _group_count(backend, worth: int) -> int:
    """How many groups a batch is cut into: 1 where the backend does not cut (a GPU), else
    a power of two from 2 to ``batch_groups`` as the work allows. Powers of two and at least
    two keep a data-parallel run's sums those of one process: each of 2 ranks sums half of
    the groups of the whole batch, as :func:`group_sums`'s pairwise adds do."""
    most = batch_groups_of(backend)
    if most == 1:
        return 1
    count = 2
    while count * 2 <= min(most, worth):
        count *= 2
    return count


def batch_chunks(
    backend,
    where: str,
    batch: int,
    bytes_per_sample: int,
    multiply_adds_per_sample: int = 0,
    bytes_per_group: int = 0,
    unit_bytes: int | None = None,
) -> Groups:
    """Split a batch into up to ``batch_groups`` groups of consecutive chunks (8 on the CPU,
    1 on a GPU; empty groups left out), for :func:`map_groups` to hand whole groups to
    threads.

    Their count is a power of two (:func:`_group_count`): two for any batch of two or more
    samples on the CPU, and more only where each holds at least ``MIN_GROUP_BYTES`` of
    temporaries (and as many as the sums each group keeps, ``bytes_per_group``) or
    ``MIN_GROUP_MULTIPLY_ADDS`` of products (``multiply_adds_per_sample``). A chunk's
    temporaries take at most ``unit_bytes`` (default ``UNIT_BYTES``; ``GPU_UNIT_BYTES`` on a
    GPU; at least one sample) and at most :func:`xpnet.memory_budget`; the result's
    ``at_once`` says how many chunks the budget holds at the same time, so that
    :func:`map_groups` runs no more groups at once.
    A group's sums are added in order, chunk by chunk, then the groups' pairwise in group
    order: results depend on neither the thread count nor timing,
    nor on the budget where it holds one chunk of ``unit_bytes``.

    Raises:
        MemoryError: if one sample alone needs more than the budget.
    """
    budget = memory_budget(backend)
    if bytes_per_sample > budget:
        msg = (
            f"{where}: one sample needs {format_bytes(bytes_per_sample)} of temporaries, more "
            f"than the memory budget of {format_bytes(budget)}; use a smaller input or raise it "
            f"with xpnet.set_memory_budget"
        )
        raise MemoryError(msg)
    # fewer groups where one would hold little work: each chunk costs ~0.1 ms of Python
    worth = max(
        1,
        batch * bytes_per_sample // max(MIN_GROUP_BYTES, bytes_per_group),
        batch * multiply_adds_per_sample // MIN_GROUP_MULTIPLY_ADDS,
    )
    groups = even_slices(batch, _group_count(backend, worth))
    unit = GPU_UNIT_BYTES if runs_unblocked(backend) else unit_bytes or UNIT_BYTES
    size = max(1, min(budget, unit) // max(1, bytes_per_sample))
    starts = [range(group.start, group.stop, size) for group in groups]
    chunks = [
        [slice(start, min(start + size, group.stop)) for start in group_starts]
        for group, group_starts in zip(groups, starts, strict=True)
    ]
    at_once = max(1, budget // (size * max(1, bytes_per_sample)))
    in_order = too_little_for_threads(batch * multiply_adds_per_sample, batch * bytes_per_sample)
    return Groups(chunks, at_once, in_order)
