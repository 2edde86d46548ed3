"""Regression tests for what the 2026-12-07 audit of writing and reading by index found apart
from PyTorch 2.13: ``index_add``/``index_copy`` of a 0-d tensor, ``index_put(accumulate=True)``
with a uint8 mask or an index of another dtype, ``take`` given a bool or float index,
``index_fill`` and ``take_along_dim`` with negative indices, ``masked_scatter`` broadcasting
``input`` with ``mask``, an integer ``index_add``'s float ``alpha``, the error classes of a
non-bool mask or condition and of ``"mean"`` over bools, and ``where`` given a number its
dtype cannot hold.

PyTorch is the oracle: each case runs on both libraries, values and float64 gradients compared,
and xpnet's exception must be an instance of PyTorch's class.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import xpnet
from xpnet.backends import raise_deferred


def _both(call, *arrays, grad=()):
    """``call(module, *tensors)`` on torch and xpnet: the results and the gradients of
    ``sum(result * weights)`` for the arrays whose positions ``grad`` lists (float64)."""
    weights = None
    found = []
    for module in (torch, xpnet):
        tensors = [module.tensor(a, requires_grad=i in grad) for i, a in enumerate(arrays)]
        with warnings.catch_warnings():
            warnings.simplefilter("error", RuntimeWarning)  # NumPy's must not leak
            out = call(module, *tensors)
            if module is xpnet:
                raise_deferred()
        if weights is None:
            weights = np.random.default_rng(0).standard_normal(tuple(out.shape))
        grads = []
        if grad:
            leaves = [tensors[i] for i in grad]
            total = (out * module.tensor(weights)).sum()
            grads = [g.detach().numpy() for g in module.autograd.grad(total, leaves)]
        found.append((np.asarray(out.detach().numpy()), str(out.dtype).split(".")[-1], grads))
    (expected, dtype, expected_grads), (value, xdtype, xgrads) = found
    assert xdtype == dtype
    np.testing.assert_allclose(value, expected, rtol=1e-12)
    for got, want in zip(xgrads, expected_grads, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-12)


def _refused_as_torch(call, *arrays, match):
    with pytest.raises(Exception) as expected:
        call(torch, *(torch.tensor(a) for a in arrays))
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        with pytest.raises(expected.type, match=match):
            call(xpnet, *(xpnet.tensor(a) for a in arrays))
            raise_deferred()


X = np.arange(12.0).reshape(3, 4)


# 1. a 0-d input takes a one-element index and a 0-d source (Tensor.size is a method)
@pytest.mark.parametrize("name", ["index_add", "index_copy"])
def test_index_add_and_copy_of_a_0d_tensor(name, backend):
    call = lambda M, a, i, s: getattr(a, name)(0, i, s)  # noqa: E731
    _both(call, np.array(2.0), np.array([0]), np.array(3.0), grad=(0, 2))


# 2. index_put: a uint8 index is a mask on both paths; other dtypes are refused
def test_index_put_accumulate_reads_uint8_as_a_mask(backend):
    mask = np.array([1, 0, 1], dtype=np.uint8)
    call = lambda M, a, m, v: a.index_put((m,), v, accumulate=True)  # noqa: E731
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # PyTorch's deprecation, and ours
        _both(call, X, mask, np.ones(4), grad=(0, 2))


@pytest.mark.parametrize("dtype", [np.int16, np.float64])
@pytest.mark.parametrize("accumulate", [False, True])
def test_index_put_refuses_other_index_dtypes(dtype, accumulate, backend):
    call = lambda M, a, i, v: a.index_put((i,), v, accumulate=accumulate)  # noqa: E731
    index = np.array([0, 1], dtype=dtype)
    _refused_as_torch(call, X, index, np.ones(4), match="Tensor.index_put: indices must be")


# 3. take: a bool or float index is no index (NumPy's would select by mask)
@pytest.mark.parametrize("index", [np.ones(12, dtype=bool), np.array([1.0])])
def test_take_refuses_a_bool_or_float_index(index, backend):
    with pytest.raises(RuntimeError):
        torch.tensor(X).take(torch.tensor(index))
    with pytest.raises(TypeError, match="Tensor.take: index must hold int64"):
        xpnet.tensor(X).take(xpnet.tensor(index))


# 4. negative indices count from the end, as PyTorch's
def test_index_fill_takes_negative_indices(backend):
    call = lambda M, a, i: a.index_fill(1, i, -1.0)  # noqa: E731
    _both(call, X, np.array([-1, -4, 1]), grad=(0,))
    _refused_as_torch(call, X, np.array([-5]), match="Tensor.index_fill: index values.*got -5")


def test_take_along_dim_takes_negative_indices(backend):
    call = lambda M, a, i: M.take_along_dim(a, i, 0)  # noqa: E731
    _both(call, X, np.array([[-3, -1, 0, 2]]), grad=(0,))
    _both(lambda M, a, i: M.take_along_dim(a, i, -1), X, np.array([[-1], [-4], [2]]), grad=(0,))
    for index, dim in ((np.array([[-4]]), 0), (np.array([12]), None)):  # PyTorch's wraps -4
        with pytest.raises(IndexError, match=r"Tensor\.take_along_dim: index values"):
            xpnet.take_along_dim(xpnet.tensor(X), xpnet.tensor(index), dim)
            raise_deferred()


# 5. masked_scatter broadcasts input and mask together; masked_scatter_ keeps input's shape
def test_masked_scatter_broadcasts_input_with_mask(backend):
    mask = np.array([[True, False], [False, True], [True, True]])
    call = lambda M, a, m, s: M.masked_scatter(a, m, s)  # noqa: E731
    _both(call, np.array([2.0, 3.0]), mask, np.arange(6.0), grad=(0, 2))
    in_place = lambda M, a, m, s: a.clone().masked_scatter_(m, s)  # noqa: E731
    _refused_as_torch(in_place, np.array([2.0, 3.0]), mask, np.arange(6.0), match="shape")


# 6. an integer input's alpha is cast to its dtype first, as PyTorch's
@pytest.mark.parametrize("alpha", [0.5, 1.7, -2.5])
def test_index_add_casts_alpha_for_an_integer_input(alpha, backend):
    call = lambda M, a, i, s: a.index_add(0, i, s, alpha=alpha)  # noqa: E731
    _both(call, np.array([2, 3]), np.array([0, 0]), np.array([2, 5]))


def test_index_add_refuses_an_alpha_an_integer_input_cannot_hold(backend):
    call = lambda M, a, i, s: a.index_add(0, i, s, alpha=float("nan"))  # noqa: E731
    _refused_as_torch(call, np.array([2, 3]), np.array([0]), np.array([2]), match="alpha")


# 7. error classes: a non-bool mask or condition (RuntimeError), "mean" of bools
MASKS = {
    "masked_fill": lambda M, a, m: a.masked_fill(m, 1.0),
    "masked_scatter": lambda M, a, m: a.masked_scatter(m, a),
    "where": lambda M, a, m: M.where(m, a, 0.0),
}


@pytest.mark.parametrize("name", sorted(MASKS))
def test_a_non_bool_mask_is_torchs_runtime_error(name, backend):
    mask = np.array([[1, 0, 1, 0]] * 3, dtype=np.int64)
    _refused_as_torch(MASKS[name], X, mask, match=rf"Tensor\.{name}: (mask|condition) must be")
    with pytest.raises(TypeError):  # xpnet's convention for a wrong dtype, too
        MASKS[name](xpnet, xpnet.tensor(X), xpnet.tensor(mask))


REDUCE_MEANS = {
    "scatter_reduce": lambda M, a, i, s: a.scatter_reduce(0, i, s, "mean"),
    "index_reduce": lambda M, a, i, s: a.index_reduce(0, i, s, "mean"),
}


@pytest.mark.parametrize("name", sorted(REDUCE_MEANS))
def test_mean_of_bools_is_torchs_not_implemented_error(name, backend):
    flags = np.array([True, False])
    _refused_as_torch(REDUCE_MEANS[name], flags, np.array([0, 1]), flags, match="'mean'")


# 8. where: a number past the result's dtype is PyTorch's overflow error, without a warning
@pytest.mark.parametrize("value", [1e300, -1e300])
def test_where_refuses_a_number_its_dtype_cannot_hold(value, backend):
    call = lambda M, c, a: M.where(c, a, value)  # noqa: E731
    condition = np.array([True, False])
    _refused_as_torch(call, condition, np.ones(2, np.float32), match="where: other")
    _both(lambda M, c, a: M.where(c, a, 2.5), condition, np.ones(2, np.float32))
