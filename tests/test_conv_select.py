"""Which conv2d formula runs: select_conv_algorithm's choices, the conv_algorithms switch that
forces or restricts them, the algorithm that ``xpnet bench`` reports per case, and the cost
model that keeps every CPU choice and takes the fewest launches with a GPU's costs."""

from __future__ import annotations

import hashlib
import itertools
import pathlib
import threading
import types

import numpy as np
import pytest
from _oracle import assert_close, check_conv2d_case, random_input, tf32_rtol

import xpnet
import xpnet.kernels as K
import xpnet.kernels._conv_cost as conv_cost
import xpnet.kernels._conv_im2col as conv_im2col
import xpnet.kernels._conv_select as conv_select
import xpnet.kernels.conv as conv_module
from xpnet import bench
from xpnet.backends import load_backend, profile
from xpnet.backends._base import CPU_CONV_COSTS, GPU_CONV_COSTS, ConvCosts, conv_costs_of
from xpnet.kernels._conv_args import prepare_conv

# PyTorch warns that it copies the input for 'same' with an even kernel; that is its business
pytestmark = pytest.mark.filterwarnings("ignore:Using padding='same':UserWarning")

A = K.ConvAlgorithm


@pytest.fixture(autouse=True)
def _fourier_allowed(precision):
    """These tests pin the measured thresholds, Fourier's included, which apply at the
    "high" precision (at "highest" Fourier never runs unasked: tests/test_precision.py)."""
    precision("high")


# (N, C, H, W, C_out, k, stride, padding, groups): what conv2d ran before the choice had a
# module of its own (checked against that code on float32, with room for Fourier's spectra)
CHOICES = [
    ((64, 1, 28, 28, 32, 5, 1, 2, 1), A.IM2COL),  # one channel: rows of 5, too short
    ((64, 32, 14, 14, 64, 5, 1, 2, 1), A.FOURIER),
    ((128, 3, 32, 32, 64, 3, 1, 1, 1), A.IM2COL),
    ((128, 64, 32, 32, 64, 3, 1, 1, 1), A.FOURIER),
    ((128, 128, 16, 16, 128, 3, 1, 1, 1), A.FOURIER),
    ((128, 256, 8, 8, 256, 3, 1, 1, 1), A.FOURIER),
    ((128, 64, 32, 32, 128, 3, 2, 1, 1), A.IM2COL),  # stride 2
    ((128, 256, 16, 16, 64, 1, 1, 0, 1), A.POINTWISE),
    ((32, 64, 56, 56, 64, 3, 1, 1, 1), A.IM2COL_PER_ROW),  # Fourier does not pay on 56x56
    ((8, 64, 16, 16, 64, 3, 1, 1, 2), A.IM2COL_PER_ROW),  # two groups: no Fourier; rows of 96
    ((8, 64, 16, 16, 64, 3, 1, 1, 64), A.IM2COL),  # depthwise: rows of 3
    ((8, 16, 32, 32, 16, 3, 1, 1, 1), A.IM2COL_PER_ROW),  # rows of 48 on a 32x32 plane
    ((8, 16, 33, 32, 16, 3, 1, 1, 1), A.IM2COL),  # rows of 48 on a larger plane
    ((8, 12, 32, 32, 16, 3, 1, 1, 1), A.IM2COL),  # rows of 36
    ((8, 256, 16, 16, 64, 1, 2, 0, 1), A.IM2COL),  # 1x1 at stride 2
    ((8, 64, 16, 16, 64, 1, 1, 1, 1), A.IM2COL),  # 1x1 with padding
]


