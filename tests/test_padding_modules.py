"""The padding layers (ZeroPad, ConstantPad, ReflectionPad, ReplicationPad, CircularPad in 1-3
dimensions) against torch.nn's: values and input gradients, repr, padding, rank checks."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from _oracle import random_input
from test_nn import check_module

from xpnet import nn

FAMILIES = ["ZeroPad", "ConstantPad", "ReflectionPad", "ReplicationPad", "CircularPad"]
# dims -> (padding as an int, padding as a tuple with crops where the mode allows them,
# batched input shape)
GEOMETRY = {
    1: (2, (1, 3), (2, 3, 5)),
    2: (1, (2, 0, 1, 3), (2, 2, 4, 5)),
    3: (1, (1, 2, 0, 1, 2, 1), (1, 2, 3, 4, 5)),
}


def _modules(family, dims, padding):
    args = (padding, 1.5) if family == "ConstantPad" else (padding,)
    name = f"{family}{dims}d"
    return getattr(nn, name)(*args), getattr(torch.nn, name)(*args)


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("dims", [1, 2, 3])
@pytest.mark.parametrize("spelling", ["int", "tuple"])
def test_padding_module_matches_torch(backend, family, dims, spelling):
    as_int, as_tuple, shape = GEOMETRY[dims]
    padding = as_int if spelling == "int" else as_tuple
    module, reference = _modules(family, dims, padding)
    assert repr(module) == repr(reference)
    assert module.padding == reference.padding
    assert list(module.state_dict()) == []
    check_module(module, reference, shape, backend)
    check_module(module, reference, shape[1:], backend, seed=1)  # unbatched


@pytest.mark.parametrize("family", ["ZeroPad", "ConstantPad", "CircularPad"])
def test_padding_module_crops_with_negative_padding_as_torch(backend, family):
    module, reference = _modules(family, 2, (-1, 2, 1, -2))
    check_module(module, reference, (2, 3, 5, 6), backend)


def test_constant_pad_keeps_the_value_as_given():
    for value in [2, 0.5, -3.0]:
        module, reference = nn.ConstantPad2d(1, value), torch.nn.ConstantPad2d(1, value)
        assert repr(module) == repr(reference)
        assert module.value == reference.value


def test_padding_modules_take_any_iterable_as_torch():
    """PyTorch's _ntuple keeps an iterable's length: ZeroPad2d((1, 2)) pads the last axis."""
    for padding in [[1, 2], (1, 2), range(4)]:
        module, reference = nn.ZeroPad2d(padding), torch.nn.ZeroPad2d(padding)
        assert module.padding == reference.padding
        assert repr(module) == repr(reference)
    output = nn.ZeroPad2d((1, 2))(np.ones((2, 3)))
    assert output.shape == torch.nn.ZeroPad2d((1, 2))(torch.ones(2, 3)).shape == (2, 6)


@pytest.mark.parametrize("dims", [1, 2, 3])
def test_padding_modules_check_the_input_rank_as_torch(backend, dims):
    for ndim in [dims, dims + 3]:
        x = backend.asarray(random_input((2,) * ndim))
        message = rf"CircularPad{dims}d: expected {dims + 1}D or {dims + 2}D input \(got {ndim}D"
        with pytest.raises(ValueError, match=message):
            getattr(nn, f"CircularPad{dims}d")(1)(x)
        for family in ["ReflectionPad", "ReplicationPad"]:
            with pytest.raises(NotImplementedError, match=f"{family}{dims}d: expected"):
                getattr(nn, f"{family}{dims}d")(1)(x)
            with pytest.raises(NotImplementedError):  # PyTorch's F.pad
                getattr(torch.nn, f"{family}{dims}d")(1)(torch.ones((2,) * ndim))
    # constant padding takes any rank with enough dimensions, as PyTorch
    x = np.ones((2,) * (dims + 3))
    expected = torch.nn.ConstantPad1d(1, 0.0)(torch.ones((2,) * (dims + 3))).shape
    assert nn.ConstantPad1d(1, 0.0)(x).shape == tuple(expected)


def test_reflection_pad_rejects_padding_past_the_edge(backend):
    x = backend.asarray(random_input((1, 2, 3)))
    with pytest.raises(ValueError, match="reflect padding"):
        nn.ReflectionPad1d(3)(x)
    with pytest.raises(RuntimeError):
        torch.nn.ReflectionPad1d(3)(torch.ones(1, 2, 3))
