"""The arithmetic and argument conversion that the element-wise activations share.

:mod:`.activation`, :mod:`.activation_smooth` and :mod:`.activation_piecewise` return every
result through :func:`finish`, take the logistic function and softplus from
:func:`stable_sigmoid` and :func:`stable_softplus` (exponentials of ``-|x|`` only, so inputs of
+-1e3 neither overflow nor warn), and convert number arguments as PyTorch does with
:func:`convert_number`. The logistic losses (:mod:`.binary_loss`, :mod:`.margin_loss`) use the
same sigmoid and softplus. Nothing here checks arrays: the kernels do that before they call in.
"""

from __future__ import annotations

import math

from ._checks import ArgumentError, check_number

# the largest finite value per itemsize (float16, float32, float64): PyTorch refuses a number
# argument beyond it ("value cannot be converted to type float without overflow")
FLOAT_MAX = {2: 65504.0, 4: 3.4028234663852886e38, 8: 1.7976931348623157e308}


def finish(xp, input, output, inplace=False):
    """``output`` as an array in the dtype of ``input``; written into ``input`` if ``inplace``.

    ``xp.asarray``: NumPy arithmetic on 0-d arrays returns scalars, not arrays.
    """
    if inplace:
        input[...] = output
        return input
    return xp.asarray(output).astype(input.dtype, copy=False)


def stable_sigmoid(xp, x):
    """``1 / (1 + exp(-x))`` from ``exp(-|x|)`` only: no overflow at any ``x``, NaN stays NaN."""
    e = xp.exp(-xp.abs(x))
    return xp.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def stable_softplus(xp, x):
    """``log(1 + exp(x)) = max(x, 0) + log1p(exp(-|x|))``: exact for every ``x``, +-inf too."""
    return xp.maximum(x, 0.0) + xp.log1p(xp.exp(-xp.abs(x)))


def convert_number(where, name, value, dtype) -> float:
    """``value`` rounded to ``dtype`` on the host, as PyTorch converts a number argument:
    TypeError for a non-number, ValueError for a finite value beyond ``dtype``'s range."""
    check_number(where, name, value)
    largest = FLOAT_MAX[dtype.itemsize]
    if math.isfinite(value) and abs(value) > largest:
        msg = f"{where}: {name} must fit in {dtype} (|{name}| <= {largest:g}), got {value!r}"
        raise ArgumentError(msg)
    return float(dtype.type(value))  # a host scalar: no array, no device work
