"""Backend selection, dispatch on arrays, moving arrays, and the interface every backend implements.

Neighbours: test_backend_registry.py (the registry itself, a toy backend),
test_backend_strict.py (what strict refuses), test_backend_runtime.py (threads, host memory).
"""

from __future__ import annotations

import numpy as np
import pytest

import xpnet
from xpnet import backends
from xpnet.backends import (
    _registry,
    backend_of,
    get_backend,
    load_backend,
    set_backend,
    to_backend,
    use_backend,
)
from xpnet.backends._base import REQUIRED_NAMES, missing_names


@pytest.fixture
def fresh_default(monkeypatch):
    """Forget the default backend so that ``XPNET_BACKEND`` is read again; restored after."""
    monkeypatch.setattr(_registry, "_default", None)


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
    with pytest.raises(ImportError, match=r'pip install -e "\.\[cuda13\]"'):
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
    assert backend.name in backends.backend_names()
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
