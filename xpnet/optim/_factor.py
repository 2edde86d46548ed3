"""Schedulers that scale the rate by a factor: ``LambdaLR``, ``MultiplicativeLR``, ``ConstantLR``
and ``PolynomialLR``, after :mod:`torch.optim.lr_scheduler`.

Exported by :mod:`xpnet.optim.lr_scheduler` with the other schedulers; their base class and
argument checks are in :mod:`xpnet.optim._scheduler`.
"""

from __future__ import annotations

import types
from typing import Any

from ._scheduler import LRScheduler, check_optimizer

__all__ = ["ConstantLR", "LambdaLR", "MultiplicativeLR", "PolynomialLR"]


class _LambdaScheduler(LRScheduler):
    """What :class:`LambdaLR` and :class:`MultiplicativeLR` share: one function per group,
    saved in :meth:`state_dict` as PyTorch saves it (``None`` for a plain function or lambda,
    the ``__dict__`` of a callable object)."""

    def __init__(self, optimizer, lr_lambda, last_epoch: int = -1) -> None:
        where = type(self).__name__
        check_optimizer(where, optimizer)
        count = len(optimizer.param_groups)
        if not isinstance(lr_lambda, (list, tuple)):
            self.lr_lambdas = [lr_lambda] * count
        elif len(lr_lambda) != count:
            msg = f"{where}: expected {count} lr_lambdas, but got {len(lr_lambda)}"
            raise ValueError(msg)
        else:
            self.lr_lambdas = list(lr_lambda)
        for function in self.lr_lambdas:
            if not callable(function):
                msg = f"{where}: lr_lambda should be a function, but got {type(function).__name__}"
                raise TypeError(msg)
        super().__init__(optimizer, last_epoch)

    def state_dict(self) -> dict[str, Any]:
        """Every attribute but the optimizer; ``lr_lambdas`` as ``None`` for functions and
        lambdas, the attributes (``__dict__``) of callable objects, as in PyTorch."""
        state = {k: v for k, v in self.__dict__.items() if k not in ("optimizer", "lr_lambdas")}
        state["lr_lambdas"] = [
            None if isinstance(fn, types.FunctionType) else fn.__dict__.copy()
            for fn in self.lr_lambdas
        ]
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore the attributes, and those of each callable object saved in ``lr_lambdas``."""
        self.__dict__.update({k: v for k, v in state_dict.items() if k != "lr_lambdas"})
        for function, saved in zip(self.lr_lambdas, state_dict["lr_lambdas"], strict=True):
            if saved is not None:
                function.__dict__.update(saved)


class LambdaLR(_LambdaScheduler):
    """Set the rate to the base rate times ``lr_lambda(epoch)``.

    Args:
        optimizer: the optimizer.
        lr_lambda: a function of the epoch (an int) giving the factor, or a list of them,
            one per parameter group.
        last_epoch: see :class:`~xpnet.optim.lr_scheduler.LRScheduler`. Default: ``-1``.

    Raises:
        ValueError: a list of ``lr_lambda`` not one per group.
        TypeError: an ``lr_lambda`` that is not callable (PyTorch fails later, when calling).

    Example:
        >>> from xpnet.nn import Parameter
        >>> from xpnet.optim import SGD
        >>> opt = SGD([Parameter(xp.zeros(1))], lr=1.0)
        >>> scheduler = LambdaLR(opt, lambda epoch: 1 / (epoch + 1))
        >>> rates = []
        >>> for epoch in range(4):
        ...     opt.step()
        ...     rates += scheduler.get_last_lr()
        ...     scheduler.step()
        >>> rates
        [1.0, 0.5, 0.3333333333333333, 0.25]
    """

    def get_lr(self) -> list[float]:
        return [
            base * function(self.last_epoch)
            for function, base in zip(self.lr_lambdas, self.base_lrs, strict=True)
        ]


class MultiplicativeLR(_LambdaScheduler):
    """Multiply the rate by ``lr_lambda(epoch)`` at every epoch after the first.

    Args:
        optimizer: the optimizer.
        lr_lambda: a function of the epoch (an int) giving the factor, or a list of them,
            one per parameter group.
        last_epoch: see :class:`~xpnet.optim.lr_scheduler.LRScheduler`. Default: ``-1``.

    Raises:
        ValueError: a list of ``lr_lambda`` not one per group.
        TypeError: an ``lr_lambda`` that is not callable.
    """

    def get_lr(self) -> list[float]:
        if self._is_initial:
            return self._lrs()
        return [
            lr * function(self.last_epoch)
            for function, lr in zip(self.lr_lambdas, self._lrs(), strict=True)
        ]


class ConstantLR(LRScheduler):
    """Multiply the rate by ``factor`` until epoch ``total_iters``, then restore it.

    Args:
        optimizer: the optimizer.
        factor: the factor, in ``[0, 1]``. Default: ``1/3``.
        total_iters: the epoch at which the rate is restored. Default: ``5``.
        last_epoch: see :class:`~xpnet.optim.lr_scheduler.LRScheduler`. Default: ``-1``.

    Raises:
        ValueError: ``factor`` outside ``[0, 1]``.
    """

    def __init__(
        self, optimizer, factor: float = 1.0 / 3, total_iters: int = 5, last_epoch: int = -1
    ) -> None:
        if factor > 1.0 or factor < 0:
            msg = f"ConstantLR: factor must be between 0 and 1, got {factor}"
            raise ValueError(msg)
        self.factor = factor
        self.total_iters = total_iters
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        if self.last_epoch == 0:
            return [lr * self.factor for lr in self._lrs()]
        if self.last_epoch != self.total_iters:
            return self._lrs()
        return [lr * (1.0 / self.factor) for lr in self._lrs()]

    def _closed_form_lr(self) -> list[float]:
        reached = self.last_epoch >= self.total_iters
        return [base * (self.factor + reached * (1 - self.factor)) for base in self.base_lrs]


class PolynomialLR(LRScheduler):
    r"""Decay the rate as :math:`(1 - t / T)^{power}` over ``total_iters`` epochs :math:`T`,
    then keep it (at zero).

    Args:
        optimizer: the optimizer.
        total_iters: epochs of the decay. Default: ``5``.
        power: the polynomial's power. Default: ``1.0``.
        last_epoch: see :class:`~xpnet.optim.lr_scheduler.LRScheduler`. Default: ``-1``.
    """

    def __init__(
        self, optimizer, total_iters: int = 5, power: float = 1.0, last_epoch: int = -1
    ) -> None:
        self.total_iters = total_iters
        self.power = power
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        if self._is_initial or self.last_epoch > self.total_iters:
            return self._lrs()
        epoch, total = self.last_epoch, self.total_iters
        decay_factor = ((1.0 - epoch / total) / (1.0 - (epoch - 1) / total)) ** self.power
        return [lr * decay_factor for lr in self._lrs()]

    def _closed_form_lr(self) -> list[float]:
        remaining = 1.0 - min(self.total_iters, self.last_epoch) / self.total_iters
        return [base * remaining**self.power for base in self.base_lrs]
