"""1-D and 3-D max, average and adaptive pooling against PyTorch autograd and finite
differences; their modules against torch.nn."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from _oracle import check_finite_differences, check_kernel_against_torch, random_input

import xpnet
import xpnet.kernels as K
import xpnet.nn as nn
from xpnet.backends import host_reads_forbidden, raise_deferred
from xpnet.kernels import _max_windows

SHAPES = {1: (2, 3, 11), 3: (2, 2, 5, 6, 5)}

MAX_CASES = {
    1: [
        {"kernel_size": 2},
        {"kernel_size": 3, "stride": 2, "padding": 1, "dilation": 2},
        {"kernel_size": 3, "stride": 2, "ceil_mode": True},
        {"kernel_size": (4,), "stride": [3], "padding": 2, "ceil_mode": True},
    ],
    3: [
        {"kernel_size": 2},
        {"kernel_size": (3, 2, 3), "stride": (2, 1, 2), "padding": 1},
        {"kernel_size": 2, "stride": 1, "dilation": (2, 1, 2), "ceil_mode": True},
        {"kernel_size": 3, "stride": 2, "padding": (1, 0, 1), "ceil_mode": True},
    ],
}
AVG_CASES = {
    1: [
        {"kernel_size": 2},
        {"kernel_size": 3, "stride": 2, "padding": 1, "count_include_pad": False},
        {"kernel_size": 4, "stride": 3, "padding": 2, "ceil_mode": True},
    ],
    3: [
        {"kernel_size": 2},
        {"kernel_size": (3, 2, 3), "stride": 2, "padding": 1, "ceil_mode": True},
        {"kernel_size": 3, "stride": 2, "padding": 1, "count_include_pad": False},
        {"kernel_size": 2, "divisor_override": 3},
    ],
}
ADAPTIVE_SIZES = {1: [1, 4, 11, 15], 3: [1, (2, 4, 3), (None, 7, 2), (5, None, 1)]}


def _cases(table):
    return [(nd, kwargs) for nd, cases in table.items() for kwargs in cases]


@pytest.mark.parametrize("nd, kwargs", _cases(MAX_CASES))
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_max_pool_nd_matches_torch(backend, nd, kwargs, dtype):
    x = random_input(SHAPES[nd], seed=nd)
    check_kernel_against_torch(backend, f"max_pool{nd}d", x, kwargs, dtype)


@pytest.mark.parametrize("nd, kwargs", _cases(AVG_CASES))
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_avg_pool_nd_matches_torch(backend, nd, kwargs, dtype):
    x = random_input(SHAPES[nd], seed=nd)
    check_kernel_against_torch(backend, f"avg_pool{nd}d", x, kwargs, dtype)


@pytest.mark.parametrize("nd, output_size", _cases(ADAPTIVE_SIZES))
@pytest.mark.parametrize("kind", ["avg", "max"])
def test_adaptive_pool_nd_matches_torch(backend, nd, output_size, kind):
    x = random_input(SHAPES[nd], seed=nd)
    name = f"adaptive_{kind}_pool{nd}d"
    check_kernel_against_torch(backend, name, x, {"output_size": output_size})


def test_adaptive_pool3d_float32_and_unbatched(backend):
    x = random_input(SHAPES[3][1:], seed=4)
    for kind in ("avg", "max"):
        name = f"adaptive_{kind}_pool3d"
        check_kernel_against_torch(backend, name, x, {"output_size": (2, 3, 2)}, np.float32)


@pytest.mark.parametrize("nd", [1, 3])
@pytest.mark.parametrize("pool", ["max_pool", "adaptive_max_pool"])
def test_max_pool_nd_indices_ties_and_nan_match_torch(backend, nd, pool):
    """Ties go to the first maximum in row-major order, the last NaN wins; indices are flat
    into each L or D x H x W volume, as PyTorch's."""
    x = np.round(random_input(SHAPES[nd], seed=3) * 2) / 2  # many ties
    x.reshape(-1)[::7] = np.nan
    x.reshape(-1)[3::11] = -np.inf
    kwargs = {"output_size": 3} if pool == "adaptive_max_pool" else {"kernel_size": 3, "padding": 1}
    name = f"{pool}{nd}d"
    values, indices = getattr(K, name)(backend.asarray(x), return_indices=True, **kwargs)
    expected, expected_indices = getattr(TF, name)(torch.tensor(x), return_indices=True, **kwargs)
    np.testing.assert_array_equal(backend.to_host(indices), expected_indices.numpy())
    np.testing.assert_array_equal(backend.to_host(values), expected.numpy())
    saved = getattr(K, f"{name}_backward")(
        backend.asarray(np.ones(expected.shape)), backend.asarray(x), indices=indices, **kwargs
    )
    recomputed = getattr(K, f"{name}_backward")(
        backend.asarray(np.ones(expected.shape)), backend.asarray(x), **kwargs
    )
    np.testing.assert_array_equal(backend.to_host(saved), backend.to_host(recomputed))


