"""torchvision's EfficientNet (``torchvision/models/efficientnet.py``): B0 to B7 and V2 S, M,
L, with their builders, module names, ``state_dict`` keys and initialisation.

Tan and Le, "EfficientNet: Rethinking Model Scaling for Convolutional Neural Networks" (2019)
and "EfficientNetV2: Smaller Models and Faster Training" (2021).
"""

from __future__ import annotations

import copy
import math
from collections.abc import Sequence
from functools import partial

from .. import nn
from ..ops.misc import Conv2dNormActivation, SqueezeExcitation
from ..ops.stochastic_depth import StochasticDepth
from ._weights import check_no_weights
from .mobilenetv2 import init_classifier_weights, make_divisible

__all__ = [
    "BUILDERS",
    "EfficientNet",
    "FusedMBConv",
    "FusedMBConvConfig",
    "MBConv",
    "MBConvConfig",
    "efficientnet_b0",
    "efficientnet_b1",
    "efficientnet_b2",
    "efficientnet_b3",
    "efficientnet_b4",
    "efficientnet_b5",
    "efficientnet_b6",
    "efficientnet_b7",
    "efficientnet_conf",
    "efficientnet_v2_l",
    "efficientnet_v2_m",
    "efficientnet_v2_s",
]


class BlockConfig:
    """What both blocks' configs hold (torchvision's ``_MBConvConfig``)."""

    def __init__(
        self, expand_ratio, kernel, stride, input_channels, out_channels, num_layers, block
    ):
        self.expand_ratio, self.kernel, self.stride = expand_ratio, kernel, stride
        self.input_channels, self.out_channels = input_channels, out_channels
        self.num_layers, self.block = num_layers, block

    @staticmethod
    def adjust_channels(channels: int, width_mult: float, min_value: int | None = None) -> int:
        """``channels * width_mult`` rounded to a multiple of 8 (torchvision's)."""
        return make_divisible(channels * width_mult, 8, min_value)


class MBConvConfig(BlockConfig):
    """One EfficientNet stage: channels scaled by ``width_mult``, the depth by ``depth_mult``
    (rounded up), as torchvision's."""

    def __init__(
        self,
        expand_ratio: float,
        kernel: int,
        stride: int,
        input_channels: int,
        out_channels: int,
        num_layers: int,
        width_mult: float = 1.0,
        depth_mult: float = 1.0,
        block=None,
    ):
        input_channels = self.adjust_channels(input_channels, width_mult)
        out_channels = self.adjust_channels(out_channels, width_mult)
        num_layers = int(math.ceil(num_layers * depth_mult))
        block = MBConv if block is None else block
        super().__init__(
            expand_ratio, kernel, stride, input_channels, out_channels, num_layers, block
        )


class FusedMBConvConfig(BlockConfig):
    """One EfficientNetV2 stage of fused blocks, as torchvision's."""

    def __init__(
        self, expand_ratio, kernel, stride, input_channels, out_channels, num_layers, block=None
    ):
        block = FusedMBConv if block is None else block
        super().__init__(
            expand_ratio, kernel, stride, input_channels, out_channels, num_layers, block
        )


class ResidualBlock(nn.Module):
    """What both blocks share: the block, then stochastic depth and the input added when the
    shape stays."""

    def _finish(self, cnf, layers, stochastic_depth_prob: float) -> None:
        self.block = nn.Sequential(*layers)
        self.stochastic_depth = StochasticDepth(stochastic_depth_prob, "row")
        self.out_channels = cnf.out_channels

    def forward(self, input):
        result = self.block(input)
        if self.use_res_connect:
            result = self.stochastic_depth(result) + input
        return result


def _check_stride(cnf) -> bool:
    if not (1 <= cnf.stride <= 2):
        raise ValueError("illegal stride value")
    return cnf.stride == 1 and cnf.input_channels == cnf.out_channels


