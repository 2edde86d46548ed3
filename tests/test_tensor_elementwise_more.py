"""``fmax``, ``fmin``, ``gcd``, ``lcm``, ``nextafter``, ``ldexp``, ``frexp``, ``angle`` and
the in-place ``gcd_``, ``lcm_``, ``ldexp_``, ``nextafter_`` of
:mod:`xpnet._tensor_elementwise_more` against PyTorch autograd in float64 and float32 (values
and every gradient, broadcast and non-contiguous operands), finite differences, NaN/inf,
signed zeros, ties and subnormals bit for bit, PyTorch's result dtypes over every pair of
dtypes, empty and 0-d tensors, and the errors, which name the function and the argument."""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pytest
import torch
from _oracle import (
    check_finite_differences,
    check_no_host_reads,
    check_tensor_method,
    random_input,
)

import xpnet
from xpnet._tensor_elementwise_more import UnsupportedDtypeError
from xpnet.autograd import Tensor
from xpnet.kernels import ArgumentError

NAN, INF = np.nan, np.inf
BINARY = ["fmax", "fmin", "nextafter", "ldexp"]


def call(name, form="function"):
    """``name`` of either library: ``torch.<name>(a, b)``/``xpnet.<name>(a, b)``, or the
    method ``a.<name>(b)``; PyTorch's ``ldexp`` warns that it resizes an output when ``other``
    broadcasts ``input`` larger (an internal ``out=``), which is not what is compared."""

    def run(*tensors):
        namespace = torch if isinstance(tensors[0], torch.Tensor) else xpnet
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", "An output with one or more elements was resized")
            if form == "method":
                return getattr(tensors[0], name)(*tensors[1:])
            return getattr(namespace, name)(*tensors)

    return run


def ours(backend, array, requires_grad=False):
    return Tensor(backend.asarray(np.asarray(array)), requires_grad=requires_grad)


def theirs(array, requires_grad=False):
    return torch.tensor(np.asarray(array), requires_grad=requires_grad)


def same(mine, reference):
    """Equal values, dtypes, NaNs and signs of zero."""
    mine = mine.numpy() if isinstance(mine, Tensor) else xpnet.to_numpy(mine)
    reference = reference.detach().numpy() if isinstance(reference, torch.Tensor) else reference
    assert mine.dtype == reference.dtype, f"dtype {mine.dtype} != {reference.dtype}"
    np.testing.assert_array_equal(mine, reference)
    np.testing.assert_array_equal(np.signbit(mine), np.signbit(reference))


SHAPES = [((3, 4), (3, 4)), ((3, 4), (4,)), ((3, 1), (1, 4)), ((), (2, 3)), ((0, 3), (1, 3))]


def _operands(shape_a, shape_b, seed=0):
    a = random_input(shape_a, seed=seed, low=-3.0, high=3.0)
    b = random_input(shape_b, seed=seed + 1, low=-3.0, high=3.0)
    return [a, b]


@pytest.mark.parametrize("name", BINARY)
@pytest.mark.parametrize(("shape_a", "shape_b"), SHAPES)
def test_binary_match_torch(backend, name, shape_a, shape_b):
    inputs = _operands(shape_a, shape_b)
    check_tensor_method(call(name), inputs, backend)
    check_tensor_method(call(name, "method"), inputs, backend, dtype=np.float32)


@pytest.mark.parametrize("name", BINARY)
def test_binary_of_non_contiguous_views_match_torch(backend, name):
    data = [random_input((4, 6), seed=2, low=-3, high=3), random_input((6, 8), seed=3)]
    check_tensor_method(lambda a, b: call(name)(a.t(), b[:, ::2]), data, backend)


