"""torchvision's EMNIST, QMNIST, USPS, SEMEION and SVHN (xpnet.data) on small fake files in
their on-disk formats, written here: IDX files (gzipped, in a zip, or xz), a bz2 libsvm file,
a text table and a MATLAB .mat file. The expected arrays are derived here from the bytes
written, as torchvision's code reads them (tests/test_datasets_torchvision*.py compare with
torchvision itself); downloads come from a local HTTP server on 127.0.0.1, with the expected
MD5s computed here and patched in."""

from __future__ import annotations

import bz2
import gzip
import hashlib
import io
import lzma
import os
import string
import sys
import zipfile

import numpy as np
import pytest
import scipy.io
import torch
from _http_mirror import serving
from PIL import Image

import xpnet
from xpnet.data import EMNIST, QMNIST, SEMEION, SVHN, USPS, DataLoader, transforms
from xpnet.data._idx import parse_idx

NOT_FOUND = "^Dataset not found. You can use download=True to download it"
CORRUPTED = "^Dataset not found or corrupted. You can use download=True to download it"


def md5(data: bytes) -> str:
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


def pixels(seed: int, shape) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, size=shape, dtype=np.uint8)


def idx(array: np.ndarray) -> bytes:
    """IDX bytes: 0, 0, the type code, ndim, the big-endian dims, the big-endian values."""
    code = {np.dtype(np.uint8): 8, np.dtype(np.int32): 12}[array.dtype]
    dims = b"".join(d.to_bytes(4, "big") for d in array.shape)
    return (
        bytes([0, 0, code, array.ndim])
        + dims
        + array.astype(array.dtype.newbyteorder(">")).tobytes()
    )


def as_read(data: bytes, offset: int, shape, dtype=">u1") -> np.ndarray:
    """What torchvision's ``read_sn3_pascalvincent_tensor`` gives: the values after the header."""
    return np.frombuffer(data, dtype=dtype, offset=offset).reshape(shape).astype(dtype[1:])


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """``(base_url, folder, requests)``: serves ``folder``; ``requests`` lists every path."""
    root = tmp_path_factory.mktemp("mirror")
    with serving(root) as (base, requests):
        yield base, root, requests


def serve(server, name: str, data: bytes) -> str:
    base, folder, requests = server
    (folder / name).write_bytes(data)
    requests.clear()
    return f"{base}/{name}"


# ----------------------------------------------------------------------------- EMNIST


def emnist_zip() -> tuple[bytes, dict]:
    """torchvision's gzip.zip layout: ``gzip/emnist-<split>-<part>-...-ubyte.gz`` and a mapping
    file; returns the archive and ``{(split, part): (images bytes, labels bytes)}``."""
    buffer, raw = io.BytesIO(), {}
    with zipfile.ZipFile(buffer, "w") as archive:
        for seed, (split, part) in enumerate([("letters", "train"), ("letters", "test")]):
            images = idx(pixels(seed, (4 + seed, 28, 28)))
            labels = idx(np.arange(1, 5 + seed, dtype=np.uint8) * 5)  # letters: 1..26
            raw[split, part] = images, labels
            for kind, data in (("images-idx3", images), ("labels-idx1", labels)):
                archive.writestr(f"gzip/emnist-{split}-{part}-{kind}-ubyte.gz", gzip.compress(data))
        archive.writestr("gzip/emnist-letters-mapping.txt", "1 65 97\n")
        digits = idx(pixels(9, (2, 28, 28)))
        raw["digits", "test"] = digits, idx(np.array([7, 0], dtype=np.uint8))
        archive.writestr("gzip/emnist-digits-test-images-idx3-ubyte.gz", gzip.compress(digits))
        archive.writestr(
            "gzip/emnist-digits-test-labels-idx1-ubyte.gz", gzip.compress(raw["digits", "test"][1])
        )
    return buffer.getvalue(), raw