def _empty(xp, N, C, H, W, C_out, k, groups, dtype="float32"):
    return xp.empty((N, C, H, W), dtype=dtype), xp.empty((C_out, C // groups, k, k), dtype=dtype)


@pytest.fixture
def restore_memory_budget():
    yield
    xpnet.set_memory_budget(None)


@pytest.mark.parametrize("shape, algorithm", CHOICES, ids=lambda v: str(v))
def test_select_conv_algorithm_by_shape(
    backend, cpu_conv_choices, restore_memory_budget, shape, algorithm
):
    # the filters' spectra of the largest Fourier shape, 24 MB per thread, fit on any machine
    xpnet.set_memory_budget(2**32)
    N, C, H, W, C_out, k, stride, padding, groups = shape
    x, w = _empty(backend.xp, N, C, H, W, C_out, k, groups)
    assert K.select_conv_algorithm(x, w, None, stride, padding, 1, groups) is algorithm


def test_select_conv_algorithm_gives_way_to_the_memory_budget(
    backend, cpu_conv_choices, restore_memory_budget
):
    # the filters' spectra, 2 * 45 bins * 64 * 64 float64 = 2.9 MB, per call and per thread
    x, w = _empty(backend.xp, 2, 64, 8, 8, 64, 3, 1, "float64")
    assert K.select_conv_algorithm(x, w, padding=1) is A.FOURIER
    xpnet.set_memory_budget(2 * 2**20)
    assert K.select_conv_algorithm(x, w, padding=1) is A.IM2COL_PER_ROW


def _recording(monkeypatch):
    """The algorithms of the formulas that conv2d and conv2d_backward call, in order: spies
    that watch (and change nothing), on the names conv.py dispatches to, and on the forward
    that the window formulas' backward calls for grad_input by correlation."""
    ran = []

    def spy(module, name, algorithm=None):
        function = getattr(module, name)

        def call(*args, **kwargs):
            choice = next((a for a in args if isinstance(a, conv_select.Choice)), None)
            ran.append(algorithm or choice.algorithm)
            return function(*args, **kwargs)

        monkeypatch.setattr(module, name, call)

    spy(conv_module, "im2col_correlate")
    spy(conv_module, "im2col_backward")
    spy(conv_im2col, "im2col_correlate")
    spy(conv_module, "fourier_correlate", A.FOURIER)
    spy(conv_module, "fourier_correlate_backward", A.FOURIER)
    return ran


# (input, weight, stride, padding, dilation, groups) and the algorithms that can run them
FORCED = [
    (((2, 4, 7, 6), (3, 4, 3, 3), 1, 1, 1, 1), [A.IM2COL, A.IM2COL_PER_ROW, A.FOURIER]),
    (((2, 4, 5, 4), (3, 4, 1, 1), 1, 0, 1, 1), [A.IM2COL, A.POINTWISE, A.FOURIER]),
    (((2, 4, 9, 8), (6, 2, 3, 2), 1, (1, 0), 2, 2), [A.IM2COL, A.IM2COL_PER_ROW]),
    (((2, 3, 6, 7), (2, 3, 2, 4), 1, "same", 1, 1), [A.IM2COL, A.IM2COL_PER_ROW, A.FOURIER]),
]


def _check(backend, case, dtype=np.float64):
    # at "high" (_fourier_allowed) a GPU's products are TF32
    return check_conv2d_case(backend, case, dtype, rtol=tf32_rtol(backend, dtype))


@pytest.mark.parametrize(
    "case, algorithm", [(case, a) for case, runnable in FORCED for a in runnable], ids=str
)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_conv_algorithms_forced_matches_torch_and_the_default(
    backend, monkeypatch, case, algorithm, dtype
):
    default = _check(backend, case, dtype)
    ran = _recording(monkeypatch)
    with K.conv_algorithms(algorithm):
        x, w = (backend.xp.empty(shape) for shape in case[:2])
        assert K.select_conv_algorithm(x, w, None, *case[2:]) is algorithm
        forced = _check(backend, case, dtype)
    # the forward and the backward (grad_input's correlation may take another algorithm)
    assert ran[0] is algorithm and algorithm in ran[1:]
    for a, b in zip([default[0], *default[1]], [forced[0], *forced[1]], strict=True):
        assert_close(a, b, dtype, f"forced {algorithm.value} vs default", tf32_rtol(backend, dtype))


def test_conv_algorithms_restricts_and_the_thresholds_still_choose(backend, cpu_conv_costs):
    fourier_shape = _empty(backend.xp, 2, 256, 8, 8, 256, 3, 1)
    few_channels = _empty(backend.xp, 2, 3, 8, 8, 4, 3, 1)
    with K.conv_algorithms([A.FOURIER, A.POINTWISE]):
        # Fourier does not pay on 3 channels, but it is the only one enabled that can run
        assert K.select_conv_algorithm(*few_channels, padding=1) is A.FOURIER
    with K.conv_algorithms(["im2col_per_row", "im2col"], set_priority=True):
        assert K.select_conv_algorithm(*few_channels, padding=1) is A.IM2COL_PER_ROW
        assert K.select_conv_algorithm(*few_channels, stride=2) is A.IM2COL
    if not cpu_conv_costs:
        pytest.skip(
            f"{backend.name} chooses by its own cost constants (fewest launches): the choices "
            "left to check are the CPU thresholds'"
        )
    with K.conv_algorithms(["im2col", "im2col_per_row"]):
        assert K.select_conv_algorithm(*fourier_shape, padding=1) is A.IM2COL_PER_ROW
        # rows of 3 * 3: one product per kernel row does not pay
        assert K.select_conv_algorithm(*few_channels, padding=1) is A.IM2COL
    assert K.select_conv_algorithm(*fourier_shape, padding=1) is A.FOURIER


def test_conv_algorithms_nest_and_restore_after_an_exception(backend):
    x, w = _empty(backend.xp, 2, 8, 8, 8, 8, 3, 1)
    with K.conv_algorithms("im2col_per_row"):
        with pytest.raises(KeyError):
            with K.conv_algorithms("fourier"):
                assert K.select_conv_algorithm(x, w, padding=1) is A.FOURIER
                raise KeyError("inside")
        assert K.select_conv_algorithm(x, w, padding=1) is A.IM2COL_PER_ROW
        with K.conv_algorithms(grad_input="col2im"):  # algorithms: the enclosing block's
            assert K.select_conv_algorithm(x, w, padding=1) is A.IM2COL_PER_ROW
    assert K.select_conv_algorithm(x, w, padding=1) is A.IM2COL


def test_conv_algorithms_hold_for_the_calling_thread_only(backend):
    x, w = _empty(backend.xp, 2, 8, 8, 8, 8, 3, 1)
    seen = []
    with K.conv_algorithms("fourier"):
        thread = threading.Thread(target=lambda: seen.append(K.select_conv_algorithm(x, w)))
        thread.start()
        thread.join()
    assert seen == [A.IM2COL]


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"algorithms": "fft"}, ValueError, r"'fft' is not a conv2d algorithm; choose from "),
        ({"algorithms": ["im2col", "FOURIER"]}, ValueError, r"'FOURIER' is not a conv2d"),
        ({"algorithms": []}, ValueError, r"algorithms must name at least one algorithm, got none"),
        ({"algorithms": 3}, TypeError, r"algorithms must be names \('fourier', .*\), got int"),
        ({"grad_input": "im2col"}, ValueError, r"grad_input must be 'col2im', 'correlation'"),
        ({"set_priority": True}, ValueError, r"set_priority=True needs the algorithms"),
    ],
)
def test_conv_algorithms_rejects_bad_arguments_when_called(kwargs, error, message):
    with pytest.raises(error, match=f"^conv_algorithms: {message}"):
        K.conv_algorithms(**kwargs)  # no `with`: the call itself checks


