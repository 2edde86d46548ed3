"""gumbel_softmax, triplet_margin_with_distance_loss and the in-place activations
(``relu_``, ...) of :mod:`xpnet.nn.functional_composite`, against PyTorch.

gumbel_softmax's noise is random: the oracle test gives PyTorch's ``exponential_`` and
xpnet's generator draws that make the same Gumbel noise, then compares every value and
gradient; the statistics test checks the distribution of xpnet's own draws.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from _oracle import assert_close, check_against_torch, random_input
from _strategies import PROFILE
from hypothesis import given
from hypothesis import strategies as st

import xpnet
import xpnet.nn.functional as F
from xpnet import _random
from xpnet._random import seed_dropout


class _Draws:
    """A stand-in for a backend's dropout generator: ``random(shape)`` returns ``values``."""

    def __init__(self, backend, values):
        self.backend, self.values = backend, np.asarray(values, dtype=np.float64)

    def random(self, shape):
        assert tuple(shape) == self.values.shape
        return self.backend.asarray(self.values)


def _same_noise(monkeypatch, backend, exponentials):
    """PyTorch's ``exponential_`` gives ``exponentials``; xpnet draws ``U = exp(-E)``, whose
    ``-log(-log(U))`` is the same Gumbel noise ``-log(E)``."""

    def exponential_(self, *args, **kwargs):
        return self.copy_(torch.tensor(exponentials))

    monkeypatch.setattr(torch.Tensor, "exponential_", exponential_)
    draws = np.exp(-exponentials)
    monkeypatch.setattr(_random, "dropout_generator", lambda _backend: _Draws(backend, draws))


def _tensor_call(function):
    """``function`` (of xpnet.nn.functional) as the array forward and backward of
    :func:`check_against_torch`."""

    def forward(*arrays):
        return function(*[xpnet.Tensor(a) for a in arrays]).array

    def backward(grad_output, *arrays):
        tensors = [xpnet.Tensor(a, requires_grad=True) for a in arrays]
        function(*tensors).backward(grad_output)
        return tuple(t.grad for t in tensors)

    return forward, backward


# ---------------------------------------------------------------------------- gumbel_softmax


@pytest.mark.parametrize(
    "shape, tau, hard, dim",
    [
        ((4, 5), 1.0, False, -1),
        ((4, 5), 0.5, True, -1),
        ((3, 4, 2), 2.0, True, 1),
        ((3, 4, 2), 0.3, False, 0),
        ((6,), 1, True, 0),
        ((), 1.0, True, -1),
    ],
)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_gumbel_softmax_matches_torch_given_its_noise(
    backend, monkeypatch, shape, tau, hard, dim, dtype
):
    exponentials = np.random.default_rng(3).exponential(size=shape)
    _same_noise(monkeypatch, backend, exponentials)
    forward, backward = _tensor_call(lambda x: F.gumbel_softmax(x, tau, hard, dim=dim))
    output, _ = check_against_torch(
        forward,
        backward,
        lambda x: TF.gumbel_softmax(x, tau, hard, dim=dim),
        [2 * random_input(shape, seed=4)],
        backend,
        dtype=dtype,
    )
    if hard:  # one 1 per slice along dim (y_hard - y_soft + y_soft: 1 within rounding)
        np.testing.assert_allclose(output.sum(axis=dim if shape else None), 1.0, rtol=1e-6)
        assert ((output > 0.5) == (np.abs(output - 1) < 1e-6)).all()


def test_gumbel_softmax_hard_samples_follow_the_softmax(backend):
    """Hard samples of fixed logits: each category as often as softmax(logits) says, within
    5 standard errors of 40k samples; soft samples sum to 1 along dim."""
    seed_dropout(0)
    logits = np.log(np.array([0.1, 0.2, 0.3, 0.4]))
    n = 40_000
    samples = F.gumbel_softmax(backend.asarray(np.tile(logits, (n, 1))), hard=True)
    frequencies = xpnet.to_numpy(samples.array).mean(axis=0)
    bound = 5 * np.sqrt(np.array([0.1, 0.2, 0.3, 0.4]) * 0.9 / n)
    assert (np.abs(frequencies - [0.1, 0.2, 0.3, 0.4]) < bound).all()
    soft = F.gumbel_softmax(backend.asarray(np.tile(logits, (50, 1))), tau=0.7, dim=1)
    np.testing.assert_allclose(xpnet.to_numpy(soft.array).sum(axis=1), 1.0, rtol=1e-14)


