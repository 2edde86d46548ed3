"""``xpnet.autograd.graph`` against ``torch.autograd.graph``: the node type, multi-tensor
gradient hooks (``register_multi_grad_hook``), ``increment_version`` and gradient edges
(``get_gradient_edge``, taken by ``autograd.grad``)."""

from __future__ import annotations

import threading

import pytest
import torch
from _oracle import pair_function

import xpnet
from xpnet._backward_pass import on_walk_end
from xpnet.autograd import graph


def _all_mode_calls(lib):
    """What an ``"all"`` hook over (a, b, c) receives over four passes, the last after
    ``remove()``: each call's gradients as lists (``None`` where the pass gave none)."""
    a, b, c = (lib.ones(2, requires_grad=True) for _ in range(3))
    seen = []

    def fn(grads):
        seen.append([None if g is None else g.tolist() for g in grads])

    handle = lib.autograd.graph.register_multi_grad_hook((a, b, c), fn)
    (a * 2 + b).sum().backward()
    (a * 3).sum().backward()
    (c * 4).sum().backward()
    handle.remove()
    (a * 5 + b + c).sum().backward()
    return seen


def test_all_mode_runs_once_per_pass_with_every_gradient_as_torch():
    assert (
        _all_mode_calls(xpnet)
        == _all_mode_calls(torch)
        == [
            [[2.0, 2.0], [1.0, 1.0], None],
            [[3.0, 3.0], None, None],
            [None, None, [4.0, 4.0]],
        ]
    )


def test_any_mode_runs_once_per_pass_with_one_of_the_gradients():
    a, b = xpnet.ones(2, requires_grad=True), xpnet.ones(2, requires_grad=True)
    seen = []
    with graph.register_multi_grad_hook((a, b), lambda g: seen.append(g.tolist()), mode="any"):
        (a * 2 + b * 5).sum().backward()
        (b * 7).sum().backward()
        (xpnet.ones(2, requires_grad=True) * 2).sum().backward()  # reaches neither
    (a * 2).sum().backward()  # removed on leaving the block
    assert len(seen) == 2 and seen[0] in ([2.0, 2.0], [5.0, 5.0]) and seen[1] == [7.0, 7.0]


def test_all_mode_sees_intermediate_tensors_and_passes_inside_a_pass():
    """Hooks on non-leaves; a checkpoint's own walk inside the outer one keeps its own
    gradients apart."""
    x = xpnet.ones(3, requires_grad=True)
    h = x * 2
    seen = []
    graph.register_multi_grad_hook((h, x), lambda grads: seen.append([g.tolist() for g in grads]))
    segment = xpnet.utils.checkpoint.checkpoint(lambda v: v.exp(), h, use_reentrant=True)
    (segment * 0 + h * 3).sum().backward()
    assert seen == [[[3.0] * 3, [6.0] * 3]]


def test_multi_grad_hook_refuses_as_torch():
    for lib in (xpnet, torch):
        with pytest.raises(ValueError, match=r"Expects mode to be one of \('all', 'any'\)"):
            lib.autograd.graph.register_multi_grad_hook((lib.ones(1),), print, mode="some")
    with pytest.raises(RuntimeError, match="does not require grad"):
        graph.register_multi_grad_hook((xpnet.ones(1),), print)


def test_passes_on_threads_keep_their_gradients_apart():
    a = xpnet.ones(4, requires_grad=True)
    seen, barrier = [], threading.Barrier(2)

    def record(grads):
        seen.append(grads[0].tolist())

    graph.register_multi_grad_hook((a,), record)

    def run(scale):
        barrier.wait()
        (a * scale).sum().backward()

    threads = [threading.Thread(target=run, args=(s,)) for s in (2.0, 3.0)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(seen) == [[2.0] * 4, [3.0] * 4]


def test_increment_version_makes_saving_nodes_refuse_as_torch():
    for lib in (xpnet, torch):
        x, w = lib.ones(2, requires_grad=True), lib.ones(2, requires_grad=True)
        h = x * 1
        y = (h * w).sum()
        lib.autograd.graph.increment_version(h)
        assert h._version == 1
        with pytest.raises(RuntimeError, match="in-?place operation"):
            y.backward()
    with pytest.raises(TypeError, match="expected a Tensor"):
        graph.increment_version(3.0)


def test_node_is_every_grad_fns_type():
    x = xpnet.ones(2, requires_grad=True)
    assert isinstance((x * 2).grad_fn, graph.Node)
    assert isinstance((x * 2).grad_fn, xpnet.autograd.graph.Node)
    assert set(graph.__all__) <= set(dir(torch.autograd.graph))


def test_walk_end_callbacks_need_a_walk():
    with pytest.raises(RuntimeError, match="Final callbacks can only be installed during"):
        on_walk_end(print)


def _edges_case(lib):
    x = lib.tensor([1.0, -2.0], requires_grad=True)
    h = x * 3
    y = (h * h).sum() + x.sum()
    return x, h, y


def test_gradient_edges_stand_for_their_tensors_in_grad_as_torchs():
    results = []
    for lib in (torch, xpnet):
        x, h, y = _edges_case(lib)
        edge, leaf_edge = (
            lib.autograd.graph.get_gradient_edge(h),
            lib.autograd.graph.get_gradient_edge(x),
        )
        assert (edge.node.name(), edge.output_nr, edge.ownership_token) == ("MulBackward0", 0, None)
        assert edge.node is h.grad_fn and leaf_edge.node.variable is x
        both = lib.autograd.grad(y, [edge, x], retain_graph=True)
        (alone,) = lib.autograd.grad(y, leaf_edge, retain_graph=True)
        outside = lib.autograd.graph.get_gradient_edge(lib.ones(2, requires_grad=True) * 2)
        unused = lib.autograd.grad(y, [outside, h], allow_unused=True, retain_graph=True)
        with pytest.raises(RuntimeError, match="appears to not have been used in the graph"):
            lib.autograd.grad(y, outside, retain_graph=True)
        results.append([[g.tolist() for g in both], alone.tolist(), unused[0], unused[1].tolist()])
    assert results[0] == results[1]


def test_gradient_edge_of_a_custom_functions_output_and_refusals_as_torchs():
    messages = []
    for lib in (torch, xpnet):
        x = lib.ones(2, requires_grad=True)
        _, second = pair_function(lib).apply(x)
        edge = lib.autograd.graph.get_gradient_edge(second)
        assert edge.node is second.grad_fn and edge.output_nr == 1
        assert lib.autograd.grad(second.sum(), edge)[0].tolist() == [1.0, 1.0]
        with pytest.raises(RuntimeError) as error:
            lib.autograd.graph.get_gradient_edge(lib.ones(2))
        messages.append(str(error.value))
    assert messages[0] == messages[1]
