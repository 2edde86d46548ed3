"""Lazy modules (``LazyLinear``, the lazy convolutions and norms), ``UninitializedParameter``,
``UninitializedBuffer`` and ``nn.Buffer`` against PyTorch.

Shapes inferred from the first input, the eager class and repr afterwards, the same
initialisation as the eager module, state_dict keys, shapes and values, outputs with the same
weights, loading a state_dict into a lazy module, optimizers built before the first call, and
the errors. Every body runs on numpy and strict.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from _oracle import assert_close, random_input

import xpnet
import xpnet.nn as nn
from xpnet.nn.utils import parametrizations, spectral_norm

F64 = np.float64
# (name, constructor arguments, input shape)
LAZY = [
    ("LazyLinear", (3,), (2, 5)),
    ("LazyConv1d", (4, 3), (2, 6, 7)),
    ("LazyConv1d", (4, 3), (6, 7)),  # unbatched: channels at dimension 0
    ("LazyConv2d", (4, 3, 1, 1, 1, 2), (2, 6, 5, 5)),  # groups=2
    ("LazyConv3d", (2, 2), (1, 3, 4, 4, 4)),
    ("LazyConvTranspose1d", (4, 3), (2, 6, 5)),
    ("LazyConvTranspose2d", (4, 3, 2, 1, 1, 2), (2, 6, 4, 4)),  # output_padding=1, groups=2
    ("LazyConvTranspose3d", (2, 2), (1, 3, 3, 3, 3)),
    ("LazyBatchNorm1d", (), (4, 3)),
    ("LazyBatchNorm2d", (1e-3, 0.2), (2, 3, 4, 4)),
    ("LazyBatchNorm3d", (), (2, 3, 2, 2, 2)),
    ("LazyInstanceNorm1d", (1e-5, 0.1, True, True), (2, 3, 5)),
    ("LazyInstanceNorm2d", (), (2, 3, 4, 4)),
    ("LazyInstanceNorm3d", (1e-5, 0.1, True, False), (2, 3, 2, 2, 2)),
]


def _numpy_state(module) -> dict:
    return {key: value.detach().numpy().copy() for key, value in module.state_dict().items()}


@pytest.mark.parametrize(("name", "args", "shape"), LAZY)
def test_lazy_module_matches_torch(backend, name, args, shape):
    ours = getattr(nn, name)(*args).double()
    theirs = getattr(torch.nn, name)(*args).double()
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert ours.has_uninitialized_params()
    ours.eval()
    theirs.eval()
    x = random_input(shape)
    ours(xpnet.asarray(x))
    theirs(torch.from_numpy(x))
    assert type(ours).__name__ == type(theirs).__name__ == name[4:]
    assert repr(ours) == repr(theirs)
    assert not hasattr(ours, "_initialize_hook") and not ours._forward_pre_hooks
    state, expected = ours.state_dict(), _numpy_state(theirs)
    assert {k: tuple(v.shape) for k, v in state.items()} == {
        k: v.shape for k, v in expected.items()
    }
    if "Norm" in name:  # deterministic initial values: ones and zeros
        for key, value in expected.items():
            np.testing.assert_array_equal(xpnet.to_numpy(state[key]), value)
    theirs.load_state_dict({k: torch.from_numpy(xpnet.to_numpy(v)) for k, v in state.items()})
    out = ours(xpnet.asarray(x))
    assert_close(xpnet.to_numpy(out.array), theirs(torch.from_numpy(x)).detach().numpy(), F64)


@pytest.mark.parametrize(("lazy", "eager"), [("LazyLinear", (5, 3)), ("LazyConv2d", (6, 3, 2))])
def test_lazy_initialises_as_the_eager_module(backend, lazy, eager):
    shape = (2, 5) if lazy == "LazyLinear" else (1, 6, 4, 4)
    xpnet.manual_seed(7)
    module = getattr(nn, lazy)(*eager[1:])
    module(xpnet.asarray(random_input(shape, dtype=np.float32)))
    xpnet.manual_seed(7)
    reference = getattr(nn, lazy[4:])(*eager)
    for key, value in reference.state_dict().items():
        np.testing.assert_array_equal(
            xpnet.to_numpy(module.state_dict()[key]), xpnet.to_numpy(value)
        )


def test_load_state_dict_into_lazy_module(backend):
    theirs = torch.nn.Linear(5, 3).double()
    ours = nn.LazyLinear(3).double()
    lazy_torch = torch.nn.LazyLinear(3).double()
    lazy_torch.load_state_dict(theirs.state_dict())
    ours.load_state_dict(_numpy_state(theirs))
    assert type(ours) is nn.LazyLinear and not ours.has_uninitialized_params()
    x = random_input((2, 5))
    out = ours(xpnet.asarray(x))
    lazy_torch(torch.from_numpy(x))
    assert type(ours) is nn.Linear and ours.in_features == lazy_torch.in_features == 5
    assert_close(xpnet.to_numpy(out.array), theirs(torch.from_numpy(x)).detach().numpy(), F64)
    norm = nn.LazyBatchNorm1d()
    norm.load_state_dict(_numpy_state(torch.nn.BatchNorm1d(4)))
    assert tuple(norm.running_var.shape) == (4,) and norm.has_uninitialized_params() is False


def test_optimizer_built_before_the_first_call(backend):
    layer = nn.LazyLinear(2).double()
    optimizer = xpnet.optim.SGD(layer.parameters(), lr=0.5)
    layer(xpnet.asarray(np.ones((1, 3)))).sum().backward()
    before = xpnet.to_numpy(layer.bias.array).copy()
    optimizer.step()
    np.testing.assert_allclose(xpnet.to_numpy(layer.bias.array), before - 0.5)


def test_uninitialized_errors(backend):
    layer = nn.LazyLinear(3)
    with pytest.raises(ValueError, match="Can't access the shape of an uninitialized parameter"):
        layer.weight.shape  # noqa: B018 - the access is the test
    with pytest.raises(ValueError, match="Can't access the shape"):
        nn.Linear(2, 3).load_state_dict(layer.state_dict())
    with pytest.raises(RuntimeError, match=r"Expected 3D \(unbatched\) or 4D \(batched\) input to"):
        nn.LazyConv2d(4, 3)(xpnet.asarray(np.ones((2, 3), dtype=np.float32)))
    with pytest.raises(ValueError, match="in_channels must be divisible by groups"):
        nn.LazyConv2d(4, 3, groups=2)(xpnet.asarray(np.ones((1, 3, 4, 4), dtype=np.float32)))
    with pytest.raises(ValueError, match="can't have uninitialized parameters"):
        spectral_norm(nn.LazyLinear(3))
    with pytest.raises(ValueError, match="in_features inferred from input: 4"):
        loaded = nn.LazyLinear(3)
        loaded.load_state_dict({"weight": np.zeros((3, 5), "f"), "bias": np.zeros(3, "f")})
        loaded(xpnet.asarray(np.ones((1, 4), dtype=np.float32)))
    assert repr(nn.UninitializedParameter()) == "<UninitializedParameter>"
    assert parametrizations  # the parametrizations need initialised weights too


def test_uninitialized_materialize(backend, xp):
    param = nn.UninitializedParameter(dtype="float64")
    param.materialize((2, 3))
    assert type(param) is nn.Parameter and param.shape == (2, 3) and param.dtype == np.float64
    buffer = nn.UninitializedBuffer().materialize((4,))
    assert buffer.shape == (4,) and buffer.dtype == np.float32 and isinstance(buffer, xp.ndarray)


def test_buffer_assignment_registers_a_buffer(backend):
    ours, theirs = nn.Identity(), torch.nn.Identity()
    ours.steps = nn.Buffer(xpnet.asarray(np.arange(3.0)))
    ours.scratch = nn.Buffer(xpnet.asarray(np.zeros(2)), persistent=False)
    theirs.steps = torch.nn.Buffer(torch.arange(3.0))
    theirs.scratch = torch.nn.Buffer(torch.zeros(2), persistent=False)
    assert list(ours.state_dict()) == list(theirs.state_dict()) == ["steps"]
    assert [name for name, _ in ours.named_buffers()] == ["steps", "scratch"]
    assert isinstance(ours.steps, type(xpnet.asarray(np.zeros(1))))
