"""Backend selection, dispatch, the backend interface, and the strict backend's refusals."""

from __future__ import annotations

import copy
import multiprocessing
import operator
import os
import pickle
import platform
import subprocess
import sys

import numpy as np
import pytest

import xpnet
from xpnet import backends
from xpnet.backends import (
    backend_of,
    get_backend,
    host_sync_forbidden,
    load_backend,
    set_backend,
    to_backend,
    use_backend,
)
from xpnet.backends._base import REQUIRED_NAMES, missing_names


@pytest.fixture
def strict():
    return load_backend("strict")


@pytest.fixture
def fresh_default(monkeypatch):
    """Forget the default backend so that ``XPNET_BACKEND`` is read again; restored after."""
    monkeypatch.setattr(backends, "_default", None)


# --- selection ----------------------------------------------------------------------------


def test_load_backend_rejects_unknown_name():
    with pytest.raises(
        ValueError, match="'cuda' is not a backend; choose one of 'numpy', 'strict'"
    ):
        load_backend("cuda")


def test_xpnet_backend_rejects_unknown_value(fresh_default, monkeypatch):
    monkeypatch.setenv("XPNET_BACKEND", "cuda")
    with pytest.raises(ValueError, match="XPNET_BACKEND='cuda': .*choose one of 'numpy', 'strict'"):
        get_backend()


@pytest.mark.parametrize("value, expected", [(" Strict ", "strict"), ("", "numpy")])
def test_xpnet_backend_selects_default(fresh_default, monkeypatch, value, expected):
    monkeypatch.setenv("XPNET_BACKEND", value)
    assert get_backend().name == expected


def test_xpnet_backend_unset_means_numpy(fresh_default, monkeypatch):
    monkeypatch.delenv("XPNET_BACKEND", raising=False)
    assert get_backend().name == "numpy"


def test_set_backend_changes_default(fresh_default):
    assert set_backend("strict").name == "strict"
    assert get_backend().name == "strict"
    assert xpnet.asarray([1.0]).__class__ is load_backend("strict").ndarray


def test_use_backend_nests_and_restores(fresh_default):
    set_backend("numpy")
    with use_backend("strict") as outer:
        assert outer.name == "strict" and get_backend() is outer
        with use_backend("numpy") as inner:
            assert get_backend() is inner
        assert get_backend() is outer
    assert get_backend().name == "numpy"


def test_use_backend_restores_after_error(fresh_default):
    set_backend("numpy")
    with pytest.raises(KeyError), use_backend("strict"):
        raise KeyError("boom")
    assert get_backend().name == "numpy"


@pytest.mark.skipif(
    "cupy" in xpnet.available_backends(), reason="a GPU is present: the cupy backend loads"
)
def test_cupy_backend_without_gpu_names_the_fix():
    with pytest.raises(ImportError, match=r'pip install "xpnet\[cuda13\]"'):
        load_backend("cupy")
    assert "cupy" not in xpnet.available_backends()


def test_available_backends_has_cpu_backends():
    assert {"numpy", "strict"} <= set(xpnet.available_backends())


# --- dispatch and moving arrays -------------------------------------------------------------


def test_backend_of_dispatches_on_array_type(strict):
    assert backend_of(np.ones(2)).name == "numpy"
    assert backend_of(None, strict.asarray([1.0])) is strict
    with use_backend("strict"):
        assert backend_of() is strict  # no arrays: the current backend


def test_backend_of_rejects_mixed_backends(strict):
    with pytest.raises(
        TypeError,
        match="conv2d: all arrays must be on one backend, got input on numpy and "
        "weight on strict; move them with xpnet.to_backend",
    ):
        backend_of(np.ones(2), strict.asarray([1.0]), names=("input", "weight"), where="conv2d")


@pytest.mark.parametrize("value", [[1.0, 2.0], 3.0, "abc"])
def test_backend_of_rejects_non_arrays(value):
    kind = type(value).__name__
    with pytest.raises(TypeError, match=f"linear: input must be an array, got {kind}"):
        backend_of(value, names=("input",), where="linear")


@pytest.mark.parametrize("source", ["numpy", "strict"])
@pytest.mark.parametrize("target", ["numpy", "strict"])
def test_to_backend_round_trip(source, target):
    host = np.arange(6.0, dtype=np.float32).reshape(2, 3)
    moved = to_backend(to_backend(host, source), target)
    assert backend_of(moved).name == target
    back = xpnet.to_numpy(moved)
    assert type(back) is np.ndarray and back.dtype == np.float32
    np.testing.assert_array_equal(back, host)