def test_emnist_downloads_extracts_and_reads_as_torchvision(server, tmp_path, monkeypatch):
    archive, raw = emnist_zip()
    monkeypatch.setattr(EMNIST, "url", serve(server, "gzip.zip", archive))
    monkeypatch.setattr(EMNIST, "md5", md5(archive))
    dataset = EMNIST(tmp_path, "letters", train=False, download=True)
    assert server[2] == ["/gzip.zip"]
    folder = tmp_path / "EMNIST" / "raw"
    names = [f"emnist-{s}-{p}-{k}-ubyte" for s, p in raw for k in ("images-idx3", "labels-idx1")]
    assert sorted(os.listdir(folder)) == sorted(["gzip.zip", *names])  # no gzip/, no temporary
    images, labels = raw["letters", "test"]
    # stored transposed, and kept so, as torchvision keeps them
    np.testing.assert_array_equal(dataset.data, as_read(images, 16, (5, 28, 28)))
    assert dataset.data.dtype == np.uint8 and dataset.targets.dtype == np.int64
    assert dataset.targets.tolist() == [5, 10, 15, 20, 25] == list(labels[8:])
    assert dataset.classes == ["N/A", *string.ascii_lowercase] and len(dataset) == 5
    assert dataset.class_to_idx["e"] == 5
    image, target = dataset[1]  # as xpnet's MNIST: a uint8 array, an int
    np.testing.assert_array_equal(image, as_read(images, 16, (5, 28, 28))[1])
    assert target == 10 and type(target) is int
    assert repr(dataset) == (
        f"Dataset EMNIST\n    Number of datapoints: 5\n    Root location: {tmp_path}\n"
        "    Split: Test"
    )
    again = EMNIST(str(tmp_path), "letters", download=True)  # train: extracted already
    digits = EMNIST(tmp_path, "digits", train=False, download=True)
    assert server[2] == ["/gzip.zip"] and len(again) == 4 and digits.targets.tolist() == [7, 0]
    assert digits.classes == list("0123456789")
    batch = digits.get_batch(np.array([1, 0]))
    np.testing.assert_array_equal(batch[0], digits.data[[1, 0]])
    assert batch[1].tolist() == [0, 7]


def test_emnist_classes_splits_and_errors(server, tmp_path, monkeypatch):
    merged = set("cijklmopsuvwxyz")  # torchvision's: letters written alike in both cases
    upper = [*string.digits, *string.ascii_uppercase]
    assert EMNIST.classes_split_dict["byclass"] == [*upper, *string.ascii_lowercase]
    assert EMNIST.classes_split_dict["balanced"] == [*upper, *"abdefghnqrt"]
    assert EMNIST.classes_split_dict["bymerge"] == EMNIST.classes_split_dict["balanced"]
    assert not merged & set(EMNIST.classes_split_dict["bymerge"])
    assert EMNIST.url == "https://biometrics.nist.gov/cs_links/EMNIST/gzip.zip"  # NIST's current
    assert EMNIST.md5 == "58c8d27c78d21e728a6bc7b3cc06412e"
    choices = r"\{'byclass', 'bymerge', 'balanced', 'letters', 'digits', 'mnist'\}\.$"
    with pytest.raises(
        ValueError,
        match=r"^Unknown value 'letter' for argument split\. " + "Valid values are " + choices,
    ):
        EMNIST(tmp_path, "letter")
    with pytest.raises(RuntimeError, match=NOT_FOUND + r" \(.*emnist-mnist-train-images-idx3"):
        EMNIST(tmp_path, "mnist")
    archive, _ = emnist_zip()
    monkeypatch.setattr(EMNIST, "url", serve(server, "bad.zip", archive[:-30]))
    monkeypatch.setattr(EMNIST, "md5", md5(archive))
    with pytest.raises(RuntimeError, match=r"could not download gzip\.zip .*MD5 [0-9a-f]{32}"):
        EMNIST(tmp_path, "letters", download=True)
    monkeypatch.setattr(EMNIST, "md5", md5(archive[:-30]))  # the right MD5 of a broken zip
    with pytest.raises(RuntimeError, match=r"EMNIST: cannot extract .*gzip\.zip .*download it"):
        EMNIST(tmp_path, "letters", download=True)


