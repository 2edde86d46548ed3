"""``torch.gradient`` (finite differences of samples, in recorded Tensor ops, so it is
differentiable) and the array exchange functions ``frombuffer``, ``from_dlpack`` and
``to_dlpack`` (through the backend's namespace: NumPy and CuPy both speak DLPack), as
``xpnet.<name>`` (:data:`__all__`). Neighbours: :mod:`xpnet._creation` (tensors from data).

Example:
    >>> import xpnet
    >>> xpnet.gradient(xpnet.tensor([1.0, 4.0, 9.0, 16.0]))[0].tolist()
    [3.0, 4.0, 6.0, 7.0]
"""

from __future__ import annotations

import numbers

import numpy

from ._creation import new_tensor, resolve_dtype
from ._dtypes import get_default_dtype
from ._tensor_join import cat
from ._tensor_math import check_dim
from ._torch_functions import as_input
from .autograd import Tensor
from .backends import get_backend
from .kernels import ArgumentError, UnsupportedDtypeError

__all__ = ["gradient", "frombuffer", "from_dlpack", "to_dlpack"]


def _dims(where: str, dim, ndim: int) -> tuple[int, ...]:
    """``dim`` as distinct dims in ``[0, ndim)`` (every dim for None), as PyTorch's bitset."""
    if dim is None:
        return tuple(range(ndim))
    dims = (dim,) if isinstance(dim, numbers.Integral) else tuple(dim)
    dims = tuple(check_dim(where, d, ndim) for d in dims)
    if len(set(dims)) < len(dims):  # PyTorch's dim_list_to_bitset
        raise ArgumentError(f"{where}: dim {list(dims)} names a dim more than once")
    return dims


def _spacing(where: str, spacing, dim, ndim: int) -> list:
    """``spacing`` as a list (one step per dim, or one 1-D Tensor of coordinates per dim),
    checked against ``dim``'s length first, as PyTorch's ``pre_check_gradient``."""
    count = ndim if dim is None else len((dim,) if isinstance(dim, numbers.Integral) else dim)
    if isinstance(spacing, numbers.Number) or isinstance(spacing, Tensor) and spacing.ndim == 0:
        return [spacing.item() if isinstance(spacing, Tensor) else spacing] * count
    spacing = list(spacing)
    if len(spacing) != count:
        msg = f"{where}: spacing must have one entry per dim ({count}), got {len(spacing)}"
        raise ArgumentError(msg)
    for step in spacing:
        if isinstance(step, Tensor) and step.ndim != 1:  # PyTorch's: 1-D coordinates only
            msg = f"{where}: each Tensor in spacing must be 1-D coordinates, got {step.ndim}-d"
            raise ArgumentError(msg)
    return spacing


def _along(t: Tensor, d: int, start, stop=None) -> Tensor:
    return t[(slice(None),) * d + (slice(start, stop),)]


def _uniform(f: Tensor, d: int, h, edge_order: int) -> list:
    """PyTorch's formulas on a grid of step ``h`` (a number), op for op (``h = 0``: inf)."""
    center = (_along(f, d, 2) - _along(f, d, 0, -2)) / h / 2
    if edge_order == 1:
        first = (_along(f, d, 1, 2) - _along(f, d, 0, 1)) / h
        last = (_along(f, d, -1) - _along(f, d, -2, -1)) / h
    else:
        first = (_along(f, d, 0, 1) * -1.5 + _along(f, d, 1, 2) * 2 - _along(f, d, 2, 3) * 0.5) / h
        last = (_along(f, d, -3, -2) * 0.5 + _along(f, d, -2, -1) * -2 + _along(f, d, -1) * 1.5) / h
    return [first, center, last]


def _coordinates(f: Tensor, d: int, x: Tensor, edge_order: int) -> list:
    """PyTorch's formulas at the coordinates ``x`` (a 1-D Tensor), op for op, so the dtypes
    promote as PyTorch's (float16 samples at float64 coordinates: float64)."""
    h = x[1:] - x[:-1]
    shape = (-1,) + (1,) * (f.ndim - d - 1)  # broadcasts along dim d
    h1, h2 = h[:-1], h[1:]
    a = (-h2 / (h1 * (h1 + h2))).reshape(shape)
    b = ((h2 - h1) / (h1 * h2)).reshape(shape)
    c = (h1 / (h2 * (h1 + h2))).reshape(shape)
    center = a * _along(f, d, 0, -2) + b * _along(f, d, 1, -1) + c * _along(f, d, 2)
    if edge_order == 1:
        first = (_along(f, d, 1, 2) - _along(f, d, 0, 1)) / h[0]
        last = (_along(f, d, -1) - _along(f, d, -2, -1)) / h[-1]
        return [first, center, last]
    a, b = h[0], h[1]
    first = (
        -(2.0 * a + b) / (a * (a + b)) * _along(f, d, 0, 1)
        + (a + b) / (a * b) * _along(f, d, 1, 2) + -a / (b * (a + b)) * _along(f, d, 2, 3)
    )  # fmt: skip
    a, b = h[-2], h[-1]
    last = (
        b / (a * (b + a)) * _along(f, d, -3, -2) + -(b + a) / (b * a) * _along(f, d, -2, -1)
        + (2 * b + a) / (b * (b + a)) * _along(f, d, -1)
    )  # fmt: skip
    return [first, center, last]


