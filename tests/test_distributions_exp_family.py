"""ExponentialFamily against torch.distributions.ExponentialFamily in float64: which families
derive from it, each family's natural parameters and log normaliser (values and gradients), the
entropy by the Bregman divergence, and the KL of two members of one family by the same route
(kl_divergence's route for Wishart, which has no closed-form pair)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from _distributions import ns, random_params, spd
from _oracle import check_against_torch

import xpnet
import xpnet.distributions as xd
from xpnet.distributions.exp_family import kl_expfamily_expfamily

# name: (make(D, *params), the (shape, low, high) of its parameters)
FAMILIES = {
    "Normal": (lambda D, a, b: D.Normal(a, b), [((2, 3), -1, 1), ((3,), 0.5, 2)]),
    "Exponential": (lambda D, a: D.Exponential(a), [((2, 3), 0.5, 2)]),
    "Gamma": (lambda D, a, b: D.Gamma(a, b), [((2, 3), 0.5, 3), ((3,), 0.5, 2)]),
    "Chi2": (lambda D, a: D.Chi2(a), [((2, 3), 0.5, 4)]),
    "Beta": (lambda D, a, b: D.Beta(a, b), [((2, 3), 0.5, 3), ((3,), 0.5, 3)]),
    "Dirichlet": (lambda D, a: D.Dirichlet(a), [((2, 4), 0.5, 3)]),
    "Bernoulli": (lambda D, a: D.Bernoulli(a), [((2, 3), 0.05, 0.95)]),
    "Poisson": (lambda D, a: D.Poisson(a), [((2, 3), 0.5, 3)]),
    # probabilities on both sides of the Taylor region around 1/2 and inside it
    "ContinuousBernoulli": (lambda D, a: D.ContinuousBernoulli(a), [((2, 3), 0.4995, 0.5005)]),
    "ContinuousBernoulli_wide": (lambda D, a: D.ContinuousBernoulli(a), [((2, 3), 0.05, 0.95)]),
    "Wishart": (lambda D, a, A: D.Wishart(a, spd(A)), [((2,), 3.5, 5), ((2, 3, 3), -1, 1)]),
}
# the families whose mean carrier measure torch defines (the others override entropy only)
WITH_CARRIER = ["Normal", "Exponential", "Gamma", "Chi2", "Bernoulli", "ContinuousBernoulli"]
WITH_CARRIER += ["ContinuousBernoulli_wide", "Wishart"]


def _make(name, t):
    return FAMILIES[name][0](ns(t[0]), *t)


def _check(call, inputs, backend, grads=True):
    """Forward and (with ``grads``) every input gradient of ``call`` against torch."""

    def forward(*arrays):
        return call(*[xpnet.Tensor(a) for a in arrays]).array

    def backward(grad_output, *arrays):
        tensors = [xpnet.Tensor(a, requires_grad=True) for a in arrays]
        call(*tensors).backward(grad_output)
        return tuple(t.grad for t in tensors)

    return check_against_torch(forward, backward if grads else None, call, inputs, backend)


def test_exponential_family_bases_are_torchs():
    for name in torch.distributions.__all__:
        ours, theirs = getattr(xd, name, None), getattr(torch.distributions, name)
        if isinstance(theirs, type) and issubclass(theirs, torch.distributions.Distribution):
            expected = issubclass(theirs, torch.distributions.ExponentialFamily)
            assert ours is not None and issubclass(ours, xd.ExponentialFamily) == expected, name


@pytest.mark.parametrize("name", FAMILIES)
def test_log_normalizer_of_natural_params_matches_torch(backend, name):
    def call(*t):
        d = _make(name, t)
        return d._log_normalizer(*d._natural_params)

    _check(call, random_params(FAMILIES[name][1]), backend)


@pytest.mark.parametrize("name", WITH_CARRIER)
def test_bregman_entropy_matches_torch(backend, name):
    def call(*t):
        D = ns(t[0])
        return D.ExponentialFamily.entropy(_make(name, t))

    # the natural parameters are detached, as torch's: no gradient reaches the parameters
    output, grads = _check(call, random_params(FAMILIES[name][1]), backend)
    assert all(g is None for g in grads)


@pytest.mark.parametrize("name", ["Normal", "Exponential", "Gamma", "Bernoulli"])
def test_bregman_entropy_equals_the_closed_form(backend, name):
    d = _make(name, [xpnet.Tensor(backend.asarray(a)) for a in random_params(FAMILIES[name][1])])
    np.testing.assert_allclose(
        xd.ExponentialFamily.entropy(d).detach().numpy(), d.entropy().numpy()
    )


@pytest.mark.parametrize("name", FAMILIES)
def test_kl_expfamily_expfamily_matches_torch(backend, name):
    spec = FAMILIES[name][1]
    k = len(spec)

    def call(*t):
        kl = kl_expfamily_expfamily if isinstance(t[0], xpnet.Tensor) else None
        kl = kl or torch.distributions.kl._kl_expfamily_expfamily
        return kl(_make(name, t[:k]), _make(name, t[k:]))

    _check(call, random_params(spec, seed=0) + random_params(spec, seed=10), backend)


def test_kl_divergence_of_wisharts_goes_through_bregman_as_torch(backend):
    spec = FAMILIES["Wishart"][1]

    def call(*t):
        return ns(t[0]).kl_divergence(_make("Wishart", t[:2]), _make("Wishart", t[2:]))

    _check(call, random_params(spec, seed=0) + random_params(spec, seed=10), backend)


def test_kl_of_two_exponential_families_raises_as_torch(backend):
    for D, T in [(xd, xpnet.tensor), (torch.distributions, torch.tensor)]:
        p, q = D.Beta(T([2.0]), T([3.0])), D.Dirichlet(T([[2.0, 3.0]]))
        with pytest.raises(NotImplementedError, match="cross KL-divergence between different"):
            D.kl_divergence(p, q)


def test_exponential_family_methods_are_abstract(backend):
    d = xd.ExponentialFamily(validate_args=False)
    for attribute in ("_natural_params", "_mean_carrier_measure"):
        with pytest.raises(NotImplementedError):
            getattr(d, attribute)
    with pytest.raises(NotImplementedError):
        d._log_normalizer()