def test_gumbel_softmax_straight_through_gradient_is_the_soft_samples(backend, monkeypatch):
    exponentials = np.random.default_rng(5).exponential(size=(3, 4))
    _same_noise(monkeypatch, backend, exponentials)
    values, g = random_input((3, 4)), random_input((3, 4), seed=2)
    hard, soft = (xpnet.Tensor(backend.asarray(values), requires_grad=True) for _ in range(2))
    F.gumbel_softmax(hard, 0.5, hard=True).backward(backend.asarray(g))
    F.gumbel_softmax(soft, 0.5, hard=False).backward(backend.asarray(g))
    np.testing.assert_array_equal(xpnet.to_numpy(hard.grad), xpnet.to_numpy(soft.grad))


def test_gumbel_softmax_keeps_dtype_and_draws_with_the_seed(backend):
    logits = backend.asarray(random_input((2, 5)).astype(np.float32))
    seed_dropout(4)
    first = F.gumbel_softmax(logits)
    seed_dropout(4)
    second = F.gumbel_softmax(logits)
    assert first.dtype == np.float32 and not first.requires_grad
    np.testing.assert_array_equal(xpnet.to_numpy(first.array), xpnet.to_numpy(second.array))


def test_gumbel_softmax_warns_for_eps_and_refuses_integers(backend):
    logits = backend.asarray(np.zeros((2, 3)))
    with pytest.warns(UserWarning, match="`eps` parameter is deprecated and has no effect."):
        F.gumbel_softmax(logits, eps=1e-5)
    with pytest.warns(UserWarning, match="`eps` parameter is deprecated"):
        TF.gumbel_softmax(torch.zeros(2, 3), eps=1e-5)
    with pytest.raises(TypeError, match="gumbel_softmax: logits must be a floating-point array"):
        F.gumbel_softmax(backend.asarray(np.zeros((2, 3), dtype=np.int64)))


# -------------------------------------------------------------- triplet_margin_with_distance


def _l1(a, b):
    return (a - b).abs().sum(-1)  # the same code on xpnet's and torch's Tensors


def _cosine_distance(functional):
    return lambda a, b: 1.0 - functional.cosine_similarity(a, b)


@pytest.mark.parametrize("distance", ["default", "l1", "cosine"])
@pytest.mark.parametrize("swap", [False, True])
@pytest.mark.parametrize("reduction, margin", [("mean", 1.0), ("sum", 0.3), ("none", 2)])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_triplet_margin_with_distance_loss_matches_torch(
    backend, distance, swap, reduction, margin, dtype
):
    functions = {
        "default": (None, None),
        "l1": (_l1, _l1),
        "cosine": (_cosine_distance(F), _cosine_distance(TF)),
    }[distance]

    def loss(functional, function):
        def call(a, p, n):
            return functional.triplet_margin_with_distance_loss(
                a, p, n, distance_function=function, margin=margin, swap=swap, reduction=reduction
            )

        return call

    forward, backward = _tensor_call(loss(F, functions[0]))
    inputs = [random_input((6, 4), seed=seed) for seed in (1, 2, 3)]
    check_against_torch(forward, backward, loss(TF, functions[1]), inputs, backend, dtype)


@pytest.mark.parametrize("case", ["hinge at 0", "swap tie", "unbatched", "empty"])
def test_triplet_margin_with_distance_loss_edges_match_torch(backend, case):
    """clamp_min's gradient passes at 0, a swap tie splits the gradient in halves, (D,)
    inputs give a scalar, an empty batch NaN (mean) without a warning, as PyTorch's."""
    a, p, n = (random_input((5, 3), seed=seed) for seed in (1, 2, 3))
    kwargs = {"distance_function": _l1, "swap": True}
    if case == "hinge at 0":
        a, p, n = np.zeros((1, 1)), np.ones((1, 1)), np.full((1, 1), 2.0)  # 1 + 1 - 2 = 0
        kwargs = {"distance_function": _l1}
    elif case == "swap tie":
        p = a.copy()  # d(a, n) == d(p, n) everywhere
    elif case == "unbatched":
        a, p, n, kwargs = a[0], p[0], n[0], {}
    else:
        a, p, n = (np.zeros((0, 3)) for _ in range(3))

    def ours(*tensors):
        return F.triplet_margin_with_distance_loss(*tensors, **kwargs)

    forward, backward = _tensor_call(ours)
    check_against_torch(
        forward,
        backward,
        lambda *t: TF.triplet_margin_with_distance_loss(*t, **kwargs),
        [a, p, n],
        backend,
        grad_output=np.array(1.0),
    )


