"""The connectionist temporal classification loss layer, ``CTCLoss``, as ``torch.nn``'s.

It holds its options on :class:`~xpnet.nn.loss.Loss` and calls
:func:`xpnet.nn.functional.ctc_loss`, whose numerics live in :mod:`xpnet.kernels.ctc_loss`.
"""

from __future__ import annotations

from . import functional as F
from .loss import Loss

__all__ = ["CTCLoss"]


class CTCLoss(Loss):
    r"""The connectionist temporal classification loss, as :class:`torch.nn.CTCLoss`: for each
    sequence, ``-log`` of the summed probability of every alignment of its frames to its
    targets; see :func:`xpnet.kernels.ctc_loss` for the arguments and the differences.

    Args:
        blank: the blank class. Default: 0.
        reduction: ``'none'``, ``'mean'`` (each loss divided by its target length, at least 1,
            then the batch mean) or ``'sum'``. Default: ``'mean'``.
        zero_infinity: make infinite losses and their gradients 0. Default: ``False``.

    Shape:
        - log_probs: (T, N, C) or (T, C), e.g. from ``log_softmax``. targets: (N, S) padded,
          or the targets concatenated (sum(target_lengths),). input_lengths, target_lengths:
          N ints (a tuple, a list or an integer array). Output: scalar, or (N,) with
          ``'none'``.

    Example:
        >>> import xpnet
        >>> log_probs = np.log(np.full((3, 1, 2), 0.5))  # T=3, N=1; classes: blank, "a"
        >>> round(xpnet.nn.CTCLoss()(log_probs, np.array([[1]]), (3,), (1,)).item(), 6)
        0.287682
    """

    def __init__(self, blank: int = 0, reduction: str = "mean", zero_infinity: bool = False):
        super().__init__(reduction=reduction)
        self.blank, self.zero_infinity = blank, zero_infinity

    def forward(self, log_probs, targets, input_lengths, target_lengths):
        return F.ctc_loss(
            log_probs,
            targets,
            input_lengths,
            target_lengths,
            blank=self.blank,
            reduction=self.reduction,
            zero_infinity=self.zero_infinity,
        )
