"""``ChainedScheduler``, after :mod:`torch.optim.lr_scheduler`: several schedulers stepped as one.

Exported by :mod:`xpnet.optim.lr_scheduler`, whose ``SequentialLR`` shares the check of
the schedulers given (:func:`check_chain`); the base class is in :mod:`xpnet.optim._scheduler`.
"""

from __future__ import annotations

from typing import Any

from ._plateau import ReduceLROnPlateau
from ._scheduler import LRScheduler

__all__ = ["ChainedScheduler", "check_chain"]


def check_chain(where: str, optimizer, schedulers) -> None:
    """Check that ``schedulers`` is not empty and each one is a stepping scheduler of
    ``optimizer``, as PyTorch's ``SequentialLR`` and ``ChainedScheduler`` do.

    Raises:
        ValueError: no schedulers, a :class:`ReduceLROnPlateau`, or a scheduler of another
            optimizer.
        TypeError: an entry without an ``optimizer`` attribute.
    """
    if len(schedulers) < 1:
        msg = f"{where}: schedulers must hold at least one scheduler, got none"
        raise ValueError(msg)
    for index, scheduler in enumerate(schedulers):
        if not hasattr(scheduler, "optimizer"):
            msg = f"{where}: schedulers[{index}] has no optimizer attribute, got {scheduler!r}"
            raise TypeError(msg)
        if isinstance(scheduler, ReduceLROnPlateau):
            msg = f"{where}: schedulers[{index}] is a ReduceLROnPlateau, which needs a metric"
            raise ValueError(msg)
        if scheduler.optimizer is not optimizer:
            msg = f"{where}: schedulers[{index}] belongs to another optimizer"
            raise ValueError(msg)


class ChainedScheduler(LRScheduler):
    """Step every scheduler of ``schedulers`` in turn at each :meth:`step`.

    Each scheduler changes the rate the one before it left (PyTorch's chainable forms), so
    their factors compose: e.g. a ``ConstantLR`` warm-up times an ``ExponentialLR`` decay.

    Args:
        schedulers: the schedulers, all of one optimizer (not :class:`ReduceLROnPlateau`).
        optimizer: their optimizer. Default: that of ``schedulers[0]``.

    Raises:
        ValueError: no schedulers, a :class:`ReduceLROnPlateau`, or schedulers of different
            optimizers.
        TypeError: an entry without an ``optimizer`` attribute.

    Example:
        >>> from xpnet.nn import Parameter
        >>> from xpnet.optim import SGD
        >>> from xpnet.optim.lr_scheduler import ConstantLR, ExponentialLR
        >>> opt = SGD([Parameter(xp.zeros(1))], lr=1.0)
        >>> scheduler = ChainedScheduler([ConstantLR(opt, 0.1, 2), ExponentialLR(opt, 0.5)])
        >>> rates = []
        >>> for epoch in range(4):
        ...     opt.step()
        ...     rates += scheduler.get_last_lr()
        ...     scheduler.step()
        >>> [round(rate, 6) for rate in rates]
        [0.1, 0.05, 0.25, 0.125]
    """

    def __init__(self, schedulers, optimizer=None) -> None:
        if len(schedulers) >= 1 and optimizer is None:
            optimizer = getattr(schedulers[0], "optimizer", None)
        check_chain("ChainedScheduler", optimizer, schedulers)
        self._schedulers = schedulers
        self.optimizer = optimizer
        self._last_lr = self._lrs()

    def step(self) -> None:
        """Step each scheduler, in order."""
        for scheduler in self._schedulers:
            scheduler.step()
        self._last_lr = self._lrs()

    def state_dict(self) -> dict[str, Any]:
        """Own attributes plus each scheduler's state dict under ``_schedulers``."""
        state = {k: v for k, v in self.__dict__.items() if k not in ("optimizer", "_schedulers")}
        state["_schedulers"] = [scheduler.state_dict() for scheduler in self._schedulers]
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self.__dict__.update({k: v for k, v in state_dict.items() if k != "_schedulers"})
        for scheduler, saved in zip(self._schedulers, state_dict["_schedulers"], strict=True):
            scheduler.load_state_dict(saved)