# (weight shape, conv2d keyword arguments, forced algorithm, why it cannot run)
CANNOT_RUN = [
    ((4, 4, 3, 3), {"stride": 2}, "fourier", r"it needs stride=1, got stride=\(2, 2\)"),
    ((4, 4, 3, 3), {}, "pointwise", r"it needs a 1x1 kernel, got kernel_size=\(3, 3\)"),
    (
        (4, 4, 1, 1),
        {"padding": 1},
        "pointwise",
        r"it needs stride=1 and padding=0, got .*padding=\(1, 1\)",
    ),
    ((4, 4, 1, 3), {}, "im2col_per_row", r"it needs a kernel of more than one row"),
    (
        (4, 4, 3, 3),
        {"stride": (2, 1)},
        "im2col_per_row",
        r"it needs stride 1 along H, got stride=\(2, 1\)",
    ),
    ((4, 2, 3, 3), {"groups": 2}, "fourier", r"it needs groups=1, got groups=2"),
    ((4, 4, 3, 3), {"dilation": 2}, "fourier", r"it needs dilation=1, got dilation=\(2, 2\)"),
    (
        (4, 4, 3, 3),
        {"padding": (3, 0)},
        "fourier",
        r"it needs padding below kernel_size on every side",
    ),
]


@pytest.mark.parametrize("weight_shape, kwargs, algorithm, reason", CANNOT_RUN)
def test_forced_algorithm_that_cannot_run_names_function_algorithm_and_reason(
    backend, weight_shape, kwargs, algorithm, reason
):
    x = backend.asarray(random_input((1, 4, 8, 8)))
    w = backend.asarray(random_input(weight_shape))
    grad = K.conv2d(x, w, **kwargs)
    forces = f"conv_algorithms forces '{algorithm}', which cannot run this call: {reason}"
    with K.conv_algorithms(algorithm):
        for where, call in [
            ("conv2d", lambda: K.conv2d(x, w, **kwargs)),
            ("conv2d_backward", lambda: K.conv2d_backward(grad, x, w, **kwargs)),
            ("select_conv_algorithm", lambda: K.select_conv_algorithm(x, w, **kwargs)),
        ]:
            # an ArgumentError: both a ValueError and PyTorch's RuntimeError
            with pytest.raises(ValueError, match=f"^{where}: {forces}") as raised:
                call()
            assert isinstance(raised.value, RuntimeError)


