"""Pooling at the limits: large windows (separable passes), huge sizes (refused before any
allocation), windows wholly in the padding, and the checks on what backward is given."""

from __future__ import annotations

import itertools
import math
import re
import time

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from _oracle import check_against_torch, check_kernel_against_torch, random_input

import xpnet.kernels as K
from xpnet.backends import host_reads_forbidden, load_backend, profile, raise_deferred
from xpnet.kernels import _max_windows, _pooling, _windows, adaptive_pooling, avg_pooling
from xpnet.kernels._checks import ArgumentError


@pytest.fixture
def separable_always(monkeypatch):
    """Every window takes the separable (columns, then rows) path."""
    monkeypatch.setattr(_pooling, "SEPARABLE_FROM", 0)


@pytest.fixture
def offsets_walked(monkeypatch):
    """A list that gets the number of kernel offsets each pass walks (the Python loop)."""
    counts = []
    windows, geometry_of = _windows.touched_windows, avg_pooling.touched_geometry

    def counting_windows(backend, x, geometry, *args):
        view, walked = windows(backend, x, geometry, *args)
        counts.append(math.prod(len(axis) for axis in walked))
        return view, walked

    def counting_geometry(geometry, size):
        crops, trimmed = geometry_of(geometry, size)
        if _pooling.is_separable(geometry):  # one pass per axis: columns, then rows
            counts.extend(trimmed.kernel)
        else:
            counts.append(math.prod(trimmed.kernel))
        return crops, trimmed

    # the forward passes walk the offsets of touched_windows, the backward's of touched_geometry
    for module in (_pooling, _max_windows):
        monkeypatch.setattr(module, "touched_windows", counting_windows)
    monkeypatch.setattr(avg_pooling, "touched_geometry", counting_geometry)
    return counts


def _windows_grid():
    for kernel, stride, padding, dilation, ceil_mode in itertools.product(
        [1, 2, (3, 2), (2, 3)], [1, 2, (2, 3)], [0, 1], [1, 2], [False, True]
    ):
        if padding and kernel == 1:  # padding may be at most half the window
            continue
        yield (
            dict(kernel_size=kernel, stride=stride, padding=padding, ceil_mode=ceil_mode),
            (dilation),
        )


def test_max_pool2d_separable_matches_torch(backend, separable_always):
    """Columns then rows: the same values, indices and gradients as PyTorch, with ties
    (small integers), NaNs (the last one wins) and windows of -inf."""
    x = np.random.default_rng(0).integers(0, 3, size=(2, 2, 7, 6)).astype(np.float64)
    x[0, 0, 0, 0] = x[0, 0, 0, 1] = x[0, 0, 1, 0] = np.nan
    x[1, 1, :3, :3] = -np.inf
    for kwargs, dilation in _windows_grid():
        kwargs = dict(kwargs, dilation=dilation)
        expected, expected_indices = TF.max_pool2d(torch.tensor(x), **kwargs, return_indices=True)
        output, indices = K.max_pool2d(backend.asarray(x), **kwargs, return_indices=True)
        assert backend.to_host(indices).tolist() == expected_indices.tolist(), kwargs
        assert np.array_equal(backend.to_host(output), expected.numpy(), equal_nan=True), kwargs
        values = K.max_pool2d(backend.asarray(x), **kwargs)
        assert np.array_equal(backend.to_host(values), expected.numpy(), equal_nan=True), kwargs
        check_kernel_against_torch(backend, "max_pool2d", random_input(x.shape, seed=1), kwargs)


def test_avg_pool2d_separable_matches_torch(backend, separable_always):
    x = random_input((2, 2, 7, 6), seed=2)
    for kwargs, dilation in _windows_grid():
        if dilation == 1:
            for count_include_pad in (False, True):
                kwargs = dict(kwargs, count_include_pad=count_include_pad)
                check_kernel_against_torch(backend, "avg_pool2d", x, kwargs)


