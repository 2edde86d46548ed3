"""Geometric, NegativeBinomial, Multinomial, ContinuousBernoulli, the relaxed families
(LogitRelaxedBernoulli, RelaxedBernoulli, ExpRelaxedCategorical, RelaxedOneHotCategorical) and
OneHotCategoricalStraightThrough against torch.distributions in float64: every method, forward
and every parameter (and value) gradient; rsample as the same map of the same uniform noise;
the straight-through gradient; KL pairs; shapes, expand and validation messages; and the
statistics of xpnet's own draws."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from _distributions import random_params
from _oracle import assert_close, check_against_torch, check_tensor_method, random_input

import xpnet
import xpnet.distributions as xd
from xpnet.autograd import Tensor
from xpnet.distributions import continuous_bernoulli, counts_more, relaxed

# ContinuousBernoulli's probs: both sides of 1/2 and inside its Taylor region (0.499, 0.501]
CB_PROBS = np.array([[0.05, 0.3, 0.4995, 0.5], [0.5005, 0.501, 0.7, 0.97], [0.2, 0.45, 0.55, 0.9]])
COUNTS = np.random.default_rng(3).integers(0, 6, (2, 3, 4)).astype(np.float64)
UNIT = random_input((2, 3, 4), seed=4, low=0.02, high=0.98)
SIMPLEX = np.random.default_rng(5).dirichlet(np.ones(4), (2, 3))
DRAWS = np.random.default_rng(6).multinomial(5, [0.1, 0.2, 0.3, 0.4], (2, 3)).astype(np.float64)

# name: (make(D, *params), parameter (shape, low, high) list, value)
FAMILIES = {
    "Geometric": (lambda D, p: D.Geometric(p), [((3, 4), 0.05, 0.95)], COUNTS),
    "Geometric_logits": (lambda D, x: D.Geometric(logits=x), [((3, 4), -3, 3)], COUNTS),
    "NegativeBinomial": (
        lambda D, n, p: D.NegativeBinomial(n, p),
        [((4,), 0.5, 6), ((3, 4), 0.05, 0.95)],
        COUNTS,
    ),
    "NegativeBinomial_logits": (
        lambda D, n, x: D.NegativeBinomial(n, logits=x),
        [((3, 4), 0.5, 6), ((3, 4), -3, 3)],
        COUNTS,
    ),
    "Multinomial": (lambda D, p: D.Multinomial(5, p), [((3, 4), 0.05, 0.95)], DRAWS),
    "Multinomial_logits": (lambda D, x: D.Multinomial(5, logits=x), [((3, 4), -3, 3)], DRAWS),
    "ContinuousBernoulli": (lambda D, p: D.ContinuousBernoulli(p), None, UNIT),
    "ContinuousBernoulli_logits": (
        lambda D, x: D.ContinuousBernoulli(logits=x),
        [((3, 4), -4, 4)],
        UNIT,
    ),
    "LogitRelaxedBernoulli": (
        lambda D, t, p: D.LogitRelaxedBernoulli(t, p),
        [((), 0.3, 2), ((3, 4), 0.05, 0.95)],
        random_input((2, 3, 4), seed=6, low=-3, high=3),
    ),
    "RelaxedBernoulli_logits": (
        lambda D, t, x: D.RelaxedBernoulli(t, logits=x),
        [((3, 1), 0.3, 2), ((3, 4), -3, 3)],
        UNIT,
    ),
    "ExpRelaxedCategorical": (
        lambda D, t, p: D.ExpRelaxedCategorical(t, p),
        [((), 0.3, 2), ((3, 4), 0.05, 0.95)],
        np.log(SIMPLEX),
    ),
    "RelaxedOneHotCategorical": (
        lambda D, t, p: D.RelaxedOneHotCategorical(t, p),
        [((), 0.3, 2), ((3, 4), 0.05, 0.95)],
        SIMPLEX,
    ),
    "RelaxedOneHotCategorical_logits": (
        lambda D, t, x: D.RelaxedOneHotCategorical(t, logits=x),
        [((), 0.3, 2), ((3, 4), -3, 3)],
        SIMPLEX,
    ),
    "OneHotCategoricalStraightThrough": (
        lambda D, p: D.OneHotCategoricalStraightThrough(p),
        [((3, 4), 0.05, 0.95)],
        np.eye(4)[np.random.default_rng(7).integers(0, 4, (2, 3))],
    ),
}


def ns(t):
    """The distributions namespace beside ``t`` (torch's or xpnet's), with the two classes
    that torch keeps in submodules only (``relaxed_bernoulli``, ``relaxed_categorical``)."""
    if isinstance(t, torch.Tensor):
        D = torch.distributions
        return _Namespace(
            D,
            LogitRelaxedBernoulli=D.relaxed_bernoulli.LogitRelaxedBernoulli,
            ExpRelaxedCategorical=D.relaxed_categorical.ExpRelaxedCategorical,
        )
    return _Namespace(
        xd,
        LogitRelaxedBernoulli=relaxed.LogitRelaxedBernoulli,
        ExpRelaxedCategorical=relaxed.ExpRelaxedCategorical,
    )


class _Namespace:
    def __init__(self, module, **extra):
        self.module, self.extra = module, extra

    def __getattr__(self, name):
        return self.extra[name] if name in self.extra else getattr(self.module, name)


def _params(name):
    spec = FAMILIES[name][1]
    return [CB_PROBS] if spec is None else random_params(spec)


@pytest.mark.parametrize("name", FAMILIES)
def test_log_prob_matches_torch(backend, name):
    make, _, value = FAMILIES[name]

    def call(*t):
        return make(ns(t[0]), *t[:-1]).log_prob(t[-1])

    check_tensor_method(call, [*_params(name), value], backend)


@pytest.mark.parametrize("name", FAMILIES)
def test_float32_log_prob_matches_torch_in_float64(backend, name):
    make, _, value = FAMILIES[name]

    def call(*t):
        return make(ns(t[0]), *t[:-1]).log_prob(t[-1])

    check_tensor_method(call, [*_params(name), value], backend, dtype=np.float32)


def test_without_validation_nothing_is_read_on_the_host(strict):
    """validate_args=False: a Gumbel-softmax / continuous-Bernoulli VAE step (rsample,
    log_prob, KL, backward) never waits for the device."""
    from xpnet.backends import host_reads_forbidden, use_backend

    with use_backend("strict"):
        logits = Tensor(strict.asarray(random_input((4, 3), seed=0)), requires_grad=True)
        temperature = Tensor(strict.asarray(np.array(0.5)))
        with host_reads_forbidden():
            soft = xd.RelaxedOneHotCategorical(temperature, logits=logits, validate_args=False)
            z = soft.rsample((2,))
            pixels = xd.ContinuousBernoulli(logits=logits, validate_args=False)
            prior = xd.ContinuousBernoulli(logits=logits * 0, validate_args=False)
            x = pixels.rsample()
            loss = soft.log_prob(z).sum() + pixels.log_prob(x).sum()
            loss = loss + xd.kl_divergence(pixels, prior).sum()
            loss.backward()
        assert logits.grad.shape == (4, 3)


@pytest.mark.parametrize("method", ["cdf", "icdf"])
@pytest.mark.parametrize("name", ["ContinuousBernoulli", "ContinuousBernoulli_logits"])
def test_continuous_bernoulli_cdf_icdf_match_torch(backend, name, method):
    make, _, value = FAMILIES[name]
    value = np.concatenate([value, [[[0.0, 1.0, 0.5, 0.25]] * 3]])  # the ends of the support

    def call(*t):
        return getattr(make(ns(t[0]), *t[:-1]), method)(t[-1])

    check_tensor_method(call, [*_params(name), value], backend)


MOMENTS = {
    "Geometric": ["mean", "variance", "stddev", "entropy"],
    "Geometric_logits": ["mean", "variance", "entropy"],
    "NegativeBinomial": ["mean", "mode", "variance", "stddev"],
    "NegativeBinomial_logits": ["mean", "mode", "variance"],
    "Multinomial": ["mean", "variance", "probs", "logits"],
    "Multinomial_logits": ["mean", "variance", "probs"],
    "ContinuousBernoulli": ["mean", "variance", "stddev", "entropy", "logits"],
    "ContinuousBernoulli_logits": ["mean", "variance", "entropy", "probs"],
    "RelaxedBernoulli_logits": ["probs", "temperature"],
    "RelaxedOneHotCategorical": ["probs", "logits"],
    "OneHotCategoricalStraightThrough": ["mean", "variance", "entropy"],
}


@pytest.mark.parametrize(
    "name, what", [(name, what) for name, whats in MOMENTS.items() for what in whats]
)
def test_moments_and_entropy_match_torch(backend, name, what):
    make = FAMILIES[name][0]

    def call(*t):
        d = make(ns(t[0]), *t)
        return d.entropy() if what == "entropy" else getattr(d, what)

    check_tensor_method(call, _params(name), backend)


def test_geometric_mode_is_zeros_without_a_graph_as_torch(backend):
    probs = Tensor(backend.asarray(np.array([0.2, 0.9])), requires_grad=True)
    mode = xd.Geometric(probs).mode
    theirs = torch.distributions.Geometric(torch.tensor([0.2, 0.9], requires_grad=True)).mode
    assert not mode.requires_grad and not theirs.requires_grad
    np.testing.assert_array_equal(mode.numpy(), theirs.numpy())


@pytest.mark.parametrize("n", [1, 6, 20])
def test_multinomial_entropy_matches_torch(backend, n):
    probs = random_input((3, 4), seed=1, low=0.05, high=0.95)

    def call(t):
        return ns(t).Multinomial(n, t).entropy()

    # torch computes its lgamma(n + 1) term in float32 (the default dtype of an int tensor's
    # lgamma); xpnet's is float64: the bound is that term's float32 rounding, 2^-24 relative
    rtol = 2.0**-24 * math.lgamma(n + 1) + 1e-10
    ours = xd.Multinomial(n, Tensor(backend.asarray(probs), requires_grad=True)).entropy()
    theirs = torch.distributions.Multinomial(n, torch.tensor(probs)).entropy()
    assert_close(ours.numpy(), theirs.numpy(), np.float64, "entropy", rtol=rtol)
    exact = theirs + torch.lgamma(torch.tensor(n + 1.0)) - math.lgamma(n + 1)
    assert_close(ours.numpy(), exact.numpy(), np.float64, "entropy, exact lgamma")
    check_tensor_method(lambda t: call(t) - call(t).detach(), [probs], backend)  # gradients


def test_geometric_and_multinomial_probability_edges_match_torch(backend):
    """Geometric's probs 1 at k = 0 and Multinomial's -inf logits at a count of 0 are 0 * log 0
    terms: 0, not NaN, in value and in the gradient, as torch's."""
    probs = np.array([1.0, 1.0, 0.5, 0.25])
    value = np.array([0.0, 2.0, 0.0, 3.0])

    def geometric(p, v):
        return ns(p).Geometric(p, validate_args=False).log_prob(v)

    with np.errstate(divide="ignore", invalid="ignore"):  # log(1 - 1) on both sides
        check_tensor_method(geometric, [probs, value], backend)
    logits = np.array([[-np.inf, 0.5, 0.5], [0.2, -np.inf, 0.8]])  # (probs 0 clamp to eps)
    value = np.array([[0.0, 2.0, 1.0], [1.0, 0.0, 3.0]])

    def multinomial(x, v):
        return ns(x).Multinomial(4, logits=x).log_prob(v)

    check_tensor_method(multinomial, [logits, value], backend)


