"""``Module.register_full_backward_hook`` and ``register_full_backward_pre_hook`` against
PyTorch's: which hooks run, in which order, with which ``grad_input`` / ``grad_output``, and
what their returned replacements do to the gradients of the inputs and parameters."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import xpnet
from xpnet.autograd import Tensor, data_of

RNG = np.random.default_rng(0)


class TwoInputs:
    """``forward(a, scale, b, *, shift)``: a non-Tensor positional argument, a keyword one
    (left out of ``grad_input``) and three outputs, one of them not a Tensor."""

    def forward(self, a, scale, b, *, shift=0.0):
        return (a * b) * scale + shift, 7, (b * 2).tanh()


# one class name on both sides: the hooks' records name the module's class
TorchTwo = type("Two", (TwoInputs, torch.nn.Module), {})
XpnetTwo = type("Two", (TwoInputs, xpnet.nn.Module), {})


def _linear(nn):
    return nn.Linear(3, 2)


def _conv(nn):
    return nn.Conv2d(2, 3, 3, padding=1)


def _sequential(nn):
    return nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))


def _pair(build, backend):
    """The same module on both sides: torch in float64, xpnet with torch's weights."""
    torch_module = build(torch.nn).double()
    module = build(xpnet.nn).to(backend.name, dtype="float64")
    state = {key: value.detach().numpy() for key, value in torch_module.state_dict().items()}
    module.load_state_dict(state)
    return torch_module, module


def _host(grad, backend):
    if grad is None:
        return None
    if isinstance(grad, torch.Tensor):
        return grad.detach().numpy()
    return np.asarray(backend.to_host(data_of(grad)))


def _recorder(log, name, backend, scale=None):
    """A hook that logs what it gets; with ``scale``, returns its gradients times ``scale``
    (``grad_output`` for a pre-hook, ``grad_input`` for a hook)."""

    def record(module, *grads):
        log.append((name, type(module).__name__, [[_host(g, backend) for g in gs] for gs in grads]))
        if scale is not None:
            return tuple(None if g is None else g * scale for g in grads[0])
        return None

    return record


def _register(module, log, backend, plan):
    """``plan``: ``(path, kind, name, scale)`` rows; kind ``pre``, ``full`` or ``prepend``."""
    handles = {}
    for path, kind, name, scale in plan:
        target = module.get_submodule(path)
        hook = _recorder(log, name, backend, scale=scale)
        if kind == "pre":
            handles[name] = target.register_full_backward_pre_hook(hook)
        else:
            handles[name] = target.register_full_backward_hook(hook, prepend=kind == "prepend")
    return handles


def _run(module, arrays, grad_flags, weights, wrap, *, args=(), kwargs=None):
    """Call ``module`` on ``arrays`` (Tensors made by ``wrap``), back-propagate
    ``sum(output_i * weights_i)`` over the Tensor outputs whose weight is not ``None``; returns
    the inputs' and parameters' gradients."""
    inputs = [wrap(array, flag) for array, flag in zip(arrays, grad_flags, strict=True)]
    outputs = module(*inputs[:1], *args, *inputs[1:], **(kwargs or {}))
    outputs = outputs if isinstance(outputs, tuple) else (outputs,)
    total = None
    for output, weight in zip(outputs, weights, strict=True):
        if weight is not None:
            term = (output * wrap(weight, False)).sum()
            total = term if total is None else total + term
    total.backward()
    return [x.grad for x in inputs] + [p.grad for p in module.parameters()]


def _compare(build, shapes, plan, backend, *, grad_flags=None, args=(), kwargs=None, out=()):
    torch_module, module = _pair(build, backend) if callable(build) else build
    arrays = [RNG.standard_normal(shape) for shape in shapes]
    weights = [None if shape is None else RNG.standard_normal(shape) for shape in out]
    flags = grad_flags or [True] * len(arrays)
    logs = [], []
    _register(torch_module, logs[0], backend, plan)
    _register(module, logs[1], backend, plan)

    def torch_wrap(array, flag):
        return torch.tensor(array, requires_grad=flag)

    def xpnet_wrap(array, flag):
        return Tensor(backend.asarray(array), requires_grad=flag)

    expected = _run(torch_module, arrays, flags, weights, torch_wrap, args=args, kwargs=kwargs)
    got = _run(module, arrays, flags, weights, xpnet_wrap, args=args, kwargs=kwargs)
    _assert_same(logs[1], logs[0])
    _assert_same([_host(g, backend) for g in got], [_host(g, backend) for g in expected])
    return logs[1]


