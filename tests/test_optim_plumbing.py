"""The optimizer base class against torch.optim.Optimizer: step, state-dict and global hooks,
``named_parameters()``, the switches kept in the groups, ``zero_grad(set_to_none=False)`` on a
gradient in a graph, the scalar state's dtype, and a parameter listed twice."""

from __future__ import annotations

import copy
import pickle
import warnings

import numpy as np
import pytest
import torch
from _oracle import assert_close, random_input
from torch.optim import optimizer as torch_optimizer

import xpnet
import xpnet.optim as optim
from xpnet.nn import Parameter as Param
from xpnet.optim import optimizer as xpnet_optimizer

SHAPES = [(3, 4), (5,), ()]
STEPS = 4
# every optimizer both libraries have, with options that make each keep state
OPTIMIZERS = {
    "SGD": {"lr": 0.1, "momentum": 0.9},
    "Adam": {"lr": 0.05},
    "AdamW": {"lr": 0.05},
    "Adagrad": {"lr": 0.1},
    "Adadelta": {},
    "Adamax": {"lr": 0.05},
    "NAdam": {"lr": 0.05},
    "RAdam": {"lr": 0.05},
    "ASGD": {"lr": 0.05, "t0": 1},
    "Rprop": {"lr": 0.05},
    "RMSprop": {"lr": 0.01, "momentum": 0.5},
    "Adafactor": {"lr": 0.05},
    "LBFGS": {"lr": 0.5},
}


def gradient(values: np.ndarray, step: int, index: int) -> np.ndarray:
    return 0.5 * values + np.sin(3.0 * values) + random_input(values.shape, 100 * step + index)


def pair(backend, name, kwargs=None, shapes=SHAPES):
    """An xpnet optimizer on ``backend`` and a torch one (float64), on the same values."""
    kwargs = OPTIMIZERS[name] if kwargs is None else kwargs
    values = [random_input(shape, seed=index) for index, shape in enumerate(shapes)]
    params = [Param(backend.asarray(value)) for value in values]
    tensors = [torch.tensor(value, requires_grad=True) for value in values]
    return (
        getattr(optim, name)(params, **kwargs),
        params,
        getattr(torch.optim, name)(tensors, **kwargs),
        tensors,
    )


def set_gradients(backend, params, tensors, step):
    for index, (param, tensor) in enumerate(zip(params, tensors, strict=True)):
        grad = gradient(tensor.detach().numpy(), step, index)
        param.grad, tensor.grad = backend.asarray(grad), torch.tensor(grad)


def closures(backend, params, tensors, step):
    """LBFGS's closures: each sets its own parameters' gradients at their current values."""

    def ours():
        values = [backend.to_host(param.array).astype(np.float64) for param in params]
        for index, (param, value) in enumerate(zip(params, values, strict=True)):
            param.grad = backend.asarray(gradient(value, step, index))
        return sum(float((value**2).sum()) for value in values)

    def theirs():
        values = [tensor.detach().numpy() for tensor in tensors]
        for index, (tensor, value) in enumerate(zip(tensors, values, strict=True)):
            tensor.grad = torch.tensor(gradient(value, step, index))
        return sum(float((value**2).sum()) for value in values)

    return ours, theirs


def step_both(backend, ours, params, theirs, tensors, steps=range(STEPS)):
    """Step both with the same gradients (LBFGS through closures), then compare."""
    for step in steps:
        if isinstance(ours, optim.LBFGS):
            mine, torchs = closures(backend, params, tensors, step)
            ours.step(mine)
            theirs.step(torchs)
        else:
            set_gradients(backend, params, tensors, step)
            ours.step()
            theirs.step()
    for param, tensor in zip(params, tensors, strict=True):
        assert_close(backend.to_host(param.array), tensor.detach().numpy(), np.float64)


def recorder(calls, label, result=None):
    def hook(*args):
        calls.append((label, type(args[0]).__name__, *map(summary, args[1:])))
        return result

    return hook


def summary(value):
    """A hook argument as something both libraries' calls compare equal on."""
    if isinstance(value, dict) and "param_groups" in value:
        return ("state_dict", sorted(value))
    if isinstance(value, dict):
        return sorted(value)  # step kwargs
    return len(value)  # step args


