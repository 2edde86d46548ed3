"""fractional_max_pool2d/3d (given _random_samples: PyTorch's windows, outputs, indices and
gradients exactly; drawn samples: seeded, no host sync), the *_with_indices forms, the
FractionalMaxPool2d/3d modules, errors, and property tests."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from _oracle import assert_close, check_against_torch, random_input
from _strategies import PROFILE, Invalid, check_rejected, common_mistakes, values_of
from hypothesis import given
from hypothesis import strategies as st

import xpnet
import xpnet.kernels as K
import xpnet.nn.functional as F
from xpnet import nn
from xpnet.backends import host_reads_forbidden

CASES = [  # nd, input shape, kernel_size, output_size, output_ratio
    (2, (2, 3, 9, 11), (3, 2), (4, 5), None),
    (2, (3, 7, 7), 2, 4, None),  # unbatched
    (2, (2, 2, 10, 6), 3, None, (0.5, 0.7)),
    (2, (1, 2, 5, 5), 2, (4, 1), None),  # outputs that leave no fractional room: stride 1
    (3, (2, 2, 7, 8, 9), (2, 3, 2), (3, 4, 5), None),
    (3, (2, 5, 6, 7), 2, None, (0.5, 0.5, 0.6)),  # unbatched
]


def _samples(shape, nd, seed=3, dtype=np.float64):
    planes = (shape[0], shape[1]) if len(shape) == nd + 2 else (1, shape[0])
    return random_input((*planes, nd), seed, low=0.0, high=1.0).astype(dtype)


def check_pool(backend, nd, x, kernel_size, output_size, output_ratio, samples, dtype):
    name = f"fractional_max_pool{nd}d"
    u = backend.asarray(samples.astype(dtype))
    options = {"output_size": output_size, "output_ratio": output_ratio, "_random_samples": u}
    theirs = {**options, "_random_samples": torch.tensor(samples.astype(dtype))}
    if output_ratio is not None:  # PyTorch's function needs a tuple ratio (so do these cases)
        theirs["output_ratio"] = tuple(output_ratio)
    output, grads = check_against_torch(
        lambda t: getattr(K, name)(t, kernel_size, **options),
        lambda g, t: getattr(K, f"{name}_backward")(g, t, kernel_size, **options),
        lambda t: getattr(TF, name)(
            t, kernel_size, **{**theirs, "_random_samples": (theirs["_random_samples"].double())}
        ),
        [x],
        backend,
        dtype=dtype,
    )
    # indices exactly PyTorch's (its samples in the input's dtype, as ours)
    _, indices = getattr(K, name)(
        backend.asarray(x.astype(dtype)), kernel_size, **options, return_indices=True
    )
    _, expected = getattr(TF, f"{name}_with_indices")(
        torch.tensor(x.astype(dtype)), kernel_size, **theirs
    )
    np.testing.assert_array_equal(backend.to_host(indices), expected.numpy())


@pytest.mark.parametrize("nd, shape, kernel_size, output_size, output_ratio", CASES)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_fractional_max_pool_matches_torch(
    backend, nd, shape, kernel_size, output_size, output_ratio, dtype
):
    x = random_input(shape, 0)
    samples = _samples(shape, nd)
    check_pool(backend, nd, x, kernel_size, output_size, output_ratio, samples, dtype)


@pytest.mark.parametrize("nd", [2, 3])
def test_fractional_max_pool_float16_windows_are_torch_s(backend, nd):
    """The interval arithmetic runs in float16 as PyTorch's Half kernel does."""
    shape = (2, 3, 13, 12) if nd == 2 else (1, 2, 9, 10, 11)
    x = random_input(shape, 0).astype(np.float16)
    samples = _samples(shape, nd, 5, np.float16)
    out = (5, 7) if nd == 2 else (4, 5, 6)
    name = f"fractional_max_pool{nd}d"
    output, indices = getattr(K, name)(
        backend.asarray(x), 2, out, return_indices=True, _random_samples=backend.asarray(samples)
    )
    expected, expected_indices = getattr(TF, name)(
        torch.tensor(x), 2, out, return_indices=True, _random_samples=torch.tensor(samples)
    )
    assert output.dtype == np.float16
    np.testing.assert_array_equal(backend.to_host(output), expected.numpy())
    np.testing.assert_array_equal(backend.to_host(indices), expected_indices.numpy())
    grad = getattr(K, f"{name}_backward")(
        backend.asarray(np.ones(out and output.shape, np.float16)),
        backend.asarray(x),
        2,
        out,
        _random_samples=backend.asarray(samples),
    )
    assert grad.dtype == np.float16 and grad.shape == x.shape


