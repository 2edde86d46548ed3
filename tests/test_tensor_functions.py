"""The Tensor methods and ``torch.<name>`` function forms that ported scripts call, against
PyTorch autograd in float64: arithmetic with ``alpha``/``rounding_mode``, products,
activations, step functions, tests, ``norm``, ``logsumexp``, casts, the in-place methods and
their rules, and the function forms against ``torch.<name>``.

The same call runs on an xpnet Tensor and on a torch tensor (the names and arguments are
PyTorch's), forward and backward with a random upstream gradient.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from _oracle import check_tensor_method, random_input

import xpnet
from xpnet import _torch_functions as functions
from xpnet.autograd import Tensor
from xpnet.kernels import ArgumentError

NAN, INF = np.nan, np.inf
# 0, -0, signs, a tie of magnitudes (2, -2), infinities and NaN
EDGES = np.array([0.0, -0.0, 1.5, -2.0, 2.0, 0.5, INF, -INF, NAN])


def both(name, *args, **kwargs):
    """``torch.<name>(t, *args)`` on a torch tensor, the xpnet function form on a Tensor."""

    def call(*tensors):
        namespace = torch if any(isinstance(t, torch.Tensor) for t in tensors) else functions
        return getattr(namespace, name)(*tensors, *args, **kwargs)

    return call


def host(tensor):
    return tensor.numpy() if isinstance(tensor, Tensor) else tensor.detach().numpy()


def same(actual: Tensor, expected: torch.Tensor, rtol=0.0) -> None:
    """Equal values (NaN where NaN; within ``rtol`` if given) and the same dtype, for results
    without gradients."""
    assert actual.dtype == np.dtype(str(expected.dtype).removeprefix("torch.")), actual.dtype
    np.testing.assert_allclose(host(actual), host(expected), rtol=rtol, atol=0)


def x34(seed=3, low=-1.0, high=1.0):
    return random_input((3, 4), seed=seed, low=low, high=high)


# -- arithmetic ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "method",
    [
        lambda t, u: t.add(u),
        lambda t, u: t.add(u, alpha=2.5),
        lambda t, u: t.sub(u[0], alpha=-0.5),  # u broadcast: its gradient is summed
        lambda t, u: t.add(2, alpha=3) + t.sub(1.5),
        lambda t, u: t.mul(u) + t.mul(-2),
        lambda t, u: t.div(u) + t.true_divide(3),
        lambda t, u: t.neg() * u,
        lambda t, u: t.abs().pow(u) + t.pow(2) + t.abs().pow(0.5),
        lambda t, u: t.matmul(u.t()) + t.mm(u.transpose(0, 1)),
        lambda t, u: t.t().square() + u.t().reciprocal(),
        lambda t, u: t.abs().rsqrt() * u,
    ],
)
def test_arithmetic_methods_match_torch(backend, method):
    check_tensor_method(method, [x34(), x34(seed=4)], backend)


@pytest.mark.parametrize("mode", ["floor", "trunc"])
def test_div_rounding_modes_match_torch_with_zero_gradients(backend, mode):
    """0, NaN and inf operands, divisors 0 and -0: PyTorch's quotients (Python's ``//`` for
    floor), and a zero (not missing) gradient for both operands."""
    a = np.array([3.0, -3.0, 0.0, NAN, INF, -INF, 5.5, -5.5, 1.0, -1.0, 7.0])
    b = np.array([2.0, 2.0, 0.0, 1.0, 2.0, -2.0, -2.0, 0.3, 0.0, -0.0, INF])
    output, grads = check_tensor_method(lambda t, u: t.div(u, rounding_mode=mode), [a, b], backend)
    assert not np.any(grads[0]) and not np.any(grads[1])
    check_tensor_method(lambda t: t.div(-2.5, rounding_mode=mode) * t, [a], backend)


@pytest.mark.parametrize("mode", [None, "floor", "trunc"])
def test_div_of_integers_matches_torch_values_and_dtypes(backend, mode):
    """Integers stay integers with a rounding mode (exact beyond 2**53), and divide to float32,
    PyTorch's default dtype, without one (NumPy's would be float64)."""
    a = np.array([7, -7, 7, -7, 0, 2**62 + 1, -(2**62) - 1])
    b = np.array([2, 2, -2, -2, 3, 3, 3])
    ours = Tensor(backend.asarray(a)).div(Tensor(backend.asarray(b)), rounding_mode=mode)
    same(ours, torch.tensor(a).div(torch.tensor(b), rounding_mode=mode))
    same(Tensor(backend.asarray(a)).div(2), torch.tensor(a).div(2))


def test_integer_and_float_operands_take_torch_dtypes(backend):
    """An integer tensor meeting a Python float or a float32 array gives float32, as PyTorch."""
    ints, values = np.array([1, -2, 3]), np.array([0.5, 1.5, -2.5], dtype=np.float32)
    t, ref = Tensor(backend.asarray(ints)), torch.tensor(ints)
    same(t.add(1.5), ref.add(1.5))
    same(t.mul(Tensor(backend.asarray(values))), ref.mul(torch.tensor(values)))
    same(Tensor(backend.asarray(values)).sub(t), torch.tensor(values).sub(ref))
    same(t.pow(0.5), ref.pow(0.5))
    same(t.add(t, alpha=2), ref.add(ref, alpha=2))
    for name in ("sigmoid", "tanh", "reciprocal", "rsqrt", "relu", "square"):
        same(getattr(t, name)(), getattr(ref, name)(), rtol=1e-6)


# -- activations and elementwise functions -------------------------------------------------
@pytest.mark.parametrize(
    "method",
    [
        lambda t: t.sigmoid() + t.tanh() + t.relu(),
        lambda t: t.softmax(1) * t.log_softmax(-1),
        lambda t: t.softmax(0, dtype=torch.float64 if isinstance(t, torch.Tensor) else "float64"),
        lambda t: (t * 1000).log_softmax(dim=0),  # stable for large logits
    ],
)
def test_activation_methods_match_torch(backend, method):
    check_tensor_method(method, [x34()], backend)


@pytest.mark.parametrize("name", ["square", "reciprocal", "rsqrt", "sigmoid", "tanh", "relu"])
def test_pointwise_methods_at_edge_values_match_torch(backend, name):
    """0 and -0 (reciprocal: -inf and its gradient), negatives (rsqrt: NaN), inf and NaN."""
    check_tensor_method(
        lambda t: getattr(t, name)(), [EDGES], backend, grad_output=np.ones(EDGES.size)
    )


@pytest.mark.parametrize(
    "method",
    [
        lambda t: t.sign(),
        lambda t: t.floor(),
        lambda t: t.ceil(),
        lambda t: t.round(),
        lambda t: t.round(decimals=1),
        lambda t: t.round(decimals=-1),
    ],
)
def test_step_methods_match_torch_with_zero_gradients(backend, method):
    """Half to even (0.5, 2.5, -2.5), sign(NaN) = 0, and PyTorch's gradient: zero."""
    x = np.array([0.5, 1.5, 2.5, -0.5, -2.5, 1.25, -1.7, 15.0, 0.0, -0.0, INF, -INF, NAN])
    output, grads = check_tensor_method(lambda t: method(t) * 1, [x], backend)
    assert not np.any(grads[0])


