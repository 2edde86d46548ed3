"""Cauchy, HalfCauchy, HalfNormal, Chi2, StudentT, Gumbel, Weibull, Pareto, InverseGamma,
Kumaraswamy, FisherSnedecor, GeneralizedPareto and LogisticNormal of xpnet.distributions against
torch.distributions in float64: every method torch has (log_prob, cdf, icdf, entropy, mean,
mode, variance) and its gradients to the parameters, the KL pairs torch registers among them,
shapes and expand, and validation messages. Draws and rsample: test_distributions_more_draws.py.
"""

from __future__ import annotations

import contextlib

import numpy as np
import pytest
import torch
from _distributions import ns, random_params
from _oracle import check_against_torch, like

import xpnet.distributions as xd
from xpnet.autograd import Tensor


@contextlib.contextmanager
def torch_default_float64():
    """torch 2.13's GeneralizedPareto compares with ``torch.tensor(0.0)`` (the default dtype)
    and raises "Double did not match Float" on float64 parameters unless it is float64."""
    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        yield
    finally:
        torch.set_default_dtype(previous)


def uniform(low, high, shape=(2, 3, 4)):
    return lambda rng: rng.uniform(low, high, shape)


# name: (make(D, *params), parameter (shape, low, high), value maker, methods torch has)
ALL = ["log_prob", "cdf", "icdf", "entropy", "mean", "mode", "variance"]
NO_CDF = ["log_prob", "entropy", "mean", "mode", "variance"]
CASES = {
    "Cauchy": (
        lambda D, loc, scale: D.Cauchy(loc, scale),
        [((3, 4), -1, 1), ((4,), 0.5, 2)],
        uniform(-4, 4),
        ALL,
    ),
    "HalfCauchy": (lambda D, s: D.HalfCauchy(s), [((3, 4), 0.5, 2)], uniform(0.01, 4), ALL),
    "HalfNormal": (lambda D, s: D.HalfNormal(s), [((3, 4), 0.5, 2)], uniform(0.01, 4), ALL),
    "Chi2": (lambda D, df: D.Chi2(df), [((3, 4), 0.5, 6)], uniform(0.05, 6), NO_CDF),
    "StudentT": (
        lambda D, df, loc, scale: D.StudentT(df, loc, scale),
        [((3, 4), 0.5, 5), ((4,), -1, 1), ((3, 1), 0.5, 2)],
        uniform(-4, 4),
        NO_CDF,
    ),
    "Gumbel": (
        lambda D, loc, scale: D.Gumbel(loc, scale),
        [((3, 4), -1, 1), ((3, 4), 0.5, 2)],
        uniform(-3, 3),
        ALL,
    ),
    "Weibull": (
        lambda D, scale, k: D.Weibull(scale, k),
        [((3, 4), 0.5, 2), ((3, 4), 0.5, 3)],
        uniform(0.05, 4),
        ALL,
    ),
    "Pareto": (
        lambda D, scale, alpha: D.Pareto(scale, alpha),
        [((3, 4), 0.5, 2), ((3, 4), 0.5, 4)],
        uniform(2, 10),
        ALL,
    ),
    "InverseGamma": (
        lambda D, c, r: D.InverseGamma(c, r),
        [((3, 4), 0.5, 4), ((4,), 0.5, 2)],
        uniform(0.1, 4),
        NO_CDF,
    ),
    "Kumaraswamy": (
        lambda D, a, b: D.Kumaraswamy(a, b),
        [((3, 4), 0.5, 3), ((3, 4), 0.5, 3)],
        uniform(0.02, 0.98),
        ALL,
    ),
    "FisherSnedecor": (
        lambda D, d1, d2: D.FisherSnedecor(d1, d2),
        [((3, 4), 1, 7), ((3, 4), 1, 7)],
        uniform(0.05, 5),
        ["log_prob", "mean", "mode", "variance"],
    ),
    "GeneralizedPareto": (
        lambda D, loc, scale, xi: D.GeneralizedPareto(loc, scale, xi),
        [((3, 4), -0.1, 0), ((3, 4), 1, 2), ((3, 4), -0.4, 0.8)],
        uniform(0.05, 2.3),
        [*ALL, "log_survival_function", "log_cdf"],
    ),
    "LogisticNormal": (
        lambda D, loc, scale: D.LogisticNormal(loc, scale),
        [((3, 4), -1, 1), ((3, 4), 0.5, 2)],
        lambda rng: rng.dirichlet(np.ones(5), (2, 3)),
        ["log_prob"],
    ),
}
# PyTorch's trigamma (the gradient of digamma) is good to about 5e-10 relative only (see
# test_distributions_gamma.py): these use it in their gradients
TRIGAMMA = {"entropy": {"StudentT", "InverseGamma", "Kumaraswamy", "Chi2"}}
PAIRS = [(name, what) for name, case in CASES.items() for what in case[3]]


