"""Checkpoints: atomic ``.npz`` saves, and the run state that ``--resume`` restores exactly.

A checkpoint holds the model, optimizer, scheduler, random-generator states and the history
of a :func:`xpnet.train.loop.fit` run, saved after every epoch. :func:`fit` asks
:func:`run_generators` for the generators (the loader's, and those of :mod:`xpnet._random`),
:func:`run_state` for what to save and :func:`restore_run` to resume.
"""

from __future__ import annotations

import dataclasses
import json
import os
import tempfile

import numpy

from .. import to_numpy
from .._random import dropout_generator, host_generator
from ..backends import to_backend

CHECKPOINT_FORMAT = "xpnet-checkpoint-1"
# A resumed run must use the settings that shaped the saved state, or it would not match
# (every learning-rate schedule depends on the number of epochs).
_RESUME_KEYS = (
    "dataset",
    "model",
    "epochs",
    "batch_size",
    "lr",
    "optimizer",
    "scheduler",
    "seed",
    "limit",
)


def run_generators(loader, backend) -> dict:
    """The host random generators a run draws from; resuming restores their states."""
    generators = {"shuffle": loader.generator, "init": host_generator()}
    dropout = dropout_generator(backend)
    # GPU: CuPy's generator state is not exposed; a resumed GPU run draws other dropout masks
    if isinstance(dropout, numpy.random.Generator):
        generators["dropout"] = dropout
    return generators


def run_state(config, model, optimizer, scheduler, generators, history) -> dict:
    """Everything a resumed run needs, as plain values and arrays."""
    return {
        "format": CHECKPOINT_FORMAT,
        "config": dataclasses.asdict(config),
        "epoch": len(history),
        "model": model.state_dict(),
        "optimizer": optimizer.state_dict(),
        "scheduler": None if scheduler is None else scheduler.state_dict(),
        "rng": {name: gen.bit_generator.state for name, gen in generators.items()},
        "history": history,
    }


def restore_run(config, state, model, optimizer, scheduler, generators) -> list[dict]:
    """Load ``state`` into the run; return its history. Settings must match the saved ones."""
    saved = state["config"]
    for key in _RESUME_KEYS:
        if saved[key] != getattr(config, key):
            msg = (
                f"--resume {config.resume}: the checkpoint was saved with --{key.replace('_', '-')}"
                f" {saved[key]}, this run has {getattr(config, key)}"
            )
            raise ValueError(msg)
    model.load_state_dict({k: to_backend(v) for k, v in state["model"].items()})
    optimizer.load_state_dict(state["optimizer"])
    if scheduler is not None:
        scheduler.load_state_dict(state["scheduler"])
    for name, generator in generators.items():
        generator.bit_generator.state = state["rng"][name]
    return state["history"]


def save_checkpoint(path: str, state: dict) -> None:
    """Write ``state`` to ``path`` (an ``.npz``) atomically: the old file or the new, whole.

    The arrays go into a NumPy ``.npz`` (no pickle); everything else into a JSON skeleton
    stored beside them. The file is written under a temporary name in the same folder,
    flushed to disk, then renamed over ``path`` (``os.replace`` is atomic on POSIX and
    Windows), so a crash mid-save leaves the previous checkpoint intact.
    """
    arrays: dict[str, numpy.ndarray] = {}
    skeleton = json.dumps(_encode(state, arrays)).encode()
    arrays["skeleton"] = numpy.frombuffer(skeleton, dtype=numpy.uint8)
    folder = os.path.dirname(os.path.abspath(path))
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=f".{os.path.basename(path)}.")
    umask = os.umask(0)
    os.umask(umask)
    try:
        os.chmod(temporary, 0o666 & ~umask)  # mkstemp makes it private; a checkpoint is not
        with os.fdopen(handle, "wb") as file:
            numpy.savez(file, **arrays)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise
    if hasattr(os, "O_DIRECTORY"):
        # make the rename itself durable: fsync the folder that holds the entry
        folder_handle = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(folder_handle)
        finally:
            os.close(folder_handle)


def load_checkpoint(path: str) -> dict:
    """Read a checkpoint written by :func:`save_checkpoint` (arrays come back as NumPy).

    Raises:
        ValueError: if ``path`` is missing, unreadable or not an xpnet checkpoint.
    """
    try:
        with numpy.load(path, allow_pickle=False) as archive:
            arrays = {name: archive[name] for name in archive.files}
        state = _decode(json.loads(arrays.pop("skeleton").tobytes()), arrays)
    except (OSError, ValueError, KeyError, EOFError) as error:
        msg = f"{path}: not a readable xpnet checkpoint ({type(error).__name__}: {error})"
        raise ValueError(msg) from None
    if not isinstance(state, dict) or state.get("format") != CHECKPOINT_FORMAT:
        msg = f"{path}: not an xpnet checkpoint (expected format {CHECKPOINT_FORMAT!r})"
        raise ValueError(msg)
    return state


def _encode(value, arrays: dict):
    """``value`` as JSON-ready data; arrays (any backend) move to ``arrays``, by reference."""
    if isinstance(value, numpy.generic):
        return value.item()
    if isinstance(value, bool | int | float | str) or value is None:
        return value
    if isinstance(value, dict):
        # JSON objects only have string keys; optimizer states are keyed by int
        return {"dict": [[_encode(k, arrays), _encode(v, arrays)] for k, v in value.items()]}
    if isinstance(value, list | tuple):
        return {type(value).__name__: [_encode(item, arrays) for item in value]}
    if hasattr(value, "shape") and hasattr(value, "dtype"):
        name = f"array{len(arrays)}"
        arrays[name] = to_numpy(value)
        return {"array": name}
    msg = f"save_checkpoint: cannot store a {type(value).__name__} ({value!r})"
    raise TypeError(msg)


def _decode(value, arrays: dict):
    """The inverse of :func:`_encode`."""
    if not isinstance(value, dict):
        return value
    ((kind, content),) = value.items()
    if kind == "array":
        return arrays[content]
    if kind == "dict":
        return {_decode(k, arrays): _decode(v, arrays) for k, v in content}
    items = [_decode(item, arrays) for item in content]
    return tuple(items) if kind == "tuple" else items
