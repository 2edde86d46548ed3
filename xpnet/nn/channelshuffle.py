"""``ChannelShuffle``, as ``torch/nn/modules/channelshuffle.py``; the numerics live in
:mod:`xpnet.kernels.channel_shuffle`."""

from __future__ import annotations

from . import functional as F
from .module import Module

__all__ = ["ChannelShuffle"]


class ChannelShuffle(Module):
    r"""Divide the ``C`` channels of ``(N, C, *)`` into ``groups`` groups and interleave them:
    output channel ``k * groups + g`` is input channel ``g * (C / groups) + k`` (ShuffleNet),
    as :class:`torch.nn.ChannelShuffle`.

    Args:
        groups: number of groups, a positive int dividing ``C``.

    Shape:
        - Input: (N, C, *), at least 3 dimensions. Output: the same shape.

    Example:
        >>> import xpnet
        >>> shuffle = xpnet.nn.ChannelShuffle(2)
        >>> shuffle, shuffle(np.arange(4.0).reshape(1, 4, 1)).array[0, :, 0]
        (ChannelShuffle(groups=2), array([0., 2., 1., 3.]))
    """

    def __init__(self, groups: int) -> None:
        super().__init__()
        self.groups = groups

    def forward(self, input):
        return F.channel_shuffle(input, self.groups)

    def extra_repr(self) -> str:
        return f"groups={self.groups}"
