"""A Python number written into a tensor (fills, ``clamp`` bounds) as PyTorch converts it:
refused with a RuntimeError where ``c10::overflows`` says it does not fit, wrapped where
PyTorch wraps it; integer arithmetic on unsigned tensors wraps, with no NumPy exception
or warning; dtype checks of ``Tensor.norm``; the dropout family returning its input itself
when it drops nothing. PyTorch 2.13 is the oracle of every case."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import torch

import xpnet
import xpnet.nn.functional as F
from xpnet.kernels import ArgumentError

DTYPES = ["float16", "float32", "int8", "uint8", "int32", "int64"]
VALUES = [
    65504.0, 65504.5, 65519.0, 1e6, -1e6, 1e39, math.inf, -math.inf, math.nan,
    127, 128, 127.9, -128, -128.5, -1, -255, -256, 255, 256, 2.7, -2.7, 2**31, 2**63 - 1,
    -(2**63), True,
]  # fmt: skip

FILLS = {
    "fill_": lambda m, z, v: z.fill_(v),
    "full": lambda m, z, v: m.full((2,), v, dtype=z.dtype),
    "new_full": lambda m, z, v: z.new_full((2,), v),
    "full_like": lambda m, z, v: m.full_like(z, v),
    "masked_fill": lambda m, z, v: z.masked_fill(m.tensor([True, False]), v),
    "masked_fill_no_hit": lambda m, z, v: z.masked_fill(m.tensor([False, False]), v),
    "index_fill": lambda m, z, v: z.index_fill(0, m.tensor([1]), v),
    "clamp_max": lambda m, z, v: z.clamp(max=v),
    "clamp_min_": lambda m, z, v: z.clamp_(min=v),
    "fill_diagonal_": lambda m, z, v: z.reshape(1, 2).fill_diagonal_(v),
}


def outcome(module, name, dtype, value):
    """The values written, or the exception type raised (PyTorch's RuntimeError, which
    xpnet's ArgumentError also is)."""
    zeros = module.zeros(2, dtype=getattr(module, dtype))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            result = FILLS[name](module, zeros, value)
    except RuntimeError:
        return "RuntimeError"
    return result.dtype.__str__().split(".")[-1], np.asarray(result.tolist())


def skipped(name, dtype, value) -> bool:
    # clamp of an integer tensor by a float bound is a float result; torch refuses that
    # only in place (a result dtype it cannot write back): covered by test_clamp_ below
    return name == "clamp_min_" and dtype[0] in "iu" and isinstance(value, float)


@pytest.mark.parametrize("name", sorted(FILLS))
@pytest.mark.parametrize("dtype", DTYPES)
def test_a_number_is_written_or_refused_as_pytorch(backend, name, dtype):
    for value in VALUES:
        if skipped(name, dtype, value):
            continue
        expected, got = outcome(torch, name, dtype, value), outcome(xpnet, name, dtype, value)
        if isinstance(expected, str) or isinstance(got, str):
            assert got == expected, (name, dtype, value, got, expected)
            continue
        assert got[0] == expected[0], (name, dtype, value)
        np.testing.assert_array_equal(got[1], expected[1], err_msg=f"{name} {dtype} {value}")


def test_the_refusal_names_the_function_the_argument_and_the_range(backend):
    with pytest.raises(ArgumentError, match=r"Tensor.fill_: value 1000000.0 cannot be conv"):
        xpnet.zeros(2, dtype=xpnet.float16).fill_(1e6)
    with pytest.raises(RuntimeError, match=r"full: fill_value 300 .* int8 .*range -128 to 127"):
        xpnet.full((2,), 300, dtype=xpnet.int8)
    with pytest.raises(ValueError, match=r"Tensor.clamp: max 1e\+40 .* float32"):
        xpnet.zeros(2, dtype=xpnet.int32).clamp(max=1e40)  # the result is float32


def test_clamp_in_place_of_integers_by_a_float_bound_is_refused(backend):
    for module in (torch, xpnet):
        with pytest.raises(RuntimeError):
            module.zeros(2, dtype=module.int32).clamp_(min=0.5)


ARITHMETIC = {
    "neg": lambda x: -x,
    "negative": lambda x: x.negative(),
    "mul -1": lambda x: x * -1,
    "and -1": lambda x: x & -1,
    "or -2": lambda x: x | -2,
    "rxor -3": lambda x: -3 ^ x,
    "iand -1": lambda x: x.__iand__(-1),
    "add 300": lambda x: x + 300,
    "rsub 0": lambda x: 0 - x,
}


@pytest.mark.parametrize("name", sorted(ARITHMETIC))
@pytest.mark.parametrize("dtype", ["uint8", "int8", "int16"])
def test_integer_arithmetic_with_numbers_wraps_as_pytorch(backend, name, dtype):
    results = []
    for m in (torch, xpnet):
        x = m.tensor([0, 1, 100, 127], dtype=getattr(m, dtype))
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            results.append(ARITHMETIC[name](x).tolist())
    assert results[1] == results[0]


@pytest.mark.parametrize("op", ["__gt__", "__le__", "__eq__", "__ne__"])
def test_comparing_float16_with_a_number_past_its_range_gives_no_warning(backend, op):
    results = []
    for m in (torch, xpnet):
        x = m.tensor([1.0, 65504.0, math.inf], dtype=m.float16)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            results.append(getattr(x, op)(1e6).tolist())
    assert results[1] == results[0]


@pytest.mark.parametrize("call", ["method", "function", "dim", "inf"])
def test_norm_refuses_a_narrowing_dtype_as_pytorch(backend, call):
    def norm(m, x):
        if call == "method":
            return x.norm(dtype=m.float16)
        if call == "function":
            return m.norm(x, dtype=m.float16)
        return x.norm(p=2 if call == "dim" else math.inf, dim=0, dtype=m.float16)

    with pytest.raises(RuntimeError, match="without narrowing"):
        norm(torch, torch.tensor([1.0, 2.0]))
    with pytest.raises(ArgumentError, match=r"linalg.vector_norm: the dtype of the input \(fl"):
        norm(xpnet, xpnet.tensor([1.0, 2.0]))


def test_norm_widens_and_refuses_integers_even_with_a_float_dtype(backend):
    wide = xpnet.tensor([3.0, 4.0], dtype=xpnet.float16).norm(dtype=xpnet.float64)
    assert wide.dtype == np.float64 and wide.item() == 5.0
    with pytest.raises(RuntimeError, match="floating point"):
        torch.tensor([1, 2]).norm(dtype=torch.float32)
    with pytest.raises(TypeError, match="Tensor.norm: expected a floating-point tensor"):
        xpnet.tensor([1, 2]).norm(dtype=xpnet.float32)


DROPOUTS = {
    "dropout": (2, 3),
    "alpha_dropout": (2, 3),
    "feature_alpha_dropout": (2, 3, 4),
    "dropout1d": (2, 3, 4),
    "dropout2d": (2, 3, 4, 5),
    "dropout3d": (2, 3, 4, 5, 6),
}


@pytest.mark.parametrize("name", sorted(DROPOUTS))
def test_dropout_that_drops_nothing_returns_its_input_itself(backend, name):
    for m, functional in ((torch, torch.nn.functional), (xpnet, F)):
        x = m.ones(*DROPOUTS[name], requires_grad=True)
        dropout = getattr(functional, name)
        assert dropout(x, p=0.0, training=True) is x
        assert dropout(x, p=0.5, training=False) is x
        assert dropout(x, 0.5, False, True) is x  # inplace too
        assert dropout(x, p=0.5, training=True) is not x
        empty = m.ones(0, *DROPOUTS[name][1:])
        assert dropout(empty, p=0.5, training=True) is empty


def test_dropout_switched_off_still_checks_its_arguments(backend):
    x = xpnet.ones(2, 3, requires_grad=True)
    with pytest.raises(ValueError, match=r"dropout: p must be in \[0, 1\], got 2"):
        F.dropout(x, p=2, training=False)
    with pytest.raises(ArgumentError, match="dropout3d: input must have 4 or 5 dimensions"):
        F.dropout3d(x, p=0.5, training=False)
    state = xpnet.get_rng_state()
    F.dropout(xpnet.ones(0), p=0.5)  # no elements: no draw, as PyTorch's
    assert (xpnet.get_rng_state() == state).all()
