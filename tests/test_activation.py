"""Activations against PyTorch autograd (float64), finite differences, kinks, NaN and saturation."""

from __future__ import annotations

import math

import numpy as np
import pytest
from _oracle import (
    check_finite_differences,
    check_kernel_against_torch,
    random_input,
)

import xpnet.kernels as K
from xpnet.kernels._special_math import erf as _erf

# name -> the option sets to test; every op also runs with its defaults
ACTIVATIONS = {
    "relu": [{}],
    "relu6": [{}],
    "leaky_relu": [{}, {"negative_slope": 0.2}, {"negative_slope": -1.5}],
    "elu": [{}, {"alpha": 0.5}],
    "gelu": [{}, {"approximate": "tanh"}],
    "silu": [{}],
    "hardtanh": [{}, {"min_val": -0.5, "max_val": 2.0}],
    "sigmoid": [{}],
    "tanh": [{}],
}
CASES = [(name, kwargs) for name, options in ACTIVATIONS.items() for kwargs in options]
# the kinks (0, +-1, 6, -0.5, 2), -0.0 and saturation at +-1e3
SPECIAL = np.array([-0.0, 0.0, 1.0, -1.0, 6.0, -0.5, 2.0, 1e3, -1e3, 30.0, -30.0, 1e-8])
# the gradient at a NaN input, per grad_output, where it is not NaN: PyTorch's vectorised
# rule (issue 16; its scalar loop for the last few elements passes the gradient instead)
NAN_SLOPE = {"relu": 1.0, "relu6": 0.0, "hardtanh": 0.0, "leaky_relu": None}


def _check(backend, name, kwargs, x, dtype=np.float64):
    return check_kernel_against_torch(backend, name, x, kwargs, dtype)


@pytest.mark.parametrize("name, kwargs", CASES)
@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.float16])
def test_activation_matches_torch(backend, name, kwargs, dtype):
    _check(backend, name, kwargs, random_input((3, 4, 5), seed=0, low=-4.0, high=4.0), dtype)


@pytest.mark.parametrize("name, kwargs", CASES)
def test_activation_generated_grid(backend, name, kwargs):
    """Shapes from 0-d to 4-d, including empty ones, in float64 and float32."""
    for shape in [(), (1,), (7,), (0, 3), (2, 3, 4), (2, 1, 3, 2)]:
        for dtype in (np.float64, np.float32):
            _check(backend, name, kwargs, random_input(shape, seed=len(shape), low=-3.0), dtype)


@pytest.mark.parametrize("name, kwargs", CASES)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_activation_kinks_and_saturation(backend, name, kwargs, dtype):
    """PyTorch's derivative at every kink; no overflow, inf or NaN at +-1e3."""
    output, (grad,) = _check(backend, name, kwargs, SPECIAL, dtype)
    assert np.isfinite(output).all() and np.isfinite(grad).all()


@pytest.mark.parametrize("name, kwargs", CASES)
def test_activation_nan_propagates(backend, name, kwargs):
    x = backend.asarray(np.array([np.nan, 1.5]))
    grad_output = backend.asarray(np.array([0.25, 1.0]))
    output = backend.to_host(getattr(K, name)(x, **kwargs))
    grad = backend.to_host(getattr(K, f"{name}_backward")(grad_output, x, **kwargs))
    assert np.isnan(output[0]) and not np.isnan(output[1])
    if name not in NAN_SLOPE:  # elu and the smooth ops
        assert np.isnan(grad[0])
    else:  # leaky_relu takes its negative branch: NaN > 0 is false
        slope = NAN_SLOPE[name]
        assert grad[0] == 0.25 * (kwargs.get("negative_slope", 0.01) if slope is None else slope)


@pytest.mark.parametrize("name, kwargs", CASES)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_activation_nan_gradient_matches_torch_vectorised(backend, name, kwargs, dtype):
    """64 elements: every one goes through PyTorch's vectorised kernel, the oracle here."""
    x = random_input((64,), seed=5, low=-3.0, high=3.0)
    x[::3] = np.nan
    _check(backend, name, kwargs, x, dtype)


def test_relu_in_blocks_on_threads(backend, monkeypatch, num_threads):
    """Large inputs are cut into blocks that run on threads (numpy): still PyTorch's result."""
    monkeypatch.setattr(backend, "block_bytes", 64)
    num_threads(2)
    x = random_input((3, 5, 7, 3), seed=9)
    x.flat[::35] = [np.nan, -0.0, 0.0, np.inf, -np.inf, 1.0, -1.0, 2.0, -2.0]  # 9 of 315
    with np.errstate(invalid="ignore"):  # the oracle subtracts inf from inf
        _check(backend, "relu", {}, x)


def test_relu_keeps_negative_zero(backend):
    output = backend.to_host(K.relu(backend.asarray(np.array([-0.0, 0.0]))))
    assert np.signbit(output).tolist() == [True, False]


