"""The deprecated ``Module.register_backward_hook`` against PyTorch's: run as a full backward
hook, so ``grad_input`` is the gradient of the module's inputs (PyTorch's is that of its last
autograd node's inputs: the same for one-node modules such as ``ReLU``, not for ``Linear``),
with PyTorch's FutureWarning and its rule against mixing the two kinds of hook."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from _oracle import random_input

import xpnet
from xpnet.autograd import Tensor


def run(module, x, hook, library):
    """``module(x).backward(g)`` with ``hook`` registered: what it saw, and x's gradient."""
    seen = []

    def record(module, grad_input, grad_output):
        seen.append(
            [
                None if g is None else xpnet.to_numpy(g) if isinstance(g, Tensor) else g.numpy()
                for g in (*grad_input, *grad_output)
            ]
        )
        return hook(grad_input)

    module.register_backward_hook(record)
    tensor = (
        torch.tensor(x, requires_grad=True) if library is torch else Tensor(x, requires_grad=True)
    )
    with pytest.warns(FutureWarning, match="Using a non-full backward hook when the forward"):
        output = module(tensor)
        grad = random_input(tuple(output.shape), seed=3)
        if library is torch:
            output.backward(torch.tensor(grad))
        else:
            output.backward(xpnet.to_backend(grad, xpnet.backends.backend_of(x).name))
    grad_x = (
        tensor.grad.numpy()
        if library is torch
        else np.array(xpnet.to_backend(tensor.grad.array, "numpy"))
    )
    return seen, grad_x


@pytest.mark.parametrize("name", ["ReLU", "Tanh", "Sigmoid"])
@pytest.mark.parametrize("replace", [False, True])
def test_legacy_hook_on_one_node_module_matches_torch(backend, name, replace):
    x = random_input((4, 3))
    ours = run(
        getattr(xpnet.nn, name)(),
        backend.asarray(x),
        lambda g: (g[0] * 2,) if replace else None,
        xpnet,
    )
    theirs = run(getattr(torch.nn, name)(), x, lambda g: (g[0] * 2,) if replace else None, torch)
    for mine, torchs in zip([*ours[0][0], ours[1]], [*theirs[0][0], theirs[1]], strict=True):
        np.testing.assert_allclose(mine, torchs, rtol=1e-12)


def test_legacy_hook_on_linear_gets_the_input_gradient(backend):
    layer, torch_layer = (
        xpnet.nn.Linear(3, 2).to(backend.name, dtype=np.float64),
        torch.nn.Linear(3, 2).double(),
    )
    layer.load_state_dict({k: v.detach().numpy() for k, v in torch_layer.state_dict().items()})
    x = random_input((4, 3))
    (ours,), _ = run(layer, backend.asarray(x), lambda g: None, xpnet)
    (theirs,), _ = run(torch_layer, x, lambda g: None, torch)
    assert len(ours) == 2 and len(theirs) == 4  # ours: (x,), (out,); torch's: (b, x, W^T), (out,)
    np.testing.assert_allclose(ours[0], theirs[1], rtol=1e-12)
    np.testing.assert_allclose(ours[1], theirs[3], rtol=1e-12)


@pytest.mark.parametrize("first", ["register_backward_hook", "register_full_backward_hook"])
def test_legacy_and_full_hooks_do_not_mix(first):
    second = {"register_backward_hook": "register_full_backward_hook"}.get(
        first, "register_backward_hook"
    )
    for nn in (xpnet.nn, torch.nn):
        layer = nn.Linear(3, 2)
        handle = getattr(layer, first)(lambda *args: None)
        handle.remove()  # PyTorch's flag stays set
        with pytest.raises(RuntimeError, match="Cannot use both regular backward hooks and full"):
            getattr(layer, second)(lambda *args: None)
        getattr(layer, first)(lambda *args: None)


def test_legacy_hook_refuses_a_non_callable_and_can_be_removed():
    layer = xpnet.nn.ReLU()
    with pytest.raises(TypeError, match="register_backward_hook: hook must be callable, got int"):
        layer.register_backward_hook(3)
    layer.register_full_backward_hook(lambda *args: None)  # the TypeError set no flag
    other, calls = xpnet.nn.ReLU(), []
    handle = other.register_backward_hook(lambda *args: calls.append(1))
    handle.remove()
    x = Tensor(np.ones(2), requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        other(x).sum().backward()
    assert calls == []
