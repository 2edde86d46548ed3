"""Whether operations record a graph: :func:`is_grad_enabled` and :class:`no_grad`.

The switch is per thread, as PyTorch's ``torch.autograd.grad_mode``: evaluating in one
thread does not stop another from training. :class:`xpnet.autograd.Function` reads it before
recording a node; both names are public as ``xpnet.autograd.no_grad`` (also
``xpnet.no_grad``) and ``xpnet.autograd.is_grad_enabled``.
"""

from __future__ import annotations

import functools
import threading

__all__ = ["is_grad_enabled", "no_grad"]

_state = threading.local()


def is_grad_enabled() -> bool:
    """False inside :class:`no_grad`: operations then record no graph."""
    return getattr(_state, "grad_enabled", True)


class no_grad:  # noqa: N801 - the name PyTorch users know
    """Context manager (or decorator) in which no graph is recorded, e.g. for evaluation.

    Example:
        >>> import xpnet
        >>> w = xpnet.Tensor(np.ones(2), requires_grad=True)
        >>> with xpnet.no_grad():
        ...     (w * 2).requires_grad
        False
    """

    def __enter__(self):
        self._previous = is_grad_enabled()
        _state.grad_enabled = False

    def __exit__(self, *exc_info):
        _state.grad_enabled = self._previous

    def __call__(self, function):
        @functools.wraps(function)
        def wrapper(*args, **kwargs):
            with no_grad():
                return function(*args, **kwargs)

        return wrapper
