"""ParameterList and ParameterDict against torch.nn's: registration names, state_dict keys,
load_state_dict, repr, list and dict behaviour, .to(), and a training step with an optimizer."""

from __future__ import annotations

from collections import OrderedDict

import numpy as np
import pytest
import torch
from _oracle import assert_close, random_input

import xpnet
from xpnet import nn

SHAPES = [(2, 3), (4,), ()]


def _pair_of_lists(dtype=np.float64):
    arrays = [random_input(shape, seed).astype(dtype) for seed, shape in enumerate(SHAPES)]
    ours = nn.ParameterList([arrays[0], xpnet.Tensor(arrays[1])])
    ours.append(nn.Parameter(arrays[2]))
    theirs = torch.nn.ParameterList([torch.tensor(arrays[0]), torch.tensor(arrays[1])])
    theirs.append(torch.nn.Parameter(torch.tensor(arrays[2])))
    return ours, theirs


def test_parameter_list_registers_like_torch():
    ours, theirs = _pair_of_lists()
    assert repr(ours) == repr(theirs)
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert list(ours.state_dict()) == list(theirs.state_dict()) == ["0", "1", "2"]
    assert all(isinstance(p, nn.Parameter) and p.requires_grad for p in ours)
    assert len(ours) == len(theirs) == 3
    assert [p.shape for p in ours] == [tuple(p.shape) for p in theirs]
    assert ours[-1] is ours[2] and ours[0] is list(ours.parameters())[0]
    assert [p.shape for p in ours[1:]] == [(4,), ()]
    assert type(ours[::2]) is nn.ParameterList and len(ours[::2]) == 2
    assert "0" not in dir(ours) and "append" in dir(ours)


def test_parameter_list_entries_that_are_not_tensors_as_torch():
    ours, theirs = _pair_of_lists()
    for extra in [None, 3, "x"]:
        ours.append(extra)
        theirs.append(extra)
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert ours[3] is None and ours[4] == 3
    ours[3], theirs[3] = np.zeros((1, 2)), torch.zeros(1, 2, dtype=torch.float64)
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict()) == ["0", "1", "2", "3"]
    ours += [np.ones(2)]
    assert list(ours.state_dict())[-1] == "6" and len(ours) == 7


def test_parameter_list_errors_as_torch():
    ours, theirs = _pair_of_lists()
    with pytest.raises(IndexError, match="ParameterList: index 3 is out of range"):
        ours[3]
    with pytest.raises(IndexError):
        theirs[3]
    with pytest.raises(TypeError, match="ParameterList.extend should be called with an iterable"):
        ours.extend(np.zeros(3))
    with pytest.raises(TypeError, match="should be called with an iterable"):
        ours.extend(5)
    with pytest.raises(TypeError):
        ours["0"]
    with pytest.raises(RuntimeError, match="ParameterList should not be called"):
        ours(1)
    assert repr(nn.ParameterList()) == repr(torch.nn.ParameterList()) == "ParameterList()"


def test_parameter_dict_registers_like_torch():
    arrays = {
        key: random_input(shape, i)
        for i, (key, shape) in enumerate(zip("wab", SHAPES, strict=True))
    }
    # a plain dict is taken in sorted key order, an OrderedDict in its own, as PyTorch
    for make in (dict, OrderedDict):
        ours = nn.ParameterDict(make(arrays))
        theirs = torch.nn.ParameterDict(make({k: torch.tensor(v) for k, v in arrays.items()}))
        assert repr(ours) == repr(theirs)
        assert list(ours) == list(theirs) == list(ours.keys())
        assert list(ours.state_dict()) == list(theirs.state_dict())
        assert [n for n, _ in ours.named_parameters()] == list(theirs.state_dict())
    ours["z"], theirs["z"] = np.ones(2, np.float32), torch.ones(2)
    ours.update([("c", np.zeros(1))])
    theirs.update([("c", torch.zeros(1, dtype=torch.float64))])
    assert repr(ours) == repr(theirs)
    assert "c" in ours and "q" not in ours and len(ours) == len(theirs) == 5
    assert ours.pop("w").shape == (2, 3) and "w" not in ours
    assert list(ours.state_dict()) == [k for k in theirs.state_dict() if k != "w"]
    assert ours.get("q", 7) == 7 and ours.get("a") is ours["a"]
    assert ours.setdefault("a") is ours["a"]
    assert [k for k, _ in ours.items()] == list(ours.keys()) and len(list(ours.values())) == 4
    key, value = ours.popitem()
    assert key == "c" and value.shape == (1,) and list(ours) == ["a", "b", "z"]
    merged = ours | nn.ParameterDict({"y": np.ones(3)})
    assert list(merged) == ["a", "b", "z", "y"] and merged["a"] is ours["a"]
    assert list(ours.copy()) == list(ours) and list(reversed(ours)) == ["z", "b", "a"]
    ours.clear()
    assert len(ours) == 0 and list(ours.state_dict()) == [] and repr(ours) == "ParameterDict()"