def test_to_backend_same_backend_is_identity(strict):
    x = strict.asarray([1.0, 2.0])
    assert to_backend(x, "strict") is x


def test_xpnet_asarray_uses_current_backend_and_dtype():
    with use_backend("strict") as strict:
        x = xpnet.asarray([[1, 2]], dtype="float32")
    assert type(x) is strict.ndarray and x.dtype == np.float32 and x.shape == (1, 2)


def test_to_numpy_is_a_copy(backend):
    x = backend.asarray([1.0, 2.0])
    host = xpnet.to_numpy(x)
    host[0] = 5.0
    assert xpnet.to_numpy(x)[0] == 1.0


# --- the interface every backend module implements -------------------------------------------


def test_backend_defines_interface(backend):
    assert missing_names(backend) == []
    assert backend.name in backends._REGISTRY
    assert isinstance(backend.device_name(), str) and backend.free_memory() > 0
    assert backend.synchronize() is None


def test_missing_names_lists_what_lacks():
    class Partial:
        name = "partial"
        xp = np

    assert missing_names(Partial) == list(REQUIRED_NAMES[2:])


def test_asarray_makes_backend_arrays(backend):
    x = backend.asarray(np.ones((2, 3)), dtype=np.float32)
    assert backend_of(x) is backend and isinstance(x, backend.ndarray)
    assert x.dtype == np.float32 and x.shape == (2, 3)


@pytest.mark.parametrize("dtype", ["float32", "float64", "int32"])
def test_scatter_add_accumulates_repeats(backend, dtype):
    target = backend.xp.zeros(4, dtype=dtype)
    indices = backend.asarray([0, 0, 2, 0])
    backend.scatter_add(target, indices, backend.xp.ones(4, dtype=dtype))
    np.testing.assert_array_equal(backend.to_host(target), [3, 0, 1, 0])


def test_scatter_add_with_index_tuple(backend):
    target = backend.xp.zeros((2, 3))
    rows, cols = backend.asarray([0, 1, 1]), backend.asarray([2, 0, 0])
    backend.scatter_add(target, (rows, cols), backend.asarray([1.0, 2.0, 3.0]))
    np.testing.assert_array_equal(backend.to_host(target), [[0, 0, 1], [5, 0, 0]])


def test_default_rng_is_reproducible(backend):
    first = backend.default_rng(7).standard_normal((3, 4))
    again = backend.default_rng(7).standard_normal((3, 4))
    other = backend.default_rng(8).standard_normal((3, 4))
    assert backend_of(first) is backend and first.shape == (3, 4)
    np.testing.assert_array_equal(backend.to_host(first), backend.to_host(again))
    assert not np.array_equal(backend.to_host(first), backend.to_host(other))
    sample = backend.to_host(backend.default_rng(0).random(1000))
    assert 0.0 <= sample.min() and sample.max() < 1.0


