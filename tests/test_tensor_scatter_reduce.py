"""``scatter_reduce``, ``index_reduce`` (and their in-place forms) and
``scatter(reduce="multiply")`` against PyTorch autograd: float64 values and both gradients
with repeated indices, ties for ``amax``/``amin`` and zeros for ``prod``, float32, integer
values, empty indices, and every argument error.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from _oracle import check_no_host_reads, check_tensor_method, random_input

import xpnet
from xpnet.autograd import Tensor
from xpnet.backends import raise_deferred

REDUCTIONS = ["sum", "prod", "mean", "amax", "amin"]
NAN = np.nan


def ties(shape, seed):
    """Small integers as floats: repeated values (ties) and zeros."""
    return np.random.default_rng(seed).integers(-2, 3, size=shape).astype(np.float64)


def _index(namespace, index):
    if namespace is torch:
        return torch.tensor(index)
    return Tensor(xpnet.get_backend().asarray(index))


def reduced(name, dim, index, reduce, include_self=True):
    """``<name>(x, dim, index, src, reduce, include_self=...)`` on either library, times 2
    (an upstream gradient that is not all ones)."""

    def call(x, src):
        namespace = torch if isinstance(x, torch.Tensor) else xpnet
        with warnings.catch_warnings():  # torch: "index_reduce() is in beta"
            warnings.simplefilter("ignore", UserWarning)
            out = getattr(namespace, name)(
                x, dim, _index(namespace, index), src, reduce, include_self=include_self
            )
        return out * 2

    return call


# (input shape, dim, index shape) for scatter_reduce: repeats, negative dims, 3-d
SCATTER_CASES = [((4,), 0, (7,)), ((3, 4), 1, (3, 6)), ((3, 4), -2, (5, 4)),
                 ((2, 3, 4), 1, (2, 5, 3)), ((2, 3, 4), -1, (1, 2, 6))]  # fmt: skip


def _scatter_inputs(shape, dim, index_shape, seed):
    index = np.random.default_rng(seed).integers(0, shape[dim], size=index_shape)
    return index, ties(shape, seed + 1), ties(index_shape, seed + 2)


@pytest.mark.parametrize("include_self", [True, False])
@pytest.mark.parametrize("reduce", REDUCTIONS)
@pytest.mark.parametrize(("shape", "dim", "index_shape"), SCATTER_CASES)
def test_scatter_reduce_matches_torch(backend, shape, dim, index_shape, reduce, include_self):
    """Ties, zeros and repeated indices in every case (small integer values)."""
    index, x, src = _scatter_inputs(shape, dim, index_shape, seed=len(shape) + dim)
    call = reduced("scatter_reduce", dim, index, reduce, include_self)
    check_tensor_method(call, [x, src], backend)
    spread = [random_input(shape, seed=3), random_input(index_shape, seed=4)]
    check_tensor_method(call, spread, backend)
    check_tensor_method(call, spread, backend, dtype=np.float32)


@pytest.mark.parametrize("include_self", [True, False])
@pytest.mark.parametrize(
    "line",
    [[0.0, 2.0, 3.0, 4.0], [0.0, 0.0, 3.0, 4.0], [2.0, 0.0, 0.0, 0.0], [2.0, 3.0, 0.0, 5.0]],
)
def test_scatter_reduce_prod_gradient_at_zeros_matches_torch(backend, line, include_self):
    """One zero, two zeros in one target, a zero in ``input``: PyTorch's exact products."""
    x = np.array([[line[0], 1.5, 0.0], [2.0, 0.0, -1.0]])
    src = np.array([line[1:] + [0.5], [0.0, 3.0, 0.5, 2.0]])
    index = np.array([[0, 0, 0, 2], [1, 1, 0, 2]])
    check_tensor_method(
        reduced("scatter_reduce", 1, index, "prod", include_self), [x, src], backend
    )


@pytest.mark.parametrize("include_self", [True, False])
@pytest.mark.parametrize("reduce", ["amax", "amin"])
def test_scatter_reduce_ties_share_the_gradient_as_torch(backend, reduce, include_self):
    """Two src values tie for the result; ``input``'s equal value shares too, counted by
    PyTorch even without ``include_self`` (where it then gets no gradient itself)."""
    sign = 1.0 if reduce == "amax" else -1.0
    x = sign * np.array([[2.0, 1.0, 3.0], [5.0, 5.0, 0.0]])
    src = sign * np.array([[2.0, 2.0, 1.0], [5.0, 4.0, 5.0]])
    index = np.array([[0, 0, 0], [1, 1, 0]])
    call = reduced("scatter_reduce", 1, index, reduce, include_self)
    check_tensor_method(call, [x, src], backend)


