"""``xpnet.nn.utils`` against ``torch.nn.utils`` on the same parameters and gradients.

Gradient clipping (total norms, clipped gradients, return values, non-finite gradients,
errors), clipping between ``backward()`` and an optimizer step (the optimizers' flat buffers),
the GradScaler recipe (``unscale_``, clip, ``step``), parameters as a vector and back, and
``rnn.pad_sequence`` with its gradients. Every body runs on numpy and strict.
"""

from __future__ import annotations

import inspect
import math
import warnings

import numpy as np
import pytest
import torch
from _oracle import assert_close, random_input

import xpnet
import xpnet.nn as nn
from xpnet.backends import host_sync_forbidden
from xpnet.nn.utils import (
    clip_grad_norm_,
    clip_grad_value_,
    clip_grads_with_norm_,
    get_total_norm,
    parameters_to_vector,
    vector_to_parameters,
)
from xpnet.nn.utils.rnn import pad_sequence

SHAPES = [(3, 4), (5,), (2, 1, 3)]
NORM_TYPES = [2.0, 1.0, math.inf, 0.5, 0.0, -math.inf, 3.0, "inf"]


def _pairs(xp, grads, dtypes=None):
    """xpnet and torch parameters with the gradients ``grads`` (NumPy arrays or ``None``)."""
    ours, theirs = [], []
    for index, grad in enumerate(grads):
        dtype = (dtypes or [np.float64] * len(grads))[index]
        shape = SHAPES[index % len(SHAPES)] if grad is None else grad.shape
        param = nn.Parameter(xp.zeros(shape, dtype=dtype))
        torch_param = torch.zeros(shape, dtype=getattr(torch, np.dtype(dtype).name))
        torch_param.requires_grad_(True)
        if grad is not None:
            param.grad = xp.asarray(grad.astype(dtype))
            torch_param.grad = torch.from_numpy(grad.astype(dtype))
        ours.append(param)
        theirs.append(torch_param)
    return ours, theirs


def _grads(seed=0, scale=1.0):
    return [random_input(shape, seed=seed + i) * scale for i, shape in enumerate(SHAPES)]


def _assert_grads(ours, theirs, dtype=np.float64):
    for param, torch_param in zip(ours, theirs, strict=True):
        if torch_param.grad is None:
            assert param.grad is None
            continue
        assert param.grad.dtype == torch_param.grad.numpy().dtype
        assert_close(xpnet.to_numpy(param.grad), torch_param.grad.numpy(), dtype, "grad")


def _assert_norm(total, torch_total, backend, dtype=np.float64):
    assert isinstance(total, xpnet.Tensor) and not total.requires_grad
    assert total.shape == () and type(total.array) is backend.ndarray
    assert total.dtype == torch_total.numpy().dtype
    assert_close(xpnet.to_numpy(total.array), torch_total.numpy(), dtype, "total norm")


# -- clip_grad_norm_ ------------------------------------------------------------------------------
@pytest.mark.parametrize("norm_type", NORM_TYPES)
@pytest.mark.parametrize("max_norm", [0.5, 1e3])
def test_clip_grad_norm_matches_torch(backend, norm_type, max_norm):
    grads = _grads(seed=3, scale=2.0)
    grads.insert(1, None)  # a parameter without a gradient is skipped
    ours, theirs = _pairs(backend.xp, grads)
    total = clip_grad_norm_(ours, max_norm, norm_type)
    torch_total = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type)
    _assert_norm(total, torch_total, backend)
    _assert_grads(ours, theirs)


