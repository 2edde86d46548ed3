"""conv2d and conv2d_backward against PyTorch autograd (float64) and finite differences."""

from __future__ import annotations

import contextlib
import itertools

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from _oracle import (
    assert_close,
    check_against_torch,
    check_finite_differences,
    random_input,
    tf32_rtol,
)

import xpnet
import xpnet.kernels as K
import xpnet.kernels.conv as conv_module
from xpnet.backends._base import batch_groups_of

# PyTorch warns that it copies the input for 'same' with an even kernel; that is its business
pytestmark = pytest.mark.filterwarnings("ignore:Using padding='same':UserWarning")

# (input shape, weight shape, stride, padding, dilation, groups, with bias)
CASES = [
    ((2, 3, 7, 6), (4, 3, 3, 3), 1, 0, 1, 1, True),
    ((2, 3, 7, 6), (4, 3, 3, 3), 1, 1, 1, 1, False),
    ((2, 4, 9, 8), (6, 2, 3, 2), (2, 1), (1, 0), 1, 2, True),
    ((1, 2, 9, 10), (3, 2, 3, 3), 2, 2, (2, 1), 1, True),
    ((2, 4, 6, 7), (4, 1, 3, 3), 1, "same", 1, 4, True),  # depthwise
    ((2, 3, 6, 7), (2, 3, 2, 4), 1, "same", 1, 1, True),  # even kernel: extra pad bottom/right
    ((2, 3, 6, 7), (2, 3, 2, 3), 1, "same", 2, 1, False),
    ((2, 3, 6, 7), (2, 3, 3, 3), 1, "valid", 1, 1, True),
    ((2, 3, 5, 4), (5, 3, 1, 1), 1, 0, 1, 1, True),  # 1x1
    ((2, 3, 5, 4), (5, 3, 1, 1), 2, 1, 1, 1, False),
    ((2, 3, 5, 4), (2, 3, 5, 4), 1, 0, 1, 1, True),  # kernel equal to the input
    ((2, 3, 3, 2), (2, 3, 5, 4), 1, 1, 1, 1, True),  # kernel equal to the padded input
    ((2, 6, 8, 8), (4, 3, 3, 3), 3, 1, 1, 2, True),
    ((0, 3, 5, 5), (2, 3, 3, 3), 1, 1, 1, 1, True),  # empty batch
    ((3, 5, 6), (2, 3, 3, 3), 1, 1, 1, 1, True),  # unbatched
]


def _conv_inputs(input_shape, weight_shape, with_bias, low=-1.0):
    x = random_input(input_shape, seed=0, low=low)
    w = random_input(weight_shape, seed=1, low=low)
    return [x, w, random_input(weight_shape[:1], seed=2, low=low) if with_bias else None]


def _present(grads, *inputs):
    """The gradients of the inputs that are not None (the oracle compares only those)."""
    return tuple(g for g, x in zip(grads, inputs, strict=True) if x is not None)


def _check(backend, case, dtype=np.float64, low=-1.0, grad_output=None, rtol=None):
    input_shape, weight_shape, stride, padding, dilation, groups, with_bias = case
    args = (stride, padding, dilation, groups)
    return check_against_torch(
        lambda x, w, b: K.conv2d(x, w, b, *args),
        lambda g, x, w, b: _present(K.conv2d_backward(g, x, w, b, *args), x, w, b),
        lambda x, w, b: TF.conv2d(x, w, b, *args),
        _conv_inputs(input_shape, weight_shape, with_bias, low),
        backend,
        dtype=dtype,
        grad_output=grad_output,
        rtol=rtol,
    )


# (algorithms, set_priority) of conv_algorithms per formula; a pointwise convolution stays one
FORMULAS = {
    "one tap": (["im2col", "pointwise"], False),
    "a tap per kernel row": (["im2col_per_row", "pointwise", "im2col"], True),
    "fourier": (["fourier", "im2col_per_row", "pointwise", "im2col"], True),
}


