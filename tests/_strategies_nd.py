"""Hypothesis strategies for the kernels ``_strategies`` leaves out: 1-D and 3-D convolution and
pooling, transposed convolution, instance norm, interpolate, pad, embedding and the element-wise
losses.

As in ``_strategies``, each strategy draws shapes and options only (the arrays come from a seed
through ``_oracle.random_input``), plus a few special values (NaN, +-inf, -0.0, or exact 0 and 1
for probabilities) at drawn positions, placed by :func:`with_specials`: xpnet promises that they
reach exactly the outputs PyTorch's do. The ``xpnet`` settings profile of ``_strategies`` bounds
the tests; the invalid calls at the end use its :class:`~_strategies.Invalid`.
"""

from __future__ import annotations

import math

import numpy as np
from _strategies import (
    CONV_FORMULAS,
    Invalid,
    adaptive_mistakes,
    common_mistakes,
    pool_mistakes,
    seeds,
    values_of,
    windows_meet_input,
    zeros_of,
)
from hypothesis import assume
from hypothesis import strategies as st

SPECIALS = (np.nan, np.inf, -np.inf, -0.0)
PROBABILITY_SPECIALS = (0.0, 1.0, -0.0)  # binary_cross_entropy refuses NaN and values past 1
REDUCTIONS = ("none", "mean", "sum")


def specials(values=SPECIALS, max_size=3):
    """Nothing, or up to ``max_size`` (position, value) pairs for :func:`with_specials`."""
    placed = st.tuples(st.integers(0, 2**16), st.sampled_from(values))
    return st.one_of(st.just(()), st.lists(placed, min_size=1, max_size=max_size).map(tuple))


def with_specials(array, placed):
    """A copy of ``array`` with each (position, value) of ``placed`` written at the flat
    position ``position % size`` (nothing in an empty array)."""
    array = np.array(array, dtype=np.float64)
    flat = array.reshape(-1)
    for position, value in placed:
        if flat.size:
            flat[position % flat.size] = value
    return array


def _spelled(draw, low, highs):
    """``(argument, per_axis)``: one int per axis in ``[low, highs[i]]``, spelled as an int, a
    one-element list (PyTorch repeats it) or a tuple of one int per axis."""
    kind = draw(st.sampled_from(["int", "list", "tuple"]))
    if kind == "tuple":
        per_axis = tuple(draw(st.integers(low, high)) for high in highs)
        return per_axis, per_axis
    value = draw(st.integers(low, min(highs)))
    return (value if kind == "int" else [value]), (value,) * len(highs)


def _fitting(draw, span, padding, extra):
    """A size whose padded length holds at least one window of ``span``."""
    return max(1, span - 2 * padding) + draw(st.integers(0, extra))


def _grad_input(draw, strides, pads, dilations, kernel):
    """conv_algorithms' grad_input: None, 'col2im', or where it can run (stride 1, padding at
    most the dilated kernel's span), 'correlation'."""
    choices = [None, "col2im"]
    spans = [d * (k - 1) for k, d in zip(kernel, dilations, strict=True)]
    if set(strides) == {1} and all(p <= s for p, s in zip(pads, spans, strict=True)):
        choices.append("correlation")
    return draw(st.sampled_from(choices))


def _batch(draw, empty=True):
    return draw(st.sampled_from([(), (0,), (1,), (2,)] if empty else [(), (1,), (2,)]))


def _count(shape):
    return math.prod(shape)


# ---------------------------------------------------------------------------------------------
# convolution


