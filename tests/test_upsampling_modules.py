"""UpsamplingNearest2d and UpsamplingBilinear2d against torch.nn (repr, attributes, values,
gradients), and the deprecated F.upsample, F.upsample_nearest, F.upsample_bilinear (their
warnings, results and gradients) against torch.nn.functional."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from _oracle import assert_close, random_input

import xpnet
import xpnet.nn as nn
import xpnet.nn.functional as F

MODULE_CASES = [
    ("UpsamplingNearest2d", {"scale_factor": 2}),
    ("UpsamplingNearest2d", {"size": (3, 7)}),
    ("UpsamplingBilinear2d", {"scale_factor": 2}),
    ("UpsamplingBilinear2d", {"size": 5}),
    ("UpsamplingBilinear2d", {"scale_factor": (1.5, 2)}),
]


def _compare(backend, ours, theirs, x):
    """Values and input gradients of ``ours`` (on Tensors) and ``theirs`` (torch)."""
    tensor = xpnet.Tensor(backend.asarray(x), requires_grad=True)
    out = ours(tensor)
    grad = random_input(out.shape, seed=1)
    out.backward(backend.asarray(grad))
    reference = torch.tensor(x, requires_grad=True)
    expected = theirs(reference)
    expected.backward(torch.tensor(grad))
    assert_close(backend.to_host(out.array), expected.detach().numpy(), np.float64)
    assert_close(backend.to_host(tensor.grad.array), reference.grad.numpy(), np.float64, "grad")


@pytest.mark.parametrize(("name", "kwargs"), MODULE_CASES)
def test_upsampling_modules_match_torch(backend, name, kwargs):
    module, reference = getattr(nn, name)(**kwargs), getattr(torch.nn, name)(**kwargs)
    assert repr(module) == repr(reference)
    assert module.state_dict() == {} and not reference.state_dict()
    for attribute in ("size", "scale_factor", "mode", "align_corners", "recompute_scale_factor"):
        assert getattr(module, attribute) == getattr(reference, attribute)
    _compare(backend, module, reference, random_input((2, 3, 3, 4), seed=0))


def test_upsampling_modules_are_upsample_with_fixed_modes():
    assert isinstance(nn.UpsamplingBilinear2d(scale_factor=2), nn.Upsample)
    assert nn.UpsamplingBilinear2d(size=3).align_corners is True
    assert nn.UpsamplingNearest2d(size=3).mode == "nearest"
    with pytest.raises(TypeError):
        nn.UpsamplingNearest2d(size=3, mode="bilinear")  # no mode argument, as PyTorch


@pytest.mark.parametrize(
    ("name", "kwargs"),
    [
        ("upsample", {"scale_factor": 2}),
        ("upsample", {"size": (5, 6), "mode": "bilinear", "align_corners": True}),
        ("upsample", {"size": 7, "mode": "nearest-exact"}),
        ("upsample_nearest", {"scale_factor": 3}),
        ("upsample_nearest", {"size": (2, 9)}),
        ("upsample_bilinear", {"scale_factor": 2}),
        ("upsample_bilinear", {"size": (4, 5)}),
    ],
)
def test_deprecated_upsample_functions_warn_and_match_torch(backend, name, kwargs):
    def ours(x):
        with pytest.warns(UserWarning, match=f"`nn.functional.{name}` is deprecated"):
            return getattr(F, name)(x, **kwargs)

    def theirs(x):
        with pytest.warns(UserWarning, match=f"`nn.functional.{name}` is deprecated"):
            return getattr(TF, name)(x, **kwargs)

    _compare(backend, ours, theirs, random_input((1, 2, 3, 4), seed=2))


def test_deprecated_upsample_functions_pass_interpolates_errors(backend):
    x = xpnet.Tensor(backend.asarray(np.zeros((1, 1, 2, 2))))
    with pytest.warns(UserWarning), pytest.raises(ValueError, match="exactly one of size"):
        F.upsample_bilinear(x)
    with pytest.warns(UserWarning), pytest.raises(ValueError, match="needs a 4-D input"):
        F.upsample(xpnet.Tensor(backend.asarray(np.zeros((1, 1, 2)))), 3, mode="bilinear")
