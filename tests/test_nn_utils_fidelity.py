"""``xpnet.nn.utils`` and ``xpnet.nn.init`` where a differential audit against PyTorch found
them apart: parametrizations whose ``right_inverse`` changes the shape, or the dtype under
``unsafe``, parametrized buffers, spectral norm chained on a parametrized weight, weight norm
loading the hook form's ``weight_g``/``weight_v``, the total norm's refusals (no identity,
integer tensors), ``kaiming_*``'s mode in any case, the random initialisers' refusal of
integer tensors, the names PyTorch has (``clip_grad_norm``, ``stateless``, the conv weight
memory formats, ``transfer_parametrizations_and_params``) and ``orthogonal`` on empty
batches. Values against torch in float64; errors by class and message. Every body that takes
``backend`` runs on numpy and strict.
"""

from __future__ import annotations

import importlib
import math
import warnings

import numpy as np
import pytest
import torch
from _oracle import assert_close, random_input

import xpnet
import xpnet.nn as nn
import xpnet.nn.init as init
from xpnet.nn import utils as nn_utils
from xpnet.nn.utils import parametrizations, parametrize

F64 = np.float64


def _host(value) -> np.ndarray:
    """A Tensor, backend array or torch tensor as a NumPy array."""
    if isinstance(value, torch.Tensor):
        return value.detach().numpy()
    return xpnet.to_numpy(getattr(value, "array", value))


def _numpy_state(module) -> dict:
    return {key: value.detach().numpy().copy() for key, value in module.state_dict().items()}


def _assert_state_equal(ours, theirs):
    expected = _numpy_state(theirs)
    state = ours.state_dict()
    assert list(state) == list(expected)
    for key, value in expected.items():
        assert_close(_host(state[key]), value, F64, key)


def _linears(in_features=4, out_features=3):
    """An xpnet and a torch float64 Linear with torch's weights."""
    theirs = torch.nn.Linear(in_features, out_features).double()
    ours = nn.Linear(in_features, out_features).double()
    ours.load_state_dict(_numpy_state(theirs))
    return ours, theirs


# -- 1. a right_inverse that changes the shape -----------------------------------------------
def _flat(lib, shape):
    class Flat(lib.nn.Module):  # stores the weight flattened; forward restores its shape
        def forward(self, X):
            return X.reshape(*shape)

        def right_inverse(self, W):
            return W.reshape(-1)

    return Flat()


def test_register_parametrization_right_inverse_may_change_the_shape(backend):
    ours, theirs = _linears()
    original = ours.weight
    parametrize.register_parametrization(ours, "weight", _flat(xpnet, (3, 4)))
    torch.nn.utils.parametrize.register_parametrization(theirs, "weight", _flat(torch, (3, 4)))
    assert ours.parametrizations.weight.original is original  # the optimizer's object
    assert tuple(original.shape) == (12,)
    _assert_state_equal(ours, theirs)
    assert_close(_host(ours.weight), _host(theirs.weight), F64)
    x = random_input((2, 4))
    out = ours(xpnet.Tensor(xpnet.asarray(x)))
    out.sum().backward()
    expected = theirs(torch.from_numpy(x))
    expected.sum().backward()
    assert_close(_host(out), _host(expected), F64)
    assert_close(_host(original.grad), _host(theirs.parametrizations.weight.original.grad), F64)
    # assigning goes through right_inverse into the flat original
    value = random_input((3, 4), seed=1)
    ours.weight = xpnet.Tensor(xpnet.asarray(value))
    with torch.no_grad():
        theirs.weight = torch.from_numpy(value.copy())
    _assert_state_equal(ours, theirs)


def test_register_parametrization_still_checks_forward_shape(backend):
    ours, theirs = _linears()
    with pytest.raises(ValueError, match="may not change the shape"):
        torch.nn.utils.parametrize.register_parametrization(theirs, "weight", _flat(torch, (12,)))
    with pytest.raises(ValueError, match="may not change the shape") as caught:
        parametrize.register_parametrization(ours, "weight", _flat(xpnet, (12,)))
    assert "unparametrized shape: (3, 4)" in str(caught.value)  # the shape before, not (12,)


