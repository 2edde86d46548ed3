"""Reading MNIST's IDX files: gzip, header, size and checksum checks with clear errors.

IDX format (http://yann.lecun.com/exdb/mnist/): two zero bytes, a type code (0x08 for
uint8), the number of dimensions, each dimension as a big-endian int32, then the data.
:func:`xpnet.data.load_mnist` (:mod:`xpnet.data.datasets`) reads them; ``xpnet train`` asks
:func:`missing_files` first, to refuse a ``--data`` folder without them before it starts.
"""

from __future__ import annotations

import gzip
import hashlib
import re
import zlib
from pathlib import Path

import numpy

_PREFIXES = {"test": "t10k", "train": "train"}
# magic number (type code 0x08 = uint8, then ndim) and the shape after the record count
_IMAGES = {"magic": 2051, "kind": "images", "name": "images-idx3-ubyte", "sample": (28, 28)}
_LABELS = {"magic": 2049, "kind": "labels", "name": "labels-idx1-ubyte", "sample": ()}
# a line of sha256sum's output: digest, a space, then " " (text) or "*" (binary), the name
_SUMS_LINE = re.compile(r"(?P<digest>[0-9a-fA-F]{64}) [ *]?(?P<name>\S.*)")


def _find(folder: Path, name: str) -> Path:
    for candidate in _candidates(folder, name):
        if candidate.is_file():
            return candidate
    msg = f"load_mnist: file {folder / name}.gz (or {name}) not found"
    raise FileNotFoundError(msg)


def missing_files(path, split: str = "test") -> list[str]:
    """The names of ``split``'s two IDX files that folder ``path`` holds neither gzipped nor
    plain."""
    names = [f"{_PREFIXES[split]}-{spec['name']}" for spec in (_IMAGES, _LABELS)]
    folder = Path(path)
    return [name for name in names if not any(f.is_file() for f in _candidates(folder, name))]


def _candidates(folder: Path, name: str) -> tuple[Path, Path]:
    return folder / f"{name}.gz", folder / name


def _checksums(folder: Path) -> dict[str, str] | None:
    """``{file name: sha256}`` from ``SHA256SUMS`` next to the data (None if absent).

    The format is ``sha256sum``'s: ``<64 hex digits> <space or *><file name>`` per line;
    blank lines and ``#`` comments are skipped. Anything else (binary garbage, another
    format) is an error naming the file and the line, and so is a SHA256SUMS that is a folder
    or a broken link: not a silently skipped check.
    """
    sums = folder / "SHA256SUMS"
    if not sums.exists() and not sums.is_symlink():
        return None
    if not sums.is_file():
        problem = "is a folder" if sums.is_dir() else "is not a regular file"
        msg = f"load_mnist: {sums} {problem}, not a list of checksums; remove it or regenerate it"
        raise ValueError(msg)
    try:
        text = sums.read_bytes().decode("utf-8")
    except UnicodeDecodeError as error:
        msg = (
            f"load_mnist: {sums} is not a SHA256SUMS text file (byte {error.start} is not "
            f"UTF-8); remove it or regenerate it with sha256sum"
        )
        raise ValueError(msg) from None
    entries = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        match = _SUMS_LINE.fullmatch(line.strip())
        if match is None:
            msg = (
                f"load_mnist: {sums} line {number} is not '<sha256> <file name>' as "
                f"sha256sum writes it, got {line[:80]!r}"
            )
            raise ValueError(msg)
        entries[match["name"]] = match["digest"].lower()
    return entries


def _decompress(file: Path, raw: bytes) -> bytes:
    if file.suffix != ".gz":
        return raw
    try:
        return gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as error:
        msg = f"load_mnist: {file} is not a valid gzip file (truncated or corrupt): {error}"
        raise ValueError(msg) from None


def _parse(file: Path, data: bytes, spec: dict) -> numpy.ndarray:
    """The uint8 array of one IDX file, after checking its magic number and size."""
    if len(data) < 4:
        msg = f"load_mnist: {file} has {len(data)} bytes, too short for an IDX header"
        raise ValueError(msg)
    magic = int.from_bytes(data[:4], "big")
    if magic != spec["magic"]:
        msg = (
            f"load_mnist: {file} has magic number {magic}, expected {spec['magic']} "
            f"(IDX uint8 {spec['kind']}); is it the right file?"
        )
        raise ValueError(msg)
    ndim = data[3]
    header = 4 + 4 * ndim
    if len(data) < header:
        msg = f"load_mnist: {file} is truncated inside its IDX header ({len(data)} bytes)"
        raise ValueError(msg)
    shape = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    if shape[1:] != spec["sample"]:
        msg = (
            f"load_mnist: {file} holds {spec['kind']} of shape {shape[1:]}, "
            f"expected {spec['sample']}"
        )
        raise ValueError(msg)
    expected = header + int(numpy.prod(shape))
    if len(data) != expected:
        problem = "truncated" if len(data) < expected else "longer than its header says"
        msg = (
            f"load_mnist: {file} is {problem}: {len(data)} bytes, expected {expected} "
            f"for shape {shape}"
        )
        raise ValueError(msg)
    return numpy.frombuffer(data, dtype=numpy.uint8, offset=header).reshape(shape)


def _read(folder: Path, name: str, spec: dict, checksums: dict[str, str] | None) -> numpy.ndarray:
    file = _find(folder, name)
    raw = file.read_bytes()
    array = _parse(file, _decompress(file, raw), spec)
    if checksums is None:
        return array  # no SHA256SUMS: nothing to check against
    if file.name not in checksums:
        msg = (
            f"load_mnist: {folder / 'SHA256SUMS'} lists no checksum for {file.name}; add its "
            f"line (sha256sum {file.name}) or remove SHA256SUMS"
        )
        raise ValueError(msg)
    expected = checksums[file.name]
    actual = hashlib.sha256(raw).hexdigest()
    if actual != expected:
        msg = (
            f"load_mnist: {file} fails its checksum: SHA-256 {actual}, "
            f"SHA256SUMS expects {expected}; the file is corrupt or was modified"
        )
        raise ValueError(msg)
    return array


def read_mnist(path, split: str = "test") -> tuple[numpy.ndarray, numpy.ndarray]:
    """``(images, labels)`` of one split: uint8 (N, 28, 28) and int64 (N,). See load_mnist."""
    if split not in _PREFIXES:
        msg = f"load_mnist: split must be 'test' or 'train', got {split!r}"
        raise ValueError(msg)
    folder = Path(path)
    if not folder.is_dir():
        msg = f"load_mnist: folder {folder} not found"
        raise FileNotFoundError(msg)
    checksums = _checksums(folder)
    prefix = _PREFIXES[split]
    images = _read(folder, f"{prefix}-{_IMAGES['name']}", _IMAGES, checksums)
    labels = _read(folder, f"{prefix}-{_LABELS['name']}", _LABELS, checksums)
    if len(images) != len(labels):
        msg = f"load_mnist: {folder} has {len(images)} images but {len(labels)} labels"
        raise ValueError(msg)
    if labels.size and labels.max() > 9:
        msg = f"load_mnist: labels in {folder} must be in 0..9, got a maximum of {labels.max()}"
        raise ValueError(msg)
    return images, labels.astype(numpy.int64)
