"""PyTorch's functions of a sequence's order and elements: ``unique_consecutive`` (a Tensor
method too), ``combinations``, ``vander`` and ``histogram`` (a Tensor method too), as
``xpnet.<name>`` functions (:data:`__all__`) and Tensor methods (:data:`METHODS`).

``combinations`` and ``vander`` are compositions of differentiable Tensor operations
(an index built on the host from the shapes alone; ``cumprod``, whose gradient is exact at
zeros), so their gradients are PyTorch's formulas'. ``unique_consecutive`` and ``histogram``
are not differentiable (nor are PyTorch's). ``unique_consecutive`` sizes its results by the
values, a device-to-host sync as in PyTorch on CUDA; so does ``histogram`` with an int
``bins`` and no ``range`` (the data's range, as PyTorch's ``.item()``). The counting functions
``unique``, ``bincount``, ``histc`` are :mod:`xpnet._tensor_histograms`'; the trapezoid rule
and ``renorm`` are :mod:`xpnet._tensor_integrals`'.

Example:
    >>> import xpnet
    >>> values, counts = xpnet.tensor([1, 1, 2, 2, 1]).unique_consecutive(return_counts=True)
    >>> values.tolist(), counts.tolist()
    ([1, 2, 1], [2, 2, 1])
    >>> xpnet.combinations(xpnet.tensor([1, 2, 3])).tolist()
    [[1, 2], [1, 3], [2, 3]]
"""

from __future__ import annotations

import itertools
import math
import numbers
from collections import namedtuple

import numpy

from ._dtypes import int64
from ._node_names import named_nodes
from ._ranges import linspace_values
from ._tensor_histograms import binned_sum
from ._tensor_join import cat
from ._tensor_math import check_dim
from ._torch_functions import as_input
from .autograd import Tensor
from .backends import backend_of, float_errors_ignored
from .kernels import ArgumentError
from .kernels._checks import check_int

__all__ = ["unique_consecutive", "combinations", "vander", "histogram"]

histogram_result = namedtuple("histogram", ["hist", "bin_edges"])


def _rows(where: str, tensor: Tensor, dim):
    """``(rows, dim)``: ``tensor`` as a 2-D array whose rows are its slices along ``dim``
    (``dim=None``: its elements, one per row), and ``dim`` checked."""
    if dim is None:
        return tensor.array.reshape(-1, 1), None
    if tensor.ndim == 0:
        raise IndexError(f"Tensor.{where}: dim={dim} given for a 0-d tensor, which has no dims")
    dim = check_dim(where, dim, tensor.ndim)
    if tensor.numel() == 0 and (tensor.shape.count(0) != 1 or tensor.shape[dim] != 0):
        msg = (
            f"Tensor.{where}: an empty input must have size 0 in dim={dim} only, got shape "
            f"{tensor.shape}"
        )
        raise ArgumentError(msg)
    xp = backend_of(tensor.array).xp
    width = math.prod(tensor.shape) // max(tensor.shape[dim], 1)
    return xp.moveaxis(tensor.array, dim, 0).reshape(tensor.shape[dim], width), dim


