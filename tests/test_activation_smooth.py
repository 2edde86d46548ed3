"""The smooth activations (softplus, mish, selu, celu, logsigmoid, softsign, tanhshrink) against
PyTorch autograd (float64), finite differences, NaN/inf, signed zeros and saturation."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from _oracle import (
    assert_close,
    check_finite_differences,
    check_kernel_against_torch,
    random_input,
)

import xpnet
import xpnet.kernels as K
import xpnet.nn.functional as F

# name -> the option sets to test; every op also runs with its defaults. celu's 0.3 is not a
# float32: PyTorch's gradient divides by it rounded to float32 (derivatives.yaml), as ours does
ACTIVATIONS = {
    "softplus": [{}, {"beta": 2.0}, {"beta": -1.5, "threshold": 3.0}, {"threshold": 0.5}],
    "mish": [{}],
    "selu": [{}],
    "celu": [{}, {"alpha": 0.3}, {"alpha": 2.0}, {"alpha": -0.7}],
    "logsigmoid": [{}],
    "softsign": [{}],
    "tanhshrink": [{}],
}
CASES = [(name, kwargs) for name, options in ACTIVATIONS.items() for kwargs in options]
# 0 and -0.0 (selu/celu switch branches there), softplus' thresholds (20, 3 / -1.5 = -2,
# 0.5 and just above them), saturation at +-1e3 and +-30, tiny values
SPECIAL = np.array(
    [-0.0, 0.0, 1.0, -1.0, 20.0, 20.000001, -2.0, 0.5, 1e3, -1e3, 30.0, -30.0, 1e-8, -1e-8]
)
# celu with a negative alpha grows as exp(x / alpha) for x < 0: -inf at -1e3, as in PyTorch
UNBOUNDED = {("celu", -0.7)}


def _check(backend, name, kwargs, x, dtype=np.float64):
    return check_kernel_against_torch(backend, name, x, kwargs, dtype)


@pytest.mark.parametrize("name, kwargs", CASES)
@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.float16])
def test_smooth_activation_matches_torch(backend, name, kwargs, dtype):
    _check(backend, name, kwargs, random_input((3, 4, 5), seed=0, low=-4.0, high=4.0), dtype)


@pytest.mark.parametrize("name, kwargs", CASES)
def test_smooth_activation_generated_grid(backend, name, kwargs):
    """Shapes from 0-d to 4-d, including empty ones, in float64 and float32."""
    for shape in [(), (1,), (7,), (0, 3), (2, 3, 4), (2, 1, 3, 2)]:
        for dtype in (np.float64, np.float32):
            _check(backend, name, kwargs, random_input(shape, seed=len(shape), low=-3.0), dtype)


@pytest.mark.parametrize("name, kwargs", CASES)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_smooth_activation_edges_and_saturation(backend, name, kwargs, dtype):
    """PyTorch's values and derivatives at 0, -0.0 and the thresholds; no overflow at +-1e3."""
    output, (grad,) = _check(backend, name, kwargs, SPECIAL, dtype)
    if (name, kwargs.get("alpha")) not in UNBOUNDED:
        assert np.isfinite(output).all() and np.isfinite(grad).all()


@pytest.mark.parametrize("name, kwargs", CASES)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_smooth_activation_nan_and_inf_match_torch_vectorised(backend, name, kwargs, dtype):
    """NaN and +-inf inputs reach PyTorch's outputs and gradients (64 elements: every one goes
    through PyTorch's vectorised kernel, the oracle here): NaN gives NaN, forward and backward;
    mish(-inf) and softsign(+-inf) are NaN too."""
    x = random_input((64,), seed=5, low=-3.0, high=3.0)
    x[1::7], x[2::11], x[::5] = np.inf, -np.inf, np.nan  # NaN last: every fifth stays NaN
    with np.errstate(invalid="ignore"):  # the oracle subtracts inf from inf
        output, (grad,) = _check(backend, name, kwargs, x, dtype)
    assert np.isnan(output[::5]).all() and np.isnan(grad[::5]).all()


@pytest.mark.parametrize("name, kwargs", CASES)
def test_smooth_activation_signed_zeros_match_torch(backend, name, kwargs):
    x = np.array([-0.0, 0.0])
    output = backend.to_host(getattr(K, name)(backend.asarray(x), **kwargs))
    expected = getattr(TF, name)(torch.from_numpy(x), **kwargs).numpy()
    assert np.signbit(output).tolist() == np.signbit(expected).tolist()


@pytest.mark.parametrize(
    "name, kwargs, x, expected",
    [
        ("softplus", {}, 0.0, 0.5),
        ("softplus", {"threshold": 2.0}, 2.0, 1 / (1 + np.exp(-2.0))),  # not above: sigmoid
        ("softplus", {"threshold": 2.0}, 2.5, 1.0),  # above: the linear function
        ("selu", {}, 0.0, K.activation_smooth.SELU_ALPHA * K.activation_smooth.SELU_SCALE),
        ("selu", {}, 1e-300, K.activation_smooth.SELU_SCALE),
        ("celu", {"alpha": 0.5}, 0.0, 1.0),
        ("logsigmoid", {}, 0.0, 0.5),
        ("softsign", {}, 0.0, 1.0),
        ("mish", {}, 0.0, 0.6),
        ("tanhshrink", {}, 0.0, 0.0),
    ],
)
def test_smooth_activation_derivative_at_switches(backend, name, kwargs, x, expected):
    grad = getattr(K, f"{name}_backward")(
        backend.asarray(np.ones(1)), backend.asarray(np.array([x])), **kwargs
    )
    np.testing.assert_allclose(backend.to_host(grad), [expected], rtol=1e-15)


