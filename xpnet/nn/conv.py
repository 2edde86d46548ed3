"""Convolution layers: ``Conv1d/2d/3d`` and ``ConvTranspose1d/2d/3d``, which hold a
convolution's weight and bias.

They call :mod:`xpnet.nn.functional` (``conv1d``, ..., ``conv_transpose3d``), whose numerics
live in :mod:`xpnet.kernels.conv`, :mod:`~xpnet.kernels.conv_nd` and
:mod:`~xpnet.kernels.conv_transpose`; the weight and bias are made and initialised by the
helpers they share with ``Linear`` (:mod:`xpnet.nn.linear`), as PyTorch does.
"""

from __future__ import annotations

from ..kernels._checks import to_tuple
from . import functional as F
from .linear import add_weight_and_bias, reset_weight_and_bias
from .module import Module
from .parameter import Parameter, check_sizes, new_array

__all__ = ["Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d"]


def _check_padding_string(where: str, padding: str, nd: int, transposed: bool, stride) -> None:
    """PyTorch's checks of a string padding, made when the layer is built: a transposed
    convolution takes none, and ``'same'`` has no meaning with a stride above 1."""
    if transposed:
        msg = f"{where}: padding must be an int or a tuple of {nd} ints, got {padding!r}"
        raise ValueError(msg)
    if padding not in ("same", "valid"):
        msg = f"{where}: padding must be an int, a tuple, 'valid' or 'same', got {padding!r}"
        raise ValueError(msg)
    strides = stride if isinstance(stride, tuple | list) else (stride,)
    if padding == "same" and any(step != 1 for step in strides):
        msg = f"{where}: padding='same' needs stride 1 (as PyTorch), got stride={stride!r}"
        raise ValueError(msg)


_PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


