"""``xpnet.nn.utils.parametrize``, ``parametrizations`` and the legacy weight/spectral norm
hooks against PyTorch on the same weights.

Forward outputs and every gradient (``original``, ``original0``/``original1``, ``weight_g``,
``weight_orig``, ...) in float64, spectral norm's ``_u``/``_v`` after several training
forwards from the same vectors, state_dict keys and values both ways, removal, and the errors.
Every body runs on numpy and strict.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from _oracle import assert_close, random_input
from _strategies import PROFILE
from hypothesis import given
from hypothesis import strategies as st

import xpnet
import xpnet.nn as nn
from xpnet.nn.utils import (
    parametrizations,
    parametrize,
    remove_spectral_norm,
    remove_weight_norm,
    spectral_norm,
    weight_norm,
)

F64 = np.float64
# (xpnet factory, torch factory, input shape): the same layer on both sides, float64
LAYERS = {
    "linear": (lambda: nn.Linear(5, 4), lambda: torch.nn.Linear(5, 4), (3, 5)),
    "conv2d": (lambda: nn.Conv2d(3, 4, 3), lambda: torch.nn.Conv2d(3, 4, 3), (2, 3, 5, 5)),
    "conv_transpose2d": (
        lambda: nn.ConvTranspose2d(3, 4, 2),
        lambda: torch.nn.ConvTranspose2d(3, 4, 2),
        (2, 3, 3, 3),
    ),
}


def _numpy_state(module) -> dict:
    return {key: value.detach().numpy().copy() for key, value in module.state_dict().items()}


def _pair(layer: str):
    """The xpnet and torch layers with torch's (float64) weights."""
    make_ours, make_theirs, shape = LAYERS[layer]
    theirs = make_theirs().double()
    ours = make_ours().double()
    ours.load_state_dict(_numpy_state(theirs))
    return ours, theirs, shape


def _compare_run(ours, theirs, shape, seed=0):
    """One forward and backward on both; outputs, input and parameter gradients equal."""
    x = random_input(shape, seed=seed)
    upstream = None
    x_ours = xpnet.Tensor(xpnet.asarray(x), requires_grad=True)
    x_theirs = torch.from_numpy(x).requires_grad_(True)
    out_ours, out_theirs = ours(x_ours), theirs(x_theirs)
    upstream = random_input(tuple(out_theirs.shape), seed=seed + 1)
    out_ours.backward(xpnet.asarray(upstream))
    out_theirs.backward(torch.from_numpy(upstream))
    assert_close(xpnet.to_numpy(out_ours.array), out_theirs.detach().numpy(), F64)
    assert_close(xpnet.to_numpy(x_ours.grad), x_theirs.grad.numpy(), F64, "input grad")
    names = [name for name, _ in theirs.named_parameters()]
    assert [name for name, _ in ours.named_parameters()] == names
    for (name, param), torch_param in zip(
        ours.named_parameters(), theirs.parameters(), strict=True
    ):
        assert_close(xpnet.to_numpy(param.grad), torch_param.grad.numpy(), F64, f"{name} grad")


def _assert_state_equal(ours, theirs):
    expected = _numpy_state(theirs)
    state = ours.state_dict()
    assert list(state) == list(expected)
    for key, value in expected.items():
        assert_close(xpnet.to_numpy(state[key]), value, F64, key)


# -- weight_norm (parametrizations) ----------------------------------------------------------
@pytest.mark.parametrize("layer", list(LAYERS))
@pytest.mark.parametrize("dim", [0, 1, None, -2])
def test_weight_norm_matches_torch(backend, layer, dim):
    ours, theirs, shape = _pair(layer)
    torch.nn.utils.parametrizations.weight_norm(theirs, dim=dim)
    parametrizations.weight_norm(ours, dim=dim)
    assert type(ours).__name__ == type(theirs).__name__
    _assert_state_equal(ours, theirs)  # g and v from right_inverse
    _compare_run(ours, theirs, shape)
    # torch's state_dict into ours and back
    ours.load_state_dict(_numpy_state(theirs))
    theirs.load_state_dict(
        {k: torch.from_numpy(xpnet.to_numpy(v)) for k, v in ours.state_dict().items()}
    )


def test_weight_norm_remove_keeps_value(backend):
    ours, theirs, _ = _pair("linear")
    torch.nn.utils.parametrizations.weight_norm(theirs)
    parametrizations.weight_norm(ours)
    weight = ours.parametrizations.weight.original1
    parametrize.remove_parametrizations(ours, "weight")
    torch.nn.utils.parametrize.remove_parametrizations(theirs, "weight")
    assert type(ours) is nn.Linear and not parametrize.is_parametrized(ours)
    assert ours.weight is not weight and isinstance(ours.weight, nn.Parameter)
    _assert_state_equal(ours, theirs)
    with pytest.raises(ValueError, match="sequence of tensors"):
        parametrize.remove_parametrizations(
            parametrizations.weight_norm(ours), "weight", leave_parametrized=False
        )


