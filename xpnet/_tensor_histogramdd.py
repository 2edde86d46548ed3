"""PyTorch's multi-dimensional histogram, ``xpnet.histogramdd`` (``torch.histogramdd``): the
points are the rows of ``input`` (its last dimension holds their coordinates), binned per
coordinate as :func:`xpnet.histogram` bins its elements, then counted together by one
scatter-add (:func:`xpnet._tensor_histograms.binned_sum`). Not differentiable (nor is
PyTorch's). An int ``bins`` without ``range`` reads each coordinate's minimum and maximum
on the host, as PyTorch does.

Example:
    >>> import xpnet
    >>> points = xpnet.tensor([[0.0, 1.0], [1.0, 0.0], [2.0, 0.0], [2.0, 2.0]])
    >>> hist, edges = xpnet.histogramdd(points, bins=[3, 3])
    >>> hist.tolist()
    [[0.0, 1.0, 0.0], [1.0, 0.0, 0.0], [1.0, 0.0, 1.0]]
"""

from __future__ import annotations

import builtins  # builtins.range: ``range`` is an argument's name here, as in PyTorch
import math
import numbers
from collections import namedtuple

import numpy

from ._dtypes import int64
from ._ranges import linspace_values
from ._tensor_histograms import binned_sum
from ._torch_functions import as_input
from .autograd import Tensor
from .backends import backend_of, float_errors_ignored
from .kernels import ArgumentError

__all__ = ["histogramdd"]

WHERE = "xpnet.histogramdd"

histogramdd_result = namedtuple("histogramdd", ["hist", "bin_edges"])


def _is_int(value) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _bin_kinds(bins, N: int):
    """``bins`` as a list of N ints or N Tensors, checked as PyTorch's parser and kernel do."""
    if _is_int(bins):
        bins = [bins] * N
    elif not isinstance(bins, tuple | list) or not (
        all(_is_int(b) for b in bins) or all(isinstance(b, Tensor) for b in bins)
    ):
        msg = f"{WHERE}: bins must be an int, a sequence of ints or of 1-D tensors, got {bins!r}"
        raise TypeError(msg)
    if len(bins) != N:
        msg = (
            f"{WHERE}: expected {N} bins (counts or sequences of edges) for a {N}-dimensional "
            f"histogram, got {len(bins)}"
        )
        raise ArgumentError(msg)
    return list(bins)


def _outer_edges(points, range, N: int) -> list[tuple[float, float]]:
    """The first and last edges in each dimension: ``range``'s pairs, or the points' minimum
    and maximum (a host read; ``(0, 1)`` for no points), equal ones widened by 0.5 each way."""
    if range is not None:
        if not isinstance(range, tuple | list) or not all(
            isinstance(v, numbers.Real) and not isinstance(v, bool) for v in range
        ):
            raise TypeError(f"{WHERE}: range must be a sequence of numbers, got {range!r}")
        if len(range) != 2 * N:
            msg = f"{WHERE}: for a {N}-dimensional histogram range should have {2 * N} "
            raise ArgumentError(f"{msg}elements, but got {len(range)}")
        pairs = [(float(range[2 * d]), float(range[2 * d + 1])) for d in builtins.range(N)]
    elif points.shape[0]:
        lows, highs = points.min(axis=0).tolist(), points.max(axis=0).tolist()
        pairs = list(zip(lows, highs, strict=True))
    else:
        pairs = [(0.0, 1.0)] * N
    for d, (low, high) in enumerate(pairs):
        if not (math.isfinite(low) and math.isfinite(high)):
            raise ArgumentError(f"{WHERE}: dimension {d}'s range [{low}, {high}] is not finite")
        if low > high:
            msg = f"{WHERE}: min should not exceed max, but got min {low} max {high} for dimension"
            raise ArgumentError(f"{msg} {d}")
    return [(low - 0.5, high + 0.5) if low == high else (low, high) for low, high in pairs]


def _edges(tensor: Tensor, points, bins, range) -> list:
    """The bin edges of each dimension, arrays of ``tensor``'s dtype."""
    N = tensor.shape[-1]
    bins = _bin_kinds(bins, N)
    if bins and isinstance(bins[0], Tensor):  # PyTorch ignores range beside explicit edges
        for d, edges in enumerate(bins):
            if edges.dtype != tensor.dtype:
                msg = f"{WHERE}: input tensor and bins tensors should have the same dtype, "
                raise ArgumentError(f"{msg}got {tensor.dtype} and {edges.dtype} for dimension {d}")
            if edges.ndim != 1 or edges.shape[0] < 1:
                msg = f"{WHERE}: the bins tensor for dimension {d} must be 1-D with at least 1 "
                raise ArgumentError(f"{msg}element, got shape {edges.shape}")
        return [edges.array.copy() for edges in bins]
    for d, count in enumerate(bins):
        if count <= 0:
            raise ArgumentError(f"{WHERE}: bins must be > 0, but got {count} for dimension {d}")
    xp = backend_of(tensor.array).xp
    with float_errors_ignored():  # a range wider than the dtype's: inf edges, as PyTorch's
        return [
            linspace_values(xp, low, high, count + 1, tensor.dtype)
            for (low, high), count in zip(_outer_edges(points, range, N), bins, strict=True)
        ]


