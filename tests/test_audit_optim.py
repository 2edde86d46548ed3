"""Regressions found by a differential audit of xpnet.optim against torch.optim: PyTorch's
switches on every optimizer, Adagrad's state from the constructor, closures under no_grad,
state dicts that lack a newer hyper-parameter, and a Tensor ``lr``."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from _oracle import assert_close, random_input

import xpnet
import xpnet.optim as optim
from xpnet.backends import load_backend
from xpnet.nn import Parameter as Param

SHAPES = [(3, 4), (5,), ()]
STEPS = 6


def gradient(values: np.ndarray, step: int, index: int) -> np.ndarray:
    """A non-linear gradient field plus per-step noise, the same for both libraries."""
    noise = random_input(values.shape, seed=100 * step + index)
    return np.asarray(0.5 * values + np.sin(3.0 * values) + noise)


def initial_values():
    return [random_input(shape, seed=index) for index, shape in enumerate(SHAPES)]


def pair(backend, name, kwargs, torch_kwargs=None):
    """An xpnet optimizer on ``backend`` and a torch one (float64), on the same values."""
    params = [Param(backend.asarray(values)) for values in initial_values()]
    tensors = [torch.tensor(values) for values in initial_values()]
    torch_kwargs = kwargs if torch_kwargs is None else torch_kwargs
    ours = getattr(optim, name)(params, **kwargs)
    return ours, params, getattr(torch.optim, name)(tensors, **torch_kwargs), tensors


def step_both(backend, ours, params, theirs, tensors, steps, skip=()):
    """Step both optimizers with the same gradients (``None`` for the indices in ``skip``)
    and check that the parameters agree after every step."""
    for step in steps:
        for index, (param, tensor) in enumerate(zip(params, tensors, strict=True)):
            if index in skip:
                param.grad = tensor.grad = None
                continue
            grad = gradient(tensor.numpy(), step, index)
            param.grad, tensor.grad = backend.asarray(grad), torch.tensor(grad)
        ours.step()
        theirs.step()
        for index, (param, tensor) in enumerate(zip(params, tensors, strict=True)):
            got = backend.to_host(param.array)
            assert_close(got, tensor.numpy(), np.float64, what=f"param {index}, step {step}")


SWITCHES = [
    ("SGD", {"lr": 0.1, "momentum": 0.9, "differentiable": False}),
    ("Adam", {"lr": 0.05, "capturable": True, "differentiable": False}),
    ("AdamW", {"lr": 0.05, "capturable": True, "differentiable": False}),
    ("RMSprop", {"momentum": 0.5, "capturable": True, "differentiable": False}),
    ("Adagrad", {"lr": 0.1, "differentiable": False}),
    ("Adadelta", {"capturable": True, "differentiable": False}),
]


@pytest.mark.parametrize("name, kwargs", SWITCHES, ids=[name for name, _ in SWITCHES])
def test_accepts_torchs_capturable_and_differentiable(backend, name, kwargs):
    """A ported ``Adam(..., capturable=True)`` runs: the switch changes nothing in xpnet."""
    torch_kwargs = {k: v for k, v in kwargs.items() if k != "capturable"}
    step_both(backend, *pair(backend, name, kwargs, torch_kwargs), range(STEPS))
    differentiable = {**kwargs, "differentiable": True}
    with pytest.raises(NotImplementedError, match=f"{name}: differentiable=True is not"):
        getattr(optim, name)([Param(backend.asarray([1.0]))], **differentiable)
    with pytest.raises(TypeError, match=f"{name}: differentiable must be True or False"):
        getattr(optim, name)([Param(backend.asarray([1.0]))], differentiable="no")


@pytest.mark.parametrize(
    "name, args",
    [
        ("RMSprop", (0.01, 0.9, 1e-8, 0.0, 0.5, True, False, None, True)),
        ("Adagrad", (0.1, 0.1, 0.0, 0.2, 1e-10, None)),
        ("Adadelta", (0.5, 0.8, 1e-6, 0.1, None)),
    ],
)
def test_takes_torchs_positional_arguments(backend, name, args):
    """PyTorch's positional order, ``capturable``, ``foreach`` and ``maximize`` included."""
    params = [Param(backend.asarray(values)) for values in initial_values()]
    tensors = [torch.tensor(values) for values in initial_values()]
    ours = getattr(optim, name)(params, *args)
    theirs = getattr(torch.optim, name)(tensors, *args)
    step_both(backend, ours, params, theirs, tensors, range(STEPS))


def host_state(backend, state_dict):
    return {
        index: {
            key: backend.to_host(value) if hasattr(value, "shape") else value
            for key, value in state.items()
        }
        for index, state in state_dict["state"].items()
    }


def test_adagrad_state_starts_in_the_constructor(backend):
    """As PyTorch's: every parameter's ``step`` and ``sum`` exist before the first step, and
    stay for a parameter that has no gradient."""
    kwargs = {"lr": 0.1, "initial_accumulator_value": 0.3}
    ours, params, theirs, tensors = pair(backend, "Adagrad", kwargs)
    for _ in range(2):
        expected = theirs.state_dict()["state"]
        saved = host_state(backend, ours.state_dict())
        assert saved.keys() == expected.keys() == {0, 1, 2}
        for index, state in saved.items():
            assert list(state) == list(expected[index]) == ["step", "sum"]
            assert state["step"] == expected[index]["step"].item()
            assert_close(state["sum"], expected[index]["sum"].numpy(), np.float64)
        step_both(backend, ours, params, theirs, tensors, range(1), skip=(2,))


