"""The strict backend refuses what CuPy refuses, and otherwise computes exactly what NumPy does.

Its tables are checked against the real CuPy in test_cupy_api.py; the interface it shares with
every backend is tested in test_backends.py.
"""

from __future__ import annotations

import copy
import operator
import pickle

import numpy as np
import pytest

from xpnet.backends import host_sync_forbidden


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
