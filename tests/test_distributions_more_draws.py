"""Draws of Cauchy, HalfCauchy, HalfNormal, Chi2, StudentT, Gumbel, Weibull, Pareto,
InverseGamma, Kumaraswamy, FisherSnedecor, GeneralizedPareto and LogisticNormal: ``rsample``
and its gradients against torch's autograd through the same analytical map of the same
standard draws (xpnet's, re-drawn from the same seed), and the moments of 20,000 draws within
5 standard errors (the CDF at a few points for the Cauchy ones, which have no moments)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from _distributions import random_params
from test_distributions_continuous_more import CASES, torch_default_float64
from test_distributions_rsample_gamma import Drawn, gamma_backward

import xpnet
import xpnet.distributions as xd
from xpnet.autograd import Tensor
from xpnet.distributions.gamma import standard_gamma

SAMPLE = (3,)
N, Z = 20_000, 5.0


def gamma_draws(backend, concentration, shape):
    """Standard gamma draws as Gamma.rsample makes them (one host call)."""
    full = np.broadcast_to(concentration, shape).copy()
    return standard_gamma(Tensor(backend.asarray(full))).numpy()


def base_noise(backend, d):
    """The draws of a base distribution that does not depend on the parameters."""
    return [d.base_dist.rsample(SAMPLE).numpy()]


def standard(make):
    """The draws of ``make(backend, d)`` (a distribution of unit parameters) as noise."""
    return lambda backend, d: [make(backend, d).rsample(SAMPLE).numpy()]


def ones(backend, d, value=1.0):
    return Tensor(backend.asarray(np.full(tuple(d.batch_shape), value)))


def transformed(t, x):
    for transform in t.transforms:
        x = transform(x)
    return x


def gamma_of(alpha, x, rate):
    """torch's Gamma(alpha, rate).rsample on the standard draws ``x``."""
    return Drawn.apply(alpha.expand(x.shape), x, gamma_backward) / rate


def student_noise(backend, d):
    shape = (*SAMPLE, *d.batch_shape)
    x = xpnet.randn(shape, dtype=xpnet.float64, device=backend.name).numpy()
    return [x, gamma_draws(backend, 0.5 * d.df.numpy(), shape)]


def student_map(noise, t, df, loc, scale):
    x, g = noise
    chi2 = gamma_of(0.5 * df, g, 0.5)
    return loc + scale * (x * torch.rsqrt(chi2 / df))


def fisher_noise(backend, d):
    shape = (*SAMPLE, *d.batch_shape)
    return [gamma_draws(backend, 0.5 * p.numpy(), shape) for p in (d.df1, d.df2)]


def fisher_map(noise, t, df1, df2):
    tiny = torch.finfo(torch.float64).tiny
    x1 = gamma_of(0.5 * df1, noise[0], df1)
    x2 = gamma_of(0.5 * df2, noise[1], df2).clamp(min=tiny)
    return (x1 / x2).clamp(min=tiny)


# name: (noise(backend, d) -> NumPy draws after the same seed, map(noise, torch_d, *params))
RSAMPLE = {
    "Cauchy": (
        standard(lambda b, d: xd.Cauchy(ones(b, d, 0.0), ones(b, d))),
        lambda n, t, loc, scale: loc + n[0] * scale,
    ),
    "HalfCauchy": (
        standard(lambda b, d: xd.Cauchy(0, ones(b, d))),
        lambda n, t, scale: (n[0] * scale).abs(),
    ),
    "HalfNormal": (
        standard(lambda b, d: xd.Normal(0, ones(b, d))),
        lambda n, t, scale: (n[0] * scale).abs(),
    ),
    "Chi2": (
        lambda b, d: [gamma_draws(b, 0.5 * d.df.numpy(), (*SAMPLE, *d.batch_shape))],
        lambda n, t, df: gamma_of(0.5 * df, n[0], 0.5),
    ),
    "StudentT": (student_noise, student_map),
    "Gumbel": (base_noise, lambda n, t, *p: transformed(t, n[0])),
    "Weibull": (base_noise, lambda n, t, *p: transformed(t, n[0])),
    "Pareto": (
        standard(lambda b, d: xd.Exponential(ones(b, d))),
        lambda n, t, scale, alpha: transformed(t, n[0] / alpha),
    ),
    "InverseGamma": (
        lambda b, d: [
            gamma_draws(b, d.concentration.numpy(), (*SAMPLE, *d.batch_shape)),
        ],
        lambda n, t, c, r: gamma_of(c, n[0], r).pow(-1),
    ),
    "Kumaraswamy": (base_noise, lambda n, t, *p: transformed(t, n[0])),
    "FisherSnedecor": (fisher_noise, fisher_map),
    "GeneralizedPareto": (
        lambda b, d: [xpnet.rand((*SAMPLE, *d.batch_shape), dtype=xpnet.float64).numpy()],
        lambda n, t, *p: t.icdf(n[0]),
    ),
    "LogisticNormal": (
        standard(lambda b, d: xd.Normal(0, Tensor(b.asarray(np.ones((3, 4)))))),
        lambda n, t, loc, scale: t.transforms[0](loc + n[0] * scale),
    ),
}


