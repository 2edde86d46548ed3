"""The host random generator behind :func:`xpnet.manual_seed`.

Initial weights are drawn here, on the host, in float64 NumPy, then cast and moved to the
backend: the same seed gives the same weights on NumPy, strict and CuPy (CuPy's own
generator would give other numbers for the same seed).
"""

from __future__ import annotations

import numpy

from .kernels.dropout import manual_seed as _seed_dropout

_generator = numpy.random.default_rng()


def manual_seed(seed: int) -> numpy.random.Generator:
    """Seed the generators xpnet draws from: initial weights, and dropout masks.

    Returns the new host generator.

    Example:
        >>> import xpnet
        >>> a = xpnet.nn.Linear(3, 2).weight.numpy()
        >>> _ = xpnet.manual_seed(0)
        >>> b = xpnet.nn.Linear(3, 2).weight.numpy()
        >>> _ = xpnet.manual_seed(0)
        >>> bool((xpnet.nn.Linear(3, 2).weight.numpy() == b).all())
        True
    """
    global _generator
    _generator = numpy.random.default_rng(seed)
    _seed_dropout(seed)  # dropout masks come from each backend's own generator
    return _generator


def host_generator() -> numpy.random.Generator:
    """The generator seeded by :func:`manual_seed` (initialisers draw from it)."""
    return _generator
