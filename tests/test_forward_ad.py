"""``xpnet.autograd.forward_ad`` against ``torch.autograd.forward_ad`` in float64: tangents of
results computed from dual tensors, the level rules and the errors."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
import torch.autograd.forward_ad as tfwAD
import xpnet.autograd.forward_ad as fwAD
from _oracle import random_input

import xpnet
import xpnet.nn.functional as F

FUNCTIONS = {
    "polynomial": lambda m, f, x, y: (x**3 * y - 2 * x).sum(dim=1),
    "matmul_tanh": lambda m, f, x, y: m.tanh(x @ y.T),
    "softmax": lambda m, f, x, y: f.softmax(x * y, dim=1),
    "logsumexp_div": lambda m, f, x, y: m.logsumexp(x / (1 + y * y), dim=0),
    "conv2d": lambda m, f, x, y: f.conv2d(x.reshape(1, 1, 3, 4), y.reshape(1, 1, 3, 4)[..., :2]),
    "independent_of_y": lambda m, f, x, y: x.exp(),
}


def run(module, functional, forward_ad, name, arrays):
    x, y, tx, ty = (module.tensor(a) for a in arrays)
    with warnings.catch_warnings(), forward_ad.dual_level():
        # torch's forward AD imports a torch.jit.script function, deprecated in 2.13
        warnings.filterwarnings("ignore", "`torch.jit.script` is deprecated", DeprecationWarning)
        dual_x, dual_y = forward_ad.make_dual(x, tx), forward_ad.make_dual(y, ty)
        out = FUNCTIONS[name](module, functional, dual_x, dual_y)
        primal, tangent = forward_ad.unpack_dual(out)
        return np.asarray(primal.tolist()), np.asarray(tangent.tolist())


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_tangents_match_pytorchs_forward_mode(backend, name):
    arrays = [random_input((3, 4)) for _ in range(4)]
    expected = run(torch, torch.nn.functional, tfwAD, name, arrays)
    got = run(xpnet, F, fwAD, name, arrays)
    for ours, theirs in zip(got, expected, strict=True):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-12)


def test_a_primal_that_requires_grad_keeps_its_gradient_and_a_linked_tangent(backend):
    results = []
    quiet = ("ignore", "`torch.jit.script` is deprecated", DeprecationWarning)
    for m, ad in ((torch, tfwAD), (xpnet, fwAD)):
        q = m.tensor([1.0, 2.0], dtype=m.float64, requires_grad=True)
        with warnings.catch_warnings(), ad.dual_level():
            warnings.filterwarnings(*quiet)
            z = (ad.make_dual(q, m.tensor([1.0, 0.5], dtype=m.float64)) ** 2).sum()
            tangent = ad.unpack_dual(z).tangent
            # xpnet's tangent is computed through z's graph: keep it for the second backward
            z.backward(retain_graph=True)
            (tangent_grad,) = (torch if m is torch else xpnet).autograd.grad(tangent, q)
        results.append((tangent.item(), tangent_grad.tolist(), q.grad.tolist()))
    assert results[1] == results[0] == (4.0, [2.0, 1.0], [2.0, 4.0])


def test_tangents_are_none_outside_the_level_and_for_non_duals(backend):
    x = xpnet.tensor([1.0, 2.0])
    with fwAD.dual_level() as level:
        assert level == 0
        y = fwAD.make_dual(x, xpnet.ones(2)) * 2
        assert fwAD.unpack_dual(x).tangent is None  # the primal itself carries none
        assert fwAD.unpack_dual(xpnet.ones(2) * 3).tangent is None
        unpacked = fwAD.unpack_dual(y)
        assert isinstance(unpacked, fwAD.UnpackedDualTensor) and unpacked.tangent.tolist() == [2, 2]
    assert fwAD.unpack_dual(y).tangent is None


def test_dual_level_is_a_decorator_and_levels_do_not_nest(backend):
    @fwAD.dual_level()
    def tangent_of_square(x, t):
        return fwAD.unpack_dual(fwAD.make_dual(x, t) ** 2).tangent

    assert tangent_of_square(xpnet.tensor([3.0]), xpnet.tensor([1.0])).tolist() == [6.0]
    assert fwAD.enter_dual_level() == 0
    try:
        with pytest.raises(RuntimeError, match="Nested forward mode AD is not supported"):
            fwAD.enter_dual_level()
    finally:
        fwAD.exit_dual_level()


def test_make_dual_refuses_what_pytorch_refuses(backend):
    x = xpnet.tensor([1.0, 2.0])
    with pytest.raises(RuntimeError, match="no level exists, make sure to enter_dual_level"):
        fwAD.make_dual(x, x)
    with fwAD.dual_level():
        with pytest.raises(RuntimeError, match=r"Tensor is of size \[2\] while the given .*\[3\]"):
            fwAD.make_dual(x, xpnet.ones(3))
        with pytest.raises(ValueError, match="Expected primal to be floating point"):
            fwAD.make_dual(xpnet.tensor([1, 2]), xpnet.tensor([1, 2]))
        with pytest.raises(RuntimeError, match="Invalid level given to _make_dual"):
            fwAD.make_dual(x, x, level=5)
        dual = fwAD.make_dual(x, x)
        with pytest.raises(RuntimeError, match="already has a forward gradient at the same level"):
            fwAD.make_dual(dual, x)
        with pytest.raises(TypeError, match="make_dual: tangent must be a Tensor"):
            fwAD.make_dual(x, [1.0, 2.0])
