"""torchvision's small digit datasets ``USPS``, ``SEMEION`` and ``SVHN``, and the helpers their
downloads share with :mod:`xpnet.data.mnist_more` (``EMNIST``, ``QMNIST``).

Each reads torchvision's file in ``root`` (USPS: a bz2 libsvm text file; SEMEION: a text
table; SVHN: a MATLAB ``.mat`` file, read with SciPy, imported only then), keeps torchvision's
attributes (``data``, and ``targets`` or ``labels``) and gives ``(PIL.Image, int)`` samples,
as :class:`~xpnet.data.CIFAR10` does. Downloads go through :func:`download_url`
(MD5-checked, under a temporary name, one clear line when they fail).
"""

from __future__ import annotations

import bz2
import os
import sys
from pathlib import Path

import numpy

from ._download import check_integrity, download_checked, integrity_problem
from .vision_datasets import VisionDataset, apply_transforms, pil_image_module

__all__ = ["SEMEION", "SVHN", "USPS", "download_url", "verify_str_arg"]

NOT_FOUND = "Dataset not found. You can use download=True to download it"
NOT_FOUND_OR_CORRUPTED = "Dataset not found or corrupted. You can use download=True to download it"


def verify_str_arg(value, arg=None, valid_values=None, custom_msg=None):
    """``value`` when it is one of ``valid_values``: torchvision's check of a string argument.

    Args:
        value: the argument's value.
        arg: its name, for the message. Default: ``None``.
        valid_values: the allowed values. Default: ``None`` (any ``str``).
        custom_msg: the message for a value not in ``valid_values``. Default: ``None``.

    Raises:
        ValueError: torchvision's messages: ``Expected type str for argument split, but got
            type <class 'int'>.`` or ``Unknown value 'x' for argument split. Valid values are
            {'a', 'b'}.`` (or ``custom_msg``).

    Example:
        >>> from xpnet.data.vision_datasets_more import verify_str_arg
        >>> verify_str_arg("test", "split", ("train", "test"))
        'test'
    """
    if not isinstance(value, str):
        named = "" if arg is None else f" for argument {arg}"
        raise ValueError(f"Expected type str{named}, but got type {type(value)}.")
    if valid_values is None or value in valid_values:
        return value
    if custom_msg is None:
        choices = ", ".join(f"'{valid}'" for valid in valid_values)
        custom_msg = f"Unknown value '{value}' for argument {arg}. Valid values are {{{choices}}}."
    raise ValueError(custom_msg)


def download_url(url: str, root, filename=None, md5=None, *, caller: str = "download_url"):
    """Download ``url`` to ``root/filename`` unless that file is there (with ``md5``).

    torchvision's ``download_url``; the download itself is :func:`~xpnet.data.download_mnist`'s
    (MD5-checked when ``md5`` is given, under a temporary name, one clear line when it fails).

    Args:
        url: the file's address.
        root: the folder it goes to (``~`` is expanded; created if missing).
        filename: its name there. Default: ``None`` (the last part of ``url``).
        md5: its expected MD5. Default: ``None`` (not checked).
        caller: the name the error message starts with. Default: ``"download_url"``.

    Returns:
        ``Path(root) / filename`` (torchvision returns ``None``).

    Raises:
        RuntimeError: when the file cannot be downloaded; the message starts with ``caller``.

    Example:
        >>> import pathlib, tempfile
        >>> from xpnet.data.vision_datasets_more import download_url
        >>> folder = tempfile.mkdtemp()
        >>> _ = pathlib.Path(folder, "kept.txt").write_text("here")
        >>> download_url("https://example.invalid/kept.txt", folder).name  # kept, not fetched
        'kept.txt'
    """
    root = os.path.expanduser(root) if isinstance(root, str) else root
    filename = filename or os.path.basename(url)
    path = Path(root) / filename
    if check_integrity(path, md5):
        print(f"Using downloaded and verified file: {path}", file=sys.stderr)
        return path
    return download_checked([url], root, filename, md5, caller=caller)


def read_usps(path: str) -> tuple[numpy.ndarray, list]:
    """USPS's bz2 libsvm file as torchvision reads it: ``(uint8 images (N, 16, 16), labels)``.

    Each line is ``label index:value ...`` with a label in 1..10 and 256 values in [-1, 1];
    pixels are ``uint8((value + 1) / 2 * 255)`` in float32 and labels ``label - 1``.
    """
    with bz2.open(path) as stream:
        rows = [line.decode().split() for line in stream.readlines()]
    for number, row in enumerate(rows, start=1):
        if len(row) != 257:
            msg = f"USPS: {path} line {number} must hold a label and 256 values, got {len(row)}"
            raise ValueError(msg)
    values = [[item.split(":")[-1] for item in row[1:]] for row in rows]
    images = numpy.asarray(values, dtype=numpy.float32).reshape(-1, 16, 16)
    images = ((images + 1) / 2 * 255).astype(numpy.uint8)  # float32 steps, as torchvision's
    return images, [int(row[0]) - 1 for row in rows]