# -- 2. a right_inverse that changes the dtype, unsafe or not --------------------------------
def _to_float32(lib):
    class Half(lib.nn.Module):
        def forward(self, X):
            return X.double()

        def right_inverse(self, W):
            return W.float()

    return Half()


@pytest.mark.parametrize("unsafe", [False, True])
def test_register_parametrization_right_inverse_may_not_change_the_dtype(backend, unsafe):
    ours, theirs = _linears()
    message = "When `right_inverse` outputs one tensor, it may not change the dtype"
    with pytest.raises(ValueError, match=message):
        torch.nn.utils.parametrize.register_parametrization(
            theirs, "weight", _to_float32(torch), unsafe=unsafe
        )
    with pytest.raises(ValueError, match=message) as caught:
        parametrize.register_parametrization(ours, "weight", _to_float32(xpnet), unsafe=unsafe)
    assert "original.dtype: float64" in str(caught.value)
    assert "right_inverse(original).dtype: float32" in str(caught.value)
    assert not parametrize.is_parametrized(ours) and ours.weight.dtype == np.float64


# -- 3. a parametrized buffer ----------------------------------------------------------------
def _exp(lib, several=False):
    class Exp(lib.nn.Module):
        def forward(self, X, Y=None):
            return X.exp() if Y is None else X.exp() * Y

        def right_inverse(self, W):
            return (W.abs().log(), W * 0 + 1) if several else W.abs().log()

    return Exp()


@pytest.mark.parametrize("several", [False, True])
def test_register_parametrization_on_a_buffer_gives_right_inverse_a_tensor(backend, several):
    theirs = torch.nn.BatchNorm1d(3).double()
    theirs.running_var.copy_(torch.tensor([0.5, 2.0, 3.0], dtype=torch.float64))
    ours = nn.BatchNorm1d(3).double()
    ours.load_state_dict(_numpy_state(theirs))
    torch.nn.utils.parametrize.register_parametrization(theirs, "running_var", _exp(torch, several))
    parametrize.register_parametrization(ours, "running_var", _exp(xpnet, several))
    _assert_state_equal(ours, theirs)
    assert_close(_host(ours.running_var), _host(theirs.running_var), F64)
    names = [name for name, _ in ours.named_buffers()]
    assert names == [name for name, _ in theirs.named_buffers()]


# -- 4. spectral norm on a parametrized weight -----------------------------------------------
@pytest.mark.parametrize("training", [True, False])
def test_spectral_norm_chains_on_a_parametrized_weight(backend, training):
    ours, theirs = _linears(3, 3)
    torch.nn.utils.parametrizations.orthogonal(theirs)
    torch.nn.utils.parametrizations.spectral_norm(theirs)
    parametrizations.orthogonal(ours)
    parametrizations.spectral_norm(ours)
    assert len(ours.parametrizations.weight) == 2
    assert list(ours.state_dict()) == list(theirs.state_dict())
    ours.load_state_dict(_numpy_state(theirs))  # the same _u, _v (drawn apart)
    ours.train(training)
    theirs.train(training)
    for _ in range(2):  # in training, each access runs a power iteration on both
        assert_close(_host(ours.weight), _host(theirs.weight), F64)
    _assert_state_equal(ours, theirs)


@pytest.mark.parametrize("which", ["orthogonal", "spectral_norm"])
def test_parametrizations_take_a_buffer(backend, which):
    theirs = torch.nn.Module()
    theirs.register_buffer("w", torch.from_numpy(random_input((3, 3), seed=2)))
    ours = nn.Module()
    ours.register_buffer("w", xpnet.asarray(random_input((3, 3), seed=2)))
    getattr(torch.nn.utils.parametrizations, which)(theirs, "w")
    getattr(parametrizations, which)(ours, "w")
    assert list(ours.state_dict()) == list(theirs.state_dict())
    ours.load_state_dict(_numpy_state(theirs))
    assert_close(_host(ours.w), _host(theirs.w), F64)