@pytest.mark.parametrize("norm_type", [2.0, 1.0, math.inf, 0.5])
def test_get_total_norm_and_clip_grads_with_norm_match_torch(backend, norm_type):
    grads = _grads(seed=7)
    ours, theirs = _pairs(backend.xp, grads)
    # get_total_norm takes the gradients themselves: arrays, or Tensors
    total = get_total_norm([p.grad for p in ours], norm_type)
    torch_total = torch.nn.utils.get_total_norm([p.grad for p in theirs], norm_type)
    _assert_norm(total, torch_total, backend)
    as_tensors = get_total_norm([xpnet.Tensor(p.grad) for p in ours], norm_type)
    _assert_norm(as_tensors, torch_total, backend)
    assert clip_grads_with_norm_(ours, 0.25, total) is None
    torch.nn.utils.clip_grads_with_norm_(theirs, 0.25, torch_total)
    _assert_grads(ours, theirs)
    # a given total norm (not the gradients'), as an array: the same factor as torch's
    clip_grads_with_norm_(ours, 1.0, backend.xp.asarray(0.5))
    torch.nn.utils.clip_grads_with_norm_(theirs, 1.0, torch.tensor(0.5, dtype=torch.float64))
    _assert_grads(ours, theirs)


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.float16])
def test_clip_grads_with_norm_is_bit_for_bit_torch(backend, dtype):
    """Given the same total norm, the same bits: torch's ``max_norm / (norm + 1e-6)`` is
    ``reciprocal() * max_norm`` rounded to the norm's dtype at each step, and the factor
    multiplies in float32 for float16 gradients."""
    grads = _grads(seed=12, scale=3.0)
    ours, theirs = _pairs(backend.xp, grads, [dtype, np.float16, np.float32])
    for norm in random_input((40,), seed=13, low=0.05, high=60.0).astype(dtype):
        for max_norm in (0.7, 0.3):
            clip_grads_with_norm_(ours, max_norm, backend.xp.asarray(norm))
            torch.nn.utils.clip_grads_with_norm_(theirs, max_norm, torch.tensor(norm))
            _assert_same_grads(ours, theirs)


def test_clip_grad_norm_single_tensor_and_foreach(backend):
    (grad,) = _grads(seed=1)[:1]
    for foreach in (None, True, False):
        (ours,), (theirs,) = _pairs(backend.xp, [grad])
        total = clip_grad_norm_(ours, 0.1, foreach=foreach)
        torch_total = torch.nn.utils.clip_grad_norm_(theirs, 0.1, foreach=foreach)
        _assert_norm(total, torch_total, backend)
        _assert_grads([ours], [theirs])
    before = xpnet.to_numpy(total.array)  # the norm after clipping: max_norm, nearly
    after = xpnet.to_numpy(get_total_norm(ours.grad).array)
    assert_close(after, 0.1 * before / (before + 1e-6), np.float64)


def test_clip_grad_norm_of_nothing_is_a_float32_zero(backend):
    ours, theirs = _pairs(backend.xp, [None, None])
    for params in (ours, [], iter(ours)):
        total = clip_grad_norm_(params, 1.0)
        _assert_norm(total, torch.nn.utils.clip_grad_norm_(theirs, 1.0), backend, np.float32)
    assert all(param.grad is None for param in ours)
    _assert_norm(get_total_norm([]), torch.nn.utils.get_total_norm([]), backend, np.float32)
    assert clip_grads_with_norm_(ours, 1.0, get_total_norm([])) is None


