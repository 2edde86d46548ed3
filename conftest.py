"""Root conftest: doctests run on NumPy; the CuPy backend module imports only with a GPU."""

import numpy
import pytest
from _pytest.doctest import DoctestItem

from xpnet import use_backend

# xpnet/functional.py is the deprecated alias: importing it warns, by design.
collect_ignore = ["xpnet/backends/cupy_backend.py", "xpnet/functional.py", "benchmarks"]


@pytest.fixture(autouse=True)
def _doctest_namespace(request, doctest_namespace):
    doctest_namespace["xp"] = numpy
    doctest_namespace["np"] = numpy
    if not isinstance(request.node, DoctestItem):
        yield
        return
    # examples show NumPy arrays, whatever XPNET_BACKEND the suite runs under
    with use_backend("numpy"):
        yield