def test_parameter_dict_errors_as_torch():
    ours = nn.ParameterDict({"w": np.zeros(2)})
    with pytest.raises(TypeError, match="ParameterDict: a key must be a str, got int"):
        ours[1] = np.zeros(1)
    assert list(ours) == ["w"]  # the failed key is not kept
    with pytest.raises(AttributeError, match="'ParameterDict' object has no attribute 'q'"):
        ours["q"]
    with pytest.raises(AttributeError):
        torch.nn.ParameterDict()["q"]
    with pytest.raises(KeyError):  # a dot would make a state_dict key ambiguous
        ours["a.b"] = np.zeros(1)
    with pytest.raises(TypeError, match="ParameterDict.update: expected an iterable"):
        ours.update(3)
    with pytest.raises(ValueError, match="element #0 has length 3; 2 is required"):
        ours.update([("a", np.zeros(1), 1)])
    with pytest.raises(RuntimeError, match="ParameterDict should not be called"):
        ours(np.zeros(1))


def _array(namespace, shape, seed):
    array = random_input(shape, seed)
    return torch.tensor(array) if namespace is torch.nn else array


def _net(namespace):
    """Both containers inside a model of ``namespace`` (xpnet.nn or torch.nn): parameters
    ``params.0``, ``scales.b``, ``scales.a``, as in PyTorch."""

    class Net(namespace.Module):
        def __init__(self):
            super().__init__()
            self.params = namespace.ParameterList([_array(namespace, (3, 2), 0)])
            self.scales = namespace.ParameterDict({"b": _array(namespace, (2,), 1)})
            self.scales["a"] = namespace.Parameter(_array(namespace, (2,), 2))

        def forward(self, x):
            return ((x @ self.params[0]) * self.scales["a"] + self.scales["b"]).sum()

    return Net()


def test_parameter_containers_train_and_load_like_torch(backend):
    ours, theirs = _net(nn).to(backend.name), _net(torch.nn)
    keys = ["params.0", "scales.b", "scales.a"]
    assert list(ours.state_dict()) == list(theirs.state_dict()) == keys
    assert repr(ours) == repr(theirs)
    x = random_input((4, 3), 5)
    optimizer = xpnet.optim.SGD(ours.parameters(), lr=0.1, momentum=0.9)
    torch_optimizer = torch.optim.SGD(theirs.parameters(), lr=0.1, momentum=0.9)
    for _ in range(2):
        optimizer.zero_grad()
        ours(backend.asarray(x)).backward()
        optimizer.step()
        torch_optimizer.zero_grad()
        theirs(torch.tensor(x)).backward()
        torch_optimizer.step()
    for key, value in theirs.state_dict().items():
        assert_close(backend.to_host(ours.state_dict()[key]), value.numpy(), np.float64, key)
    fresh = _net(nn).to(backend.name)
    fresh.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    assert_close(
        backend.to_host(fresh.params[0].array), theirs.params[0].detach().numpy(), np.float64
    )
    moved = fresh.to(dtype=np.float32)
    assert moved.scales["a"].dtype == np.float32 and moved.params[0].dtype == np.float32
