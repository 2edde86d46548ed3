"""``Dropout``: the layer around :func:`xpnet.nn.functional.dropout`.

The kernel is :mod:`xpnet.kernels.dropout`; its masks come from the generators of
:mod:`xpnet._random`, seeded by :func:`xpnet.manual_seed`.
"""

from __future__ import annotations

from ..kernels._checks import check_probability
from . import functional as F
from .module import Module

__all__ = ["Dropout"]


class Dropout(Module):
    r"""In training, zero each element with probability ``p`` and scale the others by
    ``1 / (1 - p)``; in evaluation, the identity. As :class:`torch.nn.Dropout`.

    Masks come from the backend's dropout generator, seeded by :func:`xpnet.manual_seed`.

    Args:
        p: probability of zeroing an element, in [0, 1]. Default: 0.5.
        inplace: accepted and printed; the result is always a new array (see
            :mod:`xpnet.nn.activation`). Default: ``False``.

    Raises:
        ValueError: if ``p`` is outside [0, 1].

    Example:
        >>> import xpnet
        >>> drop = xpnet.nn.Dropout(0.2).eval()
        >>> drop, drop(np.ones(3)).data
        (Dropout(p=0.2, inplace=False), array([1., 1., 1.]))
    """

    def __init__(self, p: float = 0.5, inplace: bool = False):
        super().__init__()
        check_probability("Dropout", "p", p)
        self.p, self.inplace = p, inplace

    def forward(self, input):
        return F.dropout(input, self.p, self.training)

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"
