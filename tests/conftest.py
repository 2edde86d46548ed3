"""One fixture runs every test body on every backend: numpy, strict, and cupy with a GPU."""

from __future__ import annotations

import pytest

from xpnet.backends import load_backend, use_backend


def _cupy_available() -> bool:
    try:
        load_backend("cupy")
    except ImportError:
        return False
    return True


BACKENDS = ["numpy", "strict", pytest.param("cupy", marks=pytest.mark.gpu)]


@pytest.fixture(params=BACKENDS)
def backend(request):
    """The backend module under test, made current for the test's duration."""
    if request.param == "cupy" and not _cupy_available():
        pytest.skip("cupy backend: no CuPy or no CUDA device here")
    with use_backend(request.param) as selected:
        yield selected


@pytest.fixture
def xp(backend):
    """The array namespace of the backend under test."""
    return backend.xp
