"""``lgamma``, ``digamma``, ``polygamma`` and ``mvlgamma`` (Tensor methods and ``xpnet.<name>``
functions) against PyTorch in float64 and float32 over wide ranges (negative non-integers,
near the poles, tiny and large arguments), against mpmath near the zeros, with PyTorch's
special values, gradients, result dtypes and argument errors."""

from __future__ import annotations

import warnings

import mpmath
import numpy as np
import pytest
import torch
from _oracle import by_name as call
from _oracle import check_against_torch, check_tensor_method, random_input
from _strategies import PROFILE
from hypothesis import given, settings
from hypothesis import strategies as st

import xpnet
from xpnet.autograd import Tensor
from xpnet.kernels import ArgumentError

NAN, INF = np.nan, np.inf


def wide_values(dtype=np.float64) -> np.ndarray:
    """Negative non-integers, values near the poles and zeros, tiny and large arguments."""
    rng = np.random.default_rng(7)
    tiny = -37 if dtype == np.float32 else -300
    poles = np.array([-k + s * 1e-6 for k in range(6) for s in (-1, 1)])[1:]
    values = [rng.uniform(-30, 30, 400), rng.uniform(0, 3, 200), poles,
              10 ** rng.uniform(tiny, 10, 200), -(10 ** rng.uniform(-5, 1.5, 200)),
              [1e10, 1.0 + 1e-9, 2.0 - 1e-9, 0.5, 1.5, 2.5, 9.999, 10.0, 10.001]]  # fmt: skip
    return np.concatenate(values).astype(dtype)


# (name, torch's function, relative and absolute tolerance in float64): PyTorch's trigamma
# (polygamma n = 1) is itself accurate to about 5e-10 relative only, its digamma to 4e-11 just
# above the negative poles (``modf``'s fraction near -1 in ``tan``; mpmath agrees with ours)
CASES = [
    ("lgamma", torch.lgamma, 1e-13, 1e-14),
    ("digamma", torch.digamma, 1e-10, 1e-14),
    ("polygamma1", lambda t: torch.polygamma(1, t), 2e-9, 0),
    ("polygamma2", lambda t: torch.polygamma(2, t), 1e-12, 0),
    ("polygamma5", lambda t: torch.polygamma(5, t), 1e-12, 0),
]


def ours(name: str, tensor: Tensor) -> Tensor:
    if name.startswith("polygamma"):
        return xpnet.polygamma(int(name[len("polygamma") :]), tensor)
    return getattr(xpnet, name)(tensor)


@pytest.mark.parametrize(("name", "theirs", "rtol", "atol"), CASES)
def test_values_match_torch_float64(backend, name, theirs, rtol, atol):
    x = wide_values()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no NumPy RuntimeWarning may leak
        result = ours(name, Tensor(xpnet.asarray(x)))
    assert result.dtype == np.float64
    expected = theirs(torch.tensor(x)).numpy()
    np.testing.assert_allclose(result.numpy(), expected, rtol=rtol, atol=atol, err_msg=name)


@pytest.mark.parametrize(("name", "theirs", "rtol", "atol"), CASES)
def test_values_float32_match_torch_in_float64(backend, name, theirs, rtol, atol):
    """float32 is computed in float64 and rounded: within 2e-7 of PyTorch's float64 result on
    the same float32 inputs (PyTorch's own float32 lgamma is off by up to 6e-3 near -2.457)."""
    x = wide_values(np.float32)
    result = ours(name, Tensor(xpnet.asarray(x)))
    assert result.dtype == np.float32
    expected = theirs(torch.tensor(x.astype(np.float64))).numpy()
    representable = np.abs(expected) < np.finfo(np.float32).max
    actual, expected = result.numpy()[representable], expected[representable]
    np.testing.assert_allclose(actual, expected.astype(np.float32), rtol=2e-7, atol=1e-37)


def truth(name: str, value: float) -> float:
    mpmath.mp.dps = 40
    if name == "lgamma":
        return float(mpmath.re(mpmath.loggamma(value)))
    if name == "digamma":
        return float(mpmath.digamma(value))
    return float(mpmath.polygamma(int(name[len("polygamma") :]), value))


