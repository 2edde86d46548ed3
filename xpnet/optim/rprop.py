"""Rprop: resilient backpropagation, per-element step sizes driven by gradient signs.

Built on :class:`~xpnet.optim.Optimizer` (:mod:`xpnet.optim.optimizer`), which negates the
gradient for ``maximize`` before :meth:`Rprop._update` runs (Rprop, as PyTorch's, has no
weight decay).
"""

from __future__ import annotations

import functools
from typing import Any

from ._flat import count_step, update_in_place
from ._options import check_switches
from .optimizer import Optimizer

INF = float("inf")


class Rprop(Optimizer):
    r"""Rprop (Riedmiller & Braun, 1993), step for step the same as :class:`torch.optim.Rprop`.

    With gradient :math:`g` (negated when ``maximize``) and the previous step's (zeroed where
    its sign flipped) :math:`g'`, each element's step size :math:`s` is multiplied by
    :math:`\eta_+` where :math:`g g' > 0`, by :math:`\eta_-` where :math:`g g' < 0` (and
    :math:`g` is taken as 0 for this step), and clamped to :math:`[s_{min}, s_{max}]`;
    then :math:`\theta \leftarrow \theta - \operatorname{sign}(g)\, s`.

    Args:
        params: parameters, or parameter groups (dicts) with their own hyper-parameters.
        lr: the initial step size of every element (the group's ``lr`` at its first step).
            Default: ``1e-2``.
        etas: :math:`(\eta_-, \eta_+)`, with :math:`0 < \eta_- < 1 < \eta_+`.
            Default: ``(0.5, 1.2)``.
        step_sizes: :math:`(s_{min}, s_{max})`. Default: ``(1e-6, 50)``.
        capturable: accepted and ignored: xpnet's step never reads the device.
            Default: ``False``.
        foreach: PyTorch's implementation switch, accepted and ignored. Default: ``None``.
        maximize: ascend the objective instead of descending it. Default: ``False``.
        differentiable: must be ``False``. Default: ``False``.

    State (per parameter): ``step``, ``prev`` (:math:`g'`), ``step_size`` (:math:`s`).
    After ``step(found_inf=flag)`` (:class:`xpnet.GradScaler`) ``step`` is a 0-d float64
    device array, advanced on the device unless the flag is set.

    Raises:
        ValueError: for a negative ``lr``, or ``etas`` not a pair with
            :math:`0 < \eta_- < 1 < \eta_+`, or ``step_sizes`` not a pair.
        NotImplementedError: ``differentiable=True``.

    Example:
        >>> from xpnet.nn import Parameter
        >>> w = Parameter(xp.array([1.0, 2.0]))
        >>> w.grad = xp.array([0.5, -1.0])
        >>> opt = Rprop([w], lr=0.1)
        >>> opt.step()
        >>> w.array
        array([0.9, 2.1])
    """

    _bounds = {"lr": (0.0, INF)}

    def __init__(
        self,
        params,
        lr: float = 1e-2,
        etas: tuple[float, float] = (0.5, 1.2),
        step_sizes: tuple[float, float] = (1e-6, 50),
        *,
        capturable: bool = False,
        foreach: bool | None = None,
        maximize: bool = False,
        differentiable: bool = False,
    ) -> None:
        check_switches("Rprop", foreach, differentiable=differentiable, capturable=capturable)
        for name, pair in (("etas", etas), ("step_sizes", step_sizes)):
            if not isinstance(pair, tuple | list) or len(pair) != 2:
                msg = f"Rprop: {name} must be a pair, got {pair!r}"
                raise ValueError(msg)
        if not 0.0 < etas[0] < 1.0 < etas[1]:
            msg = f"Rprop: etas must satisfy 0 < etas[0] < 1 < etas[1], got {tuple(etas)}"
            raise ValueError(msg)
        defaults = {
            "lr": lr,
            "etas": tuple(etas),
            "step_sizes": tuple(step_sizes),
            "foreach": foreach,
            "maximize": maximize,
            "differentiable": differentiable,
            "capturable": capturable,
        }
        super().__init__(params, defaults)

    def _step_bucket(self, params: list, group: dict[str, Any], found_inf=None) -> None:
        # no weight decay (PyTorch's Rprop has none): the base class's gradient, negated for
        # maximize, with nothing added
        super()._step_bucket(params, {**group, "weight_decay": 0}, found_inf)

    def _update(
        self, xp, param, grad, state: dict[str, Any], group: dict[str, Any], found_inf=None
    ) -> None:
        if not state:
            state["step"] = 0
            state["prev"] = xp.zeros_like(param.array)
            state["step_size"] = xp.full_like(param.array, group["lr"])
        count_step(param.array, state, found_inf)
        (etaminus, etaplus), (smallest, largest) = group["etas"], group["step_sizes"]
        targets = (param.array, state["prev"], state["step_size"])
        args = (*targets, grad, etaminus, etaplus, smallest, largest)
        update_in_place(targets, _rprop_chain(xp), *args, found_inf=found_inf)


@functools.cache
def _rprop_chain(xp):
    """Rprop's update, PyTorch's single-tensor operations in its order (``sign`` of
    ``grad * prev`` mapped to ``etaplus``/``etaminus``/1; ``step_size.mul_(sign)
    .clamp_(...)``; the gradient zeroed where the sign flipped; ``param.addcmul_(grad.sign(),
    step_size, value=-1)``), with PyTorch's ``sign`` (0 for NaN, where NumPy's is NaN): a
    NaN gradient leaves the parameter and its step size as they were."""

    def sign(value):
        return xp.where(xp.isnan(value), 0, xp.sign(value))

    def chain(data, prev, step_size, grad, etaminus, etaplus, smallest, largest):
        sign_of = sign(grad * prev)
        flipped = sign_of < 0
        factor = xp.where(flipped, etaminus, xp.where(sign_of == 0, 1, sign_of))
        factor = xp.where(sign_of > 0, etaplus, factor)
        step_size = xp.minimum(xp.maximum(step_size * factor, smallest), largest)
        grad = xp.where(flipped, 0, grad)
        return data - sign(grad) * step_size, grad, step_size

    return chain
