"""Cross-entropy on logits (1024, 1000)."""

from __future__ import annotations

import pytest

from xpnet.bench import MODES, OPS


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("shape", OPS["cross_entropy"].shapes, ids=lambda s: ",".join(map(str, s)))
def test_cross_entropy(time_case, shape, mode):
    time_case("cross_entropy", shape, mode)
