"""``trapezoid``, ``trapz``, ``cumulative_trapezoid`` and ``renorm``/``renorm_`` of
:mod:`xpnet._tensor_integrals` against PyTorch 2.13 autograd in float64 and float32 (values,
the gradients for ``y`` and ``x`` under PyTorch's broadcasting of ``x``, ``renorm``'s through
its scale factor), finite differences, result dtypes of integer samples, empty dims, NaN and
inf slices, the in-place rules, the strict backend's host reads and the error paths."""

from __future__ import annotations

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


def t(array):
    return Tensor(xpnet.asarray(np.asarray(array)))


def rule(name, **kwargs):
    """``<name>(y[, x], **kwargs)`` of either library."""

    def call(*tensors):
        namespace = torch if isinstance(tensors[0], torch.Tensor) else xpnet
        return getattr(namespace, name)(*tensors, **kwargs)

    return call


# (y's shape, x's shape or None, keyword arguments)
CASES = [
    ((5,), None, {}),
    ((3, 4), None, {"dx": 0.5}),
    ((3, 4), None, {"dim": 0, "dx": 2}),
    ((2, 3, 4), None, {"dim": 1}),
    ((3, 4), (4,), {}),  # a 1-D x lies along dim
    ((3, 4), (3,), {"dim": 0}),
    ((2, 3, 4), (3,), {"dim": -2}),
    ((3, 4), (3, 4), {}),  # x of y's shape
    ((3, 4), (1, 4), {}),  # differences broadcast
    ((2, 3, 4), (3, 4), {"dim": 1}),  # fewer dims: leading 1s
    ((2, 3, 4), (3, 1), {"dim": 1}),
    ((3, 4), (3, 2), {}),  # PyTorch's rule: spacing (3, 1) broadcasts with pairs (3, 3)
    ((3, 1), (1,), {}),  # one sample: 0
    ((2, 2), None, {"dim": 0}),
]


@pytest.mark.parametrize("name", ["trapezoid", "cumulative_trapezoid"])
@pytest.mark.parametrize(("y_shape", "x_shape", "kwargs"), CASES)
def test_trapezoid_rules_match_torch(backend, name, y_shape, x_shape, kwargs):
    inputs = [random_input(y_shape, seed=0)]
    if x_shape is not None:
        inputs.append(np.cumsum(random_input(x_shape, seed=1, low=0.1, high=1.0), axis=-1))
    check_tensor_method(rule(name, **kwargs), inputs, backend)
    check_tensor_method(rule(name, **kwargs), inputs, backend, dtype=np.float32)


def test_trapz_is_trapezoid(backend):
    y, x = random_input((3, 4), seed=2), random_input((4,), seed=3)
    check_tensor_method(rule("trapz"), [y, x], backend)
    check_tensor_method(rule("trapz", dx=3.0, dim=0), [y], backend)


@pytest.mark.parametrize("name", ["trapezoid", "cumulative_trapezoid"])
def test_trapezoid_gradients_match_finite_differences(backend, name):
    def forward(y, x):
        return getattr(xpnet, name)(Tensor(y), Tensor(x), dim=0).array

    def backward(grad_output, y, x):
        ty, tx = Tensor(y, requires_grad=True), Tensor(x, requires_grad=True)
        getattr(xpnet, name)(ty, tx, dim=0).backward(grad_output)
        return ty.grad, tx.grad

    inputs = [random_input((4, 2), seed=4), random_input((4, 1), seed=5)]
    check_finite_differences(forward, backward, inputs, backend)


@pytest.mark.parametrize("name", ["trapezoid", "cumulative_trapezoid"])
@pytest.mark.parametrize(
    ("y_dtype", "x_dtype", "dx"),
    [(np.int64, None, None), (np.int32, None, 2.5), (np.int64, np.int64, None),
     (np.int64, np.float32, None), (np.float32, np.int64, None), (np.float32, np.float64, None),
     (np.float16, None, 0.5)],
)  # fmt: skip
def test_trapezoid_result_dtypes_match_torch(backend, name, y_dtype, x_dtype, dx):
    y = np.array([[1, 2, 4], [3, -5, 6]], dtype=y_dtype)
    args = [] if x_dtype is None else [np.array([0, 1, 3], dtype=x_dtype)]
    kwargs = {} if dx is None else {"dx": dx}
    ours = getattr(xpnet, name)(t(y), *map(t, args), **kwargs)
    theirs = getattr(torch, name)(torch.tensor(y), *map(torch.tensor, args), **kwargs)
    assert ours.dtype == np.dtype(str(theirs.dtype).removeprefix("torch."))
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-3)


