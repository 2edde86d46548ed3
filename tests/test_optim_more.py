"""Adamax, NAdam, RAdam, ASGD, Rprop and Adafactor against torch.optim: the same gradients
in, the same parameter trajectory and state out."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from _oracle import assert_close, random_input
from _strategies import PROFILE
from hypothesis import given, settings
from hypothesis import strategies as st

import xpnet.optim as optim
from xpnet.backends import load_backend, profile
from xpnet.nn import Parameter as Param
from xpnet.optim.optimizer import takes_found_inf

# a matrix, a vector, a scalar and a 3-d array (Adafactor factors the last two dimensions)
SHAPES = [(3, 4), (5,), (), (2, 3, 4)]
STEPS = 10
NAMES = ["Adamax", "NAdam", "RAdam", "ASGD", "Rprop", "Adafactor"]


def gradient(values: np.ndarray, step: int, index: int) -> np.ndarray:
    """A non-linear gradient field plus per-step noise, the same for both libraries."""
    noise = random_input(values.shape, seed=100 * step + index)
    return 0.5 * values + np.sin(3.0 * values) + noise


def initial_values():
    return [random_input(shape, seed=index) for index, shape in enumerate(SHAPES)]


def groups_of(params, groups):
    """``params`` split into two parameter groups with the options ``groups`` (or plain)."""
    if groups is None:
        return params
    return [{"params": params[:2], **groups[0]}, {"params": params[2:], **groups[1]}]


def xpnet_run(backend, dtype, name, kwargs, groups=None, steps=range(STEPS), **step_kwargs):
    params = [Param(backend.asarray(values.astype(dtype))) for values in initial_values()]
    # foreach=False as torch_run's: ignored by xpnet, kept in its groups as in torch's
    optimizer = getattr(optim, name)(groups_of(params, groups), foreach=False, **kwargs)
    return optimizer, params, run_xpnet(backend, optimizer, params, steps, **step_kwargs)


def run_xpnet(backend, optimizer, params, steps, **step_kwargs):
    trajectory = []
    for step in steps:
        for index, param in enumerate(params):
            values = backend.to_host(param.array).astype(np.float64)
            param.grad = backend.asarray(gradient(values, step, index).astype(param.array.dtype))
        optimizer.step(**step_kwargs)
        trajectory.append([backend.to_host(param.array).copy() for param in params])
    return trajectory


def torch_run(name, kwargs, groups=None, steps=STEPS, dtype=np.float64):
    params = [torch.tensor(values.astype(dtype)) for values in initial_values()]
    optimizer = getattr(torch.optim, name)(groups_of(params, groups), foreach=False, **kwargs)
    trajectory = []
    for step in range(steps):
        for index, param in enumerate(params):
            values = param.numpy().astype(np.float64)
            param.grad = torch.tensor(gradient(values, step, index).astype(dtype))
        optimizer.step()
        trajectory.append([param.numpy().copy() for param in params])
    return optimizer, trajectory


def assert_same_trajectory(actual, expected, dtype):
    for step, (got, want) in enumerate(zip(actual, expected, strict=True)):
        for index, (a, e) in enumerate(zip(got, want, strict=True)):
            assert a.dtype == dtype and a.shape == e.shape
            assert_close(a, e, dtype, what=f"param {index} after step {step + 1}")


CASES = [
    ("Adamax", {}),
    ("Adamax", {"lr": 0.05, "betas": (0.3, 0.9), "eps": 1e-3, "weight_decay": 0.1}),
    ("Adamax", {"lr": 0.05, "maximize": True}),
    ("NAdam", {}),
    ("NAdam", {"lr": 0.05, "betas": (0.8, 0.99), "momentum_decay": 0.05}),
    ("NAdam", {"lr": 0.05, "weight_decay": 0.1, "maximize": True}),
    ("NAdam", {"lr": 0.05, "weight_decay": 0.1, "decoupled_weight_decay": True}),
    ("RAdam", {}),
    # beta2 = 0.9: rho_t passes 5 at step 7, so both branches run
    ("RAdam", {"lr": 0.05, "betas": (0.4, 0.9), "eps": 1e-3}),
    ("RAdam", {"lr": 0.05, "betas": (0.9, 0.5), "weight_decay": 0.1, "maximize": True}),
    ("RAdam", {"lr": 0.05, "weight_decay": 0.1, "decoupled_weight_decay": True}),
    ("ASGD", {}),
    ("ASGD", {"lr": 0.05, "lambd": 0.1, "alpha": 0.5, "t0": 3, "weight_decay": 0.1}),
    ("ASGD", {"lr": 0.05, "t0": 0.0, "maximize": True}),
    ("Rprop", {}),
    ("Rprop", {"lr": 0.05, "etas": (0.3, 1.5), "step_sizes": (1e-3, 0.08)}),
    ("Rprop", {"lr": 0.05, "maximize": True}),
    ("Adafactor", {}),
    ("Adafactor", {"lr": 0.5, "eps": (0.6, 1e-3)}),  # 1/sqrt(t) < lr from step 5; eps1 clamps
    ("Adafactor", {"lr": 0.05, "beta2_decay": -0.5, "eps": (1e-2, 1e-2), "d": 1.5}),
    ("Adafactor", {"lr": 0.1, "weight_decay": 0.1, "maximize": True, "beta2_decay": 0.0}),
]
IDS = [f"{name}-{kwargs}" for name, kwargs in CASES]


@pytest.mark.parametrize("name, kwargs", CASES, ids=IDS)
def test_matches_torch(backend, name, kwargs):
    _, expected = torch_run(name, kwargs)
    _, _, actual = xpnet_run(backend, np.float64, name, kwargs)
    assert_same_trajectory(actual, expected, np.float64)


@pytest.mark.parametrize("name", NAMES)
def test_float32_matches_torch(backend, name):
    _, expected = torch_run(name, {"lr": 0.01}, dtype=np.float32)
    _, _, actual = xpnet_run(backend, np.float32, name, {"lr": 0.01})
    assert_same_trajectory(actual, expected, np.float32)


GROUPS = [
    ("Adamax", {"lr": 0.01}, [{"lr": 0.1, "weight_decay": 0.1}, {"betas": (0.5, 0.9)}]),
    ("NAdam", {"lr": 0.01}, [{"decoupled_weight_decay": True, "weight_decay": 0.1}, {}]),
    ("RAdam", {"lr": 0.01}, [{"betas": (0.5, 0.9)}, {"lr": 0.1, "maximize": True}]),
    ("ASGD", {"lr": 0.01}, [{"t0": 2.0}, {"lambd": 0.1, "lr": 0.1}]),
    ("Rprop", {"lr": 0.01}, [{"etas": (0.2, 1.1)}, {"step_sizes": (0.0, 0.02)}]),
    ("Adafactor", {"lr": 0.01}, [{"d": 2.0}, {"eps": (1e-4, 1e-1), "lr": 0.1}]),
]


@pytest.mark.parametrize("name, kwargs, groups", GROUPS)
def test_param_groups_match_torch(backend, name, kwargs, groups):
    _, expected = torch_run(name, kwargs, groups)
    _, _, actual = xpnet_run(backend, np.float64, name, kwargs, groups)
    assert_same_trajectory(actual, expected, np.float64)


def host_state(backend, state_dict):
    """The ``state`` of ``state_dict`` with its arrays copied to NumPy."""
    return {
        index: {
            key: np.array(backend.to_host(value)) if hasattr(value, "shape") else value
            for key, value in state.items()
        }
        for index, state in state_dict["state"].items()
    }


@pytest.mark.parametrize("name, kwargs, groups", GROUPS)
def test_state_dict_matches_torch(backend, name, kwargs, groups):
    reference, _ = torch_run(name, kwargs, groups)
    optimizer, _, _ = xpnet_run(backend, np.float64, name, kwargs, groups)
    assert_same_state_dict(backend, optimizer.state_dict(), reference.state_dict())


def assert_same_state_dict(backend, ours, theirs):
    assert host_state(backend, ours).keys() == theirs["state"].keys()
    for index, state in host_state(backend, ours).items():
        assert list(state) == list(theirs["state"][index]), index
        for key, value in state.items():
            expected = theirs["state"][index][key].numpy()
            if key == "step":
                assert type(value) is int and value == expected == STEPS
            elif key in ("mu_product", "eta", "mu"):  # PyTorch's 0-d float32: the same value
                assert value == float(expected), key
            else:
                assert_close(value, expected, np.float64, what=f"{index}: {key}")
    for mine, torchs in zip(ours["param_groups"], theirs["param_groups"], strict=True):
        assert mine["params"] == torchs["params"]
        assert {k: v for k, v in torchs.items() if k in mine} == mine


@pytest.mark.parametrize("name, kwargs, groups", GROUPS)
@pytest.mark.parametrize("device_steps", [False, True], ids=["host", "found_inf"])
def test_state_dict_round_trip(backend, name, kwargs, groups, device_steps):
    """Saved halfway, loaded into a fresh optimizer on fresh parameters, then run on: the
    whole trajectory is PyTorch's. With found_inf (where taken) the saved counts and NAdam's
    and ASGD's scalars come from the device."""
    _, expected = torch_run(name, kwargs, groups)
    flag = {}
    if device_steps and name != "Adafactor":
        flag = {"found_inf": backend.xp.zeros((), dtype=backend.xp.float32)}
    half = STEPS // 2
    first, params, actual = xpnet_run(backend, np.float64, name, kwargs, groups, range(half))
    saved = first.state_dict()
    params = [Param(param.array.copy()) for param in params]
    second = getattr(optim, name)(groups_of(params, groups), lr=123.0)
    second.load_state_dict(saved)
    assert second.param_groups[0]["lr"] == first.param_groups[0]["lr"]
    actual += run_xpnet(backend, second, params, range(half, STEPS), **flag)
    assert_same_trajectory(actual, expected, np.float64)


