"""xpnet.distributions against torch.distributions in float64: log_prob, cdf, icdf, entropy,
mean, mode, variance and stddev, forward and every parameter (and value) gradient, on generated
parameters that broadcast, with edge values (probabilities 0 and 1, large logits); shapes,
expand, enumerate_support, and the validation errors with torch's messages."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from _distributions import ns, random_params, spd, tril
from _oracle import assert_close, check_tensor_method, like, random_input

import xpnet
import xpnet.distributions as xd
from xpnet.autograd import Tensor

# name: (make(D, *params), parameter (shape, low, high) list, value (low, high))
CONTINUOUS = {
    "Normal": (lambda D, a, b: D.Normal(a, b), [((3, 4), -1, 1), ((4,), 0.5, 2)], (-3, 3)),
    "LogNormal": (lambda D, a, b: D.LogNormal(a, b), [((3, 4), -1, 1), ((4,), 0.5, 2)], (0.1, 4)),
    "Uniform": (lambda D, a, b: D.Uniform(a, b), [((3, 4), -2, -1), ((4,), 1, 2)], (-0.9, 0.9)),
    "Exponential": (lambda D, a: D.Exponential(a), [((3, 4), 0.5, 2)], (0.0, 4)),
    "Laplace": (lambda D, a, b: D.Laplace(a, b), [((3, 4), -1, 1), ((4,), 0.5, 2)], (-3, 3)),
}
PROPERTIES = ["mean", "mode", "variance", "stddev"]
VALUE_SHAPE = (2, 3, 4)  # a sample dimension in front of the batch shape (3, 4)


@pytest.mark.parametrize("name", CONTINUOUS)
@pytest.mark.parametrize("method", ["log_prob", "cdf", "icdf"])
def test_continuous_value_methods_match_torch(backend, name, method):
    make, spec, (low, high) = CONTINUOUS[name]
    low, high = (0.01, 0.99) if method == "icdf" else (low, high)
    value = random_input(VALUE_SHAPE, seed=9, low=low, high=high)

    def call(*t):
        return getattr(make(ns(t[0]), *t[:-1]), method)(t[-1])

    check_tensor_method(call, [*random_params(spec), value], backend)


@pytest.mark.parametrize("name", CONTINUOUS)
@pytest.mark.parametrize("what", ["entropy", *PROPERTIES])
def test_continuous_moments_and_entropy_match_torch(backend, name, what):
    make, spec, _ = CONTINUOUS[name]

    def call(*t):
        d = make(ns(t[0]), *t)
        return d.entropy() if what == "entropy" else getattr(d, what)

    if (name, what) == ("Exponential", "mode"):  # zeros without a graph, as torch's
        params = [Tensor(backend.asarray(p), requires_grad=True) for p in random_params(spec)]
        mode = call(*params)
        assert not mode.requires_grad
        np.testing.assert_array_equal(mode.numpy(), np.zeros((3, 4)))
        return
    with np.errstate(invalid="ignore"):  # Uniform's mode is NaN on both sides
        check_tensor_method(call, random_params(spec), backend)


def _discrete(D, kind, param):
    return {
        "Bernoulli_probs": lambda: D.Bernoulli(probs=param),
        "Bernoulli_logits": lambda: D.Bernoulli(logits=param),
        "Categorical_probs": lambda: D.Categorical(probs=param),
        "Categorical_logits": lambda: D.Categorical(logits=param),
        "OneHotCategorical_probs": lambda: D.OneHotCategorical(probs=param),
        "OneHotCategorical_logits": lambda: D.OneHotCategorical(logits=param),
    }[kind]()


DISCRETE_PARAMS = {"probs": (0.05, 0.95), "logits": (-4.0, 4.0)}


def _discrete_value(kind, seed=3):
    rng = np.random.default_rng(seed)
    if kind.startswith("Bernoulli"):
        return rng.integers(0, 2, (2, 3, 5)).astype(np.float64)
    if kind.startswith("Categorical"):
        return rng.integers(0, 5, (2, 3))
    return np.eye(5)[rng.integers(0, 5, (2, 3))]


DISCRETE = [
    f"{n}_{p}" for n in ("Bernoulli", "Categorical", "OneHotCategorical") for p in DISCRETE_PARAMS
]


@pytest.mark.parametrize("kind", DISCRETE)
@pytest.mark.parametrize("what", ["log_prob", "entropy", "mean", "variance", "probs", "logits"])
def test_discrete_match_torch(backend, kind, what):
    low, high = DISCRETE_PARAMS[kind.rsplit("_", 1)[1]]
    param = random_input((3, 5), seed=1, low=low, high=high)
    value = _discrete_value(kind)

    def call(t):
        d = _discrete(ns(t), kind, t)
        if what == "log_prob":
            dtype = "int64" if kind.startswith("Categorical") else "float64"
            return d.log_prob(like(t, value, dtype))
        return d.entropy() if what == "entropy" else getattr(d, what)

    if kind.startswith("Categorical") and what in ("mean", "variance"):
        ours = call(Tensor(backend.asarray(param), requires_grad=True))
        theirs = call(torch.tensor(param, requires_grad=True))
        assert ours.shape == tuple(theirs.shape) == (3,) and np.isnan(ours.numpy()).all()
        assert not ours.requires_grad and not theirs.requires_grad  # constants, as torch's
        return
    check_tensor_method(call, [param], backend)


@pytest.mark.parametrize("kind", DISCRETE)
def test_discrete_mode_matches_torch(backend, kind):
    param = np.array([[0.2, 0.5, 0.3, 0.1, 0.4], [0.6, 0.1, 0.9, 0.0, 0.3]])
    ours = _discrete(xd, kind, Tensor(backend.asarray(param))).mode
    theirs = _discrete(torch.distributions, kind, torch.tensor(param)).mode
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


@pytest.mark.parametrize("probs", [[0.0, 1.0, 0.5, 1e-300], [1.0, 0.0, 0.0, 0.0]])
@pytest.mark.parametrize("what", ["log_prob", "entropy"])
def test_bernoulli_and_categorical_probs_zero_and_one(backend, probs, what):
    probs = np.array(probs)
    for kind, value in [("Bernoulli_probs", [0.0, 1.0, 1.0, 0.0]), ("Categorical_probs", 0)]:
        dtype = "int64" if kind.startswith("Categorical") else "float64"

        def call(t, kind=kind, value=value, dtype=dtype):
            d = _discrete(ns(t), kind, t)
            return d.log_prob(like(t, value, dtype)) if what == "log_prob" else d.entropy()

        check_tensor_method(call, [probs], backend)


@pytest.mark.parametrize("logits", [[-800.0, 800.0, -50.0, 50.0], [1e3, -1e3, 0.0, 40.0]])
@pytest.mark.parametrize("what", ["log_prob", "entropy", "probs"])
def test_bernoulli_and_categorical_large_logits(backend, logits, what):
    logits = np.array(logits)
    for kind, value in [("Bernoulli_logits", [1.0, 0.0, 1.0, 0.0]), ("Categorical_logits", 1)]:
        dtype = "int64" if kind.startswith("Categorical") else "float64"

        def call(t, kind=kind, value=value, dtype=dtype):
            d = _discrete(ns(t), kind, t)
            if what == "log_prob":
                return d.log_prob(like(t, value, dtype))
            return d.entropy() if what == "entropy" else d.probs

        check_tensor_method(call, [logits], backend)


MVN = {
    "covariance_matrix": lambda D, loc, A: D.MultivariateNormal(loc, covariance_matrix=spd(A)),
    "precision_matrix": lambda D, loc, A: D.MultivariateNormal(loc, precision_matrix=spd(A)),
    "scale_tril": lambda D, loc, A: D.MultivariateNormal(loc, scale_tril=tril(A)),
}


@pytest.mark.parametrize("given", MVN)
@pytest.mark.parametrize(
    "what",
    [
        "log_prob",
        "entropy",
        "mean",
        "variance",
        "covariance_matrix",
        "precision_matrix",
        "scale_tril",
    ],
)
def test_multivariate_normal_matches_torch(backend, given, what):
    loc = random_input((2, 1, 3), seed=0)  # batch (2, 4): loc and the matrices broadcast
    A = random_input((4, 3, 3), seed=1)
    value = random_input((5, 2, 4, 3), seed=2, low=-2, high=2)

    def call(loc, A, value):
        d = MVN[given](ns(loc), loc, A)
        if what == "log_prob":
            return d.log_prob(value)
        return d.entropy() if what == "entropy" else getattr(d, what)

    check_tensor_method(call, [loc, A, value], backend)


@pytest.mark.parametrize("what", ["log_prob", "entropy", "mean", "variance"])
def test_independent_matches_torch(backend, what):
    loc, scale = random_input((3, 4), seed=0), random_input((3, 4), seed=1, low=0.5, high=2)
    value = random_input((2, 3, 4), seed=2)

    def call(loc, scale, value):
        d = ns(loc).Independent(ns(loc).Normal(loc, scale), 1)
        if what == "log_prob":
            return d.log_prob(value)
        return d.entropy() if what == "entropy" else getattr(d, what)

    check_tensor_method(call, [loc, scale, value], backend)


def _both(build):
    """``build(D, as_tensor)`` for xpnet and torch: the pair of results."""
    ours = build(xd, lambda v: Tensor(xpnet.asarray(np.asarray(v, dtype=np.float64))))
    theirs = build(torch.distributions, lambda v: torch.tensor(v, dtype=torch.float64))
    return ours, theirs


@pytest.mark.parametrize(
    "build",
    [
        lambda D, T: D.Normal(T([0.0, 1.0]), 2.0),
        lambda D, T: D.Normal(0.0, 1.0),
        lambda D, T: D.Uniform(T([[0.0], [1.0]]), T([2.0, 3.0, 4.0])),
        lambda D, T: D.Bernoulli(0.3),
        lambda D, T: D.Categorical(T([[0.5, 0.5], [0.1, 0.9]])),
        lambda D, T: D.OneHotCategorical(T([[0.5, 0.5], [0.1, 0.9]])),
        lambda D, T: D.MultivariateNormal(
            T([[0.0, 1.0]]), scale_tril=T([[[1.0, 0.0], [0.5, 2.0]]] * 3)
        ),
        lambda D, T: D.Independent(D.Exponential(T([[1.0, 2.0, 3.0]] * 2)), 2),
        lambda D, T: D.Laplace(T([0.0, 1.0]), 2.0).expand((3, 2)),
        lambda D, T: D.Categorical(T([0.5, 0.5])).expand((4,)),
        lambda D, T: D.MultivariateNormal(T([0.0, 1.0]), T([[2.0, 0.5], [0.5, 1.0]])).expand((3,)),
        lambda D, T: D.Independent(D.Bernoulli(T([0.2, 0.7])), 1).expand((5,)),
    ],
)
def test_shapes_match_torch(backend, build):
    ours, theirs = _both(build)
    assert type(ours).__name__ == type(theirs).__name__
    assert ours.batch_shape == tuple(theirs.batch_shape)
    assert ours.event_shape == tuple(theirs.event_shape)
    assert ours.has_rsample == theirs.has_rsample
    assert tuple(ours.sample((7,)).shape) == tuple(theirs.sample((7,)).shape)
    assert_close(ours.entropy().numpy(), theirs.entropy().numpy(), np.float64, "entropy")


@pytest.mark.parametrize("expand", [True, False])
@pytest.mark.parametrize(
    "build",
    [
        lambda D, T: D.Bernoulli(T([0.2, 0.7, 0.5])),
        lambda D, T: D.Categorical(T([[0.5, 0.5, 0.0]] * 2)),
        lambda D, T: D.OneHotCategorical(T([[0.5, 0.5, 0.0]] * 2)),
    ],
)
def test_enumerate_support_matches_torch(backend, build, expand):
    ours, theirs = _both(build)
    support = ours.enumerate_support(expand)
    expected = theirs.enumerate_support(expand)
    assert support.dtype == np.dtype(str(expected.dtype).replace("torch.", ""))
    np.testing.assert_array_equal(support.numpy(), expected.numpy())


def _message(build):
    """The ValueError messages of ``build(D, T)`` in xpnet and torch, up to the distribution's
    repr (shapes print as tuples in xpnet, as ``torch.Size`` in torch)."""
    messages = []
    for D, T in [
        (xd, lambda v: Tensor(xpnet.asarray(np.asarray(v, dtype=np.float64)))),
        (torch.distributions, lambda v: torch.tensor(v, dtype=torch.float64)),
    ]:
        with pytest.raises(ValueError) as error:
            build(D, T)
        messages.append(str(error.value).split(" of distribution ")[0].split(":")[0])
    return messages


@pytest.mark.parametrize(
    "build",
    [
        lambda D, T: D.Normal(T([0.0, 1.0]), T([1.0, -1.0])),
        lambda D, T: D.Normal(T([0.0, float("nan")]), 1.0),
        lambda D, T: D.LogNormal(0.0, T(0.0)),
        lambda D, T: D.Exponential(T([0.0])),
        lambda D, T: D.Laplace(0.0, T([-2.0])),
        lambda D, T: D.Uniform(T([1.0]), T([1.0])),
        lambda D, T: D.Bernoulli(T([1.5])),
        lambda D, T: D.Bernoulli(logits=T([float("nan")])),
        lambda D, T: D.Categorical(T([-0.5, 1.5])),
        lambda D, T: D.OneHotCategorical(logits=T([float("nan"), 1.0])),
        lambda D, T: D.MultivariateNormal(T([0.0, 0.0]), T([[1.0, 2.0], [2.0, 1.0]])),
        lambda D, T: D.MultivariateNormal(T([0.0, 0.0]), T([[1.0, 0.5], [0.0, 1.0]])),
        lambda D, T: D.MultivariateNormal(T([0.0, 0.0]), scale_tril=T([[1.0, 0.0], [0.5, -1.0]])),
        lambda D, T: D.MultivariateNormal(T([0.0, 0.0]), scale_tril=T([[1.0, 0.3], [0.5, 1.0]])),
    ],
)
def test_invalid_parameters_raise_as_torch(backend, build):
    ours, theirs = _message(build)
    assert ours == theirs
    assert ours.startswith("Expected parameter ")


@pytest.mark.parametrize(
    "build",
    [
        lambda D, T: D.Normal(T([0.0, 1.0]), 1.0).log_prob(T([0.0, 1.0, 2.0])),
        lambda D, T: D.Normal(0.0, 1.0).log_prob(0.5),
        lambda D, T: D.Exponential(T([1.0])).log_prob(T([-1.0])),
        lambda D, T: D.Uniform(0.0, 1.0).cdf(T([1.5])),
        lambda D, T: D.Bernoulli(T([0.5])).log_prob(T([0.5])),
        lambda D, T: D.Categorical(T([0.5, 0.5])).log_prob(T(2.0)),
        lambda D, T: D.OneHotCategorical(T([0.5, 0.5])).log_prob(T([1.0, 1.0])),
        lambda D, T: D.OneHotCategorical(T([0.5, 0.5])).log_prob(T([1.0, 0.0, 0.0])),
        lambda D, T: D.MultivariateNormal(T([0.0, 0.0]), T([[1.0, 0.0], [0.0, 1.0]])).log_prob(
            T([float("nan"), 0.0])
        ),
        lambda D, T: D.Independent(D.Normal(T([0.0, 0.0]), 1.0), 1).log_prob(T([0.0, 1.0, 2.0])),
        lambda D, T: D.Categorical(),
        lambda D, T: D.Bernoulli(T([0.5]), T([0.0])),
        lambda D, T: D.Categorical(logits=T(1.0)),
        lambda D, T: D.MultivariateNormal(T(0.0), T([[1.0]])),
        lambda D, T: D.MultivariateNormal(T([0.0])),
        lambda D, T: D.MultivariateNormal(T([0.0]), scale_tril=T([1.0])),
        lambda D, T: D.Independent(D.Normal(T([0.0, 0.0]), 1.0), 2),
    ],
)
def test_invalid_values_and_arguments_raise_as_torch(backend, build):
    ours, theirs = _message(build)
    assert ours == theirs


def test_validation_off_accepts_bad_parameters(backend):
    scale = Tensor(xpnet.asarray(np.array([-1.0])))
    d = xd.Normal(0.0, scale, validate_args=False)
    assert np.isnan(d.log_prob(Tensor(xpnet.asarray(np.array([0.5])))).numpy()).all()
    xd.Distribution.set_default_validate_args(False)
    try:
        xd.Normal(0.0, scale).log_prob(Tensor(xpnet.asarray(np.array([0.5]))))
        assert xd.Normal(0.0, 1.0, validate_args=True)._validate_args  # the argument wins
    except ValueError:
        pytest.fail("validation ran although set_default_validate_args(False)")
    finally:
        xd.Distribution.set_default_validate_args(True)
    with pytest.raises(ValueError, match="to satisfy the constraint GreaterThan"):
        xd.Normal(0.0, scale)
    with pytest.raises(ValueError, match="must be True or False"):
        xd.Distribution.set_default_validate_args("yes")


def test_expand_keeps_validation_and_does_not_copy(backend):
    d = xd.Normal(Tensor(xpnet.asarray(np.zeros(2))), 1.0, validate_args=False).expand([3, 2])
    assert d.batch_shape == (3, 2) and not d._validate_args
    e = xd.Normal(Tensor(xpnet.asarray(np.zeros(2))), 1.0).expand((4, 2))
    with pytest.raises(ValueError, match="Value is not broadcastable"):
        e.log_prob(Tensor(xpnet.asarray(np.zeros(3))))


def test_repr_and_constraints_print_as_torch(backend):
    assert repr(xd.Normal(0.0, 1.0)) == repr(torch.distributions.Normal(0.0, 1.0))
    for name in ["positive", "real", "unit_interval", "simplex", "boolean", "real_vector"]:
        assert repr(getattr(xd.constraints, name)) == repr(
            getattr(torch.distributions.constraints, name)
        )
    ours = xd.Categorical(Tensor(xpnet.asarray(np.full(3, 1 / 3)))).support
    assert repr(ours) == repr(torch.distributions.Categorical(torch.ones(3)).support)


@pytest.mark.parametrize("what", ["entropy", "log_prob", "probs"])
def test_categorical_logits_minus_infinity(backend, what):
    """A class ruled out by a -inf logit: entropy's 0 * log 0 is 0 (torch clamps the logits to
    the dtype's lowest finite value), not NaN."""
    logits = np.array([[-np.inf, 0.0, 1.0], [2.0, -np.inf, -np.inf]])

    def call(t):
        d = ns(t).Categorical(logits=t)
        if what == "log_prob":
            return d.log_prob(like(t, [2, 0]))
        return d.entropy() if what == "entropy" else d.probs

    check_tensor_method(call, [logits], backend)


