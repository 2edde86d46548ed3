"""Pooling layers: ``MaxPool1d/2d/3d``, ``AvgPool1d/2d/3d``, ``AdaptiveAvgPool1d/2d/3d``,
``AdaptiveMaxPool1d/2d/3d``, ``LPPool1d/2d/3d``.

They call :mod:`xpnet.nn.functional`, whose numerics live in :mod:`xpnet.kernels.max_pooling`,
:mod:`~xpnet.kernels.avg_pooling`, :mod:`~xpnet.kernels.adaptive_pooling` and
:mod:`~xpnet.kernels.lp_pooling`.
"""

from __future__ import annotations

from ..kernels._checks import to_tuple
from ..kernels._pooling import stride_omitted
from . import functional as F
from .module import Module

__all__ = [
    "AdaptiveAvgPool1d",
    "AdaptiveAvgPool2d",
    "AdaptiveAvgPool3d",
    "AdaptiveMaxPool1d",
    "AdaptiveMaxPool2d",
    "AdaptiveMaxPool3d",
    "AvgPool1d",
    "AvgPool2d",
    "AvgPool3d",
    "LPPool1d",
    "LPPool2d",
    "LPPool3d",
    "MaxPool1d",
    "MaxPool2d",
    "MaxPool3d",
]


class MaxPool2d(Module):
    r"""Maximum over kH x kW windows of each channel, as :class:`torch.nn.MaxPool2d`.

    Args:
        kernel_size: window size, int or pair.
        stride: step between windows. Default: ``kernel_size``.
        padding: implicit -inf on each side, at most half the window. Default: 0.
        dilation: spacing between window elements. Default: 1.
        return_indices: also return the flat index of each maximum. Default: ``False``.
        ceil_mode: round the output size up. Default: ``False``.

    Shape:
        - Input: (N, C, H, W) or (C, H, W). Output: (N, C, H_out, W_out), where
          H_out = floor((H + 2 * padding[0] - dilation[0] * (kH - 1) - 1) / stride[0]) + 1
          (``ceil`` with ``ceil_mode``).

    Example:
        >>> import xpnet
        >>> pool = xpnet.nn.MaxPool2d(2)
        >>> pool, pool(np.ones((1, 1, 4, 4))).shape
        (MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False), (1, 1, 2, 2))
    """

    def __init__(
        self,
        kernel_size,
        stride=None,
        padding=0,
        dilation=1,
        return_indices: bool = False,
        ceil_mode: bool = False,
    ):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding, self.dilation = padding, dilation
        self.return_indices, self.ceil_mode = return_indices, ceil_mode

    def forward(self, input):
        return F.max_pool2d(
            input,
            self.kernel_size,
            self.stride,
            self.padding,
            self.dilation,
            self.ceil_mode,
            self.return_indices,
        )

    def extra_repr(self) -> str:
        return (
            f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
            f"dilation={self.dilation}, ceil_mode={self.ceil_mode}"
        )


class AvgPool2d(Module):
    r"""Mean over kH x kW windows of each channel, as :class:`torch.nn.AvgPool2d`.

    Args:
        kernel_size: window size, int or pair.
        stride: step between windows. Default: ``kernel_size``.
        padding: zeros on each side, at most half the window. Default: 0.
        ceil_mode: round the output size up. Default: ``False``.
        count_include_pad: count padded zeros in the divisor. Default: ``True``.
        divisor_override: divide by this instead of the window size. Default: ``None``.

    Shape:
        - Output: (N, C, H_out, W_out), H_out = floor((H + 2 * padding[0] - kH) / stride[0]) + 1.

    Example:
        >>> import xpnet
        >>> xpnet.nn.AvgPool2d(2)
        AvgPool2d(kernel_size=2, stride=2, padding=0)
    """

    def __init__(
        self,
        kernel_size,
        stride=None,
        padding=0,
        ceil_mode: bool = False,
        count_include_pad: bool = True,
        divisor_override=None,
    ):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding, self.ceil_mode = padding, ceil_mode
        self.count_include_pad, self.divisor_override = count_include_pad, divisor_override

    def forward(self, input):
        return F.avg_pool2d(
            input,
            self.kernel_size,
            self.stride,
            self.padding,
            self.ceil_mode,
            self.count_include_pad,
            self.divisor_override,
        )

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AdaptiveAvgPool2d(Module):
    r"""Mean over windows sized so that the output is ``output_size``, as PyTorch.

    Window ``i`` of an axis of length L spans ``[floor(i L / out), ceil((i + 1) L / out))``.

    Args:
        output_size: (H_out, W_out), or one int for both; ``None`` keeps that axis.

    Example:
        >>> import xpnet
        >>> xpnet.nn.AdaptiveAvgPool2d((1, 1))(np.ones((2, 8, 5, 5))).shape
        (2, 8, 1, 1)
    """

    def __init__(self, output_size):
        super().__init__()
        self.output_size = output_size

    def forward(self, input):
        return F.adaptive_avg_pool2d(input, self.output_size)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class AdaptiveMaxPool2d(AdaptiveAvgPool2d):
    r"""Maximum over adaptive windows (see :class:`AdaptiveAvgPool2d`), as PyTorch.

    Args:
        output_size: (H_out, W_out), or one int for both.
        return_indices: also return the flat index of each maximum. Default: ``False``.
    """

    def __init__(self, output_size, return_indices: bool = False):
        super().__init__(output_size)
        self.return_indices = return_indices

    def forward(self, input):
        return F.adaptive_max_pool2d(input, self.output_size, self.return_indices)