# -- spectral_norm (parametrizations) --------------------------------------------------------
@pytest.mark.parametrize("layer", list(LAYERS))
@pytest.mark.parametrize(("iterations", "dim"), [(1, None), (3, None), (2, 1)])
def test_spectral_norm_matches_torch(backend, layer, iterations, dim):
    ours, theirs, shape = _pair(layer)
    torch.nn.utils.parametrizations.spectral_norm(theirs, n_power_iterations=iterations, dim=dim)
    parametrizations.spectral_norm(ours, n_power_iterations=iterations, dim=dim)
    ours.load_state_dict(_numpy_state(theirs))  # the same _u, _v after the 15 first steps
    for seed in range(3):  # training: each forward updates _u and _v
        ours.zero_grad()
        theirs.zero_grad()
        _compare_run(ours, theirs, shape, seed)
        _assert_state_equal(ours, theirs)
    ours.eval()
    theirs.eval()
    _compare_run(ours, theirs, shape, 7)
    before = {key: xpnet.to_numpy(value).copy() for key, value in ours.state_dict().items()}
    ours(xpnet.asarray(random_input(shape)))
    for key, value in ours.state_dict().items():  # evaluation leaves _u and _v alone
        np.testing.assert_array_equal(xpnet.to_numpy(value), before[key])
    _assert_state_equal(ours, theirs)


def test_spectral_norm_registration(backend):
    layer = nn.Linear(5, 4).double()
    theirs = torch.nn.utils.parametrizations.spectral_norm(torch.nn.Linear(5, 4).double())
    # singular values 3, 1, 0.5, 0.2: 15 steps from random vectors find 3 to (1/3)**30
    left, _ = np.linalg.qr(random_input((4, 4), seed=1))
    right, _ = np.linalg.qr(random_input((5, 5), seed=2))
    layer.weight.array[...] = xpnet.asarray(left @ np.diag([3.0, 1, 0.5, 0.2]) @ right[:4])
    parametrizations.spectral_norm(layer)
    assert list(layer.state_dict()) == list(theirs.state_dict())
    u = xpnet.to_numpy(layer.parametrizations.weight[0]._u)
    assert u.shape == (4,) and abs(np.linalg.norm(u) - 1) < 1e-12
    layer.eval()
    assert_close(np.linalg.norm(xpnet.to_numpy(layer.weight.array), 2), 1.0, F64, rtol=1e-9)


def test_spectral_norm_starts_with_16_steps(backend):
    layer = nn.Linear(5, 4).double()
    weight = xpnet.to_numpy(layer.weight.array)
    xpnet.manual_seed(3)
    parametrizations.spectral_norm(layer)
    xpnet.manual_seed(3)
    u, v = (xpnet.randn(size, dtype=xpnet.float64).numpy() for size in (4, 5))
    u, v = u / np.linalg.norm(u), v / np.linalg.norm(v)
    # PyTorch's _power_method(weight_mat, 15), then one training step: register_parametrization
    # computes the weight once to check its shape and dtype
    for _ in range(16):
        u = weight @ v
        u /= np.linalg.norm(u)
        v = weight.T @ u
        v /= np.linalg.norm(v)
    state = layer.state_dict()
    assert_close(xpnet.to_numpy(state["parametrizations.weight.0._u"]), u, F64)
    assert_close(xpnet.to_numpy(state["parametrizations.weight.0._v"]), v, F64)


def test_spectral_norm_one_dimensional(backend):
    ours, theirs, shape = _pair("linear")
    torch.nn.utils.parametrizations.spectral_norm(theirs, "bias")
    parametrizations.spectral_norm(ours, "bias")
    assert list(ours.state_dict()) == list(theirs.state_dict())
    _compare_run(ours, theirs, shape)


def test_spectral_norm_errors(backend):
    with pytest.raises(ValueError, match="n_power_iterations=0"):
        parametrizations.spectral_norm(nn.Linear(2, 2), n_power_iterations=0)
    with pytest.raises(IndexError, match=r"range of \[-2, 1\] but got 2"):
        parametrizations.spectral_norm(nn.Linear(2, 2), dim=2)
    with pytest.raises(ValueError, match="no parameter or buffer with name 'kernel'"):
        parametrizations.spectral_norm(nn.Linear(2, 2), "kernel")