def test_step_methods_keep_integers(backend):
    ints = np.array([-3, 0, 4])
    for name in ("sign", "floor", "ceil", "round"):
        same(getattr(Tensor(backend.asarray(ints)), name)(), getattr(torch.tensor(ints), name)())
    same(Tensor(backend.asarray(np.array([True, False]))).sign(), torch.tensor([True, False]))


@pytest.mark.parametrize("name", ["lt", "le", "gt", "ge"])
def test_comparison_methods_match_torch(backend, name):
    x, y = np.array([[1.0, NAN, 2.0], [0.0, -INF, 3.0]]), np.array([1.0, 0.0, INF])
    ours = getattr(Tensor(backend.asarray(x)), name)(Tensor(backend.asarray(y)))
    same(ours, getattr(torch.tensor(x), name)(torch.tensor(y)))
    same(getattr(Tensor(backend.asarray(x)), name)(1.0), getattr(torch.tensor(x), name)(1.0))


@pytest.mark.parametrize("name", ["all", "any"])
@pytest.mark.parametrize(
    "args", [(), (0,), (-1, True), ((0, 1),), ([1],), ((),), (None, True)], ids=str
)
def test_all_any_match_torch(backend, name, args):
    """NaN counts as true; ``dim=()`` tests each element alone, as PyTorch."""
    x = np.array([[0.0, NAN, 1.0], [2.0, 3.0, -1.0], [0.0, 0.0, 0.0]])
    same(getattr(Tensor(backend.asarray(x)), name)(*args), getattr(torch.tensor(x), name)(*args))


