"""``xpnet.autograd.graph`` against ``torch.autograd.graph``: the node type, multi-tensor
gradient hooks (``register_multi_grad_hook``) and ``increment_version``."""

from __future__ import annotations

import threading

import pytest
import torch

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
