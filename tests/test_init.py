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
        ("trunc_normal_", {}, True),  # "uniform": both reach close to their bounds a and b
        ("trunc_normal_", {"mean": 0.5, "std": 2.0, "a": -1.0, "b": 3.0}, True),
        ("orthogonal_", {"gain": 2.0}, False),
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
    array = tensor.array
    init.xavier_uniform_(tensor)
    assert tensor.array is array and type(array) is backend.ndarray and array.dtype == np.float32
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
    assert layer.weight.shape == (3, 0) and layer.bias.array.tolist() == [0.0] * 3


def _truncated_moments(mean, std, a, b):
    """Mean and standard deviation of N(mean, std^2) truncated to [a, b] (closed forms)."""
    pdf = lambda z: math.exp(-z * z / 2) / math.sqrt(2 * math.pi)  # noqa: E731
    cdf = lambda z: 0.5 * math.erfc(-z / math.sqrt(2))  # noqa: E731
    alpha, beta = (a - mean) / std, (b - mean) / std
    mass = cdf(beta) - cdf(alpha)
    shift = (pdf(alpha) - pdf(beta)) / mass
    variance = 1 + (alpha * pdf(alpha) - beta * pdf(beta)) / mass - shift**2
    return mean + std * shift, std * math.sqrt(variance)


@pytest.mark.parametrize(
    "mean, std, a, b",
    [(0.0, 1.0, -2.0, 2.0), (0.0, 0.02, -0.04, 0.04), (0.5, 2.0, -1.0, 3.0), (1.0, 1.0, 0.0, 3.0)],
)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_trunc_normal_has_the_truncated_moments_and_bounds(mean, std, a, b, dtype):
    xpnet.manual_seed(0)  # 65k draws: sample mean and std within ~0.5% of std; seeded, no flake
    values = init.trunc_normal_(xpnet.Tensor(np.zeros((256, 256), dtype)), mean, std, a, b)
    values = values.numpy()
    expected_mean, expected_std = _truncated_moments(mean, std, a, b)
    assert values.dtype == dtype
    assert abs(values.mean() - expected_mean) < 0.01 * expected_std
    assert values.std() == pytest.approx(expected_std, rel=0.01)
    # inside [a, b], reaching near both ends, with no mass piled at a bound (as clipping would)
    assert a <= values.min() < a + 0.01 * std and b - 0.01 * std < values.max() <= b
    assert np.count_nonzero((values == dtype(a)) | (values == dtype(b))) < 3


def test_trunc_normal_warns_as_torch_when_mean_is_far_from_the_interval():
    with pytest.warns(UserWarning, match=r"mean is more than 2 std from \[a, b\]"):
        values = init.trunc_normal_(np.zeros(1000), mean=5.0).tolist()
    assert all(-2.0 <= value <= 2.0 for value in values)


@pytest.mark.parametrize("shape", [(5, 3), (3, 5), (4, 4), (6, 2, 3, 3), (2, 9, 1)])
@pytest.mark.parametrize("dtype, tolerance", [(np.float32, 1e-5), (np.float64, 1e-12)])
@pytest.mark.parametrize("gain", [1.0, 2.5])
def test_orthogonal_rows_or_columns_are_orthonormal_times_gain(shape, dtype, tolerance, gain):
    q = init.orthogonal_(xpnet.Tensor(np.zeros(shape, dtype)), gain=gain).numpy()
    assert q.dtype == dtype and q.shape == shape
    q = q.reshape(shape[0], -1).astype(np.float64) / gain
    gram = q @ q.T if q.shape[0] <= q.shape[1] else q.T @ q  # the short side is orthonormal
    assert np.abs(gram - np.eye(len(gram))).max() < tolerance


def test_orthogonal_is_uniform_over_the_orthogonal_group():
    """Without the signs of R's diagonal, QR's Q is biased: the first entry is always <= 0."""
    generator = np.random.default_rng(0)
    corners = [init.orthogonal_(np.zeros((3, 3)), generator=generator)[0, 0] for _ in range(2000)]
    assert abs(np.mean(corners)) < 0.05  # Haar: q[0, 0] has mean 0 and std 1/sqrt(3)


