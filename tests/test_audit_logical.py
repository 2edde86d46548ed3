"""Regression tests for the differences from PyTorch 2.13 the audit of comparisons, closeness
and selection found (2026-12-07): ``isclose`` of infinite differences with infinite tolerances,
NaN tolerances and shapes that do not broadcast; ``nan_to_num(nan=None)``; ``clamp_min`` and
``clamp_max`` of ``None``; and ``xpnet.testing.assert_close``'s ``msg`` on structural
mismatches, its check of every pair and tolerance before the values, of negative tolerances,
bool numbers; ``isclose`` with zero tolerances being equality for large integers.

PyTorch is the oracle: each case runs on both libraries; a refusal must be PyTorch's class
with a message naming the function and the argument, a value PyTorch's.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from _oracle import refused_as_torch

import xpnet
import xpnet.testing
from xpnet.backends import raise_deferred

INF, NAN = float("inf"), float("nan")


def _run(module, call):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no NumPy warning may leak
        result = call(module)
        if module is xpnet:
            raise_deferred()  # strict defers the value checks to the next host read
        return result


def _as_list(value):
    return value.tolist() if hasattr(value, "tolist") else value


def _same_as_torch(call):
    assert _as_list(_run(xpnet, call)) == _as_list(_run(torch, call))


# 1. isclose: only a finite difference is close, whatever the tolerances (torch's formula)
CLOSE = {
    "inf beside a number, rtol inf": ([-INF, 1.0], [-1.0, 1.0], {"rtol": INF}),
    "inf beside a number, atol inf": ([INF, 1.0], [2.0, 1.0], {"atol": INF}),
    "overflowing difference": ([3e38, -3e38], [-3e38, 3e38], {"rtol": 0.0, "atol": INF}),
}


@pytest.mark.parametrize("name", CLOSE)
@pytest.mark.parametrize("form", ["function", "method"])
def test_isclose_infinite_difference_is_torchs(name, form, backend):
    a, b, kwargs = CLOSE[name]

    def call(M):
        x, y = M.tensor(a, dtype=M.float32), M.tensor(b, dtype=M.float32)
        return M.isclose(x, y, **kwargs) if form == "function" else x.isclose(y, **kwargs)

    _same_as_torch(call)


def test_isclose_with_zero_tolerances_is_equality_of_large_integers(backend):
    def call(M):
        x, y = M.tensor([2**62 + 1, 5]), M.tensor([2**62, 5])
        return M.isclose(x, y, rtol=0, atol=0)

    _same_as_torch(call)


@pytest.mark.parametrize("name", ["rtol", "atol"])
def test_isclose_nan_tolerance_is_torchs_error(name, backend):
    def call(M):
        x = M.tensor([1.0, 2.0])
        return M.isclose(x, x, **{name: NAN})

    refused_as_torch(_run, call, f"isclose: {name} must be greater than or equal to zero")


def test_isclose_shapes_that_do_not_broadcast_are_torchs_error(backend):
    def call(M):
        return M.zeros(2).isclose(M.zeros(3))

    refused_as_torch(_run, call, r"size of tensor a \(2\) must match the size of tensor b \(3\)")


# 2. nan_to_num: nan=None is PyTorch's default, 0
NAN_TO_NUM = {
    "function": lambda M, x: M.nan_to_num(x, nan=None),
    "method": lambda M, x: x.nan_to_num(None, 5.0),
    "in place": lambda M, x: x.clone().nan_to_num_(nan=None, neginf=-5.0),
}


@pytest.mark.parametrize("form", NAN_TO_NUM)
def test_nan_to_num_of_nan_none_is_zero_as_torch(form, backend):
    _same_as_torch(lambda M: NAN_TO_NUM[form](M, M.tensor([NAN, INF, -INF, 1.5])))


# 3. clamp_min / clamp_max of None: PyTorch's parser refuses it (TypeError)
CLAMP_NONE = {
    "clamp_min": lambda M, x: M.clamp_min(x, None),
    "clamp_max": lambda M, x: M.clamp_max(x, None),
    "Tensor.clamp_min": lambda M, x: x.clamp_min(None),
    "Tensor.clamp_max_": lambda M, x: x.clamp_max_(None),
}


@pytest.mark.parametrize("name", CLAMP_NONE)
def test_clamp_min_max_of_none_is_torchs_type_error(name, backend):
    argument = "min" if "min" in name else "max"
    call = lambda M: CLAMP_NONE[name](M, M.tensor([1.0, 2.0]))  # noqa: E731
    refused_as_torch(_run, call, f"clamp_m..: {argument} must be a number or a Tensor")


# 4. xpnet.testing.assert_close against torch.testing.assert_close
def _assert_close(module, actual, expected, **kwargs):
    convert = torch.tensor if module is torch else xpnet.tensor

    def leaves(value):
        if isinstance(value, dict):
            return {key: leaves(item) for key, item in value.items()}
        if isinstance(value, list):
            return [leaves(item) for item in value]
        return convert(value) if isinstance(value, np.ndarray) else value

    function = torch.testing.assert_close if module is torch else xpnet.testing.assert_close
    with pytest.raises(Exception) as raised:  # noqa: PT011 - compared below
        function(leaves(actual), leaves(expected), **kwargs)
    return raised.type, str(raised.value)


STRUCTURAL = {
    "keys": ({"a": np.ones(1)}, {"b": np.ones(1)}),
    "lengths": ([np.ones(1)], [np.ones(1), np.ones(1)]),
    "no comparison pair": ("a", "a"),
    "one tolerance": (np.ones(1), np.ones(1), {"rtol": 1e-3}),
}


@pytest.mark.parametrize("name", STRUCTURAL)
@pytest.mark.parametrize("msg", ["custom", lambda text: "prefix " + text])
def test_assert_close_msg_leaves_structural_mismatches_as_torch(name, msg, backend):
    actual, expected, *kwargs = STRUCTURAL[name]
    kwargs = {**(kwargs[0] if kwargs else {}), "msg": msg}
    ours = _assert_close(xpnet, actual, expected, **kwargs)
    assert ours == _assert_close(torch, actual, expected, **kwargs)
    values = ({"a": np.ones(2)}, {"a": np.array([1.0, 2.0])})  # msg replaces these
    assert _assert_close(xpnet, *values, msg=msg) == _assert_close(torch, *values, msg=msg)


@pytest.mark.parametrize("kwargs", [{"rtol": 1e-3}, {"atol": 1e-3}])
def test_assert_close_checks_tolerances_before_number_types_as_torch(kwargs, backend):
    assert _assert_close(xpnet, 1, 1.0, **kwargs) == _assert_close(torch, 1, 1.0, **kwargs)


@pytest.mark.parametrize("tolerance", [-1.0, NAN])
def test_assert_close_negative_tolerance_is_torchs_runtime_error(tolerance, backend):
    with pytest.raises(RuntimeError, match="assert_close: rtol must be greater than or equal"):
        xpnet.testing.assert_close(xpnet.ones(2), xpnet.ones(2), rtol=tolerance, atol=0.0)
    with pytest.raises(RuntimeError):
        torch.testing.assert_close(torch.ones(2), torch.ones(2), rtol=tolerance, atol=0.0)


def test_assert_close_bool_beside_int_number_does_not_crash(backend):
    # PyTorch 2.13 fails inside (its number pair has no bool): compared as numbers here
    xpnet.testing.assert_close(True, 1, check_dtype=False)
    with pytest.raises(AssertionError, match="Scalars are not equal"):
        xpnet.testing.assert_close(True, 2, check_dtype=False)
    with pytest.raises(AssertionError, match=r"The \(d\)types do not match"):
        xpnet.testing.assert_close(True, 1)


def test_assert_close_finds_every_pair_before_comparing_values_as_torch(backend):
    actual, expected = [np.ones(1), "a"], [np.zeros(1), "a"]
    ours = _assert_close(xpnet, actual, expected)
    assert ours == _assert_close(torch, actual, expected)


# Found by the same audit outside its files, fixed after it
def _bits(value):
    """Values with their signs of zero and NaNs, comparable with ==."""
    array = np.asarray(_as_list(value), dtype=np.float64)
    return [(bool(np.isnan(v)), bool(np.signbit(v)), 0.0 if np.isnan(v) else v) for v in array]


@pytest.mark.parametrize(
    "call",
    [
        lambda M: M.tensor([-0.0, 0.0, 1.0, NAN, -2.0]).clamp(min=0.0),
        lambda M: M.tensor([-0.0, 0.0, 1.0, NAN, -2.0]).clamp(min=-0.0),
        lambda M: M.tensor([-0.0, 0.0, 1.0, NAN, -2.0]).clamp(max=-0.0),
        lambda M: M.tensor([-0.0, 0.0, 1.0, NAN, -2.0]).clamp(min=NAN),
        lambda M: M.tensor([-0.0, 0.0, 1.0, NAN, -2.0]).clamp(max=M.tensor(NAN)),
        lambda M: M.tensor([-0.0, 0.0, 1.0, NAN, -2.0]).clamp(1.0, 0.0),
        lambda M: M.clamp_min(M.tensor([-0.0, 0.5]), M.tensor(0.0)),
        lambda M: M.nan_to_num(M.tensor([NAN, INF, -INF]), nan=1e300),
        lambda M: M.nan_to_num(M.tensor([NAN, INF], dtype=M.float16), nan=1e5, posinf=7.0),
        lambda M: M.tensor([1.0, 2.0], dtype=M.float16) <= M.tensor(1e308, dtype=M.float64),
    ],
)
def test_signed_zeros_nans_and_casts_are_torchs(call, backend):
    assert _bits(_run(xpnet, call)) == _bits(_run(torch, call))


@pytest.mark.parametrize(
    "call",
    [
        lambda M: M.tensor([44, 255, 0], dtype=M.uint8).eq(300),  # 300 wraps to 44
        lambda M: M.tensor([44, 255, 0], dtype=M.uint8).ne(-1),
        lambda M: M.eq(M.tensor([44, 255], dtype=M.uint8), 300),
        lambda M: M.allclose(
            M.tensor([1e308], dtype=M.float64), M.tensor([-1e308], dtype=M.float64),
            rtol=0.0, atol=INF,
        ),
    ],
)  # fmt: skip
def test_comparisons_wrap_and_allclose_is_isclose(call, backend):
    _same_as_torch(call)


@pytest.mark.parametrize(
    ("call", "pattern"),
    [
        (lambda M: M.zeros(2).eq(M.zeros(3)), "size of tensor a"),
        (lambda M: M.allclose(M.zeros(2), M.zeros(3)), "size of tensor a"),
        (lambda M: M.tensor([True]).clamp(M.tensor([False]), M.tensor([True])), "clamp"),
    ],
)
def test_refused_as_torch_outside_the_audits_files(call, pattern):
    refused_as_torch(_run, call, pattern)
