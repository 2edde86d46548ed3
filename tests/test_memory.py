"""Memory xpnet keeps for reuse and gives back: workspaces, cached transforms, backend pools,
``empty_cache``, and the memory budget's argument checks."""

from __future__ import annotations

import functools
import gc
import importlib.util
import math
import sys
import threading
import types

import numpy as np
import pytest

import xpnet.kernels as K
from xpnet.backends import load_backend, numpy_backend
from xpnet.backends._base import nothing_cached
from xpnet.backends._registry import loaded_backends, register_backend, unregister_backend
from xpnet.backends._runtime import memory_budget, set_memory_budget
from xpnet.bench.contenders import XpnetContender
from xpnet.kernels import _conv_fourier, _workspaces
from xpnet.kernels._workspaces import empty_cache, kept_workspace_bytes, register_cache, workspace


@pytest.fixture(autouse=True)
def _fresh_caches():
    empty_cache()
    yield
    empty_cache()


def _conv_inputs(xp, seed=0):
    rng = np.random.default_rng(seed)
    x = xp.asarray(rng.standard_normal((2, 8, 12, 12)))
    weight = xp.asarray(rng.standard_normal((8, 8, 3, 3)))
    return x, weight


# --- empty_cache -------------------------------------------------------------------------------


def test_empty_cache_releases_the_workspaces_of_a_convolution(backend):
    x, weight = _conv_inputs(backend.xp)
    with K.conv_algorithms("im2col"):
        before = backend.to_host(K.conv2d(x, weight, padding=1))
    assert kept_workspace_bytes() > 0
    empty_cache()
    assert kept_workspace_bytes() == 0
    with K.conv_algorithms("im2col"):  # the next call allocates afresh, same result
        np.testing.assert_array_equal(backend.to_host(K.conv2d(x, weight, padding=1)), before)


def test_empty_cache_releases_the_workspaces_of_every_thread(backend):
    ready, release = threading.Barrier(4), threading.Event()

    def keep_one():
        workspace(backend, "test.thread", (1000,), "float64")
        ready.wait()
        release.wait()  # alive while empty_cache runs: its buffers must go all the same

    threads = [threading.Thread(target=keep_one) for _ in range(3)]
    for thread in threads:
        thread.start()
    workspace(backend, "test.thread", (1000,), "float64")
    ready.wait()
    assert kept_workspace_bytes() == 4 * 8000
    empty_cache()
    assert kept_workspace_bytes() == 0
    release.set()
    for thread in threads:
        thread.join()


def test_workspaces_of_a_finished_thread_are_freed_with_it(backend):
    thread = threading.Thread(target=workspace, args=(backend, "test.gone", (1000,), "float64"))
    thread.start()
    thread.join()
    del thread
    gc.collect()
    assert kept_workspace_bytes() == 0


def test_empty_cache_clears_the_cached_fourier_transforms(backend):
    x, weight = _conv_inputs(backend.xp)
    with K.conv_algorithms("fourier"):
        before = backend.to_host(K.conv2d(x, weight, padding=1))
    assert _conv_fourier._transforms.cache_info().currsize > 0
    empty_cache()
    assert _conv_fourier._transforms.cache_info().currsize == 0
    with K.conv_algorithms("fourier"):
        np.testing.assert_array_equal(backend.to_host(K.conv2d(x, weight, padding=1)), before)


def test_empty_cache_clears_registered_caches():
    @functools.lru_cache
    def square(value):
        return value * value

    assert register_cache(square) is square
    register_cache(square)  # twice: still cleared once
    square(3)
    try:
        empty_cache()
        assert square.cache_info().currsize == 0
    finally:
        _workspaces._caches.remove(square)


def test_register_cache_rejects_a_plain_function():
    with pytest.raises(TypeError, match=r"register_cache: function must be a functools\.lru_cache"):
        register_cache(math.sqrt)


def test_empty_cache_empties_every_loaded_backend(monkeypatch):
    emptied = []
    for name in ("numpy", "strict"):
        monkeypatch.setattr(
            load_backend(name), "empty_cache", functools.partial(emptied.append, name)
        )
    empty_cache()
    assert emptied == ["numpy", "strict"]  # in registry order


def test_loaded_backends_imports_nothing():
    register_backend("never", "xpnet_never_imported", arrays="xpnet_never_imported")
    try:
        loaded = loaded_backends()
    finally:
        unregister_backend("never")
    assert load_backend("numpy") in loaded
    assert "xpnet_never_imported" not in sys.modules


@pytest.mark.parametrize("name", ["numpy", "strict"])
def test_cpu_backends_have_no_pool_to_empty(name):
    assert load_backend(name).empty_cache() is None


