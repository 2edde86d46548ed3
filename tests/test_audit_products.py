"""Regression tests for the differences from PyTorch 2.13 the products audit found
(2026-12-07): ``addmm``-like scalars (integer truncation, bool and Tensor scalars, bools in
``addr``), bool refusals of the matrix products, ``tensordot``'s and ``einsum``'s size-1
broadcasting, ``cdist``'s dtype and argument order, error classes of ``cross``,
``trapezoid``, ``renorm``, ``bincount``, ``searchsorted``, ``histc``'s non-finite range,
``renorm``'s gradient for NaN slices, ``Tensor.i0_``, ``torch.gradient``'s formulas, dtypes
and checks, and ``frombuffer``'s counts.

PyTorch is the oracle: each case runs on both libraries; a refusal must be PyTorch's class
(xpnet's may subclass it) with a message naming the function, a value PyTorch's.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import xpnet
from xpnet.backends import raise_deferred


def _both(call, *arrays, grad=False):
    """``call(M, *tensors)`` on torch and xpnet (``arrays`` as tensors of both)."""
    results = []
    for module in (torch, xpnet):
        tensors = [module.tensor(a) for a in arrays]
        if grad:
            tensors = [t.requires_grad_() if t.is_floating_point() else t for t in tensors]
        with warnings.catch_warnings():
            warnings.simplefilter("error", RuntimeWarning)
            out = call(module, *tensors)
            if module is xpnet:
                raise_deferred()
        results.append((tensors, out))
    return results


def _same(expected, got, rtol=1e-10):
    expected = expected if isinstance(expected, tuple | list) else (expected,)
    got = got if isinstance(got, tuple | list) else (got,)
    assert len(expected) == len(got)
    for e, g in zip(expected, got, strict=True):
        assert str(e.dtype).removeprefix("torch.") == str(g.dtype)
        assert tuple(e.shape) == tuple(g.shape)
        np.testing.assert_allclose(g.detach().numpy(), e.detach().numpy(), rtol=rtol, atol=0)


def _refused(call, *arrays, match):
    with pytest.raises(Exception) as expected:
        call(torch, *(torch.tensor(a) for a in arrays))
    with pytest.raises(expected.type, match=match):
        call(xpnet, *(xpnet.tensor(a) for a in arrays))
        raise_deferred()


I3 = np.arange(6).reshape(2, 3) - 2
I4 = np.arange(12).reshape(3, 4) - 5
B2 = np.array([[True, False], [True, True]])
B = np.array([True, False])


# 1. addmm-like scalars: truncated for integers, bools and one-element Tensors taken
SCALARS = {
    "int beta=0.5": lambda M, i, a, b: M.addmm(i, a, b, beta=0.5),
    "int alpha=0.5": lambda M, i, a, b: M.addmm(i, a, b, alpha=0.5),
    "int alpha=1.7 beta=2.9": lambda M, i, a, b: M.addmm(i, a, b, alpha=1.7, beta=-2.9),
    "float beta=Tensor": lambda M, i, a, b: M.addmm(
        i.double(), a.double(), b.double(), beta=M.tensor(2.0)
    ),
    "float beta=True alpha=False": lambda M, i, a, b: M.addmm(
        i.double(), a.double(), b.double(), beta=True, alpha=False
    ),
    "baddbmm int alpha=2.5": lambda M, i, a, b: M.baddbmm(i[None], a[None], b[None], alpha=2.5),
}


@pytest.mark.parametrize("name", list(SCALARS))
def test_addmm_scalars_as_pytorch(backend, name):
    (_, expected), (_, got) = _both(SCALARS[name], np.ones((2, 4), np.int64), I3, I4)
    _same(expected, got)


@pytest.mark.parametrize(
    ("dtype", "beta"),
    [(np.int64, float("inf")), (np.int64, 1e30), (np.int64, float("nan")), (np.uint8, -1.5)],
)
def test_addmm_refuses_scalars_beyond_an_integer_dtype(backend, dtype, beta):
    ones = np.ones((2, 2), dtype)
    _refused(lambda M, a: M.addmm(a, a, a, beta=beta), ones, match=r"xpnet\.addmm: beta")


def test_addmm_refuses_a_complex_scalar_for_real_tensors(backend):
    _refused(
        lambda M, i, a, b: M.addmm(i, a, b, alpha=1j),
        np.ones((2, 4)),
        I3 * 1.0,
        I4 * 1.0,
        match=r"xpnet\.addmm: alpha",
    )


@pytest.mark.parametrize(("beta", "alpha"), [(0, 0), (0, 2), (1, 0), (2, 1), (2, 2)])
def test_addr_of_bools_stays_bool(backend, beta, alpha):
    (_, expected), (_, got) = _both(
        lambda M, i, a, b: M.addr(i, a, b, beta=beta, alpha=alpha), B2, B, B
    )
    _same(expected, got)


# 2. PyTorch's matrix products have no bool kernel ("not implemented for 'Bool'")
BOOL_PRODUCTS = {
    "dot": (lambda M, a: M.dot(a[0], a[1]), r"xpnet\.dot"),
    "vdot": (lambda M, a: M.vdot(a[0], a[1]), r"xpnet\.dot"),
    "tensordot": (lambda M, a: M.tensordot(a, a, 1), r"xpnet\.tensordot"),
    "tensordot dims=0": (lambda M, a: M.tensordot(a, a, 0), r"xpnet\.tensordot"),
    "mv": (lambda M, a: M.mv(a, a[0]), r"xpnet\.mv"),
    "addmv": (lambda M, a: M.addmv(a[0], a, a[0]), r"xpnet\.mv"),
    "baddbmm": (lambda M, a: M.baddbmm(a[None], a[None], a[None]), r"xpnet\.baddbmm"),
    "addbmm": (lambda M, a: M.addbmm(a, a[None], a[None]), r"xpnet\.addbmm"),
}


@pytest.mark.parametrize("name", list(BOOL_PRODUCTS))
def test_matrix_products_refuse_bools(backend, name):
    call, match = BOOL_PRODUCTS[name]
    _refused(call, B2, match=match)


def test_chain_matmul_of_one_bool_matrix_stays_bool(backend):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # deprecated, on both sides
        (_, expected), (_, got) = _both(lambda M, a: M.chain_matmul(a), B2)
    _same(expected, got)


# 3. a contracted dim of size 1 broadcasts: tensordot sums the other operand over it
@pytest.mark.parametrize("dtype", [np.float64, np.int32])
def test_tensordot_broadcasts_a_size_one_dim(backend, dtype):
    for shapes, dims in [(((2, 1), (3, 4)), ([1], [0])), (((2, 3), (1, 4)), ([1], [0]))]:
        a, b = (np.arange(np.prod(s)).reshape(s).astype(dtype) for s in shapes)
        results = _both(
            lambda M, x, y, d=dims: M.tensordot(x, y, dims=d), a, b, grad=dtype == np.float64
        )
        (t_in, expected), (x_in, got) = results
        _same(expected, got)
        if dtype == np.float64:
            expected.sum().backward()
            got.sum().backward()
            for t, x in zip(t_in, x_in, strict=True):
                np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy())


EINSUM_INT = [
    ("ij,jk->ik", (2, 1), (3, 4)),
    ("i,i->", (3,), (1,)),
    ("ij,j->i", (2, 1), (3,)),
]


@pytest.mark.parametrize(("equation", "shape_a", "shape_b"), EINSUM_INT)
def test_einsum_integer_dtype_when_a_broadcast_dim_is_summed(backend, equation, shape_a, shape_b):
    a, b = np.ones(shape_a, np.int32), np.ones(shape_b, np.int32)
    (_, expected), (_, got) = _both(lambda M, x, y: M.einsum(equation, x, y), a, b)
    _same(expected, got)


# 4. cdist: floating point only, p=True is 1
def test_cdist_refuses_integers(backend):
    _refused(lambda M, a: M.cdist(a, a, p=1), I3, match=r"xpnet\.cdist: x1 must be floating")


def test_cdist_takes_p_true(backend):
    (_, expected), (_, got) = _both(lambda M, a: M.cdist(a, a, p=True), I3 * 1.0)
    _same(expected, got)


# 5. error classes: PyTorch's NotImplementedError/RuntimeError for dtypes
DTYPE_REFUSALS = {
    "cross of bools": (lambda M, b: M.cross(b, b, dim=1), np.ones((2, 3), bool), r"xpnet\.cross"),
    "linalg.cross of bools": (
        lambda M, b: M.linalg.cross(b, b),
        np.ones(3, bool),
        r"xpnet\.linalg\.cross",
    ),
    "trapezoid of bools": (lambda M, b: M.trapezoid(b), np.ones(3, bool), r"xpnet\.trapezoid"),
    "trapezoid x of bools": (
        lambda M, b: M.trapezoid(b.double(), b),
        np.ones(3, bool),
        r"xpnet\.trapezoid: x",
    ),
    "renorm of ints": (lambda M, i: M.renorm(i, 2, 0, 1.0), I3, r"xpnet\.renorm: input"),
    "renorm p before dim": (lambda M, x: M.renorm(x, 0, 5, 1.0), I3 * 1.0, r"renorm: p must"),
    "renorm maxnorm before dim": (
        lambda M, x: M.renorm(x, 2, 5, -1.0),
        I3 * 1.0,
        r"renorm: p must be > 0 and maxnorm",
    ),
    "bincount of negatives": (lambda M, i: M.bincount(i), np.array([1, -1]), r"bincount"),
    "bincount weighted negatives": (
        lambda M, i: M.bincount(i, i * 1.0),
        np.array([1, -1]),
        r"bincount",
    ),
    "histc max=inf": (lambda M, x: M.histc(x, 3, 0, float("inf")), np.ones(3), r"histc: range"),
    "histc min=nan": (lambda M, x: M.histc(x, 3, float("nan"), 1), np.ones(3), r"histc: range"),
    "searchsorted sorter shape": (
        lambda M, x: M.searchsorted(x, x, sorter=M.tensor([0, 1])),
        np.arange(3.0),
        r"searchsorted: sorter",
    ),
    "searchsorted sorter dtype": (
        lambda M, x: M.searchsorted(x, x, sorter=x),
        np.arange(3.0),
        r"searchsorted: sorter",
    ),
}


@pytest.mark.parametrize("name", list(DTYPE_REFUSALS))
def test_refusals_are_pytorch_classes(backend, name):
    call, array, match = DTYPE_REFUSALS[name]
    _refused(call, array, match=match)


def test_trapezoid_takes_a_tensor_dx(backend):
    for name in ("trapezoid", "cumulative_trapezoid"):
        call = lambda M, y, n=name: getattr(M, n)(y, dx=M.tensor(0.5))  # noqa: E731
        (_, expected), (_, got) = _both(call, np.arange(4.0) ** 2)
        _same(expected, got)


def test_bincount_of_float16_weights_is_float64(backend):
    (_, expected), (_, got) = _both(
        lambda M, i, w: M.bincount(i, w.half()), np.array([0, 2, 2]), np.array([0.5, 1.0, 2.0])
    )
    _same(expected, got)


def test_renorm_leaves_the_gradient_of_a_nan_slice_alone(backend):
    x = np.array([[np.nan, 1.0], [3.0, 4.0], [0.3, 0.4]])
    upstream = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    (t_in, expected), (x_in, got) = _both(lambda M, a: M.renorm(a, 2, 0, 1.0), x, grad=True)
    expected.backward(torch.tensor(upstream))
    got.backward(xpnet.tensor(upstream))
    np.testing.assert_allclose(x_in[0].grad.numpy(), t_in[0].grad.numpy(), rtol=1e-9, atol=1e-15)


def test_tensor_i0_in_place(backend):
    tensors = [M.tensor([0.5, -1.0, 2.0]) for M in (torch, xpnet)]
    for tensor in tensors:
        assert tensor.i0_() is tensor
    _same(*tensors, rtol=1e-6)


# 6. torch.gradient: PyTorch's formulas (spacing 0: inf), dtypes and checks
GRADIENTS = {
    "spacing 0": (lambda M, f: M.gradient(f, spacing=0), [np.array([1.0, 3.0, 2.0, 5.0])]),
    "spacing 0.3 float32": (
        lambda M, f: M.gradient(f.float(), spacing=0.3, edge_order=2),
        [np.random.default_rng(0).standard_normal((4, 5))],
    ),
    "float16 at float64 coordinates": (
        lambda M, f, x: M.gradient(f.half(), spacing=[x]),
        [np.array([1.0, 3.0, 2.0, 5.0]), np.array([0.0, 0.5, 1.5, 1.75])],
    ),
    "float16 at int coordinates": (
        lambda M, f, x: M.gradient(f.half(), spacing=[x], edge_order=2),
        [np.array([1.0, 3.0, 2.0, 5.0]), np.array([0, 1, 3, 4])],
    ),
}


@pytest.mark.parametrize("name", list(GRADIENTS))
def test_gradient_as_pytorch(backend, name):
    call, arrays = GRADIENTS[name]
    (_, expected), (_, got) = _both(call, *arrays)
    _same(expected, got, rtol=1e-6)


GRADIENT_REFUSALS = {
    "dim twice": (lambda M, f: M.gradient(f, dim=(0, 0)), "gradient: dim"),
    "spacing length before dim": (
        lambda M, f: M.gradient(f, spacing=[1.0], dim=[0, 5]),
        "gradient: spacing",
    ),
    "2-d coordinates": (lambda M, f: M.gradient(f[0], spacing=[f]), "gradient: each Tensor"),
    "bools": (lambda M, f: M.gradient(f > 0), "gradient: input"),
    "uint8": (lambda M, f: M.gradient(f.to(M.uint8)), "gradient: input of dtype uint8"),
}


@pytest.mark.parametrize("name", list(GRADIENT_REFUSALS))
def test_gradient_refusals_are_pytorch_classes(backend, name):
    call, match = GRADIENT_REFUSALS[name]
    _refused(call, np.arange(12.0).reshape(3, 4), match=match)


# 7. frombuffer: any negative count reads all; a non-buffer is PyTorch's ValueError
def test_frombuffer_negative_count_reads_everything(backend):
    data = bytes(range(8))
    expected = torch.frombuffer(bytearray(data), dtype=torch.uint8, count=-3, offset=2)
    got = xpnet.frombuffer(bytearray(data), dtype=xpnet.uint8, count=-3, offset=2)
    assert got.tolist() == expected.tolist()


def test_frombuffer_refuses_a_non_buffer_as_pytorch(backend):
    with pytest.raises(ValueError):
        torch.frombuffer([1, 2], dtype=torch.uint8)
    with pytest.raises(ValueError, match="frombuffer: buffer"):
        xpnet.frombuffer([1, 2], dtype=xpnet.uint8)