def test_all_any_of_uint8_are_uint8_as_torch(backend):
    """PyTorch keeps uint8 for all and any of a uint8 tensor (bool for every other dtype)."""
    values = np.array([[3, 0, 200], [1, 2, 9]], dtype=np.uint8)
    ours, theirs = Tensor(backend.asarray(values)), torch.tensor(values)
    for name, args in [("all", ()), ("any", ()), ("all", (1,)), ("any", (0, True))]:
        mine, reference = getattr(ours, name)(*args), getattr(theirs, name)(*args)
        assert str(mine.dtype) == str(reference.dtype).removeprefix("torch.") == "uint8"
        assert mine.tolist() == reference.tolist()


def test_all_any_of_0d_and_empty_tensors_match_torch(backend):
    for x in (np.array(0.0), np.array(2.0), np.zeros((2, 0))):
        t, ref = Tensor(backend.asarray(x)), torch.tensor(x)
        for name in ("all", "any"):
            same(getattr(t, name)(), getattr(ref, name)())
            same(getattr(t, name)(-1), getattr(ref, name)(-1))


@pytest.mark.parametrize("name", ["isnan", "isinf", "isfinite"])
def test_value_tests_match_torch(backend, name):
    same(getattr(Tensor(backend.asarray(EDGES)), name)(), getattr(torch.tensor(EDGES), name)())
    ints = np.array([1, 0])
    same(getattr(Tensor(backend.asarray(ints)), name)(), getattr(torch.tensor(ints), name)())


# -- norm and logsumexp --------------------------------------------------------------------
NORM_INPUTS = {
    "random": x34(),
    "zero rows": np.array([[0.0, 0.0, 0.0], [3.0, -4.0, 0.0], [0.0, -0.0, 0.0]]),
    "ties": np.array([[2.0, -2.0, 1.0], [0.5, 0.5, -0.5], [1.0, 0.0, -3.0]]),
    "inf and NaN": np.array([[INF, 1.0, 0.0], [NAN, 2.0, 1.0], [-INF, INF, 1.0]]),
}


@pytest.mark.parametrize("x", NORM_INPUTS.values(), ids=NORM_INPUTS.keys())
@pytest.mark.parametrize("p", [2, "fro", 1, INF, -INF, 3, 1.5, 0.5, 0])
@pytest.mark.parametrize("dim, keepdim", [(None, False), (1, False), (-2, True), ((0, 1), False)])
def test_norm_matches_torch_with_its_gradient_at_zero(backend, x, p, dim, keepdim):
    """PyTorch's norm_backward: 0 (not NaN) where the norm is 0, the inf norm's gradient
    shared by the tied magnitudes (with their signs), NaN propagated."""
    check_tensor_method(lambda t: t.norm(p, dim, keepdim), [x], backend)


def test_norm_of_every_element_matches_torch_by_keyword_and_dtype(backend):
    check_tensor_method(
        lambda t: t.norm() + t.norm(p=1, dim=()) + t.norm(dim=[1, 0], keepdim=True),
        [x34()],
        backend,
    )
    x = Tensor(backend.asarray(x34().astype(np.float32)), requires_grad=True)
    total = x.norm(dtype="float64")
    assert total.dtype == np.float64
    total.backward()
    assert x.grad.dtype == np.float32


@pytest.mark.parametrize("dim, keepdim", [(1, False), (0, True), ((0, 1), False), (-1, True)])
def test_logsumexp_matches_torch(backend, dim, keepdim):
    check_tensor_method(lambda t: t.logsumexp(dim, keepdim), [x34()], backend)


def test_logsumexp_is_stable_at_edge_values_as_torch(backend):
    """Logits of 1000 do not overflow; rows of inf, of -inf only, and with NaN give PyTorch's
    inf, -inf and NaN (and its NaN gradients there)."""
    x = np.array([[1000.0, 1000.0, -1000.0], [INF, 1.0, 0.0], [-INF, -INF, -INF], [NAN, 1.0, 0.0]])
    check_tensor_method(lambda t: t.logsumexp(1), [x], backend)
    check_tensor_method(lambda t: t[:1].logsumexp(dim=(0, 1), keepdim=True), [x], backend)


def test_logsumexp_of_no_elements_and_integers_match_torch(backend):
    same(
        Tensor(backend.asarray(np.zeros((2, 0)))).logsumexp(1),
        torch.tensor(np.zeros((2, 0))).logsumexp(1),
    )
    ints = np.array([1, 2, 3])
    same(Tensor(backend.asarray(ints)).logsumexp(0), torch.tensor(ints).logsumexp(0), rtol=1e-6)


