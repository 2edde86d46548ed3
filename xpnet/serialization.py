"""``xpnet.save`` / ``xpnet.load``: state dicts as ``.safetensors`` or NumPy ``.npz`` files.

``.safetensors`` is the ecosystem's weights format (Hugging Face's ``safetensors``: a JSON
header and raw little-endian arrays, no pickle); PyTorch reads it with
``safetensors.torch.load_file`` and ``model.load_state_dict``. Any other file name
(``.npz``, ``.pt``, ...) gets a NumPy ``.npz`` archive, which needs nothing beyond NumPy.
:func:`load` tells the two apart by their first bytes, not by the name. Whole training runs
(optimizer, scheduler, generators) are saved by :mod:`xpnet.train.checkpoint` instead.

Example:
    >>> import os, tempfile, xpnet
    >>> model = xpnet.nn.Linear(3, 2)
    >>> path = os.path.join(tempfile.mkdtemp(), "linear.npz")
    >>> xpnet.save(model.state_dict(), path)
    >>> sorted(xpnet.load(path))
    ['bias', 'weight']
    >>> model.load_state_dict(xpnet.load(path))
    <All keys matched successfully>
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import stat
import tempfile
from collections.abc import Mapping
from pathlib import Path

import numpy

from .autograd import Tensor, data_of
from .backends import backend_name_of, load_backend, to_backend
from .devices import backend_name

__all__ = ["load", "save"]

_ZIP_MAGIC = b"PK\x03\x04"  # an .npz is a zip archive
_SAFETENSORS_HINT = 'pip install safetensors (or pip install -e ".[train]")'


def _safetensors_numpy(caller: str):
    try:
        import safetensors.numpy
    except ImportError as error:
        msg = f"{caller}: .safetensors files need the safetensors package: {_SAFETENSORS_HINT}"
        raise ImportError(msg) from error
    return safetensors.numpy


def _host_arrays(obj) -> dict[str, numpy.ndarray]:
    """``obj``'s values as contiguous NumPy arrays, after checking it is a flat state dict."""
    if not isinstance(obj, Mapping):
        msg = f"save: obj must be a mapping of names to arrays (a state_dict), got {type(obj)}"
        raise TypeError(msg)
    arrays = {}
    for key, value in obj.items():
        if not isinstance(key, str):
            msg = f"save: keys must be strings, got {key!r} ({type(key).__name__})"
            raise TypeError(msg)
        value = data_of(value)
        name = backend_name_of(value)
        host = load_backend(name).to_host(value) if name else numpy.asarray(value)
        if host.dtype.kind not in "biuf":
            msg = (
                f"save: value of {key!r} must be a numeric array (a state_dict entry), got "
                f"{type(value).__name__} of dtype {host.dtype}; nested dicts are not saved"
            )
            raise TypeError(msg)
        # not ascontiguousarray: it turns a 0-d array (num_batches_tracked) into shape (1,)
        arrays[key] = host if host.flags.c_contiguous else host.copy(order="C")
    return arrays


def save(obj, f) -> None:
    """Write the state dict ``obj`` to the file ``f``, atomically.

    Args:
        obj: a mapping from string keys to arrays of any backend, Tensors or numbers, such
            as :meth:`xpnet.nn.Module.state_dict`.
        f: the path (str or ``os.PathLike``) or a binary file object (``io.BytesIO``,
            ``open(name, "wb")``; written in place, not atomically). A name ending in
            ``.safetensors`` writes the safetensors format; any other name (and a file object
            without one) a NumPy ``.npz`` archive, under exactly that name (``"model.pt"``
            stays ``model.pt``).

    Raises:
        TypeError: if ``obj`` is not a flat mapping of names to numeric arrays.
        ImportError: for ``.safetensors`` without the ``safetensors`` package.
        OSError: if the file cannot be written (the folder is missing, ...).

    Example:
        >>> import os, tempfile, xpnet
        >>> path = os.path.join(tempfile.mkdtemp(), "weights.safetensors")
        >>> xpnet.save({"weight": np.ones((2, 2), "float32")}, path)
        >>> xpnet.load(path)["weight"].dtype
        dtype('float32')
    """
    arrays = _host_arrays(obj)
    if hasattr(f, "write"):  # a binary file object, such as io.BytesIO: written as it goes
        if str(getattr(f, "name", "")).endswith(".safetensors"):
            f.write(_safetensors_numpy("save").save(arrays, metadata={"format": "pt"}))
        else:
            numpy.savez(f, **arrays)
        return
    path = Path(os.fspath(f))
    if path.suffix == ".safetensors":
        encoded = _safetensors_numpy("save").save(arrays, metadata={"format": "pt"})
        write_atomically(path, lambda stream: stream.write(encoded))
    else:
        write_atomically(path, lambda stream: numpy.savez(stream, **arrays))


