"""xpnet.nn.init: PyTorch's gains, fans and distributions; reproducible host draws."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import xpnet
from xpnet import nn
from xpnet.nn import init

SHAPES = [(64, 32), (32, 16, 3, 3), (16, 4, 5, 1)]


@pytest.mark.parametrize("shape", SHAPES + [(8, 3, 2, 2, 2)])
def test_fans_match_torch(shape):
    expected = torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(shape))
    assert init._calculate_fan_in_and_fan_out(np.empty(shape)) == expected


@pytest.mark.parametrize(
    "nonlinearity, param",
    [
        ("linear", None),
        ("conv2d", None),
        ("sigmoid", None),
        ("tanh", None),
        ("relu", None),
        ("leaky_relu", None),
        ("leaky_relu", 0.2),
        ("leaky_relu", math.sqrt(5)),
        ("leaky_relu", 0),
        ("selu", None),
    ],
)
def test_calculate_gain_matches_torch(nonlinearity, param):
    expected = torch.nn.init.calculate_gain(nonlinearity, param)
    assert init.calculate_gain(nonlinearity, param) == pytest.approx(expected, rel=1e-15)


def _draw(initializer, shape, **kwargs):
    """Our values and torch's for the same initializer, as float64 NumPy arrays."""
    xpnet.manual_seed(0)  # both seeded: the statistical comparisons below cannot flake
    torch.manual_seed(0)
    ours = xpnet.Tensor(np.zeros(shape, dtype=np.float32))
    getattr(init, initializer)(ours, **kwargs)
    theirs = torch.empty(shape)
    getattr(torch.nn.init, initializer)(theirs, **kwargs)
    return ours.numpy().astype(np.float64), theirs.numpy().astype(np.float64)


@pytest.mark.parametrize(
    "initializer, kwargs, uniform",
    [
        ("uniform_", {"a": -0.5, "b": 2.0}, True),
        ("normal_", {"mean": 0.3, "std": 2.0}, False),
        ("xavier_uniform_", {"gain": 2.0}, True),
        ("xavier_normal_", {}, False),
        ("kaiming_uniform_", {"a": math.sqrt(5)}, True),
        ("kaiming_uniform_", {"mode": "fan_out", "nonlinearity": "relu"}, True),
        ("kaiming_normal_", {}, False),
        ("kaiming_normal_", {"a": 0.1, "mode": "fan_out"}, False),
    ],
)
@pytest.mark.parametrize("shape", [(256, 128), (128, 64, 3, 3)])
def test_distributions_match_torch(initializer, kwargs, uniform, shape):
    ours, theirs = _draw(initializer, shape, **kwargs)
    # 32k+ samples: mean and std agree to ~1% of the std; uniform bounds to ~0.1%
    std = theirs.std()
    assert abs(ours.mean() - theirs.mean()) < 0.03 * std
    assert ours.std() == pytest.approx(std, rel=0.02)
    if uniform:
        assert ours.min() == pytest.approx(theirs.min(), abs=0.01 * std)
        assert ours.max() == pytest.approx(theirs.max(), abs=0.01 * std)


def test_kaiming_uniform_bound_is_exact():
    # a = sqrt(5): gain sqrt(1/3), bound = sqrt(3) * gain / sqrt(fan_in) = 1 / sqrt(fan_in)
    ours, _ = _draw("kaiming_uniform_", (64, 16, 3, 3), a=math.sqrt(5))
    bound = 1 / math.sqrt(16 * 9)
    assert np.abs(ours).max() <= bound and np.abs(ours).max() > 0.99 * bound


def test_constants():
    ones = init.ones_(xpnet.Tensor(np.empty((2, 3))))
    zeros = init.zeros_(xpnet.Tensor(np.empty(4)))
    assert ones.numpy().tolist() == [[1.0] * 3] * 2 and not zeros.numpy().any()
    assert init.constant_(xpnet.Tensor(np.empty(2)), 0.5).numpy().tolist() == [0.5, 0.5]


def test_init_fills_in_place_on_the_backend(backend):
    tensor = xpnet.Tensor(backend.asarray(np.zeros((3, 4), dtype=np.float32)))
    array = tensor.data
    init.xavier_uniform_(tensor)
    assert tensor.data is array and type(array) is backend.ndarray and array.dtype == np.float32
    assert xpnet.to_numpy(array).any()


def test_manual_seed_gives_the_same_weights_on_every_backend(backend):
    xpnet.manual_seed(7)
    reference = [p.numpy() for p in nn.Conv2d(3, 4, 3, device="numpy").parameters()]
    xpnet.manual_seed(7)
    weights = [p.numpy() for p in nn.Conv2d(3, 4, 3).parameters()]
    for ours, expected in zip(weights, reference, strict=True):
        assert np.array_equal(ours, expected)
    xpnet.manual_seed(8)
    assert not np.array_equal(nn.Conv2d(3, 4, 3).weight.numpy(), reference[0])


def test_float64_weights_are_the_float64_draws():
    xpnet.manual_seed(3)
    weight64 = nn.Linear(5, 4, dtype="float64").weight.numpy()
    xpnet.manual_seed(3)
    weight32 = nn.Linear(5, 4).weight.numpy()
    assert weight64.dtype == np.float64 and np.array_equal(weight64.astype(np.float32), weight32)


def test_explicit_generator():
    first = init.normal_(xpnet.Tensor(np.empty(5)), generator=np.random.default_rng(1)).numpy()
    again = init.normal_(xpnet.Tensor(np.empty(5)), generator=np.random.default_rng(1)).numpy()
    assert np.array_equal(first, again)


def test_fan_needs_two_dimensions():
    with pytest.raises(ValueError, match=r"at least 2 dimensions, got shape \(5,\)"):
        init.xavier_uniform_(xpnet.Tensor(np.empty(5)))


def test_kaiming_rejects_bad_mode():
    with pytest.raises(ValueError, match="mode must be 'fan_in' or 'fan_out', got 'fan_avg'"):
        init.kaiming_normal_(xpnet.Tensor(np.empty((2, 2))), mode="fan_avg")


def test_calculate_gain_rejects_unknown_nonlinearity_and_bad_slope():
    with pytest.raises(ValueError, match="unsupported nonlinearity 'softsign'"):
        init.calculate_gain("softsign")
    with pytest.raises(ValueError, match="negative_slope must be a number, got True"):
        init.calculate_gain("leaky_relu", True)


@pytest.mark.parametrize("initializer", [init.kaiming_uniform_, init.kaiming_normal_])
def test_kaiming_of_a_zero_element_tensor_is_a_no_op_as_torch(initializer):
    """Found by a random comparison: a fan of 0 (Linear(0, 3)) divided by zero."""
    with pytest.warns(UserWarning, match="Initializing zero-element tensors is a no-op"):
        assert initializer(np.zeros((3, 0))).shape == (3, 0)
    with pytest.warns(UserWarning, match="zero-element"):
        layer = nn.Linear(0, 3)
    assert layer.weight.shape == (3, 0) and layer.bias.data.tolist() == [0.0] * 3