def test_cupy_backend_empties_the_device_and_pinned_pools(monkeypatch):
    # the CuPy wheel imports without a GPU; only the device check at import is faked here
    cupy = pytest.importorskip("cupy")
    pytest.importorskip("cupyx")
    freed = []

    class Pool:
        def __init__(self, kind):
            self.kind = kind

        def free_all_blocks(self):
            freed.append(self.kind)

    monkeypatch.setattr(cupy.cuda.runtime, "getDeviceCount", lambda: 1)
    monkeypatch.setattr(cupy, "get_default_memory_pool", lambda: Pool("device"))
    monkeypatch.setattr(cupy, "get_default_pinned_memory_pool", lambda: Pool("pinned"))
    path = importlib.util.find_spec("xpnet.backends.cupy_backend").origin
    spec = importlib.util.spec_from_file_location("xpnet.backends.cupy_backend", path)
    module = importlib.util.module_from_spec(spec)  # not in sys.modules: the registry unaware
    spec.loader.exec_module(module)
    module.empty_cache()
    assert freed == ["device", "pinned"]


def test_nothing_cached_is_a_no_op():
    assert nothing_cached() is None


# --- xpnet bench counts the workspaces in a call's peak memory ---------------------------------


def test_bench_peak_memory_counts_kept_workspaces(num_threads):
    num_threads(1)  # one thread's workspaces: the same peak every call
    contender = XpnetContender("numpy")
    # workspaces of megabytes: a lazy import or cache in the process (a GPU machine's test run
    # saw 200 KB) stays well under a quarter of them
    rng = np.random.default_rng(0)
    x, weight = rng.standard_normal((4, 32, 32, 32)), rng.standard_normal((8, 32, 3, 3))

    def convolve():
        with K.conv_algorithms("im2col"):
            K.conv2d(x, weight, padding=1)

    first = contender.peak_bytes(convolve)
    kept = kept_workspace_bytes()
    assert kept > 0
    # measured again with the first call's workspaces kept: they count again (before, the
    # second call reused them and seemed to need less memory); Python's own objects vary a little
    second = contender.peak_bytes(convolve)
    assert first >= kept and second >= kept
    assert abs(second - first) < kept / 4


# --- set_memory_budget -------------------------------------------------------------------------


@pytest.fixture
def _default_budget():
    yield
    set_memory_budget(None)


@pytest.mark.usefixtures("_default_budget")
@pytest.mark.parametrize("nbytes", [0.5, 1e9, "1e9", math.inf, True, np.float64(1e6), [10]])
def test_set_memory_budget_rejects_what_is_not_an_int(nbytes):
    with pytest.raises(TypeError, match=r"set_memory_budget: nbytes must be a positive int .* got"):
        set_memory_budget(nbytes)


@pytest.mark.usefixtures("_default_budget")
@pytest.mark.parametrize("nbytes", [0, -1, np.int64(-5)])
def test_set_memory_budget_rejects_non_positive_ints(nbytes):
    with pytest.raises(ValueError, match=r"set_memory_budget: nbytes must be a positive int"):
        set_memory_budget(nbytes)


@pytest.mark.usefixtures("_default_budget")
def test_set_memory_budget_accepts_ints_and_none():
    set_memory_budget(np.int64(4096))
    assert memory_budget(numpy_backend) == 4096 and type(memory_budget(numpy_backend)) is int
    set_memory_budget(2**40)
    assert memory_budget(numpy_backend) == 2**40
    set_memory_budget(None)
    assert memory_budget(types.SimpleNamespace(free_memory=lambda: 4000)) == 1000


@pytest.mark.parametrize(
    "name, args",
    [
        ("softmax", (1,)),
        ("log_softmax_backward", (1,)),
        ("layer_norm", ((10**5,),)),
        ("layer_norm_backward", ((10**5,),)),
        ("group_norm", (2,)),
        ("group_norm_backward", (2,)),
    ],
)
def test_norms_and_softmax_refuse_inputs_too_large_before_reading_them(backend, name, args):
    """A broadcast input of 1e12 elements: a MemoryError naming the bytes at once, where the
    max or the statistics over it ran for minutes first."""
    x = backend.xp.broadcast_to(backend.asarray(np.zeros((), np.float32)), (10**6, 10, 10**5))
    call = getattr(K, name)
    arrays = (x, x) if name.endswith("_backward") else (x,)
    with pytest.raises(MemoryError, match=rf"{name}: arrays of the input's shape .* would need"):
        call(*arrays, *args)
