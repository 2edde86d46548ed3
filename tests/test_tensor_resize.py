"""``Tensor.resize_``, ``resize_as_`` and ``xpnet.unravel_index`` (:mod:`xpnet._tensor_resize`)
against PyTorch: shrinking keeps the leading elements (sharing memory, as PyTorch's storage),
growing keeps them and appends zeros, the version counts, tensors that require grad are
refused; unravel_index's coordinates for every index dtype, negative and out-of-range (wrapped)
indices, 0-d and empty indices and shapes; and the errors, as PyTorch's."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import xpnet
from xpnet.autograd import Tensor
from xpnet.kernels import ArgumentError


def pair(backend, values):
    """The same values as an xpnet Tensor on ``backend`` and a torch tensor."""
    host = np.asarray(values)
    return Tensor(backend.asarray(host.copy())), torch.tensor(host)


@pytest.mark.parametrize(
    "sizes", [(2, 3), ((3, 2),), ([6],), (4,), (2, 1, 2), (0,), ((),), (1, 0, 3)]
)
def test_resize_shrinks_as_torch(backend, sizes):
    ours, theirs = pair(backend, np.arange(6.0).reshape(2, 3))
    assert ours.resize_(*sizes) is ours
    theirs.resize_(*sizes)
    assert ours.shape == tuple(theirs.shape) and ours.tolist() == theirs.tolist()
    assert ours._version == theirs._version == (0 if ours.shape == (2, 3) else 1)


def test_resize_grows_keeping_the_elements_and_appending_zeros(backend):
    ours, theirs = pair(backend, np.arange(4, dtype=np.int64))
    ours.resize_(2, 3)
    theirs.resize_(2, 3)  # its last two elements are whatever memory held
    assert ours.shape == (2, 3) and ours.dtype == np.int64
    assert ours.numpy().ravel()[:4].tolist() == theirs.ravel()[:4].tolist()
    assert ours.tolist() == [[0, 1, 2], [3, 0, 0]]
    assert xpnet.zeros(0).resize_(2).tolist() == [0.0, 0.0]


def test_resize_shrinking_shares_memory_as_torch_storage(backend):
    ours, theirs = pair(backend, np.zeros(6))
    ours_alias, theirs_alias = ours.detach(), theirs.detach()
    ours.resize_(2).fill_(5.0)
    theirs.resize_(2).fill_(5.0)
    assert ours_alias.tolist() == theirs_alias.tolist() == [5.0, 5.0, 0.0, 0.0, 0.0, 0.0]
    assert ours_alias._version == theirs_alias._version == 2


def test_resize_of_a_view_leaves_its_base_as_torch(backend):
    ours, theirs = pair(backend, np.arange(6.0))
    view, torch_view = ours[1:5], theirs[1:5]
    view.resize_(2, 1)
    torch_view.resize_(2, 1)
    assert view.tolist() == torch_view.tolist() == [[1.0], [2.0]]
    assert ours.tolist() == theirs.tolist()
    # no longer tracked as a view: a recorded change stays in it
    weight = Tensor(backend.asarray(np.ones((2, 1))), requires_grad=True)
    view.add_(weight)
    assert ours.tolist() == theirs.tolist() and view.tolist() == [[2.0], [3.0]]


def test_resize_of_a_non_contiguous_tensor_reads_it_in_row_major_order(backend):
    x = Tensor(backend.asarray(np.arange(6.0).reshape(2, 3))).t()
    # PyTorch reads the storage, [0, 1, 2, 3]; xpnet the elements, documented
    assert x.resize_(4).tolist() == [0.0, 3.0, 1.0, 4.0]


def test_resize_as_takes_the_template_shape(backend):
    ours, theirs = pair(backend, np.arange(6.0))
    ours.resize_as_(xpnet.zeros(3, 1))
    theirs.resize_as_(torch.zeros(3, 1))
    assert ours.tolist() == theirs.tolist()
    with pytest.raises(TypeError):
        theirs.resize_as_((3, 1))
    with pytest.raises(TypeError, match="resize_as_: the_template must be a Tensor, got"):
        ours.resize_as_((3, 1))


def _strides(tensor) -> tuple[int, ...]:
    """Element strides of an xpnet Tensor (NumPy's are in bytes)."""
    return tuple(step // tensor.array.itemsize for step in tensor.array.strides)


@pytest.mark.parametrize(
    ("start", "sizes", "fmt"),
    [
        ((24,), (1, 2, 3, 4), "channels_last"),
        ((1, 2, 3, 4), (1, 2, 3, 4), "channels_last"),  # the same shape, restrided
        ((2, 3, 4), (2, 3, 2, 2), "channels_last"),
        ((30,), (1, 2, 3, 2, 2), "channels_last_3d"),
        ((2, 2, 3, 4), (2, 2, 3, 5), "contiguous_format"),
    ],
)
def test_resize_takes_a_memory_format_as_torch(backend, start, sizes, fmt):
    mine, reference = pair(backend, np.arange(np.prod(start), dtype=np.float64).reshape(start))
    versions = mine._version, reference._version
    mine.resize_(*sizes, memory_format=getattr(xpnet, fmt))
    reference.resize_(*sizes, memory_format=getattr(torch, fmt))
    assert _strides(mine) == reference.stride()
    grown = np.prod(sizes) > np.prod(start)  # torch's new elements are unspecified
    keep = (slice(None),) * len(sizes) if not grown else (0,)
    np.testing.assert_array_equal(xpnet.to_numpy(mine)[keep], reference.numpy()[keep])
    assert mine._version - versions[0] == reference._version - versions[1]


def test_resize_as_preserves_the_template_format_as_torch(backend):
    mine, reference = pair(backend, np.zeros((2, 2)))
    template = xpnet.zeros(1, 2, 3, 4).contiguous(memory_format=xpnet.channels_last)
    torch_template = torch.zeros(1, 2, 3, 4).contiguous(memory_format=torch.channels_last)
    mine.resize_as_(template)
    reference.resize_as_(torch_template)
    assert _strides(mine) == reference.stride() == (24, 12, 4, 1)  # contiguous by default
    mine.resize_as_(template, memory_format=xpnet.preserve_format)
    reference.resize_as_(torch_template, memory_format=torch.preserve_format)
    assert _strides(mine) == reference.stride() == (24, 1, 8, 2)


@pytest.mark.parametrize(
    ("sizes", "fmt", "match"),
    [
        ((2, 3), "channels_last", "required rank 4 tensor to use channels_last format"),
        ((1, 2, 3, 4), "channels_last_3d", "required rank 5 tensor to use channels_last_3d"),
        ((2, 3), "preserve_format", "Unsupported memory format"),
    ],
)
def test_resize_refuses_a_format_it_cannot_take_as_torch(backend, sizes, fmt, match):
    mine, reference = pair(backend, np.arange(24.0))
    with pytest.raises(RuntimeError, match=match.split(" tensor")[0]):
        reference.resize_(*sizes, memory_format=getattr(torch, fmt))
    with pytest.raises(RuntimeError, match=f"Tensor.resize_: {match}"):
        mine.resize_(*sizes, memory_format=getattr(xpnet, fmt))
    with pytest.raises(TypeError, match="argument 'memory_format' must be xpnet.memory_format"):
        mine.resize_(2, 3, memory_format="channels_last")


def test_resize_refuses_a_tensor_that_requires_grad_as_torch(backend):
    ours = Tensor(backend.asarray(np.ones(3)), requires_grad=True)
    theirs = torch.ones(3, requires_grad=True)
    for ours_t, theirs_t in ((ours, theirs), (ours * 2, theirs * 2)):
        with pytest.raises(RuntimeError, match="cannot resize variables that require grad"):
            theirs_t.resize_(3)
        with pytest.raises(RuntimeError, match="Tensor.resize_: cannot resize a tensor that"):
            ours_t.resize_(3)
    with xpnet.no_grad(), pytest.raises(RuntimeError, match="requires grad"):
        ours.resize_(2)
    assert ours.shape == (3,)


@pytest.mark.parametrize(
    ("sizes", "ours", "match"),
    [
        ((2, -1), ArgumentError, r"size must be non-negative, got \(2, -1\)"),
        ((2.0,), TypeError, "size must be an int, got float"),
        (([2, "a"],), TypeError, "size must be an int, got str"),
    ],
)
def test_resize_rejects_bad_sizes_as_torch(backend, sizes, ours, match):
    mine, theirs = pair(backend, np.ones(3))
    with pytest.raises(RuntimeError if ours is ArgumentError else ours):
        theirs.resize_(*sizes)
    with pytest.raises(ours, match=f"Tensor.resize_: {match}"):
        mine.resize_(*sizes)
    assert mine.shape == (3,) and mine._version == 0
    with pytest.raises(TypeError, match="Tensor.resize_: missing the new size"):
        mine.resize_()


# -- unravel_index ----------------------------------------------------------------------------

UNRAVELS = [
    (4, (3, 2)),
    ([4, 1, 0, 5], (3, 2)),
    ([[4], [1]], [3, 2]),
    ([6, 7, -1, -7, 100], (3, 2)),  # out of range and negative: wrapped, as PyTorch's
    ([5], 6),  # an int shape
    ([5, 2], (6, 1)),
    ([11, 3], (2, 3, 2)),
    (0, ()),  # a 0-d shape: no coordinates
    ([], (2, 3)),
    ([], (2, 0)),  # a shape with no elements takes empty indices
    ([1, -(2**63)], (2**40, 2**40)),
]


@pytest.mark.parametrize("dtype", ["int64", "int32", "int8", "uint8"])
@pytest.mark.parametrize(("indices", "shape"), UNRAVELS)
def test_unravel_index_matches_torch(backend, indices, shape, dtype):
    values, limits = np.asarray(indices), np.iinfo(dtype)
    if values.size and not limits.min <= values.min() <= values.max() <= limits.max:
        dtype = "int64"  # indices this dtype cannot hold
    ours, theirs = pair(backend, np.asarray(indices, dtype=dtype))
    result, expected = xpnet.unravel_index(ours, shape), torch.unravel_index(theirs, shape)
    assert isinstance(result, tuple) and len(result) == len(expected)
    for mine, reference in zip(result, expected, strict=True):
        assert mine.dtype == np.int64 and isinstance(mine.array, backend.ndarray)
        assert mine.shape == tuple(reference.shape) and mine.tolist() == reference.tolist()


@pytest.mark.parametrize(
    ("indices", "shape", "theirs", "ours", "match"),
    [
        (np.array([1.0]), (2, 3), TypeError, TypeError, "integer dtype, got float64"),
        (np.array([True]), (2, 3), TypeError, TypeError, "integer dtype, got bool"),
        (np.array([1]), 2.0, TypeError, TypeError, "an int or a sequence of ints, got float"),
        (np.array([1]), (2.0, 3), TypeError, TypeError, "shape must be an int, got float"),
        (np.array([1]), (2, -3), ValueError, ArgumentError, r"negative values, got \(2, -3\)"),
        (np.array([3]), (0,), RuntimeError, ArgumentError, r"\(0,\) has no elements"),
        (np.array([3]), (2**40,) * 3, ValueError, ArgumentError, "past int64"),
    ],
)
def test_unravel_index_refuses_as_torch(backend, indices, shape, theirs, ours, match):
    mine, reference = pair(backend, indices)
    with pytest.raises(theirs):
        torch.unravel_index(reference, shape)
    with pytest.raises(ours, match=f"unravel_index: .*{match}"):
        xpnet.unravel_index(mine, shape)


def test_unravel_index_refuses_a_shape_tensor_and_non_tensor_indices(backend):
    mine, reference = pair(backend, np.array([1]))
    with pytest.raises(TypeError):
        torch.unravel_index(reference, torch.tensor([6, 1]))
    with pytest.raises(TypeError, match="unravel_index: shape must be an int or a sequence"):
        xpnet.unravel_index(mine, xpnet.tensor([6, 1]))
    with pytest.raises(TypeError, match="unravel_index: indices must be a Tensor or an array"):
        xpnet.unravel_index(5, (2, 3))
