"""All of xpnet's process-wide random state: the host generator and the dropout generators.

:func:`manual_seed` (``xpnet.manual_seed``) seeds them all:

- :func:`host_generator` draws initial weights (:mod:`xpnet.nn.init`), on the host, in
  float64 NumPy; they are then cast and moved to the backend, so the same seed gives the same
  weights on NumPy, strict and CuPy (CuPy's own generator would give other numbers for the
  same seed). ``xpnet.rand``/``randn``/..., transforms, and the shuffles of loaders without a
  generator of their own draw from it too.
- :func:`dropout_generator` gives each backend its own generator, made by the backend's
  ``default_rng`` on first use, so that dropout masks are drawn where the data lives.
  :mod:`xpnet.kernels.dropout` draws from it; :func:`seed_dropout` reseeds these alone.

:func:`rng_states` and :func:`restore_rng_states` take and put back all of it (the seeds, and
each generator's state), for :func:`xpnet.get_rng_state` and ``set_rng_state``
(:mod:`xpnet.random`, which also encodes it as a uint8 Tensor). Before any ``manual_seed``
the generators start from a seed drawn from fresh entropy, as PyTorch's default generator.
:mod:`xpnet.train.checkpoint` saves and restores these generators' states so that a resumed
run draws the same numbers. A data loader's shuffling generator belongs to the loader
(``DataLoader(seed=...)``), not to this module. :class:`Generator` is a NumPy generator with
``torch.Generator``'s methods, for the ``generator=`` arguments of ported scripts.
"""

from __future__ import annotations

import numbers

import numpy


def fresh_seed() -> int:
    """A non-deterministic 64-bit seed, from the operating system's entropy (``torch.seed``'s)."""
    return int(numpy.random.SeedSequence().entropy % 2**64)


def plain_seed(seed):
    """``seed`` as a Python int where it is an integer (``numpy.int64(3)``): states are JSON."""
    return int(seed) if isinstance(seed, numbers.Integral) else seed


def torch_seed(where: str, seed: int) -> int:
    """``seed`` as PyTorch's generators take one: an int from ``-2**63`` to ``2**64 - 1``,
    a negative one wrapped modulo ``2**64`` (``manual_seed(-1)`` starts from ``2**64 - 1``,
    as PyTorch's, whose ``initial_seed`` then says so); NumPy takes no negative seed.

    Raises:
        ValueError: a seed outside that range (PyTorch's "Overflow when unpacking long long").
    """
    if not -(2**63) <= seed < 2**64:
        msg = f"{where}: seed must be an int from -2**63 to 2**64 - 1, got {seed}"
        raise ValueError(msg)
    return int(seed) % 2**64


_initial_seed = fresh_seed()
_host_generator = numpy.random.default_rng(_initial_seed)
_dropout_seed = _initial_seed
_dropout_generators: dict = {}  # backend name -> (backend, its generator)
# backend name -> the state restore_rng_states gave a generator not made yet (made on first use)
_restored_states: dict = {}


def manual_seed(seed: int) -> numpy.random.Generator:
    """Seed the generators xpnet draws from: initial weights, random tensors, and dropout masks.

    ``seed`` is read as PyTorch's: ``int(seed)``, from ``-2**63`` to ``2**64 - 1``, a negative
    one wrapped modulo ``2**64``. Returns the new host generator.

    Example:
        >>> import xpnet
        >>> a = xpnet.nn.Linear(3, 2).weight.numpy()
        >>> _ = xpnet.manual_seed(0)
        >>> b = xpnet.nn.Linear(3, 2).weight.numpy()
        >>> _ = xpnet.manual_seed(0)
        >>> bool((xpnet.nn.Linear(3, 2).weight.numpy() == b).all())
        True
    """
    global _host_generator, _initial_seed
    if seed is None:  # NumPy would seed from fresh entropy; PyTorch refuses it
        raise TypeError("xpnet.manual_seed: seed must be an int, got None")
    try:  # PyTorch's manual_seed takes int(seed): 1.5, "3", a one-element Tensor
        seed = int(seed)
    except (TypeError, ValueError) as error:
        msg = f"xpnet.manual_seed: seed must be an int, got {type(seed).__name__} {seed!r}"
        raise type(error)(msg) from None
    seed = torch_seed("xpnet.manual_seed", seed)
    _host_generator = numpy.random.default_rng(seed)
    _initial_seed = seed
    seed_dropout(seed)  # dropout masks come from each backend's own generator
    return _host_generator


