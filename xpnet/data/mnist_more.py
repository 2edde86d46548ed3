"""torchvision's ``EMNIST`` and ``QMNIST``: MNIST's relatives in raw IDX files, with downloads.

Both are :class:`~xpnet.data.MNIST` with torchvision's files, folders and ``repr``: EMNIST's
six splits come in one zip of gzipped IDX files, QMNIST's subsets in gzipped (``nist``: xz)
IDX files whose labels are 8-column int32 tables. As torchvision, the downloads are
decompressed into ``root/<name>/raw`` and the uncompressed files are read, with
:func:`read_sn3_pascalvincent` (torchvision's ``read_sn3_pascalvincent_tensor``). Samples are
torchvision's: a PIL ``L`` image and an ``int`` (QMNIST: or the row of 8 targets).
Their downloads and argument checks are :mod:`xpnet.data.vision_datasets_more`'s.
"""

from __future__ import annotations

import gzip
import lzma
import os
import shutil
import string
import tempfile
import zipfile
import zlib
from pathlib import Path

import numpy

from ._idx import parse_idx
from .mnist import MNIST, NOT_FOUND
from .vision_datasets import VisionDataset, apply_transforms, pil_image_module
from .vision_datasets_more import download_url, verify_str_arg

__all__ = ["EMNIST", "QMNIST", "read_sn3_pascalvincent"]


def read_sn3_pascalvincent(path) -> numpy.ndarray:
    """The array in the (uncompressed) IDX file at ``path``, as torchvision's
    ``read_sn3_pascalvincent_tensor`` (see :func:`xpnet.data._idx.parse_idx`)."""
    return parse_idx(Path(path).read_bytes(), os.fspath(path), "read_sn3_pascalvincent")


def read_idx(path, ndim: int, caller: str, dtype=numpy.uint8) -> numpy.ndarray:
    """The IDX file's array after torchvision's checks: ``dtype`` (``None``: any) and ``ndim``."""
    array = read_sn3_pascalvincent(path)
    if dtype is not None and array.dtype != dtype:
        msg = f"{caller}: {path} must hold {numpy.dtype(dtype)} values, got {array.dtype}"
        raise TypeError(msg)
    if array.ndim != ndim:
        msg = f"{caller}: {path} must hold a {ndim}-d array, got shape {array.shape}"
        raise ValueError(msg)
    return array


def decompress(source: Path, target: Path, caller: str) -> None:
    """Write ``source`` (.gz, or .xz) uncompressed to ``target``, through a temporary file
    so that a failure never leaves a partial file under the real name."""
    opener = lzma.open if source.suffix == ".xz" else gzip.open
    handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(handle, "wb") as output, opener(source, "rb") as stream:
            shutil.copyfileobj(stream, output)
        os.replace(temporary, target)
    except (OSError, EOFError, zlib.error, lzma.LZMAError) as error:
        reason = " ".join(f"{type(error).__name__}: {error}".split())
        msg = f"{caller}: cannot decompress {source} ({reason}); delete it and download it again"
        raise RuntimeError(msg) from error
    finally:
        Path(temporary).unlink(missing_ok=True)


class RawIdxMNIST(MNIST):
    """An :class:`~xpnet.data.MNIST` read from the two raw IDX files named by ``images_file``
    and ``labels_file`` (torchvision's EMNIST and QMNIST); subclasses say how to download
    and read them."""

    def __init__(self, root, train, transform, target_transform, download):
        VisionDataset.__init__(self, root, transform=transform, target_transform=target_transform)
        self.train = train
        if download:
            self.download()
        for file in (self.images_file, self.labels_file):
            if not os.path.isfile(file):
                raise RuntimeError(f"{NOT_FOUND} ({file} is missing)")
        self.data, self.targets = self._load_data()

    def _check_exists(self) -> bool:
        return all(os.path.isfile(file) for file in (self.images_file, self.labels_file))


