"""Stochastic weight averaging and exponential moving averages, after
:mod:`torch.optim.swa_utils`: :class:`AveragedModel`, :class:`SWALR`, :func:`update_bn` and the
averaging functions.

:class:`AveragedModel` is an :class:`~xpnet.nn.Module` (:mod:`xpnet.nn.module`) holding a copy
of a model whose parameters (and buffers, with ``use_buffers``) are averaged in place;
:class:`SWALR` is a scheduler on the base class of :mod:`xpnet.optim._scheduler`. The averaging
functions take and update backend arrays (not Tensors), as the optimizers do.
"""

from __future__ import annotations

import copy
import math
from typing import Any

from .._dtypes import get_default_dtype
from ..autograd import Tensor, data_of, no_grad
from ..backends import backend_of, float_errors_ignored, get_backend, load_backend, to_backend
from ..devices import backend_name
from ..nn.batchnorm import BatchNorm1d, BatchNorm2d, BatchNorm3d
from ..nn.module import Module
from ._options import lerp
from ._scheduler import LRScheduler, check_optimizer, per_group

__all__ = [
    "SWALR",
    "AveragedModel",
    "get_ema_avg_fn",
    "get_ema_multi_avg_fn",
    "get_swa_avg_fn",
    "get_swa_multi_avg_fn",
    "update_bn",
]


def _check_decay(where: str, decay: float) -> None:
    if decay < 0.0 or decay > 1.0:
        msg = f"{where}: decay must be in [0, 1], got {decay}"
        raise ValueError(msg)


def _lerp_(starts: list, ends: list, weight) -> None:
    """PyTorch's in-place ``lerp_`` of each array of ``starts`` towards ``ends``:
    ``start + weight * (end - start)`` for ``|weight| < 0.5``, else
    ``end - (end - start) * (1 - weight)`` (chosen on the device for an array weight)."""
    for start, end in zip(starts, ends, strict=True):
        if hasattr(weight, "shape"):
            xp = backend_of(start).xp
            small = start + weight * (end - start)
            start[...] = xp.where(xp.abs(weight) < 0.5, small, end - (end - start) * (1 - weight))
        else:
            start[...] = lerp(abs(weight) < 0.5)(start, end, weight, 1 - weight)


def get_ema_multi_avg_fn(decay: float = 0.999):
    r"""An in-place exponential moving average for :class:`AveragedModel`'s ``multi_avg_fn``:
    :math:`W^{EMA} \leftarrow \text{decay}\, W^{EMA} + (1 - \text{decay}) W^{model}`
    (PyTorch's ``lerp`` with weight ``1 - decay``; integer arrays by the formula, truncated).

    Args:
        decay: the decay rate, in ``[0, 1]``. Default: ``0.999``.

    Returns:
        ``ema_update(ema_arrays, model_arrays, num_averaged)``, updating ``ema_arrays``.

    Raises:
        ValueError: ``decay`` outside ``[0, 1]``.
    """
    _check_decay("get_ema_multi_avg_fn", decay)

    def ema_update(ema_param_list: list, current_param_list: list, _) -> None:
        if ema_param_list[0].dtype.kind in "fc":
            _lerp_(ema_param_list, current_param_list, 1 - decay)
            return
        for ema, current in zip(ema_param_list, current_param_list, strict=True):
            ema[...] = ema * decay + current * (1 - decay)

    return ema_update


def get_swa_multi_avg_fn():
    """An in-place running mean for :class:`AveragedModel`'s ``multi_avg_fn``: PyTorch's
    ``lerp`` towards the model with weight ``1 / (num_averaged + 1)``, that weight rounded to
    the default dtype (float32) as PyTorch's ``1 / tensor`` is.

    Returns:
        ``swa_update(averaged_arrays, model_arrays, num_averaged)``, updating the first.
    """

    def swa_update(averaged_param_list: list, current_param_list: list, num_averaged) -> None:
        if averaged_param_list[0].dtype.kind in "fc":
            xp = backend_of(averaged_param_list[0]).xp
            weight = xp.asarray(1 / (num_averaged + 1)).astype(get_default_dtype())
            _lerp_(averaged_param_list, current_param_list, weight)
            return
        for averaged, current in zip(averaged_param_list, current_param_list, strict=True):
            averaged[...] = averaged + (current - averaged) / (num_averaged + 1)

    return swa_update


