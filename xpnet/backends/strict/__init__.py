"""NumPy on the CPU that refuses what CuPy would refuse: CPU-only CI proves kernels GPU-ready.

There is no CuPy emulator to install, so this is a small one. Its arrays (:class:`StrictArray`)
wrap a NumPy array and behave like ``cupy.ndarray`` where CuPy is stricter than NumPy:

- no implicit conversion to NumPy: ``np.asarray(x)`` and ``x + numpy_array`` raise
  ``TypeError``, and so does ``np.sum(x)`` (stricter than CuPy, which forwards the ``np.*``
  functions it implements to ``cupy.*``: kernels must say ``xp``); host data enters only
  through ``xp.asarray``/``xp.array`` or :func:`asarray` (NumPy arrays are refused even as
  indices, which CuPy would copy in silently), and leaves only through :func:`to_host`,
  ``x.get()`` or ``x.item()``;
- the namespace ``xp`` offers only the names CuPy 14 has (``xp.errstate``, ``xp.block`` and
  ``xp.random`` are missing; ``erf`` lives in ``cupyx.scipy.special``, not here), and refuses
  the keywords CuPy's signatures lack (``out=`` in ``einsum``, ``initial=``/``where=`` in
  reductions, ``writeable=`` in ``as_strided``); lists and tuples are not arrays, so
  ``xp.prod(shape)`` fails as on CuPy;
- reductions and scalar indexing return 0-d arrays, not NumPy scalars, as CuPy does;
- inside kernels (:func:`xpnet.backends.host_sync_forbidden`) an implicit device-to-host copy
  (``float(x)``, ``bool(x)``, ``if x:``, ``int(x)``, ``x.item()``, ``x.tolist()``) raises;
- window views from :func:`as_strided` are read-only (unless ``writeable=True``);
  ``scatter_add`` and ``xp.add.at`` refuse the dtypes CuPy's atomics lack (``int64`` among
  them), and ufunc methods exist only where CuPy has them (``xp.maximum.reduce`` raises
  ``NotImplementedError``);
- the generator from :func:`default_rng` has only the methods of ``cupy.random.Generator``.

Inside :func:`xpnet.profile` it counts what CuPy would do: kernel launches, copies between
host and device, and syncs (the model is in :mod:`xpnet.backends._profile`), running kernels in
CuPy's blocks (one per call) meanwhile (:func:`profiling`).

It cannot catch differences in CuPy's numerics (summation order, fast-math kernels), speed,
asynchronous execution, GPU memory limits, or the host syncs CuPy performs internally
(boolean-mask indexing, ``xp.nonzero``, ``xp.unique``).

This file is the backend (the interface of :mod:`xpnet.backends._base`) and assembles ``xp``.
Its neighbours: :mod:`._cupy_tables` (what CuPy 14 has and accepts, generated from
``cupy-cuda13x`` 14.2 and checked by ``tests/test_cupy_api.py``), :mod:`._array`
(:class:`StrictArray` and the function wrapper), :mod:`._namespace` (the namespace, ufuncs,
``ufunc.at`` and the generator), :mod:`._counting` (what each call costs on CuPy).

Example:
    >>> import numpy as np
    >>> from xpnet.backends import host_sync_forbidden, load_backend
    >>> strict = load_backend("strict")
    >>> x = strict.xp.arange(3.0)
    >>> x * 2 + 1, x.sum()
    (strict_array([1., 3., 5.]), strict_array(3.))
    >>> np.asarray(x)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    TypeError: Implicit conversion to a NumPy array is not allowed ...
    >>> with host_sync_forbidden():  # as inside every @kernel
    ...     float(x.sum())  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    RuntimeError: strict: float(x) inside a kernel copies a value from the device to the host...
    >>> strict.to_host(x)
    array([0., 1., 2.])
"""

from __future__ import annotations

import contextlib
import functools
import platform

import numpy

from .. import numpy_backend
from .._base import (
    CPU_CONV_COSTS,
    GPU_BLOCK_BYTES,
    GPU_CONV_COSTS,
    exact_products,
    host_free_memory,
    numpy_generator_state,
    one_block_at_a_time,
    run_in_order,
    set_numpy_generator_state,
)
from .._profile import is_profiling, not_counting
from ._array import StrictArray, strict_function, to_host, unwrap
from ._counting import count_launch, count_sync, count_to_device
from ._cupy_tables import CUPY_NAMES, CUPY_SUBMODULE_NAMES
from ._fused import fused_arguments
from ._namespace import Generator, Namespace, scatter

