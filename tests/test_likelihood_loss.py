"""poisson_nll_loss and gaussian_nll_loss: PyTorch float64 oracle (forward and every input
gradient), every reduction and option, Stirling's mask, var's shapes and clamp, NaN and inf,
generated configurations (hypothesis), finite differences, errors, modules."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from _oracle import assert_close, check_against_torch, check_finite_differences, random_input
from _strategies import PROFILE
from _strategies_nd import SPECIALS, specials, with_specials
from hypothesis import given
from hypothesis import strategies as st

import xpnet
import xpnet.kernels as K
import xpnet.nn.functional as F
from xpnet import nn

REDUCTIONS = ["none", "mean", "sum"]
POISSON_OPTIONS = [
    {},
    {"full": True},
    {"log_input": False},
    {"log_input": False, "full": True, "eps": 0.25},
]


def _counts(shape, seed):
    """Targets around Stirling's mask: 0, 0.5, exactly 1, 1.5 and counts up to 6."""
    values = np.array([0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 6.0])
    return np.random.default_rng(seed).choice(values, size=shape)


def _poisson(backend, x, t, dtype=np.float64, grad_output=None, **kwargs):
    return check_against_torch(
        lambda a, b: K.poisson_nll_loss(a, b, **kwargs),
        lambda g, a, b: K.poisson_nll_loss_backward(g, a, b, **kwargs),
        lambda a, b: TF.poisson_nll_loss(a, b, **kwargs),
        [x, t],
        backend,
        dtype=dtype,
        grad_output=grad_output,
    )


def _gaussian(backend, x, t, var, dtype=np.float64, grad_output=None, **kwargs):
    """With an array ``var`` all three gradients; with a float, input's and target's."""
    if isinstance(var, float):
        return check_against_torch(
            lambda a, b: K.gaussian_nll_loss(a, b, var, **kwargs),
            lambda g, a, b: K.gaussian_nll_loss_backward(g, a, b, var, **kwargs)[:2],
            lambda a, b: TF.gaussian_nll_loss(a, b, var, **kwargs),
            [x, t],
            backend,
            dtype=dtype,
            grad_output=grad_output,
        )
    return check_against_torch(
        lambda a, b, v: K.gaussian_nll_loss(a, b, v, **kwargs),
        lambda g, a, b, v: K.gaussian_nll_loss_backward(g, a, b, v, **kwargs),
        lambda a, b, v: TF.gaussian_nll_loss(a, b, v, **kwargs),
        [x, t, var],
        backend,
        dtype=dtype,
        grad_output=grad_output,
    )


# -- poisson_nll_loss ---------------------------------------------------------------------------


