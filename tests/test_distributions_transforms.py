"""xpnet.distributions.transforms, TransformedDistribution and MixtureSameFamily against
torch.distributions in float64: every transform's forward, inverse and log|det J| with the
gradients of its input and parameters; TransformedDistribution's log_prob, cdf and icdf with
parameter gradients, and its shapes; the SAC-style tanh policy, whose cached inverse keeps
log_prob finite where tanh rounds to 1; MixtureSameFamily's log_prob, cdf, mean and variance
with gradients, its shapes and draws; biject_to/transform_to; torch's validation errors."""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch
from _distributions import ns
from _oracle import assert_close, check_tensor_method, random_input

import xpnet
import xpnet.distributions as xd
from xpnet.autograd import Tensor


def tr(t):
    """The transforms module beside ``t``."""
    return ns(t).transforms


# name: (make(T, *params), parameter (shape, low, high) list, input (shape, low, high),
#        output (shape, low, high) for the inverse, or None for "t(x)" itself)
TRANSFORMS = {
    "Exp": (lambda T: T.ExpTransform(), [], ((3, 4), -2, 2), ((3, 4), 0.1, 3)),
    "Affine": (
        lambda T, loc, scale: T.AffineTransform(loc, scale),
        [((4,), -1, 1), ((3, 4), 0.5, 2)],
        ((3, 4), -2, 2),
        ((3, 4), -2, 2),
    ),
    "Affine_negative_event": (
        lambda T, loc, scale: T.AffineTransform(loc, -scale, event_dim=1),
        [((3, 4), -1, 1), ((4,), 0.5, 2)],
        ((2, 3, 4), -2, 2),
        ((2, 3, 4), -2, 2),
    ),
    "Affine_numbers": (
        lambda T: T.AffineTransform(0.5, -3.0),
        [],
        ((3, 4), -2, 2),
        ((3, 4), -2, 2),
    ),
    "Sigmoid": (lambda T: T.SigmoidTransform(), [], ((3, 4), -4, 4), ((3, 4), 0.05, 0.95)),
    "Tanh": (lambda T: T.TanhTransform(), [], ((3, 4), -3, 3), ((3, 4), -0.95, 0.95)),
    "Power": (
        lambda T, exponent: T.PowerTransform(exponent),
        [((4,), -2, 2)],
        ((3, 4), 0.2, 3),
        ((3, 4), 0.2, 3),
    ),
    "Abs": (lambda T: T.AbsTransform(), [], ((3, 4), -2, 2), ((3, 4), 0.1, 2)),
    "Softmax": (lambda T: T.SoftmaxTransform(), [], ((3, 4), -3, 3), None),
    "StickBreaking": (lambda T: T.StickBreakingTransform(), [], ((3, 4), -3, 3), None),
    "Compose": (
        lambda T, scale: T.ComposeTransform([T.AffineTransform(1.0, scale), T.TanhTransform()]),
        [((4,), 0.2, 0.8)],
        ((3, 4), -2, 2),
        ((3, 4), -0.9, 0.9),
    ),
    "Compose_vector": (
        lambda T: T.ComposeTransform(
            [T.ExpTransform(), T.StickBreakingTransform().inv.inv, T.AffineTransform(0.0, 2.0)]
        ),
        [],
        ((3, 4), -1, 1),
        None,
    ),
    "Independent": (
        lambda T: T.IndependentTransform(T.SigmoidTransform(), 2),
        [],
        ((2, 3, 4), -3, 3),
        ((2, 3, 4), 0.05, 0.95),
    ),
    "Exp_inv": (lambda T: T.ExpTransform().inv, [], ((3, 4), 0.1, 3), ((3, 4), -2, 2)),
    "identity": (lambda T: T.identity_transform, [], ((3, 4), -2, 2), ((3, 4), -2, 2)),
}
NOT_BIJECTIVE = {"Abs", "Softmax"}  # torch defines no log|det J| for them


def _transform_case(name, what):
    make, spec, (x_shape, low, high), y_spec = TRANSFORMS[name]
    params = [random_input(s, seed=i, low=lo, high=hi) for i, (s, lo, hi) in enumerate(spec)]
    k = len(params)

    def call(*t):
        transform = make(tr(t[0]), *t[:k])
        if what == "inverse":
            return transform.inv(t[-1])
        y = transform(t[-1])
        return y if what == "forward" else transform.log_abs_det_jacobian(t[-1], y)

    if what != "inverse":
        return call, [*params, random_input(x_shape, seed=7, low=low, high=high)]
    if y_spec is None:  # the codomain is the simplex: values of the forward map
        x = random_input(x_shape, seed=7, low=low, high=high)
        y = make(torch.distributions.transforms, *map(torch.tensor, params))(torch.tensor(x))
        return call, [*params, y.numpy()]
    shape, low, high = y_spec
    return call, [*params, random_input(shape, seed=8, low=low, high=high)]


