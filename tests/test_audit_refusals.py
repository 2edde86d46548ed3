"""Regression tests for calls a differential refusal audit against PyTorch 2.13 found
(2026-12-06): PyTorch refuses them and xpnet returned a value, or raised an error that did not
name the method. Each case checks that PyTorch refuses the call too, then that xpnet raises the
expected class with a message naming the function."""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch

import xpnet
from xpnet.backends import raise_deferred


def _tensor(module, values, dtype):
    return module.tensor(values, dtype=getattr(module, dtype))


# name -> (call on module M and tensors x (float32), i (int64), b (bool), the expected class,
# the function the message must name)
CASES = {
    # bool parameters take only a bool, as PyTorch's argument parser
    "sum keepdim=0": (lambda M, x, i, b: x.sum(0, 0), TypeError, "sum"),
    "mean keepdim=None": (lambda M, x, i, b: x.mean(0, keepdim=None), TypeError, "mean"),
    "max keepdim=1": (lambda M, x, i, b: x.max(0, 1), TypeError, "max"),
    "amax keepdim=1": (lambda M, x, i, b: x.amax(0, 1), TypeError, "amax"),
    "argmax keepdim=0": (lambda M, x, i, b: x.argmax(0, 0), TypeError, "argmax"),
    "topk largest=1": (lambda M, x, i, b: x.topk(1, 0, 1), TypeError, "topk"),
    "sort descending=1": (lambda M, x, i, b: x.sort(0, 1), TypeError, "sort"),
    "unique sorted=0": (lambda M, x, i, b: x.unique(0), TypeError, "unique"),
    "xpnet.sum keepdim=None": (lambda M, x, i, b: M.sum(x, 0, None), TypeError, "sum"),
    # float parameters take only a number
    "nan_to_num nan=(1,)": (lambda M, x, i, b: x.nan_to_num((1,)), TypeError, "nan_to_num"),
    "nan_to_num posinf=None-like tuple": (
        lambda M, x, i, b: x.nan_to_num(0.0, (1,)),
        TypeError,
        "nan_to_num",
    ),
    "isclose rtol tensor": (lambda M, x, i, b: x.isclose(x, x), TypeError, "isclose"),
    # integer division by zero
    "int // 0": (lambda M, x, i, b: i // 0, ZeroDivisionError, "floor_divide"),
    "int.floor_divide(int zeros)": (
        lambda M, x, i, b: i.floor_divide(i * 0),
        ZeroDivisionError,
        "floor_divide",
    ),
    "int % 0": (lambda M, x, i, b: i % 0, ZeroDivisionError, "remainder"),
    "int.fmod(tensor with 0)": (lambda M, x, i, b: i.fmod(i - 1), ZeroDivisionError, "fmod"),
    "int.div(0, trunc)": (
        lambda M, x, i, b: i.div(0, rounding_mode="trunc"),
        ZeroDivisionError,
        "div",
    ),
    "int.remainder_(0)": (lambda M, x, i, b: i.remainder_(0), ZeroDivisionError, "remainder"),
    # dtypes PyTorch has no kernel for
    "bool // bool": (lambda M, x, i, b: b // b, TypeError, "floor_divide"),
    "hypot of integers": (lambda M, x, i, b: i.hypot(i), TypeError, "hypot"),
    "logaddexp of integers": (lambda M, x, i, b: M.logaddexp(i, i), TypeError, "logaddexp"),
    "frac of integers": (lambda M, x, i, b: i.frac(), TypeError, "frac"),
    "trunc of bools": (lambda M, x, i, b: b.trunc(), TypeError, "trunc"),
    # Python's arity errors name the method, not a lambda or closure
    "float(1)": (lambda M, x, i, b: x.float(1), TypeError, "float"),
    "sigmoid(1)": (lambda M, x, i, b: x.sigmoid(1), TypeError, "sigmoid"),
    "abs(1)": (lambda M, x, i, b: x.abs(1), TypeError, "abs"),
}


def _run(module, case):
    call, *_ = CASES[case]
    x = _tensor(module, [[1.5, -2.0], [0.5, 3.0]], "float32")
    i = _tensor(module, [[1, 2], [3, 4]], "int64")
    b = _tensor(module, [[True, False], [False, True]], "bool")
    result = call(module, x, i, b)
    if module is xpnet:
        raise_deferred()  # strict defers the value checks to the next host read
    return result


@pytest.mark.parametrize("case", list(CASES))
def test_torch_refuses_too(case):
    with pytest.raises((RuntimeError, TypeError, ValueError, IndexError)):
        _run(torch, case)


@pytest.mark.parametrize("case", list(CASES))
def test_xpnet_refuses_and_names_the_function(case, xp):
    _, expected, name = CASES[case]
    with pytest.raises(expected, match=rf"\b{re.escape(name)}\b"):
        _run(xpnet, case)


def test_integer_division_by_zero_is_also_a_runtime_error_as_torch():
    with pytest.raises(RuntimeError, match="floor_divide: integer division by zero"):
        xpnet.tensor([1, 2]) // 0


def test_integer_division_by_a_device_zero_is_deferred_on_strict():
    with xpnet.backends.use_backend("strict") as strict:
        divisor = xpnet.Tensor(strict.xp.asarray([1, 0]))
        result = xpnet.Tensor(strict.xp.asarray([4, 5])) // divisor  # no host read yet
        with pytest.raises(ZeroDivisionError, match="floor_divide"):
            result.tolist()


@pytest.mark.parametrize(
    "call",
    [
        lambda M: M.tensor([7, -7]) // 2,
        lambda M: M.tensor([7, -7]) % -3,
        lambda M: M.tensor([7, -7]).fmod(M.tensor([2, 3])),
        lambda M: M.tensor([1.0, -1.0]) // 0,
        lambda M: M.tensor([1.0, 2.0]).sum(0, True),
        lambda M: M.tensor([1.0, 2.0]).nan_to_num(0.0, 1, -1),
        lambda M: M.tensor([1.0, 2.0]).isclose(M.tensor([1.0, 2.5]), 0, 1),
    ],
)
def test_accepted_calls_still_match_torch(call):
    np.testing.assert_array_equal(np.asarray(call(xpnet).tolist()), call(torch).numpy())
