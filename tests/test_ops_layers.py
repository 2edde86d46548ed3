"""``xpnet.ops``' layers (``misc.py``, ``stochastic_depth.py``) against torchvision 0.28's
``torchvision.ops`` (the test oracle): the same module tree (``repr``), ``state_dict`` keys and
shapes, and, with torchvision's parameters loaded, the same outputs in float64.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from _torchvision import import_torchvision

import xpnet
from xpnet import ops

torchvision = import_torchvision()


def _pair(name, *args, **kwargs):
    """xpnet's and torchvision's ``name(*args, **kwargs)``; a value given as ``"nn.X"`` is each
    library's ``nn.X``."""

    def resolve(library):
        def one(value):
            if isinstance(value, str) and value.startswith("nn."):
                return getattr(library.nn, value[3:])
            return value

        return [one(a) for a in args], {k: one(v) for k, v in kwargs.items()}

    ours_args, ours_kwargs = resolve(xpnet)
    theirs_args, theirs_kwargs = resolve(torch)
    torch.manual_seed(0)
    theirs = getattr(torchvision.ops, name)(*theirs_args, **theirs_kwargs).double()
    ours = getattr(ops, name)(*ours_args, **ours_kwargs).double()
    return ours, theirs


def _randomise(torch_module, seed=1):
    """Random values for every entry of the state (norms' constants included)."""
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for value in torch_module.state_dict().values():
            if value.is_floating_point():
                value.copy_(torch.rand(value.shape, generator=generator, dtype=value.dtype) + 0.5)
    return torch_module


def _load(ours, theirs):
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})


def _compare(ours, theirs, shape, train=False):
    x = np.random.default_rng(2).standard_normal(shape)
    ours.train(train), theirs.train(train)
    with torch.no_grad():
        expected = theirs(torch.from_numpy(x)).numpy()
    actual = xpnet.to_numpy(ours(xpnet.Tensor(xpnet.asarray(x))).array)
    np.testing.assert_allclose(actual, expected, rtol=1e-12, atol=1e-12)


# (id, layer, positional arguments, keyword arguments, input shape)
CASES = [
    ("conv2d-defaults", "Conv2dNormActivation", (3, 4), {}, (2, 3, 6, 6)),
    (
        "conv2d-options",
        "Conv2dNormActivation",
        (4, 6, (3, 5)),
        {"stride": 2, "groups": 2, "dilation": (1, 2), "activation_layer": "nn.Hardswish"},
        (2, 4, 9, 9),
    ),
    (
        "conv2d-no-norm",
        "Conv2dNormActivation",
        (3, 4, 1),
        {"norm_layer": None, "activation_layer": "nn.SiLU", "inplace": None},
        (2, 3, 5, 5),
    ),
    ("conv2d-bias", "Conv2dNormActivation", (3, 4), {"bias": True, "padding": 0}, (1, 3, 5, 5)),
    ("conv3d", "Conv3dNormActivation", (2, 3), {"stride": (1, 2, 2)}, (2, 2, 3, 5, 5)),
    ("se", "SqueezeExcitation", (6, 2), {}, (2, 6, 4, 3)),
    (
        "se-hard",
        "SqueezeExcitation",
        (6, 4),
        {"activation": "nn.SiLU", "scale_activation": "nn.Hardsigmoid"},
        (2, 6, 3, 3),
    ),
    ("mlp", "MLP", (5, [7, 3]), {}, (4, 5)),
    (
        "mlp-norm",
        "MLP",
        (5, [6, 8, 2]),
        {"norm_layer": "nn.LayerNorm", "activation_layer": "nn.GELU", "bias": False},
        (2, 3, 5),
    ),
    ("mlp-inplace", "MLP", (5, [6, 4]), {"inplace": True, "dropout": 0.5}, (3, 5)),
    ("frozen-bn", "FrozenBatchNorm2d", (3,), {"eps": 1e-3}, (2, 3, 4, 4)),
    ("permute", "Permute", ([0, 2, 3, 1],), {}, (2, 3, 4, 5)),
]


@pytest.mark.parametrize(
    ("name", "args", "kwargs", "shape"), [pytest.param(*c[1:], id=c[0]) for c in CASES]
)
def test_layers_are_torchvisions(backend, name, args, kwargs, shape):
    ours, theirs = _pair(name, *args, **kwargs)
    assert repr(ours) == repr(theirs)
    state = theirs.state_dict()
    assert list(ours.state_dict()) == list(state)
    for key, value in state.items():
        assert tuple(ours.state_dict()[key].shape) == tuple(value.shape), key
    _load(ours, _randomise(theirs))
    _compare(ours, theirs, shape)
    if not kwargs.get("dropout"):  # train mode: batch statistics (dropout is random)
        _compare(ours, theirs, shape, train=True)