@pytest.mark.parametrize("name", TRANSFORMS)
@pytest.mark.parametrize("what", ["forward", "inverse", "log_abs_det_jacobian"])
def test_transform_matches_torch(backend, name, what):
    if what == "log_abs_det_jacobian" and name in NOT_BIJECTIVE:
        make = TRANSFORMS[name][0]
        for T, x in [
            (xd.transforms, Tensor(backend.asarray(np.zeros((2, 3))))),
            (torch.distributions.transforms, torch.zeros(2, 3)),
        ]:
            with pytest.raises(NotImplementedError):
                make(T).log_abs_det_jacobian(x, x)
        return
    call, inputs = _transform_case(name, what)
    expected = call(*[torch.tensor(a, requires_grad=True) for a in inputs])
    if not expected.requires_grad:  # a constant (log|scale| of a number): values only
        ours = call(*[Tensor(backend.asarray(a), requires_grad=True) for a in inputs])
        assert not ours.requires_grad
        assert_close(ours.numpy(), expected.numpy(), np.float64)
        return
    check_tensor_method(call, inputs, backend)


@pytest.mark.parametrize("name", TRANSFORMS)
def test_transform_attributes_match_torch(backend, name):
    make, spec, (x_shape, _, _), _ = TRANSFORMS[name]
    params = [random_input(s, seed=i, low=lo, high=hi) for i, (s, lo, hi) in enumerate(spec)]
    ours = make(xd.transforms, *[Tensor(backend.asarray(p)) for p in params])
    theirs = make(torch.distributions.transforms, *map(torch.tensor, params))
    assert repr(ours) == repr(theirs)
    assert ours.bijective == theirs.bijective
    for side in ("domain", "codomain"):
        assert repr(getattr(ours, side)) == repr(getattr(theirs, side))
        assert getattr(ours, side).event_dim == getattr(theirs, side).event_dim
    assert ours.inv.inv is ours
    shape = torch.Size(x_shape)
    assert ours.forward_shape(x_shape) == tuple(theirs.forward_shape(shape))
    assert ours.inv.forward_shape(x_shape) == tuple(theirs.inv.forward_shape(shape))
    try:
        expected = theirs.sign
    except NotImplementedError:
        with pytest.raises(NotImplementedError):
            ours.sign  # noqa: B018
        return
    sign = ours.sign
    if isinstance(expected, torch.Tensor):
        np.testing.assert_array_equal(sign.numpy(), expected.numpy())
    else:
        assert sign == expected and isinstance(sign, int)


def test_transform_cache_returns_the_same_objects(backend):
    x = Tensor(backend.asarray(np.array([0.5, 30.0])))
    cached = xd.transforms.TanhTransform(cache_size=1)
    y = cached(x)
    assert cached(x) is y and cached.inv(y) is x
    assert np.isinf(xd.transforms.TanhTransform().inv(y).numpy()[1])  # atanh(1), uncached
    compose = xd.transforms.ComposeTransform(
        [xd.transforms.ExpTransform(), xd.transforms.AffineTransform(1.0, 2.0)], cache_size=1
    )
    assert all(part._cache_size == 1 for part in compose.parts)
    assert compose.inv(compose(x)) is x
    assert xd.transforms.ExpTransform().with_cache(1)._cache_size == 1


@pytest.mark.parametrize(
    ("make", "values"),
    [
        (lambda T: T.SigmoidTransform(), [-800.0, 800.0, 0.0, 40.0]),
        (lambda T: T.SigmoidTransform().inv, [0.0, 1.0, 1e-320, 0.5]),
        (lambda T: T.StickBreakingTransform().inv, [0.5, 0.5, 1e-300, 1e-300]),
        (lambda T: T.StickBreakingTransform(), [-800.0, 800.0, 0.0, 40.0]),
    ],
)
def test_transform_clamps_at_the_edges_as_torch(backend, make, values):
    """The clamps that keep sigmoid and stick breaking invertible: the same finite values."""
    ours = make(xd.transforms)(Tensor(backend.asarray(np.array(values))))
    theirs = make(torch.distributions.transforms)(torch.tensor(values, dtype=torch.float64))
    assert np.isfinite(theirs.numpy()).all()
    assert_close(ours.numpy(), theirs.numpy(), np.float64)


