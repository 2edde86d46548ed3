"""parametrizations.orthogonal against torch.nn.utils.parametrizations.orthogonal: state_dict
keys and repr, the initial weight and state, the weight and the original's gradient after the
same original values (each map, with and without trivialization, square, wide and tall Linear
weights and a Conv2d's batch of matrices), right_inverse, and the errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from _oracle import assert_close
from torch.nn.utils.parametrizations import orthogonal as torch_orthogonal

import xpnet
import xpnet.nn as nn
from xpnet.nn.utils.parametrizations import orthogonal

MAPS = ["matrix_exp", "cayley", "householder"]
LAYERS = {
    "square": lambda lib: lib.Linear(4, 4),
    "wide": lambda lib: lib.Linear(5, 3),
    "tall": lambda lib: lib.Linear(3, 5),
    "conv": lambda lib: lib.Conv2d(2, 3, (3, 2)),  # a (3, 2, 3, 2) weight: 3x2 matrices
}


def _pair(backend, layer, orthogonal_map, use_trivialization=True, seed=0):
    """The torch and xpnet layers with the same weights, both made orthogonal."""
    torch.manual_seed(seed)
    reference = LAYERS[layer](torch.nn).double()
    module = LAYERS[layer](nn).double()
    module.load_state_dict(
        {k: backend.asarray(v.detach().numpy()) for k, v in reference.state_dict().items()}
    )
    torch_orthogonal(reference, "weight", orthogonal_map, use_trivialization=use_trivialization)
    orthogonal(module, "weight", orthogonal_map, use_trivialization=use_trivialization)
    return reference, module


def _state(module, backend):
    return {k: backend.to_host(xpnet.Tensor(v).array) for k, v in module.state_dict().items()}


@pytest.mark.parametrize("use_trivialization", [True, False])
@pytest.mark.parametrize("orthogonal_map", MAPS)
@pytest.mark.parametrize("layer", list(LAYERS))
def test_orthogonal_matches_torch(backend, layer, orthogonal_map, use_trivialization):
    reference, module = _pair(backend, layer, orthogonal_map, use_trivialization)
    assert repr(module) == repr(reference)
    expected = {k: v.detach().numpy() for k, v in reference.state_dict().items()}
    assert _state(module, backend).keys() == expected.keys()
    # the initial weight: the original's QR (base) and -I, or the Householder form
    assert_close(
        backend.to_host(module.weight.array), reference.weight.detach().numpy(), np.float64
    )
    # the same original (and base) values: the same weight and gradient
    shape = expected["parametrizations.weight.original"].shape
    original = np.random.default_rng(1).normal(size=shape) * 2  # |diagonal| > 1: signs kept
    expected["parametrizations.weight.original"] = original
    reference.load_state_dict({k: torch.tensor(v) for k, v in expected.items()})
    module.load_state_dict({k: backend.asarray(v) for k, v in expected.items()})
    weight, reference_weight = module.weight, reference.weight
    assert_close(backend.to_host(weight.array), reference_weight.detach().numpy(), np.float64)
    grad = np.random.default_rng(2).normal(size=tuple(weight.shape))
    (weight * xpnet.Tensor(backend.asarray(grad))).sum().backward()
    (reference_weight * torch.tensor(grad)).sum().backward()
    assert_close(
        backend.to_host(module.parametrizations.weight.original.grad.array),
        reference.parametrizations.weight.original.grad.numpy(),
        np.float64,
    )


@pytest.mark.parametrize("orthogonal_map", MAPS)
def test_default_map_and_orthogonality(backend, orthogonal_map):
    for layer, default in (("square", "matrix_exp"), ("wide", "householder")):
        module = orthogonal(LAYERS[layer](nn).double())
        assert module.parametrizations.weight[0].orthogonal_map == default
    module = orthogonal(nn.Linear(6, 3).double(), orthogonal_map=orthogonal_map)
    W = backend.to_host(module.weight.array)
    np.testing.assert_allclose(W @ W.T, np.eye(3), atol=1e-12)


@pytest.mark.parametrize(
    ("orthogonal_map", "use_trivialization"), [(m, True) for m in MAPS] + [("householder", False)]
)
@pytest.mark.parametrize("layer", ["square", "wide"])
def test_right_inverse_assigns_an_orthogonal_matrix(
    backend, layer, orthogonal_map, use_trivialization
):
    """Assigning an orthogonal matrix to module.weight gives back that matrix, as PyTorch
    (the square case's state equal to PyTorch's too)."""
    reference, module = _pair(backend, layer, orthogonal_map, use_trivialization, seed=3)
    shape = tuple(reference.weight.shape)
    Q, _ = np.linalg.qr(np.random.default_rng(4).normal(size=(max(shape), min(shape))))
    Q = Q if shape[0] >= shape[1] else Q.T
    with torch.no_grad():
        reference.weight = torch.tensor(Q)
    module.weight = backend.asarray(Q)
    assert_close(backend.to_host(module.weight.array), Q, np.float64)
    assert_close(reference.weight.detach().numpy(), Q, np.float64)
    if layer == "square":
        expected = {k: v.detach().numpy() for k, v in reference.state_dict().items()}
        for key, value in _state(module, backend).items():
            assert_close(value, expected[key], np.float64, key)


def test_errors(backend):
    with pytest.raises(ValueError, match=r"orthogonal_map has to be one of .* Got: expm$"):
        orthogonal(nn.Linear(2, 2), orthogonal_map="expm")
    with pytest.raises(
        ValueError, match=r"^Expected a matrix or batch of matrices. Got a tensor of 1 dimensions"
    ):
        orthogonal(nn.Linear(2, 2), "bias")
    with pytest.raises(ValueError, match=r"has no parameter or buffer with name 'kernel'"):
        orthogonal(nn.Linear(2, 2), "kernel")
    module = orthogonal(nn.Linear(2, 3).double())
    with pytest.raises(
        ValueError, match=r"^Expected a matrix or batch of matrices of shape \(3, 2\)"
    ):
        module.weight = backend.asarray(np.zeros((2, 3)))
    module = orthogonal(nn.Linear(2, 2).double(), "weight", "cayley", use_trivialization=False)
    with pytest.raises(NotImplementedError, match=r"use_trivialization=False"):
        module.weight = backend.asarray(np.eye(2))
