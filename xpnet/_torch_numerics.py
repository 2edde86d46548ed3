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
from .backends import backend_of, get_backend
from .kernels import ArgumentError

__all__ = ["gradient", "frombuffer", "from_dlpack", "to_dlpack"]


def _dims(where: str, dim, ndim: int) -> tuple[int, ...]:
    if dim is None:
        return tuple(range(ndim))
    dims = (dim,) if isinstance(dim, numbers.Integral) else tuple(dim)
    return tuple(check_dim(where, d, ndim) for d in dims)


def _coordinates(where: str, spacing, dims, tensor: Tensor) -> list:
    """Per dim, the sample coordinates (a 1-D Tensor) or a uniform step (a number)."""
    if isinstance(spacing, numbers.Number) or isinstance(spacing, Tensor) and spacing.ndim == 0:
        spacing = [spacing] * len(dims)
    spacing = list(spacing)
    if len(spacing) != len(dims):
        msg = f"{where}: spacing must have one entry per dim in dim ({len(dims)}), got "
        raise ArgumentError(f"{msg}{len(spacing)}")
    steps = []
    for d, step in zip(dims, spacing, strict=True):
        if isinstance(step, Tensor) and step.ndim == 1:
            if step.shape[0] != tensor.shape[d]:
                msg = f"{where}: spacing coordinates for dim {d} must have {tensor.shape[d]} "
                raise ArgumentError(f"{msg}entries, got {step.shape[0]}")
            step = step.to(tensor.dtype) if tensor.dtype.kind == "f" else step
        elif isinstance(step, Tensor):
            step = step.item()
        steps.append(step)
    return steps


def _along(t: Tensor, d: int, start, stop=None) -> Tensor:
    return t[(slice(None),) * d + (slice(start, stop),)]


def _shape_for(h: Tensor, d: int, ndim: int) -> Tensor:
    return h.reshape((-1,) + (1,) * (ndim - d - 1))  # broadcasts along dim d


def _one_dim(f: Tensor, d: int, step, edge_order: int) -> Tensor:
    """numpy.gradient's formulas along ``d`` (second order inside; PyTorch's are the same)."""
    if not isinstance(step, Tensor):
        xp = backend_of(f.array).xp
        step = Tensor(xp.arange(f.shape[d], dtype=f.dtype) * xp.asarray(step, dtype=f.dtype))
    h = step[1:] - step[:-1]  # (n - 1,)
    left, right = _shape_for(h[:-1], d, f.ndim), _shape_for(h[1:], d, f.ndim)
    inner = (
        left**2 * _along(f, d, 2) - right**2 * _along(f, d, None, -2)
        + (right**2 - left**2) * _along(f, d, 1, -1)
    ) / (left * right * (left + right))  # fmt: skip
    if edge_order == 1:
        first = (_along(f, d, 1, 2) - _along(f, d, 0, 1)) / h[0]
        last = (_along(f, d, -1) - _along(f, d, -2, -1)) / h[-1]
    else:
        a, b = h[0], h[1]
        first = (
            -(2 * a + b) / (a * (a + b)) * _along(f, d, 0, 1)
            + (a + b) / (a * b) * _along(f, d, 1, 2) - a / (b * (a + b)) * _along(f, d, 2, 3)
        )  # fmt: skip
        a, b = h[-2], h[-1]
        last = (
            b / (a * (a + b)) * _along(f, d, -3, -2) - (a + b) / (a * b) * _along(f, d, -2, -1)
            + (2 * b + a) / (b * (a + b)) * _along(f, d, -1)
        )  # fmt: skip
    return cat([first, inner, last], d)


def gradient(input, *, spacing=1, dim=None, edge_order: int = 1) -> tuple[Tensor, ...]:
    """The derivative of the samples ``input`` along each of ``dim`` (default: every dim), as
    ``torch.gradient``: central differences inside, one-sided ones of order ``edge_order``
    (1 or 2) at the ends, on a uniform grid of step ``spacing`` (a number, or one per dim) or
    at the coordinates ``spacing`` gives (one 1-D Tensor per dim). Differentiable.

    Returns:
        A tuple of Tensors of ``input``'s shape, one per dim.

    Raises:
        ArgumentError: ``edge_order`` not 1 or 2, a dim with fewer than ``edge_order + 1``
            samples, ``spacing`` of the wrong length.
        IndexError: a dim out of range.
    """
    where = "gradient"
    f = as_input(where, input)
    if edge_order not in (1, 2) or isinstance(edge_order, bool):
        raise ArgumentError(f"{where}: edge_order must be 1 or 2, got {edge_order!r}")
    dims = _dims(where, dim, f.ndim)
    steps = _coordinates(where, spacing, dims, f)
    for d in dims:
        if f.shape[d] < edge_order + 1:
            msg = f"{where}: each dim in dim must have at least edge_order + 1 = "
            raise ArgumentError(f"{msg}{edge_order + 1} samples, got {f.shape[d]} in dim {d}")
    f = f if f.dtype.kind == "f" else f.to(get_default_dtype())
    return tuple(_one_dim(f, d, step, edge_order) for d, step in zip(dims, steps, strict=True))


def frombuffer(
    buffer, *, dtype, count: int = -1, offset: int = 0, requires_grad: bool = False
) -> Tensor:
    """A 1-D tensor of ``buffer``'s bytes (an object with the buffer protocol) read as
    ``dtype``, as ``torch.frombuffer``: ``count`` elements (-1: all) after ``offset`` bytes.

    Note:
        PyTorch shares ``buffer``'s memory; here the tensor shares it on the NumPy backend and
        is a copy on the others (a device array cannot point at host memory).

    Raises:
        ArgumentError: an empty read, or ``offset``/``count`` past the buffer's end.
    """
    where = "frombuffer"
    dtype = resolve_dtype(where, dtype, get_default_dtype())
    size = memoryview(buffer).nbytes
    end = size if count == -1 else offset + count * dtype.itemsize
    if not 0 <= offset < size or end > size or count == 0 or count < -1:
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
