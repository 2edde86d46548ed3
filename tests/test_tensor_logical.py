"""Logical and bitwise operators, ``//`` and ``%``, ``nonzero``/``argwhere``/``masked_select``
and the function forms and aliases of :mod:`xpnet._tensor_logical`, against PyTorch: values,
dtypes, gradients where they exist, and the errors PyTorch raises (as TypeError)."""

from __future__ import annotations

import operator

import numpy as np
import pytest
import torch
from _oracle import check_tensor_method, random_input

import xpnet

INTS = np.array([[5, -3, 0], [12, 7, -8]])
BOOLS = np.array([[True, False, True], [False, False, True]])


def both(backend, array):
    return xpnet.Tensor(backend.asarray(array)), torch.tensor(array)


def same(ours, theirs):
    theirs = theirs.numpy() if isinstance(theirs, torch.Tensor) else np.asarray(theirs)
    np.testing.assert_array_equal(ours.numpy(), theirs)
    assert ours.numpy().dtype == theirs.dtype


@pytest.mark.parametrize("op", [operator.and_, operator.or_, operator.xor])
@pytest.mark.parametrize("values", [INTS, BOOLS], ids=["int64", "bool"])
def test_bitwise_operators_match_torch(backend, op, values):
    ours, theirs = both(backend, values)
    other_ours, other_theirs = both(backend, values[::-1].copy())
    same(op(ours, other_ours), op(theirs, other_theirs))
    same(op(ours, 1), op(theirs, 1))
    same(op(1, ours), op(1, theirs))
    name = {operator.and_: "and", operator.or_: "or", operator.xor: "xor"}[op]
    same(getattr(xpnet, f"bitwise_{name}")(ours, other_ours),
         getattr(torch, f"bitwise_{name}")(theirs, other_theirs))  # fmt: skip
    same(getattr(xpnet, f"logical_{name}")(ours, other_ours),
         getattr(torch, f"logical_{name}")(theirs, other_theirs))  # fmt: skip


@pytest.mark.parametrize("values", [INTS, BOOLS], ids=["int64", "bool"])
def test_not_and_in_place_forms(backend, values):
    ours, theirs = both(backend, values)
    same(~ours, ~theirs)
    same(xpnet.logical_not(ours), torch.logical_not(theirs))
    ours &= xpnet.Tensor(backend.asarray(values[::-1].copy()))
    theirs &= torch.tensor(values[::-1].copy())
    same(ours, theirs)
    assert ours._version == 1


def test_bitwise_of_floats_is_a_type_error_as_torch_refuses(backend):
    ours, theirs = both(backend, random_input((3,)))
    with pytest.raises(TypeError, match="__and__: bitwise operations take bool or integer"):
        _ = ours & ours
    with pytest.raises(TypeError, match="bitwise_not"):
        _ = ~ours
    with pytest.raises(RuntimeError):
        theirs & theirs


@pytest.mark.parametrize("values", [INTS, random_input((2, 3), low=-4, high=4) * 3])
def test_floor_division_and_remainder_operators(backend, values):
    ours, theirs = both(backend, values)
    for op in (operator.floordiv, operator.mod):
        same(op(ours, 3), op(theirs, 3))
        same(op(ours, -2), op(theirs, -2))
        same(op(7, ours[ours != 0]), op(7, theirs[theirs != 0]))
    same(xpnet.floor_divide(ours, 3), torch.floor_divide(theirs, 3))


def test_selections_match_torch(backend):
    values = random_input((3, 4), seed=2)
    ours, theirs = both(backend, values)
    same(ours.nonzero(), theirs.nonzero())
    same((ours > 0.2).nonzero(), (theirs > 0.2).nonzero())
    same(xpnet.argwhere(ours > 0), torch.argwhere(theirs > 0))
    for ours_index, theirs_index in zip(
        xpnet.nonzero(ours > 0, as_tuple=True), torch.nonzero(theirs > 0, as_tuple=True),
        strict=True,
    ):  # fmt: skip
        same(ours_index, theirs_index)
    row_mask = np.array([True, False, True, True])
    check_tensor_method(
        lambda t: t.masked_select(xpnet.Tensor(backend.asarray(row_mask))) * 2.0,
        [values], backend,
        torch_method=lambda t: t.masked_select(torch.tensor(row_mask)) * 2.0,
    )  # fmt: skip
    with pytest.raises(TypeError, match="mask must be a bool tensor"):
        xpnet.masked_select(ours, ours)


def test_zero_d_nonzero_matches_torch(backend):
    ours, theirs = both(backend, np.array(5.0))
    assert tuple(ours.nonzero().shape) == tuple(theirs.nonzero().shape)


@pytest.mark.parametrize(
    "name",
    ["eq", "ne", "lt", "le", "gt", "ge", "greater", "greater_equal", "less", "less_equal",
     "not_equal"],
)  # fmt: skip
def test_comparison_function_forms(backend, name):
    a, ta = both(backend, random_input((2, 3), seed=1))
    b, tb = both(backend, random_input((2, 3), seed=2))
    same(getattr(xpnet, name)(a, b), getattr(torch, name)(ta, tb))
    same(getattr(xpnet, name)(a, 0.1), getattr(torch, name)(ta, 0.1))


@pytest.mark.parametrize(
    ("name", "args"),
    [("multiply", (2.5,)), ("divide", (-1.5,)), ("subtract", (0.5,)), ("true_divide", (3.0,)),
     ("negative", ()), ("absolute", ()), ("reciprocal", ()), ("clone", ()), ("t", ()),
     ("ravel", ()), ("clamp_min", (0.1,)), ("clamp_max", (-0.1,)), ("fliplr", ()),
     ("flipud", ())],
)  # fmt: skip
def test_differentiable_aliases_match_torch(backend, name, args):
    check_tensor_method(lambda t: getattr(xpnet, name)(t, *args), [random_input((2, 3))],
                        backend, torch_method=lambda t: getattr(torch, name)(t, *args))  # fmt: skip


def test_joins_and_reductions(backend):
    a, ta = both(backend, random_input((2, 3), seed=1))
    b, tb = both(backend, random_input((2, 3), seed=2))
    same(xpnet.hstack([a, b]), torch.hstack([ta, tb]))
    same(xpnet.vstack([a, b]), torch.vstack([ta, tb]))
    same(xpnet.hstack([a[0], b[0]]), torch.hstack([ta[0], tb[0]]))
    same(xpnet.vstack([a[0], b[0]]), torch.vstack([ta[0], tb[0]]))
    same(xpnet.concatenate([a, b], axis=1), torch.concatenate([ta, tb], axis=1))
    same(xpnet.all(a > -2), torch.all(ta > -2))
    same(xpnet.any(a > 0.9, 1), torch.any(ta > 0.9, 1))


def test_sign_tests_and_small_methods(backend):
    special = np.array([-0.0, 0.0, -np.inf, np.inf, np.nan, -2.0])
    ours, theirs = both(backend, special)
    for name in ("signbit", "isposinf", "isneginf"):
        same(getattr(xpnet, name)(ours), getattr(torch, name)(theirs))
        same(getattr(ours, name)(), getattr(theirs, name)())
    ints, tints = both(backend, INTS)
    assert ours.type_as(ints).dtype == np.int64 and theirs.type_as(tints).dtype == torch.int64
    assert ours.is_floating_point() and not ints.is_floating_point()
    assert ours.element_size() == theirs.element_size() == 8
    assert tuple(ints.reshape_as(ours[:6].reshape(3, 2)).shape) == (3, 2)
