"""LowRankMultivariateNormal, VonMises, Wishart and LKJCholesky against torch.distributions in
float64: log_prob, entropy and the moments with the gradients of every parameter (and value);
shapes, expand, validation and messages; the KL pairs of LowRankMultivariateNormal with itself
and MultivariateNormal. Draws cannot equal torch's (other random streams): their moments are
checked against the distributions' within 5 standard errors, and Wishart's rsample gradient
against finite differences of the reseeded draws."""

from __future__ import annotations

import math
import re
import warnings

import numpy as np
import pytest
import torch
from _distributions import ns, spd, tril
from _oracle import check_tensor_method, random_input

import xpnet
import xpnet.distributions as xd
from xpnet.autograd import Tensor

N = 20_000
Z = 5.0  # standard errors: a correct sampler fails a check with probability ~6e-7


def T(values, requires_grad=False):
    return Tensor(xpnet.asarray(np.asarray(values, dtype=np.float64)), requires_grad=requires_grad)


def _method(d, what, value=None):
    if what in ("log_prob", "cdf"):
        return getattr(d, what)(value)
    return d.entropy() if what == "entropy" else getattr(d, what)


def _lowrank(D, loc, W, diag):
    return D.LowRankMultivariateNormal(loc, W, diag)


@pytest.mark.parametrize(
    "what",
    [
        "log_prob",
        "entropy",
        "mean",
        "mode",
        "variance",
        "covariance_matrix",
        "precision_matrix",
        "scale_tril",
    ],
)
def test_lowrank_multivariate_normal_matches_torch(backend, what):
    loc = random_input((2, 1, 4), seed=0)  # batch (2, 3): the parameters broadcast
    W = random_input((3, 4, 2), seed=1)
    diag = random_input((4,), seed=2, low=0.5, high=2)
    value = random_input((5, 2, 3, 4), seed=3, low=-2, high=2)

    def call(loc, W, diag, value):
        return _method(_lowrank(ns(loc), loc, W, diag), what, value)

    check_tensor_method(call, [loc, W, diag, value], backend)


@pytest.mark.parametrize("what", ["log_prob", "mean", "mode", "variance"])
def test_von_mises_matches_torch(backend, what):
    loc = random_input((3, 1), seed=0, low=-4, high=4)
    # both sides of 3.75, where the Bessel approximation switches formula
    concentration = np.array([0.01, 0.7, 3.0, 3.9, 12.0, 80.0])
    value = random_input((2, 3, 6), seed=2, low=-7, high=7)

    def call(loc, concentration, value):
        return _method(ns(loc).VonMises(loc, concentration), what, value)

    check_tensor_method(call, [loc, concentration, value], backend)


WISHART = {
    "covariance_matrix": lambda D, df, A: D.Wishart(df, covariance_matrix=spd(A)),
    "precision_matrix": lambda D, df, A: D.Wishart(df, precision_matrix=spd(A)),
    "scale_tril": lambda D, df, A: D.Wishart(df, scale_tril=tril(A)),
}


@pytest.mark.parametrize("given", WISHART)
@pytest.mark.parametrize(
    "what",
    [
        "log_prob",
        "entropy",
        "mean",
        "mode",
        "variance",
        "covariance_matrix",
        "precision_matrix",
        "scale_tril",
    ],
)
def test_wishart_matches_torch(backend, given, what):
    df = random_input((2, 1), seed=0, low=3.5, high=8)  # batch (2, 3), above p + 1 = 4 in part
    A = random_input((3, 3, 3), seed=1)
    B = random_input((4, 1, 3, 3, 3), seed=2)

    def call(df, A, B):
        return _method(WISHART[given](ns(df), df, A), what, spd(B))

    check_tensor_method(call, [df, A, B], backend)


def test_wishart_with_a_number_df_matches_torch(backend):
    def call(A, B):
        return ns(A).Wishart(5.0, scale_tril=tril(A)).log_prob(spd(B))

    check_tensor_method(
        call, [random_input((2, 3, 3), seed=1), random_input((3, 3), seed=2)], backend
    )


def _corr_cholesky(x):
    return torch.distributions.transforms.CorrCholeskyTransform()(torch.tensor(x)).numpy()


