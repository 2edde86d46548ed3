"""The scheduler base class and the argument checks that every scheduler shares.

The schedulers built on them are in :mod:`xpnet.optim.lr_scheduler`,
:mod:`xpnet.optim._one_cycle` and :mod:`xpnet.optim._plateau`; what they schedule is an
:class:`~xpnet.optim.Optimizer`'s parameter groups (:mod:`xpnet.optim.optimizer`).
"""

from __future__ import annotations

import numbers
import warnings
from typing import Any

from .optimizer import Optimizer

#: PyTorch's warning for the deprecated ``scheduler.step(epoch)``, word for word
EPOCH_DEPRECATION_WARNING = (
    "The epoch parameter in `scheduler.step()` was not necessary and is being deprecated where "
    "possible. Please use `scheduler.step()` to step the scheduler. During the deprecation, if "
    "epoch is different from None, the closed form is used instead of the new chainable form, "
    "where available. Please open an issue if you are unable to replicate your use case: "
    "https://github.com/pytorch/pytorch/issues/new/choose."
)

#: PyTorch's warning for a first ``scheduler.step()`` before any ``optimizer.step()``
STEP_ORDER_WARNING = (
    "Detected call of `lr_scheduler.step()` before `optimizer.step()`. In PyTorch 1.1.0 and "
    "later, you should call them in the opposite order: `optimizer.step()` before "
    "`lr_scheduler.step()`.  Failure to do this will result in PyTorch skipping the first "
    "value of the learning rate schedule. See more details at "
    "https://pytorch.org/docs/stable/optim.html#how-to-adjust-learning-rate"
)


def check_optimizer(where: str, optimizer) -> None:
    if not isinstance(optimizer, Optimizer):
        msg = f"{where}: optimizer must be an xpnet.optim.Optimizer, got {type(optimizer).__name__}"
        raise TypeError(msg)


def per_group(where: str, name: str, optimizer: Optimizer, value) -> list:
    """``value`` repeated for each parameter group, or checked to have one entry per group."""
    count = len(optimizer.param_groups)
    if isinstance(value, (list, tuple)):
        if len(value) != count:
            msg = f"{where}: {name} must have one value per parameter group ({count}), got {value}"
            raise ValueError(msg)
        return list(value)
    return [value] * count


def check_positive_int(where: str, name: str, value) -> None:
    # numbers.Integral: a NumPy integer (a count computed with NumPy) is an int to PyTorch too
    if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value <= 0:
        msg = f"{where}: {name} must be a positive integer, got {value!r}"
        raise ValueError(msg)


class LRScheduler:
    """Base class: sets each group's ``lr`` from :meth:`get_lr` at every :meth:`step`.

    Args:
        optimizer: the :class:`~xpnet.optim.Optimizer` whose rates are scheduled.
        last_epoch: index of the last epoch; ``-1`` (default) starts a new schedule and
            records each group's rate as ``initial_lr``.

    Raises:
        TypeError: if ``optimizer`` is not an optimizer.
        KeyError: if resuming (``last_epoch >= 0``) and a group has no ``initial_lr``.
    """

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1) -> None:
        where = type(self).__name__
        check_optimizer(where, optimizer)
        self.optimizer = optimizer
        for index, group in enumerate(optimizer.param_groups):
            if last_epoch == -1:
                group.setdefault("initial_lr", group["lr"])
            elif "initial_lr" not in group:
                msg = f"{where}: param_groups[{index}] has no 'initial_lr' to resume from"
                raise KeyError(msg)
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self._initial_step()

    def _initial_step(self) -> None:
        self._step_count = 0
        self._is_initial = True
        self.step()
        self._is_initial = False

    def get_lr(self) -> list[float]:
        """The rates for epoch ``last_epoch`` (PyTorch's recursive form)."""
        raise NotImplementedError

    def get_last_lr(self) -> list[float]:
        """The rates of every parameter group set by the last :meth:`step`."""
        return self._last_lr

    def step(self, epoch: int | None = None) -> None:
        """Advance one epoch and set every group's ``lr``. Call it after the optimizer's
        ``step()``: a first call before any optimizer step warns, as PyTorch's (the
        schedule's first rate would be skipped).

        Args:
            epoch: deprecated, as in PyTorch (it warns): jump to this epoch, with the closed
                form where the scheduler has one (else :meth:`get_lr`). Default: ``None``.
        """
        if self._step_count == 1 and not getattr(self.optimizer, "_opt_called", False):
            warnings.warn(STEP_ORDER_WARNING, UserWarning, stacklevel=2)
        self._step_count += 1
        if epoch is not None:
            warnings.warn(EPOCH_DEPRECATION_WARNING, UserWarning, stacklevel=2)
            self._restart_at(epoch)
            return
        self.last_epoch += 1
        self._set_lrs(self.get_lr())

    def _restart_at(self, epoch: int) -> None:
        """Jump to ``epoch`` with the closed form where there is one (PyTorch's
        ``_update_lr(epoch)``: :meth:`step` with an epoch, and :class:`SequentialLR`)."""
        self.last_epoch = epoch
        closed_form = getattr(self, "_closed_form_lr", self.get_lr)
        self._set_lrs(closed_form())

    def _set_lrs(self, rates: list[float]) -> None:
        for group, lr in zip(self.optimizer.param_groups, rates, strict=True):
            group["lr"] = lr
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def _lrs(self) -> list[float]:
        return [group["lr"] for group in self.optimizer.param_groups]

    def state_dict(self) -> dict[str, Any]:
        """Every attribute except the optimizer, as in PyTorch."""
        return {key: value for key, value in self.__dict__.items() if key != "optimizer"}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore attributes saved by :meth:`state_dict`."""
        self.__dict__.update(state_dict)


class MomentumCycling:
    """What the cyclic schedulers (:class:`~xpnet.optim.lr_scheduler.CyclicLR`,
    :class:`~xpnet.optim.lr_scheduler.OneCycleLR`) share for ``cycle_momentum``: SGD's
    ``momentum``, or Adam's first beta, set per group."""

    use_beta1: bool

    def _init_momentum(self, where, optimizer, base_momentum, max_momentum, last_epoch):
        """``(base_momentums, max_momentums)`` per group; a fresh scheduler (``last_epoch``
        -1) also starts every group at its maximum, as PyTorch's do."""
        if "momentum" not in optimizer.defaults and "betas" not in optimizer.defaults:
            msg = f"{where}: cycle_momentum needs an optimizer with momentum or betas"
            raise ValueError(msg)
        self.use_beta1 = "betas" in optimizer.defaults
        lows = per_group(where, "base_momentum", optimizer, base_momentum)
        highs = per_group(where, "max_momentum", optimizer, max_momentum)
        if last_epoch == -1:
            for group, high, low in zip(optimizer.param_groups, highs, lows, strict=True):
                self._set_momentum(group, high)
                group["max_momentum"] = high
                group["base_momentum"] = low
        return lows, highs

    def _set_momentum(self, group: dict[str, Any], value: float) -> None:
        if self.use_beta1:
            group["betas"] = (value, *group["betas"][1:])
        else:
            group["momentum"] = value
