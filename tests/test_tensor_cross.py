"""``xpnet.linalg.cross``, ``xpnet.cross`` and ``Tensor.cross`` against PyTorch autograd in
float64 and float32 (values and both gradients, broadcast batch dimensions, the vectors in
any dimension, empty batches), finite differences, integer and float16 dtypes, ``cross``'s
deprecated ``dim=None`` default (the first dimension of size 3, with a warning) and the
argument errors, which name the function and the argument as PyTorch's do."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from _oracle import (
    check_finite_differences,
    check_no_host_reads,
    check_tensor_method,
    random_input,
)

import xpnet
from xpnet.autograd import Tensor
from xpnet.kernels import ArgumentError


def linalg_cross(dim=None):
    """``linalg.cross(a, b)`` (``dim=dim`` when given) of either library."""

    def call(a, b):
        namespace = torch if isinstance(a, torch.Tensor) else xpnet
        kwargs = {} if dim is None else {"dim": dim}
        return namespace.linalg.cross(a, b, **kwargs)

    return call


def quietly(function):
    """``function`` with PyTorch's ``dim=None`` deprecation warning (and ours) ignored."""

    def call(*tensors):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            return function(*tensors)

    return call


SHAPES = [
    ((3,), (3,), -1),
    ((4, 3), (4, 3), -1),
    ((3, 5), (3, 5), 0),
    ((2, 3, 4), (2, 3, 4), 1),
    ((2, 3, 4), (2, 3, 4), -2),
    ((2, 1, 3), (1, 4, 3), -1),  # batch dimensions broadcast
    ((3, 1, 5), (3, 4, 1), 0),
    ((1, 3), (5, 3), 1),
    ((0, 3), (0, 3), -1),  # an empty batch
    ((2, 0, 3), (2, 1, 3), 2),
    ((3, 3), (3, 3), 0),  # every dimension has size 3: dim decides
    ((3, 3), (3, 3), 1),
]


@pytest.mark.parametrize(("shape_a", "shape_b", "dim"), SHAPES)
def test_linalg_cross_matches_torch(backend, shape_a, shape_b, dim):
    inputs = [random_input(shape_a, seed=0), random_input(shape_b, seed=1)]
    check_tensor_method(linalg_cross(dim), inputs, backend)
    check_tensor_method(linalg_cross(dim), inputs, backend, dtype=np.float32)


@pytest.mark.parametrize(("shape_a", "shape_b", "dim"), SHAPES[:8])
def test_cross_function_and_method_match_torch(backend, shape_a, shape_b, dim):
    inputs = [random_input(shape_a, seed=2), random_input(shape_b, seed=3)]
    check_tensor_method(lambda a, b: a.cross(b, dim), inputs, backend)
    check_tensor_method(lambda a, b: a.cross(b, dim=dim), inputs, backend, dtype=np.float32)

    def function(a, b):
        return (torch if isinstance(a, torch.Tensor) else xpnet).cross(a, b, dim=dim)

    check_tensor_method(function, inputs, backend)


def test_linalg_cross_defaults_to_the_last_dim(backend):
    inputs = [random_input((3, 3), seed=4), random_input((1, 3), seed=5)]
    check_tensor_method(linalg_cross(), inputs, backend)


@pytest.mark.parametrize(
    ("shape_a", "shape_b"),
    [((3,), (3,)), ((3, 3), (3, 1)), ((1, 3), (3, 3)), ((2, 3, 3), (2, 3, 3)),
     ((4, 2, 3), (4, 1, 3))],
)  # fmt: skip
def test_cross_default_dim_is_the_first_size_3_of_input(backend, shape_a, shape_b):
    """``dim=None``: the first dimension of size 3 of ``input`` (not of the broadcast shape,
    nor of ``other``), as PyTorch 2.13."""
    inputs = [random_input(shape_a, seed=6), random_input(shape_b, seed=7)]
    check_tensor_method(quietly(lambda a, b: a.cross(b)), inputs, backend)

    def function(a, b):
        return (torch if isinstance(a, torch.Tensor) else xpnet).cross(a, b)

    check_tensor_method(quietly(function), inputs, backend)


def test_cross_default_dim_warns_at_every_call(backend):
    a, b = xpnet.eye(3), xpnet.ones(3, 3)
    for call in (lambda: xpnet.cross(a, b), lambda: a.cross(b), lambda: a.cross(b, None)):
        with pytest.warns(UserWarning, match="cross without specifying dim is deprecated"):
            call()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an explicit dim, or linalg.cross: no warning
        xpnet.cross(a, b, dim=0), a.cross(b, 1), xpnet.linalg.cross(a, b)


def test_cross_gradients_match_finite_differences(backend):
    def forward(a, b):
        return xpnet.linalg.cross(Tensor(a), Tensor(b), dim=1).array

    def backward(grad_output, a, b):
        ta, tb = Tensor(a, requires_grad=True), Tensor(b, requires_grad=True)
        xpnet.linalg.cross(ta, tb, dim=1).backward(grad_output)
        return ta.grad, tb.grad

    inputs = [random_input((2, 3, 1), seed=8), random_input((1, 3, 2), seed=9)]
    check_finite_differences(forward, backward, inputs, backend)


def test_cross_of_non_contiguous_views_and_one_grad(backend):
    data = [random_input((3, 4), seed=10), random_input((3, 8), seed=11)]
    check_tensor_method(lambda a, b: a.t().cross(b[:, ::2].t(), dim=1), data, backend)
    a = Tensor(xpnet.asarray(data[0]), requires_grad=True)
    other = data[1][:, :4]
    xpnet.linalg.cross(a, xpnet.asarray(other), dim=0).sum().backward()  # other: an array
    expected = torch.linalg.cross(torch.tensor(other), torch.ones(3, 4, dtype=torch.float64), dim=0)
    np.testing.assert_allclose(xpnet.to_numpy(a.grad), expected.numpy(), rtol=1e-15)


