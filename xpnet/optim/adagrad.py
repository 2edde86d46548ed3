"""Adagrad and Adadelta: per-coordinate learning rates from accumulated squared gradients.

Built on :class:`~xpnet.optim.Optimizer` (:mod:`xpnet.optim.optimizer`), which negates the
gradient for ``maximize`` and adds ``weight_decay * param`` before :meth:`_update` runs.
With ``step(found_inf=flag)`` (:class:`xpnet.GradScaler`) the step count is a 0-d float64
device array, advanced unless the flag is set, and a flagged step is a no-op on the device.
"""

from __future__ import annotations

import functools
from typing import Any

from ..backends import backend_of
from ._flat import advanced_step, count_step, counts_on_device, update_in_place
from ._options import check_switches
from .optimizer import Optimizer

INF = float("inf")


class Adagrad(Optimizer):
    r"""Adagrad (Duchi et al., 2011), step for step the same as :class:`torch.optim.Adagrad`.

    With gradient :math:`g` (negated when ``maximize``, plus :math:`\lambda\theta` with
    weight decay) at step :math:`t`: :math:`s \leftarrow s + g^2`, then
    :math:`\theta \leftarrow \theta - \frac{\gamma}{1 + (t-1)\eta} \frac{g}{\sqrt{s} + \epsilon}`.

    Args:
        params: parameters, or parameter groups (dicts) with their own hyper-parameters.
        lr: learning rate :math:`\gamma`. Default: ``1e-2``.
        lr_decay: learning-rate decay :math:`\eta`. Default: ``0``.
        weight_decay: L2 penalty :math:`\lambda`. Default: ``0``.
        initial_accumulator_value: the starting value of :math:`s` for every parameter; as
            in PyTorch, a parameter group's own value is ignored. Default: ``0``.
        eps: :math:`\epsilon`, added to the denominator. Default: ``1e-10``.
        foreach: PyTorch's implementation switch, accepted for ported scripts and ignored
            (:func:`~xpnet.optim._options.check_implementation`). Default: ``None``.
        maximize: ascend the objective instead of descending it. Default: ``False``.
        differentiable: must be ``False``: xpnet does not differentiate through a step.
            Default: ``False``.
        fused: likewise accepted and ignored. Default: ``None``.

    State (per parameter): ``step``, ``sum``, made for every parameter by the constructor
    as in PyTorch (``state_dict()`` holds them before the first step); a parameter whose
    data has since been moved or cast (:meth:`xpnet.nn.Module.to`) gets its ``sum`` made
    again, like its data, at its first step.

    Raises:
        ValueError: for a negative ``lr``, ``lr_decay``, ``weight_decay``,
            ``initial_accumulator_value`` or ``eps``.
        NotImplementedError: ``differentiable=True``.

    Example:
        >>> from xpnet.nn import Parameter
        >>> w = Parameter(xp.array([1.0, 2.0]))
        >>> w.grad = xp.array([0.5, -1.0])
        >>> opt = Adagrad([w], lr=0.1)
        >>> opt.step()
        >>> w.array
        array([0.9, 2.1])
    """

    _bounds = dict.fromkeys(
        ["lr", "lr_decay", "weight_decay", "initial_accumulator_value", "eps"], (0.0, INF)
    )

    def __init__(
        self,
        params,
        lr: float = 1e-2,
        lr_decay: float = 0,
        weight_decay: float = 0,
        initial_accumulator_value: float = 0,
        eps: float = 1e-10,
        foreach: bool | None = None,
        *,
        maximize: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
    ) -> None:
        check_switches("Adagrad", foreach, differentiable=differentiable, fused=fused)
        defaults = {
            "lr": lr,
            "lr_decay": lr_decay,
            "eps": eps,
            "weight_decay": weight_decay,
            "initial_accumulator_value": initial_accumulator_value,
            "foreach": foreach,
            "maximize": maximize,
            "differentiable": differentiable,
            "fused": fused,
        }
        super().__init__(params, defaults)
        for group in self.param_groups:  # not those added later: PyTorch's too
            for param in group["params"]:
                self.state[id(param)] = self._fresh_state(param.array)

    def _fresh_state(self, data) -> dict[str, Any]:
        # the constructor's value, as PyTorch, which ignores a group's own
        value = self.defaults["initial_accumulator_value"]
        return {"step": 0, "sum": backend_of(data).xp.full_like(data, value)}

    def _step_bucket(self, params: list, group: dict[str, Any], found_inf=None) -> None:
        for param in params:  # the constructor's state of a parameter since moved or cast
            state = self.state.get(id(param))
            if state and not hasattr(state["step"], "shape") and state["step"] == 0:
                total = state["sum"]
                if type(total) is not type(param.array) or total.dtype != param.array.dtype:
                    self.state[id(param)] = self._fresh_state(param.array)
        super()._step_bucket(params, group, found_inf)

    def _update(
        self, xp, param, grad, state: dict[str, Any], group: dict[str, Any], found_inf=None
    ) -> None:
        if not state:  # a parameter of a group added after the constructor
            state.update(self._fresh_state(param.array))
        lr, lr_decay = group["lr"], group["lr_decay"]
        if not counts_on_device(state, found_inf):
            state["step"] += 1
            clr = lr / (1 + (state["step"] - 1) * lr_decay)
        else:  # the step count on the device, and the learning rate from it
            state["step"], clr = advanced_step(
                param.array, state["step"], found_inf, _decayed_lr, lr, lr_decay
            )
        targets = (param.array, state["sum"])
        args = (grad, clr, group["eps"], *targets)
        update_in_place(targets, _adagrad_chain(xp), *args, found_inf=found_inf)


