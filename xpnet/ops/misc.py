"""torchvision's ``torchvision/ops/misc.py``: the layers torchvision's models are built from
(conv-norm-activation blocks, squeeze-and-excitation, an MLP, a permutation and a frozen batch
norm), with torchvision's arguments, children names (so ``state_dict`` keys) and ``repr``.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence

from .. import nn
from ..autograd import Tensor
from ..nn.parameter import new_array

__all__ = [
    "MLP",
    "Conv2dNormActivation",
    "Conv3dNormActivation",
    "FrozenBatchNorm2d",
    "Permute",
    "SqueezeExcitation",
]


class FrozenBatchNorm2d(nn.Module):
    """torchvision's ``FrozenBatchNorm2d``: a batch norm whose statistics and affine
    parameters are buffers (never trained, never updated): ``x * scale + shift`` with
    ``scale = weight / sqrt(running_var + eps)``. A batch norm's ``num_batches_tracked`` in a
    loaded ``state_dict`` is ignored, as torchvision does.

    Args:
        num_features: the channels ``C`` of an ``(N, C, H, W)`` input.
        eps: added to the variance. Default: 1e-5.

    Example:
        >>> import xpnet
        >>> FrozenBatchNorm2d(3)(xpnet.ones(1, 3, 2, 2)).shape
        (1, 3, 2, 2)
    """

    def __init__(self, num_features: int, eps: float = 1e-5):
        super().__init__()
        self.eps = eps
        for name in ("weight", "bias", "running_mean", "running_var"):
            array = new_array((num_features,))
            self.register_buffer(name, array + 1 if name in ("weight", "running_var") else array)
        # torchvision's _load_from_state_dict: a BatchNorm2d's state_dict loads too
        hooks = self.__dict__.setdefault("_load_state_dict_pre_hooks", OrderedDict())
        hooks["frozen_batch_norm"] = self._drop_num_batches_tracked

    @staticmethod
    def _drop_num_batches_tracked(state_dict: dict, prefix: str) -> None:
        state_dict.pop(prefix + "num_batches_tracked", None)

    def forward(self, x):
        w, b = Tensor(self.weight).reshape(1, -1, 1, 1), Tensor(self.bias).reshape(1, -1, 1, 1)
        rv = Tensor(self.running_var).reshape(1, -1, 1, 1)
        rm = Tensor(self.running_mean).reshape(1, -1, 1, 1)
        scale = w * (rv + self.eps).rsqrt()
        return x * scale + (b - rm * scale)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.weight.shape[0]}, eps={self.eps})"


def _same_padding(kernel_size, dilation):
    """torchvision's default padding: ``(k - 1) // 2 * d`` per dimension (a tuple when
    ``kernel_size`` or ``dilation`` is one)."""
    if isinstance(kernel_size, int) and isinstance(dilation, int):
        return (kernel_size - 1) // 2 * dilation
    dims = len(kernel_size) if isinstance(kernel_size, Sequence) else len(dilation)
    kernel_size = (kernel_size,) * dims if isinstance(kernel_size, int) else tuple(kernel_size)
    dilation = (dilation,) * dims if isinstance(dilation, int) else tuple(dilation)
    return tuple((kernel_size[i] - 1) // 2 * dilation[i] for i in range(dims))


class ConvNormActivation(nn.Sequential):
    """What :class:`Conv2dNormActivation` and :class:`Conv3dNormActivation` share: a conv
    (``conv_layer``), a norm layer and an activation in a Sequential (children ``0``, ``1``,
    ``2``, as torchvision's ``state_dict`` keys have them)."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size=3,
        stride=1,
        padding=None,
        groups: int = 1,
        norm_layer=nn.BatchNorm2d,
        activation_layer=nn.ReLU,
        dilation=1,
        inplace: bool | None = True,
        bias: bool | None = None,
        conv_layer=nn.Conv2d,
    ):
        padding = _same_padding(kernel_size, dilation) if padding is None else padding
        bias = norm_layer is None if bias is None else bias
        conv = conv_layer(
            in_channels,
            out_channels,
            kernel_size,
            stride,
            padding,
            dilation=dilation,
            groups=groups,
            bias=bias,
        )
        layers = [conv]
        if norm_layer is not None:
            layers.append(norm_layer(out_channels))
        if activation_layer is not None:
            layers.append(activation_layer(**({} if inplace is None else {"inplace": inplace})))
        super().__init__(*layers)
        self.out_channels = out_channels


