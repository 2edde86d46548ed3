"""``Tensor.data`` is PyTorch's: a Tensor on the same array, outside the graph; ``.array`` is
the backend array. Each test runs one body on xpnet and on PyTorch (``m`` is the library)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import xpnet
from xpnet import nn

LIBRARIES = [xpnet, torch]


def _host(t):
    return xpnet.to_numpy(t) if isinstance(t, xpnet.Tensor) else t.detach().numpy()


def _leaf(m, values):
    return m.tensor(values, dtype=m.float64, requires_grad=True)


@pytest.mark.parametrize("m", LIBRARIES)
def test_data_is_a_leaf_tensor_on_the_same_array(backend, m):
    p = _leaf(m, [1.0, -2.0, 3.0])
    d = p.data
    assert isinstance(d, m.Tensor) and d is not p
    assert not d.requires_grad and d.is_leaf and d.grad_fn is None
    d[0] = 5.0  # the array itself: the parameter sees it
    assert _host(p).tolist() == [5.0, -2.0, 3.0]
    if m is xpnet:
        assert d.array is p.array and type(p.array) is backend.ndarray


@pytest.mark.parametrize("m", LIBRARIES)
def test_in_place_changes_through_data_are_hidden_from_autograd(backend, m):
    p = _leaf(m, [1.0, 2.0, 3.0])
    y = (p * p).sum()
    p.data.mul_(10.0)  # no error (a leaf that requires grad), no version change
    assert p._version == 0
    y.backward()  # uses the changed values, as PyTorch's does
    assert _host(p.grad).tolist() == [20.0, 40.0, 60.0]
    p.grad.data.zero_()
    assert _host(p.grad).tolist() == [0.0, 0.0, 0.0]


@pytest.mark.parametrize("m", LIBRARIES)
def test_a_recorded_change_reaches_a_held_data_tensor(backend, m):
    x = _leaf(m, [1.0, 2.0]) * 1.0  # not a leaf: add_ is recorded
    d = x.data
    x.add_(1.0)
    assert _host(d).tolist() == [2.0, 3.0] and _host(x).tolist() == [2.0, 3.0]
    x.sum().backward()


@pytest.mark.parametrize("m", LIBRARIES)
def test_assigning_data_replaces_the_array(backend, m):
    p = _leaf(m, [1.0, 2.0])
    p.data = m.zeros(3, dtype=m.float32)  # another shape and dtype: PyTorch's set_data
    assert tuple(p.shape) == (3,) and p.dtype == m.float32 and p.requires_grad
    with pytest.raises(TypeError, match="Variable data has to be a tensor, but got list"):
        p.data = [1.0, 2.0]


def test_assigning_a_backend_array_to_data_takes_it(backend):
    p = xpnet.Tensor(backend.asarray(np.zeros(2)), requires_grad=True)
    array = backend.asarray(np.ones(2))
    p.data = array
    assert p.array is array


def _dcgan_init(m):
    """DCGAN's weights_init, as in the PyTorch example."""

    def weights_init(module):
        name = type(module).__name__
        if name.find("Conv") != -1:
            module.weight.data.normal_(0.0, 0.02)
        elif name.find("BatchNorm") != -1:
            module.weight.data.normal_(1.0, 0.02)
            module.bias.data.fill_(0)

    net = m.nn.Sequential(m.nn.Conv2d(3, 64, 4), m.nn.BatchNorm2d(64), m.nn.Conv2d(64, 8, 3))
    net.apply(weights_init)
    return [_host(p) for p in net.parameters()]


def test_dcgan_weights_init_runs_as_in_pytorch(backend):
    xpnet.manual_seed(0)
    ours = _dcgan_init(xpnet)
    theirs = _dcgan_init(torch)
    for name, a, b in zip(("c1w", "c1b", "bnw", "bnb", "c2w", "c2b"), ours, theirs, strict=True):
        assert a.shape == b.shape and a.dtype == b.dtype, name
    conv, bn_weight, bn_bias = ours[0], ours[2], ours[3]
    assert abs(conv.mean()) < 0.002 and 0.018 < conv.std() < 0.022
    assert abs(bn_weight.mean() - 1.0) < 0.01 and not bn_bias.any()


@pytest.mark.parametrize("m", LIBRARIES)
def test_wgan_weight_clipping_through_data(backend, m):
    layer = m.nn.Linear(4, 3).double()
    with m.no_grad():
        layer.weight.copy_(m.tensor(np.linspace(-1, 1, 12).reshape(3, 4)))
    version = layer.weight._version
    for p in layer.parameters():
        p.data.clamp_(-0.01, 0.01)
    assert np.abs(_host(layer.weight)).max() == 0.01
    assert layer.weight.requires_grad and layer.weight._version == version


def test_uninitialized_parameter_data_is_refused_until_forward(backend):
    layer = nn.LazyLinear(3)
    with pytest.raises(ValueError, match="uninitialized parameter: call `forward` first"):
        _ = layer.weight.data
    layer(xpnet.ones(2, 4))
    assert tuple(layer.weight.data.shape) == (3, 4)
    assert tuple(layer.weight.detach().shape) == (3, 4)  # a materialised one is a full Tensor
