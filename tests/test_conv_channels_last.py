"""conv2d's per-row forward products in channels-last order (xpnet.kernels._conv_channels_last):
where they run, and that they give PyTorch's results and the NCHW order's, on every geometry
the per-row formula runs."""

from __future__ import annotations

import numpy as np
import pytest
from _oracle import assert_close, check_conv2d_case, random_input

import xpnet.kernels as K
import xpnet.kernels._conv_im2col as conv_im2col
from xpnet.backends._base import CPU_CONV_COSTS, GPU_CONV_COSTS
from xpnet.kernels._conv_cost import channels_last_pays

# PyTorch warns that it copies the input for 'same' with an even kernel; that is its business
pytestmark = pytest.mark.filterwarnings("ignore:Using padding='same':UserWarning")


def test_channels_last_runs_with_one_group_where_launches_are_free():
    assert channels_last_pays(CPU_CONV_COSTS, 1) is True
    assert channels_last_pays(CPU_CONV_COSTS, 2) is False  # a window row spans every group
    assert channels_last_pays(GPU_CONV_COSTS, 1) is False  # its extra launches, nothing saved


def _counting(monkeypatch):
    """The inputs of the chunks that conv2d copied channels last (a spy that changes nothing)."""
    calls = []
    copy = conv_im2col.channels_last_copy

    def spy(*args, **kwargs):
        calls.append(args[1].shape)
        return copy(*args, **kwargs)

    monkeypatch.setattr(conv_im2col, "channels_last_copy", spy)
    return calls


@pytest.mark.parametrize("groups, expected", [(1, True), (2, False)])
def test_per_row_forward_and_correlation_run_channels_last_on_the_cpu(
    backend, cpu_conv_choices, monkeypatch, groups, expected
):
    calls = _counting(monkeypatch)
    x = backend.asarray(random_input((2, 64, 9, 9), 0).astype(np.float32))
    w = backend.asarray(random_input((64, 64 // groups, 3, 3), 1).astype(np.float32))
    assert K.select_conv_algorithm(x, w, None, 1, 1, 1, groups) is K.ConvAlgorithm.IM2COL_PER_ROW
    y = K.conv2d(x, w, padding=1, groups=groups)
    assert bool(calls) is expected
    calls.clear()
    K.conv2d_backward(y, x, w, padding=1, groups=groups, output_mask=(True, False, False))
    assert bool(calls) is expected  # grad_input by correlation runs the forward


# (input, weight, stride, padding, dilation): strides and dilations along W, the asymmetric
# padding of 'same' with an even kernel, a one-column kernel, no padding, 4 KiB planes (their
# padded copy is staged in NCHW) and planes that are not
GEOMETRIES = [
    ((2, 8, 7, 9), (5, 8, 3, 3), 1, 1, 1),
    ((2, 8, 7, 9), (5, 8, 3, 2), (1, 2), (1, 0), (1, 2)),
    ((2, 6, 8, 7), (4, 6, 4, 2), 1, "same", (2, 1), 1),
    ((2, 8, 8, 8), (3, 8, 3, 1), 1, (2, 1), 1),
    ((1, 8, 6, 6), (8, 8, 2, 3), (1, 3), 0, 1),
    ((2, 4, 32, 32), (4, 4, 3, 3), 1, 1, 1),
    ((2, 4, 16, 32), (3, 4, 3, 3), 1, (1, 2), 1),
]


def _conv_case(backend, case, dtype):
    with K.conv_algorithms("im2col_per_row"):
        return check_conv2d_case(backend, case, dtype)


@pytest.mark.parametrize("case", GEOMETRIES, ids=str)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_channels_last_matches_torch_and_the_nchw_order(
    backend, cpu_conv_choices, monkeypatch, case, dtype
):
    calls = _counting(monkeypatch)
    channels_last = _conv_case(backend, case, dtype)
    assert calls  # the forward (and grad_input, where a correlation gets it) ran it
    monkeypatch.setattr(conv_im2col, "channels_last_pays", lambda costs, groups: False)
    calls.clear()
    nchw = _conv_case(backend, case, dtype)
    assert not calls
    pairs = zip([channels_last[0], *channels_last[1]], [nchw[0], *nchw[1]], strict=True)
    for a, b in pairs:
        assert_close(a, b, dtype, "channels last vs NCHW order")
