"""``tensor_split``, ``hsplit``, ``vsplit``, ``dsplit``, ``atleast_1d``/``2d``/``3d``,
``dstack``, ``column_stack``, ``row_stack`` and ``msort`` (:mod:`xpnet._tensor_split`) against
PyTorch autograd in float64 and float32: every piece forward and backward, the int, list,
tuple and Tensor forms of ``indices_or_sections`` (uneven sections, negative, out-of-range and
crossing indices), empty, 0-d and 1-d tensors, the errors PyTorch raises, and the view
semantics of the pieces (shared memory; a recorded in-place change refused, as PyTorch's)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from _oracle import check_no_host_reads, check_tensor_method, like, random_input

import xpnet
from xpnet.autograd import Tensor
from xpnet.backends import host_reads_forbidden
from xpnet.kernels import ArgumentError


def namespace(*tensors):
    """``torch`` for torch tensors, ``xpnet`` otherwise."""
    return torch if any(isinstance(t, torch.Tensor) for t in tensors) else xpnet


def stacked(name):
    """``<namespace>.<name>([a, b, ...])`` of either library."""
    return lambda *tensors: getattr(namespace(*tensors), name)(list(tensors))


def check_pieces(method, shape, backend, dtype=np.float64):
    """Each piece of ``method(t)`` forward and backward (its gradient lands in its place), and
    as many pieces, of the same shapes, as PyTorch's."""
    x = random_input(shape, seed=3)
    ours, theirs = method(Tensor(backend.asarray(x))), method(torch.tensor(x))
    assert isinstance(ours, tuple)
    assert [p.shape for p in ours] == [tuple(p.shape) for p in theirs]
    for piece in range(len(theirs)):
        check_tensor_method(lambda t, piece=piece: method(t)[piece], [x], backend, dtype=dtype)


# -- tensor_split --------------------------------------------------------------------------

TENSOR_SPLITS = [
    ((7,), lambda t: t.tensor_split(3)),  # 7 into 3, 2, 2
    ((7,), lambda t: t.tensor_split(9)),  # more sections than elements: empty ones last
    ((7,), lambda t: t.tensor_split(1)),
    ((7,), lambda t: t.tensor_split([1, 5, 3, 10, -2])),  # crossing, out of range, negative
    ((7,), lambda t: t.tensor_split((-10, 2))),
    ((7,), lambda t: t.tensor_split([])),
    ((7,), lambda t: t.tensor_split(like(t, [2, 4]))),  # a 1-d Tensor of indices
    ((7,), lambda t: t.tensor_split(like(t, 3))),  # a 0-d Tensor: sections
    ((4, 5), lambda t: t.tensor_split(2, 1)),
    ((4, 5), lambda t: t.tensor_split([2], dim=-1)),
    ((2, 3, 4), lambda t: namespace(t).tensor_split(t, 3, -1)),
    ((2, 3, 4), lambda t: namespace(t).tensor_split(t, [1, 1], dim=1)),
    ((2, 3, 4), lambda t: namespace(t).tensor_split(t, like(t, [0, 3]), 2)),
    ((0, 3), lambda t: t.tensor_split(3)),  # an empty dimension: 3 empty pieces
    ((2, 0), lambda t: t.tensor_split([1, -1], 1)),
    ((4, 3), lambda t: t.t().tensor_split(2, 1)),  # a non-contiguous input
]


@pytest.mark.parametrize(("shape", "method"), TENSOR_SPLITS)
def test_tensor_split_matches_torch_piece_by_piece(backend, shape, method):
    check_pieces(method, shape, backend)


def test_tensor_split_float32_and_integers(backend):
    check_pieces(lambda t: t.tensor_split([1, 3], 1), (2, 5), backend, dtype=np.float32)
    ints = np.arange(10).reshape(2, 5)
    ours = xpnet.tensor_split(Tensor(backend.asarray(ints)), 2, 1)
    theirs = torch.tensor_split(torch.tensor(ints), 2, 1)
    for piece, expected in zip(ours, theirs, strict=True):
        np.testing.assert_array_equal(piece.numpy(), expected.numpy())
        assert piece.dtype == np.int64


