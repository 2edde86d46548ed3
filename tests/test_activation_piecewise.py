"""hardswish, hardsigmoid, threshold, the shrinks, prelu, glu and softmin against PyTorch autograd
(float64, float32, float16), finite differences, kinks, NaN (PyTorch's vectorised CPU kernels:
64 elements, none in its scalar tail), saturation, number arguments and errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from _oracle import (
    check_against_torch,
    check_finite_differences,
    check_kernel_against_torch,
    random_input,
)
from _strategies import FEW, PROFILE, seeds, sizes
from hypothesis import given
from hypothesis import strategies as st

import xpnet.kernels as K

# name -> the option sets to test (threshold has no defaults)
ACTIVATIONS = {
    "hardswish": [{}],
    "hardsigmoid": [{}],
    "threshold": [{"threshold": 0.5, "value": -2.0}, {"threshold": -1.0, "value": 3.0}],
    "hardshrink": [{}, {"lambd": 0.0}, {"lambd": 1.5}, {"lambd": -0.5}],
    "softshrink": [{}, {"lambd": 0.0}, {"lambd": 1.5}],
}
CASES = [(name, kwargs) for name, options in ACTIVATIONS.items() for kwargs in options]
# the kinks (+-3, the thresholds, +-lambd), signed zeros and saturation at +-1e3; 4 x 16 = 64
# elements, all in PyTorch's vectorised loop
SPECIAL = np.tile(
    [-3.0, 3.0, 0.5, -0.5, 1.5, -1.5, -1.0, -0.0, 0.0, 1e3, -1e3, 30.0, -30.0, 1e-8, 2.9, -2.9], 4
)
# the gradient at a NaN input per unit grad_output (None: NaN), as PyTorch's vectorised kernels
NAN_SLOPE = {"hardswish": None, "hardsigmoid": 0.0, "threshold": 1.0}
NAN_SLOPE |= {"hardshrink": 0.0, "softshrink": 0.0}


def _check(backend, name, kwargs, x, dtype=np.float64):
    return check_kernel_against_torch(backend, name, x, kwargs, dtype)


@pytest.mark.parametrize("name, kwargs", CASES)
@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.float16])
def test_piecewise_matches_torch(backend, name, kwargs, dtype):
    _check(backend, name, kwargs, random_input((3, 4, 5), seed=0, low=-4.0, high=4.0), dtype)


@pytest.mark.parametrize("name, kwargs", CASES)
def test_piecewise_generated_grid(backend, name, kwargs):
    """Shapes from 0-d to 4-d, including empty ones, in float64 and float32."""
    for shape in [(), (1,), (7,), (0, 3), (2, 3, 4), (2, 1, 3, 2)]:
        for dtype in (np.float64, np.float32):
            _check(backend, name, kwargs, random_input(shape, seed=len(shape), low=-4.0), dtype)


@pytest.mark.parametrize("name, kwargs", CASES)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_piecewise_kinks_signed_zeros_and_saturation(backend, name, kwargs, dtype):
    """PyTorch's value and derivative at every kink, the sign of every zero output, and no
    overflow at +-1e3."""
    output, (grad,) = _check(backend, name, kwargs, SPECIAL, dtype)
    assert np.isfinite(output).all() and np.isfinite(grad).all()
    expected = getattr(TF, name)(torch.from_numpy(SPECIAL.astype(dtype)), **kwargs).numpy()
    assert np.signbit(output).tolist() == np.signbit(expected).tolist()


@pytest.mark.parametrize(
    "name, kwargs, x, expected",
    [
        ("hardswish", {}, -3.0, 0.0),
        ("hardswish", {}, 3.0, 1.0),
        ("hardsigmoid", {}, -3.0, 0.0),
        ("hardsigmoid", {}, 3.0, 0.0),
        ("hardsigmoid", {}, 0.0, float(np.float32(1 / 6))),  # PyTorch's float32 1/6
        ("threshold", {"threshold": 0.5, "value": 2.0}, 0.5, 0.0),
        ("hardshrink", {}, 0.5, 0.0),
        ("hardshrink", {}, -0.5, 0.0),
        ("softshrink", {}, 0.5, 0.0),
        ("softshrink", {}, -0.5, 0.0),
        ("softshrink", {"lambd": 0.0}, 0.0, 0.0),
    ],
)
def test_piecewise_derivative_at_kink(backend, name, kwargs, x, expected):
    grad = getattr(K, f"{name}_backward")(
        backend.asarray(np.ones(1)), backend.asarray(np.array([x])), **kwargs
    )
    assert backend.to_host(grad).tolist() == [expected]


@pytest.mark.parametrize("name, kwargs", CASES)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_piecewise_nan_matches_torch_vectorised(backend, name, kwargs, dtype):
    x = random_input((64,), seed=5, low=-4.0, high=4.0)
    x[::3] = np.nan
    x[1::8] = [np.inf, -np.inf] * 4  # hardswish(-inf) is NaN, as PyTorch's
    _check(backend, name, kwargs, x, dtype)


@pytest.mark.parametrize("name, kwargs", CASES)
def test_piecewise_nan_gradient(backend, name, kwargs):
    x = backend.asarray(np.array([np.nan, 4.5]))
    grad_output = backend.asarray(np.array([0.25, 1.0]))
    output = backend.to_host(getattr(K, name)(x, **kwargs))
    grad = backend.to_host(getattr(K, f"{name}_backward")(grad_output, x, **kwargs))
    assert np.isnan(output[0]) and not np.isnan(output[1])
    slope = NAN_SLOPE[name]
    assert np.isnan(grad[0]) if slope is None else grad[0] == 0.25 * slope


@pytest.mark.parametrize(
    "name, kwargs",
    [
        ("hardshrink", {"lambd": np.nan}),  # nothing is zeroed, and no gradient passes
        ("threshold", {"threshold": np.nan, "value": 1.0}),  # nothing is replaced
        ("threshold", {"threshold": 0.0, "value": np.nan}),
        ("hardshrink", {"lambd": np.inf}),
        ("threshold", {"threshold": -np.inf, "value": 1.0}),
    ],
)
def test_piecewise_nan_and_inf_arguments_match_torch(backend, name, kwargs):
    _check(backend, name, kwargs, random_input((64,), seed=6, low=-2.0, high=2.0))


@pytest.mark.parametrize("name, kwargs", CASES)
def test_piecewise_finite_differences(backend, name, kwargs):
    # away from the kinks, where the derivative is not defined
    x = np.array([-4.2, -2.1, -1.2, -0.8, -0.2, 0.3, 0.7, 1.3, 2.2, 3.4])
    forward, backward = getattr(K, name), getattr(K, f"{name}_backward")
    check_finite_differences(
        lambda x: forward(x, **kwargs), lambda g, x: backward(g, x, **kwargs), [x], backend
    )


@pytest.mark.parametrize("name", ["hardswish", "hardsigmoid", "threshold"])
def test_piecewise_inplace_writes_input(backend, name):
    kwargs = ACTIVATIONS[name][0]
    x = backend.asarray(random_input((3, 4), seed=5, low=-4.0, high=4.0))
    expected = backend.to_host(getattr(K, name)(x, **kwargs))
    output = getattr(K, name)(x, **kwargs, inplace=True)
    assert output is x
    np.testing.assert_array_equal(backend.to_host(x), expected)


# float16 near a float16 lambd: PyTorch rounds hardshrink's lambd to float16, compares softshrink's
# forward and threshold in float32, and softshrink's backward with lambd rounded to float16
@pytest.mark.parametrize(
    "name, kwargs",
    [
        ("hardshrink", {"lambd": 0.10001}),
        ("softshrink", {"lambd": 0.10001}),
        ("threshold", {"threshold": 0.10001, "value": 7.0}),
        ("threshold", {"threshold": 0.09999, "value": 7.0}),
    ],
)
def test_piecewise_float16_arguments_round_as_torch(backend, name, kwargs):
    x = np.tile(np.array([0.1000366, 0.0999756, -0.1000366, 0.5], dtype=np.float16), 16)
    ours_x = backend.asarray(x)
    output = backend.to_host(getattr(K, name)(ours_x, **kwargs))
    grad = backend.to_host(
        getattr(K, f"{name}_backward")(backend.xp.ones_like(ours_x), ours_x, **kwargs)
    )
    t = torch.tensor(x, requires_grad=True)
    expected = getattr(TF, name)(t, **kwargs)
    expected.backward(torch.ones_like(expected))
    np.testing.assert_array_equal(output, expected.detach().numpy())
    np.testing.assert_array_equal(grad, t.grad.numpy())


ERRORS = [
    ("softshrink", {"lambd": -0.5}, ValueError, r"lambd must be in \[0, 1.79769e\+308\]"),
    ("softshrink", {"lambd": np.nan}, ValueError, r"lambd must be in \[0, "),
    ("softshrink", {"lambd": np.inf}, ValueError, r"lambd must be in \[0, "),
    ("softshrink", {"lambd": "0.5"}, TypeError, r"lambd must be a number, got str"),
    ("hardshrink", {"lambd": None}, TypeError, r"lambd must be a number, got NoneType"),
    ("threshold", {"threshold": "0", "value": 1.0}, TypeError, r"threshold must be a number"),
    ("threshold", {"threshold": 0.0, "value": None}, TypeError, r"value must be a number"),
]


@pytest.mark.parametrize("name, kwargs, error, message", ERRORS)
def test_piecewise_rejects_bad_arguments(backend, name, kwargs, error, message):
    x = backend.asarray(np.zeros(3))
    with pytest.raises(error, match=rf"^{name}: {message}"):
        getattr(K, name)(x, **kwargs)
    with pytest.raises(error, match=rf"^{name}_backward: {message}"):
        getattr(K, f"{name}_backward")(x, x, **kwargs)


@pytest.mark.parametrize(
    "name, kwargs, dtype, message",
    [
        ("hardshrink", {"lambd": 1e39}, np.float32, r"lambd must fit in float32"),
        ("hardshrink", {"lambd": -7e4}, np.float16, r"lambd must fit in float16"),
        ("softshrink", {"lambd": 7e4}, np.float16, r"lambd must be in \[0, 65504\]"),
        ("threshold", {"threshold": 1e39, "value": 0.0}, np.float32, r"threshold must fit in"),
        ("threshold", {"threshold": 0.0, "value": 7e4}, np.float16, r"value must fit in float16"),
        ("threshold", {"threshold": 7e4, "value": 0.0}, np.float16, None),  # float32 compares
    ],
)
def test_piecewise_number_arguments_overflow_as_torch(backend, name, kwargs, dtype, message):
    """PyTorch converts these arguments to the input's dtype (threshold: the compute dtype)
    and refuses a finite value beyond its range."""
    x = np.zeros(3, dtype=dtype)
    if message is None:
        _check(backend, name, kwargs, x, dtype)
        return
    with pytest.raises(RuntimeError):
        getattr(TF, name)(torch.from_numpy(x), **kwargs)
    with pytest.raises(ValueError, match=rf"^{name}: {message}"):
        getattr(K, name)(backend.asarray(x), **kwargs)
    with pytest.raises(ValueError, match=rf"^{name}_backward: {message}"):
        getattr(K, f"{name}_backward")(backend.asarray(x), backend.asarray(x), **kwargs)


# -- prelu ----------------------------------------------------------------------------------

PRELU_SHAPES = [
    ((), (1,)),
    ((), ()),
    ((3,), (1,)),
    ((3,), ()),
    ((2, 3), (3,)),
    ((2, 3), (1,)),
    ((2, 3, 4), (3,)),
    ((2, 3, 4, 5), (3,)),
    ((0, 3), (3,)),
    ((2, 0), (1,)),
    ((2, 0), (0,)),
    ((2, 3, 0), (3,)),
]


def _check_prelu(backend, x, weight, dtype=np.float64):
    return check_against_torch(K.prelu, K.prelu_backward, TF.prelu, [x, weight], backend, dtype)


@pytest.mark.parametrize("shape, weight_shape", PRELU_SHAPES)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_prelu_matches_torch(backend, shape, weight_shape, dtype):
    """Both gradients, for one slope or one per channel, on PyTorch's 0-d/1-d/empty inputs."""
    x = random_input(shape, seed=1, low=-3.0, high=3.0)
    _check_prelu(backend, x, random_input(weight_shape, seed=2), dtype)


