"""conv2d's cost model: launches against work, with the constants the backend gives.

The measured thresholds of :mod:`._conv_select` say which formula is faster where work rules
(a CPU, or large tensors on a GPU). On a GPU every device call is a kernel launch of several
microseconds, and the formulas differ a lot in launches (counted on strict with
:func:`xpnet.profile`, forward + backward, one batch chunk, steady state):

=============================  =======  ==========================================
formula                        3x3      how it grows
=============================  =======  ==========================================
``pointwise``                  9        no window copy
``im2col`` + a correlation     ~22      ``3 + 10`` (+ 2 + 2 with padding) + 5
``im2col`` with col2im         ~38      + ``2 kH kW`` slice-adds (each ``+=`` and a store)
``im2col_per_row``             ~47      + ``8 kH + 1``: one product and one add per row
``fourier``                    ~70      transforms in and out, forward and adjoint
=============================  =======  ==========================================

So each decision is the threshold's, unless the backend's costs (:class:`ConvCosts`: a launch,
a multiply-add, a byte) say that the launches it adds cost more time than the work it saves,
or the launches it would save are worth more than the work it adds: :func:`decide`. A CPU
backend gives a launch cost of zero, and then every decision is exactly the threshold's; a
GPU backend's costs make small and medium convolutions take the formula with the fewest
launches. Estimates, not measurements: the launch counts are strict's (CuPy may add a few
inside cuBLAS calls), and the work is counted in multiply-adds and bytes moved.

Neighbours: :mod:`._conv_select` (the thresholds and the choice) asks :func:`fourier_pays`,
:func:`per_row_pays` and :func:`correlation_pays`, :mod:`._conv_im2col` asks
:func:`channels_last_pays`; the constants come from the backend (``conv_costs``,
:class:`xpnet.backends._base.ConvCosts`).
"""

from __future__ import annotations

import math

from ..backends._base import ConvCosts

__all__ = [
    "ConvCosts",
    "channels_last_pays",
    "correlation_pays",
    "decide",
    "forward_launches",
    "fourier_pays",
    "per_row_pays",
    "window_launches",
]

# fourier, forward and backward, with its transforms cached (strict's count on 8x8 to 32x32
# planes: 69 to 177; the fewest is taken, so that the model never overstates it)
FOURIER_LAUNCHES = 70
# the window formulas' launches besides their taps and slice-adds (see the table above)
_FORWARD, _WEIGHT_GRADS, _PAD, _CORRELATION = 3, 10, 2, 5


def decide(rule: bool, costs: ConvCosts, extra_launches: int, work_saved: float) -> bool:
    """Whether the formula under consideration runs rather than its alternative.

    Args:
        rule: what the measured threshold says.
        costs: the backend's :class:`ConvCosts`.
        extra_launches: launches it makes beyond the alternative's (negative: fewer).
        work_saved: seconds of multiply-adds and memory traffic it saves (negative: adds),
            by ``costs``.

    Returns:
        ``rule``, unless the launches say otherwise: a formula the threshold takes is
        refused where its extra launches cost more than the work it saves, and one the
        threshold refuses is taken where the launches it saves are worth more than the work it
        adds. With ``costs.launch == 0`` (a CPU), always ``rule``.
    """
    launch_time = costs.launch * extra_launches
    if rule:
        return launch_time <= max(work_saved, 0.0)
    return -launch_time > max(-work_saved, 0.0)


def _padded(geometry) -> bool:
    return any(geometry.pad_before) or any(geometry.pad_after)


def forward_launches(geometry, algorithm: str) -> int:
    """Launches of the forward of the window formula named ``algorithm`` (a
    :class:`ConvAlgorithm` value other than ``fourier``) for ``geometry``."""
    if algorithm == "pointwise":
        return 2  # the product and the bias
    launches = _FORWARD + _PAD * _padded(geometry)
    return launches + (2 * geometry.kernel[0] + 1 if algorithm == "im2col_per_row" else 0)