class Conv2dNormActivation(ConvNormActivation):
    """torchvision's ``ops.Conv2dNormActivation``: a ``Conv2d``, a norm layer and an
    activation in a Sequential.

    Args:
        in_channels, out_channels: the conv's channels.
        kernel_size, stride, dilation: the conv's (ints or pairs). Defaults: 3, 1, 1.
        padding: the conv's; ``None``: ``(kernel_size - 1) // 2 * dilation``. Default: ``None``.
        groups: the conv's groups. Default: 1.
        norm_layer: called with ``out_channels``, or ``None`` for none. Default: BatchNorm2d.
        activation_layer: called with ``inplace=inplace``, or ``None``. Default: ReLU.
        inplace: the activation's ``inplace`` (``None``: not passed). Default: ``True``.
        bias: the conv's bias; ``None``: a bias only without a norm layer. Default: ``None``.

    Example:
        >>> import xpnet
        >>> Conv2dNormActivation(3, 8, stride=2)(xpnet.zeros(1, 3, 8, 8)).shape
        (1, 8, 4, 4)
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size=3,
        stride=1,
        padding=None,
        groups: int = 1,
        norm_layer=nn.BatchNorm2d,
        activation_layer=nn.ReLU,
        dilation=1,
        inplace: bool | None = True,
        bias: bool | None = None,
    ):
        super().__init__(
            in_channels,
            out_channels,
            kernel_size,
            stride,
            padding,
            groups,
            norm_layer,
            activation_layer,
            dilation,
            inplace,
            bias,
            nn.Conv2d,
        )


class Conv3dNormActivation(ConvNormActivation):
    """torchvision's ``ops.Conv3dNormActivation``: :class:`Conv2dNormActivation` with a
    ``Conv3d`` and, by default, ``BatchNorm3d``.

    Example:
        >>> import xpnet
        >>> Conv3dNormActivation(2, 4, kernel_size=1)(xpnet.zeros(1, 2, 3, 3, 3)).shape
        (1, 4, 3, 3, 3)
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size=3,
        stride=1,
        padding=None,
        groups: int = 1,
        norm_layer=nn.BatchNorm3d,
        activation_layer=nn.ReLU,
        dilation=1,
        inplace: bool | None = True,
        bias: bool | None = None,
    ):
        super().__init__(
            in_channels,
            out_channels,
            kernel_size,
            stride,
            padding,
            groups,
            norm_layer,
            activation_layer,
            dilation,
            inplace,
            bias,
            nn.Conv3d,
        )


class SqueezeExcitation(nn.Module):
    """torchvision's ``ops.SqueezeExcitation`` (Hu et al., 2018): the input times
    ``scale_activation(fc2(activation(fc1(avgpool(input)))))``, ``fc1`` and ``fc2`` 1x1
    convs through ``squeeze_channels``.

    Args:
        input_channels: the input's channels.
        squeeze_channels: the channels between ``fc1`` and ``fc2``.
        activation: called without arguments. Default: ReLU.
        scale_activation: called without arguments. Default: Sigmoid.

    Example:
        >>> import xpnet
        >>> SqueezeExcitation(8, 2)(xpnet.ones(1, 8, 4, 4)).shape
        (1, 8, 4, 4)
    """

    def __init__(
        self,
        input_channels: int,
        squeeze_channels: int,
        activation=nn.ReLU,
        scale_activation=nn.Sigmoid,
    ):
        super().__init__()
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc1 = nn.Conv2d(input_channels, squeeze_channels, 1)
        self.fc2 = nn.Conv2d(squeeze_channels, input_channels, 1)
        self.activation = activation()
        self.scale_activation = scale_activation()

    def forward(self, input):
        scale = self.activation(self.fc1(self.avgpool(input)))
        return self.scale_activation(self.fc2(scale)) * input


class MLP(nn.Sequential):
    """torchvision's ``ops.MLP``: per hidden size but the last, a Linear, the norm layer (if
    any), the activation and a Dropout; then a Linear to the last size and a Dropout.

    Args:
        in_channels: the input's last dimension.
        hidden_channels: the Linear layers' output sizes.
        norm_layer: called with a size, or ``None`` for none. Default: ``None``.
        activation_layer: the activation class. Default: ReLU.
        inplace: passed to the activation and the dropouts (``None``: not passed).
        bias: the Linear layers' bias. Default: ``True``.
        dropout: the dropouts' probability. Default: 0.0.

    Example:
        >>> import xpnet
        >>> MLP(4, [8, 2])(xpnet.ones(3, 4)).shape
        (3, 2)
    """

    def __init__(
        self,
        in_channels: int,
        hidden_channels: list[int],
        norm_layer=None,
        activation_layer=nn.ReLU,
        inplace: bool | None = None,
        bias: bool = True,
        dropout: float = 0.0,
    ):
        params = {} if inplace is None else {"inplace": inplace}
        layers, in_dim = [], in_channels
        for hidden_dim in hidden_channels[:-1]:
            layers.append(nn.Linear(in_dim, hidden_dim, bias=bias))
            if norm_layer is not None:
                layers.append(norm_layer(hidden_dim))
            layers += [activation_layer(**params), nn.Dropout(dropout, **params)]
            in_dim = hidden_dim
        layers.append(nn.Linear(in_dim, hidden_channels[-1], bias=bias))
        layers.append(nn.Dropout(dropout, **params))
        super().__init__(*layers)


class Permute(nn.Module):
    """torchvision's ``ops.Permute``: the input with its dimensions in the order ``dims``.

    Example:
        >>> import xpnet
        >>> Permute([0, 2, 3, 1])(xpnet.zeros(1, 3, 4, 5)).shape
        (1, 4, 5, 3)
    """

    def __init__(self, dims: list[int]):
        super().__init__()
        self.dims = dims

    def forward(self, x):
        return x.permute(self.dims)