def _assert_same(got, expected):
    """Equal nested lists/tuples, with arrays compared to float64 precision."""
    if isinstance(expected, np.ndarray):
        assert isinstance(got, np.ndarray) and got.shape == expected.shape
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)
    elif isinstance(expected, list | tuple):
        assert len(got) == len(expected), (got, expected)
        for item, want in zip(got, expected, strict=True):
            _assert_same(item, want)
    else:
        assert got == expected


OUT_2 = ((4, 2),)


@pytest.mark.parametrize(
    "build, shapes, out",
    [(_linear, [(4, 3)], OUT_2), (_conv, [(2, 2, 5, 5)], ((2, 3, 5, 5),))],
    ids=["linear", "conv2d"],
)
@pytest.mark.parametrize("pre_scale, scale", [(None, None), (2.0, None), (None, 3.0), (0.5, -1.0)])
def test_full_backward_hooks_match_torch(backend, build, shapes, out, pre_scale, scale):
    plan = [("", "pre", "pre", pre_scale), ("", "full", "full", scale)]
    log = _compare(build, shapes, plan, backend, out=out)
    assert [name for name, _, _ in log] == ["pre", "full"]


def test_sequential_hooks_run_in_torch_order(backend):
    plan = [
        ("", "pre", "seq pre", None),
        ("", "full", "seq", 2.0),
        ("0", "full", "fc1", None),
        ("1", "pre", "tanh pre", 0.5),
        ("1", "full", "tanh", 3.0),
        ("2", "pre", "fc2 pre", None),
        ("2", "full", "fc2", None),
    ]
    log = _compare(_sequential, [(4, 3)], plan, backend, out=OUT_2)
    order = ["seq pre", "fc2 pre", "fc2", "tanh pre", "tanh", "fc1", "seq"]
    assert [name for name, _, _ in log] == order


def test_two_input_module_with_non_tensor_arguments_and_outputs(backend):
    plan = [("", "pre", "pre", 2.0), ("", "full", "full", None), ("", "full", "more", -1.0)]
    pair = TorchTwo(), XpnetTwo()
    kwargs = {"shift": 1.5}
    log = _compare(
        pair,
        [(2, 3), (2, 3)],
        plan,
        backend,
        args=(0.5,),
        kwargs=kwargs,
        out=((2, 3), None, (2, 3)),
    )
    _, _, (grad_input, grad_output) = log[1]
    assert grad_input[1] is None and grad_output[1] is None and len(grad_input) == 3


def test_unused_output_gives_none_and_unused_input_zeros(backend):
    plan = [("", "pre", "pre", None), ("", "full", "full", None)]
    pair = TorchTwo(), XpnetTwo()
    log = _compare(pair, [(2, 3), (2, 3)], plan, backend, args=(2.0,), out=(None, None, (2, 3)))
    (_, _, (grad_output,)), (_, _, (grad_input, _)) = log
    assert grad_output[:2] == [None, None] and grad_output[2].shape == (2, 3)
    assert not grad_input[0].any()  # a reaches only the unused output: zeros, as torch's


def test_input_without_grad_gets_zeros_and_hooks_fire_with_none_when_no_input_needs_grad(
    backend,
):
    plan = [("", "pre", "pre", None), ("", "full", "full", None)]
    pair = TorchTwo(), XpnetTwo()
    flags = [True, False]
    log = _compare(
        pair,
        [(2, 3), (2, 3)],
        plan,
        backend,
        grad_flags=flags,
        args=(2.0,),
        out=((2, 3), None, None),
    )
    assert not log[1][2][0][2].any()
    with pytest.warns(UserWarning, match="no inputs require gradients") as caught:
        log = _compare(_linear, [(4, 3)], plan, backend, grad_flags=[False], out=OUT_2)
    assert len(caught) == 2  # torch's and xpnet's
    assert [name for name, _, _ in log] == ["pre", "full"] and log[1][2][0] == [None]


def test_handles_remove_hooks_and_prepend_runs_first(backend):
    torch_module, module = _pair(_linear, backend)
    plan = [("", "full", "a", None), ("", "full", "b", 2.0), ("", "prepend", "c", None)]
    plan += [("", "pre", "p", None), ("", "pre", "q", None)]
    logs = [], []
    handles = [
        _register(m, log, backend, plan)
        for m, log in zip((torch_module, module), logs, strict=True)
    ]
    for found in handles:
        found["b"].remove()
        found["b"].remove()  # a second remove does nothing
        found["q"].remove()
    log = _compare((torch_module, module), [(4, 3)], [], backend, out=OUT_2)
    assert log == []  # _compare's own (empty) plan
    _assert_same(logs[1], logs[0])
    assert [name for name, _, _ in logs[1]] == ["p", "c", "a"]