# -- 5. weight norm loads the hook form's state_dict -----------------------------------------
def test_weight_norm_loads_the_hook_forms_state_dict(backend):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # torch's hook form is deprecated
        legacy = torch.nn.Sequential(torch.nn.utils.weight_norm(torch.nn.Linear(4, 3).double()))
    state = _numpy_state(legacy)
    assert list(state) == ["0.bias", "0.weight_g", "0.weight_v"]
    theirs = torch.nn.Sequential(torch.nn.Linear(4, 3).double())
    torch.nn.utils.parametrizations.weight_norm(theirs[0])
    theirs.load_state_dict({key: torch.from_numpy(value) for key, value in state.items()})
    ours = nn.Sequential(nn.Linear(4, 3).double())
    parametrizations.weight_norm(ours[0])
    result = ours.load_state_dict(state)
    assert result.missing_keys == [] and result.unexpected_keys == []
    _assert_state_equal(ours, theirs)
    assert_close(_host(ours[0].weight), _host(legacy[0].weight), F64)


# -- 6. the total norm refuses what linalg.vector_norm refuses -------------------------------
@pytest.mark.parametrize("norm_type", [-1.0, -0.5, -math.inf, math.inf])
def test_get_total_norm_of_an_empty_tensor_without_identity(backend, norm_type):
    def run(lib, utils):
        return utils.get_total_norm([lib.ones(3, dtype=lib.float64), lib.zeros(0)], norm_type)

    with pytest.raises(RuntimeError, match="cannot compute"):
        run(torch, torch.nn.utils)
    with pytest.raises(RuntimeError, match=r"get_total_norm: the .* norm needs non-empty"):
        run(xpnet, nn_utils)
    grad = np.zeros((0, 2))
    ours, theirs = nn.Parameter(xpnet.asarray(grad)), torch.nn.Parameter(torch.from_numpy(grad))
    ours.grad, theirs.grad = xpnet.asarray(grad), torch.from_numpy(grad)
    with pytest.raises(RuntimeError):
        torch.nn.utils.clip_grad_norm_([theirs], 1.0, norm_type)
    with pytest.raises(RuntimeError, match=r"tensors\[0\] of shape \(0, 2\)"):
        nn_utils.clip_grad_norm_([ours], 1.0, norm_type)


@pytest.mark.parametrize("norm_type", [0.0, -0.0, 2.0])
def test_get_total_norm_of_an_empty_tensor_with_identity(backend, norm_type):
    expected = torch.nn.utils.get_total_norm([torch.zeros(0, dtype=torch.float64)], norm_type)
    total = nn_utils.get_total_norm([xpnet.zeros(0, dtype=xpnet.float64)], norm_type)
    assert_close(_host(total), _host(expected), F64)


@pytest.mark.parametrize("dtype", ["int64", "int32", "bool"])
def test_get_total_norm_refuses_integer_tensors(backend, dtype):
    with pytest.raises(RuntimeError, match="Expected a floating point or complex tensor"):
        torch.nn.utils.get_total_norm([torch.ones(2), torch.ones(2, dtype=getattr(torch, dtype))])
    tensors = [xpnet.ones(2), xpnet.ones(2, dtype=getattr(xpnet, dtype))]
    with pytest.raises(RuntimeError, match=f"tensors\\[1\\] must be a floating point .*{dtype}"):
        nn_utils.get_total_norm(tensors)
    with pytest.raises(TypeError):  # xpnet's convention for a wrong dtype, too
        nn_utils.get_total_norm(tensors)


# -- 7. kaiming's mode in any case -----------------------------------------------------------
@pytest.mark.parametrize("name", ["kaiming_uniform_", "kaiming_normal_"])
@pytest.mark.parametrize("mode", ["FAN_OUT", "Fan_In"])
def test_kaiming_mode_in_any_case(backend, name, mode):
    def fill(lib, given):
        lib.manual_seed(0)
        return _host(getattr(lib.nn.init, name)(lib.empty(30, 7, dtype=lib.float64), mode=given))

    np.testing.assert_array_equal(fill(torch, mode), fill(torch, mode.lower()))
    np.testing.assert_array_equal(fill(xpnet, mode), fill(xpnet, mode.lower()))
    other = "fan_in" if mode.lower() == "fan_out" else "fan_out"  # fans 7 and 30 differ
    assert not np.array_equal(fill(xpnet, mode), fill(xpnet, other))
    with pytest.raises(ValueError, match="mode must be 'fan_in' or 'fan_out', got 'FAN_AVG'"):
        getattr(init, name)(xpnet.empty(3, 3), mode="FAN_AVG")