def test_clip_grad_norm_warns_on_an_empty_generator(backend):
    with pytest.warns(UserWarning, match="`parameters` is an empty generator"):
        clip_grad_norm_((p for p in []), 1.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        clip_grad_norm_([], 1.0)  # a list: no warning, as torch


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
@pytest.mark.parametrize("norm_type", [2.0, 1.0, math.inf])
def test_clip_grad_norm_non_finite_matches_torch(backend, bad, norm_type):
    grads = _grads(seed=2)
    grads[1][2] = bad
    ours, theirs = _pairs(backend.xp, grads)
    total = clip_grad_norm_(ours, 1.0, norm_type)  # NaN/inf * 0 gives NaN: no warning
    torch_total = torch.nn.utils.clip_grad_norm_(theirs, 1.0, norm_type)
    _assert_norm(total, torch_total, backend)
    _assert_grads(ours, theirs)


def test_clip_grad_norm_error_if_nonfinite(backend):
    grads = _grads(seed=2)
    grads[0][0, 0] = math.inf
    ours, _ = _pairs(backend.xp, grads)
    before = [xpnet.to_numpy(p.grad) for p in ours]
    with pytest.raises(RuntimeError, match="total norm of order 2.0 .* is non-finite"):
        clip_grad_norm_(ours, 1.0, error_if_nonfinite=True)
    with pytest.raises(RuntimeError, match="error_if_nonfinite=False"):
        get_total_norm([p.grad for p in ours], 1.0, error_if_nonfinite=True)
    for param, grad in zip(ours, before, strict=True):  # refused before any change
        np.testing.assert_array_equal(xpnet.to_numpy(param.grad), grad)
    finite, _ = _pairs(backend.xp, _grads(seed=4))
    clip_grad_norm_(finite, 1.0, error_if_nonfinite=True)  # a finite norm passes


def test_clip_grad_norm_overflows_to_inf_as_torch(backend):
    grads = [np.array([1e30, 2.0]), np.array([3.0])]
    dtypes = [np.float32, np.float32]
    ours, theirs = _pairs(backend.xp, grads, dtypes)
    total = clip_grad_norm_(ours, 1.0)  # the squares overflow float32: inf, no warning
    _assert_norm(total, torch.nn.utils.clip_grad_norm_(theirs, 1.0), backend, np.float32)
    _assert_grads(ours, theirs, np.float32)


@pytest.mark.parametrize("norm_type", [2.0, math.inf, 1.0])
def test_clip_grad_norm_mixed_dtypes_match_torch(backend, norm_type):
    grads = _grads(seed=5, scale=3.0)
    dtypes = [np.float16, np.float32, np.float64]
    ours, theirs = _pairs(backend.xp, grads, dtypes)
    total = clip_grad_norm_(ours, 0.5, norm_type)
    torch_total = torch.nn.utils.clip_grad_norm_(theirs, 0.5, norm_type)
    _assert_norm(total, torch_total, backend)  # float64: the promoted dtype
    for param, torch_param, dtype in zip(ours, theirs, dtypes, strict=True):
        assert param.grad.dtype == dtype
        assert_close(xpnet.to_numpy(param.grad), torch_param.grad.numpy(), dtype, "grad")
    halves, torch_halves = _pairs(backend.xp, grads[:2], [np.float16, np.float16])
    total = clip_grad_norm_(halves, 0.5, norm_type)
    torch_total = torch.nn.utils.clip_grad_norm_(torch_halves, 0.5, norm_type)
    _assert_norm(total, torch_total, backend, np.float16)
    # float16 sums in float32 and rounds once, as torch: the same bits
    np.testing.assert_array_equal(xpnet.to_numpy(total.array), torch_total.numpy())
    _assert_same_grads(halves, torch_halves)


def test_clip_grad_norm_reads_nothing_on_the_host(backend, monkeypatch):
    reads = []
    real_to_host = backend.to_host
    monkeypatch.setattr(backend, "to_host", lambda x: reads.append(x.shape) or real_to_host(x))
    ours, _ = _pairs(backend.xp, _grads(seed=6))
    with host_sync_forbidden():  # strict raises on an implicit sync
        clip_grad_norm_(ours, 0.5)
        clip_grad_norm_(ours, 0.5, math.inf)
        clip_grad_value_(ours, 0.1)
    assert reads == []
    clip_grad_norm_(ours, 0.5, error_if_nonfinite=True)
    assert reads == [()]  # the check reads the 0-d norm, once, as torch's


def test_clip_grad_norm_errors(backend):
    ours, _ = _pairs(backend.xp, _grads(seed=1))
    with pytest.raises(ValueError, match="could not convert"):
        clip_grad_norm_(ours, "a")
    with pytest.raises(ValueError, match="could not convert"):
        clip_grad_norm_(ours, 1.0, "two")
    with pytest.raises(TypeError, match="float"):
        clip_grad_norm_(ours, 1.0, None)
    empty, _ = _pairs(backend.xp, [np.zeros((0, 3)), np.ones(2)])
    for norm_type in (math.inf, -math.inf):
        with pytest.raises(RuntimeError, match="needs non-empty tensors"):
            clip_grad_norm_(empty, 1.0, norm_type)
    with pytest.raises(TypeError, match=r"get_total_norm: .*tensors\[1\]"):
        get_total_norm([backend.xp.ones(2), "x"])


def test_clip_grad_norm_of_an_empty_gradient_matches_torch(backend):
    grads = [np.zeros((0, 3)), np.array([1.0, -2.0])]
    for norm_type in (2.0, 1.0, 0.0, 0.5):
        ours, theirs = _pairs(backend.xp, grads)
        total = clip_grad_norm_(ours, 1.0, norm_type)
        torch_total = torch.nn.utils.clip_grad_norm_(theirs, 1.0, norm_type)
        _assert_norm(total, torch_total, backend)
        _assert_grads(ours, theirs)


# -- clip_grad_value_ -----------------------------------------------------------------------------
@pytest.mark.parametrize("clip_value", [0.3, 1, -0.5])
@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.float16])
def test_clip_grad_value_matches_torch(backend, clip_value, dtype):
    grads = _grads(seed=8)
    grads[0][1, 1] = math.nan
    grads[1][0] = -math.inf
    grads.insert(0, None)
    ours, theirs = _pairs(backend.xp, grads, [dtype] * len(grads))
    assert clip_grad_value_(ours, clip_value) is None
    torch.nn.utils.clip_grad_value_(theirs, clip_value)
    _assert_same_grads(ours, theirs)
    (one,), (torch_one,) = _pairs(backend.xp, [grads[1]], [dtype])
    clip_grad_value_(one, clip_value, foreach=True)  # one Tensor
    torch.nn.utils.clip_grad_value_(torch_one, clip_value, foreach=True)
    _assert_same_grads([one], [torch_one])


