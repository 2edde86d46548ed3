"""NAdam and RAdam: Adam with Nesterov momentum, and Adam with a rectified adaptive rate.

Built on :class:`~xpnet.optim.Optimizer` (:mod:`xpnet.optim.optimizer`), which negates the
gradient for ``maximize`` and adds ``weight_decay * param`` (unless ``decoupled_weight_decay``)
before ``_update`` runs; Adam itself is in :mod:`xpnet.optim.adam`, Adamax in
:mod:`xpnet.optim.adamax`. The scalars of a step (bias corrections, NAdam's momentum
schedule, RAdam's rectification) are Python floats, or with ``step(found_inf=flag)``
(:class:`xpnet.GradScaler`) 0-d device arrays computed on the device from a step count there.
"""

from __future__ import annotations

import functools
from typing import Any

from ._flat import advanced_step, counts_on_device, update_in_place
from ._options import advanced_state, check_switches, lerp, round_scalar, scalar_dtype
from .adamax import check_betas
from .optimizer import Optimizer

INF = float("inf")

_ARGS_DOC = r"""
        params: parameters, or parameter groups (dicts) with their own hyper-parameters.
        lr: learning rate :math:`\gamma`. Default: ``2e-3`` (NAdam), ``1e-3`` (RAdam).
        betas: :math:`(\beta_1, \beta_2)`, decay rates of the moment averages.
            Default: ``(0.9, 0.999)``.
        eps: :math:`\epsilon`, added to the denominator. Default: ``1e-8``.
        weight_decay: :math:`\lambda`. Default: ``0``.
        decoupled_weight_decay: multiply :math:`\theta` by :math:`1 - \gamma\lambda` before
            the step (as AdamW) instead of adding :math:`\lambda\theta` to :math:`g`.
            Default: ``False``.
        foreach: PyTorch's implementation switch, accepted and ignored. Default: ``None``.
        maximize: ascend the objective instead of descending it. Default: ``False``.
        capturable: accepted and ignored: xpnet's step never reads the device.
            Default: ``False``.
        differentiable: must be ``False``. Default: ``False``."""