# -- casts and facts -----------------------------------------------------------------------
def test_casts_match_torch(backend):
    x = np.array([1.7, -1.7, 0.0, 2.5])
    t, ref = Tensor(backend.asarray(x)), torch.tensor(x)
    same(t.int(), ref.int())
    same(t.bool(), ref.bool())
    same(t.half(), ref.half())
    leaf = Tensor(backend.asarray(x), requires_grad=True)
    (leaf.half() * 2).sum().backward()  # the cast is differentiable; the gradient is float64
    assert leaf.grad.dtype == np.float64 and backend.to_host(leaf.grad.array).tolist() == [2.0] * 4


def test_type_gives_torch_type_strings_and_casts(backend):
    gpu = xpnet.devices.device_of(backend.name).type == "cuda"
    place = "cuda." if gpu else ""
    x = Tensor(backend.asarray(np.array([1.5, -2.0], dtype=np.float32)))
    assert x.type() == f"torch.{place}FloatTensor"
    assert x.long().type() == f"torch.{place}LongTensor"
    assert x.bool().type() == f"torch.{place}BoolTensor"
    assert x.is_cuda is gpu and x.nelement() == 2 == x.numel()
    assert x.type(np.float64).dtype == np.float64
    converted = x.type(f"torch.{place}IntTensor")
    assert converted.dtype == np.int32 and converted.tolist() == [1, -2]
    assert xpnet.backend_of(converted.array).name == backend.name


# -- in-place methods ----------------------------------------------------------------------
IN_PLACE = [
    ("zero_", (), {}),
    ("fill_", (2.5,), {}),
    ("fill_", (-INF,), {}),
    ("copy_", (np.array([1.0, -2.0, 3.0, NAN]),), {}),  # a row, broadcast
    ("add_", (np.array([1.0, 2.0, 3.0, 4.0]),), {"alpha": 2}),
    ("sub_", (0.5,), {"alpha": -3}),
    ("mul_", (np.full((3, 4), -2.0),), {}),
    ("div_", (0.0,), {}),
    ("div_", (0.3,), {"rounding_mode": "floor"}),
    ("pow_", (2,), {}),
    ("clamp_", (-0.25, 0.5), {}),
    ("clip_", (), {"max": 0.0}),
]


@pytest.mark.parametrize("name, args, kwargs", IN_PLACE, ids=lambda v: str(v)[:20])
def test_in_place_methods_change_the_array_itself_as_torch(backend, name, args, kwargs):
    """The same array is written (a view of it sees the change) and the tensor is returned."""
    x = Tensor(backend.asarray(x34()))
    array, view = x.array, x[1:]  # a Tensor view of rows 1 and 2
    ours = [backend.asarray(a) if isinstance(a, np.ndarray) else a for a in args]
    result = getattr(x, name)(*ours, **kwargs)
    expected = torch.tensor(x34())
    getattr(expected, name)(
        *[torch.tensor(a) if isinstance(a, np.ndarray) else a for a in args], **kwargs
    )
    assert result is x and x.array is array
    same(x, expected)
    same(view, expected[1:])


def test_in_place_methods_refuse_a_leaf_that_requires_grad_unless_no_grad(backend):
    w = Tensor(backend.asarray(np.array([1.0, 2.0])), requires_grad=True)
    for method in (lambda: w.add_(1.0), lambda: w.zero_(), lambda: w.copy_(np.zeros(2))):
        with pytest.raises(RuntimeError, match=r"Tensor\.\w+_: a leaf tensor that requires grad"):
            method()
    assert w.tolist() == [1.0, 2.0]
    array = w.array
    with xpnet.no_grad():
        w.mul_(3).add_(Tensor(backend.asarray(np.array([1.0, 1.0]))), alpha=-0.5).clamp_(max=5)
    assert w.tolist() == [2.5, 5.0] and w.array is array
    assert w.requires_grad and w.is_leaf and w.grad is None


@pytest.mark.parametrize(
    "method",
    [
        lambda t, u: (t * 2).add_(u, alpha=3).mul_(u).div_(u.abs() + 1).pow_(2),
        lambda t, u: (t * 2).sub_(u).clamp_(-0.5, 0.5) + t,
        lambda t, u: (t * 1).zero_() + t,
        lambda t, u: (t * 2).copy_(u[0] * 3) * t,  # u's row broadcast; t's old value: no grad
        lambda t, u: (t.detach() * 0).add_(u, alpha=2),  # a plain tensor takes a gradient
        lambda t, u: (t.detach() * 1).fill_(u[0, 1]),  # a 0-d value gets the sum
        lambda t, u: (lambda h: h.add_(h, alpha=2) * u)(t * t),  # both operands: the old h
    ],
)
def test_recorded_in_place_methods_match_torch_gradients(backend, method):
    """Where the change must be recorded, it happens out of place: the result and its
    grad_fn replace the tensor's, and gradients are PyTorch's."""
    check_tensor_method(method, [x34(), x34(seed=4)], backend)