@pytest.mark.parametrize(
    "name, shape, kwargs",
    [
        ("max_pool1d", (1, 2, 7), {"kernel_size": 3, "stride": 2, "padding": 1}),
        ("avg_pool1d", (1, 2, 7), {"kernel_size": 3, "stride": 2, "ceil_mode": True}),
        ("max_pool3d", (1, 1, 3, 4, 3), {"kernel_size": 2, "stride": 1}),
        ("avg_pool3d", (1, 1, 3, 4, 3), {"kernel_size": 2, "padding": 1}),
        ("adaptive_avg_pool3d", (1, 1, 3, 4, 3), {"output_size": (2, 3, 2)}),
        ("adaptive_max_pool1d", (1, 2, 7), {"output_size": 3}),
    ],
)
def test_pool_nd_finite_differences(backend, name, shape, kwargs):
    forward, backward = getattr(K, name), getattr(K, f"{name}_backward")
    check_finite_differences(
        lambda x: forward(x, **kwargs),
        lambda g, x: backward(g, x, **kwargs),
        [random_input(shape, seed=5)],
        backend,
    )


@pytest.mark.parametrize(
    "name, kwargs",
    [
        ("max_pool1d", {"kernel_size": 2}),
        ("avg_pool3d", {"kernel_size": 2}),
        ("adaptive_max_pool3d", {"output_size": 2}),
        ("adaptive_avg_pool1d", {"output_size": 2}),
    ],
)
def test_pool_nd_unbatched_and_empty_batch(backend, name, kwargs):
    nd = int(name[-2])
    for shape in (SHAPES[nd][1:], (0, *SHAPES[nd][1:])):
        check_kernel_against_torch(backend, name, random_input(shape, seed=1), kwargs)


ERRORS = [
    ("max_pool1d", (2, 3, 4, 5), {"kernel_size": 2}, ValueError, r"max_pool1d: input must have 2 "
     r"or 3 dimensions \(N, C, L\) or \(C, L\), got shape \(2, 3, 4, 5\)"),
    ("max_pool3d", (2, 3, 4), {"kernel_size": 2}, ValueError, r"max_pool3d: input must have 4 "
     r"or 5 dimensions \(N, C, D, H, W\)"),
    ("max_pool3d", (1, 1, 4, 4, 4), {"kernel_size": (2, 2)}, TypeError,
     r"max_pool3d: kernel_size must be an int or a tuple of 3 ints"),
    ("max_pool1d", (1, 1, 5), {"kernel_size": 3, "padding": 2}, ValueError,
     r"max_pool1d: padding must be at most half of kernel_size, got padding=\(2,\)"),
    ("avg_pool3d", (1, 1, 4, 4, 4), {"kernel_size": 5}, ValueError,
     r"avg_pool3d: kernel_size \(dilated: \(5, 5, 5\)\) must not exceed the padded input"),
    ("avg_pool3d", (1, 1, 4, 4, 4), {"kernel_size": 2, "divisor_override": 0}, ValueError,
     r"avg_pool3d: divisor_override must be a non-zero int"),
    ("avg_pool1d", (1, 1, 4), {"kernel_size": 2, "stride": 0}, ValueError,
     r"avg_pool1d: stride must be at least 1"),
    ("adaptive_avg_pool3d", (1, 1, 4, 4, 4), {"output_size": (2, 2)}, TypeError,
     r"adaptive_avg_pool3d: output_size must be an int or a tuple of 3 ints"),
    ("adaptive_max_pool1d", (1, 1, 4), {"output_size": -1}, ValueError,
     r"adaptive_max_pool1d: output_size must be at least 0"),
]  # fmt: skip


