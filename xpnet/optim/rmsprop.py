"""RMSprop, optionally centered and with momentum.

Built on :class:`~xpnet.optim.Optimizer` (:mod:`xpnet.optim.optimizer`); the other
optimizers are in :mod:`xpnet.optim.sgd` and :mod:`xpnet.optim.adam`.
"""

from __future__ import annotations

import functools
from typing import Any

from ._flat import count_step, update_in_place
from ._options import check_switches, lerp
from .optimizer import Optimizer

INF = float("inf")


class RMSprop(Optimizer):
    r"""RMSprop (Hinton, 2012), step for step the same as :class:`torch.optim.RMSprop`.

    With gradient :math:`g` (negated when ``maximize``, plus :math:`\lambda\theta` with
    weight decay):

    .. math::
        v \leftarrow \alpha v + (1-\alpha) g^2, \quad
        s = \sqrt{v - \bar g^2} + \epsilon \ \text{(centered, with }
            \bar g \leftarrow \alpha \bar g + (1-\alpha) g) \text{ or } \sqrt{v} + \epsilon,

    then :math:`\theta \leftarrow \theta - \gamma g / s`, or with momentum :math:`\mu`:
    :math:`b \leftarrow \mu b + g / s, \ \theta \leftarrow \theta - \gamma b`.

    Args:
        params: parameters, or parameter groups (dicts) with their own hyper-parameters.
        lr: learning rate :math:`\gamma`. Default: ``1e-2``.
        alpha: smoothing constant :math:`\alpha`. Default: ``0.99``.
        eps: :math:`\epsilon`, added to the denominator. Default: ``1e-8``.
        weight_decay: L2 penalty :math:`\lambda`. Default: ``0``.
        momentum: momentum factor :math:`\mu`. Default: ``0``.
        centered: normalise by the estimated variance of the gradient instead of its
            second moment. Default: ``False``.
        capturable: accepted and ignored: xpnet's step never reads the device.
            Default: ``False``.
        foreach: PyTorch's implementation switch, accepted for ported scripts and ignored
            (:func:`~xpnet.optim._options.check_implementation`). Default: ``None``.
        maximize: ascend the objective instead of descending it. Default: ``False``.
        differentiable: must be ``False``: xpnet does not differentiate through a step.
            Default: ``False``.

    State (per parameter): ``step``, ``square_avg``, ``momentum_buffer`` when
    ``momentum > 0``, ``grad_avg`` when ``centered``. After ``step(found_inf=flag)``
    (:class:`xpnet.GradScaler`) ``step`` is a 0-d float64 device array, advanced on the
    device unless the flag is set.

    Raises:
        ValueError: for a negative ``lr``, ``alpha``, ``eps``, ``weight_decay`` or
            ``momentum``.
        NotImplementedError: ``differentiable=True``.

    Example:
        >>> from xpnet.nn import Parameter
        >>> w = Parameter(xp.array([1.0, 2.0]))
        >>> w.grad = xp.array([0.5, -1.0])
        >>> opt = RMSprop([w], lr=0.01)
        >>> opt.step()
        >>> w.array
        array([0.9, 2.1])
    """

    _bounds = dict.fromkeys(["lr", "alpha", "eps", "weight_decay", "momentum"], (0.0, INF))

    def __init__(
        self,
        params,
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum: float = 0,
        centered: bool = False,
        capturable: bool = False,
        foreach: bool | None = None,
        maximize: bool = False,
        differentiable: bool = False,
    ) -> None:
        check_switches("RMSprop", foreach, differentiable=differentiable, capturable=capturable)
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "alpha": alpha,
            "eps": eps,
            "centered": centered,
            "weight_decay": weight_decay,
            "capturable": capturable,
            "foreach": foreach,
            "maximize": maximize,
            "differentiable": differentiable,
        }
        super().__init__(params, defaults)

    def _update(
        self, xp, param, grad, state: dict[str, Any], group: dict[str, Any], found_inf=None
    ) -> None:
        alpha, momentum = group["alpha"], group["momentum"]
        if not state:
            state["step"] = 0
            state["square_avg"] = xp.zeros_like(param.array)
            if momentum > 0:
                state["momentum_buffer"] = xp.zeros_like(param.array)
            if group["centered"]:
                state["grad_avg"] = xp.zeros_like(param.array)
        count_step(param.array, state, found_inf)  # on the device unless the flag skips it
        targets = (param.array, state["square_avg"])
        if group["centered"]:
            targets += (state["grad_avg"],)
        if momentum > 0:
            targets += (state["momentum_buffer"],)
        # PyTorch's grad_avg.lerp_ takes one form or the other as 1 - alpha is under 0.5
        chains = _rmsprop_chains(xp, abs(1 - alpha) < 0.5)
        chain = chains[2 * group["centered"] + (momentum > 0)]
        scalars = (alpha, 1 - alpha, group["eps"], group["lr"], momentum)
        update_in_place(targets, chain, grad, *scalars, *targets, found_inf=found_inf)


@functools.cache
def _rmsprop_chains(xp, small: bool):
    """RMSprop's update as elementwise chains ``chain(grad, alpha, keep, eps, lr, momentum,
    data, square_avg[, grad_avg][, momentum_buffer])``, one per layout of the state (plain,
    momentum, centered, centered with momentum): PyTorch's single-tensor operations in its
    order (``square_avg.mul_(alpha).addcmul_()``, ``grad_avg.lerp_``, ...), its lerp in the
    form for a ``small`` weight ``1 - alpha`` (:func:`~._options.lerp`)."""
    interpolate = lerp(small)

    def averaged(grad, alpha, keep, square_avg):
        return square_avg * alpha + keep * (grad * grad)

    def centered_avg(grad, alpha, keep, eps, square_avg, grad_avg):
        grad_avg = interpolate(grad_avg, grad, keep, alpha)  # PyTorch's lerp
        return xp.sqrt(square_avg - grad_avg * grad_avg) + eps, grad_avg

    def plain(grad, alpha, keep, eps, lr, momentum, data, square_avg):
        square_avg = averaged(grad, alpha, keep, square_avg)
        return data - lr * (grad / (xp.sqrt(square_avg) + eps)), square_avg

    def with_momentum(grad, alpha, keep, eps, lr, momentum, data, square_avg, buffer):
        square_avg = averaged(grad, alpha, keep, square_avg)
        buffer = buffer * momentum + grad / (xp.sqrt(square_avg) + eps)
        return data - lr * buffer, square_avg, buffer

    def centered(grad, alpha, keep, eps, lr, momentum, data, square_avg, grad_avg):
        square_avg = averaged(grad, alpha, keep, square_avg)
        avg, grad_avg = centered_avg(grad, alpha, keep, eps, square_avg, grad_avg)
        return data - lr * (grad / avg), square_avg, grad_avg

    def centered_momentum(grad, alpha, keep, eps, lr, momentum, data, square_avg, grad_avg, buffer):
        square_avg = averaged(grad, alpha, keep, square_avg)
        avg, grad_avg = centered_avg(grad, alpha, keep, eps, square_avg, grad_avg)
        buffer = buffer * momentum + grad / avg
        return data - lr * buffer, square_avg, grad_avg, buffer

    return plain, with_momentum, centered, centered_momentum
