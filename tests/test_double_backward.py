"""``xpnet.autograd.grad(..., create_graph=True)`` against ``torch.autograd`` in float64: the
first and second derivatives of every op that has a differentiable backward, a third order,
a WGAN-GP step on a small convolutional critic, the Hessian of a small MLP, hooks, upstream
gradients with a graph, and the refusals (an op without a formula, ``backward``)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from _oracle import assert_close
from _second_order import (
    F64,
    check_second_derivatives,
    check_third_derivatives,
    constant,
    host,
    leaf,
)
from _second_order import normal as _normal

import xpnet


def _positive(*shape):
    return lambda rng: rng.uniform(0.5, 1.5, shape)


def _images(*shape):
    return lambda rng: rng.standard_normal(shape)


# name: (f(module, F, constant, *inputs) on xpnet or torch alike, input makers)
CASES = {
    "add_sub_broadcast": (lambda m, F, c, a, b: a * b + a - b, [_normal(3, 4), _normal(4)]),
    "mul_div": (lambda m, F, c, a, b: a * b / b.exp() + a / 2, [_normal(3, 4), _normal(3, 1)]),
    "div_by_tensor": (lambda m, F, c, a, b: a / b, [_normal(3, 4), _positive(3, 4)]),
    "neg_rsub": (lambda m, F, c, a: (1 - a) * -a, [_normal(3)]),
    "pow_number": (lambda m, F, c, a: a**3 + a**2 * 0.5, [_normal(3, 4)]),
    "pow_tensor": (lambda m, F, c, a, b: a**b, [_positive(3, 4), _normal(3, 4)]),
    "rpow": (lambda m, F, c, b: 2.0**b, [_normal(5)]),
    "square_method": (lambda m, F, c, a: a.pow(2).square(), [_normal(5)]),
    "matmul": (lambda m, F, c, a, b: (a @ b.T).tanh(), [_normal(3, 4), _normal(2, 4)]),
    "matmul_vector": (lambda m, F, c, a, b: (a @ b) ** 2, [_normal(3, 4), _normal(4)]),
    "matmul_batched": (lambda m, F, c, a, b: (a @ b) ** 2, [_normal(2, 3, 4), _normal(4, 2)]),
    "sum_mean": (lambda m, F, c, a: a.sum(1) * a.mean(0).sum() + a.mean(), [_normal(3, 4)]),
    "sum_keepdim": (lambda m, F, c, a: a.sum((0, 2), keepdim=True) * a, [_normal(2, 3, 4)]),
    "reshape_view_index": (
        lambda m, F, c, a: a.view(4, 3)[1:, ::2].reshape(-1) ** 2,
        [_normal(3, 4)],
    ),
    "fancy_index": (lambda m, F, c, a: a[c([0, 2, 0])] ** 3, [_normal(3, 4)]),
    "gather_index_select_cumsum": (
        lambda m, F, c, a: (
            a.gather(1, c([[0], [2], [1]])) ** 2 + a.index_select(1, c([3, 0])).sum() * a.cumsum(0)
        ),
        [_normal(3, 4)],
    ),
    "split_narrow_clone_cast": (
        lambda m, F, c, a: (
            (a.split(2, 1)[1] ** 2).sum() * a.narrow(0, 1, 2).clone().to(m.float32).to(m.float64)
        ),
        [_normal(3, 4)],
    ),
    "shapes": (
        lambda m, F, c, a: a.T.unsqueeze(0).flatten().squeeze() ** 2 + a.permute(1, 0).sum(),
        [_normal(3, 4)],
    ),
    "transpose_expand": (
        lambda m, F, c, a: a.transpose(0, 1).expand(2, 4, 3) ** 2,
        [_normal(3, 4)],
    ),
    "exp_log_sqrt": (lambda m, F, c, a: a.exp() + a.log() * a.sqrt(), [_positive(3, 4)]),
    "abs": (lambda m, F, c, a: a.abs() * a, [_normal(3, 4)]),
    "tanh_sigmoid": (lambda m, F, c, a: a.tanh() * a.sigmoid() + m.tanh(a), [_normal(3, 4)]),
    "reciprocal_rsqrt": (lambda m, F, c, a: a.reciprocal() + a.rsqrt(), [_positive(3, 4)]),
    "clamp": (lambda m, F, c, a: a.clamp(-0.5, 0.5) * a + a.clamp(min=0) ** 2, [_normal(3, 4)]),
    "clamp_tensor_bounds": (
        lambda m, F, c, a, lo: a.clamp(lo, None) * a * lo,
        [_normal(3, 4), _normal(4)],
    ),
    "where": (lambda m, F, c, a, b: m.where(a > 0, a * b, b**2), [_normal(3, 4), _normal(3, 4)]),
    "norm": (lambda m, F, c, a: a.norm() * a, [_normal(3, 4)]),
    "norm_dim": (lambda m, F, c, a: a.norm(dim=1) ** 3, [_normal(3, 4)]),
    "norm_1": (lambda m, F, c, a: a.norm(1) * a, [_normal(3, 4)]),
    "norm_inf": (lambda m, F, c, a: a.norm(float("inf"), dim=0) * a, [_normal(3, 4)]),
    "vector_norm_3": (lambda m, F, c, a: m.linalg.vector_norm(a, 3, 1), [_normal(3, 4)]),
    "logsumexp": (lambda m, F, c, a: a.logsumexp(1) ** 2, [_normal(3, 4)]),
    "cat": (lambda m, F, c, a, b: m.cat([a, b * a], 1) ** 2, [_normal(3, 4), _normal(3, 4)]),
    "stack": (lambda m, F, c, a, b: m.stack([a, b * a], 1) ** 2, [_normal(3, 4), _normal(3, 4)]),
    "erf": (lambda m, F, c, a: a.erf() * a, [_normal(3, 4)]),
    "relu": (lambda m, F, c, a: F.relu(a) * a, [_normal(3, 4)]),
    "leaky_relu": (lambda m, F, c, a: F.leaky_relu(a, 0.2) * a, [_normal(3, 4)]),
    "elu": (lambda m, F, c, a: F.elu(a, 0.7), [_normal(3, 4)]),
    "gelu": (lambda m, F, c, a: F.gelu(a), [_normal(3, 4)]),
    "gelu_tanh": (lambda m, F, c, a: F.gelu(a, approximate="tanh"), [_normal(3, 4)]),
    "silu": (lambda m, F, c, a: F.silu(a), [_normal(3, 4)]),
    "softplus": (lambda m, F, c, a: F.softplus(a, 2.0, 1.0), [_normal(3, 4)]),
    "softmax": (lambda m, F, c, a: F.softmax(a, 1), [_normal(3, 4)]),
    "log_softmax": (lambda m, F, c, a: F.log_softmax(a, 0), [_normal(3, 4)]),
    "linear": (
        lambda m, F, c, a, w, b: F.linear(a, w, b) ** 2,
        [_normal(2, 3, 4), _normal(5, 4), _normal(5)],
    ),
    "mse_loss": (lambda m, F, c, a, b: F.mse_loss(a, b), [_normal(3, 4), _normal(3, 4)]),
    "mse_loss_sum": (
        lambda m, F, c, a, b: F.mse_loss(a * b, b, reduction="sum"),
        [_normal(3, 4), _normal(3, 4)],
    ),
    "bce_with_logits": (
        lambda m, F, c, a, t: F.binary_cross_entropy_with_logits(
            a, t.sigmoid(), weight=c([0.5, 1.0, 2.0, 1.5]), pos_weight=c([2.0, 1.0, 0.5, 3.0])
        ),
        [_normal(3, 4), _normal(3, 4)],
    ),
    "bce_with_logits_none": (
        lambda m, F, c, a, t: F.binary_cross_entropy_with_logits(a, t, reduction="none"),
        [_normal(3, 4), _positive(3, 4)],
    ),
    "cross_entropy": (lambda m, F, c, a: F.cross_entropy(a, c([0, 3, 1])), [_normal(3, 4)]),
    "cross_entropy_options": (
        lambda m, F, c, a: F.cross_entropy(
            a, c([0, 3, 1]), weight=c([0.5, 1.0, 2.0, 1.5]), ignore_index=1, label_smoothing=0.2
        ),
        [_normal(3, 4)],
    ),
    "cross_entropy_none_2d": (
        lambda m, F, c, a: F.cross_entropy(
            a, c([[0, 2], [1, 1]]), reduction="none", label_smoothing=0.1
        ),
        [_normal(2, 3, 2)],
    ),
    "cross_entropy_probabilities": (
        lambda m, F, c, a, t: F.cross_entropy(
            a, t.softmax(1), weight=c([0.5, 1.0, 2.0, 1.5]), label_smoothing=0.1
        ),
        [_normal(3, 4), _normal(3, 4)],
    ),
    "nll_loss": (
        lambda m, F, c, a: F.nll_loss(F.log_softmax(a, 1), c([0, 3, 1]), reduction="sum"),
        [_normal(3, 4)],
    ),
    "conv2d": (
        lambda m, F, c, x, w, b: F.conv2d(x, w, b, 2, 1) ** 2,
        [_images(2, 3, 6, 6), _normal(4, 3, 3, 3), _normal(4)],
    ),
    "conv2d_groups_dilation": (
        lambda m, F, c, x, w: F.conv2d(x, w, None, 1, 2, 2, 2).tanh(),
        [_images(1, 4, 7, 7), _normal(6, 2, 3, 3)],
    ),
    "conv2d_same_even": (
        lambda m, F, c, x, w: F.conv2d(x, w, padding="same") ** 2,
        [_images(2, 3, 5, 5), _normal(4, 3, 2, 3)],
    ),
    "conv1d": (
        lambda m, F, c, x, w: F.conv1d(x, w, None, 1, 1, 2) ** 2,
        [_images(2, 4, 9), _normal(2, 4, 3)],
    ),
    "avg_pool2d": (lambda m, F, c, x: F.avg_pool2d(x * x, 3, 2, 1), [_images(2, 3, 6, 6)]),
    "max_pool2d": (lambda m, F, c, x: F.max_pool2d(x, 2) ** 2, [_images(2, 3, 6, 6)]),
    "max_pool2d_overlap": (
        lambda m, F, c, x: F.max_pool2d(x * x, 3, 1, 1) * x,
        [_images(1, 2, 5, 5)],
    ),
    "flatten_linear": (
        lambda m, F, c, x, w: F.linear(x.flatten(1), w).tanh(),
        [_images(2, 2, 3, 3), _normal(4, 18)],
    ),
    "layer_norm": (
        lambda m, F, c, a, w, b: F.layer_norm(a, (4,), w, b) ** 2,
        [_normal(3, 4), _positive(4), _normal(4)],
    ),
    "batch_norm_training": (
        lambda m, F, c, a, w, b: F.batch_norm(a, None, None, w, b, True) ** 2,
        [_normal(4, 3, 2), _positive(3), _normal(3)],
    ),
}


@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel")  # torch's
@pytest.mark.parametrize("case", sorted(CASES))
def test_second_derivatives_match_torch(backend, case):
    check_second_derivatives(backend, *CASES[case])


def test_third_derivative_of_a_cube_is_six(backend):
    x = leaf(backend, np.array([0.5, -2.0]))
    (first,) = xpnet.autograd.grad((x**3).sum(), x, create_graph=True)
    (second,) = xpnet.autograd.grad(first.sum(), x, create_graph=True)
    (third,) = xpnet.autograd.grad(second.sum(), x)
    assert host(backend, first).tolist() == [0.75, 12.0]
    assert host(backend, second).tolist() == [3.0, -12.0]
    assert host(backend, third).tolist() == [6.0, 6.0]


@pytest.mark.parametrize(
    "case",
    [
        lambda m, F, c, x, w: (x.tanh() * F.softplus(x) + F.gelu(x) * F.silu(x)).sum(),
        lambda m, F, c, x, w: (F.conv2d(x, w, padding=1) ** 3).sum(),
        lambda m, F, c, x, w: (F.max_pool2d(x**3, 2) * F.avg_pool2d(x, 2)).sum(),
        lambda m, F, c, x, w: F.cross_entropy(x.flatten(1), m.tensor([0, 1])) * F.elu(x).sum(),
    ],
)
def test_third_derivatives_match_torch(backend, case):
    """Third order: the formulas' own graphs (conv's gradient Functions, the max-pooling
    scatter and gather, the nll adjoint) are differentiable again."""
    check_third_derivatives(backend, case, [_normal(2, 2, 4, 4), _normal(3, 2, 3, 3)])


def _critic(module, state):
    nn = module.nn
    layers = [nn.Conv2d(1, 4, 3, stride=2, padding=1), nn.LeakyReLU(0.2), nn.Flatten()]
    critic = nn.Sequential(*layers, nn.Linear(64, 1)).double()
    critic.load_state_dict({k: torch.tensor(v) if module is torch else v for k, v in state.items()})
    return critic


def test_wgan_gp_step_matches_torch(backend):
    """A WGAN-GP critic loss (Gulrajani et al. 2017): the gradient penalty's
    ``(|d critic / d x| - 1)^2`` at points between real and fake images, backpropagated into
    the critic's parameters."""
    rng = np.random.default_rng(4)
    state = {
        "0.weight": rng.standard_normal((4, 1, 3, 3)) * 0.5,
        "0.bias": rng.standard_normal(4) * 0.1,
        "3.weight": rng.standard_normal((1, 64)) * 0.2,
        "3.bias": rng.standard_normal(1) * 0.1,
    }
    real, fake, mix = (
        rng.standard_normal((3, 1, 8, 8)),
        rng.standard_normal((3, 1, 8, 8)),
        rng.random((3, 1, 1, 1)),
    )
    grads = []
    for module in (xpnet, torch):
        critic = _critic(module, state)
        if module is xpnet:
            critic.to(backend.name)
        c = constant(module, backend)
        points = c(mix * real + (1 - mix) * fake).requires_grad_()
        (slope,) = module.autograd.grad(critic(points).sum(), points, create_graph=True)
        penalty = ((slope.flatten(1).norm(2, dim=1) - 1) ** 2).mean()
        loss = critic(c(fake)).mean() - critic(c(real)).mean() + 10 * penalty
        loss.backward()
        grads.append([p.grad.data for _, p in sorted(critic.named_parameters())])
    for ours, theirs in zip(*grads, strict=True):
        assert_close(xpnet.to_numpy(ours), theirs.numpy(), F64, "critic gradient")