@pytest.mark.parametrize("dtype", [np.float64, np.int64])
def test_trapezoid_of_no_samples_is_zero(backend, dtype):
    y = np.zeros((2, 0, 3), dtype=dtype)
    for args in ([], [np.ones(5)]):  # x is not checked when there are no samples, as PyTorch
        ours = xpnet.trapezoid(t(y), *map(t, args), dim=1)
        theirs = torch.trapezoid(torch.tensor(y), *map(torch.tensor, args), dim=1)
        assert ours.dtype == dtype and ours.shape == tuple(theirs.shape) == (2, 3)
        assert not ours.numpy().any()
    ours = xpnet.cumulative_trapezoid(t(y), dim=1)
    assert ours.shape == tuple(torch.cumulative_trapezoid(torch.tensor(y), dim=1).shape)


def test_trapezoid_rules_have_no_host_reads_on_strict(strict):
    x = strict.asarray(np.array([0.0, 0.5, 2.0]))
    check_no_host_reads(strict, lambda y: xpnet.trapezoid(y, x))
    check_no_host_reads(strict, lambda y: xpnet.cumulative_trapezoid(y, dx=2.0, dim=0))


TRAPEZOID_ERRORS = [
    # (y, x, kwargs, xpnet's error, match)
    (np.ones((2, 3)), np.ones(2), {}, ArgumentError, "x must hold one point per sample of y in dim 1, got 2 points for 3 samples"),  # noqa: E501
    (np.ones((2, 3)), np.ones((2, 2, 3)), {}, ArgumentError, r"x's spacing of shape \(2, 1, 3\) does not broadcast with y's \(2, 2\)"),  # noqa: E501
    (np.ones((2, 3)), np.array(2.0), {}, ArgumentError, r"x's spacing of shape \(1, 0\) does not"),
    (np.ones((2, 3)), 2.0, {}, TypeError, "x must be a Tensor of sample points"),
    (np.ones((2, 3)), np.ones(3), {"dx": 2.0}, TypeError, "give the sample points x or the spacing dx, not both"),  # noqa: E501
    (np.ones((2, 3)), None, {"dx": True}, TypeError, "dx must be a number, got bool"),
    (np.ones((2, 3)), None, {"dim": 2}, IndexError, r"dim must be in \[-2, 1\]"),
    (np.ones((2, 3)), None, {"dim": 0.0}, TypeError, "dim must be an int"),
    (np.array(3.0), None, {}, IndexError, "y must have at least one dim, got a 0-d tensor"),
    (np.array([True, False]), None, {}, TypeError, "y must hold numbers, not bools"),
    (np.ones(2), np.array([True, False]), {}, TypeError, "x must hold numbers, not bools"),
]  # fmt: skip


@pytest.mark.parametrize("name", ["trapezoid", "cumulative_trapezoid"])
@pytest.mark.parametrize(("y", "x", "kwargs", "error", "match"), TRAPEZOID_ERRORS)
def test_trapezoid_errors_name_the_argument(backend, name, y, x, kwargs, error, match):
    args = [] if x is None else [x]
    theirs = [torch.tensor(a) if isinstance(a, np.ndarray) else a for a in args]
    with pytest.raises((RuntimeError, TypeError, IndexError)):
        getattr(torch, name)(torch.tensor(y), *theirs, **kwargs)
    ours = [t(a) if isinstance(a, np.ndarray) else a for a in args]
    with pytest.raises(error, match=f"xpnet.{name}: {match}"):
        getattr(xpnet, name)(t(y), *ours, **kwargs)


# renorm

X = random_input((4, 3, 2), seed=6, low=-2.0, high=2.0)


@pytest.mark.parametrize(
    ("p", "dim", "maxnorm"),
    [(2, 0, 1.5), (1, 1, 2.0), (3.0, -1, 1.0), (0.5, 2, 4.0), (float("inf"), 0, 1.0),
     (2, 1, 0.0), (2, 0, 100.0)],
)  # fmt: skip
def test_renorm_matches_torch(backend, p, dim, maxnorm):
    """Values and gradients: PyTorch's backward differentiates the scale factor too."""
    check_tensor_method(lambda x: x.renorm(p, dim, maxnorm), [X], backend)
    check_tensor_method(lambda x: x.renorm(p, dim, maxnorm), [X], backend, dtype=np.float32)
    check_tensor_method(rule("renorm", p=p, dim=dim, maxnorm=maxnorm), [X], backend)


def test_renorm_gradient_is_not_that_of_a_constant_factor(backend):
    """PyTorch's ``renorm_backward`` differentiates the factor ``maxnorm / (norm + 1e-7)``;
    treating it as a constant would give ``factor * grad`` alone."""
    theirs = torch.tensor([[3.0, 4.0]], dtype=torch.float64, requires_grad=True)
    theirs.renorm(2, 0, 1.0).sum().backward()
    ours = Tensor(xpnet.asarray(np.array([[3.0, 4.0]])), requires_grad=True)
    ours.renorm(2, 0, 1.0).sum().backward()
    np.testing.assert_allclose(xpnet.to_numpy(ours.grad), theirs.grad.numpy(), rtol=1e-12)
    constant = np.full((1, 2), 1.0 / (5.0 + 1e-7))
    assert np.abs(xpnet.to_numpy(ours.grad) - constant).max() > 0.1