# ----------------------------------------------------------------------------- QMNIST


@pytest.fixture(scope="module")
def qmnist_files():
    """QMNIST's test files with 10,003 images (image i holds i in its first two pixels) and
    labels of 8 int32 columns (negative and > 255 values, to see the byte order)."""
    count = 10_003
    images = np.zeros((count, 28, 28), dtype=np.uint8)
    images[:, 0, 0], images[:, 0, 1] = np.arange(count) % 256, np.arange(count) // 256
    labels = np.zeros((count, 8), dtype=np.int32)
    labels[:, 0], labels[:, 1], labels[:, 7] = np.arange(count) % 10, np.arange(count), -3
    return {"images": idx(images), "labels": idx(labels)}


def test_qmnist_subsets_compat_and_download(qmnist_files, server, tmp_path, monkeypatch):
    data = {"qmnist-test-images-idx3-ubyte.gz": gzip.compress(qmnist_files["images"])}
    data["qmnist-test-labels-idx2-int.gz"] = gzip.compress(qmnist_files["labels"])
    urls = [(serve(server, name, blob), md5(blob)) for name, blob in data.items()]
    monkeypatch.setitem(QMNIST.resources, "test", urls)
    dataset = QMNIST(tmp_path, train=False, download=True)  # what=None: "test"
    assert sorted(server[2]) == sorted(f"/{name}" for name in data)
    folder = tmp_path / "QMNIST" / "raw"
    assert sorted(os.listdir(folder)) == sorted([*data, *(n.removesuffix(".gz") for n in data)])
    images = as_read(qmnist_files["images"], 16, (10_003, 28, 28))
    labels = as_read(qmnist_files["labels"], 12, (10_003, 8), ">i4").astype(np.int64)
    np.testing.assert_array_equal(dataset.data, images)
    assert dataset.targets.dtype == np.int64 and dataset.targets.shape == (10_003, 8)
    np.testing.assert_array_equal(dataset.targets, labels)
    assert labels[300, 1] == 300 and labels[0, 7] == -3
    image, target = dataset[10_002]
    assert target == 2 and type(target) is int and image.mode == "L"
    assert np.asarray(image)[0, :2].tolist() == [10_002 % 256, 39]
    assert dataset.get_batch(np.array([3, 4]))[1].tolist() == [3, 4]
    assert repr(dataset).endswith("Split: test") and dataset.classes[0] == "0 - zero"
    server[2].clear()
    tail = QMNIST(tmp_path, what="test50k", compat=False, download=True)
    first = QMNIST(tmp_path, what="test10k", train=True, target_transform=lambda t: t + 1)
    assert server[2] == [] and len(tail) == 3 and len(first) == 10_000
    np.testing.assert_array_equal(tail.data, images[10_000:])
    row = tail[1][1]
    assert row.dtype == np.int64 and row.tolist() == labels[10_001].tolist()
    assert tail.get_batch(np.array([2]))[1].tolist() == [labels[10_002].tolist()]
    assert first[9_999][1] == 10 and "Split: test10k" in repr(first)
    np.testing.assert_array_equal(first.targets, labels[:10_000])