def test_prelu_float16_matches_torch(backend):
    x = random_input((2, 3, 4), seed=3, low=-3.0, high=3.0)
    _check_prelu(backend, x, np.array([0.25, -0.5, 2.0]), np.float16)


def test_prelu_kinks_nan_and_signed_zeros_match_torch(backend):
    """At 0 the gradient is weight * grad_output and weight gets 0; at NaN the output and
    weight's gradient are NaN and input's is weight * grad_output; zeros keep PyTorch's sign."""
    x = np.tile([0.0, -0.0, 1e3, -1e3, 2.0, -2.0, np.nan, 0.5], 8).reshape(2, 4, 8)
    weight = np.array([0.25, -0.5, 0.0, 2.0])
    output, _ = _check_prelu(backend, x, weight)
    expected = TF.prelu(torch.from_numpy(x), torch.from_numpy(weight)).numpy()
    assert np.signbit(output).tolist() == np.signbit(expected).tolist()
    grad_input, grad_weight = K.prelu_backward(
        backend.asarray(np.ones(3)),
        backend.asarray(np.array([0.0, -0.0, np.nan])),
        backend.asarray(np.array([0.25])),
    )
    assert backend.to_host(grad_input).tolist() == [0.25, 0.25, 0.25]
    assert np.isnan(backend.to_host(grad_weight)).all()