@pytest.mark.parametrize("name", ["max_pool2d", "avg_pool2d"])
def test_pool2d_large_window_walks_rows_and_columns(backend, name, offsets_walked):
    """A 1001 x 1001 window (padding 500) walks kH + kW offsets, not kH * kW; PyTorch's
    results. It took 12 s (max) before; the bound below is loose on purpose."""
    x = random_input((1, 1, 1001, 1001), seed=3)
    kwargs = {"kernel_size": 1001, "padding": 500}
    started = time.perf_counter()
    check_kernel_against_torch(backend, name, x, kwargs)
    if name == "max_pool2d":
        output, indices = K.max_pool2d(backend.asarray(x), **kwargs, return_indices=True)
        K.max_pool2d_backward(output, backend.asarray(x), **kwargs, indices=indices)
    assert time.perf_counter() - started < 60
    assert offsets_walked and max(offsets_walked) <= 1001


def test_max_pool2d_large_overlapping_windows(backend):
    """Stride smaller than a large window: separable passes, gradients added per group."""
    x = random_input((2, 2, 40, 37), seed=4)
    for kwargs in ({"kernel_size": 9, "stride": 2, "padding": 4}, {"kernel_size": (5, 7)}):
        check_kernel_against_torch(backend, "max_pool2d", x, kwargs)
        check_kernel_against_torch(backend, "avg_pool2d", x, kwargs)


@pytest.mark.parametrize(
    "shape, kwargs",
    [
        ((1, 1, 2, 2), {"kernel_size": 2, "stride": 1, "padding": 1, "dilation": 3}),
        ((2, 3, 2, 5), {"kernel_size": 2, "stride": 1, "padding": 1, "dilation": (3, 1)}),
        ((1, 2, 5, 2), {"kernel_size": 2, "stride": 1, "padding": 1, "dilation": (1, 3)}),
        ((1, 1, 2, 5), {"kernel_size": (2, 3), "stride": (1, 2), "padding": 1, "dilation": 3}),
    ],
)
@pytest.mark.parametrize("separable", [False, True])
def test_max_pool2d_window_wholly_in_padding(backend, monkeypatch, shape, kwargs, separable):
    """A dilated window can miss a small input: its max is -inf and its index, as PyTorch's,
    lies past the plane (PyTorch's own backward then writes out of bounds); its gradient
    goes nowhere. Backward used to raise IndexError."""
    if separable:
        monkeypatch.setattr(_pooling, "SEPARABLE_FROM", 0)
    x = random_input(shape, seed=5)
    expected, expected_indices = TF.max_pool2d(torch.tensor(x), **kwargs, return_indices=True)
    output, indices = K.max_pool2d(backend.asarray(x), **kwargs, return_indices=True)
    assert backend.to_host(indices).tolist() == expected_indices.tolist()
    assert np.array_equal(backend.to_host(output), expected.numpy())
    grad = random_input(expected.shape, seed=6)
    landed = np.isfinite(expected.numpy())  # windows with an element inside the input
    plane = np.zeros((shape[0] * shape[1], shape[2] * shape[3]))
    flat_indices = expected_indices.numpy().reshape(plane.shape[0], -1)
    for row, (where, values) in enumerate(
        zip(flat_indices, grad.reshape(plane.shape[0], -1), strict=True)
    ):
        np.add.at(
            plane[row],
            where[landed.reshape(plane.shape[0], -1)[row]],
            values[landed.reshape(plane.shape[0], -1)[row]],
        )
    for saved in (None, indices):
        grad_input = K.max_pool2d_backward(
            backend.asarray(grad), backend.asarray(x), **kwargs, indices=saved
        )
        np.testing.assert_allclose(backend.to_host(grad_input), plane.reshape(shape), rtol=1e-12)


BACKWARDS = [
    ("max_pool2d", {"kernel_size": 2}, (2, 3, 3, 2)),
    ("avg_pool2d", {"kernel_size": 3, "stride": 2, "padding": 1}, (2, 3, 3, 2)),
    ("adaptive_avg_pool2d", {"output_size": (3, 2)}, (2, 3, 3, 2)),
    ("adaptive_max_pool2d", {"output_size": (3, 2)}, (2, 3, 3, 2)),
]


