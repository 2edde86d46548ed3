"""The elementwise Tensor methods and ``xpnet.<name>`` functions of
:mod:`xpnet._tensor_elementwise` against PyTorch autograd in float64 (forward and every
gradient), float32 and float16, with NaN/inf edges, integer dtypes and the error paths."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from _oracle import by_name as call
from _oracle import check_tensor_method, random_input
from _strategies import PROFILE
from hypothesis import given, settings
from hypothesis import strategies as st

import xpnet
from xpnet.autograd import Tensor
from xpnet.kernels import ArgumentError

NAN, INF = np.nan, np.inf


def x34(seed=3, low=-1.0, high=1.0):
    return random_input((3, 4), seed=seed, low=low, high=high)


UNARY = [
    ("erf", -3.0, 3.0),
    ("erfc", -3.0, 6.0),
    ("erfinv", -0.999, 0.999),
    ("frac", -5.0, 5.0),
    ("trunc", -5.0, 5.0),
    ("fix", -5.0, 5.0),
    ("deg2rad", -360.0, 360.0),
    ("rad2deg", -7.0, 7.0),
    ("nan_to_num", -1.0, 1.0),
]


@pytest.mark.parametrize(("name", "low", "high"), UNARY)
@pytest.mark.parametrize("form", ["function", "method"])
def test_unary_match_torch(backend, name, low, high, form):
    method = call(name) if form == "function" else (lambda t, n=name: getattr(t, n)())
    check_tensor_method(method, [x34(low=low, high=high)], backend)
    check_tensor_method(method, [x34(low=low, high=high)], backend, dtype=np.float32)


@pytest.mark.parametrize("name", ["erf", "erfc", "erfinv", "deg2rad"])
def test_unary_float16_match_torch(backend, name):
    check_tensor_method(call(name), [x34(low=-0.9, high=0.9)], backend, dtype=np.float16)


def test_special_functions_edges_match_torch(backend):
    """NaN, infinities, 0 and -0, ``+-1`` for erfinv (infinite) and outside it (NaN), large
    erfc arguments (relative accuracy from the continued fraction)."""
    edges = np.array([0.0, -0.0, NAN, INF, -INF, 1.0, -1.0, 1.5, -1.5, 2.49, 2.51, 9.0, 26.0])
    for name in ("erf", "erfc", "erfinv", "nan_to_num", "frac", "trunc"):
        ours = getattr(xpnet, name)(Tensor(xpnet.asarray(edges))).numpy()
        theirs = getattr(torch, name)(torch.tensor(edges)).numpy()
        np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=0, err_msg=name)
    ours = xpnet.nan_to_num(Tensor(xpnet.asarray(edges)), nan=1.0, posinf=2.0, neginf=-3.0)
    assert ours.tolist() == torch.tensor(edges).nan_to_num(1.0, 2.0, -3.0).tolist()


def test_erfinv_gradient_near_one_matches_torch(backend):
    check_tensor_method(call("erfinv"), [np.array([0.99999, -0.9999, 0.0, 0.5])], backend)


BINARY = [
    ("atan2", -2.0, 2.0),
    ("arctan2", -2.0, 2.0),
    ("hypot", -2.0, 2.0),
    ("logaddexp", -30.0, 30.0),
    ("logaddexp2", -30.0, 30.0),
    ("xlogy", 0.1, 3.0),
    ("fmod", -5.0, 5.0),
    ("remainder", -5.0, 5.0),
    ("copysign", -2.0, 2.0),
]


@pytest.mark.parametrize(("name", "low", "high"), BINARY)
def test_binary_match_torch(backend, name, low, high):
    a, b = x34(low=low, high=high), x34(seed=4, low=low, high=high)
    check_tensor_method(call(name), [a, b], backend)
    check_tensor_method(lambda t, u: getattr(t, name)(u[0]), [a, b], backend)  # broadcast
    if name in ("xlogy", "fmod", "remainder", "copysign"):  # PyTorch's take a number too
        check_tensor_method(lambda t: getattr(t, name)(1.5), [a], backend)
    else:
        with pytest.raises(TypeError, match="other must be a Tensor or an array"):
            getattr(Tensor(xpnet.asarray(a)), name)(1.5)
    check_tensor_method(call(name), [a, b], backend, dtype=np.float32)


def test_binary_edges_match_torch(backend):
    """Zeros, signed zeros, infinities and NaN; ``xlogy(0, y)`` is 0 unless ``y`` is NaN."""
    a = np.array([0.0, -0.0, 0.0, 1.0, INF, -INF, NAN, 2.0, 0.0, -3.0])
    b = np.array([0.0, 0.0, -0.0, INF, 1.0, INF, 1.0, NAN, NAN, -0.0])
    for name in ("atan2", "hypot", "logaddexp", "logaddexp2", "xlogy", "copysign", "fmod"):
        ours = getattr(xpnet, name)(Tensor(xpnet.asarray(a)), Tensor(xpnet.asarray(b))).numpy()
        theirs = getattr(torch, name)(torch.tensor(a), torch.tensor(b)).numpy()
        np.testing.assert_allclose(ours, theirs, rtol=1e-13, atol=0, err_msg=name)
    check_tensor_method(call("xlogy"), [np.array([0.0, 0.0, 2.0]), np.array([0.0, 3.0, 2.0])],
                        backend)  # fmt: skip
    check_tensor_method(call("copysign"), [np.array([0.0, -2.0, 3.0]), a[:3]], backend)


@pytest.mark.parametrize("name", ["atan2", "xlogy", "fmod", "remainder", "erf", "trunc"])
def test_integer_dtypes_match_torch(backend, name):
    """float32 for float-valued functions of integers; fmod/remainder/trunc keep int64."""
    a, b = np.array([5, -7, 0, 3]), np.array([3, 2, 4, -2])
    args = (b,) if name not in ("erf", "trunc") else ()
    ours = getattr(xpnet, name)(Tensor(xpnet.asarray(a)), *[Tensor(xpnet.asarray(v)) for v in args])
    theirs = getattr(torch, name)(torch.tensor(a), *[torch.tensor(v) for v in args])
    assert ours.dtype == np.dtype(str(theirs.dtype).removeprefix("torch.")), name
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)


@pytest.mark.parametrize("weight", [0.25, 0.5, 1.0, "tensor"])
def test_lerp_matches_torch(backend, weight):
    a, b, w = x34(), x34(seed=4), x34(seed=5, low=-0.5, high=1.5)
    if weight == "tensor":
        check_tensor_method(lambda s, e, wt: s.lerp(e, wt), [a, b, w], backend)
        check_tensor_method(call("lerp"), [a, b, w[0]], backend, dtype=np.float32)
    else:
        check_tensor_method(call("lerp", weight), [a, b], backend)


@pytest.mark.parametrize("name", ["addcmul", "addcdiv"])
@pytest.mark.parametrize("value", [1, -0.5])
def test_addcmul_addcdiv_match_torch(backend, name, value):
    a, b, c = x34(), x34(seed=4)[0], x34(seed=5, low=0.5, high=2.0)
    check_tensor_method(call(name, value=value), [a, b, c], backend)
    check_tensor_method(
        lambda s, u, v: getattr(s, name)(u, v), [a, b, c], backend, dtype=np.float32
    )


def test_comparisons_and_steps_match_torch(backend):
    a = np.array([1.0, 1.0 + 1e-9, NAN, INF, -INF, 0.0, -2.0])
    b = np.array([1.0, 1.0, NAN, INF, INF, 1e-9, 3.0])
    ta, tb = Tensor(xpnet.asarray(a)), Tensor(xpnet.asarray(b))
    for kwargs in ({}, {"equal_nan": True}, {"rtol": 0.0, "atol": 1e-8}):
        expected = torch.isclose(torch.tensor(a), torch.tensor(b), **kwargs).tolist()
        assert xpnet.isclose(ta, tb, **kwargs).tolist() == expected
    assert ta.isin(tb).tolist() == torch.isin(torch.tensor(a), torch.tensor(b)).tolist()
    ints = Tensor(xpnet.asarray(np.array([1, 2, 3, 4])))
    assert xpnet.isin(ints, Tensor(xpnet.asarray(np.array([2, 4]))), invert=True).tolist() == [
        True, False, True, False,
    ]  # fmt: skip
    values = Tensor(xpnet.asarray(np.full(7, 0.5)))
    expected = torch.heaviside(torch.tensor(a), torch.full((7,), 0.5, dtype=torch.float64)).numpy()
    np.testing.assert_array_equal(xpnet.heaviside(ta, values).numpy(), expected)
    assert xpnet.sgn(ta).tolist()[2:] == [0.0, 1.0, -1.0, 0.0, -1.0]


def test_errors_name_function_and_argument(backend):
    t = Tensor(xpnet.asarray(x34()))
    ints = Tensor(xpnet.asarray(np.array([1, 2])))
    with pytest.raises(TypeError, match=r"xpnet.erf: input must be a Tensor"):
        xpnet.erf([1.0])
    with pytest.raises(TypeError, match=r"atan2: other must be a Tensor"):
        t.atan2("x")
    with pytest.raises(RuntimeError, match=r"lerp: self and end must have one floating dtype"):
        t.lerp(t.to("float32"), 0.5)
    with pytest.raises(TypeError, match=r"lerp: end must be a Tensor"):
        t.lerp(1.0, 0.5)
    with pytest.raises(TypeError, match=r"addcmul: value must be a number"):
        t.addcmul(t, t, value="2")
    with pytest.raises(ArgumentError, match=r"addcmul: value must not be a float"):
        ints.addcmul(ints, ints, value=0.5)
    with pytest.raises(RuntimeError, match=r"addcdiv: integer division"):
        t.addcdiv(ints, ints)
    with pytest.raises(RuntimeError, match=r"isclose: self and other must have one dtype"):
        t.isclose(t.to("float32"))
    with pytest.raises(ValueError, match=r"isclose: rtol must be greater"):
        t.isclose(t, rtol=-1)
    with pytest.raises(RuntimeError, match=r"heaviside: values must have self's dtype"):
        t.heaviside(ints)


def test_empty_and_zero_d(backend):
    empty = Tensor(xpnet.asarray(np.zeros((0, 3))), requires_grad=True)
    y = xpnet.erf(empty) + xpnet.atan2(empty, empty) + empty.lerp(empty, 0.3)
    y.sum().backward()
    assert y.shape == (0, 3) and empty.grad.shape == (0, 3)
    check_tensor_method(call("hypot"), [np.array(3.0), np.array(4.0)], backend)
    check_tensor_method(call("erfinv"), [np.array(0.3)], backend)


@settings(PROFILE, max_examples=25)
@given(
    st.lists(st.floats(-1e3, 1e3), min_size=1, max_size=6),
    st.floats(0.01, 1e3) | st.floats(-1e3, -0.01),
)
def test_fmod_remainder_property(values, divisor):
    """``fmod`` keeps the dividend's sign, ``remainder`` the divisor's; both lie within
    ``|divisor|`` and match PyTorch."""
    a = np.array(values)
    f = xpnet.fmod(Tensor(xpnet.asarray(a)), divisor).numpy()
    r = xpnet.remainder(Tensor(xpnet.asarray(a)), divisor).numpy()
    np.testing.assert_allclose(f, torch.fmod(torch.tensor(a), divisor).numpy(), rtol=1e-12)
    np.testing.assert_allclose(r, torch.remainder(torch.tensor(a), divisor).numpy(), rtol=1e-12)
    assert np.all(np.abs(f) < abs(divisor)) and np.all(np.abs(r) <= abs(divisor))
