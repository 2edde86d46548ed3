"""The order in which a backward pass runs its nodes, against PyTorch's engine: a node once
every user of its outputs has run; of the ready ones, a leaf's ``AccumulateGrad`` first,
else the node made last. Seen through the order of tensor hooks, post-accumulate hooks and
``register_multi_grad_hook(mode="any")``, on graphs whose depth-first order differs."""

from __future__ import annotations

import pytest
import torch
from _oracle import pair_function

import xpnet


def _leaves(lib, count):
    return [lib.full((2,), float(i + 1), requires_grad=True) for i in range(count)]


def _branches(lib):
    a, b, c = _leaves(lib, 3)
    x, y = a * 2, b * 3
    w = (a + c) * y
    return x + y + w, dict(a=a, b=b, c=c, x=x, y=y, w=w)


def _ladder(lib):
    """Side branches made in an order unlike the chain's."""
    a, b, c, d = _leaves(lib, 4)
    side = d.exp()
    h = a * b
    h = h.tanh() + c * 2
    h = h * side + a.sin()
    return h * b, dict(a=a, b=b, c=c, d=d, side=side, h=h)


def _shared_input(lib):
    a, b = _leaves(lib, 2)
    x = a * a  # two edges from one node
    y = b + a
    z = y.exp() * x + x.cos()
    return z, dict(a=a, b=b, x=x, y=y)


def _two_outputs(lib):
    a, b = _leaves(lib, 2)
    u, v = pair_function(lib).apply(a)
    late = b.exp() * 4  # made after the pair, on another branch
    return u.sin() + (v * late).cos() + late, dict(a=a, b=b, u=u, v=v, late=late)


GRAPHS = [_branches, _ladder, _shared_input, _two_outputs]


def _hook_order(lib, build, run):
    log = []
    root, named = build(lib)
    for name, tensor in named.items():
        tensor.register_hook(lambda g, name=name: log.append(name))
        if tensor.grad_fn is None:
            tensor.register_post_accumulate_grad_hook(lambda t, name=name: log.append(name + "."))
    run(lib, root, named)
    return log


def _backward(lib, root, named):
    root.sum().backward()


def _grad_of_some(lib, root, named):
    leaves = [t for t in named.values() if t.grad_fn is None]
    lib.autograd.grad(root.sum(), leaves[:2], retain_graph=True)


def _create_graph(lib, root, named):
    leaves = [t for t in named.values() if t.grad_fn is None]
    lib.autograd.grad(root.sum(), leaves, create_graph=True)


def _two_roots(lib, root, named):
    inner = next(t for t in named.values() if t.grad_fn is not None)
    lib.autograd.backward([root.sum(), inner.sum() * 3])


@pytest.mark.parametrize("build", GRAPHS, ids=lambda f: f.__name__.strip("_"))
@pytest.mark.parametrize(
    "run", [_backward, _grad_of_some, _create_graph, _two_roots], ids=lambda f: f.__name__
)
def test_hooks_run_in_the_order_of_torchs_engine(backend, build, run):
    assert _hook_order(xpnet, build, run) == _hook_order(torch, build, run)


def test_any_mode_multi_grad_hook_gets_torchs_first_gradient(backend):
    seen = {}
    for lib in (torch, xpnet):
        a, b = _leaves(lib, 2)
        found = seen[lib.__name__] = []
        lib.autograd.graph.register_multi_grad_hook(
            (a, b), lambda g, found=found: found.append(g.tolist()), mode="any"
        )
        (a * 2 + b * 5).sum().backward()  # b's node was made last: it runs first
    assert seen["xpnet"] == seen["torch"] == [[5.0, 5.0]]
