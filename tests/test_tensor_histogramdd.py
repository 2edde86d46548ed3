"""``xpnet.histogramdd`` against ``torch.histogramdd`` in float64 and float32: int, per-dimension
and edge-tensor bins, ``range``, ``weight``, ``density``, points on edges, outside and NaN,
empty inputs, and PyTorch's errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import xpnet

DTYPES = [np.float64, np.float32]


def both(array, dtype):
    """The same data as an xpnet Tensor on the current backend and a torch tensor."""
    array = np.asarray(array, dtype=dtype)
    return xpnet.tensor(array, device=xpnet.get_backend().name), torch.tensor(array)


def check(points, bins, dtype, *, range=None, weight=None, density=False):
    """Run both with the same arguments (bins given as arrays become tensors) and compare
    ``hist`` and every edge: float64 to 1e-12, float32 to 1e-5 (a density divides by
    products of float32 widths in another order than PyTorch's)."""
    x, tx = both(points, dtype)
    if isinstance(bins, list) and bins and isinstance(bins[0], np.ndarray):
        ours_bins, their_bins = zip(*(both(b, dtype) for b in bins), strict=True)
        ours_bins, their_bins = list(ours_bins), list(their_bins)
    else:
        ours_bins = their_bins = bins
    w, tw = both(weight, dtype) if weight is not None else (None, None)
    ours = xpnet.histogramdd(x, ours_bins, range=range, weight=w, density=density)
    theirs = torch.histogramdd(tx, their_bins, range=range, weight=tw, density=density)
    assert ours.hist.shape == tuple(theirs.hist.shape) and ours.hist.dtype == dtype
    tolerance = 1e-12 if dtype == np.float64 else 1e-5
    np.testing.assert_allclose(
        xpnet.to_numpy(ours.hist), theirs.hist.numpy(), rtol=tolerance, atol=0
    )
    assert isinstance(ours.bin_edges, tuple) and len(ours.bin_edges) == len(theirs.bin_edges)
    for edges, their_edges in zip(ours.bin_edges, theirs.bin_edges, strict=True):
        np.testing.assert_array_equal(xpnet.to_numpy(edges), their_edges.numpy())
    return ours


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("bins", [4, [3, 5], (1, 7)])
@pytest.mark.parametrize("density", [False, True])
def test_histogramdd_int_bins_match_torch(backend, dtype, bins, density):
    points = np.random.default_rng(0).normal(size=(300, 2))
    weight = np.random.default_rng(1).random(300)
    check(points, bins, dtype, density=density)
    check(points, bins, dtype, weight=weight, density=density)


@pytest.mark.parametrize("dtype", DTYPES)
def test_histogramdd_range_and_leading_dims_match_torch(backend, dtype):
    points = np.random.default_rng(2).normal(size=(4, 25, 3))  # leading dims flattened
    weight = np.random.default_rng(3).random((4, 25))
    check(points, [2, 3, 4], dtype, range=[-1, 1, 0, 0.5, -2.0, 2.0], weight=weight)
    check(points, 3, dtype, range=(-1, 1, -1, 1, -1, 1), density=True)


@pytest.mark.parametrize("dtype", DTYPES)
def test_histogramdd_edge_tensors_match_torch(backend, dtype):
    points = np.random.default_rng(4).normal(size=(200, 2))
    edges = [np.array([-1.0, -0.25, 0.0, 2.0]), np.array([-3.0, 0.5, 1.0])]
    weight = np.random.default_rng(5).random(200)
    check(points, edges, dtype, weight=weight)
    check(points, edges, dtype, density=True)
    check(points, edges, dtype, range=[0.0, 1.0, 0.0, 1.0])  # ignored beside edges, as torch


@pytest.mark.parametrize("dtype", DTYPES)
def test_histogramdd_points_on_edges_outside_and_nan(backend, dtype):
    points = [[0.0, 0.0], [0.5, 1.0], [1.0, 1.0], [1.5, 0.5], [np.nan, 0.5], [-0.1, 0.2]]
    ours = check(points, [2, 2], dtype, range=[0.0, 1.0, 0.0, 1.0])  # right edges: last bin
    assert xpnet.to_numpy(ours.hist).tolist() == [[1.0, 0.0], [0.0, 2.0]]
    check(points, [np.array([0.0, 0.5, 1.0]), np.array([0.0, 1.0])], dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_histogramdd_one_value_and_empty_inputs_match_torch(backend, dtype):
    check([[1.0, 1.0], [1.0, 3.0]], 2, dtype)  # a single value: widened by 0.5 each way
    check([[0.0, 0.0], [0.0, 0.0]], 2, dtype, density=True)
    check(np.zeros((0, 2)), 2, dtype)  # no points: edges over (0, 1)
    check(np.zeros((0, 2)), 2, dtype, density=True)  # 0 / 0: NaN, as torch
    check(np.zeros((3, 0)), 2, dtype)  # no dimensions: a 0-d zero
    check([[5.0, 5.0]], 2, dtype, range=[0.0, 1.0, 0.0, 1.0], density=True)


def test_histogramdd_returns_a_named_tuple(backend):
    hist, bin_edges = result = xpnet.histogramdd(xpnet.zeros(3, 2), bins=2)
    assert type(result).__name__ == "histogramdd"
    assert result.hist is hist and result.bin_edges is bin_edges
    assert not hist.requires_grad


def errors(points, bins, **kwargs):
    """The exceptions torch and xpnet raise for the same float64 call."""
    x, tx = both(points, np.float64)
    ours_bins = their_bins = bins
    if isinstance(bins, list):  # arrays among them: edge tensors
        pairs = [both(b, np.float64) if isinstance(b, np.ndarray) else (b, b) for b in bins]
        ours_bins, their_bins = [p[0] for p in pairs], [p[1] for p in pairs]
    with pytest.raises(Exception) as theirs:
        torch.histogramdd(tx, their_bins, **kwargs)
    with pytest.raises(Exception) as ours:
        xpnet.histogramdd(x, ours_bins, **kwargs)
    return ours, theirs


@pytest.mark.parametrize(
    "points, bins, kwargs, match",
    [
        (np.zeros(3), 2, {}, "at least 2 dimensions"),
        (np.zeros((3, 2)), [2], {}, "expected 2 bins"),
        (np.zeros((3, 2)), [2, 0], {}, "bins must be > 0, but got 0 for dimension 1"),
        (np.zeros((3, 2)), 2, {"range": [0.0, 1.0]}, "range should have 4 elements"),
        (np.zeros((3, 2)), 2, {"range": [1.0, 0.0, 0.0, 1.0]}, "min should not exceed max"),
        (np.zeros((3, 2)), 2, {"range": [0.0, np.inf, 0.0, 1.0]}, "range .* is not finite"),
        (np.array([[np.nan, 1.0]]), 2, {}, "dimension 0's range \\[nan, nan\\] is not finite"),
        (np.zeros((3, 2)), [np.zeros(1), np.zeros((1, 2))], {}, "1-D with at least 1"),
        (np.zeros((3, 2)), [np.zeros(2)], {}, "expected 2 bins"),
    ],
)
def test_histogramdd_value_errors_match_torch(backend, points, bins, kwargs, match):
    ours, theirs = errors(points, bins, **kwargs)
    assert theirs.type is RuntimeError
    assert isinstance(ours.value, RuntimeError) and isinstance(ours.value, ValueError)
    assert ours.match(match) and "xpnet.histogramdd" in str(ours.value)


def test_histogramdd_dtype_and_weight_errors_match_torch(backend):
    x, tx = both(np.zeros((3, 2)), np.float64)
    with pytest.raises(RuntimeError, match="same dtype"):
        torch.histogramdd(tx, 2, weight=torch.ones(3, dtype=torch.float32))
    with pytest.raises(RuntimeError, match="weight must have input's dtype float64, got float32"):
        xpnet.histogramdd(x, 2, weight=xpnet.ones(3, dtype=xpnet.float32))
    with pytest.raises(RuntimeError, match="same shape as the input tensor excluding"):
        torch.histogramdd(tx, 2, weight=torch.ones(2, dtype=torch.float64))
    with pytest.raises(RuntimeError, match="less its innermost dimension, \\(3,\\), got \\(2,\\)"):
        xpnet.histogramdd(x, 2, weight=xpnet.ones(2, dtype=xpnet.float64))
    with pytest.raises(RuntimeError, match="should have the same dtype"):
        torch.histogramdd(tx, [torch.zeros(2), torch.zeros(2, dtype=torch.float64)])
    with pytest.raises(RuntimeError, match="same dtype, got float64 and float32 for dimension 0"):
        xpnet.histogramdd(x, [xpnet.zeros(2), xpnet.zeros(2, dtype=xpnet.float64)])
    for dtype, torch_dtype in ((xpnet.int64, torch.int64), (xpnet.float16, torch.float16)):
        with pytest.raises(NotImplementedError):
            torch.histogramdd(torch.zeros(3, 2, dtype=torch_dtype), 2)
        with pytest.raises(NotImplementedError, match="histogramdd: not implemented for"):
            xpnet.histogramdd(xpnet.zeros(3, 2, dtype=dtype), 2)


@pytest.mark.parametrize("bins", [2.5, True, xpnet.tensor([2, 3]), [2, 2.0], "a"])
def test_histogramdd_refuses_bins_of_another_kind(backend, bins):
    their_bins = torch.tensor([2, 3]) if isinstance(bins, xpnet.Tensor) else bins
    with pytest.raises(TypeError):
        torch.histogramdd(torch.zeros(3, 2), their_bins)
    with pytest.raises(TypeError, match="histogramdd: bins must be an int, a sequence of ints"):
        xpnet.histogramdd(xpnet.zeros(3, 2), bins)


def test_histogramdd_refuses_a_range_of_another_kind(backend):
    with pytest.raises(TypeError):
        torch.histogramdd(torch.zeros(3, 2), 2, range=torch.tensor([0.0, 1, 0, 1]))
    with pytest.raises(TypeError, match="histogramdd: range must be a sequence of numbers"):
        xpnet.histogramdd(xpnet.zeros(3, 2), 2, range=xpnet.tensor([0.0, 1, 0, 1]))
    with pytest.raises(TypeError):
        torch.histogramdd(torch.zeros(3, 2))
    with pytest.raises(TypeError):  # bins has no default, as torch's
        xpnet.histogramdd(xpnet.zeros(3, 2))
