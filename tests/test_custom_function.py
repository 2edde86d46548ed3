"""PyTorch's custom autograd Functions (``class F(xpnet.autograd.Function)`` with static
``forward(ctx, ...)``/``backward(ctx, ...)``, ``F.apply``): each case defines the same class
body for torch and for xpnet and compares values, gradients, flags and errors."""

from __future__ import annotations

import importlib
import re

import numpy as np
import pytest
import torch

import xpnet
from xpnet.autograd import FunctionCtx, once_differentiable


def _classes(body):
    """``body`` (a function of the library) as a custom Function of torch and of xpnet."""
    return body(torch), body(xpnet)


def _scaled_square(lib):
    class ScaledSquare(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x, scale, offset=1.0):
            ctx.save_for_backward(x)
            ctx.scale = scale
            ctx.seen = ctx.needs_input_grad
            return scale * x * x + offset

        @staticmethod
        def backward(ctx, grad_output):
            (x,) = ctx.saved_tensors
            return grad_output * 2 * ctx.scale * x, None, None

    return ScaledSquare


def _setup_context_form(lib):
    class Product(lib.autograd.Function):
        @staticmethod
        def forward(x, y):
            return x * y

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.save_for_backward(*inputs)

        @staticmethod
        def backward(ctx, grad_output):
            x, y = ctx.saved_tensors
            return grad_output * y, grad_output * x

    return Product


def _three_outputs(lib, materialize=True):
    class Split(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.set_materialize_grads(materialize)
            signs = (x > 0).long()
            doubled, halved = x * 2, x / 2
            ctx.mark_non_differentiable(halved)
            return doubled, signs, halved, x * 3

        @staticmethod
        def backward(ctx, doubled, signs, halved, tripled):
            ctx.got = [g is None for g in (doubled, signs, halved, tripled)]
            total = 0
            for grad, factor in ((doubled, 2), (tripled, 3)):
                total = total if grad is None else total + grad * factor
            return total

    return Split


def _data(xp, lib, shape=(3, 4), seed=0):
    values = np.random.default_rng(seed).standard_normal(shape)
    if lib is torch:
        return torch.tensor(values, requires_grad=True)
    return xpnet.Tensor(xp.asarray(values), requires_grad=True)


def _numpy(value):
    if isinstance(value, torch.Tensor):
        return value.detach().numpy()
    return value.numpy() if isinstance(value, xpnet.Tensor) else xpnet.to_numpy(value)


def test_forward_backward_and_flags_match_torch(xp):
    results = []
    for lib, cls in zip((torch, xpnet), _classes(_scaled_square), strict=True):
        x = _data(xp, lib)
        out = cls.apply(x, 1.5, offset=2.0)
        ctx = out.grad_fn if lib is torch else out.grad_fn.kwargs["ctx"]
        (out * out).sum().backward()
        results.append((_numpy(out), _numpy(x.grad), ctx.seen, out.requires_grad))
    (ours, ours_grad, ours_seen, ours_req), (theirs, theirs_grad, theirs_seen, theirs_req) = (
        results[1],
        results[0],
    )
    np.testing.assert_allclose(ours, theirs, rtol=1e-12)
    np.testing.assert_allclose(ours_grad, theirs_grad, rtol=1e-12)
    assert ours_seen == theirs_seen == (True, False, False) and ours_req == theirs_req


def test_setup_context_form_matches_torch(xp):
    grads = []
    for lib, cls in zip((torch, xpnet), _classes(_setup_context_form), strict=True):
        x, y = _data(xp, lib), _data(xp, lib, seed=1)
        cls.apply(x, y).sum().backward()
        grads.append((_numpy(x.grad), _numpy(y.grad)))
    for ours, theirs in zip(grads[1], grads[0], strict=True):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12)


@pytest.mark.parametrize("materialize", [True, False])
def test_several_outputs_as_torchs(xp, materialize):
    """Integer and marked outputs take no gradient; unused ones get zeros (or ``None``)."""
    seen = []
    for lib in (torch, xpnet):
        cls = _three_outputs(lib, materialize)
        x = _data(xp, lib)
        doubled, signs, halved, tripled = cls.apply(x)
        flags = [t.requires_grad for t in (doubled, signs, halved, tripled)]
        doubled.sum().backward()
        seen.append((flags, _numpy(x.grad)))
    assert seen[1][0] == seen[0][0] == [True, False, False, True]
    np.testing.assert_allclose(seen[1][1], seen[0][1], rtol=1e-12)


def test_unused_outputs_get_none_without_materialized_grads(xp):
    cls = _three_outputs(xpnet, materialize=False)
    x = _data(xp, xpnet)
    doubled, *_ = cls.apply(x)
    ctx = doubled.grad_fn.kwargs["ctx"]
    doubled.sum().backward()
    assert ctx.got == [False, True, True, True]


