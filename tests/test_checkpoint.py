"""``xpnet.utils.checkpoint`` against ``torch.utils.checkpoint`` and against the same model
run without checkpointing: the same outputs and gradients (dropout's masks included), both
variants, ``checkpoint_sequential``, and PyTorch's warnings and errors."""

from __future__ import annotations

import contextlib
import warnings
import weakref

import numpy as np
import pytest
import torch
import torch.utils.checkpoint as torch_checkpoint

import xpnet
from xpnet import nn
from xpnet.backends import get_backend
from xpnet.utils.checkpoint import CheckpointError, checkpoint, checkpoint_sequential


def _models(dropout=0.0):
    """An xpnet model and its PyTorch twin, the same float64 weights."""
    layers = [nn.Linear(4, 6), nn.ReLU(), nn.Dropout(dropout), nn.Linear(6, 5), nn.Tanh()]
    ours = nn.Sequential(*layers).double()
    theirs = torch.nn.Sequential(
        torch.nn.Linear(4, 6), torch.nn.ReLU(), torch.nn.Dropout(dropout),
        torch.nn.Linear(6, 5), torch.nn.Tanh(),
    ).double()  # fmt: skip
    theirs.load_state_dict(
        {k: torch.from_numpy(_host(v).copy()) for k, v in ours.state_dict().items()}
    )
    return ours, theirs


def _input(lib, requires_grad=True):
    values = np.random.default_rng(0).standard_normal((3, 4))
    if lib is torch:
        return torch.tensor(values, requires_grad=requires_grad)
    return xpnet.autograd.Tensor(get_backend().asarray(values), requires_grad=requires_grad)


def _host(value):
    """A torch or xpnet Tensor, or a backend array (xpnet's state_dict), on the host."""
    if isinstance(value, torch.Tensor):
        return value.detach().numpy()
    return get_backend().to_host(getattr(value, "array", value))


def _grads(model, x):
    return [_host(p.grad) for p in model.parameters()] + (
        [_host(x.grad)] if x.requires_grad else []
    )