class EMNIST(RawIdxMNIST):
    """Extended MNIST (letters and digits) with torchvision's signature, files and classes.

    Reads ``root/EMNIST/raw/emnist-<split>-<train|test>-{images-idx3,labels-idx1}-ubyte``;
    ``download=True`` fetches torchvision's ``gzip.zip`` (MD5-checked) into that folder,
    extracts it and decompresses every split's files there, as torchvision does.

    Args:
        root: the folder that holds (or will hold) ``EMNIST/raw/``.
        split: ``"byclass"``, ``"bymerge"``, ``"balanced"``, ``"letters"``, ``"digits"`` or
            ``"mnist"``.
        train: the split's training images; else its test images. Default: ``True``.
        transform: applied to each image (a PIL ``L`` image). Default: ``None``.
        target_transform: applied to each label (an ``int``). Default: ``None``.
        download: fetch the archive first when the split's files are missing.
            Default: ``False``.

    Attributes:
        data: uint8 array (N, 28, 28). targets: int64 array (N,).
        classes: the split's class names (``classes_split_dict[split]``).

    Note:
        The images are kept as the files store them, transposed (a letter lies on its side
        and mirrored), exactly as torchvision keeps them (pytorch/vision#8783); use
        ``transform=lambda image: image.transpose(PIL.Image.Transpose.TRANSPOSE)`` to see
        them upright.

    Raises:
        ValueError: for another ``split``, or a corrupt file (the message names it).
        RuntimeError: torchvision's "Dataset not found. You can use download=True to
            download it" (and the missing file) when the files are missing; one line naming
            the archive when it cannot be downloaded or extracted.

    Example:
        >>> from xpnet.data import EMNIST
        >>> EMNIST.classes_split_dict["letters"][:4], len(EMNIST.classes_split_dict["bymerge"])
        (['N/A', 'a', 'b', 'c'], 47)
    """

    # torchvision's www.itl.nist.gov address is reported to answer with an HTML page now;
    # this is NIST's current one for the same archive (the MD5 is checked either way)
    url = "https://biometrics.nist.gov/cs_links/EMNIST/gzip.zip"
    md5 = "58c8d27c78d21e728a6bc7b3cc06412e"
    splits = ("byclass", "bymerge", "balanced", "letters", "digits", "mnist")
    # the merged classes: letters whose upper and lower case are written alike
    _merged_classes = set("cijklmopsuvwxyz")
    _all_classes = set(string.digits + string.ascii_letters)
    classes_split_dict = {
        "byclass": sorted(_all_classes),
        "bymerge": sorted(_all_classes - _merged_classes),
        "balanced": sorted(_all_classes - _merged_classes),
        "letters": ["N/A", *string.ascii_lowercase],
        "digits": list(string.digits),
        "mnist": list(string.digits),
    }

    def __init__(
        self, root, split, train=True, transform=None, target_transform=None, download=False
    ):
        self.split = verify_str_arg(split, "split", self.splits)
        super().__init__(root, train, transform, target_transform, download)
        self.classes = self.classes_split_dict[self.split]

    @property
    def images_file(self) -> str:
        """The raw images file of this split and ``train``."""
        return os.path.join(self.raw_folder, f"{self._file_prefix}-images-idx3-ubyte")

    @property
    def labels_file(self) -> str:
        """The raw labels file of this split and ``train``."""
        return os.path.join(self.raw_folder, f"{self._file_prefix}-labels-idx1-ubyte")

    @property
    def _file_prefix(self) -> str:
        return f"emnist-{self.split}-{'train' if self.train else 'test'}"

    def _load_data(self):
        images = read_idx(self.images_file, 3, "EMNIST")
        return images, read_idx(self.labels_file, 1, "EMNIST").astype(numpy.int64)

    def download(self) -> None:
        """Download ``gzip.zip`` (unless it is there with the right MD5) and decompress every
        split's files into :attr:`raw_folder`; nothing when this split's files are there.

        Raises:
            RuntimeError: one line naming the archive, when it cannot be downloaded or
                extracted.
        """
        if self._check_exists():
            return
        raw = Path(self.raw_folder)
        raw.mkdir(parents=True, exist_ok=True)
        archive = download_url(self.url, raw, "gzip.zip", self.md5, caller="EMNIST.download")
        try:
            with zipfile.ZipFile(archive) as zip_file:
                zip_file.extractall(raw)  # names with '..' or a root are made safe by zipfile
        except (OSError, EOFError, zipfile.BadZipFile) as error:
            reason = " ".join(f"{type(error).__name__}: {error}".split())
            msg = f"EMNIST: cannot extract {archive} ({reason}); delete it and download it again"
            raise RuntimeError(msg) from error
        folder = raw / "gzip"
        if not folder.is_dir():
            msg = f"EMNIST: {archive} holds no gzip/ folder of IDX files; is it the right file?"
            raise RuntimeError(msg)
        for name in sorted(os.listdir(folder)):
            if name.endswith(".gz"):
                decompress(folder / name, raw / name.removesuffix(".gz"), "EMNIST")
        shutil.rmtree(folder)