def _pool_arguments(module):
    return (module.kernel_size, module.stride, module.padding)


class MaxPool1d(MaxPool2d):
    r"""Maximum over windows of length k of each channel of an (N, C, L) or (C, L) input, as
    :class:`torch.nn.MaxPool1d`; arguments as :class:`MaxPool2d` (ints).

    Example:
        >>> import xpnet
        >>> xpnet.nn.MaxPool1d(3, 2)(np.ones((1, 2, 9))).shape
        (1, 2, 4)
    """

    def forward(self, input):
        options = (self.dilation, self.ceil_mode, self.return_indices)
        return F.max_pool1d(input, *_pool_arguments(self), *options)


class MaxPool3d(MaxPool2d):
    r"""Maximum over kD x kH x kW windows of an (N, C, D, H, W) or (C, D, H, W) input, as
    :class:`torch.nn.MaxPool3d`; arguments as :class:`MaxPool2d` (ints or triples).

    Example:
        >>> import xpnet
        >>> xpnet.nn.MaxPool3d(2)(np.ones((1, 2, 4, 4, 4))).shape
        (1, 2, 2, 2, 2)
    """

    def forward(self, input):
        options = (self.dilation, self.ceil_mode, self.return_indices)
        return F.max_pool3d(input, *_pool_arguments(self), *options)


class AvgPool1d(Module):
    r"""Mean over windows of length k of an (N, C, L) or (C, L) input, as
    :class:`torch.nn.AvgPool1d` (which has no ``divisor_override``); the sizes are kept as
    1-tuples, as PyTorch does.

    Args:
        kernel_size, stride (default ``kernel_size``), padding, ceil_mode, count_include_pad:
            as :class:`AvgPool2d`.

    Example:
        >>> import xpnet
        >>> xpnet.nn.AvgPool1d(3, 2)
        AvgPool1d(kernel_size=(3,), stride=(2,), padding=(0,))
    """

    def __init__(
        self,
        kernel_size,
        stride=None,
        padding=0,
        ceil_mode: bool = False,
        count_include_pad: bool = True,
    ):
        super().__init__()
        self.kernel_size = to_tuple("AvgPool1d", "kernel_size", kernel_size, 1)
        stride = kernel_size if stride_omitted(stride) else stride
        self.stride = to_tuple("AvgPool1d", "stride", stride, 1)
        self.padding = to_tuple("AvgPool1d", "padding", padding, 1, minimum=0)
        self.ceil_mode, self.count_include_pad = ceil_mode, count_include_pad

    def forward(self, input):
        options = (self.ceil_mode, self.count_include_pad)
        return F.avg_pool1d(input, *_pool_arguments(self), *options)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AvgPool3d(AvgPool2d):
    r"""Mean over kD x kH x kW windows of an (N, C, D, H, W) or (C, D, H, W) input, as
    :class:`torch.nn.AvgPool3d`; arguments as :class:`AvgPool2d` (ints or triples).

    Example:
        >>> import xpnet
        >>> xpnet.nn.AvgPool3d(2)(np.ones((1, 2, 4, 4, 4))).shape
        (1, 2, 2, 2, 2)
    """

    def forward(self, input):
        options = (self.ceil_mode, self.count_include_pad, self.divisor_override)
        return F.avg_pool3d(input, *_pool_arguments(self), *options)


class AdaptiveAvgPool1d(AdaptiveAvgPool2d):
    r"""Mean over adaptive windows of an (N, C, L) or (C, L) input, as
    :class:`torch.nn.AdaptiveAvgPool1d`; ``output_size`` is an int.

    Example:
        >>> import xpnet
        >>> xpnet.nn.AdaptiveAvgPool1d(3)(np.ones((2, 4, 10))).shape
        (2, 4, 3)
    """

    def forward(self, input):
        return F.adaptive_avg_pool1d(input, self.output_size)


