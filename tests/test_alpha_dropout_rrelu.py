"""alpha_dropout, feature_alpha_dropout and rrelu: PyTorch's formulas given PyTorch's own
random draws, the statistics of xpnet's draws, the deterministic cases, layers and errors.

xpnet's masks and slopes come from its own generator, so they cannot equal PyTorch's bits.
The oracle tests read PyTorch's mask (or slopes) back from its gradient, seed PyTorch to draw
them again, and make xpnet's generator return draws that give the same mask: then every
output and gradient must be PyTorch's.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from _oracle import assert_close, check_against_torch, check_kernel_against_torch, random_input
from _strategies import PROFILE
from hypothesis import given
from hypothesis import strategies as st

import xpnet
import xpnet.kernels as K
import xpnet.nn.functional as F
from xpnet import _random
from xpnet._random import seed_dropout

ALPHA = 1.7580993408473766  # SELU's scale * alpha


class _Draws:
    """A stand-in for a backend's dropout generator: ``random(shape)`` returns ``values``."""

    def __init__(self, backend, values):
        self.backend, self.values = backend, np.asarray(values, dtype=np.float64)

    def random(self, shape):
        assert tuple(shape) == self.values.shape, (shape, self.values.shape)
        return self.backend.asarray(self.values)


def _seeded(function, seed):
    def call(*args, **kwargs):
        torch.manual_seed(seed)
        return function(*args, **kwargs)

    return call


def _torch_keep_mask(name, shape, p, seed):
    """PyTorch's keep-mask for ``name`` (alpha_dropout or feature_alpha_dropout) after
    ``torch.manual_seed(seed)``, read from the gradient (a where kept, 0 where dropped)."""
    x = torch.ones(shape, dtype=torch.float64, requires_grad=True)
    _seeded(getattr(TF, name), seed)(x, p, True).sum().backward()
    kept = (x.grad != 0).numpy()
    if name == "feature_alpha_dropout":  # one decision per (sample, channel)
        kept = kept.reshape(*shape[:2], -1)[..., :1].reshape(shape[:2] + (1,) * (len(shape) - 2))
    return kept


def _use_mask(monkeypatch, backend, kept):
    """Make the dropout generator draw 1 - 2**-53 where ``kept``, 0 elsewhere (0 < p < 1)."""
    draws = np.where(kept, 1.0 - 2.0**-53, 0.0)
    monkeypatch.setattr(_random, "dropout_generator", lambda _backend: _Draws(backend, draws))


ALPHA_CASES = [
    ("alpha_dropout", (40, 7), 0.3),
    ("alpha_dropout", (3, 2, 5, 4), 0.7),
    ("alpha_dropout", (31,), 0.15),
    ("feature_alpha_dropout", (6, 5, 4), 0.5),
    ("feature_alpha_dropout", (4, 8), 0.2),
    ("feature_alpha_dropout", (2, 9, 3, 2, 2), 0.6),
]


# float16 only bit for bit (below): PyTorch's float16 steps round a and b first, so a result
# near 0 (x a + b cancelling) is further than 2 ulps from the exact value, in PyTorch too
@pytest.mark.parametrize("name, shape, p", ALPHA_CASES)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_alpha_dropout_matches_torch_given_its_mask(backend, monkeypatch, name, shape, p, dtype):
    kept = _torch_keep_mask(name, shape, p, seed=7)
    assert kept.any() and not kept.all()
    _use_mask(monkeypatch, backend, kept)
    forward, backward = getattr(K, name), getattr(K, f"{name}_backward")
    masks = {}

    def ours(x):
        output, masks["mask"] = forward(x, p, True, return_mask=True)
        return output

    x = 3 * random_input(shape, seed=2)
    check_against_torch(
        ours,
        lambda g, x: backward(g, x, p, True, mask=masks["mask"]),
        lambda x: _seeded(getattr(TF, name), 7)(x, p, True),
        [x],
        backend,
        dtype=dtype,
    )
    np.testing.assert_array_equal(backend.to_host(masks["mask"]), kept)


