"""In-place writes past float16's range give inf, as PyTorch's, and never a NumPy warning
(the suite turns warnings into errors; each case also runs under ``simplefilter("error")``)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import xpnet

BIG = 1e6  # past float16's largest value, 65504

CASES = {
    "addcmul_": lambda m, z: z.addcmul_(m.full((2,), 300.0), m.full((2,), 300.0)),
    "add_": lambda m, z: z.add_(m.full((2,), BIG)),
    "copy_": lambda m, z: z.copy_(m.full((2,), BIG)),
    "setitem_number": lambda m, z: z.__setitem__(0, BIG),
    "setitem_tensor": lambda m, z: z.__setitem__(slice(None), m.full((2,), BIG)),
    "iadd": lambda m, z: z.__iadd__(m.full((2,), BIG)),
    "scatter_": lambda m, z: z.scatter_(0, m.tensor([0]), m.full((1,), BIG).to(m.float16)),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_float16_overflow_in_place_is_inf_without_a_warning(backend, name):
    results = []
    for m in (torch, xpnet):
        z = m.zeros(2, dtype=m.float16)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            CASES[name](m, z)
        results.append(np.asarray(z.tolist()))
    np.testing.assert_array_equal(results[1], results[0])
    assert np.isinf(results[0]).any()