def test_conv_norm_activation_attributes_are_torchvisions():
    ours, theirs = _pair("Conv2dNormActivation", 3, 8, 5, dilation=2)
    assert ours.out_channels == theirs.out_channels == 8
    assert ours[0].padding == theirs[0].padding == (4, 4)


def test_frozen_batch_norm_loads_a_batch_norms_state_dict(backend):
    batch_norm = _randomise(torch.nn.BatchNorm2d(3).double())
    assert "num_batches_tracked" in batch_norm.state_dict()
    frozen = torchvision.ops.FrozenBatchNorm2d(3).double()
    frozen.load_state_dict(batch_norm.state_dict())
    ours = ops.FrozenBatchNorm2d(3).double()
    _load(ours, batch_norm)
    assert list(ours.state_dict()) == list(frozen.state_dict())
    assert list(ours.parameters()) == []  # nothing to train
    _compare(ours, frozen, (2, 3, 2, 2), train=True)


@pytest.mark.parametrize(
    ("p", "mode"), [(-0.1, "row"), (1.5, "batch"), (0.5, "rows"), (0.5, "Batch")]
)
def test_stochastic_depth_errors_are_torchvisions(p, mode):
    x = torch.ones(2, 3)
    with pytest.raises(Exception) as expected:
        torchvision.ops.stochastic_depth(x, p, mode)
    with pytest.raises(expected.type) as raised:
        ops.stochastic_depth(xpnet.ones(2, 3), p, mode)
    assert str(raised.value) == str(expected.value)


@pytest.mark.parametrize(("p", "training"), [(0.0, True), (0.7, False)])
def test_stochastic_depth_is_the_identity_outside_training_or_at_p_0(backend, p, training):
    x = xpnet.ones(4, 3)
    expected = torch.ones(4, 3)
    assert torchvision.ops.stochastic_depth(expected, p, "row", training) is expected
    assert ops.stochastic_depth(x, p, "row", training) is x


def test_stochastic_depth_at_p_1_zeroes_everything(backend):
    x = xpnet.ones(4, 3).double()
    expected = torchvision.ops.stochastic_depth(torch.ones(4, 3).double(), 1.0, "batch")
    np.testing.assert_array_equal(xpnet.to_numpy(ops.stochastic_depth(x, 1.0, "batch").array), 0)
    assert expected.abs().sum().item() == 0


@pytest.mark.parametrize("mode", ["row", "batch"])
def test_stochastic_depth_draws_as_torchvision(backend, mode):
    """Each row (each batch) zeroed or scaled by 1 / (1 - p), zeroed at torchvision's rate."""
    p, rows, draws = 0.25, 64, 40
    x = xpnet.ones(rows, 2, 3).double()
    kept_ours, kept_theirs = [], []
    for _ in range(draws):
        out = xpnet.to_numpy(ops.stochastic_depth(x, p, mode).array)
        theirs = torchvision.ops.stochastic_depth(torch.ones(rows, 2, 3).double(), p, mode)
        for values, kept in ((out, kept_ours), (theirs.numpy(), kept_theirs)):
            per_row = values.reshape(rows, -1)
            assert set(np.unique(per_row)) <= {0.0, 1 / (1 - p)}
            assert (per_row == per_row[:, :1]).all()  # one draw per row
            if mode == "batch":
                assert (per_row == per_row[0, 0]).all()  # one draw for all
            kept.append(float((per_row[:, 0] > 0).mean()))
    n = draws * (rows if mode == "row" else 1)
    tolerance = 5 * np.sqrt(p * (1 - p) / n)
    assert abs(np.mean(kept_ours) - np.mean(kept_theirs)) < 2 * tolerance
    assert abs(np.mean(kept_ours) - (1 - p)) < tolerance


def test_stochastic_depth_module_is_torchvisions(backend):
    ours, theirs = ops.StochasticDepth(0.2, "row"), torchvision.ops.StochasticDepth(0.2, "row")
    assert repr(ours) == repr(theirs)
    x = xpnet.ones(3, 2)
    assert ours.eval()(x) is x
    assert list(ours.state_dict()) == list(theirs.state_dict()) == []