@pytest.mark.parametrize("name", ["numpy", "strict"])  # CuPy views cannot be made read-only
def test_as_strided_is_read_only(name):
    backend = load_backend(name)
    x = backend.xp.arange(6.0)
    windows = backend.as_strided(x, (4, 3), (8, 8))  # sliding windows of 3, overlapping
    np.testing.assert_array_equal(backend.to_host(windows)[1], [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="read-only"):
        windows[0, 0] = 1.0


# --- strict: what CuPy refuses, strict refuses ----------------------------------------------


def test_strict_refuses_implicit_numpy_conversion(strict):
    x = strict.xp.ones(3)
    with pytest.raises(TypeError, match="Implicit conversion to a NumPy array is not allowed"):
        np.asarray(x)
    with pytest.raises(TypeError, match="numpy.sum does not take device arrays; use xp.sum"):
        np.sum(x)
    with pytest.raises(TypeError, match="numpy.concatenate does not take device arrays"):
        np.concatenate([x, x])


@pytest.mark.parametrize(
    "mix",
    [
        lambda xp, x, h: x + h,
        lambda xp, x, h: h * x,
        lambda xp, x, h: x.__iadd__(h),
        lambda xp, x, h: x.__setitem__(slice(None), h),
        lambda xp, x, h: x[h.astype(int)],
        lambda xp, x, h: xp.maximum(x, h),
        lambda xp, x, h: xp.concatenate([x, h]),
        lambda xp, x, h: xp.einsum("i,i->", x, h),
    ],
    ids=["add", "rmul", "iadd", "setitem", "index", "ufunc", "concatenate", "einsum"],
)
def test_strict_refuses_numpy_operands(strict, mix):
    with pytest.raises(TypeError, match="got a NumPy array; CuPy does not mix host and device"):
        mix(strict.xp, strict.xp.ones(3), np.ones(3))


def test_strict_accepts_host_data_only_in_asarray(strict):
    host = np.arange(3.0)
    x = strict.xp.asarray(host)
    y = strict.xp.array([1.0, 2.0, 3.0], dtype=np.float32)
    host[0] = 9.0  # a device copy does not alias host memory
    assert strict.to_host(x)[0] == 0.0 and y.dtype == np.float32
    assert strict.xp.asarray(x) is not x and strict.asarray(x) is x


def test_strict_refuses_lists_where_cupy_wants_arrays(strict):
    x = strict.xp.ones(2)
    with pytest.raises(TypeError, match=r"xp.prod\(\) got a tuple; CuPy wants an array"):
        strict.xp.prod((2, 3))
    with pytest.raises(TypeError, match="got a list; CuPy wants an array or a scalar"):
        x + [1.0, 2.0]
    with pytest.raises(TypeError, match="got a list"):
        strict.xp.exp([1.0])


@pytest.mark.parametrize(
    "sync, what",
    [
        (float, r"float\(x\)"),
        (int, r"int\(x\)"),
        (bool, r"bool\(x\)"),
        (lambda x: 1 if x else 0, "if x:"),
        (lambda x: x.item(), r"x.item\(\)"),
        (lambda x: x.tolist(), r"x.tolist\(\)"),
        (operator.index, "as a Python int"),
        (lambda x: f"{x:.2f}", r"x.item\(\)"),
        (lambda x: [0, 1, 2][x], "as a Python int"),
    ],
    ids=["float", "int", "bool", "if", "item", "tolist", "index", "format", "list-index"],
)
def test_strict_forbids_host_sync_inside_kernels(strict, sync, what):
    x = strict.xp.ones((), dtype=np.int64)
    assert sync(x) is not None  # outside kernels CuPy syncs quietly, and so does strict
    with host_sync_forbidden(), pytest.raises(RuntimeError, match=f"{what}.* inside a kernel"):
        sync(x)


def test_strict_kernel_decorator_forbids_host_sync(strict):
    from xpnet.kernels._checks import kernel

    @kernel
    def positive_sum(x):
        return x.sum() if x.sum() > 0 else -x.sum()

    with pytest.raises(RuntimeError, match="inside a kernel"):
        positive_sum(strict.xp.ones(3))
    assert positive_sum(np.ones(3)) == 3.0  # NumPy cannot tell


def test_strict_explicit_host_copy_allowed_inside_kernels(strict):
    x = strict.xp.arange(3.0)
    with host_sync_forbidden():
        np.testing.assert_array_equal(strict.to_host(x), [0.0, 1.0, 2.0])
        np.testing.assert_array_equal(x.get(), [0.0, 1.0, 2.0])


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda xp, x: xp.einsum("ij->i", x, out=None), "einsum.*out"),
        (lambda xp, x: xp.sum(x, initial=0.0), "sum.*initial"),
        (lambda xp, x: xp.max(x, where=x > 0), "max.*where"),
        (lambda xp, x: x.sum(initial=0.0), "sum.*initial"),
        (lambda xp, x: x.mean(where=x > 0), "mean.*where"),
        (lambda xp, x: xp.std(x, correction=1), "std.*correction"),
        (lambda xp, x: xp.exp(x, where=x > 0), "exp.*where"),
        (lambda xp, x: xp.add.reduce(x, initial=0.0), "reduce.*initial"),
        (lambda xp, x: xp.concatenate(arrays=[x]), "concatenate.*arrays"),
        (lambda xp, x: xp.clip(x, min=0.0), "clip.*min"),
        (
            lambda xp, x: xp.lib.stride_tricks.as_strided(x, (2,), (8,), writeable=False),
            "as_strided.*writeable",
        ),
    ],
    ids=[
        "einsum",
        "sum",
        "max",
        "method-sum",
        "method-mean",
        "std",
        "ufunc",
        "reduce",
        "concatenate",
        "clip",
        "as_strided",
    ],
)
def test_strict_refuses_keywords_cupy_lacks(strict, call, message):
    with pytest.raises(TypeError, match=f"{message}.*which CuPy 14 does not accept"):
        call(strict.xp, strict.xp.ones((2, 3)))


