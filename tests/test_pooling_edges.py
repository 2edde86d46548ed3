"""Pooling arguments at their edges, against PyTorch: NumPy integers as stride and
divisor_override, empty adaptive outputs beside huge ones, windows far larger than the input,
and ceil_mode windows larger than the padded input."""

from __future__ import annotations

import time

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from _oracle import check_kernel_against_torch, random_input

import xpnet
import xpnet.kernels as K
import xpnet.nn as nn
from xpnet.kernels._windows import window_geometry

SHAPES = {1: (2, 3, 6), 2: (2, 3, 6, 5), 3: (1, 2, 4, 5, 4)}
FIXED_POOLS = [f"{kind}_pool{nd}d" for kind in ("max", "avg") for nd in (1, 2, 3)]


@pytest.mark.parametrize("name", FIXED_POOLS)
@pytest.mark.parametrize("stride", [np.int64(1), np.int32(2), (np.int64(1),) * 1, []])
def test_pool_stride_accepts_numpy_integers(backend, name, stride):
    """A NumPy integer stride crashed on ``stride == []`` (an empty array's truth value)."""
    nd = int(name[-2])
    stride = stride * nd if isinstance(stride, tuple) else stride
    kwargs = {"kernel_size": 2, "stride": stride}
    check_kernel_against_torch(backend, name, random_input(SHAPES[nd], seed=nd), kwargs)


def test_max_pool2d_module_accepts_numpy_stride(backend):
    x = random_input(SHAPES[2], seed=3)
    ours, theirs = nn.MaxPool2d(2, np.int64(1)), torch.nn.MaxPool2d(2, np.int64(1))
    output = ours(xpnet.Tensor(backend.asarray(x)))
    expected = theirs(torch.tensor(x)).numpy()
    np.testing.assert_array_equal(backend.to_host(output.array), expected)


@pytest.mark.parametrize("name", ["avg_pool2d", "avg_pool3d"])
@pytest.mark.parametrize("divisor", [np.int64(2), np.int8(-3), 5])
def test_avg_pool_divisor_override_accepts_numpy_integers(backend, name, divisor):
    nd = int(name[-2])
    kwargs = {"kernel_size": 2, "divisor_override": divisor}
    check_kernel_against_torch(backend, name, random_input(SHAPES[nd], seed=4), kwargs)


@pytest.mark.parametrize("name", ["avg_pool2d", "avg_pool3d"])
@pytest.mark.parametrize("divisor", [True, False, 2.0, np.float64(2.0)])
def test_avg_pool_divisor_override_refuses_bool_and_float(backend, name, divisor):
    """PyTorch: TypeError ("must be int, not bool"); True divided by 1 unnoticed before."""
    nd = int(name[-2])
    x = backend.asarray(random_input(SHAPES[nd], seed=5))
    with pytest.raises(TypeError):
        TF.avg_pool2d(torch.ones(1, 1, 4, 4), 2, divisor_override=divisor)
    message = rf"{name}: divisor_override must be a non-zero int or None, got .* of type"
    with pytest.raises(TypeError, match=message):
        getattr(K, name)(x, 2, divisor_override=divisor)
    grad = getattr(K, name)(x, 2)
    with pytest.raises(TypeError, match=message.replace(":", "_backward:", 1)):
        getattr(K, f"{name}_backward")(grad, x, 2, divisor_override=divisor)


@pytest.mark.parametrize(
    "name, shape, output_size",
    [
        ("adaptive_avg_pool2d", (1, 1, 4, 4), (0, 10**8)),
        ("adaptive_avg_pool2d", (1, 1, 4, 4), (10**18, 0)),
        ("adaptive_max_pool2d", (1, 1, 4, 4), (0, 10**8)),
        ("adaptive_avg_pool1d", (0, 1, 4), 10**8),
        ("adaptive_max_pool1d", (0, 1, 4), 10**8),
        ("adaptive_avg_pool3d", (1, 1, 2, 2, 2), (10**8, 0, 10**8)),
        ("adaptive_max_pool3d", (1, 1, 2, 2, 2), (0, 10**8, 10**8)),
    ],
)
def test_adaptive_pool_empty_output_beside_huge_one_is_instant(backend, name, shape, output_size):
    """Nothing to compute: no index array of the huge size (16 s, or gigabytes, before)."""
    x = backend.asarray(random_input(shape, seed=6))
    nd = len(shape) - 2
    sizes = (output_size,) * nd if isinstance(output_size, int) else output_size
    expected = (*shape[:2], *sizes)
    started = time.perf_counter()
    output = getattr(K, name)(x, output_size)
    assert output.shape == expected and output.dtype == x.dtype
    if "max" in name:
        values, indices = getattr(K, name)(x, output_size, return_indices=True)
        assert values.shape == indices.shape == expected and indices.dtype == np.int64
    grad_input = getattr(K, f"{name}_backward")(output, x, output_size)
    assert grad_input.shape == shape and not backend.to_host(grad_input).any()
    assert time.perf_counter() - started < 1


