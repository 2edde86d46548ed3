"""Module machinery and containers against torch.nn 2.13, second audit: shared children walked
once, Tensor buffers through every cast, ``load_state_dict``'s checks and order, ``zero_grad``
in place, registration before ``__init__`` and over methods, containers built from ``None``,
``ParameterDict``'s KeyErrors, ``Parameter()``, copies without ``.grad``, extra state, the
state-dict hooks, ``set_submodule``, ``type``, ``to_empty`` and ``share_memory``.

Each test runs one body per library (``_on(lib)``-style helpers) and compares what they give.
"""

from __future__ import annotations

import copy
import pickle
import re
from collections import OrderedDict

import numpy as np
import pytest
import torch

import xpnet
from xpnet import nn


def _names(pairs):
    return [name for name, _ in pairs]


def _error(call, *args, **kwargs):
    """``(exception class name, message)`` of what ``call(*args, **kwargs)`` raises."""
    with pytest.raises(Exception) as caught:
        call(*args, **kwargs)
    return type(caught.value).__name__, str(caught.value)


def _core(text: str) -> str:
    """A message's last line without xpnet's ``Class.method: `` prefix (PyTorch's messages
    follow it) or a KeyError's quotes, to compare with PyTorch's."""
    line = text.strip("'\"").splitlines()[-1].strip()
    return re.sub(r"^\w+(\.\w+)?: ", "", line)


def _array(lib, value, dtype="float32"):
    """``value`` as what ``lib``'s load_state_dict takes: a NumPy array or a torch tensor."""
    array = np.asarray(value, dtype=dtype)
    return torch.from_numpy(array) if lib is torch else array


# -- 1. a child registered twice ---------------------------------------------------------------
def _walk_shared_child(lib):
    relu = lib.nn.ReLU()
    net = lib.nn.Sequential(lib.nn.Linear(2, 2), relu, relu)
    applied, calls = [], []
    net.apply(lambda module: applied.append(type(module).__name__))
    relu.train = lambda mode=True: calls.append(mode) or relu
    net.eval()
    children = [type(child).__name__ for child in net.children()]
    walks = _names(net.named_children()), children, applied, calls
    return walks, repr(net), list(net.state_dict()), len(net), len(list(net.modules()))


def test_named_children_lists_a_shared_child_once():
    # printing, saving, len() and the containers still see it under each name, as PyTorch's
    ours = _walk_shared_child(xpnet)
    assert ours == _walk_shared_child(torch)
    assert ours[0] == (["0", "1"], ["Linear", "ReLU"], ["Linear", "ReLU", "Sequential"], [False])


# -- 2. buffers given as Tensors -----------------------------------------------------------------
@pytest.mark.parametrize("cast", ["double", "half", "float", "to_float64"])
def test_tensor_buffers_take_every_cast_as_torch(backend, cast):
    def build(lib):
        module = lib.nn.BatchNorm1d(2)
        module.register_buffer("mask", lib.ones(3))
        module.running_mean = lib.zeros(2)  # assigned over a registered buffer
        return module

    def run(module, lib):
        return module.to(lib.float64) if cast == "to_float64" else getattr(module, cast)()

    theirs = run(build(torch), torch)
    ours = build(xpnet).to(backend.name)
    mask = ours.mask
    assert run(ours, xpnet) is ours
    for name in ("mask", "running_mean", "running_var", "num_batches_tracked"):
        expected = str(getattr(theirs, name).dtype).removeprefix("torch.")
        assert str(getattr(ours, name).dtype) == expected, name
    assert isinstance(ours.mask, xpnet.Tensor)  # still a Tensor: a new one where cast
    assert type(ours.mask.array) is type(backend.xp.zeros(1))
    if cast != "float":
        assert ours.mask is not mask and mask.dtype == np.float32


def test_tensor_buffers_save_load_and_assign_as_tensors(backend):
    layer = nn.Linear(2, 2).to(backend.name)
    layer.register_buffer("scale", xpnet.ones(2).to(backend.name))
    state = layer.state_dict()
    assert type(state["scale"]) is type(backend.xp.zeros(1))  # values are arrays, as before
    held = layer.scale
    layer.load_state_dict({**state, "scale": np.full(2, 3.0, dtype="float32")})
    assert layer.scale is held and held.tolist() == [3.0, 3.0]
    layer.load_state_dict({**state, "scale": np.full(2, 5.0, dtype="float32")}, assign=True)
    assert isinstance(layer.scale, xpnet.Tensor) and layer.scale.tolist() == [5.0, 5.0]


