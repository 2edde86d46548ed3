"""``grad_fn.next_functions``, ``AccumulateGrad`` and ``repr(grad_fn)`` against PyTorch's:
the same graph walked from the same expression gives the same node names, the same leaves in
the same places and ``None`` for inputs without a gradient."""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch

import xpnet


def _walk(node, leaves):
    """The graph under ``node`` as nested (name, children) tuples; a leaf's AccumulateGrad
    as ``("leaf", its index in leaves)``, an input without a gradient as ``None``."""
    if node is None:
        return None
    if node.name() == "torch::autograd::AccumulateGrad":
        return ("leaf", next(i for i, leaf in enumerate(leaves) if leaf is node.variable))
    children = tuple(_walk(child, leaves) for child, _ in node.next_functions)
    assert all(index == 0 for _, index in node.next_functions)
    return node.name(), children


EXPRESSIONS = {
    "arithmetic": lambda x, w: ((x * w + 1).relu() - x / 2).sum(),
    "unary and reductions": lambda x, w: (x.exp() * w.sigmoid()).mean() + x.sum(),
    "leaf used twice": lambda x, w: (x * x + w).tanh().sum(),
    "no-grad input": lambda x, w: (x * w.detach()).sum(),
}


@pytest.mark.parametrize("expression", EXPRESSIONS.values(), ids=EXPRESSIONS.keys())
def test_next_functions_walk_the_graph_as_torchs(expression):
    values = np.random.default_rng(0).standard_normal((2, 3, 3))
    graphs = []
    for lib in (xpnet, torch):
        leaves = [lib.tensor(v, requires_grad=True) for v in values]
        graphs.append(_walk(expression(*leaves).grad_fn, leaves))
    assert graphs[0] == graphs[1]


def test_one_accumulate_grad_per_leaf_and_inputs_without_gradient():
    x, y = xpnet.ones(2, requires_grad=True), xpnet.ones(2)
    first, second = (x * 2).grad_fn, (x + y).grad_fn
    accumulate = first.next_functions[0][0]
    assert second.next_functions[0][0] is accumulate and accumulate.variable is x
    assert accumulate.next_functions == () and second.next_functions[1] == (None, 0)
    (x * 2).sum().backward()  # the graph's links outlive its backward, as PyTorch's
    assert first.next_functions[0][0] is accumulate


def test_repr_is_torchs():
    x = xpnet.ones(2, requires_grad=True)
    node = (x * 2).grad_fn
    assert re.fullmatch(r"<MulBackward0 object at 0x[0-9a-f]+>", repr(node))
    assert re.fullmatch(r"<AccumulateGrad object at 0x[0-9a-f]+>", repr(node.next_functions[0][0]))
    assert node.next_functions[0][0].name() == "torch::autograd::AccumulateGrad"


def _scale_function(lib):
    class Scale(lib.autograd.Function):
        @staticmethod
        def forward(ctx, factor, x, label, y):
            return x * factor + y

        @staticmethod
        def backward(ctx, grad):
            return None, grad * 3, None, grad

    return Scale


def test_a_custom_functions_edges_are_its_tensor_arguments_as_torchs():
    values = np.random.default_rng(0).standard_normal((2, 3))
    graphs = []
    for lib in (xpnet, torch):
        leaves = [lib.tensor(v, requires_grad=True) for v in values]
        x, w = leaves
        result = _scale_function(lib).apply(3.0, x.exp(), "label", w.detach())
        graphs.append(_walk((result * w).grad_fn, leaves))
    assert (
        graphs[0]
        == graphs[1]
        == (
            "MulBackward0",
            (("ScaleBackward", (("ExpBackward0", (("leaf", 0),)), None)), ("leaf", 1)),
        )
    )


def test_products_of_matrices_and_vectors_are_named_as_torchs():
    names = []
    for lib in (xpnet, torch):
        m, n, v = (lib.ones(*shape, requires_grad=True) for shape in ((2, 3), (3, 4), (3,)))
        results = (m @ n, lib.mm(m, n), m @ v, lib.mv(m, v), v @ v, lib.matmul(m, n))
        names.append([r.grad_fn.name() for r in results])
    assert (
        names[0]
        == names[1]
        == ["MmBackward0"] * 2
        + ["MvBackward0"] * 2
        + [
            "DotBackward0",
            "MmBackward0",
        ]
    )


