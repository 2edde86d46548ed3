"""``torch.random`` for xpnet: the random state as a uint8 Tensor, and :func:`fork_rng`.

:func:`get_rng_state` returns every generator :func:`manual_seed` seeds (the host generator of
initial weights, random tensors and loader shuffles; each backend's dropout generator; the
seeds) as a 1-d uint8 Tensor, and :func:`set_rng_state` puts it back, so that every random op
after it draws again what it drew after :func:`get_rng_state`. The state lives in
:mod:`xpnet._random`; this module encodes it (:func:`encode_state`, :func:`decode_state`,
which :meth:`xpnet.Generator.get_state` shares). The top-level ``xpnet.get_rng_state``,
``set_rng_state``, ``seed`` and ``initial_seed`` are these functions.

The bytes are xpnet's, not PyTorch's: a 16-byte tag, the length of a JSON header (seeds, NumPy
generator states), the header, then each backend's generator state. xpnet refuses PyTorch's
states and PyTorch xpnet's.

Example:
    >>> import xpnet
    >>> state = xpnet.get_rng_state()
    >>> a = xpnet.rand(3)
    >>> xpnet.set_rng_state(state)
    >>> bool((xpnet.rand(3) == a).all()), state.dtype
    (True, dtype('uint8'))
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterable, Iterator

import numpy

from . import _random
from ._random import fresh_seed, initial_seed, manual_seed
from .autograd import Tensor
from .backends import backend_of
from .kernels import ArgumentError

__all__ = ["set_rng_state", "get_rng_state", "manual_seed", "seed", "initial_seed", "fork_rng"]

_TAG = b"xpnet rng state\x00"  # 16 bytes that no PyTorch state starts with
_LENGTH_BYTES = 8  # the header's length, little-endian
_SOURCES = {"xpnet": "xpnet.get_rng_state()", "Generator": "xpnet.Generator.get_state()"}
_KEYS = {"xpnet": ("seed", "dropout_seed", "host"), "Generator": ("seed", "host")}


def encode_state(kind: str, header: dict, blobs: dict | None = None) -> Tensor:
    """``header`` (JSON values) and ``blobs`` (name: bytes) as a 1-d uint8 Tensor on the host
    (NumPy), as PyTorch's CPU ByteTensor; ``kind`` (``"xpnet"``, ``"Generator"``) says whose."""
    blobs = blobs or {}
    header = {**header, "kind": kind, "blobs": [[name, len(blob)] for name, blob in blobs.items()]}
    text = json.dumps(header).encode()
    encoded = b"".join([_TAG, len(text).to_bytes(_LENGTH_BYTES, "little"), text, *blobs.values()])
    return Tensor(numpy.frombuffer(encoded, dtype=numpy.uint8).copy())


def _state_bytes(where: str, new_state) -> bytes:
    if not isinstance(new_state, Tensor) or new_state.dtype != numpy.uint8:
        got = new_state.dtype if isinstance(new_state, Tensor) else type(new_state).__name__
        msg = f"{where}: new_state must be a uint8 Tensor (a ByteTensor), got {got}"
        raise TypeError(msg)
    if new_state.ndim != 1:
        msg = f"{where}: new_state must be 1-d, as states are, got shape {tuple(new_state.shape)}"
        raise ArgumentError(msg)
    return backend_of(new_state.array).to_host(new_state.array).tobytes()


def decode_state(where: str, new_state, kind: str) -> tuple[dict, dict]:
    """``(header, blobs)`` of a state :func:`encode_state` made with ``kind``.

    Raises:
        TypeError: ``new_state`` not a uint8 Tensor. ArgumentError: not 1-d, not such a state
            (PyTorch's, another kind's, truncated or changed).
    """
    encoded = _state_bytes(where, new_state)
    expected = f"a state from {_SOURCES[kind]}"
    start = len(_TAG) + _LENGTH_BYTES
    if not encoded.startswith(_TAG) or len(encoded) < start:
        msg = f"{where}: new_state must be {expected}, got {len(encoded)} bytes that are not one"
        raise ArgumentError(f"{msg} (xpnet's states are not PyTorch's)")
    end = start + int.from_bytes(encoded[len(_TAG) : start], "little")
    try:
        header = json.loads(encoded[start:end])
        names, sizes = zip(*header["blobs"], strict=True) if header["blobs"] else ((), ())
        if not all(isinstance(n, int) and n >= 0 for n in sizes):
            raise ValueError(f"blob sizes {sizes}")
        missing = [key for key in _KEYS[kind] if key not in header]
    except (ValueError, TypeError, KeyError) as error:  # JSON's errors are ValueErrors
        msg = f"{where}: new_state must be {expected}, got one whose header is unreadable"
        raise ArgumentError(f"{msg} ({type(error).__name__}: {error})") from None
    if header.get("kind") != kind:
        msg = f"{where}: new_state must be {expected}, got one from "
        raise ArgumentError(msg + _SOURCES.get(header.get("kind"), "elsewhere"))
    if missing or end + sum(sizes) != len(encoded):
        msg = f"{where}: new_state must be {expected}, got a truncated or changed one"
        raise ArgumentError(f"{msg} ({len(encoded)} bytes, missing {missing})")
    blobs = {}
    for name, size in zip(names, sizes, strict=True):
        blobs[name], end = encoded[end : end + size], end + size
    return header, blobs