def write_atomically(path, write) -> None:
    """Write the file ``path`` by ``write(stream)``, atomically: under a temporary name in its
    folder (``.<name>.<random>.tmp``), flushed to disk, then renamed over ``path``
    (``os.replace`` is atomic on POSIX and Windows), so a crash leaves the old file or the
    new, whole. The file gets the mode ``open`` would give it (the umask's), not the private
    0600 of ``tempfile.mkstemp``. Temporaries of ``path`` that a killed write left behind
    are removed first (one process writes a given ``path`` at a time).

    Raises:
        OSError: if the folder is missing or the file cannot be written.
    """
    path = Path(os.fspath(path)).absolute()
    _remove_stale_temporaries(path.parent, path.name)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    umask = os.umask(0)
    os.umask(umask)
    try:
        os.chmod(temporary, 0o666 & ~umask)
        with os.fdopen(handle, "wb") as stream:
            write(stream)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    if hasattr(os, "O_DIRECTORY"):  # make the rename itself durable: fsync its folder
        folder = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(folder)
        finally:
            os.close(folder)


def _remove_stale_temporaries(folder, name: str) -> None:
    """Delete ``.<name>.<8 random characters>[.tmp]`` files: writes of ``name`` that a kill
    (SIGKILL, power loss) stopped before their rename. Without ``.tmp``: older xpnet's."""
    stale = re.compile(rf"\.{re.escape(name)}\.[a-z0-9_]{{8}}(\.tmp)?")
    for entry in os.scandir(folder):
        if stale.fullmatch(entry.name) and entry.is_file(follow_symlinks=False):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(entry.path)


def load(f, map_location=None, *, weights_only=None) -> dict:
    """Read a state dict written by :func:`save` (or by ``safetensors``/``numpy.savez``).

    Args:
        f: the path of a ``.safetensors`` or ``.npz`` file (told apart by content), or a
            binary file object holding one (``io.BytesIO``, ``open(name, "rb")``), read from
            its current position.
        map_location: where the arrays go: a device (``"cpu"``, ``"cuda"``), a backend
            name, or ``None`` for the current backend; as PyTorch's, also a dict from saved
            locations to devices (the arrays were saved from the host, ``"cpu"``; without
            that key they stay there) or a function ``(tensor, "cpu")`` returning the Tensor
            to keep (``lambda storage, location: storage.cuda()``). Default: ``None``.
        weights_only: accepted for PyTorch's signature and ignored: neither format holds
            pickled objects, so any value loads only arrays. Default: ``None``.

    Returns:
        A dict from keys to arrays, ready for :meth:`xpnet.nn.Module.load_state_dict`.

    Raises:
        FileNotFoundError: if there is no such file.
        ValueError: if the file is neither format, is corrupt, is not a regular file, or
            holds entries that are not numeric arrays (a PyTorch pickle, strings).
        ImportError: for a safetensors file without the ``safetensors`` package.
    """
    del weights_only  # nothing is unpickled whatever its value
    if isinstance(map_location, Mapping):
        map_location = map_location.get("cpu", "cpu")
    if callable(map_location):
        arrays = load(f)
        return {key: data_of(map_location(Tensor(value), "cpu")) for key, value in arrays.items()}
    target = None if map_location is None else backend_name(map_location)
    if hasattr(f, "read"):
        arrays = _read(f, getattr(f, "name", type(f).__name__))
    else:
        path = Path(os.fspath(f))
        with path.open("rb") as stream:
            if not stat.S_ISREG(os.fstat(stream.fileno()).st_mode):  # /dev/zero: never ends
                msg = f"load: {path} is not a regular file"
                raise ValueError(msg)
            arrays = _read(stream, path)
    return {key: to_backend(value, target) for key, value in arrays.items()}


def _read(stream, name) -> dict:
    """The arrays of the ``.npz`` or ``.safetensors`` file open as the binary ``stream``."""
    if not stream.seekable():  # a pipe: the format is told by its first bytes, read back
        stream = io.BytesIO(stream.read())
    start = stream.tell()
    head = stream.read(8)
    stream.seek(start)
    if head[:4] == _ZIP_MAGIC:
        try:
            with numpy.load(stream, allow_pickle=False) as archive:
                arrays = {key: archive[key] for key in archive.files}
        except MemoryError:
            raise  # a big archive on a small machine is not a corrupt one
        except Exception as error:  # zipfile, zlib and numpy's header parser raise many kinds
            # (NotImplementedError for an unknown compression method, zlib.error, TokenError)
            msg = f"load: {name} is not a readable .npz archive ({type(error).__name__}: {error})"
            raise ValueError(msg) from None
        for key, value in arrays.items():  # a member that is no .npy comes back as bytes
            if not isinstance(value, numpy.ndarray) or value.dtype.kind not in "biuf":
                pickled = key.endswith(".pkl")  # torch.save's zip holds data.pkl
                what = "a pickle of PyTorch's torch.save" if pickled else "not a numeric array"
                msg = (
                    f"load: {name} holds {key!r}, {what}: xpnet reads numeric arrays from "
                    ".npz and .safetensors files (convert with safetensors.torch.save_file)"
                )
                raise ValueError(msg)
        return arrays
    reader = _safetensors_numpy("load")
    try:
        return reader.load(stream.read())
    except KeyError as error:  # a safetensors dtype NumPy lacks: bfloat16, float8
        msg = (
            f"load: {name} holds {error.args[0]} tensors, a dtype NumPy has no type for "
            "(xpnet has no bfloat16); convert them to float32 first, e.g. with PyTorch"
        )
        raise ValueError(msg) from None
    except Exception as error:  # safetensors raises its own SafetensorError
        msg = (
            f"load: {name} is neither an .npz archive nor a .safetensors file "
            f"(safetensors says: {error})"
        )
        raise ValueError(msg) from None