# calls whose node PyTorch names by the call: (lib, F, x (3, 4), x3 (2, 3, 4)) -> a result
NAMED_BY_THE_CALL = {
    "batched matmul": lambda lib, F, x, x3: x3 @ lib.ones(2, 4, 5),
    "3-d @ 1-d": lambda lib, F, x, x3: x3 @ lib.ones(4),
    "bmm": lambda lib, F, x, x3: lib.bmm(x3, lib.ones(2, 4, 5)),
    "linear 2-d, bias": lambda lib, F, x, x3: F.linear(x, lib.ones(5, 4), lib.ones(5)),
    "linear 2-d": lambda lib, F, x, x3: F.linear(x, lib.ones(5, 4)),
    "linear 3-d, bias": lambda lib, F, x, x3: F.linear(x3, lib.ones(5, 4), lib.ones(5)),
    "linear 3-d": lambda lib, F, x, x3: F.linear(x3, lib.ones(5, 4)),
    "linear 1-d": lambda lib, F, x, x3: F.linear(x[0], lib.ones(5, 4)),
    "dot": lambda lib, F, x, x3: lib.dot(x[0], lib.ones(4)),
    "view": lambda lib, F, x, x3: x.view(12),
    "reshape of a transpose": lambda lib, F, x, x3: x.t().reshape(12),
    "flatten": lambda lib, F, x, x3: x3.flatten(1),
    "t": lambda lib, F, x, x3: x.t(),
    "T": lambda lib, F, x, x3: x.T,
    "mT": lambda lib, F, x, x3: x3.mT,
    "swapaxes": lambda lib, F, x, x3: x3.swapaxes(0, 1),
    "squeeze()": lambda lib, F, x, x3: x[None].squeeze(),
    "squeeze(0)": lambda lib, F, x, x3: x[None].squeeze(0),
    "squeeze((0,))": lambda lib, F, x, x3: x[None].squeeze((0,)),
    "unsqueeze": lambda lib, F, x, x3: x.unsqueeze(1),
    "narrow": lambda lib, F, x, x3: x.narrow(1, 1, 2),
    "x[1]": lambda lib, F, x, x3: x[1],
    "x[1:]": lambda lib, F, x, x3: x[1:],
    "x[:]": lambda lib, F, x, x3: x[:],
    "x[:, 0]": lambda lib, F, x, x3: x[:, 0],
    "x[1:, 0]": lambda lib, F, x, x3: x[1:, 0],
    "x[0, 1:]": lambda lib, F, x, x3: x[0, 1:],
    "x[0, :]": lambda lib, F, x, x3: x[0, :],
    "x[0, [1, 2]]": lambda lib, F, x, x3: x[0, [1, 2]],
    "x[0, None]": lambda lib, F, x, x3: x[0, None],
    "x[..., -1]": lambda lib, F, x, x3: x[..., -1],
    "x[[0, 2]]": lambda lib, F, x, x3: x[[0, 2]],
    "x[mask]": lambda lib, F, x, x3: x[x > 0],
}


@pytest.mark.parametrize("name", list(NAMED_BY_THE_CALL))
def test_views_products_and_indexing_are_named_as_torchs(name):
    names = []
    for lib, F in ((xpnet, xpnet.nn.functional), (torch, torch.nn.functional)):
        x, x3 = lib.ones(3, 4, requires_grad=True), lib.ones(2, 3, 4, requires_grad=True)
        names.append(NAMED_BY_THE_CALL[name](lib, F, x, x3).grad_fn.name())
    assert names[0] == names[1]


def test_a_name_stays_after_the_backward_frees_the_node():
    x = xpnet.ones(3, 4, requires_grad=True)
    y = x.t().reshape(12)
    (y * 2).sum().backward()
    assert y.grad_fn.name() == "UnsafeViewBackward0" and y.grad_fn.args is None
