"""Learning-rate schedulers, after :mod:`torch.optim.lr_scheduler`.

Each scheduler computes its rates with PyTorch's formulas, including the recursive
("chainable") updates, so the sequences match PyTorch's to the last bits. Call
``scheduler.step()`` after ``optimizer.step()``, once per epoch (or per batch for
:class:`OneCycleLR`); :class:`ReduceLROnPlateau` takes the monitored metric.

Example:
    >>> from xpnet.nn import Parameter
    >>> from xpnet.optim import SGD
    >>> opt = SGD([Parameter(xp.zeros(1))], lr=1.0)
    >>> scheduler = StepLR(opt, step_size=2, gamma=0.5)
    >>> rates = []
    >>> for epoch in range(5):
    ...     opt.step()
    ...     rates += scheduler.get_last_lr()
    ...     scheduler.step()
    >>> rates
    [1.0, 1.0, 0.5, 0.5, 0.25]
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections import Counter
from typing import Any

from .optimizer import Optimizer

__all__ = [
    "CosineAnnealingLR",
    "ExponentialLR",
    "LRScheduler",
    "LinearLR",
    "MultiStepLR",
    "OneCycleLR",
    "ReduceLROnPlateau",
    "SequentialLR",
    "StepLR",
]


def _check_optimizer(where: str, optimizer) -> None:
    if not isinstance(optimizer, Optimizer):
        msg = f"{where}: optimizer must be an xpnet.optim.Optimizer, got {type(optimizer).__name__}"
        raise TypeError(msg)


def _per_group(where: str, name: str, optimizer: Optimizer, value) -> list:
    """``value`` repeated for each parameter group, or checked to have one entry per group."""
    count = len(optimizer.param_groups)
    if isinstance(value, (list, tuple)):
        if len(value) != count:
            msg = f"{where}: {name} must have one value per parameter group ({count}), got {value}"
            raise ValueError(msg)
        return list(value)
    return [value] * count


def _check_positive_int(where: str, name: str, value) -> None:
    if not isinstance(value, int) or value <= 0:
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
        _check_optimizer(where, optimizer)
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

    def step(self) -> None:
        """Advance one epoch and set every group's ``lr``."""
        self._step_count += 1
        self.last_epoch += 1
        self._set_lrs(self.get_lr())

    def _restart_at(self, epoch: int) -> None:
        """Jump to ``epoch`` with the closed form (used by :class:`SequentialLR`)."""
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