# -- 3, 4, 5. what load_state_dict refuses, and what it has copied by then -----------------------
def _load_bad_weight(lib, bad):
    layer = lib.nn.Linear(1, 1)
    kind, text = _error(layer.load_state_dict, {"weight": bad, "bias": _array(lib, [0.0])})
    return kind, _core(text), layer.bias.tolist()


@pytest.mark.parametrize("bad", [[1.0], 1.0, None])
def test_load_state_dict_refuses_values_that_are_not_arrays(bad):
    ours, theirs = _load_bad_weight(xpnet, bad), _load_bad_weight(torch, bad)
    assert ours == theirs  # the error, and the bias copied before it was raised
    assert ours[0] == "RuntimeError" and ours[1].endswith(f"received {type(bad)}")


def test_load_state_dict_refuses_a_non_mapping():
    pairs = [("weight", np.ones((1, 1))), ("bias", np.ones(1))]
    expected = _error(torch.nn.Linear(1, 1).load_state_dict, pairs)
    assert _error(nn.Linear(1, 1).load_state_dict, pairs) == expected
    assert expected == ("TypeError", "Expected state_dict to be dict-like, got <class 'list'>.")


def _load_after_failure(lib, extra):
    layer = lib.nn.Linear(2, 2)
    zeros = {"weight": _array(lib, np.zeros((2, 2))), "bias": _array(lib, np.zeros(2))}
    layer.load_state_dict(zeros)
    state = {"weight": _array(lib, np.full((2, 2), 2.0)), "bias": _array(lib, np.ones(2))}
    state.update({key: _array(lib, value) if key != "list" else value for key, value in extra})
    kind, _ = _error(
        layer.load_state_dict, {key.replace("list", "bias"): v for key, v in state.items()}
    )
    return kind, layer.weight.tolist(), layer.bias.tolist()


@pytest.mark.parametrize(
    "extra",
    [[("extra", np.ones(1))], [("bias", np.ones(3))], [("list", [1.0, 2.0])]],
    ids=["unexpected", "size-mismatch", "not-an-array"],
)
def test_a_failed_strict_load_has_copied_the_matching_entries_as_torch(extra):
    ours, theirs = _load_after_failure(xpnet, extra), _load_after_failure(torch, extra)
    assert ours == theirs and ours[0] == "RuntimeError" and ours[1] == [[2.0, 2.0]] * 2


# -- 6. zero_grad(set_to_none=False) -------------------------------------------------------------
def _zero_grad_after_inf(lib, backend):
    layer = lib.nn.Linear(2, 1)
    data = np.array([[np.inf, 1.0]], dtype="float32")
    if lib is xpnet:
        layer.to(backend.name)
        data = xpnet.Tensor(backend.xp.asarray(data))
    layer(torch.from_numpy(data) if lib is torch else data).sum().backward()
    grad = layer.weight.grad
    layer.zero_grad(set_to_none=False)
    return layer.weight.grad is grad, layer.weight.grad.tolist(), layer.bias.grad.tolist()


def test_zero_grad_zeroes_in_place_as_torch(backend):
    ours, theirs = _zero_grad_after_inf(xpnet, backend), _zero_grad_after_inf(torch, backend)
    assert ours == theirs == (True, [[0.0, 0.0]], [0.0])  # not NaN: inf * 0


def _zero_grad_with_graph(lib):
    weight = lib.nn.Parameter(lib.ones(2, dtype=lib.float64))
    module = lib.nn.Module()
    module.weight = weight
    (weight * weight).sum().backward(create_graph=True)
    grad = weight.grad
    before = grad.grad_fn is not None
    module.zero_grad(set_to_none=False)
    return before, weight.grad is grad, grad.grad_fn, grad.requires_grad, grad.tolist()


@pytest.mark.filterwarnings("ignore:Using backward.. with create_graph=True")
def test_zero_grad_takes_a_grad_with_a_graph_out_of_it():
    expected = (True, True, None, False, [0.0, 0.0])
    assert _zero_grad_with_graph(xpnet) == _zero_grad_with_graph(torch) == expected