def test_recorded_in_place_change_keeps_the_old_array_for_backward(backend):
    x = Tensor(backend.asarray(np.array([1.0, 2.0])), requires_grad=True)
    h = x * 2
    old, view = h.array, h[:1]
    assert h.mul_(h).add_(1.0) is h
    # the graph's old array is kept; the view sees the new value, as PyTorch's views do
    assert backend.to_host(old).tolist() == [2.0, 4.0] and view.tolist() == [5.0]
    assert h.tolist() == [5.0, 17.0] and not h.is_leaf
    h.sum().backward()
    assert backend.to_host(x.grad.array).tolist() == [8.0, 16.0]  # d(4x^2 + 1)/dx


@pytest.mark.parametrize("grad_mode", ["recorded", "no_grad"])
def test_backward_through_an_op_whose_input_changed_in_place(backend, grad_mode):
    """An op recorded before an unrecorded in-place change of its input (the array itself
    changed) refuses its backward, as PyTorch's version counter. After a recorded change
    (computed out of place) it still has the values it saw, and its gradient reaches the
    old value's history, where PyTorch refuses the ops that saved the value."""
    w = Tensor(backend.asarray(np.array([1.0, 2.0])), requires_grad=True)
    h = w * 1.0
    used = h * h  # records h as it is now, and saves it
    if grad_mode == "no_grad":
        with xpnet.no_grad():
            h.mul_(3)
    else:
        h.mul_(3)
    h.sum().backward(retain_graph=True)  # only through the change and w * 1.0: allowed
    assert backend.to_host(w.grad.array).tolist() == (
        [3.0, 3.0] if grad_mode == "recorded" else [1.0, 1.0]
    )
    if grad_mode == "no_grad":
        with pytest.raises(RuntimeError, match="mul_backward: its input 0 was changed by an"):
            used.sum().backward()
        return
    used.sum().backward()
    assert backend.to_host(w.grad.array).tolist() == [5.0, 7.0]  # + d(w^2)/dw of the old h = w


def test_in_place_operator_under_no_grad_also_counts_as_a_change(backend):
    w = Tensor(backend.asarray(np.array([1.0, 2.0])), requires_grad=True)
    x = Tensor(backend.asarray(np.array([3.0, 4.0])))
    y = (x * w).sum()
    with xpnet.no_grad():
        x += 1.0
    with pytest.raises(RuntimeError, match="its input 0 was changed by an in-place"):
        y.backward()


def test_copy_takes_arrays_of_another_backend_and_casts(backend):
    x = Tensor(backend.asarray(np.zeros((2, 3), dtype=np.float32)))
    x.copy_(np.array([1.5, -2.5, 3.0]))  # a NumPy float64 row: moved, cast, broadcast
    assert x.dtype == np.float32 and x.tolist() == [[1.5, -2.5, 3.0]] * 2
    ints = Tensor(backend.asarray(np.zeros(3, dtype=np.int64)))
    assert ints.copy_(Tensor(backend.asarray(np.array([1.7, -1.7, 0.2])))).tolist() == [1, -1, 0]


@pytest.mark.parametrize(
    "method, error, match",
    [
        (lambda t: t[0].add_(t), ArgumentError, r"add_: the result's broadcast shape \(3, 4\)"),
        (lambda t: t.long().div_(2), TypeError, "div_: the result's dtype float32 can't be cast"),
        (lambda t: t.long().add_(1.5), TypeError, "add_: the result's dtype float32 can't be"),
        (lambda t: t.fill_(t[0]), ArgumentError, r"fill_: value must be a 0-d tensor, got shape"),
        (lambda t: t.fill_("1"), TypeError, "fill_: value must be a number or a 0-d tensor"),
        (
            lambda t: t.copy_("1"),
            TypeError,
            "copy_: src must be a Tensor, an array or a number, got str",
        ),
        (lambda t: t[0].copy_(t), ArgumentError, r"copy_: src of shape \(3, 4\) does not"),
        (lambda t: t.div_(2, rounding_mode="up"), ArgumentError, "div: rounding_mode must be"),
    ],
)
def test_in_place_methods_reject_bad_arguments_and_leave_the_tensor(backend, method, error, match):
    t = Tensor(backend.asarray(x34()))
    with pytest.raises(error, match=match):
        method(t)
    np.testing.assert_array_equal(t.numpy(), x34())