# -- legacy hooks ----------------------------------------------------------------------------
@pytest.mark.parametrize("layer", list(LAYERS))
@pytest.mark.parametrize("dim", [0, None])
def test_legacy_weight_norm_matches_torch(backend, layer, dim):
    ours, theirs, shape = _pair(layer)
    with pytest.warns(FutureWarning, match="parametrizations.weight_norm"):
        weight_norm(ours, dim=dim)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.nn.utils.weight_norm(theirs, dim=dim)
    _assert_state_equal(ours, theirs)
    _compare_run(ours, theirs, shape)
    with pytest.raises(RuntimeError, match="two weight_norm hooks"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        weight_norm(ours, dim=dim)
    remove_weight_norm(ours)
    torch.nn.utils.remove_weight_norm(theirs)
    _assert_state_equal(ours, theirs)
    assert not ours._forward_pre_hooks
    with pytest.raises(ValueError, match="weight_norm of 'weight' not found"):
        remove_weight_norm(ours)


@pytest.mark.parametrize("layer", list(LAYERS))
@pytest.mark.parametrize("iterations", [1, 2])
def test_legacy_spectral_norm_matches_torch(backend, layer, iterations):
    ours, theirs, shape = _pair(layer)
    spectral_norm(ours, n_power_iterations=iterations)
    torch.nn.utils.spectral_norm(theirs, n_power_iterations=iterations)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    ours.load_state_dict(_numpy_state(theirs))
    for seed in range(3):
        ours.zero_grad()
        theirs.zero_grad()
        _compare_run(ours, theirs, shape, seed)
        _assert_state_equal(ours, theirs)
    ours.eval()
    theirs.eval()
    _compare_run(ours, theirs, shape, 5)
    _assert_state_equal(ours, theirs)
    with pytest.raises(RuntimeError, match="two spectral_norm hooks"):
        spectral_norm(ours)
    remove_spectral_norm(ours)
    torch.nn.utils.remove_spectral_norm(theirs)
    _assert_state_equal(ours, theirs)
    with pytest.raises(ValueError, match="spectral_norm of 'weight' not found"):
        remove_spectral_norm(ours)
    with pytest.raises(ValueError, match="n_power_iterations=0"):
        spectral_norm(ours, n_power_iterations=0)


# -- register_parametrization ----------------------------------------------------------------
class Double(nn.Module):
    def forward(self, x):
        return x * 2

    def right_inverse(self, x):
        return x / 2


class TorchDouble(torch.nn.Module):
    def forward(self, x):
        return x * 2

    def right_inverse(self, x):
        return x / 2


class Symmetric(nn.Module):  # no right_inverse
    def forward(self, x):
        return x + x.transpose(0, 1)


class TorchSymmetric(torch.nn.Module):
    def forward(self, x):
        return x + x.transpose(0, 1)


class Sum(nn.Module):  # two originals
    def forward(self, a, b):
        return a + b * b

    def right_inverse(self, x):
        return x * 0.5, x * 0 + 1


class TorchSum(torch.nn.Module):
    def forward(self, a, b):
        return a + b * b

    def right_inverse(self, x):
        return x * 0.5, x * 0 + 1


def _square_pair():
    theirs = torch.nn.Linear(4, 4).double()
    ours = nn.Linear(4, 4).double()
    ours.load_state_dict(_numpy_state(theirs))
    return ours, theirs, (3, 4)


@pytest.mark.parametrize(
    "chain",
    [
        [(Double, TorchDouble)],
        [(Symmetric, TorchSymmetric), (Double, TorchDouble)],
        [(Sum, TorchSum)],
    ],
)
def test_register_parametrization_matches_torch(backend, chain):
    ours, theirs, shape = _square_pair()
    original = ours.weight
    for mine, torchs in chain:
        parametrize.register_parametrization(ours, "weight", mine())
        torch.nn.utils.parametrize.register_parametrization(theirs, "weight", torchs())
    assert type(ours).__name__ == "ParametrizedLinear"
    assert parametrize.type_before_parametrizations(ours) is nn.Linear
    assert parametrize.is_parametrized(ours) and parametrize.is_parametrized(ours, "weight")
    assert not parametrize.is_parametrized(ours, "bias")
    if chain[0][0] is not Sum:  # the optimizer's object stays the original
        assert ours.parametrizations.weight.original is original
    _assert_state_equal(ours, theirs)
    _compare_run(ours, theirs, shape)
    # assignment goes through right_inverse (where there is one)
    value = random_input((4, 4), seed=3)
    if all(hasattr(mine, "right_inverse") for mine, _ in chain):
        ours.weight = xpnet.Tensor(xpnet.asarray(value))
        with torch.no_grad():
            theirs.weight = torch.from_numpy(value)
        _assert_state_equal(ours, theirs)
    else:
        with pytest.raises(RuntimeError, match="Symmetric does not implement right_inverse"):
            ours.weight = xpnet.Tensor(xpnet.asarray(value))
    theirs.load_state_dict(
        {k: torch.from_numpy(xpnet.to_numpy(v)) for k, v in ours.state_dict().items()}
    )


def test_remove_parametrizations(backend):
    for leave in (True, False):
        ours, theirs, _ = _square_pair()
        original = ours.weight
        parametrize.register_parametrization(ours, "weight", Double())
        torch.nn.utils.parametrize.register_parametrization(theirs, "weight", TorchDouble())
        parametrize.remove_parametrizations(ours, "weight", leave_parametrized=leave)
        torch.nn.utils.parametrize.remove_parametrizations(
            theirs, "weight", leave_parametrized=leave
        )
        assert type(ours) is nn.Linear and "parametrizations" not in ours._modules
        assert ours.weight is original
        _assert_state_equal(ours, theirs)
    with pytest.raises(ValueError, match="does not have a parametrization on weight"):
        parametrize.remove_parametrizations(ours, "weight")


def test_cached_and_buffers(backend):
    layer = parametrize.register_parametrization(nn.Linear(3, 3), "weight", Double())
    assert layer.weight is not layer.weight
    with parametrize.cached():
        assert layer.weight is layer.weight
    norm = nn.BatchNorm1d(3).double()
    theirs = torch.nn.BatchNorm1d(3).double()
    parametrize.register_parametrization(norm, "running_var", Double())
    torch.nn.utils.parametrize.register_parametrization(theirs, "running_var", TorchDouble())
    _assert_state_equal(norm, theirs)
    assert "parametrizations.running_var.original" in dict(norm.named_buffers())


def test_register_parametrization_errors(backend):
    class Shrink(nn.Module):
        def forward(self, x):
            return x[:1]

    class Halve(nn.Module):
        def forward(self, x):
            return x.float()

    with pytest.raises(ValueError, match="may not change the shape"):
        parametrize.register_parametrization(nn.Linear(3, 3), "weight", Shrink())
    with pytest.raises(ValueError, match="may not change the dtype"):
        parametrize.register_parametrization(nn.Linear(3, 3).double(), "weight", Halve())
    layer = parametrize.register_parametrization(nn.Linear(3, 3), "weight", Double())
    with pytest.raises(ValueError, match="may not change the shape"):
        parametrize.register_parametrization(layer, "weight", Shrink())
    parametrize.register_parametrization(nn.Linear(3, 3), "weight", Shrink(), unsafe=True)
    with pytest.raises(ValueError, match="does not have a parameter, a buffer"):
        parametrize.register_parametrization(nn.Linear(3, 3), "kernel", Double())
    with pytest.raises(ValueError, match="requires one or more modules"):
        parametrize.ParametrizationList([], nn.Parameter(np.zeros(2)))


@PROFILE
@given(
    shape=st.lists(st.integers(1, 4), min_size=1, max_size=4),
    dim=st.integers(-1, 3),
    seed=st.integers(0, 2**16),
)
def test_weight_norm_of_any_shape(shape, dim, seed):
    """Valid: every shape and dim gives torch's g, v and weight; invalid: a dim past the end
    raises on both sides."""
    weight = random_input(tuple(shape), seed=seed) + 2.0  # norms away from zero
    theirs = torch.nn.Module()
    theirs.weight = torch.nn.Parameter(torch.from_numpy(weight.copy()))
    ours = nn.Module()
    ours.weight = nn.Parameter(weight.copy())
    if dim >= len(shape):
        with pytest.raises(IndexError):
            torch.nn.utils.parametrizations.weight_norm(theirs, dim=dim)
        with pytest.raises(IndexError, match="Dimension out of range"):
            parametrizations.weight_norm(ours, dim=dim)
        return
    torch.nn.utils.parametrizations.weight_norm(theirs, dim=dim)
    parametrizations.weight_norm(ours, dim=dim)
    _assert_state_equal(ours, theirs)
    assert_close(xpnet.to_numpy(ours.weight.array), theirs.weight.detach().numpy(), F64)


def test_copies_and_pickling(backend):
    import copy
    import pickle

    layer = parametrizations.weight_norm(nn.Linear(3, 3).double())
    replica = copy.deepcopy(layer)
    assert type(replica) is type(layer)  # shared, as PyTorch's
    assert replica.parametrizations.weight.original0 is not layer.parametrizations.weight.original0
    np.testing.assert_array_equal(
        xpnet.to_numpy(replica.weight.array), xpnet.to_numpy(layer.weight.array)
    )
    with pytest.raises(RuntimeError, match="only supported through state_dict"):
        pickle.dumps(layer)