def get_ema_avg_fn(decay: float = 0.999):
    r"""The exponential moving average of one array, for :class:`AveragedModel`'s ``avg_fn``:
    ``decay * ema + (1 - decay) * current``.

    Raises:
        ValueError: ``decay`` outside ``[0, 1]``.
    """
    _check_decay("get_ema_avg_fn", decay)

    def ema_update(ema_param, current_param, num_averaged):
        return decay * ema_param + (1 - decay) * current_param

    return ema_update


def get_swa_avg_fn():
    """The running mean of one array, for :class:`AveragedModel`'s ``avg_fn``:
    ``averaged + (current - averaged) / (num_averaged + 1)``, in ``averaged``'s dtype."""

    def swa_update(averaged_param, current_param, num_averaged):
        xp = backend_of(averaged_param).xp
        count = xp.asarray(num_averaged + 1).astype(averaged_param.dtype)
        return averaged_param + (current_param - averaged_param) / count

    return swa_update


class AveragedModel(Module):
    """A copy of ``model`` whose parameters are a running average of ``model``'s (SWA), or an
    exponential moving average (EMA) with :func:`get_ema_multi_avg_fn`.

    :meth:`update_parameters` copies ``model``'s values the first time, then averages them
    in with ``avg_fn`` (one array at a time), ``multi_avg_fn`` (the arrays of one backend and
    dtype at a time, in place) or, by default, the running mean :func:`get_swa_avg_fn` (as
    PyTorch on the CPU; on CUDA PyTorch lerps with a float32 weight instead). The count is the
    int64 buffer ``n_averaged``; reading it (to copy or to average) is one host read per
    update, as in PyTorch.

    Args:
        model: the model to average (deep-copied).
        device: a backend or device to move the copy to. Default: ``None`` (stay).
        avg_fn: ``avg_fn(averaged, current, num_averaged) -> new averaged``. Default: ``None``.
        multi_avg_fn: ``multi_avg_fn(averaged_list, current_list, num_averaged)``, updating
            the first list in place. Default: ``None``.
        use_buffers: average the buffers too (else copy them from ``model``). Default:
            ``False``.

    Raises:
        ValueError: both ``avg_fn`` and ``multi_avg_fn`` (PyTorch raises AssertionError).

    Example:
        >>> import xpnet
        >>> model = xpnet.nn.Linear(2, 1)
        >>> swa = AveragedModel(model)
        >>> for value in (1.0, 2.0, 6.0):
        ...     model.bias.array[...] = value
        ...     swa.update_parameters(model)
        >>> swa.module.bias.array, int(swa.n_averaged)
        (array([3.], dtype=float32), 3)
    """

    def __init__(self, model, device=None, avg_fn=None, multi_avg_fn=None, use_buffers=False):
        super().__init__()
        if avg_fn is not None and multi_avg_fn is not None:
            msg = "AveragedModel: only one of avg_fn and multi_avg_fn should be provided"
            raise ValueError(msg)
        self.module = copy.deepcopy(model)
        if device is not None:
            self.module.to(device)
        arrays = [data_of(p) for p in self.module.parameters()] + list(self.module.buffers())
        backend = backend_of(arrays[0]) if arrays else get_backend()
        self.register_buffer("n_averaged", backend.xp.zeros((), dtype="int64"))
        self.avg_fn = avg_fn
        self.multi_avg_fn = multi_avg_fn
        self.use_buffers = use_buffers

    def forward(self, *args, **kwargs):
        return self.module(*args, **kwargs)

    def _pairs(self, model) -> tuple[list, list]:
        """This copy's arrays and ``model``'s (moved onto their backends), in order."""
        mine, theirs = list(self.module.parameters()), list(model.parameters())
        if self.use_buffers:
            mine += list(self.module.buffers())
            theirs += list(model.buffers())
        averaged, current = [], []
        for own, other in zip(mine, theirs, strict=False):
            own = data_of(own)
            averaged.append(own)
            current.append(to_backend(data_of(other), backend_of(own).name))
        return averaged, current

    @no_grad()
    def update_parameters(self, model) -> None:
        """Average ``model``'s parameters (and buffers, with ``use_buffers``) into this copy;
        copy its buffers otherwise. Reads ``n_averaged`` on the host."""
        averaged, current = self._pairs(model)
        count = backend_of(self.n_averaged).to_host(self.n_averaged).item()
        if count == 0:
            for own, other in zip(averaged, current, strict=True):
                own[...] = other
        # an inf weight averages to NaN (inf - inf), as in PyTorch: a value, not a warning
        elif self.multi_avg_fn is not None or self.avg_fn is None:
            with float_errors_ignored():
                self._average_groups(averaged, current)
        else:
            with float_errors_ignored():
                for own, other in zip(averaged, current, strict=True):
                    own[...] = self.avg_fn(own, other, self._count_on(own))
        if not self.use_buffers:  # keep the buffers in step with the source model
            for own, other in zip(self.module.buffers(), model.buffers(), strict=True):
                own[...] = to_backend(data_of(other), backend_of(own).name)
        self.n_averaged += 1

    def _count_on(self, like):
        return to_backend(self.n_averaged, backend_of(like).name)

    def _average_groups(self, averaged: list, current: list) -> None:
        """``multi_avg_fn`` (or the running mean) per backend and dtype, as PyTorch groups."""
        groups: dict[tuple, tuple[list, list]] = {}
        for own, other in zip(averaged, current, strict=True):
            key = (backend_of(own).name, own.dtype)
            groups.setdefault(key, ([], []))
            groups[key][0].append(own)
            groups[key][1].append(other)
        for own_list, other_list in groups.values():
            count = self._count_on(own_list[0])
            if self.multi_avg_fn is not None:
                self.multi_avg_fn(own_list, other_list, count)
                continue
            mean = get_swa_avg_fn()
            for own, other in zip(own_list, other_list, strict=True):
                own[...] = mean(own, other, count)