def unique_consecutive(input, return_inverse: bool = False, return_counts: bool = False,
                       dim: int | None = None):  # fmt: skip
    """The first of each run of equal consecutive elements (or slices along ``dim``), as
    ``torch.unique_consecutive``.

    NaNs never equal each other (each starts a run), ``0.0`` and ``-0.0`` do. The result's
    size depends on the values: a device-to-host sync (PyTorch's CUDA version syncs too).
    Not differentiable.

    Args:
        return_inverse: also return, for each element (slice), the int64 index of its run.
            Default: ``False``.
        return_counts: also return each run's int64 length. Default: ``False``.
        dim: the dimension whose slices are compared, or ``None`` for the flattened
            elements. Default: ``None``.

    Returns:
        The values (1-D; with ``dim``, ``input``'s shape but the number of runs in ``dim``),
        then, as asked, the inverse indices (``input``'s shape; with ``dim``, its size there)
        and the counts.

    Raises:
        IndexError: ``dim`` out of range or given for a 0-d tensor. TypeError: ``dim`` not an
            int. ArgumentError: with ``dim``, an empty input not empty in ``dim`` alone.

    Example:
        >>> import xpnet
        >>> x = xpnet.tensor([[1, 2], [1, 2], [3, 4]])
        >>> values, inverse = x.unique_consecutive(return_inverse=True, dim=0)
        >>> values.tolist(), inverse.tolist()
        ([[1, 2], [3, 4]], [0, 0, 1])
    """
    tensor = as_input("unique_consecutive", input)
    xp = backend_of(tensor.array).xp
    rows, axis = _rows("unique_consecutive", tensor, dim)
    size = rows.shape[0]
    changes = (rows[1:] != rows[:-1]).any(axis=1)  # NaN != NaN: each NaN starts a run
    starts = xp.concatenate([xp.ones(min(size, 1), dtype=bool), changes])
    first = xp.flatnonzero(starts)  # the number of runs: a host read
    if axis is None:
        values = tensor.array.reshape(-1)[first]
    else:
        values = xp.take(tensor.array, first, axis=axis)
    extras = []
    if return_inverse:
        inverse = xp.cumsum(starts, dtype=int64) - 1
        extras.append(Tensor(inverse.reshape(tensor.shape if axis is None else (size,))))
    if return_counts:
        ends = xp.concatenate([first, xp.full(1, size, dtype=first.dtype)])
        extras.append(Tensor(xp.diff(ends).astype(int64, copy=False)))
    return (Tensor(values), *extras) if extras else Tensor(values)


def _chosen(n: int, r: int, with_replacement: bool) -> numpy.ndarray:
    """The ``(count, r)`` host indices of the ``r``-combinations of ``range(n)``, in
    lexicographic order (PyTorch's: its masked ``meshgrid`` in row-major order)."""
    choose = itertools.combinations_with_replacement if with_replacement else itertools.combinations
    flat = itertools.chain.from_iterable(choose(range(n), r))
    count = math.comb(n + r - 1, r) if with_replacement else math.comb(n, r)
    return numpy.fromiter(flat, dtype=numpy.int64, count=count * r).reshape(count, r)


@named_nodes("StackBackward0")
def combinations(input, r: int = 2, with_replacement: bool = False) -> Tensor:
    """The ``r``-element combinations of the 1-D ``input``'s elements, as rows, as
    ``torch.combinations`` (``itertools.combinations``, or ``combinations_with_replacement``).

    Differentiable: each element's gradient sums over the places it was chosen. The index is
    built on the host from ``input``'s length (no host read of values).

    Args:
        input: a 1-D Tensor or array.
        r: the number of elements in each combination. Default: ``2``.
        with_replacement: allow an element to repeat in a combination. Default: ``False``.

    Returns:
        Tensor of ``input``'s dtype, of shape ``(count, r)``; ``(0,)`` for ``r=0``, as PyTorch.

    Raises:
        ArgumentError: ``input`` not 1-D, or a negative ``r``. TypeError: ``r`` not an int.

    Example:
        >>> import xpnet
        >>> xpnet.combinations(xpnet.tensor([1, 2]), r=2, with_replacement=True).tolist()
        [[1, 1], [1, 2], [2, 2]]
    """
    tensor = as_input("combinations", input)
    r = check_int("xpnet.combinations", "r", r)
    if tensor.ndim != 1:
        raise ArgumentError(f"xpnet.combinations: input must be 1-D, got shape {tensor.shape}")
    if r < 0:
        raise ArgumentError(f"xpnet.combinations: r must be non-negative, got {r}")
    if r == 0:  # PyTorch's: an empty 1-D tensor, not connected to input
        return Tensor(backend_of(tensor.array).xp.empty(0, dtype=tensor.dtype))
    index = _chosen(tensor.shape[0], r, with_replacement)
    return tensor[backend_of(tensor.array).asarray(index)]


