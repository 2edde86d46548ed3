"""Regression tests for what the 2026-12-07 audits left apart from PyTorch 2.13 and a later
session closed: ``arange`` of an integer dtype from float arguments (PyTorch cuts them to
ints first), ``arange`` of bools, ``logspace`` of integer dtypes (PyTorch casts the bounds
first) and its refusals, ``sum(dtype=)`` of a small integer dtype (the sum was int64), and
the constraints ``torch.distributions.constraints`` has that xpnet's module lacked
(``square``, ``symmetric``, ``positive_integer``; ``half_open_interval`` and
``multinomial`` were elsewhere) or checked apart from torch (definite non-square matrices).

PyTorch is the oracle: each case runs on both libraries; where PyTorch raises, xpnet's
exception must be an instance of PyTorch's class.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch
from _oracle import assert_same_as_torch as _same

import xpnet


def _same_or_both_raise(call):
    try:
        theirs = call(torch)
    except Exception as error:  # noqa: BLE001 - any of PyTorch's classes
        with pytest.raises(type(error)):
            call(xpnet)
        return
    _same(call(xpnet), theirs)


_RANGES = [
    (0, 5, 1.5), (0, 5.5, 1), (0.5, 5, 2), (0, 5, 0.5), (-0.5, -5, -1.5), (0, -5, -1.5),
    (0.9, 3.9, 1), (0.5, 0.2, 1), (True,), (0, 3, True), (2.9, -3.7, -1.5),
]  # fmt: skip


@pytest.mark.parametrize(
    ("args", "dtype"),
    list(itertools.product(_RANGES, ["int64", "int32", "uint8", "int16", "int8", None])),
)
def test_arange_of_an_integer_dtype_cuts_float_arguments_as_torch(backend, args, dtype):
    # int64 cuts start, end and step to ints and counts in ints (a step of 0.5 is refused);
    # the other integer dtypes cut start and step but take the length from the floats
    _same_or_both_raise(lambda lib: lib.arange(*args, dtype=getattr(lib, dtype) if dtype else None))


def test_arange_of_bools_is_refused_as_torch(backend):
    with pytest.raises(NotImplementedError, match="arange.*Bool"):
        xpnet.arange(5, dtype=xpnet.bool)


_LOGSPACES = [
    (0.5, 2.5, 3, 10.0), (2.9, 0, 5, 10.0), (1, 0, 3, 2.0), (-3.7, 3.3, 7, 2.5), (0, 2, 3, -2.0),
    (-0.5, 2, 3, 10.0), (-0.5, 2, 0, 10.0), (-0.5, 2, 1, 10.0), (0.5, 2, 1, -2.0),
    (2.9, 0, 1, 10.0), (1, 0, 1, -2.0), (-1, 2, 4, 3.0),
]  # fmt: skip


@pytest.mark.parametrize(
    ("args", "dtype"), list(itertools.product(_LOGSPACES, ["int64", "int32", "uint8", "int16"]))
)
def test_logspace_of_an_integer_dtype_casts_the_bounds_first_as_torch(backend, args, dtype):
    # the bounds cast to the dtype (refused where the cast overflows, as a fill of one power
    # is), the exponent's difference in C++'s promoted ints, each power cut toward zero
    start, end, steps, base = args
    _same_or_both_raise(
        lambda lib: lib.logspace(start, end, steps, base, dtype=getattr(lib, dtype))
    )


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_logspace_counts_down_from_end_in_its_second_half_as_torch(dtype):
    # within an ulp of PyTorch's std::pow (NumPy's power may round the other way)
    for start, end, steps, base in [(0, 2, 5, 10.0), (-5, 1.786, 101, 3.7), (4, 3.425, 50, 0.5)]:
        ours = xpnet.logspace(start, end, steps, base, dtype=getattr(xpnet, dtype)).numpy()
        theirs = torch.logspace(start, end, steps, base, dtype=getattr(torch, dtype)).numpy()
        np.testing.assert_array_max_ulp(ours, theirs, maxulp=1)
    assert xpnet.logspace(0, 1, 3, requires_grad=True).requires_grad


@pytest.mark.parametrize(
    ("dtype", "source"),
    [("uint8", "int32"), ("int8", "int64"), ("int32", "int32"), ("bool", "int32")],
)
def test_sum_with_an_integer_dtype_adds_up_in_it_as_torch(backend, dtype, source):
    # PyTorch sums in ``dtype`` (uint8: modulo 256); xpnet's int64 sum was returned as int64
    def call(lib):
        values = lib.full((3, 100), 3, dtype=getattr(lib, source))
        return values.sum(dtype=getattr(lib, dtype)), lib.sum(values, 1, dtype=getattr(lib, dtype))

    for ours, theirs in zip(call(xpnet), call(torch), strict=True):
        _same(ours, theirs)


_MATRICES = [
    [[1.0, 2.0], [2.0, 1.0]], [[1.0, 2.0], [0.0, 1.0]], [[1.0, 0.0], [0.0, -1.0]],
    [[2.0, 1.0], [1.0, 2.0]], [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]],
    [[[1.0, 0.0], [0.0, 1.0]], [[1.0, 2.0], [3.0, 4.0]]], [[[2.0, 1.0], [1.0, 2.0]]] * 3,
]  # fmt: skip


@pytest.mark.parametrize(
    "name", ["square", "symmetric", "positive_semidefinite", "positive_definite"]
)
@pytest.mark.parametrize("value", _MATRICES)
def test_matrix_constraints_match_torch(backend, name, value):
    # square and symmetric were missing; a non-square value made the definite checks raise
    ours = getattr(xpnet.distributions.constraints, name)
    theirs = getattr(torch.distributions.constraints, name)
    _same(ours.check(xpnet.tensor(value)), theirs.check(torch.tensor(value)))
    assert (repr(ours), ours.event_dim, ours.is_discrete) == (
        repr(theirs),
        theirs.event_dim,
        theirs.is_discrete,
    )


@pytest.mark.parametrize(
    "make",
    [
        lambda c: c.positive_integer,
        lambda c: c.half_open_interval(0.0, 1.0),
        lambda c: c.multinomial(3),
    ],
    ids=["positive_integer", "half_open_interval", "multinomial"],
)
def test_constraints_missing_from_the_module_match_torch(backend, make):
    ours, theirs = make(xpnet.distributions.constraints), make(torch.distributions.constraints)
    for value in [[0.0, 0.5, 1.0], [1.0, 1.0, 1.0], [1.0, 2.0, 1.0], [-1.0, 0.0, 2.0]]:
        _same(ours.check(xpnet.tensor(value)), theirs.check(torch.tensor(value)))
    assert (repr(ours), ours.event_dim, ours.is_discrete) == (
        repr(theirs),
        theirs.event_dim,
        theirs.is_discrete,
    )
    assert set(torch.distributions.constraints.__all__) <= set(dir(xpnet.distributions.constraints))


@pytest.mark.parametrize(
    "call",
    [
        lambda lib, i: lib.gather(lib.ones(3), 0, i),
        lambda lib, i: lib.ones(3).scatter(0, i, 1.0),
        lambda lib, i: lib.ones(3).index_select(0, i),
        lambda lib, i: lib.ones(3).scatter_add(0, i, lib.ones(1)),
    ],
    ids=["gather", "scatter", "index_select", "scatter_add"],
)
@pytest.mark.parametrize("index", [[5], [-1], [0.0]], ids=["past the end", "negative", "float"])
def test_index_errors_are_instances_of_torchs_class(backend, call, index):
    # gather and scatter raise RuntimeError in PyTorch (index_select IndexError for a value
    # out of range); xpnet raised IndexError and TypeError
    with pytest.raises(Exception) as theirs:  # noqa: PT011 - whatever class torch raises
        call(torch, torch.tensor(index))
    with pytest.raises(theirs.type, match="index"):  # at the next host read on strict
        call(xpnet, xpnet.tensor(index)).tolist()


def test_pdist_refuses_a_nan_p_as_torch(backend):
    # ``p < 0`` let NaN through: every distance NaN where PyTorch refuses
    with pytest.raises(RuntimeError, match="p must be non-negative, got nan"):
        xpnet.pdist(xpnet.ones(3, 2), p=float("nan"))


@pytest.mark.parametrize(
    "call",
    [
        lambda lib: lib.argmax(lib.zeros(0)),
        lambda lib: lib.argmin(lib.zeros(0, 3), dim=0),
        lambda lib: lib.argmax(lib.tensor([True, False])),
        lambda lib: lib.zeros(2, 0).argmin(1, keepdim=True),
        lambda lib: lib.argmax(lib.zeros(0, 3), dim=1),
        lambda lib: +lib.tensor([True]),
        lambda lib: lib.tensor([True]) // lib.tensor([True]),
        lambda lib: lib.ones(2).float_power_(2),
    ],
    ids=[
        "argmax of nothing", "argmin along an empty dim", "argmax of bools",
        "argmin keepdim along an empty dim", "argmax along a full dim of an empty tensor",
        "+bool", "bool // bool", "float32 float_power_",
    ],
)  # fmt: skip
def test_refusals_are_of_torchs_class_and_valid_calls_work(backend, call):
    # argmax of no elements raised NumPy's ValueError and of bools answered; the other three
    # raised plain TypeErrors where PyTorch raises RuntimeError (NotImplementedError)
    _same_or_both_raise(call)


_BOOLS = [[True, False], [False, True]]


@pytest.mark.parametrize(
    "call",
    [
        lambda lib: lib.tensor(_BOOLS) @ lib.tensor(_BOOLS),
        lambda lib: lib.mm(lib.tensor(_BOOLS), lib.tensor(_BOOLS)),
        lambda lib: lib.bmm(lib.tensor([_BOOLS]), lib.tensor([_BOOLS])),
        lambda lib: lib.linalg.multi_dot([lib.tensor(_BOOLS)] * 2),
        lambda lib: lib.addr(
            lib.tensor(_BOOLS), lib.tensor([True, False]), lib.tensor([1, 1]).bool()
        ),
        lambda lib: lib.addr(
            lib.tensor(False), lib.tensor([True, False]), lib.tensor([True]), beta=0
        ),
    ],
    ids=["@", "mm", "bmm", "multi_dot", "addr", "addr beta=0"],
)
def test_bool_products_are_refused_but_addr_is_logical_as_torch(backend, call):
    # PyTorch has no bool product kernel (xpnet multiplied); its addr of bools is logical
    _same_or_both_raise(call)


@pytest.mark.parametrize(
    ("first", "second"),
    [("float64", "complex64"), ("complex64", "float64"), ("float32", "complex128")],
)
@pytest.mark.parametrize("shapes", [((2,), (2,)), ((2,), ()), ((), (2,))])
def test_float_and_complex_promote_as_torch(backend, first, second, shapes):
    # a float beside a complex took the complex dtype whatever the float's width
    # (float64 and complex64 gave complex64, PyTorch complex128)
    ours = xpnet.result_type(
        xpnet.tensor(np.zeros(shapes[0], first)), xpnet.tensor(np.zeros(shapes[1], second))
    )
    theirs = torch.result_type(
        torch.zeros(shapes[0], dtype=getattr(torch, first)),
        torch.zeros(shapes[1], dtype=getattr(torch, second)),
    )
    assert str(ours) == str(theirs).removeprefix("torch.")
    added = xpnet.tensor(np.ones(shapes[0], first)) + xpnet.tensor(np.ones(shapes[1], second))
    assert added.dtype == ours
