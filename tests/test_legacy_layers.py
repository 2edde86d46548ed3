"""PyTorch's legacy layers against torch.nn 2.13: ``CrossMapLRN2d`` (float64 values for every
window size, including PyTorch's channel-0 term; the gradient against torch where torch's
hand-written backward is right, by finite differences where it is not) and ``NLLLoss2d``
(the deprecation warning, ``NLLLoss``'s values)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from _oracle import check_against_torch, check_finite_differences, random_input

from xpnet import Tensor, nn


def _lrn_forward(module):
    return lambda x: module(Tensor(x)).array


def _lrn_backward(module):
    def backward(grad_output, x):
        x = Tensor(x, requires_grad=True)
        (module(x) * Tensor(grad_output)).sum().backward()
        return x.grad

    return backward


@pytest.mark.parametrize("size", [1, 2, 3, 4, 5, 6, 7])
@pytest.mark.parametrize("channels", [1, 2, 3, 5, 8])
def test_cross_map_lrn2d_values_match_torch(backend, size, channels):
    module = nn.CrossMapLRN2d(size, alpha=0.5, beta=0.75, k=1.5)
    reference = torch.nn.CrossMapLRN2d(size, alpha=0.5, beta=0.75, k=1.5)
    x = random_input((2, channels, 3, 4), seed=size * 10 + channels, low=-2.0, high=2.0)
    check_against_torch(_lrn_forward(module), None, reference, [x], backend)


@pytest.mark.parametrize("size, channels", [(2, 1), (3, 1), (5, 1), (5, 2), (6, 3), (7, 3)])
def test_cross_map_lrn2d_gradient_matches_torch_where_its_backward_is_exact(
    backend, size, channels
):
    module = nn.CrossMapLRN2d(size, alpha=0.5, beta=0.75, k=1.5)
    reference = torch.nn.CrossMapLRN2d(size, alpha=0.5, beta=0.75, k=1.5)
    x = random_input((2, channels, 3, 4), seed=size, low=-2.0, high=2.0)
    check_against_torch(_lrn_forward(module), _lrn_backward(module), reference, [x], backend)


@pytest.mark.parametrize("size, channels", [(1, 3), (3, 4), (4, 6), (5, 5)])
def test_cross_map_lrn2d_gradient_is_its_forwards(backend, size, channels):
    """Where PyTorch's backward is off (it fails gradcheck, or raises for size 1), the
    gradient is that of the forward, by central differences."""
    reference = torch.nn.CrossMapLRN2d(size, alpha=0.5, beta=0.75, k=1.5)
    x = random_input((1, channels, 2, 2), seed=size, low=-2.0, high=2.0)
    probe = torch.tensor(x, requires_grad=True)
    if size == 1:
        with pytest.raises(RuntimeError):
            reference(probe).sum().backward()
    else:
        assert not torch.autograd.gradcheck(reference, (probe,), raise_exception=False)
    module = nn.CrossMapLRN2d(size, alpha=0.5, beta=0.75, k=1.5)
    check_finite_differences(_lrn_forward(module), _lrn_backward(module), [x], backend)


def test_cross_map_lrn2d_float32_and_repr_match_torch(backend):
    module, reference = nn.CrossMapLRN2d(5), torch.nn.CrossMapLRN2d(5)
    assert repr(module) == repr(reference) == "CrossMapLRN2d(5, alpha=0.0001, beta=0.75, k=1)"
    x = random_input((2, 7, 3, 3), seed=3, low=-3.0, high=3.0)
    check_against_torch(_lrn_forward(module), None, reference, [x], backend, dtype=np.float32)
    assert list(module.state_dict()) == []


@pytest.mark.parametrize("shape", [(3, 4, 4), (1, 2, 3, 4, 5)])
def test_cross_map_lrn2d_rejects_other_ranks_as_torch(backend, shape):
    x = random_input(shape, seed=0)
    message = f"CrossMapLRN2d: Expected input to be 4D, got {len(shape)}D instead."
    with pytest.raises(ValueError, match=message):
        torch.nn.CrossMapLRN2d(3)(torch.tensor(x))
    with pytest.raises(ValueError, match=message):
        nn.CrossMapLRN2d(3)(backend.asarray(x))


def test_cross_map_lrn2d_rejects_a_size_below_one(backend):
    with pytest.raises(ValueError, match="CrossMapLRN2d: size must be at least 1, got 0"):
        nn.CrossMapLRN2d(0)(backend.asarray(random_input((1, 2, 2, 2))))


NLL_MESSAGE = "`NLLLoss2d` has been deprecated. Please use `NLLLoss` instead"


@pytest.mark.parametrize("options", [{}, {"ignore_index": 1}, {"reduction": "none"}])
def test_nll_loss2d_warns_and_computes_nll_loss_as_torch(backend, options):
    weight = random_input((4,), seed=1, low=0.5, high=2.0)
    with pytest.warns(FutureWarning, match=NLL_MESSAGE):
        reference = torch.nn.NLLLoss2d(weight=torch.tensor(weight), **options)
    with pytest.warns(FutureWarning, match=NLL_MESSAGE):
        module = nn.NLLLoss2d(weight=backend.asarray(weight), **options)
    assert isinstance(module, nn.NLLLoss) and repr(module) == repr(reference) == "NLLLoss2d()"
    assert list(module.state_dict()) == list(reference.state_dict()) == ["weight"]
    target = np.random.default_rng(2).integers(0, 4, (2, 3, 3))
    target[0, 0, 0] = 1

    def ours(x):
        return module(Tensor(x), backend.asarray(target)).array

    def ours_backward(grad_output, x):
        x = Tensor(x, requires_grad=True)
        (module(x, backend.asarray(target)) * Tensor(grad_output)).sum().backward()
        return x.grad

    def theirs(x):
        return reference(x, torch.tensor(target))

    x = np.log(random_input((2, 4, 3, 3), seed=3, low=0.1, high=1.0))
    check_against_torch(ours, ours_backward, theirs, [x], backend)


def test_legacy_layers_are_exported():
    assert {"CrossMapLRN2d", "NLLLoss2d"} <= set(nn.__all__)
    assert nn.CrossMapLRN2d.__module__ == nn.NLLLoss2d.__module__ == "xpnet.nn.legacy"