@pytest.mark.parametrize("reduce", ["amax", "amin", "sum", "prod"])
def test_scatter_reduce_nan_matches_torch(backend, reduce):
    x = np.array([1.0, NAN, 3.0, 4.0])
    src = np.array([NAN, 2.0, 5.0, 2.0])
    call = reduced("scatter_reduce", 0, np.array([0, 2, 1, 2]), reduce)
    check_tensor_method(call, [x, src], backend)


@pytest.mark.parametrize("dtype", [np.int64, np.int32])
@pytest.mark.parametrize("include_self", [True, False])
@pytest.mark.parametrize("reduce", REDUCTIONS)
def test_scatter_reduce_integers_match_torch(backend, reduce, include_self, dtype):
    """Integer means round down (-2 / 3 is -1), as PyTorch's."""
    rng = np.random.default_rng(5)
    x, src = rng.integers(-9, 10, (3, 4)).astype(dtype), rng.integers(-9, 10, (3, 5)).astype(dtype)
    index = rng.integers(0, 4, (3, 5))
    ours = Tensor(backend.asarray(x)).scatter_reduce(
        1, _index(xpnet, index), Tensor(backend.asarray(src)), reduce, include_self=include_self
    )
    theirs = torch.tensor(x).scatter_reduce(
        1, torch.tensor(index), torch.tensor(src), reduce, include_self=include_self
    )
    assert ours.dtype == dtype and not ours.requires_grad
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_scatter_reduce_bools_match_torch(backend):
    x, src = np.array([True, False, True]), np.array([False, True, True])
    for reduce in ["sum", "prod", "amax", "amin"]:
        ours = Tensor(backend.asarray(x)).scatter_reduce(
            0, _index(xpnet, np.array([0, 0, 1])), Tensor(backend.asarray(src)), reduce
        )
        theirs = torch.tensor(x).scatter_reduce(
            0, torch.tensor([0, 0, 1]), torch.tensor(src), reduce
        )
        assert ours.tolist() == theirs.tolist(), reduce


@pytest.mark.parametrize("reduce", REDUCTIONS)
def test_scatter_reduce_empty_index_and_0d_match_torch(backend, reduce):
    empty = np.zeros((3, 0), dtype=np.int64)
    call = reduced("scatter_reduce", 1, empty, reduce, include_self=False)
    check_tensor_method(call, [random_input((3, 4), seed=1), np.zeros((3, 0))], backend)
    zero_d = reduced("scatter_reduce", 0, np.array(0), reduce)
    check_tensor_method(zero_d, [np.array(2.5), np.array(-1.5)], backend)


def test_scatter_reduce_src_larger_than_index(backend):
    """The corner of ``src`` is read (as PyTorch's forward); the rest gets zero gradients
    (PyTorch's backward refuses this shape)."""
    x, src = Tensor(backend.asarray(ties((2, 3), 1)), requires_grad=True), random_input((3, 4))
    src = Tensor(backend.asarray(src), requires_grad=True)
    index = np.array([[0, 0], [2, 1]])
    ours = x.scatter_reduce(1, _index(xpnet, index), src, "sum")
    expected = torch.tensor(x.numpy()).scatter_reduce(
        1, torch.tensor(index), torch.tensor(src.numpy()), "sum"
    )
    np.testing.assert_array_equal(ours.detach().numpy(), expected.numpy())
    ours.sum().backward()
    assert src.grad[:2, :2].tolist() == [[1.0, 1.0], [1.0, 1.0]] and not src.grad[2:].any()


@pytest.mark.parametrize("include_self", [True, False])
@pytest.mark.parametrize("reduce", ["prod", "mean", "amax", "amin"])
@pytest.mark.parametrize(("shape", "dim"), [((4,), 0), ((3, 4), 0), ((3, 4), -1), ((2, 3, 4), 1)])
def test_index_reduce_matches_torch(backend, shape, dim, reduce, include_self):
    index = np.array([2, 0, 2, 2, 1])[: shape[dim] + 1]
    source_shape = list(shape)
    source_shape[dim] = len(index)
    call = reduced("index_reduce", dim, index, reduce, include_self)
    check_tensor_method(call, [ties(shape, 1), ties(tuple(source_shape), 2)], backend)
    spread = [random_input(shape, seed=3), random_input(tuple(source_shape), seed=4)]
    check_tensor_method(call, spread, backend, dtype=np.float32)


