"""The rest of torch.distributions.transforms in xpnet, against torch in float64: Softplus,
Reshape, Cat, Stack, CorrCholesky, LowerCholesky, PositiveDefinite and
CumulativeDistribution transforms (forward, inverse, log|det J| with the gradients of inputs
and parameters; attributes, shapes, caching, equality, errors), the triangle packing helpers,
the constraints they need (corr_cholesky, lower_triangular, positive_semidefinite, cat, stack),
their biject_to/transform_to entries, and the top-level transform names."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from _distributions import ns, spd, tril
from _oracle import assert_close, check_tensor_method, random_input

import xpnet
import xpnet.distributions as xd
from xpnet.autograd import Tensor
from xpnet.distributions.transforms_matrix import tril_matrix_to_vec, vec_to_tril_matrix


def tr(t):
    """The transforms module beside ``t``."""
    return ns(t).transforms


def _cat_events(T):
    """Parts with event_dim 1 and 0 cut along a batch dimension: their log|det J| are joined."""
    return T.CatTransform(
        [T.IndependentTransform(T.ExpTransform(), 1), T.TanhTransform()], dim=0, lengths=[2, 1]
    )


def _cat_inside_event(T):
    """Cut along the event's dimension: the parts' log|det J| are summed."""
    return T.CatTransform(
        [T.IndependentTransform(T.ExpTransform(), 1), T.IndependentTransform(T.TanhTransform(), 1)],
        dim=-1,
        lengths=[2, 2],
    )


def _normal_cdf(T, loc, scale):
    return T.CumulativeDistributionTransform(ns(loc).Normal(loc, scale))


# name: (make(T, *params), parameter (shape, low, high) list, input (shape, low, high),
#        output (shape, low, high) for the inverse, or None for "t(x)" of torch)
TRANSFORMS = {
    "Softplus": (lambda T: T.SoftplusTransform(), [], ((3, 4), -25, 25), ((3, 4), 0.05, 22)),
    "Reshape": (
        lambda T: T.ReshapeTransform((2, 3), (3, 2)),
        [],
        ((4, 2, 3), -2, 2),
        ((4, 3, 2), -2, 2),
    ),
    "Cat": (
        lambda T, scale: T.CatTransform(
            [T.ExpTransform(), T.AffineTransform(1.0, scale), T.SigmoidTransform()], -1, [1, 2, 1]
        ),
        [((2,), 0.5, 2)],
        ((3, 4), -2, 2),
        ((3, 4), 0.1, 0.9),
    ),
    "Cat_events": (_cat_events, [], ((3, 4), -2, 2), ((3, 4), 0.1, 0.9)),
    "Cat_inside_event": (_cat_inside_event, [], ((3, 4), -2, 2), ((3, 4), 0.1, 0.9)),
    "Stack": (
        lambda T, scale: T.StackTransform(
            [T.ExpTransform(), T.AffineTransform(0.5, scale), T.TanhTransform()], dim=1
        ),
        [((4,), 0.5, 2)],
        ((4, 3, 4), -2, 2),
        ((4, 3, 4), 0.1, 0.9),
    ),
    "Stack_negative_dim": (
        lambda T: T.StackTransform([T.SoftplusTransform(), T.SigmoidTransform()], dim=-1),
        [],
        ((3, 2), -2, 2),
        ((3, 2), 0.1, 0.9),
    ),
    "CorrCholesky": (lambda T: T.CorrCholeskyTransform(), [], ((2, 6), -2, 2), None),
    "CorrCholesky_2x2": (lambda T: T.CorrCholeskyTransform(), [], ((3, 1), -2, 2), None),
    "LowerCholesky": (lambda T: T.LowerCholeskyTransform(), [], ((2, 3, 3), -1, 1), None),
    "PositiveDefinite": (lambda T: T.PositiveDefiniteTransform(), [], ((2, 3, 3), -1, 1), None),
    "CumulativeDistribution": (
        _normal_cdf,
        [((4,), -1, 1), ((4,), 0.5, 2)],
        ((3, 4), -3, 3),
        ((3, 4), 0.05, 0.95),
    ),
    "Compose_corr_cholesky": (
        lambda T: T.ComposeTransform([T.SoftplusTransform().inv, T.CorrCholeskyTransform()]),
        [],
        ((2, 3), 0.2, 2),
        None,
    ),
}
NOT_BIJECTIVE = {"LowerCholesky", "PositiveDefinite"}  # torch defines no log|det J| for them


def _params(spec):
    return [random_input(s, seed=i, low=lo, high=hi) for i, (s, lo, hi) in enumerate(spec)]


def _transform_case(name, what):
    make, spec, (x_shape, low, high), y_spec = TRANSFORMS[name]
    params, k = _params(spec), len(spec)

    def call(*t):
        transform = make(tr(t[0]), *t[:k])
        if what == "inverse":
            return transform.inv(t[-1])
        y = transform(t[-1])
        return y if what == "forward" else transform.log_abs_det_jacobian(t[-1], y)

    x = random_input(x_shape, seed=7, low=low, high=high)
    if what != "inverse":
        return call, [*params, x]
    if y_spec is None:  # a structured codomain: values of torch's forward map
        y = make(torch.distributions.transforms, *map(torch.tensor, params))(torch.tensor(x))
        return call, [*params, y.numpy()]
    shape, low, high = y_spec
    return call, [*params, random_input(shape, seed=8, low=low, high=high)]


@pytest.mark.parametrize("name", TRANSFORMS)
@pytest.mark.parametrize("what", ["forward", "inverse", "log_abs_det_jacobian"])
def test_transform_matches_torch(backend, name, what):
    if what == "log_abs_det_jacobian" and name in NOT_BIJECTIVE:
        make, x = TRANSFORMS[name][0], np.eye(2)
        for value in (Tensor(backend.asarray(x)), torch.tensor(x)):
            with pytest.raises(NotImplementedError):
                make(tr(value)).log_abs_det_jacobian(value, value)
        return
    if what == "inverse" and name == "PositiveDefinite":  # its inverse needs SPD matrices
        A = random_input((2, 3, 3), seed=8)
        check_tensor_method(lambda A: tr(A).PositiveDefiniteTransform().inv(spd(A)), [A], backend)
        return
    if what == "inverse" and name == "LowerCholesky":
        A = random_input((2, 3, 3), seed=8)
        check_tensor_method(lambda A: tr(A).LowerCholeskyTransform().inv(tril(A)), [A], backend)
        return
    call, inputs = _transform_case(name, what)
    expected = call(*[torch.tensor(a, requires_grad=True) for a in inputs])
    if not expected.requires_grad:  # Reshape's log|det J|: zeros, values only
        ours = call(*[Tensor(backend.asarray(a), requires_grad=True) for a in inputs])
        assert not ours.requires_grad
        assert_close(ours.numpy(), expected.numpy(), np.float64)
        return
    check_tensor_method(call, inputs, backend)


@pytest.mark.parametrize("name", TRANSFORMS)
def test_transform_attributes_match_torch(backend, name):
    make, spec, (x_shape, _, _), _ = TRANSFORMS[name]
    params = _params(spec)
    ours = make(xd.transforms, *[Tensor(backend.asarray(p)) for p in params])
    theirs = make(torch.distributions.transforms, *map(torch.tensor, params))
    assert repr(ours) == repr(theirs)
    assert ours.bijective == theirs.bijective
    for side in ("domain", "codomain"):
        assert repr(getattr(ours, side)) == repr(getattr(theirs, side))
        assert getattr(ours, side).event_dim == getattr(theirs, side).event_dim
    assert ours.inv.inv is ours
    shape = torch.Size(x_shape)
    y_shape = tuple(theirs.forward_shape(shape))
    assert ours.forward_shape(x_shape) == y_shape
    assert ours.inverse_shape(y_shape) == tuple(theirs.inverse_shape(torch.Size(y_shape)))
    assert ours.inv.forward_shape(y_shape) == x_shape
    try:
        expected = theirs.sign
    except NotImplementedError:
        with pytest.raises(NotImplementedError):
            ours.sign  # noqa: B018
        return
    assert ours.sign == expected and isinstance(ours.sign, int)


@pytest.mark.parametrize(
    "make",
    [
        lambda T: T.SoftplusTransform(),
        lambda T: T.LowerCholeskyTransform(),
        lambda T: T.PositiveDefiniteTransform(),
        lambda T: T.CorrCholeskyTransform(),
        lambda T: T.ReshapeTransform((2,), (2, 1)),
        lambda T: T.CatTransform([T.ExpTransform()]),
        lambda T: T.StackTransform([T.ExpTransform()]),
    ],
)
def test_transform_equality_matches_torch(make):
    ours, theirs = make(xd.transforms), make(torch.distributions.transforms)
    assert (ours == make(xd.transforms)) == (theirs == make(torch.distributions.transforms))
    assert ours == ours and ours != xd.transforms.ExpTransform()
    assert type(ours.with_cache(1)) is type(ours) and ours.with_cache(1)._cache_size == 1
    assert ours.with_cache(0) is ours


def test_cat_and_stack_cache_their_parts(backend):
    T = xd.transforms
    x = Tensor(backend.asarray(random_input((2, 3), seed=1)))
    for t in (
        T.CatTransform([T.ExpTransform(), T.TanhTransform()], dim=-1, lengths=[2, 1], cache_size=1),
        T.StackTransform([T.ExpTransform(), T.TanhTransform(), T.ExpTransform()], -1, 1),
        T.ReshapeTransform((3,), (3, 1), cache_size=1),
        T.CorrCholeskyTransform(cache_size=1),
    ):
        y = t(x)
        assert t(x) is y and t.inv(y) is x
        assert all(p._cache_size == 1 for p in getattr(t, "transforms", []))


def test_cdf_transform_is_a_gaussian_copula(backend):
    """torch's docstring example: a multivariate normal pushed through the standard normal's
    cdf; its log_prob against torch's, with the gradients of loc and the factor."""
    loc, A = random_input((3,), seed=0), random_input((3, 3), seed=1)
    u = random_input((4, 3), seed=2, low=0.05, high=0.95)

    def call(loc, A, u):
        D = ns(loc)
        base = D.MultivariateNormal(loc, scale_tril=tril(A))
        cdf = D.transforms.CumulativeDistributionTransform(D.Normal(0.0, 1.0))
        return D.TransformedDistribution(base, [cdf]).log_prob(u)

    check_tensor_method(call, [loc, A, u], backend)


