"""PyTorch's counting functions of tensors: ``unique``, ``bincount``, ``histc`` (Tensor methods
and ``xpnet.<name>`` functions) and ``searchsorted``, ``bucketize`` (functions, as PyTorch's).
None is differentiable (PyTorch's are not either).

``unique`` and ``bincount`` size their results by the values (a device-to-host sync, which no
formulation avoids, as in PyTorch on CUDA); so does ``histc`` when ``min == max`` asks for the
data's range. ``unique`` is always sorted (``sorted=False`` too, as PyTorch's CPU and CUDA
implementations in practice). Negative ``bincount`` inputs raise an ArgumentError (a
ValueError, and PyTorch's RuntimeError).

Example:
    >>> import xpnet
    >>> x = xpnet.tensor([3, 1, 3, 2])
    >>> values, inverse, counts = x.unique(return_inverse=True, return_counts=True)
    >>> values.tolist(), inverse.tolist(), counts.tolist(), x.bincount().tolist()
    ([1, 2, 3], [2, 0, 2, 1], [1, 1, 2], [0, 1, 1, 2])
    >>> xpnet.bucketize(xpnet.tensor([0.5, 2.0, 9.0]), xpnet.tensor([1.0, 2.0, 3.0])).tolist()
    [0, 1, 3]
"""

from __future__ import annotations

import numbers

import numpy

from ._dtypes import int32, int64, result_dtype
from ._tensor_checks import checked_flags, flags_checked
from ._tensor_elementwise import function_form
from ._tensor_math import check_dim
from ._torch_functions import as_input
from .autograd import Tensor
from .backends import backend_of, float_errors_ignored
from .kernels import ArgumentError, UnsupportedDtypeError

__all__ = ["unique", "bincount", "histc", "searchsorted", "bucketize"]


def unique(self, sorted: bool = True, return_inverse: bool = False, return_counts: bool = False,
           dim=None):  # fmt: skip
    """The distinct elements (of every element, or the distinct slices along ``dim``), sorted,
    as ``torch.unique``; with ``return_inverse`` the int64 index of each element's value in
    them (``input``'s shape, or ``dim``'s size), with ``return_counts`` how many each."""
    xp = backend_of(self.array).xp
    data = self.array
    if dim is not None:
        if self.ndim == 0:
            raise IndexError(f"Tensor.unique: dim={dim} given for a 0-d tensor, which has no dims")
        dim = check_dim("unique", dim, self.ndim)
        if any(n == 0 for i, n in enumerate(self.shape) if i != dim):  # PyTorch's RuntimeError
            msg = f"Tensor.unique: shape {self.shape} has dims of size 0 other than dim={dim}"
            raise ArgumentError(msg)
    # each NaN is distinct, as PyTorch's (NumPy's default merges them)
    found = xp.unique(data, return_inverse=True, return_counts=True, axis=dim, equal_nan=False)
    values, inverse, counts = found
    shape = self.shape if dim is None else (data.shape[dim],)
    extras = []
    if return_inverse:
        extras.append(Tensor(xp.reshape(inverse, shape).astype(int64, copy=False)))
    if return_counts:
        extras.append(Tensor(counts.astype(int64, copy=False)))
    return (Tensor(values), *extras) if extras else Tensor(values)


def bincount(self, weights=None, minlength: int = 0) -> Tensor:
    """How often each of ``0, 1, ..., max(self)`` occurs in the 1-D non-negative integer
    ``self`` (at least ``minlength`` bins), summing ``weights`` instead of ones if given, as
    ``torch.bincount``: int64, or with weights float32 for float32 ones, else float64.

    Raises:
        ArgumentError: ``self`` not 1-D, ``weights`` of another shape, or a negative
            ``minlength``. UnsupportedDtypeError: ``self`` not integers.
    """
    if weights is not None:  # checked first: PyTorch's parser refuses a number before the values
        weights = as_input("bincount", weights, "weights")
    if self.ndim != 1 or self.dtype.kind not in "iu":  # a dtype: PyTorch's NotImplementedError
        error = ArgumentError if self.dtype.kind in "iu" else UnsupportedDtypeError
        raise error("bincount only supports 1-d non-negative integral inputs")
    if isinstance(minlength, bool) or not isinstance(minlength, numbers.Integral) or minlength < 0:
        raise ArgumentError(f"bincount: minlength should be >= 0, got {minlength!r}")
    xp = backend_of(self.array).xp
    if weights is None:
        return Tensor(_counted(xp, self.array, None, minlength).astype(int64, copy=False))
    if weights.shape != self.shape:
        msg = f"bincount: weights should have input's shape {self.shape}, got {weights.shape}"
        raise ArgumentError(msg)
    # float32 stays float32, float16 and the rest give float64, as PyTorch's
    dtype = weights.dtype if weights.dtype in (numpy.float32, numpy.float64) else numpy.float64
    counted = _counted(xp, self.array, weights.array, minlength)
    return Tensor(counted.astype(dtype, copy=False))


