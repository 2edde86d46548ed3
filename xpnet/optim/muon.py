"""Muon: momentum whose update is orthogonalised by a Newton-Schulz iteration.

Built on :class:`~xpnet.optim.Optimizer` (:mod:`xpnet.optim.optimizer`) for parameter groups,
state and state dicts, but not on its flat buffers: the orthogonalisation works on each
matrix as a whole, so each parameter is updated on its own (as :mod:`xpnet.optim.adafactor`).
"""

from __future__ import annotations

import math
from typing import Any

from ..backends import backend_of
from ._flat import grad_array
from ._options import lerp
from .optimizer import Optimizer

INF = float("inf")
# Keller Jordan's coefficients (https://kellerjordan.github.io/posts/muon/), as torch.optim's
EPS = 1e-7
DEFAULT_A = 3.4445
DEFAULT_B = -4.7750
DEFAULT_C = 2.0315
DEFAULT_NS_STEPS = 5
ADJUST_LR_FNS = (None, "original", "match_rms_adamw")


class Muon(Optimizer):
    r"""Muon (Jordan et al., 2024), step for step :class:`torch.optim.Muon`.

    With the momentum buffer :math:`B_0 = 0`, at each step
    :math:`B_t = \mu B_{t-1} + (1 - \mu) g_t` (a ``lerp``), the Nesterov form
    :math:`\widetilde B_t = g_t + \mu (B_t - g_t)` (else :math:`B_t`),
    :math:`O_t = \mathrm{NS}^{(a,b,c)}_k(\widetilde B_t)`: ``ns_steps`` iterations
    :math:`X \leftarrow aX + (bA + cA^2)X`, :math:`A = XX^\top`, from
    :math:`X = \widetilde B / \max(\lVert \widetilde B\rVert_F, \epsilon)` (transposed
    when the matrix is taller than wide), then the decoupled weight decay
    :math:`\theta \leftarrow \theta(1 - \gamma\lambda)` and
    :math:`\theta \leftarrow \theta - \gamma' O_t`, where :math:`\gamma' = \gamma
    \sqrt{\max(1, A/B)}` (``adjust_lr_fn="original"`` or ``None``) or
    :math:`0.2\gamma\sqrt{\max(A, B)}` (``"match_rms_adamw"``) for an ``A x B`` parameter.

    Args:
        params: 2-D parameters, or parameter groups (dicts) with their own hyper-parameters.
            Biases and embeddings belong to another optimizer (AdamW).
        lr: :math:`\gamma`. Default: ``1e-3``.
        weight_decay: :math:`\lambda` (decoupled). Default: ``0.1``.
        momentum: :math:`\mu`. Default: ``0.95``.
        nesterov: use :math:`\widetilde B_t` as above. Default: ``True``.
        ns_coefficients: :math:`(a, b, c)`. Default: ``(3.4445, -4.7750, 2.0315)``.
        eps: the norm's floor :math:`\epsilon`. Default: ``1e-7``.
        ns_steps: :math:`k`, fewer than 100. Default: ``5``.
        adjust_lr_fn: ``None``, ``"original"`` or ``"match_rms_adamw"``. Default: ``None``.

    State (per parameter): ``momentum_buffer``, shaped as the parameter. With
    ``step(found_inf=flag)`` (:class:`xpnet.GradScaler`) a step is skipped on the device
    where the flag is set: the parameters and buffers keep their bits, with no host read (a
    skipped first step leaves a zero buffer, which steps as none).

    Note:
        PyTorch runs the Newton-Schulz iteration in bfloat16; NumPy and CuPy have no
        bfloat16, so xpnet runs it in the parameter's dtype (float32 for a float16
        parameter): the same algorithm, more precise. Against PyTorch the updates agree to
        bfloat16's precision (a few percent of a step); with PyTorch's iteration in float64
        they agree to float64's.

    Raises:
        ValueError: for a negative ``lr``, ``momentum`` or ``weight_decay``, an unknown
            ``adjust_lr_fn``, a parameter that is not 2-D (PyTorch's messages); at ``step``,
            ``ns_steps >= 100`` or ``ns_coefficients`` not three numbers.

    Example:
        >>> from xpnet.nn import Parameter
        >>> w = Parameter(xp.array([[1.0, 0.0], [0.0, 2.0]]))
        >>> w.grad = xp.array([[1.0, 0.0], [0.0, 1.0]])
        >>> opt = Muon([w], lr=0.1, weight_decay=0.0)
        >>> opt.step()
        >>> w.array.round(4)
        array([[0.8892, 0.    ],
               [0.    , 1.8892]])
    """

    def __init__(
        self,
        params,
        lr: float = 1e-3,
        weight_decay: float = 0.1,
        momentum: float = 0.95,
        nesterov: bool = True,
        ns_coefficients: tuple[float, float, float] = (DEFAULT_A, DEFAULT_B, DEFAULT_C),
        eps: float = EPS,
        ns_steps: int = DEFAULT_NS_STEPS,
        adjust_lr_fn: str | None = None,
    ) -> None:
        lr_value = getattr(lr, "item", lambda: lr)()  # a Tensor lr is read as PyTorch does
        for value, label in (
            (lr_value, "Learning rate should be >= 0 but is"),
            (momentum, "momentum should be >= 0 but is"),
            (weight_decay, "weight decay should be >= 0 but is"),
        ):
            if not 0.0 <= value:
                msg = f"{label}: {value}"
                raise ValueError(msg)
        if adjust_lr_fn not in ADJUST_LR_FNS:
            msg = f"Adjust learning rate function {adjust_lr_fn} is not supported"
            raise ValueError(msg)
        defaults = {
            "lr": lr,
            "weight_decay": weight_decay,
            "momentum": momentum,
            "nesterov": nesterov,
            "ns_coefficients": ns_coefficients,
            "eps": eps,
            "ns_steps": ns_steps,
            "adjust_lr_fn": adjust_lr_fn,
        }
        super().__init__(params, defaults)
        for group in self.param_groups:
            for param in group["params"]:
                if param.array.ndim != 2:
                    size = f"xpnet.Size({list(param.array.shape)})"
                    msg = (
                        "Muon only supports 2D parameters whereas we found a parameter with "
                        f"size: {size}"
                    )
                    raise ValueError(msg)

    def _step_bucket(self, params: list, group: dict[str, Any], found_inf=None) -> None:
        # each matrix alone: its orthogonalisation needs all of it (the module's docstring)
        for param in params:
            state = self.state.setdefault(id(param), {})
            xp = backend_of(param.array).xp
            self._update(xp, param, grad_array(param), state, group, found_inf=found_inf)

    def _update(
        self, xp, param, grad, state: dict[str, Any], group: dict[str, Any], found_inf=None
    ) -> None:
        if grad.ndim != 2:
            raise ValueError("Param gradient must be a 2D matrix")
        # a skipped first step leaves this zero buffer, which steps as none (B_0 = 0)
        if "momentum_buffer" not in state:
            state["momentum_buffer"] = xp.zeros_like(grad)
        buf, momentum = state["momentum_buffer"], group["momentum"]
        new_buf = lerp(abs(1 - momentum) < 0.5)(buf, grad, 1 - momentum, momentum)
        update = lerp(abs(momentum) < 0.5)(grad, new_buf, momentum, 1 - momentum)
        update = update if group["nesterov"] else new_buf
        ortho = zeropower_via_newtonschulz(
            xp, update, group["ns_coefficients"], group["ns_steps"], group["eps"]
        )
        lr, data = group["lr"], param.array
        adjusted = adjust_lr(lr, group["adjust_lr_fn"], data.shape)
        new_data = data * (1 - lr * group["weight_decay"])
        new_data += (-adjusted * ortho).astype(data.dtype)
        if found_inf is not None:  # GradScaler's flag: the old bits where set, on the device
            skip = found_inf != 0
            new_buf, new_data = xp.where(skip, buf, new_buf), xp.where(skip, data, new_data)
        buf[...] = new_buf
        data[...] = new_data


