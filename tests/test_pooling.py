"""Max, average and adaptive pooling against PyTorch autograd (float64) and finite differences."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from _oracle import (
    check_against_torch,
    check_finite_differences,
    check_kernel_against_torch,
    random_input,
)

import xpnet
import xpnet.kernels as K


def _check(backend, name, shape, kwargs, dtype=np.float64, x=None, low=-1.0):
    """Compare ``K.<name>`` and its backward with torch on ``x`` (default: random)."""
    x = random_input(shape, seed=0, low=low) if x is None else x
    output, _ = check_kernel_against_torch(backend, name, x, kwargs, dtype)
    return output


MAX_CASES = [
    {"kernel_size": 2},
    {"kernel_size": 3, "stride": 2, "padding": 1},
    {"kernel_size": (3, 2), "stride": (2, 1), "padding": (1, 1), "dilation": 2},
    {"kernel_size": 3, "stride": 2, "ceil_mode": True},
    {"kernel_size": (2, 3), "stride": (3, 2), "padding": (1, 0), "ceil_mode": True},
    {"kernel_size": 2, "stride": 1, "dilation": (1, 3), "ceil_mode": True},
    {"kernel_size": (9, 8)},  # kernel equal to the input
    {"kernel_size": 1, "stride": 2},
]
AVG_CASES = [
    {"kernel_size": 2},
    {"kernel_size": 3, "stride": 2, "padding": 1},
    {"kernel_size": 3, "stride": 2, "padding": 1, "count_include_pad": False},
    {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True},
    {
        "kernel_size": (3, 2),
        "stride": 2,
        "padding": 1,
        "ceil_mode": True,
        "count_include_pad": False,
    },
    {"kernel_size": (2, 3), "stride": (3, 2), "ceil_mode": True},
    {"kernel_size": 3, "divisor_override": 5},
    {"kernel_size": 2, "padding": 1, "divisor_override": -3},
    {"kernel_size": (9, 8)},
]
ADAPTIVE_SIZES = [1, 3, (4, 3), (None, 5), (9, 8), (13, 11), (2, None)]


@pytest.mark.parametrize("output_size", [(1, 2), (2, 3), 1])
def test_adaptive_avg_pool2d_keeps_inf_in_its_windows(backend, output_size):
    x = random_input((1, 2, 4, 5), seed=7)
    x[0, 0, 0, 1], x[0, 1, 3, 4] = np.inf, -np.inf
    expected = TF.adaptive_avg_pool2d(torch.tensor(x), output_size).numpy()
    output = K.adaptive_avg_pool2d(backend.asarray(x), output_size)
    np.testing.assert_allclose(backend.to_host(output), expected, rtol=1e-12)


@pytest.mark.parametrize("name", ["adaptive_avg_pool2d", "adaptive_max_pool2d"])
@pytest.mark.parametrize("output_size", [0, (0, 2), (3, 0)])
def test_adaptive_pool2d_empty_output(backend, name, output_size):
    """output_size 0 gives an empty output, as PyTorch; its backward is all zeros."""
    x = random_input((2, 3, 5, 4), seed=6)
    expected = getattr(TF, name)(torch.tensor(x), output_size)
    expected = expected[0] if isinstance(expected, tuple) else expected
    output = getattr(K, name)(backend.asarray(x), output_size)
    assert output.shape == tuple(expected.shape)
    grad_input = getattr(K, f"{name}_backward")(output, backend.asarray(x), output_size)
    assert grad_input.shape == x.shape and not backend.to_host(grad_input).any()


@pytest.mark.parametrize("kwargs", MAX_CASES)
@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.float16])
def test_max_pool2d_matches_torch(backend, kwargs, dtype):
    _check(backend, "max_pool2d", (2, 3, 9, 8), kwargs, dtype)


@pytest.mark.parametrize("kwargs", AVG_CASES)
@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.float16])
def test_avg_pool2d_matches_torch(backend, kwargs, dtype):
    # float16: positive data, so the float32 sum has no cancellation
    _check(backend, "avg_pool2d", (2, 3, 9, 8), kwargs, dtype, low=0.0)


@pytest.mark.parametrize("output_size", ADAPTIVE_SIZES)
@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.float16])
@pytest.mark.parametrize("name", ["adaptive_avg_pool2d", "adaptive_max_pool2d"])
def test_adaptive_pool2d_matches_torch(backend, name, output_size, dtype):
    _check(backend, name, (2, 3, 9, 8), {"output_size": output_size}, dtype, low=0.0)


def test_max_pool2d_generated_grid(backend):
    """Every combination of kernel, stride, padding, dilation and ceil_mode on one input."""
    for kernel, stride, padding, dilation, ceil_mode in itertools.product(
        [1, 2, (3, 2)], [1, 2, (2, 3)], [0, 1], [1, 2], [False, True]
    ):
        if padding and kernel == 1:  # padding may be at most half the window
            continue
        kwargs = dict(
            kernel_size=kernel,
            stride=stride,
            padding=padding,
            dilation=dilation,
            ceil_mode=ceil_mode,
        )
        _check(backend, "max_pool2d", (1, 2, 7, 6), kwargs)


def test_avg_pool2d_generated_grid(backend):
    for kernel, stride, padding, ceil_mode, count_include_pad in itertools.product(
        [1, 2, (3, 2)], [1, 2, (2, 3)], [0, 1], [False, True], [False, True]
    ):
        if padding and kernel == 1:
            continue
        kwargs = dict(
            kernel_size=kernel,
            stride=stride,
            padding=padding,
            ceil_mode=ceil_mode,
            count_include_pad=count_include_pad,
        )
        _check(backend, "avg_pool2d", (1, 2, 7, 6), kwargs)


@pytest.mark.parametrize("name", ["max_pool2d", "adaptive_max_pool2d"])
def test_max_pool2d_ties_pick_first(backend, name):
    x = np.zeros((1, 1, 4, 4))
    x[0, 0, 1, 1] = x[0, 0, 1, 0] = x[0, 0, 3, 3] = 5.0
    kwargs = {"kernel_size": 2} if name == "max_pool2d" else {"output_size": 2}
    _check(backend, name, None, kwargs, x=x)
    _, indices = getattr(K, name)(backend.asarray(x), *kwargs.values(), return_indices=True)
    assert backend.to_host(indices).tolist() == [[[[4, 2], [8, 15]]]]


@pytest.mark.parametrize("name", ["max_pool2d", "adaptive_max_pool2d"])
def test_max_pool2d_indices_match_torch_with_nan_and_inf(backend, name):
    x = random_input((2, 2, 6, 6), seed=3)
    x[0, 0, 0, 0] = x[0, 0, 1, 1] = np.nan  # two NaNs in one window: PyTorch keeps the last
    x[0, 1, :2, :2] = -np.inf  # a window of -inf: the index is its first element
    x[1, 0, 2, 2] = np.inf
    kwargs = {"kernel_size": 2} if name == "max_pool2d" else {"output_size": 3}
    torch_output, torch_indices = getattr(TF, name)(
        torch.tensor(x), *kwargs.values(), return_indices=True
    )
    output, indices = getattr(K, name)(backend.asarray(x), *kwargs.values(), return_indices=True)
    assert backend.to_host(indices).tolist() == torch_indices.tolist()
    assert np.array_equal(backend.to_host(output), torch_output.numpy(), equal_nan=True)
    with np.errstate(invalid="ignore"):  # the oracle subtracts inf from inf before masking it
        _check(backend, name, None, kwargs, x=x)


def test_max_pool2d_padding_window_of_minus_inf(backend):
    """A window whose real part is all -inf points at its first real element, not padding."""
    x = np.full((1, 1, 3, 3), -np.inf)
    x[0, 0, 2, 2] = 1.0
    with np.errstate(invalid="ignore"):  # the oracle subtracts inf from inf before masking it
        _check(backend, "max_pool2d", None, {"kernel_size": 3, "stride": 2, "padding": 1}, x=x)
    _, indices = K.max_pool2d(backend.asarray(x), 3, 2, 1, return_indices=True)
    assert backend.to_host(indices).tolist() == [[[[0, 1], [3, 8]]]]


@pytest.mark.parametrize("dilation", [1, 2])
def test_max_pool2d_overlapping_windows_share_a_maximum(backend, dilation):
    """Up to 9 windows pick the same element (and tie elsewhere): their gradients add up."""
    x = np.zeros((2, 1, 7, 7))
    x[:, :, 3, 3] = 1.0
    _check(backend, "max_pool2d", None, {"kernel_size": 3, "stride": 1, "dilation": dilation}, x=x)


@pytest.mark.parametrize(
    "name, kwargs",
    [
        ("max_pool2d", {"kernel_size": 2}),
        ("max_pool2d", {"kernel_size": 3, "stride": 2, "padding": 1}),
        ("avg_pool2d", {"kernel_size": 2}),
        ("avg_pool2d", {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True}),
    ],
)
def test_pool2d_in_blocks_matches_torch(backend, monkeypatch, name, kwargs):
    """One sample per block, as large batches are cut on a CPU: still PyTorch's results."""
    monkeypatch.setattr(backend, "block_bytes", 1)
    x = random_input((3, 2, 9, 8), seed=5)
    _check(backend, name, None, kwargs, x=x)
    if name == "max_pool2d":
        _, indices = K.max_pool2d(backend.asarray(x), **kwargs, return_indices=True)
        _, torch_indices = TF.max_pool2d(torch.tensor(x), **kwargs, return_indices=True)
        assert backend.to_host(indices).tolist() == torch_indices.tolist()


