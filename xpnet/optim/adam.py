"""Adam and AdamW (Adam with decoupled weight decay: one flag, one update).

Built on :class:`~xpnet.optim.Optimizer` (:mod:`xpnet.optim.optimizer`); the other
optimizers are in :mod:`xpnet.optim.sgd` and :mod:`xpnet.optim.rmsprop`.
"""

from __future__ import annotations

import functools
from typing import Any

from ._flat import advanced_step, counts_on_device, update_in_place
from ._options import check_switches, lerp
from .optimizer import Optimizer

INF = float("inf")


class Adam(Optimizer):
    r"""Adam (Kingma & Ba, 2015), step for step the same as :class:`torch.optim.Adam`.

    With gradient :math:`g` (negated when ``maximize``) at step :math:`t`:

    .. math::
        m \leftarrow \beta_1 m + (1-\beta_1) g, \quad
        v \leftarrow \beta_2 v + (1-\beta_2) g^2, \quad
        \theta \leftarrow \theta - \frac{\gamma}{1-\beta_1^t}
            \frac{m}{\sqrt{\hat v / (1-\beta_2^t)} + \epsilon}

    where :math:`\hat v = v`, or its running maximum with ``amsgrad``. Weight decay
    :math:`\lambda` adds :math:`\lambda\theta` to :math:`g` (L2), or with
    ``decoupled_weight_decay`` multiplies :math:`\theta` by :math:`1 - \gamma\lambda` before
    the step (AdamW, Loshchilov & Hutter, 2019).

    Args:
        params: parameters, or parameter groups (dicts) with their own hyper-parameters.
        lr: learning rate :math:`\gamma`. Default: ``1e-3``.
        betas: :math:`(\beta_1, \beta_2)`, decay rates of the moment averages.
            Default: ``(0.9, 0.999)``.
        eps: :math:`\epsilon`, added to the denominator. Default: ``1e-8``.
        weight_decay: :math:`\lambda`. Default: ``0``.
        amsgrad: divide by the running maximum of :math:`v` (Reddi et al., 2018).
            Default: ``False``.
        maximize: ascend the objective instead of descending it. Default: ``False``.
        decoupled_weight_decay: AdamW's weight decay. Default: ``False``.
        foreach: PyTorch's implementation switch, accepted for ported scripts and ignored
            (:func:`~xpnet.optim._options.check_implementation`). Default: ``None``.
        capturable: accepted and ignored: xpnet's step never reads the device.
            Default: ``False``.
        differentiable: must be ``False``: xpnet does not differentiate through a step.
            Default: ``False``.
        fused: likewise accepted and ignored. Default: ``None``.

    State (per parameter): ``step`` (an int), ``exp_avg``, ``exp_avg_sq``, and
    ``max_exp_avg_sq`` with ``amsgrad``. After ``step(found_inf=flag)``
    (:class:`xpnet.GradScaler`) ``step`` is a 0-d float64 device array, advanced on the
    device unless the flag is set, and the bias corrections are computed from it there.

    Raises:
        ValueError: for a negative ``lr``, ``eps`` or ``weight_decay``, ``betas`` not a pair,
            or a beta outside ``[0, 1)``.
        NotImplementedError: ``differentiable=True``.

    Example:
        >>> from xpnet.nn import Parameter
        >>> w = Parameter(xp.array([1.0, 2.0]))
        >>> w.grad = xp.array([0.5, -1.0])
        >>> opt = Adam([w], lr=0.1)
        >>> opt.step()
        >>> w.array
        array([0.9, 2.1])
    """

    _bounds = {"lr": (0.0, INF), "eps": (0.0, INF), "weight_decay": (0.0, INF), "betas": (0.0, 1.0)}

    def __init__(
        self,
        params,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        amsgrad: bool = False,
        *,
        foreach: bool | None = None,
        maximize: bool = False,
        capturable: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
        decoupled_weight_decay: bool = False,
    ) -> None:
        switches = {"differentiable": differentiable, "capturable": capturable, "fused": fused}
        check_switches(type(self).__name__, foreach, **switches)
        if not isinstance(betas, tuple | list) or len(betas) != 2:
            msg = f"{type(self).__name__}: betas must be a pair (beta1, beta2), got {betas!r}"
            raise ValueError(msg)
        defaults = {
            "lr": lr,
            "betas": tuple(betas),
            "eps": eps,
            "weight_decay": weight_decay,
            "amsgrad": amsgrad,
            "maximize": maximize,
            "foreach": foreach,
            "capturable": capturable,
            "differentiable": differentiable,
            "fused": fused,
            "decoupled_weight_decay": decoupled_weight_decay,
        }
        super().__init__(params, defaults)

    def _update(
        self, xp, param, grad, state: dict[str, Any], group: dict[str, Any], found_inf=None
    ) -> None:
        lr, (beta1, beta2) = group["lr"], group["betas"]
        if not state:
            state["step"] = 0
            state["exp_avg"] = xp.zeros_like(param.array)
            state["exp_avg_sq"] = xp.zeros_like(param.array)
            if group["amsgrad"]:
                state["max_exp_avg_sq"] = xp.zeros_like(param.array)
        # AdamW's decay; times 1.0 (exact) for Adam, so that one chain serves both
        decay = 1 - lr * group["weight_decay"] if group["decoupled_weight_decay"] else 1.0
        if not counts_on_device(state, found_inf):
            state["step"] += 1
            # bias corrections are Python floats: no device work, no host sync
            bias_correction1 = 1 - beta1 ** state["step"]
            bias_correction2_sqrt = (1 - beta2 ** state["step"]) ** 0.5
            step_size = lr / bias_correction1
        else:  # the step count on the device, and the bias corrections from it
            state["step"], step_size, bias_correction2_sqrt = advanced_step(
                param.array, state["step"], found_inf, _bias_corrections, lr, beta1, beta2
            )
        targets = (param.array, state["exp_avg"], state["exp_avg_sq"])
        if group["amsgrad"]:
            targets += (state["max_exp_avg_sq"],)
        scalars = (decay, 1 - beta1, beta1, beta2, 1 - beta2, bias_correction2_sqrt, group["eps"])
        # PyTorch's lerp takes one form or the other as the weight 1 - beta1 is under 0.5
        chains = _adam_chains(xp, abs(1 - beta1) < 0.5)
        chain = chains[1] if group["amsgrad"] else chains[0]
        args = (*targets, grad, *scalars, step_size)
        update_in_place(targets, chain, *args, found_inf=found_inf)