@pytest.mark.parametrize(
    "name, kwargs",
    [c for c in CASES if c[0] != "Adafactor"],
    ids=[i for i in IDS if "Adaf" not in i],
)
def test_clear_found_inf_steps_on_the_device_as_on_the_host(backend, name, kwargs):
    """``step(found_inf=clear)`` (GradScaler's) counts on the device: the same trajectory
    and state."""
    reference, expected = torch_run(name, kwargs)
    flag = backend.xp.zeros((), dtype=backend.xp.float32)
    optimizer, _, actual = xpnet_run(backend, np.float64, name, kwargs, found_inf=flag)
    assert_same_trajectory(actual, expected, np.float64)
    assert_same_state_dict(backend, optimizer.state_dict(), reference.state_dict())


@pytest.mark.parametrize("name", NAMES[:-1])
def test_found_inf_skips_on_the_device(backend, name):
    xp = backend.xp
    kwargs = {"t0": 1.0} if name == "ASGD" else {}
    optimizer, params, _ = xpnet_run(backend, np.float64, name, kwargs, steps=range(2))
    optimizer.step(found_inf=xp.zeros((), dtype=xp.float32))
    saved = host_state(backend, optimizer.state_dict())
    before = [backend.to_host(param.array).copy() for param in params]
    for param in params:
        param.grad = backend.asarray(np.full(param.shape, np.nan))
    optimizer.step(found_inf=xp.ones((), dtype=xp.float32))
    for param, old in zip(params, before, strict=True):
        assert backend.to_host(param.array).tobytes() == old.tobytes()
    state = host_state(backend, optimizer.state_dict())
    assert state.keys() == saved.keys()
    for index, entries in state.items():
        assert entries.keys() == saved[index].keys()
        assert entries["step"] == 3
        for key, value in entries.items():
            assert np.asarray(value).tobytes() == np.asarray(saved[index][key]).tobytes(), key


