"""Broadcasting for kernels with several array inputs: the shape they broadcast to, and a
gradient summed back down to one input's shape.

A broadcast input is used once per copy, so its gradient is the sum over the copies
(:func:`unbroadcast`). The margin, embedding and likelihood losses, the distances and
attention share these; the Tensor layer's own ``unbroadcast`` is in :mod:`xpnet._tensor_ops`.
"""

from __future__ import annotations

from ._checks import ArgumentError


def broadcast_shape(*shapes):
    """The shape ``shapes`` broadcast to, or ``None`` where they do not."""
    result: tuple = ()
    for shape in shapes:
        ndim = max(len(result), len(shape))
        left = (1,) * (ndim - len(result)) + tuple(result)
        right = (1,) * (ndim - len(shape)) + tuple(shape)
        if any(a != b and 1 not in (a, b) for a, b in zip(left, right, strict=True)):
            return None
        result = tuple(b if a == 1 else a for a, b in zip(left, right, strict=True))
    return result


def broadcast_shapes(where, **arrays) -> tuple:
    """The shape the named arrays broadcast to; ArgumentError naming them where they do not."""
    shape = broadcast_shape(*(array.shape for array in arrays.values()))
    if shape is None:
        names = ", ".join(f"{n} {tuple(a.shape)}" for n, a in arrays.items())
        msg = f"{where}: the shapes must broadcast together, got {names}"
        raise ArgumentError(msg)
    return shape


def unbroadcast(xp, grad, shape):
    """Sum ``grad`` down to ``shape``: a broadcast array was used once per copy (``grad``
    itself may broadcast to ``shape``: a gradient that does not vary along an axis)."""
    grad = xp.broadcast_to(grad, broadcast_shape(grad.shape, shape))
    extra = grad.ndim - len(shape)
    axes = tuple(range(extra)) + tuple(
        extra + i for i, n in enumerate(shape) if n == 1 and grad.shape[extra + i] != 1
    )
    if axes:
        grad = xp.sum(grad, axis=axes, keepdims=True)
    return xp.reshape(grad, shape)