def test_qmnist_nist_is_xz_and_errors(server, tmp_path, monkeypatch):
    images, labels = idx(pixels(4, (3, 28, 28))), idx(np.arange(24, dtype=np.int32).reshape(3, 8))
    blobs = {"xnist-images-idx3-ubyte.xz": lzma.compress(images)}
    blobs["xnist-labels-idx2-int.xz"] = lzma.compress(labels)
    monkeypatch.setitem(
        QMNIST.resources, "nist", [(serve(server, n, b), md5(b)) for n, b in blobs.items()]
    )
    nist = QMNIST(tmp_path, what="nist", download=True)
    np.testing.assert_array_equal(nist.data, as_read(images, 16, (3, 28, 28)))
    assert nist.targets[:, 0].tolist() == [0, 8, 16] and nist[2][1] == 16
    with pytest.raises(ValueError, match=r"^Unknown value 'train10k' for argument what"):
        QMNIST(tmp_path, what="train10k")
    with pytest.raises(RuntimeError, match=NOT_FOUND + r" \(.*qmnist-train-images-idx3-ubyte"):
        QMNIST(tmp_path)
    (tmp_path / "QMNIST" / "raw" / "xnist-labels-idx2-int").write_bytes(labels[:-4])
    with pytest.raises(ValueError, match=r"idx2-int is truncated: 104 bytes, expected 108"):
        QMNIST(tmp_path, what="nist")
    (tmp_path / "QMNIST" / "raw" / "xnist-labels-idx2-int").write_bytes(images)
    with pytest.raises(ValueError, match=r"xnist-labels-idx2-int must hold a 2-d array"):
        QMNIST(tmp_path, what="nist")


def test_parse_idx_reads_every_type_big_endian():
    header = bytes([0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 1])  # the type code goes in byte 2
    cases = {14: (">f8", [-2.5, 1e300]), 13: (">f4", [0.25, -(2.0**100)]), 12: (">i4", [-70000, 1])}
    cases |= {11: (">i2", [-300, 513]), 9: (">i1", [-128, 127]), 8: (">u1", [255, 0])}
    for code, (dtype, values) in cases.items():
        data = header[:2] + bytes([code]) + header[3:] + np.array(values, dtype).tobytes()
        parsed = parse_idx(data)
        assert parsed.dtype == np.dtype(dtype[1:]) and parsed.shape == (2, 1)
        assert parsed[:, 0].tolist() == values
    with pytest.raises(ValueError, match=r"<bytes> is not an IDX file: .*got \[0, 0, 10, 1\]"):
        parse_idx(bytes([0, 0, 10, 1, 0, 0, 0, 0]))


# ----------------------------------------------------------------------------- USPS


def usps_file(labels, values) -> bytes:
    """libsvm lines as USPS's: ``label 1:v 2:v ... 256:v``, values in [-1, 1]."""
    lines = []
    for label, row in zip(labels, values, strict=True):
        lines.append(f"{label} " + " ".join(f"{i + 1}:{v:.6g}" for i, v in enumerate(row)) + " \n")
    return bz2.compress("".join(lines).encode())


def test_usps_reads_and_downloads_as_torchvision(server, tmp_path, monkeypatch):
    values = np.random.default_rng(0).uniform(-1, 1, (3, 256)).round(6)
    values[0, :4] = [-1, 1, 0, 0.999999]
    blob = usps_file([10, 1, 4], values)
    url = serve(server, "usps.t.bz2", blob)
    monkeypatch.setitem(USPS.split_list, "test", [url, "usps.t.bz2", md5(blob)])
    dataset = USPS(tmp_path, train=False, download=True, target_transform=lambda t: -t)
    assert server[2] == ["/usps.t.bz2"] and os.listdir(tmp_path) == ["usps.t.bz2"]
    # torchvision: float32 values, (v + 1) / 2 * 255, cast to uint8; here in torch
    text = bz2.decompress(blob).decode().split()
    floats = [float(item.split(":")[1]) for item in text if ":" in item]
    expected = ((torch.tensor(floats, dtype=torch.float32) + 1) / 2 * 255).to(torch.uint8)
    np.testing.assert_array_equal(dataset.data, expected.reshape(3, 16, 16).numpy())
    assert dataset.data[0, 0, :4].tolist() == [0, 255, 127, 254]
    assert dataset.targets == [9, 0, 3] and len(dataset) == 3
    image, target = dataset[2]
    assert isinstance(image, Image.Image) and image.mode == "L" and image.size == (16, 16)
    np.testing.assert_array_equal(np.asarray(image), dataset.data[2])
    assert target == -3
    head = f"Dataset USPS\n    Number of datapoints: 3\n    Root location: {tmp_path}\n"
    assert repr(dataset).startswith(head + "    StandardTransform\nTarget transform: <function")
    (tmp_path / "usps.t.bz2").write_bytes(usps_file([2], values[:1]))  # another MD5
    assert USPS(tmp_path, train=False, download=True).targets == [1]
    assert server[2] == ["/usps.t.bz2"]  # a file there is kept, unchecked, as torchvision does
    with pytest.raises(FileNotFoundError, match=NOT_FOUND + r" \(.*usps\.bz2 is missing\)"):
        USPS(tmp_path)
    (tmp_path / "usps.bz2").write_bytes(bz2.compress(b"3 1:0.5 2:0.5\n"))
    with pytest.raises(ValueError, match=r"usps\.bz2 line 1 must hold a label and 256 values"):
        USPS(tmp_path)


