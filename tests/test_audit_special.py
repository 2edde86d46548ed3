"""Regression tests for the differences from PyTorch 2.13 the ``xpnet.special`` audit found:
edge values (signed zeros, the largest floats, tiny negatives of the gamma family, the
Hurwitz zeta function below ``q = -30`` and at huge ``s``), float32 accuracy of ``erfc`` and
``erfcx``, the ``i1``/``i1e`` gradients at NaN and below ``eps``, ``gammainc``'s dtype
promotion, and the complex (and, for ``round``, integer) inputs PyTorch's kernels refuse.

PyTorch is the oracle: each case runs on both libraries; a refusal must be PyTorch's class
with a message naming the function and the argument.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import xpnet

BIG = np.finfo(np.float64).max


def _both(name, *arrays, dtype=np.float64, **kwargs):
    """``(ours, theirs)`` of ``special.<name>`` as NumPy arrays, NumPy warnings as errors."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ours = getattr(xpnet.special, name)(*[xpnet.tensor(np.asarray(a, dtype)) for a in arrays])
    theirs = getattr(torch.special, name)(*[torch.tensor(np.asarray(a, dtype)) for a in arrays])
    return ours.numpy(), theirs.numpy()


# name, inputs, rtol: the largest floats (1 / (x sqrt pi) and 1 / sqrt(2 pi x) are finite
# there), -0.0 (its sign), tiny negatives of lgamma / polygamma (pi r subnormal, inf - inf)
EDGES = [
    ("erfcx", [BIG, 1e308, -BIG], 1e-14),
    ("i0e", [BIG, -BIG, 1e308], 1e-14),
    ("i1e", [BIG, -BIG, 1e308], 1e-14),
    ("i1", [BIG, -BIG, 1e308], 0),
    ("erfinv", [-0.0, 0.0], 0),
    ("bessel_j1", [-0.0, 0.0], 0),
    ("gammaln", [-5e-324, -1e-310, -1e-200, -1e-9], 1e-14),
]


@pytest.mark.parametrize(("name", "inputs", "rtol"), EDGES, ids=[e[0] for e in EDGES])
def test_edge_values_as_torch(backend, name, inputs, rtol):
    ours, theirs = _both(name, inputs)
    np.testing.assert_allclose(ours, theirs, rtol=rtol, atol=0)
    np.testing.assert_array_equal(np.signbit(ours), np.signbit(theirs))


@pytest.mark.parametrize("n", [1, 2, 3, 5])
def test_polygamma_just_below_zero(backend, n):
    """``(-1)^(n+1) n! / x^(n+1)`` dominates: ``+inf`` at -5e-324 (it was NaN), finite above."""
    x = np.array([-5e-324, -1e-300, -1e-12])
    ours = xpnet.special.polygamma(n, xpnet.tensor(x)).numpy()
    theirs = torch.special.polygamma(n, torch.tensor(x)).numpy()
    np.testing.assert_allclose(ours, theirs, rtol=1e-12)


def test_zeta_below_minus_thirty_and_at_huge_s(backend):
    """PyTorch sums ``(q + k)^-s`` up to ``q + k > 9`` for negative ``q``: 9.8597 at (2, -100.5),
    where 30 terms then Euler-Maclaurin from ``a = -70.5`` gave -0.0099; at ``s = 1e300``
    ``inf`` below ``q = 1`` and 1 at 1 (NaN was ``0 * inf`` in the tail)."""
    s = np.array([2.0, 4.0, 2.0, 6.0, 1e300, 1e300, 1e300, 1e20, 1e3])
    q = np.array([-100.5, -100.5, -1000.25, -40.75, 0.5, 1.0, -3.5, 0.25, -100.5])
    ours, theirs = _both("zeta", s, q)
    np.testing.assert_allclose(ours, theirs, rtol=1e-10)


def test_zeta_below_zero_exact_where_torch_cancels(backend):
    """An odd ``s`` with ``q = -k - 1/2``: the terms below 0 cancel those above exactly, leaving
    ``zeta(s, k + 1/2)`` (PyTorch's running sum keeps 10 digits of it at (3, -100.5))."""
    ours = xpnet.special.zeta(xpnet.tensor([3.0, 25.0]), xpnet.tensor([-100.5, -3.5]))
    expected = torch.special.zeta(torch.tensor([3.0, 25.0]), torch.tensor([101.5, 4.5]))
    np.testing.assert_allclose(ours.numpy(), expected.numpy(), rtol=1e-6)


@pytest.mark.parametrize("name", ["erfc", "erfcx"])
def test_float32_erfc_to_float32_rounding(backend, name):
    """float32 computed in float64: within float32's rounding of PyTorch's float64 value (its
    float32 ``1 - erf`` and ``exp(x^2)`` were 10 and 15 ulps off near 0.9)."""
    x = np.linspace(0.5, 1.0, 2001, dtype=np.float32)
    ours = getattr(xpnet.special, name)(xpnet.tensor(x)).numpy()
    exact = getattr(torch.special, name)(torch.tensor(x, dtype=torch.float64)).numpy()
    ulps = np.abs(ours - exact) / np.spacing(exact.astype(np.float32))
    assert ours.dtype == np.float32 and ulps.max() <= 0.5 + 1e-6


