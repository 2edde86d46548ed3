"""Autograd: every Tensor operation and the backward engine against PyTorch autograd."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from _oracle import check_against_torch, random_input

import xpnet
from xpnet.autograd import Function, Tensor


def _through_autograd(function):
    """``function`` on Tensors as the oracle's (forward, backward) pair on arrays."""

    def forward(*arrays):
        return function(*[Tensor(a) for a in arrays]).array

    def backward(grad_output, *arrays):
        tensors = [Tensor(a, requires_grad=True) for a in arrays]
        function(*tensors).backward(grad_output)
        return tuple(t.grad for t in tensors)

    return forward, backward


def check(function, shapes, backend, dtype=np.float64, torch_function=None):
    inputs = [random_input(shape, seed=i, low=0.5, high=1.5) for i, shape in enumerate(shapes)]
    forward, backward = _through_autograd(function)
    check_against_torch(forward, backward, torch_function or function, inputs, backend, dtype)


@pytest.mark.parametrize(
    "shapes",
    [[(3, 4), (3, 4)], [(2, 3, 4), (4,)], [(3, 1), (1, 5)], [(2, 1, 4), (3, 1)], [(4,), ()]],
)
def test_arithmetic_broadcasting_matches_torch(backend, shapes):
    check(lambda a, b: (a + b) * b - a / b - b**3 + (-a), shapes, backend)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_arithmetic_with_python_numbers_matches_torch(backend, dtype):
    check(lambda a: 2.0 - (1.0 + a) * 3.0 / (2.0 / a) ** 0.5 - 1.5, [(3, 5)], backend, dtype)


@pytest.mark.parametrize("shapes", [[(3, 4), (3, 4)], [(2, 3), (3,)], [(3,), ()]])
def test_tensor_powers_match_torch(backend, shapes):
    """A Tensor exponent gets its gradient, and a number may be the base (``2 ** x``)."""
    check(lambda a, b: a**b + 2.0**b - (1.5**a) ** b, shapes, backend)


def test_pow_and_div_gradients_at_edge_values_match_torch(backend):
    """Found by a random comparison: ``x ** 0`` had a NaN gradient at x = 0 or NaN (0 * inf),
    and a / b gave b a NaN gradient where a = 0 and grad / b overflows; PyTorch gives 0."""
    x = np.array([0.0, 2.0, np.nan, -1.0])
    e = np.array([0.0, 0.5, 0.0, 2.0])
    check_against_torch(
        *_through_autograd(lambda a, b: a**b + a**0),
        lambda a, b: a**b + a**0,
        [x, e],
        backend,
    )
    check_against_torch(
        *_through_autograd(lambda a, b: a / b * 1e305),
        lambda a, b: a / b * 1e305,
        [np.array([0.0, 1.0]), np.array([1e-5, 2.0])],
        backend,
        grad_output=np.ones(2),
    )


def _power_and_grad(module, values, exponent):
    x = module.tensor(values, requires_grad=True)
    y = x**exponent
    (grad,) = module.autograd.grad(y, x, module.ones_like(y))
    return y.detach(), grad


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("exponent", [0.5, -0.5, -1, 2, 3, -2.0, 4, 1.5])
def test_powers_by_a_number_round_as_torch(backend, dtype, exponent):
    """PyTorch computes the exponents 0.5, -0.5, -1, 2, 3, -2 as sqrt, 1 / sqrt, 1 / x,
    x * x, x * x * x and 1 / (x * x): ``(-0.0) ** 0.5`` is -0.0 and ``(-inf) ** 0.5`` NaN, and
    ``x ** 3``, ``x ** -2`` and the gradients of ``x ** 4`` and ``1 / x`` agree to the bit
    (``pow`` rounds them differently). Elsewhere (``pow``, and PyTorch's AVX-512 ``sqrt``,
    which is not correctly rounded) only the edge values are compared."""
    edges = np.array([-0.0, 0.0, np.inf, -np.inf, np.nan, -2.0, 1e-300])
    values = np.concatenate([edges, [3.0], random_input((64,), seed=5, low=-4.0, high=4.0)])
    values = values.astype(dtype)
    ours = [backend.to_host(t.array) for t in _power_and_grad(xpnet, values, exponent)]
    theirs = [t.numpy() for t in _power_and_grad(torch, values, exponent)]
    exact = (-1, 2, 3, -2, 0, 1)  # the power, then the gradient's power exponent - 1
    for power, mine, reference in zip((exponent, exponent - 1), ours, theirs, strict=True):
        compared = slice(None) if power in exact else slice(len(edges))
        assert mine.dtype == reference.dtype
        np.testing.assert_array_equal(mine[compared], reference[compared])
        signs = (np.signbit(mine) == np.signbit(reference)) | np.isnan(reference)
        assert signs[compared].all()  # of zeros and infinities (NaN's sign is not kept)


