"""Regression tests for the conversion and serialization audit (2026-12-07): the dtype
``xpnet.tensor`` infers from Python data holding NumPy scalars or 0-d Tensors (PyTorch's:
each number's own dtype, promoted), PyTorch's error classes for data that is not numbers,
and ``xpnet.save``/``xpnet.load`` with file objects, ``weights_only``, PyTorch's
``map_location`` forms and a clear refusal of files that hold no numeric arrays.

PyTorch is the oracle where it has an opinion: the same data goes to both libraries.
"""

from __future__ import annotations

import io
import os
import warnings

import numpy as np
import pytest
import torch

import xpnet
from xpnet._tensor_print import printoptions

# 1. the dtype of Python data: every number's own, promoted as torch.promote_types
DATA = {
    "np.float64": lambda M: [np.float64(1.0)],
    "np.float64 and np.float32": lambda M: [np.float64(1.0), np.float32(2.0)],
    "np.float16 and int": lambda M: [np.float16(1.0), 2],
    "np.float16 pair": lambda M: [np.float16(1.0), np.float16(2.0)],
    "np.uint8": lambda M: [np.uint8(3)],
    "np.uint8 and bool": lambda M: [np.uint8(3), True],
    "nested np.float64": lambda M: [[1.0, np.float64(2.0)], [3.0, 4.0]],
    "np.complex64 and np.float64": lambda M: [np.complex64(1), np.float64(2.0)],
    "0-d float64 Tensors": lambda M: [M.tensor(x, dtype=M.float64) for x in (1.0, 2.0)],
    "0-d int8 Tensor and int": lambda M: [M.tensor(1, dtype=M.int8), 3],
}


@pytest.mark.parametrize("name", list(DATA))
def test_tensor_infers_torchs_dtype_from_numbers_with_dtypes(name, backend):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        expected = torch.tensor(DATA[name](torch))
        result = xpnet.tensor(DATA[name](xpnet))
    assert str(result.dtype) == str(expected.dtype).removeprefix("torch.")
    np.testing.assert_array_equal(result.numpy(), expected.numpy())


def test_as_tensor_infers_the_same_dtype(backend):
    assert xpnet.as_tensor([np.float64(1.0), 2.0]).dtype == np.float64


# 2. data that is not numbers: PyTorch's classes
def test_tensor_of_none_is_torchs_runtime_error(backend):
    for data in (None, [1, None]):
        with pytest.raises(RuntimeError, match="Could not infer dtype"):
            torch.tensor(data)
        with pytest.raises(RuntimeError, match=r"tensor: data must be numbers"):
            xpnet.tensor(data)


def test_tensor_of_an_int_past_int64_is_an_overflow(backend):
    with pytest.raises(ValueError, match="Overflow"):
        torch.tensor([2**64])
    with pytest.raises(ValueError, match=r"tensor: value 18446744073709551616 cannot be conv"):
        xpnet.tensor([1, 2**64])


# 3. save and load with file objects, weights_only and map_location's forms
STATE = {"w": np.arange(6.0, dtype="float32").reshape(2, 3), "n": np.array(3)}


def _written(name=None) -> io.BytesIO:
    stream = io.BytesIO()
    if name is not None:
        stream.name = name
    xpnet.save(STATE, stream)
    stream.seek(0)
    return stream


def _same(loaded) -> None:
    assert sorted(loaded) == ["n", "w"]
    for key, value in STATE.items():
        host = xpnet.Tensor(loaded[key]).numpy()
        assert host.dtype == value.dtype and host.shape == value.shape
        np.testing.assert_array_equal(host, value)


@pytest.mark.parametrize("name", [None, "model.pt", "model.safetensors"])
def test_save_and_load_take_binary_file_objects(name, backend):
    stream = _written(name)
    safetensors = stream.getvalue()[:4] != b"PK\x03\x04"
    assert safetensors == (name == "model.safetensors")
    _same(xpnet.load(stream))


def test_load_reads_an_open_file(tmp_path, backend):
    path = tmp_path / "model.npz"
    xpnet.save(STATE, path)
    with open(path, "rb") as stream:
        _same(xpnet.load(stream))


@pytest.mark.parametrize("weights_only", [True, False, None])
def test_load_takes_weights_only(weights_only, tmp_path, backend):
    path = tmp_path / "model.safetensors"
    xpnet.save(STATE, path)
    _same(xpnet.load(path, map_location="cpu", weights_only=weights_only))


def test_load_takes_torchs_map_location_forms(tmp_path, backend):
    path = os.fspath(tmp_path / "model.npz")
    xpnet.save(STATE, path)
    _same(xpnet.load(path, map_location={"cuda:0": "cpu"}))
    _same(xpnet.load(path, map_location={"cpu": "cpu"}))
    _same(xpnet.load(path, map_location=lambda storage, location: storage))
    doubled = xpnet.load(path, map_location=lambda storage, location: storage * 2)
    np.testing.assert_array_equal(xpnet.Tensor(doubled["w"]).numpy(), 2 * STATE["w"])


def test_load_refuses_a_torch_save_file_clearly(tmp_path, backend):
    path = tmp_path / "model.pt"
    torch.save({"w": torch.ones(2)}, path)
    with pytest.raises(ValueError, match=r"load: .*model\.pt holds .*data\.pkl', a pickle of"):
        xpnet.load(path)


def test_load_refuses_an_archive_of_strings(tmp_path, backend):
    path = tmp_path / "names.npz"
    np.savez(path, names=np.array(["a", "b"]))
    with pytest.raises(ValueError, match=r"load: .*holds 'names', not a numeric array"):
        xpnet.load(path)


# 4. complex tensors print as PyTorch's: each part with its own width and notation
COMPLEX = {
    "vector": [1.5 + 2j, -0.5j],
    "scalar": 1e-5 + 1j,
    "matrix": [[1 + 1j, -2.25 - 0j], [float("nan") + 3j, 0j]],
    "inf": [complex(float("inf"), -1.0), 1e10 + 1e-3j],
}


@pytest.mark.parametrize("dtype", ["complex64", "complex128"])
@pytest.mark.parametrize("name", list(COMPLEX))
def test_complex_tensors_print_as_torchs(name, dtype, backend):
    values = np.asarray(COMPLEX[name], dtype=dtype)
    expected = repr(torch.from_numpy(values)).replace("torch.", "xpnet.")
    assert repr(xpnet.tensor(values)) == expected


def test_complex_tensors_print_with_the_print_options(backend):
    values = np.arange(12) * (1 + 0.5j)
    with torch._tensor_str.printoptions(threshold=5, precision=2):
        expected = repr(torch.from_numpy(values)).replace("torch.", "xpnet.")
    with printoptions(threshold=5, precision=2):
        assert repr(xpnet.tensor(values)) == expected
