"""More regression tests for the differential refusal audit against PyTorch 2.13 (2026-12-06,
second pass): internal errors (a KeyError, AttributeError, NumPy's AxisError or UFuncTypeError
from inside), dtypes PyTorch has no kernel for, bool flags of the function forms, and lists,
tuples and strings where PyTorch takes a number or a Tensor.

Each case is checked twice: PyTorch raises the class given, and xpnet raises that class too
(or a subclass: :class:`xpnet._tensor_checks.UnsupportedDtypeError` is both PyTorch's
``NotImplementedError`` and a ``TypeError``) with a message naming the function and the
argument."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import xpnet
from xpnet.backends import raise_deferred


def _tensors(M):
    x = M.tensor([[1.5, -2.0], [0.5, 3.0]], dtype=M.float32)
    i = M.tensor([[1, 2], [3, 4]], dtype=M.int64)
    b = M.tensor([[True, False], [False, True]], dtype=M.bool)
    return x, i, b


# name -> (call on module M and tensors x (float32, 2x2), i (int64), b (bool); PyTorch's
# exception class; a regex the message must match: the function, then the argument)
INTERNAL = {
    "clamp('abc')": (lambda M, x, i, b: x.clamp("abc"), TypeError, r"Tensor\.clamp: min\b"),
    "clamp(max='abc')": (lambda M, x, i, b: x.clamp(max="abc"), TypeError, r"clamp: max\b"),
    "xpnet.clamp(x, 'abc')": (lambda M, x, i, b: M.clamp(x, "abc"), TypeError, r"clamp: min\b"),
    "addr(3, 4)": (lambda M, x, i, b: x.addr(3, 4), TypeError, r"Tensor\.addr: vec1\b"),
    "addr(v, (0, 1))": (
        lambda M, x, i, b: x.addr(x[0], (0, 1)),
        TypeError,
        r"Tensor\.addr: vec2\b",
    ),
    "xpnet.addr(x, 1.5, v)": (lambda M, x, i, b: M.addr(x, 1.5, x[0]), TypeError, r"addr: vec1"),
    "expand_as(3)": (lambda M, x, i, b: x.expand_as(3), TypeError, r"Tensor\.expand_as: other"),
    "reshape_as(None)": (
        lambda M, x, i, b: x.reshape_as(None),
        TypeError,
        r"Tensor\.reshape_as: other",
    ),
    "is_same_size((0, 1))": (
        lambda M, x, i, b: x.is_same_size((0, 1)),
        TypeError,
        r"Tensor\.is_same_size: other",
    ),
    "logical_xor(None)": (
        lambda M, x, i, b: x.logical_xor(None),
        TypeError,
        r"Tensor\.logical_xor: other",
    ),
    "lt('abc')": (lambda M, x, i, b: x.lt("abc"), TypeError, r"Tensor\.lt: other"),
    "mul('abc')": (lambda M, x, i, b: x.mul("abc"), TypeError, r"Tensor\.mul: other"),
    "matmul('abc')": (lambda M, x, i, b: x.matmul("abc"), TypeError, r"Tensor\.matmul: other"),
    "true_divide(x, 'abc')": (
        lambda M, x, i, b: M.true_divide(x, "abc"),
        TypeError,
        r"true_divide: other",
    ),
    "bool.bitwise_and_(0)": (
        lambda M, x, i, b: b.bitwise_and_(0),
        RuntimeError,
        r"Tensor\.bitwise_and_: result type int64",
    ),
    "sum(2)": (lambda M, x, i, b: x.sum(2), IndexError, r"^Tensor\.sum: dim must be in"),
    "mean(-3)": (lambda M, x, i, b: x.mean(-3), IndexError, r"^Tensor\.mean: dim must be in"),
    "0-d sum(1)": (
        lambda M, x, i, b: M.tensor(1.5).sum(1),
        IndexError,
        r"^Tensor\.sum: dim must be in \[-1, 0\]",
    ),
    "nansum(x, 2)": (lambda M, x, i, b: M.nansum(x, 2), IndexError, r"sum\b.*: dim must be in"),
    "normal_(0, 'abc')": (
        lambda M, x, i, b: x.normal_(0, "abc"),
        TypeError,
        r"Tensor\.normal_: std\b",
    ),
    "uniform_(x, 1)": (lambda M, x, i, b: x.uniform_(x, 1), TypeError, r"Tensor\.uniform_: from"),
    "bernoulli('abc')": (lambda M, x, i, b: x.bernoulli("abc"), TypeError, r"bernoulli: p\b"),
    "bernoulli(x)": (lambda M, x, i, b: x.bernoulli(x), TypeError, r"bernoulli: p\b"),
    "uniform_(2)": (lambda M, x, i, b: x.uniform_(2), RuntimeError, r"Tensor\.uniform_: from\b"),
    "normal_(0, nan)": (
        lambda M, x, i, b: x.normal_(0, float("nan")),
        RuntimeError,
        r"normal_ expects std",
    ),
    "random_(1.5)": (lambda M, x, i, b: x.random_(1.5), TypeError, r"Tensor\.random_: from\b"),
    "xpnet.bernoulli(x, 2)": (
        lambda M, x, i, b: M.bernoulli(x, 2),
        RuntimeError,
        r"xpnet\.bernoulli expects p",
    ),
    "xpnet.normal(x, 0, 0)": (
        lambda M, x, i, b: M.normal(x, 0, 0),
        TypeError,
        r"xpnet\.normal: size\b",
    ),
    "logical_and(0)": (
        lambda M, x, i, b: x.logical_and(0),
        TypeError,
        r"Tensor\.logical_and: other",
    ),
    "xpnet.normal(x, None)": (
        lambda M, x, i, b: M.normal(x, None),
        TypeError,
        r"xpnet\.normal: std\b",
    ),
    "xpnet.flip(None, 0)": (lambda M, x, i, b: M.flip(None, 0), TypeError, r"xpnet\.flip: input"),
    "xpnet.nan_to_num(x, 'abc')": (
        lambda M, x, i, b: M.nan_to_num(x, "abc"),
        TypeError,
        r"nan_to_num: nan\b",
    ),
    "allclose(x, None)": (lambda M, x, i, b: x.allclose(x, None), TypeError, r"allclose: rtol"),
    "allclose(x, -1)": (lambda M, x, i, b: x.allclose(x, -1), RuntimeError, r"allclose: rtol\b"),
    "nan_to_num(1-d tensor)": (
        lambda M, x, i, b: x.nan_to_num(M.tensor([1.0])),
        TypeError,
        r"Tensor\.nan_to_num: nan\b",
    ),
    "xpnet.allclose(equal_nan=1)": (
        lambda M, x, i, b: M.allclose(x, x, equal_nan=1),
        TypeError,
        r"xpnet\.allclose: equal_nan\b",
    ),
}
SEQUENCES = {
    "clamp((-1,))": (lambda M, x, i, b: x.clamp((-1,)), TypeError, r"Tensor\.clamp: min\b"),
    "clamp(0, [0, 5])": (lambda M, x, i, b: x.clamp(0, [0, 5]), TypeError, r"clamp: max\b"),
    "x + (1,)": (lambda M, x, i, b: x + (1,), TypeError, r"Tensor\.add: other"),
    "(1,) * x": (lambda M, x, i, b: (1,) * x, TypeError, r"Tensor\.mul: input"),
    "add((1,))": (lambda M, x, i, b: x.add((1,)), TypeError, r"Tensor\.add: other"),
    "ge([1])": (lambda M, x, i, b: x.ge([1]), TypeError, r"Tensor\.ge: other"),
    "mul([1, 2])": (lambda M, x, i, b: x.mul([1, 2]), TypeError, r"Tensor\.mul: other"),
    "xpnet.eq(x, None)": (lambda M, x, i, b: M.eq(x, None), TypeError, r"xpnet\.eq: other"),
    "xpnet.floor_divide(x, (-1,))": (
        lambda M, x, i, b: M.floor_divide(x, (-1,)),
        TypeError,
        r"xpnet\.floor_divide: other",
    ),
    "xpnet.normal(x, (-1,))": (
        lambda M, x, i, b: M.normal(x, (-1,)),
        TypeError,
        r"xpnet\.normal: std\b",
    ),
}
DTYPES = {
    "bool abs": (lambda M, x, i, b: b.abs(), NotImplementedError, r"Tensor\.abs: input"),
    "xpnet.abs(bool)": (lambda M, x, i, b: M.abs(b), NotImplementedError, r"Tensor\.abs: input"),
    "bool round": (lambda M, x, i, b: b.round(), NotImplementedError, r"Tensor\.round: input"),
    "bool ceil": (lambda M, x, i, b: b.ceil(), NotImplementedError, r"Tensor\.ceil: input"),
    "bool floor": (lambda M, x, i, b: M.floor(b), NotImplementedError, r"Tensor\.floor: input"),
    "bool clamp": (lambda M, x, i, b: b.clamp(True), NotImplementedError, r"clamp: input"),
    "int uniform_": (lambda M, x, i, b: i.uniform_(), NotImplementedError, r"uniform_: self"),
    "bool uniform_": (lambda M, x, i, b: b.uniform_(), NotImplementedError, r"uniform_: self"),
    "int normal_": (lambda M, x, i, b: i.normal_(), NotImplementedError, r"normal_: self"),
    "int exponential_": (lambda M, x, i, b: i.exponential_(), RuntimeError, r"exponential_: self"),
    "xpnet.normal(int)": (lambda M, x, i, b: M.normal(i), NotImplementedError, r"normal: mean"),
    "xpnet.bernoulli(int)": (lambda M, x, i, b: M.bernoulli(i), NotImplementedError, r"i: input"),
    "bernoulli_(int p)": (lambda M, x, i, b: x.bernoulli_(i), NotImplementedError, r"li_: p\b"),
    "xpnet.poisson(bool)": (lambda M, x, i, b: M.poisson(b), NotImplementedError, r"poisson: in"),
    "xpnet.trace(bool)": (lambda M, x, i, b: M.trace(b), NotImplementedError, r"trace: input"),
}
FLAGS = {
    "xpnet.svd(x, 1)": (lambda M, x, i, b: M.svd(x, 1), TypeError, r"xpnet\.svd: some\b"),
    "xpnet.qr(x, some=1)": (lambda M, x, i, b: M.qr(x, some=1), TypeError, r"xpnet\.qr: some\b"),
    "xpnet.cholesky_inverse(x, 0)": (
        lambda M, x, i, b: M.cholesky_inverse(x, 0),
        TypeError,
        r"xpnet\.cholesky_inverse: upper\b",
    ),
    "xpnet.cholesky_solve(x, x, 0)": (
        lambda M, x, i, b: M.cholesky_solve(x, x, 0),
        TypeError,
        r"xpnet\.cholesky_solve: upper\b",
    ),
    "linalg.svd(x, 0)": (
        lambda M, x, i, b: M.linalg.svd(x, 0),
        TypeError,
        r"xpnet\.linalg\.svd: full_matrices\b",
    ),
    "xpnet.topk(x, 1, 0, 1)": (
        lambda M, x, i, b: M.topk(x, 1, 0, 1),
        TypeError,
        r"xpnet\.topk: largest\b",
    ),
    "xpnet.topk(sorted=0)": (
        lambda M, x, i, b: M.topk(x, 1, sorted=0),
        TypeError,
        r"xpnet\.topk: sorted\b",
    ),
    "xpnet.multinomial(w, 1, 0)": (
        lambda M, x, i, b: M.multinomial(x.abs(), 1, 0),
        TypeError,
        r"multinomial: replacement\b",
    ),
}
CASES = {**INTERNAL, **SEQUENCES, **DTYPES, **FLAGS}


def _run(module, case):
    result = CASES[case][0](module, *_tensors(module))
    if module is xpnet:
        raise_deferred()  # strict defers the value checks to the next host read
    return result


@pytest.mark.parametrize("case", list(CASES))
def test_torch_raises_the_class_too(case):
    with pytest.raises(CASES[case][1]):
        _run(torch, case)


@pytest.mark.parametrize("case", list(CASES))
def test_xpnet_raises_torchs_class_naming_function_and_argument(case, backend):
    _, expected, pattern = CASES[case]
    with pytest.raises(expected, match=pattern):
        _run(xpnet, case)


def test_dtype_refusals_are_also_type_errors():
    """xpnet's own convention (a wrong dtype is a TypeError) holds beside PyTorch's class."""
    with pytest.raises(TypeError, match=r"Tensor\.abs: input must be non-bool"):
        xpnet.tensor([True]).abs()


@pytest.mark.parametrize(
    "call",
    [
        lambda M, x, i, b: x.clamp(0.0, 1.0),
        lambda M, x, i, b: x.clamp(M.tensor(0.0), None),
        lambda M, x, i, b: x.clamp(max=1),
        lambda M, x, i, b: x + 1.0,
        lambda M, x, i, b: 2 * x,
        lambda M, x, i, b: x.lt(0.5),
        lambda M, x, i, b: x.sum(-1),
        lambda M, x, i, b: M.tensor(1.5).sum(0),
        lambda M, x, i, b: x.mean((0, -1)),
        lambda M, x, i, b: i.abs(),
        lambda M, x, i, b: i.round(),
        lambda M, x, i, b: b.sign(),
        lambda M, x, i, b: b.bitwise_and_(True),
        lambda M, x, i, b: i.bitwise_xor_(1),
        lambda M, x, i, b: x[0:1].expand_as(M.zeros(3, 2)),
        lambda M, x, i, b: M.topk(x, 1, 0, True, True).values,
        lambda M, x, i, b: M.svd(x, True).S,
        lambda M, x, i, b: M.linalg.svd(x, False).S,
        lambda M, x, i, b: x.isclose(x + 0.05, M.tensor(0.1)),  # a 0-d tensor is a float
        lambda M, x, i, b: x.nan_to_num(M.tensor(1.0), posinf=M.tensor(2.0)),
    ],
)
def test_accepted_calls_still_match_torch(call, backend):
    np.testing.assert_allclose(
        np.asarray(call(xpnet, *_tensors(xpnet)).tolist()),
        call(torch, *_tensors(torch)).numpy(),
        rtol=1e-6,
    )


def test_uniform_takes_a_0d_tensor_bound_as_torch(backend):
    x = xpnet.zeros(3).uniform_(xpnet.tensor(2.0), 3.0)
    assert all(2.0 <= v < 3.0 for v in x.tolist())
