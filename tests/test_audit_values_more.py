"""Regression tests for the second batch of values a differential audit against PyTorch 2.13
found to differ (2026-12-06): ``to(None)``, a Python number among integer boundaries in
``searchsorted``/``bucketize``, ``logit``'s clamp and eps dtype, ``diff`` with ``n=0``,
``count_nonzero`` over a 0-d tensor dim, the NaN-order norm of one or no elements, and the
bool flags of the function forms. PyTorch is the oracle: each case runs on both."""

from __future__ import annotations

import operator

import numpy as np
import pytest
import torch
from _oracle import by_name, check_tensor_method

import xpnet

NAN, INF = float("nan"), float("inf")


def described(value):
    """``(dtype name, shape, values)`` of a tensor of either library (NaN equal to NaN)."""
    data = value.detach().numpy() if isinstance(value, torch.Tensor) else value.numpy()
    return str(data.dtype), tuple(value.shape), repr(data.tolist())


def assert_same(case):
    """``case(torch)`` and ``case(xpnet)`` give tensors of the same dtype, shape and values."""
    assert described(case(xpnet)) == described(case(torch))


# --- Tensor.to ------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", ["float32", "int64", "bool"])
def test_to_none_is_a_no_op_as_torch(backend, dtype):
    for L in (torch, xpnet):
        x = L.zeros(3, 4, dtype=getattr(L, dtype))
        assert x.to(None) is x and x.to(None, None) is x
        assert str(x.to(None, L.float64).dtype).endswith("float64")


def test_module_to_none_keeps_its_dtype_as_torch(backend):
    for L in (torch, xpnet):
        layer = L.nn.Linear(2, 2).to(None)
        assert str(layer.weight.dtype).endswith("float32")


# --- searchsorted / bucketize: a Python number is compared in the common dtype ---------------


SEARCHES = [
    ([0, 1], 1.5, {}),  # an int64 sequence meets a float: compared as floats (float32)
    ([0, 1], 1.5, {"out_int32": True}),
    ([0, 1], 1, {"right": True}),
    ([False, True], 1, {}),  # bools meet an int: int64
    ([0.1], 0.1, {"right": True}),  # float32 boundaries: 0.1 rounded to float32 first
]


@pytest.mark.parametrize("sequence, value, options", SEARCHES, ids=str)
def test_searchsorted_and_bucketize_compare_a_number_as_torch(backend, sequence, value, options):
    assert_same(lambda L: L.searchsorted(L.tensor(sequence), value, **options))
    assert_same(lambda L: L.bucketize(value, L.tensor(sequence), **options))


def test_searchsorted_compares_tensors_in_their_result_dtype_as_torch(backend):
    # a 0-d float64 value among float32 boundaries is compared in float32 (PyTorch's promotion)
    def search(L):
        value = L.tensor(0.1, dtype=L.float64)
        return L.searchsorted(L.tensor([0.1]), value, right=True)

    assert_same(search)


# --- logit ----------------------------------------------------------------------------------

PROBABILITIES = [-0.5, 0.0, 1e-9, 0.05, 0.3, 0.5, 0.95, 1.0, 1.5]


@pytest.mark.parametrize("eps", [None, -0.1, 0.0, 0.1, 0.6, 1.0, 2.0], ids=str)
def test_logit_clamps_and_differentiates_as_torch(backend, eps):
    # eps > 0.5 swaps the clamp's ends: x < eps ? eps : (x > 1 - eps ? 1 - eps : x)
    inputs = [np.array(PROBABILITIES)]
    check_tensor_method(by_name("logit", eps=eps), inputs, backend, grad_output=np.ones(9))

    def in_place(L):
        x = L.tensor(PROBABILITIES, dtype=L.float64)
        return x.logit_(eps)

    assert_same(in_place)