@pytest.fixture(params=list(FORMULAS))
def formula(request):
    """Every formula wherever it applies, whatever the shapes: the window copy with every
    kernel row in one matmul, or one matmul per kernel row (where the kernel has more than one
    row), or the convolution theorem (stride 1, no dilation, one group, padding below the
    kernel)."""
    algorithms, set_priority = FORMULAS[request.param]
    with K.conv_algorithms(algorithms, set_priority=set_priority):
        yield request.param


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_conv2d_matches_torch(backend, case, dtype, formula):
    _check(backend, case, dtype)


@pytest.mark.parametrize("case", CASES[:6])
def test_conv2d_float16_matches_rounded_torch(backend, case, formula):
    # positive data: no cancellation, so float32 accumulation is within 2 ulps of float16
    x, w, _ = _conv_inputs(*case[:2], False)
    output_shape = TF.conv2d(torch.tensor(x), torch.tensor(w), None, *case[2:6]).shape
    _check(backend, case, np.float16, low=0.0, grad_output=random_input(output_shape, 3, low=0))


def test_conv2d_float16_long_reduction(backend, formula):
    # 64 * 3 * 3 = 576 terms: float16 accumulation would be ~0.5 % off
    case = ((1, 64, 5, 5), (2, 64, 3, 3), 1, 1, 1, 1, True)
    output_shape = (1, 2, 5, 5)
    _check(backend, case, np.float16, low=0.0, grad_output=random_input(output_shape, 3, low=0))


