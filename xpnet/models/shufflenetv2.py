"""torchvision's ShuffleNetV2 (``torchvision/models/shufflenetv2.py``): the x0.5, x1.0, x1.5
and x2.0 widths, with their builders, module names, ``state_dict`` keys and initialisation
(PyTorch's default layer initialisation: torchvision sets none).

Ma et al., "ShuffleNet V2: Practical Guidelines for Efficient CNN Architecture Design" (2018).
"""

from __future__ import annotations

import xpnet

from .. import nn
from ._weights import check_no_weights

__all__ = ["InvertedResidual", "ShuffleNetV2", "channel_shuffle", "shufflenet_v2_x0_5"]
__all__ += ["shufflenet_v2_x1_0", "shufflenet_v2_x1_5", "shufflenet_v2_x2_0"]


def channel_shuffle(x, groups: int):
    """The channels of ``x`` (N, C, H, W) interleaved across ``groups``, as torchvision's.

    Example:
        >>> import xpnet
        >>> channel_shuffle(xpnet.arange(4.0).reshape(1, 4, 1, 1), 2).flatten().tolist()
        [0.0, 2.0, 1.0, 3.0]
    """
    batchsize, num_channels, height, width = x.shape
    x = x.view(batchsize, groups, num_channels // groups, height, width)
    return x.transpose(1, 2).contiguous().view(batchsize, num_channels, height, width)


def _depthwise_conv(i: int, o: int, kernel_size: int, stride: int = 1, padding: int = 0):
    return nn.Conv2d(i, o, kernel_size, stride, padding, bias=False, groups=i)


class InvertedResidual(nn.Module):
    """torchvision's ShuffleNetV2 unit: at stride 1 half the channels pass and half go
    through 1x1-depthwise 3x3-1x1 (``branch2``); at stride 2 both branches see the input;
    then the halves are concatenated and shuffled.

    Raises:
        ValueError: a stride outside 1..3, or at stride 1 ``inp`` not ``oup // 2 * 2``
            (torchvision's messages).
    """

    def __init__(self, inp: int, oup: int, stride: int):
        super().__init__()
        if not (1 <= stride <= 3):
            raise ValueError("illegal stride value")
        self.stride = stride
        branch_features = oup // 2
        if (self.stride == 1) and (inp != branch_features << 1):
            raise ValueError(
                f"Invalid combination of stride {stride}, inp {inp} and oup {oup} values. "
                "If stride == 1 then inp should be equal to oup // 2 << 1."
            )
        if self.stride > 1:
            self.branch1 = nn.Sequential(
                _depthwise_conv(inp, inp, kernel_size=3, stride=self.stride, padding=1),
                nn.BatchNorm2d(inp),
                nn.Conv2d(inp, branch_features, kernel_size=1, stride=1, padding=0, bias=False),
                nn.BatchNorm2d(branch_features),
                nn.ReLU(inplace=True),
            )
        else:
            self.branch1 = nn.Sequential()
        first_in = inp if (self.stride > 1) else branch_features
        self.branch2 = nn.Sequential(
            nn.Conv2d(first_in, branch_features, kernel_size=1, stride=1, padding=0, bias=False),
            nn.BatchNorm2d(branch_features),
            nn.ReLU(inplace=True),
            _depthwise_conv(branch_features, branch_features, 3, stride=self.stride, padding=1),
            nn.BatchNorm2d(branch_features),
            nn.Conv2d(branch_features, branch_features, 1, stride=1, padding=0, bias=False),
            nn.BatchNorm2d(branch_features),
            nn.ReLU(inplace=True),
        )

    def forward(self, x):
        if self.stride == 1:
            x1, x2 = x.chunk(2, dim=1)
            out = xpnet.cat((x1, self.branch2(x2)), dim=1)
        else:
            out = xpnet.cat((self.branch1(x), self.branch2(x)), dim=1)
        return channel_shuffle(out, 2)


class ShuffleNetV2(nn.Module):
    """torchvision's ``ShuffleNetV2``: a 3x3/2 conv and max pooling, three stages of units
    (the first of each at stride 2), a 1x1 conv, global average pooling and a linear layer.

    Args:
        stages_repeats: the units per stage (3 ints).
        stages_out_channels: the stem's, the stages' and the last conv's channels (5 ints).
        num_classes: number of output logits. Default: 1000.
        inverted_residual: the unit class. Default: :class:`InvertedResidual`.

    Raises:
        ValueError: not 3 repeats or not 5 channel counts (torchvision's messages).
    """

    def __init__(
        self,
        stages_repeats,
        stages_out_channels,
        num_classes: int = 1000,
        inverted_residual=InvertedResidual,
    ):
        super().__init__()
        if len(stages_repeats) != 3:
            raise ValueError("expected stages_repeats as list of 3 positive ints")
        if len(stages_out_channels) != 5:
            raise ValueError("expected stages_out_channels as list of 5 positive ints")
        self._stage_out_channels = stages_out_channels
        input_channels, output_channels = 3, stages_out_channels[0]
        self.conv1 = nn.Sequential(
            nn.Conv2d(input_channels, output_channels, 3, 2, 1, bias=False),
            nn.BatchNorm2d(output_channels),
            nn.ReLU(inplace=True),
        )
        input_channels = output_channels
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        for name, repeats, output_channels in zip(
            ["stage2", "stage3", "stage4"], stages_repeats, stages_out_channels[1:], strict=False
        ):
            units = [inverted_residual(input_channels, output_channels, 2)]
            for _ in range(repeats - 1):
                units.append(inverted_residual(output_channels, output_channels, 1))
            setattr(self, name, nn.Sequential(*units))
            input_channels = output_channels
        output_channels = stages_out_channels[-1]
        self.conv5 = nn.Sequential(
            nn.Conv2d(input_channels, output_channels, 1, 1, 0, bias=False),
            nn.BatchNorm2d(output_channels),
            nn.ReLU(inplace=True),
        )
        self.fc = nn.Linear(output_channels, num_classes)

    def forward(self, x):
        x = self.stage4(self.stage3(self.stage2(self.maxpool(self.conv1(x)))))
        return self.fc(self.conv5(x).mean([2, 3]))


def _shufflenetv2(name: str, weights, kwargs, *args) -> ShuffleNetV2:
    check_no_weights(name, weights, kwargs)
    return ShuffleNetV2(*args, **kwargs)


def shufflenet_v2_x0_5(*, weights=None, progress: bool = True, **kwargs) -> ShuffleNetV2:
    """ShuffleNetV2 x0.5, torchvision's.

    Args:
        weights: only ``None``: xpnet downloads no weights (load torchvision's
            ``state_dict`` with :meth:`~xpnet.nn.Module.load_state_dict`).
        progress: accepted for torchvision's signature; unused.
        **kwargs: :class:`ShuffleNetV2`'s arguments (``num_classes``, ...).

    Raises:
        NotImplementedError: ``weights`` not ``None`` (or ``pretrained=True``).

    Example:
        >>> import xpnet
        >>> shufflenet_v2_x0_5(num_classes=10)(xpnet.zeros(2, 3, 32, 32)).shape
        (2, 10)
    """
    return _shufflenetv2("shufflenet_v2_x0_5", weights, kwargs, [4, 8, 4], [24, 48, 96, 192, 1024])


def shufflenet_v2_x1_0(*, weights=None, progress: bool = True, **kwargs) -> ShuffleNetV2:
    """ShuffleNetV2 x1.0, torchvision's: arguments as :func:`shufflenet_v2_x0_5`'s.

    Raises:
        NotImplementedError: ``weights`` not ``None`` (or ``pretrained=True``).
    """
    channels = [24, 116, 232, 464, 1024]
    return _shufflenetv2("shufflenet_v2_x1_0", weights, kwargs, [4, 8, 4], channels)


def shufflenet_v2_x1_5(*, weights=None, progress: bool = True, **kwargs) -> ShuffleNetV2:
    """ShuffleNetV2 x1.5, torchvision's: arguments as :func:`shufflenet_v2_x0_5`'s.

    Raises:
        NotImplementedError: ``weights`` not ``None`` (or ``pretrained=True``).
    """
    channels = [24, 176, 352, 704, 1024]
    return _shufflenetv2("shufflenet_v2_x1_5", weights, kwargs, [4, 8, 4], channels)


def shufflenet_v2_x2_0(*, weights=None, progress: bool = True, **kwargs) -> ShuffleNetV2:
    """ShuffleNetV2 x2.0, torchvision's: arguments as :func:`shufflenet_v2_x0_5`'s.

    Raises:
        NotImplementedError: ``weights`` not ``None`` (or ``pretrained=True``).
    """
    channels = [24, 244, 488, 976, 2048]
    return _shufflenetv2("shufflenet_v2_x2_0", weights, kwargs, [4, 8, 4], channels)
