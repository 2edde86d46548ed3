"""What the margin and embedding losses share: a validated call over broadcast arrays.

The losses of :mod:`.margin_loss` and :mod:`.embedding_loss` follow PyTorch's broadcasting:
their arrays broadcast together (``input1`` (N, 1) against ``input2`` (N, D), say), so each
gradient is summed back down to its array's shape (:mod:`._broadcast`). :class:`MarginCall`
checks a call once (arrays, dtypes, the backend, ``reduction``) and holds the arrays in the
compute dtype; :meth:`MarginCall.reduce` and :meth:`MarginCall.element_grad` turn a loss per
element into the reduced one and the upstream gradient back, as PyTorch's
``apply_loss_reduction`` (``'mean'`` over nothing is NaN). The class-index losses
(:mod:`.multi_margin_loss`, :mod:`.multilabel_margin_loss`) share :func:`class_frames` and
:func:`check_class_range`.
"""

from __future__ import annotations

from ..backends import backend_of
from ..backends._deferred import defer_check
from ._blocks import compute_dtype
from ._broadcast import unbroadcast
from ._checks import (
    ArgumentError,
    DtypeMismatchError,
    array_backend,
    check_grad_output,
    require_arrays,
)

REDUCTIONS = ("none", "mean", "sum")


def check_reduction(where, reduction) -> None:
    if reduction not in REDUCTIONS:
        msg = f"{where}: reduction must be one of 'none', 'mean', 'sum', got {reduction!r}"
        raise ArgumentError(msg)


class MarginCall:
    """A validated loss call over arrays that broadcast together.

    Args:
        where: the function's name, for messages.
        arrays: the float arrays by name, in the forward's order (``None`` where optional
            ones are absent: ``weight``); one dtype and backend.
        reduction: ``'none'``, ``'mean'`` or ``'sum'``.
        labels: arrays (targets) that may also hold integers; float ones must have the
            arrays' dtype. They get no gradient when they hold integers.
        required: the names that must not be ``None``.
    """

    def __init__(self, where, arrays, reduction, labels=None, required=()):
        labels = labels or {}
        require_arrays(where, **{name: arrays.get(name, labels.get(name)) for name in required})
        backend_of(*arrays.values(), *labels.values(), names=(*arrays, *labels), where=where)
        floats = {name: a for name, a in labels.items() if a is not None and a.dtype.kind == "f"}
        backend = array_backend(where, **arrays, **floats)
        for name, array in labels.items():
            if array is not None and array.dtype.kind not in "fiu":
                msg = f"{where}: {name} must hold real numbers, got dtype {array.dtype}"
                raise TypeError(msg)
        check_reduction(where, reduction)
        self.backend, self.xp = backend, backend.xp
        first = next(a for a in arrays.values() if a is not None)
        self.dtype = first.dtype
        self.compute = compute = compute_dtype(self.xp, first.dtype)
        self.integer = {name for name, a in labels.items() if a is not None and name not in floats}
        self.arrays = {
            name: None if a is None else a.astype(compute, copy=False)
            for name, a in {**arrays, **labels}.items()
        }

    def check_grad_output(self, where, grad_output, reduction, shape):
        """The backward's check: ``shape`` (the loss's) for ``'none'``, else ``()``."""
        array_backend(where, grad_output=grad_output)
        backend_of(*self.arrays.values(), grad_output, where=where)
        expected = shape if reduction == "none" else ()
        check_grad_output(where, grad_output, expected, self.dtype, of=None)

    def reduce(self, loss, reduction):
        """The loss for ``reduction``, in the input's dtype (``'mean'`` of nothing: NaN)."""
        xp = self.xp
        if reduction != "none":
            total = xp.sum(loss)
            loss = total if reduction == "sum" else total / loss.size
        return xp.asarray(loss).astype(self.dtype, copy=False)

    def element_grad(self, grad_output, reduction, shape):
        """``d loss / d loss_i`` for each element of a loss of ``shape``, compute dtype."""
        xp = self.xp
        grad = grad_output.astype(self.compute, copy=False)
        if reduction == "none":
            return grad
        if reduction == "mean":
            size = 1
            for n in shape:
                size *= n
            grad = grad / size
        return xp.broadcast_to(grad, shape)

    def finish(self, **grads):
        """Each gradient summed to its array's shape, in the input's dtype, a new array; an
        integer label's (and a missing array's) is ``None``."""
        xp = self.xp
        result = []
        for name, grad in grads.items():
            array = self.arrays[name]
            if grad is None or array is None or name in self.integer:
                result.append(None)
                continue
            grad = unbroadcast(xp, grad, array.shape)
            result.append(xp.asarray(grad).astype(self.dtype, copy=True))
        return tuple(result)


def class_frames(where, input, target) -> tuple:
    """``(N, C)``: frames and classes of a (C,) (one frame), 0-d (C = 1) or (N, C) input
    scored against integer class indices ``target``; N may be 0, C may not."""
    if not (
        input.ndim == 0 or (input.ndim == 1 and input.size) or (input.ndim == 2 and input.shape[1])
    ):
        msg = (
            f"{where}: input must be a non-empty vector (C,) or a matrix (N, C) with C > 0 "
            f"(N may be 0), got shape {tuple(input.shape)}"
        )
        raise ArgumentError(msg)
    if target.dtype.kind not in "iu":
        msg = f"{where}: target must hold integer class indices, got dtype {target.dtype}"
        raise DtypeMismatchError(msg)  # a RuntimeError in PyTorch ("expected scalar type Long")
    return (1, max(input.size, 1)) if input.ndim < 2 else tuple(input.shape)


def check_class_range(where, backend, target, C, low=0) -> None:
    """ArgumentError for a class index outside [low, C) (PyTorch: 'target out of range'): at
    once on NumPy, else at the next host read (no device-to-host copy per call)."""
    if not target.size:
        return
    xp = backend.xp
    extremes = xp.stack([xp.min(target), xp.max(target)])

    def in_range(values):
        smallest, largest = (int(v) for v in values)
        if smallest < low or largest >= C:
            bad = smallest if smallest < low else largest
            msg = f"{where}: target values must be in [{low}, {C}) (target out of range), got {bad}"
            raise ArgumentError(msg)

    defer_check(backend, extremes, in_range)