def _mlp_loss(module, x, y, params):
    w1, b1, w2, b2 = params
    F = module.nn.functional
    return F.mse_loss(F.linear(F.tanh(F.linear(x, w1, b1)), w2, b2), y)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_hessian_of_a_small_mlp_matches_torch(backend, dtype):
    rng = np.random.default_rng(5)
    x, y = rng.standard_normal((5, 2)).astype(dtype), rng.standard_normal((5, 1)).astype(dtype)
    shapes = [(3, 2), (3,), (1, 3), (1,)]
    values = [rng.standard_normal(shape).astype(dtype) for shape in shapes]
    hessians = []
    for module in (xpnet, torch):
        c = constant(module, backend)
        params = [c(v).requires_grad_() for v in values]
        grads = module.autograd.grad(
            _mlp_loss(module, c(x), c(y), params), params, create_graph=True
        )
        flat = module.cat([g.reshape(-1) for g in grads])
        rows = [module.autograd.grad(flat[i], params, retain_graph=True) for i in range(13)]
        hessians.append(
            np.array([np.concatenate([host(backend, g).ravel() for g in row]) for row in rows])
        )
    assert hessians[0].dtype == dtype
    assert_close(hessians[0], hessians[1], dtype, "Hessian")
    assert_close(hessians[0], hessians[0].T, dtype, "symmetry")


