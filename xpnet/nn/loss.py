"""Loss layers: ``CrossEntropyLoss`` and ``NLLLoss``.

They call :func:`xpnet.nn.functional.cross_entropy` and
:func:`~xpnet.nn.functional.nll_loss`, whose numerics live in :mod:`xpnet.kernels.loss`.
"""

from __future__ import annotations

from ..autograd import data_of
from . import functional as F
from .module import Module

__all__ = ["CrossEntropyLoss", "NLLLoss"]


class _WeightedLoss(Module):
    """Holds the class weights as a buffer (in ``state_dict`` as ``weight``, as PyTorch)."""

    def __init__(self, weight, size_average, reduce, reduction: str):
        super().__init__()
        if size_average is not None or reduce is not None:
            msg = (
                f"{type(self).__name__}: size_average and reduce are deprecated in PyTorch "
                f"and not supported; use reduction='mean', 'sum' or 'none', got "
                f"size_average={size_average!r}, reduce={reduce!r}"
            )
            raise ValueError(msg)
        self.register_buffer("weight", data_of(weight))
        self.reduction = reduction


class CrossEntropyLoss(_WeightedLoss):
    r"""Cross-entropy between logits and class indices or probabilities, as
    :class:`torch.nn.CrossEntropyLoss` (``log_softmax`` then negative log-likelihood).

    Args:
        weight: (C,) rescaling weight per class. Default: ``None``.
        size_average, reduce: deprecated in PyTorch; must be ``None``.
        ignore_index: a target value that contributes nothing. Default: -100.
        reduction: ``'mean'`` (weighted mean over kept targets), ``'sum'`` or ``'none'``.
            Default: ``'mean'``.
        label_smoothing: share of probability spread uniformly over the classes. Default: 0.

    Shape:
        - Input: (N, C) or (N, C, d1, ...) logits. Target: (N,) or (N, d1, ...) class indices,
          or the input's shape of probabilities. Output: scalar, or (N, ...) with ``'none'``.

    Example:
        >>> import xpnet
        >>> loss = xpnet.nn.CrossEntropyLoss()(np.zeros((2, 4)), np.array([0, 3]))
        >>> round(loss.item(), 6)
        1.386294
    """

    def __init__(
        self,
        weight=None,
        size_average=None,
        ignore_index: int = -100,
        reduce=None,
        reduction: str = "mean",
        label_smoothing: float = 0.0,
    ):
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index, self.label_smoothing = ignore_index, label_smoothing

    def forward(self, input, target):
        return F.cross_entropy(
            input, target, self.weight, self.ignore_index, self.reduction, self.label_smoothing
        )


class NLLLoss(_WeightedLoss):
    r"""Negative log-likelihood of log-probabilities, ``-input[n, target[n]]`` (weighted), as
    :class:`torch.nn.NLLLoss`; arguments as :class:`CrossEntropyLoss` without smoothing.

    Example:
        >>> import xpnet
        >>> xpnet.nn.NLLLoss()(np.log(np.full((2, 4), 0.25)), np.array([0, 3])).item()
        1.3862943611198906
    """

    def __init__(
        self,
        weight=None,
        size_average=None,
        ignore_index: int = -100,
        reduce=None,
        reduction: str = "mean",
    ):
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index = ignore_index

    def forward(self, input, target):
        return F.nll_loss(input, target, self.weight, self.ignore_index, self.reduction)
