"""The backend registry is the one list of backends: a toy backend added with one line is used by
kernels, loaded by ``available_backends`` and offered by the command line.

Also: the runtime knobs that moved out of the registry are importable where they were.
Neighbours: test_backends.py (selection and dispatch of the built-in backends).
"""

from __future__ import annotations

import sys
import textwrap

import numpy as np
import pytest

import xpnet
import xpnet.kernels as K
from xpnet import backends
from xpnet.backends import (
    available_backends,
    backend_names,
    backend_of,
    load_backend,
    register_backend,
    registered_backends,
    to_backend,
    unregister_backend,
    use_backend,
)
from xpnet.backends._base import missing_names
from xpnet.cli import main

# A backend module as a newcomer would write one: NumPy underneath, its own array type (so
# arrays dispatch to it), and a namespace that logs the names kernels ask for.
TOY_BACKEND = '''
    """A toy backend: NumPy with an array type of its own."""

    import numpy

    from xpnet.backends import numpy_backend
    from xpnet.backends._base import (
        host_free_memory,
        nothing_cached,
        one_block_at_a_time,
        run_in_order,
    )


    class ToyArray(numpy.ndarray):
        """NumPy arrays that belong to the toy backend, by the name of this module."""


    class LoggedNumpy:
        """NumPy's namespace, logging the names asked for."""

        def __init__(self):
            self.used = []

        def __getattr__(self, attr):
            self.used.append(attr)
            return getattr(numpy, attr)


    name = "toy"
    xp = LoggedNumpy()
    ndarray = ToyArray
    as_strided = numpy_backend.as_strided
    scatter_add = numpy_backend.scatter_add
    to_host = numpy_backend.to_host
    synchronize = numpy_backend.synchronize
    default_rng = numpy_backend.default_rng
    free_memory = host_free_memory
    ignore_float_errors = numpy_backend.ignore_float_errors
    block_bytes = numpy_backend.block_bytes
    map_blocks = run_in_order
    block_threads = one_block_at_a_time
    empty_cache = nothing_cached


    def asarray(obj, dtype=None):
        return numpy.array(obj, dtype=dtype).view(ToyArray)


    def device_name():
        return "toy device"
'''


@pytest.fixture
def toy(tmp_path, monkeypatch):
    """The toy backend, written to a file and registered with one line; removed after."""
    (tmp_path / "xpnet_toy_backend.py").write_text(textwrap.dedent(TOY_BACKEND))
    monkeypatch.syspath_prepend(str(tmp_path))
    register_backend("toy", "xpnet_toy_backend", arrays="xpnet_toy_backend")
    yield load_backend("toy")
    if "toy" in backend_names():
        unregister_backend("toy")
    sys.modules.pop("xpnet_toy_backend")  # the next test imports its own copy


def test_registry_lists_the_built_in_backends():
    assert backend_names() == ["numpy", "strict", "cupy"]
    entries = {entry.name: entry for entry in registered_backends()}
    assert [name for name, entry in entries.items() if entry.gpu] == ["cupy"]
    assert [name for name, entry in entries.items() if not entry.timed] == ["strict"]


def test_toy_backend_implements_the_interface(toy):
    assert missing_names(toy) == []
    assert "toy" in available_backends() and backend_names()[-1] == "toy"


def test_toy_backend_runs_a_kernel(toy):
    x = toy.asarray([[-1.0, 2.0], [3.0, -4.0]])
    assert backend_of(x) is toy
    toy.xp.used.clear()
    output = K.relu(x)
    assert toy.xp.used, "relu did not use the toy backend's namespace"
    np.testing.assert_array_equal(toy.to_host(output), [[0.0, 2.0], [3.0, 0.0]])


def test_toy_backend_moves_arrays_and_becomes_current(toy):
    x = to_backend(np.arange(3.0), "toy")
    assert type(x) is toy.ndarray
    assert type(to_backend(x, "numpy")) is np.ndarray
    with use_backend("toy"):
        assert type(xpnet.asarray([1.0])) is toy.ndarray


def test_toy_backend_is_a_choice_of_the_command_line(toy, capsys):
    with pytest.raises(SystemExit):
        main(["train", "--backend", "nope"])
    assert "(choose from 'numpy', 'strict', 'cupy', 'toy')" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["bench", "--backends", "nope"])
    assert "choose from numpy, strict, cupy, toy, torch" in capsys.readouterr().err


def test_unregistered_backend_is_gone(toy):
    unregister_backend("toy")
    with pytest.raises(ValueError, match="'toy' is not a backend; choose one of 'numpy'"):
        load_backend("toy")


def test_register_backend_rejects_arrays_of_another_backend():
    with pytest.raises(ValueError, match="arrays='numpy' already belong to the 'numpy' backend"):
        register_backend("numpy2", "numpy2_backend", arrays="numpy")
    assert "numpy2" not in backend_names()


def test_dispatch_goes_by_the_module_of_the_array_type(strict):
    assert backends.backend_name_of(strict.xp.ones(2)) == "strict"
    assert backends.backend_name_of(np.float32(1.0)) == "numpy"
    # other xpnet types are no strict arrays, though they live in the same package
    assert backends.backend_name_of(xpnet.Tensor(np.ones(2))) is None


# --- the runtime knobs, split from the registry, keep their names ----------------------------


@pytest.mark.parametrize(
    "name",
    [
        "get_num_threads",
        "set_num_threads",
        "memory_budget",
        "set_memory_budget",
        "keep_freed_host_memory",
        "available_backends",
        "backend_of",
        "get_backend",
        "set_backend",
        "to_backend",
        "use_backend",
    ],
)
def test_public_names_stay_importable_from_xpnet(name):
    assert getattr(xpnet, name) is getattr(backends, name)
    assert name in xpnet.__all__ and name in backends.__all__


@pytest.mark.parametrize(
    "name", ["host_sync_forbidden", "is_host_sync_forbidden", "is_freed_host_memory_kept"]
)
def test_runtime_names_stay_importable_from_backends(name):
    assert callable(getattr(backends, name))
