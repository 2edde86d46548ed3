"""``SyncBatchNorm``: batch normalisation whose statistics span every rank's batch.

As ``torch.nn.SyncBatchNorm``: in training the mean and variance are those of the global
batch (all ranks of the :mod:`xpnet.distributed` job), so N ranks of B samples normalise as
one process of N * B does; in evaluation the running statistics are used. The numerics and
the communication are in :mod:`xpnet.distributed.sync_batch_norm`.
"""

from __future__ import annotations

from ..distributed.sync_batch_norm import sync_batch_norm_function
from .batchnorm import BatchNorm1d, BatchNorm2d, BatchNorm3d

__all__ = ["SyncBatchNorm"]


class SyncBatchNorm(BatchNorm2d):
    r"""Batch norm over the global batch of all ranks (``torch.nn.SyncBatchNorm``).

    ``y = (x - E[x]) / sqrt(Var[x] + eps) * weight + bias`` per channel, with ``E`` and
    ``Var`` (biased) over the samples of every rank in training; the running statistics are
    updated with the global unbiased variance, identically on every rank. Outside a job (one
    process) it is a BatchNorm of the local batch, computed with the same formulas.

    Args: as :class:`BatchNorm2d`; ``process_group`` is accepted for PyTorch's signature and
    must be ``None`` (the whole job).

    Shape:
        - Input: (N, C, \*) with at least 2 dimensions. Output: the same shape.

    Note:
        The statistics are merged from each rank's count, float64 mean and sum of squared
        deviations (Chan et al.), never from ``E[x^2] - E[x]^2``, which loses every digit
        of a small variance around a large mean in float32.

    Example:
        >>> import xpnet
        >>> xpnet.nn.SyncBatchNorm(4)
        SyncBatchNorm(4, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)
    """

    _dims = (2, 3, 4, 5)

    def __init__(
        self,
        num_features,
        eps=1e-5,
        momentum=0.1,
        affine=True,
        track_running_stats=True,
        process_group=None,
        device=None,
        dtype=None,
    ):
        if process_group is not None:
            msg = "SyncBatchNorm: process_group must be None (the whole job), got a group"
            raise ValueError(msg)
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device, dtype)

    def forward(self, input):
        self._check_input_dim(input)
        if not self.training:
            return super().forward(input)
        momentum = self._momentum()
        keep = self.track_running_stats
        return sync_batch_norm_function(
            input,
            self.running_mean if keep else None,
            self.running_var if keep else None,
            self.weight,
            self.bias,
            momentum,
            self.eps,
        )

    @classmethod
    def convert_sync_batchnorm(cls, module, process_group=None):
        """``module`` with every BatchNorm1d/2d/3d replaced by a SyncBatchNorm holding the same
        parameters and buffers (the module itself when it is one); as PyTorch's."""
        if isinstance(module, BatchNorm1d | BatchNorm2d | BatchNorm3d) and not isinstance(
            module, cls
        ):
            converted = cls(
                module.num_features,
                module.eps,
                module.momentum,
                module.affine,
                module.track_running_stats,
                process_group,
            )
            for name, value in [*module._parameters.items(), *module._buffers.items()]:
                setattr(converted, name, value)
            converted._has_bias = module._has_bias
            converted.train(module.training)
            return converted
        for name, child in list(module.named_children()):
            module.add_module(name, cls.convert_sync_batchnorm(child, process_group))
        return module
