"""Argument checks and small helpers shared by every kernel family.

Public entries validate once, here; the inner kernels trust their arguments.
"""

from __future__ import annotations

import functools
import math
import numbers

from ..backends import backend_of, host_sync_forbidden


class ArgumentError(ValueError, RuntimeError):
    """A bad shape or value given to a kernel.

    Both a ``ValueError`` (the Python convention) and a ``RuntimeError`` (what PyTorch raises for
    the same mistakes), so code written for either catches it.
    """


def kernel(function):
    """Mark a public kernel: inside it, implicit device-to-host syncs are errors on strict."""

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        with host_sync_forbidden():
            return function(*args, **kwargs)

    return wrapper


def array_backend(where: str, **arrays):
    """The backend of the named arrays (``None`` skipped); they must be float of one dtype.

    Raises:
        TypeError: a non-array, mixed backends, a non-float dtype, or mixed dtypes.
    """
    backend = backend_of(*arrays.values(), names=tuple(arrays), where=where)
    first = None
    for name, array in arrays.items():
        if array is None:
            continue
        if array.dtype.kind != "f":
            msg = f"{where}: {name} must be a floating-point array, got dtype {array.dtype}"
            raise TypeError(msg)
        if first is None:
            first = (name, array.dtype)
        elif array.dtype != first[1]:
            msg = (
                f"{where}: {name} must have the dtype of {first[0]} ({first[1]}), got {array.dtype}"
            )
            raise TypeError(msg)
    return backend


def compute_dtype(xp, dtype):
    """The dtype to accumulate in: float16 computes in float32 and rounds once at the end."""
    return xp.float32 if dtype == xp.float16 else dtype


def check_ndim(where: str, name: str, array, allowed: tuple[int, ...], layout: str) -> None:
    """Raise ValueError unless ``array.ndim`` is in ``allowed``; ``layout`` names the axes."""
    if array.ndim not in allowed:
        expected = " or ".join(str(n) for n in allowed)
        msg = f"{where}: {name} must have {expected} dimensions {layout}, got shape {array.shape}"
        raise ArgumentError(msg)


def to_tuple(where: str, name: str, value, n: int = 2, minimum: int | None = 1) -> tuple:
    """``value`` as an ``n``-tuple of ints (an int is repeated), each at least ``minimum``.

    Example:
        >>> to_tuple("max_pool2d", "kernel_size", 3)
        (3, 3)
    """
    items = (value,) * n if isinstance(value, numbers.Integral) else value
    try:
        items = tuple(items)
    except TypeError:
        items = ()
    if len(items) != n or not all(isinstance(v, numbers.Integral) for v in items):
        msg = f"{where}: {name} must be an int or a tuple of {n} ints, got {value!r}"
        raise TypeError(msg)
    items = tuple(int(v) for v in items)
    if minimum is not None and any(v < minimum for v in items):
        msg = f"{where}: {name} must be at least {minimum}, got {value!r}"
        raise ArgumentError(msg)
    return items


def check_same_shape(where: str, name: str, array, reference_name: str, reference) -> None:
    """Raise ValueError unless ``array`` has the shape of ``reference`` (e.g. a gradient)."""
    if array.shape != reference.shape:
        msg = (
            f"{where}: {name} must have the shape of {reference_name} {reference.shape}, "
            f"got {array.shape}"
        )
        raise ArgumentError(msg)


def check_output_mask(where: str, output_mask, count: int) -> tuple[bool, ...]:
    """``output_mask`` as ``count`` bools; ValueError unless it is a sequence of that many."""
    mask = tuple(output_mask) if isinstance(output_mask, (tuple, list)) else None
    if mask is None or len(mask) != count or not all(isinstance(m, bool) for m in mask):
        msg = f"{where}: output_mask must be a tuple of {count} bools, got {output_mask!r}"
        raise ArgumentError(msg)
    return mask


