"""``PixelShuffle`` and ``PixelUnshuffle``: the layers around
:func:`xpnet.nn.functional.pixel_shuffle` and :func:`~xpnet.nn.functional.pixel_unshuffle`.

As ``torch/nn/modules/pixelshuffle.py``; the numerics live in :mod:`xpnet.kernels.pixel_shuffle`.
"""

from __future__ import annotations

from . import functional as F
from .module import Module

__all__ = ["PixelShuffle", "PixelUnshuffle"]


class PixelShuffle(Module):
    r"""Rearrange (*, C * r^2, H, W) into (*, C, H * r, W * r), ``r = upscale_factor``, as
    :class:`torch.nn.PixelShuffle`: the sub-pixel convolution's upsampling (Shi et al. 2016).

    Args:
        upscale_factor: ``r``, a positive int.

    Shape:
        - Input: (*, C_in, H_in, W_in), with ``C_in`` divisible by ``r^2``.
        - Output: (*, C_in / r^2, H_in * r, W_in * r).

    Example:
        >>> import xpnet
        >>> shuffle = xpnet.nn.PixelShuffle(3)
        >>> shuffle, shuffle(np.ones((1, 9, 4, 4))).shape
        (PixelShuffle(upscale_factor=3), (1, 1, 12, 12))
    """

    def __init__(self, upscale_factor: int):
        super().__init__()
        self.upscale_factor = upscale_factor

    def forward(self, input):
        return F.pixel_shuffle(input, self.upscale_factor)

    def extra_repr(self) -> str:
        return f"upscale_factor={self.upscale_factor}"


class PixelUnshuffle(Module):
    r"""Rearrange (*, C, H * r, W * r) into (*, C * r^2, H, W), ``r = downscale_factor``, as
    :class:`torch.nn.PixelUnshuffle`: the inverse of :class:`PixelShuffle`.

    Args:
        downscale_factor: ``r``, a positive int.

    Shape:
        - Input: (*, C_in, H_in, W_in), with ``H_in`` and ``W_in`` divisible by ``r``.
        - Output: (*, C_in * r^2, H_in / r, W_in / r).

    Example:
        >>> import xpnet
        >>> unshuffle = xpnet.nn.PixelUnshuffle(3)
        >>> unshuffle, unshuffle(np.ones((1, 1, 12, 12))).shape
        (PixelUnshuffle(downscale_factor=3), (1, 9, 4, 4))
    """

    def __init__(self, downscale_factor: int):
        super().__init__()
        self.downscale_factor = downscale_factor

    def forward(self, input):
        return F.pixel_unshuffle(input, self.downscale_factor)

    def extra_repr(self) -> str:
        return f"downscale_factor={self.downscale_factor}"
