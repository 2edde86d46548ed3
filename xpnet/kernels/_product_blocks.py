"""Matrix products in the blocks a backend's BLAS runs fastest: rows (``product_rows``) and
the inner axis (``product_depth``), each a batched call of small products.

OpenBLAS's AVX-512 kernels multiply small float32 products without packing their operands,
which a long product with few columns or few outputs spends much of its time on. The
backend names the blocks (:mod:`xpnet.backends._base`); where it names none, one product
runs. A block's bits depend only on the product's shape and the blocks, never on the thread
count: callers keep the bits of :mod:`._blocks`' chunks.
"""

from __future__ import annotations

from ..backends._base import product_depth_of, product_rows_of


def matmul_into(backend, a, b, out) -> None:
    """``out[...] = a @ b`` for ``a`` (M, K) and ``b`` (K, N), in the row blocks the backend's
    BLAS runs fastest (:func:`~xpnet.backends._base.product_rows_of`): one batched call of
    (rows, K) @ (K, N) products, the last rows on their own, where it names a block; else one
    product. Each row's bits depend only on the row block it falls in, so callers give the
    same rows for any thread count (their batch chunks)."""
    xp, (M, K), N = backend.xp, a.shape, b.shape[1]
    rows = product_rows_of(backend, K, N, out.dtype)
    whole = M - M % rows if rows else 0
    if whole:
        xp.matmul(a[:whole].reshape(-1, rows, K), b, out=out[:whole].reshape(-1, rows, N))
    if whole < M:
        xp.matmul(a[whole:], b, out=out[whole:])


def matmul_long_inner(backend, a, b):
    """``a @ b`` for ``a`` (..., M, K) and ``b`` (..., K, N) with a long K, in the inner blocks
    the backend's BLAS runs fastest (:func:`~xpnet.backends._base.product_depth_of`): one
    batched call of (M, depth) @ (depth, N) products, summed in order, the last columns'
    product added; else one product. The bits depend only on K and the blocks, never on the
    thread count."""
    xp, (M, K), N = backend.xp, a.shape[-2:], b.shape[-1]
    depth = product_depth_of(backend, M, N, a.dtype)
    if not depth or K <= depth:
        return xp.matmul(a, b)
    whole, batch = K - K % depth, a.shape[:-2]
    blocks = a[..., :whole].reshape(*batch, M, -1, depth)
    products = xp.matmul(
        xp.moveaxis(blocks, -2, -3), b[..., :whole, :].reshape(*batch, -1, depth, N)
    )
    result = products.sum(axis=-3)
    if whole < K:
        result += xp.matmul(a[..., whole:], b[..., whole:, :])
    return result
