"""Regression tests for the differences from ``torch.utils.checkpoint`` 2.13 the checkpoint
audit found (2026-12-08): non-reentrant segments returning lists, dicts and named tuples,
outputs the loss does not use, the reentrant variant's errors and warnings, the options
that PyTorch's reentrant variant ignores, ``early_stop``, and ``checkpoint_sequential``'s
keyword arguments.

PyTorch is the oracle: each case runs on both libraries, float64, with the same inputs.
"""

from __future__ import annotations

import collections
import warnings

import numpy as np
import pytest
import torch
import torch.utils.checkpoint as torch_checkpoint

import xpnet
from xpnet.backends import get_backend
from xpnet.utils import checkpoint as xpnet_checkpoint

LIBRARIES = ((xpnet, xpnet_checkpoint), (torch, torch_checkpoint))
Pair = collections.namedtuple("Pair", "first second")


def _tensor(lib, seed, requires_grad=True):
    values = np.random.default_rng(seed).standard_normal(3)
    if lib is torch:
        return torch.tensor(values, requires_grad=requires_grad)
    return xpnet.autograd.Tensor(get_backend().asarray(values), requires_grad=requires_grad)


def _host(value):
    if value is None:
        return None
    if isinstance(value, torch.Tensor):
        return value.detach().numpy()
    return get_backend().to_host(value.detach().array)


def _assert_same(ours, theirs):
    assert len(ours) == len(theirs)
    for mine, torchs in zip(ours, theirs, strict=True):
        assert (mine is None) == (torchs is None)
        if mine is not None:
            np.testing.assert_allclose(_host(mine), _host(torchs), rtol=1e-12, atol=1e-14)


STRUCTURES = {
    "list": (lambda a, w: [a * w, a.sin()], lambda out: [out[0], out[1]]),
    "dict": (lambda a, w: {"y": a * w, "n": 3}, lambda out: [out["y"]]),
    "named tuple": (lambda a, w: Pair(a * w, a.exp()), lambda out: [out.first, out.second]),
    "nested": (lambda a, w: ({"k": [a * w, (a.cos(), None)]},), lambda out: out[0]["k"][:1]),
}


@pytest.mark.parametrize("structure", list(STRUCTURES))
def test_non_reentrant_outputs_in_lists_and_dicts_carry_gradients_as_torch(structure):
    function, tensors = STRUCTURES[structure]
    results = []
    for lib, module in LIBRARIES:
        x, w = _tensor(lib, 0), _tensor(lib, 1)
        out = module.checkpoint(function, x, w, use_reentrant=False)
        assert type(out).__name__ == type(function(x, w)).__name__
        outputs = tensors(out)
        sum((t * (i + 1)).sum() for i, t in enumerate(outputs)).backward()
        results.append([*outputs, x.grad, w.grad])
    _assert_same(*results)
    assert results[0][-2] is not None  # the gradient went through the segment


def test_non_reentrant_output_the_loss_does_not_use_gives_no_gradient_as_torch():
    results = []
    for lib, module in LIBRARIES:
        x, z = _tensor(lib, 0), _tensor(lib, 1)
        _, total = module.checkpoint(lambda a, b: (a * b, a.sin().sum()), x, z, use_reentrant=False)
        total.backward()  # z reaches only the output left out
        results.append([x.grad, z.grad])
    _assert_same(*results)
    assert results[0][1] is None


def test_reentrant_recomputation_without_gradient_is_torchs_error():
    for lib, module in LIBRARIES:
        y = module.checkpoint(lambda a: a.detach() * 2, _tensor(lib, 0), use_reentrant=True)
        with pytest.raises(RuntimeError, match="none of output has requires_grad=True"):
            y.sum().backward()


def test_reentrant_warns_of_inputs_without_gradient_under_no_grad_as_torch():
    for lib, module in LIBRARIES:
        with lib.no_grad(), pytest.warns(UserWarning, match="None of the inputs have requires"):
            module.checkpoint(lambda a: a * 2, _tensor(lib, 0, False), use_reentrant=True)