def test_negative_binomial_total_count_zero_matches_torch(backend):
    # total_count = value = 0 has probability 1 (lgamma(0) is masked), as torch's
    total_count, probs, value = np.array([0.0, 0.0, 2.0]), np.array([0.3, 0.3, 0.3]), np.zeros(3)

    def call(n, p, v):
        return ns(p).NegativeBinomial(n, p, validate_args=False).log_prob(v).exp()

    with np.errstate(invalid="ignore", divide="ignore"):  # digamma(0) in both gradients
        ours = xd.NegativeBinomial(
            Tensor(backend.asarray(total_count)), Tensor(backend.asarray(probs))
        ).log_prob(Tensor(backend.asarray(value)))
    theirs = call(*(torch.tensor(x) for x in (total_count, probs, value)))
    assert_close(ours.exp().numpy(), theirs.numpy(), np.float64)
    assert ours.numpy()[0] == 0.0


def _patched_rand(monkeypatch, noise):
    """xpnet's and torch's ``rand`` in the samplers replaced by ``noise`` (broadcast to the
    asked shape), so that rsample is compared as the same map of the same uniforms."""

    def ours(*shape, dtype=None, device=None):
        return Tensor(xpnet.asarray(np.broadcast_to(noise, tuple(shape[0])).astype(dtype)))

    def theirs(*shape, dtype=None, device=None):
        return torch.tensor(np.broadcast_to(noise, tuple(shape[0])), dtype=dtype)

    for module in (relaxed, continuous_bernoulli):
        monkeypatch.setattr(module, "rand", ours)
    monkeypatch.setattr(torch, "rand", theirs)


