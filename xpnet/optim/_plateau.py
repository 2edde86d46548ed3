"""Reduce the learning rate when a monitored metric stops improving: ``ReduceLROnPlateau``.

Exported by :mod:`xpnet.optim.lr_scheduler` with the other schedulers; its base class and
argument checks are in :mod:`xpnet.optim._scheduler`.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

from ._scheduler import EPOCH_DEPRECATION_WARNING, LRScheduler, check_optimizer, per_group


class ReduceLROnPlateau(LRScheduler):
    """Multiply the rate by ``factor`` when a metric has stopped improving.

    Args:
        optimizer: the optimizer.
        mode: ``"min"`` (the metric should fall) or ``"max"``. Default: ``"min"``.
        factor: multiplier of the rate, below 1. Default: ``0.1``.
        patience: epochs without improvement to accept before reducing. Default: ``10``.
        threshold: smallest change that counts as an improvement. Default: ``1e-4``.
        threshold_mode: ``"rel"`` (relative to the best) or ``"abs"``. Default: ``"rel"``.
        cooldown: epochs to wait after a reduction before counting again. Default: ``0``.
        min_lr: lower bound on the rate, or one per group. Default: ``0``.
        eps: a reduction smaller than this is skipped. Default: ``1e-8``.

    A single ``min_lr`` also applies to groups added to the optimizer later; with a list,
    :meth:`step` raises ``RuntimeError`` once the groups outnumber it (as PyTorch).

    Raises:
        ValueError: for ``factor >= 1``, an unknown ``mode`` or ``threshold_mode``, or a
            ``min_lr`` list of the wrong length.

    Example:
        >>> from xpnet.nn import Parameter
        >>> from xpnet.optim import SGD
        >>> opt = SGD([Parameter(xp.zeros(1))], lr=1.0)
        >>> scheduler = ReduceLROnPlateau(opt, factor=0.5, patience=1)
        >>> for loss in [3.0, 2.0, 2.0, 2.0, 2.0]:
        ...     scheduler.step(loss)
        >>> scheduler.get_last_lr()
        [0.5]
    """

    def __init__(
        self,
        optimizer,
        mode: str = "min",
        factor: float = 0.1,
        patience: int = 10,
        threshold: float = 1e-4,
        threshold_mode: str = "rel",
        cooldown: int = 0,
        min_lr=0.0,
        eps: float = 1e-8,
    ):
        check_optimizer("ReduceLROnPlateau", optimizer)
        if factor >= 1.0:
            msg = f"ReduceLROnPlateau: factor must be below 1, got {factor}"
            raise ValueError(msg)
        if mode not in ("min", "max") or threshold_mode not in ("rel", "abs"):
            msg = (
                "ReduceLROnPlateau: mode must be 'min' or 'max' and threshold_mode 'rel' or "
                f"'abs', got mode={mode!r}, threshold_mode={threshold_mode!r}"
            )
            raise ValueError(msg)
        self.optimizer = optimizer
        self.min_lrs = per_group("ReduceLROnPlateau", "min_lr", optimizer, min_lr)
        # a single min_lr also serves groups added later (PyTorch's default_min_lr)
        self.default_min_lr = None if isinstance(min_lr, (list, tuple)) else min_lr
        self.factor, self.patience, self.cooldown, self.eps = factor, patience, cooldown, eps
        self.last_epoch = 0
        self._last_lr = self._lrs()
        self._init_is_better(mode, threshold, threshold_mode)
        self.best = self.mode_worse
        self.cooldown_counter = 0
        self.num_bad_epochs = 0

    def _init_is_better(self, mode: str, threshold: float, threshold_mode: str) -> None:
        self.mode_worse = math.inf if mode == "min" else -math.inf
        self.mode, self.threshold, self.threshold_mode = mode, threshold, threshold_mode

    @property
    def in_cooldown(self) -> bool:
        """Whether the scheduler is waiting out its cooldown after a reduction."""
        return self.cooldown_counter > 0

    def _is_better(self, value: float) -> bool:
        sign = 1.0 if self.mode == "min" else -1.0
        if self.threshold_mode == "rel":
            return sign * value < sign * self.best * (1.0 - sign * self.threshold)
        return sign * value < sign * self.best - self.threshold

    def step(self, metrics, epoch: int | None = None) -> None:
        """Record this epoch's ``metrics`` (a number) and reduce the rates if it stalled.

        Args:
            metrics: the monitored value.
            epoch: deprecated, as in PyTorch (it warns): the epoch to record as
                ``last_epoch``. Default: ``None`` (one more).

        Raises:
            RuntimeError: a group was added to the optimizer after a ``min_lr`` list was
                given (before any rate changes).
        """
        current = float(metrics)
        if epoch is None:
            epoch = self.last_epoch + 1
        else:
            warnings.warn(EPOCH_DEPRECATION_WARNING, UserWarning, stacklevel=2)
        self.last_epoch = epoch
        if self._is_better(current):
            self.best = current
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1
        if self.in_cooldown:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0  # bad epochs in cooldown do not count
        if self.num_bad_epochs > self.patience:
            self._reduce_lr()
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0
        self._last_lr = self._lrs()

    def _reduce_lr(self) -> None:
        groups = self.optimizer.param_groups
        if len(groups) != len(self.min_lrs):
            if self.default_min_lr is None:
                msg = (
                    f"ReduceLROnPlateau: the optimizer has {len(groups)} parameter groups, "
                    f"min_lr was given for {len(self.min_lrs)} (a group added since?); set "
                    "min_lrs to one value per group"
                )
                raise RuntimeError(msg)
            self.min_lrs = [self.default_min_lr] * len(groups)
        for group, min_lr in zip(groups, self.min_lrs, strict=True):
            old_lr = float(group["lr"])
            new_lr = max(old_lr * self.factor, min_lr)
            if old_lr - new_lr > self.eps:
                group["lr"] = new_lr

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore the attributes saved by :meth:`state_dict` (PyTorch's or xpnet's)."""
        self.__dict__.update(state_dict)
        self._init_is_better(self.mode, self.threshold, self.threshold_mode)
