"""``xpnet.func`` against ``torch.func`` in float64: ``grad``/``grad_and_value`` (argnums,
has_aux), ``vjp``, ``jvp``, ``linearize``, ``jacrev``/``jacfwd``, ``hessian``, ``vmap``
(in_dims/out_dims trees, randomness), ``functional_call`` and ``stack_module_state`` on an MLP
(per-sample gradients, ensembling, MAML), the compositions, and PyTorch's errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.func as TF
from _oracle import assert_close

import xpnet
import xpnet.func as XF

# torch's side warns: torch.func.jvp's forward mode scripts a helper on first use (deprecated
# in torch 2.13), and linearize traces with torch.fx, which warns about its own graph
pytestmark = [
    pytest.mark.filterwarnings("ignore:`torch.jit.script` is deprecated:DeprecationWarning"),
    pytest.mark.filterwarnings("ignore:Attempted to insert a get_attr Node:UserWarning"),
]

RNG = np.random.default_rng(0)
X = RNG.standard_normal(3)
W = RNG.standard_normal((2, 3))
BATCH = RNG.standard_normal((4, 3))


def _tree(backend, module, value):
    """``value`` (arrays in tuples, lists, dicts) as Tensors of ``module`` (xpnet or torch)."""
    if isinstance(value, dict):
        return {key: _tree(backend, module, v) for key, v in value.items()}
    if isinstance(value, tuple | list):
        return type(value)(_tree(backend, module, v) for v in value)
    if module is torch:
        return torch.tensor(value)
    return xpnet.Tensor(backend.asarray(value))


def _same(ours, theirs, what="result"):
    """The trees match in structure, and their Tensors in value (float64 tolerance)."""
    if isinstance(theirs, dict):
        assert isinstance(ours, dict) and list(ours) == list(theirs), what
        for key in theirs:
            _same(ours[key], theirs[key], f"{what}[{key!r}]")
    elif isinstance(theirs, tuple | list):
        assert type(ours) is type(theirs) and len(ours) == len(theirs), f"{what}: {ours}"
        for index, (a, b) in enumerate(zip(ours, theirs, strict=True)):
            _same(a, b, f"{what}[{index}]")
    else:
        assert isinstance(ours, xpnet.Tensor), f"{what}: {type(ours)}"
        assert_close(ours.numpy(), theirs.detach().numpy(), np.float64, what)


def _both(backend, build, *arrays):
    """``build(m, F, *tensors)`` with xpnet (``m=xpnet``, ``F=xpnet.func``) and with torch."""
    return [
        build(module, func, *_tree(backend, module, arrays))
        for module, func in ((xpnet, XF), (torch, TF))
    ]


def _f(x, w):
    return ((w @ x).tanh() ** 2).sum() + (x.exp() * x).sum()


def _vector(x, w):
    return (w @ x).sin(), {"sq": x * x.sum()}


@pytest.mark.parametrize("argnums", [0, 1, (0, 1), (1, -2)])
def test_grad_matches_torch(backend, argnums):
    ours, theirs = _both(backend, lambda m, F, x, w: F.grad(_f, argnums)(x, w), X, W)
    _same(ours, theirs)


def test_grad_and_value_with_aux_of_a_dict_matches_torch(backend):
    def loss(params, x):
        hidden = params["w"] @ x
        return (hidden**2).sum() * params["s"], hidden

    def run(m, F, params, x):
        return F.grad_and_value(loss, has_aux=True)(params, x)

    arrays = ({"w": W, "s": np.array(0.5)}, X)
    ours, theirs = _both(backend, run, *arrays)
    _same(ours, theirs)
    assert ours[1][1].grad_fn is None and not ours[1][0].requires_grad


def test_grad_of_an_unused_argument_or_a_constant_is_zeros_as_torch(backend):
    def run(m, F, x, w):
        return F.grad(lambda a, b: a.sum(), 1)(x, w), F.grad(lambda a: (a * 2).sum().detach())(x)

    ours, theirs = _both(backend, run, X, W)
    _same(ours, theirs)


@pytest.mark.parametrize("has_aux", [False, True])
def test_vjp_of_a_tree_matches_torch(backend, has_aux):
    def run(m, F, x, w, cotangent):
        function = (lambda x, w: (_vector(x, w), w.sum())) if has_aux else _vector
        out, vjp_fn, *aux = F.vjp(function, x, w, has_aux=has_aux)
        return out, vjp_fn((cotangent, {"sq": x * 2})), vjp_fn((cotangent, {"sq": x})), aux

    arrays = (X, W, RNG.standard_normal(2))
    ours, theirs = _both(backend, run, *arrays)
    _same(ours, theirs)
    assert all(not value.requires_grad for value in ours[3])  # aux: a constant, as torch's


@pytest.mark.parametrize("has_aux", [False, True])
def test_jvp_matches_torch(backend, has_aux):
    def run(m, F, x, w, tx, tw):
        function = (lambda x, w: (_vector(x, w), x.sum())) if has_aux else _vector
        return F.jvp(function, (x, w), (tx, tw), has_aux=has_aux)

    arrays = (X, W, RNG.standard_normal(3), RNG.standard_normal((2, 3)))
    ours, theirs = _both(backend, run, *arrays)
    _same(ours, theirs)


def test_linearize_matches_torch(backend):
    def run(m, F, x, t):
        out, jvp_fn = F.linearize(lambda x: x.sin() * x.sum(), x)
        return out, jvp_fn(t), jvp_fn(t * 2)

    ours, theirs = _both(backend, run, X, RNG.standard_normal(3))
    _same(ours, theirs)


@pytest.mark.parametrize("transform", ["jacrev", "jacfwd"])
@pytest.mark.parametrize("argnums", [0, (0, 1)])
def test_jacobians_of_a_tree_match_torch(backend, transform, argnums):
    def run(m, F, x, w):
        return getattr(F, transform)(_vector, argnums)(x, w)

    ours, theirs = _both(backend, run, X, W)
    _same(ours, theirs)


def test_jacrev_with_aux_matches_torch(backend):
    def run(m, F, x):
        return F.jacrev(lambda x: (x.exp(), x.sum()), has_aux=True)(x)

    ours, theirs = _both(backend, run, X)
    _same(ours, theirs)


@pytest.mark.parametrize("argnums", [0, (0, 1)])
def test_hessian_matches_torch(backend, argnums):
    ours, theirs = _both(backend, lambda m, F, x, w: F.hessian(_f, argnums)(x, w), X, W)
    _same(ours, theirs)


def test_compositions_match_torch(backend):
    def run(m, F, x, w):
        second = F.grad(lambda x: F.grad(lambda y: (y.sin() * x).sum())(x).sum())(x)
        jacobian = F.jacrev(F.jacrev(lambda x: (w @ x).tanh()))(x)
        per_row = F.vmap(F.grad(lambda row: (row**3).sum()))(w)
        return second, jacobian, per_row, F.vmap(F.jacrev(lambda row: row.sin()))(w)

    ours, theirs = _both(backend, run, X, W)
    _same(ours, theirs)


def _mlp(module):
    return module.nn.Sequential(module.nn.Linear(3, 5), module.nn.Tanh(), module.nn.Linear(5, 2))


def _mlp_params():
    rng = np.random.default_rng(1)
    return {
        "0.weight": rng.standard_normal((5, 3)),
        "0.bias": rng.standard_normal(5),
        "2.weight": rng.standard_normal((2, 5)),
        "2.bias": rng.standard_normal(2),
    }


def test_per_sample_gradients_of_an_mlp_match_torch(backend):
    def run(m, F, params, x, target):
        model = _mlp(m)

        def loss(params, x, target):
            out = F.functional_call(model, params, (x.unsqueeze(0),))
            return m.nn.functional.mse_loss(out, target.unsqueeze(0))

        grads = F.vmap(F.grad(loss), in_dims=(None, 0, 0))(params, x, target)
        assert all(p.grad is None for p in model.parameters())
        return grads

    arrays = (_mlp_params(), BATCH, RNG.standard_normal((4, 2)))
    ours, theirs = _both(backend, run, *arrays)
    _same(ours, theirs)
    assert tuple(ours["0.weight"].shape) == (4, 5, 3)


def test_ensemble_by_stack_module_state_matches_torch(backend):
    def run(m, F, x, *weights):
        models = [_mlp(m).double() for _ in range(3)]
        for model, arrays in zip(models, weights, strict=True):
            for param, value in zip(model.parameters(), arrays, strict=True):
                param.data = value.data.clone()
        params, buffers = F.stack_module_state(models)
        out = F.vmap(lambda p, b, x: F.functional_call(models[0], (p, b), (x,)), (0, 0, None))(
            params, buffers, x
        )
        (out**2).sum().backward()  # through vmap to the stacked leaves
        assert all(p.grad is None for model in models for p in model.parameters())
        return out, {name: m.Tensor(p.grad) if m is xpnet else p.grad for name, p in params.items()}

    weights = [tuple(_mlp_params().values()) for _ in range(3)]
    weights = [tuple(w * (1 + i) for w in ws) for i, ws in enumerate(weights)]
    ours, theirs = _both(backend, run, BATCH, *weights)
    _same(ours, theirs)


def test_maml_through_functional_call_matches_torch(backend):
    def run(m, F, params, x, target):
        model = _mlp(m)

        def loss(params, x):
            return ((F.functional_call(model, params, (x,)) - target) ** 2).mean()

        def adapted_loss(params):
            step = F.grad(loss)(params, x)
            fast = {name: p - 0.1 * step[name] for name, p in params.items()}
            return loss(fast, x * 2)

        return F.grad_and_value(adapted_loss)(params)

    arrays = (_mlp_params(), BATCH, RNG.standard_normal((4, 2)))
    ours, theirs = _both(backend, run, *arrays)
    _same(ours, theirs)


def test_grad_through_module_parameters_keeps_their_graph_as_torch(backend):
    def run(m, F, x, *weights):
        model = _mlp(m).double()
        for param, value in zip(model.parameters(), weights, strict=True):
            param.data = value.data.clone()
        g = F.grad(lambda x: (model(x) ** 2).sum())(x)
        assert all(p.grad is None for p in model.parameters())
        (g**2).sum().backward()  # the closure's parameters get a gradient through g
        return g, [m.Tensor(p.grad) if m is xpnet else p.grad for p in model.parameters()]

    ours, theirs = _both(backend, run, X, *_mlp_params().values())
    _same(ours, theirs)


VMAP_CASES = {  # name: (function, in_dims, out_dims, argument arrays)
    "defaults": (lambda x, y: x * y.sum(), 0, 0, [(4, 3), (4, 2)]),
    "in_dims tuple": (lambda x, y: x @ y, (1, None), 1, [(3, 4), (3, 2)]),
    "negative": (lambda x: x.exp(), -1, -1, [(2, 4)]),
    "trees": (
        lambda x, t: (x * t["a"].sum(), t["b"] * x.sum()),
        (0, {"a": None, "b": 1}),
        (1, 0),
        [(4, 3), {"a": (5,), "b": (2, 4)}],
    ),
    "out_dims None": (lambda x, c: (x * 2, c.sum()), (0, None), (0, None), [(4, 3), (2,)]),
}


def _arrays(shapes):
    if isinstance(shapes, dict):
        return {key: _arrays(shape) for key, shape in shapes.items()}
    return RNG.standard_normal(shapes)


@pytest.mark.parametrize("name", sorted(VMAP_CASES))
def test_vmap_dims_match_torch(backend, name):
    function, in_dims, out_dims, shapes = VMAP_CASES[name]
    arrays = [_arrays(shape) for shape in shapes]
    ours, theirs = _both(backend, lambda m, F, *a: F.vmap(function, in_dims, out_dims)(*a), *arrays)
    _same(ours, theirs)


def test_vmap_passes_keyword_arguments_unmapped_as_torch(backend):
    def run(m, F, x, scale):
        return F.vmap(lambda x, scale: x * scale, in_dims=(0,))(x, scale=scale)

    ours, theirs = _both(backend, run, BATCH, RNG.standard_normal(3))
    _same(ours, theirs)


def _dropout_rows(randomness):
    layer = xpnet.nn.Dropout(0.5)
    return XF.vmap(layer, randomness=randomness)(xpnet.ones(6, 50, dtype=xpnet.float64))


def test_vmap_randomness_error_refuses_dropout_as_torch(backend):
    state = xpnet.get_rng_state()
    with pytest.raises(RuntimeError, match="vmap: called random operation while in randomness"):
        _dropout_rows("error")
    assert np.array_equal(xpnet.get_rng_state().numpy(), state.numpy())  # put back
    with pytest.raises(RuntimeError, match="randomness error mode"):
        XF.vmap(lambda x: x + xpnet.rand(3), randomness="error")(xpnet.ones(2, 3))
    # torch agrees it is an error
    with pytest.raises(RuntimeError, match="vmap: called random operation while in randomness"):
        TF.vmap(torch.nn.Dropout(0.5))(torch.ones(6, 50))


def test_vmap_randomness_same_and_different(backend):
    xpnet.manual_seed(0)
    same = _dropout_rows("same").numpy()
    assert (same == same[0]).all() and (same == 0).any()
    different = _dropout_rows("different").numpy()
    assert not (different == different[0]).all()


def test_vmap_of_an_output_for_out_dims_none_must_not_depend_on_the_index(backend):
    x = xpnet.ones(3, 2)
    assert XF.vmap(lambda x: 3.0, out_dims=None)(x) == 3.0
    with pytest.raises(ValueError, match="can not return a BatchedTensor when out_dim is None"):
        XF.vmap(lambda x: x, out_dims=None)(xpnet.randn(3, 2))


ERRORS = {  # name: (call with F = xpnet.func or torch.func, exception type, message)
    "in_dims a str": (
        lambda F, x: F.vmap(lambda x: x, in_dims="a")(x),
        ValueError,
        r"vmap\(<lambda>, in_dims=a",
    ),
    "in_dims too long": (
        lambda F, x: F.vmap(lambda x: x, in_dims=(0, 0))(x),
        ValueError,
        "in_dims is not compatible",
    ),
    "in_dim out of range": (
        lambda F, x: F.vmap(lambda x: x, in_dims=5)(x),
        ValueError,
        "expected in_dim to satisfy -2",
    ),
    "in_dim a float": (
        lambda F, x: F.vmap(lambda x: x, in_dims=(1.0,))(x),
        ValueError,
        "in_dim must be either",
    ),
    "batch sizes differ": (
        lambda F, x: F.vmap(lambda x, y: x)(x, x[:2]),
        ValueError,
        r"got sizes \[3, 2\]",
    ),
    "a number mapped": (
        lambda F, x: F.vmap(lambda x: x)(3.0),
        ValueError,
        "cannot vmap over non-Tensor",
    ),
    "no inputs": (lambda F, x: F.vmap(lambda x: x)(), ValueError, "got no inputs"),
    "a number returned": (
        lambda F, x: F.vmap(lambda x: 3.0)(x),
        ValueError,
        "must only return Tensors",
    ),
    "out_dims too long": (
        lambda F, x: F.vmap(lambda x: x, out_dims=(0, 1))(x),
        ValueError,
        "out_dims is not",
    ),
    "out_dims a str": (
        lambda F, x: F.vmap(lambda x: x, out_dims="a")(x),
        ValueError,
        "`out_dims` must be",
    ),
    "out_dim out of range": (
        lambda F, x: F.vmap(lambda x: x, out_dims=3)(x),
        IndexError,
        "out of range|dim must be in",
    ),
    "randomness unknown": (
        lambda F, x: F.vmap(lambda x: x, randomness="x")(x),
        RuntimeError,
        "Only allowed values",
    ),
    "vmap chunk_size 0": (
        lambda F, x: F.vmap(lambda x: x, chunk_size=0)(x),
        ValueError,
        "chunk_size should be",
    ),
    "grad of a matrix": (
        lambda F, x: F.grad(lambda x: x)(x),
        RuntimeError,
        "to return a scalar Tensor, got tensor with 2 dims",
    ),
    "grad of a str": (
        lambda F, x: F.grad(lambda x: "a")(x),
        RuntimeError,
        "to return a Tensor, got <class 'str'>",
    ),
    "argnums out of range": (
        lambda F, x: F.grad(lambda x: x.sum(), argnums=3)(x),
        RuntimeError,
        "Got argnum=3, but only 1",
    ),
    "argnums repeated": (
        lambda F, x: F.grad(lambda x: x.sum(), argnums=(0, 0))(x),
        RuntimeError,
        "must be unique",
    ),
    "argnums a float": (
        lambda F, x: F.grad(lambda x: x.sum(), argnums=1.0)(x),
        RuntimeError,
        "argnums must be int or",
    ),
    "argnums empty": (
        lambda F, x: F.grad(lambda x: x.sum(), argnums=())(x),
        RuntimeError,
        "must be non-empty",
    ),
    "aux missing": (
        lambda F, x: F.grad(lambda x: x.sum(), has_aux=True)(x),
        RuntimeError,
        r"should be a tuple: \(output, aux\)",
    ),
    "grad of a number": (
        lambda F, x: F.grad(lambda x: x.sum())(3.0),
        ValueError,
        "Thing passed to transform API must be Tensor",
    ),
    "cotangents of another tree": (
        lambda F, x: F.vjp(lambda x: (x, x), x)[1](x),
        RuntimeError,
        "cotangents: \\*, primal output: \\(\\*, \\*\\)",
    ),
    "vjp of a number": (
        lambda F, x: F.vjp(lambda x: 3.0, x),
        RuntimeError,
        r"vjp\(f, \*primals\): expected f\(\*primals\) to return only tensors",
    ),
    "primals not a tuple": (
        lambda F, x: F.jvp(lambda x: x, x, (x,)),
        RuntimeError,
        "Expected primals to be a tuple",
    ),
    "tangents a list": (
        lambda F, x: F.jvp(lambda x: x, (x,), [x]),
        RuntimeError,
        "the same python structure",
    ),
    "tangents numbers": (
        lambda F, x: F.jvp(lambda x: x, (x,), (3.0,)),
        RuntimeError,
        "Expected tangents to only contain Tensors",
    ),
    "jvp strict": (
        lambda F, x: F.jvp(lambda x: x.detach(), (x,), (x,), strict=True),
        RuntimeError,
        "independent of the inputs",
    ),
    "jacrev chunk_size 0": (
        lambda F, x: F.jacrev(lambda x: x, chunk_size=0),
        ValueError,
        "`chunk_size` should be greater than 0",
    ),
    "linearize tangents": (
        lambda F, x: F.linearize(lambda x: x.sin(), x)[1](x, x),
        RuntimeError,
        "to have the same argspec",
    ),
    "no models": (
        lambda F, x: F.stack_module_state([]),
        RuntimeError,
        "Expected at least one model, got 0",
    ),
}


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_errors_match_torch(backend, name):
    call, error, match = ERRORS[name]
    x = _tree(backend, xpnet, RNG.standard_normal((3, 2)))
    with pytest.raises(error, match=match):
        call(XF, x)
    with pytest.raises(error, match=match):
        call(TF, torch.tensor(x.numpy()))


CALL_ERRORS = {  # name: (values given a Tensor, keyword arguments, exception type, message)
    "key in two dicts": (
        lambda w: [{"weight": w}, {"weight": w}],
        {},
        ValueError,
        r"\['weight'\] appeared in multiple",
    ),
    "not a dict": (lambda w: 3, {}, ValueError, "to be a dict, or a list/tuple of dicts"),
    "strict": (
        lambda w: {"wieght": w},
        {"strict": True},
        RuntimeError,
        r"Unexpected key\(s\): 'wieght'.\n\tMissing key\(s\): 'bias', 'weight'.",
    ),
    "no submodule": (
        lambda w: {"foo.weight": w},
        {},
        AttributeError,
        "Linear has no attribute `foo`",
    ),
}


@pytest.mark.parametrize("name", sorted(CALL_ERRORS))
def test_functional_call_errors_match_torch(backend, name):
    values, kwargs, error, match = CALL_ERRORS[name]
    for module, func in ((xpnet, XF), (torch, TF)):
        layer = module.nn.Linear(2, 2)
        with pytest.raises(error, match=match):
            func.functional_call(layer, values(module.ones(2, 2)), module.ones(2), **kwargs)


def test_functional_call_ties_weights_and_restores_the_module(backend):
    class Tied(xpnet.nn.Module):
        def __init__(self):
            super().__init__()
            self.first = xpnet.nn.Linear(2, 2, bias=False)
            self.second = xpnet.nn.Linear(2, 2, bias=False)
            self.second.weight = self.first.weight

        def forward(self, x):
            return self.second(self.first(x))

    model, x = Tied(), xpnet.ones(1, 2)
    before = model(x).numpy()
    eye = xpnet.eye(2)
    assert np.allclose(XF.functional_call(model, {"first.weight": eye * 2}, x).numpy(), 4.0)
    untied = XF.functional_call(model, {"first.weight": eye * 2}, x, tie_weights=False)
    assert not np.allclose(untied.numpy(), 4.0)
    with pytest.raises(ValueError, match="which are tied. Consider using tie_weights=False"):
        XF.functional_call(model, {"first.weight": eye, "second.weight": eye * 2}, x)
    assert np.array_equal(model(x).numpy(), before)
    assert isinstance(model.first.weight, xpnet.nn.Parameter)


def test_create_graph_through_an_op_without_a_differentiable_backward_names_it(backend):
    def cube(input):
        return input**3

    def cube_backward(grad_output, input):
        return grad_output * 3 * input**2

    op = xpnet.autograd.Function(cube, cube_backward, wrt=("input",))
    x = _tree(backend, xpnet, X)
    assert np.allclose(XF.grad(lambda x: op(x).sum())(x).numpy(), 3 * X**2)  # first order: fine
    with pytest.raises(NotImplementedError, match="cube"):
        XF.grad(XF.grad(lambda x: op(x).sum()))(x)


def test_errors_where_xpnet_differs_name_the_argument(backend):
    x = _tree(backend, xpnet, RNG.standard_normal((3, 2)))
    with pytest.raises(
        RuntimeError, match=r"tangent 0 must have the shape of its primal, \(3, 2\)"
    ):
        XF.jvp(lambda x: x, (x,), (x[:2],))
    with pytest.raises(ValueError, match="the mapped dimension has size 0"):
        XF.vmap(lambda x: x)(x[:0])
    with pytest.raises(ValueError, match="must return outputs of one structure for every index"):
        XF.vmap(lambda row: (row,) if row[0] > row[1] else [row])(
            xpnet.tensor([[1.0, 0.0], [0.0, 1.0]])
        )
