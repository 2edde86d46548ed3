"""``Linear``, ``Bilinear`` (:mod:`xpnet.kernels.bilinear`) and ``Identity``, and the
weight-and-bias helpers that ``Conv2d`` shares.

``Linear`` calls :func:`xpnet.nn.functional.linear`, whose numerics live in
:mod:`xpnet.kernels.linear`; initial values follow PyTorch's rules from
:mod:`xpnet.nn.init`. :mod:`xpnet.nn.conv` uses :func:`add_weight_and_bias` and
:func:`reset_weight_and_bias` too.
"""

from __future__ import annotations

import math

from . import functional as F
from . import init
from .module import Module
from .parameter import Parameter, check_sizes, new_array

__all__ = ["Bilinear", "Identity", "Linear"]


def add_weight_and_bias(module, weight_shape, bias: bool, device, dtype) -> None:
    """Give ``module`` a ``weight`` of ``weight_shape`` and a bias (or ``None``), initialised
    by ``module.reset_parameters()``; shared by Linear and Conv2d."""
    module.weight = Parameter(new_array(weight_shape, device, dtype))
    if bias:
        module.bias = Parameter(new_array(weight_shape[:1], device, dtype))
    else:
        module.register_parameter("bias", None)
    module.reset_parameters()


def reset_weight_and_bias(weight, bias) -> None:
    """PyTorch's default for Linear and Conv: ``kaiming_uniform_(a=sqrt(5))`` for the weight,
    i.e. U(-1/sqrt(fan_in), 1/sqrt(fan_in)), and the same bound for the bias."""
    init.kaiming_uniform_(weight, a=math.sqrt(5))
    if bias is not None:
        fan_in, _ = init.calculate_fan_in_and_fan_out(weight)
        bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
        init.uniform_(bias, -bound, bound)


class Linear(Module):
    r"""Affine map ``y = x W^T + b``, as :class:`torch.nn.Linear`.

    Args:
        in_features: size of each input sample.
        out_features: size of each output sample.
        bias: learn an additive bias. Default: ``True``.
        device: backend name (``"numpy"``, ``"strict"``, ``"cupy"``). Default: current.
        dtype: parameter dtype. Default: float32.

    Shape:
        - Input: (*, in_features). Output: (*, out_features).

    Attributes:
        weight: (out_features, in_features), U(-k, k) with k = 1/sqrt(in_features).
        bias: (out_features,), U(-k, k).

    Example:
        >>> import xpnet
        >>> layer = xpnet.nn.Linear(20, 30)
        >>> layer, layer(np.ones((128, 20), dtype=np.float32)).shape
        (Linear(in_features=20, out_features=30, bias=True), (128, 30))
    """

    def __init__(
        self, in_features: int, out_features: int, bias: bool = True, device=None, dtype=None
    ):
        super().__init__()
        check_sizes("Linear", in_features=in_features, out_features=out_features)
        self.in_features, self.out_features = in_features, out_features
        add_weight_and_bias(self, (out_features, in_features), bias, device, dtype)

    def reset_parameters(self) -> None:
        reset_weight_and_bias(self.weight, self.bias)

    def forward(self, input):
        return F.linear(input, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, "
            f"bias={self.bias is not None}"
        )


class Bilinear(Module):
    r"""Bilinear map ``y = x1^T A x2 + b``, as :class:`torch.nn.Bilinear`
    (:func:`xpnet.kernels.bilinear`).

    Args:
        in1_features, in2_features: sizes of each sample of the two inputs (in1 > 0).
        out_features: size of each output sample.
        bias: learn an additive bias. Default: ``True``.
        device: backend name. Default: current. dtype: parameter dtype. Default: float32.

    Shape:
        - Inputs: (*, in1_features) and (*, in2_features). Output: (*, out_features).

    Attributes:
        weight: (out_features, in1_features, in2_features), U(-k, k), k = 1/sqrt(in1_features).
        bias: (out_features,), U(-k, k).

    Example:
        >>> import xpnet
        >>> layer = xpnet.nn.Bilinear(20, 30, 40)
        >>> layer, layer(np.ones((8, 20), np.float32), np.ones((8, 30), np.float32)).shape
        (Bilinear(in1_features=20, in2_features=30, out_features=40, bias=True), (8, 40))
    """

    def __init__(
        self, in1_features, in2_features, out_features, bias=True, device=None, dtype=None
    ):
        super().__init__()
        sizes = {"in1_features": in1_features, "in2_features": in2_features}
        check_sizes("Bilinear", **sizes, out_features=out_features)
        self.in1_features, self.in2_features = in1_features, in2_features
        self.out_features = out_features
        shape = (out_features, in1_features, in2_features)
        add_weight_and_bias(self, shape, bias, device, dtype)

    def reset_parameters(self) -> None:
        """PyTorch's: weight and bias from U(-k, k), k = 1/sqrt(in1_features)."""
        if self.in1_features <= 0:
            msg = f"Bilinear: in1_features must be > 0, but got (in1_features={self.in1_features})"
            raise ValueError(msg)
        bound = 1 / math.sqrt(self.in1_features)
        init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input1, input2):
        return F.bilinear(input1, input2, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (
            f"in1_features={self.in1_features}, in2_features={self.in2_features}, "
            f"out_features={self.out_features}, bias={self.bias is not None}"
        )


class Identity(Module):
    """Returns its input (a placeholder, e.g. for a removed layer)."""

    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, input):
        return input