# -- 8. the random initialisers refuse integer tensors ---------------------------------------
RANDOM_INITS = {
    "uniform_": (),
    "normal_": (),
    "xavier_uniform_": (),
    "xavier_normal_": (),
    "kaiming_uniform_": (),
    "kaiming_normal_": (),
    "trunc_normal_": (),
    "orthogonal_": (),
    "sparse_": (0.5,),
}


@pytest.mark.parametrize("name", list(RANDOM_INITS))
@pytest.mark.parametrize("dtype", ["int64", "int32", "bool"])
def test_random_initialisers_refuse_integer_tensors(backend, name, dtype):
    args = RANDOM_INITS[name]
    with pytest.raises(NotImplementedError, match="not implemented for"):
        getattr(torch.nn.init, name)(torch.zeros(4, 3, dtype=getattr(torch, dtype)), *args)
    ours = xpnet.zeros(4, 3, dtype=getattr(xpnet, dtype))
    with pytest.raises(NotImplementedError, match=f"nn.init.{name}: tensor .* {dtype}") as caught:
        getattr(init, name)(ours, *args)
    assert isinstance(caught.value, TypeError)  # UnsupportedDtypeError: both
    assert not _host(ours).any()  # left as it was


@pytest.mark.parametrize("name", list(RANDOM_INITS))
def test_random_initialisers_on_an_empty_integer_tensor_as_torch(backend, name):
    """PyTorch's uniform draws refuse even an empty integer tensor, its normal ones do not,
    and kaiming returns before drawing."""
    args = RANDOM_INITS[name]

    def run(lib, module):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # "zero-element tensors is a no-op"
            getattr(module, name)(lib.zeros(0, 3, dtype=lib.int64), *args)

    try:
        run(torch, torch.nn.init)
    except NotImplementedError:
        with pytest.raises(NotImplementedError, match=f"nn.init.{name}"):
            run(xpnet, init)
    else:
        run(xpnet, init)


@pytest.mark.parametrize("dtype", ["int64", "bool"])
def test_deterministic_initialisers_fill_integer_tensors_as_torch(backend, dtype):
    cases = [
        ("constant_", (4, 3), (1,)),
        ("zeros_", (4, 3), ()),
        ("ones_", (4, 3), ()),
        ("eye_", (4, 3), ()),
        ("dirac_", (4, 3, 3), ()),
    ]
    for name, shape, args in cases:
        theirs = getattr(torch.nn.init, name)(
            torch.zeros(shape, dtype=getattr(torch, dtype)), *args
        )
        ours = getattr(init, name)(xpnet.zeros(shape, dtype=getattr(xpnet, dtype)), *args)
        np.testing.assert_array_equal(_host(ours), _host(theirs), err_msg=name)
        assert _host(ours).dtype == np.dtype(dtype)


# -- 9. the names PyTorch has ----------------------------------------------------------------
def test_every_name_of_torch_nn_utils_is_there():
    missing = [name for name in torch.nn.utils.__all__ if not hasattr(nn_utils, name)]
    assert missing == []
    assert set(torch.nn.utils.__all__) <= set(nn_utils.__all__)
    assert hasattr(parametrize, "transfer_parametrizations_and_params")
    assert "transfer_parametrizations_and_params" in parametrize.__all__


def _grads_pair(xp):
    grads = [random_input((3, 4), seed=3) * 4, random_input((5,), seed=4)]
    ours, theirs = [], []
    for grad in grads:
        ours.append(nn.Parameter(xp.zeros(grad.shape)))
        ours[-1].grad = xp.asarray(grad)
        theirs.append(torch.nn.Parameter(torch.zeros(grad.shape, dtype=torch.float64)))
        theirs[-1].grad = torch.from_numpy(grad.copy())
    return ours, theirs


def test_clip_grad_norm_warns_and_clips_as_torch(backend):
    ours, theirs = _grads_pair(backend.xp)
    with pytest.warns(FutureWarning) as expected:
        total_theirs = torch.nn.utils.clip_grad_norm(theirs, 1.0, norm_type=3.0)
    with pytest.warns(FutureWarning) as caught:
        total = nn_utils.clip_grad_norm(ours, 1.0, norm_type=3.0)
    assert str(caught[0].message) == str(expected[0].message)
    assert caught[0].filename == __file__  # the warning points at the caller
    assert_close(_host(total), _host(total_theirs), F64)
    for param, torch_param in zip(ours, theirs, strict=True):
        assert_close(_host(param.grad), _host(torch_param.grad), F64)


