"""xpnet.nn.init's uniform and normal fills: drawn a chunk at a time, yet the same values as
one NumPy draw of the whole shape, on every backend and into views; PyTorch's bound checks."""

from __future__ import annotations

import re
import tracemalloc

import numpy as np
import pytest

import xpnet
from xpnet.nn import init

# (), one value; a row longer than a chunk; several chunks of rows; empty; a conv weight
SHAPES = [(), (3, 300_001), (700_000,), (2, 0, 3), (5, 4, 3, 3)]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_fills_are_one_whole_numpy_draw(backend, shape, dtype):
    tensor = xpnet.Tensor(backend.asarray(np.zeros(shape, dtype)))
    init.uniform_(tensor, -0.3, 2.0, generator=np.random.default_rng(1))
    expected = np.random.default_rng(1).uniform(-0.3, 2.0, size=shape).astype(dtype)
    assert np.array_equal(tensor.numpy(), expected)
    init.normal_(tensor, 0.5, 3.0, generator=np.random.default_rng(2))
    expected = np.random.default_rng(2).normal(0.5, 3.0, size=shape).astype(dtype)
    assert np.array_equal(tensor.numpy(), expected)


def test_fills_follow_the_seeded_stream_across_calls():
    xpnet.manual_seed(4)
    first, second = np.zeros((300, 1000), np.float32), np.zeros(7, np.float32)
    init.normal_(first, std=0.01)
    init.uniform_(second)
    generator = np.random.default_rng(4)
    assert np.array_equal(first, generator.normal(0.0, 0.01, (300, 1000)).astype(np.float32))
    assert np.array_equal(second, generator.uniform(size=7).astype(np.float32))


def test_fills_a_strided_view_in_place():
    array = np.zeros((600, 1000))
    view = array[::2, 1::3]
    init.uniform_(view, generator=np.random.default_rng(3))
    assert np.array_equal(view, np.random.default_rng(3).uniform(size=view.shape))
    assert not array[1::2].any() and not array[:, ::3].any()


def test_fills_need_no_float64_copy_of_the_tensor():
    weight = np.zeros((4000, 1000), np.float32)  # 16 MB; its float64 draws would be 32 MB
    tracemalloc.start()
    try:
        init.uniform_(weight)
        init.normal_(weight)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 4_000_000, f"peak {peak} bytes"


@pytest.mark.parametrize(
    "a, b", [(1.0, 0.0), (0.0, float("inf")), (float("nan"), 1.0), (-1.7e308, 1.7e308)]
)
def test_uniform_rejects_bounds_torch_rejects(a, b):
    with pytest.raises(ValueError, match=re.escape(f"finite, got a={a}, b={b}")):
        init.uniform_(np.zeros(3), a, b)


@pytest.mark.parametrize("std", [-1.0, float("nan")])
def test_normal_rejects_a_negative_or_nan_std(std):
    with pytest.raises(ValueError, match=re.escape(f"normal_: expects std >= 0, got std={std}")):
        init.normal_(np.zeros(3), 0.0, std)


def test_normal_with_zero_std_fills_the_mean():
    assert init.normal_(np.ones(4), 2.5, 0.0).tolist() == [2.5] * 4
