"""PyTorch's ``*_with_indices`` forms of the max pools: each pool of
:mod:`xpnet.nn.functional` returning ``(output, indices)`` whatever ``return_indices`` says,
with the pool's signature (PyTorch's keeps the argument). :mod:`xpnet.nn.functional` imports
this module, so every name here is one of its names.

Example:
    >>> import xpnet
    >>> import xpnet.nn.functional as F
    >>> output, indices = F.max_pool1d_with_indices(xpnet.tensor([[[1.0, 3.0, 2.0, 0.0]]]), 2)
    >>> output.array, indices
    (array([[[3., 2.]]], dtype=float32), array([[[1, 2]]]))
"""

from __future__ import annotations

from ..autograd import Function
from . import functional as F

__all__ = [
    "adaptive_max_pool1d_with_indices",
    "adaptive_max_pool2d_with_indices",
    "adaptive_max_pool3d_with_indices",
    "fractional_max_pool2d_with_indices",
    "fractional_max_pool3d_with_indices",
    "max_pool1d_with_indices",
    "max_pool2d_with_indices",
    "max_pool3d_with_indices",
]


def _with_indices(pool: Function):
    """``pool`` (a lifted pair) asked for its indices on every call."""
    signature = pool.signature

    def with_indices(*args, **kwargs):
        arguments = signature.bind(*args, **kwargs).arguments
        return pool(**{**arguments, "return_indices": True})

    name = f"{pool.__name__}_with_indices"
    with_indices.__name__ = with_indices.__qualname__ = name
    with_indices.__signature__ = signature
    with_indices.__doc__ = (
        f":func:`{pool.__name__}` returning ``(output, indices)``, as "
        f"``torch.nn.functional.{name}``."
    )
    return with_indices


max_pool1d_with_indices = _with_indices(F.max_pool1d)
max_pool2d_with_indices = _with_indices(F.max_pool2d)
max_pool3d_with_indices = _with_indices(F.max_pool3d)
adaptive_max_pool1d_with_indices = _with_indices(F.adaptive_max_pool1d)
adaptive_max_pool2d_with_indices = _with_indices(F.adaptive_max_pool2d)
adaptive_max_pool3d_with_indices = _with_indices(F.adaptive_max_pool3d)
fractional_max_pool2d_with_indices = _with_indices(F.fractional_max_pool2d)
fractional_max_pool3d_with_indices = _with_indices(F.fractional_max_pool3d)
