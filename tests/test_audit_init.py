"""Regression tests for the differences from PyTorch 2.13's ``torch.nn.init`` the audit found
(2026-12-07): ``trunc_normal_`` far in a tail (every draw at the far bound ``b``), with
``a > b`` or a negative ``std``; ``constant_`` with a value its dtype cannot hold (NumPy's
OverflowError or RuntimeWarning, or NaN for ``None``); ``generator=`` given something else
than a generator (AttributeError from inside); the bound checks' class (PyTorch's
RuntimeError); refusals that did not name their function.

PyTorch is the oracle: a refusal must be an instance of PyTorch's class, with a message
naming the function and the argument; a value PyTorch's, or its distribution.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import torch

import xpnet
from xpnet.nn import init


def _torch_dtype(dtype):
    return getattr(torch, np.dtype(dtype).name)


def _refused_as_torch(torch_call, xpnet_call, pattern):
    with pytest.raises(Exception) as expected:  # noqa: PT011 - whatever class torch raises
        torch_call()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no NumPy warning on the way
        with pytest.raises(expected.type, match=pattern):
            xpnet_call()


# 1. trunc_normal_: an interval far in one tail is drawn in its log-CDF, not all at b
def _truncated_mean_and_std(alpha, beta):
    """The exact moments of N(0, 1) truncated to [alpha, beta], from PyTorch's log_ndtr."""
    if alpha > 0:  # mirrored: the lower tail keeps the CDF's digits
        mean, std = _truncated_mean_and_std(-beta, -alpha)
        return -mean, std
    log_cdf = [
        torch.special.log_ndtr(torch.tensor(z, dtype=torch.float64)).item() for z in (alpha, beta)
    ]
    log_mass = log_cdf[1] + math.log1p(-math.exp(log_cdf[0] - log_cdf[1]))  # Phi(b) - Phi(a)
    pdf = [math.exp(-(z**2) / 2 - math.log(2 * math.pi) / 2 - log_mass) for z in (alpha, beta)]
    z_pdf = [z * p if math.isfinite(z) else 0.0 for z, p in zip((alpha, beta), pdf, strict=True)]
    mean = pdf[0] - pdf[1]
    return mean, math.sqrt(1 + z_pdf[0] - z_pdf[1] - mean * mean)