@pytest.mark.parametrize("name", ["fmax", "fmin", "nextafter"])
def test_nan_inf_signed_zeros_and_ties_match_torch(backend, name):
    """NaN on either side or both (``fmax``/``fmin`` take the other value; the gradient goes
    to ``input`` where both are NaN), ties and 0 beside -0 (``input`` is taken and gets the
    gradient), infinities; ``nextafter``'s gradient is zero where ``input == other``."""
    a = np.array([1.0, NAN, 2.0, NAN, 3.0, 0.0, -0.0, INF, -INF, INF, -0.0])
    b = np.array([NAN, 1.0, 2.0, NAN, 1.0, -0.0, 0.0, NAN, 5.0, INF, -0.0])
    grad = np.arange(1.0, 12.0)
    ta, tb = theirs(a, True), theirs(b, True)
    xa, xb = ours(backend, a, True), ours(backend, b, True)
    expected, result = getattr(torch, name)(ta, tb), getattr(xpnet, name)(xa, xb)
    same(result, expected)
    expected.backward(torch.tensor(grad))
    result.backward(backend.asarray(grad))
    same(xa.grad, ta.grad.numpy())
    same(xb.grad, tb.grad.numpy())


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_nextafter_steps_bit_for_bit_as_torch(backend, dtype):
    """Every pair of normal, subnormal, extreme and special values, in every float dtype:
    the bits equal PyTorch's (``std::nextafter``), subnormals and the float16 steps too."""
    info = np.finfo(dtype)
    special = [0.0, -0.0, INF, -INF, NAN, info.max, -info.max, info.tiny, -info.tiny]
    special += [info.smallest_subnormal, -info.smallest_subnormal, 1.0, -1.0, 1.5, -2.0]
    values = np.array(special + list(random_input((10,), seed=4) * 100)).astype(dtype)
    a, b = np.repeat(values, len(values)), np.tile(values, len(values))
    result = xpnet.nextafter(ours(backend, a), ours(backend, b)).numpy()
    expected = torch.nextafter(theirs(a), theirs(b)).numpy()
    assert result.dtype == dtype
    bits = f"int{8 * result.itemsize}"
    np.testing.assert_array_equal(result.view(bits), expected.view(bits))


DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64"]


def _values(dtype, shape):
    return np.array([3, 0, 5, 1, 7, 2][: int(np.prod(shape))]).reshape(shape).astype(dtype)


@pytest.mark.parametrize("name", ["fmax", "fmin", "gcd", "lcm", "nextafter", "ldexp"])
def test_result_dtypes_and_dtype_errors_match_torch(backend, name):
    """Every pair of dtypes, with dimensions or 0-d on either side: PyTorch's result dtype
    and values, or its error for the dtypes it refuses (``gcd`` of floats or of two bools,
    ``nextafter`` of integers, ``ldexp`` of a float by bools: NotImplementedError, which
    :class:`UnsupportedDtypeError` also is, besides a TypeError)."""
    for dtype_a, dtype_b in itertools.product(DTYPES, DTYPES):
        for shape_a, shape_b in (((3,), (3,)), ((3,), ()), ((), (3,))):
            a, b = _values(dtype_a, shape_a), _values(dtype_b, shape_b)
            try:
                expected, refused = call(name)(theirs(a), theirs(b)), None
            except NotImplementedError as error:
                refused = error
            if refused is not None:
                with pytest.raises(UnsupportedDtypeError, match=f"xpnet.{name}: .*, got"):
                    getattr(xpnet, name)(ours(backend, a), ours(backend, b))
                continue
            result = getattr(xpnet, name)(ours(backend, a), ours(backend, b))
            assert str(result.dtype) == str(expected.dtype).removeprefix("torch."), (a, b)
            np.testing.assert_allclose(
                result.numpy().astype(float), expected.numpy().astype(float), rtol=1e-3
            )


@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.int16, np.int8, np.uint8])
@pytest.mark.parametrize("name", ["gcd", "lcm"])
def test_gcd_lcm_match_torch(backend, name, dtype):
    """Negative values, zeros, the most negative int8 (its gcd with 0 stays negative, as
    PyTorch's and C's), broadcasting and overflow (lcm wraps, as PyTorch's). Not compared:
    int8's -128 beside a divisor other than a power of 2, whose |-128| overflows in PyTorch's
    Euclid (``gcd(-128, 6)`` is -2 there, 2 in NumPy's)."""
    a = np.array([[0, 6, -4, -9, 0, 7, 100, -128, 12]])
    b = np.array([[0], [4], [-8]])
    if dtype == np.uint8:
        a, b = np.abs(a), np.abs(b)
    if dtype in (np.int8, np.uint8):
        a = np.clip(a, np.iinfo(dtype).min, np.iinfo(dtype).max)
    a, b = a.astype(dtype), b.astype(dtype)
    expected = getattr(torch, name)(theirs(a), theirs(b))
    same(getattr(xpnet, name)(ours(backend, a), ours(backend, b)), expected)
    same(getattr(ours(backend, b), name)(ours(backend, a)), getattr(theirs(b), name)(theirs(a)))
    assert not getattr(xpnet, name)(ours(backend, a), ours(backend, b)).requires_grad