@pytest.mark.parametrize(
    "shapes",
    [
        [(3, 4), (4, 5)],
        [(4,), (4, 5)],
        [(3, 4), (4,)],
        [(4,), (4,)],
        [(2, 3, 4), (4, 5)],
        [(4,), (2, 4, 5)],
        [(2, 1, 3, 4), (5, 4, 2)],
    ],
)
def test_matmul_matches_torch(backend, shapes):
    check(lambda a, b: a @ b, shapes, backend)


@pytest.mark.parametrize(
    "dim, keepdim",
    [(None, False), (0, False), (1, True), ((0, 2), False), (-1, True), ((-1, -3), True)]
    + [([0, 1], False), ([-1], True)],  # a list of dims, as PyTorch takes
)
def test_sum_and_mean_match_torch(backend, dim, keepdim):
    check(lambda a: a.sum(dim, keepdim) * 2 + a.mean(dim, keepdim), [(2, 3, 4)], backend)


def test_reshape_flatten_view_match_torch(backend):
    check(
        lambda a: a.reshape(6, 4).flatten() * 2 + a.view((24,)) + a.flatten(1).reshape(-1),
        [(2, 3, 4)],
        backend,
    )


@pytest.mark.parametrize(
    "start_dim, end_dim, expected",
    [(0, -1, (24,)), (1, -1, (2, 12)), (1, 1, (2, 3, 4)), (0, 1, (6, 4))],
)
def test_flatten_shapes_match_torch(start_dim, end_dim, expected):
    assert Tensor(np.zeros((2, 3, 4))).flatten(start_dim, end_dim).shape == expected
    assert torch.zeros(2, 3, 4).flatten(start_dim, end_dim).shape == expected


def test_flatten_empty_batch():
    assert Tensor(np.zeros((0, 3, 4))).flatten(1).shape == (0, 12)


@pytest.mark.parametrize(
    "index",
    [
        (0,),
        (slice(1, 3),),
        (Ellipsis, 1),
        (slice(None), slice(None, None, 2)),
        (np.array([0, 2, 0, 0]),),
        (np.array([1, 1]), np.array([0, 3])),
        # an integer and an array apart: PyTorch selects by the integer first (NumPy would
        # put the array's dimension first); found by a random comparison
        (0, slice(None), np.array([0, 2])),
        (np.array([1, 0, 1]), 2, slice(1, 3)),
        (1, None, Ellipsis, np.array([4, 0])),
    ],
    ids=["int", "slice", "ellipsis", "step", "repeated-fancy", "pairs", "int-slice-array"]
    + ["array-int-slice", "int-none-ellipsis-array"],
)
def test_getitem_matches_torch(backend, index):
    def function(a):
        if isinstance(a, Tensor):
            device = tuple(backend.asarray(i) if isinstance(i, np.ndarray) else i for i in index)
            return a[device] * 3
        return a[tuple(torch.from_numpy(i) if isinstance(i, np.ndarray) else i for i in index)] * 3

    check(function, [(3, 4, 5)], backend)


def test_residual_reuse_accumulates_like_torch(backend):
    # x is used three times: its gradient is the sum of the three paths
    check(lambda x, w: ((x @ w) * x + x).sum(1).mean(), [(3, 3), (3, 3)], backend)


