"""xpnet.data's MNIST family (MNIST, FashionMNIST, KMNIST, EMNIST, QMNIST) against torchvision's
classes, both reading the same small IDX files written here in torchvision's layout: samples,
attributes, repr, transforms and errors. Where torchvision keeps a torch tensor (``data``,
``targets``, QMNIST's full targets) xpnet keeps a NumPy array of the same dtype and values."""

from __future__ import annotations

import numpy as np
import pytest
from _datasets_oracle import MultiLine, assert_same_dataset, assert_same_value, idx_bytes, pixels
from _torchvision import import_torchvision

import xpnet
from xpnet.data import EMNIST, KMNIST, MNIST, QMNIST, FashionMNIST, datasets, transforms

torchvision = import_torchvision()
tv = torchvision.datasets
PAIRS = {"MNIST": MNIST, "FashionMNIST": FashionMNIST, "KMNIST": KMNIST}
ATTRIBUTES = ("data", "targets", "classes", "class_to_idx", "train")


def write_mnist(root, name: str, shape=(28, 28)) -> None:
    """The four uncompressed IDX files in ``root/<name>/raw``, as torchvision reads them."""
    raw = root / name / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    for seed, prefix, count in ((0, "train", 5), (1, "t10k", 3)):
        images = pixels(seed, (count, *shape))
        labels = pixels(seed + 10, (count,), high=10)
        (raw / f"{prefix}-images-idx3-ubyte").write_bytes(idx_bytes(images))
        (raw / f"{prefix}-labels-idx1-ubyte").write_bytes(idx_bytes(labels))


@pytest.mark.parametrize("name", PAIRS)
@pytest.mark.parametrize("train", [True, False])
def test_mnist_family_matches_torchvision(backend, tmp_path, name, train):
    write_mnist(tmp_path, name)
    ours = PAIRS[name](tmp_path, train=train)
    theirs = getattr(tv, name)(tmp_path, train=train)
    assert_same_dataset(ours, theirs, ATTRIBUTES + ("raw_folder",))
    assert isinstance(ours, datasets.VisionDataset)
    assert ours[0][0].mode == "L" and ours.root == theirs.root