def test_prelu_finite_differences(backend):
    x = random_input((2, 3, 2), seed=4, low=0.1, high=2.0) * np.sign(
        random_input((2, 3, 2), seed=5)
    )
    check_finite_differences(K.prelu, K.prelu_backward, [x, np.array([0.3, -0.2, 1.5])], backend)


@pytest.mark.parametrize(
    "shape, weight, error, message",
    [
        ((2, 3), np.ones((3, 1)), ValueError, r"weight must be a scalar or 1-d array, got shape"),
        ((2, 3), np.ones(2), ValueError, r"weight must have 1 or C = 3 elements .*, got 2"),
        ((3,), np.ones(3), ValueError, r"weight must have 1 or C = 1 elements .*, got 3"),
        ((2, 3), np.ones(3, np.float32), TypeError, r"weight must have the dtype of input"),
        ((2, 3), np.ones(3, np.int64), TypeError, r"weight must be a floating-point array"),
        ((2, 3), None, TypeError, r"weight must be an array, got None"),
    ],
)
def test_prelu_rejects_bad_weights(backend, shape, weight, error, message):
    x = backend.asarray(np.zeros(shape))
    w = None if weight is None else backend.asarray(weight)
    if weight is not None and weight.dtype.kind == "f":  # PyTorch refuses them too
        with pytest.raises(RuntimeError):
            TF.prelu(torch.zeros(shape, dtype=torch.float64), torch.from_numpy(weight))
    with pytest.raises(error, match=rf"^prelu: {message}"):
        K.prelu(x, w)
    with pytest.raises(error, match=rf"^prelu_backward: {message}"):
        K.prelu_backward(x, x, w)


