"""Regression tests for values, dtypes and API gaps a differential audit against PyTorch 2.13
found (2026-12-05): searchsorted/bucketize and cdist with NaN, mode over empty tensors, where
and nonzero of 0-d tensors, reductions of 0-d tensors over a dim, einsum's integer dtypes,
outer of mixed dtypes, xlogy of a number, view(dtype), norm(p="nuc") and linalg.multi_dot.
Each case runs the same code on ``torch`` and ``xpnet`` and compares dtypes, shapes, values
(NaN equal to NaN), gradients and errors, with NumPy warnings as errors."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import xpnet
from xpnet.kernels import ArgumentError

NAN, INF = float("nan"), float("inf")


def described(value):
    """A tensor (or a tuple of them, or a number) as ``(dtype, shape, values)``, NaN-safe."""
    if isinstance(value, tuple | list):
        return tuple(described(v) for v in value)
    if not hasattr(value, "shape"):
        return repr(value)
    dtype = str(value.dtype).replace("torch.", "").replace("bool_", "bool")
    return dtype, tuple(value.shape), repr(np.asarray(value.tolist()).tolist())


def run(case, module):
    """``case(module)`` described, or the exception's type; NumPy warnings raise."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        try:
            return described(case(module))
        except (RuntimeError, IndexError, ValueError, TypeError) as error:
            return type(error)


CLEAR_ERRORS = (ArgumentError, IndexError, TypeError, RuntimeError)  # not NumPy's own


def assert_as_torch(case):
    ours, theirs = run(case, xpnet), run(case, torch)
    if isinstance(theirs, type):  # PyTorch raises: xpnet raises a clear error of its own
        assert ours in CLEAR_ERRORS, ours
    else:
        assert ours == theirs


def values(item):
    """The values of a :func:`described` tensor, as an array."""
    return np.array(eval(item[2], {"nan": np.nan, "inf": np.inf}))


SEQUENCES = [
    [1.0, 2.0, NAN],
    [1.0, NAN, NAN, NAN, NAN],
    [1.0, 1.0, NAN, NAN],
    [NAN],
    [-INF, 0.0, INF, NAN],
    [1.0, 2.0, 3.0, 4.0, NAN, NAN, NAN],
]
VALUES = [0.5, 1.0, 1.5, 2.0, 5.0, NAN, INF, -INF]


@pytest.mark.parametrize("sequence", SEQUENCES, ids=str)
@pytest.mark.parametrize("right", [False, True])
def test_searchsorted_and_bucketize_place_nan_as_torch(sequence, right):
    def search(L):
        return L.searchsorted(L.tensor(sequence), L.tensor(VALUES), right=right)

    def side(L):
        side = "right" if right else "left"
        return L.searchsorted(L.tensor(sequence), L.tensor(VALUES), side=side, out_int32=True)

    def bucketize(L):
        return L.bucketize(L.tensor(VALUES), L.tensor(sequence), right=right)

    for case in (search, side, bucketize):
        assert_as_torch(case)


def test_searchsorted_with_nan_batched_and_with_sorter_as_torch():
    rows = [[0.0, 1.0, NAN, NAN], [1.0, 2.0, 3.0, NAN], [NAN, NAN, NAN, NAN]]
    values = [[NAN, 0.5, 4.0], [2.0, INF, NAN], [0.0, 1.0, -INF]]
    order = [[2, 0, 3, 1], [3, 1, 0, 2], [1, 0, 3, 2]]  # shuffled[i][order[i]] == rows[i]
    shuffled = [
        [row[order_i.index(j)] for j in range(4)] for row, order_i in zip(rows, order, strict=True)
    ]

    def batched(L):
        return L.searchsorted(L.tensor(rows), L.tensor(values), right=True)

    def sorted_by(L):
        return L.searchsorted(L.tensor(shuffled), L.tensor(values), sorter=L.tensor(order))

    assert_as_torch(batched)
    assert_as_torch(sorted_by)


CDIST_ROWS = [[NAN, 1.0], [NAN, 5.0], [NAN, NAN], [INF, 1.0], [3.0, -3.0], [0.0, 1.0]]


