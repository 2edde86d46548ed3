"""The in-place methods of :mod:`xpnet._tensor_inplace_more` against PyTorch: values (and
the array itself changing, seen by its views), gradients through recorded in-place changes of
non-leaf tensors, version counting, the leaf-requiring-grad error, and shape changes."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from _oracle import check_tensor_method, random_input

import xpnet
from xpnet.autograd import Tensor
from xpnet.kernels import ArgumentError

X = random_input((3, 4), seed=3, low=0.2, high=2.0)


def t(array):
    return Tensor(xpnet.asarray(np.asarray(array)))


SAME_SHAPE = [
    ("relu_", ()),
    ("sigmoid_", ()),
    ("tanh_", ()),
    ("abs_", ()),
    ("exp_", ()),
    ("log_", ()),
    ("sqrt_", ()),
    ("neg_", ()),
    ("sign_", ()),
    ("floor_", ()),
    ("ceil_", ()),
    ("round_", ()),
    ("trunc_", ()),
    ("reciprocal_", ()),
    ("lerp_", ("other", 0.3)),
    ("addcmul_", ("other", "other")),
    ("addcdiv_", ("other", "other")),
]


def _args(args, other):
    return [other if a == "other" else a for a in args]


@pytest.mark.parametrize(("name", "args"), SAME_SHAPE)
def test_same_shape_methods_match_torch(backend, name, args):
    """In place on a non-leaf (``x * 1``): the values and every gradient are PyTorch's."""
    data = X * np.array([1.0, -1.0, 1.0, -1.0]) if name in ("relu_", "abs_", "sign_") else X

    def method(x, y):
        return getattr(x * 1, name)(*_args(args, y))

    check_tensor_method(method, [data, X[::-1].copy()], backend)
    plain = t(data)
    view, version = plain.array[1:], plain._version
    assert getattr(plain, name)(*_args(args, t(X[::-1].copy()))) is plain
    assert plain._version == version + 1
    np.testing.assert_array_equal(xpnet.to_numpy(view), plain.numpy()[1:])


def test_masked_fill_and_fill_diagonal_match_torch(backend):
    mask = np.array([[True, False, False, True]] * 3)
    check_tensor_method(
        lambda x: (x * 1).masked_fill_(
            torch.tensor(mask) if isinstance(x, torch.Tensor) else t(mask), -2.0
        ),
        [X],
        backend,
    )
    check_tensor_method(lambda x: (x * 1).fill_diagonal_(5.0), [X], backend)
    for shape, wrap in (((7, 3), True), ((7, 3), False), ((3, 5), False), ((3, 3, 3), False)):
        ours = xpnet.zeros(*shape).fill_diagonal_(1.0, wrap=wrap)
        theirs = torch.zeros(*shape).fill_diagonal_(1.0, wrap=wrap)
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    with pytest.raises(ArgumentError, match="fill_diagonal_: dimensions must larger than 1"):
        xpnet.zeros(3).fill_diagonal_(1)
    with pytest.raises(ArgumentError, match="fill_diagonal_: all dimensions of input must be"):
        xpnet.zeros(2, 3, 3).fill_diagonal_(1)


@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("squeeze_", ()),
        ("squeeze_", (1,)),
        ("unsqueeze_", (-1,)),
        ("t_", ()),
        ("transpose_", (0, 2)),
    ],  # fmt: skip
)
def test_shape_changing_methods_match_torch(backend, name, args):
    data = random_input((3, 1, 2), seed=5) if name != "t_" else X
    check_tensor_method(lambda x: getattr(x * 2, name)(*args), [data], backend)
    ours, theirs = t(data), torch.tensor(data)
    assert getattr(ours, name)(*args) is ours and ours._version == 1
    getattr(theirs, name)(*args)
    assert ours.shape == tuple(theirs.shape)
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_leaf_error_no_grad_and_version_check(backend):
    for name, args in [*SAME_SHAPE[:3], ("squeeze_", ()), ("fill_diagonal_", (0.0,))]:
        leaf = Tensor(xpnet.asarray(X), requires_grad=True)
        with pytest.raises(RuntimeError, match=f"Tensor.{name}: a leaf tensor that requires grad"):
            getattr(leaf, name)(*_args(args, leaf))
        with xpnet.no_grad():
            getattr(leaf, name)(*_args(args, leaf))
        assert leaf.requires_grad and leaf._version == 1
    x = Tensor(xpnet.asarray(X), requires_grad=True)
    y = x * 1
    z = y.exp()  # saves y
    with xpnet.no_grad():
        y.sigmoid_()  # the array itself changes: exp's backward refuses
    with pytest.raises(RuntimeError, match="changed by an in-place operation"):
        z.sum().backward()


def test_integer_and_empty_tensors(backend):
    ints = t(np.array([-2, 3]))
    assert ints.abs_().tolist() == [2, 3] and ints.dtype == np.int64
    assert ints.neg_().tolist() == [-2, -3]
    with pytest.raises(TypeError, match="Tensor.sigmoid_: the result's dtype float32"):
        t(np.array([1, 2])).sigmoid_()
    empty = xpnet.zeros(0, 3)
    assert empty.exp_().shape == (0, 3) and empty.t_().shape == (3, 0)