class QMNIST(RawIdxMNIST):
    """QMNIST, MNIST rebuilt from NIST, with torchvision's signature, files and targets.

    Reads ``root/QMNIST/raw``'s uncompressed IDX files; ``download=True`` fetches the
    ``what`` subset's two files from torchvision's URLs (MD5-checked) and decompresses them
    there, keeping the archives, as torchvision does.

    Args:
        root: the folder that holds (or will hold) ``QMNIST/raw/``.
        what: ``"train"`` (60,000), ``"test"`` (60,000), ``"test10k"`` (its first 10,000,
            MNIST's test set), ``"test50k"`` (the other 50,000) or ``"nist"`` (every NIST digit).
            Default: ``None``: ``"train"`` or ``"test"`` after ``train``.
        compat: targets are class numbers, as MNIST's; else each target is its row of 8
            int64 values (class, NIST HSF series, writer, ..., see the QMNIST README).
            Default: ``True``.
        train: which subset ``what=None`` means. Default: ``True``.
        transform: applied to each image (a PIL ``L`` image). Default: ``None``.
        target_transform: applied to each target. Default: ``None``.
        download: fetch the subset's files first when they are missing. Default: ``False``.

    Attributes:
        data: uint8 array (N, 28, 28). targets: int64 array (N, 8), whatever ``compat``.

    Raises:
        ValueError: for another ``what``, or a corrupt file (the message names it).
        RuntimeError: torchvision's "Dataset not found. You can use download=True to
            download it" (and the missing file) when the files are missing; one line naming
            the file when it cannot be downloaded or decompressed.

    Example:
        >>> from xpnet.data import QMNIST
        >>> QMNIST.subsets["test10k"], QMNIST.resources["nist"][1][0].rsplit("/", 1)[1]
        ('test', 'xnist-labels-idx2-int.xz')
    """

    subsets = {
        "train": "train",
        "test": "test",
        "test10k": "test",
        "test50k": "test",
        "nist": "nist",
    }
    _base = "https://raw.githubusercontent.com/facebookresearch/qmnist/master/"
    resources = {
        "train": [
            (_base + "qmnist-train-images-idx3-ubyte.gz", "ed72d4157d28c017586c42bc6afe6370"),
            (_base + "qmnist-train-labels-idx2-int.gz", "0058f8dd561b90ffdd0f734c6a30e5e4"),
        ],
        "test": [
            (_base + "qmnist-test-images-idx3-ubyte.gz", "1394631089c404de565df7b7aeaf9412"),
            (_base + "qmnist-test-labels-idx2-int.gz", "5b5b05890a5e13444e108efe57b788aa"),
        ],
        "nist": [
            (_base + "xnist-images-idx3-ubyte.xz", "7f124b3b8ab81486c9d8c2749c17f834"),
            (_base + "xnist-labels-idx2-int.xz", "5ed0e788978e45d4a8bd4b7caec3d79d"),
        ],
    }

    def __init__(
        self,
        root,
        what=None,
        compat=True,
        train=True,
        transform=None,
        target_transform=None,
        download=False,
    ):
        what = ("train" if train else "test") if what is None else what
        self.what = verify_str_arg(what, "what", tuple(self.subsets))
        self.compat = compat
        super().__init__(root, train, transform, target_transform, download)

    def _raw_file(self, which: int) -> str:
        url = self.resources[self.subsets[self.what]][which][0]
        return os.path.join(self.raw_folder, os.path.splitext(os.path.basename(url))[0])

    @property
    def images_file(self) -> str:
        """The raw images file of ``what``."""
        return self._raw_file(0)

    @property
    def labels_file(self) -> str:
        """The raw labels file of ``what``."""
        return self._raw_file(1)

    def _load_data(self):
        data = read_idx(self.images_file, 3, "QMNIST")
        targets = read_idx(self.labels_file, 2, "QMNIST", dtype=None).astype(numpy.int64)
        rows = {"test10k": slice(0, 10000), "test50k": slice(10000, None)}.get(self.what)
        if rows is not None:  # the two parts of the 60,000 test images, copied as torchvision
            data, targets = data[rows].copy(), targets[rows].copy()
        return data, targets

    def download(self) -> None:
        """Download ``what``'s two files (unless there with the right MD5) and decompress
        them into :attr:`raw_folder`; nothing when the uncompressed files are there."""
        if self._check_exists():
            return
        raw = Path(self.raw_folder)
        raw.mkdir(parents=True, exist_ok=True)
        for url, md5 in self.resources[self.subsets[self.what]]:
            name = os.path.basename(url)
            archive = download_url(url, raw, name, md5, caller="QMNIST.download")
            decompress(archive, raw / os.path.splitext(name)[0], "QMNIST")

    def __getitem__(self, index):
        image = pil_image_module().fromarray(self.data[index])  # uint8 (H, W): mode L
        image = image if self.transform is None else self.transform(image)
        target = int(self.targets[index][0]) if self.compat else self.targets[index]
        return apply_transforms(None, self.target_transform, image, target)

    def __getattr__(self, name):
        # whole batches by fancy indexing, with the class column alone as __getitem__ gives it
        if name == "get_batch" and self.transform is None and self.target_transform is None:
            column = 0 if self.compat else slice(None)
            return lambda indices: (self.data[indices], self.targets[indices, column])
        raise AttributeError(f"'{type(self).__name__}' object has no attribute {name!r}")

    def extra_repr(self) -> str:
        """``Split: <what>``, as torchvision's."""
        return f"Split: {self.what}"
