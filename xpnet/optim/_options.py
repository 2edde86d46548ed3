"""Helpers shared by the optimizers: PyTorch's switches (``foreach``, ``fused``,
``capturable``, ``differentiable``), a Tensor ``lr``, its scalar state's dtype, its ``lerp``,
and scalar state advanced on the device.

PyTorch keeps some per-parameter scalars (NAdam's ``mu_product``, ASGD's ``eta`` and ``mu``) in
0-d tensors of its scalar dtype (:func:`scalar_dtype`: float32, or float64 when the default
dtype is float64) and reads them back as Python floats: with the default float32 the
trajectories use float32-rounded values, which :func:`round_scalar` reproduces on the host and
:func:`advanced_state`'s callers on the device.
"""

from __future__ import annotations

import functools
import math
import numbers
import struct
from typing import Any

import numpy

from .._dtypes import get_default_dtype
from ..backends import backend_of, to_backend
from ..backends._base import fused

__all__ = [
    "advanced_state",
    "check_implementation",
    "check_switches",
    "lerp",
    "number_lr",
    "round_scalar",
    "scalar_dtype",
]


def check_implementation(
    where: str, foreach: bool | None = None, fused: bool | None = None
) -> None:
    """Check PyTorch's ``foreach`` and ``fused`` switches, accepted so that ported scripts run
    (``AdamW(..., fused=True)``) and ignored: xpnet updates a bucket of parameters as one
    fused call whatever they say, with the same numbers as PyTorch's single-tensor path.

    Raises:
        TypeError: a switch that is not ``True``, ``False`` or ``None``.
        ValueError: both ``True`` (PyTorch refuses that too).
    """
    for name, value in (("foreach", foreach), ("fused", fused)):
        if value is not None and not isinstance(value, bool):
            msg = f"{where}: {name} must be True, False or None, got {value!r}"
            raise TypeError(msg)
    if foreach and fused:
        msg = f"{where}: foreach and fused cannot both be True, got foreach=True, fused=True"
        raise ValueError(msg)


def check_switches(
    where: str,
    foreach=None,
    *,
    differentiable: bool = False,
    capturable: bool = False,
    fused: bool | None = None,
) -> None:
    """Check PyTorch's ``foreach``, ``fused``, ``differentiable`` and ``capturable`` switches.

    ``foreach`` and ``fused`` choose how PyTorch computes, not what: accepted and ignored
    (:func:`check_implementation`). ``capturable`` is what xpnet always does (no host sync in
    ``step``): accepted and ignored. ``differentiable`` (autograd through the step) is not
    supported. The optimizers keep each switch they take in their defaults and parameter
    groups, as PyTorch's, so that state dicts have PyTorch's keys.

    Raises:
        TypeError: a switch that is not a bool (``foreach`` and ``fused`` may also be ``None``).
        ValueError: ``foreach`` and ``fused`` both ``True``.
        NotImplementedError: ``differentiable=True``.
    """
    check_implementation(where, foreach, fused)
    for name, value in (("differentiable", differentiable), ("capturable", capturable)):
        if not isinstance(value, bool):
            msg = f"{where}: {name} must be True or False, got {value!r}"
            raise TypeError(msg)
    if differentiable:
        msg = f"{where}: differentiable=True is not supported (xpnet's steps are not recorded)"
        raise NotImplementedError(msg)


def number_lr(where: str, options: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``options`` with an ``lr``, a ``weight_decay`` or an entry of ``betas`` given
    as a 1-element Tensor or array (PyTorch takes Tensors there) made a Python float: read on
    the host once, here, so that steps and schedulers work with numbers.

    Raises:
        ValueError: such a Tensor or array of more than one element.
    """
    options = dict(options)
    for name in ("lr", "weight_decay"):
        if options.get(name) is not None:
            options[name] = _number(where, name, options[name])
    betas = options.get("betas")
    if isinstance(betas, tuple | list):
        entries = (_number(where, f"betas[{i}]", beta) for i, beta in enumerate(betas))
        options["betas"] = type(betas)(entries)
    return options


def _number(where: str, name: str, value):
    """``value`` as a Python float if it is a 1-element Tensor or array, else as it is."""
    if isinstance(value, numbers.Real) or not hasattr(value, "shape"):
        return value
    if hasattr(value, "requires_grad"):  # an xpnet Tensor: its backend array
        value = value.array
    if math.prod(value.shape) != 1:
        msg = f"{where}: a Tensor {name} must be 1-element, got shape {tuple(value.shape)}"
        raise ValueError(msg)
    return float(to_backend(value, "numpy").reshape(()))


def scalar_dtype() -> numpy.dtype:
    """PyTorch's ``_get_scalar_dtype()``: the dtype of its 0-d scalar state (NAdam's
    ``mu_product``, ASGD's ``eta`` and ``mu``): float64 when the default dtype
    (:func:`xpnet.get_default_dtype`) is float64, else float32. Read at each step (PyTorch
    fixes it when the state is made: they differ only if the default changes mid-run)."""
    return numpy.dtype("float64" if get_default_dtype() == numpy.float64 else "float32")


def round_scalar(value: float) -> float:
    """``value`` as a 0-d tensor of :func:`scalar_dtype` holds it: rounded to float32 (to
    nearest even), or as it is when that is float64."""
    if scalar_dtype() == numpy.float64:
        return float(value)
    return struct.unpack("f", struct.pack("f", value))[0]


def lerp(small: bool):
    """PyTorch's ``lerp(start, end, weight)`` as ``interpolate(start, end, weight, keep)``
    with ``keep = 1 - weight`` computed outside (a fused function must not compute with two
    Python numbers: CuPy would do it in float16): ``start + weight * (end - start)`` for a
    weight of magnitude under 0.5 (``small``, decided on the host), else
    ``end - (end - start) * keep``."""
    return _lerp_small if small else _lerp_large


def _lerp_small(start, end, weight, keep):
    return start + weight * (end - start)


def _lerp_large(start, end, weight, keep):
    return end - (end - start) * keep


def advanced_state(like, state: dict, keys: tuple, found_inf, advance, *args) -> tuple:
    """Advance the scalar state ``keys`` (``"step"`` first) on the device, in one fused call.

    ``advance(xp, *olds, *args)`` returns ``(news, scalars)``: the new values of ``keys``
    (float64 0-d arrays) and what the update needs (cast to ``like.dtype`` here). Where
    ``found_inf`` is nonzero the old values stay (a skipped step). The new values are written
    to ``state``; a value still on the host is put on the device first.

    Returns:
        The scalars, 0-d device arrays of ``like.dtype``: no host read.
    """
    backend = backend_of(like)
    xp = backend.xp
    olds = tuple(
        state[key] if hasattr(state[key], "shape") else xp.full((), state[key], dtype=xp.float64)
        for key in keys
    )
    flagged = found_inf is not None
    run = _advancer(xp, like.dtype, advance, len(keys), flagged)
    values = fused(backend, run)(*((found_inf,) if flagged else ()), *olds, *args)
    for key, value in zip(keys, values[: len(keys)], strict=True):
        state[key] = value
    return tuple(values[len(keys) :])


@functools.cache
def _advancer(xp, dtype, advance, count: int, flagged: bool):
    def run(*args):
        if flagged:
            found_inf, *args = args
        olds, rest = args[:count], args[count:]
        news, scalars = advance(xp, *olds, *rest)
        if flagged:
            news = tuple(xp.where(found_inf != 0, o, n) for o, n in zip(olds, news, strict=True))
        return (*news, *(scalar.astype(dtype) for scalar in scalars))

    return run
