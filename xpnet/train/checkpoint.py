"""Checkpoints: atomic ``.npz`` saves, and the run state that ``--resume`` restores exactly.

A checkpoint holds the model, optimizer, scheduler, GradScaler (``16-mixed``) and
random-generator states and the history of a :func:`xpnet.train.loop.fit` run, saved after
every epoch. :func:`fit` asks :func:`run_generators` for the generators (the loader's, and
those of :mod:`xpnet._random`), :func:`run_state` for what to save and :func:`restore_run` to
resume.

A checkpoint that is missing, not a regular file, truncated, corrupt (the zip's CRC-32s catch
flipped bytes), not xpnet's, damaged (entries missing or of the wrong type) or saved by a run
with other settings raises :class:`CheckpointError` naming the file and the problem;
``xpnet train --resume`` prints it as one line and exits with status 2.
"""

from __future__ import annotations

import dataclasses
import io
import json
import os
import stat

import numpy

from .. import to_numpy
from .._random import dropout_generator, host_generator
from ..amp.training import grad_scaler_of
from ..backends import to_backend
from ..serialization import write_atomically
from .config import WHOLE_RUN_SCHEDULERS
from .report import row_problem

CHECKPOINT_FORMAT = "xpnet-checkpoint-1"
_ZIP_MAGIC = b"PK\x03\x04"  # an .npz is a zip archive
# what run_state saves, and the type of each entry (``type(None)``: a run without scheduler)
_STATE_TYPES = {
    "config": (dict,),
    "epoch": (int,),
    "model": (dict,),
    "optimizer": (dict,),
    "scheduler": (dict, type(None)),
    "scaler": (dict, type(None)),  # the GradScaler of a --precision 16-mixed run
    "rng": (dict,),
    "history": (list,),
}
# A resumed run must use the settings that shaped the saved state, or it would not match;
# --epochs may grow where the learning-rate schedule allows it (resume_config).
_RESUME_KEYS = (
    "dataset",
    "model",
    "batch_size",
    "lr",
    "optimizer",
    "scheduler",
    "seed",
    "limit",
    "precision",
)
# the value of a resume setting in a checkpoint saved before that setting existed
_RESUME_DEFAULTS = {"precision": "32"}


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
    scaler = grad_scaler_of(optimizer)
    return {
        "format": CHECKPOINT_FORMAT,
        "config": dataclasses.asdict(config),
        "epoch": len(history),
        "model": model.state_dict(),
        "optimizer": optimizer.state_dict(),
        "scheduler": None if scheduler is None else scheduler.state_dict(),
        "scaler": None if scaler is None else scaler.state_dict(),
        "rng": {name: gen.bit_generator.state for name, gen in generators.items()},
        "history": history,
    }


class CheckpointError(ValueError):
    """A checkpoint that cannot be resumed: unreadable, truncated, corrupt, not an xpnet
    checkpoint, or saved by a run with other settings. The message names the file."""


def resume_config(config, state):
    """``config`` to continue the run saved in ``state``: its settings must match the saved
    ones, except a larger ``epochs`` where the schedule allows it (the ``step`` and ``none``
    schedules; the learning-rate schedule keeps the saved run's plan).

    Raises:
        CheckpointError: if the state is damaged, a setting differs, or ``epochs`` cannot
            continue the saved run.
    """
    _check_run_state(config.resume, state)
    saved = state["config"]
    for key in _RESUME_KEYS:
        value = saved.get(key, _RESUME_DEFAULTS.get(key))
        if value != getattr(config, key):
            msg = (
                f"--resume {config.resume}: the checkpoint was saved with --{key.replace('_', '-')}"
                f" {value}, this run has {getattr(config, key)}"
            )
            raise CheckpointError(msg)
    planned = saved.get("schedule_epochs") or saved["epochs"]
    problem = None
    if config.epochs < state["epoch"]:
        problem = f"it has trained {state['epoch']} epochs already"
    elif config.epochs != saved["epochs"] and config.scheduler in WHOLE_RUN_SCHEDULERS:
        problem = (
            f"the {config.scheduler} learning-rate schedule is planned over all the epochs "
            "(only --scheduler step or none runs can be extended)"
        )
    if problem:
        msg = (
            f"--resume {config.resume}: the checkpoint was saved with --epochs {saved['epochs']},"
            f" this run has {config.epochs}; {problem}"
        )
        raise CheckpointError(msg)
    return dataclasses.replace(config, schedule_epochs=planned)