@pytest.mark.parametrize("dtype", [np.float32, np.float16])
def test_alpha_dropout_is_torch_bit_for_bit_in_low_precision(backend, monkeypatch, dtype):
    """PyTorch rounds its noise, shift and each step to the input's dtype; xpnet too."""
    shape, p = (64, 33), 0.37
    kept = _torch_keep_mask("alpha_dropout", shape, p, seed=3)
    _use_mask(monkeypatch, backend, kept)
    x = (5 * random_input(shape, seed=4)).astype(dtype)
    expected = _seeded(TF.alpha_dropout, 3)(torch.tensor(x), p, True).numpy()
    output, mask = K.alpha_dropout(backend.asarray(x), p, True, return_mask=True)
    np.testing.assert_array_equal(backend.to_host(output), expected)
    g = random_input(shape, seed=5).astype(dtype)
    grad = K.alpha_dropout_backward(backend.asarray(g), backend.asarray(x), p, True, mask=mask)
    theirs = torch.tensor(x, requires_grad=True)
    _seeded(TF.alpha_dropout, 3)(theirs, p, True).backward(torch.tensor(g))
    np.testing.assert_array_equal(backend.to_host(grad), theirs.grad.numpy())


@pytest.mark.parametrize("name", ["alpha_dropout", "feature_alpha_dropout"])
@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_alpha_dropout_keeps_zero_mean_and_unit_variance(backend, name, p):
    """Standard normal input: mean 0, variance 1 and a fraction p at the dropped value,
    within 5 standard errors of the draws (the values are exact: the affine map's)."""
    seed_dropout(0)
    shape = (200_000,) if name == "alpha_dropout" else (20_000, 10)
    x = np.random.default_rng(1).standard_normal(shape)
    output, mask = getattr(K, name)(backend.asarray(x), p, True, return_mask=True)
    output, kept = backend.to_host(output), np.broadcast_to(backend.to_host(mask), shape)
    decisions = backend.to_host(mask).size
    assert abs((~kept).mean() - p) < 5 * np.sqrt(p * (1 - p) / decisions)
    a = 1 / np.sqrt((ALPHA**2 * p + 1) * (1 - p))
    np.testing.assert_allclose(output[~kept], -ALPHA * a + ALPHA * a * p, rtol=1e-15)
    np.testing.assert_allclose(output[kept], a * x[kept] + ALPHA * a * p, rtol=1e-14)
    # the per-channel draws of feature dropout correlate the elements: judge by decisions
    assert abs(output.mean()) < 5 * np.sqrt(output.var() / decisions) + 1e-3
    assert abs(output.var() - 1) < 0.03


@pytest.mark.parametrize("name", ["alpha_dropout", "feature_alpha_dropout"])
@pytest.mark.parametrize("p, training", [(0.0, True), (0.5, False), (1.0, False)])
def test_alpha_dropout_identity_without_training_or_p(backend, name, p, training):
    x = backend.asarray(random_input((3, 4)))
    output, mask = getattr(K, name)(x, p, training, return_mask=True)
    assert output is x and mask is None  # PyTorch returns its input itself
    g = backend.asarray(random_input((3, 4), seed=1))
    assert getattr(K, f"{name}_backward")(g, x, p, training) is g


@pytest.mark.parametrize("name", ["alpha_dropout", "feature_alpha_dropout"])
def test_alpha_dropout_of_p_one_is_input_times_zero_as_torch(backend, name):
    values = np.array([[np.nan, np.inf, -2.0], [0.0, -np.inf, 5.0]])
    expected = getattr(TF, name)(torch.tensor(values), 1.0, True).numpy()
    output, mask = getattr(K, name)(backend.asarray(values), 1.0, True, return_mask=True)
    np.testing.assert_array_equal(backend.to_host(output), expected)  # NaN where not finite
    assert mask is None
    g = backend.asarray(np.ones((2, 3)))
    grad = getattr(K, f"{name}_backward")(g, backend.asarray(values), 1.0, True)
    np.testing.assert_array_equal(backend.to_host(grad), np.zeros((2, 3)))  # torch's too
    # PyTorch checks the rank only when it draws: a 1-D input is fine at p = 1
    np.testing.assert_array_equal(backend.to_host(K.feature_alpha_dropout(g[0], 1.0, True)), 0)


@pytest.mark.parametrize("name", ["alpha_dropout", "feature_alpha_dropout"])
@pytest.mark.parametrize("shape", [(0, 3), (2, 0, 4), (0,)])
def test_alpha_dropout_of_empty_input_is_the_input(backend, name, shape):
    x = backend.asarray(np.zeros(shape))
    assert getattr(K, name)(x, 0.5, True) is x
    assert getattr(TF, name)(torch.zeros(shape), 0.5, True).shape == shape