# ----------------------------------------------------------------------------- SEMEION


def semeion_file(images: np.ndarray, labels) -> bytes:
    """semeion.data's lines: 256 pixels as ``1.0000``/``0.0000``, then the one-hot digit."""
    one_hot = np.eye(10, dtype=int)[labels]
    lines = []
    for image, hot in zip(images, one_hot, strict=True):
        lines.append(" ".join([*(f"{p:.4f}" for p in image.ravel()), *map(str, hot)]) + " \n")
    return "".join(lines).encode()


def test_semeion_downloads_by_default_and_reads_as_torchvision(server, tmp_path, monkeypatch):
    images = np.random.default_rng(1).integers(0, 2, (4, 16, 16))
    blob = semeion_file(images, [3, 0, 9, 3])
    monkeypatch.setattr(SEMEION, "url", serve(server, "semeion.data", blob))
    monkeypatch.setattr(SEMEION, "md5_checksum", md5(blob))
    dataset = SEMEION(tmp_path)  # download=True by default, as torchvision's
    assert server[2] == ["/semeion.data"]
    table = np.array([line.split() for line in blob.decode().splitlines()], dtype=float)
    expected = (table[:, :256] * 255).astype(np.uint8).reshape(4, 16, 16)  # torchvision's
    np.testing.assert_array_equal(dataset.data, expected)
    assert set(np.unique(dataset.data)) <= {0, 255} and dataset.data.dtype == np.uint8
    assert dataset.labels.tolist() == [3, 0, 9, 3] and dataset.labels.dtype == np.int64
    image, target = dataset[2]
    assert image.mode == "L" and np.array_equal(np.asarray(image), images[2] * 255)
    assert target == 9 and type(target) is int
    assert repr(dataset) == (
        f"Dataset SEMEION\n    Number of datapoints: 4\n    Root location: {tmp_path}"
    )
    SEMEION(tmp_path)
    assert server[2] == ["/semeion.data"]  # there with the right MD5: not fetched again
    with pytest.raises(RuntimeError, match=CORRUPTED + r" \(.*semeion\.data is missing\)"):
        SEMEION(tmp_path / "empty", download=False)
    (tmp_path / "semeion.data").write_bytes(blob[:-3])
    with pytest.raises(RuntimeError, match=CORRUPTED + rf" \(.* has MD5 {md5(blob[:-3])}"):
        SEMEION(tmp_path, download=False)
    two_hot = semeion_file(images[:1], [3]).replace(b" 0 0 0 1", b" 0 0 1 1")
    (tmp_path / "semeion.data").write_bytes(two_hot)
    monkeypatch.setattr(SEMEION, "md5_checksum", md5(two_hot))
    with pytest.raises(ValueError, match="last 10 columns of semeion.data must be one-hot"):
        SEMEION(tmp_path, download=False)


# ----------------------------------------------------------------------------- SVHN


