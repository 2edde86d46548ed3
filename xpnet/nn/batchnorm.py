"""Batch normalisation: ``BatchNorm1d``, ``BatchNorm2d`` and ``BatchNorm3d`` on their shared
``_BatchNorm``.

``_BatchNorm`` mirrors PyTorch's base class of the same name (``torch.nn.modules.batchnorm``).
The layers call :func:`xpnet.nn.functional.batch_norm`, whose numerics live in
:mod:`xpnet.kernels.batch_norm`; the per-sample normalisations are in
:mod:`xpnet.nn.normalization`.
"""

from __future__ import annotations

from ..backends import backend_of
from . import functional as F
from . import init
from .module import Module
from .parameter import Parameter, check_sizes, new_array

__all__ = ["BatchNorm1d", "BatchNorm2d", "BatchNorm3d"]


def add_norm_state(module: Module, num_features: int, bias: bool, device, dtype) -> None:
    """Register what every normalisation over channels holds, under PyTorch's names (its
    ``_NormBase``): ``weight`` (with ``affine``) and ``bias`` parameters, and with
    ``track_running_stats`` the buffers ``running_mean``, ``running_var`` and
    ``num_batches_tracked``; the ones a module goes without are registered as ``None``."""
    check_sizes(type(module).__name__, num_features=num_features)
    module.register_parameter("weight", None)
    module.register_parameter("bias", None)
    if module.affine:
        module.weight = Parameter(init.ones_(new_array((num_features,), device, dtype)))
    if bias:
        module.bias = Parameter(new_array((num_features,), device, dtype))
    stats = {"running_mean": None, "running_var": None, "num_batches_tracked": None}
    if module.track_running_stats:
        stats["running_mean"] = new_array((num_features,), device, dtype)
        stats["running_var"] = init.ones_(new_array((num_features,), device, dtype))
        stats["num_batches_tracked"] = new_array((), device, "int64")
    for name, array in stats.items():
        module.register_buffer(name, array)


class _BatchNorm(Module):
    r"""``y = (x - E[x]) / sqrt(Var[x] + eps) * weight + bias`` per channel, as PyTorch.

    In training, the statistics are those of the batch (biased variance) and the running
    ones are updated in place: ``running = (1 - momentum) * running + momentum * batch``
    with the unbiased batch variance; ``momentum=None`` uses ``1 / num_batches_tracked``
    instead, a cumulative average. In evaluation, the running statistics are used.

    Args:
        num_features: C.
        eps: added to the variance. Default: 1e-5.
        momentum: weight of the batch in the running update, or ``None``. Default: 0.1.
        affine: learn ``weight`` (ones) and ``bias`` (zeros). Default: ``True``.
        track_running_stats: keep ``running_mean`` (zeros), ``running_var`` (ones) and the
            int64 ``num_batches_tracked``; without them batch statistics are used in
            evaluation too. Default: ``True``.
        device: backend name. Default: current. dtype: Default: float32.
        bias: keyword-only; with ``affine``, also learn ``bias``. Default: ``True``.
    """

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
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

    def _check_input_dim(self, input) -> None:
        if input.ndim not in self._dims:
            expected = " or ".join(f"{n}D" for n in self._dims)
            msg = f"{type(self).__name__}: expected {expected} input, got {input.ndim}D input"
            raise ValueError(msg)

    def _momentum(self) -> float:
        """This step's weight of the batch; counts the batch when tracking in training."""
        if not (self.training and self.track_running_stats):
            return 0.0 if self.momentum is None else self.momentum
        self.num_batches_tracked += 1  # in place, on the device
        if self.momentum is not None:
            return self.momentum
        count = backend_of(self.num_batches_tracked).to_host(self.num_batches_tracked)
        return 1.0 / float(count)  # an explicit host copy, as PyTorch's float(tensor)

    def forward(self, input):
        self._check_input_dim(input)
        momentum = self._momentum()
        # without running statistics, batch statistics are used in evaluation too
        use_batch_stats = self.training or self.running_mean is None
        keep = not self.training or self.track_running_stats
        running_mean = self.running_mean if keep else None
        running_var = self.running_var if keep else None
        return F.batch_norm(
            input,
            running_mean,
            running_var,
            self.weight,
            self.bias,
            use_batch_stats,
            momentum,
            self.eps,
        )

    def extra_repr(self) -> str:
        return (
            f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
            f"affine={self.affine}, bias={self._has_bias}, "
            f"track_running_stats={self.track_running_stats}"
        )


class BatchNorm1d(_BatchNorm):
    __doc__ = (
        _BatchNorm.__doc__
        + """
    Shape:
        - Input: (N, C) or (N, C, L). Output: the same shape.

    Example:
        >>> import xpnet
        >>> xpnet.nn.BatchNorm1d(16)
        BatchNorm1d(16, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)
    """
    )
    _dims = (2, 3)


class BatchNorm2d(_BatchNorm):
    __doc__ = (
        _BatchNorm.__doc__
        + """
    Shape:
        - Input: (N, C, H, W). Output: the same shape.

    Example:
        >>> import xpnet
        >>> sorted(xpnet.nn.BatchNorm2d(8).state_dict())
        ['bias', 'num_batches_tracked', 'running_mean', 'running_var', 'weight']
    """
    )
    _dims = (4,)


class BatchNorm3d(_BatchNorm):
    __doc__ = (
        _BatchNorm.__doc__
        + """
    Shape:
        - Input: (N, C, D, H, W). Output: the same shape.

    Example:
        >>> import xpnet
        >>> xpnet.nn.BatchNorm3d(4, momentum=None)
        BatchNorm3d(4, eps=1e-05, momentum=None, affine=True, bias=True, track_running_stats=True)
    """
    )
    _dims = (5,)
