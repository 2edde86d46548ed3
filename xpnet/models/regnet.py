"""torchvision's RegNet (``torchvision/models/regnet.py``): RegNetX 400MF to 32GF and RegNetY
400MF to 128GF, with their builders, module names, ``state_dict`` keys and initialisation.

Radosavovic et al., "Designing Network Design Spaces" (2020).
"""

from __future__ import annotations

import math
from collections import OrderedDict
from functools import partial

import numpy

from .. import nn
from ..ops.misc import Conv2dNormActivation, SqueezeExcitation
from ._weights import check_no_weights
from .mobilenetv2 import make_divisible

__all__ = ["AnyStage", "BlockParams", "BottleneckTransform", "RegNet", "ResBottleneckBlock"]
__all__ += ["SimpleStemIN"]


class SimpleStemIN(Conv2dNormActivation):
    """torchvision's RegNet stem: a 3x3/2 conv, the norm and the activation."""

    def __init__(self, width_in: int, width_out: int, norm_layer, activation_layer):
        super().__init__(
            width_in, width_out, 3, 2, norm_layer=norm_layer, activation_layer=activation_layer
        )


class BottleneckTransform(nn.Sequential):
    """torchvision's: ``a`` 1x1, ``b`` grouped 3x3 with the stride, ``se`` squeeze-excitation
    (with ``se_ratio``), ``c`` linear 1x1."""

    def __init__(
        self,
        width_in: int,
        width_out: int,
        stride: int,
        norm_layer,
        activation_layer,
        group_width: int,
        bottleneck_multiplier: float,
        se_ratio: float | None,
    ):
        w_b = int(round(width_out * bottleneck_multiplier))
        act = {"norm_layer": norm_layer, "activation_layer": activation_layer}
        layers = OrderedDict()
        layers["a"] = Conv2dNormActivation(width_in, w_b, 1, 1, **act)
        layers["b"] = Conv2dNormActivation(w_b, w_b, 3, stride, groups=w_b // group_width, **act)
        if se_ratio:
            squeeze = int(round(se_ratio * width_in))
            layers["se"] = SqueezeExcitation(w_b, squeeze, activation=activation_layer)
        layers["c"] = Conv2dNormActivation(
            w_b, width_out, 1, 1, norm_layer=norm_layer, activation_layer=None
        )
        super().__init__(layers)


class ResBottleneckBlock(nn.Module):
    """torchvision's: the activation of :class:`BottleneckTransform` plus the input (through
    a linear 1x1 projection ``proj`` when the width or the stride changes)."""

    def __init__(
        self,
        width_in: int,
        width_out: int,
        stride: int,
        norm_layer,
        activation_layer,
        group_width: int = 1,
        bottleneck_multiplier: float = 1.0,
        se_ratio: float | None = None,
    ):
        super().__init__()
        self.proj = None
        if (width_in != width_out) or (stride != 1):
            self.proj = Conv2dNormActivation(
                width_in, width_out, 1, stride, norm_layer=norm_layer, activation_layer=None
            )
        self.f = BottleneckTransform(
            width_in,
            width_out,
            stride,
            norm_layer,
            activation_layer,
            group_width,
            bottleneck_multiplier,
            se_ratio,
        )
        self.activation = activation_layer(inplace=True)

    def forward(self, x):
        shortcut = x if self.proj is None else self.proj(x)
        return self.activation(shortcut + self.f(x))


class AnyStage(nn.Sequential):
    """torchvision's: ``depth`` blocks named ``block{stage_index}-{i}``, the first with the
    stride and ``width_in``."""

    def __init__(
        self,
        width_in: int,
        width_out: int,
        stride: int,
        depth: int,
        block_constructor,
        norm_layer,
        activation_layer,
        group_width: int,
        bottleneck_multiplier: float,
        se_ratio: float | None = None,
        stage_index: int = 0,
    ):
        super().__init__()
        for i in range(depth):
            block = block_constructor(
                width_in if i == 0 else width_out,
                width_out,
                stride if i == 0 else 1,
                norm_layer,
                activation_layer,
                group_width,
                bottleneck_multiplier,
                se_ratio,
            )
            self.add_module(f"block{stage_index}-{i}", block)


class BlockParams:
    """The stages' depths, widths, group widths, bottleneck multipliers and strides, and the
    squeeze-excitation ratio, as torchvision's."""

    def __init__(
        self, depths, widths, group_widths, bottleneck_multipliers, strides, se_ratio=None
    ):
        self.depths, self.widths, self.group_widths = depths, widths, group_widths
        self.bottleneck_multipliers, self.strides = bottleneck_multipliers, strides
        self.se_ratio = se_ratio

    @classmethod
    def from_init_params(
        cls,
        depth: int,
        w_0: int,
        w_a: float,
        w_m: float,
        group_width: int,
        bottleneck_multiplier: float = 1.0,
        se_ratio: float | None = None,
        **kwargs,
    ) -> BlockParams:
        """The stages of the linear width rule ``w_0 + w_a * i`` quantised by ``w_m`` (the
        paper's section 3.3), in float32 as torchvision computes them.

        Raises:
            ValueError: invalid settings (torchvision's message).

        Example:
            >>> BlockParams.from_init_params(16, 48, 27.89, 2.09, 8, se_ratio=0.25).widths
            [48, 104, 208, 440]
        """
        if w_a < 0 or w_0 <= 0 or w_m <= 1 or w_0 % 8 != 0:
            raise ValueError("Invalid RegNet settings")
        f32 = numpy.float32
        widths_cont = numpy.arange(depth, dtype=f32) * f32(w_a) + f32(w_0)
        capacity = numpy.round(numpy.log(widths_cont / f32(w_0)) / f32(math.log(w_m)))
        block_widths = numpy.round(f32(w_0) * numpy.power(f32(w_m), capacity) / f32(8)) * 8
        block_widths = block_widths.astype(numpy.int32).tolist()
        num_stages = len(set(block_widths))
        # a stage starts where the width changes
        splits = [w != wp for w, wp in zip(block_widths + [0], [0] + block_widths, strict=True)]
        stage_widths = [w for w, t in zip(block_widths, splits[:-1], strict=True) if t]
        stage_depths = numpy.diff([d for d, t in enumerate(splits) if t]).tolist()
        multipliers = [bottleneck_multiplier] * num_stages
        stage_widths, group_widths = cls.adjust_widths_groups(
            stage_widths, multipliers, [group_width] * num_stages
        )
        return cls(
            stage_depths, stage_widths, group_widths, multipliers, [2] * num_stages, se_ratio
        )

    @staticmethod
    def adjust_widths_groups(stage_widths, bottleneck_ratios, group_widths):
        """Widths whose bottlenecks divide by their group widths (torchvision's
        ``_adjust_widths_groups_compatibilty``)."""
        pairs = list(zip(stage_widths, bottleneck_ratios, strict=True))
        widths = [int(w * b) for w, b in pairs]
        group_widths_min = [min(g, w) for g, w in zip(group_widths, widths, strict=True)]
        ws_bot = [make_divisible(w, g) for w, g in zip(widths, group_widths_min, strict=True)]
        stage_widths = [int(w / b) for w, b in zip(ws_bot, bottleneck_ratios, strict=True)]
        return stage_widths, group_widths_min

    def expanded(self):
        """``(width, stride, depth, group_width, bottleneck_multiplier)`` per stage."""
        return zip(
            self.widths,
            self.strides,
            self.depths,
            self.group_widths,
            self.bottleneck_multipliers,
            strict=True,
        )


class RegNet(nn.Module):
    """torchvision's ``RegNet``: the stem, the stages (``trunk_output``), global average
    pooling and a linear layer.

    Initialisation as torchvision's: convs N(0, 2 / fan_out), norms weight 1 and bias 0, the
    linear layer N(0, 0.01) with zero bias.

    Args:
        block_params: the stages (:class:`BlockParams`).
        num_classes: number of output logits. Default: 1000.
        stem_width: the stem's channels. Default: 32.
        stem_type, block_type: the classes. Defaults: :class:`SimpleStemIN`,
            :class:`ResBottleneckBlock`.
        norm_layer, activation: the classes. Defaults: BatchNorm2d, ReLU.
    """

    def __init__(
        self,
        block_params: BlockParams,
        num_classes: int = 1000,
        stem_width: int = 32,
        stem_type=None,
        block_type=None,
        norm_layer=None,
        activation=None,
    ):
        super().__init__()
        stem_type = SimpleStemIN if stem_type is None else stem_type
        norm_layer = nn.BatchNorm2d if norm_layer is None else norm_layer
        block_type = ResBottleneckBlock if block_type is None else block_type
        activation = nn.ReLU if activation is None else activation
        self.stem = stem_type(3, stem_width, norm_layer, activation)
        width, blocks = stem_width, []
        for i, (width_out, stride, depth, group_width, multiplier) in enumerate(
            block_params.expanded()
        ):
            stage = AnyStage(
                width, width_out, stride, depth, block_type, norm_layer, activation,
                group_width, multiplier, block_params.se_ratio, stage_index=i + 1,
            )  # fmt: skip
            blocks.append((f"block{i + 1}", stage))
            width = width_out
        self.trunk_output = nn.Sequential(OrderedDict(blocks))
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(in_features=width, out_features=num_classes)
        for module in self.modules():
            if isinstance(module, nn.Conv2d):
                fan_out = module.kernel_size[0] * module.kernel_size[1] * module.out_channels
                nn.init.normal_(module.weight, mean=0.0, std=math.sqrt(2.0 / fan_out))
            elif isinstance(module, nn.BatchNorm2d):
                nn.init.ones_(module.weight)
                nn.init.zeros_(module.bias)
            elif isinstance(module, nn.Linear):
                nn.init.normal_(module.weight, mean=0.0, std=0.01)
                nn.init.zeros_(module.bias)

    def forward(self, x):
        x = self.avgpool(self.trunk_output(self.stem(x)))
        return self.fc(x.flatten(start_dim=1))


# torchvision's builders: depth, w_0, w_a, w_m, group_width (and se_ratio 0.25 for RegNetY)
BUILDERS = {
    "regnet_y_400mf": (16, 48, 27.89, 2.09, 8),
    "regnet_y_800mf": (14, 56, 38.84, 2.4, 16),
    "regnet_y_1_6gf": (27, 48, 20.71, 2.65, 24),
    "regnet_y_3_2gf": (21, 80, 42.63, 2.66, 24),
    "regnet_y_8gf": (17, 192, 76.82, 2.19, 56),
    "regnet_y_16gf": (18, 200, 106.23, 2.48, 112),
    "regnet_y_32gf": (20, 232, 115.89, 2.53, 232),
    "regnet_y_128gf": (27, 456, 160.83, 2.52, 264),
    "regnet_x_400mf": (22, 24, 24.48, 2.54, 16),
    "regnet_x_800mf": (16, 56, 35.73, 2.28, 16),
    "regnet_x_1_6gf": (18, 80, 34.01, 2.25, 24),
    "regnet_x_3_2gf": (25, 88, 26.31, 2.25, 48),
    "regnet_x_8gf": (23, 80, 49.56, 2.88, 120),
    "regnet_x_16gf": (22, 216, 55.59, 2.1, 128),
    "regnet_x_32gf": (23, 320, 69.86, 2.0, 168),
}
__all__ += ["BUILDERS", *BUILDERS]

EXAMPLE = """
    Example:
        >>> import xpnet
        >>> regnet_x_400mf(num_classes=10)(xpnet.zeros(2, 3, 32, 32)).shape
        (2, 10)
"""


def _builder(name: str):
    def builder(*, weights=None, progress: bool = True, **kwargs) -> RegNet:
        check_no_weights(name, weights, kwargs)
        depth, w_0, w_a, w_m, group_width = BUILDERS[name]
        se = {"se_ratio": 0.25} if name.startswith("regnet_y") else {}
        params = BlockParams.from_init_params(
            depth=depth, w_0=w_0, w_a=w_a, w_m=w_m, group_width=group_width, **se, **kwargs
        )
        norm_layer = kwargs.pop("norm_layer", partial(nn.BatchNorm2d, eps=1e-05, momentum=0.1))
        return RegNet(params, norm_layer=norm_layer, **kwargs)

    builder.__name__ = builder.__qualname__ = name
    builder.__doc__ = f"""{name}, torchvision's.

    Args:
        weights: only ``None``: xpnet downloads no weights (load torchvision's
            ``state_dict`` with :meth:`~xpnet.nn.Module.load_state_dict`).
        progress: accepted for torchvision's signature; unused.
        **kwargs: :class:`RegNet`'s arguments (``num_classes``, ``norm_layer``, ...); as
            torchvision's, they also reach :meth:`BlockParams.from_init_params`
            (``bottleneck_multiplier``).

    Raises:
        NotImplementedError: ``weights`` not ``None`` (or ``pretrained=True``).
    {EXAMPLE if name == "regnet_x_400mf" else ""}"""
    return builder


regnet_y_400mf = _builder("regnet_y_400mf")
regnet_y_800mf = _builder("regnet_y_800mf")
regnet_y_1_6gf = _builder("regnet_y_1_6gf")
regnet_y_3_2gf = _builder("regnet_y_3_2gf")
regnet_y_8gf = _builder("regnet_y_8gf")
regnet_y_16gf = _builder("regnet_y_16gf")
regnet_y_32gf = _builder("regnet_y_32gf")
regnet_y_128gf = _builder("regnet_y_128gf")
regnet_x_400mf = _builder("regnet_x_400mf")
regnet_x_800mf = _builder("regnet_x_800mf")
regnet_x_1_6gf = _builder("regnet_x_1_6gf")
regnet_x_3_2gf = _builder("regnet_x_3_2gf")
regnet_x_8gf = _builder("regnet_x_8gf")
regnet_x_16gf = _builder("regnet_x_16gf")
regnet_x_32gf = _builder("regnet_x_32gf")