# -- 1. hooks -----------------------------------------------------------------------------------
@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_step_hooks_run_around_every_optimizers_step(backend, name):
    """Per-optimizer and global step hooks, in torch's order, on every optimizer (LBFGS, whose
    step is its own, too); removed by their handles."""
    ours, params, theirs, tensors = pair(backend, name)
    calls = {"ours": [], "theirs": []}
    handles = []
    for label, optimizer, register_pre, register_post in [
        (
            "ours",
            ours,
            xpnet_optimizer.register_optimizer_step_pre_hook,
            xpnet_optimizer.register_optimizer_step_post_hook,
        ),
        (
            "theirs",
            theirs,
            torch_optimizer.register_optimizer_step_pre_hook,
            torch_optimizer.register_optimizer_step_post_hook,
        ),
    ]:
        handles += [
            optimizer.register_step_post_hook(recorder(calls[label], "post")),
            optimizer.register_step_pre_hook(recorder(calls[label], "pre")),
            register_post(recorder(calls[label], "global post")),
            register_pre(recorder(calls[label], "global pre")),
        ]
    try:
        step_both(backend, ours, params, theirs, tensors, range(1))
    finally:
        for handle in handles:
            handle.remove()
    args = 2 if name == "LBFGS" else 1  # the optimizer, LBFGS's closure
    labels = ("global pre", "pre", "post", "global post")
    expected = [(label, name, args, []) for label in labels]
    assert calls["ours"] == calls["theirs"] == expected
    step_both(backend, ours, params, theirs, tensors, range(1, 2))
    assert len(calls["ours"]) == len(calls["theirs"]) == 4  # removed


@pytest.mark.parametrize("lib", [xpnet, torch])
def test_step_pre_hook_may_replace_the_arguments(lib):
    """A pre-hook's ``(args, kwargs)`` (the optimizer first, as torch's) is what step gets,
    and what the post-hooks see; a pre-hook returning anything else is a RuntimeError."""
    weight = lib.nn.Parameter(lib.ones(2))
    optimizer = lib.optim.SGD([weight], lr=0.5)

    def closure():
        weight.grad = lib.ones(2)
        return 7.0

    seen = []
    optimizer.register_step_pre_hook(lambda opt, args, kwargs: ((opt, closure), {}))
    optimizer.register_step_post_hook(lambda opt, args, kwargs: seen.append((args, kwargs)))
    assert optimizer.step() == 7.0
    assert seen == [((optimizer, closure), {})] and weight.tolist() == [0.5, 0.5]
    optimizer.register_step_pre_hook(lambda opt, args, kwargs: "not a pair")
    with pytest.raises(RuntimeError, match="must return None or a tuple"):
        optimizer.step()


def test_subclass_calling_super_step_runs_the_hooks_once():
    class Counting(optim.SGD):
        def step(self, closure=None, *, found_inf=None):
            self.steps = getattr(self, "steps", 0) + 1
            return super().step(closure, found_inf=found_inf)

    weight = Param(np.ones(2))
    optimizer = Counting([weight], lr=0.5)
    calls = []
    optimizer.register_step_pre_hook(recorder(calls, "pre"))
    weight.grad = np.ones(2)
    optimizer.step()
    assert calls == [("pre", "Counting", 1, [])] and optimizer.steps == 1
    assert weight.array.tolist() == [0.5, 0.5]


@pytest.mark.parametrize("name", ["SGD", "Adam", "LBFGS"])
def test_state_dict_hooks_as_torch(backend, name):
    """The state-dict hooks' calls and order (``prepend``), and what a post-hook returns."""
    ours, params, theirs, tensors = pair(backend, name)
    step_both(backend, ours, params, theirs, tensors, range(1))
    calls = {"ours": [], "theirs": []}
    for label, optimizer in [("ours", ours), ("theirs", theirs)]:
        record = calls[label]
        optimizer.register_state_dict_pre_hook(recorder(record, "pre"))
        optimizer.register_state_dict_pre_hook(recorder(record, "pre first"), prepend=True)
        optimizer.register_state_dict_post_hook(recorder(record, "post"))
        replaced = {"state": {}, "param_groups": [], "replaced": True}
        optimizer.register_state_dict_post_hook(recorder(record, "post last", replaced))
        optimizer.register_load_state_dict_pre_hook(recorder(record, "load pre"))
        optimizer.register_load_state_dict_post_hook(recorder(record, "load post"))
        optimizer.register_load_state_dict_post_hook(recorder(record, "load first"), True)
    assert ours.state_dict() == theirs.state_dict() == replaced
    assert calls["ours"] == calls["theirs"]
    assert [call[0] for call in calls["ours"]] == ["pre first", "pre", "post", "post last"]
    groups = [{**group, "params": list(range(len(SHAPES)))} for group in torch_groups(theirs)]
    ours.load_state_dict({"state": {}, "param_groups": groups})
    theirs.load_state_dict({"state": {}, "param_groups": groups})
    assert calls["ours"] == calls["theirs"]
    assert [call[0] for call in calls["ours"][4:]] == ["load pre", "load first", "load post"]


