"""Module machinery against torch.nn 2.13: the differences a differential audit of the modules
found (``to``, the ``named_*`` walks, ``state_dict``/``load_state_dict``, buffers, ``dir``,
``Sequential``/``ModuleList`` operators, ``ReLU6``), each pinned to PyTorch's behaviour."""

from __future__ import annotations

from collections import OrderedDict

import numpy as np
import pytest
import torch
from _oracle import assert_close

import xpnet
from xpnet import nn


def _names(pairs):
    return [name for name, _ in pairs]


def _torch_state(torch_module):
    return {key: value.detach().numpy() for key, value in torch_module.state_dict().items()}


@pytest.mark.parametrize(
    "args, kwargs",
    [
        (("float64",), {}),
        ((np.float64,), {}),
        ((), {"device": "cpu", "dtype": np.float64}),
        (("cpu",), {"dtype": np.float64, "non_blocking": True}),
    ],
)
def test_module_to_takes_torchs_arguments(backend, args, kwargs):
    torch_args = [torch.float64 if a is np.float64 or a == "float64" else a for a in args]
    torch_kwargs = {k: torch.float64 if v is np.float64 else v for k, v in kwargs.items()}
    reference = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.BatchNorm1d(3))
    reference.to(*torch_args, **torch_kwargs)
    net = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3)).to(backend.name)
    assert net.to(*args, **kwargs) is net
    dtypes = [str(value.dtype).removeprefix("torch.") for value in reference.state_dict().values()]
    assert [str(value.dtype) for value in net.state_dict().values()] == dtypes
    assert all(type(p.array) is type(backend.xp.zeros(1)) for p in net.parameters())


def test_module_to_a_tensor_takes_its_dtype_and_refuses_integer_dtypes(backend):
    layer = nn.Linear(2, 2)
    layer.to(xpnet.Tensor(backend.xp.zeros(2, dtype="float64")))
    assert layer.weight.dtype == np.float64 and type(layer.weight.array) is type(
        backend.xp.zeros(1)
    )
    message = "nn.Module.to only accepts floating point or complex dtypes"
    with pytest.raises(TypeError, match=message):
        torch.nn.Linear(2, 2).to(torch.int64)
    with pytest.raises(TypeError, match=message):
        layer.to(np.int64)


def test_named_walks_take_remove_duplicate_and_memo():
    def build(lib):
        shared = lib.Linear(2, 2)
        net = lib.Sequential(shared, lib.BatchNorm1d(2), shared)
        net[1].register_buffer("alias", net[1].running_mean)
        return net

    ours, theirs = build(nn), build(torch.nn)
    for remove_duplicate in (True, False):
        for method in ("named_parameters", "named_buffers", "named_modules"):
            expected = _names(getattr(theirs, method)(remove_duplicate=remove_duplicate))
            assert _names(getattr(ours, method)(remove_duplicate=remove_duplicate)) == expected
        assert len(list(ours.modules(remove_duplicate))) == len(
            list(theirs.modules(remove_duplicate))
        )
    assert _names(ours.named_parameters("p", remove_duplicate=False)) == _names(
        theirs.named_parameters("p", remove_duplicate=False)
    )
    memo_ours, memo_theirs = {ours[1]}, {theirs[1]}
    assert _names(ours.named_modules(memo_ours, "net")) == _names(
        theirs.named_modules(memo_theirs, "net")
    )
    assert len(memo_ours) == len(memo_theirs) == 3


def test_state_dict_takes_a_destination_and_torchs_deprecated_positional_arguments(backend):
    layer, reference = nn.Linear(2, 2), torch.nn.Linear(2, 2)
    destination = layer.state_dict(destination={"step": 1}, prefix="fc.")
    assert list(destination) == list(reference.state_dict(destination={"step": 1}, prefix="fc."))
    with pytest.warns(FutureWarning, match="Positional args are being deprecated"):
        positional = layer.state_dict(None, "fc.", True)
    assert list(positional) == ["fc.weight", "fc.bias"]
    assert positional["fc.weight"] is layer.weight


def test_load_state_dict_assign_replaces_parameters_and_buffers_as_torch(backend):
    reference = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.BatchNorm1d(2)).double()
    reference[1].running_mean.uniform_(-1, 1)
    state = _torch_state(reference)
    net = nn.Sequential(nn.Linear(3, 2), nn.BatchNorm1d(2)).to(backend.name)
    net[0].bias.requires_grad = False
    result = net.load_state_dict(state, assign=True)
    assert repr(result) == "<All keys matched successfully>"
    assert isinstance(net[0].weight, nn.Parameter) and net[0].weight.requires_grad
    assert not net[0].bias.requires_grad
    for key, value in net.state_dict().items():
        assert value.dtype == state[key].dtype, key  # assign keeps the loaded dtype
        assert type(value) is type(backend.xp.zeros(1)), key
        assert_close(xpnet.to_numpy(value), state[key], np.float64, key)
    x = np.random.default_rng(0).uniform(-1, 1, (4, 3))
    reference.eval(), net.eval()
    expected = reference(torch.from_numpy(x)).detach().numpy()
    assert_close(
        xpnet.to_numpy(net(xpnet.Tensor(backend.xp.asarray(x))).array), expected, np.float64
    )


