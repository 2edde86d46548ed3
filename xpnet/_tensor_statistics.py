"""PyTorch's statistics of tensors, as Tensor methods (:data:`METHODS`) and ``xpnet.<name>``
functions (:data:`__all__`): ``nansum``, ``nanmean``, ``aminmax``, ``median``, ``nanmedian``,
``kthvalue``, ``mode``, ``quantile``, ``nanquantile``, ``std_mean``, ``var_mean``,
``count_nonzero``, ``cov``, ``corrcoef`` and ``dist``; the counting functions (``unique``,
``bincount``, ``histc``, ``searchsorted``, ``bucketize``) are :mod:`xpnet._tensor_histograms`'.

Gradients are PyTorch's: the selections (``median``/``kthvalue``/``mode`` along a dim, the
sorted values behind ``quantile``) send theirs to the chosen elements, as ``gather``; the
global ``median``/``nanmedian`` share it evenly among the elements equal to the result, as
PyTorch's ``evenly_distribute_backward``. Where equal values tie, the index of ``median`` and
``kthvalue`` is that of the stable sort (PyTorch's, from ``nth_element``, is unspecified and
may differ), ``mode``'s the last occurrence (PyTorch's on the CPU); ``mode`` compares every
pair along ``dim`` (memory quadratic in size). No host sync but ``quantile``'s of a Tensor ``q``.

Example:
    >>> import xpnet
    >>> x = xpnet.tensor([[3.0, 1.0, 2.0, 1.0], [0.5, float("nan"), 4.0, 2.0]])
    >>> x.median(1).values.tolist(), x.nanmedian(1).indices.tolist()
    ([1.0, nan], [3, 3])
    >>> xpnet.quantile(x[0], 0.25).item(), xpnet.nansum(x).item()
    (1.0, 13.5)
"""

from __future__ import annotations

import numbers
from collections import namedtuple

import numpy

from ._dtypes import int64
from ._node_names import named_nodes, overload_by_dim
from ._tensor_checks import checked_flags, refuse_dtype
from ._tensor_elementwise import function_form
from ._tensor_index import where
from ._tensor_math import check_dim, distinct_dims, values_indices
from ._tensor_ops import check_grad
from ._torch_functions import as_input
from .autograd import Function, Tensor
from .backends import backend_of, float_errors_ignored
from .kernels import ArgumentError

__all__ = [
    "nansum", "nanmean", "aminmax", "median", "nanmedian", "kthvalue", "mode", "quantile",
    "nanquantile", "std_mean", "var_mean", "count_nonzero", "cov", "corrcoef", "dist",
]  # fmt: skip


def evenly(a, value):
    """``value`` (a 0-d array chosen from ``a``), as a new array."""
    return value.copy()


def evenly_backward(grad_output, a, value):
    """The gradient shared evenly by the elements equal to ``value`` (NaN by the NaNs)."""
    check_grad("evenly_backward", grad_output, (), a.dtype, a)
    xp = backend_of(a).xp
    mask = (a == value) | (xp.isnan(a) & xp.isnan(value))
    share = grad_output / xp.maximum(mask.sum(), 1)  # 1: an empty ``a``, nothing to share
    return xp.where(mask, share, 0).astype(a.dtype, copy=False)


_evenly = Function(evenly, evenly_backward, wrt=("a",))


def _float_only(where: str, self: Tensor) -> None:
    if self.dtype.kind != "f":
        msg = f"{where}(): expected input to have floating point dtype, got {self.dtype}"
        raise ArgumentError(msg)