__all__ = [  # the backend interface (xpnet/backends/_base.py)
    "as_strided",
    "asarray",
    "block_bytes",
    "block_threads",
    "conv_costs",
    "default_rng",
    "device_name",
    "empty_cache",
    "free_memory",
    "fuse",
    "generator_state",
    "ignore_float_errors",
    "map_blocks",
    "name",
    "ndarray",
    "profiling",
    "scatter_add",
    "set_generator_state",
    "set_matmul_precision",
    "synchronize",
    "to_host",
    "xp",
]

name = "strict"
ndarray = StrictArray


def _read_only_strided(x, shape=None, strides=None):
    # read-only, unlike CuPy's views: a kernel writing through windows is caught here
    return numpy.lib.stride_tricks.as_strided(x, shape, strides, writeable=False)


def _writable_strided(x, shape=None, strides=None):
    return numpy.lib.stride_tricks.as_strided(x, shape, strides)


_window_view = strict_function("lib.stride_tricks.as_strided", _read_only_strided)
_writable_view = strict_function("lib.stride_tricks.as_strided", _writable_strided)


def as_strided(x, shape, strides, writeable=False):
    """The backend's strided view: read-only unless ``writeable`` (a view whose elements do
    not overlap, such as a diagonal); ``xp.lib.stride_tricks.as_strided`` is always read-only."""
    return (_writable_view if writeable else _window_view)(x, shape, strides)


_stride_tricks = Namespace(
    "lib.stride_tricks",
    numpy.lib.stride_tricks,
    CUPY_SUBMODULE_NAMES["lib.stride_tricks"],
    as_strided=_window_view,
)
xp = Namespace(
    "",
    numpy,
    CUPY_NAMES,
    ndarray=StrictArray,
    linalg=Namespace("linalg", numpy.linalg, CUPY_SUBMODULE_NAMES["linalg"]),
    fft=Namespace("fft", numpy.fft, CUPY_SUBMODULE_NAMES["fft"]),
    lib=Namespace("lib", numpy.lib, frozenset(), stride_tricks=_stride_tricks),
)


def scatter_add(target, indices, values):
    scatter("add", target, indices, values)


def asarray(obj, dtype=None):
    if isinstance(obj, StrictArray):
        return obj if dtype is None else obj.astype(dtype, copy=False)
    count_to_device()
    return StrictArray(numpy.array(unwrap(obj, "asarray", host_ok=True), dtype=dtype))


def fuse(function):
    """``function`` as one device call, as ``cupy.fuse`` makes it: its xp calls run (strictly)
    without being counted, and the whole counts one launch. Its Python numbers refuse
    arithmetic among themselves, which CuPy runs in float16 (:mod:`._fused`)."""

    @functools.wraps(function)
    def fused(*args):
        with not_counting():
            result = function(*fused_arguments(args))
        if is_profiling():
            count_launch()
        return result

    return fused


def synchronize():
    """Runs eagerly on NumPy: nothing to wait for (but :func:`xpnet.profile` counts it)."""
    count_sync()


@contextlib.contextmanager
def profiling():
    """Run as CuPy would while :func:`xpnet.profile` counts: one block per call (CuPy's
    ``block_bytes``), so that every count stands for a CuPy launch. The calls report
    themselves (``._counting``); this only sets the blocks, process-wide (as ``block_bytes``
    itself), and restores them after; and CuPy's conv2d cost constants (``conv_costs``), so
    that conv2d takes the formula CuPy would."""
    global block_bytes, conv_costs
    previous, block_bytes = block_bytes, GPU_BLOCK_BYTES
    previous_costs, conv_costs = conv_costs, GPU_CONV_COSTS
    try:
        yield
    finally:
        block_bytes = previous
        conv_costs = previous_costs


def default_rng(seed=None):
    return Generator(seed)


def generator_state(rng) -> bytes:
    # the NumPy generator under CuPy's methods holds the whole state
    return numpy_generator_state(rng._rng)


def set_generator_state(rng, state: bytes) -> None:
    set_numpy_generator_state(rng._rng, state)


def device_name():
    return f"cpu ({platform.processor() or platform.machine()}, CuPy-strict NumPy)"


free_memory = host_free_memory
empty_cache = numpy_backend.empty_cache  # NumPy's memory: no pool to empty
# the CPU's blocks, which keep the suite fast; CuPy's (one block) inside profiling()
block_bytes = numpy_backend.block_bytes
# in order, on the calling thread: its guard against implicit host syncs is per thread
map_blocks = run_in_order
block_threads = one_block_at_a_time

# products are NumPy's: exact float32 at every precision (counting needs no TF32 switch)
set_matmul_precision = exact_products
# the CPU's conv2d choices, which keep the suite fast; CuPy's inside profiling()
conv_costs = CPU_CONV_COSTS
# the arithmetic is NumPy's, so NumPy's warning switches apply
ignore_float_errors = numpy_backend.ignore_float_errors