@pytest.mark.parametrize("name", ["max_pool2d", "avg_pool2d"])
def test_pool2d_same_bits_on_any_thread_count(backend, monkeypatch, name, num_threads):
    """Blocks run on threads (numpy backend): every thread count gives identical results."""
    monkeypatch.setattr(backend, "block_bytes", 1)
    x = backend.asarray(random_input((5, 2, 9, 8), seed=8))
    forward, backward = getattr(K, name), getattr(K, f"{name}_backward")
    results = []
    for threads in (1, 2, 3):
        num_threads(threads)
        output = forward(x, 3, 2, 1)
        results.append([backend.to_host(a) for a in (output, backward(output, x, 3, 2, 1))])
    for other in results[1:]:
        assert all(np.array_equal(a, b) for a, b in zip(results[0], other, strict=True))


@pytest.mark.parametrize("name", ["max_pool2d", "adaptive_max_pool2d"])
def test_max_pool2d_backward_takes_saved_indices(backend, name):
    x = backend.asarray(random_input((2, 3, 7, 6), seed=4))
    args = (3, 2, 1) if name == "max_pool2d" else ((3, 4),)
    output, indices = getattr(K, name)(x, *args, return_indices=True)
    backward = getattr(K, f"{name}_backward")
    saved = backward(output, x, *args, indices=indices)
    assert np.array_equal(backend.to_host(saved), backend.to_host(backward(output, x, *args)))