def test_adaptive_pool2d_empty_output_matches_torch(backend):
    x = random_input((1, 1, 4, 4), seed=7)
    expected = TF.adaptive_avg_pool2d(torch.tensor(x), (0, 10**8))
    output = K.adaptive_avg_pool2d(backend.asarray(x), (0, 10**8))
    assert output.shape == tuple(expected.shape)


@pytest.mark.parametrize("name", ["adaptive_avg_pool2d", "adaptive_avg_pool3d"])
def test_adaptive_avg_pool_backward_counts_its_temporaries(backend, monkeypatch, name):
    """The backward's per-axis passes, which grow a 3 x 3 (x 3) gradient to 41 x 41 (13 x 13
    x 13), are refused before allocating, where the forward's, which shrink, fit."""
    nd = int(name[-2])
    x = backend.asarray(random_input((1, 1, *(41 if nd == 2 else 13,) * nd), seed=8))
    size = 3
    output = getattr(K, name)(x, size)
    free = 40_000 if nd == 2 else 55_000  # the forward fits, the backward does not
    monkeypatch.setattr(backend, "free_memory", lambda: free)
    getattr(K, name)(x, size)
    with pytest.raises(MemoryError, match=rf"{name}_backward: .* would need \d+ bytes"):
        getattr(K, f"{name}_backward")(output, x, size)


@pytest.mark.parametrize(
    "name, shape, kwargs",
    [
        ("max_pool2d", (1, 2, 4, 4), {"kernel_size": 10**6, "padding": 5 * 10**5}),
        ("avg_pool2d", (1, 2, 4, 4), {"kernel_size": 10**6, "padding": 5 * 10**5}),
        ("max_pool1d", (1, 1, 4), {"kernel_size": 10**7, "padding": 5 * 10**6}),
        ("avg_pool1d", (1, 2, 5), {"kernel_size": 10**7, "padding": 5 * 10**6}),
        ("max_pool2d", (1, 1, 5, 3), {"kernel_size": (9, 10**6), "padding": (4, 5 * 10**5)}),
        (
            "avg_pool1d",
            (1, 1, 5),
            {"kernel_size": 10**7, "padding": 5 * 10**6, "count_include_pad": False},
        ),
    ],
)
def test_pool_huge_window_skips_offsets_in_padding(backend, name, shape, kwargs):
    """A window far larger than its input walks only the offsets that reach the input:
    PyTorch's values (with indices for max), in well under the 3.5 s to 30 s it took."""
    x = random_input(shape, seed=9)
    started = time.perf_counter()
    output = getattr(K, name)(backend.asarray(x), **kwargs)
    expected = getattr(TF, name)(torch.tensor(x), **kwargs)
    np.testing.assert_allclose(backend.to_host(output), expected.numpy(), rtol=1e-12)
    if name.startswith("max"):
        _, indices = getattr(K, name)(backend.asarray(x), **kwargs, return_indices=True)
        _, expected = getattr(TF, name)(torch.tensor(x), **kwargs, return_indices=True)
        np.testing.assert_array_equal(backend.to_host(indices), expected.numpy())
    assert time.perf_counter() - started < 5


