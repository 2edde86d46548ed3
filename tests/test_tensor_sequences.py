"""``unique_consecutive``, ``combinations``, ``vander`` and ``histogram`` of
:mod:`xpnet._tensor_sequences` against PyTorch 2.13: values, dtypes and shapes (NaN, bools,
dims, 0-d and empty inputs), the gradients of ``combinations`` and ``vander`` in float64 and
float32 and by finite differences, the strict backend's host reads, and the error paths."""

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

NAN = np.nan


def t(array):
    return Tensor(xpnet.asarray(np.asarray(array)))


def same(ours, theirs):
    """Tensors (or tuples of them) equal to PyTorch's, value by value, dtype and shape."""
    ours = ours if isinstance(ours, tuple) else (ours,)
    theirs = theirs if isinstance(theirs, tuple) else (theirs,)
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs, strict=True):
        assert a.dtype == np.dtype(str(b.dtype).removeprefix("torch.")), (a.dtype, b.dtype)
        np.testing.assert_array_equal(a.numpy(), b.detach().numpy())


# unique_consecutive

RUNS = np.array([1.0, 1.0, NAN, NAN, 2.0, 2.0, 1.0, 0.0, -0.0, 3.0])
ROWS = np.array([[1, 2], [1, 2], [3, 4], [1, 2], [1, 2]])


@pytest.mark.parametrize(
    ("data", "dim"),
    [
        (RUNS, None),  # NaNs never equal (each a run), 0.0 == -0.0
        (RUNS, 0),
        (RUNS.reshape(2, 5), None),
        (ROWS, 0),
        (ROWS, None),
        (ROWS.T.copy(), 1),
        (ROWS.T.copy(), -1),
        (np.array([[1.0, NAN], [1.0, NAN], [2.0, 3.0]]), 0),  # NaN slices differ too
        (np.array([True, True, False, False, True]), None),
        (np.array(5.0), None),  # 0-d: values (1,), inverse 0-d
        (np.zeros((0, 3)), None),
        (np.zeros((0, 3)), 0),
        (np.random.default_rng(0).integers(0, 2, (3, 6, 2)), 1),
    ],
)
def test_unique_consecutive_matches_torch(backend, data, dim):
    for flags in [(False, False), (True, False), (False, True), (True, True)]:
        kwargs = {"return_inverse": flags[0], "return_counts": flags[1], "dim": dim}
        expected = torch.unique_consecutive(torch.tensor(data), **kwargs)
        same(xpnet.unique_consecutive(t(data), **kwargs), expected)
        same(t(data).unique_consecutive(*flags, dim), expected)
    same(xpnet.unique_consecutive(xpnet.asarray(data)), torch.tensor(data).unique_consecutive())


def test_unique_consecutive_is_not_differentiable(backend):
    x = Tensor(xpnet.asarray(np.array([1.0, 1.0, 2.0])), requires_grad=True)
    values, counts = x.unique_consecutive(return_counts=True)
    assert not values.requires_grad and values.grad_fn is None
    assert counts.tolist() == [2, 1]


@pytest.mark.parametrize(
    ("shape", "dim", "error", "match"),
    [
        ((2, 3), 2, IndexError, r"unique_consecutive: dim must be in \[-2, 1\]"),
        ((), 0, IndexError, "unique_consecutive: dim=0 given for a 0-d tensor"),
        ((2, 3), 1.0, TypeError, "unique_consecutive: dim must be an int"),
        ((3, 0), 0, ArgumentError, r"unique_consecutive: an empty input must have size 0 in "),
        ((0, 0), 0, ArgumentError, r"size 0 in dim=0 only, got shape \(0, 0\)"),
    ],
)
def test_unique_consecutive_errors_name_the_argument(backend, shape, dim, error, match):
    with pytest.raises((RuntimeError, IndexError, TypeError)):
        torch.unique_consecutive(torch.ones(shape), dim=dim)
    with pytest.raises(error, match=match):
        xpnet.unique_consecutive(t(np.ones(shape)), dim=dim)


# combinations


@pytest.mark.parametrize("r", [0, 1, 2, 3, 5])
@pytest.mark.parametrize("with_replacement", [False, True])
def test_combinations_match_torch(backend, r, with_replacement):
    for data in (np.arange(4), np.array([True, False, True]), np.zeros(0)):
        expected = torch.combinations(torch.tensor(data), r, with_replacement)
        same(xpnet.combinations(t(data), r, with_replacement), expected)