def test_overlapping_pieces_share_one_gradient(backend):
    """Crossing indices give overlapping pieces: their gradients add up, as PyTorch's."""

    def weighted(t):
        return sum((p * (i + 1)).sum(0) for i, p in enumerate(t.tensor_split([3, 1, 4], 0)))

    check_tensor_method(weighted, [random_input((5, 2), seed=4)], backend)


def test_tensor_split_takes_an_array(backend):
    array = backend.asarray(np.arange(5.0))
    assert [p.tolist() for p in xpnet.tensor_split(array, 2)] == [[0.0, 1.0, 2.0], [3.0, 4.0]]


# -- hsplit, vsplit, dsplit ----------------------------------------------------------------

DIRECTED_SPLITS = [
    ((6,), lambda t: namespace(t).hsplit(t, 3)),  # 1-d: along dim 0
    ((6,), lambda t: t.hsplit([2, -1])),
    ((2, 6), lambda t: t.hsplit(2)),
    ((2, 6), lambda t: namespace(t).hsplit(t, (1, 4, 9))),
    ((2, 0), lambda t: t.hsplit(3)),  # 0 divides evenly: 3 empty pieces
    ((4, 3), lambda t: t.vsplit(2)),
    ((4, 3, 2), lambda t: namespace(t).vsplit(t, [1])),
    ((2, 3, 6), lambda t: t.dsplit(3)),
    ((2, 3, 6), lambda t: namespace(t).dsplit(t, [1, 4])),
    ((1, 2, 4, 2), lambda t: t.dsplit(like(t, 2))),  # a 0-d int Tensor as the int
]


@pytest.mark.parametrize(("shape", "method"), DIRECTED_SPLITS)
def test_hsplit_vsplit_dsplit_match_torch_piece_by_piece(backend, shape, method):
    check_pieces(method, shape, backend)


# -- atleast_1d, atleast_2d, atleast_3d ----------------------------------------------------

SHAPES = [(), (3,), (0,), (2, 3), (2, 0), (2, 3, 4), (1, 2, 1, 2)]


@pytest.mark.parametrize("name", ["atleast_1d", "atleast_2d", "atleast_3d"])
@pytest.mark.parametrize("shape", SHAPES)
def test_atleast_matches_torch(backend, name, shape):
    def grown(t):
        return getattr(namespace(t), name)(t) * 2.0

    check_tensor_method(grown, [random_input(shape, seed=5)], backend)
    check_tensor_method(grown, [random_input(shape, seed=5)], backend, dtype=np.float32)


@pytest.mark.parametrize("name", ["atleast_1d", "atleast_2d", "atleast_3d"])
def test_atleast_of_several_returns_a_tuple_as_torch(backend, name):
    arrays = [random_input(shape, seed=6) for shape in SHAPES]
    ours = [Tensor(backend.asarray(a)) for a in arrays]
    theirs = [torch.tensor(a) for a in arrays]
    ours_fn, theirs_fn = getattr(xpnet, name), getattr(torch, name)
    for ours_result, theirs_result in [
        (ours_fn(*ours), theirs_fn(*theirs)),
        (ours_fn(ours), theirs_fn(theirs)),
        (ours_fn(tuple(ours[:1])), theirs_fn(tuple(theirs[:1]))),
        (ours_fn([]), theirs_fn([])),
        (ours_fn(), theirs_fn()),
    ]:
        assert isinstance(ours_result, tuple) and isinstance(theirs_result, tuple)
        assert [t.shape for t in ours_result] == [tuple(t.shape) for t in theirs_result]
        for ours_tensor, theirs_tensor in zip(ours_result, theirs_result, strict=True):
            np.testing.assert_array_equal(ours_tensor.numpy(), theirs_tensor.numpy())
    tall = ours[-1]
    assert ours_fn(tall) is tall and theirs_fn(theirs[-1]) is theirs[-1]  # no new tensor


