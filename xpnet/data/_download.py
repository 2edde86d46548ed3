"""MD5-checked downloads shared by the datasets (:mod:`xpnet.data.mnist`, :mod:`xpnet.data.cifar`).

:func:`download_checked` tries each URL in turn, writes the file through a temporary file in
the same folder (so a partial or corrupt download never takes the real name) and accepts it
only with the right MD5; when every URL fails it raises one line naming the file and each
URL's error. :func:`check_integrity` is torchvision's check: the file exists and, when an MD5
is given, has it.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import sys
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

__all__ = [
    "check_integrity",
    "download_checked",
    "failure_reason",
    "fetch_checked",
    "integrity_problem",
    "md5_of",
]

CHUNK = 1 << 16


def md5_of(path) -> str:
    """The hex MD5 digest of the file at ``path``."""
    digest = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as stream:
        while chunk := stream.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def check_integrity(path, md5=None) -> bool:
    """Whether ``path`` is a file and, when ``md5`` is given, has that MD5 (torchvision's)."""
    if not os.path.isfile(path):
        return False
    return md5 is None or md5_of(path) == md5


def integrity_problem(path, md5: str) -> str:
    """Why ``path`` is not the expected file (missing, or another MD5), or ``""``."""
    if not os.path.isfile(path):
        return f"{path} is missing"
    actual = md5_of(path)
    return "" if actual == md5 else f"{path} has MD5 {actual}, expected {md5}"


def fetch_checked(url: str, folder: Path, name: str, md5, timeout: float) -> None:
    """Download ``url`` into ``folder/name`` through a temporary file; check its MD5 (unless
    ``md5`` is ``None``)."""
    digest = hashlib.md5(usedforsecurity=False)
    handle, temporary = tempfile.mkstemp(prefix=f".{name}.", dir=folder)
    try:
        with os.fdopen(handle, "wb") as stream, urllib.request.urlopen(url, timeout=timeout) as r:
            while chunk := r.read(CHUNK):
                digest.update(chunk)
                stream.write(chunk)
        if md5 is not None and digest.hexdigest() != md5:
            msg = f"MD5 {digest.hexdigest()}, expected {md5} (corrupt or changed file)"
            raise ValueError(msg)
        os.replace(temporary, folder / name)
    finally:
        Path(temporary).unlink(missing_ok=True)


def failure_reason(error: BaseException) -> str:
    """One line saying why a download failed."""
    if isinstance(error, urllib.error.HTTPError):
        return f"HTTP {error.code} {error.reason}"
    reason = getattr(error, "reason", error)
    text = f"{type(reason).__name__}: {reason}" if isinstance(reason, BaseException) else reason
    return " ".join(str(text).split())


def download_checked(urls, folder, name: str, md5, *, caller: str, timeout=30.0) -> Path:
    """Download ``name`` into ``folder`` from the first of ``urls`` that gives the right MD5.

    Args:
        urls: the URLs to try, in order.
        folder: where the file goes (created if missing).
        name: the file's name there.
        md5: its expected hex MD5 digest (``None``: not checked).
        caller: the name the error message starts with, e.g. ``"download_mnist"``.
        timeout: seconds to wait for a server to answer. Default: ``30``.

    Returns:
        ``folder / name``.

    Raises:
        RuntimeError: when no URL gives the file (offline, or every copy fails its
            checksum); one line, naming the file and each URL's error.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    errors = []
    for url in urls:
        try:
            print(f"Downloading {url} to {folder}", file=sys.stderr)
            fetch_checked(url, folder, name, md5, timeout)
            return folder / name
        except (OSError, ValueError, http.client.HTTPException) as error:  # URLError too
            errors.append(f"{url}: {failure_reason(error)}")
    msg = (
        f"{caller}: could not download {name} into {folder} ("
        + "; ".join(errors)
        + "); check the network connection, or copy the file there yourself"
    )
    raise RuntimeError(msg)
