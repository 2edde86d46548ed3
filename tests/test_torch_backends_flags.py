"""``xpnet.backends.cudnn`` and ``xpnet.backends.cuda.matmul`` against
``torch.backends``' flags: defaults, type checks and messages, ``flags()``, and
``matmul.allow_tf32`` tied to the float32 matmul precision both ways."""

from __future__ import annotations

import subprocess
import sys

import pytest
import torch

import xpnet

NAMES = ("enabled", "benchmark", "deterministic", "allow_tf32")


@pytest.fixture(autouse=True)
def _restore():
    before = [getattr(xpnet.backends.cudnn, name) for name in NAMES]
    precisions = xpnet.get_float32_matmul_precision(), torch.get_float32_matmul_precision()
    yield
    for name, value in zip(NAMES, before, strict=True):
        setattr(xpnet.backends.cudnn, name, value)
    xpnet.set_float32_matmul_precision(precisions[0])
    torch.set_float32_matmul_precision(precisions[1])


def test_cudnn_flags_read_and_refuse_as_torchs():
    ours, theirs = xpnet.backends.cudnn, torch.backends.cudnn
    # PyTorch's defaults, read in a fresh process: other tests set torch's allow_tf32
    fresh = (
        "import torch; c = torch.backends.cudnn; print(" + ", ".join(f"c.{n}" for n in NAMES) + ")"
    )
    defaults = subprocess.run([sys.executable, "-c", fresh], capture_output=True, text=True)
    assert " ".join(str(getattr(ours, n)) for n in NAMES) == defaults.stdout.strip()
    assert (ours.is_available(), ours.version()) == (False, None)  # torch's CPU build too
    ours.benchmark = ours.deterministic = True
    assert ours.benchmark and ours.deterministic
    for flags in (ours, theirs):
        with pytest.raises(RuntimeError, match="set_benchmark_cudnn expects a bool"):
            flags.benchmark = "yes"
    with ours.flags(enabled=False, benchmark=False):
        assert not ours.enabled and not ours.benchmark and ours.allow_tf32
    assert ours.enabled and ours.benchmark and ours.deterministic


@pytest.mark.parametrize("precision", ["highest", "high", "medium"])
def test_matmul_allow_tf32_is_the_precision_as_in_torch(precision):
    for lib in (xpnet, torch):
        lib.set_float32_matmul_precision(precision)
    ours, theirs = xpnet.backends.cuda.matmul, torch.backends.cuda.matmul
    assert ours.allow_tf32 == theirs.allow_tf32 == (precision != "highest")
    # setting it sets xpnet's one precision (PyTorch 2.13 keeps a legacy flag beside it and
    # refuses to report a precision once both were set)
    for value, expected in ((True, "high"), (False, "highest")):
        ours.allow_tf32 = value
        assert xpnet.get_float32_matmul_precision() == expected and ours.allow_tf32 is value
    with pytest.raises(RuntimeError, match="expects a bool"):
        ours.allow_tf32 = 1
