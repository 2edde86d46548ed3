"""CNNs built from :mod:`xpnet.nn`: the small models of ``xpnet train`` and the benchmarks
(:mod:`~xpnet.models.small`), and torchvision's classification models with torchvision's
builders, module names, ``state_dict`` keys and initialisation, so that a torchvision
``state_dict`` loads into them and gives the same logits: the ResNet family
(:mod:`~xpnet.models.resnet`: ResNet, ResNeXt, Wide ResNet), VGG (:mod:`~xpnet.models.vgg`),
AlexNet (:mod:`~xpnet.models.alexnet`), MobileNetV2 (:mod:`~xpnet.models.mobilenetv2`) and
SqueezeNet (:mod:`~xpnet.models.squeezenet`).

xpnet downloads no weights: the builders take ``weights=None`` only. To use torchvision's
pretrained weights, load them, converted to arrays, with
:meth:`~xpnet.nn.Module.load_state_dict`::

    model = xpnet.models.resnet50()
    state = torchvision.models.resnet50(weights="DEFAULT").state_dict()
    model.load_state_dict({key: value.numpy() for key, value in state.items()})

In this namespace ``ResNet`` and ``BasicBlock`` are the small model's; torchvision's classes
are ``TorchvisionResNet``, ``TorchvisionBasicBlock`` and ``TorchvisionBottleneck`` here, and
``ResNet``, ``BasicBlock``, ``Bottleneck`` in :mod:`xpnet.models.resnet` (as in
``torchvision.models.resnet``).
"""

from __future__ import annotations

from .alexnet import AlexNet, alexnet
from .mobilenetv2 import MobileNetV2, mobilenet_v2
from .resnet import BasicBlock as TorchvisionBasicBlock
from .resnet import Bottleneck as TorchvisionBottleneck
from .resnet import ResNet as TorchvisionResNet
from .resnet import (
    resnet18,
    resnet34,
    resnet50,
    resnet101,
    resnet152,
    resnext50_32x4d,
    resnext101_32x8d,
    resnext101_64x4d,
    wide_resnet50_2,
    wide_resnet101_2,
)
from .small import BasicBlock, LeNet, ResNet
from .squeezenet import SqueezeNet, squeezenet1_0, squeezenet1_1
from .vgg import VGG, vgg11, vgg11_bn, vgg13, vgg13_bn, vgg16, vgg16_bn, vgg19, vgg19_bn

__all__ = [
    "VGG",
    "AlexNet",
    "BasicBlock",
    "MobileNetV2",
    "SqueezeNet",
    "LeNet",
    "ResNet",
    "TorchvisionBasicBlock",
    "TorchvisionBottleneck",
    "TorchvisionResNet",
    "resnet18",
    "resnet34",
    "resnet50",
    "resnet101",
    "resnet152",
    "resnext50_32x4d",
    "resnext101_32x8d",
    "resnext101_64x4d",
    "wide_resnet50_2",
    "wide_resnet101_2",
    "vgg11",
    "vgg11_bn",
    "vgg13",
    "vgg13_bn",
    "vgg16",
    "vgg16_bn",
    "vgg19",
    "vgg19_bn",
    "alexnet",
    "mobilenet_v2",
    "squeezenet1_0",
    "squeezenet1_1",
]
