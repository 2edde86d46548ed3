"""PyTorch's ``arange``, ``linspace`` and ``logspace``: evenly spaced values as a new Tensor.

``arange``'s values are computed in float64 (int64 where the dtype is an integer one) and
rounded once to the dtype; PyTorch computes float32 ranges in float32 lanes
whose width depends on the CPU, so a float32 value may differ from PyTorch's in the last bit.
A float32 or float64 ``linspace`` is PyTorch's CPU kernel value for value: the step in the
dtype, each value one multiply-add rounded once (the kernel is compiled with FMA). The
lengths, the end points and the dtypes are PyTorch's. The helpers are
:mod:`xpnet._creation`'s.
"""

from __future__ import annotations

import math
import numbers

import numpy

from ._creation import allocated, new_tensor, resolve_dtype, target_backend
from ._dtypes import checked_scalar, float32, float64, get_default_dtype, int64
from .autograd import Tensor
from .backends import float_errors_ignored
from .kernels import ArgumentError, UnsupportedDtypeError
from .kernels._checks import check_int, check_number
from .kernels._exact_arithmetic import fused_multiply_add

__all__ = ["arange", "linspace", "logspace"]


def _length(start, end, step) -> int:
    """How many values ``arange`` makes: ``ceil((end - start) / step)``, refusing what
    PyTorch refuses."""
    for name, value in (("start", start), ("end", end), ("step", step)):
        check_number("arange", name, value)
        if not math.isfinite(value):
            msg = f"arange: {name} must be finite, got {value}"
            raise ArgumentError(msg)
    if step == 0:
        raise ArgumentError("arange: step must be nonzero")
    if end != start and (end > start) != (step > 0):
        msg = (
            f"arange: upper bound and larger bound inconsistent with step sign: "
            f"start={start}, end={end}, step={step}"
        )
        raise ArgumentError(msg)
    if all(isinstance(value, numbers.Integral) for value in (start, end, step)):
        return max(-((start - end) // step), 0)  # exact ceil for ints of any size
    return max(math.ceil((end - start) / step), 0)


def _integer_range(start, end, step, length: int, dtype):
    """PyTorch's ``arange`` of an integer ``dtype`` from float arguments: the values count
    from ``start`` by ``step``, both cut toward zero to ints first (a step of 0.5 counts by
    0); an int64 range's length also comes from the cut ``end`` (its length counts in
    integers), any other keeps ``length``, from the arguments as given."""
    start, end, step = int(start), int(end), int(step)
    if dtype == int64:
        if step == 0:
            raise ArgumentError("arange: step must be nonzero (once cut to an integer)")
        length = max(-((start - end) // step), 0)
    return start, end, step, length


def scalar_bounds(*values) -> tuple:
    """``values`` as Python numbers: a 0-d Tensor is read as its number (a host read, as
    PyTorch's ``.item()``), since PyTorch's range functions take one as a bound, and a bool
    is the int 0 or 1, as in PyTorch's ``Scalar``.

    Example:
        >>> import xpnet
        >>> scalar_bounds(xpnet.tensor(3), 0.5, True)
        (3, 0.5, 1)
    """
    values = (v.item() if isinstance(v, Tensor) and v.ndim == 0 else v for v in values)
    return tuple(int(v) if isinstance(v, bool) else v for v in values)


def arange(
    start=0, end=None, step=1, *, dtype=None, device=None, requires_grad: bool = False
) -> Tensor:
    """The values ``start, start + step, ...`` up to but excluding ``end``, as ``torch.arange``.

    ``arange(end)`` starts at 0. The dtype is int64 when start, end and step are all ints,
    else the default dtype, float32 (or ``dtype``). ``device`` and ``requires_grad`` as
    :func:`xpnet.zeros`'s.

    Raises:
        TypeError: for a bound or step that is not a real number.
        ArgumentError: for a zero step, a step of the wrong sign, or a non-finite argument.

    Example:
        >>> import xpnet
        >>> xpnet.arange(4).tolist(), xpnet.arange(1, 2, 0.25).tolist()
        ([0, 1, 2, 3], [1.0, 1.25, 1.5, 1.75])
    """
    if end is None:
        start, end = 0, start
    start, end, step = scalar_bounds(start, end, step)
    length = _length(start, end, step)
    integral = all(isinstance(value, numbers.Integral) for value in (start, end, step))
    dtype = resolve_dtype("arange", dtype, int64 if integral else get_default_dtype())
    if dtype.kind == "b":
        raise UnsupportedDtypeError("arange: \"arange_cpu\" not implemented for 'Bool'")
    if dtype.kind in "iu" and not integral:
        start, end, step, length = _integer_range(start, end, step, length, dtype)
    backend = target_backend(device)
    xp = backend.xp

    def make():
        positions = xp.arange(length, dtype=int64 if dtype.kind in "iu" else "float64")
        return (positions * step + start).astype(dtype, copy=False)

    array = allocated("arange", backend, (length,), dtype, make)
    return new_tensor("arange", array, requires_grad)


def _spaced_arguments(where: str, start, end, steps, dtype) -> tuple:
    """``linspace``'s and ``logspace``'s checked arguments: numbers (0-d Tensors read) for
    the bounds, a non-negative int of steps, the dtype (default: the default dtype)."""
    start, end = scalar_bounds(start, end)
    check_number(where, "start", start)
    check_number(where, "end", end)
    steps = check_int(where, "steps", steps)
    if steps < 0:
        msg = f"{where}: number of steps must be non-negative, got {steps}"
        raise ArgumentError(msg)
    return start, end, steps, resolve_dtype(where, dtype, get_default_dtype())


def linspace_values(xp, start, end, steps: int, dtype):
    """PyTorch's CPU ``linspace`` in float ``dtype`` as an array (``steps >= 2``): the first
    half ``start + i * step``, the second ``end - (steps - 1 - i) * step``, each multiply-add
    rounded once (FMA). Also ``histogram``'s bin edges."""
    start, end = xp.asarray(start, dtype=dtype), xp.asarray(end, dtype=dtype)
    step = (end - start) / xp.asarray(steps - 1, dtype=dtype)
    index = xp.arange(steps)
    up = fused_multiply_add(xp, index.astype(dtype), step, start)
    down = fused_multiply_add(xp, (steps - 1 - index).astype(dtype), -step, end)
    return xp.where(index < steps // 2, up, down)


def linspace(start, end, steps, *, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """``steps`` values from ``start`` to ``end``, both included, evenly spaced, as
    ``torch.linspace`` (of the default dtype, float32, unless ``dtype`` says).

    As PyTorch, the first half counts up from ``start`` and the second half down from
    ``end``, so both end points are exact.

    Example:
        >>> import xpnet
        >>> xpnet.linspace(0, 1, 5).tolist()
        [0.0, 0.25, 0.5, 0.75, 1.0]
    """
    start, end, steps, dtype = _spaced_arguments("linspace", start, end, steps, dtype)
    backend = target_backend(device)
    xp = backend.xp

    def make():
        if dtype in (float32, float64) and steps > 1:
            return linspace_values(xp, start, end, steps, dtype)
        index = xp.arange(steps, dtype="float64")
        if steps == 1:
            return (index + start).astype(dtype, copy=False)
        step = (end - start) / (steps - 1)
        up, down = index * step + start, end - (steps - 1 - index) * step
        return xp.where(index < steps // 2, up, down).astype(dtype, copy=False)

    with float_errors_ignored():  # an inf bound: NaN steps, as PyTorch's, without a warning
        array = allocated("linspace", backend, (steps,), dtype, make)
    return new_tensor("linspace", array, requires_grad)


def logspace(
    start, end, steps, base: float = 10.0, *, dtype=None, device=None, requires_grad: bool = False
) -> Tensor:
    """``steps`` values from ``base ** start`` to ``base ** end``, evenly spaced in the
    exponent, as ``torch.logspace`` (of the default dtype unless ``dtype`` says).

    As PyTorch's CPU kernel: ``start`` and ``end`` are first cast to ``dtype`` (so an integer
    dtype counts from ``int(start)``), the exponents of the first half count up from
    ``start`` and those of the second half down from ``end``, each power is taken in float64
    and rounded once (an integer dtype cuts it toward zero).

    Example:
        >>> import xpnet
        >>> xpnet.logspace(0, 2, 3).tolist()
        [1.0, 10.0, 100.0]
        >>> xpnet.logspace(0.5, 2.5, 3, dtype=xpnet.int64).tolist()
        [1, 10, 100]
    """
    start, end, steps, dtype = _spaced_arguments("logspace", start, end, steps, dtype)
    check_number("logspace", "base", base)
    backend = target_backend(device)

    if steps == 1:  # PyTorch fills the power of the bound as given, refusing what overflows
        with float_errors_ignored():  # NumPy's power: NaN (not complex) for a negative base
            power = float(numpy.power(float(base), float(start)))
        checked_scalar("logspace", "base ** start", power, dtype)
    elif steps > 1:  # the bounds as cast to ``dtype``, refused where PyTorch's cast overflows
        checked_scalar("logspace", "start", start, dtype)
        checked_scalar("logspace", "end", end, dtype)

    def make():
        with float_errors_ignored():  # NaN and inf powers, as PyTorch's, without a warning
            values = _exponents(start, end, steps, dtype)
            return backend.asarray(numpy.power(float(base), values).astype(dtype))

    array = allocated("logspace", backend, (steps,), dtype, make)
    return new_tensor("logspace", array, requires_grad)


def _exponents(start, end, steps: int, dtype):
    """``logspace``'s exponents in float64: PyTorch's ``start`` (steps 1, as given) or
    ``start + i * step`` for the first half and ``end - (steps - 1 - i) * step`` for the
    rest, with the bounds in ``dtype`` and their difference taken there."""
    if steps <= 1:
        return numpy.full(steps, float(start))
    first, last = numpy.asarray([start, end]).astype(dtype)  # PyTorch's ``start.to<T>()``
    # C++ subtracts floats in their dtype, small integers promoted (uint8 0 - 2 is -2)
    difference = last - first if dtype.kind == "f" else int(last) - int(first)
    step = float(difference) / (steps - 1)
    index = numpy.arange(steps)
    up = float(first) + step * index
    down = float(last) - step * (steps - 1 - index)
    return numpy.where(index < steps // 2, up, down)
