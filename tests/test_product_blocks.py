"""Products in the blocks a backend's BLAS runs fastest (:mod:`xpnet.kernels._product_blocks`):
row blocks (``product_rows``, ``matmul_into``) and inner blocks (``product_depth``,
``matmul_long_inner``). The numpy backend's rules, and that blocked products give what one
product gives, alone and inside conv2d, NaN and inf included."""

from __future__ import annotations

import numpy as np
import pytest
import threadpoolctl
from _oracle import assert_close, check_conv2d_case, random_input

import xpnet
import xpnet.kernels as K
import xpnet.kernels._conv_im2col as conv_im2col
from xpnet.backends import numpy_backend
from xpnet.backends._base import product_depth_of, product_rows_of
from xpnet.kernels._product_blocks import matmul_into, matmul_long_inner

# PyTorch warns that it copies the input for 'same' with an even kernel; that is its business
pytestmark = pytest.mark.filterwarnings("ignore:Using padding='same':UserWarning")


@pytest.mark.parametrize(
    "kernels, k, n, dtype, rows",
    [
        ("SkylakeX", 576, 64, np.float32, 16),
        ("Cooperlake", 27, 64, np.float32, 16),
        ("SapphireRapids", 1023, 64, np.float32, 16),
        ("SkylakeX", 1024, 64, np.float32, 0),  # past OpenBLAS's direct product
        ("SkylakeX", 576, 32, np.float32, 0),
        ("SkylakeX", 576, 128, np.float32, 0),
        ("SkylakeX", 576, 64, np.float64, 0),  # no direct double product
        ("Haswell", 576, 64, np.float32, 0),
        ("Zen", 576, 64, np.float32, 0),
        (None, 576, 64, np.float32, 0),  # not OpenBLAS, or not NumPy's own
    ],
)
def test_numpy_rows_follow_openblas_kernels(monkeypatch, kernels, k, n, dtype, rows):
    monkeypatch.setattr(numpy_backend, "_numpy_blas_kernels", lambda: kernels)
    assert numpy_backend.product_rows(k, n, dtype) == rows
    assert product_rows_of(numpy_backend, k, n, dtype) == rows


def test_numpy_blas_kernels_are_numpys_own_openblas():
    found = numpy_backend._numpy_blas_kernels()
    libraries = threadpoolctl.ThreadpoolController().select(user_api="blas").lib_controllers
    architectures = {lib.architecture for lib in libraries if lib.internal_api == "openblas"}
    assert found is None or found in architectures


@pytest.mark.parametrize(
    "hook, rule", [("product_rows", product_rows_of), ("product_depth", product_depth_of)]
)
def test_backends_without_blocks_run_one_product(backend, monkeypatch, hook, rule):
    monkeypatch.delattr(backend, hook, raising=False)
    assert rule(backend, 27, 16, np.float32) == 0


def _force(monkeypatch, backend, hook, size):
    """The backend's ``hook`` (``product_rows``, ``product_depth``) gives ``size`` always."""
    monkeypatch.setattr(backend, hook, lambda *shape_and_dtype: size, raising=False)