def test_alpha_dropout_of_0d_input(backend):
    seed_dropout(3)
    values = {float(backend.to_host(K.alpha_dropout(backend.asarray(2.0), 0.5, True)))}
    values |= {float(backend.to_host(K.alpha_dropout(backend.asarray(2.0), 0.5, True)))}
    a = 1 / np.sqrt((ALPHA**2 * 0.5 + 1) * 0.5)
    assert values <= {2 * a + ALPHA * a * 0.5, -ALPHA * a * 0.5}


def test_feature_alpha_dropout_drops_whole_channels(backend):
    seed_dropout(4)
    x = backend.asarray(random_input((8, 6, 5, 3)))
    output, mask = K.feature_alpha_dropout(x, 0.5, True, return_mask=True)
    assert mask.shape == (8, 6, 1, 1) and mask.dtype == bool
    dropped = backend.to_host(output)[~backend.to_host(mask)[..., 0, 0]]
    assert dropped.size and (dropped == dropped.ravel()[0]).all()


@pytest.mark.parametrize("name", ["alpha_dropout", "feature_alpha_dropout"])
def test_alpha_dropout_inplace_writes_the_input(backend, name):
    seed_dropout(5)
    x = backend.asarray(np.zeros((4, 5)))
    seed_dropout(5)
    expected = backend.to_host(getattr(K, name)(backend.asarray(np.zeros((4, 5))), 0.5, True))
    seed_dropout(5)
    assert getattr(K, name)(x, 0.5, True, inplace=True) is x
    np.testing.assert_array_equal(backend.to_host(x), expected)


@pytest.mark.parametrize("name", ["alpha_dropout", "feature_alpha_dropout"])
def test_functional_alpha_dropout_backpropagates_the_forward_mask(backend, monkeypatch, name):
    shape, p = (5, 4, 3), 0.4
    kept = _torch_keep_mask(name, shape, p, seed=11)
    _use_mask(monkeypatch, backend, kept)
    values, g = random_input(shape), random_input(shape, seed=1)
    x = xpnet.Tensor(backend.asarray(values), requires_grad=True)
    output = getattr(F, name)(x, p, training=True, inplace=True)
    output.backward(backend.asarray(g))
    theirs = torch.tensor(values, requires_grad=True)
    expected = _seeded(getattr(TF, name), 11)(theirs, p, True)
    expected.backward(torch.tensor(g))
    assert_close(xpnet.to_numpy(output.array), expected.detach().numpy(), np.float64)
    assert_close(xpnet.to_numpy(x.grad), theirs.grad.numpy(), np.float64, "grad_input")
    np.testing.assert_array_equal(xpnet.to_numpy(x.array), values)  # inplace: a new array


@pytest.mark.parametrize("layer", ["AlphaDropout", "FeatureAlphaDropout"])
def test_alpha_dropout_layers_match_torch(backend, monkeypatch, layer):
    ours, theirs = getattr(xpnet.nn, layer)(0.25), getattr(torch.nn, layer)(0.25)
    assert repr(ours) == repr(theirs)
    assert repr(getattr(xpnet.nn, layer)(inplace=True)) == repr(
        getattr(torch.nn, layer)(inplace=True)
    )
    assert ours.state_dict().keys() == theirs.state_dict().keys()
    name = "alpha_dropout" if layer == "AlphaDropout" else "feature_alpha_dropout"
    _use_mask(monkeypatch, backend, _torch_keep_mask(name, (6, 3, 2), 0.25, seed=2))
    x = random_input((6, 3, 2))
    expected = _seeded(theirs, 2)(torch.tensor(x)).numpy()
    assert_close(xpnet.to_numpy(ours(backend.asarray(x)).array), expected, np.float64)
    ours.eval(), theirs.eval()
    np.testing.assert_array_equal(xpnet.to_numpy(ours(backend.asarray(x)).array), x)
    with pytest.raises(ValueError, match=r"p must be in \[0, 1\], got 1.5"):
        getattr(xpnet.nn, layer)(1.5)


