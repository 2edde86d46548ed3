"""The operators and named methods promote dtypes as PyTorch's (``torch.result_type``), not as
NumPy's: every pair of operand kinds below runs on ``torch`` and ``xpnet`` and must give the
same dtype and the same values."""

from __future__ import annotations

import itertools
import operator

import numpy as np
import pytest
import torch

import xpnet
from xpnet.kernels import ArgumentError

DTYPES = ["bool", "uint8", "int8", "int32", "int64", "float16", "float32", "float64"]
NUMBERS = [True, 3, -2, 1000, 2.5]
OPERATORS = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": operator.truediv,
    "**": operator.pow,
    "==": operator.eq,
    "<": operator.lt,
}


def operand(module, spec):
    """A Tensor (``(dtype, ndim)``) or the Python number ``spec`` of ``module``."""
    if not isinstance(spec, tuple):
        return spec
    dtype, ndim = spec
    values = [1, 2] if ndim else 3
    return module.tensor(values, dtype=getattr(module, dtype))


def outcome(module, name, first, second):
    try:
        with np.errstate(all="ignore"):
            result = OPERATORS[name](operand(module, first), operand(module, second))
    except (RuntimeError, TypeError, ValueError, ArgumentError):
        return "error"
    return str(result.dtype).replace("torch.", ""), np.asarray(result.tolist(), dtype=float)


TENSORS = [(dtype, ndim) for dtype in DTYPES for ndim in (1, 0)]
PAIRS = [
    *itertools.product(TENSORS, TENSORS),
    *itertools.product(TENSORS, NUMBERS),
    *itertools.product(NUMBERS, TENSORS),
]


@pytest.mark.parametrize("name", list(OPERATORS))
def test_operators_promote_as_torch(name):
    mismatches = []
    for first, second in PAIRS:
        theirs = outcome(torch, name, first, second)
        if theirs == "error":
            continue
        ours = outcome(xpnet, name, first, second)
        if ours == "error" or ours[0] != theirs[0] or not np.array_equal(ours[1], theirs[1]):
            mismatches.append((first, second, ours, theirs))
    assert not mismatches, mismatches[:5]


NAMED = {
    "exp of integers": lambda L: L.tensor([1, 2]).exp(),
    "sqrt of integers": lambda L: L.tensor([1, 4]).sqrt(),
    "log of bools": lambda L: L.tensor([True, False]).log(),
    "abs of integers": lambda L: L.tensor([-1, 2]).abs(),
    "clamp of integers to a float": lambda L: L.tensor([1, 2, 3]).clamp(max=0.5),
    "clamp to a 0-d float64": lambda L: L.tensor([1.0, 2.0]).clamp(
        max=L.tensor(1.5, dtype=L.float64)
    ),
    "negative integer powers": lambda L: (
        L.tensor([2, 3, 1, -1, -1, 0]) ** L.tensor([-1, 2, -5, -3, -2, -1])
    ),
    "a number to integer powers": lambda L: 2 ** L.tensor([-1, 2]),
    "bools to a bool power": lambda L: L.tensor([True, False]).pow(False),
    "bools squared": lambda L: L.tensor([True, False]).square(),
    "bools plus bools times 2": lambda L: L.tensor([True, False]).add(
        L.tensor([True, True]), alpha=2
    ),
    "bools plus bools times 0": lambda L: L.tensor([True, False]).add(
        L.tensor([True, True]), alpha=0
    ),
    "xlogy of float32 and a number": lambda L: L.tensor([0.3, 2.0]).xlogy(3),
    "xlogy of float64 and float32": lambda L: L.tensor([0.3], dtype=L.float64).xlogy(
        L.tensor([0.7])
    ),
    "atan2 beside a 0-d float64": lambda L: L.tensor([1.0, 2.0]).atan2(
        L.tensor(3.0, dtype=L.float64)
    ),
    "a number over float16": lambda L: 2.5 / L.tensor([3.0, 7.0], dtype=L.float16),
    "a float modulo integers": lambda L: 7.5 % L.tensor([3, 4]),
    "an int floor-divided by integers": lambda L: 7 // L.tensor([3, 4]),
    "comparison in the promoted dtype": lambda L: L.tensor([0.1]) == L.tensor(0.1, dtype=L.float64),
}


@pytest.mark.parametrize("case", list(NAMED))
def test_named_functions_promote_as_torch(case):
    ours, theirs = NAMED[case](xpnet), NAMED[case](torch)
    assert str(ours.dtype) == str(theirs.dtype).replace("torch.", "")
    # float32 exp and log may differ in the last bit (NumPy's and PyTorch's SIMD loops)
    np.testing.assert_allclose(np.asarray(ours.tolist()), np.asarray(theirs.tolist()), rtol=2e-7)


def test_mixed_dtype_gradients_come_back_in_each_input_dtype():
    for L in (xpnet, torch):
        x = L.tensor([1.0, 2.0], requires_grad=True)
        s = L.tensor(3.0, dtype=L.float64, requires_grad=True)
        (x * s / 2).sum().backward()
        assert str(x.grad.dtype).endswith("float32") and str(s.grad.dtype).endswith("float64")
        assert np.asarray(x.grad.tolist()).tolist() == [1.5, 1.5] and float(s.grad) == 1.5


IN_PLACE = {"+=": operator.iadd, "-=": operator.isub, "*=": operator.imul, "/=": operator.itruediv}


def in_place_outcome(module, name, first, second):
    """``first op= second`` on a fresh 1-d tensor: its dtype and values, or "error"."""
    target = operand(module, first)
    try:
        with np.errstate(all="ignore"):
            IN_PLACE[name](target, operand(module, second))
    except (RuntimeError, TypeError, ValueError, ArgumentError):
        return "error"
    return str(target.dtype).replace("torch.", ""), np.asarray(target.tolist(), dtype=float)


@pytest.mark.parametrize("name", list(IN_PLACE))
def test_in_place_operators_cast_or_refuse_as_torch(name):
    """The result is cast back to the tensor's dtype where PyTorch can (``float32 += float64``,
    ``int8 += 1000`` wrapping) and refused where it cannot (``int += 2.5``, ``int /= 2``)."""
    mismatches = []
    for first in [(dtype, 1) for dtype in DTYPES]:
        for second in [*TENSORS, *NUMBERS]:
            theirs = in_place_outcome(torch, name, first, second)
            ours = in_place_outcome(xpnet, name, first, second)
            if isinstance(ours, str) or isinstance(theirs, str):
                same = ours == theirs
            else:
                same = ours[0] == theirs[0] and np.array_equal(ours[1], theirs[1])
            if not same:
                mismatches.append((first, second, ours, theirs))
    assert not mismatches, mismatches[:5]


@pytest.mark.parametrize("name", ["mean", "var", "std", "std_mean", "var_mean"])
@pytest.mark.parametrize("dtype", ["int64", "bool"])
def test_averages_of_integers_are_refused_as_torch(name, dtype):
    for L, errors in ((torch, RuntimeError), (xpnet, ArgumentError)):
        x = L.tensor([1, 0, 1], dtype=getattr(L, dtype))
        function = getattr(L, name) if name.endswith("_mean") else getattr(x, name)
        with pytest.raises(errors):
            function(x) if name.endswith("_mean") else function()
    assert xpnet.tensor([1, 2]).mean(dtype=xpnet.float32).item() == 1.5