def vander(x, N: int | None = None, increasing: bool = False) -> Tensor:
    """The Vandermonde matrix of the 1-D ``x``: column ``j`` is ``x ** (N - 1 - j)`` (``x ** j``
    with ``increasing``), as ``torch.vander``.

    Computed as PyTorch's, by a running product (``cumprod``) of ``x``; bools and integers give
    int64. Differentiable (for ``N >= 2``), with ``cumprod``'s gradient, exact at zeros.

    Note:
        PyTorch 2.13's ``vander`` backward raises (it changes a saved tensor in place);
        xpnet's gives the gradient of the same formula, which PyTorch's ``cumprod`` agrees with.

    Args:
        x: a 1-D Tensor or array.
        N: the number of columns. Default: ``len(x)``.
        increasing: the powers increase from the left. Default: ``False``.

    Returns:
        Tensor of shape ``(len(x), N)``, of ``x``'s float dtype or int64.

    Raises:
        ArgumentError: ``x`` not 1-D, or a negative ``N``. TypeError: ``N`` not an int.

    Example:
        >>> import xpnet
        >>> xpnet.vander(xpnet.tensor([1, 2, 3]), N=3).tolist()
        [[1, 1, 1], [4, 2, 1], [9, 3, 1]]
    """
    tensor = as_input("vander", x, "x")
    if tensor.ndim != 1:
        raise ArgumentError(f"xpnet.vander: x must be 1-D, got shape {tensor.shape}")
    N = tensor.shape[0] if N is None else check_int("xpnet.vander", "N", N)
    if N < 0:
        raise ArgumentError(f"xpnet.vander: N must be non-negative, got {N}")
    if tensor.dtype.kind != "f":
        tensor = tensor.to(int64)
    ones = Tensor(backend_of(tensor.array).xp.ones((tensor.shape[0], min(N, 1)), tensor.dtype))
    if N < 2:  # PyTorch's: ones, not connected to x
        return ones
    powers = tensor.unsqueeze(1).expand(tensor.shape[0], N - 1).cumprod(1)
    result = cat([ones, powers], 1)
    return result if increasing else result.flip(1)


def _outer_edges(where: str, data, range) -> tuple[float, float]:
    """PyTorch's first and last bin edges: ``range``, or the data's (a host read), or
    ``(0, 1)`` for no data; equal ones widened by 0.5 each way."""
    if range is not None:
        if not isinstance(range, tuple | list) or len(range) != 2:
            raise ArgumentError(f"{where}: range must be a pair (min, max), got {range!r}")
        for value in range:
            if not isinstance(value, numbers.Real) or isinstance(value, bool):
                raise TypeError(f"{where}: range must hold two numbers, got {range!r}")
        low, high = float(range[0]), float(range[1])
    elif data.size:
        low, high = float(data.min()), float(data.max())
    else:
        low, high = 0.0, 1.0
    if not (math.isfinite(low) and math.isfinite(high)):
        raise ArgumentError(f"{where}: range [{low}, {high}] is not finite")
    if low > high:
        raise ArgumentError(f"{where}: range's min must not exceed its max, got [{low}, {high}]")
    return (low - 0.5, high + 0.5) if low == high else (low, high)


def _bin_edges(where: str, tensor: Tensor, bins, range):
    if isinstance(bins, numbers.Integral) and not isinstance(bins, bool):
        if bins <= 0:
            raise ArgumentError(f"{where}: bins must be > 0, got {bins}")
        low, high = _outer_edges(where, tensor.array, range)
        xp = backend_of(tensor.array).xp
        with float_errors_ignored():  # a range wider than the dtype's: inf edges, as PyTorch's
            return linspace_values(xp, low, high, int(bins) + 1, tensor.dtype)
    edges = as_input("histogram", bins, "bins")  # TypeError for anything else
    if range is not None:
        raise TypeError(f"{where}: range applies to an int bins only, not to a bins tensor")
    if edges.ndim != 1 or edges.shape[0] < 2:
        msg = f"{where}: a bins tensor must be 1-D with at least 2 edges, got shape {edges.shape}"
        raise ArgumentError(msg)
    if edges.dtype != tensor.dtype:
        msg = f"{where}: bins must have input's dtype {tensor.dtype}, got {edges.dtype}"
        raise ArgumentError(msg)
    return edges.array.copy()