@pytest.mark.parametrize("name", RSAMPLE)
def test_rsample_and_its_gradients_match_torch_on_the_same_draws(backend, name):
    make, spec, _, _ = CASES[name]
    noise_of, torch_map = RSAMPLE[name]
    params = random_params(spec, seed=5)
    leaves = [Tensor(backend.asarray(p), requires_grad=True) for p in params]
    d = make(xd, *leaves)
    assert d.has_rsample
    xpnet.manual_seed(7)
    value = d.rsample(SAMPLE)
    assert type(value.array) is backend.ndarray and value.dtype == np.float64
    grad_output = np.random.default_rng(0).normal(size=tuple(value.shape))
    value.backward(Tensor(backend.asarray(grad_output)))
    xpnet.manual_seed(7)
    noise = [torch.tensor(n) for n in noise_of(backend, make(xd, *map(Tensor, params)))]
    torch_params = [torch.tensor(p, requires_grad=True) for p in params]
    with torch_default_float64():
        expected = torch_map(noise, make(torch.distributions, *torch_params), *torch_params)
    np.testing.assert_allclose(value.numpy(), expected.detach().numpy(), rtol=1e-12)
    expected.backward(torch.tensor(grad_output))
    for ours, theirs in zip(leaves, torch_params, strict=True):
        got = backend.to_host(ours.grad.array)
        np.testing.assert_allclose(got, theirs.grad.numpy(), rtol=1e-10, atol=1e-12)


def T(backend, values):
    return Tensor(backend.asarray(np.asarray(values, dtype=np.float64)))


# parameters with a finite fourth moment, so that the variance's standard error exists
MOMENTS = {
    "HalfNormal": lambda b: xd.HalfNormal(T(b, [0.5, 2.0])),
    "Chi2": lambda b: xd.Chi2(T(b, [0.7, 3.0, 12.0])),
    "StudentT": lambda b: xd.StudentT(T(b, [9.0, 30.0]), T(b, [1.0, -2.0]), T(b, [0.5, 2.0])),
    "Gumbel": lambda b: xd.Gumbel(T(b, [0.0, 3.0]), T(b, [1.0, 0.2])),
    "Weibull": lambda b: xd.Weibull(T(b, [1.0, 2.0]), T(b, [0.8, 3.0])),
    "Pareto": lambda b: xd.Pareto(T(b, [1.0, 0.5]), T(b, [9.0, 12.0])),
    "InverseGamma": lambda b: xd.InverseGamma(T(b, [9.0, 15.0]), T(b, [1.0, 4.0])),
    "Kumaraswamy": lambda b: xd.Kumaraswamy(T(b, [0.5, 2.0]), T(b, [3.0, 0.7])),
    "FisherSnedecor": lambda b: xd.FisherSnedecor(T(b, [3.0, 10.0]), T(b, [20.0, 30.0])),
    "GeneralizedPareto": lambda b: xd.GeneralizedPareto(
        T(b, [0.0, 1.0, -1.0]), T(b, [1.0, 0.5, 2.0]), T(b, [0.0, 0.2, -0.5])
    ),
}


@pytest.mark.parametrize("name", MOMENTS)
def test_sample_moments_match_the_distribution(backend, name):
    xpnet.manual_seed(0)
    d = MOMENTS[name](backend)
    draws = d.sample((N,))
    assert draws.shape == (N, *d.batch_shape) and not draws.requires_grad
    assert type(draws.array) is backend.ndarray
    x, mean, var = draws.numpy(), d.mean.numpy(), d.variance.numpy()
    centred = x - x.mean(0)
    s2, m4 = (centred**2).mean(0), (centred**4).mean(0)
    assert np.all(np.abs(x.mean(0) - mean) <= Z * np.sqrt(var / N)), "mean"
    assert np.all(np.abs(s2 - var) <= Z * np.sqrt((m4 - s2**2) / N)), "variance"
    assert bool(d.support.check(draws).all())


@pytest.mark.parametrize("name", ["Cauchy", "HalfCauchy"])
def test_cauchy_draws_follow_their_cdf(backend, name):
    xpnet.manual_seed(1)
    d = xd.Cauchy(T(backend, [0.0, 2.0]), 1.5) if name == "Cauchy" else xd.HalfCauchy(1.5)
    x = d.sample((N,)).numpy()
    points = np.array([0.2, 1.0, 3.0, 10.0]).reshape(-1, *([1] * len(d.batch_shape)))
    expected = d.cdf(T(backend, np.broadcast_to(points, (4, *d.batch_shape)))).numpy()
    empirical = (x[None] <= points[:, None]).mean(1)
    assert np.all(np.abs(empirical - expected) <= Z * np.sqrt(expected * (1 - expected) / N))


def test_logistic_normal_draws_are_on_the_simplex_with_normal_logits(backend):
    xpnet.manual_seed(2)
    loc, scale = np.array([0.5, -1.0, 0.0]), np.array([1.0, 0.3, 2.0])
    d = xd.LogisticNormal(T(backend, loc), T(backend, scale))
    x = d.sample((N,))
    assert x.shape == (N, 4)
    np.testing.assert_allclose(x.numpy().sum(-1), 1.0, rtol=1e-12)
    logits = d.transforms[0].inv(x).numpy()  # the normal draws, recovered
    assert np.all(np.abs(logits.mean(0) - loc) <= Z * scale / math.sqrt(N))
    var_error = Z * scale**2 * math.sqrt(2 / N)
    assert np.all(np.abs(logits.var(0) - scale**2) <= var_error)
