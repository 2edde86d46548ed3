"""Loss layers: ``CrossEntropyLoss`` and ``NLLLoss``.

They call :func:`xpnet.nn.functional.cross_entropy` and
:func:`~xpnet.nn.functional.nll_loss`, whose numerics live in :mod:`xpnet.kernels.loss`.
"""

from __future__ import annotations

from ..autograd import data_of
from ..kernels._pointwise_loss import check_legacy
from . import functional as F
from .module import Module

__all__ = [
    "BCELoss",
    "BCEWithLogitsLoss",
    "CrossEntropyLoss",
    "GaussianNLLLoss",
    "HuberLoss",
    "KLDivLoss",
    "L1Loss",
    "MSELoss",
    "NLLLoss",
    "PoissonNLLLoss",
    "SmoothL1Loss",
]


class _WeightedLoss(Module):
    """Holds the class weights as a buffer (in ``state_dict`` as ``weight``, as PyTorch)."""

    def __init__(self, weight, size_average, reduce, reduction: str):
        super().__init__()
        check_legacy(type(self).__name__, size_average, reduce)  # as _Loss: an ArgumentError
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
            input,
            target,
            self.weight,
            ignore_index=self.ignore_index,
            reduction=self.reduction,
            label_smoothing=self.label_smoothing,
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
        return F.nll_loss(
            input, target, self.weight, ignore_index=self.ignore_index, reduction=self.reduction
        )


# The element-wise losses (kernels in xpnet.kernels.regression_loss and .binary_loss).


class _Loss(Module):
    """Holds ``reduction``; refuses PyTorch's deprecated ``size_average`` and ``reduce``."""

    def __init__(self, size_average=None, reduce=None, reduction: str = "mean"):
        super().__init__()
        check_legacy(type(self).__name__, size_average, reduce)
        self.reduction = reduction

    def extra_repr(self) -> str:
        return ""


# the two bases under public names, for the loss modules of other files (margin_loss.py)
Loss, WeightedLoss = _Loss, _WeightedLoss


class MSELoss(_Loss):
    r"""Mean squared error ``(input - target)^2`` per element, reduced, as
    :class:`torch.nn.MSELoss`.

    Args:
        size_average, reduce: deprecated in PyTorch; must be ``None``.
        reduction: ``'none'``, ``'mean'`` or ``'sum'``. Default: ``'mean'``.

    Shape:
        - Input and target: any shape, the same. Output: scalar, or the input's with ``'none'``.

    Example:
        >>> import xpnet
        >>> xpnet.nn.MSELoss()(np.array([1.0, 2.0]), np.array([0.0, 0.0])).item()
        2.5
    """

    def forward(self, input, target):
        return F.mse_loss(input, target, reduction=self.reduction)


class L1Loss(_Loss):
    r"""Mean absolute error ``|input - target|`` per element, reduced, as
    :class:`torch.nn.L1Loss`; arguments as :class:`MSELoss`.

    Example:
        >>> import xpnet
        >>> xpnet.nn.L1Loss(reduction="sum")(np.array([1.0, -2.0]), np.zeros(2)).item()
        3.0
    """

    def forward(self, input, target):
        return F.l1_loss(input, target, reduction=self.reduction)


class SmoothL1Loss(_Loss):
    r"""Smooth L1, ``0.5 d^2 / beta`` for ``|d| < beta`` else ``|d| - 0.5 beta``, as
    :class:`torch.nn.SmoothL1Loss`.

    Args:
        size_average, reduce, reduction: as :class:`MSELoss`.
        beta: where the loss turns from quadratic to linear, at least 0. Default: 1.0.

    Example:
        >>> import xpnet
        >>> xpnet.nn.SmoothL1Loss(beta=0.5)(np.array([0.25, 2.0]), np.zeros(2)).item()
        0.90625
    """

    def __init__(self, size_average=None, reduce=None, reduction: str = "mean", beta: float = 1.0):
        super().__init__(size_average, reduce, reduction)
        self.beta = beta

    def forward(self, input, target):
        return F.smooth_l1_loss(input, target, reduction=self.reduction, beta=self.beta)


class HuberLoss(_Loss):
    r"""Huber loss, ``0.5 d^2`` for ``|d| < delta`` else ``delta (|d| - 0.5 delta)``, as
    :class:`torch.nn.HuberLoss`.

    Args:
        reduction: ``'none'``, ``'mean'`` or ``'sum'``. Default: ``'mean'``.
        delta: where the loss turns linear, positive. Default: 1.0.

    Example:
        >>> import xpnet
        >>> xpnet.nn.HuberLoss(delta=2.0)(np.array([0.5, 3.0]), np.zeros(2)).item()
        2.0625
    """

    def __init__(self, reduction: str = "mean", delta: float = 1.0):
        super().__init__(reduction=reduction)
        self.delta = delta

    def forward(self, input, target):
        return F.huber_loss(input, target, reduction=self.reduction, delta=self.delta)