def torch_groups(optimizer):
    return [{k: v for k, v in group.items() if k != "params"} for group in optimizer.param_groups]


@pytest.mark.parametrize("lib", [xpnet, torch])
def test_load_state_dict_pre_hook_gets_a_copy_and_may_replace_it(lib):
    weight = lib.nn.Parameter(lib.ones(2))
    optimizer = lib.optim.SGD([weight], lr=0.5)
    saved = optimizer.state_dict()
    saved["param_groups"][0]["lr"] = 0.25

    def pre_hook(opt, state_dict):
        assert state_dict is not saved  # a shallow copy
        state_dict["state"] = {}
        return {**state_dict, "param_groups": [{**saved["param_groups"][0], "lr": 0.125}]}

    optimizer.register_load_state_dict_pre_hook(pre_hook)
    optimizer.load_state_dict(saved)
    assert optimizer.param_groups[0]["lr"] == 0.125 and saved["param_groups"][0]["lr"] == 0.25


def test_lbfgs_history_is_loaded_before_the_load_post_hook(backend):
    """LBFGS's history lists are on the parameters' backend and dtype when the load
    post-hooks run (saved here as float32 host arrays; the parameters are float64)."""
    ours, params, _, tensors = pair(backend, "LBFGS")
    ours.step(closures(backend, params, tensors, 0)[0])
    saved = ours.state_dict()
    state = {
        key: [np.asarray(backend.to_host(v), dtype=np.float32) for v in value]
        if isinstance(value, list)
        else value
        for key, value in saved["state"][0].items()
    }
    seen = []
    ours.register_load_state_dict_post_hook(
        lambda opt: seen.extend((type(v), v.dtype) for v in opt.state[id(params[0])]["old_dirs"])
    )
    ours.load_state_dict({"state": {0: state}, "param_groups": saved["param_groups"]})
    assert seen and set(seen) == {(backend.ndarray, np.dtype("float64"))}


@pytest.mark.parametrize("copier", [copy.deepcopy, lambda o: pickle.loads(pickle.dumps(o))])
def test_hooks_are_not_copied_with_the_optimizer(copier):
    """As torch's ``__getstate__``: a copy has no hooks (a lambda hook does not stop pickling)."""
    ours, theirs = optim.SGD([Param(np.ones(2))]), torch.optim.SGD([torch.ones(2)])
    for optimizer in (ours, theirs):
        optimizer.register_step_pre_hook(lambda *args: None)
        optimizer.register_state_dict_post_hook(lambda *args: None)
    copies = copier(ours), copier(theirs)
    for copied in copies:
        assert not copied._optimizer_step_pre_hooks
        assert not copied._optimizer_state_dict_post_hooks
        assert copied.register_step_pre_hook(lambda *args: None) is not None


def test_hook_must_be_callable():
    optimizer = optim.SGD([Param(np.ones(2))])
    with pytest.raises(TypeError, match="SGD.register_step_pre_hook: hook must be callable"):
        optimizer.register_step_pre_hook(None)
    with pytest.raises(TypeError, match="register_optimizer_step_post_hook: hook must be"):
        xpnet_optimizer.register_optimizer_step_post_hook(3)


# -- 2. named_parameters() ----------------------------------------------------------------------
def linear_pair():
    """An xpnet and a torch ``Linear(3, 2)`` with the same float32 weights."""
    xpnet.manual_seed(0)
    ours, theirs = xpnet.nn.Linear(3, 2), torch.nn.Linear(3, 2)
    with torch.no_grad():
        theirs.weight.copy_(torch.tensor(xpnet.to_numpy(ours.weight.array)))
        theirs.bias.copy_(torch.tensor(xpnet.to_numpy(ours.bias.array)))
    return ours, theirs


