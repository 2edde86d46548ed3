"""MNIST downloads (xpnet.data.MNIST, download_mnist, ``xpnet train --download``) from a local
HTTP server on 127.0.0.1 that serves the real test split from ../shared/data/mnist: no
internet is used; the tests skip when that folder is absent."""

from __future__ import annotations

import http.server
import shutil
from pathlib import Path

import numpy as np
import pytest
from _http_mirror import QuietHandler, serving

from xpnet import cli
from xpnet.data import MNIST, DataLoader, download_mnist, load_mnist, transforms
from xpnet.data import mnist as mnist_module

SHARED = Path(__file__).parents[2] / "shared/data/mnist"
TEST_FILES = ["t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"]
pytestmark = pytest.mark.skipif(not SHARED.is_dir(), reason=f"MNIST not found at {SHARED}")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """``(base_url, requests)``: ``/good/`` serves the test split, ``/corrupt/`` the same
    names with other bytes; ``requests`` lists every path asked for."""
    root = tmp_path_factory.mktemp("mirror")
    (root / "good").mkdir()
    (root / "corrupt").mkdir()
    for name in TEST_FILES:
        shutil.copy(SHARED / name, root / "good" / name)
        (root / "corrupt" / name).write_bytes(b"not the file you are looking for")
    with serving(root) as served:
        yield served


@pytest.fixture
def closed_port():
    """A URL on 127.0.0.1 where nothing listens: a connection is refused at once."""
    httpd = http.server.HTTPServer(("127.0.0.1", 0), QuietHandler)
    port = httpd.server_address[1]
    httpd.server_close()
    return f"http://127.0.0.1:{port}/"


def test_mnist_downloads_checks_and_then_reuses_the_files(tmp_path, server, closed_port):
    base, requests = server
    mirrors = [closed_port, f"{base}/corrupt/", f"{base}/good/"]  # the third one is right
    requests.clear()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(MNIST, "mirrors", mirrors)
        dataset = MNIST(tmp_path, train=False, download=True)
        assert sorted(requests) == sorted(
            f"/{m}/{n}" for m in ("corrupt", "good") for n in TEST_FILES
        )
        raw = tmp_path / "MNIST" / "raw"
        assert sorted(p.name for p in raw.iterdir()) == TEST_FILES  # no temporary files left
        requests.clear()
        again = MNIST(str(tmp_path), train=False, download=True)
        assert requests == []  # present files are not fetched again
    images, labels = load_mnist(SHARED)
    assert len(dataset) == len(again) == 10_000 and dataset.data.dtype == np.uint8
    np.testing.assert_array_equal(dataset.data.astype(np.float32) / 255.0, images[:, 0])
    np.testing.assert_array_equal(dataset.targets, labels)
    counts = np.bincount(dataset.targets, minlength=10).tolist()
    assert counts == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]  # the README's
    image, target = dataset[0]
    assert image.mode == "L" and image.size == (28, 28)
    assert target == 7 and isinstance(target, int)


def test_mnist_with_transforms_feeds_a_loader_of_tensors(tmp_path):
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for name in TEST_FILES:
        shutil.copy(SHARED / name, raw / name)
    transform = transforms.Compose(
        [transforms.ToTensor(), transforms.Normalize((0.1307,), (0.3081,))]
    )
    dataset = MNIST(tmp_path, train=False, transform=transform, target_transform=lambda t: t + 1)
    images, targets = next(iter(DataLoader(dataset, batch_size=8, num_workers=2)))
    assert images.shape == (8, 1, 28, 28) and images.dtype == np.float32
    expected = (dataset.data[:8, None] / 255.0 - 0.1307) / 0.3081
    np.testing.assert_allclose(images.numpy(), expected, rtol=1e-5, atol=1e-5)
    assert targets.numpy().tolist() == (dataset.targets[:8] + 1).tolist()
    assert "Number of datapoints: 10000" in repr(dataset)


def test_a_corrupt_download_is_refused_and_not_kept(tmp_path, server):
    base, _ = server
    with pytest.raises(RuntimeError, match=r"could not download t10k-images.*MD5 [0-9a-f]{32}"):
        download_mnist(tmp_path, "test", mirrors=[f"{base}/corrupt/"])
    assert list(tmp_path.iterdir()) == []


def test_offline_is_one_clear_line(tmp_path, closed_port):
    with pytest.raises(RuntimeError) as error:
        download_mnist(tmp_path / "new", "train", mirrors=[closed_port, closed_port])
    message = str(error.value)
    assert "\n" not in message and "could not download train-images-idx3-ubyte.gz" in message
    assert "Connection refused" in message or "ConnectionRefusedError" in message
    assert "check the network connection" in message


def test_missing_files_without_download_and_bad_arguments(tmp_path):
    with pytest.raises(
        RuntimeError, match=r"^Dataset not found\. You can use download=True to download it "
    ):
        MNIST(tmp_path)
    with pytest.raises(ValueError, match="download_mnist: split must be 'train', 'test' or 'all'"):
        download_mnist(tmp_path, "validation")


def test_xpnet_train_downloads_with_download(tmp_path, server, closed_port, monkeypatch, capsys):
    base, _ = server
    folder = tmp_path / "mnist"
    options = ["train", "--dataset", "mnist", "--data", str(folder), "--download"]
    options += ["--epochs", "1", "--limit", "64", "--batch-size", "32", "--backend", "numpy"]
    monkeypatch.setattr(mnist_module, "MIRRORS", (closed_port,))
    assert cli.main(options) == 1
    error = capsys.readouterr().err.strip().splitlines()[-1]
    assert error.startswith("xpnet train: error: download_mnist: could not download t10k")
    monkeypatch.setattr(mnist_module, "MIRRORS", (f"{base}/good/",))
    assert cli.main(options) == 0
    assert sorted(p.name for p in folder.iterdir()) == TEST_FILES
    assert "final test accuracy" in capsys.readouterr().out


def test_download_needs_mnist_and_a_folder(capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["train", "--download"])
    assert exit_info.value.code == 2
    assert "--download fetches MNIST into --data" in capsys.readouterr().err