@pytest.mark.parametrize("name", NAMES[:-1])
@pytest.mark.parametrize("flagged", [False, True], ids=["plain", "found_inf"])
def test_steps_without_host_reads_in_constant_launches(strict, name, flagged):
    """On strict (as on CuPy): no transfer or sync, and as many launches for 40 parameters
    as for 2 (one flat update per bucket)."""
    flag = {"found_inf": strict.xp.zeros((), dtype=strict.xp.float32)} if flagged else {}
    counted = []
    for count in (2, 40):
        params = [
            Param(strict.asarray(random_input((count % 3 + 2, 3), seed=i))) for i in range(count)
        ]
        for index, param in enumerate(params):
            param.grad = strict.asarray(random_input(param.shape, seed=1000 + index))
        optimizer = getattr(optim, name)(params)
        optimizer.step(**flag)
        with profile(strict) as steady:
            optimizer.step(**flag)
        counted.append(steady.total())
    assert counted[0] == counted[1]
    assert counted[1].host_to_device == counted[1].device_to_host == counted[1].syncs == 0


def test_adafactor_steps_without_host_reads(strict):
    params = [Param(strict.asarray(values)) for values in initial_values()]
    optimizer = optim.Adafactor(params, weight_decay=0.1)
    for index, param in enumerate(params):
        param.grad = strict.asarray(random_input(param.shape, seed=1000 + index))
    optimizer.step()
    with profile(strict) as steady:
        optimizer.step()
    counts = steady.total()
    assert counts.host_to_device == counts.device_to_host == counts.syncs == 0


