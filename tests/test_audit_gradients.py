"""Regression tests for gradient defects a differential audit against PyTorch 2.13 found:
``var``/``std`` with ``correction`` above N, ``sinc`` at subnormals, ``cumprod`` and
``logcumsumexp`` of one element, ``remainder`` by infinity, the empty ``median``, and the
scatter family with an empty index. Each case runs the same code on ``torch`` and ``xpnet``
and compares values and gradients exactly (signs of zero too), with no NumPy warning."""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pytest
import torch

import xpnet

INF, NAN = float("inf"), float("nan")


def _grads(module, function, values, weight, dtype):
    """``(output, gradients)`` of ``(function(L, *leaves) * weight).sum()``; PyTorch's
    UserWarnings (degrees of freedom <= 0, beta APIs) are not what is tested."""
    with warnings.catch_warnings():
        if module is torch:
            warnings.simplefilter("ignore", UserWarning)
        leaves = [
            module.tensor(v, dtype=getattr(module, dtype), requires_grad=True) for v in values
        ]
        out = function(module, *leaves)
        (out * weight).sum().backward()
    return [np.asarray(t.tolist()) for t in [out.detach(), *(x.grad for x in leaves)]]


def assert_same(ours, theirs):
    for a, b in zip(ours, theirs, strict=True):
        assert a.shape == b.shape
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(np.signbit(a[a == a]), np.signbit(b[b == b]))


def check(function, *values, weights=(1.0, -2.0, 0.0), dtype="float64", output=True):
    """Outputs (unless not ``output``) and gradients equal PyTorch's, for each weight."""
    for weight in weights:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            ours = _grads(xpnet, function, values, weight, dtype)
        theirs = _grads(torch, function, values, weight, dtype)
        assert_same(ours[1 - output :], theirs[1 - output :])


ROW, SQUARE = [1.0, 2.0, 4.0], [[1.0, 2.0, 4.0], [3.0, 3.0, 3.0]]
VARIANCE_CASES = {
    "var, every element, correction > N": (lambda L, x: x.var(correction=5), ROW),
    "var, every element, correction = N": (lambda L, x: x.var(correction=3), ROW),
    "var, every element, an element at the mean": (lambda L, x: x.var(correction=5), [1, 2, 3.0]),
    "var, every element, a NaN": (lambda L, x: x.var(correction=5), [1.0, 2.0, NAN]),
    "var, every element, an inf": (lambda L, x: x.var(correction=5), [1.0, INF, 2.0]),
    "var, every element, kept dims": (lambda L, x: x.var(correction=7, keepdim=True), SQUARE),
    "var over dim, correction > N": (lambda L, x: x.var(dim=0, correction=5), ROW),
    "var over dim, float correction": (lambda L, x: x.var(dim=0, correction=3.5), ROW),
    "var over dim 1 of 2-d": (lambda L, x: x.var(dim=1, correction=5), SQUARE),
    "var over both dims": (lambda L, x: x.var(dim=(0, 1), correction=7), SQUARE),
    "var over dim, kept": (lambda L, x: x.var(dim=-1, correction=5, keepdim=True), ROW),
    "std over dim, correction > N": (lambda L, x: x.std(dim=0, correction=5), ROW),
    "var_mean, correction > N": (lambda L, x: L.var_mean(x, correction=5)[0], ROW),
    "var_mean over dim": (lambda L, x: L.var_mean(x, dim=0, correction=5)[0], ROW),
}


@pytest.mark.parametrize("case", list(VARIANCE_CASES))
def test_variance_gradient_with_correction_at_or_above_n(case):
    check(*VARIANCE_CASES[case])


def test_variance_gradient_keeps_float32():
    check(lambda L, x: x.var(correction=5) + x.var(0, correction=4), ROW, dtype="float32")


SINC_POINTS = [0.0, -0.0, 1e-310, -1e-310, 5e-324, 1e-200, 1e-160, 1e-8, 0.3, -2.5, 1e10]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_sinc_gradient_at_zero_and_subnormals(dtype):
    points = SINC_POINTS + [INF, -INF, NAN] if dtype == "float64" else [0.0, -0.0, 1e-40, 1e-23]
    check(lambda L, x: x.sinc(), points, dtype=dtype)


ONE_ELEMENT_CASES = {
    "cumprod of a 0-d inf": (lambda L, x: x.cumprod(0), INF),
    "cumprod of a 0-d -inf": (lambda L, x: x.cumprod(-1), -INF),
    "cumprod of a 0-d NaN": (lambda L, x: x.cumprod(0), NAN),
    "cumprod of a 1-element line": (lambda L, x: x.cumprod(0), [-INF]),
    "cumprod along a dim of size 1": (lambda L, x: x.cumprod(1), [[INF], [2.0]]),
    "cumprod along a dim of size 1 with a zero": (lambda L, x: x.cumprod(0), [[INF, 0.0]]),
    "logcumsumexp of a 0-d inf": (lambda L, x: x.logcumsumexp(0), INF),
    "logcumsumexp of a 0-d -inf": (lambda L, x: x.logcumsumexp(-1), -INF),
    "logcumsumexp of a 0-d NaN": (lambda L, x: x.logcumsumexp(0), NAN),
}


