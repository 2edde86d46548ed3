"""torchvision's datasets (xpnet.data: ImageFolder, DatasetFolder, CIFAR10/100, FashionMNIST,
KMNIST, FakeData) on small fake files written here: folder trees of PNG/JPEG images, CIFAR's
pickled batches and tar.gz, gzipped IDX files. Expected listings are written out by hand from
torchvision's rules (tests/test_datasets_torchvision*.py compare with torchvision itself);
downloads come from a local HTTP server on 127.0.0.1, with the expected MD5s computed here and
patched in."""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import pickle
import subprocess
import sys
import tarfile
from pathlib import Path

import numpy as np
import pytest
import torch
from _http_mirror import serving
from PIL import Image

import xpnet
from xpnet.data import (
    CIFAR10,
    CIFAR100,
    KMNIST,
    DataLoader,
    DatasetFolder,
    FakeData,
    FashionMNIST,
    ImageFolder,
    VisionDataset,
    folder,
    transforms,
)
from xpnet.data.vision_datasets import pil_image_module


def md5(data: bytes) -> str:
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


def pixels(seed: int, shape) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, size=shape, dtype=np.uint8)


class MultiLine:
    """A transform whose repr spans lines, as Compose's does."""

    def __call__(self, sample):
        return sample

    def __repr__(self) -> str:
        return "MultiLine(\n    first\n)"


# ----------------------------------------------------------------------------- ImageFolder


@pytest.fixture
def tree(tmp_path):
    """``(root, images)``: classes ant (no image), cat, dog (with a subfolder); ``images``
    maps each PNG's path to the RGB array it should read back as."""
    root = tmp_path / "images"
    images = {}
    for path, shape in {
        "cat/z.png": (4, 5, 3),
        "cat/y.bmp": (3, 3, 3),
        "dog/a.JPG": (6, 4, 3),
        "dog/B.png": (2, 7, 3),
        "dog/sub/c.png": (5, 5),  # grayscale: read back as three equal channels
        "dog/sub/d.png": (3, 2, 4),  # RGBA: read back without the alpha channel
    }.items():
        file = root / path
        file.parent.mkdir(parents=True, exist_ok=True)
        array = pixels(len(images), shape)
        Image.fromarray(array).save(file)
        rgb = np.stack([array] * 3, axis=-1) if array.ndim == 2 else array[:, :, :3]
        images[str(file)] = rgb
    (root / "dog" / "notes.txt").write_text("not an image")
    (root / "ant").mkdir()
    (root / "ant" / "readme.md").write_text("no image here")
    Image.fromarray(pixels(9, (2, 2, 3))).save(root / "outside.png")  # not in a class folder
    return root, images


def expected_samples(root):
    # torchvision: classes sorted; each folder walked in sorted order; file names sorted
    names = [("cat/y.bmp", 1), ("cat/z.png", 1), ("dog/B.png", 2), ("dog/a.JPG", 2)]
    names += [("dog/sub/c.png", 2), ("dog/sub/d.png", 2)]
    return [(os.path.join(root, *name.split("/")), target) for name, target in names]


def test_image_folder_lists_classes_and_samples_as_torchvision(tree):
    root, images = tree
    with pytest.raises(FileNotFoundError) as error:
        ImageFolder(root)
    assert str(error.value) == (
        "Found no valid file for the classes ant. Supported extensions are: "
        ".jpg, .jpeg, .png, .ppm, .bmp, .pgm, .tif, .tiff, .webp"
    )
    dataset = ImageFolder(str(root), allow_empty=True)
    assert dataset.classes == ["ant", "cat", "dog"]
    assert dataset.class_to_idx == {"ant": 0, "cat": 1, "dog": 2}
    assert dataset.samples == expected_samples(str(root)) and dataset.imgs is dataset.samples
    assert dataset.targets == [1, 1, 2, 2, 2, 2] and len(dataset) == 6
    for index, (path, target) in enumerate(dataset.samples):
        image, label = dataset[index]
        assert isinstance(image, Image.Image) and image.mode == "RGB" and label == target
        if path.endswith(".png") or path.endswith(".bmp"):  # lossless: the pixels written
            np.testing.assert_array_equal(np.asarray(image), images[path])
        else:  # JPEG: what Pillow decodes
            np.testing.assert_array_equal(np.asarray(image), np.asarray(Image.open(path)))
    assert (
        repr(dataset)
        == f"Dataset ImageFolder\n    Number of datapoints: 6\n    Root location: {root}"
    )