@pytest.mark.parametrize("name, shape, kwargs, error, message", ERRORS)
def test_pool_nd_rejects_bad_arguments(backend, name, shape, kwargs, error, message):
    x = backend.asarray(np.zeros(shape))
    with pytest.raises(error, match=message):
        getattr(K, name)(x, **kwargs)
    with pytest.raises(error, match=message.replace(f"{name}:", f"{name}_backward:")):
        getattr(K, f"{name}_backward")(x, x, **kwargs)


@pytest.mark.parametrize("name", ["max_pool3d", "avg_pool1d", "adaptive_max_pool3d"])
def test_pool_nd_rejects_integer_input_and_huge_output(backend, name, monkeypatch):
    nd = int(name[-2])
    x = backend.asarray(np.zeros(SHAPES[nd], dtype=np.int32))
    with pytest.raises(TypeError, match=rf"{name}: input must be a floating-point array"):
        getattr(K, name)(x, 2)
    monkeypatch.setattr(backend, "free_memory", lambda: 64)
    with pytest.raises(MemoryError, match=rf"{name}: an output of shape"):
        getattr(K, name)(backend.asarray(np.zeros(SHAPES[nd])), 1)


def test_max_pool3d_backward_rejects_bad_indices(backend):
    x = backend.asarray(random_input((1, 1, 2, 2, 2)))
    grad = backend.asarray(np.ones((1, 1, 1, 1, 1)))
    bad = backend.asarray(np.full((1, 1, 1, 1, 1), 8, dtype=np.int64))
    message = r"indices must be in \[0, D \* H \* W\) = \[0, 8\)"
    with pytest.raises(IndexError, match=message):
        with host_reads_forbidden():  # strict: checked on the device, raised at a read
            K.max_pool3d_backward(grad, x, 2, indices=bad)
        raise_deferred()


@pytest.mark.parametrize(
    "make",
    [
        lambda m: m.MaxPool1d(3, 2, 1, return_indices=False, ceil_mode=True),
        lambda m: m.MaxPool3d((2, 3, 2), dilation=1),
        lambda m: m.AvgPool1d(3, 2, 1, count_include_pad=False),
        lambda m: m.AvgPool3d(2, divisor_override=3),
        lambda m: m.AdaptiveAvgPool1d(4),
        lambda m: m.AdaptiveAvgPool3d((2, None, 3)),
        lambda m: m.AdaptiveMaxPool1d(4),
        lambda m: m.AdaptiveMaxPool3d(2),
    ],
)
def test_pool_nd_modules_match_torch(backend, make):
    ours, theirs = make(nn), make(torch.nn)
    assert repr(ours) == repr(theirs)
    nd = 3 if "3d" in type(ours).__name__ else 1
    x = random_input(SHAPES[nd], seed=2)
    tensor = xpnet.Tensor(backend.asarray(x), requires_grad=True)
    output = ours(tensor)
    output.sum().backward()
    reference = torch.tensor(x, requires_grad=True)
    expected = theirs(reference)
    expected.sum().backward()
    np.testing.assert_allclose(backend.to_host(output.array), expected.detach().numpy())
    np.testing.assert_allclose(backend.to_host(tensor.grad.array), reference.grad.numpy())


SPECIAL_VALUES = np.array([0.0, -0.0, 1.0, -1.0, 2.0, np.nan, np.inf, -np.inf])


