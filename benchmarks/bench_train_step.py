"""One full training step (forward, loss, backward, SGD update) of the models of xpnet.models.

LeNet on a batch of 64 MNIST-sized images (1x28x28), the model ``xpnet train`` uses, and the
small ResNet-style model on 64 CIFAR-sized images (3x32x32). The PyTorch contender is the
same architecture built from ``torch.nn``.
"""

from __future__ import annotations

import functools

import numpy
import pytest
import torch

import xpnet
from xpnet import bench, models, nn, optim
from xpnet.autograd import Tensor

CASES = {"lenet": (models.LeNet, (64, 1, 28, 28)), "resnet": (models.ResNet, (64, 3, 32, 32))}


def _torch_conv_bn_relu(in_channels, out_channels, kernel_size, stride=1):
    padding = kernel_size // 2
    return [
        torch.nn.Conv2d(in_channels, out_channels, kernel_size, stride, padding, bias=False),
        torch.nn.BatchNorm2d(out_channels),
        torch.nn.ReLU(),
    ]


class TorchBasicBlock(torch.nn.Module):
    """The twin of :class:`xpnet.models.BasicBlock`."""

    def __init__(self, in_channels, out_channels, stride=1):
        super().__init__()
        self.body = torch.nn.Sequential(
            *_torch_conv_bn_relu(in_channels, out_channels, 3, stride),
            torch.nn.Conv2d(out_channels, out_channels, 3, 1, 1, bias=False),
            torch.nn.BatchNorm2d(out_channels),
        )
        self.shortcut = torch.nn.Identity()
        if stride != 1 or in_channels != out_channels:
            self.shortcut = torch.nn.Sequential(
                torch.nn.Conv2d(in_channels, out_channels, 1, stride, bias=False),
                torch.nn.BatchNorm2d(out_channels),
            )

    def forward(self, x):
        return torch.relu(self.body(x) + self.shortcut(x))


def torch_model(name: str, in_channels: int, image_size: int) -> torch.nn.Module:
    """The PyTorch twin of ``xpnet.models.<name>``."""
    if name == "lenet":
        return torch.nn.Sequential(
            *_torch_conv_bn_relu(in_channels, 32, 5),
            torch.nn.MaxPool2d(2),
            *_torch_conv_bn_relu(32, 64, 5),
            torch.nn.MaxPool2d(2),
            torch.nn.Flatten(),
            torch.nn.Linear(64 * (image_size // 4) ** 2, 10),
        )
    return torch.nn.Sequential(
        *_torch_conv_bn_relu(in_channels, 16, 3),
        TorchBasicBlock(16, 16),
        TorchBasicBlock(16, 32, 2),
        TorchBasicBlock(32, 64, 2),
        torch.nn.AdaptiveAvgPool2d(1),
        torch.nn.Flatten(),
        torch.nn.Linear(64, 10),
    )


def _batch(shape):
    rng = numpy.random.default_rng(0)
    return rng.standard_normal(shape).astype(numpy.float32), rng.integers(0, 10, shape[0])


def _xpnet_step(backend_name, name):
    model_class, shape = CASES[name]
    with xpnet.use_backend(backend_name) as backend:
        model = model_class(in_channels=shape[1], image_size=shape[2])
        optimizer = optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
        loss_fn = nn.CrossEntropyLoss()
        images, labels = (Tensor(backend.asarray(a)) for a in _batch(shape))

    def step():
        optimizer.zero_grad()
        loss_fn(model(images), labels).backward()
        optimizer.step()
        backend.synchronize()

    return step


def _torch_step(device, name):
    _, shape = CASES[name]
    model = torch_model(name, shape[1], shape[2]).to(device)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    images, labels = (torch.from_numpy(a).to(device) for a in _batch(shape))

    def step():
        optimizer.zero_grad()
        torch.nn.functional.cross_entropy(model(images), labels).backward()
        optimizer.step()
        if device == "cuda":
            torch.cuda.synchronize()  # GPU: wait for the queued kernels

    return step


@pytest.mark.parametrize("name", list(CASES))
def test_train_step(benchmark, contender, request, name):
    if isinstance(contender, bench.FloorContender):
        pytest.skip("a training step has no floor")
    if contender.name.startswith("xpnet-"):
        step = _xpnet_step(contender.name.removeprefix("xpnet-"), name)
    else:
        torch.backends.cudnn.allow_tf32 = contender.tf32  # GPU: TF32 as the contender says
        step = _torch_step(contender.device_name, name)
    benchmark.group = f"train_step {name} {'x'.join(map(str, CASES[name][1]))}"
    benchmark.extra_info.update(contender=contender.name, device=contender.device)
    settle = functools.partial(bench.settle, step)  # as in conftest.time_case
    rounds = request.config.getoption("--rounds")
    benchmark.pedantic(step, setup=settle, rounds=rounds, warmup_rounds=1)