def test_renorm_gradients_match_finite_differences(backend):
    def forward(x):
        return Tensor(x).renorm(3, 1, 1.0).array

    def backward(grad_output, x):
        tensor = Tensor(x, requires_grad=True)
        tensor.renorm(3, 1, 1.0).backward(grad_output)
        return tensor.grad

    check_finite_differences(forward, backward, [random_input((2, 3), seed=7)], backend)


def test_renorm_of_nan_inf_zero_and_empty_slices_matches_torch(backend):
    data = np.array([[1.0, 2.0], [3.0, np.nan], [3.0, np.inf], [0.0, 0.0]])
    for p, maxnorm in [(2, 1.0), (1, 0.0)]:
        theirs = torch.tensor(data).renorm(p, 0, maxnorm)
        np.testing.assert_array_equal(t(data).renorm(p, 0, maxnorm).numpy(), theirs.numpy())
    for dim in (0, 1):
        theirs = torch.zeros(0, 3, dtype=torch.float64).renorm(2, dim, 1.0)
        assert t(np.zeros((0, 3))).renorm(2, dim, 1.0).shape == tuple(theirs.shape)


def test_renorm_float16_uses_a_float32_norm(backend):
    data = X.astype(np.float16)
    ours = t(data).renorm(2, 0, 1.5)
    theirs = torch.tensor(data).renorm(2, 0, 1.5)
    assert ours.dtype == np.float16
    np.testing.assert_allclose(ours.numpy().astype(float), theirs.numpy().astype(float), rtol=1e-3)


def test_renorm_in_place_follows_torch(backend):
    x = t(X.copy())
    view = x.array
    assert x.renorm_(2, 0, 1.0) is x and x._version == 1
    np.testing.assert_allclose(xpnet.to_numpy(view), torch.tensor(X).renorm(2, 0, 1.0).numpy())
    leaf = Tensor(xpnet.asarray(X.copy()), requires_grad=True)
    with pytest.raises(RuntimeError, match="renorm_: a leaf tensor that requires grad"):
        leaf.renorm_(2, 0, 1.0)
    with xpnet.no_grad():
        leaf.renorm_(2, 0, 1.0)
    check_tensor_method(lambda x: (x * 2).renorm_(2, 1, 1.0), [X], backend)


def test_renorm_has_no_host_reads_on_strict(strict):
    check_no_host_reads(strict, lambda x: x.renorm(2, 0, 1.0), (3, 4))
    check_no_host_reads(strict, lambda x: xpnet.renorm(x, float("inf"), 1, 0.5), (3, 4))


RENORM_ERRORS = [
    # (shape, dtype, p, dim, maxnorm, xpnet's error, match)
    ((2, 3), np.float64, 0, 0, 1.0, ArgumentError, "p must be > 0 and maxnorm >= 0, got p=0"),
    ((2, 3), np.float64, -1, 0, 1.0, ArgumentError, "p must be > 0"),
    ((2, 3), np.float64, 2, 0, -1.0, ArgumentError, "p must be > 0 and maxnorm >= 0, got p=2, maxnorm=-1.0"),  # noqa: E501
    ((2, 3), np.float64, 2, 2, 1.0, IndexError, r"dim must be in \[-2, 1\]"),
    ((2, 3), np.float64, 2, 0.0, 1.0, TypeError, "dim must be an int, got 0.0"),
    ((3,), np.float64, 2, 0, 1.0, ArgumentError, "input must have at least 2 dims, got 1"),
    ((), np.float64, 2, 0, 1.0, ArgumentError, "input must have at least 2 dims, got 0"),
    ((2, 3), np.int64, 2, 0, 1.0, TypeError, "input must be floating point, got int64"),
    ((2, 3), np.float64, "fro", 0, 1.0, TypeError, "p must be a number, got str"),
    ((2, 3), np.float64, 2, 0, None, TypeError, "maxnorm must be a number, got NoneType"),
]  # fmt: skip


@pytest.mark.parametrize(("shape", "dtype", "p", "dim", "maxnorm", "error", "match"), RENORM_ERRORS)
def test_renorm_errors_name_the_argument(backend, shape, dtype, p, dim, maxnorm, error, match):
    with pytest.raises((RuntimeError, TypeError, IndexError)):
        torch.ones(shape, dtype=getattr(torch, np.dtype(dtype).name)).renorm(p, dim, maxnorm)
    with pytest.raises(error, match=f"xpnet.renorm: {match}"):
        t(np.ones(shape, dtype=dtype)).renorm(p, dim, maxnorm)
