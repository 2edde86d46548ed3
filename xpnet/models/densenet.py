"""torchvision's DenseNet (``torchvision/models/densenet.py``): DenseNet-121, -161, -169 and
-201, with their builders, module names, ``state_dict`` keys and initialisation.

Huang et al., "Densely Connected Convolutional Networks" (2017).
"""

from __future__ import annotations

from collections import OrderedDict

import xpnet

from .. import nn
from ..nn import functional as F
from ._weights import check_no_weights

__all__ = ["DenseNet", "densenet121", "densenet161", "densenet169", "densenet201"]


# the blocks' class names are torchvision's, underscores included: they are in the repr
class _DenseLayer(nn.Module):
    """torchvision's ``_DenseLayer``: BN-ReLU-1x1 conv to ``bn_size * growth_rate`` channels
    on the concatenated earlier features, then BN-ReLU-3x3 conv to ``growth_rate``, then
    dropout. ``memory_efficient`` (torchvision's checkpointing) is kept but computes the same
    values the ordinary way: xpnet does not recompute activations."""

    def __init__(
        self,
        num_input_features: int,
        growth_rate: int,
        bn_size: int,
        drop_rate: float,
        memory_efficient: bool = False,
    ):
        super().__init__()
        hidden = bn_size * growth_rate
        self.norm1 = nn.BatchNorm2d(num_input_features)
        self.relu1 = nn.ReLU(inplace=True)
        self.conv1 = nn.Conv2d(num_input_features, hidden, kernel_size=1, stride=1, bias=False)
        self.norm2 = nn.BatchNorm2d(hidden)
        self.relu2 = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(hidden, growth_rate, kernel_size=3, stride=1, padding=1, bias=False)
        self.drop_rate = float(drop_rate)
        self.memory_efficient = memory_efficient

    def forward(self, input):
        features = [input] if isinstance(input, xpnet.Tensor) else input
        bottleneck = self.conv1(self.relu1(self.norm1(xpnet.cat(features, 1))))
        new_features = self.conv2(self.relu2(self.norm2(bottleneck)))
        if self.drop_rate > 0:
            new_features = F.dropout(new_features, p=self.drop_rate, training=self.training)
        return new_features


class _DenseBlock(nn.ModuleDict):
    """torchvision's ``_DenseBlock``: ``denselayer1`` ... each seeing all earlier features;
    the output is all of them concatenated."""

    def __init__(
        self,
        num_layers: int,
        num_input_features: int,
        bn_size: int,
        growth_rate: int,
        drop_rate: float,
        memory_efficient: bool = False,
    ):
        super().__init__()
        for i in range(num_layers):
            layer = _DenseLayer(
                num_input_features + i * growth_rate,
                growth_rate,
                bn_size,
                drop_rate,
                memory_efficient,
            )
            self.add_module(f"denselayer{i + 1}", layer)

    def forward(self, init_features):
        features = [init_features]
        for layer in self.values():
            features.append(layer(features))
        return xpnet.cat(features, 1)


class _Transition(nn.Sequential):
    """torchvision's ``_Transition``: BN-ReLU-1x1 conv, then 2x2 average pooling."""

    def __init__(self, num_input_features: int, num_output_features: int):
        super().__init__()
        self.norm = nn.BatchNorm2d(num_input_features)
        self.relu = nn.ReLU(inplace=True)
        self.conv = nn.Conv2d(
            num_input_features, num_output_features, kernel_size=1, stride=1, bias=False
        )
        self.pool = nn.AvgPool2d(kernel_size=2, stride=2)


