"""Regression tests for the arithmetic differences from PyTorch 2.13 the 2026-12-07 audit of
binary operators, promotion and in-place casting found: an integer division by a number
that wraps to zero in the tensor's dtype (``uint8 // 256``), ``300 // int8`` and
``1e300 // float32`` (NumPy's OverflowError and warning), ``pow`` of integers by a negative
or out-of-range number, ``int /= int`` (NumPy's UFuncTypeError), ``lerp``'s choice of
formula for weights below -0.5 and its integer refusal, ``addcmul`` of bools, float16
``addcmul``/``addcdiv`` overflowing on the way, float16 times or divided by a Python number
(PyTorch computes in float32 and rounds once), and ``+`` of a bool tensor.

PyTorch is the oracle: each case runs on both libraries; a refusal must be an instance of
PyTorch's class, a value PyTorch's, bit for bit, with NumPy's warnings as errors.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import torch

import xpnet
from xpnet.backends import raise_deferred


def _run(module, call):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = call(module)
        if module is xpnet:
            raise_deferred()  # strict defers the value checks to the next host read
            result = np.asarray(result.tolist(), dtype=str(result.dtype))
        else:
            result = result.detach().numpy()
    return result


def _same_as_torch(call):
    expected, actual = _run(torch, call), _run(xpnet, call)
    assert actual.dtype == expected.dtype and actual.shape == expected.shape
    np.testing.assert_array_equal(actual, expected)  # NaN equals NaN here


def _refused_as_torch(call, pattern):
    with pytest.raises(Exception) as expected:
        _run(torch, call)
    with pytest.raises(expected.type, match=pattern):
        _run(xpnet, call)


def _u8(M):
    return M.tensor([1, 2, 7], dtype=M.uint8)


# 1. a number divisor that wraps to zero in an integer dtype: PyTorch's ZeroDivisionError
WRAPPED_ZEROS = {
    "uint8 // 256": lambda M: _u8(M) // 256,
    "uint8 % 256": lambda M: _u8(M) % 256,
    "floor_divide(int8, 2**40)": lambda M: M.floor_divide(_u8(M).to(M.int8), 2**40),
    "div(trunc, 512)": lambda M: M.div(_u8(M), 512, rounding_mode="trunc"),
    "remainder(int16, 2**16)": lambda M: M.remainder(_u8(M).to(M.int16), 2**16),
    "fmod(int32, 2**32)": lambda M: M.fmod(_u8(M).to(M.int32), 2**32),
    "uint8.div_(256, floor)": lambda M: _u8(M).div_(256, rounding_mode="floor"),
}


@pytest.mark.parametrize("case", list(WRAPPED_ZEROS))
def test_a_divisor_wrapping_to_zero_is_an_integer_division_by_zero(case, backend):
    _refused_as_torch(WRAPPED_ZEROS[case], "division by zero")


# 2. a number dividend outside the tensor's dtype: wrapped, or inf, as PyTorch's
REFLECTED = {
    "300 // int8": lambda M: 300 // M.tensor([3, -7, 5], dtype=M.int8),
    "300 % int8": lambda M: 300 % M.tensor([3, -7, 5], dtype=M.int8),
    "-3 // uint8": lambda M: -3 // _u8(M),
    "2**40 % int32": lambda M: 2**40 % M.tensor([3, -7, 5], dtype=M.int32),
    "1e300 // float32": lambda M: 1e300 // M.tensor([3.0, -7.0, 0.5]),
    "1e300 % float16": lambda M: 1e300 % M.tensor([3.0, -7.0, 0.5], dtype=M.float16),
    "1e300 // int16": lambda M: 1e300 // M.tensor([3, -7, 5], dtype=M.int16),
    "floor_divide(70000.0, float16)": lambda M: M.floor_divide(
        70000.0, M.tensor([3.0, 0.5], dtype=M.float16)
    ),
}


@pytest.mark.parametrize("case", list(REFLECTED))
def test_a_number_dividend_outside_the_dtype_as_torch(case, backend):
    _same_as_torch(REFLECTED[case])


# 3. pow of integers by a negative int, and by a number the dtype cannot hold
POW_REFUSALS = {
    "uint8.pow(-3)": (lambda M: _u8(M).pow(-3), "negative integer powers"),
    "pow(int8, -1)": (lambda M: M.pow(_u8(M).to(M.int8), -1), "negative integer powers"),
    "int64 ** -2": (lambda M: M.tensor([2, 3]) ** -2, "negative integer powers"),
    "bool ** -1": (lambda M: M.tensor([True]) ** -1, "negative integer powers"),
    "int16.pow_(-1)": (lambda M: M.tensor([2], dtype=M.int16).pow_(-1), "negative integer"),
    "int8.pow(300)": (lambda M: _u8(M).to(M.int8).pow(300), r"pow: exponent 300\b"),
    "uint8.pow(2**40)": (lambda M: _u8(M).pow(2**40), r"pow: exponent \d+ .*uint8"),
    "float16.pow(70000.0)": (
        lambda M: M.tensor([2.0], dtype=M.float16).pow(70000.0),
        r"pow: exponent 70000\.0 .*float16",
    ),
}
POW_VALUES = {
    "int8.pow(70000.0)": lambda M: _u8(M).to(M.int8).pow(70000.0),
    "float32.pow(1e300)": lambda M: M.tensor([0.5, 2.0]).pow(1e300),
    "float16.pow(300)": lambda M: M.tensor([0.5, 2.0], dtype=M.float16).pow(300),
    "int64.pow(int64 -1)": lambda M: M.tensor([1, -1, 2]).pow(M.tensor(-1)),
    "int32.pow(3)": lambda M: M.tensor([2, -3], dtype=M.int32).pow(3),
    "bool.pow(300)": lambda M: M.tensor([True, False]).pow(300),
}


@pytest.mark.parametrize("case", list(POW_REFUSALS))
def test_pow_refuses_what_torch_refuses(case, backend):
    _refused_as_torch(*POW_REFUSALS[case])


@pytest.mark.parametrize("case", list(POW_VALUES))
def test_pow_by_numbers_torch_takes(case, backend):
    _same_as_torch(POW_VALUES[case])


# 4. true division in place of integers of one dtype: PyTorch's cast refusal
@pytest.mark.parametrize("dtype", ["uint8", "int8", "int32", "int64", "bool"])
def test_integer_true_division_in_place_is_refused(dtype, backend):
    def call(M):
        x = M.tensor([1, 2, 3], dtype=getattr(M, dtype))
        x /= M.tensor([1, 1, 1], dtype=getattr(M, dtype))
        return x

    _refused_as_torch(call, "can't be cast")


@pytest.mark.parametrize("dtype", ["uint8", "int64"])
def test_integer_in_place_arithmetic_of_one_dtype_still_runs(dtype, backend):
    def call(M):
        x = M.tensor([250, 2, 3], dtype=getattr(M, dtype))
        x += x  # wraps in uint8, as PyTorch's
        x *= M.tensor([3, 1, 2], dtype=getattr(M, dtype))
        x -= 1
        return x

    _same_as_torch(call)


# 5. lerp: PyTorch's formula by |weight| < 0.5 (where they differ: inf), integers refused
LERPS = {
    "weight -1.0": lambda M: M.lerp(M.tensor([1.0, 2.0]), M.tensor([math.inf, 3.0]), -1.0),
    "weight -0.7": lambda M: M.lerp(M.tensor([1.0]), M.tensor([-math.inf]), -0.7),
    "weight tensor -inf": lambda M: M.lerp(
        M.tensor([-2.5, 1.0]), M.tensor([-math.inf, 2.0]), M.tensor([-math.inf, -3.0])
    ),
    "weight tensor -0.6": lambda M: M.lerp(M.tensor([1.0]), M.tensor([math.inf]), M.tensor(-0.6)),
}


@pytest.mark.parametrize("case", list(LERPS))
def test_lerp_picks_torchs_formula(case, backend):
    _same_as_torch(LERPS[case])


def test_lerp_refuses_integers_as_torch(backend):
    x = lambda M: M.tensor([1, 2])  # noqa: E731
    with pytest.raises(NotImplementedError):
        torch.lerp(x(torch), x(torch), 0.5)
    with pytest.raises(NotImplementedError, match="lerp: input must be floating point"):
        xpnet.lerp(x(xpnet), x(xpnet), 0.5)


# 6. addcmul of bools; float16 addcmul/addcdiv computed in float32, rounded once
def test_addcmul_refuses_bools_as_torch(backend):
    b = lambda M: M.tensor([True, False])  # noqa: E731
    with pytest.raises(NotImplementedError):
        torch.addcmul(b(torch), b(torch), b(torch))
    with pytest.raises(NotImplementedError, match="addcmul: input must be non-bool"):
        xpnet.addcmul(b(xpnet), b(xpnet), b(xpnet))


ADDC = {
    "addcdiv(f16 60000 / 60000)": lambda M, h: M.addcdiv(h([1.0]), h([6e4]), h([6e4]), value=2),
    "addcmul(f16 300 * 300)": lambda M, h: M.addcmul(h([-6e4, 1.0]), h([300, 1e-4]), h([300, 3])),
    "addcmul(f16 -inf, int32 2**31-1)": lambda M, h: M.addcmul(
        h([-math.inf]), M.tensor([2**31 - 1], dtype=M.int32), M.tensor([1], dtype=M.int32)
    ),
    "addcdiv(int8, f16 60000)": lambda M, h: M.addcdiv(
        M.tensor([3], dtype=M.int8), h([6e4]), h([6e4]), value=2
    ),
}


@pytest.mark.parametrize("case", list(ADDC))
def test_float16_addcmul_and_addcdiv_as_torch(case, backend):
    _same_as_torch(lambda M: ADDC[case](M, lambda v: M.tensor(v, dtype=M.float16)))


# 7. float16 times or divided by a Python number: in float32, rounded once, as PyTorch's
HALVES = np.clip(np.r_[0.0, -0.0, np.arange(-65504.0, 65504.0, 3.37)], -65504, 65504)
HALVES = HALVES.astype(np.float16)
SCALED = {
    "x * 1e-5": lambda x: x * 1e-5,
    "0.1 * x": lambda x: 0.1 * x,
    "x / 3.3": lambda x: x / 3.3,
    "x / 70000": lambda x: x / 70000,
    "x * 2**40": lambda x: x * 2**40,
    "mul(x, 1/3)": lambda x: x.mul(1 / 3),
    "x *= 0.7": lambda x: x.__imul__(0.7),
    "x.div_(0.1)": lambda x: x.div_(0.1),
    "div(x, 0.1, trunc)": lambda x: x.div(0.1, rounding_mode="trunc"),
    "div(x, 3.3, floor)": lambda x: x.div(3.3, rounding_mode="floor"),
    "x // 0.7": lambda x: x // 0.7,
    "div(x, x.flip(0), trunc)": lambda x: x.div(x.flip(0), rounding_mode="trunc"),  # float16
}


@pytest.mark.parametrize("case", list(SCALED))
def test_float16_by_a_number_rounds_once_as_torch(case, backend):
    _same_as_torch(lambda M: SCALED[case](M.tensor(HALVES)))


def test_float16_gradient_of_a_product_with_a_number_as_torch(backend):
    def grad(M):
        x = M.tensor(HALVES[:200], dtype=M.float16, requires_grad=True)
        (x * 1e-5).backward(M.tensor(HALVES[200:400], dtype=M.float16))
        return x.grad

    _same_as_torch(grad)


# 8. + of a bool tensor: refused, as PyTorch's (which refuses positive() too)
def test_plus_of_a_bool_tensor_is_refused(backend):
    with pytest.raises(RuntimeError, match="bool"):
        +torch.tensor([True])
    with pytest.raises(TypeError, match="positive: the \\+ operator on a bool tensor"):
        +xpnet.tensor([True])
    assert (+xpnet.tensor([1, 2])).tolist() == [1, 2]


# 9. shapes that do not broadcast (to the tensor, in place): PyTorch's RuntimeError
SHAPE_REFUSALS = {
    "x += y (2,) (3,)": lambda M: M.ones(2).__iadd__(M.ones(3)),
    "x *= y (3, 1) (1, 3)": lambda M: M.ones(3, 1).__imul__(M.ones(1, 3)),
    "x /= y () (0,)": lambda M: M.ones(()).__itruediv__(M.ones(0)),
    "x -= y (1, 0) (3, 1)": lambda M: M.ones(1, 0).__isub__(M.ones(3, 1)),
    "heaviside (2,) (3,)": lambda M: M.heaviside(M.ones(2), M.ones(3)),
}


@pytest.mark.parametrize("case", list(SHAPE_REFUSALS))
def test_shapes_that_do_not_broadcast_are_torchs_runtime_error(case, backend):
    _refused_as_torch(SHAPE_REFUSALS[case], "shape|size")


def test_in_place_broadcast_of_a_smaller_operand_still_runs(backend):
    def call(M):
        x = M.ones(3, 2)
        x += M.tensor([1.0, 2.0])
        x *= M.tensor([[2.0], [3.0], [4.0]])
        return x

    _same_as_torch(call)