@pytest.mark.parametrize("M", [0, 5, 16, 37, 64])
@pytest.mark.parametrize("rows", [0, 4, 16])
def test_matmul_into_gives_the_product(backend, monkeypatch, M, rows):
    _force(monkeypatch, backend, "product_rows", rows)
    a, b = random_input((M, 24), 0), random_input((24, 64), 1)
    a[M // 2 :, 3] = np.nan if M else 0.0  # a NaN row stays in its own rows of the result
    out = backend.xp.full((M, 64), 7.0)
    matmul_into(backend, backend.asarray(a), backend.asarray(b), out)
    expected = a @ b
    np.testing.assert_allclose(xpnet.to_numpy(out), expected, rtol=1e-12, atol=1e-12)
    assert np.array_equal(np.isnan(xpnet.to_numpy(out)), np.isnan(expected))


# per-row convolutions with 64 output channels, copied channels last: tails of every length
CASES = [
    ((2, 8, 7, 9), (64, 8, 3, 3), 1, 1, 1),
    ((3, 5, 6, 6), (64, 5, 3, 2), (1, 2), (1, 0), (1, 2)),
    ((2, 4, 6, 7), (64, 4, 4, 2), 1, "same", (2, 1)),
    ((1, 64, 4, 4), (64, 64, 3, 3), 1, 1, 1),
]


@pytest.mark.parametrize("case", CASES, ids=str)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_conv2d_in_row_blocks_matches_torch_and_one_product(
    backend, cpu_conv_choices, monkeypatch, case, dtype
):
    blocked = []
    into = conv_im2col.channels_last_products.__globals__["matmul_into"]

    def spy(backend_, a, b, out):
        blocked.append(product_rows_of(backend_, a.shape[1], b.shape[1], out.dtype))
        into(backend_, a, b, out)

    monkeypatch.setitem(conv_im2col.channels_last_products.__globals__, "matmul_into", spy)
    _force(monkeypatch, backend, "product_rows", 16)
    with K.conv_algorithms("im2col_per_row"):
        in_blocks = check_conv2d_case(backend, case, dtype)
    assert blocked and set(blocked) == {16}
    _force(monkeypatch, backend, "product_rows", 0)
    with K.conv_algorithms("im2col_per_row"):
        whole = check_conv2d_case(backend, case, dtype)
    pairs = zip([in_blocks[0], *in_blocks[1]], [whole[0], *whole[1]], strict=True)
    for a, b in pairs:
        assert_close(a, b, dtype, "row blocks vs one product")


def test_conv2d_in_row_blocks_keeps_nan_and_inf_in_their_windows(
    backend, cpu_conv_choices, monkeypatch
):
    _force(monkeypatch, backend, "product_rows", 16)
    x = random_input((2, 8, 9, 9), 0).astype(np.float32)
    x[0, 3, 4, 4], x[1, 2, 0, 8] = np.nan, np.inf
    w = np.abs(random_input((64, 8, 3, 3), 1)).astype(np.float32)
    with K.conv_algorithms("im2col_per_row"):
        y = xpnet.to_numpy(K.conv2d(backend.asarray(x), backend.asarray(w), padding=1))
    reached = np.zeros((2, 9, 9), bool)
    reached[0, 3:6, 3:6] = True  # the windows holding the NaN
    assert np.array_equal(np.isnan(y).all(axis=1), reached)
    assert not np.isnan(y[1]).any()
    assert np.isposinf(y[1, :, 0:2, 7:9]).all()  # positive weights: inf stays inf
    assert np.isfinite(y[1, :, 2:, :]).all() and np.isfinite(y[1, :, :, :7]).all()


@pytest.mark.parametrize(
    "kernels, m, n, dtype, depth",
    [
        ("SkylakeX", 9, 16, np.float32, 1024),
        ("SkylakeX", 27, 32, np.float32, 1024),  # 999,999 // 864 = 1157: capped at 1024
        ("Cooperlake", 48, 16, np.float32, 1024),
        ("SapphireRapids", 9, 128, np.float32, 864),  # 999,999 // 1152 = 868, down to 16s
        ("SkylakeX", 27, 64, np.float32, 0),  # m * n 1728: no gain measured
        ("SkylakeX", 48, 32, np.float32, 0),
        ("SkylakeX", 9, 16, np.float64, 0),  # no small double product measured
        ("Haswell", 9, 16, np.float32, 0),
        ("Zen", 9, 16, np.float32, 0),
        (None, 9, 16, np.float32, 0),
    ],
)
def test_numpy_depth_follows_openblas_kernels(monkeypatch, kernels, m, n, dtype, depth):
    monkeypatch.setattr(numpy_backend, "_numpy_blas_kernels", lambda: kernels)
    assert numpy_backend.product_depth(m, n, dtype) == depth
    assert product_depth_of(numpy_backend, m, n, dtype) == depth
    if depth:
        assert depth % 16 == 0 and m * n * depth < 10**6


@pytest.mark.parametrize("K", [0, 7, 16, 40, 64])
@pytest.mark.parametrize("depth", [0, 8, 16])
@pytest.mark.parametrize("batch", [(), (3,)])
def test_matmul_long_inner_gives_the_product(backend, monkeypatch, K, depth, batch):
    _force(monkeypatch, backend, "product_depth", depth)
    a, b = random_input((*batch, 5, K), 0), random_input((*batch, 6, K), 1)
    if K:
        a[..., 2, K - 1] = np.nan  # in the tail, or the last block: its row only
        b[..., 4, 0] = np.inf  # in the first block: its column, +-inf or NaN
    result = matmul_long_inner(backend, backend.asarray(a), backend.asarray(b).swapaxes(-1, -2))
    expected = a @ b.swapaxes(-1, -2)
    assert result.shape == expected.shape
    np.testing.assert_allclose(xpnet.to_numpy(result), expected, rtol=1e-12, atol=1e-12)
    assert np.array_equal(np.isnan(xpnet.to_numpy(result)), np.isnan(expected))


# im2col and per-row convolutions whose weight gradients run in inner blocks when forced
DEPTH_CASES = [
    ((3, 3, 7, 9), (16, 3, 3, 3), 1, 1, 1),
    ((2, 4, 6, 7), (8, 4, 3, 2), (1, 2), (1, 0), (1, 2)),
    ((2, 5, 9, 9), (6, 5, 3, 3), 1, "same", 1),
]


@pytest.mark.parametrize("case", DEPTH_CASES, ids=str)
@pytest.mark.parametrize("algorithm", ["im2col", "im2col_per_row"])
def test_conv2d_weight_grad_in_inner_blocks_matches_torch_and_one_product(
    backend, cpu_conv_choices, monkeypatch, case, algorithm
):
    depths = []
    long_inner = conv_im2col.matmul_long_inner

    def spy(backend_, a, b):
        depths.append(product_depth_of(backend_, a.shape[-2], b.shape[-1], a.dtype))
        return long_inner(backend_, a, b)

    monkeypatch.setattr(conv_im2col, "matmul_long_inner", spy)
    _force(monkeypatch, backend, "product_depth", 16)
    with K.conv_algorithms(algorithm):
        in_blocks = check_conv2d_case(backend, case, np.float64)
    assert depths and set(depths) == {16}
    _force(monkeypatch, backend, "product_depth", 0)
    with K.conv_algorithms(algorithm):
        whole = check_conv2d_case(backend, case, np.float64)
    for a, b in zip([in_blocks[0], *in_blocks[1]], [whole[0], *whole[1]], strict=True):
        assert_close(a, b, np.float64, "inner blocks vs one product")