class USPS(VisionDataset):
    """The USPS handwritten digits with torchvision's signature: 16x16 grey images.

    Reads ``root/usps.bz2`` (7,291 training images) or ``root/usps.t.bz2`` (2,007 test
    images), libsvm lines ``label index:value ...`` with labels 1..10 and values in [-1, 1],
    made 0..9 and uint8 as torchvision does (:func:`read_usps`).

    Args:
        root: the folder that holds (or will hold) the file.
        train: the training file; else the test file. Default: ``True``.
        transform: applied to each image (a PIL ``L`` image). Default: ``None``.
        target_transform: applied to each label (an ``int``). Default: ``None``.
        download: fetch the file (MD5-checked) when it is missing. Default: ``False``.

    Attributes:
        data: uint8 array (N, 16, 16). targets: list of ``int``.

    Raises:
        FileNotFoundError: "Dataset not found. You can use download=True to download it"
            and the file, when it is missing (torchvision's ``bz2.open`` raises this type).
        RuntimeError: one line naming the file when it cannot be downloaded.
        ValueError: for a line without a label and 256 values.

    Example:
        >>> from xpnet.data import USPS
        >>> USPS.split_list["test"][1:]
        ['usps.t.bz2', '8ea070ee2aca1ac39742fdd1ef5ed118']
    """

    _base = "https://www.csie.ntu.edu.tw/~cjlin/libsvmtools/datasets/multiclass/"
    split_list = {
        "train": [_base + "usps.bz2", "usps.bz2", "ec16c51db3855ca6c91edd34d0e9b197"],
        "test": [_base + "usps.t.bz2", "usps.t.bz2", "8ea070ee2aca1ac39742fdd1ef5ed118"],
    }

    def __init__(self, root, train=True, transform=None, target_transform=None, download=False):
        super().__init__(root, transform=transform, target_transform=target_transform)
        url, filename, md5 = self.split_list["train" if train else "test"]
        path = os.path.join(self.root, filename)
        if download and not os.path.exists(path):  # torchvision checks no MD5 of a kept file
            download_url(url, self.root, filename, md5, caller="USPS.download")
        if not os.path.isfile(path):
            raise FileNotFoundError(f"{NOT_FOUND} ({path} is missing)")
        self.data, self.targets = read_usps(path)

    def __getitem__(self, index):
        image = pil_image_module().fromarray(self.data[index])  # (16, 16) uint8: mode L
        target = int(self.targets[index])
        return apply_transforms(self.transform, self.target_transform, image, target)

    def __len__(self) -> int:
        return len(self.data)


class SEMEION(VisionDataset):
    """The Semeion handwritten digits with torchvision's signature: 16x16 grey images.

    Reads ``root/semeion.data`` (checked against torchvision's MD5 first): one line per
    image, 256 pixels (0 or 1, made 0 or 255) then the digit one-hot in 10 columns.

    Args:
        root: the folder that holds (or will hold) ``semeion.data``.
        transform: applied to each image (a PIL ``L`` image). Default: ``None``.
        target_transform: applied to each label (an ``int``). Default: ``None``.
        download: fetch the file unless it is there with the right MD5. Default: ``True``,
            as torchvision's.

    Attributes:
        data: uint8 array (N, 16, 16). labels: int64 array (N,).

    Raises:
        RuntimeError: torchvision's "Dataset not found or corrupted. You can use
            download=True to download it" and what is wrong with the file; one line naming
            the file when it cannot be downloaded.
        ValueError: for a row whose last 10 columns are not one-hot.

    Example:
        >>> from xpnet.data import SEMEION
        >>> SEMEION.filename, SEMEION.md5_checksum
        ('semeion.data', 'cb545d371d2ce14ec121470795a77432')
    """

    url = "http://archive.ics.uci.edu/ml/machine-learning-databases/semeion/semeion.data"
    filename = "semeion.data"
    md5_checksum = "cb545d371d2ce14ec121470795a77432"

    def __init__(self, root, transform=None, target_transform=None, download=True):
        super().__init__(root, transform=transform, target_transform=target_transform)
        if download:
            self.download()
        problem = integrity_problem(os.path.join(self.root, self.filename), self.md5_checksum)
        if problem:
            raise RuntimeError(f"{NOT_FOUND_OR_CORRUPTED} ({problem})")
        table = numpy.loadtxt(os.path.join(self.root, self.filename), ndmin=2)
        self.data = (table[:, :256] * 255).astype(numpy.uint8).reshape(-1, 16, 16)
        one_hot = table[:, 256:]
        if not numpy.all(numpy.count_nonzero(one_hot, axis=1) == 1):
            msg = f"SEMEION: the last 10 columns of {self.filename} must be one-hot in every row"
            raise ValueError(msg)
        self.labels = numpy.nonzero(one_hot)[1]  # torchvision's: the column of each row's 1

    def download(self) -> None:
        """Download ``semeion.data`` unless it is there with the right MD5."""
        md5, caller = self.md5_checksum, "SEMEION.download"
        download_url(self.url, self.root, self.filename, md5, caller=caller)

    def __getitem__(self, index):
        image = pil_image_module().fromarray(self.data[index])
        target = int(self.labels[index])
        return apply_transforms(self.transform, self.target_transform, image, target)

    def __len__(self) -> int:
        return len(self.data)