# -- 7, 8. registration over a method, and before Module.__init__ --------------------------------
def _register_over_methods(lib):
    layer = lib.nn.Linear(1, 1)
    errors = [
        _error(setattr, layer, "forward", lib.nn.Parameter(lib.zeros(1))),
        _error(setattr, layer, "extra_repr", lib.nn.Buffer(lib.zeros(1))),
        _error(layer.register_buffer, "train", lib.zeros(1)),
        _error(layer.add_module, "eval", lib.nn.ReLU()),
    ]
    errors = [(kind, _core(text)) for kind, text in errors]
    unchanged = _names(layer.named_parameters())
    layer.forward = lib.nn.ReLU()  # setattr does not check a Module's name, as PyTorch's
    layer.plain = 3
    layer.plain = lib.nn.Parameter(lib.zeros(1))  # a plain attribute gives way
    return errors, unchanged, _names(layer.named_children()), _names(layer.named_parameters())


def test_a_parameter_or_buffer_over_a_method_raises_key_error_as_torch():
    ours = _register_over_methods(xpnet)
    assert ours == _register_over_methods(torch)
    assert ours[0][0] == ("KeyError", "attribute 'forward' already exists")


def _assign_before_init(lib):
    class Net(lib.nn.Module):
        def __init__(self, value):
            self.value = value
            super().__init__()

    values = [lib.nn.Parameter(lib.zeros(1)), lib.nn.ReLU(), lib.nn.Buffer(lib.zeros(1))]
    errors = [_error(Net, value) for value in values]
    return Net(3).value, [(kind, _core(text)) for kind, text in errors]


def test_plain_attributes_before_init_and_what_is_refused():
    ours = _assign_before_init(xpnet)
    assert ours == _assign_before_init(torch)
    assert ours[1][0] == (
        "AttributeError",
        "cannot assign parameters before Module.__init__() call",
    )


# -- 9, 10. containers from None; ParameterDict's KeyErrors --------------------------------------
def test_containers_built_from_none_are_empty():
    for name in ("ModuleList", "ModuleDict", "ParameterList", "ParameterDict"):
        ours, theirs = getattr(nn, name)(None), getattr(torch.nn, name)(None)
        assert len(ours) == len(theirs) == 0 and repr(ours) == repr(theirs), name
    assert repr(nn.Sequential()) == repr(torch.nn.Sequential())


def _missing_parameter_keys(lib):
    params = lib.nn.ParameterDict()
    return _error(params.popitem), _error(params.__delitem__, "k")


def test_parameter_dict_missing_keys_raise_key_error():
    ours = _missing_parameter_keys(xpnet)
    assert ours == _missing_parameter_keys(torch)
    assert ours == (("KeyError", "'popitem(): dictionary is empty'"), ("KeyError", "'k'"))


# -- 11, 12. Parameter(), and copies ------------------------------------------------------------
@pytest.mark.parametrize("args", [(), (None,)], ids=["no-data", "none"])
def test_parameter_without_data_is_empty(args):
    ours, theirs = nn.Parameter(*args), torch.nn.Parameter(*args)
    assert type(ours) is nn.Parameter and ours.requires_grad and theirs.requires_grad
    assert tuple(ours.shape) == tuple(theirs.shape) == (0,)
    assert str(ours.dtype) == str(theirs.dtype).removeprefix("torch.")


def _copies_after_backward(lib, backend):
    layer = lib.nn.Linear(2, 1)
    if lib is xpnet:
        layer.to(backend.name)
    head = lib.nn.Sequential(layer, lib.nn.Linear(2, 1))
    head[1].weight = layer.weight  # tied: the copies stay tied
    layer(lib.ones(1, 2)).sum().backward()
    layer.bias.requires_grad = False
    layer.weight.note = "kept"
    deep, loaded = copy.deepcopy(head), pickle.loads(pickle.dumps(head))
    return [
        (
            copied[0].weight is not layer.weight,
            copied[0].weight.tolist() == layer.weight.tolist(),
            copied[0].weight.grad is None,
            copied[0].bias.requires_grad,
            getattr(copied[0].weight, "note", None),
            type(copied[0].weight).__name__,
            copied[1].weight is copied[0].weight,
        )
        for copied in (deep, loaded)
    ]


