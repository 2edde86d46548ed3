"""Regressions found by a differential audit of the optimizers' numbers against torch.optim:
PyTorch's ``lerp`` in its other form for weights of at least 0.5 (Adam's and RMSprop's
moving averages), Rprop's ``sign`` of NaN, Adafactor's Python ``max`` that ignores a NaN, no
NumPy RuntimeWarnings from inf or NaN gradients (optimizers and AveragedModel), and Tensor
``betas`` and ``weight_decay``."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from _oracle import assert_close

import xpnet
import xpnet.optim as optim
from xpnet.nn import Parameter as Param
from xpnet.optim import swa_utils

INIT = np.array([[0.5, -1.0, 2.0], [0.25, 1.5, -0.75]])


def step_both(backend, name, kwargs, grads, dtype=np.float64, init=INIT, check=True):
    """Step ``name`` in both libraries through ``grads``; return both, with their params,
    checked to agree after every step unless not ``check``."""
    param = Param(backend.asarray(init.astype(dtype)))
    tensor = torch.tensor(init.astype(dtype), requires_grad=True)
    ours, theirs = (
        getattr(optim, name)([param], **kwargs),
        getattr(torch.optim, name)([tensor], **kwargs),
    )
    for grad in grads:
        param.grad = backend.asarray(np.asarray(grad, dtype=dtype))
        tensor.grad = torch.tensor(np.asarray(grad, dtype=dtype))
        ours.step()
        theirs.step()
        what = f"{name} {kwargs} after {len(grads)} steps"
        if check:
            assert_close(backend.to_host(param.array), tensor.detach().numpy(), dtype, what)
    return ours, param, theirs, tensor


def assert_state_equal(backend, ours, param, theirs, tensor, key):
    """One state array, the same bits (NaN where PyTorch's is NaN)."""
    actual = backend.to_host(ours.state[id(param)][key])
    np.testing.assert_array_equal(actual, theirs.state[tensor][key].numpy(), err_msg=key)


def big_then_tiny():
    """Gradients of 1, -3 then 1e-20: with a lerp weight of 1, ``m + 1 * (g - m)`` loses the
    1e-20 that PyTorch's ``g - (g - m) * 0`` keeps."""
    return [np.ones_like(INIT), np.full_like(INIT, -3.0), np.full_like(INIT, 1e-20)]


@pytest.mark.parametrize("name", ["Adam", "AdamW"])
@pytest.mark.parametrize("amsgrad", [False, True])
def test_adam_exp_avg_takes_torchs_lerp_for_beta1_zero(backend, name, amsgrad):
    kwargs = {"lr": 0.01, "betas": (0.0, 0.999), "amsgrad": amsgrad}
    run = step_both(backend, name, kwargs, big_then_tiny())
    assert_state_equal(backend, *run, "exp_avg")


def test_adam_exp_avg_of_an_inf_gradient_is_torchs_nan(backend):
    """With beta1 = 0.5 PyTorch's lerp is ``g - (g - m) * 0.5``: inf - inf, NaN (not inf)."""
    grads = [INIT, np.where(INIT > 1, np.inf, INIT)]
    run = step_both(backend, "Adam", {"lr": 0.01, "betas": (0.5, 0.9)}, grads)
    assert_state_equal(backend, *run, "exp_avg")
    assert np.isnan(backend.to_host(run[0].state[id(run[1])]["exp_avg"])[0, 2])


def test_centered_rmsprop_grad_avg_takes_torchs_lerp_for_alpha_zero(backend):
    """alpha = 0: ``grad_avg`` is the gradient, exactly (the parameters are not compared:
    PyTorch's ``square_avg - grad_avg**2`` is then an FMA's rounding error, maybe negative)."""
    kwargs = {"lr": 0.01, "alpha": 0.0, "centered": True, "momentum": 0.5, "eps": 1e-3}
    run = step_both(backend, "RMSprop", kwargs, big_then_tiny(), check=False)
    assert_state_equal(backend, *run, "grad_avg")


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_rprop_nan_gradient_keeps_parameter_and_step_size(backend, dtype):
    """PyTorch's ``sign`` of NaN is 0: the element is neither moved nor its step resized."""
    nan_grad = np.where(INIT > 1, np.nan, INIT)
    grads = [INIT, nan_grad, INIT, -INIT]
    ours, param, theirs, tensor = step_both(backend, "Rprop", {"lr": 0.01}, grads, dtype)
    assert np.isfinite(backend.to_host(param.array)).all()
    assert_state_equal(backend, ours, param, theirs, tensor, "step_size")
    assert_state_equal(backend, ours, param, theirs, tensor, "prev")


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_adafactor_nan_norm_leaves_other_elements_finite(backend, bad):
    """PyTorch's ``max(1.0, norm)`` is 1.0 for a NaN norm (a Python max): the elements of a
    vector with a finite gradient still step, as there, instead of all turning NaN."""
    init = INIT[0]
    grad = init.copy()
    grad[0] = bad
    _, param, _, _ = step_both(backend, "Adafactor", {"lr": 0.01}, [init, grad, init], init=init)
    assert np.isfinite(backend.to_host(param.array)[1:]).all()


WARNING_FREE = [
    ("SGD", {"lr": 0.1, "momentum": 0.9, "weight_decay": 0.1}),
    ("Adam", {"lr": 0.01, "amsgrad": True}),
    ("Adamax", {"lr": 0.01}),
    ("NAdam", {"lr": 0.01}),
    ("RAdam", {"lr": 0.01}),
    ("Adagrad", {"lr": 0.1}),
    ("Adadelta", {}),
    ("RMSprop", {"lr": 0.01, "momentum": 0.5}),
    ("Rprop", {"lr": 0.01}),
    ("ASGD", {"lr": 0.01, "t0": 1}),
    ("Adafactor", {"lr": 0.01}),
]


@pytest.mark.parametrize("name, kwargs", WARNING_FREE, ids=[name for name, _ in WARNING_FREE])
def test_inf_and_nan_gradients_step_without_runtime_warnings(backend, name, kwargs):
    """inf and NaN gradients make inf and NaN values, as in PyTorch, and no NumPy warning
    (the suite turns warnings into errors): huge values that overflow when squared, then an
    inf, then a NaN."""
    huge = np.where(INIT > 0, 1e200, -1e200)
    grads = [INIT, huge, np.where(INIT > 1, np.inf, INIT), np.where(INIT < 0, np.nan, INIT)]
    _, param, _, tensor = step_both(backend, name, kwargs, grads, check=False)
    expected = tensor.detach().numpy()
    np.testing.assert_array_equal(np.isnan(backend.to_host(param.array)), np.isnan(expected))


@pytest.mark.parametrize("multi", [False, True])
def test_averaged_model_of_inf_weights_is_nan_without_warnings(backend, multi):
    model = xpnet.nn.Linear(3, 2).to(backend.name, dtype="float64")
    options = {"multi_avg_fn": swa_utils.get_ema_multi_avg_fn(0.5)} if multi else {}
    averaged = swa_utils.AveragedModel(model, **options)
    for value in (np.inf, -np.inf):
        model.weight.array[...] = value
        averaged.update_parameters(model)
    assert np.isnan(backend.to_host(averaged.module.weight.array)).all()  # inf - inf, as torch


@pytest.mark.parametrize("name", ["Adam", "AdamW", "NAdam", "RAdam", "Adamax"])
def test_betas_may_be_one_element_tensors_as_in_torch(backend, name):
    betas = (0.8, 0.95)
    ours_betas = tuple(xpnet.tensor(np.float64(beta)) for beta in betas)
    torch_betas = tuple(torch.tensor(beta, dtype=torch.float64) for beta in betas)
    param, tensor = (
        Param(backend.asarray(INIT.copy())),
        torch.tensor(INIT.copy(), requires_grad=True),
    )
    ours = getattr(optim, name)([param], lr=0.01, betas=ours_betas)
    theirs = getattr(torch.optim, name)([tensor], lr=0.01, betas=torch_betas, foreach=False)
    for grad in big_then_tiny()[:1] + [INIT]:
        param.grad, tensor.grad = backend.asarray(grad), torch.tensor(grad)
        ours.step()
        theirs.step()
    assert_close(backend.to_host(param.array), tensor.detach().numpy(), np.float64, name)
    assert ours.param_groups[0]["betas"] == betas


@pytest.mark.parametrize("name", ["SGD", "Adam", "Adagrad", "RMSprop"])
def test_weight_decay_may_be_a_one_element_tensor_as_in_torch(backend, name):
    kwargs = {"lr": 0.1}
    param, tensor = (
        Param(backend.asarray(INIT.copy())),
        torch.tensor(INIT.copy(), requires_grad=True),
    )
    ours = getattr(optim, name)([param], weight_decay=xpnet.tensor(np.float64(0.5)), **kwargs)
    theirs = getattr(torch.optim, name)([tensor], weight_decay=torch.tensor(0.5), **kwargs)
    for grad in (INIT, -INIT):
        param.grad, tensor.grad = backend.asarray(grad), torch.tensor(grad)
        ours.step()
        theirs.step()
    assert_close(backend.to_host(param.array), tensor.detach().numpy(), np.float64, name)
    with pytest.raises(ValueError, match=f"{name}: a Tensor weight_decay must be 1-element"):
        getattr(optim, name)([param], weight_decay=xpnet.tensor([0.5, 0.5]), **kwargs)
