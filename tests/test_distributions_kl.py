"""kl_divergence against torch.distributions.kl_divergence in float64, forward and the
gradients of every parameter of both distributions, on generated parameters that broadcast,
with the infinite cases (probabilities 0 and 1, a support outside the other's); register_kl's
dispatch and the NotImplementedError of pairs without a KL."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from _distributions import ns, random_params, spd, tril
from _oracle import check_tensor_method

import xpnet
import xpnet.distributions as xd
from xpnet.autograd import Tensor

# name: (make(D, *params) for one side, the (shape, low, high) of its parameters)
PAIRS = {
    "Normal": (lambda D, a, b: D.Normal(a, b), [((3, 4), -1, 1), ((4,), 0.5, 2)]),
    "LogNormal": (lambda D, a, b: D.LogNormal(a, b), [((3, 4), -1, 1), ((4,), 0.5, 2)]),
    "Exponential": (lambda D, a: D.Exponential(a), [((3, 4), 0.5, 2)]),
    "Laplace": (lambda D, a, b: D.Laplace(a, b), [((3, 4), -1, 1), ((4,), 0.5, 2)]),
    "Bernoulli": (lambda D, p: D.Bernoulli(p), [((3, 4), 0.05, 0.95)]),
    "Bernoulli_logits": (lambda D, x: D.Bernoulli(logits=x), [((3, 4), -4, 4)]),
    "Categorical": (lambda D, p: D.Categorical(p), [((3, 4), 0.05, 0.95)]),
    "Categorical_logits": (lambda D, x: D.Categorical(logits=x), [((3, 4), -4, 4)]),
    "OneHotCategorical": (lambda D, p: D.OneHotCategorical(p), [((3, 4), 0.05, 0.95)]),
    "Independent": (
        lambda D, a, b: D.Independent(D.Normal(a, b), 1),
        [((3, 4), -1, 1), ((3, 4), 0.5, 2)],
    ),
    "MultivariateNormal": (
        lambda D, loc, A: D.MultivariateNormal(loc, covariance_matrix=spd(A)),
        [((2, 1, 3), -1, 1), ((4, 3, 3), -1, 1)],
    ),
    "MultivariateNormal_tril": (
        lambda D, loc, A: D.MultivariateNormal(loc, scale_tril=tril(A)),
        [((3,), -1, 1), ((2, 3, 3), -1, 1)],
    ),
}


@pytest.mark.parametrize("name", PAIRS)
def test_kl_divergence_matches_torch(backend, name):
    make, spec = PAIRS[name]
    p_params, q_params = random_params(spec, seed=0), random_params(spec, seed=10)
    k = len(spec)

    def call(*t):
        D = ns(t[0])
        return D.kl_divergence(make(D, *t[:k]), make(D, *t[k:]))

    check_tensor_method(call, [*p_params, *q_params], backend)


def test_kl_uniform_uniform_matches_torch_inside_and_outside(backend):
    # the second and fourth q do not cover p: infinite, as torch's
    p_low, p_high = np.array([0.0, 0.0, -1.0, 0.5]), np.array([1.0, 2.0, 1.0, 1.5])
    q_low, q_high = np.array([-1.0, 0.5, -2.0, 0.0]), np.array([1.5, 3.0, 2.0, 1.0])

    def call(pl, ph, ql, qh):
        D = ns(pl)
        return D.kl_divergence(D.Uniform(pl, ph), D.Uniform(ql, qh))

    output, _ = check_tensor_method(call, [p_low, p_high, q_low, q_high], backend)
    assert np.isinf(output[[1, 3]]).all() and np.isfinite(output[[0, 2]]).all()


@pytest.mark.parametrize("family", ["Bernoulli", "Categorical"])
def test_kl_with_probabilities_zero_and_one_matches_torch(backend, family):
    if family == "Bernoulli":  # every pairing of 0, 1/2 and 1, both ways
        p = np.array([0.0, 0.0, 0.0, 0.5, 0.5, 0.5, 1.0, 1.0, 1.0])
        q = np.array([0.0, 0.5, 1.0, 0.0, 0.5, 1.0, 0.0, 0.5, 1.0])
    else:  # a zero in p only, in q only, in both, and p == q
        p = np.array([[0.0, 0.5, 0.5], [0.2, 0.3, 0.5], [0.0, 1.0, 0.0], [0.0, 1.0, 0.0]])
        q = np.array([[0.3, 0.3, 0.4], [0.0, 0.5, 0.5], [0.0, 0.5, 0.5], [0.0, 1.0, 0.0]])

    def call(p, q):
        D = ns(p)
        return D.kl_divergence(getattr(D, family)(p), getattr(D, family)(q))

    output, _ = check_tensor_method(call, [p, q], backend)
    assert np.isinf(output).any() and (output == 0).any()


@pytest.mark.parametrize(
    "pair",
    [
        lambda D, T: (D.Categorical(T([0.5, 0.5])), D.Normal(0.0, 1.0)),
        lambda D, T: (D.Uniform(0.0, 1.0), D.Laplace(0.0, 1.0)),
        lambda D, T: (D.Bernoulli(0.5), D.Categorical(T([0.5, 0.5]))),
    ],
)
def test_pairs_without_a_kl_raise_as_torch(backend, pair):
    messages = []
    for D, T in [
        (xd, lambda v: Tensor(xpnet.asarray(np.asarray(v)))),
        (torch.distributions, torch.tensor),
    ]:
        with pytest.raises(NotImplementedError) as error:
            D.kl_divergence(*pair(D, T))
        messages.append(str(error.value))
    assert messages[0] == messages[1]


def test_independent_kl_needs_the_same_reinterpreted_ndims(backend):
    base = xd.Normal(Tensor(xpnet.asarray(np.zeros((2, 3)))), 1.0)
    with pytest.raises(NotImplementedError, match="reinterpreted_batch_ndims"):
        xd.kl_divergence(xd.Independent(base, 1), xd.Independent(base, 2))


def test_multivariate_normal_kl_needs_equal_event_shapes(backend):
    p = xd.MultivariateNormal(Tensor(xpnet.asarray(np.zeros(2))), Tensor(xpnet.asarray(np.eye(2))))
    q = xd.MultivariateNormal(Tensor(xpnet.asarray(np.zeros(3))), Tensor(xpnet.asarray(np.eye(3))))
    with pytest.raises(ValueError, match="different event shapes"):
        xd.kl_divergence(p, q)


def test_register_kl_picks_the_most_specific_pair(backend):
    class Narrow(xd.Normal):
        pass

    class Narrower(Narrow):
        pass

    @xd.register_kl(Narrow, xd.Normal)
    def _narrow_normal(p, q):
        return "narrow-normal"

    @xd.register_kl(Narrower, Narrow)
    def _narrower_narrow(p, q):
        return "narrower-narrow"

    one = Tensor(xpnet.asarray(np.ones(1)))
    assert xd.kl_divergence(Narrow(one, one), xd.Normal(one, one)) == "narrow-normal"
    assert xd.kl_divergence(Narrower(one, one), Narrower(one, one)) == "narrower-narrow"
    assert xd.kl_divergence(Narrower(one, one), xd.Normal(one, one)) == "narrow-normal"
    kl = xd.kl_divergence(xd.Normal(one, one), Narrow(one, one))  # the Normal-Normal formula
    np.testing.assert_array_equal(kl.numpy(), [0.0])


def test_register_kl_refuses_non_distributions(backend):
    with pytest.raises(TypeError, match="Expected type_p to be a Distribution subclass"):
        xd.register_kl(int, xd.Normal)
    with pytest.raises(TypeError, match="Expected type_q to be a Distribution subclass"):
        xd.register_kl(xd.Normal, "Normal")
