"""``select_scatter``, ``slice_scatter``, ``diagonal_scatter`` and ``as_strided_scatter``
(:mod:`xpnet._tensor_slices`) against PyTorch autograd in float64 and float32: values and the
gradients of ``input`` and ``src``, as functions and as Tensor methods, with negative dims
and indices, clipped and empty slices, off-diagonals of batched planes, overlapping strided
views, non-contiguous and integer inputs, and the errors PyTorch raises (and xpnet's messages,
which name the function and the argument)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from _oracle import check_no_host_reads, check_tensor_method, random_input

import xpnet
from xpnet.autograd import Tensor
from xpnet.kernels import ArgumentError


def function(name, *args, **kwargs):
    """``<library>.<name>(input, src, *args, **kwargs)`` of either library."""

    def call(a, src):
        namespace = torch if isinstance(a, torch.Tensor) else xpnet
        return getattr(namespace, name)(a, src, *args, **kwargs)

    return call


def method(name, *args, **kwargs):
    return lambda a, src: getattr(a, name)(src, *args, **kwargs)


# (name, input shape, src shape, arguments)
CASES = [
    ("select_scatter", (3, 4), (4,), (0, 1)),
    ("select_scatter", (3, 4), (3,), (-1, -1)),
    ("select_scatter", (2, 3, 4), (2, 4), (1, 2)),
    ("select_scatter", (5,), (), (0, -5)),  # a 0-d src
    ("slice_scatter", (6, 3), (2, 3), (0, 1, 3)),
    ("slice_scatter", (3, 7), (3, 3), (1, None, None, 3)),
    ("slice_scatter", (3, 7), (3, 2), (-1, -3, -1)),  # negative dim, start and end
    ("slice_scatter", (3, 4), (3, 4), (1, -10, 10)),  # clipped to the whole dim
    ("slice_scatter", (3, 4), (3, 0), (1, 3, 1)),  # an empty slice
    ("slice_scatter", (4, 2), (4, 2), ()),  # the defaults
    ("diagonal_scatter", (3, 4), (3,), ()),
    ("diagonal_scatter", (3, 4), (3,), (1,)),
    ("diagonal_scatter", (3, 4), (2,), (-1,)),
    ("diagonal_scatter", (3, 4), (0,), (4,)),  # past the last column: empty
    ("diagonal_scatter", (2, 3, 4), (3, 2), (0, -1, 0)),  # batched planes, dims swapped
    ("diagonal_scatter", (2, 3, 4), (4, 1), (-1, 0, 1)),
]


@pytest.mark.parametrize(("name", "shape", "src_shape", "args"), CASES)
def test_scatter_ops_match_torch(backend, name, shape, src_shape, args):
    inputs = [random_input(shape, seed=1), random_input(src_shape, seed=2)]
    check_tensor_method(function(name, *args), inputs, backend)
    check_tensor_method(method(name, *args), inputs, backend, dtype=np.float32)


def strided_scatter_by_index_put(a, src, size, stride, storage_offset=0):
    """``as_strided_scatter`` of torch tensors composed of ``index_put``, whose gradients are
    right: PyTorch 2.13's own backward gives ``input`` the gradient inside the view instead of
    outside it (its gradcheck fails), so it is no oracle for that gradient."""
    positions = torch.arange(a.numel()).as_strided(size, stride, storage_offset)
    return a.flatten().index_put((positions.flatten(),), src.flatten()).reshape(a.shape)


STRIDED = [
    ((3, 4), (2, 2), ((2, 2), (4, 1))),
    ((3, 4), (2, 2), ((2, 2), (4, 1), 5)),
    ((3, 4), (3,), ((3,), (5,))),
    ((3, 4), (), ((), (), 11)),  # one element, the last
    ((3, 4), (0, 2), ((0, 2), (100, 1), 11)),  # empty: reads nothing, so any offset
    ((2, 3), (3, 2), ([3, 2], [1, 3])),  # a transposed view, as lists
    ((3, 4), (2, 3), ((2, 3), (1, 1))),  # overlapping: see below
]


@pytest.mark.parametrize(("shape", "src_shape", "args"), STRIDED)
def test_as_strided_scatter_matches_torch(backend, shape, src_shape, args):
    # overlapping positions: which src value lands is unspecified, so src is one value there
    src = np.full(src_shape, 0.5) if args[1] == (1, 1) else random_input(src_shape, seed=2)
    inputs = [random_input(shape, seed=1), src]
    reference = lambda a, s: strided_scatter_by_index_put(a, s, *args)  # noqa: E731
    strided = method("as_strided_scatter", *args)
    for dtype in (np.float64, np.float32):
        check_tensor_method(strided, inputs, backend, dtype=dtype, torch_method=reference)
    # PyTorch's own: the same values, and the same gradient for src
    a, s = (torch.tensor(x, requires_grad=True) for x in inputs)
    expected = torch.as_strided_scatter(a, s, *args)
    grad = torch.tensor(random_input(shape, seed=3))
    expected.backward(grad)
    ours = [Tensor(backend.asarray(x), requires_grad=True) for x in inputs]
    result = xpnet.as_strided_scatter(*ours, *args)
    result.backward(backend.asarray(grad.numpy()))
    assert result.tolist() == expected.tolist()
    assert xpnet.to_numpy(ours[1].grad).tolist() == s.grad.tolist()


def test_scatter_ops_take_keywords(backend):
    x, src = random_input((4, 5), seed=1), random_input((4, 2), seed=2)
    check_tensor_method(method("slice_scatter", dim=1, start=1, step=2), [x, src], backend)
    check_tensor_method(
        method("diagonal_scatter", offset=-1, dim1=1, dim2=0), [x, src[:, 0]], backend
    )
    strided = method("as_strided_scatter", size=(2,), stride=(3,), storage_offset=1)
    reference = lambda a, s: strided_scatter_by_index_put(a, s, (2,), (3,), 1)  # noqa: E731
    check_tensor_method(strided, [x, src[:2, 0]], backend, torch_method=reference)


def test_scatter_ops_on_a_non_contiguous_input_match_torch(backend):
    x, src = random_input((4, 3), seed=1), random_input((2, 4), seed=2)
    check_tensor_method(lambda a, s: a.t().slice_scatter(s, 0, 1), [x, src], backend)
    check_tensor_method(lambda a, s: a.t().select_scatter(s[0], 0, -1), [x, src], backend)


def test_scatter_ops_keep_input_dtype_and_give_src_its_own_gradient_dtype(backend):
    x = Tensor(backend.asarray(np.zeros((2, 3))), requires_grad=True)
    src = Tensor(backend.asarray(np.ones(3, np.float32)), requires_grad=True)
    out = xpnet.select_scatter(x, src, 0, 1)
    assert out.dtype == np.float64
    (out * 2).sum().backward()
    assert src.grad.dtype == np.float32 and xpnet.to_numpy(src.grad).tolist() == [2.0] * 3
    assert xpnet.to_numpy(x.grad).tolist() == [[2.0] * 3, [0.0] * 3]


def test_scatter_ops_cast_src_into_an_integer_input_as_torch(backend):
    ours = Tensor(backend.asarray(np.arange(6).reshape(2, 3)))
    src = Tensor(backend.asarray(np.array([1.7, -2.7])))
    theirs = torch.arange(6).reshape(2, 3).diagonal_scatter(torch.tensor([1.7, -2.7]))
    result = ours.diagonal_scatter(src)
    assert result.dtype == np.int64 and result.tolist() == theirs.tolist()
    assert ours.tolist() == [[0, 1, 2], [3, 4, 5]]  # out of place


def test_scatter_ops_read_nothing_back_on_strict(strict):
    check_no_host_reads(strict, lambda t: t.diagonal_scatter(t.diagonal() * 2))
    check_no_host_reads(strict, lambda t: t.as_strided_scatter(t[0] * 2, (3,), (1,), 3))


# (name, input shape, src shape, args, xpnet's exception, message): PyTorch raises the same
# exception, or RuntimeError where xpnet raises ArgumentError (a ValueError and RuntimeError)
ERRORS = [
    ("select_scatter", (3, 4), (4,), (0, 3), IndexError, r"index must be in \[-3, 3\) .*, got 3"),
    ("select_scatter", (3, 4), (4,), (0, -4), IndexError, "got -4"),
    ("select_scatter", (3, 4), (4,), (2, 0), IndexError, "dim must be in"),
    ("select_scatter", (3, 4), (3,), (0, 0), ArgumentError, r"src must .*\(4,\), got \(3,\)"),
    ("select_scatter", (), (), (0, 0), IndexError, "at least 1 dimension"),
    ("select_scatter", (3, 4), (4,), (0, 1.0), TypeError, "index must be an int"),
    ("slice_scatter", (3, 4), (3, 2), (1, 0, 4, 0), ArgumentError, "step must be positive"),
    ("slice_scatter", (3, 4), (3, 2), (1, 0, 4, -1), ArgumentError, "step must be positive"),
    ("slice_scatter", (3, 4), (3, 3), (1, 0, 4, 2), ArgumentError, r"\(3, 2\), got \(3, 3\)"),
    ("slice_scatter", (3, 4), (3, 1), (1, 3, 1), ArgumentError, "src must have"),
    ("slice_scatter", (3, 4), (3, 2), (2,), IndexError, "dim must be in"),
    ("slice_scatter", (), (), (), IndexError, "at least 1 dimension"),
    ("diagonal_scatter", (3, 4), (3,), (0, 1, 1), ArgumentError, "dim1 and dim2 must differ"),
    ("diagonal_scatter", (3, 4), (3,), (0, 0, 2), IndexError, "dim must be in"),
    ("diagonal_scatter", (3, 4), (4,), (), ArgumentError, r"diagonal\(0, 0, 1\), \(3,\)"),
    ("diagonal_scatter", (4,), (3,), (), IndexError, "dim must be in"),
    ("as_strided_scatter", (3, 4), (2, 2), ((2, 2), (4, 1), 10), ArgumentError, "element 15"),
    ("as_strided_scatter", (3, 4), (2, 2), ((2, 2), (-1, 1), 5), ArgumentError, "non-negat"),
    ("as_strided_scatter", (3, 4), (2, 2), ((2, 2), (4, 1), -1), ArgumentError, "non-negat"),
    ("as_strided_scatter", (3, 4), (2, 2), ((2, -2), (4, 1)), ArgumentError, "non-negat"),
    ("as_strided_scatter", (3, 4), (2, 2), ((2, 2), (4,)), ArgumentError, "one entry per"),
    ("as_strided_scatter", (3, 4), (2, 3), ((2, 2), (4, 1)), ArgumentError, r"size, \(2, 2\)"),
    ("as_strided_scatter", (3, 4), (4,), (4, 1), TypeError, "size must be a tuple of ints"),
]


@pytest.mark.parametrize(("name", "shape", "src_shape", "args", "ours", "match"), ERRORS)
def test_scatter_ops_refuse_as_torch(backend, name, shape, src_shape, args, ours, match):
    x, src = random_input(shape, seed=1), random_input(src_shape, seed=2)
    with pytest.raises(RuntimeError if ours is ArgumentError else ours):
        function(name, *args)(torch.tensor(x), torch.tensor(src))
    a, s = Tensor(backend.asarray(x)), Tensor(backend.asarray(src))
    with pytest.raises(ours, match=f"{name}: .*{match}"):
        function(name, *args)(a, s)


def test_scatter_ops_refuse_a_src_that_is_not_a_tensor(backend):
    x = Tensor(backend.asarray(np.zeros((2, 2))))
    with pytest.raises(TypeError):
        torch.select_scatter(torch.zeros(2, 2), 1.0, 0, 0)
    with pytest.raises(TypeError, match="xpnet.select_scatter: src must be a Tensor or an array"):
        xpnet.select_scatter(x, 1.0, 0, 0)
    with pytest.raises(TypeError, match="slice_scatter: input must be a Tensor"):
        xpnet.slice_scatter([1.0], x)