def test_stateless_functional_call_warns_and_calls(backend):
    stateless = importlib.import_module("xpnet.nn.utils.stateless")
    assert nn_utils.stateless is stateless
    ours, theirs = _linears()
    weight, bias, x = random_input((3, 4), seed=5), random_input((3,), seed=6), random_input((2, 4))
    with pytest.warns(FutureWarning) as expected:
        out_theirs = torch.nn.utils.stateless.functional_call(
            theirs, {"weight": torch.from_numpy(weight), "bias": torch.from_numpy(bias)},
            (torch.from_numpy(x),),
        )  # fmt: skip
    tensors = {"weight": xpnet.asarray(weight), "bias": xpnet.asarray(bias)}
    with pytest.warns(FutureWarning) as caught:
        out = stateless.functional_call(ours, tensors, (xpnet.Tensor(xpnet.asarray(x)),))
    assert str(caught[0].message) == str(expected[0].message)
    assert_close(_host(out), _host(out_theirs), F64)
    assert_close(_host(ours.weight), _host(theirs.weight), F64)  # the module unchanged
    with pytest.warns(FutureWarning), pytest.raises(AttributeError):
        torch.nn.utils.stateless.functional_call(theirs, [{}], (torch.from_numpy(x),))
    with pytest.warns(FutureWarning), pytest.raises(TypeError, match="must be a dict, got list"):
        stateless.functional_call(ours, [tensors], (xpnet.asarray(x),))


def _conv_models(lib):
    nn_ = lib.nn
    return nn_.Sequential(
        nn_.Conv2d(2, 3, 3),
        nn_.ConvTranspose2d(3, 2, 2),
        nn_.Conv1d(2, 3, 2),
        nn_.Conv3d(2, 2, 2),
        nn_.ConvTranspose3d(2, 2, 2),
        nn_.Sequential(nn_.Linear(4, 2), nn_.Conv2d(1, 2, 2)),
    ).double()


def _strides(model) -> list:
    return [tuple(param.stride()) for param in model.parameters()]


@pytest.mark.parametrize("which", ["2d", "3d"])
def test_convert_conv_weight_memory_format_as_torch(backend, which):
    theirs = _conv_models(torch)
    ours = _conv_models(xpnet)
    ours.load_state_dict(_numpy_state(theirs))
    before = list(ours.parameters())
    name = f"convert_conv{which}_weight_memory_format"
    target = xpnet.channels_last if which == "2d" else xpnet.channels_last_3d
    torch_target = torch.channels_last if which == "2d" else torch.channels_last_3d
    for fmt, torch_fmt in [(target, torch_target), (None, None)]:
        assert getattr(torch.nn.utils, name)(theirs, torch_fmt) is theirs
        assert getattr(nn_utils, name)(ours, fmt) is ours
        assert _strides(ours) == _strides(theirs)
    assert _strides(ours) != [tuple(p.contiguous().stride()) for p in ours.parameters()]
    getattr(torch.nn.utils, name)(theirs, torch.contiguous_format)
    getattr(nn_utils, name)(ours, xpnet.contiguous_format)
    assert _strides(ours) == _strides(theirs)
    assert all(a is b for a, b in zip(ours.parameters(), before, strict=True))
    _assert_state_equal(ours, theirs)


@pytest.mark.parametrize("which", ["2d", "3d"])
def test_convert_conv_weight_memory_format_refusals_as_torch(backend, which):
    name = f"convert_conv{which}_weight_memory_format"
    wrong = xpnet.channels_last_3d if which == "2d" else xpnet.channels_last
    torch_wrong = torch.channels_last_3d if which == "2d" else torch.channels_last
    cases = [
        (wrong, torch_wrong, RuntimeError, "required rank"),
        (xpnet.preserve_format, torch.preserve_format, RuntimeError, "preserve_format"),
        ("x", "x", TypeError, "must be xpnet.memory_format, not str"),
    ]
    for fmt, torch_fmt, error, message in cases:
        with pytest.raises(error):
            getattr(torch.nn.utils, name)(_conv_models(torch), torch_fmt)
        with pytest.raises(error, match=message):
            getattr(nn_utils, name)(_conv_models(xpnet), fmt)
        # no convolution of that rank: nothing checked, as PyTorch
        getattr(torch.nn.utils, name)(torch.nn.Linear(2, 2), torch_fmt)
        getattr(nn_utils, name)(nn.Linear(2, 2), fmt)


