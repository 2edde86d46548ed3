"""What the double-backward tests share: input makers, Tensors on the backend under test or
in torch, and the comparisons of second and third derivatives with ``torch.autograd``.

A case is ``(f(module, F, constant, *inputs), makers)``: ``f`` written once for xpnet and
torch alike (``F`` their ``nn.functional``, ``constant`` a maker of constant Tensors), and one
``maker(rng)`` of a float64 array per input.
"""

from __future__ import annotations

import numpy as np
import torch
from _oracle import assert_close

import xpnet

F64 = np.float64


def normal(*shape):
    return lambda rng: rng.standard_normal(shape)


def constant(module, backend):
    """A maker of constant Tensors of ``module`` (xpnet on ``backend``, or torch)."""
    if module is torch:
        return lambda values: torch.tensor(np.asarray(values))
    return lambda values: xpnet.Tensor(backend.asarray(np.asarray(values)))


def leaf(backend, array):
    return xpnet.Tensor(backend.asarray(array), requires_grad=True)


def host(backend, value):
    if isinstance(value, torch.Tensor):
        return value.detach().numpy()
    return backend.to_host(value.array)


def _inputs(module, backend, arrays):
    c = constant(module, backend)
    return [c(a).requires_grad_() for a in arrays]


def derivatives(backend, function, makers, seed=0):
    """``(first, second)`` per side: the gradients of ``(f(inputs) * u).sum()`` and those of
    ``(sum of gradient * v)`` with respect to every input, for random ``u``, ``v``."""
    rng = np.random.default_rng(seed)
    arrays = [make(rng) for make in makers]
    sides = []
    for module in (xpnet, torch):
        F, c = module.nn.functional, constant(module, backend)
        inputs = _inputs(module, backend, arrays)
        output = function(module, F, c, *inputs)
        u = c(np.random.default_rng(seed + 1).standard_normal(output.shape))
        first = module.autograd.grad((output * u).sum(), inputs, create_graph=True)
        vs = [c(np.random.default_rng(seed + 2).standard_normal(a.shape)) for a in arrays]
        total = sum((g * v).sum() for g, v in zip(first, vs, strict=True))
        second = module.autograd.grad(total, inputs, allow_unused=True)
        sides.append((first, second))
    return sides


def _compare(backend, ours, theirs, what, rtol=None):
    if rtol is None:
        assert_close(host(backend, ours), host(backend, theirs), F64, what)
    else:
        np.testing.assert_allclose(host(backend, ours), host(backend, theirs), rtol, 0, what)


def check_second_derivatives(backend, function, makers, rtol=None):
    """First and second derivatives of a case equal torch's, ``requires_grad`` included."""
    (first, second), (torch_first, torch_second) = derivatives(backend, function, makers)
    for index, (ours, theirs) in enumerate(zip(first, torch_first, strict=True)):
        assert ours.requires_grad == theirs.requires_grad, f"gradient {index}: requires_grad"
        _compare(backend, ours, theirs, f"gradient {index}", rtol)
    for index, (ours, theirs) in enumerate(zip(second, torch_second, strict=True)):
        if theirs is None:  # unused by torch's graph: ours is unused too, or zero
            assert ours is None or not host(backend, ours).any(), f"second {index}"
            continue
        assert ours is not None, f"second derivative {index}: None, torch has one"
        _compare(backend, ours, theirs, f"second derivative {index}", rtol)


def check_third_derivatives(backend, function, makers):
    """The gradients of ``sum(second ** 3)``, ``second`` those of ``sum(first ** 2)``."""
    rng = np.random.default_rng(3)
    arrays = [make(rng) for make in makers]
    results = []
    for module in (xpnet, torch):
        inputs = _inputs(module, backend, arrays)
        value = function(module, module.nn.functional, constant(module, backend), *inputs)
        first = module.autograd.grad(value.sum(), inputs, create_graph=True, allow_unused=True)
        squares = sum((g * g).sum() for g in first if g is not None)
        second = module.autograd.grad(squares, inputs, create_graph=True, allow_unused=True)
        cubes = sum((g * g * g).sum() for g in second if g is not None)
        results.append(module.autograd.grad(cubes, inputs, allow_unused=True))
    for ours, theirs in zip(*results, strict=True):
        assert (ours is None) == (theirs is None)
        if ours is not None:
            assert_close(host(backend, ours), host(backend, theirs), F64, "third derivative")
