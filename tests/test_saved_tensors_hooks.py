"""``xpnet.autograd.graph.saved_tensors_hooks``, ``save_on_cpu`` and
``disable_saved_tensors_hooks`` against ``torch.autograd.graph``'s: what the hooks see, when
they run, which hooks apply, their errors; and that gradients stay those without hooks
(first and second order, custom Functions, in-place changes after the save, threads)."""

from __future__ import annotations

import threading

import numpy as np
import pytest
import torch

import xpnet
from xpnet.autograd import graph


def _leaf(lib, values=(0.5, -1.5, 2.0)):
    return lib.tensor(list(values), requires_grad=True)


def _record(lib, build):
    """The hook calls (("pack", is an input) / "unpack") of ``build``'s forward and backward."""
    x, y = _leaf(lib), _leaf(lib, (1.0, 2.0, 3.0))
    log = []

    def pack(tensor):
        log.append(("pack", tensor is x or tensor is y))
        return tensor

    def unpack(tensor):
        log.append("unpack")
        return tensor

    with lib.autograd.graph.saved_tensors_hooks(pack, unpack):
        out = build(x, y)
    out.backward()
    return log, x.grad.tolist()


@pytest.mark.parametrize(
    "build",
    [lambda x, y: (x * y).sum(), lambda x, y: (x * x).sum() * 1.0],
    ids=["product", "square"],
)
def test_inputs_saved_are_packed_as_the_input_tensors_as_torchs(backend, build):
    """A product saves both inputs in both libraries: packed as the tensors themselves, then
    unpacked once each."""
    ours, theirs = _record(xpnet, build), _record(torch, build)
    assert ours[1] == pytest.approx(theirs[1])
    ours_products = [e for e in ours[0] if e == ("pack", True)]
    assert ours_products == [e for e in theirs[0] if e == ("pack", True)]
    assert ours[0].count("unpack") >= theirs[0].count("unpack") > 0


def test_gradients_through_packing_to_numpy_and_back(backend):
    x = xpnet.Tensor(backend.asarray(np.linspace(-1, 1, 6).reshape(2, 3)), requires_grad=True)
    w = xpnet.Tensor(backend.asarray(np.linspace(0, 2, 12).reshape(3, 4)), requires_grad=True)

    def loss():
        return (xpnet.nn.functional.relu(x @ w).exp() * w.sum(0)).sum()

    loss().backward()
    expected = [x.grad.tolist(), w.grad.tolist()]
    x.grad = w.grad = None
    packed_types = set()

    def pack(tensor):  # host copies: the node keeps no array of the backend
        packed_types.add(type(xpnet.to_numpy(tensor.array)))
        return xpnet.to_numpy(tensor.array).copy()

    with graph.saved_tensors_hooks(pack, lambda a: xpnet.Tensor(backend.asarray(a))):
        result = loss()
    result.backward()
    assert packed_types == {np.ndarray}
    np.testing.assert_allclose(x.grad.tolist(), expected[0], rtol=1e-12)
    np.testing.assert_allclose(w.grad.tolist(), expected[1], rtol=1e-12)


def test_save_on_cpu_gives_the_same_gradients(backend):
    x = xpnet.Tensor(backend.asarray(np.linspace(-2, 2, 8)), requires_grad=True)
    (x.tanh() * x.sigmoid()).sum().backward()
    expected, x.grad = x.grad.tolist(), None
    for pin_memory in (False, True):
        with graph.save_on_cpu(pin_memory=pin_memory):
            y = (x.tanh() * x.sigmoid()).sum()
        y.backward()
        np.testing.assert_allclose(x.grad.tolist(), expected, rtol=1e-12)
        assert type(x.grad.array) is type(x.array)  # back on the input's backend
        x.grad = None


def test_innermost_hooks_apply_and_unpack_runs_each_backward():
    for lib in (torch, xpnet):
        x, log = _leaf(lib), []
        hooks = lib.autograd.graph.saved_tensors_hooks
        with hooks(lambda t, log=log: log.append(1) or t, lambda t: t):
            with hooks(
                lambda t, log=log: log.append(3) or t, lambda t, log=log: log.append(4) or t
            ):
                y = x * x
        y.sum().backward(retain_graph=True)
        y.sum().backward()
        assert log == [3, 3, 4, 4, 4, 4], lib.__name__