def _double(lib):
    class Double(lib.nn.Module):
        def forward(self, X):
            return 2 * X

        def right_inverse(self, X):
            return X / 2

    return Double()


@pytest.mark.parametrize("tensor_name", [None, "weight"])
def test_transfer_parametrizations_and_params_as_torch(backend, tensor_name):
    transfer = parametrize.transfer_parametrizations_and_params
    ours, theirs = _linears(3, 3)
    for name in ("weight", "bias"):
        torch.nn.utils.parametrize.register_parametrization(theirs, name, _double(torch))
        parametrize.register_parametrization(ours, name, _double(xpnet))
    linear = nn.Linear(3, 3).double()
    torch_linear = torch.nn.Linear(3, 3).double()
    linear.load_state_dict(_numpy_state(torch_linear))
    for ours_to, theirs_to in [(linear, torch_linear), (nn.Module(), torch.nn.Module())]:
        assert (
            torch.nn.utils.parametrize.transfer_parametrizations_and_params(
                theirs, theirs_to, tensor_name
            )
            is theirs_to
        )
        assert transfer(ours, ours_to, tensor_name) is ours_to
        _assert_state_equal(ours_to, theirs_to)
        source, target = ours.parametrizations.weight, ours_to.parametrizations.weight
        assert target.original is source.original and target[0] is source[0]
        assert_close(_host(ours_to.weight), _host(theirs_to.weight), F64)


def test_transfer_parametrizations_and_params_of_several_originals(backend):
    ours, theirs = _linears()
    torch.nn.utils.parametrizations.weight_norm(theirs)
    parametrizations.weight_norm(ours)
    theirs_to, ours_to = torch.nn.Module(), nn.Module()
    torch.nn.utils.parametrize.transfer_parametrizations_and_params(theirs, theirs_to)
    parametrize.transfer_parametrizations_and_params(ours, ours_to)
    _assert_state_equal(ours_to, theirs_to)
    source, target = ours.parametrizations.weight, ours_to.parametrizations.weight
    assert target.original0 is source.original0 and target.original1 is source.original1
    plain = nn.Linear(2, 2)
    assert parametrize.transfer_parametrizations_and_params(plain, ours_to) is ours_to
    with pytest.raises(AttributeError):
        torch.nn.utils.parametrize.transfer_parametrizations_and_params(theirs, theirs_to, "foo")
    with pytest.raises(AttributeError, match="foo"):
        parametrize.transfer_parametrizations_and_params(ours, ours_to, "foo")


# -- 10. orthogonal on empty batches ---------------------------------------------------------
@pytest.mark.parametrize("shape", [(2, 0, 0), (0, 3, 3), (0, 2, 3)])
def test_orthogonal_registers_empty_weights(backend, shape):
    theirs = torch.nn.Module()
    theirs.weight = torch.nn.Parameter(torch.zeros(shape, dtype=torch.float64))
    ours = nn.Module()
    ours.weight = nn.Parameter(xpnet.zeros(shape, dtype=xpnet.float64))
    torch.nn.utils.parametrizations.orthogonal(theirs)
    parametrizations.orthogonal(ours)
    _assert_state_equal(ours, theirs)
    assert tuple(ours.weight.shape) == tuple(theirs.weight.shape)


def test_orthogonal_keeps_a_weight_orthogonal_within_torchs_tolerance(backend):
    """PyTorch's ``_is_orthogonal`` is ``allclose`` (rtol 1e-5 too): a weight that near
    orthogonal is kept as the base, not orthogonalised again."""
    ours, theirs = _linears(3, 3)
    weight = np.eye(3) * (1 + 2e-6)
    with torch.no_grad():
        theirs.weight.copy_(torch.from_numpy(weight))
    ours.load_state_dict(_numpy_state(theirs))
    torch.nn.utils.parametrizations.orthogonal(theirs)
    parametrizations.orthogonal(ours)
    _assert_state_equal(ours, theirs)
    assert_close(_host(ours.parametrizations.weight[0].base), weight, F64)