def test_no_enabled_algorithm_lists_each_reason(backend):
    x, w = _empty(backend.xp, 1, 4, 8, 8, 4, 3, 1)
    with K.conv_algorithms(["pointwise", "fourier"]):
        with pytest.raises(
            ValueError,
            match=r"^conv2d: no algorithm that conv_algorithms enables can run this call "
            r"\(fourier: it needs stride=1, .*; pointwise: it needs a 1x1 kernel",
        ):
            K.conv2d(x, w, stride=2)


def test_forced_fourier_over_the_memory_budget_says_so(backend, restore_memory_budget):
    xpnet.set_memory_budget(2 * 2**20)
    x, w = _empty(backend.xp, 2, 64, 8, 8, 64, 3, 1, "float64")
    with K.conv_algorithms("fourier"):
        with pytest.raises(
            ValueError, match=r"its filters' spectra need \d+ bytes, more than the memory budget"
        ):
            K.select_conv_algorithm(x, w, padding=1)


# (input, weight, stride, padding) and how grad_input is computed by default
GRAD_INPUT = [
    (((2, 8, 7, 6), (4, 8, 3, 3), 1, 1), A.IM2COL),  # C_out <= C: a correlation
    (((2, 4, 7, 6), (8, 4, 3, 3), 1, 1), None),  # C_out > C: col2im
    (((1, 32, 32, 32), (64, 32, 3, 3), 1, 1), A.IM2COL_PER_ROW),  # up to 2 C from C = 32
    (((2, 4, 7, 6), (8, 4, 3, 3), 2, 1), None),  # stride 2: col2im
    (((2, 4, 7, 6), (8, 4, 1, 1), 1, 0), A.POINTWISE),  # pointwise: always a correlation
]