def test_two_used_outputs_add_their_gradients(xp):
    seen = []
    for lib in (torch, xpnet):
        x = _data(xp, lib)
        doubled, _, _, tripled = _three_outputs(lib).apply(x)
        (doubled * tripled).sum().backward()
        seen.append(_numpy(x.grad))
    np.testing.assert_allclose(seen[1], seen[0], rtol=1e-12)


def _returning(lib, grads):
    class Bad(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x, k):
            return x * k

        @staticmethod
        def backward(ctx, grad_output):
            return grads(grad_output)

    return Bad


@pytest.mark.parametrize(
    ("grads", "match"),
    [
        (
            lambda g: (g,),
            r"BadBackward returned an incorrect number of gradients \(expected 2, got 1\)",
        ),
        (lambda g: (g, 1.0), "gradient different than None at position 2"),
        (lambda g: (g.sum(0, keepdim=True), None), r"invalid gradient at index 0 - got \[1, 4\]"),
    ],
)
def test_wrong_gradients_raise_torchs_errors(xp, grads, match):
    for lib in (torch, xpnet):
        x = _data(xp, lib)
        with pytest.raises(RuntimeError, match=match.replace("Tensor", "")):
            _returning(lib, grads).apply(x, 2.0).sum().backward()


def test_extra_trailing_nones_are_accepted_as_torchs(xp):
    x = _data(xp, xpnet)
    _returning(xpnet, lambda g: (g * 2, None, None, None)).apply(x, 2.0).sum().backward()
    np.testing.assert_array_equal(xpnet.to_numpy(x.grad), np.full((3, 4), 2.0))


def _cube(lib, once=False):
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output * 3 * x**2

    class Cube(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x**3

    decorate = lib.autograd.function.once_differentiable if once else (lambda f: f)
    Cube.backward = staticmethod(decorate(backward))
    return Cube


def test_a_backward_in_tensor_ops_is_differentiated_again_as_torchs(xp):
    seen = []
    for lib in (torch, xpnet):
        x = _data(xp, lib, shape=(5,))
        (first,) = lib.autograd.grad(_cube(lib).apply(x).sum(), x, create_graph=True)
        (second,) = lib.autograd.grad((first * first).sum(), x)
        seen.append((_numpy(first), _numpy(second)))
    for ours, theirs in zip(seen[1], seen[0], strict=True):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12)


def test_once_differentiable_refuses_a_second_derivative_as_torchs(xp):
    for lib in (torch, xpnet):
        x = _data(xp, lib, shape=(5,))
        cube = _cube(lib, once=True).apply(x)
        (constant,) = lib.autograd.grad(cube.sum(), x, create_graph=True)
        assert not constant.requires_grad  # from a constant upstream gradient
        (first,) = lib.autograd.grad((cube * cube).sum(), x, create_graph=True)
        assert first.requires_grad
        with pytest.raises(RuntimeError, match="differentiate twice .* @once_differentiable"):
            first.sum().backward()


def test_a_second_backward_needs_retain_graph(xp):
    x = _data(xp, xpnet)
    out = _cube(xpnet).apply(x).sum()
    out.backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        out.backward()


def test_no_recording_without_inputs_that_require_grad(xp):
    x = _data(xp, xpnet)
    with xpnet.no_grad():
        assert not _cube(xpnet).apply(x).requires_grad
    assert not _cube(xpnet).apply(x.detach()).requires_grad


def test_the_node_and_the_base_class_read_as_torchs(xp):
    x = _data(xp, xpnet)
    node = _cube(xpnet).apply(x).grad_fn
    assert re.fullmatch(r"<CubeBackward object at 0x[0-9a-f]+>", repr(node))
    ((accumulate, index),) = node.next_functions  # x, a leaf
    assert accumulate.variable is x and index == 0
    with pytest.raises(NotImplementedError, match="must implement the forward function"):
        xpnet.autograd.Function.apply(x)
    with pytest.raises(TypeError, match="save_for_backward can only save Tensors or None"):
        FunctionCtx((True,)).save_for_backward(np.zeros(2))
    with pytest.raises(NotImplementedError, match="mark_dirty"):
        FunctionCtx((True,)).mark_dirty(x)
    function_module = importlib.import_module("xpnet.autograd.function")  # torch's path
    assert function_module.Function is xpnet.autograd.Function
    assert function_module.FunctionCtx is FunctionCtx
    assert xpnet.autograd.once_differentiable is once_differentiable


