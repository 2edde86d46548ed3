"""xpnet.autograd.gradcheck / gradgradcheck against torch.autograd's: the same verdict (and,
on a failure, the same message and Jacobians) for the same functions, correct and wrong."""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch
from _oracle import random_input
from torch.autograd.gradcheck import GradcheckError as TorchGradcheckError

import xpnet
import xpnet.nn.functional as F
from xpnet.autograd import GradcheckError, gradcheck, gradgradcheck

NUMBER = re.compile(r"-?\d+\.\d*(?:e[-+]?\d+)?")


def both(backend, *arrays, requires_grad=True):
    """The arrays as float64 xpnet Tensors on ``backend`` and as torch tensors."""
    ours = [xpnet.Tensor(backend.asarray(a), requires_grad=requires_grad) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=requires_grad) for a in arrays]
    return tuple(ours), tuple(theirs)


def numbers(message: str) -> list[float]:
    """The numbers of a gradcheck message, without the dtype torch prints."""
    return [float(n) for n in NUMBER.findall(message.replace("torch.float64", ""))]


def wrong_square(lib, factor=3.0, output_scale=1.0):
    """``x * x`` as a custom Function of ``lib`` whose backward is ``factor * x * g``."""

    class WrongSquare(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x * output_scale

        @staticmethod
        def backward(ctx, grad_output):
            (x,) = ctx.saved_tensors
            return factor * x * grad_output

    return WrongSquare.apply


CORRECT = {
    "conv2d": (
        lambda lib, x, w: lib.nn.functional.conv2d(x, w, padding=1, stride=2),
        [(1, 2, 4, 4), (3, 2, 3, 3)],
    ),
    "softmax": (lambda lib, x: lib.nn.functional.softmax(x, dim=1), [(2, 4)]),
    "matmul": (lambda lib, a, b: a @ b, [(2, 3), (3, 2)]),
    "layer_norm": (lambda lib, x: lib.nn.functional.layer_norm(x, (3,)), [(2, 3)]),
    "two outputs": (lambda lib, x: (x.tanh(), (x * x).sum()), [(3,)]),
}


@pytest.mark.parametrize("name", list(CORRECT))
def test_gradcheck_passes_correct_ops_as_torch(backend, name):
    function, shapes = CORRECT[name]
    arrays = [random_input(shape, seed=i) for i, shape in enumerate(shapes)]
    ours, theirs = both(backend, *arrays)
    assert torch.autograd.gradcheck(lambda *t: function(torch, *t), theirs)
    assert gradcheck(lambda *t: function(xpnet, *t), ours)


@pytest.mark.parametrize("name", ["softmax", "matmul", "conv2d"])
def test_gradgradcheck_passes_correct_ops_as_torch(backend, name):
    function, shapes = CORRECT[name]
    arrays = [random_input(shape, seed=i) for i, shape in enumerate(shapes)]
    ours, theirs = both(backend, *arrays)
    assert torch.autograd.gradgradcheck(lambda *t: function(torch, *t), theirs)
    assert gradgradcheck(lambda *t: function(xpnet, *t), ours)


def test_gradcheck_fails_a_wrong_backward_as_torch(backend):
    ours, theirs = both(backend, np.array([1.0, 2.0, -0.5]))
    with pytest.raises(TorchGradcheckError) as expected:
        torch.autograd.gradcheck(wrong_square(torch), theirs)
    with pytest.raises(GradcheckError) as got:
        gradcheck(wrong_square(xpnet), ours)
    assert isinstance(got.value, RuntimeError)
    head = "Jacobian mismatch for output 0 with respect to input 0,\nnumerical:"
    assert str(expected.value).startswith(head) and str(got.value).startswith(head)
    assert "\nanalytical:" in str(got.value)
    # the same two (input numel x output numel) Jacobians, numerical first
    assert numbers(str(got.value)) == pytest.approx(numbers(str(expected.value)), abs=1e-4)
    assert not torch.autograd.gradcheck(wrong_square(torch), theirs, raise_exception=False)
    assert not gradcheck(wrong_square(xpnet), ours, raise_exception=False)
    assert not gradcheck(wrong_square(xpnet), ours, raise_exception=False, fast_mode=True)


def test_gradcheck_names_the_failing_output_and_input(backend):
    ours, theirs = both(backend, np.array([1.0, 2.0]), np.array([0.5]))

    def function(lib, x, y):
        return (x * y).sum(), wrong_square(lib)(x) + y

    message = "Jacobian mismatch for output 1 with respect to input 0,"
    with pytest.raises(TorchGradcheckError, match=message):
        torch.autograd.gradcheck(lambda *t: function(torch, *t), theirs)
    with pytest.raises(GradcheckError, match=message):
        gradcheck(lambda *t: function(xpnet, *t), ours)


def test_gradgradcheck_fails_a_wrong_double_backward_as_torch(backend):
    def detached_backward(lib):
        class Square(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.save_for_backward(x)
                return x * x

            @staticmethod
            def backward(ctx, grad_output):  # x.detach(): no second derivative in x
                (x,) = ctx.saved_tensors
                return 2 * x.detach() * grad_output

        return Square.apply

    ours, theirs = both(backend, np.array([1.0, -2.0]))
    assert torch.autograd.gradcheck(detached_backward(torch), theirs)
    assert gradcheck(detached_backward(xpnet), ours)
    message = "Jacobian mismatch for output 0 with respect to input 0,"
    with pytest.raises(TorchGradcheckError, match=message):
        torch.autograd.gradgradcheck(detached_backward(torch), theirs)
    with pytest.raises(GradcheckError, match=message):
        gradgradcheck(detached_backward(xpnet), ours)


def custom(lib, backward):
    class Custom(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return 2 * x

        @staticmethod
        def backward(ctx, grad_output):
            return backward(ctx.saved_tensors[0], grad_output)

    return Custom.apply


def test_gradcheck_finds_a_backward_not_multiplied_by_grad_output(backend):
    # right on every one-hot output gradient, not 0 on a zero one
    def backward(x, g):
        return 2 * g + (1 - g.abs().sum())

    ours, theirs = both(backend, np.array([1.0, 2.0]))
    message = "backward not multiplied by grad_output"
    with pytest.raises(TorchGradcheckError, match=message):
        torch.autograd.gradcheck(custom(torch, backward), theirs)
    with pytest.raises(GradcheckError, match=message):
        gradcheck(custom(xpnet, backward), ours)


def test_gradcheck_finds_a_backward_that_is_not_reentrant(backend):
    def drifting(calls):
        def backward(x, g):
            calls.append(1)
            return 2 * g * (1 + 1e-9 * len(calls))

        return backward

    ours, theirs = both(backend, np.array([1.0, 2.0]))
    message = "Backward is not reentrant, i.e., running backward with same input"
    with pytest.raises(TorchGradcheckError, match=message):
        torch.autograd.gradcheck(custom(torch, drifting([])), theirs)
    with pytest.raises(GradcheckError, match=message):
        gradcheck(custom(xpnet, drifting([])), ours)
    assert torch.autograd.gradcheck(custom(torch, drifting([])), theirs, nondet_tol=1e-6)
    assert gradcheck(custom(xpnet, drifting([])), ours, nondet_tol=1e-6)


def test_gradcheck_without_differentiable_outputs(backend):
    ours, theirs = both(backend, np.array([1.0, 2.0]))
    assert torch.autograd.gradcheck(lambda t: (t * 0).detach(), theirs)
    assert gradcheck(lambda t: (t * 0).detach(), ours)
    message = "Numerical gradient for function expected to be zero"
    with pytest.raises(TorchGradcheckError, match=message):
        torch.autograd.gradcheck(lambda t: (t * 2).detach(), theirs)
    with pytest.raises(GradcheckError, match=message):
        gradcheck(lambda t: (t * 2).detach(), ours)


def test_gradcheck_warns_for_float32_inputs_as_torch(backend):
    x = random_input((3,), seed=0).astype(np.float32)
    message = "Input #0 requires gradient and is not a double precision floating point"
    with pytest.warns(UserWarning, match=message):
        x_torch = torch.tensor(x, requires_grad=True)
        assert torch.autograd.gradcheck(torch.sin, (x_torch,), eps=1e-3, atol=1e-2)
    with pytest.warns(UserWarning, match=message):
        tensor = xpnet.Tensor(backend.asarray(x), requires_grad=True)
        assert gradcheck(lambda t: t.sin(), (tensor,), eps=1e-3, atol=1e-2)


def test_gradcheck_rejects_inputs_as_torch(backend):
    ours, theirs = both(backend, np.array([1.0, 2.0]), requires_grad=False)
    message = "gradcheck expects at least one input tensor to require gradient"
    with pytest.raises(ValueError, match=message):
        torch.autograd.gradcheck(torch.sin, theirs)
    with pytest.raises(ValueError, match=message):
        gradcheck(lambda t: t.sin(), ours)
    ours, theirs = both(backend, np.array([1.0]))
    message = "The 0th input has a dimension with stride 0"
    with pytest.raises(RuntimeError, match=message):
        torch.autograd.gradcheck(torch.sin, (theirs[0].expand(3),))
    with pytest.raises(RuntimeError, match=message):
        gradcheck(lambda t: t.sin(), (ours[0].expand(3),))


def test_gradcheck_switches_as_torch(backend):
    ours, theirs = both(backend, np.array([1.0, 2.0]))
    message = "Expected at least one of check_forward_ad or check_backward_ad to be True"
    with pytest.raises(AssertionError, match=message):
        torch.autograd.gradcheck(torch.sin, theirs, check_backward_ad=False)
    with pytest.raises(AssertionError, match=message):
        gradcheck(lambda t: t.sin(), ours, check_backward_ad=False)
    with pytest.raises(NotImplementedError, match="gradcheck: check_batched_grad=True is not"):
        gradcheck(lambda t: t.sin(), ours, check_batched_grad=True)
    # accepted switches: fast_mode (the full check runs), check_undefined_grad, masked
    assert gradcheck(lambda t: t.sin(), ours, fast_mode=True, check_undefined_grad=False)
    assert gradcheck(lambda t: F.gelu(t), ours, masked=False, check_grad_dtypes=True)


# xpnet.autograd.Variable, the legacy wrapper, exported beside gradcheck


@pytest.mark.parametrize("requires_grad", [True, False])
def test_variable_returns_a_detached_tensor_as_torch(backend, requires_grad):
    ours, theirs = both(backend, np.array([1.0, 2.0]), requires_grad=False)
    for lib, x in ((torch, theirs[0]), (xpnet, ours[0])):
        y = x * 2
        v = lib.autograd.Variable(y, requires_grad=requires_grad)
        assert type(v) is type(x) and isinstance(x, lib.autograd.Variable)
        assert v is not y and v.requires_grad == requires_grad and v.is_leaf
        assert v.grad_fn is None and not x.requires_grad
    view = xpnet.autograd.Variable(ours[0])
    view[0] = 5.0  # the same array, as torch's shares storage
    assert float(ours[0][0].item()) == 5.0


def test_variable_rejects_as_torch():
    for lib in (torch, xpnet):
        with pytest.raises(TypeError, match="Variable data has to be a tensor, but got list"):
            lib.autograd.Variable([1.0, 2.0])
        x = lib.zeros(2)
        with pytest.warns(UserWarning, match="volatile was removed and now has no effect"):
            with pytest.raises(ValueError, match="Variable can't be volatile and require_grad"):
                lib.autograd.Variable(x, True, True)


def test_the_new_names_are_in_autograds_all():
    # `from torch.autograd import *` brings them; so does xpnet's
    names = {"GradcheckError", "Variable", "detect_anomaly", "gradcheck", "gradgradcheck"}
    assert names | {"set_detect_anomaly"} <= set(xpnet.autograd.__all__)


# torch's forward AD imports a torch.jit.script function, deprecated in 2.13
@pytest.mark.filterwarnings("ignore:`torch.jit.script` is deprecated:DeprecationWarning")
@pytest.mark.parametrize("function", ["sin_product", "softmax", "two_outputs"])
def test_forward_mode_checks_pass_as_pytorchs(backend, function):
    f = {
        "sin_product": lambda m, x, y: (x * y).sin(),
        "softmax": lambda m, x, y: (torch if m is torch else F).softmax(x * y, dim=0),
        "two_outputs": lambda m, x, y: (x.exp(), (x * y).sum()),
    }[function]
    ours, theirs = both(backend, np.array([0.3, -1.2, 2.0]), np.array([1.5, 0.5, -0.7]))
    assert torch.autograd.gradcheck(lambda *a: f(torch, *a), theirs, check_forward_ad=True)
    assert gradcheck(lambda *a: f(xpnet, *a), ours, check_forward_ad=True)
    assert gradcheck(lambda *a: f(xpnet, *a), ours, check_forward_ad=True, check_backward_ad=False)
    assert gradgradcheck(lambda *a: f(xpnet, *a), ours, check_fwd_over_rev=True)


def test_forward_mode_check_reports_a_wrong_jacobian(backend):
    ours, _ = both(backend, np.array([0.3, -1.2]))

    class Twice(xpnet.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, grad_output):
            return grad_output * 3  # wrong: 3 instead of 2

    message = "Jacobian computed with forward mode mismatch for output 0 with respect to input 0"
    with pytest.raises(GradcheckError, match=message):
        gradcheck(lambda x: Twice.apply(x), ours, check_forward_ad=True, check_backward_ad=False)
