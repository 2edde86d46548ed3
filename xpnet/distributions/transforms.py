"""``xpnet.distributions.transforms``: PyTorch's ``torch.distributions.transforms``, invertible
maps with their log-Jacobians for :class:`~xpnet.distributions.TransformedDistribution` and
the :func:`~xpnet.distributions.biject_to` / :func:`~xpnet.distributions.transform_to`
registries. The classes live in :mod:`.transform` (the base and the combinators),
:mod:`.transforms_elementwise` (the maps), :mod:`.transforms_structured` (reshape, cat, stack,
cdf) and :mod:`.transforms_matrix` (onto matrices); this module gathers them under torch's
names.

Example:
    >>> import xpnet
    >>> from xpnet.distributions.transforms import TanhTransform
    >>> t = TanhTransform(cache_size=1)
    >>> x = xpnet.tensor([0.5], dtype=xpnet.float64)
    >>> t.inv(t(x)) is x
    True
"""

from __future__ import annotations

from .transform import ComposeTransform, IndependentTransform, Transform, identity_transform
from .transforms_elementwise import (
    AbsTransform,
    AffineTransform,
    ExpTransform,
    PowerTransform,
    SigmoidTransform,
    SoftmaxTransform,
    SoftplusTransform,
    StickBreakingTransform,
    TanhTransform,
)
from .transforms_matrix import (
    CorrCholeskyTransform,
    LowerCholeskyTransform,
    PositiveDefiniteTransform,
)
from .transforms_structured import (
    CatTransform,
    CumulativeDistributionTransform,
    ReshapeTransform,
    StackTransform,
)

__all__ = [
    "AbsTransform",
    "AffineTransform",
    "CatTransform",
    "ComposeTransform",
    "CorrCholeskyTransform",
    "CumulativeDistributionTransform",
    "ExpTransform",
    "IndependentTransform",
    "LowerCholeskyTransform",
    "PositiveDefiniteTransform",
    "PowerTransform",
    "ReshapeTransform",
    "SigmoidTransform",
    "SoftmaxTransform",
    "SoftplusTransform",
    "StackTransform",
    "StickBreakingTransform",
    "TanhTransform",
    "Transform",
    "identity_transform",
]