def nansum(self, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """The sum with NaN counted as 0, as ``torch.nansum``; the gradient skips the NaNs."""
    distinct_dims("nansum", () if dim is None else dim, self.ndim)  # errors naming nansum
    if self.dtype.kind == "f":  # NaN is 0 before a cast to dtype, as PyTorch's (not min int)
        self = where(self.isnan(), 0.0, self)
    result = (self if dtype is None else self.to(dtype)).sum(dim, keepdim)
    return result if dtype is None else result.to(dtype)  # an integer dtype: not int64


def nanmean(self, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """The mean of the elements that are not NaN (NaN where there is none), as
    ``torch.nanmean``.

    Raises:
        ArgumentError: an integer tensor, as PyTorch.
    """
    _float_only("nanmean", self)  # the input's dtype, and dtype's: PyTorch's checks
    distinct_dims("nanmean", () if dim is None else dim, self.ndim)
    tensor = self if dtype is None else self.to(dtype)
    _float_only("nanmean", tensor)
    count = Tensor((~backend_of(tensor.array).xp.isnan(tensor.array)).astype(tensor.dtype))
    return nansum(tensor, dim, keepdim) / count.sum(dim, keepdim)


def aminmax(self, *, dim=None, keepdim: bool = False):
    """``(min, max)``: :meth:`amin` and :meth:`amax` (over ``dim``, or every element), as
    ``torch.aminmax``; a named tuple."""
    if dim is None and self.numel() == 0:
        raise ArgumentError("aminmax(): cannot compute aminmax over no elements, given no dim")
    dims = dim if dim is not None else tuple(range(self.ndim)) if keepdim else ()
    return _MinMax(self.amin(dims, keepdim), self.amax(dims, keepdim))


_MinMax = namedtuple("aminmax", ["min", "max"])


def _line(where: str, self: Tensor, dim):
    """``(tensor, dim)``: ``self`` with at least one dimension and ``dim`` checked."""
    dim = check_dim(where, dim, self.ndim)
    tensor = self.reshape(1) if self.ndim == 0 else self
    if tensor.shape[dim] == 0:
        msg = f"{where}(): expected reduction dim {dim} to have a non-zero size"
        raise IndexError(msg)
    return tensor, dim


def _select(self: Tensor, tensor: Tensor, dim: int, position, keepdim: bool, order=None):
    """``(values, indices)``: the elements of ``tensor`` at sorted ``position`` (an array of
    the reduced shape, kept dims) along ``dim``; gradients go to them."""
    xp = backend_of(tensor.array).xp
    if order is None:
        order = xp.argsort(tensor.array, axis=dim, kind="stable")
        position = xp.take_along_axis(order, position, axis=dim)
    index = Tensor(position.astype(int64, copy=False))
    values = tensor.gather(dim, index)
    if self.ndim == 0:
        return values_indices(values.reshape(()), Tensor(index.array.reshape(())))
    if not keepdim:
        values, index = values.squeeze(dim), Tensor(xp.squeeze(index.array, axis=dim))
    return values_indices(values, index)


def _counts(xp, data, dim):
    nan = xp.isnan(data) if data.dtype.kind == "f" else xp.zeros(data.shape, dtype=bool)
    return data.shape[dim] - nan.sum(axis=dim, keepdims=True), nan.any(axis=dim, keepdims=True)


def _median(where: str, ignore_nan: bool):
    def method(self, dim=None, keepdim: bool = False):
        xp = backend_of(self.array).xp
        if dim is None:
            if self.numel() == 0:  # NaN; integers: NaN cast as PyTorch's CPU casts it
                empty = numpy.iinfo(self.dtype).min if self.dtype.kind in "iu" else numpy.nan
                return _evenly(self, xp.full((), empty, dtype=self.dtype))  # in the graph
            flat = self.reshape(-1)
            value = method(Tensor(flat.array), 0).values
            return _evenly(self, value.array)
        tensor, dim = _line(where, self, dim)
        refuse_dtype(where, self, "b", "non-bool")  # after the dim's checks, as PyTorch
        valid, has_nan = _counts(xp, tensor.array, dim)
        if ignore_nan:
            position = xp.maximum(valid - 1, 0) // 2
        else:
            position = xp.where(has_nan, valid, (tensor.shape[dim] - 1) // 2)
        return _select(self, tensor, dim, position, keepdim)

    method.__name__ = where
    method.__doc__ = (
        f"The lower median (of the elements that are not NaN: {ignore_nan}) of every element "
        f"(one value), or ``(values, indices)`` along ``dim``, as ``torch.{where}``."
    )
    return method


def kthvalue(self, k: int, dim: int = -1, keepdim: bool = False):
    """``(values, indices)``: the ``k``-th smallest element along ``dim`` (NaN largest), as
    ``torch.kthvalue``.

    Raises:
        IndexError: ``dim`` out of range. ArgumentError: ``k`` outside ``[1, size]``.
    """
    tensor, dim = _line("kthvalue", self, dim)
    refuse_dtype("kthvalue", self, "b", "non-bool")  # PyTorch's NotImplementedError
    if isinstance(k, bool) or not isinstance(k, numbers.Integral):
        raise TypeError(f"kthvalue(): k must be an int, got {type(k).__name__}")
    if not 1 <= k <= tensor.shape[dim]:
        msg = f"kthvalue(): selected number k={k} out of range for dimension {dim}"
        raise ArgumentError(msg)
    xp = backend_of(tensor.array).xp
    shape = tuple(1 if i == dim else n for i, n in enumerate(tensor.shape))
    return _select(self, tensor, dim, xp.full(shape, k - 1, dtype=int64), keepdim)


def mode(self, dim: int = -1, keepdim: bool = False):
    """``(values, indices)``: the most frequent value along ``dim`` (the smallest of equally
    frequent ones) and the index of its last occurrence, as ``torch.mode`` on the CPU. Each
    NaN counts once, as a value of its own after every number (PyTorch's count runs over a
    sort that NaN does not order, so its answer depends on where NaN sits); a line of NaN
    only gives NaN at index 0, PyTorch's for lines of up to 16."""
    tensor, dim = _line("mode", self, dim)
    xp = backend_of(tensor.array).xp
    data = xp.moveaxis(tensor.array, dim, -1)
    nan = data != data
    counts = (data[..., :, None] == data[..., None, :]).sum(axis=-1) + nan
    candidate = (counts == counts.max(axis=-1, keepdims=True)) & ~nan
    value = xp.where(candidate, data, _largest(data.dtype)).min(axis=-1, keepdims=True)
    positions = xp.arange(data.shape[-1])
    last = xp.where(data == value, positions, 0).max(axis=-1, keepdims=True)
    return _select(self, tensor, dim, xp.moveaxis(last, -1, dim), keepdim, order=True)


def _largest(dtype):
    """The largest value of ``dtype`` (``inf`` for floats): no element is above it."""
    if dtype.kind == "f":
        return numpy.inf
    return True if dtype.kind == "b" else numpy.iinfo(dtype).max


_INTERPOLATIONS = ("linear", "lower", "higher", "midpoint", "nearest")


def _quantiles(where: str, self: Tensor, q):
    """``(q as a host float array, whether q was a scalar)``, after PyTorch's checks."""
    if isinstance(q, numbers.Real) and not isinstance(q, bool):
        values, scalar = numpy.array([float(q)]), True
    elif hasattr(q, "shape"):
        q = as_input(where, q, "q")
        if q.ndim > 1:
            raise ArgumentError(f"{where}() q must be a scalar or 1D tensor, got {q.ndim}-d")
        if q.dtype != self.dtype:
            msg = f"{where}() q tensor must be same dtype as the input tensor, got {q.dtype}"
            raise ArgumentError(msg)
        values, scalar = numpy.asarray(q.tolist(), dtype=float).reshape(-1), q.ndim == 0
    else:
        raise TypeError(f"{where}() q must be a float or a Tensor, got {type(q).__name__}")
    if not ((values >= 0) & (values <= 1)).all():
        raise ArgumentError(f"{where}() q values must be in the range [0, 1]")
    return values, scalar


def _quantile(where: str, ignore_nan: bool):
    def method(self, q, dim=None, keepdim: bool = False, *, interpolation: str = "linear"):
        _float_only(where, self)
        if interpolation not in _INTERPOLATIONS:
            msg = f"{where}() interpolation must be one of {_INTERPOLATIONS}, got {interpolation!r}"
            raise ArgumentError(msg)
        values, scalar = _quantiles(where, self, q)
        if self.numel() == 0:  # PyTorch's RuntimeError
            raise ArgumentError(f"{where}() input tensor must be non-empty")
        if dim is None:
            tensor, dim, kept = self.reshape(1, -1), 1, (1,) * self.ndim if keepdim else ()
        else:
            dim = check_dim(where, dim, self.ndim)
            tensor = self.reshape(1) if self.ndim == 0 else self
            kept = tuple(1 if i == dim else n for i, n in enumerate(tensor.shape))
            kept = kept if keepdim else tuple(n for i, n in enumerate(tensor.shape) if i != dim)
            kept = () if self.ndim == 0 else kept
        xp = backend_of(tensor.array).xp
        # the line to sort last, the others kept in order (a transpose would swap them)
        tensor = tensor.permute(*(d for d in range(tensor.ndim) if d != dim), dim)
        order = xp.argsort(tensor.array, axis=-1, kind="stable")
        ordered = tensor.gather(-1, Tensor(order))
        q = xp.asarray(values.astype(self.dtype))  # a host copy to the device
        result = _interpolated(xp, ordered, q, ignore_nan, interpolation)
        result = result.reshape(tensor.shape[:-1] + (len(values),))
        result = result.permute((result.ndim - 1, *range(result.ndim - 1)))
        return result.reshape(kept if scalar else (len(values), *kept))

    method.__name__ = where
    method.__doc__ = (
        f"The ``q``-quantiles (a number, or a 1-D Tensor: its dimension comes first), of every "
        f"element or along ``dim``, interpolated as ``interpolation`` says (``'linear'``, "
        f"``'lower'``, ``'higher'``, ``'midpoint'``, ``'nearest'``), as ``torch.{where}`` "
        f"(NaN ignored: {ignore_nan}). Gradients flow to the values interpolated."
    )
    return named_nodes("SqueezeBackward4")(method)


def _interpolated(xp, ordered: Tensor, q, ignore_nan: bool, interpolation: str) -> Tensor:
    """PyTorch's ``quantile_compute``: ranks ``q * (n - 1)`` into the sorted lines."""
    nan = xp.isnan(ordered.array)
    last = ordered.shape[-1] - 1
    if ignore_nan:
        ranks = q * ((~nan).sum(axis=-1, keepdims=True) - 1).astype(q.dtype)
        ranks = xp.where(ranks < 0, 0, ranks)
    else:
        ranks = xp.where(nan.any(axis=-1, keepdims=True), q.dtype.type(last), q * last)
    ranks = xp.asarray(ranks, dtype=q.dtype)
    if interpolation != "linear" and interpolation != "midpoint":
        ranks = {"lower": xp.floor, "higher": xp.ceil, "nearest": xp.round}[interpolation](ranks)
    below = ordered.gather(-1, Tensor(ranks.astype(int64)))
    if interpolation not in ("linear", "midpoint"):
        return below
    above = ordered.gather(-1, Tensor(xp.ceil(ranks).astype(int64)))
    weights = xp.full(ranks.shape, 0.5, q.dtype) if interpolation == "midpoint" else None
    weights = ranks - xp.floor(ranks) if weights is None else weights
    return below.lerp(above, Tensor(weights))


def _with_mean(name: str):
    def method(self, dim=None, unbiased=None, keepdim: bool = False, *, correction=None):
        spread = getattr(self, name)(dim, unbiased, keepdim, correction=correction)
        return spread, self.mean(dim, keepdim)

    method.__name__ = f"{name}_mean"
    doc = "over ``dim`` (every element when None), ``correction`` (or the older ``unbiased``)"
    method.__doc__ = f"``({name}, mean)`` {doc}, as ``torch.{name}_mean``."
    return method


def count_nonzero(self, dim=None) -> Tensor:
    """The int64 number of non-zero elements (over ``dim``: an int or a tuple), as
    ``torch.count_nonzero``; a 0-d integer tensor names one dim, as PyTorch's ``__index__``."""
    if getattr(dim, "ndim", None) == 0 and dim.dtype.kind in "iu":
        dim = int(dim.item())
    dims = dim if dim is None or isinstance(dim, int) else tuple(dim) or None  # (): all
    if dims is not None:  # a 0-d tensor takes dim 0 and -1, as PyTorch
        dims = distinct_dims("count_nonzero", dims, self.ndim)
        dims = dims if self.ndim else None
    return Tensor((self.array != 0).sum(axis=dims).astype(int64))


@named_nodes("DistBackward0")
def dist(self, other, p=2) -> Tensor:
    """The ``p``-norm of ``self - other`` (broadcast), as ``torch.dist``."""
    return (self - as_input("dist", other, "other")).norm(p)


def _weights(where: str, name: str, weights, observations: int, integral: bool):
    if weights is None:
        return None
    weights = as_input(where, weights, name)
    if weights.ndim > 1 or weights.numel() != observations:
        msg = f"{where}(): expected {name} to have one element per observation ({observations})"
        raise ArgumentError(msg)
    if integral and weights.dtype.kind not in "iu":
        raise TypeError(f"{where}(): expected {name} to have an integral dtype")
    if not integral and weights.dtype.kind != "f":
        raise TypeError(f"{where}(): expected {name} to have a floating point dtype")
    return weights.reshape(-1)


def cov(self, *, correction: int = 1, fweights=None, aweights=None) -> Tensor:
    """The covariance matrix of the variables in the rows of ``self`` (1-D: one variable),
    observations in the columns, as ``torch.cov`` (``fweights`` integer frequencies,
    ``aweights`` float weights; PyTorch's normalisation). A divisor <= 0 gives inf/NaN
    (PyTorch warns); negative weights are not checked (a host read).

    Raises:
        ArgumentError: more than 2 dimensions, or weights of another size.
    """
    if self.ndim > 2:
        raise ArgumentError(f"cov(): expected input to have two or fewer dims, got {self.ndim}")
    x = self.reshape(1, -1) if self.ndim < 2 else self
    x = x if x.dtype.kind == "f" else x.to("float32")
    n = x.shape[1]
    f = _weights("cov", "fweights", fweights, n, True)
    a = _weights("cov", "aweights", aweights, n, False)
    w = f if a is None else a if f is None else f * a
    if w is None:
        w_sum, average = n, x.mean(1)
        norm = n - correction
    else:
        w = w.to(x.dtype)
        w_sum = w.sum()
        average = (x * w).sum(1) / w_sum
        norm = w_sum - correction * ((w * a).sum() / w_sum if a is not None else 1)
        norm = norm if correction else w_sum
    centered = x - average.unsqueeze(1)
    with float_errors_ignored():
        product = centered @ (centered if w is None else centered * w).t()
        return (product / (norm if isinstance(norm, Tensor) else max(norm, 0))).squeeze()


def corrcoef(self) -> Tensor:
    """The correlation coefficients of the variables in the rows of ``self``, as
    ``torch.corrcoef``: :func:`cov` normalised, clipped to ``[-1, 1]``."""
    c = cov(self)
    if c.ndim == 0:
        return c / c
    deviation = c.diagonal().sqrt()
    return (c / deviation.unsqueeze(1) / deviation.unsqueeze(0)).clamp(-1, 1)


METHODS = {
    "nansum": named_nodes("NansumBackward0")(nansum),
    "nanmean": nanmean,
    "aminmax": named_nodes("AminmaxBackward0")(aminmax),
    "median": named_nodes(overload_by_dim("Median"))(_median("median", False)),
    "nanmedian": named_nodes(overload_by_dim("Nanmedian"))(_median("nanmedian", True)),
    "kthvalue": named_nodes("KthvalueBackward0")(kthvalue),
    "mode": named_nodes("ModeBackward0")(mode),
    "quantile": _quantile("quantile", False),
    "nanquantile": _quantile("nanquantile", True),
    "std_mean": named_nodes("StdMeanBackward0")(_with_mean("std")),
    "var_mean": named_nodes("VarMeanBackward0")(_with_mean("var")),
    "count_nonzero": count_nonzero,
    "cov": cov,
    "corrcoef": corrcoef,
    "dist": dist,
}

# the functions refuse what the methods refuse (keepdim=1), as PyTorch's parser
nansum, nanmean, aminmax, median, nanmedian, kthvalue, mode, quantile = (
    function_form(name, checked_flags(name, METHODS[name], "xpnet")) for name in __all__[:8]
)
nanquantile, std_mean, var_mean, count_nonzero, cov, corrcoef, dist = (
    function_form(name, checked_flags(name, METHODS[name], "xpnet")) for name in __all__[8:]
)