def test_hooks_in_force_at_the_call_are_the_ones_that_run(backend):
    layer = xpnet.nn.Linear(3, 2).to(backend.name, dtype="float64")
    seen = []
    handle = layer.register_full_backward_hook(lambda module, gi, go: seen.append("hook"))
    x = Tensor(backend.asarray(RNG.standard_normal((4, 3))), requires_grad=True)
    output = layer(x)
    handle.remove()
    late = layer.register_full_backward_pre_hook(lambda module, go: seen.append("late"))
    output.sum().backward()
    layer(x).sum().backward()
    assert seen == ["hook", "late"]
    late.remove()
    assert not layer._hooked and "BackwardHookFunctionBackward" in repr(output.grad_fn)


def test_hooks_may_return_tensors(backend):
    layer = xpnet.nn.Linear(3, 2).to(backend.name, dtype="float64")
    layer.register_full_backward_hook(lambda module, gi, go: (Tensor(gi[0] * 0),))
    x = Tensor(backend.asarray(RNG.standard_normal((4, 3))), requires_grad=True)
    layer(x).sum().backward()
    assert not backend.to_host(x.grad.array).any() and backend.to_host(
        layer.bias.grad.array
    ).tolist() == [4, 4]


@pytest.mark.parametrize(
    "kind, result, error, match",
    [
        ("full", lambda g: (g[0], g[0]), RuntimeError, "invalid number of grad_input, got 2"),
        ("pre", lambda g: (g[0], g[0]), RuntimeError, "invalid number of grad_output, got 2"),
        ("full", lambda g: (g[0][:1],), RuntimeError, r"grad_input\[0\] must have the shape"),
        ("pre", lambda g: (g[0].float(),), TypeError, "must have the dtype"),
    ],
)
def test_bad_hook_results_raise(backend, kind, result, error, match):
    layer = xpnet.nn.Linear(3, 2).to(backend.name, dtype="float64")
    if kind == "pre":
        layer.register_full_backward_pre_hook(lambda module, go: result(go))
    else:
        layer.register_full_backward_hook(lambda module, gi, go: result(gi))
    x = Tensor(backend.asarray(RNG.standard_normal((4, 3))), requires_grad=True)
    with pytest.raises(error, match=match):
        layer(x).sum().backward()


def test_refusals_and_warnings_of_torch(backend):
    layer = xpnet.nn.Linear(3, 2).to(backend.name, dtype="float64")
    with pytest.raises(TypeError, match="register_full_backward_hook: hook must be callable"):
        layer.register_full_backward_hook(None)
    layer.register_full_backward_hook(lambda module, gi, go: go)
    x = Tensor(backend.asarray(RNG.standard_normal((4, 3))))
    with (
        pytest.warns(UserWarning, match="no inputs require gradients"),
        pytest.raises(RuntimeError, match="should always return None or None for all"),
    ):
        layer(x).sum().backward()
    wrapped = xpnet.nn.ModuleDict({"inner": layer})
    wrapped.forward = lambda x: {"y": x * 2}
    wrapped.register_full_backward_hook(lambda module, gi, go: None)
    with pytest.warns(UserWarning, match="module output should be a Tensor or a tuple"):
        wrapped(x)
    with xpnet.no_grad():
        assert layer(x).grad_fn is None  # no graph: no identity nodes, no hooks


def test_a_leaf_does_not_keep_the_callers_gradient_array(backend):
    # nn.Identity passes the upstream gradient through both identity nodes untouched: the
    # leaf must copy it, as without hooks, not keep the array the caller still holds
    identity = xpnet.nn.Identity()
    identity.register_full_backward_hook(lambda module, gi, go: None)
    x = Tensor(backend.asarray(np.ones(3)), requires_grad=True)
    gradient = backend.asarray(np.full(3, 2.0))
    identity(x).backward(gradient)
    gradient[...] = 0
    assert backend.to_host(x.grad.array).tolist() == [2.0, 2.0, 2.0]


@pytest.mark.parametrize("residual_first", [True, False])
def test_a_none_in_grad_input_cuts_that_path_only(backend, residual_first):
    # as torch's: None stops the gradient through the module; the residual path still adds
    layer = xpnet.nn.Linear(3, 3).to(backend.name, dtype="float64")
    layer.register_full_backward_hook(lambda module, gi, go: (None,))
    x = Tensor(backend.asarray(RNG.standard_normal((2, 3))), requires_grad=True)
    y = x + layer(x) if residual_first else layer(x) + x
    y.sum().backward()
    assert backend.to_host(x.grad.array).tolist() == [[1.0] * 3] * 2
    layer(x).sum().backward()  # no other path: nothing added
    assert backend.to_host(x.grad.array).tolist() == [[1.0] * 3] * 2