def test_adagrad_state_follows_parameters_moved_after_the_constructor(backend):
    """The constructor's state of a parameter whose data then moves (``Module.to``) or is
    cast is made again like it at its first step, as the state made at that step was."""
    numpy_backend = load_backend("numpy")
    values = [values.astype(np.float32) for values in initial_values()]
    params = [Param(value) for value in values]
    ours = optim.Adagrad(params, lr=0.1)
    assert ours.state_dict()["state"].keys() == {0, 1, 2}
    for param in params:
        param.array = backend.asarray(numpy_backend.to_host(param.array).astype(np.float64))
    tensors = [torch.tensor(value.astype(np.float64)) for value in values]
    theirs = torch.optim.Adagrad(tensors, lr=0.1)
    step_both(backend, ours, params, theirs, tensors, range(STEPS))
    assert type(ours.state[id(params[0])]["sum"]) is type(params[0].array)


@pytest.mark.parametrize("name", ["SGD", "Adam", "RMSprop", "Adafactor"])
def test_closure_runs_with_gradients_enabled(backend, name):
    """PyTorch's optimizers call the closure under ``enable_grad``: ``step(closure)`` inside
    ``no_grad`` (an evaluation loop's context) still records the loss's graph."""
    values = random_input((3, 4), seed=1)
    param, tensor = Param(backend.asarray(values)), torch.tensor(values, requires_grad=True)
    ours, theirs = getattr(optim, name)([param], lr=0.1), getattr(torch.optim, name)([tensor])
    theirs.param_groups[0]["lr"] = 0.1

    def closure():
        ours.zero_grad()
        loss = (xpnet.sin(param) * param).sum()
        loss.backward()
        return loss

    def torch_closure():
        theirs.zero_grad()
        loss = (torch.sin(tensor) * tensor).sum()
        loss.backward()
        return loss

    for _ in range(3):
        with xpnet.no_grad(), torch.no_grad():
            loss, expected = ours.step(closure), theirs.step(torch_closure)
        assert_close(backend.to_host(loss.array), expected.detach().numpy(), np.float64)
        assert_close(backend.to_host(param.array), tensor.detach().numpy(), np.float64)


OLD_GROUPS = [
    ("Adam", {"lr": 0.05, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0.1}),
    ("AdamW", {"lr": 0.05, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0.1}),
    ("SGD", {"lr": 0.1, "momentum": 0.9, "dampening": 0, "weight_decay": 0, "nesterov": True}),
    ("RMSprop", {"lr": 0.01, "alpha": 0.99, "eps": 1e-8, "weight_decay": 0, "momentum": 0}),
]


@pytest.mark.parametrize("name, group", OLD_GROUPS, ids=[name for name, _ in OLD_GROUPS])
def test_load_state_dict_fills_hyperparameters_it_lacks(backend, name, group):
    """A state dict from an older PyTorch (no ``maximize``, ``amsgrad``, ``centered`` or
    ``decoupled_weight_decay``) loads, and the optimizer steps as PyTorch's after the same
    load: the missing options take their defaults."""
    saved = {"state": {}, "param_groups": [{**group, "params": [0, 1, 2]}]}
    ours, params, theirs, tensors = pair(backend, name, {})
    ours.load_state_dict(saved)
    theirs.load_state_dict(saved)
    step_both(backend, ours, params, theirs, tensors, range(STEPS))
    assert ours.param_groups[0]["maximize"] is False


@pytest.mark.parametrize("name", ["SGD", "Adam", "Adagrad", "NAdam", "ASGD", "Adafactor"])
@pytest.mark.parametrize("kind", ["tensor", "array"])
def test_lr_may_be_a_one_element_tensor(backend, name, kind):
    """PyTorch takes ``lr=torch.tensor(0.05)``; xpnet takes a 1-element Tensor or array and
    keeps its value as a number (what its steps and schedulers work with)."""
    lr = np.array(0.05)
    lr = xpnet.tensor(lr) if kind == "tensor" else backend.asarray(lr)
    ours, params, theirs, tensors = pair(
        backend, name, {"lr": lr}, {"lr": torch.tensor(0.05, dtype=torch.float64)}
    )
    assert type(ours.param_groups[0]["lr"]) is float
    step_both(backend, ours, params, theirs, tensors, range(STEPS))
    extra = Param(backend.asarray([1.0]))
    ours.add_param_group({"params": [extra], "lr": backend.asarray([0.5])})
    assert ours.param_groups[1]["lr"] == 0.5


def test_lr_of_more_than_one_element_is_refused_as_torch():
    with pytest.raises(ValueError, match=r"SGD: a Tensor lr must be 1-element, got shape \(2,\)"):
        optim.SGD([Param(np.zeros(2))], lr=np.array([0.1, 0.2]))
    with pytest.raises(ValueError, match="Tensor lr must be 1-element"):
        torch.optim.SGD([torch.zeros(2)], lr=torch.tensor([0.1, 0.2]))
    with pytest.raises(ValueError, match="Adam: a Tensor lr must be 1-element"):
        optim.Adam([Param(np.zeros(2))]).add_param_group(
            {"params": [Param(np.zeros(1))], "lr": xpnet.tensor([0.1, 0.2])}
        )