@pytest.mark.parametrize("case, correlation", GRAD_INPUT)
@pytest.mark.parametrize("grad_input", [None, "col2im", "correlation"])
def test_conv_algorithms_grad_input(
    backend, cpu_conv_costs, monkeypatch, case, correlation, grad_input
):
    ran = _recording(monkeypatch)
    (input_shape, weight_shape, stride, padding), where = case, "conv2d_backward"
    if grad_input is None and correlation is None and stride == 1 and not cpu_conv_costs:
        # col2im where the correlation could run: the CPU's threshold (C_out > C)
        pytest.skip(f"{backend.name}: its cost constants may take the correlation here")
    x, w = (backend.asarray(random_input(shape)) for shape in (input_shape, weight_shape))
    grad = K.conv2d(x, w, None, stride, padding)
    with K.conv_algorithms(grad_input=grad_input):
        if grad_input == "correlation" and stride != 1:
            message = rf"^{where}: conv_algorithms\(grad_input='correlation'\) cannot run this"
            with pytest.raises(ValueError, match=message + r" call: it needs stride=1"):
                K.conv2d_backward(grad, x, w, None, stride, padding)
            return
        K.conv2d_backward(grad, x, w, None, stride, padding, output_mask=(True, False, False))
    if grad_input == "correlation" and correlation is None:
        correlation = A.IM2COL
    if grad_input == "col2im" and correlation is not A.POINTWISE:
        correlation = None  # a pointwise convolution has no window copy for col2im
    # the forward, the backward, and the correlation inside it, if any
    assert ran[2:] == ([] if correlation is None else [correlation])


def _bench_rows(case, contenders):
    return bench.time_case(case, contenders, "float32", repeats=1, warmup=1, echo=print)


@pytest.mark.parametrize(
    "shape, algorithm",
    [((2, 3, 9, 9, 4, 3, 2, 1), "im2col"), ((2, 64, 8, 8, 64, 3, 1, 1), "fourier")],
)
def test_bench_rows_report_the_conv_algorithm(shape, algorithm):
    xpnet_numpy = bench.XpnetContender("numpy")
    contenders = [xpnet_numpy, bench.FloorContender(xpnet_numpy), bench.TorchContender("cpu")]
    case = bench.OPS["conv2d"].case(shape)
    rows = _bench_rows(case, contenders)
    x, w = (np.empty(case.arrays[name].shape, "float32") for name in ("input", "weight"))
    assert K.select_conv_algorithm(x, w, **case.kwargs).value == algorithm
    assert {r["contender"]: r["algorithm"] for r in rows} == {
        "xpnet-numpy": algorithm,
        "floor-numpy": algorithm,
        "torch-cpu": None,
    }
    table = bench.format_table(rows).splitlines()
    assert table[0].split()[-1] == "algorithm"
    assert {line.split()[-1] for line in table[2:]} == {algorithm, "-"}
    pool = _bench_rows(bench.OPS["max_pool2d"].case((2, 3, 8, 8, 2, 2, 0)), contenders[:1])
    assert {r["algorithm"] for r in pool} == {None}  # one formula: nothing to report


def test_bench_run_under_conv_algorithms():
    lines = []
    shapes = {"conv2d": [(2, 3, 9, 9, 4, 3, 1, 1), (2, 3, 9, 9, 4, 3, 2, 1)]}
    report = bench.run(
        ["numpy"], ["conv2d"], shapes, repeats=1, echo=lines.append, conv_algorithms=["fourier"]
    )
    assert {(tuple(r["shape"]), r["algorithm"]) for r in report["results"]} == {
        ((2, 3, 9, 9, 4, 3, 1, 1), "fourier")
    }
    assert report["settings"]["conv_algorithms"] == ["fourier"]
    assert "conv2d algorithms: fourier" in lines
    assert any(
        "xpnet-numpy skipped: ArgumentError: conv2d: conv_algorithms forces 'fourier'" in line
        for line in lines
    )
    x, w = np.empty((2, 3, 9, 9)), np.empty((4, 3, 3, 3))
    assert K.select_conv_algorithm(x, w, padding=1) is A.IM2COL  # the run's settings are gone


# --- the cost model (xpnet/kernels/_conv_cost.py): a launch cost of zero keeps the CPU's
# thresholds, a GPU's takes the fewest launches -------------------------------------------------


