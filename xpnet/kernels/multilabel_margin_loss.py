"""The multi-label margin loss of class-index targets, with its backward function.

For each sample ``n`` of ``input`` (N, C) and its target row, the class indices before the
first ``-1`` (the rest ignored): ``sum_{j in targets} sum_{i not a target}
max(0, 1 - (x[j] - x[i])) / C`` (PyTorch's ``multilabel_margin_loss``; a repeated target counts
each time, as PyTorch's loop). A term counts where ``1 - x[j] + x[i] > 0`` only: at the kink the
gradient is 0, and a NaN term counts nothing. The (N, C, C) terms are formed at once: the
work is PyTorch's, O(N C^2). Neighbours: :mod:`.multi_margin_loss`, :mod:`.margin_loss`.
"""

from __future__ import annotations

from ..backends import backend_of
from ._checks import ArgumentError, kernel
from ._margin_call import MarginCall, check_class_range, class_frames
from ._pointwise_loss import check_legacy

__all__ = ["multilabel_margin_loss", "multilabel_margin_loss_backward"]


def _check_shapes(where, input, target):
    """``(N, C)`` (:func:`class_frames`); ``target`` of the input's shape."""
    N, C = class_frames(where, input, target)
    if tuple(target.shape) != tuple(input.shape):
        msg = (
            f"{where}: target must have the shape of input {tuple(input.shape)}, got "
            f"{tuple(target.shape)}"
        )
        raise ArgumentError(msg)
    return N, C


def _call(where, input, target, reduction, legacy):
    """(call, terms z (N, C, C), active (N, C, C), classes (N, C), valid (N, C), C):
    ``z[n, k, i] = 1 - x[n, target[n, k]] + x[n, i]`` where slot ``k`` is a target
    (``valid``) and class ``i`` is not."""
    check_legacy(where, *legacy)
    call = MarginCall(where, {"input": input}, reduction, {}, ("input",))
    if target is None:
        msg = f"{where}: target must be an array, got None"
        raise TypeError(msg)
    backend_of(input, target, names=("input", "target"), where=where)
    N, C = _check_shapes(where, input, target)
    xp = call.xp
    check_class_range(where, call.backend, target, C, low=-1)
    rows = xp.reshape(target, (N, C))
    valid = xp.cumsum(rows < 0, axis=1) == 0  # (N, C): the slots before the first -1
    classes = xp.clip(rows, 0, C - 1).astype(xp.int64)  # clipped until checked
    one_hot = (classes[:, :, None] == xp.arange(C)) & valid[:, :, None]  # (N, slot, class)
    is_target = xp.any(one_hot, axis=1)  # (N, C)
    x = xp.reshape(call.arrays["input"], (N, C))
    z = (1.0 - xp.take_along_axis(x, classes, axis=1))[:, :, None] + x[:, None, :]
    active = (z > 0) & valid[:, :, None] & ~is_target[:, None, :]
    return call, z, active, one_hot, C


@kernel
def multilabel_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    r"""Multi-label hinge loss of class indices, as PyTorch's ``multilabel_margin_loss``:
    ``loss_n = sum_{j in y_n} sum_{i not in y_n} max(0, 1 - (x[n, j] - x[n, i])) / C``.

    Args:
        input: float array (N, C), (C,) or 0-d (one class); C > 0, N may be 0.
        target: integer array of ``input``'s shape: each row's target classes, then ``-1``
            (what follows the first ``-1`` is ignored); every value in [-1, C).
        size_average, reduce: deprecated in PyTorch; must be ``None``.
        reduction: ``'none'``, ``'mean'`` or ``'sum'``. Default: ``'mean'``.

    Returns:
        The loss in the input's dtype: (N,) (0-d for a (C,) input) for ``'none'``, else 0-d.

    Raises:
        ValueError: bad shapes, a target value out of range (on NumPy at once, on a GPU at
        the next host read), a bad ``reduction``. TypeError: a non-integer target.

    Note:
        An empty batch's ``'mean'`` is NaN (PyTorch returns an unset value).

    Example:
        >>> x = xp.asarray([[0.1, 0.2, 0.4, 0.8]])
        >>> multilabel_margin_loss(x, xp.asarray([[3, 0, -1, 1]]))
        array(0.85)
    """
    where, legacy = "multilabel_margin_loss", (size_average, reduce)
    call, z, active, _, C = _call(where, input, target, reduction, legacy)
    xp = call.xp
    loss = xp.sum(xp.where(active, z, 0.0), axis=(1, 2)) / C
    shape = input.shape[:1] if input.ndim == 2 else ()
    return call.reduce(xp.reshape(loss, shape), reduction)


@kernel
def multilabel_margin_loss_backward(
    grad_output, input, target, size_average=None, reduce=None, reduction="mean"
):
    """Gradient of :func:`multilabel_margin_loss` for ``input`` (the target gets none, as in
    PyTorch): ``grad / C`` to each non-target class ``i`` per active term, the same taken from
    the target class ``j`` of the term.

    Example:
        >>> x = xp.asarray([0.1, 0.2, 0.4, 0.8])
        >>> multilabel_margin_loss_backward(xp.asarray(1.0), x, xp.asarray([3, -1, 0, 0]))
        array([ 0.25,  0.25,  0.25, -0.75])
    """
    where, legacy = "multilabel_margin_loss_backward", (size_average, reduce)
    call, z, active, one_hot, C = _call(where, input, target, reduction, legacy)
    shape = input.shape[:1] if input.ndim == 2 else ()
    call.check_grad_output(where, grad_output, reduction, shape)
    xp = call.xp
    N = z.shape[0]
    grad = xp.reshape(call.element_grad(grad_output, reduction, shape), (N, 1, 1)) / C
    terms = xp.where(active, grad, 0.0)  # (N, slot, class)
    to_targets = xp.sum(xp.where(one_hot, -xp.sum(terms, axis=2, keepdims=True), 0.0), axis=1)
    grad_input = xp.sum(terms, axis=1) + to_targets
    (grad_input,) = call.finish(input=xp.reshape(grad_input, input.shape))
    return grad_input
