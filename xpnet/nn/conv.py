"""``Conv2d``: the layer that holds a convolution's weight and bias.

It calls :func:`xpnet.nn.functional.conv2d`, whose numerics live in :mod:`xpnet.kernels.conv`;
its weight and bias are made and initialised by the helpers it shares with ``Linear``
(:mod:`xpnet.nn.linear`).
"""

from __future__ import annotations

from ..kernels._checks import to_tuple
from . import functional as F
from .linear import add_weight_and_bias, reset_weight_and_bias
from .module import Module

__all__ = ["Conv2d"]


class Conv2d(Module):
    r"""2-D convolution (cross-correlation) over an (N, C_in, H, W) input, as
    :class:`torch.nn.Conv2d`.

    ``out[n, o] = bias[o] + sum_c weight[o, c] * input[n, c]`` (``*`` the 2-D
    cross-correlation), over the ``C_in / groups`` channels of ``o``'s group.

    Args:
        in_channels: C_in. out_channels: C_out.
        kernel_size: int or pair (kH, kW).
        stride: int or pair. Default: 1.
        padding: zeros on each side: int, pair, ``'valid'`` or ``'same'``. Default: 0.
        dilation: spacing between kernel elements, int or pair. Default: 1.
        groups: independent channel groups; must divide C_in and C_out. Default: 1.
        bias: learn a per-channel bias. Default: ``True``.
        padding_mode: only ``'zeros'`` is supported. Default: ``'zeros'``.
        device: backend name. Default: current. dtype: Default: float32.

    Shape:
        - Input: (N, C_in, H, W) or (C_in, H, W).
        - Output: (N, C_out, H_out, W_out), where
          H_out = floor((H + 2 * padding[0] - dilation[0] * (kH - 1) - 1) / stride[0]) + 1,
          and likewise W_out.

    Attributes:
        weight: (C_out, C_in / groups, kH, kW), U(-k, k) with
            k = 1 / sqrt(C_in / groups * kH * kW). bias: (C_out,), U(-k, k).

    Raises:
        ValueError: channels not divisible by ``groups``, or another ``padding_mode``.

    Example:
        >>> import xpnet
        >>> conv = xpnet.nn.Conv2d(3, 16, 3, padding=1)
        >>> conv, conv(np.ones((2, 3, 8, 8), dtype=np.float32)).shape
        (Conv2d(3, 16, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1)), (2, 16, 8, 8))
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size,
        stride=1,
        padding=0,
        dilation=1,
        groups: int = 1,
        bias: bool = True,
        padding_mode: str = "zeros",
        device=None,
        dtype=None,
    ):
        super().__init__()
        for name, channels in (("in_channels", in_channels), ("out_channels", out_channels)):
            if groups < 1 or channels % groups:
                msg = f"Conv2d: {name} must be divisible by groups, got {channels} and {groups}"
                raise ValueError(msg)
        if padding_mode != "zeros":
            msg = (
                f"Conv2d: padding_mode must be 'zeros' (the only one xpnet has), "
                f"got {padding_mode!r}"
            )
            raise ValueError(msg)
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size = to_tuple("Conv2d", "kernel_size", kernel_size)
        self.stride = to_tuple("Conv2d", "stride", stride)
        self.padding = (
            padding
            if isinstance(padding, str)
            else to_tuple("Conv2d", "padding", padding, minimum=0)
        )
        self.dilation = to_tuple("Conv2d", "dilation", dilation)
        self.padding_mode = padding_mode
        shape = (out_channels, in_channels // groups, *self.kernel_size)
        add_weight_and_bias(self, shape, bias, device, dtype)

    def reset_parameters(self) -> None:
        reset_weight_and_bias(self.weight, self.bias)

    def forward(self, input):
        return F.conv2d(
            input, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups
        )

    def extra_repr(self) -> str:
        text = (
            f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
            f"stride={self.stride}"
        )
        if self.padding != (0, 0):
            text += f", padding={self.padding}"
        if self.dilation != (1, 1):
            text += f", dilation={self.dilation}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        if self.bias is None:
            text += ", bias=False"
        return text
