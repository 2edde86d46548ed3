"""RMSprop, optionally centered and with momentum.

Built on :class:`~xpnet.optim.Optimizer` (:mod:`xpnet.optim.optimizer`); the other
optimizers are in :mod:`xpnet.optim.sgd` and :mod:`xpnet.optim.adam`.
"""

from __future__ import annotations

from typing import Any

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
        maximize: ascend the objective instead of descending it. Default: ``False``.

    State (per parameter): ``step``, ``square_avg``, ``momentum_buffer`` when
    ``momentum > 0``, ``grad_avg`` when ``centered``.

    Raises:
        ValueError: for a negative ``lr``, ``alpha``, ``eps``, ``weight_decay`` or
            ``momentum``.

    Example:
        >>> from xpnet.nn import Parameter
        >>> w = Parameter(xp.array([1.0, 2.0]))
        >>> w.grad = xp.array([0.5, -1.0])
        >>> opt = RMSprop([w], lr=0.01)
        >>> opt.step()
        >>> w.data
        array([0.9, 2.1])
    """

    _bounds = dict.fromkeys(["lr", "alpha", "eps", "weight_decay", "momentum"], (0.0, INF))

    def __init__(
        self,
        params,
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        momentum: float = 0.0,
        centered: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        defaults = {
            "lr": lr,
            "alpha": alpha,
            "eps": eps,
            "weight_decay": weight_decay,
            "momentum": momentum,
            "centered": centered,
            "maximize": maximize,
        }
        super().__init__(params, defaults)

    def _update(self, xp, param, grad, state: dict[str, Any], group: dict[str, Any]) -> None:
        alpha, momentum = group["alpha"], group["momentum"]
        if not state:
            state["step"] = 0
            state["square_avg"] = xp.zeros_like(param.data)
            if momentum > 0:
                state["momentum_buffer"] = xp.zeros_like(param.data)
            if group["centered"]:
                state["grad_avg"] = xp.zeros_like(param.data)
        state["step"] += 1
        square_avg = state["square_avg"]
        square_avg *= alpha
        square_avg += (1 - alpha) * (grad * grad)
        if group["centered"]:
            grad_avg = state["grad_avg"]
            grad_avg += (1 - alpha) * (grad - grad_avg)  # PyTorch's lerp
            avg = xp.sqrt(square_avg - grad_avg * grad_avg)
        else:
            avg = xp.sqrt(square_avg)
        avg += group["eps"]
        if momentum > 0:
            buffer = state["momentum_buffer"]
            buffer *= momentum
            buffer += grad / avg
            param.data -= group["lr"] * buffer
        else:
            param.data -= group["lr"] * (grad / avg)