def test_corr_cholesky_pushforward_log_prob_matches_torch(backend):
    def call(loc, scale, y):
        D = ns(loc)
        base = D.Independent(D.Normal(loc, scale), 1)
        return D.TransformedDistribution(base, [D.transforms.CorrCholeskyTransform()]).log_prob(y)

    loc, scale = random_input((3,), seed=0), random_input((3,), seed=1, low=0.5, high=2)
    x = torch.tensor(random_input((5, 3), seed=2, low=-2, high=2))
    y = torch.distributions.transforms.CorrCholeskyTransform()(x).numpy()
    check_tensor_method(call, [loc, scale, y], backend)


@pytest.mark.parametrize(("shape", "diag"), [((6,), 0), ((2, 6), -1), ((4, 4), 1), ((3,), -2)])
def test_tril_packing_matches_torch(backend, shape, diag):
    utils = torch.distributions.utils
    vec = random_input(shape, seed=3)
    check_tensor_method(
        lambda v: vec_to_tril_matrix(v, diag),
        [vec],
        backend,
        torch_method=lambda v: utils.vec_to_tril_matrix(v, diag),
    )
    mat = random_input((2, 4, 4), seed=4)
    check_tensor_method(
        lambda m: tril_matrix_to_vec(m, diag),
        [mat],
        backend,
        torch_method=lambda m: utils.tril_matrix_to_vec(m, diag),
    )


