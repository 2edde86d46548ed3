"""``Dropout``: the layer around :func:`xpnet.nn.functional.dropout`, its channel-wise forms,
and ``AlphaDropout``/``FeatureAlphaDropout``.

The kernels are :mod:`xpnet.kernels.dropout` and :mod:`xpnet.kernels.alpha_dropout`; their
masks come from the generators of :mod:`xpnet._random`, seeded by :func:`xpnet.manual_seed`.
"""

from __future__ import annotations

from ..kernels._checks import check_probability
from . import functional as F
from .module import Module

__all__ = [
    "AlphaDropout",
    "Dropout",
    "Dropout1d",
    "Dropout2d",
    "Dropout3d",
    "FeatureAlphaDropout",
]


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
        >>> drop, drop(np.ones(3)).array
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


class Dropout1d(Dropout):
    r"""In training, zero whole channels of (N, C, L) or (C, L) input with probability ``p``
    and scale the others by ``1 / (1 - p)``; in evaluation, the identity. As
    :class:`torch.nn.Dropout1d`; arguments as :class:`Dropout`.

    Example:
        >>> import xpnet
        >>> xpnet.nn.Dropout1d(0.2)
        Dropout1d(p=0.2, inplace=False)
    """

    def forward(self, input):
        return F.dropout1d(input, self.p, self.training)


class Dropout2d(Dropout):
    r"""Channel-wise dropout of (N, C, H, W) input (a 3-D input is read as (N, C, L), as
    PyTorch), as :class:`torch.nn.Dropout2d`; arguments as :class:`Dropout`.

    Example:
        >>> import xpnet
        >>> xpnet.nn.Dropout2d().eval()(np.ones((1, 2, 2, 2))).shape
        (1, 2, 2, 2)
    """

    def forward(self, input):
        return F.dropout2d(input, self.p, self.training)


class Dropout3d(Dropout):
    r"""Channel-wise dropout of (N, C, D, H, W) or (C, D, H, W) input, as
    :class:`torch.nn.Dropout3d`; arguments as :class:`Dropout`.

    Example:
        >>> import xpnet
        >>> xpnet.nn.Dropout3d(p=0.0)(np.ones((1, 1, 1, 1, 2))).array.ravel()
        array([1., 1.])
    """

    def forward(self, input):
        return F.dropout3d(input, self.p, self.training)


class AlphaDropout(Dropout):
    r"""In training, alpha dropout (:func:`xpnet.nn.functional.alpha_dropout`: dropped
    elements take SELU's saturation value, then an affine map keeps zero mean and unit
    variance); in evaluation, the identity. As :class:`torch.nn.AlphaDropout`; arguments as
    :class:`Dropout` (``inplace`` is printed, not used, as PyTorch's).

    Example:
        >>> import xpnet
        >>> drop = xpnet.nn.AlphaDropout(0.2)
        >>> drop, drop.eval()(np.ones(2)).array
        (AlphaDropout(p=0.2, inplace=False), array([1., 1.]))
    """

    def forward(self, input):
        return F.alpha_dropout(input, self.p, self.training)


class FeatureAlphaDropout(Dropout):
    r"""Alpha dropout of whole channels of (N, C, ...) input
    (:func:`xpnet.nn.functional.feature_alpha_dropout`), as
    :class:`torch.nn.FeatureAlphaDropout`; arguments as :class:`Dropout`.

    Example:
        >>> import xpnet
        >>> xpnet.nn.FeatureAlphaDropout()
        FeatureAlphaDropout(p=0.5, inplace=False)
    """

    def forward(self, input):
        return F.feature_alpha_dropout(input, self.p, self.training)
