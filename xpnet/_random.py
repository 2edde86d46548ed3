"""All of xpnet's process-wide random state: the host generator and the dropout generators.

:func:`manual_seed` (``xpnet.manual_seed``) seeds them all:

- :func:`host_generator` draws initial weights (:mod:`xpnet.nn.init`), on the host, in
  float64 NumPy; they are then cast and moved to the backend, so the same seed gives the same
  weights on NumPy, strict and CuPy (CuPy's own generator would give other numbers for the
  same seed).
- :func:`dropout_generator` gives each backend its own generator, made by the backend's
  ``default_rng`` on first use, so that dropout masks are drawn where the data lives.
  :mod:`xpnet.kernels.dropout` draws from it; :func:`seed_dropout` reseeds these alone.

:mod:`xpnet.train.checkpoint` saves and restores these generators' states so that a resumed
run draws the same numbers. A data loader's shuffling generator belongs to the loader
(``DataLoader(seed=...)``), not to this module. :class:`Generator` is a NumPy generator with
``torch.Generator``'s methods, for the ``generator=`` arguments of ported scripts.
"""

from __future__ import annotations

import numbers

import numpy

_host_generator = numpy.random.default_rng()
_dropout_seed: int | None = None
_dropout_generators: dict = {}  # backend name -> that backend's generator


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
    global _host_generator
    _host_generator = numpy.random.default_rng(seed)
    seed_dropout(seed)  # dropout masks come from each backend's own generator
    return _host_generator


def host_generator() -> numpy.random.Generator:
    """The generator seeded by :func:`manual_seed` (initialisers draw from it)."""
    return _host_generator


def drawn_generator() -> numpy.random.Generator:
    """A new generator seeded by a draw from :func:`host_generator`, as PyTorch's samplers
    without a generator draw a seed from its default one (an epoch's shuffle)."""
    return numpy.random.default_rng(int(_host_generator.integers(2**63)))


def seed_dropout(seed: int | None) -> None:
    """Make every backend's dropout generator start again from ``seed`` (``None``: fresh entropy).

    Example:
        >>> from xpnet.kernels import dropout
        >>> seed_dropout(0)
        >>> a = dropout(xp.ones(4))
        >>> seed_dropout(0)
        >>> bool((dropout(xp.ones(4)) == a).all())
        True
    """
    global _dropout_seed
    _dropout_seed = seed
    _dropout_generators.clear()  # each is made again, from the new seed, on its next use


def dropout_generator(backend):
    """The dropout generator of ``backend`` (a backend module), created on first use."""
    if backend.name not in _dropout_generators:
        _dropout_generators[backend.name] = backend.default_rng(_dropout_seed)
    return _dropout_generators[backend.name]


def check_generator(where: str, generator) -> None:
    """TypeError, naming ``where``, unless ``generator`` is a NumPy generator (an
    :class:`xpnet.Generator` is one)."""
    if not isinstance(generator, numpy.random.Generator):
        msg = (
            f"{where}: generator must be a numpy.random.Generator or an xpnet.Generator, "
            f"got {type(generator).__name__}"
        )
        raise TypeError(msg)


# torch.Generator()'s seed before any manual_seed: an unseeded generator is reproducible
_DEFAULT_SEED = 67280421310721


class Generator(numpy.random.Generator):
    """A ``numpy.random.Generator`` with ``torch.Generator``'s methods, so that
    ``generator=torch.Generator().manual_seed(42)`` ports as ``xpnet.Generator().manual_seed(42)``
    wherever xpnet takes a generator (random tensors, :mod:`xpnet.nn.init`, ``DataLoader``,
    ``random_split``). It draws NumPy's numbers, not PyTorch's.

    Args:
        device: accepted for PyTorch's signature; xpnet draws on the host and copies.

    Example:
        >>> import xpnet
        >>> g = xpnet.Generator().manual_seed(42)
        >>> g.initial_seed(), xpnet.randn(2, generator=g).shape
        (42, (2,))
    """

    def __init__(self, device="cpu"):
        super().__init__(numpy.random.PCG64(_DEFAULT_SEED))
        self.device = device
        self._seed = _DEFAULT_SEED

    def manual_seed(self, seed: int) -> Generator:
        """Start again from ``seed`` (an int); returns this generator."""
        if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
            msg = f"Generator.manual_seed: seed must be an int, got {seed!r}"
            raise TypeError(msg)
        self._seed = int(seed)
        self.bit_generator.state = numpy.random.PCG64(self._seed).state
        return self

    def seed(self) -> int:
        """Start again from a fresh non-deterministic seed, and return it."""
        return self.manual_seed(int(numpy.random.SeedSequence().entropy % 2**63))._seed

    def initial_seed(self) -> int:
        """The seed this generator last started from."""
        return self._seed

    def get_state(self) -> dict:
        """The generator's state (NumPy's ``bit_generator.state``; PyTorch's is a tensor)."""
        return self.bit_generator.state

    def set_state(self, state: dict) -> Generator:
        """Go back to a state from :meth:`get_state`; returns this generator."""
        self.bit_generator.state = state
        return self