def _assert_same_grads(ours, theirs):
    """Bit for bit (NaN where torch's is): clamping only picks values."""
    for param, torch_param in zip(ours, theirs, strict=True):
        if torch_param.grad is None:
            assert param.grad is None
            continue
        expected = torch_param.grad.numpy()
        assert param.grad.dtype == expected.dtype
        np.testing.assert_array_equal(xpnet.to_numpy(param.grad), expected)


def test_clip_grad_value_errors(backend):
    ours, _ = _pairs(backend.xp, _grads(seed=1))
    with pytest.raises(ValueError, match="could not convert"):
        clip_grad_value_(ours, "big")


# -- clipping inside a training step --------------------------------------------------------------
def _models(xp):
    """A two-layer float64 model in xpnet and in torch with the same weights, and a batch."""
    torch.manual_seed(0)
    theirs = torch.nn.Sequential(torch.nn.Linear(4, 5), torch.nn.Tanh(), torch.nn.Linear(5, 2))
    theirs = theirs.double()
    ours = nn.Sequential(nn.Linear(4, 5), nn.Tanh(), nn.Linear(5, 2))
    for param, torch_param in zip(ours.parameters(), theirs.parameters(), strict=True):
        param.array = xp.asarray(torch_param.detach().numpy().copy())
    x = random_input((6, 4), seed=11) * 3.0
    return ours, theirs, x


@pytest.mark.parametrize(
    "optimizer, kwargs",
    [("SGD", {"lr": 0.1}), ("SGD", {"lr": 0.1, "momentum": 0.9}), ("Adam", {"lr": 0.01})],
)
@pytest.mark.parametrize("clip", ["norm", "value"])
def test_clipping_before_a_step_matches_torch(backend, optimizer, kwargs, clip):
    """The optimizers gather parameters into flat buffers at their first step and read
    ``.grad`` afresh at each: clipping in place between backward and step must count at the
    first step and at the later ones."""
    ours, theirs, x = _models(backend.xp)
    opt = getattr(xpnet.optim, optimizer)(ours.parameters(), **kwargs)
    torch_opt = getattr(torch.optim, optimizer)(theirs.parameters(), **kwargs)
    for step in range(3):
        opt.zero_grad()
        torch_opt.zero_grad()
        (ours(xpnet.asarray(x)) ** 2).sum().backward()
        (theirs(torch.from_numpy(x)) ** 2).sum().backward()
        if clip == "norm":
            total = clip_grad_norm_(ours.parameters(), 0.5)
            torch_total = torch.nn.utils.clip_grad_norm_(theirs.parameters(), 0.5)
            _assert_norm(total, torch_total, backend)
            assert xpnet.to_numpy(total.array) > 0.5  # the clipping does something
        else:
            clip_grad_value_(ours.parameters(), 0.05)
            torch.nn.utils.clip_grad_value_(theirs.parameters(), 0.05)
        opt.step()
        torch_opt.step()
        for param, torch_param in zip(ours.parameters(), theirs.parameters(), strict=True):
            what = f"{optimizer} parameter after step {step}"
            assert_close(xpnet.to_numpy(param.array), torch_param.detach().numpy(), "f8", what)