def test_upstream_gradient_with_a_graph_gives_a_jacobian_vector_product(backend):
    """The double-vjp trick: the gradient is linear in ``grad_outputs``, so differentiating it
    with respect to them gives ``J v``."""
    rng = np.random.default_rng(6)
    x, v = rng.standard_normal(4), rng.standard_normal(4)
    products = []
    for module in (xpnet, torch):
        c = constant(module, backend)
        xs, dummy = c(x).requires_grad_(), c(np.zeros(3)).requires_grad_()
        output = (xs[:3] * xs[1:]).exp() * xs[:3]
        (vjp,) = module.autograd.grad(output, xs, grad_outputs=dummy, create_graph=True)
        (jvp,) = module.autograd.grad(vjp, dummy, grad_outputs=c(v))
        products.append(host(backend, jvp))
    assert_close(products[0], products[1], F64, "J v")


def test_hooks_see_and_replace_differentiable_gradients_as_torch(backend):
    """Under create_graph the hooks get Tensors with a graph, and a Tensor they return keeps
    its graph (here the hook multiplies by ``hidden``, a function of ``x``)."""
    results, seen = [], []
    for module in (xpnet, torch):
        x = constant(module, backend)(np.array([0.5, -1.0, 2.0])).requires_grad_()
        hidden = x * x
        hook = hidden.register_hook(
            lambda grad, h=hidden: seen.append(grad.requires_grad) or grad * h
        )
        (g,) = module.autograd.grad(hidden.exp().sum(), x, create_graph=True)
        hook.remove()
        results.append([host(backend, g), host(backend, module.autograd.grad(g.sum(), x)[0])])
    assert seen == [True, True]
    for ours, theirs in zip(*results, strict=True):
        assert_close(ours, theirs, F64, "hooked gradient")


