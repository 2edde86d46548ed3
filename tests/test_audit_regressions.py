"""Regression tests for defects a differential audit against PyTorch 2.13 found (2026-12-05):
each case runs the same code on ``torch`` and ``xpnet`` and compares values, gradients and
warnings."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import xpnet


def gradients(module, function, *values):
    """The gradients of ``function(*inputs).sum()`` for float64 leaves holding ``values``."""
    inputs = [module.tensor(v, dtype=module.float64, requires_grad=True) for v in values]
    function(module, *inputs).sum().backward()
    return [np.asarray(x.grad.tolist() if hasattr(x.grad, "tolist") else x.grad) for x in inputs]


GRADIENT_CASES = {
    "atan2 at and near the origin": (lambda L, a, b: a.atan2(b), [0.0, 1e-200], [0.0, 1e-200]),
    "logit outside [0, 1]": (lambda L, a: a.logit(), [-0.5, 0.5, 1.5]),
    "copysign of a huge value": (
        lambda L, a: a.copysign(L.tensor([1.0], dtype=L.float64)) * 2,
        [-1e308, 3.0],
    ),
    "sum over dim 0 of a 0-d tensor": (lambda L, a: a.sum(0), 2.0),
    "mean over dim -1 of a 0-d tensor": (lambda L, a: a.mean(-1, keepdim=True), 2.0),
    "prod of an empty tensor": (lambda L, a: a.prod(), []),
    "prod over a dim of an empty batch": (lambda L, a: a.prod(1), np.zeros((0, 3))),
    "sum over dim=()": (lambda L, a: a.sum(dim=()) * a.mean(dim=()), [[1.0, 2.0], [3.0, 4.0]]),
}


@pytest.mark.parametrize("case", list(GRADIENT_CASES))
def test_gradients_match_torch(case):
    function, *values = GRADIENT_CASES[case]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ours = gradients(xpnet, function, *values)
    theirs = gradients(torch, function, *values)
    for a, b in zip(ours, theirs, strict=True):
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(np.signbit(a), np.signbit(b))


def test_dim_empty_tuple_reduces_everything_as_torch():
    values = [[1.0, 2.0], [3.0, 0.0]]
    for name in ("sum", "mean", "nansum", "count_nonzero"):
        ours = getattr(xpnet.tensor(values), name)(dim=())
        theirs = getattr(torch.tensor(values), name)(dim=())
        assert ours.shape == tuple(theirs.shape) and ours.item() == theirs.item(), name


def test_unary_plus_and_abs_as_torch():
    x = xpnet.tensor([1.0, -2.0], requires_grad=True)
    assert (+x) is x
    y = abs(x)
    y.sum().backward()
    assert y.tolist() == [1.0, 2.0] and x.grad.tolist() == [1.0, -1.0]


def test_std_and_var_of_nothing_are_nan_without_numpy_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert np.isnan(xpnet.zeros(0, dtype=xpnet.float64).std().item())
        assert np.isnan(xpnet.zeros(0, 3, dtype=xpnet.float64).var(0).numpy()).all()


WARNING_CASES = {
    "median of empty int64": lambda L: L.zeros(0, dtype=L.int64).median().item(),
    "isclose of huge values": lambda L: (
        L.tensor([1e308], dtype=L.float64).isclose(L.tensor([-1e308], dtype=L.float64)).tolist()
    ),
    "allclose of huge values": lambda L: L.allclose(
        L.tensor([1e308], dtype=L.float64), L.tensor([-1e308], dtype=L.float64)
    ),
    "index_put accumulating to inf": lambda L: (
        L.zeros(1, dtype=L.float64)
        .index_put_((L.tensor([0, 0]),), L.tensor([1e308, 1e308], dtype=L.float64), accumulate=True)
        .tolist()
    ),
}


@pytest.mark.parametrize("case", list(WARNING_CASES))
def test_results_match_torch_without_numpy_warnings(case):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ours = WARNING_CASES[case](xpnet)
    assert ours == WARNING_CASES[case](torch)