@pytest.mark.parametrize(
    "stride, padding, dilation, groups",
    [(1, 1, 1, 1), (2, 0, 1, 2), (1, "same", 2, 1), ((1, 2), (2, 1), 1, 1)],
)
def test_conv2d_finite_differences(backend, stride, padding, dilation, groups, formula):
    args = (stride, padding, dilation, groups)
    check_finite_differences(
        lambda x, w, b: K.conv2d(x, w, b, *args),
        lambda g, x, w, b: K.conv2d_backward(g, x, w, b, *args),
        _conv_inputs((1, 2, 5, 4), (2, 2 // groups, 3, 2), True),
        backend,
    )


@pytest.mark.parametrize("formula", ["one tap", "a tap per kernel row"], indirect=True)
@pytest.mark.parametrize("case", CASES)
def test_conv2d_col2im_matches_torch(backend, case, formula):
    # grad_input by col2im for every case, not only where it is the faster formula
    with K.conv_algorithms(grad_input="col2im"):
        _check(backend, case)


def test_conv2d_generated_grid(backend, formula):
    """Every combination of stride, padding, dilation and kernel shape on a small input."""
    for kernel, stride, padding, dilation in itertools.product(
        [(1, 1), (2, 3), (3, 3)], [1, 2, (2, 1)], [0, 1, (2, 0)], [1, 2]
    ):
        _check(backend, ((1, 2, 7, 6), (3, 2, *kernel), stride, padding, dilation, 1, False))


@pytest.mark.parametrize("kernel", [3, 1])
@pytest.mark.parametrize("layout", ["transposed", "read_only", "broadcast"])
def test_conv2d_unusual_input_layouts(backend, layout, kernel, formula):
    """Non-contiguous, read-only and stride-0 inputs give the same result as contiguous."""
    xp, padding = backend.xp, kernel // 2

    def view(x):
        if layout == "transposed":
            return x.transpose(0, 1, 3, 2)
        if layout == "read_only":
            return backend.as_strided(x, x.shape, x.strides)
        return xp.broadcast_to(x, (3, *x.shape[1:]))

    def torch_view(x):
        if layout == "transposed":
            return x.transpose(2, 3)
        return x.expand(3, *x.shape[1:]) if layout == "broadcast" else x

    def backward(g, x, w, b):
        grad_input, grad_weight, grad_bias = K.conv2d_backward(g, view(x), w, b, 1, padding)
        if layout == "transposed":
            grad_input = grad_input.transpose(0, 1, 3, 2)
        if layout == "broadcast":
            grad_input = grad_input.sum(axis=0, keepdims=True)
        return grad_input, grad_weight, grad_bias

    shape = (1, 2, 6, 5) if layout == "broadcast" else (2, 2, 6, 5)
    check_against_torch(
        lambda x, w, b: K.conv2d(view(x), w, b, 1, padding),
        backward,
        lambda x, w, b: TF.conv2d(torch_view(x), w, b, 1, padding),
        _conv_inputs(shape, (3, 2, kernel, kernel), True),
        backend,
    )


@pytest.mark.parametrize("stride", [1, 2])
def test_conv2d_backward_is_deterministic(backend, stride, formula):
    x, w, b = (backend.asarray(a) for a in _conv_inputs((4, 3, 9, 9), (5, 3, 3, 3), True))
    grad = backend.asarray(random_input(K.conv2d(x, w, b, stride, 1).shape, seed=7))
    first = K.conv2d_backward(grad, x, w, b, stride, 1)
    second = K.conv2d_backward(grad, x, w, b, stride, 1)
    for a, c in zip(first, second, strict=True):
        assert np.array_equal(backend.to_host(a), backend.to_host(c))


# pointwise (1x1, stride 1, no padding): the input is its own window copy, no im2col
POINTWISE = [
    ((2, 6, 5, 4), (4, 6, 1, 1), 1, True),  # C_out < C
    ((2, 3, 5, 4), (8, 3, 1, 1), 1, False),  # C_out > C: grad_input is pointwise too
    ((3, 6, 4, 3), (4, 3, 1, 1), 2, True),
    ((1, 4, 1, 1), (8, 1, 1, 1), 4, True),  # depthwise, one pixel
    ((3, 4, 5), (2, 3, 1, 1), 1, True),  # unbatched
]


@pytest.mark.parametrize("input_shape, weight_shape, groups, with_bias", POINTWISE)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_conv2d_pointwise_matches_torch(
    backend, input_shape, weight_shape, groups, with_bias, dtype
):
    _check(backend, (input_shape, weight_shape, 1, 0, 2, groups, with_bias), dtype)


def test_conv2d_pointwise_float16_and_finite_differences(backend):
    case = ((2, 6, 3, 4), (4, 3, 1, 1), 1, "valid", 1, 2, True)
    _check(backend, case, np.float16, low=0.0, grad_output=random_input((2, 4, 3, 4), 3, low=0))
    check_finite_differences(
        lambda x, w, b: K.conv2d(x, w, b, groups=2),
        lambda g, x, w, b: K.conv2d_backward(g, x, w, b, groups=2),
        _conv_inputs(case[0], case[1], True),
        backend,
    )


@pytest.fixture
def restore_memory_budget():
    yield
    xpnet.set_memory_budget(None)


# grad_input by col2im, by correlation, pointwise
@pytest.mark.parametrize("C, C_out, kernel", [(3, 4, 3), (4, 3, 3), (4, 3, 1)])
def test_conv2d_chunks_batch_under_small_budget(backend, restore_memory_budget, C, C_out, kernel):
    case = ((5, C, 7, 6), (C_out, C, kernel, kernel), 1, kernel // 2, 1, 1, True)
    whole = _check(backend, case)
    # one sample's temporaries: (C * 3 * 3 + C_out) * 7 * 6 * 8 bytes, the budget holds about
    # three; pointwise: C_out * C * 8 bytes of grad_weight per sample, it holds one
    xpnet.set_memory_budget(2 * 2 * C * 9 * 42 * 8 if kernel == 3 else C_out * C * 8)
    chunked = _check(backend, case)
    for a, b in zip([whole[0], *whole[1]], [chunked[0], *chunked[1]], strict=True):
        assert_close(a, b, np.float64, "chunked vs whole batch")


# grad_input by col2im, by correlation, pointwise
@pytest.mark.parametrize("C, C_out, kernel", [(3, 4, 3), (4, 3, 3), (4, 3, 1)])
def test_conv2d_splits_the_batch_over_block_threads(
    backend, monkeypatch, C, C_out, kernel, formula, num_threads
):
    """5 samples on 3 threads (numpy; strict and cupy run one chunk): uneven groups, each
    with sums of its own."""
    num_threads(3)
    _check(backend, ((5, C, 7, 6), (C_out, C, kernel, kernel), 1, kernel // 2, 1, 1, True))


# grad_input by col2im (stride 2), by correlation (C_out <= C), pointwise
@pytest.mark.parametrize(
    "input_shape, weight_shape, stride, padding",
    [
        ((2, 3, 7, 6), (4, 3, 3, 3), 2, 1),
        ((2, 4, 7, 6), (3, 4, 3, 3), 1, 1),
        ((2, 4, 5, 5), (3, 4, 1, 1), 1, 0),
    ],
)
@pytest.mark.parametrize("output_mask", list(itertools.product([False, True], repeat=3)))
def test_conv2d_backward_output_mask(
    backend, input_shape, weight_shape, stride, padding, output_mask, formula
):
    """Masked gradients are None; the others are those of the full backward (bit for bit; the
    bias gradient to rounding: without the weight's it is summed in another order)."""
    x, w, b = (backend.asarray(a) for a in _conv_inputs(input_shape, weight_shape, True))
    grad = backend.asarray(random_input(K.conv2d(x, w, b, stride, padding).shape, seed=3))
    full = K.conv2d_backward(grad, x, w, b, stride, padding)
    masked = K.conv2d_backward(grad, x, w, b, stride, padding, output_mask=output_mask)
    for name, wanted, everything, result in zip("iwb", output_mask, full, masked, strict=True):
        if not wanted:
            assert result is None
        elif name == "b":
            assert_close(backend.to_host(result), backend.to_host(everything), np.float64, "bias")
        else:
            np.testing.assert_array_equal(backend.to_host(result), backend.to_host(everything))


@pytest.mark.parametrize("output_mask", [(True, True), (1, 1, 1), "all", None])
def test_conv2d_backward_rejects_bad_output_mask(backend, output_mask):
    x, w = backend.asarray(random_input((1, 2, 4, 4))), backend.asarray(random_input((3, 2, 3, 3)))
    grad = backend.asarray(random_input((1, 3, 2, 2)))
    with pytest.raises(
        ValueError, match=r"conv2d_backward: output_mask must be a tuple of 3 bools"
    ):
        K.conv2d_backward(grad, x, w, output_mask=output_mask)


def test_conv2d_rejects_sample_over_budget(backend, restore_memory_budget):
    xpnet.set_memory_budget(1000)
    x, w = backend.asarray(random_input((2, 3, 7, 6))), backend.asarray(random_input((4, 3, 3, 3)))
    # one sample: the window copy (3 * 3 * 3 rows) for each of the 7 * 6 output positions, in
    # float64; its product lands in the output, but the backward's gradient (4 rows) does not
    with pytest.raises(MemoryError, match=r"conv2d: one sample needs 9072 bytes .*budget of 1000"):
        K.conv2d(x, w, padding=1)
    with pytest.raises(
        MemoryError, match=r"conv2d_backward: one sample needs 10416 bytes .*budget of 1000"
    ):
        K.conv2d_backward(backend.asarray(random_input((2, 4, 7, 6))), x, w, padding=1)


ERRORS = [
    ((5, 5), (2, 3, 3, 3), {}, ValueError, r"input must have 3 or 4 dimensions .*got shape"),
    ((1, 3, 5, 5), (2, 3, 3), {}, ValueError, r"weight must have 4 dimensions"),
    (
        (1, 6, 5, 5),
        (2, 4, 3, 3),
        {},
        ValueError,
        r"input has 6 channels but weight expects "
        r"groups \* C/groups = 1 \* 4 = 4",
    ),
    (
        (1, 6, 5, 5),
        (2, 3, 3, 3),
        {"groups": 4},
        ValueError,
        r"groups must be a positive int "
        r"dividing .*\(6\).*got groups=4",
    ),
    ((1, 6, 5, 5), (2, 3, 3, 3), {"groups": 0}, ValueError, r"got groups=0"),
    ((1, 3, 5, 5), (3, 3, 3, 3), {"groups": True}, TypeError, r"groups must be an int, got bool"),
    (
        (1, 3, 5, 5),
        (2, 3, 7, 3),
        {},
        ValueError,
        r"kernel_size \(dilated: \(7, 3\)\) must not "
        r"exceed the padded input size \(5, 5\)",
    ),
    ((1, 3, 5, 5), (2, 3, 3, 3), {"dilation": 3}, ValueError, r"dilated: \(7, 7\)"),
    ((1, 3, 5, 5), (2, 3, 3, 3), {"stride": 0}, ValueError, r"stride must be at least 1, got 0"),
    ((1, 3, 5, 5), (2, 3, 3, 3), {"dilation": (1, -1)}, ValueError, r"dilation must be at least"),
    ((1, 3, 5, 5), (2, 3, 3, 3), {"padding": -1}, ValueError, r"padding must be at least 0"),
    ((1, 3, 5, 5), (2, 3, 3, 3), {"padding": "full"}, ValueError, r"'valid' or 'same', got 'full'"),
    (
        (1, 3, 5, 5),
        (2, 3, 3, 3),
        {"padding": "same", "stride": 2},
        ValueError,
        r"padding='same' needs stride=1, got stride=\(2, 2\)",
    ),
    ((1, 3, 5, 5), (2, 3, 3, 3), {"stride": 1.5}, TypeError, r"stride must be an int or a tuple"),
    ((1, 3, 5, 5), (2, 3, 3, 3), {"bias": np.zeros(3)}, ValueError, r"bias must have shape \(2,\)"),
]


@pytest.mark.parametrize("input_shape, weight_shape, kwargs, error, message", ERRORS)
def test_conv2d_rejects_bad_arguments(backend, input_shape, weight_shape, kwargs, error, message):
    x, w = backend.asarray(np.zeros(input_shape)), backend.asarray(np.zeros(weight_shape))
    if "bias" in kwargs:
        kwargs = {**kwargs, "bias": backend.asarray(kwargs["bias"])}
    with pytest.raises(error, match=message):
        K.conv2d(x, w, **kwargs)
    with pytest.raises(error, match=message):
        K.conv2d_backward(backend.asarray(np.zeros((1, 2, 3, 3))), x, w, **kwargs)


def test_conv2d_rejects_bad_dtypes_and_backends(backend):
    x, w = backend.asarray(np.zeros((1, 3, 5, 5))), backend.asarray(np.zeros((2, 3, 3, 3)))
    with pytest.raises(
        TypeError,
        match=r"conv2d: input must be a floating-point array, got "
        r"dtype int64",
    ):
        K.conv2d(backend.asarray(np.zeros((1, 3, 5, 5), dtype=np.int64)), w)
    with pytest.raises(
        TypeError,
        match=r"weight must have the dtype of input \(float64\), got "
        r"float32",
    ):
        K.conv2d(x, w.astype(np.float32))
    other = xpnet.backends.load_backend("strict" if backend.name != "strict" else "numpy")
    with pytest.raises(TypeError, match=r"all arrays must be on one backend, got input on "):
        K.conv2d(x, other.asarray(np.zeros((2, 3, 3, 3))))
    with pytest.raises(TypeError, match=r"input must be an array, got list"):
        K.conv2d([[[0.0]]], w)


def test_conv2d_bad_shape_is_both_value_and_runtime_error(xp):
    # PyTorch raises RuntimeError for shape mistakes; Python code expects ValueError
    x, w = xp.zeros((1, 3, 5, 5)), xp.zeros((2, 4, 3, 3))
    for expected in (ValueError, RuntimeError):
        with pytest.raises(expected, match="channels"):
            K.conv2d(x, w)


# (N, C, H, W, C_out, k, padding): the benchmark's shapes and whether the convolution theorem
# takes fewer multiply-adds there by enough (stride-2 and 1x1 shapes never qualify), at the
# "high" precision that allows it (at "highest" it never runs unasked: test_precision.py)
FOURIER_CHOICES = [
    ((64, 32, 14, 14, 64, 5, 2), True),
    ((128, 256, 8, 8, 256, 3, 1), True),
    ((2, 64, 8, 8, 64, 3, 1), True),
    ((64, 1, 28, 28, 32, 5, 2), False),
    ((128, 3, 32, 32, 64, 3, 1), False),
    ((128, 64, 32, 32, 64, 3, 1), True),
    ((128, 128, 16, 16, 128, 3, 1), True),
    ((32, 64, 56, 56, 64, 3, 1), False),
    ((128, 256, 16, 16, 64, 1, 0), False),
]


@pytest.mark.parametrize("shape, chosen", FOURIER_CHOICES)
def test_conv2d_chooses_fourier_by_shape(backend, cpu_conv_choices, precision, shape, chosen):
    precision("high")
    N, C, H, W, C_out, k, padding = shape
    x, w = (backend.xp.empty(size, dtype="float32") for size in ((N, C, H, W), (C_out, C, k, k)))
    algorithm = K.select_conv_algorithm(x, w, None, 1, padding, 1, 1)
    assert (algorithm is K.ConvAlgorithm.FOURIER) is chosen


def test_conv2d_fourier_where_chosen_matches_torch(backend, cpu_conv_costs, precision):
    # chosen without forcing (previous test) with the CPU's cost constants; a GPU's take the
    # fewest launches, and there it is asked for. float32 is the case the error bound is tight
    # for (looser where a GPU's products are TF32 at "high": tf32_rtol)
    precision("high")
    case = ((3, 64, 8, 8), (64, 64, 3, 3), 1, 1, 1, 1, True)
    x, w = (backend.xp.empty(shape, dtype="float32") for shape in case[:2])
    forced = contextlib.nullcontext() if cpu_conv_costs else K.conv_algorithms("fourier")
    with forced:
        assert K.select_conv_algorithm(x, w, None, *case[2:6]) is K.ConvAlgorithm.FOURIER
        for dtype in (np.float64, np.float32):
            _check(backend, case, dtype, rtol=tf32_rtol(backend, dtype))


def test_conv2d_fourier_chunks_under_small_budget(
    backend, restore_memory_budget, monkeypatch, num_threads
):
    num_threads(2)
    calls = []

    def spy(function):
        def call(*args, **kwargs):
            calls.append(function.__name__)
            return function(*args, **kwargs)

        return call

    for name in ("fourier_correlate", "fourier_correlate_backward"):
        monkeypatch.setattr(conv_module, name, spy(getattr(conv_module, name)))
    case = ((5, 8, 8, 8), (8, 8, 3, 3), 1, 1, 1, 1, True)
    with K.conv_algorithms("fourier"):  # few channels: forced
        whole = _check(backend, case)
        # the budget holds the filters' spectra (46080 bytes) once and once per group of the
        # batch (8 on the CPU, at most one a sample; 1 on strict), which leaves chunks of one
        # sample (5088 float64 values, counted as in the next test) on the CPU, two on strict
        groups = min(batch_groups_of(backend), 5)
        xpnet.set_memory_budget((1 + groups) * 46080 + 8)
        chunked = _check(backend, case)
    for a, b in zip([whole[0], *whole[1]], [chunked[0], *chunked[1]], strict=True):
        assert_close(a, b, np.float64, "chunked vs whole batch")
    assert calls == ["fourier_correlate", "fourier_correlate_backward"] * 2


def test_conv2d_fourier_rejects_sample_over_budget(
    backend, restore_memory_budget, monkeypatch, num_threads
):
    num_threads(2)
    xpnet.set_memory_budget(8700)
    x, w = backend.asarray(random_input((2, 2, 8, 8))), backend.asarray(random_input((2, 2, 3, 3)))
    # the filters' spectra, 2 * 45 bins * 2 * 2 float64 = 2880 bytes, fit three times (once,
    # and once per group: at most one per sample, 2); one
    # sample does not. 45 bins (9 x 5), 2 planes in and out: forward, into the bins along W
    # (2 * 5 * 8 values per plane) and along H one W frequency at a time (4 * 9), the complex
    # rows (4 * 45), the products (2 * 45) and back along H (4 * 5 * 8): 1092 values.
    # Backward: into the bins (the same workspaces for both transforms), the input's spectra,
    # the gradient's complex rows, the input gradient's way back and spectra: 1272
    with K.conv_algorithms("fourier"):  # few channels: forced
        with pytest.raises(MemoryError, match=r"conv2d: one sample needs 8736 bytes .*budget"):
            K.conv2d(x, w, padding=1)
        with pytest.raises(MemoryError, match=r"conv2d_backward: one sample needs 10176 bytes"):
            K.conv2d_backward(backend.asarray(random_input((2, 2, 8, 8))), x, w, padding=1)


def test_conv2d_fourier_gives_way_when_filter_spectra_exceed_budget(
    backend, restore_memory_budget, monkeypatch, precision
):
    precision("high")  # where Fourier would otherwise run

    # the filters' spectra, 2 * 45 bins * 64 * 64 float64 = 2.9 MB per call (and one sum of
    # them per thread in the backward), are over a 2 MB budget: the window formula runs
    def refuse(*args, **kwargs):
        raise AssertionError("the convolution theorem ran over the memory budget")

    monkeypatch.setattr(conv_module, "fourier_correlate", refuse)
    monkeypatch.setattr(conv_module, "fourier_correlate_backward", refuse)
    xpnet.set_memory_budget(2 * 2**20)
    _check(backend, ((2, 64, 8, 8), (64, 64, 3, 3), 1, 1, 1, 1, True))


def _grad_input_and_transpose(backend, weight):
    """conv2d's grad_input and conv_transpose2d's output for ``weight``, and PyTorch's."""
    x = random_input((2, 4, 5, 5), 0)
    grad = random_input((2, 3, 5, 5), 2)  # C_out <= C: the correlation is chosen
    ours = [
        K.conv2d_backward(*map(backend.asarray, (grad, x, weight)), padding=1)[0],
        K.conv_transpose2d(*map(backend.asarray, (grad, weight)), padding=1),
    ]
    tx = torch.tensor(x, requires_grad=True)
    tw, tg = torch.tensor(weight), torch.tensor(grad)
    (reference,) = torch.autograd.grad(TF.conv2d(tx, tw, padding=1), tx, tg)
    transposed = TF.conv_transpose2d(tg, tw, padding=1)
    return [backend.to_host(a) for a in ours], [reference.numpy(), transposed.numpy()]


@pytest.mark.parametrize("value", [np.inf, -np.inf, np.nan])
def test_conv2d_grad_input_of_a_non_finite_weight_as_torch(backend, value):
    """Found by a random comparison: grad_input by a stride-1 correlation pads grad_output with
    zeros, and 0 * inf is NaN where PyTorch's grad_input (col2im: real terms only) is +-inf or
    finite. Where host reads are free the weight is read and col2im runs; on strict, as on a
    GPU, reading it would wait for the device, so the border may be NaN (documented)."""
    weight = random_input((3, 4, 3, 3), 1)
    weight[1, 2, 0, 0] = value
    for actual, expected in zip(*_grad_input_and_transpose(backend, weight), strict=True):
        if getattr(backend, "host_reads_free", False):
            assert_close(actual, expected, np.float64)
        else:  # PyTorch's values, but NaN at some of the border
            same = np.isnan(actual) == np.isnan(expected)
            assert np.isnan(actual[~same]).all()
            assert_close(actual[same], expected[same], np.float64)