@pytest.mark.parametrize(
    ("name", "points"),
    [
        ("lgamma", [1.0 + 1e-12, 1.0 - 1e-9, 1.2, 2.0 + 1e-12, 2.0 - 3e-8, 1.7, 0.9999, 3.7]),
        ("digamma", [1.4616321449683622, 1.46163, 1.0, 2.0, 1.9, -0.5, -0.999999, -3.000001]),
        ("polygamma1", [1.1335997034668037, 0.04303, 7.5, 1e-5, -0.5, -3.3]),
        ("polygamma3", [0.3, 2.7, 30.0, -1.5]),
        # the reflection's cotangent term vanishes at negative half-integers: 1 / tan(pi / 2)
        # (6e-17, times pi^5 4!) gave polygamma4(-48.5) a 3e-7 relative error
        ("polygamma2", [-48.5, -2.5, -0.5, -7.25]),
        ("polygamma4", [-48.5, -2.5, -0.5, -7.25]),
    ],
)
def test_relative_accuracy_near_zeros_against_mpmath(backend, name, points):
    """Relative (not only absolute) accuracy near the zeros of lgamma (1, 2) and digamma
    (1.4616...), where PyTorch's digamma is only absolutely accurate."""
    result = ours(name, Tensor(xpnet.asarray(np.array(points)))).numpy()
    expected = np.array([truth(name, p) for p in points])
    np.testing.assert_allclose(result, expected, rtol=2e-14, atol=0, err_msg=name)


def test_special_values_match_torch(backend):
    """Poles, -0, infinities and NaN; ``polygamma`` where PyTorch's are finite or NaN differs
    (documented): ``(-1)^(n+1) inf`` at every pole, 0 at ``inf``, NaN at ``-inf``."""
    edges = np.array([0.0, -0.0, -1.0, -2.0, -7.0, -1e20, INF, -INF, NAN, 1.0, 2.0, 1e-310])
    tensor = Tensor(xpnet.asarray(edges))
    for name in ("lgamma", "digamma"):  # PyTorch's digamma(1) is 1 ulp off: allclose
        expected = getattr(torch, name)(torch.tensor(edges)).numpy()
        result = getattr(xpnet, name)(tensor).numpy()
        np.testing.assert_allclose(result, expected, rtol=1e-15, atol=0, err_msg=name)
    for n, sign in ((1, INF), (2, -INF), (3, INF)):  # PyTorch's trigamma: 5e-10 relative
        result = xpnet.polygamma(n, tensor).numpy()
        np.testing.assert_array_equal(result[:6], [sign] * 6)
        assert result[6] == 0 and np.isnan(result[7:9]).all()
        expected = torch.polygamma(n, torch.tensor(edges[9:])).numpy()
        np.testing.assert_allclose(result[9:], expected, rtol=2e-9 if n == 1 else 1e-13)
    assert xpnet.digamma(tensor).numpy()[1] == INF  # -0: copysign(inf, -x), as PyTorch


@pytest.mark.parametrize(
    ("method", "low", "high"),
    [
        (call("lgamma"), -9.9, 9.9),
        (lambda t: t.lgamma(), 0.01, 40.0),
        (call("digamma"), 20.0, 60.0),  # PyTorch's trigamma: 1e-13 relative only here
        (lambda t: t.digamma(), -60.0, -20.0),
        (lambda t: (torch if isinstance(t, torch.Tensor) else xpnet).polygamma(2, t), -5, 5),
        (lambda t: t.polygamma(3), 0.05, 8.0),
        (lambda t: t.polygamma(0), 20.0, 40.0),
        (call("mvlgamma", p=3), 1.01, 9.0),
    ],
)
def test_gradients_match_torch(backend, method, low, high):
    inputs = [random_input((3, 4), seed=5, low=low, high=high)]
    check_tensor_method(method, inputs, backend)
    check_tensor_method(method, inputs, backend, dtype=np.float32)


def test_digamma_gradient_is_trigamma_near_zero(backend):
    """Where PyTorch's trigamma is 5e-10 off, the gradient against PyTorch at 1e-9 and
    against mpmath's trigamma at 1e-14."""
    x = np.array([1.13, 0.3, -2.4, 4.5, -0.5])
    check_against_torch(
        lambda a: xpnet.digamma(Tensor(a)).array,
        lambda g, a: (lambda t: (t.digamma().backward(g), (t.grad,))[1])(
            Tensor(a, requires_grad=True)
        ),
        torch.digamma,
        [x],
        backend,
        rtol=1e-9,
    )
    tensor = Tensor(xpnet.asarray(x), requires_grad=True)
    tensor.digamma().sum().backward()
    expected = [truth("polygamma1", v) for v in x]
    np.testing.assert_allclose(Tensor(tensor.grad).numpy(), expected, rtol=1e-14)