@pytest.mark.parametrize("attr", ["errstate", "block", "einsum_path", "geomspace", "spacing"])
def test_strict_namespace_lacks_what_cupy_lacks(strict, attr):
    assert hasattr(np, attr)
    with pytest.raises(AttributeError, match=f"xp.{attr} is refused: CuPy 14 has no such name"):
        getattr(strict.xp, attr)


def test_strict_refuses_missing_methods_and_modules(strict):
    x = strict.xp.ones(3)
    with pytest.raises(AttributeError, match="cupy.ndarray has no attribute 'resize'"):
        x.resize(4)
    with pytest.raises(AttributeError, match="backend.default_rng"):
        strict.xp.random  # noqa: B018
    with pytest.raises(AttributeError, match="cupy.random.Generator has no 'permutation'"):
        strict.default_rng(0).permutation(3)


def test_strict_window_views_are_read_only(strict):
    x = strict.xp.arange(6.0)
    for view in (strict.as_strided(x, (4, 3), (8, 8)), strict.xp.lib.stride_tricks.as_strided(x)):
        with pytest.raises(ValueError, match="read-only"):
            view[0] = 1.0
        with pytest.raises(ValueError, match="read-only"):
            view += 1.0


def test_strict_scatter_add_refuses_int64(strict):
    target = strict.xp.zeros(3, dtype=np.int64)
    with pytest.raises(TypeError, match="add.at on CuPy supports only .*got int64"):
        strict.scatter_add(target, strict.asarray([0, 1]), strict.asarray([1, 1]))
    with pytest.raises(TypeError, match="maximum.at on CuPy supports only .*got float16"):
        strict.xp.maximum.at(strict.xp.zeros(3, dtype=np.float16), strict.asarray([0]), 1.0)


def test_strict_ufunc_methods_only_where_cupy_has_them(strict):
    xp, x = strict.xp, strict.xp.arange(6.0).reshape(2, 3)
    with pytest.raises(NotImplementedError, match="implements xp.maximum.reduce only for add"):
        xp.maximum.reduce(x, axis=0)
    with pytest.raises(AttributeError, match="cupy.ufunc has no attribute 'resolve_dtypes'"):
        xp.add.resolve_dtypes  # noqa: B018
    np.testing.assert_array_equal(strict.to_host(xp.multiply.accumulate(x, axis=1))[1], [3, 12, 60])
    np.testing.assert_array_equal(strict.to_host(xp.add.reduce(x, axis=1)), [3, 12])
    np.testing.assert_array_equal(strict.to_host(xp.subtract.outer(x[0], x[0]))[2], [2, 1, 0])
    target = xp.zeros(3)
    xp.maximum.at(target, strict.asarray([0, 0, 2]), strict.asarray([5.0, 7.0, -1.0]))
    np.testing.assert_array_equal(strict.to_host(target), [7.0, 0.0, 0.0])
    assert xp.add.nin == 2


def test_strict_reductions_return_0d_arrays(strict):
    x = strict.xp.arange(4.0)
    for value in (x.sum(), strict.xp.max(x), x[1], x.mean(), -x[1], abs(x.sum()) + 1.0):
        assert type(value) is strict.ndarray and value.shape == ()


def test_strict_array_behaves_like_a_value(strict):
    x = strict.xp.arange(3.0)
    assert repr(x) == "strict_array([0., 1., 2.])" and str(x) == "[0. 1. 2.]"
    assert len(x) == 3 and [float(row) for row in x] == [0.0, 1.0, 2.0]
    for twin in (copy.copy(x), copy.deepcopy(x), pickle.loads(pickle.dumps(x))):
        twin[0] = 5.0
        assert type(twin) is strict.ndarray and float(x[0]) == 0.0
    assert type(np.float32(2.0) * x) is strict.ndarray  # NumPy scalars are fine, as on CuPy
    assert isinstance(x, strict.xp.ndarray) and x.dtype == strict.xp.float64