def test_triplet_margin_with_distance_loss_rejects_as_torch(backend):
    x = backend.asarray(np.ones((2, 3)))
    where = "triplet_margin_with_distance_loss"
    with pytest.raises(ValueError, match=f"{where}: max is not a valid value for reduction"):
        F.triplet_margin_with_distance_loss(x, x, x, reduction="max")
    with pytest.raises(ValueError, match=f"{where}: margin must be greater than 0, got 0"):
        F.triplet_margin_with_distance_loss(x, x, x, margin=0)
    with pytest.raises(RuntimeError, match=r"same number of dimensions, but got: anchor 2D, "):
        F.triplet_margin_with_distance_loss(x, x[0], x)
    with pytest.raises(RuntimeError, match=r"same number of dimensions, but got: anchor 2D, "):
        TF.triplet_margin_with_distance_loss(torch.ones(2, 3), torch.ones(3), torch.ones(2, 3))
    with pytest.raises(TypeError, match="missing 1 required positional argument"):
        F.triplet_margin_with_distance_loss(x, x)
    with pytest.raises(TypeError, match="takes 3 positional arguments"):
        F.triplet_margin_with_distance_loss(x, x, x, None)  # the options are keyword only


def test_triplet_margin_with_distance_loss_layer_matches_torch(backend):
    ours, theirs = (
        xpnet.nn.TripletMarginWithDistanceLoss(),
        torch.nn.TripletMarginWithDistanceLoss(),
    )
    assert repr(ours) == repr(theirs)
    assert ours.state_dict().keys() == theirs.state_dict().keys()
    custom = {"distance_function": _l1, "margin": 0.5, "swap": True, "reduction": "sum"}
    ours = xpnet.nn.TripletMarginWithDistanceLoss(**custom)
    theirs = torch.nn.TripletMarginWithDistanceLoss(**custom)
    assert repr(ours) == repr(theirs) == "TripletMarginWithDistanceLoss()"
    inputs = [random_input((4, 3), seed=seed) for seed in (1, 2, 3)]
    expected = theirs(*[torch.tensor(x) for x in inputs]).item()
    assert_close(ours(*[backend.asarray(x) for x in inputs]).item(), expected, np.float64)
    with pytest.raises(ValueError, match="TripletMarginWithDistanceLoss: margin must be greater"):
        xpnet.nn.TripletMarginWithDistanceLoss(margin=-1.0)
    with pytest.raises(TypeError):
        xpnet.nn.TripletMarginWithDistanceLoss(None)  # keyword only, as PyTorch's


@given(
    batch=st.integers(0, 4),
    features=st.integers(1, 4),
    margin=st.floats(0.01, 3),
    swap=st.booleans(),
    reduction=st.sampled_from(["mean", "sum", "none"]),
    seed=st.integers(0, 2**16),
)
@PROFILE
def test_triplet_margin_with_distance_loss_property(
    backend, batch, features, margin, swap, reduction, seed
):
    inputs = [random_input((batch, features), seed=seed + k) for k in range(3)]
    kwargs = {"margin": margin, "swap": swap, "reduction": reduction}
    forward, backward = _tensor_call(lambda *t: F.triplet_margin_with_distance_loss(*t, **kwargs))
    check_against_torch(
        forward,
        backward,
        lambda *t: TF.triplet_margin_with_distance_loss(*t, **kwargs),
        inputs,
        backend,
        seed=seed,
    )


@given(margin=st.floats(max_value=0.0), reduction=st.text(max_size=5))
@PROFILE
def test_triplet_margin_with_distance_loss_property_refuses(backend, margin, reduction):
    x = backend.asarray(np.ones((2, 3)))
    with pytest.raises(ValueError, match="triplet_margin_with_distance_loss: "):
        F.triplet_margin_with_distance_loss(x, x, x, margin=margin)
    if reduction not in ("mean", "sum", "none"):
        with pytest.raises(ValueError, match="is not a valid value for reduction"):
            F.triplet_margin_with_distance_loss(x, x, x, reduction=reduction)


# ------------------------------------------------------------------- the in-place activations

IN_PLACE = [
    ("relu_", ()),
    ("elu_", (0.7,)),
    ("celu_", (1.3,)),
    ("selu_", ()),
    ("leaky_relu_", (0.2,)),
    ("hardtanh_", (-0.5, 0.8)),
    ("threshold_", (0.1, -2.0)),
    ("rrelu_", (0.1, 0.3)),
]


