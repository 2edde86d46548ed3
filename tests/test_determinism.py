"""Kernel results are bit-identical for any thread count and any memory budget that holds
one chunk (issue 16 §5).

OpenBLAS gives a row of a product bits that depend on the product's M and N (the last rows
and columns of a call take other micro-kernels) and on its own thread count, so every product
runs at shapes fixed by the problem alone, single-threaded, and sums over the batch are added
in a fixed order (xpnet/kernels/_blocks.py). Each test runs on 1, 2 and 4 threads, under
several budgets, and from concurrent callers."""

from __future__ import annotations

import numpy as np
import pytest

import xpnet
import xpnet.kernels as K
from xpnet.backends._base import runs_unblocked
from xpnet.kernels import _blocks, _conv_fourier
from xpnet.kernels._blocks import GPU_UNIT_BYTES

THREADS = (1, 2, 4)


@pytest.fixture
def budget():
    """``budget(nbytes)`` sets the memory budget for the rest of the test; restored after."""
    yield xpnet.set_memory_budget
    xpnet.set_memory_budget(None)


def assert_same_bits(backend, num_threads, budget, run, budgets):
    """``run()`` (a tuple of arrays or ``None``) gives the same bits on 1, 2 and 4 threads and
    under each of ``budgets`` (``None``: the default)."""
    results = []
    for threads in THREADS:
        for nbytes in budgets:
            num_threads(threads)
            budget(nbytes)
            results.append([None if r is None else backend.to_host(r) for r in run()])
    first = results[0]
    for other in results[1:]:
        for index, (a, b) in enumerate(zip(first, other, strict=True)):
            assert (a is None) == (b is None), f"result {index}"
            differ = a is not None and not np.array_equal(a, b)
            assert not differ, f"result {index} differs by {np.max(np.abs(a - b))}"


@pytest.fixture
def one_sample_chunks(monkeypatch):
    """Chunks of one sample (``UNIT_BYTES`` of 1 byte) on every backend: then any budget that
    holds one sample per group must give the same bits as the default one."""
    monkeypatch.setattr(_blocks, "UNIT_BYTES", 1)
    monkeypatch.setattr(_blocks, "GPU_UNIT_BYTES", 1)
    monkeypatch.setattr(_conv_fourier, "UNIT", 1)


def _random(backend, shape, seed, dtype=np.float32):
    values = np.random.default_rng(seed).standard_normal(shape).astype(dtype)
    return backend.xp.asarray(values)


@pytest.mark.parametrize(
    ("algorithm", "x_shape", "w_shape", "padding"),
    [
        ("im2col", (13, 6, 9, 9), (8, 6, 3, 3), 1),
        ("im2col_per_row", (13, 6, 9, 9), (8, 6, 3, 3), 1),
        ("pointwise", (13, 6, 9, 9), (8, 6, 1, 1), 0),
        ("fourier", (13, 6, 12, 12), (8, 6, 5, 5), 2),
    ],
)
def test_conv2d_bits_do_not_depend_on_threads_or_budget(
    backend, num_threads, budget, one_sample_chunks, algorithm, x_shape, w_shape, padding
):
    x, w = _random(backend, x_shape, 0), _random(backend, w_shape, 1)
    bias = _random(backend, w_shape[:1], 2)
    grad = None

    def run():
        nonlocal grad
        with K.conv_algorithms(algorithm):
            output = K.conv2d(x, w, bias, padding=padding)
            grad = _random(backend, output.shape, 3) if grad is None else grad
            return (output, *K.conv2d_backward(grad, x, w, bias, padding=padding))

    # the small budget holds about one sample's temporaries per group of the CPU's 8
    small = 8 * 3 * x_shape[1] * w_shape[2] * w_shape[3] * x_shape[2] * x_shape[3] * 4
    assert_same_bits(backend, num_threads, budget, run, (None, small))


def test_conv2d_row_block_bits_do_not_depend_on_threads_or_budget(
    backend, num_threads, budget, one_sample_chunks, monkeypatch
):
    """The per-row products in 16-row blocks (``product_rows``, OpenBLAS's AVX-512 kernels,
    forced here): the blocks follow the chunks, never the threads."""
    monkeypatch.setattr(backend, "product_rows", lambda k, n, dtype: 16, raising=False)
    x, w = _random(backend, (13, 6, 9, 7), 0), _random(backend, (64, 6, 3, 3), 1)
    grad = _random(backend, (13, 64, 9, 7), 2)

    def run():
        with K.conv_algorithms("im2col_per_row"):
            return (K.conv2d(x, w, padding=1), *K.conv2d_backward(grad, x, w, padding=1))

    assert_same_bits(backend, num_threads, budget, run, (None, 8 * 3 * 6 * 9 * 9 * 7 * 4))


@pytest.mark.parametrize("algorithm", ["im2col", "im2col_per_row"])
def test_conv2d_inner_block_bits_do_not_depend_on_threads_or_budget(
    backend, num_threads, budget, one_sample_chunks, monkeypatch, algorithm
):
    """The weight gradient's products in inner blocks (``product_depth``, OpenBLAS's
    AVX-512 kernels, forced here): the blocks follow the chunks, never the threads."""
    monkeypatch.setattr(backend, "product_depth", lambda m, n, dtype: 16, raising=False)
    x, w = _random(backend, (13, 3, 9, 7), 0), _random(backend, (16, 3, 3, 3), 1)
    grad = _random(backend, (13, 16, 9, 7), 2)

    def run():
        with K.conv_algorithms(algorithm):
            return K.conv2d_backward(grad, x, w, padding=1)

    assert_same_bits(backend, num_threads, budget, run, (None, 8 * 3 * 3 * 9 * 9 * 7 * 4))