def _assert_torchs(ours_run, torch_run, loss=lambda y: y.sum(), requires_grad=True):
    """The outputs and gradients of ``ours_run(model, x)`` and ``torch_run`` on twin models."""
    ours, theirs = _models()
    results = []
    for lib, model, run in ((xpnet, ours, ours_run), (torch, theirs, torch_run)):
        x = _input(lib, requires_grad)
        y = run(model, x)
        loss(y).backward()
        results.append([_host(y)] + _grads(model, x))
    for mine, torchs in zip(*results, strict=True):
        np.testing.assert_allclose(mine, torchs, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("use_reentrant", [True, False])
def test_gradients_are_torchs(use_reentrant):
    _assert_torchs(
        lambda model, x: checkpoint(model, x, use_reentrant=use_reentrant),
        lambda model, x: torch_checkpoint.checkpoint(model, x, use_reentrant=use_reentrant),
        loss=lambda y: (y * y).sum(),
    )


@pytest.mark.parametrize("use_reentrant", [True, False])
def test_dropout_draws_the_masks_of_the_forward_again(use_reentrant):
    ours, _ = _models(dropout=0.5)
    results = []
    for run in (lambda m, v: m(v), lambda m, v: checkpoint(m, v, use_reentrant=use_reentrant)):
        xpnet.manual_seed(3)
        ours.zero_grad()
        x = _input(xpnet)
        y = run(ours, x)
        y.sum().backward()
        results.append([_host(y)] + _grads(ours, x))
    for plain, checkpointed in zip(*results, strict=True):
        np.testing.assert_array_equal(plain, checkpointed)


def test_the_recomputation_runs_in_the_forwards_autocast_region():
    ours, _ = _models()
    ours.float()
    results = []
    for run in (lambda m, v: m(v), lambda m, v: checkpoint(m, v, use_reentrant=True)):
        ours.zero_grad()
        x = xpnet.autograd.Tensor(get_backend().asarray(_host(_input(xpnet)).astype("float32")))
        x.requires_grad = True
        with xpnet.autocast("cpu"):
            y = run(ours, x)
        (y.float() ** 2).sum().backward()  # outside the region, as PyTorch's advice
        results.append([_host(y)] + _grads(ours, x))
    assert results[0][0].dtype == "float16"
    for plain, checkpointed in zip(*results, strict=True):
        np.testing.assert_array_equal(plain, checkpointed)


def test_one_node_stands_for_the_segment():
    ours, _ = _models()
    x = _input(xpnet)
    y = checkpoint(ours, x, use_reentrant=True)
    assert y.grad_fn.name() == "CheckpointFunctionBackward"  # PyTorch's name
    assert [f.variable is x for f, _ in y.grad_fn.next_functions] == [True]  # Tensors only


def test_non_reentrant_takes_keywords_and_inputs_without_gradient():
    _assert_torchs(
        lambda model, x: checkpoint(lambda v, scale: model(v) * scale, x, scale=2.0,
                                    use_reentrant=False),
        lambda model, x: torch_checkpoint.checkpoint(lambda v, scale: model(v) * scale, x,
                                                     scale=2.0, use_reentrant=False),
        requires_grad=False,
    )  # fmt: skip


def test_reentrant_warns_and_refuses_as_torch():
    ours, _ = _models()
    with pytest.warns(UserWarning, match="None of the inputs have requires_grad=True"):
        assert not checkpoint(ours, _input(xpnet, False), use_reentrant=True).requires_grad
    with pytest.raises(ValueError, match="Unexpected keyword arguments: scale"):
        checkpoint(ours, _input(xpnet), use_reentrant=True, scale=2.0)
    with pytest.warns(UserWarning, match="use_reentrant parameter should be passed explicitly"):
        checkpoint(ours, _input(xpnet))
    x = _input(xpnet)
    y = checkpoint(ours, x, use_reentrant=True)
    with pytest.raises(RuntimeError, match=r"Checkpointing is not compatible with \.grad\(\)"):
        xpnet.autograd.grad(y.sum(), x)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with xpnet.no_grad():  # nothing to recompute: the function itself
            assert not checkpoint(ours, x, use_reentrant=True).requires_grad


@pytest.mark.parametrize("segments", [1, 2, 3])
def test_checkpoint_sequential_is_torchs(segments):
    _assert_torchs(
        lambda model, x: checkpoint_sequential(model, segments, x, use_reentrant=False),
        lambda model, x: torch_checkpoint.checkpoint_sequential(
            model, segments, x, use_reentrant=False
        ),
    )


def _counting(lib, calls, index):
    """A module of ``lib`` that adds its calls to ``calls[index]``: a checkpointed one runs
    twice (its forward and its recomputation)."""

    class Counted(lib.nn.Module):
        def forward(self, value):
            calls[index] += 1
            return value.tanh() * 2

    return Counted()


@pytest.mark.parametrize("segments", [1, 2, 3, 5])
def test_checkpoint_sequential_cuts_torchs_segments(segments):
    counts = []
    for lib, run in (
        (xpnet, checkpoint_sequential),
        (torch, torch_checkpoint.checkpoint_sequential),
    ):
        calls = [0] * 7
        model = lib.nn.Sequential(*(_counting(lib, calls, i) for i in range(7)))
        run(model, segments, _input(lib), use_reentrant=True).sum().backward()
        counts.append(calls)
    assert counts[0] == counts[1] and max(counts[0]) == (2 if segments > 1 else 1)


def test_several_outputs():
    layer = nn.Linear(4, 4).double()
    x = _input(xpnet)
    first, second = checkpoint(lambda v: (layer(v), v.exp()), x, use_reentrant=True)
    (first.sum() + (second * 3).sum()).backward()
    expected_x = _host(layer.weight).sum(axis=0) + 3 * np.exp(_host(x))
    np.testing.assert_allclose(_host(x.grad), expected_x, rtol=1e-12)
    np.testing.assert_allclose(_host(layer.weight.grad), np.tile(_host(x).sum(0), (4, 1)))


@pytest.mark.parametrize("use_reentrant", [True, False])
def test_several_outputs_are_recomputed_once_as_torch(use_reentrant):
    """One backward call for all the outputs, so one recomputation (it ran once per output
    that got a gradient)."""
    counts = []
    for lib, run in ((xpnet, checkpoint), (torch, torch_checkpoint.checkpoint)):
        runs = []

        def segment(v, lib=lib, runs=runs):
            runs.append(1)
            return v * 2, v.exp(), v.tanh()

        x = _input(lib)
        first, second, third = run(segment, x, use_reentrant=use_reentrant)
        (first.sum() + (second * third).sum()).backward()
        counts.append((len(runs), _host(x.grad)))
    assert counts[0][0] == counts[1][0] == 2  # the forward and one recomputation
    np.testing.assert_allclose(counts[0][1], counts[1][1], rtol=1e-12)


def _twin_runs(segment_and_loss):
    """``segment_and_loss(lib, model, x, checkpoint)``'s list of tensors, for xpnet and torch
    on twin models (non-reentrant), as host arrays."""
    ours, theirs = _models()
    results = []
    for lib, model, run in (
        (xpnet, ours, checkpoint),
        (torch, theirs, torch_checkpoint.checkpoint),
    ):
        x = _input(lib)
        results.append([_host(value) for value in segment_and_loss(lib, model, x, run)])
    return results


def test_non_reentrant_runs_under_grad_and_create_graph_as_torch():
    def run(lib, model, x, checkpoint):
        outer = (x * 2).sin()  # captured from outside the segment, with a history of its own
        y = checkpoint(lambda v: model(v) * outer.sum() + v.sum() * x.sum(), x,
                       use_reentrant=False)  # fmt: skip
        loss = (y**2).sum() + outer.sum()  # outer's history is the outer walk's alone
        gradients = lib.autograd.grad(loss, [x, model[0].weight], create_graph=True)
        second = lib.autograd.grad(sum(g.sum() for g in gradients), [x, model[3].bias])
        return [y, *gradients, *second]

    for mine, torchs in zip(*_twin_runs(run), strict=True):
        np.testing.assert_allclose(mine, torchs, rtol=1e-11, atol=1e-12)


def test_non_reentrant_backward_with_inputs_fills_only_theirs_as_torch():
    def run(lib, model, x, checkpoint):
        checkpoint(model, x, use_reentrant=False).sum().backward(inputs=[model[3].weight])
        assert x.grad is None and model[0].weight.grad is None
        return [model[3].weight.grad]

    mine, torchs = _twin_runs(run)
    np.testing.assert_allclose(mine[0], torchs[0], rtol=1e-12)


def test_non_reentrant_keeps_no_activation_and_names_its_inputs():
    ours, _ = _models()
    kept = []

    def segment(value):
        hidden = ours[0](value)
        kept.append(weakref.ref(hidden))
        return ours[1](hidden) * 2

    x = _input(xpnet)
    y = checkpoint(segment, x, use_reentrant=False)
    assert kept[0]() is None  # the recorded forward's graph went with its activations
    assert y.grad_fn.name() == "CheckpointBackward"
    inputs = [f.variable for f, _ in y.grad_fn.next_functions]
    assert inputs[0] is x and {id(v) for v in inputs[1:]} == {id(p) for p in ours[0].parameters()}


def test_non_reentrant_outputs_without_gradient_stay_constants():
    x = _input(xpnet)
    y, mask = checkpoint(lambda v: (v.exp(), v > 0), x, use_reentrant=False)
    mask_float = checkpoint(lambda v: (v > 0).double(), x, use_reentrant=False)
    assert y.requires_grad and not mask.requires_grad and not mask_float.requires_grad


def test_batch_norm_statistics_update_as_torchs():
    ours = nn.Sequential(nn.Linear(4, 3), nn.BatchNorm1d(3)).double()
    theirs = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.BatchNorm1d(3)).double()
    theirs.load_state_dict(
        {k: torch.from_numpy(_host(v).copy()) for k, v in ours.state_dict().items()}
    )
    for lib, model, run in (
        (xpnet, ours, checkpoint),
        (torch, theirs, torch_checkpoint.checkpoint),
    ):
        run(model, _input(lib), use_reentrant=False).sum().backward()
    for key, value in theirs.state_dict().items():  # the forward and the recomputation, twice
        np.testing.assert_allclose(_host(ours.state_dict()[key]), _host(value), rtol=1e-12)