@pytest.mark.parametrize(("r", "with_replacement"), [(1, False), (2, False), (3, True), (2, True)])
def test_combinations_gradients_match_torch(backend, r, with_replacement):
    def call(x):
        namespace = torch if isinstance(x, torch.Tensor) else xpnet
        return namespace.combinations(x, r=r, with_replacement=with_replacement)

    x = random_input((5,), seed=1)
    check_tensor_method(call, [x], backend)
    check_tensor_method(call, [x], backend, dtype=np.float32)


def test_combinations_gradients_match_finite_differences(backend):
    def forward(x):
        return xpnet.combinations(Tensor(x), 3, with_replacement=True).array

    def backward(grad_output, x):
        tensor = Tensor(x, requires_grad=True)
        xpnet.combinations(tensor, 3, with_replacement=True).backward(grad_output)
        return tensor.grad

    check_finite_differences(forward, backward, [random_input((4,), seed=2)], backend)


def test_combinations_of_r_0_is_empty_and_unconnected(backend):
    x = Tensor(xpnet.asarray(np.ones(3)), requires_grad=True)
    result = xpnet.combinations(x, r=0)
    assert result.shape == (0,) and not result.requires_grad
    assert not torch.combinations(torch.ones(3, requires_grad=True), r=0).requires_grad


@pytest.mark.parametrize(
    ("data", "r", "error", "match"),
    [
        (np.ones((2, 2)), 2, ArgumentError, r"combinations: input must be 1-D, got shape \(2, 2\)"),
        (np.array(1.0), 2, ArgumentError, r"combinations: input must be 1-D, got shape \(\)"),
        (np.ones(3), -1, ArgumentError, "combinations: r must be non-negative, got -1"),
        (np.ones(3), 1.0, TypeError, "combinations: r must be an int, got float"),
    ],
)
def test_combinations_errors_name_the_argument(backend, data, r, error, match):
    with pytest.raises((RuntimeError, TypeError)):
        torch.combinations(torch.tensor(data), r)
    with pytest.raises(error, match=match):
        xpnet.combinations(t(data), r)
    with pytest.raises(TypeError, match="combinations: input must be a Tensor or an array"):
        xpnet.combinations([1.0, 2.0])


# vander


@pytest.mark.parametrize("N", [None, 0, 1, 2, 4])
@pytest.mark.parametrize("increasing", [False, True])
def test_vander_matches_torch(backend, N, increasing):
    for data in (np.array([2, -3, 0, 5]), np.array([0.5, -2.0, 0.0]), np.array([True, False])):
        same(xpnet.vander(t(data), N, increasing), torch.vander(torch.tensor(data), N, increasing))
    same(xpnet.vander(t(np.zeros(0)), N=N), torch.vander(torch.zeros(0, dtype=torch.float64), N))
    same(
        xpnet.vander(t(np.array([1, 2], dtype=np.int8)), N=3),
        torch.vander(torch.tensor([1, 2], dtype=torch.int8), N=3),
    )


def torch_vander(N, increasing):
    """PyTorch's formula for ``vander`` (``aten/src/ATen/native/LinearAlgebra.cpp``) without its
    in-place steps, whose backward PyTorch 2.13 refuses: the gradient oracle."""

    def call(x):
        if not isinstance(x, torch.Tensor):
            return xpnet.vander(x, N=N, increasing=increasing)
        powers = torch.cumprod(x.unsqueeze(1).expand(x.shape[0], N - 1), 1)
        result = torch.cat([torch.ones(x.shape[0], 1, dtype=x.dtype), powers], 1)
        assert torch.equal(result.flip(1), torch.vander(x.detach(), N))
        return result if increasing else result.flip(1)

    return call


@pytest.mark.parametrize(("N", "increasing"), [(2, False), (4, False), (5, True)])
def test_vander_gradients_match_torch_formula(backend, N, increasing):
    x = random_input((4,), seed=3, low=-2.0, high=2.0)
    x[1] = 0.0  # cumprod's gradient is exact at zeros
    check_tensor_method(torch_vander(N, increasing), [x], backend)
    check_tensor_method(torch_vander(N, increasing), [x], backend, dtype=np.float32)