def value_for(name, what):
    rng = np.random.default_rng(3)
    if what == "icdf":
        return rng.uniform(0.01, 0.99, (2, 3, 4))
    return CASES[name][2](rng)


def check(method, inputs, backend, rtol=None):
    """Values and, where torch's result has a graph, gradients to every parameter."""
    tensors = [Tensor(backend.asarray(np.asarray(a))) for a in inputs]
    needs_grad = method(*[Tensor(t.array, requires_grad=True) for t in tensors]).requires_grad

    def forward(*arrays):
        return method(*[Tensor(a) for a in arrays]).array

    def backward(grad_output, *arrays):
        params = [Tensor(a, requires_grad=True) for a in arrays]
        method(*params).backward(grad_output)
        return tuple(t.grad for t in params)

    def torch_forward(*t):
        result = method(*t)
        assert result.requires_grad == needs_grad  # both or neither differentiable
        return result

    check_against_torch(
        forward, backward if needs_grad else None, torch_forward, inputs, backend, rtol=rtol
    )


@pytest.mark.parametrize("name, what", PAIRS)
def test_values_and_gradients_match_torch(backend, name, what):
    make, spec, _, _ = CASES[name]
    value = value_for(name, what)

    def call(*t):
        d = make(ns(t[0]), *t)
        if what in ("mean", "mode", "variance"):
            return getattr(d, what)
        if what == "entropy":
            return d.entropy()
        return getattr(d, what)(like(t[0], value, "float64"))

    rtol = 2e-9 if name in TRIGAMMA.get(what, ()) else None
    with torch_default_float64() if name == "GeneralizedPareto" else contextlib.nullcontext():
        check(call, random_params(spec), backend, rtol)


@pytest.mark.parametrize("what", ["log_prob", "cdf", "icdf", "log_survival_function"])
def test_generalized_pareto_at_concentration_zero_and_minus_one_matches_torch(backend, what):
    # 0: the exponential limit (torch's isclose branch); -1: y = 1/xi + 1 = 0, a uniform
    xi = np.array([0.0, 1e-9, -1.0, 0.5])
    value = np.array([0.3, 0.3, 0.3, 0.3] if what != "icdf" else [0.2, 0.5, 0.7, 0.9])

    def call(loc, scale, concentration):
        d = ns(loc).GeneralizedPareto(loc, scale, concentration)
        return getattr(d, what)(like(loc, value, "float64"))

    params = [np.array([0.0, 0.1, -0.1, 0.0]), np.array([1.0, 2.0, 1.5, 0.5]), xi]
    with torch_default_float64():
        check(call, params, backend)


KL = {
    "Cauchy": [((3, 4), -1, 1), ((3, 4), 0.5, 2)],
    "HalfNormal": [((3, 4), 0.5, 2)],
    "Gumbel": [((3, 4), -1, 1), ((3, 4), 0.5, 2)],
    "Pareto": [((3, 4), 0.5, 2), ((3, 4), 0.5, 4)],  # p's scale below q's in some: inf
}


@pytest.mark.parametrize("name", KL)
def test_kl_divergence_matches_torch(backend, name):
    spec, make = KL[name], CASES[name][0]
    k = len(spec)

    def call(*t):
        D = ns(t[0])
        return D.kl_divergence(make(D, *t[:k]), make(D, *t[k:]))

    check(call, [*random_params(spec, 0), *random_params(spec, 10)], backend)


def test_pareto_kl_is_infinite_where_p_starts_below_q(backend):
    def T(v):
        return Tensor(backend.asarray(np.asarray(v, dtype=np.float64)))

    kl = xd.kl_divergence(xd.Pareto(T([1.0, 3.0]), 2.0), xd.Pareto(T([2.0, 2.0]), 2.0))
    assert np.isinf(kl.numpy()[0]) and np.isfinite(kl.numpy()[1])


@pytest.mark.parametrize("name", CASES)
def test_shapes_and_expand_match_torch(backend, name):
    make, spec, value_of, _ = CASES[name]
    params = random_params(spec)
    ours = make(xd, *[Tensor(backend.asarray(p)) for p in params])
    theirs = make(torch.distributions, *[torch.tensor(p) for p in params])
    assert ours.batch_shape == theirs.batch_shape and ours.event_shape == theirs.event_shape
    assert type(ours).__name__ == type(theirs).__name__
    assert tuple(ours.sample((2,)).shape) == tuple(theirs.sample((2,)).shape)
    batch = (5, *theirs.batch_shape)
    big, big_theirs = ours.expand(batch), theirs.expand(batch)
    assert type(big) is type(ours) and big.batch_shape == big_theirs.batch_shape
    assert big.event_shape == big_theirs.event_shape
    assert tuple(big.rsample((2,)).shape) == tuple(big_theirs.sample((2,)).shape)
    value = value_of(np.random.default_rng(0))[:1]  # broadcast over the new batch dimension
    with torch_default_float64() if name == "GeneralizedPareto" else contextlib.nullcontext():
        expected = big_theirs.log_prob(torch.tensor(value))
    got = big.log_prob(Tensor(backend.asarray(value)))
    np.testing.assert_allclose(got.numpy(), expected.numpy(), rtol=1e-10)