@pytest.mark.parametrize(
    "name, shape, kwargs",
    [
        ("max_pool1d", (1, 3, 12), {"kernel_size": 9, "stride": 2, "padding": 4}),
        ("max_pool1d", (1, 2, 3), {"kernel_size": 11, "stride": 5, "padding": 5}),
        ("max_pool1d", (1, 2, 6), {"kernel_size": 5, "stride": 1, "padding": 2, "dilation": 2}),
        ("max_pool2d", (1, 2, 3, 4), {"kernel_size": (7, 9), "stride": 3, "padding": (3, 4)}),
        ("max_pool3d", (1, 1, 2, 3, 2), {"kernel_size": 5, "stride": 2, "padding": 2}),
        ("avg_pool1d", (1, 2, 3), {"kernel_size": 11, "stride": 5, "padding": 5}),
        ("avg_pool2d", (1, 2, 3, 4), {"kernel_size": (7, 9), "stride": 3, "padding": (3, 4)}),
        ("avg_pool2d", (1, 2, 3, 2), {"kernel_size": 41, "padding": 20, "ceil_mode": True}),
    ],
)
def test_pool_windows_over_padding_match_torch(backend, name, shape, kwargs):
    """Windows reaching far into the padding, with gaps between the offsets that reach the
    input: values, indices and gradients as PyTorch."""
    x = random_input(shape, seed=10)
    if name.startswith("max"):
        check_kernel_against_torch(backend, name, x, dict(kwargs, return_indices=True))
    check_kernel_against_torch(backend, name, x, kwargs)


@pytest.mark.parametrize(
    "name, shape, kwargs",
    [
        ("max_pool1d", (1, 1, 1), {"kernel_size": 2, "stride": 2}),
        ("max_pool1d", (1, 2, 3), {"kernel_size": 5, "stride": 3, "padding": 1}),
        ("max_pool1d", (1, 2, 2), {"kernel_size": 2, "stride": 2, "dilation": 2}),
        ("avg_pool1d", (1, 2, 3), {"kernel_size": 6, "stride": 4, "padding": 1}),
        ("avg_pool2d", (1, 1, 2, 3), {"kernel_size": 3, "stride": 2}),
        ("avg_pool2d", (1, 2, 2, 3), {"kernel_size": 3, "stride": 2, "count_include_pad": False}),
        ("avg_pool2d", (1, 2, 2, 3), {"kernel_size": (4, 3), "stride": 3, "padding": (1, 0)}),
        ("avg_pool2d", (1, 1, 2, 3), {"kernel_size": 3, "stride": 2, "divisor_override": 4}),
        ("max_pool2d", (1, 2, 2, 3), {"kernel_size": (4, 3), "stride": 3, "padding": (1, 0)}),
        ("max_pool3d", (1, 1, 2, 3, 1), {"kernel_size": (3, 3, 2), "stride": 2}),
    ],
)
def test_pool_ceil_mode_window_larger_than_input_matches_torch(backend, name, shape, kwargs):
    """ceil_mode pools a window that starts inside the input and overhangs the padded input
    (PyTorch's output size rule); it was refused before."""
    x = random_input(shape, seed=11)
    kwargs = dict(kwargs, ceil_mode=True)
    if name.startswith("max"):
        check_kernel_against_torch(backend, name, x, dict(kwargs, return_indices=True))
    check_kernel_against_torch(backend, name, x, kwargs)


def test_avg_pool3d_ceil_mode_window_larger_than_input_as_2d(backend):
    """PyTorch's avg_pool3d refuses any kernel larger than its input (xpnet takes them, as
    its 1-D and 2-D pools): the 2-D pool of the one depth slice is the reference."""
    x = random_input((1, 2, 1, 2, 3), seed=12)
    kwargs = {"stride": 2, "ceil_mode": True, "count_include_pad": False}
    output = K.avg_pool3d(backend.asarray(x), (1, 3, 3), **kwargs)
    expected = TF.avg_pool2d(torch.tensor(x[:, :, 0]), 3, **kwargs).numpy()
    np.testing.assert_allclose(backend.to_host(output)[:, :, 0], expected, rtol=1e-12)


def test_window_geometry_ceil_mode_output_size_matches_torch():
    """Every small geometry, with kernels larger than the padded input: the output size of
    PyTorch, or its refusal ("Output size is too small")."""
    for size in range(1, 5):
        for kernel, stride, padding, dilation in np.ndindex(7, 4, 3, 2):
            kernel, stride, dilation = kernel + 1, stride + 1, dilation + 1
            if padding > kernel // 2:
                continue
            try:
                expected = TF.max_pool1d(
                    torch.zeros(1, 1, size), kernel, stride, padding, dilation, ceil_mode=True
                ).shape[-1]
            except RuntimeError:
                expected = None
            args = ("test", (size,), (kernel,), (stride,), (dilation,), (padding,))
            try:
                output = window_geometry(*args, ceil_mode=True).output[0]
            except ValueError:
                output = None
            assert output == expected, (size, kernel, stride, padding, dilation)