@contextlib.contextmanager
def restoring(where: str) -> Iterator[None]:
    """Turn NumPy's refusal of a generator state into an ArgumentError naming ``where``."""
    try:
        yield
    except (ValueError, TypeError, KeyError) as error:
        msg = f"{where}: new_state holds a generator state NumPy refuses"
        raise ArgumentError(f"{msg} ({type(error).__name__}: {error})") from None


def get_rng_state() -> Tensor:
    """The state of every generator :func:`manual_seed` seeds, as a 1-d uint8 Tensor, as
    ``torch.get_rng_state``: the host generator (initial weights, ``xpnet.rand``/``randn``/
    ``randint``/``randperm``, transforms, the shuffles of loaders without a generator of their
    own), each backend's dropout generator, and the seeds.

    Returns:
        A new uint8 Tensor on the host (NumPy) that :func:`set_rng_state` takes back.

    Note:
        The bytes are xpnet's encoding of NumPy's (and on the GPU, CuPy's) generator states,
        not PyTorch's Mersenne Twister state: PyTorch cannot read them, nor xpnet PyTorch's.
        With CuPy's dropout generator in use they hold its cuRAND states, a few MB.

    Example:
        >>> import xpnet
        >>> state = xpnet.get_rng_state()
        >>> a = xpnet.randn(2)
        >>> xpnet.set_rng_state(state)
        >>> bool((xpnet.randn(2) == a).all())
        True
    """
    states = _random.rng_states()
    blobs = states.pop("dropout")  # backend name: bytes, after the header
    return encode_state("xpnet", states, blobs)


def set_rng_state(new_state: Tensor) -> None:
    """Put back a state from :func:`get_rng_state`, as ``torch.set_rng_state``: afterwards
    every random op (random tensors, dropout masks, initial weights, shuffles) draws what it
    drew after that :func:`get_rng_state`, and :func:`initial_seed` is that state's.

    Args:
        new_state: a 1-d uint8 Tensor from :func:`get_rng_state`, on any backend.

    Raises:
        TypeError: ``new_state`` not a uint8 Tensor. ArgumentError: not 1-d, or not a state
            from :func:`get_rng_state` (PyTorch's, a ``Generator``'s, truncated or changed).
            Nothing changes then.
    """
    header, blobs = decode_state("set_rng_state", new_state, "xpnet")
    with restoring("set_rng_state"):
        _random.restore_rng_states({**header, "dropout": blobs})


def seed() -> int:
    """Seed every generator from fresh entropy (:func:`manual_seed` with a non-deterministic
    64-bit number), and return that seed, as ``torch.seed``."""
    new_seed = fresh_seed()
    manual_seed(new_seed)
    return new_seed


@contextlib.contextmanager
def fork_rng(
    devices: Iterable | None = None,
    enabled: bool = True,
    _caller: str = "fork_rng",
    _devices_kw: str = "devices",
    device_type: str | None = None,
) -> Iterator[None]:
    """A context that puts the random state back as it was on leaving it, as
    ``torch.random.fork_rng``: draws inside it leave no trace outside.

    Args:
        devices: accepted for PyTorch's signature, an iterable of device ids; every generator
            is forked whatever it says (GPU dropout included). Default: ``None``.
        enabled: ``False`` makes the context do nothing. Default: ``True``.
        device_type: accepted for PyTorch's signature. Default: ``None``.

    Raises:
        TypeError: ``devices`` neither ``None`` nor iterable.

    Example:
        >>> import xpnet
        >>> _ = xpnet.manual_seed(0)
        >>> with xpnet.random.fork_rng():
        ...     inside = xpnet.rand(2)
        >>> bool((xpnet.rand(2) == inside).all())
        True
    """
    if devices is not None and not isinstance(devices, Iterable):
        msg = f"{_caller}: {_devices_kw} must be an iterable of device ids or None, got "
        raise TypeError(msg + type(devices).__name__)
    if not enabled:
        yield
        return
    state = get_rng_state()
    try:
        yield
    finally:
        set_rng_state(state)