@st.composite
def prelu_cases(draw):
    """prelu: 0-4 axes, one slope (0-d or 1-d) or one per channel."""
    shape = tuple(draw(st.lists(sizes, max_size=4)))
    C = shape[1] if len(shape) >= 2 else 1
    weight = draw(st.sampled_from([(), (1,), (C,)]))
    return {"input": shape, "weight": weight, "seed": draw(seeds)}


@PROFILE
@given(case=prelu_cases())
def test_prelu_matches_torch_on_generated_configurations(backend, case):
    x = random_input(case["input"], seed=case["seed"], low=-4.0, high=4.0)
    _check_prelu(backend, x, random_input(case["weight"], seed=case["seed"] + 1))


# -- glu ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "shape, dim",
    [((4,), -1), ((2, 4), 0), ((2, 4), 1), ((2, 4), -2), ((3, 2, 6), 2), ((0, 4), 1), ((2, 0), 1)],
)
@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.float16])
def test_glu_matches_torch(backend, shape, dim, dtype):
    _check(backend, "glu", {"dim": dim}, random_input(shape, seed=7, low=-4.0, high=4.0), dtype)


def test_glu_saturation_and_nan_match_torch(backend):
    a = np.tile([1e3, -1e3, np.nan, 1.0, np.inf, 2.0, 0.0, -0.0], 8)
    b = np.tile([1e3, -1e3, 1.0, np.nan, -1e3, np.inf, -1e3, 5.0], 8)
    _check(backend, "glu", {"dim": 0}, np.stack([a, b]), np.float64)


def test_glu_finite_differences(backend):
    x = random_input((2, 4, 3), seed=8, low=-3.0, high=3.0)
    check_finite_differences(
        lambda x: K.glu(x, 1), lambda g, x: K.glu_backward(g, x, 1), [x], backend, wrt=[0]
    )


