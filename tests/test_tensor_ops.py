"""Tensor's shape, pointwise and reduction methods against PyTorch autograd in float64.

The same method call runs on an xpnet Tensor and on a torch tensor (the names and arguments
are PyTorch's), forward and backward with a random upstream gradient.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from _oracle import check_tensor_method, random_input

from xpnet.autograd import Tensor
from xpnet.backends import backend_of

NAN = np.nan


def x234():
    return random_input((2, 3, 4), seed=3)


@pytest.mark.parametrize(
    "method",
    [
        lambda t: t.transpose(0, 2),
        lambda t: t.transpose(-1, 1),
        lambda t: t.permute(2, 0, 1),
        lambda t: t.permute((-1, -3, 1)),
        lambda t: t.mT,
        lambda t: t[0].T,
        lambda t: t.unsqueeze(0).unsqueeze(-1).unsqueeze(2),
        lambda t: t[:, :1].squeeze(),
        lambda t: t[:1, :1].squeeze(-2),
        lambda t: t[:1, :1].squeeze((0, 2)),  # dim 2 (size 4) stays, as in PyTorch
        lambda t: t.clone() * 2,
        lambda t: t.transpose(0, 1).reshape(3, 8),  # a non-contiguous view, then a reshape
    ],
)
def test_shape_methods_match_torch(backend, method):
    check_tensor_method(method, [x234()], backend)


def test_shape_methods_of_a_0d_tensor_match_torch(backend):
    x = np.array(1.5)
    check_tensor_method(
        lambda t: t.transpose(0, -1).squeeze(0).unsqueeze(-1).permute(0), [x], backend
    )


def test_clone_is_a_copy(backend):
    x = Tensor(backend.asarray(np.zeros(3)))
    y = x.clone()
    y.array[0] = 1.0
    assert backend.to_host(x.array)[0] == 0.0


@pytest.mark.parametrize("name", ["exp", "log", "sqrt", "abs"])
def test_pointwise_methods_match_torch(backend, name):
    positive = random_input((3, 4), seed=1, low=0.1, high=2.0)
    check_tensor_method(lambda t: getattr(t, name)(), [positive], backend)


@pytest.mark.parametrize("name", ["exp", "log", "sqrt", "abs"])
def test_pointwise_methods_at_edge_values_match_torch(backend, name):
    """0, negatives, inf and NaN: -inf, NaN and inf values and gradients, as PyTorch; abs's
    gradient is 0 at 0 and at NaN (sgn)."""
    x = np.array([0.0, -0.0, -1.5, 2.0, np.inf, -np.inf, NAN])
    check_tensor_method(lambda t: getattr(t, name)(), [x], backend, grad_output=np.ones(7))


@pytest.mark.parametrize(
    "bounds", [(-0.5, 0.5), (None, 0.25), (-0.25, None), (0.5, -0.5), (-0.5, 0.0)]
)
def test_clamp_matches_torch(backend, bounds):
    """min > max gives max everywhere, as PyTorch; values at a bound pass the gradient."""
    x = np.array([[-1.0, -0.5, 0.0, 0.25, 0.5, 1.0, NAN]])
    check_tensor_method(lambda t: t.clamp(*bounds), [x], backend)
    check_tensor_method(lambda t: t.clip(min=bounds[0], max=bounds[1]), [x234()], backend)


def test_clamp_takes_array_bounds(backend):
    low = backend.asarray(np.array([0.0, -0.5, 0.2, 0.0]))
    x = Tensor(backend.asarray(x234()), requires_grad=True)
    y = x.clamp(min=low)
    y.backward(backend.asarray(np.ones((2, 3, 4))))
    torch_x = torch.tensor(x234(), requires_grad=True)
    expected = torch_x.clamp(min=torch.tensor([0.0, -0.5, 0.2, 0.0], dtype=torch.float64))
    expected.backward(torch.ones(2, 3, 4, dtype=torch.float64))
    np.testing.assert_array_equal(backend.to_host(y.array), expected.detach().numpy())
    np.testing.assert_array_equal(backend.to_host(x.grad.array), torch_x.grad.numpy())


# ties (3.0 twice in row 0, 2.0 twice in row 1) and a NaN (row 2): which element gets the
# gradient is what differs between max(dim), max() and amax
TIES = np.array([[1.0, 3.0, 3.0, 0.0], [2.0, 2.0, -1.0, 2.0], [0.0, NAN, 5.0, NAN]])


@pytest.mark.parametrize("name", ["max", "min"])
@pytest.mark.parametrize("dim, keepdim", [(1, False), (-1, True), (0, False)])
def test_max_min_along_dim_match_torch_values_indices_and_gradient(backend, name, dim, keepdim):
    """The gradient goes to the index returned: the first of the ties, or the first NaN."""
    check_tensor_method(lambda t: getattr(t, name)(dim, keepdim).values, [TIES], backend)
    check_tensor_method(lambda t: getattr(t, name)(dim=dim, keepdim=keepdim)[0], [x234()], backend)
    indices = getattr(Tensor(backend.asarray(TIES)), name)(dim, keepdim).indices
    expected = getattr(torch.tensor(TIES), name)(dim, keepdim).indices.numpy()
    np.testing.assert_array_equal(backend.to_host(indices.array), expected)


@pytest.mark.parametrize("name", ["max", "min"])
@pytest.mark.parametrize("rows", [slice(0, 1), slice(1, 2), slice(None)])
def test_max_min_of_all_elements_share_the_gradient_among_ties_as_torch(backend, name, rows):
    """No dim: the ties share the gradient evenly; with NaNs, the NaNs share it."""
    check_tensor_method(lambda t: getattr(t, name)(), [TIES[rows]], backend)


@pytest.mark.parametrize("name", ["amax", "amin"])
@pytest.mark.parametrize("dim, keepdim", [(1, False), (-2, True), ((0, 1), False), ((), True)])
def test_amax_amin_match_torch(backend, name, dim, keepdim):
    """Ties share the gradient evenly; a slice with a NaN gets NaN gradients, as PyTorch's."""
    check_tensor_method(lambda t: getattr(t, name)(dim, keepdim), [TIES], backend)
    check_tensor_method(lambda t: getattr(t, name)(dim=dim, keepdim=keepdim), [x234()], backend)