def restore_run(config, state, model, optimizer, scheduler, generators) -> list[dict]:
    """Load ``state`` (checked by :func:`resume_config`) into the run; return its history.

    Raises:
        CheckpointError: if the state does not fit the run (arrays of other shapes, missing
            or extra entries).
    """
    _check_run_state(config.resume, state)
    try:
        _check_optimizer_state(state["optimizer"], optimizer)
        if (scheduler is None) != (state["scheduler"] is None) or (
            scheduler is not None and state["scheduler"].keys() != scheduler.state_dict().keys()
        ):
            msg = "its scheduler state does not fit the scheduler of this run"
            raise ValueError(msg)
        scaler = grad_scaler_of(optimizer)
        if (scaler is None) != (state.get("scaler") is None):
            msg = "its GradScaler state does not fit this run's --precision"
            raise ValueError(msg)
        model.load_state_dict({k: to_backend(v) for k, v in state["model"].items()})
        optimizer.load_state_dict(state["optimizer"])
        if scaler is not None:
            scaler.load_state_dict(state["scaler"])
        if scheduler is not None:
            scheduler.load_state_dict(state["scheduler"])
        for name, generator in generators.items():
            if name == "dropout" and name not in state["rng"]:
                # saved on a backend whose dropout generator state is not exposed (CuPy):
                # this run draws other dropout masks, as a resumed GPU run does
                continue
            generator.bit_generator.state = state["rng"][name]
    except (KeyError, TypeError, ValueError, IndexError, AttributeError, RuntimeError) as error:
        msg = (
            f"{config.resume}: the checkpoint does not fit this run, or is damaged "
            f"({_problem(error)})"
        )
        raise CheckpointError(msg) from None
    return state["history"]


def _check_optimizer_state(saved: dict, optimizer) -> None:
    """Every array of a parameter's saved optimizer state has that parameter's shape."""
    params = [param for group in optimizer.param_groups for param in group["params"]]
    for index, entries in saved["state"].items():
        if not isinstance(index, int) or not 0 <= index < len(params):
            msg = f"optimizer state for parameter {index!r}, the model has {len(params)}"
            raise ValueError(msg)
        for name, value in entries.items():
            shape = tuple(params[index].array.shape)
            if hasattr(value, "shape") and tuple(value.shape) != shape:
                msg = (
                    f"optimizer state {name!r} of parameter {index} has shape "
                    f"{tuple(value.shape)}, the parameter {shape}"
                )
                raise ValueError(msg)


def _problem(error: BaseException) -> str:
    """``Type: message`` of ``error`` on one line (a message may hold newlines)."""
    text = " ".join(str(error).split())
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def save_checkpoint(path: str, state: dict) -> None:
    """Write ``state`` to ``path`` (an ``.npz``) atomically: the old file or the new, whole.

    The arrays go into a NumPy ``.npz`` (no pickle); everything else into a JSON skeleton
    stored beside them. The file is written under a temporary name in the same folder
    (``.<name>.<random>.tmp``), flushed to disk, then renamed over ``path`` (``os.replace``
    is atomic on POSIX and Windows), so a crash mid-save leaves the previous checkpoint
    intact. Temporary files that a killed save left behind are removed by the next save of
    the same ``path`` (one process saves a given checkpoint at a time).
    """
    arrays: dict[str, numpy.ndarray] = {}
    skeleton = json.dumps(_encode(state, arrays)).encode()
    arrays["skeleton"] = numpy.frombuffer(skeleton, dtype=numpy.uint8)
    folder = os.path.dirname(os.path.abspath(path))
    try:
        os.makedirs(folder, exist_ok=True)
        write_atomically(path, lambda file: numpy.savez(file, **arrays))
    except OSError as error:  # name the checkpoint, not the temporary file
        msg = f"cannot save the checkpoint {path} in {folder}: {error.strerror or error}"
        raise OSError(msg) from None


