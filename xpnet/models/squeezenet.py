"""torchvision's SqueezeNet 1.0 and 1.1 (``torchvision/models/squeezenet.py``), with its
builders, module names, ``state_dict`` keys and initialisation.

Iandola et al., "SqueezeNet: AlexNet-level accuracy with 50x fewer parameters and <0.5MB
model size" (2016); 1.1 is the variant with 2.4x less computation from the SqueezeNet
repository.
"""

from __future__ import annotations

from .. import cat, nn
from ._weights import check_no_weights

__all__ = ["Fire", "SqueezeNet", "squeezenet1_0", "squeezenet1_1"]


class Fire(nn.Module):
    """torchvision's Fire module: a 1x1 squeeze conv, then 1x1 and 3x3 expand convs whose
    outputs (each after a ReLU) are concatenated along the channels.

    Args:
        inplanes: input channels.
        squeeze_planes: the squeeze conv's output channels.
        expand1x1_planes, expand3x3_planes: the two expand convs' output channels.
    """

    def __init__(self, inplanes, squeeze_planes, expand1x1_planes, expand3x3_planes):
        super().__init__()
        self.inplanes = inplanes
        self.squeeze = nn.Conv2d(inplanes, squeeze_planes, kernel_size=1)
        self.squeeze_activation = nn.ReLU(inplace=True)
        self.expand1x1 = nn.Conv2d(squeeze_planes, expand1x1_planes, kernel_size=1)
        self.expand1x1_activation = nn.ReLU(inplace=True)
        self.expand3x3 = nn.Conv2d(squeeze_planes, expand3x3_planes, kernel_size=3, padding=1)
        self.expand3x3_activation = nn.ReLU(inplace=True)

    def forward(self, x):
        x = self.squeeze_activation(self.squeeze(x))
        one = self.expand1x1_activation(self.expand1x1(x))
        three = self.expand3x3_activation(self.expand3x3(x))
        return cat([one, three], 1)


def _pool():
    return nn.MaxPool2d(kernel_size=3, stride=2, ceil_mode=True)


def _features(version: str) -> list:
    if version == "1_0":
        return [
            *(nn.Conv2d(3, 96, kernel_size=7, stride=2), nn.ReLU(inplace=True), _pool()),
            *(Fire(96, 16, 64, 64), Fire(128, 16, 64, 64), Fire(128, 32, 128, 128), _pool()),
            *(Fire(256, 32, 128, 128), Fire(256, 48, 192, 192), Fire(384, 48, 192, 192)),
            *(Fire(384, 64, 256, 256), _pool(), Fire(512, 64, 256, 256)),
        ]
    if version == "1_1":
        return [
            *(nn.Conv2d(3, 64, kernel_size=3, stride=2), nn.ReLU(inplace=True), _pool()),
            *(Fire(64, 16, 64, 64), Fire(128, 16, 64, 64), _pool()),
            *(Fire(128, 32, 128, 128), Fire(256, 32, 128, 128), _pool()),
            *(Fire(256, 48, 192, 192), Fire(384, 48, 192, 192), Fire(384, 64, 256, 256)),
            Fire(512, 64, 256, 256),
        ]
    raise ValueError(f"Unsupported SqueezeNet version {version}: 1_0 or 1_1 expected")


class SqueezeNet(nn.Module):
    """torchvision's ``SqueezeNet``: a conv stem, Fire modules and 3x3/2 max pools (ceil
    mode), then dropout, a 1x1 conv to ``num_classes``, ReLU and global average pooling.

    Initialisation as torchvision's: the final conv N(0, 0.01), the other convs
    ``kaiming_uniform_`` with its defaults, all biases 0.

    Args:
        version: ``"1_0"`` or ``"1_1"``. Default: ``"1_0"``.
        num_classes: number of output logits. Default: 1000.
        dropout: the classifier's dropout probability. Default: 0.5.

    Shape:
        - Input: (N, 3, H, W), H and W at least 21 (1.0) or 17 (1.1)
        - Output: (N, num_classes)

    Raises:
        ValueError: an unknown ``version`` (torchvision's message).
    """

    def __init__(self, version: str = "1_0", num_classes: int = 1000, dropout: float = 0.5):
        super().__init__()
        self.num_classes = num_classes
        self.features = nn.Sequential(*_features(version))
        final_conv = nn.Conv2d(512, self.num_classes, kernel_size=1)
        self.classifier = nn.Sequential(
            nn.Dropout(p=dropout), final_conv, nn.ReLU(inplace=True), nn.AdaptiveAvgPool2d((1, 1))
        )
        for module in self.modules():
            if isinstance(module, nn.Conv2d):
                if module is final_conv:
                    nn.init.normal_(module.weight, mean=0.0, std=0.01)
                else:
                    nn.init.kaiming_uniform_(module.weight)
                if module.bias is not None:
                    nn.init.constant_(module.bias, 0)

    def forward(self, x):
        return self.classifier(self.features(x)).flatten(1)


def squeezenet1_0(*, weights=None, progress: bool = True, **kwargs) -> SqueezeNet:
    """SqueezeNet 1.0.

    Args:
        weights: only ``None``: xpnet downloads no weights. To use torchvision's, load
            ``{k: v.numpy() for k, v in torchvision.models.squeezenet1_0(weights=...)
            .state_dict().items()}`` with :meth:`~xpnet.nn.Module.load_state_dict`.
        progress: accepted for torchvision's signature; unused.
        **kwargs: :class:`SqueezeNet`'s arguments (``num_classes``, ``dropout``).

    Raises:
        NotImplementedError: ``weights`` not ``None`` (or ``pretrained=True``).

    Example:
        >>> import xpnet
        >>> model = squeezenet1_0(num_classes=10)
        >>> model(xpnet.zeros(2, 3, 32, 32)).shape
        (2, 10)
    """
    check_no_weights("squeezenet1_0", weights, kwargs)
    return SqueezeNet("1_0", **kwargs)


def squeezenet1_1(*, weights=None, progress: bool = True, **kwargs) -> SqueezeNet:
    """SqueezeNet 1.1: SqueezeNet 1.0's accuracy with 2.4x less computation; arguments as
    :func:`squeezenet1_0`.

    Example:
        >>> sum(p.numel() for p in squeezenet1_1().parameters())
        1235496
    """
    check_no_weights("squeezenet1_1", weights, kwargs)
    return SqueezeNet("1_1", **kwargs)
