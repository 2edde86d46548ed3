"""xpnet.nn.utils.fuse_conv_bn_eval / fuse_linear_bn_eval / their *_weights forms and
skip_init against torch.nn.utils: the same fused parameters from the same modules."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from _oracle import assert_close, random_input

import xpnet
import xpnet.nn as nn
from xpnet.nn.utils import (
    fuse_conv_bn_eval,
    fuse_conv_bn_weights,
    fuse_linear_bn_eval,
    fuse_linear_bn_weights,
    skip_init,
)


def pair(name: str, *args, **kwargs):
    """The xpnet and torch modules ``name(*args, **kwargs)`` in float64 and eval mode, with
    the same random parameters and running statistics (a variance kept positive)."""
    theirs = getattr(torch.nn, name)(*args, **kwargs, dtype=torch.float64)
    state = theirs.state_dict()
    for index, (key, value) in enumerate(state.items()):
        if value.is_floating_point():
            drawn = random_input(tuple(value.shape), seed=index)
            value.copy_(torch.tensor(np.abs(drawn) + 0.5 if "var" in key else drawn))
    ours = getattr(nn, name)(*args, **kwargs, dtype=xpnet.float64)
    ours.load_state_dict({key: value.numpy() for key, value in state.items()})
    return ours.eval(), theirs.eval()


def assert_same_parameters(backend, ours, theirs):
    for name in ("weight", "bias"):
        mine, want = getattr(ours, name), getattr(theirs, name)
        assert isinstance(mine, nn.Parameter)
        assert mine.requires_grad == want.requires_grad
        assert_close(backend.to_host(mine.array), want.detach().numpy(), np.float64, what=name)


CONVS = [
    ("Conv2d", (3, 4, 3), {}, "BatchNorm2d", False),
    ("Conv2d", (2, 4, 1), {"bias": False}, "BatchNorm2d", False),
    ("Conv1d", (2, 3, 2), {"groups": 1}, "BatchNorm1d", False),
    ("Conv3d", (2, 2, 1), {}, "BatchNorm3d", False),
    ("ConvTranspose2d", (4, 6, 2), {"stride": 2}, "BatchNorm2d", True),
]


@pytest.mark.parametrize("conv_name, args, kwargs, bn_name, transpose", CONVS)
@pytest.mark.parametrize("affine", [True, False])
def test_fuse_conv_bn_eval_matches_torch(
    backend, conv_name, args, kwargs, bn_name, transpose, affine
):
    conv, torch_conv = pair(conv_name, *args, **kwargs)
    channels = args[1]
    bn, torch_bn = pair(bn_name, channels, eps=1e-3, affine=affine)
    fused = fuse_conv_bn_eval(conv, bn, transpose=transpose)
    expected = torch.nn.utils.fuse_conv_bn_eval(torch_conv, torch_bn, transpose=transpose)
    assert fused is not conv and type(fused) is type(conv)
    assert_same_parameters(backend, fused, expected)
    if kwargs.get("bias", True):  # the original is left as it was
        assert_close(backend.to_host(conv.bias.array), torch_conv.bias.detach().numpy(), np.float64)
    x = random_input((2, args[0], *[5] * (len(conv.weight.shape) - 2)), seed=9)
    want = torch_bn(torch_conv(torch.tensor(x))).detach().numpy()
    with xpnet.no_grad():
        got = fused(xpnet.tensor(backend.asarray(x)))
    assert_close(backend.to_host(got.array), want, np.float64, what="fused output")


@pytest.mark.parametrize("bias, features", [(True, 4), (False, 4), (True, 1)])
def test_fuse_linear_bn_eval_matches_torch(backend, bias, features):
    linear, torch_linear = pair("Linear", 3, 4, bias=bias)
    bn, torch_bn = pair("BatchNorm1d", features)
    fused = fuse_linear_bn_eval(linear, bn)
    expected = torch.nn.utils.fuse_linear_bn_eval(torch_linear, torch_bn)
    assert_same_parameters(backend, fused, expected)


def test_fuse_weights_keep_dtypes_and_requires_grad_as_torch(backend):
    weight = random_input((2, 3, 1, 1), seed=1).astype(np.float32)
    stats = [random_input((2,), seed=s) for s in range(4)]
    stats[1] = np.abs(stats[1]) + 0.5
    theirs = torch.nn.utils.fuse_conv_bn_weights(
        torch.tensor(weight).requires_grad_(),
        None,
        *map(torch.tensor, stats[:2]),
        1e-5,
        *map(torch.tensor, stats[2:]),
    )
    ours = fuse_conv_bn_weights(
        nn.Parameter(backend.asarray(weight)),
        None,
        *map(backend.asarray, stats[:2]),
        1e-5,
        *map(backend.asarray, stats[2:]),
    )
    for mine, want in zip(ours, theirs, strict=True):
        assert mine.dtype == np.float32 and want.dtype == torch.float32
        assert mine.requires_grad == want.requires_grad
        assert_close(backend.to_host(mine.array), want.detach().numpy(), np.float32)


def test_fuse_linear_bn_weights_matches_torch(backend):
    weight, bias = random_input((2, 3), seed=1), random_input((2,), seed=2)
    stats = [random_input((2,), seed=s) for s in range(3, 7)]
    stats[1] = np.abs(stats[1]) + 0.5
    theirs = torch.nn.utils.fuse_linear_bn_weights(
        torch.tensor(weight),
        torch.tensor(bias),
        *map(torch.tensor, stats[:2]),
        0.1,
        *map(torch.tensor, stats[2:]),
    )
    ours = fuse_linear_bn_weights(
        backend.asarray(weight),
        backend.asarray(bias),
        *map(backend.asarray, stats[:2]),
        0.1,
        *map(backend.asarray, stats[2:]),
    )
    for mine, want in zip(ours, theirs, strict=True):
        assert mine.requires_grad == want.requires_grad
        assert_close(backend.to_host(mine.array), want.detach().numpy(), np.float64)


def test_fuse_refuses_training_mode_as_torch():
    for fuse, layer in (
        (fuse_conv_bn_eval, nn.Conv2d(1, 2, 1)),
        (fuse_linear_bn_eval, nn.Linear(1, 2)),
    ):
        with pytest.raises(AssertionError, match="Fusion only for eval!"):
            fuse(layer, nn.BatchNorm2d(2).eval())
        with pytest.raises(AssertionError, match="Fusion only for eval!"):
            fuse(layer.eval(), nn.BatchNorm2d(2))
    with pytest.raises(AssertionError, match="Fusion only for eval!"):
        torch.nn.utils.fuse_conv_bn_eval(torch.nn.Conv2d(1, 2, 1), torch.nn.BatchNorm2d(2).eval())


def test_fuse_refuses_missing_running_stats_as_torch():
    match = "bn.running_mean and bn.running_var must not be None"
    torch_bn = torch.nn.BatchNorm2d(2, track_running_stats=False).eval()
    with pytest.raises(AssertionError, match=match):
        torch.nn.utils.fuse_conv_bn_eval(torch.nn.Conv2d(1, 2, 1).eval(), torch_bn)
    bn = nn.BatchNorm2d(2, track_running_stats=False).eval()
    with pytest.raises(AssertionError, match=match):
        fuse_conv_bn_eval(nn.Conv2d(1, 2, 1).eval(), bn)
    with pytest.raises(AssertionError, match=match):
        fuse_linear_bn_eval(nn.Linear(1, 2).eval(), bn)


def test_fuse_linear_bn_refuses_other_channels_as_torch():
    match = (
        r"To fuse, linear.out_features == bn.num_features or bn.num_features == 1, got "
        r"linear.out_features=2 and bn.num_features=3"
    )
    with pytest.raises(AssertionError, match=match):
        torch.nn.utils.fuse_linear_bn_eval(
            torch.nn.Linear(1, 2).eval(), torch.nn.BatchNorm1d(3).eval()
        )
    with pytest.raises(AssertionError, match=match):
        fuse_linear_bn_eval(nn.Linear(1, 2).eval(), nn.BatchNorm1d(3).eval())


def test_skip_init_builds_the_module_and_leaves_the_random_state(backend):
    # as torch's, whose meta-device construction draws nothing
    torch.manual_seed(0)
    torch_module = torch.nn.utils.skip_init(torch.nn.Linear, 5, 2, bias=True)
    torch_next = torch.rand(3)
    torch.manual_seed(0)
    expected_next = torch.rand(3)
    assert torch.equal(torch_next, expected_next)
    xpnet.manual_seed(0)
    module = skip_init(nn.Linear, 5, 2, bias=True)
    got_next = xpnet.rand(3)
    xpnet.manual_seed(0)
    assert xpnet.equal(got_next, xpnet.rand(3))
    assert tuple(module.weight.shape) == tuple(torch_module.weight.shape)
    assert module.weight.requires_grad and module.bias is not None
    assert module.weight.dtype == np.float32


def test_skip_init_refuses_as_torch():
    class NoDevice(nn.Module):
        def __init__(self, size):
            super().__init__()

    class TorchNoDevice(torch.nn.Module):
        def __init__(self, size):
            super().__init__()

    match = "Module must support a 'device' arg to skip initialization"
    with pytest.raises(RuntimeError, match=match):
        torch.nn.utils.skip_init(TorchNoDevice, 3)
    with pytest.raises(RuntimeError, match=match):
        skip_init(NoDevice, 3)
    with pytest.raises(RuntimeError, match="Expected a Module; got <class 'int'>"):
        torch.nn.utils.skip_init(int)
    with pytest.raises(RuntimeError, match="Expected a Module; got <class 'int'>"):
        skip_init(int)
