"""Shapes and flat positions: the in-place ``Tensor.resize_`` and ``resize_as_``
(:data:`METHODS`), and ``xpnet.unravel_index`` (:data:`__all__`), as PyTorch's.

``resize_`` works on the tensor's elements in row-major order: shrinking keeps the leading
ones (a view of the same memory where the tensor is contiguous, as PyTorch keeps its
storage), growing appends zeros (PyTorch leaves them uninitialised). Like PyTorch it refuses
a tensor that requires grad. Neighbours: the shape views (:mod:`xpnet._tensor_shape_ops`), the
other in-place methods (:mod:`xpnet._tensor_inplace`).

Example:
    >>> import xpnet
    >>> x = xpnet.arange(6.0)
    >>> x.resize_(2, 2).tolist()
    [[0.0, 1.0], [2.0, 3.0]]
    >>> [t.tolist() for t in xpnet.unravel_index(xpnet.tensor([5, -1]), (2, 3))]
    [[1, 1], [2, 2]]
"""

from __future__ import annotations

import functools
import math
import numbers
import weakref

from ._creation import allocated, parse_size
from ._memory_formats import (
    check_memory_format,
    check_rank,
    contiguous_format,
    in_format,
    preserve_format,
    suggested,
)
from ._memory_formats import memory_format as memory_format_type
from ._torch_functions import as_input
from ._versions import mark_written, weak_set
from .autograd import Tensor
from .backends import backend_of
from .kernels import ArgumentError
from .kernels._checks import check_int

__all__ = ["unravel_index"]

_INT64_MAX = 2**63 - 1


def _forget_views(tensor: Tensor) -> None:
    """Stop tracking ``tensor`` as a view of its base, and its views as views of it: after a
    resize neither is its base's view taken again (:mod:`xpnet._tensor_views`). Memory they
    still share still sees unrecorded writes, as PyTorch's storage."""
    if tensor._view_of is not None:
        base = tensor._view_of[0]
        # rebuilt, not discard(): a WeakSet compares Tensors with ==, which is elementwise
        base._views = weakref.WeakSet(v for v in weak_set(base, "_views") if v is not tensor)
        tensor._view_of = None
    for view in tuple(weak_set(tensor, "_views")):
        view._view_of = None
    weak_set(tensor, "_views").clear()


def resize_(self, *sizes, memory_format=None) -> Tensor:
    """Give this tensor the shape ``sizes`` (ints, or one sequence) in place, as PyTorch's
    ``Tensor.resize_``: its elements in row-major order, the leading ones kept when it shrinks,
    zeros appended when it grows. Returns this tensor; a new shape counts as an in-place
    change (in the version counter), its own shape as none.

    Args:
        sizes: the new shape.
        memory_format: the layout of the result: ``None`` or ``xpnet.contiguous_format``
            (row-major), ``xpnet.channels_last`` (4-d) or ``channels_last_3d`` (5-d): the same
            elements restrided as PyTorch's, even for an unchanged shape.

    Raises:
        RuntimeError: this tensor requires grad (as PyTorch: resize a ``detach()`` of it).
        TypeError: no size, or a size that is not an int. ArgumentError: a negative size.
        RuntimeError: ``preserve_format``, or a channels-last format of another rank.

    Note:
        The new elements of a grown tensor are zeros; PyTorch's are whatever its storage held
        (unspecified). PyTorch reads a non-contiguous tensor's storage, xpnet its elements in
        row-major order (the same for a contiguous tensor). After a resize the tensor is no
        longer tracked as a view of its base, nor its views as views of it.

    Example:
        >>> import xpnet
        >>> xpnet.tensor([1.0, 2.0]).resize_(2, 2).tolist()
        [[1.0, 2.0], [0.0, 0.0]]
    """
    where = "Tensor.resize_"
    if self.requires_grad:
        msg = f"{where}: cannot resize a tensor that requires grad (shape {self.shape}), as "
        raise RuntimeError(msg + "PyTorch; resize a detach() of it, or one made under no_grad")
    if not sizes:
        raise TypeError(f"{where}: missing the new size (ints, or one sequence of them)")
    shape = parse_size(where, sizes)
    fmt = _resize_format(where, len(shape), memory_format)
    reshaped = shape != self.shape
    if not reshaped and fmt.rank is None:  # no change, and PyTorch counts none
        return self
    count = math.prod(shape)
    flat = self.array.reshape(-1)  # (numel,), a view where the tensor is contiguous
    if count <= flat.size:
        data = flat[:count]
    else:
        backend = backend_of(self.array)
        make = functools.partial(backend.xp.zeros, count, dtype=self.dtype)
        data = allocated(where, backend, shape, self.dtype, make)
        data[: flat.size] = flat
    _forget_views(self)
    self.array = in_format(data, shape, fmt)
    if reshaped:  # PyTorch counts a new shape (only) in the version its views share
        mark_written(self)
    return self