def _weights(tensor: Tensor, weight, xp):
    """The weight of each point: ones, or ``weight`` (``input``'s shape less its last
    dimension, and dtype), flattened."""
    if weight is None:
        return xp.ones(math.prod(tensor.shape[:-1]), dtype=tensor.dtype)
    weights = as_input("histogramdd", weight, "weight")
    if weights.dtype != tensor.dtype:
        msg = f"{WHERE}: weight must have input's dtype {tensor.dtype}, got {weights.dtype}"
        raise ArgumentError(msg)
    if weights.shape != tensor.shape[:-1]:
        msg = (
            f"{WHERE}: weight must have input's shape less its innermost dimension, "
            f"{tensor.shape[:-1]}, got {weights.shape}"
        )
        raise ArgumentError(msg)
    return weights.array.reshape(-1)


def _flat_bins(xp, points, edges: list):
    """Each point's bin as one index into the flattened histogram (int64), or the number of
    bins for a point outside the edges in some dimension (NaN included); every dimension has
    at least one bin."""
    counts = [e.shape[0] - 1 for e in edges]
    flat = xp.zeros(points.shape[0], dtype=int64)
    outside = xp.zeros(points.shape[0], dtype=bool)
    for d, (e, count) in enumerate(zip(edges, counts, strict=True)):
        column = points[:, d]
        position = xp.searchsorted(e, column, side="right") - 1  # e[i] <= v < e[i + 1]
        position = xp.minimum(position, count - 1)  # the last bin holds its right edge
        outside |= ~((column >= e[0]) & (column <= e[-1]))  # NaN: outside
        flat = flat * count + position
    return xp.where(outside, math.prod(counts), flat).astype(int64)


def histogramdd(input, bins, *, range=None, weight=None, density: bool = False):
    """The histogram of the points in ``input``'s rows, as ``torch.histogramdd``.

    ``input`` of shape ``(..., N)`` holds points in N dimensions (its leading dimensions
    flattened). Each coordinate is binned as :func:`xpnet.histogram` bins: a value ``v``
    goes to bin ``i`` with ``edges[i] <= v < edges[i + 1]``, the last bin holding its right
    edge too; a point outside the edges in some dimension (or with a NaN) is left out.

    Args:
        input: a float32 or float64 tensor of at least 2 dimensions.
        bins: an int (that many equal bins in every dimension), N ints, or N 1-D tensors of
            ``input``'s dtype: each dimension's increasing edges (not checked for order, as
            PyTorch).
        range: ``(min_0, max_0, min_1, max_1, ...)``, the outer edges for int ``bins``
            (ignored beside edge tensors, as PyTorch). Default: each coordinate's minimum
            and maximum (widened by 0.5 each way if equal; ``(0, 1)`` for no points).
        weight: a tensor of shape ``input.shape[:-1]`` and ``input``'s dtype: each point
            adds its weight instead of 1. Default: ``None``.
        density: divide by the total and by each bin's volume, so that the histogram
            integrates to 1 (NaN if no point is counted). Default: ``False``.

    Returns:
        A named tuple ``(hist, bin_edges)``: ``hist`` of shape ``(bins_0, ..., bins_N-1)``,
        and a tuple of N 1-D Tensors, of ``input``'s dtype.

    Raises:
        TypeError: ``bins`` or ``range`` of the wrong kind.
        NotImplementedError: ``input`` neither float32 nor float64 (as PyTorch's CPU build).
        ArgumentError: ``input`` of fewer than 2 dimensions, bins or range not matching N,
            ``bins <= 0``, a range not finite or decreasing, edges or weight of another
            dtype or shape.

    Example:
        >>> import xpnet
        >>> points = xpnet.tensor([[0.0, 0.0], [1.0, 1.0], [2.0, 2.0]])
        >>> hist, edges = xpnet.histogramdd(points, [2, 2], range=[0.0, 1.0, 0.0, 1.0])
        >>> hist.tolist(), edges[0].tolist()
        ([[1.0, 0.0], [0.0, 1.0]], [0.0, 0.5, 1.0])
    """
    tensor = as_input("histogramdd", input)
    if tensor.ndim < 2:
        raise ArgumentError(f"{WHERE}: input must have at least 2 dimensions, got {tensor.ndim}")
    if tensor.dtype not in (numpy.float32, numpy.float64):
        raise NotImplementedError(f"{WHERE}: not implemented for {tensor.dtype}")
    backend = backend_of(tensor.array)
    xp, N = backend.xp, tensor.shape[-1]
    points = tensor.array.reshape(math.prod(tensor.shape[:-1]), N)  # (M, N)
    edges = _edges(tensor, points, bins, range)
    weights = _weights(tensor, weight, xp)
    if N == 0:  # no dimensions: PyTorch's 0-d histogram counts nothing
        return histogramdd_result(Tensor(xp.zeros((), dtype=tensor.dtype)), ())
    shape = tuple(e.shape[0] - 1 for e in edges)
    if math.prod(shape):
        hist = binned_sum(backend, _flat_bins(xp, points, edges), math.prod(shape), weights)
        hist = hist.reshape(shape)
    else:  # a single edge in some dimension: no bins
        hist = xp.zeros(shape, dtype=tensor.dtype)
    if density:
        with float_errors_ignored():
            hist = hist / hist.sum()
            for d, e in enumerate(edges):  # each bin's length in dimension d, as PyTorch
                hist = hist / xp.diff(e).reshape([-1 if i == d else 1 for i in builtins.range(N)])
    return histogramdd_result(Tensor(hist), tuple(Tensor(e) for e in edges))