@pytest.mark.parametrize("name", ["lgamma", "digamma", "polygamma1", "mvlgamma"])
def test_integer_inputs_give_the_default_float_dtype(backend, name):
    values = np.array([3, 4, 5])
    tensor = Tensor(xpnet.asarray(values))
    if name == "mvlgamma":
        result, expected = xpnet.mvlgamma(tensor, 2), torch.mvlgamma(torch.tensor(values), 2)
    else:
        result, expected = ours(name, tensor), ours_torch(name, torch.tensor(values))
    assert result.dtype == np.float32 and expected.dtype == torch.float32
    np.testing.assert_allclose(result.numpy(), expected.numpy(), rtol=1e-6)


def ours_torch(name, tensor):
    if name.startswith("polygamma"):
        return torch.polygamma(int(name[len("polygamma") :]), tensor)
    return getattr(torch, name)(tensor)


def test_float16_is_computed_in_float32(backend):
    x = np.array([0.3, 2.5, -1.5, 7.0], dtype=np.float16)
    for name in ("lgamma", "digamma", "polygamma2"):
        result = ours(name, Tensor(xpnet.asarray(x)))
        expected = ours_torch(name, torch.tensor(x.astype(np.float64))).numpy()
        assert result.dtype == np.float16
        np.testing.assert_allclose(result.numpy(), expected.astype(np.float16), rtol=1e-3)


@pytest.mark.parametrize(
    ("n", "error", "match"),
    [
        (-1, RuntimeError, "polygamma: n must be at least 0"),
        (1.5, TypeError, "must be int, not float"),
        (True, TypeError, "must be int, not bool"),
    ],
)
def test_polygamma_order_errors_as_torch(backend, n, error, match):
    tensor = Tensor(xpnet.asarray(np.array([1.0, 2.0])))
    with pytest.raises(error):
        torch.polygamma(n, torch.tensor([1.0, 2.0]))
    with pytest.raises(error, match=match):
        xpnet.polygamma(n, tensor)
    with pytest.raises(error, match=match):
        tensor.polygamma(n)


def test_mvlgamma_errors_as_torch(backend):
    tensor = Tensor(xpnet.asarray(np.array([1.0, 2.0])))
    for bad in (0, -1):
        with pytest.raises(RuntimeError):
            torch.mvlgamma(torch.tensor([1.0, 2.0]), bad)
        with pytest.raises(ArgumentError, match="p must be at least 1"):
            xpnet.mvlgamma(tensor, bad)
    assert np.isinf(tensor.mvlgamma(3).numpy()[0])  # no domain check, as PyTorch 2.13
    assert torch.mvlgamma(torch.tensor([1.0, 2.0]), 3)[0].isinf()
    with pytest.raises(TypeError, match="xpnet.lgamma: input must be a Tensor"):
        xpnet.lgamma([1.0])


@settings(PROFILE)
@given(value=st.floats(-50, 50, allow_nan=False), n=st.integers(0, 4))
def test_recurrences_hold(backend, value, n):
    """``lgamma(x + 1) = lgamma(x) + log|x|`` and ``polygamma(n, x + 1) = polygamma(n, x) +
    (-1)^(n+1) n! / x^(n+1)`` wherever ``x`` and ``x + 1`` are far from the poles."""
    x = np.array([value])
    if abs(value - round(value)) < 1e-3:
        x = x + 0.5
    shifted = Tensor(xpnet.asarray(x + 1.0))
    tensor = Tensor(xpnet.asarray(x))
    lgamma_step = xpnet.lgamma(shifted).numpy() - xpnet.lgamma(tensor).numpy()
    np.testing.assert_allclose(lgamma_step, np.log(np.abs(x)), rtol=1e-9, atol=1e-12)
    step = xpnet.polygamma(n, shifted).numpy() - xpnet.polygamma(n, tensor).numpy()
    expected = (-1) ** n * float(np.prod(np.arange(1, n + 1))) / x ** (n + 1)
    scale = np.abs(xpnet.polygamma(n, tensor).numpy()) + np.abs(expected)
    np.testing.assert_allclose(step, expected, rtol=0, atol=1e-12 * float(scale[0]) + 1e-13)