@pytest.mark.parametrize("name, kwargs, output_shape", BACKWARDS)
def test_pool2d_backward_checks_grad_output(backend, name, kwargs, output_shape):
    backward = getattr(K, f"{name}_backward")
    x = backend.asarray(random_input((2, 3, 6, 4), seed=7))
    where = f"{name}_backward"
    wrong = backend.asarray(np.ones((2, 3, 3, 3)))
    with pytest.raises(
        ArgumentError,
        match=rf"{where}: grad_output must have the shape of the forward's output "
        rf"\(2, 3, 3, 2\), got \(2, 3, 3, 3\)",
    ):
        backward(wrong, x, **kwargs)
    with pytest.raises(TypeError, match=rf"{where}: grad_output must have the dtype .*float32"):
        backward(backend.asarray(np.ones(output_shape, np.float32)), x, **kwargs)
    with pytest.raises(TypeError, match=rf"{where}: grad_output must be an array, got NoneType"):
        backward(None, x, **kwargs)
    with pytest.raises(TypeError, match=rf"{where}: input must be an array, got None"):
        backward(backend.asarray(np.ones(output_shape)), None, **kwargs)
    with pytest.raises(TypeError, match=rf"{name}: input must be an array, got None"):
        getattr(K, name)(None, **kwargs)
    unbatched = backward(backend.asarray(np.ones(output_shape[1:])), x[0], **kwargs)
    assert unbatched.shape == (3, 6, 4)
    with pytest.raises(ArgumentError, match=r"got \(2, 3, 3, 2\)"):
        backward(backend.asarray(np.ones(output_shape)), x[0], **kwargs)


@pytest.mark.parametrize(
    "name, args", [("max_pool2d", (3, 2, 1)), ("adaptive_max_pool2d", ((3, 2),))]
)
def test_max_pool2d_backward_checks_saved_indices(backend, name, args):
    x = backend.asarray(random_input((2, 3, 6, 4), seed=8))
    forward, backward = getattr(K, name), getattr(K, f"{name}_backward")
    output, indices = forward(x, *args, return_indices=True)
    where = f"{name}_backward"
    with pytest.raises(TypeError, match=rf"{where}: indices must have dtype int64 .*got int32"):
        backward(output, x, *args, indices=indices.astype(np.int32))
    with pytest.raises(ArgumentError, match=rf"{where}: indices must have the shape .*got"):
        backward(output, x, *args, indices=indices[:1])
    bad = backend.to_host(indices)
    for value in (24, -1):  # one past the 6 x 4 plane, and negative
        bad[1, 2, 0, 0] = value
        with pytest.raises(
            IndexError,
            match=rf"{where}: indices must be in \[0, H \* W\) = "
            rf"\[0, 24\) .*got {value}",
        ):
            with host_reads_forbidden():  # strict: checked on the device, raised at a read
                backward(output, x, *args, indices=backend.asarray(bad))
            raise_deferred()
    backward(output, x, *args, indices=indices)  # valid ones pass


@pytest.mark.parametrize("name", ["adaptive_avg_pool2d", "adaptive_max_pool2d"])
@pytest.mark.parametrize("output_size", [2**63, 10**7, (2**40, 2**40)])
def test_adaptive_pool2d_refuses_huge_output_at_once(backend, name, output_size):
    x = backend.asarray(random_input((1, 2, 8, 8), seed=9))
    started = time.perf_counter()
    for function in (getattr(K, name), getattr(K, f"{name}_backward")):
        args = (x,) if function is getattr(K, name) else (x, x)
        with pytest.raises(
            MemoryError,
            match=rf"{name}.*: an output of shape .* would need "
            r"\d+ bytes \(.* GiB\), more than",
        ):
            function(*args, output_size)
    assert time.perf_counter() - started < 10  # it did not loop over the output size


def test_adaptive_pool2d_long_thin_output_matches_torch(backend):
    x = random_input((1, 2, 8, 5), seed=10)
    for name in ("adaptive_avg_pool2d", "adaptive_max_pool2d"):
        check_kernel_against_torch(backend, name, x, {"output_size": (3001, 1)})


