"""Optimizers against torch.optim: the same gradients in, the same parameter trajectory out."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from _oracle import assert_close, random_input

import xpnet.optim as optim
from xpnet.backends import load_backend, profile
from xpnet.nn import Parameter as Param
from xpnet.optim.optimizer import takes_found_inf

SHAPES = [(3, 4), (5,)]
STEPS = 12


def gradient(values: np.ndarray, step: int, index: int) -> np.ndarray:
    """A non-linear gradient field plus per-step noise, the same for both libraries."""
    noise = random_input(values.shape, seed=100 * step + index)
    return 0.5 * values + np.sin(3.0 * values) + noise


def initial_values():
    return [random_input(shape, seed=index) for index, shape in enumerate(SHAPES)]


def groups_of(params, groups):
    """``params`` split into the parameter groups described by ``groups`` (or plain)."""
    if groups is None:
        return params
    return [{"params": [params[index]], **options} for index, options in enumerate(groups)]


def xpnet_trajectory(backend, dtype, name, kwargs, groups=None, steps=STEPS, optimizer=None):
    params = [Param(backend.asarray(values.astype(dtype))) for values in initial_values()]
    optimizer = optimizer or getattr(optim, name)(groups_of(params, groups), **kwargs)
    return run_xpnet(backend, optimizer, params, range(steps))


def run_xpnet(backend, optimizer, params, steps):
    trajectory = []
    for step in steps:
        for index, param in enumerate(params):
            values = backend.to_host(param.array).astype(np.float64)
            param.grad = backend.asarray(gradient(values, step, index).astype(param.array.dtype))
        optimizer.step()
        trajectory.append([backend.to_host(param.array) for param in params])
    return trajectory


def torch_trajectory(name, kwargs, groups=None, steps=STEPS, dtype=np.float64):
    params = [torch.tensor(values.astype(dtype)) for values in initial_values()]
    optimizer = getattr(torch.optim, name)(groups_of(params, groups), foreach=False, **kwargs)
    trajectory = []
    for step in range(steps):
        for index, param in enumerate(params):
            values = param.numpy().astype(np.float64)
            param.grad = torch.tensor(gradient(values, step, index).astype(dtype))
        optimizer.step()
        trajectory.append([param.numpy().copy() for param in params])
    return trajectory


def assert_same_trajectory(actual, expected, dtype):
    for step, (got, want) in enumerate(zip(actual, expected, strict=True)):
        for index, (a, e) in enumerate(zip(got, want, strict=True)):
            assert a.dtype == dtype
            assert_close(a, e, dtype, what=f"param {index} after step {step + 1}")


CASES = [
    ("SGD", {"lr": 0.1}),
    ("SGD", {"lr": 0.1, "momentum": 0.9}),
    ("SGD", {"lr": 0.1, "momentum": 0.9, "dampening": 0.3}),
    ("SGD", {"lr": 0.05, "momentum": 0.8, "nesterov": True}),
    ("SGD", {"lr": 0.1, "momentum": 0.5, "weight_decay": 0.1}),
    ("SGD", {"lr": 0.1, "momentum": 0.9, "nesterov": True, "weight_decay": 0.01, "maximize": True}),
    ("Adam", {}),
    ("Adam", {"lr": 0.05, "betas": (0.8, 0.99), "eps": 1e-3}),
    ("Adam", {"lr": 0.05, "amsgrad": True}),
    ("Adam", {"lr": 0.05, "weight_decay": 0.1, "maximize": True}),
    ("Adam", {"lr": 0.05, "weight_decay": 0.1, "decoupled_weight_decay": True}),
    ("AdamW", {}),
    ("AdamW", {"lr": 0.05, "weight_decay": 0.1, "amsgrad": True}),
    ("AdamW", {"lr": 0.05, "maximize": True}),
    ("RMSprop", {}),
    ("RMSprop", {"lr": 0.01, "alpha": 0.9, "centered": True}),
    ("RMSprop", {"lr": 0.01, "momentum": 0.9}),
    ("RMSprop", {"lr": 0.01, "momentum": 0.5, "centered": True, "weight_decay": 0.1}),
    ("RMSprop", {"lr": 0.01, "eps": 1e-2, "maximize": True}),
    ("Adagrad", {}),
    ("Adagrad", {"lr": 0.1, "lr_decay": 0.1, "initial_accumulator_value": 0.5, "eps": 1e-3}),
    ("Adagrad", {"lr": 0.1, "weight_decay": 0.1, "maximize": True}),
    ("Adadelta", {}),
    ("Adadelta", {"lr": 0.5, "rho": 0.5, "eps": 1e-3, "weight_decay": 0.1}),
    ("Adadelta", {"maximize": True}),
]


@pytest.mark.parametrize("name, kwargs", CASES, ids=[f"{n}-{k}" for n, k in CASES])
def test_optimizer_matches_torch(backend, name, kwargs):
    expected = torch_trajectory(name, kwargs)
    assert_same_trajectory(
        xpnet_trajectory(backend, np.float64, name, kwargs), expected, np.float64
    )


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "RMSprop"])
def test_optimizer_float32_matches_torch(backend, name):
    kwargs = {"lr": 0.01, "momentum": 0.9} if name in ("SGD", "RMSprop") else {"lr": 0.01}
    expected = torch_trajectory(name, kwargs, dtype=np.float32)
    actual = xpnet_trajectory(backend, np.float32, name, kwargs)
    assert_same_trajectory(actual, expected, np.float32)


PARAM_GROUPS = [
    ("SGD", {"lr": 0.1, "momentum": 0.9}, [{"lr": 0.01}, {"momentum": 0.5, "nesterov": True}]),
    ("Adam", {"lr": 0.01}, [{"lr": 0.1, "amsgrad": True}, {"betas": (0.5, 0.9)}]),
    ("RMSprop", {"lr": 0.01}, [{"centered": True}, {"lr": 0.001, "momentum": 0.9}]),
    # PyTorch ignores a group's initial_accumulator_value (found by a random comparison)
    ("Adagrad", {"initial_accumulator_value": 0.1}, [{"initial_accumulator_value": 0.5}, {}]),
]


@pytest.mark.parametrize("name, kwargs, groups", PARAM_GROUPS)
def test_optimizer_param_groups_match_torch(backend, name, kwargs, groups):
    expected = torch_trajectory(name, kwargs, groups)
    actual = xpnet_trajectory(backend, np.float64, name, kwargs, groups)
    assert_same_trajectory(actual, expected, np.float64)


@pytest.mark.parametrize(
    "name, kwargs",
    [
        ("SGD", {"lr": 0.1, "momentum": 0.9}),
        ("Adam", {"lr": 0.05, "amsgrad": True}),
        ("RMSprop", {"momentum": 0.5, "centered": True}),
    ],
)
def test_optimizer_state_dict_round_trip(backend, name, kwargs):
    expected = torch_trajectory(name, kwargs)
    params = [Param(backend.asarray(values)) for values in initial_values()]
    first = getattr(optim, name)(params, **kwargs)
    half = STEPS // 2
    actual = run_xpnet(backend, first, params, range(half))
    saved = first.state_dict()
    # a fresh optimizer on fresh parameters holding the values reached so far, as after a restart
    params = [Param(param.array.copy()) for param in params]
    second = getattr(optim, name)(params, lr=123.0)
    second.load_state_dict(saved)
    assert second.param_groups[0]["lr"] == first.param_groups[0]["lr"]
    actual += run_xpnet(backend, second, params, range(half, STEPS))
    assert_same_trajectory(actual, expected, np.float64)


def test_optimizer_state_dict_loads_host_arrays(backend):
    params = [Param(backend.asarray(values)) for values in initial_values()]
    optimizer = optim.Adam(params)
    run_xpnet(backend, optimizer, params, range(2))
    saved = optimizer.state_dict()
    host = {
        "state": {
            index: {
                key: np.asarray(backend.to_host(v)) if hasattr(v, "shape") else v
                for key, v in state.items()
            }
            for index, state in saved["state"].items()
        },
        "param_groups": saved["param_groups"],
    }
    optimizer.load_state_dict(host)
    state = optimizer.state_dict()["state"][0]
    assert state["step"] == 2
    assert type(state["exp_avg"]) is backend.ndarray
    assert_close(backend.to_host(state["exp_avg"]), host["state"][0]["exp_avg"], np.float64)


def test_optimizer_state_dict_layout_matches_torch():
    params = [Param(values) for values in initial_values()]
    optimizer = optim.SGD(groups_of(params, [{"lr": 0.5}, {}]), lr=0.1, momentum=0.9)
    run_xpnet(load_backend("numpy"), optimizer, params, range(1))
    tensors = [torch.tensor(values) for values in initial_values()]
    reference = torch.optim.SGD(groups_of(tensors, [{"lr": 0.5}, {}]), lr=0.1, momentum=0.9)
    for tensor in tensors:
        tensor.grad = torch.ones_like(tensor)
    reference.step()
    ours, theirs = optimizer.state_dict(), reference.state_dict()
    assert ours["state"].keys() == theirs["state"].keys()
    assert ours["state"][1].keys() == theirs["state"][1].keys()
    assert [g["params"] for g in ours["param_groups"]] == [[0], [1]]
    assert ours["param_groups"][0]["lr"] == 0.5


def test_optimizer_skips_params_without_grad(backend):
    frozen, trained = Param(backend.asarray([1.0, 2.0])), Param(backend.asarray([1.0, 2.0]))
    optimizer = optim.SGD([frozen, trained], lr=0.5)
    trained.grad = backend.asarray([1.0, 1.0])
    optimizer.step()
    assert backend.to_host(frozen.array).tolist() == [1.0, 2.0]
    assert backend.to_host(trained.array).tolist() == [0.5, 1.5]


def test_optimizer_zero_grad(backend):
    first, second = Param(backend.asarray([1.0])), Param(backend.asarray([1.0]))
    optimizer = optim.SGD([first, second])
    first.grad = backend.asarray([3.0])
    second.grad = backend.asarray([4.0])
    optimizer.zero_grad(set_to_none=False)
    assert backend.to_host(first.grad.array).tolist() == [0.0]
    optimizer.zero_grad()
    assert first.grad is None and second.grad is None


def test_optimizer_step_returns_closure_loss():
    param = Param(np.array([1.0]))

    def closure():
        param.grad = np.array([2.0])
        return 7.0

    assert optim.SGD([param], lr=0.25).step(closure) == 7.0
    assert param.array.tolist() == [0.5]


def test_optimizer_add_param_group_and_repr():
    optimizer = optim.SGD([Param(np.zeros(2))], lr=0.1)
    optimizer.add_param_group({"params": Param(np.zeros(3)), "lr": 0.01})
    assert [group["lr"] for group in optimizer.param_groups] == [0.1, 0.01]
    assert optimizer.param_groups[1]["momentum"] == 0.0
    assert "Parameter Group 1" in repr(optimizer)


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda p: optim.SGD([p], lr=-1.0), r"SGD: lr must be in \[0.0, inf\), got -1.0"),
        (lambda p: optim.SGD([p], momentum=-0.5), "SGD: momentum must be in"),
        (lambda p: optim.SGD([p], weight_decay=-1e-3), "SGD: weight_decay must be in"),
        (lambda p: optim.SGD([p], nesterov=True), "SGD: nesterov needs momentum > 0"),
        (lambda p: optim.SGD([p], momentum=0.9, dampening=0.1, nesterov=True), "dampening=0.1"),
        (lambda p: optim.Adam([p], betas=(1.0, 0.9)), r"Adam: betas\[0\] must be in \[0.0, 1.0\)"),
        (lambda p: optim.AdamW([p], betas=(0.9, -0.1)), r"AdamW: betas\[1\] must be in"),
        (lambda p: optim.Adam([p], eps=-1.0), "Adam: eps must be in"),
        (lambda p: optim.Adam([p], betas=(0.9,)), r"Adam: betas must be a pair .* got \(0.9,\)"),
        (lambda p: optim.AdamW([p], betas=0.9), r"AdamW: betas must be a pair .* got 0.9"),
        (lambda p: optim.RMSprop([p], alpha=-0.1), "RMSprop: alpha must be in"),
        (lambda p: optim.Adagrad([p], lr_decay=-0.1), "Adagrad: lr_decay must be in"),
        (lambda p: optim.Adagrad([p], eps=-1.0), "Adagrad: eps must be in"),
        (lambda p: optim.Adadelta([p], rho=1.5), r"Adadelta: rho must be in \[0.0, 1.0\)"),
        (lambda p: optim.Adadelta([p], lr=-1.0), "Adadelta: lr must be in"),
        (lambda p: optim.SGD([]), "SGD: params must not be empty"),
        (lambda p: optim.SGD([{"params": [p]}, {"params": [p]}]), "more than one place"),
        (lambda p: optim.SGD([{"lr": 0.1}]), "must have a 'params' entry"),
    ],
)
def test_optimizer_rejects_bad_arguments(make, match):
    with pytest.raises(ValueError, match=match):
        make(Param(np.zeros(2)))


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda p: optim.SGD([p], lr="0.1"), "SGD: lr must be a real number, got str '0.1'"),
        (lambda p: optim.Adam([p], weight_decay=None), "Adam: weight_decay must be a real number"),
        (lambda p: optim.Adam([p], betas=(0.9, "x")), r"Adam: betas\[1\] must be a real number"),
        (
            lambda p: optim.SGD([p]).add_param_group([p]),
            "SGD: param_group must be a dict, got list",
        ),
        (lambda p: optim.SGD([{"params": {p}}]), "SGD: a group's params must be an ordered"),
    ],
)
def test_optimizer_rejects_bad_kinds(make, match):
    with pytest.raises(TypeError, match=match):
        make(Param(np.zeros(2)))


IMPLEMENTATION_SWITCHES = [
    ("SGD", {"lr": 0.1, "momentum": 0.9, "fused": True}),
    ("Adam", {"lr": 0.05, "foreach": True}),
    ("AdamW", {"lr": 0.05, "fused": True}),
    ("RMSprop", {"foreach": False}),
    ("Adagrad", {"fused": True}),
    ("Adadelta", {"foreach": None}),
]


@pytest.mark.parametrize("name, kwargs", IMPLEMENTATION_SWITCHES)
def test_optimizer_accepts_torchs_implementation_switches(name, kwargs):
    """``foreach``/``fused`` choose how torch computes, not what: a ported script passes them."""
    expected = torch_trajectory(name, {k: v for k, v in kwargs.items() if k != "foreach"})
    actual = xpnet_trajectory(load_backend("numpy"), np.float64, name, kwargs)
    assert_same_trajectory(actual, expected, np.float64)


def test_optimizer_rejects_bad_implementation_switches():
    with pytest.raises(TypeError, match="Adam: fused must be True, False or None, got 'yes'"):
        optim.Adam([Param(np.zeros(2))], fused="yes")
    with pytest.raises(ValueError, match="SGD: foreach and fused cannot both be True"):
        optim.SGD([Param(np.zeros(2))], foreach=True, fused=True)


def test_optimizer_state_dict_holds_only_parameters_with_state():
    """As torch: SGD without momentum keeps no state, and a parameter never stepped has none."""
    ours = [Param(values) for values in initial_values()]
    theirs = [torch.tensor(values) for values in initial_values()]
    for name, kwargs in [("SGD", {"lr": 0.1}), ("Adam", {}), ("RMSprop", {"momentum": 0.5})]:
        optimizer = getattr(optim, name)(ours, **kwargs)
        reference = getattr(torch.optim, name)(theirs, **kwargs)
        ours[0].grad, theirs[0].grad = np.ones(ours[0].shape), torch.ones_like(theirs[0])
        ours[1].grad = theirs[1].grad = None
        optimizer.step()
        reference.step()
        assert optimizer.state_dict()["state"].keys() == reference.state_dict()["state"].keys()


def test_optimizer_rejects_grad_on_another_backend():
    param = Param(load_backend("strict").asarray([1.0]))
    param.grad = np.array([1.0])
    with pytest.raises(TypeError, match="SGD.step: all arrays must be on one backend"):
        optim.SGD([param]).step()


def test_optimizer_rejects_non_parameters():
    with pytest.raises(TypeError, match="SGD: parameters must have .array and .grad, got ndarray"):
        optim.SGD([np.zeros(2)])
    with pytest.raises(TypeError, match="Adam: params must be an iterable .* got one Parameter"):
        optim.Adam(Param(np.zeros(2)))


def test_optimizer_load_state_dict_rejects_other_layout():
    one = optim.SGD([Param(np.zeros(2))])
    two = optim.SGD([{"params": [Param(np.zeros(2))]}, {"params": [Param(np.zeros(2))]}])
    with pytest.raises(ValueError, match="state_dict has 2 parameter groups, the optimizer has 1"):
        one.load_state_dict(two.state_dict())
    three = optim.SGD([Param(np.zeros(2)), Param(np.zeros(2))])
    with pytest.raises(ValueError, match="a group in state_dict has 2 parameters, the optim"):
        one.load_state_dict(three.state_dict())


# launches of one steady optimizer step on strict (as on CuPy): the gradients' concatenate,
# the fused update, one write per updated array (data and state), plus weight decay's call
STEP_LAUNCHES = [
    ("SGD", {"lr": 0.1}, 3),
    ("SGD", {"lr": 0.1, "momentum": 0.9}, 4),
    ("SGD", {"lr": 0.1, "momentum": 0.9, "nesterov": True, "weight_decay": 0.1}, 5),
    ("Adam", {}, 5),
    ("Adam", {"amsgrad": True, "weight_decay": 0.1, "maximize": True}, 8),
    ("AdamW", {}, 5),
    ("RMSprop", {}, 4),
    ("RMSprop", {"momentum": 0.9, "centered": True}, 6),
    ("Adagrad", {}, 4),
    ("Adadelta", {}, 5),
]


def many_params(backend, count, dtype=np.float32):
    """``count`` parameters of assorted shapes (0-d included), each with a gradient."""
    shapes = [((index % 4) + 1, 3) if index % 3 else () for index in range(count)]
    params = [
        Param(backend.asarray(random_input(shape, seed=i).astype(dtype)))
        for i, shape in enumerate(shapes)
    ]
    for index, param in enumerate(params):
        param.grad = backend.asarray(random_input(param.shape, seed=1000 + index).astype(dtype))
    return params


@pytest.mark.parametrize(
    "name, kwargs, launches", STEP_LAUNCHES, ids=[f"{n}-{k}" for n, k, _ in STEP_LAUNCHES]
)
def test_optimizer_step_launches_do_not_grow_with_parameters(strict, name, kwargs, launches):
    counted = []
    for count in (2, 40):
        optimizer = getattr(optim, name)(many_params(strict, count), **kwargs)
        optimizer.step()  # the first step creates the state
        with profile(strict) as steady:
            optimizer.step()
        counted.append(steady.total())
    assert counted[0] == counted[1]
    assert counted[1].launches == launches
    assert counted[1].host_to_device == counted[1].device_to_host == counted[1].syncs == 0


@pytest.mark.parametrize("flagged", [False, True], ids=["plain", "found_inf"])
@pytest.mark.parametrize("name, kwargs", CASES, ids=[f"{n}-{k}" for n, k in CASES])
def test_optimizer_flat_step_is_bit_identical_to_per_parameter_steps(name, kwargs, flagged):
    """Also with a clear found-inf flag (GradScaler's): step counts on the device, one per
    bucket, and a parameter that misses steps in a bucket of its own."""
    numpy_backend = load_backend("numpy")
    flag = {"found_inf": np.zeros((), np.float32)} if flagged else {}
    together, alone = many_params(numpy_backend, 7), many_params(numpy_backend, 7)
    optimizers = [getattr(optim, name)(together, **kwargs)]
    optimizers += [getattr(optim, name)([param], **kwargs) for param in alone]
    for step in range(6):
        for params in (together, alone):
            for index, param in enumerate(params):
                values = param.array.astype(np.float64)
                # parameter 2 has no gradient at steps 2 and 3: it is skipped, and its step
                # count falls behind the others' (another bucket, as in PyTorch)
                skipped = index == 2 and step in (2, 3)
                grad = gradient(values, step, index).astype(np.float32)
                param.grad = None if skipped else grad.reshape(param.shape)
        for optimizer in optimizers:
            optimizer.step(**flag)
        for a, b in zip(together, alone, strict=True):
            assert np.array_equal(a.array, b.array), f"step {step}"
    states = [optimizers[0].state_dict()["state"].get(i, {}) for i in range(len(alone))]
    for state, optimizer in zip(states, optimizers[1:], strict=True):
        assert state.keys() == optimizer.state_dict()["state"].get(0, {}).keys()
        for key, value in optimizer.state_dict()["state"].get(0, {}).items():
            assert np.array_equal(state[key], value)


def test_optimizer_follows_replaced_data_and_reloaded_state(backend):
    params = many_params(backend, 3, np.float64)
    optimizer = optim.SGD(params, lr=0.5, momentum=0.9)
    optimizer.step()
    params[1].array = backend.asarray(np.full(params[1].shape, 2.0))  # the user's new array
    saved = optimizer.state_dict()
    optimizer.load_state_dict(saved)  # fresh state arrays, no longer views of a flat buffer
    buffer = backend.to_host(saved["state"][1]["momentum_buffer"])
    grad = backend.to_host(params[1].grad.array)
    optimizer.step()
    expected = 2.0 - 0.5 * (0.9 * buffer + grad)
    # bit for bit on the CPU; a GPU's fused step contracts a * b + c into one FMA (one
    # rounding instead of two): an ulp apart at most there (seen on an H200)
    rtol = 0.0 if backend.name != "cupy" else 1e-15
    np.testing.assert_allclose(backend.to_host(params[1].array), expected, rtol=rtol, atol=0)
    momentum = optimizer.state_dict()["state"][1]["momentum_buffer"]
    np.testing.assert_allclose(backend.to_host(momentum), 0.9 * buffer + grad, rtol=rtol, atol=0)


@pytest.mark.parametrize(
    "name, kwargs, launches", STEP_LAUNCHES, ids=[f"{n}-{k}" for n, k, _ in STEP_LAUNCHES]
)
def test_optimizer_flagged_step_launches(strict, name, kwargs, launches):
    """A step with a found-inf flag (GradScaler's) costs what a plain step costs, plus one
    fused call for the step count on the device (none for SGD, which counts no steps), and
    reads nothing; a plain step after it keeps the count on the device at the same cost."""
    extra = 0 if name == "SGD" else 1
    flag = strict.xp.zeros((), dtype=strict.xp.float32)
    counted = []
    for count in (2, 40):
        optimizer = getattr(optim, name)(many_params(strict, count), **kwargs)
        optimizer.step(found_inf=flag)
        for found_inf in (flag, None):  # flagged, then plain on the device count
            with profile(strict) as steady:
                optimizer.step(found_inf=found_inf)
            counted.append(steady.total())
    assert counted[:2] == counted[2:]  # one bucket, whatever the number of parameters
    for counts in counted:
        assert counts.launches == launches + extra
        assert counts.host_to_device == counts.device_to_host == counts.syncs == 0


@pytest.mark.parametrize("name", ["SGD", "Adam", "Adagrad", "RMSprop", "Adadelta"])
def test_optimizer_found_inf_skips_on_the_device(backend, name):
    params = [Param(backend.asarray(values)) for values in initial_values()]
    kwargs = {"momentum": 0.9} if name == "SGD" else {}
    optimizer = getattr(optim, name)(params, **kwargs)
    xp = backend.xp
    clear, found = xp.zeros((), dtype=xp.float32), xp.ones((), dtype=xp.float32)
    run_xpnet(backend, optimizer, params, range(2))
    optimizer.step(found_inf=clear)
    saved = {  # host copies: the state arrays are live buffers, updated in place
        index: {k: backend.to_host(v) if hasattr(v, "shape") else v for k, v in state.items()}
        for index, state in optimizer.state_dict()["state"].items()
    }
    before = [backend.to_host(param.array) for param in params]
    for param in params:
        param.grad = backend.asarray(np.full(param.shape, np.nan))
    optimizer.step(found_inf=found)
    for param, old in zip(params, before, strict=True):
        assert backend.to_host(param.array).tobytes() == old.tobytes()
    for index, state in optimizer.state_dict()["state"].items():
        assert state.keys() == saved[index].keys()
        for key, value in state.items():
            if key == "step":
                assert type(value) is int and value == saved[index][key] == 3
            else:
                assert backend.to_host(value).tobytes() == saved[index][key].tobytes()


def test_optimizer_device_step_count_saves_and_loads_as_a_number(backend):
    """After flagged steps the count is a 0-d device array; state_dict gives it as a number
    (PyTorch's ``step`` reads as one), and load_state_dict takes a number or an array."""
    params = [Param(backend.asarray(values)) for values in initial_values()]
    optimizer = optim.Adam(params, lr=0.05)
    flag = backend.xp.zeros((), dtype=backend.xp.float32)
    for _ in range(3):
        for param in params:
            param.grad = backend.asarray(np.ones(param.shape))
        optimizer.step(found_inf=flag)
    assert optimizer.state[id(params[0])]["step"].shape == ()
    saved = optimizer.state_dict()
    assert [state["step"] for state in saved["state"].values()] == [3, 3]
    as_arrays = {
        **saved,
        "state": {
            index: {**state, "step": np.asarray(float(state["step"]), np.float32)}
            for index, state in saved["state"].items()
        },
    }
    for state_dict in (saved, as_arrays):
        fresh = optim.Adam([Param(param.array.copy()) for param in params], lr=0.05)
        fresh.load_state_dict(state_dict)
        assert [state["step"] for state in fresh.state_dict()["state"].values()] == [3, 3]


def test_optimizer_found_inf_needs_an_update_that_takes_it():
    class Custom(optim.SGD):
        def _update(self, xp, param, grad, state, group):
            super()._update(xp, param, grad, state, group)

    param = Param(np.ones(2))
    param.grad = np.ones(2)
    assert takes_found_inf(optim.Adam([param])) and not takes_found_inf(Custom([param]))
    with pytest.raises(TypeError, match="Custom.step: its _update takes no found_inf flag"):
        Custom([param], lr=0.1).step(found_inf=np.zeros((), np.float32))
