"""``xpnet.autograd.functional`` against ``torch.autograd.functional`` in float64: ``vjp``,
``jvp``, ``vhp``, ``hvp``, ``jacobian`` and ``hessian`` on one input and on a tuple, their
result structure, ``create_graph``, ``strict`` and PyTorch's errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.autograd.functional as TAF
from _oracle import assert_close

import xpnet
from xpnet.autograd import functional as AF


def _one(m, x):
    return (x.tanh() * x) @ x.exp() + (x**3).sum()


def _two(m, x, w):
    return (m.nn.functional.softplus(w @ x) ** 2).sum()


def _tensors(backend, module, arrays):
    if module is torch:
        return tuple(torch.tensor(a) for a in arrays)
    return tuple(xpnet.Tensor(backend.asarray(a)) for a in arrays)


def _host(value):
    if isinstance(value, tuple):
        return tuple(_host(v) for v in value)
    return value.detach().numpy() if isinstance(value, torch.Tensor) else value.numpy()


def _same(ours, theirs, what):
    if isinstance(theirs, tuple):
        assert isinstance(ours, tuple) and len(ours) == len(theirs), what
        for index, (a, b) in enumerate(zip(ours, theirs, strict=True)):
            _same(a, b, f"{what}[{index}]")
        return
    assert not isinstance(ours, tuple), f"{what}: a tuple where torch has a Tensor"
    assert_close(ours, theirs, np.float64, what)


ARRAYS = {
    "one": (_one, [np.array([0.3, -0.7, 1.2])]),
    "two": (_two, [np.array([0.3, -0.7, 1.2]), np.array([[0.5, -1.0, 0.2], [1.5, 0.3, -0.4]])]),
}


@pytest.mark.parametrize("name", sorted(ARRAYS))
@pytest.mark.parametrize("what", ["vjp", "jvp", "vhp", "hvp", "jacobian", "hessian"])
def test_functional_matches_torch(backend, name, what):
    function, arrays = ARRAYS[name]
    results = []
    for module, functional in ((xpnet, AF), (torch, TAF)):
        inputs = _tensors(backend, module, arrays)
        inputs = inputs if len(inputs) > 1 else inputs[0]
        f = lambda *xs, m=module: function(m, *xs)  # noqa: E731
        if what in ("jacobian", "hessian"):
            results.append(_host(getattr(functional, what)(f, inputs)))
            continue
        if what == "vjp":
            v = _tensors(backend, module, [np.array(1.5)])[0]
        else:
            rng = np.random.default_rng(8)
            v = _tensors(backend, module, [rng.standard_normal(a.shape) for a in arrays])
            v = v if len(v) > 1 else v[0]
        results.append(_host(getattr(functional, what)(f, inputs, v)))
    _same(results[0], results[1], what)


def test_jacobian_of_a_vector_function_of_two_inputs_matches_torch(backend):
    x, w = np.array([0.3, -0.7, 1.2]), np.random.default_rng(9).standard_normal((2, 3))
    results = []
    for module, functional in ((xpnet, AF), (torch, TAF)):
        inputs = _tensors(backend, module, [x, w])
        outputs = functional.jacobian(lambda a, b: ((b @ a).tanh(), a * 2), inputs)
        products = functional.jvp(lambda a, b: (b @ a).tanh(), inputs, inputs)
        results.append((_host(outputs), _host(products)))
    _same(results[0], results[1], "jacobian and jvp")


def test_create_graph_keeps_the_graph_and_strict_refuses_unused_inputs(backend):
    x = xpnet.Tensor(backend.asarray(np.array([1.0, 2.0])), requires_grad=True)
    _, product = AF.hvp(lambda a: (a**4).sum(), x, xpnet.ones(2, dtype=xpnet.float64), True)
    assert product.requires_grad
    (third,) = xpnet.autograd.grad(product.sum(), x)  # d/dx of 12 x^2
    assert backend.to_host(third.array).tolist() == [24.0, 48.0]
    assert not AF.jacobian(lambda a: a * 2, x).requires_grad
    constant = xpnet.Tensor(backend.asarray(np.array([1.0, 2.0])))
    assert backend.to_host(AF.jacobian(lambda a: constant * 2, x).array).tolist() == [[0, 0]] * 2
    with pytest.raises(RuntimeError, match="does not require gradients"):
        AF.jacobian(lambda a: constant * 2, x, strict=True)
    with pytest.raises(RuntimeError, match="independent of input 1"):
        AF.vjp(lambda a, b: (a * 2).sum(), (x, constant), strict=True)


def test_functional_refuses_what_torch_refuses(backend):
    x = xpnet.Tensor(backend.asarray(np.array([1.0, 2.0])))
    for module, functional, value in ((xpnet, AF, x), (torch, TAF, torch.tensor([1.0, 2.0]))):
        with pytest.raises(RuntimeError, match="v can only be None"):
            functional.vjp(lambda a: a * 2, value)
        with pytest.raises(RuntimeError, match="should contain a single element"):
            functional.hessian(lambda a: a * 2, value)
        with pytest.raises(RuntimeError, match="v has invalid size"):
            functional.jvp(lambda a: a * 2, value, module.ones(3, dtype=value.dtype))
        with pytest.raises(TypeError, match="must be either a Tensor or a tuple of Tensors"):
            functional.jvp(lambda a: 3, value, value)
    with pytest.raises(NotImplementedError, match="strategy must be 'reverse-mode'"):
        AF.jacobian(lambda a: a, x, strategy="forward-mode")