class Adadelta(Optimizer):
    r"""Adadelta (Zeiler, 2012), step for step the same as :class:`torch.optim.Adadelta`.

    With gradient :math:`g` (negated when ``maximize``, plus :math:`\lambda\theta` with
    weight decay): :math:`v \leftarrow \rho v + (1-\rho) g^2`,
    :math:`\Delta = \frac{\sqrt{u + \epsilon}}{\sqrt{v + \epsilon}} g`,
    :math:`u \leftarrow \rho u + (1-\rho) \Delta^2`, :math:`\theta \leftarrow \theta -
    \gamma \Delta`.

    Args:
        params: parameters, or parameter groups (dicts) with their own hyper-parameters.
        lr: coefficient :math:`\gamma` that scales the update. Default: ``1.0``.
        rho: smoothing constant :math:`\rho` of both running averages. Default: ``0.9``.
        eps: :math:`\epsilon`, added inside both square roots. Default: ``1e-6``.
        weight_decay: L2 penalty :math:`\lambda`. Default: ``0``.
        foreach: PyTorch's implementation switch, accepted for ported scripts and ignored
            (:func:`~xpnet.optim._options.check_implementation`). Default: ``None``.
        capturable: accepted and ignored: xpnet's step never reads the device.
            Default: ``False``.
        maximize: ascend the objective instead of descending it. Default: ``False``.
        differentiable: must be ``False``: xpnet does not differentiate through a step.
            Default: ``False``.

    State (per parameter): ``step``, ``square_avg`` (:math:`v`), ``acc_delta`` (:math:`u`).

    Raises:
        ValueError: for a negative ``lr``, ``eps`` or ``weight_decay``, or ``rho`` outside
            ``[0, 1)`` (PyTorch also accepts ``rho = 1``).
        NotImplementedError: ``differentiable=True``.

    Example:
        >>> from xpnet.nn import Parameter
        >>> w = Parameter(xp.array([1.0, 2.0]))
        >>> w.grad = xp.array([0.5, -1.0])
        >>> opt = Adadelta([w])
        >>> opt.step()
        >>> w.array.round(6)
        array([0.996838, 2.003162])
    """

    _bounds = {
        "lr": (0.0, INF),
        "rho": (0.0, 1.0),
        "eps": (0.0, INF),
        "weight_decay": (0.0, INF),
    }

    def __init__(
        self,
        params,
        lr: float = 1.0,
        rho: float = 0.9,
        eps: float = 1e-6,
        weight_decay: float = 0,
        foreach: bool | None = None,
        *,
        capturable: bool = False,
        maximize: bool = False,
        differentiable: bool = False,
    ) -> None:
        check_switches("Adadelta", foreach, differentiable=differentiable, capturable=capturable)
        defaults = {
            "lr": lr,
            "rho": rho,
            "eps": eps,
            "weight_decay": weight_decay,
            "maximize": maximize,
            "capturable": capturable,
            "foreach": foreach,
            "differentiable": differentiable,
        }
        super().__init__(params, defaults)

    def _update(
        self, xp, param, grad, state: dict[str, Any], group: dict[str, Any], found_inf=None
    ) -> None:
        rho, eps = group["rho"], group["eps"]
        if not state:
            state["step"] = 0
            state["square_avg"] = xp.zeros_like(param.array)
            state["acc_delta"] = xp.zeros_like(param.array)
        count_step(param.array, state, found_inf)
        targets = (param.array, state["square_avg"], state["acc_delta"])
        chain = _adadelta_chain(xp)
        args = (grad, rho, 1 - rho, eps, group["lr"], *targets)
        update_in_place(targets, chain, *args, found_inf=found_inf)


def _decayed_lr(xp, step, lr, lr_decay):
    """Adagrad's ``lr / (1 + (step - 1) * lr_decay)`` of a step count on the device (float64:
    the host's arithmetic, the same bits)."""
    return (lr / (1 + (step - 1) * lr_decay),)


# The updates as elementwise chains: PyTorch's single-tensor operations in its order
# (``state_sum.addcmul_(grad, grad)``, ``square_avg.mul_(rho).addcmul_()``, ...), the same bits.
@functools.cache
def _adagrad_chain(xp):
    def chain(grad, clr, eps, data, state_sum):
        state_sum = state_sum + grad * grad
        return data - clr * (grad / (xp.sqrt(state_sum) + eps)), state_sum

    return chain


@functools.cache
def _adadelta_chain(xp):
    def chain(grad, rho, keep, eps, lr, data, square_avg, acc_delta):
        square_avg = square_avg * rho + keep * (grad * grad)
        delta = xp.sqrt(acc_delta + eps) / xp.sqrt(square_avg + eps) * grad
        acc_delta = acc_delta * rho + keep * (delta * delta)
        return data - lr * delta, square_avg, acc_delta

    return chain
