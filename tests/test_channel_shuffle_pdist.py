"""channel_shuffle / native_channel_shuffle and the ChannelShuffle module, and pdist, against
PyTorch: outputs and gradients, edge cases (empty, NaN, zero distances, ties of the inf-norm),
errors, and property tests."""

from __future__ import annotations

import math

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
from xpnet import nn

SHUFFLES = ["channel_shuffle", "native_channel_shuffle"]


def check_shuffle(backend, name, shape, groups, dtype=np.float64):
    check_against_torch(
        lambda x: getattr(K, name)(x, groups),
        lambda g, x: getattr(K, f"{name}_backward")(g, x, groups),
        # torch's native_channel_shuffle has no derivative: channel_shuffle is the same map
        lambda x: TF.channel_shuffle(x, groups),
        [random_input(shape, 0)],
        backend,
        dtype=dtype,
    )


@pytest.mark.parametrize("name", SHUFFLES)
@pytest.mark.parametrize(
    "shape, groups",
    [((2, 6, 3, 4), 2), ((2, 6, 3, 4), 3), ((1, 6, 5), 6), ((3, 4, 2, 1, 2), 1), ((0, 4, 3), 2)],
)
@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.float16])
def test_channel_shuffle_matches_torch(backend, name, shape, groups, dtype):
    check_shuffle(backend, name, shape, groups, dtype)


def test_channel_shuffle_integers_and_non_contiguous(backend):
    x = np.arange(48).reshape(2, 4, 6)
    output = K.channel_shuffle(backend.asarray(x), 2)
    assert output.dtype == x.dtype
    expected = TF.channel_shuffle(torch.tensor(x), 2).numpy()
    np.testing.assert_array_equal(backend.to_host(output), expected)
    view = backend.asarray(x.astype(np.float64)).transpose(0, 1, 2)[:, :, ::2]
    np.testing.assert_array_equal(
        backend.to_host(K.channel_shuffle(view, 4)),
        TF.channel_shuffle(torch.tensor(x[:, :, ::2].astype(np.float64)), 4).numpy(),
    )


@pytest.mark.parametrize(
    "shape, groups, error, match",
    [
        ((2, 4, 3), 3, ValueError, "the number of channels must be divisible by groups, got 4"),
        ((2, 4, 3), 0, ValueError, "groups must be positive, got 0"),
        ((2, 4, 3), -2, ValueError, "groups must be positive, got -2"),
        ((2, 4), 2, ValueError, r"input must have more than 2 dimensions .* \(2, 4\)"),
        ((2, 4, 3), 2.0, TypeError, "groups must be an int"),
    ],
)
def test_channel_shuffle_refuses_what_torch_refuses(backend, shape, groups, error, match):
    for name in SHUFFLES:
        with pytest.raises((RuntimeError, TypeError)):
            getattr(TF, name)(torch.ones(shape), groups)
        with pytest.raises(error, match=rf"^{name}: {match}"):
            getattr(K, name)(backend.asarray(np.ones(shape)), groups)


def _shuffle_mistakes(name):
    valid = {"input": values_of((2, 4, 3)), "groups": 2}
    mistakes = [
        Invalid(name, valid, "2-d input", {"input": values_of((4, 4))}, "input"),
        Invalid(name, valid, "groups 0", {"groups": 0}, "groups"),
        Invalid(name, valid, "groups 3", {"groups": 3}, "groups"),
        Invalid(name, valid, "float groups", {"groups": 2.0}, "groups"),
        Invalid(name, valid, "bool groups", {"groups": True}, "groups"),
        Invalid(name, valid, "groups None", {"groups": None}, "groups"),
    ]
    common = common_mistakes(name, valid, ("input",), ("input",), (2, 4, 3))
    # any dtype shuffles, as PyTorch's (an integer input is no mistake)
    return mistakes + [case for case in common if "dtype" not in case.label]


@PROFILE
@pytest.mark.parametrize("name", SHUFFLES)
@given(data=st.data())
def test_channel_shuffles_reject_invalid_arguments(backend, name, data):
    check_rejected(backend, name, data.draw(st.sampled_from(_shuffle_mistakes(name)), label="case"))


@PROFILE
@given(
    batch=st.integers(0, 2),
    groups=st.integers(1, 4),
    per_group=st.integers(1, 3),
    spatial=st.lists(st.integers(1, 3), min_size=1, max_size=3),
)
def test_channel_shuffle_matches_torch_on_generated_shapes(
    backend, batch, groups, per_group, spatial
):
    check_shuffle(backend, "channel_shuffle", (batch, groups * per_group, *spatial), groups)


def test_channel_shuffle_module_matches_torch(backend):
    module, reference = nn.ChannelShuffle(3), torch.nn.ChannelShuffle(3)
    assert repr(module) == repr(reference) == "ChannelShuffle(groups=3)"
    assert list(module.state_dict()) == list(reference.state_dict()) == []
    x = random_input((2, 6, 2, 2), 0)
    tensor = xpnet.Tensor(backend.asarray(x), requires_grad=True)
    output = module(tensor)
    assert_close(backend.to_host(output.array), reference(torch.tensor(x)).numpy(), np.float64)
    (output * backend.asarray(x)).sum().backward()  # the gradient is x shuffled back
    inverse = TF.channel_shuffle(torch.tensor(x), 2).numpy()
    assert_close(backend.to_host(tensor.grad.array), inverse, np.float64)


# -- pdist ---------------------------------------------------------------------------------------

