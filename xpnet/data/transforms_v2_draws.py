"""How v2 transforms draw: once per call, under one lock.

torchvision's v2 transforms draw a call's random parameters once (``make_params``) and apply
them to every image leaf of the sample. Here the draws come from xpnet's host generator
(:func:`xpnet.manual_seed`), which a loader's worker *threads* share; :data:`DRAW_LOCK` makes
each call's draws one block, so that threads neither interleave nor repeat each other's
draws. :class:`LockedTransform` is the base of xpnet's v2 transforms that draw (and gives
torchvision's repr); :class:`RandomApplyTransform` adds torchvision's coin of probability
``p`` before the parameters. The v1 transforms under v2 are in
:mod:`xpnet.data.transforms_v2_wrap`.

Example:
    >>> class Shift(LockedTransform):
    ...     def make_params(self, flat_inputs):
    ...         return {"shift": 1.0}
    ...     def transform(self, inpt, params):
    ...         return inpt + params["shift"]
    >>> Shift()(np.zeros(2), 3)
    (array([1., 1.]), 3)
"""

from __future__ import annotations

import threading

from .._random import host_generator
from ..func._pytree import tree_unflatten
from .transforms_v2_base import Transform

__all__ = ["DRAW_LOCK", "LockedTransform", "RandomApplyTransform", "coin"]

# one lock for every v2 transform's draws from the host generator (re-entrant: a container's
# draws may enclose its transforms')
DRAW_LOCK = threading.RLock()


def coin(p: float) -> bool:
    """One uniform draw below ``p``: v1's ``torch.rand(1) < p``."""
    return float(host_generator().random()) < p


class LockedTransform(Transform):
    """A v2 transform whose ``make_params`` holds :data:`DRAW_LOCK`; its outputs for Images
    and Masks are rewrapped."""

    rewraps = True

    def params_of(self, sample, flat_inputs, needs: list[bool]) -> dict:
        with DRAW_LOCK:
            return super().params_of(sample, flat_inputs, needs)


class RandomApplyTransform(LockedTransform):
    """torchvision's ``_RandomApplyTransform``: a coin of probability ``p`` before
    ``make_params``; the sample passes unchanged where it comes up tails. Otherwise as
    :class:`~xpnet.data.transforms_v2_base.Transform`: ``refused_types`` refused (before the
    coin), the leaves through ``transform_leaf`` (an Image or a Mask stays one).

    Raises:
        ValueError: if ``p`` is not in [0, 1].
    """

    def __init__(self, p: float = 0.5) -> None:
        if not 0.0 <= p <= 1.0:
            msg = "`p` should be a floating point value in the interval [0.0, 1.0]."
            raise ValueError(msg)
        self.p = p

    def forward(self, *inputs):
        # refused before the coin, as Transform.forward does: the error does not depend on p
        sample, flat_inputs, spec, needs = self.flattened(inputs)
        with DRAW_LOCK:  # the coin and the parameters, as one draw
            if not coin(self.p):
                return sample
            params = self.params_of(sample, flat_inputs, needs)
        return tree_unflatten(self.transform_leaves(flat_inputs, needs, params), spec)