def test_context_fn_wraps_the_forward_and_the_recomputation_as_torch():
    logs = []
    for lib, run in ((xpnet, checkpoint), (torch, torch_checkpoint.checkpoint)):
        log = []
        logs.append(log)

        @contextlib.contextmanager
        def note(name, log=log):
            log.append(f"enter {name}")
            try:
                yield
            finally:  # PyTorch's recomputation leaves by an exception: it stops early
                log.append(f"exit {name}")

        def segment(value, log=log):
            log.append("run")
            return value.exp()

        x = _input(lib)
        y = run(segment, x, use_reentrant=False, context_fn=lambda: (note("fwd"), note("re")))
        log.append("backward")
        y.sum().backward()
    assert logs[0] == logs[1]
    assert logs[0] == ["enter fwd", "run", "exit fwd", "backward", "enter re", "run", "exit re"]


# segments whose recomputation differs from their forward (first: the forward) only inside
# (the output is a scalar either way), and whether PyTorch's check refuses them
RECOMPUTATIONS = {
    "another shape": (lambda F, x, first: F.relu(x if first else x[:2]).sum(), True),
    "fewer calls": (lambda F, x, first: (F.relu(F.relu(x)) if first else F.relu(x)).sum(), True),
    "more calls": (lambda F, x, first: (F.relu(x) if first else F.relu(F.relu(x))).sum(), False),
}


