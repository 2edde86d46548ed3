"""Learning-rate schedulers, after :mod:`torch.optim.lr_scheduler`.

Each scheduler computes its rates with PyTorch's formulas, including the recursive
("chainable") updates, so the sequences match PyTorch's to the last bits. Call
``scheduler.step()`` after ``optimizer.step()``, once per epoch (or per batch for
:class:`OneCycleLR`); :class:`ReduceLROnPlateau` takes the monitored metric. The base class
is in :mod:`xpnet.optim._scheduler`, :class:`OneCycleLR` in :mod:`xpnet.optim._one_cycle`,
:class:`ReduceLROnPlateau` in :mod:`xpnet.optim._plateau`, the factor schedulers
(:class:`LambdaLR`, :class:`MultiplicativeLR`, :class:`ConstantLR`, :class:`PolynomialLR`) in
:mod:`xpnet.optim._factor`, :class:`CyclicLR` and :class:`CosineAnnealingWarmRestarts` in
:mod:`xpnet.optim._cyclic` and :class:`ChainedScheduler` in :mod:`xpnet.optim._chained`; all are
exported here (``SWALR`` is in :mod:`xpnet.optim.swa_utils`, as in PyTorch).

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
import numbers
from bisect import bisect_right
from collections import Counter
from typing import Any

from ._chained import ChainedScheduler, check_chain
from ._cyclic import CosineAnnealingWarmRestarts, CyclicLR
from ._factor import ConstantLR, LambdaLR, MultiplicativeLR, PolynomialLR
from ._one_cycle import OneCycleLR
from ._plateau import ReduceLROnPlateau
from ._scheduler import LRScheduler, check_optimizer, check_positive_int

__all__ = [
    "ChainedScheduler",
    "ConstantLR",
    "CosineAnnealingLR",
    "CosineAnnealingWarmRestarts",
    "CyclicLR",
    "ExponentialLR",
    "LRScheduler",
    "LambdaLR",
    "LinearLR",
    "MultiStepLR",
    "MultiplicativeLR",
    "OneCycleLR",
    "PolynomialLR",
    "ReduceLROnPlateau",
    "SequentialLR",
    "StepLR",
]


class StepLR(LRScheduler):
    """Multiply the rate by ``gamma`` every ``step_size`` epochs.

    Args:
        optimizer: the optimizer.
        step_size: epochs between decays (positive int).
        gamma: decay factor. Default: ``0.1``.
        last_epoch: see :class:`LRScheduler`. Default: ``-1``.
    """

    def __init__(self, optimizer, step_size: int, gamma: float = 0.1, last_epoch: int = -1):
        check_positive_int("StepLR", "step_size", step_size)
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
        check_positive_int("CosineAnnealingLR", "T_max", T_max)
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
        total_iters: epochs of the ramp, an int >= 0 (0: ``start_factor`` throughout, as in
            PyTorch). Default: ``5``.
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
        # 0 is PyTorch's too: the start factor, kept
        if (
            not isinstance(total_iters, numbers.Integral)
            or isinstance(total_iters, bool)
            or total_iters < 0
        ):
            msg = f"LinearLR: total_iters must be a non-negative integer, got {total_iters!r}"
            raise ValueError(msg)
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
        check_optimizer("SequentialLR", optimizer)
        _check_sequence(optimizer, schedulers, milestones)
        self._schedulers = list(schedulers)
        self._milestones = list(milestones)
        self.last_epoch = last_epoch + 1
        self.optimizer = optimizer
        for group in optimizer.param_groups:
            group["lr"] = group["initial_lr"]
        # the schedulers' constructors each took a step: undo them (inside chains too), then
        # start the first
        _undo_steps(self._schedulers)
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


def _undo_steps(schedulers) -> None:
    """PyTorch's ``recursive_undo``: one epoch back for each scheduler, nested ones too."""
    for scheduler in schedulers:
        if hasattr(scheduler, "_schedulers"):
            _undo_steps(scheduler._schedulers)
        elif hasattr(scheduler, "last_epoch"):
            scheduler.last_epoch -= 1


def _check_sequence(optimizer, schedulers, milestones) -> None:
    check_chain("SequentialLR", optimizer, schedulers)
    if len(milestones) != len(schedulers) - 1:
        msg = (
            f"SequentialLR: milestones must have len(schedulers) - 1 = {len(schedulers) - 1} "
            f"entries, got {len(milestones)}"
        )
        raise ValueError(msg)