@pytest.mark.parametrize("eps", ["int", "float64", "bool"])
def test_logit_takes_a_0d_tensor_eps_as_a_float_as_torch(backend, eps):
    def logit(L):
        value = {"int": L.tensor(0), "float64": L.tensor(0.1, dtype=L.float64)}
        value["bool"] = L.tensor(True)
        x = L.tensor([0.0, 0.3, 1.0])  # float32 stays float32
        return L.stack([L.logit(x, value[eps]), x.logit(value[eps])])

    assert_same(logit)


# --- diff, count_nonzero ----------------------------------------------------------------------


@pytest.mark.parametrize("dtype", ["float32", "int64", "bool"])
def test_diff_of_order_0_is_a_copy_of_input_as_torch(backend, dtype):
    def diff(L):
        x = (L.arange(12).reshape(3, 4) % 3).to(getattr(L, dtype))
        prepend, append = L.zeros(3, 4, dtype=L.float64), L.ones(3, 2, dtype=L.int64)
        result = L.diff(x, n=0, prepend=prepend, append=append)
        assert result is not x
        return result

    assert_same(diff)
    x = xpnet.tensor([1.0, 4.0], requires_grad=True)
    xpnet.diff(x, n=0).sum().backward()
    assert x.grad.tolist() == [1.0, 1.0]


@pytest.mark.parametrize("n", [0, 1])
@pytest.mark.parametrize("dim, shape", [(1, (2, 4)), (0, (3, 5))], ids=str)
def test_diff_refuses_prepend_of_another_shape_for_every_order_as_torch(backend, n, dim, shape):
    for L in (torch, xpnet):
        with pytest.raises(RuntimeError, match="(?i)shape"):
            L.diff(L.zeros(3, 4), n, dim, L.zeros(*shape))


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_count_nonzero_takes_a_0d_integer_tensor_dim_as_torch(backend, dim):
    def count(L):
        x = L.tensor([[0.0, 1.0, 2.0], [0.0, 0.0, 3.0]])
        return L.stack([L.count_nonzero(x, dim=L.tensor(dim)), x.count_nonzero(L.tensor(dim))])

    assert_same(count)


# --- norms of one element and of none -------------------------------------------------------

NORM_CASES = [((), None), ((1,), None), ((2, 1), 1), ((1, 1), (0, 1)), ((0, 4), None)]
NORM_CASES += [((0, 4), 0), ((0, 4), 1), ((2, 3), 1)]


@pytest.mark.parametrize("shape, dim", NORM_CASES, ids=str)
@pytest.mark.parametrize("ord", [NAN, 0.0, 0.5, 2.0, 3.0], ids=str)
def test_vector_norm_of_one_element_is_its_magnitude_as_torch(backend, shape, dim, ord):
    # PyTorch's fast path: each result of one element is |x| (x != 0 for ord 0), any ord;
    # over no elements the identity 0, for a NaN ord too
    def norms(L):
        x = -1.5 * L.arange(1, 1 + int(np.prod(shape)), dtype=L.float64).reshape(shape)
        vector = L.linalg.vector_norm(x, ord, dim)
        kept = L.linalg.vector_norm(x, ord, dim, keepdim=True)
        return L.cat([vector.reshape(-1), kept.reshape(-1), x.norm(ord, dim).reshape(-1)])

    assert_same(norms)


def test_vector_norm_of_one_large_element_does_not_overflow_as_torch(backend):
    def norm(L):
        x = L.tensor([[1e200], [3.0]], dtype=L.float64, requires_grad=True)
        L.linalg.vector_norm(x, dim=1).sum().backward()
        return L.cat([L.linalg.vector_norm(x[0]).reshape(1), L.as_tensor(x.grad).reshape(-1)])

    assert_same(norm)


# --- bool flags of the function forms --------------------------------------------------------