def initial_seed() -> int:
    """The seed the generators last started from (:func:`manual_seed`'s, or the fresh one
    drawn at import), as ``torch.initial_seed``."""
    return _initial_seed


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
    # a seed even for fresh entropy, so that rng_states can say where a generator not yet
    # made will start
    _dropout_seed = fresh_seed() if seed is None else plain_seed(seed)
    _dropout_generators.clear()  # each is made again, from the new seed, on its next use
    _restored_states.clear()


def seed_backend_dropout(backend, seed) -> None:
    """Start ``backend``'s dropout generator again from ``seed``, the others keeping theirs
    (``xpnet.cuda.manual_seed``)."""
    seed = torch_seed("xpnet.cuda.manual_seed", int(seed))  # -1 wrapped, as PyTorch's
    _restored_states.pop(backend.name, None)
    _dropout_generators[backend.name] = (backend, backend.default_rng(seed))


def dropout_generator(backend):
    """The dropout generator of ``backend`` (a backend module), created on first use."""
    made = _dropout_generators.get(backend.name)
    if made is None:
        generator = backend.default_rng(_dropout_seed)
        state = _restored_states.pop(backend.name, None)
        if state is not None:
            backend.set_generator_state(generator, state)
        made = _dropout_generators[backend.name] = (backend, generator)
    return made[1]


def rng_states() -> dict:
    """Everything :func:`manual_seed` seeds, as it is now: ``seed`` (:func:`initial_seed`),
    ``dropout_seed``, ``host`` (the host generator's ``bit_generator.state``) and ``dropout``
    (backend name: the bytes of its ``generator_state``, for every dropout generator made,
    or restored and not yet made). A generator of a backend without ``generator_state`` is
    left out: it starts again from ``dropout_seed`` after :func:`restore_rng_states`."""
    dropout = dict(_restored_states)
    for name, (backend, generator) in _dropout_generators.items():
        state_of = getattr(backend, "generator_state", None)
        if state_of is not None:
            dropout[name] = state_of(generator)
    return {
        "seed": _initial_seed,
        "dropout_seed": _dropout_seed,
        "host": _host_generator.bit_generator.state,
        "dropout": dropout,
    }


def restore_rng_states(states: dict) -> None:
    """Go back to ``states`` from :func:`rng_states`. The generators that exist take their
    saved states in place (holders of them, such as a training run's checkpoint, see it);
    one without a saved state (it was not made yet then) is made again on its next use, from
    the seed, as it would have been; one not made yet takes its saved state when it is.

    Raises:
        ValueError, TypeError: a host state NumPy refuses (nothing has changed then).
    """
    global _initial_seed, _dropout_seed
    _host_generator.bit_generator.state = states["host"]
    _initial_seed, _dropout_seed = states["seed"], states["dropout_seed"]
    saved = dict(states["dropout"])
    for name, (backend, generator) in tuple(_dropout_generators.items()):
        if name in saved and hasattr(backend, "set_generator_state"):
            backend.set_generator_state(generator, saved.pop(name))
        else:
            del _dropout_generators[name]
    _restored_states.clear()
    _restored_states.update(saved)


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
        """Start again from ``seed`` (an int from ``-2**63`` to ``2**64 - 1``, a negative one
        wrapped modulo ``2**64``, as PyTorch's); returns this generator."""
        if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
            msg = f"Generator.manual_seed: seed must be an int, got {seed!r}"
            raise TypeError(msg)
        self._seed = torch_seed("Generator.manual_seed", seed)
        self.bit_generator.state = numpy.random.PCG64(self._seed).state
        return self

    def seed(self) -> int:
        """Start again from a fresh non-deterministic seed, and return it."""
        return self.manual_seed(int(numpy.random.SeedSequence().entropy % 2**63))._seed

    def initial_seed(self) -> int:
        """The seed this generator last started from."""
        return self._seed

    def get_state(self):
        """The generator's state as a uint8 Tensor (a ByteTensor, as PyTorch's) that
        :meth:`set_state` takes back exactly: its seed and NumPy's ``bit_generator.state``.
        The bytes are xpnet's, not PyTorch's: neither library reads the other's."""
        # xpnet.random builds Tensors, whose modules import this one: imported on use
        from .random import encode_state

        return encode_state("Generator", {"seed": self._seed, "host": self.bit_generator.state})

    def set_state(self, new_state) -> Generator:
        """Go back to a state from :meth:`get_state` (of any :class:`Generator`), seed
        included; returns this generator.

        Raises:
            TypeError: ``new_state`` not a uint8 Tensor. ValueError: not a state from
                :meth:`get_state` (an ``xpnet.get_rng_state`` state, PyTorch's bytes).
        """
        from .random import decode_state, restoring

        header, _ = decode_state("Generator.set_state", new_state, "Generator")
        with restoring("Generator.set_state"):
            self.bit_generator.state = header["host"]
        self._seed = header["seed"]
        return self