def test_conv2d_bits_do_not_depend_on_threads_with_default_chunks(backend, num_threads, budget):
    """Without shrinking the chunks: the 8 MiB ones of a batch larger than that. A 9 MiB
    budget holds one chunk at a time, not one per group (the CPU's 8): fewer groups run at
    once, with the same chunks (it cut them to one sample before)."""
    if runs_unblocked(backend):
        pytest.skip(
            f"{backend.name}: a GPU's chunks hold up to {GPU_UNIT_BYTES >> 20} MiB "
            "(GPU_UNIT_BYTES), so the 9 MiB budget cuts this batch into smaller chunks: "
            "products of other shapes (other cuBLAS kernels) and sums in another order, whose "
            "bits differ within rounding; bit-identity from an 8 MiB budget is the CPU's"
        )
    x, w = _random(backend, (40, 16, 34, 34), 0), _random(backend, (24, 16, 3, 3), 1)
    grad = _random(backend, (40, 24, 32, 32), 2)

    def run():
        with K.conv_algorithms("im2col"):
            return (K.conv2d(x, w), *K.conv2d_backward(grad, x, w))

    assert_same_bits(backend, num_threads, budget, run, (None, 1 << 30, 9 << 20))


def test_linear_bits_do_not_depend_on_threads(backend, num_threads, budget):
    x, w, b = _random(backend, (517, 300), 0), _random(backend, (90, 300), 1), None
    b = _random(backend, (90,), 2)
    grad = _random(backend, (517, 90), 3)

    def run():
        return (K.linear(x, w, b), *K.linear_backward(grad, x, w, b))

    assert_same_bits(backend, num_threads, budget, run, (None, 1 << 16))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_batch_norm_bits_do_not_depend_on_threads(backend, num_threads, budget, dtype):
    """Its blocks follow the thread count; its sums (in float64: every bit shows with float64
    input) are taken over the whole batch's row sums at once."""
    x, grad = (
        _random(backend, (37, 5, 40, 40), 0, dtype),
        _random(backend, (37, 5, 40, 40), 1, dtype),
    )
    weight, bias = _random(backend, (5,), 2, dtype), _random(backend, (5,), 3, dtype)

    def run():
        mean = backend.xp.zeros(5, dtype=dtype)
        var = backend.xp.ones(5, dtype=dtype)
        output = K.batch_norm(x, mean, var, weight, bias, training=True)
        grads = K.batch_norm_backward(grad, x, None, None, weight, bias, training=True)
        return (output, mean, var, *grads)

    assert_same_bits(backend, num_threads, budget, run, (None, 1 << 16))


@pytest.mark.parametrize("label_smoothing", [0.0, 0.1])
def test_cross_entropy_bits_do_not_depend_on_threads(backend, num_threads, budget, label_smoothing):
    logits = _random(backend, (3000, 100), 0)
    target = backend.xp.asarray(np.random.default_rng(1).integers(0, 100, 3000))

    def run():
        loss = K.cross_entropy(logits, target, label_smoothing=label_smoothing)
        grad = K.cross_entropy_backward(
            backend.xp.ones_like(loss), logits, target, label_smoothing=label_smoothing
        )
        return (loss, grad)

    assert_same_bits(backend, num_threads, budget, run, (None, 1 << 16))


def test_concurrent_calls_match_sequential_and_restore_blas_threads(backend):
    """Four threads calling conv2d at once get the sequential bits, and BLAS's thread count
    is what it was before (its limit is process-wide: the last caller restores it)."""
    from concurrent.futures import ThreadPoolExecutor

    from threadpoolctl import threadpool_info

    def blas_threads():
        return [info["num_threads"] for info in threadpool_info() if info["user_api"] == "blas"]

    inputs = [
        (_random(backend, (6, 8, 20, 20), s), _random(backend, (8, 8, 3, 3), s + 1))
        for s in range(4)
    ]

    def run(pair):
        x, w = pair
        output = K.conv2d(x, w, padding=1)
        return [
            backend.to_host(r) for r in (output, *K.conv2d_backward(output, x, w, padding=1)[:2])
        ]

    before = blas_threads()
    sequential = [run(pair) for pair in inputs]
    for _ in range(3):
        with ThreadPoolExecutor(4) as pool:
            concurrent = list(pool.map(run, inputs))
        for one, other in zip(sequential, concurrent, strict=True):
            assert all(np.array_equal(a, b) for a, b in zip(one, other, strict=True))
    assert blas_threads() == before


@pytest.mark.parametrize(("rows", "threaded"), [(64, False), (2048, True)], ids=["small", "large"])
def test_too_little_work_runs_on_the_calling_thread(monkeypatch, num_threads, rows, threaded):
    """A product of 64 x 64 x 128 multiply-adds (a small MLP's layer, 0.5M) is done sooner on
    the calling thread than handed to the pool: its blocks run in order as one task, with the
    bits of any thread count; one of 2048 rows (16M) still spreads over the threads."""
    from xpnet.backends import numpy_backend

    num_threads(2)
    tasks = []  # the number of blocks of each map_blocks call
    map_blocks = numpy_backend.map_blocks

    def counting(function, blocks):
        blocks = list(blocks)
        tasks.append(len(blocks))
        map_blocks(function, blocks)

    monkeypatch.setattr(numpy_backend, "map_blocks", counting)
    with xpnet.use_backend("numpy") as backend:
        x, w, grad = _random(backend, (rows, 64), 0), _random(backend, (128, 64), 1), None
        grad = _random(backend, (rows, 128), 2)
        K.linear(x, w)
        K.linear_backward(grad, x, w)
    assert len(tasks) == 3  # the forward's product, grad_input's and grad_weight's sums
    assert all(count > 1 for count in tasks) == threaded
    assert all(count == 1 for count in tasks) != threaded