def test_is_valid_file_gets_the_path_and_replaces_the_extensions(tree):
    root, _ = tree
    seen = []

    def only_sub(path):
        seen.append(path)
        return os.sep + "sub" + os.sep in path

    dataset = ImageFolder(root, is_valid_file=only_sub, allow_empty=True)
    assert dataset.samples == expected_samples(str(root))[4:]
    assert os.path.join(str(root), "dog", "notes.txt") in seen  # every file, by full path
    with pytest.raises(
        FileNotFoundError, match=r"^Found no valid file for the classes ant, cat\. $"
    ):
        ImageFolder(root, is_valid_file=only_sub)


def test_dataset_folder_with_a_loader_and_its_argument_errors(tree, tmp_path):
    root, _ = tree
    texts = DatasetFolder(
        root, loader=lambda p: Path(p).read_text(), extensions=".txt", allow_empty=True
    )
    assert texts.classes == ["ant", "cat", "dog"] and texts.targets == [2]
    assert texts[0] == ("not an image", 2) and texts.extensions == ".txt"
    with pytest.raises(
        FileNotFoundError, match=r"classes ant, cat\. Supported extensions are: \.txt$"
    ):
        DatasetFolder(root, loader=open, extensions=".txt")
    both = "Both extensions and is_valid_file cannot be None or not None at the same time"
    with pytest.raises(ValueError, match=both):
        DatasetFolder(root, loader=open)
    with pytest.raises(ValueError, match=both):
        DatasetFolder(root, loader=open, extensions=".txt", is_valid_file=bool)
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match=r"^Couldn't find any class folder in .*empty\.$"):
        ImageFolder(tmp_path / "empty")
    with pytest.raises(FileNotFoundError):
        ImageFolder(tmp_path / "missing")
    with pytest.raises(ValueError, match="'class_to_index' must have at least one entry"):
        folder.make_dataset(root, {}, extensions=".png")
    with pytest.raises(ValueError, match="The class_to_idx parameter cannot be None."):
        DatasetFolder.make_dataset(root, None, extensions=".png")


def test_folder_functions_and_an_overridden_find_classes(tree):
    root, _ = tree
    assert folder.find_classes(root) == (["ant", "cat", "dog"], {"ant": 0, "cat": 1, "dog": 2})
    assert folder.make_dataset(str(root), {"dog": 0}, extensions=("b.png",)) == [
        (os.path.join(str(root), "dog", "B.png"), 0)
    ]
    assert folder.is_image_file("X.TIFF") and not folder.is_image_file("x.gif")
    assert folder.has_file_allowed_extension("a.Txt", ".txt")

    class DogsOnly(ImageFolder):
        def find_classes(self, directory):
            return ["dog"], {"dog": 0}

    dogs = DogsOnly(root)
    assert dogs.classes == ["dog"] and dogs.targets == [0, 0, 0, 0]
    image = folder.default_loader(dogs.samples[2][0])
    assert image.mode == "RGB" and image.size == (5, 5)


def test_image_folder_feeds_a_data_loader(tree):
    root, images = tree
    (root / "ant").rename(root / "ant.not-a-class")  # a folder is a class whatever its name
    os.remove(root / "ant.not-a-class" / "readme.md")
    Image.fromarray(images[str(root / "cat" / "z.png")]).save(root / "ant.not-a-class" / "x.png")
    dataset = ImageFolder(root, transform=lambda image: np.asarray(image)[:2, :2])
    assert dataset.classes == ["ant.not-a-class", "cat", "dog"]
    batches = list(DataLoader(dataset, batch_size=3, num_workers=2))
    assert [tuple(images.shape) for images, _ in batches] == [(3, 2, 2, 3)] * 2 + [(1, 2, 2, 3)]
    first = xpnet.to_numpy(batches[0][0])
    assert first.dtype == np.uint8
    np.testing.assert_array_equal(first[0], images[str(root / "cat" / "z.png")][:2, :2])
    labels = np.concatenate([xpnet.to_numpy(labels) for _, labels in batches])
    assert labels.tolist() == dataset.targets == [0, 1, 1, 2, 2, 2, 2]
    tensors = ImageFolder(root, transform=transforms.ToTensor())
    images_read = [np.asarray(folder.default_loader(path)) for path, _ in tensors.samples]
    images, labels = next(iter(DataLoader(tensors, batch_size=1, shuffle=False)))
    assert images.shape == (1, 3, 4, 5) and images.dtype == np.float32
    np.testing.assert_allclose(
        images.numpy()[0], images_read[0].transpose(2, 0, 1) / np.float32(255)
    )


