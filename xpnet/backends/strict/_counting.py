"""What each strict call costs on CuPy, reported to :func:`xpnet.profile`: the counting model.

The rules (stated for users in :mod:`xpnet.backends._profile`): a call that writes an array
into new memory is one launch, a view is none, host data entering is a host-to-device copy,
and a copy to the host (explicit, a scalar conversion, or the output-size query of
``nonzero``/``unique``/boolean masks) is a device-to-host copy that also waits for the device.
The exceptions to "new memory = one launch" are tables in :mod:`._cupy_tables`
(``ALLOCATES_ONLY``, ``WRITES_IN_PLACE``, ``SIZE_FROM_DATA``). :mod:`._array` and
:mod:`._namespace` call these helpers; without an open profile each costs one lookup.
"""

from __future__ import annotations

import numpy

from .._profile import is_profiling, record
from ._cupy_tables import ALLOCATES_ONLY, SIZE_FROM_DATA, WRITES_IN_PLACE

__all__ = [
    "count_call",
    "count_indexing",
    "count_launch",
    "count_sync",
    "count_to_device",
    "count_to_host",
]


def count_launch() -> None:
    """One kernel launch: an operator, a ufunc, an in-place write, a random draw."""
    record("launches")


def count_to_device() -> None:
    """Host data copied onto the device (``xp.asarray`` of a NumPy array, a list, a scalar)."""
    record("host_to_device")


def count_to_host() -> None:
    """A copy to the host; CuPy's copies to the host wait for the device, so also a sync."""
    record("device_to_host")
    record("syncs")


def count_sync() -> None:
    """An explicit wait for the device (``backend.synchronize()``)."""
    record("syncs")


def _arrays(value):
    """The NumPy arrays and scalars in ``value`` (a result, or the arguments of a call)."""
    if isinstance(value, (numpy.ndarray, numpy.generic)):
        yield value
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _arrays(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _arrays(item)


def _in_new_memory(output, sources) -> bool:
    # a NumPy scalar is a reduction's result (CuPy's is a 0-d array it wrote); an array that
    # overlaps no input's memory was written by the call, one that does is a view
    if isinstance(output, numpy.generic):
        return True
    return not any(
        isinstance(source, numpy.ndarray) and numpy.may_share_memory(output, source)
        for source in sources
    )


def count_call(path: str, host_data: bool, inputs, result) -> None:
    """Count one call of ``xp.<path>`` (or ``x.<method>``, path ``ndarray.<method>``):
    ``inputs`` its NumPy arguments, ``result`` its NumPy result; ``host_data``: its first
    argument was host data, which CuPy copies in (``xp.asarray(numpy_array)``)."""
    if not is_profiling():
        return
    if host_data:
        count_to_device()
        return
    if path in ALLOCATES_ONLY:
        return
    if result is None:
        launched = path in WRITES_IN_PLACE
    else:
        sources = list(_arrays(inputs))
        launched = any(_in_new_memory(output, sources) for output in _arrays(result))
    if launched:
        count_launch()
    if path in SIZE_FROM_DATA:
        count_to_host()  # CuPy copies the output's size to the host before it can allocate


def count_indexing(source: numpy.ndarray, key, result) -> None:
    """Count ``x[key]``: basic indexing is a view (a scalar index too: CuPy returns a 0-d
    view); advanced indexing gathers, one launch; a boolean mask also asks the host first
    how many elements it selects."""
    if not is_profiling() or not isinstance(result, numpy.ndarray):
        return
    if numpy.may_share_memory(result, source):
        return
    count_launch()
    keys = key if isinstance(key, tuple) else (key,)
    if any(isinstance(k, numpy.ndarray) and k.dtype == bool for k in keys):
        count_to_host()
