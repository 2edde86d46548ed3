"""torchvision's VGG family (``torchvision/models/vgg.py``): VGG-11, -13, -16 and -19, with
and without batch norm, with torchvision's builders, module names, ``state_dict`` keys and
initialisation.

Simonyan and Zisserman, "Very Deep Convolutional Networks for Large-Scale Image
Recognition" (2014). The classifier's first layer takes ``512 * 7 * 7`` features whatever the
input size (the adaptive average pool makes 7x7), so inputs of 32x32 and more work.
"""

from __future__ import annotations

from .. import nn
from ._weights import check_no_weights

__all__ = [
    "VGG",
    "cfgs",
    "make_layers",
    "vgg11",
    "vgg11_bn",
    "vgg13",
    "vgg13_bn",
    "vgg16",
    "vgg16_bn",
    "vgg19",
    "vgg19_bn",
]

# torchvision's configurations: output channels of each 3x3 conv, "M" a 2x2 max pool
cfgs: dict[str, list] = {
    "A": [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "B": [64, 64, "M", 128, 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "D": [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"],
    "E": [64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M"]
    + [512, 512, 512, 512, "M", 512, 512, 512, 512, "M"],
}


class VGG(nn.Module):
    """torchvision's ``VGG``: ``features``, a 7x7 adaptive average pool, and a classifier of
    three linear layers (4096, 4096, ``num_classes``) with ReLU and dropout between them.

    Initialisation as torchvision's (with ``init_weights``): convs He-normal (``fan_out``,
    ReLU gain) with zero bias, batch norms weight 1 and bias 0, linear layers N(0, 0.01)
    with zero bias.

    Args:
        features: the convolutional part, e.g. :func:`make_layers`'s.
        num_classes: number of output logits. Default: 1000.
        init_weights: apply torchvision's initialisation (else the layers' defaults).
            Default: ``True``.
        dropout: the classifier's dropout probability. Default: 0.5.

    Shape:
        - Input: (N, 3, H, W), H and W at least 32 for the five pools of the standard configs
        - Output: (N, num_classes)
    """

    def __init__(
        self, features, num_classes: int = 1000, init_weights: bool = True, dropout: float = 0.5
    ):
        super().__init__()
        self.features = features
        self.avgpool = nn.AdaptiveAvgPool2d((7, 7))
        self.classifier = nn.Sequential(
            nn.Linear(512 * 7 * 7, 4096),
            nn.ReLU(True),
            nn.Dropout(p=dropout),
            nn.Linear(4096, 4096),
            nn.ReLU(True),
            nn.Dropout(p=dropout),
            nn.Linear(4096, num_classes),
        )
        if init_weights:
            self._init_weights()

    def _init_weights(self) -> None:
        for module in self.modules():
            if isinstance(module, nn.Conv2d):
                nn.init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")
                if module.bias is not None:
                    nn.init.constant_(module.bias, 0)
            elif isinstance(module, nn.BatchNorm2d):
                nn.init.constant_(module.weight, 1)
                nn.init.constant_(module.bias, 0)
            elif isinstance(module, nn.Linear):
                nn.init.normal_(module.weight, 0, 0.01)
                nn.init.constant_(module.bias, 0)

    def forward(self, x):
        return self.classifier(self.avgpool(self.features(x)).flatten(1))


def make_layers(cfg: list, batch_norm: bool = False):
    """torchvision's VGG feature extractor for ``cfg`` (see :data:`cfgs`): 3x3 convs (padding
    1, with bias), each followed by a batch norm if ``batch_norm`` and a ReLU; "M" is a 2x2
    max pool.

    Example:
        >>> make_layers([8, "M"])
        Sequential(
          (0): Conv2d(3, 8, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))
          (1): ReLU(inplace=True)
          (2): MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)
        )
    """
    layers = []
    in_channels = 3
    for v in cfg:
        if v == "M":
            layers += [nn.MaxPool2d(kernel_size=2, stride=2)]
            continue
        conv2d = nn.Conv2d(in_channels, v, kernel_size=3, padding=1)
        if batch_norm:
            layers += [conv2d, nn.BatchNorm2d(v), nn.ReLU(inplace=True)]
        else:
            layers += [conv2d, nn.ReLU(inplace=True)]
        in_channels = v
    return nn.Sequential(*layers)


def _vgg(name: str, cfg: str, batch_norm: bool, weights, kwargs) -> VGG:
    check_no_weights(name, weights, kwargs)
    return VGG(make_layers(cfgs[cfg], batch_norm=batch_norm), **kwargs)


def vgg11(*, weights=None, progress: bool = True, **kwargs) -> VGG:
    """VGG-11 (configuration "A"), without batch norm.

    Args:
        weights: only ``None``: xpnet downloads no weights. To use torchvision's, load
            ``{k: v.numpy() for k, v in torchvision.models.vgg11(weights=...)
            .state_dict().items()}`` with :meth:`~xpnet.nn.Module.load_state_dict`.
        progress: accepted for torchvision's signature; unused.
        **kwargs: :class:`VGG`'s arguments (``num_classes``, ``init_weights``, ``dropout``).

    Raises:
        NotImplementedError: ``weights`` not ``None`` (or ``pretrained=True``).

    Example:
        >>> vgg11(weights="DEFAULT")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        NotImplementedError: vgg11: weights='DEFAULT' is not supported...
    """
    return _vgg("vgg11", "A", False, weights, kwargs)


def vgg11_bn(*, weights=None, progress: bool = True, **kwargs) -> VGG:
    """VGG-11 with batch norm; arguments as :func:`vgg11`.

    Example:
        >>> vgg11_bn(weights="DEFAULT")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        NotImplementedError: vgg11_bn: weights='DEFAULT' is not supported...
    """
    return _vgg("vgg11_bn", "A", True, weights, kwargs)


def vgg13(*, weights=None, progress: bool = True, **kwargs) -> VGG:
    """VGG-13 (configuration "B"), without batch norm; arguments as :func:`vgg11`.

    Example:
        >>> vgg13(weights="DEFAULT")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        NotImplementedError: vgg13: weights='DEFAULT' is not supported...
    """
    return _vgg("vgg13", "B", False, weights, kwargs)


def vgg13_bn(*, weights=None, progress: bool = True, **kwargs) -> VGG:
    """VGG-13 with batch norm; arguments as :func:`vgg11`.

    Example:
        >>> vgg13_bn(weights="DEFAULT")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        NotImplementedError: vgg13_bn: weights='DEFAULT' is not supported...
    """
    return _vgg("vgg13_bn", "B", True, weights, kwargs)


def vgg16(*, weights=None, progress: bool = True, **kwargs) -> VGG:
    """VGG-16 (configuration "D"), without batch norm; arguments as :func:`vgg11`.

    Example:
        >>> vgg16(weights="DEFAULT")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        NotImplementedError: vgg16: weights='DEFAULT' is not supported...
    """
    return _vgg("vgg16", "D", False, weights, kwargs)


def vgg16_bn(*, weights=None, progress: bool = True, **kwargs) -> VGG:
    """VGG-16 with batch norm; arguments as :func:`vgg11`.

    Example:
        >>> vgg16_bn(weights="DEFAULT")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        NotImplementedError: vgg16_bn: weights='DEFAULT' is not supported...
    """
    return _vgg("vgg16_bn", "D", True, weights, kwargs)


def vgg19(*, weights=None, progress: bool = True, **kwargs) -> VGG:
    """VGG-19 (configuration "E"), without batch norm; arguments as :func:`vgg11`.

    Example:
        >>> vgg19(weights="DEFAULT")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        NotImplementedError: vgg19: weights='DEFAULT' is not supported...
    """
    return _vgg("vgg19", "E", False, weights, kwargs)


def vgg19_bn(*, weights=None, progress: bool = True, **kwargs) -> VGG:
    """VGG-19 with batch norm; arguments as :func:`vgg11`.

    Example:
        >>> vgg19_bn(weights="DEFAULT")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        NotImplementedError: vgg19_bn: weights='DEFAULT' is not supported...
    """
    return _vgg("vgg19_bn", "E", True, weights, kwargs)