def _padding_of_pad(padding, kernel_size, dilation):
    """PyTorch's ``_reversed_padding_repeated_twice``: the layer's padding as the argument of
    :func:`~xpnet.nn.functional.pad` (last dimension first; ``'same'`` puts the odd one of a
    dimension's total ``dilation * (k - 1)`` on the right)."""
    if padding == "valid":
        return [0, 0] * len(kernel_size)
    if padding == "same":
        totals = [d * (k - 1) for d, k in zip(dilation, kernel_size, strict=True)]
        return [side for t in reversed(totals) for side in (t // 2, t - t // 2)]
    return tuple(side for p in reversed(padding) for side in (p, p))


class _ConvNd(Module):
    """What every convolution layer shares: argument checks, parameters, init, extra_repr.
    Subclasses set ``_nd``, ``_function`` (a name in :mod:`xpnet.nn.functional`) and
    ``_transposed``."""

    _nd, _function, _transposed = 2, "conv2d", False

    def __init__(
        self,
        in_channels,
        out_channels,
        kernel_size,
        stride,
        padding,
        dilation,
        groups,
        bias,
        padding_mode,
        device,
        dtype,
        output_padding=0,
    ):
        super().__init__()
        where, nd = type(self).__name__, self._nd
        check_sizes(where, in_channels=in_channels, out_channels=out_channels, groups=groups)
        if groups < 1:
            raise ValueError(f"{where}: groups must be a positive integer, got {groups}")
        for name, channels in (("in_channels", in_channels), ("out_channels", out_channels)):
            if channels % groups:
                msg = f"{where}: {name} must be divisible by groups, got {channels} and {groups}"
                raise ValueError(msg)
        if self._transposed and padding_mode != "zeros":
            raise ValueError(f'Only "zeros" padding mode is supported for {where}')
        if padding_mode not in _PADDING_MODES:
            msg = f"{where}: padding_mode must be one of {_PADDING_MODES}, got {padding_mode!r}"
            raise ValueError(msg)
        if isinstance(padding, str):
            _check_padding_string(where, padding, nd, self._transposed, stride)
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        if nd > 1 and hasattr(kernel_size, "__len__") and len(kernel_size) == 1:
            # PyTorch builds a 1-D kernel from it, which its forward then refuses
            msg = (
                f"{where}: kernel_size must be an int or a tuple of {nd} ints, got {kernel_size!r}"
            )
            raise TypeError(msg)
        self.kernel_size = to_tuple(where, "kernel_size", kernel_size, nd)
        self.stride = to_tuple(where, "stride", stride, nd)
        self.padding = (
            padding
            if isinstance(padding, str)
            else to_tuple(where, "padding", padding, nd, minimum=0)
        )
        self.dilation = to_tuple(where, "dilation", dilation, nd)
        self.output_padding = to_tuple(where, "output_padding", output_padding, nd, minimum=0)
        self.transposed = self._transposed
        self.padding_mode = padding_mode
        self._reversed_padding_repeated_twice = _padding_of_pad(
            self.padding, self.kernel_size, self.dilation
        )
        if not self._transposed:
            shape = (out_channels, in_channels // groups, *self.kernel_size)
            add_weight_and_bias(self, shape, bias, device, dtype)
            return
        # PyTorch's layout (C_in, C_out / groups, *k); the bias has C_out entries
        shape = (in_channels, out_channels // groups, *self.kernel_size)
        add_weight_and_bias(self, shape, False, device, dtype)
        if bias:
            self.bias = Parameter(new_array((out_channels,), device, dtype))
            self.reset_parameters()

    def reset_parameters(self) -> None:
        reset_weight_and_bias(self.weight, self.bias)

    def extra_repr(self) -> str:
        nd = self._nd
        text = (
            f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
            f"stride={self.stride}"
        )
        if self.padding != (0,) * nd:
            text += f", padding={self.padding}"
        if self.dilation != (1,) * nd:
            text += f", dilation={self.dilation}"
        if self.output_padding != (0,) * nd:
            text += f", output_padding={self.output_padding}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        if self.bias is None:
            text += ", bias=False"
        if self.padding_mode != "zeros":
            text += f", padding_mode={self.padding_mode}"
        return text


class Conv2d(_ConvNd):
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
        padding_mode: what ``padding`` adds: ``'zeros'``, ``'reflect'``, ``'replicate'`` or
            ``'circular'`` (as :func:`~xpnet.nn.functional.pad`'s modes). Default: ``'zeros'``.
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
        ValueError: channels not divisible by ``groups``, or an unknown ``padding_mode``.

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
        options = (stride, padding, dilation, groups, bias, padding_mode, device, dtype)
        super().__init__(in_channels, out_channels, kernel_size, *options)

    def forward(self, input):
        return self._conv_forward(input, self.weight, self.bias)

    def _conv_forward(self, input, weight, bias):
        """The convolution with this layer's options and the given ``weight`` and ``bias``, as
        PyTorch's (subclasses that transform the weight call it)."""
        padding = self.padding
        if self.padding_mode != "zeros":  # PyTorch's: pad first, then convolve without padding
            input = F.pad(input, self._reversed_padding_repeated_twice, mode=self.padding_mode)
            padding = (0,) * self._nd
        function = getattr(F, self._function)
        return function(input, weight, bias, self.stride, padding, self.dilation, self.groups)


class Conv1d(Conv2d):
    r"""1-D convolution over an (N, C_in, L) or (C_in, L) input, as :class:`torch.nn.Conv1d`.

    Arguments as :class:`Conv2d`, with ints (or 1-tuples) for the sizes.

    Shape:
        - Output: (N, C_out, L_out), L_out = floor((L + 2 * padding - dilation * (k - 1) - 1)
          / stride) + 1.

    Attributes:
        weight: (C_out, C_in / groups, k), U(-b, b) with b = 1 / sqrt(C_in / groups * k).
        bias: (C_out,), U(-b, b).

    Example:
        >>> import xpnet
        >>> conv = xpnet.nn.Conv1d(3, 8, 5, padding=2)
        >>> conv, conv(np.ones((2, 3, 16), dtype=np.float32)).shape
        (Conv1d(3, 8, kernel_size=(5,), stride=(1,), padding=(2,)), (2, 8, 16))
    """

    _nd, _function = 1, "conv1d"


class Conv3d(Conv2d):
    r"""3-D convolution over an (N, C_in, D, H, W) or (C_in, D, H, W) input, as
    :class:`torch.nn.Conv3d`.

    Arguments as :class:`Conv2d`, with ints or triples for the sizes.

    Shape:
        - Output: (N, C_out, D_out, H_out, W_out), each as in :class:`Conv1d`.

    Attributes:
        weight: (C_out, C_in / groups, kD, kH, kW), U(-b, b) with
            b = 1 / sqrt(C_in / groups * kD * kH * kW). bias: (C_out,), U(-b, b).

    Example:
        >>> import xpnet
        >>> conv = xpnet.nn.Conv3d(2, 4, 3, padding=1)
        >>> conv, conv(np.ones((1, 2, 4, 4, 4), dtype=np.float32)).shape
        (Conv3d(2, 4, kernel_size=(3, 3, 3), stride=(1, 1, 1), padding=(1, 1, 1)), (1, 4, 4, 4, 4))
    """

    _nd, _function = 3, "conv3d"


class ConvTranspose2d(_ConvNd):
    r"""2-D transposed convolution ("deconvolution"), as :class:`torch.nn.ConvTranspose2d`:
    the adjoint of :class:`Conv2d` with the same arguments, e.g. to upsample in a decoder.

    Args:
        in_channels: C_in. out_channels: C_out.
        kernel_size: int or pair (kH, kW).
        stride: int or pair. Default: 1.
        padding: ``dilation * (k - 1) - padding`` zeros around the input, int or pair.
            Default: 0.
        output_padding: extra rows/columns on one side of the output, each smaller than
            stride or dilation. Default: 0.
        groups: independent channel groups; must divide C_in and C_out. Default: 1.
        bias: learn a per-channel bias. Default: ``True``.
        dilation: spacing between kernel elements. Default: 1.
        padding_mode: only ``'zeros'``, as PyTorch's. device: backend name. dtype: Default:
            float32.

    Shape:
        - Input: (N, C_in, H, W) or (C_in, H, W).
        - Output: (N, C_out, H_out, W_out), H_out = (H - 1) * stride[0] - 2 * padding[0] +
          dilation[0] * (kH - 1) + output_padding[0] + 1, likewise W_out.
          ``forward(input, output_size)`` picks ``output_padding`` to reach ``output_size``.

    Attributes:
        weight: (C_in, C_out / groups, kH, kW), PyTorch's layout, U(-b, b) with
            b = 1 / sqrt(C_out / groups * kH * kW) (PyTorch's fan-in of this layout).
        bias: (C_out,), U(-b, b).

    Raises:
        ValueError: channels not divisible by ``groups``, another ``padding_mode``, a string
            padding; in ``forward``, an unreachable ``output_size``.

    Example:
        >>> import xpnet
        >>> up = xpnet.nn.ConvTranspose2d(4, 2, 3, stride=2, padding=1, output_padding=1)
        >>> up, up(np.ones((1, 4, 5, 5), dtype=np.float32)).shape
        (ConvTranspose2d(4, 2, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1), output_padding=(1, 1)), (1, 2, 10, 10))
    """  # noqa: E501

    _nd, _function, _transposed = 2, "conv_transpose2d", True

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size,
        stride=1,
        padding=0,
        output_padding=0,
        groups: int = 1,
        bias: bool = True,
        dilation=1,
        padding_mode: str = "zeros",
        device=None,
        dtype=None,
    ):
        options = (stride, padding, dilation, groups, bias, padding_mode, device, dtype)
        super().__init__(in_channels, out_channels, kernel_size, *options, output_padding)

    def forward(self, input, output_size=None):
        output_padding = self._output_padding(input, output_size)
        function = getattr(F, self._function)
        options = (self.stride, self.padding, output_padding, self.groups, self.dilation)
        return function(input, self.weight, self.bias, *options)

    def _output_padding(self, input, output_size):
        """``output_padding``, or the one that gives ``output_size`` (as PyTorch)."""
        if output_size is None:
            return self.output_padding
        where, nd = type(self).__name__, self._nd
        output_size = tuple(output_size)
        # as PyTorch: the spatial sizes, or the whole shape (with its batch and channels)
        leading = 2 if input.ndim == nd + 2 else 1
        if len(output_size) == leading + nd:
            output_size = output_size[leading:]
        if len(output_size) != nd:
            msg = (
                f"{where}: for {input.ndim}D input, output_size must have {nd} or "
                f"{leading + nd} elements, got {len(output_size)}"
            )
            raise ValueError(msg)
        padding = []
        for axis, wanted in enumerate(output_size):
            k, s, p, d = (
                value[axis]
                for value in (self.kernel_size, self.stride, self.padding, self.dilation)
            )
            smallest = (input.shape[input.ndim - nd + axis] - 1) * s - 2 * p + d * (k - 1) + 1
            if not smallest <= wanted < smallest + s:
                msg = (
                    f"{where}: output_size must be between {smallest} and {smallest + s - 1} "
                    f"along spatial axis {axis}, got {tuple(output_size)}"
                )
                raise ValueError(msg)
            padding.append(wanted - smallest)
        return tuple(padding)


class ConvTranspose1d(ConvTranspose2d):
    r"""1-D transposed convolution over an (N, C_in, L) or (C_in, L) input, as
    :class:`torch.nn.ConvTranspose1d`; arguments as :class:`ConvTranspose2d` (ints).

    Attributes:
        weight: (C_in, C_out / groups, k). bias: (C_out,).

    Example:
        >>> import xpnet
        >>> xpnet.nn.ConvTranspose1d(4, 2, 4, stride=2)(np.ones((1, 4, 8), dtype=np.float32)).shape
        (1, 2, 18)
    """

    _nd, _function = 1, "conv_transpose1d"


class ConvTranspose3d(ConvTranspose2d):
    r"""3-D transposed convolution over an (N, C_in, D, H, W) or (C_in, D, H, W) input, as
    :class:`torch.nn.ConvTranspose3d`; arguments as :class:`ConvTranspose2d` (ints or triples).

    Attributes:
        weight: (C_in, C_out / groups, kD, kH, kW). bias: (C_out,).

    Example:
        >>> import xpnet
        >>> up = xpnet.nn.ConvTranspose3d(2, 1, 2, stride=2)
        >>> up(np.ones((1, 2, 3, 3, 3), dtype=np.float32)).shape
        (1, 1, 6, 6, 6)
    """

    _nd, _function = 3, "conv_transpose3d"
