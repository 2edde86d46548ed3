"""Pooling on (128, 64, 32, 32): max 2x2 stride 2, max 3x3 stride 2 padding 1, avg 2x2."""

from __future__ import annotations

import pytest

from xpnet.bench import MODES, OPS

CASES = [
    pytest.param(op, shape, id=f"{op}-{','.join(map(str, shape))}")
    for op in ("max_pool2d", "avg_pool2d")
    for shape in OPS[op].shapes
]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("op, shape", CASES)
def test_pool2d(time_case, op, shape, mode):
    time_case(op, shape, mode)