def window_launches(geometry, per_row: bool) -> int:
    """Launches of a window formula's forward and weight gradient (``grad_input`` aside):
    ``im2col``, or ``im2col_per_row`` when ``per_row``."""
    kH = geometry.kernel[0]
    launches = _FORWARD + _WEIGHT_GRADS + 2 * _PAD * _padded(geometry)
    return launches + (8 * kH + 1 if per_row else 0)


def fourier_pays(rule, costs, geometry, plan, shape, C_out) -> bool:
    """Whether ``fourier`` runs rather than a window formula: the threshold ``rule``, weighed
    by ``costs`` against ~50 more launches. ``shape`` is the input's (N, C, H, W)."""
    N, C = shape[:2]
    direct = C_out * C * math.prod(geometry.kernel) * math.prod(geometry.output)
    # the forward and the backward's two products, in the plan's weighted multiply-adds
    work_saved = costs.multiply_add * 3 * N * (direct - plan.multiply_adds(C, C_out))
    extra = FOURIER_LAUNCHES - window_launches(geometry, per_row=False) - _CORRELATION
    return decide(rule, costs, extra, work_saved)


def per_row_pays(rule, costs, geometry, shape, C_out, itemsize) -> bool:
    """Whether ``im2col_per_row`` runs rather than ``im2col``: it copies ~kH times less (the
    forward's and the backward's window copies, each read and written) but adds the kH taps'
    products up (each sum read twice, written once) and transposes the result."""
    N, C = shape[:2]
    (kH, kW), (H_out, W_out) = geometry.kernel, geometry.output
    slots = (kH - 1) * geometry.dilation[0] + H_out  # the padded rows the per-row copy holds
    copies_saved = 2 * 2 * C * kW * W_out * (kH * H_out - slots)
    sums_added = C_out * H_out * W_out * (3 * (kH - 1) + 2)
    work_saved = costs.byte * itemsize * N * (copies_saved - sums_added)
    return decide(rule, costs, 8 * kH + 1, work_saved)


def correlation_pays(rule, costs, choice, correlation, shape, C_out, itemsize) -> bool:
    """Whether the backward of the window formula ``choice`` gets ``grad_input`` by the
    stride-1 correlation ``correlation`` (both :class:`Choice`) rather than col2im. col2im
    makes two launches per copied kernel offset (an add and a store) and moves each window's
    gradient ~5 times; the correlation runs one forward, whose window copy of grad_output is
    read and written once, with as many multiply-adds as col2im's product."""
    N, C = shape[:2]
    (kH, kW), per_row = choice.geometry.kernel, choice.algorithm.value == "im2col_per_row"
    col2im_launches = 2 * (1 if per_row else kH) * kW + 3
    extra = forward_launches(correlation.geometry, correlation.algorithm.value) - col2im_launches
    windows = C * kH * kW * math.prod(choice.geometry.output)
    copy = 0
    if correlation.algorithm.value != "pointwise":
        copy = C_out * kH * kW * math.prod(correlation.geometry.output)
    work_saved = costs.byte * itemsize * N * (5 * windows - 2 * copy)
    return decide(rule, costs, extra, work_saved)


def channels_last_pays(costs, groups) -> bool:
    """Whether ``im2col_per_row``'s forward products run channels last
    (:mod:`._conv_channels_last`) rather than in NCHW order. The threshold: with one group
    (a window row interleaves every channel). Measured 2026-12-06 on 2 CPU threads, forward
    plus a grad_input by correlation against the NCHW order, medians of 9-13 interleaved
    calls in one process: 0.74-0.97x the time on 3x3 and 5x5 convolutions of 24 to 256
    channels on 8x8 to 56x56 planes; 0.82-1.11x on 32x32 planes with 32 channels and
    0.96-1.04x with 64 -> 128 channels and on 56x56, where the NCHW order's own time moved by
    up to 35 % between runs. It makes up to 3 launches more (the padding of its
    channels-last plane) and the model has no term for what it saves (BLAS's speed by the
    product's orientation), so launches that cost time (a GPU) keep the NCHW order."""
    return decide(groups == 1, costs, 3, 0.0)
