"""``Tensor.grad`` is a Tensor, as PyTorch's: what ported training loops do with it."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import xpnet
from xpnet import Tensor


def _leaf(module, backend, values):
    if module is torch:
        return torch.tensor(np.asarray(values, dtype=np.float64), requires_grad=True)
    return Tensor(backend.asarray(np.asarray(values, dtype=np.float64)), requires_grad=True)


def _host(value):
    return value.detach().numpy() if isinstance(value, torch.Tensor) else xpnet.to_numpy(value)


def test_grad_is_a_tensor_that_later_backwards_add_into(backend):
    for module in (xpnet, torch):
        x = _leaf(module, backend, [1.0, -2.0, 3.0])
        (x * x).sum().backward()
        first = x.grad
        assert isinstance(first, module.Tensor) and first.grad_fn is None
        assert not first.requires_grad
        (x * 3).sum().backward()
        assert x.grad is first  # the same Tensor holds the sum, as PyTorch's
        np.testing.assert_array_equal(_host(x.grad), [5.0, -1.0, 9.0])


def test_tensor_methods_on_grad_change_what_the_optimizer_applies(backend):
    results = []
    for module in (xpnet, torch):
        w = _leaf(module, backend, [1.0, 2.0])
        optimizer = module.optim.SGD([w], lr=0.5)
        (w * w).sum().backward()
        norm = float(w.grad.norm())
        w.grad.mul_(0.5)  # in place on .grad: the step sees it
        w.grad[0] = 4.0
        optimizer.step()
        optimizer.zero_grad(set_to_none=False)
        results.append((norm, _host(w).tolist(), _host(w.grad).tolist()))
    assert results[0] == results[1]


@pytest.mark.parametrize(
    "value, error, match",
    [
        ([1.0, 2.0], TypeError, "expected to be a Tensor or None"),
        ("float32", TypeError, "expected to be a Tensor or None"),
        (np.zeros(3), RuntimeError, r"assign a gradient of size '\[3\]' to a tensor of size"),
        (np.zeros(2, dtype=np.float32), RuntimeError, "assign a gradient with dtype '.*' to a"),
    ],
    ids=["list", "str", "shape", "dtype"],
)
def test_assigning_grad_checks_as_torch(backend, value, error, match):
    for module in (torch, xpnet):
        x = _leaf(module, backend, [1.0, 2.0])
        given = torch.tensor(value) if module is torch and isinstance(value, np.ndarray) else value
        if module is xpnet and isinstance(value, np.ndarray):
            given = xpnet.Tensor(backend.asarray(value))
        with pytest.raises(error, match=match):
            x.grad = given
        assert x.grad is None


def test_assigning_a_tensor_keeps_it_and_an_array_is_wrapped(backend):
    x = _leaf(xpnet, backend, [1.0, 2.0])
    given = xpnet.Tensor(backend.asarray(np.array([3.0, 4.0])))
    x.grad = given
    assert x.grad is given
    x.grad = backend.asarray(np.array([5.0, 6.0]))
    assert isinstance(x.grad, Tensor) and xpnet.to_numpy(x.grad).tolist() == [5.0, 6.0]
    x.grad = None
    assert x.grad is None


def test_hooks_get_tensors_as_torch(backend):
    seen = {}
    for module in (xpnet, torch):
        x = _leaf(module, backend, [1.0, 2.0])
        y = x * 2
        y.register_hook(lambda grad, m=module: seen.setdefault(m, type(grad)) and None)
        layer = module.nn.Linear(2, 1).double()
        kinds = []
        layer.register_full_backward_hook(lambda m, gi, go, kinds=kinds: kinds.append(type(go[0])))
        layer(y).sum().backward()
        assert seen[module] is module.Tensor and kinds == [module.Tensor]


def test_hook_results_may_use_tensor_methods(backend):
    results = []
    for module in (xpnet, torch):
        x = _leaf(module, backend, [1.0, -2.0])
        y = x * 3
        y.register_hook(lambda grad: grad.clamp(max=0.5) * 2)
        y.sum().backward()
        results.append(_host(x.grad).tolist())
    assert results[0] == results[1] == [3.0, 3.0]


def test_numpy_converts_a_host_tensor_and_strict_refuses_as_cupy(backend):
    x = Tensor(backend.asarray(np.array([1.0, 2.0])))
    if backend.name == "numpy":
        np.testing.assert_array_equal(np.asarray(x), [1.0, 2.0])
        assert np.asarray(x, dtype=np.float32).dtype == np.float32
    else:
        with pytest.raises(TypeError, match="Implicit conversion to a NumPy array"):
            np.asarray(x)
    assert xpnet.to_numpy(x).tolist() == [1.0, 2.0]