def test_gradients_accumulate_across_backward_calls(backend):
    x = Tensor(backend.asarray(np.array([1.0, 2.0])), requires_grad=True)
    (x * 3).sum().backward()
    (x * x).sum().backward()
    assert xpnet.to_numpy(x.grad).tolist() == [5.0, 7.0]


def test_grad_is_a_tensor_over_a_writable_array(backend):
    x = Tensor(backend.asarray(np.ones((2, 3))), requires_grad=True)
    x.sum().backward()  # the gradient of sum is a broadcast view: the leaf must own a copy
    assert type(x.grad) is Tensor and type(x.grad.array) is backend.ndarray
    assert x.grad.grad_fn is None and not x.grad.requires_grad
    x.grad[0, 0] = 5.0
    assert xpnet.to_numpy(x.grad).sum() == 10.0


def test_no_grad_records_nothing(backend):
    w = Tensor(backend.asarray(np.ones(3)), requires_grad=True)
    with xpnet.no_grad():
        y = (w * 2).sum()
    assert not y.requires_grad and y.grad_fn is None
    assert (w * 2).requires_grad


def test_no_grad_as_decorator_restores_state():
    @xpnet.no_grad()
    def evaluate(w):
        return w * 2

    w = Tensor(np.ones(2), requires_grad=True)
    assert not evaluate(w).requires_grad
    assert xpnet.autograd.is_grad_enabled()


def test_detach_cuts_the_graph(backend):
    x = Tensor(backend.asarray(np.array([2.0])), requires_grad=True)
    y = x * x
    (y.detach() * x).sum().backward()  # d/dx (c * x) with c = x^2 held constant
    assert xpnet.to_numpy(x.grad).tolist() == [4.0]
    assert y.detach().array is y.array and y.detach().grad_fn is None


def test_backward_twice_needs_retain_graph(backend):
    x = Tensor(backend.asarray(np.array([1.0, 2.0])), requires_grad=True)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    assert xpnet.to_numpy(x.grad).tolist() == [4.0, 8.0]
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        y.backward()


def test_backward_without_gradient_needs_one_element():
    y = Tensor(np.ones(3), requires_grad=True) * 2
    with pytest.raises(RuntimeError, match="gradient can be omitted only for one element"):
        y.backward()


def test_backward_needs_requires_grad():
    with pytest.raises(RuntimeError, match="does not require grad"):
        (Tensor(np.ones(1)) * 2).backward()


def test_integer_tensor_cannot_require_grad():
    with pytest.raises(TypeError, match="only floating-point arrays can require gradients"):
        Tensor(np.arange(3), requires_grad=True)


def test_tensor_from_host_data_uses_current_backend(backend):
    assert type(Tensor([1.0, 2.0]).array) is backend.ndarray


def test_tensor_basics():
    x = Tensor(np.ones((2, 3), dtype=np.float32), requires_grad=True)
    assert (x.shape, x.ndim, x.dtype, len(x), x.numel(), x.is_leaf) == (
        (2, 3),
        2,
        np.float32,
        2,
        6,
        True,
    )
    y = x.sum()
    assert y.item() == 6.0 and not y.is_leaf and "grad_fn=<SumBackward0>" in repr(y)
    assert "requires_grad=True" in repr(x)
    assert x.requires_grad_(False).requires_grad is False


def test_float32_stays_float32(backend):
    x = Tensor(backend.asarray(np.ones(3, dtype=np.float32)), requires_grad=True)
    y = (x * 2.5 + 1) / 3
    y.sum().backward()
    assert y.dtype == np.float32 and x.grad.dtype == np.float32


def test_function_from_a_kernel_pair_matches_torch(backend):
    # the generic wrapper: any (forward, backward) pair of xpnet.kernels becomes an op
    conv = Function(
        xpnet.kernels.conv2d, xpnet.kernels.conv2d_backward, wrt=("input", "weight", "bias")
    )
    check(
        lambda x, w, b: (
            conv(x, w, b, padding=1)
            if isinstance(x, Tensor)
            else torch.nn.functional.conv2d(x, w, b, padding=1)
        ),
        [(2, 3, 5, 5), (4, 3, 3, 3), (4,)],
        backend,
    )