RSAMPLE = [
    "ContinuousBernoulli",
    "ContinuousBernoulli_logits",
    "LogitRelaxedBernoulli",
    "RelaxedBernoulli_logits",
    "ExpRelaxedCategorical",
    "RelaxedOneHotCategorical",
    "RelaxedOneHotCategorical_logits",
]


@pytest.mark.parametrize("name", RSAMPLE)
def test_rsample_is_torchs_map_of_the_same_noise(backend, monkeypatch, name):
    noise = random_input((2, 3, 4), seed=8, low=0.0, high=1.0)
    noise[0, 0, :2] = [0.0, 1.0 - 2.0**-53]  # the clamped ends
    _patched_rand(monkeypatch, noise)
    make = FAMILIES[name][0]

    def call(*t):
        d = make(ns(t[0]), *t)
        assert d.has_rsample is (name != "LogitRelaxedBernoulli")  # torch's flag, as it is
        return d.rsample((2,))

    check_tensor_method(call, _params(name), backend)


def test_straight_through_gradient_is_torchs(backend):
    """rsample is the one-hot draw forward and passes the gradient of ``probs`` backward: the
    draw cancels in ``rsample() - rsample().detach()``, whose gradient is torch's."""
    make = FAMILIES["OneHotCategoricalStraightThrough"][0]

    def call(t):
        draw = make(ns(t), t).rsample((2,))
        return draw - draw.detach()

    check_tensor_method(call, _params("OneHotCategoricalStraightThrough"), backend)
    probs = Tensor(backend.asarray(np.array([0.2, 0.8])), requires_grad=True)
    draw = xd.OneHotCategoricalStraightThrough(probs).rsample((50,))
    assert draw.requires_grad and set(np.unique(draw.detach().numpy())) <= {0.0, 1.0}
    np.testing.assert_array_equal(draw.detach().numpy().sum(-1), np.ones(50))


