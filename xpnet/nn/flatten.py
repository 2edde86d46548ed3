"""``Flatten``: the layer around :meth:`xpnet.Tensor.flatten`.

A reshape, so no kernel: its forward and backward are those of :mod:`xpnet._tensor_ops`.
The other layers are the neighbouring files of :mod:`xpnet.nn`.
"""

from __future__ import annotations

from ..autograd import as_tensor
from .module import Module

__all__ = ["Flatten"]


class Flatten(Module):
    """Merge dimensions ``start_dim`` to ``end_dim`` into one, as :class:`torch.nn.Flatten`.

    Args:
        start_dim: first dimension to merge. Default: 1 (keep the batch dimension).
        end_dim: last dimension to merge. Default: -1.

    Example:
        >>> import xpnet
        >>> xpnet.nn.Flatten()(np.ones((32, 1, 5, 5))).shape
        (32, 25)
    """

    def __init__(self, start_dim: int = 1, end_dim: int = -1):
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, input):
        return as_tensor(input).flatten(self.start_dim, self.end_dim)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"
