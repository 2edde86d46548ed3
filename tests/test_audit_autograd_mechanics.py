"""Regression tests for the autograd mechanics the 2026-12-07 audit found apart from PyTorch
2.13: ``backward``'s and ``grad``'s empty ``inputs``, an ``inputs`` tensor without a gradient
and a gradient count that does not match (PyTorch's ``RuntimeError``);
``grad(..., is_grads_batched=True)``; the ``UserWarning`` on reading a non-leaf's ``.grad``;
a ``retain_grad`` tensor filled by every walk through it; a hook that changes the gradient's
dtype, a post-accumulate hook that returns something; ``set_grad_enabled`` of a non-bool;
``inference_mode(False)``, which turns gradients on; a custom Function's saved Tensor
changed in place before its backward, its ``vjp`` and a missing ``backward``.

PyTorch is the oracle: each case runs on both libraries; xpnet's exception must be an
instance of PyTorch's class, and its message name the function.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import xpnet


def _leaf(lib, values):
    return lib.tensor(values, dtype=lib.float64, requires_grad=True)


def _refused_as_torch(call, pattern):
    with pytest.raises(Exception) as expected:  # noqa: PT011 - whatever class torch raises
        call(torch)
    with pytest.raises(expected.type, match=pattern):
        call(xpnet)


def _same(xpnet_tensor, torch_tensor):
    np.testing.assert_allclose(xpnet_tensor.numpy(), torch_tensor.detach().numpy(), rtol=1e-12)
    assert tuple(xpnet_tensor.shape) == tuple(torch_tensor.shape)


def _batched_rows(lib, rows):
    x = _leaf(lib, [1.0, 2.0])
    return lib.autograd.grad(x * 2, x, rows, is_grads_batched=True)


# 1. backward's and grad's arguments: PyTorch's RuntimeError
REFUSED = {
    "backward_inputs_empty": (
        lambda lib: (_leaf(lib, [1.0, 2.0]) * 2).sum().backward(inputs=[]),
        r"backward: `inputs` argument to `backward\(\)` cannot be empty",
    ),
    "backward_input_without_grad": (
        lambda lib: (_leaf(lib, [1.0]) * 2).sum().backward(inputs=[lib.ones(1)]),
        r"backward: inputs\[0\] does not require grad",
    ),
    "grad_inputs_empty": (
        lambda lib: lib.autograd.grad((_leaf(lib, [1.0]) * 2).sum(), []),
        r"grad: `inputs` argument to `grad\(\)` cannot be empty",
    ),
    "backward_gradient_count": (
        lambda lib: lib.autograd.backward([_leaf(lib, [1.0]) * 2] * 2, [lib.ones(1)]),
        "backward: got 1 gradients for 2 tensors",
    ),
    "grad_batched_shape": (
        lambda lib: _batched_rows(lib, lib.ones(2, dtype=lib.float64)),
        r"grad: with is_grads_batched=True .* grad_output\[0\] has shape \(2,\)",
    ),
    "set_grad_enabled_int": (
        lambda lib: lib.set_grad_enabled(1),
        "set_grad_enabled.*must be bool, not int",
    ),
}


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_autograd_arguments_are_refused_as_torch(backend, name):
    call, pattern = REFUSED[name]
    try:
        _refused_as_torch(call, pattern)
    finally:
        torch.set_grad_enabled(True)
        xpnet.set_grad_enabled(True)


# 2. grad(..., is_grads_batched=True): the gradients of each row, stacked
def _batched(lib, create_graph=False):
    x, z = _leaf(lib, [1.0, 2.0]), _leaf(lib, [3.0])
    y = x**3
    rows = lib.tensor([[1.0, 0.0], [0.0, 1.0], [2.0, 3.0]], dtype=lib.float64)
    grads = lib.autograd.grad(
        y, [x, z], rows, is_grads_batched=True, allow_unused=True, create_graph=create_graph
    )
    return x, grads


def test_batched_gradients_match_torch(backend):
    (_, (ours, unused)), (_, (theirs, _)) = _batched(xpnet), _batched(torch)
    _same(ours, theirs)
    assert unused is None
    (x, (ours, _)), (tx, (theirs, _)) = _batched(xpnet, True), _batched(torch, True)
    _same(xpnet.autograd.grad(ours.sum(), x)[0], torch.autograd.grad(theirs.sum(), tx)[0])


# 3. .grad of a non-leaf: PyTorch's UserWarning; filled where the tensor retains its grad
def test_reading_a_non_leafs_grad_warns_as_torch(backend):
    for lib in (torch, xpnet):
        hidden = _leaf(lib, [1.0, 2.0]) * 2
        with pytest.warns(UserWarning, match="is not a leaf Tensor is being accessed"):
            assert hidden.grad is None
        hidden.retain_grad()
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            assert hidden.grad is None


def _retained(lib, through_grad):
    x, w = _leaf(lib, [1.0, 2.0]), _leaf(lib, [3.0, 4.0])
    hidden = x * 2
    hidden.retain_grad()
    loss = (hidden * hidden * w).sum()
    if through_grad:
        lib.autograd.grad(loss, x)
    else:
        loss.backward(inputs=[x])
    return hidden.grad, w.grad


@pytest.mark.parametrize("through_grad", [True, False])
def test_a_retained_grad_is_filled_by_any_walk_through_it_as_torch(backend, through_grad):
    ours, theirs = _retained(xpnet, through_grad), _retained(torch, through_grad)
    _same(ours[0], theirs[0])
    assert ours[1] is None and theirs[1] is None


# 4. hooks: a changed dtype, a post-accumulate hook's result
def test_a_hook_that_changes_the_dtype_is_refused_as_torch(backend):
    def call(lib):
        x = _leaf(lib, [1.0, 2.0])
        x.register_hook(lambda grad: grad.float())
        (x * 2).sum().backward()

    _refused_as_torch(call, "register_hook: hook '<lambda>' has changed the type of value")


def test_a_post_accumulate_hook_must_return_none_as_torch(backend):
    def call(lib):
        x = _leaf(lib, [1.0, 2.0])
        x.register_post_accumulate_grad_hook(lambda tensor: tensor.grad)
        (x * 2).sum().backward()

    _refused_as_torch(call, "register_post_accumulate_grad_hook: .*should return None")


# 5. inference_mode(False) is enable_grad in PyTorch
def _inference_mode_false(lib) -> tuple:
    x = _leaf(lib, [1.0])
    with lib.no_grad(), lib.inference_mode(False):
        inside = (lib.is_grad_enabled(), (x * 2).requires_grad)

    @lib.inference_mode(False)
    def recorded():
        return (x * 2).requires_grad

    with lib.no_grad():
        decorated = recorded()
    return inside, decorated, lib.is_grad_enabled()


def test_inference_mode_false_turns_gradients_on_as_torch(backend):
    expected = ((True, True), True, True)  # on inside no_grad, and on as a decorator
    assert _inference_mode_false(xpnet) == _inference_mode_false(torch) == expected


# 6. custom Functions: a saved Tensor changed in place, vjp, no backward
def _scaled(lib):
    class Scaled(lib.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            ctx.save_for_backward(a)
            return a * 2

        @staticmethod
        def backward(ctx, grad):
            (a,) = ctx.saved_tensors
            return grad * a

    return Scaled


def _changed_in_forward(lib):
    class Changed(lib.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            kept = a * 2
            ctx.save_for_backward(kept)
            kept.add_(1)  # before the forward ends: the value backward gets, as PyTorch's
            return kept.clone()

        @staticmethod
        def backward(ctx, grad):
            return grad * ctx.saved_tensors[0]

    x = _leaf(lib, [1.0, 2.0])
    Changed.apply(x).sum().backward()
    return x.grad


def test_a_saved_tensor_changed_in_place_is_refused_as_torch(backend):
    def call(lib):
        x = _leaf(lib, [1.0, 2.0])
        hidden = x * 1
        y = _scaled(lib).apply(hidden)
        hidden.add_(1)  # the backward would use the new value
        y.sum().backward()

    _refused_as_torch(call, "saved_tensors: .*modified by an inplace operation.* version 1")
    _same(_changed_in_forward(xpnet), _changed_in_forward(torch))


def test_a_custom_function_may_name_its_backward_vjp_as_torch(backend):
    def grad_of(lib):
        class Doubled(lib.autograd.Function):
            @staticmethod
            def forward(ctx, a):
                return a * 2

            @staticmethod
            def vjp(ctx, grad):
                return grad * 2

        x = _leaf(lib, [1.0, 2.0])
        Doubled.apply(x).sum().backward()
        return x.grad

    _same(grad_of(xpnet), grad_of(torch))


def test_a_custom_function_without_backward_is_refused_as_torch(backend):
    def call(lib):
        class Forward(lib.autograd.Function):
            @staticmethod
            def forward(ctx, a):
                return a * 2

        Forward.apply(_leaf(lib, [1.0])).sum().backward()

    _refused_as_torch(call, "ForwardBackward: You must implement either the backward or vjp")