@pytest.mark.parametrize("name", ["alpha_dropout", "feature_alpha_dropout"])
def test_alpha_dropout_rejects_bad_arguments(backend, name):
    forward, backward = getattr(K, name), getattr(K, f"{name}_backward")
    x = backend.asarray(np.ones((3, 4)))
    for p in (-0.1, 1.5):
        with pytest.raises(ValueError, match=rf"{name}: p must be in \[0, 1\], got {p}"):
            forward(x, p, True)
        with pytest.raises(ValueError, match=rf"{name}_backward: p must be in \[0, 1\]"):
            backward(x, x, p, True)
    with pytest.raises(ValueError, match=rf"{name}_backward: mask .* is required when training"):
        backward(x, x, 0.5, True)
    _, mask = forward(x, 0.5, True, return_mask=True)
    with pytest.raises(TypeError, match=rf"{name}_backward: mask must have dtype bool"):
        backward(x, x, 0.5, True, mask=mask.astype(np.float64))
    with pytest.raises(ValueError, match=rf"{name}_backward: mask must have the shape"):
        backward(x, x, 0.5, True, mask=backend.asarray(np.ones((5,), bool)))
    with pytest.raises(ValueError, match=rf"{name}_backward: grad_output must have the shape"):
        backward(backend.asarray(np.ones(3)), x, 0.5, True, mask=mask)
    with pytest.raises(TypeError, match=rf"{name}: input must be a floating-point array"):
        forward(backend.asarray(np.ones(3, dtype=np.int64)), 0.5, True)
    with pytest.raises(TypeError, match=rf"{name}: input must be an array, got None"):
        forward(None)


def test_feature_alpha_dropout_needs_two_dimensions_when_it_draws(backend):
    x = backend.asarray(np.ones(4))
    with pytest.raises(RuntimeError, match="Feature dropout requires at least 2 dimensions"):
        TF.feature_alpha_dropout(torch.ones(4), 0.5, True)
    with pytest.raises(ValueError, match="feature_alpha_dropout: feature dropout requires at "):
        K.feature_alpha_dropout(x, 0.5, True)
    with pytest.raises(RuntimeError, match=r"feature_alpha_dropout_backward: .* got shape \(4,\)"):
        K.feature_alpha_dropout_backward(x, x, 0.5, True, mask=x > 0)
    assert K.feature_alpha_dropout(x, 0.5, False) is x  # no draw, no check: as PyTorch


@given(
    name=st.sampled_from(["alpha_dropout", "feature_alpha_dropout"]),
    shape=st.lists(st.integers(0, 4), min_size=2, max_size=4).map(tuple),
    p=st.floats(0.0, 1.0),
    training=st.booleans(),
    seed=st.integers(0, 2**16),
)
@PROFILE
def test_alpha_dropout_property_formula_of_its_own_mask(backend, name, shape, p, training, seed):
    """Any valid call: the output is the affine map of the returned mask (or the identity,
    or zeros at p = 1), and the backward scales by the same ``a``."""
    seed_dropout(seed)
    x = random_input(shape, seed=seed)
    output, mask = getattr(K, name)(backend.asarray(x), p, training, return_mask=True)
    output = backend.to_host(output)
    if not training or p == 0 or x.size == 0:
        np.testing.assert_array_equal(output, x)
        return
    if p == 1:
        np.testing.assert_array_equal(output, 0 * x)
        return
    kept = np.broadcast_to(backend.to_host(mask), shape)
    a = 1 / np.sqrt((ALPHA**2 * p + 1) * (1 - p))
    expected = np.where(kept, a * x + ALPHA * a * p, ALPHA * a * (p - 1))
    np.testing.assert_allclose(output, expected, rtol=1e-13, atol=1e-15)
    grad = getattr(K, f"{name}_backward")(
        backend.asarray(np.ones(shape)), backend.asarray(x), p, training, mask=mask
    )
    np.testing.assert_allclose(backend.to_host(grad), np.where(kept, a, 0.0), rtol=1e-15)


@given(p=st.one_of(st.floats(max_value=-1e-9), st.floats(min_value=1 + 1e-9)))
@PROFILE
def test_alpha_dropout_property_refuses_p_outside_the_unit_interval(backend, p):
    with pytest.raises(ValueError, match=r"alpha_dropout: p must be in \[0, 1\]"):
        K.alpha_dropout(backend.asarray(np.ones(2)), p, True)


# ----------------------------------------------------------------------------------- rrelu

SIGNED = np.array([-3.0, -1.5, -0.0, 0.0, 0.25, 2.0, np.nan, -np.inf, np.inf, -1e-3])


