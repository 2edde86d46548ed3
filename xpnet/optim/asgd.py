"""ASGD: stochastic gradient descent with a decaying rate and an average of the iterates.

Built on :class:`~xpnet.optim.Optimizer` (:mod:`xpnet.optim.optimizer`), which negates the
gradient for ``maximize`` and adds ``weight_decay * param`` before :meth:`ASGD._update` runs.
"""

from __future__ import annotations

import functools
from typing import Any

from ._flat import counts_on_device, update_in_place
from ._options import advanced_state, check_switches, round_scalar, scalar_dtype
from .optimizer import Optimizer

INF = float("inf")


class ASGD(Optimizer):
    r"""Averaged SGD (Polyak & Juditsky, 1992), step for step the same as
    :class:`torch.optim.ASGD`.

    With gradient :math:`g` (negated when ``maximize``, plus :math:`\lambda_w\theta` with
    weight decay), rate :math:`\eta` and averaging weight :math:`\mu` (both of the previous
    step):

    .. math::
        \theta \leftarrow \theta (1 - \lambda\eta) - \eta g, \quad
        a \leftarrow a + \mu (\theta - a) \ (a \leftarrow \theta \text{ while } \mu = 1),

    then :math:`\eta \leftarrow \gamma / (1 + \lambda\gamma t)^\alpha` and
    :math:`\mu \leftarrow 1 / \max(1, t - t_0)`, rounded as PyTorch's 0-d state of its scalar
    dtype holds them (float32, float64 under a float64 default dtype).

    Args:
        params: parameters, or parameter groups (dicts) with their own hyper-parameters.
        lr: learning rate :math:`\gamma` (the first step's :math:`\eta`). Default: ``1e-2``.
        lambd: decay term :math:`\lambda`. Default: ``1e-4``.
        alpha: power :math:`\alpha` of the rate's decay. Default: ``0.75``.
        t0: the step :math:`t_0` at which averaging starts. Default: ``1e6``.
        weight_decay: L2 penalty :math:`\lambda_w`. Default: ``0``.
        foreach: PyTorch's implementation switch, accepted and ignored. Default: ``None``.
        maximize: ascend the objective instead of descending it. Default: ``False``.
        differentiable: must be ``False``. Default: ``False``.
        capturable: accepted and ignored: xpnet's step never reads the device.
            Default: ``False``.

    State (per parameter): ``step``, ``eta``, ``mu`` (numbers) and ``ax`` (the average
    :math:`a`). After ``step(found_inf=flag)`` (:class:`xpnet.GradScaler`) ``step``, ``eta``
    and ``mu`` are 0-d float64 device arrays, advanced on the device unless the flag is set.

    Raises:
        ValueError: for a negative ``lr`` or ``weight_decay``.
        NotImplementedError: ``differentiable=True``.

    Example:
        >>> from xpnet.nn import Parameter
        >>> w = Parameter(xp.array([1.0, 2.0]))
        >>> w.grad = xp.array([0.5, -1.0])
        >>> opt = ASGD([w], lr=0.1, lambd=0.0)
        >>> opt.step()
        >>> w.array.round(6)
        array([0.95, 2.1 ])
    """

    _bounds = {"lr": (0.0, INF), "weight_decay": (0.0, INF)}

    def __init__(
        self,
        params,
        lr: float = 1e-2,
        lambd: float = 1e-4,
        alpha: float = 0.75,
        t0: float = 1e6,
        weight_decay: float = 0,
        foreach: bool | None = None,
        maximize: bool = False,
        differentiable: bool = False,
        capturable: bool = False,
    ) -> None:
        check_switches("ASGD", foreach, differentiable=differentiable, capturable=capturable)
        defaults = {
            "lr": lr,
            "lambd": lambd,
            "alpha": alpha,
            "t0": t0,
            "weight_decay": weight_decay,
            "foreach": foreach,
            "maximize": maximize,
            "differentiable": differentiable,
            "capturable": capturable,
        }
        super().__init__(params, defaults)

    def _update(
        self, xp, param, grad, state: dict[str, Any], group: dict[str, Any], found_inf=None
    ) -> None:
        lr, lambd, alpha, t0 = group["lr"], group["lambd"], group["alpha"], group["t0"]
        if not state:
            state["step"] = 0
            state["eta"] = round_scalar(lr)
            state["mu"] = 1.0
            state["ax"] = xp.zeros_like(param.array)
        mode = "either"  # mu on the device: a flag there picks the copy or the average
        if not counts_on_device(state, found_inf):
            eta, mu = state["eta"], state["mu"]
            scalars = (1 - lambd * eta, eta, mu)
            mode = "copy" if mu == 1 else "average"
            step = state["step"] = state["step"] + 1
            state["eta"] = round_scalar(lr / ((1 + lambd * lr * step) ** alpha))
            state["mu"] = round_scalar(1 / max(1, step - t0))
        else:
            keys = ("step", "eta", "mu")
            args = (lr, lambd, lambd * lr, alpha, t0)
            advance = _asgd_scalars(scalar_dtype().type)  # numpy.float32, as xp.float32
            scalars = advanced_state(param.array, state, keys, found_inf, advance, *args)
        targets = (param.array, state["ax"])
        chain = _asgd_chain(xp, mode)
        update_in_place(targets, chain, *targets, grad, *scalars, found_inf=found_inf)


@functools.cache
def _asgd_scalars(held):
    """``scalars(xp, step, eta, mu, *args)``: the step's ``(1 - lambd * eta, eta, mu)``, and
    the next ``step``, ``eta`` and ``mu`` (rounded to ``held``, PyTorch's scalar dtype), of a
    step count on the device, in float64."""

    def scalars(xp, step, eta, mu, lr, lambd, lambd_lr, alpha, t0):
        scalars = (1 - lambd * eta, eta, mu)
        step = step + 1.0
        next_eta = lr / xp.power(1 + lambd_lr * step, alpha)
        next_mu = 1 / xp.maximum(1.0, step - t0)
        rounded = (value.astype(held).astype(xp.float64) for value in (next_eta, next_mu))
        return (step, *rounded), scalars

    return scalars


@functools.cache
def _asgd_chain(xp, mode: str):
    """ASGD's update, PyTorch's single-tensor operations in its order
    (``param.mul_(1 - lambd * eta)``, ``param.add_(grad, alpha=-eta)``, then
    ``ax.copy_(param)`` while ``mu == 1`` (``"copy"``), else ``ax.add_(param.sub(ax)
    .mul_(mu))`` (``"average"``); ``"either"``: as the device scalar ``mu`` says)."""

    def chain(data, ax, grad, decay, eta, mu):
        data = data * decay - eta * grad
        if mode == "copy":
            return data, data
        if mode == "average":
            return data, ax + (data - ax) * mu
        return data, xp.where(mu == 1, data, ax + (data - ax) * mu)

    return chain