@pytest.mark.parametrize("case", list(ONE_ELEMENT_CASES))
def test_running_gradients_of_one_element(case):
    check(*ONE_ELEMENT_CASES[case])


def test_remainder_values_keep_the_dividends_zero_sign():
    """PyTorch's fmod-based formula (NumPy's remainder gives a zero the divisor's sign). No
    divisor is so small that a / b overflows: PyTorch's vectorised loop gives NaN there, its
    scalar loop the exact value (which xpnet gives)."""
    special = [0.0, -0.0, 1.0, -1.0, 2.5, -3.0, 7.25, 1e308, -1e308, INF, -INF, NAN]
    a, b = (list(v) for v in zip(*itertools.product(special, special), strict=True))
    for dtype in ("float64", "float32"):
        ours, theirs = (
            np.asarray(L.tensor(a, dtype=d).remainder(L.tensor(b, dtype=d)).tolist())
            for L, d in ((xpnet, getattr(xpnet, dtype)), (torch, getattr(torch, dtype)))
        )
        assert_same([ours], [theirs])


def test_atan2_gradients_of_huge_values_in_torchs_order():
    huge = [1e308, -1e308, 1e200, 3.0]
    a, b = (list(v) for v in zip(*itertools.product(huge, huge), strict=True))
    check(lambda L, x, y: x.atan2(y), a, b, weights=(1.0, 3.0))


def test_remainder_gradients_at_special_values():
    # values with subnormal divisors are not compared (see above)
    special = [0.0, -0.0, 1.0, -1.0, 2.5, -3.0, 1e-310, 1e308, -1e308, INF, -INF, NAN]
    a, b = (list(v) for v in zip(*itertools.product(special, special), strict=True))
    check(lambda L, x, y: x.remainder(y), a, b, output=False)
    check(lambda L, y: L.tensor([1.0, -1.0], dtype=L.float64).remainder(y), [-INF, INF])


@pytest.mark.parametrize("name", ["median", "nanmedian"])
@pytest.mark.parametrize("empty", [[], [[], []]])
def test_median_of_nothing_stays_in_the_graph(name, empty):
    check(lambda L, x: getattr(x, name)(), empty)


EMPTY_SOURCE_CASES = {
    "scatter": lambda L, x, y: x.scatter(0, L.tensor([], dtype=L.int64), y),
    "scatter_add": lambda L, x, y: x.scatter_add(0, L.tensor([], dtype=L.int64), y),
    "scatter_ in place": lambda L, x, y: x.clone().scatter_(0, L.tensor([], dtype=L.int64), y),
    **{
        f"scatter_reduce {reduce}": (
            lambda L, x, y, reduce=reduce: x.scatter_reduce(
                0, L.tensor([], dtype=L.int64), y, reduce, include_self=False
            )
        )
        for reduce in ("sum", "prod", "mean", "amax", "amin")
    },
    **{
        f"index_reduce {reduce}": (
            lambda L, x, y, reduce=reduce: x.index_reduce(0, L.tensor([], dtype=L.int64), y, reduce)
        )
        for reduce in ("prod", "mean", "amax", "amin")
    },
}


@pytest.mark.parametrize("case", list(EMPTY_SOURCE_CASES))
def test_an_empty_source_gets_its_empty_gradient(case):
    check(EMPTY_SOURCE_CASES[case], [1.0, -0.0, 3.0], [])


def test_an_empty_source_of_an_empty_input_gets_its_gradient():
    check(lambda L, x, y: x.scatter(0, L.tensor([], dtype=L.int64), y), [], [])


INDEX_FILL_CASES = {
    "no index": (lambda L, x, v: x.index_fill(0, L.tensor([], dtype=L.int64), v), [1.0, 2.0]),
    "a repeated index": (lambda L, x, v: x.index_fill(0, L.tensor([0, 2, 0]), v), [1, 2, 3.0]),
    "dim 1 of 2-d": (lambda L, x, v: x.index_fill(1, L.tensor([1]), v), [[1, 2, 3.0], [4, 5, 6]]),
    "0-d input": (lambda L, x, v: x.index_fill(0, L.tensor(0), v), -0.0),
    "an empty input": (lambda L, x, v: x.index_fill(0, L.tensor([1]), v), [[], []]),
    "in place": (lambda L, x, v: x.clone().index_fill_(0, L.tensor([1, 1]), v), [1.0, 2.0]),
}


@pytest.mark.parametrize("case", list(INDEX_FILL_CASES))
def test_index_fill_value_gets_the_gradients_of_the_filled_elements(case):
    function, values = INDEX_FILL_CASES[case]
    check(function, values, 2.5, weights=(1.0, -2.0, 0.0))