_BATCH_NORMS = (BatchNorm1d, BatchNorm2d, BatchNorm3d)  # and SyncBatchNorm, a BatchNorm2d


@no_grad()
def update_bn(loader, model, device=None) -> None:
    """Recompute the running statistics of ``model``'s batch norms with one pass over
    ``loader``: reset, then a cumulative average (``momentum=None``) in training mode; the
    momenta and the mode are restored after.

    Args:
        loader: an iterable of batches: an array or Tensor, or a list/tuple whose first entry
            is the input.
        model: the model (e.g. an :class:`AveragedModel`).
        device: a backend or device to move each input to first. Default: ``None``.

    Example:
        >>> import xpnet
        >>> model = xpnet.nn.BatchNorm1d(2)
        >>> batch = xp.ones((4, 2), dtype=xp.float32)
        >>> update_bn([batch, [3 * batch, "labels"]], model)
        >>> model.running_mean
        array([2., 2.], dtype=float32)
    """
    momenta = [(m, m.momentum) for m in model.modules() if isinstance(m, _BATCH_NORMS)]
    if not momenta:
        return
    for module, _ in momenta:
        if module.track_running_stats:  # PyTorch's reset_running_stats
            module.running_mean[...] = 0
            module.running_var[...] = 1
            module.num_batches_tracked[...] = 0
        module.momentum = None
    was_training = model.training
    model.train()
    for batch in loader:
        if isinstance(batch, (list, tuple)):
            batch = batch[0]
        if device is not None:
            batch = _moved(batch, device)
        model(batch)
    for module, momentum in momenta:
        module.momentum = momentum
    model.train(was_training)


def _moved(batch, device):
    name = load_backend(backend_name(device)).name
    if isinstance(batch, Tensor):
        return Tensor(to_backend(batch.array, name))
    return to_backend(batch, name)