@pytest.mark.parametrize("name, kwargs", CASES)
def test_smooth_activation_finite_differences(backend, name, kwargs):
    # away from 0 and the thresholds, where the derivative jumps
    x = random_input((2, 5), seed=3, low=0.1, high=3.0) * np.sign(random_input((2, 5), seed=4))
    forward, backward = getattr(K, name), getattr(K, f"{name}_backward")
    check_finite_differences(
        lambda x: forward(x, **kwargs), lambda g, x: backward(g, x, **kwargs), [x], backend
    )


def test_softplus_large_threshold_stays_finite(backend):
    """Where PyTorch's log1p(exp(z)) overflows (threshold above ~709), xpnet stays exact."""
    x = backend.asarray(np.array([1e3, -1e3, 800.0]))
    output = K.softplus(x, threshold=1e4)
    grad = K.softplus_backward(backend.asarray(np.ones(3)), x, threshold=1e4)
    assert backend.to_host(output).tolist() == [1e3, 0.0, 800.0]
    assert backend.to_host(grad).tolist() == [1.0, 0.0, 1.0]


def test_celu_backward_rounds_alpha_to_float32_as_torch(backend):
    """PyTorch's celu gradient divides by float32(alpha): 5e-7 (relative) from exp(x / alpha)."""
    x = np.linspace(-4.0, -0.1, 9)
    grad = backend.to_host(K.celu_backward(backend.asarray(np.ones(9)), backend.asarray(x), 0.3))
    assert np.abs(grad / np.exp(x / 0.3) - 1).max() > 1e-7
    _check(backend, "celu", {"alpha": 0.3}, x)


@pytest.mark.parametrize("name", ["mish", "selu", "celu"])
def test_smooth_activation_inplace_writes_input(backend, name):
    x = backend.asarray(random_input((3, 4), seed=5, low=-2.0, high=7.0))
    expected = backend.to_host(getattr(K, name)(x))
    output = getattr(K, name)(x, inplace=True)
    assert output is x
    np.testing.assert_array_equal(backend.to_host(x), expected)


def test_smooth_activation_keeps_non_contiguous_input(backend):
    _check(backend, "mish", {}, random_input((4, 6), seed=6)[:, ::2])


def test_smooth_activation_float16_saturates_in_float32(backend):
    # float16 overflows at 65504: exp(12) already does, so the exponentials run in float32
    x = np.array([-300.0, -12.0, 12.0, 300.0])
    for name, kwargs in CASES:
        if (name, kwargs.get("alpha")) not in UNBOUNDED:
            output, (grad,) = _check(backend, name, kwargs, x, np.float16)
            assert np.isfinite(output).all() and np.isfinite(grad).all()


@pytest.mark.parametrize("name", ["softplus", "mish", "celu", "tanhshrink"])
def test_smooth_activation_lifted_matches_torch(backend, name):
    """xpnet.nn.functional's autograd Function, as a porting user calls it."""
    values = random_input((3, 4), seed=7, low=-3.0, high=3.0)
    x = xpnet.Tensor(backend.asarray(values), requires_grad=True)
    getattr(F, name)(x).sum().backward()
    theirs = torch.tensor(values, requires_grad=True)
    getattr(TF, name)(theirs).sum().backward()
    assert_close(backend.to_host(x.grad.array), theirs.grad.numpy(), np.float64, "grad_input")


ERRORS = [
    ("celu", {"alpha": 0.0}, ValueError, r"celu: alpha cannot be 0 .*got alpha=0.0"),
    ("celu", {"alpha": "1"}, TypeError, r"celu: alpha must be a number, got str '1'"),
    ("softplus", {"beta": None}, TypeError, r"softplus: beta must be a number, got NoneType"),
    ("softplus", {"threshold": "20"}, TypeError, r"softplus: threshold must be a number"),
]


@pytest.mark.parametrize("name, kwargs, error, message", ERRORS)
def test_smooth_activation_rejects_bad_arguments(backend, name, kwargs, error, message):
    x = backend.asarray(np.zeros(3))
    with pytest.raises(error, match=message):
        getattr(K, name)(x, **kwargs)
    with pytest.raises(error, match=message.replace(f"{name}:", f"{name}_backward:")):
        getattr(K, f"{name}_backward")(x, x, **kwargs)


def test_celu_alpha_zero_is_a_runtime_error_as_in_torch(backend):
    with pytest.raises(RuntimeError, match="celu: alpha cannot be 0"):
        K.celu(backend.asarray(np.zeros(2)), 0)


def test_celu_backward_rejects_alpha_beyond_float32(backend):
    x = backend.asarray(np.zeros(2))
    K.celu(x, 1e39)  # the forward is fine, as PyTorch's
    with pytest.raises(ValueError, match=r"celu_backward: alpha must be within float32's range"):
        K.celu_backward(x, x, 1e39)


@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_smooth_activation_rejects_bad_inputs(backend, name):
    forward, backward = getattr(K, name), getattr(K, f"{name}_backward")
    with pytest.raises(
        TypeError, match=rf"{name}: input must be a floating-point array, got dtype int64"
    ):
        forward(backend.asarray(np.zeros(3, dtype=np.int64)))
    with pytest.raises(TypeError, match=rf"{name}: input must be an array, got None"):
        forward(None)
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
