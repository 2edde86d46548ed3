"""The small CNNs of ``xpnet train`` and the benchmarks: :class:`LeNet` and a small
:class:`ResNet` (not torchvision's, which is :mod:`xpnet.models.resnet`).

``xpnet train`` picks one by name (``MODELS`` in :mod:`xpnet.train.config`);
``benchmarks/bench_train_step.py`` times a training step of :class:`LeNet`.
"""

from __future__ import annotations

from .. import nn

__all__ = ["BasicBlock", "LeNet", "ResNet"]


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