P_VALUES = [0.0, 0.5, 1.0, 1.5, 2.0, 3.0, math.inf]


def check_pdist(backend, x, p, dtype=np.float64):
    if x.shape[0] == 0 and x.shape[1]:  # torch.pdist's backward crashes here (segfault)
        grad = K.pdist_backward(backend.asarray(np.zeros(0)), backend.asarray(x), p)
        assert backend.to_host(grad).shape == x.shape
    check_against_torch(
        lambda t: K.pdist(t, p),
        None if x.shape[0] == 0 and x.shape[1] else lambda g, t: K.pdist_backward(g, t, p),
        lambda t: torch.pdist(t, p),
        [x],
        backend,
        dtype=dtype,
    )


@pytest.mark.parametrize("p", P_VALUES)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_pdist_matches_torch(backend, p, dtype):
    check_pdist(backend, random_input((5, 4), 0), p, dtype)


@pytest.mark.parametrize("p", P_VALUES)
def test_pdist_zero_distances_ties_and_kinks(backend, p):
    """Equal rows (distance 0: gradient 0), equal components (|d| = 0 below p = 1) and ties
    of the inf-norm (each tied component gets the whole gradient, as PyTorch's)."""
    x = np.array([[0.0, 1.0, -1.0], [0.0, 0.0, 0.0], [0.0, 1.0, -1.0], [1.0, 2.0, 0.0]])
    check_pdist(backend, x, p)


@pytest.mark.parametrize("p", P_VALUES)
def test_pdist_nan(backend, p):
    """With p = 0, a NaN difference makes the distance NaN (PyTorch's kernel, not norm's)."""
    x = np.array([[0.0, np.nan], [1.0, 0.0], [2.0, 1.0]])
    check_pdist(backend, x, p)


@pytest.mark.parametrize("p", P_VALUES)
def test_pdist_infinite_values(backend, p):
    """An infinite difference at an infinite inf-norm distance has a NaN gradient (its
    ``| |d| - distance |`` is NaN in PyTorch's formula)."""
    x = np.array([[np.inf, 1.0], [np.inf, 0.0], [-np.inf, 2.0], [1.0, 1.0]])
    check_pdist(backend, x, p)


@pytest.mark.parametrize("shape", [(1, 3), (0, 3), (3, 0), (2, 1)])
def test_pdist_small_and_empty(backend, shape):
    check_pdist(backend, random_input(shape, 0), 2.0)


def test_pdist_float16_computes_in_float32(backend):
    x = random_input((4, 3), 0).astype(np.float16)
    output = K.pdist(backend.asarray(x), 2)
    assert output.dtype == np.float16
    expected = torch.pdist(torch.tensor(x.astype(np.float64)))
    assert_close(backend.to_host(output), expected.numpy(), np.float16)
    grad = K.pdist_backward(backend.asarray(np.ones(6, np.float16)), backend.asarray(x), 2)
    assert grad.dtype == np.float16 and grad.shape == (4, 3)


def test_pdist_functional_gets_gradients(backend):
    x = xpnet.Tensor(backend.asarray(random_input((4, 2), 0)), requires_grad=True)
    xpnet.nn.functional.pdist(x, 1.5).sum().backward()
    reference = torch.tensor(random_input((4, 2), 0), requires_grad=True)
    torch.pdist(reference, 1.5).sum().backward()
    assert_close(backend.to_host(x.grad.array), reference.grad.numpy(), np.float64)


@pytest.mark.parametrize(
    "shape, p, error, match",
    [
        ((2, 3, 4), 2.0, ValueError, r"input must have 2 dimensions \(N, M\), got shape"),
        ((3,), 2.0, ValueError, "input must have 2 dimensions"),
        ((3, 2), -1.0, ValueError, "p must be non-negative, got -1.0"),
        ((3, 2), "2", TypeError, "p must be a number"),
    ],
)
def test_pdist_refuses_what_torch_refuses(backend, shape, p, error, match):
    with pytest.raises((RuntimeError, TypeError)):
        torch.pdist(torch.ones(shape), p)
    with pytest.raises(error, match=rf"^pdist: {match}"):
        K.pdist(backend.asarray(np.ones(shape)), p)
    with pytest.raises(TypeError, match="pdist: input must be a floating-point array"):
        K.pdist(backend.asarray(np.ones((3, 2), np.int64)))


def _pdist_mistakes():
    valid = {"input": values_of((4, 3)), "p": 2.0}
    mistakes = [
        Invalid("pdist", valid, "3-d input", {"input": values_of((2, 2, 2))}, "input"),
        Invalid("pdist", valid, "negative p", {"p": -0.5}, "p"),
        Invalid("pdist", valid, "p None", {"p": None}, "p"),
        Invalid("pdist", valid, "bool p", {"p": True}, "p"),
    ]
    return mistakes + common_mistakes("pdist", valid, ("input",), ("input",), (6,))


@PROFILE
@given(data=st.data())
def test_pdist_rejects_invalid_arguments(backend, data):
    check_rejected(backend, "pdist", data.draw(st.sampled_from(_pdist_mistakes()), label="case"))


@PROFILE
@given(
    N=st.integers(0, 5),
    M=st.integers(0, 4),
    p=st.sampled_from(P_VALUES),
    seed=st.integers(0, 2**16),
)
def test_pdist_matches_torch_on_generated_shapes(backend, N, M, p, seed):
    check_pdist(backend, random_input((N, M), seed), p)
