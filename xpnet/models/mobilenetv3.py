"""torchvision's MobileNetV3 (``torchvision/models/mobilenetv3.py``), large and small, with
its builders, module names, ``state_dict`` keys and initialisation.

Howard et al., "Searching for MobileNetV3" (2019).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial

from .. import nn
from ..ops.misc import Conv2dNormActivation, SqueezeExcitation
from ._weights import check_no_weights
from .mobilenetv2 import init_classifier_weights, make_divisible

__all__ = [
    "InvertedResidual",
    "InvertedResidualConfig",
    "MobileNetV3",
    "mobilenet_v3_conf",
    "mobilenet_v3_large",
    "mobilenet_v3_small",
]


class InvertedResidualConfig:
    """One MobileNetV3 block's settings, channels scaled by ``width_mult`` (rounded to
    multiples of 8), as torchvision's: ``activation`` is ``"HS"`` (Hardswish) or ``"RE"``
    (ReLU)."""

    def __init__(
        self,
        input_channels: int,
        kernel: int,
        expanded_channels: int,
        out_channels: int,
        use_se: bool,
        activation: str,
        stride: int,
        dilation: int,
        width_mult: float,
    ):
        self.input_channels = self.adjust_channels(input_channels, width_mult)
        self.kernel = kernel
        self.expanded_channels = self.adjust_channels(expanded_channels, width_mult)
        self.out_channels = self.adjust_channels(out_channels, width_mult)
        self.use_se = use_se
        self.use_hs = activation == "HS"
        self.stride = stride
        self.dilation = dilation

    @staticmethod
    def adjust_channels(channels: int, width_mult: float) -> int:
        """``channels * width_mult`` rounded to a multiple of 8 (torchvision's)."""
        return make_divisible(channels * width_mult, 8)


class InvertedResidual(nn.Module):
    """torchvision's MobileNetV3 block: a 1x1 expansion (none when the channels stay), a
    depthwise conv (dilated instead of strided when ``dilation`` > 1), squeeze-excitation
    (Hardsigmoid) if ``use_se``, a linear 1x1 projection; the input added when the shape stays.

    Raises:
        ValueError: a stride other than 1 or 2 (torchvision's message).
    """

    def __init__(self, cnf: InvertedResidualConfig, norm_layer, se_layer=None):
        super().__init__()
        if not (1 <= cnf.stride <= 2):
            raise ValueError("illegal stride value")
        if se_layer is None:
            se_layer = partial(SqueezeExcitation, scale_activation=nn.Hardsigmoid)
        self.use_res_connect = cnf.stride == 1 and cnf.input_channels == cnf.out_channels
        norm = {"norm_layer": norm_layer}
        activation = {**norm, "activation_layer": nn.Hardswish if cnf.use_hs else nn.ReLU}
        expanded = cnf.expanded_channels
        layers = []
        if expanded != cnf.input_channels:
            layers.append(Conv2dNormActivation(cnf.input_channels, expanded, 1, **activation))
        stride = 1 if cnf.dilation > 1 else cnf.stride
        depthwise = Conv2dNormActivation(
            expanded,
            expanded,
            cnf.kernel,
            stride,
            None,
            expanded,
            dilation=cnf.dilation,
            **activation,
        )
        layers.append(depthwise)
        if cnf.use_se:
            layers.append(se_layer(expanded, make_divisible(expanded // 4, 8)))
        layers.append(
            Conv2dNormActivation(expanded, cnf.out_channels, 1, activation_layer=None, **norm)
        )
        self.block = nn.Sequential(*layers)
        self.out_channels = cnf.out_channels
        self._is_cn = cnf.stride > 1

    def forward(self, input):
        result = self.block(input)
        return result + input if self.use_res_connect else result


class MobileNetV3(nn.Module):
    """torchvision's ``MobileNetV3``: a 3x3/2 Hardswish stem, the blocks, a 1x1 conv to 6x
    the last block's channels, global average pooling, and a Linear-Hardswish-Dropout-Linear
    classifier through ``last_channel``.

    Args:
        inverted_residual_setting: the blocks' :class:`InvertedResidualConfig`.
        last_channel: the classifier's hidden size.
        num_classes: number of output logits. Default: 1000.
        block: the block class. Default: :class:`InvertedResidual`.
        norm_layer: called with a channel count; default BatchNorm2d(eps=0.001, momentum=0.01).
        dropout: the classifier's dropout probability. Default: 0.2.
        **kwargs: ignored (the builders' ``width_mult``, ``reduced_tail``, ``dilated``).

    Raises:
        ValueError: an empty setting. TypeError: one not a list of configs.
    """

    def __init__(
        self,
        inverted_residual_setting,
        last_channel: int,
        num_classes: int = 1000,
        block=None,
        norm_layer=None,
        dropout: float = 0.2,
        **kwargs,
    ):
        super().__init__()
        setting = inverted_residual_setting
        if not setting:
            raise ValueError("The inverted_residual_setting should not be empty")
        if not (
            isinstance(setting, Sequence)
            and all(isinstance(s, InvertedResidualConfig) for s in setting)
        ):
            raise TypeError("The inverted_residual_setting should be List[InvertedResidualConfig]")
        block = InvertedResidual if block is None else block
        if norm_layer is None:
            norm_layer = partial(nn.BatchNorm2d, eps=0.001, momentum=0.01)
        hardswish = {"norm_layer": norm_layer, "activation_layer": nn.Hardswish}
        layers = [Conv2dNormActivation(3, setting[0].input_channels, 3, 2, **hardswish)]
        layers += [block(cnf, norm_layer) for cnf in setting]
        lastconv_input_channels = setting[-1].out_channels
        lastconv_output_channels = 6 * lastconv_input_channels
        layers.append(
            Conv2dNormActivation(lastconv_input_channels, lastconv_output_channels, 1, **hardswish)
        )
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Sequential(
            nn.Linear(lastconv_output_channels, last_channel),
            nn.Hardswish(inplace=True),
            nn.Dropout(p=dropout, inplace=True),
            nn.Linear(last_channel, num_classes),
        )
        init_classifier_weights(self)

    def forward(self, x):
        return self.classifier(self.avgpool(self.features(x)).flatten(1))


# torchvision's tables: input channels, kernel, expanded, output channels, SE, activation,
# stride; the last three rows (C4) take reduced_tail's divider and dilated's dilation
_LARGE = [
    (16, 3, 16, 16, False, "RE", 1),
    (16, 3, 64, 24, False, "RE", 2),
    (24, 3, 72, 24, False, "RE", 1),
    (24, 5, 72, 40, True, "RE", 2),
    (40, 5, 120, 40, True, "RE", 1),
    (40, 5, 120, 40, True, "RE", 1),
    (40, 3, 240, 80, False, "HS", 2),
    (80, 3, 200, 80, False, "HS", 1),
    (80, 3, 184, 80, False, "HS", 1),
    (80, 3, 184, 80, False, "HS", 1),
    (80, 3, 480, 112, True, "HS", 1),
    (112, 3, 672, 112, True, "HS", 1),
]
_SMALL = [
    (16, 3, 16, 16, True, "RE", 2),
    (16, 3, 72, 24, False, "RE", 2),
    (24, 3, 88, 24, False, "RE", 1),
    (24, 5, 96, 40, True, "HS", 2),
    (40, 5, 240, 40, True, "HS", 1),
    (40, 5, 240, 40, True, "HS", 1),
    (40, 5, 120, 48, True, "HS", 1),
    (48, 5, 144, 48, True, "HS", 1),
]
# the tails (C4, C5): the first block's input and expanded channels, the next two's expanded
# channels, the output channels, last_channel; all but the first two halved by reduced_tail
_TAILS = {
    "mobilenet_v3_large": (112, 672, 960, 160, 1280),
    "mobilenet_v3_small": (48, 288, 576, 96, 1024),
}


def mobilenet_v3_conf(
    arch: str, width_mult: float = 1.0, reduced_tail: bool = False, dilated: bool = False, **kwargs
):
    """torchvision's ``_mobilenet_v3_conf``: the blocks' configs and ``last_channel`` of
    ``arch`` (``"mobilenet_v3_large"`` or ``"mobilenet_v3_small"``).

    Raises:
        ValueError: another ``arch`` (torchvision's message).

    Example:
        >>> setting, last_channel = mobilenet_v3_conf("mobilenet_v3_small")
        >>> len(setting), last_channel
        (11, 1024)
    """
    if arch not in _TAILS:
        raise ValueError(f"Unsupported model type {arch}")
    divider, dilation = (2 if reduced_tail else 1), (2 if dilated else 1)
    conf = partial(InvertedResidualConfig, width_mult=width_mult)
    rows = _LARGE if arch == "mobilenet_v3_large" else _SMALL
    setting = [conf(*row, 1) for row in rows]
    inp, expanded_first, expanded, out, last = _TAILS[arch]  # torchvision halves all but two
    out, expanded = out // divider, expanded // divider
    setting += [
        conf(inp, 5, expanded_first, out, True, "HS", 2, dilation),
        conf(out, 5, expanded, out, True, "HS", 1, dilation),
        conf(out, 5, expanded, out, True, "HS", 1, dilation),
    ]
    return setting, InvertedResidualConfig.adjust_channels(last // divider, width_mult)


def _build(arch: str, weights, kwargs) -> MobileNetV3:
    check_no_weights(arch, weights, kwargs)
    setting, last_channel = mobilenet_v3_conf(arch, **kwargs)
    return MobileNetV3(setting, last_channel, **kwargs)


def mobilenet_v3_large(*, weights=None, progress: bool = True, **kwargs) -> MobileNetV3:
    """MobileNetV3-Large, torchvision's.

    Args:
        weights: only ``None``: xpnet downloads no weights (load torchvision's
            ``state_dict`` with :meth:`~xpnet.nn.Module.load_state_dict`).
        progress: accepted for torchvision's signature; unused.
        **kwargs: ``width_mult``, ``reduced_tail``, ``dilated``, and :class:`MobileNetV3`'s
            arguments (``num_classes``, ``norm_layer``, ``dropout``, ...).

    Raises:
        NotImplementedError: ``weights`` not ``None`` (or ``pretrained=True``).

    Example:
        >>> import xpnet
        >>> mobilenet_v3_large(num_classes=10)(xpnet.zeros(2, 3, 32, 32)).shape
        (2, 10)
    """
    return _build("mobilenet_v3_large", weights, kwargs)


def mobilenet_v3_small(*, weights=None, progress: bool = True, **kwargs) -> MobileNetV3:
    """MobileNetV3-Small, torchvision's: arguments as :func:`mobilenet_v3_large`'s.

    Raises:
        NotImplementedError: ``weights`` not ``None`` (or ``pretrained=True``).

    Example:
        >>> import xpnet
        >>> mobilenet_v3_small(num_classes=10)(xpnet.zeros(2, 3, 32, 32)).shape
        (2, 10)
    """
    return _build("mobilenet_v3_small", weights, kwargs)
