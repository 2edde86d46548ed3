"""Regression tests for the last differences from PyTorch 2.13 the audit found (2026-12-06):
sizes given as one-element integer Tensors, comparisons with what is not a number, tensordot's
dims as Tensors and ``linalg.multi_dot``'s items, and errors of the aliases naming the alias
called (``x.greater('a')``: ``Tensor.greater``, not ``Tensor.gt``).

PyTorch is the oracle: each case runs on both libraries, values (shapes, products in float64)
are compared, and a refusal must be PyTorch's class with a message naming the function and
the argument.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

import xpnet
from xpnet.backends import raise_deferred


def _run(module, call):
    x = module.arange(4.0)
    result = call(module, x, module.tensor)
    if module is xpnet:
        raise_deferred()  # strict defers the value checks to the next host read
    return result


def _shape(value):
    return tuple(value.shape)


# sizes: name -> call on module M, the 1-D float tensor x = arange(4.) and M.tensor as T;
# the result's shape must be PyTorch's
SIZES = {
    "zeros(T(2))": lambda M, x, T: M.zeros(T(2)),
    "zeros((T(2), 3))": lambda M, x, T: M.zeros((T(2), 3)),
    "zeros(T([2]))": lambda M, x, T: M.zeros(T([2])),
    "ones(T(2), 3)": lambda M, x, T: M.ones(T(2), 3),
    "empty(T(2))": lambda M, x, T: M.empty(T(2)),
    "full((T(2),), 1.0)": lambda M, x, T: M.full((T(2),), 1.0),
    "rand(T(2), 3)": lambda M, x, T: M.rand(T(2), 3),
    "randn(T(2))": lambda M, x, T: M.randn(T(2)),
    "randint(5, (T(2),))": lambda M, x, T: M.randint(5, (T(2),)),
    "eye(T(2))": lambda M, x, T: M.eye(T(2)),
    "linspace(0, 1, T(3))": lambda M, x, T: M.linspace(0, 1, T(3)),
    "arange(T(1), T(4))": lambda M, x, T: M.arange(T(1), T(4)),
    "x.reshape(T(4))": lambda M, x, T: x.reshape(T(4)),
    "x.reshape((T(2), -1))": lambda M, x, T: x.reshape((T(2), -1)),
    "x.view(T(2), 2)": lambda M, x, T: x.view(T(2), 2),
    "x[:1].expand(T(3))": lambda M, x, T: x[:1].expand(T(3)),
    "x.repeat(T(2))": lambda M, x, T: x.repeat(T(2)),
    "x.tile((T(2),))": lambda M, x, T: x.tile((T(2),)),
    "x.new_zeros(T(2))": lambda M, x, T: x.new_zeros(T(2)),
    "x.new_ones((T(2), 3))": lambda M, x, T: x.new_ones((T(2), 3)),
    "x.narrow(0, T(1), T(2))": lambda M, x, T: x.narrow(0, T(1), T(2)),
    "x.topk(T(2))": lambda M, x, T: x.topk(T(2))[0],
    "x.unfold(0, T(2), T(1))": lambda M, x, T: x.unfold(0, T(2), T(1)),
    "adaptive_avg_pool2d((T(2), T(2)))": lambda M, x, T: M.nn.functional.adaptive_avg_pool2d(
        M.ones(1, 1, 4, 4), (T(2), T(2))
    ),
    "max_pool2d((T(2), T(2)))": lambda M, x, T: M.nn.functional.max_pool2d(
        M.ones(1, 1, 4, 4), (T(2), T(2))
    ),
    "one_hot(T(3))": lambda M, x, T: M.nn.functional.one_hot(M.tensor([0, 1]), T(3)),
}
# name -> (call, PyTorch's class, a regex: the function, then the argument)
SIZE_REFUSALS = {
    "zeros(T(2.0))": (lambda M, x, T: M.zeros(T(2.0)), TypeError, r"zeros\b.*\bsize\b"),
    "zeros(True)": (lambda M, x, T: M.zeros(True), TypeError, r"zeros\b.*\bsize\b"),
    "ones((T(2), 1.5))": (lambda M, x, T: M.ones((T(2), 1.5)), TypeError, r"ones\b.*\bsize\b"),
    "x.topk(T([1, 2]))": (lambda M, x, T: x.topk(T([1, 2])), TypeError, r"topk\b.*\bk\b"),
}


@pytest.mark.parametrize("case", list(SIZES))
def test_sizes_take_one_element_integer_tensors(case, backend):
    expected = _shape(_run(torch, SIZES[case]))
    assert _shape(_run(xpnet, SIZES[case])) == expected


@pytest.mark.parametrize("case", list(SIZE_REFUSALS))
def test_sizes_refuse_what_torch_refuses(case, backend):
    call, expected, pattern = SIZE_REFUSALS[case]
    with pytest.raises(expected):
        _run(torch, call)
    with pytest.raises(expected, match=pattern):
        _run(xpnet, call)


# comparisons with what is not a number: Python's TypeError naming both types, as PyTorch's
ORDERINGS = {
    "x < 'abc'": lambda M, x, T: x < "abc",
    "x > [1]": lambda M, x, T: x > [1],
    "x <= None": lambda M, x, T: x <= None,
    "x >= (1,)": lambda M, x, T: x >= (1,),
    "'abc' < x": lambda M, x, T: "abc" < x,
    "[1] < x": lambda M, x, T: [1] < x,
}
# ... and == / != fall back to identity: a Python bool
EQUALITIES = {
    "x == None": lambda M, x, T: x == None,  # noqa: E711 (the operator is what is tested)
    "x != None": lambda M, x, T: x != None,  # noqa: E711
    "None == x": lambda M, x, T: None == x,  # noqa: E711
    "x == 'abc'": lambda M, x, T: x == "abc",
    "x != 'abc'": lambda M, x, T: x != "abc",
    "x == [1]": lambda M, x, T: x == [1],
    "x != [1]": lambda M, x, T: x != [1],
    "x == (1,)": lambda M, x, T: x == (1,),
}
# the methods have no such fallback: PyTorch's parser refuses
METHOD_COMPARISONS = {
    "x.eq(None)": (lambda M, x, T: x.eq(None), r"Tensor\.eq: other\b"),
    "x.ne('abc')": (lambda M, x, T: x.ne("abc"), r"Tensor\.ne: other\b"),
    "x.eq([1])": (lambda M, x, T: x.eq([1]), r"Tensor\.eq: other\b"),
}


@pytest.mark.parametrize("case", list(ORDERINGS))
def test_ordering_with_a_non_number_is_pythons_type_error(case, backend):
    with pytest.raises(TypeError) as expected:
        _run(torch, ORDERINGS[case])
    with pytest.raises(TypeError) as actual:
        _run(xpnet, ORDERINGS[case])
    assert str(actual.value) == str(expected.value)  # "'<' not supported between ..."


@pytest.mark.parametrize("case", list(EQUALITIES))
def test_equality_with_a_non_number_is_a_bool(case, backend):
    expected = _run(torch, EQUALITIES[case])
    assert type(expected) is bool
    assert _run(xpnet, EQUALITIES[case]) is expected


def test_comparison_with_numbers_and_tensors_is_elementwise(backend):
    for call in (lambda M, x, T: x == 1.0, lambda M, x, T: x < T(2.0), lambda M, x, T: 2 >= x):
        assert _run(xpnet, call).tolist() == _run(torch, call).tolist()


@pytest.mark.parametrize("case", list(METHOD_COMPARISONS))
def test_comparison_methods_refuse_non_numbers(case, backend):
    call, pattern = METHOD_COMPARISONS[case]
    with pytest.raises(TypeError):
        _run(torch, call)
    with pytest.raises(TypeError, match=pattern):
        _run(xpnet, call)


# tensordot's dims as Tensors (a count, or the two lists) and as lists of 0-d Tensors
DIMS = {
    "T(1)": lambda T: T(1),
    "T(0)": lambda T: T(0),
    "T(1.0)": lambda T: T(1.0),
    "T(True)": lambda T: T(True),
    "True": lambda T: True,
    "T([[1], [0]])": lambda T: T([[1], [0]]),
    "T([[1, 2], [0, 1]])": lambda T: T([[1, 2], [0, 1]]),
    "[[T(2)], [T(1)]]": lambda T: [[T(2)], [T(1)]],
}
DIMS_REFUSALS = {
    "T([1, 0])": (lambda T: T([1, 0]), TypeError, r"tensordot: dims of a\b"),
    "T([[1.0], [0.0]])": (lambda T: T([[1.0], [0.0]]), TypeError, r"tensordot: dims of a\b"),
    "[T([1]), T([0])]": (lambda T: [T([1]), T([0])], TypeError, r"tensordot: dims of a\b"),
    "T(-1)": (lambda T: T(-1), RuntimeError, r"tensordot: dims\b"),
}


def _tensordot(module, dims):
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((2, 3, 3)), rng.standard_normal((3, 3, 2))
    return module.tensordot(module.tensor(a), module.tensor(b), dims=dims(module.tensor))


@pytest.mark.parametrize("case", list(DIMS))
def test_tensordot_takes_tensor_dims(case, backend):
    expected = _tensordot(torch, DIMS[case]).numpy()
    actual = _tensordot(xpnet, DIMS[case])
    np.testing.assert_allclose(np.asarray(actual.tolist()), expected, rtol=1e-12)


@pytest.mark.parametrize("case", list(DIMS_REFUSALS))
def test_tensordot_refuses_tensor_dims_as_torch(case, backend):
    dims, expected, pattern = DIMS_REFUSALS[case]
    with pytest.raises(expected):
        _tensordot(torch, dims)
    with pytest.raises(expected, match=pattern):
        _tensordot(xpnet, dims)


MULTI_DOT = {
    "[a, None]": (lambda M, a: [a, None], r"multi_dot: tensors\[1\]"),
    "[None, a]": (lambda M, a: [None, a.T], r"multi_dot: tensors\[0\]"),
    "[a, a.T, 'abc']": (lambda M, a: [a, a.T, "abc"], r"multi_dot: tensors\[2\]"),
    "a": (lambda M, a: a, r"multi_dot: tensors\b"),
    "None": (lambda M, a: None, r"multi_dot: tensors\b"),
}


@pytest.mark.parametrize("case", list(MULTI_DOT))
def test_multi_dot_refuses_a_non_tensor_item(case, backend):
    items, pattern = MULTI_DOT[case]
    with pytest.raises(TypeError):
        torch.linalg.multi_dot(items(torch, torch.ones(2, 3)))
    with pytest.raises(TypeError, match=pattern):
        xpnet.linalg.multi_dot(items(xpnet, xpnet.ones(2, 3)))


# aliases: name -> (call on M, x (float), i (int64), b (bool); PyTorch's class; a regex naming
# the alias called, then the argument where there is one)
ALIASES = {
    "x.greater('a')": (lambda M, x, i, b: x.greater("a"), TypeError, r"Tensor\.greater: other"),
    "x.greater_equal(None)": (
        lambda M, x, i, b: x.greater_equal(None),
        TypeError,
        r"Tensor\.greater_equal: other",
    ),
    "x.less([1])": (lambda M, x, i, b: x.less([1]), TypeError, r"Tensor\.less: other"),
    "x.not_equal('a')": (lambda M, x, i, b: x.not_equal("a"), TypeError, r"not_equal: other"),
    "xpnet.divide(x, 'a')": (lambda M, x, i, b: M.divide(x, "a"), TypeError, r"divide: other"),
    "xpnet.subtract(x, 'a')": (
        lambda M, x, i, b: M.subtract(x, "a"),
        TypeError,
        r"subtract: other",
    ),
    "xpnet.subtract(b, b)": (lambda M, x, i, b: M.subtract(b, b), RuntimeError, r"subtract: "),
    "x.true_divide(None)": (
        lambda M, x, i, b: x.true_divide(None),
        TypeError,
        r"Tensor\.true_divide: other",
    ),
    "x.multiply([1])": (lambda M, x, i, b: x.multiply([1]), TypeError, r"Tensor\.multiply: other"),
    "x.multiply_('a')": (lambda M, x, i, b: x.multiply_("a"), TypeError, r"multiply_: other"),
    "b.absolute()": (lambda M, x, i, b: b.absolute(), NotImplementedError, r"absolute: input"),
    "b.absolute_()": (lambda M, x, i, b: b.absolute_(), NotImplementedError, r"absolute_: in"),
    "b.negative()": (lambda M, x, i, b: b.negative(), RuntimeError, r"Tensor\.negative: "),
    "xpnet.negative(b)": (lambda M, x, i, b: M.negative(b), RuntimeError, r"\.negative: "),
    "x.clip('a')": (lambda M, x, i, b: x.clip("a"), TypeError, r"Tensor\.clip: min\b"),
    "xpnet.clip(x, 0, 'a')": (lambda M, x, i, b: M.clip(x, 0, "a"), TypeError, r"clip: max\b"),
    "b.fix()": (lambda M, x, i, b: b.fix(), NotImplementedError, r"Tensor\.fix: input"),
    "b.fix_()": (lambda M, x, i, b: b.fix_(), NotImplementedError, r"Tensor\.fix_: input"),
    "x.arctan2(None)": (lambda M, x, i, b: x.arctan2(None), TypeError, r"arctan2: other"),
    "xpnet.arctan2(x, 'a')": (lambda M, x, i, b: M.arctan2(x, "a"), TypeError, r"arctan2: other"),
    "x.arccos(1)": (lambda M, x, i, b: x.arccos(1), TypeError, r"arccos\(\)"),
}


def _alias_run(module, call):
    x = module.tensor([1.5, -2.0])
    return call(module, x, module.tensor([1, 2]), module.tensor([True, False]))


@pytest.mark.parametrize("case", list(ALIASES))
def test_alias_errors_name_the_alias_called(case, backend):
    call, expected, pattern = ALIASES[case]
    with pytest.raises(expected):
        _alias_run(torch, call)
    with pytest.raises(expected, match=pattern):
        _alias_run(xpnet, call)


def test_alias_values_are_the_methods(backend):
    x = xpnet.tensor([1.5, -2.0, 0.5])
    assert x.greater(0).tolist() == x.gt(0).tolist()
    assert xpnet.divide(x, 2).tolist() == (x / 2).tolist()
    assert x.clip(-1, 1).tolist() == x.clamp(-1, 1).tolist()
    assert x.fix().tolist() == x.trunc().tolist()
