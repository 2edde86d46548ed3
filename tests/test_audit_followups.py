"""Regression tests for the small differences from PyTorch 2.13 the audit's helpers found
(2026-12-06): function forms refusing what is not a tensor (``xpnet.flatten(None)``),
``ravel`` taking no argument, dims and sizes given as one-element integer Tensors,
orderings of complex numbers, ``i0`` overflowing without a NumPy warning (its gradient
``torch.special.i1``'s), and ``reshape``/``view`` shapes checked as PyTorch's parser.

PyTorch is the oracle: each case runs on both libraries; a refusal must be PyTorch's class
with a message naming the function and the argument, a value (a shape, a number) PyTorch's.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from _oracle import refused_as_torch

import xpnet
from xpnet.backends import raise_deferred
from xpnet.kernels import ArgumentError


def _run(module, call):
    x = module.arange(6.0).reshape(2, 3)
    result = call(module, x, module.tensor)
    if module is xpnet:
        raise_deferred()  # strict defers the value checks to the next host read
    return result


def _refused_as_torch(call, pattern):
    refused_as_torch(_run, call, pattern)


# 1. function forms given None, a string or a list as input: PyTorch's TypeError
NOT_TENSORS = {"None": None, "str": "abc", "list": [1.0, 2.0]}
FORMS = {
    "flatten": lambda M, a: M.flatten(a),
    "ravel": lambda M, a: M.ravel(a),
    "sort": lambda M, a: M.sort(a),
    "argsort": lambda M, a: M.argsort(a),
    "topk": lambda M, a: M.topk(a, 1),
    "cumsum": lambda M, a: M.cumsum(a, 0),
    "cumprod": lambda M, a: M.cumprod(a, 0),
    "cummax": lambda M, a: M.cummax(a, 0),
    "logcumsumexp": lambda M, a: M.logcumsumexp(a, 0),
    "diff": lambda M, a: M.diff(a),
    "diag": lambda M, a: M.diag(a),
    "diag_embed": lambda M, a: M.diag_embed(a),
    "roll": lambda M, a: M.roll(a, 1),
    "tile": lambda M, a: M.tile(a, (2,)),
    "repeat_interleave": lambda M, a: M.repeat_interleave(a, 2),
    "chunk": lambda M, a: M.chunk(a, 1),
    "split": lambda M, a: M.split(a, 1),
    "unbind": lambda M, a: M.unbind(a),
    "tensor_split": lambda M, a: M.tensor_split(a, 1),
    "narrow": lambda M, a: M.narrow(a, 0, 0, 1),
    "isin": lambda M, a: M.isin(a, 1),
}


@pytest.mark.parametrize("value", list(NOT_TENSORS))
@pytest.mark.parametrize("name", list(FORMS))
def test_function_forms_refuse_what_is_not_a_tensor(name, value, backend):
    call = FORMS[name]
    with pytest.raises((TypeError, AttributeError)):  # torch.split(None): AttributeError
        call(torch, NOT_TENSORS[value])
    with pytest.raises(TypeError, match=rf"xpnet\.{name}: (input|tensor|elements)\b"):
        call(xpnet, NOT_TENSORS[value])


# 2. ravel takes no argument (flatten's start_dim is not one of its)
def test_ravel_takes_no_argument(backend):
    _refused_as_torch(lambda M, x, T: x.ravel(1), r"ravel\(\) takes 1 positional argument")
    assert _run(xpnet, lambda M, x, T: x.ravel()).shape == (6,)


# 3. dims and sizes given as one-element integer Tensors
TENSOR_DIMS = {
    "x.permute(T(1), T(0))": lambda M, x, T: x.permute(T(1), T(0)),
    "x.permute((T(1), 0))": lambda M, x, T: x.permute((T(1), 0)),
    "x.transpose(T(0), 1)": lambda M, x, T: x.transpose(T(0), 1),
    "x.unsqueeze(T(0))": lambda M, x, T: x.unsqueeze(T(0)),
    "x[:1].squeeze(T(0))": lambda M, x, T: x[:1].squeeze(T(0)),
    "x.sum(T(0))": lambda M, x, T: x.sum(T(0)),
    "x.sum((T(0), T(1)))": lambda M, x, T: x.sum((T(0), T(1))),
    "x.sum(T([1]))": lambda M, x, T: x.sum(T([1])),
    "x.mean(T(-1))": lambda M, x, T: x.mean(T(-1)),
    "x.cumsum(T(1))": lambda M, x, T: x.cumsum(T(1)),
    "x.flip(T(0))": lambda M, x, T: x.flip(T(0)),
    "x.select(T(0), 0)": lambda M, x, T: x.select(T(0), 0),
    "x.narrow(T(1), 0, 2)": lambda M, x, T: x.narrow(T(1), 0, 2),
    "x.split(1, T(1))": lambda M, x, T: x.split(1, T(1))[0],
    "x.softmax(T(1))": lambda M, x, T: x.softmax(T(1)),
    "F.softmax(x, T(1))": lambda M, x, T: M.nn.functional.softmax(x, T(1)),
    "cat([x, x], T(1))": lambda M, x, T: M.cat([x, x], T(1)),
    "stack([x, x], T(1))": lambda M, x, T: M.stack([x, x], T(1)),
    "F.pad(x, (T(1), 1))": lambda M, x, T: M.nn.functional.pad(x, (T(1), 1)),
    "F.interpolate(size=T(4))": lambda M, x, T: M.nn.functional.interpolate(x[None], size=T(4)),
    "F.interpolate(size=(T(4),))": lambda M, x, T: M.nn.functional.interpolate(
        x[None], size=(T(4),)
    ),
}
DIM_REFUSALS = {
    "x.sum(T(1.0))": (lambda M, x, T: x.sum(T(1.0)), r"sum\b.*\bdim\b"),
    "x.sum(True)": (lambda M, x, T: x.sum(True), r"sum\b.*\bdim\b"),
    "x.transpose(T(True), 0)": (lambda M, x, T: x.transpose(T(True), 0), r"transpose\b.*\bdim\b"),
    "x.unsqueeze(T(1.0))": (lambda M, x, T: x.unsqueeze(T(1.0)), r"unsqueeze\b.*\bdim\b"),
    "x.softmax(T(1.0))": (lambda M, x, T: x.softmax(T(1.0)), r"softmax\b.*\bdim\b"),
    "cat([x, x], T(True))": (lambda M, x, T: M.cat([x, x], T(True)), r"cat\b.*\bdim\b"),
    "F.pad(x, (T(1.0), 1))": (lambda M, x, T: M.nn.functional.pad(x, (T(1.0), 1)), r"pad\b"),
    "F.pad(x, T([1, 1]))": (lambda M, x, T: M.nn.functional.pad(x, T([1, 1])), r"pad\b"),
}


@pytest.mark.parametrize("case", list(TENSOR_DIMS))
def test_dims_take_one_element_integer_tensors(case, backend):
    expected = tuple(_run(torch, TENSOR_DIMS[case]).shape)
    assert tuple(_run(xpnet, TENSOR_DIMS[case]).shape) == expected


@pytest.mark.parametrize("case", list(DIM_REFUSALS))
def test_dims_refuse_what_torch_refuses(case, backend):
    _refused_as_torch(*DIM_REFUSALS[case])


# 4. complex numbers: PyTorch orders none (NotImplementedError), but adds and multiplies them
ORDERINGS = {
    "x < 1j": (lambda M, x, T: x < 1j, r"lt\b.*\bother\b"),
    "x >= 1j": (lambda M, x, T: x >= 1j, r"ge\b.*\bother\b"),
    "1j < x": (lambda M, x, T: 1j < x, r"gt\b.*\bother\b"),
    "x.le(1j)": (lambda M, x, T: x.le(1j), r"le\b.*\bother\b"),
    "lt(x, T(1j))": (lambda M, x, T: M.lt(x, T(1j)), r"lt\b.*\bother\b"),
    "T(1j) > x": (lambda M, x, T: T(1j) > x, r"gt\b.*\bother\b"),
}
COMPLEX_VALUES = {
    "x + 1j": lambda M, x, T: x + 1j,
    "x * 1j": lambda M, x, T: x * 1j,
    "1j - x": lambda M, x, T: 1j - x,
    "x == 1j": lambda M, x, T: x == 1j,
}


@pytest.mark.parametrize("case", list(ORDERINGS))
def test_orderings_refuse_complex_numbers(case, backend):
    call, pattern = ORDERINGS[case]
    with pytest.raises(NotImplementedError):
        _run(torch, call)
    with pytest.raises(NotImplementedError, match=pattern):
        _run(xpnet, call)


@pytest.mark.parametrize("case", list(COMPLEX_VALUES))
def test_arithmetic_with_complex_numbers_as_torch(case, backend):
    expected = _run(torch, COMPLEX_VALUES[case])
    actual = _run(xpnet, COMPLEX_VALUES[case])
    assert str(actual.dtype) == str(expected.dtype).removeprefix("torch.")
    np.testing.assert_array_equal(np.asarray(actual.tolist()), expected.numpy())


# 5. i0: inf beyond 709.8, never a NumPy warning; its gradient torch's i1
I0_POINTS = [-1000.0, -710.0, -30.0, -1e-5, 0.0, 0.5, 14.9, 15.1, 19.9, 20.1, 700.0, 709.9, 1e3]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_i0_overflows_without_warnings_and_its_gradient_is_i1(dtype, backend):
    expected = torch.tensor(I0_POINTS, dtype=getattr(torch, dtype), requires_grad=True)
    torch.i0(expected).sum().backward()
    x = xpnet.tensor(I0_POINTS, dtype=dtype, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        value = xpnet.i0(x)
        value.sum().backward()
        values, grads = np.asarray(value.tolist()), np.asarray(x.grad.tolist())
    rtol = 1e-15 if dtype == "float64" else 1e-6
    np.testing.assert_allclose(values, torch.i0(expected.detach()).numpy(), rtol=rtol)
    np.testing.assert_allclose(grads, expected.grad.numpy(), rtol=rtol)


# 6. reshape and view: shapes checked as PyTorch's parser, errors naming the method
SHAPE_REFUSALS = {
    "x.reshape(T(True), 6)": (lambda M, x, T: x.reshape(T(True), 6), r"Tensor\.reshape: shape\b"),
    "x.reshape((T(True), 6))": (
        lambda M, x, T: x.reshape((T(True), 6)),
        r"Tensor\.reshape: shape\b",
    ),
    "x.reshape(6.0)": (lambda M, x, T: x.reshape(6.0), r"Tensor\.reshape: shape\b"),
    "x.reshape([2.0, 3])": (lambda M, x, T: x.reshape([2.0, 3]), r"Tensor\.reshape: shape\b"),
    "x.reshape('a')": (lambda M, x, T: x.reshape("a"), r"Tensor\.reshape: shape\b"),
    "x.view(T(2.0), 3)": (lambda M, x, T: x.view(T(2.0), 3), r"Tensor\.view: shape\b"),
    "x.view(True, 6)": (lambda M, x, T: x.view(True, 6), r"Tensor\.view: shape\b"),
    "reshape(x, (2.0, 3))": (lambda M, x, T: M.reshape(x, (2.0, 3)), r"reshape: shape\b"),
}
SHAPES = {
    "x.reshape(T(3), 2)": lambda M, x, T: x.reshape(T(3), 2),
    "x.view(T([2]), -1)": lambda M, x, T: x.view(T([2]), -1),
    "x.view((3, T(2)))": lambda M, x, T: x.view((3, T(2))),
}


@pytest.mark.parametrize("case", list(SHAPE_REFUSALS))
def test_reshape_and_view_refuse_what_torch_refuses(case, backend):
    _refused_as_torch(*SHAPE_REFUSALS[case])


@pytest.mark.parametrize("case", list(SHAPES))
def test_reshape_and_view_take_one_element_integer_tensors(case, backend):
    expected = tuple(_run(torch, SHAPES[case]).shape)
    assert tuple(_run(xpnet, SHAPES[case]).shape) == expected


# 7. creation, dtype and seed functions, contiguous, bincount and matmul: PyTorch's refusals
MORE_REFUSALS = {
    "asarray(None)": (lambda M, x, T: M.asarray(None), r"asarray\b.*\bobj\b"),
    "asarray('abc')": (lambda M, x, T: M.asarray("abc"), r"asarray\b.*\bobj\b"),
    "scalar_tensor([1, 2])": (lambda M, x, T: M.scalar_tensor([1, 2]), r"scalar_tensor\b.*\bs\b"),
    "result_type([1.0, 2.0], 1)": (
        lambda M, x, T: M.result_type([1.0, 2.0], 1),
        r"result_type: operand 0\b",
    ),
    "promote_types(None, float32)": (
        lambda M, x, T: M.promote_types(None, M.float32),
        r"promote_types\b.*\btype1\b",
    ),
    "can_cast(None, float32)": (
        lambda M, x, T: M.can_cast(None, M.float32),
        r"can_cast\b.*\bfrom_\b",
    ),
    "manual_seed(None)": (lambda M, x, T: M.manual_seed(None), r"manual_seed\b.*\bseed\b"),
    "x.contiguous(1)": (lambda M, x, T: x.contiguous(1), r"contiguous\(\) takes 1 positional"),
    "x.is_contiguous(1)": (
        lambda M, x, T: x.is_contiguous(1),
        r"is_contiguous\(\) takes 1 positional",
    ),
    "x.flatten().bincount(1)": (lambda M, x, T: x.flatten().bincount(1), r"bincount\b.*\bweights"),
    "x.matmul(1)": (lambda M, x, T: x.matmul(1), r"matmul\b.*\bother\b"),
    "matmul(x, 1)": (lambda M, x, T: M.matmul(x, 1), r"matmul\b.*\bother\b"),
}


@pytest.mark.parametrize("case", list(MORE_REFUSALS))
def test_more_calls_refuse_what_torch_refuses(case, backend):
    _refused_as_torch(*MORE_REFUSALS[case])


def test_set_default_dtype_refuses_none(backend):
    saved = xpnet.get_default_dtype()
    try:  # NumPy reads None as float64: without the check the default would change
        _refused_as_torch(lambda M, x, T: M.set_default_dtype(None), r"set_default_dtype\b.*None")
    finally:
        xpnet.set_default_dtype(saved)
    assert xpnet.get_default_dtype() == saved


# 8. complex numbers where PyTorch orders values or fills a real tensor: refused, not cast
COMPLEX_REFUSALS = {
    "x.clamp(1j)": (lambda M, x, T: x.clamp(1j), r"clamp\b.*\bmin\b"),
    "x.clamp(max=1j)": (lambda M, x, T: x.clamp(max=1j), r"clamp\b.*\bmax\b"),
    "T(1j).clamp(0)": (lambda M, x, T: T(1j).clamp(0), r"clamp\b.*\binput\b"),
    "maximum(x, T(1j))": (lambda M, x, T: M.maximum(x, T(1j)), r"maximum\b.*\bother\b"),
    "minimum(x, T(1j))": (lambda M, x, T: M.minimum(x, T(1j)), r"minimum\b.*\bother\b"),
    "x.fill_(1j)": (lambda M, x, T: x.fill_(1j), r"fill_\b.*\bvalue\b"),
    "x.masked_fill(x > 2, 1j)": (
        lambda M, x, T: x.masked_fill(x > 2, 1j),
        r"masked_fill\b.*\bvalue\b",
    ),
    "x.masked_fill(x > 2, T(1j))": (
        lambda M, x, T: x.masked_fill(x > 2, T(1j)),
        r"masked_fill\b.*\bvalue\b",
    ),
    "x // 1j": (lambda M, x, T: x // 1j, r"floor_divide\b.*\bother\b"),
    "x.div(1j, rounding_mode='trunc')": (
        lambda M, x, T: x.div(1j, rounding_mode="trunc"),
        r"div\b.*\bother\b",
    ),
    "x % 1j": (lambda M, x, T: x % 1j, r"remainder\b.*\bother\b"),
    "x.fmod(1j)": (lambda M, x, T: x.fmod(1j), r"fmod\b.*\bother\b"),
    "atan2(x, 1j)": (lambda M, x, T: M.atan2(x, 1j), r"atan2\b.*\bother\b"),
}


@pytest.mark.parametrize("case", list(COMPLEX_REFUSALS))
def test_complex_numbers_refused_where_torch_refuses(case, backend):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no ComplexWarning on the way
        _refused_as_torch(*COMPLEX_REFUSALS[case])


def test_fill_refuses_a_complex_tensor_for_a_real_one(backend):
    # PyTorch drops the imaginary part with a warning; xpnet refuses, as for a complex number
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ArgumentError, match=r"fill_\b.*\bvalue must be real"):
            xpnet.zeros(3).fill_(xpnet.tensor(1j))


def test_complex_tensors_still_fill_with_complex_numbers(backend):
    def call(M, x, T):
        z = T([1j, 2.0])
        return z.clone().fill_(3j), z.masked_fill(T([True, False]), 4j)

    for expected, actual in zip(_run(torch, call), _run(xpnet, call), strict=True):
        np.testing.assert_array_equal(np.asarray(actual.tolist()), expected.numpy())
