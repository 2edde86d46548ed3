"""``xpnet.ops.FeaturePyramidNetwork`` and its extra blocks against torchvision 0.28's (the
oracle): module tree, ``state_dict`` keys and shapes, initialisation, and the outputs with
torchvision's weights loaded, in float64, with and without a norm layer and extra levels.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from _torchvision import import_torchvision

import xpnet
from xpnet import nn, ops

torchvision = import_torchvision()
tv_ops = torchvision.ops


def _tensor(values, requires_grad=False):
    """A Tensor on the backend under test (``xpnet.tensor`` keeps a NumPy array on NumPy)."""
    return xpnet.tensor(xpnet.asarray(values), requires_grad=requires_grad)


IN_CHANNELS = [3, 6, 8]
SIZES = [16, 8, 3]  # the last is not half the one before: nearest upsampling to 8 x 8


def _pair(extra, norm):
    """torchvision's FPN and ours, with the same ``extra`` blocks (``None``, ``"pool"``,
    ``"p6p7"``, ``"p6p7-c5"``) and norm layer (``None`` or batch norm)."""
    blocks = {
        None: (None, None),
        "pool": (tv_ops.feature_pyramid_network.LastLevelMaxPool(), ops.LastLevelMaxPool()),
        "p6p7": (tv_ops.feature_pyramid_network.LastLevelP6P7(5, 5), ops.LastLevelP6P7(5, 5)),
        "p6p7-c5": (tv_ops.feature_pyramid_network.LastLevelP6P7(8, 5), ops.LastLevelP6P7(8, 5)),
    }[extra]
    theirs = tv_ops.FeaturePyramidNetwork(
        IN_CHANNELS, 5, blocks[0], torch.nn.BatchNorm2d if norm else None
    )
    ours = ops.FeaturePyramidNetwork(IN_CHANNELS, 5, blocks[1], nn.BatchNorm2d if norm else None)
    return theirs, ours


def _maps(seed=0):
    rng = np.random.default_rng(seed)
    return {
        f"c{i}": rng.normal(size=(2, c, s, s))
        for i, (c, s) in enumerate(zip(IN_CHANNELS, SIZES, strict=True))
    }


@pytest.mark.parametrize(
    ("extra", "norm"), [(None, False), ("pool", True), ("p6p7", False), ("p6p7-c5", False)]
)
def test_fpn_outputs_with_torchvision_weights(backend, extra, norm):
    theirs, ours = _pair(extra, norm)
    theirs = theirs.double().eval()
    with torch.no_grad():  # non-trivial norm statistics and biases
        for key, value in theirs.state_dict().items():
            if value.is_floating_point() and "weight" not in key:
                value.uniform_(0.5, 1.5)
    assert repr(ours) == repr(theirs)
    state = theirs.state_dict()
    assert list(ours.state_dict()) == list(state)
    ours = ours.double().eval()
    ours.load_state_dict({key: value.numpy() for key, value in state.items()})
    maps = _maps()
    result = ours({key: _tensor(value) for key, value in maps.items()})
    with torch.no_grad():
        expected = theirs({key: torch.from_numpy(value) for key, value in maps.items()})
    assert list(result) == list(expected)
    for key, value in expected.items():
        np.testing.assert_allclose(
            xpnet.to_numpy(result[key]), value.numpy(), rtol=1e-10, atol=1e-12
        )


def test_fpn_initialisation_and_errors(backend):
    fpn = ops.FeaturePyramidNetwork([64], 32, ops.LastLevelP6P7(32, 32))
    for key, value in fpn.state_dict().items():
        value = xpnet.to_numpy(value)
        if key.endswith("bias"):
            assert not value.any(), key
        else:  # kaiming_uniform_(a=1): U(-b, b) with b = sqrt(3 / fan_in)
            bound = np.sqrt(3.0 / (value[0].size))
            assert np.abs(value).max() <= bound, key
            assert abs(value.std() - bound / np.sqrt(3.0)) < 0.1 * bound, key
    with pytest.raises(ValueError, match="in_channels=0 is currently not supported"):
        ops.FeaturePyramidNetwork([4, 0], 8)
    with pytest.raises(TypeError, match="extra_blocks should be of type ExtraFPNBlock not"):
        ops.FeaturePyramidNetwork([4], 8, extra_blocks=nn.ReLU())
