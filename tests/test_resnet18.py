"""``xpnet.models.resnet18`` against ``torchvision.models.resnet18`` (torchvision 0.28, the
test oracle): the state_dict keys, shapes and the forward pass are torchvision's. Weights go
both ways and the logits must agree to 1e-5 in float32, in eval mode (running statistics) and
in train mode (batch statistics). The other torchvision models: ``test_models_torchvision.py``.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from _torchvision import import_torchvision
from torch import nn as tnn

import xpnet
from xpnet import models

torchvision = import_torchvision()


def _torch_model(num_classes=10, seed=0):
    """A torchvision-layout ResNet-18 with random BN affine parameters and running stats
    (torchvision's init leaves them at 1 and 0, which would hide a mix-up)."""
    torch.manual_seed(seed)
    model = torchvision.models.resnet18(num_classes=num_classes)
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, tnn.BatchNorm2d):
                module.weight.uniform_(0.5, 1.5)
                module.bias.uniform_(-0.2, 0.2)
                module.running_mean.uniform_(-0.2, 0.2)
                module.running_var.uniform_(0.5, 2.0)
                module.num_batches_tracked.fill_(7)
    return model


def _to_xpnet(torch_model):
    return {key: value.numpy() for key, value in torch_model.state_dict().items()}


def _to_torch(model):
    return {key: torch.from_numpy(xpnet.to_numpy(v)) for key, v in model.state_dict().items()}


def _images(n=1, size=32, seed=1):
    return np.random.default_rng(seed).standard_normal((n, 3, size, size)).astype(np.float32)


def _logits(model, images):
    return xpnet.to_numpy(model(xpnet.Tensor(xpnet.asarray(images))).array)


def _assert_logits_close(actual, expected):
    scale = max(1.0, float(np.abs(expected).max()))  # 1e-5 relative to the largest logit
    np.testing.assert_allclose(actual, expected, rtol=0, atol=1e-5 * scale)


def test_state_dict_keys_and_shapes_are_torchvisions():
    model = models.resnet18(num_classes=10)
    expected = torchvision.models.resnet18(num_classes=10).state_dict()
    ours = model.state_dict()
    assert list(ours) == list(expected)
    for key, value in expected.items():
        assert tuple(ours[key].shape) == tuple(value.shape), key
        assert str(ours[key].dtype) == str(value.dtype).removeprefix("torch."), key
    names = [name for name, _ in model.named_children()]
    assert names == [*"conv1 bn1 relu maxpool".split(), "layer1", "layer2", "layer3", "layer4"] + [
        "avgpool",
        "fc",
    ]
    assert models.resnet18().fc.weight.shape == (1000, 512)  # torchvision's default classes


def test_torchvision_weights_give_the_same_logits(backend):
    torch_model = _torch_model().eval()
    model = models.resnet18(num_classes=10)
    model.load_state_dict(_to_xpnet(torch_model))
    model.eval()
    images = _images()
    with torch.no_grad():
        expected = torch_model(torch.from_numpy(images)).numpy()
    _assert_logits_close(_logits(model, images), expected)


def test_xpnet_weights_load_into_torchvision_train_mode(backend):
    """The other way, in train mode: batch statistics, and the running stats they update."""
    xpnet.manual_seed(3)
    model = models.resnet18(num_classes=7)
    torch_model = torchvision.models.resnet18(num_classes=7)
    torch_model.load_state_dict(_to_torch(model))
    images = _images(n=2, size=64, seed=2)
    with torch.no_grad():
        expected = torch_model.train()(torch.from_numpy(images)).numpy()
    _assert_logits_close(_logits(model.train(), images), expected)
    ours, theirs = model.state_dict(), torch_model.state_dict()
    for key in (
        "bn1.running_mean",
        "layer4.1.bn2.running_var",
        "layer2.0.downsample.1.running_mean",
    ):
        np.testing.assert_allclose(xpnet.to_numpy(ours[key]), theirs[key].numpy(), atol=1e-5)


def test_torchvision_init():
    xpnet.manual_seed(0)
    model = models.resnet18()
    # He-normal with fan_out: std = sqrt(2 / (out_channels * kh * kw))
    conv = xpnet.to_numpy(model.layer3[0].conv1.weight.array)
    assert abs(conv.mean()) < 2e-3
    assert conv.std() == pytest.approx(math.sqrt(2 / (256 * 9)), rel=0.02)
    stem = xpnet.to_numpy(model.conv1.weight.array)
    assert stem.std() == pytest.approx(math.sqrt(2 / (64 * 49)), rel=0.05)
    for bn in (model.bn1, model.layer4[1].bn2, model.layer2[0].downsample[1]):
        assert (xpnet.to_numpy(bn.weight.array) == 1).all()
        assert (xpnet.to_numpy(bn.bias.array) == 0).all()
    # nn.Linear's default init (torchvision leaves fc alone): U(-1/sqrt(512), 1/sqrt(512))
    fc = xpnet.to_numpy(model.fc.weight.array)
    bound = 1 / math.sqrt(512)
    assert np.abs(fc).max() <= bound
    assert np.abs(fc).max() > 0.9 * bound
    zeroed = models.resnet18(zero_init_residual=True)
    assert (xpnet.to_numpy(zeroed.layer1[0].bn2.weight.array) == 0).all()
    assert (xpnet.to_numpy(zeroed.layer1[0].bn1.weight.array) == 1).all()


def test_blocks_and_downsample_layout():
    model = models.resnet18()
    assert model.layer1[0].downsample is None
    for layer, planes in ((model.layer2, 128), (model.layer3, 256), (model.layer4, 512)):
        first, second = layer[0], layer[1]
        assert first.stride == 2 and first.conv1.stride == (2, 2)
        assert first.downsample[0].kernel_size == (1, 1)
        assert first.downsample[0].out_channels == planes
        assert second.downsample is None and second.stride == 1
    assert isinstance(model.layer1[1], models.TorchvisionBasicBlock)
    assert model.maxpool.kernel_size == 3 and model.maxpool.padding == 1


def test_a_wrong_state_dict_is_refused():
    model = models.resnet18(num_classes=10)
    state = _to_xpnet(torchvision.models.resnet18())
    with pytest.raises(RuntimeError, match="fc.weight"):
        model.load_state_dict(state)
    del state["fc.bias"]
    with pytest.raises(RuntimeError, match="fc.bias"):
        models.resnet18().load_state_dict(state)
