"""CNNs built from :mod:`xpnet.nn`: the models of ``xpnet train`` and the benchmarks, and
torchvision's ResNet-18.

``xpnet train`` picks one by name (``MODELS`` in :mod:`xpnet.train.config`);
``benchmarks/bench_train_step.py`` times a training step of :class:`LeNet`.
:func:`resnet18` has torchvision's module names and init, so that a torchvision
``resnet18().state_dict()`` loads into it and gives the same logits.
"""

from __future__ import annotations

from . import nn

__all__ = [
    "BasicBlock",
    "LeNet",
    "ResNet",
    "TorchvisionBasicBlock",
    "TorchvisionResNet",
    "resnet18",
]


def _conv_bn_relu(in_channels: int, out_channels: int, kernel_size: int, stride: int = 1):
    # no conv bias: the batch norm that follows subtracts the mean anyway
    return [
        nn.Conv2d(in_channels, out_channels, kernel_size, stride, kernel_size // 2, bias=False),
        nn.BatchNorm2d(out_channels),
        nn.ReLU(),
    ]


class LeNet(nn.Module):
    """A LeNet-style CNN: two conv(5x5)-BN-ReLU-maxpool(2) blocks, then one linear layer.

    On 28x28 MNIST the convolutions are 1->32 channels on 28x28 and 32->64 on 14x14, the
    shapes ``benchmarks/bench_conv.py`` times first.

    Args:
        in_channels: channels of the input images. Default: 1.
        num_classes: number of output logits. Default: 10.
        image_size: height (= width) of the input images, a multiple of 4. Default: 28.
        widths: output channels of the two conv blocks. Default: ``(32, 64)``.

    Shape:
        - Input: (N, in_channels, image_size, image_size)
        - Output: (N, num_classes)

    Example:
        >>> import xpnet
        >>> model = LeNet(image_size=8)
        >>> model(xpnet.autograd.Tensor(xp.zeros((2, 1, 8, 8), dtype="float32"))).shape
        (2, 10)
    """

    def __init__(self, in_channels=1, num_classes=10, image_size=28, widths=(32, 64)):
        super().__init__()
        if image_size % 4:
            msg = f"LeNet: image_size must be a multiple of 4, got {image_size}"
            raise ValueError(msg)
        first, second = widths
        self.features = nn.Sequential(
            *_conv_bn_relu(in_channels, first, 5),
            nn.MaxPool2d(2),
            *_conv_bn_relu(first, second, 5),
            nn.MaxPool2d(2),
        )
        self.classifier = nn.Linear(second * (image_size // 4) ** 2, num_classes)

    def forward(self, x):
        return self.classifier(self.features(x).flatten(1))


class BasicBlock(nn.Module):
    """ResNet's basic block: ``relu(bn(conv(relu(bn(conv(x))))) + shortcut(x))``.

    The shortcut is the identity, or a strided 1x1 conv + BN when the shape changes
    (He et al., "Deep Residual Learning for Image Recognition", 2015, option B).

    Args:
        in_channels: input channels.
        out_channels: output channels.
        stride: stride of the first 3x3 conv (and of the shortcut). Default: 1.
    """

    def __init__(self, in_channels: int, out_channels: int, stride: int = 1):
        super().__init__()
        self.body = nn.Sequential(
            *_conv_bn_relu(in_channels, out_channels, 3, stride),
            nn.Conv2d(out_channels, out_channels, 3, 1, 1, bias=False),
            nn.BatchNorm2d(out_channels),
        )
        self.shortcut = None
        if stride != 1 or in_channels != out_channels:
            self.shortcut = nn.Sequential(
                nn.Conv2d(in_channels, out_channels, 1, stride, bias=False),
                nn.BatchNorm2d(out_channels),
            )
        self.relu = nn.ReLU()

    def forward(self, x):
        skip = x if self.shortcut is None else self.shortcut(x)
        return self.relu(self.body(x) + skip)


class ResNet(nn.Module):
    """A small ResNet: a 3x3 stem, three basic blocks (the last two halve the size), then
    global average pooling and a linear layer.

    Args:
        in_channels: channels of the input images. Default: 1.
        num_classes: number of output logits. Default: 10.
        image_size: unused (any size works thanks to the global pooling); accepted so
            that every model of ``xpnet train`` is built the same way. Default: 28.
        widths: channels of the three stages. Default: ``(16, 32, 64)``.

    Shape:
        - Input: (N, in_channels, H, W)
        - Output: (N, num_classes)
    """

    def __init__(self, in_channels=1, num_classes=10, image_size=28, widths=(16, 32, 64)):
        super().__init__()
        first, second, third = widths
        self.stem = nn.Sequential(*_conv_bn_relu(in_channels, first, 3))
        self.blocks = nn.Sequential(
            BasicBlock(first, first),
            BasicBlock(first, second, stride=2),
            BasicBlock(second, third, stride=2),
        )
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(third, num_classes)

    def forward(self, x):
        return self.classifier(self.pool(self.blocks(self.stem(x))).flatten(1))


def _conv3x3(in_planes: int, out_planes: int, stride: int = 1):
    return nn.Conv2d(in_planes, out_planes, 3, stride=stride, padding=1, bias=False)


class TorchvisionBasicBlock(nn.Module):
    """torchvision's ``BasicBlock``: ``relu(bn2(conv2(relu(bn1(conv1(x))))) + identity)``.

    Module names as torchvision's (``conv1``, ``bn1``, ``relu``, ``conv2``, ``bn2``,
    ``downsample``), so ``state_dict`` keys match. ``identity`` is ``x``, or
    ``downsample(x)`` (a strided 1x1 conv + BN) when the shape changes.

    Args:
        inplanes: input channels.
        planes: output channels.
        stride: stride of ``conv1`` (and of ``downsample``). Default: 1.
        downsample: the shortcut module, or ``None`` for the identity. Default: ``None``.
    """

    expansion = 1

    def __init__(self, inplanes: int, planes: int, stride: int = 1, downsample=None):
        super().__init__()
        self.conv1 = _conv3x3(inplanes, planes, stride)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = _conv3x3(planes, planes)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = downsample
        self.stride = stride

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + identity)


class TorchvisionResNet(nn.Module):
    """torchvision's ``ResNet`` with basic blocks: a 7x7/2 stem and a 3x3/2 max pool, four
    stages (64, 128, 256, 512 channels; the last three halve the size), global average
    pooling and a linear layer. Module names, ``state_dict`` keys and init as torchvision's.

    Args:
        layers: blocks per stage, e.g. ``(2, 2, 2, 2)`` for ResNet-18.
        num_classes: number of output logits. Default: 1000.
        zero_init_residual: start every block's ``bn2`` weight at zero (each block then
            begins as the identity). Default: ``False``.
        in_channels: channels of the input images (torchvision: 3). Default: 3.

    Shape:
        - Input: (N, in_channels, H, W), H and W at least 1 (32 and more in practice)
        - Output: (N, num_classes)
    """

    def __init__(self, layers, num_classes=1000, zero_init_residual=False, in_channels=3):
        super().__init__()
        self.inplanes = 64
        self.conv1 = nn.Conv2d(in_channels, 64, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1 = self._make_layer(64, layers[0])
        self.layer2 = self._make_layer(128, layers[1], stride=2)
        self.layer3 = self._make_layer(256, layers[2], stride=2)
        self.layer4 = self._make_layer(512, layers[3], stride=2)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(512 * TorchvisionBasicBlock.expansion, num_classes)
        self._init_weights(zero_init_residual)

    def _init_weights(self, zero_init_residual: bool) -> None:
        # torchvision's: He-normal convs (fan_out), BN at (1, 0), Linear left at its default
        for module in self.modules():
            if isinstance(module, nn.Conv2d):
                nn.init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(module, nn.BatchNorm2d | nn.GroupNorm):
                nn.init.constant_(module.weight, 1)
                nn.init.constant_(module.bias, 0)
        if zero_init_residual:
            for module in self.modules():
                if isinstance(module, TorchvisionBasicBlock):
                    nn.init.constant_(module.bn2.weight, 0)

    def _make_layer(self, planes: int, blocks: int, stride: int = 1):
        downsample = None
        if stride != 1 or self.inplanes != planes:
            downsample = nn.Sequential(
                nn.Conv2d(self.inplanes, planes, 1, stride=stride, bias=False),
                nn.BatchNorm2d(planes),
            )
        layers = [TorchvisionBasicBlock(self.inplanes, planes, stride, downsample)]
        self.inplanes = planes
        layers += [TorchvisionBasicBlock(planes, planes) for _ in range(1, blocks)]
        return nn.Sequential(*layers)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(self.avgpool(x).flatten(1))


def resnet18(num_classes: int = 1000, **kwargs) -> TorchvisionResNet:
    """ResNet-18 (He et al., 2015) in torchvision's layout: ``torchvision.models.resnet18()``'s
    module names, ``state_dict`` keys and init, without pretrained weights (load a torchvision
    ``state_dict``, converted to arrays, with :meth:`~xpnet.nn.Module.load_state_dict`).

    Args:
        num_classes: number of output logits. Default: 1000.
        **kwargs: ``zero_init_residual``, ``in_channels`` (see :class:`TorchvisionResNet`).

    Example:
        >>> import xpnet
        >>> model = resnet18(num_classes=10)
        >>> model(xpnet.Tensor(np.zeros((2, 3, 32, 32), dtype="float32"))).shape
        (2, 10)
        >>> "layer4.1.bn2.running_var" in model.state_dict()
        True
    """
    return TorchvisionResNet((2, 2, 2, 2), num_classes=num_classes, **kwargs)