def _errors(build):
    """The exceptions of ``build(D, T)`` in xpnet and torch."""
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
    ("build", "message"),
    [
        (lambda D, T: D.transforms.ReshapeTransform((2, 3), (5,)), "different numbers"),
        (lambda D, T: D.transforms.ReshapeTransform((2,), (2,)).forward_shape((3,)), "mismatch"),
        (lambda D, T: D.transforms.ReshapeTransform((2, 1), (2,)).forward_shape((2,)), "Too few"),
        (lambda D, T: D.transforms.CorrCholeskyTransform().forward_shape((4,)), "lower-diagonal"),
        (lambda D, T: D.transforms.CorrCholeskyTransform().inverse_shape((3, 2)), "not square"),
        (lambda D, T: D.transforms.CorrCholeskyTransform().inverse_shape((3,)), "Too few"),
        (
            lambda D, T: D.transforms.CatTransform([D.transforms.ExpTransform()], lengths=[1, 2]),
            "lengths (2) must match transforms (1)",
        ),
        (
            lambda D, T: D.transforms.CatTransform([D.transforms.ExpTransform()], dim=0)(
                T([1.0, 2.0])
            ),
            "must equal length 1",
        ),
        (
            lambda D, T: D.transforms.StackTransform([D.transforms.ExpTransform()], dim=2)(
                T([1.0])
            ),
            "out of range",
        ),
        (lambda D, T: D.transforms.StackTransform(["exp"]), "must be Transform"),
        (lambda D, T: D.constraints.cat([D.constraints.real], lengths=[1, 1]), "must match cseq"),
        (lambda D, T: D.constraints.stack([D.constraints.real], 1).check(T([1.0])), "out of range"),
        (lambda D, T: D.constraints.stack([1]), "must be Constraint"),
    ],
)
def test_invalid_arguments_raise_as_torch(build, message):
    ours, theirs = _errors(build)
    assert type(ours) is type(theirs)
    assert message in str(ours) and message in str(theirs)