def test_max_of_a_0d_tensor_along_dim_0_matches_torch(backend):
    check_tensor_method(lambda t: t.max(0).values + t.amin(-1), [np.array(2.0)], backend)
    assert Tensor(backend.asarray(np.array(2.0))).min(0).indices.item() == 0


@pytest.mark.parametrize(
    "method",
    [
        lambda t: t.var(),
        lambda t: t.var(1),
        lambda t: t.var(dim=(0, 2), keepdim=True),
        lambda t: t.var(-1, unbiased=False),
        lambda t: t.var(False),
        lambda t: t.var(dim=1, correction=2),
        lambda t: t.std(),
        lambda t: t.std(dim=[0, -1], correction=0, keepdim=True),
        lambda t: t.std(1, True, True),
    ],
)
def test_var_std_match_torch(backend, method):
    check_tensor_method(method, [x234()], backend)


def test_var_std_of_too_few_elements_and_constant_rows_match_torch(backend):
    """N - correction <= 0 divides by 0 (inf, NaN), a zero std has NaN gradients: PyTorch's."""
    constant = np.array([[1.0, 1.0, 1.0], [1.0, 2.0, 4.0]])
    check_tensor_method(lambda t: t.std(1), [constant], backend)
    with pytest.warns(UserWarning, match="degrees of freedom"):  # torch's, not xpnet's
        check_tensor_method(lambda t: t.var(0, correction=2) + t[:1].var(0), [constant], backend)


@pytest.mark.parametrize(
    "method",
    [lambda t: t.mean(), lambda t: t.mean(0), lambda t: t.mean(1, keepdim=True)],
)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_mean_of_an_empty_tensor_is_nan_without_a_warning(backend, method, dtype):
    """Regression: NumPy's "Mean of empty slice" and the backward's division by a count of 0
    leaked as RuntimeWarnings (pytest turns them into errors); PyTorch gives NaN quietly."""
    check_tensor_method(method, [np.zeros((0, 3))], backend, dtype=dtype)


@pytest.mark.parametrize(
    "x",
    [
        np.array([[1.5, -2.0, 0.5], [0.0, 3.0, 2.0]]),  # one zero
        np.array([[0.0, -2.0, 0.0], [0.0, 3.0, 2.0]]),  # two zeros in a row
        np.array([[0.5, NAN, 2.0], [np.inf, 0.0, 2.0]]),
    ],
)
@pytest.mark.parametrize(
    "method",
    [lambda t: t.prod(), lambda t: t.prod(1), lambda t: t.prod(-2, keepdim=True)],
)
def test_prod_matches_torch_with_zeros(backend, x, method):
    check_tensor_method(method, [x], backend)