@pytest.mark.parametrize("kwargs", POISSON_OPTIONS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_poisson_nll_loss_matches_torch(backend, kwargs, dtype):
    low = -2.0 if kwargs.get("log_input", True) else 0.05
    x, t = random_input((3, 2, 4), 0, low=low, high=2.0), _counts((3, 2, 4), 1)
    for reduction in REDUCTIONS:
        _poisson(backend, x, t, dtype, reduction=reduction, **kwargs)


@pytest.mark.parametrize("kwargs", POISSON_OPTIONS)
def test_poisson_nll_loss_shapes(backend, kwargs):
    """0-d and empty inputs ('mean' of nothing is NaN, as PyTorch)."""
    for shape in [(), (0,), (2, 0, 3), (1,)]:
        x, t = random_input(shape, 2, low=0.1, high=2.0), _counts(shape, 3)
        for reduction in REDUCTIONS:
            _poisson(backend, x, t, reduction=reduction, **kwargs)


@pytest.mark.parametrize("kwargs", POISSON_OPTIONS)
def test_poisson_nll_loss_nan_inf_and_stirling_mask_like_torch(backend, kwargs):
    """Stirling's term only where t > 1; its gradient is PyTorch's 0 * d/dt (NaN at t <= 0,
    at t = inf and NaN), and the rate's log at 0 and below."""
    t = np.array([0.0, -0.0, 0.5, 1.0, 1.0 + 1e-12, 2.0, -1.0, np.nan, np.inf, 3.0, 0.0, 2.0])
    x = np.array([0.3, 1.0, 2.0, -1.0, 0.5, 0.0, 1.0, 1.0, 1.0, np.nan, -np.inf, np.inf])
    _poisson(backend, x, t, grad_output=np.linspace(0.5, 2.0, 12), reduction="none", **kwargs)
    _poisson(backend, x[:6], t[:6], reduction="sum", **kwargs)


def test_poisson_nll_loss_float16_computes_in_float32(backend):
    x, t = random_input((4, 5), 4).astype(np.float16), _counts((4, 5), 5).astype(np.float16)
    output = K.poisson_nll_loss(backend.asarray(x), backend.asarray(t), full=True)
    assert output.dtype == np.float16
    expected = TF.poisson_nll_loss(torch.tensor(x).double(), torch.tensor(t).double(), full=True)
    assert_close(backend.to_host(output), expected.numpy(), np.float16)
    grads = K.poisson_nll_loss_backward(
        backend.asarray(np.ones((), np.float16)), backend.asarray(x), backend.asarray(t)
    )
    assert [g.dtype for g in grads] == [np.float16, np.float16]


def test_poisson_nll_loss_finite_differences(backend):
    x, t = random_input((2, 3), 6, low=0.2, high=2.0), random_input((2, 3), 7, low=1.5, high=4)
    for kwargs in POISSON_OPTIONS:
        check_finite_differences(
            lambda a, b, kw=kwargs: K.poisson_nll_loss(a, b, reduction="sum", **kw),
            lambda g, a, b, kw=kwargs: K.poisson_nll_loss_backward(g, a, b, reduction="sum", **kw),
            [x, t],
            backend,
        )


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"reduction": "batchmean"}, ValueError, "reduction must be one of"),
        ({"size_average": True}, ValueError, "size_average and reduce are deprecated"),
        ({"reduce": False}, ValueError, "size_average and reduce are deprecated"),
        ({"log_input": 1}, TypeError, "log_input must be a bool, got int 1"),
        ({"full": None}, TypeError, "full must be a bool, got NoneType"),
        ({"eps": "1e-8"}, TypeError, "eps must be a number"),
    ],
)
def test_poisson_nll_loss_rejects_bad_options(backend, kwargs, error, message):
    x = backend.asarray(np.ones((2, 3)))
    with pytest.raises(error, match=rf"^poisson_nll_loss: {message}"):
        K.poisson_nll_loss(x, x, **kwargs)
    with pytest.raises(error, match=rf"^poisson_nll_loss_backward: {message}"):
        K.poisson_nll_loss_backward(backend.asarray(np.ones(())), x, x, **kwargs)


def test_poisson_nll_loss_rejects_bad_arrays(backend):
    x = backend.asarray(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"target must have the shape of input \(2, 3\)"):
        K.poisson_nll_loss(x, backend.asarray(np.ones((3,))))
    with pytest.raises(TypeError, match="target must have the dtype of input"):
        K.poisson_nll_loss(x, backend.asarray(np.ones((2, 3), np.float32)))
    with pytest.raises(TypeError, match="input must be a floating-point array"):
        K.poisson_nll_loss(backend.asarray(np.ones((2, 3), np.int64)), x)
    with pytest.raises(ValueError, match=r"grad_output must have shape \(2, 3\)"):
        K.poisson_nll_loss_backward(backend.asarray(np.ones(())), x, x, reduction="none")


# -- gaussian_nll_loss --------------------------------------------------------------------------

# (input shape, target shape, var shape or "float"): PyTorch's accepted combinations
GAUSSIAN_SHAPES = [
    ((3, 4), (3, 4), (3, 4)),  # heteroscedastic
    ((3, 4), (3, 4), (3,)),  # the last dimension dropped: unsqueezed
    ((3, 4), (3, 4), (3, 1)),  # one dimension 1
    ((2, 3, 4), (2, 3, 4), (2, 1, 4)),
    ((2, 3, 4), (2, 1, 4), (2, 3)),  # target broadcast too
    ((4,), (4,), ()),  # 1-D input, 0-d var
    ((), (), ()),
    ((3, 0), (3, 0), (3, 1)),
    ((3, 4), (3, 4), "float"),
]


def _variances(shape, seed):
    """Positive variances with some below eps (clamped: their gradient is taken at eps)."""
    var = random_input(shape, seed, low=0.05, high=2.0)
    flat = var.reshape(-1)
    flat[: min(2, flat.size)] = [0.0, 1e-9][: min(2, flat.size)]
    return var


@pytest.mark.parametrize("shapes", GAUSSIAN_SHAPES)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_gaussian_nll_loss_matches_torch(backend, shapes, dtype):
    input_shape, target_shape, var_shape = shapes
    x, t = random_input(input_shape, 0, low=-2, high=2), random_input(target_shape, 1, low=-2)
    var = 0.7 if var_shape == "float" else _variances(var_shape, 2)
    for reduction in REDUCTIONS:
        for full in (False, True):
            _gaussian(backend, x, t, var, dtype, reduction=reduction, full=full)


