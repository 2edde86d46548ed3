"""Weights move both ways between xpnet and PyTorch: state_dict keys, .npz files, outputs."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from _oracle import assert_close, random_input

import xpnet


def make_net(lib):
    """The same architecture in xpnet and in torch: every kind of parameter and buffer."""
    nn = lib.nn
    return nn.Sequential(
        nn.Conv2d(3, 4, 3, padding=1),
        nn.BatchNorm2d(4),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(4, 6, 3, bias=False),
        nn.GroupNorm(2, 6),
        nn.BatchNorm2d(6, affine=False),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.LayerNorm(6),
        nn.Linear(6, 8),
        nn.BatchNorm1d(8, track_running_stats=False),
        nn.Dropout(0.3),
        nn.Linear(8, 5),
    )


def test_state_dict_keys_match_torch():
    ours, theirs = make_net(xpnet).state_dict(), make_net(torch).state_dict()
    assert list(ours) == list(theirs)
    for key, value in theirs.items():
        assert ours[key].shape == tuple(value.shape), key
        assert ours[key].dtype == value.numpy().dtype, key  # float32, int64 step counters


def test_loss_weight_is_a_buffer_like_torch():
    weight = np.ones(3, dtype=np.float32)
    ours = xpnet.nn.CrossEntropyLoss(weight=weight).state_dict()
    assert list(ours) == list(torch.nn.CrossEntropyLoss(weight=torch.ones(3)).state_dict())


def _outputs(net, x):
    net.eval()
    if isinstance(net, torch.nn.Module):
        with torch.no_grad():
            return net(torch.from_numpy(x)).numpy()
    return xpnet.to_numpy(net(xpnet.asarray(x)).array)


def _trained(net, backend_name):
    """A few training-mode forwards, so that the running statistics are not the defaults."""
    net.train()
    for step in range(3):
        x = random_input((4, 3, 8, 8), seed=step, low=-1, high=2)
        if isinstance(net, torch.nn.Module):
            net(torch.from_numpy(x))
        else:
            net(xpnet.to_backend(x, backend_name))
    return net


def test_xpnet_npz_loads_into_torch(backend, tmp_path):
    xpnet.manual_seed(0)
    net = _trained(make_net(xpnet).to(backend.name, dtype="float64"), backend.name)
    path = tmp_path / "weights.npz"
    np.savez(path, **{key: xpnet.to_numpy(value) for key, value in net.state_dict().items()})

    torch_net = make_net(torch).double()
    with np.load(path) as saved:
        torch_net.load_state_dict({key: torch.from_numpy(saved[key]) for key in saved.files})
    assert int(torch_net[1].num_batches_tracked) == 3
    x = random_input((2, 3, 8, 8), seed=9)
    assert_close(_outputs(net, x), _outputs(torch_net, x), np.float64)


def test_torch_state_dict_loads_into_xpnet(backend, tmp_path):
    torch.manual_seed(0)
    torch_net = _trained(make_net(torch).double(), backend.name)
    path = tmp_path / "weights.npz"
    np.savez(path, **{key: value.numpy() for key, value in torch_net.state_dict().items()})

    net = make_net(xpnet).to(backend.name, dtype="float64")
    with np.load(path) as saved:
        result = net.load_state_dict(saved)
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert int(xpnet.to_numpy(net[1].num_batches_tracked)) == 3
    x = random_input((2, 3, 8, 8), seed=9)
    assert_close(_outputs(net, x), _outputs(torch_net, x), np.float64)


def test_load_state_dict_keeps_arrays_dtype_and_backend(backend):
    net = make_net(xpnet).to(backend.name)
    weight = net[0].weight
    array = weight.array
    state = {
        key: value.numpy().astype(np.float64) if value.is_floating_point() else value.numpy()
        for key, value in make_net(torch).state_dict().items()
    }
    net.load_state_dict(state)
    assert weight.array is array and array.dtype == np.float32 and type(array) is backend.ndarray
    assert np.array_equal(xpnet.to_numpy(array), state["0.weight"].astype(np.float32))


def test_moving_between_backends_keeps_outputs(backend):
    xpnet.manual_seed(1)
    x = random_input((2, 3, 8, 8), seed=5)
    with xpnet.use_backend("numpy"):
        net = _trained(make_net(xpnet).to(dtype="float64"), "numpy")
        expected = _outputs(net, x)
    moved = net.to(backend.name)
    assert type(moved[0].weight.array) is backend.ndarray
    assert type(moved[1].running_mean) is backend.ndarray
    # bit for bit on the CPU; cuBLAS sums the products in another order than OpenBLAS
    rtol = 0.0 if backend.name != "cupy" else 1e-12
    np.testing.assert_allclose(_outputs(moved, x), expected, rtol=rtol, atol=0)


def test_load_state_dict_strict_reports_keys():
    net = xpnet.nn.Linear(2, 3)
    state = {"weight": np.zeros((3, 2), dtype=np.float32), "extra": np.zeros(1)}
    with pytest.raises(RuntimeError, match=r"missing keys \['bias'\], unexpected keys \['extra'\]"):
        net.load_state_dict(state)
    result = net.load_state_dict(state, strict=False)
    assert result.missing_keys == ["bias"] and result.unexpected_keys == ["extra"]
    assert not net.weight.numpy().any()


def test_load_state_dict_rejects_shape_mismatch():
    net = xpnet.nn.Linear(2, 3)
    state = {"weight": np.zeros((2, 3)), "bias": np.zeros(3)}
    with pytest.raises(
        RuntimeError,
        match=r"size mismatch for weight: got shape \(2, 3\), "
        r"the module has \(3, 2\)",
    ):
        net.load_state_dict(state)
