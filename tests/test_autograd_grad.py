"""``xpnet.autograd.grad``, ``xpnet.autograd.backward`` and ``Tensor.backward(inputs=...)``
against ``torch.autograd`` in float64: values, what lands in ``.grad`` (nothing, for
``grad``), which nodes run, and PyTorch's errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import xpnet


def _pair(backend, values, requires_grad=True):
    """The same float64 values as an xpnet Tensor on ``backend`` and a torch tensor."""
    values = np.asarray(values, dtype=np.float64)
    ours = xpnet.Tensor(backend.asarray(values), requires_grad=requires_grad)
    return ours, torch.tensor(values, requires_grad=requires_grad)


def _host(backend, value):
    if value is None:
        return None
    if isinstance(value, torch.Tensor):
        return value.detach().numpy()
    return backend.to_host(value.array if hasattr(value, "grad_fn") else value)


def test_grad_matches_torch_for_leaves_and_intermediates(backend):
    rng = np.random.default_rng(0)
    (x, tx), (w, tw) = (
        _pair(backend, rng.standard_normal((4, 3))),
        _pair(backend, rng.standard_normal((2, 3))),
    )
    results = []
    for module, a, b in ((xpnet, x, w), (torch, tx, tw)):
        hidden = (a @ b.T).tanh()  # an intermediate input too
        loss = (hidden * hidden).sum() + a.sum()
        results.append((module.autograd.grad(loss, [a, hidden, b]), a.grad, b.grad))
    (ours, x_grad, w_grad), (theirs, _, _) = results
    for mine, reference in zip(ours, theirs, strict=True):
        assert mine.grad_fn is None and not mine.requires_grad
        np.testing.assert_allclose(_host(backend, mine), reference.numpy(), rtol=1e-12)
    assert x_grad is None and w_grad is None  # nothing accumulated


def test_grad_with_several_outputs_and_upstream_gradients_matches_torch(backend):
    (x, tx) = _pair(backend, [1.0, -2.0, 3.0])
    upstream = np.array([0.5, 2.0, -1.0])
    results = []
    for module, a in ((xpnet, x), (torch, tx)):
        gradient = backend.asarray(upstream) if module is xpnet else torch.tensor(upstream)
        outputs = [a.exp(), (a * a).sum()]
        results.append(module.autograd.grad(outputs, a, grad_outputs=[gradient, None]))
    np.testing.assert_allclose(_host(backend, results[0][0]), results[1][0].numpy(), rtol=1e-12)


def test_grad_runs_only_the_nodes_leading_to_its_inputs(backend):
    """As PyTorch's: ``c * d``'s node is not run (so not freed) by a gradient for ``a``."""
    for module in (xpnet, torch):
        a, b, c, d = (
            module.tensor([value], dtype=module.float64, requires_grad=True)
            for value in (1.0, 2.0, 3.0, 4.0)
        )
        other = c * d
        (grad_a,) = module.autograd.grad((a * b + other).sum(), a)
        assert grad_a.tolist() == [2.0]
        other.sum().backward()  # its saved values are still there
        assert (c.grad.tolist(), d.grad.tolist()) == ([4.0], [3.0])


def test_a_walk_stops_at_an_intermediate_target(backend):
    """A gradient for an intermediate ``h`` neither runs nor frees ``h``'s own node, so a
    later backward through ``h`` works: as PyTorch for ``grad`` (before, it raised "second
    time"). ``backward(inputs=[h])`` does not run it either, where PyTorch frees it."""
    for module in (xpnet, torch):
        x = module.tensor([1.0, 3.0], dtype=module.float64, requires_grad=True)
        h = x * x
        (grad_h,) = module.autograd.grad((h * 3).sum(), h)
        (h * 5).sum().backward()
        assert (grad_h.tolist(), x.grad.tolist()) == ([3.0, 3.0], [10.0, 30.0])
    x = xpnet.tensor([1.0, 3.0], dtype=xpnet.float64, requires_grad=True)
    h = x * x
    (h * 2).sum().backward(inputs=[h])
    assert h.grad.tolist() == [2.0, 2.0] and x.grad is None
    (h * 5).sum().backward()
    assert x.grad.tolist() == [10.0, 30.0]


def test_grad_hooks_run_and_unused_inputs_follow_torch(backend):
    seen = []
    for module in (xpnet, torch):
        a = module.tensor([1.0, 2.0], dtype=module.float64, requires_grad=True)
        unused = module.tensor([5.0], dtype=module.float64, requires_grad=True)
        a.register_hook(lambda g, seen=seen: seen.append(list(np.asarray(g.tolist()))))
        loss = (a * 3).sum()
        with pytest.raises(RuntimeError, match="used in the graph"):
            module.autograd.grad(loss, [a, unused], retain_graph=True)
        _, none = module.autograd.grad(loss, [a, unused], retain_graph=True, allow_unused=True)
        _, zeros = module.autograd.grad(loss, [a, unused], materialize_grads=True)
        assert none is None and zeros.tolist() == [0.0]
    assert seen[: len(seen) // 2] == seen[len(seen) // 2 :]


def test_grad_frees_the_graph_unless_retained_as_torch(backend):
    for module, error in ((torch, "second time"), (xpnet, "second time")):
        a = module.tensor([1.0], dtype=module.float64, requires_grad=True)
        loss = (a.exp() * 2).sum()
        module.autograd.grad(loss, a, retain_graph=True)
        module.autograd.grad(loss, a)
        with pytest.raises(RuntimeError, match=error):
            module.autograd.grad(loss, a)


def test_grad_refuses_what_torch_refuses(backend):
    a = xpnet.tensor([1.0, 2.0], requires_grad=True)
    constant = xpnet.tensor([1.0, 2.0])
    with pytest.raises(RuntimeError, match="input 0 .* does not require grad"):
        xpnet.autograd.grad((a * constant).sum(), constant)
    with pytest.raises(RuntimeError, match="element 0 of tensors does not require grad"):
        xpnet.autograd.grad(constant.sum(), a)
    with pytest.raises(ValueError, match="got 2 gradients for 1 tensors"):
        xpnet.autograd.grad((a * a).sum(), a, grad_outputs=[None, None])


def test_an_input_gradient_for_an_adversarial_step_matches_torch(backend):
    """FGSM's step, ``x + eps * sign(d loss / d x)``, on a small model: the weights keep no
    gradient."""
    rng = np.random.default_rng(1)
    images, labels = rng.standard_normal((5, 8)), rng.integers(0, 3, 5)
    weight, bias = rng.standard_normal((3, 8)), rng.standard_normal(3)
    steps = []
    for module, functional in ((xpnet, xpnet.nn.functional), (torch, torch.nn.functional)):
        layer = module.nn.Linear(8, 3).double()
        state = {"weight": weight, "bias": bias}
        layer.load_state_dict(
            state if module is xpnet else {k: torch.tensor(v) for k, v in state.items()}
        )
        if module is xpnet:
            layer.to(backend.name)
            x = xpnet.Tensor(backend.asarray(images), requires_grad=True)
            y = xpnet.Tensor(backend.asarray(labels))
        else:
            x, y = torch.tensor(images, requires_grad=True), torch.tensor(labels)
        (gradient,) = module.autograd.grad(functional.cross_entropy(layer(x), y), x)
        assert layer.weight.grad is None
        steps.append(_host(backend, x.detach() + 0.1 * gradient.sign()))
    np.testing.assert_allclose(steps[0], steps[1], rtol=1e-12)


def test_backward_with_inputs_fills_only_their_grad_as_torch(backend):
    values = np.random.default_rng(2).standard_normal((2, 3))
    results = []
    for module in (xpnet, torch):
        a, b = (module.tensor(row, requires_grad=True) for row in values)
        hidden = a * b
        (hidden.exp().sum()).backward(inputs=[b, hidden])
        results.append((a.grad, b.grad.tolist(), hidden.grad.tolist()))
    assert results[0][0] is None and results[1][0] is None
    np.testing.assert_allclose(results[0][1], results[1][1], rtol=1e-12)
    np.testing.assert_allclose(results[0][2], results[1][2], rtol=1e-12)


def test_autograd_backward_of_several_tensors_matches_torch(backend):
    results = []
    for module in (xpnet, torch):
        a = module.tensor([1.0, 2.0], dtype=module.float64, requires_grad=True)
        first, second = a * 3, (a * a).sum()
        gradient = module.tensor([1.0, -1.0], dtype=module.float64)
        module.autograd.backward([first, second], [gradient, None])
        results.append(a.grad.tolist())
    assert results[0] == results[1]
