"""Arithmetic rounded as PyTorch's compiled kernels round it, where NumPy rounds differently.

``fused_multiply_add``: ``a * b + c`` rounded once, as the FMA instructions that PyTorch's
CPU kernels are contracted to; it decides ties and floors in :mod:`.interpolate`'s source
indices and :mod:`.grid_sample`'s pixel coordinates.
"""

from __future__ import annotations


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
