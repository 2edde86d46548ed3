"""Cyclic schedules: ``CyclicLR`` (Smith, 2017) and ``CosineAnnealingWarmRestarts`` (SGDR,
Loshchilov & Hutter, 2017), after :mod:`torch.optim.lr_scheduler`.

Exported by :mod:`xpnet.optim.lr_scheduler` with the other schedulers; their base class and
argument checks are in :mod:`xpnet.optim._scheduler`.
"""

from __future__ import annotations

import functools
import math
import types
from typing import Any

from ._scheduler import LRScheduler, MomentumCycling, check_optimizer, per_group

__all__ = ["CosineAnnealingWarmRestarts", "CyclicLR"]


class CyclicLR(MomentumCycling, LRScheduler):
    """Cycle the rate between ``base_lr`` and ``max_lr`` (the cyclical learning-rate policy).

    Stepped once per batch. Each cycle rises over ``step_size_up`` steps and falls over
    ``step_size_down``; the amplitude is scaled by ``mode``: ``"triangular"`` (constant),
    ``"triangular2"`` (halved each cycle) or ``"exp_range"`` (``gamma ** step``), or by
    ``scale_fn`` of the cycle number or of the step (``scale_mode``). With
    ``cycle_momentum`` the momentum (SGD's ``momentum``, Adam's ``betas[0]``) moves the
    opposite way between ``max_momentum`` and ``base_momentum``.

    Args:
        optimizer: the optimizer.
        base_lr: lowest rate, or one per parameter group (set as each group's rate).
        max_lr: highest rate, or one per group.
        step_size_up: steps of the rising half. Default: ``2000``.
        step_size_down: steps of the falling half. Default: ``step_size_up``.
        mode: ``"triangular"``, ``"triangular2"`` or ``"exp_range"``; ignored with
            ``scale_fn``. Default: ``"triangular"``.
        gamma: the base of ``"exp_range"``. Default: ``1.0``.
        scale_fn: a function of one argument giving the amplitude factor. Default: ``None``.
        scale_mode: ``"cycle"`` or ``"iterations"``: what ``scale_fn`` is given (the modes
            set their own). Default: ``"cycle"``.
        cycle_momentum: cycle the momentum too. Default: ``True``.
        base_momentum: momentum at the peak rate, or one per group. Default: ``0.8``.
        max_momentum: momentum at the lowest rate, or one per group. Default: ``0.9``.
        last_epoch: the index of the last batch. Default: ``-1``.

    Raises:
        ValueError: an unknown ``mode`` without ``scale_fn``; a list not one per group;
            ``cycle_momentum`` with an optimizer that has neither momentum nor betas.

    Example:
        >>> from xpnet.nn import Parameter
        >>> from xpnet.optim import SGD
        >>> opt = SGD([Parameter(xp.zeros(1))], lr=1.0, momentum=0.9)
        >>> scheduler = CyclicLR(opt, base_lr=0.1, max_lr=0.5, step_size_up=2)
        >>> rates = []
        >>> for batch in range(6):
        ...     opt.step()
        ...     rates += scheduler.get_last_lr()
        ...     scheduler.step()
        >>> [round(rate, 6) for rate in rates]
        [0.1, 0.3, 0.5, 0.3, 0.1, 0.3]
    """

    def __init__(
        self,
        optimizer,
        base_lr,
        max_lr,
        step_size_up: int = 2000,
        step_size_down: int | None = None,
        mode: str = "triangular",
        gamma: float = 1.0,
        scale_fn=None,
        scale_mode: str = "cycle",
        cycle_momentum: bool = True,
        base_momentum=0.8,
        max_momentum=0.9,
        last_epoch: int = -1,
    ) -> None:
        check_optimizer("CyclicLR", optimizer)
        self.optimizer = optimizer
        base_lrs = per_group("CyclicLR", "base_lr", optimizer, base_lr)
        if last_epoch == -1:
            for lr, group in zip(base_lrs, optimizer.param_groups, strict=True):
                group["lr"] = lr
        self.max_lrs = per_group("CyclicLR", "max_lr", optimizer, max_lr)
        step_size_up = float(step_size_up)
        step_size_down = float(step_size_down) if step_size_down is not None else step_size_up
        self.total_size = step_size_up + step_size_down
        self.step_ratio = step_size_up / self.total_size
        if mode not in ("triangular", "triangular2", "exp_range") and scale_fn is None:
            msg = f"CyclicLR: mode is invalid and scale_fn is None, got mode={mode!r}"
            raise ValueError(msg)
        self.mode = mode
        self.gamma = gamma
        self._scale_fn_custom = scale_fn
        self.scale_mode = scale_mode
        self._init_scale_fn()
        self.cycle_momentum = cycle_momentum
        if cycle_momentum:
            self.base_momentums, self.max_momentums = self._init_momentum(
                "CyclicLR", optimizer, base_momentum, max_momentum, last_epoch
            )
        super().__init__(optimizer, last_epoch)
        self.base_lrs = base_lrs

    def _init_scale_fn(self) -> None:
        if self._scale_fn_custom is not None:
            return
        if self.mode == "triangular":
            self._scale_fn_ref, self.scale_mode = _triangular_scale_fn, "cycle"
        elif self.mode == "triangular2":
            self._scale_fn_ref, self.scale_mode = _triangular2_scale_fn, "cycle"
        elif self.mode == "exp_range":
            self._scale_fn_ref = functools.partial(_exp_range_scale_fn, self.gamma)
            self.scale_mode = "iterations"

    def scale_fn(self, x) -> float:
        """The amplitude factor at ``x`` (a cycle number or a step, per ``scale_mode``)."""
        if self._scale_fn_custom is not None:
            return self._scale_fn_custom(x)
        return self._scale_fn_ref(x)

    def get_lr(self) -> list[float]:
        cycle = math.floor(1 + self.last_epoch / self.total_size)
        x = 1.0 + self.last_epoch / self.total_size - cycle
        if x <= self.step_ratio:
            scale_factor = x / self.step_ratio
        else:
            scale_factor = (x - 1) / (self.step_ratio - 1)
        at = cycle if self.scale_mode == "cycle" else self.last_epoch
        # scale_fn called once per rate and per momentum, as PyTorch calls it
        rates = [
            base + (high - base) * scale_factor * self.scale_fn(at)
            for base, high in zip(self.base_lrs, self.max_lrs, strict=True)
        ]
        if self.cycle_momentum:
            momenta = [
                high - (high - low) * scale_factor * self.scale_fn(at)
                for low, high in zip(self.base_momentums, self.max_momentums, strict=True)
            ]
            for group, momentum in zip(self.optimizer.param_groups, momenta, strict=True):
                self._set_momentum(group, momentum)
        return rates

    def state_dict(self) -> dict[str, Any]:
        """Every attribute but the optimizer and the mode's scale function; ``scale_fn``
        saved as PyTorch saves it: ``None`` for a function or lambda, else its ``__dict__``."""
        state = {
            k: v
            for k, v in self.__dict__.items()
            if k not in ("optimizer", "_scale_fn_ref", "_scale_fn_custom")
        }
        fn = self._scale_fn_custom
        saved = None if fn is None or isinstance(fn, types.FunctionType) else fn.__dict__.copy()
        state["_scale_fn_custom"] = saved
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore the attributes, and those of a callable ``scale_fn`` object."""
        saved = state_dict["_scale_fn_custom"]
        self.__dict__.update({k: v for k, v in state_dict.items() if k != "_scale_fn_custom"})
        if saved is not None:
            self._scale_fn_custom.__dict__.update(saved)
        self._init_scale_fn()


def _triangular_scale_fn(x: float) -> float:
    return 1.0


def _triangular2_scale_fn(x: float) -> float:
    return 1 / (2.0 ** (x - 1))


def _exp_range_scale_fn(gamma: float, x: float) -> float:
    return gamma**x


class CosineAnnealingWarmRestarts(LRScheduler):
    r"""Cosine annealing with warm restarts (SGDR): anneal from the base rate to ``eta_min``
    over ``T_i`` epochs, then restart, with :math:`T_0` = ``T_0`` and
    :math:`T_{i+1} = T_{mult} T_i`.

    :math:`\eta_t = \eta_{min} + (\eta_{base} - \eta_{min})(1 + \cos(\pi T_{cur} / T_i)) / 2`.
    :meth:`step` takes an optional (fractional) epoch, as PyTorch's, to step per batch:
    ``scheduler.step(epoch + batch / batches)``.

    Args:
        optimizer: the optimizer.
        T_0: epochs until the first restart (positive int).
        T_mult: growth factor of the period after each restart (int >= 1). Default: ``1``.
        eta_min: the smallest rate. Default: ``0``.
        last_epoch: see :class:`~xpnet.optim.lr_scheduler.LRScheduler`. Default: ``-1``.

    Raises:
        ValueError: ``T_0`` not a positive int, ``T_mult`` not an int >= 1, ``eta_min`` not a
            number; a negative epoch given to :meth:`step`.

    Example:
        >>> from xpnet.nn import Parameter
        >>> from xpnet.optim import SGD
        >>> opt = SGD([Parameter(xp.zeros(1))], lr=1.0)
        >>> scheduler = CosineAnnealingWarmRestarts(opt, T_0=2, T_mult=2)
        >>> rates = []
        >>> for epoch in range(7):
        ...     opt.step()
        ...     rates += scheduler.get_last_lr()
        ...     scheduler.step()
        >>> [round(rate, 6) for rate in rates]
        [1.0, 0.5, 1.0, 0.853553, 0.5, 0.146447, 1.0]
    """

    def __init__(
        self, optimizer, T_0: int, T_mult: int = 1, eta_min: float = 0.0, last_epoch: int = -1
    ) -> None:
        if not isinstance(T_0, int) or T_0 <= 0:
            msg = f"CosineAnnealingWarmRestarts: expected positive integer T_0, but got {T_0}"
            raise ValueError(msg)
        if not isinstance(T_mult, int) or T_mult < 1:
            msg = f"CosineAnnealingWarmRestarts: expected integer T_mult >= 1, but got {T_mult}"
            raise ValueError(msg)
        if not isinstance(eta_min, (float, int)):
            msg = (
                "CosineAnnealingWarmRestarts: expected float or int eta_min, "
                f"but got {eta_min} of type {type(eta_min).__name__}"
            )
            raise ValueError(msg)
        self.T_0 = T_0
        self.T_i = T_0
        self.T_mult = T_mult
        self.eta_min = eta_min
        self.T_cur = last_epoch
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        cosine = 1 + math.cos(math.pi * self.T_cur / self.T_i)
        return [self.eta_min + (base - self.eta_min) * cosine / 2 for base in self.base_lrs]

    def step(self, epoch: float | None = None) -> None:
        """Advance one epoch, or jump to ``epoch`` (fractional epochs allowed).

        Raises:
            ValueError: a negative ``epoch``.
        """
        # no _step_count here: PyTorch's override leaves it at 0
        if epoch is None and self.last_epoch < 0:
            epoch = 0
        if epoch is None:
            epoch = self.last_epoch + 1
            self.T_cur = self.T_cur + 1
            if self.T_cur >= self.T_i:
                self.T_cur = self.T_cur % self.T_i
                self.T_i = self.T_i * self.T_mult
        else:
            self._jump_to(epoch)
        self.last_epoch = math.floor(epoch)
        self._set_lrs(self.get_lr())

    def _jump_to(self, epoch: float) -> None:
        """PyTorch's closed form of ``T_cur`` and ``T_i`` at ``epoch``."""
        if epoch < 0:
            msg = f"CosineAnnealingWarmRestarts: expected non-negative epoch, but got {epoch}"
            raise ValueError(msg)
        if epoch < self.T_0:
            self.T_i = self.T_0
            self.T_cur = epoch
        elif self.T_mult == 1:
            self.T_cur = epoch % self.T_0
        else:
            n = int(math.log((epoch / self.T_0 * (self.T_mult - 1) + 1), self.T_mult))
            self.T_cur = epoch - self.T_0 * (self.T_mult**n - 1) / (self.T_mult - 1)
            self.T_i = self.T_0 * self.T_mult ** (n)