@pytest.mark.parametrize("cache_size", [2, -1])
def test_transform_rejects_bad_cache_size(cache_size):
    for T in (xd.transforms, torch.distributions.transforms):
        with pytest.raises(ValueError, match="cache_size must be 0 or 1"):
            T.ExpTransform(cache_size=cache_size)


# name: (make(D, *params), parameter spec, value (shape, low, high))
TRANSFORMED = {
    "Normal_tanh": (
        lambda D, loc, scale: D.TransformedDistribution(
            D.Normal(loc, scale), [D.transforms.TanhTransform()]
        ),
        [((3, 4), -1, 1), ((4,), 0.5, 2)],
        ((2, 3, 4), -0.95, 0.95),
    ),
    "Normal_exp_affine": (
        lambda D, loc, scale, shift: D.TransformedDistribution(
            D.Normal(loc, scale),
            [D.transforms.ExpTransform(), D.transforms.AffineTransform(shift, -2.0)],
        ),
        [((4,), -1, 1), ((4,), 0.5, 2), ((3, 1), 1, 2)],
        ((2, 3, 4), -4, -1.0),
    ),
    "Uniform_logistic": (  # torch's docstring example: a logistic distribution
        lambda D, loc, scale: D.TransformedDistribution(
            D.Uniform(0.0, 1.0),
            [D.transforms.SigmoidTransform().inv, D.transforms.AffineTransform(loc, scale)],
        ),
        [((3, 4), -1, 1), ((4,), 0.5, 2)],
        ((2, 3, 4), -3, 3),
    ),
    "Normal_stick_breaking": (
        lambda D, loc, scale: D.TransformedDistribution(
            D.Normal(loc, scale), D.transforms.StickBreakingTransform()
        ),
        [((2, 3), -1, 1), ((3,), 0.5, 2)],
        None,  # values on the simplex: below
    ),
    "Independent_power": (
        lambda D, rate, exponent: D.TransformedDistribution(
            D.Independent(D.Exponential(rate), 1), [D.transforms.PowerTransform(exponent)]
        ),
        [((3, 4), 0.5, 2), ((4,), 0.5, 2)],
        ((2, 3, 4), 0.2, 3),
    ),
}


def _transformed_value(name, method):
    value_spec = TRANSFORMED[name][2]
    if value_spec is None:
        weights = random_input((5, 2, 4), seed=9, low=0.1, high=1)
        return weights / weights.sum(-1, keepdims=True)
    if method == "icdf":
        return random_input(value_spec[0], seed=9, low=0.05, high=0.95)
    shape, low, high = value_spec
    return random_input(shape, seed=9, low=low, high=high)


@pytest.mark.parametrize("name", TRANSFORMED)
@pytest.mark.parametrize("method", ["log_prob", "cdf", "icdf"])
def test_transformed_distribution_matches_torch(backend, name, method):
    make, spec, _ = TRANSFORMED[name]
    if method != "log_prob" and name in ("Normal_stick_breaking", "Independent_power"):
        pytest.skip("torch's cdf/icdf need univariate transforms of a univariate base")
    params = [random_input(s, seed=i, low=lo, high=hi) for i, (s, lo, hi) in enumerate(spec)]

    def call(*t):
        return getattr(make(ns(t[0]), *t[:-1]), method)(t[-1])

    check_tensor_method(call, [*params, _transformed_value(name, method)], backend)


@pytest.mark.parametrize("name", TRANSFORMED)
def test_transformed_distribution_shapes_match_torch(backend, name):
    make, spec, _ = TRANSFORMED[name]
    params = [random_input(s, seed=i, low=lo, high=hi) for i, (s, lo, hi) in enumerate(spec)]
    ours = make(xd, *[Tensor(backend.asarray(p)) for p in params])
    theirs = make(torch.distributions, *map(torch.tensor, params))
    expanded = (2, *theirs.batch_shape)
    for d, e in ((ours, theirs), (ours.expand(expanded), theirs.expand(expanded))):
        assert d.batch_shape == tuple(e.batch_shape) and d.event_shape == tuple(e.event_shape)
        assert d.base_dist.batch_shape == tuple(e.base_dist.batch_shape)
        assert d.has_rsample == e.has_rsample and repr(d.support) == repr(e.support)
        for sample_shape in [(), (5,)]:
            assert tuple(d.sample(sample_shape).shape) == tuple(e.sample(sample_shape).shape)
        value = e.sample((3,))
        expected = e.log_prob(value).numpy()
        assert_close(
            d.log_prob(Tensor(backend.asarray(value.numpy()))).numpy(), expected, np.float64
        )