@pytest.mark.parametrize("exponent_dtype", [np.int64, np.int32, np.int8, np.uint8, np.float64])
@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_ldexp_values_match_torch(backend, dtype, exponent_dtype):
    """Integer exponents scale exactly (``ldexp(0, 2000)`` is 0, not NaN; subnormal results
    rounded once), float ones multiply by ``2**other`` (0 * inf is NaN there, as PyTorch's;
    float16's power rounded to float16 first, bit for bit)."""
    a = np.array([1.0, 3.0, 0.0, -0.0, INF, -INF, NAN, 1e-3, 1e3, 0.7, -0.7, 0.7])
    e = np.array([2000, -150, 2000, -5, 1, 1, 1, 128, -1100, -1075, -1074, 3])
    if exponent_dtype in (np.int8, np.uint8):
        e = np.clip(e, np.iinfo(exponent_dtype).min, np.iinfo(exponent_dtype).max)
    a, e = a.astype(dtype), e.astype(exponent_dtype)
    expected = torch.ldexp(theirs(a), theirs(e))
    result = xpnet.ldexp(ours(backend, a), ours(backend, e))
    if exponent_dtype == np.float64 and dtype != np.float16:  # PyTorch's pow: 1 ulp apart
        np.testing.assert_allclose(result.numpy(), expected.numpy(), rtol=1e-15)
        return
    same(result, expected)


def test_ldexp_float16_products_are_torchs_bit_for_bit(backend):
    a = random_input((200,), seed=5, low=-4, high=4).astype(np.float16)
    e = random_input((200,), seed=6, low=-12, high=12).astype(np.float16)
    same(xpnet.ldexp(ours(backend, a), ours(backend, e)), torch.ldexp(theirs(a), theirs(e)))


def test_ldexp_integer_exponents_gradients(backend):
    """``grad * 2**other``: PyTorch's for non-negative exponents; for negative ones PyTorch
    2.13 computes ``2**other`` in integer arithmetic (giving 0), xpnet the true power."""
    a = random_input((2, 4), seed=7)
    e = np.array([[0, 1, 3, 10], [-1, -3, 2, -20]])
    grad = random_input((2, 4), seed=8)
    x, t = ours(backend, a, True), theirs(a, True)
    xpnet.ldexp(x, ours(backend, e)).backward(backend.asarray(grad))
    torch.ldexp(t, theirs(e)).backward(torch.tensor(grad))
    np.testing.assert_array_equal(xpnet.to_numpy(x.grad), grad * 2.0**e)
    np.testing.assert_array_equal(xpnet.to_numpy(x.grad)[e >= 0], t.grad.numpy()[e >= 0])
    assert not t.grad.numpy()[e < 0].any()  # PyTorch's integer power: the reason we differ


@pytest.mark.parametrize("name", ["fmax", "fmin", "ldexp", "nextafter"])
def test_binary_gradients_match_finite_differences(backend, name):
    def forward(a, b):
        return getattr(xpnet, name)(Tensor(a), Tensor(b)).array

    def backward(grad_output, a, b):
        ta, tb = Tensor(a, requires_grad=True), Tensor(b, requires_grad=True)
        getattr(xpnet, name)(ta, tb).backward(grad_output)
        return ta.grad, tb.grad

    inputs = [random_input((2, 3), seed=9, low=-2, high=2), random_input((1, 3), seed=10)]
    # nextafter moves by one ulp: its slope is 1 for input, 0 for other, as PyTorch defines
    check_finite_differences(forward, backward, inputs, backend)


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_frexp_matches_torch(backend, dtype):
    info = np.finfo(dtype)
    values = [8.0, 0.0, -0.0, -3.5, INF, -INF, NAN, 0.75, info.smallest_subnormal, info.max]
    values = np.array(values + list(random_input((6,), seed=11) * 50)).astype(dtype)
    result, expected = xpnet.frexp(ours(backend, values)), torch.frexp(theirs(values))
    same(result.mantissa, expected.mantissa)
    same(result.exponent, expected.exponent)
    mantissa, exponent = ours(backend, values).frexp()
    assert mantissa.dtype == dtype and exponent.dtype == np.int32
    assert result._fields == ("mantissa", "exponent")


def test_frexp_gradient_matches_torch(backend):
    """``grad / 2**exponent``, exact. PyTorch takes ``2**exponent`` in float32 (its default
    dtype), so its float64 gradients are inf below 2**-150 and 0 from 2**127 on."""
    values = np.array([8.0, -3.5, 0.75, 1e-40, INF, NAN, 0.0, 1e38])
    check_tensor_method(lambda t: call("frexp")(t).mantissa, [values], backend)
    check_tensor_method(lambda t: t.frexp()[0], [random_input((3, 4), seed=12)], backend,
                        dtype=np.float32)  # fmt: skip
    extreme = ours(backend, np.array([1e-300, 1e-305, 1e300]), True)
    xpnet.frexp(extreme).mantissa.sum().backward()
    assert xpnet.to_numpy(extreme.grad).tolist() == [2.0**996, 2.0**1013, 2.0**-997]

    def forward(a):
        return xpnet.frexp(Tensor(a)).mantissa.array

    def backward(grad_output, a):
        t = Tensor(a, requires_grad=True)
        xpnet.frexp(t).mantissa.backward(grad_output)
        return t.grad

    check_finite_differences(forward, backward, [np.array([0.3, -3.0, 5.5, 100.0])], backend)


