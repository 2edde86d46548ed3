"""Stochastic gradient descent with momentum, dampening, Nesterov and weight decay.

Built on :class:`~xpnet.optim.Optimizer` (:mod:`xpnet.optim.optimizer`); the other
optimizers are in :mod:`xpnet.optim.adam` and :mod:`xpnet.optim.rmsprop`.
"""

from __future__ import annotations

from typing import Any

from ..backends import backend_of
from ._flat import update_in_place
from ._options import check_switches
from .optimizer import Optimizer

INF = float("inf")


class SGD(Optimizer):
    r"""Stochastic gradient descent, step for step the same as :class:`torch.optim.SGD`.

    For each parameter :math:`\theta` with gradient :math:`g` (negated when ``maximize``):

    .. math::
        g \leftarrow g + \lambda\theta, \quad
        b \leftarrow \mu b + (1 - \tau) g \ (b = g \text{ at the first step}), \quad
        \theta \leftarrow \theta - \gamma (g + \mu b \text{ if nesterov else } b)

    with learning rate :math:`\gamma`, momentum :math:`\mu`, dampening :math:`\tau` and
    weight decay :math:`\lambda`; without momentum, :math:`\theta \leftarrow \theta - \gamma g`.

    Args:
        params: parameters, or parameter groups (dicts) with their own hyper-parameters.
        lr: learning rate :math:`\gamma`. Default: ``1e-3``.
        momentum: momentum factor :math:`\mu`. Default: ``0``.
        dampening: dampening :math:`\tau` of the momentum. Default: ``0``.
        weight_decay: L2 penalty :math:`\lambda`. Default: ``0``.
        nesterov: use Nesterov momentum. Default: ``False``.
        maximize: ascend the objective instead of descending it. Default: ``False``.
        foreach: PyTorch's implementation switch, accepted for ported scripts and ignored
            (:func:`~xpnet.optim._options.check_implementation`). Default: ``None``.
        differentiable: must be ``False``: xpnet does not differentiate through a step.
            Default: ``False``.
        fused: likewise accepted and ignored. Default: ``None``.

    State (per parameter): ``momentum_buffer`` when ``momentum != 0``.

    ``step(found_inf=flag)`` (:class:`xpnet.GradScaler`) skips the step on the device where
    the flag is set. The exception is the first step with momentum, which makes the momentum
    buffers: it reads the flag on the host (until a step is taken), so that a skipped first
    step leaves no state, as if it never happened.

    Raises:
        ValueError: for a negative ``lr``, ``momentum`` or ``weight_decay``, or ``nesterov``
            without momentum or with dampening.
        NotImplementedError: ``differentiable=True``.

    Example:
        >>> from xpnet.nn import Parameter
        >>> w = Parameter(xp.array([1.0, 2.0]))
        >>> w.grad = xp.array([0.5, -1.0])
        >>> opt = SGD([w], lr=0.1, momentum=0.9)
        >>> opt.step(); opt.step()
        >>> w.array
        array([0.855, 2.29 ])
    """

    _bounds = dict.fromkeys(["lr", "momentum", "weight_decay"], (0.0, INF))

    def __init__(
        self,
        params,
        lr: float = 1e-3,
        momentum: float = 0,
        dampening: float = 0,
        weight_decay: float = 0,
        nesterov: bool = False,
        *,
        maximize: bool = False,
        foreach: bool | None = None,
        differentiable: bool = False,
        fused: bool | None = None,
    ) -> None:
        check_switches("SGD", foreach, differentiable=differentiable, fused=fused)
        if nesterov and (momentum <= 0 or dampening != 0):
            msg = (
                "SGD: nesterov needs momentum > 0 and dampening = 0, "
                f"got momentum={momentum}, dampening={dampening}"
            )
            raise ValueError(msg)
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "dampening": dampening,
            "weight_decay": weight_decay,
            "nesterov": nesterov,
            "maximize": maximize,
            "foreach": foreach,
            "differentiable": differentiable,
            "fused": fused,
        }
        super().__init__(params, defaults)

    def _update(
        self, xp, param, grad, state: dict[str, Any], group: dict[str, Any], found_inf=None
    ) -> None:
        momentum = group["momentum"]
        buffer = state.get("momentum_buffer") if momentum != 0 else None
        if buffer is not None:  # every step after the first: one fused call and two writes
            chain = _nesterov_step if group["nesterov"] else _momentum_step
            keep = 1 - group["dampening"]
            args = (param.array, grad, buffer, group["lr"], momentum, keep)
            update_in_place((param.array, buffer), chain, *args, found_inf=found_inf)
            return
        if momentum == 0:  # one fused call and one write, skipped on the device by a flag
            # with or without a flag the same chain: a GPU contracts its multiply-add into
            # one FMA, so the scaler's steps are bit for bit the plain ones there too
            args = (param.array, grad, group["lr"])
            update_in_place((param.array,), _plain_step, *args, found_inf=found_inf)
            return
        # the first step makes the momentum buffer (a copy of the gradient, not a moving
        # average): only a step that is taken may make it, so this step reads the flag, once
        # per training run (or until the first clean step)
        if found_inf is not None and backend_of(found_inf).to_host(found_inf).item():
            return
        buffer = state["momentum_buffer"] = grad.copy()
        grad = grad + momentum * buffer if group["nesterov"] else buffer
        param.array -= group["lr"] * grad


# The steady-state updates as elementwise chains: PyTorch's operations in PyTorch's order
# (buffer.mul_(momentum).add_(grad, alpha=1 - dampening), ...), so the same bits.
def _plain_step(data, grad, lr):
    return (data - lr * grad,)


def _momentum_step(data, grad, buffer, lr, momentum, keep):
    buffer = buffer * momentum + keep * grad
    return data - lr * buffer, buffer


def _nesterov_step(data, grad, buffer, lr, momentum, keep):
    buffer = buffer * momentum + keep * grad
    return data - lr * (grad + momentum * buffer), buffer