def test_grad_scaler_unscale_clip_step_matches_torch(backend):
    """PyTorch's recipe: ``scaler.unscale_(opt)``, clip, ``scaler.step(opt)``, in float32;
    a step with an inf gradient is skipped by both (clipping made its gradients NaN)."""
    values = np.array([0.5, -1.0, 2.0, 3.0], dtype=np.float32)
    w = nn.Parameter(backend.xp.asarray(values))
    torch_w = torch.tensor(values, requires_grad=True)
    scaler, torch_scaler = xpnet.GradScaler(init_scale=2.0**8), torch.amp.GradScaler("cpu", 2.0**8)
    opt = xpnet.optim.SGD([w], lr=0.1, momentum=0.9)
    torch_opt = torch.optim.SGD([torch_w], lr=0.1, momentum=0.9)
    for step in range(4):
        opt.zero_grad()
        torch_opt.zero_grad()
        scaler.scale((w * w * w).sum()).backward()
        torch_scaler.scale((torch_w * torch_w * torch_w).sum()).backward()
        if step == 2:
            w.grad[1] = np.inf
            torch_w.grad[1] = np.inf
        scaler.unscale_(opt)
        torch_scaler.unscale_(torch_opt)
        total = clip_grad_norm_([w], 1.0)
        torch_total = torch.nn.utils.clip_grad_norm_([torch_w], 1.0)
        _assert_norm(total, torch_total, backend, np.float32)
        scaler.step(opt)
        torch_scaler.step(torch_opt)
        scaler.update()
        torch_scaler.update()
        assert scaler.get_scale() == torch_scaler.get_scale()
        assert_close(xpnet.to_numpy(w.array), torch_w.detach().numpy(), np.float32, "weights")


# -- parameters_to_vector, vector_to_parameters ---------------------------------------------------
def test_parameters_to_vector_matches_torch_and_is_differentiable(backend):
    ours, theirs, _ = _models(backend.xp)
    vec = parameters_to_vector(ours.parameters())
    torch_vec = torch.nn.utils.parameters_to_vector(theirs.parameters())
    assert vec.shape == tuple(torch_vec.shape) and vec.requires_grad
    assert_close(xpnet.to_numpy(vec.array), torch_vec.detach().numpy(), np.float64, "vector")
    weights = random_input(vec.shape, seed=3)
    (vec * xpnet.asarray(weights)).sum().backward()
    (torch_vec * torch.from_numpy(weights)).sum().backward()
    _assert_grads(list(ours.parameters()), list(theirs.parameters()))


def test_vector_to_parameters_matches_torch_and_the_optimizer_follows(backend):
    ours, theirs, x = _models(backend.xp)
    opt = xpnet.optim.SGD(ours.parameters(), lr=0.1, momentum=0.9)
    torch_opt = torch.optim.SGD(theirs.parameters(), lr=0.1, momentum=0.9)
    count = parameters_to_vector(ours.parameters()).shape[0]
    for step in range(2):  # once before the optimizer's flat buffers exist, once after
        values = random_input((count + 2,), seed=20 + step)  # extra elements stay unused
        vector_to_parameters(xpnet.Tensor(backend.xp.asarray(values)), ours.parameters())
        torch.nn.utils.vector_to_parameters(torch.from_numpy(values), theirs.parameters())
        for param, torch_param in zip(ours.parameters(), theirs.parameters(), strict=True):
            assert param.array.shape == tuple(torch_param.shape)
            assert_close(xpnet.to_numpy(param.array), torch_param.detach().numpy(), "f8")
        opt.zero_grad()
        torch_opt.zero_grad()
        (ours(xpnet.asarray(x)) ** 2).sum().backward()
        (theirs(torch.from_numpy(x)) ** 2).sum().backward()
        opt.step()
        torch_opt.step()
        for param, torch_param in zip(ours.parameters(), theirs.parameters(), strict=True):
            assert_close(xpnet.to_numpy(param.array), torch_param.detach().numpy(), "f8")


