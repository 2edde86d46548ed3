"""nn.Unflatten and nn.Softmax2d: forward, gradients, errors and repr against torch."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from _oracle import assert_close, random_input

import xpnet
from xpnet import nn
from xpnet.autograd import Tensor


def check_forward_and_grad(module, torch_module, shape, backend):
    """Output and input gradient (``.backward()`` of a random grad_output) in float64."""
    x, grad_output = random_input(shape, seed=1), random_input(shape, seed=2)
    ours = Tensor(backend.asarray(x), requires_grad=True)
    output = module(ours)
    theirs = torch.from_numpy(x).requires_grad_()
    expected = torch_module(theirs)
    grad_output = grad_output.reshape(expected.shape)
    output.backward(backend.asarray(grad_output))
    expected.backward(torch.from_numpy(grad_output))
    assert type(output.array) is backend.ndarray and output.array.dtype == np.float64
    assert_close(xpnet.to_numpy(output.array), expected.detach().numpy(), np.float64)
    assert_close(xpnet.to_numpy(ours.grad), theirs.grad.numpy(), np.float64, "grad_input")


@pytest.mark.parametrize(
    "shape, dim, sizes",
    [
        ((4, 6), 1, (2, 3)),
        ((4, 6), -1, [3, -1]),
        ((4, 6), 0, (-1, 2, 1)),
        ((2, 12, 5), 1, (2, 3, 2)),
        ((2, 12, 5), -2, (12,)),
        ((2, 0, 5), 1, (3, 0)),
    ],
)
def test_unflatten_matches_torch(shape, dim, sizes, backend):
    check_forward_and_grad(nn.Unflatten(dim, sizes), torch.nn.Unflatten(dim, sizes), shape, backend)


def test_unflatten_inverts_flatten(backend):
    x = Tensor(backend.asarray(random_input((3, 2, 4, 5))))
    net = nn.Sequential(nn.Flatten(), nn.Unflatten(1, (2, 4, 5)))
    assert np.array_equal(xpnet.to_numpy(net(x).array), xpnet.to_numpy(x.array))


def test_unflatten_repr_as_torch():
    for sizes in [(2, 3), [2, -1]]:
        assert repr(nn.Unflatten(1, sizes)) == repr(torch.nn.Unflatten(1, sizes))


@pytest.mark.parametrize(
    "sizes, message",
    [
        (3, "unflattened_size must be a tuple of ints, but found type int"),
        ("ab", "unflattened_size must be a tuple of ints, but found type str"),
        ((2.0, 3), "must be tuple of ints, but found element of type float at pos 0"),
    ],
)
def test_unflatten_rejects_sizes_when_built_as_torch(sizes, message):
    for library in (nn, torch.nn):
        with pytest.raises(TypeError, match=message):
            library.Unflatten(1, sizes)


@pytest.mark.parametrize(
    "dim, sizes, error, message",
    [
        (2, (2, 3), IndexError, r"dim must be in \[-2, 1\] for shape \(4, 6\), got 2"),
        (-3, (2, 3), IndexError, "got -3"),
        (1, (2, 2), ValueError, r"\(2, 2\) must multiply up to the size of dim 1 \(6\)"),
        (1, (4, -1), ValueError, "must multiply up to the size of dim 1"),
        (1, (), ValueError, "unflattened_size must be non-empty"),
        (1, (-1, -1), ValueError, "at most one -1, got"),
        (1, (-2, -3), ValueError, "sizes >= 0"),
    ],
)
def test_unflatten_rejects_as_torch(dim, sizes, error, message):
    with pytest.raises(error, match=message):
        nn.Unflatten(dim, sizes)(np.zeros((4, 6)))
    with pytest.raises(RuntimeError if error is ValueError else error):
        torch.nn.Unflatten(dim, sizes)(torch.zeros(4, 6))


def test_unflatten_zero_elements_with_minus_one_is_ambiguous_as_torch():
    with pytest.raises(RuntimeError, match="must multiply up"):  # ArgumentError is both
        nn.Unflatten(1, (0, -1))(np.zeros((2, 0)))
    with pytest.raises(RuntimeError, match="ambiguous"):
        torch.nn.Unflatten(1, (0, -1))(torch.zeros(2, 0))


@pytest.mark.parametrize("shape", [(2, 3, 4, 5), (3, 4, 5), (1, 1, 2, 2)])
def test_softmax2d_matches_torch(shape, backend):
    check_forward_and_grad(nn.Softmax2d(), torch.nn.Softmax2d(), shape, backend)


def test_softmax2d_sums_to_one_over_channels(backend):
    output = nn.Softmax2d()(Tensor(backend.asarray(random_input((2, 3, 4, 5)))))
    assert np.allclose(xpnet.to_numpy(output.array).sum(axis=1), 1.0)


@pytest.mark.parametrize("shape", [(3,), (2, 3), (1, 2, 3, 4, 5)])
def test_softmax2d_rejects_other_ranks_as_torch(shape):
    message = f"Softmax2d: expected input to be 3D or 4D, got {len(shape)}D instead"
    with pytest.raises(ValueError, match=message):
        nn.Softmax2d()(np.zeros(shape))
    with pytest.raises(ValueError, match=message):
        torch.nn.Softmax2d()(torch.zeros(shape))


def test_new_modules_are_exported_and_print_as_torch():
    assert {"Unflatten", "Softmax2d"} <= set(nn.__all__)
    assert repr(nn.Softmax2d()) == repr(torch.nn.Softmax2d()) == "Softmax2d()"
    assert list(nn.Softmax2d().parameters()) == []