@pytest.mark.parametrize(
    "mean, std, a, b",
    [
        (0.0, 1.0, 10.0, 11.0),  # erf rounds both bounds to 1: every draw was b
        (0.0, 1.0, -30.0, -29.0),  # every draw was a
        (1.0, 0.5, 4.5, 5.0),  # 7 std out: 1.4% of the draws at b
        (0.0, 1.0, 6.0, math.inf),  # PyTorch's rejection refuses an infinite bound here
        (0.0, 1.0, 1.1, 1.2),
        (0.0, 1.0, 40.0, 40.5),  # erfcx's exp(x^2) overflowed: no NumPy warning
    ],
)
def test_trunc_normal_far_in_a_tail_has_the_truncated_moments(mean, std, a, b):
    generator = np.random.default_rng(0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.filterwarnings("ignore", "mean is more than 2 std", UserWarning)  # PyTorch's
        values = init.trunc_normal_(np.zeros(200_000), mean, std, a, b, generator=generator)
    expected_mean, expected_std = _truncated_mean_and_std((a - mean) / std, (b - mean) / std)
    assert a <= values.min() and values.max() <= b
    assert (values == b).sum() == 0 and (values == a).sum() == 0
    assert abs(values.mean() - (mean + std * expected_mean)) < 5 * std * expected_std / 400
    assert abs(values.std() / (std * expected_std) - 1) < 0.01


def test_trunc_normal_far_in_a_tail_is_what_torch_draws():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        ours = init.trunc_normal_(xpnet.Tensor(np.zeros(100_000)), 0.0, 1.0, 10.0, 11.0).numpy()
        theirs = torch.nn.init.trunc_normal_(
            torch.zeros(100_000, dtype=torch.float64), 0, 1, 10, 11
        )
    assert abs(ours.mean() - theirs.mean().item()) < 0.003  # 10.0985: most near a, not b
    assert abs(ours.std() - theirs.std().item()) < 0.003


def test_trunc_normal_refuses_a_greater_than_b_as_torch():
    _refused_as_torch(
        lambda: torch.nn.init.trunc_normal_(torch.zeros(3), 0.0, 1.0, 2.0, -2.0),
        lambda: init.trunc_normal_(xpnet.zeros(3), 0.0, 1.0, 2.0, -2.0),
        r"nn\.init\.trunc_normal_: expects a <= b, .* got a=2\.0, b=-2\.0",
    )


def test_trunc_normal_takes_a_negative_std_as_its_magnitude_as_torch():
    theirs = torch.nn.init.trunc_normal_(torch.zeros(50_000, dtype=torch.float64), 3.0, -1.0, 0, 10)
    ours = init.trunc_normal_(
        np.zeros(50_000), 3.0, -1.0, 0.0, 10.0, generator=np.random.default_rng(1)
    )
    assert 0 <= ours.min() and ours.max() <= 10
    assert abs(ours.mean() - theirs.mean().item()) < 0.03
    assert abs(ours.std() - theirs.std().item()) < 0.03


# 2. constant_: PyTorch's fill_ rules for a value the dtype cannot hold
@pytest.mark.parametrize(
    "dtype, val",
    [
        (np.float32, 1e300),  # NumPy: RuntimeWarning, then inf
        (np.float16, 65519.0),  # NumPy: rounds to 65504
        (np.int64, math.nan),  # NumPy: ValueError
        (np.int64, math.inf),  # NumPy: OverflowError
        (np.int64, 1e300),
        (np.uint8, 300),
        (np.uint8, -1.5),  # a negative float into unsigned: refused, an int wraps
        (np.int8, -129),
        (np.float64, 1j),
    ],
)
def test_constant_refuses_a_value_its_dtype_cannot_hold_as_torch(backend, dtype, val):
    _refused_as_torch(
        lambda: torch.nn.init.constant_(torch.zeros(3, dtype=_torch_dtype(dtype)), val),
        lambda: init.constant_(xpnet.Tensor(backend.asarray(np.zeros(3, dtype))), val),
        rf"nn\.init\.constant_: val .* cannot be converted to {np.dtype(dtype).name}",
    )


@pytest.mark.parametrize(
    "dtype, val",
    [
        (np.uint8, -1),  # wraps to 255, as PyTorch
        (np.uint8, -255),
        (np.int64, 1.7),  # truncated
        (np.int8, -0.5),
        (np.bool_, 5),
        (np.float16, math.inf),
        (np.float32, math.nan),
        (np.float32, 3.4e38),
        (np.float32, 1 + 0j),
        (np.float64, np.float32(0.1)),
        (np.int32, np.int64(7)),
    ],
)
def test_constant_fills_what_torch_fills(backend, dtype, val):
    expected = torch.nn.init.constant_(torch.zeros(3, dtype=_torch_dtype(dtype)), val).numpy()
    tensor = xpnet.Tensor(backend.asarray(np.zeros(3, dtype)))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert init.constant_(tensor, val) is tensor
    assert tensor.array.dtype == dtype
    assert np.array_equal(tensor.numpy(), expected, equal_nan=True)


def test_constant_takes_a_0d_tensor_and_refuses_a_1d_one_as_torch():
    tensor = xpnet.zeros(2)
    init.constant_(tensor, xpnet.tensor(3.0))
    assert tensor.tolist() == [3.0, 3.0]
    _refused_as_torch(
        lambda: torch.nn.init.constant_(torch.zeros(2), torch.tensor([3.0])),
        lambda: init.constant_(xpnet.zeros(2), xpnet.tensor([3.0])),
        r"nn\.init\.constant_: val must be a number or a 0-d tensor, got shape \(1,\)",
    )


@pytest.mark.parametrize("val", [None, "a"])
@pytest.mark.parametrize("dtype", [np.float32, np.bool_])
def test_constant_refuses_what_is_not_a_number_as_torch(val, dtype):
    _refused_as_torch(
        lambda: torch.nn.init.constant_(torch.zeros(2, dtype=_torch_dtype(dtype)), val),
        lambda: init.constant_(xpnet.Tensor(np.zeros(2, dtype)), val),
        r"nn\.init\.constant_: val must be a number, got",
    )


# 3. generator=: what is not a generator is PyTorch's TypeError, naming the function
@pytest.mark.parametrize(
    "name, args, drawn_by",
    [
        ("uniform_", (), "uniform_"),
        ("normal_", (), "normal_"),
        ("trunc_normal_", (), "trunc_normal_"),
        ("xavier_uniform_", (), "uniform_"),
        ("xavier_normal_", (), "normal_"),
        ("kaiming_uniform_", (), "uniform_"),
        ("kaiming_normal_", (), "normal_"),
        ("orthogonal_", (), "orthogonal_"),
        ("sparse_", (0.5,), "sparse_"),
    ],
)
def test_a_generator_that_is_not_one_is_refused_as_torch(name, args, drawn_by):
    _refused_as_torch(
        lambda: getattr(torch.nn.init, name)(torch.zeros(3, 3), *args, generator=5),
        lambda: getattr(init, name)(xpnet.zeros(3, 3), *args, generator=5),
        rf"nn\.init\.{drawn_by}: generator must be a numpy\.random\.Generator or an "
        r"xpnet\.Generator, got int",
    )


# 4. the bound checks are PyTorch's RuntimeError too; refusals name their function
@pytest.mark.parametrize(
    "name, args, pattern",
    [
        ("uniform_", (3.0, -2.0), r"nn\.init\.uniform_: expects a <= b .* got a=3\.0, b=-2\.0"),
        ("uniform_", (-math.inf, 0.0), r"nn\.init\.uniform_: expects a <= b with b - a finite"),
        ("normal_", (0.0, -1.0), r"nn\.init\.normal_: expects std >= 0, got std=-1\.0"),
    ],
)
def test_draw_bounds_are_refused_with_torch_class(name, args, pattern):
    _refused_as_torch(
        lambda: getattr(torch.nn.init, name)(torch.zeros(3), *args),
        lambda: getattr(init, name)(xpnet.zeros(3), *args),
        pattern,
    )


@pytest.mark.parametrize(
    "name, shape, args, message",
    [
        ("eye_", (3,), (), "Only tensors with 2 dimensions are supported"),
        ("dirac_", (3, 3), (), "Only tensors with 3, 4, or 5 dimensions are supported"),
        ("dirac_", (3, 2, 3), (2,), "dim 0 must be divisible by groups, got 2"),
        ("orthogonal_", (3,), (), "Only tensors with 2 or more dimensions are supported"),
        ("sparse_", (2, 3, 4), (0.5,), "Only tensors with 2 dimensions are supported"),
    ],
)
def test_rank_refusals_name_the_function(name, shape, args, message):
    _refused_as_torch(
        lambda: getattr(torch.nn.init, name)(torch.zeros(shape), *args),
        lambda: getattr(init, name)(xpnet.zeros(*shape), *args),
        rf"nn\.init\.{name}: {message}",
    )