@pytest.mark.parametrize(
    "name, kwargs",
    [
        ("max_pool2d", {"kernel_size": 3, "stride": 2, "padding": 1}),
        ("avg_pool2d", {"kernel_size": (3, 2), "stride": 1, "padding": 1, "ceil_mode": True}),
        ("adaptive_avg_pool2d", {"output_size": (3, 4)}),
        ("adaptive_max_pool2d", {"output_size": (4, 3)}),
    ],
)
def test_pool2d_finite_differences(backend, name, kwargs):
    forward, backward = getattr(K, name), getattr(K, f"{name}_backward")
    check_finite_differences(
        lambda x: forward(x, **kwargs),
        lambda g, x: backward(g, x, **kwargs),
        [random_input((1, 2, 5, 5), seed=5)],
        backend,
    )


@pytest.mark.parametrize(
    "name, kwargs",
    [
        ("max_pool2d", {"kernel_size": 2}),
        ("avg_pool2d", {"kernel_size": 3, "padding": 1}),
        ("adaptive_avg_pool2d", {"output_size": 2}),
        ("adaptive_max_pool2d", {"output_size": 2}),
    ],
)
@pytest.mark.parametrize("shape", [(0, 3, 6, 6), (3, 6, 6)])
def test_pool2d_empty_batch_and_unbatched(backend, name, kwargs, shape):
    _check(backend, name, shape, kwargs)


@pytest.mark.parametrize("name", ["max_pool2d", "avg_pool2d", "adaptive_max_pool2d"])
def test_pool2d_non_contiguous_read_only_input(backend, name):
    kwargs = {"output_size": 3} if name == "adaptive_max_pool2d" else {"kernel_size": 2}
    x = random_input((2, 3, 6, 8), seed=6)
    forward, backward = getattr(K, name), getattr(K, f"{name}_backward")

    def view(x):  # transposed, then a read-only strided view
        x = x.transpose(0, 1, 3, 2)
        return backend.as_strided(x, x.shape, x.strides)

    check_against_torch(
        lambda x: forward(view(x), **kwargs),
        lambda g, x: backward(g, view(x), **kwargs).transpose(0, 1, 3, 2),
        lambda x: getattr(TF, name)(x.transpose(2, 3), **kwargs),
        [x],
        backend,
    )


