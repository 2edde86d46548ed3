"""Power-average pooling (``lp_pool1d/2d/3d``) against PyTorch float64: values and gradients,
options, zero windows, NaN/inf, errors; the LPPool modules against torch.nn; a hypothesis
property test."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from _oracle import check_kernel_against_torch, random_input
from _strategies import PROFILE
from hypothesis import given
from hypothesis import strategies as st

import xpnet
import xpnet.kernels as K
import xpnet.nn as nn

SHAPES = {1: (2, 3, 9), 2: (2, 3, 7, 6), 3: (2, 2, 5, 4, 5)}
INF = float("inf")
CASES = [
    (1, 2, {"kernel_size": 2}),
    (1, 3, {"kernel_size": 3, "stride": 2, "ceil_mode": True}),
    (2, 2, {"kernel_size": 2}),
    (2, 1.5, {"kernel_size": (3, 2), "stride": (2, 1)}),
    (2, 3, {"kernel_size": 3, "stride": 2, "ceil_mode": True}),
    (2, INF, {"kernel_size": 2, "stride": 1}),
    (2, -INF, {"kernel_size": 3, "stride": 2, "ceil_mode": True}),
    (2, -1.0, {"kernel_size": 2}),
    (3, 2, {"kernel_size": 2}),
    (3, 1, {"kernel_size": (3, 2, 3), "stride": (2, 1, 2), "ceil_mode": True}),
]


def _check(backend, nd, x, norm_type, kwargs, dtype=np.float64):
    return check_kernel_against_torch(
        backend, f"lp_pool{nd}d", x, {"norm_type": norm_type, **kwargs}, dtype
    )


@pytest.mark.parametrize("nd, norm_type, kwargs", CASES)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_lp_pool_matches_torch(backend, nd, norm_type, kwargs, dtype):
    x = random_input(SHAPES[nd], seed=nd)
    if norm_type not in (1, 3, INF, -INF):  # non-integer powers of negatives are NaN
        x = np.abs(x) + 0.1
    _check(backend, nd, x, norm_type, kwargs, dtype)


@pytest.mark.parametrize("norm_type", [2, 3, INF])
def test_lp_pool_float16_and_unbatched(backend, norm_type):
    x = np.abs(random_input(SHAPES[2][1:], seed=4)) + 0.1
    _check(backend, 2, x, norm_type, {"kernel_size": 2}, np.float16)


@pytest.mark.parametrize("norm_type", [2, 3, 1, 0.5, -1.0, INF, -INF])
def test_lp_pool_zero_windows_and_signs(backend, norm_type):
    """Windows of zeros (zero gradient, or NaN through p * 0 ** (p - 1)), of -0.0, negative
    sums (NaN for odd p), and one-element windows."""
    x = np.array([[[0.0, 0.0, -0.0, 0.0, -1.0, -2.0, 1.0, -1.0, 3.0, 0.0]]])
    _check(backend, 1, x, norm_type, {"kernel_size": 2})
    _check(backend, 1, x, norm_type, {"kernel_size": 3, "stride": 2, "ceil_mode": True})


@pytest.mark.parametrize("norm_type", [0.5, 1.5])
def test_lp_pool_negative_zero_through_torchs_sqrt(backend, norm_type):
    """PyTorch's pow runs exponents 0.5 and -0.5 as sqrt and 1 / sqrt: -0.0 gives -0.0 and
    -inf there (NumPy's power: +0.0, +inf). Found by the strict pass's property test."""
    x = np.array([[[-0.0, 0.3, 0.0, 0.5, -0.0, -0.0]]])
    _check(backend, 1, x, norm_type, {"kernel_size": 2, "stride": 1})


@pytest.mark.parametrize("norm_type", [2, 3, INF])
def test_lp_pool_nan_inf_and_large(backend, norm_type):
    x = random_input(SHAPES[2], seed=6) * 1e3
    x[0, 0, 0, 0], x[0, 1, 2, 2], x[1, 2, 4, 4] = np.nan, np.inf, -np.inf
    _check(backend, 2, x, norm_type, {"kernel_size": 2})


def test_lp_pool_empty_batch(backend):
    _check(backend, 2, np.zeros((0, 2, 4, 4)), 2, {"kernel_size": 2})


def test_lp_pool_rejects_bad_arguments(backend):
    x = backend.asarray(np.ones((1, 1, 4, 4)))
    with pytest.raises(TypeError, match="^lp_pool2d: input must be an array"):
        K.lp_pool2d(None, 2, 2)
    with pytest.raises(TypeError, match="^lp_pool2d: norm_type must be a number"):
        K.lp_pool2d(x, "2", 2)
    with pytest.raises(ZeroDivisionError, match="^lp_pool2d: norm_type must be non-zero"):
        K.lp_pool2d(x, 0, 2)
    with pytest.raises(TypeError, match="^lp_pool2d: input must be a floating-point"):
        K.lp_pool2d(x.astype(np.int64), 2, 2)
    with pytest.raises(K.ArgumentError, match="^lp_pool2d: input must have 3 or 4 dim"):
        K.lp_pool2d(x[0, 0], 2, 2)
    with pytest.raises(K.ArgumentError, match="^lp_pool1d: kernel_size must be at least 1"):
        K.lp_pool1d(x[0], 2, 0)
    with pytest.raises(K.ArgumentError, match="^lp_pool3d: "):
        K.lp_pool3d(x, INF, 5)
    with pytest.raises(K.ArgumentError, match="^lp_pool2d_backward: grad_output must have"):
        K.lp_pool2d_backward(backend.xp.ones((1, 1, 2, 3)), x, 2, 2)
    with pytest.raises(K.ArgumentError, match="^lp_pool2d_backward: grad_output must have"):
        K.lp_pool2d_backward(backend.xp.ones((1, 1, 2, 3)), x, INF, 2)
    with pytest.raises(TypeError, match="^lp_pool2d_backward: grad_output must have the dtype"):
        K.lp_pool2d_backward(backend.xp.ones((1, 1, 2, 2), dtype=np.float32), x, 2, 2)


@pytest.mark.parametrize("nd", [1, 2, 3])
@pytest.mark.parametrize("norm_type", [2, 1.5])
def test_lp_pool_modules_match_torch(backend, nd, norm_type):
    module = getattr(nn, f"LPPool{nd}d")(norm_type, 2, stride=1, ceil_mode=True)
    reference = getattr(torch.nn, f"LPPool{nd}d")(norm_type, 2, stride=1, ceil_mode=True)
    assert repr(module) == repr(reference)
    assert module.state_dict().keys() == reference.state_dict().keys() == set()
    x_host = np.abs(random_input(SHAPES[nd], seed=8)) + 0.1
    x = xpnet.Tensor(backend.asarray(x_host), requires_grad=True)
    tx = torch.tensor(x_host, requires_grad=True)
    output, expected = module(x), reference(tx)
    np.testing.assert_allclose(backend.to_host(output.array), expected.detach().numpy(), 1e-12)
    output.sum().backward()
    expected.sum().backward()
    np.testing.assert_allclose(backend.to_host(x.grad.array), tx.grad.numpy(), 1e-12)


@PROFILE
@given(
    nd=st.sampled_from([1, 2, 3]),
    norm_type=st.sampled_from([1, 2, 3, 1.5, 0.5, -2.0, INF, -INF]),
    kernel=st.integers(1, 3),
    stride=st.integers(1, 3),
    ceil_mode=st.booleans(),
    length=st.integers(3, 6),
    seed=st.integers(0, 2**16),
    special=st.sampled_from([None, 0.0, -0.0, np.nan, np.inf]),
)
def test_lp_pool_property(backend, nd, norm_type, kernel, stride, ceil_mode, length, seed, special):
    x = random_input((2, 2, *[length] * nd), seed=seed)
    if seed % 2:
        x = np.abs(x)
    if special is not None:
        x.reshape(-1)[seed % x.size] = special
    kwargs = {"kernel_size": kernel, "stride": stride, "ceil_mode": ceil_mode}
    _check(backend, nd, x, norm_type, kwargs)