@pytest.mark.parametrize("name", ["SGD", "Adam"])
def test_named_parameters_are_kept_as_torchs_param_names(name):
    ours, theirs = linear_pair()
    mine = getattr(optim, name)(ours.named_parameters(), lr=0.1)
    torchs = getattr(torch.optim, name)(theirs.named_parameters(), lr=0.1)
    assert mine.param_groups[0]["param_names"] == torchs.param_groups[0]["param_names"]
    assert mine.param_groups[0]["params"] == [ours.weight, ours.bias]
    ours(xpnet.ones(4, 3)).sum().backward()
    theirs(torch.ones(4, 3)).sum().backward()
    mine.step()
    torchs.step()
    saved, expected = mine.state_dict(), torchs.state_dict()
    assert saved["param_groups"] == expected["param_groups"]
    assert [list(g) for g in saved["param_groups"]] == [list(g) for g in expected["param_groups"]]
    assert_close(xpnet.to_numpy(ours.weight.array), theirs.weight.detach().numpy(), np.float32)


def test_named_parameter_groups_as_torch():
    ours, theirs = linear_pair()
    groups = []
    for model in (ours, theirs):
        named = list(model.named_parameters())
        groups.append([{"params": named[:1], "lr": 0.5}, {"params": named[1:]}])
    mine, torchs = optim.SGD(groups[0], lr=0.1), torch.optim.SGD(groups[1], lr=0.1)
    assert [g["param_names"] for g in mine.param_groups] == [["weight"], ["bias"]]
    assert mine.state_dict()["param_groups"] == torchs.state_dict()["param_groups"]


def test_named_and_unnamed_parameters_do_not_mix_as_torch():
    ours, theirs = linear_pair()
    for lib, model in ((optim, ours), (torch.optim, theirs)):
        named = list(model.named_parameters())
        with pytest.raises(ValueError, match="with/without names|pairs or all parameters"):
            lib.SGD([named[0], model.bias], lr=0.1)
        optimizer = lib.SGD(named[:1], lr=0.1)
        with pytest.raises(ValueError, match="with/without names|with or without names"):
            optimizer.add_param_group({"params": [model.bias]})
        unnamed = lib.SGD([model.weight], lr=0.1)
        with pytest.raises(ValueError, match="with/without names|with or without names"):
            unnamed.add_param_group({"params": named[1:]})


def test_load_state_dict_keeps_or_replaces_param_names_as_torch():
    ours, theirs = linear_pair()
    for lib, model in ((optim, ours), (torch.optim, theirs)):
        optimizer = lib.SGD(model.named_parameters(), lr=0.1)
        unnamed = lib.SGD(model.parameters(), lr=0.2).state_dict()
        optimizer.load_state_dict(unnamed)  # no names saved: the optimizer's stay
        assert optimizer.param_groups[0]["param_names"] == ["weight", "bias"]
        renamed = lib.SGD([("a", model.weight), ("b", model.bias)], lr=0.3).state_dict()
        optimizer.load_state_dict(renamed)
        assert optimizer.param_groups[0]["param_names"] == ["a", "b"]
        assert optimizer.param_groups[0]["lr"] == 0.3


# -- 3. torch's switches in the groups ---------------------------------------------------------
@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_groups_hold_torchs_keys_values_and_types(name):
    """The defaults and a fresh group: torch's keys, in torch's order, with its values and
    their types (``0``, not ``0.0``, where torch's default is an int)."""
    kwargs = {} if name == "Adafactor" else {"lr": 0.1}
    ours = getattr(optim, name)([Param(np.ones(2))], **kwargs)
    theirs = getattr(torch.optim, name)([torch.ones(2)], **kwargs)
    assert list(ours.defaults) == list(theirs.defaults)
    assert typed(ours.param_groups[0]) == typed(theirs.param_groups[0])


def typed(group):
    return {key: (value, type(value)) for key, value in group.items() if key != "params"}


SWITCHES = [
    ("SGD", {"foreach": False, "fused": None}),
    ("Adam", {"foreach": False, "capturable": True}),
    ("AdamW", {"fused": False}),
    ("Adagrad", {"foreach": True}),
    ("Adadelta", {"capturable": True, "foreach": False}),
    ("Adamax", {"capturable": True}),
    ("NAdam", {"foreach": False, "capturable": True}),
    ("RAdam", {"foreach": True}),
    ("ASGD", {"capturable": True}),
    ("Rprop", {"foreach": False}),
    ("RMSprop", {"capturable": True}),
    ("Adafactor", {"foreach": False}),
]