@pytest.mark.parametrize("name, kwargs", [*CASES, ("elu", {"alpha": -1.0})])
def test_activation_signed_zeros_match_torch(backend, name, kwargs):
    """The sign of a zero output is PyTorch's (float64): elu(-0.0) is -0.0 for every alpha."""
    torch = pytest.importorskip("torch")
    x = np.array([-0.0, 0.0])
    output = backend.to_host(getattr(K, name)(backend.asarray(x), **kwargs))
    expected = getattr(torch.nn.functional, name)(torch.from_numpy(x), **kwargs).numpy()
    assert np.signbit(output).tolist() == np.signbit(expected).tolist()


@pytest.mark.parametrize(
    "name, kwargs, x, expected",
    [
        ("relu", {}, 0.0, 0.0),
        ("relu6", {}, 6.0, 0.0),
        ("hardtanh", {}, 1.0, 0.0),
        ("hardtanh", {}, -1.0, 0.0),
        ("leaky_relu", {"negative_slope": 0.3}, 0.0, 0.3),
    ],
)
def test_activation_derivative_at_kink(backend, name, kwargs, x, expected):
    grad = getattr(K, f"{name}_backward")(
        backend.asarray(np.ones(1)), backend.asarray(np.array([x])), **kwargs
    )
    assert backend.to_host(grad).tolist() == [expected]


@pytest.mark.parametrize("name, kwargs", CASES)
def test_activation_finite_differences(backend, name, kwargs):
    # away from the kinks, where the derivative is not defined
    x = random_input((2, 5), seed=3, low=0.1, high=3.0) * np.sign(random_input((2, 5), seed=4))
    forward, backward = getattr(K, name), getattr(K, f"{name}_backward")
    check_finite_differences(
        lambda x: forward(x, **kwargs), lambda g, x: backward(g, x, **kwargs), [x], backend
    )


def test_gelu_erf_matches_math_erf(backend):
    x = np.concatenate([np.linspace(-7.0, 7.0, 4001), [2.5, -2.5, 1e-300, 40.0, np.inf]])
    expected = np.array([math.erf(value) for value in x])
    actual = backend.to_host(_erf(backend.xp, backend.asarray(x)))
    assert np.abs(actual - expected).max() <= 2e-15


@pytest.mark.parametrize("name", ["relu", "relu6", "leaky_relu", "elu", "hardtanh", "silu"])
def test_activation_inplace_writes_input(backend, name):
    x = backend.asarray(random_input((3, 4), seed=5, low=-2.0, high=7.0))
    expected = backend.to_host(getattr(K, name)(x))
    output = getattr(K, name)(x, inplace=True)
    assert output is x
    np.testing.assert_array_equal(backend.to_host(x), expected)


def test_activation_keeps_non_contiguous_input(backend):
    x = random_input((4, 6), seed=6)[:, ::2]
    _check(backend, "gelu", {}, x)


ERRORS = [
    (
        "hardtanh",
        {"min_val": 1.0, "max_val": -1.0},
        ValueError,
        r"hardtanh: max_val must be at least min_val, got min_val=1.0, max_val=-1.0",
    ),
    (
        "gelu",
        {"approximate": "erf"},
        ValueError,
        r"gelu: approximate must be 'none' or 'tanh', got 'erf'",
    ),
]


@pytest.mark.parametrize("name, kwargs, error, message", ERRORS)
def test_activation_rejects_bad_arguments(backend, name, kwargs, error, message):
    x = backend.asarray(np.zeros(3))
    with pytest.raises(error, match=message):
        getattr(K, name)(x, **kwargs)
    with pytest.raises(error, match=message.replace(f"{name}:", f"{name}_backward:")):
        getattr(K, f"{name}_backward")(x, x, **kwargs)


@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_activation_rejects_bad_inputs(backend, name):
    forward, backward = getattr(K, name), getattr(K, f"{name}_backward")
    with pytest.raises(
        TypeError, match=rf"{name}: input must be a floating-point array, got dtype int64"
    ):
        forward(backend.asarray(np.zeros(3, dtype=np.int64)))
    with pytest.raises(TypeError, match=rf"{name}: input must be an array, got list"):
        forward([0.0])
    x = backend.asarray(np.zeros(3))
    with pytest.raises(
        ValueError,
        match=rf"{name}_backward: grad_output must have the shape of input \(3,\), got \(4,\)",
    ):
        backward(backend.asarray(np.zeros(4)), x)
    with pytest.raises(
        TypeError, match=rf"{name}_backward: grad_output must have the dtype of input"
    ):
        backward(backend.asarray(np.zeros(3, dtype=np.float32)), x)


def test_activation_float16_saturates_in_float32(backend):
    # float16 overflows at 65504: x**3 in gelu's tanh form must be computed in float32
    x = np.array([-300.0, -10.0, 10.0, 300.0])
    output, _ = _check(backend, "gelu", {"approximate": "tanh"}, x, np.float16)
    assert np.isfinite(output).all()
