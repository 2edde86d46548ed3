"""Instance normalisation: ``InstanceNorm1d``, ``InstanceNorm2d`` and ``InstanceNorm3d``.

As ``torch/nn/modules/instancenorm.py``: the layers call
:func:`xpnet.nn.functional.instance_norm` (numerics in :mod:`xpnet.kernels.instance_norm`),
batched or, for an input without a batch dimension, on a batch of one.
"""

from __future__ import annotations

import warnings

from . import functional as F
from .batchnorm import add_norm_state
from .module import Module

__all__ = ["InstanceNorm1d", "InstanceNorm2d", "InstanceNorm3d"]


class _InstanceNorm(Module):
    r"""``y = (x - E[x]) / sqrt(Var[x] + eps) * weight + bias`` over the spatial axes of
    each channel of each sample, as PyTorch's instance norm layers.

    Args:
        num_features: C.
        eps: added to the variance. Default: 1e-5.
        momentum: weight of the new statistics in the running update (``None``: 0, as
            PyTorch's layer passes). Default: 0.1.
        affine: learn per-channel ``weight`` (ones) and ``bias`` (zeros). Default: ``False``.
        track_running_stats: keep ``running_mean`` (zeros), ``running_var`` (ones) and
            ``num_batches_tracked`` (int64, never incremented, as PyTorch), updated in
            training and used in evaluation. Default: ``False``.
        device: backend name. Default: current. dtype: Default: float32.
        bias: keyword-only; with ``affine``, also learn ``bias``. Default: ``True``.

    Raises:
        ValueError: an input of another rank, or with ``affine`` another channel count
            (without ``affine``, a UserWarning; then running statistics of ``num_features``
            fail in :func:`~xpnet.nn.functional.instance_norm`).
    """

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = False,
        track_running_stats: bool = False,
        device=None,
        dtype=None,
        *,
        bias: bool = True,
    ):
        super().__init__()
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        self._has_bias = affine and bias
        add_norm_state(self, num_features, self._has_bias, device, dtype)

    def forward(self, input):
        name = type(self).__name__
        if input.ndim not in (self._spatial + 1, self._spatial + 2):
            msg = (
                f"{name}: expected {self._spatial + 1}D or {self._spatial + 2}D input, "
                f"got {input.ndim}D input"
            )
            raise ValueError(msg)
        batched = input.ndim == self._spatial + 2
        channels = input.shape[1 if batched else 0]
        if channels != self.num_features and self.affine:
            msg = (
                f"{name}: expected input's size at dim={int(batched)} to match num_features "
                f"({self.num_features}), but got: {channels}"
            )
            raise ValueError(msg)
        if channels != self.num_features:
            # as PyTorch: num_features is unused without affine; running statistics of
            # num_features then fail in instance_norm, after this warning
            msg = (
                f"{name}: input's size at dim={int(batched)} does not match num_features. You "
                "can silence this warning by not passing in num_features, which is not used "
                "because affine=False"
            )
            warnings.warn(msg, UserWarning, stacklevel=2)
        x = input if batched else input.reshape(1, *input.shape)
        output = F.instance_norm(
            x,
            self.running_mean,
            self.running_var,
            self.weight,
            self.bias,
            self.training or not self.track_running_stats,
            self.momentum if self.momentum is not None else 0.0,
            self.eps,
        )
        return output if batched else output.reshape(*input.shape)

    def extra_repr(self) -> str:
        return (
            f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
            f"affine={self.affine}, bias={self._has_bias}, "
            f"track_running_stats={self.track_running_stats}"
        )


class InstanceNorm1d(_InstanceNorm):
    __doc__ = (
        _InstanceNorm.__doc__
        + """
    Shape:
        - Input: (N, C, L) or (C, L). Output: the same shape.

    Example:
        >>> import xpnet
        >>> xpnet.nn.InstanceNorm1d(4, track_running_stats=True)  # doctest: +ELLIPSIS
        InstanceNorm1d(4, eps=1e-05, momentum=0.1, affine=False, ..., track_running_stats=True)
    """
    )
    _spatial = 1


class InstanceNorm2d(_InstanceNorm):
    __doc__ = (
        _InstanceNorm.__doc__
        + """
    Shape:
        - Input: (N, C, H, W) or (C, H, W). Output: the same shape.

    Example:
        >>> import xpnet
        >>> sorted(xpnet.nn.InstanceNorm2d(3, affine=True, track_running_stats=True).state_dict())
        ['bias', 'num_batches_tracked', 'running_mean', 'running_var', 'weight']
    """
    )
    _spatial = 2


class InstanceNorm3d(_InstanceNorm):
    __doc__ = (
        _InstanceNorm.__doc__
        + """
    Shape:
        - Input: (N, C, D, H, W) or (C, D, H, W). Output: the same shape.

    Example:
        >>> import xpnet
        >>> xpnet.nn.InstanceNorm3d(2)(np.ones((1, 2, 2, 2, 2), dtype=np.float32)).shape
        (1, 2, 2, 2, 2)
    """
    )
    _spatial = 3
