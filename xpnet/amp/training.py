"""The training step of ``xpnet train``, in float32 or in mixed precision (``--precision``).

:func:`set_precision` (called by :func:`xpnet.train.config.build_run`) attaches a
:class:`~xpnet.amp.GradScaler` to the run's optimizer for ``"16-mixed"``; :func:`train_step`
(called once per batch by :func:`xpnet.train.loop.train_epoch`) then runs the forward pass
and the loss under :class:`~xpnet.amp.autocast` and the backward pass and the step through
the scaler. The parameters stay float32 (master weights). Without a scaler it is the plain
float32 step. Precision names are PyTorch Lightning's.
"""

from __future__ import annotations

import weakref

from ..autograd import Tensor
from ..backends import backend_of
from .autocast_mode import autocast
from .grad_scaler import GradScaler

__all__ = ["PRECISIONS", "grad_scaler_of", "set_precision", "train_step"]

PRECISIONS = ("32", "16-mixed")
_SCALERS = weakref.WeakKeyDictionary()  # optimizer -> the GradScaler of its run


def set_precision(optimizer, precision: str = "32") -> GradScaler | None:
    """Make :func:`train_step` run ``optimizer``'s steps in ``precision``.

    Args:
        optimizer: the run's optimizer (its parameters stay float32).
        precision: ``"32"`` (float32) or ``"16-mixed"`` (float16 autocast + loss scaling).
            Default: ``"32"``.

    Returns:
        the new :class:`GradScaler` for ``"16-mixed"``, else ``None``.

    Raises:
        ValueError: another ``precision`` (``"bf16-mixed"``: no bfloat16 dtype in NumPy/CuPy).
    """
    if precision not in PRECISIONS:
        msg = (
            f"set_precision: precision must be one of {', '.join(map(repr, PRECISIONS))}, "
            f"got {precision!r}"
        )
        raise ValueError(msg)
    _SCALERS.pop(optimizer, None)
    if precision == "32":
        return None
    scaler = _SCALERS[optimizer] = GradScaler()
    return scaler


def grad_scaler_of(optimizer) -> GradScaler | None:
    """The :class:`GradScaler` :func:`set_precision` attached to ``optimizer``, or ``None``."""
    return _SCALERS.get(optimizer)


def train_step(model, images, labels, count, loss_fn, optimizer):
    """One optimisation step on a batch; returns ``(logits, loss_sum)`` for the statistics.

    ``loss_fn`` sums the batch's losses (``reduction="sum"``); the gradient is that of
    ``loss_sum / count``. With a scaler (:func:`set_precision`), the forward pass and the loss
    run under :class:`autocast`, the backward pass on the scaled loss (overflows there are
    expected: IEEE results, no warnings, and the scaler skips the step), and the step and the
    scale update go through the scaler.
    """
    scaler = _SCALERS.get(optimizer)
    optimizer.zero_grad()
    with autocast(enabled=scaler is not None):
        logits = model(Tensor(images))
        loss_sum = loss_fn(logits, labels)
    loss = loss_sum / count
    if scaler is None:
        loss.backward()
        optimizer.step()
        return logits, loss_sum
    with backend_of(loss.array).ignore_float_errors():
        scaler.scale(loss).backward()
    scaler.step(optimizer)
    scaler.update()
    return logits, loss_sum
