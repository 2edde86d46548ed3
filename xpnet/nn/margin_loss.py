"""Margin and embedding loss layers, as ``torch.nn``'s: ``MarginRankingLoss``,
``HingeEmbeddingLoss``, ``SoftMarginLoss``, ``MultiLabelMarginLoss``,
``MultiLabelSoftMarginLoss``, ``MultiMarginLoss``, ``CosineEmbeddingLoss``,
``TripletMarginLoss`` and ``TripletMarginWithDistanceLoss``.

They hold their options (and ``weight`` as a buffer) on the bases of :mod:`.loss` and call
:mod:`xpnet.nn.functional`, whose numerics live in :mod:`xpnet.kernels.margin_loss`,
:mod:`xpnet.kernels.multi_margin_loss`, :mod:`xpnet.kernels.multilabel_margin_loss` and
:mod:`xpnet.kernels.embedding_loss`.
"""

from __future__ import annotations

from . import functional as F
from .distance import PairwiseDistance
from .loss import Loss, WeightedLoss

__all__ = [
    "CosineEmbeddingLoss",
    "HingeEmbeddingLoss",
    "MarginRankingLoss",
    "MultiLabelMarginLoss",
    "MultiLabelSoftMarginLoss",
    "MultiMarginLoss",
    "SoftMarginLoss",
    "TripletMarginLoss",
    "TripletMarginWithDistanceLoss",
]


class MarginRankingLoss(Loss):
    r"""``max(0, -y (x1 - x2) + margin)``, reduced, as :class:`torch.nn.MarginRankingLoss`.

    Args:
        margin: the margin. Default: 0.0.
        size_average, reduce: deprecated in PyTorch; must be ``None``.
        reduction: ``'none'``, ``'mean'`` or ``'sum'``. Default: ``'mean'``.

    Shape:
        - input1, input2, target: (N,) or (), of one number of dimensions (they broadcast).
          Output: scalar, or the broadcast shape with ``'none'``.

    Example:
        >>> import xpnet
        >>> loss = xpnet.nn.MarginRankingLoss(margin=1.0)
        >>> loss(np.array([1.0, 2.0]), np.array([0.5, 3.0]), np.array([1.0, 1.0])).item()
        1.25
    """

    def __init__(self, margin: float = 0.0, size_average=None, reduce=None, reduction="mean"):
        super().__init__(size_average, reduce, reduction)
        self.margin = margin

    def forward(self, input1, input2, target):
        return F.margin_ranking_loss(
            input1, input2, target, margin=self.margin, reduction=self.reduction
        )


class HingeEmbeddingLoss(Loss):
    r"""``x`` where ``y = 1``, ``max(0, margin - x)`` where ``y = -1``, reduced, as
    :class:`torch.nn.HingeEmbeddingLoss`.

    Args:
        margin: the margin. Default: 1.0.
        size_average, reduce, reduction: as :class:`MarginRankingLoss`.

    Example:
        >>> import xpnet
        >>> xpnet.nn.HingeEmbeddingLoss()(np.array([0.25, 0.25]), np.array([1.0, -1.0])).item()
        0.5
    """

    def __init__(self, margin: float = 1.0, size_average=None, reduce=None, reduction="mean"):
        super().__init__(size_average, reduce, reduction)
        self.margin = margin

    def forward(self, input, target):
        return F.hinge_embedding_loss(input, target, margin=self.margin, reduction=self.reduction)


class SoftMarginLoss(Loss):
    r"""``log(1 + exp(-y x))`` per element, reduced, as :class:`torch.nn.SoftMarginLoss`
    (stable for large ``-y x``).

    Args:
        size_average, reduce, reduction: as :class:`MarginRankingLoss`.

    Example:
        >>> import xpnet
        >>> xpnet.nn.SoftMarginLoss()(np.array([-1000.0]), np.array([1.0])).item()
        1000.0
    """

    def forward(self, input, target):
        return F.soft_margin_loss(input, target, reduction=self.reduction)