def test_function_skips_inputs_that_need_no_grad(backend):
    x = Tensor(backend.asarray(random_input((2, 3, 4, 4))), requires_grad=True)
    w = Tensor(backend.asarray(random_input((2, 3, 3, 3))))
    xpnet.nn.functional.conv2d(x, w).sum().backward()
    assert x.grad is not None and w.grad is None


def test_function_passes_output_mask_to_backwards_that_take_it(backend):
    """A backward with an ``output_mask`` keyword learns which inputs require grad."""
    masks = []

    def scale(input, weight):
        return input * weight

    def scale_backward(grad_output, input, weight, *, output_mask=(True, True)):
        masks.append(output_mask)
        return grad_output * weight if output_mask[0] else None, (grad_output * input).sum()

    op = Function(scale, scale_backward, wrt=("input", "weight"))
    x = Tensor(backend.asarray(np.array([1.0, 2.0])))
    w = Tensor(backend.asarray(np.array(3.0)), requires_grad=True)
    op(x, w).sum().backward()
    assert masks == [(False, True)] and x.grad is None
    assert float(xpnet.to_numpy(w.grad)) == 3.0


def test_conv2d_of_data_skips_grad_input(backend, monkeypatch):
    """A first layer: autograd asks conv2d_backward for the weight and bias gradients only."""
    masks = []
    function = xpnet.nn.functional.conv2d
    backward = function.backward
    monkeypatch.setattr(
        function, "backward", lambda *a, **k: masks.append(k["output_mask"]) or backward(*a, **k)
    )
    x = Tensor(backend.asarray(random_input((2, 3, 5, 5))))
    w = Tensor(backend.asarray(random_input((4, 3, 3, 3))), requires_grad=True)
    b = Tensor(backend.asarray(random_input((4,))), requires_grad=True)
    function(x, w, b, padding=1).sum().backward()
    assert masks == [(False, True, True)] and x.grad is None
    expected = xpnet.kernels.conv2d_backward(
        backend.asarray(np.ones((2, 4, 5, 5))), x.array, w.array, b.array, padding=1
    )
    np.testing.assert_allclose(xpnet.to_numpy(w.grad), xpnet.to_numpy(expected[1]))


def test_function_returns_extra_outputs(backend):
    x = Tensor(backend.asarray(random_input((1, 1, 4, 4))), requires_grad=True)
    output, indices = xpnet.nn.functional.max_pool2d(x, 2, return_indices=True)
    assert isinstance(output, Tensor) and type(indices) is backend.ndarray
    output.sum().backward()
    assert xpnet.to_numpy(x.grad).sum() == 4.0


def test_function_passes_forward_options_only_when_recording(backend, monkeypatch):
    """Without a graph, max_pool2d runs without indices (cheaper) and returns a Tensor."""
    calls = []
    function = xpnet.nn.functional.max_pool2d
    forward = function.forward
    monkeypatch.setattr(function, "forward", lambda *a, **k: calls.append(k) or forward(*a, **k))
    x = Tensor(backend.asarray(random_input((1, 1, 4, 4))), requires_grad=True)
    with xpnet.no_grad():
        assert isinstance(function(x, 2), Tensor)
    output = function(x, 2)
    assert isinstance(output, Tensor) and output.grad_fn is not None
    assert [k.get("return_indices", False) for k in calls] == [False, True]


def test_leaf_gradients_never_alias_each_other_or_the_caller(backend):
    """Leaves keep fresh gradients without a copy, but never one that someone else holds."""
    a, b = (Tensor(backend.asarray(np.zeros(3)), requires_grad=True) for _ in range(2))
    upstream = backend.asarray(np.ones(3))
    (a + b).backward(upstream)  # add passes the upstream gradient through to both inputs
    a.grad[0] = 7.0
    upstream[1] = 9.0
    assert xpnet.to_numpy(b.grad).tolist() == [1.0, 1.0, 1.0]
    assert xpnet.to_numpy(a.grad).tolist() == [7.0, 1.0, 1.0]
    a.backward(upstream)  # a leaf's own gradient: the caller's array, so a copy
    upstream[2] = 5.0
    assert xpnet.to_numpy(a.grad).tolist() == [8.0, 10.0, 2.0]