def _ops():
    """Each op takes (xp, a, b, idx) and returns an array; run on NumPy and strict alike."""
    return {
        "broadcast": lambda xp, a, b, idx: a * 2.0 - b[0] / (1.0 + a**2) + (a @ b.T).sum(),
        "compare": lambda xp, a, b, idx: xp.where(a > b, a, -b) + (a != 0),
        "unary": lambda xp, a, b, idx: abs(-a) + (+b) + (~(a > 0)),
        "floordiv-mod": lambda xp, a, b, idx: a // 0.7 + a % 0.7,
        "basic-index": lambda xp, a, b, idx: a[1:, None, ..., ::2],
        "reshape-transpose": lambda xp, a, b, idx: (
            a.reshape((2, 6)).transpose((1, 0)).sum(axis=(0, 1), keepdims=True)
        ),
        "fancy-index": lambda xp, a, b, idx: a[idx, 1:] + a[[0, 2]].sum(),
        "mask-index": lambda xp, a, b, idx: a[a > 0.5],
        "reductions": lambda xp, a, b, idx: xp.stack(
            [
                a.sum(axis=0),
                a.max(axis=0),
                xp.mean(a, axis=0),
                a.var(axis=0, ddof=1),
                xp.std(a, axis=0),
                a.argmax(axis=0).astype(a.dtype),
                xp.prod(a, axis=0),
            ]
        ),
        "keepdims": lambda xp, a, b, idx: a - xp.amax(a, axis=1, keepdims=True),
        "einsum": lambda xp, a, b, idx: xp.einsum("ij,kj->ik", a, b, optimize=True),
        "matmul": lambda xp, a, b, idx: xp.matmul(a, b.T) + xp.dot(a, b.T),
        "elementwise": lambda xp, a, b, idx: (
            xp.exp(a)
            + xp.log1p(b**2)
            + xp.expm1(a)
            + xp.tanh(b)
            + xp.sqrt(a**2)
            + xp.maximum(a, 0.2)
            + xp.clip(b, -0.5, 0.5)
        ),
        "take-along": lambda xp, a, b, idx: xp.take_along_axis(
            a, xp.argmax(b, axis=1)[:, None], axis=1
        ),
        "pad": lambda xp, a, b, idx: xp.pad(a, ((1, 0), (2, 1))),
        "concat-moveaxis": lambda xp, a, b, idx: xp.moveaxis(
            xp.concatenate([a[None], b[None]]), 0, -1
        ),
        "cumsum-isnan": lambda xp, a, b, idx: xp.cumsum(a, axis=1) + xp.isnan(b),
        "contiguous-cast": lambda xp, a, b, idx: xp.ascontiguousarray(a.T).astype(xp.float32),
        "method-clip": lambda xp, a, b, idx: a.clip(min=0.2) + b.clip(-0.1, 0.1),
        "zeros-like": lambda xp, a, b, idx: xp.zeros_like(a) + xp.ones(a.shape, dtype=a.dtype),
    }


def _inplace_ops():
    """Each op mutates ``a`` in place and returns it."""

    def setitem_mask(xp, a, b, idx):
        a[a > 0.5] = 0.0
        a[idx, 0] = b[idx, 1]
        return a

    def augmented(xp, a, b, idx):
        a += b
        a *= 2.0
        a[1:] -= 1.0
        return a

    def put_along(xp, a, b, idx):
        xp.put_along_axis(a, xp.argmin(b, axis=1)[:, None], -1.0, axis=1)
        return a

    return {"setitem-mask": setitem_mask, "augmented": augmented, "put-along": put_along}


@pytest.mark.parametrize(
    "op", [*_ops().values(), *_inplace_ops().values()], ids=[*_ops(), *_inplace_ops()]
)
def test_strict_matches_numpy(strict, op):
    rng = np.random.default_rng(0)
    a, b = rng.random((3, 4)), rng.standard_normal((3, 4))
    idx = np.array([2, 0])
    expected = op(np, a.copy(), b.copy(), idx)
    actual = op(strict.xp, strict.asarray(a), strict.asarray(b), strict.asarray(idx))
    assert type(actual) is strict.ndarray
    result = strict.to_host(actual)
    assert result.dtype == expected.dtype and result.shape == expected.shape
    np.testing.assert_array_equal(result, expected)


@pytest.mark.parametrize("threads", [1, 2, 3])
def test_map_blocks_calls_every_block_once_and_nests(backend, threads, monkeypatch):
    monkeypatch.setattr(xpnet.backends, "_num_threads", threads)
    seen = []

    def outer(block):
        inner = []
        backend.map_blocks(inner.append, range(3))  # nested: runs in order on this thread
        seen.append((block, sorted(inner)))

    backend.map_blocks(outer, range(7))
    assert sorted(seen) == [(block, [0, 1, 2]) for block in range(7)]


