"""``Unfold`` and ``Fold``: the layers around :func:`xpnet.nn.functional.unfold` (im2col) and
its adjoint :func:`~xpnet.nn.functional.fold` (col2im).

No parameters and no numerics: those live in :mod:`xpnet.kernels.fold`. The other layers are
the neighbouring files of :mod:`xpnet.nn`.
"""

from __future__ import annotations

from . import functional as F
from .module import Module

__all__ = ["Fold", "Unfold"]


class Unfold(Module):
    r"""Extract sliding local blocks from a batched input, as :class:`torch.nn.Unfold`.

    Each ``kH x kW`` block of each channel of the zero-padded input becomes (part of) a
    column: the output's row ``c * kH * kW + i * kW + j`` holds channel ``c`` at kernel
    offset ``(i, j)``, its column ``l`` the ``l``-th block, row-major over the block
    positions. A convolution is this followed by a matrix product with the flattened filters.

    Args:
        kernel_size: size of the blocks, an int or a pair (kH, kW).
        dilation: spacing between a block's elements, int or pair. Default: 1.
        padding: zeros added on both sides of H and W, int or pair. Default: 0.
        stride: step between blocks, int or pair. Default: 1.

    Shape:
        - Input: (N, C, H, W) or (C, H, W)
        - Output: (N, C * kH * kW, L) or (C * kH * kW, L), where ``L = H_out * W_out`` and
          ``H_out = floor((H + 2 * padding[0] - dilation[0] * (kH - 1) - 1) / stride[0]) + 1``
          (``W_out`` likewise).

    Example:
        >>> import xpnet
        >>> unfold = xpnet.nn.Unfold(kernel_size=(2, 3))
        >>> unfold
        Unfold(kernel_size=(2, 3), dilation=1, padding=0, stride=1)
        >>> unfold(np.ones((2, 5, 3, 4))).shape
        (2, 30, 4)
    """

    def __init__(self, kernel_size, dilation=1, padding=0, stride=1):
        super().__init__()
        self.kernel_size, self.dilation = kernel_size, dilation
        self.padding, self.stride = padding, stride

    def forward(self, input):
        return F.unfold(input, self.kernel_size, self.dilation, self.padding, self.stride)

    def extra_repr(self) -> str:
        return (
            f"kernel_size={self.kernel_size}, dilation={self.dilation}, "
            f"padding={self.padding}, stride={self.stride}"
        )


class Fold(Module):
    r"""Combine an array of sliding local blocks into an image, as :class:`torch.nn.Fold`:
    the adjoint of :class:`Unfold`, summing the values that blocks place on one pixel.

    ``Fold(Unfold(x))`` is ``x`` times the number of blocks that cover each pixel.

    Args:
        output_size: the spatial size (H, W) of the output, an int or a pair.
        kernel_size: size of the blocks, an int or a pair (kH, kW).
        dilation: spacing between a block's elements, int or pair. Default: 1.
        padding: zeros added on both sides of the output (then cropped), int or pair.
            Default: 0.
        stride: step between blocks, int or pair. Default: 1.

    Shape:
        - Input: (N, C * kH * kW, L) or (C * kH * kW, L), where L is the number of blocks
          of :class:`Unfold` over an image of ``output_size``.
        - Output: (N, C, H, W) or (C, H, W).

    Example:
        >>> import xpnet
        >>> fold = xpnet.nn.Fold(output_size=(4, 5), kernel_size=(2, 2))
        >>> fold
        Fold(output_size=(4, 5), kernel_size=(2, 2), dilation=1, padding=0, stride=1)
        >>> fold(np.ones((1, 12, 12))).shape
        (1, 3, 4, 5)
    """

    def __init__(self, output_size, kernel_size, dilation=1, padding=0, stride=1):
        super().__init__()
        self.output_size, self.kernel_size = output_size, kernel_size
        self.dilation, self.padding, self.stride = dilation, padding, stride

    def forward(self, input):
        return F.fold(
            input, self.output_size, self.kernel_size, self.dilation, self.padding, self.stride
        )

    def extra_repr(self) -> str:
        return (
            f"output_size={self.output_size}, kernel_size={self.kernel_size}, "
            f"dilation={self.dilation}, padding={self.padding}, stride={self.stride}"
        )
