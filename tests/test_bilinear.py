"""The bilinear map against PyTorch float64: output and all four gradients, leading axes,
dtypes, edge values, errors; ``Bilinear`` against torch.nn (init, repr, state_dict); a
hypothesis property test."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from _oracle import check_against_torch, random_input
from _strategies import PROFILE
from hypothesis import given
from hypothesis import strategies as st

import xpnet
import xpnet.kernels as K
import xpnet.nn as nn


def _check(backend, lead, in1, in2, out, bias=True, dtype=np.float64, seed=0, edit=None):
    arrays = [
        random_input((*lead, in1), seed=seed),
        random_input((*lead, in2), seed=seed + 1),
        random_input((out, in1, in2), seed=seed + 2),
        random_input((out,), seed=seed + 3) if bias else None,
    ]
    if edit is not None:
        edit(arrays)
    return check_against_torch(
        K.bilinear,
        lambda g, *a: K.bilinear_backward(g, *a),
        TF.bilinear,
        arrays,
        backend,
        dtype=dtype,
    )


@pytest.mark.parametrize("lead", [(5,), (2, 3), (), (0,)])
@pytest.mark.parametrize("bias", [True, False])
def test_bilinear_matches_torch(backend, lead, bias):
    _check(backend, lead, 3, 4, 2, bias)


@pytest.mark.parametrize("dtype", [np.float32, np.float16])
def test_bilinear_lower_precision(backend, dtype):
    _check(backend, (6,), 5, 3, 4, dtype=dtype)


def test_bilinear_empty_features_and_edges(backend):
    _check(backend, (3,), 2, 3, 0)  # out_features = 0: an empty output
    # in1 or in2_features = 0: PyTorch 2.13 fails in a reshape; xpnet returns the bias
    ones = [backend.xp.ones(s) for s in ((3, 2), (3, 0), (4, 2, 0))]
    bias = backend.xp.arange(4.0)
    output = backend.to_host(K.bilinear(*ones, bias))
    np.testing.assert_array_equal(output, np.broadcast_to(np.arange(4.0), (3, 4)))

    def special(arrays):
        arrays[0][0, 0], arrays[1][1, 2] = np.nan, np.inf
        arrays[2] *= 1e3

    _check(backend, (3,), 2, 3, 2, edit=special)


def test_bilinear_rejects_bad_arguments(backend):
    x1, x2 = backend.asarray(np.ones((5, 3))), backend.asarray(np.ones((5, 2)))
    w, b = backend.asarray(np.ones((4, 3, 2))), backend.asarray(np.ones(4))
    with pytest.raises(TypeError, match="^bilinear: input2 must be an array"):
        K.bilinear(x1, None, w)
    with pytest.raises(TypeError, match="^bilinear: input1 must be a floating"):
        K.bilinear(x1.astype(np.int64), x2, w)
    with pytest.raises(TypeError, match="^bilinear: input2 must have the dtype of input1"):
        K.bilinear(x1, x2.astype(np.float32), w)
    with pytest.raises(K.ArgumentError, match=r"^bilinear: weight must have 3 dimensions"):
        K.bilinear(x1, x2, w[0])
    with pytest.raises(K.ArgumentError, match=r"^bilinear: input1 and input2 must have the same b"):
        K.bilinear(x1, x2[:1], w)
    with pytest.raises(K.ArgumentError, match=r"^bilinear: input1 and input2 must have the same n"):
        K.bilinear(x1, x2[0], w)
    with pytest.raises(K.ArgumentError, match=r"^bilinear: input1's last dimension"):
        K.bilinear(x1, x2, w[:, :2])
    with pytest.raises(K.ArgumentError, match=r"^bilinear: input2's last dimension"):
        K.bilinear(x1, x2, w[..., :1])
    with pytest.raises(K.ArgumentError, match=r"^bilinear: bias must have shape"):
        K.bilinear(x1, x2, w, b[:3])
    with pytest.raises(K.ArgumentError, match=r"^bilinear_backward: grad_output must have"):
        K.bilinear_backward(backend.xp.ones((5, 3)), x1, x2, w, b)
    with pytest.raises(TypeError, match=r"^bilinear_backward: grad_output must be an array"):
        K.bilinear_backward(None, x1, x2, w, b)


@pytest.mark.parametrize("bias", [True, False])
def test_bilinear_module_matches_torch(backend, bias):
    xpnet.manual_seed(0)
    module = nn.Bilinear(3, 4, 2, bias=bias, device=backend.name, dtype=np.float64)
    reference = torch.nn.Bilinear(3, 4, 2, bias=bias, dtype=torch.float64)
    assert repr(module) == repr(reference)
    assert list(module.state_dict()) == list(reference.state_dict())
    bound = 1 / np.sqrt(3)
    for name, param in module.named_parameters():
        values = backend.to_host(param.array)
        assert values.shape == tuple(reference.state_dict()[name].shape)
        assert np.abs(values).max() <= bound and values.std() > 0
    reference.load_state_dict(
        {k: torch.tensor(backend.to_host(v)) for k, v in module.state_dict().items()}
    )
    x1_host, x2_host = random_input((2, 5, 3), seed=1), random_input((2, 5, 4), seed=2)
    x1 = xpnet.Tensor(backend.asarray(x1_host), requires_grad=True)
    t1 = torch.tensor(x1_host, requires_grad=True)
    output = module(x1, backend.asarray(x2_host))
    expected = reference(t1, torch.tensor(x2_host))
    np.testing.assert_allclose(backend.to_host(output.array), expected.detach().numpy(), 1e-12)
    (output * output).sum().backward()
    (expected * expected).sum().backward()
    np.testing.assert_allclose(backend.to_host(x1.grad.array), t1.grad.numpy(), 1e-12)
    np.testing.assert_allclose(
        backend.to_host(module.weight.grad.array), reference.weight.grad.numpy(), 1e-12
    )


def test_bilinear_module_rejects_bad_sizes():
    with pytest.raises(ValueError, match=r"in1_features must be > 0"):
        nn.Bilinear(0, 2, 3)
    with pytest.raises(TypeError, match=r"^Bilinear: in2_features must be an int"):
        nn.Bilinear(2, 2.0, 3)


@PROFILE
@given(
    lead=st.lists(st.integers(0, 3), max_size=2),
    in1=st.integers(1, 4),
    in2=st.integers(1, 4),
    out=st.integers(0, 3),
    bias=st.booleans(),
    seed=st.integers(0, 2**16),
)
def test_bilinear_property(backend, lead, in1, in2, out, bias, seed):
    _check(backend, tuple(lead), in1, in2, out, bias, seed=seed)