@pytest.mark.parametrize("name", CONTINUOUS)
@pytest.mark.parametrize("method", ["log_prob", "cdf"])
def test_continuous_float32_matches_torch_in_float64(backend, name, method):
    make, spec, (low, high) = CONTINUOUS[name]
    value = random_input(VALUE_SHAPE, seed=9, low=low, high=high)

    def call(*t):
        return getattr(make(ns(t[0]), *t[:-1]), method)(t[-1])

    check_tensor_method(call, [*random_params(spec), value], backend, dtype=np.float32)


def test_without_validation_nothing_is_read_on_the_host(strict):
    """validate_args=False: a VAE-like step (rsample, log_prob, KL, backward) never waits for
    the device; with validation, the parameter check reads them (as torch's)."""
    from xpnet.backends import host_reads_forbidden, use_backend

    with use_backend("strict"):
        loc = Tensor(strict.asarray(random_input((4, 3), seed=0)), requires_grad=True)
        scale = Tensor(strict.asarray(random_input((4, 3), seed=1, low=0.5, high=2)))
        with host_reads_forbidden():
            q = xd.Independent(xd.Normal(loc, scale, validate_args=False), 1)
            p = xd.Independent(xd.Normal(loc * 0, scale * 0 + 1, validate_args=False), 1)
            z = q.rsample((2,))
            loss = xd.kl_divergence(q, p).sum() - q.log_prob(z).sum()
            loss.backward()
        assert loc.grad.shape == (4, 3)
        with host_reads_forbidden(), pytest.raises(RuntimeError, match="host_reads_forbidden"):
            xd.Normal(loc, scale)


def test_backend_arrays_are_accepted_as_parameters(backend):
    """Arrays of the backend are wrapped as Tensors (xpnet's functions take both)."""
    probs, eye = backend.asarray(np.array([0.2, 0.8])), backend.asarray(np.eye(2))
    cases = [
        (
            xd.Categorical(probs).entropy(),
            torch.distributions.Categorical(
                torch.tensor([0.2, 0.8], dtype=torch.float64)
            ).entropy(),
        ),
        (
            xd.Normal(probs, 1.0).entropy(),
            torch.distributions.Normal(
                torch.tensor([0.2, 0.8], dtype=torch.float64), 1.0
            ).entropy(),
        ),
        (
            xd.MultivariateNormal(probs, eye).entropy(),
            torch.distributions.MultivariateNormal(
                torch.zeros(2).double(), torch.eye(2).double()
            ).entropy(),
        ),
    ]
    for ours, theirs in cases:
        assert type(ours.array) is backend.ndarray
        assert_close(ours.numpy(), theirs.numpy(), np.float64)