def _resize_format(where: str, rank: int, memory_format) -> memory_format_type:
    """The layout ``resize_`` gives its result, with PyTorch's errors."""
    if memory_format is None:
        return contiguous_format
    fmt = check_memory_format(where, memory_format)
    if fmt is preserve_format:
        raise RuntimeError(f"{where}: Unsupported memory format {fmt}")
    check_rank(where, rank, fmt, got=f"a size of {rank} dimensions")
    return fmt


def resize_as_(self, the_template, memory_format=None) -> Tensor:
    """:func:`resize_` to ``the_template``'s shape, as PyTorch's ``Tensor.resize_as_``;
    ``memory_format=xpnet.preserve_format`` takes the template's layout.

    Raises:
        TypeError: ``the_template`` not a Tensor; else as :func:`resize_`.
    """
    if not isinstance(the_template, Tensor):
        msg = f"Tensor.resize_as_: the_template must be a Tensor, got {type(the_template)}"
        raise TypeError(msg)
    if memory_format is preserve_format:  # the template's layout, as PyTorch's
        memory_format = suggested(the_template.array)
    return resize_(self, the_template.shape, memory_format=memory_format)


def _dims(where: str, shape) -> tuple[int, ...]:
    if isinstance(shape, numbers.Integral) and not isinstance(shape, bool):
        shape = (shape,)
    if not isinstance(shape, tuple | list):
        msg = f"{where}: shape must be an int or a sequence of ints, got {type(shape).__name__}"
        raise TypeError(msg)
    dims = tuple(check_int(where, "shape", n) for n in shape)
    if any(n < 0 for n in dims):
        raise ArgumentError(f"{where}: shape must not have negative values, got {dims}")
    return dims


def unravel_index(indices, shape) -> tuple[Tensor, ...]:
    """The coordinates in a tensor of ``shape`` of the flat (row-major) ``indices``, as
    ``torch.unravel_index``: ``indices == sum(coordinate[k] * stride[k])`` for the row-major
    strides of ``shape``.

    Args:
        indices: a Tensor of integer dtype, any shape.
        shape: an int, or a sequence of non-negative ints.

    Returns:
        A tuple of ``len(shape)`` int64 Tensors of ``indices``' shape, on its backend.

    Note:
        As PyTorch's, indices are taken modulo the number of elements: a negative index
        counts from the end (``-1`` is the last element) and out-of-range ones wrap around,
        without an error. Into a shape with no elements, only an empty ``indices`` goes.

    Raises:
        TypeError: ``indices`` not a Tensor of an integer dtype (bool refused), ``shape`` not
            an int or a sequence of ints. ArgumentError: a negative size, a non-empty
            ``indices`` for a shape with no elements, a shape whose strides pass int64.

    Example:
        >>> import xpnet
        >>> rows, cols = xpnet.unravel_index(xpnet.tensor([4, 1]), (3, 2))
        >>> rows.tolist(), cols.tolist()
        ([2, 0], [0, 1])
    """
    where = "unravel_index"
    tensor = as_input(where, indices, "indices")
    if tensor.dtype.kind not in "iu":
        raise TypeError(f"{where}: indices must have an integer dtype, got {tensor.dtype}")
    dims = _dims(where, shape)
    strides = [math.prod(dims[k + 1 :]) for k in range(len(dims))]
    if strides and strides[0] > _INT64_MAX:
        raise ArgumentError(f"{where}: shape {dims} has strides past int64's range")
    xp = backend_of(tensor.array).xp
    flat = tensor.array.astype(xp.int64)
    if 0 in dims:
        if tensor.numel():
            msg = f"{where}: shape {dims} has no elements, so indices must be empty, got "
            raise ArgumentError(f"{msg}{tensor.numel()} of them")
        return tuple(Tensor(flat.copy()) for _ in dims)
    return tuple(Tensor((flat // stride) % n) for stride, n in zip(strides, dims, strict=True))


METHODS = {"resize_": resize_, "resize_as_": resize_as_}
