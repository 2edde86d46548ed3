"""More of ``torch.autograd``'s names, gathered for :mod:`xpnet.autograd` (which imports them
all with one line): the legacy :class:`Variable`, and, from their own modules, the gradient
checks (:mod:`xpnet._gradcheck`: ``gradcheck``, ``gradgradcheck``, ``GradcheckError``) and
anomaly mode (:mod:`xpnet._anomaly_mode`: ``detect_anomaly``, ``set_detect_anomaly``) and
``forward_ad`` (:mod:`xpnet._forward_ad`).
"""

from __future__ import annotations

import sys
import warnings

from . import _forward_ad as forward_ad
from . import _graph_hooks as graph
from ._anomaly_mode import detect_anomaly, set_detect_anomaly
from ._gradcheck import GradcheckError, gradcheck, gradgradcheck
from .autograd import Tensor

__all__ = [
    "GradcheckError",
    "forward_ad",
    "graph",
    "Variable",
    "detect_anomaly",
    "gradcheck",
    "gradgradcheck",
    "set_detect_anomaly",
]


class _VariableMeta(type):
    # every Tensor is a Variable, as in PyTorch, where the two classes merged in 0.4
    def __instancecheck__(cls, other) -> bool:
        return isinstance(other, Tensor)


class Variable(metaclass=_VariableMeta):
    """The pre-0.4 wrapper, kept for old scripts: ``Variable(x, requires_grad=...)`` returns a
    Tensor, as ``torch.autograd.Variable`` does, and every Tensor is an instance.

    Args:
        data: a Tensor (``None``: an empty float32 Tensor).
        requires_grad: whether the result requires grad. Default: ``False``.
        volatile: removed in PyTorch (warns, no effect; use :class:`xpnet.no_grad`).
            Default: ``False``.

    Returns:
        A new Tensor sharing ``data``'s array, detached from its graph (a leaf).

    Raises:
        TypeError: ``data`` not a Tensor (PyTorch's message).
        ValueError: ``volatile`` and ``requires_grad`` both true (PyTorch's message).

    Example:
        >>> import xpnet
        >>> x = xpnet.zeros(2)
        >>> v = Variable(x, requires_grad=True)
        >>> v.requires_grad, x.requires_grad, isinstance(x, Variable)
        (True, False, True)
    """

    def __new__(cls, data=None, requires_grad: bool = False, volatile: bool = False):
        if volatile:
            warnings.warn(
                "volatile was removed and now has no effect. Use `with torch.no_grad():` instead.",
                UserWarning,
                stacklevel=2,
            )
            if requires_grad:
                raise ValueError("Variable can't be volatile and require_grad at the same time!")
        if data is None:
            from ._creation import empty

            data = empty(0)
        if not isinstance(data, Tensor):
            msg = f"Variable data has to be a tensor, but got {type(data).__name__}"
            raise TypeError(msg)
        return data.detach().requires_grad_(bool(requires_grad))


# import xpnet.autograd.forward_ad, .graph: submodules, as torch's (xpnet.autograd is one module)
sys.modules["xpnet.autograd.forward_ad"] = forward_ad
sys.modules["xpnet.autograd.graph"] = graph
