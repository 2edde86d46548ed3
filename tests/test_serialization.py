"""xpnet.save / xpnet.load: .safetensors and .npz state dicts, read back by PyTorch and by xpnet."""

from __future__ import annotations

import os
import sys

import numpy as np
import pytest
import torch

import xpnet
from xpnet import models, nn

safetensors_torch = pytest.importorskip("safetensors.torch")


def small_net():
    xpnet.manual_seed(0)
    return nn.Sequential(nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.Flatten(),
                         nn.Linear(4 * 6 * 6, 10))  # fmt: skip


def torch_net():
    layers = [torch.nn.Conv2d(1, 4, 3), torch.nn.BatchNorm2d(4), torch.nn.ReLU()]
    return torch.nn.Sequential(*layers, torch.nn.Flatten(), torch.nn.Linear(144, 10))


@pytest.mark.parametrize("suffix", [".safetensors", ".npz", ".pt"])
def test_round_trip_keeps_keys_values_and_dtypes(backend, tmp_path, suffix):
    state = {
        "weight": backend.xp.asarray(np.random.default_rng(0).normal(size=(3, 2))),
        "half": backend.xp.ones(4, dtype="float16"),
        "count": backend.xp.asarray(np.int64(7)),
        "mask": backend.xp.asarray([True, False]),
        "transposed": backend.xp.arange(6.0).reshape(2, 3).T,
        "tensor": xpnet.Tensor(backend.xp.arange(3.0, dtype="float32"), requires_grad=True),
    }
    path = tmp_path / f"state{suffix}"
    xpnet.save(state, path)
    assert path.is_file() and [p.name for p in tmp_path.iterdir()] == [path.name]
    loaded = xpnet.load(str(path))
    assert list(loaded) == list(state) or sorted(loaded) == sorted(state)
    for key, value in state.items():
        value = value.array if isinstance(value, xpnet.Tensor) else value
        assert type(loaded[key]) is backend.ndarray
        assert loaded[key].dtype == value.dtype and loaded[key].shape == value.shape
        np.testing.assert_array_equal(xpnet.to_numpy(loaded[key]), xpnet.to_numpy(value))


def test_load_places_arrays_where_map_location_says(tmp_path):
    xpnet.save({"w": np.ones(2)}, tmp_path / "w.npz")
    assert type(xpnet.load(tmp_path / "w.npz", map_location="strict")["w"]).__name__ == (
        "StrictArray"
    )
    on_cpu = xpnet.load(tmp_path / "w.npz", map_location="cpu")["w"]
    assert xpnet.backend_of(on_cpu).name == xpnet.devices.backend_name("cpu")


def test_an_xpnet_checkpoint_loads_into_pytorch_and_back(tmp_path):
    model = small_net()
    model(xpnet.Tensor(xpnet.asarray(np.random.default_rng(1).random((8, 1, 8, 8), "f"))))
    xpnet.save(model.state_dict(), tmp_path / "net.safetensors")
    theirs = torch_net()
    result = theirs.load_state_dict(safetensors_torch.load_file(tmp_path / "net.safetensors"))
    assert not result.missing_keys and not result.unexpected_keys
    images = np.random.default_rng(2).random((5, 1, 8, 8), dtype=np.float32)
    model.eval(), theirs.eval()
    with xpnet.no_grad(), torch.no_grad():
        ours = xpnet.to_numpy(model(xpnet.Tensor(xpnet.asarray(images))).array)
        expected = theirs(torch.from_numpy(images)).numpy()
    np.testing.assert_allclose(ours, expected, rtol=1e-5, atol=1e-6)
    # PyTorch's weights, changed there, come back into xpnet
    with torch.no_grad():
        theirs[4].bias.add_(1.0)
    safetensors_torch.save_file(theirs.state_dict(), tmp_path / "back.safetensors")
    again = small_net()
    again.load_state_dict(xpnet.load(tmp_path / "back.safetensors"))
    np.testing.assert_array_equal(
        xpnet.to_numpy(again[4].bias.array), theirs[4].bias.detach().numpy()
    )
    assert int(xpnet.to_numpy(again[1].num_batches_tracked)) == 1


