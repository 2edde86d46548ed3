"""Regression tests for the differences from ``torch.distributions`` (PyTorch 2.13) that a
differential fuzz of ``xpnet.distributions`` found: a Gumbel of 0-d Tensors drawing in the
default dtype, LogNormal's ``cdf`` refusing 0, NumPy's error for a gamma draw of a negative
concentration, Bernoulli log-probabilities of a value of another dtype, and the gradients of
the multivariate normal's and Wishart's ``precision_matrix`` and Wishart's ``log_prob`` to
the whole ``scale_tril``.

PyTorch is the oracle: each case runs on both libraries, in float64 unless it says otherwise.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from _oracle import assert_close

import xpnet
import xpnet.distributions as xd
from xpnet.autograd import Tensor
from xpnet.backends import get_backend

TINY64 = np.finfo(np.float64).tiny


def _close(ours, expected):
    """``ours`` (xpnet) against ``expected`` (torch) at float64's tolerance, NaNs and infs equal."""
    assert_close(ours.detach().numpy(), expected.detach().numpy(), np.float64)


def _pair(values, dtype="float64", requires_grad=False):
    """The same values as a torch Tensor and an xpnet Tensor on the current backend."""
    array = np.asarray(values, dtype=dtype)
    return (
        torch.tensor(array, requires_grad=requires_grad),
        Tensor(get_backend().asarray(array), requires_grad=requires_grad),
    )


# 1. Gumbel of 0-d Tensors: the base uniform in their dtype (torch's full_like), not the default
def test_gumbel_of_zero_dim_tensors_keeps_their_dtype(backend):
    (loc_t, loc_x), (scale_t, scale_x) = _pair(0.5), _pair(2.0)
    expected = torch.distributions.Gumbel(loc_t, scale_t)
    ours = xd.Gumbel(loc_x, scale_x)
    assert ours.sample((3,)).dtype == xpnet.float64
    assert ours.rsample().dtype == xpnet.float64
    q_t, q_x = _pair([0.0, 0.5, 1.0])
    _close(ours.icdf(q_x), expected.icdf(q_t))  # finite at 0 and 1, as torch's


# 2. LogNormal's cdf validates log(value) against the base normal, as torch's transformed cdf
def test_lognormal_cdf_validates_as_torch(backend):
    value_t, value_x = _pair([0.0, 1.0, 3.0])
    expected = torch.distributions.LogNormal(0.5, 1.5, validate_args=True).cdf(value_t)
    _close(xd.LogNormal(0.5, 1.5, validate_args=True).cdf(value_x), expected)
    bad_t, bad_x = _pair([-1.0])
    with pytest.raises(ValueError, match="support"):
        torch.distributions.LogNormal(0.5, 1.5, validate_args=True).cdf(bad_t)
    with pytest.raises(ValueError, match=r"within the support \(Real\(\)\)"):
        xd.LogNormal(0.5, 1.5, validate_args=True).cdf(bad_x)


# 3. gamma draws of a negative or NaN concentration: torch's tiny, not NumPy's "shape < 0"
GAMMA_FAMILIES = {
    "Gamma": lambda D, c: D.Gamma(c, 1.0, validate_args=False),
    "Chi2": lambda D, c: D.Chi2(c, validate_args=False),
    "Beta": lambda D, c: D.Beta(c, c.abs() + 1, validate_args=False),
    "Dirichlet": lambda D, c: D.Dirichlet(c, validate_args=False),
    "InverseGamma": lambda D, c: D.InverseGamma(c, 1.0, validate_args=False),
    "NegativeBinomial": lambda D, c: D.NegativeBinomial(c, 0.5, validate_args=False),
}


@pytest.mark.parametrize("name", GAMMA_FAMILIES)
def test_gamma_draws_of_invalid_concentration_as_torch(backend, name):
    values = [-1.0, float("nan"), float("-inf"), 2.0]
    c_t, c_x = _pair(values)
    expected = GAMMA_FAMILIES[name](torch.distributions, c_t).sample((2,))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        draws = GAMMA_FAMILIES[name](xd, c_x).sample((2,))
    assert tuple(draws.shape) == tuple(expected.shape)
    assert draws.dtype == xpnet.float64


def test_standard_gamma_of_invalid_concentration_is_tiny(backend):
    c_t, c_x = _pair([-1.0, float("nan"), float("-inf"), 0.0])
    expected = torch._standard_gamma(c_t)  # every draw the dtype's tiny
    np.testing.assert_array_equal(expected.numpy(), np.full(4, TINY64))
    draws = xd.Gamma(c_x, 1.0, validate_args=False).sample()
    np.testing.assert_array_equal(draws.numpy(), expected.numpy())


# 4. Bernoulli log-probabilities of a value of another floating dtype: torch's value and dtype
@pytest.mark.parametrize("name", ["Bernoulli", "ContinuousBernoulli"])
@pytest.mark.parametrize("dtypes", [("float32", "float64"), ("float64", "float32")])
def test_bernoulli_log_prob_of_value_of_another_dtype(backend, name, dtypes):
    (p_t, p_x), (v_t, v_x) = _pair([0.3, 0.8], dtypes[0], True), _pair([1.0, 0.0], dtypes[1])
    expected = getattr(torch.distributions, name)(p_t).log_prob(v_t)
    ours = getattr(xd, name)(p_x).log_prob(v_x)
    assert str(ours.dtype) == str(expected.dtype).removeprefix("torch.")
    np.testing.assert_allclose(ours.detach().numpy(), expected.detach().numpy(), rtol=1e-6)
    expected.sum().backward()
    ours.sum().backward()
    np.testing.assert_allclose(p_x.grad.numpy(), p_t.grad.numpy(), rtol=1e-6)


# 5. gradients to the whole scale_tril, upper triangle included (torch's cholesky_solve and
# cholesky_inverse reach it; two triangular solves do not)
def _factor():
    rng = np.random.default_rng(0)
    return np.tril(rng.normal(size=(2, 3, 3)), -1) + np.diag([1.0, 1.5, 2.0])


SCALE_TRIL_USES = {
    "MultivariateNormal.precision_matrix": lambda D, L, v: (
        D.MultivariateNormal(L.sum(-1), scale_tril=L).precision_matrix
    ),
    "Wishart.precision_matrix": lambda D, L, v: D.Wishart(4.5, scale_tril=L).precision_matrix,
    "Wishart.log_prob": lambda D, L, v: D.Wishart(4.5, scale_tril=L).log_prob(v),
}


@pytest.mark.parametrize("use", SCALE_TRIL_USES)
def test_scale_tril_gradient_reaches_the_upper_triangle(backend, use):
    L_t, L_x = _pair(_factor(), requires_grad=True)
    spd = np.array([[2.0, 0.3, 0.1], [0.3, 1.5, -0.2], [0.1, -0.2, 1.0]])
    v_t, v_x = _pair(np.stack([spd, spd + np.eye(3)]))
    expected = SCALE_TRIL_USES[use](torch.distributions, L_t, v_t)
    ours = SCALE_TRIL_USES[use](xd, L_x, v_x)
    weight = np.arange(1.0, 1.0 + expected.numel()).reshape(tuple(expected.shape))
    (expected * torch.tensor(weight)).sum().backward()
    (ours * _pair(weight)[1]).sum().backward()
    _close(ours, expected)
    assert np.abs(np.triu(L_t.grad.numpy(), 1)).max() > 1e-3  # torch's is not zero there
    np.testing.assert_allclose(L_x.grad.numpy(), L_t.grad.numpy(), rtol=1e-9, atol=1e-10)