@pytest.mark.parametrize("name, switches", SWITCHES, ids=[name for name, _ in SWITCHES])
def test_torch_state_dict_round_trips_key_for_key(backend, name, switches):
    """A torch state dict (switches set, two groups, after steps) loaded and saved again:
    the same groups, key for key, and the same state keys."""
    kwargs = {**OPTIMIZERS[name], **switches}
    values = [random_input(shape, seed=index) for index, shape in enumerate(SHAPES)]
    tensors = [torch.tensor(value, requires_grad=True) for value in values]
    stepping = {k: v for k, v in kwargs.items() if k != "capturable"}  # torch's wants CUDA
    theirs = getattr(torch.optim, name)(
        [{"params": tensors[:1], "lr": 0.01}, {"params": tensors[1:]}], **stepping
    )
    for step in range(2):
        for index, tensor in enumerate(tensors):
            tensor.grad = torch.tensor(gradient(tensor.detach().numpy(), step, index))
        theirs.step()
    for group in theirs.param_groups:
        group.update(switches)
    expected = theirs.state_dict()
    params = [Param(backend.asarray(value)) for value in values]
    ours = getattr(optim, name)([{"params": params[:1]}, {"params": params[1:]}], **kwargs)
    ours.load_state_dict(expected)
    saved = ours.state_dict()
    assert saved["param_groups"] == expected["param_groups"]
    assert [list(g) for g in saved["param_groups"]] == [list(g) for g in expected["param_groups"]]
    assert {i: list(s) for i, s in saved["state"].items()} == {
        i: list(s) for i, s in expected["state"].items()
    }


@pytest.mark.parametrize("name, switches", SWITCHES, ids=[name for name, _ in SWITCHES])
def test_state_dict_of_a_fresh_optimizer_loads_into_torch_key_for_key(name, switches):
    """The other way: what a fresh xpnet optimizer saves, torch loads and saves again
    unchanged (torch fills in no switch the xpnet groups lack)."""
    kwargs = {**OPTIMIZERS[name], **switches}
    params = [Param(np.ones(2)), Param(np.ones(3))]
    ours = getattr(optim, name)(
        [{"params": params[:1], "lr": 0.01}, {"params": params[1:]}], **kwargs
    )
    saved = ours.state_dict()
    tensors = [torch.ones(2, requires_grad=True), torch.ones(3, requires_grad=True)]
    theirs = getattr(torch.optim, name)([{"params": tensors[:1]}, {"params": tensors[1:]}])
    theirs.load_state_dict({"state": {}, "param_groups": saved["param_groups"]})
    resaved = theirs.state_dict()["param_groups"]
    assert [list(group) for group in resaved] == [list(group) for group in saved["param_groups"]]
    assert resaved == saved["param_groups"]


# -- 4. zero_grad(set_to_none=False) ------------------------------------------------------------
@pytest.mark.parametrize("computed", [True, False], ids=["in_a_graph", "leaf_requiring_grad"])
def test_zero_grad_takes_the_gradient_out_of_its_graph(backend, computed):
    results = []
    for lib in (xpnet, torch):
        weight = lib.nn.Parameter(lib.ones(2))
        source = lib.ones(2, requires_grad=True)
        grad = weight.grad = source * 2 if computed else source
        lib.optim.SGD([weight], lr=0.1).zero_grad(set_to_none=False)
        assert weight.grad is grad  # in place, as torch's detach_() and zero_()
        results.append((weight.grad.tolist(), weight.grad.requires_grad, weight.grad.grad_fn))
    assert results[0] == results[1] == ([0.0, 0.0], False, None)


def test_zero_grad_keeps_a_plain_gradient_in_place(backend):
    weight = Param(backend.asarray([1.0, 2.0]))
    weight.grad = backend.asarray([3.0, 4.0])
    grad = weight.grad
    optim.Adam([weight]).zero_grad(set_to_none=False)
    assert weight.grad is grad and backend.to_host(grad.array).tolist() == [0.0, 0.0]


# -- 5. the scalar state's dtype ----------------------------------------------------------------
@pytest.fixture(params=["float32", "float64"])
def default_dtype(request):
    """Both libraries' default dtype set to the parameter, then restored."""
    before = xpnet.get_default_dtype(), torch.get_default_dtype()
    xpnet.set_default_dtype(getattr(xpnet, request.param))
    torch.set_default_dtype(getattr(torch, request.param))
    yield request.param
    xpnet.set_default_dtype(before[0])
    torch.set_default_dtype(before[1])