def test_a_model_zoo_state_dict_round_trips_exactly(tmp_path):
    model = models.ResNet()
    xpnet.save(model.state_dict(), tmp_path / "resnet.safetensors")
    loaded = xpnet.load(tmp_path / "resnet.safetensors")
    assert sorted(loaded) == sorted(model.state_dict())
    fresh = models.ResNet()
    fresh.load_state_dict(loaded)
    for key, value in fresh.state_dict().items():
        np.testing.assert_array_equal(xpnet.to_numpy(value), xpnet.to_numpy(loaded[key]))


@pytest.mark.parametrize(
    ("obj", "message"),
    [
        ([np.ones(2)], "save: obj must be a mapping of names to arrays"),
        ({1: np.ones(2)}, "save: keys must be strings, got 1"),
        ({"state": {"a": np.ones(2)}}, "save: value of 'state' must be a numeric array"),
        ({"name": np.array(["a"])}, "save: value of 'name' must be a numeric array"),
    ],
)
def test_save_rejects_what_is_not_a_state_dict(tmp_path, obj, message):
    with pytest.raises(TypeError, match=message):
        xpnet.save(obj, tmp_path / "bad.safetensors")
    assert not list(tmp_path.iterdir())


def test_load_rejects_other_files(tmp_path):
    (tmp_path / "notes.txt").write_text("not weights at all")
    with pytest.raises(ValueError, match="load: .*notes.txt is neither an .npz archive nor"):
        xpnet.load(tmp_path / "notes.txt")
    (tmp_path / "cut.npz").write_bytes(b"PK\x03\x04broken")
    with pytest.raises(ValueError, match="load: .*cut.npz is not a readable .npz archive"):
        xpnet.load(tmp_path / "cut.npz")
    with pytest.raises(FileNotFoundError):
        xpnet.load(tmp_path / "missing.safetensors")


@pytest.mark.parametrize(
    "offset, value, error",
    [
        (10, 99, "NotImplementedError: That compression method is not supported"),
        (8, 1, "RuntimeError: File 'w.npy' is encrypted"),  # the general purpose flags
    ],
    ids=["compression method", "encrypted flag"],
)
def test_load_of_a_damaged_central_directory_is_a_value_error(tmp_path, offset, value, error):
    path = tmp_path / "w.npz"
    xpnet.save({"w": np.arange(10.0)}, path)
    data = bytearray(path.read_bytes())
    data[data.rindex(b"PK\x01\x02") + offset] = value  # the last central directory entry
    path.write_bytes(bytes(data))
    with pytest.raises(ValueError, match=f"load: .*w.npz is not a readable .npz archive .{error}"):
        xpnet.load(path)


def test_load_refuses_a_device_before_reading(tmp_path):
    with pytest.raises(ValueError, match=f"load: {os.devnull} is not a regular file"):
        xpnet.load(os.devnull)


def test_load_names_a_dtype_numpy_lacks(tmp_path):
    """A valid bfloat16 file was called neither .npz nor .safetensors (found by a random
    comparison with PyTorch)."""
    safetensors_torch.save_file({"w": torch.ones(2, dtype=torch.bfloat16)}, tmp_path / "b.st")
    with pytest.raises(ValueError, match=r"load: .*b\.st holds BF16 tensors, a dtype NumPy"):
        xpnet.load(tmp_path / "b.st")


def test_save_into_a_missing_folder_fails_cleanly(tmp_path):
    with pytest.raises(OSError):
        xpnet.save({"w": np.ones(2)}, tmp_path / "no" / "w.npz")


@pytest.mark.parametrize("suffix", [".safetensors", ".npz"])
def test_save_gives_files_the_mode_open_would(tmp_path, suffix):
    """Found by a random comparison: files were 0600 (mkstemp's), where torch.save and
    numpy.savez give what the umask allows; overwriting a 0644 file made it 0600."""
    previous = os.umask(0o022)
    try:
        path = tmp_path / f"w{suffix}"
        path.write_bytes(b"")
        path.chmod(0o644)
        xpnet.save({"w": np.ones(2)}, path)
        assert path.stat().st_mode & 0o777 == 0o644
    finally:
        os.umask(previous)


def test_without_safetensors_the_error_says_how_to_install(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "safetensors.numpy", None)
    with pytest.raises(ImportError, match="save: .safetensors files need .*pip install"):
        xpnet.save({"w": np.ones(2)}, tmp_path / "w.safetensors")
    xpnet.save({"w": np.ones(2)}, tmp_path / "w.npz")  # .npz needs only NumPy
    assert xpnet.to_numpy(xpnet.load(tmp_path / "w.npz")["w"]).tolist() == [1.0, 1.0]