@pytest.mark.parametrize("lower, upper", [(1 / 8, 1 / 3), (0.1, 0.3), (0.2, 0.2), (-0.5, 1.5)])
@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.float16])
def test_rrelu_evaluation_matches_torch(backend, lower, upper, dtype):
    kwargs = {"lower": lower, "upper": upper, "training": False}
    check_kernel_against_torch(backend, "rrelu", random_input((6, 5), seed=3), kwargs, dtype)
    # kinks, NaN, inf (float16's ulp comparison takes finite values only)
    signed = SIGNED[np.isfinite(SIGNED)] if dtype == np.float16 else SIGNED
    check_kernel_against_torch(backend, "rrelu", signed, kwargs, dtype)


@pytest.mark.parametrize("lower, upper", [(1 / 8, 1 / 3), (0.05, 0.9), (0.2, 0.2)])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("values", ["random", "signed"])
def test_rrelu_training_matches_torch_given_its_slopes(
    backend, monkeypatch, lower, upper, dtype, values
):
    x = SIGNED if values == "signed" else 2 * random_input((7, 9), seed=6)
    rounded = torch.tensor(x.astype(dtype).astype(np.float64), requires_grad=True)
    _seeded(TF.rrelu, 5)(rounded, lower, upper, True).sum().backward()
    slopes = rounded.grad.numpy()  # PyTorch's noise: the slope of every element, 1 above 0
    span = upper - lower
    draws = np.where(slopes == 1, 0.5, (slopes - lower) / (span if span else 1.0))
    monkeypatch.setattr(_random, "dropout_generator", lambda _backend: _Draws(backend, draws))
    masks = {}

    def ours(x):
        output, masks["mask"] = K.rrelu(x, lower, upper, True, return_mask=True)
        return output

    check_against_torch(
        ours,
        lambda g, x: K.rrelu_backward(g, x, lower, upper, True, mask=masks["mask"]),
        lambda x: _seeded(TF.rrelu, 5)(x, lower, upper, True),
        [x],
        backend,
        dtype=dtype,
    )
    assert masks["mask"].dtype == dtype


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.float16])
def test_rrelu_training_slopes_are_uniform_between_the_bounds(backend, dtype):
    seed_dropout(0)
    n, lower, upper = 100_000, 0.1, 0.4
    x = backend.asarray(np.concatenate([-np.ones(n), np.ones(10), [np.nan]]).astype(dtype))
    output, mask = K.rrelu(x, lower, upper, True, return_mask=True)
    output, slopes = backend.to_host(output), backend.to_host(mask)
    assert output.dtype == slopes.dtype == dtype
    np.testing.assert_array_equal(slopes[n:], 1.0)  # positive and NaN inputs keep slope 1
    assert np.isnan(output[-1])
    drawn = slopes[:n].astype(np.float64)
    ulp = np.finfo(dtype).eps
    assert drawn.min() >= lower * (1 - ulp) and drawn.max() <= upper * (1 + ulp)
    assert abs(drawn.mean() - (lower + upper) / 2) < 5 * (upper - lower) / np.sqrt(12 * n)
    np.testing.assert_allclose(-output[:n].astype(np.float64), drawn, rtol=2 * ulp)
    g = backend.asarray(np.full(x.shape, 2.0, dtype=dtype))
    grad = backend.to_host(K.rrelu_backward(g, x, lower, upper, True, mask=mask))
    np.testing.assert_array_equal(grad, 2 * slopes)


def test_rrelu_training_draws_a_new_slope_each_call_and_repeats_with_the_seed(backend):
    x = backend.asarray(-np.ones(32))
    seed_dropout(9)
    first, second = (backend.to_host(K.rrelu(x, training=True)) for _ in range(2))
    seed_dropout(9)
    np.testing.assert_array_equal(backend.to_host(K.rrelu(x, training=True)), first)
    assert not (first == second).all()


def test_rrelu_inplace_and_0d_and_empty(backend):
    x = backend.asarray(np.array([-2.0, 3.0]))
    assert K.rrelu(x, 0.1, 0.3, inplace=True) is x
    np.testing.assert_allclose(backend.to_host(x), [-0.4, 3.0])
    assert K.rrelu(backend.asarray(np.array(-1.0)), 0.2, 0.2, True).shape == ()
    output, mask = K.rrelu(backend.asarray(np.zeros((0, 3))), training=True, return_mask=True)
    assert output.shape == mask.shape == (0, 3)