def test_sum_dtype_casts_first_and_the_gradient_keeps_the_input_dtype(backend):
    x = Tensor(backend.asarray(np.array([1.5, 2.25], dtype=np.float32)), requires_grad=True)
    total = x.sum(dtype=np.float64)
    assert total.dtype == np.float64
    total.backward()
    assert x.grad.dtype == np.float32
    check_tensor_method(
        lambda t: t.sum(1, dtype=torch.float64 if isinstance(t, torch.Tensor) else np.float64),
        [x234()],
        backend,
    )


@pytest.mark.parametrize("dtype", ["uint8", "uint16", "uint32", "bool", "int8", "int32"])
@pytest.mark.parametrize("reduction", ["sum", "prod"])
def test_integer_sums_and_products_are_int64_as_torchs(backend, dtype, reduction):
    values = np.array([[1, 2, 0], [3, 1, 1]]).astype(dtype)
    x, t = Tensor(backend.asarray(values)), torch.from_numpy(values)
    for args in [(), (0,), (1, True)]:
        ours, theirs = getattr(x, reduction)(*args), getattr(t, reduction)(*args)
        assert str(ours.dtype) == str(theirs.dtype).removeprefix("torch."), (reduction, args)
        np.testing.assert_array_equal(xpnet_numpy(ours), theirs.numpy())


def xpnet_numpy(tensor):
    return backend_of(tensor.array).to_host(tensor.array)


def test_prod_dtype_casts_first(backend):
    x = Tensor(backend.asarray(np.array([2, 3, 4])))
    assert x.prod(dtype="float32").dtype == np.float32
    assert x.prod(0, dtype=np.float64).item() == 24.0


@pytest.mark.parametrize(
    "method, error, match",
    [
        (lambda t: t.transpose(0, 3), IndexError, r"transpose: dim must be in \[-3, 2\].*got 3"),
        (lambda t: t.transpose(-4, 0), IndexError, r"transpose: .*got -4"),
        (lambda t: t.permute(0, 1), ValueError, "permute: dims must list each of the 3"),
        (lambda t: t.permute(0, 1, -3), RuntimeError, "permute: dims must list each"),
        (lambda t: t.permute(0, 1, 3), IndexError, "permute: dim must be in"),
        (lambda t: t.squeeze(3), IndexError, r"squeeze: dim must be in \[-3, 2\]"),
        (lambda t: t.squeeze((0, 0)), ValueError, "squeeze: dim must name each dimension"),
        (lambda t: t.unsqueeze(4), IndexError, r"unsqueeze: dim must be in \[-4, 3\].*got 4"),
        (lambda t: t[0, 0].mT, ValueError, "mT: needs a matrix"),
        (lambda t: t.clamp(), ValueError, "clamp: at least one of min and max"),
        (lambda t: t.max(3), IndexError, r"max: dim must be in \[-3, 2\].*got 3"),
        (lambda t: t.min(1.0), TypeError, "min: dim must be an int, got 1.0"),
        (lambda t: t.amax((1, 5)), IndexError, "amax: dim must be in"),
        (lambda t: t[:, :0].amin(1), IndexError, "amin: cannot reduce dimension 1 of size 0"),
        (lambda t: t[:0].max(), RuntimeError, "max: expected a dim for an input of no elements"),
        (lambda t: t.var(-4), IndexError, r"var: dim must be in \[-3, 2\]"),
        (lambda t: t.std(1, True, correction=0), TypeError, "std: give unbiased or correction"),
        (lambda t: t.prod(3), IndexError, "prod: dim must be in"),
        (lambda t: t.argmax(3), IndexError, "argmax: dim must be in"),
    ],
)
def test_methods_reject_bad_arguments(backend, method, error, match):
    with pytest.raises(error, match=match):
        method(Tensor(backend.asarray(x234())))


def test_max_along_dim_is_a_named_pair_as_torch(backend):
    values, indices = Tensor(backend.asarray(TIES[:2])).max(1)
    assert indices.tolist() == [1, 0] and values.tolist() == [3.0, 2.0]
    assert not indices.requires_grad and indices.dtype == np.int64


def test_methods_keep_float32(backend):
    """Results and gradients stay float32 (no float64 from a Python number or a divisor)."""
    check_tensor_method(
        lambda t: t.permute(1, 0, 2).exp().clamp(0.5, 2.0).std(1) * t.amax(0) + t.prod(0),
        [x234()],
        backend,
        dtype=np.float32,
    )
