"""torchvision's MNASNet (``torchvision/models/mnasnet.py``): depth multipliers 0.5, 0.75,
1.0 and 1.3, with their builders, module names, ``state_dict`` keys and initialisation.

Tan et al., "MnasNet: Platform-Aware Neural Architecture Search for Mobile" (2019).

torchvision's conversion of version-1 checkpoints (from before torchvision 0.9, with another
stem for multipliers other than 1.0) is not here: the state of today's models loads.
"""

from __future__ import annotations

from .. import nn
from ._weights import check_no_weights

__all__ = ["MNASNet", "mnasnet0_5", "mnasnet0_75", "mnasnet1_0", "mnasnet1_3"]

# the batch norms' momentum: TensorFlow's decay 0.9997, as torchvision's
BN_MOMENTUM = 1 - 0.9997


# the block's class name is torchvision's, underscore included: it is in the repr
class _InvertedResidual(nn.Module):
    """torchvision's MNASNet block: 1x1 expansion by ``expansion_factor``, a depthwise
    ``kernel_size`` conv with the stride, a linear 1x1 projection; the input added when the
    shape stays.

    Raises:
        ValueError: a stride other than 1, 2 or a kernel size other than 3, 5 (torchvision's
            messages).
    """

    def __init__(
        self,
        in_ch: int,
        out_ch: int,
        kernel_size: int,
        stride: int,
        expansion_factor: int,
        bn_momentum: float = 0.1,
    ):
        super().__init__()
        if stride not in [1, 2]:
            raise ValueError(f"stride should be 1 or 2 instead of {stride}")
        if kernel_size not in [3, 5]:
            raise ValueError(f"kernel_size should be 3 or 5 instead of {kernel_size}")
        mid_ch = in_ch * expansion_factor
        self.apply_residual = in_ch == out_ch and stride == 1
        depthwise = nn.Conv2d(
            mid_ch, mid_ch, kernel_size, padding=kernel_size // 2, stride=stride, groups=mid_ch,
            bias=False,
        )  # fmt: skip
        self.layers = nn.Sequential(
            nn.Conv2d(in_ch, mid_ch, 1, bias=False),
            nn.BatchNorm2d(mid_ch, momentum=bn_momentum),
            nn.ReLU(inplace=True),
            depthwise,
            nn.BatchNorm2d(mid_ch, momentum=bn_momentum),
            nn.ReLU(inplace=True),
            nn.Conv2d(mid_ch, out_ch, 1, bias=False),
            nn.BatchNorm2d(out_ch, momentum=bn_momentum),
        )

    def forward(self, input):
        return self.layers(input) + input if self.apply_residual else self.layers(input)


def stack(in_ch, out_ch, kernel_size, stride, exp_factor, repeats, bn_momentum) -> nn.Sequential:
    """``repeats`` blocks, the first with ``stride`` and ``in_ch`` (torchvision's ``_stack``).

    Raises:
        ValueError: ``repeats`` < 1 (torchvision's message).

    Example:
        >>> len(stack(16, 24, 3, 2, 3, 3, BN_MOMENTUM))
        3
    """
    if repeats < 1:
        raise ValueError(f"repeats should be >= 1, instead got {repeats}")
    first = _InvertedResidual(in_ch, out_ch, kernel_size, stride, exp_factor, bn_momentum)
    remaining = [
        _InvertedResidual(out_ch, out_ch, kernel_size, 1, exp_factor, bn_momentum)
        for _ in range(1, repeats)
    ]
    return nn.Sequential(first, *remaining)