def _counted(xp, data, weights, minlength: int):
    """``xp.bincount``, with PyTorch's RuntimeError for negative values (an ArgumentError;
    NumPy and CuPy raise a bare ValueError, after the host read they need anyway)."""
    try:
        return xp.bincount(data, weights=weights, minlength=minlength)
    except ValueError:
        raise ArgumentError("bincount only supports 1-d non-negative integral inputs") from None


def histc(self, bins: int = 100, min=0, max=0) -> Tensor:
    """The histogram of ``self`` in ``bins`` equal bins over ``[min, max]`` (the data's range
    when ``min == max``, widened by 1 each side if still equal), as ``torch.histc``: elements
    outside (and NaN) are ignored, ``max`` itself goes to the last bin; ``self``'s dtype.

    Raises:
        ArgumentError: ``bins <= 0``, ``min > max``, a ``min`` or ``max`` not finite, or
            (``min == max``) data with NaN or infinities, as PyTorch.
        UnsupportedDtypeError: an integer or bool tensor.
    """
    if self.dtype.kind != "f":  # PyTorch's NotImplementedError
        raise UnsupportedDtypeError(f"histc: input must be floating point, got {self.dtype}")
    if isinstance(bins, bool) or not isinstance(bins, numbers.Integral) or bins <= 0:
        raise ArgumentError(f"histc: bins must be > 0, got {bins!r}")
    if min > max:
        raise ArgumentError(f"histc: max must be larger than min, got min={min}, max={max}")
    backend = backend_of(self.array)
    xp, data = backend.xp, self.array.reshape(-1)
    low, high = float(min), float(max)
    if not (numpy.isfinite(low) and numpy.isfinite(high)):  # PyTorch's check of the range
        raise ArgumentError(f"histc: range of [{low}, {high}] is not finite")
    if low == high and data.size:
        low, high = float(data.min()), float(data.max())  # the data's range: a host read
        if not (numpy.isfinite(low) and numpy.isfinite(high)):
            raise ArgumentError(f"histc: range of [{low}, {high}] is not finite")
    if low == high:
        low, high = low - 1, high + 1
    inside = (data >= low) & (data <= high)
    if self.dtype.type(high) == self.dtype.type(low):  # still one value in the data's dtype
        position = xp.full(data.shape, bins // 2)  # (1e308 +- 1): the middle bin, as PyTorch
    else:
        with float_errors_ignored():
            position = xp.floor((data - low) * bins / (high - low))
    position = xp.where(inside, xp.minimum(position, bins - 1), bins).astype(int64)
    return Tensor(binned_sum(backend, position, bins, xp.ones(position.shape, dtype=self.dtype)))


def binned_sum(backend, position, bins: int, weights):
    """The sums of ``weights`` by bin: ``position`` (int64, ``weights``' shape) names each
    one's bin in ``[0, bins)``, or ``bins`` for those left out; one scatter-add, no host read
    (for ``histc`` and :func:`xpnet.histogram`)."""
    sums = backend.xp.zeros(bins + 1, dtype=weights.dtype)
    backend.scatter_add(sums, (position,), weights)
    return sums[:bins]


@flags_checked("xpnet")  # out_int32, right only bools, as PyTorch's parser
def searchsorted(sorted_sequence, input, *, out_int32: bool = False, right: bool = False,
                 side=None, sorter=None) -> Tensor:  # fmt: skip
    """For each of ``input``, the index in ``sorted_sequence`` (sorted along its last
    dimension; 1-D, or with ``input``'s leading dimensions) where it would be inserted to keep
    the order: before equal values, after them with ``right`` (or ``side="right"``), as
    ``torch.searchsorted``; int64, int32 with ``out_int32``. ``input`` may be a number. Both
    are compared in PyTorch's result dtype (``1.5`` among int64 boundaries: as a float).
    NaN goes where PyTorch's binary search puts it (after a trailing NaN boundary, as the
    values above the finite boundaries).

    Raises:
        ArgumentError: ``side`` contradicting ``right``, a 0-d ``sorted_sequence``, or
            leading dimensions that differ.
    """
    sequence = as_input("searchsorted", sorted_sequence, "sorted_sequence")
    xp = backend_of(sequence.array).xp
    number = isinstance(input, numbers.Real)
    values = xp.asarray(input) if number else as_input("searchsorted", input).array
    if values.dtype.kind == "O":  # NumPy keeps an int beyond int64 as a Python object
        raise OverflowError(f"searchsorted: input {input!r} does not fit in int64")
    if side not in (None, "left", "right") or (side == "left" and right):
        msg = f"searchsorted: side must be 'left' or 'right' and agree with right, got {side!r}"
        raise ArgumentError(msg)
    right = right or side == "right"
    data = sequence.array
    if sorter is not None:
        sorter = as_input("searchsorted", sorter, "sorter")
        if sorter.dtype != int64 or sorter.shape != sequence.shape:  # PyTorch's RuntimeError
            msg = "searchsorted: sorter must be int64 and of sorted_sequence's shape "
            raise ArgumentError(f"{msg}{sequence.shape}, got {sorter.dtype} {sorter.shape}")
        data = xp.take_along_axis(data, sorter.array, axis=-1)
    if data.ndim == 0:
        raise ArgumentError("searchsorted: sorted_sequence must have at least one dimension")
    if data.ndim > 1 and data.shape[:-1] != values.shape[:-1]:
        msg = (
            "searchsorted: sorted_sequence and input must have the same leading dimensions, "
            f"got {data.shape} and {values.shape}"
        )
        raise ArgumentError(msg)
    # compared in PyTorch's common dtype: 1.5 among int64 boundaries is a float (float32)
    dtype = result_dtype(data, input if number else values)
    if dtype == numpy.bool_:  # PyTorch's NotImplementedError
        raise UnsupportedDtypeError("searchsorted: no search among bools, got bool operands")
    found = _bisected(xp, data.astype(dtype, copy=False), values.astype(dtype, copy=False), right)
    return Tensor(found.astype(int32 if out_int32 else int64))


def _bisected(xp, data, values, right: bool):
    """PyTorch's binary search, step for step (``log2`` gathers, no host sync): go right
    while ``not mid >= value`` (``not mid > value`` with ``right``), so NaN values, and
    values above the finite ones before a NaN boundary, land after the NaNs, as PyTorch."""
    size = data.shape[-1]
    start = xp.zeros(values.shape, dtype=int64)
    end = xp.full(values.shape, size, dtype=int64)
    for _ in range(size.bit_length()):
        mid = start + (end - start) // 2
        probe = xp.minimum(mid, max(size - 1, 0))
        if data.ndim == 1:
            middle = data[probe]
        else:
            middle = xp.take_along_axis(data, probe, axis=-1)
        onward = ~(middle > values) if right else ~(middle >= values)
        active = start < end
        start = xp.where(active & onward, mid + 1, start)
        end = xp.where(active & ~onward, mid, end)
    return start


@flags_checked("xpnet")
def bucketize(input, boundaries, *, out_int32: bool = False, right: bool = False) -> Tensor:
    """The index of the bucket of each of ``input`` among the 1-D sorted ``boundaries``, as
    ``torch.bucketize``: ``searchsorted(boundaries, input, right=right)``.

    Raises:
        ArgumentError: ``boundaries`` not 1-D.
    """
    boundaries = as_input("bucketize", boundaries, "boundaries")
    if boundaries.ndim != 1:
        raise ArgumentError(f"bucketize: boundaries must be 1-D, got {boundaries.ndim}-d")
    return searchsorted(boundaries, input, out_int32=out_int32, right=right)


METHODS = {"unique": unique, "bincount": bincount, "histc": histc}
# the functions refuse what PyTorch's parser refuses (sorted=1), as the methods
unique, bincount, histc = (
    function_form(name, checked_flags(name, METHODS[name], "xpnet")) for name in __all__[:3]
)
