"""Local response normalization against PyTorch float64: values and gradients, window sizes,
ranks, edge values, errors; the LocalResponseNorm module against torch.nn; a hypothesis
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


def _check(backend, x, kwargs, dtype=np.float64):
    return check_kernel_against_torch(backend, "local_response_norm", x, kwargs, dtype)


@pytest.mark.parametrize("shape", [(2, 5, 3), (2, 4, 3, 2), (1, 6, 2, 3, 2)])
@pytest.mark.parametrize("size", [1, 2, 3, 4, 9])
def test_local_response_norm_matches_torch(backend, shape, size):
    x = random_input(shape, seed=size) * 3
    _check(backend, x, {"size": size, "alpha": 0.3, "beta": 0.6, "k": 0.5})


@pytest.mark.parametrize("dtype", [np.float32, np.float16])
def test_local_response_norm_lower_precision_and_defaults(backend, dtype):
    _check(backend, random_input((2, 5, 4), seed=1) * 3, {"size": 3}, dtype)


def test_local_response_norm_edges(backend):
    """Zero inputs with k=0 (0 / 0: NaN), NaN and inf, large values, a negative beta."""
    x = random_input((2, 4, 3), seed=2) * 1e3
    x[0, 0, 0], x[0, 2, 1], x[1, 3, 2] = np.nan, np.inf, -np.inf
    _check(backend, x, {"size": 2, "alpha": 1.0, "beta": 0.75, "k": 1.0})
    _check(backend, np.zeros((1, 3, 2)), {"size": 2, "alpha": 1.0, "beta": 0.5, "k": 0.0})
    _check(backend, random_input((1, 3, 2), seed=3), {"size": 3, "beta": -0.5, "k": 2.0})


def test_local_response_norm_empty(backend):
    _check(backend, np.zeros((0, 3, 2)), {"size": 2})
    _check(backend, np.zeros((2, 0, 2)), {"size": 2})


def test_local_response_norm_rejects_bad_arguments(backend):
    x = backend.asarray(np.ones((1, 3, 2)))
    with pytest.raises(TypeError, match="^local_response_norm: input must be an array"):
        K.local_response_norm(None, 2)
    with pytest.raises(TypeError, match="^local_response_norm: input must be a floating"):
        K.local_response_norm(x.astype(np.int64), 2)
    with pytest.raises(K.ArgumentError, match=r"^local_response_norm: input must have 3 or"):
        K.local_response_norm(x[0], 2)
    with pytest.raises(TypeError, match="^local_response_norm: size must be an int"):
        K.local_response_norm(x, 2.0)
    with pytest.raises(K.ArgumentError, match="^local_response_norm: size must be at least 1"):
        K.local_response_norm(x, 0)
    with pytest.raises(TypeError, match="^local_response_norm: beta must be a number"):
        K.local_response_norm(x, 2, beta=None)
    with pytest.raises(K.ArgumentError, match="^local_response_norm_backward: grad_output"):
        K.local_response_norm_backward(x[..., :1], x, 2)
    with pytest.raises(TypeError, match="^local_response_norm_backward: grad_output must be"):
        K.local_response_norm_backward(None, x, 2)


def test_local_response_norm_module_matches_torch(backend):
    module, reference = (
        nn.LocalResponseNorm(3, 0.2, 0.5, 2.0),
        torch.nn.LocalResponseNorm(3, 0.2, 0.5, 2.0),
    )
    assert repr(module) == repr(reference)
    assert repr(nn.LocalResponseNorm(2)) == repr(torch.nn.LocalResponseNorm(2))
    assert module.state_dict().keys() == reference.state_dict().keys() == set()
    x_host = random_input((2, 5, 3, 2), seed=4)
    x = xpnet.Tensor(backend.asarray(x_host), requires_grad=True)
    tx = torch.tensor(x_host, requires_grad=True)
    output, expected = module(x), reference(tx)
    np.testing.assert_allclose(backend.to_host(output.array), expected.detach().numpy(), 1e-12)
    (output * output).sum().backward()
    (expected * expected).sum().backward()
    np.testing.assert_allclose(backend.to_host(x.grad.array), tx.grad.numpy(), 1e-12)


@PROFILE
@given(
    rank=st.integers(3, 5),
    channels=st.integers(1, 6),
    size=st.integers(1, 8),
    alpha=st.floats(0.0, 2.0),
    beta=st.floats(-1.0, 2.0),
    k=st.floats(0.1, 3.0),
    seed=st.integers(0, 2**16),
)
def test_local_response_norm_property(backend, rank, channels, size, alpha, beta, k, seed):
    shape = (2, channels, *[2] * (rank - 2))
    x = random_input(shape, seed=seed) * 2
    _check(backend, x, {"size": size, "alpha": alpha, "beta": beta, "k": k})