# (C, H = W, C_out, k, stride, padding, dilation, groups) on a batch of 4, at both precisions
CPU_GRID = itertools.product(
    [1, 3, 16, 64, 128], [7, 14, 28], [8, 64, 256], [1, 3, 5], [1, 2], [0, 1, 2], [1, 2], [1, 2]
)
# the formulas the numpy backend chose on CPU_GRID before the cost model existed (xpnet at
# 885aedb, 2 block threads, a memory budget of 1 GiB), with 2026-12-07's per-row rule for
# output planes up to 32x32 (C=16 3x3: rows of 48 now run per row) and its grad_input rule
# (a correlation up to C_out = 2 C from C = 32: 122 lines from col2im): a digest of all
# 5,088 lines "(C, H, C_out, k, stride, padding, dilation, groups) precision:
# algorithm+grad_input"
CPU_CHOICES_SHA256 = "82c62e3c9ed8fd36da46f2712418d1328f89fd336de160b809bef928d81f3b9d"
CPU_CHOICE_COUNTS = {
    "pointwise+pointwise highest": 144,
    "pointwise+pointwise high": 144,
    "im2col+col2im highest": 1806,
    "im2col+col2im high": 1806,
    "im2col+im2col highest": 18,
    "im2col+im2col high": 18,
    "im2col_per_row+im2col highest": 141,
    "im2col_per_row+im2col high": 139,
    "fourier high": 106,
    "im2col_per_row+col2im highest": 174,
    "im2col_per_row+col2im high": 133,
    "im2col_per_row+im2col_per_row highest": 261,
    "im2col_per_row+im2col_per_row high": 198,
}