def test_pool_ceil_mode_refuses_windows_starting_past_the_input(backend):
    with pytest.raises(RuntimeError, match="output size"):
        TF.max_pool1d(torch.ones(1, 1, 1), 4, 2, ceil_mode=True)
    with pytest.raises(ValueError, match=r"max_pool1d: kernel_size \(dilated: \(4,\)\) must"):
        K.max_pool1d(backend.asarray(np.ones((1, 1, 1))), 4, 2, ceil_mode=True)


@pytest.mark.parametrize(
    "name, shape, output_size",
    [
        ("adaptive_avg_pool2d", (1, 2, 8, 8), [3]),
        ("adaptive_max_pool2d", (1, 2, 8, 8), (3,)),
        ("adaptive_avg_pool3d", (1, 2, 3, 3, 3), [2]),
        ("adaptive_max_pool3d", (1, 2, 3, 3, 3), (2,)),
    ],
)
def test_adaptive_pool_refuses_a_short_output_size_as_torch(backend, name, shape, output_size):
    # a kernel size's [k] is repeated; an output size's is not (PyTorch: "must be 2")
    x = backend.asarray(np.zeros(shape))
    with pytest.raises(TypeError, match=f"{name}: output_size must be an int or a tuple of"):
        getattr(K, name)(x, output_size)
    with pytest.raises(RuntimeError):
        getattr(torch.nn.functional, name)(torch.zeros(shape), output_size)
    one_d = getattr(K, name[:-2] + "1d")  # one size is the whole output_size in 1-D
    assert one_d(backend.asarray(np.zeros((1, 2, 8))), [2]).shape == (1, 2, 2)


def test_avg_pool1d_module_takes_an_empty_stride_as_its_kernel(backend):
    x = np.arange(12.0).reshape(1, 2, 6)
    ours = nn.AvgPool1d(3, stride=[])(xpnet.Tensor(backend.asarray(x)))
    expected = torch.nn.AvgPool1d(3, stride=[])(torch.from_numpy(x)).numpy()
    np.testing.assert_array_equal(backend.to_host(ours.array), expected)


@pytest.mark.parametrize(
    "name, shape, kwargs",
    [
        ("max_pool3d", (1, 1, 3, 3, 3), {"kernel_size": 1000, "padding": 500}),
        ("max_pool3d", (1, 2, 3, 2, 3), {"kernel_size": 999, "stride": 1, "padding": 499}),
        ("max_pool2d", (1, 2, 3, 4), {"kernel_size": 10**6, "padding": 5 * 10**5}),
        ("max_pool2d", (1, 1, 5, 4), {"kernel_size": (1001, 7), "padding": (500, 3), "stride": 1}),
        ("max_pool1d", (1, 2, 5), {"kernel_size": 10**6, "padding": 5 * 10**5, "stride": 7}),
        ("avg_pool2d", (1, 2, 3, 4), {"kernel_size": 10**6, "padding": 5 * 10**5}),
        ("avg_pool2d", (1, 1, 5, 4), {"kernel_size": 1001, "padding": 500, "stride": 1}),
        ("avg_pool1d", (1, 2, 5), {"kernel_size": 10**6, "padding": 5 * 10**5, "stride": 3}),
    ],
)
@pytest.mark.parametrize("extra", [{}, {"ceil_mode": True}, {"return_indices": True}])
def test_pool_huge_window_pads_only_what_windows_read(backend, name, shape, kwargs, extra):
    """A window far larger than its input padded the whole input: 8 GB and 24 s for a
    1000-wide 3-D max pool (and its backward) where PyTorch is instant; now only the padding
    that windows reaching the input read is made. Values, indices, divisors and gradients are
    PyTorch's."""
    if "return_indices" in extra and name.startswith("avg"):
        extra = {"count_include_pad": False}
    x, options = random_input(shape, seed=8), {**kwargs, **extra}
    assert _seconds_of_own_calls(backend, name, x, options) < 5
    check_kernel_against_torch(backend, name, x, options)