def test_load_state_dict_lists_unexpected_keys_in_torchs_order():
    state = {
        "0.weight": np.ones((2, 2)),
        "0.bias": np.ones(2),
        "0.weight.extra": np.ones(1),
        "1.weight": np.ones(1),
        "stray": np.ones(1),
    }
    reference = torch.nn.Sequential(torch.nn.Linear(2, 2))
    expected = reference.load_state_dict(
        {key: torch.from_numpy(value) for key, value in state.items()}, strict=False
    )
    result = nn.Sequential(nn.Linear(2, 2)).load_state_dict(state, strict=False)
    assert (
        result.unexpected_keys
        == expected.unexpected_keys
        == ["1.weight", "stray", "0.weight.extra"]
    )
    assert result.missing_keys == expected.missing_keys == []


def test_load_state_dict_reads_a_one_element_array_into_a_0d_entry(backend):
    # PyTorch's compatibility path: a (1,)-shaped value loads into a 0-d parameter or buffer
    state = _torch_state(torch.nn.BatchNorm1d(2))
    state["num_batches_tracked"] = np.array([5])
    norm = nn.BatchNorm1d(2).to(backend.name)
    norm.load_state_dict(state)
    assert int(norm.num_batches_tracked) == 5 and norm.num_batches_tracked.shape == ()


def test_buffers_refuse_values_that_are_not_arrays():
    for lib in (nn, torch.nn):
        layer = lib.Linear(2, 2)
        with pytest.raises(TypeError, match="cannot assign 'int' object to buffer 'count'"):
            layer.register_buffer("count", 3)
        layer.register_buffer("scale", None)
        layer.scale = (torch if lib is torch.nn else xpnet).ones(1)
        with pytest.raises(TypeError, match="cannot assign 'list' "):
            layer.scale = [1.0]
        layer.scale = None  # None stays allowed


def test_dir_lists_parameters_buffers_and_children_and_register_module_adds_a_child():
    net, reference = nn.Sequential(nn.BatchNorm1d(2)), torch.nn.Sequential(torch.nn.BatchNorm1d(2))
    for name in ("weight", "bias", "running_mean", "num_batches_tracked"):
        assert (name in dir(net[0])) == (name in dir(reference[0])) == True  # noqa: E712
    assert "0" not in dir(net) and "0" not in dir(reference)
    net.register_module("head", nn.ReLU())
    reference.register_module("head", torch.nn.ReLU())
    assert repr(net) == repr(reference)


def test_sequential_operators_and_repr_as_torch():
    def build(lib):
        return lib.Sequential(OrderedDict([("a", lib.ReLU()), ("b", lib.Tanh()), ("c", lib.ELU())]))

    ours, theirs = build(nn), build(torch.nn)
    assert repr(ours[1:]) == repr(theirs[1:])  # a slice keeps the names
    assert repr(nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 2))) == repr(
        torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.Linear(2, 2))
    )
    for operation in (
        lambda s, lib: s + lib.Sequential(lib.Sigmoid()),
        lambda s, lib: s * 2,
        lambda s, lib: 2 * s,
    ):
        result, expected = operation(build(nn), nn), operation(build(torch.nn), torch.nn)
        assert type(result) is nn.Sequential and repr(result) == repr(expected)
    for name, lib in (("ours", nn), ("theirs", torch.nn)):
        net = lib.Sequential(lib.ReLU(), lib.Tanh())  # PyTorch's *= needs the names 0, 1, ...
        net += lib.Sequential(lib.Sigmoid())
        net *= 2
        assert net.insert(1, lib.GELU()) is net
        popped = net.pop(0)
        if name == "ours":
            ours, ours_popped = net, popped
        else:
            theirs, theirs_popped = net, popped
    assert repr(ours) == repr(theirs) and repr(ours_popped) == repr(theirs_popped)
    for lib in (nn, torch.nn):
        with pytest.raises(ValueError, match="add operator supports only objects of Sequential"):
            build(lib) + lib.ModuleList([lib.ReLU()])
        with pytest.raises(ValueError, match="Non-positive multiplication factor"):
            build(lib) * 0
        with pytest.raises(IndexError, match="Index out of range"):
            build(lib).insert(5, lib.ReLU())


def test_module_list_pop_and_in_place_add_as_torch():
    results = []
    for lib in (nn, torch.nn):
        layers = lib.ModuleList([lib.ReLU(), lib.Tanh(), lib.ELU()])
        same = layers
        layers += [lib.Sigmoid()]
        popped = layers.pop(1)
        results.append((repr(layers), repr(popped), layers is same))
    assert results[0] == results[1]


def test_relu6_has_torchs_hardtanh_bounds():
    ours, theirs = nn.ReLU6(inplace=True), torch.nn.ReLU6(inplace=True)
    assert (ours.min_val, ours.max_val) == (theirs.min_val, theirs.max_val) == (0.0, 6.0)
    assert repr(ours) == repr(theirs)