# ----------------------------------------------------------------------------- CIFAR


def cifar_files(count: int, classes: list, fine: bool, seed: int) -> tuple[bytes, np.ndarray, list]:
    """One pickled batch in CIFAR's layout: rows of 3072 bytes, the R, G then B planes."""
    images = pixels(seed, (count, 32, 32, 3))
    labels = [int(v) for v in np.random.default_rng(seed).integers(0, len(classes), count)]
    entry = {
        "batch_label": f"batch {seed}",
        "data": images.transpose(0, 3, 1, 2).reshape(count, -1),
    }
    entry["filenames"] = [f"image_{i}.png" for i in range(count)]
    if fine:
        entry.update(fine_labels=labels, coarse_labels=[label // 5 for label in labels])
    else:
        entry["labels"] = labels
    return pickle.dumps(entry, protocol=2), images, labels


def make_cifar(kind, classes):
    """``{file name: bytes}``, the images and labels per split, for the class ``kind``."""
    fine = kind is CIFAR100
    files, split = {}, {"train": ([], []), "test": ([], [])}
    for seed, (name, _) in enumerate(kind.train_list + kind.test_list):
        files[name], images, labels = cifar_files(3 + seed % 2, classes, fine, seed)
        which = split["train" if [name, _] in kind.train_list else "test"]
        which[0].append(images)
        which[1].extend(labels)
    meta = {kind.meta["key"]: classes, "num_cases_per_batch": 3}
    files[kind.meta["filename"]] = pickle.dumps(meta, protocol=2)
    return files, {k: (np.concatenate(v[0]), v[1]) for k, v in split.items()}


def tar_gz(folder_name: str, files: dict) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(f"{folder_name}/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


@pytest.fixture(params=[CIFAR10, CIFAR100], ids=["CIFAR10", "CIFAR100"])
def cifar(request, monkeypatch):
    """``(kind, files, splits, archive)``, with the kind's MD5s patched to those files'."""
    kind = request.param
    classes = [f"class {i}" for i in range(10 if kind is CIFAR10 else 100)]
    files, splits = make_cifar(kind, classes)
    monkeypatch.setattr(kind, "train_list", [[n, md5(files[n])] for n, _ in kind.train_list])
    monkeypatch.setattr(kind, "test_list", [[n, md5(files[n])] for n, _ in kind.test_list])
    meta = dict(kind.meta, md5=md5(files[kind.meta["filename"]]))
    monkeypatch.setattr(kind, "meta", meta)
    archive = tar_gz(kind.base_folder, files)
    monkeypatch.setattr(kind, "tgz_md5", md5(archive))
    kind.classes_written = classes
    return kind, files, splits, archive


def write_batches(root, kind, files):
    (root / kind.base_folder).mkdir(parents=True)
    for name, data in files.items():
        (root / kind.base_folder / name).write_bytes(data)


def test_cifar_reads_the_batches_as_torchvision(cifar, tmp_path):
    kind, files, splits, _ = cifar
    write_batches(tmp_path, kind, files)
    for train, split in ((True, "train"), (False, "test")):
        dataset = kind(str(tmp_path), train=train)
        images, labels = splits[split]
        assert dataset.data.shape == (len(labels), 32, 32, 3) and dataset.data.dtype == np.uint8
        np.testing.assert_array_equal(dataset.data, images)
        assert dataset.targets == labels and isinstance(dataset.targets, list)
        assert len(dataset) == len(labels) and dataset.classes == kind.classes_written
        assert dataset.class_to_idx == {name: i for i, name in enumerate(kind.classes_written)}
        image, target = dataset[1]
        assert isinstance(image, Image.Image) and image.mode == "RGB" and image.size == (32, 32)
        np.testing.assert_array_equal(np.asarray(image), images[1])
        assert target == labels[1] and type(target) is int
        # one pixel by hand: row 1 holds R (bytes 0..1023), G, then B planes, row-major
        row = pickle.loads(files[(kind.train_list if train else kind.test_list)[0][0]])["data"][1]
        assert np.asarray(image)[2, 5].tolist() == [row[69], row[1024 + 69], row[2048 + 69]]
        assert repr(dataset) == (
            f"Dataset {kind.__name__}\n    Number of datapoints: {len(labels)}\n"
            f"    Root location: {tmp_path}\n    Split: {'Train' if train else 'Test'}"
        )
    flipped = kind(
        tmp_path, False, transform=lambda im: np.asarray(im)[:, ::-1], target_transform=str
    )
    image, target = flipped[0]
    np.testing.assert_array_equal(image, splits["test"][0][0][:, ::-1])
    assert target == str(splits["test"][1][0])


def test_cifar_missing_or_corrupt_files_raise_torchvisions_error(cifar, tmp_path):
    kind, files, _, _ = cifar
    message = "^Dataset not found or corrupted. You can use download=True to download it"
    first = kind.train_list[0][0]
    with pytest.raises(RuntimeError, match=message + rf" \(.*{first} is missing\)$"):
        kind(tmp_path)
    write_batches(tmp_path, kind, files)
    last = kind.test_list[0][0]
    (tmp_path / kind.base_folder / last).write_bytes(b"changed")
    with pytest.raises(RuntimeError, match=message + rf" \(.*{last} has MD5 {md5(b'changed')}"):
        kind(tmp_path, train=True)  # every batch is checked, as torchvision does
    (tmp_path / kind.base_folder / last).write_bytes(files[last])
    (tmp_path / kind.base_folder / kind.meta["filename"]).unlink()
    with pytest.raises(RuntimeError, match="^Dataset metadata file not found or corrupted"):
        kind(tmp_path)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """``(base_url, folder, requests)``: serves ``folder``; ``requests`` lists every path."""
    root = tmp_path_factory.mktemp("mirror")
    with serving(root) as (base, requests):
        yield base, root, requests


def test_cifar_downloads_checks_extracts_then_reuses(cifar, server, tmp_path, monkeypatch):
    kind, _, splits, archive = cifar
    base, served, requests = server
    (served / kind.filename).write_bytes(archive)
    monkeypatch.setattr(kind, "url", f"{base}/{kind.filename}")
    root = tmp_path / "fresh" / "data"
    requests.clear()
    dataset = kind(root, train=False, download=True)
    assert requests == [f"/{kind.filename}"]
    assert sorted(os.listdir(root)) == sorted([kind.filename, kind.base_folder])  # no temporary
    np.testing.assert_array_equal(dataset.data, splits["test"][0])
    assert kind(root, download=True).targets == splits["train"][1] and len(requests) == 1
    for name in os.listdir(root / kind.base_folder):  # batches gone, archive kept: extract only
        os.remove(root / kind.base_folder / name)
    assert len(kind(root, download=True)) == len(splits["train"][1]) and len(requests) == 1


def test_a_corrupt_cifar_archive_is_one_clear_line(cifar, server, tmp_path, monkeypatch):
    kind, _, _, archive = cifar
    base, served, _ = server
    (served / "corrupt.tar.gz").write_bytes(archive[:-100])
    monkeypatch.setattr(kind, "url", f"{base}/corrupt.tar.gz")
    with pytest.raises(RuntimeError) as error:
        kind(tmp_path, download=True)
    message = str(error.value)
    assert "\n" not in message and message.startswith(
        f"{kind.__name__}.download: could not download {kind.filename} into {tmp_path} ("
    )
    assert f"MD5 {md5(archive[:-100])}, expected {kind.tgz_md5}" in message
    assert os.listdir(tmp_path) == []  # the bad copy is not kept
    monkeypatch.setattr(kind, "tgz_md5", md5(archive[:-100]))  # right MD5, unreadable tar.gz
    with pytest.raises(RuntimeError) as error:
        kind(tmp_path, download=True)
    message = str(error.value)
    archive_path = tmp_path / kind.filename
    assert "\n" not in message and message.startswith(
        f"{kind.__name__}: cannot extract {archive_path} ("
    )
    assert message.endswith("); delete it and download it again")


# ----------------------------------------------------------------------------- the MNISTs


def idx_gz(array: np.ndarray, magic: int) -> bytes:
    header = magic.to_bytes(4, "big") + b"".join(d.to_bytes(4, "big") for d in array.shape)
    return gzip.compress(header + array.tobytes(), mtime=0)


@pytest.mark.parametrize("kind", [FashionMNIST, KMNIST])
def test_fashion_and_kmnist_download_their_files_into_their_folder(
    kind, server, tmp_path, monkeypatch
):
    base, served, requests = server
    images, labels = pixels(3, (5, 28, 28)), np.array([3, 1, 4, 1, 5], dtype=np.uint8)
    data = {
        "t10k-images-idx3-ubyte.gz": idx_gz(images, 2051),
        "t10k-labels-idx1-ubyte.gz": idx_gz(labels, 2049),
    }
    (served / kind.__name__).mkdir(exist_ok=True)
    for name, content in data.items():
        (served / kind.__name__ / name).write_bytes(content)
    resources = [(n, md5(data[n]) if n in data else m) for n, m in kind.resources]
    monkeypatch.setattr(kind, "resources", resources)
    monkeypatch.setattr(kind, "mirrors", [f"{base}/{kind.__name__}/"])
    requests.clear()
    dataset = kind(tmp_path, train=False, download=True)
    assert sorted(requests) == sorted(f"/{kind.__name__}/{name}" for name in data)
    assert sorted(os.listdir(tmp_path / kind.__name__ / "raw")) == sorted(data)
    np.testing.assert_array_equal(dataset.data, images)
    assert dataset.targets.tolist() == labels.tolist() and len(dataset) == 5
    image, target = dataset[2]  # as torchvision's MNIST: a PIL L image, an int
    assert image.mode == "L"
    np.testing.assert_array_equal(np.asarray(image), images[2])
    assert target == 4 and type(target) is int
    assert dataset.class_to_idx[kind.classes[4]] == 4 and len(kind.classes) == 10
    assert repr(dataset) == (
        f"Dataset {kind.__name__}\n    Number of datapoints: 5\n"
        f"    Root location: {tmp_path}\n    Split: Test"
    )
    with pytest.raises(
        RuntimeError, match=r"^Dataset not found\. .*train-images-idx3-ubyte.gz is missing"
    ):
        kind(tmp_path)
    train = {
        "train-images-idx3-ubyte.gz": idx_gz(images[:2], 2051),
        "train-labels-idx1-ubyte.gz": idx_gz(labels[:2], 2049),
    }
    for name, content in train.items():
        (served / kind.__name__ / name).write_bytes(content)
    every = {**data, **train}
    monkeypatch.setattr(kind, "resources", [(n, md5(every[n])) for n, _ in kind.resources])
    requests.clear()
    dataset.download()  # torchvision's method: the files of both splits that are missing
    assert sorted(requests) == sorted(f"/{kind.__name__}/{name}" for name in train)
    assert len(kind(tmp_path)) == 2 and kind(tmp_path).processed_folder.endswith("processed")
    monkeypatch.setattr(kind, "resources", [(n, "0" * 32) for n, _ in kind.resources])
    with pytest.raises(
        RuntimeError, match=r"could not download t10k-images.*MD5 [0-9a-f]{32}, expected 0{32}"
    ):
        kind(tmp_path / "other", train=False, download=True)


def test_the_mnist_variants_carry_torchvisions_metadata():
    assert FashionMNIST.classes == [
        "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
        "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
    ]  # fmt: skip
    assert KMNIST.classes == ["o", "ki", "su", "tsu", "na", "ha", "ma", "ya", "re", "wo"]
    assert FashionMNIST.resources[0] == (
        "train-images-idx3-ubyte.gz",
        "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
    )
    assert KMNIST.resources[3] == ("t10k-labels-idx1-ubyte.gz", "7320c461ea6c1c855c0b718fb2a4b134")
    assert KMNIST.mirrors == ["http://codh.rois.ac.jp/kmnist/dataset/kmnist/"]
    assert CIFAR10.tgz_md5 == "c58f30108f718f92721af3b95e74349a"
    assert CIFAR100.url == "https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz"


# ----------------------------------------------------------------------------- FakeData


def test_fake_data_is_a_random_pil_image_fixed_per_index():
    data = FakeData(size=6, image_size=(3, 5, 7), num_classes=4, random_offset=10)
    assert len(data) == 6 and repr(data) == "Dataset FakeData\n    Number of datapoints: 6"
    for index in range(6):
        image, target = data[index]
        assert isinstance(image, Image.Image) and image.mode == "RGB" and image.size == (7, 5)
        assert type(target) is int and 0 <= target < 4
        # the values times 255 cast to uint8 as torch's .byte() (ToPILImage) does
        values = np.random.default_rng(index + 10).standard_normal((3, 5, 7), dtype=np.float32)
        expected = torch.from_numpy(values).mul(255).byte().permute(1, 2, 0).numpy()
        np.testing.assert_array_equal(np.asarray(image), expected)
        again, same = data[index]
        assert np.array_equal(np.asarray(again), np.asarray(image)) and same == target
    shifted = FakeData(size=6, image_size=(3, 5, 7), num_classes=4, random_offset=11)
    np.testing.assert_array_equal(np.asarray(shifted[0][0]), np.asarray(data[1][0]))
    modes = {(1, 4, 4): "L", (2, 4, 4): "LA", (4, 4, 4): "RGBA", (4, 6): "L"}
    for shape, mode in modes.items():
        assert FakeData(2, image_size=shape)[0][0].mode == mode
    with pytest.raises(IndexError, match="FakeData index out of range"):
        data[6]
    with pytest.raises(ValueError, match=r"FakeData: image_size must be .*got \(5, 4, 4\)"):
        FakeData(2, image_size=(5, 4, 4))[0]


def test_fake_data_with_transforms_and_its_repr():
    data = FakeData(4, (1, 3, 3), 2, transform=MultiLine(), target_transform=lambda t: t + 10)
    assert data[0][1] >= 10
    transform_repr = "StandardTransform\nTransform: MultiLine(\n               first\n           )"
    target_repr = repr(data.target_transform)
    assert repr(data) == (
        "Dataset FakeData\n    Number of datapoints: 4\n    "
        + transform_repr
        + f"\nTarget transform: {target_repr}"
    )
    pairs = VisionDataset("~/x", transforms=lambda x, y: (y, x))
    assert pairs.root == os.path.expanduser("~/x") and pairs.transforms(1, 2) == (2, 1)
    with pytest.raises(ValueError, match="Only transforms or transform/target_transform"):
        VisionDataset(transforms=print, transform=print)


def test_pillow_is_imported_only_when_needed(monkeypatch):
    code = (
        "import sys; sys.modules['PIL'] = None; import xpnet, xpnet.data\n"
        "try:\n    xpnet.data.FakeData(1)[0]\nexcept ImportError as error:\n    print(error)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "the image datasets need Pillow: pip install Pillow"
    monkeypatch.setitem(sys.modules, "PIL", None)
    with pytest.raises(ImportError, match="need Pillow"):
        pil_image_module()


def test_ported_scripts_find_them_under_datasets_as_mnist():
    from xpnet.data import datasets

    for kind in (CIFAR10, CIFAR100, DatasetFolder, FakeData, FashionMNIST, ImageFolder, KMNIST):
        assert (
            getattr(datasets, kind.__name__) is kind
            and issubclass(kind, VisionDataset)
            or (kind in (FashionMNIST, KMNIST) and issubclass(kind, datasets.MNIST))
        )
    assert datasets.VisionDataset is VisionDataset
