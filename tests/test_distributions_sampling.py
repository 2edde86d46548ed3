"""Sampling of xpnet.distributions: shapes and dtypes, repeatability under
``xpnet.manual_seed``, the moments of 20,000 draws against the distributions' (within 5
standard errors), and rsample's reparameterisation gradients, exact. Draws cannot equal
torch's (other random streams), so the judge is statistics, not torch's numbers."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import xpnet
import xpnet.distributions as xd
from xpnet.autograd import Tensor

N = 20_000
# 5 standard errors: a correct sampler fails one moment check with probability 6e-7, and the
# draws are seeded, so a pass is reproducible; a wrong scale or location of 5% is caught
Z = 5.0


def T(values, requires_grad=False):
    return Tensor(xpnet.asarray(np.asarray(values, dtype=np.float64)), requires_grad=requires_grad)


def check_moments(draws: np.ndarray, mean: np.ndarray, variance: np.ndarray) -> None:
    """The sample mean within Z standard errors sqrt(var / N) of ``mean``, the sample variance
    within Z standard errors sqrt((m4 - s^4) / N) of ``variance`` (m4: the sample's fourth
    central moment, so the bound fits every distribution's kurtosis)."""
    n = draws.shape[0]
    centred = draws - draws.mean(0)
    s2, m4 = (centred**2).mean(0), (centred**4).mean(0)
    assert np.all(np.abs(draws.mean(0) - mean) <= Z * np.sqrt(variance / n)), "mean"
    assert np.all(np.abs(s2 - variance) <= Z * np.sqrt((m4 - s2**2) / n)), "variance"


MAKE = {
    "Normal": lambda: xd.Normal(T([0.0, 2.0]), T([1.0, 0.5])),
    "LogNormal": lambda: xd.LogNormal(T([0.0, -1.0]), T([0.5, 0.25])),
    "Uniform": lambda: xd.Uniform(T([0.0, -3.0]), T([1.0, 5.0])),
    "Exponential": lambda: xd.Exponential(T([0.5, 4.0])),
    "Laplace": lambda: xd.Laplace(T([0.0, 2.0]), T([1.0, 0.5])),
    "Bernoulli": lambda: xd.Bernoulli(T([0.1, 0.7])),
    "Bernoulli_logits": lambda: xd.Bernoulli(logits=T([-2.0, 0.5])),
    "Categorical": lambda: xd.OneHotCategorical(T([0.2, 0.5, 0.3])),
    "Independent": lambda: xd.Independent(xd.Normal(T([[0.0, 1.0]]), T([[1.0, 3.0]])), 1),
}


@pytest.mark.parametrize("name", MAKE)
def test_sample_moments_match_the_distribution(backend, name):
    xpnet.manual_seed(0)
    d = MAKE[name]()
    draws = d.sample((N,))
    assert draws.shape == (N, *d.batch_shape, *d.event_shape)
    assert draws.dtype == np.float64 and not draws.requires_grad
    check_moments(draws.numpy(), d.mean.detach().numpy(), d.variance.detach().numpy())


def test_categorical_sample_frequencies(backend):
    xpnet.manual_seed(1)
    probs = np.array([[0.2, 0.5, 0.3, 0.0], [0.05, 0.05, 0.1, 0.8]])
    d = xd.Categorical(T(probs))
    draws = d.sample((N, 2))
    assert draws.shape == (N, 2, 2) and draws.dtype == np.int64
    counts = np.stack([(draws.numpy()[..., i] == k).mean() for i in range(2) for k in range(4)])
    expected = probs.reshape(-1)
    assert np.all(np.abs(counts - expected) <= Z * np.sqrt(expected * (1 - expected) / (2 * N)))
    assert not (draws.numpy()[..., 0] == 3).any()  # probability 0 is never drawn


def test_multivariate_normal_sample_covariance(backend):
    xpnet.manual_seed(2)
    cov = np.array([[2.0, 0.6, 0.0], [0.6, 1.0, -0.3], [0.0, -0.3, 0.5]])
    d = xd.MultivariateNormal(T([1.0, -1.0, 0.0]), covariance_matrix=T(cov))
    draws = d.sample((N,)).numpy()
    check_moments(draws, np.array([1.0, -1.0, 0.0]), np.diag(cov))
    sample_cov = np.cov(draws, rowvar=False)
    # the sample covariance's standard error for normal data: sqrt((S_ii S_jj + S_ij^2) / N)
    error = np.sqrt((np.outer(np.diag(cov), np.diag(cov)) + cov**2) / N)
    assert np.all(np.abs(sample_cov - cov) <= Z * error)


@pytest.mark.parametrize("name", MAKE)
def test_manual_seed_repeats_samples(backend, name):
    xpnet.manual_seed(5)
    first = MAKE[name]().sample((3,)).numpy()
    xpnet.manual_seed(5)
    np.testing.assert_array_equal(MAKE[name]().sample((3,)).numpy(), first)


def test_sample_keeps_float32_and_the_parameters_backend(backend):
    loc = Tensor(xpnet.asarray(np.zeros(2, dtype=np.float32)), requires_grad=True)
    for d in [xd.Normal(loc, 1.0), xd.Laplace(loc, 1.0), xd.Uniform(loc, 1.0)]:
        for draw in (d.sample((4,)), d.rsample((4,))):
            assert draw.dtype == np.float32 and type(draw.array) is backend.ndarray
    assert xd.Exponential(1.0).sample().dtype == np.float32  # numbers: the default dtype
    assert xd.Normal(loc, 1.0).rsample().requires_grad
    assert not xd.Normal(loc, 1.0).sample().requires_grad


def _grads(d, params, sample_shape=(N // 10,)):
    """rsample's draws and the gradients of their sum with respect to ``params``."""
    draws = d.rsample(sample_shape)
    draws.sum().backward()
    return draws.detach().numpy(), [xpnet.to_numpy(p.grad) for p in params]


def test_normal_laplace_rsample_gradients_are_the_reparameterisation(backend):
    for family in (xd.Normal, xd.Laplace):
        loc, scale = T([0.5, -1.0], True), T([2.0, 0.5], True)
        y, (g_loc, g_scale) = _grads(family(loc, scale), (loc, scale))
        eps = (y - loc.detach().numpy()) / scale.detach().numpy()  # y = loc + scale * eps
        np.testing.assert_allclose(g_loc, np.full(2, y.shape[0]), rtol=1e-12)
        np.testing.assert_allclose(g_scale, eps.sum(0), rtol=1e-10)


def test_lognormal_uniform_exponential_rsample_gradients(backend):
    loc, scale = T([0.5, -1.0], True), T([0.5, 0.25], True)
    y, (g_loc, g_scale) = _grads(xd.LogNormal(loc, scale), (loc, scale))
    eps = (np.log(y) - loc.detach().numpy()) / scale.detach().numpy()  # y = exp(loc + s eps)
    np.testing.assert_allclose(g_loc, y.sum(0), rtol=1e-10)
    np.testing.assert_allclose(g_scale, (y * eps).sum(0), rtol=1e-9)

    low, high = T([0.0, -3.0], True), T([1.0, 5.0], True)
    y, (g_low, g_high) = _grads(xd.Uniform(low, high), (low, high))
    u = (y - low.detach().numpy()) / (high - low).detach().numpy()  # y = low + u (high - low)
    np.testing.assert_allclose(g_low, (1 - u).sum(0), rtol=1e-10)
    np.testing.assert_allclose(g_high, u.sum(0), rtol=1e-10)

    rate = T([0.5, 4.0], True)
    y, (g_rate,) = _grads(xd.Exponential(rate), (rate,))
    np.testing.assert_allclose(g_rate, (-y / rate.detach().numpy()).sum(0), rtol=1e-10)


def test_multivariate_normal_rsample_gradients(backend):
    loc = T([1.0, -1.0], True)
    L = T([[2.0, 0.0], [0.5, 1.5]], True)
    y, (g_loc, g_L) = _grads(xd.MultivariateNormal(loc, scale_tril=L), (loc, L))
    eps = np.linalg.solve(L.detach().numpy(), (y - loc.detach().numpy()).T).T  # y = loc + L eps
    np.testing.assert_allclose(g_loc, np.full(2, y.shape[0]), rtol=1e-12)
    np.testing.assert_allclose(g_L, np.outer(np.ones(2), eps.sum(0)), rtol=1e-9)


def test_rsample_of_discrete_distributions_is_refused_as_torch(backend):
    for d, theirs in [
        (xd.Bernoulli(0.5), torch.distributions.Bernoulli(0.5)),
        (xd.Categorical(T([0.5, 0.5])), torch.distributions.Categorical(torch.ones(2))),
    ]:
        assert d.has_rsample is theirs.has_rsample is False
        with pytest.raises(NotImplementedError):
            d.rsample()
        with pytest.raises(NotImplementedError):
            theirs.rsample()


def test_sample_shape_must_be_a_sequence(backend):
    with pytest.raises(TypeError, match="sample_shape must be a sequence of ints"):
        xd.Normal(0.0, 1.0).sample(5)