def load_mat(path: str) -> dict:
    """``scipy.io.loadmat(path)``, with a clear ``ImportError`` when SciPy is missing."""
    try:
        import scipy.io
    except ImportError as error:
        msg = (
            "SVHN needs SciPy to read its .mat files: pip install scipy "
            '(or pip install -e ".[train]", whose scikit-learn brings it)'
        )
        raise ImportError(msg) from error
    return scipy.io.loadmat(path)


class SVHN(VisionDataset):
    """The Street View House Numbers with torchvision's signature: 32x32 RGB digit crops.

    Reads ``root/<split>_32x32.mat`` (checked against torchvision's MD5 first) with
    ``scipy.io.loadmat``: ``X`` (32, 32, 3, N) becomes ``data`` (N, 3, 32, 32), and the
    labels ``y`` 1..10 become 1..9 and 0 (SVHN's 10 is the digit 0).

    Args:
        root: the folder that holds (or will hold) the file.
        split: ``"train"`` (73,257 images), ``"test"`` (26,032) or ``"extra"`` (531,131).
            Default: ``"train"``.
        transform: applied to each image (a PIL ``RGB`` image). Default: ``None``.
        target_transform: applied to each label (an ``int``). Default: ``None``.
        download: fetch the file unless it is there with the right MD5. Default: ``False``.

    Attributes:
        data: uint8 array (N, 3, 32, 32). labels: int64 array (N,).

    Raises:
        ValueError: for another ``split``, or a file without ``X`` and ``y``.
        RuntimeError: torchvision's "Dataset not found or corrupted. You can use
            download=True to download it" and what is wrong with the file; one line naming
            the file when it cannot be downloaded.
        ImportError: without SciPy (the message says how to install it).

    Example:
        >>> from xpnet.data import SVHN
        >>> SVHN.split_list["extra"][1]
        'extra_32x32.mat'
    """

    split_list = {
        "train": [
            "http://ufldl.stanford.edu/housenumbers/train_32x32.mat",
            "train_32x32.mat",
            "e26dedcc434d2e4c54c9b2d4a06d8373",
        ],
        "test": [
            "http://ufldl.stanford.edu/housenumbers/test_32x32.mat",
            "test_32x32.mat",
            "eb5a983be6a315427106f1b164d9cef3",
        ],
        "extra": [
            "http://ufldl.stanford.edu/housenumbers/extra_32x32.mat",
            "extra_32x32.mat",
            "a93ce644f1a588dc4d68dda5feec44a7",
        ],
    }

    def __init__(self, root, split="train", transform=None, target_transform=None, download=False):
        super().__init__(root, transform=transform, target_transform=target_transform)
        self.split = verify_str_arg(split, "split", tuple(self.split_list))
        self.url, self.filename, self.file_md5 = self.split_list[self.split]
        if download:
            self.download()
        path = os.path.join(self.root, self.filename)
        problem = integrity_problem(path, self.file_md5)
        if problem:
            raise RuntimeError(f"{NOT_FOUND_OR_CORRUPTED} ({problem})")
        loaded = load_mat(path)
        if "X" not in loaded or "y" not in loaded:
            msg = f"SVHN: {path} must hold the arrays X and y, got {sorted(loaded)}"
            raise ValueError(msg)
        self.labels = loaded["y"].astype(numpy.int64).reshape(-1)  # y is (N, 1)
        numpy.place(self.labels, self.labels == 10, 0)
        self.data = numpy.transpose(loaded["X"], (3, 2, 0, 1))  # (H, W, C, N) to (N, C, H, W)

    def download(self) -> None:
        """Download the split's file unless it is there with the right MD5."""
        download_url(self.url, self.root, self.filename, self.file_md5, caller="SVHN.download")

    def __getitem__(self, index):
        pixels = numpy.transpose(self.data[index], (1, 2, 0))  # (H, W, C) for PIL
        image = pil_image_module().fromarray(numpy.ascontiguousarray(pixels))
        target = int(self.labels[index])
        return apply_transforms(self.transform, self.target_transform, image, target)

    def __len__(self) -> int:
        return len(self.data)

    def extra_repr(self) -> str:
        return f"Split: {self.split}"
