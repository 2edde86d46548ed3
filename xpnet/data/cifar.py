"""torchvision's ``CIFAR10`` and ``CIFAR100``: the python-pickle batches, with their download.

``download=True`` fetches the tar.gz from torchvision's URL into ``root`` (MD5-checked, kept
only when right, through :mod:`xpnet.data._download` as MNIST's files are) and extracts it;
every batch file is then checked against torchvision's MD5 before it is read, as torchvision
does. Samples are ``(PIL.Image, int)``.
"""

from __future__ import annotations

import os
import pickle
import sys
import tarfile

import numpy

from ._download import check_integrity, download_checked, integrity_problem
from .vision_datasets import VisionDataset, apply_transforms, pil_image_module

__all__ = ["CIFAR10", "CIFAR100"]


class CIFAR10(VisionDataset):
    """The CIFAR-10 images with torchvision's signature: 32x32 RGB images in 10 classes.

    Reads the batches in ``root/cifar-10-batches-py`` (five training batches of 10,000
    images, one test batch), each checked against its MD5 first.

    Args:
        root: the folder that holds (or will hold) ``cifar-10-batches-py/``.
        train: the 50,000 training images; else the 10,000 test images. Default: ``True``.
        transform: applied to each image (a PIL RGB image). Default: ``None``.
        target_transform: applied to each label (an ``int``). Default: ``None``.
        download: fetch and extract the archive first unless the batches are there.
            Default: ``False``.

    Attributes:
        data: uint8 array (N, 32, 32, 3). targets: list of ``int``.
        classes: the class names (from ``batches.meta``). class_to_idx: ``{name: index}``.

    Raises:
        RuntimeError: "Dataset not found or corrupted. You can use download=True to download
            it" when a batch is missing or fails its MD5 (the message names it); one line
            naming the archive when it cannot be downloaded or extracted.

    Example:
        >>> from xpnet.data import CIFAR10
        >>> CIFAR10.url
        'https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz'
    """

    base_folder = "cifar-10-batches-py"
    url = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
    filename = "cifar-10-python.tar.gz"
    tgz_md5 = "c58f30108f718f92721af3b95e74349a"
    train_list = [
        ["data_batch_1", "c99cafc152244af753f735de768cd75f"],
        ["data_batch_2", "d4bba439e000b95fd0a9bffe97cbabec"],
        ["data_batch_3", "54ebc095f3ab1f0389bbae665268c751"],
        ["data_batch_4", "634d18415352ddfa80567beed471001a"],
        ["data_batch_5", "482c414d41f54cd18b22e5b47cb7c3cb"],
    ]
    test_list = [["test_batch", "40351d587109b95175f43aff81a1287e"]]
    meta = {
        "filename": "batches.meta",
        "key": "label_names",
        "md5": "5ff9c542aee3614f3951f8cda6e48888",
    }

    def __init__(self, root, train=True, transform=None, target_transform=None, download=False):
        super().__init__(root, transform=transform, target_transform=target_transform)
        self.train = train
        if download:
            self.download()
        problem = self._integrity_problem()
        if problem:
            msg = "Dataset not found or corrupted. You can use download=True to download it"
            msg += f" ({problem})"
            raise RuntimeError(msg)
        data, self.targets = [], []
        for name, _ in self.train_list if train else self.test_list:
            entry = self._unpickle(name)
            data.append(entry["data"])
            self.targets.extend(entry["labels"] if "labels" in entry else entry["fine_labels"])
        self.data = numpy.vstack(data).reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
        self._load_meta()

    def _unpickle(self, name: str) -> dict:
        with open(os.path.join(self.root, self.base_folder, name), "rb") as stream:
            return pickle.load(stream, encoding="latin1")

    def _load_meta(self) -> None:
        path = os.path.join(self.root, self.base_folder, self.meta["filename"])
        if not check_integrity(path, self.meta["md5"]):
            msg = (
                "Dataset metadata file not found or corrupted. "
                f"You can use download=True to download it ({path})"
            )
            raise RuntimeError(msg)
        self.classes = self._unpickle(self.meta["filename"])[self.meta["key"]]
        self.class_to_idx = {name: i for i, name in enumerate(self.classes)}

    def _integrity_problem(self) -> str:
        """Why the batches cannot be read (the first missing or wrong file), or ``""``."""
        for name, md5 in self.train_list + self.test_list:
            problem = integrity_problem(os.path.join(self.root, self.base_folder, name), md5)
            if problem:
                return problem
        return ""

    def _check_integrity(self) -> bool:
        return not self._integrity_problem()

    def download(self) -> None:
        """Download the archive (unless it is there with the right MD5) and extract it.

        Does nothing when the batches are already there and right.

        Raises:
            RuntimeError: one line naming the archive, when it cannot be downloaded (see
                :func:`~xpnet.data.download_mnist`) or is not a readable tar.gz.
        """
        if self._check_integrity():
            return
        archive = os.path.join(self.root, self.filename)
        if check_integrity(archive, self.tgz_md5):
            print(f"Using downloaded and verified file: {archive}", file=sys.stderr)
        else:
            caller = f"{type(self).__name__}.download"
            download_checked([self.url], self.root, self.filename, self.tgz_md5, caller=caller)
        print(f"Extracting {archive} to {self.root}", file=sys.stderr)
        try:
            with tarfile.open(archive, "r:gz") as tar:
                # the "data" filter (no absolute paths, links out, devices) where Python has it
                safe = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
                tar.extractall(self.root, **safe)
        except (OSError, EOFError, tarfile.TarError) as error:
            reason = " ".join(f"{type(error).__name__}: {error}".split())
            msg = f"{type(self).__name__}: cannot extract {archive} ({reason}); delete it"
            raise RuntimeError(msg + " and download it again") from error

    def __getitem__(self, index):
        image = pil_image_module().fromarray(self.data[index])
        target = self.targets[index]
        return apply_transforms(self.transform, self.target_transform, image, target)

    def __len__(self) -> int:
        return len(self.data)

    def extra_repr(self) -> str:
        return f"Split: {'Train' if self.train is True else 'Test'}"


class CIFAR100(CIFAR10):
    """The CIFAR-100 images: as :class:`CIFAR10`, from ``root/cifar-100-python``.

    ``targets`` are the 100 fine labels and ``classes`` their names, as in torchvision.

    Example:
        >>> from xpnet.data import CIFAR100
        >>> CIFAR100.base_folder, CIFAR100.meta["key"]
        ('cifar-100-python', 'fine_label_names')
    """

    base_folder = "cifar-100-python"
    url = "https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz"
    filename = "cifar-100-python.tar.gz"
    tgz_md5 = "eb9058c3a382ffc7106e4002c42a8d85"
    train_list = [["train", "16019d7e3df5f24257cddd939b257f8d"]]
    test_list = [["test", "f0ef6b0ae62326f3e7ffdfab6717acfc"]]
    meta = {
        "filename": "meta",
        "key": "fine_label_names",
        "md5": "7973b15100ade9c7d40fb424638fde48",
    }