KL = {
    "ContinuousBernoulli": ("ContinuousBernoulli", "ContinuousBernoulli_logits"),
    "Geometric": ("Geometric", "Geometric_logits"),
    "Beta": (lambda D, a, b: D.Beta(a, b), [((3, 4), 0.5, 3), ((4,), 0.5, 3)]),
    "Exponential": (lambda D, r: D.Exponential(r), [((3, 4), 0.5, 3)]),
    "Normal": (lambda D, m, s: D.Normal(m, s), [((3, 4), -1, 1), ((4,), 0.5, 2)]),
    "Uniform": (lambda D, a, b: D.Uniform(a, b), [((3, 4), -2, -0.5), ((4,), 1.5, 3)]),
    "Uniform_inside": (lambda D, a, b: D.Uniform(a, b), [((3, 4), 0.1, 0.4), ((4,), 0.6, 0.9)]),
}
KL_PAIRS = [
    ("ContinuousBernoulli", "ContinuousBernoulli"),
    ("Geometric", "Geometric"),
    ("Beta", "ContinuousBernoulli"),
    ("ContinuousBernoulli", "Exponential"),
    ("ContinuousBernoulli", "Normal"),
    ("ContinuousBernoulli", "Uniform"),
    ("Uniform_inside", "ContinuousBernoulli"),
]


def _kl_side(name):
    if name in ("ContinuousBernoulli", "Geometric"):
        given, logits = KL[name]
        return FAMILIES[given][0], _params(given), FAMILIES[logits][0], _params(logits)
    make, spec = KL[name]
    return make, random_params(spec, seed=0), make, random_params(spec, seed=10)


