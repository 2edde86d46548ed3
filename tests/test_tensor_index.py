"""Tensor's indexing, splitting, masking and ordering methods against PyTorch autograd in float64.

The same call runs on an xpnet Tensor and on a torch tensor (PyTorch's names and arguments),
forward and backward with a random upstream gradient, through ``_oracle.check_against_torch``.
Index and mask arguments are made inside the call (``like``), beside the tensor they index.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from _oracle import check_tensor_method, like, random_input

import xpnet
from xpnet import _tensor_index as index_functions
from xpnet.autograd import Tensor
from xpnet.backends import backend_of, host_reads_forbidden, to_backend
from xpnet.kernels import ArgumentError

NAN, INF = np.nan, np.inf


def function(name):
    """``torch.<name>`` on torch tensors, the xpnet function of that name on xpnet ones."""

    def call(*args, **kwargs):
        on_torch = any(isinstance(arg, torch.Tensor) for arg in args)
        return getattr(torch if on_torch else index_functions, name)(*args, **kwargs)

    return call


def x234():
    return random_input((2, 3, 4), seed=3)


def on(backend, values, dtype=None):
    return Tensor(backend.asarray(np.asarray(values, dtype=dtype)))


def assert_equal(tensor, expected, backend):
    """Same values (NaN matching NaN), shape and dtype as a torch tensor or a NumPy array."""
    expected = expected.numpy() if isinstance(expected, torch.Tensor) else np.asarray(expected)
    np.testing.assert_array_equal(backend.to_host(tensor.array), expected)
    assert tensor.dtype == expected.dtype, (tensor.dtype, expected.dtype)


# -- expand, repeat, contiguous -------------------------------------------------------------


@pytest.mark.parametrize(
    "method",
    [
        lambda t: t[:, :1].expand(2, 5, 4),
        lambda t: t[:1, :, :1].expand(-1, 3, 6),
        lambda t: t[:, 1:2].expand((3, 2, -1, 4)),  # a new leading dimension
        lambda t: t[:, :1].expand([2, 0, 4]),  # size 1 to size 0
        lambda t: t.expand(2, 3, 4) * t,
        lambda t: t[0, :1, :1].expand_as(t),
        lambda t: t.repeat(2, 1, 3),
        lambda t: t.repeat((2, 1, 1, 2)),  # a new leading dimension
        lambda t: t[0].repeat(0, 2),
        lambda t: t[0, 0, 0].repeat(3, 2),  # a 0-d tensor
        lambda t: t[0, 0, 0].expand(2, 3),
        lambda t: t.transpose(0, 2).contiguous() * 2,
        lambda t: t.contiguous() + t,
    ],
)
def test_expand_repeat_contiguous_match_torch(backend, method):
    check_tensor_method(method, [x234()], backend)


def test_contiguous_returns_self_or_a_contiguous_copy(backend):
    x = on(backend, x234())
    assert x.contiguous() is x
    transposed = x.transpose(0, 2)
    copy = transposed.contiguous()
    assert copy is not transposed and copy.array.flags.c_contiguous
    assert_equal(copy, transposed.numpy(), backend)


# -- chunk, split, unbind, narrow -------------------------------------------------------------

SPLITS = [
    (lambda t: t.chunk(2, 1), 2),  # 3 into 2 and 1
    (lambda t: t.chunk(3, -1), 2),  # 4 into 2 and 2: fewer pieces than asked
    (lambda t: t.chunk(4), 2),
    (lambda t: t.split(3, -1), 2),
    (lambda t: t.split([1, 0, 2], 1), 3),
    (lambda t: function("split")(t, (3, 1), dim=2), 2),
    (lambda t: function("chunk")(t, 2, -2), 2),
    (lambda t: t.unbind(1), 3),
    (lambda t: function("unbind")(t, -1), 4),
    (lambda t: t[:, :0].chunk(3, 1), 3),  # an empty dimension: 3 empty pieces, as PyTorch
    (lambda t: t[:, :0].split(2, 1), 1),
]


@pytest.mark.parametrize("method, count", SPLITS)
def test_split_chunk_unbind_match_torch_piece_by_piece(backend, method, count):
    """Each piece forward and backward (its gradient lands in its place); the count as torch."""
    assert len(method(on(backend, x234()))) == len(method(torch.tensor(x234()))) == count
    for piece in range(count):
        check_tensor_method(lambda t, piece=piece: method(t)[piece], [x234()], backend)


def test_pieces_of_a_split_share_one_gradient(backend):
    check_tensor_method(
        lambda t: sum((p * (i + 1)).sum(1) for i, p in enumerate(t.split(1, 1))), [x234()], backend
    )


@pytest.mark.parametrize(
    "method",
    [
        lambda t: t.narrow(1, 1, 2),
        lambda t: t.narrow(-1, -3, 3),
        lambda t: t.narrow(0, 2, 0),
        lambda t: function("narrow")(t, 2, like(t, 1), 2),  # start as a 0-d tensor
    ],
)
def test_narrow_matches_torch(backend, method):
    check_tensor_method(method, [x234()], backend)


def test_narrow_is_a_view(backend):
    x = on(backend, x234())
    x.narrow(1, 1, 1).array[...] = 0.0
    assert not backend.to_host(x.array)[:, 1].any()


# -- masked_fill and where -----------------------------------------------------------------

ROW_MASK = [True, False, False, True]


@pytest.mark.parametrize(
    "method",
    [
        lambda t: t.masked_fill(like(t, ROW_MASK, bool), -1.5),
        lambda t: t.masked_fill(like(t, [[True], [False], [True]], bool), float("-inf")),
        lambda t: t.masked_fill(t > 0.2, NAN) * 1.0,
        lambda t: t[0, 0].masked_fill(like(t, [[True] * 4, [False] * 4], bool), 0.0),  # widens
        lambda t: function("masked_fill")(t, like(t, True, bool), 2),
    ],
)
def test_masked_fill_matches_torch(backend, method):
    check_tensor_method(method, [x234()], backend)


def test_masked_fill_value_tensor_gets_the_masked_gradient(backend):
    check_tensor_method(lambda t, v: t.masked_fill(t < 0, v), [x234(), np.array(0.25)], backend)


def test_masked_fill_keeps_the_input_dtype_as_torch(backend):
    mask = [True, False, True]
    for values, value in [([1, 2, 3], 1.7), ([False, False, True], 0.5), ([1.5, 2.0, 3.0], 7)]:
        got = on(backend, values).masked_fill(on(backend, mask), value)
        assert_equal(
            got, torch.tensor(np.asarray(values)).masked_fill(torch.tensor(mask), value), backend
        )


WHERE_CASES = [
    (lambda t, u: function("where")(t > 0, t, u), [x234(), random_input((2, 3, 4), seed=4)]),
    (lambda t, u: function("where")(t > 0, t, u), [x234(), random_input((3, 1), seed=5)]),
    (lambda t, u: t.where(u < 0, u), [random_input((4,), seed=6), x234()]),
    (lambda t, u: function("where")(like(t, ROW_MASK, bool), t, u), [x234(), np.array(0.5)]),
    (lambda t, u: function("where")(t > 0, -t, u[0, :, :1]) + u, [x234(), x234() + 1]),
]


@pytest.mark.parametrize("method, inputs", WHERE_CASES)
def test_where_sends_the_gradient_to_both_sides_as_torch(backend, method, inputs):
    check_tensor_method(method, inputs, backend)


@pytest.mark.parametrize(
    "method",
    [
        lambda t: function("where")(t > 0, t, 0.0),
        lambda t: function("where")(t > 0, 2, t) * t,
        lambda t: t.where(t < 0.5, NAN) + function("where")(t > 0, INF, -INF) * 0 + 1,
    ],
)
def test_where_takes_python_numbers_as_torch(backend, method):
    check_tensor_method(method, [x234()], backend)


@pytest.mark.parametrize(
    "input, other",
    [
        (np.array([1, 2, 3]), 0.5),  # int64 and a Python float: float32, NumPy's float64
        (1.0, 0.0),  # two Python floats: float32
        (1, 0),
        (True, 2),
        (np.array([1, 2, 3], dtype=np.int32), np.array(0.5)),  # a 0-d float64: float64
        (np.array([1.0, 2.0, 3.0], dtype=np.float32), np.array(0.5)),  # float32 wins
        (np.array([1.0, 2.0, 3.0], dtype=np.float32), np.array([1.0, 2.0, 3.0])),
        (np.array([1.0, 2.0, 3.0], dtype=np.float16), 2),
        (np.array([1, 2, 3], dtype=np.uint8), np.array([1, 2, 3], dtype=np.int8)),
    ],
)
def test_where_result_dtype_is_torchs(backend, input, other):
    mask = [True, False, True]
    expected = torch.where(
        torch.tensor(mask),
        *(torch.tensor(x) if isinstance(x, np.ndarray) else x for x in (input, other)),
    )
    got = index_functions.where(
        on(backend, mask),
        *(on(backend, x) if isinstance(x, np.ndarray) else x for x in (input, other)),
    )
    assert_equal(got, expected, backend)


def test_where_of_a_condition_alone_is_its_nonzero_indices(backend):
    mask = np.array([[True, False], [True, True]])
    got = index_functions.where(on(backend, mask))
    expected = torch.where(torch.tensor(mask))
    assert len(got) == len(expected) == 2
    for tensor, reference in zip(got, expected, strict=True):
        assert_equal(tensor, reference, backend)


# -- gather and index_select -----------------------------------------------------------------

GATHER_INDEX = [[[0, 2, 2, 1]], [[1, 1, 1, 0]]]  # (2, 1, 4): repeated indices, a smaller index


@pytest.mark.parametrize(
    "method",
    [
        lambda t: t.gather(1, like(t, GATHER_INDEX)),
        lambda t: t.gather(-2, like(t, GATHER_INDEX, "int32")),
        lambda t: t.gather(2, like(t, [[[3, 3, 3, 3, 0]]] * 2)),  # more than the size, repeated
        lambda t: function("gather")(t, 0, like(t, [[[1, 0]]])),
        lambda t: t.gather(1, like(t, np.zeros((2, 0, 4)))),  # an empty index
        lambda t: t[0, 0, 0].gather(0, like(t, [0, 0, 0])),  # a 0-d input, as PyTorch
        lambda t: t[0, 0, 0].gather(-1, like(t, 0)),
    ],
)
def test_gather_matches_torch_and_adds_up_repeated_indices(backend, method):
    check_tensor_method(method, [x234()], backend)


@pytest.mark.parametrize(
    "method",
    [
        lambda t: t.index_select(1, like(t, [2, 0, 2, 2])),
        lambda t: t.index_select(-1, like(t, [3, 1], "int32")),
        lambda t: function("index_select")(t, 0, like(t, 1)),  # a 0-d index: one slice
        lambda t: t.index_select(2, like(t, np.zeros(0))),
        lambda t: t[0, 0, 0].index_select(0, like(t, [0])),
    ],
)
def test_index_select_matches_torch_and_adds_up_repeated_indices(backend, method):
    check_tensor_method(method, [x234()], backend)


def test_out_of_range_index_raises_at_once_or_at_the_next_host_read(backend):
    """NumPy checks at once; strict (as CuPy) waits for the next host read, reading nothing
    before (the value check is deferred), and raises the same IndexError then."""
    x = on(backend, x234())
    bad = on(backend, [[[0, 3, 1, 1]]] * 2)
    match = r"Tensor\.gather: index values must be in \[0, 3\) for dimension 1 of size 3, got 3"
    if getattr(backend, "host_reads_free", False):
        with pytest.raises(IndexError, match=match):
            x.gather(1, bad)
        return
    with host_reads_forbidden():
        picked = x.gather(-2, bad)
    with pytest.raises(IndexError, match=match):
        picked.tolist()


@pytest.mark.parametrize(
    "method, match",
    [
        (lambda x, i: x.gather(2, i([[[0, 4]]] * 2)), r"gather: index values .* got 4"),
        (lambda x, i: x.gather(0, i([[[-1]]])), r"gather: index values .* size 2, got -1"),
        (lambda x, i: x.index_select(1, i([0, 3])), r"index_select: index values .* got 3"),
        (lambda x, i: x.index_select(-1, i([-2])), r"index_select: .* \[0, 4\) .* got -2"),
        (lambda x, i: x[:, :0].index_select(1, i([0])), r"index_select: dimension 1 has size 0"),
    ],
)
def test_index_values_out_of_range_raise_index_error(backend, method, match):
    x = on(backend, x234())
    with pytest.raises(IndexError, match=match):
        method(x, lambda values: on(backend, values)).tolist()


# -- cumsum -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "method",
    [
        lambda t: t.cumsum(1),
        lambda t: function("cumsum")(t, dim=-1),
        lambda t: t[0, 0, 0].cumsum(0),
        lambda t: t.masked_fill(t > 0.5, INF).cumsum(2),
        lambda t: t.masked_fill(t < -0.5, NAN).cumsum(0),
    ],
)
def test_cumsum_matches_torch(backend, method):
    check_tensor_method(method, [x234()], backend)


@pytest.mark.parametrize(
    "values, dtype", [([1, 2, 3], "int32"), ([True, True, False], "bool"), ([1, 2, 3], "uint8")]
)
def test_cumsum_of_integers_is_int64_as_torch(backend, values, dtype):
    expected = torch.tensor(np.array(values, dtype=dtype)).cumsum(0)
    assert_equal(on(backend, values, dtype).cumsum(0), expected, backend)
    assert on(backend, values, dtype).cumsum(0, dtype=xpnet.float32).dtype == np.float32


def test_cumsum_of_float16_adds_up_in_float32_as_torch(backend):
    """Each sum rounded once to float16, forward and backward: NumPy's float16 cumsum rounds
    every partial sum and drifts (by 4.0 of 1986 after 4000 elements here)."""
    x = random_input((4000,), seed=7, low=0.0, high=1.0).astype(np.float16)
    tensor = Tensor(backend.asarray(x), requires_grad=True)
    sums = tensor.cumsum(0)
    sums.backward(backend.asarray(np.ones(4000, dtype=np.float16)))
    reference = torch.tensor(x, requires_grad=True)
    expected = reference.cumsum(0)
    expected.backward(torch.ones(4000, dtype=torch.float16))
    assert_equal(sums, expected.detach(), backend)
    np.testing.assert_array_equal(backend.to_host(tensor.grad.array), reference.grad.numpy())


# -- sort, argsort, topk ------------------------------------------------------------------------

TIES = np.array([[3.0, NAN, 1.0, 3.0, NAN, -1.0], [2.0, 2.0, 0.0, 2.0, 5.0, 0.0]])


@pytest.mark.parametrize("dim", [1, -1, 0])
@pytest.mark.parametrize("descending", [False, True])
def test_stable_sort_matches_torch_with_ties_and_nan(backend, dim, descending):
    """Ties keep their order (PyTorch's stable=True), NaN sorts as the largest value; the
    gradient of each value goes back to where it came from."""
    check_tensor_method(
        lambda t: t.sort(dim=dim, descending=descending, stable=True).values, [TIES], backend
    )
    got = on(backend, TIES).sort(dim=dim, descending=descending, stable=True)
    expected = torch.tensor(TIES).sort(dim=dim, descending=descending, stable=True)
    assert_equal(got.indices, expected.indices, backend)
    assert_equal(got.values, expected.values, backend)
    argsorted = function("argsort")(on(backend, TIES), dim, descending, stable=True)
    assert_equal(argsorted, expected.indices, backend)
    assert_equal(on(backend, TIES).argsort(dim, descending), expected.indices, backend)


@pytest.mark.parametrize(
    "method",
    [
        lambda t: t.sort()[0],
        lambda t: function("sort")(t, 0, descending=True).values,
        lambda t: t[0, 0, 0].sort(-1).values,
        lambda t: t.topk(2).values,
        lambda t: t.topk(3, dim=1, largest=False, sorted=False)[0],
        lambda t: function("topk")(t, 0, -1).values,
        lambda t: t[0, 0, 0].topk(1).values,
        lambda t: t.masked_fill(t > 0.5, NAN).topk(2, 2).values,
    ],
)
def test_sort_and_topk_values_match_torch(backend, method):
    check_tensor_method(method, [x234()], backend)


@pytest.mark.parametrize("largest", [True, False])
@pytest.mark.parametrize("dim", [0, -1])
def test_topk_indices_match_torch_without_ties(backend, largest, dim):
    x = x234()
    x[0, 0, 0] = NAN  # NaN counts as the largest value, as in PyTorch
    got = on(backend, x).topk(2, dim, largest)
    expected = torch.tensor(x).topk(2, dim, largest)
    assert_equal(got.indices, expected.indices, backend)
    assert_equal(got.values, expected.values, backend)


def test_topk_takes_the_first_of_equal_values(backend):
    """Where PyTorch's choice among ties is unspecified (its CPU takes [2, 4] here), xpnet takes
    the first ones: those of a stable sort."""
    values, indices = on(backend, [3.0, 1.0, 3.0, 1.0, 3.0, -1.0]).topk(2)
    assert indices.tolist() == [0, 2] and values.tolist() == [3.0, 3.0]


def test_sort_and_topk_return_named_pairs_of_int64_indices(backend):
    x = Tensor(backend.asarray(x234()), requires_grad=True)
    for result in (x.sort(1), x.topk(2), function("sort")(x), function("topk")(x, 1)):
        values, indices = result
        assert values is result.values and indices is result.indices
        assert values.requires_grad and not indices.requires_grad
        assert indices.dtype == np.int64
    assert x.argsort().dtype == np.int64 and not x.argsort().requires_grad


# -- new_* ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, args, kwargs",
    [
        ("new_zeros", (2, 3), {}),
        ("new_zeros", ((2, 3),), {"dtype": "float64"}),
        ("new_ones", ([4],), {}),
        ("new_empty", ((0, 2),), {}),
        ("new_full", ((2,), 1.7), {}),
        ("new_full", ([1, 2], 7), {"dtype": "float64"}),
        ("new_tensor", ([1, 2],), {}),
        ("new_tensor", (np.array([1.5, 2.5]),), {"dtype": "int64"}),
    ],
)
@pytest.mark.parametrize("dtype", ["float32", "int64"])
def test_new_tensors_take_the_dtype_and_device_of_self_as_torch(backend, name, args, kwargs, dtype):
    torch_kwargs = {k: getattr(torch, v) for k, v in kwargs.items()}
    expected = getattr(torch.zeros(1, dtype=getattr(torch, dtype)), name)(*args, **torch_kwargs)
    got = getattr(on(backend, [0], dtype), name)(*args, **kwargs)
    assert backend_of(got.array).name == backend.name and not got.requires_grad
    if name == "new_empty":
        assert got.shape == tuple(expected.shape) and got.dtype == expected.numpy().dtype
    else:
        assert_equal(got, expected, backend)


def test_new_tensors_take_device_and_requires_grad(backend):
    x = on(backend, [1.0], "float32")
    y = x.new_zeros(2, device="numpy", requires_grad=True)
    assert backend_of(y.array).name == "numpy" and y.requires_grad and y.dtype == np.float32
    copy = x.new_tensor(x)
    copy.array[0] = 5.0
    assert x.item() == 1.0 and not copy.requires_grad


# -- float32 and bad arguments ------------------------------------------------------------------


def test_methods_keep_float32(backend):
    """Results and gradients stay float32 (no float64 from a Python number or an index)."""

    def method(t):
        picked = t.gather(1, like(t, GATHER_INDEX)).expand(2, 3, 4) + t.repeat(1, 1, 1)
        chosen = function("where")(t > 0, picked.masked_fill(t < -0.5, 0.5), 1.0).cumsum(-1)
        return chosen.sort(1).values + t.topk(4).values + sum(t.chunk(2, 2)).repeat(1, 1, 2)

    check_tensor_method(method, [x234()], backend, dtype=np.float32)


BAD_ARGUMENTS = [
    (lambda t, i: t.expand(3, 4), ArgumentError, r"Tensor\.expand: needs at least one size"),
    (
        lambda t, i: t.expand(2, 5, 4),
        ArgumentError,
        r"expand: .*\(only dimensions of size 1 grow\)",
    ),
    (lambda t, i: t.expand(-1, 2, 3, 4), ArgumentError, r"expand: .*new ones take no -1"),
    (lambda t, i: t.expand(2, 3, 2.0), TypeError, r"Tensor\.expand: size must be an int"),
    (lambda t, i: t.repeat(2, 2), ArgumentError, r"Tensor\.repeat: needs at least one size"),
    (lambda t, i: t.repeat(1, -1, 1), ArgumentError, r"Tensor\.repeat: size must be non-neg"),
    (lambda t, i: t.chunk(0), ArgumentError, r"Tensor\.chunk: chunks must be at least 1"),
    (lambda t, i: t.chunk(2.0), TypeError, r"Tensor\.chunk: chunks must be an int"),
    (lambda t, i: t.chunk(2, 3), IndexError, r"Tensor\.chunk: dim must be in \[-3, 2\]"),
    (lambda t, i: t[0, 0, 0].chunk(1), ArgumentError, r"chunk: needs a tensor of at least 1"),
    (lambda t, i: t.split(0, 1), ArgumentError, r"Tensor\.split: split_size_or_sections must"),
    (lambda t, i: t.split([1, 1], 1), ArgumentError, r"split: .* adding up to 3, got \[1, 1\]"),
    (lambda t, i: t.split([4, -1], 1), ArgumentError, r"split: split_size_or_sections must"),
    (lambda t, i: t.split(1, -4), IndexError, r"Tensor\.split: dim must be in \[-3, 2\].*got -4"),
    (lambda t, i: t.unbind(3), IndexError, r"Tensor\.unbind: dim must be in"),
    (lambda t, i: t[0, 0, 0].unbind(), IndexError, r"Tensor\.unbind: a 0-d tensor"),
    (lambda t, i: t.narrow(1, 4, 0), IndexError, r"Tensor\.narrow: start must be in \[-3, 3\]"),
    (lambda t, i: t.narrow(1, 1, 3), ArgumentError, r"Tensor\.narrow: length must be in \[0, 2"),
    (lambda t, i: t.narrow(1, 0, -1), ArgumentError, r"Tensor\.narrow: length must be"),
    (lambda t, i: t.narrow(-4, 0, 1), IndexError, r"Tensor\.narrow: dim must be in"),
    (lambda t, i: t.masked_fill(t, 0.0), TypeError, r"masked_fill: mask must be a bool Tensor"),
    (lambda t, i: t.masked_fill(t > 0, "a"), TypeError, r"masked_fill: value must be a Tensor"),
    (lambda t, i: t.masked_fill(t > 0, t[0]), ArgumentError, r"masked_fill: value must be a n"),
    (lambda t, i: t.masked_fill(t[0, :2] > 0, 1.0), ArgumentError, r"masked_fill: shapes must"),
    (lambda t, i: t.where(t, 0.0), TypeError, r"where: condition must be a bool Tensor"),
    (lambda t, i: t.where(t > 0, [1.0]), TypeError, r"Tensor\.where: other must be a Tensor"),
    (lambda t, i: t.where(t[0, :2] > 0, t), ArgumentError, r"where: shapes must broadcast"),
    (lambda t, i: t.gather(3, i([[[0]]])), IndexError, r"Tensor\.gather: dim must be in"),
    (lambda t, i: t.gather(1, i([[[0.0]]])), TypeError, r"gather: index must hold int64 .*float"),
    (lambda t, i: t.gather(1, i([[[0]]], "int16")), TypeError, r"gather: index must hold int"),
    (lambda t, i: t.gather(1, [[[0]]]), TypeError, r"gather: index must be an int64 Tensor"),
    (lambda t, i: t.gather(1, i([[0]])), ArgumentError, r"gather: index must have as many dim"),
    (lambda t, i: t.gather(1, i([[[0]]] * 3)), ArgumentError, r"gather: index of shape \(3,"),
    (lambda t, i: t.gather(0, i([[[0]]]), sparse_grad=True), NotImplementedError, "sparse_grad"),
    (lambda t, i: t.index_select(0, i([[0]])), IndexError, r"index_select: index must be a vec"),
    (lambda t, i: t.index_select(-4, i([0])), IndexError, r"Tensor\.index_select: dim must be"),
    (lambda t, i: t.index_select(0, i([0.0])), TypeError, r"index_select: index must hold int"),
    (lambda t, i: t[0, 0, 0].index_select(0, i([0, 0])), ArgumentError, r"index_select: a 0-d"),
    (lambda t, i: t.cumsum(3), IndexError, r"Tensor\.cumsum: dim must be in"),
    (lambda t, i: t.cumsum(None), TypeError, r"Tensor\.cumsum: dim must be an int"),
    (lambda t, i: t.sort(3), IndexError, r"Tensor\.sort: dim must be in"),
    (lambda t, i: t.argsort(-4), IndexError, r"Tensor\.argsort: dim must be in"),
    (lambda t, i: t.topk(5), ArgumentError, r"Tensor\.topk: k must be in \[0, 4\].*got 5"),
    (lambda t, i: t.topk(-1, 1), ArgumentError, r"Tensor\.topk: k must be in \[0, 3\]"),
    (lambda t, i: t.topk(1.5), TypeError, r"Tensor\.topk: k must be an int"),
    (lambda t, i: t.topk(1, 3), IndexError, r"Tensor\.topk: dim must be in"),
    (lambda t, i: t.new_zeros(2, -1), ArgumentError, r"Tensor\.new_zeros: size must be non-neg"),
    (lambda t, i: t.new_ones(2.5), TypeError, r"Tensor\.new_ones: size must be an int"),
    (lambda t, i: t.new_empty(2, dtype="nope"), TypeError, r"Tensor\.new_empty: dtype must be"),
    (lambda t, i: t.new_full(2, 1.0), TypeError, r"Tensor\.new_full: size must be a sequence"),
    (lambda t, i: t.new_full((2,), "a"), TypeError, r"Tensor\.new_full: fill_value must be a n"),
]


@pytest.mark.parametrize("method, error, match", BAD_ARGUMENTS)
def test_methods_reject_bad_arguments(backend, method, error, match):
    with pytest.raises(error, match=match):
        method(on(backend, x234()), lambda values, dtype=None: on(backend, values, dtype))


def test_index_on_another_backend_is_refused(backend):
    other = "strict" if backend.name != "strict" else "numpy"
    index = Tensor(to_backend(np.zeros((2, 1, 4), dtype=np.int64), other))
    with pytest.raises(TypeError, match=r"Tensor\.gather: all arrays must be on one backend"):
        on(backend, x234()).gather(1, index)