@pytest.mark.parametrize("eps", [1e-6, 0.5, 0.0])
def test_gaussian_nll_loss_clamps_var_at_eps_as_torch(backend, eps):
    """Entries below eps are used as eps, and their gradient still reaches var."""
    x, t = random_input((2, 5), 3), random_input((2, 5), 4)
    var = np.array([[0.0, 1e-8, 0.3, 0.5, 2.0], [1e-7, 0.7, 0.0, 3.0, 0.49]])
    if eps == 0.0:
        var[var == 0.0] = 1e-3  # 0 would give log(0): -inf, covered below
    _gaussian(backend, x, t, var, eps=eps, reduction="sum")
    _gaussian(backend, x, t, 0.0, eps=eps if eps else 1e-6, reduction="none")


def test_gaussian_nll_loss_nan_and_inf_like_torch(backend):
    x = np.array([np.nan, 1.0, np.inf, 0.0, 2.0, -np.inf, 1.0, 0.0])
    t = np.array([0.0, np.nan, np.inf, 0.0, 1.0, 1.0, 0.0, 0.0])
    var = np.array([1.0, 1.0, 1.0, np.inf, np.nan, 1.0, 0.0, np.inf])
    _gaussian(backend, x, t, var, grad_output=np.linspace(1, 2, 8), reduction="none")
    _gaussian(backend, x, t, var, eps=0.0, reduction="mean")  # log(0) = -inf: d^2 / 0
    _gaussian(backend, x, t, float("nan"), reduction="none")


def test_gaussian_nll_loss_float16_computes_in_float32(backend):
    x, t = random_input((3, 4), 5).astype(np.float16), random_input((3, 4), 6).astype(np.float16)
    var = random_input((3, 1), 7, low=0.05, high=2.0).astype(np.float16)
    arrays = [backend.asarray(a) for a in (x, t, var)]
    output = K.gaussian_nll_loss(*arrays, reduction="none")
    assert output.dtype == np.float16
    expected = TF.gaussian_nll_loss(
        *(torch.tensor(a).double() for a in (x, t, var)), reduction="none"
    )
    assert_close(backend.to_host(output), expected.numpy(), np.float16)
    grads = K.gaussian_nll_loss_backward(backend.asarray(np.ones((), np.float16)), *arrays)
    assert [g.dtype for g in grads] == [np.float16] * 3
    assert grads[2].shape == (3, 1)


def test_gaussian_nll_loss_finite_differences(backend):
    x, t, var = random_input((2, 3), 8), random_input((2, 3), 9), _variances((2, 1), 10) + 0.3
    check_finite_differences(
        lambda a, b, v: K.gaussian_nll_loss(a, b, v, reduction="sum", full=True),
        lambda g, a, b, v: K.gaussian_nll_loss_backward(g, a, b, v, reduction="sum", full=True),
        [x, t, var],
        backend,
    )


@pytest.mark.parametrize(
    "shapes",
    [
        ((2, 3), (2, 3), (3,)),
        ((2, 3), (2, 3), ()),
        ((2, 3), (2, 3), (1, 1)),
        ((2, 3), (2, 3), (2, 3, 1)),
        ((2, 1), (2, 1), (2, 2)),
        ((2, 3), (2, 3), (0, 1)),  # passes PyTorch's size test, then cannot broadcast
    ],
)
def test_gaussian_nll_loss_rejects_var_of_incorrect_size(backend, shapes):
    input_shape, target_shape, var_shape = shapes
    x, t = backend.asarray(np.ones(input_shape)), backend.asarray(np.ones(target_shape))
    var = backend.asarray(np.ones(var_shape))
    with pytest.raises(ValueError, match=r"^gaussian_nll_loss: var is of incorrect size"):
        K.gaussian_nll_loss(x, t, var)
    with pytest.raises(ValueError, match=r"^gaussian_nll_loss_backward: var is of incorrect"):
        K.gaussian_nll_loss_backward(backend.asarray(np.ones(())), x, t, var)
    with pytest.raises((ValueError, RuntimeError)):  # PyTorch refuses each too
        TF.gaussian_nll_loss(
            torch.ones(input_shape), torch.ones(target_shape), torch.ones(var_shape)
        )