@pytest.mark.parametrize("p", [0.0, 1.0, INF])
def test_cdist_with_nan_and_inf_values_and_gradients_as_torch(p):
    def distances(L):
        x = L.tensor(CDIST_ROWS, dtype=L.float64, requires_grad=True)
        y = L.tensor([[0.0, 1.0], [INF, 1.0], [NAN, 2.0]], dtype=L.float64, requires_grad=True)
        d = L.cdist(x, y, p=p)
        (d * L.arange(18, dtype=L.float64).reshape(6, 3)).sum().backward()
        return d, x.grad, y.grad

    assert_as_torch(distances)


@pytest.mark.parametrize("shape", [(2, 0, 3), (0, 3), (4, 0)], ids=str)
def test_mode_of_empty_tensors_as_torch(shape):
    for dtype in ("int64", "float32", "bool"):
        for dim in range(-len(shape), len(shape)):
            for keepdim in (False, True):

                def mode(L, dim=dim, keepdim=keepdim, dtype=dtype):
                    return L.zeros(shape, dtype=getattr(L, dtype)).mode(dim, keepdim)

                assert_as_torch(mode)  # an empty reduced dim: IndexError, as PyTorch
    with pytest.raises(IndexError, match="mode"):
        xpnet.zeros(shape, dtype=xpnet.int64).mode(shape.index(0))


CONDITIONS = {"true": True, "false": False, "0-d float": 3.0, "int matrix": [[1, 0], [2, 3]]}


@pytest.mark.parametrize("condition", list(CONDITIONS))
def test_where_nonzero_argwhere_of_0d_tensors_as_torch(condition):
    def indices(L):
        x = L.tensor(CONDITIONS[condition])
        return L.where(x), x.nonzero(as_tuple=True), L.nonzero(x), L.argwhere(x)

    assert_as_torch(indices)


REDUCTIONS_0D = {
    "sum": lambda L, x, d: x.sum(d),
    "mean": lambda L, x, d: x.mean(d),
    "nansum": lambda L, x, d: x.nansum(d),
    "nanmean": lambda L, x, d: x.nanmean(d),
    "count_nonzero": lambda L, x, d: x.count_nonzero(d),
    "amax": lambda L, x, d: x.amax(d),
    "logsumexp": lambda L, x, d: x.logsumexp(d),
    "var": lambda L, x, d: x.var(d, correction=0),
    "norm": lambda L, x, d: x.norm(2, d),
    "var_mean": lambda L, x, d: L.var_mean(x, d, correction=0),
    "std_mean": lambda L, x, d: L.std_mean(x, d, correction=0),
}


@pytest.mark.parametrize("dims", [(0,), (-1,), [0]], ids=str)
def test_reductions_of_a_0d_tensor_over_dim_0_or_minus_1_as_torch(dims):
    for name, reduction in REDUCTIONS_0D.items():
        for dim in (0, -1, dims):
            dim = tuple(dim) if name == "logsumexp" and isinstance(dim, list) else dim

            def reduce(L, reduction=reduction, dim=dim):
                x = L.tensor(2.0, dtype=L.float64, requires_grad=True)
                result = reduction(L, x, dim)
                result = result if isinstance(result, tuple) else (result,)
                if result[0].requires_grad:  # count_nonzero's does not
                    sum(result).backward()
                return *result, x.grad

            assert_as_torch(reduce)


def test_count_nonzero_of_a_0d_tensor_checks_its_dims():
    with pytest.raises(IndexError, match="count_nonzero"):
        xpnet.tensor(2.0).count_nonzero(1)
    assert xpnet.tensor(0.0).count_nonzero((0,)).item() == 0


EINSUMS = [
    ("i->", [(2,)]),
    ("i->i", [(2,)]),
    ("ii->", [(2, 2)]),
    ("ii->i", [(2, 2)]),
    ("ij->j", [(2, 3)]),
    ("ij->i", [(2, 1)]),
    ("ij", [(2, 3)]),
    ("i->", [(0,)]),
    ("i,j->ij", [(2,), (3,)]),
    ("i,j->", [(2,), (3,)]),
    ("i,j->i", [(2,), (1,)]),
    ("ij,k->ik", [(2, 3), (4,)]),
    ("ij,k->ik", [(2, 1), (4,)]),
    ("i,i->i", [(2,), (2,)]),
    ("i,j,k->ik", [(2,), (3,), (4,)]),
    ("ij,jk->ik", [(2, 3), (3, 4)]),
]


