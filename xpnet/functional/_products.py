"""Matrix products split over xpnet's block threads (``backend.map_blocks``).

On the CPU, ``map_blocks`` runs BLAS single-threaded inside its blocks: a product cut into
one row block per thread uses every core, and BLAS's own workers, which spin for
milliseconds after each multithreaded call, never wake to compete with the elementwise
blocks that follow. On backends that run blocks in order (strict, CuPy) each product is one
block. Sums over a batch are taken per group of blocks and added in group order, so results
depend on the thread count, never on timing.
"""

from __future__ import annotations

import itertools

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