def test_mnist_str_root_is_expanded_as_torchvision(backend, tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    write_mnist(tmp_path, "MNIST")
    ours, theirs = MNIST("~", train=False), tv.MNIST("~", train=False)
    assert ours.root == theirs.root == str(tmp_path)
    assert repr(ours) == repr(theirs)


def test_mnist_transforms_and_repr_match_torchvision(backend, tmp_path):
    write_mnist(tmp_path, "MNIST")
    kwargs = {"transform": MultiLine("image"), "target_transform": MultiLine("target")}
    ours, theirs = MNIST(tmp_path, **kwargs), tv.MNIST(tmp_path, **kwargs)
    assert_same_dataset(ours, theirs)
    assert ours[1][0][:2] == ("seen by", "image") and ours[1][1][:2] == ("seen by", "target")
    times_ten = lambda target: target * 10  # noqa: E731 (one object: its repr has its address)
    ours = MNIST(tmp_path, train=False, target_transform=times_ten)
    theirs = tv.MNIST(tmp_path, train=False, target_transform=times_ten)
    assert_same_dataset(ours, theirs)


def test_mnist_with_each_librarys_transforms_matches_torchvision(backend, tmp_path):
    """pytorch/examples' MNIST pipeline: xpnet's ToTensor and Normalize on xpnet's samples,
    torchvision's on torchvision's: the same repr and float32 values."""
    write_mnist(tmp_path, "MNIST")

    def pipeline(library):
        steps = [library.ToTensor(), library.Normalize((0.1307,), (0.3081,))]
        return library.Compose(steps)

    ours = MNIST(tmp_path, train=False, transform=pipeline(transforms))
    theirs = tv.MNIST(tmp_path, train=False, transform=pipeline(torchvision.transforms))
    assert repr(ours) == repr(theirs)
    for index in range(len(theirs)):
        (image, target), (expected, expected_target) = ours[index], theirs[index]
        assert isinstance(image, xpnet.Tensor) and image.dtype == xpnet.float32
        np.testing.assert_allclose(xpnet.to_numpy(image), expected.numpy(), rtol=0, atol=1e-6)
        assert type(target) is int and target == expected_target


@pytest.mark.parametrize("name", PAIRS)
def test_mnist_missing_files_raise_torchvision_error(backend, tmp_path, name):
    with pytest.raises(RuntimeError) as theirs:
        getattr(tv, name)(tmp_path, download=False)
    with pytest.raises(RuntimeError) as ours:
        PAIRS[name](tmp_path, download=False)
    assert str(ours.value).startswith(str(theirs.value))


# ----------------------------------------------------------------------------- EMNIST


def write_emnist(root, split: str) -> None:
    raw = root / "EMNIST" / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    classes = len(tv.EMNIST.classes_split_dict[split])
    for seed, part, count in ((2, "train", 4), (3, "test", 2)):
        prefix = f"emnist-{split}-{part}"
        images, labels = pixels(seed, (count, 28, 28)), pixels(seed, (count,), high=classes)
        (raw / f"{prefix}-images-idx3-ubyte").write_bytes(idx_bytes(images))
        (raw / f"{prefix}-labels-idx1-ubyte").write_bytes(idx_bytes(labels))


@pytest.mark.parametrize("split", tv.EMNIST.splits)
def test_emnist_splits_match_torchvision(backend, tmp_path, split):
    write_emnist(tmp_path, split)
    for train in (True, False):
        ours = EMNIST(tmp_path, split, train=train, target_transform=MultiLine("t"))
        theirs = tv.EMNIST(tmp_path, split, train=train, target_transform=MultiLine("t"))
        assert_same_dataset(ours, theirs, ATTRIBUTES + ("split", "images_file", "labels_file"))


@pytest.mark.parametrize(
    ("cls", "argument", "value"),
    [("EMNIST", "split", "letter"), ("QMNIST", "what", "test20k"), ("EMNIST", "split", 3)],
)
def test_bad_split_raises_verify_str_arg_message(backend, tmp_path, cls, argument, value):
    args = (value,) if argument == "split" else ()
    kwargs = {} if argument == "split" else {argument: value}
    with pytest.raises(ValueError) as theirs:
        getattr(tv, cls)(tmp_path, *args, **kwargs)
    with pytest.raises(ValueError) as ours:
        getattr(datasets, cls)(tmp_path, *args, **kwargs)
    assert str(ours.value) == str(theirs.value)


def test_emnist_missing_files_raise_torchvision_error(backend, tmp_path):
    with pytest.raises(RuntimeError) as theirs:
        tv.EMNIST(tmp_path, "digits")
    with pytest.raises(RuntimeError) as ours:
        EMNIST(tmp_path, "digits")
    assert str(ours.value).startswith(str(theirs.value))


# ----------------------------------------------------------------------------- QMNIST

QMNIST_FILES = {
    "train": ("qmnist-train-images-idx3-ubyte", "qmnist-train-labels-idx2-int", 3),
    "test": ("qmnist-test-images-idx3-ubyte", "qmnist-test-labels-idx2-int", 10003),
    "nist": ("xnist-images-idx3-ubyte", "xnist-labels-idx2-int", 2),
}


@pytest.fixture(scope="module")
def qmnist_root(tmp_path_factory):
    """QMNIST's three pairs of raw files; the test images number 10,003 so that ``test50k``
    (from image 10,000 on) is not empty. Images are 4x4: neither class checks the size."""
    root = tmp_path_factory.mktemp("qmnist")
    raw = root / "QMNIST" / "raw"
    raw.mkdir(parents=True)
    for seed, (images, labels, count) in enumerate(QMNIST_FILES.values()):
        (raw / images).write_bytes(idx_bytes(pixels(seed, (count, 4, 4))))
        table = np.random.default_rng(seed).integers(0, 70000, size=(count, 8), dtype=np.int32)
        table[:, 0] %= 10
        (raw / labels).write_bytes(idx_bytes(table))
    return root


@pytest.mark.parametrize("what", [None, "train", "test", "test10k", "test50k", "nist"])
@pytest.mark.parametrize("compat", [True, False])
def test_qmnist_what_and_compat_match_torchvision(backend, qmnist_root, what, compat):
    for train in (True, False) if what is None else (True,):
        ours = QMNIST(qmnist_root, what=what, compat=compat, train=train)
        theirs = tv.QMNIST(qmnist_root, what=what, compat=compat, train=train)
        samples = [0, 1, len(theirs) - 1]
        attributes = ATTRIBUTES + ("what", "compat", "images_file", "labels_file")
        assert_same_dataset(ours, theirs, attributes, samples=samples)


def test_qmnist_transforms_match_torchvision(backend, qmnist_root):
    as_list = lambda target: list(target)  # noqa: E731 (torchvision cannot repr a class)
    kwargs = {"what": "nist", "compat": False, "transform": np.asarray, "target_transform": as_list}
    ours, theirs = QMNIST(qmnist_root, **kwargs), tv.QMNIST(qmnist_root, **kwargs)
    image, target = ours[1]
    expected_image, expected_target = theirs[1]
    assert_same_value(image, expected_image)
    assert [type(value) for value in target] == [np.int64] * 8  # a torch tensor's are tensors
    assert [int(value) for value in target] == [int(value) for value in expected_target]
    assert repr(ours) == repr(theirs)


def test_qmnist_missing_files_raise_torchvision_error(backend, tmp_path):
    with pytest.raises(RuntimeError) as theirs:
        tv.QMNIST(tmp_path, what="test10k")
    with pytest.raises(RuntimeError) as ours:
        QMNIST(tmp_path, what="test10k")
    assert str(ours.value).startswith(str(theirs.value))


def test_mnist_get_batch_keeps_whole_arrays(backend, tmp_path):
    """Not torchvision's (its PIL samples do not batch): without transforms the loader reads
    whole batches of the uint8 arrays; samples stay torchvision's PIL images."""
    write_mnist(tmp_path, "MNIST")
    ours = MNIST(tmp_path)
    images, labels = ours.get_batch(np.array([4, 0]))
    np.testing.assert_array_equal(images, ours.data[[4, 0]])
    assert labels.tolist() == [int(ours.targets[4]), int(ours.targets[0])]
    np.testing.assert_array_equal(np.asarray(ours[4][0]), images[0])