def check_probability(where: str, name: str, value) -> None:
    """Raise ValueError unless ``value`` is a number in [0, 1] (dropout p, label smoothing)."""
    if not 0.0 <= value <= 1.0:
        msg = f"{where}: {name} must be in [0, 1], got {value!r}"
        raise ArgumentError(msg)


# an operand of this many bytes is worth a thread (a task costs ~50 us, 256 KiB ~30-60 us)
_MIN_SPLIT_BYTES = 1 << 18


def batch_blocks(backend, shape, dtype) -> list[slice]:
    """Slices of the first axis of ``shape``, each about ``backend.block_bytes`` per operand
    (at least one sample): a chain of elementwise calls on one block stays in cache on a CPU.
    From ``_MIN_SPLIT_BYTES`` on, at least one block per block thread, so that an array
    smaller than a block still runs on all the cores.

    Example:
        >>> from xpnet.backends import load_backend
        >>> batch_blocks(load_backend("numpy"), (10, 64, 1024), "float32")[:2]
        [slice(0, 4, None), slice(4, 8, None)]
    """
    sample = math.prod(shape[1:]) * backend.xp.dtype(dtype).itemsize
    size = max(1, backend.block_bytes // max(1, sample))
    if shape[0] * sample >= _MIN_SPLIT_BYTES:
        size = min(size, -(-shape[0] // backend.block_threads()))
    return [slice(start, min(start + size, shape[0])) for start in range(0, shape[0], size)]


def zero_where(xp, condition, values, out=None):
    """``where(condition, 0, values)``, exact for NaN, inf and -0.0 too, as a bitwise AND.

    NumPy's ``where`` is ~9x slower on random masks (ReLU, max-pool gradients). ``condition``,
    a bool array the caller made for this call, is overwritten (it becomes the bit mask).

    Example:
        >>> zero_where(xp, xp.asarray([False, True, False]), xp.asarray([-0.0, xp.nan, 2.0]))
        array([-0.,  0.,  2.])
    """
    bits = xp.dtype(f"int{8 * values.dtype.itemsize}")
    mask = xp.asarray(condition).view(xp.int8)  # asarray: a 0-d comparison is a scalar
    xp.subtract(mask, 1, out=mask)  # True -> 0, False -> -1 (all bits set)
    result = xp.bitwise_and(values.view(bits), mask, out=None if out is None else out.view(bits))
    # asarray: NumPy's & of 0-d arrays returns a scalar
    return xp.asarray(result).view(values.dtype)


def elementwise(backend, function, dtype, *arrays):
    """``function(*arrays, out=output)`` (elementwise, result of ``dtype``), block by block on
    all cores.

    The arrays (one shape) are flattened and cut into :func:`batch_blocks`; NumPy runs each
    call on one core, ``backend.map_blocks`` spreads the blocks over the threads. ``function``
    writes into ``out``, or returns a new array when ``out`` is ``None`` (a single block).

    Example:
        >>> from xpnet.backends import load_backend
        >>> elementwise(load_backend("numpy"), xp.add, "float64", xp.ones((2, 2)), xp.ones((2, 2)))
        array([[2., 2.],
               [2., 2.]])
    """
    size = math.prod(arrays[0].shape)
    blocks = batch_blocks(backend, (size,), dtype)
    if len(blocks) <= 1:  # one block (always on a GPU): no copy into an output array
        return backend.xp.asarray(function(*arrays, out=None)).astype(dtype, copy=False)
    flat = [array.reshape(-1) for array in arrays]
    output = backend.xp.empty(size, dtype=dtype)

    def compute_block(block):
        function(*(array[block] for array in flat), out=output[block])

    backend.map_blocks(compute_block, blocks)
    return output.reshape(arrays[0].shape)


def check_shapes(where, shape, **arrays):
    """Raise ValueError unless each array given (not ``None``) has ``shape``."""
    for name, array in arrays.items():
        if array is not None and array.shape != shape:
            msg = f"{where}: {name} must have shape {shape}, got {array.shape}"
            raise ArgumentError(msg)
