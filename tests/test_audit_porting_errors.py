"""Regression tests for exception classes a ported script catches, where xpnet raised
another class than PyTorch 2.13: malformed device strings (PyTorch: ``RuntimeError``),
unknown ``Tensor.type`` strings (``ValueError``), ``item()`` of several elements and
``numpy()`` of a tensor that requires grad (``RuntimeError``), and integer powers that
PyTorch refuses (negative exponents, exponents the dtype cannot hold).

PyTorch is the oracle: each call runs on both libraries, and xpnet's exception must be an
instance of PyTorch's class, with a message naming the function.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from _oracle import refused_as_torch

import xpnet


def _run(lib, call):
    return call(lib)


@pytest.mark.parametrize(
    ("call", "pattern"),
    [
        (lambda lib: lib.device("foo"), "device: expected a device type"),
        (lambda lib: lib.device("cuda:x"), "device: expected '<type>'"),
        (lambda lib: lib.zeros(2, device="gpu"), "device: expected a device type"),
        (lambda lib: lib.tensor([1.0]).to("cuda:-1"), "device: expected '<type>'"),
        (lambda lib: lib.tensor([1.0]).type("torch.Foo"), "Tensor.type: unknown type"),
        (lambda lib: lib.tensor([1.0]).type("torch.FooTensor"), "Tensor.type: unknown type"),
    ],
)
def test_refused_with_torchs_class(call, pattern):
    refused_as_torch(_run, call, pattern)


def test_device_errors_stay_value_errors():
    with pytest.raises(ValueError, match="device: "):
        xpnet.device("tpu")
    assert xpnet.device("cuda") != "tpu"


@pytest.mark.parametrize(
    ("call", "pattern"),
    [
        (lambda lib: lib.tensor([1.0, 2.0]).item(), "Tensor.item: a Tensor with 2 elements"),
        (lambda lib: lib.zeros(0).item(), "Tensor.item: a Tensor with 0 elements"),
        (lambda lib: lib.tensor([2], dtype=lib.uint8) ** -3, "Integers to negative integer"),
        (lambda lib: lib.tensor([2], dtype=lib.int64) ** -1, "Integers to negative integer"),
        (lambda lib: lib.tensor([True]) ** -1, "Integers to negative integer"),
        (lambda lib: lib.tensor([2], dtype=lib.int8) ** 300, "exponent 300 cannot be converted"),
        (lambda lib: lib.tensor([2.0], dtype=lib.float16) ** 1e5, "exponent 100000.0 cannot"),
    ],
)
def test_refused_with_torchs_class_too(call, pattern):
    refused_as_torch(_run, call, pattern)


def test_powers_torch_computes():
    for lib_call in (
        lambda lib: lib.tensor([2, -3], dtype=lib.int8) ** 3,
        lambda lib: 2 ** lib.tensor([-1, 3]),
        lambda lib: lib.tensor([2.0]) ** -3,
        lambda lib: lib.tensor([2], dtype=lib.uint8) ** 7,
    ):
        assert lib_call(xpnet).tolist() == lib_call(torch).tolist()


def test_numpy_takes_force_and_item_one_element():
    x = xpnet.tensor([[1.5]], requires_grad=True)
    assert x.numpy(force=True).tolist() == [[1.5]]
    assert x.item() == 1.5


@pytest.mark.parametrize("device", ["cpu", "cpu:0", xpnet.device("cpu")])
def test_layers_take_torchs_device_arguments(device):
    for make in (
        lambda: xpnet.nn.Linear(2, 3, device=device),
        lambda: xpnet.nn.LSTM(3, 4, device=device),
        lambda: xpnet.nn.BatchNorm2d(3, device=device),
        lambda: xpnet.nn.MultiheadAttention(4, 2, device=device),
    ):
        module = make()
        assert all(p.device == xpnet.device("cpu") for p in module.parameters())


def test_cpu_devices_with_an_index_are_the_host():
    ours, theirs = xpnet.device("cpu:0"), torch.device("cpu:0")
    assert (ours.type, ours.index, str(ours), repr(ours)) == (
        theirs.type, theirs.index, str(theirs), repr(theirs)
    )  # fmt: skip
    assert xpnet.zeros(2, device="cpu:1").device == xpnet.device("cpu")


@pytest.mark.parametrize(
    ("call", "pattern"),
    [
        (lambda lib: lib.tensor([1.0]).to("nonsense"), "Tensor.to: expected a device"),
        (lambda lib: lib.nn.Linear(2, 2).to("nonsense"), "Linear.to: expected a device"),
    ],
)
def test_strings_neither_device_nor_dtype_are_torchs_class(call, pattern):
    refused_as_torch(_run, call, pattern)


def test_complex_to_real_warns_as_torch_without_numpys_warning():
    x = xpnet.Tensor(np.array([1 + 2j]))
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # NumPy's ComplexWarning is one
        with pytest.warns(UserWarning, match="discards the imaginary part") as record:
            y = x.to(xpnet.float32)
    assert y.tolist() == [1.0] and record[0].filename == __file__


def test_where_casts_a_huge_operand_without_numpys_warning(backend):
    def call(lib):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            half = lib.tensor([1.0, 2.0], dtype=lib.float16)
            return lib.where(lib.tensor([True, False]), half, lib.tensor(1e308, dtype=lib.float64))

    assert call(xpnet).tolist() == call(torch).tolist() == [1.0, float("inf")]


def test_byte_counts_past_a_float_format_exactly():
    from xpnet.kernels._blocks import format_bytes

    assert format_bytes(10**400) == f"{10**400} bytes"  # it raised OverflowError
    assert format_bytes(3 * 2**30) == "3221225472 bytes (3.0 GiB)"


@pytest.mark.parametrize(
    ("call", "pattern"),
    [
        (lambda lib: setattr(lib.tensor([1, 2]), "requires_grad", True), "floating-point"),
        (
            lambda lib: setattr(lib.ones(2, requires_grad=True) * 2, "requires_grad", False),
            "only leaf tensors can stop",
        ),
    ],
)
def test_requires_grad_set_as_an_attribute_is_checked(call, pattern):
    refused_as_torch(_run, call, pattern)


@pytest.mark.parametrize(
    "call",
    [lambda lib: lib.tensor([1]) >= -(2**63) - 1, lambda lib: lib.tensor([1]) + 2**64],
)
def test_ints_past_64_bits_overflow_as_torch(call):
    refused_as_torch(_run, call, "overflows int64 and uint64")