# -- function forms ------------------------------------------------------------------------
FUNCTIONS = [
    ("sum", (), {}),
    ("sum", (1,), {"keepdim": True}),
    ("mean", ((0, 1),), {}),
    ("max", (), {}),
    ("min", (), {}),
    ("amax", (1,), {}),
    ("amin", (), {"dim": 0, "keepdim": True}),
    ("prod", (1,), {}),
    ("var", (1,), {}),
    ("std", (), {"correction": 0}),
    ("exp", (), {}),
    ("abs", (), {}),
    ("clamp", (-0.5, 0.25), {}),
    ("clip", (), {"min": 0.0}),
    ("pow", (3,), {}),
    ("sigmoid", (), {}),
    ("tanh", (), {}),
    ("relu", (), {}),
    ("softmax", (1,), {}),
    ("log_softmax", (), {"dim": 0}),
    ("transpose", (0, 1), {}),
    ("permute", ((1, 0),), {}),
    ("reshape", ((4, 3),), {}),
    ("squeeze", (), {}),
    ("unsqueeze", (1,), {}),
    ("logsumexp", (1,), {}),
    ("norm", (), {}),
    ("norm", (1,), {"dim": 0}),
    ("square", (), {}),
    ("neg", (), {}),
    ("sign", (), {}),
    ("floor", (), {}),
    ("ceil", (), {}),
    ("round", (), {"decimals": 1}),
    ("add", (2.0,), {"alpha": 3}),
    ("sub", (2,), {}),
    ("mul", (-1.5,), {}),
    ("div", (0.5,), {"rounding_mode": "floor"}),
]


@pytest.mark.parametrize("name, args, kwargs", FUNCTIONS, ids=lambda v: str(v)[:20])
def test_function_forms_match_torch(backend, name, args, kwargs):
    check_tensor_method(both(name, *args, **kwargs), [x34()], backend)


@pytest.mark.parametrize("name", ["log", "sqrt"])
def test_function_forms_of_positive_functions_match_torch(backend, name):
    check_tensor_method(both(name), [x34(low=0.1, high=2.0)], backend)


@pytest.mark.parametrize("name", ["add", "sub", "mul", "div", "matmul", "pow"])
def test_binary_function_forms_match_torch(backend, name):
    second = (lambda t: t.T) if name == "matmul" else (lambda t: t.abs() if name == "pow" else t)
    check_tensor_method(
        lambda t, u: both(name)(t.abs() if name == "pow" else t, second(u)),
        [x34(), x34(4)],
        backend,
    )


@pytest.mark.parametrize(
    "call",
    [
        lambda f, t: f.add(2, t, alpha=3),
        lambda f, t: f.sub(2.5, t, alpha=2),
        lambda f, t: f.mul(2, t),
        lambda f, t: f.div(1, t),
        lambda f, t: f.pow(2, t),
        lambda f, t: f.max(t, 1)[0].sum() + f.min(t, dim=0, keepdim=True).values.sum(),
        lambda f, t: f.mm(t, t.T) + f.bmm(t[None], t.T[None])[0],
    ],
)
def test_function_forms_take_a_number_first_and_pytorch_arguments(backend, call):
    check_tensor_method(
        lambda t: call(torch if isinstance(t, torch.Tensor) else functions, t), [x34()], backend
    )


@pytest.mark.parametrize("name", ["multiply", "divide", "subtract", "true_divide"])
def test_aliases_take_a_number_first_as_torch(backend, name):
    """PyTorch's parser takes a number ``input`` for these; xpnet's raised TypeError."""
    check_tensor_method(
        lambda t: getattr(torch if isinstance(t, torch.Tensor) else xpnet, name)(2.5, t),
        [x34(low=0.5, high=2.0)],
        backend,
    )


@pytest.mark.parametrize(
    ("name", "number", "values"),
    [
        ("floor_divide", 7, [2, -3]),
        ("remainder", 2.5, [1.5, -2.5]),  # PyTorch's Scalar_Tensor overload
        ("float_power", 2, [0.5, -1.5]),
        ("bitwise_and", 6, [3, 5]),
        ("bitwise_xor", True, [True, False]),
        ("multiply", True, [2, 3]),
        ("subtract", True, [2, 3]),  # a bool in a subtraction: refused by both
        ("sub", True, [2.0, 3.0]),
    ],
)
def test_number_first_values_dtypes_and_refusals_as_torch(backend, name, number, values):
    results = []
    for module, tensor in ((torch, torch.tensor(values)), (xpnet, xpnet.tensor(values))):
        try:
            result = getattr(module, name)(number, tensor)
            results.append((result.tolist(), str(result.dtype).split(".")[-1]))
        except RuntimeError:  # PyTorch's, and xpnet's ArgumentError
            results.append("refused")
    assert results[1] == results[0]