@pytest.mark.parametrize(
    "dtype", [np.float16, np.float32, np.float64, np.int64, np.int8, np.uint8, np.bool_]
)
def test_angle_matches_torch(backend, dtype):
    """0 or pi (-0 gives 0), NaN kept; integers and bools give float32 (uint8 is never
    negative); the gradient is zero, and the result requires grad, as PyTorch's."""
    floats = np.array([2.0, 0.0, -0.0, -3.5, INF, -INF, NAN, 1.0])
    values = floats if np.dtype(dtype).kind == "f" else np.array([2, 0, -3, 1])
    values = values.astype(dtype)  # -3 wraps to 253 in uint8
    same(xpnet.angle(ours(backend, values)), torch.angle(theirs(values)))
    same(ours(backend, values).angle(), theirs(values).angle())
    if np.dtype(dtype).kind == "f":
        finite = values if dtype != np.float16 else values[np.isfinite(values)]
        check_tensor_method(call("angle"), [finite], backend, dtype=dtype)  # f16 ulps: finite
        assert xpnet.angle(ours(backend, values, True)).requires_grad


def test_angle_of_complex_tensors_has_torchs_values(backend):
    values = np.array([1 + 1j, -1 + 0j, -2j, 0j])
    np.testing.assert_allclose(
        xpnet.angle(ours(backend, values)).numpy(), torch.angle(theirs(values)).numpy()
    )


@pytest.mark.parametrize("name", ["gcd_", "lcm_", "ldexp_", "nextafter_"])
def test_in_place_forms_match_torch(backend, name):
    """The in-place methods PyTorch's Tensor has (``fmax_``, ``frexp_``, ``angle_`` do not
    exist there, nor here), broadcasting ``other`` and casting to ``self``'s dtype."""
    floats = name in ("ldexp_", "nextafter_")
    a = np.array([[4.0, 6.0, -9.0], [0.5, 7.0, 12.0]]) if floats else np.array([[4, 6, -9]] * 2)
    b = np.array([2, -4, 3], dtype=np.int32)
    b = b.astype(np.float64) if name == "nextafter_" else b
    mine, reference = ours(backend, a.copy()), theirs(a.copy())
    assert getattr(mine, name)(ours(backend, b)) is mine
    getattr(reference, name)(theirs(b))
    same(mine, reference)
    assert mine._version == 1
    function = getattr(xpnet, name, None)
    assert (function is None) == (getattr(torch, name, None) is None)
    if function is not None:  # torch.gcd_(input, other) and xpnet's
        same(function(ours(backend, a.copy()), ours(backend, b)), reference)


def test_in_place_sets_match_torch():
    for name in ("fmax", "fmin", "gcd", "lcm", "nextafter", "ldexp", "frexp", "angle"):
        assert hasattr(Tensor, name) and hasattr(xpnet, name)
        assert hasattr(Tensor, f"{name}_") == hasattr(torch.Tensor, f"{name}_"), name


def test_recorded_ldexp_in_place_matches_torch(backend):
    a, e = random_input((2, 3), seed=13), random_input((3,), seed=14, low=-2, high=2)

    def in_place(t, exponent):
        h = t * 1.0
        h.ldexp_(exponent)
        return h

    check_tensor_method(call("ldexp"), [a, e], backend)
    check_tensor_method(in_place, [a, e], backend)


def test_empty_and_zero_d(backend):
    empty = ours(backend, np.zeros((0, 3)), True)
    total = xpnet.fmax(empty, empty) + xpnet.ldexp(empty, empty) + xpnet.frexp(empty).mantissa
    (total + xpnet.nextafter(empty, empty) + xpnet.angle(empty)).sum().backward()
    assert total.shape == (0, 3) and empty.grad.shape == (0, 3)
    ints = ours(backend, np.zeros((0, 2), dtype=np.int64))
    assert xpnet.gcd(ints, ints).shape == (0, 2) and xpnet.lcm(ints, ints).dtype == np.int64
    for name in BINARY:
        check_tensor_method(call(name), [np.array(1.5), np.array(-2.0)], backend)