class StepLR(LRScheduler):
    """Multiply the rate by ``gamma`` every ``step_size`` epochs.

    Args:
        optimizer: the optimizer.
        step_size: epochs between decays (positive int).
        gamma: decay factor. Default: ``0.1``.
        last_epoch: see :class:`LRScheduler`. Default: ``-1``.
    """

    def __init__(self, optimizer, step_size: int, gamma: float = 0.1, last_epoch: int = -1):
        _check_positive_int("StepLR", "step_size", step_size)
        self.step_size = step_size
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        if self.last_epoch == 0 or self.last_epoch % self.step_size != 0:
            return self._lrs()
        return [lr * self.gamma for lr in self._lrs()]

    def _closed_form_lr(self) -> list[float]:
        return [base * self.gamma ** (self.last_epoch // self.step_size) for base in self.base_lrs]


class MultiStepLR(LRScheduler):
    """Multiply the rate by ``gamma`` at each epoch listed in ``milestones``.

    Args:
        optimizer: the optimizer.
        milestones: epoch indices (a repeated index decays twice).
        gamma: decay factor. Default: ``0.1``.
        last_epoch: see :class:`LRScheduler`. Default: ``-1``.
    """

    def __init__(self, optimizer, milestones, gamma: float = 0.1, last_epoch: int = -1):
        self.milestones = Counter(milestones)
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        if self.last_epoch not in self.milestones:
            return self._lrs()
        return [lr * self.gamma ** self.milestones[self.last_epoch] for lr in self._lrs()]

    def _closed_form_lr(self) -> list[float]:
        # plain dict operations: a state dict restored from JSON holds a dict, not a Counter
        count = sum(n for epoch, n in self.milestones.items() if epoch <= self.last_epoch)
        return [base * self.gamma**count for base in self.base_lrs]


class ExponentialLR(LRScheduler):
    """Multiply the rate by ``gamma`` every epoch.

    Args:
        optimizer: the optimizer.
        gamma: decay factor per epoch.
        last_epoch: see :class:`LRScheduler`. Default: ``-1``.
    """

    def __init__(self, optimizer, gamma: float, last_epoch: int = -1):
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        if self._is_initial:
            return self._lrs()
        return [lr * self.gamma for lr in self._lrs()]

    def _closed_form_lr(self) -> list[float]:
        return [base * self.gamma**self.last_epoch for base in self.base_lrs]


class CosineAnnealingLR(LRScheduler):
    r"""Anneal from the base rate to ``eta_min`` along half a cosine over ``T_max`` epochs.

    :math:`\eta_t = \eta_{min} + (\eta_{base} - \eta_{min})(1 + \cos(\pi t / T_{max})) / 2`,
    computed recursively as PyTorch does (so it keeps going, back up, after ``T_max``).

    Args:
        optimizer: the optimizer.
        T_max: epochs of one half period (positive int).
        eta_min: the smallest rate. Default: ``0``.
        last_epoch: see :class:`LRScheduler`. Default: ``-1``.
    """

    def __init__(self, optimizer, T_max: int, eta_min: float = 0.0, last_epoch: int = -1):
        _check_positive_int("CosineAnnealingLR", "T_max", T_max)
        self.T_max = T_max
        self.eta_min = eta_min
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        epoch, period, low = self.last_epoch, self.T_max, self.eta_min
        if self._is_initial:
            return self._lrs()
        if self._step_count == 1 and epoch > 0:
            return self._closed_form_lr()
        if (epoch - 1 - period) % (2 * period) == 0:
            rise = (1 - math.cos(math.pi / period)) / 2
            return [
                lr + (base - low) * rise
                for base, lr in zip(self.base_lrs, self._lrs(), strict=True)
            ]
        ratio = (1 + math.cos(math.pi * epoch / period)) / (
            1 + math.cos(math.pi * (epoch - 1) / period)
        )
        return [ratio * (lr - low) + low for lr in self._lrs()]

    def _closed_form_lr(self) -> list[float]:
        cosine = 1 + math.cos(math.pi * self.last_epoch / self.T_max)
        return [self.eta_min + (base - self.eta_min) * cosine / 2 for base in self.base_lrs]


class LinearLR(LRScheduler):
    """Scale the rate linearly from ``start_factor`` to ``end_factor`` over ``total_iters``.

    Args:
        optimizer: the optimizer.
        start_factor: factor at epoch 0, in ``(0, 1]``. Default: ``1/3``.
        end_factor: factor from epoch ``total_iters`` on, in ``[0, 1]``. Default: ``1``.
        total_iters: epochs of the ramp. Default: ``5``.
        last_epoch: see :class:`LRScheduler`. Default: ``-1``.
    """

    def __init__(
        self,
        optimizer,
        start_factor: float = 1.0 / 3,
        end_factor: float = 1.0,
        total_iters: int = 5,
        last_epoch: int = -1,
    ):
        if not 0 < start_factor <= 1 or not 0 <= end_factor <= 1:
            msg = (
                "LinearLR: start_factor must be in (0, 1] and end_factor in [0, 1], "
                f"got start_factor={start_factor}, end_factor={end_factor}"
            )
            raise ValueError(msg)
        _check_positive_int("LinearLR", "total_iters", total_iters)
        self.start_factor = start_factor
        self.end_factor = end_factor
        self.total_iters = total_iters
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        if self.last_epoch == 0:
            return [lr * self.start_factor for lr in self._lrs()]
        if self._is_initial or self.last_epoch > self.total_iters:
            return self._lrs()
        change = self.end_factor - self.start_factor
        ratio = 1.0 + change / (
            self.total_iters * self.start_factor + (self.last_epoch - 1) * change
        )
        return [lr * ratio for lr in self._lrs()]

    def _closed_form_lr(self) -> list[float]:
        progress = min(self.total_iters, self.last_epoch) / self.total_iters
        factor = self.start_factor + (self.end_factor - self.start_factor) * progress
        return [base * factor for base in self.base_lrs]


class SequentialLR(LRScheduler):
    """Run ``schedulers`` one after another, switching at each of ``milestones``.

    The typical use is a warm-up then a decay: ``LinearLR`` for the first epochs, then
    ``CosineAnnealingLR`` or ``ExponentialLR``. At a milestone the next scheduler restarts
    from epoch 0 of its own schedule (its closed form), as in PyTorch.

    Args:
        optimizer: the optimizer every scheduler belongs to.
        schedulers: the schedulers, in order (not :class:`ReduceLROnPlateau`).
        milestones: the epochs at which to switch; one fewer than ``schedulers``.
        last_epoch: see :class:`LRScheduler`. Default: ``-1``.

    Raises:
        ValueError: no schedulers, a wrong number of milestones, a scheduler of another
            optimizer, or a :class:`ReduceLROnPlateau`.

    Example:
        >>> from xpnet.nn import Parameter
        >>> from xpnet.optim import SGD
        >>> opt = SGD([Parameter(xp.zeros(1))], lr=1.0)
        >>> warmup = LinearLR(opt, start_factor=0.25, total_iters=3)
        >>> decay = ExponentialLR(opt, gamma=0.5)
        >>> scheduler = SequentialLR(opt, [warmup, decay], milestones=[3])
        >>> rates = []
        >>> for epoch in range(6):
        ...     opt.step()
        ...     rates += scheduler.get_last_lr()
        ...     scheduler.step()
        >>> rates
        [0.25, 0.5, 0.75, 1.0, 0.5, 0.25]
    """

    def __init__(self, optimizer, schedulers, milestones, last_epoch: int = -1):
        _check_optimizer("SequentialLR", optimizer)
        _check_sequence(optimizer, schedulers, milestones)
        self._schedulers = list(schedulers)
        self._milestones = list(milestones)
        self.last_epoch = last_epoch + 1
        self.optimizer = optimizer
        for group in optimizer.param_groups:
            group["lr"] = group["initial_lr"]
        # the schedulers' constructors each took a step: undo them, then start the first
        for scheduler in self._schedulers:
            scheduler.last_epoch -= 1
        first = self._schedulers[bisect_right(self._milestones, 0)]
        first._initial_step()
        self._last_lr = first.get_last_lr()

    def step(self) -> None:
        self.last_epoch += 1
        index = bisect_right(self._milestones, self.last_epoch)
        scheduler = self._schedulers[index]
        if index > 0 and self._milestones[index - 1] == self.last_epoch:
            scheduler._restart_at(0)
        else:
            scheduler.step()
        self._last_lr = scheduler.get_last_lr()

    def state_dict(self) -> dict[str, Any]:
        """Own attributes plus each scheduler's state dict under ``_schedulers``."""
        state = {k: v for k, v in self.__dict__.items() if k not in ("optimizer", "_schedulers")}
        state["_schedulers"] = [scheduler.state_dict() for scheduler in self._schedulers]
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        own = {key: value for key, value in state_dict.items() if key != "_schedulers"}
        self.__dict__.update(own)
        for scheduler, saved in zip(self._schedulers, state_dict["_schedulers"], strict=True):
            scheduler.load_state_dict(saved)


def _check_sequence(optimizer, schedulers, milestones) -> None:
    if len(schedulers) < 1:
        msg = "SequentialLR: schedulers must hold at least one scheduler, got none"
        raise ValueError(msg)
    for index, scheduler in enumerate(schedulers):
        if isinstance(scheduler, ReduceLROnPlateau):
            msg = f"SequentialLR: schedulers[{index}] is a ReduceLROnPlateau, which needs a metric"
            raise ValueError(msg)
        if getattr(scheduler, "optimizer", None) is not optimizer:
            msg = f"SequentialLR: schedulers[{index}] belongs to another optimizer"
            raise ValueError(msg)
    if len(milestones) != len(schedulers) - 1:
        msg = (
            f"SequentialLR: milestones must have len(schedulers) - 1 = {len(schedulers) - 1} "
            f"entries, got {len(milestones)}"
        )
        raise ValueError(msg)


class OneCycleLR(LRScheduler):
    """The 1cycle policy (Smith & Topin, 2018): warm up to ``max_lr``, then anneal far below.

    Stepped once per batch. The rate rises from ``max_lr / div_factor`` to ``max_lr`` over
    the first ``pct_start`` of ``total_steps``, then falls to
    ``max_lr / (div_factor * final_div_factor)``; with ``three_phase`` it comes back down
    to the start value before the final fall. With ``cycle_momentum`` the momentum (SGD's
    ``momentum``, Adam's ``betas[0]``) moves the opposite way between ``max_momentum`` and
    ``base_momentum``.

    Args:
        optimizer: the optimizer.
        max_lr: peak rate, or one per parameter group.
        total_steps: number of steps; or give ``epochs`` and ``steps_per_epoch``.
        epochs: number of epochs. Default: ``None``.
        steps_per_epoch: batches per epoch. Default: ``None``.
        pct_start: fraction of the steps spent rising, a float in ``[0, 1]``. Default: ``0.3``.
        anneal_strategy: ``"cos"`` or ``"linear"``. Default: ``"cos"``.
        cycle_momentum: cycle the momentum too. Default: ``True``.
        base_momentum: lowest momentum (at the peak rate). Default: ``0.85``.
        max_momentum: highest momentum. Default: ``0.95``.
        div_factor: ``max_lr / initial rate``. Default: ``25``.
        final_div_factor: ``initial rate / final rate``. Default: ``1e4``.
        three_phase: use the symmetric three-phase schedule. Default: ``False``.
        last_epoch: see :class:`LRScheduler`. Default: ``-1``.

    Raises:
        ValueError: for a bad step count, ``pct_start`` or ``anneal_strategy``; if
            ``cycle_momentum`` is set and the optimizer has no momentum; when stepped more than
            ``total_steps`` times.
    """

    def __init__(
        self,
        optimizer,
        max_lr,
        total_steps: int | None = None,
        epochs: int | None = None,
        steps_per_epoch: int | None = None,
        pct_start: float = 0.3,
        anneal_strategy: str = "cos",
        cycle_momentum: bool = True,
        base_momentum=0.85,
        max_momentum=0.95,
        div_factor: float = 25.0,
        final_div_factor: float = 1e4,
        three_phase: bool = False,
        last_epoch: int = -1,
    ):
        _check_optimizer("OneCycleLR", optimizer)
        self.total_steps = _one_cycle_steps(total_steps, epochs, steps_per_epoch)
        if not isinstance(pct_start, float) or not 0 <= pct_start <= 1:
            msg = f"OneCycleLR: pct_start must be a float in [0, 1], got {pct_start!r}"
            raise ValueError(msg)
        if anneal_strategy not in ("cos", "linear"):
            msg = f"OneCycleLR: anneal_strategy must be 'cos' or 'linear', got {anneal_strategy!r}"
            raise ValueError(msg)
        self.anneal_strategy = anneal_strategy
        self._phases = _one_cycle_phases(
            pct_start * self.total_steps, self.total_steps, three_phase
        )
        if last_epoch == -1:
            for group, peak in zip(
                optimizer.param_groups,
                _per_group("OneCycleLR", "max_lr", optimizer, max_lr),
                strict=True,
            ):
                group["initial_lr"] = peak / div_factor
                group["max_lr"] = peak
                group["min_lr"] = group["initial_lr"] / final_div_factor
        self.cycle_momentum = cycle_momentum
        if cycle_momentum:
            self._init_momentum(optimizer, base_momentum, max_momentum, last_epoch)
        super().__init__(optimizer, last_epoch)

    def _init_momentum(self, optimizer, base_momentum, max_momentum, last_epoch) -> None:
        if "momentum" not in optimizer.defaults and "betas" not in optimizer.defaults:
            msg = "OneCycleLR: cycle_momentum needs an optimizer with momentum or betas"
            raise ValueError(msg)
        self.use_beta1 = "betas" in optimizer.defaults
        if last_epoch != -1:
            return
        highs = _per_group("OneCycleLR", "max_momentum", optimizer, max_momentum)
        lows = _per_group("OneCycleLR", "base_momentum", optimizer, base_momentum)
        for group, high, low in zip(optimizer.param_groups, highs, lows, strict=True):
            self._set_momentum(group, high)
            group["max_momentum"] = high
            group["base_momentum"] = low

    def _set_momentum(self, group: dict[str, Any], value: float) -> None:
        if self.use_beta1:
            group["betas"] = (value, *group["betas"][1:])
        else:
            group["momentum"] = value

    def _anneal(self, start: float, end: float, pct: float) -> float:
        if self.anneal_strategy == "cos":
            return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)
        return (end - start) * pct + start

    def get_lr(self) -> list[float]:
        step = self.last_epoch
        if step > self.total_steps:
            msg = f"OneCycleLR: stepped {step} times, more than total_steps={self.total_steps}"
            raise ValueError(msg)
        rates = []
        for group in self.optimizer.param_groups:
            start_step = 0.0
            for index, (end_step, lr_keys, momentum_keys) in enumerate(self._phases):
                if step <= end_step or index == len(self._phases) - 1:
                    pct = (step - start_step) / (end_step - start_step)
                    rates.append(self._anneal(group[lr_keys[0]], group[lr_keys[1]], pct))
                    if self.cycle_momentum:
                        momentum = self._anneal(
                            group[momentum_keys[0]], group[momentum_keys[1]], pct
                        )
                        self._set_momentum(group, momentum)
                    break
                start_step = end_step
        return rates


def _one_cycle_steps(total_steps, epochs, steps_per_epoch) -> int:
    if total_steps is not None:
        _check_positive_int("OneCycleLR", "total_steps", total_steps)
        return total_steps
    if epochs is None or steps_per_epoch is None:
        msg = "OneCycleLR: give total_steps, or both epochs and steps_per_epoch"
        raise ValueError(msg)
    _check_positive_int("OneCycleLR", "epochs", epochs)
    _check_positive_int("OneCycleLR", "steps_per_epoch", steps_per_epoch)
    return epochs * steps_per_epoch


def _one_cycle_phases(warmup: float, total: int, three_phase: bool) -> list[tuple]:
    """``(end_step, (start_lr, end_lr) keys, (start, end) momentum keys)`` per phase."""
    rise = (float(warmup) - 1, ("initial_lr", "max_lr"), ("max_momentum", "base_momentum"))
    if not three_phase:
        fall = (total - 1, ("max_lr", "min_lr"), ("base_momentum", "max_momentum"))
        return [rise, fall]
    back = (float(2 * warmup) - 2, ("max_lr", "initial_lr"), ("base_momentum", "max_momentum"))
    fall = (total - 1, ("initial_lr", "min_lr"), ("max_momentum", "max_momentum"))
    return [rise, back, fall]


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
        _check_optimizer("ReduceLROnPlateau", optimizer)
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
        self.min_lrs = _per_group("ReduceLROnPlateau", "min_lr", optimizer, min_lr)
        self.mode, self.factor, self.patience, self.cooldown = mode, factor, patience, cooldown
        self.threshold, self.threshold_mode, self.eps = threshold, threshold_mode, eps
        self.last_epoch = 0
        self._last_lr = self._lrs()
        self.best = math.inf if mode == "min" else -math.inf
        self.cooldown_counter = 0
        self.num_bad_epochs = 0

    def _is_better(self, value: float) -> bool:
        sign = 1.0 if self.mode == "min" else -1.0
        if self.threshold_mode == "rel":
            return sign * value < sign * self.best * (1.0 - sign * self.threshold)
        return sign * value < sign * self.best - self.threshold

    def step(self, metrics) -> None:
        """Record this epoch's ``metrics`` (a number) and reduce the rates if it stalled."""
        current = float(metrics)
        self.last_epoch += 1
        if self._is_better(current):
            self.best = current
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0  # bad epochs in cooldown do not count
        if self.num_bad_epochs > self.patience:
            for group, min_lr in zip(self.optimizer.param_groups, self.min_lrs, strict=True):
                new_lr = max(group["lr"] * self.factor, min_lr)
                if group["lr"] - new_lr > self.eps:
                    group["lr"] = new_lr
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0
        self._last_lr = self._lrs()
