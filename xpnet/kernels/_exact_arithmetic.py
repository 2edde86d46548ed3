"""Arithmetic rounded as PyTorch's compiled kernels round it, where NumPy rounds differently.

``fused_multiply_add``: ``a * b + c`` rounded once, as the FMA instructions that PyTorch's
CPU kernels are contracted to; it decides ties and floors in :mod:`.interpolate`'s source
indices and :mod:`.grid_sample`'s pixel coordinates. ``power_by``: a float array to the
power of a Python number, by the formulas PyTorch's kernel takes for 0.5, -0.5, -1, 2, 3
and -2 (``Tensor.pow`` and its gradient).
"""

from __future__ import annotations

from ..backends import backend_of


def fused_multiply_add(xp, a, b, c):
    """``a * b + c`` rounded once (NumPy has no FMA): Dekker's exact product ``p + e``,
    Knuth's exact sum ``p + c = s + t``, then ``s + (t + e)``. Exact when ``p + c`` cancels
    (``t == 0``), so the sign and the zeros are always right; where the split overflows the
    plain ``a * b + c`` is returned (inf and NaN stay). float32 rounds once from the exact
    float64 result instead. ``a`` is an array; ``b`` and ``c`` arrays or numbers."""
    if a.dtype == xp.float32:
        return (a.astype(xp.float64) * b + c).astype(xp.float32)
    product = a * b
    split_a, split_b = a * 134217729.0, b * 134217729.0  # 2**27 + 1: Veltkamp's split
    a_high, b_high = split_a - (split_a - a), split_b - (split_b - b)
    a_low, b_low = a - a_high, b - b_high
    error = (a_high * b_high - product) + a_high * b_low + a_low * b_high + a_low * b_low
    total = product + c
    back = total - product
    fused = total + (((product - (total - back)) + (c - back)) + error)
    return xp.where(xp.isfinite(fused), fused, total)


# PyTorch's CPU kernel computes these powers of float32 and float64 tensors by other
# functions: the same formulas give its roundings, and its signed zeros and NaN
# (``(-0.0) ** 0.5`` is -0.0 and ``(-inf) ** -0.5`` NaN, where ``pow`` gives 0.0 and 0.0)
_POWER_FORMULAS = {
    0.5: lambda xp, a: xp.sqrt(a),
    -0.5: lambda xp, a: 1 / xp.sqrt(a),
    -1: lambda xp, a: 1 / a,
    2: lambda xp, a: a * a,
    3: lambda xp, a: a * a * a,
    -2: lambda xp, a: 1 / (a * a),
}


def power_by(a, exponent):
    """``a ** exponent`` of a float array by a Python number, as PyTorch's CPU kernel;
    an array exponent, or another dtype, as ``pow`` (not NumPy's own shortcuts of ``**``).

    Example:
        >>> power_by(xp.asarray([-0.0, 2.0]), 0.5)
        array([-0.        ,  1.41421356])
    """
    xp = backend_of(a).xp
    formula = None if hasattr(exponent, "dtype") else _POWER_FORMULAS.get(exponent)
    if formula is not None and a.dtype in (xp.float32, xp.float64):
        return formula(xp, a)
    return xp.power(a, exponent)
