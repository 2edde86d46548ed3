"""torchvision's ``MNIST``, ``FashionMNIST``, ``KMNIST``: download the IDX files, read them.

:func:`download_mnist` fetches a split's two gzipped IDX files from the mirrors torchvision
uses, checks each against its MD5 and writes it atomically, skipping files already there;
:class:`MNIST` keeps them in ``root/MNIST/raw`` as torchvision does and reads them with
:mod:`xpnet.data._idx`; :class:`FashionMNIST` and :class:`KMNIST` are :class:`MNIST` with
torchvision's mirrors, checksums and class names. ``xpnet train --dataset mnist --data DIR
--download`` calls :func:`download_mnist` on ``DIR``.
"""

from __future__ import annotations

import os
from pathlib import Path

from ._download import download_checked
from ._idx import read_mnist
from .vision_datasets import VisionDataset, apply_transforms, pil_image_module

__all__ = [
    "KMNIST",
    "MIRRORS",
    "MNIST",
    "NOT_FOUND",
    "RESOURCES",
    "FashionMNIST",
    "download_mnist",
]

NOT_FOUND = "Dataset not found. You can use download=True to download it"

# torchvision's mirrors and checksums (torchvision/datasets/mnist.py)
MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "http://yann.lecun.com/exdb/mnist/",
)
RESOURCES = (
    ("train-images-idx3-ubyte.gz", "f68b3c2dcbeaaa9fbdd348bbdeb94873"),
    ("train-labels-idx1-ubyte.gz", "d53e105ee54ea40749a09fcbcd1e9432"),
    ("t10k-images-idx3-ubyte.gz", "9fb629c4189551a2d022fa330f9573f3"),
    ("t10k-labels-idx1-ubyte.gz", "ec29112dd5afa0611ce80d1b7f02629c"),
)
_PREFIX = {"train": "train-", "test": "t10k-"}


def download_mnist(
    folder, split: str = "all", mirrors=None, timeout: float = 30.0, resources=None
) -> list:
    """Download MNIST's gzipped IDX files into ``folder``; files already there are kept.

    Each file is tried on each mirror in turn and accepted only with the right MD5.

    Args:
        folder: where the files go (created if missing).
        split: ``"train"``, ``"test"`` or ``"all"`` (the four files). Default: ``"all"``.
        mirrors: base URLs, each ending in ``/``. Default: ``None`` (:data:`MIRRORS`).
        timeout: seconds to wait for a mirror to answer. Default: ``30``.
        resources: ``(name, md5)`` pairs, as :attr:`MNIST.resources` (FashionMNIST and
            KMNIST pass theirs). Default: ``None`` (:data:`RESOURCES`).

    Returns:
        The paths of the split's files.

    Raises:
        ValueError: for another ``split``.
        RuntimeError: when a file cannot be downloaded from any mirror (offline, or every
            copy fails its checksum); one line, naming the file and each mirror's error.
    """
    if split not in ("train", "test", "all"):
        msg = f"download_mnist: split must be 'train', 'test' or 'all', got {split!r}"
        raise ValueError(msg)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    mirrors = MIRRORS if mirrors is None else tuple(mirrors)
    resources = RESOURCES if resources is None else resources
    wanted = [(n, md5) for n, md5 in resources if split == "all" or n.startswith(_PREFIX[split])]
    for name, md5 in wanted:
        if (folder / name).is_file() or (folder / name.removesuffix(".gz")).is_file():
            continue
        urls = [f"{mirror}{name}" for mirror in mirrors]
        download_checked(urls, folder, name, md5, caller="download_mnist", timeout=timeout)
    return [folder / name for name, _ in wanted]