@st.composite
def conv_nd_cases(draw, nd):
    """conv1d / conv3d: padding int, one-element list, tuple, 'same' or 'valid'; stride,
    dilation, groups, bias or not, batched (N may be 0) or unbatched, under each formula and
    grad_input choice; special values in the input (not in the weight: docs/kernels.md,
    Precision), none under the convolution theorem (one NaN there makes its whole sample NaN,
    by design)."""
    small = nd == 3
    groups = draw(st.integers(1, 2 if small else 3))
    C_in, C_out = groups * draw(st.integers(1, 2)), groups * draw(st.integers(1, 2))
    kernel = tuple(draw(st.integers(1, 2 if small else 4)) for _ in range(nd))
    dilation, dilations = _spelled(draw, 1, (2,) * nd)
    padding = draw(st.sampled_from(["ints", "ints", "same", "valid"]))
    pads = (0,) * nd
    if padding == "ints":
        padding, pads = _spelled(draw, 0, (2 if small else 3,) * nd)
    stride, strides = 1, (1,) * nd
    if padding != "same":
        stride, strides = _spelled(draw, 1, (2 if small else 3,) * nd)
    spans = [d * (k - 1) + 1 for k, d in zip(kernel, dilations, strict=True)]
    size = tuple(_fitting(draw, s, p, 2 if small else 4) for s, p in zip(spans, pads, strict=True))
    formula = draw(st.sampled_from([None, *CONV_FORMULAS]))
    if padding == "same":
        pads = tuple(s - 1 for s in spans)  # the larger side, at most
    return {
        "formula": formula,
        "grad_input": _grad_input(draw, strides, pads, dilations, kernel),
        "input": (*_batch(draw), C_in, *size),
        "weight": (C_out, C_in // groups, *kernel),
        "bias": draw(st.booleans()),
        "kwargs": {"stride": stride, "padding": padding, "dilation": dilation, "groups": groups},
        "specials": () if formula == "fourier" else draw(specials()),
        "seed": draw(seeds),
    }


@st.composite
def conv_transpose_cases(draw, nd):
    """conv_transpose1d/2d/3d: stride, padding (int, one-element list or tuple), output_padding
    below max(stride, dilation) per axis (so also >= stride, below dilation), dilation, groups,
    bias or not, batched (N may be 0) or unbatched, under each formula and each grad_input
    (col2im or correlation) choice; special values in the input only (docs/kernels.md,
    Precision: non-finite weights differ on strict, where xpnet does not read them)."""
    small = nd == 3
    groups = draw(st.integers(1, 2 if nd > 1 else 3))
    C_in, C_out = groups * draw(st.integers(1, 2)), groups * draw(st.integers(1, 2))
    kernel = tuple(draw(st.integers(1, 2 if small else 3)) for _ in range(nd))
    stride, strides = _spelled(draw, 1, (2 if small else 3,) * nd)
    dilation, dilations = _spelled(draw, 1, (2,) * nd)
    limits = tuple(max(s, d) - 1 for s, d in zip(strides, dilations, strict=True))
    output_padding, output_pads = _spelled(draw, 0, limits)
    size = tuple(draw(st.integers(1, 2 if small else 4)) for _ in range(nd))
    # the output (n - 1) s - 2 p + d (k - 1) + op + 1 must be positive
    highs = tuple(
        min(2, ((n - 1) * s + d * (k - 1) + op) // 2)
        for n, k, s, d, op in zip(size, kernel, strides, dilations, output_pads, strict=True)
    )
    padding, pads = _spelled(draw, 0, highs)
    formula = draw(st.sampled_from([None, *CONV_FORMULAS]))
    return {
        "formula": formula,
        "grad_input": _grad_input(draw, strides, pads, dilations, kernel),
        "input": (*_batch(draw), C_in, *size),
        "weight": (C_in, C_out // groups, *kernel),
        "bias": draw(st.booleans()),
        "kwargs": {
            "stride": stride,
            "padding": padding,
            "output_padding": output_padding,
            "groups": groups,
            "dilation": dilation,
        },
        "specials": () if formula == "fourier" else draw(specials()),
        "seed": draw(seeds),
    }


# ---------------------------------------------------------------------------------------------
# pooling


def _pool_window(draw, nd, dilations):
    """kernel_size, stride (None or ints), padding <= kernel // 2 and dilation, each as an
    int, a one-element list or a tuple; and the per-axis values of each."""
    kernel, kernels = _spelled(draw, 1, (4 if nd == 1 else 2,) * nd)
    padding, pads = _spelled(draw, 0, tuple(k // 2 for k in kernels))
    stride, strides = None, kernels
    if draw(st.booleans()):
        stride, strides = _spelled(draw, 1, (3 if nd == 1 else 2,) * nd)
    dilation, dils = _spelled(draw, 1, (2,) * nd) if dilations else (1, (1,) * nd)
    per_axis = {"kernel_size": kernels, "stride": strides, "padding": pads, "dilation": dils}
    return {"kernel_size": kernel, "stride": stride, "padding": padding}, dilation, per_axis


def _pool_input(draw, nd, per_axis, empty=True, whole_kernel=False):
    """(N, C, *size) or (C, *size), each size holding a window in its padded length, or with
    ``whole_kernel`` the kernel itself."""
    kernels, dilations = per_axis["kernel_size"], per_axis["dilation"]
    spans = [d * (k - 1) + 1 for k, d in zip(kernels, dilations, strict=True)]
    pads = (0,) * nd if whole_kernel else per_axis["padding"]
    extra = 4 if nd == 1 else 2
    size = tuple(_fitting(draw, s, p, extra) for s, p in zip(spans, pads, strict=True))
    return (*_batch(draw, empty), draw(st.integers(1, 3)), *size)


@st.composite
def max_pool_nd_cases(draw, nd):
    """max_pool1d / max_pool3d: kernel, stride, padding <= k // 2, dilation, ceil_mode,
    return_indices; special values in the input; every window meets the input (PyTorch's
    backward misbehaves on a window wholly in the padding: ``_strategies.windows_meet_input``)."""
    kwargs, dilation, per_axis = _pool_window(draw, nd, dilations=True)
    kwargs.update(
        dilation=dilation,
        ceil_mode=draw(st.booleans()),
        return_indices=draw(st.booleans()),
    )
    shape = _pool_input(draw, nd, per_axis)
    assume(windows_meet_input(shape[-nd:], {**per_axis, "ceil_mode": kwargs["ceil_mode"]}))
    return {"input": shape, "kwargs": kwargs, "specials": draw(specials()), "seed": draw(seeds)}


@st.composite
def avg_pool_nd_cases(draw, nd):
    """avg_pool1d / avg_pool3d: kernel, stride, padding <= k // 2, ceil_mode,
    count_include_pad; divisor_override (None or a non-zero int, negative too) for 3-D only
    (PyTorch's avg_pool1d has none); special values in the input. 3-D inputs are at least the
    kernel's size: PyTorch's avg_pool3d refuses smaller ones even where the padding makes room
    ("input image smaller than kernel size"; its 1-D and 2-D pools and xpnet take them)."""
    kwargs, _, per_axis = _pool_window(draw, nd, dilations=False)
    kwargs.update(ceil_mode=draw(st.booleans()), count_include_pad=draw(st.booleans()))
    if nd == 3:
        kwargs["divisor_override"] = draw(
            st.one_of(st.none(), st.integers(1, 9), st.integers(-9, -1))
        )
    return {
        "input": _pool_input(draw, nd, per_axis, whole_kernel=nd == 3),
        "kwargs": kwargs,
        "specials": draw(specials()),
        "seed": draw(seeds),
    }


@st.composite
def adaptive_pool_nd_cases(draw, nd):
    """adaptive_{avg,max}_pool1d/3d: output_size an int or a tuple (None keeps that input
    size; 1-D: a 1-tuple, which PyTorch's 1-D kernels take only without None), from 1 to
    larger than the input; batched or unbatched; special values in the input."""
    most = 7 if nd == 1 else 4
    shape = (*_batch(draw, empty=False), draw(st.integers(1, 3)))
    shape += tuple(draw(st.integers(1, most)) for _ in range(nd))
    side = st.integers(1, most + 2)
    output_size = draw(st.one_of(side, st.tuples(*[st.one_of(st.none(), side)] * nd)))
    return {
        "input": shape,
        "output_size": output_size,
        "return_indices": draw(st.booleans()),
        "specials": draw(specials()),
        "seed": draw(seeds),
    }


# ---------------------------------------------------------------------------------------------
# instance norm, interpolate, pad, embedding


@st.composite
def instance_norm_cases(draw):
    """instance_norm: (N, C, *) with 1-3 spatial axes; input statistics or the running ones;
    running stats or None (required without input statistics); weight and bias each or not;
    momentum, eps; the saved statistics of ``return_stats`` or not; special values."""
    use_input_stats = draw(st.booleans())
    spatial = tuple(draw(st.lists(st.integers(1, 3), min_size=1, max_size=3)))
    if use_input_stats and _count(spatial) == 1:
        spatial = (*spatial[:-1], 2)  # PyTorch needs more than one value per plane
    return {
        "input": (draw(st.integers(1, 3)), draw(st.integers(1, 3)), *spatial),
        "use_input_stats": use_input_stats,
        "running": not use_input_stats or draw(st.booleans()),
        "weight": draw(st.booleans()),
        "bias": draw(st.booleans()),
        "momentum": draw(st.sampled_from([0.1, 0.5, 1.0])),
        "eps": draw(st.sampled_from([1e-5, 0.1])),
        "saved": use_input_stats and draw(st.booleans()),
        "specials": draw(specials(max_size=2)),
        "seed": draw(seeds),
    }


LINEAR_MODES = {1: "linear", 2: "bilinear", 3: "trilinear"}
SCALES = (0.5, 0.75, 1.0, 1.1, 1.5, 1.7, 2.0, 2.5, 3.0)


@st.composite
def interpolate_cases(draw):
    """interpolate: 1-3 spatial axes (N may be 0); 'nearest', 'nearest-exact' or the linear
    mode of the rank; size (int or per axis) or scale_factor (a float or per axis, with
    recompute_scale_factor None, False or True); align_corners for the linear modes; special
    values in the input."""
    nd = draw(st.integers(1, 3))
    most = 5 if nd < 3 else 4
    spatial = tuple(draw(st.integers(1, most)) for _ in range(nd))
    mode = draw(st.sampled_from(["nearest", "nearest-exact", LINEAR_MODES[nd]]))
    kwargs = {"mode": mode}
    if draw(st.booleans()):
        side = st.integers(1, most + 2)
        kwargs["size"] = draw(st.one_of(side, st.tuples(*[side] * nd)))
    else:

        def scale(n):  # the output floor(n * scale) must be positive
            return st.sampled_from([s for s in SCALES if math.floor(n * s) >= 1])

        if draw(st.booleans()):
            kwargs["scale_factor"] = draw(scale(min(spatial)))
        else:
            kwargs["scale_factor"] = tuple(draw(scale(n)) for n in spatial)
        kwargs["recompute_scale_factor"] = draw(st.sampled_from([None, False, True]))
    if mode == LINEAR_MODES[nd]:
        kwargs["align_corners"] = draw(st.sampled_from([None, False, True]))
    return {
        "input": (draw(st.integers(0, 2)), draw(st.integers(1, 2)), *spatial),
        "kwargs": kwargs,
        "specials": draw(specials()),
        "seed": draw(seeds),
    }


@st.composite
def pad_cases(draw):
    """pad: 'constant' (any rank, pairs for up to every axis, negative entries crop, value None
    or a number, NaN and inf too) or 'reflect' / 'replicate' / 'circular' (1-3 pairs on a
    (k+1)-D or (k+2)-D input, crops too, within PyTorch's limits); special values."""
    mode = draw(st.sampled_from(["constant", "reflect", "replicate", "circular"]))
    if mode == "constant":
        shape = tuple(draw(st.lists(st.integers(0, 3), min_size=1, max_size=4)))
        pairs = draw(st.integers(0, len(shape)))
    else:
        pairs = draw(st.integers(1, 3))
        low = 0 if mode == "circular" else 1
        shape = tuple(draw(st.integers(low, 3)) for _ in range(pairs))
        shape = (draw(st.integers(1, 2)), *shape)
        if draw(st.booleans()):
            shape = (draw(st.integers(0, 2)), *shape)  # N may be 0
    pad = []
    for axis in range(pairs):
        n = shape[len(shape) - 1 - axis]
        if mode == "constant":
            # PyTorch crops first: the crops may not exceed the size together (xpnet only
            # asks that the output size be at least 0)
            before = draw(st.integers(-n, 3))
            after = draw(st.integers(-(n - max(-before, 0)), 3))
        elif n == 0:  # circular: an empty axis can only be left alone
            before = after = 0
        else:
            high = {"reflect": n - 1, "replicate": 3, "circular": n}[mode]
            before = draw(st.integers(-n + (mode != "circular"), high))
            low = -(n + before) + (mode != "circular")  # keep at least one element
            after = draw(st.integers(max(low, -n), high))
            if mode == "circular":  # PyTorch: the wrap must fit in the cropped size
                assume(max(before, after) <= n - max(-before, 0, -after))
        pad += [before, after]
    value = None
    if mode == "constant":
        value = draw(st.sampled_from([None, 0.0, 1.5, -2.0, np.nan, np.inf]))
    return {
        "input": shape,
        "pad": tuple(pad),
        "mode": mode,
        "value": value,
        "specials": draw(specials()),
        "seed": draw(seeds),
    }


@st.composite
def embedding_cases(draw):
    """embedding: int64 or int32 indices of 0-3 axes (some empty), weight (num, dim),
    padding_idx None or any row (negative too), scale_grad_by_freq; special values in the
    weight."""
    num = draw(st.integers(1, 5))
    shape = tuple(draw(st.lists(st.integers(0, 3), max_size=3)))
    return {
        "indices": [draw(st.integers(0, num - 1)) for _ in range(_count(shape))],
        "index_shape": shape,
        "index_dtype": draw(st.sampled_from(["int64", "int32"])),
        "weight": (num, draw(st.integers(1, 3))),
        "padding_idx": draw(st.one_of(st.none(), st.integers(-num, num - 1))),
        "scale_grad_by_freq": draw(st.booleans()),
        "specials": draw(specials()),
        "seed": draw(seeds),
    }


# ---------------------------------------------------------------------------------------------
# element-wise losses

REGRESSION_OPTIONS = {
    "mse_loss": st.just({}),
    "l1_loss": st.just({}),
    "smooth_l1_loss": st.fixed_dictionaries({"beta": st.sampled_from([1.0, 0.0, 0.3, 2.5])}),
    "huber_loss": st.fixed_dictionaries({"delta": st.sampled_from([1.0, 0.3, 2.5])}),
}
WEIGHTED = ("mse_loss", "l1_loss", "huber_loss")  # PyTorch 2.13 takes weight= for these


def _loss_shape(draw, min_dims=0):
    """0-3 axes of 0-3 (an empty input: 'mean' is NaN, as PyTorch)."""
    return tuple(draw(st.lists(st.integers(0, 3), min_size=min_dims, max_size=3)))


def _broadcasting(draw, shape):
    """A shape that broadcasts to ``shape`` without changing it: a suffix, some axes 1."""
    suffix = shape[len(shape) - draw(st.integers(0, len(shape))) :]
    return tuple(1 if draw(st.booleans()) else n for n in suffix)


@st.composite
def regression_loss_cases(draw):
    """mse_loss, l1_loss, smooth_l1_loss (beta, 0 too), huber_loss (delta): any shape,
    every reduction, weight (the input's shape) where PyTorch has it; exact ties (d = 0) and
    special values in input and target."""
    name = draw(st.sampled_from(sorted(REGRESSION_OPTIONS)))
    return {
        "name": name,
        "input": _loss_shape(draw),
        "kwargs": {
            "reduction": draw(st.sampled_from(REDUCTIONS)),
            **draw(REGRESSION_OPTIONS[name]),
        },
        "weight": name in WEIGHTED and draw(st.booleans()),
        "ties": draw(st.lists(st.integers(0, 2**16), max_size=2)),
        "specials": (draw(specials()), draw(specials())),
        "seed": draw(seeds),
    }


@st.composite
def binary_loss_cases(draw, name):
    """binary_cross_entropy (probabilities, exact 0 and 1 too) or
    binary_cross_entropy_with_logits (logits with NaN and +-inf; pos_weight): any shape, every
    reduction, weights that broadcast to the input; hard and soft targets."""
    shape = _loss_shape(draw)
    logits = name == "binary_cross_entropy_with_logits"
    weight = draw(st.sampled_from(["none", "same", "broadcast"]))
    if weight != "none":
        weight = shape if weight == "same" else _broadcasting(draw, shape)
    return {
        "name": name,
        "input": shape,
        "weight": None if weight == "none" else weight,
        "pos_weight": _broadcasting(draw, shape) if logits and draw(st.booleans()) else None,
        "reduction": draw(st.sampled_from(REDUCTIONS)),
        "specials": (
            draw(specials(SPECIALS if logits else PROBABILITY_SPECIALS)),
            draw(specials((0.0, 1.0, 0.5))),
        ),
        "seed": draw(seeds),
    }


@st.composite
def kl_div_cases(draw):
    """kl_div: log-probabilities (NaN, +-inf too) against probabilities (exact zeros too) or,
    with log_target, log-probabilities; every reduction and 'batchmean' (input of 1+ axes)."""
    log_target = draw(st.booleans())
    reduction = draw(st.sampled_from([*REDUCTIONS, "batchmean"]))
    return {
        "input": _loss_shape(draw, min_dims=1 if reduction == "batchmean" else 0),
        "log_target": log_target,
        "reduction": reduction,
        "specials": (
            draw(specials()),
            draw(specials(SPECIALS if log_target else (0.0, 1.0))),
        ),
        "seed": draw(seeds),
    }


# ---------------------------------------------------------------------------------------------
# invalid calls (see _strategies.Invalid): one valid call, then one thing made wrong


def _conv_nd(draw, nd):
    name = f"conv{nd}d"
    C, C_out, k = draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.integers(1, 2))
    n = k + draw(st.integers(0, 2))
    space, kernel = (n,) * nd, (k,) * nd
    valid = {
        "input": values_of((2, C, *space)),
        "weight": values_of((C_out, C, *kernel), 1),
        "bias": values_of((C_out,), 2) if draw(st.booleans()) else None,
        "stride": 1,
        "padding": 0,
        "dilation": 1,
        "groups": 1,
    }
    out = (2, C_out, *(n - k + 1,) * nd)
    mistakes = [
        Invalid(name, valid, "input rank + 1", {"input": zeros_of((1, 2, C, *space))}, "input"),
        Invalid(name, valid, "input rank - 2", {"input": zeros_of(space)}, "input"),
        Invalid(name, valid, "weight rank", {"weight": zeros_of((C_out, C, *kernel, 1))}, "weight"),
        Invalid(name, valid, "stride 0", {"stride": 0}, "stride"),
        Invalid(name, valid, "negative stride", {"stride": (1,) * (nd - 1) + (-1,)}, "stride"),
        Invalid(name, valid, "float stride", {"stride": 1.5}, "stride"),
        Invalid(name, valid, "stride of nd + 1", {"stride": (1,) * (nd + 1)}, "stride"),
        Invalid(name, valid, "dilation 0", {"dilation": 0}, "dilation"),
        Invalid(name, valid, "negative padding", {"padding": -1}, "padding"),
        Invalid(name, valid, "padding string", {"padding": "full"}, "padding"),
        Invalid(
            name,
            valid,
            "'same' with stride 2",
            {"padding": "same", "stride": 2},
            ("padding", "stride"),
        ),
        Invalid(name, valid, "groups 0", {"groups": 0}, "groups"),
        Invalid(
            name,
            valid,
            "groups not dividing C",
            {
                "input": zeros_of((2, 3, *space)),
                "weight": zeros_of((2, 1, *kernel)),
                "groups": 2,
                "bias": None,
            },
            ("groups", "input"),
        ),
        Invalid(
            name,
            valid,
            "weight channels",
            {"weight": zeros_of((C_out, C + 1, *kernel))},
            ("weight", "input"),
        ),
        Invalid(name, valid, "bias shape", {"bias": zeros_of((C_out + 1,))}, "bias"),
        Invalid(
            name,
            valid,
            "kernel larger than the input",
            {"weight": zeros_of((C_out, C, n + 1, *(1,) * (nd - 1))), "bias": None},
            ("weight", "input", "kernel_size"),
        ),
    ]
    return mistakes + common_mistakes(
        name, valid, ("input", "weight", "bias"), ("input", "weight"), out
    )


def _conv_transpose(draw, nd):
    name = f"conv_transpose{nd}d"
    C, C_out, k = draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.integers(1, 2))
    n = draw(st.integers(1, 3))
    space, kernel = (n,) * nd, (k,) * nd
    valid = {
        "input": values_of((2, C, *space)),
        "weight": values_of((C, C_out, *kernel), 1),
        "bias": values_of((C_out,), 2) if draw(st.booleans()) else None,
        "stride": 2,
        "padding": 0,
        "output_padding": 1,
        "groups": 1,
        "dilation": 1,
    }
    out = (2, C_out, *((n - 1) * 2 + k + 1,) * nd)
    mistakes = [
        Invalid(name, valid, "input rank + 1", {"input": zeros_of((1, 2, C, *space))}, "input"),
        Invalid(name, valid, "input rank - 2", {"input": zeros_of(space)}, "input"),
        Invalid(name, valid, "weight rank", {"weight": zeros_of((C, C_out, *kernel, 1))}, "weight"),
        Invalid(name, valid, "stride 0", {"stride": 0}, "stride"),
        Invalid(name, valid, "float stride", {"stride": 2.0}, "stride"),
        Invalid(name, valid, "dilation 0", {"dilation": 0}, "dilation"),
        Invalid(name, valid, "negative padding", {"padding": -1}, "padding"),
        Invalid(name, valid, "padding 'same'", {"padding": "same"}, "padding"),
        Invalid(name, valid, "negative output_padding", {"output_padding": -1}, "output_padding"),
        Invalid(
            name,
            valid,
            "output_padding = stride",
            {"output_padding": 2},
            ("output_padding", "stride"),
        ),
        Invalid(
            name,
            valid,
            "padding too large",
            {"padding": n + k + 1, "output_padding": 0},
            ("padding", "output size"),
        ),
        Invalid(name, valid, "groups 0", {"groups": 0}, "groups"),
        Invalid(
            name,
            valid,
            "groups not dividing C_in",
            {"input": zeros_of((2, 3, *space)), "weight": zeros_of((3, 1, *kernel)), "groups": 2},
            ("groups", "input"),
        ),
        Invalid(
            name,
            valid,
            "weight channels",
            {"weight": zeros_of((C + 1, C_out, *kernel))},
            ("weight", "input"),
        ),
        Invalid(name, valid, "bias shape", {"bias": zeros_of((C_out + 1,))}, "bias"),
    ]
    return mistakes + common_mistakes(
        name, valid, ("input", "weight", "bias"), ("input", "weight"), out
    )


def _instance_norm(draw):
    C = draw(st.integers(1, 3))
    shape = (2, C, 3)
    use_input_stats = draw(st.booleans())
    valid = {
        "input": values_of(shape),
        "running_mean": values_of((C,), 1) if draw(st.booleans()) else None,
        "running_var": np.ones(C),
        "weight": values_of((C,), 2) if draw(st.booleans()) else None,
        "bias": values_of((C,), 3) if draw(st.booleans()) else None,
        "use_input_stats": use_input_stats,
    }
    if valid["running_mean"] is None:
        valid["running_var"] = None
        valid["use_input_stats"] = True
    name = "instance_norm"
    mistakes = [
        Invalid(name, valid, "1-d input", {"input": zeros_of((C,))}, "input"),
        Invalid(
            name,
            valid,
            "one spatial element with input stats",
            {"input": values_of((2, C, 1)), "use_input_stats": True},
            "input",
        ),
        Invalid(
            name,
            valid,
            "running_mean shape",
            {"running_mean": zeros_of((C + 1,)), "running_var": np.ones(C)},
            "running_mean",
        ),
        Invalid(
            name,
            valid,
            "running_var shape",
            {"running_mean": zeros_of((C,)), "running_var": np.ones((C, 1))},
            "running_var",
        ),
        Invalid(name, valid, "weight shape", {"weight": zeros_of((C + 1,))}, "weight"),
        Invalid(name, valid, "bias shape", {"bias": zeros_of((C, 2))}, "bias"),
        Invalid(
            name,
            valid,
            "running stats without input stats",
            {"use_input_stats": False, "running_mean": None, "running_var": None},
            ("running_mean", "running_var"),
        ),
        Invalid(name, valid, "eps a string", {"eps": "0.1"}, "eps"),
    ]
    arrays = ("input", "running_mean", "running_var", "weight", "bias")
    return mistakes + common_mistakes(name, valid, arrays, ("input",), shape)


def _interpolate(draw):
    nd = draw(st.integers(1, 3))
    space = tuple(draw(st.integers(1, 3)) for _ in range(nd))
    size = draw(st.integers(1, 4))
    valid = {"input": values_of((2, 1, *space)), "size": size, "mode": "nearest"}
    out = (2, 1, *(size,) * nd)
    linear = {1: "linear", 2: "bilinear", 3: "trilinear"}
    wrong_linear = linear[nd % 3 + 1]
    name = "interpolate"
    mistakes = [
        Invalid(name, valid, "2-d input", {"input": zeros_of((2, 3))}, "input"),
        Invalid(name, valid, "6-d input", {"input": zeros_of((1, 1, 1, 1, 1, 1))}, "input"),
        Invalid(
            name,
            valid,
            "size and scale_factor",
            {"scale_factor": 2.0},
            ("size", "scale_factor"),
        ),
        Invalid(name, valid, "neither size nor scale_factor", {"size": None}, "size"),
        Invalid(name, valid, "size of nd + 1", {"size": (2,) * (nd + 1)}, "size"),
        Invalid(name, valid, "float size", {"size": 2.0}, "size"),
        Invalid(name, valid, "size 0", {"size": 0}, "size"),
        Invalid(
            name,
            valid,
            "scale_factor too small",
            {"size": None, "scale_factor": 0.1},
            ("size", "scale_factor"),
        ),
        Invalid(
            name,
            valid,
            "negative scale_factor",
            {"size": None, "scale_factor": -2.0},
            "scale_factor",
        ),
        Invalid(
            name,
            valid,
            "scale_factor inf",
            {"size": None, "scale_factor": float("inf")},
            "scale_factor",
        ),
        Invalid(name, valid, "mode 'cubic'", {"mode": "cubic"}, "mode"),
        Invalid(name, valid, "linear mode of another rank", {"mode": wrong_linear}, "mode"),
        Invalid(
            name,
            valid,
            "align_corners with nearest",
            {"align_corners": True},
            "align_corners",
        ),
        Invalid(
            name,
            valid,
            "align_corners not a bool",
            {"mode": linear[nd], "align_corners": 1},
            "align_corners",
        ),
        Invalid(
            name,
            valid,
            "recompute_scale_factor with size",
            {"recompute_scale_factor": True},
            "recompute_scale_factor",
        ),
        Invalid(
            name,
            valid,
            "align_corners with area",
            {"mode": "area", "align_corners": False},
            "align_corners",
        ),
        Invalid(name, valid, "antialias with nearest", {"antialias": True}, "antialias"),
    ]
    return mistakes + common_mistakes(name, valid, ("input",), ("input",), out)


def _pad(draw):
    n = draw(st.integers(2, 3))
    shape = (1, 2, n)
    before, after = draw(st.integers(0, n - 1)), draw(st.integers(0, n - 1))
    mode = draw(st.sampled_from(["constant", "reflect", "replicate", "circular"]))
    valid = {"input": values_of(shape), "pad": (before, after), "mode": mode}
    out = (1, 2, n + before + after)
    name = "pad"
    mistakes = [
        Invalid(name, valid, "odd pad", {"pad": (1,)}, "pad"),
        Invalid(name, valid, "more pairs than axes", {"pad": (0,) * 8}, "pad"),
        Invalid(name, valid, "float pad", {"pad": (1.0, 1)}, "pad"),
        Invalid(name, valid, "pad an int", {"pad": 1}, "pad"),
        Invalid(name, valid, "mode 'wrap'", {"mode": "wrap"}, "mode"),
        Invalid(
            name,
            valid,
            "reflect pad = size",
            {"mode": "reflect", "pad": (n, 0)},
            ("pad", "padding"),
        ),
        Invalid(
            name,
            valid,
            "circular pad over size",
            {"mode": "circular", "pad": (0, n + 1)},
            ("pad", "padding"),
        ),
        Invalid(
            name,
            valid,
            "replicate on a 1-d input",
            {"mode": "replicate", "input": zeros_of((n,))},
            ("input", "padding"),
        ),
        Invalid(
            name,
            valid,
            "value with reflect",
            {"mode": "reflect", "value": 1.0},
            "value",
        ),
        Invalid(
            name,
            valid,
            "crop below 0",
            {"mode": "constant", "pad": (-n, -1)},
            ("pad", "padding"),
        ),
        Invalid(name, valid, "value a string", {"mode": "constant", "value": "0"}, "value"),
    ]
    common = common_mistakes(name, valid, ("input",), ("input",), out)
    # padding moves integers (and, but in reflect and replicate modes, bools), as PyTorch's
    return mistakes + [case for case in common if "dtype" not in case.label]


def _embedding(draw):
    num, dim = draw(st.integers(2, 4)), draw(st.integers(1, 3))
    index = np.arange(3, dtype=np.int64) % num
    valid = {
        "input": index,
        "weight": values_of((num, dim)),
        "padding_idx": draw(st.one_of(st.none(), st.integers(-num, num - 1))),
    }
    name = "embedding"
    mistakes = [
        Invalid(name, valid, "float indices", {"input": index.astype(np.float64)}, "input"),
        Invalid(name, valid, "bool indices", {"input": index.astype(bool)}, "input"),
        Invalid(name, valid, "1-d weight", {"weight": zeros_of((num,))}, "weight"),
        Invalid(name, valid, "3-d weight", {"weight": zeros_of((num, dim, 1))}, "weight"),
        Invalid(name, valid, "padding_idx = num", {"padding_idx": num}, "padding_idx"),
        Invalid(name, valid, "padding_idx below -num", {"padding_idx": -num - 1}, "padding_idx"),
        Invalid(
            name,
            valid,
            "index = num",
            {"input": np.full(3, num, np.int64)},
            "input",
            errors=(IndexError,),
        ),
        Invalid(
            name,
            valid,
            "negative index",
            {"input": np.full(3, -1, np.int64)},
            "input",
            errors=(IndexError,),
        ),
        Invalid(name, valid, "max_norm not a number", {"max_norm": "1"}, "max_norm"),
        Invalid(name, valid, "sparse", {"sparse": True}, "sparse", errors=(NotImplementedError,)),
    ]
    common = common_mistakes(name, valid, ("weight",), ("input", "weight"), (3, dim))
    # a lookup moves any dtype, as PyTorch's (an integer weight is no mistake)
    return mistakes + [case for case in common if "dtype" not in case.label]


def _regression(draw, name):
    shape = (2, draw(st.integers(1, 3)))
    reduction = draw(st.sampled_from(REDUCTIONS))
    valid = {"input": values_of(shape), "target": values_of(shape, 1), "reduction": reduction}
    arrays = ("input", "target")
    if name in WEIGHTED and draw(st.booleans()):
        valid["weight"] = values_of(shape, 2)
        arrays = ("input", "target", "weight")
    out = shape if reduction == "none" else ()
    mistakes = [
        Invalid(name, valid, "reduction string", {"reduction": "avg"}, "reduction"),
        Invalid(name, valid, "reduction None", {"reduction": None}, "reduction"),
        Invalid(name, valid, "target shape", {"target": zeros_of(shape[:1])}, "target"),
        Invalid(name, valid, "target of more axes", {"target": zeros_of((*shape, 1))}, "target"),
    ]
    if name in WEIGHTED:
        mistakes.append(
            Invalid(name, valid, "weight shape", {"weight": zeros_of((3, 4))}, "weight")
        )
    if name != "huber_loss":  # huber_loss has no size_average or reduce, as PyTorch
        mistakes += [
            Invalid(name, valid, "size_average", {"size_average": True}, "size_average"),
            Invalid(name, valid, "reduce", {"reduce": False}, "reduce"),
        ]
    if name == "smooth_l1_loss":
        mistakes.append(Invalid(name, valid, "negative beta", {"beta": -1.0}, "beta"))
    if name == "huber_loss":
        mistakes += [
            Invalid(name, valid, "delta 0", {"delta": 0.0}, "delta"),
            Invalid(name, valid, "negative delta", {"delta": -1.0}, "delta"),
        ]
    return mistakes + common_mistakes(name, valid, arrays, ("input", "target"), out)


def _binary(draw, name):
    shape = (2, draw(st.integers(1, 3)))
    reduction = draw(st.sampled_from(REDUCTIONS))
    probability = np.random.default_rng(0).uniform(0.1, 0.9, size=shape)
    valid = {"input": probability, "target": probability[::-1].copy(), "reduction": reduction}
    valid["weight"] = values_of(shape[1:], 2) if draw(st.booleans()) else None
    arrays = ["input", "target", "weight"]
    logits = name == "binary_cross_entropy_with_logits"
    if logits:
        valid["pos_weight"] = values_of(shape[1:], 3) if draw(st.booleans()) else None
        arrays.append("pos_weight")
    out = shape if reduction == "none" else ()
    mistakes = [
        Invalid(name, valid, "reduction string", {"reduction": "avg"}, "reduction"),
        Invalid(name, valid, "target shape", {"target": zeros_of(shape[:1])}, "target"),
        Invalid(name, valid, "weight not broadcasting", {"weight": zeros_of((3, 4))}, "weight"),
        Invalid(name, valid, "weight of more axes", {"weight": zeros_of((1, *shape))}, "weight"),
        Invalid(name, valid, "size_average", {"size_average": False}, "size_average"),
    ]
    if logits:
        mistakes.append(
            Invalid(
                name,
                valid,
                "pos_weight not broadcasting",
                {"pos_weight": zeros_of(4)},
                "pos_weight",
            )
        )
    else:
        outside = probability.copy()
        outside[0, 0] = 1.5
        nan = probability.copy()
        nan[-1, -1] = np.nan
        mistakes += [
            Invalid(name, valid, "input above 1", {"input": outside}, "input"),
            Invalid(name, valid, "NaN input", {"input": nan}, "input"),
            Invalid(name, valid, "negative target", {"target": -probability}, "target"),
        ]
    return mistakes + common_mistakes(name, valid, tuple(arrays), ("input", "target"), out)


def _kl_div(draw):
    shape = (2, draw(st.integers(1, 3)))
    reduction = draw(st.sampled_from([*REDUCTIONS, "batchmean"]))
    valid = {
        "input": values_of(shape),
        "target": np.random.default_rng(1).uniform(0.0, 1.0, size=shape),
        "reduction": reduction,
        "log_target": draw(st.booleans()),
    }
    out = shape if reduction == "none" else ()
    name = "kl_div"
    mistakes = [
        Invalid(name, valid, "reduction string", {"reduction": "avg"}, "reduction"),
        Invalid(name, valid, "target shape", {"target": zeros_of(shape[:1])}, "target"),
        Invalid(name, valid, "log_target not a bool", {"log_target": 1}, "log_target"),
        Invalid(name, valid, "reduce", {"reduce": True}, "reduce"),
    ]
    return mistakes + common_mistakes(name, valid, ("input", "target"), ("input", "target"), out)


INVALID_ND = {
    "conv1d": lambda draw: _conv_nd(draw, 1),
    "conv3d": lambda draw: _conv_nd(draw, 3),
    **{f"conv_transpose{nd}d": (lambda draw, nd=nd: _conv_transpose(draw, nd)) for nd in (1, 2, 3)},
    **{
        f"{kind}_pool{nd}d": (
            lambda draw, name=f"{kind}_pool{nd}d", nd=nd: pool_mistakes(draw, name, nd)
        )
        for kind in ("max", "avg")
        for nd in (1, 3)
    },
    **{
        f"adaptive_{kind}_pool{nd}d": (
            lambda draw, name=f"adaptive_{kind}_pool{nd}d", nd=nd: adaptive_mistakes(draw, name, nd)
        )
        for kind in ("max", "avg")
        for nd in (1, 3)
    },
    "instance_norm": _instance_norm,
    "interpolate": _interpolate,
    "pad": _pad,
    "embedding": _embedding,
    **{name: (lambda draw, name=name: _regression(draw, name)) for name in REGRESSION_OPTIONS},
    **{
        name: (lambda draw, name=name: _binary(draw, name))
        for name in ("binary_cross_entropy", "binary_cross_entropy_with_logits")
    },
    "kl_div": _kl_div,
}


@st.composite
def invalid_nd_calls(draw, name):
    """One invalid call of kernel ``name`` (see :class:`~_strategies.Invalid`)."""
    return draw(st.sampled_from(INVALID_ND[name](draw)))