@pytest.mark.parametrize("name", ["max_pool2d", "avg_pool2d", "adaptive_max_pool2d"])
def test_pool2d_backward_is_deterministic(backend, name):
    x = backend.asarray(random_input((4, 3, 9, 9), seed=7))
    args = (3,) if name == "adaptive_max_pool2d" else (3, 2, 1)
    grad = getattr(K, name)(x, *args)  # any array of the output's shape
    backward = getattr(K, f"{name}_backward")
    first, second = backward(grad, x, *args), backward(grad, x, *args)
    assert np.array_equal(backend.to_host(first), backend.to_host(second))


ERRORS = [
    (
        "max_pool2d",
        (5, 5),
        {"kernel_size": 2},
        ValueError,
        r"max_pool2d: input must have 3 or 4 "
        r"dimensions .*got shape \(5, 5\)",
    ),
    ("max_pool2d", (1, 1, 5, 5), {"kernel_size": 0}, ValueError, r"kernel_size must be at least 1"),
    (
        "max_pool2d",
        (1, 1, 5, 5),
        {"kernel_size": 2, "stride": 0},
        ValueError,
        r"stride must be at least 1, got 0",
    ),
    (
        "max_pool2d",
        (1, 1, 5, 5),
        {"kernel_size": 2, "dilation": 0},
        ValueError,
        r"dilation must be at least 1",
    ),
    (
        "max_pool2d",
        (1, 1, 5, 5),
        {"kernel_size": 3, "padding": 2},
        ValueError,
        r"padding must be at most half of kernel_size, got padding=\(2, 2\), kernel_size=\(3, 3\)",
    ),
    (
        "max_pool2d",
        (1, 1, 5, 5),
        {"kernel_size": 6},
        ValueError,
        r"kernel_size \(dilated: \(6, 6\)\) must not exceed the padded input size \(5, 5\)",
    ),
    ("max_pool2d", (1, 1, 5, 5), {"kernel_size": 3, "dilation": 3}, ValueError, r"dilated: \(7"),
    ("max_pool2d", (1, 1, 5, 5), {"kernel_size": "2"}, TypeError, r"kernel_size must be an int"),
    (
        "avg_pool2d",
        (1, 1, 5, 5),
        {"kernel_size": 3, "padding": (0, 2)},
        ValueError,
        r"avg_pool2d: padding must be at most half",
    ),
    (
        "avg_pool2d",
        (1, 1, 5, 5),
        {"kernel_size": 2, "divisor_override": 0},
        ValueError,
        r"divisor_override must be a non-zero int or None, got 0",
    ),
    (
        "avg_pool2d",
        (1, 1, 5, 5),
        {"kernel_size": 2, "padding": -1},
        ValueError,
        r"padding must be at least 0",
    ),
    (
        "adaptive_avg_pool2d",
        (1, 1, 5, 5),
        {"output_size": -1},
        ValueError,
        r"adaptive_avg_pool2d: output_size must be at least 0, got -1",
    ),
    (
        "adaptive_max_pool2d",
        (1, 1, 5, 5),
        {"output_size": (2, 3, 4)},
        TypeError,
        r"output_size must be an int or a tuple of 2 ints",
    ),
    (
        "adaptive_max_pool2d",
        (1, 5, 5, 5, 5),
        {"output_size": 2},
        ValueError,
        r"input must have 3 or 4 dimensions",
    ),
]


@pytest.mark.parametrize("name, shape, kwargs, error, message", ERRORS)
def test_pool2d_rejects_bad_arguments(backend, name, shape, kwargs, error, message):
    x = backend.asarray(np.zeros(shape))
    with pytest.raises(error, match=message):
        getattr(K, name)(x, **kwargs)
    with pytest.raises(error, match=message.replace(f"{name}:", f"{name}_backward:")):
        getattr(K, f"{name}_backward")(x, x, **kwargs)


@pytest.mark.parametrize(
    "name", ["max_pool2d", "avg_pool2d", "adaptive_avg_pool2d", "adaptive_max_pool2d"]
)
def test_pool2d_rejects_non_float_input(backend, name):
    x = backend.asarray(np.zeros((1, 1, 4, 4), dtype=np.int32))
    with pytest.raises(
        TypeError,
        match=rf"{name}: input must be a floating-point array, got "
        r"dtype int32",
    ):
        getattr(K, name)(x, 2)
    with pytest.raises(TypeError, match=r"input must be an array, got list"):
        getattr(K, name)([[[[0.0]]]], 2)
    assert xpnet.backends.backend_of(x) is backend