class SWALR(LRScheduler):
    """Anneal each group's rate to its ``swa_lr`` over ``anneal_epochs``, then hold it.

    Args:
        optimizer: the optimizer.
        swa_lr: the rate to reach, or one per parameter group (stored as ``swa_lr``).
        anneal_epochs: epochs of the annealing (an int >= 0). Default: ``10``.
        anneal_strategy: ``"cos"`` or ``"linear"``. Default: ``"cos"``.
        last_epoch: see :class:`~xpnet.optim.lr_scheduler.LRScheduler`. Default: ``-1``.

    Raises:
        ValueError: an unknown ``anneal_strategy``, a bad ``anneal_epochs``, or a list of
            ``swa_lr`` not one per group.

    Example:
        >>> from xpnet.nn import Parameter
        >>> from xpnet.optim import SGD
        >>> opt = SGD([Parameter(xp.zeros(1))], lr=1.0)
        >>> scheduler = SWALR(opt, swa_lr=0.1, anneal_epochs=2, anneal_strategy="linear")
        >>> rates = []
        >>> for epoch in range(4):
        ...     opt.step()
        ...     rates += scheduler.get_last_lr()
        ...     scheduler.step()
        >>> [round(rate, 6) for rate in rates]
        [1.0, 0.55, 0.1, 0.1]
    """

    def __init__(
        self,
        optimizer,
        swa_lr,
        anneal_epochs: int = 10,
        anneal_strategy: str = "cos",
        last_epoch: int = -1,
    ) -> None:
        check_optimizer("SWALR", optimizer)
        for lr, group in zip(
            per_group("SWALR", "swa_lr", optimizer, swa_lr), optimizer.param_groups, strict=True
        ):
            group["swa_lr"] = lr
        if anneal_strategy not in ("cos", "linear"):
            msg = (
                f"SWALR: anneal_strategy must be one of 'cos' or 'linear', got {anneal_strategy!r}"
            )
            raise ValueError(msg)
        self._set_anneal_func(anneal_strategy)
        if not isinstance(anneal_epochs, int) or anneal_epochs < 0:
            msg = f"SWALR: anneal_epochs must be equal or greater than 0, got {anneal_epochs}"
            raise ValueError(msg)
        self.anneal_epochs = anneal_epochs
        super().__init__(optimizer, last_epoch)

    @staticmethod
    def _linear_anneal(t: float) -> float:
        return t

    @staticmethod
    def _cosine_anneal(t: float) -> float:
        return (1 - math.cos(math.pi * t)) / 2

    @staticmethod
    def _get_initial_lr(lr: float, swa_lr: float, alpha: float) -> float:
        if alpha == 1:
            return swa_lr
        return (lr - alpha * swa_lr) / (1 - alpha)

    def _set_anneal_func(self, anneal_strategy: str) -> None:
        self._anneal_strategy = anneal_strategy
        self.anneal_func = self._cosine_anneal if anneal_strategy == "cos" else self._linear_anneal

    def get_lr(self) -> list[float]:
        step = self._step_count - 1
        if self.anneal_epochs == 0:
            step = max(1, step)
        prev_t = max(0, min(1, (step - 1) / max(1, self.anneal_epochs)))
        prev_alpha = self.anneal_func(prev_t)
        groups = self.optimizer.param_groups
        prev_lrs = [self._get_initial_lr(g["lr"], g["swa_lr"], prev_alpha) for g in groups]
        t = max(0, min(1, step / max(1, self.anneal_epochs)))
        alpha = self.anneal_func(t)
        return [
            group["swa_lr"] * alpha + lr * (1 - alpha)
            for group, lr in zip(groups, prev_lrs, strict=True)
        ]

    def state_dict(self) -> dict[str, Any]:
        """Every attribute but the optimizer and the annealing function, as in PyTorch."""
        return {k: v for k, v in self.__dict__.items() if k not in ("optimizer", "anneal_func")}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self.__dict__.update(state_dict)
        self._set_anneal_func(self._anneal_strategy)