# PyTorch's trigamma (in the gradient of Beta's entropy) is accurate to about 5e-10 relative
# only (mpmath judges in test_tensor_gamma.py), as test_distributions_gamma.py's TRIGAMMA_RTOL
TRIGAMMA_RTOL = 2e-9


@pytest.mark.parametrize("p_name, q_name", KL_PAIRS)
def test_kl_divergence_matches_torch(backend, p_name, q_name):
    make_p, p_params = _kl_side(p_name)[:2]
    make_q, q_params = _kl_side(q_name)[2:]
    k = len(p_params)

    def call(*t):
        D = ns(t[0])
        return D.kl_divergence(make_p(D, *t[:k]), make_q(D, *t[k:]))

    def forward(*arrays):
        return call(*[Tensor(a) for a in arrays]).array

    def backward(grad_output, *arrays):
        tensors = [Tensor(a, requires_grad=True) for a in arrays]
        call(*tensors).backward(grad_output)
        return tuple(t.grad for t in tensors)

    rtol = TRIGAMMA_RTOL if p_name == "Beta" else None
    check_against_torch(forward, backward, call, [*p_params, *q_params], backend, rtol=rtol)


@pytest.mark.parametrize(
    "pair",
    [
        lambda D, T: (D.Exponential(T([1.0, 2.0])), D.ContinuousBernoulli(T([0.3, 0.6]))),
        lambda D, T: (D.Gamma(T([1.0, 2.0]), 1.0), D.ContinuousBernoulli(T([0.3, 0.6]))),
        lambda D, T: (D.Laplace(T([0.0, 1.0]), 1.0), D.ContinuousBernoulli(T([0.3, 0.6]))),
        lambda D, T: (D.Normal(T([0.0, 1.0]), 1.0), D.ContinuousBernoulli(T([0.3, 0.6]))),
        lambda D, T: (D.ContinuousBernoulli(T([0.3, 0.6])), D.Uniform(T([-1.0, 0.0]), 2.0)),
        lambda D, T: (D.Uniform(T([0.0, 0.5]), 0.9), D.ContinuousBernoulli(T([0.3, 0.6]))),
    ],
)
def test_kl_infinite_pairs_match_torch(backend, pair):
    ours, theirs = _both(lambda D, T: D.kl_divergence(*pair(D, T)))
    assert np.isinf(theirs.numpy()).any()
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_kl_pairs_torch_lacks_raise_as_torch(backend):
    messages = []
    for D, T in _libraries():
        for p, q in [
            (D.ContinuousBernoulli(T([0.3])), D.Laplace(T([1.0]), T([2.0]))),
            (D.Geometric(T([0.3])), D.Poisson(T([1.0]))),
            (D.NegativeBinomial(2.0, T([0.3])), D.NegativeBinomial(2.0, T([0.3]))),
        ]:
            with pytest.raises(NotImplementedError) as error:
                D.kl_divergence(p, q)
            messages.append(str(error.value))
    assert messages[:3] == messages[3:]


def _libraries():
    return [
        (
            ns(Tensor(xpnet.zeros(1))),
            lambda v: Tensor(xpnet.asarray(np.asarray(v, dtype=np.float64))),
        ),
        (ns(torch.zeros(1)), lambda v: torch.tensor(v, dtype=torch.float64)),
    ]


def _both(build):
    return tuple(build(D, T) for D, T in _libraries())