# -- hstack, vstack, dstack, column_stack, row_stack ---------------------------------------

STACKS = [
    ("dstack", [(3,), (3,)]),
    ("dstack", [(), ()]),
    ("dstack", [(2, 3), (2, 3), (2, 3)]),
    ("dstack", [(2, 3, 1), (2, 3, 2)]),
    ("dstack", [(0,), (0,)]),
    ("dstack", [(1, 2), (2,)]),  # (1, 2, 1) beside (1, 2, 1)
    ("column_stack", [(3,), (3, 2)]),
    ("column_stack", [(), ()]),
    ("column_stack", [(2, 2, 2), (2, 1, 2)]),
    ("column_stack", [(0,), (0, 2)]),
    ("row_stack", [(3,), (3,)]),
    ("row_stack", [(2, 3), (1, 3), (3,)]),
    ("row_stack", [(), (1,)]),
    ("hstack", [(), ()]),
    ("hstack", [(2,), ()]),
    ("hstack", [(2, 3), (2, 1)]),
    ("hstack", [(0,), (2,)]),
    ("vstack", [(), ()]),
    ("vstack", [(3,), (2, 3)]),
    ("vstack", [(1, 2, 2), (3, 2, 2)]),
]


@pytest.mark.parametrize(("name", "shapes"), STACKS)
def test_stacks_match_torch(backend, name, shapes):
    inputs = [random_input(shape, seed=i) for i, shape in enumerate(shapes)]
    check_tensor_method(stacked(name), inputs, backend)
    check_tensor_method(stacked(name), inputs, backend, dtype=np.float32)


@pytest.mark.parametrize("name", ["hstack", "vstack", "dstack", "column_stack", "row_stack"])
def test_stacks_promote_as_torch(backend, name):
    ints, floats = np.arange(4).reshape(2, 2), random_input((2, 2)).astype(np.float32)
    ours = getattr(xpnet, name)((Tensor(backend.asarray(ints)), Tensor(backend.asarray(floats))))
    theirs = getattr(torch, name)((torch.tensor(ints), torch.tensor(floats)))
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    assert ours.dtype == np.float32 and theirs.dtype == torch.float32


# -- msort ---------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(4, 3), (5,), (), (3, 0), (0,)])
def test_msort_matches_torch(backend, shape):
    x = random_input(shape, seed=7)
    check_tensor_method(lambda t: t.msort(), [x], backend)
    check_tensor_method(lambda t: namespace(t).msort(t), [x], backend, dtype=np.float32)


# -- errors --------------------------------------------------------------------------------

T7, T0 = (7,), ()

