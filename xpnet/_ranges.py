"""PyTorch's ``arange`` and ``linspace``: evenly spaced values as a new Tensor.

``arange``'s values are computed in float64 (int64 where every argument and the dtype are
integers) and rounded once to the dtype; PyTorch computes float32 ranges in float32 lanes
whose width depends on the CPU, so a float32 value may differ from PyTorch's in the last bit.
A float32 or float64 ``linspace`` is PyTorch's CPU kernel value for value: the step in the
dtype, each value one multiply-add rounded once (the kernel is compiled with FMA). The
lengths, the end points and the dtypes are PyTorch's. The helpers are
:mod:`xpnet._creation`'s.
"""

from __future__ import annotations

import math
import numbers

from ._creation import allocated, new_tensor, resolve_dtype, target_backend
from ._dtypes import float32, float64, get_default_dtype, int64
from .autograd import Tensor
from .backends import float_errors_ignored
from .kernels import ArgumentError
from .kernels._checks import check_int, check_number
from .kernels._exact_arithmetic import fused_multiply_add

__all__ = ["arange", "linspace"]


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


def scalar_bounds(*values) -> tuple:
    """``values`` as Python numbers: a 0-d Tensor is read as its number (a host read, as
    PyTorch's ``.item()``), since PyTorch's range functions take one as a bound.

    Example:
        >>> import xpnet
        >>> scalar_bounds(xpnet.tensor(3), 0.5)
        (3, 0.5)
    """
    return tuple(v.item() if isinstance(v, Tensor) and v.ndim == 0 else v for v in values)


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
    backend = target_backend(device)
    xp = backend.xp

    def make():
        exact = integral and dtype.kind in "iu"
        positions = xp.arange(length, dtype=int64 if exact else "float64")
        return (positions * step + start).astype(dtype, copy=False)

    array = allocated("arange", backend, (length,), dtype, make)
    return new_tensor("arange", array, requires_grad)


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
    start, end = scalar_bounds(start, end)
    check_number("linspace", "start", start)
    check_number("linspace", "end", end)
    steps = check_int("linspace", "steps", steps)
    if steps < 0:
        msg = f"linspace: number of steps must be non-negative, got {steps}"
        raise ArgumentError(msg)
    dtype = resolve_dtype("linspace", dtype, get_default_dtype())
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