def test_tril_packing_rejects_bad_sizes():
    utils = torch.distributions.utils
    for unpack in (vec_to_tril_matrix, utils.vec_to_tril_matrix):
        with pytest.raises(ValueError, match="size of last dimension is 5 which cannot"):
            unpack(xpnet.zeros(5) if unpack is vec_to_tril_matrix else torch.zeros(5))
    for pack in (tril_matrix_to_vec, utils.tril_matrix_to_vec):
        with pytest.raises(ValueError, match=r"diag \(3\) provided is outside \[-3, 2\]"):
            pack(xpnet.zeros(3, 3) if pack is tril_matrix_to_vec else torch.zeros(3, 3), 3)


CORR = np.array([[1.0, 0.0, 0.0], [0.6, 0.8, 0.0], [-0.48, 0.36, 0.8]])
# name: (constraint(C), values), each value checked by both libraries
CONSTRAINTS = {
    "corr_cholesky": (
        lambda C: C.corr_cholesky,
        [CORR, CORR * 1.01, CORR.T, np.diag([1.0, -1.0, 1.0]), np.stack([CORR, CORR.T])],
    ),
    "lower_triangular": (lambda C: C.lower_triangular, [CORR, CORR.T, -CORR]),
    "positive_semidefinite": (
        lambda C: C.positive_semidefinite,
        [np.ones((3, 3)), -np.eye(3), np.eye(3) + np.triu(np.ones((3, 3)), 1)],
    ),
    "positive_definite": (lambda C: C.positive_definite, [np.eye(3), np.ones((3, 3))]),
    "cat": (
        lambda C: C.cat([C.positive, C.unit_interval, C.real], dim=-1, lengths=[1, 2, 1]),
        [np.array([[1.0, 0.5, 0.5, -4.0], [-1.0, 0.5, 1.5, 0.0]])],
    ),
    "cat_vectors": (
        lambda C: C.cat([C.simplex, C.independent(C.positive, 1)], dim=0, lengths=[2, 1]),
        [np.array([[0.5, 0.5], [0.2, 0.3], [1.0, -1.0]])],
    ),
    "stack": (
        lambda C: C.stack([C.positive, C.unit_interval, C.boolean], dim=1),
        [np.array([[1.0, 0.5, 1.0], [-1.0, 0.5, 0.5]])],
    ),
    "stack_negative_dim": (
        lambda C: C.stack([C.simplex, C.real_vector], dim=-2),
        [np.array([[[0.5, 0.5], [3.0, -1.0]], [[0.9, 0.2], [0.0, 0.0]]])],
    ),
}


@pytest.mark.parametrize("name", CONSTRAINTS)
def test_constraints_match_torch(backend, name):
    make, values = CONSTRAINTS[name]
    ours, theirs = make(xd.constraints), make(torch.distributions.constraints)
    assert repr(ours) == repr(theirs)
    assert ours.event_dim == theirs.event_dim and ours.is_discrete == theirs.is_discrete
    for value in values:
        expected = theirs.check(torch.tensor(value)).numpy()
        np.testing.assert_array_equal(ours.check(Tensor(backend.asarray(value))).numpy(), expected)


REGISTERED = {
    "corr_cholesky": (lambda C: C.corr_cholesky, (2, 3)),
    "lower_cholesky": (lambda C: C.lower_cholesky, (2, 3, 3)),
    "positive_definite": (lambda C: C.positive_definite, (2, 3, 3)),
    "positive_semidefinite": (lambda C: C.positive_semidefinite, (2, 3, 3)),
    "cat": (lambda C: C.cat([C.positive, C.interval(-1.0, 2.0)], -1, [1, 2]), (2, 3)),
    "stack": (lambda C: C.stack([C.positive, C.unit_interval], dim=0), (2, 3)),
}


@pytest.mark.parametrize("name", REGISTERED)
@pytest.mark.parametrize("registry", ["biject_to", "transform_to"])
def test_biject_to_and_transform_to_match_torch(backend, name, registry):
    make, shape = REGISTERED[name]
    theirs_registry = getattr(torch.distributions, registry)
    try:
        theirs = theirs_registry(make(torch.distributions.constraints))
    except NotImplementedError:  # no bijection onto it in torch: none in xpnet either
        with pytest.raises(NotImplementedError, match="Cannot transform"):
            getattr(xd, registry)(make(xd.constraints))
        return
    assert repr(getattr(xd, registry)(make(xd.constraints))) == repr(theirs)

    def call(x):
        D = ns(x)
        return getattr(D, registry)(make(D.constraints))(x)

    check_tensor_method(call, [random_input(shape, seed=5, low=-1, high=1)], backend)


def test_every_torch_transform_name_is_exported_at_the_top_level():
    names = torch.distributions.transforms.__all__
    assert set(names) <= set(xd.__all__) and set(names) <= set(xd.transforms.__all__)
    for name in names:
        assert getattr(xd, name) is getattr(xd.transforms, name)
    assert xd.identity_transform is xd.transforms.identity_transform
    assert isinstance(xd.identity_transform, xd.Transform)