SHAPES = [
    lambda D, T: D.Geometric(0.3),
    lambda D, T: D.Geometric(logits=T([[0.0, 1.0]])).expand((3, 2)),
    lambda D, T: D.NegativeBinomial(T([2.0, 3.0]), T([[0.2], [0.5], [0.7]])),
    lambda D, T: D.NegativeBinomial(2.0, logits=T([0.0, 1.0])).expand((4, 2)),
    lambda D, T: D.Multinomial(3, T([[0.2, 0.3, 0.5]] * 2)),
    lambda D, T: D.Multinomial(4, logits=T([0.0, 1.0, 2.0])).expand((5,)),
    lambda D, T: D.ContinuousBernoulli(T([0.2, 0.5, 0.9])),
    lambda D, T: D.ContinuousBernoulli(logits=T([1.0, -1.0])).expand((3, 2)),
    lambda D, T: D.LogitRelaxedBernoulli(T(0.5), T([0.2, 0.9])).expand((3, 2)),
    lambda D, T: D.RelaxedBernoulli(T(0.5), 0.3),
    lambda D, T: D.RelaxedBernoulli(T(0.5), logits=T([0.0, 1.0])).expand((3, 2)),
    lambda D, T: D.ExpRelaxedCategorical(T(0.5), T([[0.2, 0.8]] * 3)).expand((2, 3)),
    lambda D, T: D.RelaxedOneHotCategorical(T([0.5]), T([[0.2, 0.8]] * 3)),
    lambda D, T: D.RelaxedOneHotCategorical(T(0.5), logits=T([0.2, 0.8])).expand((4,)),
    lambda D, T: D.OneHotCategoricalStraightThrough(T([[0.2, 0.8]] * 3)).expand((2, 3)),
]


@pytest.mark.parametrize("build", SHAPES)
def test_shapes_and_expand_match_torch(backend, build):
    ours, theirs = _both(build)
    assert type(ours).__name__ == type(theirs).__name__
    assert ours.batch_shape == tuple(theirs.batch_shape)
    assert ours.event_shape == tuple(theirs.event_shape)
    assert ours.has_rsample == theirs.has_rsample
    assert ours.has_enumerate_support == theirs.has_enumerate_support
    assert repr(ours.support) == repr(theirs.support)
    assert tuple(ours.sample((7,)).shape) == tuple(theirs.sample((7,)).shape)
    value = theirs.sample((2,))
    ours_log_prob = ours.log_prob(Tensor(xpnet.asarray(value.numpy())))
    assert ours_log_prob.dtype == np.dtype(str(value.dtype).replace("torch.", ""))
    rtol = 1e-10 if value.dtype == torch.float64 else 1e-5  # numbers: float32, as torch's
    np.testing.assert_allclose(ours_log_prob.numpy(), theirs.log_prob(value).numpy(), rtol=rtol)


@pytest.mark.parametrize("expand", [True, False])
def test_straight_through_enumerate_support_matches_torch(backend, expand):
    ours, theirs = _both(lambda D, T: D.OneHotCategoricalStraightThrough(T([[0.2, 0.8]] * 3)))
    np.testing.assert_array_equal(
        ours.enumerate_support(expand).numpy(), theirs.enumerate_support(expand).numpy()
    )


def _errors(build, error_type=ValueError):
    """The ``error_type`` messages of ``build(D, T)`` in xpnet and torch, up to the
    distribution's repr (shapes print as tuples in xpnet, as ``torch.Size`` in torch)."""
    messages = []
    for D, T in _libraries():
        with pytest.raises(error_type) as error:
            build(D, T)
        messages.append(str(error.value).split(" of distribution ")[0].split(":")[0])
    return messages