@pytest.mark.parametrize("dim", [2, 4])
def test_lkj_cholesky_log_prob_matches_torch(backend, dim):
    concentration = np.array([0.5, 1.0, 3.0])
    value = _corr_cholesky(random_input((5, 3, dim * (dim - 1) // 2), seed=1, low=-2, high=2))

    def call(concentration, value):
        return ns(concentration).LKJCholesky(dim, concentration).log_prob(value)

    check_tensor_method(call, [concentration, value], backend)


KL = {
    "LowRank": lambda D, loc, W, diag, A: D.LowRankMultivariateNormal(loc, W, diag),
    "MultivariateNormal": lambda D, loc, W, diag, A: D.MultivariateNormal(loc, scale_tril=tril(A)),
}


@pytest.mark.parametrize("p_name", KL)
@pytest.mark.parametrize("q_name", KL)
def test_lowrank_kl_divergence_matches_torch(backend, p_name, q_name):
    if p_name == q_name == "MultivariateNormal":
        pytest.skip("the MultivariateNormal pair is tests/test_distributions_kl.py's")
    spec = [((2, 3), -1, 1), ((3, 2), -1, 1), ((2, 3), 0.5, 2), ((2, 3, 3), -1, 1)]
    p_params = [random_input(s, seed=i, low=lo, high=hi) for i, (s, lo, hi) in enumerate(spec)]
    q_params = [random_input(s, seed=9 + i, low=lo, high=hi) for i, (s, lo, hi) in enumerate(spec)]
    q_params[2] = random_input((3,), seed=20, low=0.5, high=2)  # cov_diag unbroadcast

    def call(*t):
        D = ns(t[0])
        return D.kl_divergence(KL[p_name](D, *t[:4]), KL[q_name](D, *t[4:]))

    check_tensor_method(call, [*p_params, *q_params], backend)


def _both(build):
    """``build(D, as_tensor)`` for xpnet and torch: the pair of results."""
    ours = build(xd, T)
    theirs = build(torch.distributions, lambda v: torch.tensor(v, dtype=torch.float64))
    return ours, theirs


EYE = np.eye(3).tolist()
SHAPES = [
    lambda D, T: D.LowRankMultivariateNormal(
        T([[0.0, 1.0]]), T([[[1.0], [2.0]]] * 3), T([1.0, 2.0])
    ),
    lambda D, T: D.LowRankMultivariateNormal(
        T([0.0, 1.0]), T([[1.0], [2.0]]), T([1.0, 2.0])
    ).expand((4, 2)),
    lambda D, T: D.VonMises(T([0.0, 1.0]), 2.0),
    lambda D, T: D.VonMises(T([0.0, 1.0]), T([[2.0], [0.5]])).expand((3, 2, 2)),
    lambda D, T: D.Wishart(T([4.0, 5.0]), covariance_matrix=T(EYE)),
    lambda D, T: D.Wishart(4.5, precision_matrix=T([EYE] * 2)).expand((3, 2)),
    lambda D, T: D.Wishart(T(3.5), scale_tril=T(EYE)).expand((2,)),
    lambda D, T: D.LKJCholesky(3, T([0.5, 2.0])),
    lambda D, T: D.LKJCholesky(2, T(1.0)).expand((4,)),
]


@pytest.mark.parametrize("build", SHAPES)
def test_shapes_and_expand_match_torch(backend, build):
    ours, theirs = _both(build)
    assert type(ours).__name__ == type(theirs).__name__
    assert ours.batch_shape == tuple(theirs.batch_shape)
    assert ours.event_shape == tuple(theirs.event_shape)
    assert ours.has_rsample == theirs.has_rsample
    assert repr(ours.support) == repr(theirs.support)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch's Wishart warns on every draw (see wishart.py)
        expected = tuple(theirs.sample((7,)).shape)
        value = theirs.sample((2,))
    assert tuple(ours.sample((7,)).shape) == expected
    np.testing.assert_allclose(
        ours.log_prob(T(value.numpy())).numpy(), theirs.log_prob(value).numpy(), rtol=1e-10
    )


def _message(build):
    """The exceptions of ``build(D, T)`` in xpnet and torch, up to the distribution's repr."""
    raised = []
    for D, make in [
        (xd, T),
        (torch.distributions, lambda v: torch.tensor(v, dtype=torch.float64)),
    ]:
        with pytest.raises(Exception) as error:  # noqa: PT011 - compared below
            build(D, make)
        raised.append(error.value)
    ours, theirs = raised
    assert type(ours) is type(theirs), (ours, theirs)
    messages = [str(e).split(" of distribution ")[0].split(":")[0] for e in raised]
    # shapes print as tuples in xpnet, as torch.Size in torch; tensors print differently
    messages[1] = re.sub(r"torch\.Size\(\[(\d+)\]\)", r"(\1,)", messages[1])
    return [re.sub(r"df=.*? expected", "df=... expected", m) for m in messages]


@pytest.mark.parametrize(
    "build",
    [
        lambda D, T: D.LowRankMultivariateNormal(T([0.0, 0.0]), T([[1.0], [1.0]]), T([1.0, -1.0])),
        lambda D, T: D.LowRankMultivariateNormal(
            T([0.0, float("nan")]), T([[1.0], [1.0]]), T([1.0, 1.0])
        ),
        lambda D, T: D.VonMises(T([0.0]), T([-1.0])),
        lambda D, T: D.VonMises(T([float("nan")]), 1.0),
        lambda D, T: D.Wishart(T(3.0), covariance_matrix=T([[1.0, 2.0], [2.0, 1.0]])),
        lambda D, T: D.Wishart(T(3.0), scale_tril=T([[1.0, 0.0], [0.5, -1.0]])),
        lambda D, T: D.LKJCholesky(3, T([-0.5])),
    ],
)
def test_invalid_parameters_raise_as_torch(backend, build):
    ours, theirs = _message(build)
    assert ours == theirs and ours.startswith("Expected parameter ")


@pytest.mark.parametrize(
    "build",
    [
        lambda D, T: D.LowRankMultivariateNormal(T(0.0), T([[1.0]]), T([1.0])),
        lambda D, T: D.LowRankMultivariateNormal(T([0.0]), T([1.0]), T([1.0])),
        lambda D, T: D.LowRankMultivariateNormal(T([0.0, 0.0]), T([[1.0]]), T([1.0, 1.0])),
        lambda D, T: D.LowRankMultivariateNormal(T([0.0, 0.0]), T([[1.0], [1.0]]), T([1.0])),
        lambda D, T: D.LowRankMultivariateNormal(
            T([[0.0, 0.0]] * 2), T([[[1.0], [1.0]]] * 3), T([1.0, 1.0])
        ),
        lambda D, T: D.LowRankMultivariateNormal(
            T([0.0, 0.0]), T([[1.0], [1.0]]), T([1.0, 1.0])
        ).log_prob(T([0.0, 0.0, 0.0])),
        lambda D, T: D.Wishart(T(3.0)),
        lambda D, T: D.Wishart(T(3.0), covariance_matrix=T(EYE), scale_tril=T(EYE)),
        lambda D, T: D.Wishart(T(3.0), scale_tril=T([1.0])),
        lambda D, T: D.Wishart(T([1.5, 3.0]), covariance_matrix=T(EYE)),
        lambda D, T: D.Wishart(T(3.0), covariance_matrix=T(EYE)).log_prob(T(-np.eye(3))),
        lambda D, T: D.LKJCholesky(1),
        lambda D, T: D.LKJCholesky(2).log_prob(T([[1.0, 0.0], [0.5, 0.5]])),
        lambda D, T: D.VonMises(0.0, 1.0).log_prob(0.5),
    ],
)
def test_invalid_arguments_and_values_raise_as_torch(backend, build):
    ours, theirs = _message(build)
    assert ours == theirs


def test_wishart_warns_for_low_df_as_torch(backend):
    for D, make in [(xd, T), (torch.distributions, torch.tensor)]:
        with pytest.warns(UserWarning, match="Low df values detected"):
            D.Wishart(make(2.5), covariance_matrix=make(np.eye(3)))


def test_lowrank_sample_covariance_and_rsample_gradient(backend):
    xpnet.manual_seed(2)
    loc, W, diag = T([1.0, -1.0, 0.0]), T([[1.0, 0.5], [0.0, -1.0], [0.3, 0.0]]), T([0.5, 1.0, 0.2])
    d = xd.LowRankMultivariateNormal(loc, W, diag)
    draws = d.sample((N,)).numpy()
    cov = d.covariance_matrix.numpy()
    # the sample mean and covariance's standard errors for normal data
    assert np.all(np.abs(draws.mean(0) - loc.numpy()) <= Z * np.sqrt(np.diag(cov) / N))
    error = np.sqrt((np.outer(np.diag(cov), np.diag(cov)) + cov**2) / N)
    assert np.all(np.abs(np.cov(draws, rowvar=False) - cov) <= Z * error)
    loc.requires_grad = True
    xd.LowRankMultivariateNormal(loc, W, diag).rsample((5,)).sum().backward()
    np.testing.assert_array_equal(xpnet.to_numpy(loc.grad), np.full(3, 5.0))


def _circular_moments(kappa):
    """E cos(x - loc) = I_1/I_0 and E cos 2(x - loc) = I_2/I_0 = 1 - 2 I_1 / (kappa I_0)."""
    i0 = torch.special.modified_bessel_i0(torch.tensor(kappa)).numpy()
    i1 = torch.special.modified_bessel_i1(torch.tensor(kappa)).numpy()
    return i1 / i0, 1 - 2 * i1 / (kappa * i0)


def test_von_mises_draws_have_the_circular_moments(backend):
    loc, kappa = np.array([0.5, -3.0, 2.0, 0.0]), np.array([0.3, 1.0, 5.0, 60.0])
    xpnet.manual_seed(4)
    draws = xd.VonMises(T(loc), T(kappa)).sample((N,)).numpy()
    assert draws.shape == (N, 4) and draws.min() >= -math.pi and draws.max() < math.pi
    m1, m2 = _circular_moments(kappa)
    for statistic, expected in [
        (np.cos(draws - loc), m1),
        (np.cos(2 * (draws - loc)), m2),
        (np.sin(draws - loc), 0.0),  # symmetric about loc
    ]:
        error = statistic.std(0) / np.sqrt(N)
        assert np.all(np.abs(statistic.mean(0) - expected) <= Z * error + 1e-12)


def test_von_mises_samples_repeat_and_keep_float32(backend):
    d = xd.VonMises(Tensor(xpnet.asarray(np.zeros(3, dtype=np.float32))), 1e-6)
    xpnet.manual_seed(1)
    first = d.sample((4,))
    xpnet.manual_seed(1)
    assert first.dtype == np.float32 and type(first.array) is backend.ndarray
    np.testing.assert_array_equal(d.sample((4,)).numpy(), first.numpy())


def test_wishart_draws_have_the_wishart_moments(backend):
    cov = np.array([[2.0, 0.6, 0.0], [0.6, 1.0, -0.3], [0.0, -0.3, 0.5]])
    d = xd.Wishart(T([4.0, 7.5]), covariance_matrix=T(cov))
    xpnet.manual_seed(3)
    draws = d.rsample((N,)).numpy()  # (N, 2, 3, 3)
    assert np.allclose(draws, np.swapaxes(draws, -1, -2))
    assert (np.linalg.eigvalsh(draws) > 0).all()
    n = draws.shape[0]
    centred = draws - draws.mean(0)
    s2, m4 = (centred**2).mean(0), (centred**4).mean(0)
    assert np.all(np.abs(draws.mean(0) - d.mean.numpy()) <= Z * np.sqrt(d.variance.numpy() / n))
    assert np.all(np.abs(s2 - d.variance.numpy()) <= Z * np.sqrt((m4 - s2**2) / n))


def test_wishart_rsample_gradient_matches_finite_differences(backend):
    """With the draws reseeded, rsample is a function of scale_tril: its autograd gradient
    equals central differences."""
    L0 = np.array([[1.2, 0.0], [0.4, 0.7]])
    weights = random_input((3, 2, 2), seed=1)

    def draw(L):
        xpnet.manual_seed(8)
        return xd.Wishart(T(3.5), scale_tril=L).rsample((3,))

    L = T(L0, requires_grad=True)
    (draw(L) * T(weights)).sum().backward()
    grad = xpnet.to_numpy(L.grad)
    h = 1e-6
    for i, j in [(0, 0), (1, 0), (1, 1)]:
        step = np.zeros_like(L0)
        step[i, j] = h
        up, down = (float((draw(T(L0 + s)) * T(weights)).sum()) for s in (step, -step))
        assert abs((up - down) / (2 * h) - grad[i, j]) <= 1e-6 * max(1.0, abs(grad[i, j]))


def test_lkj_cholesky_draws_are_correlation_factors_with_lkj_marginals(backend):
    """Off-diagonal correlations of LKJ(eta) in dimension d: (r + 1) / 2 ~ Beta(a, a),
    a = eta - 1 + d / 2, so mean 0 and variance 1 / (2 a + 1) (Lewandowski et al., 2009)."""
    dim, eta = 4, np.array([0.5, 1.0, 4.0])
    d = xd.LKJCholesky(dim, T(eta))
    xpnet.manual_seed(6)
    L = d.sample((N // 4,))
    assert bool(xd.constraints.corr_cholesky.check(L).all())
    L = L.numpy()
    M = L @ np.swapaxes(L, -1, -2)
    np.testing.assert_allclose(np.diagonal(M, axis1=-2, axis2=-1), 1.0, atol=1e-12)
    r = M[..., 1, 0], M[..., 3, 2], M[..., 2, 0]
    variance = 1 / (2 * (eta - 1 + dim / 2) + 1)
    for draws in r:
        n = draws.shape[0]
        centred = draws - draws.mean(0)
        s2, m4 = (centred**2).mean(0), (centred**4).mean(0)
        assert np.all(np.abs(draws.mean(0)) <= Z * np.sqrt(variance / n))
        assert np.all(np.abs(s2 - variance) <= Z * np.sqrt((m4 - s2**2) / n))