def test_deepcopy_and_pickle_drop_grad_and_keep_requires_grad_as_torch(backend):
    ours = _copies_after_backward(xpnet, backend)
    assert ours == _copies_after_backward(torch, backend)
    assert ours == [(True, True, True, False, None, "Parameter", True)] + [
        (True, True, True, False, "kept", "Parameter", True)  # pickling keeps the attributes
    ]


# -- 13. extra state, hooks and the other Module methods ----------------------------------------
def _with_extra_state(lib):
    class Counter(lib.nn.Linear):
        def __init__(self):
            super().__init__(1, 1)
            self.step = 3

        def get_extra_state(self):
            return {"step": self.step}

        def set_extra_state(self, state):
            self.step = state["step"]

    return lib.nn.Sequential(Counter(), lib.nn.ReLU())


def _extra_state(lib):
    net = _with_extra_state(lib)
    saved = net.state_dict()
    state = {"0.weight": _array(lib, [[1.0]]), "0.bias": _array(lib, [2.0])}
    net.load_state_dict({**state, "0._extra_state": {"step": 7}})
    step = net[0].step
    missing = net.load_state_dict(state, strict=False).missing_keys
    plain = lib.nn.Linear(1, 1)
    extra = {"weight": _array(lib, [[1.0]]), "bias": _array(lib, [2.0]), "_extra_state": 1}
    unexpected = plain.load_state_dict(extra, strict=False).unexpected_keys
    return list(saved), saved["0._extra_state"], step, missing, unexpected


def test_extra_state_saves_and_loads_as_torch():
    ours = _extra_state(xpnet)
    assert ours == _extra_state(torch)
    assert ours[0] == ["0.weight", "0.bias", "0._extra_state"] and ours[2] == 7
    assert ours[3] == ["0._extra_state"] and ours[4] == ["_extra_state"]
    assert _error(nn.Linear(1, 1).get_extra_state)[0] == "RuntimeError"


def _state_dict_hooks(lib):
    net = lib.nn.Sequential(lib.nn.Linear(1, 1))
    seen = []
    net[0].register_state_dict_pre_hook(lambda m, prefix, keep: seen.append((prefix, keep)))

    def post(module, state_dict, prefix, local_metadata):
        seen.append(sorted(state_dict))
        state_dict[prefix + "added"] = 1

    handle = net.register_state_dict_post_hook(post)
    seen.append(sorted(net.state_dict(keep_vars=True)))
    handle.remove()
    seen.append(sorted(net.state_dict()))
    net.register_state_dict_post_hook(lambda *args: {})
    seen.append(_error(net.state_dict))
    return seen


def test_state_dict_hooks_as_torch():
    ours = _state_dict_hooks(xpnet)
    assert ours == _state_dict_hooks(torch)
    assert ours[-1] == ("RuntimeError", "state_dict post-hook must return None")


def _load_pre_hooks(lib):
    net = lib.nn.Sequential(lib.nn.Linear(1, 1))
    seen = []

    def rename(module, state_dict, prefix, local_metadata, strict, missing, unexpected, errors):
        seen.append((type(module).__name__, prefix, strict, sorted(state_dict)))
        if prefix + "w" in state_dict:
            state_dict[prefix + "weight"] = state_dict.pop(prefix + "w")

    def refuse(module, state_dict, prefix, local_metadata, strict, missing, unexpected, errors):
        errors.append("refused")

    net[0].register_load_state_dict_pre_hook(rename)
    state = {"0.w": _array(lib, [[4.0]]), "0.bias": _array(lib, [0.0])}
    seen.append(repr(net.load_state_dict(state)))
    seen.append(net[0].weight.tolist())
    handle = net.register_load_state_dict_pre_hook(refuse)
    kind, text = _error(net.load_state_dict, state)
    seen.append((kind, "refused" in text))
    handle.remove()
    copy.deepcopy(net).load_state_dict(state)  # the copy's hook gets the copy
    return seen


def test_load_state_dict_pre_hooks_as_torch():
    ours = _load_pre_hooks(xpnet)
    assert ours == _load_pre_hooks(torch)
    assert ours[0] == ("Linear", "0.", True, ["0.bias", "0.w"]) and ours[2] == [[4.0]]