def _recompute(lib, run, case, **options):
    """Checkpoint ``RECOMPUTATIONS[case]``, backward: the error's lines, or ``None``."""
    body, calls = RECOMPUTATIONS[case][0], []

    def segment(x):
        calls.append(1)
        return body(lib.nn.functional, x, len(calls) == 1)

    try:
        run(segment, _input(lib), use_reentrant=False, **options).backward()
    except (CheckpointError, torch_checkpoint.CheckpointError) as error:
        return str(error).splitlines()
    return None


@pytest.mark.parametrize("case", list(RECOMPUTATIONS))
def test_determinism_check_compares_the_kernel_calls_as_torch_its_saved_tensors(case):
    ours = _recompute(xpnet, checkpoint, case)
    theirs = _recompute(torch, torch_checkpoint.checkpoint, case)
    assert (ours is not None) == (theirs is not None) == RECOMPUTATIONS[case][1]
    if ours is not None:
        assert ours[0] == theirs[0]  # PyTorch's first line
    assert _recompute(xpnet, checkpoint, case, determinism_check="none") is None


def test_debug_lists_the_kernel_calls_of_both_runs():
    plain = "\n".join(_recompute(xpnet, checkpoint, "another shape"))
    detailed = "\n".join(_recompute(xpnet, checkpoint, "another shape", debug=True))
    assert "Operations executed" not in plain and "debug=True" in plain
    forward, again = detailed.split("Operations executed during recomputation:")
    assert "relu[((3, 4), 'float64')]" in forward and "relu[((2, 4), 'float64')]" in again


def test_without_early_stop_more_calls_are_an_error_as_torch():
    messages = []
    for lib, module in ((xpnet, xpnet.utils.checkpoint), (torch, torch_checkpoint)):
        with module.set_checkpoint_early_stop(False):  # read when the forward runs
            body, calls = RECOMPUTATIONS["more calls"][0], []

            def segment(x, lib=lib, body=body, calls=calls):
                calls.append(1)
                return body(lib.nn.functional, x, len(calls) == 1)

            y = module.checkpoint(segment, _input(lib), use_reentrant=False)
        with pytest.raises(RuntimeError) as error:
            y.backward()
        messages.append(str(error.value).splitlines()[0])
    assert messages[0] == messages[1]
    assert _recompute(xpnet, checkpoint, "more calls") is None  # early stop again


@pytest.mark.parametrize("enabled", [True, False, None])
def test_debug_switch_overrides_each_call_as_torch(enabled):
    module = xpnet.utils.checkpoint
    for debug in (True, False):
        with module.set_checkpoint_debug_enabled(enabled):
            lines = _recompute(xpnet, checkpoint, "another shape", debug=debug)
        listed = any("Operations executed" in line for line in lines)
        assert listed == (debug if enabled is None else enabled)


def test_checkpoint_helpers_as_torch():
    module = xpnet.utils.checkpoint
    for lib, helpers in ((xpnet, module), (torch, torch_checkpoint)):
        x = _input(lib)
        detached = helpers.detach_variable((x, 3, _input(lib, requires_grad=False)))
        assert detached[0] is not x and detached[0].requires_grad and detached[0].grad_fn is None
        assert detached[1] == 3 and not detached[2].requires_grad
        with pytest.raises(
            RuntimeError,
            match="Only tuple of tensors is supported. Got Unsupported input type: list",
        ):
            helpers.detach_variable([x])
        with pytest.warns(UserWarning, match="None of the inputs have requires_grad=True"):
            helpers.check_backward_validity([_input(lib, requires_grad=False), 1.0])
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            helpers.check_backward_validity([x])
        first, second = helpers.noop_context_fn()
        with first, second:
            pass
    assert set(module.__all__) <= set(torch_checkpoint.__all__)


def test_determinism_check_and_non_reentrant_options_as_torch():
    calls = []

    def changing(value):  # another shape when run again
        calls.append(1)
        return value[: len(calls)].exp()

    y = checkpoint(changing, _input(xpnet), use_reentrant=False)
    with pytest.raises(CheckpointError, match="Recomputed values have different metadata"):
        y.sum().backward()
    x = _input(xpnet)
    for lib, run in ((xpnet, checkpoint), (torch, torch_checkpoint.checkpoint)):
        with pytest.raises(ValueError, match="determinism_check should be one of"):
            run(changing, _input(lib), use_reentrant=False, determinism_check="shapes")
        with pytest.raises(ValueError, match="`context_fn` or `debug` is only supported"):
            run(changing, _input(lib), use_reentrant=True, debug=True)
    assert issubclass(CheckpointError, RuntimeError) and x.grad is None