ERRORS = [
    # (name, other, xpnet's error, match, PyTorch's error)
    ("fmax", 2.0, TypeError, "xpnet.fmax: other must be a Tensor or an array, got float", TypeError),  # noqa: E501
    ("fmin", "x", TypeError, "xpnet.fmin: other must be a Tensor or an array, got str", TypeError),  # noqa: E501
    ("gcd", 2, TypeError, "xpnet.gcd: other must be a Tensor or an array, got int", TypeError),
    ("ldexp", 2, TypeError, "xpnet.ldexp: other must be a Tensor or an array, got int", TypeError),  # noqa: E501
    ("nextafter", (3,), ArgumentError, r"xpnet.nextafter: shapes must broadcast, got input \(2,\) and other \(3,\)", RuntimeError),  # noqa: E501
    ("fmax", (3,), ArgumentError, r"xpnet.fmax: shapes must broadcast", RuntimeError),
    ("lcm", (3,), ArgumentError, r"xpnet.lcm: shapes must broadcast", RuntimeError),
]  # fmt: skip


@pytest.mark.parametrize(("name", "other", "error", "match", "torch_error"), ERRORS)
def test_errors_name_function_and_argument(backend, name, other, error, match, torch_error):
    dtype = np.int64 if name in ("gcd", "lcm") else np.float64
    a = np.ones(2, dtype=dtype)
    b = np.ones(other, dtype=dtype) if isinstance(other, tuple) else other
    with pytest.raises(torch_error):
        call(name)(theirs(a), theirs(b) if isinstance(other, tuple) else b)
    with pytest.raises(error, match=match):
        call(name)(ours(backend, a), ours(backend, b) if isinstance(other, tuple) else b)


def test_dtype_errors_name_function_and_dtypes(backend):
    floats, ints = ours(backend, np.ones(2)), ours(backend, np.ones(2, dtype=np.int64))
    flags = ours(backend, np.ones(2, dtype=bool))
    cases = [
        (lambda: xpnet.gcd(floats, ints), "xpnet.gcd: input and other must be integer tensors, got float64 and int64"),  # noqa: E501
        (lambda: flags.lcm(flags), "xpnet.lcm: input and other must be integer tensors, got bool and bool"),  # noqa: E501
        (lambda: ints.nextafter(ints), "xpnet.nextafter: input and other must not both be integer or bool, got int64"),  # noqa: E501
        (lambda: xpnet.frexp(ints), "xpnet.frexp: input must be a floating point tensor, got int64"),  # noqa: E501
        (lambda: floats.ldexp(flags), "xpnet.ldexp: other must not be bool beside a floating input, got float64 and bool"),  # noqa: E501
        (lambda: ints.gcd_(floats), "xpnet.gcd: input and other must be integer tensors"),
    ]  # fmt: skip
    for run, match in cases:
        with pytest.raises(UnsupportedDtypeError, match=match) as caught:
            run()
        assert isinstance(caught.value, TypeError | NotImplementedError | RuntimeError)
    with pytest.raises(RuntimeError):
        torch.frexp(torch.ones(2, dtype=torch.int64))
    with pytest.raises(TypeError, match="xpnet.frexp: input must be a Tensor or an array"):
        xpnet.frexp([1.0])
    with pytest.raises(TypeError, match="Tensor.ldexp_: the result's dtype float32"):
        ints.ldexp_(ints)
    with pytest.raises(RuntimeError, match=r"Tensor.gcd_: the result's broadcast shape \(2, 2\)"):
        ints.gcd_(ours(backend, np.ones((2, 1), dtype=np.int64)))


def test_mixed_backends_are_refused(backend):
    other = "strict" if backend.name != "strict" else "numpy"
    with xpnet.use_backend(other) as elsewhere:
        b = Tensor(elsewhere.asarray(np.ones(2)))
    with pytest.raises(TypeError, match="xpnet.fmax: all arrays must be on one backend"):
        xpnet.fmax(ours(backend, np.ones(2)), b)


@pytest.mark.parametrize("name", BINARY)
def test_binary_have_no_host_reads_on_strict(strict, name):
    other = np.array([[0.5, -1.0, 2.0]])
    check_no_host_reads(strict, lambda x: call(name)(x, strict.asarray(other)), (4, 3))


def test_unary_have_no_host_reads_on_strict(strict):
    check_no_host_reads(strict, lambda x: xpnet.frexp(x).mantissa + xpnet.angle(x))
    check_no_host_reads(strict, lambda x: x.ldexp(strict.asarray(np.array([3, -2, 0]))))
