"""Automatic mixed precision, as ``torch.amp``: :class:`autocast` and :class:`GradScaler`.

:mod:`.autocast_mode` casts the arrays of each operation by its op list (float16 for convolutions,
``linear`` and ``matmul``; float32 for reductions, norms, softmax and losses);
:mod:`.grad_scaler` scales the loss so that float16 gradients do not flush to zero, and skips
steps whose gradients overflow. :mod:`.training` is the mixed-precision step of
``xpnet train --precision 16-mixed``; :mod:`.custom_function` holds ``custom_fwd`` and
``custom_bwd``, the autocast state of custom autograd Functions. Guide: ``docs/mixed-precision.md``.

Example:
    >>> import xpnet
    >>> model = xpnet.nn.Linear(4, 2)
    >>> opt = xpnet.optim.SGD(model.parameters(), lr=0.1)
    >>> scaler = xpnet.GradScaler()
    >>> with xpnet.autocast(dtype="float16"):
    ...     loss = model(xpnet.Tensor(np.ones((3, 4), dtype="float32"))).sum()
    >>> scaler.scale(loss).backward()
    >>> scaler.step(opt)
    >>> scaler.update()
"""

from __future__ import annotations

from .autocast_mode import (
    autocast,
    get_autocast_dtype,
    is_autocast_available,
    is_autocast_enabled,
)
from .custom_function import custom_bwd, custom_fwd
from .grad_scaler import GradScaler

__all__ = [
    "GradScaler",
    "autocast",
    "custom_bwd",
    "custom_fwd",
    "get_autocast_dtype",
    "is_autocast_available",
    "is_autocast_enabled",
]
