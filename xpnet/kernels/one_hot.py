"""One-hot encoding: ``one_hot``, a kernel without a backward.

``one_hot(tensor, num_classes)`` turns integer class values into rows of zeros with a 1 at the
class. Its input holds indices and its output is int64, so nothing in it has a gradient (as in
PyTorch, where the result does not require grad): there is no ``one_hot_backward``, and
:mod:`xpnet.nn.functional` exposes it as a plain function. Neighbours: :mod:`.embedding` (the
other kernel that reads class indices), :mod:`.loss` (class-index targets).
"""

from __future__ import annotations

from ..backends import backend_of
from ._blocks import check_fits
from ._checks import ArgumentError, DtypeMismatchError, check_int, kernel, require_arrays

__all__ = ["one_hot"]


@kernel
def one_hot(tensor, num_classes: int = -1):
    r"""Encode integer class values as one-hot rows: ``output[..., c] = (tensor[...] == c)``.

    Args:
        tensor: integer array of class values in ``[0, num_classes)``, any shape.
        num_classes: the number of classes; ``-1`` infers ``tensor.max() + 1``. Default: -1.

    Returns:
        int64 array of shape ``tensor.shape + (num_classes,)``.

    Raises:
        TypeError: a non-integer ``tensor`` (also a ``RuntimeError``, as PyTorch's) or
            ``num_classes``.
        ValueError: negative class values, values ``>= num_classes``, or an empty ``tensor``
            with ``num_classes`` not positive (also a ``RuntimeError``, as PyTorch's).

    Note:
        One explicit device-to-host copy of the minimum and maximum (the checks, and the
        inferred size). PyTorch takes int64 only; xpnet takes every integer dtype, as
        :func:`embedding` does.

    Example:
        >>> one_hot(xp.asarray([0, 2, 1]))
        array([[1, 0, 0],
               [0, 0, 1],
               [0, 1, 0]])
    """
    where = "one_hot"
    require_arrays(where, tensor=tensor)
    backend = backend_of(tensor, names=("tensor",), where=where)
    if tensor.dtype.kind not in "iu":
        msg = f"{where}: tensor must hold integer class values, got dtype {tensor.dtype}"
        raise DtypeMismatchError(msg)  # PyTorch's RuntimeError, and a TypeError
    num_classes = check_int(where, "num_classes", num_classes)
    xp = backend.xp
    if tensor.size == 0:
        if num_classes <= 0:
            msg = f"{where}: cannot infer num_classes from an empty tensor, got {num_classes}"
            raise ArgumentError(msg)
    else:
        # one explicit device-to-host copy of two numbers: the checks and the inferred size
        low, high = backend.to_host(xp.stack([xp.min(tensor), xp.max(tensor)])).tolist()
        if low < 0:
            msg = f"{where}: class values must be non-negative, got {low}"
            raise ArgumentError(msg)
        if num_classes == -1:
            num_classes = high + 1
        elif high >= num_classes:
            msg = (
                f"{where}: class values must be smaller than num_classes={num_classes}, got {high}"
            )
            raise ArgumentError(msg)
    shape = (*tensor.shape, num_classes)
    check_fits(where, backend, f"an output of shape {shape}", tensor.size * num_classes * 8)
    classes = xp.arange(num_classes, dtype=xp.int64)
    return (tensor[..., None] == classes).astype(xp.int64)
