"""Per-sample normalisation: ``LayerNorm``, ``GroupNorm``, ``RMSNorm`` and
``LocalResponseNorm`` (across channels, :mod:`xpnet.kernels.local_response_norm`).

They call :func:`xpnet.nn.functional.layer_norm`, :func:`~xpnet.nn.functional.group_norm` and
:func:`~xpnet.nn.functional.rms_norm`, whose numerics live in :mod:`xpnet.kernels.layer_norm`,
:mod:`xpnet.kernels.group_norm` and :mod:`xpnet.kernels.rms_norm`; batch normalisation is in
:mod:`xpnet.nn.batchnorm`.
"""

from __future__ import annotations

import numbers

from . import functional as F
from . import init
from .module import Module
from .parameter import Parameter, new_array

__all__ = ["GroupNorm", "LayerNorm", "LocalResponseNorm", "RMSNorm"]


class LayerNorm(Module):
    r"""Normalise over the last ``len(normalized_shape)`` dimensions of each sample, as
    :class:`torch.nn.LayerNorm`: ``y = (x - E[x]) / sqrt(Var[x] + eps) * weight + bias``.

    Args:
        normalized_shape: the trailing shape to normalise over (an int for one dimension).
        eps: added to the variance. Default: 1e-5.
        elementwise_affine: learn ``weight`` (ones) of ``normalized_shape``. Default: ``True``.
        bias: with ``elementwise_affine``, also learn ``bias`` (zeros). Default: ``True``.
        device: backend name. Default: current. dtype: Default: float32.

    Example:
        >>> import xpnet
        >>> xpnet.nn.LayerNorm(10)
        LayerNorm((10,), eps=1e-05, elementwise_affine=True, bias=True)
    """

    def __init__(
        self,
        normalized_shape,
        eps: float = 1e-5,
        elementwise_affine: bool = True,
        bias: bool = True,
        device=None,
        dtype=None,
    ):
        super().__init__()
        if isinstance(normalized_shape, numbers.Integral):
            normalized_shape = (normalized_shape,)
        self.normalized_shape = tuple(normalized_shape)
        self.eps, self.elementwise_affine = eps, elementwise_affine
        self._has_bias = elementwise_affine and bias
        self.register_parameter("weight", None)
        self.register_parameter("bias", None)
        if elementwise_affine:
            self.weight = Parameter(init.ones_(new_array(self.normalized_shape, device, dtype)))
            if self._has_bias:
                self.bias = Parameter(new_array(self.normalized_shape, device, dtype))

    def forward(self, input):
        return F.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (
            f"{self.normalized_shape}, eps={self.eps}, "
            f"elementwise_affine={self.elementwise_affine}, bias={self._has_bias}"
        )


class GroupNorm(Module):
    r"""Normalise each group of ``num_channels / num_groups`` channels of each sample, as
    :class:`torch.nn.GroupNorm`; then a per-channel ``weight`` and ``bias``.

    Args:
        num_groups: G, must divide ``num_channels``.
        num_channels: C.
        eps: added to the variance. Default: 1e-5.
        affine: learn per-channel ``weight`` (ones) and ``bias`` (zeros). Default: ``True``.
        device: backend name. Default: current. dtype: Default: float32.
        bias: keyword-only; with ``affine``, also learn ``bias``. Default: ``True``.

    Shape:
        - Input: (N, C, *). Output: the same shape.

    Raises:
        ValueError: if ``num_groups`` does not divide ``num_channels``.

    Example:
        >>> import xpnet
        >>> xpnet.nn.GroupNorm(2, 6)(np.ones((1, 6, 2, 2), dtype=np.float32)).shape
        (1, 6, 2, 2)
    """

    def __init__(
        self,
        num_groups: int,
        num_channels: int,
        eps: float = 1e-5,
        affine: bool = True,
        device=None,
        dtype=None,
        *,
        bias: bool = True,
    ):
        super().__init__()
        if num_groups < 1 or num_channels % num_groups:
            msg = (
                f"GroupNorm: num_channels must be divisible by num_groups, got "
                f"num_channels={num_channels}, num_groups={num_groups}"
            )
            raise ValueError(msg)
        self.num_groups, self.num_channels = num_groups, num_channels
        self.eps, self.affine, self._has_bias = eps, affine, affine and bias
        self.register_parameter("weight", None)
        self.register_parameter("bias", None)
        if affine:
            self.weight = Parameter(init.ones_(new_array((num_channels,), device, dtype)))
        if self._has_bias:
            self.bias = Parameter(new_array((num_channels,), device, dtype))

    def forward(self, input):
        return F.group_norm(input, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (
            f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}, "
            f"bias={self._has_bias}"
        )


class RMSNorm(Module):
    r"""Divide each sample by its root mean square over the last ``len(normalized_shape)``
    dimensions, as :class:`torch.nn.RMSNorm` (Zhang & Sennrich 2019):
    ``y = x / sqrt(mean(x^2) + eps) * weight``.

    Args:
        normalized_shape: the trailing shape to normalise over (an int for one dimension).
        eps: added to the mean square; ``None`` for the machine epsilon of the compute dtype
            (``finfo(float32).eps`` for float16 and float32 inputs, ``finfo(float64).eps``
            for float64). Default: ``None``.
        elementwise_affine: learn ``weight`` (ones) of ``normalized_shape``. Default: ``True``.
        device: backend name. Default: current. dtype: Default: float32.

    Shape:
        - Input: (N, *). Output: the same shape.

    Example:
        >>> import xpnet
        >>> xpnet.nn.RMSNorm([2, 3])
        RMSNorm((2, 3), eps=None, elementwise_affine=True)
    """

    def __init__(
        self,
        normalized_shape,
        eps: float | None = None,
        elementwise_affine: bool = True,
        device=None,
        dtype=None,
    ):
        super().__init__()
        if isinstance(normalized_shape, numbers.Integral):
            normalized_shape = (normalized_shape,)
        self.normalized_shape = tuple(normalized_shape)
        self.eps, self.elementwise_affine = eps, elementwise_affine
        self.register_parameter("weight", None)
        if elementwise_affine:
            self.weight = Parameter(new_array(self.normalized_shape, device, dtype))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Set ``weight`` to ones, as at construction."""
        if self.elementwise_affine:
            init.ones_(self.weight)

    def forward(self, input):
        return F.rms_norm(input, self.normalized_shape, self.weight, self.eps)

    def extra_repr(self) -> str:
        return (
            f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"
        )


class LocalResponseNorm(Module):
    r"""Normalize each element by the mean square of its neighbours across channels, as
    :class:`torch.nn.LocalResponseNorm`:
    ``y_c = x_c / (k + alpha / size * sum of x_c' ** 2 over the size channels around c) ** beta``
    (:func:`xpnet.kernels.local_response_norm`).

    Args:
        size: the number of neighbouring channels.
        alpha: multiplier. Default: 1e-4.
        beta: exponent. Default: 0.75.
        k: additive constant. Default: 1.0.

    Shape:
        - Input: (N, C, *), at least 3 dimensions. Output: the same shape.

    Example:
        >>> import xpnet
        >>> norm = xpnet.nn.LocalResponseNorm(2)
        >>> norm, norm(np.ones((1, 3, 2))).shape
        (LocalResponseNorm(2, alpha=0.0001, beta=0.75, k=1.0), (1, 3, 2))
    """

    def __init__(self, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1.0):
        super().__init__()
        self.size, self.alpha, self.beta, self.k = size, alpha, beta, k

    def forward(self, input):
        return F.local_response_norm(input, self.size, self.alpha, self.beta, self.k)

    def extra_repr(self) -> str:
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"
