"""Writes and casts that overflow their target dtype never leak a NumPy warning (the README's
promise), beyond the in-place float16 cases of ``test_inplace_overflow.py``: copies, casts,
index writes and fills into float16, integer casts that wrap as PyTorch's, and float-to-int
casts of NaN and inf. Each case runs under ``simplefilter("error")`` and, where PyTorch gives
values, is compared with torch 2.13's."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import xpnet

BIG = 1e6  # past float16's largest value, 65504
NAN, INF = float("nan"), float("inf")

# name -> (make the tensor, the operation on it; its result, or None for the tensor itself)
SAME_AS_TORCH = {
    "copy_float64_into_float16": (
        lambda m: m.zeros(2, dtype=m.float16),
        lambda m, z: z.copy_(m.full((2,), BIG, dtype=m.float64)),
    ),
    "to_float16": (lambda m: m.full((2,), BIG), lambda m, z: z.to(m.float16)),
    "half": (lambda m: m.full((2,), BIG), lambda m, z: z.half()),
    "type_float16": (lambda m: m.full((2,), BIG, dtype=m.float64), lambda m, z: z.type(m.float16)),
    "float_of_float64": (lambda m: m.full((2,), 1e300, dtype=m.float64), lambda m, z: z.float()),
    "tensor_float16": (lambda m: None, lambda m, z: m.tensor([BIG, -BIG], dtype=m.float16)),
    "index_put_": (
        lambda m: m.zeros(2, dtype=m.float16),
        lambda m, z: z.index_put_((m.tensor([0]),), m.full((1,), BIG).half()),
    ),
    "masked_scatter_": (
        lambda m: m.zeros(2, dtype=m.float16),
        lambda m, z: z.masked_scatter_(m.tensor([True, False]), m.full((2,), BIG).half()),
    ),
    "mul_number": (lambda m: m.full((2,), 1000.0, dtype=m.float16), lambda m, z: z.mul_(1000)),
    "lerp_": (
        lambda m: m.full((2,), 60000.0, dtype=m.float16),
        lambda m, z: z.lerp_(m.full((2,), 65504.0, dtype=m.float16), 2.0),
    ),
    # integers wrap, as PyTorch's (C's) casts
    "copy_int64_into_int8": (
        lambda m: m.zeros(2, dtype=m.int8),
        lambda m, z: z.copy_(m.tensor([300, -300])),
    ),
    "to_int8": (lambda m: m.tensor([300, -300]), lambda m, z: z.to(m.int8)),
    "setitem_int8": (
        lambda m: m.zeros(2, dtype=m.int8),
        lambda m, z: z.__setitem__(slice(None), m.tensor([300, -300])),
    ),
    "add_int8": (
        lambda m: m.full((2,), 100, dtype=m.int8),
        lambda m, z: z.add_(m.full((2,), 100, dtype=m.int8)),
    ),
    "sub_uint8": (lambda m: m.zeros(2, dtype=m.uint8), lambda m, z: z - 1),
    "add_int64": (lambda m: m.full((2,), 2**62), lambda m, z: z + z),
}

# PyTorch refuses these numbers ("value cannot be converted to type c10::Half without
# overflow"), and so does xpnet (test_scalar_conversion.py has the other dtypes and fills)
REFUSED_AS_TORCH = {
    "fill_": lambda m: m.zeros(2, dtype=m.float16).fill_(BIG),
    "masked_fill_": lambda m: m.zeros(2, dtype=m.float16).masked_fill_(m.tensor([True, True]), BIG),
    "index_fill_": lambda m: m.zeros(2, dtype=m.float16).index_fill_(0, m.tensor([0, 1]), BIG),
    "scatter_value": lambda m: m.zeros(2, dtype=m.float16).scatter_(0, m.tensor([0, 1]), BIG),
    "full": lambda m: m.full((2,), BIG, dtype=m.float16),
}

# float to int of NaN, inf and out-of-range values: PyTorch's values are undefined (C's
# casts), so only "no warning" is checked
FLOAT_TO_INT = {
    "to_int32": lambda m, x: x.to(m.int32),
    "long": lambda m, x: x.long(),
    "to_uint8": lambda m, x: x.to(m.uint8),
    "copy_into_int32": lambda m, x: m.zeros(4, dtype=m.int32).copy_(x),
    "setitem_int32": lambda m, x: m.zeros(4, dtype=m.int32).__setitem__(slice(None), x),
}


def _run(function, *args):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return function(*args)


@pytest.mark.parametrize("name", sorted(SAME_AS_TORCH))
def test_overflowing_writes_and_casts_match_torch_without_a_warning(backend, name):
    make, operation = SAME_AS_TORCH[name]
    results = []
    for m in (torch, xpnet):
        z = make(m)
        result = _run(operation, m, z)
        results.append(np.asarray((z if result is None else result).tolist()))
    np.testing.assert_array_equal(results[1], results[0])
    assert str(results[1].dtype) == str(results[0].dtype)


@pytest.mark.parametrize("name", sorted(REFUSED_AS_TORCH))
def test_out_of_range_numbers_are_refused_as_pytorch_without_a_warning(backend, name):
    operation = REFUSED_AS_TORCH[name]
    with pytest.raises(RuntimeError, match="cannot be converted to type c10::Half"):
        operation(torch)
    with pytest.raises(RuntimeError, match="cannot be converted to float16 without overflow"):
        _run(operation, xpnet)


@pytest.mark.parametrize("name", sorted(FLOAT_TO_INT))
def test_float_to_int_casts_of_nan_and_inf_do_not_warn(backend, name):
    x = xpnet.tensor([NAN, INF, -INF, 1e20])
    _run(FLOAT_TO_INT[name], xpnet, x)