def test_adafactor_refuses_found_inf_and_skips_empty_parameters():
    param, empty = Param(np.ones((2, 2))), Param(np.ones((0, 3)))
    param.grad, empty.grad = np.ones((2, 2)), np.ones((0, 3))
    optimizer = optim.Adafactor([param, empty])
    others = [getattr(optim, name)([Param(np.ones(2))]) for name in NAMES[:-1]]
    assert all(map(takes_found_inf, others)) and not takes_found_inf(optimizer)
    with pytest.raises(TypeError, match="Adafactor.step: its _update takes no found_inf"):
        optimizer.step(found_inf=np.zeros((), np.float32))
    optimizer.step()
    reference = torch.optim.Adafactor([torch.ones(2, 2, dtype=torch.float64)])
    reference.param_groups[0]["params"][0].grad = torch.ones(2, 2, dtype=torch.float64)
    reference.step()
    assert_close(param.array, reference.param_groups[0]["params"][0].detach().numpy(), np.float64)
    assert optimizer.state_dict()["state"][1]["step"] == 1


@pytest.mark.parametrize("name", ["ASGD", "Rprop", "NAdam"])
def test_lr_changed_between_steps_matches_torch(backend, name):
    """ASGD's eta takes the lr of the step before; Rprop's step sizes start at the first."""
    params = [Param(backend.asarray(values)) for values in initial_values()]
    tensors = [torch.tensor(values) for values in initial_values()]
    ours, theirs = getattr(optim, name)(params), getattr(torch.optim, name)(tensors)
    for step in range(6):
        for optimizer in (ours, theirs):
            optimizer.param_groups[0]["lr"] = 0.1 / (step + 1)
        for index, (param, tensor) in enumerate(zip(params, tensors, strict=True)):
            grad = gradient(tensor.numpy(), step, index)
            param.grad, tensor.grad = backend.asarray(grad), torch.tensor(grad)
        ours.step()
        theirs.step()
        for param, tensor in zip(params, tensors, strict=True):
            assert_close(backend.to_host(param.array), tensor.numpy(), np.float64)


BAD_VALUES = [
    ("Adamax", {"lr": -1.0}, r"Adamax: lr must be in \[0.0, inf\), got -1.0"),
    ("Adamax", {"eps": -1.0}, "Adamax: eps must be in"),
    ("Adamax", {"betas": (1.0, 0.9)}, r"Adamax: betas\[0\] must be in \[0.0, 1.0\)"),
    ("Adamax", {"betas": (0.9, -0.1)}, r"Adamax: betas\[1\] must be in"),
    ("Adamax", {"weight_decay": -0.1}, "Adamax: weight_decay must be in"),
    ("NAdam", {"momentum_decay": -0.1}, "NAdam: momentum_decay must be in"),
    ("NAdam", {"betas": (0.9, 1.0)}, r"NAdam: betas\[1\] must be in"),
    ("NAdam", {"lr": -0.1}, "NAdam: lr must be in"),
    ("RAdam", {"eps": -1e-8}, "RAdam: eps must be in"),
    ("RAdam", {"weight_decay": -1.0}, "RAdam: weight_decay must be in"),
    ("ASGD", {"lr": -0.1}, "ASGD: lr must be in"),
    ("ASGD", {"weight_decay": -0.1}, "ASGD: weight_decay must be in"),
    ("Rprop", {"lr": -0.1}, "Rprop: lr must be in"),
    ("Rprop", {"etas": (1.0, 1.2)}, r"Rprop: etas must satisfy .* got \(1.0, 1.2\)"),
    ("Rprop", {"etas": (0.5, 1.0)}, "Rprop: etas must satisfy"),
    ("Rprop", {"etas": (0.0, 1.2)}, "Rprop: etas must satisfy"),
    ("Adafactor", {"lr": -0.1}, "Adafactor: lr must be in"),
    ("Adafactor", {"beta2_decay": 0.1}, "Adafactor: beta2_decay must be <= 0, got 0.1"),
    ("Adafactor", {"eps": (-1.0, 1e-3)}, r"Adafactor: eps\[0\] must be >= 0, got -1.0"),
    ("Adafactor", {"eps": (None, -1e-3)}, r"Adafactor: eps\[1\] must be >= 0"),
    ("Adafactor", {"d": 0.5}, r"Adafactor: d must be in \[1.0, inf\)"),
    ("Adafactor", {"weight_decay": -0.1}, "Adafactor: weight_decay must be in"),
]


@pytest.mark.parametrize("name, kwargs, match", BAD_VALUES)
def test_rejects_what_torch_rejects(name, kwargs, match):
    with pytest.raises(ValueError, match=match):
        getattr(optim, name)([Param(np.zeros(2))], **kwargs)
    with pytest.raises(ValueError):
        getattr(torch.optim, name)([torch.zeros(2)], **kwargs)


