"""Hypothesis strategies: valid configurations of every kernel, small enough to run fast.

Each strategy draws shapes and options only; the arrays are drawn from a seed by
``_oracle.random_input`` (uniform values: no ties, no NaN), so a failure shrinks to small shapes
and plain options. The settings profile ``xpnet`` (fixed example count, no deadline,
derandomized, no example database) keeps CI deterministic and bounded.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, settings
from hypothesis import strategies as st

import xpnet.kernels as K
from xpnet.backends import raise_deferred

settings.register_profile(
    "xpnet",
    max_examples=50,
    deadline=None,  # the first call of a kernel builds caches; timing is benchmarks' business
    derandomize=True,  # the same examples on every run: CI is deterministic
    database=None,  # nothing written under .hypothesis/
    print_blob=False,
    # the `backend` fixture is the same for every example (it selects a backend, holds no state)
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
PROFILE = settings.get_profile("xpnet")
FEW = settings(PROFILE, max_examples=25)  # for the slowest kernels (conv2d)

seeds = st.integers(0, 2**16)
sizes = st.integers(1, 4)


def int_or_pair(values):
    """An int, or a pair of ints drawn from ``values``."""
    return st.one_of(values, st.tuples(values, values))


def pair(value):
    return (value, value) if isinstance(value, int) else tuple(value)


def _fitting_size(draw, span, padding):
    """An input size whose padded length holds at least one window of ``span``."""
    return max(1, span - 2 * padding) + draw(st.integers(0, 4))


# conv_algorithms(algorithms, set_priority) per formula, as tests/test_conv.py: each one
# wherever it applies (the others stay as fallbacks); None: the default choice
CONV_FORMULAS = {
    "one tap": (["im2col", "pointwise"], False),
    "a tap per kernel row": (["im2col_per_row", "pointwise", "im2col"], True),
    "fourier": (["fourier", "im2col_per_row", "pointwise", "im2col"], True),
}


@st.composite
def conv2d_cases(draw):
    """conv2d: padding int/pair/'same'/'valid', stride, dilation, groups, bias or not,
    batched (N may be 0) or unbatched input, under each formula."""
    groups = draw(st.integers(1, 3))
    C_in, C_out = groups * draw(st.integers(1, 2)), groups * draw(st.integers(1, 2))
    kernel = draw(st.tuples(sizes, sizes))
    dilation = draw(int_or_pair(st.integers(1, 2)))
    padding = draw(st.one_of(int_or_pair(st.integers(0, 3)), st.sampled_from(["same", "valid"])))
    stride = 1 if padding == "same" else draw(int_or_pair(st.integers(1, 3)))
    pads = (0, 0) if isinstance(padding, str) else pair(padding)
    spans = [d * (k - 1) + 1 for k, d in zip(kernel, pair(dilation), strict=True)]
    H, W = (_fitting_size(draw, s, p) for s, p in zip(spans, pads, strict=True))
    batch = draw(st.sampled_from([(), (0,), (1,), (2,)]))
    return {
        "formula": draw(st.sampled_from([None, *CONV_FORMULAS])),
        "input": (*batch, C_in, H, W),
        "weight": (C_out, C_in // groups, *kernel),
        "bias": draw(st.booleans()),
        "kwargs": {"stride": stride, "padding": padding, "dilation": dilation, "groups": groups},
        "seed": draw(seeds),
    }


def _pool_input(draw, spans, pads):
    H, W = (_fitting_size(draw, s, p) for s, p in zip(spans, pads, strict=True))
    batch = draw(st.sampled_from([(), (0,), (1,), (2,)]))
    return (*batch, draw(st.integers(1, 3)), H, W)


def _pool_window(draw, dilations=False):
    """kernel_size, stride (None, int or pair), padding <= kernel // 2, and dilation."""
    kernel = draw(int_or_pair(sizes))
    kH, kW = pair(kernel)
    padding = draw(
        st.one_of(
            st.integers(0, min(kH, kW) // 2),
            st.tuples(st.integers(0, kH // 2), st.integers(0, kW // 2)),
        )
    )
    stride = draw(st.one_of(st.none(), int_or_pair(st.integers(1, 3))))
    dilation = draw(int_or_pair(st.integers(1, 2))) if dilations else 1
    spans = [d * (k - 1) + 1 for k, d in zip((kH, kW), pair(dilation), strict=True)]
    return kernel, stride, padding, dilation, spans


@st.composite
def max_pool2d_cases(draw):
    """max_pool2d: kernel, stride, padding <= k // 2, dilation, ceil_mode, return_indices;
    every window meets the input (see :func:`windows_meet_input`)."""
    kernel, stride, padding, dilation, spans = _pool_window(draw, dilations=True)
    kwargs = {
        "kernel_size": kernel,
        "stride": stride,
        "padding": padding,
        "dilation": dilation,
        "ceil_mode": draw(st.booleans()),
        "return_indices": draw(st.booleans()),
    }
    shape = _pool_input(draw, spans, pair(padding))
    assume(windows_meet_input(shape[-2:], kwargs))
    return {"input": shape, "kwargs": kwargs, "seed": draw(seeds)}


def windows_meet_input(size, kwargs) -> bool:
    """Whether every max_pool2d window holds an input element. A dilated window wholly in the
    padding makes PyTorch's backward write out of bounds (it crashed the oracle's process with
    ``munmap_chunk(): invalid pointer`` on (1, 3, 1), kernel (1, 2), padding (0, 1),
    dilation (1, 2)); xpnet's handling of such windows is tested against a hand-made oracle
    in tests/test_pooling_limits.py."""
    kernel, padding, dilation = (pair(kwargs[k]) for k in ("kernel_size", "padding", "dilation"))
    stride = kernel if kwargs["stride"] is None else pair(kwargs["stride"])
    for n, k, s, p, d in zip(size, kernel, stride, padding, dilation, strict=True):
        span = d * (k - 1) + 1
        rounding = s - 1 if kwargs["ceil_mode"] else 0
        out = (n + 2 * p - span + rounding) // s + 1
        if kwargs["ceil_mode"] and (out - 1) * s >= n + p:
            out -= 1  # PyTorch's rule: the last window starts inside the input or left padding
        for start in range(-p, (out - 1) * s - p + 1, s):
            if not any(0 <= start + t * d < n for t in range(k)):
                return False
    return True


@st.composite
def avg_pool2d_cases(draw):
    """avg_pool2d: kernel, stride, padding <= k // 2, ceil_mode, count_include_pad,
    divisor_override (None or a non-zero int, negative too)."""
    kernel, stride, padding, _, spans = _pool_window(draw)
    kwargs = {
        "kernel_size": kernel,
        "stride": stride,
        "padding": padding,
        "ceil_mode": draw(st.booleans()),
        "count_include_pad": draw(st.booleans()),
        "divisor_override": draw(st.one_of(st.none(), st.integers(1, 9), st.integers(-9, -1))),
    }
    return {"input": _pool_input(draw, spans, pair(padding)), "kwargs": kwargs, "seed": draw(seeds)}


@st.composite
def adaptive_pool2d_cases(draw):
    """adaptive_{avg,max}_pool2d: output_size int or pair (None keeps that input size), from 1
    to larger than the input; batched or unbatched. (0, an empty output, is
    test_adaptive_pool2d_empty_output's: PyTorch's backward refuses it.)"""
    batch = draw(st.sampled_from([(), (1,), (2,)]))
    shape = (*batch, draw(st.integers(1, 3)), draw(st.integers(1, 7)), draw(st.integers(1, 7)))
    side = st.integers(1, 9)
    output_size = draw(
        st.one_of(side, st.tuples(st.one_of(st.none(), side), st.one_of(st.none(), side)))
    )
    return {"input": shape, "output_size": output_size, "seed": draw(seeds)}


@st.composite
def batch_norm_cases(draw):
    """batch_norm: (N, C), (N, C, L), (N, C, H, W), (N, C, D, H, W); training or eval; running
    stats or None (training only: eval needs them); weight and bias each or not; momentum,
    eps; the saved statistics of ``return_stats`` or not."""
    training = draw(st.booleans())
    spatial = draw(st.sampled_from([(), (3,), (2, 3), (1, 1), (2, 1, 2)]))
    N = draw(st.integers(2 if training and not spatial else 1, 3))
    if training and spatial == (1, 1):
        N = max(N, 2)  # PyTorch: training needs more than one value per channel
    return {
        "input": (N, draw(st.integers(1, 3)), *spatial),
        "running": not training or draw(st.booleans()),
        "weight": draw(st.booleans()),
        "bias": draw(st.booleans()),
        "training": training,
        "momentum": draw(st.sampled_from([0.1, 0.5, 1.0])),
        "eps": draw(st.sampled_from([1e-5, 0.1])),
        "saved": training and draw(st.booleans()),
        "seed": draw(seeds),
    }


@st.composite
def layer_norm_cases(draw):
    """layer_norm: any leading shape, normalized_shape the last 1-3 axes (an int for one)."""
    shape = tuple(draw(st.lists(sizes, min_size=1, max_size=4)))
    count = draw(st.integers(1, min(3, len(shape))))
    normalized = shape[len(shape) - count :]
    if count == 1 and draw(st.booleans()):
        normalized = normalized[0]
    return {
        "input": shape,
        "normalized_shape": normalized,
        "weight": draw(st.booleans()),
        "bias": draw(st.booleans()),
        "eps": draw(st.sampled_from([1e-5, 0.1])),
        "seed": draw(seeds),
    }


@st.composite
def group_norm_cases(draw):
    """group_norm: (N, C, *) with 0-2 spatial axes, num_groups dividing C, affine or not."""
    num_groups = draw(st.integers(1, 3))
    C = num_groups * draw(st.integers(1, 2))
    spatial = tuple(draw(st.lists(st.integers(1, 3), max_size=2)))
    N = draw(st.integers(1, 3))
    if N * (C // num_groups) * _count(spatial) == 1:
        spatial = (*spatial[:-1], 2)  # PyTorch needs more than one value per group
    return {
        "input": (N, C, *spatial),
        "num_groups": num_groups,
        "weight": draw(st.booleans()),
        "bias": draw(st.booleans()),
        "eps": draw(st.sampled_from([1e-5, 0.1])),
        "seed": draw(seeds),
    }


@st.composite
def linear_cases(draw):
    """linear: 0-3 leading axes, weight (out, in), bias or not."""
    leading = tuple(draw(st.lists(st.integers(1, 3), max_size=3)))
    in_features, out_features = draw(sizes), draw(sizes)
    return {
        "input": (*leading, in_features),
        "weight": (out_features, in_features),
        "bias": draw(st.booleans()),
        "seed": draw(seeds),
    }


ACTIVATIONS = {
    "relu": st.just({}),
    "relu6": st.just({}),
    "sigmoid": st.just({}),
    "tanh": st.just({}),
    "silu": st.just({}),
    "leaky_relu": st.fixed_dictionaries({"negative_slope": st.sampled_from([0.01, 0.2, -0.5])}),
    "elu": st.fixed_dictionaries({"alpha": st.sampled_from([1.0, 0.5, 2.0])}),
    "gelu": st.fixed_dictionaries({"approximate": st.sampled_from(["none", "tanh"])}),
    "hardtanh": st.sampled_from(
        [{}, {"min_val": -0.5, "max_val": 2.0}, {"min_val": 0.0, "max_val": 0.25}]
    ),
    # the smooth ones (xpnet/kernels/activation_smooth.py); celu's 0.3 is not a float32: its
    # gradient divides by alpha rounded to float32, as PyTorch's autograd
    "softplus": st.fixed_dictionaries(
        {"beta": st.sampled_from([1.0, 0.5, 2.0, -1.0]), "threshold": st.sampled_from([20.0, 1.0])}
    ),
    "mish": st.just({}),
    "selu": st.just({}),
    "celu": st.fixed_dictionaries({"alpha": st.sampled_from([1.0, 0.3, 2.0, -0.7])}),
    "logsigmoid": st.just({}),
    "softsign": st.just({}),
    "tanhshrink": st.just({}),
    # the piecewise ones (xpnet/kernels/activation_piecewise.py); threshold's two arguments
    # have no defaults
    "hardswish": st.just({}),
    "hardsigmoid": st.just({}),
    "threshold": st.fixed_dictionaries(
        {"threshold": st.sampled_from([0.5, -1.0, 0.0]), "value": st.sampled_from([-2.0, 0.0, 3.0])}
    ),
    "hardshrink": st.fixed_dictionaries({"lambd": st.sampled_from([0.5, 0.0, 1.5, -0.5])}),
    "softshrink": st.fixed_dictionaries({"lambd": st.sampled_from([0.5, 0.0, 1.5])}),
}


@st.composite
def activation_cases(draw):
    """Every activation with its options, on any shape, values in [-4, 4]."""
    name = draw(st.sampled_from(sorted(ACTIVATIONS)))
    return {
        "name": name,
        "kwargs": draw(ACTIVATIONS[name]),
        "input": tuple(draw(st.lists(sizes, max_size=3))),
        "seed": draw(seeds),
    }


@st.composite
def softmax_cases(draw):
    """softmax / log_softmax on 1-4 axes along any dim, negative dims too."""
    shape = tuple(draw(st.lists(sizes, min_size=1, max_size=4)))
    return {
        "name": draw(st.sampled_from(["softmax", "log_softmax"])),
        "input": shape,
        "dim": draw(st.integers(-len(shape), len(shape) - 1)),
        "seed": draw(seeds),
    }


@st.composite
def loss_cases(draw, name="cross_entropy"):
    """cross_entropy or nll_loss: (C,), (N, C), (N, C, d1[, d2]) logits; class-index targets
    (some equal to ignore_index, which may also be a class) or, for cross_entropy, probability
    targets; weights or not; reduction; label smoothing."""
    C = draw(st.integers(1, 4))
    shape = draw(
        st.sampled_from(
            [(C,), (draw(sizes), C), (draw(sizes), C, draw(sizes)), (2, C, 2, draw(sizes))]
        )
    )
    probabilities = name == "cross_entropy" and draw(st.booleans())
    kwargs = {
        # PyTorch refuses ignore_index with probability targets, unless it is the default
        "ignore_index": -100 if probabilities else draw(st.sampled_from([-100, -1, 0, C - 1])),
        "reduction": draw(st.sampled_from(["mean", "sum", "none"])),
    }
    if name == "cross_entropy":
        kwargs["label_smoothing"] = draw(st.sampled_from([0.0, 0.0, 0.1, 0.5, 1.0]))
    target_shape = shape[:1] + shape[2:] if len(shape) > 1 else ()
    return {
        "input": shape,
        "probabilities": probabilities,
        # class indices, each replaced by ignore_index where the flag says
        "target": None
        if probabilities
        else [draw(st.integers(0, C - 1)) for _ in range(_count(target_shape))],
        "ignored": [draw(st.booleans()) for _ in range(_count(target_shape))],
        "target_shape": target_shape,
        "weight": draw(st.booleans()),
        "kwargs": kwargs,
        "saved": name == "cross_entropy" and draw(st.booleans()),
        "seed": draw(seeds),
    }


def _count(shape):
    count = 1
    for size in shape:
        count *= size
    return count


@st.composite
def dropout_cases(draw):
    """dropout's backward given a mask: any shape, p in [0, 1], training or not."""
    return {
        # not 0-d: NumPy returns scalars there (test_dropout_0d_input_returns_arrays)
        "input": tuple(draw(st.lists(sizes, min_size=1, max_size=3))),
        "p": draw(st.sampled_from([0.0, 0.1, 0.5, 0.9, 1.0])),
        "training": draw(st.booleans()),
        "seed": draw(seeds),
    }


# ---------------------------------------------------------------------------------------------
# invalid calls: one valid call of a kernel, then one thing made wrong


class Invalid:
    """A call of ``name`` with every argument by keyword (``valid``), and one mistake.

    ``changes`` replaces arguments (``grad_output`` too: the backward then gets it instead of
    a gradient of the valid output's shape). The call must raise one of ``errors`` with a
    message that starts with the function's name and names one of ``arguments``.
    ``forward`` / ``backward`` say which of the pair the mistake applies to.
    """

    def __init__(
        self,
        name,
        valid,
        label,
        changes,
        arguments,
        forward=True,
        backward=True,
        errors=None,
        backward_extra=None,
    ):
        self.name, self.valid, self.label, self.changes = name, valid, label, changes
        self.arguments = (arguments,) if isinstance(arguments, str) else tuple(arguments)
        self.forward, self.backward = forward, backward
        self.errors = errors
        self.backward_extra = backward_extra or {}

    def __repr__(self):  # what hypothesis prints for a failing example
        changes = {k: _describe(v) for k, v in self.changes.items()}
        valid = {k: _describe(v) for k, v in self.valid.items()}
        return f"Invalid({self.name}, {self.label}: {changes}, valid={valid})"


def _describe(value):
    if isinstance(value, np.ndarray):
        return f"array{value.shape}:{value.dtype}"
    return repr(value)


def zeros_of(shape, dtype=np.float64):
    return np.zeros(shape, dtype=dtype)


def values_of(shape, seed=0):
    return np.random.default_rng(seed).uniform(-1.0, 1.0, size=shape)


def common_mistakes(name, valid, arrays, required, output_shape):
    """Mistakes every kernel shares: an int or bool array, None for a required array,
    a grad_output of the wrong shape or dtype, or not an array."""
    mistakes = []
    for argument in arrays:
        array = valid[argument]
        if array is None:
            continue
        mistakes.append(("int dtype", {argument: array.astype(np.int64)}, argument))
        mistakes.append(("bool dtype", {argument: array.astype(bool)}, argument))
    for argument in arrays[1:]:
        if valid[argument] is not None:
            float32 = valid[argument].astype(np.float32)
            mistakes.append(("mixed dtype", {argument: float32}, argument))
    for argument in required:
        mistakes.append(("None", {argument: None}, argument))
    grad_shapes = [(*output_shape, 2), output_shape[:-1] if output_shape else (3,)]
    if output_shape:
        grad_shapes.append((*output_shape[:-1], output_shape[-1] + 1))
    for shape in grad_shapes:
        mistakes.append(("grad_output shape", {"grad_output": zeros_of(shape)}, "grad_output"))
    mistakes.append(
        ("grad_output dtype", {"grad_output": zeros_of(output_shape, np.int64)}, "grad_output")
    )
    mistakes.append(("grad_output None", {"grad_output": None}, "grad_output"))
    return [
        Invalid(name, valid, label, changes, argument, forward="grad_output" not in changes)
        for label, changes, argument in mistakes
    ]


def _conv2d(draw):
    C, C_out, k = draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    H = k + draw(st.integers(0, 2))
    valid = {
        "input": values_of((2, C, H, H)),
        "weight": values_of((C_out, C, k, k), 1),
        "bias": values_of((C_out,), 2) if draw(st.booleans()) else None,
        "stride": 1,
        "padding": 0,
        "dilation": 1,
        "groups": 1,
    }
    out = (2, C_out, H - k + 1, H - k + 1)
    mistakes = [
        Invalid("conv2d", valid, "5-d input", {"input": zeros_of((1, 2, C, H, H))}, "input"),
        Invalid("conv2d", valid, "2-d input", {"input": zeros_of((C, H))}, "input"),
        Invalid("conv2d", valid, "3-d weight", {"weight": zeros_of((C_out, C, k))}, "weight"),
        Invalid("conv2d", valid, "stride 0", {"stride": 0}, "stride"),
        Invalid("conv2d", valid, "negative stride", {"stride": (1, -1)}, "stride"),
        Invalid("conv2d", valid, "float stride", {"stride": 1.5}, "stride"),
        Invalid("conv2d", valid, "dilation 0", {"dilation": 0}, "dilation"),
        Invalid("conv2d", valid, "negative padding", {"padding": -1}, "padding"),
        Invalid("conv2d", valid, "padding string", {"padding": "full"}, "padding"),
        Invalid(
            "conv2d",
            valid,
            "'same' with stride 2",
            {"padding": "same", "stride": 2},
            ("padding", "stride"),
        ),
        Invalid("conv2d", valid, "groups 0", {"groups": 0}, "groups"),
        Invalid(
            "conv2d",
            valid,
            "groups not dividing C",
            {
                "input": zeros_of((2, 3, H, H)),
                "weight": zeros_of((2, 1, k, k)),
                "groups": 2,
                "bias": None,
            },
            ("groups", "input"),
        ),
        Invalid(
            "conv2d",
            valid,
            "weight channels",
            {"weight": zeros_of((C_out, C + 1, k, k))},
            ("weight", "input"),
        ),
        Invalid("conv2d", valid, "bias shape", {"bias": zeros_of((C_out + 1,))}, "bias"),
        Invalid(
            "conv2d",
            valid,
            "kernel larger than the input",
            {"weight": zeros_of((C_out, C, H + 1, 1)), "bias": None},
            ("weight", "input"),
        ),
    ]
    return mistakes + common_mistakes(
        "conv2d", valid, ("input", "weight", "bias"), ("input", "weight"), out
    )


def _indices_of_another_shape(name, valid):
    """The backward of a max pool (``name``) given saved indices of the wrong shape."""
    backward_extra = {"indices": zeros_of((1, 1, 1), np.int64)}
    label = "indices of another shape"
    return Invalid(name, valid, label, {}, "indices", forward=False, backward_extra=backward_extra)


def pool_mistakes(draw, name, nd):
    """The invalid calls of ``name`` (max_pool or avg_pool over ``nd`` spatial axes)."""
    k = draw(st.integers(1, 3))
    n = k + draw(st.integers(0, 3))
    space = (n,) * nd
    valid = {"input": values_of((2, 2, *space)), "kernel_size": k}
    out = (2, 2, *(n // k,) * nd)
    mistakes = [
        Invalid(name, valid, "input rank + 1", {"input": zeros_of((1, 2, 2, *space))}, "input"),
        Invalid(name, valid, "input rank - 2", {"input": zeros_of(space)}, "input"),
        Invalid(name, valid, "kernel_size 0", {"kernel_size": 0}, "kernel_size"),
        Invalid(name, valid, "negative kernel_size", {"kernel_size": (-1,) * nd}, "kernel_size"),
        Invalid(name, valid, "float kernel_size", {"kernel_size": 2.0}, "kernel_size"),
        Invalid(
            name, valid, "kernel_size of nd + 1", {"kernel_size": (1,) * (nd + 1)}, "kernel_size"
        ),
        Invalid(name, valid, "stride 0", {"stride": 0}, "stride"),
        Invalid(name, valid, "negative padding", {"padding": -1}, "padding"),
        Invalid(name, valid, "padding over half the kernel", {"padding": k // 2 + 1}, "padding"),
        Invalid(
            name,
            valid,
            "kernel larger than the input",
            {"kernel_size": (n + 1, *(1,) * (nd - 1))},
            ("kernel_size", "input"),
        ),
    ]
    if name.startswith("max"):
        mistakes += [
            Invalid(name, valid, "dilation 0", {"dilation": 0}, "dilation"),
            _indices_of_another_shape(name, valid),
            Invalid(
                name,
                valid,
                "float indices",
                {},
                "indices",
                forward=False,
                backward_extra={"indices": zeros_of(out)},
            ),
        ]
    if name.startswith("avg") and nd > 1:  # avg_pool1d has no divisor_override
        mistakes += [
            Invalid(name, valid, "divisor_override 0", {"divisor_override": 0}, "divisor_override"),
            Invalid(
                name,
                valid,
                "float divisor_override",
                {"divisor_override": 1.5},
                "divisor_override",
            ),
        ]
    return mistakes + common_mistakes(name, valid, ("input",), ("input",), out)


def adaptive_mistakes(draw, name, nd):
    """The invalid calls of ``name`` (an adaptive pool over ``nd`` spatial axes)."""
    space = tuple(draw(st.integers(1, 4)) for _ in range(nd))
    size = draw(st.integers(1, 4))
    valid = {"input": values_of((2, 3, *space)), "output_size": size}
    out = (2, 3, *(size,) * nd)
    mistakes = [
        Invalid(name, valid, "input rank + 1", {"input": zeros_of((1, 2, 3, *space))}, "input"),
        Invalid(name, valid, "input rank - 2", {"input": zeros_of(space)}, "input"),
        Invalid(name, valid, "negative output_size", {"output_size": -1}, "output_size"),
        Invalid(
            name,
            valid,
            "negative output_size entry",
            {"output_size": (*(2,) * (nd - 1), -3)},
            "output_size",
        ),
        Invalid(
            name, valid, "output_size of nd + 1", {"output_size": (2,) * (nd + 1)}, "output_size"
        ),
        Invalid(name, valid, "float output_size", {"output_size": 2.5}, "output_size"),
    ]
    if name.startswith("adaptive_max"):
        mistakes.append(_indices_of_another_shape(name, valid))
    return mistakes + common_mistakes(name, valid, ("input",), ("input",), out)


def _batch_norm(draw):
    C = draw(st.integers(1, 3))
    training = draw(st.booleans())
    valid = {
        "input": values_of((3, C, 2)),
        "running_mean": values_of((C,), 1),
        "running_var": np.ones(C),
        "weight": values_of((C,), 2) if draw(st.booleans()) else None,
        "bias": values_of((C,), 3) if draw(st.booleans()) else None,
        "training": training,
    }
    name = "batch_norm"
    mistakes = [
        Invalid(name, valid, "1-d input", {"input": zeros_of((C,))}, "input"),
        Invalid(
            name, valid, "running_mean shape", {"running_mean": zeros_of((C + 1,))}, "running_mean"
        ),
        Invalid(name, valid, "running_var shape", {"running_var": np.ones((C, 1))}, "running_var"),
        Invalid(name, valid, "weight shape", {"weight": zeros_of((C + 1,))}, "weight"),
        Invalid(name, valid, "bias shape", {"bias": zeros_of((C, 2))}, "bias"),
        Invalid(
            name,
            valid,
            "eval without running stats",
            {"training": False, "running_mean": None, "running_var": None},
            ("running_mean", "running_var"),
        ),
        Invalid(
            name,
            valid,
            "one value per channel in training",
            {"training": True, "input": values_of((1, C))},
            "input",
        ),
    ]
    return mistakes + common_mistakes(
        name,
        valid,
        ("input", "running_mean", "running_var", "weight", "bias"),
        ("input",),
        (3, C, 2),
    )


def _layer_norm(draw):
    shape = (2, draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    valid = {
        "input": values_of(shape),
        "normalized_shape": shape[1:],
        "weight": values_of(shape[1:], 1) if draw(st.booleans()) else None,
        "bias": values_of(shape[1:], 2) if draw(st.booleans()) else None,
    }
    name = "layer_norm"
    mistakes = [
        Invalid(
            name,
            valid,
            "normalized_shape not trailing",
            {"normalized_shape": (shape[2] + 1,)},
            "normalized_shape",
        ),
        Invalid(
            name,
            valid,
            "normalized_shape longer than input",
            {"normalized_shape": (1, *shape)},
            "normalized_shape",
        ),
        Invalid(
            name, valid, "empty normalized_shape", {"normalized_shape": ()}, "normalized_shape"
        ),
        Invalid(
            name, valid, "negative normalized_shape", {"normalized_shape": -1}, "normalized_shape"
        ),
        Invalid(name, valid, "weight shape", {"weight": zeros_of(shape[2:])}, "weight"),
        Invalid(name, valid, "bias shape", {"bias": zeros_of((7,))}, "bias"),
    ]
    return mistakes + common_mistakes(name, valid, ("input", "weight", "bias"), ("input",), shape)


def _group_norm(draw):
    groups = draw(st.integers(1, 3))
    C = 2 * groups
    valid = {
        "input": values_of((2, C, 3)),
        "num_groups": groups,
        "weight": values_of((C,), 1) if draw(st.booleans()) else None,
        "bias": values_of((C,), 2) if draw(st.booleans()) else None,
    }
    name = "group_norm"
    mistakes = [
        Invalid(name, valid, "1-d input", {"input": zeros_of((C,))}, "input"),
        Invalid(name, valid, "num_groups not dividing C", {"num_groups": C + 1}, "num_groups"),
        Invalid(name, valid, "num_groups 0", {"num_groups": 0}, "num_groups"),
        Invalid(name, valid, "negative num_groups", {"num_groups": -groups}, "num_groups"),
        Invalid(name, valid, "float num_groups", {"num_groups": float(groups)}, "num_groups"),
        Invalid(name, valid, "weight shape", {"weight": zeros_of((C + 1,))}, "weight"),
        Invalid(name, valid, "bias shape", {"bias": zeros_of((1, C))}, "bias"),
    ]
    return mistakes + common_mistakes(
        name, valid, ("input", "weight", "bias"), ("input",), (2, C, 3)
    )


def _linear(draw):
    n_in, n_out = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    valid = {
        "input": values_of((2, n_in)),
        "weight": values_of((n_out, n_in), 1),
        "bias": values_of((n_out,), 2) if draw(st.booleans()) else None,
    }
    mistakes = [
        Invalid("linear", valid, "0-d input", {"input": zeros_of(())}, "input"),
        Invalid(
            "linear",
            valid,
            "in_features mismatch",
            {"weight": zeros_of((n_out, n_in + 1))},
            ("weight", "input"),
        ),
        Invalid("linear", valid, "1-d weight", {"weight": zeros_of((n_in,))}, "weight"),
        Invalid("linear", valid, "3-d weight", {"weight": zeros_of((1, n_out, n_in))}, "weight"),
        Invalid("linear", valid, "bias shape", {"bias": zeros_of((n_out + 1,))}, "bias"),
    ]
    return mistakes + common_mistakes(
        "linear", valid, ("input", "weight", "bias"), ("input", "weight"), (2, n_out)
    )


def _activation(draw, name):
    shape = (2, draw(st.integers(1, 3)))
    valid = {"input": values_of(shape)}
    if name == "threshold":  # no defaults for these two
        valid |= {"threshold": 0.5, "value": -2.0}
    mistakes = []
    if name == "gelu":
        mistakes.append(Invalid(name, valid, "approximate", {"approximate": "fast"}, "approximate"))
    if name == "hardtanh":
        mistakes.append(
            Invalid(
                name,
                valid,
                "min_val above max_val",
                {"min_val": 1.0, "max_val": -1.0},
                ("min_val", "max_val"),
            )
        )
    if name == "celu":
        mistakes.append(Invalid(name, valid, "alpha 0", {"alpha": 0.0}, "alpha"))
    if name == "softplus":
        mistakes.append(Invalid(name, valid, "threshold None", {"threshold": None}, "threshold"))
    if name == "softshrink":
        mistakes.append(Invalid(name, valid, "negative lambd", {"lambd": -0.5}, "lambd"))
        mistakes.append(Invalid(name, valid, "lambd NaN", {"lambd": float("nan")}, "lambd"))
    if name == "threshold":
        mistakes.append(Invalid(name, valid, "value None", {"value": None}, "value"))
    scalar = {
        "leaky_relu": "negative_slope",
        "elu": "alpha",
        "hardtanh": "min_val",
        "softplus": "beta",
        "celu": "alpha",
        "threshold": "threshold",
        "hardshrink": "lambd",
        "softshrink": "lambd",
    }.get(name)
    if scalar is not None:  # found by a random comparison: NumPy's bare UFuncTypeError
        mistakes.append(Invalid(name, valid, f"{scalar} a string", {scalar: "0.5"}, (scalar,)))
    return mistakes + common_mistakes(name, valid, ("input",), ("input",), shape)


def _softmax(draw, name):
    shape = (2, draw(st.integers(1, 3)))
    valid = {"input": values_of(shape), "dim": draw(st.integers(-2, 1))}
    mistakes = [
        Invalid(name, valid, "dim out of range", {"dim": 2}, "dim"),
        Invalid(name, valid, "dim below range", {"dim": -3}, "dim"),
        Invalid(name, valid, "dim None", {"dim": None}, "dim"),
        Invalid(name, valid, "float dim", {"dim": 1.0}, "dim"),
    ]
    return mistakes + common_mistakes(name, valid, ("input",), ("input",), shape)


def _loss(draw, name):
    C, N = draw(st.integers(2, 4)), draw(st.integers(1, 3))
    reduction = draw(st.sampled_from(["mean", "sum", "none"]))
    valid = {
        "input": values_of((N, C)),
        "target": np.arange(N, dtype=np.int64) % C,
        "weight": np.ones(C) if draw(st.booleans()) else None,
        "reduction": reduction,
    }
    out = (N,) if reduction == "none" else ()
    mistakes = [
        Invalid(name, valid, "reduction string", {"reduction": "avg"}, "reduction"),
        Invalid(name, valid, "reduction None", {"reduction": None}, "reduction"),
        Invalid(name, valid, "0-d input", {"input": zeros_of(())}, "input"),
        Invalid(name, valid, "target batch", {"target": np.zeros(N + 1, np.int64)}, "target"),
        Invalid(name, valid, "target ndim", {"target": np.zeros((N, 2), np.int64)}, "target"),
        Invalid(
            name,
            valid,
            "target = C",
            {"target": np.full(N, C, np.int64)},
            "target",
            errors=(IndexError,),
        ),  # PyTorch's error for an out-of-range class
        Invalid(
            name,
            valid,
            "negative target",
            {"target": np.full(N, -2, np.int64)},
            "target",
            errors=(IndexError,),
        ),
        Invalid(name, valid, "weight shape", {"weight": np.ones(C + 1)}, "weight"),
        Invalid(name, valid, "bool target", {"target": np.ones(N, bool)}, "target"),
        Invalid(name, valid, "target None", {"target": None}, "target"),
        Invalid(name, valid, "target a list", {"target": [0] * N}, "target"),
    ]
    if name == "cross_entropy":
        mistakes += [
            Invalid(
                name, valid, "label_smoothing above 1", {"label_smoothing": 1.5}, "label_smoothing"
            ),
            Invalid(
                name,
                valid,
                "negative label_smoothing",
                {"label_smoothing": -0.1},
                "label_smoothing",
            ),
            Invalid(
                name, valid, "probability target shape", {"target": zeros_of((N, C + 1))}, "target"
            ),
            Invalid(
                name,
                valid,
                "probability target dtype",
                {"target": np.full((N, C), 1 / C, np.float32)},
                "target",
            ),
            Invalid(
                name,
                valid,
                "ignore_index with probability targets",
                {"target": np.full((N, C), 1 / C), "ignore_index": 0},
                "ignore_index",
            ),
        ]
    else:
        mistakes.append(Invalid(name, valid, "float target", {"target": zeros_of(N)}, "target"))
    return mistakes + common_mistakes(name, valid, ("input", "weight"), ("input",), out)


def _dropout(draw):
    shape = (2, draw(st.integers(1, 3)))
    p = draw(st.sampled_from([0.2, 0.5]))
    mask = np.arange(np.prod(shape)).reshape(shape) % 2 == 0
    valid = {"input": values_of(shape), "p": p, "training": True}
    mistakes = [
        Invalid("dropout", valid, "p above 1", {"p": 1.5}, "p"),
        Invalid("dropout", valid, "negative p", {"p": -0.1}, "p"),
        Invalid("dropout", valid, "mask missing", {}, "mask", forward=False),
        Invalid(
            "dropout",
            valid,
            "mask shape",
            {},
            "mask",
            forward=False,
            backward_extra={"mask": mask[:1]},
        ),
        Invalid(
            "dropout",
            valid,
            "mask dtype",
            {},
            "mask",
            forward=False,
            backward_extra={"mask": mask.astype(np.float64)},
        ),
    ]
    mistakes = mistakes + common_mistakes("dropout", valid, ("input",), ("input",), shape)
    for mistake in mistakes:  # a valid backward needs the mask
        if mistake.label not in ("mask missing",):
            mistake.backward_extra = {"mask": mask, **mistake.backward_extra}
    return mistakes


INVALID = {
    "conv2d": _conv2d,
    "max_pool2d": lambda draw: pool_mistakes(draw, "max_pool2d", 2),
    "avg_pool2d": lambda draw: pool_mistakes(draw, "avg_pool2d", 2),
    "adaptive_avg_pool2d": lambda draw: adaptive_mistakes(draw, "adaptive_avg_pool2d", 2),
    "adaptive_max_pool2d": lambda draw: adaptive_mistakes(draw, "adaptive_max_pool2d", 2),
    "batch_norm": _batch_norm,
    "layer_norm": _layer_norm,
    "group_norm": _group_norm,
    "linear": _linear,
    **{name: (lambda draw, name=name: _activation(draw, name)) for name in ACTIVATIONS},
    "softmax": lambda draw: _softmax(draw, "softmax"),
    "log_softmax": lambda draw: _softmax(draw, "log_softmax"),
    "softmin": lambda draw: _softmax(draw, "softmin"),
    "cross_entropy": lambda draw: _loss(draw, "cross_entropy"),
    "nll_loss": lambda draw: _loss(draw, "nll_loss"),
    "dropout": _dropout,
}


@st.composite
def invalid_calls(draw, name):
    """One invalid call of kernel ``name`` (see :class:`Invalid`)."""
    return draw(st.sampled_from(INVALID[name](draw)))


def on_backend(backend, value):
    """``value`` on ``backend`` if it is a NumPy array (options stay as they are)."""
    return backend.asarray(value) if isinstance(value, np.ndarray) else value


def _assert_rejects(where, case, call):
    errors = case.errors or (TypeError, K.ArgumentError)
    with pytest.raises(Exception) as raised:
        call()
        raise_deferred()  # value checks on strict wait for the next host read
    error = raised.value
    assert isinstance(error, errors), f"{where} ({case.label}) raised {error!r}"
    message = str(error)
    assert message.startswith(f"{where}: "), f"{where} ({case.label}): message {message!r}"
    named = [name for name in case.arguments if name in message]
    assert named, f"{where} ({case.label}): message {message!r} names none of {case.arguments}"


def check_rejected(backend, name, case, known=()):
    """Call ``name`` (and its backward) with the mistake of ``case`` (an :class:`Invalid`):
    each side must raise one of its errors, naming the function and one of its arguments.
    ``known`` lists the sides (``"forward"``, ``"backward"``) pinned elsewhere as xfail."""
    valid = {key: on_backend(backend, value) for key, value in case.valid.items()}
    output = getattr(K, name)(**valid)
    grad_output = backend.xp.zeros_like(output)
    changes = {key: on_backend(backend, value) for key, value in case.changes.items()}
    if "grad_output" in changes:
        grad_output = changes.pop("grad_output")
        shape = getattr(grad_output, "shape", None)
        assert shape != output.shape or grad_output.dtype != output.dtype  # a real mistake
    arguments = {**valid, **changes}
    extra = {key: on_backend(backend, value) for key, value in case.backward_extra.items()}
    if case.forward and "forward" not in known:
        _assert_rejects(name, case, lambda: getattr(K, name)(**arguments))
    if case.backward and "backward" not in known:
        backward = getattr(K, f"{name}_backward")
        call = lambda: backward(grad_output=grad_output, **arguments, **extra)  # noqa: E731
        _assert_rejects(f"{name}_backward", case, call)