class BCELoss(_WeightedLoss):
    r"""Binary cross-entropy of probabilities, ``-w (t log x + (1 - t) log(1 - x))`` with
    each log clamped at -100, as :class:`torch.nn.BCELoss`.

    Args:
        weight: rescaling that broadcasts to the input, kept as the ``weight`` buffer.
            Default: ``None``.
        size_average, reduce, reduction: as :class:`MSELoss`.

    Example:
        >>> import xpnet
        >>> round(xpnet.nn.BCELoss()(np.array([0.5]), np.array([1.0])).item(), 6)
        0.693147
    """

    def __init__(self, weight=None, size_average=None, reduce=None, reduction: str = "mean"):
        super().__init__(weight, size_average, reduce, reduction)

    def forward(self, input, target):
        return F.binary_cross_entropy(input, target, self.weight, reduction=self.reduction)


class BCEWithLogitsLoss(_WeightedLoss):
    r"""Binary cross-entropy of ``sigmoid(input)``, computed stably from the logits, as
    :class:`torch.nn.BCEWithLogitsLoss`.

    Args:
        weight: rescaling that broadcasts to the input (buffer ``weight``). Default: ``None``.
        size_average, reduce, reduction: as :class:`MSELoss`.
        pos_weight: weight of the positive term, broadcast along the input's last
            dimensions, e.g. (C,) (buffer ``pos_weight``). Default: ``None``.

    Example:
        >>> import xpnet
        >>> xpnet.nn.BCEWithLogitsLoss()(np.array([-1000.0]), np.array([1.0])).item()
        1000.0
    """

    def __init__(
        self, weight=None, size_average=None, reduce=None, reduction: str = "mean", pos_weight=None
    ):
        super().__init__(weight, size_average, reduce, reduction)
        self.register_buffer("pos_weight", data_of(pos_weight))

    def forward(self, input, target):
        return F.binary_cross_entropy_with_logits(
            input, target, self.weight, reduction=self.reduction, pos_weight=self.pos_weight
        )


class KLDivLoss(_Loss):
    r"""Kullback-Leibler divergence ``t (log t - input)`` of a target from log-probabilities,
    as :class:`torch.nn.KLDivLoss`.

    Args:
        size_average, reduce: deprecated in PyTorch; must be ``None``.
        reduction: ``'none'``, ``'mean'``, ``'batchmean'`` (the KL divergence per sample) or
            ``'sum'``. Default: ``'mean'``.
        log_target: the target holds log-probabilities. Default: ``False``.

    Example:
        >>> import xpnet
        >>> loss = xpnet.nn.KLDivLoss(reduction="batchmean")
        >>> round(loss(np.log([[0.25, 0.75]]), np.array([[0.5, 0.5]])).item(), 6)
        0.143841
    """

    def __init__(
        self, size_average=None, reduce=None, reduction: str = "mean", log_target: bool = False
    ):
        super().__init__(size_average, reduce, reduction)
        self.log_target = log_target

    def forward(self, input, target):
        return F.kl_div(input, target, reduction=self.reduction, log_target=self.log_target)


class PoissonNLLLoss(_Loss):
    r"""Poisson negative log-likelihood, ``exp(x) - t x`` of log-rates ``x`` (or ``x - t
    log(x + eps)`` of rates), plus Stirling's term for ``t > 1`` with ``full``, as
    :class:`torch.nn.PoissonNLLLoss`.

    Args:
        log_input: the input holds log-rates. Default: ``True``.
        full: add Stirling's approximation of ``log(t!)``. Default: ``False``.
        size_average, reduce: deprecated in PyTorch; must be ``None``.
        eps: added to the rate before its log when ``log_input=False``. Default: 1e-8.
        reduction: ``'none'``, ``'mean'`` or ``'sum'``. Default: ``'mean'``.

    Example:
        >>> import xpnet
        >>> round(xpnet.nn.PoissonNLLLoss()(np.array([0.0, 1.0]), np.array([1.0, 2.0])).item(), 6)
        0.859141
    """

    def __init__(
        self,
        log_input: bool = True,
        full: bool = False,
        size_average=None,
        eps: float = 1e-8,
        reduce=None,
        reduction: str = "mean",
    ):
        super().__init__(size_average, reduce, reduction)
        self.log_input, self.full, self.eps = log_input, full, eps

    def forward(self, log_input, target):
        return F.poisson_nll_loss(
            log_input,
            target,
            log_input=self.log_input,
            full=self.full,
            eps=self.eps,
            reduction=self.reduction,
        )


class GaussianNLLLoss(_Loss):
    r"""Gaussian negative log-likelihood, ``0.5 (log v + (input - target)^2 / v)`` with
    ``v = max(var, eps)``, plus ``0.5 log(2 pi)`` with ``full``, as
    :class:`torch.nn.GaussianNLLLoss`; ``var`` as :func:`xpnet.nn.functional.gaussian_nll_loss`.

    Args:
        full: add the constant term. Default: ``False``.
        eps: the smallest variance used. Default: 1e-6.
        reduction: ``'none'``, ``'mean'`` or ``'sum'``. Default: ``'mean'``.

    Example:
        >>> import xpnet
        >>> loss = xpnet.nn.GaussianNLLLoss()(np.array([1.0, 2.0]), np.zeros(2), np.ones(2))
        >>> loss.item()
        1.25
    """

    def __init__(self, *, full: bool = False, eps: float = 1e-6, reduction: str = "mean"):
        super().__init__(reduction=reduction)
        self.full, self.eps = full, eps

    def forward(self, input, target, var):
        return F.gaussian_nll_loss(
            input, target, var, full=self.full, eps=self.eps, reduction=self.reduction
        )
