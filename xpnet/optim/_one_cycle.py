"""The one-cycle learning-rate policy (Smith & Topin, 2017), after PyTorch's ``OneCycleLR``.

Exported by :mod:`xpnet.optim.lr_scheduler` with the other schedulers; its base class and
argument checks are in :mod:`xpnet.optim._scheduler`.
"""

from __future__ import annotations

import math

from ._scheduler import LRScheduler, MomentumCycling, check_optimizer, check_positive_int, per_group


class OneCycleLR(MomentumCycling, LRScheduler):
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
        check_optimizer("OneCycleLR", optimizer)
        self.total_steps = _one_cycle_steps(total_steps, epochs, steps_per_epoch)
        if not isinstance(pct_start, float) or not 0 <= pct_start <= 1:
            msg = f"OneCycleLR: pct_start must be a float in [0, 1], got {pct_start!r}"
            raise ValueError(msg)
        if anneal_strategy not in ("cos", "linear"):
            msg = f"OneCycleLR: anneal_strategy must be 'cos' or 'linear', got {anneal_strategy!r}"
            raise ValueError(msg)
        # PyTorch's attribute names, so that state dicts load both ways
        self._anneal_func_type = anneal_strategy
        self._schedule_phases = _one_cycle_phases(
            pct_start * self.total_steps, self.total_steps, three_phase
        )
        if last_epoch == -1:
            for group, peak in zip(
                optimizer.param_groups,
                per_group("OneCycleLR", "max_lr", optimizer, max_lr),
                strict=True,
            ):
                group["initial_lr"] = peak / div_factor
                group["max_lr"] = peak
                group["min_lr"] = group["initial_lr"] / final_div_factor
        self.cycle_momentum = cycle_momentum
        if cycle_momentum:
            self._init_momentum("OneCycleLR", optimizer, base_momentum, max_momentum, last_epoch)
        super().__init__(optimizer, last_epoch)

    def _anneal(self, start: float, end: float, pct: float) -> float:
        if self._anneal_func_type == "cos":
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
            for index, phase in enumerate(self._schedule_phases):
                end_step = phase["end_step"]
                if step <= end_step or index == len(self._schedule_phases) - 1:
                    pct = (step - start_step) / (end_step - start_step)
                    start, end = group[phase["start_lr"]], group[phase["end_lr"]]
                    rates.append(self._anneal(start, end, pct))
                    if self.cycle_momentum:
                        start, end = group[phase["start_momentum"]], group[phase["end_momentum"]]
                        self._set_momentum(group, self._anneal(start, end, pct))
                    break
                start_step = end_step
        return rates


def _one_cycle_steps(total_steps, epochs, steps_per_epoch) -> int:
    if total_steps is not None:
        check_positive_int("OneCycleLR", "total_steps", total_steps)
        return total_steps
    if epochs is None or steps_per_epoch is None:
        msg = "OneCycleLR: give total_steps, or both epochs and steps_per_epoch"
        raise ValueError(msg)
    check_positive_int("OneCycleLR", "epochs", epochs)
    check_positive_int("OneCycleLR", "steps_per_epoch", steps_per_epoch)
    return epochs * steps_per_epoch


def _one_cycle_phases(warmup: float, total: int, three_phase: bool) -> list[dict]:
    """PyTorch's ``_schedule_phases``: per phase, the step it ends at and the group keys of
    its start and end rates and momenta."""

    def phase(end_step, start_lr, end_lr, start_momentum, end_momentum) -> dict:
        return {
            "end_step": end_step,
            "start_lr": start_lr,
            "end_lr": end_lr,
            "start_momentum": start_momentum,
            "end_momentum": end_momentum,
        }

    rise = phase(float(warmup) - 1, "initial_lr", "max_lr", "max_momentum", "base_momentum")
    if not three_phase:
        return [rise, phase(total - 1, "max_lr", "min_lr", "base_momentum", "max_momentum")]
    return [
        rise,
        phase(float(2 * warmup) - 2, "max_lr", "initial_lr", "base_momentum", "max_momentum"),
        phase(total - 1, "initial_lr", "min_lr", "max_momentum", "max_momentum"),
    ]
