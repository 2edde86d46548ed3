"""``Upsample`` and the 2-D ``UpsamplingNearest2d``, ``UpsamplingBilinear2d``: the layers
around :func:`xpnet.nn.functional.interpolate`.

As ``torch/nn/modules/upsampling.py``; the numerics live in :mod:`xpnet.kernels.interpolate`.
"""

from __future__ import annotations

from . import functional as F
from .module import Module

__all__ = ["Upsample", "UpsamplingBilinear2d", "UpsamplingNearest2d"]


class Upsample(Module):
    r"""Resize 1-D, 2-D or 3-D spatial data to ``size`` or by ``scale_factor``, as
    :class:`torch.nn.Upsample`.

    Args:
        size: output spatial size, an int or one per spatial dimension. Default: ``None``.
        scale_factor: multiplier of the spatial size, a number or one per dimension (kept as
            floats, as PyTorch). Default: ``None``.
        mode: ``'nearest'``, ``'nearest-exact'``, ``'linear'``, ``'bilinear'``,
            ``'bicubic'``, ``'trilinear'`` or ``'area'``. Default: ``'nearest'``.
        align_corners: the interpolating modes (linear, bilinear, bicubic, trilinear) only;
            see :func:`xpnet.kernels.interpolate`. Default: ``None``.
        recompute_scale_factor: compute the sources from the output size. Default: ``None``.

    Shape:
        - Input: (N, C, L), (N, C, H, W) or (N, C, D, H, W). Output: (N, C, *size), with
          ``size = floor(in * scale_factor)`` when ``scale_factor`` is given.

    Example:
        >>> import xpnet
        >>> up = xpnet.nn.Upsample(scale_factor=2, mode="bilinear")
        >>> up, up(np.ones((1, 1, 2, 2))).shape
        (Upsample(scale_factor=2.0, mode='bilinear'), (1, 1, 4, 4))
    """

    def __init__(
        self,
        size=None,
        scale_factor=None,
        mode: str = "nearest",
        align_corners: bool | None = None,
        recompute_scale_factor: bool | None = None,
    ):
        super().__init__()
        self.name = type(self).__name__
        self.size = size
        if isinstance(scale_factor, tuple):
            self.scale_factor = tuple(float(factor) for factor in scale_factor)
        else:
            self.scale_factor = float(scale_factor) if scale_factor else None
        self.mode = mode
        self.align_corners = align_corners
        self.recompute_scale_factor = recompute_scale_factor

    def forward(self, input):
        return F.interpolate(
            input,
            self.size,
            self.scale_factor,
            self.mode,
            self.align_corners,
            recompute_scale_factor=self.recompute_scale_factor,
        )

    def extra_repr(self) -> str:
        if self.scale_factor is not None:
            info = f"scale_factor={self.scale_factor!r}"
        else:
            info = f"size={self.size!r}"
        return f"{info}, mode={self.mode!r}"


class UpsamplingNearest2d(Upsample):
    r"""2-D nearest-neighbour upsampling, as :class:`torch.nn.UpsamplingNearest2d`:
    :class:`Upsample` with ``mode='nearest'``.

    Args:
        size: output size ``(H_out, W_out)`` or an int. Default: ``None``.
        scale_factor: multiplier of the spatial size. Default: ``None``.

    Shape:
        - Input: (N, C, H, W). Output: (N, C, H_out, W_out).

    Example:
        >>> import xpnet
        >>> xpnet.nn.UpsamplingNearest2d(scale_factor=2)(np.ones((1, 1, 2, 2))).shape
        (1, 1, 4, 4)
    """

    def __init__(self, size=None, scale_factor=None):
        super().__init__(size, scale_factor, mode="nearest")


class UpsamplingBilinear2d(Upsample):
    r"""2-D bilinear upsampling, as :class:`torch.nn.UpsamplingBilinear2d`: :class:`Upsample`
    with ``mode='bilinear'`` and ``align_corners=True``.

    Args:
        size: output size ``(H_out, W_out)`` or an int. Default: ``None``.
        scale_factor: multiplier of the spatial size. Default: ``None``.

    Shape:
        - Input: (N, C, H, W). Output: (N, C, H_out, W_out).

    Example:
        >>> import xpnet
        >>> xpnet.nn.UpsamplingBilinear2d(size=3)(np.ones((1, 1, 2, 2))).shape
        (1, 1, 3, 3)
    """

    def __init__(self, size=None, scale_factor=None):
        super().__init__(size, scale_factor, mode="bilinear", align_corners=True)