@pytest.mark.parametrize(
    "name, kwargs, match",
    [
        ("Adamax", {"betas": (0.9,)}, r"Adamax: betas must be a pair .* got \(0.9,\)"),
        ("NAdam", {"betas": 0.9}, r"NAdam: betas must be a pair .* got 0.9"),
        ("Rprop", {"step_sizes": (1e-6,)}, "Rprop: step_sizes must be a pair"),
        ("Rprop", {"etas": 0.5}, "Rprop: etas must be a pair"),
        ("Adafactor", {"eps": 1e-3}, "Adafactor: eps must be a pair"),
    ],
)
def test_rejects_what_is_not_a_pair(name, kwargs, match):
    """PyTorch fails on these with an IndexError or a TypeError; xpnet says why."""
    with pytest.raises(ValueError, match=match):
        getattr(optim, name)([Param(np.zeros(2))], **kwargs)


@pytest.mark.parametrize(
    "name, kwargs, match",
    [
        ("Adamax", {"lr": "0.1"}, "Adamax: lr must be a real number, got str"),
        ("ASGD", {"weight_decay": None}, "ASGD: weight_decay must be a real number"),
        ("Adafactor", {"d": "2"}, "Adafactor: d must be a real number"),
    ],
)
def test_rejects_bad_kinds(name, kwargs, match):
    with pytest.raises(TypeError, match=match):
        getattr(optim, name)([Param(np.zeros(2))], **kwargs)


@pytest.mark.parametrize("name", NAMES)
def test_accepts_torchs_switches(name):
    switches = {"foreach": True} if name == "Adafactor" else {"foreach": True, "capturable": True}
    _, expected = torch_run(name, {})
    optimizer = getattr(optim, name)(initial_values_params(), **switches)
    actual = run_xpnet(
        load_backend("numpy"), optimizer, optimizer.param_groups[0]["params"], range(STEPS)
    )
    assert_same_trajectory(actual, expected, np.float64)
    if name != "Adafactor":
        with pytest.raises(NotImplementedError, match=f"{name}: differentiable=True is not"):
            getattr(optim, name)(initial_values_params(), differentiable=True)
        with pytest.raises(TypeError, match=f"{name}: capturable must be True or False"):
            getattr(optim, name)(initial_values_params(), capturable="yes")
    with pytest.raises(TypeError, match=f"{name}: foreach must be True, False or None"):
        getattr(optim, name)(initial_values_params(), foreach=1)


def initial_values_params():
    return [Param(values) for values in initial_values()]


configs = st.fixed_dictionaries(
    {
        "lr": st.floats(0.0, 0.2),
        "weight_decay": st.sampled_from([0.0, 0.05]),
        "maximize": st.booleans(),
        "beta1": st.floats(0.0, 0.95),
        "beta2": st.floats(0.5, 0.999),
    }
)


def options(name, config):
    """The options of ``name`` drawn from ``config``."""
    betas = (config["beta1"], config["beta2"])
    common = {"lr": config["lr"], "maximize": config["maximize"]}
    if name in ("Adamax", "NAdam", "RAdam"):
        return {**common, "betas": betas, "weight_decay": config["weight_decay"]}
    if name == "ASGD":
        return {
            **common,
            "lambd": config["beta1"],
            "t0": 2.0,
            "weight_decay": config["weight_decay"],
        }
    if name == "Rprop":
        return {**common, "etas": (config["beta1"] / 2 + 0.01, 1 + config["beta2"])}
    return {**common, "beta2_decay": -config["beta2"], "weight_decay": config["weight_decay"]}


@settings(PROFILE, max_examples=30, deadline=None)
@given(name=st.sampled_from(NAMES), config=configs)
def test_property_random_options_match_torch(name, config):
    kwargs = options(name, config)
    _, expected = torch_run(name, kwargs, steps=3)
    _, _, actual = xpnet_run(load_backend("numpy"), np.float64, name, kwargs, steps=range(3))
    assert_same_trajectory(actual, expected, np.float64)


@settings(PROFILE, max_examples=30, deadline=None)
@given(name=st.sampled_from(NAMES), lr=st.floats(-1.0, 1.0), weight_decay=st.floats(-1.0, 1.0))
def test_property_invalid_options_raise_as_torch(name, lr, weight_decay):
    kwargs = {"lr": lr} if name == "Rprop" else {"lr": lr, "weight_decay": weight_decay}
    try:
        getattr(torch.optim, name)([torch.zeros(2)], **kwargs)
    except ValueError:
        with pytest.raises(ValueError, match=f"{name}: "):
            getattr(optim, name)([Param(np.zeros(2))], **kwargs)
    else:
        getattr(optim, name)([Param(np.zeros(2))], **kwargs)