class MultiLabelMarginLoss(Loss):
    r"""Multi-label hinge loss of class indices,
    ``sum_{j in y} sum_{i not in y} max(0, 1 - (x_j - x_i)) / C``, as
    :class:`torch.nn.MultiLabelMarginLoss` (:func:`xpnet.kernels.multilabel_margin_loss`).

    Args:
        size_average, reduce, reduction: as :class:`MarginRankingLoss`.

    Shape:
        - Input: (N, C) or (C,). Target: the input's shape, each row's classes then ``-1``.
          Output: scalar, or (N,) (() for a (C,) input) with ``'none'``.

    Example:
        >>> import xpnet
        >>> loss = xpnet.nn.MultiLabelMarginLoss()
        >>> loss(np.array([[0.1, 0.2, 0.4, 0.8]]), np.array([[3, 0, -1, 1]])).item()
        0.85
    """

    def forward(self, input, target):
        return F.multilabel_margin_loss(input, target, reduction=self.reduction)


class MultiLabelSoftMarginLoss(WeightedLoss):
    r"""One-versus-all logistic loss over the classes of each sample, averaged over them, as
    :class:`torch.nn.MultiLabelSoftMarginLoss`.

    Args:
        weight: weight per class (C,), the ``weight`` buffer. Default: ``None``.
        size_average, reduce, reduction: as :class:`MarginRankingLoss`.

    Shape:
        - Input and target: (N, C) or (C,). Output: scalar, or (N,) with ``'none'``.

    Example:
        >>> import xpnet
        >>> loss = xpnet.nn.MultiLabelSoftMarginLoss()
        >>> loss(np.array([[1000.0, -1000.0]]), np.array([[0.0, 0.0]])).item()
        500.0
    """

    def __init__(self, weight=None, size_average=None, reduce=None, reduction: str = "mean"):
        super().__init__(weight, size_average, reduce, reduction)

    def forward(self, input, target):
        return F.multilabel_soft_margin_loss(input, target, self.weight, reduction=self.reduction)


class MultiMarginLoss(WeightedLoss):
    r"""Multi-class hinge loss of class indices,
    ``sum_{i != y} w_y max(0, margin - x_y + x_i)^p / C``, as :class:`torch.nn.MultiMarginLoss`.

    Args:
        p: 1 or 2. Default: 1.
        margin: the margin. Default: 1.0.
        weight: weight per class (C,), the ``weight`` buffer. Default: ``None``.
        size_average, reduce, reduction: as :class:`MarginRankingLoss`.

    Shape:
        - Input: (N, C) or (C,). Target: (N,) or () class indices. Output: scalar, or the
          target's shape with ``'none'``.

    Raises:
        ValueError: ``p`` other than 1 or 2, a weight that is not 1-D (as PyTorch).

    Example:
        >>> import xpnet
        >>> xpnet.nn.MultiMarginLoss()(np.array([[0.1, 0.2, 0.4, 0.8]]), np.array([3])).item()
        0.325
    """

    def __init__(
        self,
        p: int = 1,
        margin: float = 1.0,
        weight=None,
        size_average=None,
        reduce=None,
        reduction: str = "mean",
    ):
        super().__init__(weight, size_average, reduce, reduction)
        if p not in (1, 2):
            msg = f"MultiMarginLoss: p must be 1 or 2 (only p == 1 and p == 2 supported), got {p!r}"
            raise ValueError(msg)
        if weight is not None and weight.ndim != 1:
            msg = f"MultiMarginLoss: weight must be one-dimensional, got shape {weight.shape}"
            raise ValueError(msg)
        self.p, self.margin = p, margin

    def forward(self, input, target):
        return F.multi_margin_loss(
            input, target, self.p, self.margin, self.weight, reduction=self.reduction
        )


class CosineEmbeddingLoss(Loss):
    r"""``1 - cos(x1, x2)`` where ``y = 1``, ``max(0, cos(x1, x2) - margin)`` where
    ``y = -1``, reduced, as :class:`torch.nn.CosineEmbeddingLoss`.

    Args:
        margin: the margin, in [-1, 1] usually. Default: 0.0.
        size_average, reduce, reduction: as :class:`MarginRankingLoss`.

    Shape:
        - input1, input2: (N, D) or (D,). Target: (N,) or (). Output: scalar, or (N,) with
          ``'none'``.

    Example:
        >>> import xpnet
        >>> loss = xpnet.nn.CosineEmbeddingLoss()
        >>> loss(np.array([[1.0, 0.0]]), np.array([[0.0, 1.0]]), np.array([1.0])).item()
        1.0
    """

    def __init__(self, margin: float = 0.0, size_average=None, reduce=None, reduction="mean"):
        super().__init__(size_average, reduce, reduction)
        self.margin = margin

    def forward(self, input1, input2, target):
        return F.cosine_embedding_loss(
            input1, input2, target, margin=self.margin, reduction=self.reduction
        )


