"""rms_norm: PyTorch float64 oracle forward and both gradients, PyTorch's default eps per
dtype, float32 and float16, the float64 mean square (no overflow or underflow), NaN/inf,
empty inputs, errors, generated configurations, and the RMSNorm module."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from _oracle import assert_close, check_against_torch, random_input
from _strategies import PROFILE, check_rejected, common_mistakes, seeds, sizes
from hypothesis import given
from hypothesis import strategies as st
from test_nn import check_module

import xpnet
import xpnet.kernels as K
import xpnet.nn.functional as F
from xpnet import nn

FLOAT32_EPS = float(torch.finfo(torch.float32).eps)


def _check(backend, x, normalized_shape, weight=None, eps=None, dtype=np.float64, torch_eps=None):
    """Forward and the input (and weight) gradients against torch; ``torch_eps`` is what
    torch gets (torch runs in float64, whose default eps is float64's)."""
    torch_eps = eps if torch_eps is None else torch_eps
    if weight is None:
        return check_against_torch(
            lambda a: K.rms_norm(a, normalized_shape, eps=eps),
            lambda g, a: K.rms_norm_backward(g, a, normalized_shape, eps=eps)[:1],
            lambda a: TF.rms_norm(a, list(np.atleast_1d(normalized_shape)), eps=torch_eps),
            [x],
            backend,
            dtype=dtype,
        )
    return check_against_torch(
        lambda a, w: K.rms_norm(a, normalized_shape, w, eps),
        lambda g, a, w: K.rms_norm_backward(g, a, normalized_shape, w, eps),
        lambda a, w: TF.rms_norm(a, list(np.atleast_1d(normalized_shape)), w, torch_eps),
        [x, weight],
        backend,
        dtype=dtype,
    )


@pytest.mark.parametrize(
    "shape, normalized_shape",
    [((4, 5), 5), ((2, 3, 4), (4,)), ((2, 3, 4), (3, 4)), ((3, 2, 2, 3), [2, 2, 3]), ((7,), 7)],
)
@pytest.mark.parametrize("affine", [False, True])
@pytest.mark.parametrize("eps", [None, 1e-5, 0.5])
def test_rms_norm_matches_torch(backend, shape, normalized_shape, affine, eps):
    x = random_input(shape, seed=1, low=-2.0, high=3.0)
    trailing = tuple(np.atleast_1d(normalized_shape))
    weight = random_input(trailing, seed=2, low=0.5, high=1.5) if affine else None
    _check(backend, x, normalized_shape, weight, eps)


@pytest.mark.parametrize("dtype", [np.float32, np.float16])
@pytest.mark.parametrize("eps", [None, 1e-3])
def test_rms_norm_matches_torch_in_float32_and_float16(backend, dtype, eps):
    x = random_input((3, 4, 6), seed=3)
    weight = random_input((6,), seed=4, low=0.5, high=1.5)
    torch_eps = FLOAT32_EPS if eps is None else eps  # float16 and float32: float32's eps
    _check(backend, x, 6, weight, eps, dtype, torch_eps)


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_rms_norm_default_eps_is_torchs_per_dtype(backend, dtype):
    """Values near sqrt(eps): the default eps changes the result by several percent, and must be
    float32's machine epsilon for float16 and float32 inputs, float64's for float64."""
    x = np.array([[1e-4, 2e-4, -3e-4], [3e-4, 1e-4, 2e-4]])
    expected = TF.rms_norm(torch.tensor(x.astype(dtype)), [3]).double().numpy()
    ours = backend.to_host(K.rms_norm(backend.asarray(x.astype(dtype)), 3))
    assert ours.dtype == dtype
    assert_close(ours, expected, dtype)
    eps = FLOAT32_EPS if dtype != np.float64 else float(np.finfo(np.float64).eps)
    _check(backend, x, 3, eps=None, dtype=dtype, torch_eps=eps)


def test_rms_norm_float32_squares_neither_overflow_nor_underflow(backend):
    """Squared in float32, 1e20 overflows (PyTorch gives 0) and 1e-25 underflows (inf with
    eps=0); the float64 mean square gives the exact result."""
    x = np.array([[1e20, -2e20, 3e20], [1e-25, 2e-25, -3e-25]])
    for eps in (None, 0.0):
        expected = TF.rms_norm(torch.tensor(x), [3], eps=0.0).numpy()
        ours = K.rms_norm(backend.asarray(x.astype(np.float32)), 3, eps=0.0 if eps == 0 else eps)
        rows = slice(None) if eps == 0 else slice(0, 1)  # eps=float32's dwarfs 1e-50
        assert_close(backend.to_host(ours)[rows], expected[rows], np.float32)
    _check(backend, x[:1], 3, random_input((3,), seed=5), 0.0, np.float32)


def test_rms_norm_carries_nan_and_inf_as_torch(backend):
    x = np.array([[np.inf, 1.0, 2.0], [np.nan, 1.0, 0.5], [0.0, 0.0, 0.0], [1.0, -2.0, 3.0]])
    ours = K.rms_norm(backend.asarray(x), 3)
    assert_close(backend.to_host(ours), TF.rms_norm(torch.tensor(x), [3]).numpy(), np.float64)
    # a zero row: a finite gradient through the default eps, as torch's
    _check(backend, x[2:], 3, random_input((3,), seed=6), None)


@pytest.mark.parametrize("eps", [-1.0, -2.0])
def test_rms_norm_takes_any_eps_as_torch(backend, eps):
    x = np.ones((2, 2))
    expected = TF.rms_norm(torch.tensor(x), [2], eps=eps).numpy()  # inf, then NaN
    assert_close(backend.to_host(K.rms_norm(backend.asarray(x), 2, eps=eps)), expected, np.float64)


def test_rms_norm_takes_empty_inputs(backend):
    weight = backend.asarray(np.ones(3))
    for shape, normalized in (((0, 3), 3), ((2, 0), (0,)), ((0, 2, 3), (2, 3))):
        x = backend.asarray(np.zeros(shape))
        w = weight if normalized == 3 else None
        assert K.rms_norm(x, normalized, w).shape == shape
        grad_input, grad_weight = K.rms_norm_backward(x, x, normalized, w)
        assert grad_input.shape == shape
        assert (grad_weight is None) == (w is None)
        if w is not None:
            np.testing.assert_array_equal(backend.to_host(grad_weight), np.zeros(3))


@pytest.mark.parametrize(
    "normalized_shape, error, message",
    [
        ((4,), K.ArgumentError, r"input shape \(2, 3\) must end with normalized_shape \(4,\)"),
        ((2, 3, 1), K.ArgumentError, r"input shape .* must end with normalized_shape \(2, 3, 1\)"),
        ((), K.ArgumentError, r"input shape .* must end with normalized_shape \(\) \(at least one"),
        ((3.0,), TypeError, "normalized_shape must be an int or a tuple of ints"),
        ("3", TypeError, "normalized_shape must be an int or a tuple of ints"),
    ],
)
def test_rms_norm_rejects_bad_normalized_shape(backend, normalized_shape, error, message):
    x = backend.asarray(np.zeros((2, 3)))
    with pytest.raises(error, match=f"^rms_norm: {message}"):
        K.rms_norm(x, normalized_shape)
    with pytest.raises(error, match=f"^rms_norm_backward: {message}"):
        K.rms_norm_backward(x, x, normalized_shape)


def test_rms_norm_rejects_bad_weight_and_eps(backend):
    x = backend.asarray(np.zeros((2, 3)))
    with pytest.raises(K.ArgumentError, match=r"^rms_norm: weight must have shape \(3,\), got"):
        K.rms_norm(x, 3, backend.asarray(np.ones(4)))
    with pytest.raises(TypeError, match=r"^rms_norm: eps must be a number, got str"):
        K.rms_norm(x, 3, eps="0.1")
    with pytest.raises(TypeError, match=r"^rms_norm_backward: eps must be a number"):
        K.rms_norm_backward(x, x, 3, eps=[0.1])


def test_rms_norm_rejects_common_mistakes(backend):
    """int and bool arrays, mixed dtypes, None, and grad_outputs of another shape or dtype."""
    valid = {
        "input": random_input((2, 3)),
        "normalized_shape": (3,),
        "weight": random_input((3,), seed=1),
    }
    for case in common_mistakes("rms_norm", valid, ("input", "weight"), ("input",), (2, 3)):
        check_rejected(backend, "rms_norm", case)


@st.composite
def rms_norm_cases(draw):
    """Any leading shape, normalized_shape the last 1-3 axes (an int for one)."""
    shape = tuple(draw(st.lists(sizes, min_size=1, max_size=4)))
    count = draw(st.integers(1, min(3, len(shape))))
    normalized = shape[len(shape) - count :]
    if count == 1 and draw(st.booleans()):
        normalized = normalized[0]
    return {
        "input": shape,
        "normalized_shape": normalized,
        "weight": draw(st.booleans()),
        "eps": draw(st.sampled_from([None, 1e-5, 0.1])),
        "seed": draw(seeds),
    }


@PROFILE
@given(case=rms_norm_cases())
def test_rms_norm_matches_torch_on_generated_configurations(backend, case):
    seed, normalized = case["seed"], case["normalized_shape"]
    x = random_input(case["input"], seed=seed, low=-2.0, high=2.0)
    trailing = tuple(np.atleast_1d(normalized))
    weight = random_input(trailing, seed=seed + 1) if case["weight"] else None
    _check(backend, x, normalized, weight, case["eps"])


# ---------------------------------------------------------------------------------------------
# the module and the functional form


@pytest.mark.parametrize(
    "args, kwargs, shape",
    [
        ((5,), {}, (4, 5)),
        (([3, 4],), {"eps": 1e-3}, (2, 3, 4)),
        ((4,), {"elementwise_affine": False}, (2, 3, 4)),
    ],
)
def test_rms_norm_module_matches_torch(backend, args, kwargs, shape):
    module, torch_module = nn.RMSNorm(*args, **kwargs), torch.nn.RMSNorm(*args, **kwargs)
    assert repr(module) == repr(torch_module)
    assert list(module.state_dict()) == list(torch_module.state_dict())
    with torch.no_grad():
        for tensor in torch_module.parameters():
            tensor.uniform_(0.5, 1.5)
    check_module(module, torch_module, shape, backend)


def test_rms_norm_module_weight_is_ones_of_the_default_dtype():
    module = nn.RMSNorm((2, 3))
    assert module.normalized_shape == (2, 3) and module.eps is None
    weight = xpnet.to_numpy(module.weight.array)
    assert weight.dtype == np.float32 and weight.shape == (2, 3) and (weight == 1).all()
    assert nn.RMSNorm(3, elementwise_affine=False).weight is None


def test_functional_rms_norm_gives_torch_gradients(backend):
    x, w = random_input((3, 4), seed=7), random_input((4,), seed=8)
    tensors = [xpnet.Tensor(backend.asarray(a), requires_grad=True) for a in (x, w)]
    (F.rms_norm(tensors[0], (4,), tensors[1]) ** 2).sum().backward()
    references = [torch.tensor(a, requires_grad=True) for a in (x, w)]
    (TF.rms_norm(references[0], [4], references[1]) ** 2).sum().backward()
    for tensor, reference in zip(tensors, references, strict=True):
        assert_close(backend.to_host(tensor.grad.array), reference.grad.numpy(), np.float64)
