"""conv2d forward, backward and forward+backward on the conv shapes of the brief, with the
formula each xpnet contender ran (``extra_info["algorithm"]``, see
:func:`xpnet.kernels.select_conv_algorithm`)."""

from __future__ import annotations

import pytest

from xpnet.bench import MODES, OPS


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("shape", OPS["conv2d"].shapes, ids=lambda s: ",".join(map(str, s)))
def test_conv2d(time_case, benchmark, contender, shape, mode):
    time_case("conv2d", shape, mode)
    # None for PyTorch, whose formulas are its own
    benchmark.extra_info["algorithm"] = contender.algorithm(OPS["conv2d"].case(shape), "float32")