@pytest.mark.parametrize("name", CASES)
def test_number_parameters_give_an_empty_batch_as_torch(name):
    make, spec, _, _ = CASES[name]
    numbers = [float(np.mean([low, high])) for _, low, high in spec]
    ours, theirs = make(xd, *numbers), make(torch.distributions, *numbers)
    assert ours.batch_shape == theirs.batch_shape and ours.event_shape == theirs.event_shape
    assert ours.has_rsample == theirs.has_rsample
    assert ours.support.event_dim == theirs.support.event_dim


@pytest.mark.parametrize(
    "build",
    [
        lambda D, T: D.Cauchy(T([0.0]), T([0.0])),
        lambda D, T: D.HalfCauchy(T([-1.0])),
        lambda D, T: D.HalfNormal(T([0.0])),
        lambda D, T: D.Chi2(T([-2.0])),
        lambda D, T: D.StudentT(T([-1.0])),
        lambda D, T: D.StudentT(T([2.0]), 0.0, T([-1.0])),
        lambda D, T: D.Gumbel(T([0.0]), T([-1.0])),
        lambda D, T: D.Weibull(T([1.0]), T([0.0])),
        lambda D, T: D.Weibull(T([-1.0]), T([1.0])),
        lambda D, T: D.Pareto(T([1.0]), T([-1.0])),
        lambda D, T: D.Pareto(T([-1.0]), T([1.0])),
        lambda D, T: D.InverseGamma(T([-1.0]), T([1.0])),
        lambda D, T: D.Kumaraswamy(T([1.0]), T([0.0])),
        lambda D, T: D.FisherSnedecor(T([-1.0]), T([1.0])),
        lambda D, T: D.GeneralizedPareto(T([0.0]), T([-1.0]), T([0.1])),
        lambda D, T: D.LogisticNormal(T([0.0, 1.0]), T([1.0, -1.0])),
        lambda D, T: D.HalfNormal(T([1.0])).log_prob(T([-1.0])),
        lambda D, T: D.HalfCauchy(T([1.0])).cdf(T([-1.0])),
        lambda D, T: D.Weibull(T([1.0]), T([1.0])).log_prob(T([0.0])),
        lambda D, T: D.Pareto(T([2.0]), T([1.0])).log_prob(T([1.0])),
        lambda D, T: D.Kumaraswamy(T([1.0]), T([1.0])).log_prob(T([1.5])),
        lambda D, T: D.FisherSnedecor(T([1.0]), T([1.0])).log_prob(T([-0.5])),
        lambda D, T: D.GeneralizedPareto(T([0.0]), T([1.0]), T([-0.5])).log_prob(T([3.0])),
        lambda D, T: D.LogisticNormal(T([0.0, 1.0]), 1.0).log_prob(T([0.5, 0.6, 0.1])),
        lambda D, T: D.InverseGamma(T([1.0, 2.0]), 1.0).log_prob(T([0.5, 0.5, 0.5])),
    ],
)
def test_invalid_parameters_and_values_raise_as_torch(backend, build):
    messages = []
    for D, T in [
        (xd, lambda v: Tensor(backend.asarray(np.asarray(v, dtype=np.float64)))),
        (torch.distributions, lambda v: torch.tensor(v, dtype=torch.float64)),
    ]:
        with pytest.raises(ValueError) as error, torch_default_float64():
            build(D, T)
        # up to the distribution, and before a Tensor bound (torch prints tensor([3.], ...))
        message = str(error.value).split(" of distribution ")[0].split(":")[0]
        messages.append(message.split("upper_bound=")[0].split("lower_bound=")[0])
    assert messages[0] == messages[1]


@pytest.mark.parametrize("name", ["HalfCauchy", "HalfNormal"])
def test_half_distributions_without_validation_give_minus_inf_below_zero(backend, name):
    value = np.array([-1.0, 0.5])
    ours = getattr(xd, name)(Tensor(backend.asarray(np.array([1.0, 2.0]))), validate_args=False)
    scale = torch.tensor([1.0, 2.0], dtype=torch.float64)
    theirs = getattr(torch.distributions, name)(scale, validate_args=False)
    got = ours.log_prob(Tensor(backend.asarray(value))).numpy()
    np.testing.assert_allclose(got, theirs.log_prob(torch.tensor(value)).numpy(), rtol=1e-12)
    assert got[0] == -np.inf
