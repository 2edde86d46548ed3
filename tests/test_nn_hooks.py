"""Module's forward hooks, dotted-path lookups and dtype shortcuts against torch.nn.Module's.

Most tests run one scenario on both libraries (``lib`` is ``xpnet.nn`` or ``torch.nn``) and
compare what happened: the order hooks ran in, what they returned, the errors raised.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from _oracle import assert_close, random_input

import xpnet
from xpnet import nn


def both(scenario):
    """``scenario(torch.nn)`` and ``scenario(xpnet.nn)``, asserted equal."""
    expected, actual = scenario(torch.nn), scenario(nn)
    assert actual == expected
    return actual


def outcome(function, *args):
    """What ``function(*args)`` returned, or the type and message of what it raised."""
    try:
        return function(*args)
    except Exception as error:
        return type(error).__name__, str(error)


def test_hooks_run_in_registration_order_and_prepend_as_torch():
    def scenario(lib):
        layer, log = lib.Identity(), []
        layer.register_forward_pre_hook(lambda m, args: log.append(("pre1", args)))
        layer.register_forward_pre_hook(lambda m, args: log.append(("pre0", args)), prepend=True)
        layer.register_forward_hook(lambda m, args, out: log.append(("post1", out)))
        layer.register_forward_hook(lambda m, args, out: log.append(("post0", out)), prepend=True)
        layer.register_forward_hook(lambda m, args, out: log.append(("post2", out)))
        return layer(5), log

    assert both(scenario)[1][0] == ("pre0", (5,))


def test_hooks_replace_args_and_output_as_torch():
    def scenario(lib):
        layer, results = lib.Identity(), []
        with layer.register_forward_pre_hook(lambda m, args: args[0] + 1):  # wrapped in a tuple
            results.append(layer(1))
        with layer.register_forward_pre_hook(lambda m, args: (args[0] * 10,)):
            with layer.register_forward_pre_hook(lambda m, args: None):  # None keeps args
                results.append(layer(2))
        with layer.register_forward_hook(lambda m, args, out: out + args[0]):
            with layer.register_forward_hook(lambda m, args, out: out * 100):
                results.append(layer(3))
        results.append(layer(4))
        return results

    assert both(scenario) == [2, 20, 600, 4]


def test_hooks_with_kwargs_as_torch():
    class Scale(torch.nn.Module):  # the same forward on both libraries
        def forward(self, x, scale=1):
            return x * scale

    class XScale(nn.Module):
        forward = Scale.forward

    def scenario(lib):
        layer, log = (Scale if lib is torch.nn else XScale)(), []
        layer.register_forward_pre_hook(
            lambda m, args, kwargs: (args, {**kwargs, "scale": 3}), with_kwargs=True
        )
        layer.register_forward_hook(
            lambda m, args, kwargs, out: log.append((args, kwargs, out)), with_kwargs=True
        )
        outputs = [layer(2), layer(2, scale=5)]
        layer.register_forward_pre_hook(lambda m, args, kwargs: 7, with_kwargs=True)
        return outputs, log, outcome(layer, 2)

    outputs, log, error = both(scenario)
    assert outputs == [6, 6] and log[1] == ((2,), {"scale": 3}, 6)
    assert error[0] == "RuntimeError" and "(new_args, new_kwargs), but got 7" in error[1]


def test_removal_and_context_manager_as_torch():
    def scenario(lib):
        layer, log = lib.Identity(), []
        first = layer.register_forward_hook(lambda m, args, out: log.append("first"))
        second = layer.register_forward_pre_hook(lambda m, args: log.append("second"))
        layer(0)
        first.remove()
        first.remove()  # a second remove does nothing
        layer(0)
        second.remove()
        layer(0)
        with layer.register_forward_hook(lambda m, args, out: log.append("with")) as handle:
            layer(0)
        layer(0)
        return log, type(handle.id).__name__

    assert both(scenario)[0] == ["second", "first", "second", "with"]


def test_a_hook_may_remove_itself_while_running():
    def scenario(lib):
        layer, log, handles = lib.Identity(), [], []

        def once(module, args, output):
            log.append("once")
            handles[0].remove()

        handles.append(layer.register_forward_hook(once))
        layer.register_forward_hook(lambda m, args, out: log.append("after"))
        layer(0), layer(0)
        return log

    assert both(scenario) == ["once", "after", "after"]


def test_calling_forward_directly_runs_no_hook():
    def scenario(lib):
        layer, log = lib.Identity(), []
        layer.register_forward_pre_hook(lambda m, args: log.append("pre"))
        layer.register_forward_hook(lambda m, args, out: log.append("post"))
        return layer.forward(1), log

    assert both(scenario) == (1, [])


def test_child_hooks_fire_during_the_parent_forward_as_torch():
    def scenario(lib):
        net, log = lib.Sequential(lib.Identity(), lib.Sequential(lib.Identity())), []
        for name, module in net.named_modules():
            module.register_forward_pre_hook(lambda m, args, name=name: log.append(f"pre {name}"))
            module.register_forward_hook(lambda m, args, out, name=name: log.append(f"{name}"))
        net(0)
        return log

    assert both(scenario) == ["pre ", "pre 0", "0", "pre 1", "pre 1.0", "1.0", "1", ""]


def test_always_call_hooks_run_when_forward_raises_as_torch():
    def scenario(lib):
        class Fails(lib.Module):
            def forward(self, x):
                raise ValueError("forward failed")

        layer, log = Fails(), []
        layer.register_forward_hook(lambda m, args, out: log.append(("plain", out)))
        layer.register_forward_hook(
            lambda m, args, out: log.append(("always", out)), always_call=True
        )
        return outcome(layer, 1), log

    assert both(scenario) == (("ValueError", "forward failed"), [("always", None)])


def test_a_failing_always_call_hook_warns_and_the_first_error_wins():
    class Fails(nn.Module):
        def forward(self, x):
            raise ValueError("forward failed")

    layer = Fails()
    layer.register_forward_hook(lambda m, args, out: 1 / 0, always_call=True)
    with pytest.warns(UserWarning, match="always_call=True.*division by zero"):
        with pytest.raises(ValueError, match="forward failed"):
            layer(1)


def test_hooks_capture_intermediate_activations_as_torch(backend):
    torch.manual_seed(0)
    reference = torch.nn.Sequential(
        torch.nn.Linear(5, 4), torch.nn.ReLU(), torch.nn.Linear(4, 3), torch.nn.Tanh()
    ).double()
    net = nn.Sequential(nn.Linear(5, 4), nn.ReLU(), nn.Linear(4, 3), nn.Tanh())
    net.to(backend.name, dtype="float64")
    net.load_state_dict({k: v.numpy() for k, v in reference.state_dict().items()})
    x = random_input((6, 5))
    captured = {}
    for name, module in (*net.named_children(), *reference.named_children()):
        library = "torch" if isinstance(module, torch.nn.Module) else "xpnet"
        module.register_forward_hook(
            lambda m, args, out, key=(library, name): captured.__setitem__(key, out)
        )
    reference(torch.from_numpy(x))
    net(xpnet.Tensor(backend.asarray(x)))
    for name in ("0", "1", "2", "3"):
        expected = captured["torch", name].detach().numpy()
        assert_close(xpnet.to_numpy(captured["xpnet", name].array), expected, np.float64, name)


@pytest.mark.parametrize("method", ["register_forward_pre_hook", "register_forward_hook"])
def test_a_hook_that_is_not_callable_is_refused(method):
    layer = nn.Identity()
    with pytest.raises(TypeError, match=f"Identity.{method}: hook must be callable, got int"):
        getattr(layer, method)(3)
    assert not layer._forward_hooks and not layer._forward_pre_hooks and layer(1) == 1


def _net(lib):
    return lib.Sequential(
        lib.Linear(2, 3), lib.Sequential(lib.BatchNorm1d(3), lib.Linear(3, 1, bias=False))
    )


TARGETS = ["", "0", "1.0", "1.1.weight", "1.1.bias", "1.0.running_mean", "2", "0.nope.x"]
TARGETS += ["1.0.num_batches_tracked", "0.training", "1.0.weight.x"]


@pytest.mark.parametrize("method", ["get_submodule", "get_parameter", "get_buffer"])
@pytest.mark.parametrize("target", TARGETS)
def test_lookups_by_dotted_path_as_torch(method, target):
    def scenario(lib):
        net = _net(lib)
        found = outcome(getattr(net, method), target)
        if isinstance(found, tuple):
            return found
        whole = {"get_submodule": net.named_modules, "get_parameter": net.named_parameters}
        names = dict(whole.get(method, net.named_buffers)())
        return next(name for name, value in names.items() if value is found)

    both(scenario)


@pytest.mark.parametrize("method, dtype", [("half", "float16"), ("float", "float32")])
def test_dtype_shortcuts_cast_floating_state_only_as_torch(backend, method, dtype):
    def scenario(lib):
        net = _net(lib).double()
        getattr(net, method)()
        return [(k, str(v.dtype).rpartition(".")[2]) for k, v in net.state_dict().items()]

    cast = both(scenario)
    assert ("1.0.num_batches_tracked", "int64") in cast and ("0.weight", dtype) in cast
    net = _net(nn).to(backend.name)
    net[0].weight.grad = backend.xp.ones((3, 2), dtype="float32")
    assert net.double() is net and net[0].weight.grad.dtype == np.float64
    assert type(net[0].weight.array) is type(backend.xp.ones(1))


@pytest.mark.parametrize("prefix, recurse", [("", True), ("model", True), ("", False)])
def test_named_buffers_prefix_and_recurse_as_torch(prefix, recurse):
    def scenario(lib):
        net = lib.Sequential(_net(lib))
        net.register_buffer("scale", torch.ones(1) if lib is torch.nn else np.ones(1))
        names = [name for name, _ in net.named_buffers(prefix=prefix, recurse=recurse)]
        return names, len(list(net.buffers(recurse=recurse)))

    both(scenario)