ERRORS = [
    # (call on either library, input shape, xpnet's error, match, PyTorch's error)
    (lambda t: t.tensor_split(2), T0, ArgumentError, r"Tensor\.tensor_split: needs a tensor of at least 1 dimension, got a 0-d", RuntimeError),  # noqa: E501
    (lambda t: t.tensor_split(0), T7, ArgumentError, r"tensor_split: the number of sections must be at least 1, got 0", RuntimeError),  # noqa: E501
    (lambda t: namespace(t).tensor_split(t, -1), T7, ArgumentError, "at least 1, got -1", RuntimeError),  # noqa: E501
    (lambda t: t.tensor_split(like(t, 0)), T7, ArgumentError, "at least 1, got 0", RuntimeError),
    (lambda t: t.tensor_split(2, 1), T7, IndexError, r"tensor_split: dim must be in \[-1, 0\] for a 1-d tensor, got 1", IndexError),  # noqa: E501
    (lambda t: t.tensor_split(2, 0.0), T7, TypeError, "tensor_split: dim must be an int, got 0.0", TypeError),  # noqa: E501
    (lambda t: t.tensor_split(2.0), T7, TypeError, "indices_or_sections must be an int, a list of ints or a Tensor, got float 2.0", TypeError),  # noqa: E501
    (lambda t: t.tensor_split(True), T7, TypeError, "got bool True", TypeError),
    (lambda t: t.tensor_split("a"), T7, TypeError, "got str 'a'", TypeError),
    (lambda t: t.tensor_split([1.0]), T7, TypeError, r"indices_or_sections\[0\] must be an int, got float 1.0", TypeError),  # noqa: E501
    (lambda t: t.tensor_split([True]), T7, TypeError, r"indices_or_sections\[0\] must be an int, got bool", TypeError),  # noqa: E501
    (lambda t: t.tensor_split(like(t, [1.5], "float64")), T7, ArgumentError, "tensor_indices_or_sections must have dtype int64 .long., got float64", RuntimeError),  # noqa: E501
    (lambda t: t.tensor_split(like(t, [2], "int32")), T7, ArgumentError, "got int32", RuntimeError),  # noqa: E501
    (lambda t: t.tensor_split(like(t, [True], "bool")), T7, ArgumentError, "got bool", RuntimeError),  # noqa: E501
    (lambda t: t.tensor_split(like(t, [[1]])), T7, ArgumentError, "must be a 0-d or 1-d tensor, got a 2-d tensor", RuntimeError),  # noqa: E501
    (lambda t: t.hsplit(2), T0, ArgumentError, r"Tensor\.hsplit: needs a tensor of at least 1 dimensions, got a 0-d tensor of shape \(\)", RuntimeError),  # noqa: E501
    (lambda t: namespace(t).hsplit(t, 2), T7, ArgumentError, r"Tensor\.hsplit: sections must divide the size 7 of dimension 0, got 2", RuntimeError),  # noqa: E501
    (lambda t: t.hsplit(0), T7, ArgumentError, "must divide the size 7 of dimension 0, got 0", RuntimeError),  # noqa: E501
    (lambda t: t.hsplit(-7), T7, ArgumentError, "the number of sections must be at least 1, got -7", RuntimeError),  # noqa: E501
    (lambda t: t.hsplit(-2), T7, ArgumentError, "must divide the size 7 of dimension 0, got -2", RuntimeError),  # noqa: E501
    (lambda t: t.hsplit(7.0), T7, TypeError, r"Tensor\.hsplit: indices_or_sections must be an int, got float", TypeError),  # noqa: E501
    (lambda t: t.hsplit(True), T7, TypeError, "got bool True", TypeError),
    (lambda t: t.hsplit(like(t, [1, 2])), T7, TypeError, "must be an int, got Tensor", TypeError),
    (lambda t: t.vsplit(1), T7, ArgumentError, r"Tensor\.vsplit: needs a tensor of at least 2 dimensions, got a 1-d", RuntimeError),  # noqa: E501
    (lambda t: t.vsplit(3), (4, 3), ArgumentError, "must divide the size 4 of dimension 0, got 3", RuntimeError),  # noqa: E501
    (lambda t: namespace(t).dsplit(t, [1]), (4, 3), ArgumentError, r"Tensor\.dsplit: needs a tensor of at least 3 dimensions, got a 2-d", RuntimeError),  # noqa: E501
    (lambda t: t.dsplit(4), (4, 3, 6), ArgumentError, "must divide the size 6 of dimension 2, got 4", RuntimeError),  # noqa: E501
    (lambda t: namespace(t).atleast_1d(1.0), T0, TypeError, r"xpnet\.atleast_1d: tensors\[0\] must be a Tensor or an array, got float", TypeError),  # noqa: E501
    (lambda t: namespace(t).atleast_3d([t, 1.0]), T0, TypeError, r"xpnet\.atleast_3d: tensors\[1\] must be a Tensor", TypeError),  # noqa: E501
    (lambda t: namespace(t).dstack([]), T0, ArgumentError, r"xpnet\.dstack: tensors must be a non-empty list, got an empty one", RuntimeError),  # noqa: E501
    (lambda t: namespace(t).dstack(t), T7, TypeError, r"xpnet\.dstack: tensors must be a list or tuple of Tensors, got Tensor", TypeError),  # noqa: E501
    (lambda t: namespace(t).dstack([t, 2.0]), T7, TypeError, r"xpnet\.dstack: tensors\[1\] must be a Tensor or an array, got float", TypeError),  # noqa: E501
    (lambda t: namespace(t).dstack([t[0], t]), T7, ArgumentError, "except in dimension 2", RuntimeError),  # noqa: E501
    (lambda t: namespace(t).column_stack([]), T0, ArgumentError, r"xpnet\.column_stack: tensors must be a non-empty list", RuntimeError),  # noqa: E501
    (lambda t: namespace(t).column_stack(t), T7, TypeError, r"xpnet\.column_stack: tensors must be a list or tuple", TypeError),  # noqa: E501
    (lambda t: namespace(t).column_stack([t, t[:3]]), T7, ArgumentError, "except in dimension 1", RuntimeError),  # noqa: E501
    (lambda t: namespace(t).row_stack([]), T0, ArgumentError, r"xpnet\.vstack: tensors must be a non-empty list", RuntimeError),  # noqa: E501
    (lambda t: namespace(t).row_stack(t), T7, TypeError, r"xpnet\.vstack: tensors must be a list or tuple", TypeError),  # noqa: E501
    (lambda t: namespace(t).vstack(t), T7, TypeError, r"xpnet\.vstack: tensors must be a list or tuple", TypeError),  # noqa: E501
    (lambda t: namespace(t).hstack([]), T0, ArgumentError, r"xpnet\.hstack: tensors must be a non-empty list", RuntimeError),  # noqa: E501
    (lambda t: namespace(t).hstack(t), T7, TypeError, r"xpnet\.hstack: tensors must be a list or tuple", TypeError),  # noqa: E501
    (lambda t: namespace(t).hstack([t, t[None]]), T7, ArgumentError, "same number of dimensions", RuntimeError),  # noqa: E501
    (lambda t: namespace(t).msort(t, 0), (3,), TypeError, "takes 1 positional argument", TypeError),  # noqa: E501
]  # fmt: skip


