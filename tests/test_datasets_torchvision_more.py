"""xpnet.data's CIFAR10, CIFAR100, SVHN, USPS and SEMEION against torchvision's classes, both
reading the same small files written here in torchvision's formats (python pickles, a MATLAB
.mat file, a bz2 libsvm file, a text table): samples, attributes, repr, transforms, errors.

torchvision checks fixed MD5s of the real files; the tests replace only those expected
checksums (the class attributes both libraries read them from) with the fake files' own."""

from __future__ import annotations

import bz2
import os
import pickle

import numpy as np
import pytest
import scipy.io
from _datasets_oracle import MultiLine, assert_same_dataset, md5, pixels
from _torchvision import import_torchvision

from xpnet.data import CIFAR10, CIFAR100, SEMEION, SVHN, USPS, datasets

torchvision = import_torchvision()
tv = torchvision.datasets
CIFARS = {"CIFAR10": CIFAR10, "CIFAR100": CIFAR100}


def patch_checksums(monkeypatch, cls_name: str, folder) -> None:
    """Both classes' expected MD5s of ``cls_name``'s batches become the fake files' own."""
    for cls in (getattr(tv, cls_name), CIFARS[cls_name]):
        for attribute in ("train_list", "test_list"):
            files = [[name, md5(folder / name)] for name, _ in getattr(cls, attribute)]
            monkeypatch.setattr(cls, attribute, files)
        meta = dict(cls.meta, md5=md5(folder / cls.meta["filename"]))
        monkeypatch.setattr(cls, "meta", meta)


def write_cifar(root, cls_name: str) -> None:
    cls = getattr(tv, cls_name)
    folder = root / cls.base_folder
    folder.mkdir(exist_ok=True)
    key, classes = ("labels", 10) if cls_name == "CIFAR10" else ("fine_labels", 100)
    for seed, (name, _) in enumerate(cls.train_list + cls.test_list):
        count = 2 + seed % 3
        batch = {"data": pixels(seed, (count, 3072)), key: list(range(seed, seed + count))}
        (folder / name).write_bytes(pickle.dumps({**batch, "batch_label": name}))
    names = [f"class {i}" for i in range(classes)]
    (folder / cls.meta["filename"]).write_bytes(pickle.dumps({cls.meta["key"]: names}))


@pytest.mark.parametrize("cls_name", CIFARS)
@pytest.mark.parametrize("train", [True, False])
def test_cifar_matches_torchvision(backend, tmp_path, monkeypatch, cls_name, train):
    write_cifar(tmp_path, cls_name)
    patch_checksums(monkeypatch, cls_name, tmp_path / CIFARS[cls_name].base_folder)
    kwargs = {"train": train, "transform": MultiLine("image"), "target_transform": MultiLine("t")}
    ours, theirs = CIFARS[cls_name](tmp_path, **kwargs), getattr(tv, cls_name)(tmp_path, **kwargs)
    attributes = ("data", "targets", "classes", "class_to_idx", "train")
    assert_same_dataset(ours, theirs, attributes)
    ours, theirs = CIFARS[cls_name](str(tmp_path)), getattr(tv, cls_name)(str(tmp_path))
    assert_same_dataset(ours, theirs, attributes)


@pytest.mark.parametrize("cls_name", CIFARS)
def test_cifar_missing_or_corrupt_files_raise_torchvision_error(backend, tmp_path, cls_name):
    for _ in range(2):  # missing, then present with other MD5s
        with pytest.raises(RuntimeError) as theirs:
            getattr(tv, cls_name)(tmp_path, download=False)
        with pytest.raises(RuntimeError) as ours:
            CIFARS[cls_name](tmp_path, download=False)
        assert str(ours.value).startswith(str(theirs.value))
        write_cifar(tmp_path, cls_name)


def test_cifar_missing_meta_raises_torchvision_error(backend, tmp_path, monkeypatch):
    write_cifar(tmp_path, "CIFAR10")
    folder = tmp_path / CIFAR10.base_folder
    patch_checksums(monkeypatch, "CIFAR10", folder)
    os.remove(folder / "batches.meta")
    with pytest.raises(RuntimeError) as theirs:
        tv.CIFAR10(tmp_path)
    with pytest.raises(RuntimeError) as ours:
        CIFAR10(tmp_path)
    assert str(ours.value).startswith(str(theirs.value))


# ----------------------------------------------------------------------------- SVHN


def write_svhn(root, split: str, monkeypatch, count: int = 4) -> None:
    """``<split>_32x32.mat``: X (32, 32, 3, N) uint8, y (N, 1) in 1..10 (10 is the digit 0)."""
    labels = (np.arange(count) % 10 + 1).astype(np.uint8).reshape(-1, 1)
    path = root / f"{split}_32x32.mat"
    scipy.io.savemat(path, {"X": pixels(count, (32, 32, 3, count)), "y": labels})
    for cls in (tv.SVHN, SVHN):
        url, filename, _ = cls.split_list[split]
        monkeypatch.setitem(cls.split_list, split, [url, filename, md5(path)])


@pytest.mark.parametrize("split", ["train", "test", "extra"])
def test_svhn_matches_torchvision(backend, tmp_path, monkeypatch, split):
    write_svhn(tmp_path, split, monkeypatch, count=11)
    kwargs = {"split": split, "target_transform": MultiLine("label")}
    ours, theirs = SVHN(tmp_path, **kwargs), tv.SVHN(tmp_path, **kwargs)
    assert_same_dataset(ours, theirs, ("data", "labels", "split", "filename", "file_md5", "url"))
    assert ours[0][0].mode == "RGB"