def load_checkpoint(path: str) -> dict:
    """Read a checkpoint written by :func:`save_checkpoint` (arrays come back as NumPy).

    Raises:
        CheckpointError: (a ``ValueError``) if ``path`` is missing, a folder, not a regular
            file or cannot be read, or if the file is empty, truncated, corrupt or not an
            xpnet checkpoint; the message names the file and the problem.
    """
    problem = checkpoint_file_problem(path)
    if problem:
        msg = f"{path}: not a readable xpnet checkpoint: {problem}"
        raise CheckpointError(msg)
    try:
        with open(path, "rb") as file:
            raw = file.read()
    except OSError as error:
        msg = f"{path}: not a readable xpnet checkpoint ({_problem(error)})"
        raise CheckpointError(msg) from None
    if not raw.startswith(_ZIP_MAGIC):
        found = "the file is empty" if not raw else f"it starts with {raw[:8]!r}"
        msg = f"{path}: not a readable xpnet checkpoint: not an .npz (zip) archive, {found}"
        raise CheckpointError(msg)
    try:
        with numpy.load(io.BytesIO(raw), allow_pickle=False) as archive:
            arrays = {name: archive[name] for name in archive.files}
        state = _decode(json.loads(arrays.pop("skeleton").tobytes()), arrays)
    except Exception as error:  # any failure to parse the file means it is damaged
        msg = f"{path}: not a readable xpnet checkpoint, truncated or corrupt ({_problem(error)})"
        raise CheckpointError(msg) from None
    if not isinstance(state, dict) or state.get("format") != CHECKPOINT_FORMAT:
        msg = f"{path}: not an xpnet checkpoint (expected format {CHECKPOINT_FORMAT!r})"
        raise CheckpointError(msg)
    return state


def checkpoint_file_problem(path) -> str | None:
    """Why ``path`` cannot be read as a checkpoint file (missing, a folder, not a regular
    file), or None. A device such as ``/dev/zero`` would be read without end."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return "no such file"
    except OSError as error:
        return f"cannot read it ({_problem(error)})"
    if stat.S_ISDIR(mode):
        return "is a folder, not a checkpoint file"
    if not stat.S_ISREG(mode):
        return "not a regular file"
    return None


def _check_run_state(path: str, state: dict) -> None:
    """``state`` holds what :func:`run_state` saves, each entry of its type."""
    for key, types in _STATE_TYPES.items():
        if not isinstance(state.get(key), types):
            expected = " or ".join(kind.__name__ for kind in types)
            msg = (
                f"{path}: damaged xpnet checkpoint: {key!r} must be {expected}, "
                f"got {type(state.get(key)).__name__}"
            )
            raise CheckpointError(msg)
    if len(state["history"]) != state["epoch"]:
        msg = (
            f"{path}: damaged xpnet checkpoint: epoch {state['epoch']} but "
            f"{len(state['history'])} rows of history"
        )
        raise CheckpointError(msg)
    for number, row in enumerate(state["history"], 1):
        problem = row_problem(row)
        if problem:
            msg = f"{path}: damaged xpnet checkpoint: row {number} of its history {problem}"
            raise CheckpointError(msg)
    _check_settings(path, state["config"])


def _check_settings(path: str, saved: dict) -> None:
    """``saved`` holds every setting a resumed run compares, and whole numbers of epochs."""
    for key in ("epochs", *_RESUME_KEYS):
        if key not in saved and key not in _RESUME_DEFAULTS:
            msg = (
                f"{path}: damaged xpnet checkpoint: its settings hold no --{key.replace('_', '-')}"
            )
            raise CheckpointError(msg)
    for key in ("epochs", "schedule_epochs"):
        value = saved.get(key)
        if key == "schedule_epochs" and value is None:
            continue  # the run was not extended: its schedule is planned over its epochs
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            msg = (
                f"{path}: damaged xpnet checkpoint: its setting {key!r} must be a positive "
                f"int, got {value!r}"
            )
            raise CheckpointError(msg)


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
