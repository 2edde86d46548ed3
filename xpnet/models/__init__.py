"""CNNs built from :mod:`xpnet.nn`: the small models of ``xpnet train`` and the benchmarks
(:mod:`~xpnet.models.small`), and torchvision's classification models with torchvision's
builders, module names, ``state_dict`` keys and initialisation, so that a torchvision
``state_dict`` loads into them and gives the same logits: the ResNet family
(:mod:`~xpnet.models.resnet`: ResNet, ResNeXt, Wide ResNet), VGG (:mod:`~xpnet.models.vgg`),
AlexNet (:mod:`~xpnet.models.alexnet`), MobileNetV2 (:mod:`~xpnet.models.mobilenetv2`),
SqueezeNet (:mod:`~xpnet.models.squeezenet`), MobileNetV3 (:mod:`~xpnet.models.mobilenetv3`),
EfficientNet B0-B7 and V2 (:mod:`~xpnet.models.efficientnet`), DenseNet
(:mod:`~xpnet.models.densenet`), ShuffleNetV2 (:mod:`~xpnet.models.shufflenetv2`), MNASNet
(:mod:`~xpnet.models.mnasnet`) and RegNet (:mod:`~xpnet.models.regnet`).

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
from .densenet import DenseNet, densenet121, densenet161, densenet169, densenet201
from .efficientnet import (
    EfficientNet,
    efficientnet_b0,
    efficientnet_b1,
    efficientnet_b2,
    efficientnet_b3,
    efficientnet_b4,
    efficientnet_b5,
    efficientnet_b6,
    efficientnet_b7,
    efficientnet_v2_l,
    efficientnet_v2_m,
    efficientnet_v2_s,
)
from .mnasnet import MNASNet, mnasnet0_5, mnasnet0_75, mnasnet1_0, mnasnet1_3
from .mobilenetv2 import MobileNetV2, mobilenet_v2
from .mobilenetv3 import MobileNetV3, mobilenet_v3_large, mobilenet_v3_small
from .regnet import (
    RegNet,
    regnet_x_1_6gf,
    regnet_x_3_2gf,
    regnet_x_8gf,
    regnet_x_16gf,
    regnet_x_32gf,
    regnet_x_400mf,
    regnet_x_800mf,
    regnet_y_1_6gf,
    regnet_y_3_2gf,
    regnet_y_8gf,
    regnet_y_16gf,
    regnet_y_32gf,
    regnet_y_128gf,
    regnet_y_400mf,
    regnet_y_800mf,
)
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
from .shufflenetv2 import (
    ShuffleNetV2,
    shufflenet_v2_x0_5,
    shufflenet_v2_x1_0,
    shufflenet_v2_x1_5,
    shufflenet_v2_x2_0,
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
    "MobileNetV3",
    "mobilenet_v3_large",
    "mobilenet_v3_small",
    "EfficientNet",
    "efficientnet_b0",
    "efficientnet_b1",
    "efficientnet_b2",
    "efficientnet_b3",
    "efficientnet_b4",
    "efficientnet_b5",
    "efficientnet_b6",
    "efficientnet_b7",
    "efficientnet_v2_s",
    "efficientnet_v2_m",
    "efficientnet_v2_l",
    "DenseNet",
    "densenet121",
    "densenet161",
    "densenet169",
    "densenet201",
    "ShuffleNetV2",
    "shufflenet_v2_x0_5",
    "shufflenet_v2_x1_0",
    "shufflenet_v2_x1_5",
    "shufflenet_v2_x2_0",
    "MNASNet",
    "mnasnet0_5",
    "mnasnet0_75",
    "mnasnet1_0",
    "mnasnet1_3",
    "RegNet",
    "regnet_y_400mf",
    "regnet_y_800mf",
    "regnet_y_1_6gf",
    "regnet_y_3_2gf",
    "regnet_y_8gf",
    "regnet_y_16gf",
    "regnet_y_32gf",
    "regnet_y_128gf",
    "regnet_x_400mf",
    "regnet_x_800mf",
    "regnet_x_1_6gf",
    "regnet_x_3_2gf",
    "regnet_x_8gf",
    "regnet_x_16gf",
    "regnet_x_32gf",
]
