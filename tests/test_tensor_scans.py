"""Running operations and writes by index (``cumprod``, ``cummax``/``cummin``,
``logcumsumexp``, ``diff``, ``scatter``, ``index_add``, ``index_copy``, ``index_fill``,
``take_along_dim`` and their in-place forms) against PyTorch autograd in float64 and float32:
zeros in ``cumprod``, ties and NaN in ``cummax``, infinities in ``logcumsumexp``, repeated
indices, and every argument error.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from _oracle import by_name as fn
from _oracle import check_tensor_method, random_input
from _strategies import PROFILE
from hypothesis import given
from hypothesis import strategies as st

import xpnet
from xpnet.autograd import Tensor
from xpnet.backends import raise_deferred

NAN, INF = np.nan, np.inf


def first(name, *args):
    """``namespace.<name>(x, *args)[0]`` (the values of cummax/cummin)."""
    return lambda t: getattr(t, name)(*args)[0]


def ties(shape, seed):
    return np.random.default_rng(seed).integers(-2, 3, size=shape).astype(np.float64)


@pytest.mark.parametrize(
    ("shape", "dim"), [((5,), 0), ((3, 4), 1), ((3, 4), -2), ((2, 3, 4), 1), ((), 0), ((0, 3), 1)]
)
def test_cumprod_matches_torch(backend, shape, dim):
    check_tensor_method(fn("cumprod", dim), [random_input(shape, seed=1)], backend)
    check_tensor_method(
        fn("cumprod", dim), [random_input(shape, seed=1)], backend, dtype=np.float32
    )


@pytest.mark.parametrize(
    "line",
    [[2.0, 0.0, 3.0, 4.0], [0.0, 2.0, 3.0], [2.0, 3.0, 0.0], [0.0, 0.0, 2.0], [1.5, 0.0, 0.0, 2.0],
     [NAN, 0.0, 2.0], [2.0, INF, 0.5]],
)  # fmt: skip
def test_cumprod_gradient_with_zeros_nan_inf_matches_torch(backend, line):
    """Lines with and without zeros in one tensor (PyTorch's global test picks the formula)."""
    x = np.stack([np.array(line), np.linspace(0.5, 1.5, len(line))])
    check_tensor_method(fn("cumprod", 1), [x], backend)
    check_tensor_method(lambda t: t.transpose(0, 1).cumprod(0), [x], backend)


def test_cumprod_of_integers_gives_int64_and_dtype_casts(backend):
    x = Tensor(backend.asarray(np.array([1, 2, 3], dtype=np.int32)))
    assert x.cumprod(0).dtype == np.int64 and x.cumprod(0).tolist() == [1, 2, 6]
    assert xpnet.cumprod(x, 0, dtype=xpnet.float64).dtype == np.float64


@pytest.mark.parametrize("name", ["cummax", "cummin"])
@pytest.mark.parametrize(("shape", "dim"), [((7,), 0), ((3, 5), 1), ((3, 5), 0), ((2, 3, 4), -1)])
def test_cummax_cummin_with_ties_match_torch(backend, name, shape, dim):
    """Ties: the last index wins, and gets the gradient, as PyTorch's."""
    x = ties(shape, seed=3)
    check_tensor_method(first(name, dim), [x], backend)
    check_tensor_method(first(name, dim), [random_input(shape, seed=2)], backend, dtype=np.float32)
    ours = getattr(xpnet, name)(Tensor(backend.asarray(x)), dim)
    theirs = getattr(torch, name)(torch.tensor(x), dim)
    np.testing.assert_array_equal(ours[1].numpy(), theirs.indices.numpy())
    assert ours[1].dtype == np.int64


@pytest.mark.parametrize("name", ["cummax", "cummin"])
def test_cummax_cummin_with_nan_inf_0d_and_empty_match_torch(backend, name):
    x = np.array([[1.0, NAN, 3.0, NAN, -1.0], [INF, -INF, INF, 2.0, -INF]])
    check_tensor_method(first(name, 1), [x], backend)
    ours = getattr(xpnet, name)(Tensor(backend.asarray(x)), 1)
    np.testing.assert_array_equal(ours[1].numpy(), getattr(torch, name)(torch.tensor(x), 1)[1])
    scalar = Tensor(backend.asarray(np.array(2.5)), requires_grad=True)
    values, indices = getattr(scalar, name)(0)  # PyTorch's 0-d gradient trips the oracle
    (values * 3).backward()
    assert (values.tolist(), indices.tolist(), scalar.grad.tolist()) == (2.5, 0, 3.0)
    empty = Tensor(backend.asarray(np.zeros((0, 3))), requires_grad=True)
    values, indices = getattr(empty, name)(1)
    values.sum().backward()
    assert values.shape == indices.shape == empty.grad.shape == (0, 3)
    ints = torch.tensor([3, 1, 3, 5])
    values, indices = getattr(Tensor(backend.asarray(ints.numpy())), name)(0)
    expected = getattr(ints, name)(0)
    assert values.tolist() == expected.values.tolist()
    assert indices.tolist() == expected.indices.tolist()


@pytest.mark.parametrize(
    "x",
    [random_input((3, 6), seed=4, low=-5, high=5), np.array([[1000.0, 1000.0, -1000.0, 2.0]]),
     np.array([[-INF, 0.0, 1.0, -INF]]), np.array([[NAN, 1.0, 2.0]])],
)  # fmt: skip
def test_logcumsumexp_matches_torch(backend, x):
    check_tensor_method(fn("logcumsumexp", 1), [x], backend)
    check_tensor_method(lambda t: t.logcumsumexp(0), [x], backend)


def test_logcumsumexp_float32_0d_and_empty(backend):
    check_tensor_method(fn("logcumsumexp", -1), [random_input((2, 5))], backend, dtype=np.float32)
    check_tensor_method(fn("logcumsumexp", 0), [np.array(0.5)], backend)
    check_tensor_method(fn("logcumsumexp", 1), [np.zeros((2, 0))], backend)


@pytest.mark.parametrize(
    ("shape", "kwargs"),
    [((5,), {}), ((3, 4), {"dim": 0}), ((3, 4), {"n": 2}), ((3, 4), {"n": 5}), ((3, 4), {"n": 0}),
     ((2, 3), {"prepend": (2, 2), "append": (2, 1)}), ((2, 3), {"dim": 0, "append": (1, 3)})],
)  # fmt: skip
def test_diff_matches_torch(backend, shape, kwargs):
    extra = {k: random_input(v, seed=7) for k, v in kwargs.items() if k in ("prepend", "append")}
    options = {k: v for k, v in kwargs.items() if k not in extra}

    def call(t, *rest):
        namespace = torch if isinstance(t, torch.Tensor) else xpnet
        given = dict(zip(extra, rest, strict=True))
        return namespace.diff(t, **options, **given)

    check_tensor_method(call, [random_input(shape, seed=1), *extra.values()], backend)
    booleans = np.array([True, True, False, True])
    ours = Tensor(backend.asarray(booleans)).diff()
    assert ours.tolist() == torch.tensor(booleans).diff().tolist()


INDEX = np.array([[2, 0, 2], [1, 1, 0]])  # repeats along dim 1 of a (2, 4) input


@pytest.mark.parametrize("reduce", [None, "add"])
def test_scatter_matches_torch(backend, reduce):
    """``src`` larger than ``index``; ``add`` sums repeats. Without reduce, repeats in index
    are left out of the comparison (which value wins is unspecified)."""
    index = INDEX if reduce else np.array([[2, 0, 3], [1, 3, 0]])

    def call(x, src):
        namespace = torch if isinstance(x, torch.Tensor) else xpnet
        idx = torch.tensor(index) if namespace is torch else Tensor(backend.asarray(index))
        if reduce and namespace is torch:  # its reduce="add" has no derivative: scatter_add
            return x.scatter_add(1, idx, src) * 2
        if reduce:
            return x.scatter(1, idx, src, reduce=reduce) * 2
        return namespace.scatter(x, 1, idx, src) * 2

    inputs = [random_input((2, 4), seed=1), random_input((2, 3), seed=2)]
    check_tensor_method(call, inputs, backend)
    check_tensor_method(call, inputs, backend, dtype=np.float32)


def test_scatter_value_in_place_and_0d(backend):
    x = random_input((2, 4), seed=1)
    expected = torch.tensor(x).scatter_(0, torch.tensor([[1, 0]]), 7.5)
    ours = Tensor(backend.asarray(x))
    assert ours.scatter_(0, Tensor(backend.asarray([[1, 0]])), 7.5) is ours
    np.testing.assert_array_equal(ours.numpy(), expected.numpy())
    zero_d = xpnet.tensor(1.0).scatter(0, xpnet.tensor(0), xpnet.tensor(4.0))
    assert zero_d.tolist() == torch.tensor(1.0).scatter(0, torch.tensor(0), torch.tensor(4.0))
    larger = torch.tensor(x).scatter(1, torch.tensor(INDEX), torch.ones(3, 5, dtype=torch.float64))
    ours = Tensor(backend.asarray(x)).scatter(
        1, Tensor(backend.asarray(INDEX)), Tensor(backend.asarray(np.ones((3, 5))))
    )  # src larger than index: PyTorch's backward refuses that, its forward takes the corner
    np.testing.assert_array_equal(ours.numpy(), larger.numpy())

    def op(t, src):
        return (t * 1).scatter_(1, Tensor(backend.asarray(INDEX[:, :1])), src)

    def op_torch(t, src):
        return (t * 1).scatter_(1, torch.tensor(INDEX[:, :1]), src)

    check_tensor_method(
        lambda t, s: (op_torch if isinstance(t, torch.Tensor) else op)(t, s),
        [x, random_input((2, 1), seed=3)],
        backend,
    )


@pytest.mark.parametrize("name", ["index_add", "index_copy"])
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_index_add_copy_match_torch(backend, name, dim):
    index = np.array([2, 0]) if name == "index_copy" else np.array([2, 0, 2])
    shape = [3, 4]
    shape[dim] = len(index)

    def call(x, source):
        namespace = torch if isinstance(x, torch.Tensor) else xpnet
        options = {"alpha": -2.0} if name == "index_add" else {}
        idx = torch.tensor(index) if namespace is torch else Tensor(backend.asarray(index))
        return getattr(namespace, name)(x, dim, idx, source, **options)

    inputs = [random_input((3, 4), seed=1), random_input(tuple(shape), seed=2)]
    check_tensor_method(call, inputs, backend)
    check_tensor_method(call, inputs, backend, dtype=np.float32)


def test_index_fill_and_in_place_forms_match_torch(backend):
    x = random_input((3, 4), seed=1)

    def call(t):
        namespace = torch if isinstance(t, torch.Tensor) else xpnet
        index = torch.tensor([1, 3]) if namespace is torch else Tensor(backend.asarray([1, 3]))
        return t.index_fill(1, index, -1.5) * 2 + (t * 1).index_fill_(0, index[:1], 0.5)

    check_tensor_method(call, [x], backend)
    ours, theirs = Tensor(backend.asarray(x)), torch.tensor(x)
    ours.index_add_(0, Tensor(backend.asarray([0, 0])), Tensor(backend.asarray(np.ones((2, 4)))))
    theirs.index_add_(0, torch.tensor([0, 0]), torch.ones(2, 4, dtype=torch.float64))
    ours.index_copy_(1, Tensor(backend.asarray([3])), Tensor(backend.asarray(np.zeros((3, 1)))))
    theirs.index_copy_(1, torch.tensor([3]), torch.zeros(3, 1, dtype=torch.float64))
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


@pytest.mark.parametrize(
    ("shape", "index_shape", "dim"), [((3, 4), (3, 2), 1), ((3, 4), (1, 5), 1), ((3, 1), (2, 4), 0),
                                      ((3, 4), (5,), None)],
)  # fmt: skip
def test_take_along_dim_matches_torch(backend, shape, index_shape, dim):
    bound = shape[dim] if dim is not None else int(np.prod(shape))
    index = np.random.default_rng(0).integers(0, bound, size=index_shape)

    def call(x):
        namespace = torch if isinstance(x, torch.Tensor) else xpnet
        idx = torch.tensor(index) if namespace is torch else Tensor(backend.asarray(index))
        return namespace.take_along_dim(x, idx, dim)

    check_tensor_method(call, [random_input(shape, seed=1)], backend)


@pytest.mark.parametrize(
    ("shape", "mask_shape", "source_shape"),
    [
        ((3, 4), (3, 4), (12,)),
        ((3, 4), (4,), (2, 5)),
        ((3, 4), (3, 1), (4, 4)),
        ((0, 4), (4,), (3,)),
    ],
)
def test_masked_scatter_matches_torch(backend, shape, mask_shape, source_shape):
    """``source`` larger than needed: its tail gets zero gradients."""
    mask = np.random.default_rng(1).random(mask_shape) > 0.4

    def call(x, source):
        if isinstance(x, torch.Tensor):
            return x.masked_scatter(torch.tensor(mask), source) * 2
        return xpnet.masked_scatter(x, Tensor(backend.asarray(mask)), source) * 2

    inputs = [random_input(shape, seed=1), random_input(source_shape, seed=2)]
    check_tensor_method(call, inputs, backend)
    check_tensor_method(call, inputs, backend, dtype=np.float32)
    ours = Tensor(backend.asarray(inputs[0]))
    ours.masked_scatter_(Tensor(backend.asarray(mask)), Tensor(backend.asarray(inputs[1])))
    theirs = torch.tensor(inputs[0]).masked_scatter_(torch.tensor(mask), torch.tensor(inputs[1]))
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def _x(backend):
    return Tensor(backend.asarray(random_input((2, 4), seed=0)))


def _i(values):
    """An index Tensor on the current backend."""
    return xpnet.Tensor(xpnet.get_backend().asarray(np.array(values)))


ERRORS = [
    (lambda x: x.cumprod(2), IndexError, "cumprod: dim must be in"),
    (lambda x: x.cumprod(0.5), TypeError, "cumprod: dim must be an int"),
    (lambda x: x.cummax(-3), IndexError, "cummax: dim must be in"),
    (lambda x: x.int().logcumsumexp(0), RuntimeError, "logcumsumexp: input must be floating"),
    (lambda x: x.sum().diff(), RuntimeError, "diff: expects a tensor of at least 1 dimension"),
    (lambda x: x.diff(n=-1), RuntimeError, "diff: order must be non-negative"),
    (lambda x: x.diff(prepend=x[0]), RuntimeError, "diff: prepend and append must have 2"),
    (lambda x: x.scatter(1, _i([[0]])), TypeError, "scatter: give one of src"),
    (lambda x: x.scatter(1, _i([[0.0]]), 1.0), TypeError, "scatter: index must hold"),
    (lambda x: x.scatter(1, _i([0]), 1.0), RuntimeError, "scatter: index and src"),
    (lambda x: x.scatter(1, _i([[0, 1]]), x[:1, :1]), RuntimeError, "no larger"),
    (lambda x: x.scatter(1, _i([[4]]), 1.0), IndexError, "scatter: index values"),
    (lambda x: x.scatter(1, _i([[0]]), x.int()), RuntimeError, "scatter: src must"),
    (lambda x: x.scatter(1, _i([[0]]), 1.0, reduce="max"), RuntimeError, "reduce"),
    (lambda x: x.index_add(0, _i([0]), x), RuntimeError, "index_add: source must"),
    (lambda x: x.index_add(0, _i([[0]]), x[:1]), IndexError, "index must be 0-d or"),
    (lambda x: x.index_add(0, _i([2]), x[:1]), IndexError, "index_add: index values"),
    (lambda x: x.index_copy(0, _i([0]), [1]), TypeError, "index_copy: source must"),
    (lambda x: x.index_fill(1, _i([0]), x), RuntimeError, "index_fill: value must"),
    (lambda x: x.take_along_dim(_i([0]), 1), RuntimeError, "take_along_dim: indices"),
    (lambda x: x.masked_scatter(x > 0, x[0]), RuntimeError, "source has 4 elements, fewer"),
    (lambda x: x.masked_scatter(x, x), TypeError, "masked_scatter: mask must be a bool"),
    (lambda x: x.masked_scatter(x[0] > 9, x.int()), RuntimeError, "source must have input's"),
    (lambda x: x.masked_scatter(_i([True, False]), x), RuntimeError, "does not broadcast"),
    (lambda x: x.take_along_dim(_i([[0]] * 3), 1), RuntimeError, "do not broadcast"),
]  # fmt: skip


@pytest.mark.parametrize(("call", "error", "match"), ERRORS)
def test_argument_errors_name_the_function(backend, call, error, match):
    with pytest.raises(error, match=match):
        call(_x(backend))
        raise_deferred()  # an index value out of range: deferred on a GPU backend


@given(shape=st.lists(st.integers(1, 4), min_size=1, max_size=3), seed=st.integers(0, 2**16))
@PROFILE
def test_cummax_agrees_with_a_python_loop(backend, shape, seed):
    x = ties(tuple(shape), seed)
    values, indices = Tensor(backend.asarray(x)).cummax(-1)
    best, where = x[..., :1].copy(), np.zeros(x.shape[:-1] + (1,), dtype=np.int64)
    for i in range(x.shape[-1]):
        newer = x[..., i : i + 1] >= best
        best, where = np.where(newer, x[..., i : i + 1], best), np.where(newer, i, where)
        np.testing.assert_array_equal(values.numpy()[..., i : i + 1], best)
        np.testing.assert_array_equal(indices.numpy()[..., i : i + 1], where)


@pytest.mark.parametrize(
    "op",
    [
        lambda t, i: t.cumprod(1) + t.cummax(0)[0] + t.cummin(1)[0] + t.logcumsumexp(0),
        lambda t, i: t.diff(n=2, prepend=t).sum() + t.take_along_dim(i, 1).sum(),
        lambda t, i: t.scatter(1, i, t) + t.scatter(0, i, 2.0, reduce="add"),
        lambda t, i: t.index_add(1, i[0], t) + t.index_copy(0, i[1], t) + t.index_fill(0, i[0], 1),
        lambda t, i: t.masked_scatter(t > 0.2, t * 3),
    ],
)
def test_no_host_reads_on_strict(strict, op):
    """No device-to-host read, forward or backward: index values are checked later."""
    from xpnet.backends import host_reads_forbidden, use_backend

    with use_backend("strict"):
        x = Tensor(strict.asarray(random_input((3, 3), seed=1)), requires_grad=True)
        index = Tensor(strict.asarray(np.array([[2, 0, 1], [1, 2, 0], [0, 1, 2]])))
        with host_reads_forbidden():
            op(x, index).sum().backward()
        raise_deferred()
        assert x.grad.shape == (3, 3)