@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.int8])
def test_cross_of_integers_keeps_the_dtype(backend, dtype):
    a = np.array([[1, 2, 3], [4, -5, 6]], dtype=dtype)
    b = np.array([[7, 8, -9]], dtype=dtype)
    ours = xpnet.linalg.cross(Tensor(xpnet.asarray(a)), Tensor(xpnet.asarray(b)))
    theirs = torch.linalg.cross(torch.tensor(a), torch.tensor(b))
    assert ours.dtype == dtype and ours.requires_grad is False
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_cross_float16_is_computed_in_float32(backend):
    inputs = [random_input((4, 3), seed=12), random_input((4, 3), seed=13)]
    check_tensor_method(linalg_cross(), inputs, backend, dtype=np.float16)


def _tensor(shape, dtype=np.float64):
    return Tensor(xpnet.asarray(np.ones(shape, dtype=dtype)))


ERRORS = [
    # (function, input shape, other, kwargs, xpnet's error, match, PyTorch's error)
    ("linalg.cross", (2, 3), (4, 2, 3), {}, ArgumentError, r"same number of dimensions, got shapes \(2, 3\) and \(4, 2, 3\)", RuntimeError),  # noqa: E501
    ("linalg.cross", (2, 4), (2, 4), {}, ArgumentError, "size 3 in dimension -1, got 4 and 4", RuntimeError),  # noqa: E501
    ("linalg.cross", (3, 2), (3, 2), {"dim": 1}, ArgumentError, "size 3 in dimension 1, got 2 and 2", RuntimeError),  # noqa: E501
    ("linalg.cross", (1, 3), (3, 1), {}, ArgumentError, "in dimension -1, got 3 and 1", RuntimeError),  # noqa: E501
    ("linalg.cross", (2, 3), (4, 3), {}, ArgumentError, r"must broadcast, got shapes \(2, 3\) and \(4, 3\)", RuntimeError),  # noqa: E501
    ("linalg.cross", (2, 3), (2, 3), {"dim": 2}, IndexError, r"dim must be in \[-2, 1\] for 2-d inputs, got 2", IndexError),  # noqa: E501
    ("linalg.cross", (2, 3), (2, 3), {"dim": -3}, IndexError, r"dim must be in \[-2, 1\]", IndexError),  # noqa: E501
    ("linalg.cross", (), (), {}, IndexError, r"dim must be in \[0, -1\] for 0-d inputs", IndexError),  # noqa: E501
    ("linalg.cross", (3,), (3,), {"dim": 0.0}, TypeError, "linalg.cross: dim must be an int, got 0.0", TypeError),  # noqa: E501
    ("cross", (3,), (3,), {"dim": True}, TypeError, "xpnet.cross: dim must be an int, got True", TypeError),  # noqa: E501
    ("linalg.cross", (3,), "float32", {}, ArgumentError, "one dtype, got float64 and float32", RuntimeError),  # noqa: E501
    ("linalg.cross", (3,), 2.0, {}, TypeError, "linalg.cross: other must be a Tensor or an array, got float", TypeError),  # noqa: E501
    ("cross", (2, 4), (2, 4), {}, ArgumentError, r"xpnet.cross: input has no dimension of size 3 \(for dim=None\), got \(2, 4\)", RuntimeError),  # noqa: E501
    ("cross", (), (), {}, ArgumentError, "input has no dimension of size 3", RuntimeError),
    ("cross", (2, 3), (2, 4), {"dim": 1}, ArgumentError, "xpnet.cross: input and other must have size 3 in dimension 1", RuntimeError),  # noqa: E501
]  # fmt: skip


def _call(library, where: str, a, b, kwargs):
    function = library.linalg.cross if where == "linalg.cross" else library.cross
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # dim=None's deprecation
        return function(a, b, **kwargs)


@pytest.mark.parametrize(("where", "shape", "other", "kwargs", "error", "match", "theirs"), ERRORS)
def test_cross_errors_name_function_and_argument(
    backend, where, shape, other, kwargs, error, match, theirs
):
    a = _tensor(shape)
    if isinstance(other, tuple):
        b, torch_b = _tensor(other), torch.ones(other, dtype=torch.float64)
    elif other == "float32":
        b, torch_b = _tensor(shape, np.float32), torch.ones(shape, dtype=torch.float32)
    else:
        b, torch_b = other, other
    with pytest.raises(theirs):
        _call(torch, where, torch.ones(shape, dtype=torch.float64), torch_b, kwargs)
    with pytest.raises(error, match=match):
        _call(xpnet, where, a, b, kwargs)


def test_cross_refuses_bool_tensors(backend):
    flags = torch.tensor([True, False, True])
    with pytest.raises(NotImplementedError):
        torch.linalg.cross(flags, flags)
    ours = Tensor(xpnet.asarray(np.array([True, False, True])))
    with pytest.raises(TypeError, match="linalg.cross: input and other must be numbers, not bool"):
        xpnet.linalg.cross(ours, ours)
    with pytest.raises(TypeError, match="xpnet.cross: input must be a Tensor or an array"):
        xpnet.cross([1.0, 0.0, 0.0], ours, dim=0)


def test_cross_has_no_host_reads_on_strict(strict):
    other = np.array([[0.5, -1.0, 2.0]])
    check_no_host_reads(strict, lambda x: xpnet.linalg.cross(x, strict.asarray(other)), (4, 3))
    check_no_host_reads(strict, lambda x: x.cross(x.flip(0), dim=0))