@pytest.mark.parametrize("name, args", IN_PLACE)
def test_in_place_activation_returns_its_input_with_torch_gradients(backend, name, args):
    values = 2 * random_input((3, 4))
    leaf = xpnet.Tensor(backend.asarray(values), requires_grad=True)
    hidden = leaf * 1.0
    result = getattr(F, name)(hidden, *args)
    assert result is hidden and hidden._version == 1
    (hidden * hidden).sum().backward()
    theirs = torch.tensor(values, requires_grad=True)
    theirs_hidden = theirs * 1.0
    assert getattr(TF, name)(theirs_hidden, *args) is theirs_hidden
    if name == "celu_":  # PyTorch's celu_ differentiates its result with a float32 1 / alpha,
        # 1.5e-8 off in float64: its out-of-place celu is the exact reference
        theirs_hidden = TF.celu(theirs * 1.0, *args)
    (theirs_hidden * theirs_hidden).sum().backward()
    assert_close(xpnet.to_numpy(hidden.array), theirs_hidden.detach().numpy(), np.float64)
    assert_close(xpnet.to_numpy(leaf.grad), theirs.grad.numpy(), np.float64, "grad_input")


@pytest.mark.parametrize("name, args", IN_PLACE)
def test_in_place_activation_writes_the_array_without_a_graph(backend, name, args):
    values = 2 * random_input((2, 5))
    array = backend.asarray(values.copy())
    view = array[1:]
    tensor = xpnet.Tensor(array)
    assert getattr(F, name)(tensor, *args) is tensor and tensor.array is array
    expected = getattr(TF, name)(torch.tensor(values), *args).numpy()
    assert_close(backend.to_host(view), expected[1:], np.float64)  # a view sees the change
    # a leaf that requires grad may change under no_grad, as PyTorch's
    leaf = xpnet.Tensor(backend.asarray(values.copy()), requires_grad=True)
    with xpnet.no_grad():
        assert getattr(F, name)(leaf, *args) is leaf
    assert_close(xpnet.to_numpy(leaf.array), expected, np.float64)
    # a plain array changes in place too; the result is a Tensor around it
    array = backend.asarray(values.copy())
    assert getattr(F, name)(array, *args).array is array
    assert_close(backend.to_host(array), expected, np.float64)


@pytest.mark.parametrize("name, args", IN_PLACE)
def test_in_place_activation_refuses_a_leaf_that_requires_grad(backend, name, args):
    leaf = xpnet.Tensor(backend.asarray(random_input((2, 3))), requires_grad=True)
    with pytest.raises(RuntimeError, match=f"{name}: a leaf tensor that requires grad cannot"):
        getattr(F, name)(leaf, *args)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used"):
        getattr(TF, name)(torch.zeros(2, 3, requires_grad=True), *args)


def test_in_place_activation_after_a_use_keeps_the_old_value_for_that_backward(backend):
    """PyTorch's mul saved the old value and refuses its backward after the change; xpnet's
    recorded change was computed out of place, so mul still has the old value and its
    gradient is that of the old value (docs/porting.md)."""
    leaf = xpnet.Tensor(backend.asarray(random_input((3,))), requires_grad=True)
    hidden = leaf * 2.0
    product = hidden * hidden
    F.elu_(hidden)
    product.sum().backward(retain_graph=True)
    assert_close(backend.to_host(leaf.grad.array), 8.0 * random_input((3,)), np.float64)
    square = hidden * hidden
    with xpnet.no_grad():  # an unrecorded change writes the array itself: refused
        F.elu_(hidden)
    with pytest.raises(RuntimeError, match="changed by an in-place operation"):
        square.sum().backward()
    theirs = torch.ones(3, requires_grad=True) * 2.0
    theirs_product = theirs * theirs
    TF.elu_(theirs)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        theirs_product.sum().backward()


def test_rrelu_in_place_training_backpropagates_its_slopes(backend):
    seed_dropout(3)
    values = random_input((5, 4))
    leaf = xpnet.Tensor(backend.asarray(values), requires_grad=True)
    hidden = leaf * 1.0
    F.rrelu_(hidden, 0.1, 0.4, True).sum().backward()
    slopes = np.where(values > 0, 1.0, xpnet.to_numpy(hidden.array) / values)
    np.testing.assert_allclose(xpnet.to_numpy(leaf.grad), slopes, rtol=1e-14)
    drawn = slopes[values <= 0]
    assert drawn.size and ((drawn >= 0.1) & (drawn <= 0.4)).all()
