"""kl_divergence of every pair torch registers: the registry walked against torch's, the
cross-family closed forms against torch.distributions.kl_divergence in float64 (forward and the
gradient of every parameter of both sides, on equal and broadcast batch shapes), torch's
infinities (everywhere, and where the parameters make them), and the TransformedDistribution
pair."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from _distributions import ns, random_params
from _oracle import check_against_torch

import xpnet
import xpnet.distributions as xd
from xpnet.distributions import kl as xpnet_kl

# torch's registered pairs xpnet does not register, each with the reason (none today)
NOT_REGISTERED: dict[tuple[str, str], str] = {}

# name: (make(D, *params), the (low, high) of each parameter); Uniform is (low, width) so
# that low < high, inside (0, 1) and above the Pareto scales below
FAMILIES = {
    "Normal": (lambda D, a, b: D.Normal(a, b), [(-1, 1), (0.5, 2)]),
    "Laplace": (lambda D, a, b: D.Laplace(a, b), [(-1, 1), (0.5, 2)]),
    "Gumbel": (lambda D, a, b: D.Gumbel(a, b), [(-1, 1), (0.5, 2)]),
    "Exponential": (lambda D, a: D.Exponential(a), [(0.5, 2)]),
    "Gamma": (lambda D, a, b: D.Gamma(a, b), [(0.5, 3), (0.5, 2)]),
    "Beta": (lambda D, a, b: D.Beta(a, b), [(0.5, 3), (0.5, 3)]),
    "Pareto": (lambda D, a, b: D.Pareto(a, b), [(0.5, 2), (2.5, 5)]),  # alpha > 2: finite
    "Pareto_q": (lambda D, a, b: D.Pareto(a, b), [(0.05, 0.3), (0.5, 3)]),
    "Uniform": (lambda D, a, w: D.Uniform(a, a + w), [(0.35, 0.45), (0.1, 0.5)]),
    "Bernoulli": (lambda D, a: D.Bernoulli(a), [(0.05, 0.95)]),
    "Poisson": (lambda D, a: D.Poisson(a), [(0.5, 3)]),
    "ContinuousBernoulli": (lambda D, a: D.ContinuousBernoulli(a), [(0.05, 0.95)]),
    "Binomial": (lambda D, a: D.Binomial(5, a), [(0.05, 0.95)]),
}

FINITE = [
    ("Bernoulli", "Poisson"),
    ("Beta", "Exponential"),
    ("Beta", "Gamma"),
    ("Beta", "Normal"),
    ("Beta", "Uniform_wide"),
    ("Exponential", "Gamma"),
    ("Exponential", "Gumbel"),
    ("Exponential", "Normal"),
    ("Gamma", "Exponential"),
    ("Gamma", "Gumbel"),
    ("Gamma", "Normal"),
    ("Gumbel", "Normal"),
    ("Laplace", "Normal"),
    ("Normal", "Gumbel"),
    ("Normal", "Laplace"),
    ("Pareto", "Exponential"),
    ("Pareto", "Gamma"),
    ("Pareto", "Normal"),
    ("Uniform", "Beta"),
    ("Uniform", "Exponential"),
    ("Uniform", "Gamma"),
    ("Uniform", "Gumbel"),
    ("Uniform", "Normal"),
    ("Uniform", "Pareto_q"),
]
# a uniform q covering [0, 1]: Beta-Uniform is finite only then
FAMILIES["Uniform_wide"] = (lambda D, a, w: D.Uniform(a, a + w), [(-0.5, -0.1), (1.6, 2.0)])

# torch's pairs that are infinite whatever the parameters
INFINITE = [
    ("Beta", "Pareto"),
    ("ContinuousBernoulli", "Pareto"),
    *[("Exponential", q) for q in ("Beta", "Pareto", "Uniform")],
    *[("Gamma", q) for q in ("Beta", "Pareto", "Uniform")],
    *[("Gumbel", q) for q in ("Beta", "ContinuousBernoulli", "Exponential", "Gamma")],
    *[("Gumbel", q) for q in ("Pareto", "Uniform")],
    *[(p, q) for p in ("Laplace", "Normal") for q in ("Beta", "Exponential", "Gamma")],
    *[(p, q) for p in ("Laplace", "Normal") for q in ("Pareto", "Uniform")],
    *[("Pareto", q) for q in ("Beta", "ContinuousBernoulli", "Uniform")],
    ("Poisson", "Bernoulli"),
    ("Poisson", "Binomial"),
]


# PyTorch's trigamma (the gradient of the digamma in Beta's and Gamma's entropies and in these
# formulas) is accurate to about 5e-10 relative only (mpmath judges in test_tensor_gamma.py), as
# test_distributions_gamma.py's TRIGAMMA_RTOL
TRIGAMMA_RTOL = 2e-9


def _check(call, inputs, backend, rtol=None, torch_call=None):
    """Forward and every gradient of ``call`` against ``torch_call`` (default ``call``) on
    torch: check_tensor_method, with ``rtol``."""

    def forward(*arrays):
        return call(*[xpnet.Tensor(a) for a in arrays]).array

    def backward(grad_output, *arrays):
        tensors = [xpnet.Tensor(a, requires_grad=True) for a in arrays]
        call(*tensors).backward(grad_output)
        return tuple(t.grad for t in tensors)

    torch_call = call if torch_call is None else torch_call
    return check_against_torch(forward, backward, torch_call, inputs, backend, rtol=rtol)


def _family_name(name):
    return name.split("_")[0]


def _params(name, shape, seed):
    return random_params([(shape, low, high) for low, high in FAMILIES[name][1]], seed=seed)


def _kl_call(p_name, q_name):
    (p_make, p_spec), q_make = FAMILIES[p_name], FAMILIES[q_name][0]
    k = len(p_spec)

    def call(*t):
        D = ns(t[0])
        return D.kl_divergence(p_make(D, *t[:k]), q_make(D, *t[k:]))

    return call


def test_kl_registry_has_every_pair_torch_registers():
    torch_pairs = {(p.__name__, q.__name__) for p, q in torch.distributions.kl._KL_REGISTRY}
    ours = {(p.__name__, q.__name__) for p, q in xpnet_kl._KL_REGISTRY}
    missing = sorted(torch_pairs - ours - set(NOT_REGISTERED))
    assert not missing, f"torch registers KL pairs xpnet does not: {missing}"
    assert not set(NOT_REGISTERED) & ours, "an exception that is registered now: remove it"


def test_kl_pairs_tested_here_are_registered_in_torch():
    # the tables above are torch's cross-family pairs, not guesses: each one is registered there
    torch_pairs = {(p.__name__, q.__name__) for p, q in torch.distributions.kl._KL_REGISTRY}
    for p_name, q_name in FINITE + INFINITE:
        assert (_family_name(p_name), _family_name(q_name)) in torch_pairs


@pytest.mark.parametrize("shapes", [((2, 3), (2, 3)), ((3, 4), (4,)), ((4,), (3, 1))])
@pytest.mark.parametrize("pair", FINITE, ids="-".join)
def test_kl_cross_family_matches_torch(backend, pair, shapes):
    p_name, q_name = pair
    inputs = _params(p_name, shapes[0], seed=0) + _params(q_name, shapes[1], seed=10)
    rtol = TRIGAMMA_RTOL if p_name in ("Beta", "Gamma") else None
    call = _kl_call(p_name, q_name)

    def torch_call(*t):  # torch's masked writes (result[mask] = inf) refuse to broadcast
        return call(*torch.broadcast_tensors(*t))

    output, _ = _check(call, inputs, backend, rtol, torch_call)
    assert output.shape == torch.broadcast_shapes(*shapes) and np.isfinite(output).all()


@pytest.mark.parametrize("pair", INFINITE, ids="-".join)
def test_kl_infinite_pairs_match_torch(backend, pair):
    p_name, q_name = pair
    inputs = _params(p_name, (3, 1), seed=0) + _params(q_name, (4,), seed=10)
    call = _kl_call(p_name, q_name)
    # torch's infinities carry no gradient (full_like): the forward is compared
    output, _ = check_against_torch(
        lambda *a: call(*[xpnet.Tensor(x) for x in a]).array, None, call, inputs, backend
    )
    assert output.shape == (3, 1) and np.isposinf(output).all()  # p's shape, as torch's


# parameters where torch's masked write makes some entries infinite and leaves the others
PARTLY_INFINITE = {
    # q's support [low, high] must cover [0, 1]
    ("Beta", "Uniform"): [[2.0, 0.5, 3.0], [1.5, 2.0, 0.7], [-0.1, 0.1, -1.0], [1.2, 1.5, 0.9]],
    # p's support [low, low + width] must lie in [0, 1]
    ("Uniform", "Beta"): [[0.1, -0.1, 0.6], [0.5, 0.5, 0.6], [2.0, 1.5, 0.5], [0.5, 2.0, 3.0]],
    ("Uniform", "Exponential"): [[0.1, -0.1, 0.6], [0.5, 0.5, 0.6], [2.0, 1.5, 0.5]],
    ("Uniform", "Gamma"): [[0.1, -0.1, 0.6], [0.5, 0.5, 0.6], [2.0, 1.5, 0.5], [1.5, 0.5, 1.0]],
    # p.low must be above q.scale
    ("Uniform", "Pareto"): [[0.5, 0.1, 0.6], [0.5, 0.5, 0.6], [0.3, 0.2, 0.7], [1.5, 2.5, 1.0]],
    # the mean of p must be finite: alpha > 1 (> 2 for the normal's second moment)
    ("Pareto", "Exponential"): [[1.0, 0.5, 2.0], [0.5, 1.5, 3.0], [2.0, 0.7, 1.5]],
    ("Pareto", "Gamma"): [[1.0, 0.5, 2.0], [0.5, 1.5, 3.0], [2.0, 0.7, 1.5], [1.5, 0.5, 2.0]],
    ("Pareto", "Normal"): [[1.0, 0.5, 2.0], [1.5, 2.5, 3.0], [0.3, 0.2, 1.5], [1.5, 0.5, 2.0]],
}


@pytest.mark.parametrize("pair", PARTLY_INFINITE, ids="-".join)
def test_kl_partly_infinite_matches_torch(backend, pair):
    p_name, q_name = pair
    direct = {
        "Uniform": lambda D, a, b: D.Uniform(a, b),
        "Uniform_width": lambda D, a, w: D.Uniform(a, a + w),
    }
    p_make = direct["Uniform_width"] if p_name == "Uniform" else FAMILIES[p_name][0]
    q_make = direct["Uniform"] if q_name == "Uniform" else FAMILIES[q_name][0]
    k = 2 if p_name in ("Uniform", "Pareto", "Beta") else 1
    inputs = [np.array(v) for v in PARTLY_INFINITE[pair]]

    def call(*t):
        D = ns(t[0])
        return D.kl_divergence(p_make(D, *t[:k]), q_make(D, *t[k:]))

    output, _ = _check(call, inputs, backend, TRIGAMMA_RTOL if p_name == "Beta" else None)
    assert np.isposinf(output).any() and np.isfinite(output).any()


def _exp_of_normal(D, loc, scale):
    return D.TransformedDistribution(D.Normal(loc, scale), [D.transforms.ExpTransform()])


def test_kl_transformed_transformed_matches_torch(backend):
    inputs = random_params([((3,), -1, 1), ((3,), 0.5, 2), ((2, 1), -1, 1), ((3,), 0.5, 2)])

    def call(a, b, c, d):
        D = ns(a)
        return D.kl_divergence(_exp_of_normal(D, a, b), _exp_of_normal(D, c, d))

    _check(call, inputs, backend)


def test_kl_transformed_with_other_transforms_raises_as_torch(backend):
    for D, T in [(xd, xpnet.tensor), (torch.distributions, torch.tensor)]:
        p = _exp_of_normal(D, T([0.0]), T([1.0]))
        q = D.TransformedDistribution(D.Normal(T([0.0]), T([1.0])), [D.transforms.TanhTransform()])
        with pytest.raises(NotImplementedError):
            D.kl_divergence(p, q)