def test_map_blocks_keeps_the_callers_float_error_state(backend, monkeypatch):
    """NumPy's error state is per thread: blocks on threads follow the caller's (the kernels
    quiet inf - inf with ignore_float_errors; pytest turns a stray warning into an error)."""
    monkeypatch.setattr(xpnet.backends, "_num_threads", 2)
    x = backend.asarray(np.array([np.inf, 1.0, np.inf, 2.0]))
    results = [None] * 4

    def subtract_itself(block):
        results[block] = backend.to_host(x[block] - x[block])

    with backend.ignore_float_errors():
        backend.map_blocks(subtract_itself, range(4))
    assert np.isnan(results[0]) and results[1] == 0.0


def test_map_blocks_raises_the_blocks_error(backend, monkeypatch):
    monkeypatch.setattr(xpnet.backends, "_num_threads", 2)

    def fail_on_three(block):
        if block == 3:
            raise ValueError("block 3")

    with pytest.raises(ValueError, match="block 3"):
        backend.map_blocks(fail_on_three, range(5))


def test_map_blocks_runs_blas_single_threaded_on_threads(monkeypatch):
    """Blocks that multiply share the cores: BLAS gets one thread while blocks run on
    several, and its thread count is restored afterwards (numpy: the only threaded backend)."""
    from threadpoolctl import threadpool_info, threadpool_limits

    def blas_threads():
        return [info["num_threads"] for info in threadpool_info() if info["user_api"] == "blas"]

    monkeypatch.setattr(xpnet.backends, "_num_threads", 2)
    numpy_backend = backends.load_backend("numpy")
    with threadpool_limits(limits=2, user_api="blas"):
        before = blas_threads()
        inside = [None] * 4
        numpy_backend.map_blocks(lambda block: inside.__setitem__(block, blas_threads()), range(4))
        assert inside == [[1] * len(before)] * 4
        assert blas_threads() == before
        assert numpy_backend.block_threads() == 2


def test_set_num_threads(monkeypatch):
    monkeypatch.setattr(xpnet.backends, "_num_threads", None)
    assert xpnet.get_num_threads() >= 1
    xpnet.set_num_threads(3)
    assert xpnet.get_num_threads() == 3
    with pytest.raises(ValueError, match=r"set_num_threads: threads must be a positive int"):
        xpnet.set_num_threads(0)


def _sum_in_blocks(queue):
    totals = [0] * 4
    backends.load_backend("numpy").map_blocks(lambda b: totals.__setitem__(b, b + 1), range(4))
    queue.put(sum(totals))


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork on this platform")
def test_map_blocks_works_in_a_forked_child(monkeypatch):
    """A forked child (data loaders, multiprocessing) runs blocks on threads of its own."""
    monkeypatch.setattr(xpnet.backends, "_num_threads", 2)
    backends.load_backend("numpy").map_blocks(lambda block: None, range(4))  # parent's pool
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    child = context.Process(target=_sum_in_blocks, args=(queue,))
    child.start()
    child.join(timeout=60)
    assert child.exitcode == 0 and queue.get(timeout=5) == 10


_REFILL_FAULTS = """
import resource, sys
import numpy
import xpnet

if sys.argv[1] == "keep":
    assert xpnet.keep_freed_host_memory()
    assert xpnet.backends.is_freed_host_memory_kept()
numpy.ones(2**23)  # 64 MiB, freed at once
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
numpy.ones(2**23)  # the same size again
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


@pytest.mark.skipif(
    not sys.platform.startswith("linux") or platform.libc_ver()[0] != "glibc",
    reason="mallopt is glibc's",
)
def test_keep_freed_host_memory_refills_without_page_faults():
    # minor page faults are an OS counter, not a timing: 64 MiB of fresh pages are 16384
    # faults, at least 32 with 2 MiB huge pages; reused memory none. In subprocesses: the
    # setting lasts for the whole process
    def refill_faults(mode):
        command = [sys.executable, "-c", _REFILL_FAULTS, mode]
        return int(subprocess.run(command, capture_output=True, check=True, text=True).stdout)

    assert refill_faults("default") >= 32
    assert refill_faults("keep") < 8


def test_keep_freed_host_memory_without_mallopt_changes_nothing(monkeypatch):
    from xpnet.backends import _host_memory

    monkeypatch.setattr(_host_memory, "_kept", False)
    monkeypatch.setattr(_host_memory.ctypes, "CDLL", lambda name: object())  # no mallopt
    assert _host_memory.keep_freed_host_memory() is False
    assert not _host_memory.is_freed_host_memory_kept()