@pytest.mark.parametrize("name", ["i1", "i1e"])
def test_i1_gradient_at_nan_and_below_eps(backend, name):
    """PyTorch's ``i1_backward``/``i1e_backward``: 0.5 where ``not |x| > eps``, NaN included."""
    x = np.array([np.nan, 1e-17, -1e-20, 0.0, 0.5, -3.0])
    ours = xpnet.tensor(x, requires_grad=True)
    theirs = torch.tensor(x, requires_grad=True)
    getattr(xpnet.special, name)(ours).sum().backward()
    getattr(torch.special, name)(theirs).sum().backward()
    np.testing.assert_allclose(xpnet.to_numpy(ours.grad), theirs.grad.numpy(), rtol=1e-13)


PROMOTIONS = {
    "float32, int64": (lambda m: m.tensor([0.5, 1.5, 2.0]), lambda m: m.tensor([0, 1, 2])),
    "uint8, float64": (
        lambda m: m.tensor([0, 1, 2], dtype=m.uint8),
        lambda m: m.tensor([0.5, 1.5, 2.0], dtype=m.float64),
    ),
    "bool, float32": (lambda m: m.tensor([True, False]), lambda m: m.tensor([0.5, 2.0])),
    "float32, 0-d float64": (
        lambda m: m.tensor([0.5, 1.5]),
        lambda m: m.tensor(3.0, dtype=m.float64),
    ),
    "int64, 0-d float64": (lambda m: m.tensor([1, 2]), lambda m: m.tensor(3.0, dtype=m.float64)),
}


@pytest.mark.parametrize("name", ["gammainc", "gammaincc"])
@pytest.mark.parametrize("pair", list(PROMOTIONS), ids=list(PROMOTIONS))
def test_gammainc_promotes_as_torch(backend, name, pair):
    """PyTorch's type promotion (an integer beside a float, a 0-d float64 beside float32); it
    refused an integer or bool operand, and gave float64 for a 0-d float64 one."""
    make_a, make_b = PROMOTIONS[pair]
    ours = getattr(xpnet.special, name)(make_a(xpnet), make_b(xpnet))
    theirs = getattr(torch.special, name)(make_a(torch), make_b(torch))
    assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1]
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)


@pytest.mark.parametrize("name", ["gammainc", "gammaincc"])
def test_gammainc_refuses_two_integer_tensors(backend, name):
    a = {m: m.tensor([1, 2]) for m in (torch, xpnet)}
    with pytest.raises(NotImplementedError):
        getattr(torch.special, name)(a[torch], a[torch])
    with pytest.raises(NotImplementedError, match=f"special.{name}: input and other"):
        getattr(xpnet.special, name)(a[xpnet], a[xpnet])


COMPLEX_REFUSED = [
    ("erf", ()), ("erfc", ()), ("erfcx", ()), ("erfinv", ()), ("logit", ()), ("gammaln", ()),
    ("digamma", ()), ("i0", ()), ("i0e", ()), ("i1", ()), ("i1e", ()), ("ndtr", ()),
    ("ndtri", ()), ("log_ndtr", ()), ("entr", ()), ("round", ()), ("modified_bessel_i0", ()),
    ("modified_bessel_k0", ()), ("bessel_j0", ()), ("bessel_y1", ()), ("airy_ai", ()),
    ("spherical_bessel_j0", ()), ("xlogy", (2.0,)), ("xlog1py", (2.0,)), ("zeta", (2.0,)),
    ("chebyshev_polynomial_t", (2,)), ("legendre_polynomial_p", (3,)),
]  # fmt: skip


@pytest.mark.parametrize(("name", "rest"), COMPLEX_REFUSED, ids=[c[0] for c in COMPLEX_REFUSED])
def test_complex_input_refused_as_torch(backend, name, rest):
    """PyTorch's CPU kernels: NotImplementedError for complex (xpnet computed on the real
    part with a ComplexWarning, or returned a complex result)."""
    with pytest.raises(NotImplementedError):
        getattr(torch.special, name)(torch.tensor([1 + 1j]), *rest)
    with pytest.raises(NotImplementedError, match=f"special.{name}: input must be a real"):
        getattr(xpnet.special, name)(xpnet.tensor([1 + 1j]), *rest)


@pytest.mark.parametrize("name", ["xlogy", "zeta", "xlog1py"])
def test_complex_other_refused_as_torch(backend, name):
    with pytest.raises(NotImplementedError):
        getattr(torch.special, name)(torch.tensor([2.0]), torch.tensor([1 + 1j]))
    with pytest.raises(NotImplementedError, match=f"special.{name}: other must be a real"):
        getattr(xpnet.special, name)(xpnet.tensor([2.0]), xpnet.tensor([1 + 1j]))


@pytest.mark.parametrize("dtype", ["int64", "uint8", "bool"])
@pytest.mark.parametrize("decimals", [0, 2])
def test_special_round_refuses_integers(backend, dtype, decimals):
    """``torch.special.round`` (unlike ``torch.round``) has no integer or bool kernel."""
    with pytest.raises(NotImplementedError):
        torch.special.round(torch.tensor([1, 0], dtype=getattr(torch, dtype)), decimals=decimals)
    x = xpnet.tensor([1, 0], dtype=getattr(xpnet, dtype))
    with pytest.raises(NotImplementedError, match="special.round: input must be a real"):
        xpnet.special.round(x, decimals=decimals)