def test_to_with_copy_gives_a_new_tensor_as_torch(backend):
    """``to(dtype, copy=True)`` copies even when nothing changes (it was a TypeError)."""
    results = []
    for module in (torch, xpnet):
        x = module.tensor([1.0, 2.0], requires_grad=True)
        if module is xpnet:
            x = Tensor(backend.asarray(np.array([1.0, 2.0], dtype=np.float32)), True)
        same, copied = x.to(module.float32), x.to(module.float32, copy=True)
        assert same is x and copied is not x
        copied.sum().backward()
        results.append((copied.grad_fn.name(), x.grad.tolist(), copied.tolist()))
    assert results[0] == results[1]


def test_function_forms_keep_float32_and_integers(backend):
    check_tensor_method(
        lambda t: (
            both("div")(both("add")(2, t), 3)
            + both("pow")(2.0, t)
            + both("norm", dim=1)(t)[:, None]
        ),
        [x34()],
        backend,
        dtype=np.float32,
    )
    ints = np.array([[3, -1], [2, 5]])
    same(functions.add(1.5, Tensor(backend.asarray(ints))), torch.add(1.5, torch.tensor(ints)))
    same(functions.div(7, Tensor(backend.asarray(ints))), torch.div(7, torch.tensor(ints)))


def test_function_forms_without_gradients_match_torch(backend):
    x = np.array([[1.0, 3.0, 3.0], [NAN, 0.0, -INF]])
    t, ref = Tensor(backend.asarray(x)), torch.tensor(x)
    same(functions.argmax(t, 1), torch.argmax(ref, 1))
    same(functions.argmin(t, dim=1, keepdim=True), torch.argmin(ref, dim=1, keepdim=True))
    same(functions.argmax(t), torch.argmax(ref))
    for name in ("isnan", "isinf", "isfinite"):
        same(getattr(functions, name)(t), getattr(torch, name)(ref))
    indices = functions.max(t, 1).indices
    same(indices, torch.max(ref, 1).indices)
    assert functions.numel(t) == torch.numel(ref) == 6
    assert (
        functions.is_tensor(t) and not functions.is_tensor(x) and not functions.is_tensor(t.array)
    )


def test_function_forms_wrap_backend_arrays_without_grad(backend):
    result = functions.sum(backend.asarray(x34()), 0)
    assert isinstance(result, Tensor) and not result.requires_grad
    assert type(result.array) is backend.ndarray
    np.testing.assert_allclose(result.numpy(), x34().sum(0))


@pytest.mark.parametrize(
    "pair",
    [
        (np.array([1.0, 2.0]), np.array([1.0, 2.0 + 1e-6])),
        (np.array([1.0, 2.0]), np.array([1.0, 2.001])),
        (np.array([[0.0, 1e-9]]), np.array([0.0, 0.0])),  # broadcast; atol
        (np.array([INF, -INF]), np.array([INF, -INF])),
        (np.array([INF, 1.0]), np.array([-INF, 1.0])),
        (np.array([NAN, 1.0]), np.array([NAN, 1.0])),
    ],
)
@pytest.mark.parametrize("equal_nan", [False, True])
def test_allclose_and_equal_match_torch(backend, pair, equal_nan):
    ours = [Tensor(backend.asarray(a)) for a in pair]
    theirs = [torch.tensor(a) for a in pair]
    assert functions.allclose(*ours, equal_nan=equal_nan) is torch.allclose(
        *theirs, equal_nan=equal_nan
    )
    assert functions.allclose(*ours, 0.0, 1e-3) is torch.allclose(*theirs, 0.0, 1e-3)
    assert functions.equal(*ours) is torch.equal(*theirs)


def test_allclose_refuses_two_dtypes_and_equal_compares_values(backend):
    x = Tensor(backend.asarray(np.array([1.0, 2.0])))
    with pytest.raises(ArgumentError, match="allclose: input and other must have one dtype"):
        functions.allclose(x, x.float())
    assert functions.equal(x, x.long()) is torch.equal(
        torch.tensor([1.0, 2.0]), torch.tensor([1, 2])
    )
    assert functions.equal(x, x[None]) is False


# -- float32 and bad arguments -------------------------------------------------------------
def test_methods_keep_float32(backend):
    """Results and gradients stay float32 (no float64 from a Python number or a count)."""
    check_tensor_method(
        lambda t, u: (
            t.sigmoid().mul(2).div(u.tanh().add(3)).pow(2).rsqrt().logsumexp(1)
            + t.norm(dim=1)
            + t.norm(INF, 1)
            + t.norm(3, 1)
            + t.square().add(1).reciprocal().sub(u, alpha=0.5).sum(1)
            + t.softmax(1).mm(u.t()).sum(0)[:3]
            + t.round().sum(1)
        ),
        [x34(), x34(4)],
        backend,
        dtype=np.float32,
    )


