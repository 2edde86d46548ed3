"""Operations on several tensors at once, as PyTorch's: ``broadcast_to``,
``broadcast_tensors``, ``meshgrid``, ``cartesian_prod`` and ``block_diag``.

Built from existing differentiable operations (``expand``, ``reshape``, ``stack``, ``cat``),
so gradients flow as PyTorch's: a broadcast copy's gradients add up. Neighbour:
:mod:`xpnet._tensor_shape_ops` (one tensor's layout), which attaches ``Tensor.broadcast_to``.

Example:
    >>> import xpnet
    >>> x, y = meshgrid(xpnet.tensor([1, 2]), xpnet.tensor([3, 4, 5]), indexing="xy")
    >>> x.shape, cartesian_prod(xpnet.tensor([1, 2]), xpnet.tensor([3])).tolist()
    ((3, 2), [[1, 3], [2, 3]])
"""

from __future__ import annotations

import numpy

from ._creation import zeros
from ._node_names import named_nodes
from ._tensor_index import broadcast, broadcast_backward
from ._tensor_join import cat, stack
from .autograd import Function, Tensor, as_tensor
from .kernels import ArgumentError

__all__ = ["block_diag", "broadcast_tensors", "broadcast_to", "cartesian_prod", "meshgrid"]

_broadcast = Function(broadcast, broadcast_backward, wrt=("a",))


def broadcast_to(input, size) -> Tensor:
    """``input`` broadcast to ``size`` (``-1`` keeps a dim), as ``torch.broadcast_to``: a
    view; its gradient sums the copies. Raises ArgumentError for a size it cannot take."""
    return as_tensor(input).expand(tuple(size))


def _tensors(where: str, tensors) -> list[Tensor]:
    if len(tensors) == 1 and isinstance(tensors[0], list | tuple):
        tensors = tuple(tensors[0])
    for i, t in enumerate(tensors):
        if not (hasattr(t, "shape") and hasattr(t, "dtype")):
            msg = f"xpnet.{where}: tensors[{i}] must be a Tensor, got {type(t).__name__}"
            raise TypeError(msg)
    return [as_tensor(t) for t in tensors]


def broadcast_tensors(*tensors) -> tuple[Tensor, ...]:
    """The tensors broadcast to one shape, as ``torch.broadcast_tensors``.

    Raises:
        ArgumentError: shapes that do not broadcast together.
    """
    tensors = _tensors("broadcast_tensors", tensors)
    try:
        shape = numpy.broadcast_shapes(*(t.shape for t in tensors))
    except ValueError:
        shapes = ", ".join(str(t.shape) for t in tensors)
        raise ArgumentError(f"xpnet.broadcast_tensors: shapes {shapes} do not broadcast") from None
    return tuple(_broadcast(t, shape) if t.shape != shape else t for t in tensors)


def meshgrid(*tensors, indexing: str = "ij") -> tuple[Tensor, ...]:
    """Grids of the 0-d or 1-d ``tensors``: output ``i`` holds ``tensors[i]`` along dim ``i``
    (``indexing="ij"``, the default) or, for the first two, with those dims swapped
    (``"xy"``), as ``torch.meshgrid`` (which warns without ``indexing``; xpnet does not).

    Raises:
        ArgumentError: no tensors, ``indexing`` neither, a tensor of 2 or more dims, or mixed
            dtypes.
    """
    tensors = _tensors("meshgrid", tensors)
    if not tensors:  # PyTorch's RuntimeError, where an empty tuple would hide the mistake
        raise ArgumentError("xpnet.meshgrid: expects a non-empty sequence of tensors, got none")
    if indexing not in ("ij", "xy"):
        msg = f"xpnet.meshgrid: indexing must be 'ij' or 'xy', got {indexing!r}"
        raise ArgumentError(msg)
    if any(t.ndim > 1 for t in tensors) or len({t.dtype for t in tensors}) > 1:
        msg = "xpnet.meshgrid: tensors must be 0-d or 1-d, of one dtype, got"
        raise ArgumentError(f"{msg} {[(t.shape, str(t.dtype)) for t in tensors]}")
    sizes = [t.numel() for t in tensors]
    swap = indexing == "xy" and len(tensors) >= 2
    if swap:
        sizes[0], sizes[1] = sizes[1], sizes[0]
    grids = []
    for i, t in enumerate(tensors):
        place = (1 - i if i < 2 else i) if swap else i
        shape = [1] * len(tensors)
        shape[place] = -1
        grids.append(t.reshape(shape).expand(sizes))
    return tuple(grids)


def cartesian_prod(*tensors) -> Tensor:
    """Every combination of one element of each 1-d tensor, as rows, in order, as
    ``torch.cartesian_prod``; one tensor comes back as it is."""
    tensors = _tensors("cartesian_prod", tensors)
    if any(t.ndim != 1 for t in tensors):
        msg = "xpnet.cartesian_prod: tensors must be 1-d, got shapes"
        raise ArgumentError(f"{msg} {[t.shape for t in tensors]}")
    if len(tensors) == 1:
        return tensors[0]
    return stack([g.reshape(-1) for g in meshgrid(*tensors, indexing="ij")], 1)


@named_nodes("BlockDiagBackward0")
def block_diag(*tensors) -> Tensor:
    """The 0-d, 1-d (a row) and 2-d ``tensors`` on the diagonal of one matrix, zeros
    elsewhere, in their common dtype, as ``torch.block_diag``.

    Example:
        >>> import xpnet
        >>> block_diag(xpnet.tensor([[1, 2]]), xpnet.tensor(3)).tolist()
        [[1, 2, 0], [0, 0, 3]]
    """
    tensors = _tensors("block_diag", tensors)
    if any(t.ndim > 2 for t in tensors):
        msg = "xpnet.block_diag: tensors must have 2 or fewer dimensions, got shapes"
        raise ArgumentError(f"{msg} {[t.shape for t in tensors]}")
    if not tensors:
        return zeros(1, 0)
    blocks = [t.reshape(1, -1) if t.ndim < 2 else t for t in tensors]
    width = sum(b.shape[1] for b in blocks)
    rows, left = [], 0
    for b in blocks:
        right = width - left - b.shape[1]
        pads = [b.new_zeros(b.shape[0], n) for n in (left, right)]
        rows.append(cat([pads[0], b, pads[1]], 1))
        left += b.shape[1]
    return cat(rows, 0)


METHODS = {"broadcast_to": broadcast_to}