class NAdam(Optimizer):
    r"""NAdam (Dozat, 2016), step for step the same as :class:`torch.optim.NAdam`.

    With gradient :math:`g` (negated when ``maximize``, weight decay as below) at step
    :math:`t`, :math:`\mu_t = \beta_1 (1 - \frac12 0.96^{t\psi})` and
    :math:`\Pi_t = \prod_{i \le t} \mu_i`:

    .. math::
        m \leftarrow \beta_1 m + (1-\beta_1) g, \quad
        v \leftarrow \beta_2 v + (1-\beta_2) g^2, \quad
        \theta \leftarrow \theta - \gamma \Big(\frac{1-\mu_t}{1-\Pi_t} g
            + \frac{\mu_{t+1}}{1-\Pi_t \mu_{t+1}} m\Big)
            \Big/ \Big(\sqrt{v / (1-\beta_2^t)} + \epsilon\Big)

    Args:{args}
        momentum_decay: :math:`\psi`. Default: ``4e-3``.

    State (per parameter): ``step``, ``mu_product`` (:math:`\Pi_t`, rounded as PyTorch's 0-d
    tensor of its scalar dtype holds it: float32, float64 under a float64 default dtype),
    ``exp_avg``, ``exp_avg_sq``. After
    ``step(found_inf=flag)`` ``step`` and ``mu_product`` are 0-d float64 device arrays.

    Raises:
        ValueError: for a negative ``lr``, ``eps``, ``weight_decay`` or ``momentum_decay``,
            ``betas`` not a pair, or a beta outside ``[0, 1)``.
        NotImplementedError: ``differentiable=True``.

    Example:
        >>> from xpnet.nn import Parameter
        >>> w = Parameter(xp.array([1.0, 2.0]))
        >>> w.grad = xp.array([0.5, -1.0])
        >>> opt = NAdam([w], lr=0.1)
        >>> opt.step()
        >>> w.array.round(4)
        array([0.9, 2.1])
    """

    _bounds = {
        "lr": (0.0, INF),
        "eps": (0.0, INF),
        "weight_decay": (0.0, INF),
        "momentum_decay": (0.0, INF),
        "betas": (0.0, 1.0),
    }

    def __init__(
        self,
        params,
        lr: float = 2e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum_decay: float = 4e-3,
        decoupled_weight_decay: bool = False,
        *,
        foreach: bool | None = None,
        maximize: bool = False,
        capturable: bool = False,
        differentiable: bool = False,
    ) -> None:
        where = type(self).__name__
        check_switches(where, foreach, differentiable=differentiable, capturable=capturable)
        defaults = {
            "lr": lr,
            "betas": check_betas(where, betas),
            "eps": eps,
            "weight_decay": weight_decay,
            "momentum_decay": momentum_decay,
            "decoupled_weight_decay": decoupled_weight_decay,
            "maximize": maximize,
            "foreach": foreach,
            "capturable": capturable,
            "differentiable": differentiable,
        }
        super().__init__(params, defaults)

    def _update(
        self, xp, param, grad, state: dict[str, Any], group: dict[str, Any], found_inf=None
    ) -> None:
        lr, (beta1, beta2) = group["lr"], group["betas"]
        if not state:
            state["step"] = 0
            state["mu_product"] = 1.0
            state["exp_avg"] = xp.zeros_like(param.array)
            state["exp_avg_sq"] = xp.zeros_like(param.array)
        psi = group["momentum_decay"]
        if not counts_on_device(state, found_inf):
            step = state["step"] = state["step"] + 1
            mu = beta1 * (1.0 - 0.5 * 0.96 ** (step * psi))
            mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((step + 1) * psi))
            mu_product = round_scalar(state["mu_product"] * round_scalar(mu))
            state["mu_product"] = mu_product
            scalars = (
                1 - beta2**step,
                -lr * (1.0 - mu) / (1.0 - mu_product),
                (-lr * mu_next) / (1.0 - mu_product * mu_next),
            )
        else:
            keys, advance = ("step", "mu_product"), _nadam_scalars(scalar_dtype().type)
            args = (-lr, beta1, beta2, psi)
            scalars = advanced_state(param.array, state, keys, found_inf, advance, *args)
        decay = _decay(group)
        targets = (param.array, state["exp_avg"], state["exp_avg_sq"])
        chain = _nadam_chain(xp, abs(1 - beta1) < 0.5)
        args = (*targets, grad, decay, 1 - beta1, beta1, beta2, 1 - beta2, group["eps"], *scalars)
        update_in_place(targets, chain, *args, found_inf=found_inf)


