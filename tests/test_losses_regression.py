"""mse_loss, l1_loss, smooth_l1_loss and huber_loss: PyTorch float64 oracle (forward and both
gradients), every reduction and option, kinks and NaN, finite differences, errors, modules."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from _oracle import assert_close, check_against_torch, check_finite_differences, random_input

import xpnet
import xpnet.kernels as K
from xpnet import nn

REDUCTIONS = ["none", "mean", "sum"]
# name -> the options to try (each a dict of keyword arguments)
OPTIONS = {
    "mse_loss": [{}],
    "l1_loss": [{}],
    "smooth_l1_loss": [{}, {"beta": 0.0}, {"beta": 0.3}, {"beta": 2.5}],
    "huber_loss": [{}, {"delta": 0.3}, {"delta": 2.5}],
}
CASES = [(name, kwargs) for name, options in OPTIONS.items() for kwargs in options]


def _pair(shape, seed=0):
    """Input and target with exact ties (d = 0) and differences on the kinks (|d| = 0.3)."""
    x, t = random_input(shape, seed, low=-3, high=3), random_input(shape, seed + 1, low=-3, high=3)
    flat_x, flat_t = x.reshape(-1), t.reshape(-1)
    flat_t[:2] = flat_x[:2]  # d = 0
    if flat_x.size > 3:
        flat_t[2], flat_t[3] = flat_x[2] - 0.3, flat_x[3] + 0.3
    return x, t


def _check(backend, name, x, t, dtype=np.float64, weight=None, **kwargs):
    forward, backward = getattr(K, name), getattr(K, f"{name}_backward")
    extra = {} if weight is None else {"weight": backend.asarray(weight.astype(dtype))}
    torch_extra = {} if weight is None else {"weight": torch.tensor(weight.astype(dtype))}
    return check_against_torch(
        lambda a, b: forward(a, b, **kwargs, **extra),
        lambda g, a, b: backward(g, a, b, **kwargs, **extra),
        lambda a, b: getattr(TF, name)(a, b, **kwargs, **torch_extra),
        [x, t],
        backend,
        dtype=dtype,
    )


@pytest.mark.parametrize("name, kwargs", CASES)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_regression_loss_matches_torch(backend, name, kwargs, dtype):
    x, t = _pair((3, 2, 5))
    for reduction in REDUCTIONS:
        _check(backend, name, x, t, dtype, reduction=reduction, **kwargs)


@pytest.mark.parametrize("name", ["mse_loss", "l1_loss", "huber_loss"])
def test_regression_loss_weight_matches_torch(backend, name):
    """mse and l1 divide a weighted 'mean' by the summed weights, huber by the count."""
    x, t = _pair((4, 3))
    weight = random_input((4, 3), 7, low=0.1, high=2.0)
    for reduction in REDUCTIONS:
        _check(backend, name, x, t, weight=weight, reduction=reduction)


@pytest.mark.parametrize("name, kwargs", CASES)
def test_regression_loss_shapes(backend, name, kwargs):
    """0-d and empty inputs ('mean' of nothing is NaN, as PyTorch) and 4-d ones."""
    for shape in [(), (0,), (1,), (2, 1, 3, 2)]:
        x, t = random_input(shape, 0), random_input(shape, 1)
        for reduction in REDUCTIONS:
            _check(backend, name, x, t, reduction=reduction, **kwargs)


@pytest.mark.parametrize("name, kwargs", CASES)
def test_regression_loss_nan_and_inf_like_torch(backend, name, kwargs):
    x = np.array([np.nan, 1.0, np.inf, -np.inf, 2.0, np.nan])
    t = np.array([0.0, np.nan, 0.0, 1.0, np.inf, np.nan])
    grad = np.ones(6)
    _, grads = check_against_torch(
        lambda a, b: getattr(K, name)(a, b, reduction="none", **kwargs),
        lambda g, a, b: getattr(K, f"{name}_backward")(g, a, b, reduction="none", **kwargs),
        lambda a, b: getattr(TF, name)(a, b, reduction="none", **kwargs),
        [x, t],
        backend,
        grad_output=grad,
    )
    assert grads[0].shape == (6,)


@pytest.mark.parametrize("name, kwargs", CASES)
def test_regression_loss_float16_computes_in_float32(backend, name, kwargs):
    x, t = (a.astype(np.float16) for a in _pair((4, 5)))
    output = getattr(K, name)(backend.asarray(x), backend.asarray(t), reduction="none", **kwargs)
    assert output.dtype == np.float16
    reference = getattr(TF, name)(
        torch.tensor(x, dtype=torch.float64),
        torch.tensor(t, dtype=torch.float64),
        reduction="none",
        **kwargs,
    )
    assert_close(backend.to_host(output), reference.numpy(), np.float16)
    grads = getattr(K, f"{name}_backward")(
        backend.asarray(np.ones((4, 5), np.float16)),
        backend.asarray(x),
        backend.asarray(t),
        reduction="none",
        **kwargs,
    )
    assert all(g.dtype == np.float16 for g in grads)


@pytest.mark.parametrize(
    "name, kwargs",
    [("mse_loss", {}), ("smooth_l1_loss", {"beta": 0.7}), ("huber_loss", {"delta": 0.4})],
)
def test_regression_loss_finite_differences(backend, name, kwargs):
    x, t = random_input((2, 3), 3), random_input((2, 3), 4)
    check_finite_differences(
        lambda a, b: getattr(K, name)(a, b, reduction="sum", **kwargs),
        lambda g, a, b: getattr(K, f"{name}_backward")(g, a, b, reduction="sum", **kwargs),
        [x, t],
        backend,
    )


@pytest.mark.parametrize(
    "name, kwargs, error, message",
    [
        ("mse_loss", {"reduction": "avg"}, ValueError, "reduction must be one of"),
        ("l1_loss", {"size_average": True}, ValueError, "size_average and reduce are deprecated"),
        ("smooth_l1_loss", {"reduce": False}, ValueError, "deprecated"),
        ("smooth_l1_loss", {"beta": -1.0}, ValueError, "beta must be non-negative, got -1.0"),
        ("smooth_l1_loss", {"beta": "1"}, TypeError, "beta must be a number"),
        ("huber_loss", {"delta": 0.0}, ValueError, "delta must be positive, got 0.0"),
        # NaN fails every comparison: refused as PyTorch does, not let through
        ("huber_loss", {"delta": float("nan")}, ValueError, "delta must be positive, got nan"),
        ("smooth_l1_loss", {"beta": float("nan")}, ValueError, "beta must be non-neg.*, got nan"),
        ("huber_loss", {"reduction": "batchmean"}, ValueError, "reduction must be one of"),
    ],
)
def test_regression_loss_rejects_bad_options(backend, name, kwargs, error, message):
    x = backend.asarray(np.zeros((2, 3)))
    with pytest.raises(error, match=message):
        getattr(K, name)(x, x, **kwargs)
    with pytest.raises(error, match=message):
        getattr(K, f"{name}_backward")(backend.asarray(np.zeros(())), x, x, **kwargs)


@pytest.mark.parametrize("name", list(OPTIONS))
def test_regression_loss_rejects_bad_arrays(backend, name):
    forward, backward = getattr(K, name), getattr(K, f"{name}_backward")
    x = backend.asarray(np.zeros((2, 3)))
    with pytest.raises(ValueError, match=rf"{name}: target must have the shape of input"):
        forward(x, backend.asarray(np.zeros((3,))))
    with pytest.raises(TypeError, match=rf"{name}: target must have the dtype of input"):
        forward(x, backend.asarray(np.zeros((2, 3), np.float32)))
    with pytest.raises(TypeError, match="must be a floating-point array"):
        forward(backend.asarray(np.zeros((2, 3), np.int64)), x)
    with pytest.raises(TypeError, match="target must be an array, got None"):
        forward(x, None)
    with pytest.raises(ValueError, match=r"grad_output must have shape \(\)"):
        backward(x, x, x)
    with pytest.raises(ValueError, match=r"grad_output must have shape \(2, 3\)"):
        backward(backend.asarray(np.zeros(())), x, x, reduction="none")
    if name != "smooth_l1_loss":
        with pytest.raises(ValueError, match="weight must have the shape of input"):
            forward(x, x, weight=backend.asarray(np.ones(3)))


# -- modules ---------------------------------------------------------------------------------

MODULES = [
    ("MSELoss", {}, "mse_loss"),
    ("L1Loss", {"reduction": "sum"}, "l1_loss"),
    ("SmoothL1Loss", {"beta": 0.5, "reduction": "none"}, "smooth_l1_loss"),
    ("HuberLoss", {"delta": 0.5}, "huber_loss"),
]


@pytest.mark.parametrize("cls, kwargs, function", MODULES)
def test_regression_loss_modules_match_torch(backend, cls, kwargs, function):
    module, reference = getattr(nn, cls)(**kwargs), getattr(torch.nn, cls)(**kwargs)
    assert repr(module) == repr(reference)
    assert list(module.state_dict()) == list(reference.state_dict()) == []
    for key in kwargs:
        assert getattr(module, key) == getattr(reference, key)
    x, t = _pair((3, 4))
    input = xpnet.Tensor(backend.asarray(x), requires_grad=True)
    loss = module(input, backend.asarray(t))
    expected_input = torch.tensor(x, requires_grad=True)
    expected = reference(expected_input, torch.tensor(t))
    assert_close(backend.to_host(loss.array), expected.detach().numpy(), np.float64)
    loss.backward(backend.asarray(np.ones(loss.shape)))
    expected.backward(torch.ones(expected.shape, dtype=torch.float64))
    assert_close(backend.to_host(input.grad.array), expected_input.grad.numpy(), np.float64, "grad")


def test_regression_loss_module_defaults():
    assert nn.MSELoss().reduction == torch.nn.MSELoss().reduction == "mean"
    assert nn.SmoothL1Loss().beta == torch.nn.SmoothL1Loss().beta == 1.0
    assert nn.HuberLoss().delta == torch.nn.HuberLoss().delta == 1.0
    with pytest.raises(ValueError, match="MSELoss: size_average and reduce are deprecated"):
        nn.MSELoss(size_average=False)