def test_svhn_errors_match_torchvision(backend, tmp_path, monkeypatch):
    for kwargs in ({"split": "valid"}, {"split": None}):
        with pytest.raises(ValueError) as theirs:
            tv.SVHN(tmp_path, **kwargs)
        with pytest.raises(ValueError) as ours:
            SVHN(tmp_path, **kwargs)
        assert str(ours.value) == str(theirs.value)
    with pytest.raises(RuntimeError) as theirs:
        tv.SVHN(tmp_path, split="test")
    with pytest.raises(RuntimeError) as ours:
        SVHN(tmp_path, split="test")
    assert str(ours.value).startswith(str(theirs.value))


# ----------------------------------------------------------------------------- USPS


def write_usps(root, name: str, count: int) -> None:
    """libsvm lines ``label index:value ...``: labels 1..10, 256 values in [-1, 1]."""
    values = np.random.default_rng(count).uniform(-1, 1, size=(count, 256))
    values[0, :4] = [-1.0, 1.0, 0.0, 0.99999]
    lines = [
        f"{row % 10 + 1} " + " ".join(f"{i + 1}:{v:.6f}" for i, v in enumerate(values[row]))
        for row in range(count)
    ]
    (root / name).write_bytes(bz2.compress(("\n".join(lines) + "\n").encode()))


@pytest.mark.parametrize("train", [True, False])
def test_usps_matches_torchvision(backend, tmp_path, train):
    write_usps(tmp_path, "usps.bz2" if train else "usps.t.bz2", 12)
    ours = USPS(tmp_path, train=train, transform=np.asarray)
    theirs = tv.USPS(tmp_path, train=train, transform=np.asarray)
    assert_same_dataset(ours, theirs, ("data", "targets"))
    ours, theirs = USPS(tmp_path, train=train), tv.USPS(tmp_path, train=train)
    assert_same_dataset(ours, theirs, ("data", "targets"))


def test_usps_missing_file_raises_torchvision_error_type(backend, tmp_path):
    with pytest.raises(FileNotFoundError):
        tv.USPS(tmp_path, train=False)
    with pytest.raises(FileNotFoundError, match="usps.t.bz2"):
        USPS(tmp_path, train=False)


# ----------------------------------------------------------------------------- SEMEION


def write_semeion(root, monkeypatch, count: int = 7) -> None:
    """One row per image: 256 pixels (0 or 1, as "0.0000"/"1.0000") then a one-hot digit."""
    bits = pixels(count, (count, 256), high=2)
    one_hot = np.eye(10, dtype=int)[np.arange(count) * 3 % 10]
    rows = [
        " ".join(f"{b}.0000" for b in bits[i]) + " " + " ".join(map(str, one_hot[i])) + " "
        for i in range(count)
    ]
    path = root / "semeion.data"
    path.write_text("\n".join(rows) + "\n")
    for cls in (tv.SEMEION, SEMEION):
        monkeypatch.setattr(cls, "md5_checksum", md5(path))


def test_semeion_matches_torchvision(backend, tmp_path, monkeypatch):
    write_semeion(tmp_path, monkeypatch)
    kwargs = {"transform": MultiLine("image"), "download": False}
    ours, theirs = SEMEION(tmp_path, **kwargs), tv.SEMEION(tmp_path, **kwargs)
    assert_same_dataset(ours, theirs, ("data", "labels"))
    ours, theirs = SEMEION(tmp_path, download=False), tv.SEMEION(tmp_path, download=False)
    assert_same_dataset(ours, theirs, ("data", "labels"))
    assert ours[0][0].mode == "L"


def test_semeion_missing_or_corrupt_file_raises_torchvision_error(backend, tmp_path):
    for _ in range(2):  # missing, then present with another MD5
        with pytest.raises(RuntimeError) as theirs:
            tv.SEMEION(tmp_path, download=False)
        with pytest.raises(RuntimeError) as ours:
            datasets.SEMEION(tmp_path, download=False)
        assert str(ours.value).startswith(str(theirs.value))
        (tmp_path / "semeion.data").write_text("0 " * 256 + "1 " + "0 " * 9 + "\n")


CLASS_ATTRIBUTES = {
    "MNIST": ("mirrors", "resources", "classes"),
    "FashionMNIST": ("mirrors", "resources", "classes"),
    "KMNIST": ("mirrors", "resources", "classes"),
    "EMNIST": ("url", "md5", "splits", "classes_split_dict"),
    "QMNIST": ("subsets", "resources", "classes"),
    "CIFAR10": ("base_folder", "url", "filename", "tgz_md5", "train_list", "test_list", "meta"),
    "CIFAR100": ("base_folder", "url", "filename", "tgz_md5", "train_list", "test_list", "meta"),
    "SVHN": ("split_list",),
    "USPS": ("split_list",),
    "SEMEION": ("url", "filename", "md5_checksum"),
}


@pytest.mark.parametrize("name", CLASS_ATTRIBUTES)
def test_class_attributes_match_torchvision(backend, name):
    """The files, URLs, MD5s and class names each class downloads and reads."""
    for attribute in CLASS_ATTRIBUTES[name]:
        ours, theirs = (
            getattr(cls, attribute) for cls in (getattr(datasets, name), getattr(tv, name))
        )
        assert ours == theirs and type(ours) is type(theirs), (name, attribute)