class MNIST(VisionDataset):
    """The MNIST digits with torchvision's signature: 28x28 grey PIL images and their labels.

    Args:
        root: the folder that holds (or will hold) ``MNIST/raw/``, as in torchvision.
        train: the 60,000 training images; else the 10,000 test images. Default: ``True``.
        transform: applied to each image (a PIL ``L`` image, as torchvision's), e.g.
            :class:`xpnet.data.transforms.ToTensor`. Default: ``None``.
        target_transform: applied to each label (an ``int``). Default: ``None``.
        download: fetch the split's files first when they are missing
            (:func:`download_mnist`). Default: ``False``.

    Attributes:
        data: uint8 array (N, 28, 28). targets: int64 array (N,) (torchvision: tensors).
        classes: the ten class names, as in torchvision.

    Without transforms, :class:`~xpnet.data.DataLoader` reads whole batches of ``data`` and
    ``targets`` by fancy indexing (``get_batch``), where torchvision's PIL samples cannot be
    batched.

    Raises:
        RuntimeError: torchvision's "Dataset not found. You can use download=True to
            download it" (and the missing file) if the files are missing and ``download``
            is false; one line naming the file when it cannot be downloaded.
        ValueError: if a file is corrupt (the message names it).

    Example:
        >>> from xpnet.data import MNIST, transforms
        >>> MNIST.mirrors[0]
        'https://ossci-datasets.s3.amazonaws.com/mnist/'
    """

    mirrors = list(MIRRORS)
    resources = list(RESOURCES)
    classes = [
        f"{digit} - {name}"
        for digit, name in enumerate(
            ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
        )
    ]

    def __init__(self, root, train=True, transform=None, target_transform=None, download=False):
        super().__init__(root, transform=transform, target_transform=target_transform)
        self.train = train
        split = "train" if train else "test"
        if download:
            download_mnist(self.raw_folder, split, mirrors=self.mirrors, resources=self.resources)
        prefix = _PREFIX[split]
        for name, _ in self.resources:
            raw = Path(self.raw_folder) / name
            if name.startswith(prefix) and not (raw.is_file() or raw.with_suffix("").is_file()):
                raise RuntimeError(f"{NOT_FOUND} ({raw} is missing)")
        self.data, self.targets = read_mnist(self.raw_folder, split)

    @property
    def class_to_idx(self) -> dict:
        """``{class name: index}``, as in torchvision."""
        return {name: i for i, name in enumerate(self.classes)}

    @property
    def raw_folder(self) -> str:
        """``root/MNIST/raw``: where the IDX files are."""
        return os.path.join(self.root, type(self).__name__, "raw")

    @property
    def processed_folder(self) -> str:
        """``root/MNIST/processed``: torchvision's folder of legacy ``.pt`` files (unused)."""
        return os.path.join(self.root, type(self).__name__, "processed")

    def download(self) -> None:
        """Download the files of both splits that are missing, as torchvision's ``download``
        (see :func:`download_mnist`)."""
        download_mnist(self.raw_folder, "all", mirrors=self.mirrors, resources=self.resources)

    def __len__(self) -> int:
        return len(self.data)

    def __getitem__(self, index):
        image = pil_image_module().fromarray(self.data[index])  # (28, 28) uint8: mode L
        return apply_transforms(
            self.transform, self.target_transform, image, int(self.targets[index])
        )

    def __getattr__(self, name):
        # get_batch (whole batches by fancy indexing) only when no transform needs samples
        if name == "get_batch" and self.transform is None and self.target_transform is None:
            return lambda indices: (self.data[indices], self.targets[indices])
        raise AttributeError(f"'{type(self).__name__}' object has no attribute {name!r}")

    def extra_repr(self) -> str:
        """``Split: Train`` or ``Split: Test``, as torchvision's."""
        return f"Split: {'Train' if self.train is True else 'Test'}"


class FashionMNIST(MNIST):
    """Zalando's Fashion-MNIST: :class:`~xpnet.data.MNIST` with torchvision's files and classes.

    The files are kept in ``root/FashionMNIST/raw``; samples are ``(PIL image, int)`` as
    :class:`~xpnet.data.MNIST`'s.

    Args:
        root: the folder that holds (or will hold) ``FashionMNIST/raw/``.
        train: the 60,000 training images; else the 10,000 test images. Default: ``True``.
        transform: applied to each image. Default: ``None``.
        target_transform: applied to each label. Default: ``None``.
        download: fetch the split's files (MD5-checked) when missing. Default: ``False``.

    Raises:
        RuntimeError: as :class:`~xpnet.data.MNIST`'s, if the files are missing and
            ``download`` is false, or cannot be downloaded.

    Example:
        >>> from xpnet.data import FashionMNIST
        >>> FashionMNIST.classes[:3]
        ['T-shirt/top', 'Trouser', 'Pullover']
    """

    mirrors = ["http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"]
    resources = [
        ("train-images-idx3-ubyte.gz", "8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
        ("train-labels-idx1-ubyte.gz", "25c81989df183df01b3e8a0aad5dffbe"),
        ("t10k-images-idx3-ubyte.gz", "bef4ecab320f06d8554ea6380940ec79"),
        ("t10k-labels-idx1-ubyte.gz", "bb300cfdad3c16e7a12a480ee83cd310"),
    ]
    classes = [
        "T-shirt/top",
        "Trouser",
        "Pullover",
        "Dress",
        "Coat",
        "Sandal",
        "Shirt",
        "Sneaker",
        "Bag",
        "Ankle boot",
    ]


class KMNIST(MNIST):
    """Kuzushiji-MNIST: :class:`~xpnet.data.MNIST` with torchvision's files and classes.

    The files are kept in ``root/KMNIST/raw``; arguments, samples and errors as
    :class:`FashionMNIST`'s.

    Example:
        >>> from xpnet.data import KMNIST
        >>> KMNIST.classes[:4]
        ['o', 'ki', 'su', 'tsu']
    """

    mirrors = ["http://codh.rois.ac.jp/kmnist/dataset/kmnist/"]
    resources = [
        ("train-images-idx3-ubyte.gz", "bdb82020997e1d708af4cf47b453dcf7"),
        ("train-labels-idx1-ubyte.gz", "e144d726b3acfaa3e44228e80efcd344"),
        ("t10k-images-idx3-ubyte.gz", "5c965bf0a639b31b8f53240b1b52f4d7"),
        ("t10k-labels-idx1-ubyte.gz", "7320c461ea6c1c855c0b718fb2a4b134"),
    ]
    classes = ["o", "ki", "su", "tsu", "na", "ha", "ma", "ya", "re", "wo"]