@pytest.mark.parametrize("nd", [2, 3])
def test_fractional_max_pool_ties_nan_and_inf(backend, nd):
    """Ties keep the first maximum, a window with NaNs its last NaN, all -inf the first."""
    shape = (2, 2, 8, 9) if nd == 2 else (1, 2, 6, 7, 5)
    x = np.random.default_rng(0).integers(0, 3, size=shape).astype(np.float64)
    x.reshape(-1)[::7] = np.nan
    x.reshape(-1)[1::11] = -np.inf
    x[0, 1] = -np.inf
    samples = _samples(shape, nd, 1)
    out = (4, 5) if nd == 2 else (3, 4, 2)
    check_pool(backend, nd, x, 2, out, None, samples, np.float64)


@pytest.mark.parametrize("nd", [2, 3])
def test_fractional_max_pool_empty_batch_and_output(backend, nd):
    spatial = (6, 7) if nd == 2 else (5, 5, 6)
    check_pool(
        backend, nd, random_input((0, 2, *spatial)), 2, 3, None, np.zeros((0, 2, nd)), np.float64
    )
    zero = (0,) + (2,) * (nd - 1)
    check_pool(
        backend,
        nd,
        random_input((1, 2, *spatial)),
        2,
        zero,
        None,
        _samples((1, 2, *spatial), nd),
        np.float64,
    )


def test_fractional_max_pool_samples_outside_unit_interval_stay_in_bounds(backend):
    x = backend.asarray(random_input((1, 1, 9, 9)))
    for value in (-3.0, 0.999999, 1.0, 7.5):
        samples = backend.asarray(np.full((1, 1, 2), value))
        output, indices = K.fractional_max_pool2d(
            x, 3, 3, return_indices=True, _random_samples=samples
        )
        host = backend.to_host(indices)
        assert host.min() >= 0 and host.max() < 81
        np.testing.assert_array_equal(
            backend.to_host(output).reshape(-1), backend.to_host(x).reshape(-1)[host.reshape(-1)]
        )


@pytest.mark.parametrize("nd", [2, 3])
def test_fractional_max_pool_draws_seeded_samples_without_host_reads(backend, nd):
    shape = (2, 3, 9, 10) if nd == 2 else (2, 2, 6, 7, 8)
    x = backend.asarray(random_input(shape))
    name = f"fractional_max_pool{nd}d"
    results = []
    for _ in range(2):
        xpnet.manual_seed(7)
        with host_reads_forbidden():
            results.append(getattr(K, name)(x, 2, output_ratio=0.5, return_indices=True))
    (first, first_indices), (second, second_indices) = results
    np.testing.assert_array_equal(backend.to_host(first), backend.to_host(second))
    np.testing.assert_array_equal(backend.to_host(first_indices), backend.to_host(second_indices))
    flat = backend.to_host(x).reshape(*shape[:2], -1)
    picked = np.take_along_axis(flat, backend.to_host(first_indices).reshape(*shape[:2], -1), 2)
    np.testing.assert_array_equal(picked, backend.to_host(first).reshape(*shape[:2], -1))
    assert len({tuple(r) for r in backend.to_host(first_indices).reshape(-1, 2)}) > 1


@pytest.mark.parametrize("nd", [2, 3])
def test_fractional_max_pool_autograd_uses_the_forward_s_windows(backend, nd):
    """Drawn samples cannot be drawn again: the backward takes the forward's indices."""
    shape = (2, 2, 8, 9) if nd == 2 else (1, 2, 6, 7, 8)
    values = random_input(shape)
    x = xpnet.Tensor(backend.asarray(values), requires_grad=True)
    xpnet.manual_seed(3)
    output = getattr(F, f"fractional_max_pool{nd}d")(x, 2, output_ratio=0.5)
    assert isinstance(output, xpnet.Tensor)
    (output * output).sum().backward()
    xpnet.manual_seed(3)  # the same draws again, for the kernels
    name = f"fractional_max_pool{nd}d"
    again, indices = getattr(F, f"{name}_with_indices")(backend.asarray(values), 2, None, 0.5)
    np.testing.assert_array_equal(backend.to_host(again.array), backend.to_host(output.array))
    expected = getattr(K, f"{name}_backward")(
        2 * output.array, backend.asarray(values), 2, None, 0.5, indices=indices
    )
    np.testing.assert_array_equal(backend.to_host(x.grad.array), backend.to_host(expected))


