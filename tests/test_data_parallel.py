"""nn.DataParallel against torch.nn.DataParallel (PyTorch 2.13, CPU: its no-GPU behaviour)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from _oracle import assert_close, random_input

import xpnet
from xpnet import nn

NO_GPU = pytest.mark.skipif(xpnet.cuda.is_available(), reason="the no-GPU behaviour")


def _pair(backend):
    """An xpnet and a torch DataParallel over the same Linear + BatchNorm1d + Linear."""
    module = nn.Sequential(nn.Linear(4, 6), nn.BatchNorm1d(6), nn.Linear(6, 3))
    module = module.to(backend.name, xpnet.float64)
    reference = torch.nn.Sequential(
        torch.nn.Linear(4, 6), torch.nn.BatchNorm1d(6), torch.nn.Linear(6, 3)
    ).double()
    reference.load_state_dict(
        {k: torch.tensor(backend.to_host(v)) for k, v in module.state_dict().items()}
    )
    return nn.DataParallel(module), torch.nn.DataParallel(reference)


@NO_GPU
def test_data_parallel_matches_torch(backend):
    net, reference = _pair(backend)
    assert net.device_ids == reference.device_ids == []
    x_host = random_input((5, 4), seed=1)
    x = xpnet.Tensor(backend.asarray(x_host), requires_grad=True)
    tx = torch.tensor(x_host, requires_grad=True)
    output, expected = net(x), reference(tx)
    assert_close(backend.to_host(output.array), expected.detach().numpy(), np.float64)
    (output * output).sum().backward()
    (expected * expected).sum().backward()
    assert_close(backend.to_host(x.grad.array), tx.grad.numpy(), np.float64, "grad input")
    torch_params = dict(reference.named_parameters())
    for name, param in net.named_parameters():
        expected_grad = torch_params[name].grad.numpy()
        assert_close(backend.to_host(param.grad.array), expected_grad, np.float64, name)
    # the running statistics are the wrapped module's own: updated in place, as torch's
    for name, buffer in reference.state_dict().items():
        ours = backend.to_host(net.state_dict()[name])
        assert_close(ours, buffer.numpy(), np.float64, name)


def test_data_parallel_state_dict_keys_match_torch(backend):
    net, reference = _pair(backend)
    assert list(net.state_dict()) == list(reference.state_dict())
    assert all(key.startswith("module.") for key in net.state_dict())
    assert net.module is net._modules["module"]


def test_data_parallel_loads_torch_state_dict(backend):
    net, _ = _pair(backend)
    _, reference = _pair(backend)
    with torch.no_grad():
        for param in reference.parameters():
            param.copy_(torch.randn_like(param))
    net.load_state_dict({k: v.numpy() for k, v in reference.state_dict().items()})
    x = random_input((5, 4), seed=2)
    net.eval(), reference.eval()
    output = backend.to_host(net(backend.asarray(x)).array)
    assert_close(output, reference(torch.tensor(x)).detach().numpy(), np.float64)


@NO_GPU
def test_data_parallel_ignores_device_ids_without_gpu(backend):
    # torch without an accelerator drops device_ids, output_device and dim
    net = nn.DataParallel(nn.Linear(2, 2), device_ids=[0, 1, 2], output_device=1, dim=1)
    reference = torch.nn.DataParallel(torch.nn.Linear(2, 2), [0, 1, 2], 1, dim=1)
    assert net.device_ids == reference.device_ids == []
    assert not hasattr(net, "output_device") and not hasattr(reference, "output_device")


def test_data_parallel_passes_keyword_arguments(backend):
    module = nn.MultiheadAttention(4, 2, batch_first=True).to(backend.name, xpnet.float64)
    reference = torch.nn.MultiheadAttention(4, 2, batch_first=True).double()
    reference.load_state_dict(
        {k: torch.tensor(backend.to_host(v)) for k, v in module.state_dict().items()}
    )
    x = random_input((2, 3, 4), seed=3)
    output, weights = nn.DataParallel(module)(*[backend.asarray(x)] * 3, need_weights=False)
    expected, _ = torch.nn.DataParallel(reference)(*[torch.tensor(x)] * 3, need_weights=False)
    assert weights is None
    assert_close(backend.to_host(output.array), expected.detach().numpy(), np.float64)


def test_data_parallel_several_devices_point_to_ddp(monkeypatch):
    # with a GPU, xpnet drives one device per process: refused before anything moves
    monkeypatch.setattr(xpnet.cuda, "is_available", lambda: True)
    with pytest.raises(ValueError, match=r"device_ids=\[0, 1\].*DistributedDataParallel"):
        nn.DataParallel(nn.Linear(2, 2), device_ids=[0, 1])
    with pytest.raises(ValueError, match=r"device_ids must name one device, got \[\]"):
        nn.DataParallel(nn.Linear(2, 2), device_ids=[])
    with pytest.raises(ValueError, match=r"output_device must be device_ids\[0\]=0"):
        nn.DataParallel(nn.Linear(2, 2), device_ids=[0], output_device=1)
    with pytest.raises(ValueError, match="Expected a cuda device, but got: cpu"):
        nn.DataParallel(nn.Linear(2, 2), device_ids=["cpu"])