@pytest.mark.parametrize("keyed", [True, False], ids=["keyed", "walk"])
@pytest.mark.parametrize("seed", range(24))
def test_max_pool_indices_of_generated_windows_match_torch(backend, monkeypatch, seed, keyed):
    """Random 1/2/3-D geometries over ties, signed zeros, NaN and inf, in every float dtype:
    the keyed argmax (a GPU's choice) and the offset walk (a CPU's) give PyTorch's values and
    indices."""
    monkeypatch.setattr(_max_windows, "keyed_pays", lambda *args: keyed)
    rng = np.random.default_rng(seed)
    nd, dtype = 1 + seed % 3, (np.float16, np.float32, np.float64)[seed // 3 % 3]
    kernel = [int(k) for k in rng.integers(1, 5, nd)]
    dilation = [int(d) for d in rng.integers(1, 3, nd)]
    padding = [int(rng.integers(0, k // 2 + 1)) for k in kernel]
    size = [
        (k - 1) * d + 1 + int(rng.integers(0, 4)) for k, d in zip(kernel, dilation, strict=True)
    ]
    stride = [int(s) for s in rng.integers(1, 3, nd)]
    x = rng.choice(SPECIAL_VALUES, size=(2, 2, *size)).astype(dtype)
    options = (kernel, stride, padding, dilation, bool(seed % 2))
    name = f"max_pool{nd}d"
    torch_output, torch_indices = getattr(TF, name)(torch.tensor(x), *options, return_indices=True)
    output, indices = getattr(K, name)(backend.asarray(x), *options, return_indices=True)
    assert backend.to_host(indices).tolist() == torch_indices.tolist()
    _assert_same_floats(backend.to_host(output), torch_output.numpy())


def _assert_same_floats(actual, expected):
    """Equal values, NaN where NaN, and the same sign on zeros (``assert_array_equal`` takes
    -0.0 for 0.0)."""
    np.testing.assert_array_equal(actual, expected)
    np.testing.assert_array_equal(np.signbit(actual), np.signbit(expected))


SIGNED_ZERO_CASES = [
    ("max_pool1d", (2, 3, 9), {"kernel_size": 3, "stride": 2, "padding": 1}),
    ("max_pool2d", (2, 3, 6, 7), {"kernel_size": 2, "stride": 1}),
    ("max_pool2d", (2, 3, 6, 7), {"kernel_size": 5, "stride": 1, "padding": 2}),  # separable
    ("max_pool3d", (2, 2, 4, 5, 4), {"kernel_size": 2, "stride": 1, "dilation": (1, 2, 1)}),
    ("adaptive_max_pool1d", (2, 3, 9), {"output_size": 4}),
    ("adaptive_max_pool2d", (2, 3, 6, 7), {"output_size": (4, 9)}),
    ("adaptive_max_pool3d", (2, 2, 4, 5, 4), {"output_size": (3, 2, 3)}),
]


@pytest.mark.parametrize("name, shape, kwargs", SIGNED_ZERO_CASES)
@pytest.mark.parametrize("return_indices", [False, True])
def test_max_pool_signed_zero_tie_returns_the_first_zero(
    backend, name, shape, kwargs, return_indices
):
    """Regression: a window whose maximum is a tie of -0.0 and 0.0 returns its first zero,
    ``input[index]``, as PyTorch; ``xp.maximum`` had returned the later one
    (``max_pool1d([[[-0.0, 0.0]]], 2)`` gave 0.0)."""
    x = np.random.default_rng(len(shape)).choice([-0.0, 0.0, -1.0], size=shape)
    x[0, 0].reshape(-1)[:2] = [-0.0, 0.0]
    forward = getattr(K, name)(backend.asarray(x), return_indices=return_indices, **kwargs)
    expected = getattr(TF, name)(torch.tensor(x), return_indices=return_indices, **kwargs)
    if return_indices:
        (forward, indices), (expected, expected_indices) = forward, expected
        np.testing.assert_array_equal(backend.to_host(indices), expected_indices.numpy())
    _assert_same_floats(backend.to_host(forward), expected.numpy())
    check_kernel_against_torch(backend, name, x, kwargs)  # the gradients' element too
