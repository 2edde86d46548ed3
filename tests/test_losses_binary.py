"""binary_cross_entropy, binary_cross_entropy_with_logits and kl_div: PyTorch float64 oracle
(forward and both gradients), weights, pos_weight, log_target, every reduction, the log clamp,
huge logits, NaN, finite differences, errors and modules."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from _oracle import assert_close, check_against_torch, check_finite_differences, random_input

import xpnet
import xpnet.kernels as K
from xpnet import nn

REDUCTIONS = ["none", "mean", "sum"]


def _probabilities(shape, seed):
    return random_input(shape, seed, low=0.02, high=0.98)


def _torch_kl_div(*args, **kwargs):
    with warnings.catch_warnings():  # PyTorch warns that 'mean' is not the KL divergence
        warnings.simplefilter("ignore")
        return TF.kl_div(*args, **kwargs)


def _check(backend, name, arrays, dtype=np.float64, torch_name=None, constants=None, **kwargs):
    """Oracle check of ``name`` over the input and target; ``constants``: weight arrays that
    get no gradient (PyTorch has none for them either)."""
    constants = constants or {}
    device = {k: backend.asarray(v.astype(dtype)) for k, v in constants.items()}
    host = {k: torch.tensor(v.astype(dtype).astype(np.float64)) for k, v in constants.items()}
    reference = _torch_kl_div if name == "kl_div" else getattr(TF, torch_name or name)
    return check_against_torch(
        lambda a, b: getattr(K, name)(a, b, **kwargs, **device),
        lambda g, a, b: getattr(K, f"{name}_backward")(g, a, b, **kwargs, **device),
        lambda a, b: reference(a, b, **kwargs, **host),
        arrays,
        backend,
        dtype=dtype,
    )


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("weight_shape", [None, (4,), (3, 1), (2, 3, 4)])
def test_binary_cross_entropy_matches_torch(backend, dtype, weight_shape):
    x, t = _probabilities((2, 3, 4), 0), _probabilities((2, 3, 4), 1)
    t.reshape(-1)[:3] = [0.0, 1.0, 0.5]  # hard and soft targets
    constants = (
        {} if weight_shape is None else {"weight": random_input(weight_shape, 2, low=0.1, high=2)}
    )
    for reduction in REDUCTIONS:
        _check(
            backend, "binary_cross_entropy", [x, t], dtype, constants=constants, reduction=reduction
        )


def test_binary_cross_entropy_clamps_logs_at_minus_100(backend):
    """x = 0 or 1: PyTorch clamps each log at -100; its gradients are those of the 1e-12
    floor (input) and inf (target), matched exactly."""
    x = np.array([0.0, 1.0, 0.0, 1.0, 0.5])
    t = np.array([1.0, 0.0, 0.0, 1.0, 0.5])
    output, _ = _check(backend, "binary_cross_entropy", [x, t], reduction="none")
    assert output[0] == output[1] == 100.0 and output[2] == output[3] == 0.0


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize(
    "weight_shape, pos_weight_shape", [(None, None), ((4,), None), (None, (4,)), ((3, 1), (4,))]
)
def test_binary_cross_entropy_with_logits_matches_torch(
    backend, dtype, weight_shape, pos_weight_shape
):
    x, t = random_input((2, 3, 4), 0, low=-6, high=6), _probabilities((2, 3, 4), 1)
    constants = {}
    if weight_shape:
        constants["weight"] = random_input(weight_shape, 2, low=0.1, high=2)
    if pos_weight_shape:
        constants["pos_weight"] = random_input(pos_weight_shape, 3, low=0.1, high=3)
    for reduction in REDUCTIONS:
        _check(
            backend,
            "binary_cross_entropy_with_logits",
            [x, t],
            dtype,
            constants=constants,
            reduction=reduction,
        )


@pytest.mark.parametrize("pos_weight", [None, 3.0, 0.5])  # 0.5: the target's grad at -inf
def test_binary_cross_entropy_with_logits_is_stable_for_huge_logits(backend, pos_weight):
    x = np.array([1000.0, -1000.0, 1000.0, -1000.0, 80.0, -80.0, np.inf, -np.inf])
    t = np.array([1.0, 1.0, 0.0, 0.0, 0.3, 0.7, 1.0, 0.0])
    constants = {} if pos_weight is None else {"pos_weight": np.full(8, pos_weight)}
    output, grads = _check(
        backend,
        "binary_cross_entropy_with_logits",
        [x[:6], t[:6]],
        constants={k: v[:6] for k, v in constants.items()},
        reduction="none",
    )
    assert np.isfinite(output).all() and np.isfinite(grads[0]).all()
    scale = 1.0 if pos_weight is None else pos_weight
    np.testing.assert_allclose(output[:4], [0.0, 1000.0 * scale, 1000.0, 0.0])
    # infinite logits: the same IEEE results as PyTorch's formula
    _check(
        backend,
        "binary_cross_entropy_with_logits",
        [x[6:], t[6:]],
        constants={k: v[6:] for k, v in constants.items()},
        reduction="none",
    )


@pytest.mark.parametrize("log_target", [False, True])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_kl_div_matches_torch(backend, log_target, dtype):
    x = np.log(_probabilities((3, 5), 0))
    t = np.log(_probabilities((3, 5), 1)) if log_target else _probabilities((3, 5), 1)
    if not log_target:
        t[0, :2] = 0.0  # xlogy(0, 0) = 0 in the loss; PyTorch's target gradient is NaN there
    for reduction in [*REDUCTIONS, "batchmean"]:
        _check(backend, "kl_div", [x, t], dtype, reduction=reduction, log_target=log_target)


@pytest.mark.parametrize("shape", [(), (0, 3), (1,)])
def test_kl_div_batchmean_shapes(backend, shape):
    """'batchmean' divides by input.shape[0] (1 for a 0-d input; NaN for an empty batch)."""
    x, t = random_input(shape, 0, low=-2, high=0), _probabilities(shape, 1)
    _check(backend, "kl_div", [x, t], reduction="batchmean")


def test_binary_losses_nan_like_torch(backend):
    x = np.array([np.nan, 0.5, 2.0])
    t = np.array([0.5, np.nan, 0.0])
    _check(backend, "binary_cross_entropy_with_logits", [x, t], reduction="none")
    _check(backend, "kl_div", [x, t], reduction="none")
    _check(backend, "kl_div", [x, t], reduction="none", log_target=True)


def test_kl_div_log_target_overflow_like_torch(backend):
    """Where exp(t) overflows, the target's gradient is PyTorch's: NaN at t - x = -inf or 0."""
    x, t = np.array([np.inf, 710.0, 0.5]), np.array([1000.0, 710.0, 0.2])
    _check(backend, "kl_div", [x, t], reduction="sum", log_target=True)


@pytest.mark.parametrize("name", ["binary_cross_entropy", "binary_cross_entropy_with_logits"])
def test_binary_losses_float16_compute_in_float32(backend, name):
    x, t = (
        _probabilities((4, 3), 0).astype(np.float16),
        _probabilities((4, 3), 1).astype(np.float16),
    )
    output = getattr(K, name)(backend.asarray(x), backend.asarray(t), reduction="none")
    assert output.dtype == np.float16
    expected = getattr(TF, name)(
        torch.tensor(x, dtype=torch.float64), torch.tensor(t, dtype=torch.float64), reduction="none"
    )
    assert_close(backend.to_host(output), expected.numpy(), np.float16)


@pytest.mark.parametrize(
    "name, arrays",
    [
        ("binary_cross_entropy", [_probabilities((2, 3), 0), _probabilities((2, 3), 1)]),
        ("binary_cross_entropy_with_logits", [random_input((2, 3), 0), _probabilities((2, 3), 1)]),
        ("kl_div", [random_input((2, 3), 0), _probabilities((2, 3), 1)]),
    ],
)
def test_binary_losses_finite_differences(backend, name, arrays):
    check_finite_differences(
        lambda a, b: getattr(K, name)(a, b, reduction="sum"),
        lambda g, a, b: getattr(K, f"{name}_backward")(g, a, b, reduction="sum"),
        arrays,
        backend,
        eps=1e-7,
    )


@pytest.mark.parametrize("bad", [1.5, -0.1, np.nan])
@pytest.mark.parametrize("which", ["input", "target"])
def test_binary_cross_entropy_rejects_values_outside_0_1(backend, bad, which):
    good = backend.asarray(np.full(3, 0.5))
    wrong = backend.asarray(np.array([0.5, bad, 0.2]))
    arrays = (wrong, good) if which == "input" else (good, wrong)
    message = f"all elements of {which} should be between 0 and 1"
    with pytest.raises(ValueError, match=message):
        K.binary_cross_entropy(*arrays)
    with pytest.raises(ValueError, match=message):
        K.binary_cross_entropy_backward(backend.asarray(np.ones(())), *arrays)


@pytest.mark.parametrize(
    "name, kwargs, error, message",
    [
        ("binary_cross_entropy", {"reduction": "batchmean"}, ValueError, "reduction must be"),
        ("binary_cross_entropy", {"size_average": False}, ValueError, "deprecated"),
        (
            "binary_cross_entropy",
            {"weight": np.ones(4)},
            ValueError,
            r"weight must broadcast to the input's shape \(2, 3\), got \(4,\)",
        ),
        (
            "binary_cross_entropy",
            {"weight": np.ones((1, 2, 3))},
            ValueError,
            "weight must broadcast",
        ),
        (
            "binary_cross_entropy_with_logits",
            {"pos_weight": np.ones(2)},
            ValueError,
            "pos_weight must broadcast",
        ),
        (
            "binary_cross_entropy_with_logits",
            {"weight": np.ones(3, np.float32)},
            TypeError,
            "weight must have the dtype of input",
        ),
        ("kl_div", {"reduction": "avg"}, ValueError, "'batchmean', got 'avg'"),
        ("kl_div", {"log_target": 1}, TypeError, "log_target must be a bool"),
        ("kl_div", {"reduce": True}, ValueError, "deprecated"),
    ],
)
def test_binary_losses_reject_bad_options(backend, name, kwargs, error, message):
    x = backend.asarray(np.full((2, 3), 0.5))
    kwargs = {k: backend.asarray(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}
    with pytest.raises(error, match=message):
        getattr(K, name)(x, x, **kwargs)
    with pytest.raises(error, match=message):
        getattr(K, f"{name}_backward")(backend.asarray(np.ones(())), x, x, **kwargs)


@pytest.mark.parametrize(
    "name", ["binary_cross_entropy", "binary_cross_entropy_with_logits", "kl_div"]
)
def test_binary_losses_reject_bad_arrays(backend, name):
    x = backend.asarray(np.full((2, 3), 0.5))
    with pytest.raises(ValueError, match=rf"{name}: target must have the shape of input"):
        getattr(K, name)(x, backend.asarray(np.full((3,), 0.5)))
    with pytest.raises(TypeError, match="target must have the dtype of input"):
        getattr(K, name)(x, backend.asarray(np.full((2, 3), 0.5, np.float32)))
    with pytest.raises(ValueError, match=r"grad_output must have shape \(2, 3\)"):
        getattr(K, f"{name}_backward")(backend.asarray(np.ones(())), x, x, reduction="none")


# -- modules ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "cls, kwargs, arrays",
    [
        ("BCELoss", {}, "probabilities"),
        ("BCELoss", {"weight": np.array([1.0, 2.0, 0.5]), "reduction": "sum"}, "probabilities"),
        ("BCEWithLogitsLoss", {"pos_weight": np.array([3.0, 1.0, 0.5])}, "logits"),
        ("BCEWithLogitsLoss", {"weight": np.ones(3), "pos_weight": np.ones(3)}, "logits"),
        ("KLDivLoss", {"reduction": "batchmean"}, "log"),
        ("KLDivLoss", {"log_target": True, "reduction": "none"}, "log"),
    ],
)
def test_binary_loss_modules_match_torch(backend, cls, kwargs, arrays):
    tensors = {k: backend.asarray(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}
    module = getattr(nn, cls)(**tensors)
    reference = getattr(torch.nn, cls)(
        **{k: torch.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}
    )
    assert repr(module) == repr(reference)
    assert list(module.state_dict()) == list(reference.state_dict())
    x = _probabilities((4, 3), 0)
    t = _probabilities((4, 3), 1)
    if arrays == "logits":
        x = random_input((4, 3), 0, low=-4, high=4)
    elif arrays == "log":
        x = np.log(x)
        t = np.log(t) if kwargs.get("log_target") else t
    input = xpnet.Tensor(backend.asarray(x), requires_grad=True)
    loss = module(input, backend.asarray(t))
    expected_input = torch.tensor(x, requires_grad=True)
    expected = reference(expected_input, torch.tensor(t))
    assert_close(backend.to_host(loss.array), expected.detach().numpy(), np.float64)
    loss.backward(backend.asarray(np.ones(loss.shape)))
    expected.backward(torch.ones(expected.shape, dtype=torch.float64))
    assert_close(backend.to_host(input.grad.array), expected_input.grad.numpy(), np.float64, "grad")


def test_binary_loss_module_defaults():
    assert nn.BCELoss().reduction == torch.nn.BCELoss().reduction == "mean"
    assert nn.KLDivLoss().log_target is torch.nn.KLDivLoss().log_target is False
    assert nn.BCEWithLogitsLoss().pos_weight is None
    with pytest.raises(ValueError, match="KLDivLoss: size_average and reduce are deprecated"):
        nn.KLDivLoss(reduce=True)
