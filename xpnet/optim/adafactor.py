"""Adafactor: Adam-like steps from a factored (row and column) second moment.

Built on :class:`~xpnet.optim.Optimizer` (:mod:`xpnet.optim.optimizer`) for parameter groups,
state and state dicts, but not on its flat buffers: a matrix's state is a row and a column
vector, not an array like the parameter, and its step needs the parameter's norm, so each
parameter is updated on its own (a few device calls each; no host read: the norms stay on the
device, where PyTorch reads them as Python floats).
"""

from __future__ import annotations

from typing import Any

from ..backends import backend_of
from ._flat import grad_array
from ._options import check_switches, lerp
from .optimizer import Optimizer

INF = float("inf")


class Adafactor(Optimizer):
    r"""Adafactor (Shazeer & Stern, 2018), step for step the same as
    :class:`torch.optim.Adafactor`.

    At step :math:`t`, with :math:`\beta_{2,t} = 1 - t^{c}` (``beta2_decay`` :math:`c`),
    :math:`\rho_t = \min(\gamma, 1/\sqrt t)` and
    :math:`\alpha_t = \max(\epsilon_2, \mathrm{RMS}(\theta))\rho_t`: a matrix's gradient
    :math:`G` (over its last two dimensions) updates the row and column averages
    :math:`R \leftarrow \beta_{2,t} R + (1-\beta_{2,t}) \operatorname{mean}_j G_{ij}^2`,
    :math:`C \leftarrow \beta_{2,t} C + (1-\beta_{2,t}) \operatorname{mean}_i G_{ij}^2`, and
    :math:`\hat V = R C / \max(\operatorname{mean}(R), \epsilon_1)`; a vector's (or a
    scalar's) :math:`\hat V` is the average :math:`V` of :math:`g^2`. Then
    :math:`U = G / \sqrt{\max(\hat V, \epsilon_1^2)}` and
    :math:`\theta \leftarrow \theta - \alpha_t U / \max(1, \mathrm{RMS}(U)/d)`, after the
    decoupled weight decay :math:`\theta \leftarrow \theta(1 - \gamma\lambda)`.

    Args:
        params: parameters, or parameter groups (dicts) with their own hyper-parameters.
        lr: :math:`\gamma`, the largest relative step. Default: ``1e-2``.
        beta2_decay: :math:`c \le 0`. Default: ``-0.8``.
        eps: :math:`(\epsilon_1, \epsilon_2)`; :math:`\epsilon_1` ``None`` is the machine
            epsilon of the parameter's dtype. Default: ``(None, 1e-3)``.
        d: clipping threshold of the update's RMS, at least 1. Default: ``1.0``.
        weight_decay: :math:`\lambda` (decoupled). Default: ``0``.
        foreach: PyTorch's implementation switch, accepted and ignored. Default: ``None``.
        maximize: ascend the objective instead of descending it. Default: ``False``.

    State (per parameter): ``step``, and ``row_var`` (shaped as the parameter with its last
    dimension 1) and ``col_var`` (its second-to-last dimension 1) for a parameter of two
    dimensions or more, ``variance`` for one of fewer.

    Differences from PyTorch: ``step(found_inf=...)`` is refused (PyTorch asserts that grad
    scaling happens outside Adafactor's step), so :class:`xpnet.GradScaler` reads its flag on
    the host for it; ``eps[0] = None`` takes each parameter's dtype where PyTorch takes the
    first parameter's of a group; parameters are updated in place.

    Raises:
        ValueError: for a negative ``lr``, ``eps`` entry or ``weight_decay``, a positive
            ``beta2_decay``, ``d < 1``, or ``eps`` not a pair.

    Example:
        >>> from xpnet.nn import Parameter
        >>> w = Parameter(xp.array([1.0, 2.0]))
        >>> w.grad = xp.array([0.5, -1.0])
        >>> opt = Adafactor([w], lr=0.1)
        >>> opt.step()
        >>> w.array.round(6)
        array([0.841886, 2.158114])
    """

    _bounds = {"lr": (0.0, INF), "d": (1.0, INF), "weight_decay": (0.0, INF)}

    def __init__(
        self,
        params,
        lr: float = 1e-2,
        beta2_decay: float = -0.8,
        eps: tuple[float | None, float] = (None, 1e-3),
        d: float = 1.0,
        weight_decay: float = 0.0,
        *,
        foreach: bool | None = None,
        maximize: bool = False,
    ) -> None:
        check_switches("Adafactor", foreach)
        if not isinstance(eps, tuple | list) or len(eps) != 2:
            msg = f"Adafactor: eps must be a pair (eps1 or None, eps2), got {eps!r}"
            raise ValueError(msg)
        if not beta2_decay <= 0.0:
            msg = f"Adafactor: beta2_decay must be <= 0, got {beta2_decay}"
            raise ValueError(msg)
        for index, value in enumerate(eps):
            if not (value is None and index == 0) and not value >= 0.0:
                msg = f"Adafactor: eps[{index}] must be >= 0, got {value}"
                raise ValueError(msg)
        defaults = {
            "lr": lr,
            "beta2_decay": beta2_decay,
            "eps": tuple(eps),
            "d": d,
            "weight_decay": weight_decay,
            "foreach": foreach,
            "maximize": maximize,
        }
        super().__init__(params, defaults)

    def _step_bucket(self, params: list, group: dict[str, Any], found_inf=None) -> None:
        # each parameter alone, as it is: no flat buffers (see the module's docstring)
        for param in params:
            grad = -grad_array(param) if group["maximize"] else grad_array(param)
            state = self.state.setdefault(id(param), {})
            self._update(backend_of(param.array).xp, param, grad, state, group)

    def _update(self, xp, param, grad, state: dict[str, Any], group: dict[str, Any]) -> None:
        data = param.array
        if not state:
            state["step"] = 0
            if grad.ndim > 1:
                state["row_var"] = xp.zeros((*grad.shape[:-1], 1), dtype=grad.dtype)
                state["col_var"] = xp.zeros((*grad.shape[:-2], 1, grad.shape[-1]), grad.dtype)
            else:
                state["variance"] = xp.zeros_like(grad)
        state["step"] += 1
        if data.size == 0:
            return
        step, lr = state["step"], group["lr"]
        eps1, eps2 = group["eps"]
        if eps1 is None:
            eps1 = float(xp.finfo(data.dtype).eps)
        weight = float(step) ** group["beta2_decay"]  # 1 - beta2 of this step
        interpolate = lerp(abs(weight) < 0.5)
        rms = _norm(xp, data) / data.size**0.5
        # PyTorch's Python max(eps2, rms), max(1.0, ...): fmax, which, as it, ignores a NaN
        # (of an inf or NaN gradient) where maximum would spread it to every element
        alpha = xp.fmax(eps2, rms) * min(lr, 1 / step**0.5)
        if group["weight_decay"] != 0:
            data *= 1 - lr * group["weight_decay"]
        if grad.ndim > 1:
            row_var, col_var = state["row_var"], state["col_var"]
            row_var[...] = interpolate(row_var, _mean_square(xp, grad, -1), weight, 1 - weight)
            col_var[...] = interpolate(col_var, _mean_square(xp, grad, -2), weight, 1 - weight)
            scale = xp.maximum(xp.mean(row_var, axis=-2, keepdims=True), eps1)
            estimate = row_var * col_var / scale
        else:
            variance = state["variance"]
            variance[...] = interpolate(variance, grad * grad, weight, 1 - weight)
            estimate = variance
        update = 1 / xp.sqrt(xp.maximum(estimate, eps1 * eps1)) * grad
        denom = xp.fmax(1.0, _norm(xp, update) / (update.size**0.5 * group["d"]))
        data += (-alpha / denom).astype(data.dtype) * update


def _norm(xp, array):
    """The 2-norm of all of ``array``, a 0-d float64 device array (PyTorch's
    ``norm(2).item()``, a Python float)."""
    return xp.sqrt(xp.sum(array * array)).astype(xp.float64)


def _mean_square(xp, grad, axis: int):
    """``torch.norm(grad, dim=axis, keepdim=True).square_().div_(grad.size(axis))``."""
    norm = xp.sqrt(xp.sum(grad * grad, axis=axis, keepdims=True))
    return norm * norm / grad.shape[axis]
