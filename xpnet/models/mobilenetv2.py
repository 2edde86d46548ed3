"""torchvision's MobileNetV2 (``torchvision/models/mobilenetv2.py``), with its builder, module
names (torchvision's ``Conv2dNormActivation`` blocks, from :mod:`xpnet.ops.misc`, included),
``state_dict`` keys and initialisation.

Sandler et al., "MobileNetV2: Inverted Residuals and Linear Bottlenecks" (2018).
"""

from __future__ import annotations

from .. import nn
from ..ops.misc import Conv2dNormActivation
from ._weights import check_no_weights

__all__ = [
    "Conv2dNormActivation",
    "InvertedResidual",
    "MobileNetV2",
    "init_classifier_weights",
    "make_divisible",
    "mobilenet_v2",
]


def make_divisible(v: float, divisor: int, min_value: int | None = None) -> int:
    """``v`` rounded to a multiple of ``divisor`` (at least ``min_value``, default
    ``divisor``), never more than 10 % below ``v``: torchvision's ``_make_divisible``, from
    TensorFlow's MobileNet.

    Example:
        >>> make_divisible(32 * 0.35, 8), make_divisible(1280 * 1.4, 8)
        (16, 1792)
    """
    min_value = divisor if min_value is None else min_value
    new_v = max(min_value, int(v + divisor / 2) // divisor * divisor)
    if new_v < 0.9 * v:
        new_v += divisor
    return new_v


class InvertedResidual(nn.Module):
    """torchvision's MobileNetV2 block: a 1x1 expansion to ``inp * expand_ratio`` channels
    (none if 1), a 3x3 depthwise conv with the stride, both with ReLU6, then a linear 1x1
    projection to ``oup`` and its norm; the input is added when the shape stays.

    Raises:
        ValueError: ``stride`` not 1 or 2 (torchvision's message).
    """

    def __init__(self, inp: int, oup: int, stride: int, expand_ratio: int, norm_layer=None):
        super().__init__()
        self.stride = stride
        if stride not in [1, 2]:
            raise ValueError(f"stride should be 1 or 2 instead of {stride}")
        norm_layer = nn.BatchNorm2d if norm_layer is None else norm_layer
        hidden_dim = int(round(inp * expand_ratio))
        self.use_res_connect = self.stride == 1 and inp == oup
        activation = {"norm_layer": norm_layer, "activation_layer": nn.ReLU6}
        layers = []
        if expand_ratio != 1:
            layers.append(Conv2dNormActivation(inp, hidden_dim, kernel_size=1, **activation))
        depthwise = Conv2dNormActivation(
            hidden_dim, hidden_dim, stride=stride, groups=hidden_dim, **activation
        )
        layers += [depthwise, nn.Conv2d(hidden_dim, oup, 1, 1, 0, bias=False), norm_layer(oup)]
        self.conv = nn.Sequential(*layers)
        self.out_channels = oup
        self._is_cn = stride > 1

    def forward(self, x):
        return x + self.conv(x) if self.use_res_connect else self.conv(x)


# torchvision's default: expansion t, output channels c, repeats n, first stride s
INVERTED_RESIDUAL_SETTING = [
    [1, 16, 1, 1],
    [6, 24, 2, 2],
    [6, 32, 3, 2],
    [6, 64, 4, 2],
    [6, 96, 3, 1],
    [6, 160, 3, 2],
    [6, 320, 1, 1],
]


def _normal_linear(linear) -> None:
    nn.init.normal_(linear.weight, 0, 0.01)


def init_classifier_weights(model: nn.Module, init_linear=_normal_linear) -> None:
    """torchvision's MobileNet/MNASNet-style initialisation: convs He-normal (``fan_out``)
    with zero bias, batch and group norms weight 1 and bias 0, linear layers' weights by
    ``init_linear`` (default N(0, 0.01); EfficientNet's is uniform) with zero bias."""
    for module in model.modules():
        if isinstance(module, nn.Conv2d):
            nn.init.kaiming_normal_(module.weight, mode="fan_out")
            if module.bias is not None:
                nn.init.zeros_(module.bias)
        elif isinstance(module, nn.BatchNorm2d | nn.GroupNorm):
            nn.init.ones_(module.weight)
            nn.init.zeros_(module.bias)
        elif isinstance(module, nn.Linear):
            init_linear(module)
            nn.init.zeros_(module.bias)


class MobileNetV2(nn.Module):
    """torchvision's ``MobileNetV2``: a 3x3/2 conv stem, the inverted residual blocks, a 1x1
    conv to ``last_channel`` (1280), global average pooling, dropout and a linear layer.

    Initialisation as torchvision's: convs He-normal (``fan_out``) with zero bias, norms
    weight 1 and bias 0, the linear layer N(0, 0.01) with zero bias.

    Args:
        num_classes: number of output logits. Default: 1000.
        width_mult: multiplies every layer's channels. Default: 1.0.
        inverted_residual_setting: ``[t, c, n, s]`` rows; default torchvision's.
        round_nearest: channels are rounded to multiples of it (1: no rounding). Default: 8.
        block: the block class. Default: :class:`InvertedResidual`.
        norm_layer: called with a channel count; default :class:`xpnet.nn.BatchNorm2d`.
        dropout: the classifier's dropout probability. Default: 0.2.

    Shape:
        - Input: (N, 3, H, W)
        - Output: (N, num_classes)
    """

    def __init__(
        self,
        num_classes: int = 1000,
        width_mult: float = 1.0,
        inverted_residual_setting=None,
        round_nearest: int = 8,
        block=None,
        norm_layer=None,
        dropout: float = 0.2,
    ):
        super().__init__()
        block = InvertedResidual if block is None else block
        norm_layer = nn.BatchNorm2d if norm_layer is None else norm_layer
        setting = inverted_residual_setting
        if setting is None:
            setting = INVERTED_RESIDUAL_SETTING
        if len(setting) == 0 or len(setting[0]) != 4:  # torchvision checks the first row only
            raise ValueError(
                f"inverted_residual_setting should be non-empty or a 4-element list, got {setting}"
            )
        input_channel = make_divisible(32 * width_mult, round_nearest)
        self.last_channel = make_divisible(1280 * max(1.0, width_mult), round_nearest)
        relu6 = {"norm_layer": norm_layer, "activation_layer": nn.ReLU6}
        features = [Conv2dNormActivation(3, input_channel, stride=2, **relu6)]
        for t, c, n, s in setting:
            output_channel = make_divisible(c * width_mult, round_nearest)
            for i in range(n):
                stride = s if i == 0 else 1
                features.append(
                    block(
                        input_channel, output_channel, stride, expand_ratio=t, norm_layer=norm_layer
                    )
                )
                input_channel = output_channel
        features.append(Conv2dNormActivation(input_channel, self.last_channel, 1, **relu6))
        self.features = nn.Sequential(*features)
        self.classifier = nn.Sequential(
            nn.Dropout(p=dropout), nn.Linear(self.last_channel, num_classes)
        )
        init_classifier_weights(self)

    def forward(self, x):
        x = nn.functional.adaptive_avg_pool2d(self.features(x), (1, 1))
        return self.classifier(x.flatten(1))


def mobilenet_v2(*, weights=None, progress: bool = True, **kwargs) -> MobileNetV2:
    """MobileNetV2, torchvision's.

    Args:
        weights: only ``None``: xpnet downloads no weights. To use torchvision's, load
            ``{k: v.numpy() for k, v in torchvision.models.mobilenet_v2(weights=...)
            .state_dict().items()}`` with :meth:`~xpnet.nn.Module.load_state_dict`.
        progress: accepted for torchvision's signature; unused.
        **kwargs: :class:`MobileNetV2`'s arguments (``num_classes``, ``width_mult``, ...).

    Raises:
        NotImplementedError: ``weights`` not ``None`` (or ``pretrained=True``).

    Example:
        >>> import xpnet
        >>> model = mobilenet_v2(num_classes=10, width_mult=0.25)
        >>> model(xpnet.zeros(2, 3, 32, 32)).shape
        (2, 10)
    """
    check_no_weights("mobilenet_v2", weights, kwargs)
    return MobileNetV2(**kwargs)
