"""NumPy on the CPU: the default backend."""

from __future__ import annotations

import platform

import numpy

from ._base import host_free_memory

name = "numpy"
xp = numpy
ndarray = numpy.ndarray
asarray = numpy.asarray
free_memory = host_free_memory
block_bytes = 1 << 20  # a core's L2 cache: fastest for pooling, measured on 2 CPU threads


def as_strided(x, shape, strides):
    # read-only: writing through overlapping windows would silently double-count
    return numpy.lib.stride_tricks.as_strided(x, shape, strides, writeable=False)


def scatter_add(target, indices, values):
    numpy.add.at(target, indices, values)


def to_host(x):
    return numpy.array(x, copy=True)


def synchronize():
    """NumPy runs eagerly: nothing to wait for."""


def default_rng(seed=None):
    return numpy.random.default_rng(seed)


def device_name():
    return f"cpu ({platform.processor() or platform.machine()})"


def ignore_float_errors():
    return numpy.errstate(divide="ignore", invalid="ignore", over="ignore")