@pytest.mark.parametrize(
    "name, kwargs", [("NAdam", {"lr": 0.05}), ("ASGD", {"lr": 0.05, "lambd": 0.1, "t0": 0})]
)
@pytest.mark.parametrize("flagged", [False, True], ids=["host", "found_inf"])
def test_scalar_state_follows_the_default_dtype(backend, default_dtype, name, kwargs, flagged):
    """NAdam's ``mu_product`` and ASGD's ``eta`` and ``mu`` in torch's scalar dtype (float64
    under a float64 default, else float32): the same values and trajectory, on the host and
    counted on the device (``found_inf``)."""
    ours, params, theirs, tensors = pair(backend, name, kwargs)
    flag = {"found_inf": backend.xp.zeros((), dtype=backend.xp.float32)} if flagged else {}
    for step in range(STEPS + 4):
        set_gradients(backend, params, tensors, step)
        ours.step(**flag)
        theirs.step()
    for param, tensor in zip(params, tensors, strict=True):
        assert_close(backend.to_host(param.array), tensor.detach().numpy(), np.float64)
    expected = theirs.state_dict()["state"][0]
    for key in ("mu_product",) if name == "NAdam" else ("eta", "mu"):
        assert expected[key].dtype == getattr(torch, default_dtype)
        value = ours.state_dict()["state"][0][key]
        if flagged and default_dtype == "float64":  # the device's power, not Python's **:
            assert value == pytest.approx(expected[key].item(), rel=1e-15, abs=0), key
        else:  # 1 ulp in float64; float32 rounds it away
            assert value == expected[key].item(), key


# -- 7. a parameter listed twice ----------------------------------------------------------------
@pytest.mark.parametrize("name", ["SGD", "Adam"])
def test_duplicate_parameter_warns_is_kept_and_steps_as_torch(backend, name):
    """torch's warning, word for word; the parameter kept twice and updated twice a step."""
    _, params, _, tensors = pair(backend, "SGD", {}, shapes=[(3,), (2,)])
    made, caught = [], []
    for lib, (first, second) in ((optim, params), (torch.optim, tensors)):
        with warnings.catch_warnings(record=True) as record:
            warnings.simplefilter("always")
            made.append(getattr(lib, name)([first, second, first], lr=0.1))
        caught.append([(w.category, str(w.message)) for w in record])
    assert caught[0] == caught[1] == [(UserWarning, DUPLICATE_WARNING)]
    ours, theirs = made
    assert len(ours.param_groups[0]["params"]) == len(theirs.param_groups[0]["params"]) == 3
    step_both(backend, ours, params, theirs, tensors, range(3))
    saved, expected = ours.state_dict(), theirs.state_dict()
    assert saved["param_groups"] == expected["param_groups"]
    assert saved["state"].keys() == expected["state"].keys()


DUPLICATE_WARNING = (
    "optimizer contains a parameter group with duplicate parameters; in future, this will "
    "cause an error; see github.com/pytorch/pytorch/issues/40967 for more information"
)


def test_duplicate_numbering_in_state_dict_as_torch():
    """A repeat inside a group takes its last index; the next group counts every entry."""
    ours = [Param(np.ones(2)) for _ in range(2)]
    theirs = [torch.ones(2, requires_grad=True) for _ in range(2)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        mine = optim.SGD([{"params": [ours[0], ours[0]]}, {"params": [ours[1]]}])
        torchs = torch.optim.SGD([{"params": [theirs[0], theirs[0]]}, {"params": [theirs[1]]}])
    assert [g["params"] for g in mine.state_dict()["param_groups"]] == [[1, 1], [2]]
    assert mine.state_dict()["param_groups"] == torchs.state_dict()["param_groups"]


def test_parameter_in_two_groups_is_still_an_error_as_torch():
    param, tensor = Param(np.ones(2)), torch.ones(2, requires_grad=True)
    with pytest.raises(ValueError, match="more than one parameter group"):
        torch.optim.SGD([{"params": [tensor]}, {"params": [tensor]}])
    with pytest.raises(ValueError, match="SGD: a parameter appears in more than one place"):
        optim.SGD([{"params": [param]}, {"params": [param]}])
