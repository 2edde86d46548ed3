"""``xpnet.nn.utils.prune`` against ``torch.nn.utils.prune`` on twin layers (the same float64
weights, all distinct, so no ties): the masks, the reparametrization (names, state_dict keys,
hooks), forward and gradients, successive and global pruning, ``remove``, custom methods,
and PyTorch's errors."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.utils.prune as torch_prune

import xpnet
from xpnet.backends import get_backend
from xpnet.nn.utils import prune


def _twins(kind="conv"):
    """An xpnet layer and its PyTorch twin, distinct float64 weights."""
    if kind == "conv":
        ours, theirs = xpnet.nn.Conv2d(3, 4, 3), torch.nn.Conv2d(3, 4, 3)
    else:
        ours, theirs = xpnet.nn.Linear(6, 5), torch.nn.Linear(6, 5)
    ours, theirs = ours.double(), theirs.double()
    rng = np.random.default_rng(0)
    for name, value in theirs.state_dict().items():
        values = rng.permutation(value.numel()).reshape(value.shape) - value.numel() / 2.0
        values = values / value.numel() + rng.uniform(0, 1e-3, value.shape)
        theirs.state_dict()[name].copy_(torch.from_numpy(values))
    ours.load_state_dict({k: v.detach().numpy().copy() for k, v in theirs.state_dict().items()})
    return ours, theirs


def _tensor(values):
    """``values`` as an xpnet Tensor on the backend under test."""
    return xpnet.autograd.Tensor(get_backend().asarray(np.asarray(values)))


def _host(value):
    if isinstance(value, torch.Tensor):
        return value.detach().numpy()
    return xpnet.to_numpy(value.array if hasattr(value, "array") else value)


def _assert_twins(ours, theirs):
    """Same parameters and buffers by name, the same values; the same forward and grads."""
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert [n for n, _ in ours.named_buffers()] == [n for n, _ in theirs.named_buffers()]
    assert list(ours.state_dict()) == list(theirs.state_dict())
    for key, value in theirs.state_dict().items():
        np.testing.assert_array_equal(_host(ours.state_dict()[key]), _host(value))
    shape = (2, 3, 5, 5) if isinstance(theirs, torch.nn.Conv2d) else (2, 6)
    x = np.random.default_rng(1).standard_normal(shape)
    outputs = []
    for model, lib in ((ours, xpnet), (theirs, torch)):
        y = model(_tensor(x) if lib is xpnet else torch.tensor(x))
        (y * y).sum().backward()
        outputs.append([_host(y)] + [_host(p.grad) for p in model.parameters()])
    for mine, torchs in zip(*outputs, strict=True):
        np.testing.assert_allclose(mine, torchs, rtol=1e-12)


@pytest.mark.parametrize("kind", ["conv", "linear"])
@pytest.mark.parametrize("amount", [0.3, 0.5, 7, 0])
def test_l1_unstructured_is_torchs(kind, amount):
    ours, theirs = _twins(kind)
    assert prune.l1_unstructured(ours, "weight", amount) is ours
    torch_prune.l1_unstructured(theirs, "weight", amount)
    _assert_twins(ours, theirs)
    assert int((_host(ours.weight) == 0).sum()) == (
        amount if amount >= 1 else round(amount * ours.weight.numel())
    )


@pytest.mark.parametrize("n", [1, 2, math.inf, -math.inf, "fro"])
@pytest.mark.parametrize("dim", [0, 1, -1])
@pytest.mark.parametrize("kind", ["conv", "linear"])
def test_ln_structured_is_torchs(kind, n, dim):
    ours, theirs = _twins(kind)
    if n == "fro" and kind == "conv":  # a Frobenius norm over 3 dims: both refuse
        with pytest.raises(RuntimeError, match="dim must be a 2-tuple"):
            torch_prune.ln_structured(theirs, "weight", 0.5, n, dim)
        with pytest.raises(ValueError, match="'fro' over at most 2 dims"):
            prune.ln_structured(ours, "weight", 0.5, n, dim)
        return
    prune.ln_structured(ours, "weight", 0.5, n, dim)
    torch_prune.ln_structured(theirs, "weight", 0.5, n, dim)
    _assert_twins(ours, theirs)


def test_successive_pruning_combines_as_torchs():
    ours, theirs = _twins()
    for module, library in ((ours, prune), (theirs, torch_prune)):
        library.l1_unstructured(module, "weight", 0.2)
        library.ln_structured(module, "weight", 1, 2, 0)  # one output channel of the rest
        library.l1_unstructured(module, "bias", 1)
        library.l1_unstructured(module, "weight", 10)  # 10 more entries, among the kept
    _assert_twins(ours, theirs)
    hook = next(h for h in ours._forward_pre_hooks.values() if h._tensor_name == "weight")
    assert isinstance(hook, prune.PruningContainer) and len(hook) == 3
    assert [type(m).__name__ for m in hook] == ["L1Unstructured", "LnStructured", "L1Unstructured"]


def test_global_and_custom_pruning_are_torchs():
    layers = [_twins("conv"), _twins("linear")]
    for index, library in ((0, prune), (1, torch_prune)):
        pairs = [(pair[index], "weight") for pair in layers]
        library.global_unstructured(pairs, pruning_method=library.L1Unstructured, amount=0.4)
        library.custom_from_mask(layers[1][index], "bias", mask=library_mask(index))
        library.identity(layers[0][index], "bias")
    for ours, theirs in layers:
        _assert_twins(ours, theirs)


def library_mask(index):
    values = [1, 0, 1, 1, 0]
    return _tensor(values) if index == 0 else torch.tensor(values)


def test_importance_scores_and_prune_are_torchs():
    ours, theirs = _twins("linear")
    scores = np.random.default_rng(2).permutation(30).reshape(5, 6).astype(float)
    prune.l1_unstructured(ours, "weight", 0.5, importance_scores=_tensor(scores))
    torch_prune.l1_unstructured(theirs, "weight", 0.5, importance_scores=torch.tensor(scores))
    _assert_twins(ours, theirs)
    values = np.arange(1.0, 7.0) * np.array([1, -1, 1, -1, 1, -1])
    mine = prune.L1Unstructured(2).prune(_tensor(values))
    torchs = torch_prune.L1Unstructured(2).prune(torch.tensor(values))
    np.testing.assert_array_equal(_host(mine), _host(torchs))


def test_remove_makes_the_pruning_permanent_as_torchs():
    ours, theirs = _twins()
    for module, library in ((ours, prune), (theirs, torch_prune)):
        library.ln_structured(module, "weight", 2, 2, 0)
        assert library.is_pruned(module)
        library.remove(module, "weight")
        assert not library.is_pruned(module)
    _assert_twins(ours, theirs)
    assert isinstance(ours.weight, xpnet.nn.Parameter) and not ours._forward_pre_hooks
    with pytest.raises(ValueError, match="Parameter 'weight' of module .* has to be pruned"):
        prune.remove(ours, "weight")


def test_random_pruning_prunes_the_amount():
    xpnet.manual_seed(0)
    layer = xpnet.nn.Conv2d(3, 8, 3)
    prune.random_unstructured(layer, "weight", 0.25)
    assert int((_host(layer.weight_mask) == 0).sum()) == round(0.25 * layer.weight.numel())
    prune.random_structured(layer, "weight", 3, 0)
    zero_channels = (_host(layer.weight_mask).reshape(8, -1) == 0).all(axis=1)
    assert zero_channels.sum() == 3  # whole output channels, on top of the earlier entries
    layer(_tensor(np.ones((1, 3, 5, 5), np.float32))).sum().backward()
    assert np.array_equal(_host(layer.weight_orig.grad) == 0, _host(layer.weight_mask) == 0)


class EverySecond(prune.BasePruningMethod):
    """PyTorch's tutorial's custom method, as written there."""

    PRUNING_TYPE = "unstructured"

    def compute_mask(self, t, default_mask):
        mask = default_mask.clone()
        mask.view(-1)[::2] = 0
        return mask


def test_a_custom_method_written_for_torch_runs():
    layer = xpnet.nn.Linear(3, 2)
    EverySecond.apply(layer, "bias")
    assert _host(layer.bias_mask).tolist() == [0.0, 1.0]
    assert _host(layer.bias)[0] == 0


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda p, m: p.l1_unstructured(m, "weight", -1), ValueError, "amount=-1 should either"),
        (lambda p, m: p.l1_unstructured(m, "weight", 1.5), ValueError, "amount=1.5 should either"),
        (lambda p, m: p.l1_unstructured(m, "weight", "a"), TypeError, "Invalid type for amount"),
        (lambda p, m: p.l1_unstructured(m, "weight", 31), ValueError, "should be smaller than"),
        (lambda p, m: p.ln_structured(m, "bias", 1, 2, 0), ValueError, "multidimensional"),
        (lambda p, m: p.ln_structured(m, "weight", 1, 2, 2), IndexError, "Invalid index 2"),
        (lambda p, m: p.global_unstructured([(m, "weight")], p.LnStructured, amount=1, n=2),
         TypeError, 'Only "unstructured" PRUNING_TYPE'),
        (lambda p, m: p.remove(m, "weight"), ValueError, "has to be pruned before"),
    ],
)  # fmt: skip
def test_errors_are_torchs(call, error, message):
    ours, theirs = _twins("linear")
    for library, module in ((prune, ours), (torch_prune, theirs)):
        with pytest.raises(error, match=message):
            call(library, module)
    # a failed pruning puts the parameter back (last, as PyTorch) and leaves no mask or hook
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert not list(ours.named_buffers()) and not ours._forward_pre_hooks


def test_pruned_weights_move_both_ways():
    ours, theirs = _twins()
    torch_prune.l1_unstructured(theirs, "weight", 0.5)
    prune.identity(ours, "weight")  # the same parameter and buffer names
    ours.load_state_dict({k: v.detach().numpy().copy() for k, v in theirs.state_dict().items()})
    _assert_twins(ours, theirs)
    back = torch.nn.Conv2d(3, 4, 3).double()
    torch_prune.identity(back, "weight")
    back.load_state_dict(
        {k: torch.from_numpy(_host(v).copy()) for k, v in ours.state_dict().items()}
    )
    x = torch.ones(1, 3, 5, 5, dtype=torch.float64)  # the forward pre-hooks mask the weights
    np.testing.assert_array_equal(_host(back(x)), _host(theirs(x)))
    np.testing.assert_array_equal(_host(back.weight), _host(theirs.weight))