def test_transformed_distribution_samples_are_transformed(backend):
    xpnet.manual_seed(3)
    base = xd.Normal(Tensor(backend.asarray(np.full(4, 0.5))), 2.0)
    d = xd.TransformedDistribution(base, [xd.transforms.ExpTransform()])
    xpnet.manual_seed(3)
    x = base.sample((6,))
    xpnet.manual_seed(3)
    np.testing.assert_allclose(d.sample((6,)).numpy(), np.exp(x.numpy()))
    xpnet.manual_seed(3)
    np.testing.assert_allclose(d.rsample((6,)).numpy(), np.exp(x.numpy()))


@pytest.mark.parametrize("draw", ["rsample", "saturated"])
def test_sac_tanh_policy_rsample_and_log_prob_match_torch(backend, draw):
    """SAC's squashed Gaussian: log_prob of an rsample reuses the cached pre-tanh value, so it
    stays finite (and torch's) where tanh rounds to +-1; the gradients reach mu and std."""
    mu_host, std_host = np.array([0.1, -0.2, 0.3]), np.array([0.5, 1.5, 1.0])
    mu = Tensor(backend.asarray(mu_host), requires_grad=True)
    std = Tensor(backend.asarray(std_host), requires_grad=True)
    policy = xd.TransformedDistribution(xd.Normal(mu, std), [xd.transforms.TanhTransform(1)])
    if draw == "rsample":
        xpnet.manual_seed(11)
        eps = (policy.base_dist.rsample().detach().numpy() - mu_host) / std_host
        xpnet.manual_seed(11)
        action = policy.rsample()
    else:  # rsample's path from a chosen draw, where tanh rounds to +-1 in float64
        eps = (np.array([25.0, -30.0, 19.0]) - mu_host) / std_host
        action = policy.transforms[0](mu + Tensor(backend.asarray(eps)) * std)
    log_prob = policy.log_prob(action)
    (log_prob.sum() + action.sum()).backward()

    mu_t = torch.tensor(mu_host, requires_grad=True)
    std_t = torch.tensor(std_host, requires_grad=True)
    tanh = torch.distributions.transforms.TanhTransform(cache_size=1)
    policy_t = torch.distributions.TransformedDistribution(
        torch.distributions.Normal(mu_t, std_t), [tanh]
    )
    action_t = tanh(mu_t + torch.tensor(eps) * std_t)
    log_prob_t = policy_t.log_prob(action_t)
    (log_prob_t.sum() + action_t.sum()).backward()
    assert np.isfinite(log_prob.detach().numpy()).all()
    assert_close(action.detach().numpy(), action_t.detach().numpy(), np.float64, "action")
    assert_close(log_prob.detach().numpy(), log_prob_t.detach().numpy(), np.float64, "log_prob")
    assert_close(backend.to_host(mu.grad.array), mu_t.grad.numpy(), np.float64, "mu.grad")
    assert_close(backend.to_host(std.grad.array), std_t.grad.numpy(), np.float64, "std.grad")


def _mixture(D, logits, loc, scale, event=False):
    component = D.Normal(loc, scale)
    if event:
        component = D.Independent(component, 1)
    return D.MixtureSameFamily(D.Categorical(logits=logits), component)


# name: (mixture logits shape, component parameters shape, value shape, event?)
MIXTURES = {
    "univariate": ((5,), (5,), (3,), False),
    "batched": ((2, 5), (2, 5), (4, 2), False),
    "broadcast_mixture": ((5,), (3, 5), (4, 3), False),
    "bivariate": ((5,), (5, 2), (4, 2), True),
    "bivariate_batched": ((3, 5), (3, 5, 2), (4, 3, 2), True),
    "bivariate_broadcast": ((5,), (3, 5, 2), (4, 3, 2), True),
}