def test_adaptive_longest_window_closed_form():
    for size, out in itertools.product(range(1, 41), range(0, 41)):
        brute = max((-(-(i + 1) * size // out) - i * size // out for i in range(out)), default=0)
        assert adaptive_pooling._longest_window(size, out) == brute, (size, out)


@pytest.mark.parametrize(
    "name, kwargs",
    [
        ("max_pool2d", {"kernel_size": 2}),
        ("max_pool2d", {"kernel_size": 2, "return_indices": True}),
        ("avg_pool2d", {"kernel_size": 2}),
    ],
)
def test_pool2d_refuses_what_cannot_fit(backend, monkeypatch, name, kwargs):
    """Sizes the backend cannot hold: MemoryError naming the bytes, before allocating."""
    monkeypatch.setattr(backend, "free_memory", lambda: 1000)
    x = backend.asarray(np.zeros((2, 3, 8, 8)))
    with pytest.raises(
        MemoryError,
        match=rf"{name}: an output of shape \(2, 3, 4, 4\) would "
        r"need \d+ bytes .* more than the 1000 bytes",
    ):
        getattr(K, name)(x, **kwargs)
    kwargs.pop("return_indices", None)
    with pytest.raises(MemoryError, match=rf"{name}_backward: .* would need \d+ bytes"):
        getattr(K, f"{name}_backward")(backend.asarray(np.zeros((2, 3, 4, 4))), x, **kwargs)


def test_keyed_argmax_only_where_launches_cost(strict):
    """The keyed max-pool argmax (few launches, larger temporaries) runs on a GPU's cost
    constants only: strict while profiling stands for CuPy; NumPy keeps the offset walk."""
    x = np.zeros((64, 32, 28, 28), np.float32)
    geometry = _pooling.pool_geometry("max_pool2d", x, 2, None, 0, 1, False)
    numpy_backend = load_backend("numpy")
    assert not _max_windows.keyed_pays(numpy_backend, x, geometry)
    assert not _max_windows.keyed_pays(strict, x, geometry)
    with profile(strict):
        assert _max_windows.keyed_pays(strict, x, geometry)


def test_adaptive_disjoint_step_closed_form():
    """Windows ``_disjoint_step`` apart never share an element (the backward's groups)."""
    for size, out in itertools.product(range(1, 41), range(1, 41)):
        step = adaptive_pooling._disjoint_step(size, out)
        starts = [i * size // out for i in range(out)]
        ends = [-(-(i + 1) * size // out) for i in range(out)]
        assert all(starts[i + step] >= ends[i] for i in range(out - step)), (size, out)


@pytest.mark.parametrize("nd", [1, 2, 3])
@pytest.mark.parametrize("resize", ["down", "up"])
def test_adaptive_max_pool_ties_and_nan_match_torch(backend, nd, resize):
    """Separable passes pick PyTorch's element: first of ties, last NaN, overlapping windows
    (gradients added at one element may sum in another order: float32 tolerance)."""
    rng = np.random.default_rng(nd)
    size, output = {"down": ((9, 7, 8), (4, 3, 5)), "up": ((3, 4, 2), (7, 9, 5))}[resize]
    x = rng.integers(0, 3, (2, 3, *size[:nd])).astype(np.float32)
    x[rng.random(x.shape) < 0.05] = np.nan
    x[0, 0] = -np.inf  # a plane of -inf: every window keeps its first element
    name = f"adaptive_max_pool{nd}d"
    values, indices = getattr(K, name)(backend.asarray(x), output[:nd], return_indices=True)
    expected, expected_indices = getattr(TF, name)(
        torch.from_numpy(x), output[:nd], return_indices=True
    )
    np.testing.assert_array_equal(backend.to_host(values), expected.numpy())
    np.testing.assert_array_equal(backend.to_host(indices), expected_indices.numpy())
    grad = rng.standard_normal(values.shape).astype(np.float32)
    grad_input = getattr(K, f"{name}_backward")(
        backend.asarray(grad), backend.asarray(x), output[:nd]
    )
    torch_x = torch.from_numpy(x).requires_grad_()
    getattr(TF, name)(torch_x, output[:nd]).backward(torch.from_numpy(grad))
    np.testing.assert_allclose(
        backend.to_host(grad_input), torch_x.grad.numpy(), rtol=1e-6, atol=1e-6
    )


def test_adaptive_max_pool2d_large_windows_walk_axes(backend, monkeypatch):
    """A 1000 x 999 plane into 3 x 2 windows loops over 2 + 3 windows (one argmax each), not
    over their ~334 x 500 offsets."""
    walked = []
    original = adaptive_pooling.window_winners

    def counting(xp, values, axis, bounds):
        walked.append(len(bounds))
        return original(xp, values, axis, bounds)

    monkeypatch.setattr(adaptive_pooling, "window_winners", counting)
    x = random_input((1, 2, 1000, 999), seed=11)
    check_kernel_against_torch(backend, "adaptive_max_pool2d", x, {"output_size": (3, 2)})
    assert walked and set(walked) == {2, 3}  # per call: the columns, then the rows


@pytest.mark.parametrize(
    "name, shape, output_size, grad",
    [
        ("adaptive_avg_pool1d", (1, 1, 2), 3, [np.inf, 1.0, 1.0]),  # the fuzzer's case
        ("adaptive_avg_pool1d", (2, 3, 7), 3, None),
        ("adaptive_avg_pool2d", (1, 2, 5, 4), (3, 6), None),
        ("adaptive_avg_pool3d", (1, 2, 3, 5, 4), (2, 3, 3), None),
    ],
)
def test_adaptive_avg_pool_inf_and_nan_stay_in_their_windows(
    backend, name, shape, output_size, grad
):
    """Regression: with unequal windows an inf or NaN in ``input`` or ``grad_output`` reaches
    its own windows only; the backward's averaging-matrix product had spread ``0 * inf = nan``
    (``adaptive_avg_pool1d_backward([[[inf, 1, 1]]], zeros((1, 1, 2)), 3)`` gave [inf, nan])."""
    x = random_input(shape, seed=3)
    out_shape = tuple(getattr(TF, name)(torch.tensor(x), output_size).shape)
    if grad is None:
        x.reshape(-1)[[0, -1]] = [np.inf, np.nan]
        grad = random_input(out_shape, seed=4)
        grad.reshape(-1)[[0, 1, -1]] = [np.inf, -np.inf, np.nan]
    forward, backward = getattr(K, name), getattr(K, f"{name}_backward")
    check_against_torch(
        lambda x: forward(x, output_size),
        lambda g, x: backward(g, x, output_size),
        lambda x: getattr(TF, name)(x, output_size),
        [x],
        backend,
        grad_output=np.reshape(grad, out_shape),
    )


def _empty_shapes(nd):
    """Every (C, *size) and (N, C, *size) shape of sizes 0 and 2 with an empty axis."""
    for ndim in (nd + 1, nd + 2):
        yield from (s for s in itertools.product((0, 2), repeat=ndim) if 0 in s)


@pytest.mark.parametrize("nd", [1, 2, 3])
@pytest.mark.parametrize("pool", ["max_pool", "avg_pool", "adaptive_max_pool", "adaptive_avg_pool"])
def test_pool_rejects_empty_axes_as_torch(backend, nd, pool):
    """Regression: an empty spatial axis (or channel axis, where PyTorch refuses one) raises
    ArgumentError naming the function, ``input``, the axes and the shape, forward and backward;
    it had given -inf, 0 or NaN (``max_pool1d(zeros((1, 1, 0)), 2, padding=1)`` gave [-inf])."""
    name = f"{pool}{nd}d"
    kwargs = {"output_size": 2} if pool.startswith("adaptive") else {"kernel_size": 2, "padding": 1}
    for shape in _empty_shapes(nd):
        x = backend.asarray(np.zeros(shape))
        try:
            expected = getattr(TF, name)(torch.zeros(shape, dtype=torch.float64), **kwargs)
        except RuntimeError:  # PyTorch refuses: so must xpnet
            got = re.escape(f"got shape {shape}")
            for where, args in ((name, (x,)), (f"{name}_backward", (x, x))):
                message = rf"^{where}: input must have non-zero sizes along [NCDHWL, ]+, {got}$"
                with pytest.raises(ArgumentError, match=message):
                    getattr(K, where)(*args, **kwargs)
            continue
        assert getattr(K, name)(x, **kwargs).shape == expected.shape, shape
        grad = backend.asarray(np.zeros(expected.shape))
        assert getattr(K, f"{name}_backward")(grad, x, **kwargs).shape == shape