def test_vector_to_parameters_errors(backend):
    layer = nn.Linear(3, 2)
    with pytest.raises(TypeError, match="vec must be a Tensor, got ndarray"):
        vector_to_parameters(np.zeros(8), layer.parameters())
    with pytest.raises(RuntimeError, match="vec has 7 elements, too few for parameters"):
        vector_to_parameters(xpnet.zeros(7), layer.parameters())


# -- rnn.pad_sequence -----------------------------------------------------------------------------
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("padding_side", ["right", "left"])
@pytest.mark.parametrize("trailing", [(), (3,), (2, 1)])
def test_pad_sequence_matches_torch_with_gradients(backend, batch_first, padding_side, trailing):
    arrays = [random_input((length, *trailing), seed=length) for length in (2, 5, 0, 3)]
    ours = [xpnet.Tensor(backend.xp.asarray(a), requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    options = {"batch_first": batch_first, "padding_value": -2.5, "padding_side": padding_side}
    padded = pad_sequence(ours, **options)
    torch_padded = torch.nn.utils.rnn.pad_sequence(theirs, **options)
    assert padded.shape == tuple(torch_padded.shape) and padded.requires_grad
    assert_close(xpnet.to_numpy(padded.array), torch_padded.detach().numpy(), "f8", "padded")
    weights = random_input(padded.shape, seed=9)
    (padded * xpnet.asarray(weights)).sum().backward()
    (torch_padded * torch.from_numpy(weights)).sum().backward()
    _assert_grads(ours, theirs)


def test_pad_sequence_arrays_dtypes_and_a_tensor(backend):
    xp = backend.xp
    arrays = [xp.asarray([1, 2]), xp.asarray([3])]
    padded = pad_sequence(arrays, padding_value=7.5)  # arrays in: an array out
    expected = torch.nn.utils.rnn.pad_sequence(
        [torch.tensor([1, 2]), torch.tensor([3])], False, 7.5
    )
    assert type(padded) is backend.ndarray
    np.testing.assert_array_equal(xpnet.to_numpy(padded), expected.numpy())
    mixed = pad_sequence((xpnet.ones(2), xpnet.Tensor(xp.ones(4))))  # the first one's dtype
    assert mixed.dtype == np.float32 and mixed.shape == (4, 2)
    as_rows = pad_sequence(xpnet.Tensor(xp.ones((2, 3))))  # a Tensor: its rows
    assert as_rows.shape == (3, 2)


def test_pad_sequence_errors(backend):
    a, b = xpnet.ones(2, 3), xpnet.ones(4, 4)
    with pytest.raises(RuntimeError, match="received an empty list of sequences"):
        pad_sequence([])
    with pytest.raises(RuntimeError, match="Expected iterable"):
        pad_sequence(3)
    with pytest.raises(RuntimeError, match=r"trailing dimensions must match, got \(2, 3\)"):
        pad_sequence([a, b])
    with pytest.raises(RuntimeError, match="padding_side must be 'left' or 'right', got 'up'"):
        pad_sequence([a], padding_side="up")
    with pytest.raises(RuntimeError, match=r"sequences\[1\] is 0-d"):
        pad_sequence([xpnet.ones(1), xpnet.tensor(2.0)])


def test_nn_utils_is_reachable_as_in_torch():
    assert nn.utils.clip_grad_norm_ is clip_grad_norm_
    assert xpnet.nn.utils.rnn.pad_sequence is pad_sequence
    assert set(nn.utils.__all__) <= set(torch.nn.utils.__all__)


@pytest.mark.parametrize(
    "name",
    [
        "clip_grad_norm_",
        "clip_grad_value_",
        "clip_grads_with_norm_",
        "get_total_norm",
        "parameters_to_vector",
        "vector_to_parameters",
        "rnn.pad_sequence",
    ],
)
def test_signatures_match_torch(name):
    def parameters(module, path):
        function = module
        for part in path.split("."):
            function = getattr(function, part)
        signature = inspect.signature(function)
        return [(p.name, p.default, p.kind) for p in signature.parameters.values()]

    assert parameters(nn.utils, name) == parameters(torch.nn.utils, name)
