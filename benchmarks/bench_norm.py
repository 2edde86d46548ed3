"""BatchNorm2d in training mode on (128, 64, 32, 32)."""

from __future__ import annotations

import pytest

from xpnet.bench import MODES, OPS


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("shape", OPS["batch_norm"].shapes, ids=lambda s: ",".join(map(str, s)))
def test_batch_norm(time_case, shape, mode):
    time_case("batch_norm", shape, mode)