def _seconds_of_own_calls(backend, name, x, kwargs):
    """Seconds of xpnet's forward and backward alone, not the oracle's: on a busy machine
    (16 test workers, each PyTorch with its own threads) the oracle took 10 s here."""
    forward, backward = getattr(K, name), getattr(K, f"{name}_backward")
    array = backend.asarray(x)
    started = time.perf_counter()
    result = forward(array, **kwargs)
    saved = {"indices": result[1]} if kwargs.get("return_indices") else {}
    output = result[0] if saved else result
    backward(backend.xp.ones_like(output), array, **kwargs, **saved)
    return time.perf_counter() - started


@pytest.mark.parametrize("nd", [1, 2, 3])
def test_avg_pool_backward_huge_window_is_instant(backend, nd):
    """The backward allocated its whole padded gradient (10**6 per axis) unchecked."""
    x = backend.asarray(random_input((1, 2, *[3] * nd), seed=9))
    grad = backend.asarray(np.ones((1, 2, *[1] * nd)))
    backward = getattr(K, f"avg_pool{nd}d_backward")
    backward(grad, x, 3, padding=1)  # CuPy compiles its kernels on first use: not timed
    started = time.perf_counter()
    grad_input = backward(grad, x, 10**6, padding=5 * 10**5)
    assert time.perf_counter() - started < 1
    expected = np.full((1, 2, *[3] * nd), 1 / 10 ** (6 * nd))
    np.testing.assert_allclose(backend.to_host(grad_input), expected, rtol=1e-12)


@pytest.mark.parametrize("shape, output_size", [((1, 2, 4, 4), (1, 10**6)), ((1, 1, 4), 10**6)])
def test_adaptive_avg_pool_backward_of_many_windows_loops_over_few(backend, shape, output_size):
    """A (1, 1e8) gradient onto 4 x 4 looped 2.5e7 times per axis (224 s): the long axis now
    shrinks first, by one slice sum per input element's windows; PyTorch's values."""
    x = random_input(shape, seed=12)
    out_shape = (*shape[:2], *np.atleast_1d(output_size))
    grad = random_input(out_shape, seed=13)
    name = f"adaptive_avg_pool{len(shape) - 2}d"
    started = time.perf_counter()
    ours = getattr(K, f"{name}_backward")(backend.asarray(grad), backend.asarray(x), output_size)
    assert time.perf_counter() - started < 5
    leaf = torch.tensor(x, requires_grad=True)
    getattr(TF, name)(leaf, output_size).backward(torch.tensor(grad))
    np.testing.assert_allclose(backend.to_host(ours), leaf.grad.numpy(), rtol=1e-10)


@pytest.mark.parametrize(
    "shape, output_size",
    [((2, 3, 29), 3), ((1, 2, 17, 23), (2, 4)), ((1, 1, 9, 8, 10), (2, 1, 3))],
)
def test_adaptive_max_pool_few_long_windows_match_torch(backend, shape, output_size):
    """Fewer windows than positions take one argmax per window: PyTorch's values, indices
    (first of tied maxima, -0.0 and 0.0 alike; the last NaN) and gradient."""
    x = np.round(random_input(shape, seed=14)) * 0.0  # all +-0.0: ties everywhere
    x.reshape(-1)[::7] = np.round(random_input(((x.size + 6) // 7,), seed=15))
    x.reshape(-1)[[2, 5, 11]] = [np.nan, np.nan, -np.inf]
    name = f"adaptive_max_pool{len(shape) - 2}d"
    values, indices = getattr(K, name)(backend.asarray(x), output_size, return_indices=True)
    expected, expected_indices = getattr(TF, name)(torch.tensor(x), output_size, True)
    np.testing.assert_array_equal(backend.to_host(values), expected.numpy())
    assert np.signbit(backend.to_host(values)).tolist() == np.signbit(expected.numpy()).tolist()
    np.testing.assert_array_equal(backend.to_host(indices), expected_indices.numpy())
    options = {"output_size": output_size}
    check_kernel_against_torch(backend, name, random_input(shape, seed=16), options)


def test_adaptive_max_pool_of_a_long_axis_into_few_is_fast(backend):
    """1e7 positions into 4 windows looped 2.5e6 times (33 s); one argmax per window now."""
    x = backend.asarray(random_input((1, 1, 10**6), seed=17))
    started = time.perf_counter()
    values, indices = K.adaptive_max_pool1d(x, 4, return_indices=True)
    assert time.perf_counter() - started < 1
    expected, expected_indices = TF.adaptive_max_pool1d(torch.tensor(backend.to_host(x)), 4, True)
    np.testing.assert_array_equal(backend.to_host(indices), expected_indices.numpy())