def _tensor(backend, x):
    return Tensor(backend.asarray(x))


@pytest.mark.parametrize(
    "method, error, match",
    [
        (
            lambda t: t.div(2, rounding_mode="round"),
            ArgumentError,
            "div: rounding_mode must be None, 'trunc' or 'floor', got 'round'",
        ),
        (lambda t: t.add(t, alpha="2"), TypeError, "add: alpha must be a number, got str"),
        (lambda t: t.long().sub(1, alpha=0.5), ArgumentError, "sub: alpha must not be a float"),
        (lambda t: t.mm(t[None]), ArgumentError, "mm: mat2 must be a matrix, got a 3-d tensor"),
        (lambda t: t[0].mm(t), ArgumentError, "mm: self must be a matrix, got a 1-d tensor"),
        (
            lambda t: t.mm(t),
            ArgumentError,
            r"mm: self and mat2 shapes cannot be multiplied \(3x4 and 3x4\)",
        ),
        (lambda t: t.mm(t.T.float()), ArgumentError, "mm: self and mat2 must have the same dtype"),
        (lambda t: t.mm([[1.0]]), TypeError, "mm: mat2 must be a Tensor or an array, got list"),
        (lambda t: t.bmm(t), ArgumentError, "bmm: self must be a 3-d tensor, got a 2-d"),
        (
            lambda t: t[None].bmm(t[None, :, :3]),
            ArgumentError,
            r"bmm: self and mat2 shapes cannot be multiplied \(1x3x4 and 1x3x3\)",
        ),
        (
            lambda t: t[None].bmm(t.T[None][[0, 0]]),  # batch sizes 1 and 2: no broadcasting
            ArgumentError,
            r"bmm: self and mat2 shapes cannot be multiplied \(1x3x4 and 2x4x3\)",
        ),
        (
            lambda t: t[None].t(),
            ArgumentError,
            "t: expects a tensor with <= 2 dimensions, but self is 3-d",
        ),
        (lambda t: t.softmax(2), IndexError, r"softmax: dim must be in \[-2, 1\]"),
        (lambda t: t.log_softmax(1.0), TypeError, "log_softmax: dim must be an int"),
        (lambda t: t.all(2), IndexError, r"all: dim must be in \[-2, 1\] for a 2-d tensor, got 2"),
        (lambda t: t.any((0, -2)), ArgumentError, "any: dim must name each dimension at most once"),
        (lambda t: t[None].norm(p="nuc"), ArgumentError, "matrix_norm: dim must be a 2-tuple"),
        (
            lambda t: t[None].norm("fro", (0, 1, 2)),
            ArgumentError,
            "norm: p must be a number, or 'fro' over at most 2 dims",
        ),
        (lambda t: t.norm(p=[2]), TypeError, "norm: p must be a number or 'fro', got list"),
        (lambda t: t.long().norm(), TypeError, "norm: expected a floating-point tensor, got int64"),
        (lambda t: t[:, :0].norm(INF, dim=1), ArgumentError, "norm: the inf norm of no elements"),
        (lambda t: t.norm(dim=2), IndexError, "norm: dim must be in"),
        (lambda t: t.logsumexp(-3), IndexError, r"logsumexp: dim must be in \[-2, 1\]"),
        (lambda t: t.bool().neg(), ArgumentError, "neg: negation of a bool tensor"),
        (lambda t: t.type("torch.FooTensor"), ValueError, "type: unknown type 'torch.FooTensor'"),
        (
            lambda t: functions.sum(2.0),
            TypeError,
            "xpnet.sum: input must be a Tensor or an array, got float",
        ),
        (
            lambda t: functions.add(2, 3),
            TypeError,
            "xpnet.add: input must be a Tensor or an array, got int",
        ),
        (
            lambda t: functions.allclose(t, [1.0]),
            TypeError,
            "xpnet.allclose: other must be a Tensor or an array",
        ),
        (lambda t: functions.max(t, keepdim=True), TypeError, "xpnet.max: keepdim needs a dim"),
        (lambda t: functions.bmm(t, t), ArgumentError, "bmm: self must be a 3-d tensor"),
    ],
)
def test_methods_and_functions_reject_bad_arguments(backend, method, error, match):
    with pytest.raises(error, match=match):
        method(_tensor(backend, x34()))
