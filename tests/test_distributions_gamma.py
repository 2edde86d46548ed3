"""Gamma, Beta, Dirichlet, Poisson and Binomial of xpnet.distributions against
torch.distributions in float64 (log_prob, entropy, mean, mode, variance and their gradients;
KL divergences), their samples' moments (20,000 draws within 5 standard errors, as
test_distributions_sampling.py), validation, and the discrete ones' missing rsample."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from _distributions import ns, random_params
from _oracle import check_against_torch, like

import xpnet
import xpnet.distributions as xd
from xpnet.autograd import Tensor

N, Z = 20_000, 5.0


# name: (make(D, *params), parameter (shape, low, high), value maker(rng) -> (array, dtype))
CASES = {
    "Gamma": (
        lambda D, c, r: D.Gamma(c, r),
        [((3, 4), 0.5, 3), ((4,), 0.5, 2)],
        lambda rng: (rng.uniform(0.05, 4, (2, 3, 4)), "float64"),
    ),
    "Beta": (
        lambda D, a, b: D.Beta(a, b),
        [((3, 4), 0.5, 3), ((4,), 0.5, 3)],
        lambda rng: (rng.uniform(0.02, 0.98, (2, 3, 4)), "float64"),
    ),
    "Dirichlet": (
        lambda D, c: D.Dirichlet(c),
        [((3, 4), 0.5, 3)],
        lambda rng: (rng.dirichlet(np.ones(4), (2, 3)), "float64"),
    ),
    "Poisson": (
        lambda D, r: D.Poisson(r),
        [((3, 4), 0.5, 5)],
        lambda rng: (rng.integers(0, 8, (2, 3, 4)), "float64"),
    ),
    "Binomial_probs": (
        lambda D, p: D.Binomial(5, p),
        [((3, 4), 0.05, 0.95)],
        lambda rng: (rng.integers(0, 6, (2, 3, 4)), "float64"),
    ),
    "Binomial_logits": (
        lambda D, x: D.Binomial(like(x, np.full((3, 4), 7.0), "float64"), logits=x),
        [((3, 4), -30, 30)],
        lambda rng: (rng.integers(0, 8, (2, 3, 4)), "float64"),
    ),
}
WITH_ENTROPY = ["Gamma", "Beta", "Dirichlet", "Binomial_probs", "Binomial_logits"]


# PyTorch's trigamma (the derivative of the digamma in entropies and KLs) is accurate to about
# 5e-10 relative only (see test_tensor_gamma.py, where mpmath judges): 2e-9 where it is used
TRIGAMMA_RTOL = 2e-9


def check(method, inputs, backend, rtol=None):
    """check_tensor_method of _oracle.py, with ``rtol``."""

    def forward(*arrays):
        return method(*[Tensor(a) for a in arrays]).array

    def backward(grad_output, *arrays):
        tensors = [Tensor(a, requires_grad=True) for a in arrays]
        method(*tensors).backward(grad_output)
        return tuple(t.grad for t in tensors)

    return check_against_torch(forward, backward, method, inputs, backend, rtol=rtol)


@pytest.mark.parametrize("name", CASES)
@pytest.mark.parametrize("what", ["log_prob", "entropy", "mean", "mode", "variance"])
def test_values_and_gradients_match_torch(backend, name, what):
    make, spec, value_of = CASES[name]
    if what == "entropy" and name not in WITH_ENTROPY:  # Poisson: neither library has one
        for t in (Tensor(backend.asarray(np.ones(2))), torch.ones(2)):
            with pytest.raises(NotImplementedError):
                make(ns(t), t).entropy()
        return
    value, dtype = value_of(np.random.default_rng(3))

    def call(*t):
        d = make(ns(t[0]), *t)
        if what == "log_prob":
            return d.log_prob(like(t[0], value, dtype))
        return d.entropy() if what == "entropy" else getattr(d, what)

    digammas = what == "entropy" and name in ("Gamma", "Beta", "Dirichlet")
    check(call, random_params(spec), backend, TRIGAMMA_RTOL if digammas else None)


def test_dirichlet_and_beta_modes_at_the_corners_match_torch(backend):
    c = np.array([[0.5, 0.3, 0.9], [2.0, 3.0, 0.5], [1.0, 1.0, 1.0]])
    ours = xd.Dirichlet(Tensor(backend.asarray(c))).mode.numpy()
    np.testing.assert_array_equal(ours, torch.distributions.Dirichlet(torch.tensor(c)).mode)
    a, b = np.array([0.5, 2.0, 0.7]), np.array([0.5, 3.0, 4.0])
    ours = xd.Beta(Tensor(backend.asarray(a)), Tensor(backend.asarray(b))).mode.numpy()
    expected = torch.distributions.Beta(torch.tensor(a), torch.tensor(b)).mode.numpy()
    np.testing.assert_allclose(ours, expected, rtol=1e-15)


KL = {
    "Gamma": ("Gamma", [((3, 4), 0.5, 3), ((4,), 0.5, 2)]),
    "Beta": ("Beta", [((3, 4), 0.5, 3), ((4,), 0.5, 3)]),
    "Dirichlet": ("Dirichlet", [((3, 4), 0.5, 3)]),
    "Poisson": ("Poisson", [((3, 4), 0.5, 5)]),
    "Binomial": ("Binomial_probs", [((3, 4), 0.05, 0.95)]),
}


@pytest.mark.parametrize("name", KL)
def test_kl_divergence_matches_torch(backend, name):
    case, spec = KL[name]
    make = CASES[case][0]
    k = len(spec)

    def call(*t):
        D = ns(t[0])
        return D.kl_divergence(make(D, *t[:k]), make(D, *t[k:]))

    digammas = name in ("Gamma", "Beta", "Dirichlet")
    check(
        call,
        [*random_params(spec, 0), *random_params(spec, 10)],
        backend,
        TRIGAMMA_RTOL if digammas else None,
    )


def test_binomial_kl_with_fewer_trials_in_p_is_infinite_and_more_refused(backend):
    def T(v):
        return Tensor(backend.asarray(np.asarray(v, dtype=np.float64)))

    p = xd.Binomial(T([5.0, 3.0]), T([0.3, 0.3]))
    q = xd.Binomial(T([3.0, 3.0]), T([0.5, 0.5]))
    kl = xd.kl_divergence(p, q).numpy()
    tp = torch.distributions.Binomial(
        torch.tensor([5.0, 3.0], dtype=torch.float64), torch.tensor([0.3, 0.3], dtype=torch.float64)
    )
    tq = torch.distributions.Binomial(
        torch.tensor([3.0, 3.0], dtype=torch.float64), torch.tensor([0.5, 0.5], dtype=torch.float64)
    )
    np.testing.assert_allclose(kl, torch.distributions.kl_divergence(tp, tq).numpy(), rtol=1e-12)
    assert np.isinf(kl[0])
    with pytest.raises(NotImplementedError, match="q.total_count > p.total_count"):
        xd.kl_divergence(q, p)


SAMPLED = {
    "Gamma": lambda T: xd.Gamma(T([0.3, 2.0, 9.0]), T([1.0, 0.5, 3.0])),
    "Beta": lambda T: xd.Beta(T([0.5, 2.0, 5.0]), T([0.5, 3.0, 1.0])),
    "Dirichlet": lambda T: xd.Dirichlet(T([[0.5, 1.0, 3.0], [4.0, 4.0, 4.0]])),
    "Poisson": lambda T: xd.Poisson(T([0.2, 3.0, 40.0])),
    "Binomial": lambda T: xd.Binomial(T([1.0, 10.0, 30.0]), T([0.5, 0.1, 0.9])),
}


@pytest.mark.parametrize("name", SAMPLED)
def test_sample_moments_match_the_distribution(backend, name):
    def T(v):
        return Tensor(backend.asarray(np.asarray(v, dtype=np.float64)))

    xpnet.manual_seed(0)
    d = SAMPLED[name](T)
    draws = d.sample((N,))
    assert draws.shape == (N, *d.batch_shape, *d.event_shape) and draws.dtype == np.float64
    assert type(draws.array) is backend.ndarray
    x, mean, var = draws.numpy(), d.mean.numpy(), d.variance.numpy()
    centred = x - x.mean(0)
    s2, m4 = (centred**2).mean(0), (centred**4).mean(0)
    assert np.all(np.abs(x.mean(0) - mean) <= Z * np.sqrt(var / N)), "mean"
    assert np.all(np.abs(s2 - var) <= Z * np.sqrt((m4 - s2**2) / N)), "variance"
    xpnet.manual_seed(0)
    np.testing.assert_array_equal(SAMPLED[name](T).sample((N,)).numpy(), x)


@pytest.mark.parametrize("name", ["Poisson", "Binomial"])  # discrete: no rsample in torch either
def test_rsample_is_not_available(backend, name):
    d = SAMPLED[name](lambda v: Tensor(backend.asarray(np.asarray(v, dtype=np.float64))))
    assert not d.has_rsample
    with pytest.raises(NotImplementedError, match="has no rsample"):
        d.rsample()


@pytest.mark.parametrize(
    "build",
    [
        lambda D, T: D.Gamma(T([1.0, -1.0]), 1.0),
        lambda D, T: D.Gamma(1.0, T([0.0])),
        lambda D, T: D.Beta(T([0.0]), 1.0),
        lambda D, T: D.Dirichlet(T([1.0, -0.5])),
        lambda D, T: D.Poisson(T([-0.1])),
        lambda D, T: D.Binomial(T([2.5]), T([0.5])),
        lambda D, T: D.Binomial(T([-1.0]), T([0.5])),
        lambda D, T: D.Gamma(1.0, 1.0).log_prob(T([-1.0])),
        lambda D, T: D.Beta(1.0, 1.0).log_prob(T([1.5])),
        lambda D, T: D.Dirichlet(T([1.0, 1.0])).log_prob(T([0.3, 0.3])),
        lambda D, T: D.Poisson(T([1.0])).log_prob(T([0.5])),
        lambda D, T: D.Binomial(T([3.0]), T([0.5])).log_prob(T([4.0])),
        lambda D, T: D.Dirichlet(T(1.0)),
        lambda D, T: D.Binomial(3),
    ],
)
def test_invalid_parameters_and_values_raise_as_torch(backend, build):
    messages = []
    for D, T in [
        (xd, lambda v: Tensor(backend.asarray(np.asarray(v, dtype=np.float64)))),
        (torch.distributions, lambda v: torch.tensor(v, dtype=torch.float64)),
    ]:
        with pytest.raises(ValueError) as error:
            build(D, T)
        # up to the distribution, and before a Tensor bound (torch prints tensor([3.], ...))
        message = str(error.value).split(" of distribution ")[0].split(":")[0]
        messages.append(message.split("upper_bound=")[0])
    assert messages[0] == messages[1]


def test_binomial_entropy_needs_one_total_count(backend):
    d = xd.Binomial(
        Tensor(backend.asarray(np.array([2.0, 3.0]))), Tensor(backend.asarray(np.array([0.5, 0.5])))
    )
    with pytest.raises(NotImplementedError, match="Inhomogeneous total count"):
        d.entropy()