def test_fractional_max_pool3d_refuses_windows_ending_at_the_edge(backend):
    """As PyTorch's 3-D pool (its 2-D one accepts out + k - 1 == size)."""
    x = backend.asarray(np.zeros((1, 1, 4, 4, 4)))
    with pytest.raises(RuntimeError, match="pool time 2 too large relative to input time 4"):
        TF.fractional_max_pool3d(torch.zeros(1, 1, 4, 4, 4), 2, output_size=3)
    with pytest.raises(ValueError, match="pool time 2 too large relative to input time 4"):
        K.fractional_max_pool3d(x, 2, output_size=3)
    assert K.fractional_max_pool2d(x[0], 2, output_size=3).shape == (1, 4, 3, 3)


@pytest.mark.parametrize(
    "call, error, match",
    [
        ({"output_size": None}, ValueError, "requires specifying either an output_size or an"),
        ({"output_size": 7}, ValueError, "pool height 3 too large relative to input height 8"),
        ({"output_size": (4, 7)}, ValueError, "pool width 3 too large relative to input width"),
        ({"kernel_size": 0}, ValueError, "kernel_size must be at least 1"),
        ({"kernel_size": (2, 2, 2)}, TypeError, "kernel_size must be an int or a tuple of 2"),
        ({"output_size": -1}, ValueError, "output_size must be at least 0"),
        ({"output_size": None, "output_ratio": (0.5,) * 3}, ValueError, "output_ratio must be"),
        ({"output_size": None, "output_ratio": "half"}, TypeError, "output_ratio must be a num"),
        ({"_random_samples": np.zeros((2, 3, 3))}, ValueError, r"_random_samples must have sha"),
        ({"_random_samples": np.zeros((1, 3, 2))}, ValueError, r"at least N rows"),
        ({"_random_samples": np.zeros((2, 3, 2), np.float32)}, TypeError, "must have the dtype"),
        ({"input": np.zeros((2, 0, 8, 8))}, ValueError, "input must have non-zero sizes along C"),
        ({"input": np.zeros((8, 8))}, ValueError, "input must have 3 or 4 dimensions"),
        ({"input": np.zeros((2, 3, 8, 8), np.int64)}, TypeError, "floating-point"),
    ],
)
def test_fractional_max_pool2d_rejects_bad_arguments(backend, call, error, match):
    arguments = {"input": np.zeros((2, 3, 8, 8)), "kernel_size": 3, "output_size": 4}
    arguments.update(call)
    arguments = {
        key: backend.asarray(value) if isinstance(value, np.ndarray) else value
        for key, value in arguments.items()
    }
    with pytest.raises(error, match=rf"^fractional_max_pool2d: .*{match}"):
        K.fractional_max_pool2d(**arguments)


def test_fractional_max_pool_backward_needs_indices_or_samples(backend):
    x = backend.asarray(random_input((1, 1, 6, 6)))
    grad = backend.asarray(np.ones((1, 1, 3, 3)))
    with pytest.raises(ValueError, match="needs the forward's indices or its _random_samples"):
        K.fractional_max_pool2d_backward(grad, x, 2, 3)
    bad = backend.asarray(np.full((1, 1, 3, 3), 36, np.int64))
    with pytest.raises(IndexError, match=r"indices must be in \[0, H \* W\) = \[0, 36\)"):
        K.fractional_max_pool2d_backward(grad, x, 2, 3, indices=bad)
        backend.to_host(grad)
    with pytest.raises(ValueError, match="grad_output must have the shape"):
        K.fractional_max_pool3d_backward(
            grad, backend.asarray(random_input((1, 1, 4, 4, 4))), 2, 2, indices=bad
        )