class RAdam(Optimizer):
    r"""RAdam (Liu et al., 2020), step for step the same as :class:`torch.optim.RAdam`.

    Adam's moments :math:`m, v` (see :class:`~xpnet.optim.Adam`); with
    :math:`\rho_\infty = 2/(1-\beta_2) - 1` and
    :math:`\rho_t = \rho_\infty - 2t\beta_2^t/(1-\beta_2^t)`, the step is
    :math:`\theta \leftarrow \theta - \gamma \frac{m}{1-\beta_1^t} r_t
    \frac{\sqrt{1-\beta_2^t}}{\sqrt v + \epsilon}` while :math:`\rho_t > 5`, where
    :math:`r_t = \sqrt{\frac{(\rho_t-4)(\rho_t-2)\rho_\infty}{(\rho_\infty-4)(\rho_\infty-2)
    \rho_t}}`, and :math:`\theta \leftarrow \theta - \gamma \frac{m}{1-\beta_1^t}` before.

    Args:{args}

    State (per parameter): ``step``, ``exp_avg``, ``exp_avg_sq``. After
    ``step(found_inf=flag)`` ``step`` is a 0-d float64 device array.

    Raises:
        ValueError: for a negative ``lr``, ``eps`` or ``weight_decay``, ``betas`` not a pair,
            or a beta outside ``[0, 1)``.
        NotImplementedError: ``differentiable=True``.

    Example:
        >>> from xpnet.nn import Parameter
        >>> w = Parameter(xp.array([1.0, 2.0]))
        >>> w.grad = xp.array([0.5, -1.0])
        >>> opt = RAdam([w], lr=0.1)
        >>> opt.step()
        >>> w.array.round(6)
        array([0.95, 2.1 ])
    """

    _bounds = {"lr": (0.0, INF), "eps": (0.0, INF), "weight_decay": (0.0, INF), "betas": (0.0, 1.0)}

    def __init__(
        self,
        params,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        decoupled_weight_decay: bool = False,
        *,
        foreach: bool | None = None,
        maximize: bool = False,
        capturable: bool = False,
        differentiable: bool = False,
    ) -> None:
        where = type(self).__name__
        check_switches(where, foreach, differentiable=differentiable, capturable=capturable)
        defaults = {
            "lr": lr,
            "betas": check_betas(where, betas),
            "eps": eps,
            "weight_decay": weight_decay,
            "maximize": maximize,
            "foreach": foreach,
            "capturable": capturable,
            "decoupled_weight_decay": decoupled_weight_decay,
            "differentiable": differentiable,
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
        if not counts_on_device(state, found_inf):
            step = state["step"] = state["step"] + 1
            scalars = _radam_host_scalars(step, beta1, beta2)
            mode = "rectified" if scalars[-1] else "plain"
        else:
            rho_inf = 2 / (1 - beta2) - 1
            # rho_t < rho_inf: never rectified for rho_inf <= 5, where the product may be 0
            product = (rho_inf - 4) * (rho_inf - 2) if rho_inf > 5 else 1.0
            args = (beta1, beta2, rho_inf, product)
            state["step"], *scalars = advanced_step(
                param.array, state["step"], found_inf, _radam_scalars, *args
            )
            mode = "either"
        targets = (param.array, state["exp_avg"], state["exp_avg_sq"])
        chain = _radam_chain(xp, abs(1 - beta1) < 0.5, mode)
        keeps = (1 - beta1, beta1, beta2, 1 - beta2)
        args = (*targets, grad, _decay(group), *keeps, group["eps"], lr)
        update_in_place(targets, chain, *args, *scalars, found_inf=found_inf)


NAdam.__doc__ = NAdam.__doc__.replace("{args}", _ARGS_DOC)
RAdam.__doc__ = RAdam.__doc__.replace("{args}", _ARGS_DOC)


def _decay(group: dict[str, Any]) -> float:
    """The decoupled weight decay's factor ``1 - lr * weight_decay``; 1.0 (exact) without."""
    if group["decoupled_weight_decay"] and group["weight_decay"] != 0:
        return 1 - group["lr"] * group["weight_decay"]
    return 1.0


@functools.cache
def _nadam_scalars(held):
    """NAdam's host arithmetic on a step count on the device, in float64, with ``mu_product``
    rounded to ``held`` (PyTorch's scalar dtype, :func:`scalar_dtype`) as PyTorch holds it."""

    def scalars(xp, step, mu_product, neg_lr, beta1, beta2, psi):  # neg_lr: -lr, from outside
        step = step + 1.0
        mu = beta1 * (1.0 - 0.5 * xp.power(0.96, step * psi))
        mu_next = beta1 * (1.0 - 0.5 * xp.power(0.96, (step + 1.0) * psi))
        rounded = mu.astype(held).astype(xp.float64)
        mu_product = (mu_product * rounded).astype(held).astype(xp.float64)
        bias_correction2 = 1 - xp.power(beta2, step)
        grad_size = neg_lr * (1.0 - mu) / (1.0 - mu_product)
        avg_size = (neg_lr * mu_next) / (1.0 - mu_product * mu_next)
        return (step, mu_product), (bias_correction2, grad_size, avg_size)

    return scalars


def _radam_host_scalars(step, beta1, beta2) -> tuple[float, float, float, float]:
    """``(1 - beta1**t, sqrt(1 - beta2**t), rectification or 0, 1.0 to rectify or 0.0)``."""
    bias_correction2 = 1 - beta2**step
    rho_inf = 2 / (1 - beta2) - 1
    rho_t = rho_inf - 2 * step * (beta2**step) / bias_correction2
    if rho_t <= 5.0:
        return 1 - beta1**step, bias_correction2**0.5, 0.0, 0.0
    rect = ((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
    return 1 - beta1**step, bias_correction2**0.5, rect, 1.0


def _radam_scalars(xp, step, beta1, beta2, rho_inf, rho_inf_product):
    """:func:`_radam_host_scalars` of a step count on the device, in float64
    (``rho_inf_product``: ``(rho_inf - 4) * (rho_inf - 2)``, computed outside)."""
    bias_correction2 = 1 - xp.power(beta2, step)
    rho_t = rho_inf - 2 * step * xp.power(beta2, step) / bias_correction2
    ratio = (rho_t - 4) * (rho_t - 2) * rho_inf / (rho_inf_product * rho_t)
    rectify = rho_t > 5.0
    rect = xp.where(rectify, xp.sqrt(xp.maximum(ratio, 0.0)), 0.0)
    return 1 - xp.power(beta1, step), xp.sqrt(bias_correction2), rect, rectify.astype(xp.float64)


def _moments(interpolate, grad, exp_avg, exp_avg_sq, keeps):
    """``exp_avg.lerp_(grad, 1 - beta1)``, ``exp_avg_sq.mul_(beta2).addcmul_(grad, grad,
    value=1 - beta2)``; ``keeps`` is ``(1 - beta1, beta1, beta2, 1 - beta2)``."""
    weight, beta1, beta2, keep2 = keeps
    return interpolate(exp_avg, grad, weight, beta1), exp_avg_sq * beta2 + keep2 * grad * grad


@functools.cache
def _nadam_chain(xp, small: bool):
    """NAdam's update, PyTorch's single-tensor operations in its order."""
    interpolate = lerp(small)

    def chain(data, exp_avg, exp_avg_sq, grad, decay, *args):
        keeps, (eps, bias_correction2, grad_size, avg_size) = args[:4], args[4:]
        exp_avg, exp_avg_sq = _moments(interpolate, grad, exp_avg, exp_avg_sq, keeps)
        denom = xp.sqrt(exp_avg_sq / bias_correction2) + eps
        data = data * decay + grad_size * (grad / denom)
        return data + avg_size * (exp_avg / denom), exp_avg, exp_avg_sq

    return chain


@functools.cache
def _radam_chain(xp, small: bool, mode: str):
    """RAdam's update, PyTorch's single-tensor operations in its order: the ``"rectified"``
    step, the ``"plain"`` one, or ``"either"`` as a device flag ``rectify`` (0 or 1) says."""
    interpolate = lerp(small)

    def chain(data, exp_avg, exp_avg_sq, grad, decay, *args):
        keeps, (eps, lr, bias_correction1, bias_correction2_sqrt, rect, rectify) = (
            args[:4],
            args[4:],
        )
        exp_avg, exp_avg_sq = _moments(interpolate, grad, exp_avg, exp_avg_sq, keeps)
        step = corrected = exp_avg / bias_correction1 * lr
        if mode != "plain":
            step = corrected * (bias_correction2_sqrt / (xp.sqrt(exp_avg_sq) + eps)) * rect
        if mode == "either":
            step = xp.where(rectify != 0, step, corrected)
        return data * decay - step, exp_avg, exp_avg_sq

    return chain
