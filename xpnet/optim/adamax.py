"""Adamax: Adam with the infinity norm in place of the second moment.

Built on :class:`~xpnet.optim.Optimizer` (:mod:`xpnet.optim.optimizer`), which negates the
gradient for ``maximize`` and adds ``weight_decay * param`` before :meth:`Adamax._update` runs;
the other Adam variants are in :mod:`xpnet.optim.adam` and :mod:`xpnet.optim.adam_variants`.
"""

from __future__ import annotations

import functools
from typing import Any

from ._flat import advanced_step, counts_on_device, update_in_place
from ._options import check_switches, lerp
from .optimizer import Optimizer

INF = float("inf")


class Adamax(Optimizer):
    r"""Adamax (Kingma & Ba, 2015), step for step the same as :class:`torch.optim.Adamax`.

    With gradient :math:`g` (negated when ``maximize``, plus :math:`\lambda\theta` with
    weight decay) at step :math:`t`:

    .. math::
        m \leftarrow \beta_1 m + (1-\beta_1) g, \quad
        u \leftarrow \max(\beta_2 u, |g| + \epsilon), \quad
        \theta \leftarrow \theta - \frac{\gamma}{1-\beta_1^t} \frac{m}{u}

    Args:
        params: parameters, or parameter groups (dicts) with their own hyper-parameters.
        lr: learning rate :math:`\gamma`. Default: ``2e-3``.
        betas: :math:`(\beta_1, \beta_2)`, decay rates of the first moment and of the
            infinity norm. Default: ``(0.9, 0.999)``.
        eps: :math:`\epsilon`, added to :math:`|g|`. Default: ``1e-8``.
        weight_decay: L2 penalty :math:`\lambda`. Default: ``0``.
        foreach: PyTorch's implementation switch, accepted and ignored
            (:func:`~xpnet.optim._options.check_switches`). Default: ``None``.
        maximize: ascend the objective instead of descending it. Default: ``False``.
        differentiable: must be ``False``: xpnet does not differentiate through a step.
            Default: ``False``.
        capturable: accepted and ignored: xpnet's step never reads the device.
            Default: ``False``.

    State (per parameter): ``step``, ``exp_avg`` (:math:`m`), ``exp_inf`` (:math:`u`).
    After ``step(found_inf=flag)`` (:class:`xpnet.GradScaler`) ``step`` is a 0-d float64
    device array, advanced on the device unless the flag is set.

    Raises:
        ValueError: for a negative ``lr``, ``eps`` or ``weight_decay``, ``betas`` not a pair,
            or a beta outside ``[0, 1)``.

    Example:
        >>> from xpnet.nn import Parameter
        >>> w = Parameter(xp.array([1.0, 2.0]))
        >>> w.grad = xp.array([0.5, -1.0])
        >>> opt = Adamax([w], lr=0.1)
        >>> opt.step()
        >>> w.array.round(6)
        array([0.9, 2.1])
    """

    _bounds = {"lr": (0.0, INF), "eps": (0.0, INF), "weight_decay": (0.0, INF), "betas": (0.0, 1.0)}

    def __init__(
        self,
        params,
        lr: float = 2e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        foreach: bool | None = None,
        *,
        maximize: bool = False,
        differentiable: bool = False,
        capturable: bool = False,
    ) -> None:
        where = type(self).__name__
        check_switches(where, foreach, differentiable=differentiable, capturable=capturable)
        defaults = {
            "lr": lr,
            "betas": check_betas(where, betas),
            "eps": eps,
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
        lr, (beta1, beta2) = group["lr"], group["betas"]
        if not state:
            state["step"] = 0
            state["exp_avg"] = xp.zeros_like(param.array)
            state["exp_inf"] = xp.zeros_like(param.array)
        if not counts_on_device(state, found_inf):
            state["step"] += 1
            step_size = lr / (1 - beta1 ** state["step"])
        else:
            state["step"], step_size = advanced_step(
                param.array, state["step"], found_inf, _step_size, lr, beta1
            )
        targets = (param.array, state["exp_avg"], state["exp_inf"])
        chain = _adamax_chain(xp, abs(1 - beta1) < 0.5)
        args = (*targets, grad, 1 - beta1, beta1, beta2, group["eps"], step_size)
        update_in_place(targets, chain, *args, found_inf=found_inf)


def check_betas(where: str, betas) -> tuple[float, float]:
    """``betas`` as a tuple, checked to be a pair (its range is in the optimizer's ``_bounds``).

    Raises:
        ValueError: ``betas`` is not a pair.
    """
    if not isinstance(betas, tuple | list) or len(betas) != 2:
        msg = f"{where}: betas must be a pair (beta1, beta2), got {betas!r}"
        raise ValueError(msg)
    return tuple(betas)


def _step_size(xp, step, lr, beta1):
    """``lr / (1 - beta1**step)`` of a step count on the device, in float64."""
    return (lr / (1 - xp.power(beta1, step)),)


@functools.cache
def _adamax_chain(xp, small: bool):
    """Adamax's update as one elementwise chain: PyTorch's single-tensor operations in its
    order (``exp_avg.lerp_``, ``maximum(exp_inf.mul_(beta2), grad.abs().add_(eps))``,
    ``param.addcdiv_(exp_avg, exp_inf, value=-clr)``)."""
    interpolate = lerp(small)

    def chain(data, exp_avg, exp_inf, grad, weight, keep, beta2, eps, step_size):
        exp_avg = interpolate(exp_avg, grad, weight, keep)
        exp_inf = xp.maximum(exp_inf * beta2, xp.abs(grad) + eps)
        return data - step_size * (exp_avg / exp_inf), exp_avg, exp_inf

    return chain
