"""Regression tests for the differences from PyTorch 2.13 the audit of reductions, statistics,
sorting and scans found (2026-12-07): wrong values (``quantile`` along a dim of a 3-d tensor,
``unique`` merging NaNs, ``nansum(dtype=int64)`` over NaN, ``cumprod``'s gradient with an inf
before a zero) and refusals of another class than PyTorch's (a dim listed twice, a max of no
elements without a dim, bool and integer inputs that PyTorch does not implement).

PyTorch is the oracle: each case runs on both libraries; a refusal must be PyTorch's class
with a message naming the function and the argument, a value PyTorch's.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import xpnet
from xpnet.backends import raise_deferred

NAN, INF = float("nan"), float("inf")


def _both(call, data, dtype="float64"):
    """``call(module, x)`` on torch and on xpnet (warnings as errors), ``x`` from ``data``."""
    results = []
    for module in (torch, xpnet):
        x = module.tensor(np.asarray(data, dtype=dtype))
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            results.append(call(module, x))
            raise_deferred()
    return results


def _same(expected, got):
    expected = expected if isinstance(expected, tuple) else (expected,)
    got = got if isinstance(got, tuple) else (got,)
    assert len(expected) == len(got)
    for e, g in zip(expected, got, strict=True):
        e, g = e.detach().numpy(), np.asarray(g.detach().numpy())
        assert e.shape == g.shape and str(e.dtype) == str(g.dtype)
        np.testing.assert_allclose(g, e, rtol=1e-12, atol=0, equal_nan=True)


def _refused_as_torch(call, data, dtype, pattern):
    with pytest.raises(Exception) as expected:
        _both(call, data, dtype)
    with pytest.raises(expected.type, match=pattern):
        call(xpnet, xpnet.tensor(np.asarray(data, dtype=dtype)))


# 1. a dim listed twice: PyTorch's RuntimeError (was NumPy's ValueError, or accepted for 0-d)
@pytest.mark.parametrize("name", ["sum", "mean", "nansum", "nanmean"])
@pytest.mark.parametrize("shape", [(3,), ()])
def test_a_dim_listed_twice_is_torchs_error(name, shape):
    call = lambda M, x: getattr(M, name)(x, (-1, 0))  # noqa: E731
    pattern = rf"{name}: dim must name each dim.*\(-1, 0\)"
    _refused_as_torch(call, np.ones(shape), "float64", pattern)


# 2. max, min, amax, amin, aminmax of no elements without a dim: PyTorch's RuntimeError
EMPTY_EXTREMES = {
    "max": lambda M, x: M.max(x),
    "min": lambda M, x: x.min(),
    "amax": lambda M, x: M.amax(x),
    "amin": lambda M, x: x.amin(()),
    "aminmax": lambda M, x: M.aminmax(x),
}


@pytest.mark.parametrize("name", EMPTY_EXTREMES)
def test_extreme_of_no_elements_is_torchs_error(name):
    _refused_as_torch(EMPTY_EXTREMES[name], np.zeros((0, 3)), "float64", rf"{name}.*(dim|no elem)")


# 3. dtypes PyTorch does not implement: its NotImplementedError (a RuntimeError), or its
# RuntimeError for norm (still the TypeError xpnet gave before)
UNIMPLEMENTED = {
    "median": (lambda M, x: M.median(x, 0), "bool"),
    "nanmedian": (lambda M, x: x.nanmedian(), "bool"),
    "kthvalue": (lambda M, x: M.kthvalue(x, 1), "bool"),
    "histc": (lambda M, x: M.histc(x, 4), "int64"),
    "bincount": (lambda M, x: M.bincount(x), "float32"),
    "logcumsumexp": (lambda M, x: M.logcumsumexp(x, 0), "int64"),
    "searchsorted": (lambda M, x: M.searchsorted(x, x), "bool"),
    "norm": (lambda M, x: M.norm(x), "int64"),
}


@pytest.mark.parametrize("name", UNIMPLEMENTED)
def test_unimplemented_dtype_is_torchs_error(name):
    call, dtype = UNIMPLEMENTED[name]
    _refused_as_torch(call, [0, 1, 1], dtype, rf"{name}.*(bool|int|float|integral)")
    if name == "norm":
        with pytest.raises(TypeError):
            call(xpnet, xpnet.tensor([1, 2]))


# 4. nanmean checks the input's dtype before a cast, nansum counts NaN as 0 before it
def test_nanmean_of_integers_with_a_float_dtype_is_refused():
    call = lambda M, x: M.nanmean(x, dtype=M.float64)  # noqa: E731
    _refused_as_torch(call, [1, 2], "int64", r"nanmean\(\): expected input to have floating")


def test_nansum_to_integers_counts_nan_as_zero():
    _same(*_both(lambda M, x: M.nansum(x, 0, dtype=M.int64), [[1.5, NAN], [2.5, 3.0]]))


# 5. quantile along a dim before the last two keeps the others in order (they were swapped)
@pytest.mark.parametrize("dim", [0, 1, -4])
@pytest.mark.parametrize("name", ["quantile", "nanquantile"])
def test_quantile_along_a_leading_dim_is_torchs(name, dim):
    data = np.random.default_rng(0).standard_normal((2, 3, 4, 2))
    results = []
    for module in (torch, xpnet):
        x = module.tensor(data, requires_grad=True)
        q = module.tensor([0.25, 0.6], dtype=module.float64)
        out = getattr(module, name)(x, q, dim, interpolation="linear")
        weight = np.random.default_rng(1).standard_normal(tuple(out.shape))
        (out * module.tensor(weight)).sum().backward()
        results.append((out, x.grad))
    _same(*results)


def test_quantile_of_no_elements_is_torchs_error():
    call = lambda M, x: M.quantile(x, 0.5)  # noqa: E731
    _refused_as_torch(call, np.zeros(0), "float64", r"quantile\(\) input tensor must be non-empty")


# 6. unique: each NaN is a value of its own, as PyTorch's (NumPy's unique merges them)
@pytest.mark.parametrize("data", [[NAN, 1.0, NAN, 1.0], [[NAN, 0.0], [2.0, NAN]]])
def test_unique_keeps_each_nan(data):
    call = lambda M, x: M.unique(x, return_inverse=True, return_counts=True)  # noqa: E731
    _same(*_both(call, data))


@pytest.mark.parametrize(
    ("data", "pattern"),
    [(np.array(1.0), r"unique: dim=0 given for a 0-d"), (np.zeros((2, 0)), r"unique: shape")],
)
def test_unique_along_a_dim_refuses_as_torch(data, pattern):
    _refused_as_torch(lambda M, x: M.unique(x, dim=0), data, "float64", pattern)


# 7. cumprod's gradient before a line's first zero leaves out the products from it on (0 in
# PyTorch's formula), which an inf made NaN
def test_cumprod_gradient_with_an_inf_before_a_zero_is_torchs():
    grads = []
    for module in (torch, xpnet):
        x = module.tensor([[INF, 2.0, -0.0, INF], [1.0, 2.0, 0.0, 3.0]], requires_grad=True)
        module.cumprod(x, 1).backward(module.tensor([[1.0, 2.0, 3.0, 4.0]] * 2))
        grads.append(x.grad)
    _same(*grads)


# 8. an integer dtype= is the result's dtype (was int64, uint64 for cumprod: NumPy's
# accumulators), its values wrapped as PyTorch's
INTEGER_DTYPES = {
    "prod": lambda M, x: M.prod(x, dtype=M.uint8),
    "prod_dim": lambda M, x: x.prod(0, dtype=M.int16),
    "cumprod": lambda M, x: M.cumprod(x, 0, dtype=M.uint8),
    "cumprod_int32": lambda M, x: M.cumprod(x.int(), 0, dtype=M.int32),
    "nansum": lambda M, x: M.nansum(x, dtype=M.uint8),
}


@pytest.mark.parametrize("name", INTEGER_DTYPES)
def test_an_integer_dtype_is_the_results(name):
    _same(*_both(INTEGER_DTYPES[name], [100, 3, 7], "uint8"))


# 9. cummax and cummin give a named tuple (values, indices), as PyTorch's
@pytest.mark.parametrize("name", ["cummax", "cummin"])
def test_running_extremes_are_named(name):
    expected, got = _both(lambda M, x: getattr(M, name)(x, 0), [1.0, NAN, 0.0, 2.0])
    _same((expected.values, expected.indices), (got.values, got.indices))