class TripletMarginLoss(Loss):
    r"""``max(0, margin + ||a - p + eps||_p - ||a - n + eps||_p)``, reduced, as
    :class:`torch.nn.TripletMarginLoss`.

    Args:
        margin: the margin, positive. Default: 1.0.
        p: the norm's degree. Default: 2.0.
        eps: added to each difference. Default: 1e-6.
        swap: use the smaller of the anchor's and the positive's distance to the negative.
            Default: ``False``.
        size_average, reduce, reduction: as :class:`MarginRankingLoss`.

    Shape:
        - anchor, positive, negative: (N, D) or (D,). Output: scalar, or (N,) with ``'none'``.

    Raises:
        ValueError: a margin of 0 or less (as PyTorch).

    Example:
        >>> import xpnet
        >>> loss = xpnet.nn.TripletMarginLoss(eps=0.0)
        >>> loss(np.array([[0.0, 0.0]]), np.array([[3.0, 4.0]]), np.array([[1.0, 0.0]])).item()
        5.0
    """

    def __init__(
        self,
        margin: float = 1.0,
        p: float = 2.0,
        eps: float = 1e-6,
        swap: bool = False,
        size_average=None,
        reduce=None,
        reduction: str = "mean",
    ):
        super().__init__(size_average, reduce, reduction)
        if margin <= 0:
            msg = f"TripletMarginLoss: margin must be greater than 0, got {margin!r}"
            raise ValueError(msg)
        self.margin, self.p, self.eps, self.swap = margin, p, eps, swap

    def forward(self, anchor, positive, negative):
        return F.triplet_margin_loss(
            anchor,
            positive,
            negative,
            margin=self.margin,
            p=self.p,
            eps=self.eps,
            swap=self.swap,
            reduction=self.reduction,
        )


class TripletMarginWithDistanceLoss(Loss):
    r"""``max(d(a, p) - d(a, n) + margin, 0)`` with a distance of your choice, reduced, as
    :class:`torch.nn.TripletMarginWithDistanceLoss` (see
    :func:`xpnet.nn.functional.triplet_margin_with_distance_loss`).

    Args:
        distance_function: callable ``(x1, x2) -> distances``; ``None`` gives a
            :class:`PairwiseDistance` submodule, as PyTorch. Keyword only, as all of these.
        margin: the margin, positive. Default: 1.0.
        swap: use the smaller of the anchor's and the positive's distance to the negative.
            Default: ``False``.
        reduction: ``'none'``, ``'mean'`` or ``'sum'``. Default: ``'mean'``.

    Raises:
        ValueError: a margin of 0 or less (as PyTorch).

    Example:
        >>> import xpnet
        >>> loss = xpnet.nn.TripletMarginWithDistanceLoss(distance_function=F.pairwise_distance)
        >>> a, p, n = np.array([[0.0, 0.0]]), np.array([[3.0, 4.0]]), np.array([[0.0, 1.0]])
        >>> round(loss(a, p, n).item(), 4)
        5.0
    """

    def __init__(
        self,
        *,
        distance_function=None,
        margin: float = 1.0,
        swap: bool = False,
        reduction: str = "mean",
    ):
        super().__init__(reduction=reduction)
        if margin <= 0:
            msg = f"TripletMarginWithDistanceLoss: margin must be greater than 0, got {margin!r}"
            raise ValueError(msg)
        self.distance_function = (
            PairwiseDistance() if distance_function is None else distance_function
        )
        self.margin, self.swap = margin, swap

    def forward(self, anchor, positive, negative):
        return F.triplet_margin_with_distance_loss(
            anchor,
            positive,
            negative,
            distance_function=self.distance_function,
            margin=self.margin,
            swap=self.swap,
            reduction=self.reduction,
        )