def histogram(input, bins, *, range=None, weight=None, density: bool = False):
    """The histogram of ``input``'s elements, as ``torch.histogram`` and ``Tensor.histogram``.

    An element ``v`` goes to the bin ``i`` with ``edges[i] <= v < edges[i + 1]``, the last bin
    holding its right edge too; elements outside the edges (and NaN) are left out. Not
    differentiable. No host read but for an int ``bins`` without ``range`` (the data's
    range, which PyTorch reads with ``.item()`` too).

    Args:
        bins: the number of equal bins (an int), or the increasing edges (a 1-D tensor of
            ``input``'s dtype, at least 2 edges; not checked for order, as PyTorch).
        range: ``(min, max)`` of the edges for an int ``bins``. Default: the data's minimum
            and maximum (widened by 0.5 each way if equal; ``(0, 1)`` for no data).
        weight: a tensor of ``input``'s shape and dtype: each element adds its weight instead
            of 1. Default: ``None``.
        density: divide by the total and by each bin's width, so that the histogram
            integrates to 1 (NaN if no element is counted). Default: ``False``.

    Returns:
        A named tuple ``(hist, bin_edges)`` of 1-D Tensors of ``input``'s dtype.

    Raises:
        TypeError: ``input`` not float32 or float64 (PyTorch's CPU version has no float16),
            ``bins`` neither an int nor a tensor, ``range`` with a bins tensor.
            ArgumentError: ``bins <= 0``, a range not finite or decreasing, bins or weight of
            another dtype or shape.

    Example:
        >>> import xpnet
        >>> x = xpnet.tensor([1.0, 2.0, 1.0])
        >>> weight = xpnet.tensor([1.0, 2.0, 4.0])
        >>> hist, edges = xpnet.histogram(x, 4, range=(0.0, 3.0), weight=weight)
        >>> hist.tolist(), edges.tolist()
        ([0.0, 5.0, 2.0, 0.0], [0.0, 0.75, 1.5, 2.25, 3.0])
    """
    where, tensor = "xpnet.histogram", as_input("histogram", input)
    if tensor.dtype not in (numpy.float32, numpy.float64):
        raise TypeError(f"{where}: input must be float32 or float64, got {tensor.dtype}")
    backend = backend_of(tensor.array)
    xp, data = backend.xp, tensor.array.reshape(-1)
    edges = _bin_edges(where, tensor, bins, range)
    if weight is None:
        weights = xp.ones(data.shape, dtype=tensor.dtype)
    else:
        weights = as_input("histogram", weight, "weight")
        if weights.shape != tensor.shape or weights.dtype != tensor.dtype:
            msg = (f"{where}: weight must have input's shape {tensor.shape} and dtype "
                   f"{tensor.dtype}, got {weights.shape} and {weights.dtype}")  # fmt: skip
            raise ArgumentError(msg)
        weights = weights.array.reshape(-1)
    count = edges.shape[0] - 1
    position = xp.searchsorted(edges, data, side="right") - 1
    inside = (data >= edges[0]) & (data <= edges[-1])  # NaN: neither
    position = xp.where(inside, xp.minimum(position, count - 1), count).astype(int64)
    hist = binned_sum(backend, position, count, weights)
    if density:
        with float_errors_ignored():
            hist = hist / hist.sum() / xp.diff(edges)
    return histogram_result(Tensor(hist), Tensor(edges))


METHODS = {"unique_consecutive": unique_consecutive, "histogram": histogram}
