"""Regression tests for the differences from PyTorch 2.13 that the audit of ``xpnet.func``,
``xpnet.autograd.functional`` and ``xpnet.autograd.forward_ad`` found: ``linearize``'s output
losing its graph, ``jvp`` of an integer output crashing, ``jacfwd``'s dtypes and random
draws, integer inputs, cotangents of another dtype, ``strategy='forward-mode'`` refused,
``strict`` with ``create_graph`` and with linear functions, and lists taken for tuples.

PyTorch is the oracle: each case runs on both libraries; a refusal must be PyTorch's class
with a message naming the function or the argument, a value PyTorch's.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.autograd.forward_ad as TFW
import torch.autograd.functional as TAF
import torch.func as TF
from _oracle import assert_close

import xpnet
import xpnet.func as XF
from xpnet.autograd import forward_ad as XFW
from xpnet.autograd import functional as XAF

# torch's side warns: torch.func.jvp's forward mode scripts a helper on first use, and
# linearize traces with torch.fx, which warns about its own graph
pytestmark = [
    pytest.mark.filterwarnings("ignore:`torch.jit.script` is deprecated:DeprecationWarning"),
    pytest.mark.filterwarnings("ignore:Attempted to insert a get_attr Node:UserWarning"),
]

X = np.array([[0.3, -0.7, 1.2], [0.5, -1.1, 0.4]])
V = np.array([0.8, -0.2, 0.6])


def _pair(backend, array):
    """``array`` as an xpnet Tensor on ``backend`` and as a torch Tensor."""
    return xpnet.Tensor(backend.asarray(array)), torch.tensor(array)


def _same(ours, theirs, what="result"):
    """The trees match in container types (tuple, list), dtypes and values."""
    if isinstance(theirs, tuple | list):
        assert type(ours) is type(theirs) and len(ours) == len(theirs), f"{what}: {ours}"
        for index, (a, b) in enumerate(zip(ours, theirs, strict=True)):
            _same(a, b, f"{what}[{index}]")
        return
    assert isinstance(ours, xpnet.Tensor), f"{what}: {type(ours)}"
    assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1], what
    assert_close(ours.numpy(), theirs.detach().numpy(), np.float64, what)


def _both(backend, call, *arrays):
    """``call(M, F, AF, *tensors)`` with xpnet's modules and with torch's."""
    ours = [_pair(backend, a)[0] for a in arrays]
    theirs = [torch.tensor(a) for a in arrays]
    return call(xpnet, XF, XAF, *ours), call(torch, TF, TAF, *theirs)


# 1. linearize's output keeps its graph where a primal requires grad
def test_linearize_output_is_differentiable_as_torch(backend):
    def call(M, F, AF, x):
        return F.grad(lambda x: F.linearize(lambda x: x.sin(), x)[0].sum())(x)

    _same(*_both(backend, call, X))


# 2. jvp of an integer output: zeros of its dtype; strict refuses any output without tangent
def test_jvp_of_an_integer_output_is_zeros_as_torch(backend):
    def call(M, F, AF, x):
        return F.jvp(lambda x: (x.sin(), (x > 0).long()), (x,), (x.cos(),))

    _same(*_both(backend, call, X))


def test_jvp_strict_refuses_one_output_independent_of_the_inputs_as_torch(backend):
    for F, x in ((XF, _pair(backend, X)[0]), (TF, torch.tensor(X))):
        with pytest.raises(RuntimeError, match=r"jvp\(f, primals, tangents, strict=True\)"):
            F.jvp(lambda x: (x.sin(), x.detach() * 2), (x,), (x,), strict=True)


# 3. a cotangent of another floating dtype is cast, as PyTorch's engine does
def test_vjp_takes_a_cotangent_of_another_dtype_as_torch(backend):
    def call(M, F, AF, x):
        first = F.vjp(lambda x: x.sin() * x, x)[1](x.float())
        second = AF.vjp(lambda x: x.sin() * x, x, x.float())
        return first, second

    _same(*_both(backend, call, X))


# 4. jacfwd's blocks have the output's dtype; jacrev refuses an integer output as a vjp
def test_jacfwd_blocks_have_the_output_dtype_as_torch(backend):
    def call(M, F, AF, x):
        return F.jacfwd(lambda x: (x.sin().float(), (x > 0).long()))(x)

    ours, theirs = _both(backend, call, V)
    _same(ours, theirs)


def test_jacrev_refuses_an_integer_output_as_torch(backend):
    for F, x in ((XF, _pair(backend, V)[0]), (TF, torch.tensor(V))):
        with pytest.raises(RuntimeError, match=r"vjp\(f, ...\): All outputs of f must be float"):
            F.jacrev(lambda x: (x > 0).long())(x)


# 5. integer inputs: reverse mode's RuntimeError, forward mode's ValueError
INTEGER_INPUTS = {  # name: (call with F = xpnet.func or torch.func, error, message)
    "grad": (lambda F, i: F.grad(lambda x: x.sum())(i), RuntimeError, "floating point dtype"),
    "vjp": (lambda F, i: F.vjp(lambda x: x * 2, i), RuntimeError, "floating point dtype"),
    "jacrev": (lambda F, i: F.jacrev(lambda x: x * 2)(i), RuntimeError, "floating point dtype"),
    "jacfwd": (lambda F, i: F.jacfwd(lambda x: x * 2)(i), ValueError, "Expected primal to be"),
    "hessian": (lambda F, i: F.hessian(lambda x: x.sum())(i), ValueError, "Expected primal"),
    "jvp": (lambda F, i: F.jvp(lambda x: x, (i,), (i,)), ValueError, "Expected primal to be"),
    "linearize": (lambda F, i: F.linearize(lambda x: x, i), ValueError, "Expected primal"),
}


@pytest.mark.parametrize("name", sorted(INTEGER_INPUTS))
def test_integer_inputs_are_refused_as_torch(backend, name):
    call, error, match = INTEGER_INPUTS[name]
    with pytest.raises(error, match=match):
        call(TF, torch.arange(3))
    with pytest.raises(error, match=match):
        call(XF, xpnet.Tensor(backend.asarray(np.arange(3))))


def test_jvp_refuses_an_integer_tangent_as_torch(backend):
    x = _pair(backend, V)[0]
    with pytest.raises(ValueError, match=r"jvp\(f, primals, tangents\): Expected tangent to be"):
        XF.jvp(lambda x: x, (x,), (xpnet.Tensor(backend.asarray(np.arange(3))),))


# 6. jacfwd (and hessian, built on it) refuse random draws under randomness='error'
def test_jacfwd_refuses_random_draws_under_randomness_error_as_torch(backend):
    for M, F, x in ((xpnet, XF, _pair(backend, V)[0]), (torch, TF, torch.tensor(V))):
        with pytest.raises(RuntimeError, match="called random operation while in randomness"):
            F.jacfwd(lambda x, M=M: x * M.rand(3, dtype=M.float64))(x)
        with pytest.raises(RuntimeError, match="called random operation while in randomness"):
            F.hessian(lambda x, M=M: (x**3 * M.rand(3, dtype=M.float64)).sum())(x)
    state = xpnet.get_rng_state().numpy()
    with pytest.raises(RuntimeError, match="randomness error mode"):
        XF.jacfwd(lambda x: x * xpnet.rand(3, dtype=xpnet.float64))(_pair(backend, V)[0])
    assert np.array_equal(xpnet.get_rng_state().numpy(), state)  # the state is put back
    same = XF.jacfwd(lambda x: x * 2 + xpnet.rand(3, dtype=xpnet.float64), randomness="same")
    assert np.array_equal(same(_pair(backend, V)[0]).numpy(), 2 * np.eye(3))


# 7. torch.autograd.functional.jacobian/hessian with strategy='forward-mode'
FORWARD = {
    "one input": lambda M, AF, x, v: AF.jacobian(
        lambda x: (x @ v).sin().float(), x, vectorize=True, strategy="forward-mode"
    ),
    "tuples": lambda M, AF, x, v: AF.jacobian(
        lambda x, v: ((x @ v).sin(), v * 2), (x, v), vectorize=True, strategy="forward-mode"
    ),
    "hessian": lambda M, AF, x, v: AF.hessian(
        lambda x, v: ((x @ v) ** 3).sum(),
        (x, v),
        vectorize=True,
        outer_jacobian_strategy="forward-mode",
    ),
}


@pytest.mark.parametrize("name", sorted(FORWARD))
def test_jacobian_forward_mode_matches_torch(backend, name):
    _same(*_both(backend, lambda M, F, AF, x, v: FORWARD[name](M, AF, x, v), X, V))


STRATEGY_ERRORS = {  # name: (keyword arguments, error, message)
    "no vectorize": ({"strategy": "forward-mode"}, NotImplementedError, "vectorize=True"),
    "create_graph": (
        {"strategy": "forward-mode", "vectorize": True, "create_graph": True},
        NotImplementedError,
        '`create_graph=True` and `strategy="forward-mode"` are not supported',
    ),
    "strict forward": (
        {"strategy": "forward-mode", "vectorize": True, "strict": True},
        RuntimeError,
        '`strict=True` and `strategy="forward-mode"` are not supported',
    ),
    "strict vectorize": (
        {"vectorize": True, "strict": True},
        RuntimeError,
        "`strict=True` and `vectorized=True` are not supported",
    ),
    "unknown": ({"strategy": "sideways"}, AssertionError, 'either "forward-mode" or'),
}


@pytest.mark.parametrize("name", sorted(STRATEGY_ERRORS))
def test_jacobian_strategy_refusals_match_torch(backend, name):
    kwargs, error, match = STRATEGY_ERRORS[name]
    for AF, x in ((XAF, _pair(backend, V)[0]), (TAF, torch.tensor(V))):
        with pytest.raises(error, match=match):
            AF.jacobian(lambda x: x.sin(), x, **kwargs)


# 8. strict: a result that cannot require grad under create_graph, a linear function's Hessian
STRICT = {  # name: (call with AF, message), each function linear in x
    "vjp create_graph": (
        lambda AF, x: AF.vjp(lambda x: x * 2, x, x, create_graph=True, strict=True),
        "jacobian of the user-provided function is independent of input 0",
    ),
    "jvp create_graph": (
        lambda AF, x: AF.jvp(lambda x: x * 2, x, x, create_graph=True, strict=True),
        "jacobian of the user-provided function is independent of input 0",
    ),
    "jacobian create_graph": (
        lambda AF, x: AF.jacobian(lambda x: x * 2, x, create_graph=True, strict=True),
        "jacobian of the user-provided function is independent of input 0",
    ),
    "hvp": (
        lambda AF, x: AF.hvp(lambda x: (x * 2).sum(), x, x, strict=True),
        "jacobian of the user-provided function with respect to input 0 is independent",
    ),
    "vhp": (
        lambda AF, x: AF.vhp(lambda x: (x * 2).sum(), x, x, strict=True),
        "jacobian of the user-provided function with respect to input 0 is independent",
    ),
    "hessian": (
        lambda AF, x: AF.hessian(lambda x: (x * 2).sum(), x, strict=True),
        "jacobian of the user-provided function with respect to input 0 is independent",
    ),
}


@pytest.mark.parametrize("name", sorted(STRICT))
def test_strict_refusals_match_torch(backend, name):
    call, match = STRICT[name]
    for AF, x in ((XAF, _pair(backend, V)[0]), (TAF, torch.tensor(V))):
        with pytest.raises(RuntimeError, match=match):
            call(AF, x)


# 9. torch.autograd.functional's refusals: lists, integer inputs, tuples of one output
REFUSALS = {  # name: (call with M, AF and a float64 vector, error, message)
    "list of inputs": (
        lambda M, AF, x: AF.vjp(lambda x, y: (x * y).sum(), [x, x]),
        TypeError,
        r"inputs given to vjp must be either a Tensor or a tuple of Tensors but the given "
        r"inputs has type <class 'list'>",
    ),
    "list of outputs": (
        lambda M, AF, x: AF.jacobian(lambda x: [x * 2], x),
        TypeError,
        "outputs of the user-provided function given to jacobian must be either a Tensor",
    ),
    "list of v": (
        lambda M, AF, x: AF.jvp(lambda x, y: x * y, (x, x), [x, x]),
        TypeError,
        "The v given to jvp must be either a Tensor or a tuple",
    ),
    "a number in a tuple": (
        lambda M, AF, x: AF.jacobian(lambda x, y: x * y, (x, 2.0)),
        TypeError,
        "the value at index 1 has type <class 'float'>",
    ),
    "integer input": (
        lambda M, AF, x: AF.jacobian(lambda x: x * 2, M.arange(3)),
        RuntimeError,
        "only Tensors of floating point dtype can require gradients",
    ),
    "hessian of a tuple": (
        lambda M, AF, x: AF.hessian(lambda x: ((x**3).sum(),), x),
        RuntimeError,
        "The function given to hessian should return a single Tensor",
    ),
    "hvp of a tuple": (
        lambda M, AF, x: AF.hvp(lambda x: ((x**3).sum(),), x, x),
        RuntimeError,
        "The function given to hvp should return a single Tensor",
    ),
}


@pytest.mark.parametrize("name", sorted(REFUSALS))
def test_functional_refusals_match_torch(backend, name):
    call, error, match = REFUSALS[name]
    for M, AF, x in ((xpnet, XAF, _pair(backend, V)[0]), (torch, TAF, torch.tensor(V))):
        with pytest.raises(error, match=match):
            call(M, AF, x)


# 10. leaving a forward-AD level that was never entered
def test_exit_dual_level_without_a_level_is_refused_as_torch(backend):
    for fw in (XFW, TFW):
        with pytest.raises(RuntimeError, match="Dual level must be a positive number"):
            fw.exit_dual_level()
    with XFW.dual_level():  # still usable afterwards
        dual = XFW.make_dual(*[_pair(backend, V)[0]] * 2)
        assert np.allclose(XFW.unpack_dual(dual * 3).tangent.numpy(), 3 * V)