@pytest.mark.parametrize(("call", "shape", "error", "match", "theirs"), ERRORS)
def test_errors_name_function_and_argument_as_torch_raises(
    backend, call, shape, error, match, theirs
):
    with pytest.raises(theirs):
        call(torch.ones(shape, dtype=torch.float64))
    with pytest.raises(error, match=match):
        call(Tensor(backend.asarray(np.ones(shape))))


# -- views ---------------------------------------------------------------------------------

SPLITTERS = [
    lambda t: t.tensor_split(2, 1),
    lambda t: namespace(t).tensor_split(t, [1], dim=1),
    lambda t: namespace(t).tensor_split(t, like(t, [1, 2]), 1),
    lambda t: t.hsplit(2),
    lambda t: namespace(t).hsplit(t, [3]),
    lambda t: t.vsplit([1]),
    lambda t: namespace(t).vsplit(t, 2),
    lambda t: t.reshape(2, 2, 2).dsplit(2),
    lambda t: namespace(t).dsplit(t.reshape(2, 1, 4), [1]),
]


@pytest.mark.parametrize("split", SPLITTERS)
def test_pieces_are_views_that_see_unrecorded_changes(backend, split):
    x = Tensor(backend.asarray(random_input((2, 4))))
    first = split(x)[0]
    assert backend.xp.may_share_memory(first.array, x.array)
    x[...] = 5.0  # not recorded: the array itself changes
    assert (first.numpy() == 5.0).all()
    first[...] = -1.0
    assert (x.numpy() == -1.0).sum() == first.numel()


