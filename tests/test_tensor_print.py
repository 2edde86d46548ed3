"""How Tensors print (:mod:`xpnet._tensor_print`) against PyTorch's repr of the same values:
shapes, dtypes, summarisation, scientific notation, the print options and profiles, 0-d and
empty tensors, nan/inf, ``requires_grad`` and ``grad_fn``; and that printing a large tensor
copies only its edges to the host."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import xpnet
from xpnet.autograd import Tensor

RNG = np.random.default_rng(0)
NORMAL = RNG.standard_normal(4000)


def on(backend, values: np.ndarray, requires_grad: bool = False) -> Tensor:
    return Tensor(backend.asarray(values), requires_grad=requires_grad)


def torch_form(tensor: torch.Tensor) -> str:
    """PyTorch's repr in xpnet's names: ``dtype=torch.int32`` reads ``dtype=xpnet.int32``."""
    return repr(tensor).replace("torch.", "xpnet.")


def check_prints_as_torch(backend, values: np.ndarray) -> None:
    ours = on(backend, values)
    assert repr(ours) == torch_form(torch.from_numpy(values.copy()))
    assert str(ours) == repr(ours)


VALUES = {
    "floats": np.array([1.5, -2.25, 3.0], np.float32),
    "integer valued": np.array([1.0, 2.0, -30.0], np.float32),
    "float64": np.array([0.1, 0.2, 1 / 3], np.float64),
    "float16": np.array([0.1, 1.5, 65504.0], np.float16),
    "0-d": np.array(0.5, np.float32),
    "0-d integer valued": np.array(3.0, np.float64),
    "0-d int": np.array(7, np.int64),
    "0-d nan": np.array(np.nan, np.float32),
    "ints": np.array([1, -20, 300], np.int64),
    "int32": np.array([[1, 2], [3, 40]], np.int32),
    "int8": np.array([-128, 0, 127], np.int8),
    "uint8": np.array([0, 255], np.uint8),
    "bool": np.array([True, False, True]),
    "nan inf": np.array([np.nan, np.inf, -np.inf, 1.25], np.float32),
    "nan inf integer valued": np.array([np.nan, np.inf, 2.0], np.float32),
    "only nan inf": np.array([np.nan, -np.inf], np.float64),
    "zeros": np.zeros(4, np.float32),
    "negative zero": np.array([-0.0, 1.5], np.float32),
    "large": np.array([1e10, 2.0], np.float32),
    "huge": np.array([1e9, 3e9], np.float64),
    "small": np.array([1e-5, 0.5], np.float64),
    "tiny": np.array([5e-5, 1e-4], np.float32),
    "wide range": np.array([0.01, 20.5], np.float32),
    "matrix": NORMAL[:12].reshape(3, 4),
    "3-d": NORMAL[:24].reshape(2, 3, 4).astype(np.float32),
    "4-d": NORMAL[:32].reshape(2, 2, 2, 4).astype(np.float32),
    "long row": NORMAL[:40].astype(np.float32),
    "long integer row": np.arange(60, dtype=np.int64) * 1000,
    "wide matrix": NORMAL[:60].reshape(2, 30),
    "summarised vector": NORMAL[:2000].astype(np.float32),
    "summarised matrix": NORMAL[:2500].reshape(50, 50),
    "summarised 3-d": NORMAL[:1728].reshape(12, 12, 12).astype(np.float32),
    "summarised, an axis of twice edgeitems": NORMAL[:2400].reshape(6, 400).astype(np.float32),
    "summarised one long axis": NORMAL[:2004].reshape(2, 1002).astype(np.float32),
    "summarised ints": np.arange(3000, dtype=np.int32).reshape(3, 1000),
    "summarised integer valued": np.arange(1200, dtype=np.float32),
    "summarised bool": np.arange(1100) % 3 == 0,
    "empty": np.zeros(0, np.float32),
    "empty matrix": np.zeros((0, 3), np.float32),
    "empty int": np.zeros(0, np.int64),
    "empty bool": np.zeros((2, 0), bool),
    "empty float64": np.zeros((0,), np.float64),
}


@pytest.mark.parametrize("name", VALUES)
def test_tensor_prints_as_torch(backend, name):
    check_prints_as_torch(backend, VALUES[name])


OPTIONS = [
    {"precision": 2},
    {"precision": 8},
    {"threshold": 5},
    {"threshold": 5, "edgeitems": 1},
    {"threshold": 5, "edgeitems": 0},
    {"edgeitems": 0},
    {"linewidth": 40},
    {"linewidth": 200},
    {"sci_mode": True},
    {"sci_mode": False},
    {"profile": "short"},
    {"profile": "full"},
    {"profile": "short", "precision": 6},
]


@pytest.mark.parametrize("options", OPTIONS, ids=str)
@pytest.mark.parametrize("name", ["floats", "small", "matrix", "ints", "summarised matrix"])
def test_set_printoptions_prints_as_torch(backend, options, name):
    try:
        torch.set_printoptions(**options)
        xpnet.set_printoptions(**options)
        check_prints_as_torch(backend, VALUES[name])
    finally:
        torch.set_printoptions(profile="default")
        xpnet.set_printoptions(profile="default")


def test_set_printoptions_leaves_numpy_alone():
    before = np.get_printoptions()
    try:
        xpnet.set_printoptions(precision=1, threshold=3, sci_mode=True)
        assert np.get_printoptions() == before
    finally:
        xpnet.set_printoptions(profile="default")
    with pytest.raises(ValueError, match="set_printoptions: profile must be one of"):
        xpnet.set_printoptions(profile="long")


def test_set_printoptions_resets_sci_mode_as_torch(backend):
    values = np.array([1.0, 2.0], np.float32)
    try:
        for lib in (xpnet, torch):
            lib.set_printoptions(sci_mode=True)
            lib.set_printoptions(precision=3)  # sci_mode not given: back to the automatic one
        check_prints_as_torch(backend, values)
    finally:
        torch.set_printoptions(profile="default")
        xpnet.set_printoptions(profile="default")


def test_requires_grad_prints_as_torch(backend):
    for values in (VALUES["floats"], VALUES["0-d"], VALUES["float64"], NORMAL[:26]):
        ours = on(backend, values, requires_grad=True)
        assert repr(ours) == torch_form(torch.tensor(values, requires_grad=True))


GRAD_FNS = {
    "mul": lambda x, lib: x * 2,
    "add": lambda x, lib: x + x,
    "sub": lambda x, lib: x - 1,
    "div": lambda x, lib: x / 2,
    "pow": lambda x, lib: x**2,
    "sum": lambda x, lib: (x * x).sum(),
    "mean": lambda x, lib: x.mean(),
    "exp": lambda x, lib: x.exp(),
    "tanh": lambda x, lib: x.tanh(),
    "relu": lambda x, lib: x.relu(),
    "cat": lambda x, lib: lib.cat([x, x]),
    "stack": lambda x, lib: lib.stack([x, x]),
    "expand": lambda x, lib: x.expand(2, 3),
    "to": lambda x, lib: x.to(lib.float32),
    "mse_loss": lambda x, lib: lib.nn.functional.mse_loss(x, x.detach() + 1),
    "log_softmax": lambda x, lib: lib.nn.functional.log_softmax(x, 0),
}


@pytest.mark.parametrize("name", GRAD_FNS)
def test_grad_fn_prints_as_torch(backend, name):
    values = np.array([0.5, -1.25, 2.0])
    ours = GRAD_FNS[name](on(backend, values, requires_grad=True), xpnet)
    theirs = GRAD_FNS[name](torch.tensor(values, requires_grad=True), torch)
    assert repr(ours) == torch_form(theirs)
    assert ours.grad_fn.name() == theirs.grad_fn.name()


def test_grad_fn_suffix_wraps_as_torch(backend):
    values = NORMAL[:16]  # the last line is full: the suffixes go on a line of their own
    ours = on(backend, values, requires_grad=True) * 3
    theirs = torch.tensor(values, requires_grad=True) * 3
    assert repr(ours) == torch_form(theirs) and repr(ours).count("\n") == 2


def test_parameter_prints_as_torch(backend):
    values = VALUES["matrix"].astype(np.float32)
    ours = xpnet.nn.Parameter(on(backend, values))
    assert repr(ours) == torch_form(torch.nn.Parameter(torch.tensor(values)))
    assert repr(ours).startswith("Parameter containing:\ntensor([[")


def test_default_dtype_decides_the_dtype_suffix(backend):
    values = np.array([1.5, 2.0], np.float64)
    before, before_torch = xpnet.get_default_dtype(), torch.get_default_dtype()
    try:
        xpnet.set_default_dtype(xpnet.float64)
        torch.set_default_dtype(torch.float64)
        check_prints_as_torch(backend, values)
        check_prints_as_torch(backend, values.astype(np.float32))
        check_prints_as_torch(backend, np.zeros(0, np.float32))
    finally:
        xpnet.set_default_dtype(before)
        torch.set_default_dtype(before_torch)


def test_printing_copies_only_the_edges(backend, monkeypatch):
    copied = []
    to_host = backend.to_host

    def counting_to_host(array):
        copied.append(array.size)
        return to_host(array)

    monkeypatch.setattr(backend, "to_host", counting_to_host)
    x = xpnet.Tensor(backend.xp.ones((300, 400, 5), dtype="float32"))
    assert repr(x).startswith("tensor([[[1., 1., 1., 1., 1.],")
    assert copied == [6 * 6 * 5]  # one explicit copy of the edges (the last axis is short)