def _cube(input):
    return input**3


def _cube_backward(grad_output, input):
    return grad_output * 3 * input**2


# an op whose array backward has no registered formula (every op of xpnet's own may get one)
_WITHOUT_FORMULA = xpnet.autograd.Function(_cube, _cube_backward, wrt=("input",))


def test_an_op_without_a_formula_raises_naming_it(backend):
    x = leaf(backend, 2 * np.eye(2))
    y = _WITHOUT_FORMULA(x)
    with pytest.raises(
        NotImplementedError, match="create_graph=True: _cube has no differentiable backward"
    ):
        xpnet.autograd.grad(y.sum(), x, create_graph=True)


@pytest.mark.filterwarnings("ignore:Using backward.. with create_graph=True")  # torch's
def test_backward_with_create_graph_gives_grad_a_graph_as_torch(backend):
    """``.grad`` of ``backward(create_graph=True)`` differentiates again; a second backward
    adds into it (a Tensor with a graph), as PyTorch's."""
    results = []
    for module in (xpnet, torch):
        c = constant(module, backend)
        x, w = c([1.0, -2.0]).requires_grad_(), c([0.5, 3.0]).requires_grad_()
        ((x**3).sum() + (x * w * x).sum()).backward(create_graph=True)
        first = (host(backend, x.grad).tolist(), x.grad.requires_grad, x.grad.grad_fn is None)
        (x.grad * w).sum().backward()  # d/dx and d/dw of sum(w * (3 x^2 + 2 w x))
        results.append((first, host(backend, x.grad).tolist(), host(backend, w.grad).tolist()))
    assert results[0] == results[1]