@pytest.mark.parametrize("shape", [(3, 3), (2, 5), (5, 2), (0, 3)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_eye_matches_torch(shape, dtype, backend):
    tensor = xpnet.Tensor(backend.asarray(np.full(shape, 7.0, dtype)))
    expected = torch.nn.init.eye_(torch.empty(shape, dtype=getattr(torch, np.dtype(dtype).name)))
    init.eye_(tensor)
    assert tensor.array.dtype == dtype and type(tensor.array) is backend.ndarray
    assert np.array_equal(tensor.numpy(), expected.numpy())


@pytest.mark.parametrize(
    "shape, groups",
    [
        ((4, 2, 3), 1),
        ((4, 2, 3), 2),
        ((6, 3, 3, 3), 3),
        ((2, 4, 2, 2), 1),  # an even kernel: the 1 goes at size // 2
        ((4, 4, 3, 3, 3), 2),
        ((3, 5, 1, 3), 1),
    ],
)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dirac_matches_torch(shape, groups, dtype, backend):
    tensor = xpnet.Tensor(backend.asarray(np.full(shape, 7.0, dtype)))
    expected = torch.nn.init.dirac_(torch.empty(shape), groups)
    init.dirac_(tensor, groups)
    assert tensor.array.dtype == dtype and type(tensor.array) is backend.ndarray
    assert np.array_equal(tensor.numpy(), expected.numpy())


def test_dirac_convolution_is_the_identity():
    weight = init.dirac_(np.zeros((3, 3, 3, 3)))
    x = torch.randn(2, 3, 5, 5, dtype=torch.float64)
    assert torch.equal(torch.nn.functional.conv2d(x, torch.from_numpy(weight), padding=1), x)


def test_sparse_zeros_each_column_and_draws_the_rest_from_the_normal():
    xpnet.manual_seed(0)
    values = init.sparse_(xpnet.Tensor(np.zeros((200, 300))), sparsity=0.25, std=0.5).numpy()
    assert ((values == 0).sum(axis=0) == 50).all()  # ceil(0.25 * 200) in every column
    assert values[values != 0].std() == pytest.approx(0.5, rel=0.02)
    assert not np.array_equal(values[:, 0] == 0, values[:, 1] == 0)  # rows differ per column


@pytest.mark.parametrize(
    "initializer, shape, message",
    [
        ("eye_", (2, 2, 2), "Only tensors with 2 dimensions are supported"),
        ("eye_", (4,), "Only tensors with 2 dimensions are supported"),
        ("dirac_", (2, 2), "Only tensors with 3, 4, or 5 dimensions are supported"),
        ("dirac_", (2, 2, 2, 2, 2, 2), "Only tensors with 3, 4, or 5 dimensions are supported"),
        ("orthogonal_", (3,), "Only tensors with 2 or more dimensions are supported"),
        ("sparse_", (3, 2, 2), "Only tensors with 2 dimensions are supported"),
    ],
)
def test_new_initializers_reject_ranks_as_torch(initializer, shape, message):
    args = (0.5,) if initializer == "sparse_" else ()
    for module in (init, torch.nn.init):
        with pytest.raises(ValueError, match=message):
            getattr(module, initializer)(
                np.zeros(shape) if module is init else torch.zeros(shape), *args
            )


def test_dirac_rejects_groups_not_dividing_out_channels_as_torch():
    with pytest.raises(ValueError, match="dim 0 must be divisible by groups"):
        init.dirac_(np.zeros((3, 2, 3)), groups=2)
    with pytest.raises(ValueError, match="dim 0 must be divisible by groups"):
        torch.nn.init.dirac_(torch.zeros(3, 2, 3), groups=2)


@pytest.mark.parametrize(
    "initializer, kwargs",
    [("trunc_normal_", {}), ("orthogonal_", {}), ("sparse_", {"sparsity": 0.5})],
)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_new_initializers_fill_in_place_and_repeat_with_the_seed(
    initializer, kwargs, dtype, backend
):
    draws = []
    for _ in range(2):
        xpnet.manual_seed(4)
        tensor = nn.Parameter(backend.asarray(np.zeros((6, 4), dtype)))
        array = tensor.array
        getattr(init, initializer)(tensor, **kwargs)
        assert tensor.array is array and type(array) is backend.ndarray and array.dtype == dtype
        draws.append(tensor.numpy())
    assert draws[0].any() and np.array_equal(draws[0], draws[1])


def test_orthogonal_of_a_zero_element_tensor_is_a_no_op_as_torch():
    assert init.orthogonal_(np.zeros((0, 3))).shape == (0, 3)
    assert torch.nn.init.orthogonal_(torch.zeros(0, 3)).shape == (0, 3)