def _two_outputs(lib, calls, leading=None):
    """``x * 2, x ** 3`` (after ``leading``, e.g. an int, if given); records each backward's
    gradients (``None`` or their sums) in ``calls``."""

    class Pair(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            outputs = (x * 2, x**3)
            return outputs if leading is None else (leading, *outputs)

        @staticmethod
        def backward(ctx, *grads):
            (x,) = ctx.saved_tensors
            calls.append([None if g is None else float(g.detach().sum()) for g in grads])
            doubled, cubed = grads[-2:]
            return doubled * 2 + cubed * 3 * x * x

    return Pair


def _pair_results(xp, run, leading=None, materialize=True):
    """``run(lib, x, outputs)`` on torch and xpnet: (calls, x.grad) of each, torch's first."""
    results = []
    for lib in (torch, xpnet):
        calls = []
        x = _data(xp, lib)
        outputs = _two_outputs(lib, calls, leading).apply(x)
        run(lib, x, outputs)
        results.append((calls, None if x.grad is None else _numpy(x.grad)))
    return results


@pytest.mark.parametrize(
    "loss",
    [
        lambda lib, a, b: (a * b).sum(),
        lambda lib, a, b: a.exp().sum() + b.sum(),  # the outputs' users at other depths
        lambda lib, a, b: b.sum() + a.tanh().exp().sum(),
    ],
)
def test_one_backward_call_takes_every_outputs_gradient(xp, loss):
    """PyTorch runs a Function's backward once, with the gradients of all its outputs (not
    once per output, with zeros for the others)."""
    theirs, ours = _pair_results(xp, lambda lib, x, out: loss(lib, *out).backward())
    assert len(ours[0]) == len(theirs[0]) == 1
    np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-12)
    np.testing.assert_allclose(ours[1], theirs[1], rtol=1e-12)


def test_a_non_tensor_output_gets_none(xp):
    theirs, ours = _pair_results(xp, lambda lib, x, out: out[1].sum().backward(), leading=3)
    assert ours[0] == theirs[0] and ours[0][0][0] is None  # (None, n, 0.0): zeros for cubed
    np.testing.assert_allclose(ours[1], theirs[1], rtol=1e-12)


def test_a_walk_reaching_one_output_runs_it_once_and_frees_the_node(xp):
    """``grad`` towards ``x`` from one output: one call; the node's buffers are then freed
    for the other output too, as PyTorch's single node."""
    errors = []

    def run(lib, x, outputs):
        lib.autograd.grad(outputs[0].sum(), x)
        with pytest.raises(RuntimeError, match="second time") as error:
            outputs[1].sum().backward()
        errors.append(error)

    theirs, ours = _pair_results(xp, run)
    assert len(ours[0]) == len(theirs[0]) == 1
    assert len(errors) == 2


def test_retained_outputs_run_again(xp):
    def run(lib, x, outputs):
        outputs[0].sum().backward(retain_graph=True)
        outputs[1].sum().backward()

    theirs, ours = _pair_results(xp, run)
    assert len(ours[0]) == len(theirs[0]) == 2
    np.testing.assert_allclose(ours[1], theirs[1], rtol=1e-12)


def test_output_hooks_run_before_the_one_call(xp):
    def run(lib, x, outputs):
        outputs[0].register_hook(lambda g: g * 10)
        (outputs[0] + outputs[1]).sum().backward()

    theirs, ours = _pair_results(xp, run)
    assert ours[0] == theirs[0]
    np.testing.assert_allclose(ours[1], theirs[1], rtol=1e-12)


def test_second_order_gradients_through_several_outputs(xp):
    def run(lib, x, outputs):
        (first,) = lib.autograd.grad((outputs[0] * outputs[1]).sum(), x, create_graph=True)
        first.sum().backward()

    theirs, ours = _pair_results(xp, run)
    assert len(ours[0]) == len(theirs[0])
    np.testing.assert_allclose(ours[1], theirs[1], rtol=1e-12)


def test_next_functions_name_each_outputs_position(xp):
    names = []
    for lib in (torch, xpnet):
        a, b = _two_outputs(lib, []).apply(_data(xp, lib))
        names.append([(f.name(), nr) for f, nr in (b + a).grad_fn.next_functions])
    assert names[1] == names[0] == [("PairBackward", 1), ("PairBackward", 0)]


def test_a_gradient_passed_through_is_copied_into_grad(xp):
    """A backward that returns an output's gradient as it is: the leaf's ``.grad`` is a copy,
    not the caller's gradient (which adding into ``.grad`` later would change)."""

    class Through(xpnet.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1, x * 2

        @staticmethod
        def backward(ctx, first, second):
            return first

    x = _data(xp, xpnet)
    first, _ = Through.apply(x)
    gradient = xpnet.ones_like(first)
    first.backward(gradient)
    x.grad.add_(1.0)
    np.testing.assert_array_equal(_numpy(gradient), np.ones((3, 4)))