@pytest.mark.parametrize("split", SPLITTERS)
def test_a_recorded_change_of_a_piece_is_written_through_as_torch(backend, split):
    """PyTorch's ``tensor_split`` cuts by slicing: its pieces, unlike ``split``'s, may change
    in place while gradients are recorded, and the change reaches the input, with its
    gradient; a later piece, taken before the change, sees it too."""
    x = random_input((2, 4), seed=9)
    w = Tensor(backend.asarray(x), requires_grad=True)
    tw = torch.tensor(x, requires_grad=True)
    results = []
    for leaf in (w, tw):
        hidden = leaf * 1.0
        first, *rest = split(hidden)
        first.mul_(3.0)
        (hidden * hidden).sum().backward()
        results.append([hidden.detach().numpy(), rest[-1].detach().numpy()])
    for ours, theirs in zip(*results, strict=True):
        np.testing.assert_allclose(ours, theirs, rtol=1e-15)
    np.testing.assert_allclose(xpnet.to_numpy(w.grad), tw.grad.numpy(), rtol=1e-15)


def test_split_pieces_are_still_refused_beside_tensor_split(backend):
    w = Tensor(backend.asarray(random_input((2, 4))), requires_grad=True)
    with pytest.raises(RuntimeError, match="one of several views"):
        (w * 1.0).split(2, 1)[0].mul_(2.0)
    (w * 1.0).tensor_split(2, 1)[0].mul_(2.0)


@pytest.mark.parametrize(
    ("name", "shape"), [("atleast_2d", (3,)), ("atleast_3d", (3,)), ("atleast_3d", (2, 3))]
)
def test_atleast_views_write_a_recorded_change_through_as_torch(backend, name, shape):
    """Unlike the pieces, ``atleast_*``'s result is a single view: PyTorch lets it change in
    place and writes the change through to its base, with the gradient."""
    x = random_input(shape, seed=8)
    w = Tensor(backend.asarray(x), requires_grad=True)
    tw = torch.tensor(x, requires_grad=True)
    results = []
    for library, leaf in ((xpnet, w), (torch, tw)):
        hidden = leaf * 1.0
        getattr(library, name)(hidden).mul_(3.0)
        (hidden * hidden).sum().backward()
        results.append(hidden.detach().numpy())
    np.testing.assert_allclose(results[0], results[1], rtol=1e-15)
    np.testing.assert_allclose(xpnet.to_numpy(w.grad), tw.grad.numpy(), rtol=1e-15)


# -- strict: shapes from shapes alone --------------------------------------------------------


@pytest.mark.parametrize(
    "op",
    [
        lambda x: xpnet.stack([p.sum() for p in x.tensor_split([1, -1, 9], 1)]),
        lambda x: xpnet.stack([p.sum() for p in xpnet.tensor_split(x, 2)]),
        lambda x: xpnet.cat([p.reshape(-1) for p in x.hsplit([2]) + xpnet.vsplit(x, 3)]),
        lambda x: xpnet.dsplit(x.reshape(3, 3, 1), 1)[0],
        lambda x: xpnet.dstack(xpnet.atleast_3d(x, x * 2)) + xpnet.atleast_2d(x[0, 0]),
        lambda x: xpnet.column_stack([x[0], x])[:, 1:] + xpnet.row_stack([x[0], x[1:]]).t(),
        lambda x: xpnet.msort(x) * x.msort(),
    ],
)
def test_no_host_reads_on_strict(strict, op):
    check_no_host_reads(strict, op)


def test_a_tensor_of_indices_is_read_on_the_host_as_torch(strict):
    """PyTorch takes only a CPU tensor of indices; xpnet reads one of any backend to the host,
    which on strict (as on CuPy) is a device-to-host copy."""
    with xpnet.use_backend("strict"):
        x, indices = xpnet.arange(6.0), xpnet.tensor([2, 4])
        assert [p.shape for p in x.tensor_split(indices)] == [(2,), (2,), (2,)]
        with host_reads_forbidden(), pytest.raises(RuntimeError, match="to the host"):
            x.tensor_split(indices)