@pytest.mark.parametrize("dtype", ["bool", "int8", "int32", "uint8"])
def test_einsum_dtypes_of_integers_and_bools_as_torch(dtype):
    for equation, shapes in EINSUMS:

        def product(L, equation=equation, shapes=shapes):
            return L.einsum(equation, *(L.ones(s, dtype=getattr(L, dtype)) for s in shapes))

        if run(product, torch) is not NotImplementedError:  # PyTorch has no bool "bmm"
            assert_as_torch(product)


DTYPES = ["bool", "uint8", "int32", "int64", "float32", "float64"]


@pytest.mark.parametrize("first", DTYPES)
def test_outer_and_ger_promote_as_torch(first):
    for second in DTYPES:

        def products(L, second=second):
            a = L.tensor([1, 0, 2]).to(getattr(L, first))
            b = L.tensor([3, 1]).to(getattr(L, second))
            return L.outer(a, b), L.ger(a, b), a.outer(b)

        assert_as_torch(products)


def test_outer_gradients_keep_each_operands_dtype():
    x = xpnet.tensor([1.0, 2.0], requires_grad=True)
    y = xpnet.tensor([3.0, 4.0, 5.0], dtype=xpnet.float64, requires_grad=True)
    xpnet.outer(x, y).sum().backward()
    assert (x.grad.dtype, y.grad.dtype) == (np.float32, np.float64)
    assert x.grad.tolist() == [12.0, 12.0] and y.grad.tolist() == [3.0, 3.0, 3.0]


@pytest.mark.parametrize("number", [2, 0, 2.5, True])
@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "bool"])
def test_xlogy_of_a_number_and_a_tensor_as_torch(number, dtype):
    def xlogy(L):
        other = L.tensor([0, 1, 2]).to(getattr(L, dtype))
        return L.xlogy(number, other)

    ours, theirs = run(xlogy, xpnet), run(xlogy, torch)
    assert ours[:2] == theirs[:2]
    np.testing.assert_allclose(values(ours), values(theirs), rtol=1e-6)


def test_xlogy_of_a_number_gradient_as_torch():
    def gradient(L):
        y = L.tensor([0.5, 1.0, 2.0], dtype=L.float64, requires_grad=True)
        L.xlogy(3, y).sum().backward()
        return y.grad

    assert_as_torch(gradient)


VIEWS = {
    "float64 as int64": lambda L: L.tensor([1.0, -2.0], dtype=L.float64).view(L.int64),
    "float64 as int32": lambda L: L.arange(6, dtype=L.float64).reshape(2, 3).view(L.int32),
    "float32 as int16, keyword": lambda L: L.tensor([[1.0, 2.0]]).view(dtype=L.int16),
    "int8 as int32": lambda L: L.arange(8, dtype=L.int8).reshape(2, 4).view(L.int32),
    "int8 columns as int16": lambda L: L.arange(8, dtype=L.int8).reshape(2, 4)[:, :2].view(L.int16),
    "bool as uint8": lambda L: L.tensor([True, False]).view(L.uint8),
    "0-d, same size": lambda L: L.tensor(1.0).view(L.int32),
    "empty": lambda L: L.ones(0, dtype=L.int8).view(L.int32),
    "a transpose, same size": lambda L: L.ones(2, 3, dtype=L.float64).t().view(L.int64),
}
REFUSED_VIEWS = {
    "0-d, other size": lambda L: L.tensor(1.0).view(L.int16),
    "length not divisible": lambda L: L.arange(6, dtype=L.int8).view(L.int32),
    "last dim not contiguous": lambda L: L.ones(2, 3, dtype=L.float64).t().view(L.int32),
    "strides not divisible": lambda L: L.arange(8, dtype=L.int8).reshape(4, 2).view(L.int32),
}


@pytest.mark.parametrize("case", list(VIEWS))
def test_view_dtype_reinterprets_the_memory_as_torch(case):
    assert_as_torch(VIEWS[case])


@pytest.mark.parametrize("case", list(REFUSED_VIEWS))
def test_view_dtype_refuses_what_torch_refuses(case):
    with pytest.raises(RuntimeError):
        REFUSED_VIEWS[case](torch)
    with pytest.raises(ArgumentError, match="Tensor.view"):
        REFUSED_VIEWS[case](xpnet)


def test_view_dtype_shares_memory_and_takes_no_gradient_as_torch():
    x = xpnet.zeros(2, dtype=xpnet.float64, requires_grad=True)
    for dtype in (xpnet.float64, xpnet.int64, xpnet.float32):
        assert not x.view(dtype).requires_grad
    with pytest.raises(RuntimeError):
        (x.view(xpnet.float32) * 2).sum().backward()
    y = xpnet.zeros(2, dtype=xpnet.float64)
    y.view(xpnet.int64).fill_(1)
    assert y.tolist() == [5e-324, 5e-324]
    assert y.view(2, 1).shape == (2, 1) and y.view(-1).shape == (2,)