def test_vander_backward_raises_in_torch_but_not_here(backend):
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        torch.vander(torch.ones(2, requires_grad=True), N=3).sum().backward()
    x = Tensor(xpnet.asarray(np.array([0.0, 2.0])), requires_grad=True)
    xpnet.vander(x, N=4).sum().backward()
    assert x.grad.tolist() == [1.0, 1.0 + 2 * 2.0 + 3 * 4.0]
    assert not xpnet.vander(x, N=1).requires_grad  # ones, as PyTorch's


def test_vander_gradients_match_finite_differences(backend):
    def forward(x):
        return xpnet.vander(Tensor(x), N=4).array

    def backward(grad_output, x):
        tensor = Tensor(x, requires_grad=True)
        xpnet.vander(tensor, N=4).backward(grad_output)
        return tensor.grad

    check_finite_differences(forward, backward, [random_input((3,), seed=4)], backend)


@pytest.mark.parametrize(
    ("data", "N", "error", "match"),
    [
        (np.ones((2, 2)), None, ArgumentError, r"vander: x must be 1-D, got shape \(2, 2\)"),
        (np.array(2.0), None, ArgumentError, "vander: x must be 1-D"),
        (np.ones(3), -1, ArgumentError, "vander: N must be non-negative, got -1"),
        (np.ones(3), 2.0, TypeError, "vander: N must be an int, got float"),
    ],
)
def test_vander_errors_name_the_argument(backend, data, N, error, match):
    with pytest.raises((RuntimeError, TypeError)):
        torch.vander(torch.tensor(data), N)
    with pytest.raises(error, match=match):
        xpnet.vander(t(data), N)


def test_combinations_and_vander_have_no_host_reads_on_strict(strict):
    check_no_host_reads(strict, lambda x: xpnet.combinations(x, 2), (4,))
    check_no_host_reads(strict, lambda x: xpnet.vander(x, 3, increasing=True), (4,))


# histogram

DATA = random_input((3, 40), seed=5, low=-2.0, high=3.0)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize(
    "kwargs",
    [
        {"bins": 7},
        {"bins": 1},
        {"bins": 5, "range": (-1.0, 1.0)},
        {"bins": 4, "range": (0, 4)},  # ints
        {"bins": 6, "density": True},
        {"bins": 6, "range": (-3.0, 0.5), "density": True, "weight": True},
        {"bins": [-2.0, -0.5, 0.0, 0.25, 3.0]},
        {"bins": [-1.0, 0.0, 1.0], "weight": True, "density": True},
        {"bins": 3, "range": (10.0, 11.0), "density": True},  # nothing counted: NaN
    ],
)
def test_histogram_matches_torch(backend, dtype, kwargs):
    data = DATA.astype(dtype)
    ours, theirs = dict(kwargs), dict(kwargs)
    if isinstance(kwargs["bins"], list):
        ours["bins"] = t(np.array(kwargs["bins"], dtype=dtype))
        theirs["bins"] = torch.tensor(kwargs["bins"], dtype=getattr(torch, np.dtype(dtype).name))
    if kwargs.get("weight"):
        weight = random_input(data.shape, seed=6, low=0.0, high=2.0).astype(dtype)
        ours["weight"], theirs["weight"] = t(weight), torch.tensor(weight)
    result = xpnet.histogram(t(data), **ours)
    expected = torch.histogram(torch.tensor(data), **theirs)
    rtol = 1e-12 if dtype == np.float64 else 1e-6  # densities: the division's rounding
    for name in ("hist", "bin_edges"):
        ours_part, theirs_part = getattr(result, name), getattr(expected, name)
        assert ours_part.dtype == dtype and ours_part.shape == tuple(theirs_part.shape)
        np.testing.assert_allclose(ours_part.numpy(), theirs_part.numpy(), rtol=rtol)
    np.testing.assert_array_equal(result.bin_edges.numpy(), expected.bin_edges.numpy())
    method = t(data).histogram(**ours)
    for a, b in zip(method, result, strict=True):  # the method is the function
        np.testing.assert_array_equal(a.numpy(), b.numpy())