@pytest.mark.parametrize("name", MIXTURES)
@pytest.mark.parametrize("what", ["log_prob", "cdf", "mean", "variance"])
def test_mixture_same_family_matches_torch(backend, name, what):
    logits_shape, shape, value_shape, event = MIXTURES[name]
    if what == "cdf" and event:
        pytest.skip("Independent has no cdf, in torch as in xpnet")
    logits = random_input(logits_shape, seed=0, low=-2, high=2)
    loc = random_input(shape, seed=1, low=-2, high=2)
    scale = random_input(shape, seed=2, low=0.5, high=1.5)
    value = random_input(value_shape, seed=3, low=-3, high=3)

    def call(logits, loc, scale, *value):
        d = _mixture(ns(logits), logits, loc, scale, event)
        return getattr(d, what)(*value) if value else getattr(d, what)

    inputs = [logits, loc, scale] + ([value] if what in ("log_prob", "cdf") else [])
    check_tensor_method(call, inputs, backend)


@pytest.mark.parametrize("name", MIXTURES)
def test_mixture_same_family_shapes_match_torch(backend, name):
    logits_shape, shape, _, event = MIXTURES[name]
    params = [np.zeros(logits_shape), np.zeros(shape), np.ones(shape)]
    ours = _mixture(xd, *[Tensor(backend.asarray(p)) for p in params], event)
    theirs = _mixture(torch.distributions, *map(torch.tensor, params), event)
    expanded = (4, *theirs.batch_shape)
    for d, e in [(ours, theirs), (ours.expand(expanded), theirs.expand(expanded))]:
        assert d.batch_shape == tuple(e.batch_shape) and d.event_shape == tuple(e.event_shape)
        assert repr(d.support) == repr(e.support) and not d.has_rsample
        for part in ("mixture_distribution", "component_distribution"):
            assert getattr(d, part).batch_shape == tuple(getattr(e, part).batch_shape)
        expected = (7,) + tuple(e.batch_shape) + tuple(e.event_shape)
        assert tuple(d.sample((7,)).shape) == expected


def test_mixture_same_family_samples_pick_components_by_their_probabilities(backend):
    """Components far apart (means -100, 0, 100, tiny scales): each draw shows which one was
    picked, per batch entry, at the mixture's probabilities."""
    probs = np.array([[0.2, 0.5, 0.3], [0.6, 0.1, 0.3]])
    loc = np.array([[-100.0, 0.0, 100.0], [100.0, 0.0, -100.0]])[..., None] * np.ones(2)
    d = xd.MixtureSameFamily(
        xd.Categorical(Tensor(backend.asarray(probs))),
        xd.Independent(xd.Normal(Tensor(backend.asarray(loc)), 1e-3), 1),
    )
    xpnet.manual_seed(0)
    draws = d.sample((4000,)).numpy()  # (4000, 2, 2)
    assert np.allclose(draws[..., 0], draws[..., 1], atol=0.1)  # one component per event
    picked = np.round(draws[..., 0] / 100).astype(int) + 1  # 0, 1, 2 for -100, 0, 100
    picked[:, 1] = 2 - picked[:, 1]  # the second row's components are in reverse order
    for row in range(2):
        frequencies = np.bincount(picked[:, row], minlength=3) / len(picked)
        np.testing.assert_allclose(frequencies, probs[row], atol=0.03)


def _errors(build):
    """The exceptions of ``build(D, T)`` in xpnet and in torch."""
    raised = []
    for D, T in [
        (xd, lambda v: Tensor(xpnet.asarray(np.asarray(v, dtype=np.float64)))),
        (torch.distributions, lambda v: torch.tensor(v, dtype=torch.float64)),
    ]:
        with pytest.raises(Exception) as error:  # noqa: PT011 - compared below
            build(D, T)
        raised.append(error.value)
    return raised