def zeropower_via_newtonschulz(xp, grad, ns_coefficients, ns_steps: int, eps: float):
    """The quintic Newton-Schulz iteration towards the orthogonal factor ``U V^T`` of
    ``grad = U S V^T`` (torch.optim._muon's): singular values end near, not at, 1.

    Runs in ``grad``'s dtype (float32 for float16; PyTorch's runs in bfloat16, see
    :class:`Muon`).

    Raises:
        ValueError: ``ns_steps >= 100``, ``grad`` not 2-D, or not three coefficients
            (PyTorch's messages).
    """
    if ns_steps >= 100:
        raise ValueError("Number of steps must be less than 100 for computational efficiency")
    if grad.ndim != 2:
        raise ValueError("Input tensor gradient must be a 2D matrix")
    if len(ns_coefficients) != 3:
        raise ValueError("Coefficients must be a tuple of exactly 3 values")
    a, b, c = ns_coefficients
    ortho = grad.astype(xp.float32) if grad.dtype == xp.float16 else grad
    tall = grad.shape[0] > grad.shape[1]
    ortho = ortho.T if tall else ortho  # the smaller Gram matrix
    norm = xp.sqrt(xp.sum(ortho * ortho))  # on the device: no host read in step
    ortho = ortho / xp.maximum(norm, eps)  # spectral norm at most 1
    for _ in range(ns_steps):
        gram = ortho @ ortho.T
        gram_update = b * gram + c * (gram @ gram)  # torch.addmm(gram, gram, gram, beta=b, alpha=c)
        ortho = a * ortho + gram_update @ ortho  # torch.addmm(ortho, gram_update, ortho, beta=a)
    return ortho.T if tall else ortho


def adjust_lr(lr: float, adjust_lr_fn: str | None, shape: tuple) -> float:
    """Muon's learning rate for an ``A x B`` parameter (torch.optim._muon's ``_adjust_lr``):
    the scale that gives orthogonalised updates of every shape a like RMS."""
    rows, cols = shape[:2]
    if adjust_lr_fn is None or adjust_lr_fn == "original":
        ratio = math.sqrt(max(1, rows / cols))
    elif adjust_lr_fn == "match_rms_adamw":  # Moonshot's, https://arxiv.org/pdf/2502.16982
        ratio = 0.2 * math.sqrt(max(rows, cols))
    else:
        ratio = 1.0
    return lr * ratio