@pytest.mark.parametrize(
    "build",
    [
        lambda D, T: D.Geometric(T([0.5, 0.0])),
        lambda D, T: D.Geometric(T([1.5])),
        lambda D, T: D.Geometric(),
        lambda D, T: D.Geometric(T([0.5]), T([0.0])).log_prob(T([1.0])),
        lambda D, T: D.Geometric(T([0.5])).log_prob(T([1.5])),
        lambda D, T: D.NegativeBinomial(T([-1.0]), T([0.5])),
        lambda D, T: D.NegativeBinomial(2.0, T([1.0])),
        lambda D, T: D.NegativeBinomial(2.0),
        lambda D, T: D.NegativeBinomial(2.0, T([0.5])).log_prob(T([-1.0])),
        lambda D, T: D.Multinomial(3, T([-0.5, 1.5])),
        lambda D, T: D.Multinomial(3, T([0.5, 0.5])).log_prob(T([3.0, 1.0])),
        lambda D, T: D.Multinomial(3, T([0.5, 0.5])).log_prob(T([3.0, -1.0])),
        lambda D, T: D.Multinomial(3),
        lambda D, T: D.ContinuousBernoulli(T([1.5]), validate_args=True),
        lambda D, T: D.ContinuousBernoulli(logits=T([float("nan")])),
        lambda D, T: D.ContinuousBernoulli(T([0.5])).log_prob(T([1.5])),
        lambda D, T: D.ContinuousBernoulli(T([0.5])).cdf(T([-0.5])),
        lambda D, T: D.RelaxedBernoulli(T(0.5), T([1.5])),
        lambda D, T: D.RelaxedBernoulli(T(0.5)),
        lambda D, T: D.RelaxedBernoulli(T(0.5), T([0.5])).log_prob(T([1.5])),
        lambda D, T: D.LogitRelaxedBernoulli(T(0.5), logits=T([float("nan")])),
        lambda D, T: D.ExpRelaxedCategorical(T(0.5), T([-0.5, 1.5])),
        lambda D, T: D.RelaxedOneHotCategorical(T(0.5), T([0.5, 0.5])).log_prob(T([0.5, 0.6])),
        lambda D, T: D.RelaxedOneHotCategorical(T(0.5), logits=T(1.0)),
        lambda D, T: D.OneHotCategoricalStraightThrough(T([0.5, 0.5])).log_prob(T([1.0, 1.0])),
    ],
)
def test_invalid_arguments_raise_as_torch(backend, build):
    ours, theirs = _errors(build)
    assert ours == theirs


def test_multinomial_total_count_must_be_an_int_as_torch(backend):
    ours, theirs = _errors(lambda D, T: D.Multinomial(T(3.0), T([0.5, 0.5])), NotImplementedError)
    assert ours == theirs == "inhomogeneous total_count is not supported"


def test_continuous_bernoulli_clamps_probs_unless_validate_args_is_given(backend):
    # torch checks probs before its clamp only for an explicit validate_args (False too);
    # by default the clamped probs pass (and probs 0 and 1 become eps and 1 - eps)
    eps = np.finfo(np.float64).eps
    for D, T in _libraries():
        d = D.ContinuousBernoulli(T([0.0, 1.0, 1.5]))
        np.testing.assert_array_equal(np.asarray(d.probs.tolist()), [eps, 1 - eps, 1 - eps])
        with pytest.raises(ValueError, match="The parameter probs has invalid values"):
            D.ContinuousBernoulli(T([1.5]), validate_args=False)


def test_new_constraints_print_and_check_as_torch(backend):
    value = [[0.0, 1.0, 2.0], [3.0, -1.0, 0.0], [0.5, 0.5, 0.5]]
    for ours, theirs in [
        (
            counts_more.half_open_interval(0.0, 1.0),
            torch.distributions.constraints.half_open_interval(0.0, 1.0),
        ),
        (counts_more.multinomial(3), torch.distributions.constraints.multinomial(3)),
    ]:
        assert repr(ours) == repr(theirs)
        assert (ours.is_discrete, ours.event_dim) == (theirs.is_discrete, theirs.event_dim)
        checked = ours.check(Tensor(xpnet.asarray(np.array(value)))).numpy()
        np.testing.assert_array_equal(checked, theirs.check(torch.tensor(value)).numpy())


N = 20_000
Z = 5.0  # 5 standard errors, as test_distributions_sampling.py: seeded, so reproducible


def T(values):
    return Tensor(xpnet.asarray(np.asarray(values, dtype=np.float64)))


def check_moments(draws, mean, variance):
    """The sample mean and variance within Z standard errors of ``mean`` and ``variance``."""
    n = draws.shape[0]
    centred = draws - draws.mean(0)
    s2, m4 = (centred**2).mean(0), (centred**4).mean(0)
    assert np.all(np.abs(draws.mean(0) - mean) <= Z * np.sqrt(variance / n)), "mean"
    assert np.all(np.abs(s2 - variance) <= Z * np.sqrt((m4 - s2**2) / n)), "variance"


SAMPLED = {
    "Geometric": lambda: xd.Geometric(T([0.2, 0.7])),
    "Geometric_logits": lambda: xd.Geometric(logits=T([-1.0, 2.0])),
    "NegativeBinomial": lambda: xd.NegativeBinomial(T([2.0, 5.5]), T([0.3, 0.6])),
    "NegativeBinomial_logits": lambda: xd.NegativeBinomial(3.0, logits=T([-1.0, 0.5])),
    "Multinomial": lambda: xd.Multinomial(10, T([0.2, 0.5, 0.3, 0.0])),
    "ContinuousBernoulli": lambda: xd.ContinuousBernoulli(T([0.1, 0.5, 0.8])),
}