@pytest.mark.parametrize(
    ("build", "named"),
    [
        (lambda D, T: D.TransformedDistribution(D.Normal(0.0, 1.0), "exp"), "transforms"),
        (lambda D, T: D.TransformedDistribution(D.Normal(0.0, 1.0), [None]), "transforms"),
        (
            lambda D, T: D.TransformedDistribution(
                D.Normal(T(0.0), 1.0), [D.transforms.StickBreakingTransform()]
            ),
            "base_distribution",
        ),
        (
            lambda D, T: D.TransformedDistribution(
                D.Normal(T([0.0]), 1.0), [D.transforms.ExpTransform()]
            ).log_prob(T([-1.0])),
            "value argument",
        ),
        (
            lambda D, T: D.MixtureSameFamily(D.Normal(T([0.0]), 1.0), D.Normal(T([0.0]), 1.0)),
            "ixture",
        ),
        (
            lambda D, T: D.MixtureSameFamily(D.Categorical(T([1.0])), "normal"),
            "omponent",
        ),
        (
            lambda D, T: D.MixtureSameFamily(
                D.Categorical(T([[0.5, 0.5]] * 2)), D.Normal(T([[0.0, 0.0]] * 3), 1.0)
            ),
            "mixture_distribution.batch_shape",
        ),
        (
            lambda D, T: D.MixtureSameFamily(
                D.Categorical(T([0.5, 0.5])), D.Normal(T([0.0, 0.0, 0.0]), 1.0)
            ),
            "mixture_distribution component",
        ),
        (
            lambda D, T: D.MixtureSameFamily(
                D.Categorical(T([0.5, 0.5])), D.Normal(T([0.0, 0.0]), 1.0)
            ).log_prob(T([float("nan")])),
            "value argument",
        ),
        (  # in one component's support but not in both: invalid, as torch's (the mixture checks)
            lambda D, T: D.MixtureSameFamily(
                D.Categorical(T([0.5, 0.5])),
                D.Uniform(T([0.0, 1.0]), T([1.0, 2.0]), validate_args=False),
            ).log_prob(T([0.5, 1.5])),
            "value argument",
        ),
        (  # the base distribution checks the inverse image: log(-1) is NaN
            lambda D, T: D.TransformedDistribution(
                D.Normal(T([0.0]), 1.0, validate_args=False), [D.transforms.ExpTransform()]
            ).cdf(T([-1.0])),
            "value argument",
        ),
        (
            lambda D, T: D.transforms.IndependentTransform(D.transforms.ExpTransform(), 2)(
                T([0.0])
            ),
            "Too few dimensions",
        ),
        (
            lambda D, T: D.transforms.IndependentTransform(D.transforms.ExpTransform(), 2).inv(
                T([1.0])
            ),
            "Too few dimensions",
        ),
        (lambda D, T: D.transforms.SoftmaxTransform().forward_shape(()), "Too few dimensions"),
    ],
)
def test_invalid_arguments_raise_as_torch(build, named):
    ours, theirs = _errors(build)
    assert type(ours) is type(theirs) is ValueError
    assert named in str(ours) and named in str(theirs)
    first = re.split(r"[:(]|but got", str(theirs).replace("torch.", "xpnet."))[0]
    assert " ".join(str(ours).split()).startswith(" ".join(first.split())), (ours, theirs)


def test_mixture_messages_name_the_argument():
    with pytest.raises(ValueError, match="mixture_distribution=Normal"):
        xd.MixtureSameFamily(xd.Normal(0.0, 1.0), xd.Normal(0.0, 1.0))
    with pytest.raises(ValueError, match="component_distribution=str"):
        xd.MixtureSameFamily(xd.Categorical(xpnet.ones(2)), "normal")


CONSTRAINTS = [
    ("real", ()),
    ("positive", ()),
    ("nonnegative", ()),
    ("unit_interval", ()),
    ("simplex", ()),
    ("real_vector", ()),
    ("greater_than", (2.0,)),
    ("less_than", (-1.0,)),
    ("interval", (-1.0, 3.0)),
    ("interval", (0.0, 3.0)),
    ("independent", ("positive", 1)),
]


@pytest.mark.parametrize(("name", "args"), CONSTRAINTS)
@pytest.mark.parametrize("registry", ["biject_to", "transform_to"])
def test_biject_to_and_transform_to_match_torch(backend, name, args, registry):
    def call(x):
        D = ns(x)
        constraint = getattr(D.constraints, name)
        if name == "independent":
            constraint = constraint(getattr(D.constraints, args[0]), args[1])
        elif args:
            constraint = constraint(*args)
        transform = getattr(D, registry)(constraint)
        return transform(x), transform

    x = random_input((3, 4), seed=5, low=-2, high=2)
    assert repr(call(Tensor(backend.asarray(x)))[1]) == repr(call(torch.tensor(x))[1])
    check_tensor_method(lambda x: call(x)[0], [x], backend)


def test_registries_refuse_unknown_constraints():
    for D in (xd, torch.distributions):
        with pytest.raises(NotImplementedError, match="Cannot transform _Boolean constraints"):
            D.biject_to(D.constraints.boolean)
        with pytest.raises(TypeError, match="Expected constraint to be either"):
            D.biject_to.register(int, lambda c: None)