class DenseNet(nn.Module):
    """torchvision's ``DenseNet``: a 7x7/2 conv stem and max pooling, dense blocks with
    transitions halving the channels between them, a final norm, ReLU, global average pooling
    and a linear layer.

    Initialisation as torchvision's: convs He-normal (``fan_in``), norms weight 1 and bias 0,
    the linear layer's weight PyTorch's default and its bias 0.

    Args:
        growth_rate: channels each layer adds. Default: 32.
        block_config: layers per dense block. Default: (6, 12, 24, 16).
        num_init_features: the stem's channels. Default: 64.
        bn_size: the bottleneck's width, in growth rates. Default: 4.
        drop_rate: dropout after each layer. Default: 0.
        num_classes: number of output logits. Default: 1000.
        memory_efficient: accepted; computes the same values (no checkpointing). Default: ``False``.
    """

    def __init__(
        self,
        growth_rate: int = 32,
        block_config=(6, 12, 24, 16),
        num_init_features: int = 64,
        bn_size: int = 4,
        drop_rate: float = 0,
        num_classes: int = 1000,
        memory_efficient: bool = False,
    ):
        super().__init__()
        stem = [
            ("conv0", nn.Conv2d(3, num_init_features, 7, stride=2, padding=3, bias=False)),
            ("norm0", nn.BatchNorm2d(num_init_features)),
            ("relu0", nn.ReLU(inplace=True)),
            ("pool0", nn.MaxPool2d(kernel_size=3, stride=2, padding=1)),
        ]
        self.features = nn.Sequential(OrderedDict(stem))
        num_features = num_init_features
        for i, num_layers in enumerate(block_config):
            block = _DenseBlock(
                num_layers, num_features, bn_size, growth_rate, drop_rate, memory_efficient
            )
            self.features.add_module(f"denseblock{i + 1}", block)
            num_features = num_features + num_layers * growth_rate
            if i != len(block_config) - 1:
                transition = _Transition(num_features, num_features // 2)
                self.features.add_module(f"transition{i + 1}", transition)
                num_features = num_features // 2
        self.features.add_module("norm5", nn.BatchNorm2d(num_features))
        self.classifier = nn.Linear(num_features, num_classes)
        for module in self.modules():
            if isinstance(module, nn.Conv2d):
                nn.init.kaiming_normal_(module.weight)
            elif isinstance(module, nn.BatchNorm2d):
                nn.init.constant_(module.weight, 1)
                nn.init.constant_(module.bias, 0)
            elif isinstance(module, nn.Linear):
                nn.init.constant_(module.bias, 0)

    def forward(self, x):
        out = F.relu(self.features(x), inplace=True)
        out = F.adaptive_avg_pool2d(out, (1, 1))
        return self.classifier(out.flatten(1))


def _densenet(name, growth_rate, block_config, num_init_features, weights, kwargs) -> DenseNet:
    check_no_weights(name, weights, kwargs)
    return DenseNet(growth_rate, block_config, num_init_features, **kwargs)


def densenet121(*, weights=None, progress: bool = True, **kwargs) -> DenseNet:
    """DenseNet-121, torchvision's.

    Args:
        weights: only ``None``: xpnet downloads no weights. torchvision's pretrained
            DenseNet files use old key names (``norm.1``), which torchvision renames on
            loading; its models' ``state_dict`` (``norm1``) loads as it is.
        progress: accepted for torchvision's signature; unused.
        **kwargs: :class:`DenseNet`'s arguments (``num_classes``, ``drop_rate``, ...).

    Raises:
        NotImplementedError: ``weights`` not ``None`` (or ``pretrained=True``).

    Example:
        >>> import xpnet
        >>> densenet121(num_classes=10)(xpnet.zeros(2, 3, 32, 32)).shape
        (2, 10)
    """
    return _densenet("densenet121", 32, (6, 12, 24, 16), 64, weights, kwargs)


def densenet161(*, weights=None, progress: bool = True, **kwargs) -> DenseNet:
    """DenseNet-161, torchvision's: arguments as :func:`densenet121`'s.

    Raises:
        NotImplementedError: ``weights`` not ``None`` (or ``pretrained=True``).
    """
    return _densenet("densenet161", 48, (6, 12, 36, 24), 96, weights, kwargs)


def densenet169(*, weights=None, progress: bool = True, **kwargs) -> DenseNet:
    """DenseNet-169, torchvision's: arguments as :func:`densenet121`'s.

    Raises:
        NotImplementedError: ``weights`` not ``None`` (or ``pretrained=True``).
    """
    return _densenet("densenet169", 32, (6, 12, 32, 32), 64, weights, kwargs)


def densenet201(*, weights=None, progress: bool = True, **kwargs) -> DenseNet:
    """DenseNet-201, torchvision's: arguments as :func:`densenet121`'s.

    Raises:
        NotImplementedError: ``weights`` not ``None`` (or ``pretrained=True``).
    """
    return _densenet("densenet201", 32, (6, 12, 48, 32), 64, weights, kwargs)
