"""conv2d forward, backward and forward+backward on the conv shapes of the brief."""

from __future__ import annotations

import pytest

from xpnet.bench import MODES, OPS


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("shape", OPS["conv2d"].shapes, ids=lambda s: ",".join(map(str, s)))
def test_conv2d(time_case, shape, mode):
    time_case("conv2d", shape, mode)
