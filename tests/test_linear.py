"""linear against PyTorch autograd (float64) and finite differences."""

from __future__ import annotations

import numpy as np
import pytest
import torch.nn.functional as TF
from _oracle import check_against_torch, check_finite_differences, random_input

import xpnet.kernels as K
from xpnet.kernels._blocks import row_blocks


def _check(backend, input_shape, out_features, bias=True, dtype=np.float64):
    in_features = input_shape[-1]
    inputs = [
        random_input(input_shape, seed=0),
        random_input((out_features, in_features), seed=1),
        random_input((out_features,), seed=2) if bias else None,
    ]
    return check_against_torch(
        K.linear,
        lambda g, x, w, b: tuple(a for a in K.linear_backward(g, x, w, b) if a is not None),
        TF.linear,
        inputs,
        backend,
        dtype=dtype,
    )


@pytest.mark.parametrize("input_shape", [(5,), (4, 5), (2, 3, 5), (2, 1, 3, 5), (0, 5)])
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.float16])
def test_linear_matches_torch(backend, input_shape, bias, dtype):
    _check(backend, input_shape, 3, bias, dtype)


def test_linear_generated_grid(backend):
    for batch, in_features, out_features in [(1, 1, 1), (7, 1, 4), (3, 8, 1), (6, 16, 9)]:
        _check(backend, (batch, in_features), out_features)


@pytest.mark.parametrize("threads", [1, 3])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_linear_splits_rows_by_size_not_threads(backend, dtype, num_threads, threads):
    """500 x 64 @ 64 x 40 is worth 4 row blocks on the CPU whatever the thread count (a
    row's bits depend on its block's shape); strict and cupy multiply in one block.
    grad_weight sums the blocks' products."""
    num_threads(threads)
    assert len(row_blocks(backend, 500, 64 * 40)) == (4 if backend.name == "numpy" else 1)
    _check(backend, (2, 250, 64), 40, dtype=dtype)


def test_linear_returns_none_for_missing_bias(backend):
    x, w = backend.asarray(random_input((2, 3))), backend.asarray(random_input((4, 3)))
    assert K.linear_backward(backend.asarray(np.ones((2, 4))), x, w)[2] is None


def test_linear_non_contiguous_input(backend):
    x = random_input((6, 10), seed=3)[::2, ::2]
    check_against_torch(
        K.linear,
        lambda g, x, w: K.linear_backward(g, x, w)[:2],
        TF.linear,
        [x, random_input((2, 5), seed=4)],
        backend,
    )


def test_linear_finite_differences(backend):
    check_finite_differences(
        K.linear,
        K.linear_backward,
        [random_input((2, 3, 4), seed=5), random_input((2, 4), seed=6), random_input((2,), seed=7)],
        backend,
    )


@pytest.mark.parametrize(
    "shapes, message",
    [
        (
            ((2, 5), (3, 4), None),
            r"input's last dimension must equal weight's in_features, "
            r"got input shape \(2, 5\) and weight shape \(3, 4\)",
        ),
        (
            ((2, 4), (4,), None),
            r"weight must have 2 dimensions \(out_features, in_features\), got shape \(4,\)",
        ),
        (((2, 4), (3, 4), (4,)), r"bias must have shape \(3,\) \(out_features,\), got \(4,\)"),
        (((), (3, 4), None), r"input's last dimension must equal weight's in_features"),
    ],
)
def test_linear_rejects_bad_shapes(backend, shapes, message):
    x, w, b = (None if s is None else backend.asarray(np.zeros(s)) for s in shapes)
    with pytest.raises(ValueError, match=f"linear: {message}"):
        K.linear(x, w, b)
    with pytest.raises(ValueError, match=f"linear_backward: {message}"):
        K.linear_backward(backend.asarray(np.zeros((2, 3))), x, w, b)


def test_linear_rejects_bad_grad_output_and_dtypes(backend):
    x, w = backend.asarray(np.zeros((2, 4))), backend.asarray(np.zeros((3, 4)))
    with pytest.raises(
        ValueError, match=r"linear_backward: grad_output must have shape \(2, 3\), got \(2, 4\)"
    ):
        K.linear_backward(x, x, w)
    with pytest.raises(
        TypeError, match=r"linear: weight must have the dtype of input \(float64\), got float32"
    ):
        K.linear(x, w.astype(np.float32))


@pytest.mark.parametrize("input_shape, out_features", [((2, 0), 4), ((2, 3), 0), ((3, 1, 0), 2)])
@pytest.mark.parametrize("bias", [True, False])
def test_linear_zero_features_matches_torch(backend, input_shape, out_features, bias):
    """in_features 0 gives the bias broadcast (zeros without one), as PyTorch; reshape(-1, 0)
    once refused these."""
    _check(backend, input_shape, out_features, bias)


def test_linear_rejects_outputs_that_do_not_fit(backend, monkeypatch):
    """MemoryError naming the bytes before allocating, even for a broadcast input that costs
    nothing itself."""
    xp = backend.xp
    x = xp.broadcast_to(backend.asarray(np.ones(2)), (10**10, 2))
    w = backend.asarray(np.ones((3, 2)))
    with pytest.raises(MemoryError, match=r"linear: an output of shape \(10000000000, 3\) would"):
        K.linear(x, w)
    grad = xp.broadcast_to(backend.asarray(np.ones(3)), (10**10, 3))
    with pytest.raises(MemoryError, match=r"linear_backward: a gradient of shape .* would need"):
        K.linear_backward(grad, x, w)
    monkeypatch.setattr(backend, "free_memory", lambda: 100)
    with pytest.raises(MemoryError, match=r"linear: .* would need 192 bytes, more than the 100"):
        K.linear(backend.asarray(np.ones((8, 2))), w)