FLAG_CALLS = {
    "unique sorted": lambda L, x: L.unique(x, sorted=1),
    "unique return_inverse": lambda L, x: L.unique(x, return_inverse=1),
    "unique return_counts": lambda L, x: L.unique(x, return_counts=1),
    "median": lambda L, x: L.median(x, 0, 1),
    "nanmedian": lambda L, x: L.nanmedian(x, 0, keepdim=1),
    "mode": lambda L, x: L.mode(x, 0, 1),
    "kthvalue": lambda L, x: L.kthvalue(x, 1, 0, 1),
    "quantile": lambda L, x: L.quantile(x, 0.5, 0, 1),
    "nansum": lambda L, x: L.nansum(x, 0, 1),
    "aminmax": lambda L, x: L.aminmax(x, dim=0, keepdim=1),
    "std_mean": lambda L, x: L.std_mean(x, 0, keepdim=1),
    "searchsorted": lambda L, x: L.searchsorted(L.tensor([0.0, 1.0]), x, right=1),
    "bucketize": lambda L, x: L.bucketize(x, L.tensor([0.0, 1.0]), out_int32=1),
    "vector_norm": lambda L, x: L.linalg.vector_norm(x, 2, 0, 1),
    "matrix_norm": lambda L, x: L.linalg.matrix_norm(x, keepdim=1),
    "linalg.norm": lambda L, x: L.linalg.norm(x, keepdim=None),
}


@pytest.mark.parametrize("name", FLAG_CALLS)
def test_function_forms_take_only_bools_for_their_flags_as_torch(backend, name):
    for L in (torch, xpnet):
        x = L.tensor([[3.0, 1.0, 2.0], [1.0, 1.0, 2.0]])
        with pytest.raises(TypeError, match="must be (a )?bool|invalid combination"):
            FLAG_CALLS[name](L, x)


# --- __index__: a one-element integer tensor is an index, as PyTorch's -----------------------


@pytest.mark.parametrize("value", [3, [3], [[3]], True, -2])
def test_a_one_element_integer_tensor_is_an_index_as_torch(backend, value):
    items = list(range(10))
    for L in (torch, xpnet):
        t = L.tensor(value)
        assert operator.index(t) == operator.index(torch.tensor(value))
        assert items[t] == items[int(torch.tensor(value))]
        assert list(range(L.tensor(2))) == [0, 1]


@pytest.mark.parametrize("value", [3.0, [1, 2], []])
def test_a_float_or_not_single_tensor_is_no_index_as_torch(backend, value):
    with pytest.raises(TypeError, match="only integer tensors of a single element"):
        operator.index(torch.tensor(value))
    with pytest.raises(TypeError, match=r"Tensor.__index__: only integer tensors of a single"):
        operator.index(xpnet.tensor(value))


BOOL_CLAMPS = {
    "number bounds": lambda L, b: b.clamp(0, 5),  # int64
    "a float bound": lambda L, b: b.clamp(max=0.5),  # float32
    "an integer tensor bound": lambda L, b: b.clamp(min=L.tensor([0, 1])),
    "a bool tensor bound": lambda L, b: b.clamp(min=L.tensor([False, True])),  # stays bool
}


@pytest.mark.parametrize("name", list(BOOL_CLAMPS))
def test_clamp_of_bools_promotes_as_torch(name):
    """PyTorch clamps a bool tensor in the dtype its bounds promote it to (xpnet refused
    every bool tensor); only number bounds that keep it bool are refused, as there."""
    assert_same(lambda L: BOOL_CLAMPS[name](L, L.tensor([True, False])))
    with pytest.raises(TypeError, match="clamp: input must be non-bool"):
        xpnet.tensor([True]).clamp(True, True)


@pytest.mark.parametrize(
    "call",
    [lambda L: L.tensor([True, False]) ** True, lambda L: L.tensor([True, False]) ** False],
)
def test_a_bool_tensor_to_a_python_bool_as_torch(call):
    assert_same(call)


@pytest.mark.parametrize(
    "call",
    [lambda L: L.tensor([True]) ** L.tensor([False]), lambda L: True ** L.tensor([True])],
)
def test_pow_of_two_bools_is_refused_as_torch(call):
    """PyTorch has no pow kernel for bools (xpnet gave ``a or not b``)."""
    with pytest.raises(NotImplementedError):
        call(torch)
    with pytest.raises(NotImplementedError, match="pow: no pow of two bool tensors"):
        call(xpnet)
