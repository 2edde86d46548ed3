"""One fixture runs every test body on every registered backend: numpy, strict, and cupy with a GPU.

The backends come from the registry (``xpnet/backends/__init__.py``), so a new backend's line
there runs the whole suite on it; those that need a GPU carry the ``gpu`` marker. With
``XPNET_BACKEND`` set, the fixture runs that backend alone, which every other test uses too:
``XPNET_BACKEND=numpy pytest`` then ``XPNET_BACKEND=strict pytest`` (the README's test
command) runs each body once per backend, where two plain runs would repeat every case.
"""

from __future__ import annotations

import pytest

import xpnet
from xpnet.backends import (
    backend_from_environment,
    discard_deferred,
    load_backend,
    registered_backends,
    set_num_threads,
    use_backend,
)
from xpnet.backends._base import CPU_CONV_COSTS, conv_costs_of, runs_unblocked
from xpnet.backends._runtime import num_threads_setting

BACKENDS = [
    pytest.param(entry.name, marks=pytest.mark.gpu) if entry.gpu else entry.name
    for entry in registered_backends()
    if backend_from_environment() in (None, entry.name)
]


@pytest.fixture(autouse=True)
def no_deferred_checks_leak():
    """Drop the deferred value checks a test left unread (strict defers them to the next host
    read), so that they cannot fail a later test."""
    yield
    discard_deferred()


@pytest.fixture(scope="module")
def one_torch_thread():
    """torch on one thread for a module: on a loaded 2-core machine its thread pool only adds
    contention (tiny ops 20x slower, float64 depthwise convs seconds instead of milliseconds)."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(params=BACKENDS)
def backend(request):
    """The backend module under test, made current for the test's duration."""
    try:
        load_backend(request.param)
    except ImportError as error:  # cupy without CuPy or a CUDA device: the message says which
        pytest.skip(f"{request.param}: {error}")
    with use_backend(request.param) as selected:
        yield selected


@pytest.fixture
def xp(backend):
    """The array namespace of the backend under test."""
    return backend.xp


@pytest.fixture
def cpu_conv_costs(backend):
    """Whether the backend under test chooses conv2d's formulas with the CPU's cost constants
    (``CPU_CONV_COSTS``: launches free, the measured thresholds rule), as numpy and strict do;
    CuPy's (``GPU_CONV_COSTS``) take the fewest launches, so they choose otherwise by design."""
    return conv_costs_of(backend) is CPU_CONV_COSTS


@pytest.fixture
def cpu_conv_choices(backend, cpu_conv_costs):
    """For a test that pins the conv2d formulas chosen with the CPU's cost constants: skips it
    on a backend with other constants (see ``cpu_conv_costs``)."""
    if not cpu_conv_costs:
        pytest.skip(
            f"{backend.name} chooses conv2d's formulas by its own cost constants "
            "(conv_costs: fewest launches), not the CPU thresholds pinned here"
        )


@pytest.fixture
def cpu_blocks(backend):
    """For a test that pins the CPU's batch chunks and blocks: skips it on a GPU backend,
    which runs a batch whole (one block, chunks of ``GPU_UNIT_BYTES``), by design."""
    if runs_unblocked(backend):
        pytest.skip(f"{backend.name} runs a batch whole: the CPU's chunks and blocks pinned here")


@pytest.fixture
def strict():
    """The strict backend module, for tests of what it refuses and counts (not made current);
    skipped where ``XPNET_BACKEND`` names another backend: they run in the strict pass."""
    if backend_from_environment() not in (None, "strict"):
        pytest.skip("a test of the strict backend: it runs where XPNET_BACKEND is strict or unset")
    return load_backend("strict")


@pytest.fixture
def num_threads():
    """``num_threads(n)`` runs the rest of the test on ``n`` block threads; restored after."""
    previous = num_threads_setting()
    yield set_num_threads
    set_num_threads(previous)


@pytest.fixture
def precision():
    """``precision(p)`` sets the float32 matmul precision for the rest of the test."""
    previous = xpnet.get_float32_matmul_precision()
    yield xpnet.set_float32_matmul_precision
    xpnet.set_float32_matmul_precision(previous)