def _choice_name(backend, N, C, H, C_out, k, stride, padding, dilation, groups):
    """``algorithm+grad_input`` (or ``fourier``) of a float32 conv2d, as conv2d chooses them."""
    xp = backend.xp
    x, w = xp.empty((N, C, H, H), "float32"), xp.empty((C_out, C // groups, k, k), "float32")
    call = prepare_conv("t", x, w, None, stride, padding, dilation, groups)
    args = (groups, call.x.shape, C_out)
    choice = conv_select.choose_algorithm(backend, "t", call.geometry, *args, "float32")
    if choice.algorithm is A.FOURIER:
        return "fourier"
    grad = conv_select.choose_grad_input(
        backend, "t", choice, *args, choice.geometry.output, "float32"
    )
    return f"{choice.algorithm.value}+{'col2im' if grad is None else grad.algorithm.value}"


@pytest.mark.parametrize(
    "C, C_out, grad_input",
    [
        (32, 32, "im2col_per_row"),
        (32, 64, "im2col_per_row"),
        (32, 65, "col2im"),
        (48, 96, "im2col_per_row"),
        (31, 31, "im2col_per_row"),
        (31, 32, "col2im"),
        (16, 32, "col2im"),
    ],
)
def test_grad_input_correlates_up_to_twice_the_channels_from_32(precision, C, C_out, grad_input):
    """The threshold's edges (stride 1, 3x3 on 32x32, where the per-row formula runs; at
    "highest", where Fourier never runs unasked)."""
    precision("highest")
    name = _choice_name(load_backend("numpy"), 2, C, 32, C_out, 3, 1, 1, 1, 1)
    assert name == f"im2col_per_row+{grad_input}"


def test_cost_model_keeps_every_cpu_choice(restore_memory_budget, num_threads):
    numpy_backend = load_backend("numpy")
    # 1 GiB held the filters' spectra once per thread (2) then; once per group of the batch
    # (4) now, so the budget holds 5/3 of that
    xpnet.set_memory_budget(2**30 * 5 // 3 + 1)
    num_threads(2)
    assert numpy_backend.conv_costs.launch == 0  # launches free: the thresholds rule
    lines = []
    for C, H, C_out, k, s, p, d, g in CPU_GRID:
        if C % g or C_out % g or (H + 2 * p - d * (k - 1) - 1) // s + 1 < 1:
            continue
        for precision in ("highest", "high"):
            with xpnet.float32_matmul_precision(precision):
                name = _choice_name(numpy_backend, 4, C, H, C_out, k, s, p, d, g)
            lines.append(f"{(C, H, C_out, k, s, p, d, g)} {precision}: {name}")
    counts = {}
    for line in lines:
        key = f"{line.split(': ')[1]} {line.split(') ')[1].split(':')[0]}"
        counts[key] = counts.get(key, 0) + 1
    assert counts == CPU_CHOICE_COUNTS
    assert hashlib.sha256("\n".join(lines).encode()).hexdigest() == CPU_CHOICES_SHA256


@pytest.mark.parametrize("rule", [True, False])
def test_decide_is_the_threshold_where_launches_are_free(rule):
    free = ConvCosts(launch=0.0, multiply_add=1.0, byte=1.0)
    for extra, saved in itertools.product([-100, 0, 100], [-1e9, 0.0, 1e9]):
        assert conv_cost.decide(rule, free, extra, saved) is rule


def test_decide_lets_launches_overrule_the_threshold():
    costs = ConvCosts(launch=1e-5, multiply_add=0.0, byte=0.0)
    # taken by the threshold: refused where 10 more launches (100 us) outweigh the work saved
    assert conv_cost.decide(True, costs, 10, 50e-6) is False
    assert conv_cost.decide(True, costs, 10, 200e-6) is True
    # refused by the threshold: taken where 10 fewer launches outweigh the work added
    assert conv_cost.decide(False, costs, -10, -50e-6) is True
    assert conv_cost.decide(False, costs, -10, -200e-6) is False
    assert conv_cost.decide(False, costs, 10, 1.0) is False  # more launches never overrule


def test_backends_give_cost_constants_without_a_name_check():
    for name in ("numpy", "strict"):
        assert load_backend(name).conv_costs == CPU_CONV_COSTS
    assert conv_costs_of(types.ModuleType("toy")) == CPU_CONV_COSTS  # optional: the CPU's
    assert GPU_CONV_COSTS.launch > 0 and GPU_CONV_COSTS.launch / GPU_CONV_COSTS.multiply_add > 1e4
    for module in (conv_cost, conv_select):
        text = pathlib.Path(module.__file__).read_text()
        assert '"cupy"' not in text and ".name ==" not in text


def test_strict_counts_with_the_gpu_costs_and_restores_them(strict):
    assert strict.conv_costs == CPU_CONV_COSTS
    with profile(strict):
        assert strict.conv_costs == GPU_CONV_COSTS
    assert strict.conv_costs == CPU_CONV_COSTS


def _launches(strict, x, w, padding, **forced):
    """Launches of conv2d's forward and backward on strict, counted as on CuPy."""
    with K.conv_algorithms(**forced), profile(strict) as counted:
        y = K.conv2d(x, w, padding=padding)
        K.conv2d_backward(y, x, w, padding=padding)
    return counted.launches


# LeNet's and small ResNets' convolutions, on a small batch (launches do not depend on it)
GPU_SHAPES = [
    ((2, 1, 28, 28), (32, 1, 5, 5), 2),
    ((2, 32, 14, 14), (64, 32, 5, 5), 2),
    ((2, 16, 16, 16), (16, 16, 3, 3), 1),
    ((2, 64, 8, 8), (64, 64, 3, 3), 1),
    ((2, 64, 8, 8), (32, 64, 1, 1), 0),
]


@pytest.mark.parametrize("x_shape, w_shape, padding", GPU_SHAPES, ids=str)
def test_gpu_costs_take_the_fewest_launches(strict, precision, x_shape, w_shape, padding):
    precision("highest")
    x, w = (strict.asarray(random_input(s, seed=1).astype("float32")) for s in (x_shape, w_shape))
    _launches(strict, x, w, padding)  # fills the caches
    chosen = _launches(strict, x, w, padding)
    counts = {}
    for algorithm, grad_input in itertools.product(
        [A.POINTWISE, A.IM2COL_PER_ROW, A.IM2COL], ["col2im", "correlation"]
    ):
        forced = {"algorithms": algorithm, "grad_input": grad_input}
        try:
            counts[(algorithm.value, grad_input)] = _launches(strict, x, w, padding, **forced)
        except ValueError:
            continue  # this formula cannot run the call
    assert chosen == min(counts.values()), counts