class MBConv(ResidualBlock):
    """torchvision's ``MBConv``: a 1x1 expansion (none at ratio 1), a depthwise conv, squeeze-
    excitation (SiLU) through a quarter of the input channels, a linear 1x1 projection.

    Raises:
        ValueError: a stride other than 1 or 2 (torchvision's message).
    """

    def __init__(self, cnf, stochastic_depth_prob: float, norm_layer, se_layer=SqueezeExcitation):
        super().__init__()
        self.use_res_connect = _check_stride(cnf)
        silu = {"norm_layer": norm_layer, "activation_layer": nn.SiLU}
        expanded = cnf.adjust_channels(cnf.input_channels, cnf.expand_ratio)
        layers = []
        if expanded != cnf.input_channels:
            layers.append(Conv2dNormActivation(cnf.input_channels, expanded, 1, **silu))
        layers.append(
            Conv2dNormActivation(
                expanded, expanded, cnf.kernel, cnf.stride, groups=expanded, **silu
            )
        )
        squeeze_channels = max(1, cnf.input_channels // 4)
        layers.append(
            se_layer(expanded, squeeze_channels, activation=partial(nn.SiLU, inplace=True))
        )
        layers.append(
            Conv2dNormActivation(
                expanded, cnf.out_channels, 1, norm_layer=norm_layer, activation_layer=None
            )
        )
        self._finish(cnf, layers, stochastic_depth_prob)


class FusedMBConv(ResidualBlock):
    """torchvision's ``FusedMBConv``: a full conv expanding (then a linear 1x1 projection),
    or, at ratio 1, one conv to the output channels.

    Raises:
        ValueError: a stride other than 1 or 2 (torchvision's message).
    """

    def __init__(self, cnf, stochastic_depth_prob: float, norm_layer):
        super().__init__()
        self.use_res_connect = _check_stride(cnf)
        silu = {"norm_layer": norm_layer, "activation_layer": nn.SiLU}
        expanded = cnf.adjust_channels(cnf.input_channels, cnf.expand_ratio)
        if expanded != cnf.input_channels:
            layers = [
                Conv2dNormActivation(cnf.input_channels, expanded, cnf.kernel, cnf.stride, **silu),
                Conv2dNormActivation(
                    expanded, cnf.out_channels, 1, norm_layer=norm_layer, activation_layer=None
                ),
            ]
        else:
            layers = [
                Conv2dNormActivation(
                    cnf.input_channels, cnf.out_channels, cnf.kernel, cnf.stride, **silu
                )
            ]
        self._finish(cnf, layers, stochastic_depth_prob)


def _stage(cnf, stochastic_depth_prob: float, first_id: int, total: int, norm_layer):
    """A stage's blocks: the first with the stage's stride and input channels, the others
    stride 1; each block's stochastic depth grows with its index among all ``total``."""
    blocks = []
    for i in range(cnf.num_layers):
        block_cnf = copy.copy(cnf)  # shallow: torchvision's
        if blocks:
            block_cnf.input_channels, block_cnf.stride = block_cnf.out_channels, 1
        sd_prob = stochastic_depth_prob * float(first_id + i) / total
        blocks.append(block_cnf.block(block_cnf, sd_prob, norm_layer))
    return nn.Sequential(*blocks)


def _uniform_linear(linear) -> None:
    """EfficientNet's linear weights: U(-r, r), r = 1 / sqrt(out_features)."""
    init_range = 1.0 / math.sqrt(linear.out_features)
    nn.init.uniform_(linear.weight, -init_range, init_range)


class EfficientNet(nn.Module):
    """torchvision's ``EfficientNet`` (V1 and V2): a 3x3/2 SiLU stem, the stages, a 1x1 conv
    (to ``last_channel``, default 4x the last stage's channels), global average pooling,
    dropout and a linear layer.

    Initialisation as torchvision's: convs He-normal (``fan_out``), norms weight 1 and bias 0,
    the linear layer U(-1/sqrt(num_classes), 1/sqrt(num_classes)); biases zero.

    Args:
        inverted_residual_setting: the stages' :class:`MBConvConfig`/:class:`FusedMBConvConfig`.
        dropout: the classifier's dropout probability.
        stochastic_depth_prob: the last block's stochastic depth. Default: 0.2.
        num_classes: number of output logits. Default: 1000.
        norm_layer: called with a channel count; default BatchNorm2d.
        last_channel: the last conv's channels; ``None``: 4x the last stage's.

    Raises:
        ValueError: an empty setting. TypeError: one not a list of configs.
    """

    def __init__(
        self,
        inverted_residual_setting,
        dropout: float,
        stochastic_depth_prob: float = 0.2,
        num_classes: int = 1000,
        norm_layer=None,
        last_channel: int | None = None,
    ):
        super().__init__()
        setting = inverted_residual_setting
        if not setting:
            raise ValueError("The inverted_residual_setting should not be empty")
        if not (isinstance(setting, Sequence) and all(isinstance(s, BlockConfig) for s in setting)):
            raise TypeError("The inverted_residual_setting should be List[MBConvConfig]")
        norm_layer = nn.BatchNorm2d if norm_layer is None else norm_layer
        silu = {"norm_layer": norm_layer, "activation_layer": nn.SiLU}
        layers = [Conv2dNormActivation(3, setting[0].input_channels, 3, 2, **silu)]
        total, first_id = sum(cnf.num_layers for cnf in setting), 0
        for cnf in setting:
            layers.append(_stage(cnf, stochastic_depth_prob, first_id, total, norm_layer))
            first_id += cnf.num_layers
        lastconv_input = setting[-1].out_channels
        lastconv_output = 4 * lastconv_input if last_channel is None else last_channel
        layers.append(Conv2dNormActivation(lastconv_input, lastconv_output, 1, **silu))
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Sequential(
            nn.Dropout(p=dropout, inplace=True), nn.Linear(lastconv_output, num_classes)
        )
        init_classifier_weights(self, _uniform_linear)

    def forward(self, x):
        return self.classifier(self.avgpool(self.features(x)).flatten(1))


# torchvision's tables: expansion, kernel, stride, input and output channels, layers
_B = [
    (1, 3, 1, 32, 16, 1),
    (6, 3, 2, 16, 24, 2),
    (6, 5, 2, 24, 40, 2),
    (6, 3, 2, 40, 80, 3),
    (6, 5, 1, 80, 112, 3),
    (6, 5, 2, 112, 192, 4),
    (6, 3, 1, 192, 320, 1),
]
# V2: the first three stages fused
_V2 = {
    "s": [
        (1, 3, 1, 24, 24, 2),
        (4, 3, 2, 24, 48, 4),
        (4, 3, 2, 48, 64, 4),
        (4, 3, 2, 64, 128, 6),
        (6, 3, 1, 128, 160, 9),
        (6, 3, 2, 160, 256, 15),
    ],
    "m": [
        (1, 3, 1, 24, 24, 3),
        (4, 3, 2, 24, 48, 5),
        (4, 3, 2, 48, 80, 5),
        (4, 3, 2, 80, 160, 7),
        (6, 3, 1, 160, 176, 14),
        (6, 3, 2, 176, 304, 18),
        (6, 3, 1, 304, 512, 5),
    ],
    "l": [
        (1, 3, 1, 32, 32, 4),
        (4, 3, 2, 32, 64, 7),
        (4, 3, 2, 64, 96, 7),
        (4, 3, 2, 96, 192, 10),
        (6, 3, 1, 192, 224, 19),
        (6, 3, 2, 224, 384, 25),
        (6, 3, 1, 384, 640, 7),
    ],
}


def efficientnet_conf(arch: str, **kwargs):
    """torchvision's ``_efficientnet_conf``: the stages and ``last_channel`` of ``arch``;
    ``efficientnet_b*`` take ``width_mult`` and ``depth_mult``.

    Raises:
        ValueError: an unknown ``arch`` (torchvision's message).

    Example:
        >>> setting, last = efficientnet_conf("efficientnet_v2_s")
        >>> len(setting), last
        (6, 1280)
    """
    if arch.startswith("efficientnet_b"):
        conf = partial(
            MBConvConfig, width_mult=kwargs.pop("width_mult"), depth_mult=kwargs.pop("depth_mult")
        )
        return [conf(*row) for row in _B], None
    for size, rows in _V2.items():
        if arch.startswith(f"efficientnet_v2_{size}"):
            setting = [FusedMBConvConfig(*row) for row in rows[:3]]
            return setting + [MBConvConfig(*row) for row in rows[3:]], 1280
    raise ValueError(f"Unsupported model type {arch}")


# builder: (width_mult, depth_mult, dropout, BatchNorm2d's eps and momentum or None)
BUILDERS = {
    "efficientnet_b0": (1.0, 1.0, 0.2, None),
    "efficientnet_b1": (1.0, 1.1, 0.2, None),
    "efficientnet_b2": (1.1, 1.2, 0.3, None),
    "efficientnet_b3": (1.2, 1.4, 0.3, None),
    "efficientnet_b4": (1.4, 1.8, 0.4, None),
    "efficientnet_b5": (1.6, 2.2, 0.4, {"eps": 0.001, "momentum": 0.01}),
    "efficientnet_b6": (1.8, 2.6, 0.5, {"eps": 0.001, "momentum": 0.01}),
    "efficientnet_b7": (2.0, 3.1, 0.5, {"eps": 0.001, "momentum": 0.01}),
    "efficientnet_v2_s": (None, None, 0.2, {"eps": 1e-03}),
    "efficientnet_v2_m": (None, None, 0.3, {"eps": 1e-03}),
    "efficientnet_v2_l": (None, None, 0.4, {"eps": 1e-03}),
}


def _build(name: str, weights, kwargs) -> EfficientNet:
    check_no_weights(name, weights, kwargs)
    width_mult, depth_mult, dropout, norm = BUILDERS[name]
    mults = {} if width_mult is None else {"width_mult": width_mult, "depth_mult": depth_mult}
    setting, last_channel = efficientnet_conf(name, **mults)
    if norm is not None:  # torchvision's builder passes norm_layer besides **kwargs
        if "norm_layer" in kwargs:
            raise TypeError("_efficientnet() got multiple values for keyword argument 'norm_layer'")
        kwargs["norm_layer"] = partial(nn.BatchNorm2d, **norm)
    return EfficientNet(
        setting, kwargs.pop("dropout", dropout), last_channel=last_channel, **kwargs
    )


EXAMPLE = """
    Example:
        >>> import xpnet
        >>> efficientnet_b0(num_classes=10)(xpnet.zeros(2, 3, 32, 32)).shape
        (2, 10)
"""


def _builder(name: str):
    def builder(*, weights=None, progress: bool = True, **kwargs) -> EfficientNet:
        return _build(name, weights, kwargs)

    dropout = BUILDERS[name][2]
    builder.__name__ = builder.__qualname__ = name
    builder.__doc__ = f"""{name}, torchvision's (default dropout {dropout}).

    Args:
        weights: only ``None``: xpnet downloads no weights (load torchvision's
            ``state_dict`` with :meth:`~xpnet.nn.Module.load_state_dict`).
        progress: accepted for torchvision's signature; unused.
        **kwargs: :class:`EfficientNet`'s arguments (``num_classes``, ``dropout``,
            ``stochastic_depth_prob``, ``norm_layer``).

    Raises:
        NotImplementedError: ``weights`` not ``None`` (or ``pretrained=True``).
        TypeError: ``norm_layer`` given to a builder that fixes it (B5 to B7, V2), as
            torchvision's.
    {EXAMPLE if name == "efficientnet_b0" else ""}"""
    return builder


efficientnet_b0 = _builder("efficientnet_b0")
efficientnet_b1 = _builder("efficientnet_b1")
efficientnet_b2 = _builder("efficientnet_b2")
efficientnet_b3 = _builder("efficientnet_b3")
efficientnet_b4 = _builder("efficientnet_b4")
efficientnet_b5 = _builder("efficientnet_b5")
efficientnet_b6 = _builder("efficientnet_b6")
efficientnet_b7 = _builder("efficientnet_b7")
efficientnet_v2_s = _builder("efficientnet_v2_s")
efficientnet_v2_m = _builder("efficientnet_v2_m")
efficientnet_v2_l = _builder("efficientnet_v2_l")