def test_empty_and_zero_dimensional(backend):
    empty = Tensor(xpnet.asarray(np.zeros((0, 3))), requires_grad=True)
    (xpnet.lgamma(empty) + empty.digamma() + empty.polygamma(2)).sum().backward()
    assert empty.grad.shape == (0, 3)
    check_tensor_method(call("lgamma"), [np.array(0.3)], backend)


IN_PLACE = [("lgamma_", ()), ("digamma_", ()), ("polygamma_", (1,)), ("polygamma_", (3,)),
            ("mvlgamma_", (2,))]  # fmt: skip


@pytest.mark.parametrize(("name", "args"), IN_PLACE)
def test_in_place_forms_match_torch(backend, name, args):
    """On a non-leaf (``x * 1``), recorded: the values and gradients are PyTorch's; on a plain
    tensor, the array itself changes (its views see it) and the version counts."""
    x = random_input((3, 4), seed=9, low=20.0, high=40.0)  # PyTorch's trigamma: 5e-10 below
    check_tensor_method(lambda t: getattr(t * 1, name)(*args), [x], backend)
    check_tensor_method(lambda t: getattr(t * 1, name)(*args), [x], backend, dtype=np.float32)
    plain = Tensor(xpnet.asarray(x))
    view, expected = plain.array[1:], getattr(plain, name[:-1])(*args).numpy()
    assert getattr(plain, name)(*args) is plain and plain._version == 1
    np.testing.assert_array_equal(plain.numpy(), expected)
    np.testing.assert_array_equal(xpnet.to_numpy(view), expected[1:])


@pytest.mark.parametrize(("name", "args"), IN_PLACE)
def test_in_place_forms_refuse_a_leaf_and_integers_as_torch(backend, name, args):
    leaf = Tensor(xpnet.asarray(np.array([1.5, 2.5])), requires_grad=True)
    with pytest.raises(RuntimeError):
        getattr(torch.tensor([1.5, 2.5], requires_grad=True), name)(*args)
    with pytest.raises(RuntimeError, match=f"Tensor.{name}: a leaf tensor that requires grad"):
        getattr(leaf, name)(*args)
    with xpnet.no_grad():
        getattr(leaf, name)(*args)
    assert leaf.requires_grad and leaf._version == 1
    with pytest.raises(RuntimeError, match="can't be cast"):
        getattr(torch.tensor([1, 2]), name)(*args)
    with pytest.raises(TypeError, match=f"Tensor.{name}: the result's dtype float32"):
        getattr(Tensor(xpnet.asarray(np.array([1, 2]))), name)(*args)


def test_in_place_change_under_no_grad_fails_an_earlier_backward(backend):
    x = Tensor(xpnet.asarray(np.array([1.5, 2.5])), requires_grad=True)
    y = x * 2
    z = y.sin()  # saves y
    with xpnet.no_grad():
        y.digamma_()  # the array itself changes: sin's backward refuses, as PyTorch's
    with pytest.raises(RuntimeError, match="changed by an in-place operation"):
        z.sum().backward()


@pytest.mark.parametrize(
    ("name", "value", "error", "match"),
    [
        ("polygamma_", -1, ArgumentError, "polygamma: n must be at least 0"),
        ("polygamma_", 1.5, TypeError, "argument 'n' must be int, not float"),
        ("mvlgamma_", 0, ArgumentError, "mvlgamma: p must be at least 1"),
        ("mvlgamma_", True, TypeError, "argument 'p' must be int, not bool"),
    ],
)
def test_in_place_order_errors_leave_the_tensor_as_torch(backend, name, value, error, match):
    theirs = torch.tensor([1.5, 2.5])
    with pytest.raises(RuntimeError if error is ArgumentError else TypeError):
        getattr(theirs, name)(value)
    ours = Tensor(xpnet.asarray(np.array([1.5, 2.5])))
    with pytest.raises(error, match=match):
        getattr(ours, name)(value)
    assert ours.tolist() == [1.5, 2.5] and ours._version == 0