@pytest.mark.parametrize(
    "shape, dim, error, message",
    [
        ((3,), -1, ValueError, r"input's size along dim -1 must be even, got 3"),
        ((2, 5), 1, ValueError, r"input's size along dim 1 must be even, got 5"),
        ((), -1, ValueError, r"input must have at least one dimension to halve"),
        ((2, 4), 2, ValueError, r"dim must be an axis of input of shape \(2, 4\), got 2"),
        ((2, 4), -3, ValueError, r"dim must be an axis of input"),
        ((2, 4), 1.0, TypeError, r"dim must be an int, got float"),
        ((2, 4), None, TypeError, r"dim must be an int, got NoneType"),
        ((2, 4), True, TypeError, r"dim must be an int, got bool"),
    ],
)
def test_glu_rejects_bad_input_and_dim(backend, shape, dim, error, message):
    x = backend.asarray(np.zeros(shape))
    with pytest.raises((RuntimeError, IndexError, TypeError)):  # PyTorch refuses them too
        TF.glu(torch.zeros(shape), dim)
    with pytest.raises(error, match=rf"^glu: {message}"):
        K.glu(x, dim)
    with pytest.raises(error, match=rf"^glu_backward: {message}"):
        K.glu_backward(x, x, dim)


def test_glu_backward_wants_a_gradient_of_the_halved_shape(backend):
    x = backend.asarray(np.zeros((2, 4)))
    with pytest.raises(
        ValueError, match=r"^glu_backward: grad_output must have .*\(2, 2\), got \(2, 4\)"
    ):
        K.glu_backward(x, x)


@st.composite
def glu_cases(draw):
    """glu: 1-4 axes, any dim (negative too) whose size is even."""
    shape = list(draw(st.lists(sizes, min_size=1, max_size=4)))
    dim = draw(st.integers(-len(shape), len(shape) - 1))
    shape[dim] *= 2
    return {"input": tuple(shape), "dim": dim, "seed": draw(seeds)}


@PROFILE
@given(case=glu_cases())
def test_glu_matches_torch_on_generated_configurations(backend, case):
    x = random_input(case["input"], seed=case["seed"], low=-5.0, high=5.0)
    _check(backend, "glu", {"dim": case["dim"]}, x)


# -- softmin --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "shape, dim",
    [((), 0), ((), -1), ((5,), 0), ((2, 3), 1), ((2, 3, 4), -2), ((0, 3), 1), ((2, 0), 0)],
)
@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.float16])
def test_softmin_matches_torch(backend, shape, dim, dtype):
    x = random_input(shape, seed=9, low=-5.0, high=5.0)
    output, _ = _check(backend, "softmin", {"dim": dim}, x, dtype)
    assert output.shape == shape


def test_softmin_is_stable_for_large_inputs(backend):
    x = np.array([[1000.0, 1000.0, -1000.0], [-1000.0, np.inf, 3.0], [np.nan, 1.0, 2.0]])
    _check(backend, "softmin", {"dim": 1}, x)


def test_softmin_0d_input_returns_arrays(backend):
    x = backend.asarray(np.array(2.0))
    for array in (K.softmin(x, 0), K.softmin_backward(x, x, -1)):
        assert type(array) is backend.ndarray and array.shape == ()


@pytest.mark.parametrize(
    "dim, error, message",
    [
        (2, ValueError, r"dim must be an axis of input of shape \(2, 3\), got 2"),
        (-3, ValueError, r"dim must be an axis of input"),
        (None, TypeError, r"dim must be an int, got NoneType"),
        (1.0, TypeError, r"dim must be an int, got float"),
    ],
)
def test_softmin_rejects_bad_dim(backend, dim, error, message):
    x = backend.asarray(np.zeros((2, 3)))
    with pytest.raises(error, match=rf"^softmin: {message}"):
        K.softmin(x, dim)
    with pytest.raises(error, match=rf"^softmin_backward: {message}"):
        K.softmin_backward(x, x, dim)


@FEW
@given(shape=st.lists(sizes, min_size=1, max_size=4), data=st.data(), seed=seeds)
def test_softmin_matches_torch_on_generated_configurations(backend, shape, data, seed):
    dim = data.draw(st.integers(-len(shape), len(shape) - 1), label="dim")
    _check(
        backend, "softmin", {"dim": dim}, random_input(tuple(shape), seed=seed, low=-5.0, high=5.0)
    )