def round_to_multiple_of(val: float, divisor: int, round_up_bias: float = 0.9) -> int:
    """``val`` rounded to a multiple of ``divisor``, rounded up if that is below
    ``round_up_bias * val`` (torchvision's ``_round_to_multiple_of``).

    Raises:
        ValueError: ``round_up_bias`` not in (0, 1) (torchvision's message).

    Example:
        >>> round_to_multiple_of(32 * 0.75, 8), round_to_multiple_of(16 * 1.3, 8)
        (24, 24)
    """
    if not 0.0 < round_up_bias < 1.0:
        raise ValueError(
            "round_up_bias should be greater than 0.0 and smaller than 1.0 instead of "
            f"{round_up_bias}"
        )
    new_val = max(divisor, int(val + divisor / 2) // divisor * divisor)
    return new_val if new_val >= round_up_bias * val else new_val + divisor


def get_depths(alpha: float) -> list[int]:
    """The stem's and stacks' channels at depth multiplier ``alpha`` (torchvision's)."""
    depths = [32, 16, 24, 40, 80, 96, 192, 320]
    return [round_to_multiple_of(depth * alpha, 8) for depth in depths]


class MNASNet(nn.Module):
    """torchvision's ``MNASNet``: a 3x3/2 conv, a depthwise separable conv, six stacks of
    blocks, a 1x1 conv to 1280 channels, global average pooling, dropout and a linear layer.

    Initialisation as torchvision's: convs He-normal (``fan_out``), norms weight 1 and bias 0,
    the linear layer He-uniform (``fan_out``, gain 1); biases zero.

    Args:
        alpha: the depth multiplier (> 0).
        num_classes: number of output logits. Default: 1000.
        dropout: the classifier's dropout probability. Default: 0.2.

    Raises:
        ValueError: ``alpha`` <= 0 (torchvision's message).
    """

    def __init__(self, alpha: float, num_classes: int = 1000, dropout: float = 0.2):
        super().__init__()
        if alpha <= 0.0:
            raise ValueError(f"alpha should be greater than 0.0 instead of {alpha}")
        self.alpha = alpha
        self.num_classes = num_classes
        d = get_depths(alpha)
        layers = [
            nn.Conv2d(3, d[0], 3, padding=1, stride=2, bias=False),
            nn.BatchNorm2d(d[0], momentum=BN_MOMENTUM),
            nn.ReLU(inplace=True),
            nn.Conv2d(d[0], d[0], 3, padding=1, stride=1, groups=d[0], bias=False),
            nn.BatchNorm2d(d[0], momentum=BN_MOMENTUM),
            nn.ReLU(inplace=True),
            nn.Conv2d(d[0], d[1], 1, padding=0, stride=1, bias=False),
            nn.BatchNorm2d(d[1], momentum=BN_MOMENTUM),
        ]
        # kernel, stride, expansion, repeats of each stack
        stacks = [
            (3, 2, 3, 3),
            (5, 2, 3, 3),
            (5, 2, 6, 3),
            (3, 1, 6, 2),
            (5, 2, 6, 4),
            (3, 1, 6, 1),
        ]
        for i, (kernel, stride, expansion, repeats) in enumerate(stacks):
            layers.append(
                stack(d[i + 1], d[i + 2], kernel, stride, expansion, repeats, BN_MOMENTUM)
            )
        layers += [
            nn.Conv2d(d[7], 1280, 1, padding=0, stride=1, bias=False),
            nn.BatchNorm2d(1280, momentum=BN_MOMENTUM),
            nn.ReLU(inplace=True),
        ]
        self.layers = nn.Sequential(*layers)
        self.classifier = nn.Sequential(
            nn.Dropout(p=dropout, inplace=True), nn.Linear(1280, num_classes)
        )
        self._init_weights()

    def _init_weights(self) -> None:
        for module in self.modules():
            if isinstance(module, nn.Conv2d):
                nn.init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")
                if module.bias is not None:
                    nn.init.zeros_(module.bias)
            elif isinstance(module, nn.BatchNorm2d):
                nn.init.ones_(module.weight)
                nn.init.zeros_(module.bias)
            elif isinstance(module, nn.Linear):
                nn.init.kaiming_uniform_(module.weight, mode="fan_out", nonlinearity="sigmoid")
                nn.init.zeros_(module.bias)

    def forward(self, x):
        return self.classifier(self.layers(x).mean([2, 3]))


def _mnasnet(name: str, alpha: float, weights, kwargs) -> MNASNet:
    check_no_weights(name, weights, kwargs)
    return MNASNet(alpha, **kwargs)


def mnasnet0_5(*, weights=None, progress: bool = True, **kwargs) -> MNASNet:
    """MNASNet with depth multiplier 0.5, torchvision's.

    Args:
        weights: only ``None``: xpnet downloads no weights (load torchvision's
            ``state_dict`` with :meth:`~xpnet.nn.Module.load_state_dict`).
        progress: accepted for torchvision's signature; unused.
        **kwargs: :class:`MNASNet`'s arguments (``num_classes``, ``dropout``).

    Raises:
        NotImplementedError: ``weights`` not ``None`` (or ``pretrained=True``).

    Example:
        >>> import xpnet
        >>> mnasnet0_5(num_classes=10)(xpnet.zeros(2, 3, 32, 32)).shape
        (2, 10)
    """
    return _mnasnet("mnasnet0_5", 0.5, weights, kwargs)


def mnasnet0_75(*, weights=None, progress: bool = True, **kwargs) -> MNASNet:
    """MNASNet with depth multiplier 0.75, torchvision's: arguments as :func:`mnasnet0_5`'s.

    Raises:
        NotImplementedError: ``weights`` not ``None`` (or ``pretrained=True``).
    """
    return _mnasnet("mnasnet0_75", 0.75, weights, kwargs)


def mnasnet1_0(*, weights=None, progress: bool = True, **kwargs) -> MNASNet:
    """MNASNet with depth multiplier 1.0, torchvision's: arguments as :func:`mnasnet0_5`'s.

    Raises:
        NotImplementedError: ``weights`` not ``None`` (or ``pretrained=True``).
    """
    return _mnasnet("mnasnet1_0", 1.0, weights, kwargs)


def mnasnet1_3(*, weights=None, progress: bool = True, **kwargs) -> MNASNet:
    """MNASNet with depth multiplier 1.3, torchvision's: arguments as :func:`mnasnet0_5`'s.

    Raises:
        NotImplementedError: ``weights`` not ``None`` (or ``pretrained=True``).
    """
    return _mnasnet("mnasnet1_3", 1.3, weights, kwargs)
