"""What the torchvision-oracle dataset tests share: the comparison of an xpnet dataset with
torchvision's on the same files, and small fake files in torchvision's on-disk formats."""

from __future__ import annotations

import hashlib

import numpy as np
import torch
from PIL import Image


def md5(path) -> str:
    return hashlib.md5(path.read_bytes(), usedforsecurity=False).hexdigest()


def pixels(seed: int, shape, high: int = 256) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, high, size=shape, dtype=np.uint8)


def idx_bytes(array: np.ndarray) -> bytes:
    """An IDX file: 0, 0, the type code, ndim, the big-endian dims, the big-endian values."""
    code = {np.dtype(np.uint8): 8, np.dtype(np.int32): 12}[array.dtype]
    dims = b"".join(d.to_bytes(4, "big") for d in array.shape)
    big = array.astype(array.dtype.newbyteorder(">"))
    return bytes([0, 0, code, array.ndim]) + dims + big.tobytes()


class MultiLine:
    """A transform with a three-line repr, to compare the datasets' repr indentation."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __call__(self, value):
        return ("seen by", self.name, value)

    def __repr__(self) -> str:
        return f"MultiLine(\n    {self.name}\n)"


def assert_same_value(ours, theirs) -> None:
    """Same type and value; a torch tensor of theirs is a NumPy array of the same dtype here."""
    if isinstance(theirs, Image.Image):
        assert isinstance(ours, Image.Image), type(ours)
        assert (ours.mode, ours.size) == (theirs.mode, theirs.size)
        assert ours.tobytes() == theirs.tobytes()
    elif isinstance(theirs, torch.Tensor):
        assert isinstance(ours, np.ndarray), type(ours)  # xpnet keeps host arrays in NumPy
        assert ours.dtype == theirs.numpy().dtype and ours.shape == tuple(theirs.shape)
        np.testing.assert_array_equal(ours, theirs.numpy())
    elif isinstance(theirs, np.ndarray):
        assert isinstance(ours, np.ndarray) and ours.dtype == theirs.dtype, ours
        assert ours.shape == theirs.shape
        np.testing.assert_array_equal(ours, theirs)
    elif isinstance(theirs, (tuple, list)):
        assert type(ours) is type(theirs) and len(ours) == len(theirs), (ours, theirs)
        for a, b in zip(ours, theirs, strict=True):
            assert_same_value(a, b)
    else:
        assert type(ours) is type(theirs) and ours == theirs, (ours, theirs)


def assert_same_dataset(ours, theirs, attributes=(), samples=None) -> None:
    """len, each sample (or those of ``samples``), ``repr`` and the named attributes."""
    assert len(ours) == len(theirs)
    for index in range(len(theirs)) if samples is None else samples:
        assert_same_value(ours[index], theirs[index])
    assert repr(ours) == repr(theirs)
    for name in attributes:
        assert_same_value(getattr(ours, name), getattr(theirs, name))