NUCLEAR = {
    "torch.norm": lambda L, x: L.norm(x[0], p="nuc"),
    "method": lambda L, x: x[1].norm("nuc"),
    "keepdim": lambda L, x: L.norm(x[0], "nuc", dim=(0, 1), keepdim=True),
    "batched": lambda L, x: L.norm(x, "nuc", dim=(2, 0)),
}
REFUSED_NUCLEAR = {  # not two dims: PyTorch refuses, as does xpnet (clearly)
    "3-d without dim": lambda L, x: L.norm(x, "nuc"),
    "one dim": lambda L, x: L.norm(x, "nuc", dim=0),
}


@pytest.mark.parametrize("case", list(NUCLEAR))
def test_norm_nuc_values_and_gradients_as_torch(case):
    data = np.random.default_rng(0).standard_normal((2, 3, 4))

    def nuclear(L):
        x = L.tensor(data, dtype=L.float64, requires_grad=True)
        result = NUCLEAR[case](L, x)
        result.sum().backward()
        return result, x.grad

    ours, theirs = run(nuclear, xpnet), run(nuclear, torch)
    if isinstance(theirs, type):
        assert ours in CLEAR_ERRORS, ours
    else:
        assert [item[:2] for item in ours] == [item[:2] for item in theirs]
        np.testing.assert_allclose(values(ours[0]), values(theirs[0]), rtol=1e-12)
        np.testing.assert_allclose(values(ours[1]), values(theirs[1]), rtol=1e-10)
    for refused in REFUSED_NUCLEAR.values():
        assert_as_torch(lambda L, refused=refused: refused(L, L.tensor(data)))


MULTI_DOTS = [
    [(3,), (3,)],
    [(2, 3), (3,)],
    [(3,), (3, 4), (4,)],
    [(2, 3), (3, 4), (4, 5)],
    [(4, 2), (2, 4), (4, 2)],
    [(3,), (3, 4), (4, 2), (2, 2)],
    [(3, 4), (4, 5), (5, 6), (6, 7), (7, 2)],
    [(2, 0), (0, 3)],
    [(2, 3)],
    [(2, 3), (4, 5)],
    [(2, 3, 3), (3, 3)],
    [(2, 3), (3,), (3, 3)],
]


@pytest.mark.parametrize("shapes", MULTI_DOTS, ids=str)
def test_linalg_multi_dot_values_and_gradients_as_torch(shapes):
    rng = np.random.default_rng(1)
    arrays = [rng.standard_normal(s) for s in shapes]

    def product(L):
        tensors = [L.tensor(a, dtype=L.float64, requires_grad=True) for a in arrays]
        result = L.linalg.multi_dot(tensors)
        result.sum().backward()
        return result, *(t.grad for t in tensors)

    ours, theirs = run(product, xpnet), run(product, torch)
    if isinstance(theirs, type):
        assert ours in CLEAR_ERRORS, ours
        return
    for a, b in zip(ours, theirs, strict=True):
        assert a[:2] == b[:2]
        np.testing.assert_allclose(values(a), values(b), rtol=1e-12, atol=1e-14)


def test_linalg_multi_dot_of_integers_and_mixed_dtypes_as_torch():
    assert_as_torch(lambda L: L.linalg.multi_dot([L.tensor([1, 2]), L.tensor([[1, 1], [2, 2]])]))
    assert_as_torch(lambda L: L.linalg.multi_dot([L.ones(2, 3), L.ones(3, dtype=L.float64)]))


@pytest.mark.parametrize("value", [1e308, -1e308, 1e20, 0.0])
@pytest.mark.parametrize("bins", [1, 4, 5])
def test_histc_of_one_value_too_large_to_widen_as_torch(value, bins):
    """``value +- 1`` is ``value`` itself: PyTorch puts it in the middle bin (NumPy's cast
    of the NaN position gave a raw IndexError)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ours = xpnet.tensor([value, value], dtype=xpnet.float64).histc(bins=bins)
    theirs = torch.tensor([value, value], dtype=torch.float64).histc(bins=bins)
    assert described(ours) == described(theirs)
