"""Shape and layout operations (``flip``, ``roll``, ``rot90``, ``tile``, ``repeat_interleave``,
``movedim``, ``swapaxes``, ``tril``/``triu``, ``diag``, ``diag_embed``, ``diagonal``,
``trace``, ``select``, ``unfold``, ``meshgrid``, ``broadcast_tensors``, ``broadcast_to``,
``block_diag``, ``cartesian_prod``) against PyTorch autograd in float64 and float32, as
methods and as ``xpnet.<name>`` functions, with their argument errors.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from _oracle import by_name as fn
from _oracle import check_no_host_reads, check_tensor_method, random_input
from _strategies import PROFILE
from hypothesis import given
from hypothesis import strategies as st

import xpnet
from xpnet.autograd import Tensor


def method(name, *args, **kwargs):
    return lambda t: getattr(t, name)(*args, **kwargs)


CASES = [
    ("flip", (2, 3, 4), ((0, 2),), {}),
    ("flip", (2, 3), ((-1,),), {}),
    ("flip", (), ((0,),), {}),
    ("flip", (0, 3), ((0, 1),), {}),
    ("roll", (2, 3, 4), ((1, -2), (0, 2)), {}),
    ("roll", (3, 4), (5,), {}),
    ("roll", (3, 4), (-1, 1), {}),
    ("rot90", (2, 3, 4), (1, (0, 2)), {}),
    ("rot90", (2, 3), (-3, (1, 0)), {}),
    ("rot90", (2, 3), (2,), {}),
    ("tile", (2, 3), ((2, 1, 3),), {}),
    ("tile", (2, 3), ((2,),), {}),
    ("repeat_interleave", (2, 3), (2,), {"dim": 1}),
    ("repeat_interleave", (2, 3), (3,), {}),
    ("repeat_interleave", (2, 3), (0,), {"dim": -2}),
    ("movedim", (2, 3, 4), (0, -1), {}),
    ("movedim", (2, 3, 4, 5), ((0, 1), (3, 0)), {}),
    ("moveaxis", (2, 3, 4), (2, 0), {}),
    ("swapaxes", (2, 3, 4), (0, 2), {}),
    ("swapdims", (2, 3), (-1, 0), {}),
    ("tril", (3, 4), (), {}),
    ("tril", (2, 3, 4), (-1,), {}),
    ("triu", (2, 4, 3), (1,), {}),
    ("triu", (0, 3), (-5,), {}),
    ("diag", (4,), (), {}),
    ("diag", (3,), (-2,), {}),
    ("diag", (3, 4), (1,), {}),
    ("diag", (3, 4), (-5,), {}),
    ("diag_embed", (2, 3), (), {}),
    ("diag_embed", (2, 3), (-1, 0, 2), {}),
    ("diag_embed", (2, 3), (2, -1, 0), {}),
    ("diagonal", (3, 4), (), {}),
    ("diagonal", (2, 3, 4), (1, 2, 0), {}),
    ("diagonal", (2, 3, 4), (-1, -1, -2), {}),
    ("diagonal", (2, 3, 4), (9, 1, 2), {}),
    ("trace", (3, 4), (), {}),
    ("select", (2, 3, 4), (1, -1), {}),
    ("select", (2, 3), (0, 1), {}),
    ("broadcast_to", (3, 1), ((2, 3, 4),), {}),
    ("broadcast_to", (3, 1), ((-1, 2),), {}),
]


@pytest.mark.parametrize(("name", "shape", "args", "kwargs"), CASES)
def test_functions_and_methods_match_torch(backend, name, shape, args, kwargs):
    x = random_input(shape, seed=len(shape))
    check_tensor_method(fn(name, *args, **kwargs), [x], backend)
    if name not in ("moveaxis", "swapdims"):
        check_tensor_method(method(name, *args, **kwargs), [x], backend, dtype=np.float32)


@pytest.mark.parametrize(
    "op",
    [
        lambda t: t.transpose(0, 2).flip(0, 1),  # non-contiguous input; dims as varargs
        lambda t: t[:, ::2].roll(1, 1),
        lambda t: t.transpose(1, 2).tril(),
        lambda t: t.permute(2, 0, 1).diagonal(0, 0, 2),
        lambda t: t.transpose(0, 1).unfold(2, 2, 1),
        lambda t: t.tile((2, 1)).repeat_interleave(2, dim=0),
        lambda t: t.diagonal(dim1=1, dim2=2).diag_embed() * t,  # a graph on both sides
    ],
)
def test_compositions_on_views_match_torch(backend, op):
    check_tensor_method(op, [random_input((3, 4, 4), seed=3)], backend)


@pytest.mark.parametrize(
    ("shape", "args"),
    [((7,), (0, 3, 2)), ((2, 7), (1, 2, 3)), ((2, 5, 3), (-2, 5, 1)), ((4, 3), (0, 1, 1)),
     ((4, 3), (0, 0, 2)), ((), (0, 1, 1))],
)  # fmt: skip
def test_unfold_matches_torch(backend, shape, args):
    """Overlapping windows (step < size) add their gradients up."""
    check_tensor_method(method("unfold", *args), [random_input(shape, seed=2)], backend)


def test_repeat_interleave_with_tensor_repeats_matches_torch(backend):
    x = random_input((3, 2), seed=1)
    counts = np.array([2, 0, 3])

    def op(t):
        namespace = torch if isinstance(t, torch.Tensor) else xpnet
        repeats = namespace.tensor(counts)
        return t.repeat_interleave(repeats, dim=0, output_size=5)

    check_tensor_method(op, [x], backend)
    one = xpnet.tensor([2])
    assert xpnet.repeat_interleave(xpnet.tensor([1, 2]), one).tolist() == [1, 1, 2, 2]


@pytest.mark.parametrize("indexing", ["ij", "xy"])
@pytest.mark.parametrize("shapes", [((2,), (3,)), ((2,), (3,), (4,)), ((3,),), ((), (2,))])
def test_meshgrid_matches_torch(backend, indexing, shapes):
    inputs = [random_input(s, seed=i) for i, s in enumerate(shapes)]

    def op(*tensors):
        namespace = torch if isinstance(tensors[0], torch.Tensor) else xpnet
        grids = namespace.meshgrid(*tensors, indexing=indexing)
        return sum(g * (i + 1) for i, g in enumerate(grids))

    check_tensor_method(op, inputs, backend)


@pytest.mark.parametrize(
    ("name", "shapes"),
    [
        ("broadcast_tensors", ((2, 1), (3,), ())),
        ("block_diag", ((2, 3), (1,), (), (2, 2))),
        ("block_diag", ((0, 2), (2, 0))),
        ("cartesian_prod", ((2,), (3,), (2,))),
        ("cartesian_prod", ((3,),)),
    ],
)
def test_several_tensor_functions_match_torch(backend, name, shapes):
    inputs = [random_input(s, seed=i) for i, s in enumerate(shapes)]

    def op(*tensors):
        namespace = torch if isinstance(tensors[0], torch.Tensor) else xpnet
        result = getattr(namespace, name)(*tensors)
        if isinstance(result, tuple):
            return sum(r * (i + 1) for i, r in enumerate(result))
        return result

    check_tensor_method(op, inputs, backend)


def test_block_diag_promotes_and_an_empty_call_is_1_by_0():
    result = xpnet.block_diag(xpnet.tensor([[1, 2]]), xpnet.tensor([0.5]))
    expected = torch.block_diag(torch.tensor([[1, 2]]), torch.tensor([0.5]))
    assert result.tolist() == expected.tolist() and str(result.dtype) == "float32"
    assert xpnet.block_diag().shape == tuple(torch.block_diag().shape)


def test_tril_triu_in_place_match_torch(backend):
    x = random_input((3, 4), seed=4)
    expected = torch.tensor(x).tril_(1)
    tensor = Tensor(backend.asarray(x))
    assert tensor.tril_(1) is tensor
    np.testing.assert_array_equal(backend.to_host(tensor.array), expected.numpy())

    def op(t):
        return (t * 2).triu_(-1)

    check_tensor_method(op, [x], backend)


def test_integers_keep_their_dtype(backend):
    x = Tensor(backend.asarray(np.arange(12).reshape(3, 4)))
    t = torch.arange(12).reshape(3, 4)
    for name, args in [("flip", (0,)), ("tril", ()), ("diagonal", ()), ("trace", ())]:
        ours, theirs = getattr(x, name)(*args), getattr(t, name)(*args)
        assert ours.tolist() == theirs.tolist(), name
        assert str(ours.dtype) == str(theirs.dtype).removeprefix("torch."), name


ERRORS = [
    (lambda x: x.flip(0, 0), RuntimeError, "flip: dim must name each dimension at most once"),
    (lambda x: x.flip(3), IndexError, "flip: dim must be in"),
    (lambda x: xpnet.roll(x, (1, 2), 0), RuntimeError, "roll: shifts and dims must have"),
    (lambda x: xpnet.roll(x, (1, 2)), RuntimeError, "roll: without dims"),
    (lambda x: x.roll(1.5, 0), TypeError, "roll: shifts must be an int"),
    (lambda x: x.sum().roll(1, 0), IndexError, "roll: dims given for a 0-d tensor"),
    (lambda x: x.reshape(-5), RuntimeError, "reshape: invalid shape dimension -5 at index 0"),
    (lambda x: x.flip(), TypeError, 'flip: missing 1 required positional argument: "dims"'),
    (lambda x: x[::-1], ValueError, "^step must be greater than zero$"),  # NumPy reverses
    (lambda x: x.__setitem__((0, slice(None, None, -2)), 1.0), ValueError, "step must be"),
    (lambda x: x.view(-1, -1), RuntimeError, "view: only one dimension can be inferred"),
    (lambda x: x.flatten(True), TypeError, "flatten: start_dim must be an int"),
    (lambda x: x.size(True), TypeError, "size: dim must be an int"),
    (lambda x: x.size(2), IndexError, "size: dim must be in \\[-2, 1\\]"),
    (lambda x: x.sum().size(0), IndexError, "size: dim 0 given for a 0-d tensor"),
    (lambda x: x.rot90(1, (0, 0)), RuntimeError, "rot90: dims must be different"),
    (lambda x: x.rot90(1, (0,)), RuntimeError, "rot90: dims must hold 2 dims"),
    (lambda x: x[0].rot90(), RuntimeError, "rot90: input must have at least 2"),
    (lambda x: x.tile(-1), RuntimeError, "tile: size must be non-negative"),
    (lambda x: x.repeat_interleave(-1), RuntimeError, "repeats can not be negative"),
    (lambda x: x.repeat_interleave(xpnet.tensor([1, 2])), RuntimeError, "one count per"),
    (lambda x: x.repeat_interleave(xpnet.tensor([1.0])), TypeError, "int Tensor"),
    (lambda x: x.repeat_interleave(2, output_size=3), RuntimeError, "output_size must be 24"),
    (lambda x: x.movedim((0, 1), (1,)), RuntimeError, "movedim: source and destination"),
    (lambda x: x.movedim((0, 0), (1, 0)), RuntimeError, "movedim: dim must name each"),
    (lambda x: x.swapaxes(0, 2), IndexError, "transpose"),
    (lambda x: x[0].tril(), RuntimeError, "tril: input must have at least 2 dimensions"),
    (lambda x: x.triu(0.5), TypeError, "triu: diagonal must be an int"),
    (lambda x: x[None].diag(), RuntimeError, "diag: input must be 1-d or 2-d"),
    (lambda x: x.diagonal(0, 1, -1), RuntimeError, "diagonal: dim1 and dim2 must be two"),
    (lambda x: x.diag_embed(0, 0, -3), RuntimeError, "diag_embed: dim1 and dim2 must be"),
    (lambda x: x[0].trace(), RuntimeError, "trace: input must be a matrix"),
    (lambda x: x.select(1, 4), IndexError, "select: index 4 is out of range"),
    (lambda x: x.sum().select(0, 0), IndexError, "select: cannot select from a 0-d"),
    (lambda x: x.unfold(1, 5, 1), RuntimeError, "unfold: size must be in"),
    (lambda x: x.unfold(1, 2, 0), RuntimeError, "unfold: step must be positive"),
    (lambda x: x.broadcast_to((2, 3)), RuntimeError, "expand: sizes"),
    (lambda x: xpnet.broadcast_tensors(x, x[:2, :2]), RuntimeError, "broadcast_tensors"),
    (lambda x: xpnet.meshgrid(x[0], x[0], indexing="yx"), RuntimeError, "indexing must be"),
    (lambda x: xpnet.meshgrid(x, x), RuntimeError, "meshgrid: tensors must be 0-d or 1-d"),
    (lambda x: xpnet.meshgrid(x[0], [1]), TypeError, "meshgrid: tensors\\[1\\] must be"),
    (lambda x: xpnet.block_diag(x[None]), RuntimeError, "block_diag: tensors must have 2"),
    (lambda x: xpnet.cartesian_prod(x), RuntimeError, "cartesian_prod: tensors must be 1-d"),
]


@pytest.mark.parametrize(("call", "error", "match"), ERRORS)
def test_argument_errors_name_the_function(backend, call, error, match):
    x = Tensor(backend.asarray(random_input((3, 4), seed=0)))
    with pytest.raises(error, match=match):
        call(x)


@pytest.mark.parametrize(
    ("call", "error"),
    [
        (lambda t: t.flip(0, 0), RuntimeError),
        (lambda t: t.rot90(1, (0, 0)), RuntimeError),
        (lambda t: t[0].tril(), RuntimeError),
        (lambda t: t.diagonal(0, 1, -1), RuntimeError),
        (lambda t: t.select(1, 4), IndexError),
        (lambda t: t.unfold(1, 5, 1), RuntimeError),
        (lambda t: t.sum().roll(1, 0), IndexError),
        (lambda t: t.reshape(-5), RuntimeError),
        (lambda t: t.flip(), TypeError),
        (lambda t: t[::-1], ValueError),
        (lambda t: t.__setitem__((0, slice(None, None, -2)), 1.0), ValueError),
        (lambda t: t.view(-1, -1), RuntimeError),
        (lambda t: t.flatten(True), TypeError),
        (lambda t: t.size(True), TypeError),
        (lambda t: t.size(2), IndexError),
        (lambda t: t.sum().size(0), IndexError),
    ],
)
def test_pytorch_raises_the_same_types(call, error):
    with pytest.raises(error):
        call(torch.zeros(3, 4))


@given(
    shape=st.lists(st.integers(0, 3), min_size=1, max_size=4),
    seed=st.integers(0, 2**16),
    data=st.data(),
)
@PROFILE
def test_flip_twice_is_identity_and_roll_keeps_shapes(backend, shape, seed, data):
    ndim = len(shape)
    dims = data.draw(st.lists(st.integers(-ndim, ndim - 1), unique_by=lambda d: d % ndim))
    shifts = data.draw(st.lists(st.integers(-5, 5), min_size=len(dims), max_size=len(dims)))
    x = Tensor(backend.asarray(random_input(tuple(shape), seed=seed)))
    np.testing.assert_array_equal(backend.to_host(x.flip(dims).flip(dims).array), x.numpy())
    if dims:
        rolled = x.roll(shifts, dims)
        expected = torch.tensor(x.numpy()).roll(shifts, dims)
        assert rolled.shape == x.shape
        np.testing.assert_array_equal(rolled.numpy(), expected.numpy())


@pytest.mark.parametrize(
    "op",
    [
        lambda t: t.flip(0).roll(1, 1).rot90().tril(1).diagonal(),
        lambda t: t.tile((2, 1)).repeat_interleave(2, dim=1).movedim(0, 1).swapaxes(0, 1),
        lambda t: t.diag_embed()[0].trace() + t.select(0, 1).sum() + t.unfold(1, 2, 1).sum(),
        lambda t: xpnet.block_diag(t, t[0]).sum() + xpnet.cartesian_prod(t[0], t[1]).sum(),
        lambda t: sum(g.sum() for g in xpnet.meshgrid(t[0], t[1], indexing="xy")),
    ],
)
def test_no_host_reads_on_strict(strict, op):
    """Shapes come from shapes alone: no device-to-host read, forward or backward."""
    check_no_host_reads(strict, op)
