"""torchvision's ``torchvision/ops/feature_pyramid_network.py``: the Feature Pyramid Network
(Lin et al., "Feature Pyramid Networks for Object Detection", 2017) and its extra levels,
with torchvision's module names, ``state_dict`` keys, initialisation and forward.

torchvision's renaming of version-1 checkpoint keys (``inner_blocks.0.weight``, from before the
blocks were ``Conv2dNormActivation``) is not here: load a current ``state_dict``.
"""

from __future__ import annotations

from collections import OrderedDict

from .. import nn
from ..nn import functional as F
from .misc import Conv2dNormActivation

__all__ = ["ExtraFPNBlock", "FeaturePyramidNetwork", "LastLevelMaxPool", "LastLevelP6P7"]


class ExtraFPNBlock(nn.Module):
    """The base class of the blocks that add levels on top of the FPN's:
    ``forward(results, x, names)`` returns the new ``(results, names)``."""

    def forward(self, results, x, names):
        """Does nothing, as torchvision's base class."""


def _fpn_init(convs):
    # torchvision's FPN init: kaiming-uniform with a=1, zero bias
    for conv in convs:
        nn.init.kaiming_uniform_(conv.weight, a=1)
        if conv.bias is not None:
            nn.init.constant_(conv.bias, 0)


class FeaturePyramidNetwork(nn.Module):
    """A feature pyramid on top of a backbone's feature maps (``torchvision.ops``' class).

    Args:
        in_channels_list: the channels of each input map, finest first.
        out_channels: the channels of every output map.
        extra_blocks: an :class:`ExtraFPNBlock` adding levels, or ``None``.
        norm_layer: a norm layer after each conv, or ``None``.

    Raises:
        ValueError: an ``in_channels`` of 0. TypeError: ``extra_blocks`` of another type.

    Example:
        >>> import xpnet
        >>> from xpnet.ops import FeaturePyramidNetwork
        >>> fpn = FeaturePyramidNetwork([4, 8], 5)
        >>> maps = {"c1": xpnet.zeros(1, 4, 8, 8), "c2": xpnet.zeros(1, 8, 4, 4)}
        >>> [tuple(level.shape) for level in fpn(maps).values()]
        [(1, 5, 8, 8), (1, 5, 4, 4)]
    """

    _version = 2

    def __init__(self, in_channels_list, out_channels, extra_blocks=None, norm_layer=None):
        super().__init__()
        self.inner_blocks = nn.ModuleList()
        self.layer_blocks = nn.ModuleList()
        for in_channels in in_channels_list:
            if in_channels == 0:
                raise ValueError("in_channels=0 is currently not supported")
            self.inner_blocks.append(
                Conv2dNormActivation(
                    in_channels, out_channels, kernel_size=1, padding=0,
                    norm_layer=norm_layer, activation_layer=None,
                )
            )  # fmt: skip
            self.layer_blocks.append(
                Conv2dNormActivation(
                    out_channels, out_channels, kernel_size=3,
                    norm_layer=norm_layer, activation_layer=None,
                )
            )  # fmt: skip
        _fpn_init(m for m in self.modules() if isinstance(m, nn.Conv2d))
        if extra_blocks is not None and not isinstance(extra_blocks, ExtraFPNBlock):
            raise TypeError(
                f"extra_blocks should be of type ExtraFPNBlock not {type(extra_blocks)}"
            )
        self.extra_blocks = extra_blocks

    def get_result_from_inner_blocks(self, x, idx):
        """``self.inner_blocks[idx](x)`` (torchvision's name, kept for scripts that call it)."""
        return self.inner_blocks[idx](x)

    def get_result_from_layer_blocks(self, x, idx):
        """``self.layer_blocks[idx](x)`` (torchvision's name, kept for scripts that call it)."""
        return self.layer_blocks[idx](x)

    def forward(self, x):
        """The pyramid of a dict of maps, finest first: an ``OrderedDict`` with the same keys
        (and the extra blocks' names after them)."""
        names = list(x.keys())
        x = list(x.values())
        last_inner = self.get_result_from_inner_blocks(x[-1], -1)
        results = [self.get_result_from_layer_blocks(last_inner, -1)]
        for idx in range(len(x) - 2, -1, -1):
            inner_lateral = self.get_result_from_inner_blocks(x[idx], idx)
            size = tuple(inner_lateral.shape[-2:])
            last_inner = inner_lateral + F.interpolate(last_inner, size=size, mode="nearest")
            results.insert(0, self.get_result_from_layer_blocks(last_inner, idx))
        if self.extra_blocks is not None:
            results, names = self.extra_blocks(results, x, names)
        return OrderedDict(zip(names, results, strict=True))


class LastLevelMaxPool(ExtraFPNBlock):
    """Adds a level ``"pool"``: the coarsest map subsampled by 2 (a max pool of size 1)."""

    def forward(self, x, y, names):
        """Appends the ``"pool"`` level to ``x`` and ``names``."""
        names.append("pool")
        x.append(F.max_pool2d(x[-1], kernel_size=1, stride=2, padding=0))
        return x, names


class LastLevelP6P7(ExtraFPNBlock):
    """Adds RetinaNet's levels ``"p6"`` and ``"p7"`` (stride-2 3x3 convs), from P5 when
    ``in_channels == out_channels``, else from C5."""

    def __init__(self, in_channels, out_channels):
        super().__init__()
        self.p6 = nn.Conv2d(in_channels, out_channels, 3, 2, 1)
        self.p7 = nn.Conv2d(out_channels, out_channels, 3, 2, 1)
        _fpn_init([self.p6, self.p7])
        self.use_P5 = in_channels == out_channels

    def forward(self, p, c, names):
        """Appends ``"p6"`` and ``"p7"`` to ``p`` and ``names``."""
        p6 = self.p6(p[-1] if self.use_P5 else c[-1])
        p7 = self.p7(F.relu(p6))
        p.extend([p6, p7])
        names.extend(["p6", "p7"])
        return p, names
