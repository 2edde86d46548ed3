"""Whether operations record a graph: :func:`is_grad_enabled` and the switches that set it.

:class:`no_grad`, :class:`enable_grad`, :class:`set_grad_enabled` and :class:`inference_mode`
are PyTorch's ``torch.autograd.grad_mode``: context managers and decorators (with or without
parentheses; a decorated generator runs each of its steps in the mode). The switch is per
thread, as PyTorch's: evaluating in one thread does not stop another from training.
:class:`xpnet.autograd.Function` reads it before recording a node; the names are public in
``xpnet.autograd`` (``no_grad`` also as ``xpnet.no_grad``).
"""

from __future__ import annotations

import functools
import inspect
import threading

__all__ = ["enable_grad", "inference_mode", "is_grad_enabled", "no_grad", "set_grad_enabled"]

_state = threading.local()


def is_grad_enabled() -> bool:
    """False inside :class:`no_grad`: operations then record no graph."""
    return getattr(_state, "grad_enabled", True)


def _set(enabled: bool) -> None:
    _state.grad_enabled = enabled


class _Switch:
    """A grad mode for a ``with`` block or a decorated function; ``enabled`` is the mode
    (``None``: leave it as it is). Each ``with`` restores the mode it found, so one instance
    may be entered again inside itself."""

    enabled: bool | None = False

    def __new__(cls, *args, **kwargs):
        if len(args) == 1 and callable(args[0]) and not kwargs:  # bare: @xpnet.no_grad
            return cls()(args[0])
        return super().__new__(cls)

    def __enter__(self):
        self.__dict__.setdefault("_previous", []).append(is_grad_enabled())
        if self.enabled is not None:
            _set(self.enabled)

    def __exit__(self, *exc_info):
        _set(self._previous.pop())

    def _clone(self):  # a fresh switch per call: threads may share one decorated function
        return type(self)()

    def __call__(self, function):
        if inspect.isgeneratorfunction(function):
            return _each_step(self._clone, function)

        @functools.wraps(function)
        def wrapper(*args, **kwargs):
            with self._clone():
                return function(*args, **kwargs)

        return wrapper


def _each_step(switch, function):
    """A generator function whose every step (not just its creation) runs under ``switch()``,
    as PyTorch's decorators: values sent and exceptions thrown in are passed on."""

    @functools.wraps(function)
    def generator(*args, **kwargs):
        steps = function(*args, **kwargs)
        sent, thrown = None, None
        while True:
            try:
                with switch():
                    item = steps.send(sent) if thrown is None else steps.throw(thrown)
            except StopIteration as stop:
                return stop.value
            try:
                sent, thrown = (yield item), None
            except GeneratorExit:
                steps.close()
                raise
            except BaseException as error:  # noqa: BLE001 - thrown into the caller's generator
                sent, thrown = None, error

    return generator


class no_grad(_Switch):  # noqa: N801 - the name PyTorch users know
    """Context manager (or decorator) in which no graph is recorded, e.g. for evaluation.

    Example:
        >>> import xpnet
        >>> w = xpnet.Tensor(np.ones(2), requires_grad=True)
        >>> with xpnet.no_grad():
        ...     (w * 2).requires_grad
        False
    """

    enabled = False


class enable_grad(_Switch):  # noqa: N801 - PyTorch's name
    """Context manager (or decorator) that records graphs again, e.g. inside :class:`no_grad`.

    Example:
        >>> import xpnet
        >>> w = xpnet.Tensor(np.ones(2), requires_grad=True)
        >>> with xpnet.autograd.no_grad(), xpnet.autograd.enable_grad():
        ...     (w * 2).requires_grad
        True
    """

    enabled = True


class set_grad_enabled(_Switch):  # noqa: N801 - PyTorch's name
    """Set the grad mode to ``mode``: at once when called, as PyTorch's (so it also works as a
    plain function); used with ``with`` or as a decorator, the previous mode comes back after.

    Args:
        mode: record graphs (``True``) or not (``False``).

    Raises:
        TypeError: ``mode`` not a bool.

    Example:
        >>> import xpnet
        >>> with xpnet.autograd.set_grad_enabled(False):
        ...     xpnet.autograd.is_grad_enabled()
        False
        >>> xpnet.autograd.is_grad_enabled()
        True
    """

    def __new__(cls, mode: bool):
        return object.__new__(cls)

    def __init__(self, mode: bool) -> None:
        if not isinstance(mode, bool):  # as PyTorch's: not 0, not a NumPy bool
            kind = type(mode).__name__
            raise TypeError(f"set_grad_enabled(): argument 'mode' must be bool, not {kind}")
        self.enabled = mode
        self._before = is_grad_enabled()
        _set(self.enabled)

    def __enter__(self):
        super().__enter__()
        self._previous[-1] = self._before  # the mode before the call, not the one it set

    def _clone(self):
        return set_grad_enabled(self.enabled)

    def __call__(self, function):
        _set(self._before)  # as a decorator, the mode applies only inside the function
        return super().__call__(function)


class inference_mode(_Switch):  # noqa: N801 - PyTorch's name
    """PyTorch's ``inference_mode``: here the same as :class:`no_grad` (xpnet has no separate
    inference tensors); ``inference_mode(False)`` turns gradients on, as PyTorch's (it is
    :class:`enable_grad` there, e.g. inside :class:`no_grad`).

    Args:
        mode: disable gradients (``True``) or enable them (``False``). Default: ``True``.
    """

    def __init__(self, mode: bool = True) -> None:
        self.enabled = not mode

    def _clone(self):
        return inference_mode(not self.enabled)