def _load_post_hooks(lib):
    net = lib.nn.Sequential(lib.nn.Linear(1, 1))
    order = []
    net[0].register_load_state_dict_post_hook(
        lambda module, keys: order.append(("child", list(keys.missing_keys)))
    )

    def forgive(module, keys):
        order.append(("root", list(keys.missing_keys)))
        keys.missing_keys.clear()

    net.register_load_state_dict_post_hook(forgive)
    result = net.load_state_dict({"0.weight": _array(lib, [[1.0]])})
    net.register_load_state_dict_post_hook(lambda module, keys: 1)
    kind, _ = _error(net.load_state_dict, {"0.weight": _array(lib, [[1.0]])})
    return order[:2], repr(result), kind


def test_load_state_dict_post_hooks_edit_the_keys_that_strict_checks():
    ours = _load_post_hooks(xpnet)
    assert ours == _load_post_hooks(torch)
    expected_order = [("child", ["0.bias"]), ("root", ["0.bias"])]
    assert ours == (expected_order, "<All keys matched successfully>", "AssertionError")


def test_xpnets_own_load_pre_hooks_keep_their_two_arguments_beside_torchs():
    # lazy modules and weight_norm's older keys write this dict directly: hook(state_dict, prefix)
    net = nn.Sequential(nn.Linear(1, 1))
    seen = []
    hooks = net[0].__dict__.setdefault("_load_state_dict_pre_hooks", OrderedDict())
    hooks["compat"] = lambda state_dict, prefix: seen.append((prefix, sorted(state_dict)))
    net[0].register_load_state_dict_pre_hook(
        lambda module, state_dict, *rest: seen.append(len(rest))
    )
    net.load_state_dict({"0.weight": np.ones((1, 1)), "0.bias": np.ones(1)})
    assert seen == [("0.", ["0.bias", "0.weight"]), 6]


def _set_submodules(lib):
    block = lib.nn.Sequential(lib.nn.Linear(2, 2))
    net = lib.nn.Sequential(OrderedDict(block=block, act=lib.nn.ReLU()))
    net.set_submodule("block.0", lib.nn.Tanh())
    net.set_submodule("block.extra", lib.nn.ReLU())
    block.value = 3
    errors = [
        _error(net.set_submodule, "", lib.nn.ReLU()),
        _error(net.set_submodule, "act", 3)[0],
        _error(net.set_submodule, "block.missing", lib.nn.ReLU(), strict=True),
        _error(net.set_submodule, "nope.x", lib.nn.ReLU())[0],
        _error(net.set_submodule, "block.value", lib.nn.ReLU()),
    ]
    return repr(net), errors


def test_set_submodule_as_torch():
    assert _set_submodules(xpnet) == _set_submodules(torch)


def test_type_casts_integer_buffers_too_as_torch():
    ours, theirs = nn.BatchNorm1d(2), torch.nn.BatchNorm1d(2)
    assert ours.type(xpnet.float64) is ours and theirs.type(torch.float64) is theirs
    for name in ("weight", "running_mean", "num_batches_tracked"):
        expected = str(getattr(theirs, name).dtype).removeprefix("torch.")
        assert str(getattr(ours, name).dtype) == expected, name
    assert nn.Linear(1, 1).type("torch.DoubleTensor").weight.dtype == np.float64
    kind, _ = _error(torch.nn.Linear(1, 1).type, torch.int64)
    assert _error(nn.Linear(1, 1).type, xpnet.int64)[0] == kind == "RuntimeError"


def test_to_empty_share_memory_and_get_name_as_torch(backend):
    layer = nn.Linear(2, 3).double()
    weight = layer.weight
    assert layer.to_empty(device=backend.name) is layer and layer.weight is weight
    assert tuple(layer.weight.shape) == (3, 2) and layer.weight.dtype == np.float64
    assert type(layer.weight.array) is type(backend.xp.zeros(1))
    net = nn.Sequential(nn.Linear(1, 1))
    before = net[0].weight.array
    net.to_empty(device=None, recurse=False)
    assert net[0].weight.array is before  # recurse=False: the children keep theirs
    norm, reference = nn.BatchNorm1d(2), torch.nn.BatchNorm1d(2)
    assert norm.share_memory() is norm and reference.share_memory() is reference
    assert norm._get_name() == reference._get_name() == "BatchNorm1d"