def test_in_place_update_under_no_grad_changes_the_parameter(backend):
    """``p -= lr * p.grad`` on a model's parameter (a loop variable) used to rebind the name to
    a new Tensor that no longer required grad: the model never changed. PyTorch updates p."""
    params = [Tensor(backend.asarray(np.array([1.0, 2.0])), requires_grad=True)]
    (params[0] * params[0]).sum().backward()
    data = params[0].array
    for p in params:
        with xpnet.no_grad():
            p -= 0.5 * p.grad
            p *= 2.0
            p /= 4.0
            p += 1.0
    assert params[0].array is data and params[0].requires_grad and params[0].is_leaf
    torch_p = torch.tensor([1.0, 2.0], dtype=torch.float64, requires_grad=True)
    (torch_p * torch_p).sum().backward()
    with torch.no_grad():
        torch_p -= 0.5 * torch_p.grad
        torch_p *= 2.0
        torch_p /= 4.0
        torch_p += 1.0
    np.testing.assert_array_equal(xpnet.to_numpy(params[0].array), torch_p.detach().numpy())


def test_in_place_on_a_leaf_that_requires_grad_raises_as_torch(backend):
    w = Tensor(backend.asarray(np.ones(2)), requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf tensor that requires grad cannot change in"):
        w += 1.0
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
        torch_w = torch.ones(2, requires_grad=True)
        torch_w += 1.0


def test_in_place_on_a_result_is_recorded(backend):
    check(lambda a, b: _iadd_then_imul(a * 1.0, b), [(2, 3), (3,)], backend)


def _iadd_then_imul(y, b):
    y += b
    y *= b
    return y


def test_scalar_conversions_follow_torch():
    """``bool`` asked ``len``: ``bool(Tensor([0.0]))`` was True; ``float`` raised."""
    assert bool(Tensor(np.array([0.0]))) is False and bool(Tensor(np.array(2.0))) is True
    assert float(Tensor(np.array([[1.5]]))) == 1.5 and int(Tensor(np.array(3.7))) == 3
    with pytest.raises(RuntimeError, match="only a one-element tensor converts"):
        bool(Tensor(np.ones(2)))
    with pytest.raises(ValueError, match="only a one-element tensor converts"):
        float(Tensor(np.ones(2)))


def test_comparisons_are_elementwise_as_torch(backend):
    """``pred == target`` was Python's identity test (always False, a bool without .sum())."""
    pred = Tensor(backend.asarray(np.array([1, 2, 3])))
    target = Tensor(backend.asarray(np.array([1, 0, 3])))
    assert (pred == target).sum().item() == 2 and (pred != target).tolist() == [0, 1, 0]
    assert [(pred < 2).tolist(), (pred <= 2).tolist()] == [[1, 0, 0], [1, 1, 0]]
    assert [(pred > 2).tolist(), (pred >= 2).tolist()] == [[0, 0, 1], [0, 1, 1]]
    assert len({pred, target}) == 2  # still hashable by identity, as torch.Tensor


def test_requires_grad_flag_checks_follow_torch():
    with pytest.raises(TypeError, match="only floating-point arrays can require gradients"):
        Tensor(np.arange(3)).requires_grad_()
    y = Tensor(np.ones(2), requires_grad=True) * 2
    with pytest.raises(RuntimeError, match="only leaf tensors can stop requiring grad"):
        y.requires_grad_(False)
    assert y.requires_grad_().requires_grad


def test_grad_mode_switches_nest_as_torch():
    from xpnet.autograd import enable_grad, inference_mode, is_grad_enabled, set_grad_enabled

    with xpnet.no_grad():
        with enable_grad():
            assert is_grad_enabled()
        assert not is_grad_enabled()
        with inference_mode(False):  # PyTorch's turns gradients on
            assert is_grad_enabled()
    with inference_mode():
        assert not is_grad_enabled()
    set_grad_enabled(False)  # takes effect when called, as torch.set_grad_enabled
    assert not is_grad_enabled()
    with set_grad_enabled(True):
        assert is_grad_enabled()
    assert not is_grad_enabled()
    set_grad_enabled(True)
    assert is_grad_enabled()


def test_grad_mode_decorators_with_and_without_parentheses():
    from xpnet.autograd import enable_grad, inference_mode, is_grad_enabled, set_grad_enabled

    decorated = [xpnet.no_grad, xpnet.no_grad(), inference_mode, inference_mode(True)]
    decorated = [switch(is_grad_enabled) for switch in decorated]
    decorated.append(set_grad_enabled(False)(is_grad_enabled))  # the mode is back at once
    assert is_grad_enabled()
    for function in decorated:
        assert function() is False and is_grad_enabled()
    with xpnet.no_grad():
        assert enable_grad(is_grad_enabled)() is True and not is_grad_enabled()


def test_grad_mode_decorator_covers_every_step_of_a_generator():
    """The decorated call only made the generator: its body then ran with grad enabled."""

    @xpnet.no_grad()
    def steps():
        sent = yield xpnet.autograd.is_grad_enabled()
        yield sent, xpnet.autograd.is_grad_enabled()

    generator = steps()
    assert next(generator) is False and xpnet.autograd.is_grad_enabled()
    assert generator.send("x") == ("x", False) and xpnet.autograd.is_grad_enabled()


def _hooked_graph(x, w, hooks):
    """``((x * w).tanh() * x).sum()`` on PyTorch's or xpnet's tensors (same methods), a hook
    on the middle value (doubling its gradient) and ``retain_grad`` on it; returns the middle
    value."""
    middle = (x * w).tanh()
    if hooks:
        middle.register_hook(lambda grad: grad * 2)
    middle.retain_grad()
    (middle * x).sum().backward(retain_graph=True)
    return middle


@pytest.mark.parametrize("hooks", [False, True])
def test_tensor_hooks_and_retain_grad_match_torch(backend, hooks):
    rng = np.random.default_rng(0)
    values = rng.standard_normal((2, 3)), rng.standard_normal((2, 3))
    tx, tw = (torch.tensor(v, requires_grad=True) for v in values)
    x, w = (Tensor(backend.asarray(v), requires_grad=True) for v in values)
    expected = _hooked_graph(tx, tw, hooks)
    middle = _hooked_graph(x, w, hooks)
    assert middle.retains_grad and not x.retains_grad
    for got, want in ((middle.grad, expected.grad), (x.grad, tx.grad), (w.grad, tw.grad)):
        np.testing.assert_allclose(backend.to_host(got.array), want.numpy(), rtol=1e-12)


def test_hooks_see_leaf_gradients_before_accumulation_and_can_be_removed(backend):
    x = Tensor(backend.asarray(np.array([1.0, 2.0])), requires_grad=True)
    seen = []
    handle = x.register_hook(lambda grad: seen.append(backend.to_host(grad.array).tolist()))
    (x * 3).sum().backward()
    (x * 3).sum().backward()
    assert seen == [[3.0, 3.0], [3.0, 3.0]] and backend.to_host(x.grad.array).tolist() == [6.0, 6.0]
    handle.remove()
    (x * 3).sum().backward()
    assert len(seen) == 2


def test_hooks_refuse_a_result_of_another_shape_and_tensors_without_grad(backend):
    x = Tensor(backend.asarray(np.array([1.0, 2.0])), requires_grad=True)
    y = x * 2
    y.register_hook(lambda grad: grad[:1])
    with pytest.raises(ValueError, match="register_hook: the hook's result must have the shape"):
        y.sum().backward()
    plain = Tensor(backend.asarray(np.array([1.0])))
    with pytest.raises(RuntimeError, match="register_hook: cannot register a hook on a tensor"):
        plain.register_hook(lambda grad: grad)
    with pytest.raises(RuntimeError, match="retain_grad: this tensor does not require grad"):
        plain.retain_grad()