def test_functional_rrelu_backpropagates_the_drawn_slopes(backend):
    seed_dropout(1)
    values = random_input((4, 6))
    x = xpnet.Tensor(backend.asarray(values), requires_grad=True)
    output = F.rrelu(x, 0.1, 0.5, training=True)
    output.sum().backward()
    slopes = np.where(values > 0, 1.0, xpnet.to_numpy(output.array) / values)
    np.testing.assert_allclose(xpnet.to_numpy(x.grad), slopes, rtol=1e-14)
    drawn = slopes[values <= 0]
    assert drawn.size and ((drawn >= 0.1) & (drawn <= 0.5)).all()


def test_rrelu_layer_matches_torch(backend):
    assert repr(xpnet.nn.RReLU()) == repr(torch.nn.RReLU())
    assert repr(xpnet.nn.RReLU(0.1, 0.3, True)) == repr(torch.nn.RReLU(0.1, 0.3, True))
    ours, theirs = xpnet.nn.RReLU(0.1, 0.3).eval(), torch.nn.RReLU(0.1, 0.3).eval()
    assert ours.state_dict().keys() == theirs.state_dict().keys() == set()
    x = random_input((3, 4))
    expected = theirs(torch.tensor(x)).numpy()
    assert_close(xpnet.to_numpy(ours(backend.asarray(x)).array), expected, np.float64)
    seed_dropout(2)
    trained = xpnet.to_numpy(ours.train()(backend.asarray(-np.ones(50))).array)
    assert len(set(trained.tolist())) > 1 and ((trained >= -0.3) & (trained <= -0.1)).all()


def test_rrelu_rejects_bad_arguments(backend):
    x = backend.asarray(np.ones(3))
    with pytest.raises(RuntimeError, match="Lower bound should be less than or equal"):
        TF.rrelu(torch.ones(3), 0.5, 0.1)
    for training in (False, True):
        with pytest.raises(ValueError, match=r"rrelu: the lower bound should be less than or "):
            K.rrelu(x, 0.5, 0.1, training)
        with pytest.raises(ValueError, match=r"rrelu_backward: the lower bound .* lower=0.5"):
            K.rrelu_backward(x, x, 0.5, 0.1, training)
    with pytest.raises(TypeError, match=r"rrelu: lower must be a number, got str"):
        K.rrelu(x, "a", 0.3)
    with pytest.raises(TypeError, match=r"rrelu: upper must be a number, got bool"):
        K.rrelu(x, 0.1, True)
    with pytest.raises(ValueError, match=r"rrelu_backward: mask .* is required in training"):
        K.rrelu_backward(x, x, training=True)
    with pytest.raises(ValueError, match=r"rrelu_backward: mask must have the shape of input"):
        K.rrelu_backward(x, x, training=True, mask=backend.asarray(np.ones(4)))
    with pytest.raises(TypeError, match=r"rrelu_backward: mask must have the dtype of input"):
        K.rrelu_backward(x, x, training=True, mask=backend.asarray(np.ones(3, np.float32)))
    with pytest.raises(ValueError, match=r"rrelu_backward: grad_output must have the shape"):
        K.rrelu_backward(backend.asarray(np.ones(2)), x)
    with pytest.raises(TypeError, match=r"rrelu: input must be a floating-point array"):
        K.rrelu(backend.asarray(np.ones(3, dtype=np.int64)))


@given(
    lower=st.floats(-2, 2),
    width=st.floats(0, 2),
    training=st.booleans(),
    shape=st.lists(st.integers(0, 5), max_size=3).map(tuple),
    seed=st.integers(0, 2**16),
)
@PROFILE
def test_rrelu_property_slopes_between_the_bounds(backend, lower, width, training, shape, seed):
    upper = lower + width
    seed_dropout(seed)
    x = random_input(shape, seed=seed)
    output, mask = K.rrelu(backend.asarray(x), lower, upper, training, return_mask=True)
    output = backend.to_host(output)
    np.testing.assert_array_equal(output[x > 0], x[x > 0])
    slopes = (lower + upper) / 2 if not training else backend.to_host(mask)
    np.testing.assert_allclose(output, np.where(x > 0, x, x * slopes), rtol=1e-15)
    if training:
        drawn = backend.to_host(mask)[x <= 0]
        assert ((drawn >= lower - 1e-12) & (drawn <= upper + 1e-12)).all()


@given(lower=st.floats(-5, 5), gap=st.floats(1e-6, 5))
@PROFILE
def test_rrelu_property_refuses_lower_above_upper(backend, lower, gap):
    with pytest.raises(ValueError, match="rrelu: the lower bound should be"):
        K.rrelu(backend.asarray(np.ones(2)), lower, lower - gap)