def test_gaussian_nll_loss_rejects_negative_var(backend):
    x = backend.asarray(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"^gaussian_nll_loss: var has negative entry"):
        K.gaussian_nll_loss(x, x, -1.0)
    var = backend.asarray(np.array([[1.0], [-0.5]]))
    # an array's values: at once on NumPy, at the next host read elsewhere (no sync)
    with pytest.raises(ValueError, match=r"^gaussian_nll_loss: var has negative entry"):
        backend.to_host(K.gaussian_nll_loss(x, x, var))
    with pytest.raises(ValueError, match="var has negative entry"):
        TF.gaussian_nll_loss(torch.ones(2, 3), torch.ones(2, 3), torch.tensor([[1.0], [-0.5]]))
    # -0.0 and NaN are not negative, as PyTorch's var < 0
    output = K.gaussian_nll_loss(x, x, backend.asarray(np.array([[-0.0], [np.nan]])))
    assert np.isnan(backend.to_host(output))


@pytest.mark.parametrize(
    "change, error, message",
    [
        ({"reduction": "batchmean"}, ValueError, "reduction must be one of"),
        ({"var": 1}, TypeError, "var must be an array or a float, got int 1"),
        ({"var": None}, TypeError, "var must be an array, got None"),
        ({"full": "yes"}, TypeError, "full must be a bool, got str"),
        ({"eps": None}, TypeError, "eps must be a number"),
        ({"target": np.ones((3, 3))}, ValueError, r"target must have the input's shape \(2, 3\)"),
        ({"var": np.ones((2, 3), np.float32)}, TypeError, "var must have the dtype of input"),
        ({"target": np.ones((2, 3), np.int64)}, TypeError, "target must be a floating-point"),
    ],
)
def test_gaussian_nll_loss_rejects_bad_arguments(backend, change, error, message):
    arguments = {"input": np.ones((2, 3)), "target": np.ones((2, 3)), "var": np.ones((2, 3))}
    arguments.update(change)
    arguments = {
        key: backend.asarray(value) if isinstance(value, np.ndarray) else value
        for key, value in arguments.items()
    }
    with pytest.raises(error, match=rf"^gaussian_nll_loss: {message}"):
        K.gaussian_nll_loss(**arguments)
    with pytest.raises(error, match=rf"^gaussian_nll_loss_backward: {message}"):
        K.gaussian_nll_loss_backward(backend.asarray(np.ones(())), **arguments)


def test_gaussian_nll_loss_accepts_an_int_full_as_torch(backend):
    x = np.ones((2, 3))
    assert_close(
        backend.to_host(K.gaussian_nll_loss(backend.asarray(x), backend.asarray(x), 1.0, full=1)),
        TF.gaussian_nll_loss(torch.tensor(x), torch.tensor(x), 1.0, full=1).numpy(),
        np.float64,
    )


# -- generated configurations (hypothesis) ------------------------------------------------------


@st.composite
def poisson_cases(draw):
    return {
        "shape": tuple(draw(st.lists(st.integers(0, 3), max_size=3))),
        "kwargs": {
            "reduction": draw(st.sampled_from(REDUCTIONS)),
            "log_input": draw(st.booleans()),
            "full": draw(st.booleans()),
            "eps": draw(st.sampled_from([1e-8, 0.1])),
        },
        "specials": (draw(specials()), draw(specials((*SPECIALS, 0.0, 1.0, 0.5)))),
        "seed": draw(st.integers(0, 2**16)),
    }


@st.composite
def gaussian_cases(draw):
    """Input shapes of 1-3 axes; var of each shape PyTorch accepts, or a float; targets of
    the input's shape or with one axis 1; var below eps, 0, inf and NaN among the specials."""
    shape = tuple(draw(st.lists(st.integers(0, 3), min_size=1, max_size=3)))
    kind = draw(st.sampled_from(["same", "last", "one", "float"]))
    axis = draw(st.integers(0, len(shape) - 1))
    one = tuple(1 if i == axis else n for i, n in enumerate(shape))
    var = {"same": shape, "last": shape[:-1], "one": one, "float": None}[kind]
    return {
        "shape": shape,
        "target": one if draw(st.booleans()) else shape,
        "var": var,
        "float": draw(st.sampled_from([0.0, 1e-9, 0.5, 3.0])),
        "kwargs": {
            "reduction": draw(st.sampled_from(REDUCTIONS)),
            "full": draw(st.booleans()),
            "eps": draw(st.sampled_from([1e-6, 0.1])),
        },
        "specials": (
            draw(specials()),
            draw(specials()),
            draw(specials((0.0, 1e-9, np.inf, np.nan))),
        ),
        "seed": draw(st.integers(0, 2**16)),
    }


@PROFILE
@given(case=poisson_cases())
def test_poisson_nll_loss_matches_torch_on_generated_configurations(backend, case):
    shape, seed, placed = case["shape"], case["seed"], case["specials"]
    x = with_specials(random_input(shape, seed, low=-2.0, high=2.0), placed[0])
    t = with_specials(_counts(shape, seed + 1), placed[1])
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        _poisson(backend, x, t, **case["kwargs"])


