"""What the element-wise losses share: argument checks, reductions and their gradients.

The regression losses (:mod:`.regression_loss`) and the binary and KL losses
(:mod:`.binary_loss`) compute one loss per element of ``input``; :class:`PointwiseCall`
checks a call once (arrays, dtypes, shapes, ``reduction``), holds ``x`` and ``t`` in the
compute dtype, and turns the element-wise loss into the reduced one (:meth:`reduce`) and the
upstream gradient back into an element-wise one (:meth:`element_grad`).
"""

from __future__ import annotations

from ._blocks import compute_dtype
from ._checks import (
    ArgumentError,
    array_backend,
    check_grad_output,
    check_same_shape,
    require_arrays,
)

REDUCTIONS = ("none", "mean", "sum")


def check_legacy(where, size_average, reduce) -> None:
    """ValueError for PyTorch's deprecated ``size_average`` and ``reduce`` (must be None)."""
    if size_average is not None or reduce is not None:
        msg = (
            f"{where}: size_average and reduce are deprecated in PyTorch and not supported; "
            f"use reduction='mean', 'sum' or 'none', got size_average={size_average!r}, "
            f"reduce={reduce!r}"
        )
        raise ArgumentError(msg)


def _broadcast_shape(where, name, array, shape):
    """Raise unless ``array`` broadcasts to ``shape`` without changing it."""
    ndim = max(array.ndim, len(shape))
    padded = (1,) * (ndim - array.ndim) + tuple(array.shape)
    full = (1,) * (ndim - len(shape)) + tuple(shape)
    if ndim > len(shape) or any(a not in (1, s) for a, s in zip(padded, full, strict=True)):
        msg = f"{where}: {name} must broadcast to the input's shape {shape}, got {array.shape}"
        raise ArgumentError(msg)


class PointwiseCall:
    """A validated element-wise loss call.

    Args:
        where: the function's name, for messages.
        input, target: float arrays of one shape, dtype and backend.
        reduction: one of ``reductions``.
        grad_output: for a backward: () for a reduced loss, the input's shape for ``'none'``.
        weights: named optional arrays (``weight``, ``pos_weight``) of the input's dtype;
            with ``same_shape`` they must have the input's shape, else broadcast to it.
    """

    def __init__(
        self,
        where,
        input,
        target,
        reduction,
        grad_output=None,
        weights=None,
        same_shape=(),
        reductions=REDUCTIONS,
    ):
        weights = weights or {}
        require_arrays(where, input=input, target=target)
        backend = array_backend(
            where, input=input, target=target, grad_output=grad_output, **weights
        )
        if reduction not in reductions:
            names = ", ".join(repr(r) for r in reductions)
            msg = f"{where}: reduction must be one of {names}, got {reduction!r}"
            raise ArgumentError(msg)
        check_same_shape(where, "target", target, "input", input)
        for name, array in weights.items():
            if array is None:
                continue
            if name in same_shape:
                check_same_shape(where, name, array, "input", input)
            else:
                _broadcast_shape(where, name, array, input.shape)
        if where.endswith("_backward"):
            expected = input.shape if reduction == "none" else ()
            check_grad_output(where, grad_output, expected, input.dtype, of=None)
        self.backend = backend
        self.xp = xp = backend.xp
        self.dtype = input.dtype
        self.compute = compute = compute_dtype(xp, input.dtype)
        self.x = input.astype(compute, copy=False)
        self.t = target.astype(compute, copy=False)
        self.weights = {
            name: None if array is None else array.astype(compute, copy=False)
            for name, array in weights.items()
        }
        self.shape = input.shape

    def count(self, reduction):
        """What ``'mean'`` (every element) or ``'batchmean'`` (the batch size) divides by."""
        if reduction == "batchmean":
            return self.shape[0] if self.shape else 1
        return self.x.size

    def reduce(self, loss, reduction, denominator=None):
        """The loss for ``reduction``, in the input's dtype; ``'mean'`` divides by
        ``denominator`` (an array, e.g. the summed weights) or by :meth:`count`."""
        xp = self.xp
        if reduction != "none":
            total = xp.sum(loss)
            if reduction != "sum":
                total = total / (self.count(reduction) if denominator is None else denominator)
            loss = total
        return xp.asarray(loss).astype(self.dtype, copy=False)

    def element_grad(self, grad_output, reduction, denominator=None):
        """``d loss / d loss_i`` for every element, in the compute dtype (a broadcast view
        for reduced losses)."""
        xp = self.xp
        grad = grad_output.astype(self.compute, copy=False)
        if reduction == "none":
            return grad
        if reduction != "sum":
            grad = grad / (self.count(reduction) if denominator is None else denominator)
        return xp.broadcast_to(grad, self.shape)

    def finish(self, *grads):
        """The gradients in the input's dtype, as new arrays (None stays None)."""
        xp = self.xp
        return tuple(
            None if grad is None else xp.asarray(grad).astype(self.dtype, copy=False)
            for grad in grads
        )
