"""How kernels cut their work: batch blocks, thread groups, memory chunks, workspaces, and
matrix products by rows.

Elementwise chains run block by block (:func:`batch_blocks`, :func:`elementwise`) so that a
block stays in cache on a CPU. Kernels whose temporaries grow with the batch take it in
:func:`batch_chunks` that fit :func:`xpnet.memory_budget`, and reuse large buffers through
:func:`workspace`.

On the CPU, ``map_blocks`` runs BLAS single-threaded inside its blocks: a product cut into
one row block per thread uses every core, and BLAS's own workers, which spin for
milliseconds after each multithreaded call, never wake to compete with the elementwise
blocks that follow. On backends that run blocks in order (strict, CuPy) each product is one
block. Sums over a batch are taken per group of blocks and added in group order, so results
depend on the thread count, never on timing.
"""

from __future__ import annotations

import itertools
import math
import threading

from ..backends import memory_budget

# Products smaller than this many multiply-adds per block are not split (OpenBLAS itself
# runs products below 4 * 65536 on one thread).
_MIN_BLOCK_MULTIPLY_ADDS = 1 << 18


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
    """One slice of ``rows`` per block thread, fewer where a block would be too small to pay."""
    worth = rows * multiply_adds_per_row // _MIN_BLOCK_MULTIPLY_ADDS
    return even_slices(rows, max(1, min(backend.block_threads(), worth)))


def matmul_rows(backend, a, b):
    """``a @ b`` for ``a`` (M, K) and ``b`` (K, P): a new (M, P) array, by row blocks."""
    xp = backend.xp
    output = xp.empty((a.shape[0], b.shape[1]), dtype=xp.result_type(a, b))

    def multiply(block):
        xp.matmul(a[block], b, out=output[block])

    backend.map_blocks(multiply, row_blocks(backend, a.shape[0], a.shape[1] * b.shape[1]))
    return output


def group_sums(backend, sum_block, groups, shapes, dtype, first_writes=False):
    """Sums over a batch cut into ``groups`` (lists of blocks, one list per thread).

    ``sum_block(block, *totals)`` adds one block's share into ``totals``, arrays of
    ``shapes``; each group has totals of its own, added in group order at the end. With
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

    backend.map_blocks(sum_group, range(len(groups)))
    sums = totals[0]
    for group_totals in totals[1:]:  # in place, in group order
        for total, group_total in zip(sums, group_totals, strict=True):
            total += group_total
    return sums


def compute_dtype(xp, dtype):
    """The dtype to accumulate in: float16 computes in float32 and rounds once at the end."""
    return xp.float32 if dtype == xp.float16 else dtype


# an operand of this many bytes is worth a thread (a task costs ~50 us, 256 KiB ~30-60 us)
_MIN_SPLIT_BYTES = 1 << 18


def batch_blocks(backend, shape, dtype) -> list[slice]:
    """Slices of the first axis of ``shape``, each about ``backend.block_bytes`` per operand
    (at least one sample): a chain of elementwise calls on one block stays in cache on a CPU.
    From ``_MIN_SPLIT_BYTES`` on, at least one block per block thread, so that an array
    smaller than a block still runs on all the cores.

    Example:
        >>> from xpnet.backends import load_backend
        >>> batch_blocks(load_backend("numpy"), (10, 64, 1024), "float32")[:2]
        [slice(0, 4, None), slice(4, 8, None)]
    """
    sample = math.prod(shape[1:]) * backend.xp.dtype(dtype).itemsize
    size = max(1, backend.block_bytes // max(1, sample))
    if shape[0] * sample >= _MIN_SPLIT_BYTES:
        size = min(size, -(-shape[0] // backend.block_threads()))
    return [slice(start, min(start + size, shape[0])) for start in range(0, shape[0], size)]


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
    writes into ``out``, or returns a new array when ``out`` is ``None`` (a single block).

    Example:
        >>> from xpnet.backends import load_backend
        >>> elementwise(load_backend("numpy"), xp.add, "float64", xp.ones((2, 2)), xp.ones((2, 2)))
        array([[2., 2.],
               [2., 2.]])
    """
    size = math.prod(arrays[0].shape)
    blocks = batch_blocks(backend, (size,), dtype)
    if len(blocks) <= 1:  # one block (always on a GPU): no copy into an output array
        return backend.xp.asarray(function(*arrays, out=None)).astype(dtype, copy=False)
    flat = [array.reshape(-1) for array in arrays]
    output = backend.xp.empty(size, dtype=dtype)

    def compute_block(block):
        function(*(array[block] for array in flat), out=output[block])

    backend.map_blocks(compute_block, blocks)
    return output.reshape(arrays[0].shape)


def _format_bytes(nbytes: int) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if nbytes < 1024 or unit == "GiB":
            return f"{nbytes:.1f} {unit}" if unit != "bytes" else f"{nbytes} bytes"
        nbytes /= 1024
    raise AssertionError  # unreachable: the loop returns at GiB


def batch_chunks(backend, where: str, batch: int, bytes_per_sample: int) -> list[list[slice]]:
    """Split a batch into chunks whose temporaries fit in :func:`xpnet.memory_budget`, in
    ``backend.block_threads()`` groups of consecutive chunks, one group per thread of
    ``backend.map_blocks`` (empty groups left out).

    The groups run at once, so each chunk gets an equal share of the budget (at least one
    sample), and the batch is cut into at least one chunk per group. A group's sums are
    added in order, chunk by chunk: results depend on the thread count, not on timing.

    Raises:
        MemoryError: if one sample alone needs more than the budget.
    """
    budget = memory_budget(backend)
    if bytes_per_sample > budget:
        msg = (
            f"{where}: one sample needs {bytes_per_sample} bytes "
            f"({_format_bytes(bytes_per_sample)}) of temporaries, more than the memory budget "
            f"of {budget} bytes ({_format_bytes(budget)}); use a smaller input or raise it "
            f"with xpnet.set_memory_budget"
        )
        raise MemoryError(msg)
    groups = even_slices(batch, backend.block_threads())
    size = max(1, budget // max(1, len(groups)) // max(1, bytes_per_sample))
    starts = [range(group.start, group.stop, size) for group in groups]
    return [
        [slice(start, min(start + size, group.stop)) for start in group_starts]
        for group, group_starts in zip(groups, starts, strict=True)
    ]


_workspaces = threading.local()


def workspace(backend, name: str, shape, dtype):
    """An uninitialised ``shape`` buffer that the next call with the same ``name`` reuses.

    Window copies are large (kH * kW times the input); a fresh one page-faults on every call,
    and reusing one is 10-25 % faster on the CPU. One buffer per (thread, backend, name,
    dtype) is kept, at most the memory budget; callers must not return it to the user.
    """
    dtype = backend.xp.dtype(dtype)
    size = math.prod(shape)
    buffers = _workspaces.__dict__.setdefault("buffers", {})
    key = (backend.name, name, dtype.str)
    buffer = buffers.get(key)
    if buffer is None or buffer.size < size:
        buffers.pop(key, None)  # free the old one before allocating the bigger one
        buffer = buffers[key] = backend.xp.empty(size, dtype=dtype)
    return buffer[:size].reshape(*shape)