def _mistakes(nd):
    name = f"fractional_max_pool{nd}d"
    spatial = (6, 7) if nd == 2 else (4, 5, 6)
    out = (3, 4) if nd == 2 else (2, 3, 4)
    valid = {
        "input": values_of((2, 2, *spatial)),
        "kernel_size": 2,
        "output_size": out,
        "_random_samples": np.full((2, 2, nd), 0.25),
    }
    mistakes = [
        Invalid(name, valid, "too large", {"output_size": spatial}, "output_size"),
        Invalid(name, valid, "kernel 0", {"kernel_size": 0}, "kernel_size"),
        Invalid(name, valid, "float kernel", {"kernel_size": 2.0}, "kernel_size"),
        Invalid(name, valid, "no size", {"output_size": None}, "output_size"),
        Invalid(name, valid, "samples", {"_random_samples": values_of((2, 2, 1))}, "_random"),
        Invalid(name, valid, "1-d input", {"input": values_of((5,))}, "input"),
    ]
    common = common_mistakes(name, valid, ("input", "_random_samples"), ("input",), (2, 2, *out))
    return mistakes + common


@PROFILE
@pytest.mark.parametrize("nd", [2, 3])
@given(data=st.data())
def test_fractional_max_pool_rejects_invalid_arguments(backend, nd, data):
    check_rejected(backend, f"fractional_max_pool{nd}d", data.draw(st.sampled_from(_mistakes(nd))))


@PROFILE
@given(
    nd=st.sampled_from([2, 3]),
    batch=st.sampled_from([(), (1,), (2,)]),
    C=st.integers(1, 2),
    sizes=st.lists(st.integers(1, 7), min_size=3, max_size=3),
    kernel=st.lists(st.integers(1, 3), min_size=3, max_size=3),
    slack=st.lists(st.integers(0, 3), min_size=3, max_size=3),
    seed=st.integers(0, 2**16),
)
def test_fractional_max_pool_matches_torch_on_generated_shapes(
    backend, nd, batch, C, sizes, kernel, slack, seed
):
    kernel = [min(k, s) for k, s in zip(kernel[:nd], sizes, strict=False)]
    strict = nd == 3  # PyTorch's 3-D pool wants out + k - 1 < size, its 2-D one <=
    out = [
        max(s - k + 1 - strict - extra, 0)
        for s, k, extra in zip(sizes, kernel, slack, strict=False)
    ]
    shape = (*batch, C, *sizes[:nd])
    samples = _samples(shape, nd, seed)
    check_pool(
        backend, nd, random_input(shape, seed), tuple(kernel), tuple(out), None, samples, np.float64
    )


# -- the modules ---------------------------------------------------------------------------------


@pytest.mark.parametrize("nd", [2, 3])
def test_fractional_max_pool_modules_match_torch(backend, nd):
    shape = (2, 3, 8, 9) if nd == 2 else (2, 2, 6, 7, 8)
    samples = _samples(shape, nd, 4)
    name = f"FractionalMaxPool{nd}d"
    module = getattr(nn, name)(2, output_ratio=0.5, _random_samples=backend.asarray(samples))
    reference = getattr(torch.nn, name)(2, output_ratio=0.5, _random_samples=torch.tensor(samples))
    assert repr(module) == repr(reference)
    assert list(module.state_dict()) == list(reference.state_dict()) == ["_random_samples"]
    assert module.kernel_size == reference.kernel_size
    assert module.output_ratio == reference.output_ratio and module.output_size is None
    x = random_input(shape)
    assert_close(
        backend.to_host(module(backend.asarray(x)).array),
        reference(torch.tensor(x)).numpy(),
        np.float64,
    )
    drawn = getattr(nn, name)(2, output_size=3, return_indices=True)
    assert list(drawn.state_dict()) == []
    output, indices = drawn(backend.asarray(x))
    assert output.shape == indices.shape == (*shape[:2], *(3,) * nd)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({}, "requires specifying either an output size, or a pooling ratio"),
        ({"output_size": 2, "output_ratio": 0.5}, "only one of output_size and output_ratio"),
        ({"output_ratio": 1.0}, r"output_ratio must be between 0 and 1 \(got 1.0\)"),
        ({"output_ratio": (0.5, 0)}, "output_ratio must be between 0 and 1"),
    ],
)
def test_fractional_max_pool_modules_refuse_what_torch_refuses(kwargs, match):
    with pytest.raises(ValueError):
        torch.nn.FractionalMaxPool2d(2, **kwargs)
    with pytest.raises(ValueError, match=match):
        nn.FractionalMaxPool2d(2, **kwargs)
    with pytest.raises(ValueError, match="kernel_size must be greater than 0, but got 0"):
        nn.FractionalMaxPool3d(0, output_size=2)
