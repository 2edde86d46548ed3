"""``xpnet.models.resnet18`` against torchvision's ResNet-18 layout, rebuilt here in torch.nn.

torchvision is not a dependency: :class:`TorchBasicBlock` and :class:`TorchResNet18` below copy
its module definitions (torchvision/models/resnet.py) so that the state_dict keys, shapes and
the forward pass are torchvision's. Weights go both ways and the logits must agree to 1e-5 in
float32, in eval mode (running statistics) and in train mode (batch statistics).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch import nn as tnn

import xpnet
from xpnet import models


class TorchBasicBlock(tnn.Module):
    """torchvision.models.resnet.BasicBlock."""

    def __init__(self, inplanes, planes, stride=1, downsample=None):
        super().__init__()
        self.conv1 = tnn.Conv2d(inplanes, planes, 3, stride, 1, bias=False)
        self.bn1 = tnn.BatchNorm2d(planes)
        self.relu = tnn.ReLU(inplace=True)
        self.conv2 = tnn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = tnn.BatchNorm2d(planes)
        self.downsample = downsample

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        return self.relu(self.bn2(self.conv2(out)) + identity)


class TorchResNet18(tnn.Module):
    """torchvision.models.resnet.ResNet(BasicBlock, [2, 2, 2, 2])."""

    def __init__(self, num_classes=1000):
        super().__init__()
        self.inplanes = 64
        self.conv1 = tnn.Conv2d(3, 64, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = tnn.BatchNorm2d(64)
        self.relu = tnn.ReLU(inplace=True)
        self.maxpool = tnn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1 = self._make_layer(64, 2)
        self.layer2 = self._make_layer(128, 2, stride=2)
        self.layer3 = self._make_layer(256, 2, stride=2)
        self.layer4 = self._make_layer(512, 2, stride=2)
        self.avgpool = tnn.AdaptiveAvgPool2d((1, 1))
        self.fc = tnn.Linear(512, num_classes)

    def _make_layer(self, planes, blocks, stride=1):
        downsample = None
        if stride != 1 or self.inplanes != planes:
            downsample = tnn.Sequential(
                tnn.Conv2d(self.inplanes, planes, 1, stride=stride, bias=False),
                tnn.BatchNorm2d(planes),
            )
        layers = [TorchBasicBlock(self.inplanes, planes, stride, downsample)]
        self.inplanes = planes
        layers += [TorchBasicBlock(planes, planes) for _ in range(1, blocks)]
        return tnn.Sequential(*layers)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(self.avgpool(x), 1))


def _torch_model(num_classes=10, seed=0):
    """A torchvision-layout ResNet-18 with random BN affine parameters and running stats
    (torchvision's init leaves them at 1 and 0, which would hide a mix-up)."""
    torch.manual_seed(seed)
    model = TorchResNet18(num_classes)
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
    expected = TorchResNet18(10).state_dict()
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
    torch_model = TorchResNet18(7)
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
    state = _to_xpnet(TorchResNet18(1000))
    with pytest.raises(RuntimeError, match="fc.weight"):
        model.load_state_dict(state)
    del state["fc.bias"]
    with pytest.raises(RuntimeError, match="fc.bias"):
        models.resnet18().load_state_dict(state)
