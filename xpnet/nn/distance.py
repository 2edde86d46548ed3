"""``PairwiseDistance`` and ``CosineSimilarity``: the layers around
:func:`xpnet.nn.functional.pairwise_distance` and :func:`~xpnet.nn.functional.cosine_similarity`.

As ``torch/nn/modules/distance.py``; the numerics live in :mod:`xpnet.kernels.distance`.
"""

from __future__ import annotations

from . import functional as F
from .module import Module

__all__ = ["CosineSimilarity", "PairwiseDistance"]


class PairwiseDistance(Module):
    r"""The ``p``-norm distance of ``x1`` and ``x2`` along their last dimension, as
    :class:`torch.nn.PairwiseDistance`:

    .. math::
        \mathrm{dist}(x, y) = \lVert x - y + \epsilon e \rVert_p, \quad
        \lVert x \rVert_p = \Big(\sum_i |x_i|^p\Big)^{1/p}

    with ``e`` the vector of ones.

    Args:
        p: the norm's exponent; may be negative, ``inf`` or 0. Default: 2.0 (stored as
            ``norm``, as PyTorch).
        eps: added to every difference, so that a negative ``p`` stays finite. Default: 1e-6.
        keepdim: keep the vector dimension with size 1. Default: ``False``.

    Shape:
        - Input1: (N, D) or (D), Input2: broadcastable with Input1.
        - Output: (N) or (), or (N, 1) or (1) with ``keepdim``.

    Example:
        >>> import xpnet
        >>> xpnet.nn.PairwiseDistance(eps=0.0)(np.array([[3.0, 4.0]]), np.zeros((1, 2)))
        tensor([5.], dtype=xpnet.float64)
    """

    def __init__(self, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False):
        super().__init__()
        self.norm, self.eps, self.keepdim = p, eps, keepdim

    def forward(self, x1, x2):
        return F.pairwise_distance(x1, x2, self.norm, self.eps, self.keepdim)


class CosineSimilarity(Module):
    r"""Cosine similarity of ``x1`` and ``x2`` along ``dim``, as
    :class:`torch.nn.CosineSimilarity`:

    .. math::
        \text{similarity} = \sum_{dim} \frac{x_1}{\max(\lVert x_1 \rVert_2, \epsilon)}
        \cdot \frac{x_2}{\max(\lVert x_2 \rVert_2, \epsilon)}

    Args:
        dim: the dimension of the broadcast shape to reduce. Default: 1.
        eps: the least norm. Default: 1e-8.

    Shape:
        - Input1: (*, D, *), Input2: broadcastable with Input1.
        - Output: the broadcast shape without ``dim``.

    Example:
        >>> import xpnet
        >>> xpnet.nn.CosineSimilarity()(np.array([[1.0, 0.0]]), np.array([[2.0, 0.0]]))
        tensor([1.], dtype=xpnet.float64)
    """

    def __init__(self, dim: int = 1, eps: float = 1e-8):
        super().__init__()
        self.dim, self.eps = dim, eps

    def forward(self, x1, x2):
        return F.cosine_similarity(x1, x2, self.dim, self.eps)