class AdaptiveAvgPool3d(AdaptiveAvgPool2d):
    r"""Mean over adaptive windows of an (N, C, D, H, W) or (C, D, H, W) input, as
    :class:`torch.nn.AdaptiveAvgPool3d`; ``output_size`` an int or a triple (``None`` keeps
    that axis).

    Example:
        >>> import xpnet
        >>> xpnet.nn.AdaptiveAvgPool3d(1)(np.ones((2, 4, 3, 3, 3))).shape
        (2, 4, 1, 1, 1)
    """

    def forward(self, input):
        return F.adaptive_avg_pool3d(input, self.output_size)


class AdaptiveMaxPool1d(AdaptiveMaxPool2d):
    r"""Maximum over adaptive windows of an (N, C, L) or (C, L) input, as
    :class:`torch.nn.AdaptiveMaxPool1d`.

    Example:
        >>> import xpnet
        >>> xpnet.nn.AdaptiveMaxPool1d(3)
        AdaptiveMaxPool1d(output_size=3)
    """

    def forward(self, input):
        return F.adaptive_max_pool1d(input, self.output_size, self.return_indices)


class AdaptiveMaxPool3d(AdaptiveMaxPool2d):
    r"""Maximum over adaptive windows of an (N, C, D, H, W) or (C, D, H, W) input, as
    :class:`torch.nn.AdaptiveMaxPool3d`.

    Example:
        >>> import xpnet
        >>> xpnet.nn.AdaptiveMaxPool3d(2)(np.ones((1, 1, 4, 4, 4))).shape
        (1, 1, 2, 2, 2)
    """

    def forward(self, input):
        return F.adaptive_max_pool3d(input, self.output_size, self.return_indices)


class LPPool2d(Module):
    r"""Power-average pooling, ``(sum over each window of x ** p) ** (1 / p)``, as
    :class:`torch.nn.LPPool2d` (:func:`xpnet.kernels.lp_pool2d`: ``p = inf`` is max pooling of
    ``|x|``; a window whose powers sum to zero gets a zero gradient).

    Args:
        norm_type: the power p (a number, kept as given; ``forward`` passes ``float(p)``).
        kernel_size: window size, int or pair.
        stride: step between windows. Default: ``None``, the window size.
        ceil_mode: round the output size up. Default: ``False``.

    Shape:
        - Input: (N, C, H, W) or (C, H, W). Output: (N, C, H_out, W_out), where
          H_out = floor((H - kernel_size[0]) / stride[0]) + 1 (``ceil`` with ``ceil_mode``).

    Example:
        >>> import xpnet
        >>> pool = xpnet.nn.LPPool2d(2, 3, stride=2)
        >>> pool, pool(np.ones((1, 1, 5, 5))).shape
        (LPPool2d(norm_type=2, kernel_size=3, stride=2, ceil_mode=False), (1, 1, 2, 2))
    """

    def __init__(self, norm_type, kernel_size, stride=None, ceil_mode: bool = False):
        super().__init__()
        self.norm_type, self.kernel_size = norm_type, kernel_size
        self.stride, self.ceil_mode = stride, ceil_mode

    def forward(self, input):
        options = (float(self.norm_type), self.kernel_size, self.stride, self.ceil_mode)
        return F.lp_pool2d(input, *options)

    def extra_repr(self) -> str:
        return (
            f"norm_type={self.norm_type}, kernel_size={self.kernel_size}, "
            f"stride={self.stride}, ceil_mode={self.ceil_mode}"
        )


class LPPool1d(LPPool2d):
    r"""Power-average pooling over windows of an (N, C, L) or (C, L) input, as
    :class:`torch.nn.LPPool1d` (see :class:`LPPool2d`).

    Example:
        >>> import xpnet
        >>> xpnet.nn.LPPool1d(1, 2)(np.ones((1, 1, 4)))
        tensor([[[2., 2.]]], dtype=xpnet.float64)
    """

    def forward(self, input):
        options = (float(self.norm_type), self.kernel_size, self.stride, self.ceil_mode)
        return F.lp_pool1d(input, *options)


class LPPool3d(LPPool2d):
    r"""Power-average pooling over windows of an (N, C, D, H, W) or (C, D, H, W) input, as
    :class:`torch.nn.LPPool3d` (see :class:`LPPool2d`).

    Example:
        >>> import xpnet
        >>> xpnet.nn.LPPool3d(2, 2)(np.ones((1, 2, 2, 2))).shape
        (1, 1, 1, 1)
    """

    def forward(self, input):
        options = (float(self.norm_type), self.kernel_size, self.stride, self.ceil_mode)
        return F.lp_pool3d(input, *options)