@PROFILE
@given(case=gaussian_cases())
def test_gaussian_nll_loss_matches_torch_on_generated_configurations(backend, case):
    seed, placed = case["seed"], case["specials"]
    x = with_specials(random_input(case["shape"], seed, low=-2.0, high=2.0), placed[0])
    t = with_specials(random_input(case["target"], seed + 1, low=-2.0, high=2.0), placed[1])
    if case["var"] is None:
        var = case["float"]
    else:
        var = with_specials(random_input(case["var"], seed + 2, low=0.0, high=2.0), placed[2])
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        _gaussian(backend, x, t, var, **case["kwargs"])


# -- autograd and modules -----------------------------------------------------------------------


def test_gaussian_nll_loss_autograd_gives_var_its_gradient(backend):
    x, t, var = random_input((3, 4), 11), random_input((3, 4), 12), _variances((3,), 13)
    tensors = [xpnet.Tensor(backend.asarray(a), requires_grad=True) for a in (x, t, var)]
    F.gaussian_nll_loss(*tensors, full=True).backward()
    references = [torch.tensor(a, requires_grad=True) for a in (x, t, var)]
    TF.gaussian_nll_loss(*references, full=True).backward()
    for ours, theirs in zip(tensors, references, strict=True):
        assert_close(backend.to_host(ours.grad.array), theirs.grad.numpy(), np.float64, "grad")
    # a float var: input and target only
    x_tensor = xpnet.Tensor(backend.asarray(x), requires_grad=True)
    F.gaussian_nll_loss(x_tensor, backend.asarray(t), 0.5).backward()
    x_reference = torch.tensor(x, requires_grad=True)
    TF.gaussian_nll_loss(x_reference, torch.tensor(t), 0.5).backward()
    assert_close(backend.to_host(x_tensor.grad.array), x_reference.grad.numpy(), np.float64, "grad")


@pytest.mark.parametrize(
    "cls, kwargs",
    [
        ("PoissonNLLLoss", {}),
        ("PoissonNLLLoss", {"log_input": False, "full": True, "eps": 0.1, "reduction": "sum"}),
        ("GaussianNLLLoss", {}),
        ("GaussianNLLLoss", {"full": True, "eps": 0.01, "reduction": "none"}),
    ],
)
def test_likelihood_loss_modules_match_torch(backend, cls, kwargs):
    module, reference = getattr(nn, cls)(**kwargs), getattr(torch.nn, cls)(**kwargs)
    assert repr(module) == repr(reference)
    assert list(module.state_dict()) == list(reference.state_dict()) == []
    for key in ("reduction", "full", "eps", "log_input"):
        assert getattr(module, key, None) == getattr(reference, key, None)
    x, t = random_input((3, 4), 14, low=0.1, high=2.0), _counts((3, 4), 15)
    extra = (_variances((3, 1), 16),) if cls == "GaussianNLLLoss" else ()
    input = xpnet.Tensor(backend.asarray(x), requires_grad=True)
    loss = module(input, backend.asarray(t), *(backend.asarray(a) for a in extra))
    expected_input = torch.tensor(x, requires_grad=True)
    expected = reference(expected_input, torch.tensor(t), *(torch.tensor(a) for a in extra))
    assert_close(backend.to_host(loss.array), expected.detach().numpy(), np.float64)
    loss.backward(backend.asarray(np.ones(loss.shape)))
    expected.backward(torch.ones(expected.shape, dtype=torch.float64))
    assert_close(backend.to_host(input.grad.array), expected_input.grad.numpy(), np.float64, "grad")


def test_likelihood_loss_module_defaults_and_errors():
    assert nn.PoissonNLLLoss().eps == torch.nn.PoissonNLLLoss().eps == 1e-8
    assert nn.GaussianNLLLoss().eps == torch.nn.GaussianNLLLoss().eps == 1e-6
    with pytest.raises(ValueError, match="PoissonNLLLoss: size_average and reduce are deprec"):
        nn.PoissonNLLLoss(reduce=False)
    with pytest.raises(TypeError):  # keyword-only, as PyTorch's
        nn.GaussianNLLLoss(True)


def test_gaussian_nll_loss_nan_var_over_an_empty_batch_as_torch(backend):
    """Regression (hypothesis): an empty input with a NaN 0-d var. PyTorch sums the log
    term's gradient to var's shape first (0 over no elements), then divides by var: NaN."""
    x, t, var = np.zeros(0), np.zeros(0), np.array(np.nan)
    with np.errstate(invalid="ignore"):
        _gaussian(backend, x, t, var, reduction="none")