def test_reentrant_ignores_the_non_reentrant_options_as_torch():
    options = {"determinism_check": "anything", "early_stop": False}
    results = []
    for lib, module in LIBRARIES:
        x = _tensor(lib, 0)
        context = module.noop_context_fn
        y = module.checkpoint(
            lambda a: a.sin(), x, use_reentrant=True, context_fn=context, **options
        )
        y.sum().backward()
        results.append([y, x.grad])
    _assert_same(*results)


def _more_calls(lib, module, **options):
    """A segment that makes more kernel calls when run again: the error's first line."""
    calls = []

    def segment(a):
        calls.append(1)
        return a.sin() if len(calls) == 1 else a.sin().sin()

    y = module.checkpoint(segment, _tensor(lib, 0), use_reentrant=False, **options)
    try:
        y.sum().backward()
    except RuntimeError as error:
        return str(error).splitlines()[0]
    return None


def test_early_stop_option_as_torch():
    for switch in (None, True, False):
        lines = []
        for lib, module in LIBRARIES:
            for early_stop in (True, False):
                if switch is None:
                    lines.append(_more_calls(lib, module, early_stop=early_stop))
                    continue
                with module.set_checkpoint_early_stop(switch):  # overrides each call's
                    lines.append(_more_calls(lib, module, early_stop=early_stop))
        assert lines[:2] == lines[2:]
        stops = [True, False] if switch is None else [switch, switch]
        assert [line is None for line in lines[:2]] == stops


@pytest.mark.parametrize("segments", [0, 1, 2])
@pytest.mark.parametrize("use_reentrant", [True, False])
def test_checkpoint_sequential_refuses_other_keywords_as_torch(segments, use_reentrant):
    for lib, module in LIBRARIES:
        model = lib.nn.Sequential(lib.nn.Tanh(), lib.nn.Tanh())
        for keyword in ("context_fn", "debug", "foo"):
            with pytest.raises(ValueError, match=f"Unexpected keyword arguments: {keyword}$"):
                module.checkpoint_sequential(
                    model, segments, _tensor(lib, 0), use_reentrant=use_reentrant, **{keyword: 1}
                )
        if segments:
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                y = module.checkpoint_sequential(
                    model, segments, _tensor(lib, 0), use_reentrant, preserve_rng_state=False
                )
            assert tuple(y.shape) == (3,)


@pytest.mark.parametrize(
    "body",
    [
        lambda a, n: (a[:n] * a[:n]).sum(),
        lambda a, n: a[:n].sin().sum(),
        lambda a, n: a[:n] @ a[:n],
    ],
)
def test_determinism_check_sees_ops_that_call_no_profiled_kernel_as_torch(body):
    lines, size = [], {}
    for lib, module in LIBRARIES:
        size["n"] = 3
        y = module.checkpoint(lambda a: body(a, size["n"]), _tensor(lib, 0), use_reentrant=False)
        size["n"] = 2  # another shape when run again: xpnet's gradient would be another
        with pytest.raises(module.CheckpointError) as error:
            y.backward()
        lines.append(str(error.value).splitlines()[0])
    assert lines[0] == lines[1]
    size["n"] = 3
    y = xpnet_checkpoint.checkpoint(
        lambda a: body(a, size["n"]), _tensor(xpnet, 0), use_reentrant=False, debug=True
    )
    size["n"] = 2
    with pytest.raises(xpnet_checkpoint.CheckpointError, match=r"recorded op \d+:") as error:
        y.backward()
    assert "Operations executed during recomputation" in str(error.value)


def _nested_reentrant(lib, module, x, w):
    inner = module.checkpoint(lambda b: (b * w).sin(), x.exp(), use_reentrant=True)
    return inner * x


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_a_reentrant_checkpoint_inside_a_non_reentrant_one_as_torch(backend):
    """The non-reentrant segment's own walk stands for the outer backward(): a reentrant
    checkpoint inside it runs (it raised 'not compatible with .grad()')."""
    grads = []
    for lib, module in LIBRARIES:
        x, w = _tensor(lib, 0), _tensor(lib, 1)
        outer = module.checkpoint(
            lambda a, m=module, L=lib, w=w: _nested_reentrant(L, m, a, w), x, use_reentrant=False
        )
        outer.sum().backward()
        grads.append((x.grad, w.grad))
    _assert_same(*grads)
