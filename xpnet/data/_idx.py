"""Reading IDX files (:func:`parse_idx`, any type) and MNIST's (gzip, header, size and
checksum checks with clear errors).

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

# IDX type codes (torchvision's SN3_PASCALVINCENT_TYPEMAP); the files store values big-endian
IDX_TYPES = {8: ">u1", 9: ">i1", 11: ">i2", 12: ">i4", 13: ">f4", 14: ">f8"}
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


def parse_idx(data: bytes, name="<bytes>", where: str = "parse_idx") -> numpy.ndarray:
    """The array held by the (uncompressed) bytes of an IDX file, torchvision's
    ``read_sn3_pascalvincent_tensor``: two zero bytes, a type code (8 uint8, 9 int8, 11
    int16, 12 int32, 13 float32, 14 float64), the number of dimensions (1 to 3), each as a
    big-endian int32, then the big-endian values. Returned in the machine's byte order.

    Raises:
        ValueError: for a bad or truncated header, or a size other than the header's; the
            message starts with ``where`` and names the file ``name``.

    Example:
        >>> parse_idx(bytes([0, 0, 8, 1, 0, 0, 0, 3, 7, 8, 9]))
        array([7, 8, 9], dtype=uint8)
    """
    if len(data) < 4:
        raise ValueError(f"{where}: {name} has {len(data)} bytes, too short for an IDX header")
    head = list(data[:4])
    if head[:2] != [0, 0] or head[2] not in IDX_TYPES or not 1 <= head[3] <= 3:
        msg = (
            f"{where}: {name} is not an IDX file: its first bytes must be 0, 0, a type code "
            f"in {sorted(IDX_TYPES)} and 1 to 3 dimensions, got {head}"
        )
        raise ValueError(msg)
    header = 4 + 4 * head[3]
    if len(data) < header:
        raise ValueError(f"{where}: {name} is truncated inside its IDX header ({len(data)} bytes)")
    shape = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(head[3]))
    dtype = numpy.dtype(IDX_TYPES[head[2]])
    expected = header + int(numpy.prod(shape)) * dtype.itemsize
    if len(data) != expected:
        problem = "truncated" if len(data) < expected else "longer than its header says"
        msg = (
            f"{where}: {name} is {problem}: {len(data)} bytes, expected {expected} for shape "
            f"{shape} of {dtype.newbyteorder('=')}"
        )
        raise ValueError(msg)
    values = numpy.frombuffer(data, dtype=dtype, offset=header).reshape(shape)
    return values.astype(dtype.newbyteorder("="), copy=False)


def _parse(file: Path, data: bytes, spec: dict) -> numpy.ndarray:
    """The uint8 array of one MNIST IDX file, after checking its magic number and shape."""
    magic = int.from_bytes(data[:4], "big")
    if len(data) >= 4 and magic != spec["magic"]:
        msg = (
            f"load_mnist: {file} has magic number {magic}, expected {spec['magic']} "
            f"(IDX uint8 {spec['kind']}); is it the right file?"
        )
        raise ValueError(msg)
    array = parse_idx(data, file, "load_mnist")
    if array.shape[1:] != spec["sample"]:
        msg = (
            f"load_mnist: {file} holds {spec['kind']} of shape {array.shape[1:]}, "
            f"expected {spec['sample']}"
        )
        raise ValueError(msg)
    return array


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
