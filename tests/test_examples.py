"""Every script in examples/ runs, on tiny settings, in a fresh process (as a user runs it).

``examples/mnist.py`` is pytorch/examples' mnist/main.py with changed imports: it reads
``../data/MNIST/raw`` relative to its working directory, which gets small IDX files made
from scikit-learn's digits (upscaled to 28x28), so nothing is downloaded.
"""

from __future__ import annotations

import gzip
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import xpnet
from xpnet.data import load_digits

EXAMPLES = Path(__file__).parents[1] / "examples"


def run(script, *args, cwd):
    """Run ``examples/<script>`` with ``args``; its stdout, after checking it succeeded."""
    env = {**os.environ, "PYTHONPATH": str(EXAMPLES.parent)}
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / script), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, f"{script} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def write_idx(path: Path, array: np.ndarray, magic: int) -> None:
    header = magic.to_bytes(4, "big") + b"".join(n.to_bytes(4, "big") for n in array.shape)
    path.write_bytes(gzip.compress(header + array.tobytes()))


def digits_as_mnist(raw: Path, train: int, test: int) -> None:
    """MNIST's four files in ``raw``, holding ``train`` + ``test`` digits upscaled to 28x28."""
    images, labels = load_digits()
    large = np.kron(images[:, 0], np.ones((3, 3)))  # 8x8 -> 24x24, then a 2-pixel border
    large = (np.pad(large, ((0, 0), (2, 2), (2, 2))) * 255).round().astype(np.uint8)
    raw.mkdir(parents=True)
    for prefix, part in (("train", slice(0, train)), ("t10k", slice(train, train + test))):
        write_idx(raw / f"{prefix}-images-idx3-ubyte.gz", large[part], 2051)
        write_idx(raw / f"{prefix}-labels-idx1-ubyte.gz", labels[part].astype(np.uint8), 2049)


def test_every_example_is_tested():
    assert sorted(p.name for p in EXAMPLES.glob("*.py")) == [
        "custom_kernel.py",
        "mnist.py",
        "resnet.py",
    ]


@pytest.mark.skipif(not hasattr(xpnet.optim, "Adadelta"), reason="optim.Adadelta not there yet")
def test_ported_pytorch_mnist_example(tmp_path):
    digits_as_mnist(tmp_path / "data" / "MNIST" / "raw", train=96, test=64)
    (tmp_path / "work").mkdir()
    options = ["--epochs", "2", "--batch-size", "32", "--test-batch-size", "32"]
    output = run("mnist.py", *options, "--log-interval", "2", "--save-model", cwd=tmp_path / "work")
    assert output.count("Train Epoch: 2 [") == 2  # batches 0 and 2 of 3, in the second epoch
    accuracies = re.findall(r"Accuracy: (\d+)/64", output)
    assert len(accuracies) == 2, output
    weights = xpnet.load(tmp_path / "work" / "mnist_cnn.pt")  # torch.save became xpnet.save
    assert weights["fc1.weight"].shape == (128, 9216)


def test_resnet_example(tmp_path):
    options = ["--epochs", "1", "--limit", "64", "--save", "resnet.safetensors"]
    output = run("resnet.py", *options, cwd=tmp_path)
    assert re.search(r"epoch 1: loss [\d.]+, test accuracy [\d.]+%", output), output
    assert "blocks.0.body.0.weight" in xpnet.load(tmp_path / "resnet.safetensors")


def test_custom_kernel_example(tmp_path):
    output = run("custom_kernel.py", "--steps", "40", cwd=tmp_path)
    error = float(re.search(r"max error ([\d.e+-]+)", output)[1])
    losses = [float(x) for x in re.findall(r"step \d+: loss ([\d.]+)", output)]
    assert error < 1e-6 and len(losses) == 2 and losses[1] < losses[0], output