def _bias_corrections(xp, step, lr, beta1, beta2):
    """``lr / (1 - beta1**step)`` and ``sqrt(1 - beta2**step)`` of a step count on the device,
    in float64, as PyTorch's fused Adam (which also takes ``sqrt``, where the host path takes
    Python's ``** 0.5``: in float64 the two may differ in the last bit)."""
    bias_correction1 = 1 - xp.power(beta1, step)
    return lr / bias_correction1, xp.sqrt(1 - xp.power(beta2, step))


@functools.cache
def _adam_chains(xp, small: bool):
    """Adam's update as elementwise chains ``(plain, amsgrad)``: PyTorch's single-tensor
    operations in its order (``exp_avg.lerp_``, ``exp_avg_sq.mul_().addcmul_()``, ...),
    its lerp in the form for a ``small`` weight ``1 - beta1`` (:func:`~._options.lerp`)."""
    interpolate = lerp(small)

    def moments(grad, exp_avg, exp_avg_sq, keep1, beta1, beta2, keep2):
        # PyTorch's lerp: m + (1 - beta1) * (g - m), or g - (g - m) * beta1 for beta1 <= 0.5
        # (then exact for beta1 = 0), which round differently from a sum
        exp_avg = interpolate(exp_avg, grad, keep1, beta1)
        return exp_avg, exp_avg_sq * beta2 + keep2 * (grad * grad)

    def stepped(data, decay, exp_avg, second, bias_correction2_sqrt, eps, step_size):
        denom = xp.sqrt(second) / bias_correction2_sqrt + eps
        return data * decay - step_size * (exp_avg / denom)

    def plain(data, exp_avg, exp_avg_sq, grad, decay, *scalars):
        *keeps, bc2_sqrt, eps, size = scalars
        exp_avg, exp_avg_sq = moments(grad, exp_avg, exp_avg_sq, *keeps)
        data = stepped(data, decay, exp_avg, exp_avg_sq, bc2_sqrt, eps, size)
        return data, exp_avg, exp_avg_sq

    def amsgrad(data, exp_avg, exp_avg_sq, max_sq, grad, decay, *scalars):
        *keeps, bc2_sqrt, eps, size = scalars
        exp_avg, exp_avg_sq = moments(grad, exp_avg, exp_avg_sq, *keeps)
        max_sq = xp.maximum(max_sq, exp_avg_sq)
        data = stepped(data, decay, exp_avg, max_sq, bc2_sqrt, eps, size)
        return data, exp_avg, exp_avg_sq, max_sq

    return plain, amsgrad


class AdamW(Adam):
    r"""Adam with decoupled weight decay: :class:`Adam` with ``decoupled_weight_decay=True``.

    Same as :class:`torch.optim.AdamW`, including its default ``weight_decay=1e-2``. See
    :class:`Adam` for the arguments and the update.

    Example:
        >>> from xpnet.nn import Parameter
        >>> w = Parameter(xp.array([1.0, 2.0]))
        >>> w.grad = xp.array([0.5, -1.0])
        >>> opt = AdamW([w], lr=0.1, weight_decay=0.5)
        >>> opt.step()
        >>> w.array
        array([0.85, 2.  ])
    """

    def __init__(
        self,
        params,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
        foreach: bool | None = None,
        capturable: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
    ) -> None:
        super().__init__(
            params,
            lr,
            betas,
            eps,
            weight_decay,
            amsgrad,
            foreach=foreach,
            maximize=maximize,
            capturable=capturable,
            differentiable=differentiable,
            fused=fused,
            decoupled_weight_decay=True,
        )