@pytest.mark.parametrize("name", SAMPLED)
def test_sample_moments_match_the_distribution(backend, name):
    xpnet.manual_seed(0)
    d = SAMPLED[name]()
    draws = d.sample((N,))
    assert draws.shape == (N, *d.batch_shape, *d.event_shape)
    assert draws.dtype == np.float64 and not draws.requires_grad
    numbers = draws.numpy()
    if name != "ContinuousBernoulli":
        np.testing.assert_array_equal(numbers, np.round(numbers))  # counts
    mean, variance = d.mean.detach().numpy(), d.variance.detach().numpy()
    keep = variance > 0  # a class of probability 0: never drawn, checked exactly
    check_moments(numbers[:, keep], mean[keep], variance[keep])
    np.testing.assert_array_equal(numbers[:, ~keep], 0.0)
    if name == "Multinomial":
        np.testing.assert_array_equal(numbers.sum(-1), 10.0)


def test_continuous_bernoulli_rsample_moments_and_gradients(backend):
    xpnet.manual_seed(1)
    probs = Tensor(xpnet.asarray(np.array([0.1, 0.5, 0.8])), requires_grad=True)
    d = xd.ContinuousBernoulli(probs)
    draws = d.rsample((N,))
    check_moments(draws.detach().numpy(), d.mean.detach().numpy(), d.variance.detach().numpy())
    draws.sum().backward()
    assert np.isfinite(xpnet.to_numpy(probs.grad)).all() and draws.requires_grad


def test_relaxed_draws_follow_their_distributions(backend):
    xpnet.manual_seed(2)
    # T * LogitRelaxedBernoulli draw = logit + logistic noise: mean logit, variance pi^2 / 3
    t, logits = 0.5, np.array([-1.0, 0.0, 2.0])
    draws = relaxed.LogitRelaxedBernoulli(T(t), logits=T(logits)).sample((N,)).numpy() * t
    check_moments(draws, logits, np.full(3, math.pi**2 / 3))
    # the Gumbel-max trick: the argmax of an ExpRelaxedCategorical draw is Categorical(probs)
    probs = np.array([0.1, 0.2, 0.3, 0.4])
    for family in (relaxed.ExpRelaxedCategorical, xd.RelaxedOneHotCategorical):
        draws = family(T(0.7), T(probs)).sample((N,)).numpy()
        frequencies = np.bincount(draws.argmax(-1), minlength=4) / N
        assert np.all(np.abs(frequencies - probs) <= Z * np.sqrt(probs * (1 - probs) / N))
    relaxed_draws = xd.RelaxedOneHotCategorical(T(0.7), T(probs)).rsample((10,)).numpy()
    np.testing.assert_allclose(relaxed_draws.sum(-1), 1.0, rtol=1e-12)
    bernoulli = xd.RelaxedBernoulli(T(0.7), T([0.3])).sample((N,)).numpy()
    assert ((bernoulli > 0) & (bernoulli < 1)).all()
    assert abs((bernoulli > 0.5).mean() - 0.3) <= Z * math.sqrt(0.3 * 0.7 / N)


def test_straight_through_sample_frequencies(backend):
    xpnet.manual_seed(3)
    probs = np.array([0.25, 0.5, 0.25])
    draws = xd.OneHotCategoricalStraightThrough(T(probs)).rsample((N,)).detach().numpy()
    frequencies = draws.mean(0)
    assert np.all(np.abs(frequencies - probs) <= Z * np.sqrt(probs * (1 - probs) / N))


@pytest.mark.parametrize("name", SAMPLED)
def test_manual_seed_repeats_samples(backend, name):
    xpnet.manual_seed(5)
    first = SAMPLED[name]().sample((3,)).numpy()
    xpnet.manual_seed(5)
    np.testing.assert_array_equal(SAMPLED[name]().sample((3,)).numpy(), first)