def svhn_mat(count: int, seed: int) -> tuple[bytes, np.ndarray, np.ndarray]:
    """A .mat as SVHN's: X uint8 (32, 32, 3, N), y uint8 (N, 1) in 1..10 (10 is a 0)."""
    x, y = pixels(seed, (32, 32, 3, count)), np.array([[10], [3], [1], [10]][:count], np.uint8)
    buffer = io.BytesIO()
    scipy.io.savemat(buffer, {"X": x, "y": y})
    return buffer.getvalue(), x, y


def test_svhn_reads_and_downloads_as_torchvision(server, tmp_path, monkeypatch):
    blob, x, y = svhn_mat(4, 5)
    url = serve(server, "test_32x32.mat", blob)
    monkeypatch.setitem(SVHN.split_list, "test", [url, "test_32x32.mat", md5(blob)])
    dataset = SVHN(tmp_path, split="test", download=True)
    assert server[2] == ["/test_32x32.mat"] and os.listdir(tmp_path) == ["test_32x32.mat"]
    assert dataset.data.shape == (4, 3, 32, 32) and dataset.data.dtype == np.uint8
    assert dataset.data[2, 1, 5, 7] == x[5, 7, 1, 2]  # data[n, c, h, w] is X[h, w, c, n]
    np.testing.assert_array_equal(dataset.data, torch.from_numpy(x).permute(3, 2, 0, 1).numpy())
    assert dataset.labels.tolist() == [0, 3, 1, 0] and dataset.labels.dtype == np.int64
    image, target = dataset[1]
    assert isinstance(image, Image.Image) and image.mode == "RGB" and image.size == (32, 32)
    np.testing.assert_array_equal(np.asarray(image), x[:, :, :, 1])
    assert target == 3 and type(target) is int
    assert repr(dataset) == (
        f"Dataset SVHN\n    Number of datapoints: 4\n    Root location: {tmp_path}\n    Split: test"
    )
    SVHN(tmp_path, "test", download=True)
    assert server[2] == ["/test_32x32.mat"]
    with pytest.raises(RuntimeError, match=CORRUPTED + r" \(.*train_32x32\.mat is missing\)"):
        SVHN(tmp_path)
    choices = r"Valid values are \{'train', 'test', 'extra'\}\.$"
    with pytest.raises(ValueError, match=r"^Unknown value 'valid' for argument split\. " + choices):
        SVHN(tmp_path, "valid")
    monkeypatch.setitem(SVHN.split_list, "test", [url, "test_32x32.mat", "0" * 32])
    with pytest.raises(RuntimeError, match=r"SVHN\.download: could not download test_32x32"):
        SVHN(tmp_path / "new", "test", download=True)
    assert os.listdir(tmp_path / "new") == []  # the wrong copy is not kept


def test_svhn_without_scipy_says_how_to_install_it(tmp_path, monkeypatch):
    blob, _, _ = svhn_mat(2, 0)
    (tmp_path / "extra_32x32.mat").write_bytes(blob)
    monkeypatch.setitem(SVHN.split_list, "extra", ["", "extra_32x32.mat", md5(blob)])
    monkeypatch.setitem(sys.modules, "scipy.io", None)
    with pytest.raises(ImportError, match=r"SVHN needs SciPy .*: pip install scipy"):
        SVHN(tmp_path, "extra")


# ----------------------------------------------------------------------------- batches


def test_the_new_datasets_feed_a_loader_on_the_backend(backend, tmp_path, monkeypatch):
    blob, x, _ = svhn_mat(4, 2)
    (tmp_path / "train_32x32.mat").write_bytes(blob)
    monkeypatch.setitem(SVHN.split_list, "train", ["", "train_32x32.mat", md5(blob)])
    svhn = SVHN(tmp_path, transform=transforms.ToTensor())
    images, labels = next(iter(DataLoader(svhn, batch_size=3)))
    assert images.shape == (3, 3, 32, 32) and images.dtype == np.float32
    expected = x[:, :, :, :3].transpose(3, 2, 0, 1) / np.float32(255)
    np.testing.assert_allclose(xpnet.to_numpy(images), expected, rtol=1e-6)
    assert xpnet.to_numpy(labels).tolist() == [0, 3, 1]