@pytest.mark.parametrize(
    ("data", "kwargs"),
    [
        (np.array([0.0, 1.0, 2.0, 3.0, 4.0, 4.0]), {"bins": 4}),  # on the edges; max: last bin
        (np.array([1.0, NAN, 2.0, -5.0, 9.0]), {"bins": 2, "range": (0.0, 4.0)}),  # left out
        (np.array([5.0]), {"bins": 2}),  # one value: (4.5, 5.5)
        (np.zeros(0), {"bins": 3}),  # no data: (-0.5, 0.5)
        (np.array([[1.0, 2.0], [3.0, 4.0]]), {"bins": 2}),  # any shape, flattened
        (np.array([2.0, 2.0, 2.0]), {"bins": 3, "range": (2.0, 2.0)}),
    ],
)
def test_histogram_edge_cases_match_torch(backend, data, kwargs):
    expected = torch.histogram(torch.tensor(data), **kwargs)
    same(tuple(xpnet.histogram(t(data), **kwargs)), tuple(expected))


def test_histogram_has_no_host_reads_with_range_or_edges(strict):
    from xpnet.backends import host_reads_forbidden, use_backend

    with use_backend("strict"):
        x = Tensor(strict.asarray(DATA))
        with host_reads_forbidden():
            hist, edges = xpnet.histogram(x, 5, range=(-1.0, 1.0), density=True)
            hist, _ = x.histogram(edges, weight=x)
        assert hist.shape == (5,)


HISTOGRAM_ERRORS = [
    # (input, kwargs, xpnet's error, match)
    (np.array([1, 2]), {"bins": 3}, TypeError, "histogram: input must be float32 or float64, got int64"),  # noqa: E501
    (np.array([1.0], np.float16), {"bins": 3}, TypeError, "histogram: input must be float32 or float64, got float16"),  # noqa: E501
    (np.ones(3), {"bins": 0}, ArgumentError, "histogram: bins must be > 0, got 0"),
    (np.ones(3), {"bins": -1}, ArgumentError, "histogram: bins must be > 0, got -1"),
    (np.ones(3), {"bins": 2.0}, TypeError, "histogram: bins must be a Tensor or an array, got float"),  # noqa: E501
    (np.ones(3), {"bins": 2, "range": (3.0, 0.0)}, ArgumentError, r"histogram: range's min must not exceed its max, got \[3.0, 0.0\]"),  # noqa: E501
    (np.ones(3), {"bins": 2, "range": (0.0, np.inf)}, ArgumentError, r"histogram: range \[0.0, inf\] is not finite"),  # noqa: E501
    (np.ones(3), {"bins": 2, "range": (0.0,)}, ArgumentError, r"histogram: range must be a pair \(min, max\)"),  # noqa: E501
    (np.array([1.0, NAN]), {"bins": 2}, ArgumentError, r"histogram: range \[nan, nan\] is not finite"),  # noqa: E501
    (np.ones(3), {"bins": np.array([0.0, 1.0]), "range": (0.0, 1.0)}, TypeError, "histogram: range applies to an int bins only"),  # noqa: E501
    (np.ones(3), {"bins": np.array([0.0, 1.0], np.float32)}, ArgumentError, "histogram: bins must have input's dtype float64, got float32"),  # noqa: E501
    (np.ones(3), {"bins": np.array([[0.0, 1.0]])}, ArgumentError, r"histogram: a bins tensor must be 1-D with at least 2 edges, got shape \(1, 2\)"),  # noqa: E501
    (np.ones(3), {"bins": np.array([1.0])}, ArgumentError, "at least 2 edges"),
    (np.ones(3), {"bins": 2, "weight": np.ones(2)}, ArgumentError, r"histogram: weight must have input's shape \(3,\) and dtype float64, got \(2,\)"),  # noqa: E501
    (np.ones(3), {"bins": 2, "weight": np.ones(3, np.float32)}, ArgumentError, "weight must have input's shape"),  # noqa: E501
]  # fmt: skip


@pytest.mark.parametrize(("data", "kwargs", "error", "match"), HISTOGRAM_ERRORS)
def test_histogram_errors_name_the_argument(backend, data, kwargs, error, match):
    theirs = {k: torch.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}
    with pytest.raises((RuntimeError, TypeError, NotImplementedError)):
        torch.histogram(torch.tensor(data), **theirs)
    ours = {k: t(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}
    with pytest.raises(error, match=match):
        xpnet.histogram(t(data), **ours)


NAMES = ["unique_consecutive", "combinations", "vander", "histogram", "trapezoid", "trapz",
         "cumulative_trapezoid", "renorm", "renorm_"]  # fmt: skip


@pytest.mark.parametrize("name", NAMES)
def test_functions_and_methods_are_torchs(name):
    assert hasattr(xpnet, name) == hasattr(torch, name)
    assert hasattr(Tensor, name) == hasattr(torch.Tensor, name)