def test_backward_with_create_graph_names_an_op_without_a_formula(backend):
    x = leaf(backend, 2 * np.eye(2))
    with pytest.raises(NotImplementedError, match="_cube has no differentiable"):
        _WITHOUT_FORMULA(x).sum().backward(create_graph=True)
    assert x.grad is None


def test_gradients_that_do_not_depend_on_the_inputs_as_torch(backend):
    results = []
    for module in (xpnet, torch):
        c = constant(module, backend)
        x, z = c(np.array([1.0, 2.0])).requires_grad_(), c(np.array([3.0])).requires_grad_()
        linear = module.autograd.grad((x * 2).sum(), [x, z], create_graph=True, allow_unused=True)
        kept = module.autograd.grad(
            (x * 2).sum(), [x, z], create_graph=True, materialize_grads=True
        )
        results.append((linear[0].requires_grad, linear[1], host(backend, kept[1]).tolist()))
        with pytest.raises(RuntimeError, match="does not require grad"):
            module.autograd.grad(linear[0].sum(), x)
        with pytest.raises(RuntimeError, match="appears to not have been used"):
            module.autograd.grad((x * x).sum(), [x, z], create_graph=True)
    assert results[0] == results[1] == (False, None, [0.0])


def test_create_graph_retains_the_graph_unless_told_not_to(backend):
    x = leaf(backend, np.array([1.0, 2.0]))
    loss = (x.exp() * x).sum()
    first = xpnet.autograd.grad(loss, x, create_graph=True)[0]
    again = xpnet.autograd.grad(loss, x, create_graph=True, retain_graph=False)[0]
    assert_close(host(backend, first), host(backend, again), F64, "again")
    with pytest.raises(RuntimeError, match="second time"):
        xpnet.autograd.grad(loss, x)


def _custom(formula):
    """A Function of its own, ``input ** 2``, whose differentiable backward is ``formula``."""

    def square(input):
        return input**2

    def square_backward(grad_output, input):
        return 2 * grad_output * input

    xpnet.autograd.differentiable_backward(square_backward)(formula)
    return xpnet.autograd.Function(square, square_backward, wrt=("input",))


def test_a_registered_formula_serves_its_function(backend):
    op = _custom(lambda grad_output, input: 2 * grad_output * input)
    x = leaf(backend, np.array([1.5, -2.0]))
    (g,) = xpnet.autograd.grad(op(x).sum(), x, create_graph=True)
    (h,) = xpnet.autograd.grad((g * x).sum(), x)  # d/dx of 2 x^2
    assert host(backend, h).tolist() == [6.0, -8.0]


def test_a_formula_that_returns_a_wrong_gradient_is_refused(backend):
    x = leaf(backend, np.array([1.5, -2.0]))
    with pytest.raises(RuntimeError, match=r"square returned a gradient of shape \(\) for input 0"):
        xpnet.autograd.grad(_custom(lambda g, input: g.sum())(x).sum(), x, create_graph=True)
    with pytest.raises(TypeError, match="must return Tensors or None, got (ndarray|StrictArray)"):
        xpnet.autograd.grad(
            _custom(lambda g, input: 2 * input.array)(x).sum(), x, create_graph=True
        )