def test_unpack_must_return_a_tensor_as_torchs():
    messages = []
    for lib in (torch, xpnet):
        x = _leaf(lib)
        with lib.autograd.graph.saved_tensors_hooks(lambda t: 5, lambda packed: packed):
            y = (x * x).sum()
        with pytest.raises(TypeError) as error:
            y.backward()
        messages.append(str(error.value))
    assert messages[0] == messages[1]


def test_disable_refuses_hooks_inside_and_while_in_force_as_torchs():
    for lib in (torch, xpnet):
        hooks, disable = (
            lib.autograd.graph.saved_tensors_hooks,
            lib.autograd.graph.disable_saved_tensors_hooks,
        )
        with disable("no hooks here"):
            with pytest.raises(RuntimeError, match="^no hooks here$"):
                with hooks(lambda t: t, lambda t: t):
                    pass
        with hooks(lambda t: t, lambda t: t):  # allowed again after the block
            with pytest.raises(RuntimeError, match="^not now$"):
                with disable("not now"):
                    pass


def _square(lib):
    class Square(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x, None)
            return x * x

        @staticmethod
        def backward(ctx, grad_output):
            x, nothing = ctx.saved_tensors
            assert nothing is None
            return 2 * x * grad_output

    return Square


def test_custom_function_saved_tensors_are_packed_as_torchs():
    logs = []
    for lib in (torch, xpnet):
        x, log = _leaf(lib), []
        with lib.autograd.graph.saved_tensors_hooks(
            lambda t, x=x, log=log: log.append(t is x) or t,
            lambda t, log=log: log.append("u") or t,
        ):
            y = _square(lib).apply(x)
        y.sum().backward()
        logs.append((log, x.grad.tolist()))
    assert logs[0] == logs[1]


def test_second_order_gradients_unpack_the_saved_values():
    x = _leaf(xpnet)
    (first,) = xpnet.autograd.grad((x * x * x).sum(), x, create_graph=True)
    first.sum().backward()
    expected, x.grad, unpacked = x.grad.tolist(), None, []
    with graph.saved_tensors_hooks(lambda t: t.detach().clone(), lambda t: unpacked.append(1) or t):
        y = (x * x * x).sum()
    (first,) = xpnet.autograd.grad(y, x, create_graph=True)
    first.sum().backward()
    assert unpacked and x.grad.tolist() == pytest.approx(expected)


def test_a_saved_input_changed_in_place_keeps_its_old_value():
    """As without hooks (xpnet's rule for recorded in-place changes): the backward sees the
    value the op was recorded with, which PyTorch refuses to run with instead."""

    def gradient(hooks):
        x = _leaf(xpnet)
        with hooks:
            a = x * 1.0
            y = (a * a).sum()
        a.mul_(3.0)
        y.backward()
        return x.grad.tolist()

    identity = graph.saved_tensors_hooks(lambda t: t, lambda t: t)
    assert gradient(identity) == gradient(
        graph.saved_tensors_hooks(lambda t: t.clone(), lambda t: t)
    )
    assert gradient(identity) == pytest.approx([1.0, -3.0, 4.0])


def test_hooks_are_per_thread():
    packed, x = [], _leaf(xpnet)
    entered, done = threading.Event(), threading.Event()

    def other():
        with graph.saved_tensors_hooks(lambda t: packed.append("other") or t, lambda t: t):
            entered.set()
            done.wait(5)

    thread = threading.Thread(target=other)
    thread.start()
    entered.wait(5)
    (x * x).sum().backward()  # no hooks on this thread
    done.set()
    thread.join()
    assert packed == []


def test_values_that_are_not_inputs_go_to_the_innermost_hooks_too():
    """max-pooling's indices: saved by xpnet's node as an extra, not an input."""
    x = xpnet.Tensor(np.arange(16.0).reshape(1, 1, 4, 4), requires_grad=True)
    outer, inner = [], []
    with graph.saved_tensors_hooks(lambda t: outer.append(t) or t, lambda t: t):
        with graph.saved_tensors_hooks(lambda t: inner.append(t) or t, lambda t: t):
            y = xpnet.nn.functional.max_pool2d(x, 2)
    y.sum().backward()
    assert outer == [] and any(t is x for t in inner) and any(t is not x for t in inner)
    assert x.grad.tolist()[0][0][1] == [0.0, 1.0, 0.0, 1.0]