def gradient(input, *, spacing=1, dim=None, edge_order: int = 1) -> tuple[Tensor, ...]:
    """The derivative of the samples ``input`` along each of ``dim`` (default: every dim), as
    ``torch.gradient``: central differences inside, one-sided ones of order ``edge_order``
    (1 or 2) at the ends, on a uniform grid of step ``spacing`` (a number, or one per dim) or
    at the coordinates ``spacing`` gives (one 1-D Tensor per dim), with PyTorch's formulas
    and dtypes (integer samples give the default float dtype; coordinates promote).
    Differentiable.

    Returns:
        A tuple of Tensors of ``input``'s shape, one per dim.

    Raises:
        ArgumentError: ``spacing`` of the wrong length, ``edge_order`` not 1 or 2, a dim
            named twice, a dim with fewer than ``edge_order + 1`` samples, uint8 samples.
        IndexError: a dim out of range. UnsupportedDtypeError: bool samples.
    """
    where = "gradient"
    f = as_input(where, input)
    if f.dtype == numpy.uint8:
        raise ArgumentError(f"{where}: input of dtype uint8 is not supported, as PyTorch's")
    steps = _spacing(where, spacing, dim, f.ndim)
    if edge_order not in (1, 2) or isinstance(edge_order, bool):
        raise ArgumentError(f"{where}: edge_order must be 1 or 2, got {edge_order!r}")
    dims = _dims(where, dim, f.ndim)
    for d in dims:
        if f.shape[d] < edge_order + 1:
            msg = f"{where}: each dim in dim must have at least edge_order + 1 = "
            raise ArgumentError(f"{msg}{edge_order + 1} samples, got {f.shape[d]} in dim {d}")
    results = []
    for d, step in zip(dims, steps, strict=True):
        coordinates = isinstance(step, Tensor)
        if f.dtype == numpy.bool_ and not (coordinates and edge_order == 2):
            # PyTorch's formulas subtract samples, bools among them, except these
            raise UnsupportedDtypeError(f"{where}: input must hold numbers, got bool")
        if coordinates:
            if step.shape[0] != f.shape[d]:
                msg = f"{where}: spacing coordinates for dim {d} must have {f.shape[d]} "
                raise ArgumentError(f"{msg}entries, got {step.shape[0]}")
            parts = _coordinates(f, d, step, edge_order)
        else:
            parts = _uniform(f, d, step, edge_order)
        results.append(cat(parts, d))
    return tuple(results)


def frombuffer(
    buffer, *, dtype, count: int = -1, offset: int = 0, requires_grad: bool = False
) -> Tensor:
    """A 1-D tensor of ``buffer``'s bytes (an object with the buffer protocol) read as
    ``dtype``, as ``torch.frombuffer``: ``count`` elements (negative: all) after ``offset``
    bytes.

    Note:
        PyTorch shares ``buffer``'s memory; here the tensor shares it on the NumPy backend and
        is a copy on the others (a device array cannot point at host memory).

    Raises:
        ArgumentError: an empty read, ``offset``/``count`` past the buffer's end, or
            ``buffer`` without the buffer protocol (PyTorch's ValueError).
    """
    where = "frombuffer"
    dtype = resolve_dtype(where, dtype, get_default_dtype())
    try:
        size = memoryview(buffer).nbytes
    except TypeError:  # PyTorch's ValueError
        msg = f"{where}: buffer must support the buffer protocol, got {type(buffer).__name__}"
        raise ArgumentError(msg) from None
    count = -1 if count < 0 else count  # any negative count reads all, as PyTorch's
    end = size if count == -1 else offset + count * dtype.itemsize
    if not 0 <= offset < size or end > size or count == 0:
        msg = f"{where}: offset={offset} and count={count} must read inside the buffer's "
        raise ArgumentError(f"{msg}{size} bytes")
    host = numpy.frombuffer(buffer, dtype=dtype, count=count, offset=offset)
    return new_tensor(where, get_backend().asarray(host), requires_grad)


def from_dlpack(ext_tensor) -> Tensor:
    """A Tensor sharing the memory of ``ext_tensor`` (anything with ``__dlpack__``: a NumPy or
    CuPy array, a PyTorch tensor), as ``torch.from_dlpack``, through the current backend's
    ``xp.from_dlpack`` (a host array for NumPy, a device array for CuPy).

    Raises:
        TypeError: ``ext_tensor`` without ``__dlpack__``.
    """
    if isinstance(ext_tensor, Tensor):
        ext_tensor = ext_tensor.array
    if not hasattr(ext_tensor, "__dlpack__"):
        msg = f"from_dlpack: ext_tensor must support DLPack (__dlpack__), got {type(ext_tensor)}"
        raise TypeError(msg)
    return Tensor(get_backend().xp.from_dlpack(ext_tensor))


def to_dlpack(tensor):
    """A DLPack capsule of ``tensor``'s array, as ``torch.to_dlpack`` (for libraries that
    take capsules; those that take ``__dlpack__`` objects can take the array itself)."""
    return as_input("to_dlpack", tensor, "tensor").array.__dlpack__()