def test_index_reduce_integers_and_empty_match_torch(backend):
    x, source = np.array([1, 2, 5], dtype=np.int64), np.array([-5, 2, 7], dtype=np.int64)
    ours = Tensor(backend.asarray(x)).index_reduce(
        0, _index(xpnet, np.array([0, 0, 2])), Tensor(backend.asarray(source)), "mean"
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        theirs = torch.tensor(x).index_reduce(
            0, torch.tensor([0, 0, 2]), torch.tensor(source), "mean"
        )
    assert ours.tolist() == theirs.tolist() == [-1, 2, 6]
    empty = reduced("index_reduce", 1, np.zeros(0, dtype=np.int64), "prod", include_self=False)
    check_tensor_method(empty, [random_input((3, 4)), np.zeros((3, 0))], backend)


@pytest.mark.parametrize("name", ["scatter_reduce_", "index_reduce_"])
def test_in_place_forms_match_torch(backend, name):
    x, src = random_input((3, 4), seed=1), random_input((3, 4), seed=2)
    index = np.array([[1, 1, 0, 2]] * 3) if name == "scatter_reduce_" else np.array([2, 0, 2])
    ours = Tensor(backend.asarray(x))
    result = getattr(ours, name)(
        0, _index(xpnet, index), Tensor(backend.asarray(src)), "amax", include_self=False
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        theirs = getattr(torch.tensor(x), name)(
            0, torch.tensor(index), torch.tensor(src), "amax", include_self=False
        )
    assert result is ours
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())

    def op(t, s):  # recorded in place on a non-leaf: gradients as the out-of-place form's
        namespace = torch if isinstance(t, torch.Tensor) else xpnet
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            return getattr(t * 1, name)(0, _index(namespace, index), s, "prod")

    check_tensor_method(op, [x, src], backend)


def test_scatter_multiply_matches_torch(backend):
    """Repeats multiply together; PyTorch's result requires grad but has no derivative."""
    x, src = ties((2, 4), 1), ties((2, 3), 2)
    index = np.array([[2, 0, 2], [1, 1, 0]])
    for value in [src, -1.5]:
        given = Tensor(backend.asarray(value)) if isinstance(value, np.ndarray) else value
        ours = Tensor(backend.asarray(x)).scatter(1, _index(xpnet, index), given, reduce="multiply")
        torch_value = torch.tensor(value) if isinstance(value, np.ndarray) else value
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # torch: reduce= is deprecated
            theirs = torch.tensor(x).scatter(1, torch.tensor(index), torch_value, reduce="multiply")
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    ints = Tensor(backend.asarray(np.arange(4))).scatter_(
        0, _index(xpnet, np.array([3, 3])), 3, reduce="multiply"
    )
    assert ints.tolist() == [0, 1, 2, 27]
    leaf = Tensor(backend.asarray(x), requires_grad=True)
    result = leaf.scatter(1, _index(xpnet, index), 2.0, reduce="multiply")
    assert result.requires_grad
    with pytest.raises(RuntimeError, match="derivative for reduce='multiply' is not implemented"):
        result.sum().backward()


def _x(backend):
    return Tensor(backend.asarray(random_input((2, 4), seed=0)))


def _i(values):
    return _index(xpnet, np.array(values))


ERRORS = [
    (lambda x: x.scatter_reduce(1, _i([[0]]), x, "max"), RuntimeError,
     "scatter_reduce: reduce must be one of 'sum', 'prod', 'mean', 'amax', 'amin', got 'max'"),
    (lambda x: x.index_reduce(1, _i([0]), x[:, :1], "sum"), RuntimeError,
     "index_reduce: reduce must be one of 'prod', 'mean', 'amax', 'amin', got 'sum'"),
    (lambda x: x.scatter_reduce(2, _i([[0]]), x, "sum"), IndexError, "scatter_reduce: dim must"),
    (lambda x: x.scatter_reduce(1, _i([[0.0]]), x, "sum"), TypeError,
     "scatter_reduce: index must hold int64"),
    (lambda x: x.scatter_reduce(1, _i([0]), x, "sum"), RuntimeError,
     r"scatter_reduce: index and src must have input's 2 dimensions, got \(1,\) and \(2, 4\)"),
    (lambda x: x.scatter_reduce(1, _i([[0, 1, 2, 3, 0]]), x, "sum"), RuntimeError,
     r"scatter_reduce: index \(1, 5\) must be no larger than src \(2, 4\)"),
    (lambda x: x.scatter_reduce(1, _i([[4]]), x, "amax"), IndexError,
     r"scatter_reduce: index values must be in \[0, 4\) for dimension 1 of size 4, got 4"),
    (lambda x: x.scatter_reduce(1, _i([[0]]), x.int(), "sum"), RuntimeError,
     "scatter_reduce: src must have input's dtype float64, got int32"),
    (lambda x: x.scatter_reduce(1, _i([[0]]), 2.0, "sum"), TypeError,
     "scatter_reduce: src must be a Tensor, got float"),
    (lambda x: x.scatter_reduce(1, _i([[0]]), x, "sum", include_self=None), TypeError,
     "scatter_reduce: include_self must be a bool, got NoneType"),
    (lambda x: (x > 0).scatter_reduce(1, _i([[0]]), x > 0, "mean"), TypeError,
     "scatter_reduce: reduce='mean' needs a number dtype, got bool"),
    (lambda x: x.index_reduce(0, _i([0]), x, "prod"), RuntimeError,
     r"index_reduce: source must have shape \(1, 4\) here, got \(2, 4\)"),
    (lambda x: x.index_reduce(0, _i([[0]]), x[:1], "prod"), IndexError,
     r"index_reduce: index must be 0-d or 1-d, got shape \(1, 1\)"),
    (lambda x: x.index_reduce(0, _i([2]), x[:1], "amin"), IndexError,
     r"index_reduce: index values must be in \[0, 2\) for dimension 0 of size 2, got 2"),
    (lambda x: x.index_reduce(0, _i([0]), x[:1].float(), "mean"), RuntimeError,
     "index_reduce: source must have input's dtype float64, got float32"),
    (lambda x: x.scatter(1, _i([[0]]), 1.0, reduce="max"), RuntimeError,
     "scatter: reduce must be 'add' or 'multiply', got 'max'"),
]  # fmt: skip


@pytest.mark.parametrize(("call", "error", "match"), ERRORS)
def test_argument_errors_name_the_function(backend, call, error, match):
    with pytest.raises(error, match=match):
        call(_x(backend))
        raise_deferred()  # an index value out of range: deferred on a GPU backend


@pytest.mark.parametrize("reduce", REDUCTIONS)
def test_no_host_reads_on_strict(strict, reduce):
    """Forward and backward read nothing back: index values are checked later."""

    def op(x):
        index = Tensor(strict.asarray(np.array([[2, 0, 2], [1, 1, 0], [0, 0, 0]])))
        line = Tensor(strict.asarray(np.array([1, 1, 0])))
        kept = "mean" if reduce == "sum" else reduce
        return x.scatter_reduce(1, index, x * 2, reduce) + x.index_reduce(0, line, x, kept)

    check_no_host_reads(strict, op)
    raise_deferred()


@pytest.mark.parametrize("include_self", [True, False], ids=["self", "no_self"])
@pytest.mark.parametrize("reduce", REDUCTIONS)
def test_float32_on_the_cpu_has_torch_bits(reduce, include_self):
    """NumPy reduces value by value in the index's order (the backend's ``reduce_at``), as
    PyTorch's CPU kernel: the same float32 bits, where a tree's order would differ."""
    rng = np.random.default_rng(3)
    index = rng.integers(0, 50, size=(40, 3000))
    a, src = (rng.standard_normal(shape).astype(np.float32) for shape in ((50, 3000), (40, 3000)))
    with xpnet.use_backend("numpy"):
        x = xpnet.tensor(a).scatter_reduce(0, xpnet.tensor(index), xpnet.tensor(src), reduce,
                                           include_self=include_self)  # fmt: skip
    t = torch.tensor(a).scatter_reduce(0, torch.tensor(index), torch.tensor(src), reduce,
                                       include_self=include_self)  # fmt: skip
    np.testing.assert_array_equal(x.numpy(), t.numpy())


@pytest.mark.parametrize("include_self", [True, False], ids=["self", "no_self"])
@pytest.mark.parametrize("reduce", REDUCTIONS)
def test_value_by_value_and_sorted_scans_agree(monkeypatch, reduce, include_self):
    """The NumPy backend's ``reduce_at`` against the sort-and-scan that CuPy and strict run
    (exact on small integers; NaN where either has it), forward and backward."""
    from xpnet.backends import numpy_backend

    index = np.random.default_rng(4).integers(0, 6, size=(5, 40))
    a, src, grad = ties((6, 40), 5), ties((5, 40), 6), ties((6, 40), 7)
    a[0, 0] = src[1, 3] = NAN

    def run():
        with xpnet.use_backend("numpy"):
            x, s = (xpnet.tensor(v, requires_grad=True) for v in (a, src))
            out = x.scatter_reduce(0, xpnet.tensor(index), s, reduce, include_self=include_self)
            out.backward(xpnet.tensor(grad))
            return out.numpy(), x.grad, s.grad

    value_by_value = run()
    monkeypatch.delattr(numpy_backend, "reduce_at")
    for fast, scanned in zip(value_by_value, run(), strict=True):
        np.testing.assert_array_equal(fast, scanned)
